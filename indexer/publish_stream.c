/*
 * A view's large documents written as streams (publish_stream.h).  The
 * plain text is appended to a temporary file in STORE/cache/plain while
 * it is hashed; closed, it takes its sha256 as name there, as
 * publish_file() names cached documents, so both share one cache.  The
 * gzip form is compressed from that file by compress_pool.c.  Local
 * names carry the prefix ps_.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "compress_pool.h"
#include "hash.h"
#include "indexer.h"
#include "phase.h"
#include "publish_stream.h"
#include "xmalloc.h"

#define PS_BUFSIZE	(256 * 1024)

struct pub_stream {
	struct pub_view	*ps_pv;
	char		*ps_what;
	char		*ps_tmp;
	int		 ps_fd;
	struct hash	*ps_hash;
	size_t		 ps_len;
	char		*ps_buf;
	size_t		 ps_buflen;
};

static unsigned long	ps_serial;

/* STORE/cache/FORM/NAME; caller-freed.  The directory is made. */
static char *
ps_cache_path(struct pub_view *pv, const char *form, const char *name,
    char **cause)
{
	char	*dir, *path;

	xasprintf(&dir, "%s/cache/%s", pv->pv_ix->ix_cf->cf_store, form);
	if (mkdir_p(dir, 0755) == -1) {
		cause_set(cause, "%s: %s", dir, strerror(errno));
		free(dir);
		return NULL;
	}
	xasprintf(&path, "%s/%s", dir, name);
	free(dir);
	return path;
}

