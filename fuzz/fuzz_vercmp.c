/*
 * libFuzzer target for version comparison (lib/vercmp.c), rpm's and
 * dpkg's: the input is split at its first NUL byte into two versions
 * (three for rpm's EVR, at the next one).  Comparisons must be a total
 * order's: reflexive, antisymmetric, and consistent with a third version
 * taken from the input (transitivity), so that sorting never loops.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vercmp.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
fuzz_sign(int v)
{
	return v < 0 ? -1 : v > 0;
}

static void
fuzz_order(int (*cmp)(const char *, const char *), const char *a,
    const char *b, const char *c)
{
	int	ab, ba, bc, ac;

	if (cmp(a, a) != 0 || cmp(b, b) != 0)
		abort();
	ab = fuzz_sign(cmp(a, b));
	ba = fuzz_sign(cmp(b, a));
	if (ab != -ba)
		abort();
	bc = fuzz_sign(cmp(b, c));
	ac = fuzz_sign(cmp(a, c));
	if (ab <= 0 && bc <= 0 && ac > 0)
		abort();
	if (ab >= 0 && bc >= 0 && ac < 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s, *a, *b, *c, *end;

	if (size > 4096)
		return 0;
	if ((s = malloc(size + 3)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = s[size + 1] = s[size + 2] = '\0';
	end = s + size;
	a = s;
	b = a + strlen(a) + 1;
	if (b > end)
		b = end;
	c = b + strlen(b) + 1;
	if (c > end)
		c = end;
	fuzz_order(rpm_vercmp, a, b, c);
	fuzz_order(deb_vercmp, a, b, c);
	if (rpm_evrcmp(NULL, a, b, NULL, a, b) != 0)
		abort();
	if (fuzz_sign(rpm_evrcmp("0", a, c, "0", b, c)) !=
	    -fuzz_sign(rpm_evrcmp("0", b, c, "0", a, c)))
		abort();
	free(s);
	return 0;
}
