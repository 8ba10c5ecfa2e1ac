/*
 * Unit tests for lib/window.c: the cron fields of "window = CRON
 * DURATION" (numbers, ranges, lists, steps, names, 7 as sunday, cron's
 * rule for the two day fields), the questions publishing asks (inside a
 * window, next opening, last close) across month ends, midnight and a
 * year end, and the messages of every kind of error.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "tap.h"
#include "window.h"

static time_t
t(const char *s)
{
	time_t	v;

	if (time_parse_rfc3339(s, &v) != 0) {
		printf("Bail out! bad time in test: %s\n", s);
		exit(1);
	}
	return v;
}

static const char *
fmt(time_t v)
{
	static char	bufs[4][32];
	static int	idx;
	char		*b = bufs[idx++ % 4];

	if (v == 0)
		return "(none)";
	return time_format(v, b, sizeof bufs[0]);
}

#define is_time(got, want, ...) is_str(fmt(got), fmt(want), __VA_ARGS__)

static struct window
w_parse(const char *text)
{
	struct window	 w;
	char		*cause = NULL;

	memset(&w, 0, sizeof w);
	if (!ok(window_parse(text, &w, &cause) == 0, "parses \"%s\"", text))
		printf("#   %s\n", cause ? cause : "(no cause)");
	free(cause);
	return w;
}

static void
matches(const char *text, const char *when, int want)
{
	struct window	w = w_parse(text);

	ok(window_matches(&w, t(when)) == want, "\"%s\" %s %s", text,
	    want ? "matches" : "does not match", when);
}

static void
bad(const char *text, const char *want)
{
	struct window	 w;
	char		*cause = NULL;
	int		 rc;

	memset(&w, 0, sizeof w);
	rc = window_parse(text, &w, &cause);
	ok(rc == -1, "\"%s\" is refused", text);
	is_str(cause, want, "\"%s\": the message names the problem", text);
	free(cause);
}

static void
test_fields(void)
{
	struct window	w;

	w = w_parse("0 2 * * sat 4h");
	is_int(w.wi_duration, 4 * 3600, "duration 4h");
	/* 2026-01-03 is a Saturday. */
	matches("0 2 * * sat 4h", "2026-01-03T02:00:00Z", 1);
	matches("0 2 * * sat 4h", "2026-01-03T02:00:59Z", 1);
	matches("0 2 * * sat 4h", "2026-01-03T02:01:00Z", 0);
	matches("0 2 * * sat 4h", "2026-01-02T02:00:00Z", 0);
	matches("0 2 * * sat 4h", "2026-01-03T03:00:00Z", 0);

	/* Lists and ranges. */
	matches("0,30 1,13 * * * 1m", "2026-05-05T13:30:00Z", 1);
	matches("0,30 1,13 * * * 1m", "2026-05-05T01:00:00Z", 1);
	matches("0,30 1,13 * * * 1m", "2026-05-05T02:00:00Z", 0);
	matches("0,30 1,13 * * * 1m", "2026-05-05T13:15:00Z", 0);
	matches("0 9-17 * * * 1m", "2026-05-05T17:00:00Z", 1);
	matches("0 9-17 * * * 1m", "2026-05-05T18:00:00Z", 0);
	matches("0 9-17 * * * 1m", "2026-05-05T08:00:00Z", 0);

	/* Steps. */
	matches("*/15 * * * * 1m", "2026-05-05T07:45:00Z", 1);
	matches("*/15 * * * * 1m", "2026-05-05T07:10:00Z", 0);
	matches("10-30/10 * * * * 1m", "2026-05-05T07:30:00Z", 1);
	matches("10-30/10 * * * * 1m", "2026-05-05T07:40:00Z", 0);
	matches("10-30/10 * * * * 1m", "2026-05-05T07:15:00Z", 0);
	matches("5/20 * * * * 1m", "2026-05-05T07:45:00Z", 1);
	matches("5/20 * * * * 1m", "2026-05-05T07:05:00Z", 1);
	matches("5/20 * * * * 1m", "2026-05-05T07:20:00Z", 0);
	matches("0 */6 * * * 1m", "2026-05-05T18:00:00Z", 1);
	matches("0 */6 * * * 1m", "2026-05-05T19:00:00Z", 0);
	matches("0 0 * */3 * 1m", "2026-04-01T00:00:00Z", 1);
	matches("0 0 * */3 * 1m", "2026-05-01T00:00:00Z", 0);

	/* Names, any case; 7 and a range ending in sun are sunday. */
	matches("0 2 * JAN-Mar Sat-SUN 1h", "2026-01-04T02:00:00Z", 1);
	matches("0 2 * JAN-Mar Sat-SUN 1h", "2026-01-03T02:00:00Z", 1);
	matches("0 2 * JAN-Mar Sat-SUN 1h", "2026-01-05T02:00:00Z", 0);
	matches("0 2 * JAN-Mar Sat-SUN 1h", "2026-04-04T02:00:00Z", 0);
	matches("0 0 * * 7 1h", "2026-01-04T00:00:00Z", 1);
	matches("0 0 * * 0 1h", "2026-01-04T00:00:00Z", 1);
	matches("0 0 * * 7 1h", "2026-01-03T00:00:00Z", 0);
	matches("0 0 * * fri-sun 1h", "2026-01-04T00:00:00Z", 1);
	matches("0 0 * * fri-sun 1h", "2026-01-02T00:00:00Z", 1);
	matches("0 0 * * fri-sun 1h", "2026-01-05T00:00:00Z", 0);
	matches("0 0 * * 1-5 1h", "2026-01-05T00:00:00Z", 1);
	matches("0 0 * * 1-5 1h", "2026-01-04T00:00:00Z", 0);
	matches("0 0 1 dec * 1h", "2026-12-01T00:00:00Z", 1);
	matches("0 0 1 dec * 1h", "2026-11-01T00:00:00Z", 0);
}

