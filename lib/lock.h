/*
 * The indexer's locks, files under the store taken with flock(2) and held
 * for as long as the process keeps the descriptor:
 *   STORE/indexer.lock		the store lock: recording a sync in the
 *				store, publishing views, holds, snapshots
 *   STORE/locks/mirror.NAME.lock	one mirror's sync, downloads included
 * A sync holds its mirror's lock throughout and the store lock only to
 * record and publish, so that a slow upstream delays only its own mirror.
 */
#ifndef PG_LOCK_H
#define PG_LOCK_H

#define LOCK_STORE_NAME		"indexer.lock"
#define LOCK_DIR_NAME		"locks"

/*
 * Takes the lock file STORE/name, waiting for it and saying so once
 * ("another patchgate holds STORE/name (holder); waiting").  Returns the
 * descriptor to pass to lock_release, or -1 with a caller-freed cause.
 */
int	 lock_take(const char *store, const char *name, const char *holder,
	     char **cause);
/* The lock of one mirror's sync (lock_take on locks/mirror.NAME.lock). */
int	 lock_take_mirror(const char *store, const char *mirror, char **cause);
/*
 * One mirror's lock without waiting: its descriptor, or -1 when a sync
 * of the mirror holds it (or it cannot be taken at all).
 */
int	 lock_try_mirror(const char *store, const char *mirror);
/* The store lock. */
int	 lock_take_store(const char *store, char **cause);
void	 lock_release(int fd);

#endif
