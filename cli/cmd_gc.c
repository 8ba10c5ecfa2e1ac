/*
 * gc: removes from the blob store every file that nothing needs, and the
 * store quota's eviction after each sync and publish, which removes the
 * least recently read of those files until the blobs fit under
 * [server] store-quota.
 *
 * A file is needed (referenced) when
 *   - a package line of a view's generation lists it (every generation
 *     still on disk: the current one and those kept for the grace
 *     period), or a snapshot's, or a published preview's
 *     (STORE/{views,snapshots,previews}/.../packages.idx);
 *   - the planner lists it now in a group's view: the view as served and,
 *     for a group outside its maintenance windows, the view its next
 *     window will publish (what at-risk prefetch stored for it);
 *   - a mirror's current upstream metadata is it (mirror_files): the next
 *     sync reads it and the unfiltered tree is built from it.
 * The unfiltered /_mirror/ tree lists every file upstream lists: those
 * are fetched again on demand, and do not count.  Metadata names files by
 * the checksum upstream chose; an alias (blob.h) makes the sha256 file it
 * names needed.
 *
 * Nothing may change what is needed while it is computed: gc takes every
 * mirror's lock (syncs download before they record) and then the store
 * lock, in the order a sync takes them.  The quota's eviction runs at the
 * end of a sync or publish and waits for no sync: when one is running, it
 * leaves the eviction to that sync's end.
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blob.h"
#include "cli.h"
#include "clock.h"
#include "hash.h"
#include "lock.h"
#include "log.h"
#include "store.h"
#include "store_query.h"
#include "util.h"
#include "view.h"
#include "xmalloc.h"

static int	cmd_gc_exec(struct cli *, const struct cli_cmd *, int, char **);

const struct cli_cmd cmd_gc_entry = {
	"gc", "[--dry-run]", cmd_gc_exec
};

/* How deep packages.idx files lie: views/GROUP/MIRROR/gen-N/packages.idx. */
#define GC_DEPTH	5

/*
 * A set of checksums in hex, and for each a name for people.  The hex
 * alone is the key: its length tells its algorithm apart (blob.h).
 */
struct gc_set {
	char		**gs_keys;
	char		**gs_names;	/* NULL: none yet */
	size_t		  gs_size;	/* slots, a power of two */
	size_t		  gs_n;
};

/* A file or alias of the blob store. */
struct gc_blob {
	const char	*gb_algo;	/* static (blob.c's) */
	char		*gb_hex;
	char		*gb_target;	/* an alias's sha256; NULL: a file */
	int		 gb_dangling;
	int		 gb_needed;
	int		 gb_removed;
	long long	 gb_size;
	time_t		 gb_atime;
	time_t		 gb_stored;
};

struct gc {
	struct cli	*gc_cli;
	struct gc_set	 gc_refs;
	struct gc_blob	*gc_blobs;
	size_t		 gc_nblobs;
	long long	 gc_bytes;	/* of every file */
	size_t		 gc_nfiles;
};

