/*
 * Unit tests for lib/clock.c: PATCHGATE_NOW, the RFC 3339 parser that
 * reads it, the lenient parser for every updateinfo date form, formatting,
 * and the durations of baseline delays.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "tap.h"

#define T20261201	1796083200LL	/* 2026-12-01T00:00:00Z */
#define T20130702	1372723200LL	/* 2013-07-02T00:00:00Z */

struct tcase {
	const char	*s;
	long long	 want;		/* -1: must be rejected */
};

/* s with control characters escaped, so that a TAP line stays one line. */
static const char *
vis(const char *s)
{
	static char	bufs[4][128];
	static int	idx;
	char		*b = bufs[idx++ % 4];
	size_t		 o = 0;

	for (; *s != '\0' && o < sizeof bufs[0] - 5; s++) {
		if (*s == '\n')
			o += snprintf(b + o, 5, "\\n");
		else if (*s == '\t')
			o += snprintf(b + o, 5, "\\t");
		else if ((unsigned char)*s < 0x20)
			o += snprintf(b + o, 5, "\\x%02x", (unsigned char)*s);
		else
			b[o++] = *s;
	}
	b[o] = '\0';
	return b;
}

static void
check_parse(const char *name, int (*parse)(const char *, time_t *),
    const struct tcase *tc, size_t n)
{
	time_t	t;
	size_t	i;
	int	rc;

	for (i = 0; i < n; i++) {
		t = 12345;
		rc = parse(tc[i].s, &t);
		if (tc[i].want == -1)
			ok(rc == -1 && t == 12345,
			    "%s rejects \"%s\" and leaves the result alone",
			    name, vis(tc[i].s));
		else if (!tap_ok(rc == 0 && (long long)t == tc[i].want,
		    __FILE__, __LINE__, "%s(\"%s\") = %lld", name,
		    vis(tc[i].s), tc[i].want))
			printf("#   got rc %d, %lld\n", rc, (long long)t);
	}
}

static void
test_clock_init(void)
{
	char	*cause;
	time_t	 before, now;

	unsetenv("PATCHGATE_NOW");
	cause = NULL;
	is_int(clock_init(&cause), 0, "clock_init without PATCHGATE_NOW");
	ok(cause == NULL, "no cause without an error");
	ok(!clock_is_overridden(), "clock not overridden by default");
	before = time(NULL);
	now = clock_now();
	ok(now >= before && now <= time(NULL), "clock_now is the real time");

	setenv("PATCHGATE_NOW", "", 1);
	is_int(clock_init(NULL), 0, "empty PATCHGATE_NOW is unset");
	ok(!clock_is_overridden(), "empty PATCHGATE_NOW does not override");

	setenv("PATCHGATE_NOW", "next tuesday", 1);
	cause = NULL;
	is_int(clock_init(&cause), -1, "invalid PATCHGATE_NOW fails");
	ok(cause != NULL && strstr(cause, "PATCHGATE_NOW") != NULL &&
	    strstr(cause, "next tuesday") != NULL,
	    "the cause names PATCHGATE_NOW and its value: %s",
	    cause ? cause : "(null)");
	free(cause);
	ok(!clock_is_overridden(), "invalid PATCHGATE_NOW does not override");
	is_int(clock_init(NULL), -1, "invalid PATCHGATE_NOW, NULL cause");

	setenv("PATCHGATE_NOW", "2026-12-01T00:00:00+00:00", 1);
	cause = NULL;
	is_int(clock_init(&cause), 0, "valid PATCHGATE_NOW accepted");
	ok(cause == NULL, "no cause for a valid PATCHGATE_NOW");
	ok(clock_is_overridden(), "PATCHGATE_NOW overrides the clock");
	is_int(clock_now(), T20261201, "clock_now is PATCHGATE_NOW");

	setenv("PATCHGATE_NOW", "2026-12-01T02:00:00+02:00", 1);
	is_int(clock_init(NULL), 0, "PATCHGATE_NOW with an offset");
	is_int(clock_now(), T20261201, "the offset is applied");

	setenv("PATCHGATE_NOW", "2026-12-01", 1);
	is_int(clock_init(NULL), 0, "PATCHGATE_NOW as a bare date");
	is_int(clock_now(), T20261201, "a bare date is midnight UTC");

	clock_set(T20261201 + 7 * 86400);
	ok(clock_is_overridden(), "clock_set overrides");
	is_int(clock_now(), T20261201 + 7 * 86400, "clock_set moves now");
	unsetenv("PATCHGATE_NOW");
}

