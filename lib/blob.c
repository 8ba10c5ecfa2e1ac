/*
 * The local blob store: package files named by their checksum.  A blob is
 * written to ROOT/tmp under a unique name, hashed while it is written, and
 * renamed into ROOT/blobs/<algo>/<2 hex>/<hex> only once its size and
 * checksum match, after an fsync of the file and of its directory: no
 * reader ever sees a partial or unverified blob, whatever crashes when.
 * The proxy writes blobs on its request path, so allocation is checked.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blob.h"
#include "hash.h"
#include "log.h"
#include "util.h"

struct blobstore {
	char		*bs_root;
};

struct blob_writer {
	struct blobstore *bw_store;
	const char	*bw_algo;	/* canonical, static */
	char		 bw_hex[HASH_HEX_MAX];
	long long	 bw_size;	/* expected, -1: unknown */
	long long	 bw_written;
	struct hash	*bw_hash;
	char		*bw_tmp;
	int		 bw_fd;
	char		*bw_error;	/* a failed write: commit fails too */
};

static size_t
blob_hex_len(const char *algo)
{
	if (strcmp(algo, "md5") == 0)
		return 32;
	if (strcmp(algo, "sha1") == 0)
		return 40;
	if (strcmp(algo, "sha224") == 0)
		return 56;
	if (strcmp(algo, "sha256") == 0)
		return 64;
	if (strcmp(algo, "sha384") == 0)
		return 96;
	if (strcmp(algo, "sha512") == 0)
		return 128;
	return 0;
}

/*
 * Checks algo and hex before any path is built from them: the hex comes
 * from upstream metadata or a client's URL, and must not leave the tree.
 * Returns the canonical algorithm name or NULL.
 */
static const char *
blob_valid(const char *algo, const char *hex)
{
	const char	*canon;
	size_t		 len, i;

	if (algo == NULL || hex == NULL)
		return NULL;
	if ((canon = hash_canonical(algo)) == NULL)
		return NULL;
	len = blob_hex_len(canon);
	if (len == 0 || strlen(hex) != len)
		return NULL;
	for (i = 0; i < len; i++) {
		if ((hex[i] < '0' || hex[i] > '9') && (hex[i] < 'a' || hex[i] > 'f'))
			return NULL;
	}
	return canon;
}

static char *
blob_make_path(struct blobstore *bs, const char *canon, const char *hex)
{
	char	*path;

	if (asprintf(&path, "%s/blobs/%s/%.2s/%s", bs->bs_root, canon, hex,
	    hex) == -1)
		return NULL;
	return path;
}

/*
 * Removes ROOT/tmp/{blob,fetch}.PID.* of processes that are gone: a run
 * killed mid-download leaves its temporary file behind.  Files of live
 * processes (a sync beside the daemon) stay; a name without a PID (older
 * versions) goes once it is a day old.
 */
static void
blob_tmp_clean(const char *root)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	char		*dir, *path, *end;
	const char	*p;
	long		 pid;
	size_t		 n = 0;

	if (asprintf(&dir, "%s/tmp", root) == -1)
		return;
	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "blob.", 5) == 0)
			p = de->d_name + 5;
		else if (strncmp(de->d_name, "fetch.", 6) == 0)
			p = de->d_name + 6;
		else
			continue;
		if (asprintf(&path, "%s/%s", dir, de->d_name) == -1)
			break;
		pid = strtol(p, &end, 10);
		if (end != p && *end == '.' && pid > 0) {
			if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) {
				free(path);
				continue;
			}
		} else if (lstat(path, &sb) == -1 ||
		    sb.st_mtime > time(NULL) - 86400) {
			free(path);
			continue;
		}
		if (unlink(path) == 0)
			n++;
		free(path);
	}
	closedir(d);
	if (n > 0)
		log_info("%s: removed %zu temporary file%s of a stopped run",
		    dir, n, n == 1 ? "" : "s");
	free(dir);
}

struct blobstore *
blob_open(const char *root, char **cause)
{
	struct blobstore	*bs;
	char			*path;
	const char		*sub[] = { "blobs", "tmp" };
	size_t			 i;

	if ((bs = calloc(1, sizeof *bs)) == NULL ||
	    (bs->bs_root = strdup(root)) == NULL) {
		free(bs);
		cause_set(cause, "%s: out of memory", root);
		return NULL;
	}
	for (i = 0; i < sizeof sub / sizeof sub[0]; i++) {
		if (asprintf(&path, "%s/%s", root, sub[i]) == -1) {
			cause_set(cause, "%s: out of memory", root);
			blob_close(bs);
			return NULL;
		}
		if (mkdir_p(path, 0755) == -1) {
			cause_set(cause, "%s: %s", path, strerror(errno));
			free(path);
			blob_close(bs);
			return NULL;
		}
		free(path);
	}
	blob_tmp_clean(root);
	return bs;
}

void
blob_close(struct blobstore *bs)
{
	if (bs == NULL)
		return;
	free(bs->bs_root);
	free(bs);
}

