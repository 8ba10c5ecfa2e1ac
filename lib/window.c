/*
 * Maintenance windows (window.h): the five-field cron expression of
 * "window = CRON DURATION" and the questions publishing asks of it: is a
 * time inside a window, when does the next one open, when did the last one
 * close.  Times are UTC; days are counted with civil-calendar arithmetic
 * rather than gmtime(), so that nothing here depends on the process's zone.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "util.h"
#include "window.h"

/* How far the searches look: a 29 Feb that falls on a given weekday. */
#define WINDOW_HORIZON_DAYS	(29 * 366)
/* Steps over overlapping windows before a search gives up. */
#define WINDOW_MAX_STEPS	20000
#define WINDOW_MIN_DURATION	60
#define WINDOW_MAX_DURATION	(7 * 86400)

struct window_field {
	const char		*wf_name;
	int			 wf_min;
	int			 wf_max;
	const char *const	*wf_names;	/* [0] is wf_min's name; NULL: none */
	const char		*wf_names_hint;
};

static const char *const window_months[] = {
	"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
	"nov", "dec", NULL
};
static const char *const window_wdays[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
};

static const struct window_field window_fields[] = {
	{ "minute", 0, 59, NULL, NULL },
	{ "hour", 0, 23, NULL, NULL },
	{ "day-of-month", 1, 31, NULL, NULL },
	{ "month", 1, 12, window_months, "a month name (jan..dec)" },
	{ "day-of-week", 0, 7, window_wdays, "a day name (sun..sat)" },
};