static void
test_rfc3339(void)
{
	static const struct tcase	tc[] = {
		{ "2026-12-01T00:00:00Z", T20261201 },
		{ "2026-12-01t00:00:00z", T20261201 },
		{ "2026-12-01T00:00:00+00:00", T20261201 },
		{ "2026-12-01T00:00:00-00:00", T20261201 },
		{ "2026-12-01T02:00:00+02:00", T20261201 },
		{ "2026-11-30T18:30:00-05:30", T20261201 },
		{ "2026-12-01T05:45:00+05:45", T20261201 },
		{ "2026-12-01T00:00:00.5Z", T20261201 },
		{ "2026-12-01T00:00:00.123456789Z", T20261201 },
		{ "2026-12-01T02:00:00.999+02:00", T20261201 },
		{ "2026-12-01T23:59:59Z", T20261201 + 86399 },
		{ "2026-12-01", T20261201 },
		{ "2024-02-29", 1709164800LL },
		{ "2000-02-29T00:00:00Z", 951782400LL },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2026-13-01", -1 },
		{ "2026-00-10", -1 },
		{ "2026-02-30T00:00:00Z", -1 },
		{ "2026-02-29", -1 },
		{ "2100-02-29T00:00:00Z", -1 },
		{ "2026-04-31T00:00:00Z", -1 },
		{ "2026-12-00", -1 },
		{ "2026-12-01T00:00:00", -1 },		/* no zone */
		{ "2026-12-01 00:00:00Z", -1 },		/* no T */
		{ "2026-12-01T00:00Z", -1 },		/* no seconds */
		{ "2026-12-01T24:00:00Z", -1 },
		{ "2026-12-01T00:60:00Z", -1 },
		{ "2026-12-01T00:00:00+24:00", -1 },
		{ "2026-12-01T00:00:00+02:60", -1 },
		{ "2026-12-01T00:00:00.Z", -1 },
		{ "2026-12-01T00:00:00Zjunk", -1 },
		{ "2026-12-01T00:00:00 UTC", -1 },
		{ "2026-12-1", -1 },
		{ "26-12-01", -1 },
		{ "1796083200", -1 },
		{ "", -1 },
		{ "next tuesday", -1 },
	};

	check_parse("time_parse_rfc3339", time_parse_rfc3339, tc,
	    sizeof tc / sizeof tc[0]);
}

static void
test_parse_any(void)
{
	static const struct tcase	tc[] = {
		{ "2013-07-02 04:22:29", T20130702 + 15749 },
		{ "2013-07-02 04:22", T20130702 + 15720 },
		{ "2013-07-02", T20130702 },
		{ "1215514282", 1215514282LL },
		{ "2024-01-05T10:00:00Z", 1704448800LL },
		{ "2024-01-05T11:00:00+01:00", 1704448800LL },
		{ "2024-01-05T10:00:00", 1704448800LL },
		{ "2024-01-05T10:00:00.25Z", 1704448800LL },
		{ "2016-01-05 10:00:00 UTC", 1451988000LL },
		{ "2016-01-05 10:00:00 utc", 1451988000LL },
		{ "2016-01-05 10:00:00UTC", 1451988000LL },
		{ "2016-01-05 10:00:00 GMT", 1451988000LL },
		{ "  2013-07-02 04:22:29  ", T20130702 + 15749 },
		{ "\n\t2013-07-02 04:22\n", T20130702 + 15720 },
		{ " 2013-07-02 ", T20130702 },
		{ "2013-07-02\n", T20130702 },
		{ "  1215514282\n", 1215514282LL },
		{ "\t2024-01-05T10:00:00Z \n", 1704448800LL },
		{ "0", 0 },
		{ "", -1 },
		{ "   ", -1 },
		{ "-5", -1 },
		{ "12a", -1 },
		{ "1215514282 5", -1 },
		{ "99999999999999999999999", -1 },
		{ "2013-07-02 04", -1 },
		{ "2013-07-02 04:22:29 CEST", -1 },
		{ "2013-07-02 04:22:29 UTCX", -1 },
		{ "2013-07-02 junk", -1 },
		{ "2013-02-30", -1 },
		{ "2013-07-02T", -1 },
		{ "07/02/2013", -1 },
	};

	check_parse("time_parse_any", time_parse_any, tc,
	    sizeof tc / sizeof tc[0]);
}