static uint64_t
gc_hash(const char *s)
{
	uint64_t	h = 1469598103934665603ULL;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static size_t
gc_set_slot(const struct gc_set *gs, const char *key)
{
	size_t	i = gc_hash(key) & (gs->gs_size - 1);

	while (gs->gs_keys[i] != NULL && strcmp(gs->gs_keys[i], key) != 0)
		i = (i + 1) & (gs->gs_size - 1);
	return i;
}

static void
gc_set_grow(struct gc_set *gs)
{
	struct gc_set	 old = *gs;
	size_t		 i, j;

	gs->gs_size = old.gs_size == 0 ? 1024 : old.gs_size * 2;
	gs->gs_keys = xcalloc(gs->gs_size, sizeof *gs->gs_keys);
	gs->gs_names = xcalloc(gs->gs_size, sizeof *gs->gs_names);
	for (i = 0; i < old.gs_size; i++) {
		if (old.gs_keys[i] == NULL)
			continue;
		j = gc_set_slot(gs, old.gs_keys[i]);
		gs->gs_keys[j] = old.gs_keys[i];
		gs->gs_names[j] = old.gs_names[i];
	}
	free(old.gs_keys);
	free(old.gs_names);
}

/* Adds key; returns its slot. */
static size_t
gc_set_add(struct gc_set *gs, const char *key)
{
	size_t	i;

	if ((gs->gs_n + 1) * 2 > gs->gs_size)
		gc_set_grow(gs);
	i = gc_set_slot(gs, key);
	if (gs->gs_keys[i] == NULL) {
		gs->gs_keys[i] = xstrdup(key);
		gs->gs_n++;
	}
	return i;
}

/* The slot of key, or -1. */
static ssize_t
gc_set_find(const struct gc_set *gs, const char *key)
{
	size_t	i;

	if (gs->gs_size == 0)
		return -1;
	i = gc_set_slot(gs, key);
	return gs->gs_keys[i] != NULL ? (ssize_t)i : -1;
}

static void
gc_set_free(struct gc_set *gs)
{
	size_t	i;

	for (i = 0; i < gs->gs_size; i++) {
		free(gs->gs_keys[i]);
		free(gs->gs_names[i]);
	}
	free(gs->gs_keys);
	free(gs->gs_names);
	memset(gs, 0, sizeof *gs);
}

/*
 * Adds a checksum as the blob store names it: in lower case, as
 * patchgated asks for it whatever case the metadata used.
 */
static void
gc_ref_add(struct gc *gc, const char *hex)
{
	char	lower[HASH_HEX_MAX];
	size_t	i;

	for (i = 0; hex[i] != '\0' && i < sizeof lower - 1; i++)
		lower[i] = tolower((unsigned char)hex[i]);
	if (hex[i] != '\0')
		return;		/* no checksum is that long */
	lower[i] = '\0';
	gc_set_add(&gc->gc_refs, lower);
}

/* Adds the checksum of every visible line ("V" PATH SIZE ALGO HEX URL). */
static int
gc_refs_index(struct gc *gc, const char *path)
{
	FILE	*f;
	char	*line = NULL, *hex, *end;
	size_t	 size = 0, i;
	ssize_t	 n;

	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;	/* retired meanwhile */
		log_warnx("%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &size, f)) != -1) {
		if (n < 2 || line[0] != 'V' || line[1] != '\t')
			continue;
		hex = line;
		for (i = 0; i < 4 && hex != NULL; i++) {
			if ((hex = strchr(hex, '\t')) != NULL)
				hex++;
		}
		if (hex == NULL || (end = strchr(hex, '\t')) == NULL)
			continue;
		*end = '\0';
		gc_ref_add(gc, hex);
	}
	free(line);
	if (ferror(f)) {
		log_warnx("%s: %s", path, strerror(errno));
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

/* Every packages.idx under dir (views, snapshots, previews). */
static int
gc_refs_walk(struct gc *gc, const char *dir, int depth)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	char		*path;
	int		 rc = 0;

	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		log_warnx("%s: %s", dir, strerror(errno));
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, "tree") == 0)
			continue;
		xasprintf(&path, "%s/%s", dir, de->d_name);
		/* lstat: "current" is a link to a generation seen anyway. */
		if (lstat(path, &sb) == 0) {
			if (S_ISDIR(sb.st_mode) && depth > 0)
				rc = gc_refs_walk(gc, path, depth - 1);
			else if (S_ISREG(sb.st_mode) &&
			    strcmp(de->d_name, VIEW_INDEX_NAME) == 0)
				rc = gc_refs_index(gc, path);
		}
		free(path);
	}
	closedir(d);
	return rc;
}

/* The files of every mirror's current upstream metadata. */
static int
gc_refs_metadata(struct gc *gc)
{
	struct store	*st = gc->gc_cli->cl_ix.ix_store;
	sqlite3_stmt	*stmt;
	const char	*hex;
	char		*why = NULL;
	int		 step;

	stmt = store_query(st, &why, "SELECT checksum FROM mirror_files WHERE "
	    "checksum IS NOT NULL", "");
	if (stmt == NULL)
		goto fail;
	while ((step = store_step(st, stmt, &why)) == 1) {
		if ((hex = (const char *)sqlite3_column_text(stmt, 0)) != NULL)
			gc_ref_add(gc, hex);
	}
	if (step == 0)
		return 0;
fail:
	log_warnx("%s", why);
	free(why);
	return -1;
}

