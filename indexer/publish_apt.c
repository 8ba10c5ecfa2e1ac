/*
 * Writing an apt view: for each suite, component and architecture a
 * Packages index made of upstream's own stanzas (only the versions the
 * group sees, byte for byte) in plain and gzip form, or upstream's own
 * files when the group sees exactly what upstream lists, each also under
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
#include "phase.h"
#include "publish_stream.h"
#include "rpmmd.h"
#include "sign.h"
#include "store.h"
#include "store_query.h"
#include "view.h"
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
 * Gives dists/SUITE/PATH, written with sha256 hex and size len, its
 * by-hash name and lists it in the Release being built.
 */
static int
pa_list_hashed(struct pub_view *pv, const char *suite, const char *path,
    const char *hex, size_t len, struct buf *sums, char **cause)
{
	char	*rel, *byhash, *dir, *slash;
	int	 rc;

	xasprintf(&rel, "dists/%s/%s", suite, path);
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
	/* Sealing the generation need not read it again. */
	if (rc == 0) {
		xasprintf(&rel, "%s/dists/%s/%s", pv->pv_tree, suite, path);
		view_sum_note(rel, hex);
		free(rel);
	}
	if (rc != 0)
		return -1;
	buf_addf(sums, " %s %16zu %s\n", hex, len, path);
	buf_addf(&pv->pv_digest, "%s %s %s\n", suite, path, hex);
	return 0;
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
	char	 hex[HASH_HEX_MAX], *rel;
	size_t	 outlen;
	int	 rc;

	xasprintf(&rel, "dists/%s/%s", suite, path);
	rc = publish_file(pv, rel, data, len, form, hex, &outlen, cause);
	free(rel);
	if (rc != 0)
		return -1;
	return pa_list_hashed(pv, suite, path, hex, outlen, sums, cause);
}

/*
 * Packages indexes written by this process, by what they were made of:
 * groups that list the same versions of an index get the same bytes, so
 * the second and third are linked from the cache instead of being read
 * from the store again.  The key covers the index's name, the checksum
 * of the upstream index its stanzas were last parsed from, and the ids
 * of the versions listed, in order.
 */
struct pa_memo {
	char	pm_key[HASH_HEX_MAX];
	char	pm_phex[HASH_HEX_MAX];
	char	pm_ghex[HASH_HEX_MAX];
	size_t	pm_plen;
	size_t	pm_glen;
};
#define PA_MEMO_MAX	16
static struct pa_memo	pa_memo[PA_MEMO_MAX];
static size_t		pa_nmemo;

/* The memo key of a list's listed versions into hex; -1 on a store error. */
static int
pa_memo_key(struct pub_view *pv, const char *list, struct pub_entry *entries,
    size_t n, char *hex, char **cause)
{
	struct store	*st = pv->pv_ix->ix_store;
	sqlite3_stmt	*stmt;
	struct hash	*h;
	const char	*csum;
	long long	 id;
	size_t		 i;
	int		 step;

	stmt = store_query(st, cause, "SELECT checksum FROM mirror_files WHERE "
	    "mirror = ?1 AND kind = 'list' AND name = ?2", "It",
	    pv->pv_mirror_id, list);
	if (stmt == NULL || (step = store_step(st, stmt, cause)) == -1)
		return -1;
	csum = step == 1 ? (const char *)sqlite3_column_text(stmt, 0) : NULL;
	h = hash_new("sha256");
	hash_update(h, list, strlen(list) + 1);
	hash_update(h, csum ? csum : "", csum ? strlen(csum) + 1 : 1);
	store_done(stmt);
	for (i = 0; i < n; i++) {
		if (!entries[i].pe_listed)
			continue;
		id = entries[i].pe_pkg->pp_id;
		hash_update(h, &id, sizeof id);
	}
	hash_final(h, hex);	/* frees the hash */
	return 0;
}

static const struct pa_memo *
pa_memo_find(struct pub_view *pv, const char *key)
{
	char	*path;
	size_t	 i;
	int	 there;

	for (i = 0; i < pa_nmemo; i++) {
		if (strcmp(pa_memo[i].pm_key, key) != 0)
			continue;
		/* Pruned since: written anew. */
		xasprintf(&path, "%s/cache/plain/%s",
		    pv->pv_ix->ix_cf->cf_store, pa_memo[i].pm_phex);
		there = access(path, F_OK) == 0;
		free(path);
		xasprintf(&path, "%s/cache/gz/%s", pv->pv_ix->ix_cf->cf_store,
		    pa_memo[i].pm_phex);
		there = there && access(path, F_OK) == 0;
		free(path);
		return there ? &pa_memo[i] : NULL;
	}
	return NULL;
}

