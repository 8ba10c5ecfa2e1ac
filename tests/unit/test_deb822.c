/*
 * Unit tests of the deb822 parser and of apt's Release and InRelease
 * files: small documents written here for each rule and each way a
 * document can be wrong, then the real indexes under shared/corpora
 * (skipped when absent), where every stanza handed out must be the
 * document's own bytes at its offset however the stream is cut, and the
 * InRelease text must be the one gpg prints.  apt's own lists under
 * /var/lib/apt/lists are parsed too when they are there, and timed.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compress.h"
#include "deb822.h"
#include "hash.h"
#include "util.h"
#include "xmalloc.h"

#include "tap.h"

#define MIB	(1024 * 1024)

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
contains(const char *s, const char *what)
{
	return s != NULL && strstr(s, what) != NULL;
}

static long
maxrss_kb(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/*
 * A reader over memory handing out pieces of a fixed size, or of
 * pseudo-random sizes from 1 to 300 when the step is 0.
 */
struct stepreader {
	struct memreader	sr_mr;
	size_t			sr_step;
	unsigned		sr_seed;
};

static ssize_t
step_read(void *arg, void *buf, size_t len, char **cause)
{
	struct stepreader	*sr = arg;
	size_t			 n = sr->sr_step;

	if (n == 0) {
		sr->sr_seed = sr->sr_seed * 1103515245 + 12345;
		n = 1 + (sr->sr_seed >> 16) % 300;
	}
	if (len > n)
		len = n;
	return memreader_read(&sr->sr_mr, buf, len, cause);
}

/* What the stanza callback saw. */
struct seen {
	struct buf	 s_log;		/* "offset len line\n" and the bytes */
	struct buf	 s_cat;		/* stanzas joined by "\n" */
	size_t		 s_n;
	const char	*s_doc;		/* when set, checked against */
	size_t		 s_doclen;
	int		 s_mismatch;
	int		 s_nofields;	/* stanzas without a required field */
	int		 s_required;	/* check Package/Version/... */
	size_t		 s_stop;	/* return -1 at this stanza (1-based) */
};

static void
seen_init(struct seen *s)
{
	memset(s, 0, sizeof *s);
	buf_init(&s->s_log);
	buf_add(&s->s_log, "", 0);
	buf_init(&s->s_cat);
	buf_add(&s->s_cat, "", 0);
}

static void
seen_free(struct seen *s)
{
	buf_free(&s->s_log);
	buf_free(&s->s_cat);
}

/*
 * deb822_fields() against deb822_field() on every stanza parsed: the
 * names compared, and how many values differed.
 */
static const char *const fields_names[] = {
	"Package", "Version", "Architecture", "Filename", "Size", "SHA256",
	"Description", "package", "Package-Type", "Tail", "Empty", "Nope"
};
#define FIELDS_N	(sizeof fields_names / sizeof fields_names[0])
static unsigned long	fields_compared, fields_differed;

static void
fields_compare(const struct deb822_stanza *ds)
{
	const char	*val[FIELDS_N];
	size_t		 len[FIELDS_N], i;
	char		*v;

	deb822_fields(ds, fields_names, FIELDS_N, val, len);
	for (i = 0; i < FIELDS_N; i++) {
		v = deb822_field(ds, fields_names[i], 0);
		fields_compared++;
		if ((v == NULL) != (val[i] == NULL) || (v != NULL &&
		    (strlen(v) != len[i] || memcmp(v, val[i], len[i]) != 0))) {
			if (fields_differed++ == 0)
				printf("# line %ld: %s: \"%s\" and \"%.*s\"\n",
				    ds->ds_line, fields_names[i], v ? v : "(none)",
				    (int)len[i], val[i] ? val[i] : "(none)");
		}
		free(v);
	}
}

static int
seen_cb(const struct deb822_stanza *ds, void *arg)
{
	static const char	*required[] = {
		"Package", "Version", "Filename", "Size", "SHA256"
	};
	struct seen		*s = arg;
	char			*v;
	size_t			 i;

	s->s_n++;
	fields_compare(ds);
	buf_addf(&s->s_log, "%lld %zu %ld\n", ds->ds_offset, ds->ds_rawlen,
	    ds->ds_line);
	buf_add(&s->s_log, ds->ds_raw, ds->ds_rawlen);
	buf_add(&s->s_cat, ds->ds_raw, ds->ds_rawlen);
	buf_add(&s->s_cat, "\n", 1);
	if (s->s_doc != NULL && (ds->ds_offset < 0 ||
	    (size_t)ds->ds_offset + ds->ds_rawlen > s->s_doclen ||
	    memcmp(s->s_doc + ds->ds_offset, ds->ds_raw, ds->ds_rawlen) != 0))
		s->s_mismatch++;
	if (s->s_required) {
		for (i = 0; i < sizeof required / sizeof required[0]; i++) {
			v = deb822_field(ds, required[i], 0);
			if (v == NULL || *v == '\0') {
				if (s->s_nofields++ == 0)
					printf("# stanza at line %ld has no "
					    "%s\n", ds->ds_line, required[i]);
			}
			free(v);
		}
	}
	if (s->s_stop != 0 && s->s_n == s->s_stop)
		return -1;
	return 0;
}

static int
parse_mem(const char *doc, size_t len, size_t step, struct seen *s,
    char **cause)
{
	struct stepreader	sr;

	memset(&sr, 0, sizeof sr);
	sr.sr_mr.mr_data = doc;
	sr.sr_mr.mr_len = len;
	sr.sr_step = step;
	sr.sr_seed = (unsigned)len;
	return deb822_parse(step_read, &sr, "t", seen_cb, s, cause);
}

/* Parses doc whole and cut in every way; all must agree. */
static int
parse_all_ways(const char *doc, size_t len, struct seen *s, char **cause)
{
	static const size_t	 steps[] = { 1, 2, 3, 7, 0 };
	struct seen		 other;
	char			*ocause;
	size_t			 i;
	int			 rv, orv, same = 1;

	rv = parse_mem(doc, len, 1 << 20, s, cause);
	for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		seen_init(&other);
		other.s_stop = s->s_stop;
		ocause = NULL;
		orv = parse_mem(doc, len, steps[i], &other, &ocause);
		if (orv != rv || other.s_n != s->s_n ||
		    other.s_log.b_len != s->s_log.b_len ||
		    memcmp(other.s_log.b_data, s->s_log.b_data,
		    s->s_log.b_len) != 0 ||
		    (ocause == NULL) != (*cause == NULL) ||
		    (ocause != NULL && strcmp(ocause, *cause) != 0)) {
			printf("# reads of %zu bytes differ\n", steps[i]);
			same = 0;
		}
		free(ocause);
		seen_free(&other);
	}
	return same ? rv : -2;
}

/* Documents. */

