/*
 * The planner (planner.h): the baseline and holds decide which versions a
 * group may see; dependencies hold back what cannot be installed, or let
 * in what a visible version needs; retention decides which of them each
 * upstream index lists, keeping versions upstream dropped for as long as
 * the group sees them.  Local names carry pn_.
 */
#include "config.h"

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "plan_deps.h"
#include "planner.h"
#include "util.h"
#include "vercmp.h"
#include "xmalloc.h"

/* Rounds of dependency settling and retention before the plan stands. */
#define PLAN_MAX_ROUNDS	16

struct pn_ctx {
	const struct plan_input	*pc_in;
	struct plan		*pc_plan;
	unsigned char		*pc_eligible;	/* may be listed: visible or let in */
	unsigned char		*pc_rejected;	/* hidden only by rejection */
	time_t			*pc_superseded;	/* a retained version: when a newer one ripens */
};

/* An entry of one index: a version and its place in pk_lists. */
struct pn_entry {
	size_t			 pe_pkg;
	size_t			 pe_list;
};

/* Every entry of every index, in pn_entry_order. */
struct plan_order {
	struct pn_entry		*po_ents;
	size_t			 po_n;
};

static const char *const plan_reason_names[] = {
	[PLAN_REJECTED] = "rejected",
	[PLAN_HELD] = "held",
	[PLAN_APPROVED] = "approved",
	[PLAN_BASE] = "base",
	[PLAN_RULE] = "rule",
	[PLAN_WAITING] = "waiting",
	[PLAN_NO_RULE] = "no-rule",
	[PLAN_NEEDS_HIDDEN] = "needs-hidden",
	[PLAN_AS_DEPENDENCY] = "dependency",
	[PLAN_SUPERSEDED] = "superseded",
	[PLAN_RETAINED] = "retained",
	[PLAN_LOST] = "lost",
};

const char *
plan_reason_name(enum plan_reason r)
{
	if ((size_t)r >= sizeof plan_reason_names / sizeof plan_reason_names[0])
		return "unknown";
	return plan_reason_names[r];
}

int
plan_is_base(const struct vis_package *vp)
{
	return vp->vp_first_seen == 0 && vp->vp_nadvs == 0;
}

static void
pn_set_why(struct plan_verdict *v, enum plan_reason r, char *why)
{
	free(v->pv_why);
	v->pv_reason = r;
	v->pv_why = why;
}

static void
pn_label(const struct plan_input *in, const struct plan_pkg *pk, char *buf,
    size_t size)
{
	const struct vis_package	*vp = &pk->pk_vis;

	if (in->pi_format == MIRROR_APT)
		snprintf(buf, size, "%s %s (%s)", vp->vp_name, vp->vp_version,
		    vp->vp_arch);
	else
		snprintf(buf, size, "%s-%s%s%s-%s.%s", vp->vp_name,
		    vp->vp_epoch && *vp->vp_epoch && strcmp(vp->vp_epoch, "0") ?
		    vp->vp_epoch : "", vp->vp_epoch && *vp->vp_epoch &&
		    strcmp(vp->vp_epoch, "0") ? ":" : "", vp->vp_version,
		    vp->vp_release ? vp->vp_release : "", vp->vp_arch);
}

/* The first hold in force that names this version for this group. */
static const struct plan_hold *
pn_hold(const struct plan_input *in, const struct vis_package *vp)
{
	const struct plan_hold	*h;
	size_t			 i;

	for (i = 0; i < in->pi_nholds; i++) {
		h = &in->pi_holds[i];
		if (h->ph_group != NULL && in->pi_group != NULL &&
		    strcmp(h->ph_group, in->pi_group) != 0)
			continue;
		if (h->ph_until != 0 && h->ph_until <= (in->pi_hold_now != 0 ?
		    in->pi_hold_now : in->pi_now))
			continue;
		if (visibility_pattern_matches(h->ph_pattern, vp))
			return h;
	}
	return NULL;
}

