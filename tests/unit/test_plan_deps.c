/*
 * The installability step: primary.xml <package> elements shaped as
 * createrepo_c writes them and Packages stanzas as apt-ftparchive writes
 * them, settled under block and allow-as-dependency.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "plan_deps.h"
#include "tap.h"
#include "util.h"
#include "xmalloc.h"

#define OUT	PLAN_DEPS_OUT
#define CAND	PLAN_DEPS_CANDIDATE
#define LISTED	PLAN_DEPS_LISTED
#define HELD	PLAN_DEPS_HELD
#define LET_IN	PLAN_DEPS_LET_IN

/* "libfoo >= 1:2.0-1" as an <rpm:entry>; "pre:" marks Requires(pre). */
static void
rpm_entry(struct buf *b, const char *spec)
{
	char		 name[256], op[4], evr[128], *e, *v, *r;
	const char	*flags, *pre = "";
	int		 n;

	if (strncmp(spec, "pre:", 4) == 0) {
		pre = " pre=\"1\"";
		spec += 4;
	}
	if (spec[0] == '(') {	/* a rich dependency, escaped as createrepo_c does */
		buf_adds(b, "      <rpm:entry name=\"");
		for (; *spec != '\0'; spec++) {
			if (*spec == '<')
				buf_adds(b, "&lt;");
			else if (*spec == '>')
				buf_adds(b, "&gt;");
			else
				buf_add(b, spec, 1);
		}
		buf_addf(b, "\"%s/>\n", pre);
		return;
	}
	n = sscanf(spec, "%255s %3s %127s", name, op, evr);
	if (n == 1) {
		buf_addf(b, "      <rpm:entry name=\"%s\"%s/>\n", name, pre);
		return;
	}
	flags = strcmp(op, "=") == 0 ? "EQ" : strcmp(op, "<") == 0 ? "LT" :
	    strcmp(op, ">") == 0 ? "GT" : strcmp(op, "<=") == 0 ? "LE" : "GE";
	e = "0";
	v = evr;
	if ((r = strchr(evr, ':')) != NULL) {
		*r = '\0';
		e = evr;
		v = r + 1;
	}
	if ((r = strchr(v, '-')) != NULL)
		*r++ = '\0';
	buf_addf(b, "      <rpm:entry name=\"%s\" flags=\"%s\" epoch=\"%s\" "
	    "ver=\"%s\"", name, flags, e, v);
	if (r != NULL)
		buf_addf(b, " rel=\"%s\"", r);
	buf_addf(b, "%s/>\n", pre);
}

/*
 * A primary <package> as createrepo_c writes it.  provides, requires and
 * files: '|'-separated lists, or NULL.  Caller frees.
 */
static char *
rpm_pkg(const char *name, const char *ver, const char *rel, const char *arch,
    const char *provides, const char *requires, const char *files)
{
	struct buf	 b;
	char		**w;
	size_t		 i;

	buf_init(&b);
	buf_addf(&b, "<package type=\"rpm\">\n  <name>%s</name>\n"
	    "  <arch>%s</arch>\n"
	    "  <version epoch=\"0\" ver=\"%s\" rel=\"%s\"/>\n"
	    "  <checksum type=\"sha256\" pkgid=\"YES\">"
	    "d265862c44d26f791afea8ae108c75ca38293a197753784d549aecfb8fbb1089"
	    "</checksum>\n"
	    "  <summary>%s</summary>\n  <description>A test package.</description>\n"
	    "  <packager></packager>\n  <url></url>\n"
	    "  <time file=\"1767225600\" build=\"1767225600\"/>\n"
	    "  <size package=\"6061\" installed=\"2\" archive=\"252\"/>\n"
	    "  <location href=\"Packages/%s-%s-%s.%s.rpm\"/>\n  <format>\n"
	    "    <rpm:license>MIT</rpm:license>\n    <rpm:vendor></rpm:vendor>\n"
	    "    <rpm:group>Unspecified</rpm:group>\n"
	    "    <rpm:buildhost>pgtest.invalid</rpm:buildhost>\n"
	    "    <rpm:sourcerpm>%s-%s-%s.src.rpm</rpm:sourcerpm>\n"
	    "    <rpm:header-range start=\"4504\" end=\"5965\"/>\n"
	    "    <rpm:provides>\n"
	    "      <rpm:entry name=\"%s\" flags=\"EQ\" epoch=\"0\" ver=\"%s\" rel=\"%s\"/>\n",
	    name, arch, ver, rel, name, name, ver, rel, arch, name, ver, rel,
	    name, ver, rel);
	if (provides != NULL) {
		w = words_split_on(provides, "|", NULL);
		for (i = 0; w[i] != NULL; i++)
			rpm_entry(&b, w[i]);
		words_free(w);
	}
	buf_adds(&b, "    </rpm:provides>\n");
	if (requires != NULL) {
		buf_adds(&b, "    <rpm:requires>\n");
		w = words_split_on(requires, "|", NULL);
		for (i = 0; w[i] != NULL; i++)
			rpm_entry(&b, w[i]);
		words_free(w);
		buf_adds(&b, "    </rpm:requires>\n");
	}
	if (files != NULL) {
		w = words_split_on(files, "|", NULL);
		for (i = 0; w[i] != NULL; i++)
			buf_addf(&b, "    <file>%s</file>\n", w[i]);
		words_free(w);
	}
	buf_adds(&b, "  </format>\n</package>\n");
	buf_add(&b, "", 1);
	return b.b_data;
}

