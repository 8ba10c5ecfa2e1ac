/*
 * patchgate.conf: an INI file.  Sections are [server], [mirror NAME],
 * [baseline NAME], [group NAME] and [notify NAME]; lines are "key = value"; lines starting
 * with '#' or ';' are comments.  Every error is reported as "file:line:
 * message" and loading goes on, so that an admin sees all of them at once.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "conf.h"
#include "events.h"
#include "util.h"
#include "xmalloc.h"

enum conf_section {
	SECTION_NONE,
	SECTION_SERVER,
	SECTION_MIRROR,
	SECTION_BASELINE,
	SECTION_GROUP,
	SECTION_NOTIFY,
};

struct conf_parse {
	struct config		*cp_cf;
	const char		*cp_path;
	int			 cp_line;
	int			 cp_errors;
	enum conf_section	 cp_section;
	struct mirror		*cp_mirror;
	struct baseline		*cp_baseline;
	struct group		*cp_group;
	struct notify		*cp_notify;
	int			 cp_mirror_type_seen;
	int			 cp_store_seen;
};

static const char *const conf_classifications[] = {
	"security", "bugfix", "enhancement", "newpackage",
	/* SUSE's categories */
	"recommended", "optional", "feature", "document", "yast", NULL
};
static const char *const conf_severities[] = {
	"critical", "important", "moderate", "low", NULL
};

static void __attribute__((format(printf, 3, 4)))
conf_error(struct conf_parse *cp, int line, const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "%s:%d: ", cp->cp_path, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cp->cp_errors++;
}

const char *
mirror_type_name(enum mirror_type type)
{
	switch (type) {
	case MIRROR_RPMMD:
		return "rpm-md";
	case MIRROR_APT:
		return "apt";
	}
	return "?";
}

/* Section and group names become URL and path components. */
static int
conf_name_valid(const char *name)
{
	const char	*p;

	if (*name == '\0' || *name == '_' || *name == '.' || *name == '-')
		return 0;
	for (p = name; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != '.')
			return 0;
	}
	return strlen(name) <= 64;
}

static int
word_in(const char *w, const char *const *list)
{
	for (; *list != NULL; list++) {
		if (strcmp(w, *list) == 0)
			return 1;
	}
	return 0;
}

static void
strv_append(char ***v, size_t *n, char **words)
{
	size_t	i;

	for (i = 0; words[i] != NULL; i++) {
		*v = xreallocarray(*v, *n + 2, sizeof **v);
		(*v)[(*n)++] = xstrdup(words[i]);
		(*v)[*n] = NULL;
	}
}

/* Parses "classification=security severity=critical,important delay=7d". */
static struct rule *
conf_parse_rule(struct conf_parse *cp, const char *text)
{
	struct rule	*ru;
	char		**words, *key, *value, **vals;
	size_t		 i, j;
	int		 seen_delay = 0, seen_until = 0, bad = 0;

	ru = xcalloc(1, sizeof *ru);
	ru->ru_text = xstrdup(text);
	ru->ru_line = cp->cp_line;
	ru->ru_delay = 0;

	/* Split on blanks only: values are comma lists. */
	words = words_split_on(text, " \t", NULL);
	if (words[0] == NULL) {
		conf_error(cp, cp->cp_line, "rule: empty rule");
		bad = 1;
	}
	for (i = 0; words[i] != NULL; i++) {
		key = words[i];
		if ((value = strchr(key, '=')) == NULL || value[1] == '\0') {
			conf_error(cp, cp->cp_line,
			    "rule: \"%s\" is not key=value", key);
			bad = 1;
			continue;
		}
		*value++ = '\0';
		if (strcmp(key, "classification") == 0) {
			vals = words_split(value, NULL);
			for (j = 0; vals[j] != NULL; j++) {
				if (strcmp(vals[j], "*") != 0 &&
				    !word_in(vals[j], conf_classifications)) {
					conf_error(cp, cp->cp_line, "rule: unknown "
					    "classification \"%s\" (security, bugfix, "
					    "enhancement, newpackage, recommended, "
					    "optional, feature, document, yast or *)",
					    vals[j]);
					bad = 1;
				}
			}
			words_free(ru->ru_classifications);
			ru->ru_classifications = vals;
		} else if (strcmp(key, "severity") == 0) {
			vals = words_split(value, NULL);
			for (j = 0; vals[j] != NULL; j++) {
				if (strcmp(vals[j], "*") != 0 &&
				    !word_in(vals[j], conf_severities)) {
					conf_error(cp, cp->cp_line, "rule: unknown "
					    "severity \"%s\" (critical, important, "
					    "moderate, low or *)", vals[j]);
					bad = 1;
				}
			}
			words_free(ru->ru_severities);
			ru->ru_severities = vals;
		} else if (strcmp(key, "delay") == 0) {
			if (duration_parse(value, &ru->ru_delay) != 0) {
				conf_error(cp, cp->cp_line, "rule: bad delay "
				    "\"%s\" (a number with d, h, m, s or w, or 0)",
				    value);
				bad = 1;
			}
			seen_delay = 1;
		} else if (strcmp(key, "until") == 0) {
			if (time_parse_rfc3339(value, &ru->ru_until) != 0) {
				conf_error(cp, cp->cp_line, "rule: bad until "
				    "\"%s\" (an RFC 3339 date or time)", value);
				bad = 1;
			}
			ru->ru_delay = -1;
			seen_until = 1;
		} else {
			conf_error(cp, cp->cp_line, "rule: unknown key \"%s\" "
			    "(classification, severity, delay or until)", key);
			bad = 1;
		}
	}
	if (seen_delay && seen_until) {
		conf_error(cp, cp->cp_line, "rule: delay and until exclude "
		    "each other");
		bad = 1;
	}
	words_free(words);
	if (ru->ru_classifications == NULL)
		ru->ru_classifications = words_split("*", NULL);
	if (ru->ru_severities == NULL)
		ru->ru_severities = words_split("*", NULL);
	if (bad) {
		words_free(ru->ru_classifications);
		words_free(ru->ru_severities);
		free(ru->ru_text);
		free(ru);
		return NULL;
	}
	return ru;
}

