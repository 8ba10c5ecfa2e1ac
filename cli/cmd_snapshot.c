/*
 * snapshot: freezes a group's view under a name, for CI and for rollbacks
 * (DESIGN.md, Snapshots).  A snapshot is one sealed generation per mirror
 * under STORE/snapshots/NAME/MIRROR/ (view.h's layout), served by
 * patchgated at /_snapshot/NAME/MIRROR/, and a row in the store for
 * "snapshot list".  Every package file it lists is stored in the blob
 * store first, which never deletes, so a snapshot keeps working after
 * upstream deletes its files; apt's Release of a snapshot carries no
 * Valid-Until, as it is never republished.  A snapshot appears whole or
 * not at all: every mirror is written into STORE/snapshots/.NAME.tmp,
 * renamed into place at the end.  Local names carry sn_.
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "log.h"
#include "planner.h"
#include "store.h"
#include "store_query.h"
#include "util.h"
#include "view.h"
#include "xmalloc.h"

static int	cmd_snapshot_exec(struct cli *, const struct cli_cmd *, int,
		    char **);

const struct cli_cmd cmd_snapshot_entry = {
	"snapshot", "create NAME --group GROUP [--mirror MIRROR] [--json] | "
	    "list [--json] | delete NAME", cmd_snapshot_exec
};

/* One mirror of a snapshot, as written or as listed. */
struct sn_mirror {
	char		*sm_name;
	char		*sm_type;
	long long	 sm_versions;
};

struct sn_snapshot {
	char		 *ss_name;
	char		 *ss_group;
	time_t		  ss_created;	/* the clock the view was planned at */
	time_t		  ss_written;	/* the wall clock */
	struct sn_mirror *ss_mirrors;
	size_t		  ss_nmirrors;
};

static void
sn_snapshot_free(struct sn_snapshot *ss)
{
	size_t	i;

	for (i = 0; i < ss->ss_nmirrors; i++) {
		free(ss->ss_mirrors[i].sm_name);
		free(ss->ss_mirrors[i].sm_type);
	}
	free(ss->ss_mirrors);
	free(ss->ss_name);
	free(ss->ss_group);
	memset(ss, 0, sizeof *ss);
}

/* STORE/snapshots/<prefix>NAME<suffix>; caller-freed. */
static char *
sn_path(struct cli *cl, const char *prefix, const char *name,
    const char *suffix)
{
	char	*path;

	xasprintf(&path, "%s/snapshots/%s%s%s", cl->cl_cf->cf_store, prefix,
	    name, suffix);
	return path;
}

/* Whether the store has a row for name: 1, 0, or -1 on error. */
static int
sn_db_exists(struct store *st, const char *name, char **cause)
{
	long long	 one;

	return store_one(st, cause, &one, "SELECT 1 FROM snapshots WHERE "
	    "name = ?1", "t", name);
}

/* Records a snapshot; inside the caller's transaction. */
static int
sn_db_insert(struct store *st, const struct sn_snapshot *ss, char **cause)
{
	size_t		 i;

	if (store_run(st, cause, "INSERT INTO snapshots (name, grp, created, "
	    "written) VALUES (?1, ?2, ?3, ?4)", "ttII", ss->ss_name,
	    ss->ss_group, (long long)ss->ss_created,
	    (long long)ss->ss_written) != 0)
		return -1;
	for (i = 0; i < ss->ss_nmirrors; i++) {
		if (store_run(st, cause, "INSERT INTO snapshot_mirrors "
		    "(snapshot, mirror, type, versions) VALUES (?1, ?2, ?3, "
		    "?4)", "tttI", ss->ss_name, ss->ss_mirrors[i].sm_name,
		    ss->ss_mirrors[i].sm_type,
		    (long long)ss->ss_mirrors[i].sm_versions) != 0)
			return -1;
	}
	return 0;
}

static int
sn_db_delete(struct store *st, const char *name, char **cause)
{
	return store_run(st, cause, "DELETE FROM snapshots WHERE name = ?1",
	    "t", name);
}