static int
add(struct plan_deps *pd, char *raw)
{
	char	*cause = NULL;
	int	 rc;

	rc = plan_deps_add(pd, raw, strlen(raw), &cause);
	if (rc != 0)
		printf("# add: %s\n", cause ? cause : "(no cause)");
	free(cause);
	free(raw);
	return rc;
}

static int
settle(struct plan_deps *pd, unsigned char *st, char **why, int allow)
{
	char	*cause = NULL;
	int	 rc;

	rc = plan_deps_settle(pd, st, why, allow, &cause);
	if (rc != 0)
		printf("# settle: %s\n", cause ? cause : "(no cause)");
	free(cause);
	return rc;
}

static void
why_free(char **why, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (why[i] != NULL)
			printf("#   why[%zu]: %s\n", i, why[i]);
		free(why[i]);
		why[i] = NULL;
	}
}

static int
has(const char *s, const char *part)
{
	if (s == NULL || strstr(s, part) == NULL) {
		printf("#   \"%s\" lacks \"%s\"\n", s ? s : "(null)", part);
		return 0;
	}
	return 1;
}

/* The rpm-md mirror most tests share; returns the sealed facts. */
enum {
	R_LIBFOO1, R_LIBFOO2, R_APP2, R_APP1, R_X, R_Y, R_FOOTOOLS, R_Z, R_W,
	R_MAILER, R_U, R_POSTFIX, R_S, R_RICH_OR, R_RICH_AND, R_OLD, R_LIBBAR,
	R_LIBBAZ, R_NEEDBAR, R_SRC, R_N
};

