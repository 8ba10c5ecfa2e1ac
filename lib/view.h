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
 *
 * A generation is complete before current points at it and never changes
 * afterwards; old generations stay for the grace period so that a client
 * holding an old repomd.xml or InRelease still finds the files it names.
 */
#ifndef PG_VIEW_H
#define PG_VIEW_H

#include <time.h>

#define VIEW_INDEX_NAME	"packages.idx"

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

#endif