static void
test_stanzas(void)
{
	const char	*doc;
	struct seen	 s;
	char		*cause = NULL;
	int		 rv;

	doc = "Package: a\nVersion: 1\n\nPackage: b\nDescription: x\n more\n"
	    " .\n end\n\n\n \t \nPackage: c\nVersion: 3";
	seen_init(&s);
	rv = parse_all_ways(doc, strlen(doc), &s, &cause);
	ok(rv == 0 && cause == NULL && s.s_n == 3, "three stanzas, in every "
	    "cut of the stream (rv %d, %zu)", rv, s.s_n);
	is_str(s.s_log.b_data, "0 22 1\nPackage: a\nVersion: 1\n"
	    "23 40 4\nPackage: b\nDescription: x\n more\n .\n end\n"
	    "69 21 12\nPackage: c\nVersion: 3",
	    "offsets, lengths, lines and bytes; blank lines of blanks "
	    "separate; the last stanza ends with the document");
	seen_free(&s);
	free(cause);
	cause = NULL;

	doc = "\n\n  \nPackage: a\n\n\n";
	seen_init(&s);
	rv = parse_all_ways(doc, strlen(doc), &s, &cause);
	is_str(s.s_log.b_data, "5 11 4\nPackage: a\n",
	    "leading and trailing blank lines are no stanza");
	seen_free(&s);
	free(cause);
	cause = NULL;

	seen_init(&s);
	rv = parse_all_ways("", 0, &s, &cause);
	ok(rv == 0 && s.s_n == 0 && cause == NULL, "an empty document has "
	    "no stanza");
	seen_free(&s);
	free(cause);
	cause = NULL;
	seen_init(&s);
	rv = parse_all_ways("\n \n\t\n", 5, &s, &cause);
	ok(rv == 0 && s.s_n == 0 && cause == NULL, "blank lines only: no "
	    "stanza");
	seen_free(&s);
	free(cause);
	cause = NULL;

	doc = "Package: a\r\nVersion: 1\r\n\r\nPackage: b\r\n";
	seen_init(&s);
	rv = parse_all_ways(doc, strlen(doc), &s, &cause);
	is_str(s.s_log.b_data, "0 24 1\nPackage: a\r\nVersion: 1\r\n"
	    "26 12 4\nPackage: b\r\n", "CRLF: blank \"\\r\\n\" lines "
	    "separate, CR bytes are kept");
	seen_free(&s);
	free(cause);
	cause = NULL;

	/* A stanza callback can stop the parse. */
	doc = "A: 1\n\nB: 2\n\nC: 3\n";
	seen_init(&s);
	s.s_stop = 2;
	rv = parse_all_ways(doc, strlen(doc), &s, &cause);
	ok(rv == -1 && cause == NULL && s.s_n == 2, "a callback returning -1 "
	    "stops the parse, which returns -1 without a cause");
	seen_free(&s);
	free(cause);
	cause = NULL;

	/* Field names: anything printable but ':'; values anything. */
	doc = "Package: a\nX-Odd_Name.1+2: \xc3\xa9t\xc3\xa9\nEmpty:\n";
	seen_init(&s);
	rv = parse_all_ways(doc, strlen(doc), &s, &cause);
	ok(rv == 0 && s.s_n == 1, "odd field names, UTF-8 values and empty "
	    "values are accepted");
	seen_free(&s);
	free(cause);
	cause = NULL;
}

/* The first stanza of doc, for deb822_field. */
struct first {
	char		*f_raw;
	size_t		 f_len;
};

static int
first_cb(const struct deb822_stanza *ds, void *arg)
{
	struct first	*f = arg;

	if (f->f_raw == NULL) {
		f->f_raw = xmalloc(ds->ds_rawlen);
		memcpy(f->f_raw, ds->ds_raw, ds->ds_rawlen);
		f->f_len = ds->ds_rawlen;
	}
	return 0;
}

static char *
field_of(const char *doc, const char *name, int keep)
{
	struct memreader	 mr;
	struct first		 f;
	struct deb822_stanza	 ds;
	char			*cause = NULL, *v;

	memset(&mr, 0, sizeof mr);
	mr.mr_data = doc;
	mr.mr_len = strlen(doc);
	memset(&f, 0, sizeof f);
	if (deb822_parse(memreader_read, &mr, "t", first_cb, &f,
	    &cause) != 0 || f.f_raw == NULL) {
		printf("# %s\n", cause ? cause : "no stanza");
		free(cause);
		return xstrdup("(parse failed)");
	}
	memset(&ds, 0, sizeof ds);
	ds.ds_raw = f.f_raw;
	ds.ds_rawlen = f.f_len;
	ds.ds_line = 1;
	v = deb822_field(&ds, name, keep);
	fields_compare(&ds);
	free(f.f_raw);
	return v;
}

static void
test_field(void)
{
	const char	*doc;
	char		*v;

	doc = "Package-Type: udeb\nPackage: hello\nVersion:  2.10-3 \t\n"
	    "Description: short \n long line one\n .\n line two  \n"
	    "Empty:\nSHA256:\n abc 1 x\n def  2 y\nTail: t";
#define FIELD(name, keep, want, msg) do {				\
	v = field_of(doc, name, keep);					\
	is_str(v, want, msg);						\
	free(v);							\
} while (0)
	FIELD("Package", 0, "hello", "field found past a longer name "
	    "sharing its prefix");
	FIELD("package", 0, "hello", "names match without case");
	FIELD("PACKAGE-TYPE", 0, "udeb", "the first field");
	FIELD("Version", 0, "2.10-3", "value trimmed of blanks both sides");
	FIELD("Description", 0, "short", "first line only");
	FIELD("Description", 1, "short\n long line one\n .\n line two  ",
	    "keep_lines: continuation lines as written");
	FIELD("Empty", 0, "", "an empty value");
	FIELD("Empty", 1, "", "an empty value, keep_lines");
	FIELD("SHA256", 0, "", "a list field's first line is empty");
	FIELD("SHA256", 1, "\n abc 1 x\n def  2 y", "a list field's lines");
	FIELD("Tail", 1, "t", "the last line, without a newline");
	FIELD("Pack", 0, NULL, "a prefix of a name is not the field");
	FIELD("Line", 0, NULL, "words of continuation lines are not fields");
	FIELD("Missing", 1, NULL, "absent field: NULL");

	doc = "Description: a \r\n b\r\n c\r\nX: y\r\n";
	FIELD("Description", 0, "a", "CRLF: the CR is no part of the value");
	FIELD("Description", 1, "a\n b\n c", "CRLF: lines joined by "
	    "\"\\n\"");
	FIELD("x", 0, "y", "CRLF: last field");
#undef FIELD
}

static void
test_bad(void)
{
	static const struct {
		const char	*doc;
		size_t		 len;
		const char	*want;
		size_t		 stanzas;
	} bad[] = {
		{ "Package: a\nno colon here\n", 0,
		  "t: line 2: line is neither a field nor a continuation", 0 },
		{ " Package: a\n", 0,
		  "t: line 1: continuation line at the start of a stanza", 0 },
		{ "Package: a\n\n\tmore\n", 0,
		  "t: line 3: continuation line at the start of a stanza", 1 },
		{ "Package: a\nVer\0sion: 1\n", 23, "t: line 2: NUL byte", 0 },
		{ "Package: a\n\n\0", 13, "t: line 3: NUL byte", 1 },
		{ "# comment\nPackage: a\n", 0,
		  "t: line 1: comment lines are not allowed", 0 },
		{ "Package: a\n#Foo: b\n", 0,
		  "t: line 2: comment lines are not allowed", 0 },
		{ ": value\n", 0, "t: line 1: field without a name", 0 },
		{ "Pack age: x\n", 0, "t: line 1: field name contains a space "
		  "or a control character", 0 },
		{ "Package: a\n\rX: y\n", 0, "t: line 2: field name contains "
		  "a space or a control character", 0 },
		{ "A: 1\n\nB: 2\n\n\nTruncat", 0,
		  "t: line 6: line is neither a field nor a continuation", 2 },
	};
	struct seen	 s;
	char		*cause;
	size_t		 i, len;
	int		 rv;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		len = bad[i].len != 0 ? bad[i].len : strlen(bad[i].doc);
		seen_init(&s);
		cause = NULL;
		rv = parse_all_ways(bad[i].doc, len, &s, &cause);
		ok(rv == -1 && cause != NULL &&
		    strcmp(cause, bad[i].want) == 0 &&
		    s.s_n == bad[i].stanzas, "refused: %s (%zu stanzas "
		    "before)", cause ? cause : "(accepted)", s.s_n);
		free(cause);
		seen_free(&s);
	}
}

