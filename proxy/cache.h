/*
 * The serving cache (cache.c): what answering a request for a stored file
 * needs, resolved once instead of on every request.  A view's `current`
 * link is read again only after inotify reports a change in the view's
 * directory; the files of a generation's tree/ (and the paths it does not
 * have) and the blobs of package files are kept open, small ones in
 * memory, until their generation changes on disk or the cache needs room.
 */
#ifndef PG_CACHE_H
#define PG_CACHE_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <stdint.h>
#include <time.h>

struct blobstore;
struct cache;
struct cache_gen;
struct evbuffer_file_segment;
struct evhttp_request;
struct event_base;
struct gate_cache;
struct pool;
struct resource;

/* A file the cache holds open: a reference, cache_file_unref when done. */
struct cache_file {
	int			 cf_fd;		/* the cache's: never close it */
	struct stat		 cf_sb;
	char			*cf_path;	/* the real path */
	/* Validators, worked out by the first user (cf_validated set). */
	int			 cf_validated;
	char			 cf_etag[144];
	time_t			 cf_mtime;

	/* The cache's own. */
	struct cache		*cf_cache;
	struct cache_gen	*cf_gen;	/* NULL: a blob */
	char			*cf_key;
	uint64_t		 cf_hash;
	int			 cf_negative;	/* the tree has no such file */
	int			 cf_errno;	/* of a negative entry */
	int			 cf_refs;
	int			 cf_listed;	/* in the table (else evicted) */
	int			 cf_reading;	/* the pool reads it to memory */
	char			*cf_data;	/* the bytes, when read */
	struct evbuffer_file_segment *cf_seg;	/* owns cf_fd */
	struct cache_file	*cf_next;	/* hash chain */
	TAILQ_ENTRY(cache_file)	 cf_lru;
	LIST_ENTRY(cache_file)	 cf_genlink;
};

struct cache	*cache_new(struct event_base *, struct pool *, struct gate_cache *,
		     struct blobstore *, char **cause);
void		 cache_free(struct cache *);
/*
 * The generation STORE/views/GROUP/MIRROR/current points to, as a path
 * (caller-freed), or NULL when the view has none.
 */
char		*cache_current(struct cache *, const char *store, const char *group,
		     const char *mirror);
/*
 * gen/tree/rel when it is a regular file whose real path is inside
 * gen/tree; NULL with errno otherwise (ENOENT for a file that is not there
 * or may not be served).
 */
struct cache_file *cache_tree(struct cache *, const char *gen, const char *rel);
/* The stored blob algo/hex open, or NULL (errno) when it is not stored. */
struct cache_file *cache_blob(struct cache *, const char *algo,
		     const char *hex);
void		 cache_file_unref(struct cache_file *);
/*
 * Answers req about rs with the bytes of cf (server_begin settles
 * conditional and range requests): from memory in one write with the
 * headers for a small file, with sendfile otherwise, read piece by piece
 * over TLS.  Takes its own references.
 */
void		 cache_send(struct evhttp_request *, const struct resource *,
		     struct cache_file *);

#endif
