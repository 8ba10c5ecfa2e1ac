/*
 * The parser of machines' package inventories (inventory.h).  It runs in
 * patchgated on every report, so it allocates with checks and fails one
 * report, never the daemon; "patchgate compliance" parses the stored
 * reports again with it.  Every error names the line.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "inventory.h"

#define INV_MAX_FIELDS	6

struct inv_parse {
	struct inventory	*ip_inv;
	size_t			 ip_size;	/* room in iv_pkgs */
	size_t			 ip_line;
	char			**ip_cause;
};

static void __attribute__((format(printf, 2, 3)))
inv_cause(char **cause, const char *fmt, ...)
{
	va_list	ap;

	if (cause == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) == -1)
		*cause = NULL;
	va_end(ap);
}

const char *
inventory_format_name(enum inv_format f)
{
	switch (f) {
	case INV_RPM:
		return "rpm";
	case INV_DPKG:
		return "dpkg";
	case INV_NONE:
		break;
	}
	return "none";
}

int
inventory_host_ok(const char *name)
{
	const char	*p;
	size_t		 len = strlen(name);

	if (len == 0 || len > INVENTORY_MAX_FIELD)
		return 0;
	/* Letters, digits, '-', '_' and '.'; a letter or digit first. */
	if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-_.") != len)
		return 0;
	if (strchr("-_.", name[0]) != NULL)
		return 0;
	for (p = name; *p != '\0'; p++) {
		if (p[0] == '.' && p[1] == '.')
			return 0;
	}
	return 1;
}

static void
inv_pkg_free(struct inv_pkg *p)
{
	free(p->ip_name);
	free(p->ip_epoch);
	free(p->ip_version);
	free(p->ip_release);
	free(p->ip_arch);
}

void
inventory_free(struct inventory *iv)
{
	size_t	i;

	if (iv == NULL)
		return;
	for (i = 0; i < iv->iv_npkgs; i++)
		inv_pkg_free(&iv->iv_pkgs[i]);
	free(iv->iv_pkgs);
	free(iv->iv_kernel);
	free(iv);
}

/* Whether the len bytes at s are printable ASCII without blanks. */
static int
inv_token_ok(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > INVENTORY_MAX_FIELD)
		return 0;
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	}
	return 1;
}

/* "# key: value": a header patchgate knows, or a comment. */
static enum inv_error
inv_header(struct inv_parse *ip, char *line)
{
	struct inventory	*iv = ip->ip_inv;
	char			*key, *value, *end;
	time_t			 t;

	key = line + 1;
	while (*key == ' ' || *key == '\t')
		key++;
	if ((value = strchr(key, ':')) == NULL)
		return INV_OK;		/* a comment */
	*value++ = '\0';
	while (*value == ' ' || *value == '\t')
		value++;
	end = value + strlen(value);
	while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (strcmp(key, "reboot-required") == 0) {
		if (strcmp(value, "yes") == 0)
			iv->iv_reboot = 1;
		else if (strcmp(value, "no") == 0)
			iv->iv_reboot = 0;
		else {
			inv_cause(ip->ip_cause, "line %zu: reboot-required: "
			    "expected yes or no", ip->ip_line);
			return INV_BAD;
		}
	} else if (strcmp(key, "kernel") == 0) {
		if (!inv_token_ok(value, strlen(value))) {
			inv_cause(ip->ip_cause, "line %zu: kernel: expected "
			    "one word (uname -r)", ip->ip_line);
			return INV_BAD;
		}
		free(iv->iv_kernel);
		if ((iv->iv_kernel = strdup(value)) == NULL)
			return INV_NOMEM;
	} else if (strcmp(key, "received") == 0) {
		if (time_parse_rfc3339(value, &t) != 0 || t <= 0) {
			inv_cause(ip->ip_cause, "line %zu: received: not an "
			    "RFC 3339 time", ip->ip_line);
			return INV_BAD;
		}
		if (iv->iv_received == 0)
			iv->iv_received = t;
	}
	return INV_OK;
}

/* Splits line on single spaces into at most INV_MAX_FIELDS fields. */
static size_t
inv_split(char *line, char **f, size_t *flen)
{
	size_t	 n = 0;
	char	*p = line, *sp;

	for (;;) {
		if (n == INV_MAX_FIELDS)
			return n + 1;	/* too many */
		f[n] = p;
		if ((sp = strchr(p, ' ')) == NULL) {
			flen[n] = strlen(p);
			return n + 1;
		}
		flen[n++] = sp - p;
		*sp = '\0';
		p = sp + 1;
	}
}

