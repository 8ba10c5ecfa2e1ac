/*
 * Per-phase wall time of a sync (phase.h), on the monotonic clock.
 */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include "phase.h"

static const char *const phase_names[PHASE_N] = {
	"other", "fetch", "verify", "parse", "store", "plan", "write",
	"compress", "sign"
};

static double		 phase_spent[PHASE_N];
static enum phase	 phase_current = PHASE_OTHER;
static double		 phase_since;
static double		 phase_started;

static double
phase_clock(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void
phase_reset(void)
{
	size_t	i;

	for (i = 0; i < PHASE_N; i++)
		phase_spent[i] = 0;
	phase_current = PHASE_OTHER;
	phase_since = phase_started = phase_clock();
}

enum phase
phase_enter(enum phase p)
{
	enum phase	previous = phase_current;
	double		now;

	if (p == phase_current)
		return previous;
	now = phase_clock();
	phase_spent[phase_current] += now - phase_since;
	phase_since = now;
	phase_current = p;
	return previous;
}

void
phase_leave(enum phase previous)
{
	phase_enter(previous);
}

double
phase_seconds(enum phase p)
{
	double	s = phase_spent[p];

	if (p == phase_current)
		s += phase_clock() - phase_since;
	return s;
}

const char *
phase_summary(char *buf, size_t len)
{
	size_t	i, off = 0;
	int	n;

	buf[0] = '\0';
	for (i = 1; i <= PHASE_N; i++) {
		n = snprintf(buf + off, len - off, "%s %.2f s, ",
		    phase_names[i % PHASE_N], phase_seconds(i % PHASE_N));
		if (n < 0 || (size_t)n >= len - off)
			return buf;
		off += n;
	}
	snprintf(buf + off, len - off, "total %.2f s",
	    phase_clock() - phase_started);
	return buf;
}