/* Package patterns and IDs: one '*' at most, no blanks, no slashes. */
static int
conf_check_patterns(struct conf_parse *cp, const char *key, char **words)
{
	const char	*why;
	size_t		 i;
	int		 ok = 1;

	for (i = 0; words[i] != NULL; i++) {
		if ((why = conf_pattern_invalid(words[i])) != NULL) {
			conf_error(cp, cp->cp_line, "%s: \"%s\" %s", key,
			    words[i], why);
			ok = 0;
		}
	}
	return ok;
}

const char *
conf_pattern_invalid(const char *pattern)
{
	const char	*p, *star;

	if (*pattern == '\0')
		return "is empty";
	star = strchr(pattern, '*');
	if (star != NULL && strchr(star + 1, '*') != NULL)
		return "has more than one '*'";
	for (p = pattern; *p != '\0'; p++) {
		if (*p == '/' || *p == '?' || *p == '[' ||
		    isspace((unsigned char)*p) || !isprint((unsigned char)*p))
			return "is not a package name pattern";
	}
	return NULL;
}

int
conf_cidr_parse(const char *s, struct conf_cidr *c)
{
	char		 host[INET6_ADDRSTRLEN + 1];
	const char	*slash;
	char		*end;
	size_t		 len;
	long		 bits;
	int		 max;

	memset(c, 0, sizeof *c);
	slash = strchr(s, '/');
	len = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (len == 0 || len >= sizeof host)
		return -1;
	memcpy(host, s, len);
	host[len] = '\0';
	if (inet_pton(AF_INET, host, c->cc_addr) == 1) {
		c->cc_family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, c->cc_addr) == 1) {
		c->cc_family = AF_INET6;
		max = 128;
	} else
		return -1;
	c->cc_bits = max;
	if (slash != NULL) {
		bits = strtol(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || bits < 0 || bits > max)
			return -1;
		c->cc_bits = bits;
	}
	return 0;
}

static int
conf_cidr_invalid(const char *s)
{
	struct conf_cidr	c;

	return conf_cidr_parse(s, &c) != 0;
}

/*
 * The limits on patchgated's client connections; -1 when key is none of
 * them.  A timeout is a duration above 0, the others a count above 0.
 */
static int
conf_server_limit(struct conf_parse *cp, const char *key, const char *value)
{
	struct config	*cf = cp->cp_cf;
	static const struct {
		const char	*key;
		size_t		 off;
		int		 duration;
	} limits[] = {
		{ "header-timeout", offsetof(struct config, cf_header_timeout), 1 },
		{ "idle-timeout", offsetof(struct config, cf_idle_timeout), 1 },
		{ "max-header-size", offsetof(struct config, cf_max_header_size), 0 },
		{ "max-headers", offsetof(struct config, cf_max_headers), 0 },
		{ "max-connections", offsetof(struct config, cf_max_connections), 0 },
		{ "max-connections-per-address",
		    offsetof(struct config, cf_max_connections_per_address), 0 },
	};
	long long	*v, n;
	char		*end;
	size_t		 i;

	for (i = 0; i < sizeof limits / sizeof limits[0]; i++) {
		if (strcmp(key, limits[i].key) == 0)
			break;
	}
	if (i == sizeof limits / sizeof limits[0])
		return -1;
	v = (long long *)((char *)cf + limits[i].off);
	if (limits[i].duration) {
		if (duration_parse(value, &n) != 0 || n <= 0)
			conf_error(cp, cp->cp_line, "%s: bad duration \"%s\" (a "
			    "number with s, m, h, d or w, above 0)", key, value);
		else
			*v = n;
		return 0;
	}
	errno = 0;
	n = strtoll(value, &end, 10);
	if (!isdigit((unsigned char)*value) || *end != '\0' || errno != 0 ||
	    n < 1 || n > 100000000)
		conf_error(cp, cp->cp_line, "%s: \"%s\" is not a number from 1 "
		    "to 100000000", key, value);
	else
		*v = n;
	return 0;
}

/* tls-listen, tls-cert and tls-key; -1 when key is none of them. */
static int
conf_server_tls(struct conf_parse *cp, const char *key, const char *value)
{
	struct config	*cf = cp->cp_cf;
	char		**v;

	if (strcmp(key, "tls-listen") == 0) {
		if (strchr(value, ':') == NULL) {
			conf_error(cp, cp->cp_line, "tls-listen: \"%s\" is not "
			    "HOST:PORT", value);
			return 0;
		}
		v = &cf->cf_tls_listen;
	} else if (strcmp(key, "tls-cert") == 0 || strcmp(key, "tls-key") == 0) {
		if (*value != '/') {
			conf_error(cp, cp->cp_line, "%s: \"%s\" is not an "
			    "absolute path", key, value);
			return 0;
		}
		v = key[4] == 'c' ? &cf->cf_tls_cert : &cf->cf_tls_key;
	} else
		return -1;
	free(*v);
	*v = xstrdup(value);
	return 0;
}

/*
 * A size: bytes, or a whole number with K, M, G or T (powers of 1024, an
 * optional "B" or "iB" after them); "none" is 0.
 */
static int
conf_size_parse(const char *value, long long *v)
{
	static const char	 units[] = "KMGT";
	const char		*u;
	char			*end;
	long long		 n, mul = 1;

	if (strcmp(value, "none") == 0) {
		*v = 0;
		return 0;
	}
	errno = 0;
	n = strtoll(value, &end, 10);
	if (!isdigit((unsigned char)*value) || errno != 0 || n < 0)
		return -1;
	if (*end != '\0') {
		if ((u = strchr(units, toupper((unsigned char)*end))) == NULL)
			return -1;
		mul = 1LL << (10 * (u - units + 1));
		end++;
		if (strcmp(end, "") != 0 && strcmp(end, "B") != 0 &&
		    strcmp(end, "iB") != 0)
			return -1;
	}
	if (n > LLONG_MAX / mul)
		return -1;
	*v = n * mul;
	return 0;
}

