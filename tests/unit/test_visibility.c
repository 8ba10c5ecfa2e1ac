/*
 * The visibility decision: base, approval, rejection, release-age delays,
 * until dates, and the release time as the later of advisory date and
 * first-seen time.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "conf.h"
#include "tap.h"
#include "util.h"
#include "visibility.h"

static time_t
t(const char *s)
{
	time_t	v;

	if (time_parse_rfc3339(s, &v) != 0)
		abort();
	return v;
}

/* Decisions compared with the terse one, and those that disagreed. */
static int	terse_compared, terse_differed;

static int
visible(struct baseline *bl, struct vis_package *vp, const char *now,
    char **reason)
{
	struct vis_decision	d, td;

	visibility_decide(bl, vp, t(now), &d);
	/* The same decision, without the sentence of a visible version. */
	visibility_decide_terse(bl, vp, t(now), &td);
	terse_compared++;
	if (td.vd_visible != d.vd_visible || td.vd_kind != d.vd_kind ||
	    td.vd_ripens != d.vd_ripens || td.vd_release != d.vd_release ||
	    (d.vd_visible ? td.vd_reason != NULL : td.vd_reason == NULL ||
	    strcmp(td.vd_reason, d.vd_reason) != 0))
		terse_differed++;
	free(td.vd_reason);
	if (reason != NULL)
		*reason = d.vd_reason;
	else
		free(d.vd_reason);
	return d.vd_visible;
}

