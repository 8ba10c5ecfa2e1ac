/*
 * Unit tests of the parallel gzip of views (compress_pool.h): a document
 * of one chunk or less gives compress_gzip()'s bytes; a larger one is
 * several members that decompress, through the same reader upstream
 * files go through, to the document; from a file or from memory, run
 * after run, the bytes are the same; the sha256 and size returned are
 * those of what was written.  With a member cache: a document with one
 * line added compresses only a chunk or two anew and gives the bytes it
 * gives without the cache; damaged members are not used; pruning removes
 * the members not used for a while.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
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
 * Compresses data through a file (from_fd; 2: in the background) or memory
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
		rc = from_fd == 2 ? compress_gzip_fd_background(ifd, ofd, "in",
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
	size_t	 alen, blen, i;
	size_t	 sizes[] = { 0, 1, 100000, COMPRESS_CHUNK_MIN };

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
	size_t	 len = 5 * 1024 * 1024 + 12345, alen, blen, clen, dlen;
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
	    strcmp(hex, hex3) == 0, "in the background: the same bytes and sha256");
	free(d);
	ok(a != NULL && members(a, alen) > (int)(len / COMPRESS_CHUNK_MAX) &&
	    members(a, alen) <= (int)(len / COMPRESS_CHUNK_MIN) + 1,
	    "%zu bytes: %d members of %d to %d bytes", len,
	    a ? members(a, alen) : 0, COMPRESS_CHUNK_MIN, COMPRESS_CHUNK_MAX);
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

/* The members in the cache directory. */
static int
cached(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		n += strstr(de->d_name, ".gz") != NULL;
	closedir(d);
	return n;
}

/* Every member in dir: its last byte changed, or its mtime set to t. */
static void
members_touch(const char *dir, int damage, time_t t)
{
	DIR		*d;
	struct dirent	*de;
	struct timespec	 ts[2];
	char		*path;
	int		 fd;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strstr(de->d_name, ".gz") == NULL)
			continue;
		xasprintf(&path, "%s/%s", dir, de->d_name);
		if (damage && (fd = open(path, O_WRONLY)) != -1) {
			(void)pwrite(fd, "\x01\x02", 2, 20);
			close(fd);
		} else if (!damage) {
			ts[0].tv_sec = ts[1].tv_sec = t;
			ts[0].tv_nsec = ts[1].tv_nsec = 0;
			utimensat(AT_FDCWD, path, ts, 0);
		}
		free(path);
	}
	closedir(d);
}

static void
test_pieces(void)
{
	char	*doc, *doc2, *plain, *cache, *dir, *back, hex[HASH_HEX_MAX];
	char	*a2, *p2, *a3;
	size_t	 len = 6 * 1024 * 1024, len2, at, alen, a2len, p2len, a3len;
	size_t	 backlen;
	int	 n1, n2;
	static const char line[] = "Package: added-in-the-middle\n";

	xasprintf(&dir, "%s/members", tmpl);
	doc = document(len);
	/* One line more, at a line start in the middle. */
	at = len / 2 - (len / 2) % 61;
	len2 = len + sizeof line - 1;
	doc2 = xmalloc(len2);
	memcpy(doc2, doc, at);
	memcpy(doc2 + at, line, sizeof line - 1);
	memcpy(doc2 + at + sizeof line - 1, doc + at, len - at);

	plain = gz(doc2, len2, 0, &p2len, hex);		/* no cache */
	compress_pool_cache(dir);
	cache = gz(doc, len, 1, &alen, hex);
	n1 = cached(dir);
	ok(cache != NULL && n1 == members(cache, alen), "%d members cached "
	    "for %zu bytes", n1, len);
	a2 = gz(doc2, len2, 1, &a2len, hex);
	n2 = cached(dir);
	ok(n2 > n1 && n2 <= n1 + 2, "one line added: %d members compressed "
	    "anew, of %d", n2 - n1, a2 ? members(a2, a2len) : 0);
	ok(a2 != NULL && plain != NULL && a2len == p2len &&
	    memcmp(a2, plain, p2len) == 0, "... and the bytes are those "
	    "made without a cache (%zu)", a2len);
	back = a2 != NULL ? gunzip(a2, a2len, &backlen) : NULL;
	ok(back != NULL && backlen == len2 && memcmp(back, doc2, len2) == 0,
	    "... which decompress to the document");
	free(back);

	/* Damaged members: compressed again, the same bytes. */
	members_touch(dir, 1, 0);
	a3 = gz(doc2, len2, 0, &a3len, hex);
	ok(a3 != NULL && a3len == p2len && memcmp(a3, plain, p2len) == 0,
	    "damaged members are not used: the same bytes (%zu)", a3len);
	free(a3);
	p2 = gz(doc2, len2, 0, &a3len, hex);
	ok(p2 != NULL && a3len == p2len && memcmp(p2, plain, p2len) == 0,
	    "... and are replaced");
	free(p2);

	/* Pruning: what was not used for a day goes. */
	n2 = cached(dir);
	ok(compress_pool_prune(86400) == 0 && cached(dir) == n2,
	    "members used just now are kept (%d)", n2);
	members_touch(dir, 0, time(NULL) - 2 * 86400);
	ok(compress_pool_prune(86400) == n2 && cached(dir) == 0,
	    "members unused for two days are removed");
	compress_pool_cache(NULL);
	free(a2);
	free(plain);
	free(cache);
	free(doc2);
	free(doc);
	free(dir);
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
	test_pieces();
	xasprintf(&cmd, "rm -rf '%s'", tmpl);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpl);
	free(cmd);
	return done_testing();
}
