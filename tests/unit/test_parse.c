/*
 * Unit tests for proxy/parse.c: the request path, Range and Host headers
 * and packages.idx lines, each as a client or the store could send them,
 * with the refusals that keep a request inside its view.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "proxy.h"
#include "tap.h"

/* The normalized form of raw, or "REFUSED". */
static const char *
norm(const char *raw)
{
	static char		 buf[PARSE_PATH_MAX + 1];
	struct route_path	 rp;

	if (parse_path(raw, &rp) != 0)
		return "REFUSED";
	snprintf(buf, sizeof buf, "%s", rp.rp_norm);
	parse_path_free(&rp);
	return buf;
}

static void
test_path(void)
{
	struct route_path	 rp;
	char			*longp;

	is_str(norm("/"), "", "/ is the empty path");
	is_str(norm("/el9/baseos/repodata/repomd.xml"),
	    "el9/baseos/repodata/repomd.xml", "a plain path");
	is_str(norm("//el9///baseos/"), "el9/baseos", "empty segments dropped");
	is_str(norm("/a%2Fb"), "a/b", "%%2F becomes a separator");
	is_str(norm("/p/bash-5.1%2b1.rpm"), "p/bash-5.1+1.rpm", "%%2b decodes");
	is_str(norm("/p/%7e%7E"), "p/~~", "hex of either case");
	is_str(norm("/.hidden/x"), ".hidden/x", "a dot file is no dot segment");
	is_str(norm("/a/.."), "REFUSED", "..");
	is_str(norm("/a/./b"), "REFUSED", ".");
	is_str(norm("/a/%2e%2e/b"), "REFUSED", "encoded ..");
	is_str(norm("/a/%2E/b"), "REFUSED", "encoded .");
	is_str(norm("/a%00b"), "REFUSED", "encoded NUL");
	is_str(norm("/a%5cb"), "REFUSED", "encoded backslash");
	is_str(norm("/a\\b"), "REFUSED", "backslash");
	is_str(norm("/a%0ab"), "REFUSED", "encoded newline");
	is_str(norm("/a%7fb"), "REFUSED", "DEL");
	is_str(norm("/a\tb"), "REFUSED", "TAB");
	is_str(norm("/a%"), "REFUSED", "lone %%");
	is_str(norm("/a%4"), "REFUSED", "%% with one digit");
	is_str(norm("/a%g0"), "REFUSED", "%% with a non-hex digit");
	is_str(norm("a/b"), "REFUSED", "no leading slash");
	is_str(norm(""), "REFUSED", "empty");

	ok(parse_path("/x//y/z", &rp) == 0 && rp.rp_nsegs == 3 &&
	    strcmp(rp.rp_segs[0], "x") == 0 && strcmp(rp.rp_segs[2], "z") == 0 &&
	    rp.rp_offs[1] == 2 && rp.rp_offs[2] == 4, "segments and offsets");
	parse_path_free(&rp);

	longp = malloc(PARSE_PATH_MAX + 2);
	memset(longp, 'a', PARSE_PATH_MAX + 1);
	longp[0] = '/';
	longp[PARSE_PATH_MAX + 1] = '\0';
	errno = 0;
	ok(parse_path(longp, &rp) == -1 && errno == EINVAL,
	    "a path over %d bytes is refused", PARSE_PATH_MAX);
	longp[PARSE_PATH_MAX] = '\0';
	ok(parse_path(longp, &rp) == 0 && rp.rp_nsegs == 1,
	    "a path of %d bytes is taken", PARSE_PATH_MAX);
	parse_path_free(&rp);
	free(longp);

	is_int(parse_hex('0'), 0, "hex 0");
	is_int(parse_hex('f'), 15, "hex f");
	is_int(parse_hex('F'), 15, "hex F");
	is_int(parse_hex('g'), -1, "hex g");
	is_int(parse_hex('\0'), -1, "hex NUL");
}

struct range_vec {
	const char	*value;
	long long	 size;
	int		 want;
	long long	 first, last;
};

