/*
 * Where a sync's time goes: the indexer switches between phases (fetch,
 * verify, parse, store, plan, write, compress, sign) and the wall time
 * between switches is added to the phase that was running; the summary is
 * logged at the end of every sync, so that a slow phase shows in
 * production.  One process, one sync at a time: the state is global.
 */
#ifndef PG_PHASE_H
#define PG_PHASE_H

#include <stddef.h>

enum phase {
	PHASE_OTHER,
	PHASE_FETCH,
	PHASE_VERIFY,
	PHASE_PARSE,
	PHASE_STORE,
	PHASE_PLAN,
	PHASE_WRITE,
	PHASE_COMPRESS,
	PHASE_SIGN,
	PHASE_N
};

/* Starts counting anew, in PHASE_OTHER. */
void		 phase_reset(void);
/* Switches to p; returns the phase that was running, for phase_leave(). */
enum phase	 phase_enter(enum phase p);
void		 phase_leave(enum phase previous);
/* Seconds spent in p since phase_reset(), the running phase included. */
double		 phase_seconds(enum phase p);
/*
 * "fetch 0.31 s, verify 0.02 s, ..., total 4.20 s" into buf: every
 * phase, in the order above, other last.
 */
const char	*phase_summary(char *buf, size_t len);

#endif