char *
blob_path(struct blobstore *bs, const char *algo, const char *hex)
{
	struct stat	 sb;
	const char	*canon;
	char		*path;

	if ((canon = blob_valid(algo, hex)) == NULL)
		return NULL;
	if ((path = blob_make_path(bs, canon, hex)) == NULL)
		return NULL;
	if (stat(path, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		free(path);
		return NULL;
	}
	return path;
}

int
blob_exists(struct blobstore *bs, const char *algo, const char *hex)
{
	char	*path;

	if ((path = blob_path(bs, algo, hex)) == NULL)
		return 0;
	free(path);
	return 1;
}

struct blob_writer *
blob_writer_new(struct blobstore *bs, const char *algo, const char *hex,
    long long size, char **cause)
{
	struct blob_writer	*w;
	const char		*canon;

	if ((canon = blob_valid(algo, hex)) == NULL) {
		cause_set(cause, "invalid %s checksum \"%.140s\"",
		    hash_canonical(algo) != NULL ? algo : "(unknown algorithm)",
		    hex != NULL ? hex : "");
		return NULL;
	}
	if ((w = calloc(1, sizeof *w)) == NULL) {
		cause_set(cause, "blob %s: out of memory", hex);
		return NULL;
	}
	w->bw_store = bs;
	w->bw_algo = canon;
	memcpy(w->bw_hex, hex, strlen(hex) + 1);	/* length checked above */
	w->bw_size = size;
	w->bw_fd = -1;
	if ((w->bw_hash = hash_new(canon)) == NULL ||
	    asprintf(&w->bw_tmp, "%s/tmp/blob.%ld.XXXXXX", bs->bs_root,
	    (long)getpid()) == -1) {
		w->bw_tmp = NULL;
		cause_set(cause, "blob %s: out of memory", hex);
		blob_writer_abort(w);
		return NULL;
	}
	if ((w->bw_fd = mkostemp(w->bw_tmp, O_CLOEXEC)) == -1) {
		cause_set(cause, "%s: %s", w->bw_tmp, strerror(errno));
		free(w->bw_tmp);
		w->bw_tmp = NULL;
		blob_writer_abort(w);
		return NULL;
	}
	return w;
}

int
blob_writer_write(struct blob_writer *w, const void *p, size_t len,
    char **cause)
{
	const char	*cp = p;
	size_t		 left = len;
	ssize_t		 n;

	if (w->bw_error != NULL) {
		cause_set(cause, "%s", w->bw_error);
		return -1;
	}
	/* Stop a runaway upstream as soon as it sends more than announced. */
	if (w->bw_size >= 0 && w->bw_written + (long long)len > w->bw_size) {
		if (asprintf(&w->bw_error,
		    "size mismatch (expected %lld bytes, got more)",
		    w->bw_size) == -1)
			w->bw_error = NULL;
		cause_set(cause, "size mismatch (expected %lld bytes, got more)",
		    w->bw_size);
		return -1;
	}
	while (left > 0) {
		n = write(w->bw_fd, cp, left);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			if (asprintf(&w->bw_error, "%s: %s", w->bw_tmp,
			    strerror(errno)) == -1)
				w->bw_error = NULL;
			cause_set(cause, "%s: %s", w->bw_tmp, strerror(errno));
			return -1;
		}
		cp += n;
		left -= n;
	}
	hash_update(w->bw_hash, p, len);
	w->bw_written += len;
	return 0;
}

int
blob_writer_commit(struct blob_writer *w, char **cause)
{
	char	 got[HASH_HEX_MAX], *final = NULL, *dir = NULL, *slash;

	if (w->bw_error != NULL) {
		cause_set(cause, "%s", w->bw_error);
		goto fail;
	}
	if (w->bw_size >= 0 && w->bw_written != w->bw_size) {
		cause_set(cause, "size mismatch (expected %lld bytes, got %lld)",
		    w->bw_size, w->bw_written);
		goto fail;
	}
	hash_final(w->bw_hash, got);
	w->bw_hash = NULL;
	if (strcmp(got, w->bw_hex) != 0) {
		cause_set(cause, "%s mismatch (expected %s, got %s)", w->bw_algo,
		    w->bw_hex, got);
		goto fail;
	}
	/* mkstemp made it 0600; other users (the daemon) may read it. */
	if (fchmod(w->bw_fd, 0644) == -1 || fsync(w->bw_fd) == -1) {
		cause_set(cause, "%s: %s", w->bw_tmp, strerror(errno));
		goto fail;
	}
	if (close(w->bw_fd) == -1) {
		w->bw_fd = -1;
		cause_set(cause, "%s: %s", w->bw_tmp, strerror(errno));
		goto fail;
	}
	w->bw_fd = -1;
	if ((final = blob_make_path(w->bw_store, w->bw_algo, w->bw_hex)) == NULL ||
	    (dir = strdup(final)) == NULL) {
		cause_set(cause, "blob %s: out of memory", w->bw_hex);
		goto fail;
	}
	slash = strrchr(dir, '/');
	*slash = '\0';
	if (mkdir_p(dir, 0755) == -1) {
		cause_set(cause, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	if (rename(w->bw_tmp, final) == -1) {
		cause_set(cause, "%s: %s", final, strerror(errno));
		goto fail;
	}
	/* The blob is in place and correct; a crash may only lose it. */
	if (dir_sync(dir) == -1)
		log_warn("%s: fsync", dir);
	free(final);
	free(dir);
	free(w->bw_tmp);
	w->bw_tmp = NULL;
	blob_writer_abort(w);
	return 0;
fail:
	free(final);
	free(dir);
	blob_writer_abort(w);
	return -1;
}

int
blob_writer_fd(struct blob_writer *w)
{
	return w->bw_fd;
}

void
blob_writer_abort(struct blob_writer *w)
{
	if (w == NULL)
		return;
	if (w->bw_fd != -1)
		close(w->bw_fd);
	if (w->bw_tmp != NULL) {
		unlink(w->bw_tmp);
		free(w->bw_tmp);
	}
	hash_free(w->bw_hash);
	free(w->bw_error);
	free(w);
}
