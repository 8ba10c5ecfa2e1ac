/*
 * The facts a sync recorded about one mirror, loaded for the planner:
 * every version with its advisories and indexes, whether its file is
 * stored, its dependency facts, and the holds in force.  Publishing, and
 * the commands that ask the planner (why, diff, preview, status), load
 * them the same way.  Local names carry fa_.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "blob.h"
#include "indexer.h"
#include "log.h"
#include "plan_deps.h"
#include "planner.h"
#include "rpmmd.h"
#include "store.h"
#include "store_query.h"
#include "xmalloc.h"

/*
 * Versions read for dependencies in one parse.  Their elements are held
 * twice meanwhile (as read and as given to libsolv): 2048 took 15 MB
 * more at a sync's peak than 512, and parsed no faster.
 */
#define FACTS_DEPS_BATCH	512

/* Room for the versions' strings, taken a block at a time. */
#define FACTS_STR_BLOCK		(256 * 1024)
/* Strings this short are shared: epochs, arches, index names, ... */
#define FACTS_STR_SHARED	32

/*
 * The versions' strings: copied into blocks rather than allocated one by
 * one (63,000 versions have 600,000 of them), and the short ones that
 * repeat ("0", "", "sha256", "amd64", "bookworm/main/binary-amd64")
 * stored once.  Freed whole with the facts.
 */
struct facts_strs {
	char		**fs_blocks;
	size_t		  fs_nblocks;
	char		 *fs_cur;
	size_t		  fs_left;
	const char	**fs_shared;	/* open addressing, NULL: empty */
	size_t		  fs_size;	/* a power of two */
	size_t		  fs_nshared;
};

static char *
facts_str_copy(struct facts_strs *fs, const char *s, size_t len)
{
	char	*p;
	size_t	 need = len + 1;

	if (need > fs->fs_left) {
		fs->fs_blocks = xreallocarray(fs->fs_blocks, fs->fs_nblocks + 1,
		    sizeof *fs->fs_blocks);
		fs->fs_left = need > FACTS_STR_BLOCK ? need : FACTS_STR_BLOCK;
		fs->fs_cur = xmalloc(fs->fs_left);
		fs->fs_blocks[fs->fs_nblocks++] = fs->fs_cur;
	}
	p = fs->fs_cur;
	memcpy(p, s, len);
	p[len] = '\0';
	fs->fs_cur += need;
	fs->fs_left -= need;
	return p;
}

static size_t
facts_str_hash(const char *s, size_t len)
{
	size_t	h = 5381, i;

	for (i = 0; i < len; i++)
		h = h * 33 + (unsigned char)s[i];
	return h;
}

static void
facts_str_grow(struct facts_strs *fs)
{
	const char	**old = fs->fs_shared;
	size_t		  oldsize = fs->fs_size, i, j;

	fs->fs_size = oldsize ? oldsize * 2 : 1024;
	fs->fs_shared = xcalloc(fs->fs_size, sizeof *fs->fs_shared);
	for (i = 0; i < oldsize; i++) {
		if (old[i] == NULL)
			continue;
		j = facts_str_hash(old[i], strlen(old[i])) & (fs->fs_size - 1);
		while (fs->fs_shared[j] != NULL)
			j = (j + 1) & (fs->fs_size - 1);
		fs->fs_shared[j] = old[i];
	}
	free(old);
}

/* s, of len bytes, in the facts' strings; NULL stays NULL. */
static char *
facts_str_n(struct facts *fa, const char *s, size_t len)
{
	struct facts_strs	*fs;
	size_t			 j;
	char			*p;

	if (s == NULL)
		return NULL;
	if (fa->fa_strs == NULL)
		fa->fa_strs = xcalloc(1, sizeof *fa->fa_strs);
	fs = fa->fa_strs;
	if (len > FACTS_STR_SHARED || memchr(s, '\0', len) != NULL)
		return facts_str_copy(fs, s, strlen(s));
	if (2 * (fs->fs_nshared + 1) > fs->fs_size)
		facts_str_grow(fs);
	j = facts_str_hash(s, len) & (fs->fs_size - 1);
	while (fs->fs_shared[j] != NULL) {
		if (strncmp(fs->fs_shared[j], s, len) == 0 &&
		    fs->fs_shared[j][len] == '\0')
			return (char *)fs->fs_shared[j];
		j = (j + 1) & (fs->fs_size - 1);
	}
	p = facts_str_copy(fs, s, len);
	fs->fs_shared[j] = p;
	fs->fs_nshared++;
	return p;
}

