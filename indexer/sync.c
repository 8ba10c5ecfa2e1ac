/*
 * One sync of one mirror: a single store transaction around the format's
 * fetch-verify-parse step, then publishing of every view of the mirror.
 * Any failure rolls the transaction back and publishes nothing, so the
 * last good generation keeps being served; the failure is recorded for
 * status and returned with a message naming the mirror, file and cause.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "blob.h"
#include "clock.h"
#include "compress.h"
#include "hash.h"
#include "fetch.h"
#include "indexer.h"
#include "lock.h"
#include "log.h"
#include "mirrorlist.h"
#include "phase.h"
#include "publish_stream.h"
#include "store.h"
#include "store_query.h"
#include "xmalloc.h"

/* Joins a mirror's URL (or an xml:base) and a location; caller-freed. */
char *
mirror_url(struct mirror *mi, const char *base, const char *location)
{
	return url_join(base != NULL ? base : mi->mi_url, location);
}

char *
mirror_url_prefix(struct mirror *mi)
{
	char	*url = url_join(mi->mi_url, "x");

	url[strlen(url) - 1] = '\0';
	return url;
}

int
mirror_url_plain(const char *location)
{
	const char	*p;

	if (location[0] == '/' || location[0] == '.')
		return 0;
	for (p = location; *p != '\0' && *p != '/'; p++) {
		if (*p == ':' || *p == '?' || *p == '#')
			return 0;
	}
	return 1;
}

/*
 * Fetches an upstream file into the blob store unless it is there already,
 * verifying its size and checksum.  what names the file in messages.  The
 * download is capped at the size the metadata declares, and goes to
 * STORE/tmp/fetch.PID.HEX, which is removed whatever happens (blob_open
 * removes those of a killed run).
 */
