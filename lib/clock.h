/*
 * The one clock.  Every time decision in patchgate reads clock_now(); the
 * environment variable PATCHGATE_NOW (RFC 3339) sets it for every program,
 * which is how tests and previews move through days without waiting.
 */
#ifndef PG_CLOCK_H
#define PG_CLOCK_H

#include <time.h>

int	 clock_init(char **cause);	/* reads PATCHGATE_NOW once */
time_t	 clock_now(void);
int	 clock_is_overridden(void);
void	 clock_set(time_t);		/* for previews and unit tests */

/* "2026-12-01T00:00:00Z", "2026-12-01T02:00:00+02:00", "2026-12-01". */
int	 time_parse_rfc3339(const char *, time_t *);
/*
 * Every date form seen in updateinfo: "YYYY-MM-DD HH:MM:SS", "YYYY-MM-DD
 * HH:MM", "YYYY-MM-DD", epoch seconds, ISO 8601 with T and Z or an offset.
 * Times without a zone are UTC.
 */
int	 time_parse_any(const char *, time_t *);
/* Writes "2026-12-01T00:00:00Z" into buf (at least 21 bytes). */
const char *time_format(time_t, char *buf, size_t len);
/* "7d", "12h", "30m", "0", "45s", "2w": seconds into *secs. */
int	 duration_parse(const char *, long long *secs);

#endif