static void
conf_server(struct conf_parse *cp, const char *key, const char *value)
{
	struct config	*cf = cp->cp_cf;
	size_t		 i;

	if (strcmp(key, "listen") == 0) {
		if (strchr(value, ':') == NULL) {
			conf_error(cp, cp->cp_line, "listen: \"%s\" is not "
			    "HOST:PORT", value);
			return;
		}
		free(cf->cf_listen);
		cf->cf_listen = xstrdup(value);
	} else if (strcmp(key, "store") == 0) {
		if (*value != '/') {
			conf_error(cp, cp->cp_line, "store: \"%s\" is not an "
			    "absolute path", value);
			return;
		}
		free(cf->cf_store);
		cf->cf_store = xstrdup(value);
		cp->cp_store_seen = 1;
	} else if (strcmp(key, "grace") == 0) {
		if (duration_parse(value, &cf->cf_grace) != 0)
			conf_error(cp, cp->cp_line, "grace: bad duration \"%s\"",
			    value);
	} else if (strcmp(key, "log-keep") == 0) {
		if (duration_parse(value, &cf->cf_log_keep) != 0)
			conf_error(cp, cp->cp_line, "log-keep: bad duration "
			    "\"%s\" (a number with s, m, h, d or w)", value);
	} else if (strcmp(key, "preview-keep") == 0) {
		if (duration_parse(value, &cf->cf_preview_keep) != 0)
			conf_error(cp, cp->cp_line, "preview-keep: bad duration "
			    "\"%s\"", value);
	} else if (strcmp(key, "report-stale") == 0) {
		if (duration_parse(value, &cf->cf_report_stale) != 0 ||
		    cf->cf_report_stale <= 0)
			conf_error(cp, cp->cp_line, "report-stale: bad duration "
			    "\"%s\" (a number with s, m, h, d or w, above 0)",
			    value);
	} else if (strcmp(key, "api-tokens") == 0) {
		if (*value != '/') {
			conf_error(cp, cp->cp_line, "api-tokens: \"%s\" is not "
			    "an absolute path", value);
			return;
		}
		free(cf->cf_api_tokens);
		cf->cf_api_tokens = xstrdup(value);
	} else if (strcmp(key, "admin-allow") == 0) {
		words_free(cf->cf_admin_allow);
		cf->cf_admin_allow = words_split(value, NULL);
		for (i = 0; cf->cf_admin_allow[i] != NULL; i++) {
			if (conf_cidr_invalid(cf->cf_admin_allow[i]))
				conf_error(cp, cp->cp_line, "admin-allow: \"%s\" "
				    "is not an address or ADDRESS/BITS",
				    cf->cf_admin_allow[i]);
		}
	} else if (strcmp(key, "public-url") == 0) {
		if ((strncmp(value, "http://", 7) != 0 &&
		    strncmp(value, "https://", 8) != 0) ||
		    strpbrk(value, " \"'\\?#") != NULL) {
			conf_error(cp, cp->cp_line, "public-url: \"%s\" is not an "
			    "http:// or https:// URL", value);
			return;
		}
		free(cf->cf_public_url);
		cf->cf_public_url = xstrdup(value);
		/* _setup appends "/GROUP/MIRROR". */
		while (strlen(cf->cf_public_url) > 8 &&
		    cf->cf_public_url[strlen(cf->cf_public_url) - 1] == '/')
			cf->cf_public_url[strlen(cf->cf_public_url) - 1] = '\0';
	} else if (strcmp(key, "schedule") == 0) {
		if (strcmp(value, "yes") == 0)
			cf->cf_schedule = 1;
		else if (strcmp(value, "no") == 0)
			cf->cf_schedule = 0;
		else
			conf_error(cp, cp->cp_line, "schedule: \"%s\" is "
			    "neither yes nor no", value);
	} else if (strcmp(key, "store-quota") == 0) {
		if (conf_size_parse(value, &cf->cf_store_quota) != 0)
			conf_error(cp, cp->cp_line, "store-quota: bad size \"%s\" "
			    "(bytes, or a number with K, M, G or T; 0 or none: "
			    "no quota)", value);
	} else if (strcmp(key, "output-buffer-max") == 0) {
		if (conf_size_parse(value, &cf->cf_output_buffer_max) != 0 ||
		    cf->cf_output_buffer_max < 64 * 1024)
			conf_error(cp, cp->cp_line, "output-buffer-max: bad size "
			    "\"%s\" (bytes, or a number with K, M, G or T; at "
			    "least 64K)", value);
	} else if (strcmp(key, "user") == 0) {
		if (*value == '\0' || strchr(value, ' ') != NULL) {
			conf_error(cp, cp->cp_line, "user: \"%s\" is not a "
			    "user name", value);
			return;
		}
		free(cf->cf_user);
		cf->cf_user = xstrdup(value);
	} else if (conf_server_limit(cp, key, value) != 0 &&
	    conf_server_tls(cp, key, value) != 0)
		conf_error(cp, cp->cp_line, "[server]: unknown key \"%s\"", key);
}

