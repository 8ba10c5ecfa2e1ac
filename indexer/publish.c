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

#include <jansson.h>

#include "blob.h"
#include "clock.h"
#include "compress.h"
#include "compress_pool.h"
#include "events.h"
#include "hash.h"
#include "indexer.h"
#include "log.h"
#include "phase.h"
#include "publish_stream.h"
#include "planner.h"
#include "sign.h"
#include "store.h"
#include "store_query.h"
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
 * Work proportional to change: a view is planned and rendered again only
 * when an input of its plan changed or time alone may have changed it.
 * Each publish of a group's view of a mirror records, in
 * STORE/views/<group>/<mirror>/inputs, a digest of every input and the
 * time it was planned at; a later publish with the same digest, before
 * the view's next change (its next-change file) and before apt's daily
 * Release refresh, leaves the view as it is without loading any facts.
 * The digest covers upstream's indexes as the store recorded them (their
 * checksums, apt's Release text), the holds, the configuration that
 * shapes the view (the mirror's, the group's and its baseline's settings,
 * field by field: a field added to them must be added here) and the
 * signing key.  A view that loses a version or whose prefetch did not
 * finish records no digest, so the next publish tries again.
 */
#define PUB_INPUTS_NAME		"inputs"
#define PUB_INPUTS_VERSION	"patchgate-inputs 1 " PACKAGE_VERSION
/*
 * gzip members of views kept for reuse (compress_pool.h) after their last
 * use: a view that changes about daily finds those of its last version.
 */
#define PUB_MEMBERS_KEPT	(7 * 86400)

static void
pub_hash_str(struct hash *h, const char *tag, const char *s)
{
	hash_update(h, tag, strlen(tag) + 1);
	if (s == NULL)
		hash_update(h, "\1", 1);
	else
		hash_update(h, s, strlen(s) + 1);
}

static void
pub_hash_num(struct hash *h, const char *tag, long long v)
{
	char	num[32];

	snprintf(num, sizeof num, "%lld", v);
	pub_hash_str(h, tag, num);
}

static void
pub_hash_strv(struct hash *h, const char *tag, char *const *v, size_t n)
{
	size_t	i;

	pub_hash_num(h, tag, (long long)n);
	for (i = 0; i < n; i++)
		pub_hash_str(h, tag, v[i]);
}

