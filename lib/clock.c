/*
 * The clock and the date formats patchgate reads.  clock_now() is the only
 * source of "now" for visibility, first-seen times, generation grace periods
 * and previews, so that PATCHGATE_NOW moves all of them together.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"

static int	clock_overridden;
static time_t	clock_fixed;

int
clock_init(char **cause)
{
	const char	*s;

	s = getenv("PATCHGATE_NOW");
	if (s == NULL || *s == '\0')
		return 0;
	if (time_parse_rfc3339(s, &clock_fixed) != 0) {
		if (cause != NULL && asprintf(cause,
		    "PATCHGATE_NOW: not an RFC 3339 time: \"%s\"", s) == -1)
			*cause = NULL;
		return -1;
	}
	clock_overridden = 1;
	return 0;
}

time_t
clock_now(void)
{
	if (clock_overridden)
		return clock_fixed;
	return time(NULL);
}

int
clock_is_overridden(void)
{
	return clock_overridden;
}

void
clock_set(time_t t)
{
	clock_fixed = t;
	clock_overridden = 1;
}

/* Reads exactly n digits. */
static int
digits(const char **sp, int n, int *out)
{
	const char	*s = *sp;
	int		 v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*sp = s + n;
	*out = v;
	return 0;
}

static int
valid_tm(const struct tm *tm)
{
	static const int	mdays[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int			y = tm->tm_year + 1900, leap;

	if (tm->tm_mon < 0 || tm->tm_mon > 11)
		return 0;
	/* timegm() would quietly make 2026-02-29 into March 1st. */
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (tm->tm_mday < 1 ||
	    tm->tm_mday > mdays[tm->tm_mon] + (tm->tm_mon == 1 && leap))
		return 0;
	if (tm->tm_hour > 23 || tm->tm_min > 59 || tm->tm_sec > 60)
		return 0;
	return 1;
}

/*
 * Skips a zone written as a name, "2016-01-05 10:00:00 UTC" (as Pulp and
 * some vendors write updateinfo dates); only the names for UTC.
 */
static int
zone_utc(const char **sp)
{
	const char	*s = *sp;

	while (*s == ' ')
		s++;
	if (strncasecmp(s, "UTC", 3) != 0 && strncasecmp(s, "GMT", 3) != 0)
		return 0;
	s += 3;
	if (*s != '\0' && !isspace((unsigned char)*s))
		return 0;
	*sp = s;
	return 1;
}

/*
 * Parses "YYYY-MM-DD", then optionally [T ]HH:MM[:SS[.frac]], then
 * optionally Z, +HH:MM / -HH:MM or (unless strict) UTC.  strict demands
 * T, seconds and a zone, as RFC 3339 does.
 */
static int
parse_datetime(const char *s, int strict, time_t *out)
{
	struct tm	tm;
	int		y, mo, d, h = 0, mi = 0, se = 0, oh, om, sign;
	long		off = 0;
	time_t		t;

	memset(&tm, 0, sizeof tm);
	if (digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) ||
	    *s++ != '-' || digits(&s, 2, &d))
		return -1;
	/* A blank not followed by a time is trailing space after a date. */
	if (*s == 'T' || *s == 't' ||
	    (*s == ' ' && isdigit((unsigned char)s[1]))) {
		if (strict && *s == ' ')
			return -1;
		s++;
		if (digits(&s, 2, &h) || *s++ != ':' || digits(&s, 2, &mi))
			return -1;
		if (*s == ':') {
			s++;
			if (digits(&s, 2, &se))
				return -1;
			if (*s == '.') {
				s++;
				if (!isdigit((unsigned char)*s))
					return -1;
				while (isdigit((unsigned char)*s))
					s++;
			}
		} else if (strict)
			return -1;
		if (*s == 'Z' || *s == 'z')
			s++;
		else if (*s == '+' || *s == '-') {
			sign = (*s == '-') ? -1 : 1;
			s++;
			if (digits(&s, 2, &oh))
				return -1;
			if (*s == ':')
				s++;
			if (digits(&s, 2, &om))
				return -1;
			if (oh > 23 || om > 59)
				return -1;
			off = sign * (oh * 3600L + om * 60L);
		} else if (strict)
			return -1;
		else
			zone_utc(&s);
	}
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (*s != '\0')
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	if (!valid_tm(&tm))
		return -1;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = t - off;
	return 0;
}

int
time_parse_rfc3339(const char *s, time_t *out)
{
	/* A bare date is accepted too: it is midnight UTC. */
	if (strlen(s) == 10)
		return parse_datetime(s, 0, out);
	return parse_datetime(s, 1, out);
}

int
time_parse_any(const char *s, time_t *out)
{
	const char	*p;
	char		*end;
	long long	 v;

	while (isspace((unsigned char)*s))
		s++;
	for (p = s; isdigit((unsigned char)*p); p++)
		;
	if (p != s) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0') {
			errno = 0;
			v = strtoll(s, &end, 10);
			if (errno != 0 || v < 0)
				return -1;
			*out = (time_t)v;
			return 0;
		}
	}
	return parse_datetime(s, 0, out);
}

const char *
time_format(time_t t, char *buf, size_t len)
{
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "@%lld", (long long)t);
	return buf;
}

int
duration_parse(const char *s, long long *secs)
{
	char		*end;
	long long	 v, mult;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || v < 0)
		return -1;
	switch (*end) {
	case '\0':
		/* A bare number is ambiguous unless 0. */
		if (v != 0)
			return -1;
		mult = 1;
		break;
	case 's':
		mult = 1;
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	case 'w':
		mult = 7 * 86400;
		break;
	default:
		return -1;
	}
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (v > LLONG_MAX / mult)
		return -1;
	*secs = v * mult;
	return 0;
}