/* A column's text in the facts' strings; NULL stays NULL. */
static char *
facts_str(struct facts *fa, sqlite3_stmt *stmt, int col)
{
	const char	*s = (const char *)sqlite3_column_text(stmt, col);

	return facts_str_n(fa, s, s == NULL ? 0 :
	    (size_t)sqlite3_column_bytes(stmt, col));
}

static char *
facts_str_add(struct facts *fa, const char *s)
{
	return facts_str_n(fa, s, s == NULL ? 0 : strlen(s));
}

static void
facts_strs_free(struct facts_strs *fs)
{
	size_t	i;

	if (fs == NULL)
		return;
	for (i = 0; i < fs->fs_nblocks; i++)
		free(fs->fs_blocks[i]);
	free(fs->fs_blocks);
	free(fs->fs_shared);
	free(fs);
}

static char *
col_text(sqlite3_stmt *stmt, int i)
{
	const unsigned char	*s = sqlite3_column_text(stmt, i);

	return s == NULL ? NULL : xstrdup((const char *)s);
}

static int
facts_pkg_id_cmp(const void *key, const void *elem)
{
	long long	id = *(const long long *)key;
	long long	other = ((const struct pub_pkg *)elem)->pp_id;

	return id < other ? -1 : id > other;
}

static int
facts_adv_id_cmp(const void *key, const void *elem)
{
	long long	id = *(const long long *)key;
	long long	other = ((const struct facts_adv *)elem)->pa_id;

	return id < other ? -1 : id > other;
}

/* Both arrays are loaded in id order. */
static struct pub_pkg *
facts_find_pkg(struct facts *fa, long long id)
{
	if (fa->fa_npkgs == 0)
		return NULL;
	return bsearch(&id, fa->fa_pkgs, fa->fa_npkgs, sizeof *fa->fa_pkgs,
	    facts_pkg_id_cmp);
}

static struct facts_adv *
facts_find_adv(struct facts *fa, long long id)
{
	if (fa->fa_nadvs == 0)
		return NULL;
	return bsearch(&id, fa->fa_advs, fa->fa_nadvs, sizeof *fa->fa_advs,
	    facts_adv_id_cmp);
}

/*
 * Facts made by a sync as it records (sync_apt.c), instead of read back
 * after its commit: a version, with the values facts_read() would read.
 * Versions come in id order.
 */
struct pub_pkg *
facts_add(struct facts *fa, long long id, const char *pkgid,
    const char *checksum_type, const char *name, const char *arch,
    const char *epoch, const char *version, const char *release,
    const char *location, long long size)
{
	struct pub_pkg	*pp;
	size_t		 n = fa->fa_npkgs;

	/* Doubling from 1024, as facts_read() does. */
	if (n == 0 || (n >= 1024 && (n & (n - 1)) == 0))
		fa->fa_pkgs = xreallocarray(fa->fa_pkgs, n == 0 ? 1024 : 2 * n,
		    sizeof *fa->fa_pkgs);
	pp = &fa->fa_pkgs[fa->fa_npkgs++];
	memset(pp, 0, sizeof *pp);
	pp->pp_id = id;
	pp->pp_pkgid = facts_str_add(fa, pkgid);
	pp->pp_checksum_type = facts_str_add(fa, checksum_type);
	pp->pp_name = facts_str_add(fa, name);
	pp->pp_arch = facts_str_add(fa, arch);
	pp->pp_epoch = facts_str_add(fa, epoch);
	pp->pp_version = facts_str_add(fa, version);
	pp->pp_release = facts_str_add(fa, release);
	pp->pp_location = facts_str_add(fa, location);
	pp->pp_size = size;
	pp->pp_upstream = 1;
	return pp;
}

/* The version's location is now this one (a later index's). */
void
facts_set_location(struct facts *fa, struct pub_pkg *pp, const char *location)
{
	if (strcmp(pp->pp_location, location) != 0)
		pp->pp_location = facts_str_add(fa, location);
}

