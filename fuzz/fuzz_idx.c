/*
 * libFuzzer target for packages.idx lines (proxy/parse.c): the input is
 * cut into lines as gate.c cuts a file.  A line that is taken names a
 * relative path with no "." or ".." segment; a visible one has a size, a
 * known algorithm with a lower-case checksum of its length and an
 * http(s):// or file:// URL, a hidden one a reason.
 */
#include "config.h"

#include <sys/types.h>

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parse.h"
#include "proxy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_check(const struct gate_entry *e)
{
	const char	*p;

	if (e->ge_path == NULL || !parse_idx_path(e->ge_path))
		abort();
	if (!e->ge_visible) {
		if (e->ge_reason == NULL || *e->ge_reason == '\0')
			abort();
		return;
	}
	if (e->ge_size < 0 || e->ge_algo == NULL || e->ge_hex == NULL ||
	    e->ge_url == NULL || strchr(e->ge_url, '\t') != NULL)
		abort();
	for (p = e->ge_hex; *p != '\0'; p++) {
		if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
			abort();
	}
	if (strlen(e->ge_hex) < 32 || (strncmp(e->ge_url, "http://", 7) != 0 &&
	    strncmp(e->ge_url, "https://", 8) != 0 &&
	    strncmp(e->ge_url, "file://", 7) != 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gate_entry	 e;
	char			*s, *line, *next;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (line = s; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '\0')
			continue;
		if (parse_idx_line(line, &e) == NULL)
			fuzz_check(&e);
	}
	free(s);
	return 0;
}
