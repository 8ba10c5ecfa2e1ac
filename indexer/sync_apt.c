/*
 * Syncing an apt mirror: for each suite, InRelease (or Release and
 * Release.gpg) verified against the keyring and its Valid-Until, then the
 * Packages index of each component and architecture in the best
 * compression the Release lists, verified against the Release's size and
 * SHA256 before a stanza is parsed; the decompressed index is spooled in
 * STORE/spool/ and the store keeps each stanza's place in it.  apt indexes
 * carry no dates: the first time the mirror sees a version is its release
 * time.  Downloads come first, holding only the mirror's lock
 * (sync_apt_fetch); the parse into the store runs inside the transaction
 * sync_mirror() opened under the store lock (sync_apt).  Local names carry
 * the prefix sa_.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "deb822.h"
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

#define RELEASE_MAX	(64 * 1024 * 1024)

/* Bounds on a Packages index (deb822.h). */
static const struct deb822_limits sa_limits = {
	DEB822_PACKAGES_STANZA, DEB822_PACKAGES_FIELD, DEB822_PACKAGES_STANZAS
};

struct sa_sync {
	struct indexer	*sa_ix;
	struct mirror	*sa_mi;
	long long	 sa_mirror_id;
	int		 sa_first_sync;
	int		 sa_found;	/* a version's row was there already */
	const char	*sa_list;	/* "bookworm/main/binary-amd64" */
	struct pub_pkg	*sa_pp;	/* in sa_facts: the stanza's version */
	char		*sa_kind;	/* "deb:" + list */
	long long	 sa_doc;	/* its spooled document (rpmmd_docs) */
	char		*sa_cause;	/* set by the stanza callback */
	unsigned long	 sa_count;
	int		 sa_dirty;	/* an index's versions changed */
	/*
	 * The versions as recorded, for publishing (ix_facts): kept while
	 * this sync makes every version the mirror has, NULL otherwise.
	 */
	struct facts	*sa_facts;
};

/* The versions are not all this sync's: publishing reads them back. */
static void
sa_facts_drop(struct sa_sync *sa)
{
	if (sa->sa_facts == NULL)
		return;
	facts_free(sa->sa_facts);
	free(sa->sa_facts);
	sa->sa_facts = NULL;
}

static int
sa_exec(struct sa_sync *sa, const char *sql, const char *what, char **cause)
{
	char	*why = NULL;

	if (store_run(sa->sa_ix->ix_store, &why, sql, "I",
	    sa->sa_mirror_id) == 0)
		return 0;
	cause_set(cause, "%s: %s", what, why);
	free(why);
	return -1;
}

/* A Filename must stay inside the mirror. */
static int
sa_path_safe(const char *p)
{
	const unsigned char	*c;

	if (*p == '\0' || *p == '/' || strstr(p, "..") != NULL ||
	    strstr(p, "//") != NULL)
		return 0;
	for (c = (const unsigned char *)p; *c != '\0'; c++) {
		if (*c <= ' ' || *c == 0x7f || *c == '\\' || *c == '"' ||
		    *c == '<' || *c == '>')
			return 0;
	}
	return 1;
}

static int
sa_hex64(const char *s)
{
	size_t	i;

	for (i = 0; i < 64; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	}
	return s[64] == '\0';
}

/* A version this sync made, as facts_read() would read its row. */
static void
sa_facts_add(struct sa_sync *sa, long long id, char *const *f,
    long long size)
{
	struct facts	*fa = sa->sa_facts;

	/* Rows come in id order, unless something else made one. */
	if (fa->fa_npkgs > 0 && fa->fa_pkgs[fa->fa_npkgs - 1].pp_id >= id) {
		sa_facts_drop(sa);
		return;
	}
	sa->sa_pp = facts_add(fa, id, f[5], "sha256", f[0], f[2], "0", f[1],
	    "", f[3], size);
}

/*
 * The row of the version whose fields f (Package, Version, Architecture,
 * Filename, Size, SHA256) a stanza holds, made or found: a version seen
 * before (by an earlier sync, or in another index) keeps its first_seen
 * and gets its location of today.  No RETURNING and no upsert that
 * updates: either costs SQLite an ephemeral table or a statement journal
 * per row, which was a third of a first sync's store phase.  Most
 * versions of a first sync are new, and most of a later one are known:
 * the likelier statement runs first.
 */
static int
sa_package_id(struct sa_sync *sa, char *const *f, long long size,
    long long *id)
{
	struct store	*st = sa->sa_ix->ix_store;
	long long	 now = sa->sa_ix->ix_now;
	int		 rc, tries;

	for (tries = 0; tries < 2; tries++) {
		if (sa->sa_first_sync == (tries == 0)) {
			/*
			 * last_seen is ?8 and first_seen ?9, last: on a
			 * first sync the format stops before it, so it stays
			 * NULL and the extra argument is not read.
			 */
			if (store_run(st, &sa->sa_cause, "INSERT INTO packages "
			    "(mirror, pkgid, checksum_type, name, arch, epoch, "
			    "version, release, location, size, first_seen, "
			    "upstream, last_seen) VALUES (?1, ?2, 'sha256', ?3, "
			    "?4, '0', ?5, '', ?6, ?7, ?9, 1, ?8) ON CONFLICT "
			    "(mirror, pkgid) DO NOTHING", sa->sa_first_sync ?
			    "ItttttII" : "ItttttIII", sa->sa_mirror_id, f[5],
			    f[0], f[2], f[1], f[3], size, now, now) != 0)
				return -1;
			if (sqlite3_changes(store_db(st)) == 1) {
				*id = sqlite3_last_insert_rowid(store_db(st));
				if (sa->sa_facts != NULL)
					sa_facts_add(sa, *id, f, size);
				return 0;
			}
			continue;
		}
		rc = store_one(st, &sa->sa_cause, id, "SELECT id FROM packages "
		    "WHERE mirror = ?1 AND pkgid = ?2", "It", sa->sa_mirror_id,
		    f[5]);
		if (rc == -1)
			return -1;
		if (rc == 1) {
			sa->sa_found = 1;
			if (sa->sa_facts != NULL) {
				if ((sa->sa_pp = facts_find(sa->sa_facts,
				    *id)) != NULL)
					facts_set_location(sa->sa_facts,
					    sa->sa_pp, f[3]);
				else
					sa_facts_drop(sa);
			}
			return store_run(st, &sa->sa_cause, "UPDATE packages SET "
			    "last_seen = ?2, location = ?3 WHERE id = ?1", "IIt",
			    *id, now, f[3]);
		}
	}
	cause_set(&sa->sa_cause, "packages: version %s of %s neither found "
	    "nor added", f[1], f[0]);
	return -1;
}