/* Every snapshot, oldest first; caller frees each and *v. */
static int
sn_db_list(struct store *st, struct sn_snapshot **v, size_t *n, char **cause)
{
	sqlite3_stmt		*stmt;
	struct sn_snapshot	*ss;
	struct sn_mirror	*sm;
	size_t			 i;
	int			 rc;

	*v = NULL;
	*n = 0;
	stmt = store_query(st, cause, "SELECT name, grp, created, written "
	    "FROM snapshots ORDER BY created, name", "");
	if (stmt == NULL)
		goto fail;
	while ((rc = store_step(st, stmt, cause)) == 1) {
		*v = xreallocarray(*v, *n + 1, sizeof **v);
		ss = &(*v)[(*n)++];
		memset(ss, 0, sizeof *ss);
		ss->ss_name = xstrdup((const char *)sqlite3_column_text(stmt, 0));
		ss->ss_group = xstrdup((const char *)sqlite3_column_text(stmt, 1));
		ss->ss_created = sqlite3_column_int64(stmt, 2);
		ss->ss_written = sqlite3_column_int64(stmt, 3);
	}
	if (rc != 0)
		goto fail;
	for (i = 0; i < *n; i++) {
		ss = &(*v)[i];
		stmt = store_query(st, cause, "SELECT mirror, type, versions "
		    "FROM snapshot_mirrors WHERE snapshot = ?1 ORDER BY mirror",
		    "t", ss->ss_name);
		if (stmt == NULL)
			goto fail;
		while ((rc = store_step(st, stmt, cause)) == 1) {
			ss->ss_mirrors = xreallocarray(ss->ss_mirrors,
			    ss->ss_nmirrors + 1, sizeof *ss->ss_mirrors);
			sm = &ss->ss_mirrors[ss->ss_nmirrors++];
			sm->sm_name = xstrdup((const char *)
			    sqlite3_column_text(stmt, 0));
			sm->sm_type = xstrdup((const char *)
			    sqlite3_column_text(stmt, 1));
			sm->sm_versions = sqlite3_column_int64(stmt, 2);
		}
		if (rc != 0)
			goto fail;
	}
	return 0;
fail:
	for (i = 0; i < *n; i++)
		sn_snapshot_free(&(*v)[i]);
	free(*v);
	*v = NULL;
	*n = 0;
	return -1;
}

static json_t *
sn_json(const struct sn_snapshot *ss)
{
	json_t	*j, *ms, *m;
	char	*url;
	size_t	 i;

	j = json_object();
	json_object_set_new(j, "name", json_string(ss->ss_name));
	json_object_set_new(j, "group", json_string(ss->ss_group));
	json_object_set_new(j, "created", cli_json_time(ss->ss_created));
	json_object_set_new(j, "written", cli_json_time(ss->ss_written));
	ms = json_array();
	for (i = 0; i < ss->ss_nmirrors; i++) {
		m = json_object();
		json_object_set_new(m, "name",
		    json_string(ss->ss_mirrors[i].sm_name));
		json_object_set_new(m, "type",
		    json_string(ss->ss_mirrors[i].sm_type));
		json_object_set_new(m, "versions",
		    json_integer(ss->ss_mirrors[i].sm_versions));
		xasprintf(&url, "/_snapshot/%s/%s/", ss->ss_name,
		    ss->ss_mirrors[i].sm_name);
		json_object_set_new(m, "path", json_string(url));
		free(url);
		json_array_append_new(ms, m);
	}
	json_object_set_new(j, "mirrors", ms);
	return j;
}

static void
sn_print(const struct sn_snapshot *ss)
{
	char	c[32];
	size_t	i;

	printf("%-24s %-12s %-20s", ss->ss_name, ss->ss_group,
	    cli_time(ss->ss_created, c, sizeof c));
	for (i = 0; i < ss->ss_nmirrors; i++)
		printf(" %s:%lld", ss->ss_mirrors[i].sm_name,
		    ss->ss_mirrors[i].sm_versions);
	printf("\n");
}

/*
 * Stores the file of every version the plan in fa lists that is not in
 * the blob store yet, and plans again with them stored.  Returns the new
 * plan, or NULL after saying which files could not be had.
 */
static struct plan *
sn_store_files(struct cli *cl, struct group *gr, struct mirror *mi,
    struct facts *fa, struct plan *pl, const char *name)
{
	struct indexer	*ix = &cl->cl_ix;
	struct pub_pkg	*pp;
	unsigned char	*need;
	size_t		 i, nneed = 0, bad = 0;

