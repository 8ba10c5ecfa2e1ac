/*
 * gzip on both cores, and in pieces a later version reuses: a document is
 * cut into chunks at line ends that its content picks (see
 * compress_pool.c), each compressed by libdeflate into a gzip member of
 * its own, the members written in order (RFC 1952 allows a gzip file of
 * several members; zlib's gzread, apt, dnf and zypper read them as one
 * stream).  Chunks are compressed by up to COMPRESS_THREADS threads at
 * once, and memory stays at a few chunks whatever the document's size.
 * A document of at most COMPRESS_CHUNK_MIN bytes gives exactly
 * compress_gzip()'s bytes.
 *
 * With a member cache (compress_pool_cache), a chunk compressed once is
 * kept under the sha256 of its text, and the next document that holds the
 * same chunk (the next version of a view, where a few packages changed)
 * copies its member instead of compressing it again.  The bytes written
 * depend on the document only, never on the cache or on the threads.
 */
#ifndef PG_COMPRESS_POOL_H
#define PG_COMPRESS_POOL_H

#include <stddef.h>
#include <time.h>

/* A chunk ends at a line end past MIN, and never goes past MAX. */
#define COMPRESS_CHUNK_MIN	(256 * 1024)
#define COMPRESS_CHUNK_MAX	(1024 * 1024)
#define COMPRESS_THREADS	2

/*
 * Keeps and reuses members in dir (made when needed); NULL: none, the
 * default.  Set once, before compressing.
 */
void	 compress_pool_cache(const char *dir);
/*
 * Removes the members of the cache that no compression used for max_age
 * seconds.  The number removed.
 */
int	 compress_pool_prune(time_t max_age);

/*
 * Compresses what can be read from fd in into fd out; the sha256 of the
 * output comes back in hex (HASH_HEX_MAX bytes), its size in *outlen.
 * what names the file in messages.
 */
int	 compress_gzip_fd(int in, int out, const char *what, char *hex,
	     size_t *outlen, char **cause);
/*
 * The same as work that runs beside a sync, taking as little as it can:
 * on one thread, leaving the other core to the sync, and keeping no new
 * members in the cache (it uses those there).  The same bytes.
 */
int	 compress_gzip_fd_background(int in, int out, const char *what,
	     char *hex, size_t *outlen, char **cause);
/* The same from memory. */
int	 compress_gzip_mem_fd(const void *data, size_t len, int out,
	     const char *what, char *hex, size_t *outlen, char **cause);

#endif
