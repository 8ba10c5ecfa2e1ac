/*
 * The indexer: "patchgate sync" fetches upstream metadata, verifies it,
 * records it in the store and publishes each view as a new generation.  It
 * runs in its own process so that parsing untrusted upstream data never
 * shares a process with serving.
 */
#ifndef PG_INDEXER_H
#define PG_INDEXER_H

#include <sys/types.h>

#include <stddef.h>
#include <time.h>

#include "conf.h"
#include "util.h"
#include "planner.h"
#include "visibility.h"

struct blobstore;
struct signer;
struct signer_opening;
struct store;

struct indexer {
	struct config		*ix_cf;
	struct store		*ix_store;
	struct blobstore	*ix_blobs;
	struct signer		*ix_signer;	/* use indexer_signer() */
	struct signer_opening	*ix_signing;	/* opening, started by cli_open */
	char			*ix_signer_why;	/* why it could not be opened */
	time_t			 ix_now;	/* clock_now() once per run */
	int			 ix_snapshot;	/* publishing a snapshot: never expires */
	time_t			 ix_view_time;	/* a preview's time, after ix_now; 0: ix_now */
	int			 ix_store_locked; /* holds the store lock (lock.h) */
	/* The mirror whose fetch policy is set (sync_fetch_policy). */
	const struct mirror	*ix_fetch_mirror;
	/* A sync's versions as it recorded them, until published (facts.c). */
	struct facts		*ix_facts;
	long long		 ix_facts_mirror;
	struct facts_prep	*ix_facts_prep;	/* facts_prepare()'s thread */
};

/* apt: an index ("bookworm/main/binary-amd64") that lists a version. */
struct pub_list {
	char			*pl_name;
	int			 pl_upstream;	/* upstream's index still lists it */
	int			 pl_listed;	/* the view's index lists it (planner) */
};

/* One package version of a mirror, as publishing sees it. */
struct pub_pkg {
	long long		 pp_id;
	char			*pp_pkgid;		/* checksum of the file */
	char			*pp_checksum_type;
	char			*pp_name;
	char			*pp_arch;
	char			*pp_epoch;
	char			*pp_version;
	char			*pp_release;
	char			*pp_location;
	char			*pp_location_base;	/* NULL: the mirror's url */
	long long		 pp_size;
	time_t			 pp_first_seen;
	int			 pp_upstream;		/* upstream still lists it */
	struct vis_advisory	*pp_advs;
	size_t			 pp_nadvs;
	struct pub_list		*pp_lists;		/* apt only */
	size_t			 pp_nlists;
	struct plan_list	*pp_plists;		/* the planner's pp_lists */
	int			 pp_stored;		/* its file is in the blob store */
	char			*pp_lost;		/* why it could not be stored */
	/* The planner's verdict for the group being written. */
	const struct plan_verdict *pp_verdict;
	int			 pp_visible;
	int			 pp_listed;		/* in the view's metadata */
	int			 pp_at_risk;
};

/* An advisory of the mirror, shared by the versions it lists. */
struct facts_adv {
	long long		 pa_id;
	struct vis_advisory	 pa_va;
	char			**pa_cves;
	size_t			 pa_ncves;
};

/* facts.c: what the syncs recorded about one mirror, for the planner. */
struct facts {
	struct pub_pkg		*fa_pkgs;	/* every version, in id order */
	size_t			 fa_npkgs;
	struct facts_adv	*fa_advs;
	size_t			 fa_nadvs;
	struct plan_pkg		*fa_input;	/* the planner's view of fa_pkgs */
	struct plan_deps	*fa_deps;	/* NULL: not checked */
	struct plan_order	*fa_order;	/* fa_input sorted, for every plan */
	/* NULL, or indexes of fa_pkgs by location (packages.idx's order). */
	size_t			*fa_by_location;
	int			 fa_deps_loaded;	/* facts_deps() ran (facts.c) */
	struct plan_hold	*fa_holds;	/* every group's */
	size_t			 fa_nholds;
	time_t			 fa_planned;	/* the time facts_plan() last planned at */
	int			 fa_terse;	/* plans for publishing: pi_terse */
	struct facts_strs	*fa_strs;	/* the versions' strings (facts.c) */
};

/* A version as one index lists it, for retention over that index. */
struct pub_entry {
	struct pub_pkg		*pe_pkg;
	int			 pe_upstream;
	int			 pe_listed;
	int			 pe_at_risk;
};

