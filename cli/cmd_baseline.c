/*
 * baseline import: turns an AWS Systems Manager Patch Manager baseline, as
 * "aws ssm get-patch-baseline" prints it, into a [baseline NAME] section
 * on stdout, and says on stderr, field by field, what has no patchgate
 * equivalent and why.  An import never approves more than Patch Manager
 * would, except where a filter chooses systems rather than packages
 * (PRODUCT: in patchgate a group's mirrors choose the products): a rule
 * with a filter that cannot be expressed is left out rather than widened.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "clock.h"
#include "util.h"
#include "xmalloc.h"

/* Patch Manager caps a baseline far below this (50 patterns, 10 rules). */
#define BIMP_MAXSIZE	(1024 * 1024)
#define BIMP_NAMEMAX	64

static int	cmd_baseline_exec(struct cli *, const struct cli_cmd *, int,
		    char **);

const struct cli_cmd cmd_baseline_entry = {
	"baseline", "import FILE [--name NAME]", cmd_baseline_exec
};

/* patchgate's words, as lib/conf.c accepts them; a mask bit each. */
static const char *const bimp_pg_classes[] = {
	"security", "bugfix", "enhancement", "newpackage", "recommended",
	"optional", "feature", "document", "yast", NULL
};
static const char *const bimp_pg_severities[] = {
	"critical", "important", "moderate", "low", NULL
};
#define BIMP_ALL_CLASSES	0x1ffu
#define BIMP_ALL_SEVERITIES	0xfu

struct bimp_word {
	const char	*bw_pm;		/* Patch Manager's value */
	unsigned	 bw_bit;
};

/* Red Hat, CentOS, Oracle, Amazon Linux, SUSE (case does not matter). */
static const struct bimp_word bimp_pm_classes[] = {
	{ "Security", 1u << 0 },
	{ "Bugfix", 1u << 1 },
	{ "Enhancement", 1u << 2 },
	{ "Newpackage", 1u << 3 },
	{ "Recommended", 1u << 4 },
	{ "Optional", 1u << 5 },
	{ "Feature", 1u << 6 },
	{ "Document", 1u << 7 },
	{ "Yast", 1u << 8 },
	{ NULL, 0 }
};
static const struct bimp_word bimp_pm_severities[] = {
	{ "Critical", 1u << 0 },
	{ "Important", 1u << 1 },
	{ "Moderate", 1u << 2 },
	{ "Medium", 1u << 2 },		/* Amazon Linux's name for moderate */
	{ "Low", 1u << 3 },
	{ NULL, 0 }
};

/* Debian's priorities: a PRIORITY filter that lists them all is no filter. */
static const char *const bimp_priorities[] = {
	"Required", "Important", "Standard", "Optional", "Extra", NULL
};

/* What the output holds and how many fields could not be mapped. */
struct bimp {
	const char	 *bi_path;
	size_t		  bi_nreports;
	char		**bi_rules;
	size_t		  bi_nrules;
	char		**bi_approved;
	size_t		  bi_napproved;
	char		**bi_rejected;
	size_t		  bi_nrejected;
	const char	 *bi_action;
	unsigned	  bi_gclasses;	/* GlobalFilters, applied to every rule */
	unsigned	  bi_gseverities;
	int		  bi_gblocked;	/* a global filter cannot be expressed */
};

struct bimp_reader {
	FILE		*br_fp;
	size_t		 br_total;
	int		 br_toobig;
	int		 br_errno;
};

static void __attribute__((format(printf, 4, 5)))
bimp_report(struct bimp *bi, const char *field, const char *detail,
    const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "%s: %s", bi->bi_path, field);
	if (detail != NULL)
		fprintf(stderr, " (%s)", detail);
	fputs(": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	bi->bi_nreports++;
}

static void
bimp_push(char ***v, size_t *n, char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[(*n)++] = s;
}