static const struct range_vec range_vecs[] = {
	{ "bytes=0-99", 1000, RANGE_PARTIAL, 0, 99 },
	{ "bytes=100-", 1000, RANGE_PARTIAL, 100, 999 },
	{ "bytes=-100", 1000, RANGE_PARTIAL, 900, 999 },
	{ "bytes=-5000", 1000, RANGE_PARTIAL, 0, 999 },
	{ "bytes=500-5000", 1000, RANGE_PARTIAL, 500, 999 },
	{ "bytes=999-999", 1000, RANGE_PARTIAL, 999, 999 },
	{ "  BYTES= 1-2 ", 1000, RANGE_PARTIAL, 1, 2 },
	{ "bytes=1000-", 1000, RANGE_UNSATISFIABLE, 0, 0 },
	{ "bytes=-0", 1000, RANGE_UNSATISFIABLE, 0, 0 },
	{ "bytes=-1", 0, RANGE_UNSATISFIABLE, 0, 0 },
	{ "bytes=0-", 0, RANGE_UNSATISFIABLE, 0, 0 },
	{ "bytes=5-4", 1000, RANGE_NONE, 0, 0 },
	{ "bytes=0-1,5-6", 1000, RANGE_NONE, 0, 0 },
	{ "bytes=a-b", 1000, RANGE_NONE, 0, 0 },
	{ "bytes=-", 1000, RANGE_NONE, 0, 0 },
	{ "bytes=1", 1000, RANGE_NONE, 0, 0 },
	{ "bytes=1-2x", 1000, RANGE_NONE, 0, 0 },
	{ "bytes=--1", 1000, RANGE_NONE, 0, 0 },
	{ "items=0-1", 1000, RANGE_NONE, 0, 0 },
	{ "bytes=99999999999999999999-", 1000, RANGE_NONE, 0, 0 },
	{ "bytes=-99999999999999999999", 1000, RANGE_NONE, 0, 0 },
	{ "bytes=922337203685477579-", 1000, RANGE_UNSATISFIABLE, 0, 0 },
	{ "", 1000, RANGE_NONE, 0, 0 },
};

static void
test_range(void)
{
	const struct range_vec	*v;
	long long		 first, last;
	size_t			 i;
	int			 got;

	for (i = 0; i < sizeof range_vecs / sizeof range_vecs[0]; i++) {
		v = &range_vecs[i];
		first = last = -7;
		got = parse_range(v->value, v->size, &first, &last);
		if (v->want == RANGE_PARTIAL)
			ok(got == v->want && first == v->first &&
			    last == v->last, "Range \"%s\" of %lld: %lld-%lld "
			    "(got %d, %lld-%lld)", v->value, v->size, v->first,
			    v->last, got, first, last);
		else
			ok(got == v->want && first == -7 && last == -7,
			    "Range \"%s\" of %lld: %s (got %d)", v->value,
			    v->size, v->want == RANGE_NONE ? "ignored" :
			    "unsatisfiable", got);
	}
}

static void
test_host(void)
{
	static const char *const good[] = {
		"localhost", "localhost:8080", "127.0.0.1", "127.0.0.1:80",
		"[::1]", "[::1]:65535", "[2001:db8::1]:443", "mirror.example.com",
		"a-b.example:1", "[::ffff:127.0.0.1]:8080", NULL
	};
	static const char *const bad[] = {
		"", ":80", "host:", "host:65536", "host:123456", "host:8a",
		"[::1", "::1", "[]", "[1.2.3.4]", "[::1]x", "[::1]:", "[:]",
		"[1::2::3]", "[::1.2]",
		"[fe80::1%25eth0]", "host/path", "host name", "host\"x",
		"a@b", "host:80:80x", "x]", "h[::1]", NULL
	};
	char	 longh[SERVER_HOST_MAX + 1];
	size_t	 i;

	for (i = 0; good[i] != NULL; i++)
		ok(parse_host(good[i]), "Host \"%s\" is taken", good[i]);
	for (i = 0; bad[i] != NULL; i++)
		ok(!parse_host(bad[i]), "Host \"%s\" is refused", bad[i]);
	memset(longh, 'a', SERVER_HOST_MAX);
	longh[SERVER_HOST_MAX] = '\0';
	ok(!parse_host(longh), "a Host of %d bytes is refused", SERVER_HOST_MAX);
	longh[SERVER_HOST_MAX - 1] = '\0';
	ok(parse_host(longh), "a Host of %d bytes is taken",
	    SERVER_HOST_MAX - 1);
}

#define HEX64	"0123456789abcdef0123456789abcdef" \
		"0123456789ABCDEF0123456789abcdef"

/* Parses a copy of line; returns why it is malformed or "". */
static const char *
idx(const char *line, struct gate_entry *e, char **copy)
{
	const char	*why;

	free(*copy);
	*copy = strdup(line);
	why = parse_idx_line(*copy, e);
	return why != NULL ? why : "";
}

