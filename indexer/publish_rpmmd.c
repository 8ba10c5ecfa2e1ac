/*
 * Writing an rpm-md view: primary, filelists and other made of upstream's
 * own <package> elements (only the visible ones, byte for byte), updateinfo
 * with each advisory cut down to its visible packages, deltainfo (or
 * prestodelta) with the deltas to visible versions only, SUSE's susedata
 * (and its translations) cut down to the listed versions like filelists,
 * the other metadata (comps, modules, SUSE's suseinfo, patterns, products,
 * appdata: none names a version) passed through unchanged, and a new
 * repomd.xml signed with the proxy's
 * key, its public key beside it for zypper.  Every file is named by its
 * checksum, so generations never clash.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "blob.h"
#include "compress.h"
#include "hash.h"
#include "indexer.h"
#include "log.h"
#include "phase.h"
#include "publish_stream.h"
#include "rpmmd.h"
#include "sign.h"
#include "store.h"
#include "store_query.h"
#include "xmalloc.h"

static const char	pr_xml_decl[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/* The root element's name, from its start tag ("<metadata xmlns=..."). */
static char *
pr_root_name(const char *root_start)
{
	const char	*p = root_start + 1, *end;

	end = p + strcspn(p, " \t\r\n/>");
	return xstrndup(p, end - p);
}

static char *
pr_root_start(struct pub_view *pv, const char *type, char **cause)
{
	sqlite3_stmt	*stmt;
	struct store	*st = pv->pv_ix->ix_store;

	char		*root = NULL;

	stmt = store_query(st, cause, "SELECT value FROM mirror_files WHERE "
	    "mirror = ?1 AND kind = 'root' AND name = ?2", "It",
	    pv->pv_mirror_id, type);
	if (stmt == NULL || store_step(st, stmt, cause) != 1)
		return NULL;
	if (sqlite3_column_type(stmt, 0) != SQLITE_NULL)
		root = xstrndup(sqlite3_column_blob(stmt, 0),
		    sqlite3_column_bytes(stmt, 0));
	store_done(stmt);
	return root;
}

/*
 * What follows the root's end tag upstream: "\n", or nothing (as
 * createrepo_c writes it); "\n" for a store synced before it was kept.
 */
static const char *
pr_root_tail(struct pub_view *pv, const char *type, char **cause)
{
	long long	 len;

	switch (store_one(pv->pv_ix->ix_store, cause, &len, "SELECT "
	    "length(value) FROM mirror_files WHERE mirror = ?1 AND kind = "
	    "'tail' AND name = ?2", "It", pv->pv_mirror_id, type)) {
	case -1:
		return NULL;
	case 1:
		if (len == 0)
			return "";
		break;
	}
	return "\n";
}

/* Appends one <data> element to repomd.xml. */
static void
pr_repomd_data(struct buf *rm, const char *type, const char *ctype,
    const char *csum, const char *octype, const char *ocsum,
    const char *location, long long timestamp, long long size,
    long long open_size)
{
	buf_addf(rm, "  <data type=\"%s\">\n", type);
	buf_addf(rm, "    <checksum type=\"%s\">%s</checksum>\n", ctype, csum);
	if (ocsum != NULL)
		buf_addf(rm, "    <open-checksum type=\"%s\">%s</open-checksum>\n",
		    octype, ocsum);
	buf_addf(rm, "    <location href=\"%s\"/>\n", location);
	if (timestamp >= 0)
		buf_addf(rm, "    <timestamp>%lld</timestamp>\n", timestamp);
	if (size >= 0)
		buf_addf(rm, "    <size>%lld</size>\n", size);
	if (open_size >= 0)
		buf_addf(rm, "    <open-size>%lld</open-size>\n", open_size);
	buf_addf(rm, "  </data>\n");
}