static void
bimp_strv_free(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static size_t
bimp_read(void *buf, size_t len, void *arg)
{
	struct bimp_reader	*br = arg;
	size_t			 n;

	n = fread(buf, 1, len, br->br_fp);
	if (n == 0 && ferror(br->br_fp)) {
		br->br_errno = errno;
		return (size_t)-1;
	}
	br->br_total += n;
	if (br->br_total > BIMP_MAXSIZE) {
		br->br_toobig = 1;
		return (size_t)-1;
	}
	return n;
}

/* "KEY = v1, v2" for a filter, or what it has; caller frees. */
static char *
bimp_filter_text(const char *key, json_t *values)
{
	json_t	*v;
	size_t	 i;
	char	*s, *t;

	xasprintf(&s, "%s =", key != NULL ? key : "?");
	if (!json_is_array(values)) {
		xasprintf(&t, "%s ?", s);
		free(s);
		return t;
	}
	json_array_foreach(values, i, v) {
		xasprintf(&t, "%s%s %s", s, i == 0 ? "" : ",",
		    json_is_string(v) ? json_string_value(v) : "?");
		free(s);
		s = t;
	}
	return s;
}

/* The words of mask, comma separated, or "*"; caller frees. */
static char *
bimp_words(unsigned mask, unsigned all, const char *const *words)
{
	char	*s = NULL, *t;
	size_t	 i;

	if (mask == all)
		return xstrdup("*");
	for (i = 0; words[i] != NULL; i++) {
		if ((mask & (1u << i)) == 0)
			continue;
		if (s == NULL)
			s = xstrdup(words[i]);
		else {
			xasprintf(&t, "%s,%s", s, words[i]);
			free(s);
			s = t;
		}
	}
	return s;
}

static int
bimp_all_stars(json_t *values)
{
	json_t	*v;
	size_t	 i;

	if (json_array_size(values) == 0)
		return 0;
	json_array_foreach(values, i, v) {
		if (!json_is_string(v) || strcmp(json_string_value(v), "*") != 0)
			return 0;
	}
	return 1;
}

static int
bimp_all_priorities(json_t *values)
{
	json_t	*v;
	size_t	 i, j;

	for (i = 0; bimp_priorities[i] != NULL; i++) {
		json_array_foreach(values, j, v) {
			if (json_is_string(v) && strcasecmp(json_string_value(v),
			    bimp_priorities[i]) == 0)
				break;
		}
		if (j == json_array_size(values))
			return 0;
	}
	return 1;
}

/*
 * A CLASSIFICATION or SEVERITY filter: narrows *mask to the values that
 * patchgate knows; -1 when none of them is (said).
 */
static int
bimp_vocabulary(struct bimp *bi, const char *field, const char *text,
    json_t *values, const struct bimp_word *table, const char *const *words,
    unsigned all, unsigned *mask, const char *what, const char *scope)
{
	json_t		*v;
	const char	*s;
	char		*bad = NULL, *t, *list = NULL;
	unsigned	 m = 0;
	size_t		 i, j;

	json_array_foreach(values, i, v) {
		s = json_string_value(v);
		if (strcmp(s, "*") == 0) {
			m = all;
			continue;
		}
		for (j = 0; table[j].bw_pm != NULL; j++) {
			if (strcasecmp(s, table[j].bw_pm) == 0)
				break;
		}
		if (table[j].bw_pm != NULL) {
			m |= table[j].bw_bit;
			continue;
		}
		xasprintf(&t, "%s%s%s", bad != NULL ? bad : "",
		    bad != NULL ? ", " : "", s);
		free(bad);
		bad = t;
	}
	for (i = 0; words[i] != NULL; i++) {
		xasprintf(&t, "%s%s%s", list != NULL ? list : "",
		    list != NULL ? ", " : "", words[i]);
		free(list);
		list = t;
	}
	if (m == 0) {
		bimp_report(bi, field, text, "no value is a patchgate %s (%s); "
		    "%s is left out", what, list, scope);
		free(bad);
		free(list);
		return -1;
	}
	if (bad != NULL)
		bimp_report(bi, field, text, "%s not a patchgate %s (%s); %s "
		    "left out of %s", bad, what, list,
		    strchr(bad, ',') != NULL ? "they are" : "it is", scope);
	*mask &= m;
	free(bad);
	free(list);
	return 0;
}

/*
 * One PatchFilters array (of a rule, or GlobalFilters) into class and
 * severity masks.  -1: a filter cannot be expressed and the rules it
 * belongs to must be left out (said).
 */
static int
bimp_filters(struct bimp *bi, json_t *filters, const char *where,
    unsigned *classes, unsigned *severities, const char *scope)
{
	json_t		*f, *jkey, *values, *v;
	const char	*key;
	char		*field, *text;
	size_t		 i, j;
	int		 rc = 0, strings;

	if (filters == NULL)
		return 0;
	if (!json_is_array(filters)) {
		bimp_report(bi, where, NULL, "not a list of filters; %s is left out",
		    scope);
		return -1;
	}
	json_array_foreach(filters, i, f) {
		xasprintf(&field, "%s[%zu]", where, i);
		jkey = json_object_get(f, "Key");
		values = json_object_get(f, "Values");
		key = json_string_value(jkey);
		text = bimp_filter_text(key, values);
		strings = json_is_array(values) && json_array_size(values) > 0;
		if (strings) {
			json_array_foreach(values, j, v) {
				if (!json_is_string(v))
					strings = 0;
			}
		}
		if (key == NULL || !strings) {
			bimp_report(bi, field, text, "not a filter with a Key and "
			    "a list of Values; %s is left out", scope);
			rc = -1;
		} else if (strcmp(key, "CLASSIFICATION") == 0) {
			if (bimp_vocabulary(bi, field, text, values,
			    bimp_pm_classes, bimp_pg_classes, BIMP_ALL_CLASSES,
			    classes, "classification", scope) != 0)
				rc = -1;
		} else if (strcmp(key, "SEVERITY") == 0) {
			if (bimp_vocabulary(bi, field, text, values,
			    bimp_pm_severities, bimp_pg_severities,
			    BIMP_ALL_SEVERITIES, severities, "severity",
			    scope) != 0)
				rc = -1;
		} else if (bimp_all_stars(values) || (strcmp(key,
		    "PRIORITY") == 0 && bimp_all_priorities(values))) {
			/* Selects everything: nothing to map. */
		} else if (strcmp(key, "PRODUCT") == 0 ||
		    strcmp(key, "PRODUCT_FAMILY") == 0) {
			bimp_report(bi, field, text, "not mapped: patchgate has "
			    "no product filter, a group's mirrors choose the "
			    "products; %s is kept without it, for every mirror of "
			    "the groups that use the baseline", scope);
		} else if (strcmp(key, "SECTION") == 0 ||
		    strcmp(key, "PRIORITY") == 0) {
			bimp_report(bi, field, text, "not mapped: patchgate cannot "
			    "select Debian packages by %s; %s is left out rather "
			    "than widened", strcmp(key, "SECTION") == 0 ?
			    "archive section" : "priority", scope);
			rc = -1;
		} else {
			bimp_report(bi, field, text, "not mapped: patchgate has "
			    "no %s filter; %s is left out rather than widened",
			    key, scope);
			rc = -1;
		}
		free(text);
		free(field);
	}
	return rc;
}

/* "until=" for a YYYY-MM-DD: Patch Manager approves through that day. */
static int
bimp_until(const char *date, char *buf, size_t len)
{
	time_t	t;
	size_t	i;

	if (strlen(date) != 10)
		return -1;
	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7 ? date[i] != '-' :
		    !isdigit((unsigned char)date[i]))
			return -1;
	}
	snprintf(buf, len, "%sT23:59:59Z", date);
	if (time_parse_rfc3339(buf, &t) != 0)
		return -1;
	return 0;
}

