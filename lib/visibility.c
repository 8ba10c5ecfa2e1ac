/*
 * Visibility of a package version in a group's view at time T (DESIGN.md):
 * not rejected, and either base, or explicitly approved, or matched by one
 * of the baseline's rules with release time + delay <= T (or release time
 * <= the rule's until date).  Release time is the later of the advisory's
 * date and the first time the mirror saw the version.
 */
#include "config.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "util.h"
#include "visibility.h"
#include "xmalloc.h"

static int
epoch_is_zero(const char *e)
{
	return e == NULL || *e == '\0' || strcmp(e, "0") == 0;
}

/*
 * The spellings an admin may use for a version: rpm's name, name.arch,
 * name-version, name-version-release (.arch), with epoch forms; apt's
 * name and name=version.
 */
int
visibility_pattern_matches(const char *pattern, const struct vis_package *vp)
{
	char		 forms[8][512];
	const char	*n = vp->vp_name, *a = vp->vp_arch ? vp->vp_arch : "";
	const char	*e = vp->vp_epoch, *v = vp->vp_version;
	const char	*r = vp->vp_release ? vp->vp_release : "";
	size_t		 nforms = 0, i;

	snprintf(forms[nforms++], sizeof forms[0], "%s", n);
	if (vp->vp_format == MIRROR_APT) {
		snprintf(forms[nforms++], sizeof forms[0], "%s=%s", n, v);
		snprintf(forms[nforms++], sizeof forms[0], "%s:%s", n, a);
		snprintf(forms[nforms++], sizeof forms[0], "%s:%s=%s", n, a, v);
	} else {
		snprintf(forms[nforms++], sizeof forms[0], "%s.%s", n, a);
		snprintf(forms[nforms++], sizeof forms[0], "%s-%s", n, v);
		snprintf(forms[nforms++], sizeof forms[0], "%s-%s-%s", n, v, r);
		snprintf(forms[nforms++], sizeof forms[0], "%s-%s-%s.%s", n, v, r, a);
		snprintf(forms[nforms++], sizeof forms[0], "%s-%s:%s-%s",
		    n, epoch_is_zero(e) ? "0" : e, v, r);
		snprintf(forms[nforms++], sizeof forms[0], "%s-%s:%s-%s.%s",
		    n, epoch_is_zero(e) ? "0" : e, v, r, a);
		snprintf(forms[nforms++], sizeof forms[0], "%s:%s-%s-%s.%s",
		    epoch_is_zero(e) ? "0" : e, n, v, r, a);
	}
	for (i = 0; i < nforms; i++) {
		if (fnmatch(pattern, forms[i], FNM_NOESCAPE) == 0)
			return 1;
	}
	return 0;
}

/*
 * The advisory ID as admins write it: SUSE repeats an ID for each edition
 * of a patch, which the store keeps as "ID@VERSION".
 */
static int
id_matches(const char *pattern, const char *id)
{
	char		 plain[256];
	const char	*at;

	if (fnmatch(pattern, id, FNM_NOESCAPE) == 0)
		return 1;
	if ((at = strrchr(id, '@')) == NULL || (size_t)(at - id) >= sizeof plain)
		return 0;
	memcpy(plain, id, at - id);
	plain[at - id] = '\0';
	return fnmatch(pattern, plain, FNM_NOESCAPE) == 0;
}

/* An approved or rejected entry naming one of the version's advisories or CVEs. */
static const char *
ids_match(const char *pattern, const struct vis_package *vp)
{
	size_t	i, j;

	for (i = 0; i < vp->vp_nadvs; i++) {
		if (id_matches(pattern, vp->vp_advs[i].va_id))
			return vp->vp_advs[i].va_id;
		if (vp->vp_advs[i].va_cves == NULL)
			continue;
		for (j = 0; vp->vp_advs[i].va_cves[j] != NULL; j++) {
			if (fnmatch(pattern, vp->vp_advs[i].va_cves[j],
			    FNM_NOESCAPE) == 0)
				return vp->vp_advs[i].va_cves[j];
		}
	}
	return NULL;
}

static const char *
list_match(char **list, size_t n, const struct vis_package *vp, const char **via)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		*via = NULL;
		if (visibility_pattern_matches(list[i], vp))
			return list[i];
		if ((*via = ids_match(list[i], vp)) != NULL)
			return list[i];
	}
	return NULL;
}

static int
word_matches(char **words, const char *value)
{
	size_t	i;

	for (i = 0; words[i] != NULL; i++) {
		if (strcmp(words[i], "*") == 0)
			return 1;
		if (value != NULL && strcasecmp(words[i], value) == 0)
			return 1;
	}
	return 0;
}

/* Maps vendor words to the rule vocabulary ("Important" -> important). */
static const char *
severity_word(const char *s)
{
	if (s == NULL || *s == '\0' || strcasecmp(s, "none") == 0)
		return NULL;
	return s;
}

static time_t
release_time(const struct vis_package *vp, const struct vis_advisory *va)
{
	time_t	t = 0;

	if (va != NULL && va->va_issued > 0)
		t = va->va_issued;
	if (vp->vp_first_seen > t)
		t = vp->vp_first_seen;
	return t;
}

/*
 * Tries every rule against one classification of the version; returns 1
 * when a rule makes it visible now (saying why unless terse), else keeps
 * the earliest time a matching rule will.
 */
