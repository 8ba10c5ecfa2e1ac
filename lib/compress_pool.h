/*
 * gzip on both cores: a document is cut into chunks of COMPRESS_CHUNK
 * bytes, each compressed by libdeflate into a gzip member of its own, the
 * members written in order (RFC 1952 allows a gzip file of several
 * members; zlib's gzread, apt, dnf and zypper read them as one stream).
 * Chunks are compressed by up to COMPRESS_THREADS threads at once, and
 * memory stays at a few chunks whatever the document's size.  A document
 * of one chunk or less gives exactly compress_gzip()'s bytes.
 */
#ifndef PG_COMPRESS_POOL_H
#define PG_COMPRESS_POOL_H

#include <stddef.h>

#define COMPRESS_CHUNK		(1024 * 1024)
#define COMPRESS_THREADS	2

/*
 * Compresses what can be read from fd in into fd out; the sha256 of the
 * output comes back in hex (HASH_HEX_MAX bytes), its size in *outlen.
 * what names the file in messages.
 */
int	 compress_gzip_fd(int in, int out, const char *what, char *hex,
	     size_t *outlen, char **cause);
/*
 * The same on at most threads threads: one leaves the other core to
 * work that runs meanwhile.  The bytes do not depend on it.
 */
int	 compress_gzip_fd_threads(int in, int out, const char *what,
	     size_t threads, char *hex, size_t *outlen, char **cause);
/* The same from memory. */
int	 compress_gzip_mem_fd(const void *data, size_t len, int out,
	     const char *what, char *hex, size_t *outlen, char **cause);

#endif