static struct plan_deps *
rpm_mirror(void)
{
	struct plan_deps	*pd;
	char			*cause = NULL;
	int			 bad = 0;

	pd = plan_deps_new(MIRROR_RPMMD);
	bad |= add(pd, rpm_pkg("libfoo", "1.0", "1", "x86_64",
	    "libfoo.so.1()(64bit)", "/sbin/ldconfig|pre:/bin/sh|"
	    "rpmlib(CompressedFileNames) <= 3.0.4-1|"
	    "rpmlib(PayloadFilesHavePrefix) <= 4.0-1|libc.so.6()(64bit)",
	    "/usr/lib64/libfoo.so.1"));
	bad |= add(pd, rpm_pkg("libfoo", "2.0", "1", "x86_64",
	    "libfoo.so.2()(64bit)", "libc.so.6()(64bit)", NULL));
	bad |= add(pd, rpm_pkg("app", "2.0", "1", "x86_64", "webapp",
	    "libfoo = 2.0-1|libfoo.so.2()(64bit)|/usr/bin/foo", "/usr/bin/app"));
	bad |= add(pd, rpm_pkg("app", "1.0", "1", "x86_64", "webapp",
	    "libfoo = 1.0-1|libfoo.so.1()(64bit)", "/usr/bin/app"));
	bad |= add(pd, rpm_pkg("x", "1.0", "1", "noarch", NULL,
	    "app = 2.0-1", NULL));
	bad |= add(pd, rpm_pkg("y", "1.0", "1", "noarch", NULL,
	    "/usr/bin/foo", NULL));
	bad |= add(pd, rpm_pkg("foo-tools", "1.0", "1", "x86_64", NULL, NULL,
	    "/usr/bin/foo|/etc/foo.conf"));
	bad |= add(pd, rpm_pkg("z", "1.0", "1", "noarch", NULL,
	    "python3-nowhere >= 3.9|/usr/bin/python3", NULL));
	bad |= add(pd, rpm_pkg("w", "1.0", "1", "noarch", NULL, "smtp-daemon",
	    NULL));
	bad |= add(pd, rpm_pkg("mailer", "1.0", "1", "x86_64",
	    "smtp-daemon|MTA", NULL, NULL));
	bad |= add(pd, rpm_pkg("u", "1.0", "1", "noarch", NULL, "mta-postfix",
	    NULL));
	bad |= add(pd, rpm_pkg("postfix", "3.5", "1", "x86_64",
	    "mta-postfix", NULL, NULL));
	bad |= add(pd, rpm_pkg("s", "1.0", "1", "noarch", NULL,
	    "pre:libfoo = 2.0-1", NULL));
	bad |= add(pd, rpm_pkg("rich-or", "1.0", "1", "noarch", NULL,
	    "(libfoo >= 2.0 or foo-tools)", NULL));
	bad |= add(pd, rpm_pkg("rich-and", "1.0", "1", "noarch", NULL,
	    "(libfoo >= 2.0 and foo-tools)", NULL));
	bad |= add(pd, rpm_pkg("old-thing", "0.9", "1", "noarch", NULL, NULL,
	    NULL));
	bad |= add(pd, rpm_pkg("libbar", "3.0", "1", "x86_64", NULL,
	    "libbaz >= 1.0", NULL));
	bad |= add(pd, rpm_pkg("libbaz", "1.0", "1", "x86_64", NULL, NULL,
	    NULL));
	bad |= add(pd, rpm_pkg("needbar", "1.0", "1", "noarch", NULL,
	    "libbar", NULL));
	/* A source rpm's requirements are build dependencies: never checked. */
	bad |= add(pd, rpm_pkg("app", "2.0", "1", "src", NULL,
	    "libfoo = 2.0-1|gcc", NULL));
	ok(!bad, "rpm-md: every element adds");
	is_int(plan_deps_count(pd), R_N, "rpm-md: %d packages", R_N);
	is_int(plan_deps_seal(pd, &cause), 0, "rpm-md: seals");
	free(cause);
	return pd;
}

static void
test_rpm_block(void)
{
	struct plan_deps	*pd = rpm_mirror();
	unsigned char		 st[R_N];
	char			*why[R_N];
	size_t			 i;

	for (i = 0; i < R_N; i++)
		st[i] = LISTED;
	st[R_LIBFOO2] = OUT;
	st[R_POSTFIX] = OUT;
	st[R_OLD] = CAND;
	st[R_LIBBAZ] = OUT;
	is_int(settle(pd, st, why, 0), 0, "block: settles");
	is_int(st[R_APP2], HELD, "block: app-2.0 needs libfoo = 2.0-1, out: held");
	ok(has(why[R_APP2], "needs libfoo = 2.0-1"), "block: why names the need");
	is_int(st[R_APP1], LISTED, "block: the older app-1.0 stays listed");
	ok(why[R_APP1] == NULL, "block: no why where nothing changed");
	is_int(st[R_LIBFOO1], LISTED,
	    "block: rpmlib() and libc (nowhere in the mirror) are ignored");
	is_int(st[R_X], HELD, "block: x needs app = 2.0-1, held: held too");
	ok(has(why[R_X], "needs app = 2.0-1") &&
	    has(why[R_X], "app-2.0-1.x86_64"), "block: chain why names the held one");
	is_int(st[R_Y], LISTED, "block: /usr/bin/foo from a listed file list");
	is_int(st[R_Z], LISTED, "block: what nothing in the mirror provides is ignored");
	is_int(st[R_W], LISTED, "block: a virtual provide of a listed version");
	is_int(st[R_U], HELD, "block: a virtual provide only an out version has");
	ok(has(why[R_U], "needs mta-postfix"), "block: why of a virtual need");
	is_int(st[R_S], HELD, "block: Requires(pre) counts");
	is_int(st[R_RICH_OR], LISTED, "block: (a or b) met by b");
	is_int(st[R_RICH_AND], HELD, "block: (a and b) with a out");
	ok(has(why[R_RICH_AND], "libfoo >= 2.0"), "block: why of a rich dep");
	is_int(st[R_NEEDBAR], HELD, "block: needbar -> libbar -> libbaz (out)");
	is_int(st[R_LIBBAR], HELD, "block: libbar needs libbaz, out");
	is_int(st[R_OLD], CAND, "block: a candidate stays a candidate");
	is_int(st[R_SRC], LISTED, "block: a source rpm is not checked");
	why_free(why, R_N);

	/* Under block, a rejected provider is named as such. */
	for (i = 0; i < R_N; i++)
		st[i] = LISTED;
	st[R_LIBFOO2] = CAND;
	is_int(settle(pd, st, why, 0), 0, "block with a candidate: settles");
	is_int(st[R_APP2], HELD, "block: a candidate is not let in");
	is_int(st[R_LIBFOO2], CAND, "block: the candidate stays out");
	ok(has(why[R_APP2], "only rejected versions provide it: "
	    "libfoo-2.0-1.x86_64"), "block: why names the rejected provider");
	why_free(why, R_N);
	plan_deps_free(pd);
}

