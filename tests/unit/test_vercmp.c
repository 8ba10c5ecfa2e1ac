/*
 * Unit tests for lib/vercmp.c.  Fixed vectors (rpm's tests/rpmvercmp.at,
 * dpkg's documented order, the odd cases) say what is expected; then the
 * same functions are cross-checked against the real rpm (its Lua
 * rpm.vercmp, one process for all pairs) and the real dpkg
 * (dpkg --compare-versions, per pair) over several hundred pairs, fixed
 * and generated.  A missing rpm or dpkg skips only its cross-check.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "vercmp.h"

extern char	**environ;

struct vec {
	const char	*a;
	const char	*b;
	int		 want;
};

/* rpm's own vectors (tests/rpmvercmp.at), then the odd cases. */
static const struct vec rpm_vecs[] = {
	{ "1.0", "1.0", 0 },
	{ "1.0", "2.0", -1 },
	{ "2.0.1", "2.0.1", 0 },
	{ "2.0", "2.0.1", -1 },
	{ "2.0.1a", "2.0.1a", 0 },
	{ "2.0.1a", "2.0.1", 1 },
	{ "5.5p1", "5.5p2", -1 },
	{ "5.5p10", "5.5p10", 0 },
	{ "5.5p1", "5.5p10", -1 },
	{ "10xyz", "10.1xyz", -1 },
	{ "xyz10", "xyz10", 0 },
	{ "xyz10", "xyz10.1", -1 },
	{ "xyz.4", "xyz.4", 0 },
	{ "xyz.4", "8", -1 },
	{ "xyz.4", "2", -1 },
	{ "5.5p2", "5.6p1", -1 },
	{ "5.6p1", "6.5p1", -1 },
	{ "6.0.rc1", "6.0", 1 },
	{ "10b2", "10a1", 1 },
	{ "10a2", "10b2", -1 },
	{ "1.0aa", "1.0aa", 0 },
	{ "1.0a", "1.0aa", -1 },
	{ "10.0001", "10.0001", 0 },
	{ "10.0001", "10.1", 0 },
	{ "10.0001", "10.0039", -1 },
	{ "4.999.9", "5.0", -1 },
	{ "20101121", "20101122", -1 },
	{ "2_0", "2_0", 0 },
	{ "2.0", "2_0", 0 },
	{ "a", "a", 0 },
	{ "a+", "a_", 0 },
	{ "+a", "_a", 0 },
	{ "_+", "+_", 0 },
	{ "+", "_", 0 },
	{ "1.0~rc1", "1.0~rc1", 0 },
	{ "1.0~rc1", "1.0", -1 },
	{ "1.0~rc1", "1.0~rc2", -1 },
	{ "1.0~rc1~git123", "1.0~rc1~git123", 0 },
	{ "1.0~rc1~git123", "1.0~rc1", -1 },
	{ "1.0^", "1.0^", 0 },
	{ "1.0^", "1.0", 1 },
	{ "1.0^git1", "1.0", 1 },
	{ "1.0^git1", "1.0^git2", -1 },
	{ "1.0^git1", "1.01", -1 },
	{ "1.0^20160101", "1.0.1", -1 },
	{ "1.0^20160101^git1", "1.0^20160101^git1", 0 },
	{ "1.0^20160102", "1.0^20160101^git1", 1 },
	{ "1.0~rc1^git1", "1.0~rc1", 1 },
	{ "1.0^git1~pre", "1.0^git1", -1 },
	{ "1b.fc17", "1.fc17", -1 },
	{ "1g.fc17", "1.fc17", 1 },
	/* Empty strings, separators only, ends. */
	{ "", "", 0 },
	{ "", "0", -1 },
	{ "", "a", -1 },
	{ "", "~", 1 },
	{ "", "^", -1 },
	{ "", ".", 0 },
	{ "1.0", "1.0.", 0 },
	{ "1.0", "1..0", 0 },
	{ "1a", "1.a", 0 },
	{ "1.0-1", "1.0_1", 0 },
	/* Numbers of any length and leading zeros. */
	{ "010", "10", 0 },
	{ "1.010", "1.9", 1 },
	{ "0", "00", 0 },
	{ "1.99999999999999999999999", "1.100000000000000000000000", -1 },
	{ "18446744073709551616", "18446744073709551615", 1 },
	/* Numbers beat letters; letters compare bytewise. */
	{ "1.0a", "1.0.1", -1 },
	{ "a", "1", -1 },
	{ "a", "B", 1 },
	{ "alpha", "beta", -1 },
	{ "1.el9", "1.el9_2", -1 },
	{ "1.el9_2", "2.el9", -1 },
	/* Tilde before everything, caret after the end only. */
	{ "1~", "1", -1 },
	{ "1~", "1~~", 1 },
	{ "1^", "1^^", -1 },
	{ "1^", "1~", 1 },
	{ "1^a", "1a", -1 },
	{ "1^", "1.", 1 },
	{ "1~rc", "1~~", 1 },
	/* Non-ASCII bytes only separate. */
	{ "1.1.\xce\xb1", "1.1.\xce\xb2", 0 },
};

