/*
 * Publishing: for every group that uses a mirror, ask the planner
 * (lib/planner.c) what its view lists, store the files of versions that
 * upstream drops while a group still sees them, write the view as a new
 * generation directory and switch `current` to it atomically.  A view whose
 * content did not change keeps its generation, so clients see no churn.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blob.h"
#include "clock.h"
#include "compress.h"
#include "hash.h"
#include "indexer.h"
#include "log.h"
#include "planner.h"
#include "store.h"
#include "vercmp.h"
#include "view.h"
#include "window.h"
#include "xmalloc.h"

/* Whether a baseline ever delays a version: a view that lags upstream. */
static int
pub_delayed(const struct baseline *bl)
{
	const struct rule	*ru;

	TAILQ_FOREACH(ru, &bl->bl_rules, ru_entry) {
		if (ru->ru_delay != 0)
			return 1;
	}
	return 0;
}

/* Marks in need[] what one plan asks to store (pub_prefetch). */
static void
pub_prefetch_need(struct mirror *mi, struct group *gr, struct facts *fa,
    struct plan *pl, unsigned char *need)
{
	size_t	i;

	for (i = 0; i < fa->fa_npkgs; i++) {
		if (fa->fa_pkgs[i].pp_stored)
			continue;
		if (pl->pl_verdicts[i].pv_at_risk)
			need[i] = 1;
		if (mi->mi_prefetch == PREFETCH_VISIBLE &&
		    pl->pl_verdicts[i].pv_listed &&
		    pub_delayed(gr->gr_baseline))
			need[i] = 1;
	}
}

/*
 * Which files to store now (the mirror's prefetch mode), over every group:
 * at-risk, the versions a group sees that upstream dropped or superseded
 * and whose file is not stored; visible, also every version a delayed
 * group lists.  One plan at a time: a plan of a large mirror is large.
 */
static void
pub_prefetch(struct indexer *ix, struct mirror *mi, struct facts *fa)
{
	struct group	*gr;
	struct plan	*pl;
	unsigned char	*need;
	size_t		 i;
	time_t		 at;

	if (mi->mi_prefetch == PREFETCH_NONE)
		return;
	need = xcalloc(fa->fa_npkgs + 1, 1);
	TAILQ_FOREACH(gr, &ix->ix_cf->cf_groups, gr_entry) {
		if (!group_has_mirror(gr, mi))
			continue;
		/*
		 * A view frozen outside its windows: what it lists now, and
		 * what it will list when the next window opens.
		 */
		at = publish_plan_time(ix, gr, mi);
		if (at != ix->ix_now) {
			pl = facts_plan(ix, gr, mi, fa, ix->ix_now);
			pub_prefetch_need(mi, gr, fa, pl, need);
			plan_free(pl);
		}
		pl = facts_plan_clocks(ix, gr, mi, fa, at, ix->ix_now);
		pub_prefetch_need(mi, gr, fa, pl, need);
		plan_free(pl);
	}
	prefetch_packages(ix, mi, fa->fa_pkgs, fa->fa_npkgs, need);
	for (i = 0; i < fa->fa_npkgs; i++) {
		fa->fa_input[i].pk_stored = fa->fa_pkgs[i].pp_stored;
		fa->fa_input[i].pk_lost = fa->fa_pkgs[i].pp_lost;
	}
	free(need);
}

/*
 * What a sync says about one group's plan: every version held back for a
 * dependency or let in as one, at once; the groups that lose a version,
 * gathered in lost[] for pub_report_lost().
 */
static void
pub_report(struct group *gr, struct mirror *mi, struct facts *fa,
    struct plan *pl, struct buf *lost)
{
	struct plan_verdict	*v;
	size_t			 i;