/* The version is in index list too, unless it was already. */
void
facts_add_list(struct facts *fa, struct pub_pkg *pp, const char *list)
{
	size_t	i;

	for (i = 0; i < pp->pp_nlists; i++) {
		if (strcmp(pp->pp_lists[i].pl_name, list) == 0)
			return;
	}
	pp->pp_lists = xreallocarray(pp->pp_lists, pp->pp_nlists + 1,
	    sizeof *pp->pp_lists);
	memset(&pp->pp_lists[pp->pp_nlists], 0, sizeof *pp->pp_lists);
	pp->pp_lists[pp->pp_nlists].pl_name = facts_str_add(fa, list);
	pp->pp_lists[pp->pp_nlists].pl_upstream = 1;
	pp->pp_nlists++;
}

struct pub_pkg *
facts_find(struct facts *fa, long long id)
{
	return facts_find_pkg(fa, id);
}

/*
 * The planner's input and order of a sync's facts, and their order by
 * location, made on a thread while the sync commits (facts_prepare): none
 * reads the store.
 */
struct facts_prep {
	pthread_t	 fp_thread;
	struct indexer	*fp_ix;
	struct mirror	*fp_mi;
	struct facts	*fp_fa;
};

static void facts_planner_input(struct indexer *, struct mirror *,
    struct facts *);

static int
facts_location_cmp(const void *a, const void *b, void *arg)
{
	const struct pub_pkg	*pkgs = arg;
	size_t			 x = *(const size_t *)a, y = *(const size_t *)b;
	int			 c;

	c = strcmp(pkgs[x].pp_location, pkgs[y].pp_location);
	return c != 0 ? c : (x > y) - (x < y);
}

static void *
facts_prep_run(void *arg)
{
	struct facts_prep	*fp = arg;
	struct facts		*fa = fp->fp_fa;
	size_t			 i;

	facts_planner_input(fp->fp_ix, fp->fp_mi, fa);
	fa->fa_order = plan_order_new(fa->fa_input, fa->fa_npkgs,
	    fp->fp_mi->mi_type);
	/* packages.idx lists versions by location (publish_index.c). */
	fa->fa_by_location = xcalloc(fa->fa_npkgs + 1,
	    sizeof *fa->fa_by_location);
	for (i = 0; i < fa->fa_npkgs; i++)
		fa->fa_by_location[i] = i;
	qsort_r(fa->fa_by_location, fa->fa_npkgs,
	    sizeof *fa->fa_by_location, facts_location_cmp, fa->fa_pkgs);
	return NULL;
}

void
facts_prepare(struct indexer *ix, struct mirror *mi)
{
	struct facts_prep	*fp;

	if (ix->ix_facts == NULL || ix->ix_facts_prep != NULL)
		return;
	fp = xcalloc(1, sizeof *fp);
	fp->fp_ix = ix;
	fp->fp_mi = mi;
	fp->fp_fa = ix->ix_facts;
	if (pthread_create(&fp->fp_thread, NULL, facts_prep_run, fp) != 0) {
		free(fp);
		return;
	}
	ix->ix_facts_prep = fp;
}

static void
facts_prepare_join(struct indexer *ix)
{
	if (ix->ix_facts_prep == NULL)
		return;
	pthread_join(ix->ix_facts_prep->fp_thread, NULL);
	free(ix->ix_facts_prep);
	ix->ix_facts_prep = NULL;
}

void
facts_set(struct indexer *ix, long long mirror_id, struct facts *fa)
{
	facts_prepare_join(ix);
	if (ix->ix_facts != NULL) {
		facts_free(ix->ix_facts);
		free(ix->ix_facts);
	}
	ix->ix_facts = fa;
	ix->ix_facts_mirror = mirror_id;
}

struct facts *
facts_take(struct indexer *ix, long long mirror_id)
{
	struct facts	*fa = NULL;

	facts_prepare_join(ix);
	if (ix->ix_facts != NULL && ix->ix_facts_mirror == mirror_id) {
		fa = ix->ix_facts;
		ix->ix_facts = NULL;
	}
	return fa;
}

