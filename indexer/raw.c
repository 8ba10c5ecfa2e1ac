/*
 * The unfiltered mirror, served at /_mirror/MIRROR/ to admins: after each
 * sync, a generation of its own in the layout of a view (view.h), under
 * STORE/mirrors/MIRROR/gen-N with a "current" link, so that patchgated
 * serves it as it serves a view without reading the store:
 *   tree/         upstream's metadata as the sync verified it, byte for
 *                 byte: linked from the blob store (rpm-md's repomd.xml,
 *                 kept there by raw_keep, and every file it lists; apt's
 *                 indexes and translations) or written from the store
 *                 (apt's Release, the text its signature covers);
 *   packages.idx  every package file upstream lists, visible, fetched
 *                 from upstream on demand as a view's are.
 * A sync that changes nothing leaves the current generation in place,
 * and costs two queries: the generation records a digest of what it was
 * made from (RAW_INPUTS_NAME), and an equal digest builds nothing.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "blob.h"
#include "hash.h"
#include "indexer.h"
#include "log.h"
#include "store.h"
#include "store_query.h"
#include "util.h"
#include "view.h"
#include "xmalloc.h"

/* Generations kept: the current one and those a client may still read. */
#define RAW_KEEP	3
/* A generation's digest of the rows it was made from. */
#define RAW_INPUTS_NAME	"inputs"

int
raw_keep(struct indexer *ix, const char *what, const char *hex,
    const void *data, size_t len, char **cause)
{
	struct blob_writer	*bw;
	char			*why = NULL;

	if (blob_exists(ix->ix_blobs, "sha256", hex))
		return 0;
	if ((bw = blob_writer_new(ix->ix_blobs, "sha256", hex, len,
	    &why)) == NULL)
		goto fail;
	if (blob_writer_write(bw, data, len, &why) != 0) {
		blob_writer_abort(bw);
		goto fail;
	}
	if (blob_writer_commit(bw, &why) != 0)
		goto fail;
	return 0;
fail:
	cause_set(cause, "%s: %s", what, why != NULL ? why : "cannot keep it");
	free(why);
	return -1;
}

/* Whether rel is a path to put under tree/: relative, no "..", no oddity. */
static int
raw_path_ok(const char *rel)
{
	return *rel != '\0' && *rel != '/' && strstr(rel, "..") == NULL &&
	    strpbrk(rel, "\\\t\r\n") == NULL;
}

/* Puts the blob algo:hex at tree/rel: a hard link, or a copy. */
static int
raw_link(struct indexer *ix, const char *tree, const char *rel,
    const char *algo, const char *hex, char **cause)
{
	char	*src, *dst, *dir, *data = NULL, *why = NULL;
	size_t	 len;
	int	 rc = -1;

	if (!raw_path_ok(rel)) {
		cause_set(cause, "%s: not a path to serve", rel);
		return -1;
	}
	if ((src = blob_path(ix->ix_blobs, algo, hex)) == NULL) {
		cause_set(cause, "%s: %s:%s is not in the blob store", rel, algo,
		    hex);
		return -1;
	}
	xasprintf(&dst, "%s/%s", tree, rel);
	dir = xstrdup(dst);
	*strrchr(dir, '/') = '\0';
	if (mkdir_p(dir, 0755) == -1)
		cause_set(cause, "%s: %s", dir, strerror(errno));
	else if (link(src, dst) == 0)
		rc = 0;
	else if (errno != EXDEV && errno != EPERM)
		cause_set(cause, "%s: %s", dst, strerror(errno));
	else if (file_read(src, (size_t)1 << 32, &data, &len, &why) != 0 ||
	    file_write_atomic(dst, data, len, &why) != 0) {
		cause_set(cause, "%s", why);
		free(why);
	} else
		rc = 0;
	free(data);
	free(dir);
	free(dst);
	free(src);
	return rc;
}

/* Writes data to tree/rel. */
static int
raw_write(const char *tree, const char *rel, const void *data, size_t len,
    char **cause)
{
	char	*dst, *dir;
	int	 rc = -1;

	if (!raw_path_ok(rel)) {
		cause_set(cause, "%s: not a path to serve", rel);
		return -1;
	}
	xasprintf(&dst, "%s/%s", tree, rel);
	dir = xstrdup(dst);
	*strrchr(dir, '/') = '\0';
	if (mkdir_p(dir, 0755) == -1)
		cause_set(cause, "%s: %s", dir, strerror(errno));
	else
		rc = file_write_atomic(dst, data, len, cause);
	free(dir);
	free(dst);
	return rc;
}