/*
 * The version's row of this index, with where its stanza lies in the
 * spooled index (sa_tee_read): made, or on a later sync listed again and
 * moved to this sync's document; an index that lists the version twice
 * keeps the last stanza.  Not an upsert that updates: with foreign keys,
 * one that may change doc makes SQLite keep a statement journal for every
 * row; the statement a row most likely needs runs first.
 */
static int
sa_list_row(struct sa_sync *sa, long long id, long long off, long long len)
{
	struct store	*st = sa->sa_ix->ix_store;
	int		 tries;

	for (tries = 0; tries < 2; tries++) {
		if (sa->sa_first_sync == (tries == 0)) {
			if (store_run(st, &sa->sa_cause, "INSERT INTO "
			    "package_lists (package, list, upstream, doc, off, "
			    "len) VALUES (?1, ?2, 1, ?3, ?4, ?5) ON CONFLICT "
			    "(package, list) DO NOTHING", "ItIII", id,
			    sa->sa_list, sa->sa_doc, off, len) != 0)
				return -1;
		} else if (store_run(st, &sa->sa_cause, "UPDATE package_lists "
		    "SET upstream = 1, doc = ?3, off = ?4, len = ?5 WHERE "
		    "package = ?1 AND list = ?2", "ItIII", id, sa->sa_list,
		    sa->sa_doc, off, len) != 0)
			return -1;
		if (sqlite3_changes(store_db(st)) == 1)
			return 0;
	}
	cause_set(&sa->sa_cause, "package_lists: version %lld neither added "
	    "to nor listed again in %s", id, sa->sa_list);
	return -1;
}

static const char *const sa_names[6] = { "Package", "Version",
    "Architecture", "Filename", "Size", "SHA256" };

/*
 * The six fields (sa_names) a stanza must have, checked, into f, which
 * point into scratch (ds_rawlen + 6 bytes: the values are parts of the
 * stanza), the SHA256 in lower case; its Size into *size.  Reads nothing
 * but the stanza: it runs on the parsing thread.
 */
static int
sa_stanza_check(const struct deb822_stanza *ds, char *scratch, char **f,
    long long *size, char **cause)
{
	const char	*val[6];
	char		*end, *p;
	size_t		 len[6], i;

	/* One pass over the stanza for the six. */
	deb822_fields(ds, sa_names, 6, val, len);
	for (i = 0; i < 6; i++) {
		f[i] = NULL;
		if (val[i] == NULL || len[i] == 0)
			continue;
		memcpy(scratch, val[i], len[i]);
		scratch[len[i]] = '\0';
		f[i] = scratch;
		scratch += len[i] + 1;
	}
	for (i = 0; i < 6; i++) {
		if (f[i] == NULL) {
			if (i == 0)
				cause_set(cause, "line %ld: stanza without "
				    "Package", ds->ds_line);
			else
				cause_set(cause, "line %ld: stanza of "
				    "package %s without %s", ds->ds_line, f[0],
				    sa_names[i]);
			return -1;
		}
	}
	if (!sa_path_safe(f[3])) {
		cause_set(cause, "line %ld: package %s: unsafe Filename "
		    "\"%s\"", ds->ds_line, f[0], f[3]);
		return -1;
	}
	errno = 0;
	*size = strtoll(f[4], &end, 10);
	if (errno != 0 || *end != '\0' || *size < 0) {
		cause_set(cause, "line %ld: package %s: bad Size \"%s\"",
		    ds->ds_line, f[0], f[4]);
		return -1;
	}
	for (p = f[5]; *p != '\0'; p++)
		*p = tolower((unsigned char)*p);
	if (!sa_hex64(f[5])) {
		cause_set(cause, "line %ld: package %s: bad SHA256 "
		    "\"%s\"", ds->ds_line, f[0], f[5]);
		return -1;
	}
	return 0;
}

/* Records a checked stanza: its version, its place, its index. */
static int
sa_stanza_store(struct sa_sync *sa, char *const *f, long long size,
    long long off, long long len)
{
	long long	 id;

	if (sa_package_id(sa, f, size, &id) != 0 ||
	    sa_list_row(sa, id, off, len) != 0)
		return -1;
	/* sa_package_id() found or made the version in the facts. */
	if (sa->sa_facts != NULL)
		facts_add_list(sa->sa_facts, sa->sa_pp, sa->sa_list);
	sa->sa_count++;
	log_progress("mirror %s: %s: %lu packages", sa->sa_mi->mi_name,
	    sa->sa_list, sa->sa_count);
	return 0;
}

/* Checks and records a stanza: the parser's callback without a thread. */
static int
sa_stanza_cb(const struct deb822_stanza *ds, void *arg)
{
	struct sa_sync	*sa = arg;
	char		*f[6], *scratch;
	long long	 size;
	enum phase	 ph;
	int		 rc = -1;

	scratch = xmalloc(ds->ds_rawlen + 6);
	if (sa_stanza_check(ds, scratch, f, &size, &sa->sa_cause) == 0) {
		ph = phase_enter(PHASE_STORE);
		rc = sa_stanza_store(sa, f, size, ds->ds_offset, ds->ds_rawlen);
		phase_leave(ph);
	}
	free(scratch);
	return rc;
}

static int
sa_verify_flags(struct mirror *mi)
{
	return mi->mi_keyring_allow_expired ? VERIFY_ALLOW_EXPIRED : 0;
}

/* What an InRelease's check (sa_inrelease_check) leaves. */
struct sa_inrelease {
	struct mirror	*ir_mi;
	const char	*ir_work;	/* GnuPG home of the keyring */
	const char	*ir_what;	/* "dists/SUITE/InRelease" */
	char		*ir_text;	/* the signed text */
	size_t		 ir_len;
	char		*ir_warning;
};

/* fetch_check_fn: an InRelease verifies (keyring) or parses (none). */
static int
sa_inrelease_check(const char *url, const char *data, size_t dlen, void *arg,
    char **cause)
{
	struct sa_inrelease	*ir = arg;
	struct mirror		*mi = ir->ir_mi;
	char			*why = NULL;
	int			 rc;

	phase_enter(PHASE_VERIFY);
	free(ir->ir_warning);
	ir->ir_warning = NULL;
	if (mi->mi_keyring != NULL)
		rc = verify_clearsigned_flags(mi->mi_keyring, ir->ir_work, data,
		    dlen, &ir->ir_text, &ir->ir_len, sa_verify_flags(mi),
		    &ir->ir_warning, &why);
	else
		rc = apt_inrelease_text(data, dlen, &ir->ir_text, &ir->ir_len,
		    &why);
	if (rc != 0) {
		if (mi->mi_keyring != NULL)
			cause_set(cause, "%s: signature check against keyring "
			    "%s failed: %s", ir->ir_what, mi->mi_keyring, why);
		else
			cause_set(cause, "%s: %s", ir->ir_what, why);
		ir->ir_text = NULL;
	}
	free(why);
	phase_enter(PHASE_FETCH);
	return rc;
}