	need = xcalloc(fa->fa_npkgs + 1, 1);
	for (i = 0; i < fa->fa_npkgs; i++) {
		if (fa->fa_pkgs[i].pp_listed && !fa->fa_pkgs[i].pp_stored) {
			need[i] = 1;
			nneed++;
		}
	}
	if (nneed > 0) {
		log_info("snapshot %s: mirror %s: storing %zu package file%s",
		    name, mi->mi_name, nneed, nneed == 1 ? "" : "s");
		prefetch_packages(ix, mi, fa->fa_pkgs, fa->fa_npkgs, need);
	}
	free(need);
	for (i = 0; i < fa->fa_npkgs; i++) {
		fa->fa_input[i].pk_stored = fa->fa_pkgs[i].pp_stored;
		fa->fa_input[i].pk_lost = fa->fa_pkgs[i].pp_lost;
	}
	/* Storing files changes what the planner knows: ask it again. */
	plan_free(pl);
	pl = facts_plan_served(ix, gr, mi, fa);
	for (i = 0; i < fa->fa_npkgs; i++) {
		pp = &fa->fa_pkgs[i];
		if (!pp->pp_listed || pp->pp_stored)
			continue;
		log_warnx("snapshot %s: mirror %s: %s cannot be stored: %s",
		    name, mi->mi_name, pp->pp_location,
		    pp->pp_lost ? pp->pp_lost : "not in the blob store");
		bad++;
	}
	if (bad > 0) {
		log_warnx("snapshot %s: mirror %s: %zu listed package files "
		    "cannot be stored; no snapshot was made", name,
		    mi->mi_name, bad);
		plan_free(pl);
		return NULL;
	}
	return pl;
}

/* Writes one mirror of the snapshot into dir/MIRROR, recording it in sm. */
static int
sn_write_mirror(struct cli *cl, struct group *gr, struct mirror *mi,
    const char *name, const char *dir, struct sn_mirror *sm)
{
	struct indexer	*ix = &cl->cl_ix;
	struct facts	 fa;
	struct plan	*pl;
	long long	 id;
	char		*path, *why = NULL;
	size_t		 i;
	int		 rc;

	if ((id = store_mirror_id(ix->ix_store, mi->mi_name,
	    mirror_type_name(mi->mi_type), &why)) == -1) {
		log_warnx("snapshot %s: mirror %s: %s", name, mi->mi_name, why);
		free(why);
		return -1;
	}
	if (cli_facts(cl, mi, &fa) != 0)
		return -1;
	if (fa.fa_npkgs == 0) {
		log_warnx("snapshot %s: mirror %s has no versions: run "
		    "patchgate sync first", name, mi->mi_name);
		facts_free(&fa);
		return -1;
	}
	pl = facts_plan_served(ix, gr, mi, &fa);
	if ((pl = sn_store_files(cl, gr, mi, &fa, pl, name)) == NULL) {
		facts_free(&fa);
		return -1;
	}
	sm->sm_name = xstrdup(mi->mi_name);
	sm->sm_type = xstrdup(mirror_type_name(mi->mi_type));
	for (i = 0; i < fa.fa_npkgs; i++) {
		if (fa.fa_pkgs[i].pp_listed)
			sm->sm_versions++;
	}
	xasprintf(&path, "%s/%s", dir, mi->mi_name);
	ix->ix_snapshot = 1;
	rc = publish_frozen(ix, gr, mi, id, &fa, path, &why);
	ix->ix_snapshot = 0;
	if (rc != 0) {
		log_warnx("snapshot %s: mirror %s: %s", name, mi->mi_name, why);
		free(why);
	}
	free(path);
	plan_free(pl);
	facts_free(&fa);
	return rc;
}

