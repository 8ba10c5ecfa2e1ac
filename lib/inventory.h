/*
 * A machine's package inventory, as it reports itself to patchgated
 * (POST /GROUP/_report/HOST) with its own tools and curl:
 *
 *	rpm -qa --qf '%{NAME} %{EPOCHNUM} %{VERSION} %{RELEASE} %{ARCH}\n'
 *	dpkg-query -W -f '${Package} ${Version} ${Architecture}\n'
 *
 * dpkg lines may carry a fourth field, ${db:Status-Status}: only
 * "installed" packages count then (dpkg-query -W also lists packages
 * removed but not purged).  Header lines start with "# ":
 *
 *	# reboot-required: yes|no
 *	# kernel: 6.1.0-13-amd64
 *	# received: 2026-01-10T12:00:00Z	(written by patchgated only)
 *
 * Other "#" lines and empty lines are comments.  The parser is pure: it
 * takes bytes and returns what they say, or where they stop making sense.
 */
#ifndef PG_INVENTORY_H
#define PG_INVENTORY_H

#include <stddef.h>
#include <time.h>

/* What a report may hold; larger ones are refused. */
#define INVENTORY_MAX_BYTES	(2 * 1024 * 1024)
#define INVENTORY_MAX_LINES	100000
/* The longest field (name, version, ...) and host name. */
#define INVENTORY_MAX_FIELD	256

enum inv_format {
	INV_NONE,		/* no package lines */
	INV_RPM,
	INV_DPKG,
};

/* One installed package.  dpkg: iv_version is the whole version. */
struct inv_pkg {
	char		*ip_name;
	char		*ip_epoch;	/* rpm: "0" for none; dpkg: NULL */
	char		*ip_version;
	char		*ip_release;	/* rpm; dpkg: NULL */
	char		*ip_arch;
};

struct inventory {
	enum inv_format	 iv_format;
	struct inv_pkg	*iv_pkgs;
	size_t		 iv_npkgs;
	size_t		 iv_lines;
	int		 iv_reboot;	/* -1: not said, 0: no, 1: yes */
	char		*iv_kernel;	/* NULL: not said */
	time_t		 iv_received;	/* 0: no "received" header */
};

enum inv_error {
	INV_OK,
	INV_TOO_LARGE,		/* bytes or lines above the limits */
	INV_BAD,		/* not an inventory */
	INV_NOMEM,
};

/*
 * Parses len bytes of data.  On INV_OK, *out (free with inventory_free)
 * holds the report; otherwise *cause (caller-freed, may be NULL when
 * memory failed) says what is wrong and on which line.  Allocation is
 * checked: the daemon calls this on its request path.
 */
enum inv_error	 inventory_parse(const char *data, size_t len,
		     struct inventory **out, char **cause);
void		 inventory_free(struct inventory *);
const char	*inventory_format_name(enum inv_format);
/* Whether name can name a machine: a safe path component, a DNS label set. */
int		 inventory_host_ok(const char *name);

#endif
