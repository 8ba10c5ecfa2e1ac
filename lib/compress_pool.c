/*
 * Parallel gzip of views (compress_pool.h).  The main thread reads up to
 * COMPRESS_THREADS chunks, compresses the first itself while helper
 * threads compress the others, then writes the members in order: the
 * output depends on the input only, never on the timing of the threads.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libdeflate.h>

#include "compress_pool.h"
#include "hash.h"
#include "util.h"
#include "xmalloc.h"

/* One chunk's work. */
struct cp_job {
	struct libdeflate_compressor	*cj_c;
	const char			*cj_in;
	size_t				 cj_inlen;
	char				*cj_inbuf;	/* owned: read from an fd */
	char				*cj_out;
	size_t				 cj_outsize;
	size_t				 cj_outlen;	/* 0: failed */
};

struct cp_ctx {
	struct cp_job	 cp_jobs[COMPRESS_THREADS];
	struct hash	*cp_hash;
	int		 cp_out;
	size_t		 cp_outlen;
	const char	*cp_what;
	size_t		 cp_threads;	/* chunks at once, <= COMPRESS_THREADS */
};

static void *
cp_run(void *arg)
{
	struct cp_job	*cj = arg;

	cj->cj_outlen = libdeflate_gzip_compress(cj->cj_c, cj->cj_in,
	    cj->cj_inlen, cj->cj_out, cj->cj_outsize);
	return NULL;
}

static int
cp_init(struct cp_ctx *cp, int out, const char *what, int readbufs,
    char **cause)
{
	struct cp_job	*cj;
	size_t		 i;

	memset(cp, 0, sizeof *cp);
	cp->cp_threads = COMPRESS_THREADS;
	cp->cp_out = out;
	cp->cp_what = what;
	for (i = 0; i < COMPRESS_THREADS; i++) {
		cj = &cp->cp_jobs[i];
		if ((cj->cj_c = libdeflate_alloc_compressor(6)) == NULL) {
			cause_set(cause, "%s: gzip: cannot allocate a "
			    "compressor", what);
			return -1;
		}
		cj->cj_outsize = libdeflate_gzip_compress_bound(cj->cj_c,
		    COMPRESS_CHUNK);
		cj->cj_out = xmalloc(cj->cj_outsize);
		if (readbufs)
			cj->cj_inbuf = xmalloc(COMPRESS_CHUNK);
	}
	if ((cp->cp_hash = hash_new("sha256")) == NULL) {
		cause_set(cause, "%s: no sha256", what);
		return -1;
	}
	return 0;
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
		free(cj->cj_out);
		free(cj->cj_inbuf);
	}
	if (cp->cp_hash != NULL)
		hash_free(cp->cp_hash);
}

static int
cp_write(struct cp_ctx *cp, const char *p, size_t len, char **cause)
{
	ssize_t	n;

	hash_update(cp->cp_hash, p, len);
	cp->cp_outlen += len;
	while (len > 0) {
		if ((n = write(cp->cp_out, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			cause_set(cause, "%s: %s", cp->cp_what, strerror(errno));
			return -1;
		}
		p += n;
		len -= n;
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

static void
cp_done(struct cp_ctx *cp, char *hex, size_t *outlen)
{
	hash_final(cp->cp_hash, hex);	/* frees the hash */
	cp->cp_hash = NULL;
	*outlen = cp->cp_outlen;
}

/* Reads up to COMPRESS_CHUNK bytes, fewer only at the end. */
static ssize_t
cp_read_chunk(int fd, char *buf, const char *what, char **cause)
{
	size_t	got = 0;
	ssize_t	n;

	while (got < COMPRESS_CHUNK) {
		n = read(fd, buf + got, COMPRESS_CHUNK - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			cause_set(cause, "%s: %s", what, strerror(errno));
			return -1;
		}
		if (n == 0)
			break;
		got += n;
	}
	return got;
}

int
compress_gzip_fd(int in, int out, const char *what, char *hex,
    size_t *outlen, char **cause)
{
	return compress_gzip_fd_threads(in, out, what, COMPRESS_THREADS, hex,
	    outlen, cause);
}

int
compress_gzip_fd_threads(int in, int out, const char *what, size_t threads,
    char *hex, size_t *outlen, char **cause)
{
	struct cp_ctx	 cp;
	struct cp_job	*cj;
	size_t		 n;
	ssize_t		 got;
	int		 eof = 0, rc = -1;

	if (cp_init(&cp, out, what, 1, cause) != 0)
		goto out;
	if (threads >= 1 && threads < COMPRESS_THREADS)
		cp.cp_threads = threads;
	for (;;) {
		for (n = 0; n < cp.cp_threads && !eof; n++) {
			cj = &cp.cp_jobs[n];
			if ((got = cp_read_chunk(in, cj->cj_inbuf, what,
			    cause)) == -1)
				goto out;
			cj->cj_in = cj->cj_inbuf;
			cj->cj_inlen = got;
			eof = got < COMPRESS_CHUNK;
			/* An empty document is one empty member; else none. */
			if (got == 0 && (n > 0 || cp.cp_outlen > 0))
				break;
		}
		if (n == 0)
			break;
		if (cp_batch(&cp, n, cause) != 0)
			goto out;
		if (eof)
			break;
	}
	cp_done(&cp, hex, outlen);
	rc = 0;
out:
	cp_free(&cp);
	return rc;
}

int
compress_gzip_mem_fd(const void *data, size_t len, int out, const char *what,
    char *hex, size_t *outlen, char **cause)
{
	struct cp_ctx	 cp;
	struct cp_job	*cj;
	const char	*p = data;
	size_t		 n, off = 0;
	int		 rc = -1;

	if (cp_init(&cp, out, what, 0, cause) != 0)
		goto out;
	do {
		for (n = 0; n < COMPRESS_THREADS && (off < len ||
		    (len == 0 && n == 0)); n++) {
			cj = &cp.cp_jobs[n];
			cj->cj_in = p + off;
			cj->cj_inlen = len - off < COMPRESS_CHUNK ? len - off :
			    COMPRESS_CHUNK;
			off += cj->cj_inlen;
		}
		if (cp_batch(&cp, n, cause) != 0)
			goto out;
	} while (off < len);
	cp_done(&cp, hex, outlen);
	rc = 0;
out:
	cp_free(&cp);
	return rc;
}