static void
pa_memo_add(const char *key, const char *phex, size_t plen, const char *ghex,
    size_t glen)
{
	struct pa_memo	*pm;
	size_t		 i;

	/* A key whose files were pruned is written anew in its place. */
	for (i = 0; i < pa_nmemo; i++) {
		if (strcmp(pa_memo[i].pm_key, key) == 0) {
			pa_memo[i] = pa_memo[--pa_nmemo];
			break;
		}
	}
	if (pa_nmemo == PA_MEMO_MAX) {
		memmove(&pa_memo[0], &pa_memo[1],
		    (PA_MEMO_MAX - 1) * sizeof pa_memo[0]);
		pa_nmemo--;
	}
	pm = &pa_memo[pa_nmemo++];
	snprintf(pm->pm_key, sizeof pm->pm_key, "%s", key);
	snprintf(pm->pm_phex, sizeof pm->pm_phex, "%s", phex);
	snprintf(pm->pm_ghex, sizeof pm->pm_ghex, "%s", ghex);
	pm->pm_plen = plen;
	pm->pm_glen = glen;
}

/*
 * A view that lists exactly the versions upstream's index lists serves
 * upstream's own files: its plain Packages as the sync spooled it, linked
 * into the cache (sync_apt.c, sa_tee_commit), and the compressed form the
 * sync verified, from the blob store; only when upstream serves no
 * compressed form, gzip made once from the plain one (ahead of time,
 * publish_apt_prepare).  Nothing is read from the store or rendered.  Returns 1 when done, 0
 * when the view lists something else or a file is missing, -1 on error.
 */
static int
pa_upstream_files(struct pub_view *pv, const char *list, const char *suite,
    const char *component, const char *arch, struct pub_entry *entries,
    size_t n, struct buf *sums, char **cause)
{
	struct store	*st = pv->pv_ix->ix_store;
	sqlite3_stmt	*stmt;
	const char	*value, *zhex, *phex, *ext;
	char		*blob = NULL, *path = NULL, *gzpath = NULL, *zpath = NULL;
	char		*rel = NULL, *zhex_c = NULL, *phex_c = NULL;
	char		 ghex[HASH_HEX_MAX], zext[8];
	long long	 zsize, psize;
	size_t		 i, glen;
	int		 rc = 0, step;

	for (i = 0; i < n; i++) {
		if ((entries[i].pe_listed != 0) != (entries[i].pe_upstream != 0))
			return 0;
	}
	stmt = store_query(st, cause, "SELECT value, checksum, size, "
	    "open_checksum, open_size FROM mirror_files WHERE mirror = ?1 AND "
	    "kind = 'list' AND name = ?2", "It", pv->pv_mirror_id, list);
	if (stmt == NULL || (step = store_step(st, stmt, cause)) == -1)
		return -1;
	if (step == 0)
		goto out;
	value = (const char *)sqlite3_column_text(stmt, 0);
	zhex = (const char *)sqlite3_column_text(stmt, 1);
	zsize = sqlite3_column_int64(stmt, 2);
	phex = (const char *)sqlite3_column_text(stmt, 3);
	psize = sqlite3_column_int64(stmt, 4);
	/* Stores of older versions kept no plain copy. */
	if (value == NULL || zhex == NULL || phex == NULL ||
	    (ext = strrchr(value, '/')) == NULL ||
	    strncmp(ext, "/Packages", 9) != 0)
		goto out;
	ext += 9;
	if (*ext != '\0' && strcmp(ext, ".xz") != 0 && strcmp(ext, ".gz") != 0 &&
	    strcmp(ext, ".bz2") != 0 && strcmp(ext, ".zst") != 0)
		goto out;
	/* The column texts end with the reset: copies. */
	snprintf(zext, sizeof zext, "%s", ext);
	ext = zext;
	zhex_c = xstrdup(zhex);
	phex_c = xstrdup(phex);
	xasprintf(&zpath, "%s/binary-%s/Packages%s", component, arch, ext);
	store_done(stmt);
	if (!publish_stream_cached(pv, phex_c) ||
	    (blob = blob_path(pv->pv_ix->ix_blobs, "sha256", zhex_c)) == NULL ||
	    access(blob, F_OK) != 0)
		goto out;

	xasprintf(&path, "%s/binary-%s/Packages", component, arch);
	xasprintf(&rel, "dists/%s/%s", suite, path);
	if (publish_stream_link(pv, phex_c, rel, NULL, NULL, cause) != 0 ||
	    pa_list_hashed(pv, suite, path, phex_c, psize, sums, cause) != 0)
		goto fail;
	/*
	 * Upstream's compressed form is the one served (apt takes it over
	 * the plain one); gzip is made only when upstream has none.
	 */
	if (*ext == '\0') {
		xasprintf(&gzpath, "%s/binary-%s/Packages.gz", component, arch);
		free(rel);
		xasprintf(&rel, "dists/%s/%s", suite, gzpath);
		if (publish_stream_gzip(pv, phex_c, rel, ghex, &glen,
		    cause) != 0 || pa_list_hashed(pv, suite, gzpath, ghex, glen,
		    sums, cause) != 0)
			goto fail;
	}
	if (*ext != '\0') {
		free(rel);
		xasprintf(&rel, "dists/%s/%s", suite, zpath);
		if (publish_stream_link_file(pv, blob, rel, cause) != 0 ||
		    pa_list_hashed(pv, suite, zpath, zhex_c, zsize, sums,
		    cause) != 0)
			goto fail;
	}
	rc = 1;
	goto out;
fail:
	rc = -1;
out:
	store_done(stmt);
	free(rel);
	free(gzpath);
	free(zpath);
	free(path);
	free(blob);
	free(zhex_c);
	free(phex_c);
	return rc;
}