/* dpkg's order, from Debian policy 5.6.12 and dpkg's own tests. */
static const struct vec deb_vecs[] = {
	{ "1.0", "1.0", 0 },
	{ "1.0", "1.1", -1 },
	{ "0:1.0", "1.0", 0 },
	{ "00:1.0", "1.0", 0 },
	{ "1:0.1", "9.9", 1 },
	{ "2:1.0", "10:0.1", -1 },
	{ "1.0", "1.0-0", 0 },
	{ "0:0-0", "0-0", 0 },
	{ "1.0~~", "1.0~~a", -1 },
	{ "1.0~~a", "1.0~", -1 },
	{ "1.0~", "1.0", -1 },
	{ "1.0", "1.0a", -1 },
	{ "1.0a", "1.0+", -1 },
	{ "1.0a", "1.0.", -1 },
	{ "1.0+", "1.0.", -1 },
	{ "1.0", "1.0.", -1 },
	{ "1.2.3", "1.2.3.0", -1 },
	{ "1.0~rc1-1", "1.0-1", -1 },
	{ "1.0+dfsg", "1.0.1", -1 },
	{ "2.30-1", "2.3-1", 1 },
	{ "1.0-1", "1.0-1ubuntu1", -1 },
	{ "1.0-1", "1.0-1.1", -1 },
	{ "1.0-9", "1.0-10", -1 },
	{ "7.6p2-4", "7.6-0", 1 },
	{ "1.0.3-3", "1.0-1", 1 },
	{ "1.3", "1.2.2-2", 1 },
	{ "1.00", "1.0", 0 },
	{ "1.01", "1.1", 0 },
	{ "1.0-a", "1.0-1", 1 },
	{ "A", "a", -1 },
	{ "1:2-3-4", "1:2-3-3", 1 },
	{ "1:2-3-4", "1:2.3-4", -1 },
	{ "1-2", "1-1-3", -1 },
	{ "1.19", "1.21", -1 },
	{ "1.0-1+deb12u19", "1.0-1+deb12u21", -1 },
	{ "2.0-1", "2.0-1+deb12u1", -1 },
	{ "2.0-1+b1", "2.0-1+deb12u1", -1 },
	{ "2.36-9+deb12u4", "2.36-9+deb12u10", -1 },
	{ "1.0-1~bpo12+1", "1.0-1", -1 },
	{ "18446744073709551616", "18446744073709551615", 1 },
	{ " 1.0 ", "1.0", 0 },
	{ "", "", 0 },
	{ "", "0", -1 },
	{ "", "~", -1 },
	{ "   ", "0", -1 },
};

/* A version pair for a cross-check; a and b are owned. */
struct pair {
	char	*a;
	char	*b;
	int	 evr;		/* rpm: a and b are "[E:]V[-R]" */
};