/* Both day fields restricted: either matches; one starting with '*': both. */
static void
test_day_fields(void)
{
	/* 2026-01-09 is a Friday, 2026-01-13 a Tuesday. */
	matches("0 0 13 * fri 1h", "2026-01-09T00:00:00Z", 1);
	matches("0 0 13 * fri 1h", "2026-01-13T00:00:00Z", 1);
	matches("0 0 13 * fri 1h", "2026-01-14T00:00:00Z", 0);
	matches("0 0 13 * * 1h", "2026-01-09T00:00:00Z", 0);
	matches("0 0 13 * * 1h", "2026-01-13T00:00:00Z", 1);
	matches("0 0 * * fri 1h", "2026-01-13T00:00:00Z", 0);
	/* "*\/2" counts as '*': odd days that are Mondays. */
	matches("0 0 */2 * mon 1h", "2026-01-05T00:00:00Z", 1);
	matches("0 0 */2 * mon 1h", "2026-01-12T00:00:00Z", 0);
	matches("0 0 */2 * mon 1h", "2026-01-07T00:00:00Z", 0);
	matches("0 0 1-7 * */7 1h", "2026-01-04T00:00:00Z", 1);
	matches("0 0 1-7 * */7 1h", "2026-01-03T00:00:00Z", 0);
	matches("0 0 1-7 * */7 1h", "2026-01-11T00:00:00Z", 0);
}