/* Fetches the suite's Release text, verified when there is a keyring. */
static char *
sa_release_text(struct sa_sync *sa, const char *suite, size_t *len,
    char **what, char **cause)
{
	struct mirror	*mi = sa->sa_mi;
	char		*url, *rel, *data = NULL, *sig = NULL, *text = NULL;
	char		*work = NULL, *why = NULL, *warning = NULL;
	size_t		 dlen, siglen;
	long		 status = 0;
	struct sa_inrelease ir;
	enum phase	 ph;
	int		 rc;

	ph = phase_enter(PHASE_FETCH);
	if (mi->mi_keyring != NULL) {
		xasprintf(&work, "%s/keyrings/%s", sa->sa_ix->ix_cf->cf_store,
		    mi->mi_name);
		if (mkdir_p(work, 0700) == -1) {
			cause_set(cause, "%s: %s", work, strerror(errno));
			goto out;
		}
	}
	xasprintf(&rel, "dists/%s/InRelease", suite);
	/* Checked as fetched: a copy refused moves to the next base. */
	memset(&ir, 0, sizeof ir);
	ir.ir_mi = mi;
	ir.ir_work = work;
	ir.ir_what = rel;
	url = mirror_url(mi, NULL, rel);
	rc = fetch_to_memory_check(url, RELEASE_MAX, &data, &dlen, &status,
	    sa_inrelease_check, &ir, &why);
	free(url);
	if (rc == 0) {
		*what = rel;
		rel = NULL;
		text = ir.ir_text;
		*len = ir.ir_len;
		warning = ir.ir_warning;
		goto out;
	}
	free(ir.ir_warning);
	if (status != 404) {
		cause_set(cause, "%s", why);
		goto out;
	}
	/* No InRelease: Release and its detached signature. */
	free(why);
	why = NULL;
	free(rel);
	xasprintf(&rel, "dists/%s/Release", suite);
	url = mirror_url(mi, NULL, rel);
	rc = fetch_to_memory(url, RELEASE_MAX, &text, len, NULL, &why);
	free(url);
	if (rc != 0) {
		cause_set(cause, "%s", why);
		text = NULL;
		goto out;
	}
	*what = rel;
	rel = NULL;
	if (mi->mi_keyring == NULL)
		goto out;
	xasprintf(&url, "%s/dists/%s/Release.gpg", mi->mi_url, suite);
	rc = fetch_to_memory(url, 1024 * 1024, &sig, &siglen, NULL, &why);
	free(url);
	phase_enter(PHASE_VERIFY);
	if (rc == 0)
		rc = verify_detached_flags(mi->mi_keyring, work, text, *len, sig,
		    siglen, sa_verify_flags(mi), &warning, &why);
	if (rc != 0) {
		cause_set(cause, "%s: signature check against keyring %s "
		    "failed: %s", *what, mi->mi_keyring, why);
		free(text);
		text = NULL;
	}
out:
	phase_leave(ph);
	if (warning != NULL && text != NULL)
		log_warnx("mirror %s: dists/%s: %s", mi->mi_name, suite, warning);
	free(warning);
	free(why);
	free(work);
	free(sig);
	free(data);
	free(rel);
	return text;
}

/* Records a file views carry unchanged (translations), or the Release. */
static int
sa_record_file(struct sa_sync *sa, const char *kind, const char *name,
    const char *value, size_t vlen, const struct apt_release_file *arf,
    const char *open_hex, long long open_size, char **cause)
{
	struct store	*st = sa->sa_ix->ix_store;

	/*
	 * Without arf or open_hex their columns stay NULL: a NULL text,
	 * and a size of -1, which NULLIF turns into NULL.  open_hex names
	 * a list's plain copy in the cache (sa_tee_commit).
	 */
	return store_run(st, cause, "INSERT OR REPLACE INTO mirror_files "
	    "(mirror, kind, name, value, checksum_type, checksum, size, "
	    "open_checksum, open_size) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
	    "NULLIF(?7, -1), ?8, NULLIF(?9, -1))", "IttbttItI",
	    sa->sa_mirror_id, kind, name, (const void *)value, vlen,
	    arf != NULL ? "sha256" : NULL,
	    arf != NULL ? arf->arf_sha256 : NULL,
	    arf != NULL ? arf->arf_size : -1LL, open_hex,
	    open_hex != NULL ? open_size : -1LL);
}

/* Downloads a file the Release lists, by hash when the suite offers it. */
static int
sa_fetch(struct sa_sync *sa, const struct apt_release *ar, const char *suite,
    const struct apt_release_file *arf, int *missing, char **cause)
{
	char	*url, *rel, *dir, *why = NULL;
	int	 rc;

	*missing = 0;
	xasprintf(&rel, "dists/%s/%s", suite, arf->arf_path);
	rc = -1;
	if (ar->ar_acquire_by_hash) {
		dir = xstrndup(arf->arf_path, strrchr(arf->arf_path, '/') ?
		    (size_t)(strrchr(arf->arf_path, '/') - arf->arf_path) : 0);
		xasprintf(&url, "%s/dists/%s/%s%sby-hash/SHA256/%s",
		    sa->sa_mi->mi_url, suite, dir, *dir ? "/" : "",
		    arf->arf_sha256);
		free(dir);
		rc = sync_fetch_blob(sa->sa_ix, sa->sa_mi, url, rel, "sha256",
		    arf->arf_sha256, arf->arf_size, &why);
		free(url);
		free(why);
		why = NULL;
	}
	if (rc != 0) {
		url = mirror_url(sa->sa_mi, NULL, rel);
		rc = sync_fetch_blob(sa->sa_ix, sa->sa_mi, url, rel, "sha256",
		    arf->arf_sha256, arf->arf_size, &why);
		free(url);
		if (rc != 0) {
			*missing = strstr(why, "HTTP 404") != NULL ||
			    strstr(why, "Couldn't open file") != NULL;
			cause_set(cause, "%s", why);
			free(why);
		}
	}
	free(rel);
	return rc;
}

