/*
 * Views on disk: the contract between the indexer, which writes them, and
 * patchgated, which serves them without ever reading the indexer's database.
 *
 *   STORE/views/<group>/<mirror>/current       -> gen-<N> (relative symlink,
 *                                                 replaced atomically)
 *   STORE/views/<group>/<mirror>/gen-<N>/tree/  files served verbatim at the
 *                                                 same relative path
 *                                                 (repodata/repomd.xml, ...)
 *   STORE/views/<group>/<mirror>/gen-<N>/packages.idx
 *                                               the gate: one line per package
 *                                               file the mirror knows, TAB
 *                                               separated, sorted by path:
 *       V <path> <size> <algo> <hex> <upstream url>   visible: serve it
 *       H <path> <reason>                             hidden: 404 with reason
 *   STORE/views/<group>/<mirror>/gen-<N>/created  RFC 3339 time of publishing
 *   STORE/views/<group>/<mirror>/gen-<N>/planned  the time the planner decided
 *                                               the view at: unix seconds in
 *                                               decimal and a newline.  The
 *                                               same as created, but for a
 *                                               group with maintenance
 *                                               windows published while none
 *                                               is open: the view stays as
 *                                               planned at the current
 *                                               generation's planned time
 *                                               (holds still apply at once)
 *   STORE/views/<group>/<mirror>/next-change    when the view may change next
 *                                               by time alone (a version
 *                                               ripens, a hold ends, a window
 *                                               opens on pending changes):
 *                                               unix seconds in decimal and a
 *                                               newline, or empty when no
 *                                               change is due by time.
 *                                               Rewritten (atomically) by
 *                                               every publish of the view,
 *                                               changed or not; the daemon's
 *                                               scheduler runs "publish"
 *                                               then.  A publish at that time
 *                                               may still find the view
 *                                               unchanged.  Times of windows
 *                                               are UTC.
 *   STORE/views/<group>/<mirror>/gen-<N>/tree.sums
 *                                               one line per regular file
 *                                               under tree/, TAB separated,
 *                                               sorted by path (bytes):
 *       <path> <size> <sha256 hex>
 *   STORE/views/<group>/<mirror>/gen-<N>/modified
 *                                               the generation's HTTP
 *                                               Last-Modified: unix seconds
 *                                               in decimal and a newline,
 *                                               greater than the previous
 *                                               generation's; written last
 *
 * tree.sums and modified are the generation's seal (view_seal): the
 * validators patchgated sends for the files of tree/, which must change
 * whenever the bytes do (DESIGN.md, Consistency).  A generation without
 * them, written by an older patchgate, is served with the validators of
 * its files' inodes.
 *
 * A generation is complete before current points at it and never changes
 * afterwards; old generations stay for the grace period so that a client
 * holding an old repomd.xml or InRelease still finds the files it names.
 */
#ifndef PG_VIEW_H
#define PG_VIEW_H

#include <time.h>

#define VIEW_INDEX_NAME	"packages.idx"
#define VIEW_SUMS_NAME		"tree.sums"
#define VIEW_MODIFIED_NAME	"modified"
#define VIEW_PLANNED_NAME	"planned"
#define VIEW_NEXT_CHANGE_NAME	"next-change"
/* STORE/snapshots/NAME/.group: the group a snapshot was made of. */
#define VIEW_SNAPSHOT_GROUP_NAME	".group"
/* "NAME COUNT" lines: the view's versions by state, for /metrics */
#define VIEW_COUNTS_NAME	"counts"

/* STORE/views/<group>/<mirror>; caller-freed. */
char	*view_dir(const char *store, const char *group, const char *mirror);
/*
 * Absolute path of the current generation (caller-freed), or NULL when
 * the view has never been published.
 */
char	*view_current(const char *store, const char *group, const char *mirror);
/* Generation numbers present, newest first; caller frees *gens. */
int	 view_generations(const char *store, const char *group, const char *mirror,
	     unsigned long **gens, size_t *ngens);
char	*view_generation_path(const char *store, const char *group,
	     const char *mirror, unsigned long gen);
/*
 * Seals the generation being written in gen, whose tree/ is complete:
 * writes its tree.sums, then its modified, the later of the wall clock and
 * one second after the latest of prev's (the current generation, or NULL)
 * and the view's other generations'.  Call it just before the generation
 * is renamed into place.
 */
int	 view_seal(const char *gen, const char *prev, char **cause);
/*
 * Tells view_seal() the sha256 (hex) of a file the writer just made or
 * linked at path, so that sealing does not read it again.
 */
void	 view_sum_note(const char *path, const char *hex);

/*
 * A snapshot's name (STORE/snapshots/NAME, /_snapshot/NAME/): letters,
 * digits, '.', '-' and '_', not starting with '_' or '.', at most 64: one
 * path component that no temporary name (".NAME.tmp") can be.  cause may
 * be NULL.
 */
#define VIEW_SNAPSHOT_NAME_MAX	64
int	 view_snapshot_name_ok(const char *name, char **cause);

#endif