/* The baseline and holds: pv_visible, the reason and the ripening time. */
static void
pn_decide(struct pn_ctx *pc)
{
	const struct plan_input	*in = pc->pc_in;
	const struct plan_hold	*h;
	struct plan_verdict	*v;
	struct vis_package	 vp;
	struct vis_decision	 d;
	char			 t[32], *why;
	size_t			 i;

	for (i = 0; i < in->pi_npkgs; i++) {
		v = &pc->pc_plan->pl_verdicts[i];
		vp = in->pi_pkgs[i].pk_vis;
		vp.vp_format = in->pi_format;
		vp.vp_base = plan_is_base(&vp);
		if (in->pi_terse)
			visibility_decide_terse(in->pi_baseline, &vp,
			    in->pi_now, &d);
		else
			visibility_decide(in->pi_baseline, &vp, in->pi_now, &d);
		v->pv_visible = d.vd_visible;
		v->pv_release = d.vd_release;
		v->pv_changes = d.vd_ripens;
		switch (d.vd_kind) {
		case VIS_REJECTED:
			v->pv_reason = PLAN_REJECTED;
			pc->pc_rejected[i] = 1;
			break;
		case VIS_APPROVED:
			v->pv_reason = PLAN_APPROVED;
			break;
		case VIS_BASE:
			v->pv_reason = PLAN_BASE;
			break;
		case VIS_RULE:
			v->pv_reason = PLAN_RULE;
			break;
		case VIS_WAITING:
			v->pv_reason = PLAN_WAITING;
			break;
		case VIS_NO_RULE:
			v->pv_reason = PLAN_NO_RULE;
			break;
		}
		v->pv_why = d.vd_reason;
		/* Terse: a visible version's sentence is made if needed. */
		if (in->pi_terse && v->pv_visible) {
			free(v->pv_why);
			v->pv_why = NULL;
		}
		/* A hold blocks whatever the baseline says, but rejection. */
		if (d.vd_kind != VIS_REJECTED && (h = pn_hold(in, &vp)) != NULL) {
			if (h->ph_until != 0)
				xasprintf(&why, "held%s%s until %s: %s",
				    h->ph_group ? " for group " : "",
				    h->ph_group ? h->ph_group : "",
				    time_format(h->ph_until, t, sizeof t),
				    h->ph_reason ? h->ph_reason : "no reason given");
			else
				xasprintf(&why, "held%s%s: %s",
				    h->ph_group ? " for group " : "",
				    h->ph_group ? h->ph_group : "",
				    h->ph_reason ? h->ph_reason : "no reason given");
			pn_set_why(v, PLAN_HELD, why);
			v->pv_visible = 0;
			v->pv_changes = h->ph_until;
		}
		pc->pc_eligible[i] = v->pv_visible;
	}
}

/* The verdict's sentence, made now when a terse plan left it out. */
static const char *
pn_why(struct pn_ctx *pc, size_t i)
{
	const struct plan_input	*in = pc->pc_in;
	struct plan_verdict	*v = &pc->pc_plan->pl_verdicts[i];
	struct vis_package	 vp;
	struct vis_decision	 d;

	if (v->pv_why == NULL) {
		vp = in->pi_pkgs[i].pk_vis;
		vp.vp_format = in->pi_format;
		vp.vp_base = plan_is_base(&vp);
		visibility_decide(in->pi_baseline, &vp, in->pi_now, &d);
		v->pv_why = d.vd_reason;
	}
	return v->pv_why;
}

static const struct plan_pkg	*pn_sort_pkgs;
static enum mirror_type		 pn_sort_format;

static int
pn_evrcmp(const struct vis_package *a, const struct vis_package *b)
{
	if (pn_sort_format == MIRROR_APT)
		return deb_vercmp(a->vp_version, b->vp_version);
	return rpm_evrcmp(a->vp_epoch, a->vp_version, a->vp_release,
	    b->vp_epoch, b->vp_version, b->vp_release);
}

/* By index, name and architecture, newest version first. */
static int
pn_entry_order(const void *x, const void *y)
{
	const struct pn_entry		*ea = x, *eb = y;
	const struct plan_pkg		*pa = &pn_sort_pkgs[ea->pe_pkg];
	const struct plan_pkg		*pb = &pn_sort_pkgs[eb->pe_pkg];
	const struct vis_package	*a = &pa->pk_vis, *b = &pb->pk_vis;
	int				 c;

	if ((c = strcmp(pa->pk_lists[ea->pe_list].pl_name,
	    pb->pk_lists[eb->pe_list].pl_name)) != 0)
		return c;
	if ((c = strcmp(a->vp_name, b->vp_name)) != 0)
		return c;
	if ((c = strcmp(a->vp_arch, b->vp_arch)) != 0)
		return c;
	if ((c = -pn_evrcmp(a, b)) != 0)
		return c;
	return ea->pe_pkg < eb->pe_pkg ? -1 : ea->pe_pkg > eb->pe_pkg;
}

static int
pn_same_slot(const struct plan_pkg *pkgs, const struct pn_entry *a,
    const struct pn_entry *b)
{
	const struct plan_pkg	*pa = &pkgs[a->pe_pkg], *pb = &pkgs[b->pe_pkg];

	return strcmp(pa->pk_lists[a->pe_list].pl_name,
	    pb->pk_lists[b->pe_list].pl_name) == 0 &&
	    strcmp(pa->pk_vis.vp_name, pb->pk_vis.vp_name) == 0 &&
	    strcmp(pa->pk_vis.vp_arch, pb->pk_vis.vp_arch) == 0;
}

