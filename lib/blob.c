/*
 * The local blob store: package files named by their checksum.  A blob is
 * written to ROOT/tmp under a unique name, hashed while it is written, and
 * renamed into place only once its size and checksum match, after an
 * fsync of the file and of its directory: no reader ever sees a partial
 * or unverified blob, whatever crashes when.
 *
 * Every file is kept once, under its SHA-256, whatever checksum the
 * metadata gave: ROOT/blobs/sha256/<2 hex>/<hex>.  A file that metadata
 * names by another algorithm gets an alias beside it,
 * ROOT/blobs/<algo>/<2 hex>/<hex>, a relative symbolic link to its sha256
 * file, so that two mirrors that list the same rpm with sha1 and sha256
 * share one copy.  The alias is made (renamed into place) only after the
 * file it names, so an alias without its file exists only once the file
 * was removed: it then counts as absent, and gc removes it.  Stores of
 * older versions hold plain files under blobs/<algo>/: they are found as
 * they are.
 *
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
	struct hash	*bw_sha256;	/* the file's name, when bw_algo is not sha256 */
	char		*bw_tmp;
	int		 bw_fd;
	char		*bw_error;	/* a failed write: commit fails too */
};

/* The directories under blobs/: sha256 holds files, the others aliases. */
static const struct {
	const char	*ba_name;
	size_t		 ba_len;	/* of the hex */
} blob_algos[] = {
	{ "sha256", 64 },
	{ "sha1", 40 },
	{ "sha512", 128 },
	{ "sha384", 96 },
	{ "sha224", 56 },
	{ "md5", 32 },
};
#define BLOB_NALGOS	(sizeof blob_algos / sizeof blob_algos[0])