static int
rules_try(const struct baseline *bl, const struct vis_package *vp,
    const struct vis_advisory *va, time_t now, struct vis_decision *d,
    int *matched, struct buf *why, int terse)
{
	const struct rule	*ru;
	const char		*class, *sev;
	time_t			 rel, ripe;
	char			 t1[32], t2[32];

	if (va != NULL) {
		class = va->va_type;
		sev = severity_word(va->va_severity);
	} else {
		class = vp->vp_default_classification;
		sev = vp->vp_default_severity;
	}
	rel = release_time(vp, va);
	TAILQ_FOREACH(ru, &bl->bl_rules, ru_entry) {
		if (!word_matches(ru->ru_classifications, class) ||
		    !word_matches(ru->ru_severities, sev))
			continue;
		*matched = 1;
		if (ru->ru_delay >= 0) {
			ripe = rel + ru->ru_delay;
			if (ripe <= now) {
				d->vd_release = rel;
				if (terse)
					return 1;
				buf_reset(why);
				buf_addf(why, "released %s%s%s, rule \"%s\" "
				    "(line %d) approves it from %s",
				    rel ? time_format(rel, t1, sizeof t1) : "(at the first sync)",
				    va ? " by " : "", va ? va->va_id : "",
				    ru->ru_text, ru->ru_line,
				    time_format(ripe, t2, sizeof t2));
				d->vd_release = rel;
				return 1;
			}
			if (d->vd_ripens == 0 || ripe < d->vd_ripens) {
				d->vd_ripens = ripe;
				d->vd_release = rel;
				buf_reset(why);
				buf_addf(why, "released %s%s%s, rule \"%s\" (line %d) "
				    "approves it from %s",
				    time_format(rel, t1, sizeof t1),
				    va ? " by " : "", va ? va->va_id : "",
				    ru->ru_text, ru->ru_line,
				    time_format(ripe, t2, sizeof t2));
			}
		} else if (rel <= ru->ru_until) {
			d->vd_release = rel;
			if (terse)
				return 1;
			buf_reset(why);
			buf_addf(why, "released %s, before the until date of rule "
			    "\"%s\" (line %d)", time_format(rel, t1, sizeof t1),
			    ru->ru_text, ru->ru_line);
			d->vd_release = rel;
			return 1;
		}
	}
	return 0;
}

static void
vis_decide(const struct baseline *bl, const struct vis_package *vp,
    time_t now, struct vis_decision *d, int terse)
{
	struct buf	 why;
	const char	*hit, *via;
	size_t		 i;
	int		 matched = 0;

	memset(d, 0, sizeof *d);
	buf_init(&why);

	hit = list_match(bl->bl_rejected, bl->bl_nrejected, vp, &via);
	if (hit != NULL) {
		buf_addf(&why, "rejected by baseline %s (rejected = %s%s%s)",
		    bl->bl_name, hit, via ? ", via " : "", via ? via : "");
		d->vd_kind = VIS_REJECTED;
		goto hidden;
	}
	hit = list_match(bl->bl_approved, bl->bl_napproved, vp, &via);
	if (hit != NULL) {
		if (!terse)
			buf_addf(&why, "approved by baseline %s (approved = "
			    "%s%s%s)", bl->bl_name, hit, via ? ", via " : "",
			    via ? via : "");
		d->vd_kind = VIS_APPROVED;
		goto visible;
	}
	if (vp->vp_base) {
		if (!terse)
			buf_addf(&why, "part of the mirror's base (present at "
			    "its first sync, no advisory)");
		d->vd_kind = VIS_BASE;
		goto visible;
	}
	d->vd_kind = VIS_RULE;
	if (vp->vp_nadvs == 0) {
		if (rules_try(bl, vp, NULL, now, d, &matched, &why, terse))
			goto visible;
	} else {
		for (i = 0; i < vp->vp_nadvs; i++) {
			if (rules_try(bl, vp, &vp->vp_advs[i], now, d, &matched,
			    &why, terse))
				goto visible;
		}
	}
	d->vd_kind = d->vd_ripens != 0 ? VIS_WAITING : VIS_NO_RULE;
	if (!matched) {
		buf_reset(&why);
		if (vp->vp_nadvs > 0)
			buf_addf(&why, "no rule of baseline %s matches "
			    "classification %s, severity %s (%s)", bl->bl_name,
			    vp->vp_advs[0].va_type ? vp->vp_advs[0].va_type : "none",
			    severity_word(vp->vp_advs[0].va_severity) ?
			    vp->vp_advs[0].va_severity : "none",
			    vp->vp_advs[0].va_id);
		else
			buf_addf(&why, "no rule of baseline %s matches "
			    "classification %s, severity %s (no advisory)",
			    bl->bl_name, vp->vp_default_classification ?
			    vp->vp_default_classification : "none",
			    vp->vp_default_severity ? vp->vp_default_severity :
			    "none");
	} else if (d->vd_ripens == 0) {
		buf_reset(&why);
		buf_addf(&why, "released after the until date of every "
		    "matching rule of baseline %s", bl->bl_name);
	} else {
		struct buf	full;

		buf_init(&full);
		buf_addf(&full, "held back by baseline %s: %s", bl->bl_name,
		    why.b_data);
		buf_free(&why);
		why = full;
	}
hidden:
	d->vd_visible = 0;
	buf_add(&why, "", 0);
	d->vd_reason = why.b_data;
	return;
visible:
	d->vd_visible = 1;
	d->vd_ripens = 0;
	if (terse) {
		buf_free(&why);
		d->vd_reason = NULL;
		return;
	}
	buf_add(&why, "", 0);
	d->vd_reason = why.b_data;
}

void
visibility_decide(const struct baseline *bl, const struct vis_package *vp,
    time_t now, struct vis_decision *d)
{
	vis_decide(bl, vp, now, d, 0);
}

void
visibility_decide_terse(const struct baseline *bl, const struct vis_package *vp,
    time_t now, struct vis_decision *d)
{
	vis_decide(bl, vp, now, d, 1);
}
