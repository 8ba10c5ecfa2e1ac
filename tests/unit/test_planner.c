/*
 * The planner (lib/planner.c): every reason it gives, which reason wins,
 * retention of versions upstream dropped (rpm-md's one index, apt's
 * several), advisories attached to every architecture, and the
 * installability step over primary.xml <package> elements and Packages
 * stanzas under block and allow-as-dependency.  Baselines come from a
 * configuration text loaded with config_load, as patchgate loads them.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "conf.h"
#include "plan_deps.h"
#include "planner.h"
#include "tap.h"
#include "util.h"
#include "visibility.h"
#include "xmalloc.h"

#define NELEM(a)	(sizeof (a) / sizeof (a)[0])

static const char	*group = "prod";

static time_t
t(const char *s)
{
	time_t	v;

	if (time_parse_rfc3339(s, &v) != 0)
		abort();
	return v;
}

/* rpm-md has one index, named "". */
static const struct plan_list	rpm_up[] = { { "", 1 } };
static const struct plan_list	rpm_gone[] = { { "", 0 } };

static struct plan_pkg
pkg(enum mirror_type f, const char *name, const char *ver, const char *arch,
    time_t first_seen, const struct plan_list *lists, size_t nlists,
    int stored)
{
	struct plan_pkg	pk;

	memset(&pk, 0, sizeof pk);
	pk.pk_vis.vp_format = f;
	pk.pk_vis.vp_name = name;
	pk.pk_vis.vp_arch = arch;
	if (f == MIRROR_RPMMD) {
		pk.pk_vis.vp_epoch = "0";
		pk.pk_vis.vp_version = ver;
		pk.pk_vis.vp_release = "1.el9";
	} else
		pk.pk_vis.vp_version = ver;
	pk.pk_vis.vp_first_seen = first_seen;
	pk.pk_lists = lists;
	pk.pk_nlists = nlists;
	pk.pk_stored = stored;
	return pk;
}

static struct plan_pkg
rpm(const char *name, const char *ver, time_t first_seen)
{
	return pkg(MIRROR_RPMMD, name, ver, "x86_64", first_seen, rpm_up, 1, 1);
}

static void
adv(struct plan_pkg *pk, const struct vis_advisory *va)
{
	pk->pk_vis.vp_advs = va;
	pk->pk_vis.vp_nadvs = 1;
}

static struct plan *
run(const struct baseline *bl, enum mirror_type f, const struct plan_pkg *pkgs,
    size_t n, const struct plan_hold *holds, size_t nholds,
    struct plan_deps *deps, time_t now)
{
	struct plan_input	in;

	memset(&in, 0, sizeof in);
	in.pi_baseline = bl;
	in.pi_group = group;
	in.pi_format = f;
	in.pi_pkgs = pkgs;
	in.pi_npkgs = n;
	in.pi_holds = holds;
	in.pi_nholds = nholds;
	in.pi_deps = deps;
	in.pi_now = now;
	return plan_make(&in);
}

static int
why_has(const struct plan_verdict *v, const char *frag)
{
	return v->pv_why != NULL && strstr(v->pv_why, frag) != NULL;
}

/* Listed, reason, pv_changes and (when frag) a fragment of pv_why. */
static void
expect(const struct plan *pl, size_t i, int listed, enum plan_reason r,
    time_t changes, const char *frag, const char *what)
{
	const struct plan_verdict	*v = &pl->pl_verdicts[i];
	char				 a[32], b[32];

	is_int(v->pv_listed, listed, "%s: %s", what,
	    listed ? "listed" : "not listed");
	is_str(plan_reason_name(v->pv_reason), plan_reason_name(r),
	    "%s: reason %s", what, plan_reason_name(r));
	ok(v->pv_changes == changes, "%s: changes at %s (got %s)", what,
	    changes ? time_format(changes, a, sizeof a) : "never",
	    v->pv_changes ? time_format(v->pv_changes, b, sizeof b) : "never");
	if (frag != NULL)
		ok(why_has(v, frag), "%s: why has \"%s\" (%s)", what, frag,
		    v->pv_why ? v->pv_why : "(null)");
}

static void
next_change_is(const struct plan *pl, time_t want, const char *what)
{
	char	a[32], b[32];

	ok(pl->pl_next_change == want, "%s: next change at %s (got %s)", what,
	    want ? time_format(want, a, sizeof a) : "never",
	    pl->pl_next_change ? time_format(pl->pl_next_change, b, sizeof b) :
	    "never");
}

/* ---- every reason, and which wins --------------------------------- */

