/*
 * The serving cache: a request for a stored file costs no filesystem
 * walk.  Published generations never change in place, so what a path of
 * a generation resolves to (an open file and its validators, or nothing)
 * holds until inotify reports a change in the generation's directory (a
 * store rebuilt under the same path, a generation deleted); a view's
 * `current` link holds until inotify reports a change in the view's
 * directory (a publish).  The inotify event has the loop's highest
 * priority, so a request that arrives after a publish finished never sees
 * the generation before it.
 *
 * Open files are kept as libevent file segments that own their
 * descriptor: responses queue them for sendfile, and an entry dropped
 * while a response still sends it closes the descriptor only after.  A
 * small file is read into memory by the worker pool after its first use
 * and then goes out in one write with its headers.  Entries are reference
 * counted and bounded by number, by open descriptors and by bytes held.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/inotify.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "blob.h"
#include "cache.h"
#include "log.h"
#include "proxy.h"
#include "util.h"
#include "view.h"

#define CACHE_BUCKETS		4096		/* a power of two */
#define CACHE_MAX_ENTRIES	8192		/* negative ones too */
#define CACHE_MAX_FDS		256
#define CACHE_SMALL		(64 * 1024)	/* read into memory */
#define CACHE_MAX_DATA		(64LL * 1024 * 1024)

#define CACHE_DIR_EVENTS	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | \
	IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF | \
	IN_ONLYDIR)

/* A view's directory and what its current link points to. */
struct cache_view {
	char			*cv_dir;
	char			*cv_gen;	/* NULL: the view has none */
	int			 cv_valid;
	int			 cv_wd;
	LIST_ENTRY(cache_view)	 cv_link;
};

/* A generation directory whose files have entries. */
struct cache_gen {
	char				*cg_path;
	int				 cg_wd;		/* -1: not watched */
	LIST_HEAD(, cache_file)		 cg_files;
	LIST_ENTRY(cache_gen)		 cg_link;
};

struct cache {
	struct event_base	*ca_base;
	struct pool		*ca_pool;
	struct gate_cache	*ca_gates;
	struct blobstore	*ca_blobs;
	int			 ca_ifd;	/* inotify; -1: none */
	struct event		*ca_iev;
	LIST_HEAD(, cache_view)	 ca_views;
	LIST_HEAD(, cache_gen)	 ca_gens;
	struct cache_file	*ca_buckets[CACHE_BUCKETS];
	TAILQ_HEAD(cache_file_lru_head, cache_file) ca_lru;	/* newest first */
	long long		 ca_entries;
	long long		 ca_fds;
	long long		 ca_data;	/* bytes in memory */
	struct evbuffer		*ca_body;	/* cache_send's, empty between */
};

/* A read of a small file into memory, on the pool. */
struct cache_read {
	struct cache_file	*cr_file;
	char			*cr_data;
	size_t			 cr_len;
	int			 cr_ok;
};