static void
test_times(void)
{
	struct window	w[2];

	w[0] = w_parse("0 2 * * sat 4h");
	ok(!window_inside(w, 1, t("2026-01-03T01:59:59Z")), "not inside before the opening");
	ok(window_inside(w, 1, t("2026-01-03T02:00:00Z")), "inside at the opening");
	ok(window_inside(w, 1, t("2026-01-03T05:59:59Z")), "inside a second before the close");
	ok(!window_inside(w, 1, t("2026-01-03T06:00:00Z")), "not inside at the close");
	ok(!window_inside(w, 1, t("2026-01-07T12:00:00Z")), "not inside on a Wednesday");
	is_time(window_next_open(w, 1, t("2026-01-07T12:00:00Z")),
	    t("2026-01-10T02:00:00Z"), "next opening after a Wednesday");
	is_time(window_next_open(w, 1, t("2026-01-03T03:00:00Z")),
	    t("2026-01-10T02:00:00Z"), "next opening while open: the next week's");
	is_time(window_next_open(w, 1, t("2026-01-03T01:59:59Z")),
	    t("2026-01-03T02:00:00Z"), "next opening a second before it");
	is_time(window_next_inside(w, 1, t("2026-01-03T03:00:00Z")),
	    t("2026-01-03T03:00:00Z"), "next time inside while open: now");
	is_time(window_next_inside(w, 1, t("2026-01-06T03:00:00Z")),
	    t("2026-01-10T02:00:00Z"), "next time inside while closed: the opening");
	is_time(window_last_close(w, 1, t("2026-01-07T12:00:00Z")),
	    t("2026-01-03T06:00:00Z"), "last close before a Wednesday");
	is_time(window_last_close(w, 1, t("2026-01-03T06:00:00Z")),
	    t("2026-01-03T06:00:00Z"), "last close at the close");
	is_time(window_last_close(w, 1, t("2026-01-03T03:00:00Z")),
	    t("2025-12-27T06:00:00Z"), "last close while open: the week before");

	/* Month ends. */
	w[0] = w_parse("0 0 31 * * 1h");
	is_time(window_next_open(w, 1, t("2026-04-01T00:00:00Z")),
	    t("2026-05-31T00:00:00Z"), "the 31st skips April");
	is_time(window_last_close(w, 1, t("2026-05-30T00:00:00Z")),
	    t("2026-03-31T01:00:00Z"), "last close of the 31st skips April");
	w[0] = w_parse("0 0 29 2 * 1h");
	is_time(window_next_open(w, 1, t("2026-03-01T00:00:00Z")),
	    t("2028-02-29T00:00:00Z"), "29 Feb: the next leap year");
	w[0] = w_parse("30 23 28-31 2 * 1h");
	is_time(window_next_open(w, 1, t("2027-02-28T23:30:00Z")),
	    t("2028-02-28T23:30:00Z"), "28-31 Feb in 2027 ends on the 28th");
	ok(window_inside(w, 1, t("2027-03-01T00:15:00Z")),
	    "a window of 28 Feb runs into 1 March");
	w[0] = w_parse("0 0 31 4 mon 1h");
	is_time(window_next_open(w, 1, t("2026-04-01T00:00:00Z")),
	    t("2026-04-06T00:00:00Z"), "31 April never, Mondays in April still");

	/* A window spanning midnight. */
	w[0] = w_parse("0 22 * * * 4h");
	ok(window_inside(w, 1, t("2026-01-06T01:59:59Z")), "22:00+4h is open at 01:59:59");
	ok(!window_inside(w, 1, t("2026-01-06T02:00:00Z")), "22:00+4h is closed at 02:00");
	ok(window_inside(w, 1, t("2026-01-06T23:00:00Z")), "22:00+4h is open at 23:00");
	is_time(window_last_close(w, 1, t("2026-01-06T12:00:00Z")),
	    t("2026-01-06T02:00:00Z"), "last close after midnight");
	is_time(window_next_open(w, 1, t("2026-01-06T01:00:00Z")),
	    t("2026-01-06T22:00:00Z"), "next opening from inside, after midnight");

	/* A year end. */
	w[0] = w_parse("0 23 31 12 * 3h");
	ok(window_inside(w, 1, t("2027-01-01T01:00:00Z")), "open on New Year's morning");
	ok(!window_inside(w, 1, t("2027-01-01T02:00:00Z")), "closed at 02:00 on 1 January");
	is_time(window_next_open(w, 1, t("2026-06-01T00:00:00Z")),
	    t("2026-12-31T23:00:00Z"), "next opening on New Year's Eve");
	is_time(window_last_close(w, 1, t("2027-01-05T00:00:00Z")),
	    t("2027-01-01T02:00:00Z"), "last close in the new year");
	w[0] = w_parse("0 20 * * thu 2d");
	ok(window_inside(w, 1, t("2027-01-02T19:59:00Z")), "Thursday 31 Dec + 2d is open on 2 Jan");
	ok(!window_inside(w, 1, t("2027-01-02T20:00:00Z")), "and closed at 20:00 on 2 Jan");

	/* Overlapping windows open and close together. */
	w[0] = w_parse("0 2 * * * 2h");
	w[1] = w_parse("0 3 * * * 2h");
	ok(window_inside(w, 2, t("2026-01-06T04:30:00Z")), "two windows: open at 04:30");
	ok(!window_inside(w, 2, t("2026-01-06T05:00:00Z")), "two windows: closed at 05:00");
	is_time(window_next_open(w, 2, t("2026-01-06T02:30:00Z")),
	    t("2026-01-07T02:00:00Z"), "the second window's start is no opening");
	is_time(window_last_close(w, 2, t("2026-01-06T10:00:00Z")),
	    t("2026-01-06T05:00:00Z"), "the first window's end is no close");

	/* Always open: no opening, no close. */
	w[0] = w_parse("* * * * * 1m");
	ok(window_inside(w, 1, t("2026-01-06T04:30:10Z")), "every minute for 1m: always open");
	is_time(window_next_open(w, 1, t("2026-01-06T04:30:10Z")), 0,
	    "always open: never opens");
	is_time(window_last_close(w, 1, t("2026-01-06T04:30:10Z")), 0,
	    "always open: never closed");
	ok(!window_inside(w, 0, t("2026-01-06T04:30:10Z")), "no windows: never inside");
	is_time(window_next_open(w, 0, t("2026-01-06T04:30:10Z")), 0,
	    "no windows: never opens");
}

