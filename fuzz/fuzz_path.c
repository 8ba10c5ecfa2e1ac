/*
 * libFuzzer target for request path decoding (proxy/parse.c): whatever
 * comes in, a path that is taken has no "." or ".." segment, no empty
 * one, no NUL, backslash or control character, and its segments and
 * offsets agree with its normalized form; decoding that form again (when
 * it holds no '%') gives it back unchanged.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_check(const struct route_path *rp)
{
	const char	*p;
	size_t		 i, len;

	for (p = rp->rp_norm; *p != '\0'; p++) {
		if (*p == '\\' || (unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	}
	if (!parse_idx_path(rp->rp_norm) != (rp->rp_nsegs == 0))
		abort();
	for (i = 0; i < rp->rp_nsegs; i++) {
		len = strlen(rp->rp_segs[i]);
		if (len == 0 || strcmp(rp->rp_segs[i], ".") == 0 ||
		    strcmp(rp->rp_segs[i], "..") == 0 ||
		    strchr(rp->rp_segs[i], '/') != NULL)
			abort();
		if (strncmp(rp->rp_norm + rp->rp_offs[i], rp->rp_segs[i],
		    len) != 0)
			abort();
		p = rp->rp_norm + rp->rp_offs[i] + len;
		if (*p != (i + 1 == rp->rp_nsegs ? '\0' : '/'))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct route_path	 rp, again;
	char			*s, *re;
	size_t			 len;

	if (size > PARSE_PATH_MAX + 16)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (parse_path(s, &rp) == 0) {
		fuzz_check(&rp);
		len = strlen(rp.rp_norm);
		if (strchr(rp.rp_norm, '%') == NULL &&
		    (re = malloc(len + 2)) != NULL) {
			re[0] = '/';
			memcpy(re + 1, rp.rp_norm, len + 1);
			if (parse_path(re, &again) != 0 ||
			    strcmp(again.rp_norm, rp.rp_norm) != 0 ||
			    again.rp_nsegs != rp.rp_nsegs)
				abort();
			parse_path_free(&again);
			free(re);
		}
		parse_path_free(&rp);
	}
	free(s);
	return 0;
}