static const char *
bimp_bool_true(json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key)) ? "true" : NULL;
}

/* Compliance levels only colour Patch Manager's reports. */
static void
bimp_compliance(struct bimp *bi, json_t *o, const char *key,
    const char *prefix)
{
	const char	*s;
	char		*field;

	if ((s = json_string_value(json_object_get(o, key))) == NULL ||
	    strcmp(s, "UNSPECIFIED") == 0)
		return;
	xasprintf(&field, "%s%s", prefix, key);
	bimp_report(bi, field, s, "not mapped: patchgate keeps no compliance "
	    "levels; see patchgate status for what a group does not see yet");
	free(field);
}

static void
bimp_rule(struct bimp *bi, json_t *rule, size_t idx)
{
	json_t		*after, *until;
	char		 field[96], *where, *cls, *sev, *s, when[64];
	unsigned	 classes = bi->bi_gclasses, severities = bi->bi_gseverities;
	json_int_t	 days;
	int		 bad = 0;

	snprintf(field, sizeof field, "ApprovalRules.PatchRules[%zu]", idx);
	if (!json_is_object(rule)) {
		bimp_report(bi, field, NULL, "not an object; left out");
		return;
	}
	xasprintf(&where, "%s.PatchFilterGroup.PatchFilters", field);
	if (bimp_filters(bi, json_object_get(json_object_get(rule,
	    "PatchFilterGroup"), "PatchFilters"), where, &classes, &severities,
	    "the rule") != 0)
		bad = 1;
	free(where);

	after = json_object_get(rule, "ApproveAfterDays");
	until = json_object_get(rule, "ApproveUntilDate");
	if (after != NULL && until != NULL) {
		bimp_report(bi, field, NULL, "both ApproveAfterDays and "
		    "ApproveUntilDate; the rule is left out");
		bad = 1;
	} else if (after != NULL) {
		if (!json_is_integer(after) ||
		    (days = json_integer_value(after)) < 0 || days > 36500) {
			s = json_dumps(after, JSON_ENCODE_ANY);
			xasprintf(&where, "%s.ApproveAfterDays", field);
			bimp_report(bi, where, s, "not a number of days; the rule "
			    "is left out");
			free(where);
			free(s);
			bad = 1;
		} else
			snprintf(when, sizeof when, "delay=%lldd",
			    (long long)days);
	} else if (until != NULL) {
		if (!json_is_string(until) ||
		    bimp_until(json_string_value(until), when + 6,
		    sizeof when - 6) != 0) {
			s = json_dumps(until, JSON_ENCODE_ANY);
			xasprintf(&where, "%s.ApproveUntilDate", field);
			bimp_report(bi, where, s, "not a YYYY-MM-DD date; the rule "
			    "is left out");
			free(where);
			free(s);
			bad = 1;
		} else
			memcpy(when, "until=", 6);
	} else {
		/* Debian and Ubuntu rules have neither: approved at once. */
		snprintf(when, sizeof when, "delay=0d");
	}
	xasprintf(&where, "%s.", field);
	bimp_compliance(bi, rule, "ComplianceLevel", where);
	free(where);
	if (bimp_bool_true(rule, "EnableNonSecurity") != NULL) {
		xasprintf(&where, "%s.EnableNonSecurity", field);
		bimp_report(bi, where, "true", "not mapped: versions that no "
		    "advisory lists match a rule by their mirror's "
		    "classification (or classification=*)");
		free(where);
	}
	if (bad || bi->bi_gblocked)
		return;
	if ((classes & BIMP_ALL_CLASSES) == 0 ||
	    (severities & BIMP_ALL_SEVERITIES) == 0) {
		bimp_report(bi, field, NULL, "its filters and GlobalFilters have "
		    "no classification or severity in common; the rule is left "
		    "out");
		return;
	}
	cls = bimp_words(classes, BIMP_ALL_CLASSES, bimp_pg_classes);
	sev = bimp_words(severities, BIMP_ALL_SEVERITIES, bimp_pg_severities);
	if (strcmp(sev, "*") == 0)
		xasprintf(&s, "classification=%s %s", cls, when);
	else
		xasprintf(&s, "classification=%s severity=%s %s", cls, sev,
		    when);
	bimp_push(&bi->bi_rules, &bi->bi_nrules, s);
	free(cls);
	free(sev);
}

