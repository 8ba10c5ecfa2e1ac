/*
 * Writing a view's large documents as streams (publish_stream.c): the
 * plain text goes to the store's cache of published files as it is
 * produced, hashed on the way, and its gzip form is compressed from that
 * file in chunks on both cores; neither form is ever held in memory.
 */
#ifndef PG_PUBLISH_STREAM_H
#define PG_PUBLISH_STREAM_H

#include <stddef.h>

struct pub_view;
struct pub_stream;	/* opaque */

/* A new document; what names it in messages ("dists/x/Packages"). */
struct pub_stream *publish_stream_new(struct pub_view *, const char *what,
	     char **cause);
int	 publish_stream_add(struct pub_stream *, const void *, size_t,
	     char **cause);
/*
 * Ends the document, links it at relpath in the tree, and its gzip form
 * at gzpath unless NULL; sha256 and size of each come back in phex/plen
 * and ghex/glen (HASH_HEX_MAX bytes each).  Always frees the stream.
 */
int	 publish_stream_close(struct pub_stream *, const char *relpath,
	     char *phex, size_t *plen, const char *gzpath, char *ghex,
	     size_t *glen, char **cause);
/* Frees a stream whose document is abandoned. */
void	 publish_stream_abort(struct pub_stream *);
/*
 * The gzip form of the cached plain file with sha256 phex, compressed
 * once (STORE/cache/gz/PHEX, its sha256 and size in PHEX.sum) and linked
 * at relpath.
 */
int	 publish_stream_gzip(struct pub_view *, const char *phex,
	     const char *relpath, char *ghex, size_t *glen, char **cause);
/*
 * Compresses plain (sha256 phex) from memory into STORE/cache/gz/PHEX and
 * its .sum, without linking it anywhere.
 */
int	 publish_stream_gzip_mem(struct pub_view *, const char *phex,
	     const void *plain, size_t len, char *ghex, size_t *glen,
	     char **cause);
/*
 * Starts writing packages.idx (see view.h) into the generation at gen, on
 * a thread beside the caller, who changes no version or verdict until
 * publish_index_finish(), which waits for it and adds its sha256 to the
 * view's digest (publish_index.c).  cause may be NULL.
 */
struct publish_index;
struct publish_index *publish_index_start(struct pub_view *,
	     const char *gen);
int	 publish_index_finish(struct publish_index *, char **cause);
/*
 * Links the cached plain file with sha256 phex at relpath, and the gzip
 * form of the cached plain file gzphex at gzpath unless NULL.
 */
int	 publish_stream_link(struct pub_view *, const char *phex,
	     const char *relpath, const char *gzpath, const char *gzphex,
	     char **cause);
/* Links any file src (a blob) at relpath in the tree being written. */
int	 publish_stream_link_file(struct pub_view *, const char *src,
	     const char *relpath, char **cause);
/* Whether the cache holds the plain file with sha256 phex. */
int	 publish_stream_cached(struct pub_view *, const char *phex);
/*
 * Starts making the gzip form of the cached plain file phex in a thread
 * (one at a time), for publish_stream_gzip() to find; _wait() joins it.
 */
void	 publish_stream_gzip_ahead(const char *store_dir, const char *phex);
void	 publish_stream_gzip_wait(void);
/* Returns the heap's free pages to the system (glibc), between phases. */
void	 publish_stream_trim(void);

#endif