/* Adds what one plan lists. */
static void
gc_refs_plan(struct gc *gc, struct facts *fa, struct plan *pl)
{
	size_t	i;

	for (i = 0; i < fa->fa_npkgs && i < pl->pl_n; i++) {
		if (pl->pl_verdicts[i].pv_listed &&
		    fa->fa_pkgs[i].pp_pkgid != NULL)
			gc_ref_add(gc, fa->fa_pkgs[i].pp_pkgid);
	}
}

/*
 * What the planner lists now in each group's view of each mirror, as
 * served and, outside a windowed group's windows, as its next window
 * will publish it (pub_prefetch stores both).
 */
static int
gc_refs_planned(struct gc *gc)
{
	struct cli	*cl = gc->gc_cli;
	struct indexer	*ix = &cl->cl_ix;
	struct mirror	*mi;
	struct group	*gr;
	struct facts	 fa;
	struct plan	*pl;
	long long	 id;
	time_t		 at;
	char		*why = NULL;
	int		 step;

	TAILQ_FOREACH(mi, &cl->cl_cf->cf_mirrors, mi_entry) {
		step = store_one(ix->ix_store, &why, &id, "SELECT id FROM "
		    "mirrors WHERE name = ?1", "t", mi->mi_name);
		if (step == -1) {
			log_warnx("%s", why);
			free(why);
			return -1;
		}
		if (step == 0)
			continue;	/* never synced: nothing stored */
		if (cli_facts(cl, mi, &fa) != 0)
			return -1;
		fa.fa_terse = 1;
		TAILQ_FOREACH(gr, &cl->cl_cf->cf_groups, gr_entry) {
			if (!group_has_mirror(gr, mi))
				continue;
			at = publish_plan_time(ix, gr, mi);
			if (at != ix->ix_now) {
				pl = facts_plan(ix, gr, mi, &fa, ix->ix_now);
				gc_refs_plan(gc, &fa, pl);
				plan_free(pl);
			}
			pl = facts_plan_clocks(ix, gr, mi, &fa, at, ix->ix_now);
			gc_refs_plan(gc, &fa, pl);
			plan_free(pl);
		}
		facts_free(&fa);
	}
	return 0;
}

/* Everything needed, into gc_refs; -1 after saying why. */
static int
gc_refs(struct gc *gc)
{
	const char	*store = gc->gc_cli->cl_cf->cf_store;
	const char	*top[] = { "views", "snapshots", "previews" };
	char		*dir;
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof top / sizeof top[0]; i++) {
		xasprintf(&dir, "%s/%s", store, top[i]);
		rc = gc_refs_walk(gc, dir, GC_DEPTH);
		free(dir);
		if (rc != 0)
			return -1;
	}
	if (gc_refs_metadata(gc) != 0 || gc_refs_planned(gc) != 0)
		return -1;
	return 0;
}

static int
gc_scan_one(const struct blob_entry *be, void *arg)
{
	struct gc	*gc = arg;
	struct gc_blob	*gb;

	if ((gc->gc_nblobs & (gc->gc_nblobs - 1)) == 0)
		gc->gc_blobs = xreallocarray(gc->gc_blobs,
		    gc->gc_nblobs == 0 ? 1 : gc->gc_nblobs * 2,
		    sizeof *gc->gc_blobs);
	gb = &gc->gc_blobs[gc->gc_nblobs++];
	memset(gb, 0, sizeof *gb);
	gb->gb_algo = be->be_algo;
	gb->gb_hex = xstrdup(be->be_hex);
	if (be->be_target != NULL) {
		gb->gb_target = xstrdup(be->be_target);
		gb->gb_dangling = be->be_dangling;
	} else {
		gb->gb_size = be->be_size;
		gb->gb_atime = be->be_atime;
		gb->gb_stored = be->be_stored;
		gc->gc_bytes += be->be_size;
		gc->gc_nfiles++;
	}
	return 0;
}