/* conf.c's pattern rules: no blanks, commas, '/', '?', '['; one '*'. */
static const char *
bimp_pattern_invalid(const char *p)
{
	const char	*star, *c;

	if (*p == '\0')
		return "empty";
	if ((star = strchr(p, '*')) != NULL && strchr(star + 1, '*') != NULL)
		return "more than one '*'";
	for (c = p; *c != '\0'; c++) {
		if (*c == ' ' || *c == '\t' || *c == ',')
			return "blanks and commas separate patterns";
		if (*c == '/' || *c == '?' || *c == '[')
			return "'/', '?' and '[' are not pattern characters";
		if (!isprint((unsigned char)*c))
			return "not printable ASCII";
	}
	return NULL;
}

static void
bimp_patterns(struct bimp *bi, json_t *o, const char *key, char ***v,
    size_t *n, const char *lost)
{
	json_t		*list, *p;
	const char	*s, *why;
	char		 field[64];
	size_t		 i;

	if ((list = json_object_get(o, key)) == NULL)
		return;
	if (!json_is_array(list)) {
		bimp_report(bi, key, NULL, "not a list; %s", lost);
		return;
	}
	json_array_foreach(list, i, p) {
		snprintf(field, sizeof field, "%s[%zu]", key, i);
		if ((s = json_string_value(p)) == NULL) {
			bimp_report(bi, field, NULL, "not a string; %s", lost);
			continue;
		}
		if ((why = bimp_pattern_invalid(s)) != NULL) {
			bimp_report(bi, field, s, "cannot be expressed (%s); %s",
			    why, lost);
			continue;
		}
		bimp_push(v, n, xstrdup(s));
	}
}