/* The metadata files of the mirror's last sync, into tree. */
static int
raw_tree(struct indexer *ix, struct mirror *mi, long long id,
    const char *tree, char **cause)
{
	sqlite3_stmt	*stmt;
	const char	*kind, *name, *value, *algo, *hex, *slash;
	char		*rel;
	int		 rc = 0, step, len;

	stmt = store_query(ix->ix_store, cause, "SELECT kind, name, value, "
	    "checksum_type, checksum FROM mirror_files WHERE mirror = ?1 "
	    "ORDER BY kind, name", "I", id);
	if (stmt == NULL)
		return -1;
	while (rc == 0 &&
	    (step = store_step(ix->ix_store, stmt, cause)) == 1) {
		kind = (const char *)sqlite3_column_text(stmt, 0);
		name = (const char *)sqlite3_column_text(stmt, 1);
		value = (const char *)sqlite3_column_text(stmt, 2);
		len = sqlite3_column_bytes(stmt, 2);
		algo = (const char *)sqlite3_column_text(stmt, 3);
		hex = (const char *)sqlite3_column_text(stmt, 4);
		if (kind == NULL || name == NULL)
			continue;
		rel = NULL;
		if (mi->mi_type == MIRROR_RPMMD) {
			/* repomd.xml by its sha256; data and pass by location. */
			if (strcmp(kind, "repomd") == 0 && hex != NULL)
				rel = xstrdup("repodata/repomd.xml");
			else if ((strcmp(kind, "data") == 0 ||
			    strcmp(kind, "pass") == 0) && value != NULL &&
			    algo != NULL && hex != NULL)
				rel = xstrdup(value);
			if (rel != NULL)
				rc = raw_link(ix, tree, rel, strcmp(kind,
				    "repomd") == 0 ? "sha256" : algo, hex, cause);
		} else if (strcmp(kind, "release") == 0 && value != NULL) {
			xasprintf(&rel, "dists/%s/Release", name);
			rc = raw_write(tree, rel, value, len, cause);
		} else if (strcmp(kind, "list") == 0 && value != NULL &&
		    hex != NULL) {
			rel = xstrdup(value);
			rc = raw_link(ix, tree, rel, "sha256", hex, cause);
		} else if (strcmp(kind, "pass") == 0 && value != NULL &&
		    hex != NULL && (slash = strchr(name, '/')) != NULL) {
			/* name: SUITE/COMPONENT/i18n/...; value: after SUITE/. */
			xasprintf(&rel, "dists/%.*s/%s", (int)(slash - name), name,
			    value);
			rc = raw_link(ix, tree, rel, "sha256", hex, cause);
		}
		free(rel);
	}
	/* A file that failed leaves rows unread. */
	store_done(stmt);
	if (rc == 0 && step == -1)
		rc = -1;
	return rc;
}

/* A line of packages.idx (raw_index): its strings are offsets in a text. */
struct raw_ent {
	long long	 re_id;
	long long	 re_size;
	size_t		 re_loc;
	size_t		 re_base;	/* RAW_NONE: the mirror's url */
	size_t		 re_algo;
	size_t		 re_hex;
};

#define RAW_NONE	((size_t)-1)
/* Lines are written in pieces of this many bytes. */
#define RAW_CHUNK	(64 * 1024)

static size_t
raw_text(struct buf *b, const char *s)
{
	size_t	off = b->b_len;

	buf_add(b, s, strlen(s) + 1);
	return off;
}

/* By location, then by id: the first version of a location has the line. */
static int
raw_ent_cmp(const void *x, const void *y, void *arg)
{
	const struct raw_ent	*a = x, *b = y;
	const char		*text = arg;
	int			 c;

	if ((c = strcmp(text + a->re_loc, text + b->re_loc)) != 0)
		return c;
	return (a->re_id > b->re_id) - (a->re_id < b->re_id);
}

/*
 * packages.idx: every package file upstream lists, visible.  The rows are
 * sorted here rather than by SQLite's sorter, which took this thread 0.2 s
 * for bookworm beside the publishing, and the lines are formatted without
 * printf and written in pieces.
 */
