/*
 * Compression.  Upstream files are read through libarchive's filters with
 * its "raw" format, so gzip, xz, bzip2, zstd and plain input all come out
 * as one byte stream, detected from the content rather than trusted from
 * the file name.  The views' .gz and .xz files are written here too, with
 * nothing in them that varies between runs, so that regenerating a view
 * gives byte-identical files (and the same checksums in its index).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <libdeflate.h>

#include "compress.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define DECOMP_CHUNK	65536

struct decomp {
	struct archive	*d_ar;
	char		*d_name;
	long long	 d_offset;	/* uncompressed bytes returned */
	int		 d_eof;
	char		*d_error;	/* sticky: every later read fails too */

	long long	 d_limit;	/* -1: none */
	char		*d_limit_what;

	int		 d_fd;		/* decomp_open_fd only */
	int		 d_rawerrno;
	char		*d_inbuf;
};

static la_ssize_t
decomp_fd_read(struct archive *a, void *arg, const void **p)
{
	struct decomp	*d = arg;
	ssize_t		 n;

	for (;;) {
		n = read(d->d_fd, d->d_inbuf, DECOMP_CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		break;
	}
	if (n == -1) {
		d->d_rawerrno = errno;
		archive_set_error(a, errno, "%s", strerror(errno));
		return -1;
	}
	*p = d->d_inbuf;
	return n;
}

/*
 * libarchive's words for a failure, made readable: some filters leave no
 * message, and liblzma's "No progress is possible" means the input ended
 * before the xz stream did.
 */
static void
decomp_set_error(struct decomp *d)
{
	const char	*msg, *filter;

	msg = archive_error_string(d->d_ar);
	filter = archive_filter_name(d->d_ar, 0);
	if (filter == NULL || strcmp(filter, "none") == 0)
		filter = "compressed";
	free(d->d_error);
	if (msg != NULL && strstr(msg, "No progress is possible") != NULL)
		xasprintf(&d->d_error, "%s: truncated %s input", d->d_name, filter);
	else if (msg != NULL && *msg != '\0')
		xasprintf(&d->d_error, "%s: %s", d->d_name, msg);
	else
		xasprintf(&d->d_error, "%s: truncated or corrupt %s input",
		    d->d_name, filter);
}

static struct decomp *
decomp_new(const char *name)
{
	struct decomp	*d;

	d = xcalloc(1, sizeof *d);
	d->d_name = xstrdup(name != NULL ? name : "(input)");
	d->d_fd = -1;
	d->d_limit = -1;
	d->d_ar = archive_read_new();
	if (d->d_ar == NULL)
		fatalx("archive_read_new: out of memory");
	/*
	 * Only the filters repositories use.  archive_read_support_filter_all
	 * would add uudecode, which can claim plain text, and filters that
	 * run external programs on untrusted input.
	 */
	archive_read_support_filter_gzip(d->d_ar);
	archive_read_support_filter_xz(d->d_ar);
	archive_read_support_filter_lzma(d->d_ar);
	archive_read_support_filter_bzip2(d->d_ar);
	archive_read_support_filter_zstd(d->d_ar);
	/*
	 * raw claims any non-empty stream; empty takes the rest, so an empty
	 * file (or a compressed empty file, as Debian ships for empty
	 * components) reads as an empty stream.  A cut compressed stream
	 * still fails in its filter.
	 */
	archive_read_support_format_raw(d->d_ar);
	archive_read_support_format_empty(d->d_ar);
	return d;
}

/* After archive_read_open*: reads the one raw entry's header. */
static struct decomp *
decomp_start(struct decomp *d, int r, char **cause)
{
	struct archive_entry	*entry;

	if (r != ARCHIVE_OK)
		goto fail;
	r = archive_read_next_header(d->d_ar, &entry);
	if (r == ARCHIVE_EOF) {
		d->d_eof = 1;
		return d;
	}
	if (r == ARCHIVE_OK || r == ARCHIVE_WARN)
		return d;
fail:
	if (d->d_rawerrno != 0)
		cause_set(cause, "%s: %s", d->d_name, strerror(d->d_rawerrno));
	else {
		decomp_set_error(d);
		cause_set(cause, "%s", d->d_error);
	}
	decomp_close(d);
	return NULL;
}

struct decomp *
decomp_open_fd(int fd, const char *name, char **cause)
{
	struct decomp	*d;
	int		 r;

	d = decomp_new(name);
	d->d_fd = fd;
	d->d_inbuf = xmalloc(DECOMP_CHUNK);
	r = archive_read_open(d->d_ar, d, NULL, decomp_fd_read, NULL);
	return decomp_start(d, r, cause);
}

struct decomp *
decomp_open_memory(const void *p, size_t len, const char *name, char **cause)
{
	struct decomp	*d;
	int		 r;

	d = decomp_new(name);
	r = archive_read_open_memory(d->d_ar, (void *)(len > 0 ? p : ""), len);
	return decomp_start(d, r, cause);
}

/*
 * A compressed file cut inside its header is too short for libarchive to
 * recognise and would pass as plain bytes: refuse input that starts like
 * a gzip, xz or zstd stream (never text) and was not decompressed.
 */
static int
decomp_cut_magic(struct decomp *d, const void *p, size_t len)
{
	static const struct {
		const char	*name;
		const char	*magic;
		size_t		 len;
	} magics[] = {
		{ "gzip", "\037\213", 2 },
		{ "xz", "\3757zXZ\0", 6 },
		{ "zstd", "\050\265\057\375", 4 },
	};
	const char	*filter;
	size_t		 i;

	filter = archive_filter_name(d->d_ar, 0);
	if (filter != NULL && strcmp(filter, "none") != 0)
		return 0;
	for (i = 0; i < sizeof magics / sizeof magics[0]; i++) {
		if (memcmp(p, magics[i].magic,
		    len < magics[i].len ? len : magics[i].len) == 0) {
			xasprintf(&d->d_error, "%s: truncated %s input",
			    d->d_name, magics[i].name);
			return 1;
		}
	}
	return 0;
}

ssize_t
decomp_read(void *arg, void *buf, size_t len, char **cause)
{
	struct decomp	*d = arg;
	la_ssize_t	 n;
	int		 tries;

	if (d->d_error != NULL) {
		cause_set(cause, "%s", d->d_error);
		return -1;
	}
	if (d->d_eof || len == 0)
		return 0;
	for (tries = 0; tries < 10; tries++) {
		n = archive_read_data(d->d_ar, buf, len);
		if (n != ARCHIVE_RETRY)
			break;
	}
	if (n < 0) {
		if (d->d_rawerrno != 0)
			xasprintf(&d->d_error, "%s: %s", d->d_name,
			    strerror(d->d_rawerrno));
		else
			decomp_set_error(d);
		cause_set(cause, "%s", d->d_error);
		return -1;
	}
	if (n == 0)
		d->d_eof = 1;
	if (d->d_offset == 0 && n > 0 && decomp_cut_magic(d, buf, n)) {
		cause_set(cause, "%s", d->d_error);
		return -1;
	}
	if (d->d_limit >= 0 && d->d_offset + n > d->d_limit) {
		xasprintf(&d->d_error, "%s: decompresses to more than %lld "
		    "bytes (%s): refused as a decompression bomb", d->d_name,
		    d->d_limit, d->d_limit_what);
		cause_set(cause, "%s", d->d_error);
		return -1;
	}
	d->d_offset += n;
	return n;
}

long long
decomp_cap(long long compressed, long long declared)
{
	long long	cap;

	if (declared >= 0)
		return declared < DECOMP_MAX_SIZE ? declared : DECOMP_MAX_SIZE;
	if (compressed < 0 || compressed > DECOMP_MAX_SIZE / DECOMP_MAX_RATIO)
		return DECOMP_MAX_SIZE;
	cap = compressed * DECOMP_MAX_RATIO;
	return cap > DECOMP_RATIO_FLOOR ? cap : DECOMP_RATIO_FLOOR;
}

void
decomp_set_limit(struct decomp *d, long long max, const char *what)
{
	free(d->d_limit_what);
	d->d_limit = max;
	d->d_limit_what = xstrdup(what != NULL ? what : "the limit");
}

long long
decomp_offset(struct decomp *d)
{
	return d->d_offset;
}

void
decomp_close(struct decomp *d)
{
	if (d == NULL)
		return;
	if (d->d_ar != NULL)
		archive_read_free(d->d_ar);
	free(d->d_inbuf);
	free(d->d_error);
	free(d->d_limit_what);
	free(d->d_name);
	free(d);
}

/*
 * gzip through libdeflate at zlib's default level (6): the same ratio,
 * several times faster than zlib, which matters for a 50 MB Packages.
 * Its header carries no file name and a zero time, so the same text
 * always compresses to the same bytes.  The output buffer is allocated at
 * the bound, but only the pages written count: it is shrunk afterwards.
 */
int
compress_gzip(const void *p, size_t len, char **out, size_t *outlen,
    char **cause)
{
	struct libdeflate_compressor	*c;
	size_t				 bound, n;
	char				*b;

	if ((c = libdeflate_alloc_compressor(6)) == NULL) {
		cause_set(cause, "gzip: cannot allocate a compressor");
		return -1;
	}
	bound = libdeflate_gzip_compress_bound(c, len);
	b = xmalloc(bound + 1);
	n = libdeflate_gzip_compress(c, p, len, b, bound);
	libdeflate_free_compressor(c);
	if (n == 0) {
		free(b);
		cause_set(cause, "gzip: compression failed");
		return -1;
	}
	*out = xreallocarray(b, n + 1, 1);
	(*out)[n] = '\0';
	*outlen = n;
	return 0;
}

static la_ssize_t
compress_xz_write(struct archive *a, void *arg, const void *p, size_t len)
{
	buf_add(arg, p, len);
	return len;
}

/*
 * xz through libarchive's writer: raw format, one entry, no block padding.
 * An xz stream records no time or name, and the single-threaded encoder
 * is deterministic.
 */
int
compress_xz(const void *p, size_t len, char **out, size_t *outlen,
    char **cause)
{
	struct archive		*a;
	struct archive_entry	*entry;
	struct buf		 b;
	const char		*in = p;
	size_t			 left = len, step;
	la_ssize_t		 n;

	buf_init(&b);
	buf_add(&b, "", 0);
	if ((a = archive_write_new()) == NULL)
		fatalx("archive_write_new: out of memory");
	entry = archive_entry_new();
	if (archive_write_add_filter_xz(a) != ARCHIVE_OK ||
	    archive_write_set_format_raw(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, 0) != ARCHIVE_OK ||
	    archive_write_open(a, &b, NULL, compress_xz_write, NULL) != ARCHIVE_OK)
		goto fail;
	archive_entry_set_filetype(entry, AE_IFREG);
	archive_entry_set_size(entry, len);
	if (archive_write_header(a, entry) != ARCHIVE_OK)
		goto fail;
	while (left > 0) {
		step = left > (1U << 30) ? (1U << 30) : left;
		if ((n = archive_write_data(a, in, step)) < 0)
			goto fail;
		in += n;
		left -= n;
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		goto fail;
	archive_entry_free(entry);
	archive_write_free(a);
	*out = b.b_data;
	*outlen = b.b_len;
	return 0;
fail:
	cause_set(cause, "xz: %s", archive_error_string(a) ?
	    archive_error_string(a) : "compression failed");
	archive_entry_free(entry);
	archive_write_free(a);
	buf_free(&b);
	return -1;
}
