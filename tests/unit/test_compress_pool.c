/*
 * Unit tests of the parallel gzip of views (compress_pool.h): a document
 * of one chunk or less gives compress_gzip()'s bytes; a larger one is
 * several members that decompress, through the same reader upstream
 * files go through, to the document; from a file or from memory, run
 * after run, the bytes are the same; the sha256 and size returned are
 * those of what was written.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compress.h"
#include "compress_pool.h"
#include "hash.h"
#include "util.h"
#include "xmalloc.h"

#include "tap.h"

static char	tmpl[] = "/tmp/pg-test-compress-pool.XXXXXX";

/*
 * Compresses data through a file (from_fd; 2: on one thread) or memory
 * into a new buffer.
 */
static char *
gz(const char *data, size_t len, int from_fd, size_t *outlen, char *hex)
{
	char	*in, *out, *res = NULL, *cause = NULL;
	int	 ifd = -1, ofd, rc;
	size_t	 n;

	xasprintf(&in, "%s/in", tmpl);
	xasprintf(&out, "%s/out", tmpl);
	ofd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (from_fd) {
		file_write_atomic(in, data, len, NULL);
		ifd = open(in, O_RDONLY);
		rc = from_fd == 2 ? compress_gzip_fd_threads(ifd, ofd, "in", 1,
		    hex, outlen, &cause) : compress_gzip_fd(ifd, ofd, "in", hex,
		    outlen, &cause);
		close(ifd);
	} else
		rc = compress_gzip_mem_fd(data, len, ofd, "in", hex, outlen,
		    &cause);
	close(ofd);
	if (rc == 0 && file_read(out, (size_t)1 << 30, &res, &n, NULL) == 0 &&
	    n != *outlen) {
		free(res);
		res = NULL;
	}
	if (rc != 0)
		printf("# %s\n", cause ? cause : "failed");
	free(cause);
	unlink(in);
	unlink(out);
	free(in);
	free(out);
	return res;
}

/* The document a gzip file decompresses to, through decomp_read. */
static char *
gunzip(const char *data, size_t len, size_t *outlen)
{
	struct decomp	*d;
	struct buf	 b;
	char		 chunk[65536], *cause = NULL;
	ssize_t		 n;

	if ((d = decomp_open_memory(data, len, "t.gz", &cause)) == NULL) {
		free(cause);
		return NULL;
	}
	buf_init(&b);
	buf_add(&b, "", 0);
	while ((n = decomp_read(d, chunk, sizeof chunk, &cause)) > 0)
		buf_add(&b, chunk, n);
	decomp_close(d);
	if (n < 0) {
		free(cause);
		buf_free(&b);
		return NULL;
	}
	*outlen = b.b_len;
	return b.b_data;
}

/* Text that compresses as a Packages index does, not as zeros. */
static char *
document(size_t len)
{
	char		*p = xmalloc(len + 1);
	unsigned int	 x = 12345;
	size_t		 i;

	for (i = 0; i < len; i++) {
		x = x * 1103515245 + 12345;
		p[i] = (i % 61 == 60) ? '\n' : "abcdefghij klmnop: 0123456789"
		    [(x >> 16) % 29];
	}
	p[len] = '\0';
	return p;
}

static int
members(const char *p, size_t len)
{
	size_t	i;
	int	n = 0;

	/* Each member starts with the gzip magic and deflate, no flags. */
	for (i = 0; i + 4 <= len; i++) {
		if (memcmp(p + i, "\x1f\x8b\x08\x00", 4) == 0)
			n++;
	}
	return n;
}

static void
test_small(void)
{
	char	*doc, *a, *b, hex[HASH_HEX_MAX], hex2[HASH_HEX_MAX];
	size_t	 alen, blen, sizes[] = { 0, 1, 100000, COMPRESS_CHUNK }, i;

	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		doc = document(sizes[i]);
		b = NULL;
		compress_gzip(doc, sizes[i], &b, &blen, NULL);
		a = gz(doc, sizes[i], 1, &alen, hex);
		ok(a != NULL && b != NULL && alen == blen &&
		    memcmp(a, b, alen) == 0, "%zu bytes: one member, "
		    "compress_gzip's bytes (%zu and %zu)", sizes[i], alen, blen);
		hash_buffer("sha256", a ? a : "", a ? alen : 0, hex2);
		ok(strcmp(hex, hex2) == 0, "%zu bytes: the sha256 returned is "
		    "the output's", sizes[i]);
		free(a);
		free(b);
		free(doc);
	}
}

static void
test_large(void)
{
	char	*doc, *a, *b, *c, *d, *back, hex[HASH_HEX_MAX];
	char	 hex2[HASH_HEX_MAX], hex3[HASH_HEX_MAX];
	size_t	 len = 5 * COMPRESS_CHUNK + 12345, alen, blen, clen, dlen;
	size_t	 backlen;

	doc = document(len);
	a = gz(doc, len, 1, &alen, hex);
	b = gz(doc, len, 0, &blen, hex2);
	c = gz(doc, len, 0, &clen, hex2);
	ok(a != NULL && b != NULL && alen == blen && memcmp(a, b, alen) == 0,
	    "from a file and from memory: the same bytes (%zu)", alen);
	ok(b != NULL && c != NULL && blen == clen && memcmp(b, c, blen) == 0,
	    "run after run: the same bytes");
	d = gz(doc, len, 2, &dlen, hex3);
	ok(a != NULL && d != NULL && alen == dlen && memcmp(a, d, alen) == 0 &&
	    strcmp(hex, hex3) == 0, "on one thread: the same bytes and sha256");
	free(d);
	ok(a != NULL && members(a, alen) >= 6, "%zu bytes: %d members of "
	    "%d bytes", len, a ? members(a, alen) : 0, COMPRESS_CHUNK);
	ok(alen < len * 7 / 10, "compressed: %zu of %zu bytes", alen, len);
	back = a != NULL ? gunzip(a, alen, &backlen) : NULL;
	ok(back != NULL && backlen == len && memcmp(back, doc, len) == 0,
	    "the members decompress to the document (%zu bytes)",
	    back ? backlen : 0);
	free(back);
	free(a);
	free(b);
	free(c);
	free(doc);
}

int
main(void)
{
	char	*cmd;

	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_small();
	test_large();
	xasprintf(&cmd, "rm -rf '%s'", tmpl);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpl);
	free(cmd);
	return done_testing();
}