static void
test_format(void)
{
	char		buf[21], small[8];
	time_t		t, back;
	long long	i;
	int		bad = 0;

	is_str(time_format(0, buf, sizeof buf), "1970-01-01T00:00:00Z",
	    "time_format(0)");
	is_str(time_format(T20261201, buf, sizeof buf),
	    "2026-12-01T00:00:00Z", "time_format of 2026-12-01");
	is_str(time_format(1215514282, buf, sizeof buf),
	    "2008-07-08T10:51:22Z", "time_format of an updateinfo epoch");
	ok(time_format(T20261201, buf, sizeof buf) == buf,
	    "time_format returns its buffer");
	time_format(T20261201, small, sizeof small);
	ok(memchr(small, '\0', sizeof small) != NULL,
	    "time_format into a short buffer stays terminated: \"%s\"", small);

	/* Every format must read back, through both parsers. */
	for (i = 0; i < 2000; i++) {
		t = (time_t)(i * 1234567LL + i % 61);
		time_format(t, buf, sizeof buf);
		if (time_parse_rfc3339(buf, &back) != 0 || back != t ||
		    time_parse_any(buf, &back) != 0 || back != t) {
			if (bad++ < 5)
				printf("# %lld -> %s does not read back\n",
				    (long long)t, buf);
		}
	}
	is_int(bad, 0, "2000 formatted times read back");
}

static void
test_duration(void)
{
	static const struct {
		const char	*s;
		long long	 want;	/* -1: must be rejected */
	} tc[] = {
		{ "7d", 7 * 86400LL },
		{ "12h", 12 * 3600LL },
		{ "0", 0 },
		{ "0d", 0 },
		{ "2w", 14 * 86400LL },
		{ "30m", 1800 },
		{ "45s", 45 },
		{ "14d", 14 * 86400LL },
		{ "007d", 7 * 86400LL },
		{ "7", -1 },
		{ "d", -1 },
		{ "-1d", -1 },
		{ "+1d", -1 },
		{ "7dd", -1 },
		{ "1.5d", -1 },
		{ "7 d", -1 },
		{ " 7d", -1 },
		{ "7d ", -1 },
		{ "7D", -1 },
		{ "7y", -1 },
		{ "", -1 },
		{ "99999999999999999999d", -1 },
		{ "9223372036854775807w", -1 },
	};
	long long	secs;
	size_t		i;
	int		rc;

	for (i = 0; i < sizeof tc / sizeof tc[0]; i++) {
		secs = -12345;
		rc = duration_parse(tc[i].s, &secs);
		if (tc[i].want == -1)
			ok(rc == -1 && secs == -12345,
			    "duration_parse rejects \"%s\"", tc[i].s);
		else if (!tap_ok(rc == 0 && secs == tc[i].want, __FILE__,
		    __LINE__, "duration_parse(\"%s\") = %lld", tc[i].s,
		    tc[i].want))
			printf("#   got rc %d, %lld\n", rc, secs);
	}
}

int
main(void)
{
	/* Nothing here may depend on the local zone. */
	setenv("TZ", "America/St_Johns", 1);
	tzset();

	test_clock_init();
	test_rfc3339();
	test_parse_any();
	test_format();
	test_duration();
	return done_testing();
}