/* Compresses a document, writes it under its checksum, lists it in repomd. */
static int
pr_emit(struct pub_view *pv, struct buf *rm, const char *type,
    const struct buf *doc, char **cause)
{
	char	 open_hex[HASH_HEX_MAX], hex[HASH_HEX_MAX], *tmp, *loc;
	size_t	 gzlen;
	int	 rc;

	hash_buffer("sha256", doc->b_data, doc->b_len, open_hex);
	/* Named by the compressed file's checksum, known once it is made. */
	xasprintf(&tmp, "repodata/.%s-%s.xml.gz", open_hex, type);
	if (publish_file(pv, tmp, doc->b_data, doc->b_len, PUB_GZIP, hex,
	    &gzlen, cause) != 0) {
		free(tmp);
		return -1;
	}
	xasprintf(&loc, "repodata/%s-%s.xml.gz", hex, type);
	rc = publish_link(pv, tmp, loc, cause);
	if (rc == 0) {
		char	*path;

		xasprintf(&path, "%s/%s", pv->pv_tree, tmp);
		unlink(path);
		free(path);
		pr_repomd_data(rm, type, "sha256", hex, "sha256", open_hex, loc,
		    pv->pv_ix->ix_now, gzlen, doc->b_len);
		buf_addf(&pv->pv_digest, "%s %s\n", type, open_hex);
	}
	free(loc);
	free(tmp);
	return rc;
}

static int
pr_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * A <package> of primary without the xml:base of its <location>: a client
 * would fetch the file from that other address, past the gate.  The view
 * serves it under its href instead, and the proxy fetches it from the
 * xml:base (packages.idx names that URL).  Appends the element to out;
 * returns 0, or -1 (nothing appended) when it has no such attribute.
 */
static int
pr_strip_base(const char *raw, size_t len, struct buf *out)
{
	const char	*end = raw + len, *p, *tag, *gt, *name, *cut;
	char		 quote;

	for (p = raw; (p = memmem(p, end - p, "<location", 9)) != NULL; p++) {
		if (p + 9 < end && pr_blank(p[9]))
			break;
	}
	if (p == NULL)
		return -1;
	tag = p;
	for (p = tag + 9; p < end; ) {
		cut = p;
		while (p < end && pr_blank(*p))
			p++;
		if (p >= end || *p == '/' || *p == '>')
			return -1;
		name = p;
		while (p < end && *p != '=' && !pr_blank(*p))
			p++;
		while (p < end && pr_blank(*p))
			p++;
		if (p >= end || *p != '=')
			return -1;
		for (p++; p < end && pr_blank(*p); p++)
			;
		if (p >= end || (*p != '"' && *p != '\''))
			return -1;
		quote = *p++;
		if ((gt = memchr(p, quote, end - p)) == NULL)
			return -1;
		p = gt + 1;
		if (strncmp(name, "xml:base", 8) == 0 &&
		    (name[8] == '=' || pr_blank(name[8]))) {
			buf_add(out, raw, cut - raw);
			buf_add(out, p, end - p);
			return 0;
		}
	}
	return -1;
}

/*
 * Upstream's own compressed file, when the view's document is upstream's
 * byte for byte (every version listed, none retained): linked into the
 * view under its upstream checksum rather than compressed again.  Fills
 * loc, checksum and size; 0 when used, -1 when not (the caller compresses).
 */
static int
pr_upstream_same(struct pub_view *pv, const char *type, const char *phex,
    size_t plen, char **loc, char *ghex, size_t *glen, char **cause)
{
	struct store	*st = pv->pv_ix->ix_store;
	sqlite3_stmt	*stmt;
	const char	*ctype, *csum, *ocs, *uloc, *ext;
	char		*blob = NULL, *dst = NULL, *dir;
	int		 rc = -1;

	/* The row stays current while its columns are used: store_done. */
	stmt = store_query(st, cause, "SELECT value, checksum_type, checksum, "
	    "size, open_checksum, open_size FROM mirror_files WHERE mirror = "
	    "?1 AND kind = 'data' AND name = ?2", "It", pv->pv_mirror_id,
	    type);
	if (stmt == NULL || store_step(st, stmt, cause) != 1)
		return -1;
	uloc = (const char *)sqlite3_column_text(stmt, 0);
	ctype = (const char *)sqlite3_column_text(stmt, 1);
	csum = (const char *)sqlite3_column_text(stmt, 2);
	ocs = (const char *)sqlite3_column_text(stmt, 4);
	if (uloc == NULL || ctype == NULL || csum == NULL || ocs == NULL ||
	    strcmp(ctype, "sha256") != 0 || strncmp(ocs, "sha256:", 7) != 0 ||
	    strcasecmp(ocs + 7, phex) != 0 || strlen(csum) >= HASH_HEX_MAX ||
	    (sqlite3_column_type(stmt, 5) != SQLITE_NULL &&
	    sqlite3_column_int64(stmt, 5) != (long long)plen))
		goto out;
	/* The compression its name says, which clients may go by. */
	if ((ext = strrchr(uloc, '.')) == NULL || (strcmp(ext, ".gz") != 0 &&
	    strcmp(ext, ".xz") != 0 && strcmp(ext, ".zst") != 0 &&
	    strcmp(ext, ".bz2") != 0))
		goto out;
	if ((blob = blob_path(pv->pv_ix->ix_blobs, ctype, csum)) == NULL)
		goto out;
	xasprintf(loc, "repodata/%s-%s.xml%s", csum, type, ext);
	xasprintf(&dir, "%s/repodata", pv->pv_tree);
	xasprintf(&dst, "%s/%s", pv->pv_tree, *loc);
	if (mkdir_p(dir, 0755) == 0 && link(blob, dst) == 0) {
		snprintf(ghex, HASH_HEX_MAX, "%s", csum);
		*glen = sqlite3_column_int64(stmt, 3);
		rc = 0;
	} else {
		free(*loc);
		*loc = NULL;
	}
	free(dir);
	free(dst);
	free(blob);
out:
	store_done(stmt);
	return rc;
}

