/*
 * The commands that ask the planner without publishing a view: why (every
 * version of a package in one group's view, with the reason), diff (what
 * one group's view lists and another's does not) and preview (what a
 * group's view gains and loses by a future time; with --publish, that view
 * written under STORE/previews/ for patchgated to serve).  Each plans from
 * the stored facts exactly as publishing does (facts_plan), so the answer
 * is what the view holds, or will hold, not a second opinion.  Local names
 * carry cp_.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "clock.h"
#include "log.h"
#include "planner.h"
#include "store.h"
#include "util.h"
#include "vercmp.h"
#include "view.h"
#include "window.h"
#include "xmalloc.h"

struct cp_opts;
static int	cmd_why(struct cli *, const struct cli_cmd *, struct cp_opts *,
		    int, char **);
static int	cmd_diff(struct cli *, const struct cli_cmd *, struct cp_opts *,
		    int, char **);
static int	cmd_preview(struct cli *, const struct cli_cmd *,
		    struct cp_opts *, int, char **);
static int	cmd_why_exec(struct cli *, const struct cli_cmd *, int, char **);
static int	cmd_diff_exec(struct cli *, const struct cli_cmd *, int, char **);
static int	cmd_preview_exec(struct cli *, const struct cli_cmd *, int,
		    char **);

const struct cli_cmd cmd_why_entry = {
	"why", "[--json] group mirror package", cmd_why_exec
};

const struct cli_cmd cmd_diff_entry = {
	"diff", "[--json] group-a group-b [mirror]", cmd_diff_exec
};

const struct cli_cmd cmd_preview_entry = {
	"preview", "[--json] [--publish] group --at time [mirror]",
	cmd_preview_exec
};

static const struct option cp_options[] = {
	{ "json",	no_argument,		NULL,	'j' },
	{ "publish",	no_argument,		NULL,	'p' },
	{ "at",		required_argument,	NULL,	'a' },
	{ NULL,		0,			NULL,	0 }
};

/* The options each command takes: --json always. */
struct cp_opts {
	int		 co_json;
	int		 co_publish;
	const char	*co_at;
};

/* Parses the options; -1 on a usage error.  *argv then holds the operands. */
static int
cp_getopt(int *argc, char ***argv, struct cp_opts *co, int preview)
{
	int	ch;

	memset(co, 0, sizeof *co);
	while ((ch = getopt_long(*argc, *argv, "", cp_options, NULL)) != -1) {
		switch (ch) {
		case 'j':
			co->co_json = 1;
			break;
		case 'p':
			if (!preview)
				return -1;
			co->co_publish = 1;
			break;
		case 'a':
			if (!preview)
				return -1;
			co->co_at = optarg;
			break;
		default:
			return -1;
		}
	}
	*argc -= optind;
	*argv += optind;
	return 0;
}

/*
 * When a view will have been planned by at: at itself, unless the group
 * has maintenance windows and none is open at at; then the view stands
 * as the last window before at left it (approximated by that window's
 * close), or as it is now if no window opens before at.
 */
static time_t
cp_window_time(struct cli *cl, struct group *gr, struct mirror *mi, time_t at)
{
	time_t	served, closed;

	if (gr->gr_nwindows == 0 ||
	    window_inside(gr->gr_windows, gr->gr_nwindows, at))
		return at;
	served = publish_plan_time(&cl->cl_ix, gr, mi);
	closed = window_last_close(gr->gr_windows, gr->gr_nwindows, at);
	return closed > served ? closed : served;
}

/* --- one version, for people and for JSON ----------------------------------- */

/* "foo-1:1.1-1.noarch" (rpm-md), "hello 1.1 (all)" (apt); caller-freed. */
static char *
cp_label(struct mirror *mi, const struct pub_pkg *pp)
{
	char	*s;
	int	 epoch = pp->pp_epoch != NULL && *pp->pp_epoch != '\0' &&
		    strcmp(pp->pp_epoch, "0") != 0;

	if (mi->mi_type == MIRROR_APT)
		xasprintf(&s, "%s %s (%s)", pp->pp_name, pp->pp_version,
		    pp->pp_arch);
	else
		xasprintf(&s, "%s-%s%s%s-%s.%s", pp->pp_name,
		    epoch ? pp->pp_epoch : "", epoch ? ":" : "", pp->pp_version,
		    pp->pp_release ? pp->pp_release : "", pp->pp_arch);
	return s;
}

/*
 * The release time (DESIGN.md): the planner's when it used one, else the
 * later of the advisories' dates and the first sight; 0 when unknown
 * (a base version).
 */