int
sync_fetch_blob(struct indexer *ix, struct mirror *mi, const char *url,
    const char *what, const char *algo, const char *hex, long long size,
    char **cause)
{
	struct blob_writer	*bw;
	char			*tmp, *why = NULL, chunk[65536];
	ssize_t			 n;
	enum phase		 ph;
	int			 fd = -1, rc = -1;

	if (blob_exists(ix->ix_blobs, algo, hex))
		return 0;
	ph = phase_enter(PHASE_FETCH);
	xasprintf(&tmp, "%s/tmp/fetch.%ld.%s", ix->ix_cf->cf_store,
	    (long)getpid(), hex);
	if (fetch_to_file_hash(url, tmp, size > 0 ? size : 0, algo, hex, NULL,
	    &why) != 0) {
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
	phase_leave(ph);
	return rc;
}

/* Removes a rejected file from the blob store. */
static void
sync_reader_reject(const char *path)
{
	if (path != NULL && unlink(path) == 0)
		log_debug("%s: rejected, removed from the blob store", path);
}

int
sync_reader_open(struct sync_reader *sr, struct indexer *ix, const char *what,
    const char *algo, const char *hex, const char *open_algo,
    const char *open_hex, long long open_size, char **cause)
{
	struct stat	 sb;
	char		*path, *why = NULL, *limit;
	long long	 cap;

	memset(sr, 0, sizeof *sr);
	path = blob_path(ix->ix_blobs, algo, hex);
	if (path == NULL ||
	    (sr->sr_fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		cause_set(cause, "%s: not in the blob store after download",
		    what);
		free(path);
		return -1;
	}
	if ((sr->sr_dc = decomp_open_fd(sr->sr_fd, what, &why)) == NULL) {
		cause_set(cause, "%s", why);
		free(why);
		close(sr->sr_fd);
		sync_reader_reject(path);
		free(path);
		return -1;
	}
	sr->sr_blob = path;
	/* Decompression bombs: no more than declared, or than a ratio. */
	if (fstat(sr->sr_fd, &sb) == -1)
		sb.st_size = -1;
	cap = decomp_cap(sb.st_size, open_size);
	if (open_size >= 0 && cap == open_size)
		xasprintf(&limit, "its declared size");
	else if (cap == DECOMP_MAX_SIZE)
		xasprintf(&limit, "the limit for any file");
	else
		xasprintf(&limit, "%d times its %lld compressed bytes, as no "
		    "size is declared", DECOMP_MAX_RATIO, (long long)sb.st_size);
	decomp_set_limit(sr->sr_dc, cap, limit);
	free(limit);
	sr->sr_what = xstrdup(what);
	if (open_algo != NULL && open_hex != NULL &&
	    (sr->sr_hash = hash_new(open_algo)) != NULL) {
		sr->sr_open_algo = xstrdup(open_algo);
		sr->sr_open_hex = xstrdup(open_hex);
	}
	sr->sr_open_size = open_size;
	return 0;
}

ssize_t
sync_reader_read(void *arg, void *buf, size_t len, char **cause)
{
	struct sync_reader	*sr = arg;
	ssize_t			 n;

	n = decomp_read(sr->sr_dc, buf, len, cause);
	if (n > 0) {
		if (sr->sr_hash != NULL)
			hash_update(sr->sr_hash, buf, n);
		sr->sr_len += n;
	}
	return n;
}

int
sync_reader_close(struct sync_reader *sr, int ok, char **cause)
{
	char	 chunk[65536], hex[HASH_HEX_MAX], *why = NULL;
	ssize_t	 n;
	int	 rc = ok ? 0 : -1;

	while (rc == 0 && (n = sync_reader_read(sr, chunk, sizeof chunk,
	    &why)) != 0) {
		if (n < 0) {
			cause_set(cause, "%s", why);
			free(why);
			rc = -1;
		}
	}
	if (sr->sr_hash != NULL) {
		hash_final(sr->sr_hash, hex);
		if (rc == 0 && strcasecmp(hex, sr->sr_open_hex) != 0) {
			cause_set(cause, "%s: %s mismatch after decompression "
			    "(expected %s, got %s)", sr->sr_what,
			    sr->sr_open_algo, sr->sr_open_hex, hex);
			rc = -1;
		}
	}
	if (rc == 0 && sr->sr_open_size >= 0 && sr->sr_len != sr->sr_open_size) {
		cause_set(cause, "%s: size mismatch after decompression "
		    "(expected %lld bytes, got %lld)", sr->sr_what,
		    sr->sr_open_size, sr->sr_len);
		rc = -1;
	}
	decomp_close(sr->sr_dc);
	close(sr->sr_fd);
	if (rc != 0)
		sync_reader_reject(sr->sr_blob);
	free(sr->sr_blob);
	free(sr->sr_what);
	free(sr->sr_open_algo);
	free(sr->sr_open_hex);
	memset(sr, 0, sizeof *sr);
	return rc;
}

/*
 * 1 when the mirror's file recorded as kind/name had checksum sha256 at
 * the last sync (its content is in the store already), 0 when not, -1 on
 * a database error (cause set).
 */
int
sync_file_unchanged(struct indexer *ix, long long mirror_id, const char *kind,
    const char *name, const char *sha256, char **cause)
{
	long long	 same;
	int		 rc;

	rc = store_one(ix->ix_store, cause, &same, "SELECT checksum = ?4 FROM "
	    "mirror_files WHERE mirror = ?1 AND kind = ?2 AND name = ?3",
	    "Ittt", mirror_id, kind, name, sha256);
	if (rc != 1)
		return rc;
	return same != 0;
}

static void
sync_record(struct indexer *ix, long long mirror_id, const char *error)
{
	char	*why = NULL;
	int	 rc;

	if (error == NULL)
		rc = store_run(ix->ix_store, &why, "UPDATE mirrors SET "
		    "last_attempt = ?2, last_sync = ?2, last_error = NULL "
		    "WHERE id = ?1", "II", mirror_id, (long long)ix->ix_now);
	else
		rc = store_run(ix->ix_store, &why, "UPDATE mirrors SET "
		    "last_attempt = ?2, last_error = ?3 WHERE id = ?1", "IIt",
		    mirror_id, (long long)ix->ix_now, error);
	if (rc != 0) {
		log_warnx("recording the sync of mirror %lld: %s", mirror_id,
		    why);
		free(why);
	}
}

/*
 * first_sync: 1 while no sync of the mirror has succeeded; what it sees
 * then is the mirror's base.
 */
static int
sync_first_get(struct indexer *ix, long long id, int *first, char **cause)
{
	long long	 v;
	int		 rc;

	rc = store_one(ix->ix_store, cause, &v, "SELECT first_sync IS NULL "
	    "FROM mirrors WHERE id = ?1", "I", id);
	if (rc == 0)
		cause_set(cause, "store: mirrors: no row for mirror %lld", id);
	if (rc != 1)
		return -1;
	*first = v != 0;
	return 0;
}

static int
sync_first_done(struct indexer *ix, long long id, char **cause)
{
	return store_run(ix->ix_store, cause, "UPDATE mirrors SET "
	    "first_sync = ?2 WHERE id = ?1 AND first_sync IS NULL", "II", id,
	    (long long)ix->ix_now);
}

/*
 * The store lock, unless the command holds it already: taken after the
 * downloads, released after publishing.  ix_now is read again once it is
 * held, as a sync that waited must not publish the past.
 */
static int
sync_lock_store(struct indexer *ix, int *fd, char **cause)
{
	*fd = -1;
	if (ix->ix_store_locked)
		return 0;
	if ((*fd = lock_take_store(ix->ix_cf->cf_store, cause)) == -1)
		return -1;
	ix->ix_now = clock_now();
	return 0;
}

void
sync_fetch_policy(struct indexer *ix, struct mirror *mi)
{
	struct fetch_policy	 fp;
	char			**saved = NULL;

	if (ix->ix_fetch_mirror == mi)
		return;
	memset(&fp, 0, sizeof fp);
	fp.fp_timeout = mi->mi_fetch_timeout;
	fp.fp_redirects_any = mi->mi_redirects_any;
	fp.fp_proxy = mi->mi_proxy;
	fp.fp_ca_file = mi->mi_ca_file;
	/*
	 * The list itself is not fetched again: a publish does not read
	 * upstream.  Its saved bases begin with the urls.
	 */
	if (mi->mi_mirrorlist != NULL || mi->mi_metalink != NULL)
		saved = mirror_bases_load(ix->ix_cf->cf_store, mi->mi_name);
	fp.fp_canon = mi->mi_url;
	fp.fp_bases = saved != NULL ? saved : mi->mi_urls;
	fetch_set_policy(&fp);		/* keeps copies */
	words_free(saved);
	ix->ix_fetch_mirror = mi;
}

/* Waits for the unfiltered tree; its failure is only a warning. */
static void
sync_raw_finish(struct indexer *ix, struct mirror *mi,
    struct raw_publishing *raw)
{
	char	*why = NULL;

	store_autocheckpoint(ix->ix_store, 1);
	if (raw_publish_finish(raw, &why) != 0) {
		log_warnx("mirror %s: the unfiltered tree: %s", mi->mi_name,
		    why);
		free(why);
	}
}

int
sync_mirror(struct indexer *ix, struct mirror *mi, char **cause)
{
	struct fetch_policy	 fp;
	struct srm_fetched	*sf = NULL;
	struct sa_fetched	*saf = NULL;
	struct mirror_bases	 mb;
	struct raw_publishing	*raw = NULL;
	long long		 id = -1;
	char			*why = NULL, phases[256];
	int			 rc, changed, first, mfd, sfd = -1;

	phase_reset();
	if ((mfd = lock_take_mirror(ix->ix_cf->cf_store, mi->mi_name,
	    &why)) == -1) {
		cause_set(cause, "mirror %s: %s", mi->mi_name, why);
		free(why);
		return -1;
	}
	memset(&fp, 0, sizeof fp);
	memset(&mb, 0, sizeof mb);
	fp.fp_timeout = mi->mi_fetch_timeout;
	fp.fp_redirects_any = mi->mi_redirects_any;
	fp.fp_proxy = mi->mi_proxy;
	fp.fp_ca_file = mi->mi_ca_file;
	fetch_set_policy(&fp);
	ix->ix_fetch_mirror = NULL;	/* no bases yet */
	id = store_mirror_id(ix->ix_store, mi->mi_name,
	    mirror_type_name(mi->mi_type), &why);
	if (id == -1)
		goto fail;
	/* Every base the mirror has, tried in turn by each fetch. */
	if (mirror_bases_resolve(mi, ix->ix_cf->cf_store, &mb, &why) != 0)
		goto fail;
	fp.fp_canon = mi->mi_url;
	fp.fp_bases = mb.mb_bases;
	fp.fp_repomd_sha256 = mb.mb_sha256;
	fp.fp_metalink = mb.mb_what;
	fetch_set_policy(&fp);
	ix->ix_fetch_mirror = mi;
	/* Downloads first, holding only this mirror's lock. */
	if (mi->mi_type == MIRROR_RPMMD &&
	    sync_rpmmd_fetch(ix, mi, id, &sf, &why) != 0)
		goto fail;
	if (mi->mi_type == MIRROR_APT &&
	    sync_apt_fetch(ix, mi, id, &saf, &why) != 0)
		goto fail;
	if (sync_lock_store(ix, &sfd, &why) != 0)
		goto fail;
	/*
	 * The commit leaves its pages in the WAL: the thread that writes
	 * the unfiltered tree copies them into the database beside the
	 * publishing (raw_publish_start).
	 */
	store_autocheckpoint(ix->ix_store, 0);
	store_cache_bulk(ix->ix_store, 1);
	if (store_begin(ix->ix_store, &why) != 0)
		goto fail;
	if (sync_first_get(ix, id, &first, &why) != 0) {
		store_rollback(ix->ix_store);
		goto fail;
	}
	switch (mi->mi_type) {
	case MIRROR_RPMMD:
		rc = sync_rpmmd(ix, mi, id, first, sf, &why);
		break;
	case MIRROR_APT:
		rc = sync_apt(ix, mi, id, first, saf, &why);
		break;
	default:
		cause_set(&why, "type %s cannot be synced by this version",
		    mirror_type_name(mi->mi_type));
		rc = -1;
		break;
	}
	if (rc == 0)
		rc = sync_first_done(ix, id, &why);
	/*
	 * apt: the gzip form of the index views serve, made on the other
	 * core from now on, while the commit and the planning run.
	 */
	if (rc == 0 && mi->mi_type == MIRROR_APT)
		publish_apt_prepare(ix, id);
	if (rc != 0) {
		store_rollback(ix->ix_store);
		goto fail;
	}
	/* The planner's part of the sync's facts, beside the commit. */
	facts_prepare(ix, mi);
	if (store_commit(ix->ix_store, &why) != 0) {
		store_rollback(ix->ix_store);
		goto fail;
	}
	store_cache_bulk(ix->ix_store, 0);
	if (mi->mi_type == MIRROR_RPMMD)
		sync_rpmmd_prune(ix, id);
	sync_record(ix, id, NULL);
	/* patchgated fetches packages from these too (proxy/upstream.c). */
	if ((mi->mi_mirrorlist != NULL || mi->mi_metalink != NULL) &&
	    mirror_bases_save(ix->ix_cf->cf_store, mi->mi_name, mb.mb_bases,
	    &why) != 0) {
		log_warnx("mirror %s: %s", mi->mi_name, why);
		free(why);
		why = NULL;
	}
	/* /_mirror/, beside the views: a failure leaves them be. */
	raw = raw_publish_start(ix, mi, id);
	if (publish_mirror(ix, mi, &changed, &why) != 0)
		goto fail;
	sync_raw_finish(ix, mi, raw);
	/* Those publishing did not take: no view changed. */
	facts_set(ix, 0, NULL);
	/* Joined by publishing, unless it found no view to change. */
	publish_stream_gzip_wait();
	log_info("mirror %s: sync took %s", mi->mi_name,
	    phase_summary(phases, sizeof phases));
	sync_rpmmd_fetched_free(sf);
	sync_apt_fetched_free(saf);
	mirror_bases_clear(&mb);
	lock_release(sfd);
	lock_release(mfd);
	return 0;
fail:
	/* Debug only: the line that ends a failed sync is its cause. */
	log_debug("mirror %s: failed sync took %s", mi->mi_name,
	    phase_summary(phases, sizeof phases));
	publish_stream_gzip_wait();
	sync_raw_finish(ix, mi, raw);
	facts_set(ix, 0, NULL);
	if (ix->ix_store != NULL)
		store_cache_bulk(ix->ix_store, 0);
	cause_set(cause, "mirror %s: %s", mi->mi_name, why ? why : "failed");
	if (id != -1)
		sync_record(ix, id, *cause);
	free(why);
	sync_rpmmd_fetched_free(sf);
	sync_apt_fetched_free(saf);
	mirror_bases_clear(&mb);
	lock_release(sfd);
	lock_release(mfd);
	return -1;
}