static void
test_errors(void)
{
	bad("61 2 * * * 1h", "minute field \"61\" out of range 0-59");
	bad("0 24 * * * 1h", "hour field \"24\" out of range 0-23");
	bad("0 0 0 * * 1h", "day-of-month field \"0\" out of range 1-31");
	bad("0 0 1-32 * * 1h", "day-of-month field \"32\" out of range 1-31");
	bad("0 0 * 13 * 1h", "month field \"13\" out of range 1-12");
	bad("0 0 * * 8 1h", "day-of-week field \"8\" out of range 0-7");
	bad("0 0 * foo * 1h", "month field \"foo\" is not a number or a month "
	    "name (jan..dec)");
	bad("0 0 * * funday 1h", "day-of-week field \"funday\" is not a number "
	    "or a day name (sun..sat)");
	bad("jan 0 * * * 1h", "minute field \"jan\" is not a number");
	bad("0 -1 * * * 1h", "hour field \"-1\" is not a number");
	bad("*/0 0 * * * 1h", "minute field \"*/0\": a step must be 1 or more");
	bad("*/ 0 * * * 1h", "minute field \"*/\": a step is a number");
	bad("0 5-3 * * * 1h", "hour field \"5-3\": range 5-3 is backwards");
	bad("0 0 * * sat-mon 1h", "day-of-week field \"sat-mon\": range 6-1 is "
	    "backwards");
	bad("1,,2 0 * * * 1h", "minute field: empty list item");
	bad("0 1-2x * * * 1h", "hour field \"1-2x\": unexpected \"x\"");
	bad("0 2 * * sat", "expected five cron fields and a duration (minute "
	    "hour day-of-month month day-of-week duration, e.g. \"0 2 * * sat "
	    "4h\")");
	bad("0 2 * * sat 4h extra", "expected five cron fields and a duration "
	    "(minute hour day-of-month month day-of-week duration, e.g. \"0 2 * "
	    "* sat 4h\")");
	bad("", "expected five cron fields and a duration (minute hour "
	    "day-of-month month day-of-week duration, e.g. \"0 2 * * sat 4h\")");
	bad("0 2 * * sat 4x", "bad duration \"4x\" (a number with m, h or d, "
	    "e.g. 4h)");
	bad("0 2 * * sat 4", "bad duration \"4\" (a number with m, h or d, "
	    "e.g. 4h)");
	bad("0 2 * * sat 30s", "duration \"30s\" is shorter than 1m");
	bad("0 2 * * sat 0", "duration \"0\" is shorter than 1m");
	bad("0 2 * * sat 7d", "duration \"7d\" is not shorter than a week");
	bad("0 2 * * sat 1w", "duration \"1w\" is not shorter than a week");
	bad("0 0 30 2 * 1h", "day-of-month field \"30\" never falls in month "
	    "field \"2\": the window would never open");
	bad("0 0 31 apr,jun * 1h", "day-of-month field \"31\" never falls in "
	    "month field \"apr,jun\": the window would never open");
	bad("0 0 31 4 */7 1h", "day-of-month field \"31\", month field \"4\" "
	    "and day-of-week field \"*/7\" never meet: the window would never "
	    "open");
}

int
main(void)
{
	setenv("TZ", "America/New_York", 1);	/* windows ignore the zone */
	tzset();
	test_fields();
	test_day_fields();
	test_times();
	test_errors();
	return done_testing();
}
