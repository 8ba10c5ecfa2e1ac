/*
 * Writing an apt view: for each suite, component and architecture a
 * Packages index made of upstream's own stanzas (only the versions the
 * group sees, byte for byte) in plain and gzip form, each also under
 * by-hash/SHA256/; translations passed through; a new Release listing
 * every file with size and SHA256 and a Valid-Until of its own, signed by
 * the proxy as InRelease and Release.gpg.  Local names carry pa_.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blob.h"
#include "compress.h"
#include "deb822.h"
#include "hash.h"
#include "indexer.h"
#include "log.h"
#include "sign.h"
#include "store.h"
#include "xmalloc.h"

/* How long a view's Release stays valid; views are republished daily. */
#define APT_VALID_FOR	(7 * 86400)

/* The versions one index ("bookworm/main/binary-amd64") lists upstream. */
static struct pub_entry *
pa_entries(struct pub_view *pv, const char *list, size_t *n)
{
	struct pub_entry	*entries;
	struct pub_pkg		*pp;
	size_t			 i, j;

	entries = xcalloc(pv->pv_npkgs + 1, sizeof *entries);
	*n = 0;
	for (i = 0; i < pv->pv_npkgs; i++) {
		pp = &pv->pv_pkgs[i];
		for (j = 0; j < pp->pp_nlists; j++) {
			if (strcmp(pp->pp_lists[j].pl_name, list) != 0)
				continue;
			entries[*n].pe_pkg = pp;
			entries[*n].pe_upstream = pp->pp_lists[j].pl_upstream;
			entries[*n].pe_listed = pp->pp_lists[j].pl_listed;
			(*n)++;
			break;
		}
	}
	return entries;
}

static char *
pa_list_name(const char *suite, const char *component, const char *arch)
{
	char	*list;

	xasprintf(&list, "%s/%s/binary-%s", suite, component, arch);
	return list;
}

/*
 * Writes dists/SUITE/PATH in a form, links its by-hash name, and lists it
 * in the Release being built.
 */
static int
pa_write_hashed(struct pub_view *pv, const char *suite, const char *path,
    const void *data, size_t len, enum pub_form form, struct buf *sums,
    char **cause)
{
	char	 hex[HASH_HEX_MAX], *rel, *byhash, *dir, *slash;
	size_t	 outlen;
	int	 rc;

	xasprintf(&rel, "dists/%s/%s", suite, path);
	if (publish_file(pv, rel, data, len, form, hex, &outlen, cause) != 0) {
		free(rel);
		return -1;
	}
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	else
		*dir = '\0';
	xasprintf(&byhash, "dists/%s/%s%sby-hash/SHA256/%s", suite, dir,
	    *dir ? "/" : "", hex);
	rc = publish_link(pv, rel, byhash, cause);
	free(byhash);
	free(dir);
	free(rel);
	if (rc != 0)
		return -1;
	buf_addf(sums, " %s %16zu %s\n", hex, outlen, path);
	buf_addf(&pv->pv_digest, "%s %s %s\n", suite, path, hex);
	return 0;
}

/* One Packages index, in plain and gzip form. */
static int
pa_packages(struct pub_view *pv, const char *suite, const char *component,
    const char *arch, struct buf *sums, char **cause)
{
	struct store		*st = pv->pv_ix->ix_store;
	struct pub_entry	*entries;
	sqlite3_stmt		*stmt;
	struct buf		 doc;
	char			*list, *kind, *path;
	const char		*raw;
	size_t			 n, i, rawlen;
	int			 rc = -1;

	list = pa_list_name(suite, component, arch);
	xasprintf(&kind, "deb:%s", list);
	entries = pa_entries(pv, list, &n);
	buf_init(&doc);
	buf_add(&doc, "", 0);
	for (i = 0; i < n; i++) {
		if (!entries[i].pe_listed)
			continue;
		stmt = store_stmt(st, "SELECT raw FROM package_xml WHERE "
		    "package = ?1 AND kind = ?2");
		if (stmt == NULL) {
			store_error(st, "package_xml", cause);
			goto out;
		}
		sqlite3_bind_int64(stmt, 1, entries[i].pe_pkg->pp_id);
		sqlite3_bind_text(stmt, 2, kind, -1, SQLITE_STATIC);
		if (sqlite3_step(stmt) != SQLITE_ROW) {
			store_error(st, "package_xml", cause);
			goto out;
		}
		raw = sqlite3_column_blob(stmt, 0);
		rawlen = sqlite3_column_bytes(stmt, 0);
		/* Each stanza ends with a blank line, as Debian writes them. */
		buf_add(&doc, raw, rawlen);
		if (rawlen == 0 || raw[rawlen - 1] != '\n')
			buf_add(&doc, "\n", 1);
		buf_add(&doc, "\n", 1);
	}

	/*
	 * Plain and gzip: apt ignores an index whose Release lists no plain
	 * Packages, and gzip is fast enough for a 60,000-package index.
	 */
	xasprintf(&path, "%s/binary-%s/Packages", component, arch);
	rc = pa_write_hashed(pv, suite, path, doc.b_data, doc.b_len, PUB_PLAIN,
	    sums, cause);
	free(path);
	if (rc != 0)
		goto out;
	xasprintf(&path, "%s/binary-%s/Packages.gz", component, arch);
	rc = pa_write_hashed(pv, suite, path, doc.b_data, doc.b_len, PUB_GZIP,
	    sums, cause);
	free(path);
out:
	buf_free(&doc);
	free(entries);
	free(kind);
	free(list);
	return rc;
}

