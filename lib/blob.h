/*
 * The blob store: package files addressed by their checksum, behind an
 * interface small enough for an object store to replace the directory.
 * Layout: ROOT/blobs/<algo>/<first two hex>/<hex>; temporary files in
 * ROOT/tmp.  A blob appears only after its size and checksum were verified.
 */
#ifndef PG_BLOB_H
#define PG_BLOB_H

#include <sys/types.h>
#include <stddef.h>

struct blobstore;
struct blob_writer;

struct blobstore	*blob_open(const char *root, char **cause);
void			 blob_close(struct blobstore *);
/* Local path of a blob (caller-freed), or NULL when it is not stored. */
char			*blob_path(struct blobstore *, const char *algo, const char *hex);
int			 blob_exists(struct blobstore *, const char *algo, const char *hex);

/*
 * Starts writing a blob that must end with exactly size bytes (-1: unknown)
 * whose algo checksum is hex.  Returns NULL with a cause on failure.
 */
struct blob_writer	*blob_writer_new(struct blobstore *, const char *algo,
			     const char *hex, long long size, char **cause);
int			 blob_writer_write(struct blob_writer *, const void *, size_t,
			     char **cause);
/* Verifies size and checksum, fsyncs and renames into place; frees w. */
int			 blob_writer_commit(struct blob_writer *, char **cause);
/* Removes the temporary file; frees w. */
void			 blob_writer_abort(struct blob_writer *);
/*
 * The temporary file's descriptor, for readers of what is written so far
 * (the proxy streams it to clients); valid until commit or abort.
 */
int			 blob_writer_fd(struct blob_writer *);

#endif