/*
 * Where a package document goes as it is made: into a hash only (to learn
 * whether it needs writing at all), or into a stream to the cache.
 */
struct pr_sink {
	struct hash		*pk_hash;
	struct pub_stream	*pk_stream;
	size_t			 pk_len;
};

static int
pr_sink_add(struct pr_sink *pk, const void *data, size_t len, char **cause)
{
	pk->pk_len += len;
	if (pk->pk_hash != NULL) {
		hash_update(pk->pk_hash, data, len);
		return 0;
	}
	return publish_stream_add(pk->pk_stream, data, len, cause);
}

/* Where a listed version's element goes in the view: upstream's order. */
struct pr_place {
	long long	 pl_doc;	/* LLONG_MAX: kept in the store */
	long long	 pl_off;
	size_t		 pl_i;		/* in pv_pkgs */
};

static int
pr_place_cmp(const void *a, const void *b)
{
	const struct pr_place	*x = a, *y = b;

	if (x->pl_doc != y->pl_doc)
		return x->pl_doc < y->pl_doc ? -1 : 1;
	if (x->pl_off != y->pl_off)
		return x->pl_off < y->pl_off ? -1 : 1;
	return x->pl_i < y->pl_i ? -1 : x->pl_i > y->pl_i;
}

/*
 * primary, filelists or other: the listed versions' elements, copied from
 * upstream's spooled document in its order (then, for versions upstream
 * dropped, from the store, in the order they came) into the sink.  A
 * view that lists what upstream lists is then upstream's document.
 */
static int
pr_packages_make(struct pub_view *pv, const char *type, const char *root,
    struct pr_sink *pk, char **cause)
{
	struct rpmmd_elems	*el = NULL;
	struct pub_pkg		*pp;
	struct buf		 strip;
	const char		*raw, *tail;
	char			*root_named = NULL, *name = NULL;
	struct pr_place		*places = NULL;
	unsigned long		 count = 0, written = 0;
	size_t			 i, n = 0, len;
	int			 rc = -1, has;

	buf_init(&strip);
	if ((el = rpmmd_elems_open(pv->pv_ix->ix_store,
	    pv->pv_ix->ix_cf->cf_store, pv->pv_mirror_id, type, cause)) == NULL)
		goto out;
	/* The root start tag counts the elements: counted first. */
	places = xcalloc(pv->pv_npkgs + 1, sizeof *places);
	for (i = 0; i < pv->pv_npkgs; i++) {
		pp = &pv->pv_pkgs[i];
		if (!pp->pp_listed)
			continue;
		places[n].pl_i = i;
		if (rpmmd_elems_where(el, pp->pp_id, &places[n].pl_doc,
		    &places[n].pl_off)) {
			n++;
			continue;
		}
		if ((has = rpmmd_elems_has(el, pp->pp_id, cause)) < 0)
			goto out;
		if (has) {
			places[n].pl_doc = LLONG_MAX;
			places[n].pl_off = 0;
			n++;
		}
	}
	qsort(places, n, sizeof *places, pr_place_cmp);
	count = n;
	name = pr_root_name(root);
	root_named = rpmmd_root_with_count(root, count);
	if (pr_sink_add(pk, pr_xml_decl, strlen(pr_xml_decl), cause) != 0 ||
	    pr_sink_add(pk, root_named, strlen(root_named), cause) != 0 ||
	    pr_sink_add(pk, "\n", 1, cause) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		pp = &pv->pv_pkgs[places[i].pl_i];
		if ((raw = rpmmd_elems_get(el, pp->pp_id, &len, cause)) == NULL) {
			if (*cause != NULL)
				goto out;
			continue;
		}
		if (pp->pp_location_base != NULL &&
		    strcmp(type, "primary") == 0) {
			buf_reset(&strip);
			if (pr_strip_base(raw, len, &strip) == 0) {
				raw = strip.b_data;
				len = strip.b_len;
			}
		}
		if (pr_sink_add(pk, raw, len, cause) != 0 ||
		    pr_sink_add(pk, "\n", 1, cause) != 0)
			goto out;
		written++;
	}
	if (written != count) {
		cause_set(cause, "%s: %lu elements where %lu were counted",
		    type, written, count);
		goto out;
	}
	buf_reset(&strip);
	if ((tail = pr_root_tail(pv, type, cause)) == NULL)
		goto out;
	buf_addf(&strip, "</%s>%s", name, tail);
	if (pr_sink_add(pk, strip.b_data, strip.b_len, cause) != 0)
		goto out;
	rc = 0;
out:
	free(places);
	rpmmd_elems_close(el);
	buf_free(&strip);
	free(root_named);
	free(name);
	return rc;
}

