/*
 * The mirrorlist and metalink parsers (lib/mirrorlist.c): the bases they
 * give, in which order, the checksums of a metalink, and what they refuse.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "mirrorlist.h"
#include "util.h"
#include "tap.h"

/* The words of v joined by spaces, for comparisons; caller-freed. */
static char *
joined(char **v)
{
	struct buf	b;
	size_t		i;

	buf_init(&b);
	for (i = 0; v != NULL && v[i] != NULL; i++)
		buf_addf(&b, "%s%s", i ? " " : "", v[i]);
	buf_add(&b, "", 1);
	return b.b_data;
}

static void
test_mirrorlist(void)
{
	const char	*doc = "# repo = fedora-41 arch = x86_64 country = DE\n"
			    "https://a.example/fedora/41/x86_64/os/\n"
			    "  \n"
			    "rsync://b.example/fedora/41/x86_64/os/\n"
			    "http://c.example/f41\r\n"
			    "https://a.example/fedora/41/x86_64/os\n"
			    "ftp://d.example/x\n"
			    "http://e.example/last";
	char		**v, *s, *cause = NULL;

	v = mirrorlist_parse(doc, strlen(doc), "mirrorlist M", &cause);
	s = joined(v);
	is_str(s, "https://a.example/fedora/41/x86_64/os http://c.example/f41 "
	    "http://e.example/last", "mirrorlist: http(s) bases, in order, "
	    "once, without trailing slashes or CR");
	free(s);
	words_free(v);

	doc = "# nothing here\nrsync://b.example/x\n";
	v = mirrorlist_parse(doc, strlen(doc), "mirrorlist M", &cause);
	ok(v == NULL, "a mirrorlist without http(s) bases is refused");
	is_str(cause, "mirrorlist M: no http:// or https:// base URL in it "
	    "(only other schemes or bad lines)", "... and says why");
	free(cause);
	cause = NULL;
	v = mirrorlist_parse("", 0, "mirrorlist M", &cause);
	ok(v == NULL && cause != NULL, "an empty mirrorlist is refused");
	free(cause);
}

static void
test_metalink3(void)
{
	const char	*doc =
	    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<metalink version=\"3.0\" xmlns=\"http://www.metalinker.org/\" "
	    "type=\"dynamic\" generator=\"mirrormanager\" "
	    "xmlns:mm0=\"http://fedorahosted.org/mirrormanager\">\n"
	    " <files>\n"
	    "  <file name=\"repomd.xml\">\n"
	    "   <size>7147</size>\n"
	    "   <verification>\n"
	    "    <hash type=\"md5\">0123456789abcdef0123456789abcdef</hash>\n"
	    "    <hash type=\"sha256\">AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA</hash>\n"
	    "   </verification>\n"
	    "   <mm0:alternates><mm0:alternate><verification>\n"
	    "    <hash type=\"sha256\">bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb</hash>\n"
	    "   </verification></mm0:alternate></mm0:alternates>\n"
	    "   <resources maxconnections=\"1\">\n"
	    "    <url protocol=\"https\" type=\"https\" location=\"DE\" preference=\"99\">https://two.example/f/repodata/repomd.xml</url>\n"
	    "    <url protocol=\"rsync\" type=\"rsync\" location=\"DE\" preference=\"100\">rsync://r.example/f/repodata/repomd.xml</url>\n"
	    "    <url protocol=\"http\" type=\"http\" location=\"DE\" preference=\"100\">http://one.example/f/repodata/repomd.xml</url>\n"
	    "    <url protocol=\"https\" type=\"https\" location=\"US\" preference=\"98\">https://three.example/f/os/repodata/repomd.xml</url>\n"
	    "    <url protocol=\"https\" type=\"https\" preference=\"97\">https://x.example/f/other.xml</url>\n"
	    "   </resources>\n"
	    "  </file>\n"
	    " </files>\n"
	    "</metalink>\n";
	char		**bases, **sums, *s, *cause = NULL;

	is_int(metalink_parse(doc, strlen(doc), "metalink M", &bases, &sums,
	    &cause), 0, "metalink 3.0 parses");
	s = joined(bases);
	is_str(s, "http://one.example/f https://two.example/f "
	    "https://three.example/f/os", "3.0: bases by preference, http(s) "
	    "only, without repodata/repomd.xml");
	free(s);
	s = joined(sums);
	is_str(s, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
	    "3.0: the sha256 and its alternate's, in lower case");
	free(s);
	words_free(bases);
	words_free(sums);
	free(cause);
}