	for (i = 0; i < fa->fa_npkgs; i++) {
		v = &pl->pl_verdicts[i];
		if (v->pv_reason == PLAN_LOST)
			buf_addf(&lost[i], "%s%s", lost[i].b_len ? ", " : "",
			    gr->gr_name);
		else if (v->pv_reason == PLAN_NEEDS_HIDDEN ||
		    v->pv_reason == PLAN_AS_DEPENDENCY)
			log_info("group %s, mirror %s: %s: %s", gr->gr_name,
			    mi->mi_name, fa->fa_pkgs[i].pp_location, v->pv_why);
	}
}

/* Names every version lost, with the groups that lose it. */
static void
pub_report_lost(struct mirror *mi, struct facts *fa, struct buf *lost)
{
	struct pub_pkg	*pp;
	char		*label;
	size_t		 i;

	for (i = 0; i < fa->fa_npkgs; i++) {
		pp = &fa->fa_pkgs[i];
		if (lost[i].b_len == 0)
			continue;
		buf_add(&lost[i], "", 0);
		if (mi->mi_type == MIRROR_APT)
			xasprintf(&label, "%s %s", pp->pp_name, pp->pp_version);
		else
			xasprintf(&label, "%s-%s-%s.%s", pp->pp_name,
			    pp->pp_version, pp->pp_release, pp->pp_arch);
		log_warnx("mirror %s: lost %s (%s): upstream no longer lists "
		    "it and its file %s; groups that lose it: %s", mi->mi_name,
		    label, pp->pp_location, pp->pp_lost ? pp->pp_lost :
		    "is not stored", lost[i].b_data);
		free(label);
	}
}

int
publish_write_file(struct pub_view *pv, const char *relpath, const void *data,
    size_t len, char **cause)
{
	char		*path, *dir, *slash;
	const char	*p = data;
	ssize_t		 n;
	int		 fd;

	xasprintf(&path, "%s/%s", pv->pv_tree, relpath);
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (mkdir_p(dir, 0755) == -1) {
		cause_set(cause, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		goto fail;
	}
	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			cause_set(cause, "%s: %s", path, strerror(errno));
			close(fd);
			goto fail;
		}
		p += n;
		len -= n;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		goto fail;
	}
	free(dir);
	free(path);
	return 0;
fail:
	free(dir);
	free(path);
	return -1;
}

/*
 * Files views share: STORE/cache/<form>/<sha256 of the plain text> holds
 * the bytes once, and every generation that carries them links to them, so
 * a document is compressed once however many groups and syncs publish it.
 * A cached file no generation links any more is pruned (pub_cache_prune).
 */
static const char *const pub_form_names[] = { "plain", "gz" };

static int
pub_link_into(struct pub_view *pv, const char *src, const char *relpath,
    char **cause)
{
	char	*dst, *dir, *slash, *data;
	size_t	 len;
	int	 rc;

	xasprintf(&dst, "%s/%s", pv->pv_tree, relpath);
	dir = xstrdup(dst);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (mkdir_p(dir, 0755) == -1) {
		cause_set(cause, "%s: %s", dir, strerror(errno));
		free(dir);
		free(dst);
		return -1;
	}
	free(dir);
	unlink(dst);
	rc = link(src, dst);
	free(dst);
	if (rc == 0)
		return 0;
	/* Another file system, or too many links: a copy will do. */
	if (file_read(src, (size_t)1 << 31, &data, &len, cause) != 0)
		return -1;
	rc = publish_write_file(pv, relpath, data, len, cause);
	free(data);
	return rc;
}

