/*
 * status: what an admin asks first.  Per mirror, its last sync (when, how
 * long, the result, the whole error) and its version counts; per group
 * and mirror, the generation served and what the planner says of the view
 * now (listed, held, held back for dependencies, lost, waiting, when it
 * next changes); the holds, in force or expired.  --json says the same
 * with the field names documented in patchgate(1); --html renders the
 * status page that patchgated serves at /_status (cmd_status_html.c).
 *
 * It also keeps the store's runs table, one row per mirror each time
 * sync or publish handles it (cmd_sync.c), which is where a sync's
 * duration comes from.
 */
#include "config.h"

#include <stdarg.h>
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
#include "util.h"
#include "view.h"
#include "xmalloc.h"

/* Runs kept per mirror and kind. */
#define STATUS_RUNS_KEPT	100

static int	cmd_status_exec(struct cli *, const struct cli_cmd *, int,
		    char **);

const struct cli_cmd cmd_status_entry = {
	"status", "[--json | --html]", cmd_status_exec
};

/* --- runs ------------------------------------------------------------------ */

static long long
run_msecs(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
cli_run_start(struct cli_run *cr)
{
	cr->cr_started = clock_now();
	cr->cr_msecs = run_msecs();
}

void
cli_run_end(struct cli *cl, struct mirror *mi, const char *kind,
    const struct cli_run *cr, const char *error)
{
	struct store	*st = cl->cl_ix.ix_store;
	long long	 id;
	char		*why = NULL;

	if ((id = store_mirror_id(st, mi->mi_name,
	    mirror_type_name(mi->mi_type), &why)) == -1)
		goto fail;
	if (strcmp(kind, "sync") == 0)	/* before the run is recorded */
		events_sync_result(cl->cl_cf, st, id, mi->mi_name, error);
	if (store_run(st, &why, "INSERT INTO runs (mirror, kind, started, "
	    "finished, duration_ms, result, error) VALUES (?1, ?2, ?3, ?4, "
	    "?5, ?6, ?7)", "ItIIItt", id, kind, (long long)cr->cr_started,
	    (long long)clock_now(), (long long)(run_msecs() - cr->cr_msecs),
	    error == NULL ? "ok" : "error", error) != 0)
		goto fail;
	if (store_run(st, &why, "DELETE FROM runs WHERE mirror = ?1 AND "
	    "kind = ?2 AND id <= (SELECT id FROM runs WHERE mirror = ?1 AND "
	    "kind = ?2 ORDER BY id DESC LIMIT 1 OFFSET ?3)", "Iti", id, kind,
	    STATUS_RUNS_KEPT) != 0)
		goto fail;
	return;
fail:
	log_warnx("mirror %s: recording the %s: %s", mi->mi_name, kind, why);
	free(why);
}

/* --- gathering ------------------------------------------------------------- */

struct st_run {
	int		 sr_valid;
	char		*sr_kind;
	time_t		 sr_started;
	time_t		 sr_finished;
	long long	 sr_msecs;
	char		*sr_result;
	char		*sr_error;
};

struct st_mirror {
	struct mirror	*sm_mirror;
	int		 sm_known;	/* has a row in mirrors */
	time_t		 sm_first_sync;
	time_t		 sm_last_sync;
	time_t		 sm_last_attempt;
	char		*sm_error;	/* of the last sync attempt */
	long long	 sm_versions;
	long long	 sm_upstream;
	struct st_run	 sm_last_run;	/* sync or publish */
	long long	 sm_sync_msecs;	/* the last good sync's; -1: unknown */
};

struct st_view {
	struct group	*sv_group;
	struct mirror	*sv_mirror;
	char		*sv_generation;
	time_t		 sv_published;
	int		 sv_planned;	/* the counts below are known */
	size_t		 sv_versions;
	size_t		 sv_visible;
	size_t		 sv_listed;
	size_t		 sv_held;
	size_t		 sv_rejected;
	size_t		 sv_dep_held;
	size_t		 sv_as_dependency;
	size_t		 sv_waiting;
	size_t		 sv_lost;
	size_t		 sv_at_risk;
	time_t		 sv_next_change;
	int		 sv_next_known;	/* from the view's next-change file */
};

struct st_hold {
	long long	 sh_id;
	char		*sh_pattern;
	char		*sh_group;
	char		*sh_reason;
	time_t		 sh_until;
	time_t		 sh_created;
	int		 sh_expired;
};

struct st_status {
	time_t		 ss_now;
	struct st_mirror *ss_mirrors;
	size_t		 ss_nmirrors;
	struct st_view	*ss_views;
	size_t		 ss_nviews;
	struct st_hold	*ss_holds;
	size_t		 ss_nholds;
};

static char *
st_text(sqlite3_stmt *stmt, int i)
{
	const unsigned char	*s = sqlite3_column_text(stmt, i);

	return s == NULL ? NULL : xstrdup((const char *)s);
}

static int
st_has_runs(struct store *st)
{
	long long	 one;
	char		*why = NULL;
	int		 rc;

	rc = store_one(st, &why, &one, "SELECT 1 FROM sqlite_master WHERE "
	    "type = 'table' AND name = 'runs'", "");
	free(why);
	return rc == 1;
}

/* The run the statement's first row describes, if any; -1: cause. */
static int
st_read_run(struct store *st, sqlite3_stmt *stmt, struct st_run *sr,
    char **cause)
{
	int	rc;

	if (stmt == NULL)
		return -1;
	if ((rc = store_step(st, stmt, cause)) == 1) {
		sr->sr_valid = 1;
		sr->sr_kind = st_text(stmt, 0);
		sr->sr_started = sqlite3_column_int64(stmt, 1);
		sr->sr_finished = sqlite3_column_int64(stmt, 2);
		sr->sr_msecs = sqlite3_column_int64(stmt, 3);
		sr->sr_result = st_text(stmt, 4);
		sr->sr_error = st_text(stmt, 5);
		store_done(stmt);
	}
	return rc == -1 ? -1 : 0;
}

/* What the store says of one mirror; its id, or 0 when it has no row. */
static int
st_mirror(struct cli *cl, struct st_mirror *sm, int runs, long long *id,
    char **cause)
{
	struct store	*st = cl->cl_ix.ix_store;
	sqlite3_stmt	*stmt;
	struct st_run	 good;
	int		 rc;

	*id = 0;
	sm->sm_sync_msecs = -1;
	stmt = store_query(st, cause, "SELECT id, first_sync, last_sync, "
	    "last_attempt, last_error FROM mirrors WHERE name = ?1", "t",
	    sm->sm_mirror->mi_name);
	if (stmt == NULL || (rc = store_step(st, stmt, cause)) == -1)
		return -1;
	if (rc == 0)
		return 0;
	sm->sm_known = 1;
	*id = sqlite3_column_int64(stmt, 0);
	sm->sm_first_sync = sqlite3_column_int64(stmt, 1);
	sm->sm_last_sync = sqlite3_column_int64(stmt, 2);
	sm->sm_last_attempt = sqlite3_column_int64(stmt, 3);
	sm->sm_error = st_text(stmt, 4);
	store_done(stmt);

	stmt = store_query(st, cause, "SELECT count(*), "
	    "coalesce(sum(upstream != 0), 0) FROM packages WHERE mirror = ?1",
	    "I", *id);
	if (stmt == NULL || store_step(st, stmt, cause) != 1)
		return -1;
	sm->sm_versions = sqlite3_column_int64(stmt, 0);
	sm->sm_upstream = sqlite3_column_int64(stmt, 1);
	store_done(stmt);

	if (!runs)
		return 0;
	if (st_read_run(st, store_query(st, cause, "SELECT kind, started, "
	    "finished, duration_ms, result, error FROM runs WHERE mirror = ?1 "
	    "ORDER BY id DESC LIMIT 1", "I", *id), &sm->sm_last_run,
	    cause) != 0)
		return -1;
	memset(&good, 0, sizeof good);
	if (st_read_run(st, store_query(st, cause, "SELECT kind, started, "
	    "finished, duration_ms, result, error FROM runs WHERE mirror = ?1 "
	    "AND kind = 'sync' AND result = 'ok' ORDER BY id DESC LIMIT 1",
	    "I", *id), &good, cause) != 0)
		return -1;
	if (good.sr_valid)
		sm->sm_sync_msecs = good.sr_msecs;
	free(good.sr_kind);
	free(good.sr_result);
	free(good.sr_error);
	return 0;
}

/* The generation a view serves, and when it was published. */
static void
st_generation(struct cli *cl, struct st_view *sv)
{
	char	*cur, *slash, *path, *dir, *data = NULL;
	size_t	 len;

	cur = view_current(cl->cl_cf->cf_store, sv->sv_group->gr_name,
	    sv->sv_mirror->mi_name);
	if (cur == NULL)
		return;
	slash = strrchr(cur, '/');
	sv->sv_generation = xstrdup(slash != NULL ? slash + 1 : cur);
	xasprintf(&path, "%s/created", cur);
	if (file_read(path, 256, &data, &len, NULL) == 0) {
		data[strcspn(data, "\n")] = '\0';
		if (time_parse_rfc3339(data, &sv->sv_published) != 0)
			sv->sv_published = 0;
	}
	free(data);
	free(path);
	data = NULL;
	/* Written by every publish, windows taken into account (view.h). */
	dir = view_dir(cl->cl_cf->cf_store, sv->sv_group->gr_name,
	    sv->sv_mirror->mi_name);
	xasprintf(&path, "%s/%s", dir, VIEW_NEXT_CHANGE_NAME);
	free(dir);
	if (file_read(path, 64, &data, &len, NULL) == 0) {
		long long	 v;
		char		*end;

		data[strcspn(data, "\n")] = '\0';
		v = strtoll(data, &end, 10);
		if (*data == '\0' || (*end == '\0' && v > 0)) {
			sv->sv_next_change = *data == '\0' ? 0 : (time_t)v;
			sv->sv_next_known = 1;
		}
	}
	free(data);
	free(path);
	free(cur);
}

static void
st_count(struct st_view *sv, struct plan *pl)
{
	const struct plan_verdict	*v;
	size_t				 i;

	sv->sv_planned = 1;
	sv->sv_versions = pl->pl_n;
	/* A windowed view's next change is the publish's (next-change). */
	if (sv->sv_group->gr_nwindows == 0 || !sv->sv_next_known)
		sv->sv_next_change = pl->pl_next_change;
	for (i = 0; i < pl->pl_n; i++) {
		v = &pl->pl_verdicts[i];
		sv->sv_visible += v->pv_visible != 0;
		sv->sv_listed += v->pv_listed != 0;
		sv->sv_at_risk += v->pv_at_risk != 0;
		switch (v->pv_reason) {
		case PLAN_HELD:
			sv->sv_held++;
			break;
		case PLAN_REJECTED:
			sv->sv_rejected++;
			break;
		case PLAN_NEEDS_HIDDEN:
			sv->sv_dep_held++;
			break;
		case PLAN_AS_DEPENDENCY:
			sv->sv_as_dependency++;
			break;
		case PLAN_WAITING:
			sv->sv_waiting++;
			break;
		case PLAN_LOST:
			sv->sv_lost++;
			break;
		default:
			break;
		}
	}
}

static int
st_holds(struct cli *cl, struct st_status *ss, char **cause)
{
	struct store	*st = cl->cl_ix.ix_store;
	sqlite3_stmt	*stmt;
	struct st_hold	*sh;
	int		 rc;

	stmt = store_query(st, cause, "SELECT id, pattern, grp, reason, "
	    "until, created FROM holds ORDER BY id", "");
	if (stmt == NULL)
		return -1;
	while ((rc = store_step(st, stmt, cause)) == 1) {
		ss->ss_holds = xreallocarray(ss->ss_holds, ss->ss_nholds + 1,
		    sizeof *ss->ss_holds);
		sh = &ss->ss_holds[ss->ss_nholds++];
		memset(sh, 0, sizeof *sh);
		sh->sh_id = sqlite3_column_int64(stmt, 0);
		sh->sh_pattern = st_text(stmt, 1);
		sh->sh_group = st_text(stmt, 2);
		sh->sh_reason = st_text(stmt, 3);
		sh->sh_until = sqlite3_column_int64(stmt, 4);
		sh->sh_created = sqlite3_column_int64(stmt, 5);
		/* As the planner decides (planner.c, pn_hold). */
		sh->sh_expired = sh->sh_until != 0 && sh->sh_until <= ss->ss_now;
	}
	return rc;
}

/* Gathers what status says; each view's plan goes to fn first, if any. */
static int
st_gather(struct cli *cl, struct st_status *ss, cli_plan_fn fn, void *arg)
{
	struct config		*cf = cl->cl_cf;
	struct mirror		*mi;
	struct group		*gr;
	struct st_mirror	*sm;
	struct st_view		*sv;
	struct facts		 fa;
	struct plan		*pl;
	long long		 id;
	char			*why = NULL;
	int			 runs, loaded;

	ss->ss_now = cl->cl_ix.ix_now;
	runs = st_has_runs(cl->cl_ix.ix_store);
	TAILQ_FOREACH(mi, &cf->cf_mirrors, mi_entry) {
		ss->ss_mirrors = xreallocarray(ss->ss_mirrors,
		    ss->ss_nmirrors + 1, sizeof *ss->ss_mirrors);
		sm = &ss->ss_mirrors[ss->ss_nmirrors++];
		memset(sm, 0, sizeof *sm);
		sm->sm_mirror = mi;
		if (st_mirror(cl, sm, runs, &id, &why) != 0) {
			log_warnx("mirror %s: %s", mi->mi_name, why);
			free(why);
			return -1;
		}
		/* A mirror never synced has no facts to plan with. */
		loaded = 0;
		if (sm->sm_first_sync != 0) {
			if (facts_load(&cl->cl_ix, mi, id, &fa, &why) != 0) {
				log_warnx("mirror %s: %s", mi->mi_name, why);
				free(why);
				return -1;
			}
			loaded = 1;
		}
		TAILQ_FOREACH(gr, &cf->cf_groups, gr_entry) {
			if (!group_has_mirror(gr, mi))
				continue;
			ss->ss_views = xreallocarray(ss->ss_views,
			    ss->ss_nviews + 1, sizeof *ss->ss_views);
			sv = &ss->ss_views[ss->ss_nviews++];
			memset(sv, 0, sizeof *sv);
			sv->sv_group = gr;
			sv->sv_mirror = mi;
			st_generation(cl, sv);
			if (loaded) {
				pl = facts_plan_served(&cl->cl_ix, gr, mi,
				    &fa);
				st_count(sv, pl);
				if (fn != NULL)
					fn(arg, gr, mi, &fa, pl);
				plan_free(pl);
			}
		}
		if (loaded)
			facts_free(&fa);
	}
	if (st_holds(cl, ss, &why) != 0) {
		log_warnx("%s", why);
		free(why);
		return -1;
	}
	return 0;
}

static void
st_free(struct st_status *ss)
{
	size_t	i;

	for (i = 0; i < ss->ss_nmirrors; i++) {
		free(ss->ss_mirrors[i].sm_error);
		free(ss->ss_mirrors[i].sm_last_run.sr_kind);
		free(ss->ss_mirrors[i].sm_last_run.sr_result);
		free(ss->ss_mirrors[i].sm_last_run.sr_error);
	}
	free(ss->ss_mirrors);
	for (i = 0; i < ss->ss_nviews; i++)
		free(ss->ss_views[i].sv_generation);
	free(ss->ss_views);
	for (i = 0; i < ss->ss_nholds; i++) {
		free(ss->ss_holds[i].sh_pattern);
		free(ss->ss_holds[i].sh_group);
		free(ss->ss_holds[i].sh_reason);
	}
	free(ss->ss_holds);
}

/* --- JSON -------------------------------------------------------------------- */

/*
 * A string as it is when it is UTF-8; otherwise each byte that is not
 * part of a valid sequence becomes U+FFFD, so that one bad byte in an
 * upstream's error never loses the rest of the text.
 */
static json_t *
st_json_string(const char *s)
{
	json_t		*j, *seq;
	struct buf	 b;
	const unsigned char *p;
	size_t		 n, k;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	buf_init(&b);
	for (p = (const unsigned char *)s; *p != '\0'; p += n) {
		n = 1;
		if (*p >= 0xc2 && *p <= 0xf4)
			n = *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
		for (k = 1; k < n; k++) {
			if ((p[k] & 0xc0) != 0x80)
				break;
		}
		seq = NULL;
		if (*p < 0x80 || (k == n && n > 1 && (seq =
		    json_stringn((const char *)p, n)) != NULL)) {
			json_decref(seq);
			buf_add(&b, p, n);
			continue;
		}
		buf_add(&b, "\xef\xbf\xbd", 3);
		n = 1;
	}
	buf_add(&b, "", 1);
	j = json_string(b.b_data);
	buf_free(&b);
	return j != NULL ? j : json_string("");
}

static json_t *
st_json_run(const struct st_run *sr)
{
	if (!sr->sr_valid)
		return json_null();
	return json_pack("{s:s, s:o, s:o, s:I, s:s, s:o}",
	    "kind", sr->sr_kind,
	    "started", cli_json_time(sr->sr_started),
	    "finished", cli_json_time(sr->sr_finished),
	    "duration_ms", (json_int_t)sr->sr_msecs,
	    "result", sr->sr_result,
	    "error", st_json_string(sr->sr_error));
}

static json_t *
st_json(const struct st_status *ss)
{
	const struct st_mirror	*sm;
	const struct st_view	*sv;
	const struct st_hold	*sh;
	json_t			*root, *a, *o;
	size_t			 i;

	root = json_object();
	json_object_set_new(root, "now", cli_json_time(ss->ss_now));
	a = json_array();
	for (i = 0; i < ss->ss_nmirrors; i++) {
		sm = &ss->ss_mirrors[i];
		o = json_object();
		json_object_set_new(o, "name",
		    json_string(sm->sm_mirror->mi_name));
		json_object_set_new(o, "type",
		    json_string(mirror_type_name(sm->sm_mirror->mi_type)));
		json_object_set_new(o, "first_sync",
		    cli_json_time(sm->sm_first_sync));
		json_object_set_new(o, "last_sync",
		    cli_json_time(sm->sm_last_sync));
		json_object_set_new(o, "last_sync_duration_ms",
		    sm->sm_sync_msecs >= 0 ?
		    json_integer(sm->sm_sync_msecs) : json_null());
		json_object_set_new(o, "last_attempt",
		    cli_json_time(sm->sm_last_attempt));
		json_object_set_new(o, "result", sm->sm_last_attempt == 0 ?
		    json_null() : json_string(sm->sm_error ? "error" : "ok"));
		json_object_set_new(o, "error", st_json_string(sm->sm_error));
		json_object_set_new(o, "versions",
		    json_integer(sm->sm_versions));
		json_object_set_new(o, "upstream",
		    json_integer(sm->sm_upstream));
		json_object_set_new(o, "last_run",
		    st_json_run(&sm->sm_last_run));
		json_array_append_new(a, o);
	}
	json_object_set_new(root, "mirrors", a);
	a = json_array();
	for (i = 0; i < ss->ss_nviews; i++) {
		sv = &ss->ss_views[i];
		o = json_object();
		json_object_set_new(o, "group",
		    json_string(sv->sv_group->gr_name));
		json_object_set_new(o, "mirror",
		    json_string(sv->sv_mirror->mi_name));
		json_object_set_new(o, "generation", sv->sv_generation ?
		    json_string(sv->sv_generation) : json_null());
		json_object_set_new(o, "published",
		    cli_json_time(sv->sv_published));
		json_object_set_new(o, "planned",
		    json_boolean(sv->sv_planned));
		json_object_set_new(o, "versions",
		    json_integer(sv->sv_versions));
		json_object_set_new(o, "visible", json_integer(sv->sv_visible));
		json_object_set_new(o, "listed", json_integer(sv->sv_listed));
		json_object_set_new(o, "held", json_integer(sv->sv_held));
		json_object_set_new(o, "rejected",
		    json_integer(sv->sv_rejected));
		json_object_set_new(o, "dep_held",
		    json_integer(sv->sv_dep_held));
		json_object_set_new(o, "as_dependency",
		    json_integer(sv->sv_as_dependency));
		json_object_set_new(o, "waiting", json_integer(sv->sv_waiting));
		json_object_set_new(o, "lost", json_integer(sv->sv_lost));
		json_object_set_new(o, "at_risk", json_integer(sv->sv_at_risk));
		json_object_set_new(o, "next_change",
		    cli_json_time(sv->sv_next_change));
		json_array_append_new(a, o);
	}
	json_object_set_new(root, "views", a);
	a = json_array();
	for (i = 0; i < ss->ss_nholds; i++) {
		sh = &ss->ss_holds[i];
		o = json_object();
		json_object_set_new(o, "id", json_integer(sh->sh_id));
		json_object_set_new(o, "pattern",
		    st_json_string(sh->sh_pattern));
		json_object_set_new(o, "group", st_json_string(sh->sh_group));
		json_object_set_new(o, "reason",
		    st_json_string(sh->sh_reason));
		json_object_set_new(o, "until", cli_json_time(sh->sh_until));
		json_object_set_new(o, "created",
		    cli_json_time(sh->sh_created));
		json_object_set_new(o, "state",
		    json_string(sh->sh_expired ? "expired" : "active"));
		json_array_append_new(a, o);
	}
	json_object_set_new(root, "holds", a);
	return root;
}

/* --- people ------------------------------------------------------------------ */

/* A table of strings printed with aligned columns; the last one is free. */
struct st_table {
	size_t		 tb_ncols;
	char		**tb_cells;
	size_t		 tb_ncells;
};

static void
st_cell(struct st_table *tb, const char *fmt, ...)
{
	va_list	ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	tb->tb_cells = xreallocarray(tb->tb_cells, tb->tb_ncells + 1,
	    sizeof *tb->tb_cells);
	tb->tb_cells[tb->tb_ncells++] = s;
}

/* Prints the rows; a row whose first cell starts with a blank is a note. */
static void
st_table_print(struct st_table *tb)
{
	size_t	*w, i, c;

	w = xcalloc(tb->tb_ncols, sizeof *w);
	for (i = 0; i < tb->tb_ncells; i++) {
		c = i % tb->tb_ncols;
		if (strlen(tb->tb_cells[i]) > w[c])
			w[c] = strlen(tb->tb_cells[i]);
	}
	for (i = 0; i < tb->tb_ncells; i++) {
		c = i % tb->tb_ncols;
		if (c + 1 == tb->tb_ncols)
			printf("%s\n", tb->tb_cells[i]);
		else
			printf("%-*s  ", (int)w[c], tb->tb_cells[i]);
		free(tb->tb_cells[i]);
	}
	free(tb->tb_cells);
	free(w);
	tb->tb_cells = NULL;
	tb->tb_ncells = 0;
}

static const char *
st_duration(long long ms, char *buf, size_t len)
{
	if (ms < 0)
		snprintf(buf, len, "-");
	else if (ms < 60000)
		snprintf(buf, len, "%lld.%llds", ms / 1000, ms % 1000 / 100);
	else
		cli_age(ms / 1000, buf, len);
	return buf;
}

static void
st_print(const struct st_status *ss)
{
	const struct st_mirror	*sm;
	const struct st_view	*sv;
	const struct st_hold	*sh;
	struct st_table		 tb = { 0, NULL, 0 };
	char			 t1[32], t2[32], d[32];
	size_t			 i, nactive = 0;

	printf("now %s\n\n", cli_time(ss->ss_now, t1, sizeof t1));

	tb.tb_ncols = 7;
	st_cell(&tb, "MIRROR");
	st_cell(&tb, "TYPE");
	st_cell(&tb, "LAST SYNC");
	st_cell(&tb, "TOOK");
	st_cell(&tb, "RESULT");
	st_cell(&tb, "VERSIONS");
	st_cell(&tb, "UPSTREAM");
	for (i = 0; i < ss->ss_nmirrors; i++) {
		sm = &ss->ss_mirrors[i];
		st_cell(&tb, "%s", sm->sm_mirror->mi_name);
		st_cell(&tb, "%s", mirror_type_name(sm->sm_mirror->mi_type));
		st_cell(&tb, "%s", sm->sm_last_sync ? cli_time(sm->sm_last_sync,
		    t1, sizeof t1) : "never");
		st_cell(&tb, "%s", st_duration(sm->sm_sync_msecs, d, sizeof d));
		st_cell(&tb, "%s", sm->sm_last_attempt == 0 ? "-" :
		    sm->sm_error ? "error" : "ok");
		st_cell(&tb, "%lld", sm->sm_versions);
		st_cell(&tb, "%lld", sm->sm_upstream);
	}
	st_table_print(&tb);
	/* Errors whole, under the table: they are too long for a column. */
	for (i = 0; i < ss->ss_nmirrors; i++) {
		sm = &ss->ss_mirrors[i];
		if (sm->sm_error != NULL)
			printf("  %s: sync failed at %s: %s\n",
			    sm->sm_mirror->mi_name, cli_time(sm->sm_last_attempt,
			    t1, sizeof t1), sm->sm_error);
		if (sm->sm_last_run.sr_valid && sm->sm_last_run.sr_error &&
		    strcmp(sm->sm_last_run.sr_kind, "sync") != 0)
			printf("  %s: %s failed at %s: %s\n",
			    sm->sm_mirror->mi_name, sm->sm_last_run.sr_kind,
			    cli_time(sm->sm_last_run.sr_started, t1, sizeof t1),
			    sm->sm_last_run.sr_error);
	}

	printf("\n");
	tb.tb_ncols = 10;
	st_cell(&tb, "GROUP");
	st_cell(&tb, "MIRROR");
	st_cell(&tb, "GENERATION");
	st_cell(&tb, "LISTED");
	st_cell(&tb, "VISIBLE");
	st_cell(&tb, "HELD");
	st_cell(&tb, "DEP-HELD");
	st_cell(&tb, "WAITING");
	st_cell(&tb, "LOST");
	st_cell(&tb, "NEXT CHANGE");
	for (i = 0; i < ss->ss_nviews; i++) {
		sv = &ss->ss_views[i];
		st_cell(&tb, "%s", sv->sv_group->gr_name);
		st_cell(&tb, "%s", sv->sv_mirror->mi_name);
		st_cell(&tb, "%s", sv->sv_generation ? sv->sv_generation :
		    "none");
		if (!sv->sv_planned) {
			st_cell(&tb, "-");
			st_cell(&tb, "-");
			st_cell(&tb, "-");
			st_cell(&tb, "-");
			st_cell(&tb, "-");
			st_cell(&tb, "-");
			st_cell(&tb, "never synced");
			continue;
		}
		st_cell(&tb, "%zu", sv->sv_listed);
		st_cell(&tb, "%zu", sv->sv_visible);
		st_cell(&tb, "%zu", sv->sv_held);
		st_cell(&tb, "%zu", sv->sv_dep_held);
		st_cell(&tb, "%zu", sv->sv_waiting);
		st_cell(&tb, "%zu", sv->sv_lost);
		st_cell(&tb, "%s", cli_time(sv->sv_next_change, t1, sizeof t1));
	}
	st_table_print(&tb);

	printf("\n");
	if (ss->ss_nholds == 0) {
		printf("no holds\n");
		return;
	}
	tb.tb_ncols = 6;
	st_cell(&tb, "HOLD");
	st_cell(&tb, "GROUP");
	st_cell(&tb, "STATE");
	st_cell(&tb, "UNTIL");
	st_cell(&tb, "CREATED");
	st_cell(&tb, "REASON");
	for (i = 0; i < ss->ss_nholds; i++) {
		sh = &ss->ss_holds[i];
		nactive += !sh->sh_expired;
		st_cell(&tb, "%s", sh->sh_pattern);
		st_cell(&tb, "%s", sh->sh_group ? sh->sh_group : "*");
		st_cell(&tb, "%s", sh->sh_expired ? "expired" : "active");
		st_cell(&tb, "%s", cli_time(sh->sh_until, t1, sizeof t1));
		st_cell(&tb, "%s", cli_time(sh->sh_created, t2, sizeof t2));
		st_cell(&tb, "%s", sh->sh_reason);
	}
	st_table_print(&tb);
}

json_t *
cli_status_json(struct cli *cl, cli_plan_fn fn, void *arg)
{
	struct st_status	 ss;
	json_t			*j = NULL;

	memset(&ss, 0, sizeof ss);
	if (st_gather(cl, &ss, fn, arg) == 0)
		j = st_json(&ss);
	st_free(&ss);
	return j;
}

static int
cmd_status_exec(struct cli *cl, const struct cli_cmd *cc, int argc,
    char **argv)
{
	struct st_status	 ss;
	int			 i, json = 0, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 && json != 2)
			json = 1;
		else if (strcmp(argv[i], "--html") == 0 && json != 1)
			json = 2;
		else
			return cli_usage(cc);
	}
	if (cli_open(cl, 0) != 0)
		return CLI_ERROR;
	if (json == 2)
		return cli_status_html(cl);
	memset(&ss, 0, sizeof ss);
	if (st_gather(cl, &ss, NULL, NULL) != 0) {
		st_free(&ss);
		return CLI_ERROR;
	}
	if (json)
		rc = cli_json_print(st_json(&ss));
	else {
		st_print(&ss);
		rc = fflush(stdout) == 0 ? 0 : -1;
		if (rc != 0)
			log_warnx("standard output: cannot write");
	}
	st_free(&ss);
	return rc == 0 ? CLI_OK : CLI_ERROR;
}