/* Returns its document, then fails the way a decompressor does. */
struct failreader {
	const char	*fr_data;
	int		 fr_done;
};

static ssize_t
fail_read(void *arg, void *buf, size_t len, char **cause)
{
	struct failreader	*fr = arg;
	size_t			 n = strlen(fr->fr_data);

	if (fr->fr_done) {
		cause_set(cause, "Packages.xz: truncated input");
		return -1;
	}
	if (n > len)
		n = len;
	memcpy(buf, fr->fr_data, n);
	fr->fr_done = 1;
	return n;
}

static void
test_truncated(void)
{
	struct failreader	 fr;
	struct decomp		*d;
	struct seen		 s;
	struct buf		 b;
	char			*cause = NULL, *xz;
	size_t			 xzlen, i;
	int			 rv;

	fr.fr_data = "Package: a\n\nPackage: b\nVers";
	fr.fr_done = 0;
	seen_init(&s);
	rv = deb822_parse(fail_read, &fr, "t", seen_cb, &s, &cause);
	ok(rv == -1 && s.s_n == 1 && cause != NULL &&
	    strcmp(cause, "Packages.xz: truncated input") == 0,
	    "a read error passes its cause through: %s",
	    cause ? cause : "(none)");
	free(cause);
	cause = NULL;
	seen_free(&s);

	/* A real truncated xz stream, read through lib/compress.c. */
	buf_init(&b);
	for (i = 0; i < 2000; i++)
		buf_addf(&b, "Package: p%zu\nVersion: %zu\nDescription: "
		    "package number %zu of a generated index\n\n", i, i, i);
	if (compress_xz(b.b_data, b.b_len, &xz, &xzlen, &cause) != 0) {
		ok(0, "compress_xz: %s", cause);
		free(cause);
		buf_free(&b);
		return;
	}
	d = decomp_open_memory(xz, xzlen / 2, "Packages.xz", &cause);
	seen_init(&s);
	if (d == NULL)
		rv = -1;
	else {
		rv = deb822_parse(decomp_read, d, "Packages", seen_cb, &s,
		    &cause);
		decomp_close(d);
	}
	ok(rv == -1 && cause != NULL && s.s_n < 2000 &&
	    strncmp(cause, "Packages:", 9) != 0, "a truncated xz stream is "
	    "an error of the reader: %s (after %zu stanzas)",
	    cause ? cause : "(none)", s.s_n);
	free(cause);
	cause = NULL;
	seen_free(&s);

	d = decomp_open_memory(xz, xzlen, "Packages.xz", &cause);
	seen_init(&s);
	rv = d == NULL ? -1 : deb822_parse(decomp_read, d, "Packages",
	    seen_cb, &s, &cause);
	if (d != NULL)
		decomp_close(d);
	ok(rv == 0 && s.s_n == 2000 && s.s_cat.b_len == b.b_len &&
	    memcmp(s.s_cat.b_data, b.b_data, b.b_len) == 0,
	    "the whole xz stream: 2000 stanzas, the document rebuilt");
	free(cause);
	cause = NULL;
	seen_free(&s);
	free(xz);
	buf_free(&b);

	/*
	 * Plain text cut inside a value cannot be told from a whole
	 * document: the last stanza ends with it (the index's size and
	 * checksum in Release catch the cut, not the parser).
	 */
	seen_init(&s);
	rv = parse_all_ways("Package: a\n\nPackage: b\nVersion: 1.", 34, &s,
	    &cause);
	ok(rv == 0 && s.s_n == 2 && contains(s.s_log.b_data, "12 22 3\n"
	    "Package: b\nVersion: 1."), "text cut inside a value: the last "
	    "stanza ends where the text does");
	free(cause);
	cause = NULL;
	seen_free(&s);
}

/* A generated index, never whole in memory. */
struct genreader {
	struct buf	 g_buf;
	size_t		 g_off;
	long		 g_i;
	long		 g_n;		/* stanzas */
	long long	 g_big;		/* bytes of one stanza's description */
	int		 g_longline;	/* the description is one line */
	int		 g_done;
	long long	 g_total;
};

static void
gen_fill(struct genreader *g)
{
	long	j;

	buf_reset(&g->g_buf);
	buf_add(&g->g_buf, "", 0);
	g->g_off = 0;
	if (g->g_big > 0) {
		if (g->g_i == 0)
			buf_adds(&g->g_buf, "Package: big\nDescription: x");
		if (g->g_i * 4096LL >= g->g_big) {
			buf_adds(&g->g_buf, "\n\n");
			g->g_done = 1;
			return;
		}
		if (!g->g_longline)
			buf_add(&g->g_buf, "\n ", 2);
		for (j = g->g_longline ? 0 : 2; j < 4096; j++)
			buf_add(&g->g_buf, "y", 1);
		g->g_i++;
		return;
	}
	buf_addf(&g->g_buf, "Package: p%ld\nVersion: 1.%ld-1\nArchitecture: "
	    "amd64\nFilename: pool/main/p/p%ld/p%ld_1.%ld-1_amd64.deb\n"
	    "Size: %ld\nSHA256: 3f62e1b1e9d0c2f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3"
	    "c2d1e0f9a8b7c6d5e4f3\nDescription: generated\n line one\n .\n"
	    " line two of package %ld\n\n", g->g_i, g->g_i, g->g_i, g->g_i,
	    g->g_i, 1000 + g->g_i, g->g_i);
	if (++g->g_i == g->g_n)
		g->g_done = 1;
}