/* What publishing hands to a format's writer. */
struct pub_view {
	struct indexer		*pv_ix;
	struct group		*pv_group;
	struct mirror		*pv_mirror;
	long long		 pv_mirror_id;
	struct pub_pkg		*pv_pkgs;		/* in upstream order */
	size_t			 pv_npkgs;
	const size_t		*pv_by_location;	/* NULL, or fa_by_location */
	char			*pv_tree;		/* GEN/tree being written */
	struct buf		 pv_digest;		/* what makes two views equal */
};

/*
 * Reads a stored blob decompressed, hashing what passes to check the
 * uncompressed size and checksum (repomd's open-checksum, the plain entry
 * of an apt Release) when they are known.
 */
struct sync_reader {
	struct decomp	*sr_dc;
	struct hash	*sr_hash;
	long long	 sr_len;
	int		 sr_fd;
	char		*sr_what;
	char		*sr_open_algo;
	char		*sr_open_hex;
	long long	 sr_open_size;
	char		*sr_blob;	/* its path: removed when rejected */
};

/* sync.c */
int	 sync_reader_open(struct sync_reader *, struct indexer *, const char *what,
	     const char *algo, const char *hex, const char *open_algo,
	     const char *open_hex, long long open_size, char **cause);
ssize_t	 sync_reader_read(void *sync_reader, void *buf, size_t len, char **cause);
/*
 * Drains the rest, checks open size and checksum when ok; always frees.
 * A file that fails (!ok, or a check) is removed from the blob store: the
 * same bytes would fail again, and rejected downloads are not kept.
 */
int	 sync_reader_close(struct sync_reader *, int ok, char **cause);
int	 sync_mirror(struct indexer *, struct mirror *, char **cause);
/*
 * Sets mi's fetch policy (lib/fetch.h) for downloads outside its sync, a
 * publish's retention: its proxy, CA file and timeouts, and as bases its
 * urls and what its mirrorlist or metalink gave at the last good sync.
 * Nothing when a sync of mi set it already.
 */
void	 sync_fetch_policy(struct indexer *, struct mirror *);
int	 sync_fetch_blob(struct indexer *, struct mirror *, const char *url,
	     const char *what, const char *algo, const char *hex, long long size,
	     char **cause);
char	*mirror_url(struct mirror *, const char *base, const char *location);
/*
 * What mirror_url() puts before a plain location (mirror_url_plain: no
 * scheme, not from the root, no "./"), which most are: "http://h/debian/";
 * caller-freed.  For the many lines of a packages.idx.
 */
char	*mirror_url_prefix(struct mirror *);
int	 mirror_url_plain(const char *location);
int	 sync_file_unchanged(struct indexer *, long long mirror_id,
	     const char *kind, const char *name, const char *sha256,
	     char **cause);

/*
 * sync_rpmmd.c: the download phase (the mirror's lock held, no store
 * transaction), then the recording phase (inside sync_mirror's
 * transaction, under the store lock).
 */
struct srm_fetched;
int	 sync_rpmmd_fetch(struct indexer *, struct mirror *, long long mirror_id,
	     struct srm_fetched **, char **cause);
int	 sync_rpmmd(struct indexer *, struct mirror *, long long mirror_id,
	     int first_sync, struct srm_fetched *, char **cause);
void	 sync_rpmmd_fetched_free(struct srm_fetched *);
/* After the commit: removes the spooled documents no longer named. */
void	 sync_rpmmd_prune(struct indexer *, long long mirror_id);

/* facts.c */
int	 facts_load(struct indexer *, struct mirror *, long long mirror_id,
	     struct facts *, char **cause);
void	 facts_free(struct facts *);
/*
 * A sync's own facts (sync_apt.c): the versions it recorded, added in id
 * order as facts_read() would read them, then completed.
 */
struct pub_pkg *facts_add(struct facts *, long long id, const char *pkgid,
	     const char *checksum_type, const char *name, const char *arch,
	     const char *epoch, const char *version, const char *release,
	     const char *location, long long size);
void	 facts_set_location(struct facts *, struct pub_pkg *,
	     const char *location);
void	 facts_add_list(struct facts *, struct pub_pkg *, const char *list);
struct pub_pkg *facts_find(struct facts *, long long id);
int	 facts_complete(struct indexer *, struct mirror *, struct facts *,
	     char **cause);
/*
 * Hands a sync's facts (NULL: none) to the publishing of its mirror after
 * the commit; facts_take() gives them once, for that mirror only, and
 * facts_set(ix, 0, NULL) drops what was not taken.
 */
void	 facts_set(struct indexer *, long long mirror_id, struct facts *);
struct facts *facts_take(struct indexer *, long long mirror_id);
/*
 * Makes the planner's input and order of the facts facts_set() holds on
 * a thread, while the caller commits; facts_take() waits for it.
 */