void
facts_free(struct facts *fa)
{
	struct pub_pkg	*pp;
	struct facts_adv	*pa;
	size_t		 i, j;

	for (i = 0; i < fa->fa_npkgs; i++) {
		pp = &fa->fa_pkgs[i];
		/* Their strings are in fa_strs. */
		free(pp->pp_advs);
		free(pp->pp_plists);
		free(pp->pp_lost);
		free(pp->pp_lists);
	}
	free(fa->fa_pkgs);
	facts_strs_free(fa->fa_strs);
	for (i = 0; i < fa->fa_nadvs; i++) {
		pa = &fa->fa_advs[i];
		free((char *)pa->pa_va.va_id);
		free((char *)pa->pa_va.va_type);
		free((char *)pa->pa_va.va_severity);
		for (j = 0; j < pa->pa_ncves; j++)
			free(pa->pa_cves[j]);
		free(pa->pa_cves);
	}
	free(fa->fa_advs);
	for (i = 0; i < fa->fa_nholds; i++) {
		free((char *)fa->fa_holds[i].ph_pattern);
		free((char *)fa->fa_holds[i].ph_group);
		free((char *)fa->fa_holds[i].ph_reason);
	}
	free(fa->fa_holds);
	free(fa->fa_input);
	plan_deps_free(fa->fa_deps);
	plan_order_free(fa->fa_order);
	free(fa->fa_by_location);
	memset(fa, 0, sizeof *fa);
}

