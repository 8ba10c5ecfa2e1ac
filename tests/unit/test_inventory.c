/*
 * Unit tests for lib/inventory.c: the rpm and dpkg lines machines report,
 * their header lines, the packages dpkg knows but has not installed, the
 * limits, and an error naming the line for each kind of bad input.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"
#include "tap.h"

static struct inventory *
parse(const char *s, enum inv_error want, const char *cause_has)
{
	struct inventory	*iv = NULL;
	enum inv_error		 e;
	char			*cause = NULL;

	char			 desc[48], *d;

	snprintf(desc, sizeof desc, "%s", s);
	for (d = desc; *d != '\0'; d++) {
		if (*d == '\n' || *d == '\r' || (unsigned char)*d >= 0x7f)
			*d = '|';
	}
	e = inventory_parse(s, strlen(s), &iv, &cause);
	is_int(e, want, "parse: %s", desc);
	if (cause_has != NULL) {
		ok(cause != NULL && strstr(cause, cause_has) != NULL,
		    "the error says \"%s\" (%s)", cause_has,
		    cause ? cause : "(none)");
	}
	free(cause);
	return iv;
}

int
main(void)
{
	struct inventory	*iv;
	char			*big, *p;
	size_t			 i;

	iv = parse("# reboot-required: yes\n# kernel: 5.14.0-362.el9.x86_64\n"
	    "bash 0 5.1.8 6.el9 x86_64\nfoo 2 1.0 1 noarch\r\n\n"
	    "gpg-pubkey 0 fd431d51 4ae0493b (none)\n# a comment\n", INV_OK,
	    NULL);
	if (iv != NULL) {
		is_int(iv->iv_format, INV_RPM, "rpm lines make an rpm report");
		is_int(iv->iv_npkgs, 3, "three packages");
		is_int(iv->iv_reboot, 1, "reboot-required: yes");
		is_str(iv->iv_kernel, "5.14.0-362.el9.x86_64", "the kernel");
		is_str(iv->iv_pkgs[1].ip_name, "foo", "name");
		is_str(iv->iv_pkgs[1].ip_epoch, "2", "epoch");
		is_str(iv->iv_pkgs[1].ip_version, "1.0", "version");
		is_str(iv->iv_pkgs[1].ip_release, "1", "release, CR dropped");
		is_str(iv->iv_pkgs[1].ip_arch, "noarch", "arch");
		is_int(iv->iv_received, 0, "no received header");
		inventory_free(iv);
	}

	iv = parse("# received: 2026-01-10T12:00:00Z\n# reboot-required: no\n"
	    "libc6 2.36-9+deb12u4 amd64 installed\nold 1:1.0-1 all config-files\n"
	    "never  amd64 not-installed\nhello 1:2.10-3 amd64 installed\n",
	    INV_OK, NULL);
	if (iv != NULL) {
		is_int(iv->iv_format, INV_DPKG, "dpkg lines make a dpkg report");
		is_int(iv->iv_npkgs, 2, "only installed packages count");
		is_int(iv->iv_reboot, 0, "reboot-required: no");
		ok(iv->iv_kernel == NULL, "no kernel said");
		is_int(iv->iv_received, 1768046400, "received");
		is_str(iv->iv_pkgs[1].ip_version, "1:2.10-3",
		    "the whole dpkg version, epoch included");
		ok(iv->iv_pkgs[1].ip_epoch == NULL &&
		    iv->iv_pkgs[1].ip_release == NULL, "no epoch, no release");
		inventory_free(iv);
	}
	iv = parse("hello 2.10-3 amd64\nlibfoo  amd64\n", INV_OK, NULL);
	if (iv != NULL) {
		is_int(iv->iv_npkgs, 1, "dpkg-query -W's versionless lines are "
		    "skipped");
		inventory_free(iv);
	}

	parse("", INV_BAD, "no package lines");
	parse("# kernel: 6.1\n", INV_BAD, "no package lines");
	parse("bash 0 5.1.8 6.el9 x86_64\nhello 2.10-3 amd64\n", INV_BAD,
	    "line 2: a dpkg line in a rpm report");
	parse("bash 0 5.1.8 6.el9 x86_64 x\n", INV_BAD, "line 1: 6 fields");
	parse("a b\n", INV_BAD, "line 1: 2 fields");
	parse("a b c d e f g h\n", INV_BAD, "expected NAME EPOCH VERSION");
	parse("bash x 5.1.8 6.el9 x86_64\n", INV_BAD, "epoch \"x\"");
	parse("bash 0  6.el9 x86_64\n", INV_BAD, "line 1: field 3 is empty");
	parse("hello 1.0 amd64\nh\xc3\xa9llo 1.0 amd64\n", INV_BAD,
	    "line 2: field 1");
	parse("hello 1.0\tx amd64\n", INV_BAD, "line 1: field 2");
	parse("# reboot-required: maybe\nhello 1.0 amd64\n", INV_BAD,
	    "line 1: reboot-required");
	parse("# received: yesterday\nhello 1.0 amd64\n", INV_BAD,
	    "line 1: received");
	ok(inventory_parse("hello 1.0 amd64\n\0x", 18, &iv, &p) == INV_BAD &&
	    iv == NULL && p != NULL && strstr(p, "NUL byte at offset 16"),
	    "a NUL byte: not text");
	free(p);

	/* The limits. */
	big = malloc(INVENTORY_MAX_BYTES + 2);
	memset(big, 'a', INVENTORY_MAX_BYTES + 1);
	big[INVENTORY_MAX_BYTES + 1] = '\0';
	ok(inventory_parse(big, INVENTORY_MAX_BYTES + 1, &iv, &p) ==
	    INV_TOO_LARGE && p != NULL && strstr(p, "at most") != NULL,
	    "above INVENTORY_MAX_BYTES: too large");
	free(p);
	for (i = 0, p = big; i <= INVENTORY_MAX_LINES; i++)
		p += sprintf(p, "a 1 b\n");
	ok(inventory_parse(big, p - big, &iv, &p) == INV_TOO_LARGE &&
	    p != NULL && strstr(p, "more than 100000 lines") != NULL,
	    "above INVENTORY_MAX_LINES: too large");
	free(p);
	memset(big, 'a', 2000);
	big[2000] = '\0';
	parse(big, INV_BAD, "line 1: 2000 bytes, too long");
	free(big);

	/* Host names. */
	ok(inventory_host_ok("web-01.example.org"), "a FQDN is a host name");
	ok(inventory_host_ok("db_2"), "an underscore");
	ok(!inventory_host_ok(""), "empty");
	ok(!inventory_host_ok(".hidden"), "a leading dot");
	ok(!inventory_host_ok("-x"), "a leading dash");
	ok(!inventory_host_ok("a..b"), "two dots");
	ok(!inventory_host_ok("a/b"), "a slash");
	ok(!inventory_host_ok("a b"), "a space");
	return done_testing();
}