/* A temporary file beside the cache's files: .tmp.PID.N. */
static int
ps_tmp_open(struct pub_view *pv, const char *form, char **tmp, char **cause)
{
	char	 name[64];
	int	 fd;

	snprintf(name, sizeof name, ".tmp.%ld.%lu", (long)getpid(),
	    ps_serial++);
	if ((*tmp = ps_cache_path(pv, form, name, cause)) == NULL)
		return -1;
	if ((fd = open(*tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1) {
		cause_set(cause, "%s: %s", *tmp, strerror(errno));
		free(*tmp);
		*tmp = NULL;
	}
	return fd;
}

/* Makes tmp (fd still open) the cached file path; closes fd. */
static int
ps_tmp_commit(int fd, char *tmp, const char *path, char **cause)
{
	if (fsync(fd) == -1) {
		cause_set(cause, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) == -1) {
		cause_set(cause, "%s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	/* The same text cached already: keep that one, linked elsewhere. */
	if (access(path, F_OK) == 0) {
		unlink(tmp);
		return 0;
	}
	if (rename(tmp, path) == -1) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Links the cached file src at relpath in the tree being written. */
static int
ps_link(struct pub_view *pv, const char *src, const char *relpath,
    char **cause)
{
	char	*dst, *dir, *slash, chunk[65536];
	ssize_t	 n;
	int	 in, out, rc = -1;

	xasprintf(&dst, "%s/%s", pv->pv_tree, relpath);
	dir = xstrdup(dst);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (mkdir_p(dir, 0755) == -1) {
		cause_set(cause, "%s: %s", dir, strerror(errno));
		goto out;
	}
	unlink(dst);
	if (link(src, dst) == 0) {
		rc = 0;
		goto out;
	}
	/* Another file system, or too many links: a copy will do. */
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1) {
		cause_set(cause, "%s: %s", src, strerror(errno));
		goto out;
	}
	if ((out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1) {
		cause_set(cause, "%s: %s", dst, strerror(errno));
		close(in);
		goto out;
	}
	while ((n = read(in, chunk, sizeof chunk)) > 0) {
		if (write(out, chunk, n) != n) {
			n = -1;
			break;
		}
	}
	if (n < 0 || fsync(out) == -1)
		cause_set(cause, "%s: %s", dst, strerror(errno));
	else
		rc = 0;
	close(in);
	if (close(out) == -1 && rc == 0) {
		cause_set(cause, "%s: %s", dst, strerror(errno));
		rc = -1;
	}
out:
	free(dir);
	free(dst);
	return rc;
}

struct pub_stream *
publish_stream_new(struct pub_view *pv, const char *what, char **cause)
{
	struct pub_stream	*ps;

	ps = xcalloc(1, sizeof *ps);
	ps->ps_pv = pv;
	ps->ps_what = xstrdup(what);
	if ((ps->ps_fd = ps_tmp_open(pv, "plain", &ps->ps_tmp, cause)) == -1) {
		free(ps->ps_what);
		free(ps);
		return NULL;
	}
	ps->ps_hash = hash_new("sha256");
	ps->ps_buf = xmalloc(PS_BUFSIZE);
	return ps;
}

static int
ps_flush(struct pub_stream *ps, char **cause)
{
	const char	*p = ps->ps_buf;
	size_t		 len = ps->ps_buflen;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(ps->ps_fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			cause_set(cause, "%s: %s", ps->ps_tmp, strerror(errno));
			return -1;
		}
		p += n;
		len -= n;
	}
	ps->ps_buflen = 0;
	return 0;
}

int
publish_stream_add(struct pub_stream *ps, const void *data, size_t len,
    char **cause)
{
	const char	*p = data;
	size_t		 step;

	hash_update(ps->ps_hash, data, len);
	ps->ps_len += len;
	while (len > 0) {
		if (ps->ps_buflen == PS_BUFSIZE && ps_flush(ps, cause) != 0)
			return -1;
		step = PS_BUFSIZE - ps->ps_buflen;
		if (step > len)
			step = len;
		memcpy(ps->ps_buf + ps->ps_buflen, p, step);
		ps->ps_buflen += step;
		p += step;
		len -= step;
	}
	return 0;
}

static void
ps_free(struct pub_stream *ps)
{
	if (ps->ps_fd != -1) {
		close(ps->ps_fd);
		unlink(ps->ps_tmp);
	}
	hash_free(ps->ps_hash);
	free(ps->ps_buf);
	free(ps->ps_tmp);
	free(ps->ps_what);
	free(ps);
}

void
publish_stream_abort(struct pub_stream *ps)
{
	if (ps != NULL)
		ps_free(ps);
}

int
publish_stream_close(struct pub_stream *ps, const char *relpath, char *phex,
    size_t *plen, const char *gzpath, char *ghex, size_t *glen,
    char **cause)
{
	struct pub_view	*pv = ps->ps_pv;
	char		*path = NULL;
	int		 fd, rc = -1;

	if (ps_flush(ps, cause) != 0)
		goto out;
	hash_final(ps->ps_hash, phex);	/* frees the hash */
	ps->ps_hash = NULL;
	*plen = ps->ps_len;
	if ((path = ps_cache_path(pv, "plain", phex, cause)) == NULL)
		goto out;
	fd = ps->ps_fd;
	ps->ps_fd = -1;
	if (ps_tmp_commit(fd, ps->ps_tmp, path, cause) != 0)
		goto out;
	if (ps_link(pv, path, relpath, cause) != 0)
		goto out;
	if (gzpath != NULL &&
	    publish_stream_gzip(pv, phex, gzpath, ghex, glen, cause) != 0)
		goto out;
	rc = 0;
out:
	free(path);
	ps_free(ps);
	return rc;
}

/* The cached gzip's "sha256 HEX SIZE" side file, when it is there. */
static int
ps_read_sum(const char *side, char *ghex, size_t *glen)
{
	char	*data;
	size_t	 len;
	int	 ok;

	if (file_read(side, 256, &data, &len, NULL) != 0)
		return 0;
	ok = sscanf(data, "sha256 %128s %zu", ghex, glen) == 2;
	free(data);
	return ok;
}

static int
ps_write_sum(const char *side, const char *ghex, size_t glen, char **cause)
{
	char	*line;
	int	 rc;

	xasprintf(&line, "sha256 %s %zu\n", ghex, glen);
	rc = file_write_atomic(side, line, strlen(line), cause);
	free(line);
	return rc;
}

int
publish_stream_gzip(struct pub_view *pv, const char *phex, const char *relpath,
    char *ghex, size_t *glen, char **cause)
{
	char		*path, *side = NULL, *plain = NULL, *tmp = NULL;
	enum phase	 ph;
	int		 in = -1, out = -1, rc = -1;

	/* Made ahead, perhaps (publish_stream_gzip_ahead). */
	publish_stream_gzip_wait();
	if ((path = ps_cache_path(pv, "gz", phex, cause)) == NULL)
		return -1;
	xasprintf(&side, "%s.sum", path);
	if (access(path, F_OK) == 0 && ps_read_sum(side, ghex, glen))
		goto link;
	if ((plain = ps_cache_path(pv, "plain", phex, cause)) == NULL)
		goto out;
	if ((in = open(plain, O_RDONLY | O_CLOEXEC)) == -1) {
		cause_set(cause, "%s: %s", plain, strerror(errno));
		goto out;
	}
	if ((out = ps_tmp_open(pv, "gz", &tmp, cause)) == -1)
		goto out;
	publish_stream_trim();
	ph = phase_enter(PHASE_COMPRESS);
	rc = compress_gzip_fd(in, out, tmp, ghex, glen, cause);
	phase_leave(ph);
	if (rc != 0) {
		rc = -1;
		close(out);
		unlink(tmp);
		goto out;
	}
	rc = -1;
	/* A stale file without its sum is replaced. */
	unlink(path);
	if (ps_tmp_commit(out, tmp, path, cause) != 0 ||
	    ps_write_sum(side, ghex, *glen, cause) != 0)
		goto out;
link:
	rc = ps_link(pv, path, relpath, cause);
out:
	if (in != -1)
		close(in);
	free(tmp);
	free(plain);
	free(side);
	free(path);
	return rc;
}

int
publish_stream_gzip_mem(struct pub_view *pv, const char *phex,
    const void *plain, size_t len, char *ghex, size_t *glen, char **cause)
{
	char		*path, *side, *tmp = NULL;
	enum phase	 ph;
	int		 out, rc = -1;

	if ((path = ps_cache_path(pv, "gz", phex, cause)) == NULL)
		return -1;
	xasprintf(&side, "%s.sum", path);
	if ((out = ps_tmp_open(pv, "gz", &tmp, cause)) == -1)
		goto out;
	ph = phase_enter(PHASE_COMPRESS);
	rc = compress_gzip_mem_fd(plain, len, out, tmp, ghex, glen, cause);
	phase_leave(ph);
	if (rc != 0) {
		rc = -1;
		close(out);
		unlink(tmp);
		goto out;
	}
	rc = -1;
	unlink(path);
	if (ps_tmp_commit(out, tmp, path, cause) != 0 ||
	    ps_write_sum(side, ghex, *glen, cause) != 0)
		goto out;
	rc = 0;
out:
	free(tmp);
	free(side);
	free(path);
	return rc;
}

/*
 * Gives the heap's free pages back to the system: parsing and the
 * store's bulk work leave holes that the next phase would otherwise
 * carry in its resident size.
 */
void
publish_stream_trim(void)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

int
publish_stream_link(struct pub_view *pv, const char *phex, const char *relpath,
    const char *gzpath, const char *gzphex, char **cause)
{
	char	*path;
	int	 rc;

	if ((path = ps_cache_path(pv, "plain", phex, cause)) == NULL)
		return -1;
	rc = ps_link(pv, path, relpath, cause);
	free(path);
	if (rc != 0 || gzpath == NULL)
		return rc;
	if ((path = ps_cache_path(pv, "gz", gzphex, cause)) == NULL)
		return -1;
	rc = ps_link(pv, path, gzpath, cause);
	free(path);
	return rc;
}

int
publish_stream_link_file(struct pub_view *pv, const char *src,
    const char *relpath, char **cause)
{
	return ps_link(pv, src, relpath, cause);
}

int
publish_stream_cached(struct pub_view *pv, const char *phex)
{
	char	*path, *why = NULL;
	int	 there;

	if ((path = ps_cache_path(pv, "plain", phex, &why)) == NULL) {
		free(why);
		return 0;
	}
	there = access(path, F_OK) == 0;
	free(path);
	return there;
}

/*
 * The gzip form of an index made ahead, in a thread, while the sync
 * commits and publishing loads facts and plans: views that serve
 * upstream's own index (publish_apt.c) then find it compressed.  One
 * thread, so that the work it runs beside keeps the other core: started
 * when the sync has parsed the index, it is done before the first view
 * is written.  One at a time; its result is only a file in the cache,
 * which publish_stream_gzip() finds or makes.
 */
static struct {
	pthread_t	 ga_thread;
	int		 ga_started;
	char		*ga_plain;
	char		*ga_path;
	char		*ga_tmp;
} ps_ahead;

static void *
ps_ahead_run(void *arg)
{
	char	 ghex[HASH_HEX_MAX], *side, *why = NULL;
	size_t	 glen;
	int	 in, out, ok = 0;

	(void)arg;
	if ((in = open(ps_ahead.ga_plain, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if ((out = open(ps_ahead.ga_tmp, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0644)) != -1) {
		ok = compress_gzip_fd_background(in, out, ps_ahead.ga_tmp,
		    ghex, &glen, &why) == 0;
		if (ok && access(ps_ahead.ga_path, F_OK) != 0)
			ok = ps_tmp_commit(out, ps_ahead.ga_tmp,
			    ps_ahead.ga_path, &why) == 0;
		else {
			close(out);
			unlink(ps_ahead.ga_tmp);
			ok = 0;
		}
	}
	close(in);
	if (ok) {
		xasprintf(&side, "%s.sum", ps_ahead.ga_path);
		if (ps_write_sum(side, ghex, glen, &why) != 0)
			unlink(ps_ahead.ga_path);
		free(side);
	}
	free(why);
	return NULL;
}

void
publish_stream_gzip_wait(void)
{
	if (ps_ahead.ga_started)
		pthread_join(ps_ahead.ga_thread, NULL);
	ps_ahead.ga_started = 0;
	free(ps_ahead.ga_plain);
	free(ps_ahead.ga_path);
	free(ps_ahead.ga_tmp);
	ps_ahead.ga_plain = ps_ahead.ga_path = ps_ahead.ga_tmp = NULL;
}

void
publish_stream_gzip_ahead(const char *store_dir, const char *phex)
{
	char	*dir, *plain;

	/* Started already, by the sync that spooled the index. */
	xasprintf(&plain, "%s/cache/plain/%s", store_dir, phex);
	if (ps_ahead.ga_started && strcmp(plain, ps_ahead.ga_plain) == 0) {
		free(plain);
		return;
	}
	publish_stream_gzip_wait();
	ps_ahead.ga_plain = plain;
	xasprintf(&dir, "%s/cache/gz", store_dir);
	xasprintf(&ps_ahead.ga_path, "%s/%s", dir, phex);
	xasprintf(&ps_ahead.ga_tmp, "%s/.tmp.%ld.ahead", dir, (long)getpid());
	if (access(ps_ahead.ga_plain, F_OK) != 0 ||
	    access(ps_ahead.ga_path, F_OK) == 0 || mkdir_p(dir, 0755) == -1 ||
	    pthread_create(&ps_ahead.ga_thread, NULL, ps_ahead_run,
	    NULL) != 0) {
		free(dir);
		publish_stream_gzip_wait();
		return;
	}
	free(dir);
	ps_ahead.ga_started = 1;
}