/* Loads every version of the mirror and the advisories that list them. */
static int
facts_read(struct indexer *ix, long long mirror_id, struct facts *fa,
    char **cause)
{
	struct store	*st = ix->ix_store;
	sqlite3_stmt	*stmt;
	struct pub_pkg	*pp;
	struct facts_adv	*pa;
	long long	 id;
	size_t		 size = 0, j;
	int		 rc;

	memset(fa, 0, sizeof *fa);
	stmt = store_query(st, cause, "SELECT id, advid, type, severity, "
	    "issued FROM advisories WHERE mirror = ?1 ORDER BY id", "I",
	    mirror_id);
	if (stmt == NULL)
		goto fail;
	while ((rc = store_step(st, stmt, cause)) == 1) {
		fa->fa_advs = xreallocarray(fa->fa_advs, fa->fa_nadvs + 1,
		    sizeof *fa->fa_advs);
		pa = &fa->fa_advs[fa->fa_nadvs++];
		memset(pa, 0, sizeof *pa);
		pa->pa_id = sqlite3_column_int64(stmt, 0);
		pa->pa_va.va_id = col_text(stmt, 1);
		pa->pa_va.va_type = col_text(stmt, 2);
		pa->pa_va.va_severity = col_text(stmt, 3);
		pa->pa_va.va_issued = sqlite3_column_int64(stmt, 4);
	}
	if (rc != 0)
		goto fail;

	stmt = store_query(st, cause, "SELECT c.advisory, c.cve FROM "
	    "advisory_cves c JOIN advisories a ON a.id = c.advisory WHERE "
	    "a.mirror = ?1", "I", mirror_id);
	if (stmt == NULL)
		goto fail;
	while ((rc = store_step(st, stmt, cause)) == 1) {
		if ((pa = facts_find_adv(fa, sqlite3_column_int64(stmt, 0))) == NULL)
			continue;
		pa->pa_cves = xreallocarray(pa->pa_cves, pa->pa_ncves + 2,
		    sizeof *pa->pa_cves);
		pa->pa_cves[pa->pa_ncves++] = col_text(stmt, 1);
		pa->pa_cves[pa->pa_ncves] = NULL;
	}
	if (rc != 0)
		goto fail;
	for (size_t i = 0; i < fa->fa_nadvs; i++)
		fa->fa_advs[i].pa_va.va_cves =
		    (const char *const *)fa->fa_advs[i].pa_cves;

	stmt = store_query(st, cause, "SELECT id, pkgid, checksum_type, name, "
	    "arch, epoch, version, release, location, location_base, size, "
	    "first_seen, 0, upstream FROM packages WHERE mirror = ?1 "
	    "ORDER BY id", "I", mirror_id);
	if (stmt == NULL)
		goto fail;
	while ((rc = store_step(st, stmt, cause)) == 1) {
		/* Doubling: a block moved 63,000 times leaves holes behind. */
		if (fa->fa_npkgs == size) {
			size = size ? size * 2 : 1024;
			fa->fa_pkgs = xreallocarray(fa->fa_pkgs, size,
			    sizeof *fa->fa_pkgs);
		}
		pp = &fa->fa_pkgs[fa->fa_npkgs++];
		memset(pp, 0, sizeof *pp);
		pp->pp_id = sqlite3_column_int64(stmt, 0);
		pp->pp_pkgid = facts_str(fa, stmt, 1);
		pp->pp_checksum_type = facts_str(fa, stmt, 2);
		pp->pp_name = facts_str(fa, stmt, 3);
		pp->pp_arch = facts_str(fa, stmt, 4);
		pp->pp_epoch = facts_str(fa, stmt, 5);
		pp->pp_version = facts_str(fa, stmt, 6);
		pp->pp_release = facts_str(fa, stmt, 7);
		pp->pp_location = facts_str(fa, stmt, 8);
		pp->pp_location_base = facts_str(fa, stmt, 9);
		pp->pp_size = sqlite3_column_int64(stmt, 10);
		pp->pp_first_seen = sqlite3_column_int64(stmt, 11);
		pp->pp_upstream = sqlite3_column_int(stmt, 13);
	}
	if (rc != 0)
		goto fail;

	/* apt mirrors have none: no join of every version with nothing. */
	stmt = fa->fa_nadvs == 0 ? NULL :
	    store_query(st, cause, "SELECT p.id, ap.advisory FROM packages p "
	    "JOIN advisory_packages ap ON ap.name = p.name AND ap.version = "
	    "p.version AND ap.release = p.release AND ap.epoch = p.epoch AND "
	    "(ap.arch = p.arch OR ap.arch = '') JOIN advisories a ON a.id = "
	    "ap.advisory AND a.mirror = p.mirror WHERE p.mirror = ?1", "I",
	    mirror_id);
	if (stmt == NULL && fa->fa_nadvs > 0)
		goto fail;
	rc = 0;
	while (stmt != NULL && (rc = store_step(st, stmt, cause)) == 1) {
		pp = facts_find_pkg(fa, sqlite3_column_int64(stmt, 0));
		pa = facts_find_adv(fa, sqlite3_column_int64(stmt, 1));
		if (pp == NULL || pa == NULL)
			continue;
		pp->pp_advs = xreallocarray(pp->pp_advs, pp->pp_nadvs + 1,
		    sizeof *pp->pp_advs);
		pp->pp_advs[pp->pp_nadvs++] = pa->pa_va;
	}
	if (rc != 0)
		goto fail;

	/*
	 * apt: the indexes that list each version, in id order as the
	 * versions are (packages_mirror), so each is found by a step.
	 */
	stmt = store_query(st, cause, "SELECT l.package, l.list, l.upstream "
	    "FROM packages p JOIN package_lists l ON l.package = p.id WHERE "
	    "p.mirror = ?1 ORDER BY p.id", "I", mirror_id);
	if (stmt == NULL)
		goto fail;
	j = 0;
	while ((rc = store_step(st, stmt, cause)) == 1) {
		id = sqlite3_column_int64(stmt, 0);
		while (j < fa->fa_npkgs && fa->fa_pkgs[j].pp_id < id)
			j++;
		if (j == fa->fa_npkgs || fa->fa_pkgs[j].pp_id != id)
			continue;
		pp = &fa->fa_pkgs[j];
		pp->pp_lists = xreallocarray(pp->pp_lists, pp->pp_nlists + 1,
		    sizeof *pp->pp_lists);
		pp->pp_lists[pp->pp_nlists].pl_name = facts_str(fa, stmt, 1);
		pp->pp_lists[pp->pp_nlists].pl_upstream =
		    sqlite3_column_int(stmt, 2);
		pp->pp_nlists++;
	}
	if (rc != 0)
		goto fail;
	return 0;
fail:
	facts_free(fa);
	return -1;
}

/*
 * The planner's facts for every version of the mirror; the strings point
 * into the pub_pkg array, which outlives them.
 */