/* Before parsing an index anew: nothing is listed there until seen. */
static int
sa_list_reset(struct sa_sync *sa, const char *list, char **cause)
{
	if (store_run(sa->sa_ix->ix_store, cause, "UPDATE package_lists SET "
	    "upstream = 0 WHERE list = ?2 AND package IN (SELECT id FROM "
	    "packages WHERE mirror = ?1)", "It", sa->sa_mirror_id, list) != 0)
		return -1;
	sa->sa_dirty = 1;
	return 0;
}

/* Indexes the configuration no longer names list nothing any more. */
static int
sa_drop_unconfigured(struct sa_sync *sa, char **cause)
{
	struct mirror	*mi = sa->sa_mi;
	sqlite3_stmt	*stmt;
	char		**gone = NULL, *list;
	const char	*name;
	size_t		 ngone = 0, i, s, c, a;
	int		 found, step, rc = 0;

	/*
	 * The indexes parsed into the store are those with a checksum
	 * recorded: reading these few rows spares a scan of every version.
	 */
	stmt = store_query(sa->sa_ix->ix_store, cause, "SELECT name FROM "
	    "mirror_files WHERE mirror = ?1 AND kind = 'list'", "I",
	    sa->sa_mirror_id);
	if (stmt == NULL)
		return -1;
	while ((step = store_step(sa->sa_ix->ix_store, stmt, cause)) == 1) {
		name = (const char *)sqlite3_column_text(stmt, 0);
		found = 0;
		for (s = 0; mi->mi_suites[s] != NULL && !found; s++)
			for (c = 0; mi->mi_components[c] != NULL && !found; c++)
				for (a = 0; mi->mi_architectures[a] != NULL &&
				    !found; a++) {
					xasprintf(&list, "%s/%s/binary-%s",
					    mi->mi_suites[s], mi->mi_components[c],
					    mi->mi_architectures[a]);
					found = strcmp(list, name) == 0;
					free(list);
				}
		if (!found) {
			gone = xreallocarray(gone, ngone + 1, sizeof *gone);
			gone[ngone++] = xstrdup(name);
		}
	}
	if (step != 0)
		rc = -1;
	/* Forgetting its checksum: named again, it is parsed again. */
	for (i = 0; i < ngone; i++) {
		if (rc == 0)
			rc = sa_list_reset(sa, gone[i], cause);
		if (rc == 0)
			rc = store_run(sa->sa_ix->ix_store, cause, "DELETE FROM "
			    "mirror_files WHERE mirror = ?1 AND kind = 'list' "
			    "AND name = ?2", "It", sa->sa_mirror_id, gone[i]);
		free(gone[i]);
	}
	free(gone);
	return rc;
}

/*
 * The folder of a component's indexes: "main", or for Debian's security
 * archive, whose Release says "updates/main", whichever the Release lists.
 */
static const struct apt_release_file *
sa_find_packages(const struct apt_release *ar, const char *component,
    const char *arch, const struct apt_release_file **plain, char **dirp)
{
	static const char *const exts[] = { ".xz", ".gz", ".bz2", ".zst", "",
					    NULL };
	const struct apt_release_file	*arf;
	const char			*comps[2];
	char				*path;
	size_t				 c, e;

	comps[0] = component;
	comps[1] = strrchr(component, '/') ? strrchr(component, '/') + 1 : NULL;
	for (c = 0; c < 2 && comps[c] != NULL; c++) {
		for (e = 0; exts[e] != NULL; e++) {
			xasprintf(&path, "%s/binary-%s/Packages%s", comps[c],
			    arch, exts[e]);
			arf = apt_release_find(ar, path);
			free(path);
			if (arf == NULL)
				continue;
			xasprintf(&path, "%s/binary-%s/Packages", comps[c], arch);
			*plain = apt_release_find(ar, path);
			free(path);
			*dirp = xstrdup(comps[c]);
			return arf;
		}
	}
	return NULL;
}

/* What the download phase leaves for the recording phase. */
struct sa_pass {
	size_t				 sp_component;	/* in mi_components */
	const struct apt_release_file	*sp_arf;
	char				*sp_name;	/* "SUITE/COMP/i18n/..." */
};

struct sa_suite {
	const char		*ss_name;	/* in mi_suites */
	char			*ss_text;	/* the Release, verified */
	size_t			 ss_len;
	char			*ss_what;	/* "dists/SUITE/InRelease" */
	struct apt_release	*ss_ar;
	struct sa_pass		*ss_pass;	/* translations downloaded */
	size_t			 ss_npass;
};

struct sa_fetched {
	struct sa_suite		*saf_suites;
	size_t			 saf_nsuites;
};

void
sync_apt_fetched_free(struct sa_fetched *saf)
{
	struct sa_suite	*ss;
	size_t		 s, p;

	if (saf == NULL)
		return;
	for (s = 0; s < saf->saf_nsuites; s++) {
		ss = &saf->saf_suites[s];
		for (p = 0; p < ss->ss_npass; p++)
			free(ss->ss_pass[p].sp_name);
		free(ss->ss_pass);
		apt_release_free(ss->ss_ar);
		free(ss->ss_what);
		free(ss->ss_text);
	}
	free(saf->saf_suites);
	free(saf);
}

/* Checked when downloaded, and again once the store lock is held. */
static int
sa_check_valid(struct sa_sync *sa, const struct sa_suite *ss, char **cause)
{
	const struct apt_release	*ar = ss->ss_ar;
	char				 t1[40], t2[40];

	if (ar->ar_valid_until != 0 && ar->ar_valid_until < sa->sa_ix->ix_now) {
		cause_set(cause, "%s: expired: Valid-Until %s is before now (%s); "
		    "upstream is stale or the clock is wrong", ss->ss_what,
		    apt_date_format(ar->ar_valid_until, t1, sizeof t1),
		    apt_date_format(sa->sa_ix->ix_now, t2, sizeof t2));
		return -1;
	}
	return 0;
}

static int
sa_fetch_list(struct sa_sync *sa, const struct apt_release *ar,
    const char *suite, const char *component, const char *arch, char **cause)
{
	const struct apt_release_file	*arf, *plain = NULL;
	char				*dir = NULL;
	int				 missing, rc;

	arf = sa_find_packages(ar, component, arch, &plain, &dir);
	if (arf == NULL) {
		cause_set(cause, "dists/%s/Release lists no Packages index for "
		    "component %s, architecture %s", suite, component, arch);
		return -1;
	}
	rc = sa_fetch(sa, ar, suite, arf, &missing, cause);
	free(dir);
	return rc;
}