static int
sn_create(struct cli *cl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "group", required_argument, NULL, 'g' },
		{ "mirror", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct config		*cf = cl->cl_cf;
	struct sn_snapshot	 ss;
	struct group		*gr;
	struct mirror		*only = NULL, **mirrors;
	struct stat		 sb;
	const char		*name, *gname = NULL, *mname = NULL;
	char			*why = NULL, *tmp = NULL, *dir = NULL, *top;
	char			*gpath, *gline;
	char			 c[32];
	size_t			 i, n;
	int			 ch, json = 0, rc = CLI_ERROR, renamed = 0;

	while ((ch = getopt_long(argc, argv, "g:m:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'g':
			gname = optarg;
			break;
		case 'm':
			mname = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage(&cmd_snapshot_entry);
		}
	}
	if (optind + 1 != argc || gname == NULL)
		return cli_usage(&cmd_snapshot_entry);
	name = argv[optind];
	if (!view_snapshot_name_ok(name, &why)) {
		log_warnx("%s", why);
		free(why);
		return CLI_ERROR;
	}
	if ((gr = config_find_group(cf, gname)) == NULL) {
		log_warnx("no group named %s in %s", gname, cf->cf_path);
		return CLI_ERROR;
	}
	if (mname != NULL) {
		if ((only = config_find_mirror(cf, mname)) == NULL) {
			log_warnx("no mirror named %s in %s", mname,
			    cf->cf_path);
			return CLI_ERROR;
		}
		if (!group_has_mirror(gr, only)) {
			log_warnx("group %s does not use mirror %s", gr->gr_name,
			    only->mi_name);
			return CLI_ERROR;
		}
	}
	if (cli_open(cl, 1) != 0)
		return CLI_ERROR;

	dir = sn_path(cl, "", name, "");
	switch (sn_db_exists(cl->cl_ix.ix_store, name, &why)) {
	case -1:
		log_warnx("%s", why);
		free(why);
		free(dir);
		return CLI_ERROR;
	case 1:
		log_warnx("snapshot %s already exists", name);
		free(dir);
		return CLI_ERROR;
	}
	if (lstat(dir, &sb) == 0) {
		log_warnx("snapshot %s already exists (%s)", name, dir);
		free(dir);
		return CLI_ERROR;
	}

	memset(&ss, 0, sizeof ss);
	ss.ss_name = xstrdup(name);
	ss.ss_group = xstrdup(gr->gr_name);
	ss.ss_created = cl->cl_ix.ix_now;
	ss.ss_written = time(NULL);
	if (only != NULL) {
		mirrors = xcalloc(1, sizeof *mirrors);
		mirrors[0] = only;
		n = 1;
	} else {
		mirrors = xcalloc(gr->gr_nmirrors + 1, sizeof *mirrors);
		for (i = 0; i < gr->gr_nmirrors; i++)
			mirrors[i] = gr->gr_mirrors[i];
		n = gr->gr_nmirrors;
	}
	ss.ss_mirrors = xcalloc(n + 1, sizeof *ss.ss_mirrors);

	/* We hold the indexer lock: a leftover here is a crashed create's. */
	tmp = sn_path(cl, ".", name, ".tmp");
	if (remove_tree(tmp) == -1 && errno != ENOENT) {
		log_warn("%s", tmp);
		goto out;
	}
	if (mkdir_p(tmp, 0755) == -1) {
		log_warn("%s", tmp);
		goto out;
	}
	/* Whose allow and auth-file patchgated applies to it. */
	xasprintf(&gpath, "%s/%s", tmp, VIEW_SNAPSHOT_GROUP_NAME);
	xasprintf(&gline, "%s\n", gr->gr_name);
	if (file_write_atomic(gpath, gline, strlen(gline), &why) != 0) {
		free(gpath);
		free(gline);
		goto fail_why;
	}
	free(gpath);
	free(gline);
	for (i = 0; i < n; i++) {
		/* Counted even when it fails: sn_snapshot_free() frees it. */
		if (sn_write_mirror(cl, gr, mirrors[i], name, tmp,
		    &ss.ss_mirrors[ss.ss_nmirrors++]) != 0)
			goto out;
	}

	if (store_begin(cl->cl_ix.ix_store, &why) != 0)
		goto fail_why;
	if (sn_db_insert(cl->cl_ix.ix_store, &ss, &why) != 0) {
		store_rollback(cl->cl_ix.ix_store);
		goto fail_why;
	}
	if (rename(tmp, dir) == -1) {
		log_warn("%s", dir);
		store_rollback(cl->cl_ix.ix_store);
		goto out;
	}
	renamed = 1;
	top = sn_path(cl, "", "", "");
	dir_sync(top);
	free(top);
	if (store_commit(cl->cl_ix.ix_store, &why) != 0) {
		store_rollback(cl->cl_ix.ix_store);
		goto fail_why;
	}
	renamed = 0;
	rc = CLI_OK;
	if (json) {
		if (cli_json_print(sn_json(&ss)) != 0)
			rc = CLI_ERROR;
	} else {
		printf("snapshot %s of group %s at %s:\n", ss.ss_name,
		    ss.ss_group, cli_time(ss.ss_created, c, sizeof c));
		for (i = 0; i < ss.ss_nmirrors; i++)
			printf("  /_snapshot/%s/%s/  %lld versions\n", ss.ss_name,
			    ss.ss_mirrors[i].sm_name,
			    ss.ss_mirrors[i].sm_versions);
	}
	goto done;
fail_why:
	log_warnx("snapshot %s: %s", name, why);
	free(why);
out:
	if (renamed && remove_tree(dir) == -1)
		log_warn("%s", dir);
	if (rc != CLI_OK) {
		if (tmp != NULL && remove_tree(tmp) == -1 && errno != ENOENT)
			log_warn("%s", tmp);
		log_warnx("snapshot %s was not created", name);
	}
done:
	free(mirrors);
	free(tmp);
	free(dir);
	sn_snapshot_free(&ss);
	return rc;
}

json_t *
cli_snapshots_json(struct cli *cl)
{
	struct sn_snapshot	*v;
	json_t			*j, *a;
	char			*why = NULL;
	size_t			 i, n;

	if (sn_db_list(cl->cl_ix.ix_store, &v, &n, &why) != 0) {
		log_warnx("%s", why);
		free(why);
		return NULL;
	}
	j = json_object();
	a = json_array();
	for (i = 0; i < n; i++) {
		json_array_append_new(a, sn_json(&v[i]));
		sn_snapshot_free(&v[i]);
	}
	free(v);
	json_object_set_new(j, "snapshots", a);
	return j;
}

static int
sn_list(struct cli *cl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct sn_snapshot	*v;
	json_t			*j;
	char			*why = NULL;
	size_t			 i, n;
	int			 ch, json = 0, rc = CLI_OK;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage(&cmd_snapshot_entry);
		}
	}
	if (optind != argc)
		return cli_usage(&cmd_snapshot_entry);
	if (cli_open(cl, 0) != 0)
		return CLI_ERROR;
	if (json) {
		if ((j = cli_snapshots_json(cl)) == NULL ||
		    cli_json_print(j) != 0)
			return CLI_ERROR;
		return CLI_OK;
	}
	if (sn_db_list(cl->cl_ix.ix_store, &v, &n, &why) != 0) {
		log_warnx("%s", why);
		free(why);
		return CLI_ERROR;
	}
	if (n > 0)
		printf("%-24s %-12s %-20s %s\n", "NAME", "GROUP", "CREATED",
		    "MIRROR:VERSIONS");
	for (i = 0; i < n; i++) {
		sn_print(&v[i]);
		sn_snapshot_free(&v[i]);
	}
	free(v);
	if (fflush(stdout) != 0) {
		log_warnx("standard output: cannot write");
		rc = CLI_ERROR;
	}
	return rc;
}