static long long
floor_div(long long a, long long b)
{
	long long	q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long
days_from_civil(long long y, int m, int d)
{
	long long	era, yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(long long z, int *month, int *mday, int *wday)
{
	long long	era, doe, yoe, doy, mp;

	*wday = (int)(((z % 7) + 7 + 4) % 7);	/* 1970-01-01: a Thursday */
	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	*month = (int)(mp < 10 ? mp + 3 : mp - 9);
}

/* Cron's rule: when either day field starts with '*', both must match. */
static int
window_day_matches(const struct window *w, long long day)
{
	int	month, mday, wday, dm, dw;

	civil_from_days(day, &month, &mday, &wday);
	if (!(w->wi_months & (1U << month)))
		return 0;
	dm = (w->wi_mdays & (1U << mday)) != 0;
	dw = (w->wi_wdays & (1U << wday)) != 0;
	if (w->wi_mday_any || w->wi_wday_any)
		return dm && dw;
	return dm || dw;
}

/* The first matching minute of a day at or after minute from; -1: none. */
static int
window_first_minute(const struct window *w, int from)
{
	uint64_t	mask;
	int		h;

	for (h = from / 60; h < 24; h++) {
		if (!(w->wi_hours & (1U << h)))
			continue;
		mask = w->wi_minutes;
		if (h == from / 60)
			mask &= ~((1ULL << (from % 60)) - 1);
		if (mask != 0)
			return h * 60 + __builtin_ctzll(mask);
	}
	return -1;
}

/* The last matching minute of a day at or before minute upto; -1: none. */
static int
window_last_minute(const struct window *w, int upto)
{
	uint64_t	mask;
	int		h;

	for (h = upto / 60; h >= 0; h--) {
		if (!(w->wi_hours & (1U << h)))
			continue;
		mask = w->wi_minutes;
		if (h == upto / 60)
			mask &= (1ULL << (upto % 60 + 1)) - 1;
		if (mask != 0)
			return h * 60 + 63 - __builtin_clzll(mask);
	}
	return -1;
}

/* The latest start at or before t, within days days; 0 when none. */
static int
window_prev_start(const struct window *w, time_t t, long long days,
    time_t *start)
{
	long long	s = floor_div(t, 60) * 60, z, k;
	int		mod, m;

	z = floor_div(s, 86400);
	mod = (int)((s - z * 86400) / 60);
	for (k = 0; k <= days; k++) {
		if (!window_day_matches(w, z - k))
			continue;
		if ((m = window_last_minute(w, k == 0 ? mod : 1439)) >= 0) {
			*start = (time_t)((z - k) * 86400 + m * 60);
			return 1;
		}
	}
	return 0;
}

/* The earliest start after t; 0 when none within the horizon. */
static int
window_next_start(const struct window *w, time_t t, time_t *start)
{
	long long	s = (floor_div(t, 60) + 1) * 60, z, k;
	int		mod, m;

	z = floor_div(s, 86400);
	mod = (int)((s - z * 86400) / 60);
	for (k = 0; k <= WINDOW_HORIZON_DAYS; k++) {
		if (!window_day_matches(w, z + k))
			continue;
		if ((m = window_first_minute(w, k == 0 ? mod : 0)) >= 0) {
			*start = (time_t)((z + k) * 86400 + m * 60);
			return 1;
		}
	}
	return 0;
}

int
window_matches(const struct window *w, time_t t)
{
	long long	z = floor_div(t, 86400);
	int		mod = (int)((t - z * 86400) / 60);

	return window_day_matches(w, z) &&
	    (w->wi_hours & (1U << (mod / 60))) &&
	    (w->wi_minutes & (1ULL << (mod % 60)));
}

/* The latest end of a window open at t; 0 when none is. */
static time_t
window_covering_end(const struct window *ws, size_t n, time_t t)
{
	time_t	s, end = 0;
	size_t	i;

	for (i = 0; i < n; i++) {
		if (window_prev_start(&ws[i], t, ws[i].wi_duration / 86400 + 2,
		    &s) && t < s + ws[i].wi_duration &&
		    s + ws[i].wi_duration > end)
			end = s + ws[i].wi_duration;
	}
	return end;
}

int
window_inside(const struct window *ws, size_t n, time_t t)
{
	return window_covering_end(ws, n, t) != 0;
}

time_t
window_next_open(const struct window *ws, size_t n, time_t t)
{
	time_t	u = t, e, s, best = 0;
	size_t	i;
	int	steps;

	/* First out of the windows open at t, overlapping ones included. */
	for (steps = 0; (e = window_covering_end(ws, n, u)) != 0; steps++) {
		if (steps == WINDOW_MAX_STEPS)
			return 0;
		u = e;
	}
	for (i = 0; i < n; i++) {
		if (window_next_start(&ws[i], u, &s) && (best == 0 || s < best))
			best = s;
	}
	return best;
}

time_t
window_next_inside(const struct window *ws, size_t n, time_t t)
{
	if (window_inside(ws, n, t))
		return t;
	return window_next_open(ws, n, t);
}

time_t
window_last_close(const struct window *ws, size_t n, time_t t)
{
	time_t	u = t, s, end, best;
	size_t	i;
	int	steps;

	for (steps = 0; steps < WINDOW_MAX_STEPS; steps++) {
		best = 0;
		for (i = 0; i < n; i++) {
			if (!window_prev_start(&ws[i], u - ws[i].wi_duration,
			    WINDOW_HORIZON_DAYS, &s))
				continue;
			end = s + ws[i].wi_duration;
			if (end > best)
				best = end;
		}
		if (best == 0)
			return 0;
		/* An end inside another window is no close of them all. */
		if (!window_inside(ws, n, best))
			return best;
		u = best - 1;
	}
	return 0;
}

/* A number or, where the field has them, a name; advances *sp. */
static int
window_value(const struct window_field *wf, const char **sp, int *v)
{
	const char	*s = *sp;
	long		 n = 0;
	size_t		 len, i;

	if (isdigit((unsigned char)*s)) {
		for (len = 0; isdigit((unsigned char)s[len]); len++) {
			if (n < 1000)
				n = n * 10 + (s[len] - '0');
		}
		*v = (int)n;
		*sp = s + len;
		return 0;
	}
	for (len = 0; isalpha((unsigned char)s[len]); len++)
		;
	if (wf->wf_names == NULL || len != 3)
		return -1;
	for (i = 0; wf->wf_names[i] != NULL; i++) {
		if (strncasecmp(s, wf->wf_names[i], 3) == 0) {
			*v = wf->wf_min + (int)i;
			*sp = s + len;
			return 0;
		}
	}
	return -1;
}

/*
 * One item of a field's list: "*", "a", "a-b", "*" or "a-b" with "/n",
 * and "a/n", a to the field's end.
 */
static int
window_item(const struct window_field *wf, const char *item, uint64_t *bits,
    char **cause)
{
	const char	*p = item, *at;
	int		 lo, hi, step = 1, v;
	char		 tok[32];

	if (*p == '\0') {
		cause_set(cause, "%s field: empty list item", wf->wf_name);
		return -1;
	}
	if (*p == '*') {
		lo = wf->wf_min;
		hi = wf->wf_max;
		p++;
	} else {
		at = p;
		if (window_value(wf, &p, &lo) != 0)
			goto notnum;
		hi = lo;
		if (lo < wf->wf_min || lo > wf->wf_max) {
			snprintf(tok, sizeof tok, "%.*s", (int)(p - at), at);
			goto range;
		}
		if (*p == '-') {
			at = ++p;
			if (window_value(wf, &p, &hi) != 0)
				goto notnum;
			if (hi < wf->wf_min || hi > wf->wf_max) {
				snprintf(tok, sizeof tok, "%.*s", (int)(p - at), at);
				goto range;
			}
			/* Sunday ends a range of days as 7: fri-sun. */
			if (wf->wf_max == 7 && hi == 0 && lo > 0)
				hi = 7;
			if (hi < lo) {
				cause_set(cause, "%s field \"%s\": range %d-%d "
				    "is backwards", wf->wf_name, item, lo, hi);
				return -1;
			}
		} else if (*p == '/')
			hi = wf->wf_max;
	}
	if (*p == '/') {
		p++;
		if (!isdigit((unsigned char)*p)) {
			cause_set(cause, "%s field \"%s\": a step is a number",
			    wf->wf_name, item);
			return -1;
		}
		for (step = 0; isdigit((unsigned char)*p); p++) {
			if (step < 1000)
				step = step * 10 + (*p - '0');
		}
		if (step < 1) {
			cause_set(cause, "%s field \"%s\": a step must be 1 or "
			    "more", wf->wf_name, item);
			return -1;
		}
	}
	if (*p != '\0') {
		cause_set(cause, "%s field \"%s\": unexpected \"%s\"",
		    wf->wf_name, item, p);
		return -1;
	}
	for (v = lo; v <= hi; v += step)
		*bits |= 1ULL << (wf->wf_max == 7 && v == 7 ? 0 : v);
	return 0;

notnum:
	cause_set(cause, "%s field \"%s\" is not a number%s%s", wf->wf_name,
	    item, wf->wf_names_hint ? " or " : "",
	    wf->wf_names_hint ? wf->wf_names_hint : "");
	return -1;
range:
	cause_set(cause, "%s field \"%s\" out of range %d-%d", wf->wf_name,
	    tok, wf->wf_min, wf->wf_max);
	return -1;
}

static int
window_field_parse(const struct window_field *wf, const char *text,
    uint64_t *bits, char **cause)
{
	char	*copy, *item, *next;
	int	 rc = 0;

	*bits = 0;
	copy = strdup(text);
	if (copy == NULL) {
		cause_set(cause, "out of memory");
		return -1;
	}
	for (item = copy; item != NULL && rc == 0; item = next) {
		if ((next = strchr(item, ',')) != NULL)
			*next++ = '\0';
		rc = window_item(wf, item, bits, cause);
	}
	free(copy);
	return rc;
}

int
window_parse(const char *text, struct window *w, char **cause)
{
	char		 words[7][64];
	const char	*p = text;
	uint64_t	 bits[5];
	size_t		 n = 0, len;
	long long	 day;
	int		 i;

	while (n < 7) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		len = strcspn(p, " \t");
		if (len >= sizeof words[0]) {
			cause_set(cause, "\"%.20s...\" is too long", p);
			return -1;
		}
		memcpy(words[n], p, len);
		words[n++][len] = '\0';
		p += len;
	}
	if (n != 6) {
		cause_set(cause, "expected five cron fields and a duration "
		    "(minute hour day-of-month month day-of-week duration, e.g. "
		    "\"0 2 * * sat 4h\")");
		return -1;
	}
	for (i = 0; i < 5; i++) {
		if (window_field_parse(&window_fields[i], words[i], &bits[i],
		    cause) != 0)
			return -1;
	}
	w->wi_minutes = bits[0];
	w->wi_hours = (uint32_t)bits[1];
	w->wi_mdays = (uint32_t)bits[2];
	w->wi_months = (uint16_t)bits[3];
	w->wi_wdays = (uint8_t)bits[4];
	w->wi_mday_any = words[2][0] == '*';
	w->wi_wday_any = words[4][0] == '*';
	if (duration_parse(words[5], &w->wi_duration) != 0) {
		cause_set(cause, "bad duration \"%s\" (a number with m, h or d, "
		    "e.g. 4h)", words[5]);
		return -1;
	}
	if (w->wi_duration < WINDOW_MIN_DURATION) {
		cause_set(cause, "duration \"%s\" is shorter than 1m", words[5]);
		return -1;
	}
	if (w->wi_duration >= WINDOW_MAX_DURATION) {
		cause_set(cause, "duration \"%s\" is not shorter than a week",
		    words[5]);
		return -1;
	}
	/* 30 feb: a window that would never open is a mistake. */
	for (day = days_from_civil(2000, 1, 1), i = 0;
	    i < WINDOW_HORIZON_DAYS; i++, day++) {
		if (window_day_matches(w, day))
			return 0;
	}
	if (strcmp(words[4], "*") == 0)
		cause_set(cause, "day-of-month field \"%s\" never falls in "
		    "month field \"%s\": the window would never open",
		    words[2], words[3]);
	else
		cause_set(cause, "day-of-month field \"%s\", month field "
		    "\"%s\" and day-of-week field \"%s\" never meet: the "
		    "window would never open", words[2], words[3], words[4]);
	return -1;
}