static ssize_t
gen_read(void *arg, void *buf, size_t len, char **cause)
{
	struct genreader	*g = arg;
	size_t			 n;

	if (g->g_off == g->g_buf.b_len) {
		if (g->g_done)
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

struct counter {
	size_t		 c_n;
	long long	 c_next;	/* where the next stanza must start */
	int		 c_gap;
	size_t		 c_maxlen;
};

static int
count_cb(const struct deb822_stanza *ds, void *arg)
{
	struct counter	*c = arg;
	char		*v;

	if (ds->ds_offset != c->c_next)
		c->c_gap++;
	c->c_next = ds->ds_offset + ds->ds_rawlen + 1;
	if (ds->ds_rawlen > c->c_maxlen)
		c->c_maxlen = ds->ds_rawlen;
	v = deb822_field(ds, "Package", 0);
	if (v == NULL)
		c->c_gap++;
	free(v);
	c->c_n++;
	return 0;
}

/* One parse of text under the bounds dl; the count and the cause. */
static int
bounded(const char *text, const struct deb822_limits *dl, size_t *n,
    char **cause)
{
	struct memreader	 mr;
	struct counter		 c;
	int			 rv;

	memset(&mr, 0, sizeof mr);
	mr.mr_data = text;
	mr.mr_len = strlen(text);
	memset(&c, 0, sizeof c);
	free(*cause);
	*cause = NULL;
	rv = deb822_parse_limited(memreader_read, &mr, "t", dl, count_cb, &c,
	    cause);
	*n = c.c_n;
	return rv;
}

/* The bounds a Packages index is read with, made small. */
static void
test_bounds(void)
{
	static const struct deb822_limits dl = { 1024, 256, 2 };
	struct buf	 b;
	char		*cause = NULL;
	size_t		 n, i;
	int		 rv;

	rv = bounded("Package: a\n\nPackage: b\n", &dl, &n, &cause);
	ok(rv == 0 && n == 2, "two stanzas under a bound of two: read (%zu)",
	    n);
	rv = bounded("Package: a\n\nPackage: b\n\nPackage: c\n", &dl, &n,
	    &cause);
	ok(rv == -1 && cause != NULL && strcmp(cause, "t: more than 2 "
	    "stanzas, the limit for one index") == 0, "a third stanza past a "
	    "bound of two: %s", cause ? cause : "(none)");

	buf_init(&b);
	buf_adds(&b, "Package: a\nDescription: x\n");
	for (i = 0; i < 10; i++)
		buf_adds(&b, " 0123456789012345678901234567890\n");
	buf_adds(&b, "Version: 1\n");
	rv = bounded(b.b_data, &dl, &n, &cause);
	ok(rv == -1 && cause != NULL && strcmp(cause, "t: line 2: field "
	    "Description larger than the limit of 256 bytes") == 0,
	    "a field of 346 bytes past a bound of 256: %s",
	    cause ? cause : "(none)");
	buf_reset(&b);
	buf_adds(&b, "Package: a\n");
	for (i = 0; i < 15; i++)
		buf_addf(&b, "X-F%zu: 01234567890123456789012345678901234567890"
		    "123456789012345678901234567890123456789\n", i);
	rv = bounded(b.b_data, &dl, &n, &cause);
	ok(rv == -1 && cause != NULL && strcmp(cause, "t: line 1: stanza "
	    "larger than the limit of 1 KiB") == 0, "a stanza of 1.3 KiB of "
	    "small fields past a bound of 1 KiB: %s", cause ? cause : "(none)");
	buf_reset(&b);
	buf_adds(&b, "Package: a\nDescription: ");
	for (i = 0; i < 300; i++)
		buf_adds(&b, "x");
	rv = bounded(b.b_data, &dl, &n, &cause);
	ok(rv == -1 && cause != NULL && strstr(cause, "limit of 256 bytes") !=
	    NULL, "a last line without its newline past the field bound: %s",
	    cause ? cause : "(none)");
	buf_free(&b);
	free(cause);
}

static void
test_limits(void)
{
	struct genreader	 g;
	struct counter		 c;
	char			*cause = NULL;
	double			 t0;
	long			 rss0;
	int			 rv;

	/*
	 * 300,000 stanzas, about 80 MB: the window holds one stanza, so
	 * the peak memory does not grow with the document (checked without
	 * ASan, whose quarantine keeps freed memory around).  A first, short
	 * parse touches the heap that earlier tests left free, so that only
	 * growth shows.
	 */
	memset(&g, 0, sizeof g);
	buf_init(&g.g_buf);
	g.g_n = 30000;
	memset(&c, 0, sizeof c);
	rv = deb822_parse(gen_read, &g, "t", count_cb, &c, &cause);
	buf_free(&g.g_buf);
	memset(&g, 0, sizeof g);
	buf_init(&g.g_buf);
	g.g_n = 300000;
	memset(&c, 0, sizeof c);
	rss0 = maxrss_kb();
	t0 = now();
	rv = deb822_parse(gen_read, &g, "t", count_cb, &c, &cause);
	ok(rv == 0 && c.c_n == 300000 && c.c_gap == 0 &&
	    c.c_next == g.g_total, "300,000 generated stanzas (%lld MB) "
	    "stream through in %.2f s", g.g_total / 1000000, now() - t0);
#if defined(__SANITIZE_ADDRESS__)
	(void)rss0;
	skip("peak memory not measured under ASan");
#else
	ok(maxrss_kb() - rss0 < 2 * 1024, "peak memory grew by %ld kB for "
	    "a %lld MB document", maxrss_kb() - rss0, g.g_total / 1000000);
#endif
	buf_free(&g.g_buf);

	/* A stanza of 15 MiB is fine, one of 17 MiB is not. */
	memset(&g, 0, sizeof g);
	buf_init(&g.g_buf);
	g.g_big = 15LL * MIB;
	memset(&c, 0, sizeof c);
	rv = deb822_parse(gen_read, &g, "t", count_cb, &c, &cause);
	ok(rv == 0 && c.c_n == 1 && c.c_maxlen + 1 == (size_t)g.g_total,
	    "a stanza of %zu bytes is accepted", c.c_maxlen);
	buf_free(&g.g_buf);

	memset(&g, 0, sizeof g);
	buf_init(&g.g_buf);
	g.g_big = 17LL * MIB;
	memset(&c, 0, sizeof c);
	rv = deb822_parse(gen_read, &g, "t", count_cb, &c, &cause);
	ok(rv == -1 && c.c_n == 0 && cause != NULL &&
	    strcmp(cause, "t: line 1: stanza larger than 16 MiB") == 0,
	    "a stanza over 16 MiB is refused: %s", cause ? cause : "(none)");
	ok(g.g_total < 17LL * MIB, "refused once past the limit (read %lld "
	    "bytes)", g.g_total);
	free(cause);
	cause = NULL;
	buf_free(&g.g_buf);

	memset(&g, 0, sizeof g);
	buf_init(&g.g_buf);
	g.g_big = 17LL * MIB;
	g.g_longline = 1;
	memset(&c, 0, sizeof c);
	rv = deb822_parse(gen_read, &g, "t", count_cb, &c, &cause);
	ok(rv == -1 && cause != NULL &&
	    strcmp(cause, "t: line 2: line longer than 16 MiB") == 0,
	    "a line over 16 MiB is refused: %s", cause ? cause : "(none)");
	ok(g.g_total < 17LL * MIB, "refused once past the limit (read %lld "
	    "bytes)", g.g_total);
	free(cause);
	buf_free(&g.g_buf);
}

/* Release files. */

static const char release_doc[] =
    "Origin: Test\n"
    "Label: Test Label\n"
    "Suite: stable\n"
    "Codename: test\n"
    "Version: 1.0\n"
    "Date: Sat, 28 Nov 2026 10:00:00 UTC\n"
    "Valid-Until: Sat, 05 Dec 2026 11:00:00 +0100\n"
    "Acquire-By-Hash: yes\n"
    "No-Support-for-Architecture-all: Packages\n"
    "Architectures: amd64 arm64\n"
    "Components: updates/main updates/contrib\n"
    "Description: Test repository\n"
    "MD5Sum:\n"
    " d41d8cd98f00b204e9800998ecf8427e        0 main/binary-amd64/Md5only\n"
    "SHA256:\n"
    " e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    "        0 main/binary-amd64/Packages\n"
    " E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B856"
    " 123456789 main/binary-amd64/Packages.xz\n"
    " 2bf8b69fe8e957e2a3aa8f8aaf8525803e35de2c7cd77f4addef838e95c18903"
    "     2732 main/Contents-amd64.diff/Index\n";

/* release_doc with its SHA256 list's third line replaced by line. */
static char *
release_with(const char *line)
{
	const char	*p = strstr(release_doc, " 2bf8b69f");
	char		*s;

	xasprintf(&s, "%.*s%s", (int)(p - release_doc), release_doc, line);
	return s;
}

static struct apt_release *
release_parse(const char *text, char **cause)
{
	*cause = NULL;
	return apt_release_parse(text, strlen(text), "t", cause);
}

/* The first 62 digits of a checksum, its line's leading blank first. */
#define SUM	" 2bf8b69fe8e957e2a3aa8f8aaf8525803e35de2c7cd77f4addef838e95c1"

static void
test_release(void)
{
	static const struct {
		const char	*line;
		const char	*want;
	} bad[] = {
		{ SUM "8903 1 ../etc/passwd\n",
		  "t: line 18: unsafe path \"../etc/passwd\" in the SHA256 "
		  "list" },
		{ SUM "8903 1 /etc/passwd\n", "unsafe path \"/etc/passwd\"" },
		{ SUM "8903 1 main/../../x\n", "unsafe path \"main/../../x\"" },
		{ SUM "8903 1 main/..\n", "unsafe path \"main/..\"" },
		{ SUM "8903 1 main//x\n", "unsafe path \"main//x\"" },
		{ SUM "8903 1 ./main/x\n", "unsafe path \"./main/x\"" },
		{ SUM "8903 1 main/\n", "unsafe path \"main/\"" },
		{ SUM "8903 1 main/a b\n", "unsafe path \"main/a b\"" },
		{ SUM "8903 1 main/a\x01" "b\n",
		  "unsafe path \"main/a\\x01b\"" },
		{ SUM "8903 1 main\\x\n", "unsafe path \"main\\x\"" },
		{ SUM "8903 1 main/binary-amd64/Packages\n",
		  "t: \"main/binary-amd64/Packages\" is listed twice in the "
		  "SHA256 list" },
		{ SUM "890 1 main/x\n", "t: line 18: SHA256 line is not" },
		{ SUM "890g 1 main/x\n", "t: line 18: SHA256 checksum is not "
		  "hexadecimal" },
		{ SUM "8903 12a main/x\n", "t: line 18: bad size \"12a\"" },
		{ SUM "8903 1234567890123456789 main/x\n", "bad size" },
		{ SUM "8903 12\n", "t: line 18: SHA256 line is not" },
		{ "SHA256:\n", "t: line 18: a second SHA256 list" },
		{ "\nOrigin: x\n", "t: line 19: a second stanza" },
		{ "garbage\n", "t: line 18: line is neither a field nor a "
		  "continuation" },
	};
	struct apt_release		*ar;
	const struct apt_release_file	*f;
	char				*cause, *s;
	time_t				 t;
	size_t				 i;

	ar = release_parse(release_doc, &cause);
	ok(ar != NULL, "a Release: %s", cause ? cause : "parsed");
	if (ar == NULL) {
		free(cause);
		return;
	}
	is_str(ar->ar_origin, "Test", "Origin");
	is_str(ar->ar_label, "Test Label", "Label");
	is_str(ar->ar_suite, "stable", "Suite");
	is_str(ar->ar_codename, "test", "Codename");
	is_str(ar->ar_version, "1.0", "Version");
	is_str(ar->ar_description, "Test repository", "Description");
	is_str(ar->ar_no_support_arch_all, "Packages",
	    "No-Support-for-Architecture-all");
	apt_date_parse("Sat, 28 Nov 2026 10:00:00 UTC", &t);
	is_int(ar->ar_date, t, "Date");
	is_int(ar->ar_valid_until, t + 7 * 86400, "Valid-Until with an "
	    "offset");
	ok(ar->ar_acquire_by_hash == 1, "Acquire-By-Hash: yes");
	ok(ar->ar_architectures[0] != NULL &&
	    strcmp(ar->ar_architectures[0], "amd64") == 0 &&
	    ar->ar_architectures[1] != NULL &&
	    strcmp(ar->ar_architectures[1], "arm64") == 0 &&
	    ar->ar_architectures[2] == NULL, "Architectures");
	ok(ar->ar_components[0] != NULL &&
	    strcmp(ar->ar_components[0], "updates/main") == 0 &&
	    ar->ar_components[1] != NULL &&
	    strcmp(ar->ar_components[1], "updates/contrib") == 0 &&
	    ar->ar_components[2] == NULL, "Components as written");
	is_int(ar->ar_nfiles, 3, "three SHA256 entries, MD5Sum ignored");
	f = apt_release_find(ar, "main/binary-amd64/Packages.xz");
	ok(f != NULL && f->arf_size == 123456789 && strcmp(f->arf_sha256,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b856")
	    == 0, "find: size, and the checksum in lowercase");
	f = apt_release_find(ar, "main/binary-amd64/Packages");
	ok(f != NULL && f->arf_size == 0, "find: size padded with spaces");
	f = apt_release_find(ar, "main/Contents-amd64.diff/Index");
	ok(f != NULL && f->arf_size == 2732, "find: the last entry");
	ok(apt_release_find(ar, "main/binary-amd64/Md5only") == NULL,
	    "entries of MD5Sum are not SHA256 entries");
	ok(apt_release_find(ar, "main/binary-amd64") == NULL,
	    "find: unknown path");
	apt_release_free(ar);

	ar = release_parse("Suite: x\nSHA256:\n e3b0c44298fc1c149afbf4c8996fb9"
	    "2427ae41e4649b934ca495991b7852b855 0 a\n", &cause);
	ok(ar != NULL && ar->ar_date == 0 && ar->ar_valid_until == 0 &&
	    ar->ar_acquire_by_hash == 0 && ar->ar_origin == NULL &&
	    ar->ar_no_support_arch_all == NULL &&
	    ar->ar_architectures != NULL && ar->ar_architectures[0] == NULL &&
	    ar->ar_components != NULL && ar->ar_components[0] == NULL &&
	    ar->ar_nfiles == 1, "absent fields: 0, NULL, empty lists");
	apt_release_free(ar);
	free(cause);

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		s = release_with(bad[i].line);
		ar = release_parse(s, &cause);
		ok(ar == NULL && contains(cause, bad[i].want), "refused: %s",
		    cause ? cause : "(accepted)");
		apt_release_free(ar);
		free(cause);
		free(s);
	}

	ar = release_parse("Suite: x\nMD5Sum:\n d41d8cd98f00b204e9800998ecf842"
	    "7e 0 a\n", &cause);
	ok(ar == NULL && contains(cause, "t: no SHA256 list"), "refused: %s",
	    cause ? cause : "(accepted)");
	free(cause);
	ar = release_parse("Suite: x\nSHA256:\n", &cause);
	ok(ar == NULL && contains(cause, "t: no SHA256 list"), "an empty "
	    "SHA256 list: %s", cause ? cause : "(accepted)");
	free(cause);
	ar = release_parse("", &cause);
	ok(ar == NULL && contains(cause, "t: no SHA256 list"), "an empty "
	    "Release: %s", cause ? cause : "(accepted)");
	free(cause);

	s = xstrdup(release_doc);
	memcpy(strstr(s, "Acquire-By-Hash: yes"), "Acquire-By-Hash: maybe", 20);
	ar = release_parse(s, &cause);
	ok(ar == NULL && contains(cause, "t: bad Acquire-By-Hash value"),
	    "refused: %s", cause ? cause : "(accepted)");
	free(cause);
	free(s);
	s = xstrdup(release_doc);
	memcpy(strstr(s, "Acquire-By-Hash: yes"), "Acquire-By-Hash: no ", 20);
	ar = release_parse(s, &cause);
	ok(ar != NULL && ar->ar_acquire_by_hash == 0, "Acquire-By-Hash: no");
	apt_release_free(ar);
	free(cause);
	free(s);
	s = xstrdup(release_doc);
	memcpy(strstr(s, "Sat, 28 Nov"), "Sat, 31 Nov", 11);
	ar = release_parse(s, &cause);
	ok(ar == NULL && contains(cause, "t: bad Date \"Sat, 31 Nov 2026 "
	    "10:00:00 UTC\""), "refused: %s", cause ? cause : "(accepted)");
	free(cause);
	free(s);
}

static void
test_dates(void)
{
	static const char	*good[] = {
		"Thu, 26 Nov 2026 21:03:35 UTC",
		"26 Nov 2026 21:03:35 UTC",
		"Thu, 26 Nov 2026 21:03:35 +0000",
		"Thu, 26 Nov 2026 21:03:35 GMT",
		"thu, 26 nov 2026 21:03:35 UTC",
		"Thu, 26 Nov 2026 22:03:35 +0100",
		"Thu, 26 Nov 2026 15:33:35 -0530",
		"Fri, 27 Nov 2026 00:03:35 +0300",
		"  Thu,  26  Nov  2026  21:03:35  Z  ",
	};
	static const char	*bad[] = {
		"", "Thu, 26 Nov 2026 21:03:35", "Thu, 26 Nov 26 21:03:35 UTC",
		"Thu, 31 Nov 2026 21:03:35 UTC",
		"Sun, 29 Feb 2026 00:00:00 UTC",
		"Thu, 26 Foo 2026 21:03:35 UTC",
		"Thu, 26 Nov 2026 24:00:00 UTC",
		"Thu, 26 Nov 2026 21:60:00 UTC",
		"Thu, 26 Nov 2026 21:03:35 EST",
		"Thu, 26 Nov 2026 21:03:35 UTC x",
		"Thx, 26 Nov 2026 21:03:35 UTC",
		"Thu 26 Nov 2026 21:03:35 UTC",
		"Thu, 26 Nov 2026 21:03:35 +01",
		"Thu, 26 Nov 2026 21:03:35 +0160",
		"Thu, 0 Nov 2026 21:03:35 UTC",
		"Thu, 26 Nov 1969 21:03:35 UTC",
		"Thu, 26 Nov 2026 21.03.35 UTC",
		"Thu, 123 Nov 2026 21:03:35 UTC",
		"2026-11-26T21:03:35Z",
	};
	char		 buf[64];
	const char	*s;
	time_t		 t, u;
	size_t		 i;
	int		 allok;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		t = 0;
		ok(apt_date_parse(good[i], &t) == 0 && t == 1795727015,
		    "date \"%s\" is %lld", good[i], (long long)t);
	}
	ok(apt_date_parse("Mon, 29 Feb 2024 00:00:00 UTC", &t) == 0 &&
	    t == 1709164800, "a leap day");
	ok(apt_date_parse("Thu, 1 Jan 1970 00:00:01 UTC", &t) == 0 && t == 1,
	    "one digit days");
	ok(apt_date_parse("Tue, 19 Jan 2038 03:14:08 UTC", &t) == 0 &&
	    t == 2147483648LL, "past 2038");
	ok(apt_date_parse("Thu, 26 Nov 2026 21:03 UTC", &t) == 0 &&
	    t == 1795727015 - 35, "without seconds");
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ok(apt_date_parse(bad[i], &t) == -1, "date \"%s\" refused",
		    bad[i]);

	s = apt_date_format(1795727015, buf, sizeof buf);
	is_str(s, "Thu, 26 Nov 2026 21:03:35 UTC", "apt_date_format");
	s = apt_date_format(1, buf, sizeof buf);
	is_str(s, "Thu, 01 Jan 1970 00:00:01 UTC", "two digit days");
	ok(apt_date_format(1795727015, buf, 20) == NULL, "a short buffer");
	allok = 1;
	for (t = 86400; t < 4102444800LL; t += 86400 * 37 + 3671) {
		if (apt_date_format(t, buf, 32) == NULL ||
		    apt_date_parse(buf, &u) != 0 || u != t) {
			printf("# %lld: %s\n", (long long)t, buf);
			allok = 0;
			break;
		}
	}
	ok(allok, "format and parse agree from 1970 to 2100");
}

/* InRelease. */

static const char inrelease_sig[] =
    "-----BEGIN PGP SIGNATURE-----\n"
    "\n"
    "iQIzBAEBCAAdFiEE7VQTEqM/ESjxCxxsVEBHYru26FMFAmsInqgACgkQVEBHYru2\n"
    "=GtOe\n"
    "-----END PGP SIGNATURE-----\n";

static void
test_inrelease(void)
{
	static const struct {
		const char	*doc;
		const char	*want;
	} bad[] = {
		{ "", "InRelease: not clear-signed" },
		{ "Origin: x\n", "InRelease: not clear-signed" },
		{ "\n-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"
		  "A: b\n",
		  "InRelease: not clear-signed" },
		{ "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n",
		  "InRelease: ends in the armor headers" },
		{ "-----BEGIN PGP SIGNED MESSAGE-----\nComment: x\n\nA: b\n",
		  "InRelease: line 2: armor header other than Hash:" },
		{ "-----BEGIN PGP SIGNED MESSAGE-----\nA: b\n",
		  "InRelease: line 2: armor header other than Hash:" },
		{ "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nA: b\n",
		  "InRelease: no signature after the text" },
		{ "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nA: b\n"
		  "-----BEGIN PGP SIGNATURE-----\n\nabc\n",
		  "InRelease: signature not closed" },
		{ "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nA: b\n"
		  "-x\n-----BEGIN PGP SIGNATURE-----\n",
		  "InRelease: line 5: line starting with a dash is not "
		  "dash-escaped" },
		{ "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nA: b\n"
		  "- \n-----BEGIN PGP SIGNATURE-----\n",
		  "InRelease: line 5: line starting with a dash is not "
		  "dash-escaped" },
		{ "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nA: b\n"
		  "-----BEGIN PGP MESSAGE-----\n"
		  "-----BEGIN PGP SIGNATURE-----\n",
		  "InRelease: line 5: line starting with a dash is not "
		  "dash-escaped" },
		{ "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nA: b\n"
		  "-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE"
		  "-----\nEvil: yes\n",
		  "InRelease: line 9: unsigned text after the signature" },
		{ "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nA: b\n"
		  "-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE"
		  "-----\n\n",
		  "InRelease: line 9: unsigned text after the signature" },
		{ "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nA: b\n"
		  "-----BEGIN PGP SIGNATURE-----\n\nabc\n-----BEGIN PGP SIGNED "
		  "MESSAGE-----\n", "InRelease: line 8: unexpected armor line "
		  "in the signature" },
	};
	const char	*doc;
	char		*text, *cause, *s;
	size_t		 len, i;
	int		 rv;

	xasprintf(&s, "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"
	    "Origin: X\n- -dash\n- Escaped: x\nTrail:  \t\nCR: y\r\n \n%s",
	    inrelease_sig);
	text = cause = NULL;
	rv = apt_inrelease_text(s, strlen(s), &text, &len, &cause);
	ok(rv == 0 && len == strlen(text) && strcmp(text, "Origin: X\n-dash\n"
	    "Escaped: x\nTrail:\nCR: y\r\n\n") == 0, "InRelease text: dash "
	    "escapes undone, trailing blanks cut, CRLF kept, the last line "
	    "end printed");
	free(text);
	free(cause);
	free(s);

	/* Two signatures, armor lines with trailing blanks, no final LF. */
	doc = "-----BEGIN PGP SIGNED MESSAGE----- \r\nHash: SHA256\r\n"
	    "Hash: SHA512\r\n\r\nA: b\r\n-----BEGIN PGP SIGNATURE-----\r\n\r\n"
	    "abc\r\n-----END PGP SIGNATURE-----\r\n-----BEGIN PGP SIGNATURE-"
	    "----\n\ndef\n-----END PGP SIGNATURE-----";
	text = cause = NULL;
	rv = apt_inrelease_text(doc, strlen(doc), &text, &len, &cause);
	ok(rv == 0 && strcmp(text, "A: b\r\n") == 0, "CRLF armor, two "
	    "signatures: %s", cause ? cause : "accepted");
	free(text);
	free(cause);

	xasprintf(&s, "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n%s",
	    inrelease_sig);
	text = cause = NULL;
	rv = apt_inrelease_text(s, strlen(s), &text, &len, &cause);
	ok(rv == 0 && len == 0 && text != NULL && *text == '\0', "an empty "
	    "text");
	free(text);
	free(cause);
	free(s);

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		text = cause = NULL;
		rv = apt_inrelease_text(bad[i].doc, strlen(bad[i].doc), &text,
		    &len, &cause);
		ok(rv == -1 && text == NULL && contains(cause, bad[i].want),
		    "refused: %s", cause ? cause : "(accepted)");
		free(text);
		free(cause);
	}
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

static void
test_corpus_packages(const char *rel, size_t want)
{
	struct decomp	*d;
	struct seen	 s, s1;
	char		*path, *doc, *cause = NULL;
	size_t		 len;
	double		 t0, secs;
	int		 fd, rv;

	path = corpus_path(rel);
	if (access(path, R_OK) != 0 || load_doc(path, &doc, &len) != 0) {
		skip(rel);
		free(path);
		return;
	}

	/* Straight off the decompressor, the way the indexer reads it. */
	fd = open(path, O_RDONLY);
	d = decomp_open_fd(fd, rel, &cause);
	seen_init(&s);
	s.s_doc = doc;
	s.s_doclen = len;
	s.s_required = 1;
	t0 = now();
	rv = d == NULL ? -1 : deb822_parse(decomp_read, d, rel, seen_cb, &s,
	    &cause);
	secs = now() - t0;
	if (d != NULL)
		decomp_close(d);
	close(fd);
	ok(rv == 0 && s.s_n == want, "%s: %zu stanzas in %.3f s (%s)", rel,
	    s.s_n, secs, cause ? cause : "no error");
	ok(s.s_mismatch == 0, "%s: every stanza is the document's bytes at "
	    "its offset (%d differ)", rel, s.s_mismatch);
	ok(s.s_cat.b_len == len && memcmp(s.s_cat.b_data, doc, len) == 0,
	    "%s: the stanzas joined by \"\\n\" are the document (%zu of %zu "
	    "bytes)", rel, s.s_cat.b_len, len);
	ok(s.s_nofields == 0, "%s: Package, Version, Filename, Size and "
	    "SHA256 in every stanza (%d missing)", rel, s.s_nofields);
	free(cause);
	cause = NULL;

	/* One byte at a time, and in pieces of random sizes. */
	seen_init(&s1);
	rv = parse_mem(doc, len, 1, &s1, &cause);
	ok(rv == 0 && s1.s_log.b_len == s.s_log.b_len &&
	    memcmp(s1.s_log.b_data, s.s_log.b_data, s.s_log.b_len) == 0,
	    "%s: reads of one byte give the same stanzas", rel);
	seen_free(&s1);
	seen_init(&s1);
	rv = parse_mem(doc, len, 0, &s1, &cause);
	ok(rv == 0 && s1.s_log.b_len == s.s_log.b_len &&
	    memcmp(s1.s_log.b_data, s.s_log.b_data, s.s_log.b_len) == 0,
	    "%s: reads of random sizes give the same stanzas", rel);
	seen_free(&s1);
	seen_free(&s);
	free(cause);
	free(doc);
	free(path);
}

/*
 * gpg's text of a clear-signed file, without the key: gpg prints the text
 * and then fails to check the signature.  NULL when gpg is missing.
 */
static char *
gpg_text(const char *path, size_t *len)
{
	char		 tmpl[] = "/tmp/test_deb822.XXXXXX", *cmd, chunk[8192];
	struct buf	 b;
	FILE		*f;
	size_t		 n;

	if (access("/usr/bin/gpg", X_OK) != 0 || mkdtemp(tmpl) == NULL)
		return NULL;
	xasprintf(&cmd, "/usr/bin/gpg --homedir '%s' --batch --no-tty "
	    "--decrypt '%s' 2>/dev/null", tmpl, path);
	buf_init(&b);
	buf_add(&b, "", 0);
	if ((f = popen(cmd, "r")) != NULL) {
		while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
			buf_add(&b, chunk, n);
		pclose(f);
	}
	free(cmd);
	remove_tree(tmpl);
	*len = b.b_len;
	return b.b_data;
}

static void
compare_gpg(const char *name, const char *data, size_t len)
{
	char	 tmpl[] = "/tmp/test_deb822.XXXXXX";
	char	*text = NULL, *cause = NULL, *g;
	size_t	 textlen, glen;
	int	 fd;

	if ((fd = mkstemp(tmpl)) == -1 ||
	    write(fd, data, len) != (ssize_t)len) {
		ok(0, "%s: temporary file: %s", name, strerror(errno));
		return;
	}
	close(fd);
	g = gpg_text(tmpl, &glen);
	unlink(tmpl);
	if (g == NULL) {
		skip("gpg absent");
		return;
	}
	if (apt_inrelease_text(data, len, &text, &textlen, &cause) != 0) {
		ok(0, "%s: %s", name, cause);
		free(cause);
		free(g);
		return;
	}
	ok(glen > 0 && glen == textlen && memcmp(g, text, glen) == 0,
	    "%s: the text is gpg's, byte for byte (%zu and %zu bytes)", name,
	    textlen, glen);
	free(g);
	free(text);
}

struct corpus_release {
	const char	*cr_inrelease;
	const char	*cr_packages;
	const char	*cr_suite;
	const char	*cr_codename;
	const char	*cr_components;	/* joined by spaces */
	const char	*cr_date;
	const char	*cr_valid_until;	/* NULL: absent */
	const char	*cr_no_arch_all;
	size_t		 cr_nfiles;
};

static void
test_corpus_release(const struct corpus_release *cr)
{
	struct apt_release		*ar;
	const struct apt_release_file	*f;
	struct buf			 comps;
	char				*path, *data, *text, *cause = NULL;
	char				*mod, *p, hex[HASH_HEX_MAX];
	size_t				 len, textlen, i;
	long long			 size;
	time_t				 t;
	int				 rv;

	path = corpus_path(cr->cr_inrelease);
	if (access(path, R_OK) != 0 ||
	    file_read(path, 16 * MIB, &data, &len, &cause) != 0) {
		skip(cr->cr_inrelease);
		free(cause);
		free(path);
		return;
	}
	textlen = 0;
	rv = apt_inrelease_text(data, len, &text, &textlen, &cause);
	ok(rv == 0, "%s: the signed text (%zu bytes): %s", cr->cr_inrelease,
	    textlen, cause ? cause : "ok");
	if (cause != NULL) {
		free(cause);
		free(data);
		free(path);
		return;
	}
	compare_gpg(cr->cr_inrelease, data, len);

	ar = apt_release_parse(text, textlen, cr->cr_inrelease, &cause);
	ok(ar != NULL, "%s: the Release parses: %s", cr->cr_inrelease,
	    cause ? cause : "ok");
	if (ar == NULL) {
		free(cause);
		free(text);
		free(data);
		free(path);
		return;
	}
	is_str(ar->ar_suite, cr->cr_suite, "%s: Suite", cr->cr_inrelease);
	is_str(ar->ar_codename, cr->cr_codename, "%s: Codename",
	    cr->cr_inrelease);
	buf_init(&comps);
	buf_add(&comps, "", 0);
	for (i = 0; ar->ar_components[i] != NULL; i++)
		buf_addf(&comps, "%s%s", i ? " " : "", ar->ar_components[i]);
	is_str(comps.b_data, cr->cr_components, "%s: Components",
	    cr->cr_inrelease);
	buf_free(&comps);
	ok(ar->ar_acquire_by_hash == 1, "%s: Acquire-By-Hash",
	    cr->cr_inrelease);
	apt_date_parse(cr->cr_date, &t);
	is_int(ar->ar_date, t, "%s: Date", cr->cr_inrelease);
	t = 0;
	if (cr->cr_valid_until != NULL)
		apt_date_parse(cr->cr_valid_until, &t);
	is_int(ar->ar_valid_until, t, "%s: Valid-Until", cr->cr_inrelease);
	is_str(ar->ar_no_support_arch_all, cr->cr_no_arch_all,
	    "%s: No-Support-for-Architecture-all", cr->cr_inrelease);
	is_int(ar->ar_nfiles, cr->cr_nfiles, "%s: SHA256 entries",
	    cr->cr_inrelease);

	free(path);
	path = corpus_path(cr->cr_packages);
	f = apt_release_find(ar, "main/binary-amd64/Packages.xz");
	if (hash_file("sha256", path, hex, &size) != 0)
		skip(cr->cr_packages);
	else
		ok(f != NULL && f->arf_size == size &&
		    strcmp(f->arf_sha256, hex) == 0, "%s: main/binary-amd64/"
		    "Packages.xz is listed with the corpus file's size (%lld) "
		    "and sha256 (%.12s...)", cr->cr_inrelease, size, hex);
	apt_release_free(ar);

	/*
	 * The same signature over a text with trailing blanks, dash-escapes
	 * and CRLF lines: gpg must print what apt_inrelease_text returns.
	 */
	p = strstr(data, "\n\n");
	xasprintf(&mod, "%.*s\n\n- Origin: Debian  \n- - dash\nCRLF: y\r\n"
	    "CRLF-blank: y \t\r\nTabs:\t\t\n \n%s", (int)(p - data), data,
	    p + 2);
	compare_gpg("InRelease with escapes, blanks and CRLF", mod,
	    strlen(mod));
	free(mod);

	free(text);
	free(data);
	free(path);
}

/* A pipe from "lz4 -dc path", for apt's own lists. */
struct fdreader {
	int		 fd_fd;
	long long	 fd_total;
};

static ssize_t
fd_read(void *arg, void *buf, size_t len, char **cause)
{
	struct fdreader	*fr = arg;
	ssize_t		 n;

	do
		n = read(fr->fd_fd, buf, len);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		cause_set(cause, "read: %s", strerror(errno));
		return -1;
	}
	fr->fd_total += n;
	return n;
}