int
publish_file(struct pub_view *pv, const char *relpath, const void *plain,
    size_t plainlen, enum pub_form form, char *hex, size_t *len, char **cause)
{
	char	 phex[HASH_HEX_MAX], *dir, *path, *side, *data = NULL, *line;
	size_t	 dlen;
	int	 rc = -1;

	hash_buffer("sha256", plain, plainlen, phex);
	xasprintf(&dir, "%s/cache/%s", pv->pv_ix->ix_cf->cf_store,
	    pub_form_names[form]);
	xasprintf(&path, "%s/%s", dir, phex);
	xasprintf(&side, "%s.sum", path);
	if (mkdir_p(dir, 0755) == -1) {
		cause_set(cause, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if (form == PUB_PLAIN) {
		if (access(path, F_OK) != 0 &&
		    file_write_atomic(path, plain, plainlen, cause) != 0)
			goto out;
		snprintf(hex, HASH_HEX_MAX, "%s", phex);
		*len = plainlen;
	} else {
		if (access(path, F_OK) == 0 &&
		    file_read(side, 256, &data, &dlen, NULL) == 0 &&
		    sscanf(data, "sha256 %128s %zu", hex, len) == 2) {
			free(data);
			data = NULL;
		} else {
			free(data);
			data = NULL;
			if (compress_gzip(plain, plainlen, &data, &dlen,
			    cause) != 0)
				goto out;
			hash_buffer("sha256", data, dlen, hex);
			*len = dlen;
			if (file_write_atomic(path, data, dlen, cause) != 0)
				goto out;
			xasprintf(&line, "sha256 %s %zu\n", hex, dlen);
			rc = file_write_atomic(side, line, strlen(line), cause);
			free(line);
			if (rc != 0)
				goto out;
		}
	}
	rc = pub_link_into(pv, path, relpath, cause);
out:
	free(data);
	free(side);
	free(path);
	free(dir);
	return rc;
}

/* Gives a file already in the tree a second name (apt's by-hash). */
int
publish_link(struct pub_view *pv, const char *from, const char *to,
    char **cause)
{
	char	*src;
	int	 rc;

	xasprintf(&src, "%s/%s", pv->pv_tree, from);
	rc = pub_link_into(pv, src, to, cause);
	free(src);
	return rc;
}

/* Removes cached files that no generation links any more. */
static void
pub_cache_prune(struct indexer *ix)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	char		*dir, *path, *side;
	size_t		 f, n;

	for (f = 0; f < sizeof pub_form_names / sizeof pub_form_names[0]; f++) {
		xasprintf(&dir, "%s/cache/%s", ix->ix_cf->cf_store,
		    pub_form_names[f]);
		if ((d = opendir(dir)) == NULL) {
			free(dir);
			continue;
		}
		while ((de = readdir(d)) != NULL) {
			n = strlen(de->d_name);
			if (de->d_name[0] == '.' ||
			    (n > 4 && strcmp(de->d_name + n - 4, ".sum") == 0))
				continue;
			xasprintf(&path, "%s/%s", dir, de->d_name);
			if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
			    sb.st_nlink == 1) {
				unlink(path);
				xasprintf(&side, "%s.sum", path);
				unlink(side);
				free(side);
			}
			free(path);
		}
		closedir(d);
		free(dir);
	}
}

static int
idx_line_cmp(const void *x, const void *y)
{
	const char	*a = *(char *const *)x, *b = *(char *const *)y;

	/* Lines start with "V\t" or "H\t": order by the path after it. */
	return strcmp(a + 2, b + 2);
}