/*
 * One Packages index, in plain and gzip form, written as a stream: each
 * stanza goes from the store to the file, never into a whole document.
 */
static int
pa_packages(struct pub_view *pv, const char *suite, const char *component,
    const char *arch, struct buf *sums, char **cause)
{
	struct store		*st = pv->pv_ix->ix_store;
	struct pub_entry	*entries;
	struct pub_stream	*ps = NULL;
	struct rpmmd_elems	*el = NULL;
	char			*list, *kind, *path = NULL, *gzpath = NULL;
	char			*rel, *gzrel, phex[HASH_HEX_MAX], ghex[HASH_HEX_MAX];
	char			 key[HASH_HEX_MAX];
	const struct pa_memo	*pm;
	const char		*raw;
	size_t			 n, i, rawlen, plen, glen;
	int			 rc = -1;

	list = pa_list_name(suite, component, arch);
	xasprintf(&kind, RPMMD_APT_KIND "%s", list);
	entries = pa_entries(pv, list, &n);
	xasprintf(&path, "%s/binary-%s/Packages", component, arch);
	xasprintf(&gzpath, "%s/binary-%s/Packages.gz", component, arch);
	xasprintf(&rel, "dists/%s/%s", suite, path);
	switch (pa_upstream_files(pv, list, suite, component, arch, entries, n,
	    sums, cause)) {
	case 1:
		rc = 0;
		/* FALLTHROUGH */
	case -1:
		goto out;
	}
	if (pa_memo_key(pv, list, entries, n, key, cause) != 0)
		goto out;
	if ((pm = pa_memo_find(pv, key)) != NULL) {
		/* Another group's index, the same bytes. */
		xasprintf(&gzrel, "dists/%s/%s", suite, gzpath);
		rc = publish_stream_link(pv, pm->pm_phex, rel, gzrel,
		    pm->pm_phex, cause);
		free(gzrel);
		if (rc != 0)
			goto out;
		rc = -1;
		if (pa_list_hashed(pv, suite, path, pm->pm_phex, pm->pm_plen,
		    sums, cause) != 0 || pa_list_hashed(pv, suite, gzpath,
		    pm->pm_ghex, pm->pm_glen, sums, cause) != 0)
			goto out;
		rc = 0;
		goto out;
	}
	if ((ps = publish_stream_new(pv, rel, cause)) == NULL)
		goto out;
	/* Stanzas lie in the spooled indexes, or in the store (retained). */
	if ((el = rpmmd_elems_open(st, pv->pv_ix->ix_cf->cf_store,
	    pv->pv_mirror_id, kind, cause)) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if (!entries[i].pe_listed)
			continue;
		if ((raw = rpmmd_elems_get(el, entries[i].pe_pkg->pp_id,
		    &rawlen, cause)) == NULL) {
			if (*cause == NULL)
				cause_set(cause, "%s: no stanza of %s %s in the "
				    "store", list, entries[i].pe_pkg->pp_name,
				    entries[i].pe_pkg->pp_version);
			goto out;
		}
		/* Each stanza ends with a blank line, as Debian writes them. */
		if (publish_stream_add(ps, raw, rawlen, cause) != 0 ||
		    ((rawlen == 0 || raw[rawlen - 1] != '\n') &&
		    publish_stream_add(ps, "\n", 1, cause) != 0) ||
		    publish_stream_add(ps, "\n", 1, cause) != 0)
			goto out;
	}

	/*
	 * Plain and gzip: apt ignores an index whose Release lists no plain
	 * Packages, and gzip is fast enough for a 60,000-package index.
	 */
	xasprintf(&gzrel, "dists/%s/%s", suite, gzpath);
	rc = publish_stream_close(ps, rel, phex, &plen, gzrel, ghex, &glen,
	    cause);
	ps = NULL;
	free(gzrel);
	if (rc != 0)
		goto out;
	rc = -1;
	pa_memo_add(key, phex, plen, ghex, glen);
	if (pa_list_hashed(pv, suite, path, phex, plen, sums, cause) != 0 ||
	    pa_list_hashed(pv, suite, gzpath, ghex, glen, sums, cause) != 0)
		goto out;
	rc = 0;
out:
	rpmmd_elems_close(el);
	publish_stream_abort(ps);
	free(rel);
	free(gzpath);
	free(path);
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

	stmt = store_query(st, cause, "SELECT name, checksum FROM mirror_files "
	    "WHERE mirror = ?1 AND kind = 'pass' ORDER BY name", "I",
	    pv->pv_mirror_id);
	if (stmt == NULL)
		return -1;
	while ((step = store_step(st, stmt, cause)) == 1) {
		name = (const char *)sqlite3_column_text(stmt, 0);
		csum = (const char *)sqlite3_column_text(stmt, 1);
		if (strncmp(name, suite, slen) != 0 || name[slen] != '/')
			continue;
		if ((blob = blob_path(pv->pv_ix->ix_blobs, "sha256", csum)) ==
		    NULL) {
			cause_set(cause, "dists/%s: not in the blob store", name);
			store_done(stmt);
			return -1;
		}
		rc = file_read(blob, (size_t)1 << 31, &data, &len, cause);
		free(blob);
		if (rc == 0) {
			rc = pa_write_hashed(pv, suite, name + slen + 1, data,
			    len, PUB_PLAIN, sums, cause);
			free(data);
		}
		if (rc != 0) {
			store_done(stmt);
			return -1;
		}
	}
	return step == 0 ? 0 : -1;
}