static uint64_t
cache_hash(const char *s)
{
	uint64_t	h = 14695981039346656037ULL;	/* FNV-1a */

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static void
cache_file_free(struct cache_file *cf)
{
	struct cache	*ca = cf->cf_cache;

	if (cf->cf_seg != NULL) {
		/* Closes the descriptor once no response sends it. */
		evbuffer_file_segment_free(cf->cf_seg);
		ca->ca_fds--;
	} else if (cf->cf_fd != -1) {
		close(cf->cf_fd);
		ca->ca_fds--;
	}
	if (cf->cf_data != NULL) {
		ca->ca_data -= cf->cf_sb.st_size;
		free(cf->cf_data);
	}
	free(cf->cf_key);
	free(cf->cf_path);
	free(cf);
}

void
cache_file_unref(struct cache_file *cf)
{
	if (cf != NULL && --cf->cf_refs == 0)
		cache_file_free(cf);
}

/* Takes cf out of the table; it goes when its last user lets go. */
static void
cache_file_drop(struct cache_file *cf)
{
	struct cache		*ca = cf->cf_cache;
	struct cache_file	**pp;

	if (!cf->cf_listed)
		return;
	for (pp = &ca->ca_buckets[cf->cf_hash & (CACHE_BUCKETS - 1)];
	    *pp != NULL; pp = &(*pp)->cf_next) {
		if (*pp == cf) {
			*pp = cf->cf_next;
			break;
		}
	}
	TAILQ_REMOVE(&ca->ca_lru, cf, cf_lru);
	if (cf->cf_gen != NULL)
		LIST_REMOVE(cf, cf_genlink);
	cf->cf_listed = 0;
	ca->ca_entries--;
	cache_file_unref(cf);
}

/* Makes room: the least recently used entries go first. */
static void
cache_trim(struct cache *ca)
{
	struct cache_file	*cf, *prev;

	for (cf = TAILQ_LAST(&ca->ca_lru, cache_file_lru_head); cf != NULL &&
	    (ca->ca_entries > CACHE_MAX_ENTRIES || ca->ca_fds > CACHE_MAX_FDS ||
	    ca->ca_data > CACHE_MAX_DATA); cf = prev) {
		prev = TAILQ_PREV(cf, cache_file_lru_head, cf_lru);
		cache_file_drop(cf);
	}
}

static struct cache_file *
cache_find(struct cache *ca, const char *key, uint64_t h)
{
	struct cache_file	*cf;

	for (cf = ca->ca_buckets[h & (CACHE_BUCKETS - 1)]; cf != NULL;
	    cf = cf->cf_next) {
		if (cf->cf_hash == h && strcmp(cf->cf_key, key) == 0) {
			/* The most recently used goes to the front. */
			if (cf != TAILQ_FIRST(&ca->ca_lru)) {
				TAILQ_REMOVE(&ca->ca_lru, cf, cf_lru);
				TAILQ_INSERT_HEAD(&ca->ca_lru, cf, cf_lru);
			}
			return cf;
		}
	}
	return NULL;
}

/* Lists cf (which holds one reference for the table). */
static void
cache_insert(struct cache *ca, struct cache_file *cf, struct cache_gen *cg)
{
	size_t	b = cf->cf_hash & (CACHE_BUCKETS - 1);

	cf->cf_next = ca->ca_buckets[b];
	ca->ca_buckets[b] = cf;
	TAILQ_INSERT_HEAD(&ca->ca_lru, cf, cf_lru);
	cf->cf_gen = cg;
	if (cg != NULL)
		LIST_INSERT_HEAD(&cg->cg_files, cf, cf_genlink);
	cf->cf_listed = 1;
	cf->cf_refs++;
	ca->ca_entries++;
	cache_trim(ca);
}

/* Forgets every entry of cg, and what the gate knows of it. */
static void
cache_gen_flush(struct cache *ca, struct cache_gen *cg)
{
	struct cache_file	*cf;

	while ((cf = LIST_FIRST(&cg->cg_files)) != NULL)
		cache_file_drop(cf);
	gate_recheck(ca->ca_gates, cg->cg_path);
}

static void
cache_gen_free(struct cache *ca, struct cache_gen *cg)
{
	cache_gen_flush(ca, cg);
	LIST_REMOVE(cg, cg_link);
	if (cg->cg_wd != -1 && ca->ca_ifd != -1)
		inotify_rm_watch(ca->ca_ifd, cg->cg_wd);
	free(cg->cg_path);
	free(cg);
}

/* The record of generation gen, watched from now on; NULL: no memory. */
static struct cache_gen *
cache_gen_get(struct cache *ca, const char *gen)
{
	struct cache_gen	*cg;

	LIST_FOREACH(cg, &ca->ca_gens, cg_link) {
		if (strcmp(cg->cg_path, gen) == 0)
			break;
	}
	if (cg == NULL) {
		if ((cg = calloc(1, sizeof *cg)) == NULL ||
		    (cg->cg_path = strdup(gen)) == NULL) {
			free(cg);
			return NULL;
		}
		cg->cg_wd = -1;
		LIST_INIT(&cg->cg_files);
		LIST_INSERT_HEAD(&ca->ca_gens, cg, cg_link);
	}
	if (cg->cg_wd == -1 && ca->ca_ifd != -1)
		cg->cg_wd = inotify_add_watch(ca->ca_ifd, gen, CACHE_DIR_EVENTS);
	/* Unwatched, nothing of it can be trusted beyond this request. */
	if (cg->cg_wd == -1)
		cache_gen_flush(ca, cg);
	return cg;
}

static void
cache_inotify_event(struct cache *ca, const struct inotify_event *ie)
{
	struct cache_view	*cv;
	struct cache_gen	*cg, *next;

	LIST_FOREACH(cv, &ca->ca_views, cv_link) {
		if (cv->cv_wd != ie->wd && !(ie->mask & IN_Q_OVERFLOW))
			continue;
		cv->cv_valid = 0;
		if (ie->mask & IN_IGNORED)
			cv->cv_wd = -1;
	}
	for (cg = LIST_FIRST(&ca->ca_gens); cg != NULL; cg = next) {
		next = LIST_NEXT(cg, cg_link);
		if (cg->cg_wd != ie->wd && !(ie->mask & IN_Q_OVERFLOW))
			continue;
		if (ie->mask & IN_IGNORED) {
			cg->cg_wd = -1;		/* the kernel removed the watch */
			cache_gen_free(ca, cg);
		} else
			cache_gen_flush(ca, cg);
	}
}

/* inotify: a view or a generation changed on disk. */
static void
cache_inotify(evutil_socket_t fd, short events, void *arg)
{
	struct cache			*ca = arg;
	char				 buf[16384]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event	*ie;
	ssize_t				 n;
	char				*p;

	for (;;) {
		if ((n = read(fd, buf, sizeof buf)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			return;
		}
		for (p = buf; p < buf + n; p += sizeof *ie + ie->len) {
			ie = (const struct inotify_event *)p;
			cache_inotify_event(ca, ie);
		}
	}
}

struct cache *
cache_new(struct event_base *base, struct pool *pool, struct gate_cache *gates,
    struct blobstore *blobs, char **cause)
{
	struct cache	*ca;

	if ((ca = calloc(1, sizeof *ca)) == NULL) {
		cause_set(cause, "out of memory");
		return NULL;
	}
	ca->ca_base = base;
	ca->ca_pool = pool;
	ca->ca_gates = gates;
	ca->ca_blobs = blobs;
	LIST_INIT(&ca->ca_views);
	LIST_INIT(&ca->ca_gens);
	TAILQ_INIT(&ca->ca_lru);
	/* Sending moves a body's chains out: one buffer serves every answer. */
	if ((ca->ca_body = evbuffer_new()) == NULL) {
		cause_set(cause, "out of memory");
		free(ca);
		return NULL;
	}
	ca->ca_ifd = -1;
	/* Without inotify nothing is kept: every request looks again. */
	if ((ca->ca_ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		log_warn("inotify: files are looked up at every request");
	else if ((ca->ca_iev = event_new(base, ca->ca_ifd, EV_READ | EV_PERSIST,
	    cache_inotify, ca)) == NULL || event_add(ca->ca_iev, NULL) == -1) {
		cause_set(cause, "out of memory");
		cache_free(ca);
		return NULL;
	}
	/* Before any request of the same loop turn (patchgated.c). */
	if (ca->ca_iev != NULL && event_base_get_npriorities(base) > 1)
		event_priority_set(ca->ca_iev, 0);
	return ca;
}

void
cache_free(struct cache *ca)
{
	struct cache_view	*cv;
	struct cache_gen	*cg;
	struct cache_file	*cf;

	if (ca == NULL)
		return;
	while ((cv = LIST_FIRST(&ca->ca_views)) != NULL) {
		LIST_REMOVE(cv, cv_link);
		free(cv->cv_dir);
		free(cv->cv_gen);
		free(cv);
	}
	while ((cg = LIST_FIRST(&ca->ca_gens)) != NULL)
		cache_gen_free(ca, cg);
	while ((cf = TAILQ_FIRST(&ca->ca_lru)) != NULL)
		cache_file_drop(cf);
	if (ca->ca_iev != NULL)
		event_free(ca->ca_iev);
	if (ca->ca_ifd != -1)
		close(ca->ca_ifd);
	evbuffer_free(ca->ca_body);
	free(ca);
}

/* Whether dir is store/views/group/mirror, compared without building it. */
static int
cache_view_is(const char *dir, const char *store, const char *group,
    const char *mirror)
{
	size_t	len;

	len = strlen(store);
	if (strncmp(dir, store, len) != 0 || strncmp(dir + len, "/views/", 7) != 0)
		return 0;
	dir += len + 7;
	len = strlen(group);
	if (strncmp(dir, group, len) != 0 || dir[len] != '/')
		return 0;
	return strcmp(dir + len + 1, mirror) == 0;
}

char *
cache_current(struct cache *ca, const char *store, const char *group,
    const char *mirror)
{
	struct cache_view	*cv;
	char			 dir[PATH_MAX];
	char			*gen;

	LIST_FOREACH(cv, &ca->ca_views, cv_link) {
		if (cache_view_is(cv->cv_dir, store, group, mirror))
			break;
	}
	if (cv != NULL && cv->cv_valid)
		return cv->cv_gen != NULL ? strdup(cv->cv_gen) : NULL;
	if (snprintf(dir, sizeof dir, "%s/views/%s/%s", store, group,
	    mirror) >= (int)sizeof dir)
		return NULL;
	if (cv == NULL && (cv = calloc(1, sizeof *cv)) != NULL) {
		if ((cv->cv_dir = strdup(dir)) == NULL) {
			free(cv);
			cv = NULL;
		} else {
			cv->cv_wd = -1;
			LIST_INSERT_HEAD(&ca->ca_views, cv, cv_link);
		}
	}
	/* Watched before the link is read: no change can fall between. */
	if (cv != NULL && cv->cv_wd == -1 && ca->ca_ifd != -1)
		cv->cv_wd = inotify_add_watch(ca->ca_ifd, dir, CACHE_DIR_EVENTS);
	gen = view_current(store, group, mirror);
	if (cv != NULL && cv->cv_wd != -1) {
		free(cv->cv_gen);
		cv->cv_gen = NULL;
		if (gen == NULL || (cv->cv_gen = strdup(gen)) != NULL)
			cv->cv_valid = 1;
	}
	return gen;
}

/*
 * Opens path if it is a regular file whose real path is inside tree.
 * Returns the descriptor and the real path (caller-freed), or -1 with
 * errno (ENOENT for a file that is not there or may not be served).
 */
static int
cache_open_tree(const char *tree, const char *rel, struct stat *sb,
    char **realp)
{
	char	*path = NULL, treereal[PATH_MAX], real[PATH_MAX];
	size_t	 len;
	int	 fd = -1, saved;

	if (realpath(tree, treereal) == NULL)
		return -1;
	if (asprintf(&path, "%s/%s", treereal, rel) == -1) {
		errno = ENOMEM;
		return -1;
	}
	if (realpath(path, real) == NULL)
		goto out;
	len = strlen(treereal);
	if (strncmp(real, treereal, len) != 0 || real[len] != '/') {
		log_warnx("%s: leads out of %s (to %s); refused", path, tree,
		    real);
		errno = ENOENT;
		goto out;
	}
	if ((fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		goto out;
	if (fstat(fd, sb) == -1 || !S_ISREG(sb->st_mode) ||
	    (*realp = strdup(real)) == NULL) {
		saved = S_ISREG(sb->st_mode) ? ENOMEM : ENOENT;
		close(fd);
		fd = -1;
		errno = saved;
	}
out:
	saved = errno;
	free(path);
	errno = saved;
	return fd;
}

/*
 * Joins a, b and c into buf, the key of an entry: no allocation for a
 * lookup that finds it.  -1 with ENAMETOOLONG when it does not fit.
 */
static int
cache_key(char *buf, size_t size, const char *a, const char *b, const char *c)
{
	size_t	la = strlen(a), lb = strlen(b), lc = strlen(c);

	if (la + lb + lc >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, a, la);
	memcpy(buf + la, b, lb);
	memcpy(buf + la + lb, c, lc + 1);
	return 0;
}

static struct cache_file *
cache_file_new(struct cache *ca, char *key, uint64_t h)
{
	struct cache_file	*cf;

	if ((cf = calloc(1, sizeof *cf)) == NULL) {
		free(key);
		errno = ENOMEM;
		return NULL;
	}
	cf->cf_cache = ca;
	cf->cf_key = key;
	cf->cf_hash = h;
	cf->cf_fd = -1;
	cf->cf_refs = 1;	/* the caller's */
	return cf;
}

/* Hands fd to a file segment, which closes it when the last user is done. */
static int
cache_file_open(struct cache_file *cf, int fd)
{
	cf->cf_seg = evbuffer_file_segment_new(fd, 0, cf->cf_sb.st_size,
	    EVBUF_FS_CLOSE_ON_FREE);
	if (cf->cf_seg == NULL) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	cf->cf_fd = fd;
	cf->cf_cache->ca_fds++;
	return 0;
}

struct cache_file *
cache_tree(struct cache *ca, const char *gen, const char *rel)
{
	struct cache_file	*cf;
	struct cache_gen	*cg;
	char			 buf[PATH_MAX + 8], *key, *tree;
	uint64_t		 h;
	int			 fd, saved;

	if (cache_key(buf, sizeof buf, gen, "/tree/", rel) == -1)
		return NULL;
	h = cache_hash(buf);
	if ((cf = cache_find(ca, buf, h)) != NULL) {
		if (cf->cf_negative) {
			errno = cf->cf_errno;
			return NULL;
		}
		cf->cf_refs++;
		return cf;
	}
	if ((key = strdup(buf)) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if ((cg = cache_gen_get(ca, gen)) == NULL ||
	    (cf = cache_file_new(ca, key, h)) == NULL) {
		if (cg == NULL)
			free(key);
		errno = ENOMEM;
		return NULL;
	}
	tree = cf->cf_key + strlen(gen) + strlen("/tree");
	*tree = '\0';		/* gen/tree, for a moment */
	fd = cache_open_tree(cf->cf_key, rel, &cf->cf_sb, &cf->cf_path);
	saved = errno;
	*tree = '/';
	if (fd == -1 || cache_file_open(cf, fd) == -1) {
		if (fd == -1 && (saved == ENOENT || saved == ENOTDIR ||
		    saved == ENAMETOOLONG || saved == ELOOP) && cg->cg_wd != -1) {
			cf->cf_negative = 1;
			cf->cf_errno = saved;
			cache_insert(ca, cf, cg);
		}
		cache_file_unref(cf);
		errno = fd == -1 ? saved : ENOMEM;
		return NULL;
	}
	if (cg->cg_wd != -1)
		cache_insert(ca, cf, cg);
	return cf;
}

struct cache_file *
cache_blob(struct cache *ca, const char *algo, const char *hex)
{
	struct cache_file	*cf;
	char			 buf[256], *key, *path;
	uint64_t		 h;
	int			 fd;

	if (cache_key(buf, sizeof buf, "blob:", algo, ":") == -1 ||
	    cache_key(buf + strlen(buf), sizeof buf - strlen(buf), hex, "",
	    "") == -1)
		return NULL;
	h = cache_hash(buf);
	if ((cf = cache_find(ca, buf, h)) != NULL) {
		cf->cf_refs++;
		return cf;
	}
	if ((key = strdup(buf)) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	/* Not cached when missing: it may be stored any time. */
	if ((path = blob_path(ca->ca_blobs, algo, hex)) == NULL) {
		free(key);
		errno = ENOENT;
		return NULL;
	}
	if ((cf = cache_file_new(ca, key, h)) == NULL) {
		free(path);
		return NULL;
	}
	cf->cf_path = path;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &cf->cf_sb) == -1 || !S_ISREG(cf->cf_sb.st_mode)) {
		/* Gone since blob_path() saw it. */
		log_warn("%s", path);
		if (fd != -1)
			close(fd);
		cache_file_unref(cf);
		errno = ENOENT;
		return NULL;
	}
	if (cache_file_open(cf, fd) == -1) {
		cache_file_unref(cf);
		return NULL;
	}
	/* A blob never changes: it stays until the cache needs room. */
	cache_insert(ca, cf, NULL);
	return cf;
}

static void
cache_read_work(void *arg)
{
	struct cache_read	*cr = arg;
	struct cache_file	*cf = cr->cr_file;
	size_t			 off = 0;
	ssize_t			 n;

	if ((cr->cr_data = malloc(cr->cr_len ? cr->cr_len : 1)) == NULL)
		return;
	while (off < cr->cr_len) {
		n = pread(cf->cf_fd, cr->cr_data + off, cr->cr_len - off, off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		off += n;
	}
	cr->cr_ok = 1;
}

static void
cache_read_done(void *arg)
{
	struct cache_read	*cr = arg;
	struct cache_file	*cf = cr->cr_file;
	struct cache		*ca = cf->cf_cache;

	cf->cf_reading = 0;
	if (cr->cr_ok && cf->cf_listed && cf->cf_data == NULL) {
		cf->cf_data = cr->cr_data;
		cr->cr_data = NULL;
		ca->ca_data += cr->cr_len;
		cache_trim(ca);
	}
	free(cr->cr_data);
	cache_file_unref(cf);
	free(cr);
}

/* Has the pool read a small, listed file into memory for the next users. */
static void
cache_read_soon(struct cache_file *cf)
{
	struct cache_read	*cr;

	if (cf->cf_data != NULL || cf->cf_reading || !cf->cf_listed ||
	    cf->cf_sb.st_size > CACHE_SMALL || cf->cf_cache->ca_pool == NULL)
		return;
	if ((cr = calloc(1, sizeof *cr)) == NULL)
		return;
	cr->cr_file = cf;
	cr->cr_len = cf->cf_sb.st_size;
	cf->cf_refs++;
	cf->cf_reading = 1;
	if (pool_run(cf->cf_cache->ca_pool, cache_read_work, cache_read_done,
	    cr) == -1) {
		cf->cf_reading = 0;
		cf->cf_refs--;
		free(cr);
	}
}

/* A response's reference to the bytes in memory ends. */
static void
cache_data_sent(const void *data, size_t len, void *arg)
{
	cache_file_unref(arg);
}

void
cache_send(struct evhttp_request *req, const struct resource *rs,
    struct cache_file *cf)
{
	struct evbuffer	*body = cf->cf_cache->ca_body;
	struct range	 rg;
	long long	 len;
	int		 code, fd, r;

	if ((code = server_begin(req, rs, &rg)) == 0)
		return;
	len = rg.rg_last - rg.rg_first + 1;
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD || len == 0) {
		server_reply(req, code, NULL);
		return;
	}
	/* TLS encrypts from memory: a descriptor of its own, read in pieces. */
	if (server_request_is_tls(req)) {
		if ((fd = open(cf->cf_path, O_RDONLY | O_CLOEXEC)) == -1) {
			log_warn("%s", cf->cf_path);
			server_error(req, 500, "cannot send the file");
			return;
		}
		tls_send_file(req, code, fd, &rg);
		return;
	}
	if (cf->cf_data != NULL) {
		cf->cf_refs++;
		r = evbuffer_add_reference(body, cf->cf_data + rg.rg_first, len,
		    cache_data_sent, cf);
		if (r == -1)
			cf->cf_refs--;
	} else {
		/* Queued as a sendfile chunk, not mapped into memory. */
		evbuffer_set_flags(body, EVBUFFER_FLAG_DRAINS_TO_FD);
		r = evbuffer_add_file_segment(body, cf->cf_seg, rg.rg_first, len);
		cache_read_soon(cf);
	}
	if (r == -1) {
		server_error(req, 500, "cannot send the file");
		return;
	}
	if (cf->cf_data != NULL)
		server_reply_file(req, code, body);
	else
		server_reply_segment(req, code, body);
	/* Sending took it all, unless the connection was gone. */
	evbuffer_drain(body, evbuffer_get_length(body));
}