void	 facts_prepare(struct indexer *, struct mirror *);
/*
 * Plans group's view of the mirror at now, and records the verdicts in
 * the versions (pp_verdict, pp_listed, ...) until the next plan; the
 * caller frees the plan after the last use of those.
 */
struct plan *facts_plan(struct indexer *, struct group *, struct mirror *,
	     struct facts *, time_t now);
/*
 * The view as it is served now: planned at publish_plan_time() (frozen
 * outside a windowed group's windows), holds at ix_now.
 */
struct plan *facts_plan_served(struct indexer *, struct group *,
	     struct mirror *, struct facts *);
/* Likewise, with holds' ends compared with hold_now (0: now). */
struct plan *facts_plan_clocks(struct indexer *, struct group *,
	     struct mirror *, struct facts *, time_t now, time_t hold_now);
void	 facts_apply(struct mirror *, struct facts *, struct plan *);

/* publish.c */
/* raw.c: the unfiltered mirror, /_mirror/MIRROR/ */
/* Keeps data (upstream's repomd.xml) in the blob store by its sha256. */
int	 raw_keep(struct indexer *, const char *what, const char *hex,
	     const void *data, size_t len, char **cause);
/* Writes STORE/mirrors/MIRROR/gen-N from the store, after a sync. */
int	 raw_publish(struct indexer *, struct mirror *, long long id,
	     char **cause);
/*
 * raw_publish() on a thread of its own, reading the committed store
 * through a connection of its own; raw_publish_finish() waits for it,
 * returns its result and frees rp.
 */
struct raw_publishing;
struct raw_publishing *raw_publish_start(struct indexer *, struct mirror *,
	     long long id);
int	 raw_publish_finish(struct raw_publishing *, char **cause);
int	 publish_mirror(struct indexer *, struct mirror *, int *changed,
	     char **cause);
/*
 * The signing key, once the opening cli_open() started has ended; NULL
 * with the cause when it could not be opened, or no command opened it.
 */
struct signer	*indexer_signer(struct indexer *, char **cause);
/*
 * The time a group's view of the mirror is planned at now (ix_now): now,
 * unless the group has maintenance windows, none is open and the view
 * was published before: then the time its current generation was
 * planned at (its "planned" file), so that the view stands still.
 */
time_t	 publish_plan_time(struct indexer *, struct group *, struct mirror *);
/*
 * Writes the view that facts_plan() last recorded in fa into dir, a new
 * directory laid out as a generation (see view.h) and sealed, which
 * never changes afterwards: snapshots and previews.
 */
int	 publish_frozen(struct indexer *, struct group *, struct mirror *,
	     long long mirror_id, struct facts *, const char *dir, char **cause);
int	 publish_write_file(struct pub_view *, const char *relpath,
	     const void *data, size_t len, char **cause);
enum pub_form {
	PUB_PLAIN,
	PUB_GZIP,
};
/*
 * Writes a document at relpath in the given form, linked from the store's
 * cache of published files so that the same content is compressed once;
 * the written bytes' sha256 and size come back in hex and len.
 */
int	 publish_file(struct pub_view *, const char *relpath, const void *plain,
	     size_t plainlen, enum pub_form, char *hex, size_t *len, char **cause);
int	 publish_link(struct pub_view *, const char *from, const char *to,
	     char **cause);

/* publish_rpmmd.c */
int	 publish_rpmmd(struct pub_view *, char **cause);

/* sync_apt.c: the same two phases as sync_rpmmd.c. */
struct sa_fetched;
int	 sync_apt_fetch(struct indexer *, struct mirror *, long long mirror_id,
	     struct sa_fetched **, char **cause);
int	 sync_apt(struct indexer *, struct mirror *, long long mirror_id,
	     int first_sync, struct sa_fetched *, char **cause);
void	 sync_apt_fetched_free(struct sa_fetched *);

/* publish_apt.c */
int	 publish_apt(struct pub_view *, char **cause);
/* Before planning: starts the gzip a view of upstream's index will use. */
void	 publish_apt_prepare(struct indexer *, long long mirror_id);
/* Writes the Releases of generation cur dated now into pv's tree. */
int	 publish_apt_refresh(struct pub_view *, const char *cur, char **cause);

/* prefetch.c */
/*
 * Stores the files of the versions need[] names: from their last known
 * location, then the mirror's archives.  Sets pp_stored, or pp_lost with
 * why; returns how many were stored.
 */
size_t	 prefetch_packages(struct indexer *, struct mirror *, struct pub_pkg *,
	     size_t, const unsigned char *need);

#endif
