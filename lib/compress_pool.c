/*
 * Parallel gzip of views, in reusable pieces (compress_pool.h).
 *
 * A chunk ends at the end of a line once it is COMPRESS_CHUNK_MIN long,
 * at the first line whose hash (of its first CP_LINE_HASHED bytes) has
 * its low CP_CUT_BITS bits clear: where chunks end depends on the lines
 * around, not on offsets, so that a package added or removed in a view
 * changes one chunk and leaves the following ones, and their members,
 * as they were.  Chunks average about COMPRESS_CHUNK_MIN plus 2^CP_CUT_BITS
 * lines, and one reaching COMPRESS_CHUNK_MAX ends at its last line end.
 *
 * The main thread reads up to COMPRESS_THREADS chunks, compresses the
 * first itself while helper threads compress the others, then writes the
 * members in order: the output depends on the input only, never on the
 * timing of the threads.  With a member cache, each thread first looks
 * for its chunk's member there, and uses it only after decompressing it
 * back to the chunk's very bytes: a damaged cache costs time, never a
 * wrong view.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libdeflate.h>

#include "compress_pool.h"
#include "hash.h"
#include "util.h"
#include "xmalloc.h"

#define CP_LEVEL	6
#define CP_LINE_HASHED	64
#define CP_CUT_BITS	12
/* Members are named for the compressor that made them. */
#define CP_MEMBER_TAG	"libdeflate" LIBDEFLATE_VERSION_STRING "-6"

/* One chunk's work. */
struct cp_job {
	struct libdeflate_compressor	*cj_c;
	struct libdeflate_decompressor	*cj_d;		/* checks cached members */
	const char			*cj_in;
	size_t				 cj_inlen;
	char				*cj_out;
	size_t				 cj_outsize;
	size_t				 cj_outlen;	/* 0: failed */
	char				*cj_check;	/* a member, decompressed */
	struct hash			*cj_hash;	/* of the chunk; cache */
	int				 cj_keep;	/* a member made is kept */
	char				 cj_path[PATH_MAX];
};

struct cp_ctx {
	struct cp_job	 cp_jobs[COMPRESS_THREADS];
	struct hash	*cp_hash;
	int		 cp_out;
	size_t		 cp_outlen;
	const char	*cp_what;
	size_t		 cp_threads;	/* chunks at once, <= COMPRESS_THREADS */
	int		 cp_cache;	/* members are looked for */
	int		 cp_keep;	/* and those made kept */
};

static char		*cp_cache_dir;	/* NULL: no member cache */
static unsigned long	 cp_serial;	/* temporary names; atomic */

void
compress_pool_cache(const char *dir)
{
	free(cp_cache_dir);
	cp_cache_dir = dir != NULL ? xstrdup(dir) : NULL;
}