static int
bimp_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

/* conf.c's section names: they become URL and path components. */
static int
bimp_name_valid(const char *name)
{
	const char	*p;

	if (*name == '\0' || *name == '_' || *name == '.' || *name == '-' ||
	    strlen(name) > BIMP_NAMEMAX)
		return 0;
	for (p = name; *p != '\0'; p++) {
		if (!bimp_name_char(*p))
			return 0;
	}
	return 1;
}

/*
 * The baseline's Name made a section name: "RHEL 9 (prod)" becomes
 * RHEL-9-prod.  Caller frees.
 */
static char *
bimp_name(const char *name)
{
	char		*s, *w;
	const char	*r;
	char		 c;

	if (bimp_name_valid(name))
		return xstrdup(name);
	s = w = xmalloc(strlen(name) + 1);
	for (r = name; *r != '\0'; r++) {
		c = bimp_name_char(*r) ? *r : '-';
		if (w == s && (c == '-' || c == '_' || c == '.'))
			continue;
		if (c == '-' && w[-1] == '-')
			continue;
		*w++ = c;
	}
	*w = '\0';
	if (strlen(s) > BIMP_NAMEMAX)
		s[BIMP_NAMEMAX] = '\0';
	for (w = s + strlen(s); w > s && w[-1] == '-'; w--)
		w[-1] = '\0';
	if (*s == '\0') {
		free(s);
		s = xstrdup("imported");
	}
	return s;
}

/* Comment text: one line, printable. */
static void
bimp_comment(const char *label, const char *s)
{
	const char	*c;

	printf("# %s", label);
	for (c = s; *c != '\0'; c++)
		putchar(isprint((unsigned char)*c) ? *c : ' ');
	putchar('\n');
}

static const char *const bimp_known[] = {
	"BaselineId", "Name", "OperatingSystem", "Description", "CreatedDate",
	"ModifiedDate", "GlobalFilters", "ApprovalRules", "ApprovedPatches",
	"ApprovedPatchesComplianceLevel", "ApprovedPatchesEnableNonSecurity",
	"RejectedPatches", "RejectedPatchesAction", "PatchGroups", "Sources",
	"AvailableSecurityUpdatesComplianceStatus", NULL
};

