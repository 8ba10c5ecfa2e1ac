/*
 * A generation's packages.idx (view.h), written as a stream: the versions
 * are sorted by path as pointers, and each line is formatted, written and
 * hashed on its own, so that memory does not grow with the text of the
 * index.  The view's digest takes the index's sha256, not its text.
 * Local names carry the prefix pi_.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hash.h"
#include "indexer.h"
#include "publish_stream.h"
#include "view.h"
#include "xmalloc.h"

/* A version with a line: 'V' listed, 'H' hidden. */
struct pi_ent {
	struct pub_pkg	*pe_pkg;
	char		 pe_kind;
};

/* The line kind of a version, 0 when it has none. */
static char
pi_kind(const struct pub_pkg *pp)
{
	if (pp->pp_listed)
		return 'V';
	if (pp->pp_upstream || pp->pp_verdict->pv_reason == PLAN_LOST)
		return 'H';
	return 0;
}

struct pi_ctx {
	struct pub_view	*pi_pv;
	struct buf	 pi_a;
	struct buf	 pi_b;
	char		*pi_prefix;	/* mirror_url_prefix() */
};

static struct pi_ctx	*pi_sort_ctx;

/* Lines are written and hashed in pieces of this many bytes. */
#define PI_CHUNK	(64 * 1024)

/* The line of e into b, without its newline; many, so without printf. */
static void
pi_line(struct pi_ctx *pc, const struct pi_ent *e, struct buf *b)
{
	struct pub_view	*pv = pc->pi_pv;
	struct pub_pkg	*pp = e->pe_pkg;
	char		*url, *p, num[24];
	size_t		 start;

	buf_reset(b);
	if (e->pe_kind == 'V') {
		buf_add(b, "V\t", 2);
		buf_adds(b, pp->pp_location);
		snprintf(num, sizeof num, "\t%lld\t", pp->pp_size);
		buf_adds(b, num);
		buf_adds(b, pp->pp_checksum_type);
		buf_add(b, "\t", 1);
		buf_adds(b, pp->pp_pkgid);
		buf_add(b, "\t", 1);
		if (pp->pp_location_base == NULL && pc->pi_prefix != NULL &&
		    mirror_url_plain(pp->pp_location)) {
			buf_adds(b, pc->pi_prefix);
			buf_adds(b, pp->pp_location);
			return;
		}
		url = mirror_url(pv->pv_mirror, pp->pp_location_base,
		    pp->pp_location);
		buf_adds(b, url);
		free(url);
		return;
	}
	buf_addf(b, "H\t%s\t", pp->pp_location);
	start = b->b_len;
	buf_adds(b, pp->pp_verdict->pv_why ? pp->pp_verdict->pv_why : "");
	/* A reason is one line of text. */
	for (p = b->b_data + start; *p != '\0'; p++) {
		if (*p == '\t' || *p == '\n' || *p == '\r')
			*p = ' ';
	}
}

/*
 * Lines compare by what follows their "V\t" or "H\t": the path, then
 * the rest, formatted only when two paths are equal.
 */
static int
pi_cmp(const void *x, const void *y)
{
	const struct pi_ent	*a = x, *b = y;
	struct pi_ctx		*pc = pi_sort_ctx;
	int			 c;

	c = strcmp(a->pe_pkg->pp_location, b->pe_pkg->pp_location);
	if (c != 0)
		return c;
	pi_line(pc, a, &pc->pi_a);
	pi_line(pc, b, &pc->pi_b);
	return strcmp(pc->pi_a.b_data + 2, pc->pi_b.b_data + 2);
}

/*
 * Groups that list and hide the same versions for the same reasons have
 * the same packages.idx: the last one written is kept in the cache of
 * published files (STORE/cache/plain/SHA256, pruned with it) and linked
 * into the next generation whose lines would be the same.
 */
static char	pi_memo_key[HASH_HEX_MAX];
static char	pi_memo_hex[HASH_HEX_MAX];