static void
test_apt_list(const char *dir, const char *name)
{
	struct fdreader	 fr;
	struct counter	 c;
	struct decomp	*d = NULL;
	char		*path, *cmd = NULL, *cause = NULL;
	FILE		*pipe = NULL;
	double		 t0, secs;
	int		 fd = -1, rv, status = 0;

	xasprintf(&path, "%s/%s", dir, name);
	memset(&fr, 0, sizeof fr);
	memset(&c, 0, sizeof c);
	t0 = now();
	if (strlen(name) > 4 && strcmp(name + strlen(name) - 4, ".lz4") == 0) {
		if (access("/usr/bin/lz4", X_OK) != 0 ||
		    strchr(path, '\'') != NULL) {
			printf("# %s: no lz4\n", name);
			skip(name);
			free(path);
			return;
		}
		xasprintf(&cmd, "/usr/bin/lz4 -dc '%s'", path);
		if ((pipe = popen(cmd, "r")) == NULL) {
			skip(name);
			free(cmd);
			free(path);
			return;
		}
		fr.fd_fd = fileno(pipe);
		rv = deb822_parse(fd_read, &fr, name, count_cb, &c, &cause);
		status = pclose(pipe);
		free(cmd);
		if (rv == 0 && status != 0) {
			printf("# %s: lz4 exited with %d\n", name, status);
			skip(name);
			free(path);
			return;
		}
	} else {
		if ((fd = open(path, O_RDONLY)) == -1 ||
		    (d = decomp_open_fd(fd, name, &cause)) == NULL) {
			printf("# %s: %s\n", name,
			    cause ? cause : "unreadable");
			skip(name);
			free(cause);
			if (fd != -1)
				close(fd);
			free(path);
			return;
		}
		rv = deb822_parse(decomp_read, d, name, count_cb, &c, &cause);
		fr.fd_total = decomp_offset(d);
		decomp_close(d);
		close(fd);
	}
	secs = now() - t0;
	/* c_next counts a blank line after the last stanza. */
	ok(rv == 0 && c.c_gap == 0 && c.c_n > 0 &&
	    (c.c_next == fr.fd_total || c.c_next == fr.fd_total + 1),
	    "%s: %zu stanzas, %.1f MB, in %.2f s (largest stanza %zu "
	    "bytes)%s%s",
	    name, c.c_n, fr.fd_total / 1e6, secs, c.c_maxlen,
	    cause ? ": " : "", cause ? cause : "");
	free(cause);
	free(path);
}