/*
 * A package document's text follows from the versions it lists and the
 * mirror's spooled documents, which only a sync changes, and every sync
 * that records anything spools a new primary: groups that list the same
 * versions get the same text, whose checksum is remembered here (for the
 * life of the process) rather than made again.
 */
#define PR_MEMOS	8

struct pr_memo {
	char	pm_key[HASH_HEX_MAX];
	char	pm_phex[HASH_HEX_MAX];
	size_t	pm_plen;
};

static struct pr_memo	pr_memos[PR_MEMOS];
static size_t		pr_nmemos;

/* The key of a package document of the view; -1 when it cannot be had. */
static int
pr_memo_key(struct pub_view *pv, const char *type, char *key, char **cause)
{
	struct store	*st = pv->pv_ix->ix_store;
	sqlite3_stmt	*stmt;
	struct hash	*h;
	long long	 v[2];
	size_t		 i;

	stmt = store_query(st, cause, "SELECT max(id), count(*) FROM "
	    "rpmmd_docs WHERE mirror = ?1", "I", pv->pv_mirror_id);
	if (stmt == NULL || store_step(st, stmt, cause) != 1)
		return -1;
	if (sqlite3_column_type(stmt, 0) == SQLITE_NULL) {
		store_done(stmt);
		return -1;
	}
	v[0] = sqlite3_column_int64(stmt, 0);
	store_done(stmt);
	h = hash_new("sha256");
	hash_update(h, type, strlen(type) + 1);
	v[1] = pv->pv_mirror_id;
	hash_update(h, v, sizeof v);
	for (i = 0; i < pv->pv_npkgs; i++) {
		if (!pv->pv_pkgs[i].pp_listed)
			continue;
		v[0] = pv->pv_pkgs[i].pp_id;
		v[1] = pv->pv_pkgs[i].pp_location_base != NULL;
		hash_update(h, v, sizeof v);
	}
	hash_final(h, key);	/* frees the hash */
	return 0;
}

static struct pr_memo *
pr_memo_find(const char *key)
{
	size_t	i;

	for (i = 0; i < pr_nmemos; i++) {
		if (strcmp(pr_memos[i].pm_key, key) == 0)
			return &pr_memos[i];
	}
	return NULL;
}

static void
pr_memo_add(const char *key, const char *phex, size_t plen)
{
	struct pr_memo	*pm;

	if (pr_nmemos < PR_MEMOS)
		pm = &pr_memos[pr_nmemos++];
	else {
		memmove(&pr_memos[0], &pr_memos[1],
		    (PR_MEMOS - 1) * sizeof pr_memos[0]);
		pm = &pr_memos[PR_MEMOS - 1];
	}
	snprintf(pm->pm_key, sizeof pm->pm_key, "%s", key);
	snprintf(pm->pm_phex, sizeof pm->pm_phex, "%s", phex);
	pm->pm_plen = plen;
}

/* Whether the gzip form of the plain text phex is cached already. */
static int
pr_gz_cached(struct pub_view *pv, const char *phex)
{
	char	*path;
	int	 rc;

	xasprintf(&path, "%s/cache/gz/%s.sum", pv->pv_ix->ix_cf->cf_store,
	    phex);
	rc = access(path, F_OK) == 0;
	free(path);
	return rc;
}