/* Translations: passed through, listed in the view's Release. */
static int
sa_fetch_translations(struct sa_sync *sa, struct sa_suite *ss, size_t comp,
    char **cause)
{
	const struct apt_release	*ar = ss->ss_ar;
	const struct apt_release_file	*arf;
	const char			*component, *base;
	struct sa_pass			*sp;
	char				*prefix[2], *why = NULL;
	size_t				 i, p, plen;
	int				 missing, rc = 0;

	component = sa->sa_mi->mi_components[comp];
	base = strrchr(component, '/') ? strrchr(component, '/') + 1 : component;
	xasprintf(&prefix[0], "%s/i18n/Translation-", component);
	xasprintf(&prefix[1], "%s/i18n/Translation-", base);
	for (i = 0; i < ar->ar_nfiles && rc == 0; i++) {
		arf = &ar->ar_files[i];
		for (p = 0; p < 2; p++) {
			plen = strlen(prefix[p]);
			if (strncmp(arf->arf_path, prefix[p], plen) == 0)
				break;
		}
		if (p == 2)
			continue;
		if (sa_fetch(sa, ar, ss->ss_name, arf, &missing, &why) != 0) {
			/* Releases list uncompressed names that do not exist. */
			if (missing) {
				log_debug("mirror %s: %s", sa->sa_mi->mi_name, why);
				free(why);
				why = NULL;
				continue;
			}
			cause_set(cause, "%s", why);
			free(why);
			rc = -1;
			break;
		}
		ss->ss_pass = xreallocarray(ss->ss_pass, ss->ss_npass + 1,
		    sizeof *ss->ss_pass);
		sp = &ss->ss_pass[ss->ss_npass++];
		sp->sp_component = comp;
		sp->sp_arf = arf;
		xasprintf(&sp->sp_name, "%s/%s/i18n/Translation-%s", ss->ss_name,
		    component, arf->arf_path + plen);
	}
	free(prefix[0]);
	free(prefix[1]);
	return rc;
}

static int
sa_fetch_suite(struct sa_sync *sa, struct sa_suite *ss, char **cause)
{
	struct mirror	*mi = sa->sa_mi;
	char		*why = NULL;
	size_t		 c, a;
	int		 rc = -1;

	if ((ss->ss_text = sa_release_text(sa, ss->ss_name, &ss->ss_len,
	    &ss->ss_what, cause)) == NULL)
		goto out;
	if ((ss->ss_ar = apt_release_parse(ss->ss_text, ss->ss_len,
	    ss->ss_what, &why)) == NULL) {
		cause_set(cause, "%s", why);
		goto out;
	}
	if (sa_check_valid(sa, ss, cause) != 0)
		goto out;
	for (c = 0; mi->mi_components[c] != NULL; c++) {
		for (a = 0; mi->mi_architectures[a] != NULL; a++) {
			if (sa_fetch_list(sa, ss->ss_ar, ss->ss_name,
			    mi->mi_components[c], mi->mi_architectures[a],
			    cause) != 0)
				goto out;
		}
		if (sa_fetch_translations(sa, ss, c, cause) != 0)
			goto out;
	}
	rc = 0;
out:
	free(why);
	return rc;
}

/*
 * The download phase, outside the store's transaction and lock (only the
 * mirror's own lock is held): each suite's Release, verified, and every
 * index and translation it names for the configuration into the blob
 * store, verified against the Release.  Nothing is read from or written
 * to the store.
 */
int
sync_apt_fetch(struct indexer *ix, struct mirror *mi, long long mirror_id,
    struct sa_fetched **out, char **cause)
{
	struct sa_sync		 sa;
	struct sa_fetched	*saf;
	size_t			 n, s;

	*out = NULL;
	memset(&sa, 0, sizeof sa);
	sa.sa_ix = ix;
	sa.sa_mi = mi;
	sa.sa_mirror_id = mirror_id;
	saf = xcalloc(1, sizeof *saf);
	for (n = 0; mi->mi_suites[n] != NULL; n++)
		;
	saf->saf_suites = xcalloc(n, sizeof *saf->saf_suites);
	saf->saf_nsuites = n;
	for (s = 0; s < n; s++) {
		saf->saf_suites[s].ss_name = mi->mi_suites[s];
		if (sa_fetch_suite(&sa, &saf->saf_suites[s], cause) != 0) {
			sync_apt_fetched_free(saf);
			return -1;
		}
	}
	*out = saf;
	return 0;
}

/*
 * The decompressed index is spooled as the parser reads it (rpmmd_spool.c,
 * which serves both formats): the store records where each stanza lies in
 * it (package_lists), not its bytes, and views copy stanzas out of it.
 * Once complete it is also linked as STORE/cache/plain/SHA256: a view that
 * lists every version upstream lists serves it as its plain Packages
 * (publish_apt.c), with nothing rendered.
 */
struct sa_tee {
	struct sync_reader	*st_sr;
	struct rpmmd_spool	*st_sp;
	char			*st_path;	/* the spooled file, once named */
	struct hash		*st_hash;	/* NULL: the Release's plain sum */
	long long		 st_len;
	char			*st_cause;	/* the spool failed */
};

/* A new spooled document of kind (sa_kind) in this sync's transaction. */
static int
sa_tee_open(struct sa_sync *sa, struct sa_tee *t, struct sync_reader *sr,
    int hashed, char **cause)
{
	struct store	*st = sa->sa_ix->ix_store;
	char		*dir, name[64];

	memset(t, 0, sizeof *t);
	t->st_sr = sr;
	/* This index's earlier documents: retired at the end of the sync. */
	if (store_run(st, cause, "UPDATE rpmmd_docs SET current = 0 WHERE "
	    "mirror = ?1 AND kind = ?2", "It", sa->sa_mirror_id,
	    sa->sa_kind) != 0)
		return -1;
	if (store_run(st, cause, "INSERT INTO rpmmd_docs (mirror, kind, name, "
	    "size, current) VALUES (?1, ?2, '', 0, 1)", "It",
	    sa->sa_mirror_id, sa->sa_kind) != 0)
		return -1;
	sa->sa_doc = sqlite3_last_insert_rowid(store_db(st));
	snprintf(name, sizeof name, "doc-%lld.deb822", sa->sa_doc);
	if (store_run(st, cause, "UPDATE rpmmd_docs SET name = ?2 WHERE "
	    "id = ?1", "It", sa->sa_doc, name) != 0)
		return -1;
	dir = rpmmd_spool_dir(sa->sa_ix->ix_cf->cf_store, sa->sa_mirror_id);
	xasprintf(&t->st_path, "%s/%s", dir, name);
	t->st_sp = rpmmd_spool_new(dir, name, cause);
	free(dir);
	if (t->st_sp == NULL)
		return -1;
	if (!hashed)
		t->st_hash = hash_new("sha256");
	return 0;
}