/*
 * Many elements in one parse, as facts.c adds them: the elements
 * dependencies do not need are left out, whatever their text looks like.
 */
static void
test_rpm_many(void)
{
	struct plan_deps	*pd = plan_deps_new(MIRROR_RPMMD);
	unsigned char		 st[3] = { LISTED, LISTED, OUT };
	struct buf		 b;
	char			*raw[3], *why[3], *cause = NULL;
	const char		*d, *e;
	size_t			 lens[3], i;

	raw[0] = rpm_pkg("app", "1.0", "1", "noarch", NULL, "libq", NULL);
	raw[1] = rpm_pkg("solo", "1.0", "1", "noarch", NULL, NULL, NULL);
	raw[2] = rpm_pkg("libq", "1.0", "1", "x86_64", NULL, NULL, NULL);
	/* A description that reads like markup, and a summary closed at once. */
	d = strstr(raw[1], "<description>");
	e = strstr(raw[1], "</description>") + strlen("</description>");
	buf_init(&b);
	buf_add(&b, raw[1], d - raw[1]);
	buf_adds(&b, "<description>&lt;rpm:requires&gt; &lt;rpm:entry "
	    "name=\"libq\"/&gt;</description>\n  <summary/>");
	buf_add(&b, e, strlen(e) + 1);
	free(raw[1]);
	raw[1] = b.b_data;
	for (i = 0; i < 3; i++)
		lens[i] = strlen(raw[i]);
	is_int((int)plan_deps_add_many(pd, (const char *const *)raw, lens, 3,
	    &cause), 0, "many: three elements add in one parse");
	is_int(plan_deps_count(pd), 3, "many: three packages");
	is_int(plan_deps_seal(pd, &cause), 0, "many: seals");
	is_int(settle(pd, st, why, 0), 0, "many: settles");
	is_int(st[0], HELD, "many: app needs libq, out: held");
	is_int(st[1], LISTED, "many: a description's text is no requirement");
	why_free(why, 3);
	for (i = 0; i < 3; i++)
		free(raw[i]);
	free(cause);
	plan_deps_free(pd);
}