struct pairs {
	struct pair	*p;
	size_t		 n;
	size_t		 size;
};

static void
pairs_add(struct pairs *ps, const char *a, const char *b, int evr)
{
	if (ps->n == ps->size) {
		ps->size = ps->size ? ps->size * 2 : 256;
		ps->p = realloc(ps->p, ps->size * sizeof *ps->p);
		if (ps->p == NULL)
			abort();
	}
	ps->p[ps->n].a = strdup(a);
	ps->p[ps->n].b = strdup(b);
	if (ps->p[ps->n].a == NULL || ps->p[ps->n].b == NULL)
		abort();
	ps->p[ps->n].evr = evr;
	ps->n++;
}

static void
pairs_free(struct pairs *ps)
{
	size_t	i;

	for (i = 0; i < ps->n; i++) {
		free(ps->p[i].a);
		free(ps->p[i].b);
	}
	free(ps->p);
}

/* A fixed generator, so that a failure is the same on every run. */
static unsigned long long	rng_state = 0x9e3779b97f4a7c15ULL;

static unsigned int
rng(unsigned int n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned int)(rng_state % n);
}

#define nitems(a) (sizeof (a) / sizeof (a)[0])

static void
join(char *s, size_t len, const char *const *tok, size_t n)
{
	size_t	i, off = 0;

	for (i = 0; i < n; i++)
		off += snprintf(s + off, off < len ? len - off : 0, "%s",
		    tok[i]);
	if (off >= len)
		abort();
}

/*
 * A version from tokens; b is often a with one token changed, so that
 * the pair agrees for a while and the comparison goes deep.
 */
static void
gen_pair(const char *const *tok, size_t ntok, const char *const *first,
    size_t nfirst, char *a, char *b, size_t len)
{
	const char	*ta[8], *tb[9];
	size_t		 na, nb, i, k;

	na = 1 + rng(6);
	ta[0] = first[rng(nfirst)];
	for (i = 1; i < na; i++)
		ta[i] = tok[rng(ntok)];
	if (rng(4) == 0) {
		nb = 1 + rng(6);
		tb[0] = first[rng(nfirst)];
		for (i = 1; i < nb; i++)
			tb[i] = tok[rng(ntok)];
	} else {
		memcpy(tb, ta, sizeof ta);
		nb = na;
		k = 1 + rng(na);
		switch (rng(3)) {
		case 0:		/* replace (or append at the end) */
			tb[k] = tok[rng(ntok)];
			if (k == nb)
				nb++;
			break;
		case 1:		/* insert */
			memmove(tb + k + 1, tb + k, (nb - k) * sizeof tb[0]);
			tb[k] = tok[rng(ntok)];
			nb++;
			break;
		default:	/* drop the tail */
			nb = k;
			break;
		}
	}
	join(a, len, ta, na);
	join(b, len, tb, nb);
}

/*
 * Runs argv with stdout read into *out (if out is not NULL) and stderr
 * thrown away.  Returns the exit status, or -1 if it could not run.
 */
