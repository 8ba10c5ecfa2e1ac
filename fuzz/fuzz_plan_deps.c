/*
 * libFuzzer target for the planner's dependency facts: the input, split
 * at blank lines, is a run of apt stanzas, and, split at "</package>",
 * a run of rpm-md <package> elements.  Each run is added one by one and
 * in one batch, sealed and settled with every version listed, then with
 * every other one a candidate, under both rejected-actions.  States must
 * stay within the enum and every package must keep its number.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "plan_deps.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_MAX_PKGS	64

/* Splits data after each sep; returns the number of pieces. */
static size_t
fuzz_split(const char *data, size_t len, const char *sep, const char **raws,
    size_t *lens)
{
	size_t		 n = 0, seplen = strlen(sep);
	const char	*p = data, *end = data + len, *hit;

	while (p < end && n < FUZZ_MAX_PKGS) {
		hit = memmem(p, end - p, sep, seplen);
		raws[n] = p;
		lens[n] = hit != NULL ? (size_t)(hit - p) + seplen :
		    (size_t)(end - p);
		p += lens[n];
		n++;
	}
	return n;
}

static void
fuzz_settle(struct plan_deps *pd, size_t n)
{
	unsigned char	 state[FUZZ_MAX_PKGS];
	char		*why[FUZZ_MAX_PKGS], *cause = NULL;
	size_t		 i, prov[8];
	int		 allow, half;

	for (allow = 0; allow <= 1; allow++) {
		for (half = 0; half <= 1; half++) {
			for (i = 0; i < n; i++)
				state[i] = half && (i & 1) ? PLAN_DEPS_CANDIDATE :
				    PLAN_DEPS_LISTED;
			if (plan_deps_settle(pd, state, why, allow, &cause) != 0) {
				free(cause);
				cause = NULL;
				continue;
			}
			for (i = 0; i < n; i++) {
				if (state[i] > PLAN_DEPS_LET_IN)
					abort();
				if (state[i] == PLAN_DEPS_HELD &&
				    plan_deps_unmet_providers(pd, state, i, prov,
				    8) > 8)
					abort();
				free(why[i]);
			}
		}
	}
}

static void
fuzz_format(enum mirror_type format, const char *data, size_t len,
    const char *sep, int batch)
{
	struct plan_deps	*pd;
	const char		*raws[FUZZ_MAX_PKGS];
	size_t			 lens[FUZZ_MAX_PKGS], n, i;
	char			*cause = NULL;

	if ((pd = plan_deps_new(format)) == NULL)
		return;
	n = fuzz_split(data, len, sep, raws, lens);
	if (batch) {
		plan_deps_add_many(pd, raws, lens, n, &cause);
		free(cause);
		cause = NULL;
	} else {
		for (i = 0; i < n; i++) {
			plan_deps_add(pd, raws[i], lens[i], &cause);
			free(cause);
			cause = NULL;
		}
	}
	if (plan_deps_count(pd) != n)
		abort();
	if (plan_deps_seal(pd, &cause) == 0)
		fuzz_settle(pd, n);
	free(cause);
	plan_deps_free(pd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char	*s = (const char *)data;

	fuzz_format(MIRROR_APT, s, len, "\n\n", len & 1);
	fuzz_format(MIRROR_RPMMD, s, len, "</package>", len & 1);
	return 0;
}