static void
test_apt_lists(void)
{
	const char	*dir = "/var/lib/apt/lists";
	DIR		*dp;
	struct dirent	*de;
	const char	*p;
	int		 n = 0;

	if ((dp = opendir(dir)) == NULL) {
		skip("no /var/lib/apt/lists");
		return;
	}
	while ((de = readdir(dp)) != NULL) {
		if ((p = strstr(de->d_name, "_Packages")) == NULL)
			continue;
		p += strlen("_Packages");
		if (*p != '\0' && strcmp(p, ".lz4") != 0 &&
		    strcmp(p, ".gz") != 0 && strcmp(p, ".xz") != 0 &&
		    strcmp(p, ".zst") != 0 && strcmp(p, ".bz2") != 0)
			continue;	/* e.g. _Packages.diff_Index */
		test_apt_list(dir, de->d_name);
		n++;
	}
	closedir(dp);
	if (n == 0)
		skip("no Packages in /var/lib/apt/lists");
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
	static const struct corpus_release	releases[] = {
		{ "apt/debian-bookworm-security.InRelease",
		  "apt/debian-bookworm-security-main-amd64.Packages.xz",
		  "oldstable-security", "bookworm-security",
		  "updates/main updates/contrib updates/non-free-firmware "
		  "updates/non-free", "Thu, 26 Nov 2026 21:03:35 UTC",
		  "Thu, 03 Dec 2026 21:03:35 UTC", NULL, 292 },
		{ "apt/debian-bookworm-updates.InRelease",
		  "apt/debian-bookworm-updates-main-amd64.Packages.xz",
		  "oldstable-updates", "bookworm-updates",
		  "main contrib non-free-firmware non-free",
		  "Fri, 27 Nov 2026 02:10:32 UTC", NULL, "Packages", 480 },
	};
	size_t	i;

	test_stanzas();
	test_field();
	test_bad();
	test_truncated();
	test_limits();
	test_bounds();
	test_release();
	test_dates();
	test_inrelease();

	corpora = find_corpora();
	if (corpora == NULL)
		skip("no corpora (shared/corpora)");
	else {
		printf("# corpora: %s\n", corpora);
		test_corpus_packages(
		    "apt/debian-bookworm-security-main-amd64.Packages.xz",
		    3063);
		test_corpus_packages(
		    "apt/debian-bookworm-updates-main-amd64.Packages.xz", 38);
		for (i = 0; i < sizeof releases / sizeof releases[0]; i++)
			test_corpus_release(&releases[i]);
		free(corpora);
	}
	test_apt_lists();
	ok(fields_compared > 1000 && fields_differed == 0, "deb822_fields "
	    "finds what deb822_field does: %lu of %lu values differ",
	    fields_differed, fields_compared);
	return done_testing();
}