static void
test_reasons(const struct baseline *prod, const struct baseline *sec)
{
	const time_t		 now = t("2026-03-20T00:00:00Z");
	const char		*cves[] = { "CVE-2026-1000", NULL };
	struct vis_advisory	 a_id = { "PGTEST-2026-0100", "security",
				    "Moderate", 0, NULL };
	struct vis_advisory	 a_cve = { "PGTEST-2026-0200", "bugfix", NULL,
				    0, cves };
	struct vis_advisory	 a_bug = { "PGTEST-2026-0300", "bugfix", "Low",
				    0, NULL };
	struct vis_advisory	 a_old = { "PGTEST-2026-0301", "bugfix", NULL,
				    0, NULL };
	struct vis_advisory	 a_early = { "PGTEST-2026-0302", "enhancement",
				    NULL, 0, NULL };
	struct vis_advisory	 a_late = { "PGTEST-2026-0303", "enhancement",
				    NULL, 0, NULL };
	struct vis_advisory	 a_crit = { "PGTEST-2026-0304", "security",
				    "Critical", 0, NULL };
	struct plan_hold	 holds[] = {
		{ "heldpkg", "prod", "regression in 1.0", 0 },
		{ "otherhold", "dev", "dev only", 0 },
		{ "expired", NULL, "old hold", 0 },
		{ "untilpkg", NULL, "vendor recall", 0 },
		{ "both", "prod", "hold on both", 0 },
		{ "goodheld", NULL, "approved, then held", 0 },
	};
	struct plan_pkg		 p[17];
	struct plan		*pl;
	const struct plan_verdict *v;

	a_id.va_issued = t("2026-03-19T00:00:00Z");
	a_cve.va_issued = t("2026-03-19T00:00:00Z");
	a_bug.va_issued = t("2026-03-18T00:00:00Z");
	a_old.va_issued = t("2026-03-01T00:00:00Z");
	a_early.va_issued = t("2026-03-15T00:00:00Z");
	a_late.va_issued = t("2026-03-18T00:00:00Z");
	a_crit.va_issued = t("2026-03-19T06:00:00Z");
	holds[2].ph_until = now - 3600;
	holds[3].ph_until = t("2026-03-25T00:00:00Z");

	p[0] = rpm("badpkg", "1.0", t("2026-03-01T00:00:00Z"));
	p[1] = rpm("heldpkg", "1.0", 0);
	p[2] = rpm("otherhold", "1.0", 0);
	p[3] = rpm("expired", "1.0", 0);
	p[4] = rpm("untilpkg", "1.0", 0);
	p[5] = rpm("goodpkg", "1.0", now);
	p[6] = rpm("advpkg", "1.0", now);
	adv(&p[6], &a_id);
	p[7] = rpm("cvepkg", "1.0", now);
	adv(&p[7], &a_cve);
	p[8] = rpm("basepkg", "1.0", 0);
	p[9] = rpm("advbase", "1.0", 0);
	adv(&p[9], &a_bug);
	p[10] = rpm("advbase2", "1.0", 0);
	adv(&p[10], &a_old);
	p[11] = rpm("rulepkg", "1.0", t("2026-03-05T00:00:00Z"));
	p[12] = rpm("wait1", "1.0", t("2026-03-17T00:00:00Z"));
	adv(&p[12], &a_early);
	p[13] = rpm("wait2", "1.0", t("2026-03-16T00:00:00Z"));
	adv(&p[13], &a_late);
	p[14] = rpm("crit", "1.0", t("2026-03-19T00:00:00Z"));
	adv(&p[14], &a_crit);
	p[15] = rpm("both", "1.0", 0);
	p[16] = rpm("goodheld", "1.0", now);

	pl = run(prod, MIRROR_RPMMD, p, NELEM(p), holds, NELEM(holds), NULL,
	    now);
	ok(pl != NULL && pl->pl_n == NELEM(p), "a plan with one verdict per "
	    "version");

	expect(pl, 0, 0, PLAN_REJECTED, 0,
	    "rejected by baseline prod (rejected = badpkg)", "rejected");
	expect(pl, 1, 0, PLAN_HELD, 0, "held for group prod: regression in 1.0",
	    "held for this group (beats base)");
	expect(pl, 2, 1, PLAN_BASE, 0, NULL, "a hold for another group");
	expect(pl, 3, 1, PLAN_BASE, 0, NULL, "an expired hold");
	expect(pl, 4, 0, PLAN_HELD, t("2026-03-25T00:00:00Z"),
	    "held until 2026-03-25T00:00:00Z: vendor recall",
	    "a hold with an until date");
	expect(pl, 5, 1, PLAN_APPROVED, 0,
	    "approved by baseline prod (approved = goodpkg)",
	    "approved by name (beats a rule that would wait)");
	expect(pl, 6, 1, PLAN_APPROVED, 0, "approved = PGTEST-2026-0100",
	    "approved by advisory ID");
	expect(pl, 7, 1, PLAN_APPROVED, 0, "approved = CVE-2026-1000",
	    "approved by CVE");
	expect(pl, 8, 1, PLAN_BASE, 0, "part of the mirror's base",
	    "base: first sync, no advisory");
	ok(plan_is_base(&p[8].pk_vis) && !plan_is_base(&p[9].pk_vis) &&
	    !plan_is_base(&p[11].pk_vis), "plan_is_base: first sync and no "
	    "advisory, nothing else");
	expect(pl, 9, 0, PLAN_WAITING, t("2026-03-25T00:00:00Z"),
	    "PGTEST-2026-0300",
	    "not base when an advisory lists it: the advisory date + 7d");
	is_int(pl->pl_verdicts[9].pv_release, t("2026-03-18T00:00:00Z"),
	    "at the first sync the advisory date is the release time");
	expect(pl, 10, 1, PLAN_RULE, 0, "by PGTEST-2026-0301",
	    "first sync, old advisory: a rule approves it");
	expect(pl, 11, 1, PLAN_RULE, 0, "rule \"classification=* delay=7d\"",
	    "rule: delay passed");
	is_int(pl->pl_verdicts[11].pv_release, t("2026-03-05T00:00:00Z"),
	    "rule: release time is first seen");
	expect(pl, 12, 0, PLAN_WAITING, t("2026-03-24T00:00:00Z"),
	    "held back by baseline prod",
	    "waiting: first seen after the advisory date");
	is_int(pl->pl_verdicts[12].pv_release, t("2026-03-17T00:00:00Z"),
	    "release time: first seen, the later");
	expect(pl, 13, 0, PLAN_WAITING, t("2026-03-25T00:00:00Z"),
	    "2026-03-25T00:00:00Z",
	    "waiting: advisory dated after first seen");
	is_int(pl->pl_verdicts[13].pv_release, t("2026-03-18T00:00:00Z"),
	    "release time: the advisory date, the later");
	expect(pl, 14, 0, PLAN_WAITING, t("2026-03-20T06:00:00Z"),
	    "severity=critical delay=1d",
	    "waiting: the earliest matching rule ripens first");
	expect(pl, 15, 0, PLAN_REJECTED, 0, "rejected = both",
	    "rejected beats approved and held");
	expect(pl, 16, 0, PLAN_HELD, 0, "approved, then held",
	    "held beats approved");
	v = &pl->pl_verdicts[5];
	ok(v->pv_visible && !v->pv_at_risk, "approved: visible, not at risk");
	next_change_is(pl, t("2026-03-20T06:00:00Z"),
	    "the earliest ripening of all verdicts");
	is_int(pl->pl_listed, 8, "eight versions listed");
	plan_free(pl);

	/* A day later the critical one is in, and the next change moves. */
	pl = run(prod, MIRROR_RPMMD, p, NELEM(p), holds, NELEM(holds), NULL,
	    t("2026-03-20T06:00:00Z"));
	expect(pl, 14, 1, PLAN_RULE, 0, "severity=critical delay=1d",
	    "ripe at release + delay exactly");
	next_change_is(pl, t("2026-03-24T00:00:00Z"), "then the next ripening");
	plan_free(pl);

	/* Once the hold's until date passes, the rule decides again. */
	pl = run(prod, MIRROR_RPMMD, p, NELEM(p), holds, NELEM(holds), NULL,
	    t("2026-03-25T00:00:00Z"));
	expect(pl, 4, 1, PLAN_BASE, 0, NULL, "a hold ends at its until date");
	next_change_is(pl, 0, "nothing left to ripen");
	plan_free(pl);

	/* No rule: the "sec" baseline only knows security advisories. */
	p[0] = rpm("newpkg", "1.0", t("2026-03-10T00:00:00Z"));
	p[1] = rpm("newsec", "1.0", t("2026-03-10T00:00:00Z"));
	adv(&p[1], &a_crit);
	p[2] = rpm("newbug", "1.0", t("2026-03-10T00:00:00Z"));
	adv(&p[2], &a_bug);
	pl = run(sec, MIRROR_RPMMD, p, 3, NULL, 0, NULL, now);
	expect(pl, 0, 0, PLAN_NO_RULE, 0, "no rule of baseline sec matches "
	    "classification none, severity none (no advisory)",
	    "no-rule: no advisory, no mirror default");
	expect(pl, 1, 1, PLAN_RULE, 0, "by PGTEST-2026-0304",
	    "security advisory under the security rule");
	expect(pl, 2, 0, PLAN_NO_RULE, 0, "classification bugfix",
	    "no-rule: a bugfix advisory");
	next_change_is(pl, 0, "no-rule never changes by time");
	plan_free(pl);

	/* A mirror default classification lets the rule match. */
	p[0].pk_vis.vp_default_classification = "security";
	pl = run(sec, MIRROR_RPMMD, p, 1, NULL, 0, NULL, now);
	expect(pl, 0, 1, PLAN_RULE, 0, NULL,
	    "no advisory, the mirror's default classification");
	plan_free(pl);
}

