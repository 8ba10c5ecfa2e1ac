/*
 * Unit tests of a generation's seal (view_seal, view.h): tree.sums lists
 * every regular file of tree/ with its size and sha256, sorted by path,
 * whatever the sums of the generation before say; modified is the wall
 * clock, or one second after the previous generation's when that is not
 * earlier.  Everything is written under one mkdtemp directory.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"
#include "util.h"
#include "view.h"
#include "xmalloc.h"

#include "tap.h"

static char	*tmpdir;

static char *
tpath(const char *name)
{
	char	*p;

	xasprintf(&p, "%s/%s", tmpdir, name);
	return p;
}

static void
put(const char *name, const char *data)
{
	char	*p = tpath(name), *dir, *slash;

	dir = xstrdup(p);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (mkdir_p(dir, 0755) != 0 ||
	    file_write_atomic(p, data, strlen(data), NULL) != 0) {
		printf("Bail out! %s: %s\n", p, strerror(errno));
		exit(1);
	}
	free(dir);
	free(p);
}

/* The contents of a file under tmpdir, or "" when it cannot be read. */
static char *
get(const char *name)
{
	char	*p = tpath(name), *data;
	size_t	 len;

	if (file_read(p, 1 << 20, &data, &len, NULL) != 0)
		data = xstrdup("");
	free(p);
	return data;
}

/* "path TAB size TAB sha256" of data. */
static char *
line(const char *path, const char *data)
{
	char	hex[HASH_HEX_MAX], *l;

	hash_buffer("sha256", data, strlen(data), hex);
	xasprintf(&l, "%s\t%zu\t%s\n", path, strlen(data), hex);
	return l;
}

int
main(void)
{
	char		 tmpl[] = "/tmp/pg-test-view.XXXXXX";
	char		*g1, *g2, *want, *got, *cause = NULL, *l[4], *src, *dst;
	long long	 m;
	time_t		 before, after;
	int		 i;

	if ((tmpdir = mkdtemp(tmpl)) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	g1 = tpath("gen-000001.tmp");
	g2 = tpath("gen-000002.tmp");

	/* The first generation: no predecessor. */
	put("gen-000001.tmp/tree/repodata/repomd.xml", "<repomd/>\n");
	put("gen-000001.tmp/tree/repodata/abc-primary.xml.gz", "primary\n");
	put("gen-000001.tmp/tree/Z", "upper case sorts first\n");
	put("gen-000001.tmp/tree/empty", "");
	before = time(NULL);
	ok(view_seal(g1, NULL, &cause) == 0, "view_seal of the first generation: %s",
	    cause != NULL ? cause : "ok");
	after = time(NULL);
	l[0] = line("Z", "upper case sorts first\n");
	l[1] = line("empty", "");
	l[2] = line("repodata/abc-primary.xml.gz", "primary\n");
	l[3] = line("repodata/repomd.xml", "<repomd/>\n");
	xasprintf(&want, "%s%s%s%s", l[0], l[1], l[2], l[3]);
	for (i = 0; i < 4; i++)
		free(l[i]);
	got = get("gen-000001.tmp/tree.sums");
	is_str(got, want, "tree.sums: every file, path, size and sha256, sorted");
	free(got);
	free(want);
	got = get("gen-000001.tmp/modified");
	m = strtoll(got, NULL, 10);
	ok(m >= before && m <= after && got[strlen(got) - 1] == '\n',
	    "modified is the wall clock, in seconds and a newline (%lld)", m);
	free(got);

	/*
	 * The second, sealed while the first is dated ahead of the clock (as
	 * after several publishes within one second): its modified is one
	 * second later still.  Its repomd.xml has new bytes of the same size
	 * under the same path, while the primary is the first's, hard-linked.
	 */
	put("gen-000001.tmp/modified", "4000000000\n");
	put("gen-000002.tmp/tree/repodata/repomd.xml", "<REPOMD/>\n");
	src = tpath("gen-000001.tmp/tree/repodata/abc-primary.xml.gz");
	dst = tpath("gen-000002.tmp/tree/repodata/abc-primary.xml.gz");
	ok(link(src, dst) == 0, "a file shared with the first generation");
	free(src);
	free(dst);
	ok(view_seal(g2, g1, &cause) == 0, "view_seal of the second generation: %s",
	    cause != NULL ? cause : "ok");
	got = get("gen-000002.tmp/modified");
	is_str(got, "4000000001\n", "modified: one second after its predecessor's");
	free(got);
	l[0] = line("repodata/abc-primary.xml.gz", "primary\n");
	l[1] = line("repodata/repomd.xml", "<REPOMD/>\n");
	xasprintf(&want, "%s%s", l[0], l[1]);
	free(l[0]);
	free(l[1]);
	got = get("gen-000002.tmp/tree.sums");
	is_str(got, want, "tree.sums: the new bytes' sum, not the predecessor's");
	free(got);
	free(want);

	/* A predecessor with no seal (an older patchgate): the wall clock. */
	put("gen-000001.tmp/modified", "garbage\n");
	before = time(NULL);
	ok(view_seal(g2, g1, &cause) == 0, "view_seal after an unsealed one");
	got = get("gen-000002.tmp/modified");
	m = strtoll(got, NULL, 10);
	ok(m >= before && m <= time(NULL), "modified: the wall clock (%lld)", m);
	free(got);

	/* No tree: the cause names the directory. */
	free(cause);
	cause = NULL;
	free(g1);
	g1 = tpath("gen-000003.tmp");
	ok(view_seal(g1, g2, &cause) == -1, "view_seal without a tree fails");
	ok(cause != NULL && strstr(cause, "gen-000003.tmp/tree") != NULL &&
	    strstr(cause, strerror(ENOENT)) != NULL, "its cause names the tree "
	    "and why: %s", cause != NULL ? cause : "(none)");
	free(cause);

	free(g1);
	free(g2);
	remove_tree(tmpdir);
	return done_testing();
}