static void
facts_planner_input(struct indexer *ix, struct mirror *mi, struct facts *fa)
{
	struct pub_pkg		*pp;
	struct plan_pkg		*pk;
	struct blob_probe	*bp;
	size_t			 i, j;

	/* At a first sync no file is stored: one lookup per directory. */
	bp = blob_probe_new(ix->ix_blobs);
	fa->fa_input = xcalloc(fa->fa_npkgs + 1, sizeof *fa->fa_input);
	for (i = 0; i < fa->fa_npkgs; i++) {
		pp = &fa->fa_pkgs[i];
		pk = &fa->fa_input[i];
		pk->pk_vis.vp_format = mi->mi_type;
		pk->pk_vis.vp_name = pp->pp_name;
		pk->pk_vis.vp_arch = pp->pp_arch;
		pk->pk_vis.vp_epoch = pp->pp_epoch;
		pk->pk_vis.vp_version = pp->pp_version;
		pk->pk_vis.vp_release = pp->pp_release;
		pk->pk_vis.vp_first_seen = pp->pp_first_seen;
		pk->pk_vis.vp_advs = pp->pp_advs;
		pk->pk_vis.vp_nadvs = pp->pp_nadvs;
		pk->pk_vis.vp_default_classification = mi->mi_classification;
		pk->pk_vis.vp_default_severity = mi->mi_severity;
		pp->pp_plists = xcalloc(pp->pp_nlists + 1, sizeof *pp->pp_plists);
		if (mi->mi_type == MIRROR_APT) {
			for (j = 0; j < pp->pp_nlists; j++) {
				pp->pp_plists[j].pl_name = pp->pp_lists[j].pl_name;
				pp->pp_plists[j].pl_upstream =
				    pp->pp_lists[j].pl_upstream;
			}
			pk->pk_nlists = pp->pp_nlists;
		} else {
			/* rpm-md: one index, the whole mirror. */
			pp->pp_plists[0].pl_name = "";
			pp->pp_plists[0].pl_upstream = pp->pp_upstream;
			pk->pk_nlists = 1;
		}
		pk->pk_lists = pp->pp_plists;
		pp->pp_stored = bp != NULL ? blob_probe_exists(bp,
		    pp->pp_checksum_type, pp->pp_pkgid) :
		    blob_exists(ix->ix_blobs, pp->pp_checksum_type,
		    pp->pp_pkgid);
		pk->pk_stored = pp->pp_stored;
	}
	blob_probe_free(bp);
}

/* The readers of one kind of element each, opened as needed. */
struct facts_elems {
	char			*fe_kind;
	struct rpmmd_elems	*fe_el;
};

static struct rpmmd_elems *
facts_elems_get(struct indexer *ix, long long mirror_id, const char *prefix,
    const char *name, struct facts_elems **fe, size_t *nfe, char **cause)
{
	struct rpmmd_elems	*el;
	char			*kind;
	size_t			 i, plen = strlen(prefix);

	for (i = 0; i < *nfe; i++) {
		if (strncmp((*fe)[i].fe_kind, prefix, plen) == 0 &&
		    strcmp((*fe)[i].fe_kind + plen, name) == 0)
			return (*fe)[i].fe_el;
	}
	xasprintf(&kind, "%s%s", prefix, name);
	if ((el = rpmmd_elems_open(ix->ix_store, ix->ix_cf->cf_store,
	    mirror_id, kind, cause)) == NULL) {
		free(kind);
		return NULL;
	}
	*fe = xreallocarray(*fe, *nfe + 1, sizeof **fe);
	(*fe)[*nfe].fe_kind = kind;
	(*fe)[*nfe].fe_el = el;
	(*nfe)++;
	return el;
}

static void
facts_elems_free(struct facts_elems *fe, size_t nfe)
{
	size_t	i;

	for (i = 0; i < nfe; i++) {
		rpmmd_elems_close(fe[i].fe_el);
		free(fe[i].fe_kind);
	}
	free(fe);
}

/*
 * Dependency facts from upstream's own metadata of every version: primary
 * <package> elements, or apt stanzas.  NULL, after a warning, when they
 * cannot be had: views are then planned without the check.
 */