static void
sa_tee_drop(struct sa_tee *t)
{
	rpmmd_spool_abort(t->st_sp);
	t->st_sp = NULL;
	hash_free(t->st_hash);
	t->st_hash = NULL;
	free(t->st_path);
	t->st_path = NULL;
	free(t->st_cause);
	t->st_cause = NULL;
}

static ssize_t
sa_tee_read(void *arg, void *buf, size_t len, char **cause)
{
	struct sa_tee	*t = arg;
	ssize_t		 n;

	n = sync_reader_read(t->st_sr, buf, len, cause);
	if (n <= 0)
		return n;
	if (t->st_hash != NULL)
		hash_update(t->st_hash, buf, n);
	t->st_len += n;
	if (rpmmd_spool_add(t->st_sp, buf, n, &t->st_cause) != 0) {
		cause_set(cause, "%s", t->st_cause);
		return -1;
	}
	return n;
}

/*
 * Once the reader checked the index: makes the spooled file durable, and
 * links it into the cache under its sha256 (hex, unless the Release's
 * plain entry set it).  The link is only a speed-up.
 */
static int
sa_tee_commit(struct sa_sync *sa, struct sa_tee *t, char *hex,
    long long *len, char **cause)
{
	struct store	*st = sa->sa_ix->ix_store;
	char		*cached, *dir;
	int		 rc = -1;

	if (t->st_hash != NULL) {
		hash_final(t->st_hash, hex);
		t->st_hash = NULL;
	}
	*len = t->st_len;
	if (store_run(st, cause, "UPDATE rpmmd_docs SET size = ?2 WHERE "
	    "id = ?1", "II", sa->sa_doc, t->st_len) != 0)
		goto out;
	rc = rpmmd_spool_commit(t->st_sp, cause);
	t->st_sp = NULL;
	if (rc != 0)
		goto out;
	xasprintf(&dir, "%s/cache/plain", sa->sa_ix->ix_cf->cf_store);
	xasprintf(&cached, "%s/%s", dir, hex);
	if (mkdir_p(dir, 0755) == 0 && access(cached, F_OK) != 0 &&
	    link(t->st_path, cached) == -1)
		log_debug("%s: %s", cached, strerror(errno));
	free(cached);
	free(dir);
out:
	sa_tee_drop(t);
	return rc;
}

/*
 * Decompression, the spool's write and hash (sa_tee_read) and the parse
 * run on a thread of their own, which hands the checked stanzas over in
 * batches, a few ahead of the store: a sync then uses both cores, xz and
 * parsing on one (about as long as) recording on the other.
 */
#define SA_BATCH	512	/* stanzas a batch holds */
#define SA_BATCHES	4

struct sa_rec {
	size_t		 sr_field[6];	/* offsets in sb_text, as sa_names */
	long long	 sr_size;
	long long	 sr_off;	/* the stanza's place in the document */
	long long	 sr_len;
};

struct sa_batch {
	struct sa_rec	 sb_recs[SA_BATCH];
	size_t		 sb_n;
	char		*sb_text;	/* the fields, each NUL-terminated */
	size_t		 sb_len;
	size_t		 sb_size;
};

struct sa_feed {
	struct sa_tee	*fd_tee;
	const char	*fd_what;
	pthread_t	 fd_thread;
	pthread_mutex_t	 fd_mtx;
	pthread_cond_t	 fd_cond;
	struct sa_batch	 fd_batch[SA_BATCHES];
	unsigned long	 fd_head;	/* batches filled */
	int		 fd_filling;	/* the batch at fd_head has stanzas */
	unsigned long	 fd_tail;	/* batches recorded */
	int		 fd_eof;	/* the parse ended, with fd_rc */
	int		 fd_rc;
	int		 fd_stop;	/* the store gave up */
	char		*fd_check;	/* a stanza failed sa_stanza_check */
	char		*fd_cause;	/* the parse or the read failed */
	char		*fd_scratch;	/* sa_stanza_check's */
	size_t		 fd_scratchsize;
};

static void
sa_batch_add(struct sa_batch *b, const char *v, size_t *off)
{
	size_t	len = strlen(v) + 1;

	if (b->sb_len + len > b->sb_size) {
		b->sb_size = (b->sb_len + len) * 2;
		b->sb_text = xreallocarray(b->sb_text, b->sb_size, 1);
	}
	memcpy(b->sb_text + b->sb_len, v, len);
	*off = b->sb_len;
	b->sb_len += len;
}

/* The parser's callback on the feeding thread. */
static int
sa_feed_cb(const struct deb822_stanza *ds, void *arg)
{
	struct sa_feed	*fd = arg;
	struct sa_batch	*b;
	struct sa_rec	*r;
	char		*f[6];
	long long	 size;
	size_t		 i;
	int		 stop;

	if (fd->fd_scratchsize < ds->ds_rawlen + 6) {
		fd->fd_scratchsize = ds->ds_rawlen + 6 + 4096;
		free(fd->fd_scratch);
		fd->fd_scratch = xmalloc(fd->fd_scratchsize);
	}
	if (sa_stanza_check(ds, fd->fd_scratch, f, &size, &fd->fd_check) != 0)
		return -1;
	b = &fd->fd_batch[fd->fd_head % SA_BATCHES];
	if (!fd->fd_filling) {
		/* A new batch: wait until the store is done with the slot. */
		pthread_mutex_lock(&fd->fd_mtx);
		while (fd->fd_head - fd->fd_tail == SA_BATCHES &&
		    !fd->fd_stop)
			pthread_cond_wait(&fd->fd_cond, &fd->fd_mtx);
		stop = fd->fd_stop;
		pthread_mutex_unlock(&fd->fd_mtx);
		if (stop)
			return -1;
		b->sb_n = 0;
		b->sb_len = 0;
		fd->fd_filling = 1;
	}
	r = &b->sb_recs[b->sb_n++];
	for (i = 0; i < 6; i++)
		sa_batch_add(b, f[i], &r->sr_field[i]);
	r->sr_size = size;
	r->sr_off = ds->ds_offset;
	r->sr_len = ds->ds_rawlen;
	if (b->sb_n == SA_BATCH) {
		fd->fd_filling = 0;
		pthread_mutex_lock(&fd->fd_mtx);
		fd->fd_head++;
		pthread_cond_broadcast(&fd->fd_cond);
		pthread_mutex_unlock(&fd->fd_mtx);
	}
	return 0;
}