/* ---- retention ------------------------------------------------------ */

static void
test_retention_rpmmd(const struct baseline *prod)
{
	const time_t		 now = t("2026-03-20T00:00:00Z");
	const time_t		 ripe = t("2026-03-22T00:00:00Z");
	struct plan_pkg		 p[3];
	struct plan		*pl;
	const struct plan_verdict *v;

	/* Upstream replaced 1.0 (the base) with 1.1, seen on 03-15. */
	p[0] = pkg(MIRROR_RPMMD, "foo", "1.0", "x86_64", 0, rpm_gone, 1, 1);
	p[1] = pkg(MIRROR_RPMMD, "foo", "1.1", "x86_64",
	    t("2026-03-15T00:00:00Z"), rpm_up, 1, 0);
	pl = run(prod, MIRROR_RPMMD, p, 2, NULL, 0, NULL, now);
	expect(pl, 0, 1, PLAN_RETAINED, ripe, "served from the store",
	    "rpm-md, 1.0 dropped upstream, stored");
	ok(why_has(&pl->pl_verdicts[0], "part of the mirror's base"),
	    "retained: the why keeps what made it visible (%s)",
	    pl->pl_verdicts[0].pv_why);
	is_int(pl->pl_verdicts[0].pv_lists[0], 1, "listed in index \"\"");
	is_int(pl->pl_verdicts[0].pv_at_risk, 0, "stored: not at risk");
	expect(pl, 1, 0, PLAN_WAITING, ripe, NULL, "1.1 waits");
	next_change_is(pl, ripe, "the view changes when 1.1 ripens");
	ok(pl->pl_verdicts[0].pv_changes == ripe,
	    "retained 1.0 changes when 1.1 ripens");
	plan_free(pl);

	/* The same, 1.0 not stored: lost. */
	p[0].pk_stored = 0;
	p[0].pk_lost = "upstream answered 404 and no archive has it";
	pl = run(prod, MIRROR_RPMMD, p, 2, NULL, 0, NULL, now);
	v = &pl->pl_verdicts[0];
	expect(pl, 0, 0, PLAN_LOST, 0,
	    "upstream answered 404 and no archive has it",
	    "rpm-md, 1.0 dropped upstream, not stored");
	ok(why_has(v, "lost: "), "lost: the why says so (%s)", v->pv_why);
	is_int(v->pv_at_risk, 1, "lost: at risk");
	is_int(v->pv_lists[0], 0, "lost: in no index");
	is_int(pl->pl_lost, 1, "one version lost");
	is_int(pl->pl_listed, 0, "nothing listed: 1.1 waits, 1.0 is gone");
	plan_free(pl);

	p[0].pk_lost = NULL;
	pl = run(prod, MIRROR_RPMMD, p, 2, NULL, 0, NULL, now);
	expect(pl, 0, 0, PLAN_LOST, 0, "its file is not stored",
	    "lost without a recorded cause");
	plan_free(pl);

	/* 1.1 ripens: 1.0 is superseded whether stored or not. */
	p[0].pk_stored = 1;
	pl = run(prod, MIRROR_RPMMD, p, 2, NULL, 0, NULL, ripe);
	expect(pl, 1, 1, PLAN_RULE, 0, NULL, "1.1 ripe");
	expect(pl, 0, 0, PLAN_SUPERSEDED, 0, "a newer version is listed",
	    "1.0 once 1.1 is listed");
	is_int(pl->pl_verdicts[0].pv_at_risk, 0, "superseded: not at risk");
	is_int(pl->pl_verdicts[1].pv_at_risk, 0,
	    "1.1: upstream lists nothing newer, not at risk");
	next_change_is(pl, 0, "nothing left to ripen");
	plan_free(pl);

	/* Upstream lists both; 1.1 waits: 1.0 is at risk unless stored. */
	p[0].pk_lists = rpm_up;
	p[0].pk_stored = 0;
	pl = run(prod, MIRROR_RPMMD, p, 2, NULL, 0, NULL, now);
	expect(pl, 0, 1, PLAN_BASE, 0, NULL, "both listed upstream, 1.0");
	is_int(pl->pl_verdicts[0].pv_at_risk, 1, "newest listed, not stored, "
	    "a newer version the group cannot see: at risk");
	plan_free(pl);
	p[0].pk_stored = 1;
	pl = run(prod, MIRROR_RPMMD, p, 2, NULL, 0, NULL, now);
	is_int(pl->pl_verdicts[0].pv_at_risk, 0, "the same, stored: not at risk");
	is_int(pl->pl_verdicts[0].pv_listed, 1, "the same, stored: listed");
	plan_free(pl);
	/* A newer version the group sees as well: nothing at risk. */
	p[0].pk_stored = 0;
	pl = run(prod, MIRROR_RPMMD, p, 2, NULL, 0, NULL, ripe);
	ok(pl->pl_verdicts[0].pv_listed && pl->pl_verdicts[1].pv_listed &&
	    !pl->pl_verdicts[0].pv_at_risk && !pl->pl_verdicts[1].pv_at_risk,
	    "upstream lists both, both visible: both listed, none at risk");
	plan_free(pl);

	/* Two retained versions: only the newest stored one is listed. */
	p[0] = pkg(MIRROR_RPMMD, "foo", "1.0", "x86_64", 0, rpm_gone, 1, 1);
	p[1] = pkg(MIRROR_RPMMD, "foo", "1.1", "x86_64",
	    t("2026-03-01T00:00:00Z"), rpm_gone, 1, 1);
	p[2] = pkg(MIRROR_RPMMD, "foo", "1.2", "x86_64",
	    t("2026-03-18T00:00:00Z"), rpm_up, 1, 0);
	pl = run(prod, MIRROR_RPMMD, p, 3, NULL, 0, NULL, now);
	expect(pl, 1, 1, PLAN_RETAINED, t("2026-03-25T00:00:00Z"), "served from the store",
	    "two dropped: the newer stored one");
	expect(pl, 0, 0, PLAN_SUPERSEDED, 0, NULL,
	    "two dropped: the older one");
	expect(pl, 2, 0, PLAN_WAITING, t("2026-03-25T00:00:00Z"), NULL,
	    "two dropped: upstream's newest waits");
	is_int(pl->pl_listed, 1, "one version of foo listed");
	plan_free(pl);
	/* The newer one was not stored: the older stored one stands in. */
	p[1].pk_stored = 0;
	pl = run(prod, MIRROR_RPMMD, p, 3, NULL, 0, NULL, now);
	expect(pl, 0, 1, PLAN_RETAINED, t("2026-03-25T00:00:00Z"), NULL,
	    "newer dropped one not stored: the older stored one");
	expect(pl, 1, 0, PLAN_LOST, 0, "is not stored",
	    "newer dropped one not stored");
	is_int(pl->pl_verdicts[1].pv_at_risk, 1, "and it is at risk");
	plan_free(pl);

	/* Upstream removed the package entirely: kept while seen. */
	p[0] = pkg(MIRROR_RPMMD, "gone", "1.0", "noarch", 0, rpm_gone, 1, 1);
	pl = run(prod, MIRROR_RPMMD, p, 1, NULL, 0, NULL, now);
	expect(pl, 0, 1, PLAN_RETAINED, 0, NULL,
	    "a package upstream removed altogether, stored");
	plan_free(pl);
	/* Two architectures are two slots. */
	p[0] = pkg(MIRROR_RPMMD, "foo", "1.0", "i686", 0, rpm_up, 1, 1);
	p[1] = pkg(MIRROR_RPMMD, "foo", "1.1", "x86_64", 0, rpm_up, 1, 1);
	pl = run(prod, MIRROR_RPMMD, p, 2, NULL, 0, NULL, now);
	ok(pl->pl_verdicts[0].pv_listed && pl->pl_verdicts[1].pv_listed,
	    "one version per architecture: both listed");
	plan_free(pl);
}