static struct plan_deps *
facts_deps(struct indexer *ix, struct mirror *mi, struct facts *fa)
{
	struct store		*st = ix->ix_store;
	struct plan_deps	*pd;
	struct facts_elems	*fe = NULL;
	struct rpmmd_elems	*el;
	const void		*raw;
	const char		*list;
	char			**raws, *why = NULL;
	size_t			*lens, i, n = 0, bad = 0, nfe = 0;
	long long		 mid;
	int			 step;

	if ((pd = plan_deps_new(mi->mi_type)) == NULL) {
		log_warnx("mirror %s: views are planned without checking "
		    "dependencies: libsolv cannot read this format",
		    mi->mi_name);
		return NULL;
	}
	if ((mid = store_mirror_id(st, mi->mi_name,
	    mirror_type_name(mi->mi_type), &why)) == -1)
		goto fail;
	/* In batches: one parse per batch is much cheaper than one each. */
	raws = xcalloc(FACTS_DEPS_BATCH, sizeof *raws);
	lens = xcalloc(FACTS_DEPS_BATCH, sizeof *lens);
	for (i = 0; i <= fa->fa_npkgs; i++) {
		if (n == FACTS_DEPS_BATCH || (i == fa->fa_npkgs && n > 0)) {
			bad += plan_deps_add_many(pd, (const char *const *)raws,
			    lens, n, &why);
			if (why != NULL)
				log_warnx("mirror %s: the dependencies of a "
				    "version could not be read: %s",
				    mi->mi_name, why);
			free(why);
			why = NULL;
			while (n > 0)
				free(raws[--n]);
		}
		if (i == fa->fa_npkgs)
			break;
		/*
		 * The elements lie in the spooled documents (rpmmd_spool.c):
		 * rpm-md's primary; apt's stanza in the first index listing
		 * the version.
		 */
		list = mi->mi_type == MIRROR_APT ? (fa->fa_pkgs[i].pp_nlists > 0 ?
		    fa->fa_pkgs[i].pp_lists[0].pl_name : NULL) : "primary";
		el = list == NULL ? NULL : facts_elems_get(ix, mid,
		    mi->mi_type == MIRROR_APT ? RPMMD_APT_KIND : "", list, &fe, &nfe,
		    &why);
		if (el != NULL) {
			raw = rpmmd_elems_get(el, fa->fa_pkgs[i].pp_id,
			    &lens[n], &why);
			step = raw != NULL ? SQLITE_ROW : why == NULL ?
			    SQLITE_DONE : SQLITE_ERROR;
		} else {
			raw = NULL;
			step = list == NULL ? SQLITE_DONE : SQLITE_ERROR;
		}
		if (step != SQLITE_ROW && step != SQLITE_DONE) {
			while (n > 0)
				free(raws[--n]);
			free(raws);
			free(lens);
			goto fail;
		}
		/* A version with no metadata keeps its number, needing nothing. */
		if (raw == NULL)
			lens[n] = 0;
		raws[n] = xmalloc(lens[n] + 1);
		if (lens[n] > 0)
			memcpy(raws[n], raw, lens[n]);
		raws[n][lens[n]] = '\0';
		n++;
	}
	facts_elems_free(fe, nfe);
	fe = NULL;
	nfe = 0;
	free(raws);
	free(lens);
	if (bad > 1)
		log_warnx("mirror %s: the dependencies of %zu versions could "
		    "not be read", mi->mi_name, bad);
	if (plan_deps_seal(pd, &why) != 0)
		goto fail;
	return pd;
fail:
	log_warnx("mirror %s: views are planned without checking "
	    "dependencies: %s", mi->mi_name, why ? why : "unknown error");
	free(why);
	facts_elems_free(fe, nfe);
	plan_deps_free(pd);
	return NULL;
}


/* Plans one group's view and records the verdicts in the versions. */
struct plan *
facts_plan(struct indexer *ix, struct group *gr, struct mirror *mi,
    struct facts *fa, time_t now)
{
	return facts_plan_clocks(ix, gr, mi, fa, now, 0);
}

/* Likewise, with holds' ends compared with hold_now (0: now). */
struct plan *
facts_plan_clocks(struct indexer *ix, struct group *gr, struct mirror *mi,
    struct facts *fa, time_t now, time_t hold_now)
{
	struct plan_input	 in;
	struct plan		*pl;