static time_t
cp_released(const struct pub_pkg *pp, const struct plan_verdict *v)
{
	time_t	t;
	size_t	i;

	if (v != NULL && v->pv_release != 0)
		return v->pv_release;
	t = pp->pp_first_seen;
	for (i = 0; i < pp->pp_nadvs; i++) {
		if (pp->pp_advs[i].va_issued > t)
			t = pp->pp_advs[i].va_issued;
	}
	return t;
}

/*
 * The rule a reason names: visibility.c writes `rule "TEXT" (line N)`.
 * Returns 0 and the text (caller-freed) and line when there is one.
 */
static int
cp_rule(const char *why, char **text, int *line)
{
	const char	*p, *q;

	if (why == NULL || (p = strstr(why, "rule \"")) == NULL)
		return -1;
	p += 6;
	if ((q = strstr(p, "\" (line ")) == NULL)
		return -1;
	*line = atoi(q + 8);
	*text = xmalloc(q - p + 1);
	memcpy(*text, p, q - p);
	(*text)[q - p] = '\0';
	return 0;
}

/* Newest first, then by architecture. */
static struct mirror	*cp_sort_mirror;
static struct facts	*cp_sort_facts;

static int
cp_newest_first(const void *x, const void *y)
{
	const struct pub_pkg	*a = &cp_sort_facts->fa_pkgs[*(const size_t *)x];
	const struct pub_pkg	*b = &cp_sort_facts->fa_pkgs[*(const size_t *)y];
	int			 c;

	if ((c = strcmp(a->pp_name, b->pp_name)) != 0)
		return c;
	if (cp_sort_mirror->mi_type == MIRROR_APT)
		c = deb_vercmp(b->pp_version, a->pp_version);
	else
		c = rpm_evrcmp(b->pp_epoch, b->pp_version, b->pp_release,
		    a->pp_epoch, a->pp_version, a->pp_release);
	if (c != 0)
		return c;
	return strcmp(a->pp_arch, b->pp_arch);
}

static void
cp_sort(struct mirror *mi, struct facts *fa, size_t *idx, size_t n)
{
	cp_sort_mirror = mi;
	cp_sort_facts = fa;
	if (n > 1)
		qsort(idx, n, sizeof *idx, cp_newest_first);
}