static void
test_retention_apt(const struct baseline *prod)
{
	const time_t			 now = t("2026-03-20T00:00:00Z");
	const time_t			 ripe = t("2026-03-25T00:00:00Z");
	static const struct plan_list	 u1_lists[] = {
		{ "bookworm/main/binary-amd64", 1 },
		{ "bookworm-security/main/binary-amd64", 0 },
	};
	static const struct plan_list	 u2_lists[] = {
		{ "bookworm-security/main/binary-amd64", 1 },
	};
	static const struct plan_list	 sec_gone[] = {
		{ "bookworm-security/main/binary-amd64", 0 },
	};
	struct plan_pkg			 p[2];
	struct plan			*pl;
	const struct plan_verdict	*v;

	/* A suite lists one version: the update replaced deb12u1. */
	p[0] = pkg(MIRROR_APT, "openssl", "3.0.11-1~deb12u1", "amd64", 0,
	    sec_gone, 1, 1);
	p[1] = pkg(MIRROR_APT, "openssl", "3.0.11-1~deb12u2", "amd64",
	    t("2026-03-18T00:00:00Z"), u2_lists, 1, 0);
	pl = run(prod, MIRROR_APT, p, 2, NULL, 0, NULL, now);
	expect(pl, 0, 1, PLAN_RETAINED, ripe, "served from the store",
	    "apt, deb12u1 dropped, stored");
	expect(pl, 1, 0, PLAN_WAITING, ripe, NULL, "apt, deb12u2 waits");
	plan_free(pl);
	p[0].pk_stored = 0;
	p[0].pk_lost = "the pool no longer has it";
	pl = run(prod, MIRROR_APT, p, 2, NULL, 0, NULL, now);
	expect(pl, 0, 0, PLAN_LOST, 0, "the pool no longer has it",
	    "apt, deb12u1 dropped, not stored");
	is_int(pl->pl_verdicts[0].pv_at_risk, 1, "apt lost: at risk");
	plan_free(pl);
	p[0].pk_lost = NULL;
	pl = run(prod, MIRROR_APT, p, 2, NULL, 0, NULL, ripe);
	expect(pl, 1, 1, PLAN_RULE, 0, NULL, "apt, deb12u2 ripe");
	expect(pl, 0, 0, PLAN_SUPERSEDED, 0, NULL, "apt, deb12u1 superseded");
	plan_free(pl);

	/*
	 * deb12u1 in two indexes: the point release still lists it,
	 * the security suite dropped it for deb12u2.
	 */
	p[0] = pkg(MIRROR_APT, "openssl", "3.0.11-1~deb12u1", "amd64", 0,
	    u1_lists, 2, 1);
	pl = run(prod, MIRROR_APT, p, 2, NULL, 0, NULL, now);
	v = &pl->pl_verdicts[0];
	ok(v->pv_lists[0] == 1 && v->pv_lists[1] == 1,
	    "dropped in one index, stored: listed in both (%d, %d)",
	    v->pv_lists[0], v->pv_lists[1]);
	expect(pl, 0, 1, PLAN_BASE, 0, NULL,
	    "still upstream in one index: its own reason");
	is_int(v->pv_at_risk, 0, "stored: not at risk");
	plan_free(pl);
	p[0].pk_stored = 0;
	pl = run(prod, MIRROR_APT, p, 2, NULL, 0, NULL, now);
	v = &pl->pl_verdicts[0];
	ok(v->pv_lists[0] == 1 && v->pv_lists[1] == 0,
	    "dropped in one index, not stored: listed where upstream lists "
	    "it only (%d, %d)", v->pv_lists[0], v->pv_lists[1]);
	expect(pl, 0, 1, PLAN_BASE, 0, NULL,
	    "dropped in one index, not stored: still listed");
	is_int(v->pv_at_risk, 1, "not stored, dropped in one index: at risk");
	plan_free(pl);
	/* deb12u2 ripe: each index lists its own upstream version. */
	pl = run(prod, MIRROR_APT, p, 2, NULL, 0, NULL, ripe);
	v = &pl->pl_verdicts[0];
	ok(v->pv_lists[0] == 1 && v->pv_lists[1] == 0 &&
	    pl->pl_verdicts[1].pv_lists[0] == 1,
	    "ripe: deb12u1 in the point release, deb12u2 in security");
	plan_free(pl);
}

