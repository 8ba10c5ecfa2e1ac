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
#include <pthread.h>
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
#include "phase.h"
#include "rpmmd.h"
#include "sign.h"
#include "store.h"
#include "store_query.h"
#include "xmalloc.h"

#include <libxml/parser.h>

#define REPOMD_MAX	(16 * 1024 * 1024)

struct srm_sync {
	struct indexer	*rs_ix;
	struct mirror	*rs_mi;
	long long	 rs_mirror_id;
	int		 rs_first_sync;	/* no earlier sync succeeded */
	const char	*rs_kind;	/* primary, filelists, other */
	char		*rs_cause;	/* set by a callback that failed */
	unsigned long	 rs_count;
	long long	 rs_doc;	/* the spooled document being parsed */
};

/* What a package document's parser reads: the blob, spooled on the way. */
struct srm_tee {
	struct sync_reader	*st_rr;
	struct rpmmd_spool	*st_sp;
};

static ssize_t
srm_tee_read(void *arg, void *buf, size_t len, char **cause)
{
	struct srm_tee	*st = arg;
	ssize_t		 n;

	n = sync_reader_read(st->st_rr, buf, len, cause);
	if (n > 0 && rpmmd_spool_add(st->st_sp, buf, n, cause) != 0)
		return -1;
	return n;
}

/*
 * Records where version pkg's element lies in the document being spooled:
 * its bytes go to views from there (lib/rpmmd_spool.c).
 */