static int
run(char *const argv[], char **out)
{
	posix_spawn_file_actions_t	 fa;
	pid_t				 pid;
	int				 pfd[2] = { -1, -1 }, status, error;
	char				*data = NULL, *nd;
	size_t				 len = 0, size = 0;
	ssize_t				 r;

	posix_spawn_file_actions_init(&fa);
	if (out != NULL) {
		if (pipe(pfd) != 0)
			return -1;
		posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
		posix_spawn_file_actions_addclose(&fa, pfd[0]);
		posix_spawn_file_actions_addclose(&fa, pfd[1]);
	} else
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null",
		    O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	error = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (out != NULL)
		close(pfd[1]);
	if (error != 0) {
		if (out != NULL)
			close(pfd[0]);
		return -1;
	}
	if (out != NULL) {
		for (;;) {
			if (len + 4096 + 1 > size) {
				size = size ? size * 2 : 65536;
				if ((nd = realloc(data, size)) == NULL)
					abort();
				data = nd;
			}
			r = read(pfd[0], data + len, size - len - 1);
			if (r == -1 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			len += r;
		}
		close(pfd[0]);
		if (data == NULL && (data = malloc(1)) == NULL)
			abort();
		data[len] = '\0';
		*out = data;
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			if (out != NULL) {
				free(*out);
				*out = NULL;
			}
			return -1;
		}
	if (!WIFEXITED(status)) {
		if (out != NULL) {
			free(*out);
			*out = NULL;
		}
		return -1;
	}
	return WEXITSTATUS(status);
}

static void
skip(const char *why)
{
	ok(1, "# SKIP %s", why);
}

static int
sign(int v)
{
	return v < 0 ? -1 : (v > 0 ? 1 : 0);
}

/* Splits "[E:]V[-R]" as rpm's rpmverParse does, in place. */
static void
split_evr(char *s, const char **e, const char **v, const char **r)
{
	char	*p, *dash;

	for (p = s; *p >= '0' && *p <= '9'; p++)
		;
	dash = strrchr(p, '-');
	if (*p == ':') {
		*p = '\0';
		*e = s;
		*v = p + 1;
	} else {
		*e = NULL;
		*v = s;
	}
	if (dash != NULL) {
		*dash = '\0';
		*r = dash + 1;
	} else
		*r = NULL;
}

static int
ours_evr(const char *a, const char *b)
{
	char		*ca, *cb;
	const char	*e1, *v1, *r1, *e2, *v2, *r2;
	int		 rc;

	if ((ca = strdup(a)) == NULL || (cb = strdup(b)) == NULL)
		abort();
	split_evr(ca, &e1, &v1, &r1);
	split_evr(cb, &e2, &v2, &r2);
	rc = rpm_evrcmp(e1, v1, r1, e2, v2, r2);
	free(ca);
	free(cb);
	return rc;
}

static const char *const rpm_pool[] = {
	"0", "00", "1", "1.0", "1.0.0", "1.0.1", "1.00", "1.01", "1.1",
	"1.0~rc1", "1.0~rc2", "1.0~~", "1.0~", "1.0^", "1.0^git1",
	"1.0^git1~pre", "1.0~rc1^git1", "1.0a", "1.0.a", "1.0alpha",
	"1.0_1", "1.0+1", "2.0", "10", "9", "1a", "a1", "a", "b", "Z",
	"1.el9", "1.el9_2", "2.el9", "5.14.0", "5.14.0.362", "2.34",
	"2.34.1", "20240105", "1.2.3~beta", "1.2.3^20240105git1a2b",
	"3.0.7", "3.0.7b", "3.0.7.1", "0.9.9", "4.18.0", "~", "^", ".",
	"1..0", "1.0.", "x.y.z", "1b.fc17", "1.fc17", "1g.fc17",
};

static const char *const rpm_tok[] = {
	"0", "1", "2", "9", "10", "01", "007", "a", "b", "rc", "git",
	"Z", "el", ".", ".", ".", "_", "+", "~", "^", "~~", "^^",
};

static const char *const rpm_first[] = {
	"0", "1", "2", "10", "01", "a", "rc", "~", "^", ".",
};

/* Builds the rpm pairs: versions plain, then as "[E:]V[-R]". */
static void
rpm_pairs(struct pairs *ps)
{
	char	a[128], b[128], ea[512], eb[512], ra[128], rb[128];
	size_t	i, j;
	int	n, ep;

	for (i = 0; i < nitems(rpm_vecs); i++) {
		if (*rpm_vecs[i].a == '\0' || *rpm_vecs[i].b == '\0' ||
		    strpbrk(rpm_vecs[i].a, "-:") != NULL ||
		    strpbrk(rpm_vecs[i].b, "-:") != NULL)
			continue;	/* rpm.vercmp parses these as EVR */
		pairs_add(ps, rpm_vecs[i].a, rpm_vecs[i].b, 0);
	}
	for (i = 0; i < nitems(rpm_pool); i++)
		for (j = 0; j < nitems(rpm_pool); j++)
			pairs_add(ps, rpm_pool[i], rpm_pool[j], 0);
	for (n = 0; n < 1500; n++) {
		gen_pair(rpm_tok, nitems(rpm_tok), rpm_first,
		    nitems(rpm_first), a, b, sizeof a);
		pairs_add(ps, a, b, 0);
	}

	/*
	 * Whole EVRs; both with a release, or neither, because for "1.0"
	 * against "1.0-1" rpm.vercmp differs from rpm_evrcmp on purpose.
	 */
	for (n = 0; n < 500; n++) {
		gen_pair(rpm_tok, nitems(rpm_tok), rpm_first,
		    nitems(rpm_first), a, b, sizeof a);
		gen_pair(rpm_tok, nitems(rpm_tok), rpm_first,
		    nitems(rpm_first), ra, rb, sizeof ra);
		ep = rng(4);
		snprintf(ea, sizeof ea, "%s%s%s%s",
		    ep == 0 ? "" : (ep == 1 ? "0:" : (ep == 2 ? "1:" : "10:")),
		    a, n % 5 == 0 ? "" : "-", n % 5 == 0 ? "" : ra);
		ep = rng(4) == 0 ? ep : (int)rng(4);
		snprintf(eb, sizeof eb, "%s%s%s%s",
		    ep == 0 ? "" : (ep == 1 ? "0:" : (ep == 2 ? "1:" : "9:")),
		    b, n % 5 == 0 ? "" : "-", n % 5 == 0 ? "" : rb);
		pairs_add(ps, ea, eb, 1);
	}
}

/*
 * Writes the pairs to a file and has rpm compare them all in one run:
 * each output line is "index result", or "index E" where rpm refused.
 */
static void
rpm_crosscheck(const char *dir)
{
	struct pairs	 ps = { 0 };
	char		 path[4096], *out = NULL, *line, *save, res[8];
	char		*argv[] = { "rpm", "--eval", NULL, NULL };
	FILE		*f;
	size_t		 i, idx, seen = 0, refused = 0, bad = 0, nevr = 0;
	int		 ours, theirs, rc;

	argv[2] = "%{lua: local n = 0 "
	    "for l in io.lines(os.getenv(\"PG_VERCMP_PAIRS\")) do "
	    "n = n + 1 "
	    "local i = string.find(l, \" \", 1, true) "
	    "local ok, r = pcall(rpm.vercmp, string.sub(l, 1, i - 1), "
	    "string.sub(l, i + 1)) "
	    "io.write(n - 1, \" \", ok and tostring(r) or \"E\", \"\\n\") "
	    "end}";

	rc = run((char *[]){ "rpm", "--version", NULL }, NULL);
	if (rc != 0) {
		skip("rpm not available");
		return;
	}

	rpm_pairs(&ps);
	snprintf(path, sizeof path, "%s/rpm-pairs", dir);
	if ((f = fopen(path, "w")) == NULL) {
		ok(0, "write %s", path);
		pairs_free(&ps);
		return;
	}
	for (i = 0; i < ps.n; i++)
		fprintf(f, "%s %s\n", ps.p[i].a, ps.p[i].b);
	ok(fclose(f) == 0, "wrote %zu pairs for rpm", ps.n);
	setenv("PG_VERCMP_PAIRS", path, 1);

	rc = run(argv, &out);
	ok(rc == 0 && out != NULL, "rpm --eval ran (exit %d)", rc);
	if (out == NULL) {
		pairs_free(&ps);
		return;
	}
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%zu %7s", &idx, res) != 2 || idx >= ps.n)
			continue;
		seen++;
		if (strcmp(res, "E") == 0) {
			refused++;
			printf("# rpm refused \"%s\" vs \"%s\"\n",
			    ps.p[idx].a, ps.p[idx].b);
			continue;
		}
		theirs = atoi(res);
		if (ps.p[idx].evr) {
			nevr++;
			ours = ours_evr(ps.p[idx].a, ps.p[idx].b);
		} else
			ours = rpm_vercmp(ps.p[idx].a, ps.p[idx].b);
		if (sign(ours) != sign(theirs)) {
			bad++;
			if (bad <= 20)
				printf("# %s \"%s\" vs \"%s\": ours %d, "
				    "rpm %d\n",
				    ps.p[idx].evr ? "rpm_evrcmp" : "rpm_vercmp",
				    ps.p[idx].a, ps.p[idx].b, ours, theirs);
		}
	}
	is_int(seen, ps.n, "rpm answered for every pair");
	is_int(refused, 0, "rpm took every pair as a version");
	ok(seen - nevr >= 100 && nevr >= 100,
	    "at least 100 pairs each for rpm_vercmp (%zu) and rpm_evrcmp (%zu)",
	    seen - nevr, nevr);
	is_int(bad, 0, "rpm_vercmp and rpm_evrcmp agree with rpm.vercmp on %zu "
	    "pairs", seen);
	free(out);
	pairs_free(&ps);
}