static void
test_metalink4(void)
{
	const char	*doc =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<metalink xmlns=\"urn:ietf:params:xml:ns:metalink\">\n"
	    "  <file name=\"repomd.xml\">\n"
	    "    <hash type=\"sha-256\">cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc</hash>\n"
	    "    <pieces length=\"262144\" type=\"sha-256\">\n"
	    "      <hash>dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd</hash>\n"
	    "    </pieces>\n"
	    "    <url location=\"de\" priority=\"3\">https://c.example/o/repodata/repomd.xml</url>\n"
	    "    <url location=\"de\" priority=\"1\">https://a.example/o/repodata/repomd.xml</url>\n"
	    "    <url location=\"de\">https://z.example/o/repodata/repomd.xml</url>\n"
	    "    <url location=\"de\" priority=\"2\">https://b.example/o/repodata/repomd.xml</url>\n"
	    "  </file>\n"
	    "  <file name=\"other.xml\">\n"
	    "    <url priority=\"1\">https://q.example/o/repodata/repomd.xml</url>\n"
	    "  </file>\n"
	    "</metalink>\n";
	char		**bases, **sums, *s, *cause = NULL;

	is_int(metalink_parse(doc, strlen(doc), "metalink M", &bases, &sums,
	    &cause), 0, "metalink 4 parses");
	s = joined(bases);
	is_str(s, "https://a.example/o https://b.example/o https://c.example/o "
	    "https://z.example/o", "4: bases by priority, unranked last, other "
	    "files' URLs left out");
	free(s);
	s = joined(sums);
	is_str(s, "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
	    "4: the file's sha-256, not its pieces'");
	free(s);
	words_free(bases);
	words_free(sums);
	free(cause);
}

static void
test_metalink_bad(void)
{
	static const struct {
		const char	*doc;
		const char	*cause;
	} t[] = {
		{ "<html><body>502</body></html>",
		  "metalink M: line 1: <html> where a <metalink> document starts" },
		{ "<metalink><file name=\"repomd.xml\"><url>http://a/x/repodata/repomd.xml</url>",
		  "metalink M: line 1: not well-formed XML" },
		{ "<metalink><file name=\"repomd.xml\"><url>ftp://a/repodata/repomd.xml</url></file></metalink>",
		  "metalink M: no http:// or https:// URL of repodata/repomd.xml "
		  "in it (only other schemes or other files)" },
		{ "<metalink><file name=\"repomd.xml\"><url>https://repodata/repomd.xml</url></file></metalink>",
		  "metalink M: no http:// or https:// URL of repodata/repomd.xml "
		  "in it (only other schemes or other files)" },
		{ "<metalink><file name=\"repomd.xml\"><hash type=\"sha256\">xyz</hash></file></metalink>",
		  "metalink M: line 1: sha256 \"xyz\" is not 64 hex digits" },
		{ "<!DOCTYPE m [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><metalink><file name=\"repomd.xml\"><url>http://a/&e;/repodata/repomd.xml</url></file></metalink>",
		  NULL },
	};
	char	**bases, **sums, *cause;
	size_t	  i;
	int	  rc;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		cause = NULL;
		rc = metalink_parse(t[i].doc, strlen(t[i].doc), "metalink M",
		    &bases, &sums, &cause);
		if (t[i].cause != NULL) {
			ok(rc == -1 && bases == NULL && sums == NULL,
			    "refused: %.40s", t[i].doc);
			is_str(cause, t[i].cause, "... with its cause");
		} else {
			/* An external entity is not read. */
			ok(rc == -1 || (bases != NULL && bases[0] != NULL &&
			    strstr(bases[0], "root:") == NULL),
			    "an external entity is not expanded");
			words_free(bases);
			words_free(sums);
		}
		free(cause);
	}
}

int
main(void)
{
	test_mirrorlist();
	test_metalink3();
	test_metalink4();
	test_metalink_bad();
	return done_testing();
}
