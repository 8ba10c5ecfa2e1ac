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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blob.h"
#include "compress.h"
#include "hash.h"
#include "indexer.h"
#include "log.h"
#include "phase.h"
#include "rpmmd.h"
#include "sign.h"
#include "store.h"
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

	stmt = store_stmt(st, "SELECT value FROM mirror_files WHERE mirror = ?1 "
	    "AND kind = 'root' AND name = ?2");
	if (stmt == NULL) {
		store_error(st, "mirror_files", cause);
		return NULL;
	}
	sqlite3_bind_int64(stmt, 1, pv->pv_mirror_id);
	sqlite3_bind_text(stmt, 2, type, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_ROW ||
	    sqlite3_column_type(stmt, 0) == SQLITE_NULL)
		return NULL;
	return xstrndup(sqlite3_column_blob(stmt, 0),
	    sqlite3_column_bytes(stmt, 0));
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

/* primary, filelists or other: the listed versions' elements, in order. */
static int
pr_packages(struct pub_view *pv, struct buf *rm, const char *type,
    char **cause)
{
	struct store	*st = pv->pv_ix->ix_store;
	sqlite3_stmt	*stmt;
	struct buf	 doc, body;
	char		*root, *root_named, *name;
	unsigned long	 count = 0;
	size_t		 i;
	int		 rc;

	if ((root = pr_root_start(pv, type, cause)) == NULL)
		return *cause != NULL ? -1 : 0;	/* not published upstream */
	buf_init(&body);
	for (i = 0; i < pv->pv_npkgs; i++) {
		if (!pv->pv_pkgs[i].pp_listed)
			continue;
		stmt = store_stmt(st, "SELECT raw FROM package_xml WHERE "
		    "package = ?1 AND kind = ?2");
		if (stmt == NULL) {
			store_error(st, "package_xml", cause);
			goto fail;
		}
		sqlite3_bind_int64(stmt, 1, pv->pv_pkgs[i].pp_id);
		sqlite3_bind_text(stmt, 2, type, -1, SQLITE_STATIC);
		switch (sqlite3_step(stmt)) {
		case SQLITE_ROW:
			if (pv->pv_pkgs[i].pp_location_base == NULL ||
			    strcmp(type, "primary") != 0 ||
			    pr_strip_base(sqlite3_column_blob(stmt, 0),
			    sqlite3_column_bytes(stmt, 0), &body) != 0)
				buf_add(&body, sqlite3_column_blob(stmt, 0),
				    sqlite3_column_bytes(stmt, 0));
			buf_add(&body, "\n", 1);
			count++;
			break;
		case SQLITE_DONE:
			break;
		default:
			store_error(st, "package_xml", cause);
			goto fail;
		}
	}
	name = pr_root_name(root);
	root_named = rpmmd_root_with_count(root, count);
	buf_init(&doc);
	buf_adds(&doc, pr_xml_decl);
	buf_adds(&doc, root_named);
	buf_adds(&doc, "\n");
	buf_add(&doc, body.b_data ? body.b_data : "", body.b_len);
	buf_addf(&doc, "</%s>\n", name);
	rc = pr_emit(pv, rm, type, &doc, cause);
	buf_free(&doc);
	free(root_named);
	free(name);
	free(root);
	buf_free(&body);
	return rc;
fail:
	free(root);
	buf_free(&body);
	return -1;
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
	int		 rc = -1, kept, step;

	if ((root = pr_root_start(pv, "updateinfo", cause)) == NULL)
		return *cause != NULL ? -1 : 0;
	keys = pr_listed_keys(pv, &nkeys);

	buf_init(&doc);
	buf_adds(&doc, pr_xml_decl);
	buf_adds(&doc, root);
	buf_adds(&doc, "\n");
	stmt = store_stmt(st, "SELECT id, raw FROM advisories WHERE mirror = ?1 "
	    "AND upstream = 1 ORDER BY position");
	if (stmt == NULL) {
		store_error(st, "advisories", cause);
		goto out;
	}
	sqlite3_bind_int64(stmt, 1, pv->pv_mirror_id);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct buf	adv;

		raw = sqlite3_column_blob(stmt, 1);
		rawlen = sqlite3_column_bytes(stmt, 1);
		/* A second statement: prepared separately, not from the cache. */
		if (sqlite3_prepare_v2(store_db(st), "SELECT name, epoch, "
		    "version, release, arch, raw_off, raw_len FROM "
		    "advisory_packages WHERE advisory = ?1 ORDER BY raw_off",
		    -1, &pstmt, NULL) != SQLITE_OK) {
			store_error(st, "advisory_packages", cause);
			goto out;
		}
		sqlite3_bind_int64(pstmt, 1, sqlite3_column_int64(stmt, 0));
		buf_init(&adv);
		at = 0;
		kept = 0;
		while (sqlite3_step(pstmt) == SQLITE_ROW) {
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
		sqlite3_finalize(pstmt);
		if (kept > 0) {
			buf_add(&adv, raw + at, rawlen - at);
			buf_add(&doc, adv.b_data, adv.b_len);
			buf_add(&doc, "\n", 1);
		}
		buf_free(&adv);
	}
	if (step != SQLITE_DONE) {
		store_error(st, "advisories", cause);
		goto out;
	}
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
	stmt = store_stmt(st, "SELECT name, epoch, version, release, arch, raw "
	    "FROM deltas WHERE mirror = ?1 ORDER BY position");
	if (stmt == NULL) {
		store_error(st, "deltas", cause);
		goto out;
	}
	sqlite3_bind_int64(stmt, 1, pv->pv_mirror_id);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
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
	if (step != SQLITE_DONE) {
		store_error(st, "deltas", cause);
		goto out;
	}
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

	stmt = store_stmt(st, "SELECT name FROM mirror_files WHERE mirror = ?1 "
	    "AND kind = 'root' ORDER BY name");
	if (stmt == NULL) {
		store_error(st, "mirror_files", cause);
		return -1;
	}
	sqlite3_bind_int64(stmt, 1, pv->pv_mirror_id);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(stmt, 0);
		if (name == NULL || !pr_is_susedata(name))
			continue;
		types = xreallocarray(types, n + 1, sizeof *types);
		types[n++] = xstrdup(name);
	}
	if (step != SQLITE_DONE) {
		store_error(st, "mirror_files", cause);
		rc = -1;
	}
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

	stmt = store_stmt(st, "SELECT name, value, checksum_type, checksum, "
	    "size, open_checksum, open_size, timestamp FROM mirror_files WHERE "
	    "mirror = ?1 AND kind = 'pass' ORDER BY name");
	if (stmt == NULL) {
		store_error(st, "mirror_files", cause);
		return -1;
	}
	sqlite3_bind_int64(stmt, 1, pv->pv_mirror_id);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
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
		if (rc != 0)
			return -1;
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
	if (step != SQLITE_DONE) {
		store_error(st, "mirror_files", cause);
		return -1;
	}
	return 0;
}

int
publish_rpmmd(struct pub_view *pv, char **cause)
{
	struct buf	 rm;
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
	phase_enter(PHASE_SIGN);
	if (signer_detach_sign(pv->pv_ix->ix_signer, rm.b_data, rm.b_len, &sig,
	    &siglen, cause) != 0)
		goto out;
	phase_enter(PHASE_WRITE);
	if (publish_write_file(pv, "repodata/repomd.xml.asc", sig, siglen,
	    cause) != 0)
		goto out;
	key = signer_public_key(pv->pv_ix->ix_signer, &keylen);
	if (publish_write_file(pv, "repodata/repomd.xml.key", key, keylen,
	    cause) != 0)
		goto out;
	rc = 0;
out:
	free(sig);
	buf_free(&rm);
	return rc;
}