static const char *const deb_pool[] = {
	"0", "1.0", "1.0-1", "1:1.0-1", "1.0~rc1-1", "1.0+dfsg-1",
	"1.0.1-1", "1.0-1ubuntu1", "1.0-1+deb12u1", "1.0-1~bpo12+1",
	"2.36-9+deb12u4", "2.36-9+deb12u10", "1.2.3", "1.2.3.0", "1.0a",
	"1.0~", "1.0~~", "1.0~~a", "7.6p2-4", "1.0-a", "2:0.1", "0:1.0",
	"1.0.", "1.0+", "3.0.11-1~deb12u2", "6.1.0-18", "6.1.76-1",
	"2:9.0.1378-2", "1.00", "1.01", "10", "9", "1-2", "1-1-3",
	"1.0-1-1", "2.0-rc1-1",
};

static const char *const deb_tok[] = {
	"0", "1", "2", "9", "10", "01", "19", "21", "91", "a", "b", "rc",
	"Z", "dfsg", ".", ".", ".", "+", "~", "~~",
};

static const char *const deb_first[] = {
	"0", "1", "2", "10", "01",
};

/* Only blanks, which dpkg refuses but deb_vercmp takes as empty. */
static int
blank(const char *s)
{
	return *s != '\0' && s[strspn(s, " \t")] == '\0';
}