static int
bimp_import(const char *path, const char *name_opt)
{
	struct bimp		 bi;
	struct bimp_reader	 br;
	json_error_t		 jerr;
	json_t			*root, *rules, *v, *src;
	const char		*key, *s, *os, *id;
	char			*name, *text, field[64];
	size_t			 i, j, nrules;
	int			 rc = CLI_OK;

	memset(&bi, 0, sizeof bi);
	bi.bi_path = path;
	bi.bi_gclasses = BIMP_ALL_CLASSES;
	bi.bi_gseverities = BIMP_ALL_SEVERITIES;

	memset(&br, 0, sizeof br);
	if (strcmp(path, "-") == 0) {
		bi.bi_path = path = "stdin";
		br.br_fp = stdin;
	} else if ((br.br_fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return CLI_ERROR;
	}
	root = json_load_callback(bimp_read, &br, JSON_REJECT_DUPLICATES, &jerr);
	if (br.br_fp != stdin)
		fclose(br.br_fp);
	if (root == NULL) {
		if (br.br_toobig)
			fprintf(stderr, "%s: larger than %d bytes, not a patch "
			    "baseline\n", path, BIMP_MAXSIZE);
		else if (br.br_errno != 0)
			fprintf(stderr, "%s: %s\n", path, strerror(br.br_errno));
		else
			fprintf(stderr, "%s:%d:%d: %s\n", path, jerr.line,
			    jerr.column, jerr.text);
		return CLI_ERROR;
	}
	if (!json_is_object(root)) {
		fprintf(stderr, "%s: not a JSON object, not the output of aws "
		    "ssm get-patch-baseline\n", path);
		json_decref(root);
		return CLI_ERROR;
	}
	rules = json_object_get(json_object_get(root, "ApprovalRules"),
	    "PatchRules");
	nrules = json_is_array(rules) ? json_array_size(rules) : 0;
	if (nrules == 0 &&
	    json_array_size(json_object_get(root, "ApprovedPatches")) == 0) {
		fprintf(stderr, "%s: no ApprovalRules.PatchRules and no "
		    "ApprovedPatches: not a patch baseline, nothing to import\n",
		    path);
		json_decref(root);
		return CLI_ERROR;
	}

	json_object_foreach(root, key, v) {
		for (i = 0; bimp_known[i] != NULL; i++) {
			if (strcmp(key, bimp_known[i]) == 0)
				break;
		}
		if (bimp_known[i] == NULL)
			bimp_report(&bi, key, NULL, "not mapped: not a field this "
			    "import knows");
	}
	os = json_string_value(json_object_get(root, "OperatingSystem"));
	if (os != NULL && (strcmp(os, "WINDOWS") == 0 ||
	    strcmp(os, "MACOS") == 0))
		bimp_report(&bi, "OperatingSystem", os, "patchgate mirrors rpm-md "
		    "and apt repositories only");

	if (bimp_filters(&bi, json_object_get(json_object_get(root,
	    "GlobalFilters"), "PatchFilters"), "GlobalFilters.PatchFilters",
	    &bi.bi_gclasses, &bi.bi_gseverities, "every rule") != 0)
		bi.bi_gblocked = 1;
	if (rules != NULL && !json_is_array(rules))
		bimp_report(&bi, "ApprovalRules.PatchRules", NULL, "not a list; "
		    "no rule imported");
	for (i = 0; i < nrules; i++)
		bimp_rule(&bi, json_array_get(rules, i), i);

	bimp_patterns(&bi, root, "ApprovedPatches", &bi.bi_approved,
	    &bi.bi_napproved, "not approved");
	bimp_compliance(&bi, root, "ApprovedPatchesComplianceLevel", "");
	if (bimp_bool_true(root, "ApprovedPatchesEnableNonSecurity") != NULL)
		bimp_report(&bi, "ApprovedPatchesEnableNonSecurity", "true",
		    "not mapped: approved patterns approve what they match, "
		    "with or without an advisory");
	bimp_patterns(&bi, root, "RejectedPatches", &bi.bi_rejected,
	    &bi.bi_nrejected, "NOT REJECTED: reject it in patchgate by hand");

	/* Patch Manager's default is ALLOW_AS_DEPENDENCY, patchgate's block. */
	v = json_object_get(root, "RejectedPatchesAction");
	if (v == NULL || ((s = json_string_value(v)) != NULL &&
	    strcmp(s, "ALLOW_AS_DEPENDENCY") == 0))
		bi.bi_action = "allow-as-dependency";
	else if (s != NULL && strcmp(s, "BLOCK") == 0)
		bi.bi_action = "block";
	else {
		text = json_dumps(v, JSON_ENCODE_ANY);
		bimp_report(&bi, "RejectedPatchesAction", text, "not "
		    "ALLOW_AS_DEPENDENCY or BLOCK; left to patchgate's default, "
		    "block");
		free(text);
	}
	bimp_compliance(&bi, root, "AvailableSecurityUpdatesComplianceStatus",
	    "");

	if ((v = json_object_get(root, "PatchGroups")) != NULL &&
	    json_array_size(v) > 0) {
		text = bimp_filter_text("PatchGroups", v);
		bimp_report(&bi, "PatchGroups", text + strlen("PatchGroups = "),
		    "not mapped: write a [group NAME] section with \"baseline =\" "
		    "for each, naming its mirrors");
		free(text);
	}
	json_array_foreach(json_object_get(root, "Sources"), i, src) {
		snprintf(field, sizeof field, "Sources[%zu]", i);
		s = json_string_value(json_object_get(src, "Name"));
		bimp_report(&bi, field, s != NULL ? s : "?", "not mapped: "
		    "patchgate serves the repositories of its [mirror] sections; "
		    "add one for this repository");
	}

	if (name_opt != NULL)
		name = xstrdup(name_opt);
	else {
		s = json_string_value(json_object_get(root, "Name"));
		id = json_string_value(json_object_get(root, "BaselineId"));
		name = bimp_name(s != NULL ? s : id != NULL ? id : "imported");
		if (s != NULL && strcmp(name, s) != 0)
			bimp_report(&bi, "Name", s, "not a patchgate section name "
			    "(letters, digits, '.', '-', '_', at most %d); the "
			    "section is [baseline %s]", BIMP_NAMEMAX, name);
	}

	s = json_string_value(json_object_get(root, "Name"));
	id = json_string_value(json_object_get(root, "BaselineId"));
	bimp_comment("Imported from Patch Manager baseline ",
	    id != NULL ? id : "(no BaselineId)");
	if (s != NULL)
		bimp_comment("Name: ", s);
	if (os != NULL)
		bimp_comment("OperatingSystem: ", os);
	if ((s = json_string_value(json_object_get(root, "Description"))) !=
	    NULL && *s != '\0')
		bimp_comment("Description: ", s);
	printf("[baseline %s]\n", name);
	for (j = 0; j < bi.bi_nrules; j++)
		printf("rule = %s\n", bi.bi_rules[j]);
	for (j = 0; j < bi.bi_napproved; j++)
		printf("approved = %s\n", bi.bi_approved[j]);
	for (j = 0; j < bi.bi_nrejected; j++)
		printf("rejected = %s\n", bi.bi_rejected[j]);
	if (bi.bi_action != NULL)
		printf("rejected-action = %s\n", bi.bi_action);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "stdout: %s\n", strerror(errno));
		rc = CLI_ERROR;
	}

	if (bi.bi_nrules == 0 && bi.bi_napproved == 0)
		fprintf(stderr, "%s: nothing could be mapped that approves a "
		    "version: [baseline %s] shows groups only their mirrors' "
		    "base\n", path, name);
	if (bi.bi_nreports > 0)
		fprintf(stderr, "%s: %zu field%s not mapped, or not as in Patch "
		    "Manager\n", path, bi.bi_nreports,
		    bi.bi_nreports == 1 ? "" : "s");

	free(name);
	bimp_strv_free(bi.bi_rules, bi.bi_nrules);
	bimp_strv_free(bi.bi_approved, bi.bi_napproved);
	bimp_strv_free(bi.bi_rejected, bi.bi_nrejected);
	json_decref(root);
	return rc;
}