/*
 * A package document of the view.  It is made twice at most, never held
 * in memory: first into a hash, which says whether the view needs to
 * write it at all (upstream's own file, or a view's of the same text is
 * compressed already: views of a first sync, groups that see the same);
 * only then into the cache, from where it is compressed on both cores.
 */
static int
pr_packages(struct pub_view *pv, struct buf *rm, const char *type,
    char **cause)
{
	struct pr_sink	 pk;
	struct pr_memo	*pm = NULL;
	char		*root, phex[HASH_HEX_MAX], ghex[HASH_HEX_MAX];
	char		 key[HASH_HEX_MAX] = "";
	char		*plain = NULL, *gz = NULL, *loc = NULL, *path;
	size_t		 plen, glen;
	int		 rc = -1;

	if ((root = pr_root_start(pv, type, cause)) == NULL)
		return *cause != NULL ? -1 : 0;	/* not published upstream */
	/* -1 without a cause: no key, the document is made to learn it. */
	if (pr_memo_key(pv, type, key, cause) == 0)
		pm = pr_memo_find(key);
	else if (*cause != NULL)
		goto out;
	if (pm != NULL) {
		snprintf(phex, sizeof phex, "%s", pm->pm_phex);
		plen = pm->pm_plen;
	} else {
		memset(&pk, 0, sizeof pk);
		pk.pk_hash = hash_new("sha256");
		if (pr_packages_make(pv, type, root, &pk, cause) != 0) {
			hash_free(pk.pk_hash);
			goto out;
		}
		hash_final(pk.pk_hash, phex);	/* frees the hash */
		plen = pk.pk_len;
		if (*key != '\0')
			pr_memo_add(key, phex, plen);
	}

	xasprintf(&gz, "repodata/.%s.xml.gz", type);
	if (pr_upstream_same(pv, type, phex, plen, &loc, ghex, &glen,
	    cause) == 0)
		goto listed;
	if (*cause != NULL)
		goto out;
	if (!pr_gz_cached(pv, phex)) {
		/* The plain text is not served: in the tree for a moment. */
		memset(&pk, 0, sizeof pk);
		if ((pk.pk_stream = publish_stream_new(pv, type, cause)) == NULL)
			goto out;
		if (pr_packages_make(pv, type, root, &pk, cause) != 0) {
			publish_stream_abort(pk.pk_stream);
			goto out;
		}
		xasprintf(&plain, "repodata/.%s.xml", type);
		if (publish_stream_close(pk.pk_stream, plain, ghex, &plen,
		    NULL, NULL, NULL, cause) != 0)
			goto out;
		xasprintf(&path, "%s/%s", pv->pv_tree, plain);
		unlink(path);
		free(path);
		if (strcmp(ghex, phex) != 0) {
			cause_set(cause, "%s: the document changed while it was "
			    "written", type);
			goto out;
		}
	}
	if (publish_stream_gzip(pv, phex, gz, ghex, &glen, cause) != 0)
		goto out;
	xasprintf(&loc, "repodata/%s-%s.xml.gz", ghex, type);
	if (publish_link(pv, gz, loc, cause) != 0)
		goto out;
	xasprintf(&path, "%s/%s", pv->pv_tree, gz);
	unlink(path);
	free(path);
listed:
	pr_repomd_data(rm, type, "sha256", ghex, "sha256", phex, loc,
	    pv->pv_ix->ix_now, glen, plen);
	buf_addf(&pv->pv_digest, "%s %s\n", type, phex);
	rc = 0;
out:
	free(loc);
	free(gz);
	free(plain);
	free(root);
	return rc;
}

static int
nevra_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
nevra_key(const char *n, const char *e, const char *v, const char *r,
    const char *a)
{
	char	*k;

	xasprintf(&k, "%s\t%s\t%s\t%s\t%s", n, e && *e ? e : "0", v, r, a);
	return k;
}

/* The sorted keys of the versions the view lists; caller-freed. */
static char **
pr_listed_keys(struct pub_view *pv, size_t *nkeys)
{
	char	**keys;
	size_t	  i;

	*nkeys = 0;
	keys = xcalloc(pv->pv_npkgs + 1, sizeof *keys);
	for (i = 0; i < pv->pv_npkgs; i++) {
		struct pub_pkg	*pp = &pv->pv_pkgs[i];

		if (pp->pp_listed)
			keys[(*nkeys)++] = nevra_key(pp->pp_name, pp->pp_epoch,
			    pp->pp_version, pp->pp_release, pp->pp_arch);
	}
	qsort(keys, *nkeys, sizeof *keys, nevra_cmp);
	return keys;
}

