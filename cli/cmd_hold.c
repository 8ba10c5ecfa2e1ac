/*
 * hold and unhold: an admin's emergency blocks, kept in the store (table
 * holds) rather than in patchgate.conf, so that they take effect without
 * editing the configuration and leave a record.  Both publish again every
 * view the hold can change before returning, so that clients see it on
 * their next metadata refresh; the planner applies holds (planner.h,
 * struct plan_hold), publishing only renders its verdicts.
 */
#include "config.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "clock.h"
#include "events.h"
#include "log.h"
#include "planner.h"
#include "store.h"
#include "store_query.h"
#include "view.h"
#include "visibility.h"
#include "xmalloc.h"

static int	cmd_hold_exec(struct cli *, const struct cli_cmd *, int, char **);
static int	cmd_unhold_exec(struct cli *, const struct cli_cmd *, int,
		    char **);
static int	cmd_hold_run(struct cli *, const struct cli_cmd *, int, char **);
static int	cmd_unhold_run(struct cli *, const struct cli_cmd *, int,
		    char **);

const struct cli_cmd cmd_hold_entry = {
	"hold", "pattern [--group group] --reason text [--until time]",
	cmd_hold_exec
};

const struct cli_cmd cmd_unhold_entry = {
	"unhold", "pattern [--group group]", cmd_unhold_exec
};

/* The rules of "rejected" in patchgate.conf. */
static int
hold_check_pattern(const char *pattern)
{
	const char	*why;

	if ((why = conf_pattern_invalid(pattern)) != NULL) {
		log_warnx("\"%s\" %s", pattern, why);
		return -1;
	}
	return 0;
}

/*
 * Whether the mirror has synced once: before that it has no view to redo.
 * 1 or 0, or -1 with a cause.
 */
static int
hold_mirror_synced(struct cli *cl, struct mirror *mi, char **cause)
{
	long long	 synced;
	int		 rc;

	rc = store_one(cl->cl_ix.ix_store, cause, &synced, "SELECT "
	    "first_sync IS NOT NULL FROM mirrors WHERE name = ?1", "t",
	    mi->mi_name);
	if (rc == -1)
		return -1;
	return rc == 1 && synced != 0;
}

/* The generation's directory name ("gen-000004"); caller-freed, or NULL. */
static char *
hold_generation(struct cli *cl, struct group *gr, struct mirror *mi)
{
	char	*cur, *slash, *name;

	cur = view_current(cl->cl_cf->cf_store, gr->gr_name, mi->mi_name);
	if (cur == NULL)
		return NULL;
	slash = strrchr(cur, '/');
	name = xstrdup(slash != NULL ? slash + 1 : cur);
	free(cur);
	return name;
}

/*
 * Publishes again every view of the mirrors that group only (NULL: every
 * group) uses, and says for each of only's views whether it got a new
 * generation and how many versions the pattern names now: hidden by a
 * hold (hold), or listed (unhold).  0, or -1 when a mirror failed.
 */
