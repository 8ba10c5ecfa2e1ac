/*
 * The indexer's SQLite store (STORE/patchgate.db, WAL): mirrors, package
 * versions with their first-seen times and their upstream metadata
 * elements, advisories.  Only the indexer writes it; patchgated never reads
 * it (it serves published generations, see view.h).
 */
#ifndef PG_STORE_H
#define PG_STORE_H

#include <sqlite3.h>

struct store;

/* Opens or creates STORE/patchgate.db and applies the schema. */
struct store	*store_open(const char *store_dir, char **cause);
/*
 * A second connection to STORE/patchgate.db, which store_open() made, for
 * a thread of the indexer that reads it, and checkpoints its WAL, while
 * the first one writes.
 */
struct store	*store_open_helper(const char *store_dir, char **cause);
/*
 * Whether commits copy the WAL into the database (SQLite's default): a
 * sync turns it off for its large transaction, and a helper connection
 * copies it with store_checkpoint() beside the publishing.
 */
void		 store_autocheckpoint(struct store *, int on);
void		 store_checkpoint(struct store *);
/* A larger page cache for a sync's transaction (on), given back after. */
void		 store_cache_bulk(struct store *, int on);
void		 store_close(struct store *);
sqlite3		*store_db(struct store *);
/*
 * A prepared statement for sql, prepared once per store and reset for
 * reuse (sql must be a string literal: the cache is keyed by its address).
 */
sqlite3_stmt	*store_stmt(struct store *, const char *sql);
int		 store_begin(struct store *, char **cause);
int		 store_commit(struct store *, char **cause);
void		 store_rollback(struct store *);
/* Sets *cause to the database's last error, prefixed with what. */
void		 store_error(struct store *, const char *what, char **cause);
/* The id of mirror name, creating the row on first use; -1 on error. */
long long	 store_mirror_id(struct store *, const char *name, const char *type,
		     char **cause);

#endif