static void
test_idx(void)
{
	struct gate_entry	 e;
	char			*c = NULL;

	is_str(idx("V\tPackages/b/bash-5.1-6.el9.x86_64.rpm\t1234\tsha256\t"
	    HEX64 "\thttp://mirror/x.rpm", &e, &c), "", "a V line");
	ok(e.ge_visible && strcmp(e.ge_path,
	    "Packages/b/bash-5.1-6.el9.x86_64.rpm") == 0 && e.ge_size == 1234 &&
	    strcmp(e.ge_algo, "sha256") == 0 &&
	    strcmp(e.ge_hex, "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef") == 0 &&
	    strcmp(e.ge_url, "http://mirror/x.rpm") == 0,
	    "its fields, the checksum in lower case");
	is_str(idx("V\tp/x.deb\t0\tSHA256\t" HEX64 "\thttps://m/x.deb", &e, &c),
	    "", "algorithm names of any case");
	ok(e.ge_algo != NULL && strcmp(e.ge_algo, "sha256") == 0,
	    "the canonical algorithm name");
	is_str(idx("V\tp/x.rpm\t1\tmd5\t0123456789abcdef0123456789abcdef\t"
	    "file:///srv/x.rpm", &e, &c), "", "md5 and file://");
	is_str(idx("H\tp/new-2.0.rpm\tnot yet 7 days old (until 2026-12-09)",
	    &e, &c), "", "an H line");
	ok(!e.ge_visible && strcmp(e.ge_reason,
	    "not yet 7 days old (until 2026-12-09)") == 0, "its reason");
	is_str(idx("H\tp/x.rpm\treason\twith\ttabs", &e, &c), "",
	    "a reason is the rest of the line");
	ok(strcmp(e.ge_reason, "reason\twith\ttabs") == 0, "tabs and all");

	is_str(idx("H\tp/x.rpm", &e, &c), "H line without a reason",
	    "H without reason");
	is_str(idx("H\tp/x.rpm\t", &e, &c), "H line without a reason",
	    "H with an empty reason");
	is_str(idx("H", &e, &c), "H line without a reason", "H alone");
	is_str(idx("H\t../x\twhy", &e, &c), "bad path", "H with ..");
	is_str(idx("X\tp\t1", &e, &c), "neither a V nor an H line", "kind X");
	is_str(idx("", &e, &c), "neither a V nor an H line", "empty line");
	is_str(idx("V\tp/x\t1\tsha256\t" HEX64, &e, &c),
	    "V line with fewer than 6 fields", "5 fields");
	is_str(idx("V\tp/x\t1\tsha256\t" HEX64 "\thttp://m/x\textra", &e, &c),
	    "V line with more than 6 fields", "7 fields");
	is_str(idx("V\t/abs\t1\tsha256\t" HEX64 "\thttp://m/x", &e, &c),
	    "bad path", "absolute path");
	is_str(idx("V\ta//b\t1\tsha256\t" HEX64 "\thttp://m/x", &e, &c),
	    "bad path", "empty segment");
	is_str(idx("V\ta/./b\t1\tsha256\t" HEX64 "\thttp://m/x", &e, &c),
	    "bad path", ". segment");
	is_str(idx("V\ta/..\t1\tsha256\t" HEX64 "\thttp://m/x", &e, &c),
	    "bad path", ".. segment");
	is_str(idx("V\ta\\b\t1\tsha256\t" HEX64 "\thttp://m/x", &e, &c),
	    "bad path", "backslash");
	is_str(idx("V\ta\rb\t1\tsha256\t" HEX64 "\thttp://m/x", &e, &c),
	    "bad path", "control character");
	is_str(idx("V\tp\t-1\tsha256\t" HEX64 "\thttp://m/x", &e, &c),
	    "bad size", "negative size");
	is_str(idx("V\tp\t1k\tsha256\t" HEX64 "\thttp://m/x", &e, &c),
	    "bad size", "size with a suffix");
	is_str(idx("V\tp\t\tsha256\t" HEX64 "\thttp://m/x", &e, &c),
	    "bad size", "empty size");
	is_str(idx("V\tp\t99999999999999999999\tsha256\t" HEX64 "\thttp://m/x",
	    &e, &c), "bad size", "size out of range");
	is_str(idx("V\tp\t1\tcrc32\t" HEX64 "\thttp://m/x", &e, &c),
	    "unknown checksum algorithm", "crc32");
	is_str(idx("V\tp\t1\tsha256\tabc\thttp://m/x", &e, &c),
	    "checksum of the wrong length", "short checksum");
	is_str(idx("V\tp\t1\tsha1\t" HEX64 "\thttp://m/x", &e, &c),
	    "checksum of the wrong length", "sha256 length for sha1");
	is_str(idx("V\tp\t1\tsha256\t" "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdeg\thttp://m/x", &e, &c),
	    "checksum is not hex", "non-hex checksum");
	is_str(idx("V\tp\t1\tsha256\t" HEX64 "\tftp://m/x", &e, &c),
	    "url is not http://, https:// or file://", "ftp url");
	free(c);

	ok(parse_idx_path("a/b.rpm"), "idx path a/b.rpm");
	ok(!parse_idx_path(""), "idx path empty");
	ok(!parse_idx_path("a/"), "idx path with a trailing slash");
	ok(!parse_idx_path("a\x7f"), "idx path with DEL");
}

int
main(void)
{
	test_path();
	test_range();
	test_host();
	test_idx();
	return done_testing();
}
