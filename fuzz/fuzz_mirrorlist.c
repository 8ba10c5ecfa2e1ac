/*
 * libFuzzer target for the documents that name a mirror's bases
 * (lib/mirrorlist.c): the input is parsed as a metalink and as a
 * mirrorlist.  Either fails with a cause, or gives bases that are http(s)
 * URLs without a trailing slash, one word each, and sha256 values of 64
 * lower-case hex digits.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mirrorlist.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_bases(char **v)
{
	size_t	i, len;

	if (v == NULL || v[0] == NULL)
		abort();
	for (i = 0; v[i] != NULL; i++) {
		len = strlen(v[i]);
		if ((strncmp(v[i], "http://", 7) != 0 &&
		    strncmp(v[i], "https://", 8) != 0) ||
		    strpbrk(v[i], " \t\r\n") != NULL ||
		    (len > 8 && v[i][len - 1] == '/'))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	**bases, **sums, **v, *cause = NULL;
	size_t	  i;

	if (metalink_parse((const char *)data, size, "metalink", &bases, &sums,
	    &cause) == 0) {
		if (cause != NULL)
			abort();
		fuzz_bases(bases);
		for (i = 0; sums != NULL && sums[i] != NULL; i++) {
			if (strlen(sums[i]) != 64 ||
			    strspn(sums[i], "0123456789abcdef") != 64)
				abort();
		}
		words_free(bases);
		words_free(sums);
	} else {
		if (cause == NULL || bases != NULL || sums != NULL)
			abort();
		free(cause);
		cause = NULL;
	}
	if ((v = mirrorlist_parse((const char *)data, size, "mirrorlist",
	    &cause)) != NULL) {
		fuzz_bases(v);
		words_free(v);
	} else if (cause == NULL)
		abort();
	free(cause);
	return 0;
}