static size_t
blob_hex_len(const char *algo)
{
	size_t	i;

	for (i = 0; i < BLOB_NALGOS; i++) {
		if (strcmp(algo, blob_algos[i].ba_name) == 0)
			return blob_algos[i].ba_len;
	}
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

/*
 * Where the alias at ROOT/blobs/<algo>/<xx>/<hex> leads: the sha256 hex
 * its target names, into sha (HASH_HEX_MAX bytes).  The target is
 * trusted no more than a client's URL: only "../../sha256/<xx>/<hex>"
 * with a valid hex is an alias.  -1 when path is no alias.
 */
static int
blob_alias_target(const char *path, char *sha)
{
	char	 target[160];
	ssize_t	 n;

	if ((n = readlink(path, target, sizeof target - 1)) == -1)
		return -1;
	target[n] = '\0';
	if (n != 6 + 7 + 3 + 64 || strncmp(target, "../../sha256/", 13) != 0 ||
	    target[15] != '/' || strncmp(target + 13, target + 16, 2) != 0 ||
	    blob_valid("sha256", target + 16) == NULL)
		return -1;
	memcpy(sha, target + 16, 65);
	return 0;
}

char *
blob_path(struct blobstore *bs, const char *algo, const char *hex)
{
	struct stat	 sb;
	const char	*canon;
	char		*path, *file, sha[HASH_HEX_MAX];

	if ((canon = blob_valid(algo, hex)) == NULL)
		return NULL;
	if ((path = blob_make_path(bs, canon, hex)) == NULL)
		return NULL;
	if (lstat(path, &sb) == -1) {
		free(path);
		return NULL;
	}
	/* A plain file: a sha256 blob, or one of an older store. */
	if (S_ISREG(sb.st_mode))
		return path;
	if (!S_ISLNK(sb.st_mode) || strcmp(canon, "sha256") == 0 ||
	    blob_alias_target(path, sha) == -1) {
		free(path);
		return NULL;
	}
	free(path);
	/* The file itself: callers link it and open it. */
	if ((file = blob_make_path(bs, "sha256", sha)) == NULL)
		return NULL;
	if (lstat(file, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		free(file);
		return NULL;
	}
	return file;
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

/* Fan-out directories per algorithm: blobs/<algo>/<2 hex>/. */
#define BLOB_PROBE_ALGOS	4

struct blob_probe {
	struct blobstore	*bp_store;
	struct {
		const char	*pa_canon;	/* static, NULL: free */
		signed char	 pa_dir[256];	/* 0 unknown, 1 there, -1 not */
	}			 bp_algos[BLOB_PROBE_ALGOS];
};

struct blob_probe *
blob_probe_new(struct blobstore *bs)
{
	struct blob_probe	*bp;

	if ((bp = calloc(1, sizeof *bp)) != NULL)
		bp->bp_store = bs;
	return bp;
}

void
blob_probe_free(struct blob_probe *bp)
{
	free(bp);
}

static int
blob_hexval(char c)
{
	return c >= 'a' ? c - 'a' + 10 : c - '0';
}

int
blob_probe_exists(struct blob_probe *bp, const char *algo, const char *hex)
{
	struct stat	 sb;
	const char	*canon;
	char		*dir;
	signed char	*state = NULL;
	size_t		 i;

	if (bp == NULL)
		return 0;
	if ((canon = blob_valid(algo, hex)) == NULL)
		return 0;
	for (i = 0; i < BLOB_PROBE_ALGOS && state == NULL; i++) {
		if (bp->bp_algos[i].pa_canon == NULL)
			bp->bp_algos[i].pa_canon = canon;
		if (bp->bp_algos[i].pa_canon == canon)
			state = &bp->bp_algos[i].pa_dir[blob_hexval(hex[0]) * 16 +
			    blob_hexval(hex[1])];
	}
	if (state != NULL && *state == 0) {
		if (asprintf(&dir, "%s/blobs/%s/%.2s", bp->bp_store->bs_root,
		    canon, hex) == -1)
			return blob_exists(bp->bp_store, algo, hex);
		*state = stat(dir, &sb) == 0 ? 1 : -1;
		free(dir);
	}
	if (state != NULL && *state == -1)
		return 0;
	return blob_exists(bp->bp_store, algo, hex);
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
	    (strcmp(canon, "sha256") != 0 &&
	    (w->bw_sha256 = hash_new("sha256")) == NULL) ||
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
	if (w->bw_sha256 != NULL)
		hash_update(w->bw_sha256, p, len);
	w->bw_written += len;
	return 0;
}

/* mkdir -p of the directory of path; -1 with the cause. */
static int
blob_mkdir_for(const char *path, char **cause)
{
	char	*dir, *slash;
	int	 rc = 0;

	if ((dir = strdup(path)) == NULL) {
		cause_set(cause, "%s: out of memory", path);
		return -1;
	}
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (mkdir_p(dir, 0755) == -1) {
		cause_set(cause, "%s: %s", dir, strerror(errno));
		rc = -1;
	}
	free(dir);
	return rc;
}

/* fsyncs the directory of path: a rename in it survives a crash. */
static void
blob_sync_dir_of(const char *path)
{
	char	*dir, *slash;

	if ((dir = strdup(path)) == NULL)
		return;
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (dir_sync(dir) == -1)
		log_warn("%s: fsync", dir);
	free(dir);
}

/*
 * Points the alias algo:hex at the sha256 file sha, atomically: a link
 * made in tmp/ under a name of this process (blob_tmp_clean removes it
 * after a crash) and renamed over whatever was there, an older store's
 * copy included, which is the same bytes.
 */
static int
blob_alias(struct blobstore *bs, const char *algo, const char *hex,
    const char *sha, char **cause)
{
	static unsigned	 seq;
	char		*alias = NULL, *tmp = NULL, target[96], cur[HASH_HEX_MAX];
	int		 rc = -1, tries;

	if ((alias = blob_make_path(bs, algo, hex)) == NULL) {
		cause_set(cause, "blob %s: out of memory", hex);
		return -1;
	}
	if (blob_alias_target(alias, cur) == 0 && strcmp(cur, sha) == 0) {
		free(alias);
		return 0;
	}
	if (blob_mkdir_for(alias, cause) != 0)
		goto out;
	snprintf(target, sizeof target, "../../sha256/%.2s/%s", sha, sha);
	for (tries = 0; tries < 100; tries++) {
		free(tmp);
		/* The daemon commits on several threads at once. */
		if (asprintf(&tmp, "%s/tmp/blob.%ld.alias%u", bs->bs_root,
		    (long)getpid(), __atomic_fetch_add(&seq, 1,
		    __ATOMIC_RELAXED)) == -1) {
			tmp = NULL;
			cause_set(cause, "blob %s: out of memory", hex);
			goto out;
		}
		if (symlink(target, tmp) == 0)
			break;
		if (errno != EEXIST || tries == 99) {
			cause_set(cause, "%s: %s", tmp, strerror(errno));
			goto out;
		}
	}
	if (rename(tmp, alias) == -1) {
		cause_set(cause, "%s: %s", alias, strerror(errno));
		unlink(tmp);
		goto out;
	}
	blob_sync_dir_of(alias);
	rc = 0;
out:
	free(tmp);
	free(alias);
	return rc;
}

int
blob_writer_commit(struct blob_writer *w, char **cause)
{
	struct stat	 sb;
	char		 got[HASH_HEX_MAX], sha[HASH_HEX_MAX], *final = NULL;

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
	if (w->bw_sha256 != NULL) {
		hash_final(w->bw_sha256, sha);
		w->bw_sha256 = NULL;
	} else
		memcpy(sha, got, sizeof sha);
	if ((final = blob_make_path(w->bw_store, "sha256", sha)) == NULL) {
		cause_set(cause, "blob %s: out of memory", w->bw_hex);
		goto fail;
	}
	/* The same file from another mirror, under another checksum: kept once. */
	if (lstat(final, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    sb.st_size == w->bw_written) {
		log_debug("blob %s:%s: stored already as sha256 %s", w->bw_algo,
		    w->bw_hex, sha);
		goto alias;
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
	if (blob_mkdir_for(final, cause) != 0)
		goto fail;
	if (rename(w->bw_tmp, final) == -1) {
		cause_set(cause, "%s: %s", final, strerror(errno));
		goto fail;
	}
	/* The blob is in place and correct; a crash may only lose it. */
	blob_sync_dir_of(final);
	free(w->bw_tmp);
	w->bw_tmp = NULL;
alias:
	if (strcmp(w->bw_algo, "sha256") != 0 &&
	    blob_alias(w->bw_store, w->bw_algo, w->bw_hex, sha, cause) != 0)
		goto fail;
	free(final);
	blob_writer_abort(w);
	return 0;
fail:
	free(final);
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
	hash_free(w->bw_sha256);
	free(w->bw_error);
	free(w);
}

int
blob_rekey(struct blobstore *bs, const char *algo, const char *hex, char *sha,
    char **cause)
{
	struct stat	 sb, fsb;
	struct hash	*h = NULL, *h256 = NULL;
	const char	*canon;
	char		*path = NULL, *final = NULL, got[HASH_HEX_MAX];
	char		 chunk[65536];
	ssize_t		 n;
	int		 fd = -1, rc = -1;

	if ((canon = blob_valid(algo, hex)) == NULL ||
	    strcmp(canon, "sha256") == 0) {
		cause_set(cause, "invalid %s checksum \"%.140s\"",
		    algo != NULL ? algo : "(no algorithm)", hex != NULL ? hex : "");
		return -1;
	}
	if ((path = blob_make_path(bs, canon, hex)) == NULL ||
	    (h = hash_new(canon)) == NULL || (h256 = hash_new("sha256")) == NULL) {
		cause_set(cause, "blob %s: out of memory", hex);
		goto out;
	}
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		cause_set(cause, "%s: %s", path, fd == -1 ? strerror(errno) :
		    "not a plain file");
		goto out;
	}
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			cause_set(cause, "%s: %s", path, strerror(errno));
			goto out;
		}
		hash_update(h, chunk, n);
		hash_update(h256, chunk, n);
	}
	hash_final(h, got);
	h = NULL;
	hash_final(h256, sha);
	h256 = NULL;
	/* Rotten on disk: served, it would fail every client's check. */
	if (strcmp(got, hex) != 0) {
		unlink(path);
		cause_set(cause, "%s: %s mismatch (expected %s, got %s); removed",
		    path, canon, hex, got);
		goto out;
	}
	if ((final = blob_make_path(bs, "sha256", sha)) == NULL) {
		cause_set(cause, "blob %s: out of memory", hex);
		goto out;
	}
	/* A second name of the same inode: no copy, no moment without it. */
	if (lstat(final, &fsb) == -1 || !S_ISREG(fsb.st_mode) ||
	    fsb.st_size != sb.st_size) {
		if (blob_mkdir_for(final, cause) != 0)
			goto out;
		unlink(final);
		if (link(path, final) == -1 && errno != EEXIST) {
			cause_set(cause, "%s: %s", final, strerror(errno));
			goto out;
		}
		blob_sync_dir_of(final);
	}
	rc = blob_alias(bs, canon, hex, sha, cause);
out:
	if (fd != -1)
		close(fd);
	hash_free(h);
	hash_free(h256);
	free(final);
	free(path);
	return rc;
}

/* Reports each valid entry of blobs/<algo>/<xx>/. */
static int
blob_scan_algo(struct blobstore *bs, const char *algo, blob_scan_fn fn,
    void *arg, char **cause)
{
	struct blob_entry	 be;
	struct stat		 sb, tsb;
	DIR			*d, *sub;
	struct dirent		*de, *fe;
	char			*dir, *subdir, *path, *file, sha[HASH_HEX_MAX];
	int			 rc = 0;

	if (asprintf(&dir, "%s/blobs/%s", bs->bs_root, algo) == -1) {
		cause_set(cause, "blobs: out of memory");
		return -1;
	}
	if ((d = opendir(dir)) == NULL) {
		if (errno != ENOENT) {
			cause_set(cause, "%s: %s", dir, strerror(errno));
			rc = -1;
		}
		free(dir);
		return rc;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strlen(de->d_name) != 2 || de->d_name[0] == '.')
			continue;
		if (asprintf(&subdir, "%s/%s", dir, de->d_name) == -1) {
			cause_set(cause, "blobs: out of memory");
			rc = -1;
			break;
		}
		if ((sub = opendir(subdir)) == NULL) {
			if (errno != ENOENT && errno != ENOTDIR) {
				cause_set(cause, "%s: %s", subdir,
				    strerror(errno));
				rc = -1;
			}
			free(subdir);
			continue;
		}
		while (rc == 0 && (fe = readdir(sub)) != NULL) {
			/* Only names a blob could have: never a stray file. */
			if (blob_valid(algo, fe->d_name) == NULL ||
			    strncmp(fe->d_name, de->d_name, 2) != 0)
				continue;
			if (asprintf(&path, "%s/%s", subdir, fe->d_name) == -1) {
				cause_set(cause, "blobs: out of memory");
				rc = -1;
				break;
			}
			if (lstat(path, &sb) == -1) {
				free(path);
				continue;	/* removed meanwhile */
			}
			memset(&be, 0, sizeof be);
			be.be_algo = algo;
			be.be_hex = fe->d_name;
			if (S_ISLNK(sb.st_mode)) {
				if (strcmp(algo, "sha256") == 0 ||
				    blob_alias_target(path, sha) == -1) {
					free(path);
					continue;
				}
				be.be_target = sha;
				file = blob_make_path(bs, "sha256", sha);
				be.be_dangling = file == NULL ||
				    lstat(file, &tsb) == -1 ||
				    !S_ISREG(tsb.st_mode);
				free(file);
			} else if (S_ISREG(sb.st_mode)) {
				be.be_size = sb.st_size;
				be.be_atime = sb.st_atime;
				/* A rename changes ctime: when it was stored. */
				be.be_stored = sb.st_mtime > sb.st_ctime ?
				    sb.st_mtime : sb.st_ctime;
			} else {
				free(path);
				continue;
			}
			free(path);
			rc = fn(&be, arg);
		}
		closedir(sub);
		free(subdir);
	}
	closedir(d);
	free(dir);
	return rc;
}

int
blob_scan(struct blobstore *bs, blob_scan_fn fn, void *arg, char **cause)
{
	size_t	i;

	for (i = 0; i < BLOB_NALGOS; i++) {
		if (blob_scan_algo(bs, blob_algos[i].ba_name, fn, arg, cause) != 0)
			return -1;
	}
	return 0;
}

int
blob_remove(struct blobstore *bs, const char *algo, const char *hex,
    char **cause)
{
	const char	*canon;
	char		*path;

	if ((canon = blob_valid(algo, hex)) == NULL) {
		cause_set(cause, "invalid %s checksum \"%.140s\"",
		    algo != NULL ? algo : "(no algorithm)", hex != NULL ? hex : "");
		return -1;
	}
	if ((path = blob_make_path(bs, canon, hex)) == NULL) {
		cause_set(cause, "blob %s: out of memory", hex);
		return -1;
	}
	/* unlink never follows an alias: it goes, its file stays. */
	if (unlink(path) == -1 && errno != ENOENT) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	return 0;
}