/* ---- advisories with no architecture -------------------------------- */

static void
test_empty_arch(const struct baseline *prod)
{
	/*
	 * updateinfo names the package with arch="": the indexer attaches
	 * the advisory to every architecture's version.
	 */
	struct vis_advisory	 a = { "PGTEST-2026-0400", "security",
				    "Critical", 0, NULL };
	struct vis_advisory	 b = { "PGTEST-2026-0401", "bugfix", NULL, 0,
				    NULL };
	struct plan_pkg		 p[3];
	struct plan		*pl;
	const time_t		 issued = t("2026-03-19T12:00:00Z");
	size_t			 i;

	a.va_issued = issued;
	b.va_issued = t("2026-03-15T00:00:00Z");
	p[0] = pkg(MIRROR_RPMMD, "kpkg", "1.0", "x86_64",
	    t("2026-03-19T00:00:00Z"), rpm_up, 1, 1);
	p[1] = pkg(MIRROR_RPMMD, "kpkg", "1.0", "i686",
	    t("2026-03-19T00:00:00Z"), rpm_up, 1, 1);
	adv(&p[0], &a);
	adv(&p[1], &a);
	p[2] = pkg(MIRROR_RPMMD, "docs", "1.0", "noarch", 0, rpm_up, 1, 1);
	adv(&p[2], &b);

	pl = run(prod, MIRROR_RPMMD, p, 3, NULL, 0, NULL,
	    t("2026-03-20T00:00:00Z"));
	for (i = 0; i < 2; i++) {
		expect(pl, i, 0, PLAN_WAITING, issued + 86400,
		    "severity=critical delay=1d", i == 0 ?
		    "arch-less advisory, x86_64: critical rule, from its date" :
		    "arch-less advisory, i686: critical rule, from its date");
		is_int(pl->pl_verdicts[i].pv_release, issued,
		    "release time is the advisory's date, later than first "
		    "seen");
	}
	expect(pl, 2, 0, PLAN_WAITING, t("2026-03-22T00:00:00Z"),
	    "PGTEST-2026-0401", "arch-less bugfix advisory at the first sync: "
	    "not base, catch-all rule");
	next_change_is(pl, issued + 86400, "the arch-less advisory ripens first");
	plan_free(pl);
	pl = run(prod, MIRROR_RPMMD, p, 3, NULL, 0, NULL, issued + 86400);
	for (i = 0; i < 2; i++)
		expect(pl, i, 1, PLAN_RULE, 0, "by PGTEST-2026-0400",
		    "arch-less advisory, ripe");
	plan_free(pl);
}

/* ---- dependencies --------------------------------------------------- */

