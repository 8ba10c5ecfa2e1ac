/*
 * The one place that decides whether a package version is in a group's
 * view at a given time.  Everything it needs comes in the arguments, so the
 * indexer, previews and "why" ask the same question the same way.
 */
#ifndef PG_VISIBILITY_H
#define PG_VISIBILITY_H

#include <stddef.h>
#include <time.h>

#include "conf.h"

/* An advisory that lists the version. */
struct vis_advisory {
	const char		*va_id;
	const char		*va_type;	/* security, bugfix, ... (any case) */
	const char		*va_severity;	/* NULL when none */
	time_t			 va_issued;	/* 0 when unknown */
	const char *const	*va_cves;	/* NULL-terminated, may be NULL */
};

struct vis_package {
	enum mirror_type		 vp_format;	/* selects the name forms */
	const char			*vp_name;
	const char			*vp_arch;
	const char			*vp_epoch;	/* NULL or "0" for none */
	const char			*vp_version;
	const char			*vp_release;	/* NULL for apt */
	int				 vp_base;	/* present at first sync, no advisory */
	time_t				 vp_first_seen;	/* 0: at the first sync */
	const struct vis_advisory	*vp_advs;
	size_t				 vp_nadvs;
	const char			*vp_default_classification; /* mirror's, may be NULL */
	const char			*vp_default_severity;	    /* mirror's, may be NULL */
};

/* Which part of the baseline decided. */
enum vis_kind {
	VIS_REJECTED,		/* a rejected pattern or ID names it */
	VIS_APPROVED,		/* an approved pattern or ID names it */
	VIS_BASE,		/* the mirror's base */
	VIS_RULE,		/* a rule approves it now */
	VIS_WAITING,		/* a rule will approve it at vd_ripens */
	VIS_NO_RULE,		/* no rule approves it, now or later */
};

struct vis_decision {
	int		 vd_visible;
	enum vis_kind	 vd_kind;
	char		*vd_reason;	/* caller-freed: why, in a sentence */
	time_t		 vd_ripens;	/* when hidden: when it will become visible, 0: never */
	time_t		 vd_release;	/* release time used, 0 when unknown */
};

/* Decides; fills *d (free d->vd_reason). */
void	 visibility_decide(const struct baseline *, const struct vis_package *,
	     time_t now, struct vis_decision *d);
/*
 * Likewise, without the sentence of a visible version (vd_reason NULL):
 * publishing plans every version of every view and shows no reason for
 * those it lists.
 */
void	 visibility_decide_terse(const struct baseline *,
	     const struct vis_package *, time_t now, struct vis_decision *d);
/* True when pattern (one '*' wildcard) names this version. */
int	 visibility_pattern_matches(const char *pattern, const struct vis_package *);

#endif