/*
 * Retention over each index: every eligible version upstream lists there;
 * where upstream lists no eligible version of a name and architecture, the
 * newest eligible version whose file is stored.  Eligible versions newer
 * than that with no stored file are lost; older ones are superseded.  The
 * newest listed version is at risk when upstream lists a newer version
 * the group cannot see and its file is not stored.
 */
static void
pn_retain(struct pn_ctx *pc, struct pn_entry *ents, size_t nents)
{
	const struct plan_input	*in = pc->pc_in;
	const struct plan_pkg	*pkgs = in->pi_pkgs, *pk;
	struct plan_verdict	*vs = pc->pc_plan->pl_verdicts;
	struct pn_entry		*e;
	size_t			 i, j, k;
	ssize_t			 newest;
	int			 upstream_eligible, kept;

	for (i = 0; i < in->pi_npkgs; i++) {
		pc->pc_superseded[i] = 0;
		vs[i].pv_listed = 0;
		vs[i].pv_at_risk = 0;
		if (vs[i].pv_lists != NULL)
			memset(vs[i].pv_lists, 0, pkgs[i].pk_nlists);
	}
	for (i = 0; i < nents; i = j) {
		for (j = i + 1; j < nents && pn_same_slot(pkgs, &ents[i],
		    &ents[j]); j++)
			;
		upstream_eligible = 0;
		for (k = i; k < j; k++) {
			e = &ents[k];
			pk = &pkgs[e->pe_pkg];
			if (pk->pk_lists[e->pe_list].pl_upstream &&
			    pc->pc_eligible[e->pe_pkg]) {
				vs[e->pe_pkg].pv_lists[e->pe_list] = 1;
				upstream_eligible = 1;
			}
		}
		if (!upstream_eligible) {
			kept = 0;
			for (k = i; k < j && !kept; k++) {
				e = &ents[k];
				pk = &pkgs[e->pe_pkg];
				if (!pc->pc_eligible[e->pe_pkg])
					continue;
				if (pk->pk_stored) {
					vs[e->pe_pkg].pv_lists[e->pe_list] = 1;
					kept = 1;
				} else
					/* Gone unless fetched now. */
					vs[e->pe_pkg].pv_at_risk = 1;
			}
		}
		/* Newest first: the first listed is the newest listed. */
		newest = -1;
		for (k = i; k < j && newest == -1; k++) {
			if (vs[ents[k].pe_pkg].pv_lists[ents[k].pe_list])
				newest = k;
		}
		for (k = i; newest != -1 && k < (size_t)newest; k++) {
			e = &ents[k];
			pk = &pkgs[e->pe_pkg];
			if (pk->pk_lists[e->pe_list].pl_upstream &&
			    !pc->pc_eligible[e->pe_pkg] &&
			    !pkgs[ents[newest].pe_pkg].pk_stored) {
				vs[ents[newest].pe_pkg].pv_at_risk = 1;
				break;
			}
		}
		/* A retained version gives way when a newer one ripens. */
		for (k = i; newest != -1 && !upstream_eligible &&
		    k < (size_t)newest; k++) {
			time_t	*t = &pc->pc_superseded[ents[newest].pe_pkg];
			time_t	 c = vs[ents[k].pe_pkg].pv_changes;

			if (!pc->pc_eligible[ents[k].pe_pkg] && c > in->pi_now &&
			    (*t == 0 || c < *t))
				*t = c;
		}
	}
	for (i = 0; i < in->pi_npkgs; i++) {
		for (j = 0; j < pkgs[i].pk_nlists; j++)
			vs[i].pv_listed |= vs[i].pv_lists[j];
	}
}