/* Writes packages.idx (see view.h) into the generation at gen. */
static int
pub_write_index(struct pub_view *pv, const char *gen, char **cause)
{
	struct pub_pkg	*pp;
	char		**lines, *url, *path, *p;
	size_t		 i, n = 0;
	struct buf	 b;
	int		 rc;

	lines = xcalloc(pv->pv_npkgs + 1, sizeof *lines);
	for (i = 0; i < pv->pv_npkgs; i++) {
		pp = &pv->pv_pkgs[i];
		if (pp->pp_listed) {
			url = mirror_url(pv->pv_mirror, pp->pp_location_base,
			    pp->pp_location);
			xasprintf(&lines[n++], "V\t%s\t%lld\t%s\t%s\t%s",
			    pp->pp_location, pp->pp_size, pp->pp_checksum_type,
			    pp->pp_pkgid, url);
			free(url);
		} else if (pp->pp_upstream ||
		    pp->pp_verdict->pv_reason == PLAN_LOST) {
			xasprintf(&lines[n], "H\t%s\t%s", pp->pp_location,
			    pp->pp_verdict->pv_why);
			/* A reason is one line of text. */
			for (p = lines[n] + 2 + strlen(pp->pp_location) + 1;
			    *p != '\0'; p++) {
				if (*p == '\t' || *p == '\n' || *p == '\r')
					*p = ' ';
			}
			n++;
		}
	}
	qsort(lines, n, sizeof *lines, idx_line_cmp);
	buf_init(&b);
	for (i = 0; i < n; i++) {
		/* One line per path: a listed version wins over a hidden one. */
		if (i > 0 && idx_line_cmp(&lines[i], &lines[i - 1]) == 0 &&
		    lines[i][0] == 'H')
			continue;
		if (i + 1 < n && idx_line_cmp(&lines[i], &lines[i + 1]) == 0 &&
		    lines[i][0] == 'H')
			continue;
		buf_addf(&b, "%s\n", lines[i]);
	}
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	buf_add(&pv->pv_digest, b.b_data ? b.b_data : "", b.b_len);
	xasprintf(&path, "%s/%s", gen, VIEW_INDEX_NAME);
	rc = file_write_atomic(path, b.b_data ? b.b_data : "", b.b_len, cause);
	free(path);
	buf_free(&b);
	return rc;
}

/* Reads a small text file of a generation; caller-freed, NULL if absent. */
static char *
pub_read_small(const char *gen, const char *name)
{
	char	*path, *data = NULL;
	size_t	 len;

	xasprintf(&path, "%s/%s", gen, name);
	if (file_read(path, 4096, &data, &len, NULL) != 0)
		data = NULL;
	free(path);
	return data;
}

/* Removes generations whose successor has been current for the grace period. */
static void
pub_retire(struct indexer *ix, struct group *gr, struct mirror *mi)
{
	unsigned long	*gens;
	size_t		 ngens, i;
	char		*gen, *cur, *created;
	time_t		 retired;

	if (view_generations(ix->ix_cf->cf_store, gr->gr_name, mi->mi_name,
	    &gens, &ngens) != 0)
		return;
	cur = view_current(ix->ix_cf->cf_store, gr->gr_name, mi->mi_name);
	for (i = 1; i < ngens; i++) {
		gen = view_generation_path(ix->ix_cf->cf_store, gr->gr_name,
		    mi->mi_name, gens[i - 1]);
		created = pub_read_small(gen, "created");
		free(gen);
		if (created == NULL)
			continue;
		created[strcspn(created, "\n")] = '\0';
		if (time_parse_rfc3339(created, &retired) == 0 &&
		    retired + ix->ix_cf->cf_grace <= ix->ix_now) {
			gen = view_generation_path(ix->ix_cf->cf_store,
			    gr->gr_name, mi->mi_name, gens[i]);
			if (cur == NULL || strcmp(cur, gen) != 0) {
				if (remove_tree(gen) == -1)
					log_warn("%s", gen);
				else
					log_debug("retired %s", gen);
			}
			free(gen);
		}
		free(created);
	}
	free(cur);
	free(gens);
}

/*
 * apt's Release carries a Valid-Until of its own (APT_VALID_FOR): an
 * unchanged view is published again once a day so clients never see it
 * expire while syncs keep running.
 */
static int
pub_needs_refresh(struct indexer *ix, struct mirror *mi, const char *gen)
{
	char	*created;
	time_t	 t;
	int	 refresh = 0;

	if (mi->mi_type != MIRROR_APT)
		return 0;
	if ((created = pub_read_small(gen, "created")) == NULL)
		return 1;
	created[strcspn(created, "\n")] = '\0';
	if (time_parse_rfc3339(created, &t) != 0 || t + 86400 <= ix->ix_now ||
	    t > ix->ix_now)
		refresh = 1;
	free(created);
	return refresh;
}