/* A hash of a line's first bytes, eight at a time. */
static uint32_t
cp_line_hash(const char *p, size_t len)
{
	uint64_t	h = len, w;
	size_t		i;

	if (len > CP_LINE_HASHED)
		len = CP_LINE_HASHED;
	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		w = le64toh(w);		/* the same cuts on every machine */
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	if (i < len) {
		w = 0;
		memcpy(&w, p + i, len - i);
		w = le64toh(w);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	h *= 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(h >> 32);
}

/*
 * The length of the chunk that starts at p, of which avail bytes are
 * there (eof: no more follow); 0 when more input is needed to say.
 */
static size_t
cp_cut(const char *p, size_t avail, int eof)
{
	const char	*ls, *nl, *end = p + avail;

	if (avail <= COMPRESS_CHUNK_MIN)
		return eof ? avail : 0;
	/* The line that holds the byte at COMPRESS_CHUNK_MIN. */
	ls = memrchr(p, '\n', COMPRESS_CHUNK_MIN);
	ls = ls != NULL ? ls + 1 : p;
	while (ls < end) {
		nl = memchr(ls, '\n', end - ls);
		if (nl == NULL)
			break;
		if (nl + 1 - p > COMPRESS_CHUNK_MAX)
			return ls > p ? (size_t)(ls - p) : COMPRESS_CHUNK_MAX;
		if ((cp_line_hash(ls, nl - ls) &
		    ((1u << CP_CUT_BITS) - 1)) == 0)
			return nl + 1 - p;
		ls = nl + 1;
	}
	/* No line said where: the end, or as far as a chunk goes. */
	if (avail > COMPRESS_CHUNK_MAX)
		return ls > p && ls - p <= COMPRESS_CHUNK_MAX ?
		    (size_t)(ls - p) : COMPRESS_CHUNK_MAX;
	if (eof)
		return avail;
	return avail == COMPRESS_CHUNK_MAX ? (ls > p ? (size_t)(ls - p) :
	    COMPRESS_CHUNK_MAX) : 0;
}

/*
 * DIR/SHA256-TAG.gz of the chunk of cj into cj_path; 0 when it does not
 * fit.  On a helper thread: nothing here allocates, so that glibc gives
 * the thread no memory arena of its own to keep.
 */
static int
cp_member_path(struct cp_job *cj)
{
	char	hex[HASH_HEX_MAX];
	int	n;

	hash_update(cj->cj_hash, cj->cj_in, cj->cj_inlen);
	hash_final(cj->cj_hash, hex);	/* frees the hash */
	cj->cj_hash = NULL;
	n = snprintf(cj->cj_path, sizeof cj->cj_path, "%s/%s-%s.gz",
	    cp_cache_dir, hex, CP_MEMBER_TAG);
	return n > 0 && (size_t)n < sizeof cj->cj_path;
}

/* 1 when path holds a member of exactly cj's chunk, now in cj_out. */
static int
cp_member_load(struct cp_job *cj, const char *path)
{
	struct stat	 sb;
	size_t		 got = 0, in_used, out_len;
	ssize_t		 n;
	int		 fd, ok = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	if (fstat(fd, &sb) == -1 || sb.st_size <= 0 ||
	    (size_t)sb.st_size > cj->cj_outsize)
		goto out;
	while (got < (size_t)sb.st_size) {
		n = read(fd, cj->cj_out + got, (size_t)sb.st_size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		got += n;
	}
	if (libdeflate_gzip_decompress_ex(cj->cj_d, cj->cj_out, got,
	    cj->cj_check, COMPRESS_CHUNK_MAX, &in_used, &out_len) !=
	    LIBDEFLATE_SUCCESS || in_used != got || out_len != cj->cj_inlen ||
	    memcmp(cj->cj_check, cj->cj_in, out_len) != 0)
		goto out;
	cj->cj_outlen = got;
	ok = 1;
	/* Used: pruning goes by the last use (compress_pool_prune). */
	(void)futimens(fd, NULL);
out:
	close(fd);
	return ok;
}

/* Writes all of p; 0, or -1 with errno set. */
static int
cp_write_all(int fd, const char *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* Keeps cj's member at path; a cache that cannot is only slower. */
static void
cp_member_store(const struct cp_job *cj, const char *path)
{
	char	tmp[PATH_MAX];
	int	fd, n, ok;

	n = snprintf(tmp, sizeof tmp, "%s/.tmp.%ld.%lu", cp_cache_dir,
	    (long)getpid(), __atomic_fetch_add(&cp_serial, 1,
	    __ATOMIC_RELAXED));
	if (n <= 0 || (size_t)n >= sizeof tmp || (fd = open(tmp,
	    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) == -1)
		return;
	ok = cp_write_all(fd, cj->cj_out, cj->cj_outlen) == 0;
	if (close(fd) == -1)
		ok = 0;
	if (!ok || rename(tmp, path) == -1)
		unlink(tmp);
}

static void *
cp_run(void *arg)
{
	struct cp_job	*cj = arg;
	int		 cached = 0;

	cj->cj_outlen = 0;
	if (cj->cj_hash != NULL && cp_member_path(cj)) {
		cached = 1;
		if (cp_member_load(cj, cj->cj_path))
			return NULL;
	}
	cj->cj_outlen = libdeflate_gzip_compress(cj->cj_c, cj->cj_in,
	    cj->cj_inlen, cj->cj_out, cj->cj_outsize);
	if (cached && cj->cj_keep && cj->cj_outlen > 0)
		cp_member_store(cj, cj->cj_path);
	return NULL;
}

/*
 * The buffers of a compression, mapped rather than allocated: a large
 * block malloc()ed and freed raises glibc's mmap threshold, and the
 * allocations of that size that follow (SQLite's, libsolv's) would then
 * stay on the heap.  Mapped, they leave the heap as it was.
 */
static void *
cp_map(size_t len)
{
	void	*p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	return p != MAP_FAILED ? p : NULL;
}

static void
cp_unmap(void *p, size_t len)
{
	if (p != NULL)
		munmap(p, len);
}

static int
cp_init(struct cp_ctx *cp, int out, const char *what, char **cause)
{
	struct cp_job	*cj;
	size_t		 i;

	memset(cp, 0, sizeof *cp);
	cp->cp_out = out;
	cp->cp_what = what;
	cp->cp_threads = COMPRESS_THREADS;
	/* Without its directory, compress as without a cache. */
	cp->cp_cache = cp_cache_dir != NULL &&
	    mkdir_p(cp_cache_dir, 0755) == 0;
	cp->cp_keep = 1;
	for (i = 0; i < COMPRESS_THREADS; i++) {
		cj = &cp->cp_jobs[i];
		if ((cj->cj_c = libdeflate_alloc_compressor(CP_LEVEL)) ==
		    NULL) {
			cause_set(cause, "%s: gzip: cannot allocate a "
			    "compressor", what);
			return -1;
		}
		cj->cj_outsize = libdeflate_gzip_compress_bound(cj->cj_c,
		    COMPRESS_CHUNK_MAX);
		if ((cj->cj_out = cp_map(cj->cj_outsize)) == NULL)
			goto nomem;
		/* Here, not on the threads (cp_member_path). */
		if (cp->cp_cache) {
			if ((cj->cj_d = libdeflate_alloc_decompressor()) ==
			    NULL ||
			    (cj->cj_check = cp_map(COMPRESS_CHUNK_MAX)) == NULL)
				goto nomem;
		}
	}
	if ((cp->cp_hash = hash_new("sha256")) == NULL) {
		cause_set(cause, "%s: no sha256", what);
		return -1;
	}
	return 0;
nomem:
	cause_set(cause, "%s: gzip: %s", what, strerror(errno));
	return -1;
}

static void
cp_free(struct cp_ctx *cp)
{
	struct cp_job	*cj;
	size_t		 i;

	for (i = 0; i < COMPRESS_THREADS; i++) {
		cj = &cp->cp_jobs[i];
		if (cj->cj_c != NULL)
			libdeflate_free_compressor(cj->cj_c);
		if (cj->cj_d != NULL)
			libdeflate_free_decompressor(cj->cj_d);
		cp_unmap(cj->cj_out, cj->cj_outsize);
		cp_unmap(cj->cj_check, COMPRESS_CHUNK_MAX);
		if (cj->cj_hash != NULL)
			hash_free(cj->cj_hash);
	}
	if (cp->cp_hash != NULL)
		hash_free(cp->cp_hash);
}

static int
cp_write(struct cp_ctx *cp, const char *p, size_t len, char **cause)
{
	hash_update(cp->cp_hash, p, len);
	cp->cp_outlen += len;
	if (cp_write_all(cp->cp_out, p, len) == -1) {
		cause_set(cause, "%s: %s", cp->cp_what, strerror(errno));
		return -1;
	}
	return 0;
}

/* Compresses the first n jobs, on n threads, and writes them in order. */
static int
cp_batch(struct cp_ctx *cp, size_t n, char **cause)
{
	pthread_t	 tid[COMPRESS_THREADS];
	int		 started[COMPRESS_THREADS];
	size_t		 i;

	/* The threads allocate nothing (cp_member_path). */
	for (i = 0; i < n; i++) {
		if (cp->cp_cache && cp->cp_jobs[i].cj_inlen > 0)
			cp->cp_jobs[i].cj_hash = hash_new("sha256");
		cp->cp_jobs[i].cj_keep = cp->cp_keep;
	}
	for (i = 1; i < n; i++)
		started[i] = pthread_create(&tid[i], NULL, cp_run,
		    &cp->cp_jobs[i]) == 0;
	cp_run(&cp->cp_jobs[0]);
	for (i = 1; i < n; i++) {
		if (started[i])
			pthread_join(tid[i], NULL);
		else
			cp_run(&cp->cp_jobs[i]);	/* no thread: inline */
	}
	for (i = 0; i < n; i++) {
		if (cp->cp_jobs[i].cj_outlen == 0) {
			cause_set(cause, "%s: gzip: compression failed",
			    cp->cp_what);
			return -1;
		}
		if (cp_write(cp, cp->cp_jobs[i].cj_out,
		    cp->cp_jobs[i].cj_outlen, cause) != 0)
			return -1;
	}
	return 0;
}

/*
 * Cuts the chunks of the len bytes at p (eof: the document ends there)
 * into up to cp_threads jobs, compresses and writes them; the bytes used
 * come back in *used.  An empty document is one empty member.
 */
static int
cp_chunks(struct cp_ctx *cp, const char *p, size_t len, int eof,
    size_t *used, char **cause)
{
	size_t	n = 0, off = 0, cut;

	while (n < cp->cp_threads && off < len &&
	    (cut = cp_cut(p + off, len - off, eof)) > 0) {
		cp->cp_jobs[n].cj_in = p + off;
		cp->cp_jobs[n].cj_inlen = cut;
		off += cut;
		n++;
	}
	if (n == 0 && len == 0 && eof && cp->cp_outlen == 0) {
		cp->cp_jobs[0].cj_in = p;
		cp->cp_jobs[0].cj_inlen = 0;
		n = 1;
	}
	*used = off;
	return n > 0 ? cp_batch(cp, n, cause) : 0;
}

static void
cp_done(struct cp_ctx *cp, char *hex, size_t *outlen)
{
	hash_final(cp->cp_hash, hex);	/* frees the hash */
	cp->cp_hash = NULL;
	*outlen = cp->cp_outlen;
}

/*
 * compress_gzip_fd on at most threads threads; keep: members made are
 * kept in the cache.
 */
static int
cp_gzip_fd(int in, int out, const char *what, size_t threads, int keep,
    char *hex, size_t *outlen, char **cause)
{
	struct cp_ctx	 cp;
	char		*buf = NULL;
	size_t		 cap = COMPRESS_THREADS * COMPRESS_CHUNK_MAX, have = 0;
	size_t		 used;
	ssize_t		 n;
	int		 eof = 0, rc = -1;

	if (cp_init(&cp, out, what, cause) != 0)
		goto out;
	if (threads >= 1 && threads < COMPRESS_THREADS)
		cp.cp_threads = threads;
	cp.cp_keep = keep;
	if ((buf = cp_map(cap)) == NULL) {
		cause_set(cause, "%s: %s", what, strerror(errno));
		goto out;
	}
	for (;;) {
		while (!eof && have < cap) {
			n = read(in, buf + have, cap - have);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1) {
				cause_set(cause, "%s: %s", what,
				    strerror(errno));
				goto out;
			}
			if (n == 0)
				eof = 1;
			have += n;
		}
		if (cp_chunks(&cp, buf, have, eof, &used, cause) != 0)
			goto out;
		memmove(buf, buf + used, have - used);
		have -= used;
		if (eof && have == 0)
			break;
	}
	cp_done(&cp, hex, outlen);
	rc = 0;
out:
	cp_unmap(buf, cap);
	cp_free(&cp);
	return rc;
}

int
compress_gzip_fd(int in, int out, const char *what, char *hex,
    size_t *outlen, char **cause)
{
	return cp_gzip_fd(in, out, what, COMPRESS_THREADS, 1, hex, outlen,
	    cause);
}

int
compress_gzip_fd_background(int in, int out, const char *what, char *hex,
    size_t *outlen, char **cause)
{
	return cp_gzip_fd(in, out, what, 1, 0, hex, outlen, cause);
}

int
compress_gzip_mem_fd(const void *data, size_t len, int out, const char *what,
    char *hex, size_t *outlen, char **cause)
{
	struct cp_ctx	 cp;
	const char	*p = data;
	size_t		 off = 0, used;
	int		 rc = -1;

	if (cp_init(&cp, out, what, cause) != 0)
		goto out;
	do {
		if (cp_chunks(&cp, p + off, len - off, 1, &used, cause) != 0)
			goto out;
		off += used;
	} while (off < len);
	cp_done(&cp, hex, outlen);
	rc = 0;
out:
	cp_free(&cp);
	return rc;
}

int
compress_pool_prune(time_t max_age)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	char		*path;
	time_t		 now = time(NULL);
	size_t		 n;
	int		 removed = 0, tmp;

	if (cp_cache_dir == NULL || (d = opendir(cp_cache_dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		tmp = strncmp(de->d_name, ".tmp.", 5) == 0;
		if (!tmp && (n < 4 || strcmp(de->d_name + n - 3, ".gz") != 0))
			continue;
		xasprintf(&path, "%s/%s", cp_cache_dir, de->d_name);
		/* A temporary file an hour old was left by a killed run. */
		if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    sb.st_mtime + (tmp ? 3600 : max_age) < now &&
		    unlink(path) == 0)
			removed++;
		free(path);
	}
	closedir(d);
	return removed;
}