int
main(void)
{
	char			 dir[] = "/tmp/pg-test-vis.XXXXXX", *path, *why;
	struct config		*cf;
	struct baseline		*dev, *prod;
	FILE			*f;
	struct vis_advisory	 sec = { "PGTEST-2026-0001", "security",
				    "Important", 0, NULL };
	const char		*cves[] = { "CVE-2026-0042", NULL };
	struct vis_package	 vp;

	if (mkdtemp(dir) == NULL || asprintf(&path, "%s/c.conf", dir) < 0)
		abort();
	f = fopen(path, "w");
	fputs("[server]\nstore = /tmp/x\n"
	    "[baseline dev]\nrule = classification=* delay=0\n"
	    "[baseline prod]\n"
	    "rule = classification=security severity=critical delay=1d\n"
	    "rule = classification=* delay=7d\n"
	    "rejected = bar\n"
	    "approved = baz-1.1 CVE-2026-0042 PGTEST-2026-0009\n"
	    "[baseline frozen]\n"
	    "rule = classification=security until=2026-01-05\n", f);
	fclose(f);
	cf = config_load(path);
	ok(cf != NULL, "configuration loads");
	if (cf == NULL)
		return done_testing();
	dev = config_find_baseline(cf, "dev");
	prod = config_find_baseline(cf, "prod");

	sec.va_issued = t("2026-01-10T00:00:00Z");
	memset(&vp, 0, sizeof vp);
	vp.vp_format = MIRROR_RPMMD;
	vp.vp_name = "foo";
	vp.vp_arch = "noarch";
	vp.vp_epoch = "0";
	vp.vp_version = "1.1";
	vp.vp_release = "1";
	vp.vp_first_seen = t("2026-01-10T12:00:00Z");
	vp.vp_advs = &sec;
	vp.vp_nadvs = 1;

	ok(visible(dev, &vp, "2026-01-10T12:00:00Z", NULL),
	    "dev sees an update as soon as it is released");
	ok(!visible(dev, &vp, "2026-01-10T11:59:59Z", NULL),
	    "release time is the later of advisory and first seen");
	ok(!visible(prod, &vp, "2026-01-13T12:00:00Z", &why),
	    "prod does not see it three days later");
	ok(strstr(why, "held back by baseline prod") != NULL &&
	    strstr(why, "2026-01-17T12:00:00Z") != NULL,
	    "the reason says when it ripens: %s", why);
	free(why);
	ok(visible(prod, &vp, "2026-01-17T12:00:00Z", NULL),
	    "prod sees it after seven days");

	sec.va_severity = "Critical";
	ok(visible(prod, &vp, "2026-01-11T12:00:00Z", NULL),
	    "the first matching rule with a shorter delay wins (critical, 1d)");
	sec.va_severity = "Important";

	vp.vp_first_seen = 0;
	ok(visible(prod, &vp, "2026-01-17T00:00:00Z", NULL) &&
	    !visible(prod, &vp, "2026-01-16T23:59:59Z", NULL),
	    "at the first sync the advisory date stands alone");

	vp.vp_name = "bar";
	vp.vp_base = 1;
	ok(!visible(prod, &vp, "2030-01-01T00:00:00Z", &why),
	    "rejected wins even over base");
	ok(strstr(why, "rejected by baseline prod (rejected = bar)") != NULL,
	    "rejection reason: %s", why);
	free(why);
	vp.vp_base = 0;

	vp.vp_name = "baz";
	vp.vp_nadvs = 0;
	vp.vp_first_seen = t("2026-01-10T12:00:00Z");
	ok(visible(prod, &vp, "2026-01-10T12:00:00Z", &why),
	    "approved name-version is visible at once");
	ok(strstr(why, "approved = baz-1.1") != NULL, "approval reason: %s", why);
	free(why);

	vp.vp_name = "qux";
	ok(!visible(prod, &vp, "2026-01-16T00:00:00Z", NULL),
	    "a version without advisory waits for the catch-all rule");
	vp.vp_base = 1;
	ok(visible(prod, &vp, "2026-01-01T00:00:00Z", NULL), "base is visible");
	vp.vp_base = 0;

	sec.va_cves = cves;
	vp.vp_advs = &sec;
	vp.vp_nadvs = 1;
	ok(visible(prod, &vp, "2026-01-10T12:00:00Z", &why),
	    "approved by CVE ID");
	free(why);
	sec.va_cves = NULL;

	/* SUSE repeats a patch ID per edition: the store says ID@VERSION. */
	sec.va_id = "PGTEST-2026-0009@3";
	ok(visible(prod, &vp, "2026-01-10T12:00:00Z", &why),
	    "approving an ID approves every edition of it");
	free(why);
	sec.va_id = "PGTEST-2026-0019@3";
	ok(!visible(prod, &vp, "2026-01-10T12:00:00Z", NULL),
	    "but not the editions of another ID");
	sec.va_id = "PGTEST-2026-0001";

	ok(!visible(config_find_baseline(cf, "frozen"), &vp,
	    "2026-02-01T00:00:00Z", &why),
	    "released after the until date");
	free(why);
	sec.va_issued = t("2026-01-01T00:00:00Z");
	vp.vp_first_seen = t("2026-01-02T00:00:00Z");
	ok(visible(config_find_baseline(cf, "frozen"), &vp,
	    "2026-02-01T00:00:00Z", NULL), "released before the until date");

	/* Name forms. */
	vp.vp_name = "kernel";
	vp.vp_version = "6.1.0";
	vp.vp_release = "13.el9";
	vp.vp_arch = "x86_64";
	vp.vp_epoch = "0";
	ok(visibility_pattern_matches("kernel", &vp), "name");
	ok(visibility_pattern_matches("kernel.x86_64", &vp), "name.arch");
	ok(visibility_pattern_matches("kernel-6.1.0", &vp), "name-version");
	ok(visibility_pattern_matches("kernel-6.1.0-13.el9", &vp),
	    "name-version-release");
	ok(visibility_pattern_matches("kernel-6.1.0-13.el9.x86_64", &vp),
	    "name-version-release.arch");
	ok(visibility_pattern_matches("kernel-0:6.1.0-13.el9", &vp),
	    "name-epoch:version-release");
	ok(visibility_pattern_matches("0:kernel-6.1.0-13.el9.x86_64", &vp),
	    "epoch:name-version-release.arch");
	ok(visibility_pattern_matches("kernel-6.1.0-13*", &vp), "wildcard");
	ok(!visibility_pattern_matches("kernel-6.1.0-14*", &vp),
	    "wildcard that does not match");
	ok(!visibility_pattern_matches("kern", &vp), "prefix is not a match");
	vp.vp_format = MIRROR_APT;
	vp.vp_name = "openssl";
	vp.vp_version = "3.0.11-1~deb12u2";
	vp.vp_release = NULL;
	vp.vp_arch = "amd64";
	ok(visibility_pattern_matches("openssl=3.0.11-1~deb12u2", &vp),
	    "apt name=version");
	ok(visibility_pattern_matches("openssl*", &vp), "apt wildcard");

	config_free(cf);
	free(path);
	remove_tree(dir);
	ok(terse_compared >= 16 && terse_differed == 0, "the terse decision "
	    "agrees with the full one: %d of %d differ", terse_differed,
	    terse_compared);
	return done_testing();
}
