/*
 * libFuzzer target for the Range header (proxy/parse.c): the first 8
 * bytes of the input are the size of the file, the rest the header's
 * value.  A partial answer lies inside the file and is not empty; any
 * other answer leaves the bounds alone.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	long long	 fsize, first = -7, last = -7;
	uint64_t	 u = 0;
	char		*s;
	size_t		 i;

	if (size < 8 || size > 4096)
		return 0;
	for (i = 0; i < 8; i++)
		u = u << 8 | data[i];
	/* Small sizes often, so that the bounds matter. */
	fsize = (long long)(u >> 1);
	if (data[0] & 1)
		fsize %= 4096;
	if ((s = malloc(size - 8 + 1)) == NULL)
		return 0;
	memcpy(s, data + 8, size - 8);
	s[size - 8] = '\0';
	switch (parse_range(s, fsize, &first, &last)) {
	case RANGE_PARTIAL:
		if (first < 0 || first > last || last >= fsize)
			abort();
		break;
	case RANGE_NONE:
	case RANGE_UNSATISFIABLE:
		if (first != -7 || last != -7)
			abort();
		break;
	default:
		abort();
	}
	free(s);
	return 0;
}