static struct apt_release *
pa_upstream_release(struct pub_view *pv, const char *suite, char **cause)
{
	struct store	*st = pv->pv_ix->ix_store;
	sqlite3_stmt	*stmt;
	char		*what;
	struct apt_release *ar;

	int		 step;

	stmt = store_query(st, cause, "SELECT value FROM mirror_files WHERE "
	    "mirror = ?1 AND kind = 'release' AND name = ?2", "It",
	    pv->pv_mirror_id, suite);
	if (stmt == NULL || (step = store_step(st, stmt, cause)) == -1)
		return NULL;
	if (step == 0) {
		cause_set(cause, "dists/%s: never synced", suite);
		return NULL;
	}
	xasprintf(&what, "dists/%s/Release (stored)", suite);
	ar = apt_release_parse(sqlite3_column_blob(stmt, 0),
	    sqlite3_column_bytes(stmt, 0), what, cause);
	store_done(stmt);
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
	struct signer	*sg;
	char		*path, *sig = NULL;
	size_t		 siglen;
	enum phase	 ph;
	int		 rc;

	xasprintf(&path, "dists/%s/Release", suite);
	rc = publish_write_file(pv, path, rel, len, cause);
	free(path);
	if (rc != 0)
		return -1;
	if ((sg = indexer_signer(pv->pv_ix, cause)) == NULL)
		return -1;
	ph = phase_enter(PHASE_SIGN);
	rc = signer_detach_sign(sg, rel, len, &sig, &siglen, cause);
	phase_leave(ph);
	if (rc != 0)
		return -1;
	xasprintf(&path, "dists/%s/Release.gpg", suite);
	rc = publish_write_file(pv, path, sig, siglen, cause);
	free(path);
	free(sig);
	sig = NULL;
	if (rc != 0)
		return -1;
	ph = phase_enter(PHASE_SIGN);
	rc = signer_clear_sign(sg, rel, len, &sig, &siglen, cause);
	phase_leave(ph);
	if (rc != 0)
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

void
publish_apt_prepare(struct indexer *ix, long long mirror_id)
{
	sqlite3_stmt	*stmt;
	const char	*phex;

	/* Only a head start: a store error is left to the publish to meet. */
	/* Only an index upstream serves uncompressed: see pa_upstream_files. */
	stmt = store_query(ix->ix_store, NULL, "SELECT open_checksum FROM "
	    "mirror_files WHERE mirror = ?1 AND kind = 'list' AND "
	    "open_checksum IS NOT NULL AND value LIKE '%/Packages' "
	    "ORDER BY name LIMIT 1", "I", mirror_id);
	if (stmt == NULL)
		return;
	if (store_step(ix->ix_store, stmt, NULL) == 1 &&
	    (phex = (const char *)sqlite3_column_text(stmt, 0)) != NULL)
		publish_stream_gzip_ahead(ix->ix_cf->cf_store, phex);
	store_done(stmt);
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