/* The reasons retention gives: retained, lost, superseded. */
static void
pn_retention_reasons(struct pn_ctx *pc)
{
	const struct plan_input	*in = pc->pc_in;
	const struct plan_pkg	*pk;
	struct plan_verdict	*v;
	size_t			 i, j;
	int			 upstream;
	char			*why;

	for (i = 0; i < in->pi_npkgs; i++) {
		pk = &in->pi_pkgs[i];
		v = &pc->pc_plan->pl_verdicts[i];
		if (!pc->pc_eligible[i])
			continue;
		upstream = 0;
		for (j = 0; j < pk->pk_nlists; j++) {
			if (pk->pk_lists[j].pl_upstream && v->pv_lists[j])
				upstream = 1;
		}
		if (upstream)
			continue;
		if (v->pv_listed) {
			xasprintf(&why, "%s; upstream no longer lists it, so it "
			    "is served from the store", pn_why(pc, i));
			pn_set_why(v, PLAN_RETAINED, why);
			v->pv_changes = pc->pc_superseded[i];
		} else if (v->pv_at_risk) {
			xasprintf(&why, "lost: %s; upstream no longer lists it "
			    "and its file %s", pn_why(pc, i), pk->pk_lost != NULL ?
			    pk->pk_lost : "is not stored");
			pn_set_why(v, PLAN_LOST, why);
		} else {
			xasprintf(&why, "%s; upstream no longer lists it and a "
			    "newer version is listed", pn_why(pc, i));
			pn_set_why(v, PLAN_SUPERSEDED, why);
		}
	}
}

/* When a held version's missing requirement ripens; 0: not by time. */
static time_t
pn_unblocks(struct pn_ctx *pc, const unsigned char *state, size_t i)
{
	struct plan_verdict	*vs = pc->pc_plan->pl_verdicts;
	size_t			 prov[32], n, j;
	time_t			 t = 0, c;

	n = plan_deps_unmet_providers(pc->pc_in->pi_deps, state, i, prov,
	    sizeof prov / sizeof prov[0]);
	for (j = 0; j < n; j++) {
		c = vs[prov[j]].pv_changes;
		if (c > pc->pc_in->pi_now && (t == 0 || c < t))
			t = c;
	}
	return t;
}

/*
 * Installability: a version that needs what the group cannot see is held
 * back; under allow-as-dependency, a rejected version a listed one needs
 * is let in.  Returns whether eligibility changed.
 */
static int
pn_dependencies(struct pn_ctx *pc)
{
	const struct plan_input	*in = pc->pc_in;
	struct plan_verdict	*v;
	unsigned char		*state;
	char			**why, *text, label[512];
	size_t			 i;
	int			 changed = 0, allow;

	allow = in->pi_baseline->bl_rejected_action ==
	    REJECTED_ALLOW_AS_DEPENDENCY;
	state = xcalloc(in->pi_npkgs + 1, 1);
	why = xcalloc(in->pi_npkgs + 1, sizeof *why);
	for (i = 0; i < in->pi_npkgs; i++) {
		if (pc->pc_plan->pl_verdicts[i].pv_listed)
			state[i] = pc->pc_plan->pl_verdicts[i].pv_reason ==
			    PLAN_AS_DEPENDENCY ? PLAN_DEPS_LET_IN : PLAN_DEPS_LISTED;
		else if (pc->pc_rejected[i])
			state[i] = PLAN_DEPS_CANDIDATE;
		else
			state[i] = PLAN_DEPS_OUT;
	}
	text = NULL;
	if (plan_deps_settle(in->pi_deps, state, why, allow, &text) != 0) {
		/* The caller reports it; the plan stands without the check. */
		free(pc->pc_plan->pl_deps_error);
		pc->pc_plan->pl_deps_error = text != NULL ? text :
		    xstrdup("dependencies could not be checked");
		goto out;
	}
	for (i = 0; i < in->pi_npkgs; i++) {
		v = &pc->pc_plan->pl_verdicts[i];
		pn_label(in, &in->pi_pkgs[i], label, sizeof label);
		if (state[i] == PLAN_DEPS_HELD && pc->pc_eligible[i]) {
			xasprintf(&text, "held back for a dependency: it %s, "
			    "which group %s cannot see; the baseline alone "
			    "would list it (%s)", why[i] ? why[i] :
			    "needs a version", in->pi_group ? in->pi_group : "",
			    pn_why(pc, i));
			pn_set_why(v, PLAN_NEEDS_HIDDEN, text);
			v->pv_changes = pn_unblocks(pc, state, i);
			v->pv_visible = 0;
			pc->pc_eligible[i] = 0;
			changed = 1;
		} else if (state[i] == PLAN_DEPS_CANDIDATE && pc->pc_eligible[i] &&
		    v->pv_reason == PLAN_AS_DEPENDENCY) {
			pn_set_why(v, PLAN_REJECTED, xstrdup("rejected, and no "
			    "listed version needs it any more"));
			v->pv_visible = 0;
			pc->pc_eligible[i] = 0;
			changed = 1;
		} else if (state[i] == PLAN_DEPS_LET_IN && !pc->pc_eligible[i]) {
			xasprintf(&text, "listed as a dependency although %s: "
			    "%s (rejected-action = allow-as-dependency)",
			    pn_why(pc, i), why[i] ? why[i] : "a listed version "
			    "needs it");
			pn_set_why(v, PLAN_AS_DEPENDENCY, text);
			v->pv_visible = 1;
			v->pv_changes = 0;
			pc->pc_eligible[i] = 1;
			changed = 1;
		}
	}
out:
	for (i = 0; i < in->pi_npkgs; i++)
		free(why[i]);
	free(why);
	free(state);
	return changed;
}