static char *
inv_dup(const char *s, size_t len)
{
	char	*p;

	if ((p = malloc(len + 1)) != NULL) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

static enum inv_error
inv_package(struct inv_parse *ip, char *line)
{
	struct inventory	*iv = ip->ip_inv;
	struct inv_pkg		*p, *v;
	enum inv_format		 fmt;
	char			*f[INV_MAX_FIELDS];
	size_t			 flen[INV_MAX_FIELDS], n, i, size;

	n = inv_split(line, f, flen);
	if (n == 5)
		fmt = INV_RPM;
	else if (n == 3 || n == 4)
		fmt = INV_DPKG;
	else {
		inv_cause(ip->ip_cause, "line %zu: %s%zu fields separated by "
		    "single spaces; expected NAME EPOCH VERSION RELEASE ARCH "
		    "(rpm) or PACKAGE VERSION ARCHITECTURE (dpkg)", ip->ip_line,
		    n > INV_MAX_FIELDS ? "more than " : "",
		    n > INV_MAX_FIELDS ? (size_t)INV_MAX_FIELDS : n);
		return INV_BAD;
	}
	if (iv->iv_format != INV_NONE && iv->iv_format != fmt) {
		inv_cause(ip->ip_cause, "line %zu: a %s line in a %s report",
		    ip->ip_line, inventory_format_name(fmt),
		    inventory_format_name(iv->iv_format));
		return INV_BAD;
	}
	iv->iv_format = fmt;
	/*
	 * dpkg-query -W lists packages it knows of without a version (never
	 * installed): "foo  amd64"; with a status field, only "installed"
	 * ones are on the machine.
	 */
	if (fmt == INV_DPKG && (flen[1] == 0 || (n == 4 &&
	    strcmp(f[3], "installed") != 0))) {
		if (!inv_token_ok(f[0], flen[0])) {
			inv_cause(ip->ip_cause, "line %zu: not a package name",
			    ip->ip_line);
			return INV_BAD;
		}
		return INV_OK;
	}
	for (i = 0; i < n; i++) {
		if (!inv_token_ok(f[i], flen[i])) {
			inv_cause(ip->ip_cause, "line %zu: field %zu is empty, "
			    "too long or not printable ASCII", ip->ip_line, i + 1);
			return INV_BAD;
		}
	}
	if (fmt == INV_RPM && strspn(f[1], "0123456789") != flen[1]) {
		inv_cause(ip->ip_cause, "line %zu: epoch \"%s\" is not a "
		    "number (%%{EPOCHNUM})", ip->ip_line, f[1]);
		return INV_BAD;
	}
	if (iv->iv_npkgs == ip->ip_size) {
		size = ip->ip_size == 0 ? 256 : ip->ip_size * 2;
		if ((v = reallocarray(iv->iv_pkgs, size, sizeof *v)) == NULL)
			return INV_NOMEM;
		iv->iv_pkgs = v;
		ip->ip_size = size;
	}
	p = &iv->iv_pkgs[iv->iv_npkgs];
	memset(p, 0, sizeof *p);
	if (fmt == INV_RPM) {
		if ((p->ip_name = inv_dup(f[0], flen[0])) == NULL ||
		    (p->ip_epoch = inv_dup(f[1], flen[1])) == NULL ||
		    (p->ip_version = inv_dup(f[2], flen[2])) == NULL ||
		    (p->ip_release = inv_dup(f[3], flen[3])) == NULL ||
		    (p->ip_arch = inv_dup(f[4], flen[4])) == NULL)
			goto nomem;
	} else {
		if ((p->ip_name = inv_dup(f[0], flen[0])) == NULL ||
		    (p->ip_version = inv_dup(f[1], flen[1])) == NULL ||
		    (p->ip_arch = inv_dup(f[2], flen[2])) == NULL)
			goto nomem;
	}
	iv->iv_npkgs++;
	return INV_OK;
nomem:
	inv_pkg_free(p);
	return INV_NOMEM;
}

enum inv_error
inventory_parse(const char *data, size_t len, struct inventory **out,
    char **cause)
{
	struct inv_parse	 ip;
	struct inventory	*iv;
	const char		*p, *end = data + len, *nl;
	char			*line = NULL;
	size_t			 llen;
	enum inv_error		 e = INV_OK;

	*out = NULL;
	if (cause != NULL)
		*cause = NULL;
	if (len > INVENTORY_MAX_BYTES) {
		inv_cause(cause, "%zu bytes; a report has at most %d", len,
		    INVENTORY_MAX_BYTES);
		return INV_TOO_LARGE;
	}
	if (memchr(data, '\0', len) != NULL) {
		inv_cause(cause, "a NUL byte at offset %zu: not text",
		    (size_t)((const char *)memchr(data, '\0', len) - data));
		return INV_BAD;
	}
	if ((iv = calloc(1, sizeof *iv)) == NULL)
		return INV_NOMEM;
	iv->iv_reboot = -1;
	memset(&ip, 0, sizeof ip);
	ip.ip_inv = iv;
	ip.ip_cause = cause;
	if ((line = malloc(INVENTORY_MAX_FIELD * INV_MAX_FIELDS + 2)) == NULL) {
		e = INV_NOMEM;
		goto out;
	}
	for (p = data; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		if (++ip.ip_line > INVENTORY_MAX_LINES) {
			inv_cause(cause, "more than %d lines", INVENTORY_MAX_LINES);
			e = INV_TOO_LARGE;
			goto out;
		}
		llen = nl - p;
		if (llen > 0 && p[llen - 1] == '\r')
			llen--;
		if (llen > INVENTORY_MAX_FIELD * INV_MAX_FIELDS) {
			inv_cause(cause, "line %zu: %zu bytes, too long for a "
			    "package line", ip.ip_line, llen);
			e = INV_BAD;
			goto out;
		}
		memcpy(line, p, llen);
		line[llen] = '\0';
		if (llen == 0)
			continue;
		if (line[0] == '#')
			e = inv_header(&ip, line);
		else
			e = inv_package(&ip, line);
		if (e != INV_OK)
			goto out;
	}
	iv->iv_lines = ip.ip_line;
	if (iv->iv_format == INV_NONE) {
		inv_cause(cause, "no package lines: send the output of rpm -qa "
		    "--qf '%%{NAME} %%{EPOCHNUM} %%{VERSION} %%{RELEASE} "
		    "%%{ARCH}\\n' or dpkg-query -W -f '${Package} ${Version} "
		    "${Architecture}\\n'");
		e = INV_BAD;
		goto out;
	}
out:
	free(line);
	if (e != INV_OK) {
		inventory_free(iv);
		return e;
	}
	*out = iv;
	return INV_OK;
}