static int
sn_delete(struct cli *cl, int argc, char **argv)
{
	struct stat	 sb;
	const char	*name;
	char		*why = NULL, *dir = NULL, *del = NULL, *top;
	int		 rc = CLI_ERROR, inrow, indir;

	if (argc != 2 || argv[1][0] == '-')
		return cli_usage(&cmd_snapshot_entry);
	name = argv[1];
	if (!view_snapshot_name_ok(name, &why)) {
		log_warnx("%s", why);
		free(why);
		return CLI_ERROR;
	}
	if (cli_open(cl, 1) != 0)
		return CLI_ERROR;
	if ((inrow = sn_db_exists(cl->cl_ix.ix_store, name, &why)) == -1)
		goto fail_why;
	dir = sn_path(cl, "", name, "");
	del = sn_path(cl, ".", name, ".del");
	indir = lstat(dir, &sb) == 0;
	if (!inrow && !indir) {
		log_warnx("no snapshot named %s", name);
		goto out;
	}
	/* Out of patchgated's sight at once, then removed at leisure. */
	if (indir) {
		if (remove_tree(del) == -1 && errno != ENOENT) {
			log_warn("%s", del);
			goto out;
		}
		if (rename(dir, del) == -1) {
			log_warn("%s", dir);
			goto out;
		}
		top = sn_path(cl, "", "", "");
		dir_sync(top);
		free(top);
	}
	if (inrow && sn_db_delete(cl->cl_ix.ix_store, name, &why) != 0)
		goto fail_why;
	if (indir && remove_tree(del) == -1) {
		log_warn("%s", del);
		goto out;
	}
	log_info("snapshot %s deleted", name);
	rc = CLI_OK;
	goto out;
fail_why:
	log_warnx("snapshot %s: %s", name, why);
	free(why);
out:
	free(dir);
	free(del);
	return rc;
}

static int
cmd_snapshot_exec(struct cli *cl, const struct cli_cmd *cc, int argc,
    char **argv)
{
	/* The subcommand is argv[0] of its own options. */
	argc--;
	argv++;
	if (argc < 1)
		return cli_usage(cc);
	optind = 0;
	if (strcmp(argv[0], "create") == 0)
		return sn_create(cl, argc, argv);
	if (strcmp(argv[0], "list") == 0)
		return sn_list(cl, argc, argv);
	if (strcmp(argv[0], "delete") == 0)
		return sn_delete(cl, argc, argv);
	return cli_usage(cc);
}