time_t
publish_plan_time(struct indexer *ix, struct group *gr, struct mirror *mi)
{
	char		*cur, *s, *end;
	long long	 v;
	time_t		 at = ix->ix_now;

	if (gr->gr_nwindows == 0 ||
	    window_inside(gr->gr_windows, gr->gr_nwindows, ix->ix_now))
		return ix->ix_now;
	/* A view never published is published at once. */
	if ((cur = view_current(ix->ix_cf->cf_store, gr->gr_name,
	    mi->mi_name)) == NULL)
		return ix->ix_now;
	if ((s = pub_read_small(cur, VIEW_PLANNED_NAME)) != NULL) {
		v = strtoll(s, &end, 10);
		if (end != s && (*end == '\n' || *end == '\0') && v > 0)
			at = (time_t)v;
		free(s);
	} else if ((s = pub_read_small(cur, "created")) != NULL) {
		/* Written before "planned" was: planned when it was created. */
		s[strcspn(s, "\n")] = '\0';
		if (time_parse_rfc3339(s, &at) != 0)
			at = ix->ix_now;
		free(s);
	}
	free(cur);
	return at < ix->ix_now ? at : ix->ix_now;
}

/*
 * When the view planned at `at` (pl) may change next by time alone, for
 * the scheduler: the plan's next change for a group without windows.  For
 * a windowed group, each version's next change counts at the first time
 * at or after it (or after now, for a change already due) that lies in a
 * window, but the end of a hold, which applies at once.  0: none.
 */
static time_t
pub_next_change_at(struct indexer *ix, struct group *gr, struct plan *pl,
    time_t at)
{
	struct plan_verdict	*v;
	time_t			 c, t, best = 0;
	size_t			 i;

	if (gr->gr_nwindows == 0)
		return pl->pl_next_change;
	for (i = 0; i < pl->pl_n; i++) {
		v = &pl->pl_verdicts[i];
		c = v->pv_changes;
		if (c == 0 || c <= at)
			continue;
		if (v->pv_reason == PLAN_HELD)
			t = c > ix->ix_now ? c : 0;
		else
			t = window_next_inside(gr->gr_windows, gr->gr_nwindows,
			    c > ix->ix_now ? c : ix->ix_now);
		if (t != 0 && (best == 0 || t < best))
			best = t;
	}
	return best;
}

/* Writes STORE/views/<group>/<mirror>/next-change (see view.h). */
static int
pub_next_change(struct indexer *ix, struct group *gr, struct mirror *mi,
    struct plan *pl, time_t at, char **cause)
{
	char	*dir, *path, line[32] = "";
	time_t	 t;
	int	 rc;

	if ((t = pub_next_change_at(ix, gr, pl, at)) != 0)
		snprintf(line, sizeof line, "%lld\n", (long long)t);
	dir = view_dir(ix->ix_cf->cf_store, gr->gr_name, mi->mi_name);
	xasprintf(&path, "%s/%s", dir, VIEW_NEXT_CHANGE_NAME);
	rc = file_write_atomic(path, line, strlen(line), cause);
	free(path);
	free(dir);
	return rc;
}

/*
 * Writes the view the versions' verdicts describe into the directory tmp
 * (tree/, packages.idx, digest, created); the digest's hex comes back in
 * hex, what makes two views equal.
 */
