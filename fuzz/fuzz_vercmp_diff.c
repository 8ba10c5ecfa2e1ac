/*
 * Differential libFuzzer target for version comparison: our rpm_vercmp
 * (lib/vercmp.c) against librpm's own rpmvercmp, and our deb_vercmp
 * against libdpkg's dpkg_version_compare on the versions dpkg accepts.
 * The input is split at its first NUL byte into two versions.  Built
 * only when configure finds librpm and libdpkg.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LIBDPKG_VOLATILE_API 1
#include <dpkg/dpkg.h>
#include <dpkg/dpkg-db.h>
#include <dpkg/version.h>
#include <rpm/rpmver.h>

#include "vercmp.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
fuzz_sign(int v)
{
	return v < 0 ? -1 : v > 0;
}

/*
 * Whether s is a version as a Packages file holds it, and dpkg takes it
 * without a word: dpkg also reads " 1:2" or "+1:2" (blanks trimmed, the
 * epoch through strtol), which no index carries.
 */
static int
fuzz_deb_ok(struct dpkg_version *v, const char *s)
{
	struct dpkg_error	 err = DPKG_ERROR_INIT;
	const char		*colon;
	size_t			 n;
	int			 rc;

	if (strspn(s, "0123456789abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ.+~:-") != strlen(s))
		return 0;
	if ((colon = strchr(s, ':')) != NULL) {
		n = colon - s;
		if (n == 0 || strspn(s, "0123456789") != n)
			return 0;
	}
	rc = parseversion(v, s, &err);
	/* Warnings (odd characters) make dpkg refuse it as well. */
	if (err.type != DPKG_MSG_NONE) {
		dpkg_error_destroy(&err);
		return 0;
	}
	return rc == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dpkg_version	 va, vb;
	char			*s, *a, *b;

	if (size > 256)
		return 0;
	if ((s = malloc(size + 2)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = s[size + 1] = '\0';
	a = s;
	b = a + strlen(a) + 1;
	if (b > s + size)
		b = s + size;
	if (fuzz_sign(rpm_vercmp(a, b)) != fuzz_sign(rpmvercmp(a, b)))
		abort();
	if (fuzz_deb_ok(&va, a) && fuzz_deb_ok(&vb, b) &&
	    fuzz_sign(deb_vercmp(a, b)) !=
	    fuzz_sign(dpkg_version_compare(&va, &vb)))
		abort();
	free(s);
	return 0;
}