/* A primary.xml <package> as createrepo_c writes it.  Caller frees. */
static char *
primary_pkg(const char *name, const char *ver, const char *provides,
    const char *requires)
{
	char	*s;

	xasprintf(&s,
	    "<package type=\"rpm\">\n"
	    "  <name>%s</name>\n"
	    "  <arch>x86_64</arch>\n"
	    "  <version epoch=\"0\" ver=\"%s\" rel=\"1.el9\"/>\n"
	    "  <checksum type=\"sha256\" pkgid=\"YES\">"
	    "0f3c4d8a3b0e9e2b7f55b1e6c1a2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0"
	    "</checksum>\n"
	    "  <summary>%s test package</summary>\n"
	    "  <description>A package for the planner's tests.</description>\n"
	    "  <packager>PGTEST</packager>\n"
	    "  <url>https://example.org/%s</url>\n"
	    "  <time file=\"1772323200\" build=\"1772323200\"/>\n"
	    "  <size package=\"12345\" installed=\"45678\" archive=\"46000\"/>\n"
	    "  <location href=\"Packages/%c/%s-%s-1.el9.x86_64.rpm\"/>\n"
	    "  <format>\n"
	    "    <rpm:license>MIT</rpm:license>\n"
	    "    <rpm:vendor>PGTEST</rpm:vendor>\n"
	    "    <rpm:group>Unspecified</rpm:group>\n"
	    "    <rpm:buildhost>build.example.org</rpm:buildhost>\n"
	    "    <rpm:sourcerpm>%s-%s-1.el9.src.rpm</rpm:sourcerpm>\n"
	    "    <rpm:header-range start=\"4504\" end=\"9012\"/>\n"
	    "    <rpm:provides>\n"
	    "      <rpm:entry name=\"%s\" flags=\"EQ\" epoch=\"0\" ver=\"%s\" "
	    "rel=\"1.el9\"/>\n"
	    "      <rpm:entry name=\"%s(x86-64)\" flags=\"EQ\" epoch=\"0\" "
	    "ver=\"%s\" rel=\"1.el9\"/>\n"
	    "%s"
	    "    </rpm:provides>\n"
	    "    <rpm:requires>\n"
	    "%s"
	    "      <rpm:entry name=\"libc.so.6()(64bit)\"/>\n"
	    "      <rpm:entry name=\"rpmlib(CompressedFileNames)\" flags=\"LE\" "
	    "epoch=\"0\" ver=\"3.0.4\" rel=\"1\" pre=\"1\"/>\n"
	    "    </rpm:requires>\n"
	    "  </format>\n"
	    "</package>\n",
	    name, ver, name, name, name[0], name, ver, name, ver,
	    name, ver, name, ver, provides, requires);
	return s;
}

/* A Packages stanza as apt-ftparchive writes it.  Caller frees. */
static char *
deb_stanza(const char *name, const char *ver, const char *depends)
{
	char	*s;

	xasprintf(&s,
	    "Package: %s\n"
	    "Source: %s\n"
	    "Version: %s\n"
	    "Installed-Size: 120\n"
	    "Maintainer: PGTEST <pgtest@example.org>\n"
	    "Architecture: amd64\n"
	    "%s%s%s"
	    "Description: %s test package\n"
	    "Section: libs\n"
	    "Priority: optional\n"
	    "Filename: pool/main/%c/%s/%s_%s_amd64.deb\n"
	    "Size: 12345\n"
	    "SHA256: 0f3c4d8a3b0e9e2b7f55b1e6c1a2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0\n",
	    name, strncmp(name, "lib", 3) == 0 ? "libfoo" : name, ver,
	    depends ? "Depends: " : "", depends ? depends : "",
	    depends ? "\n" : "", name, name[0], name, name, ver);
	return s;
}

/* Seals a plan_deps over raw texts (consumed); NULL when unsupported. */
static struct plan_deps *
deps_build(enum mirror_type f, char **raw, size_t n)
{
	struct plan_deps	*pd;
	char			*cause = NULL;
	size_t			 i;
	int			 bad = 0;

	pd = plan_deps_new(f);
	for (i = 0; i < n; i++) {
		if (pd != NULL && plan_deps_add(pd, raw[i], strlen(raw[i]),
		    &cause) != 0) {
			printf("# package %zu: %s\n", i, cause ? cause : "?");
			free(cause);
			cause = NULL;
			bad = 1;
		}
		free(raw[i]);
	}
	if (pd == NULL)
		return NULL;
	if (plan_deps_seal(pd, &cause) != 0) {
		printf("# seal: %s\n", cause ? cause : "?");
		free(cause);
		bad = 1;
	}
	ok(!bad, "%s dependency facts parse and seal",
	    f == MIRROR_APT ? "Packages" : "primary.xml");
	return pd;
}

