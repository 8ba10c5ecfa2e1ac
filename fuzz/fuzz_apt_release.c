/*
 * libFuzzer target for apt's Release and InRelease (lib/apt_release.c):
 * the input is read as a clear-signed InRelease and as a bare Release.
 * A Release that is taken lists files with safe relative paths, each
 * found again by its path, a 64-digit sha256 and a size; its dates format
 * back to themselves.  fuzz_deb822 covers the same parser among others:
 * this one spends all its time here.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deb822.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Every component real, nothing that steps out of a directory. */
static int
fuzz_path_ok(const char *path)
{
	const char	*p = path, *c;
	size_t		 n;

	for (;;) {
		c = strchr(p, '/');
		n = c != NULL ? (size_t)(c - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		for (; n > 0; n--, p++) {
			if ((unsigned char)*p <= ' ' || *p == 0x7f)
				return 0;
		}
		if (c == NULL)
			return 1;
		p = c + 1;
	}
}

static void
fuzz_date(time_t t)
{
	char	buf[64];
	time_t	u;

	if (t == 0)
		return;
	if (apt_date_format(t, buf, sizeof buf) == NULL ||
	    apt_date_parse(buf, &u) != 0 || u != t)
		abort();
}

static void
fuzz_release(const char *text, size_t len)
{
	struct apt_release		*ar;
	const struct apt_release_file	*f;
	char				*cause = NULL;
	size_t				 i;

	ar = apt_release_parse(text, len, "Release", &cause);
	if (ar == NULL) {
		if (cause == NULL)
			abort();
		free(cause);
		return;
	}
	if (cause != NULL || ar->ar_nfiles == 0 ||
	    ar->ar_architectures == NULL || ar->ar_components == NULL)
		abort();
	for (i = 0; i < ar->ar_nfiles; i++) {
		f = &ar->ar_files[i];
		if (!fuzz_path_ok(f->arf_path) ||
		    strlen(f->arf_sha256) != 64 || f->arf_size < 0)
			abort();
		if (apt_release_find(ar, f->arf_path) != f)
			abort();
	}
	fuzz_date(ar->ar_date);
	fuzz_date(ar->ar_valid_until);
	apt_release_free(ar);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*text = NULL, *cause = NULL;
	size_t	 textlen;

	if (apt_inrelease_text((const char *)data, size, &text, &textlen,
	    &cause) == 0) {
		if (cause != NULL || text == NULL || textlen > size ||
		    strlen(text) > textlen)
			abort();
		fuzz_release(text, textlen);
		free(text);
	} else {
		if (cause == NULL)
			abort();
		free(cause);
	}
	fuzz_release((const char *)data, size);
	return 0;
}