	memset(&in, 0, sizeof in);
	in.pi_baseline = gr->gr_baseline;
	in.pi_group = gr->gr_name;
	in.pi_format = mi->mi_type;
	in.pi_pkgs = fa->fa_input;
	in.pi_npkgs = fa->fa_npkgs;
	in.pi_holds = fa->fa_holds;
	in.pi_nholds = fa->fa_nholds;
	in.pi_deps = fa->fa_deps;
	in.pi_now = now;
	in.pi_hold_now = hold_now;
	in.pi_terse = fa->fa_terse;
	/* Sorted once: each group's plan walks the versions the same way. */
	if (fa->fa_order == NULL)
		fa->fa_order = plan_order_new(fa->fa_input, fa->fa_npkgs,
		    mi->mi_type);
	in.pi_order = fa->fa_order;
	fa->fa_planned = now;
	pl = plan_make(&in);
	/*
	 * Dependencies are read only for a plan that leaves a version out:
	 * when a view lists every version of the mirror, each requirement
	 * is met or foreign, and checking them changes nothing.  At a first
	 * sync, every view is such a view.
	 */
	if (!fa->fa_deps_loaded && pl->pl_listed != fa->fa_npkgs) {
		fa->fa_deps = facts_deps(ix, mi, fa);
		fa->fa_deps_loaded = 1;
		if (fa->fa_deps != NULL) {
			plan_free(pl);
			in.pi_deps = fa->fa_deps;
			pl = plan_make(&in);
		}
	}
	if (pl->pl_deps_error != NULL)
		log_warnx("group %s, mirror %s: dependencies not checked: %s",
		    gr->gr_name, mi->mi_name, pl->pl_deps_error);
	facts_apply(mi, fa, pl);
	return pl;
}

/* Records a plan's verdicts in the versions, for the writers. */
void
facts_apply(struct mirror *mi, struct facts *fa, struct plan *pl)
{
	struct plan_verdict	*v;
	struct pub_pkg		*pp;
	size_t			 i, j;

	for (i = 0; i < fa->fa_npkgs; i++) {
		pp = &fa->fa_pkgs[i];
		v = &pl->pl_verdicts[i];
		pp->pp_visible = v->pv_visible;
		pp->pp_listed = v->pv_listed;
		pp->pp_at_risk = v->pv_at_risk;
		pp->pp_verdict = v;
		if (mi->mi_type == MIRROR_APT) {
			for (j = 0; j < pp->pp_nlists; j++)
				pp->pp_lists[j].pl_listed = v->pv_lists[j];
		}
	}
}

/* The holds of the store (every group's): patterns as in "rejected". */
static int
facts_holds(struct indexer *ix, struct facts *fa, char **cause)
{
	sqlite3_stmt		*stmt;
	struct plan_hold	*h;
	int			 rc;

	stmt = store_query(ix->ix_store, cause, "SELECT pattern, grp, reason, "
	    "until FROM holds ORDER BY id", "");
	if (stmt == NULL)
		return -1;
	while ((rc = store_step(ix->ix_store, stmt, cause)) == 1) {
		fa->fa_holds = xreallocarray(fa->fa_holds, fa->fa_nholds + 1,
		    sizeof *fa->fa_holds);
		h = &fa->fa_holds[fa->fa_nholds++];
		memset(h, 0, sizeof *h);
		h->ph_pattern = col_text(stmt, 0);
		h->ph_group = col_text(stmt, 1);
		h->ph_reason = col_text(stmt, 2);
		h->ph_until = sqlite3_column_int64(stmt, 3);
	}
	return rc == 0 ? 0 : -1;
}

int
facts_load(struct indexer *ix, struct mirror *mi, long long mirror_id,
    struct facts *fa, char **cause)
{
	if (facts_read(ix, mirror_id, fa, cause) != 0)
		return -1;
	return facts_complete(ix, mi, fa, cause);
}

/*
 * Versions, as facts_read() or a sync (facts_add) made them, completed
 * with the holds and the planner's input; on error, fa is freed.
 */
int
facts_complete(struct indexer *ix, struct mirror *mi, struct facts *fa,
    char **cause)
{
	if (facts_holds(ix, fa, cause) != 0) {
		facts_free(fa);
		return -1;
	}
	/* Made beside the commit already (facts_prepare), or now. */
	if (fa->fa_input == NULL)
		facts_planner_input(ix, mi, fa);
	/* Dependencies: at the first plan that needs them (facts_plan). */
	return 0;
}

struct plan *
facts_plan_served(struct indexer *ix, struct group *gr, struct mirror *mi,
    struct facts *fa)
{
	return facts_plan_clocks(ix, gr, mi, fa, publish_plan_time(ix, gr, mi),
	    ix->ix_now);
}
