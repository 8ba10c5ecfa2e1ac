/*
 * Syncing an apt mirror: for each suite, InRelease (or Release and
 * Release.gpg) verified against the keyring and its Valid-Until, then the
 * Packages index of each component and architecture in the best
 * compression the Release lists, verified against the Release's size and
 * SHA256 before a stanza is parsed.  apt indexes carry no dates: the first
 * time the mirror sees a version is its release time.  Downloads come
 * first, holding only the mirror's lock (sync_apt_fetch); the parse into
 * the store runs inside the transaction sync_mirror() opened under the
 * store lock (sync_apt).  Local names carry the prefix sa_.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "deb822.h"
#include "fetch.h"
#include "indexer.h"
#include "log.h"
#include "phase.h"
#include "sign.h"
#include "store.h"
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
	const char	*sa_list;	/* "bookworm/main/binary-amd64" */
	char		*sa_kind;	/* "deb:" + list */
	char		*sa_cause;	/* set by the stanza callback */
	unsigned long	 sa_count;
	int		 sa_dirty;	/* an index's versions changed */
};

static int
sa_exec(struct sa_sync *sa, const char *sql, const char *what, char **cause)
{
	sqlite3_stmt	*stmt;

	stmt = store_stmt(sa->sa_ix->ix_store, sql);
	if (stmt == NULL)
		goto fail;
	sqlite3_bind_int64(stmt, 1, sa->sa_mirror_id);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		goto fail;
	return 0;
fail:
	store_error(sa->sa_ix->ix_store, what, cause);
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

static int
sa_stanza_cb(const struct deb822_stanza *ds, void *arg)
{
	struct sa_sync	*sa = arg;
	struct store	*st = sa->sa_ix->ix_store;
	sqlite3_stmt	*stmt;
	char		*f[6], *end, *p;
	static const char *const names[6] = { "Package", "Version",
	    "Architecture", "Filename", "Size", "SHA256" };
	long long	 id, size;
	size_t		 i;
	enum phase	 ph = PHASE_PARSE;
	int		 rc = -1;

	for (i = 0; i < 6; i++)
		f[i] = deb822_field(ds, names[i], 0);
	for (i = 0; i < 6; i++) {
		if (f[i] == NULL || *f[i] == '\0') {
			if (i == 0)
				cause_set(&sa->sa_cause, "line %ld: stanza without "
				    "Package", ds->ds_line);
			else
				cause_set(&sa->sa_cause, "line %ld: stanza of "
				    "package %s without %s", ds->ds_line, f[0],
				    names[i]);
			goto out;
		}
	}
	if (!sa_path_safe(f[3])) {
		cause_set(&sa->sa_cause, "line %ld: package %s: unsafe Filename "
		    "\"%s\"", ds->ds_line, f[0], f[3]);
		goto out;
	}
	errno = 0;
	size = strtoll(f[4], &end, 10);
	if (errno != 0 || *end != '\0' || size < 0) {
		cause_set(&sa->sa_cause, "line %ld: package %s: bad Size \"%s\"",
		    ds->ds_line, f[0], f[4]);
		goto out;
	}
	for (p = f[5]; *p != '\0'; p++)
		*p = tolower((unsigned char)*p);
	if (!sa_hex64(f[5])) {
		cause_set(&sa->sa_cause, "line %ld: package %s: bad SHA256 "
		    "\"%s\"", ds->ds_line, f[0], f[5]);
		goto out;
	}

	ph = phase_enter(PHASE_STORE);
	stmt = store_stmt(st, "SELECT id FROM packages WHERE mirror = ?1 AND "
	    "pkgid = ?2");
	if (stmt == NULL)
		goto dberr;
	sqlite3_bind_int64(stmt, 1, sa->sa_mirror_id);
	sqlite3_bind_text(stmt, 2, f[5], -1, SQLITE_STATIC);
	switch (sqlite3_step(stmt)) {
	case SQLITE_ROW:
		id = sqlite3_column_int64(stmt, 0);
		stmt = store_stmt(st, "UPDATE packages SET last_seen = ?2, "
		    "location = ?3 WHERE id = ?1");
		if (stmt == NULL)
			goto dberr;
		sqlite3_bind_int64(stmt, 1, id);
		sqlite3_bind_int64(stmt, 2, sa->sa_ix->ix_now);
		sqlite3_bind_text(stmt, 3, f[3], -1, SQLITE_STATIC);
		if (sqlite3_step(stmt) != SQLITE_DONE)
			goto dberr;
		break;
	case SQLITE_DONE:
		stmt = store_stmt(st, "INSERT INTO packages (mirror, pkgid, "
		    "checksum_type, name, arch, epoch, version, release, "
		    "location, size, first_seen, upstream, last_seen) VALUES "
		    "(?1, ?2, 'sha256', ?3, ?4, '0', ?5, '', ?6, ?7, ?8, 1, ?9)");
		if (stmt == NULL)
			goto dberr;
		sqlite3_bind_int64(stmt, 1, sa->sa_mirror_id);
		sqlite3_bind_text(stmt, 2, f[5], -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 3, f[0], -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 4, f[2], -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 5, f[1], -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 6, f[3], -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 7, size);
		if (!sa->sa_first_sync)
			sqlite3_bind_int64(stmt, 8, sa->sa_ix->ix_now);
		sqlite3_bind_int64(stmt, 9, sa->sa_ix->ix_now);
		if (sqlite3_step(stmt) != SQLITE_DONE)
			goto dberr;
		id = sqlite3_last_insert_rowid(store_db(st));
		break;
	default:
		goto dberr;
	}

	stmt = store_stmt(st, "INSERT OR REPLACE INTO package_xml (package, "
	    "kind, raw) VALUES (?1, ?2, ?3)");
	if (stmt == NULL)
		goto dberr;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_text(stmt, 2, sa->sa_kind, -1, SQLITE_STATIC);
	sqlite3_bind_blob64(stmt, 3, ds->ds_raw, ds->ds_rawlen, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		goto dberr;
	stmt = store_stmt(st, "INSERT OR REPLACE INTO package_lists (package, "
	    "list, upstream) VALUES (?1, ?2, 1)");
	if (stmt == NULL)
		goto dberr;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_text(stmt, 2, sa->sa_list, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		goto dberr;
	sa->sa_count++;
	log_progress("mirror %s: %s: %lu packages", sa->sa_mi->mi_name,
	    sa->sa_list, sa->sa_count);
	rc = 0;
	goto out;
dberr:
	store_error(st, "packages", &sa->sa_cause);
out:
	phase_leave(ph);
	for (i = 0; i < 6; i++)
		free(f[i]);
	return rc;
}

static int
sa_verify_flags(struct mirror *mi)
{
	return mi->mi_keyring_allow_expired ? VERIFY_ALLOW_EXPIRED : 0;
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
	enum phase	 ph;
	int		 rc;

	ph = phase_enter(PHASE_FETCH);
	xasprintf(&rel, "dists/%s/InRelease", suite);
	url = mirror_url(mi, NULL, rel);
	rc = fetch_to_memory(url, RELEASE_MAX, &data, &dlen, &status, &why);
	free(url);
	if (mi->mi_keyring != NULL) {
		xasprintf(&work, "%s/keyrings/%s", sa->sa_ix->ix_cf->cf_store,
		    mi->mi_name);
		if (mkdir_p(work, 0700) == -1) {
			cause_set(cause, "%s: %s", work, strerror(errno));
			goto out;
		}
	}
	if (rc == 0) {
		*what = rel;
		rel = NULL;
		phase_enter(PHASE_VERIFY);
		if (mi->mi_keyring != NULL)
			rc = verify_clearsigned_flags(mi->mi_keyring, work, data,
			    dlen, &text, len, sa_verify_flags(mi), &warning, &why);
		else
			rc = apt_inrelease_text(data, dlen, &text, len, &why);
		if (rc != 0) {
			if (mi->mi_keyring != NULL)
				cause_set(cause, "%s: signature check against "
				    "keyring %s failed: %s", *what,
				    mi->mi_keyring, why);
			else
				cause_set(cause, "%s: %s", *what, why);
			text = NULL;
		}
		goto out;
	}
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
    char **cause)
{
	struct store	*st = sa->sa_ix->ix_store;
	sqlite3_stmt	*stmt;

	stmt = store_stmt(st, "INSERT OR REPLACE INTO mirror_files (mirror, "
	    "kind, name, value, checksum_type, checksum, size) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (stmt == NULL) {
		store_error(st, "mirror_files", cause);
		return -1;
	}
	sqlite3_bind_int64(stmt, 1, sa->sa_mirror_id);
	sqlite3_bind_text(stmt, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob64(stmt, 4, value, vlen, SQLITE_STATIC);
	if (arf != NULL) {
		sqlite3_bind_text(stmt, 5, "sha256", -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 6, arf->arf_sha256, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 7, arf->arf_size);
	}
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		store_error(st, "mirror_files", cause);
		return -1;
	}
	return 0;
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
	sqlite3_stmt	*stmt;

	stmt = store_stmt(sa->sa_ix->ix_store, "UPDATE package_lists SET "
	    "upstream = 0 WHERE list = ?2 AND package IN (SELECT id FROM "
	    "packages WHERE mirror = ?1)");
	if (stmt == NULL)
		goto fail;
	sqlite3_bind_int64(stmt, 1, sa->sa_mirror_id);
	sqlite3_bind_text(stmt, 2, list, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		goto fail;
	sa->sa_dirty = 1;
	return 0;
fail:
	store_error(sa->sa_ix->ix_store, "package_lists", cause);
	return -1;
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
	stmt = store_stmt(sa->sa_ix->ix_store, "SELECT name FROM mirror_files "
	    "WHERE mirror = ?1 AND kind = 'list'");
	if (stmt == NULL) {
		store_error(sa->sa_ix->ix_store, "mirror_files", cause);
		return -1;
	}
	sqlite3_bind_int64(stmt, 1, sa->sa_mirror_id);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
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
	if (step != SQLITE_DONE) {
		store_error(sa->sa_ix->ix_store, "mirror_files", cause);
		rc = -1;
	}
	sqlite3_reset(stmt);
	/* Forgetting its checksum: named again, it is parsed again. */
	for (i = 0; i < ngone; i++) {
		if (rc == 0)
			rc = sa_list_reset(sa, gone[i], cause);
		if (rc == 0 && (stmt = store_stmt(sa->sa_ix->ix_store,
		    "DELETE FROM mirror_files WHERE mirror = ?1 AND kind = "
		    "'list' AND name = ?2")) == NULL) {
			store_error(sa->sa_ix->ix_store, "mirror_files", cause);
			rc = -1;
		}
		if (rc == 0 && (sqlite3_bind_int64(stmt, 1, sa->sa_mirror_id) !=
		    SQLITE_OK || sqlite3_bind_text(stmt, 2, gone[i], -1,
		    SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_step(stmt) != SQLITE_DONE)) {
			store_error(sa->sa_ix->ix_store, "mirror_files", cause);
			rc = -1;
		}
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

/* Parses an index that sync_apt_fetch() stored, unless unchanged. */
static int
sa_sync_list(struct sa_sync *sa, const struct apt_release *ar,
    const char *suite, const char *component, const char *arch, char **cause)
{
	const struct apt_release_file	*arf, *plain = NULL;
	struct sync_reader		 sr;
	char				*dir = NULL, *what, *list, *why = NULL;
	enum phase			 ph;
	int				 parsed, rc = -1;

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
	    arf->arf_sha256)) {
	case 1:
		rc = 0;
		goto out;
	case -1:
		store_error(sa->sa_ix->ix_store, "mirror_files", cause);
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
	xasprintf(&sa->sa_kind, "deb:%s", list);
	sa->sa_count = 0;
	ph = phase_enter(PHASE_PARSE);
	parsed = deb822_parse_limited(sync_reader_read, &sr, what,
	    &sa_limits, sa_stanza_cb, sa, &why);
	phase_leave(ph);
	if (parsed != 0) {
		if (sa->sa_cause != NULL) {
			cause_set(cause, "%s: %s", what, sa->sa_cause);
			free(sa->sa_cause);
			sa->sa_cause = NULL;
		} else
			cause_set(cause, "%s", why ? why : "parse failed");
		sync_reader_close(&sr, 0, NULL);
		goto out;
	}
	if (sync_reader_close(&sr, 1, cause) != 0)
		goto out;
	if (sa_record_file(sa, "list", list, what, strlen(what), arf,
	    cause) != 0)
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
			    strlen(sp->sp_arf->arf_path), sp->sp_arf, cause) != 0)
				return -1;
		}
	}
	return sa_record_file(sa, "release", ss->ss_name, ss->ss_text,
	    ss->ss_len, NULL, cause);
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
	size_t		 s;

	memset(&sa, 0, sizeof sa);
	sa.sa_ix = ix;
	sa.sa_mi = mi;
	sa.sa_mirror_id = mirror_id;

	sa.sa_first_sync = first_sync;

	/* Index checksums (kind 'list') stay: they let unchanged ones be. */
	if (sa_exec(&sa, "DELETE FROM mirror_files WHERE mirror = ?1 AND "
	    "kind IN ('pass', 'release')", "mirror_files", cause) != 0 ||
	    sa_drop_unconfigured(&sa, cause) != 0)
		return -1;
	for (s = 0; s < saf->saf_nsuites; s++) {
		if (sa_sync_suite(&sa, &saf->saf_suites[s], cause) != 0)
			return -1;
	}
	/* Unchanged indexes leave every version's upstream as it was. */
	/* Only the rows that change are written. */
	if (sa.sa_dirty && sa_exec(&sa, "UPDATE packages SET upstream = 1 - "
	    "upstream WHERE mirror = ?1 AND upstream != EXISTS (SELECT 1 FROM "
	    "package_lists l WHERE l.package = packages.id AND l.upstream = 1)",
	    "packages", cause) != 0)
		return -1;
	return 0;
}
