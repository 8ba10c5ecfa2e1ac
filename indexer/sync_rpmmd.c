/*
 * Syncing an rpm-md mirror (dnf, yum and zypper alike): repomd.xml (and
 * its signature when a keyring is configured), then every file a view
 * needs, each verified against the repomd's size and checksum before it is
 * parsed into the store: primary, filelists, other, updateinfo and SUSE's
 * deltainfo (Fedora's prestodelta).  Runs inside the transaction that
 * sync_mirror() opened.
 * Local names carry the prefix srm_ (sync rpm-md).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "blob.h"
#include "compress.h"
#include "fetch.h"
#include "hash.h"
#include "indexer.h"
#include "log.h"
#include "rpmmd.h"
#include "sign.h"
#include "store.h"
#include "xmalloc.h"

#define REPOMD_MAX	(16 * 1024 * 1024)

struct srm_sync {
	struct indexer	*rs_ix;
	struct mirror	*rs_mi;
	long long	 rs_mirror_id;
	int		 rs_first_sync;	/* no earlier sync succeeded */
	const char	*rs_kind;	/* primary, filelists, other */
	char		*rs_cause;	/* set by a callback that failed */
	unsigned long	 rs_count;
};

static int
srm_store_xml(struct srm_sync *rs, long long pkg, const char *kind,
    const char *raw, size_t len)
{
	struct store	*st = rs->rs_ix->ix_store;
	sqlite3_stmt	*stmt;

	stmt = store_stmt(st, "INSERT OR REPLACE INTO package_xml "
	    "(package, kind, raw) VALUES (?1, ?2, ?3)");
	if (stmt == NULL)
		goto fail;
	sqlite3_bind_int64(stmt, 1, pkg);
	sqlite3_bind_text(stmt, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_blob64(stmt, 3, raw, len, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		goto fail;
	return 0;
fail:
	store_error(st, "package_xml", &rs->rs_cause);
	return -1;
}

/*
 * An xml:base the proxy may fetch from: http or https (views drop it and
 * serve the file through the gate, publish_rpmmd.c), or a relative one.
 * Any other scheme (file:, ftp:) could make the proxy read what it must
 * not: the package is refused with a warning.
 */
static int
srm_base_ok(const char *base)
{
	size_t	n;

	if (base == NULL)
		return 1;
	n = strcspn(base, ":/?#");
	if (base[n] != ':')
		return 1;
	return (n == 4 && strncasecmp(base, "http", 4) == 0) ||
	    (n == 5 && strncasecmp(base, "https", 5) == 0);
}

static int
srm_primary_cb(const struct rpmmd_package *rp, void *arg)
{
	struct srm_sync	*rs = arg;
	struct store		*st = rs->rs_ix->ix_store;
	sqlite3_stmt		*stmt;
	long long		 id;

	if (rp->rp_pkgid == NULL || rp->rp_checksum_type == NULL ||
	    rp->rp_name == NULL || rp->rp_version == NULL ||
	    rp->rp_location == NULL || hash_canonical(rp->rp_checksum_type) == NULL) {
		cause_set(&rs->rs_cause, "line %ld: package %s has no %s",
		    rp->rp_line, rp->rp_name ? rp->rp_name : "(unnamed)",
		    rp->rp_pkgid == NULL ? "checksum" :
		    rp->rp_checksum_type == NULL ||
		    hash_canonical(rp->rp_checksum_type) == NULL ?
		    "known checksum type" : rp->rp_version == NULL ? "version" :
		    rp->rp_name == NULL ? "name" : "location");
		return -1;
	}
	if (!srm_base_ok(rp->rp_location_base)) {
		log_warnx("mirror %s: line %ld: package %s-%s-%s.%s refused: its "
		    "<location xml:base=\"%s\"> is neither http nor https",
		    rs->rs_mi->mi_name, rp->rp_line, rp->rp_name,
		    rp->rp_version, rp->rp_release ? rp->rp_release : "",
		    rp->rp_arch ? rp->rp_arch : "", rp->rp_location_base);
		return 0;
	}
	stmt = store_stmt(st, "SELECT id FROM packages WHERE mirror = ?1 AND "
	    "pkgid = ?2");
	if (stmt == NULL)
		goto fail;
	sqlite3_bind_int64(stmt, 1, rs->rs_mirror_id);
	sqlite3_bind_text(stmt, 2, rp->rp_pkgid, -1, SQLITE_STATIC);
	switch (sqlite3_step(stmt)) {
	case SQLITE_ROW:
		id = sqlite3_column_int64(stmt, 0);
		stmt = store_stmt(st, "UPDATE packages SET upstream = 1, "
		    "last_seen = ?2, location = ?3, location_base = ?4, "
		    "size = ?5 WHERE id = ?1");
		if (stmt == NULL)
			goto fail;
		sqlite3_bind_int64(stmt, 1, id);
		sqlite3_bind_int64(stmt, 2, rs->rs_ix->ix_now);
		sqlite3_bind_text(stmt, 3, rp->rp_location, -1, SQLITE_STATIC);
		if (rp->rp_location_base != NULL)
			sqlite3_bind_text(stmt, 4, rp->rp_location_base, -1,
			    SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 5, rp->rp_size);
		if (sqlite3_step(stmt) != SQLITE_DONE)
			goto fail;
		break;
	case SQLITE_DONE:
		stmt = store_stmt(st, "INSERT INTO packages (mirror, pkgid, "
		    "checksum_type, name, arch, epoch, version, release, "
		    "location, location_base, size, first_seen, upstream, "
		    "last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
		    "?10, ?11, ?12, 1, ?13)");
		if (stmt == NULL)
			goto fail;
		sqlite3_bind_int64(stmt, 1, rs->rs_mirror_id);
		sqlite3_bind_text(stmt, 2, rp->rp_pkgid, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 3, hash_canonical(rp->rp_checksum_type),
		    -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 4, rp->rp_name, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 5, rp->rp_arch ? rp->rp_arch : "",
		    -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 6, rp->rp_epoch && *rp->rp_epoch ?
		    rp->rp_epoch : "0", -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 7, rp->rp_version, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 8, rp->rp_release ? rp->rp_release : "",
		    -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 9, rp->rp_location, -1, SQLITE_STATIC);
		if (rp->rp_location_base != NULL)
			sqlite3_bind_text(stmt, 10, rp->rp_location_base, -1,
			    SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 11, rp->rp_size);
		if (!rs->rs_first_sync)
			sqlite3_bind_int64(stmt, 12, rs->rs_ix->ix_now);
		sqlite3_bind_int64(stmt, 13, rs->rs_ix->ix_now);
		if (sqlite3_step(stmt) != SQLITE_DONE)
			goto fail;
		id = sqlite3_last_insert_rowid(store_db(st));
		break;
	default:
		goto fail;
	}
	rs->rs_count++;
	log_progress("mirror %s: primary: %lld packages", rs->rs_mi->mi_name,
	    (long long)rs->rs_count);
	return srm_store_xml(rs, id, "primary", rp->rp_raw, rp->rp_rawlen);
fail:
	store_error(st, "packages", &rs->rs_cause);
	return -1;
}

/*
 * deltainfo and prestodelta: one <newpackage> element per target version,
 * kept whole; views list it when they list its target.
 */
static int
srm_delta_cb(const struct rpmmd_package *rp, void *arg)
{
	struct srm_sync	*rs = arg;
	struct store		*st = rs->rs_ix->ix_store;
	sqlite3_stmt		*stmt;

	if (rp->rp_name == NULL || rp->rp_version == NULL) {
		cause_set(&rs->rs_cause, "line %ld: <newpackage> without %s",
		    rp->rp_line, rp->rp_name == NULL ? "name" : "version");
		return -1;
	}
	stmt = store_stmt(st, "INSERT INTO deltas (mirror, name, epoch, "
	    "version, release, arch, raw, position) VALUES (?1, ?2, ?3, ?4, "
	    "?5, ?6, ?7, ?8)");
	if (stmt == NULL)
		goto fail;
	sqlite3_bind_int64(stmt, 1, rs->rs_mirror_id);
	sqlite3_bind_text(stmt, 2, rp->rp_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, rp->rp_epoch && *rp->rp_epoch ?
	    rp->rp_epoch : "0", -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, rp->rp_version, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, rp->rp_release ? rp->rp_release : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(stmt, 6, rp->rp_arch ? rp->rp_arch : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_blob64(stmt, 7, rp->rp_raw, rp->rp_rawlen, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 8, rs->rs_count++);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		goto fail;
	return 0;
fail:
	store_error(st, "deltas", &rs->rs_cause);
	return -1;
}

/* filelists and other: attach the element to the version primary listed. */
static int
srm_extra_cb(const struct rpmmd_package *rp, void *arg)
{
	struct srm_sync	*rs = arg;
	struct store		*st = rs->rs_ix->ix_store;
	sqlite3_stmt		*stmt;
	long long		 id;

	if (rp->rp_pkgid == NULL) {
		cause_set(&rs->rs_cause, "line %ld: package without pkgid",
		    rp->rp_line);
		return -1;
	}
	stmt = store_stmt(st, "SELECT id FROM packages WHERE mirror = ?1 AND "
	    "pkgid = ?2 AND upstream = 1");
	if (stmt == NULL) {
		store_error(st, "packages", &rs->rs_cause);
		return -1;
	}
	sqlite3_bind_int64(stmt, 1, rs->rs_mirror_id);
	sqlite3_bind_text(stmt, 2, rp->rp_pkgid, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_ROW)
		return 0;	/* not in primary: no view can list it */
	id = sqlite3_column_int64(stmt, 0);
	rs->rs_count++;
	log_progress("mirror %s: %s: %lld packages", rs->rs_mi->mi_name,
	    rs->rs_kind, (long long)rs->rs_count);
	return srm_store_xml(rs, id, rs->rs_kind, rp->rp_raw, rp->rp_rawlen);
}

static char *
lowercase(const char *s)
{
	char	*p, *q;

	if (s == NULL)
		return NULL;
	p = xstrdup(s);
	for (q = p; *q != '\0'; q++)
		*q = tolower((unsigned char)*q);
	return p;
}

static int
srm_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * The version="" of an <update> start tag, walking its attributes so that
 * a value holding the same word cannot be taken for it; caller-freed, NULL
 * if none.
 */
static char *
srm_update_version(const char *raw, size_t len)
{
	const char	*p, *end, *name, *value;
	size_t		 namelen;
	char		 quote;

	if ((end = memchr(raw, '>', len)) == NULL)
		return NULL;
	for (p = raw + 1; p < end && !srm_blank(*p) && *p != '/'; p++)
		;
	for (;;) {
		while (p < end && srm_blank(*p))
			p++;
		if (p >= end || *p == '/')
			return NULL;
		name = p;
		while (p < end && *p != '=' && !srm_blank(*p))
			p++;
		namelen = p - name;
		while (p < end && srm_blank(*p))
			p++;
		if (p >= end || *p != '=')
			return NULL;
		for (p++; p < end && srm_blank(*p); p++)
			;
		if (p >= end || (*p != '"' && *p != '\''))
			return NULL;
		quote = *p++;
		value = p;
		if ((p = memchr(p, quote, end - p)) == NULL)
			return NULL;
		if (namelen == 7 && strncmp(name, "version", 7) == 0)
			return xstrndup(value, p - value);
		p++;
	}
}

/* Whether this sync has already stored an advisory under key. */
static int
srm_advisory_seen(struct srm_sync *rs, const char *key, int *seen)
{
	struct store	*st = rs->rs_ix->ix_store;
	sqlite3_stmt	*stmt;

	*seen = 0;
	stmt = store_stmt(st, "SELECT upstream FROM advisories WHERE "
	    "mirror = ?1 AND advid = ?2");
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, rs->rs_mirror_id);
	sqlite3_bind_text(stmt, 2, key, -1, SQLITE_STATIC);
	switch (sqlite3_step(stmt)) {
	case SQLITE_ROW:
		*seen = sqlite3_column_int(stmt, 0);
		break;
	case SQLITE_DONE:
		break;
	default:
		return -1;
	}
	return 0;
}

/*
 * The key an advisory is stored under: its <id>, unless this document
 * already listed that <id>.  SUSE's updateinfo lists every edition of a
 * patch under the same <id> (zypper tells them apart by version=), and
 * each must keep its own packages and date: later editions are stored
 * as "ID@VERSION".  Caller-freed; NULL on a store error.
 */
static char *
srm_advisory_key(struct srm_sync *rs, const struct rpmmd_advisory *ad)
{
	char	*key, *version;
	int	 seen;

	key = xstrdup(ad->ad_id);
	if (srm_advisory_seen(rs, key, &seen) != 0)
		goto fail;
	if (!seen)
		return key;
	free(key);
	version = srm_update_version(ad->ad_raw, ad->ad_rawlen);
	xasprintf(&key, "%s@%s", ad->ad_id, version ? version : "");
	free(version);
	if (srm_advisory_seen(rs, key, &seen) != 0)
		goto fail;
	if (!seen)
		return key;
	/* The same edition twice: keep both, by position. */
	free(key);
	xasprintf(&key, "%s@#%lu", ad->ad_id, rs->rs_count);
	return key;
fail:
	free(key);
	return NULL;
}

static int
srm_advisory_cb(const struct rpmmd_advisory *ad, void *arg)
{
	struct srm_sync	*rs = arg;
	struct store		*st = rs->rs_ix->ix_store;
	sqlite3_stmt		*stmt;
	long long		 id;
	char			*type, *sev, *key = NULL;
	size_t			 i;
	int			 rc;

	if (ad->ad_id == NULL || *ad->ad_id == '\0') {
		cause_set(&rs->rs_cause, "line %ld: update without <id>",
		    ad->ad_line);
		return -1;
	}
	if ((key = srm_advisory_key(rs, ad)) == NULL)
		goto fail;
	stmt = store_stmt(st, "INSERT INTO advisories (mirror, advid, type, "
	    "severity, issued, updated, raw, upstream, position) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8) ON CONFLICT (mirror, advid) "
	    "DO UPDATE SET type = ?3, severity = ?4, issued = ?5, updated = ?6, "
	    "raw = ?7, upstream = 1, position = ?8");
	if (stmt == NULL)
		goto fail;
	type = lowercase(ad->ad_type);
	sev = lowercase(ad->ad_severity);
	sqlite3_bind_int64(stmt, 1, rs->rs_mirror_id);
	sqlite3_bind_text(stmt, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, sev, -1, SQLITE_STATIC);
	if (ad->ad_issued > 0)
		sqlite3_bind_int64(stmt, 5, ad->ad_issued);
	if (ad->ad_updated > 0)
		sqlite3_bind_int64(stmt, 6, ad->ad_updated);
	sqlite3_bind_blob64(stmt, 7, ad->ad_raw, ad->ad_rawlen, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 8, rs->rs_count++);
	rc = sqlite3_step(stmt);
	free(type);
	free(sev);
	if (rc != SQLITE_DONE)
		goto fail;

	stmt = store_stmt(st, "SELECT id FROM advisories WHERE mirror = ?1 AND "
	    "advid = ?2");
	if (stmt == NULL)
		goto fail;
	sqlite3_bind_int64(stmt, 1, rs->rs_mirror_id);
	sqlite3_bind_text(stmt, 2, key, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_ROW)
		goto fail;
	id = sqlite3_column_int64(stmt, 0);

	stmt = store_stmt(st, "DELETE FROM advisory_packages WHERE advisory = ?1");
	if (stmt == NULL)
		goto fail;
	sqlite3_bind_int64(stmt, 1, id);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		goto fail;
	stmt = store_stmt(st, "DELETE FROM advisory_cves WHERE advisory = ?1");
	if (stmt == NULL)
		goto fail;
	sqlite3_bind_int64(stmt, 1, id);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		goto fail;

	for (i = 0; i < ad->ad_npkgs; i++) {
		const struct rpmmd_advpkg	*ap = &ad->ad_pkgs[i];

		if (ap->ap_name == NULL || ap->ap_version == NULL)
			continue;
		stmt = store_stmt(st, "INSERT INTO advisory_packages (advisory, "
		    "name, epoch, version, release, arch, raw_off, raw_len) "
		    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
		if (stmt == NULL)
			goto fail;
		sqlite3_bind_int64(stmt, 1, id);
		sqlite3_bind_text(stmt, 2, ap->ap_name, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 3, ap->ap_epoch && *ap->ap_epoch ?
		    ap->ap_epoch : "0", -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 4, ap->ap_version, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 5, ap->ap_release ? ap->ap_release : "",
		    -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 6, ap->ap_arch ? ap->ap_arch : "", -1,
		    SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 7, ap->ap_raw_off);
		sqlite3_bind_int64(stmt, 8, ap->ap_raw_len);
		if (sqlite3_step(stmt) != SQLITE_DONE)
			goto fail;
	}
	for (i = 0; ad->ad_cves != NULL && ad->ad_cves[i] != NULL; i++) {
		stmt = store_stmt(st, "INSERT INTO advisory_cves (advisory, cve) "
		    "VALUES (?1, ?2)");
		if (stmt == NULL)
			goto fail;
		sqlite3_bind_int64(stmt, 1, id);
		sqlite3_bind_text(stmt, 2, ad->ad_cves[i], -1, SQLITE_STATIC);
		if (sqlite3_step(stmt) != SQLITE_DONE)
			goto fail;
	}
	free(key);
	return 0;
fail:
	store_error(st, "advisories", &rs->rs_cause);
	free(key);
	return -1;
}

/* Records a root start tag or a passed-through file of the mirror. */
static int
srm_record_file(struct srm_sync *rs, const char *kind, const char *name,
    const char *value, struct rpmmd_data *rd, char **cause)
{
	struct store	*st = rs->rs_ix->ix_store;
	sqlite3_stmt	*stmt;

	stmt = store_stmt(st, "INSERT OR REPLACE INTO mirror_files (mirror, "
	    "kind, name, value, checksum_type, checksum, size, open_checksum, "
	    "open_size, timestamp) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
	    "?10)");
	if (stmt == NULL) {
		store_error(st, "mirror_files", cause);
		return -1;
	}
	sqlite3_bind_int64(stmt, 1, rs->rs_mirror_id);
	sqlite3_bind_text(stmt, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, name, -1, SQLITE_STATIC);
	if (value != NULL)
		sqlite3_bind_blob64(stmt, 4, value, strlen(value), SQLITE_STATIC);
	if (rd != NULL) {
		sqlite3_bind_text(stmt, 5, rd->rd_checksum_type, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 6, rd->rd_checksum, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 7, rd->rd_size);
		if (rd->rd_open_checksum != NULL) {
			char	*oc;

			xasprintf(&oc, "%s:%s", rd->rd_open_checksum_type,
			    rd->rd_open_checksum);
			sqlite3_bind_text(stmt, 8, oc, -1, free);
		}
		if (rd->rd_open_size >= 0)
			sqlite3_bind_int64(stmt, 9, rd->rd_open_size);
		if (rd->rd_timestamp >= 0)
			sqlite3_bind_int64(stmt, 10, rd->rd_timestamp);
	}
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		store_error(st, "mirror_files", cause);
		return -1;
	}
	return 0;
}

/* SUSE's deltainfo and Fedora's prestodelta: the same <newpackage> list. */
static int
srm_is_delta(const char *type)
{
	return strcmp(type, "deltainfo") == 0 || strcmp(type, "prestodelta") == 0;
}

static int
srm_parse_data(struct srm_sync *rs, struct rpmmd_data *rd, char **cause)
{
	struct sync_reader	 rr;
	char			*why = NULL, *root = NULL;
	int			 rc;

	if (sync_reader_open(&rr, rs->rs_ix, rd->rd_location,
	    rd->rd_checksum_type, rd->rd_checksum, rd->rd_open_checksum_type,
	    rd->rd_open_checksum, rd->rd_open_size, cause) != 0)
		return -1;
	rs->rs_count = 0;
	if (strcmp(rd->rd_type, "primary") == 0)
		rc = rpmmd_packages_parse(sync_reader_read, &rr, rd->rd_location,
		    srm_primary_cb, rs, &root, &why);
	else if (strcmp(rd->rd_type, "updateinfo") == 0)
		rc = rpmmd_updateinfo_parse(sync_reader_read, &rr,
		    rd->rd_location, srm_advisory_cb, rs, &root, &why);
	else if (srm_is_delta(rd->rd_type))
		rc = rpmmd_deltainfo_parse(sync_reader_read, &rr,
		    rd->rd_location, srm_delta_cb, rs, &root, &why);
	else {
		rs->rs_kind = rd->rd_type;
		rc = rpmmd_packages_parse(sync_reader_read, &rr, rd->rd_location,
		    srm_extra_cb, rs, &root, &why);
	}
	if (rc != 0) {
		if (rs->rs_cause != NULL) {
			cause_set(cause, "%s: %s", rd->rd_location, rs->rs_cause);
			free(rs->rs_cause);
			rs->rs_cause = NULL;
		} else
			cause_set(cause, "%s", why ? why : "parse failed");
		free(why);
		free(root);
		sync_reader_close(&rr, 0, NULL);
		return -1;
	}
	if (sync_reader_close(&rr, 1, cause) != 0) {
		free(root);
		return -1;
	}
	rc = srm_record_file(rs, "root", rd->rd_type, root, NULL, cause);
	free(root);
	log_debug("mirror %s: %s: %lu entries", rs->rs_mi->mi_name,
	    rd->rd_location, rs->rs_count);
	return rc;
}

/*
 * SUSE's susedata and its translations (susedata.LANG, also written
 * susedata_LANG): one <package pkgid= name= arch=><version .../> per
 * version, with keywords and EULAs.  Filtered like filelists, as it names
 * versions.  suseinfo names none (repository keywords, expiry): passed.
 */
static int
srm_is_susedata(const char *type)
{
	return strcmp(type, "susedata") == 0 ||
	    strncmp(type, "susedata.", 9) == 0 ||
	    strncmp(type, "susedata_", 9) == 0;
}

/* What a view does with each type of repomd data. */
enum srm_use {
	SRM_PARSE,		/* parsed and filtered */
	SRM_PASS,		/* passed through unchanged */
	SRM_SKIP,		/* left out of views */
};

static enum srm_use
srm_data_use(const char *type)
{
	size_t	len = strlen(type);

	if (strcmp(type, "primary") == 0 || strcmp(type, "filelists") == 0 ||
	    strcmp(type, "other") == 0 || strcmp(type, "updateinfo") == 0 ||
	    srm_is_delta(type) || srm_is_susedata(type))
		return SRM_PARSE;
	/* sqlite databases and zchunk files would bypass the filtering. */
	if ((len > 3 && strcmp(type + len - 3, "_db") == 0) ||
	    (len > 4 && strcmp(type + len - 4, "_zck") == 0))
		return SRM_SKIP;
	/* comps, modules, SUSE's suseinfo, appdata, patterns, products... */
	return SRM_PASS;
}

/*
 * Files a view cannot do without: their absence fails the sync.  A missing
 * filelists is left out with a warning, as zypper never reads it and old
 * SUSE repositories list it without serving it.
 */
static int
srm_data_required(const char *type)
{
	return strcmp(type, "primary") == 0 || strcmp(type, "updateinfo") == 0;
}

static int
srm_check_signature(struct srm_sync *rs, const char *repomd, size_t len,
    char **cause)
{
	struct mirror	*mi = rs->rs_mi;
	char		*url, *sig = NULL, *why = NULL, *work, *warning = NULL;
	size_t		 siglen;
	int		 rc;

	url = mirror_url(mi, NULL, "repodata/repomd.xml.asc");
	rc = fetch_to_memory(url, 1024 * 1024, &sig, &siglen, NULL, &why);
	free(url);
	if (rc != 0) {
		cause_set(cause, "repodata/repomd.xml.asc: %s (a keyring is "
		    "configured, so the signature is required)", why);
		free(why);
		return -1;
	}
	xasprintf(&work, "%s/keyrings/%s", rs->rs_ix->ix_cf->cf_store,
	    mi->mi_name);
	if (mkdir_p(work, 0700) == -1) {
		cause_set(cause, "%s: %s", work, strerror(errno));
		free(work);
		free(sig);
		return -1;
	}
	rc = verify_detached_flags(mi->mi_keyring, work, repomd, len, sig,
	    siglen, mi->mi_keyring_allow_expired ? VERIFY_ALLOW_EXPIRED : 0,
	    &warning, &why);
	free(work);
	free(sig);
	if (rc != 0) {
		cause_set(cause, "repodata/repomd.xml: signature check against "
		    "keyring %s failed: %s%s", mi->mi_keyring, why,
		    !mi->mi_keyring_allow_expired &&
		    strstr(why, "an expired key") != NULL ? " (with "
		    "keyring-allow-expired = yes, a good signature made before "
		    "the key expired is accepted)" : "");
		free(why);
		return -1;
	}
	if (warning != NULL) {
		log_warnx("mirror %s: repodata/repomd.xml: %s; accepted, as "
		    "keyring-allow-expired is set", mi->mi_name, warning);
		free(warning);
	}
	return 0;
}

static int
srm_fetch_data(struct srm_sync *rs, struct rpmmd_data *rd, int *missing,
    char **cause)
{
	char	*url, *why = NULL;
	int	 rc;

	*missing = 0;
	if (rd->rd_checksum == NULL ||
	    rd->rd_checksum_type == NULL) {
		cause_set(cause, "repodata/repomd.xml: data %s has no checksum",
		    rd->rd_type);
		return -1;
	}
	url = mirror_url(rs->rs_mi, NULL, rd->rd_location);
	rc = sync_fetch_blob(rs->rs_ix, rs->rs_mi, url, rd->rd_location,
	    rd->rd_checksum_type, rd->rd_checksum, rd->rd_size, &why);
	free(url);
	if (rc != 0) {
		if (strstr(why, "HTTP 404") != NULL ||
		    strstr(why, "No such file") != NULL ||
		    strstr(why, "Couldn't open file") != NULL)
			*missing = 1;
		cause_set(cause, "%s", why);
		free(why);
	}
	return rc;
}

static int
srm_check_location(struct rpmmd_data *rd, char **cause)
{
	const char	*p = rd->rd_location;

	if (p == NULL || *p == '\0' || *p == '/' || strstr(p, "..") != NULL ||
	    strstr(p, "://") != NULL || strpbrk(p, "\"'<>&\\ \t\r\n") != NULL) {
		cause_set(cause, "repodata/repomd.xml: data %s has an unsafe "
		    "location \"%s\"", rd->rd_type, p ? p : "");
		return -1;
	}
	return 0;
}

static int
srm_repomd_record(struct srm_sync *rs, const char *hex, char **cause)
{
	sqlite3_stmt	*stmt;

	stmt = store_stmt(rs->rs_ix->ix_store, "UPDATE mirror_files SET "
	    "checksum_type = 'sha256', checksum = ?2 WHERE mirror = ?1 AND "
	    "kind = 'repomd'");
	if (stmt == NULL)
		goto fail;
	sqlite3_bind_int64(stmt, 1, rs->rs_mirror_id);
	sqlite3_bind_text(stmt, 2, hex, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		goto fail;
	return 0;
fail:
	store_error(rs->rs_ix->ix_store, "mirror_files", cause);
	return -1;
}

/* What the download phase leaves for the recording phase. */
struct srm_fetched {
	char			*sf_repomd;
	size_t			 sf_len;
	char			 sf_hex[HASH_HEX_MAX];
	struct rpmmd_repomd	*sf_rm;
	int			 sf_unchanged;	/* the repomd.xml of the last sync */
};

void
sync_rpmmd_fetched_free(struct srm_fetched *sf)
{
	if (sf == NULL)
		return;
	free(sf->sf_repomd);
	rpmmd_repomd_free(sf->sf_rm);
	free(sf);
}

/*
 * The download phase, outside the store's transaction and lock (only the
 * mirror's own lock is held): repomd.xml, its signature, and every file
 * it lists into the blob store, verified against repomd.xml.  A download
 * failure records nothing.
 */
int
sync_rpmmd_fetch(struct indexer *ix, struct mirror *mi, long long mirror_id,
    struct srm_fetched **out, char **cause)
{
	struct srm_sync		 rs;
	struct srm_fetched	*sf;
	struct rpmmd_data	*rd;
	char			*url, *why = NULL;
	int			 missing;

	*out = NULL;
	memset(&rs, 0, sizeof rs);
	rs.rs_ix = ix;
	rs.rs_mi = mi;
	rs.rs_mirror_id = mirror_id;
	sf = xcalloc(1, sizeof *sf);

	url = mirror_url(mi, NULL, "repodata/repomd.xml");
	if (fetch_to_memory(url, REPOMD_MAX, &sf->sf_repomd, &sf->sf_len, NULL,
	    &why) != 0) {
		cause_set(cause, "%s", why);
		free(url);
		goto fail;
	}
	free(url);
	if (mi->mi_keyring != NULL &&
	    srm_check_signature(&rs, sf->sf_repomd, sf->sf_len, cause) != 0)
		goto fail;
	if ((sf->sf_rm = rpmmd_repomd_parse(sf->sf_repomd, sf->sf_len,
	    "repodata/repomd.xml", &why)) == NULL) {
		cause_set(cause, "%s", why);
		goto fail;
	}
	if (rpmmd_repomd_find(sf->sf_rm, "primary") == NULL) {
		cause_set(cause, "repodata/repomd.xml: lists no primary");
		goto fail;
	}

	/*
	 * The same repomd.xml as at the last sync names the same files,
	 * which are parsed into the store already.  Only a sync of this
	 * mirror changes that, and it waits for our mirror lock.
	 */
	hash_buffer("sha256", sf->sf_repomd, sf->sf_len, sf->sf_hex);
	/* Served as it came at /_mirror/ (raw.c). */
	if (raw_keep(ix, "repodata/repomd.xml", sf->sf_hex, sf->sf_repomd,
	    sf->sf_len, cause) != 0)
		goto fail;
	switch (sync_file_unchanged(ix, mirror_id, "repomd", "repomd.xml",
	    sf->sf_hex)) {
	case 1:
		log_debug("mirror %s: repodata/repomd.xml unchanged", mi->mi_name);
		sf->sf_unchanged = 1;
		*out = sf;
		return 0;
	case -1:
		store_error(ix->ix_store, "mirror_files", cause);
		goto fail;
	}

	/* The deltas table holds one document: deltainfo, else prestodelta. */
	if (rpmmd_repomd_find(sf->sf_rm, "deltainfo") != NULL &&
	    (rd = rpmmd_repomd_find(sf->sf_rm, "prestodelta")) != NULL) {
		log_warnx("mirror %s: repodata/repomd.xml lists both deltainfo "
		    "and prestodelta; views carry deltainfo only", mi->mi_name);
		free(rd->rd_type);
		rd->rd_type = xstrdup("");	/* skipped below */
	}

	/* Fetch everything first: a download failure parses nothing. */
	TAILQ_FOREACH(rd, &sf->sf_rm->rm_datas, rd_entry) {
		if (*rd->rd_type == '\0' ||
		    srm_data_use(rd->rd_type) == SRM_SKIP)
			continue;
		if (srm_check_location(rd, cause) != 0)
			goto fail;
		if (srm_fetch_data(&rs, rd, &missing, &why) == 0)
			continue;
		if (missing && !srm_data_required(rd->rd_type)) {
			log_warnx("mirror %s: %s (%s) is listed in "
			    "repodata/repomd.xml but missing upstream; views "
			    "leave it out: %s", mi->mi_name, rd->rd_location,
			    rd->rd_type, why);
			free(why);
			why = NULL;
			free(rd->rd_type);
			rd->rd_type = xstrdup("");	/* skipped below */
			continue;
		}
		cause_set(cause, "%s", why);
		goto fail;
	}
	*out = sf;
	return 0;
fail:
	free(why);
	sync_rpmmd_fetched_free(sf);
	return -1;
}

/*
 * The recording phase, inside the transaction that sync_mirror() opened
 * under the store lock: parses what sync_rpmmd_fetch() stored.
 */
int
sync_rpmmd(struct indexer *ix, struct mirror *mi, long long mirror_id,
    int first_sync, struct srm_fetched *sf, char **cause)
{
	struct srm_sync		 rs;
	struct rpmmd_repomd	*rm = sf->sf_rm;
	struct rpmmd_data	*rd;
	struct store		*st = ix->ix_store;
	sqlite3_stmt		*stmt;
	static const char *const order[] = { "primary", "filelists", "other",
					     "updateinfo", "deltainfo",
					     "prestodelta", NULL };
	size_t			 i;

	if (sf->sf_unchanged)
		return 0;
	memset(&rs, 0, sizeof rs);
	rs.rs_ix = ix;
	rs.rs_mi = mi;
	rs.rs_mirror_id = mirror_id;
	rs.rs_first_sync = first_sync;

	stmt = store_stmt(st, "DELETE FROM mirror_files WHERE mirror = ?1");
	if (stmt == NULL || (sqlite3_bind_int64(stmt, 1, mirror_id),
	    sqlite3_step(stmt)) != SQLITE_DONE) {
		store_error(st, "mirror_files", cause);
		return -1;
	}
	stmt = store_stmt(st, "UPDATE packages SET upstream = 0 WHERE mirror = ?1");
	if (stmt == NULL || (sqlite3_bind_int64(stmt, 1, mirror_id),
	    sqlite3_step(stmt)) != SQLITE_DONE) {
		store_error(st, "packages", cause);
		return -1;
	}
	stmt = store_stmt(st, "UPDATE advisories SET upstream = 0 WHERE mirror = ?1");
	if (stmt == NULL || (sqlite3_bind_int64(stmt, 1, mirror_id),
	    sqlite3_step(stmt)) != SQLITE_DONE) {
		store_error(st, "advisories", cause);
		return -1;
	}
	/* Deltas only ever lead to what upstream lists now. */
	stmt = store_stmt(st, "DELETE FROM deltas WHERE mirror = ?1");
	if (stmt == NULL || (sqlite3_bind_int64(stmt, 1, mirror_id),
	    sqlite3_step(stmt)) != SQLITE_DONE) {
		store_error(st, "deltas", cause);
		return -1;
	}

	/* primary before the documents that refer to its packages. */
	for (i = 0; order[i] != NULL; i++) {
		if ((rd = rpmmd_repomd_find(rm, order[i])) == NULL)
			continue;
		if (srm_parse_data(&rs, rd, cause) != 0)
			return -1;
	}
	TAILQ_FOREACH(rd, &rm->rm_datas, rd_entry) {
		if (*rd->rd_type == '\0' || !srm_is_susedata(rd->rd_type))
			continue;
		if (srm_parse_data(&rs, rd, cause) != 0)
			return -1;
	}
	TAILQ_FOREACH(rd, &rm->rm_datas, rd_entry) {
		if (*rd->rd_type == '\0' ||
		    srm_data_use(rd->rd_type) == SRM_SKIP)
			continue;
		if (srm_record_file(&rs, srm_data_use(rd->rd_type) ==
		    SRM_PASS ? "pass" : "data", rd->rd_type, rd->rd_location,
		    rd, cause) != 0)
			return -1;
	}

	if (srm_record_file(&rs, "repomd", "repomd.xml", NULL, NULL, cause) != 0 ||
	    srm_repomd_record(&rs, sf->sf_hex, cause) != 0)
		return -1;
	return 0;
}