/* Translations of the suite: upstream's files, unchanged. */
static int
pa_passthrough(struct pub_view *pv, const char *suite, struct buf *sums,
    char **cause)
{
	struct store	*st = pv->pv_ix->ix_store;
	sqlite3_stmt	*stmt;
	const char	*name, *csum;
	char		*blob, *data;
	size_t		 len, slen = strlen(suite);
	int		 step, rc;

	stmt = store_stmt(st, "SELECT name, checksum FROM mirror_files WHERE "
	    "mirror = ?1 AND kind = 'pass' ORDER BY name");
	if (stmt == NULL) {
		store_error(st, "mirror_files", cause);
		return -1;
	}
	sqlite3_bind_int64(stmt, 1, pv->pv_mirror_id);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(stmt, 0);
		csum = (const char *)sqlite3_column_text(stmt, 1);
		if (strncmp(name, suite, slen) != 0 || name[slen] != '/')
			continue;
		if ((blob = blob_path(pv->pv_ix->ix_blobs, "sha256", csum)) ==
		    NULL) {
			cause_set(cause, "dists/%s: not in the blob store", name);
			return -1;
		}
		rc = file_read(blob, (size_t)1 << 31, &data, &len, cause);
		free(blob);
		if (rc != 0)
			return -1;
		rc = pa_write_hashed(pv, suite, name + slen + 1, data, len,
		    PUB_PLAIN, sums, cause);
		free(data);
		if (rc != 0)
			return -1;
	}
	if (step != SQLITE_DONE) {
		store_error(st, "mirror_files", cause);
		return -1;
	}
	return 0;
}

static struct apt_release *
pa_upstream_release(struct pub_view *pv, const char *suite, char **cause)
{
	struct store	*st = pv->pv_ix->ix_store;
	sqlite3_stmt	*stmt;
	char		*what;
	struct apt_release *ar;

	stmt = store_stmt(st, "SELECT value FROM mirror_files WHERE mirror = ?1 "
	    "AND kind = 'release' AND name = ?2");
	if (stmt == NULL) {
		store_error(st, "mirror_files", cause);
		return NULL;
	}
	sqlite3_bind_int64(stmt, 1, pv->pv_mirror_id);
	sqlite3_bind_text(stmt, 2, suite, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		cause_set(cause, "dists/%s: never synced", suite);
		return NULL;
	}
	xasprintf(&what, "dists/%s/Release (stored)", suite);
	ar = apt_release_parse(sqlite3_column_blob(stmt, 0),
	    sqlite3_column_bytes(stmt, 0), what, cause);
	free(what);
	return ar;
}

static void
pa_field(struct buf *b, const char *name, const char *value)
{
	if (value != NULL && *value != '\0')
		buf_addf(b, "%s: %s\n", name, value);
}

static void
pa_words(struct buf *b, const char *name, char **words)
{
	size_t	i;

	buf_addf(b, "%s:", name);
	for (i = 0; words[i] != NULL; i++)
		buf_addf(b, " %s", words[i]);
	buf_adds(b, "\n");
}

/* Writes a suite's Release with its detached and inline signatures. */
static int
pa_write_release(struct pub_view *pv, const char *suite, const char *rel,
    size_t len, char **cause)
{
	char	*path, *sig = NULL;
	size_t	 siglen;
	int	 rc;

	xasprintf(&path, "dists/%s/Release", suite);
	rc = publish_write_file(pv, path, rel, len, cause);
	free(path);
	if (rc != 0)
		return -1;
	if (signer_detach_sign(pv->pv_ix->ix_signer, rel, len, &sig, &siglen,
	    cause) != 0)
		return -1;
	xasprintf(&path, "dists/%s/Release.gpg", suite);
	rc = publish_write_file(pv, path, sig, siglen, cause);
	free(path);
	free(sig);
	sig = NULL;
	if (rc != 0)
		return -1;
	if (signer_clear_sign(pv->pv_ix->ix_signer, rel, len, &sig, &siglen,
	    cause) != 0)
		return -1;
	xasprintf(&path, "dists/%s/InRelease", suite);
	rc = publish_write_file(pv, path, sig, siglen, cause);
	free(path);
	free(sig);
	return rc;
}