static size_t
pub_strv_len(char *const *v)
{
	size_t	n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

struct signer *
indexer_signer(struct indexer *ix, char **cause)
{
	if (ix->ix_signing != NULL) {
		ix->ix_signer = signer_open_finish(ix->ix_signing,
		    &ix->ix_signer_why);
		ix->ix_signing = NULL;
	}
	if (ix->ix_signer == NULL)
		cause_set(cause, "%s", ix->ix_signer_why != NULL ?
		    ix->ix_signer_why : "no signing key: this command opens none");
	return ix->ix_signer;
}

/*
 * The mirror's part of the inputs digest: its settings, what the store
 * recorded of upstream's indexes, the holds and the signing key.  -1 when
 * the store cannot say: then nothing is skipped.
 */
static int
pub_mirror_inputs(struct indexer *ix, struct mirror *mi, long long id,
    char *hex)
{
	struct store	*st = ix->ix_store;
	sqlite3_stmt	*stmt;
	struct hash	*h;
	char		*why = NULL;
	int		 i, step;

	if ((h = hash_new("sha256")) == NULL)
		return -1;
	pub_hash_str(h, "version", PUB_INPUTS_VERSION);
	pub_hash_str(h, "mirror", mi->mi_name);
	pub_hash_str(h, "type", mirror_type_name(mi->mi_type));
	pub_hash_str(h, "url", mi->mi_url);
	pub_hash_str(h, "keyring", mi->mi_keyring);
	pub_hash_num(h, "allow-expired", mi->mi_keyring_allow_expired);
	pub_hash_str(h, "classification", mi->mi_classification);
	pub_hash_str(h, "severity", mi->mi_severity);
	pub_hash_strv(h, "suites", mi->mi_suites, pub_strv_len(mi->mi_suites));
	pub_hash_strv(h, "components", mi->mi_components,
	    pub_strv_len(mi->mi_components));
	pub_hash_strv(h, "architectures", mi->mi_architectures,
	    pub_strv_len(mi->mi_architectures));
	pub_hash_strv(h, "archives", mi->mi_archive_urls,
	    pub_strv_len(mi->mi_archive_urls));
	pub_hash_num(h, "prefetch", mi->mi_prefetch);
	pub_hash_num(h, "redirects-any", mi->mi_redirects_any);
	pub_hash_num(h, "grace", ix->ix_cf->cf_grace);
	if (indexer_signer(ix, &why) == NULL)
		goto fail;
	pub_hash_str(h, "key", signer_fingerprint(ix->ix_signer));

	stmt = store_query(st, &why, "SELECT first_sync FROM mirrors "
	    "WHERE id = ?1", "I", id);
	if (stmt == NULL || (step = store_step(st, stmt, &why)) == -1)
		goto fail;
	if (step == 0) {
		cause_set(&why, "mirrors: no mirror %lld", id);
		goto fail;
	}
	pub_hash_num(h, "first-sync", sqlite3_column_type(stmt, 0) ==
	    SQLITE_NULL ? -1 : sqlite3_column_int64(stmt, 0));
	store_done(stmt);

	stmt = store_query(st, &why, "SELECT kind, name, value, checksum_type, "
	    "checksum, size, open_checksum, open_size, timestamp FROM "
	    "mirror_files WHERE mirror = ?1 ORDER BY kind, name", "I", id);
	if (stmt == NULL)
		goto fail;
	while ((step = store_step(st, stmt, &why)) == 1) {
		for (i = 0; i < 9; i++) {
			pub_hash_num(h, "file", sqlite3_column_type(stmt, i));
			hash_update(h, sqlite3_column_blob(stmt, i),
			    sqlite3_column_bytes(stmt, i));
		}
	}
	if (step != 0)
		goto fail;

	stmt = store_query(st, &why, "SELECT pattern, grp, reason, until "
	    "FROM holds ORDER BY id", "");
	if (stmt == NULL)
		goto fail;
	while ((step = store_step(st, stmt, &why)) == 1) {
		pub_hash_str(h, "hold", (const char *)sqlite3_column_text(stmt, 0));
		pub_hash_str(h, "group", (const char *)sqlite3_column_text(stmt, 1));
		pub_hash_str(h, "reason", (const char *)sqlite3_column_text(stmt, 2));
		pub_hash_num(h, "until", sqlite3_column_int64(stmt, 3));
	}
	if (step != 0)
		goto fail;
	hash_final(h, hex);	/* frees h */
	return 0;
fail:
	log_debug("mirror %s: inputs digest: %s", mi->mi_name, why);
	free(why);
	hash_free(h);
	return -1;
}

/* The group's inputs digest: the mirror's, the group's and its baseline's. */
static void
pub_group_inputs(struct group *gr, const char *mirror_hex, char *hex)
{
	struct baseline	*bl = gr->gr_baseline;
	struct rule	*ru;
	struct hash	*h;
	size_t		 i;

	h = hash_new("sha256");
	pub_hash_str(h, "mirror-inputs", mirror_hex);
	pub_hash_str(h, "group", gr->gr_name);
	pub_hash_strv(h, "mirrors", gr->gr_mirror_names, gr->gr_nmirrors);
	pub_hash_num(h, "windows", (long long)gr->gr_nwindows);
	for (i = 0; i < gr->gr_nwindows; i++)
		pub_hash_str(h, "window", gr->gr_windows[i].wi_text);
	pub_hash_str(h, "baseline", bl != NULL ? bl->bl_name : NULL);
	if (bl != NULL) {
		TAILQ_FOREACH(ru, &bl->bl_rules, ru_entry) {
			pub_hash_str(h, "rule", ru->ru_text);
			pub_hash_strv(h, "classifications",
			    ru->ru_classifications,
			    pub_strv_len(ru->ru_classifications));
			pub_hash_strv(h, "severities", ru->ru_severities,
			    pub_strv_len(ru->ru_severities));
			pub_hash_num(h, "delay", ru->ru_delay);
			pub_hash_num(h, "until", (long long)ru->ru_until);
		}
		pub_hash_strv(h, "approved", bl->bl_approved, bl->bl_napproved);
		pub_hash_strv(h, "rejected", bl->bl_rejected, bl->bl_nrejected);
		pub_hash_num(h, "rejected-action", bl->bl_rejected_action);
	}
	hash_final(h, hex);	/* frees h */
}

/* Reads a whole number from a view's small file; 0 if absent or empty. */
static time_t
pub_read_time(const char *dir, const char *name, int *ok)
{
	char		*path, *data = NULL, *end;
	size_t		 len;
	long long	 v = 0;

	*ok = 0;
	xasprintf(&path, "%s/%s", dir, name);
	if (file_read(path, 4096, &data, &len, NULL) == 0) {
		*ok = 1;
		if (len > 0 && data[0] != '\n') {
			v = strtoll(data, &end, 10);
			if (end == data || (*end != '\n' && *end != '\0'))
				*ok = 0;
		}
	}
	free(data);
	free(path);
	return (time_t)v;
}

static int pub_needs_refresh(struct indexer *, struct mirror *, const char *);

/*
 * 1 when the group's current view of the mirror was published from the
 * same inputs, at or before now, and nothing about it ripens or ends by
 * now: publishing it again would write the same view; 2 when, besides,
 * its apt Releases are due for their daily refresh (pub_refresh); 0 when
 * it must be planned and written.
 */
static int
pub_unchanged(struct indexer *ix, struct group *gr, struct mirror *mi,
    const char *hex)
{
	char		*dir, *path, *data = NULL, *cur = NULL, *nl, *end;
	size_t		 len;
	long long	 at;
	time_t		 next;
	int		 ok, same = 0;

	if (ix->ix_snapshot || ix->ix_view_time != 0)
		return 0;
	dir = view_dir(ix->ix_cf->cf_store, gr->gr_name, mi->mi_name);
	xasprintf(&path, "%s/%s", dir, PUB_INPUTS_NAME);
	/* "<digest>\n<time planned at>\n" */
	if (file_read(path, 4096, &data, &len, NULL) != 0 ||
	    (nl = strchr(data, '\n')) == NULL)
		goto out;
	*nl = '\0';
	if (strcmp(data, hex) != 0)
		goto out;
	at = strtoll(nl + 1, &end, 10);
	if (end == nl + 1 || *end != '\n' || at > (long long)ix->ix_now)
		goto out;
	next = pub_read_time(dir, VIEW_NEXT_CHANGE_NAME, &ok);
	if (!ok || (next != 0 && next <= ix->ix_now))
		goto out;
	if ((cur = view_current(ix->ix_cf->cf_store, gr->gr_name,
	    mi->mi_name)) == NULL)
		goto out;
	same = pub_needs_refresh(ix, mi, cur) ? 2 : 1;
out:
	free(cur);
	free(data);
	free(path);
	free(dir);
	return same;
}

/* Records the inputs the view was just published from; NULL hex: none. */
static void
pub_inputs_record(struct indexer *ix, struct group *gr, struct mirror *mi,
    const char *hex)
{
	char	*dir, *path, *line, *why = NULL;

	dir = view_dir(ix->ix_cf->cf_store, gr->gr_name, mi->mi_name);
	xasprintf(&path, "%s/%s", dir, PUB_INPUTS_NAME);
	if (hex == NULL) {
		if (unlink(path) == -1 && errno != ENOENT)
			log_warn("%s", path);
	} else {
		xasprintf(&line, "%s\n%lld\n", hex, (long long)ix->ix_now);
		if (file_write_atomic(path, line, strlen(line), &why) != 0) {
			log_warnx("%s", why);
			free(why);
			unlink(path);
		}
		free(line);
	}
	free(path);
	free(dir);
}

/*
 * Which files to store now (the mirror's prefetch mode), over every group:
 * at-risk, the versions a group sees that upstream dropped or superseded
 * and whose file is not stored; visible, also every version a delayed
 * group lists.  Each group's plan of its view is left in kept[] (by the
 * group's place in cf_groups) for publishing to render, unless storing
 * files changed the facts it was made from.  Returns 1 when a file it
 * needed could not be stored.
 */
static int
pub_prefetch(struct indexer *ix, struct mirror *mi, struct facts *fa,
    struct plan **kept)
{
	struct group	*gr;
	struct plan	*pl;
	unsigned char	*need;
	size_t		 i, g = 0;
	time_t		 at;
	int		 incomplete = 0, changed = 0;

	if (mi->mi_prefetch == PREFETCH_NONE)
		return 0;
	need = xcalloc(fa->fa_npkgs + 1, 1);
	TAILQ_FOREACH(gr, &ix->ix_cf->cf_groups, gr_entry) {
		if (!group_has_mirror(gr, mi)) {
			g++;
			continue;
		}
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
		kept[g++] = pl;
	}
	/* A publish without a sync fetches as the sync would. */
	sync_fetch_policy(ix, mi);
	prefetch_packages(ix, mi, fa->fa_pkgs, fa->fa_npkgs, need);
	for (i = 0; i < fa->fa_npkgs; i++) {
		if (fa->fa_input[i].pk_stored != fa->fa_pkgs[i].pp_stored ||
		    fa->fa_input[i].pk_lost != fa->fa_pkgs[i].pp_lost)
			changed = 1;
		fa->fa_input[i].pk_stored = fa->fa_pkgs[i].pp_stored;
		fa->fa_input[i].pk_lost = fa->fa_pkgs[i].pp_lost;
		if (need[i] && !fa->fa_pkgs[i].pp_stored)
			incomplete = 1;
	}
	for (i = 0; changed && i < g; i++) {
		plan_free(kept[i]);
		kept[i] = NULL;
	}
	free(need);
	return incomplete;
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

/* Records version-lost, once per version and set of groups that lose it. */
static void
pub_event_lost(struct indexer *ix, struct mirror *mi, struct pub_pkg *pp,
    const char *label, const char *groups)
{
	char	*key;

	if (!events_wanted(ix->ix_cf, EVENT_VERSION_LOST))
		return;
	xasprintf(&key, "version-lost %lld %s", pp->pp_id, groups);
	if (events_once(ix->ix_store, key) == 1)
		events_emit(ix->ix_cf, EVENT_VERSION_LOST, mi->mi_name, NULL,
		    json_pack("{s:s,s:s,s:s,s:s}", "version", label,
		    "location", pp->pp_location, "cause", pp->pp_lost ?
		    pp->pp_lost : "its file is not stored", "groups", groups),
		    "patchgate: mirror %s: lost %s: upstream no longer lists "
		    "it and its file %s; groups that lose it: %s", mi->mi_name,
		    label, pp->pp_lost ? pp->pp_lost : "is not stored", groups);
	free(key);
}

/* Names every version lost, with the groups that lose it. */
static void
pub_report_lost(struct indexer *ix, struct mirror *mi, struct facts *fa,
    struct buf *lost)
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
		pub_event_lost(ix, mi, pp, label, lost[i].b_data);
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
	char	 phex[HASH_HEX_MAX], *dir, *path, *side, *data = NULL;
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
			/* Straight to the file, chunk by chunk, on both cores. */
			if (publish_stream_gzip_mem(pv, phex, plain, plainlen,
			    hex, len, cause) != 0)
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

/*
 * Removes cached files that no generation links any more, and the gzip
 * members no view used for PUB_MEMBERS_KEPT seconds.
 */
static void
pub_cache_prune(struct indexer *ix)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	char		*dir, *path, *side;
	size_t		 f, n;
	int		 removed;

	if ((removed = compress_pool_prune(PUB_MEMBERS_KEPT)) > 0)
		log_debug("removed %d gzip members unused for %d days",
		    removed, PUB_MEMBERS_KEPT / 86400);

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
 * Writes STORE/views/<group>/<mirror>/counts: how many versions the plan
 * lists, holds back, loses, and so on, and the holds in force for the
 * group, for /metrics to read without the database.
 */
static int
pub_counts(struct indexer *ix, struct group *gr, struct mirror *mi,
    const struct facts *fa, const struct plan *pl, char **cause)
{
	const struct plan_verdict	*v;
	const struct plan_hold		*h;
	size_t				 n[PLAN_LOST + 1], i, visible = 0;
	size_t				 at_risk = 0, holds = 0;
	struct buf			 b;
	char				*dir, *path;
	int				 rc;

	memset(n, 0, sizeof n);
	for (i = 0; i < pl->pl_n; i++) {
		v = &pl->pl_verdicts[i];
		if (v->pv_reason <= PLAN_LOST)
			n[v->pv_reason]++;
		visible += v->pv_visible != 0;
		at_risk += v->pv_at_risk != 0;
	}
	for (i = 0; i < fa->fa_nholds; i++) {
		h = &fa->fa_holds[i];
		if ((h->ph_group == NULL || strcmp(h->ph_group, gr->gr_name) ==
		    0) && (h->ph_until == 0 || h->ph_until > ix->ix_now))
			holds++;
	}
	buf_init(&b);
	buf_addf(&b, "versions %zu\nlisted %zu\nvisible %zu\nat-risk %zu\n"
	    "holds %zu\n", pl->pl_n, pl->pl_listed, visible, at_risk, holds);
	for (i = 0; i <= PLAN_LOST; i++)
		buf_addf(&b, "%s %zu\n", plan_reason_name(i), n[i]);
	dir = view_dir(ix->ix_cf->cf_store, gr->gr_name, mi->mi_name);
	xasprintf(&path, "%s/%s", dir, VIEW_COUNTS_NAME);
	rc = file_write_atomic(path, b.b_data, b.b_len, cause);
	free(path);
	free(dir);
	buf_free(&b);
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
	struct pub_view		 pv;
	struct publish_index	*pix;
	char			*path, *line, tbuf[32];
	int			 rc = -1;

	memset(&pv, 0, sizeof pv);
	pv.pv_ix = ix;
	pv.pv_group = gr;
	pv.pv_mirror = mi;
	pv.pv_mirror_id = mirror_id;
	pv.pv_pkgs = fa->fa_pkgs;
	pv.pv_npkgs = fa->fa_npkgs;
	pv.pv_by_location = fa->fa_by_location;
	buf_init(&pv.pv_digest);
	remove_tree(tmp);
	xasprintf(&pv.pv_tree, "%s/tree", tmp);
	if (mkdir_p(pv.pv_tree, 0755) == -1) {
		cause_set(cause, "%s: %s", pv.pv_tree, strerror(errno));
		goto out;
	}
	/* packages.idx, on a thread while the metadata is written. */
	pix = publish_index_start(&pv, tmp);
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
	if (publish_index_finish(pix, rc == 0 ? cause : NULL) != 0 && rc == 0)
		rc = -1;
	if (rc != 0)
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

/* The name of the view's next generation, "gen-000042"; caller-freed. */
static char *
pub_next_name(struct indexer *ix, struct group *gr, struct mirror *mi,
    char **cause)
{
	unsigned long	*gens;
	size_t		 ngens;
	char		*name;

	if (view_generations(ix->ix_cf->cf_store, gr->gr_name, mi->mi_name,
	    &gens, &ngens) != 0) {
		cause_set(cause, "views of group %s, mirror %s: %s",
		    gr->gr_name, mi->mi_name, strerror(errno));
		return NULL;
	}
	xasprintf(&name, "gen-%06lu", ngens ? gens[0] + 1 : 1);
	free(gens);
	return name;
}

/*
 * Seals the generation written in tmp (DIR/gen-N.tmp), renames it into
 * place and points current at it; cur is the current generation or NULL.
 */
static int
pub_switch(struct indexer *ix, struct group *gr, struct mirror *mi,
    const char *tmp, const char *cur, char **cause)
{
	char	*dir, *gen, *name, *link;
	size_t	 n;
	int	 rc = -1;

	if (view_seal(tmp, cur, cause) != 0)
		return -1;
	gen = xstrdup(tmp);
	n = strlen(gen);
	if (n > 4 && strcmp(gen + n - 4, ".tmp") == 0)
		gen[n - 4] = '\0';
	name = strrchr(gen, '/') + 1;
	dir = xstrndup(gen, name - 1 - gen);
	if (rename(tmp, gen) == -1) {
		cause_set(cause, "%s: %s", gen, strerror(errno));
		goto out;
	}
	dir_sync(dir);
	xasprintf(&link, "%s/current", dir);
	rc = symlink_replace(name, link, cause);
	free(link);
	if (rc != 0)
		goto out;
	log_info("group %s, mirror %s: published %s", gr->gr_name, mi->mi_name,
	    name);
	pub_retire(ix, gr, mi);
out:
	free(dir);
	free(gen);
	return rc;
}

/* Hard-links the tree src into dst (new), but the paths skip() names. */
static int
pub_link_tree(const char *src, const char *dst, const char *rel,
    int (*skip)(const char *), char **cause)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	char		*s, *t, *r;
	int		 rc = 0;

	if (mkdir(dst, 0755) == -1 && errno != EEXIST) {
		cause_set(cause, "%s: %s", dst, strerror(errno));
		return -1;
	}
	if ((d = opendir(src)) == NULL) {
		cause_set(cause, "%s: %s", src, strerror(errno));
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		xasprintf(&s, "%s/%s", src, de->d_name);
		xasprintf(&t, "%s/%s", dst, de->d_name);
		xasprintf(&r, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		if (lstat(s, &sb) == -1) {
			cause_set(cause, "%s: %s", s, strerror(errno));
			rc = -1;
		} else if (S_ISDIR(sb.st_mode))
			rc = pub_link_tree(s, t, r, skip, cause);
		else if (skip != NULL && skip(r))
			;
		else if (link(s, t) == -1) {
			cause_set(cause, "%s: %s", t, strerror(errno));
			rc = -1;
		}
		free(r);
		free(t);
		free(s);
	}
	closedir(d);
	return rc;
}

/* apt's signed Release files, which a refresh writes anew. */
static int
pub_refresh_skip(const char *rel)
{
	const char	*base = strrchr(rel, '/');

	if (strncmp(rel, "dists/", 6) != 0 || base == NULL ||
	    strchr(rel + 6, '/') != base)
		return 0;
	base++;
	return strcmp(base, "Release") == 0 ||
	    strcmp(base, "Release.gpg") == 0 || strcmp(base, "InRelease") == 0;
}

/*
 * apt's daily refresh of a view whose content did not change: a new
 * generation made of the current one's files, with the Releases dated
 * and signed anew.
 */
static int
pub_refresh(struct indexer *ix, struct group *gr, struct mirror *mi,
    const char *cur, char **cause)
{
	static const char *const keep[] = { VIEW_INDEX_NAME, "digest",
	    VIEW_PLANNED_NAME, NULL };
	struct pub_view	 pv;
	char		*dir, *name = NULL, *tmp = NULL, *src, *dst, *line;
	char		 tbuf[32];
	size_t		 i;
	int		 rc = -1;

	dir = view_dir(ix->ix_cf->cf_store, gr->gr_name, mi->mi_name);
	if ((name = pub_next_name(ix, gr, mi, cause)) == NULL)
		goto out;
	xasprintf(&tmp, "%s/%s.tmp", dir, name);
	remove_tree(tmp);
	if (mkdir(tmp, 0755) == -1) {
		cause_set(cause, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	xasprintf(&src, "%s/tree", cur);
	xasprintf(&dst, "%s/tree", tmp);
	rc = pub_link_tree(src, dst, "", pub_refresh_skip, cause);
	free(src);
	free(dst);
	for (i = 0; rc == 0 && keep[i] != NULL; i++) {
		xasprintf(&src, "%s/%s", cur, keep[i]);
		xasprintf(&dst, "%s/%s", tmp, keep[i]);
		if (link(src, dst) == -1 && errno != ENOENT) {
			cause_set(cause, "%s: %s", dst, strerror(errno));
			rc = -1;
		}
		free(src);
		free(dst);
	}
	if (rc != 0)
		goto out;
	memset(&pv, 0, sizeof pv);
	pv.pv_ix = ix;
	pv.pv_group = gr;
	pv.pv_mirror = mi;
	xasprintf(&pv.pv_tree, "%s/tree", tmp);
	rc = publish_apt_refresh(&pv, cur, cause);
	free(pv.pv_tree);
	if (rc != 0)
		goto out;
	xasprintf(&line, "%s\n", time_format(ix->ix_now, tbuf, sizeof tbuf));
	xasprintf(&dst, "%s/created", tmp);
	rc = file_write_atomic(dst, line, strlen(line), cause);
	free(dst);
	free(line);
	if (rc == 0)
		rc = pub_switch(ix, gr, mi, tmp, cur, cause);
out:
	if (rc != 0 && tmp != NULL)
		remove_tree(tmp);
	free(tmp);
	free(name);
	free(dir);
	return rc;
}

/* Records view-changed: the group's view of mi is generation gen now. */
static void
pub_event_changed(struct indexer *ix, struct group *gr, struct mirror *mi,
    struct facts *fa, const char *gen, const char *prev)
{
	const char	*p;
	size_t		 i, listed = 0;

	for (i = 0; i < fa->fa_npkgs; i++)
		listed += fa->fa_pkgs[i].pp_listed != 0;
	if (prev != NULL && (p = strrchr(prev, '/')) != NULL)
		prev = p + 1;
	events_emit(ix->ix_cf, EVENT_VIEW_CHANGED, mi->mi_name, gr->gr_name,
	    json_pack("{s:s,s:s?,s:I}", "generation", gen, "previous", prev,
	    "listed", (json_int_t)listed), "patchgate: group %s, mirror %s: "
	    "the view changed to %s (%zu version%s listed)", gr->gr_name,
	    mi->mi_name, gen, listed, listed == 1 ? "" : "s");
}

static int
pub_write(struct indexer *ix, struct group *gr, struct mirror *mi,
    long long mirror_id, struct facts *fa, int *changed, char **cause)
{
	char		*dir, *tmp = NULL, *gen = NULL, *cur = NULL, *old;
	char		 hex[HASH_HEX_MAX], name[32];
	unsigned long	*gens;
	size_t		 ngens;
	int		 rc = -1, same = 0;

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
		same = strncmp(old, hex, strlen(hex)) == 0;
		if (same && !pub_needs_refresh(ix, mi, cur)) {
			free(old);
			remove_tree(tmp);
			pub_retire(ix, gr, mi);
			*changed = 0;
			rc = 0;
			goto out;
		}
		free(old);
	}
	if ((rc = pub_switch(ix, gr, mi, tmp, cur, cause)) != 0)
		goto out;
	*changed = 1;
	if (!same)	/* not apt's daily refresh of the same content */
		pub_event_changed(ix, gr, mi, fa, name, cur);
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
	struct facts	 fa, *synced;
	struct group	*gr;
	struct plan	*pl, **kept;
	struct buf	*lost;
	long long	 id;
	char		*why = NULL, mhex[HASH_HEX_MAX], ghex[HASH_HEX_MAX];
	size_t		 i, g, ngroups = 0, nsame = 0;
	int		 ch, rc = 0, known, incomplete, *same;
	time_t		 at;

	*changed = 0;
	if ((id = store_mirror_id(ix->ix_store, mi->mi_name,
	    mirror_type_name(mi->mi_type), cause)) == -1)
		return -1;
	/*
	 * A view whose inputs did not change is left alone, or only has its
	 * apt Releases refreshed: no facts are loaded unless one changed.
	 */
	known = pub_mirror_inputs(ix, mi, id, mhex) == 0;
	TAILQ_FOREACH(gr, &ix->ix_cf->cf_groups, gr_entry)
		ngroups++;
	same = xcalloc(ngroups + 1, sizeof *same);
	g = 0;
	TAILQ_FOREACH(gr, &ix->ix_cf->cf_groups, gr_entry) {
		if (group_has_mirror(gr, mi)) {
			/* What a killed publish left half written. */
			char	*vdir = view_dir(ix->ix_cf->cf_store,
			    gr->gr_name, mi->mi_name);

			file_tmp_clean(vdir);
			free(vdir);
		}
		if (group_has_mirror(gr, mi) && known) {
			pub_group_inputs(gr, mhex, ghex);
			same[g] = pub_unchanged(ix, gr, mi, ghex);
			if (same[g] == 2) {
				char	*cur;

				cur = view_current(ix->ix_cf->cf_store,
				    gr->gr_name, mi->mi_name);
				rc = cur == NULL ? -1 :
				    pub_refresh(ix, gr, mi, cur, &why);
				free(cur);
				if (rc != 0) {
					cause_set(cause, "group %s: %s",
					    gr->gr_name, why ? why : "failed");
					free(why);
					free(same);
					return -1;
				}
				pub_inputs_record(ix, gr, mi, ghex);
				*changed = 1;
			}
		} else if (!group_has_mirror(gr, mi))
			same[g] = 1;
		/*
		 * A view that stopped changing still lets its older
		 * generations go once the grace period is over.
		 */
		if (same[g] == 1 && group_has_mirror(gr, mi))
			pub_retire(ix, gr, mi);
		nsame += same[g] != 0;
		g++;
	}
	if (nsame == ngroups) {
		log_debug("mirror %s: no view changed since its last publish",
		    mi->mi_name);
		free(same);
		return 0;
	}
	/* apt: gzip of upstream's index on the other core meanwhile. */
	if (mi->mi_type == MIRROR_APT)
		publish_apt_prepare(ix, id);
	phase_enter(PHASE_PLAN);
	/* A sync that made every version hands them over as it made them. */
	if ((synced = facts_take(ix, id)) != NULL) {
		fa = *synced;
		free(synced);
		rc = facts_complete(ix, mi, &fa, cause);
	} else
		rc = facts_load(ix, mi, id, &fa, cause);
	if (rc != 0) {
		publish_stream_gzip_wait();
		free(same);
		return -1;
	}
	/* Publishing shows no reason for a listed version. */
	fa.fa_terse = 1;
	/* Versions some group still sees: store them while they can be had. */
	kept = xcalloc(ngroups + 1, sizeof *kept);
	incomplete = pub_prefetch(ix, mi, &fa, kept);
	publish_stream_trim();

	lost = xcalloc(fa.fa_npkgs + 1, sizeof *lost);
	for (i = 0; i < fa.fa_npkgs; i++)
		buf_init(&lost[i]);
	g = 0;
	TAILQ_FOREACH(gr, &ix->ix_cf->cf_groups, gr_entry) {
		if (same[g++] != 0)
			continue;
		if (known)
			pub_group_inputs(gr, mhex, ghex);
		at = publish_plan_time(ix, gr, mi);
		phase_enter(PHASE_PLAN);
		/* The prefetch's plan, from the same facts and clocks. */
		if ((pl = kept[g - 1]) != NULL) {
			kept[g - 1] = NULL;
			fa.fa_planned = at;
			facts_apply(mi, &fa, pl);
		} else
			pl = facts_plan_clocks(ix, gr, mi, &fa, at, ix->ix_now);
		pub_report(gr, mi, &fa, pl, lost);
		ch = 0;
		phase_enter(PHASE_WRITE);
		rc = pub_write(ix, gr, mi, id, &fa, &ch, &why);
		if (rc == 0)
			rc = pub_next_change(ix, gr, mi, pl, at, &why);
		if (rc == 0)
			rc = pub_counts(ix, gr, mi, &fa, pl, &why);
		if (rc == 0)
			pub_inputs_record(ix, gr, mi, known && !incomplete &&
			    pl->pl_lost == 0 ? ghex : NULL);
		plan_free(pl);
		if (rc != 0) {
			cause_set(cause, "group %s: %s", gr->gr_name, why);
			free(why);
			break;
		}
		*changed |= ch;
	}
	free(same);
	for (i = 0; i < ngroups; i++)
		plan_free(kept[i]);
	free(kept);
	pub_report_lost(ix, mi, &fa, lost);
	for (i = 0; i < fa.fa_npkgs; i++)
		buf_free(&lost[i]);
	free(lost);
	facts_free(&fa);
	publish_stream_gzip_wait();
	pub_cache_prune(ix);
	return rc;
}
