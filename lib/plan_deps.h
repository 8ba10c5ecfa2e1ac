/*
 * The dependency facts of one mirror, for the planner's installability
 * step (DESIGN.md, invariant 6): which requirement of a version its view
 * lists is met by another listed version, resolved with libsolv.
 *
 * The planner adds every version of the mirror in its own order, seals,
 * then settles one group's states at a time: a listed version whose
 * requirement only versions the group cannot see provide is held back, or
 * under allow-as-dependency the rejected version it needs is let in.
 */
#ifndef PG_PLAN_DEPS_H
#define PG_PLAN_DEPS_H

#include <stddef.h>

#include "conf.h"

struct plan_deps;

/*
 * Per version.  The names carry "DEPS" because planner.h already has
 * PLAN_DEP_HELD and PLAN_DEP_LET_IN among its reasons.
 */
enum plan_dep_state {
	PLAN_DEPS_OUT,		/* not in the view, and may not be let in */
	PLAN_DEPS_CANDIDATE,	/* not in the view only because rejected: may be let in as a dependency */
	PLAN_DEPS_LISTED,	/* in the view */
	PLAN_DEPS_HELD,		/* out: was listed, but needs something the view lacks */
	PLAN_DEPS_LET_IN,	/* in: a candidate a listed version needs (allow-as-dependency) */
};

/*
 * format: MIRROR_RPMMD or MIRROR_APT.  Free with plan_deps_free().  NULL
 * only when this libsolv cannot read that format (built without deb).
 */
struct plan_deps *plan_deps_new(enum mirror_type format);
/*
 * Adds package number i (i = number of earlier calls): rpm-md, upstream's
 * raw <package> element of primary.xml (byte-exact, as the store keeps it;
 * "rpm:" prefixes need not be declared in it); apt, one deb822 stanza of a
 * Packages file.  Returns -1 with *cause when it cannot be parsed into
 * exactly one package: the number is then taken by a version that
 * provides and requires nothing, so later numbers stay aligned.
 */
int	 plan_deps_add(struct plan_deps *, const char *raw, size_t len,
	     char **cause);
/*
 * Adds n packages at once, as plan_deps_add would one by one but in one
 * parse; returns how many failed, with the first cause in *cause.
 */
size_t	 plan_deps_add_many(struct plan_deps *, const char *const *raws,
	     const size_t *lens, size_t n, char **cause);
/* After the last add: resolves file provides and builds the index. */
int	 plan_deps_seal(struct plan_deps *, char **cause);
/* Number of packages added (failed ones included). */
size_t	 plan_deps_count(const struct plan_deps *);
/*
 * Settles state[0..n-1] (n = plan_deps_count) to a fixpoint: a LISTED or
 * LET_IN version with a requirement that some version of the mirror
 * provides but no LISTED/LET_IN version does is HELD (block), or under
 * allow_as_dependency the best CANDIDATE that provides it is LET_IN (its
 * own requirements checked in turn), and the requirer is HELD when no
 * candidate can be.  Requirements no version of the mirror provides are
 * ignored: another repository or the installed system meets them.  A
 * LET_IN that no version in the view needs in the end goes back to
 * CANDIDATE.  Sets every why[i]: a caller-freed phrase for each version
 * that became HELD ("needs libfoo = 2.0-1", with a note in parentheses when
 * a held-back or rejected version provides it) and each LET_IN ("needed by
 * app-2.0-1.x86_64, which requires libfoo = 2.0-1"), NULL elsewhere.  apt words
 * them as dpkg does: "needs libfoo (>= 2.0)", "needed by app (2.0-1),
 * which depends on libfoo (>= 2.0)".
 * On -1 (*cause) state and why are unchanged.
 */
int	 plan_deps_settle(struct plan_deps *, unsigned char *state, char **why,
	     int allow_as_dependency, char **cause);
/*
 * The versions (at most max, into out) that provide the first requirement
 * of version pkg that the versions state puts in the view do not meet:
 * what a held version waits for.  Returns how many.
 */
size_t	 plan_deps_unmet_providers(struct plan_deps *, const unsigned char *state,
	     size_t pkg, size_t *out, size_t max);
void	 plan_deps_free(struct plan_deps *);

#endif