static int
srm_store_span(struct srm_sync *rs, long long pkg, const char *kind,
    long long off, size_t len)
{
	return store_run(rs->rs_ix->ix_store, &rs->rs_cause, "INSERT OR "
	    "REPLACE INTO package_spans (package, kind, doc, off, len) VALUES "
	    "(?1, ?2, ?3, ?4, ?5)", "ItIII", pkg, kind, rs->rs_doc, off,
	    (long long)len);
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
srm_primary_cb_store(const struct rpmmd_package *rp, void *arg)
{
	struct srm_sync	*rs = arg;
	struct store		*st = rs->rs_ix->ix_store;
	long long		 id;
	int			 found;

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
	found = store_one(st, &rs->rs_cause, &id, "SELECT id FROM packages "
	    "WHERE mirror = ?1 AND pkgid = ?2", "It", rs->rs_mirror_id,
	    rp->rp_pkgid);
	if (found == -1)
		return -1;
	if (found == 1) {
		if (store_run(st, &rs->rs_cause, "UPDATE packages SET upstream "
		    "= 1, last_seen = ?2, location = ?3, location_base = ?4, "
		    "size = ?5 WHERE id = ?1", "IIttI", id,
		    (long long)rs->rs_ix->ix_now, rp->rp_location,
		    rp->rp_location_base, rp->rp_size) != 0)
			return -1;
	} else {
		/* A first sync's versions have no first_seen (?12 is 0). */
		if (store_run(st, &rs->rs_cause, "INSERT INTO packages (mirror, "
		    "pkgid, checksum_type, name, arch, epoch, version, release, "
		    "location, location_base, size, first_seen, upstream, "
		    "last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
		    "?10, ?11, CASE WHEN ?12 THEN ?13 END, 1, ?13)",
		    "ItttttttttIiI", rs->rs_mirror_id, rp->rp_pkgid,
		    hash_canonical(rp->rp_checksum_type), rp->rp_name,
		    rp->rp_arch ? rp->rp_arch : "",
		    rp->rp_epoch && *rp->rp_epoch ? rp->rp_epoch : "0",
		    rp->rp_version, rp->rp_release ? rp->rp_release : "",
		    rp->rp_location, rp->rp_location_base, rp->rp_size,
		    !rs->rs_first_sync, (long long)rs->rs_ix->ix_now) != 0)
			return -1;
		id = sqlite3_last_insert_rowid(store_db(st));
	}
	rs->rs_count++;
	log_progress("mirror %s: primary: %lld packages", rs->rs_mi->mi_name,
	    (long long)rs->rs_count);
	return srm_store_span(rs, id, "primary", rp->rp_offset, rp->rp_rawlen);
}

/* The store's part of a parse callback, timed as such. */
static int
srm_primary_cb(const struct rpmmd_package *rp, void *arg)
{
	enum phase	ph;
	int		rc;

	ph = phase_enter(PHASE_STORE);
	rc = srm_primary_cb_store(rp, arg);
	phase_leave(ph);
	return rc;
}

/*
 * deltainfo and prestodelta: one <newpackage> element per target version,
 * kept whole; views list it when they list its target.
 */
static int
srm_delta_cb_store(const struct rpmmd_package *rp, void *arg)
{
	struct srm_sync	*rs = arg;

	if (rp->rp_name == NULL || rp->rp_version == NULL) {
		cause_set(&rs->rs_cause, "line %ld: <newpackage> without %s",
		    rp->rp_line, rp->rp_name == NULL ? "name" : "version");
		return -1;
	}
	return store_run(rs->rs_ix->ix_store, &rs->rs_cause, "INSERT INTO "
	    "deltas (mirror, name, epoch, version, release, arch, raw, "
	    "position) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", "ItttttbI",
	    rs->rs_mirror_id, rp->rp_name,
	    rp->rp_epoch && *rp->rp_epoch ? rp->rp_epoch : "0",
	    rp->rp_version, rp->rp_release ? rp->rp_release : "",
	    rp->rp_arch ? rp->rp_arch : "", rp->rp_raw, rp->rp_rawlen,
	    (long long)rs->rs_count++);
}

/* The store's part of a parse callback, timed as such. */
static int
srm_delta_cb(const struct rpmmd_package *rp, void *arg)
{
	enum phase	ph;
	int		rc;

	ph = phase_enter(PHASE_STORE);
	rc = srm_delta_cb_store(rp, arg);
	phase_leave(ph);
	return rc;
}

/*
 * filelists, other, susedata: attach the element at off to the version
 * primary listed.
 */
static int
srm_extra_store(struct srm_sync *rs, const char *pkgid, long long off,
    size_t len)
{
	long long	 id;
	int		 found;

	found = store_one(rs->rs_ix->ix_store, &rs->rs_cause, &id, "SELECT "
	    "id FROM packages WHERE mirror = ?1 AND pkgid = ?2 AND upstream = "
	    "1", "It", rs->rs_mirror_id, pkgid);
	if (found != 1)
		return found;	/* 0: not in primary, no view can list it */
	rs->rs_count++;
	log_progress("mirror %s: %s: %lld packages", rs->rs_mi->mi_name,
	    rs->rs_kind, (long long)rs->rs_count);
	return srm_store_span(rs, id, rs->rs_kind, off, len);
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
	long long	 upstream = 0;

	if (store_one(rs->rs_ix->ix_store, &rs->rs_cause, &upstream, "SELECT "
	    "upstream FROM advisories WHERE mirror = ?1 AND advid = ?2", "It",
	    rs->rs_mirror_id, key) == -1)
		return -1;
	*seen = upstream != 0;
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
srm_advisory_cb_store(const struct rpmmd_advisory *ad, void *arg)
{
	struct srm_sync	*rs = arg;
	struct store		*st = rs->rs_ix->ix_store;
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
	type = lowercase(ad->ad_type);
	sev = lowercase(ad->ad_severity);
	/* An issued or updated date of 0 (absent, unparsable) is NULL. */
	rc = store_run(st, &rs->rs_cause, "INSERT INTO advisories (mirror, "
	    "advid, type, severity, issued, updated, raw, upstream, position) "
	    "VALUES (?1, ?2, ?3, ?4, CASE WHEN ?5 > 0 THEN ?5 END, CASE WHEN "
	    "?6 > 0 THEN ?6 END, ?7, 1, ?8) ON CONFLICT (mirror, advid) DO "
	    "UPDATE SET type = ?3, severity = ?4, issued = excluded.issued, "
	    "updated = excluded.updated, raw = ?7, upstream = 1, position = ?8",
	    "ItttIIbI", rs->rs_mirror_id, key, type, sev,
	    (long long)ad->ad_issued, (long long)ad->ad_updated, ad->ad_raw,
	    ad->ad_rawlen, (long long)rs->rs_count++);
	free(type);
	free(sev);
	if (rc != 0)
		goto fail;

	rc = store_one(st, &rs->rs_cause, &id, "SELECT id FROM advisories "
	    "WHERE mirror = ?1 AND advid = ?2", "It", rs->rs_mirror_id, key);
	if (rc == 0)
		cause_set(&rs->rs_cause, "store: advisory %s: not stored", key);
	if (rc != 1)
		goto fail;

	if (store_run(st, &rs->rs_cause, "DELETE FROM advisory_packages WHERE "
	    "advisory = ?1", "I", id) != 0 ||
	    store_run(st, &rs->rs_cause, "DELETE FROM advisory_cves WHERE "
	    "advisory = ?1", "I", id) != 0)
		goto fail;

	for (i = 0; i < ad->ad_npkgs; i++) {
		const struct rpmmd_advpkg	*ap = &ad->ad_pkgs[i];

		if (ap->ap_name == NULL || ap->ap_version == NULL)
			continue;
		if (store_run(st, &rs->rs_cause, "INSERT INTO advisory_packages "
		    "(advisory, name, epoch, version, release, arch, raw_off, "
		    "raw_len) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
		    "ItttttII", id, ap->ap_name,
		    ap->ap_epoch && *ap->ap_epoch ? ap->ap_epoch : "0",
		    ap->ap_version, ap->ap_release ? ap->ap_release : "",
		    ap->ap_arch ? ap->ap_arch : "", (long long)ap->ap_raw_off,
		    (long long)ap->ap_raw_len) != 0)
			goto fail;
	}
	for (i = 0; ad->ad_cves != NULL && ad->ad_cves[i] != NULL; i++) {
		if (store_run(st, &rs->rs_cause, "INSERT INTO advisory_cves "
		    "(advisory, cve) VALUES (?1, ?2)", "It", id,
		    ad->ad_cves[i]) != 0)
			goto fail;
	}
	free(key);
	return 0;
fail:
	free(key);
	return -1;
}

/* The store's part of a parse callback, timed as such. */
static int
srm_advisory_cb(const struct rpmmd_advisory *ad, void *arg)
{
	enum phase	ph;
	int		rc;

	ph = phase_enter(PHASE_STORE);
	rc = srm_advisory_cb_store(ad, arg);
	phase_leave(ph);
	return rc;
}

/* Records a root start tag or a passed-through file of the mirror. */
static int
srm_record_file(struct srm_sync *rs, const char *kind, const char *name,
    const char *value, struct rpmmd_data *rd, char **cause)
{
	struct store	*st = rs->rs_ix->ix_store;
	char		*oc = NULL;
	int		 rc;

	/* The columns not named are NULL: the row is replaced whole. */
	if (rd == NULL)
		return store_run(st, cause, "INSERT OR REPLACE INTO mirror_files "
		    "(mirror, kind, name, value) VALUES (?1, ?2, ?3, ?4)",
		    "Ittb", rs->rs_mirror_id, kind, name, value,
		    value != NULL ? strlen(value) : (size_t)0);
	if (rd->rd_open_checksum != NULL)
		xasprintf(&oc, "%s:%s", rd->rd_open_checksum_type,
		    rd->rd_open_checksum);
	/* An open size or timestamp of -1 (absent) is NULL. */
	rc = store_run(st, cause, "INSERT OR REPLACE INTO mirror_files "
	    "(mirror, kind, name, value, checksum_type, checksum, size, "
	    "open_checksum, open_size, timestamp) VALUES (?1, ?2, ?3, ?4, ?5, "
	    "?6, ?7, ?8, CASE WHEN ?9 >= 0 THEN ?9 END, CASE WHEN ?10 >= 0 "
	    "THEN ?10 END)", "IttbttItII", rs->rs_mirror_id, kind, name,
	    value, value != NULL ? strlen(value) : (size_t)0,
	    rd->rd_checksum_type, rd->rd_checksum, rd->rd_size, oc,
	    rd->rd_open_size, rd->rd_timestamp);
	free(oc);
	return rc;
}

/* SUSE's deltainfo and Fedora's prestodelta: the same <newpackage> list. */
static int
srm_is_delta(const char *type)
{
	return strcmp(type, "deltainfo") == 0 || strcmp(type, "prestodelta") == 0;
}

/*
 * A new spooled document of the mirror, for a package document: its row
 * (named by its id: upstream's type names are not file names) and file.
 */
static struct rpmmd_spool *
srm_doc_new(struct srm_sync *rs, const char *kind, char **cause)
{
	struct store		*st = rs->rs_ix->ix_store;
	struct rpmmd_spool	*sp;
	char			*dir, name[64];

	if (store_run(st, cause, "INSERT INTO rpmmd_docs (mirror, kind, name, "
	    "size, current) VALUES (?1, ?2, '', 0, 1)", "It", rs->rs_mirror_id,
	    kind) != 0)
		return NULL;
	rs->rs_doc = sqlite3_last_insert_rowid(store_db(st));
	snprintf(name, sizeof name, "doc-%lld.xml", rs->rs_doc);
	if (store_run(st, cause, "UPDATE rpmmd_docs SET name = ?2 WHERE id = "
	    "?1", "It", rs->rs_doc, name) != 0)
		return NULL;
	dir = rpmmd_spool_dir(rs->rs_ix->ix_cf->cf_store, rs->rs_mirror_id);
	sp = rpmmd_spool_new(dir, name, cause);
	free(dir);
	return sp;
}

/* The spooled document's size, once complete. */
static int
srm_doc_done(struct srm_sync *rs, long long size, char **cause)
{
	return store_run(rs->rs_ix->ix_store, cause, "UPDATE rpmmd_docs SET "
	    "size = ?2 WHERE id = ?1", "II", rs->rs_doc, size);
}

static int
srm_parse_data(struct srm_sync *rs, struct rpmmd_data *rd, char **cause)
{
	struct sync_reader	 rr;
	struct srm_tee		 tee;
	struct rpmmd_spool	*sp = NULL;
	char			*why = NULL, *root = NULL;
	enum phase		 ph;
	int			 rc, packages;

	packages = strcmp(rd->rd_type, "updateinfo") != 0 &&
	    !srm_is_delta(rd->rd_type);
	if (sync_reader_open(&rr, rs->rs_ix, rd->rd_location,
	    rd->rd_checksum_type, rd->rd_checksum, rd->rd_open_checksum_type,
	    rd->rd_open_checksum, rd->rd_open_size, cause) != 0)
		return -1;
	if (packages && (sp = srm_doc_new(rs, rd->rd_type, cause)) == NULL) {
		sync_reader_close(&rr, 0, NULL);
		return -1;
	}
	tee.st_rr = &rr;
	tee.st_sp = sp;
	rs->rs_count = 0;
	ph = phase_enter(PHASE_PARSE);
	if (strcmp(rd->rd_type, "primary") == 0)
		rc = rpmmd_packages_parse(srm_tee_read, &tee, rd->rd_location,
		    srm_primary_cb, rs, &root, &why);
	else if (strcmp(rd->rd_type, "updateinfo") == 0)
		rc = rpmmd_updateinfo_parse(sync_reader_read, &rr,
		    rd->rd_location, srm_advisory_cb, rs, &root, &why);
	else if (srm_is_delta(rd->rd_type))
		rc = rpmmd_deltainfo_parse(sync_reader_read, &rr,
		    rd->rd_location, srm_delta_cb, rs, &root, &why);
	else {
		xasprintf(&why, "%s: not a document parsed here",
		    rd->rd_location);
		rc = -1;
	}
	phase_leave(ph);
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
		rpmmd_spool_abort(sp);
		return -1;
	}
	if (sync_reader_close(&rr, 1, cause) != 0) {
		free(root);
		rpmmd_spool_abort(sp);
		return -1;
	}
	if (sp != NULL) {
		/*
		 * Whether the document ends with a newline after its root's
		 * end tag (createrepo_c writes none): views end theirs alike,
		 * so that a view listing every version is upstream's file.
		 */
		ph = phase_enter(PHASE_STORE);
		rc = srm_record_file(rs, "tail", rd->rd_type,
		    rpmmd_spool_last(sp) == '\n' ? "\n" : "", NULL, cause);
		if (rc == 0)
			rc = srm_doc_done(rs, rpmmd_spool_size(sp), cause);
		if (rc == 0)
			rc = rpmmd_spool_commit(sp, cause);
		else
			rpmmd_spool_abort(sp);
		phase_leave(ph);
		if (rc != 0) {
			free(root);
			return -1;
		}
	}
	rc = srm_record_file(rs, "root", rd->rd_type, root, NULL, cause);
	free(root);
	log_debug("mirror %s: %s: %lu entries", rs->rs_mi->mi_name,
	    rd->rd_location, rs->rs_count);
	return rc;
}

/*
 * The package documents other than primary (filelists, other, susedata)
 * are read, checked and spooled on the second core while primary is
 * parsed into the store: the worker only collects each element's pkgid
 * and place, with no store access, and the main thread records them once
 * primary is in.  Local names: srm_job.
 */
struct srm_jspan {
	char		*js_pkgid;
	long long	 js_off;
	size_t		 js_len;
};

struct srm_job {
	struct rpmmd_data	*sj_rd;
	struct sync_reader	 sj_rr;
	struct srm_tee		 sj_tee;
	long long		 sj_doc;
	struct srm_jspan	*sj_spans;
	size_t			 sj_nspans;
	size_t			 sj_size;
	char			*sj_root;
	char			*sj_why;	/* the parser's */
	char			*sj_cause;	/* the callback's */
	int			 sj_rc;
	int			 sj_ran;	/* parsed, rightly or not */
	int			 sj_open;
};

struct srm_jobs {
	struct srm_job		*sw_jobs;
	size_t			 sw_n;
	pthread_t		 sw_tid;
	int			 sw_thread;	/* sw_tid runs */
};

static int
srm_job_cb(const struct rpmmd_package *rp, void *arg)
{
	struct srm_job		*sj = arg;
	struct srm_jspan	*js;

	if (rp->rp_pkgid == NULL) {
		cause_set(&sj->sj_cause, "line %ld: package without pkgid",
		    rp->rp_line);
		return -1;
	}
	if (sj->sj_nspans == sj->sj_size) {
		sj->sj_size = sj->sj_size ? sj->sj_size * 2 : 1024;
		sj->sj_spans = xreallocarray(sj->sj_spans, sj->sj_size,
		    sizeof *sj->sj_spans);
	}
	js = &sj->sj_spans[sj->sj_nspans++];
	js->js_pkgid = xstrdup(rp->rp_pkgid);
	js->js_off = rp->rp_offset;
	js->js_len = rp->rp_rawlen;
	return 0;
}

static void *
srm_jobs_run(void *arg)
{
	struct srm_jobs	*sw = arg;
	struct srm_job	*sj;
	size_t		 i;

	for (i = 0; i < sw->sw_n; i++) {
		sj = &sw->sw_jobs[i];
		sj->sj_rc = rpmmd_packages_parse(srm_tee_read, &sj->sj_tee,
		    sj->sj_rd->rd_location, srm_job_cb, sj, &sj->sj_root,
		    &sj->sj_why);
		sj->sj_ran = 1;
	}
	return NULL;
}

static void
srm_jobs_free(struct srm_jobs *sw)
{
	struct srm_job	*sj;
	size_t		 i, j;

	if (sw->sw_thread) {
		pthread_join(sw->sw_tid, NULL);
		sw->sw_thread = 0;
	}
	for (i = 0; i < sw->sw_n; i++) {
		sj = &sw->sw_jobs[i];
		/*
		 * Only a document that failed itself leaves the blob store
		 * (as in srm_parse_data), not one abandoned for another's.
		 */
		if (sj->sj_open && (!sj->sj_ran || sj->sj_rc == 0)) {
			free(sj->sj_rr.sr_blob);
			sj->sj_rr.sr_blob = NULL;
		}
		if (sj->sj_open)
			sync_reader_close(&sj->sj_rr, 0, NULL);
		rpmmd_spool_abort(sj->sj_tee.st_sp);
		for (j = 0; j < sj->sj_nspans; j++)
			free(sj->sj_spans[j].js_pkgid);
		free(sj->sj_spans);
		free(sj->sj_root);
		free(sj->sj_why);
		free(sj->sj_cause);
	}
	free(sw->sw_jobs);
	memset(sw, 0, sizeof *sw);
}

/* Opens the job's reader and spooled document, in the main thread. */
static int
srm_jobs_add(struct srm_sync *rs, struct srm_jobs *sw, struct rpmmd_data *rd,
    char **cause)
{
	struct srm_job	*sj;

	sw->sw_jobs = xreallocarray(sw->sw_jobs, sw->sw_n + 1,
	    sizeof *sw->sw_jobs);
	sj = &sw->sw_jobs[sw->sw_n++];
	memset(sj, 0, sizeof *sj);
	sj->sj_rd = rd;
	if (sync_reader_open(&sj->sj_rr, rs->rs_ix, rd->rd_location,
	    rd->rd_checksum_type, rd->rd_checksum, rd->rd_open_checksum_type,
	    rd->rd_open_checksum, rd->rd_open_size, cause) != 0)
		return -1;
	sj->sj_open = 1;
	if ((sj->sj_tee.st_sp = srm_doc_new(rs, rd->rd_type, cause)) == NULL)
		return -1;
	sj->sj_doc = rs->rs_doc;
	return 0;
}

static void
srm_jobs_start(struct srm_jobs *sw)
{
	size_t	i;

	if (sw->sw_n == 0)
		return;
	/* The array moved while it grew: the readers' places are final now. */
	for (i = 0; i < sw->sw_n; i++)
		sw->sw_jobs[i].sj_tee.st_rr = &sw->sw_jobs[i].sj_rr;
	/* libxml2 sets up its globals once, before a second thread parses. */
	xmlInitParser();
	if (pthread_create(&sw->sw_tid, NULL, srm_jobs_run, sw) == 0)
		sw->sw_thread = 1;
	else
		srm_jobs_run(sw);	/* on this core, then */
}

/* Records what the worker read, once primary is in the store. */
static int
srm_jobs_finish(struct srm_sync *rs, struct srm_jobs *sw, char **cause)
{
	struct srm_job		*sj;
	struct rpmmd_data	*rd;
	struct rpmmd_spool	*sp;
	enum phase		 ph;
	size_t			 i, j;
	int			 rc;

	if (sw->sw_thread) {
		ph = phase_enter(PHASE_PARSE);
		pthread_join(sw->sw_tid, NULL);
		phase_leave(ph);
		sw->sw_thread = 0;
	}
	for (i = 0; i < sw->sw_n; i++) {
		sj = &sw->sw_jobs[i];
		rd = sj->sj_rd;
		if (sj->sj_rc != 0) {
			if (sj->sj_cause != NULL)
				cause_set(cause, "%s: %s", rd->rd_location,
				    sj->sj_cause);
			else
				cause_set(cause, "%s", sj->sj_why ? sj->sj_why :
				    "parse failed");
			return -1;
		}
		sj->sj_open = 0;
		if (sync_reader_close(&sj->sj_rr, 1, cause) != 0)
			return -1;
		ph = phase_enter(PHASE_STORE);
		rs->rs_kind = rd->rd_type;
		rs->rs_doc = sj->sj_doc;
		rs->rs_count = 0;
		rc = 0;
		for (j = 0; rc == 0 && j < sj->sj_nspans; j++)
			rc = srm_extra_store(rs, sj->sj_spans[j].js_pkgid,
			    sj->sj_spans[j].js_off, sj->sj_spans[j].js_len);
		if (rc != 0) {
			cause_set(cause, "%s: %s", rd->rd_location, rs->rs_cause);
			free(rs->rs_cause);
			rs->rs_cause = NULL;
			phase_leave(ph);
			return -1;
		}
		sp = sj->sj_tee.st_sp;
		sj->sj_tee.st_sp = NULL;
		/* As srm_parse_data: the tail, the size, then the file. */
		rc = srm_record_file(rs, "tail", rd->rd_type,
		    rpmmd_spool_last(sp) == '\n' ? "\n" : "", NULL, cause);
		if (rc == 0)
			rc = srm_doc_done(rs, rpmmd_spool_size(sp), cause);
		if (rc == 0)
			rc = rpmmd_spool_commit(sp, cause);
		else
			rpmmd_spool_abort(sp);
		if (rc == 0)
			rc = srm_record_file(rs, "root", rd->rd_type,
			    sj->sj_root, NULL, cause);
		phase_leave(ph);
		if (rc != 0)
			return -1;
		log_debug("mirror %s: %s: %lu entries", rs->rs_mi->mi_name,
		    rd->rd_location, rs->rs_count);
	}
	return 0;
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
srm_check_repomd(const char *url, const char *data, size_t len, void *arg,
    char **cause)
{
	enum phase	ph;
	int		rc;

	ph = phase_enter(PHASE_VERIFY);
	rc = srm_check_signature(arg, data, len, cause);
	phase_leave(ph);
	return rc;
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
	return store_run(rs->rs_ix->ix_store, cause, "UPDATE mirror_files SET "
	    "checksum_type = 'sha256', checksum = ?2 WHERE mirror = ?1 AND "
	    "kind = 'repomd'", "It", rs->rs_mirror_id, hex);
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
	enum phase		 ph;
	int			 missing, rc;

	*out = NULL;
	memset(&rs, 0, sizeof rs);
	rs.rs_ix = ix;
	rs.rs_mi = mi;
	rs.rs_mirror_id = mirror_id;
	sf = xcalloc(1, sizeof *sf);

	/* A signature refused from one base moves to the next (fetch.h). */
	url = mirror_url(mi, NULL, "repodata/repomd.xml");
	ph = phase_enter(PHASE_FETCH);
	rc = fetch_to_memory_check(url, REPOMD_MAX, &sf->sf_repomd,
	    &sf->sf_len, NULL, mi->mi_keyring != NULL ? srm_check_repomd : NULL,
	    &rs, &why);
	phase_leave(ph);
	free(url);
	if (rc != 0) {
		cause_set(cause, "%s", why);
		goto fail;
	}
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
	    sf->sf_hex, cause)) {
	case 1:
		log_debug("mirror %s: repodata/repomd.xml unchanged", mi->mi_name);
		sf->sf_unchanged = 1;
		*out = sf;
		return 0;
	case -1:
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
	static const char *const order[] = { "primary", "filelists", "other",
					     "updateinfo", "deltainfo",
					     "prestodelta", NULL };
	struct srm_jobs		 sw;
	size_t			 i;
	enum phase		 ph;
	int			 rc;

	if (sf->sf_unchanged)
		return 0;
	memset(&rs, 0, sizeof rs);
	rs.rs_ix = ix;
	rs.rs_mi = mi;
	rs.rs_mirror_id = mirror_id;
	rs.rs_first_sync = first_sync;

	if (store_run(st, cause, "DELETE FROM mirror_files WHERE mirror = ?1",
	    "I", mirror_id) != 0 ||
	    store_run(st, cause, "UPDATE packages SET upstream = 0 WHERE "
	    "mirror = ?1", "I", mirror_id) != 0 ||
	    store_run(st, cause, "UPDATE advisories SET upstream = 0 WHERE "
	    "mirror = ?1", "I", mirror_id) != 0)
		return -1;
	/* Deltas only ever lead to what upstream lists now. */
	if (store_run(st, cause, "DELETE FROM deltas WHERE mirror = ?1", "I",
	    mirror_id) != 0)
		return -1;
	/* The spooled documents of the last sync give way to this one's. */
	rpmmd_spool_prune(st, ix->ix_cf->cf_store, mirror_id);
	if (store_run(st, cause, "UPDATE rpmmd_docs SET current = 0 WHERE "
	    "mirror = ?1", "I", mirror_id) != 0)
		return -1;

	/*
	 * filelists, other and susedata on the second core, primary and
	 * the rest here; their elements are recorded after primary's, as
	 * they attach to the versions primary lists.
	 */
	memset(&sw, 0, sizeof sw);
	TAILQ_FOREACH(rd, &rm->rm_datas, rd_entry) {
		if (*rd->rd_type == '\0' ||
		    (strcmp(rd->rd_type, "filelists") != 0 &&
		    strcmp(rd->rd_type, "other") != 0 &&
		    !srm_is_susedata(rd->rd_type)))
			continue;
		/* The first of a type, as rpmmd_repomd_find() takes it. */
		if (rpmmd_repomd_find(rm, rd->rd_type) != rd)
			continue;
		if (srm_jobs_add(&rs, &sw, rd, cause) != 0) {
			srm_jobs_free(&sw);
			return -1;
		}
	}
	srm_jobs_start(&sw);
	for (i = 0; order[i] != NULL; i++) {
		if ((rd = rpmmd_repomd_find(rm, order[i])) == NULL ||
		    strcmp(order[i], "filelists") == 0 ||
		    strcmp(order[i], "other") == 0)
			continue;
		if (srm_parse_data(&rs, rd, cause) != 0) {
			srm_jobs_free(&sw);
			return -1;
		}
	}
	rc = srm_jobs_finish(&rs, &sw, cause);
	srm_jobs_free(&sw);
	if (rc != 0)
		return -1;
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
	ph = phase_enter(PHASE_STORE);
	rc = rpmmd_spool_retire(st, ix->ix_cf->cf_store, mirror_id, cause);
	phase_leave(ph);
	return rc;
}

void
sync_rpmmd_prune(struct indexer *ix, long long mirror_id)
{
	rpmmd_spool_prune(ix->ix_store, ix->ix_cf->cf_store, mirror_id);
}