static void
test_deps_rpmmd(const struct baseline *block, const struct baseline *allow,
    const struct baseline *prod)
{
	const time_t		 seen = t("2026-03-01T00:00:00Z");
	const time_t		 now = t("2026-03-20T00:00:00Z");
	const time_t		 early = t("2026-03-05T00:00:00Z");
	const struct plan_hold	 hold = { "libfoo-2.0", NULL, "bad build", 0 };
	char			*raw[4];
	struct plan_pkg		 p[4];
	struct plan_deps	*pd;
	struct plan		*pl;

	/* The planner's order and plan_deps' numbering are the same. */
	raw[0] = primary_pkg("libfoo", "1.0",
	    "      <rpm:entry name=\"libfoo.so.1()(64bit)\"/>\n", "");
	raw[1] = primary_pkg("libfoo", "2.0",
	    "      <rpm:entry name=\"libfoo.so.2()(64bit)\"/>\n", "");
	raw[2] = primary_pkg("app", "1.0", "",
	    "      <rpm:entry name=\"libfoo\"/>\n");
	raw[3] = primary_pkg("app", "2.0", "",
	    "      <rpm:entry name=\"libfoo\" flags=\"EQ\" epoch=\"0\" "
	    "ver=\"2.0\"/>\n");
	pd = deps_build(MIRROR_RPMMD, raw, 4);
	if (pd == NULL)
		return;
	p[0] = rpm("libfoo", "1.0", 0);
	p[1] = rpm("libfoo", "2.0", seen);
	p[2] = rpm("app", "1.0", 0);
	p[3] = rpm("app", "2.0", seen);

	pl = run(block, MIRROR_RPMMD, p, 4, NULL, 0, pd, now);
	ok(pl->pl_deps_error == NULL, "block: dependencies checked (%s)",
	    pl->pl_deps_error ? pl->pl_deps_error : "no error");
	expect(pl, 1, 0, PLAN_REJECTED, 0, "rejected = libfoo-2.0",
	    "block: libfoo-2.0");
	expect(pl, 3, 0, PLAN_NEEDS_HIDDEN, 0, "needs libfoo = 2.0",
	    "block: app-2.0 needs the rejected libfoo-2.0");
	ok(why_has(&pl->pl_verdicts[3], "which group prod cannot see") &&
	    why_has(&pl->pl_verdicts[3], "libfoo-2.0-1.el9.x86_64"),
	    "block: the why names the group and the provider (%s)",
	    pl->pl_verdicts[3].pv_why);
	is_int(pl->pl_verdicts[3].pv_visible, 0, "block: app-2.0 not visible");
	expect(pl, 2, 1, PLAN_BASE, 0, NULL, "block: app-1.0 stays listed");
	expect(pl, 0, 1, PLAN_BASE, 0, NULL, "block: libfoo-1.0 listed");
	is_int(pl->pl_dep_held, 1, "block: one version held back");
	is_int(pl->pl_let_in, 0, "block: none let in");
	plan_free(pl);

	pl = run(allow, MIRROR_RPMMD, p, 4, NULL, 0, pd, now);
	ok(pl->pl_deps_error == NULL, "allow: dependencies checked");
	expect(pl, 1, 1, PLAN_AS_DEPENDENCY, 0,
	    "needed by app-2.0-1.el9.x86_64, which requires libfoo = 2.0",
	    "allow: libfoo-2.0 let in");
	ok(why_has(&pl->pl_verdicts[1], "allow-as-dependency") &&
	    why_has(&pl->pl_verdicts[1], "rejected = libfoo-2.0"),
	    "allow: the why says rejected and let in (%s)",
	    pl->pl_verdicts[1].pv_why);
	is_int(pl->pl_verdicts[1].pv_visible, 1, "allow: libfoo-2.0 visible");
	expect(pl, 3, 1, PLAN_RULE, 0, NULL, "allow: app-2.0 listed");
	expect(pl, 2, 1, PLAN_BASE, 0, NULL, "allow: app-1.0 listed");
	expect(pl, 0, 1, PLAN_BASE, 0, NULL, "allow: libfoo-1.0 listed");
	is_int(pl->pl_let_in, 1, "allow: one let in");
	is_int(pl->pl_dep_held, 0, "allow: none held back");
	plan_free(pl);

	/* app-2.0 not ripe yet: nothing listed needs libfoo-2.0. */
	pl = run(allow, MIRROR_RPMMD, p, 4, NULL, 0, pd, early);
	expect(pl, 3, 0, PLAN_WAITING, t("2026-03-08T00:00:00Z"), NULL,
	    "allow, app-2.0 waiting");
	expect(pl, 1, 0, PLAN_REJECTED, 0, "rejected = libfoo-2.0",
	    "allow, app-2.0 waiting: libfoo-2.0 not let in");
	expect(pl, 2, 1, PLAN_BASE, 0, NULL, "allow, app-2.0 waiting: app-1.0");
	is_int(pl->pl_let_in, 0, "allow, app-2.0 waiting: none let in");
	next_change_is(pl, t("2026-03-08T00:00:00Z"), "allow, app-2.0 waiting");
	plan_free(pl);
	pl = run(block, MIRROR_RPMMD, p, 4, NULL, 0, pd, early);
	expect(pl, 3, 0, PLAN_WAITING, t("2026-03-08T00:00:00Z"), NULL,
	    "block, app-2.0 waiting: waiting, not needs-hidden");
	is_int(pl->pl_dep_held, 0, "block, app-2.0 waiting: none held back");
	plan_free(pl);

	/* A held version is never let in: only rejected ones are. */
	pl = run(prod, MIRROR_RPMMD, p, 4, &hold, 1, pd, now);
	expect(pl, 1, 0, PLAN_HELD, 0, "held: bad build",
	    "held libfoo-2.0, no rejection");
	expect(pl, 3, 0, PLAN_NEEDS_HIDDEN, 0, "needs libfoo = 2.0",
	    "app-2.0 needs the held libfoo-2.0");
	is_int(pl->pl_let_in, 0, "a held version is not let in");
	plan_free(pl);

	/*
	 * Nothing rejected (baseline prod), but libfoo-2.0 arrived later:
	 * app-2.0 waits for it to ripen.
	 */
	p[1].pk_vis.vp_first_seen = t("2026-03-18T00:00:00Z");
	pl = run(prod, MIRROR_RPMMD, p, 4, NULL, 0, pd, now);
	expect(pl, 1, 0, PLAN_WAITING, t("2026-03-25T00:00:00Z"), NULL,
	    "libfoo-2.0 seen later, waiting");
	expect(pl, 3, 0, PLAN_NEEDS_HIDDEN, t("2026-03-25T00:00:00Z"), "needs libfoo = 2.0",
	    "app-2.0 held back until its dependency ripens");
	next_change_is(pl, t("2026-03-25T00:00:00Z"),
	    "the view changes when the dependency ripens");
	ok(pl->pl_verdicts[3].pv_changes == t("2026-03-25T00:00:00Z"),
	    "needs-hidden app-2.0 changes when libfoo ripens");
	plan_free(pl);

	plan_deps_free(pd);
}

