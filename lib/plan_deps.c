/*
 * Installability for the planner (DESIGN.md, invariant 6): every version a
 * view lists must be installable from that view.  The mirror's versions go
 * into one libsolv pool, in the planner's order; settling a group's states
 * then walks each listed version's requirements and asks the pool who
 * provides them.  No solver run: a view is a set of versions, and the
 * question is only whether each requirement has a provider in that set.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <solv/evr.h>
#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/repo.h>
#include <solv/repo_deb.h>
#include <solv/repo_rpmmd.h>

#include "conf.h"
#include "plan_deps.h"
#include "util.h"
#include "xmalloc.h"

/* A candidate let in that could not stay: reported as CANDIDATE. */
#define PLAN_DEPS_FAILED	0x80

/* How a requirement stands against a set of versions. */
enum pd_met {
	PD_UNMET,
	PD_MET,
	PD_FOREIGN,	/* no version of the mirror provides it */
};

struct plan_deps {
	enum mirror_type	 pd_format;
	Pool			*pd_pool;
	Repo			*pd_repo;
	Id			*pd_solv;	/* per package: its solvable, 0 if it did not parse */
	size_t			 pd_n;
	size_t			 pd_size;
	int			*pd_pkg;	/* per solvable id: package number, -1 for none */
	int			 pd_sealed;
};

/* One settle's working set. */
struct pd_settle {
	struct plan_deps	*ps_pd;
	unsigned char		*ps_st;
	int			 ps_listed_only;	/* in = LISTED only (pruning) */
	unsigned char		*ps_needed;		/* pruning: LET_IN kept */
};