static int
gc_scan(struct gc *gc)
{
	char	*why = NULL;

	if (blob_scan(gc->gc_cli->cl_ix.ix_blobs, gc_scan_one, gc, &why) != 0) {
		log_warnx("blob store: %s", why);
		free(why);
		return -1;
	}
	return 0;
}

/*
 * Marks the needed files: those whose checksum is referenced, and those
 * a referenced alias names.
 */
static void
gc_mark(struct gc *gc)
{
	struct gc_blob	*gb;
	size_t		 i;

	for (i = 0; i < gc->gc_nblobs; i++) {
		gb = &gc->gc_blobs[i];
		if (gb->gb_target != NULL && !gb->gb_dangling &&
		    gc_set_find(&gc->gc_refs, gb->gb_hex) != -1)
			gc_set_add(&gc->gc_refs, gb->gb_target);
	}
	for (i = 0; i < gc->gc_nblobs; i++) {
		gb = &gc->gc_blobs[i];
		if (gb->gb_target == NULL)
			gb->gb_needed = gc_set_find(&gc->gc_refs,
			    gb->gb_hex) != -1;
	}
}

/*
 * Moves the needed files of an older store's layout (plain files under
 * blobs/sha1/ and the like) under their sha256, so that they are kept
 * once too; their sha256 files are needed then.  Returns how many.
 */
static size_t
gc_rekey(struct gc *gc, int dry_run)
{
	struct gc_blob	*gb;
	char		 sha[HASH_HEX_MAX], *why = NULL;
	size_t		 i, n = 0;

	for (i = 0; i < gc->gc_nblobs; i++) {
		gb = &gc->gc_blobs[i];
		if (gb->gb_target != NULL || !gb->gb_needed ||
		    strcmp(gb->gb_algo, "sha256") == 0)
			continue;
		if (dry_run) {
			printf("would move %s:%s under its sha256\n",
			    gb->gb_algo, gb->gb_hex);
			n++;
			continue;
		}
		if (blob_rekey(gc->gc_cli->cl_ix.ix_blobs, gb->gb_algo,
		    gb->gb_hex, sha, &why) != 0) {
			log_warnx("blob store: %s", why);
			free(why);
			why = NULL;
			continue;
		}
		printf("moved %s:%s to sha256:%s\n", gb->gb_algo, gb->gb_hex,
		    sha);
		/* An alias now: its bytes count once, as the sha256 file's. */
		gb->gb_target = xstrdup(sha);
		gb->gb_size = 0;
		gc->gc_nfiles--;
		gc_set_add(&gc->gc_refs, sha);
		n++;
	}
	if (n > 0 && !dry_run)
		gc_mark(gc);
	return n;
}

/*
 * Names for people of the files in candidates (a set of checksums): the
 * package a mirror lists under that checksum, by an alias's too.
 */
static void
gc_names(struct gc *gc, struct gc_set *cand)
{
	struct store	*st = gc->gc_cli->cl_ix.ix_store;
	sqlite3_stmt	*stmt;
	struct gc_blob	*gb;
	const char	*mirror, *loc, *pkgid;
	char		 lower[HASH_HEX_MAX];
	ssize_t		 slot, fslot;
	size_t		 i;
	struct gc_set	 alias;

	if (cand->gs_n == 0)
		return;
	/* An alias's checksum leads to its file's. */
	memset(&alias, 0, sizeof alias);
	for (i = 0; i < gc->gc_nblobs; i++) {
		gb = &gc->gc_blobs[i];
		if (gb->gb_target != NULL &&
		    gc_set_find(cand, gb->gb_target) != -1) {
			slot = gc_set_add(&alias, gb->gb_hex);
			free(alias.gs_names[slot]);
			alias.gs_names[slot] = xstrdup(gb->gb_target);
		}
	}
	stmt = store_query(st, NULL, "SELECT m.name, p.location, p.pkgid FROM "
	    "packages p JOIN mirrors m ON m.id = p.mirror ORDER BY p.id DESC",
	    "");
	if (stmt == NULL) {
		gc_set_free(&alias);
		return;
	}
	while (store_step(st, stmt, NULL) == 1) {
		mirror = (const char *)sqlite3_column_text(stmt, 0);
		loc = (const char *)sqlite3_column_text(stmt, 1);
		pkgid = (const char *)sqlite3_column_text(stmt, 2);
		if (mirror == NULL || loc == NULL || pkgid == NULL)
			continue;
		for (i = 0; pkgid[i] != '\0' && i < sizeof lower - 1; i++)
			lower[i] = tolower((unsigned char)pkgid[i]);
		lower[i] = '\0';
		if ((fslot = gc_set_find(cand, lower)) == -1 &&
		    (slot = gc_set_find(&alias, lower)) != -1)
			fslot = gc_set_find(cand, alias.gs_names[slot]);
		if (fslot == -1 || cand->gs_names[fslot] != NULL)
			continue;
		xasprintf(&cand->gs_names[fslot], "%s: %s", mirror, loc);
	}
	gc_set_free(&alias);
}

