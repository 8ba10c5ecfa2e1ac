/*
 * One sync of one mirror: a single store transaction around the format's
 * fetch-verify-parse step, then publishing of every view of the mirror.
 * Any failure rolls the transaction back and publishes nothing, so the
 * last good generation keeps being served; the failure is recorded for
 * status and returned with a message naming the mirror, file and cause.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blob.h"
#include "fetch.h"
#include "indexer.h"
#include "log.h"
#include "store.h"
#include "xmalloc.h"

/* Joins a mirror's URL (or an xml:base) and a location; caller-freed. */
char *
mirror_url(struct mirror *mi, const char *base, const char *location)
{
	return url_join(base != NULL ? base : mi->mi_url, location);
}

/*
 * Fetches an upstream file into the blob store unless it is there already,
 * verifying its size and checksum.  what names the file in messages.
 */
int
sync_fetch_blob(struct indexer *ix, struct mirror *mi, const char *url,
    const char *what, const char *algo, const char *hex, long long size,
    char **cause)
{
	struct blob_writer	*bw;
	char			*tmp, *why = NULL, chunk[65536];
	ssize_t			 n;
	int			 fd = -1, rc = -1;

	if (blob_exists(ix->ix_blobs, algo, hex))
		return 0;
	xasprintf(&tmp, "%s/tmp/fetch.%ld.%s", ix->ix_cf->cf_store,
	    (long)getpid(), hex);
	if (fetch_to_file(url, tmp, 0, NULL, &why) != 0) {
		cause_set(cause, "%s", why);
		goto out;
	}
	if ((fd = open(tmp, O_RDONLY | O_CLOEXEC)) == -1) {
		cause_set(cause, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if ((bw = blob_writer_new(ix->ix_blobs, algo, hex, size, &why)) == NULL) {
		cause_set(cause, "%s: %s", what, why);
		goto out;
	}
	while ((n = read(fd, chunk, sizeof chunk)) > 0) {
		if (blob_writer_write(bw, chunk, n, &why) != 0) {
			blob_writer_abort(bw);
			cause_set(cause, "%s: %s", what, why);
			goto out;
		}
	}
	if (n < 0) {
		blob_writer_abort(bw);
		cause_set(cause, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (blob_writer_commit(bw, &why) != 0) {
		cause_set(cause, "%s: %s", what, why);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	unlink(tmp);
	free(tmp);
	free(why);
	return rc;
}

static void
sync_record(struct indexer *ix, long long mirror_id, const char *error)
{
	sqlite3_stmt	*stmt;

	if (error == NULL)
		stmt = store_stmt(ix->ix_store, "UPDATE mirrors SET "
		    "last_attempt = ?2, last_sync = ?2, last_error = NULL "
		    "WHERE id = ?1");
	else
		stmt = store_stmt(ix->ix_store, "UPDATE mirrors SET "
		    "last_attempt = ?2, last_error = ?3 WHERE id = ?1");
	if (stmt == NULL)
		return;
	sqlite3_bind_int64(stmt, 1, mirror_id);
	sqlite3_bind_int64(stmt, 2, ix->ix_now);
	if (error != NULL)
		sqlite3_bind_text(stmt, 3, error, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		log_warnx("store: recording the sync of mirror %lld: %s",
		    mirror_id, sqlite3_errmsg(store_db(ix->ix_store)));
}

int
sync_mirror(struct indexer *ix, struct mirror *mi, char **cause)
{
	long long	 id;
	char		*why = NULL;
	int		 rc, changed;

	id = store_mirror_id(ix->ix_store, mi->mi_name,
	    mirror_type_name(mi->mi_type), &why);
	if (id == -1)
		goto fail;
	if (store_begin(ix->ix_store, &why) != 0)
		goto fail;
	switch (mi->mi_type) {
	case MIRROR_RPMMD:
		rc = sync_rpmmd(ix, mi, id, &why);
		break;
	default:
		cause_set(&why, "type %s cannot be synced by this version",
		    mirror_type_name(mi->mi_type));
		rc = -1;
		break;
	}
	if (rc != 0) {
		store_rollback(ix->ix_store);
		goto fail;
	}
	if (store_commit(ix->ix_store, &why) != 0) {
		store_rollback(ix->ix_store);
		goto fail;
	}
	sync_record(ix, id, NULL);
	if (publish_mirror(ix, mi, &changed, &why) != 0)
		goto fail;
	return 0;
fail:
	cause_set(cause, "mirror %s: %s", mi->mi_name, why ? why : "failed");
	if (id != -1)
		sync_record(ix, id, *cause);
	free(why);
	return -1;
}