static void
conf_mirror(struct conf_parse *cp, const char *key, const char *value)
{
	struct mirror	*mi = cp->cp_mirror;

	if (strcmp(key, "type") == 0) {
		if (strcmp(value, "rpm-md") == 0 || strcmp(value, "yum") == 0)
			mi->mi_type = MIRROR_RPMMD;
		else if (strcmp(value, "apt") == 0)
			mi->mi_type = MIRROR_APT;
		else if (strcmp(value, "susetags") == 0 ||
		    strcmp(value, "yast2") == 0)
			conf_error(cp, cp->cp_line, "type: susetags media "
			    "(content, packages.gz) are not served as views; "
			    "point url at the repository's rpm-md tree (the "
			    "folder with repodata/) and use type = rpm-md");
		else
			conf_error(cp, cp->cp_line, "type: unknown mirror type "
			    "\"%s\" (rpm-md or apt)", value);
		cp->cp_mirror_type_seen = 1;
	} else if (strcmp(key, "url") == 0) {
		/* Several, on one line or repeated lines: tried in order. */
		char	**urls = words_split_on(value, " \t", NULL);
		size_t	  i, n = 0;

		for (i = 0; urls[i] != NULL; i++) {
			if (strncmp(urls[i], "http://", 7) != 0 &&
			    strncmp(urls[i], "https://", 8) != 0 &&
			    strncmp(urls[i], "file://", 7) != 0)
				conf_error(cp, cp->cp_line, "url: \"%s\" is not an "
				    "http://, https:// or file:// URL", urls[i]);
			while (strlen(urls[i]) > 8 &&
			    urls[i][strlen(urls[i]) - 1] == '/')
				urls[i][strlen(urls[i]) - 1] = '\0';
		}
		if (urls[0] == NULL)
			conf_error(cp, cp->cp_line, "url: empty list");
		while (mi->mi_urls != NULL && mi->mi_urls[n] != NULL)
			n++;
		mi->mi_urls = xreallocarray(mi->mi_urls, n + i + 1,
		    sizeof *mi->mi_urls);
		memcpy(mi->mi_urls + n, urls, (i + 1) * sizeof *urls);
		free(urls);
		if (mi->mi_url == NULL && mi->mi_urls[0] != NULL)
			mi->mi_url = xstrdup(mi->mi_urls[0]);
	} else if (strcmp(key, "mirrorlist") == 0 ||
	    strcmp(key, "metalink") == 0) {
		if ((strncmp(value, "http://", 7) != 0 &&
		    strncmp(value, "https://", 8) != 0 &&
		    strncmp(value, "file://", 7) != 0) ||
		    strpbrk(value, " \t") != NULL) {
			conf_error(cp, cp->cp_line, "[mirror %s]: %s: \"%s\" is "
			    "not an http://, https:// or file:// URL",
			    mi->mi_name, key, value);
			return;
		}
		if (key[1] == 'i') {
			free(mi->mi_mirrorlist);
			mi->mi_mirrorlist = xstrdup(value);
		} else {
			free(mi->mi_metalink);
			mi->mi_metalink = xstrdup(value);
		}
	} else if (strcmp(key, "keyring") == 0) {
		if (access(value, R_OK) != 0) {
			conf_error(cp, cp->cp_line, "keyring: %s: %s", value,
			    strerror(errno));
			return;
		}
		free(mi->mi_keyring);
		mi->mi_keyring = xstrdup(value);
	} else if (strcmp(key, "keyring-allow-expired") == 0) {
		if (strcmp(value, "yes") == 0)
			mi->mi_keyring_allow_expired = 1;
		else if (strcmp(value, "no") == 0)
			mi->mi_keyring_allow_expired = 0;
		else
			conf_error(cp, cp->cp_line, "keyring-allow-expired: "
			    "\"%s\" is not yes or no", value);
	} else if (strcmp(key, "classification") == 0) {
		if (!word_in(value, conf_classifications)) {
			conf_error(cp, cp->cp_line, "classification: unknown "
			    "classification \"%s\"", value);
			return;
		}
		free(mi->mi_classification);
		mi->mi_classification = xstrdup(value);
	} else if (strcmp(key, "severity") == 0) {
		if (!word_in(value, conf_severities)) {
			conf_error(cp, cp->cp_line, "severity: unknown "
			    "severity \"%s\"", value);
			return;
		}
		free(mi->mi_severity);
		mi->mi_severity = xstrdup(value);
	} else if (strcmp(key, "suites") == 0) {
		words_free(mi->mi_suites);
		mi->mi_suites = words_split(value, NULL);
	} else if (strcmp(key, "components") == 0) {
		words_free(mi->mi_components);
		mi->mi_components = words_split(value, NULL);
	} else if (strcmp(key, "architectures") == 0) {
		words_free(mi->mi_architectures);
		mi->mi_architectures = words_split(value, NULL);
	} else if (strcmp(key, "archive-url") == 0) {
		char	**urls = words_split(value, NULL);
		size_t	  i;

		for (i = 0; urls[i] != NULL; i++) {
			if (strncmp(urls[i], "http://", 7) != 0 &&
			    strncmp(urls[i], "https://", 8) != 0 &&
			    strncmp(urls[i], "file://", 7) != 0)
				conf_error(cp, cp->cp_line, "archive-url: \"%s\" "
				    "is not an http://, https:// or file:// URL",
				    urls[i]);
		}
		if (urls[0] == NULL)
			conf_error(cp, cp->cp_line, "archive-url: empty list");
		words_free(mi->mi_archive_urls);
		mi->mi_archive_urls = urls;
	} else if (strcmp(key, "sync-every") == 0) {
		if (strcmp(value, "off") == 0)
			mi->mi_sync_every = 0;
		else if (duration_parse(value, &mi->mi_sync_every) != 0)
			conf_error(cp, cp->cp_line, "sync-every: bad duration "
			    "\"%s\" (a number with s, m, h, d or w; 0 or off "
			    "turns it off)", value);
	} else if (strcmp(key, "prefetch") == 0) {
		if (strcmp(value, "at-risk") == 0)
			mi->mi_prefetch = PREFETCH_AT_RISK;
		else if (strcmp(value, "visible") == 0)
			mi->mi_prefetch = PREFETCH_VISIBLE;
		else if (strcmp(value, "none") == 0)
			mi->mi_prefetch = PREFETCH_NONE;
		else
			conf_error(cp, cp->cp_line, "prefetch: unknown mode "
			    "\"%s\" (at-risk, visible or none)", value);
	} else if (strcmp(key, "fetch-timeout") == 0) {
		if (duration_parse(value, &mi->mi_fetch_timeout) != 0 ||
		    mi->mi_fetch_timeout <= 0)
			conf_error(cp, cp->cp_line, "fetch-timeout: bad duration "
			    "\"%s\" (a number with s, m, h, d or w, above 0)",
			    value);
	} else if (strcmp(key, "redirects") == 0) {
		if (strcmp(value, "same-host") == 0)
			mi->mi_redirects_any = 0;
		else if (strcmp(value, "any") == 0)
			mi->mi_redirects_any = 1;
		else
			conf_error(cp, cp->cp_line, "redirects: unknown value "
			    "\"%s\" (same-host or any)", value);
	} else if (strcmp(key, "proxy") == 0) {
		if (strncmp(value, "http://", 7) != 0 &&
		    strncmp(value, "https://", 8) != 0 &&
		    strncmp(value, "socks5://", 9) != 0 &&
		    strncmp(value, "socks5h://", 10) != 0) {
			conf_error(cp, cp->cp_line, "proxy: \"%s\" is not an "
			    "http://, https://, socks5:// or socks5h:// URL",
			    value);
			return;
		}
		free(mi->mi_proxy);
		mi->mi_proxy = xstrdup(value);
	} else if (strcmp(key, "ca-file") == 0) {
		if (access(value, R_OK) != 0) {
			conf_error(cp, cp->cp_line, "ca-file: %s: %s", value,
			    strerror(errno));
			return;
		}
		free(mi->mi_ca_file);
		mi->mi_ca_file = xstrdup(value);
	} else
		conf_error(cp, cp->cp_line, "[mirror %s]: unknown key \"%s\"",
		    mi->mi_name, key);
}

