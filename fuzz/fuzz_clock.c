/*
 * libFuzzer target for the date forms upstream metadata and the
 * configuration carry (lib/clock.c): RFC 3339, every updateinfo form, and
 * durations.  A date that parses formats to an RFC 3339 string that
 * parses back to the same time; a duration is never negative.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_roundtrip(time_t t)
{
	char	 buf[64];
	time_t	 u;

	/* RFC 3339 has four-digit years; epoch seconds go further. */
	if (t < 0 || t > 253402300799LL)
		return;
	if (time_format(t, buf, sizeof buf) == NULL)
		abort();
	if (time_parse_rfc3339(buf, &u) != 0 || u != t)
		abort();
	if (time_parse_any(buf, &u) != 0 || u != t)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*s;
	time_t		 t;
	long long	 secs;

	if (size > 256)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (time_parse_rfc3339(s, &t) == 0)
		fuzz_roundtrip(t);
	if (time_parse_any(s, &t) == 0)
		fuzz_roundtrip(t);
	if (duration_parse(s, &secs) == 0 && secs < 0)
		abort();
	free(s);
	return 0;
}