static json_t *
cp_json_str(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/* The fields every version carries in JSON (docs/patchgate.1). */
static json_t *
cp_json_version(struct cli *cl, struct mirror *mi, const struct pub_pkg *pp,
    time_t released)
{
	json_t	*j, *advs, *a;
	char	*label;
	size_t	 i;

	j = json_object();
	label = cp_label(mi, pp);
	json_object_set_new(j, "label", json_string(label));
	free(label);
	json_object_set_new(j, "name", cp_json_str(pp->pp_name));
	json_object_set_new(j, "arch", cp_json_str(pp->pp_arch));
	json_object_set_new(j, "epoch", cp_json_str(pp->pp_epoch));
	json_object_set_new(j, "version", cp_json_str(pp->pp_version));
	json_object_set_new(j, "release", cp_json_str(pp->pp_release));
	json_object_set_new(j, "location", cp_json_str(pp->pp_location));
	json_object_set_new(j, "released", cli_json_time(released));
	json_object_set_new(j, "age", released != 0 ?
	    json_integer(cl->cl_ix.ix_now - released) : json_null());
	advs = json_array();
	for (i = 0; i < pp->pp_nadvs; i++) {
		a = json_object();
		json_object_set_new(a, "id", cp_json_str(pp->pp_advs[i].va_id));
		json_object_set_new(a, "type",
		    cp_json_str(pp->pp_advs[i].va_type));
		json_object_set_new(a, "severity",
		    cp_json_str(pp->pp_advs[i].va_severity));
		json_object_set_new(a, "issued",
		    cli_json_time(pp->pp_advs[i].va_issued));
		json_array_append_new(advs, a);
	}
	json_object_set_new(j, "advisories", advs);
	return j;
}

/* "released 2026-01-10T12:00:00Z, 3d 0h ago" or "release time unknown (base)". */
static void
cp_print_released(struct cli *cl, time_t released)
{
	char	t[32], age[32];

	if (released == 0)
		printf("    release time unknown (in the mirror since its first "
		    "sync)\n");
	else if (released > cl->cl_ix.ix_now)
		printf("    released %s, in %s\n", cli_time(released, t, sizeof t),
		    cli_age(released - cl->cl_ix.ix_now, age, sizeof age));
	else
		printf("    released %s, %s ago\n",
		    cli_time(released, t, sizeof t),
		    cli_age(cl->cl_ix.ix_now - released, age, sizeof age));
}

static void
cp_print_advisories(const struct pub_pkg *pp)
{
	const struct vis_advisory	*va;
	size_t				 i;

	for (i = 0; i < pp->pp_nadvs; i++) {
		va = &pp->pp_advs[i];
		printf("    advisory %s (%s%s%s)\n", va->va_id,
		    va->va_type ? va->va_type : "no type",
		    va->va_severity ? ", " : "",
		    va->va_severity ? va->va_severity : "");
	}
}

/* The group and mirror named; NULL after saying which is unknown. */
static struct group *
cp_group(struct cli *cl, const char *name)
{
	struct group	*gr;

	if ((gr = config_find_group(cl->cl_cf, name)) == NULL)
		log_warnx("no group named %s in %s", name, cl->cl_cf->cf_path);
	return gr;
}

static struct mirror *
cp_mirror(struct cli *cl, struct group *gr, const char *name)
{
	struct mirror	*mi;

	if ((mi = config_find_mirror(cl->cl_cf, name)) == NULL) {
		log_warnx("no mirror named %s in %s", name, cl->cl_cf->cf_path);
		return NULL;
	}
	if (gr != NULL && !group_has_mirror(gr, mi)) {
		log_warnx("group %s does not use mirror %s", gr->gr_name,
		    mi->mi_name);
		return NULL;
	}
	return mi;
}

/* --- why ------------------------------------------------------------------ */

static int
cmd_why(struct cli *cl, const struct cli_cmd *cc, struct cp_opts *cop,
    int argc, char **argv)
{
	struct cp_opts		 co = *cop;
	struct group		*gr;
	struct mirror		*mi;
	struct facts		 fa;
	struct plan		*pl;
	struct plan_verdict	*v;
	struct pub_pkg		*pp;
	json_t			*j = NULL, *vers = NULL, *jv, *jr;
	size_t			*idx, n = 0, i;
	char			 t[32], *label, *rule;
	time_t			 released;
	int			 line, rc = CLI_OK;

	if (argc != 3)
		return cli_usage(cc);
	if ((gr = cp_group(cl, argv[0])) == NULL ||
	    (mi = cp_mirror(cl, gr, argv[1])) == NULL)
		return CLI_ERROR;
	if (cli_open(cl, 0) != 0 || cli_facts(cl, mi, &fa) != 0)
		return CLI_ERROR;
	idx = xcalloc(fa.fa_npkgs + 1, sizeof *idx);
	for (i = 0; i < fa.fa_npkgs; i++) {
		if (strcmp(fa.fa_pkgs[i].pp_name, argv[2]) == 0)
			idx[n++] = i;
	}
	if (n == 0) {
		log_warnx("mirror %s has no package named %s", mi->mi_name,
		    argv[2]);
		free(idx);
		facts_free(&fa);
		return CLI_ERROR;
	}
	cp_sort(mi, &fa, idx, n);
	pl = facts_plan_served(&cl->cl_ix, gr, mi, &fa);

	if (co.co_json) {
		j = json_object();
		json_object_set_new(j, "group", json_string(gr->gr_name));
		json_object_set_new(j, "mirror", json_string(mi->mi_name));
		json_object_set_new(j, "package", json_string(argv[2]));
		json_object_set_new(j, "now", cli_json_time(cl->cl_ix.ix_now));
		vers = json_array();
	} else
		printf("group %s, mirror %s, package %s, at %s\n", gr->gr_name,
		    mi->mi_name, argv[2],
		    cli_time(cl->cl_ix.ix_now, t, sizeof t));
	for (i = 0; i < n; i++) {
		pp = &fa.fa_pkgs[idx[i]];
		v = &pl->pl_verdicts[idx[i]];
		released = cp_released(pp, v);
		rule = NULL;
		cp_rule(v->pv_why, &rule, &line);
		if (co.co_json) {
			jv = cp_json_version(cl, mi, pp, released);
			json_object_set_new(jv, "listed",
			    json_boolean(v->pv_listed));
			json_object_set_new(jv, "visible",
			    json_boolean(v->pv_visible));
			json_object_set_new(jv, "reason",
			    json_string(plan_reason_name(v->pv_reason)));
			json_object_set_new(jv, "why", cp_json_str(v->pv_why));
			if (rule != NULL) {
				jr = json_object();
				json_object_set_new(jr, "text", json_string(rule));
				json_object_set_new(jr, "line",
				    json_integer(line));
				json_object_set_new(jv, "rule", jr);
			} else
				json_object_set_new(jv, "rule", json_null());
			json_object_set_new(jv, "changes",
			    cli_json_time(v->pv_changes));
			json_array_append_new(vers, jv);
		} else {
			label = cp_label(mi, pp);
			printf("%s: %s (%s)\n", label, v->pv_listed ? "listed" :
			    "not listed", plan_reason_name(v->pv_reason));
			free(label);
			printf("    %s\n", v->pv_why ? v->pv_why : "");
			if (rule != NULL)
				printf("    rule \"%s\" (line %d)\n", rule, line);
			cp_print_released(cl, released);
			cp_print_advisories(pp);
			if (v->pv_changes != 0)
				printf("    changes %s\n",
				    cli_time(v->pv_changes, t, sizeof t));
		}
		free(rule);
	}
	if (co.co_json) {
		json_object_set_new(j, "versions", vers);
		json_object_set_new(j, "next_change",
		    cli_json_time(pl->pl_next_change));
		if (cli_json_print(j) != 0)
			rc = CLI_ERROR;
	}
	plan_free(pl);
	free(idx);
	facts_free(&fa);
	return rc;
}

/* --- diff ----------------------------------------------------------------- */

/* One side's versions that the other side does not list, newest first. */
static size_t
cp_only(struct mirror *mi, struct facts *fa, struct plan *in,
    struct plan *out, size_t *idx)
{
	size_t	i, n = 0;

	for (i = 0; i < fa->fa_npkgs; i++) {
		if (in->pl_verdicts[i].pv_listed &&
		    !out->pl_verdicts[i].pv_listed)
			idx[n++] = i;
	}
	cp_sort(mi, fa, idx, n);
	return n;
}

static json_t *
cp_diff_side(struct cli *cl, struct mirror *mi, struct facts *fa,
    struct plan *pa, struct plan *pb, size_t *idx, size_t n)
{
	struct plan_verdict	*va, *vb;
	struct pub_pkg		*pp;
	json_t			*arr, *jv;
	size_t			 i;

	arr = json_array();
	for (i = 0; i < n; i++) {
		pp = &fa->fa_pkgs[idx[i]];
		va = &pa->pl_verdicts[idx[i]];
		vb = &pb->pl_verdicts[idx[i]];
		jv = cp_json_version(cl, mi, pp, cp_released(pp,
		    va->pv_release ? va : vb));
		json_object_set_new(jv, "reason_a",
		    json_string(plan_reason_name(va->pv_reason)));
		json_object_set_new(jv, "reason_b",
		    json_string(plan_reason_name(vb->pv_reason)));
		json_object_set_new(jv, "why_a", cp_json_str(va->pv_why));
		json_object_set_new(jv, "why_b", cp_json_str(vb->pv_why));
		json_array_append_new(arr, jv);
	}
	return arr;
}

static void
cp_diff_print(struct cli *cl, struct mirror *mi, struct facts *fa,
    struct group *ga, struct plan *pa, struct group *gb, struct plan *pb,
    size_t *idx, size_t n)
{
	struct plan_verdict	*va, *vb;
	struct pub_pkg		*pp;
	char			*label;
	size_t			 i;

	for (i = 0; i < n; i++) {
		pp = &fa->fa_pkgs[idx[i]];
		va = &pa->pl_verdicts[idx[i]];
		vb = &pb->pl_verdicts[idx[i]];
		label = cp_label(mi, pp);
		printf("  only in %s: %s (%s: %s; %s: %s)\n", ga->gr_name, label,
		    ga->gr_name, plan_reason_name(va->pv_reason), gb->gr_name,
		    plan_reason_name(vb->pv_reason));
		free(label);
		cp_print_released(cl, cp_released(pp, va->pv_release ? va : vb));
		printf("    %s: %s\n", gb->gr_name, vb->pv_why ? vb->pv_why : "");
	}
}

static int
cmd_diff(struct cli *cl, const struct cli_cmd *cc, struct cp_opts *cop,
    int argc, char **argv)
{
	struct cp_opts	 co = *cop;
	struct group	*ga, *gb;
	struct mirror	*mi, **mirrors = NULL;
	struct facts	 fa;
	struct plan	*pa, *pb;
	json_t		*j = NULL, *jms = NULL, *jm;
	size_t		 nm = 0, i, *ia, *ib, na, nb;
	char		 t[32];
	int		 rc = CLI_OK;

	if (argc < 2 || argc > 3)
		return cli_usage(cc);
	if ((ga = cp_group(cl, argv[0])) == NULL ||
	    (gb = cp_group(cl, argv[1])) == NULL)
		return CLI_ERROR;
	if (argc == 3) {
		if ((mi = cp_mirror(cl, ga, argv[2])) == NULL ||
		    cp_mirror(cl, gb, argv[2]) == NULL)
			return CLI_ERROR;
		mirrors = xcalloc(1, sizeof *mirrors);
		mirrors[nm++] = mi;
	} else {
		TAILQ_FOREACH(mi, &cl->cl_cf->cf_mirrors, mi_entry) {
			if (!group_has_mirror(ga, mi) || !group_has_mirror(gb, mi))
				continue;
			mirrors = xreallocarray(mirrors, nm + 1, sizeof *mirrors);
			mirrors[nm++] = mi;
		}
		if (nm == 0) {
			log_warnx("groups %s and %s have no mirror in common",
			    ga->gr_name, gb->gr_name);
			return CLI_ERROR;
		}
	}
	if (cli_open(cl, 0) != 0) {
		free(mirrors);
		return CLI_ERROR;
	}
	if (co.co_json) {
		j = json_object();
		json_object_set_new(j, "group_a", json_string(ga->gr_name));
		json_object_set_new(j, "group_b", json_string(gb->gr_name));
		json_object_set_new(j, "now", cli_json_time(cl->cl_ix.ix_now));
		jms = json_array();
	}
	for (i = 0; i < nm; i++) {
		mi = mirrors[i];
		if (cli_facts(cl, mi, &fa) != 0) {
			rc = CLI_ERROR;
			break;
		}
		pa = facts_plan_served(&cl->cl_ix, ga, mi, &fa);
		pb = facts_plan_served(&cl->cl_ix, gb, mi, &fa);
		ia = xcalloc(fa.fa_npkgs + 1, sizeof *ia);
		ib = xcalloc(fa.fa_npkgs + 1, sizeof *ib);
		na = cp_only(mi, &fa, pa, pb, ia);
		nb = cp_only(mi, &fa, pb, pa, ib);
		if (co.co_json) {
			jm = json_object();
			json_object_set_new(jm, "mirror", json_string(mi->mi_name));
			json_object_set_new(jm, "listed_a",
			    json_integer(pa->pl_listed));
			json_object_set_new(jm, "listed_b",
			    json_integer(pb->pl_listed));
			json_object_set_new(jm, "only_a",
			    cp_diff_side(cl, mi, &fa, pa, pb, ia, na));
			json_object_set_new(jm, "only_b",
			    cp_diff_side(cl, mi, &fa, pb, pa, ib, nb));
			json_array_append_new(jms, jm);
		} else {
			printf("mirror %s at %s: %s lists %zu versions, %s %zu; "
			    "%zu only in %s, %zu only in %s\n", mi->mi_name,
			    cli_time(cl->cl_ix.ix_now, t, sizeof t), ga->gr_name,
			    pa->pl_listed, gb->gr_name, pb->pl_listed, na,
			    ga->gr_name, nb, gb->gr_name);
			cp_diff_print(cl, mi, &fa, ga, pa, gb, pb, ia, na);
			cp_diff_print(cl, mi, &fa, gb, pb, ga, pa, ib, nb);
		}
		free(ia);
		free(ib);
		plan_free(pa);
		plan_free(pb);
		facts_free(&fa);
	}
	if (co.co_json) {
		json_object_set_new(j, "mirrors", jms);
		if (rc == CLI_OK && cli_json_print(j) != 0)
			rc = CLI_ERROR;
		else if (rc != CLI_OK)
			json_decref(j);
	}
	free(mirrors);
	return rc;
}

/* --- preview ---------------------------------------------------------------- */

/* STORE/previews/GROUP/TIME/MIRROR; caller-freed. */
static char *
cp_preview_dir(struct config *cf, const char *group, const char *at,
    const char *mirror)
{
	char	*dir;

	xasprintf(&dir, "%s/previews/%s/%s/%s", cf->cf_store, group, at, mirror);
	return dir;
}

/* The "modified" of a sealed directory, 0 when it has none. */
static long long
cp_modified(const char *dir)
{
	char		*path, *data = NULL;
	size_t		 len;
	long long	 t = 0;

	xasprintf(&path, "%s/%s", dir, VIEW_MODIFIED_NAME);
	if (file_read(path, 64, &data, &len, NULL) == 0)
		t = strtoll(data, NULL, 10);
	free(data);
	free(path);
	return t;
}

/*
 * Writes the view fa's verdicts describe (planned at the preview's time)
 * as the preview of gr at `at` for mi, replacing an earlier one: built
 * beside it, its Last-Modified after the old one's, then renamed into
 * place.
 */
static int
cp_preview_write(struct cli *cl, struct group *gr, struct mirror *mi,
    struct facts *fa, const char *at, char **dirp, char **cause)
{
	struct indexer	*ix = &cl->cl_ix;
	char		*dir, *parent, *fresh, *old, *path, line[32];
	long long	 id, mold, mnew;
	int		 rc = -1;

	if ((id = store_mirror_id(ix->ix_store, mi->mi_name,
	    mirror_type_name(mi->mi_type), cause)) == -1)
		return -1;
	dir = cp_preview_dir(cl->cl_cf, gr->gr_name, at, mi->mi_name);
	xasprintf(&parent, "%s/previews/%s/%s", cl->cl_cf->cf_store,
	    gr->gr_name, at);
	/* Mirror names never start with '.': patchgated serves none of these. */
	xasprintf(&fresh, "%s/.new-%s", parent, mi->mi_name);
	xasprintf(&old, "%s/.old-%s", parent, mi->mi_name);
	remove_tree(fresh);
	remove_tree(old);
	if (publish_frozen(ix, gr, mi, id, fa, fresh, cause) != 0)
		goto out;
	mold = cp_modified(dir);
	if ((mnew = cp_modified(fresh)) <= mold) {
		/* Replaced within a second: Last-Modified must still move on. */
		snprintf(line, sizeof line, "%lld\n", mold + 1);
		xasprintf(&path, "%s/%s", fresh, VIEW_MODIFIED_NAME);
		rc = file_write_atomic(path, line, strlen(line), cause);
		free(path);
		if (rc != 0)
			goto out;
		rc = -1;
	}
	if (access(dir, F_OK) == 0 && rename(dir, old) == -1) {
		cause_set(cause, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if (rename(fresh, dir) == -1) {
		cause_set(cause, "%s: %s", dir, strerror(errno));
		goto out;
	}
	dir_sync(parent);
	remove_tree(old);
	*dirp = dir;
	dir = NULL;
	rc = 0;
out:
	if (rc != 0)
		remove_tree(fresh);
	free(old);
	free(fresh);
	free(parent);
	free(dir);
	return rc;
}

/* Removes dir when it holds nothing (ENOTEMPTY is fine). */
static void
cp_rmdir_empty(const char *dir)
{
	if (rmdir(dir) == -1 && errno != ENOTEMPTY && errno != EEXIST &&
	    errno != ENOENT)
		log_warnx("%s: %s", dir, strerror(errno));
}

/* The entries of a directory but "." and ".."; caller frees with words_free. */
static char **
cp_list_dir(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		**v;
	size_t		 n = 0;

	v = xcalloc(1, sizeof *v);
	if ((d = opendir(dir)) == NULL)
		return v;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		v = xreallocarray(v, n + 2, sizeof *v);
		v[n++] = xstrdup(de->d_name);
		v[n] = NULL;
	}
	closedir(d);
	return v;
}

void
cli_preview_prune(struct cli *cl)
{
	struct config	*cf = cl->cl_cf;
	char		*top, *gdir, *tdir, *mdir, *path, *data, **gs, **ts, **ms;
	size_t		 g, t, m, len;
	time_t		 created;

	if (!cl->cl_open || cl->cl_ix.ix_store == NULL)
		return;
	xasprintf(&top, "%s/previews", cf->cf_store);
	gs = cp_list_dir(top);
	for (g = 0; gs[g] != NULL; g++) {
		xasprintf(&gdir, "%s/%s", top, gs[g]);
		ts = cp_list_dir(gdir);
		for (t = 0; ts[t] != NULL; t++) {
			xasprintf(&tdir, "%s/%s", gdir, ts[t]);
			ms = cp_list_dir(tdir);
			for (m = 0; ms[m] != NULL; m++) {
				xasprintf(&mdir, "%s/%s", tdir, ms[m]);
				xasprintf(&path, "%s/created", mdir);
				data = NULL;
				if (file_read(path, 64, &data, &len, NULL) == 0) {
					data[strcspn(data, "\n")] = '\0';
					if (time_parse_rfc3339(data, &created) == 0 &&
					    created + cf->cf_preview_keep <=
					    cl->cl_ix.ix_now) {
						if (remove_tree(mdir) == -1)
							log_warnx("%s: %s", mdir,
							    strerror(errno));
						else
							log_info("removed the "
							    "preview %s/%s/%s, "
							    "published %s", gs[g],
							    ts[t], ms[m], data);
					}
				}
				free(data);
				free(path);
				free(mdir);
			}
			words_free(ms);
			cp_rmdir_empty(tdir);
			free(tdir);
		}
		words_free(ts);
		cp_rmdir_empty(gdir);
		free(gdir);
	}
	words_free(gs);
	free(top);
}

/* What the view gains (listed at `at`, not now) or loses, newest first. */
static json_t *
cp_preview_side(struct cli *cl, struct mirror *mi, struct facts *fa,
    struct plan *pnow, struct plan *pat, size_t *idx, size_t n, int print,
    const char *verb)
{
	struct plan_verdict	*vn, *va;
	struct pub_pkg		*pp;
	json_t			*arr = NULL, *jv;
	char			*label, t[32];
	size_t			 i;

	if (!print)
		arr = json_array();
	for (i = 0; i < n; i++) {
		pp = &fa->fa_pkgs[idx[i]];
		vn = &pnow->pl_verdicts[idx[i]];
		va = &pat->pl_verdicts[idx[i]];
		if (print) {
			label = cp_label(mi, pp);
			printf("  %s %s (now: %s; then: %s)\n", verb, label,
			    plan_reason_name(vn->pv_reason),
			    plan_reason_name(va->pv_reason));
			free(label);
			printf("    then: %s\n", va->pv_why ? va->pv_why : "");
			cp_print_released(cl, cp_released(pp,
			    va->pv_release ? va : vn));
			cp_print_advisories(pp);
			if (vn->pv_changes != 0)
				printf("    changes %s\n",
				    cli_time(vn->pv_changes, t, sizeof t));
			continue;
		}
		jv = cp_json_version(cl, mi, pp, cp_released(pp,
		    va->pv_release ? va : vn));
		json_object_set_new(jv, "reason_now",
		    json_string(plan_reason_name(vn->pv_reason)));
		json_object_set_new(jv, "reason_at",
		    json_string(plan_reason_name(va->pv_reason)));
		json_object_set_new(jv, "why_now", cp_json_str(vn->pv_why));
		json_object_set_new(jv, "why_at", cp_json_str(va->pv_why));
		json_object_set_new(jv, "changes", cli_json_time(vn->pv_changes));
		json_array_append_new(arr, jv);
	}
	return arr;
}

static int
cmd_preview(struct cli *cl, const struct cli_cmd *cc, struct cp_opts *cop,
    int argc, char **argv)
{
	struct cp_opts	 co = *cop;
	struct group	*gr;
	struct mirror	*mi, **mirrors = NULL;
	struct facts	 fa;
	struct plan	*pnow, *pat;
	json_t		*j = NULL, *jms = NULL, *jm;
	time_t		 at;
	size_t		 nm = 0, i, *ig, *il, ng, nl;
	char		 atbuf[32], nowbuf[32], *dir, *why = NULL;
	int		 rc = CLI_OK;

	if (co.co_at == NULL ||
	    argc < 1 || argc > 2)
		return cli_usage(cc);
	if ((gr = cp_group(cl, argv[0])) == NULL)
		return CLI_ERROR;
	if (time_parse_any(co.co_at, &at) != 0) {
		log_warnx("--at %s: not a time (RFC 3339, e.g. "
		    "2026-02-01T00:00:00Z)", co.co_at);
		return CLI_ERROR;
	}
	time_format(at, atbuf, sizeof atbuf);
	if (argc == 2) {
		if ((mi = cp_mirror(cl, gr, argv[1])) == NULL)
			return CLI_ERROR;
		mirrors = xcalloc(1, sizeof *mirrors);
		mirrors[nm++] = mi;
	} else {
		for (i = 0; i < gr->gr_nmirrors; i++) {
			mirrors = xreallocarray(mirrors, nm + 1, sizeof *mirrors);
			mirrors[nm++] = gr->gr_mirrors[i];
		}
	}
	if (cli_open(cl, co.co_publish) != 0) {
		free(mirrors);
		return CLI_ERROR;
	}
	if (at < cl->cl_ix.ix_now) {
		log_warnx("--at %s: in the past (now is %s); a preview shows a "
		    "view to come", atbuf, cli_time(cl->cl_ix.ix_now, nowbuf,
		    sizeof nowbuf));
		free(mirrors);
		return CLI_ERROR;
	}
	if (co.co_publish) {
		cli_preview_prune(cl);
		cl->cl_ix.ix_view_time = at;
	}
	if (co.co_json) {
		j = json_object();
		json_object_set_new(j, "group", json_string(gr->gr_name));
		json_object_set_new(j, "now", cli_json_time(cl->cl_ix.ix_now));
		json_object_set_new(j, "at", cli_json_time(at));
		jms = json_array();
	}
	for (i = 0; i < nm; i++) {
		mi = mirrors[i];
		if (cli_facts(cl, mi, &fa) != 0) {
			rc = CLI_ERROR;
			break;
		}
		pnow = facts_plan_served(&cl->cl_ix, gr, mi, &fa);
		/* Last: publish_frozen renders the verdicts planned last. */
		pat = facts_plan_clocks(&cl->cl_ix, gr, mi, &fa,
		    cp_window_time(cl, gr, mi, at), at);
		ig = xcalloc(fa.fa_npkgs + 1, sizeof *ig);
		il = xcalloc(fa.fa_npkgs + 1, sizeof *il);
		ng = cp_only(mi, &fa, pat, pnow, ig);
		nl = cp_only(mi, &fa, pnow, pat, il);
		dir = NULL;
		if (co.co_publish && cp_preview_write(cl, gr, mi, &fa, atbuf,
		    &dir, &why) != 0) {
			log_warnx("group %s, mirror %s: preview at %s: %s",
			    gr->gr_name, mi->mi_name, atbuf, why);
			free(why);
			why = NULL;
			rc = CLI_ERROR;
		}
		if (co.co_json) {
			jm = json_object();
			json_object_set_new(jm, "mirror", json_string(mi->mi_name));
			json_object_set_new(jm, "listed_now",
			    json_integer(pnow->pl_listed));
			json_object_set_new(jm, "listed_at",
			    json_integer(pat->pl_listed));
			json_object_set_new(jm, "gains", cp_preview_side(cl, mi,
			    &fa, pnow, pat, ig, ng, 0, NULL));
			json_object_set_new(jm, "losses", cp_preview_side(cl, mi,
			    &fa, pnow, pat, il, nl, 0, NULL));
			json_object_set_new(jm, "next_change",
			    cli_json_time(pat->pl_next_change));
			if (dir != NULL) {
				char	*url;

				xasprintf(&url, "/_preview/%s/%s/%s/",
				    gr->gr_name, atbuf, mi->mi_name);
				json_object_set_new(jm, "url", json_string(url));
				json_object_set_new(jm, "path", json_string(dir));
				free(url);
			} else {
				json_object_set_new(jm, "url", json_null());
				json_object_set_new(jm, "path", json_null());
			}
			json_array_append_new(jms, jm);
		} else {
			printf("group %s, mirror %s: now (%s) %zu versions listed, "
			    "at %s %zu; gains %zu, loses %zu\n", gr->gr_name,
			    mi->mi_name, cli_time(cl->cl_ix.ix_now, nowbuf,
			    sizeof nowbuf), pnow->pl_listed, atbuf,
			    pat->pl_listed, ng, nl);
			cp_preview_side(cl, mi, &fa, pnow, pat, ig, ng, 1,
			    "gains");
			cp_preview_side(cl, mi, &fa, pnow, pat, il, nl, 1,
			    "loses");
			if (dir != NULL)
				printf("  published: /_preview/%s/%s/%s/ (%s)\n",
				    gr->gr_name, atbuf, mi->mi_name, dir);
		}
		free(dir);
		free(ig);
		free(il);
		plan_free(pnow);
		plan_free(pat);
		facts_free(&fa);
	}
	cl->cl_ix.ix_view_time = 0;
	if (co.co_json) {
		json_object_set_new(j, "mirrors", jms);
		if (rc == CLI_OK) {
			if (cli_json_print(j) != 0)
				rc = CLI_ERROR;
		} else
			json_decref(j);
	}
	free(mirrors);
	return rc;
}

/* Parses the options, runs the command, frees what parsing made. */
#define CP_EXEC(name, preview)						\
static int								\
cmd_##name##_exec(struct cli *cl, const struct cli_cmd *cc, int argc,	\
    char **argv)							\
{									\
	struct cp_opts	co;						\
	int		rc;						\
									\
	if (cp_getopt(&argc, &argv, &co, preview) != 0)			\
		rc = cli_usage(cc);					\
	else								\
		rc = cmd_##name(cl, cc, &co, argc, argv);		\
	return rc;							\
}
CP_EXEC(why, 0)
CP_EXEC(diff, 0)
CP_EXEC(preview, 1)