/*
 * Whether the view lists the version an advisory's <package> names.  An
 * empty arch names every architecture, as it does when the planner
 * attaches advisories to versions: an advisory that counts for a version's
 * visibility stays in the view with it.
 */
static int
pr_listed(char **keys, size_t nkeys, const char *key)
{
	size_t	 lo = 0, hi = nkeys, mid, len;

	if (key[strlen(key) - 1] != '\t')
		return bsearch(&key, keys, nkeys, sizeof *keys,
		    nevra_cmp) != NULL;
	/* "n\te\tv\tr\t": the first key with that prefix. */
	len = strlen(key);
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(keys[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nkeys && strncmp(keys[lo], key, len) == 0;
}

static void
pr_keys_free(char **keys, size_t nkeys)
{
	size_t	i;

	for (i = 0; i < nkeys; i++)
		free(keys[i]);
	free(keys);
}

/*
 * updateinfo: every advisory upstream lists, with the <package> elements
 * of versions this view does not list cut out; advisories left with none
 * are dropped.
 */
static int
pr_updateinfo(struct pub_view *pv, struct buf *rm, char **cause)
{
	struct store	*st = pv->pv_ix->ix_store;
	sqlite3_stmt	*stmt, *pstmt;
	struct buf	 doc;
	char		*root, *name, **keys, *key;
	const char	*raw;
	size_t		 nkeys = 0, rawlen, at, off, len;
	int		 rc = -1, kept, step, pstep;

	if ((root = pr_root_start(pv, "updateinfo", cause)) == NULL)
		return *cause != NULL ? -1 : 0;
	keys = pr_listed_keys(pv, &nkeys);

	buf_init(&doc);
	buf_adds(&doc, pr_xml_decl);
	buf_adds(&doc, root);
	buf_adds(&doc, "\n");
	stmt = store_query(st, cause, "SELECT id, raw FROM advisories WHERE "
	    "mirror = ?1 AND upstream = 1 ORDER BY position", "I",
	    pv->pv_mirror_id);
	if (stmt == NULL)
		goto out;
	while ((step = store_step(st, stmt, cause)) == 1) {
		struct buf	adv;

		raw = sqlite3_column_blob(stmt, 1);
		rawlen = sqlite3_column_bytes(stmt, 1);
		/*
		 * A second cached statement (other text, so its own) steps
		 * while this one's row, and raw, stay current.
		 */
		pstmt = store_query(st, cause, "SELECT name, epoch, version, "
		    "release, arch, raw_off, raw_len FROM advisory_packages "
		    "WHERE advisory = ?1 ORDER BY raw_off", "I",
		    sqlite3_column_int64(stmt, 0));
		if (pstmt == NULL) {
			store_done(stmt);
			goto out;
		}
		buf_init(&adv);
		at = 0;
		kept = 0;
		while ((pstep = store_step(st, pstmt, cause)) == 1) {
			key = nevra_key(
			    (const char *)sqlite3_column_text(pstmt, 0),
			    (const char *)sqlite3_column_text(pstmt, 1),
			    (const char *)sqlite3_column_text(pstmt, 2),
			    (const char *)sqlite3_column_text(pstmt, 3),
			    (const char *)sqlite3_column_text(pstmt, 4));
			off = sqlite3_column_int64(pstmt, 5);
			len = sqlite3_column_int64(pstmt, 6);
			if (pr_listed(keys, nkeys, key))
				kept++;
			else if (off >= at && off + len <= rawlen) {
				/* Cut the element and the blanks before it. */
				size_t	cut = off;

				while (cut > at && (raw[cut - 1] == ' ' ||
				    raw[cut - 1] == '\t' || raw[cut - 1] == '\n' ||
				    raw[cut - 1] == '\r'))
					cut--;
				buf_add(&adv, raw + at, cut - at);
				at = off + len;
			}
			free(key);
		}
		if (pstep == -1) {
			buf_free(&adv);
			store_done(stmt);
			goto out;
		}
		if (kept > 0) {
			buf_add(&adv, raw + at, rawlen - at);
			buf_add(&doc, adv.b_data, adv.b_len);
			buf_add(&doc, "\n", 1);
		}
		buf_free(&adv);
	}
	if (step == -1)
		goto out;
	name = pr_root_name(root);
	buf_addf(&doc, "</%s>\n", name);
	free(name);
	rc = pr_emit(pv, rm, "updateinfo", &doc, cause);
out:
	pr_keys_free(keys, nkeys);
	buf_free(&doc);
	free(root);
	return rc;
}

/*
 * deltainfo (SUSE) or prestodelta (Fedora): upstream's <newpackage>
 * elements whose target version the view lists, byte for byte.  A view
 * left with none still carries the (empty, valid) document, as upstream
 * does when it has no deltas.
 */
static int
pr_deltas(struct pub_view *pv, struct buf *rm, const char *type,
    char **cause)
{
	struct store	*st = pv->pv_ix->ix_store;
	sqlite3_stmt	*stmt;
	struct buf	 doc;
	char		*root, *name, **keys, *key;
	size_t		 nkeys = 0;
	int		 rc = -1, step;

	if ((root = pr_root_start(pv, type, cause)) == NULL)
		return *cause != NULL ? -1 : 0;
	keys = pr_listed_keys(pv, &nkeys);
	buf_init(&doc);
	buf_adds(&doc, pr_xml_decl);
	buf_adds(&doc, root);
	buf_adds(&doc, "\n");
	stmt = store_query(st, cause, "SELECT name, epoch, version, release, "
	    "arch, raw FROM deltas WHERE mirror = ?1 ORDER BY position", "I",
	    pv->pv_mirror_id);
	if (stmt == NULL)
		goto out;
	while ((step = store_step(st, stmt, cause)) == 1) {
		key = nevra_key((const char *)sqlite3_column_text(stmt, 0),
		    (const char *)sqlite3_column_text(stmt, 1),
		    (const char *)sqlite3_column_text(stmt, 2),
		    (const char *)sqlite3_column_text(stmt, 3),
		    (const char *)sqlite3_column_text(stmt, 4));
		if (bsearch(&key, keys, nkeys, sizeof *keys, nevra_cmp) != NULL) {
			buf_add(&doc, sqlite3_column_blob(stmt, 5),
			    sqlite3_column_bytes(stmt, 5));
			buf_add(&doc, "\n", 1);
		}
		free(key);
	}
	if (step == -1)
		goto out;
	name = pr_root_name(root);
	buf_addf(&doc, "</%s>\n", name);
	free(name);
	rc = pr_emit(pv, rm, type, &doc, cause);
out:
	pr_keys_free(keys, nkeys);
	buf_free(&doc);
	free(root);
	return rc;
}

/* SUSE's susedata and its translations (sync_rpmmd.c says why). */
static int
pr_is_susedata(const char *type)
{
	return strcmp(type, "susedata") == 0 ||
	    strncmp(type, "susedata.", 9) == 0 ||
	    strncmp(type, "susedata_", 9) == 0;
}

/* susedata, susedata.LANG: the listed versions' elements, as filelists. */
static int
pr_susedata(struct pub_view *pv, struct buf *rm, char **cause)
{
	struct store	*st = pv->pv_ix->ix_store;
	sqlite3_stmt	*stmt;
	char		**types = NULL;
	const char	*name;
	size_t		 n = 0, i;
	int		 step, rc = 0;

	stmt = store_query(st, cause, "SELECT name FROM mirror_files WHERE "
	    "mirror = ?1 AND kind = 'root' ORDER BY name", "I",
	    pv->pv_mirror_id);
	if (stmt == NULL)
		return -1;
	while ((step = store_step(st, stmt, cause)) == 1) {
		name = (const char *)sqlite3_column_text(stmt, 0);
		if (name == NULL || !pr_is_susedata(name))
			continue;
		types = xreallocarray(types, n + 1, sizeof *types);
		types[n++] = xstrdup(name);
	}
	if (step == -1)
		rc = -1;
	for (i = 0; i < n; i++) {
		if (rc == 0)
			rc = pr_packages(pv, rm, types[i], cause);
		free(types[i]);
	}
	free(types);
	return rc;
}

/* Files views do not filter (comps, modules, ...): the same bytes. */
static int
pr_passthrough(struct pub_view *pv, struct buf *rm, char **cause)
{
	struct store	*st = pv->pv_ix->ix_store;
	sqlite3_stmt	*stmt;
	const char	*type, *loc, *ctype, *csum, *ocs;
	char		*blob, *dst, *data, *octype = NULL;
	size_t		 len;
	int		 step, rc;

	stmt = store_query(st, cause, "SELECT name, value, checksum_type, "
	    "checksum, size, open_checksum, open_size, timestamp FROM "
	    "mirror_files WHERE mirror = ?1 AND kind = 'pass' ORDER BY name",
	    "I", pv->pv_mirror_id);
	if (stmt == NULL)
		return -1;
	while ((step = store_step(st, stmt, cause)) == 1) {
		type = (const char *)sqlite3_column_text(stmt, 0);
		/* A store synced before susedata was filtered: leave it out. */
		if (type == NULL || pr_is_susedata(type))
			continue;
		loc = (const char *)sqlite3_column_text(stmt, 1);
		ctype = (const char *)sqlite3_column_text(stmt, 2);
		csum = (const char *)sqlite3_column_text(stmt, 3);
		ocs = (const char *)sqlite3_column_text(stmt, 5);
		blob = blob_path(pv->pv_ix->ix_blobs, ctype, csum);
		if (blob == NULL) {
			cause_set(cause, "%s: not in the blob store", loc);
			store_done(stmt);
			return -1;
		}
		xasprintf(&dst, "%s/%s", pv->pv_tree, loc);
		rc = link(blob, dst);
		if (rc == -1 && errno == ENOENT) {
			/* The folder does not exist yet: write it as a copy. */
			rc = file_read(blob, (size_t)1 << 31, &data, &len, cause);
			if (rc == 0) {
				rc = publish_write_file(pv, loc, data, len, cause);
				free(data);
			}
		} else if (rc == -1)
			cause_set(cause, "%s: %s", dst, strerror(errno));
		free(dst);
		free(blob);
		if (rc != 0) {
			store_done(stmt);
			return -1;
		}
		if (ocs != NULL) {
			octype = xstrndup(ocs, strcspn(ocs, ":"));
			ocs = strchr(ocs, ':') ? strchr(ocs, ':') + 1 : NULL;
		}
		pr_repomd_data(rm, type, ctype, csum, octype, ocs, loc,
		    sqlite3_column_type(stmt, 7) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(stmt, 7),
		    sqlite3_column_int64(stmt, 4),
		    sqlite3_column_type(stmt, 6) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(stmt, 6));
		buf_addf(&pv->pv_digest, "%s %s\n", type, csum);
		free(octype);
		octype = NULL;
	}
	return step == -1 ? -1 : 0;
}

int
publish_rpmmd(struct pub_view *pv, char **cause)
{
	struct buf	 rm;
	struct signer	*sg;
	char		*sig = NULL;
	const char	*key;
	size_t		 siglen, keylen;
	int		 rc = -1;

	*cause = NULL;
	buf_init(&rm);
	buf_adds(&rm, pr_xml_decl);
	buf_adds(&rm, "<repomd xmlns=\"http://linux.duke.edu/metadata/repo\" "
	    "xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\">\n");
	buf_addf(&rm, "  <revision>%lld</revision>\n",
	    (long long)pv->pv_ix->ix_now);
	if (pr_packages(pv, &rm, "primary", cause) != 0 ||
	    pr_packages(pv, &rm, "filelists", cause) != 0 ||
	    pr_packages(pv, &rm, "other", cause) != 0 ||
	    pr_updateinfo(pv, &rm, cause) != 0 ||
	    pr_deltas(pv, &rm, "deltainfo", cause) != 0 ||
	    pr_deltas(pv, &rm, "prestodelta", cause) != 0 ||
	    pr_susedata(pv, &rm, cause) != 0 ||
	    pr_passthrough(pv, &rm, cause) != 0)
		goto out;
	buf_adds(&rm, "</repomd>\n");

	if (publish_write_file(pv, "repodata/repomd.xml", rm.b_data, rm.b_len,
	    cause) != 0)
		goto out;
	if ((sg = indexer_signer(pv->pv_ix, cause)) == NULL)
		goto out;
	phase_enter(PHASE_SIGN);
	if (signer_detach_sign(sg, rm.b_data, rm.b_len, &sig, &siglen,
	    cause) != 0)
		goto out;
	phase_enter(PHASE_WRITE);
	if (publish_write_file(pv, "repodata/repomd.xml.asc", sig, siglen,
	    cause) != 0)
		goto out;
	key = signer_public_key(sg, &keylen);
	if (publish_write_file(pv, "repodata/repomd.xml.key", key, keylen,
	    cause) != 0)
		goto out;
	rc = 0;
out:
	free(sig);
	buf_free(&rm);
	return rc;
}