static void
conf_baseline(struct conf_parse *cp, const char *key, const char *value)
{
	struct baseline	*bl = cp->cp_baseline;
	struct rule	*ru;
	char		**words;

	if (strcmp(key, "rule") == 0) {
		if ((ru = conf_parse_rule(cp, value)) != NULL)
			TAILQ_INSERT_TAIL(&bl->bl_rules, ru, ru_entry);
	} else if (strcmp(key, "approved") == 0 ||
	    strcmp(key, "rejected") == 0) {
		words = words_split(value, NULL);
		if (words[0] == NULL)
			conf_error(cp, cp->cp_line, "%s: empty list", key);
		else if (conf_check_patterns(cp, key, words)) {
			if (key[0] == 'a')
				strv_append(&bl->bl_approved, &bl->bl_napproved,
				    words);
			else
				strv_append(&bl->bl_rejected, &bl->bl_nrejected,
				    words);
		}
		words_free(words);
	} else if (strcmp(key, "rejected-action") == 0) {
		if (strcmp(value, "block") == 0)
			bl->bl_rejected_action = REJECTED_BLOCK;
		else if (strcmp(value, "allow-as-dependency") == 0)
			bl->bl_rejected_action = REJECTED_ALLOW_AS_DEPENDENCY;
		else
			conf_error(cp, cp->cp_line, "rejected-action: unknown "
			    "action \"%s\" (block, allow-as-dependency)", value);
	} else
		conf_error(cp, cp->cp_line, "[baseline %s]: unknown key \"%s\"",
		    bl->bl_name, key);
}

static void
conf_group(struct conf_parse *cp, const char *key, const char *value)
{
	struct group	*gr = cp->cp_group;
	char		**words;

	if (strcmp(key, "baseline") == 0) {
		free(gr->gr_baseline_name);
		gr->gr_baseline_name = xstrdup(value);
	} else if (strcmp(key, "mirrors") == 0) {
		words = words_split(value, NULL);
		strv_append(&gr->gr_mirror_names, &gr->gr_nmirrors, words);
		words_free(words);
	} else if (strcmp(key, "window") == 0) {
		struct window	 w;
		char		*why = NULL;

		memset(&w, 0, sizeof w);
		if (window_parse(value, &w, &why) != 0) {
			conf_error(cp, cp->cp_line, "window: %s", why);
			free(why);
			return;
		}
		w.wi_text = xstrdup(value);
		gr->gr_windows = xreallocarray(gr->gr_windows,
		    gr->gr_nwindows + 1, sizeof *gr->gr_windows);
		gr->gr_windows[gr->gr_nwindows++] = w;
	} else if (strcmp(key, "report-stale") == 0) {
		if (duration_parse(value, &gr->gr_report_stale) != 0 ||
		    gr->gr_report_stale <= 0) {
			gr->gr_report_stale = -1;
			conf_error(cp, cp->cp_line, "report-stale: bad duration "
			    "\"%s\" (a number with s, m, h, d or w, above 0)",
			    value);
		}
	} else if (strcmp(key, "allow") == 0) {
		words_free(gr->gr_allow);
		gr->gr_allow = words_split(value, NULL);
		if (gr->gr_allow[0] == NULL)
			conf_error(cp, cp->cp_line, "allow: no address");
		for (size_t i = 0; gr->gr_allow[i] != NULL; i++) {
			if (conf_cidr_invalid(gr->gr_allow[i]))
				conf_error(cp, cp->cp_line, "allow: \"%s\" is not "
				    "an address or ADDRESS/BITS", gr->gr_allow[i]);
		}
	} else if (strcmp(key, "auth-file") == 0 ||
	    strcmp(key, "report-token") == 0) {
		if (*value != '/') {
			conf_error(cp, cp->cp_line, "%s: \"%s\" is not an "
			    "absolute path", key, value);
			return;
		}
		if (strcmp(key, "auth-file") == 0) {
			free(gr->gr_auth_file);
			gr->gr_auth_file = xstrdup(value);
		} else {
			free(gr->gr_report_token);
			gr->gr_report_token = xstrdup(value);
		}
	} else
		conf_error(cp, cp->cp_line, "[group %s]: unknown key \"%s\"",
		    gr->gr_name, key);
}

