/*
 * The blob store: package files addressed by their checksum, behind an
 * interface small enough for an object store to replace the directory.
 * Layout: ROOT/blobs/sha256/<first two hex>/<hex>, each file once under
 * its SHA-256; ROOT/blobs/<algo>/<first two hex>/<hex> for the other
 * checksums metadata uses, an alias of the sha256 file (or, in stores of
 * older versions, a copy); temporary files in ROOT/tmp.  A blob appears
 * only after its size and checksum were verified.
 */
#ifndef PG_BLOB_H
#define PG_BLOB_H

#include <sys/types.h>
#include <stddef.h>
#include <time.h>

struct blobstore;
struct blob_probe;
struct blob_writer;

struct blobstore	*blob_open(const char *root, char **cause);
void			 blob_close(struct blobstore *);
/*
 * Local path of a blob (caller-freed), or NULL when it is not stored: the
 * file itself, never an alias, so that it may be linked and opened.
 */
char			*blob_path(struct blobstore *, const char *algo, const char *hex);
int			 blob_exists(struct blobstore *, const char *algo, const char *hex);
/*
 * Many blob_exists() in a row (every version of a mirror): a fan-out
 * directory found missing answers for every blob under it, so that a
 * store holding few files costs a lookup per directory, not per blob.
 * Each directory's answer is as of the first look into it.
 */
struct blob_probe	*blob_probe_new(struct blobstore *);
int			 blob_probe_exists(struct blob_probe *, const char *algo,
			     const char *hex);
void			 blob_probe_free(struct blob_probe *);

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

/* One entry of the store, as blob_scan finds it. */
struct blob_entry {
	const char	*be_algo;	/* its directory: sha256, sha1, ... */
	const char	*be_hex;
	/* An alias: the sha256 of the file it names; NULL for a file. */
	const char	*be_target;
	int		 be_dangling;	/* an alias whose file is gone */
	long long	 be_size;	/* a file's bytes */
	time_t		 be_atime;	/* a file's last read */
	time_t		 be_stored;	/* when a file was stored */
};
/* Returns 0 to go on; anything else stops the scan and is returned. */
typedef int		 (*blob_scan_fn)(const struct blob_entry *, void *arg);
/*
 * Calls fn for every file and alias (not in a fixed order); the entry is
 * valid during the call only.  -1 with a cause when a directory cannot
 * be read.
 */
int			 blob_scan(struct blobstore *, blob_scan_fn, void *arg,
			     char **cause);
/*
 * Moves an older store's plain file algo:hex (algo not sha256) to this
 * layout: its bytes under their sha256, sha (HASH_HEX_MAX bytes), its name
 * an alias, both names valid at every moment.  A file whose bytes are not
 * its checksum's is removed, with a cause.  -1 with a cause.
 */
int			 blob_rekey(struct blobstore *, const char *algo,
			     const char *hex, char *sha, char **cause);
/*
 * Removes the file or alias algo:hex (not what an alias names).  Absent
 * is no error.  A reader that opened it keeps reading it.
 */
int			 blob_remove(struct blobstore *, const char *algo,
			     const char *hex, char **cause);

#endif