static void *
sa_feed_run(void *arg)
{
	struct sa_feed	*fd = arg;
	char		*why = NULL, buf[65536];
	ssize_t		 n;
	int		 rc;

	rc = deb822_parse_limited(sa_tee_read, fd->fd_tee, fd->fd_what,
	    &sa_limits, sa_feed_cb, fd, &why);
	/* What the parser left unread, so that the spooled file is whole. */
	while (rc == 0 && (n = sa_tee_read(fd->fd_tee, buf, sizeof buf,
	    &why)) != 0) {
		if (n < 0)
			rc = -1;
	}
	/* On the disk while the store records the last batches. */
	if (rc == 0 && rpmmd_spool_sync(fd->fd_tee->st_sp, &why) != 0)
		rc = -1;
	pthread_mutex_lock(&fd->fd_mtx);
	if (rc == 0 && fd->fd_filling)
		fd->fd_head++;
	fd->fd_eof = 1;
	fd->fd_rc = rc;
	fd->fd_cause = why;
	pthread_cond_broadcast(&fd->fd_cond);
	pthread_mutex_unlock(&fd->fd_mtx);
	return NULL;
}

/* Starts the feeding thread; -1 when there is none. */
static int
sa_feed_start(struct sa_feed *fd, struct sa_tee *t, const char *what)
{
	memset(fd, 0, sizeof *fd);
	fd->fd_tee = t;
	fd->fd_what = what;
	pthread_mutex_init(&fd->fd_mtx, NULL);
	pthread_cond_init(&fd->fd_cond, NULL);
	if (pthread_create(&fd->fd_thread, NULL, sa_feed_run, fd) != 0) {
		pthread_cond_destroy(&fd->fd_cond);
		pthread_mutex_destroy(&fd->fd_mtx);
		return -1;
	}
	return 0;
}

/* The next batch of stanzas, or NULL once the parse ended. */
static struct sa_batch *
sa_feed_take(struct sa_feed *fd)
{
	struct sa_batch	*b = NULL;

	pthread_mutex_lock(&fd->fd_mtx);
	while (fd->fd_head == fd->fd_tail && !fd->fd_eof)
		pthread_cond_wait(&fd->fd_cond, &fd->fd_mtx);
	if (fd->fd_head != fd->fd_tail)
		b = &fd->fd_batch[fd->fd_tail % SA_BATCHES];
	pthread_mutex_unlock(&fd->fd_mtx);
	return b;
}

/* The batch sa_feed_take() gave is recorded: its slot is free. */
static void
sa_feed_done(struct sa_feed *fd)
{
	pthread_mutex_lock(&fd->fd_mtx);
	fd->fd_tail++;
	pthread_cond_broadcast(&fd->fd_cond);
	pthread_mutex_unlock(&fd->fd_mtx);
}

/*
 * Stops the thread (when the store gave up), waits for it and frees the
 * batches; returns the parse's result, with a stanza's check failure in
 * *check, or any other cause in *cause.
 */
static int
sa_feed_end(struct sa_feed *fd, char **check, char **cause)
{
	size_t	i;

	pthread_mutex_lock(&fd->fd_mtx);
	fd->fd_stop = 1;
	pthread_cond_broadcast(&fd->fd_cond);
	pthread_mutex_unlock(&fd->fd_mtx);
	pthread_join(fd->fd_thread, NULL);
	for (i = 0; i < SA_BATCHES; i++)
		free(fd->fd_batch[i].sb_text);
	free(fd->fd_scratch);
	pthread_cond_destroy(&fd->fd_cond);
	pthread_mutex_destroy(&fd->fd_mtx);
	*check = fd->fd_check;
	*cause = fd->fd_cause;
	return fd->fd_rc;
}

/*
 * Parses the index through the tee and records every stanza: on the
 * feeding thread while the store records, or here when there is none.
 */
static int
sa_parse(struct sa_sync *sa, struct sa_tee *t, const char *what,
    char **why)
{
	struct sa_feed	 fd;
	struct sa_batch	*b;
	struct sa_rec	*r;
	char		*f[6], *check = NULL, buf[65536];
	size_t		 i, j;
	ssize_t		 n;
	enum phase	 ph;
	int		 rc = 0;

	if (sa_feed_start(&fd, t, what) != 0) {
		rc = deb822_parse_limited(sa_tee_read, t, what, &sa_limits,
		    sa_stanza_cb, sa, why);
		while (rc == 0 && (n = sa_tee_read(t, buf, sizeof buf,
		    why)) != 0) {
			if (n < 0)
				rc = -1;
		}
		return rc;
	}
	while (rc == 0 && (b = sa_feed_take(&fd)) != NULL) {
		ph = phase_enter(PHASE_STORE);
		for (i = 0; rc == 0 && i < b->sb_n; i++) {
			r = &b->sb_recs[i];
			for (j = 0; j < 6; j++)
				f[j] = b->sb_text + r->sr_field[j];
			rc = sa_stanza_store(sa, f, r->sr_size, r->sr_off,
			    r->sr_len);
		}
		phase_leave(ph);
		sa_feed_done(&fd);
	}
	if (sa_feed_end(&fd, &check, why) != 0 && rc == 0) {
		rc = -1;
		if (check != NULL) {
			/* The stanza's cause, as sa_stanza_cb gives it. */
			sa->sa_cause = check;
			check = NULL;
		}
	}
	free(check);
	return rc;
}