static int
hold_republish(struct cli *cl, struct group *only, const char *pattern,
    int holding)
{
	struct config	*cf = cl->cl_cf;
	struct mirror	*mi;
	struct group	*gr;
	struct facts	 fa;
	struct plan	*pl;
	struct vis_package vp;
	char		*why = NULL, **before, *after;
	size_t		 i, g, ngroups = 0, count;
	int		 changed, failed = 0, uses, synced;

	TAILQ_FOREACH(gr, &cf->cf_groups, gr_entry)
		ngroups++;
	before = xcalloc(ngroups + 1, sizeof *before);
	TAILQ_FOREACH(mi, &cf->cf_mirrors, mi_entry) {
		uses = 0;
		g = 0;
		TAILQ_FOREACH(gr, &cf->cf_groups, gr_entry) {
			before[g] = NULL;
			if ((only == NULL || gr == only) &&
			    group_has_mirror(gr, mi)) {
				uses = 1;
				before[g] = hold_generation(cl, gr, mi);
			}
			g++;
		}
		if (!uses)
			continue;
		if ((synced = hold_mirror_synced(cl, mi, &why)) != 1) {
			if (synced == 0)
				printf("mirror %s: never synced, no view to "
				    "publish\n", mi->mi_name);
			else {
				log_warnx("mirror %s: %s", mi->mi_name, why);
				free(why);
				why = NULL;
				failed++;
			}
			goto next;
		}
		if (publish_mirror(&cl->cl_ix, mi, &changed, &why) != 0) {
			log_warnx("mirror %s: %s", mi->mi_name, why);
			free(why);
			why = NULL;
			failed++;
			goto next;
		}
		if (cli_facts(cl, mi, &fa) != 0) {
			failed++;
			goto next;
		}
		g = 0;
		TAILQ_FOREACH(gr, &cf->cf_groups, gr_entry) {
			if (!((only == NULL || gr == only) &&
			    group_has_mirror(gr, mi))) {
				g++;
				continue;
			}
			pl = facts_plan_served(&cl->cl_ix, gr, mi, &fa);
			count = 0;
			for (i = 0; i < fa.fa_npkgs; i++) {
				vp = fa.fa_input[i].pk_vis;
				if (!visibility_pattern_matches(pattern, &vp))
					continue;
				if (holding ?
				    pl->pl_verdicts[i].pv_reason == PLAN_HELD :
				    pl->pl_verdicts[i].pv_listed)
					count++;
			}
			plan_free(pl);
			after = hold_generation(cl, gr, mi);
			if (after != NULL && (before[g] == NULL ||
			    strcmp(before[g], after) != 0))
				printf("group %s, mirror %s: new generation "
				    "%s", gr->gr_name, mi->mi_name, after);
			else
				printf("group %s, mirror %s: unchanged (%s)",
				    gr->gr_name, mi->mi_name,
				    after != NULL ? after : "never published");
			if (holding)
				printf("; the hold hides %zu version%s\n", count,
				    count == 1 ? "" : "s");
			else
				printf("; %zu version%s matching %s listed\n",
				    count, count == 1 ? "" : "s", pattern);
			free(after);
			g++;
		}
		facts_free(&fa);
next:
		for (g = 0; g < ngroups; g++) {
			free(before[g]);
			before[g] = NULL;
		}
	}
	free(before);
	if (fflush(stdout) != 0)
		log_warnx("standard output: cannot write");
	if (failed > 0) {
		log_warnx("%s recorded, but %d mirror%s not published again; "
		    "run patchgate publish", holding ? "the hold is" :
		    "the removal is", failed, failed == 1 ? " was" : "s were");
		return -1;
	}
	return 0;
}

/* Records the hold, or renews the one on the same pattern and group. */
static int
hold_store(struct cli *cl, const char *pattern, const char *group,
    const char *reason, time_t until, int *renewed)
{
	struct store	*st = cl->cl_ix.ix_store;
	long long	 id;
	char		*why = NULL;
	int		 rc;

	if (store_begin(st, &why) != 0)
		goto fail;
	if ((rc = store_one(st, &why, &id, "SELECT id FROM holds WHERE "
	    "pattern = ?1 AND grp IS ?2 ORDER BY id LIMIT 1", "tt", pattern,
	    group)) == -1)
		goto fail;
	*renewed = rc == 1;
	if (*renewed)
		rc = store_run(st, &why, "UPDATE holds SET reason = ?2, until = "
		    "?3, created = ?4 WHERE id = ?1", "ItII", id, reason,
		    (long long)until, (long long)cl->cl_ix.ix_now);
	else
		rc = store_run(st, &why, "INSERT INTO holds (pattern, grp, "
		    "reason, until, created) VALUES (?1, ?2, ?3, ?4, ?5)",
		    "tttII", pattern, group, reason, (long long)until,
		    (long long)cl->cl_ix.ix_now);
	if (rc != 0)
		goto fail;
	if (store_commit(st, &why) != 0)
		goto fail;
	return 0;
fail:
	store_rollback(st);
	log_warnx("%s", why);
	free(why);
	return -1;
}

static const struct option hold_options[] = {
	{ "group",	required_argument,	NULL,	'g' },
	{ "reason",	required_argument,	NULL,	'r' },
	{ "until",	required_argument,	NULL,	'u' },
	{ NULL,		0,			NULL,	0 }
};

static int
cmd_hold_exec(struct cli *cl, const struct cli_cmd *cc, int argc, char **argv)
{
	return cmd_hold_run(cl, cc, argc, argv);
}