/* Asks dpkg; -1, 0, 1, or 2 if it refused one of the versions. */
static int
dpkg_cmp(const char *a, const char *b)
{
	char	*argv[] = { "dpkg", "--compare-versions", NULL, "lt", NULL,
		    NULL };
	int	 rc;

	argv[2] = (char *)a;
	argv[4] = (char *)b;
	if ((rc = run(argv, NULL)) == 0)
		return -1;
	if (rc != 1)
		return 2;
	argv[3] = "eq";
	if ((rc = run(argv, NULL)) == 0)
		return 0;
	return rc == 1 ? 1 : 2;
}

static void
deb_crosscheck(void)
{
	struct pairs	 ps = { 0 };
	char		 a[128], b[128], ra[64], rb[64], va[512], vb[512];
	size_t		 i, j, refused = 0, bad = 0;
	int		 n, ours, theirs;

	if (dpkg_cmp("1.0", "1.1") != -1) {
		skip("dpkg not available");
		return;
	}

	for (i = 0; i < nitems(deb_vecs); i++) {
		if (blank(deb_vecs[i].a) || blank(deb_vecs[i].b))
			continue;	/* dpkg refuses these */
		pairs_add(&ps, deb_vecs[i].a, deb_vecs[i].b, 0);
	}
	/* Neighbours in the pool, both ways, and some at random. */
	for (i = 0; i < nitems(deb_pool); i++) {
		j = (i + 1) % nitems(deb_pool);
		pairs_add(&ps, deb_pool[i], deb_pool[j], 0);
		pairs_add(&ps, deb_pool[j], deb_pool[i], 0);
		pairs_add(&ps, deb_pool[i], deb_pool[rng(nitems(deb_pool))],
		    0);
	}
	for (n = 0; n < 200; n++) {
		gen_pair(deb_tok, nitems(deb_tok), deb_first,
		    nitems(deb_first), a, b, sizeof a);
		gen_pair(deb_tok, nitems(deb_tok), deb_first,
		    nitems(deb_first), ra, rb, sizeof ra);
		/* A '-' inside upstream only where a revision follows. */
		snprintf(va, sizeof va, "%s%s%s%s%s",
		    n % 7 == 0 ? "1:" : "", a, n % 3 == 1 ? "-2" : "",
		    n % 3 == 0 ? "" : "-", n % 3 == 0 ? "" : ra);
		snprintf(vb, sizeof vb, "%s%s%s%s%s",
		    n % 11 == 0 ? "1:" : "", b, n % 4 == 1 ? "-1" : "",
		    n % 4 == 0 ? "" : "-", n % 4 == 0 ? "" : rb);
		pairs_add(&ps, va, vb, 0);
	}

	for (i = 0; i < ps.n; i++) {
		theirs = dpkg_cmp(ps.p[i].a, ps.p[i].b);
		if (theirs == 2) {
			refused++;
			printf("# dpkg refused \"%s\" vs \"%s\"\n",
			    ps.p[i].a, ps.p[i].b);
			continue;
		}
		ours = deb_vercmp(ps.p[i].a, ps.p[i].b);
		if (sign(ours) != theirs) {
			bad++;
			if (bad <= 20)
				printf("# deb_vercmp \"%s\" vs \"%s\": "
				    "ours %d, dpkg %d\n", ps.p[i].a, ps.p[i].b,
				    ours, theirs);
		}
	}
	is_int(refused, 0, "dpkg took every version");
	ok(ps.n - refused >= 100, "at least 100 pairs for dpkg (%zu)",
	    ps.n - refused);
	is_int(bad, 0, "deb_vercmp agrees with dpkg --compare-versions on "
	    "%zu pairs", ps.n - refused);
	pairs_free(&ps);
}