/* [notify NAME]: url, events, format, timeout. */
static void
conf_notify(struct conf_parse *cp, const char *key, const char *value)
{
	struct notify	*nt = cp->cp_notify;
	char		**words;
	size_t		 i;
	int		 k;

	if (strcmp(key, "url") == 0) {
		if ((strncmp(value, "http://", 7) != 0 &&
		    strncmp(value, "https://", 8) != 0) || value[7] == '\0' ||
		    strpbrk(value, " \t") != NULL) {
			conf_error(cp, cp->cp_line, "url: \"%s\" is not an "
			    "http:// or https:// URL", value);
			return;
		}
		free(nt->nt_url);
		nt->nt_url = xstrdup(value);
	} else if (strcmp(key, "events") == 0) {
		words = words_split(value, NULL);
		nt->nt_events = 0;
		for (i = 0; words[i] != NULL; i++) {
			if ((k = event_parse(words[i])) == -1)
				conf_error(cp, cp->cp_line, "events: unknown event "
				    "\"%s\" (%s)", words[i], event_names());
			else
				nt->nt_events |= 1U << k;
		}
		if (words[0] == NULL)
			conf_error(cp, cp->cp_line, "events: empty list");
		words_free(words);
	} else if (strcmp(key, "format") == 0) {
		if (strcmp(value, "json") == 0)
			nt->nt_format = NOTIFY_JSON;
		else if (strcmp(value, "slack") == 0)
			nt->nt_format = NOTIFY_SLACK;
		else
			conf_error(cp, cp->cp_line, "format: unknown format "
			    "\"%s\" (json or slack)", value);
	} else if (strcmp(key, "timeout") == 0) {
		if (duration_parse(value, &nt->nt_timeout) != 0 ||
		    nt->nt_timeout <= 0)
			conf_error(cp, cp->cp_line, "timeout: bad duration "
			    "\"%s\" (a number with s, m, h, d or w, above 0)",
			    value);
	} else
		conf_error(cp, cp->cp_line, "[notify %s]: unknown key \"%s\"",
		    nt->nt_name, key);
}

/* Checks what a finished [mirror] section must have. */
static void
conf_mirror_end(struct conf_parse *cp)
{
	struct mirror	*mi = cp->cp_mirror;

	if (mi == NULL)
		return;
	if (!cp->cp_mirror_type_seen)
		conf_error(cp, mi->mi_line, "[mirror %s]: no type", mi->mi_name);
	if (mi->mi_url == NULL && mi->mi_metalink == NULL &&
	    mi->mi_mirrorlist == NULL)
		conf_error(cp, mi->mi_line, "[mirror %s]: no url (url, "
		    "mirrorlist or metalink)", mi->mi_name);
	else if (mi->mi_url == NULL)
		mi->mi_url = xstrdup(mi->mi_metalink != NULL ?
		    mi->mi_metalink : mi->mi_mirrorlist);
	if (mi->mi_keyring_allow_expired && mi->mi_keyring == NULL)
		conf_error(cp, mi->mi_line, "[mirror %s]: keyring-allow-expired "
		    "needs a keyring", mi->mi_name);
	if (mi->mi_type == MIRROR_APT) {
		if (mi->mi_suites == NULL || mi->mi_suites[0] == NULL)
			conf_error(cp, mi->mi_line, "[mirror %s]: type apt "
			    "needs suites", mi->mi_name);
		if (mi->mi_components == NULL || mi->mi_components[0] == NULL)
			conf_error(cp, mi->mi_line, "[mirror %s]: type apt "
			    "needs components", mi->mi_name);
		if (mi->mi_architectures == NULL ||
		    mi->mi_architectures[0] == NULL)
			conf_error(cp, mi->mi_line, "[mirror %s]: type apt "
			    "needs architectures", mi->mi_name);
	} else if (mi->mi_suites != NULL || mi->mi_components != NULL ||
	    mi->mi_architectures != NULL)
		conf_error(cp, mi->mi_line, "[mirror %s]: suites, components "
		    "and architectures are for type apt only", mi->mi_name);
	cp->cp_mirror = NULL;
}