static int
raw_index(struct indexer *ix, struct mirror *mi, long long id,
    const char *gen, char **cause)
{
	sqlite3_stmt	*stmt;
	struct raw_ent	*ents = NULL, *e;
	struct buf	 text, out;
	FILE		*f = NULL;
	const char	*loc, *base, *algo, *hex, *prev = NULL;
	char		*url, *path, *tmp, *prefix, num[32];
	size_t		 n = 0, size = 0, i;
	int		 rc = -1, step;

	xasprintf(&path, "%s/%s", gen, VIEW_INDEX_NAME);
	xasprintf(&tmp, "%s.tmp", path);
	prefix = mirror_url_prefix(mi);
	buf_init(&text);
	buf_init(&out);
	stmt = store_query(ix->ix_store, cause, "SELECT id, location, "
	    "location_base, size, checksum_type, pkgid FROM packages WHERE "
	    "mirror = ?1 AND upstream = 1", "I", id);
	step = stmt == NULL ? -1 : 0;
	while (stmt != NULL && (step = store_step(ix->ix_store, stmt,
	    cause)) == 1) {
		loc = (const char *)sqlite3_column_text(stmt, 1);
		base = (const char *)sqlite3_column_text(stmt, 2);
		algo = (const char *)sqlite3_column_text(stmt, 4);
		hex = (const char *)sqlite3_column_text(stmt, 5);
		if (loc == NULL || algo == NULL || hex == NULL ||
		    !raw_path_ok(loc))
			continue;
		if (n == size) {
			size = size ? size * 2 : 1024;
			ents = xreallocarray(ents, size, sizeof *ents);
		}
		e = &ents[n++];
		e->re_id = sqlite3_column_int64(stmt, 0);
		e->re_size = sqlite3_column_int64(stmt, 3);
		e->re_loc = raw_text(&text, loc);
		e->re_base = base != NULL ? raw_text(&text, base) : RAW_NONE;
		e->re_algo = raw_text(&text, algo);
		e->re_hex = raw_text(&text, hex);
	}
	if (step != 0)
		goto out;
	if (n > 0)
		qsort_r(ents, n, sizeof *ents, raw_ent_cmp, text.b_data);
	if ((f = fopen(tmp, "we")) == NULL) {
		cause_set(cause, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	for (i = 0; i <= n; i++) {
		if (out.b_len >= RAW_CHUNK || (i == n && out.b_len > 0)) {
			if (fwrite(out.b_data, 1, out.b_len, f) != out.b_len)
				break;
			buf_reset(&out);
		}
		if (i == n)
			break;
		e = &ents[i];
		loc = text.b_data + e->re_loc;
		if (prev != NULL && strcmp(prev, loc) == 0)
			continue;
		prev = loc;
		buf_add(&out, "V\t", 2);
		buf_adds(&out, loc);
		snprintf(num, sizeof num, "\t%lld\t", e->re_size);
		buf_adds(&out, num);
		buf_adds(&out, text.b_data + e->re_algo);
		buf_add(&out, "\t", 1);
		buf_adds(&out, text.b_data + e->re_hex);
		buf_add(&out, "\t", 1);
		if (e->re_base == RAW_NONE && mirror_url_plain(loc)) {
			buf_adds(&out, prefix);
			buf_adds(&out, loc);
		} else {
			url = mirror_url(mi, e->re_base == RAW_NONE ? NULL :
			    text.b_data + e->re_base, loc);
			buf_adds(&out, url);
			free(url);
		}
		buf_add(&out, "\n", 1);
	}
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) == -1) {
		cause_set(cause, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fclose(f) != 0) {
		f = NULL;
		cause_set(cause, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	f = NULL;
	if (rename(tmp, path) == -1) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		goto out;
	}
	dir_sync(gen);
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	if (rc != 0)
		unlink(tmp);
	buf_free(&text);
	buf_free(&out);
	free(ents);
	free(prefix);
	free(tmp);
	free(path);
	return rc;
}

/* Adds one query's rows to h, each column and row delimited. */
static int
raw_digest_rows(struct indexer *ix, struct hash *h, const char *sql,
    long long id, char **cause)
{
	sqlite3_stmt	*stmt;
	int		 step, i, n;

	if ((stmt = store_query(ix->ix_store, cause, sql, "I", id)) == NULL)
		return -1;
	while ((step = store_step(ix->ix_store, stmt, cause)) == 1) {
		n = sqlite3_column_count(stmt);
		for (i = 0; i < n; i++) {
			const void	*v = sqlite3_column_blob(stmt, i);
			int		 len = sqlite3_column_bytes(stmt, i);

			if (v != NULL)
				hash_update(h, v, len);
			hash_update(h, i + 1 < n ? "\t" : "\n", 1);
		}
	}
	return step;
}

/*
 * The sha256 (hex) of what the tree and packages.idx are made from: the
 * mirror's url (package URLs name it) and its metadata files' rows, whose
 * checksums stand for the package lists those files hold.
 */
static int
raw_digest(struct indexer *ix, struct mirror *mi, long long id, char *hex,
    char **cause)
{
	struct hash	*h;

	if ((h = hash_new("sha256")) == NULL) {
		cause_set(cause, "sha256: not available");
		return -1;
	}
	hash_update(h, mi->mi_url, strlen(mi->mi_url) + 1);
	if (raw_digest_rows(ix, h, "SELECT kind, name, value, checksum_type, "
	    "checksum FROM mirror_files WHERE mirror = ?1 ORDER BY kind, name",
	    id, cause) != 0) {
		hash_free(h);
		return -1;
	}
	hash_final(h, hex);
	return 0;
}

/* Whether generation gen was made from inputs whose digest is hex. */
static int
raw_inputs_same(const char *gen, const char *hex)
{
	char	*path, *data = NULL;
	size_t	 len;
	int	 same;

	xasprintf(&path, "%s/%s", gen, RAW_INPUTS_NAME);
	same = file_read(path, HASH_HEX_MAX, &data, &len, NULL) == 0 &&
	    len == strlen(hex) && memcmp(data, hex, len) == 0;
	free(data);
	free(path);
	return same;
}

static int
raw_inputs_write(const char *gen, const char *hex, char **cause)
{
	char	*path;
	int	 rc;

	xasprintf(&path, "%s/%s", gen, RAW_INPUTS_NAME);
	rc = file_write_atomic(path, hex, strlen(hex), cause);
	free(path);
	return rc;
}

/* Whether gen/name and cur/name hold the same bytes. */
static int
raw_same(const char *gen, const char *cur, const char *name)
{
	char	*a, *b, *da = NULL, *db = NULL, *why = NULL;
	size_t	 la, lb;
	int	 same;

	xasprintf(&a, "%s/%s", gen, name);
	xasprintf(&b, "%s/%s", cur, name);
	same = file_read(a, (size_t)1 << 30, &da, &la, &why) == 0 &&
	    file_read(b, (size_t)1 << 30, &db, &lb, &why) == 0 && la == lb &&
	    memcmp(da, db, la) == 0;
	free(why);
	free(da);
	free(db);
	free(a);
	free(b);
	return same;
}

/* Removes all but the newest RAW_KEEP generations of dir. */
static void
raw_prune(const char *dir, unsigned long newest)
{
	DIR		*d;
	struct dirent	*de;
	char		*path, *end;
	unsigned long	 n;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "gen-", 4) != 0)
			continue;
		n = strtoul(de->d_name + 4, &end, 10);
		if (*end != '\0' || n + RAW_KEEP > newest)
			continue;
		xasprintf(&path, "%s/%s", dir, de->d_name);
		if (remove_tree(path) == -1)
			log_warn("%s", path);
		free(path);
	}
	closedir(d);
}

