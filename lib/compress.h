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
/*
 * Decompression bombs.  An upstream file may decompress to no more than
 * its metadata declares (repomd's open-size, the uncompressed entry of an
 * apt Release); where nothing is declared, to no more than DECOMP_MAX_RATIO
 * times its compressed size (or DECOMP_RATIO_FLOOR, whichever is larger),
 * and never to more than DECOMP_MAX_SIZE.
 */
#define DECOMP_MAX_RATIO	200
#define DECOMP_RATIO_FLOOR	(16LL * 1024 * 1024)
#define DECOMP_MAX_SIZE		(4LL * 1024 * 1024 * 1024)

/* The cap for a file of compressed bytes that declares declared (-1: none). */
long long	 decomp_cap(long long compressed, long long declared);
/*
 * Fails every read that would go past max uncompressed bytes, saying
 * "NAME: decompresses to more than MAX bytes (what)".
 */
void		 decomp_set_limit(struct decomp *, long long max, const char *what);
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