struct plan_order *
plan_order_new(const struct plan_pkg *pkgs, size_t npkgs,
    enum mirror_type format)
{
	struct plan_order	*po;
	size_t			 i, j, n = 0;

	po = xcalloc(1, sizeof *po);
	for (i = 0; i < npkgs; i++)
		n += pkgs[i].pk_nlists;
	po->po_ents = xcalloc(n + 1, sizeof *po->po_ents);
	for (i = 0; i < npkgs; i++) {
		for (j = 0; j < pkgs[i].pk_nlists; j++) {
			po->po_ents[po->po_n].pe_pkg = i;
			po->po_ents[po->po_n].pe_list = j;
			po->po_n++;
		}
	}
	pn_sort_pkgs = pkgs;
	pn_sort_format = format;
	if (po->po_n > 0)
		qsort(po->po_ents, po->po_n, sizeof *po->po_ents,
		    pn_entry_order);
	return po;
}

void
plan_order_free(struct plan_order *po)
{
	if (po == NULL)
		return;
	free(po->po_ents);
	free(po);
}

struct plan *
plan_make(const struct plan_input *in)
{
	struct pn_ctx		 pc;
	struct plan		*pl;
	struct plan_verdict	*v;
	struct plan_order	*own = NULL;
	const struct plan_order	*po = in->pi_order;
	struct pn_entry		*ents;
	unsigned char		*lists;
	size_t			 i, nents;
	int			 round;

	pl = xcalloc(1, sizeof *pl);
	pl->pl_n = in->pi_npkgs;
	pl->pl_verdicts = xcalloc(in->pi_npkgs + 1, sizeof *pl->pl_verdicts);
	memset(&pc, 0, sizeof pc);
	pc.pc_in = in;
	pc.pc_plan = pl;
	pc.pc_eligible = xcalloc(in->pi_npkgs + 1, 1);
	pc.pc_rejected = xcalloc(in->pi_npkgs + 1, 1);
	pc.pc_superseded = xcalloc(in->pi_npkgs + 1, sizeof *pc.pc_superseded);

	if (po == NULL)
		po = own = plan_order_new(in->pi_pkgs, in->pi_npkgs,
		    in->pi_format);
	ents = po->po_ents;
	nents = po->po_n;
	/* Every verdict's pv_lists in one block: one allocation, not 63,000. */
	pl->pl_lists = lists = xcalloc(nents + 1, 1);
	for (i = 0; i < in->pi_npkgs; i++) {
		pl->pl_verdicts[i].pv_lists = lists;
		lists += in->pi_pkgs[i].pk_nlists;
	}

	pn_decide(&pc);
	pn_retain(&pc, ents, nents);
	for (round = 0; in->pi_deps != NULL && round < PLAN_MAX_ROUNDS; round++) {
		if (!pn_dependencies(&pc))
			break;
		pn_retain(&pc, ents, nents);
	}
	pn_retention_reasons(&pc);

	for (i = 0; i < in->pi_npkgs; i++) {
		v = &pl->pl_verdicts[i];
		/* Terse: a version the view does not list says why. */
		if (!v->pv_listed && v->pv_why == NULL)
			pn_why(&pc, i);
		if (v->pv_listed)
			pl->pl_listed++;
		if (v->pv_reason == PLAN_LOST)
			pl->pl_lost++;
		if (v->pv_reason == PLAN_NEEDS_HIDDEN)
			pl->pl_dep_held++;
		if (v->pv_reason == PLAN_AS_DEPENDENCY)
			pl->pl_let_in++;
		if (v->pv_changes != 0 && v->pv_changes > in->pi_now &&
		    (pl->pl_next_change == 0 ||
		    v->pv_changes < pl->pl_next_change))
			pl->pl_next_change = v->pv_changes;
	}
	plan_order_free(own);
	free(pc.pc_eligible);
	free(pc.pc_rejected);
	free(pc.pc_superseded);
	return pl;
}

void
plan_free(struct plan *pl)
{
	size_t	i;

	if (pl == NULL)
		return;
	for (i = 0; i < pl->pl_n; i++)
		free(pl->pl_verdicts[i].pv_why);
	free(pl->pl_lists);
	free(pl->pl_verdicts);
	free(pl->pl_deps_error);
	free(pl);
}