static void
test_rpm_allow(void)
{
	struct plan_deps	*pd = rpm_mirror();
	unsigned char		 st[R_N];
	char			*why[R_N];
	size_t			 i;

	for (i = 0; i < R_N; i++)
		st[i] = LISTED;
	st[R_LIBFOO2] = CAND;
	st[R_POSTFIX] = OUT;
	st[R_OLD] = CAND;
	st[R_LIBBAR] = CAND;
	st[R_LIBBAZ] = OUT;
	is_int(settle(pd, st, why, 1), 0, "allow: settles");
	is_int(st[R_LIBFOO2], LET_IN, "allow: rejected libfoo-2.0 let in");
	is_str(why[R_LIBFOO2], "needed by app-2.0-1.x86_64, which requires "
	    "libfoo = 2.0-1", "allow: why names the first listed version that needs it");
	is_int(st[R_APP2], LISTED, "allow: app-2.0 stays listed");
	is_int(st[R_X], LISTED, "allow: x stays listed");
	is_int(st[R_S], LISTED, "allow: s (Requires(pre)) stays listed");
	is_int(st[R_RICH_AND], LISTED, "allow: (a and b) met");
	is_int(st[R_U], HELD, "allow: an out provider is never let in");
	is_int(st[R_OLD], CAND, "allow: a candidate nothing needs stays out");
	ok(why[R_OLD] == NULL, "allow: and has no why");
	is_int(st[R_LIBBAR], CAND,
	    "allow: a candidate whose own needs fail is not let in");
	ok(why[R_LIBBAR] == NULL, "allow: and has no why");
	is_int(st[R_NEEDBAR], HELD, "allow: so what needs it is held");
	ok(has(why[R_NEEDBAR], "needs libbar") &&
	    has(why[R_NEEDBAR], "cannot be let in"), "allow: why says so");
	why_free(why, R_N);

	/* Held requirers let nothing in: app-2.0 held for /usr/bin/foo. */
	for (i = 0; i < R_N; i++)
		st[i] = OUT;
	st[R_APP2] = LISTED;
	st[R_LIBFOO2] = CAND;
	is_int(settle(pd, st, why, 1), 0, "allow, prune: settles");
	is_int(st[R_APP2], HELD, "allow, prune: app-2.0 needs foo-tools, out");
	ok(has(why[R_APP2], "needs /usr/bin/foo"), "allow, prune: why");
	is_int(st[R_LIBFOO2], CAND,
	    "allow, prune: what only a held version needed goes back");
	ok(why[R_LIBFOO2] == NULL, "allow, prune: with no why");
	why_free(why, R_N);
	plan_deps_free(pd);
}

/* The best candidate: the requirer's name and arch, then the highest version. */
static void
test_rpm_best(void)
{
	struct plan_deps	*pd;
	unsigned char		 st[5] = { LISTED, CAND, CAND, CAND, CAND };
	char			*why[5], *cause = NULL;
	int			 bad = 0;

	pd = plan_deps_new(MIRROR_RPMMD);
	bad |= add(pd, rpm_pkg("app", "3.0", "1", "x86_64", NULL,
	    "libfoo >= 2.0", NULL));
	bad |= add(pd, rpm_pkg("libfoo", "2.0", "1", "x86_64", NULL, NULL, NULL));
	bad |= add(pd, rpm_pkg("libfoo", "2.1", "1", "x86_64", NULL, NULL, NULL));
	bad |= add(pd, rpm_pkg("libfoo", "2.2", "1", "i686", NULL, NULL, NULL));
	bad |= add(pd, rpm_pkg("libfoo-compat", "9", "1", "x86_64",
	    "libfoo = 2.5-1", NULL, NULL));
	ok(!bad && plan_deps_seal(pd, &cause) == 0, "best: builds");
	is_int(settle(pd, st, why, 1), 0, "best: settles");
	ok(st[2] == LET_IN && st[1] == CAND && st[3] == CAND && st[4] == CAND,
	    "best: the highest libfoo of app's arch is let in, only it");
	why_free(why, 5);
	plan_deps_free(pd);
	free(cause);
}

