/*
 * Unit tests of the rpm-md parsers: small documents written here for each
 * rule and each way a document can be wrong, then the real metadata under
 * shared/corpora (skipped when absent), where every element handed out
 * must be byte for byte the bytes of the decompressed document at its
 * offset, however the stream is cut into pieces.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compress.h"
#include "hash.h"
#include "rpmmd.h"
#include "rpmmd_xml.h"
#include "util.h"
#include "xmalloc.h"

#include "tap.h"

static char	*corpora;

static void
skip(const char *why)
{
	tap_n++;
	printf("ok %d # SKIP %s\n", tap_n, why);
}

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
has_prefix(const char *s, const char *prefix)
{
	return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

static int
contains(const char *s, const char *what)
{
	return s != NULL && strstr(s, what) != NULL;
}

/*
 * A reader over memory handing out pieces of pseudo-random sizes up to
 * pr_max (0: as much as asked), so that element boundaries fall anywhere
 * in the chunks fed to the parser.
 */
struct piecereader {
	const char	*pr_data;
	size_t		 pr_len;
	size_t		 pr_off;
	size_t		 pr_max;
	unsigned int	 pr_seed;
	size_t		 pr_fail_at;	/* fail once past this offset (0: never) */
};

static ssize_t
piece_read(void *arg, void *buf, size_t len, char **cause)
{
	struct piecereader	*pr = arg;
	size_t			 n;

	if (pr->pr_fail_at != 0 && pr->pr_off >= pr->pr_fail_at) {
		cause_set(cause, "boom: disk on fire");
		return -1;
	}
	n = pr->pr_len - pr->pr_off;
	if (n > len)
		n = len;
	if (pr->pr_max != 0) {
		pr->pr_seed = pr->pr_seed * 1103515245 + 12345;
		if (n > 1 + (pr->pr_seed >> 8) % pr->pr_max)
			n = 1 + (pr->pr_seed >> 8) % pr->pr_max;
	}
	memcpy(buf, pr->pr_data + pr->pr_off, n);
	pr->pr_off += n;
	return n;
}

static void
piece_init(struct piecereader *pr, const char *data, size_t len, size_t max)
{
	memset(pr, 0, sizeof *pr);
	pr->pr_data = data;
	pr->pr_len = len;
	pr->pr_max = max;
	pr->pr_seed = 42 + max;
}

/* What the package callback saw. */
struct pkgrec {
	char		*name, *arch, *epoch, *ver, *rel, *pkgid, *cktype;
	char		*loc, *base, *srpm, *raw;
	long long	 size, time, offset;
	size_t		 rawlen;
	long		 line;
};

struct pkgs {
	size_t		 n;
	struct pkgrec	*v;		/* when keep */
	size_t		 size;
	int		 keep;
	const char	*doc;		/* check raw bytes against it */
	size_t		 doclen;
	size_t		 bad;		/* raw bytes that differ */
	size_t		 badshape;	/* raw not "<...>" */
	size_t		 stop_at;	/* fail the callback at this package */
	long long	 lastoff;
	int		 order_bad;	/* offsets not increasing */
};

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static int
pkg_cb(const struct rpmmd_package *p, void *arg)
{
	struct pkgs	*ps = arg;
	struct pkgrec	*r;

	if (ps->doc != NULL && (p->rp_offset < 0 ||
	    (size_t)p->rp_offset + p->rp_rawlen > ps->doclen ||
	    memcmp(ps->doc + p->rp_offset, p->rp_raw, p->rp_rawlen) != 0))
		ps->bad++;
	if (p->rp_rawlen < 3 || p->rp_raw[0] != '<' ||
	    p->rp_raw[p->rp_rawlen - 1] != '>')
		ps->badshape++;
	if (ps->n > 0 && p->rp_offset <= ps->lastoff)
		ps->order_bad = 1;
	ps->lastoff = p->rp_offset;
	if (ps->keep) {
		if (ps->n == ps->size) {
			ps->size = ps->size ? ps->size * 2 : 64;
			ps->v = xreallocarray(ps->v, ps->size, sizeof *ps->v);
		}
		r = &ps->v[ps->n];
		r->name = dup_or_null(p->rp_name);
		r->arch = dup_or_null(p->rp_arch);
		r->epoch = dup_or_null(p->rp_epoch);
		r->ver = dup_or_null(p->rp_version);
		r->rel = dup_or_null(p->rp_release);
		r->pkgid = dup_or_null(p->rp_pkgid);
		r->cktype = dup_or_null(p->rp_checksum_type);
		r->loc = dup_or_null(p->rp_location);
		r->base = dup_or_null(p->rp_location_base);
		r->srpm = dup_or_null(p->rp_sourcerpm);
		r->raw = xstrndup(p->rp_raw, p->rp_rawlen);
		r->rawlen = p->rp_rawlen;
		r->size = p->rp_size;
		r->time = p->rp_time_file;
		r->offset = p->rp_offset;
		r->line = p->rp_line;
	}
	ps->n++;
	if (ps->stop_at != 0 && ps->n == ps->stop_at)
		return -1;
	return 0;
}

static void
pkgs_free(struct pkgs *ps)
{
	size_t	i;

	for (i = 0; i < (ps->keep ? ps->n : 0); i++) {
		free(ps->v[i].name);
		free(ps->v[i].arch);
		free(ps->v[i].epoch);
		free(ps->v[i].ver);
		free(ps->v[i].rel);
		free(ps->v[i].pkgid);
		free(ps->v[i].cktype);
		free(ps->v[i].loc);
		free(ps->v[i].base);
		free(ps->v[i].srpm);
		free(ps->v[i].raw);
	}
	free(ps->v);
	memset(ps, 0, sizeof *ps);
}

/* Parses a document held in memory, in pieces of up to max bytes. */
static int
parse_mem(const char *doc, size_t len, size_t max, struct pkgs *ps,
    char **root, char **cause)
{
	struct piecereader	pr;

	piece_init(&pr, doc, len, max);
	return rpmmd_packages_parse(piece_read, &pr, "t.xml", pkg_cb, ps, root,
	    cause);
}

/* Expects a parse of doc to fail with a message holding want. */
static void
bad_doc(const char *doc, size_t len, const char *want, const char *name)
{
	struct pkgs	 ps;
	char		*cause = NULL, *root = NULL;
	int		 rv;

	memset(&ps, 0, sizeof ps);
	rv = parse_mem(doc, len, 0, &ps, &root, &cause);
	ok(rv == -1 && contains(cause, want) && has_prefix(cause, "t.xml: "),
	    "%s: %s", name, cause != NULL ? cause : "(no error)");
	if (rv != -1 || !contains(cause, want))
		printf("#   want \"%s\"\n", want);
	ok(root == NULL, "%s: no root start on error", name);
	free(cause);
	free(root);
	pkgs_free(&ps);
}

