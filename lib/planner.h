/*
 * The planner: the one module that decides every view (DESIGN.md, "The
 * planner").  It takes the facts a sync recorded about one mirror (each
 * version, the advisories that list it, when it was first seen, which of
 * upstream's indexes list it, whether its file is stored), a group's
 * baseline, the holds in force, dependency facts and the clock, and says
 * per version: listed or not, the reason, and when that changes next.
 *
 * It reads no database and writes no file: publishing renders what it
 * returns, and "why", "diff", "preview" and "status" ask it the same
 * question with another clock.
 */
#ifndef PG_PLANNER_H
#define PG_PLANNER_H

#include <stddef.h>
#include <time.h>

#include "conf.h"
#include "visibility.h"

struct plan_deps;
struct plan_order;

/* An index that lists a version: apt "bookworm/main/binary-amd64"; rpm-md "". */
struct plan_list {
	const char		*pl_name;
	int			 pl_upstream;	/* upstream's index lists it now */
};

/* One version of the mirror, as the sync recorded it. */
struct plan_pkg {
	struct vis_package	 pk_vis;	/* name, version, advisories, first seen */
	const struct plan_list	*pk_lists;
	size_t			 pk_nlists;
	int			 pk_stored;	/* its file is in the blob store */
	const char		*pk_lost;	/* NULL, or ends "its file ...": "could not be fetched (...)" */
};

/* An admin's emergency block, kept in the store. */
struct plan_hold {
	const char		*ph_pattern;	/* as in "rejected" */
	const char		*ph_group;	/* NULL: every group */
	const char		*ph_reason;
	time_t			 ph_until;	/* 0: until removed */
};

enum plan_reason {
	PLAN_REJECTED,		/* the baseline rejects it */
	PLAN_HELD,		/* an admin's hold */
	PLAN_APPROVED,		/* the baseline approves it by name or ID */
	PLAN_BASE,		/* the mirror's base: at its first sync, no advisory */
	PLAN_RULE,		/* a rule approves it: released long enough ago */
	PLAN_WAITING,		/* a rule will approve it at pv_changes */
	PLAN_NO_RULE,		/* no rule matches, or every matching rule's date has passed */
	PLAN_NEEDS_HIDDEN,	/* held back: needs a version the group cannot see */
	PLAN_AS_DEPENDENCY,	/* rejected, listed because a listed version needs it */
	PLAN_SUPERSEDED,	/* visible, but upstream dropped it and a newer one is listed */
	PLAN_RETAINED,		/* visible, upstream dropped it, served from the store */
	PLAN_LOST,		/* visible, upstream dropped it, its file is gone */
};

/* The planner's answer for one version. */
struct plan_verdict {
	int			 pv_listed;	/* in the view's metadata (any index) */
	int			 pv_visible;	/* the baseline and holds let it in */
	int			 pv_at_risk;	/* visible, not stored, upstream may drop it */
	enum plan_reason	 pv_reason;
	char			*pv_why;	/* a sentence for people */
	time_t			 pv_release;	/* release time used; 0: unknown */
	time_t			 pv_changes;	/* when the verdict changes next; 0: not by time */
	unsigned char		*pv_lists;	/* per pk_lists entry: listed there */
};

struct plan_input {
	const struct baseline	*pi_baseline;
	const char		*pi_group;
	enum mirror_type	 pi_format;
	const struct plan_pkg	*pi_pkgs;
	size_t			 pi_npkgs;
	const struct plan_hold	*pi_holds;
	size_t			 pi_nholds;
	struct plan_deps	*pi_deps;	/* NULL: no installability check */
	time_t			 pi_now;
	/*
	 * The clock holds' until compares with; 0: pi_now.  A windowed
	 * group is planned at the time its view last advanced, but holds
	 * and their ends apply at once.
	 */
	time_t			 pi_hold_now;
	/*
	 * Sentences only where a view shows them: a listed version's
	 * pv_why is NULL (publishing needs no reason for it; why, diff and
	 * status plan without this).
	 */
	int			 pi_terse;
	/*
	 * The versions' entries sorted by index, name and version, made
	 * by plan_order_new() from the same pi_pkgs; NULL: sorted here.
	 * Plans of several groups from one set of facts share it.
	 */
	const struct plan_order	*pi_order;
};

struct plan {
	struct plan_verdict	*pl_verdicts;	/* one per input version */
	size_t			 pl_n;
	time_t			 pl_next_change;	/* earliest pv_changes; 0: none */
	size_t			 pl_listed;
	size_t			 pl_lost;
	size_t			 pl_dep_held;
	size_t			 pl_let_in;
	char			*pl_deps_error;	/* dependencies could not be checked */
	unsigned char		*pl_lists;	/* the block the pv_lists point into */
};

/*
 * The order plan_make() walks the versions' index entries in; it depends
 * only on the versions' names, architectures, versions and indexes.
 */
struct plan_order *plan_order_new(const struct plan_pkg *, size_t,
		     enum mirror_type);
void		 plan_order_free(struct plan_order *);
/* Plans one group's view of one mirror; free with plan_free(). */
struct plan	*plan_make(const struct plan_input *);
void		 plan_free(struct plan *);
const char	*plan_reason_name(enum plan_reason);
/* The base of a mirror (DESIGN.md): present at its first sync, no advisory. */
int		 plan_is_base(const struct vis_package *);

#endif