static void
pi_key(struct pub_view *pv, const struct pi_ent *ents, size_t n, char *hex)
{
	struct hash	*h;
	const char	*why;
	size_t		 i;

	h = hash_new("sha256");
	hash_update(h, pv->pv_mirror->mi_name, strlen(pv->pv_mirror->mi_name) + 1);
	for (i = 0; i < n; i++) {
		hash_update(h, &ents[i].pe_pkg->pp_id, sizeof ents[i].pe_pkg->pp_id);
		hash_update(h, &ents[i].pe_kind, 1);
		if (ents[i].pe_kind == 'H') {
			why = ents[i].pe_pkg->pp_verdict->pv_why;
			why = why != NULL ? why : "";
			hash_update(h, why, strlen(why) + 1);
		}
	}
	hash_final(h, hex);	/* frees the hash */
}

static char *
pi_cache_path(struct pub_view *pv, const char *hex)
{
	char	*path;

	xasprintf(&path, "%s/cache/plain/%s", pv->pv_ix->ix_cf->cf_store, hex);
	return path;
}

/*
 * Sorts the lines by pi_cmp: along the versions' order by location when
 * the facts have it (facts_prepare made it beside the sync's commit),
 * sorting only the runs of one location; else all of them.
 */
static void
pi_sort(struct pub_view *pv, struct pi_ent *ents, size_t n)
{
	const size_t	*order = pv->pv_by_location;
	struct pub_pkg	*pp;
	size_t		 i, j, m = 0;

	if (order == NULL) {
		qsort(ents, n, sizeof *ents, pi_cmp);
		return;
	}
	for (i = 0; i < pv->pv_npkgs; i++) {
		pp = &pv->pv_pkgs[order[i]];
		if ((ents[m].pe_kind = pi_kind(pp)) != 0)
			ents[m++].pe_pkg = pp;
	}
	for (i = 0; i < m; i = j) {
		for (j = i + 1; j < m && strcmp(ents[j].pe_pkg->pp_location,
		    ents[i].pe_pkg->pp_location) == 0; j++)
			;
		if (j - i > 1)
			qsort(ents + i, j - i, sizeof *ents, pi_cmp);
	}
}