static void
test_rpm_bad(void)
{
	struct plan_deps	*pd;
	unsigned char		 st[5];
	char			*why[5], *cause = NULL, *two, *p;
	const char		*junk = "<package type=\"rpm\"><name>broken</nam";
	size_t			 i;

	pd = plan_deps_new(MIRROR_RPMMD);
	ok(add(pd, rpm_pkg("lib", "1", "1", "noarch", "lib-api", NULL, NULL)) == 0,
	    "bad: a good one first");
	ok(plan_deps_add(pd, junk, strlen(junk), &cause) == -1 && cause != NULL,
	    "bad: a broken element fails with a cause");
	printf("# cause: %s\n", cause ? cause : "(null)");
	free(cause);
	cause = NULL;
	p = rpm_pkg("dup", "1", "1", "noarch", "lib-api", NULL, NULL);
	xasprintf(&two, "%s%s", p, p);
	ok(plan_deps_add(pd, two, strlen(two), &cause) == -1 && cause != NULL &&
	    strstr(cause, "2 packages") != NULL, "bad: two packages in one fail");
	printf("# cause: %s\n", cause ? cause : "(null)");
	free(cause);
	cause = NULL;
	free(two);
	free(p);
	ok(add(pd, rpm_pkg("app", "1", "1", "noarch", NULL, "lib-api", NULL)) == 0,
	    "bad: later ones still add");
	ok(add(pd, rpm_pkg("app2", "1", "1", "noarch", NULL, "dup", NULL)) == 0,
	    "bad: one more");
	is_int(plan_deps_count(pd), 5, "bad: failed ones keep their number");
	ok(plan_deps_seal(pd, &cause) == 0, "bad: seals");
	for (i = 0; i < 5; i++)
		st[i] = LISTED;
	st[0] = OUT;
	is_int(settle(pd, st, why, 0), 0, "bad: settles");
	is_int(st[3], HELD, "bad: numbers stay aligned (app needs lib-api, out)");
	is_int(st[4], LISTED,
	    "bad: what a broken element held provides nothing");
	ok(st[1] == LISTED && st[2] == LISTED, "bad: broken ones stay as they were");
	why_free(why, 5);
	plan_deps_free(pd);
	free(cause);
}

/* Packages stanzas as apt-ftparchive writes them. */
static const char *const debs[] = {
#define D_LIBFOO2 0
	"Package: libfoo1\nSource: libfoo\nVersion: 2.0-1\nArchitecture: amd64\n"
	"Maintainer: patchgate tests <tests@pgtest.invalid>\nInstalled-Size: 20\n"
	"Depends: libc6 (>= 2.34)\nMulti-Arch: same\n"
	"Filename: pool/main/libf/libfoo/libfoo1_2.0-1_amd64.deb\nSize: 1234\n"
	"SHA256: 3f62f0a1fe2a3f4d8b2c7e2ab1ef0c6c1b0e9d2c4f5a6b7c8d9e0f1a2b3c4d5e\n"
	"Section: libs\nPriority: optional\nDescription: foo library\n",
#define D_LIBFOO1 1
	"Package: libfoo1\nSource: libfoo\nVersion: 1.0-1\nArchitecture: amd64\n"
	"Depends: libc6 (>= 2.34)\nMulti-Arch: same\n"
	"Filename: pool/main/libf/libfoo/libfoo1_1.0-1_amd64.deb\nSize: 1200\n"
	"Description: foo library\n",
#define D_APP 2
	"Package: app\nVersion: 2.0-1\nArchitecture: amd64\n"
	"Depends: libfoo1 (>= 2.0), libc6 (>= 2.34)\n"
	"Filename: pool/main/a/app/app_2.0-1_amd64.deb\nSize: 99\n"
	"Description: an app\n an app, at length.\n",
#define D_ALT 3
	"Package: app-alt\nVersion: 1.0\nArchitecture: all\n"
	"Depends: libfoo1 (>= 2.0) | libfoo-compat\n"
	"Filename: pool/main/a/app-alt/app-alt_1.0_all.deb\nSize: 99\n"
	"Description: alternatives\n",
#define D_COMPAT 4
	"Package: libfoo-compat\nVersion: 1.0\nArchitecture: all\n"
	"Filename: pool/main/libf/libfoo-compat/libfoo-compat_1.0_all.deb\n"
	"Size: 99\nDescription: compat\n",
#define D_FOREIGN_ALT 5
	"Package: app-elsewhere\nVersion: 1.0\nArchitecture: all\n"
	"Depends: libfoo1 (>= 2.0) | libfoo-from-backports\n"
	"Filename: pool/main/a/app-elsewhere/app-elsewhere_1.0_all.deb\n"
	"Size: 99\nDescription: an alternative from elsewhere\n",
#define D_PRE 6
	"Package: pre\nVersion: 1.0\nArchitecture: all\n"
	"Pre-Depends: libfoo1 (>= 2.0)\n"
	"Filename: pool/main/p/pre/pre_1.0_all.deb\nSize: 99\n"
	"Description: pre-depends\n",
#define D_MUA 7
	"Package: mua\nVersion: 1.0\nArchitecture: all\n"
	"Depends: default-mta | mail-transport-agent\n"
	"Filename: pool/main/m/mua/mua_1.0_all.deb\nSize: 99\n"
	"Description: mail reader\n",
#define D_POSTFIX 8
	"Package: postfix\nVersion: 3.7.11-0+deb12u1\nArchitecture: amd64\n"
	"Provides: mail-transport-agent\n"
	"Filename: pool/main/p/postfix/postfix_3.7.11-0+deb12u1_amd64.deb\n"
	"Size: 99\nDescription: mta\n",
#define D_EXIM 9
	"Package: default-mta\nVersion: 1.0\nArchitecture: all\n"
	"Filename: pool/main/d/default-mta/default-mta_1.0_all.deb\n"
	"Size: 99\nDescription: mta\n",
#define D_N 10
};