static int
cmd_hold_run(struct cli *cl, const struct cli_cmd *cc, int argc, char **argv)
{
	struct group	*gr = NULL;
	const char	*group = NULL, *reason = NULL, *until_arg = NULL;
	const char	*pattern;
	char		 tbuf[32];
	time_t		 until = 0;
	int		 ch, renewed;

	while ((ch = getopt_long(argc, argv, "g:r:u:", hold_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'g':
			group = optarg;
			break;
		case 'r':
			reason = optarg;
			break;
		case 'u':
			until_arg = optarg;
			break;
		default:
			return cli_usage(cc);
		}
	}
	if (argc - optind != 1 || reason == NULL)
		return cli_usage(cc);
	pattern = argv[optind];
	if (*reason == '\0') {
		log_warnx("hold: --reason must say why");
		return cli_usage(cc);
	}
	if (hold_check_pattern(pattern) != 0)
		return CLI_ERROR;
	if (group != NULL && (gr = config_find_group(cl->cl_cf, group)) ==
	    NULL) {
		log_warnx("no group named %s in %s", group, cl->cl_cf->cf_path);
		return CLI_ERROR;
	}
	if (until_arg != NULL) {
		if (time_parse_rfc3339(until_arg, &until) != 0) {
			log_warnx("--until %s: not an RFC 3339 time", until_arg);
			return CLI_ERROR;
		}
		if (until <= clock_now()) {
			log_warnx("--until %s: not in the future (now is %s)",
			    until_arg, time_format(clock_now(), tbuf,
			    sizeof tbuf));
			return CLI_ERROR;
		}
	}
	if (cli_open(cl, 1) != 0)
		return CLI_ERROR;
	if (hold_store(cl, pattern, group, reason, until, &renewed) != 0)
		return CLI_ERROR;
	printf("%s %s for %s%s: %s", renewed ? "renewed the hold on" :
	    "held", pattern, gr != NULL ? "group " : "every group",
	    gr != NULL ? gr->gr_name : "", reason);
	if (until != 0)
		printf(" (until %s)", time_format(until, tbuf, sizeof tbuf));
	printf("\n");
	events_emit(cl->cl_cf, EVENT_HOLD_ADDED, NULL, group, json_pack(
	    "{s:s,s:s,s:s?,s:b}", "pattern", pattern, "reason", reason,
	    "until", until != 0 ? tbuf : NULL, "renewed", renewed),
	    "patchgate: %s %s for %s%s: %s%s%s", renewed ? "renewed the hold "
	    "on" : "held", pattern, group ? "group " : "every group",
	    group ? group : "", reason, until != 0 ? ", until " : "",
	    until != 0 ? tbuf : "");
	return hold_republish(cl, gr, pattern, 1) == 0 ? CLI_OK : CLI_ERROR;
}

static const struct option unhold_options[] = {
	{ "group",	required_argument,	NULL,	'g' },
	{ NULL,		0,			NULL,	0 }
};

static int
cmd_unhold_run(struct cli *cl, const struct cli_cmd *cc, int argc,
    char **argv)
{
	struct store	*st;
	struct group	*gr = NULL;
	const char	*group = NULL, *pattern;
	char		*why = NULL;
	int		 ch, n;

	while ((ch = getopt_long(argc, argv, "g:", unhold_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'g':
			group = optarg;
			break;
		default:
			return cli_usage(cc);
		}
	}
	if (argc - optind != 1)
		return cli_usage(cc);
	pattern = argv[optind];
	/* A group since removed from the configuration may still be unheld. */
	if (group != NULL)
		gr = config_find_group(cl->cl_cf, group);
	if (cli_open(cl, 1) != 0)
		return CLI_ERROR;
	st = cl->cl_ix.ix_store;
	if (store_begin(st, &why) != 0)
		goto fail;
	if (store_run(st, &why, "DELETE FROM holds WHERE pattern = ?1 AND "
	    "grp IS ?2", "tt", pattern, group) != 0)
		goto fail;
	n = sqlite3_changes(store_db(st));
	if (n == 0) {
		store_rollback(st);
		if (group != NULL && gr == NULL)
			log_warnx("no group named %s in %s, and no hold on %s "
			    "for it", group, cl->cl_cf->cf_path, pattern);
		else
			log_warnx("no hold on %s for %s%s", pattern, group ?
			    "group " : "every group", group ? group : "");
		return CLI_ERROR;
	}
	if (store_commit(st, &why) != 0)
		goto fail;
	printf("removed the hold on %s for %s%s\n", pattern, group ?
	    "group " : "every group", group ? group : "");
	events_emit(cl->cl_cf, EVENT_HOLD_REMOVED, NULL, group,
	    json_pack("{s:s}", "pattern", pattern), "patchgate: removed the "
	    "hold on %s for %s%s", pattern, group ? "group " : "every group",
	    group ? group : "");
	if (group != NULL && gr == NULL)
		return CLI_OK;
	return hold_republish(cl, gr, pattern, 0) == 0 ? CLI_OK : CLI_ERROR;
fail:
	store_rollback(st);
	log_warnx("%s", why);
	free(why);
	return CLI_ERROR;
}

static int
cmd_unhold_exec(struct cli *cl, const struct cli_cmd *cc, int argc,
    char **argv)
{
	return cmd_unhold_run(cl, cc, argc, argv);
}