/* Writes packages.idx into gen; its sha256 into hex. */
static int
pi_write(struct pub_view *pv, const char *gen, char *hex, char **cause)
{
	struct pi_ctx	 pc;
	struct pi_ent	*ents;
	struct pub_pkg	*pp;
	struct hash	*h;
	struct buf	 out;
	FILE		*f = NULL;
	char		*path, *tmp, *cached;
	char		 key[HASH_HEX_MAX];
	size_t		 i, n = 0;
	int		 rc = -1, skip;

	ents = xcalloc(pv->pv_npkgs + 1, sizeof *ents);
	for (i = 0; i < pv->pv_npkgs; i++) {
		pp = &pv->pv_pkgs[i];
		if ((ents[n].pe_kind = pi_kind(pp)) != 0)
			ents[n++].pe_pkg = pp;
	}
	memset(&pc, 0, sizeof pc);
	pc.pi_pv = pv;
	pc.pi_prefix = mirror_url_prefix(pv->pv_mirror);
	buf_init(&pc.pi_a);
	buf_init(&pc.pi_b);
	xasprintf(&path, "%s/%s", gen, VIEW_INDEX_NAME);
	xasprintf(&tmp, "%s.tmp%ld", path, (long)getpid());
	pi_key(pv, ents, n, key);
	if (strcmp(key, pi_memo_key) == 0) {
		cached = pi_cache_path(pv, pi_memo_hex);
		if (link(cached, path) == 0) {
			free(cached);
			snprintf(hex, HASH_HEX_MAX, "%s", pi_memo_hex);
			h = NULL;
			rc = 0;
			goto out;
		}
		free(cached);
	}
	pi_sort_ctx = &pc;
	pi_sort(pv, ents, n);

	h = hash_new("sha256");
	if ((f = fopen(tmp, "we")) == NULL) {
		cause_set(cause, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	buf_init(&out);
	for (i = 0; i <= n; i++) {
		/* Written and hashed in pieces of PI_CHUNK bytes. */
		if (out.b_len >= PI_CHUNK || (i == n && out.b_len > 0)) {
			hash_update(h, out.b_data, out.b_len);
			if (fwrite(out.b_data, 1, out.b_len, f) != out.b_len)
				break;
			buf_reset(&out);
		}
		if (i == n)
			break;
		/* One line per path: a listed version wins over a hidden one. */
		skip = 0;
		if (ents[i].pe_kind == 'H' &&
		    ((i > 0 && pi_cmp(&ents[i], &ents[i - 1]) == 0) ||
		    (i + 1 < n && pi_cmp(&ents[i], &ents[i + 1]) == 0)))
			skip = 1;
		if (skip)
			continue;
		pi_line(&pc, &ents[i], &pc.pi_a);
		buf_add(&out, pc.pi_a.b_data, pc.pi_a.b_len);
		buf_add(&out, "\n", 1);
	}
	buf_free(&out);
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) == -1) {
		cause_set(cause, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fclose(f) != 0) {
		f = NULL;
		cause_set(cause, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	f = NULL;
	if (rename(tmp, path) == -1) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		goto out;
	}
	dir_sync(gen);
	rc = 0;
	hash_final(h, hex);	/* frees the hash */
	h = NULL;
	cached = pi_cache_path(pv, hex);
	unlink(cached);
	if (link(path, cached) == 0) {
		snprintf(pi_memo_key, sizeof pi_memo_key, "%s", key);
		snprintf(pi_memo_hex, sizeof pi_memo_hex, "%s", hex);
	}
	free(cached);
out:
	hash_free(h);
	if (f != NULL)
		fclose(f);
	if (rc != 0)
		unlink(tmp);
	pi_sort_ctx = NULL;
	buf_free(&pc.pi_a);
	buf_free(&pc.pi_b);
	free(pc.pi_prefix);
	free(tmp);
	free(path);
	free(ents);
	return rc;
}

/*
 * The index is written on a thread of its own while the format's writer
 * renders and signs the metadata: both only read the versions and their
 * verdicts, which stay as they are until the next plan.
 */
struct publish_index {
	struct pub_view	*pi_view;
	char		*pi_gen;
	pthread_t	 pi_thread;
	int		 pi_threaded;
	int		 pi_rc;
	char		*pi_cause;
	char		 pi_hex[HASH_HEX_MAX];
};

static void *
pi_run(void *arg)
{
	struct publish_index	*pix = arg;

	pix->pi_rc = pi_write(pix->pi_view, pix->pi_gen, pix->pi_hex,
	    &pix->pi_cause);
	return NULL;
}

struct publish_index *
publish_index_start(struct pub_view *pv, const char *gen)
{
	struct publish_index	*pix;

	pix = xcalloc(1, sizeof *pix);
	pix->pi_view = pv;
	pix->pi_gen = xstrdup(gen);
	pix->pi_threaded = pthread_create(&pix->pi_thread, NULL, pi_run,
	    pix) == 0;
	return pix;
}

int
publish_index_finish(struct publish_index *pix, char **cause)
{
	struct pub_view	*pv = pix->pi_view;
	int		 rc;

	if (pix->pi_threaded)
		pthread_join(pix->pi_thread, NULL);
	else
		pi_run(pix);
	rc = pix->pi_rc;
	if (rc == 0)
		buf_addf(&pv->pv_digest, "%s %s\n", VIEW_INDEX_NAME,
		    pix->pi_hex);
	else if (cause != NULL) {
		cause_set(cause, "%s", pix->pi_cause != NULL ? pix->pi_cause :
		    "packages.idx: not written");
	}
	free(pix->pi_cause);
	free(pix->pi_gen);
	free(pix);
	return rc;
}