static int
pub_render(struct indexer *ix, struct group *gr, struct mirror *mi,
    long long mirror_id, struct facts *fa, const char *tmp, char *hex,
    char **cause)
{
	struct pub_view	 pv;
	char		*path, *line, tbuf[32];
	int		 rc = -1;

	memset(&pv, 0, sizeof pv);
	pv.pv_ix = ix;
	pv.pv_group = gr;
	pv.pv_mirror = mi;
	pv.pv_mirror_id = mirror_id;
	pv.pv_pkgs = fa->fa_pkgs;
	pv.pv_npkgs = fa->fa_npkgs;
	buf_init(&pv.pv_digest);
	remove_tree(tmp);
	xasprintf(&pv.pv_tree, "%s/tree", tmp);
	if (mkdir_p(pv.pv_tree, 0755) == -1) {
		cause_set(cause, "%s: %s", pv.pv_tree, strerror(errno));
		goto out;
	}
	switch (mi->mi_type) {
	case MIRROR_RPMMD:
		rc = publish_rpmmd(&pv, cause);
		break;
	case MIRROR_APT:
		rc = publish_apt(&pv, cause);
		break;
	default:
		cause_set(cause, "views of type %s are not supported",
		    mirror_type_name(mi->mi_type));
		rc = -1;
		break;
	}
	if (rc != 0 || (rc = pub_write_index(&pv, tmp, cause)) != 0)
		goto out;
	hash_buffer("sha256", pv.pv_digest.b_data ? pv.pv_digest.b_data : "",
	    pv.pv_digest.b_len, hex);
	xasprintf(&line, "%s\n", hex);
	xasprintf(&path, "%s/digest", tmp);
	rc = file_write_atomic(path, line, strlen(line), cause);
	free(path);
	free(line);
	if (rc != 0)
		goto out;
	xasprintf(&line, "%s\n", time_format(ix->ix_now, tbuf, sizeof tbuf));
	xasprintf(&path, "%s/created", tmp);
	rc = file_write_atomic(path, line, strlen(line), cause);
	free(path);
	free(line);
	if (rc != 0)
		goto out;
	/* The time the verdicts were planned at: where a frozen view stays. */
	xasprintf(&line, "%lld\n", (long long)(fa->fa_planned != 0 ?
	    fa->fa_planned : ix->ix_now));
	xasprintf(&path, "%s/%s", tmp, VIEW_PLANNED_NAME);
	rc = file_write_atomic(path, line, strlen(line), cause);
	free(path);
	free(line);
out:
	buf_free(&pv.pv_digest);
	free(pv.pv_tree);
	return rc;
}