/* "1.5 MiB" */
static const char *
gc_human(long long n, char *buf, size_t len)
{
	static const char	*units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	double			 v = n;
	size_t			 u = 0;

	while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%lld bytes", n);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}

/* Removes one file or alias; says what, unless quiet. */
static int
gc_remove(struct gc *gc, struct gc_blob *gb, int dry_run, const char *name,
    int quiet)
{
	char	*why = NULL;

	if (!quiet) {
		if (gb->gb_target != NULL)
			printf("%s %s:%s (an alias of sha256:%s%s)\n",
			    dry_run ? "would remove" : "removed", gb->gb_algo,
			    gb->gb_hex, gb->gb_target,
			    gb->gb_dangling ? ", which is gone" : "");
		else
			printf("%s %s:%s %lld bytes%s%s\n",
			    dry_run ? "would remove" : "removed", gb->gb_algo,
			    gb->gb_hex, gb->gb_size, name != NULL ? "  " : "",
			    name != NULL ? name : "");
	}
	if (dry_run)
		return 0;
	if (blob_remove(gc->gc_cli->cl_ix.ix_blobs, gb->gb_algo, gb->gb_hex,
	    &why) != 0) {
		log_warnx("blob store: %s", why);
		free(why);
		return -1;
	}
	gb->gb_removed = 1;
	return 0;
}

/* Removes the aliases whose file is gone or was just removed. */
static size_t
gc_remove_aliases(struct gc *gc, struct gc_set *removed, int dry_run,
    int quiet)
{
	struct gc_blob	*gb;
	size_t		 i, n = 0;

	for (i = 0; i < gc->gc_nblobs; i++) {
		gb = &gc->gc_blobs[i];
		if (gb->gb_target == NULL || (!gb->gb_dangling &&
		    gc_set_find(removed, gb->gb_target) == -1))
			continue;
		if (gc_remove(gc, gb, dry_run, NULL, quiet) == 0)
			n++;
	}
	return n;
}

static void
gc_free(struct gc *gc)
{
	size_t	i;

	for (i = 0; i < gc->gc_nblobs; i++) {
		free(gc->gc_blobs[i].gb_hex);
		free(gc->gc_blobs[i].gb_target);
	}
	free(gc->gc_blobs);
	gc_set_free(&gc->gc_refs);
}

/* Takes every configured mirror's lock, waiting; fds[] gets them. */
static int
gc_lock_mirrors(struct cli *cl, int **fds, size_t *n)
{
	struct mirror	*mi;
	char		*why = NULL;

	*fds = NULL;
	*n = 0;
	TAILQ_FOREACH(mi, &cl->cl_cf->cf_mirrors, mi_entry) {
		*fds = xreallocarray(*fds, *n + 1, sizeof **fds);
		if (((*fds)[*n] = lock_take_mirror(cl->cl_cf->cf_store,
		    mi->mi_name, &why)) == -1) {
			log_warnx("%s", why);
			free(why);
			return -1;
		}
		(*n)++;
	}
	return 0;
}

static void
gc_unlock_mirrors(int *fds, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		lock_release(fds[i]);
	free(fds);
}

static const struct option gc_options[] = {
	{ "dry-run",	no_argument,	NULL,	'n' },
	{ NULL,		0,		NULL,	0 }
};

static int
cmd_gc_exec(struct cli *cl, const struct cli_cmd *cc, int argc, char **argv)
{
	struct gc	 gc;
	struct gc_set	 cand, removed;
	struct gc_blob	*gb;
	char		 h1[32], h2[32], *why = NULL;
	long long	 freed = 0, kept = 0;
	size_t		 i, nfreed = 0, nkept = 0, naliases, nlocks = 0;
	ssize_t		 slot;
	int		 ch, dry_run = 0, *locks = NULL, storefd = -1;
	int		 rc = CLI_ERROR;

	while ((ch = getopt_long(argc, argv, "n", gc_options, NULL)) != -1) {
		switch (ch) {
		case 'n':
			dry_run = 1;
			break;
		default:
			return cli_usage(cc);
		}
	}
	if (argc != optind)
		return cli_usage(cc);
	memset(&gc, 0, sizeof gc);
	memset(&cand, 0, sizeof cand);
	memset(&removed, 0, sizeof removed);
	gc.gc_cli = cl;
	/* The order a sync takes them in: its mirror's, then the store's. */
	if (gc_lock_mirrors(cl, &locks, &nlocks) != 0)
		goto out;
	if (cli_open(cl, 0) != 0)
		goto out;
	if ((storefd = lock_take_store(cl->cl_cf->cf_store, &why)) == -1) {
		log_warnx("%s", why);
		free(why);
		goto out;
	}
	cl->cl_ix.ix_now = clock_now();
	if (gc_refs(&gc) != 0 || gc_scan(&gc) != 0)
		goto out;
	gc_mark(&gc);
	gc_rekey(&gc, dry_run);
	for (i = 0; i < gc.gc_nblobs; i++) {
		gb = &gc.gc_blobs[i];
		if (gb->gb_target == NULL && !gb->gb_needed)
			gc_set_add(&cand, gb->gb_hex);
	}
	gc_names(&gc, &cand);
	for (i = 0; i < gc.gc_nblobs; i++) {
		gb = &gc.gc_blobs[i];
		if (gb->gb_target != NULL)
			continue;
		if (gb->gb_needed) {
			nkept++;
			kept += gb->gb_size;
			continue;
		}
		slot = gc_set_find(&cand, gb->gb_hex);
		if (gc_remove(&gc, gb, dry_run, slot != -1 ?
		    cand.gs_names[slot] : NULL, 0) != 0)
			continue;
		gc_set_add(&removed, gb->gb_hex);
		nfreed++;
		freed += gb->gb_size;
	}
	naliases = gc_remove_aliases(&gc, &removed, dry_run, 0);
	printf("%s %zu file%s (%s) and %zu alias%s; kept %zu file%s (%s) "
	    "that views, snapshots, retained versions or mirror metadata "
	    "need\n", dry_run ? "would remove" : "removed", nfreed,
	    nfreed == 1 ? "" : "s", gc_human(freed, h1, sizeof h1), naliases,
	    naliases == 1 ? "" : "es", nkept, nkept == 1 ? "" : "s",
	    gc_human(kept, h2, sizeof h2));
	if (cl->cl_cf->cf_store_quota > 0 && kept > cl->cl_cf->cf_store_quota)
		log_warnx("store-quota: the blobs that are needed take %s, "
		    "more than the quota of %s", gc_human(kept, h1, sizeof h1),
		    gc_human(cl->cl_cf->cf_store_quota, h2, sizeof h2));
	rc = CLI_OK;
out:
	lock_release(storefd);
	gc_unlock_mirrors(locks, nlocks);
	gc_set_free(&cand);
	gc_set_free(&removed);
	gc_free(&gc);
	return rc;
}

static int
gc_by_atime(const void *a, const void *b)
{
	const struct gc_blob	*x = *(const struct gc_blob *const *)a;
	const struct gc_blob	*y = *(const struct gc_blob *const *)b;

	if (x->gb_atime != y->gb_atime)
		return x->gb_atime < y->gb_atime ? -1 : 1;
	if (x->gb_stored != y->gb_stored)
		return x->gb_stored < y->gb_stored ? -1 : 1;
	return strcmp(x->gb_hex, y->gb_hex);
}

void
cli_quota(struct cli *cl)
{
	struct config	 *cf = cl->cl_cf;
	struct mirror	 *mi;
	struct gc	  gc;
	struct gc_set	  removed;
	struct gc_blob	**v = NULL, *gb;
	char		  h1[32], h2[32], h3[32], *why = NULL;
	long long	  used, freed = 0;
	size_t		  i, n = 0, nlocks = 0, nfreed = 0;
	int		 *locks = NULL, storefd = -1, fd;

	if (cf->cf_store_quota <= 0 || !cl->cl_open ||
	    cl->cl_ix.ix_blobs == NULL)
		return;
	memset(&gc, 0, sizeof gc);
	memset(&removed, 0, sizeof removed);
	gc.gc_cli = cl;
	if (gc_scan(&gc) != 0 || gc.gc_bytes <= cf->cf_store_quota)
		goto out;
	TAILQ_FOREACH(mi, &cf->cf_mirrors, mi_entry) {
		if ((fd = lock_try_mirror(cf->cf_store, mi->mi_name)) == -1) {
			log_info("store-quota: the blobs take %s, more than %s; "
			    "a sync of mirror %s is running and evicts at its "
			    "end", gc_human(gc.gc_bytes, h1, sizeof h1),
			    gc_human(cf->cf_store_quota, h2, sizeof h2),
			    mi->mi_name);
			goto out;
		}
		locks = xreallocarray(locks, nlocks + 1, sizeof *locks);
		locks[nlocks++] = fd;
	}
	if (!cl->cl_ix.ix_store_locked &&
	    (storefd = lock_take_store(cf->cf_store, &why)) == -1) {
		log_warnx("store-quota: %s", why);
		free(why);
		goto out;
	}
	/* Again under the locks: a sync may have stored more meanwhile. */
	gc_free(&gc);
	memset(&gc, 0, sizeof gc);
	gc.gc_cli = cl;
	cl->cl_ix.ix_now = clock_now();
	if (gc_refs(&gc) != 0 || gc_scan(&gc) != 0)
		goto out;
	gc_mark(&gc);
	v = xcalloc(gc.gc_nblobs + 1, sizeof *v);
	for (i = 0; i < gc.gc_nblobs; i++) {
		gb = &gc.gc_blobs[i];
		if (gb->gb_target == NULL && !gb->gb_needed)
			v[n++] = gb;
	}
	qsort(v, n, sizeof *v, gc_by_atime);
	used = gc.gc_bytes;
	for (i = 0; i < n && used > cf->cf_store_quota; i++) {
		if (gc_remove(&gc, v[i], 0, NULL, 1) != 0)
			continue;
		log_debug("store-quota: evicted %s:%s (%lld bytes)",
		    v[i]->gb_algo, v[i]->gb_hex, v[i]->gb_size);
		gc_set_add(&removed, v[i]->gb_hex);
		used -= v[i]->gb_size;
		freed += v[i]->gb_size;
		nfreed++;
	}
	gc_remove_aliases(&gc, &removed, 0, 1);
	if (nfreed > 0)
		log_info("store-quota: evicted %zu file%s no view needs (%s); "
		    "the blobs take %s of %s", nfreed, nfreed == 1 ? "" : "s",
		    gc_human(freed, h1, sizeof h1), gc_human(used, h2,
		    sizeof h2), gc_human(cf->cf_store_quota, h3, sizeof h3));
	if (used > cf->cf_store_quota)
		log_warnx("store-quota: the blobs that are needed take %s, "
		    "more than the quota of %s; nothing they need is removed",
		    gc_human(used, h1, sizeof h1),
		    gc_human(cf->cf_store_quota, h2, sizeof h2));
out:
	free(v);
	if (storefd != -1)
		lock_release(storefd);
	gc_unlock_mirrors(locks, nlocks);
	gc_set_free(&removed);
	gc_free(&gc);
}