int
raw_publish(struct indexer *ix, struct mirror *mi, long long id, char **cause)
{
	char		*dir, *cur = NULL, *tmp = NULL, *tree = NULL, *gen = NULL;
	char		*lnk, target[64], name[32], digest[HASH_HEX_MAX];
	unsigned long	 n = 0;
	ssize_t		 len;
	int		 rc = -1;

	xasprintf(&dir, "%s/mirrors/%s", ix->ix_cf->cf_store, mi->mi_name);
	xasprintf(&lnk, "%s/current", dir);
	if ((len = readlink(lnk, target, sizeof target - 1)) > 0) {
		target[len] = '\0';
		if (strncmp(target, "gen-", 4) == 0) {
			n = strtoul(target + 4, NULL, 10);
			xasprintf(&cur, "%s/%s", dir, target);
		}
	}
	if (raw_digest(ix, mi, id, digest, cause) != 0)
		goto out;
	if (cur != NULL && raw_inputs_same(cur, digest)) {
		log_debug("mirror %s: the unfiltered tree's inputs are "
		    "unchanged", mi->mi_name);
		rc = 0;
		goto out;
	}
	snprintf(name, sizeof name, "gen-%06lu", n + 1);
	xasprintf(&tmp, "%s/.%s.tmp", dir, name);
	xasprintf(&tree, "%s/tree", tmp);
	xasprintf(&gen, "%s/%s", dir, name);
	if (remove_tree(tmp) == -1 && errno != ENOENT) {
		cause_set(cause, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (mkdir_p(tree, 0755) == -1) {
		cause_set(cause, "%s: %s", tree, strerror(errno));
		goto out;
	}
	if (raw_tree(ix, mi, id, tree, cause) != 0 ||
	    raw_index(ix, mi, id, tmp, cause) != 0 ||
	    view_seal(tmp, cur, cause) != 0)
		goto fail;
	if (raw_inputs_write(tmp, digest, cause) != 0)
		goto fail;
	if (cur != NULL && raw_same(tmp, cur, VIEW_INDEX_NAME) &&
	    raw_same(tmp, cur, VIEW_SUMS_NAME)) {
		log_debug("mirror %s: the unfiltered tree is unchanged",
		    mi->mi_name);
		/* Made before digests were kept: the next sync skips. */
		rc = raw_inputs_write(cur, digest, cause);
		goto fail;
	}
	if (rename(tmp, gen) == -1) {
		cause_set(cause, "%s: %s", gen, strerror(errno));
		goto fail;
	}
	if (symlink_replace(name, lnk, cause) != 0)
		goto out;
	dir_sync(dir);
	raw_prune(dir, n + 1);
	rc = 0;
	goto out;
fail:
	remove_tree(tmp);
out:
	free(dir);
	free(lnk);
	free(cur);
	free(tmp);
	free(tree);
	free(gen);
	return rc;
}

/*
 * raw_publish() on a thread of its own, with a connection of its own to
 * the committed store, while the views are planned and written: writing
 * packages.idx sorts every version upstream lists.  The thread then
 * copies the sync's WAL into the database.
 */
struct raw_publishing {
	pthread_t	 rp_thread;
	int		 rp_started;
	struct indexer	 rp_ix;		/* the caller's, with its own store */
	struct mirror	*rp_mi;
	long long	 rp_id;
	int		 rp_rc;
	char		*rp_why;
};

static void *
raw_publishing_run(void *arg)
{
	struct raw_publishing	*rp = arg;
	struct indexer		*ix = &rp->rp_ix;

	if ((ix->ix_store = store_open_helper(ix->ix_cf->cf_store,
	    &rp->rp_why)) == NULL) {
		rp->rp_rc = -1;
		return NULL;
	}
	rp->rp_rc = raw_publish(ix, rp->rp_mi, rp->rp_id, &rp->rp_why);
	/* The sync's commit left its pages in the WAL (sync_mirror). */
	store_checkpoint(ix->ix_store);
	store_close(ix->ix_store);
	return NULL;
}

struct raw_publishing *
raw_publish_start(struct indexer *ix, struct mirror *mi, long long id)
{
	struct raw_publishing	*rp;

	rp = xcalloc(1, sizeof *rp);
	rp->rp_ix = *ix;
	rp->rp_ix.ix_signer = NULL;
	rp->rp_ix.ix_signing = NULL;
	rp->rp_ix.ix_signer_why = NULL;
	/* The sync's facts are publishing's. */
	rp->rp_ix.ix_facts = NULL;
	rp->rp_ix.ix_facts_prep = NULL;
	rp->rp_mi = mi;
	rp->rp_id = id;
	if (pthread_create(&rp->rp_thread, NULL, raw_publishing_run, rp) == 0)
		rp->rp_started = 1;
	else {
		rp->rp_ix.ix_store = ix->ix_store;
		rp->rp_rc = raw_publish(&rp->rp_ix, mi, id, &rp->rp_why);
	}
	return rp;
}

int
raw_publish_finish(struct raw_publishing *rp, char **cause)
{
	int	rc;

	if (rp == NULL)
		return 0;
	if (rp->rp_started)
		pthread_join(rp->rp_thread, NULL);
	rc = rp->rp_rc;
	if (rc != 0)
		cause_set(cause, "%s", rp->rp_why != NULL ? rp->rp_why :
		    "failed");
	free(rp->rp_why);
	free(rp);
	return rc;
}