static void
test_rpm_vectors(void)
{
	size_t	i;
	int	got, back;

	for (i = 0; i < nitems(rpm_vecs); i++) {
		got = rpm_vercmp(rpm_vecs[i].a, rpm_vecs[i].b);
		back = rpm_vercmp(rpm_vecs[i].b, rpm_vecs[i].a);
		ok(got == rpm_vecs[i].want && back == -rpm_vecs[i].want,
		    "rpm_vercmp(\"%s\", \"%s\") = %d, reversed %d (want %d)",
		    rpm_vecs[i].a, rpm_vecs[i].b, got, back,
		    rpm_vecs[i].want);
	}
	is_int(rpm_vercmp(NULL, ""), 0, "rpm_vercmp: NULL is empty");
	is_int(rpm_vercmp(NULL, "1"), -1, "rpm_vercmp: NULL is oldest");
}

static void
test_rpm_evr(void)
{
	is_int(rpm_evrcmp(NULL, "1.0", "1", "0", "1.0", "1"), 0,
	    "evr: NULL epoch is 0");
	is_int(rpm_evrcmp("", "1.0", "1", "0", "1.0", "1"), 0,
	    "evr: empty epoch is 0");
	is_int(rpm_evrcmp("01", "1.0", "1", "1", "1.0", "1"), 0,
	    "evr: epoch 01 is 1");
	is_int(rpm_evrcmp("1", "1.0", "1", NULL, "2.0", "1"), 1,
	    "evr: epoch beats version");
	is_int(rpm_evrcmp("9", "1.0", "1", "10", "1.0", "1"), -1,
	    "evr: epochs compare as numbers");
	is_int(rpm_evrcmp("0", "2.0", "1", "0", "1.0", "9"), 1,
	    "evr: version beats release");
	is_int(rpm_evrcmp(NULL, "1.0", "2", NULL, "1.0", "10"), -1,
	    "evr: releases compare as versions");
	is_int(rpm_evrcmp(NULL, "1.0", "3.el9", NULL, "1.0", "3.el9_2"), -1,
	    "evr: 3.el9 < 3.el9_2");
	is_int(rpm_evrcmp(NULL, "1.0", NULL, NULL, "1.0", "5"), 0,
	    "evr: NULL release matches any");
	is_int(rpm_evrcmp(NULL, "1.0", "5", NULL, "1.0", ""), 0,
	    "evr: empty release matches any");
	is_int(rpm_evrcmp(NULL, "1.1", NULL, NULL, "1.0", "5"), 1,
	    "evr: version still counts without a release");
	is_int(rpm_evrcmp(NULL, "1.0~rc1", "1", NULL, "1.0", "0"), -1,
	    "evr: tilde in the version");
	is_int(rpm_evrcmp("1", "1.0", "1", "1", "1.0", "1"), 0,
	    "evr: equal");
}