static void
conf_section_start(struct conf_parse *cp, char *header)
{
	struct config	*cf = cp->cp_cf;
	char		*kind, *name, *end;

	conf_mirror_end(cp);
	cp->cp_section = SECTION_NONE;
	cp->cp_baseline = NULL;
	cp->cp_group = NULL;
	cp->cp_notify = NULL;

	if ((end = strchr(header, ']')) == NULL || end[1] != '\0') {
		conf_error(cp, cp->cp_line, "bad section header");
		return;
	}
	*end = '\0';
	kind = header + 1;
	while (*kind == ' ' || *kind == '\t')
		kind++;
	name = kind + strcspn(kind, " \t");
	if (*name != '\0') {
		*name++ = '\0';
		while (*name == ' ' || *name == '\t')
			name++;
		end = name + strlen(name);
		while (end > name && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
	}

	if (strcmp(kind, "server") == 0) {
		if (*name != '\0')
			conf_error(cp, cp->cp_line, "[server] takes no name");
		cp->cp_section = SECTION_SERVER;
		return;
	}
	if (strcmp(kind, "mirror") != 0 && strcmp(kind, "baseline") != 0 &&
	    strcmp(kind, "group") != 0 && strcmp(kind, "notify") != 0) {
		conf_error(cp, cp->cp_line, "unknown section [%s] (server, "
		    "mirror, baseline, group or notify)", kind);
		return;
	}
	if (*name == '\0') {
		conf_error(cp, cp->cp_line, "[%s] needs a name", kind);
		return;
	}
	if (!conf_name_valid(name)) {
		conf_error(cp, cp->cp_line, "[%s %s]: a name is letters, digits, "
		    "'.', '-' and '_', not starting with '_', '.' or '-'",
		    kind, name);
		return;
	}
	if (strcmp(kind, "mirror") == 0) {
		if (config_find_mirror(cf, name) != NULL) {
			conf_error(cp, cp->cp_line, "[mirror %s] is defined "
			    "twice", name);
			return;
		}
		cp->cp_mirror = xcalloc(1, sizeof *cp->cp_mirror);
		cp->cp_mirror->mi_name = xstrdup(name);
		cp->cp_mirror->mi_line = cp->cp_line;
		cp->cp_mirror->mi_sync_every = 6 * 3600;
		cp->cp_mirror->mi_fetch_timeout = 600;
		cp->cp_mirror_type_seen = 0;
		TAILQ_INSERT_TAIL(&cf->cf_mirrors, cp->cp_mirror, mi_entry);
		cp->cp_section = SECTION_MIRROR;
	} else if (strcmp(kind, "baseline") == 0) {
		if (config_find_baseline(cf, name) != NULL) {
			conf_error(cp, cp->cp_line, "[baseline %s] is defined "
			    "twice", name);
			return;
		}
		cp->cp_baseline = xcalloc(1, sizeof *cp->cp_baseline);
		cp->cp_baseline->bl_name = xstrdup(name);
		cp->cp_baseline->bl_line = cp->cp_line;
		TAILQ_INIT(&cp->cp_baseline->bl_rules);
		TAILQ_INSERT_TAIL(&cf->cf_baselines, cp->cp_baseline, bl_entry);
		cp->cp_section = SECTION_BASELINE;
	} else if (strcmp(kind, "notify") == 0) {
		TAILQ_FOREACH(cp->cp_notify, &cf->cf_notifies, nt_entry) {
			if (strcmp(cp->cp_notify->nt_name, name) == 0)
				break;
		}
		if (cp->cp_notify != NULL) {
			conf_error(cp, cp->cp_line, "[notify %s] is defined "
			    "twice", name);
			cp->cp_notify = NULL;
			return;
		}
		cp->cp_notify = xcalloc(1, sizeof *cp->cp_notify);
		cp->cp_notify->nt_name = xstrdup(name);
		cp->cp_notify->nt_line = cp->cp_line;
		cp->cp_notify->nt_timeout = 10;
		TAILQ_INSERT_TAIL(&cf->cf_notifies, cp->cp_notify, nt_entry);
		cp->cp_section = SECTION_NOTIFY;
	} else {
		if (config_find_group(cf, name) != NULL) {
			conf_error(cp, cp->cp_line, "[group %s] is defined "
			    "twice", name);
			return;
		}
		cp->cp_group = xcalloc(1, sizeof *cp->cp_group);
		cp->cp_group->gr_name = xstrdup(name);
		cp->cp_group->gr_line = cp->cp_line;
		cp->cp_group->gr_report_stale = -1;
		TAILQ_INSERT_TAIL(&cf->cf_groups, cp->cp_group, gr_entry);
		cp->cp_section = SECTION_GROUP;
	}
}

static void
conf_line(struct conf_parse *cp, char *line)
{
	char	*key, *value, *end;

	while (*line == ' ' || *line == '\t')
		line++;
	end = line + strlen(line);
	while (end > line && isspace((unsigned char)end[-1]))
		*--end = '\0';
	if (*line == '\0' || *line == '#' || *line == ';')
		return;
	if (*line == '[') {
		conf_section_start(cp, line);
		return;
	}
	if ((value = strchr(line, '=')) == NULL) {
		conf_error(cp, cp->cp_line, "expected key = value");
		return;
	}
	key = line;
	end = value;
	while (end > key && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	value++;
	while (*value == ' ' || *value == '\t')
		value++;
	if (*key == '\0') {
		conf_error(cp, cp->cp_line, "expected key = value");
		return;
	}
	if (*value == '\0') {
		conf_error(cp, cp->cp_line, "%s: empty value", key);
		return;
	}
	switch (cp->cp_section) {
	case SECTION_NONE:
		conf_error(cp, cp->cp_line, "%s: outside any section", key);
		break;
	case SECTION_SERVER:
		conf_server(cp, key, value);
		break;
	case SECTION_MIRROR:
		conf_mirror(cp, key, value);
		break;
	case SECTION_BASELINE:
		conf_baseline(cp, key, value);
		break;
	case SECTION_GROUP:
		conf_group(cp, key, value);
		break;
	case SECTION_NOTIFY:
		conf_notify(cp, key, value);
		break;
	}
}

/* Resolves the names groups use and checks what is missing. */
static void
conf_resolve(struct conf_parse *cp)
{
	struct config	*cf = cp->cp_cf;
	struct group	*gr;
	struct notify	*nt;
	size_t		 i, j;

	if (!cp->cp_store_seen)
		conf_error(cp, cp->cp_line, "[server]: no store");
	TAILQ_FOREACH(nt, &cf->cf_notifies, nt_entry) {
		if (nt->nt_url == NULL)
			conf_error(cp, nt->nt_line, "[notify %s]: no url",
			    nt->nt_name);
		if (nt->nt_events == 0)
			conf_error(cp, nt->nt_line, "[notify %s]: no events",
			    nt->nt_name);
	}
	if (cf->cf_tls_listen != NULL &&
	    (cf->cf_tls_cert == NULL || cf->cf_tls_key == NULL))
		conf_error(cp, cp->cp_line, "[server]: tls-listen needs tls-cert "
		    "and tls-key");
	if (cf->cf_tls_listen == NULL &&
	    (cf->cf_tls_cert != NULL || cf->cf_tls_key != NULL))
		conf_error(cp, cp->cp_line, "[server]: tls-cert and tls-key "
		    "need tls-listen");
	/* Without either listener, plain HTTP on the default port. */
	if (cf->cf_listen == NULL && cf->cf_tls_listen == NULL)
		cf->cf_listen = xstrdup("0.0.0.0:8080");
	TAILQ_FOREACH(gr, &cf->cf_groups, gr_entry) {
		if (gr->gr_baseline_name == NULL)
			conf_error(cp, gr->gr_line, "[group %s]: no baseline",
			    gr->gr_name);
		else if ((gr->gr_baseline = config_find_baseline(cf,
		    gr->gr_baseline_name)) == NULL)
			conf_error(cp, gr->gr_line, "[group %s]: baseline \"%s\" "
			    "is not defined", gr->gr_name, gr->gr_baseline_name);
		if (gr->gr_nmirrors == 0)
			conf_error(cp, gr->gr_line, "[group %s]: no mirrors",
			    gr->gr_name);
		gr->gr_mirrors = xcalloc(gr->gr_nmirrors + 1,
		    sizeof *gr->gr_mirrors);
		for (i = 0; i < gr->gr_nmirrors; i++) {
			gr->gr_mirrors[i] = config_find_mirror(cf,
			    gr->gr_mirror_names[i]);
			if (gr->gr_mirrors[i] == NULL)
				conf_error(cp, gr->gr_line, "[group %s]: mirror "
				    "\"%s\" is not defined", gr->gr_name,
				    gr->gr_mirror_names[i]);
			for (j = 0; j < i; j++) {
				if (strcmp(gr->gr_mirror_names[i],
				    gr->gr_mirror_names[j]) == 0)
					conf_error(cp, gr->gr_line, "[group %s]: "
					    "mirror \"%s\" is listed twice",
					    gr->gr_name, gr->gr_mirror_names[i]);
			}
		}
	}
}

struct config *
config_load(const char *path)
{
	struct conf_parse	 cp;
	struct config		*cf;
	FILE			*f;
	char			*line = NULL;
	size_t			 size = 0;
	ssize_t			 n;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return NULL;
	}
	cf = xcalloc(1, sizeof *cf);
	cf->cf_path = xstrdup(path);
	cf->cf_schedule = 1;
	cf->cf_grace = 3600;
	cf->cf_log_keep = 30 * 86400;
	cf->cf_preview_keep = 86400;
	cf->cf_report_stale = 2 * 86400;
	cf->cf_header_timeout = 10;
	cf->cf_idle_timeout = 60;
	cf->cf_max_header_size = 32 * 1024;
	cf->cf_max_headers = 100;
	cf->cf_max_connections = 10000;
	cf->cf_max_connections_per_address = 1000;
	cf->cf_output_buffer_max = 64LL * 1024 * 1024;
	TAILQ_INIT(&cf->cf_mirrors);
	TAILQ_INIT(&cf->cf_baselines);
	TAILQ_INIT(&cf->cf_groups);
	TAILQ_INIT(&cf->cf_notifies);

	memset(&cp, 0, sizeof cp);
	cp.cp_cf = cf;
	cp.cp_path = path;
	while ((n = getline(&line, &size, f)) != -1) {
		cp.cp_line++;
		if (memchr(line, '\0', n) != NULL) {
			conf_error(&cp, cp.cp_line, "NUL byte in line");
			continue;
		}
		conf_line(&cp, line);
	}
	if (ferror(f))
		conf_error(&cp, cp.cp_line, "read error: %s", strerror(errno));
	free(line);
	fclose(f);
	conf_mirror_end(&cp);
	conf_resolve(&cp);
	if (cp.cp_errors > 0) {
		config_free(cf);
		return NULL;
	}
	return cf;
}

static void
strv_free(char **v, size_t n)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
config_free(struct config *cf)
{
	struct mirror	*mi;
	struct baseline	*bl;
	struct rule	*ru;
	struct group	*gr;
	struct notify	*nt;

	if (cf == NULL)
		return;
	while ((nt = TAILQ_FIRST(&cf->cf_notifies)) != NULL) {
		TAILQ_REMOVE(&cf->cf_notifies, nt, nt_entry);
		free(nt->nt_name);
		free(nt->nt_url);
		free(nt);
	}
	while ((mi = TAILQ_FIRST(&cf->cf_mirrors)) != NULL) {
		TAILQ_REMOVE(&cf->cf_mirrors, mi, mi_entry);
		free(mi->mi_name);
		free(mi->mi_url);
		words_free(mi->mi_urls);
		free(mi->mi_mirrorlist);
		free(mi->mi_metalink);
		free(mi->mi_proxy);
		free(mi->mi_ca_file);
		free(mi->mi_keyring);
		free(mi->mi_classification);
		free(mi->mi_severity);
		words_free(mi->mi_suites);
		words_free(mi->mi_components);
		words_free(mi->mi_architectures);
		words_free(mi->mi_archive_urls);
		free(mi);
	}
	while ((bl = TAILQ_FIRST(&cf->cf_baselines)) != NULL) {
		TAILQ_REMOVE(&cf->cf_baselines, bl, bl_entry);
		while ((ru = TAILQ_FIRST(&bl->bl_rules)) != NULL) {
			TAILQ_REMOVE(&bl->bl_rules, ru, ru_entry);
			words_free(ru->ru_classifications);
			words_free(ru->ru_severities);
			free(ru->ru_text);
			free(ru);
		}
		strv_free(bl->bl_approved, bl->bl_napproved);
		strv_free(bl->bl_rejected, bl->bl_nrejected);
		free(bl->bl_name);
		free(bl);
	}
	while ((gr = TAILQ_FIRST(&cf->cf_groups)) != NULL) {
		TAILQ_REMOVE(&cf->cf_groups, gr, gr_entry);
		free(gr->gr_name);
		free(gr->gr_baseline_name);
		strv_free(gr->gr_mirror_names, gr->gr_nmirrors);
		free(gr->gr_mirrors);
		for (size_t i = 0; i < gr->gr_nwindows; i++)
			free(gr->gr_windows[i].wi_text);
		free(gr->gr_windows);
		words_free(gr->gr_allow);
		free(gr->gr_auth_file);
		free(gr->gr_report_token);
		free(gr);
	}
	free(cf->cf_path);
	free(cf->cf_listen);
	free(cf->cf_tls_listen);
	free(cf->cf_tls_cert);
	free(cf->cf_tls_key);
	free(cf->cf_store);
	free(cf->cf_user);
	free(cf->cf_api_tokens);
	words_free(cf->cf_admin_allow);
	free(cf->cf_public_url);
	free(cf);
}

struct mirror *
config_find_mirror(struct config *cf, const char *name)
{
	struct mirror	*mi;

	TAILQ_FOREACH(mi, &cf->cf_mirrors, mi_entry) {
		if (strcmp(mi->mi_name, name) == 0)
			return mi;
	}
	return NULL;
}

struct group *
config_find_group(struct config *cf, const char *name)
{
	struct group	*gr;

	TAILQ_FOREACH(gr, &cf->cf_groups, gr_entry) {
		if (strcmp(gr->gr_name, name) == 0)
			return gr;
	}
	return NULL;
}

struct baseline *
config_find_baseline(struct config *cf, const char *name)
{
	struct baseline	*bl;

	TAILQ_FOREACH(bl, &cf->cf_baselines, bl_entry) {
		if (strcmp(bl->bl_name, name) == 0)
			return bl;
	}
	return NULL;
}

int
group_has_mirror(struct group *gr, struct mirror *mi)
{
	size_t	i;

	for (i = 0; i < gr->gr_nmirrors; i++) {
		if (gr->gr_mirrors[i] == mi)
			return 1;
	}
	return 0;
}
