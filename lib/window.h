/*
 * Maintenance windows: "window = CRON DURATION" on a [group], e.g.
 * "0 2 * * sat 4h", a window that opens at every minute the five-field
 * cron expression matches and stays open for the duration.  A windowed
 * group's view advances only while one of its windows is open (DESIGN.md,
 * Time).  Every time here is UTC; the functions are pure: they read no
 * clock and allocate nothing but a parse error's cause.
 */
#ifndef PG_WINDOW_H
#define PG_WINDOW_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct window {
	uint64_t	 wi_minutes;	/* bit m: minute m, 0-59 */
	uint32_t	 wi_hours;	/* bit h: hour h, 0-23 */
	uint32_t	 wi_mdays;	/* bit d: day of month d, 1-31 */
	uint16_t	 wi_months;	/* bit m: month m, 1-12 */
	uint8_t		 wi_wdays;	/* bit d: day of week d, 0 (sunday)-6 */
	int		 wi_mday_any;	/* day-of-month field starts with '*' */
	int		 wi_wday_any;	/* day-of-week field starts with '*' */
	long long	 wi_duration;	/* seconds: 60 to less than a week */
	char		*wi_text;	/* as written; owned by the caller */
};

/*
 * Parses "MIN HOUR MDAY MONTH WDAY DURATION" into *w (wi_text untouched).
 * On error returns -1 and a message naming the field in *cause
 * (caller-freed): minute field "61" out of range 0-59.
 */
int	 window_parse(const char *text, struct window *w, char **cause);
/* Whether the cron expression matches the minute that starts at t. */
int	 window_matches(const struct window *w, time_t t);
/* Whether t lies inside one of the n windows: start <= t < start + duration. */
int	 window_inside(const struct window *ws, size_t n, time_t t);
/*
 * The first time after t at which the windows, taken together, open
 * (none of them was open the second before); 0 if they never do.
 */
time_t	 window_next_open(const struct window *ws, size_t n, time_t t);
/* t when inside a window, else window_next_open(t). */
time_t	 window_next_inside(const struct window *ws, size_t n, time_t t);
/*
 * The last time at or before t at which the windows, taken together,
 * closed; 0 if they did not within years.
 */
time_t	 window_last_close(const struct window *ws, size_t n, time_t t);

#endif