/* Options by hand: main() leaves getopt in its "stop at an operand" mode. */
static int
cmd_baseline_exec(struct cli *cl, const struct cli_cmd *cc, int argc,
    char **argv)
{
	const char	*name = NULL, *file = NULL;
	int		 i, operands = 1;

	(void)cl;
	argc--;		/* "baseline" */
	argv++;
	if (argc < 1 || strcmp(argv[0], "import") != 0)
		return cli_usage(cc);
	for (i = 1; i < argc; i++) {
		if (operands && strcmp(argv[i], "--") == 0)
			operands = 0;
		else if (operands && strcmp(argv[i], "--name") == 0) {
			if (++i == argc)
				return cli_usage(cc);
			name = argv[i];
		} else if (operands && strncmp(argv[i], "--name=", 7) == 0)
			name = argv[i] + 7;
		else if (operands && argv[i][0] == '-' && argv[i][1] != '\0')
			return cli_usage(cc);
		else if (file == NULL)
			file = argv[i];
		else
			return cli_usage(cc);
	}
	if (file == NULL)
		return cli_usage(cc);
	if (name != NULL && !bimp_name_valid(name)) {
		fprintf(stderr, "patchgate: --name %s: a section name is letters, "
		    "digits, '.', '-' and '_', not starting with '_', '.' or "
		    "'-', at most %d\n", name, BIMP_NAMEMAX);
		return CLI_USAGE;
	}
	return bimp_import(file, name);
}