static const char primary_doc[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<metadata xmlns=\"http://linux.duke.edu/metadata/common\" "
    "xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"2\">\n"
    "<package type=\"rpm\">\n"
    "  <name>foo&amp;bar</name>\n"
    "  <arch>x86_64</arch>\n"
    "  <version epoch=\"1\" ver=\"2.0\" rel=\"3.el9\"/>\n"
    "  <checksum type=\"sha\" pkgid=\"YES\">abc123</checksum>\n"
    "  <summary>A &lt;test&gt; package with &#233; and <![CDATA[<x>]]></summary>\n"
    "  <time file=\"1640100835\" build=\"1639745258\"/>\n"
    "  <size package=\"1203105\" installed=\"4272086\" archive=\"4303344\"/>\n"
    "  <location xml:base=\"http://mirror.example/el9/\" "
    "href=\"Packages/foo-2.0-3.el9.x86_64.rpm\"/>\n"
    "  <format>\n"
    "    <rpm:sourcerpm>foo-2.0-3.el9.src.rpm</rpm:sourcerpm>\n"
    "    <rpm:provides><rpm:entry name=\"a&gt;b\" flags=\"EQ\"/></rpm:provides>\n"
    "  </format>\n"
    "</package>\n"
    "<!-- a comment with <package> in it -->\n"
    "<package\n type='rpm'><name>bar</name><arch>src</arch>"
    "<version ver=\"1\" rel=\"1\"/>"
    "<checksum type=\"sha256\" pkgid=\"YES\">def</checksum>"
    "<location href=\"x/bar&amp;baz&#x26;&#38;q-1-1.src.rpm\"/>"
    "<format><rpm:sourcerpm/></format></package>\n"
    "</metadata>\n";

/*
 * The first start tag named tag at or after from, or NULL (memmem would
 * do, but under ASan it checks the whole haystack on every call).
 */
static const char *
find_tag(const char *doc, size_t len, size_t from, const char *tag)
{
	const char	*p = doc + from, *end = doc + len;
	size_t		 tl = strlen(tag);

	while ((p = memchr(p, '<', end - p)) != NULL) {
		if ((size_t)(end - p) > tl && memcmp(p, tag, tl) == 0 &&
		    strchr(" \t\r\n>/", p[tl]) != NULL)
			return p;
		p++;
	}
	return NULL;
}

/* The offsets of each "<package" start tag in a document, to compare. */
static size_t
find_all(const char *doc, size_t len, const char *tag, long long *offs,
    size_t max)
{
	const char	*p;
	size_t		 n = 0, from = 0;

	while ((p = find_tag(doc, len, from, tag)) != NULL) {
		if (n < max)
			offs[n] = p - doc;
		n++;
		from = p - doc + 1;
	}
	return n;
}

static void
test_primary_small(void)
{
	struct pkgs	 ps;
	char		*cause = NULL, *root = NULL;
	const char	*end2;
	size_t		 len = strlen(primary_doc), maxes[] = { 0, 1, 2, 3, 5,
			     7, 13, 64, 1000 };
	size_t		 i, j, good;
	long long	 offs[2];
	int		 rv;

	memset(&ps, 0, sizeof ps);
	ps.keep = 1;
	ps.doc = primary_doc;
	ps.doclen = len;
	rv = parse_mem(primary_doc, len, 0, &ps, &root, &cause);
	ok(rv == 0, "small primary parses%s%s", cause ? ": " : "",
	    cause ? cause : "");
	is_int(ps.n, 2, "two packages");
	if (ps.n != 2) {
		pkgs_free(&ps);
		free(root);
		free(cause);
		return;
	}
	is_str(root, "<metadata xmlns=\"http://linux.duke.edu/metadata/common\" "
	    "xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"2\">",
	    "root start tag, exact");
	is_str(ps.v[0].name, "foo&bar", "name with an entity");
	is_str(ps.v[0].arch, "x86_64", "arch");
	is_str(ps.v[0].epoch, "1", "epoch");
	is_str(ps.v[0].ver, "2.0", "version");
	is_str(ps.v[0].rel, "3.el9", "release");
	is_str(ps.v[0].pkgid, "abc123", "pkgid");
	is_str(ps.v[0].cktype, "sha1", "checksum type sha canonical as sha1");
	is_str(ps.v[0].loc, "Packages/foo-2.0-3.el9.x86_64.rpm", "location");
	is_str(ps.v[0].base, "http://mirror.example/el9/", "xml:base");
	is_str(ps.v[0].srpm, "foo-2.0-3.el9.src.rpm", "sourcerpm");
	is_int(ps.v[0].size, 1203105, "size package");
	is_int(ps.v[0].time, 1640100835, "time file");
	is_int(ps.v[0].line, 3, "line of the first package");
	is_str(ps.v[1].name, "bar", "second name");
	is_str(ps.v[1].epoch, "0", "absent epoch is 0");
	is_str(ps.v[1].cktype, "sha256", "sha256");
	is_str(ps.v[1].loc, "x/bar&baz&&q-1-1.src.rpm",
	    "&amp; and character references in an attribute");
	ok(ps.v[1].base == NULL, "no xml:base");
	is_str(ps.v[1].srpm, "", "empty sourcerpm of a source package");
	is_int(ps.v[1].size, -1, "no size");
	is_int(ps.v[1].time, -1, "no time");
	is_int(ps.v[1].line, 18, "line of a start tag spanning two lines");
	/* (find_all would count the <package> in the comment.) */
	offs[0] = strstr(primary_doc, "<package type=\"rpm\">") - primary_doc;
	offs[1] = strstr(primary_doc, "<package\n type=") - primary_doc;
	is_int(ps.v[0].offset, offs[0], "offset of the first package");
	is_int(ps.v[1].offset, offs[1], "offset of the second package");
	end2 = strstr(primary_doc, "</package>\n</metadata>");
	is_int(ps.v[1].rawlen, end2 + 10 - (primary_doc + offs[1]),
	    "length of the second package");
	ok(ps.bad == 0 && ps.badshape == 0, "raw bytes equal the document's");
	ok(has_prefix(ps.v[0].raw, "<package type=\"rpm\">\n  <name>") &&
	    strcmp(ps.v[0].raw + ps.v[0].rawlen - 12, "\n</package>") != 0 &&
	    strcmp(ps.v[0].raw + ps.v[0].rawlen - 10, "</package>") == 0,
	    "raw runs from '<' to '>'");
	pkgs_free(&ps);
	free(root);

	/* The same results however the stream is cut. */
	good = 0;
	for (i = 0; i < sizeof maxes / sizeof maxes[0]; i++) {
		for (j = 0; j < 3; j++) {
			memset(&ps, 0, sizeof ps);
			ps.keep = 1;
			ps.doc = primary_doc;
			ps.doclen = len;
			root = NULL;
			rv = parse_mem(primary_doc, len, maxes[i] + j, &ps,
			    &root, &cause);
			if (rv == 0 && ps.n == 2 && ps.bad == 0 &&
			    ps.v[0].offset == offs[0] &&
			    ps.v[1].offset == offs[1] && ps.v[0].line == 3 &&
			    ps.v[1].line == 18 &&
			    strcmp(ps.v[1].loc, "x/bar&baz&&q-1-1.src.rpm") == 0 &&
			    root != NULL && has_prefix(root, "<metadata xmlns"))
				good++;
			else
				printf("# pieces of %zu: rv %d n %zu bad %zu\n",
				    maxes[i] + j, rv, ps.n, ps.bad);
			pkgs_free(&ps);
			free(root);
		}
	}
	is_int(good, 3 * sizeof maxes / sizeof maxes[0],
	    "same packages, offsets and lines in pieces of 1 byte and up");
}

static void
test_primary_forms(void)
{
	struct pkgs	 ps;
	struct buf	 b;
	char		*cause = NULL, *root = NULL;
	const char	*crlf, *empty;
	long long	 offs[2];
	int		 rv;

	/* A byte order mark and CRLF line ends: offsets count every byte. */
	buf_init(&b);
	buf_adds(&b, "\xef\xbb\xbf<?xml version=\"1.0\"?>\r\n<metadata "
	    "packages=\"1\">\r\n<package type=\"rpm\">\r\n<name>a</name>"
	    "<arch>noarch</arch>\r\n<version epoch=\"\" ver=\"1\" rel=\"2\"/>"
	    "<checksum type=\"sha512\">ff</checksum>\r\n"
	    "<location href=\"a.rpm\"/>\r\n</package>\r\n</metadata>\r\n");
	memset(&ps, 0, sizeof ps);
	ps.keep = 1;
	ps.doc = b.b_data;
	ps.doclen = b.b_len;
	rv = parse_mem(b.b_data, b.b_len, 3, &ps, &root, &cause);
	ok(rv == 0 && ps.n == 1, "BOM and CRLF document parses");
	offs[0] = -1;
	find_all(b.b_data, b.b_len, "<package", offs, 1);
	ok(ps.n == 1 && ps.v[0].offset == offs[0] && ps.bad == 0 &&
	    ps.v[0].line == 3 && strcmp(ps.v[0].epoch, "0") == 0 &&
	    strcmp(ps.v[0].cktype, "sha512") == 0,
	    "BOM and CRLF: offset, raw bytes, line, empty epoch is 0");
	is_str(root, "<metadata packages=\"1\">", "root start without xmlns");
	crlf = ps.n == 1 ? ps.v[0].raw : "";
	ok(strstr(crlf, "\r\n<location") != NULL, "CRLF kept in raw bytes");
	pkgs_free(&ps);
	free(root);
	root = NULL;
	free(cause);
	cause = NULL;
	buf_free(&b);

	/* An empty primary, written as an empty element. */
	empty = "<?xml version=\"1.0\"?>\n<metadata xmlns=\"x:y\" "
	    "packages=\"0\"/>\n";
	memset(&ps, 0, sizeof ps);
	rv = parse_mem(empty, strlen(empty), 0, &ps, &root, &cause);
	ok(rv == 0 && ps.n == 0, "empty primary parses");
	is_str(root, "<metadata xmlns=\"x:y\" packages=\"0\">",
	    "empty root element gives an open start tag");
	free(root);
	root = NULL;

	/* Elements other than <package> under the root are skipped. */
	empty = "<metadata><other><package/></other></metadata>";
	memset(&ps, 0, sizeof ps);
	rv = parse_mem(empty, strlen(empty), 0, &ps, NULL, &cause);
	ok(rv == 0 && ps.n == 0, "other children of the root are skipped");
	pkgs_free(&ps);
}

static const char filelists_doc[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<filelists xmlns=\"http://linux.duke.edu/metadata/filelists\" "
    "packages=\"2\">\n"
    "<package pkgid=\"aa11\" name=\"foo\" arch=\"x86_64\">\n"
    "  <version epoch=\"2\" ver=\"1.0\" rel=\"1\"/>\n"
    "  <file>/usr/bin/foo</file>\n"
    "  <file type=\"dir\">/usr/share/foo</file>\n"
    "</package>\n"
    "<package pkgid=\"bb22\" name=\"a&amp;b\" arch=\"noarch\"><version "
    "ver=\"3\" rel=\"4\"/></package>\n"
    "</filelists>\n";

static const char other_doc[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<otherdata xmlns=\"http://linux.duke.edu/metadata/other\" "
    "packages=\"1\">\n"
    "<package pkgid=\"aa11\" name=\"foo\" arch=\"x86_64\">\n"
    "  <version epoch=\"0\" ver=\"1.0\" rel=\"1\"/>\n"
    "  <changelog author=\"A &lt;a@example.org&gt; - 1.0-1\" "
    "date=\"1600000000\">- first</changelog>\n"
    "</package>\n"
    "</otherdata>\n";

static void
test_filelists_other(void)
{
	struct pkgs	 ps;
	char		*cause = NULL, *root = NULL;
	int		 rv;

	memset(&ps, 0, sizeof ps);
	ps.keep = 1;
	ps.doc = filelists_doc;
	ps.doclen = strlen(filelists_doc);
	rv = parse_mem(filelists_doc, strlen(filelists_doc), 0, &ps, &root,
	    &cause);
	ok(rv == 0 && ps.n == 2, "small filelists parses");
	if (ps.n == 2) {
		is_str(ps.v[0].pkgid, "aa11", "filelists pkgid");
		is_str(ps.v[0].name, "foo", "filelists name");
		is_str(ps.v[0].arch, "x86_64", "filelists arch");
		is_str(ps.v[0].epoch, "2", "filelists epoch");
		is_str(ps.v[0].ver, "1.0", "filelists version");
		ok(ps.v[0].loc == NULL && ps.v[0].cktype == NULL &&
		    ps.v[0].size == -1, "no primary fields in filelists");
		is_str(ps.v[1].name, "a&b", "filelists name with an entity");
		is_str(ps.v[1].epoch, "0", "filelists absent epoch");
		ok(ps.bad == 0, "filelists raw bytes");
	}
	is_str(root, "<filelists xmlns=\"http://linux.duke.edu/metadata/"
	    "filelists\" packages=\"2\">", "filelists root start");
	pkgs_free(&ps);
	free(root);
	root = NULL;

	memset(&ps, 0, sizeof ps);
	ps.keep = 1;
	ps.doc = other_doc;
	ps.doclen = strlen(other_doc);
	rv = parse_mem(other_doc, strlen(other_doc), 0, &ps, &root, &cause);
	ok(rv == 0 && ps.n == 1 && ps.bad == 0 &&
	    strcmp(ps.v[0].pkgid, "aa11") == 0 &&
	    strcmp(ps.v[0].rel, "1") == 0, "small other parses");
	pkgs_free(&ps);
	free(root);
}

static void
test_root_with_count(void)
{
	char	*s;

	s = rpmmd_root_with_count("<metadata xmlns=\"a\" packages=\"1125\">",
	    7);
	is_str(s, "<metadata xmlns=\"a\" packages=\"7\">", "count replaced");
	free(s);
	s = rpmmd_root_with_count("<metadata\n  xmlns=\"a\"\n  packages='12'\n>",
	    0);
	is_str(s, "<metadata\n  xmlns=\"a\"\n  packages='0'\n>",
	    "count in single quotes, layout kept");
	free(s);
	s = rpmmd_root_with_count("<filelists xmlns=\"a\">", 3);
	is_str(s, "<filelists xmlns=\"a\" packages=\"3\">", "count added");
	free(s);
	s = rpmmd_root_with_count("<otherdata>", 30);
	is_str(s, "<otherdata packages=\"30\">", "count added to a bare tag");
	free(s);
	s = rpmmd_root_with_count("<metadata x=\" packages='9'\" "
	    "xmlns:packages=\"u\" packages=\"2\">", 5);
	is_str(s, "<metadata x=\" packages='9'\" xmlns:packages=\"u\" "
	    "packages=\"5\">", "only the packages attribute itself");
	free(s);
	s = rpmmd_root_with_count("<metadata packages = \"2\" a=\"b\">",
	    4000000000UL);
	is_str(s, "<metadata packages = \"4000000000\" a=\"b\">",
	    "blanks around = and a large count");
	free(s);
}

static void
test_bad_documents(void)
{
	struct pkgs		 ps;
	struct piecereader	 pr;
	struct buf		 b;
	char			*cause = NULL, *root = NULL;
	const char		*p;
	double			 t0;
	size_t			 cut;
	int			 i, rv;

	p = "<?xml version=\"1.0\"?>\n<metadata>\n<package>\n"
	    "<name>x</arch>\n</package>\n</metadata>\n";
	bad_doc(p, strlen(p), "t.xml: line 4: Opening and ending tag "
	    "mismatch: name line 4 and arch", "mismatched tag");

	/* Truncated anywhere: in a package, between packages, at the end. */
	cut = strstr(primary_doc, "<arch>src") - primary_doc;
	bad_doc(primary_doc, cut, "t.xml: line 19: truncated document: the "
	    "data ends inside <package> of line 18", "truncated in a package");
	cut = strstr(primary_doc, "</metadata>") - primary_doc;
	bad_doc(primary_doc, cut, "t.xml: line 19: truncated document: the "
	    "data ends inside <metadata> of line 2", "truncated before the "
	    "root end tag");
	cut = strstr(primary_doc, "</rpm:sourcerpm>") - primary_doc + 5;
	bad_doc(primary_doc, cut, "t.xml: line 13: ", "truncated in an end "
	    "tag");
	bad_doc(primary_doc, 30, "t.xml: line 1: ", "truncated in the prolog");
	bad_doc("", 0, "t.xml: line 1: empty document", "empty document");
	bad_doc("<?xml version=\"1.0\"?>\n\n", 23, "t.xml: line 3: empty "
	    "document", "document without a root element");
	memset(&ps, 0, sizeof ps);
	cut = strstr(primary_doc, "<arch>src") - primary_doc;
	rv = parse_mem(primary_doc, cut, 0, &ps, NULL, &cause);
	ok(rv == -1 && ps.n == 1, "packages before the truncation were seen "
	    "(%zu)", ps.n);
	free(cause);
	cause = NULL;

	/* DTDs and entities. */
	buf_init(&b);
	buf_adds(&b, "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
	    " <!ENTITY lol \"lol\">\n");
	for (i = 1; i < 10; i++)
		buf_addf(&b, " <!ENTITY lol%d \"&lol%s;&lol%s;&lol%s;&lol%s;"
		    "&lol%s;&lol%s;&lol%s;&lol%s;&lol%s;&lol%s;\">\n", i,
		    "", "", "", "", "", "", "", "", "", "");
	buf_adds(&b, "]>\n<metadata><package><name>&lol9;</name>"
	    "</package></metadata>\n");
	t0 = now();
	bad_doc(b.b_data, b.b_len, "t.xml: line 2: DTD and entities are not "
	    "allowed", "billion laughs");
	ok(now() - t0 < 1.0, "billion laughs refused at once");
	buf_free(&b);
	p = "<?xml version=\"1.0\"?>\n<!DOCTYPE metadata SYSTEM "
	    "\"http://example.org/metadata.dtd\">\n<metadata/>\n";
	bad_doc(p, strlen(p), "DTD and entities are not allowed", "DOCTYPE");
	p = "<?xml version=\"1.0\"?>\n<!DOCTYPE m [<!ENTITY x SYSTEM "
	    "\"file:///etc/passwd\">]>\n<metadata>&x;</metadata>\n";
	bad_doc(p, strlen(p), "DTD and entities are not allowed",
	    "external entity");
	p = "<?xml version=\"1.0\"?>\n<metadata>\n<package><name>&x;</name>"
	    "</package></metadata>\n";
	bad_doc(p, strlen(p), "t.xml: line 3: Entity 'x' not defined",
	    "undeclared entity");

	/* Encodings. */
	p = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<metadata>"
	    "</metadata>\n";
	bad_doc(p, strlen(p), "encoding", "ISO-8859-1 refused");
	p = "<?xml version=\"1.0\"?>\n<metadata><package><name>caf\xe9</name>"
	    "</package></metadata>\n";
	bad_doc(p, strlen(p), "t.xml: line 2: ", "invalid UTF-8");
	bad_doc("\xff\xfe<\0m\0e\0t\0a\0d\0a\0t\0a\0/\0>\0", 24,
	    "t.xml: line 1: encoding UTF-16LE is not supported (only UTF-8)",
	    "UTF-16 refused");
	bad_doc("\xff\xfe\x00\xdc<\0m\0/\0>\0", 12, "t.xml: line 1: ",
	    "broken UTF-16");
	p = "<?xml version=\"1.0\" encoding=\"EUC-JP\"?><m>\xff\xff</m>";
	bad_doc(p, strlen(p), "t.xml: line 1: input conversion failed",
	    "broken EUC-JP");

	/* Documents that are well-formed but not package documents. */
	p = "<?xml version=\"1.0\"?>\n<repomd/>\n";
	bad_doc(p, strlen(p), "t.xml: line 2: root element is <repomd>",
	    "wrong root element");
	p = "<metadata>\n<package><arch>x</arch><version ver=\"1\" rel=\"1\"/>"
	    "<checksum type=\"sha256\">a</checksum><location href=\"a\"/>"
	    "</package></metadata>";
	bad_doc(p, strlen(p), "t.xml: line 2: <package> without <name>",
	    "package without name");
	p = "<metadata>\n\n<package><name>n</name><arch>x</arch><version "
	    "ver=\"1\" rel=\"1\"/><checksum type=\"crc32\">a</checksum>"
	    "<location href=\"a\"/></package></metadata>";
	bad_doc(p, strlen(p), "t.xml: line 3: <package> of n: unknown "
	    "checksum type \"crc32\"", "unknown checksum type");
	p = "<metadata>\n<package><name>n</name><arch>x</arch><version "
	    "ver=\"1\" rel=\"1\"/><checksum type=\"sha256\">a</checksum>"
	    "</package></metadata>";
	bad_doc(p, strlen(p), "<package> of n without <location href=>",
	    "package without location");
	p = "<filelists>\n<package name=\"n\" arch=\"x\"><version ver=\"1\" "
	    "rel=\"1\"/></package></filelists>";
	bad_doc(p, strlen(p), "t.xml: line 2: <package> of n without pkgid=",
	    "filelists package without pkgid");
	p = "<metadata><package a=\"1\" a=\"2\"/></metadata>";
	bad_doc(p, strlen(p), "t.xml: line 1: Attribute a redefined",
	    "duplicate attribute");
	p = "<metadata><package><name>x<</name></package></metadata>";
	bad_doc(p, strlen(p), "t.xml: line 1: ", "raw < in text");
	p = "<metadata></metadata><metadata></metadata>";
	bad_doc(p, strlen(p), "Extra content at the end of the document",
	    "two root elements");

	/* Nesting. */
	buf_init(&b);
	buf_adds(&b, "<metadata>\n<package>");
	for (i = 0; i < 40; i++)
		buf_adds(&b, "<a>");
	for (i = 0; i < 40; i++)
		buf_adds(&b, "</a>");
	buf_adds(&b, "</package></metadata>");
	bad_doc(b.b_data, b.b_len, "t.xml: line 2: elements nested deeper "
	    "than 32 levels", "nesting too deep");
	buf_free(&b);

	/* A read error carries the reader's cause. */
	memset(&ps, 0, sizeof ps);
	piece_init(&pr, primary_doc, strlen(primary_doc), 100);
	pr.pr_fail_at = 200;
	rv = rpmmd_packages_parse(piece_read, &pr, "t.xml", pkg_cb, &ps, &root,
	    &cause);
	ok(rv == -1 && cause != NULL && strcmp(cause, "boom: disk on fire") ==
	    0 && root == NULL, "read error: %s", cause ? cause : "(none)");
	free(cause);
	cause = NULL;

	/* A callback that fails stops the parse, leaving cause to it. */
	memset(&ps, 0, sizeof ps);
	ps.stop_at = 1;
	rv = parse_mem(primary_doc, strlen(primary_doc), 0, &ps, &root, &cause);
	ok(rv == -1 && ps.n == 1 && cause == NULL && root == NULL,
	    "failing callback stops after one package, cause untouched");
	free(cause);
}

/*
 * A generated filelists stream: npkgs packages of nfiles files each, or
 * (npkgs 0) one package whose file list never ends, to check the element
 * size limit and that memory does not follow the document's size.
 */
struct genreader {
	unsigned long	 g_npkgs;
	unsigned long	 g_nfiles;
	unsigned long	 g_i;
	int		 g_state;	/* 0 header, 1 packages, 2 end, 3 eof */
	struct buf	 g_buf;
	size_t		 g_off;
	long long	 g_total;
	long long	 g_cap;		/* endless package: stop after this */
};

static void
gen_fill(struct genreader *g)
{
	unsigned long	j;

	buf_reset(&g->g_buf);
	g->g_off = 0;
	switch (g->g_state) {
	case 0:
		buf_adds(&g->g_buf, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<filelists xmlns=\"http://linux.duke.edu/metadata/"
		    "filelists\" packages=\"0\">\n");
		if (g->g_npkgs == 0)
			buf_adds(&g->g_buf, "<package pkgid=\"0\" name=\"big\" "
			    "arch=\"x86_64\">\n  <version epoch=\"0\" ver=\"1\" "
			    "rel=\"1\"/>\n");
		g->g_state = 1;
		break;
	case 1:
		if (g->g_npkgs == 0) {
			for (j = 0; j < 1000; j++)
				buf_adds(&g->g_buf, "  <file>/usr/share/doc/big/"
				    "a-file-with-a-longer-name.txt</file>\n");
			if (g->g_total >= g->g_cap)
				g->g_state = 3;
			break;
		}
		buf_addf(&g->g_buf, "<package pkgid=\"%lu\" name=\"p%lu\" "
		    "arch=\"x86_64\">\n  <version epoch=\"0\" ver=\"1\" "
		    "rel=\"1\"/>\n", g->g_i, g->g_i);
		for (j = 0; j < g->g_nfiles; j++)
			buf_addf(&g->g_buf, "  <file>/usr/lib/p%lu/file%lu"
			    "</file>\n", g->g_i, j);
		buf_adds(&g->g_buf, "</package>\n");
		if (++g->g_i == g->g_npkgs)
			g->g_state = 2;
		break;
	case 2:
		buf_adds(&g->g_buf, "</filelists>\n");
		g->g_state = 3;
		break;
	}
}

static ssize_t
gen_read(void *arg, void *buf, size_t len, char **cause)
{
	struct genreader	*g = arg;
	size_t			 n;

	if (g->g_off == g->g_buf.b_len) {
		if (g->g_state == 3)
			return 0;
		gen_fill(g);
	}
	n = g->g_buf.b_len - g->g_off;
	if (n > len)
		n = len;
	memcpy(buf, g->g_buf.b_data + g->g_off, n);
	g->g_off += n;
	g->g_total += n;
	return n;
}

static long
maxrss_kb(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static void
test_limits(void)
{
	struct genreader	 g;
	struct pkgs		 ps;
	char			*cause = NULL;
	double			 t0;
	long			 rss0;
	size_t			 i;
	int			 rv;

	/*
	 * 200,000 packages, about 95 MB: the window never holds more than
	 * a few, so the peak memory does not grow with the document (checked
	 * without ASan, whose quarantine keeps freed memory around).
	 */
	memset(&g, 0, sizeof g);
	g.g_npkgs = 200000;
	g.g_nfiles = 10;
	memset(&ps, 0, sizeof ps);
	rss0 = maxrss_kb();
	t0 = now();
	rv = rpmmd_packages_parse(gen_read, &g, "t.xml", pkg_cb, &ps, NULL,
	    &cause);
	ok(rv == 0 && ps.n == 200000 && ps.badshape == 0 && !ps.order_bad,
	    "200,000 generated packages (%lld MB) stream through in %.2f s",
	    g.g_total / 1000000, now() - t0);
#if defined(__SANITIZE_ADDRESS__)
	(void)rss0;
	skip("peak memory not measured under ASan");
#else
	ok(maxrss_kb() - rss0 < 16 * 1024, "peak memory grew by %ld kB "
	    "for a %lld MB document", maxrss_kb() - rss0,
	    g.g_total / 1000000);
#endif
	free(cause);
	cause = NULL;
	buf_free(&g.g_buf);

	memset(&g, 0, sizeof g);
	g.g_cap = RPMMD_XML_MAXELEMENT + 16LL * 1024 * 1024;
	memset(&ps, 0, sizeof ps);
	rv = rpmmd_packages_parse(gen_read, &g, "t.xml", pkg_cb, &ps, NULL,
	    &cause);
	ok(rv == -1 && contains(cause, "t.xml: line 3: a <package> element "
	    "larger than 16 MiB"), "package over 16 MiB refused: %s",
	    cause ? cause : "(none)");
	ok(g.g_total < RPMMD_XML_MAXELEMENT + 2LL * 1024 * 1024, "refused "
	    "once past the limit (read %lld bytes)", g.g_total);
	free(cause);
	buf_free(&g.g_buf);

	/* One text the parser reads (a <name>) is bounded on its own. */
	{
		struct buf	 b;

		buf_init(&b);
		buf_adds(&b, "<metadata>\n<package type=\"rpm\"><name>");
		for (i = 0; i < RPMMD_XML_MAXTEXT / 64 + 1; i++)
			buf_adds(&b, "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn");
		buf_adds(&b, "</name></package>\n</metadata>\n");
		bad_doc(b.b_data, b.b_len, "line 2: text of <name> larger than "
		    "4 MiB", "a <name> over 4 MiB");
		buf_free(&b);
	}
}

/* susedata: filtered like filelists, keyed by pkgid alone. */
static void
test_susedata(void)
{
	static const char doc[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<susedata xmlns=\"http://linux.duke.edu/metadata/susedata\" "
	    "packages=\"2\">\n"
	    "<package pkgid=\"aaaa\" name=\"foo\" arch=\"noarch\">\n"
	    "  <version epoch=\"0\" ver=\"1.1\" rel=\"1\"/>\n"
	    "  <keyword>support_l3</keyword>\n</package>\n"
	    "<package pkgid=\"bbbb\"><eula>text</eula></package>\n"
	    "</susedata>\n";
	struct pkgs	 ps;
	char		*cause = NULL, *root = NULL;
	int		 rv;

	memset(&ps, 0, sizeof ps);
	ps.keep = 1;
	ps.doc = doc;
	ps.doclen = sizeof doc - 1;
	rv = parse_mem(doc, sizeof doc - 1, 0, &ps, &root, &cause);
	ok(rv == 0 && ps.n == 2, "susedata parses: %s", cause ? cause : "2 packages");
	ok(rv == 0 && strcmp(ps.v[0].pkgid, "aaaa") == 0 &&
	    strcmp(ps.v[0].ver, "1.1") == 0 && strcmp(ps.v[1].pkgid, "bbbb") == 0,
	    "susedata pkgids and version");
	ok(ps.bad == 0, "susedata raw bytes equal the document's");
	ok(root != NULL && has_prefix(root, "<susedata xmlns="), "susedata root");
	free(root);
	free(cause);
	pkgs_free(&ps);
	bad_doc("<susedata><package name=\"x\"/></susedata>", 40, "pkgid=",
	    "susedata package without pkgid");
}

/* What the advisory callback saw. */
struct advrec {
	char		*id, *type, *severity, *title, *status, *raw;
	size_t		 rawlen;
	time_t		 issued, updated;
	char		*cves;		/* joined with spaces */
	size_t		 npkgs;
	char		*pkgs;		/* "name epoch version release arch filename;" */
	char		*pkgraw;	/* each package's raw bytes joined with | */
	long		 line;
};

struct advs {
	size_t		 n, nsecurity, npkgs, nissued, nupdated, nseverity;
	size_t		 badpkgraw;
	struct advrec	*v;
	size_t		 size;
	int		 keep;
	const char	*doc;		/* check raw bytes: in order in doc */
	size_t		 doclen;
	size_t		 docpos;
	size_t		 bad;
};

static int
adv_cb(const struct rpmmd_advisory *ad, void *arg)
{
	struct advs		*as = arg;
	struct advrec		*r;
	struct buf		 b, c;
	const struct rpmmd_advpkg *ap;
	const char		*next, *raw;
	size_t			 i;

	as->n++;
	if (strcmp(ad->ad_type, "security") == 0)
		as->nsecurity++;
	as->npkgs += ad->ad_npkgs;
	if (ad->ad_issued != 0)
		as->nissued++;
	if (ad->ad_updated != 0)
		as->nupdated++;
	if (ad->ad_severity != NULL)
		as->nseverity++;
	if (as->doc != NULL) {
		/* The next <update in the document starts these bytes. */
		next = find_tag(as->doc, as->doclen, as->docpos, "<update");
		if (next == NULL || (size_t)(as->doc + as->doclen - next) <
		    ad->ad_rawlen || memcmp(next, ad->ad_raw, ad->ad_rawlen) != 0)
			as->bad++;
		else
			as->docpos = next - as->doc + ad->ad_rawlen;
	}
	for (i = 0; i < ad->ad_npkgs; i++) {
		ap = &ad->ad_pkgs[i];
		raw = ad->ad_raw + ap->ap_raw_off;
		if (ap->ap_raw_off + ap->ap_raw_len > ad->ad_rawlen ||
		    strncmp(raw, "<package", 8) != 0 ||
		    raw[ap->ap_raw_len - 1] != '>' ||
		    (strncmp(raw + ap->ap_raw_len - 10, "</package>", 10) != 0 &&
		    strncmp(raw + ap->ap_raw_len - 2, "/>", 2) != 0))
			as->badpkgraw++;
	}
	if (!as->keep)
		return 0;
	if (as->n > as->size) {
		as->size = as->size ? as->size * 2 : 64;
		as->v = xreallocarray(as->v, as->size, sizeof *as->v);
	}
	r = &as->v[as->n - 1];
	r->id = xstrdup(ad->ad_id);
	r->type = xstrdup(ad->ad_type);
	r->severity = dup_or_null(ad->ad_severity);
	r->title = xstrdup(ad->ad_title);
	r->status = xstrdup(ad->ad_status);
	r->raw = xstrndup(ad->ad_raw, ad->ad_rawlen);
	r->rawlen = ad->ad_rawlen;
	r->issued = ad->ad_issued;
	r->updated = ad->ad_updated;
	r->line = ad->ad_line;
	buf_init(&b);
	buf_add(&b, "", 0);
	for (i = 0; ad->ad_cves[i] != NULL; i++)
		buf_addf(&b, "%s%s", i ? " " : "", ad->ad_cves[i]);
	r->cves = b.b_data;
	buf_init(&b);
	buf_add(&b, "", 0);
	buf_init(&c);
	buf_add(&c, "", 0);
	for (i = 0; i < ad->ad_npkgs; i++) {
		ap = &ad->ad_pkgs[i];
		buf_addf(&b, "%s %s %s %s %s %s;", ap->ap_name, ap->ap_epoch,
		    ap->ap_version, ap->ap_release,
		    ap->ap_arch ? ap->ap_arch : "(any)",
		    ap->ap_filename ? ap->ap_filename : "-");
		buf_add(&c, ad->ad_raw + ap->ap_raw_off, ap->ap_raw_len);
		buf_add(&c, "|", 1);
	}
	r->npkgs = ad->ad_npkgs;
	r->pkgs = b.b_data;
	r->pkgraw = c.b_data;
	return 0;
}

static void
advs_free(struct advs *as)
{
	size_t	i;

	for (i = 0; i < (as->keep ? as->n : 0); i++) {
		free(as->v[i].id);
		free(as->v[i].type);
		free(as->v[i].severity);
		free(as->v[i].title);
		free(as->v[i].status);
		free(as->v[i].raw);
		free(as->v[i].cves);
		free(as->v[i].pkgs);
		free(as->v[i].pkgraw);
	}
	free(as->v);
	memset(as, 0, sizeof *as);
}

static int
parse_ui(const char *doc, size_t len, size_t max, struct advs *as,
    char **root, char **cause)
{
	struct piecereader	pr;

	piece_init(&pr, doc, len, max);
	return rpmmd_updateinfo_parse(piece_read, &pr, "updateinfo.xml",
	    adv_cb, as, root, cause);
}

static const char ui_doc[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<updates>\n"
    "  <update from=\"security@example.com\" status=\"final\" "
    "type=\"security\" version=\"2\">\n"
    "    <id>RHSA-2024:0001</id>\n"
    "    <title>Important: openssl &amp; friends</title>\n"
    "    <severity>Important</severity>\n"
    "    <release>el9</release>\n"
    "    <issued date=\"2024-01-02 03:04:05\"/>\n"
    "    <updated date=\"2024-01-03T00:00:00Z\"/>\n"
    "    <references>\n"
    "      <reference href=\"https://example.com/RHSA\" id=\"RHSA-2024:0001\" "
    "type=\"self\"/>\n"
    "      <reference href=\"https://example.com/1\" id=\"CVE-2023-0001\" "
    "type=\"cve\" title=\"CVE-2023-0001\"/>\n"
    "      <reference href=\"https://example.com/2\" id=\"CVE-2023-0002\" "
    "type=\"cve\"/>\n"
    "      <reference href=\"https://example.com/3\" id=\"CVE-2023-0001\" "
    "type=\"cve\"/>\n"
    "    </references>\n"
    "    <description>Fixes <![CDATA[<many>]]> things.</description>\n"
    "    <pkglist>\n"
    "      <collection short=\"el9\">\n"
    "        <name>el9</name>\n"
    "        <module name=\"m\" stream=\"1\" version=\"2\" context=\"c\" "
    "arch=\"x86_64\"/>\n"
    "        <package name=\"openssl\" epoch=\"1\" version=\"3.0.7\" "
    "release=\"25.el9\" arch=\"x86_64\" src=\"openssl-3.0.7-25.el9.src.rpm\">\n"
    "          <filename>openssl-3.0.7-25.el9.x86_64.rpm</filename>\n"
    "          <sum type=\"sha256\">aa</sum>\n"
    "          <reboot_suggested>True</reboot_suggested>\n"
    "        </package>\n"
    "        <package name=\"openssl-libs\" version=\"3.0.7\" "
    "release=\"25.el9\" arch=\"x86_64\"><filename>openssl-libs-3.0.7-25.el9"
    ".x86_64.rpm</filename></package>\n"
    "        <package name=\"openssl-devel\" version=\"3.0.7\" "
    "release=\"25.el9\" arch=\"x86_64\"/>\n"
    "      </collection>\n"
    "    </pkglist>\n"
    "  </update>\n"
    "  <!--PATCHINFO id=\"abc\"!-->\n"
    "  <update status=\"stable\" type=\"bugfix\" severity=\"low\">\n"
    "    <id>SUSE-1</id>\n"
    "    <issued>1213630432</issued>\n"
    "    <updated>2013-01-27 16:08:05 UTC</updated>\n"
    "  </update>\n"
    "  <update type=\"enhancement\"><id>X-3</id><title><![CDATA[A <b> "
    "title]]></title><issued date=\"2024-02-01 10:20\"/>"
    "<updated date=\"yesterday\"/></update>\n"
    "</updates>\n";

static time_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm	tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return timegm(&tm);
}

static void
test_updateinfo_small(void)
{
	struct advs	 as;
	struct buf	 b;
	char		*cause = NULL, *root = NULL;
	const char	*p;
	size_t		 len = strlen(ui_doc), i, good;
	int		 rv;

	memset(&as, 0, sizeof as);
	as.keep = 1;
	as.doc = ui_doc;
	as.doclen = len;
	rv = parse_ui(ui_doc, len, 0, &as, &root, &cause);
	ok(rv == 0, "small updateinfo parses%s%s", cause ? ": " : "",
	    cause ? cause : "");
	is_int(as.n, 3, "three advisories");
	if (as.n != 3) {
		advs_free(&as);
		free(root);
		return;
	}
	is_str(root, "<updates>", "updateinfo root start");
	is_str(as.v[0].id, "RHSA-2024:0001", "id");
	is_str(as.v[0].type, "security", "type");
	is_str(as.v[0].severity, "Important", "severity element");
	is_str(as.v[0].title, "Important: openssl & friends", "title");
	is_str(as.v[0].status, "final", "status");
	is_int(as.v[0].issued, utc(2024, 1, 2, 3, 4, 5), "issued date");
	is_int(as.v[0].updated, utc(2024, 1, 3, 0, 0, 0), "updated, ISO 8601");
	is_str(as.v[0].cves, "CVE-2023-0001 CVE-2023-0002",
	    "CVE references, each once");
	is_int(as.v[0].line, 3, "advisory line");
	is_str(as.v[0].pkgs,
	    "openssl 1 3.0.7 25.el9 x86_64 openssl-3.0.7-25.el9.x86_64.rpm;"
	    "openssl-libs 0 3.0.7 25.el9 x86_64 openssl-libs-3.0.7-25.el9."
	    "x86_64.rpm;openssl-devel 0 3.0.7 25.el9 x86_64 -;",
	    "packages: epoch 0 when absent, no filename");
	ok(has_prefix(as.v[0].pkgraw, "<package name=\"openssl\" epoch=\"1\"") &&
	    contains(as.v[0].pkgraw, "<reboot_suggested>True</reboot_suggested>"
	    "\n        </package>|<package name=\"openssl-libs\"") &&
	    contains(as.v[0].pkgraw, "</package>|<package name=\"openssl-devel"
	    "\" version=\"3.0.7\" release=\"25.el9\" arch=\"x86_64\"/>|"),
	    "package byte ranges within the advisory");
	ok(as.bad == 0 && as.badpkgraw == 0, "advisory raw bytes");
	ok(has_prefix(as.v[0].raw, "<update from=") &&
	    strcmp(as.v[0].raw + as.v[0].rawlen - 9, "</update>") == 0,
	    "advisory raw from '<' to '>'");
	is_str(as.v[1].severity, "low", "severity attribute");
	is_int(as.v[1].issued, 1213630432, "issued as element text, epoch");
	is_int(as.v[1].updated, utc(2013, 1, 27, 16, 8, 5),
	    "updated with a UTC suffix");
	is_str(as.v[1].title, "", "absent title is empty");
	is_str(as.v[1].cves, "", "no CVEs");
	is_int(as.v[1].npkgs, 0, "no packages");
	is_str(as.v[2].title, "A <b> title", "CDATA title");
	ok(as.v[2].severity == NULL, "no severity");
	is_int(as.v[2].issued, utc(2024, 2, 1, 10, 20, 0), "HH:MM date");
	is_int(as.v[2].updated, 0, "unreadable date is 0");
	is_str(as.v[2].status, "", "absent status is empty");

	/* Splicing a package out of an advisory leaves a valid advisory. */
	buf_init(&b);
	buf_adds(&b, "<updates>");
	{
		const char	*raw = as.v[0].raw;
		const char	*p1 = strstr(raw, "<package name=\"openssl-libs\"");
		const char	*e1 = strstr(p1, "</package>") + 10;

		buf_add(&b, raw, p1 - raw);
		buf_adds(&b, e1);
	}
	buf_adds(&b, "</updates>");
	advs_free(&as);
	memset(&as, 0, sizeof as);
	as.keep = 1;
	rv = parse_ui(b.b_data, b.b_len, 0, &as, NULL, &cause);
	ok(rv == 0 && as.n == 1 && as.v[0].npkgs == 2 &&
	    has_prefix(as.v[0].pkgs, "openssl 1 ") &&
	    contains(as.v[0].pkgs, ";openssl-devel "),
	    "advisory with a package spliced out parses");
	advs_free(&as);
	buf_free(&b);
	free(root);

	/* Piece sizes do not change anything. */
	good = 0;
	for (i = 1; i < 40; i += 3) {
		memset(&as, 0, sizeof as);
		as.keep = 1;
		as.doc = ui_doc;
		as.doclen = len;
		rv = parse_ui(ui_doc, len, i, &as, NULL, &cause);
		if (rv == 0 && as.n == 3 && as.bad == 0 && as.badpkgraw == 0 &&
		    as.v[0].npkgs == 3 && as.v[0].line == 3 &&
		    strcmp(as.v[0].cves, "CVE-2023-0001 CVE-2023-0002") == 0)
			good++;
		advs_free(&as);
	}
	is_int(good, 13, "same advisories in pieces of 1 byte and up");

	/* Errors. */
	memset(&as, 0, sizeof as);
	p = "<updates>\n<update type=\"bugfix\"><title>t</title>"
	    "</update></updates>";
	rv = parse_ui(p, strlen(p), 0, &as, NULL, &cause);
	ok(rv == -1 && contains(cause, "updateinfo.xml: line 2: <update> "
	    "without <id>"), "update without id: %s", cause ? cause : "");
	free(cause);
	cause = NULL;
	p = "<updates>\n<update type=\"bugfix\"><id>A</id><pkglist>"
	    "<collection>\n<package name=\"n\" arch=\"x\" release=\"1\"/>"
	    "</collection></pkglist></update></updates>";
	rv = parse_ui(p, strlen(p), 0, &as, NULL, &cause);
	ok(rv == -1 && contains(cause, "updateinfo.xml: line 3: <package> "
	    "without version= in <update> A"), "advisory package without "
	    "version: %s", cause ? cause : "");
	free(cause);
	cause = NULL;
	/* No arch, or an empty one: every architecture, not an error. */
	memset(&as, 0, sizeof as);
	as.keep = 1;
	p = "<updates>\n<update type=\"bugfix\"><id>A</id><pkglist>"
	    "<collection>\n<package name=\"n\" version=\"1\" release=\"1\"/>"
	    "<package name=\"m\" version=\"2\" release=\"1\" arch=\"\"/>"
	    "</collection></pkglist></update></updates>";
	as.doc = p;
	as.doclen = strlen(p);
	rv = parse_ui(p, strlen(p), 0, &as, NULL, &cause);
	ok(rv == 0 && as.n == 1 && as.v[0].npkgs == 2 &&
	    contains(as.v[0].pkgs, "n 0 1 1 (any) -;") &&
	    contains(as.v[0].pkgs, "m 0 2 1  -;"),
	    "advisory packages without arch= or with arch=\"\" parse: %s",
	    rv == 0 && as.n == 1 ? as.v[0].pkgs : cause ? cause : "");
	advs_free(&as);
	free(cause);
	cause = NULL;
	p = "<metadata/>";
	rv = parse_ui(p, strlen(p), 0, &as, NULL, &cause);
	ok(rv == -1 && contains(cause, "root element is <metadata>, not "
	    "<updates>"), "updateinfo with a wrong root");
	free(cause);
	cause = NULL;
	rv = parse_ui(ui_doc, len - 40, 0, &as, NULL, &cause);
	ok(rv == -1 && has_prefix(cause, "updateinfo.xml: line "),
	    "truncated updateinfo: %s", cause ? cause : "");
	free(cause);
	advs_free(&as);
}

static void
test_repomd_small(void)
{
	struct rpmmd_repomd	*rm;
	struct rpmmd_data	*rd;
	char			*cause = NULL;
	const char		*p;

	p = "<?xml version=\"1.0\"?>\n<repomd xmlns=\"http://linux.duke.edu/"
	    "metadata/repo\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\">\n"
	    "<revision> 17 </revision>\n"
	    "<tags><content>binary-x86_64</content></tags>\n"
	    "<data type=\"primary\"><checksum type=\"sha\">ab</checksum>"
	    "<open-checksum type=\"sha256\">cd</open-checksum>"
	    "<location href=\"repodata/p.xml.gz\"/><timestamp>5</timestamp>"
	    "<size>6</size><open-size>7</open-size></data>\n"
	    "<data type=\"updateinfo\"><checksum type=\"sha512\">\n ef\n"
	    "</checksum><location href=\"repodata/u.xml.zst\"/></data>\n"
	    "</repomd>\n";
	rm = rpmmd_repomd_parse(p, strlen(p), "repomd.xml", &cause);
	ok(rm != NULL, "small repomd parses%s%s", cause ? ": " : "",
	    cause ? cause : "");
	if (rm == NULL)
		return;
	is_str(rm->rm_revision, "17", "revision");
	rd = rpmmd_repomd_find(rm, "primary");
	ok(rd != NULL && strcmp(rd->rd_checksum_type, "sha1") == 0 &&
	    strcmp(rd->rd_checksum, "ab") == 0 &&
	    strcmp(rd->rd_location, "repodata/p.xml.gz") == 0 &&
	    strcmp(rd->rd_open_checksum_type, "sha256") == 0 &&
	    strcmp(rd->rd_open_checksum, "cd") == 0 && rd->rd_timestamp == 5 &&
	    rd->rd_size == 6 && rd->rd_open_size == 7, "primary entry");
	rd = rpmmd_repomd_find(rm, "updateinfo");
	ok(rd != NULL && strcmp(rd->rd_checksum_type, "sha512") == 0 &&
	    strcmp(rd->rd_checksum, "ef") == 0 &&
	    rd->rd_open_checksum == NULL && rd->rd_open_checksum_type == NULL &&
	    rd->rd_size == -1 && rd->rd_open_size == -1 &&
	    rd->rd_timestamp == -1, "updateinfo entry, checksum trimmed");
	ok(rpmmd_repomd_find(rm, "other") == NULL, "absent type");
	rpmmd_repomd_free(rm);

	p = "<repomd xmlns=\"http://linux.duke.edu/metadata/repo\">\n"
	    "<data type=\"primary\">\n<checksum type=\"sha256\">ab</checksum>"
	    "</data></repomd>";
	rm = rpmmd_repomd_parse(p, strlen(p), "repomd.xml", &cause);
	ok(rm == NULL && contains(cause, "repomd.xml: line 2: <data type="
	    "\"primary\"> without <location href=>"), "repomd without "
	    "location: %s", cause ? cause : "");
	free(cause);
	cause = NULL;
	p = "<repomd>\n<data type=\"primary\"><checksum type=\"crc\">ab"
	    "</checksum><location href=\"a\"/></data></repomd>";
	rm = rpmmd_repomd_parse(p, strlen(p), "repomd.xml", &cause);
	ok(rm == NULL && contains(cause, "unknown checksum type \"crc\""),
	    "repomd with an unknown checksum type");
	free(cause);
	cause = NULL;
	p = "<!DOCTYPE repomd [<!ENTITY a \"b\">]><repomd/>";
	rm = rpmmd_repomd_parse(p, strlen(p), "repomd.xml", &cause);
	ok(rm == NULL && contains(cause, "repomd.xml: line 1: DTD and "
	    "entities are not allowed"), "repomd with a DTD");
	free(cause);
	cause = NULL;
	p = "<metadata/>";
	rm = rpmmd_repomd_parse(p, strlen(p), "repomd.xml", &cause);
	ok(rm == NULL && contains(cause, "root element is <metadata>"),
	    "not a repomd");
	free(cause);
	cause = NULL;
	p = "<repomd xmlns=\"http://linux.duke.edu/metadata/repo\"><data "
	    "type=\"primary\"><checksum type=\"sha256\">ab</checksum><location "
	    "href=\"a\"/></data>";
	rm = rpmmd_repomd_parse(p, strlen(p), "repomd.xml", &cause);
	ok(rm == NULL && has_prefix(cause, "repomd.xml: line 1: "),
	    "truncated repomd: %s", cause ? cause : "");
	free(cause);
}

/* Corpora. */

static char *
corpus_path(const char *rel)
{
	char	*p;

	xasprintf(&p, "%s/%s", corpora, rel);
	return p;
}

/* Reads a whole (compressed) file through lib/compress.c. */
static int
load_doc(const char *path, char **data, size_t *len)
{
	struct decomp	*d;
	struct buf	 b;
	char		 chunk[65536], *cause = NULL;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	d = decomp_open_fd(fd, path, &cause);
	if (d == NULL) {
		printf("# %s\n", cause);
		free(cause);
		close(fd);
		return -1;
	}
	buf_init(&b);
	buf_add(&b, "", 0);
	while ((n = decomp_read(d, chunk, sizeof chunk, &cause)) > 0)
		buf_add(&b, chunk, n);
	decomp_close(d);
	close(fd);
	if (n < 0) {
		printf("# %s\n", cause);
		free(cause);
		buf_free(&b);
		return -1;
	}
	*data = b.b_data;
	*len = b.b_len;
	return 0;
}

/* Parses a corpus file the way the indexer will: straight off decomp. */
static int
parse_file(const char *path, int deltainfo, struct pkgs *ps, char **root,
    char **cause, double *secs)
{
	struct decomp	*d;
	double		 t0;
	int		 fd, rv;

	if ((fd = open(path, O_RDONLY)) == -1) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((d = decomp_open_fd(fd, path, cause)) == NULL) {
		close(fd);
		return -1;
	}
	t0 = now();
	if (deltainfo)
		rv = rpmmd_deltainfo_parse(decomp_read, d, path, pkg_cb, ps,
		    root, cause);
	else
		rv = rpmmd_packages_parse(decomp_read, d, path, pkg_cb, ps,
		    root, cause);
	if (secs != NULL)
		*secs = now() - t0;
	decomp_close(d);
	close(fd);
	return rv;
}

/* A package document of a corpus: count, raw bytes, root start tag. */
static void
corpus_packages(const char *rel, int deltainfo, size_t want, const char *tag,
    struct pkgs *ps, double *secs)
{
	char		*path, *doc, *root = NULL, *cause = NULL;
	size_t		 len, nstart;
	const char	*gt;
	int		 rv;

	path = corpus_path(rel);
	if (load_doc(path, &doc, &len) != 0) {
		skip(rel);
		free(path);
		return;
	}
	ps->doc = doc;
	ps->doclen = len;
	rv = parse_file(path, deltainfo, ps, &root, &cause, secs);
	ok(rv == 0, "%s parses%s%s", rel, cause ? ": " : "",
	    cause ? cause : "");
	is_int(ps->n, want, "%s: %zu packages", rel, want);
	nstart = find_all(doc, len, tag, NULL, 0);
	is_int(ps->n, nstart, "%s: one callback per %s start tag", rel, tag);
	ok(ps->bad == 0 && ps->badshape == 0 && !ps->order_bad,
	    "%s: every raw element equals the document's bytes at its offset "
	    "(%zu differ)", rel, ps->bad);
	gt = root != NULL ? strstr(doc, root) : NULL;
	ok(gt != NULL && gt[strlen(root) - 1] == '>' &&
	    strncmp(gt, "<", 1) == 0, "%s: root start tag is in the document",
	    rel);
	free(root);
	free(cause);
	free(path);
	free(doc);
	ps->doc = NULL;
}

static void
test_corpus_centos(void)
{
	struct rpmmd_repomd	*rm;
	struct rpmmd_data	*rd;
	struct pkgs		 ps;
	struct piecereader	 pr;
	char			*path, *data, *cause = NULL, *doc;
	size_t			 len, i, good;
	double			 secs = 0;
	int			 rv;

	path = corpus_path("rpm-md/centos-stream9-baseos-2022/repodata/"
	    "repomd.xml");
	if (file_read(path, 1 << 20, &data, &len, &cause) != 0) {
		free(cause);
		free(path);
		skip("centos-stream9-baseos-2022 absent");
		return;
	}
	free(path);
	rm = rpmmd_repomd_parse(data, len, "repomd.xml", &cause);
	free(data);
	ok(rm != NULL, "centos repomd parses");
	if (rm == NULL) {
		free(cause);
		return;
	}
	is_str(rm->rm_revision, "1644263915", "centos revision");
	i = 0;
	TAILQ_FOREACH(rd, &rm->rm_datas, rd_entry)
		i++;
	is_int(i, 5, "centos repomd: five data entries");
	rd = rpmmd_repomd_find(rm, "group");
	ok(rd != NULL && rd->rd_open_checksum == NULL && rd->rd_size == 39248 &&
	    strcmp(rd->rd_checksum_type, "sha256") == 0, "centos group entry");
	rd = rpmmd_repomd_find(rm, "primary");
	ok(rd != NULL && strcmp(rd->rd_location, "repodata/130494033cb9bffa4082"
	    "8ebc814d016920d9ce5d60041467af283ffcf38adef0-primary.xml.gz") == 0 &&
	    rd->rd_open_size == 8471009 && rd->rd_size == 1063488,
	    "centos primary entry");

	/* primary */
	xasprintf(&path, "rpm-md/centos-stream9-baseos-2022/%s",
	    rd != NULL ? rd->rd_location : "-");
	memset(&ps, 0, sizeof ps);
	ps.keep = 1;
	corpus_packages(path, 0, 1125, "<package", &ps, &secs);
	if (ps.n > 0) {
		is_str(ps.v[0].name, "ModemManager", "centos first package");
		ok(strcmp(ps.v[0].pkgid, "159adbdd220d622a93aff1ad942936e110e7"
		    "b32400620bef3b1f0b52e639c964") == 0 &&
		    strcmp(ps.v[0].cktype, "sha256") == 0 &&
		    strcmp(ps.v[0].ver, "1.18.2") == 0 &&
		    strcmp(ps.v[0].rel, "3.el9") == 0 &&
		    strcmp(ps.v[0].epoch, "0") == 0 &&
		    strcmp(ps.v[0].srpm, "ModemManager-1.18.2-3.el9.src.rpm") ==
		    0 && strcmp(ps.v[0].loc, "Packages/ModemManager-1.18.2-3.el9"
		    ".x86_64.rpm") == 0 && ps.v[0].size == 1203105 &&
		    ps.v[0].time == 1640100835 && ps.v[0].line == 3,
		    "centos first package fields");
		good = 0;
		for (i = 0; i < ps.n; i++) {
			if (strlen(ps.v[i].pkgid) == 64 && ps.v[i].size > 0 &&
			    ps.v[i].time > 0 && ps.v[i].srpm != NULL &&
			    strcmp(ps.v[i].arch, "src") != 0)
				good++;
		}
		is_int(good, ps.n, "centos: every package has pkgid, size, time "
		    "and a source rpm");
	}
	pkgs_free(&ps);
	printf("# centos primary: %.3f s\n", secs);

	/* The same in small random pieces: identical offsets. */
	data = corpus_path(path);
	free(path);
	path = data;
	if (load_doc(path, &doc, &len) == 0) {
		memset(&ps, 0, sizeof ps);
		ps.doc = doc;
		ps.doclen = len;
		piece_init(&pr, doc, len, 700);
		rv = rpmmd_packages_parse(piece_read, &pr, "primary.xml",
		    pkg_cb, &ps, NULL, &cause);
		ok(rv == 0 && ps.n == 1125 && ps.bad == 0,
		    "centos primary in pieces of 1 to 700 bytes: raw bytes "
		    "equal (%zu differ)", ps.bad);
		free(doc);
	} else
		skip("centos primary unreadable");
	free(path);

	/* filelists */
	rd = rpmmd_repomd_find(rm, "filelists");
	xasprintf(&path, "rpm-md/centos-stream9-baseos-2022/%s",
	    rd != NULL ? rd->rd_location : "-");
	memset(&ps, 0, sizeof ps);
	corpus_packages(path, 0, 1125, "<package", &ps, &secs);
	printf("# centos filelists (5.9 MB, 93,618 files): parsed in %.3f s\n",
	    secs);
	pkgs_free(&ps);
	free(path);
	rpmmd_repomd_free(rm);
	free(cause);
}

static void
test_corpus_el9(void)
{
	struct rpmmd_repomd	*rm;
	struct rpmmd_data	*rd;
	struct pkgs		 ps;
	char			*path, *data, *cause = NULL, *rel;
	char			 hex[HASH_HEX_MAX];
	const char		*types[] = { "primary", "filelists", "other" };
	size_t			 len, i;
	long long		 size;

	path = corpus_path("rpm-md/el9-bzip2-tiny-signed/repodata/repomd.xml");
	if (file_read(path, 1 << 20, &data, &len, &cause) != 0) {
		free(cause);
		free(path);
		skip("el9-bzip2-tiny-signed absent");
		return;
	}
	free(path);
	rm = rpmmd_repomd_parse(data, len, "repomd.xml", &cause);
	free(data);
	ok(rm != NULL, "el9 repomd parses");
	if (rm == NULL) {
		free(cause);
		return;
	}
	rd = rpmmd_repomd_find(rm, "primary_db");
	ok(rd != NULL && rd->rd_open_size == 106496 &&
	    strcmp(rd->rd_checksum, "3f6232d75fb03bf890337210cd36bfed4063b0d9bca"
	    "fa7ef0eb37b6abd0a8507") == 0, "el9 primary_db entry");
	for (i = 0; i < 3; i++) {
		rd = rpmmd_repomd_find(rm, types[i]);
		if (rd == NULL) {
			ok(0, "el9 %s listed", types[i]);
			continue;
		}
		xasprintf(&rel, "rpm-md/el9-bzip2-tiny-signed/%s",
		    rd->rd_location);
		path = corpus_path(rel);
		ok(hash_file(rd->rd_checksum_type, path, hex, &size) == 0 &&
		    strcmp(hex, rd->rd_checksum) == 0,
		    "el9 %s matches its repomd checksum", types[i]);
		free(path);
		memset(&ps, 0, sizeof ps);
		ps.keep = 1;
		corpus_packages(rel, 0, 7, "<package", &ps, NULL);
		if (i == 0 && ps.n == 7) {
			ok(strcmp(ps.v[0].name, "bzip2") == 0 &&
			    strcmp(ps.v[0].ver, "1.0.8") == 0 &&
			    strcmp(ps.v[0].rel, "18.el9") == 0 &&
			    strcmp(ps.v[0].loc,
			    "bzip2-1.0.8-18.el9.x86_64.rpm") == 0,
			    "el9 first package: %s %s", ps.v[0].name,
			    ps.v[0].loc);
		}
		pkgs_free(&ps);
		free(rel);
	}
	rpmmd_repomd_free(rm);
}

static void
test_corpus_opensuse(void)
{
	struct rpmmd_repomd	*rm;
	struct rpmmd_data	*rd;
	struct pkgs		 ps;
	struct advs		 as;
	struct decomp		*d;
	char			*path, *data, *cause = NULL, *root = NULL, *doc;
	size_t			 len, n;
	int			 fd, rv;

	path = corpus_path("zypper/opensuse-11.0-update-rpmmd/repodata/"
	    "repomd.xml");
	if (file_read(path, 1 << 20, &data, &len, &cause) != 0) {
		free(cause);
		free(path);
		skip("opensuse-11.0-update-rpmmd absent");
		return;
	}
	free(path);
	rm = rpmmd_repomd_parse(data, len, "repomd.xml", &cause);
	free(data);
	ok(rm != NULL && rm->rm_revision == NULL, "opensuse repomd parses");
	if (rm == NULL) {
		free(cause);
		return;
	}
	rd = rpmmd_repomd_find(rm, "updateinfo");
	ok(rd != NULL && strcmp(rd->rd_checksum_type, "sha1") == 0 &&
	    strcmp(rd->rd_open_checksum_type, "sha1") == 0 &&
	    strcmp(rd->rd_checksum, "da21499c94aef90694c8e9d94eec39ab3891cbc8")
	    == 0 && rd->rd_size == -1, "opensuse updateinfo entry, sha as sha1");
	rpmmd_repomd_free(rm);

	memset(&ps, 0, sizeof ps);
	ps.keep = 1;
	corpus_packages("zypper/opensuse-11.0-update-rpmmd/repodata/"
	    "primary.xml.gz", 0, 2430, "<package", &ps, NULL);
	if (ps.n > 0)
		ok(strcmp(ps.v[0].name, "autoyast2") == 0 &&
		    strcmp(ps.v[0].arch, "src") == 0 &&
		    strcmp(ps.v[0].cktype, "sha1") == 0 &&
		    strcmp(ps.v[0].srpm, "") == 0 &&
		    has_prefix(ps.v[0].raw, "<package xmlns=\"http://linux.duke"
		    ".edu/metadata/common\" type=\"rpm\">") && ps.v[0].line == 6,
		    "opensuse first package (namespace declared on it)");
	pkgs_free(&ps);

	memset(&ps, 0, sizeof ps);
	ps.keep = 1;
	corpus_packages("zypper/opensuse-11.0-update-rpmmd/repodata/"
	    "deltainfo.xml.gz", 1, 2084, "<newpackage", &ps, NULL);
	if (ps.n > 0)
		ok(strcmp(ps.v[0].name, "autoyast2") == 0 &&
		    strcmp(ps.v[0].arch, "noarch") == 0 &&
		    strcmp(ps.v[0].epoch, "0") == 0 &&
		    strcmp(ps.v[0].ver, "2.16.19") == 0 &&
		    strcmp(ps.v[0].rel, "0.1") == 0 && ps.v[0].line == 4 &&
		    ps.v[0].pkgid == NULL,
		    "opensuse first deltainfo newpackage");
	pkgs_free(&ps);

	/* updateinfo */
	path = corpus_path("zypper/opensuse-11.0-update-rpmmd/repodata/"
	    "updateinfo.xml.gz");
	if (load_doc(path, &doc, &n) != 0) {
		skip("opensuse updateinfo unreadable");
		free(path);
		return;
	}
	memset(&as, 0, sizeof as);
	as.keep = 1;
	as.doc = doc;
	as.doclen = n;
	fd = open(path, O_RDONLY);
	d = decomp_open_fd(fd, path, &cause);
	rv = rpmmd_updateinfo_parse(decomp_read, d, "updateinfo.xml.gz",
	    adv_cb, &as, &root, &cause);
	decomp_close(d);
	close(fd);
	ok(rv == 0, "opensuse updateinfo parses%s%s", cause ? ": " : "",
	    cause ? cause : "");
	is_int(as.n, 164, "opensuse: 164 advisories");
	is_int(as.nsecurity, 76, "opensuse: 76 security advisories");
	is_int(as.npkgs, 2287, "opensuse: 2,287 package entries");
	is_int(as.nissued, 164, "opensuse: every issued date read");
	ok(as.bad == 0 && as.badpkgraw == 0, "opensuse: raw advisories and "
	    "package ranges");
	is_str(root, "<updates xmlns=\"http://novell.com/package/metadata/suse/"
	    "updateinfo\">", "opensuse updateinfo root start");
	if (as.n > 0) {
		is_str(as.v[0].id, "xorg-x11-Xvnc", "opensuse first advisory");
		is_int(as.v[0].issued, 1213630432, "epoch-second issued date");
		is_int(as.v[0].line, 4, "opensuse first advisory line");
		ok(has_prefix(as.v[0].pkgs, "xorg-x11-Xvnc 0 7.3 110.2 i586 "
		    "xorg-x11-Xvnc-7.3-110.2.i586.rpm;"), "opensuse packages");
	}
	advs_free(&as);
	free(root);
	free(doc);
	free(path);
}

static void
test_corpus_updateinfo(void)
{
	struct advs	 as;
	char		*path, *doc, *cause = NULL, *root = NULL;
	size_t		 n;
	double		 t0;
	int		 rv;

	path = corpus_path("rpm-md/updateinfo/fedora19-updates-2013."
	    "updateinfo.xml.gz");
	if (load_doc(path, &doc, &n) == 0) {
		memset(&as, 0, sizeof as);
		as.keep = 1;
		as.doc = doc;
		as.doclen = n;
		t0 = now();
		rv = parse_ui(doc, n, 0, &as, &root, &cause);
		ok(rv == 0, "fedora19 updateinfo parses%s%s (%.2f s)",
		    cause ? ": " : "", cause ? cause : "", now() - t0);
		is_int(as.n, 2494, "fedora19: 2,494 advisories");
		is_int(as.nsecurity, 184, "fedora19: 184 security advisories");
		is_int(as.npkgs, 28717, "fedora19: 28,717 package entries");
		is_int(as.nissued, 2494, "fedora19: every issued date read");
		ok(as.nupdated == 0 && as.nseverity == 0,
		    "fedora19: no updated date, no severity");
		ok(as.bad == 0 && as.badpkgraw == 0,
		    "fedora19: raw advisories and package ranges");
		is_str(root, "<updates>", "fedora19 root start");
		if (as.n > 0) {
			is_str(as.v[0].id, "FEDORA-2013-14429",
			    "fedora19 first advisory");
			is_int(as.v[0].issued, utc(2013, 8, 7, 21, 43, 0),
			    "fedora19 first issued date");
			is_int(as.v[0].line, 2, "fedora19 first advisory "
			    "line");
		}
		advs_free(&as);
		free(root);
		root = NULL;
		free(doc);
	} else
		skip("fedora19 updateinfo absent");
	free(path);

	path = corpus_path("packages/pulp-fixtures/assets/updateinfo.xml");
	if (load_doc(path, &doc, &n) == 0) {
		memset(&as, 0, sizeof as);
		as.keep = 1;
		as.doc = doc;
		as.doclen = n;
		rv = parse_ui(doc, n, 0, &as, NULL, &cause);
		ok(rv == 0 && as.n == 4 && as.bad == 0 && as.badpkgraw == 0,
		    "pulp updateinfo parses: %zu advisories", as.n);
		if (as.n == 4) {
			is_str(as.v[0].id, "RHEA-2012:0055", "pulp first id");
			is_int(as.v[0].issued, utc(2012, 1, 27, 16, 8, 6),
			    "pulp issued");
			is_int(as.v[2].updated, utc(2013, 1, 27, 16, 8, 5),
			    "pulp updated with a UTC suffix");
			is_str(as.v[1].pkgs, "crow 0 0.8 1 noarch "
			    "crow-0.8-1.noarch.rpm;stork 0 0.12 2 noarch "
			    "stork-0.12-2.noarch.rpm;duck 0 0.6 1 noarch "
			    "duck-0.6-1.noarch.rpm;", "pulp packages");
			is_int(as.nsecurity, 3, "pulp: three security");
		}
		advs_free(&as);
		free(doc);
	} else
		skip("pulp-fixtures updateinfo absent");
	free(path);
	free(cause);
}

static char *
find_corpora(void)
{
	const char	*top = getenv("top_srcdir");
	char		*p;
	struct stat	 sb;

	if (top != NULL && *top != '\0') {
		xasprintf(&p, "%s/../shared/corpora", top);
		if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
			return p;
		free(p);
	}
	/* ../shared beside the source tree, from Makefile.am. */
	if (stat(PG_SHARED_DIR "/corpora", &sb) == 0 && S_ISDIR(sb.st_mode))
		return xstrdup(PG_SHARED_DIR "/corpora");
	return NULL;
}

int
main(void)
{
	test_primary_small();
	test_primary_forms();
	test_filelists_other();
	test_root_with_count();
	test_bad_documents();
	test_limits();
	test_susedata();
	test_updateinfo_small();
	test_repomd_small();

	corpora = find_corpora();
	if (corpora == NULL) {
		skip("no corpora (shared/corpora)");
		return done_testing();
	}
	printf("# corpora: %s\n", corpora);
	test_corpus_centos();
	test_corpus_el9();
	test_corpus_opensuse();
	test_corpus_updateinfo();
	free(corpora);
	return done_testing();
}