static int
pub_write(struct indexer *ix, struct group *gr, struct mirror *mi,
    long long mirror_id, struct facts *fa, int *changed, char **cause)
{
	char		*dir, *tmp = NULL, *gen = NULL, *cur = NULL, *old;
	char		 hex[HASH_HEX_MAX], name[32];
	unsigned long	*gens;
	size_t		 ngens;
	int		 rc = -1;

	dir = view_dir(ix->ix_cf->cf_store, gr->gr_name, mi->mi_name);
	if (mkdir_p(dir, 0755) == -1) {
		cause_set(cause, "%s: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	if (view_generations(ix->ix_cf->cf_store, gr->gr_name, mi->mi_name,
	    &gens, &ngens) != 0) {
		cause_set(cause, "%s: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	snprintf(name, sizeof name, "gen-%06lu", ngens ? gens[0] + 1 : 1);
	free(gens);
	xasprintf(&tmp, "%s/%s.tmp", dir, name);
	xasprintf(&gen, "%s/%s", dir, name);
	if (pub_render(ix, gr, mi, mirror_id, fa, tmp, hex, cause) != 0)
		goto out;

	cur = view_current(ix->ix_cf->cf_store, gr->gr_name, mi->mi_name);
	if (cur != NULL && (old = pub_read_small(cur, "digest")) != NULL) {
		if (strncmp(old, hex, strlen(hex)) == 0 &&
		    !pub_needs_refresh(ix, mi, cur)) {
			free(old);
			remove_tree(tmp);
			*changed = 0;
			rc = 0;
			goto out;
		}
		free(old);
	}
	if ((rc = view_seal(tmp, cur, cause)) != 0)
		goto out;
	rc = -1;
	if (rename(tmp, gen) == -1) {
		cause_set(cause, "%s: %s", gen, strerror(errno));
		goto out;
	}
	dir_sync(dir);
	{
		char	*link;

		xasprintf(&link, "%s/current", dir);
		rc = symlink_replace(name, link, cause);
		free(link);
		if (rc != 0)
			goto out;
	}
	*changed = 1;
	log_info("group %s, mirror %s: published %s", gr->gr_name, mi->mi_name,
	    name);
	pub_retire(ix, gr, mi);
	rc = 0;
out:
	if (rc != 0)
		remove_tree(tmp);
	free(cur);
	free(tmp);
	free(gen);
	free(dir);
	return rc;
}

int
publish_frozen(struct indexer *ix, struct group *gr, struct mirror *mi,
    long long mirror_id, struct facts *fa, const char *dir, char **cause)
{
	char	*tmp, *parent, *slash, hex[HASH_HEX_MAX];
	int	 rc = -1;

	if (access(dir, F_OK) == 0) {
		cause_set(cause, "%s: already exists", dir);
		return -1;
	}
	parent = xstrdup(dir);
	if ((slash = strrchr(parent, '/')) != NULL)
		*slash = '\0';
	if (mkdir_p(parent, 0755) == -1) {
		cause_set(cause, "%s: %s", parent, strerror(errno));
		free(parent);
		return -1;
	}
	xasprintf(&tmp, "%s.tmp", dir);
	if (pub_render(ix, gr, mi, mirror_id, fa, tmp, hex, cause) != 0 ||
	    view_seal(tmp, NULL, cause) != 0)
		goto out;
	if (rename(tmp, dir) == -1) {
		cause_set(cause, "%s: %s", dir, strerror(errno));
		goto out;
	}
	dir_sync(parent);
	rc = 0;
out:
	if (rc != 0)
		remove_tree(tmp);
	free(tmp);
	free(parent);
	return rc;
}

int
publish_mirror(struct indexer *ix, struct mirror *mi, int *changed,
    char **cause)
{
	struct facts	 fa;
	struct group	*gr;
	struct plan	*pl;
	struct buf	*lost;
	long long	 id;
	char		*why = NULL;
	size_t		 i;
	int		 ch, rc = 0;
	time_t		 at;

	*changed = 0;
	if ((id = store_mirror_id(ix->ix_store, mi->mi_name,
	    mirror_type_name(mi->mi_type), cause)) == -1)
		return -1;
	if (facts_load(ix, mi, id, &fa, cause) != 0)
		return -1;
	/* Versions some group still sees: store them while they can be had. */
	pub_prefetch(ix, mi, &fa);

	lost = xcalloc(fa.fa_npkgs + 1, sizeof *lost);
	for (i = 0; i < fa.fa_npkgs; i++)
		buf_init(&lost[i]);
	TAILQ_FOREACH(gr, &ix->ix_cf->cf_groups, gr_entry) {
		if (!group_has_mirror(gr, mi))
			continue;
		at = publish_plan_time(ix, gr, mi);
		pl = facts_plan_clocks(ix, gr, mi, &fa, at, ix->ix_now);
		pub_report(gr, mi, &fa, pl, lost);
		ch = 0;
		rc = pub_write(ix, gr, mi, id, &fa, &ch, &why);
		if (rc == 0)
			rc = pub_next_change(ix, gr, mi, pl, at, &why);
		plan_free(pl);
		if (rc != 0) {
			cause_set(cause, "group %s: %s", gr->gr_name, why);
			free(why);
			break;
		}
		*changed |= ch;
	}
	pub_report_lost(mi, &fa, lost);
	for (i = 0; i < fa.fa_npkgs; i++)
		buf_free(&lost[i]);
	free(lost);
	facts_free(&fa);
	pub_cache_prune(ix);
	return rc;
}