static void
test_deps_apt(const struct baseline *block, const struct baseline *allow)
{
	static const struct plan_list	 up[] = {
		{ "bookworm/main/binary-amd64", 1 },
	};
	static const struct plan_list	 gone[] = {
		{ "bookworm/main/binary-amd64", 0 },
	};
	const time_t			 seen = t("2026-03-01T00:00:00Z");
	const time_t			 now = t("2026-03-20T00:00:00Z");
	char				*raw[4];
	struct plan_pkg			 p[4];
	struct plan_deps		*pd;
	struct plan			*pl;

	raw[0] = deb_stanza("libfoo1", "1.0-1", "libc6 (>= 2.34)");
	raw[1] = deb_stanza("libfoo1", "2.0-1", "libc6 (>= 2.34)");
	raw[2] = deb_stanza("app", "1.0-1", "libc6 (>= 2.34), libfoo1");
	raw[3] = deb_stanza("app", "2.0-1", "libc6 (>= 2.34), libfoo1 (>= 2.0)");
	pd = deps_build(MIRROR_APT, raw, 4);
	if (pd == NULL) {
		ok(1, "# SKIP libsolv built without Debian support");
		return;
	}
	/* A suite lists one version: 1.0 of each was dropped, and stored. */
	p[0] = pkg(MIRROR_APT, "libfoo1", "1.0-1", "amd64", 0, gone, 1, 1);
	p[1] = pkg(MIRROR_APT, "libfoo1", "2.0-1", "amd64", seen, up, 1, 0);
	p[2] = pkg(MIRROR_APT, "app", "1.0-1", "amd64", 0, gone, 1, 1);
	p[3] = pkg(MIRROR_APT, "app", "2.0-1", "amd64", seen, up, 1, 0);

	pl = run(block, MIRROR_APT, p, 4, NULL, 0, pd, now);
	ok(pl->pl_deps_error == NULL, "apt block: dependencies checked");
	expect(pl, 3, 0, PLAN_NEEDS_HIDDEN, 0, "needs libfoo1 (>= 2.0)",
	    "apt block: app 2.0 held back");
	expect(pl, 1, 0, PLAN_REJECTED, 0, "rejected = libfoo1=2.0-1",
	    "apt block: libfoo1 2.0");
	expect(pl, 2, 1, PLAN_RETAINED, 0, "served from the store",
	    "apt block: app 1.0, dropped upstream, comes back from the store");
	expect(pl, 0, 1, PLAN_RETAINED, 0, NULL,
	    "apt block: libfoo1 1.0 from the store");
	plan_free(pl);

	pl = run(allow, MIRROR_APT, p, 4, NULL, 0, pd, now);
	ok(pl->pl_deps_error == NULL, "apt allow: dependencies checked");
	expect(pl, 1, 1, PLAN_AS_DEPENDENCY, 0,
	    "which depends on libfoo1 (>= 2.0)", "apt allow: libfoo1 2.0 let in");
	ok(why_has(&pl->pl_verdicts[1], "needed by app"),
	    "apt allow: the why names the dependant (%s)",
	    pl->pl_verdicts[1].pv_why);
	expect(pl, 3, 1, PLAN_RULE, 0, NULL, "apt allow: app 2.0 listed");
	expect(pl, 2, 0, PLAN_SUPERSEDED, 0, NULL,
	    "apt allow: app 1.0 superseded");
	expect(pl, 0, 0, PLAN_SUPERSEDED, 0, NULL,
	    "apt allow: libfoo1 1.0 superseded");
	plan_free(pl);

	pl = run(allow, MIRROR_APT, p, 4, NULL, 0, pd, t("2026-03-05T00:00:00Z"));
	expect(pl, 3, 0, PLAN_WAITING, t("2026-03-08T00:00:00Z"), NULL,
	    "apt allow, app 2.0 waiting");
	expect(pl, 1, 0, PLAN_REJECTED, 0, NULL,
	    "apt allow, app 2.0 waiting: libfoo1 2.0 not let in");
	expect(pl, 2, 1, PLAN_RETAINED, t("2026-03-08T00:00:00Z"), NULL,
	    "apt allow, app 2.0 waiting: app 1.0 from the store");
	plan_free(pl);

	plan_deps_free(pd);
}

static void
test_misc(const struct baseline *prod)
{
	struct plan_input	 in;
	struct plan		*pl;

	ok(strcmp(plan_reason_name(PLAN_AS_DEPENDENCY), "dependency") == 0 &&
	    strcmp(plan_reason_name(PLAN_NEEDS_HIDDEN), "needs-hidden") == 0 &&
	    strcmp(plan_reason_name(PLAN_NO_RULE), "no-rule") == 0 &&
	    strcmp(plan_reason_name((enum plan_reason)99), "unknown") == 0,
	    "reason names");
	memset(&in, 0, sizeof in);
	in.pi_baseline = prod;
	in.pi_group = group;
	in.pi_now = t("2026-03-20T00:00:00Z");
	pl = plan_make(&in);
	ok(pl != NULL && pl->pl_n == 0 && pl->pl_listed == 0 &&
	    pl->pl_next_change == 0, "an empty mirror: an empty plan");
	plan_free(pl);
	plan_free(NULL);
	ok(1, "plan_free(NULL)");
}

int
main(void)
{
	char		 dir[4096], *path;
	const char	*tmp;
	struct config	*cf;
	FILE		*f;

	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(dir, sizeof dir, "%s/pg-test-planner.XXXXXX", tmp);
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", dir, strerror(errno));
		return 1;
	}
	xasprintf(&path, "%s/patchgate.conf", dir);
	if ((f = fopen(path, "w")) == NULL) {
		printf("Bail out! %s: %s\n", path, strerror(errno));
		return 1;
	}
	fprintf(f, "[server]\nstore = %s/store\n", dir);
	fputs("[baseline prod]\n"
	    "rule = classification=security severity=critical delay=1d\n"
	    "rule = classification=* delay=7d\n"
	    "approved = goodpkg goodheld PGTEST-2026-0100 CVE-2026-1000 both\n"
	    "rejected = badpkg both\n"
	    "[baseline sec]\n"
	    "rule = classification=security delay=0\n"
	    "[baseline block]\n"
	    "rule = classification=* delay=7d\n"
	    "rejected = libfoo-2.0 libfoo1=2.0-1\n"
	    "rejected-action = block\n"
	    "[baseline allow]\n"
	    "rule = classification=* delay=7d\n"
	    "rejected = libfoo-2.0 libfoo1=2.0-1\n"
	    "rejected-action = allow-as-dependency\n", f);
	fclose(f);
	cf = config_load(path);
	ok(cf != NULL, "configuration loads");
	if (cf == NULL)
		return done_testing();

	test_reasons(config_find_baseline(cf, "prod"),
	    config_find_baseline(cf, "sec"));
	test_retention_rpmmd(config_find_baseline(cf, "prod"));
	test_retention_apt(config_find_baseline(cf, "prod"));
	test_empty_arch(config_find_baseline(cf, "prod"));
	test_deps_rpmmd(config_find_baseline(cf, "block"),
	    config_find_baseline(cf, "allow"), config_find_baseline(cf, "prod"));
	test_deps_apt(config_find_baseline(cf, "block"),
	    config_find_baseline(cf, "allow"));
	test_misc(config_find_baseline(cf, "prod"));

	config_free(cf);
	free(path);
	remove_tree(dir);
	return done_testing();
}