static int
pa_suite(struct pub_view *pv, const char *suite, char **cause)
{
	struct mirror		*mi = pv->pv_mirror;
	struct apt_release	*ar;
	struct buf		 rel, sums;
	char			 d1[40], d2[40];
	size_t			 c, a;
	int			 rc = -1;

	if ((ar = pa_upstream_release(pv, suite, cause)) == NULL)
		return -1;
	buf_init(&sums);
	buf_init(&rel);
	for (c = 0; mi->mi_components[c] != NULL; c++) {
		for (a = 0; mi->mi_architectures[a] != NULL; a++) {
			if (pa_packages(pv, suite, mi->mi_components[c],
			    mi->mi_architectures[a], &sums, cause) != 0)
				goto out;
		}
	}
	if (pa_passthrough(pv, suite, &sums, cause) != 0)
		goto out;

	pa_field(&rel, "Origin", ar->ar_origin);
	pa_field(&rel, "Label", ar->ar_label);
	pa_field(&rel, "Suite", ar->ar_suite);
	pa_field(&rel, "Version", ar->ar_version);
	pa_field(&rel, "Codename", ar->ar_codename);
	buf_addf(&rel, "Date: %s\n", apt_date_format(pv->pv_ix->ix_now, d1,
	    sizeof d1));
	/*
	 * A preview of a later time stays valid until after that time.  A
	 * snapshot is never republished, so it carries no Valid-Until (as
	 * aptly's snapshots): apt then accepts it for as long as it exists.
	 */
	if (!pv->pv_ix->ix_snapshot)
		buf_addf(&rel, "Valid-Until: %s\n", apt_date_format(
		    (pv->pv_ix->ix_view_time > pv->pv_ix->ix_now ?
		    pv->pv_ix->ix_view_time : pv->pv_ix->ix_now) + APT_VALID_FOR,
		    d2, sizeof d2));
	buf_adds(&rel, "Acquire-By-Hash: yes\n");
	pa_field(&rel, "No-Support-for-Architecture-all",
	    ar->ar_no_support_arch_all);
	pa_words(&rel, "Architectures", mi->mi_architectures);
	pa_words(&rel, "Components", mi->mi_components);
	pa_field(&rel, "Description", ar->ar_description);
	buf_adds(&rel, "SHA256:\n");
	buf_add(&rel, sums.b_data ? sums.b_data : "", sums.b_len);

	rc = pa_write_release(pv, suite, rel.b_data, rel.b_len, cause);
out:
	buf_free(&rel);
	buf_free(&sums);
	apt_release_free(ar);
	return rc;
}

/*
 * apt's daily refresh (publish.c, pub_refresh): the Releases of the
 * generation cur, dated now and valid for APT_VALID_FOR again, signed
 * anew; every other line as it was.
 */
int
publish_apt_refresh(struct pub_view *pv, const char *cur, char **cause)
{
	struct mirror	*mi = pv->pv_mirror;
	struct buf	 rel;
	char		*path, *old, *line, *end, *nl, d[40];
	size_t		 s, len;
	int		 rc = 0;

	for (s = 0; rc == 0 && mi->mi_suites[s] != NULL; s++) {
		xasprintf(&path, "%s/tree/dists/%s/Release", cur,
		    mi->mi_suites[s]);
		rc = file_read(path, (size_t)64 << 20, &old, &len, cause);
		free(path);
		if (rc != 0)
			break;
		buf_init(&rel);
		for (line = old, end = old + len; line < end; line = nl) {
			nl = memchr(line, '\n', end - line);
			nl = nl != NULL ? nl + 1 : end;
			if (strncmp(line, "Date: ", 6) == 0)
				buf_addf(&rel, "Date: %s\n", apt_date_format(
				    pv->pv_ix->ix_now, d, sizeof d));
			else if (strncmp(line, "Valid-Until: ", 13) == 0)
				buf_addf(&rel, "Valid-Until: %s\n",
				    apt_date_format(pv->pv_ix->ix_now +
				    APT_VALID_FOR, d, sizeof d));
			else
				buf_add(&rel, line, nl - line);
		}
		free(old);
		rc = pa_write_release(pv, mi->mi_suites[s], rel.b_data ?
		    rel.b_data : "", rel.b_len, cause);
		buf_free(&rel);
	}
	return rc;
}

int
publish_apt(struct pub_view *pv, char **cause)
{
	struct mirror	*mi = pv->pv_mirror;
	size_t		 s;

	*cause = NULL;
	for (s = 0; mi->mi_suites[s] != NULL; s++) {
		if (pa_suite(pv, mi->mi_suites[s], cause) != 0)
			return -1;
	}
	return 0;
}