static void
test_deb_vectors(void)
{
	size_t	i;
	int	got, back;

	for (i = 0; i < nitems(deb_vecs); i++) {
		got = deb_vercmp(deb_vecs[i].a, deb_vecs[i].b);
		back = deb_vercmp(deb_vecs[i].b, deb_vecs[i].a);
		ok(got == deb_vecs[i].want && back == -deb_vecs[i].want,
		    "deb_vercmp(\"%s\", \"%s\") = %d, reversed %d (want %d)",
		    deb_vecs[i].a, deb_vecs[i].b, got, back,
		    deb_vecs[i].want);
	}
	is_int(deb_vercmp("1.0-", "1.0"), 0,
	    "deb_vercmp: an empty revision is no revision");
	is_int(deb_vercmp("x:1.0", "0"), 1,
	    "deb_vercmp: a bad epoch is part of the version");
	is_int(deb_vercmp(NULL, "0"), -1, "deb_vercmp: NULL is empty");
}

/*
 * Sorts each pool and checks that every later element compares >= every
 * earlier one: a comparison that is not a total order fails here.
 */
static int	(*sort_cmp)(const char *, const char *);

static int
sort_cb(const void *a, const void *b)
{
	return sort_cmp(*(const char *const *)a, *(const char *const *)b);
}

static void
test_order(const char *name, int (*cmp)(const char *, const char *),
    const char *const *pool, size_t n)
{
	const char	*v[64];
	size_t		 i, j, bad = 0;

	memcpy(v, pool, n * sizeof v[0]);
	sort_cmp = cmp;
	qsort(v, n, sizeof v[0], sort_cb);
	for (i = 0; i < n; i++)
		for (j = i; j < n; j++)
			if (cmp(v[i], v[j]) > 0 || cmp(v[j], v[i]) < 0) {
				if (bad++ < 5)
					printf("# %s: \"%s\" sorted before "
					    "\"%s\"\n", name, v[i], v[j]);
			}
	is_int(bad, 0, "%s is a total order on its pool of %zu", name, n);
}

int
main(void)
{
	char	 tmpl[4096], path[4096];
	char	*dir;
	const char *tmp;

	alarm(300);	/* a hung rpm or dpkg fails the test */

	test_rpm_vectors();
	test_rpm_evr();
	test_deb_vectors();
	test_order("rpm_vercmp", rpm_vercmp, rpm_pool, nitems(rpm_pool));
	test_order("deb_vercmp", deb_vercmp, deb_pool, nitems(deb_pool));

	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(tmpl, sizeof tmpl, "%s/test_vercmp.XXXXXX", tmp);
	dir = mkdtemp(tmpl);
	ok(dir != NULL, "mkdtemp %s", tmpl);
	if (dir != NULL) {
		rpm_crosscheck(dir);
		snprintf(path, sizeof path, "%s/rpm-pairs", dir);
		unlink(path);
		rmdir(dir);
	}
	deb_crosscheck();

	return done_testing();
}
