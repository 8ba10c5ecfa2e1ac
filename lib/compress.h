/*
 * Compression: reading any compressed upstream file as a byte stream
 * (gzip, xz, bzip2, zstd or plain, detected from the content) through
 * libarchive, and writing the gzip and xz files of a view.
 */
#ifndef PG_COMPRESS_H
#define PG_COMPRESS_H

#include <sys/types.h>
#include <stddef.h>

/*
 * A stream reader: returns bytes read, 0 at the end, -1 on error with a
 * caller-freed *cause.  Parsers take one of these, never a path.
 */
typedef ssize_t (*pg_read_fn)(void *arg, void *buf, size_t len, char **cause);

struct decomp;	/* opaque */

/* name is used in messages only ("primary.xml.gz").  fd is not closed. */
struct decomp	*decomp_open_fd(int fd, const char *name, char **cause);
struct decomp	*decomp_open_memory(const void *, size_t, const char *name, char **cause);
/* Matches pg_read_fn: pass decomp_read and the struct decomp * as arg. */
ssize_t		 decomp_read(void *decomp, void *buf, size_t len, char **cause);
/* Total uncompressed bytes read so far. */
long long	 decomp_offset(struct decomp *);
void		 decomp_close(struct decomp *);

/* Reads a memory buffer as a stream (for tests and fuzzers). */
struct memreader {
	const char	*mr_data;
	size_t		 mr_len;
	size_t		 mr_off;
};
ssize_t		 memreader_read(void *memreader, void *buf, size_t len, char **cause);

/*
 * Compresses data into a new caller-freed buffer.  Output is deterministic:
 * the same input gives the same bytes (no time stamps, no file names).
 */
int		 compress_gzip(const void *, size_t, char **out, size_t *outlen, char **cause);
int		 compress_xz(const void *, size_t, char **out, size_t *outlen, char **cause);

#endif