/* Parses an index that sync_apt_fetch() stored, unless unchanged. */
static int
sa_sync_list(struct sa_sync *sa, const struct apt_release *ar,
    const char *suite, const char *component, const char *arch, char **cause)
{
	const struct apt_release_file	*arf, *plain = NULL;
	struct sync_reader		 sr;
	struct sa_tee			 tee;
	char				*dir = NULL, *what, *list, *why = NULL;
	char				 phex[HASH_HEX_MAX];
	long long			 plen = -1;
	enum phase			 ph;
	int				 parsed, hashed, rc = -1;

	arf = sa_find_packages(ar, component, arch, &plain, &dir);
	if (arf == NULL) {
		cause_set(cause, "dists/%s/Release lists no Packages index for "
		    "component %s, architecture %s", suite, component, arch);
		return -1;
	}
	xasprintf(&what, "dists/%s/%s", suite, arf->arf_path);
	xasprintf(&list, "%s/%s/binary-%s", suite, component, arch);
	/* The same index as last time: what it lists is in the store. */
	switch (sync_file_unchanged(sa->sa_ix, sa->sa_mirror_id, "list", list,
	    arf->arf_sha256, cause)) {
	case 1:
		/* Its versions were there before this sync. */
		sa_facts_drop(sa);
		rc = 0;
		goto out;
	case -1:
		goto out;
	}
	if (sa_list_reset(sa, list, cause) != 0)
		goto out;
	if (sync_reader_open(&sr, sa->sa_ix, what, "sha256", arf->arf_sha256,
	    plain != NULL && plain != arf ? "sha256" : NULL,
	    plain != NULL && plain != arf ? plain->arf_sha256 : NULL,
	    plain != NULL && plain != arf ? plain->arf_size : -1, cause) != 0)
		goto out;
	sa->sa_list = list;
	xasprintf(&sa->sa_kind, RPMMD_APT_KIND "%s", list);
	sa->sa_count = 0;
	hashed = plain != NULL && plain != arf;
	if (sa_tee_open(sa, &tee, &sr, hashed, cause) != 0) {
		sync_reader_close(&sr, 0, NULL);
		sa_tee_drop(&tee);
		goto out;
	}
	ph = phase_enter(PHASE_PARSE);
	parsed = sa_parse(sa, &tee, what, &why);
	phase_leave(ph);
	if (parsed != 0) {
		if (sa->sa_cause != NULL) {
			cause_set(cause, "%s: %s", what, sa->sa_cause);
			free(sa->sa_cause);
			sa->sa_cause = NULL;
		} else
			cause_set(cause, "%s", why ? why : "parse failed");
		sync_reader_close(&sr, 0, NULL);
		sa_tee_drop(&tee);
		goto out;
	}
	if (sync_reader_close(&sr, 1, cause) != 0) {
		sa_tee_drop(&tee);
		goto out;
	}
	if (hashed)
		snprintf(phex, sizeof phex, "%s", plain->arf_sha256);
	if (sa_tee_commit(sa, &tee, phex, &plen, cause) != 0 ||
	    sa_record_file(sa, "list", list, what, strlen(what), arf, phex,
	    plen, cause) != 0)
		goto out;
	log_debug("mirror %s: %s: %lu packages", sa->sa_mi->mi_name, what,
	    sa->sa_count);
	rc = 0;
out:
	free(sa->sa_kind);
	sa->sa_kind = NULL;
	sa->sa_list = NULL;
	free(why);
	free(list);
	free(what);
	free(dir);
	return rc;
}

static int
sa_sync_suite(struct sa_sync *sa, const struct sa_suite *ss, char **cause)
{
	struct mirror		*mi = sa->sa_mi;
	const struct sa_pass	*sp;
	size_t			 c, a, p;

	/* ix_now was read again when the store lock was taken. */
	if (sa_check_valid(sa, ss, cause) != 0)
		return -1;
	for (c = 0; mi->mi_components[c] != NULL; c++) {
		for (a = 0; mi->mi_architectures[a] != NULL; a++) {
			if (sa_sync_list(sa, ss->ss_ar, ss->ss_name,
			    mi->mi_components[c], mi->mi_architectures[a],
			    cause) != 0)
				return -1;
		}
		for (p = 0; p < ss->ss_npass; p++) {
			sp = &ss->ss_pass[p];
			if (sp->sp_component == c && sa_record_file(sa, "pass",
			    sp->sp_name, sp->sp_arf->arf_path,
			    strlen(sp->sp_arf->arf_path), sp->sp_arf, NULL, -1,
			    cause) != 0)
				return -1;
		}
	}
	return sa_record_file(sa, "release", ss->ss_name, ss->ss_text,
	    ss->ss_len, NULL, NULL, -1, cause);
}

/*
 * The recording phase, inside the transaction that sync_mirror() opened
 * under the store lock: parses what sync_apt_fetch() stored.
 */
int
sync_apt(struct indexer *ix, struct mirror *mi, long long mirror_id,
    int first_sync, struct sa_fetched *saf, char **cause)
{
	struct sa_sync	 sa;
	long long	 any;
	size_t		 s;

	memset(&sa, 0, sizeof sa);
	sa.sa_ix = ix;
	sa.sa_mi = mi;
	sa.sa_mirror_id = mirror_id;

	sa.sa_first_sync = first_sync;

	/*
	 * Spooled indexes the committed store no longer names (retired by
	 * the last sync, or left by a failed one) go before any change.
	 */
	rpmmd_spool_prune(ix->ix_store, ix->ix_cf->cf_store, mirror_id);
	/* Index checksums (kind 'list') stay: they let unchanged ones be. */
	if (sa_exec(&sa, "DELETE FROM mirror_files WHERE mirror = ?1 AND "
	    "kind IN ('pass', 'release')", "mirror_files", cause) != 0 ||
	    sa_drop_unconfigured(&sa, cause) != 0)
		return -1;
	/*
	 * A mirror with no version yet gets every one from this sync:
	 * publishing plans from them as recorded, without reading 60,000
	 * rows back (facts_load).
	 */
	switch (store_one(ix->ix_store, cause, &any, "SELECT EXISTS (SELECT "
	    "1 FROM packages WHERE mirror = ?1)", "I", mirror_id)) {
	case -1:
		return -1;
	case 1:
		if (any == 0)
			sa.sa_facts = xcalloc(1, sizeof *sa.sa_facts);
		break;
	}
	for (s = 0; s < saf->saf_nsuites; s++) {
		if (sa_sync_suite(&sa, &saf->saf_suites[s], cause) != 0) {
			sa_facts_drop(&sa);
			return -1;
		}
	}
	/*
	 * Unchanged indexes leave every version's upstream as it was, and
	 * a first sync that found no row made each with upstream = 1.  Only
	 * the rows that change are written.
	 */
	if (sa.sa_dirty && (!first_sync || sa.sa_found) && sa_exec(&sa,
	    "UPDATE packages SET upstream = 1 - upstream WHERE mirror = ?1 AND "
	    "upstream != EXISTS (SELECT 1 FROM package_lists l WHERE "
	    "l.package = packages.id AND l.upstream = 1)", "packages",
	    cause) != 0) {
		sa_facts_drop(&sa);
		return -1;
	}
	/*
	 * The stanzas of versions that only a replaced index listed move
	 * into package_xml, where retention finds them.
	 */
	if (sa.sa_dirty && rpmmd_spool_retire(ix->ix_store, ix->ix_cf->cf_store,
	    mirror_id, cause) != 0) {
		sa_facts_drop(&sa);
		return -1;
	}
	facts_set(ix, mirror_id, sa.sa_facts);
	return 0;
}