static const char	 metadata_open[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<metadata xmlns=\"http://linux.duke.edu/metadata/common\" "
    "xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"1\">\n";
static const char	 metadata_close[] = "\n</metadata>\n";

struct plan_deps *
plan_deps_new(enum mirror_type format)
{
	struct plan_deps	*pd;

	pd = xcalloc(1, sizeof *pd);
	pd->pd_format = format;
	pd->pd_pool = pool_create();
	if (format == MIRROR_APT &&
	    pool_setdisttype(pd->pd_pool, DISTTYPE_DEB) == -1) {
		/* A libsolv built without deb support: fatal for this mirror. */
		pool_free(pd->pd_pool);
		free(pd);
		return NULL;
	}
	if (format == MIRROR_RPMMD)
		pool_setdisttype(pd->pd_pool, DISTTYPE_RPM);
	pd->pd_repo = repo_create(pd->pd_pool, "mirror");
	return pd;
}

void
plan_deps_free(struct plan_deps *pd)
{
	if (pd == NULL)
		return;
	pool_free(pd->pd_pool);		/* frees the repo too */
	free(pd->pd_solv);
	free(pd->pd_pkg);
	free(pd);
}

size_t
plan_deps_count(const struct plan_deps *pd)
{
	return pd->pd_n;
}

/* Parses one document into the repository; returns libsolv's status. */
static int
plan_deps_parse(struct plan_deps *pd, char *doc, size_t len, char **cause)
{
	FILE	*fp;
	int	 flags = REPO_REUSE_REPODATA | REPO_NO_INTERNALIZE, rc;

	if ((fp = fmemopen(doc, len, "r")) == NULL) {
		cause_set(cause, "fmemopen: %s", strerror(errno));
		return -1;
	}
	if (pd->pd_format == MIRROR_RPMMD)
		rc = repo_add_rpmmd(pd->pd_repo, fp, NULL, flags);
	else
		rc = repo_add_debpackages(pd->pd_repo, fp, flags);
	fclose(fp);
	if (rc != 0)
		cause_set(cause, "%s", pool_errstr(pd->pd_pool));
	return rc;
}

int
plan_deps_add(struct plan_deps *pd, const char *raw, size_t len, char **cause)
{
	struct buf	 doc;
	Repo		*repo = pd->pd_repo;
	int		 before, rc;
	Id		 p = 0;

	if (pd->pd_sealed) {
		cause_set(cause, "package %zu: added after seal", pd->pd_n);
		return -1;
	}
	if (pd->pd_n == pd->pd_size) {
		pd->pd_size = pd->pd_size ? pd->pd_size * 2 : 1024;
		pd->pd_solv = xreallocarray(pd->pd_solv, pd->pd_size,
		    sizeof *pd->pd_solv);
	}

	/*
	 * Each element in a document of its own, under the root primary.xml
	 * has, so that "rpm:" prefixes resolve and a count tells whether it
	 * was exactly one package.
	 */
	buf_init(&doc);
	if (pd->pd_format == MIRROR_RPMMD) {
		buf_adds(&doc, metadata_open);
		buf_add(&doc, raw, len);
		buf_adds(&doc, metadata_close);
	} else {
		buf_add(&doc, raw, len);
		if (len == 0 || raw[len - 1] != '\n')
			buf_adds(&doc, "\n");
		buf_adds(&doc, "\n");
	}

	before = repo->nsolvables;
	rc = plan_deps_parse(pd, doc.b_data, doc.b_len, cause);
	buf_free(&doc);
	if (rc == 0 && repo->nsolvables != before + 1)
		cause_set(cause, "%d packages where one was expected",
		    repo->nsolvables - before);
	else if (rc == 0) {
		/* Solvables are appended: the newest is the repository's last. */
		p = repo->end - 1;
		if (pd->pd_pool->solvables[p].repo != repo ||
		    pd->pd_pool->solvables[p].name == 0) {
			cause_set(cause, "a package without a name");
			p = 0;
		}
	}
	/*
	 * A failure keeps the number, with no solvable: whatever a broken
	 * parse left in the pool belongs to no package and is ignored.
	 */
	pd->pd_solv[pd->pd_n++] = p;
	return p == 0 ? -1 : 0;
}

/*
 * The fields of a stanza that dependencies need, with their continuation
 * lines: the rest (descriptions above all) would only cost libsolv memory.
 */
static void
pd_deb_fields(struct buf *doc, const char *raw, size_t len)
{
	static const char *const keep[] = { "Package:", "Version:",
	    "Architecture:", "Depends:", "Pre-Depends:", "Provides:",
	    "Multi-Arch:", "Essential:", NULL };
	const char	*line = raw, *end = raw + len, *nl;
	size_t		 k, n;
	int		 kept = 0;

	while (line < end) {
		nl = memchr(line, '\n', end - line);
		n = nl != NULL ? (size_t)(nl - line) : (size_t)(end - line);
		if (n == 0)
			break;		/* one stanza: its end */
		if (*line != ' ' && *line != '\t') {
			kept = 0;
			for (k = 0; keep[k] != NULL; k++) {
				if (n >= strlen(keep[k]) && strncasecmp(line,
				    keep[k], strlen(keep[k])) == 0)
					kept = 1;
			}
		}
		if (kept) {
			buf_add(doc, line, n);
			buf_adds(doc, "\n");
		}
		line += n + 1;
	}
}

/*
 * A <package> element without the elements dependencies do not need:
 * summary and description above all, which libsolv would keep as strings,
 * and sizes, times and checksums it would keep as numbers.  Their text holds no '<'
 * (XML escapes it), so an element ends at its first end tag.
 */
static void
pd_rpm_element(struct buf *doc, const char *raw, size_t len)
{
	static const char *const drop[] = { "summary", "description", "url",
	    "packager", "checksum", "time", "size", "location",
	    "rpm:license", "rpm:vendor", "rpm:group", "rpm:buildhost",
	    "rpm:sourcerpm", "rpm:header-range", NULL };
	const char	*p = raw, *end = raw + len, *lt, *close;
	size_t		 k, n;
	char		 tag[32];

	while (p < end && (lt = memchr(p, '<', end - p)) != NULL) {
		close = NULL;
		for (k = 0; close == NULL && drop[k] != NULL; k++) {
			n = strlen(drop[k]);
			if ((size_t)(end - lt) < n + 2 ||
			    memcmp(lt + 1, drop[k], n) != 0 ||
			    (lt[n + 1] != '>' && lt[n + 1] != ' ' &&
			    lt[n + 1] != '/'))
				continue;
			close = memchr(lt, '>', end - lt);
			if (close != NULL && close[-1] != '/') {
				snprintf(tag, sizeof tag, "</%s>", drop[k]);
				close = memmem(close, end - close, tag,
				    strlen(tag));
				if (close != NULL)
					close += strlen(tag) - 1;
			}
		}
		if (close == NULL) {
			/* Kept, up to the next tag. */
			buf_add(doc, p, lt + 1 - p);
			p = lt + 1;
			continue;
		}
		buf_add(doc, p, lt - p);
		p = close + 1;
	}
	buf_add(doc, p, end - p);
}

/*
 * Adds n packages in one parse: one document (rpm-md) or one run of
 * stanzas (apt) costs libsolv far less than n.  When the parse does not
 * give exactly n named packages, they are taken out again and added one
 * at a time, so that each failure is found and numbered.  Returns the
 * number that failed, with the first cause in *cause.
 */
size_t
plan_deps_add_many(struct plan_deps *pd, const char *const *raws,
    const size_t *lens, size_t n, char **cause)
{
	struct buf	 doc;
	Repo		*repo = pd->pd_repo;
	Pool		*pool = pd->pd_pool;
	char		*why = NULL;
	size_t		 i, failed = 0;
	int		 before, start, rc, good;

	if (n == 0)
		return 0;
	if (pd->pd_sealed) {
		cause_set(cause, "package %zu: added after seal", pd->pd_n);
		return n;
	}
	buf_init(&doc);
	if (pd->pd_format == MIRROR_RPMMD)
		buf_adds(&doc, metadata_open);
	for (i = 0; i < n; i++) {
		if (pd->pd_format == MIRROR_RPMMD) {
			pd_rpm_element(&doc, raws[i], lens[i]);
			buf_adds(&doc, "\n");
		} else {
			pd_deb_fields(&doc, raws[i], lens[i]);
			buf_adds(&doc, "\n");
		}
	}
	if (pd->pd_format == MIRROR_RPMMD)
		buf_adds(&doc, metadata_close);
	before = repo->nsolvables;
	start = repo->end;
	rc = plan_deps_parse(pd, doc.b_data, doc.b_len, &why);
	buf_free(&doc);
	free(why);
	why = NULL;
	good = rc == 0 && repo->nsolvables == before + (int)n &&
	    repo->end == start + (int)n;
	for (i = 0; good && i < n; i++) {
		if (pool->solvables[start + i].repo != repo ||
		    pool->solvables[start + i].name == 0)
			good = 0;
	}
	if (good) {
		if (pd->pd_n + n > pd->pd_size) {
			while (pd->pd_n + n > pd->pd_size)
				pd->pd_size = pd->pd_size ? pd->pd_size * 2 : 1024;
			pd->pd_solv = xreallocarray(pd->pd_solv, pd->pd_size,
			    sizeof *pd->pd_solv);
		}
		for (i = 0; i < n; i++)
			pd->pd_solv[pd->pd_n++] = start + i;
		return 0;
	}
	/* Take back what the failed parse added, then one by one. */
	if (repo->end > start)
		repo_free_solvable_block(repo, start, repo->end - start, 1);
	for (i = 0; i < n; i++) {
		if (plan_deps_add(pd, raws[i], lens[i], &why) != 0) {
			if (failed++ == 0) {
				free(*cause);
				*cause = why;
			} else
				free(why);
			why = NULL;
		}
	}
	return failed;
}

int
plan_deps_seal(struct plan_deps *pd, char **cause)
{
	Pool	*pool = pd->pd_pool;
	size_t	 i;
	Id	 p;

	if (pd->pd_sealed) {
		cause_set(cause, "sealed twice");
		return -1;
	}
	repo_internalize(pd->pd_repo);
	/* File requires ("/usr/bin/foo") against primary's file lists. */
	pool_addfileprovides(pool);
	pool_createwhatprovides(pool);

	pd->pd_pkg = xreallocarray(NULL, pool->nsolvables, sizeof *pd->pd_pkg);
	for (p = 0; p < pool->nsolvables; p++)
		pd->pd_pkg[p] = -1;
	for (i = 0; i < pd->pd_n; i++) {
		if ((p = pd->pd_solv[i]) == 0)
			continue;
		if (p >= pool->nsolvables || pd->pd_pkg[p] != -1) {
			cause_set(cause, "package %zu: solvable %d out of order",
			    i, (int)p);
			return -1;
		}
		pd->pd_pkg[p] = (int)i;
	}
	pd->pd_sealed = 1;
	return 0;
}

static int
pd_in(struct pd_settle *ps, int i)
{
	unsigned char	s = ps->ps_st[i];

	if (ps->ps_listed_only)
		return s == PLAN_DEPS_LISTED ||
		    (s == PLAN_DEPS_LET_IN && ps->ps_needed[i]);
	return s == PLAN_DEPS_LISTED || s == PLAN_DEPS_LET_IN;
}

static int
pd_is_source(Solvable *s)
{
	return s->arch == ARCH_SRC || s->arch == ARCH_NOSRC;
}

/* Whether one requirement is met by the versions in (see pd_in). */
static enum pd_met
pd_eval(struct pd_settle *ps, Id dep)
{
	struct plan_deps	*pd = ps->ps_pd;
	Pool			*pool = pd->pd_pool;
	Reldep			*rd;
	enum pd_met		 a, b;
	Id			 p, pp;
	int			 known = 0, i;

	if (ISRELDEP(dep)) {
		rd = GETRELDEP(pool, dep);
		switch (rd->flags) {
		case REL_OR:
			a = pd_eval(ps, rd->name);
			b = pd_eval(ps, rd->evr);
			if (a == PD_MET || b == PD_MET)
				return PD_MET;
			if (a == PD_FOREIGN || b == PD_FOREIGN)
				return PD_FOREIGN;
			return PD_UNMET;
		case REL_AND:
			a = pd_eval(ps, rd->name);
			b = pd_eval(ps, rd->evr);
			if (a == PD_UNMET || b == PD_UNMET)
				return PD_UNMET;
			return a == PD_MET || b == PD_MET ? PD_MET : PD_FOREIGN;
		case REL_COND:
			/*
			 * (A if B): installing the requirer alone does not
			 * install B.  (A if B else C): A or C.
			 */
			if (!ISRELDEP(rd->evr) ||
			    GETRELDEP(pool, rd->evr)->flags != REL_ELSE)
				return PD_MET;
			a = pd_eval(ps, rd->name);
			b = pd_eval(ps, GETRELDEP(pool, rd->evr)->evr);
			if (a == PD_MET || b == PD_MET)
				return PD_MET;
			if (a == PD_FOREIGN || b == PD_FOREIGN)
				return PD_FOREIGN;
			return PD_UNMET;
		case REL_UNLESS:
			/* (A unless B): B is not installed with it, so A. */
			return pd_eval(ps, rd->name);
		default:
			break;
		}
	}
	FOR_PROVIDES(p, pp, dep) {
		if ((i = pd->pd_pkg[p]) < 0)
			continue;
		known = 1;
		if (pd_in(ps, i))
			return PD_MET;
	}
	return known ? PD_UNMET : PD_FOREIGN;
}

/* True when provider p is a better choice than q for a requirer. */
static int
pd_better(struct plan_deps *pd, Id p, Id q, Id name, Solvable *req)
{
	Pool		*pool = pd->pd_pool;
	Solvable	*sp = pool->solvables + p, *sq = pool->solvables + q;
	int		 ap, aq, c;

	if ((sp->name == name) != (sq->name == name))
		return sp->name == name;
	/* The requirer's architecture, then an architecture-free package. */
	ap = sp->arch == req->arch ? 0 :
	    (sp->arch == ARCH_NOARCH || sp->arch == ARCH_ALL) ? 1 : 2;
	aq = sq->arch == req->arch ? 0 :
	    (sq->arch == ARCH_NOARCH || sq->arch == ARCH_ALL) ? 1 : 2;
	if (ap != aq)
		return ap < aq;
	if (sp->name == sq->name) {
		c = pool_evrcmp(pool, sp->evr, sq->evr, EVRCMP_COMPARE);
		if (c != 0)
			return c > 0;
	}
	return pd->pd_pkg[p] < pd->pd_pkg[q];
}

/*
 * The best provider of an unmet requirement whose state is want (CANDIDATE
 * to let one in; LET_IN when pruning), or -1.
 */
static int
pd_pick(struct pd_settle *ps, Id dep, Solvable *req, unsigned char want)
{
	struct plan_deps	*pd = ps->ps_pd;
	Pool			*pool = pd->pd_pool;
	Reldep			*rd;
	Id			 p, pp, best = 0, name;
	int			 i;

	if (ISRELDEP(dep)) {
		rd = GETRELDEP(pool, dep);
		switch (rd->flags) {
		case REL_OR:
			/* Debian's order: the first alternative first. */
			if ((i = pd_pick(ps, rd->name, req, want)) >= 0)
				return i;
			return pd_pick(ps, rd->evr, req, want);
		case REL_AND:
			if (pd_eval(ps, rd->name) == PD_UNMET)
				return pd_pick(ps, rd->name, req, want);
			return pd_pick(ps, rd->evr, req, want);
		case REL_COND:
			if (!ISRELDEP(rd->evr) ||
			    GETRELDEP(pool, rd->evr)->flags != REL_ELSE)
				return -1;
			if ((i = pd_pick(ps, rd->name, req, want)) >= 0)
				return i;
			return pd_pick(ps, GETRELDEP(pool, rd->evr)->evr, req,
			    want);
		case REL_UNLESS:
			return pd_pick(ps, rd->name, req, want);
		default:
			break;
		}
	}
	name = dep;
	while (ISRELDEP(name))
		name = GETRELDEP(pool, name)->name;
	FOR_PROVIDES(p, pp, dep) {
		if ((i = pd->pd_pkg[p]) < 0 || ps->ps_st[i] != want)
			continue;
		if (want == PLAN_DEPS_LET_IN && ps->ps_needed != NULL &&
		    ps->ps_needed[i])
			return i;	/* already kept: no second one */
		if (best == 0 || pd_better(pd, p, best, name, req))
			best = p;
	}
	return best == 0 ? -1 : pd->pd_pkg[best];
}

/* How a version is named in reasons, in its format's own words. */
static void
pd_name(struct plan_deps *pd, struct buf *b, Id p)
{
	Pool		*pool = pd->pd_pool;
	Solvable	*s = pool->solvables + p;

	if (pd->pd_format == MIRROR_APT) {
		/* dpkg's "name:arch (version)"; no ":all". */
		buf_adds(b, pool_id2str(pool, s->name));
		if (s->arch != 0 && s->arch != ARCH_ALL && s->arch != ARCH_NOARCH)
			buf_addf(b, ":%s", pool_id2str(pool, s->arch));
		buf_addf(b, " (%s)", pool_id2str(pool, s->evr));
	} else
		buf_adds(b, pool_solvable2str(pool, s));
}

/* A requirement in its format's own words: "libfoo = 2.0-1", "a (>= 1) | b". */
static void
pd_dep(struct plan_deps *pd, struct buf *b, Id dep)
{
	Pool		*pool = pd->pd_pool;
	Reldep		*rd;
	const char	*op;

	if (pd->pd_format != MIRROR_APT || !ISRELDEP(dep)) {
		buf_adds(b, pool_dep2str(pool, dep));
		return;
	}
	rd = GETRELDEP(pool, dep);
	switch (rd->flags) {
	case REL_OR:
		pd_dep(pd, b, rd->name);
		buf_adds(b, " | ");
		pd_dep(pd, b, rd->evr);
		return;
	case REL_MULTIARCH:
		pd_dep(pd, b, rd->name);
		buf_addf(b, ":%s", pool_id2str(pool, rd->evr));
		return;
	case REL_LT:
		op = "<<";
		break;
	case REL_LT | REL_EQ:
		op = "<=";
		break;
	case REL_EQ:
		op = "=";
		break;
	case REL_GT | REL_EQ:
		op = ">=";
		break;
	case REL_GT:
		op = ">>";
		break;
	default:
		buf_adds(b, pool_dep2str(pool, dep));
		return;
	}
	pd_dep(pd, b, rd->name);
	buf_addf(b, " (%s %s)", op, pool_id2str(pool, rd->evr));
}

/* The part of an unmet requirement that is unmet: "b" of "(a and b)". */
static Id
pd_unmet_leaf(struct pd_settle *ps, Id dep)
{
	Pool	*pool = ps->ps_pd->pd_pool;
	Reldep	*rd;

	if (!ISRELDEP(dep))
		return dep;
	rd = GETRELDEP(pool, dep);
	switch (rd->flags) {
	case REL_AND:
		if (pd_eval(ps, rd->name) == PD_UNMET)
			return pd_unmet_leaf(ps, rd->name);
		return pd_unmet_leaf(ps, rd->evr);
	case REL_OR:
	case REL_COND:
	case REL_UNLESS:
		return pd_unmet_leaf(ps, rd->name);
	default:
		return dep;
	}
}

/* Why a version is held: it needs dep, which the view lacks. */
static char *
pd_held_why(struct pd_settle *ps, Id dep, int allow)
{
	struct plan_deps	*pd = ps->ps_pd;
	Pool			*pool = pd->pd_pool;
	struct buf		 b, it;
	Id			 p, pp, held = 0, failed = 0, rejected = 0, leaf;
	int			 i;

	buf_init(&b);
	buf_adds(&b, "needs ");
	pd_dep(pd, &b, dep);
	leaf = pd_unmet_leaf(ps, dep);
	FOR_PROVIDES(p, pp, leaf) {
		if ((i = pd->pd_pkg[p]) < 0)
			continue;
		if (ps->ps_st[i] == PLAN_DEPS_HELD && held == 0)
			held = p;
		else if (ps->ps_st[i] == PLAN_DEPS_FAILED && failed == 0)
			failed = p;
		else if (ps->ps_st[i] == PLAN_DEPS_CANDIDATE && rejected == 0)
			rejected = p;
	}
	buf_init(&it);
	if (leaf == dep)
		buf_adds(&it, "it");
	else
		pd_dep(pd, &it, leaf);
	buf_add(&it, "", 1);
	/* The planner adds "which the group cannot see". */
	if (held != 0) {
		buf_adds(&b, " (");
		pd_name(pd, &b, held);
		buf_addf(&b, ", which provides %s, is held back too)", it.b_data);
	} else if (failed != 0) {
		buf_adds(&b, " (rejected ");
		pd_name(pd, &b, failed);
		buf_addf(&b, " provides %s but cannot be let in: "
		    "its own needs are not met)", it.b_data);
	} else if (rejected != 0 && !allow) {
		buf_addf(&b, " (only rejected versions provide %s: ", it.b_data);
		pd_name(pd, &b, rejected);
		buf_adds(&b, ")");
	}
	buf_free(&it);
	buf_add(&b, "", 1);
	return b.b_data;
}

/* The requirements of solvable p that installing it needs, or NULL. */
static Id *
pd_requires(struct plan_deps *pd, Id p)
{
	Solvable	*s = pd->pd_pool->solvables + p;

	if (pd_is_source(s) || s->requires == 0)
		return NULL;
	return s->repo->idarraydata + s->requires;
}

static int
pd_skip(struct plan_deps *pd, Id dep)
{
	const char	*name;

	if (dep == SOLVABLE_PREREQMARKER)
		return 1;
	if (pd->pd_format != MIRROR_RPMMD)
		return 0;
	/* rpm's own features: the installed rpm meets them. */
	while (ISRELDEP(dep) && GETRELDEP(pd->pd_pool, dep)->flags < 8)
		dep = GETRELDEP(pd->pd_pool, dep)->name;
	if (ISRELDEP(dep))
		return 0;
	name = pool_id2str(pd->pd_pool, dep);
	return strncmp(name, "rpmlib(", 7) == 0;
}

/*
 * One pass over the versions in the view; returns how many states
 * changed.  Holding only ever moves a state out and letting in only moves
 * a candidate in once, so repeated passes reach a fixpoint.
 */
static size_t
pd_pass(struct pd_settle *ps, char **why, int allow)
{
	struct plan_deps	*pd = ps->ps_pd;
	Pool			*pool = pd->pd_pool;
	Id			*rp, dep, p;
	size_t			 i, changed = 0;
	int			 c;

	for (i = 0; i < pd->pd_n; i++) {
		if (!pd_in(ps, i) || (p = pd->pd_solv[i]) == 0)
			continue;
		if ((rp = pd_requires(pd, p)) == NULL)
			continue;
		for (; (dep = *rp) != 0; rp++) {
			if (pd_skip(pd, dep) || pd_eval(ps, dep) != PD_UNMET)
				continue;
			if (allow && (c = pd_pick(ps, dep, pool->solvables + p,
			    PLAN_DEPS_CANDIDATE)) >= 0) {
				ps->ps_st[c] = PLAN_DEPS_LET_IN;
				changed++;
				continue;
			}
			if (ps->ps_st[i] == PLAN_DEPS_LET_IN)
				ps->ps_st[i] = PLAN_DEPS_FAILED;
			else {
				ps->ps_st[i] = PLAN_DEPS_HELD;
				free(why[i]);
				why[i] = pd_held_why(ps, dep, allow);
			}
			changed++;
			break;
		}
	}
	return changed;
}

/*
 * Keeps the LET_IN versions that versions in the view need, naming the
 * first that needs each; the others go back to CANDIDATE.  A breadth-first
 * walk from the listed versions, in package order.
 */
static void
pd_prune(struct pd_settle *ps, char **why)
{
	struct plan_deps	*pd = ps->ps_pd;
	Pool			*pool = pd->pd_pool;
	struct buf		 b;
	Id			*rp, dep, p;
	size_t			*queue, head = 0, tail = 0, i;
	int			 c;

	ps->ps_needed = xcalloc(pd->pd_n ? pd->pd_n : 1, 1);
	ps->ps_listed_only = 1;
	queue = xreallocarray(NULL, pd->pd_n ? pd->pd_n : 1, sizeof *queue);
	for (i = 0; i < pd->pd_n; i++)
		if (ps->ps_st[i] == PLAN_DEPS_LISTED)
			queue[tail++] = i;
	while (head < tail) {
		i = queue[head++];
		if ((p = pd->pd_solv[i]) == 0 || (rp = pd_requires(pd, p)) == NULL)
			continue;
		for (; (dep = *rp) != 0; rp++) {
			/* Met by what is kept so far? Else keep a LET_IN. */
			while (!pd_skip(pd, dep) && pd_eval(ps, dep) == PD_UNMET) {
				c = pd_pick(ps, dep, pool->solvables + p,
				    PLAN_DEPS_LET_IN);
				if (c < 0 || ps->ps_needed[c])
					break;	/* cannot happen at a fixpoint */
				ps->ps_needed[c] = 1;
				queue[tail++] = c;
				buf_init(&b);
				buf_adds(&b, "needed by ");
				pd_name(pd, &b, p);
				buf_adds(&b, pd->pd_format == MIRROR_APT ?
				    ", which depends on " : ", which requires ");
				pd_dep(pd, &b, dep);
				buf_add(&b, "", 1);
				free(why[c]);
				why[c] = b.b_data;
			}
		}
	}
	for (i = 0; i < pd->pd_n; i++)
		if (ps->ps_st[i] == PLAN_DEPS_LET_IN && !ps->ps_needed[i])
			ps->ps_st[i] = PLAN_DEPS_CANDIDATE;
	free(queue);
	free(ps->ps_needed);
	ps->ps_needed = NULL;
	ps->ps_listed_only = 0;
}

int
plan_deps_settle(struct plan_deps *pd, unsigned char *state, char **why,
    int allow_as_dependency, char **cause)
{
	struct pd_settle	 ps;
	size_t			 i;

	if (!pd->pd_sealed) {
		cause_set(cause, "settled before seal");
		return -1;
	}
	for (i = 0; i < pd->pd_n; i++) {
		if (state[i] > PLAN_DEPS_LET_IN) {
			cause_set(cause, "package %zu: bad state %d", i, state[i]);
			return -1;
		}
	}
	memset(&ps, 0, sizeof ps);
	ps.ps_pd = pd;
	ps.ps_st = xmalloc(pd->pd_n ? pd->pd_n : 1);
	memcpy(ps.ps_st, state, pd->pd_n);
	for (i = 0; i < pd->pd_n; i++)
		why[i] = NULL;

	while (pd_pass(&ps, why, allow_as_dependency) != 0)
		;
	if (allow_as_dependency)
		pd_prune(&ps, why);

	for (i = 0; i < pd->pd_n; i++) {
		if (ps.ps_st[i] == PLAN_DEPS_FAILED)
			ps.ps_st[i] = PLAN_DEPS_CANDIDATE;
		if (ps.ps_st[i] == state[i] &&
		    ps.ps_st[i] != PLAN_DEPS_LET_IN && why[i] != NULL) {
			free(why[i]);
			why[i] = NULL;
		}
		state[i] = ps.ps_st[i];
	}
	free(ps.ps_st);
	return 0;
}

size_t
plan_deps_unmet_providers(struct plan_deps *pd, const unsigned char *state,
    size_t pkg, size_t *out, size_t max)
{
	struct pd_settle	 ps;
	Pool			*pool = pd->pd_pool;
	Id			*rp, dep, leaf, p, pp;
	size_t			 n = 0;
	int			 i;

	if (!pd->pd_sealed || pkg >= pd->pd_n || pd->pd_solv[pkg] == 0 ||
	    (rp = pd_requires(pd, pd->pd_solv[pkg])) == NULL)
		return 0;
	memset(&ps, 0, sizeof ps);
	ps.ps_pd = pd;
	ps.ps_st = (unsigned char *)state;	/* only read */
	for (; (dep = *rp) != 0; rp++) {
		if (pd_skip(pd, dep) || pd_eval(&ps, dep) != PD_UNMET)
			continue;
		leaf = pd_unmet_leaf(&ps, dep);
		FOR_PROVIDES(p, pp, leaf) {
			if ((i = pd->pd_pkg[p]) >= 0 && n < max)
				out[n++] = (size_t)i;
		}
		break;
	}
	return n;
}