static struct plan_deps *
apt_mirror(void)
{
	struct plan_deps	*pd;
	char			*cause = NULL;
	size_t			 i;
	int			 bad = 0;

	pd = plan_deps_new(MIRROR_APT);
	ok(pd != NULL, "apt: this libsolv reads Packages");
	for (i = 0; i < D_N; i++)
		bad |= add(pd, xstrdup(debs[i]));
	ok(!bad, "apt: every stanza adds");
	is_int(plan_deps_seal(pd, &cause), 0, "apt: seals");
	free(cause);
	return pd;
}

static void
test_apt(void)
{
	struct plan_deps	*pd = apt_mirror();
	unsigned char		 st[D_N];
	char			*why[D_N], *cause = NULL;
	const char		*two = "Package: a\nVersion: 1\n\nPackage: b\nVersion: 1\n";
	size_t			 i;

	for (i = 0; i < D_N; i++)
		st[i] = LISTED;
	st[D_LIBFOO2] = OUT;
	st[D_EXIM] = OUT;
	is_int(settle(pd, st, why, 0), 0, "apt block: settles");
	is_int(st[D_APP], HELD, "apt block: Depends libfoo1 (>= 2.0), out: held");
	is_str(why[D_APP], "needs libfoo1 (>= 2.0)", "apt block: why in dpkg's words");
	is_int(st[D_ALT], LISTED, "apt block: a | b met by b");
	is_int(st[D_FOREIGN_ALT], LISTED,
	    "apt block: a | b with b from another repository: ignored");
	is_int(st[D_PRE], HELD, "apt block: Pre-Depends counts");
	is_int(st[D_MUA], LISTED, "apt block: a virtual package, provided");
	is_int(st[D_LIBFOO1], LISTED, "apt block: libc6, from elsewhere, ignored");
	why_free(why, D_N);

	for (i = 0; i < D_N; i++)
		st[i] = LISTED;
	st[D_LIBFOO2] = CAND;
	st[D_COMPAT] = OUT;
	st[D_POSTFIX] = OUT;
	st[D_EXIM] = OUT;
	is_int(settle(pd, st, why, 1), 0, "apt allow: settles");
	is_int(st[D_LIBFOO2], LET_IN, "apt allow: libfoo1 2.0 let in");
	is_str(why[D_LIBFOO2], "needed by app:amd64 (2.0-1), which depends on "
	    "libfoo1 (>= 2.0)", "apt allow: why names app");
	ok(st[D_APP] == LISTED && st[D_ALT] == LISTED && st[D_PRE] == LISTED,
	    "apt allow: its users stay listed");
	is_int(st[D_MUA], HELD, "apt allow: no MTA at all: held");
	is_str(why[D_MUA], "needs default-mta | mail-transport-agent",
	    "apt allow: why shows the alternatives");
	why_free(why, D_N);
	plan_deps_free(pd);

	pd = plan_deps_new(MIRROR_APT);
	ok(plan_deps_add(pd, two, strlen(two), &cause) == -1 && cause != NULL,
	    "apt: two stanzas in one fail");
	free(cause);
	plan_deps_free(pd);
}

int
main(void)
{
	test_rpm_block();
	test_rpm_many();
	test_rpm_allow();
	test_rpm_best();
	test_rpm_bad();
	test_apt();
	return done_testing();
}
