/*
 * The SQLite store.  WAL mode so that readers never block the indexer's
 * one write transaction per sync; synchronous=NORMAL, which in WAL mode
 * keeps the database consistent across a crash (a committed sync may be
 * lost on power failure, never half of one).
 */
#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_query.h"
#include "util.h"
#include "xmalloc.h"


struct store_cached {
	const char	*sc_sql;
	sqlite3_stmt	*sc_stmt;
};

struct store {
	sqlite3			*st_db;
	struct store_cached	*st_stmts;
	size_t			 st_nstmts;
};

#define STORE_SCHEMA	"3"
#define STORE_CACHE	"-4096"		/* KiB, as PRAGMA cache_size */

#define STORE_SPANS_COLUMNS						\
	"  package INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,"\
	"  kind TEXT NOT NULL, doc INTEGER NOT NULL REFERENCES rpmmd_docs(id),"\
	"  off INTEGER NOT NULL, len INTEGER NOT NULL,"			\
	"  PRIMARY KEY (package, kind)"
#define STORE_LISTS_COLUMNS						\
	"  package INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,"\
	"  list TEXT NOT NULL, upstream INTEGER NOT NULL DEFAULT 1,"	\
	STORE_LISTS_SPAN ","						\
	"  PRIMARY KEY (package, list)"
/* Schema 3: where the version's stanza lies in the index's document. */
#define STORE_LISTS_SPAN						\
	"  doc INTEGER REFERENCES rpmmd_docs(id), off INTEGER, len INTEGER"

static const char store_schema[] =
	"CREATE TABLE IF NOT EXISTS meta ("
	"  key TEXT PRIMARY KEY, value TEXT);"
	/* first_sync: NULL until a sync succeeded; then versions are new. */
	"CREATE TABLE IF NOT EXISTS mirrors ("
	"  id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL,"
	"  type TEXT NOT NULL, first_sync INTEGER, last_sync INTEGER,"
	"  last_attempt INTEGER, last_error TEXT);"
	/*
	 * One row per package version a mirror has listed.  first_seen is
	 * NULL for versions present at the mirror's first sync; upstream is
	 * 1 while upstream's current metadata lists it.  base is no longer
	 * written: the planner decides what the base is, from these facts.
	 */
	"CREATE TABLE IF NOT EXISTS packages ("
	"  id INTEGER PRIMARY KEY,"
	"  mirror INTEGER NOT NULL REFERENCES mirrors(id),"
	"  pkgid TEXT NOT NULL, checksum_type TEXT NOT NULL,"
	"  name TEXT NOT NULL, arch TEXT NOT NULL, epoch TEXT NOT NULL,"
	"  version TEXT NOT NULL, release TEXT NOT NULL,"
	"  location TEXT NOT NULL, location_base TEXT, size INTEGER NOT NULL,"
	"  first_seen INTEGER, base INTEGER NOT NULL DEFAULT 0,"
	"  upstream INTEGER NOT NULL DEFAULT 1, last_seen INTEGER,"
	"  UNIQUE (mirror, pkgid));"
	"CREATE INDEX IF NOT EXISTS packages_name ON packages (mirror, name, arch);"
	/*
	 * A mirror's versions in id order, the order the planner loads them
	 * in: read along this index, the rows come without a sort and their
	 * pages in order.
	 */
	"CREATE INDEX IF NOT EXISTS packages_mirror ON packages (mirror);"
	/* Upstream's metadata elements of each version, byte for byte. */
	"CREATE TABLE IF NOT EXISTS package_xml ("
	"  package INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL, raw BLOB NOT NULL,"
	"  PRIMARY KEY (package, kind));"
	/*
	 * Upstream's package documents (rpm-md's, and apt's indexes, kind
	 * "deb:" and the list) spooled in STORE/spool/MIRROR (current: of
	 * the last sync), and where each version's element lies in them
	 * (package_spans; apt's stanzas: package_lists); package_xml keeps
	 * the elements of versions that only older documents listed
	 * (lib/rpmmd_spool.c).
	 */
	"CREATE TABLE IF NOT EXISTS rpmmd_docs ("
	"  id INTEGER PRIMARY KEY,"
	"  mirror INTEGER NOT NULL REFERENCES mirrors(id),"
	"  kind TEXT NOT NULL, name TEXT NOT NULL, size INTEGER NOT NULL,"
	"  current INTEGER NOT NULL DEFAULT 1);"
	/*
	 * This and package_lists are WITHOUT ROWID (schema 2), clustered
	 * on their key: a row is one b-tree insert, not two (store_migrate).
	 */
	"CREATE TABLE IF NOT EXISTS package_spans (" STORE_SPANS_COLUMNS
	") WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS package_spans_doc ON package_spans (doc);"
	"CREATE TABLE IF NOT EXISTS advisories ("
	"  id INTEGER PRIMARY KEY,"
	"  mirror INTEGER NOT NULL REFERENCES mirrors(id),"
	"  advid TEXT NOT NULL, type TEXT, severity TEXT,"
	"  issued INTEGER, updated INTEGER, raw BLOB NOT NULL,"
	"  upstream INTEGER NOT NULL DEFAULT 1, position INTEGER,"
	"  UNIQUE (mirror, advid));"
	"CREATE TABLE IF NOT EXISTS advisory_packages ("
	"  advisory INTEGER NOT NULL REFERENCES advisories(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL, epoch TEXT NOT NULL, version TEXT NOT NULL,"
	"  release TEXT NOT NULL, arch TEXT NOT NULL,"
	"  raw_off INTEGER NOT NULL, raw_len INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS advisory_packages_nevra ON"
	"  advisory_packages (name, version, release);"
	"CREATE TABLE IF NOT EXISTS advisory_cves ("
	"  advisory INTEGER NOT NULL REFERENCES advisories(id) ON DELETE CASCADE,"
	"  cve TEXT NOT NULL);"
	/*
	 * apt: the indexes ("bookworm/main/binary-amd64") that list a
	 * version; upstream as in packages, but per index.  doc, off and
	 * len: where the version's stanza lies in the index's spooled
	 * document, NULL once it moved into package_xml (kind "deb:" and
	 * the list); rpm-md's elements have package_spans for this.  One
	 * row per stanza rather than two: a fifth of a first sync's
	 * recording (schema 3, store_migrate).  package_lists_doc: made
	 * by the migration, which new stores run too.
	 */
	"CREATE TABLE IF NOT EXISTS package_lists (" STORE_LISTS_COLUMNS
	") WITHOUT ROWID;"
	/* SUSE deltainfo: one <newpackage> element per target version. */
	"CREATE TABLE IF NOT EXISTS deltas ("
	"  mirror INTEGER NOT NULL REFERENCES mirrors(id),"
	"  name TEXT NOT NULL, epoch TEXT NOT NULL, version TEXT NOT NULL,"
	"  release TEXT NOT NULL, arch TEXT NOT NULL, raw BLOB NOT NULL,"
	"  position INTEGER NOT NULL);"
	/*
	 * What a mirror's current metadata looks like apart from packages:
	 * root start tags, files passed through to views.
	 */
	/*
	 * Holds: an admin's emergency blocks, by pattern as in "rejected";
	 * grp NULL for every group, until 0 until removed.
	 */
	"CREATE TABLE IF NOT EXISTS holds ("
	"  id INTEGER PRIMARY KEY, pattern TEXT NOT NULL, grp TEXT,"
	"  reason TEXT NOT NULL, until INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL);"
	/*
	 * Snapshots (STORE/snapshots/NAME/MIRROR/): created is the clock the
	 * view was planned at (PATCHGATE_NOW when set), written the wall
	 * clock; versions, the versions each mirror's snapshot lists.
	 */
	"CREATE TABLE IF NOT EXISTS snapshots ("
	"  name TEXT PRIMARY KEY, grp TEXT NOT NULL,"
	"  created INTEGER NOT NULL, written INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS snapshot_mirrors ("
	"  snapshot TEXT NOT NULL REFERENCES snapshots(name) ON DELETE CASCADE,"
	"  mirror TEXT NOT NULL, type TEXT NOT NULL, versions INTEGER NOT NULL,"
	"  PRIMARY KEY (snapshot, mirror));"
	/* Each sync and publish of a mirror by patchgate, for status. */
	"CREATE TABLE IF NOT EXISTS runs ("
	"  id INTEGER PRIMARY KEY,"
	"  mirror INTEGER NOT NULL REFERENCES mirrors(id),"
	"  kind TEXT NOT NULL, started INTEGER NOT NULL,"
	"  finished INTEGER NOT NULL, duration_ms INTEGER NOT NULL,"
	"  result TEXT NOT NULL, error TEXT);"
	"CREATE INDEX IF NOT EXISTS runs_mirror ON runs (mirror, kind, id);"
	"CREATE TABLE IF NOT EXISTS mirror_files ("
	"  mirror INTEGER NOT NULL REFERENCES mirrors(id),"
	"  kind TEXT NOT NULL, name TEXT NOT NULL, value BLOB,"
	"  checksum_type TEXT, checksum TEXT, size INTEGER,"
	"  open_checksum TEXT, open_size INTEGER, timestamp INTEGER,"
	"  PRIMARY KEY (mirror, kind, name));";

/*
 * Schema 1 to 2: package_spans and package_lists of a store made by an
 * older version become WITHOUT ROWID tables, their rows copied over.
 */
static const char store_migrate_2[] =
	"CREATE TABLE package_spans_2 (" STORE_SPANS_COLUMNS ") WITHOUT ROWID;"
	"INSERT INTO package_spans_2 (package, kind, doc, off, len)"
	"  SELECT package, kind, doc, off, len FROM package_spans;"
	"DROP TABLE package_spans;"
	"ALTER TABLE package_spans_2 RENAME TO package_spans;"
	"CREATE INDEX package_spans_doc ON package_spans (doc);"
	"CREATE TABLE package_lists_2 (" STORE_LISTS_COLUMNS ") WITHOUT ROWID;"
	"INSERT INTO package_lists_2 (package, list, upstream)"
	"  SELECT package, list, upstream FROM package_lists;"
	"DROP TABLE package_lists;"
	"ALTER TABLE package_lists_2 RENAME TO package_lists;"
	"INSERT OR REPLACE INTO meta VALUES ('schema', '2');";

/*
 * Schema 2 to 3, once package_lists has the columns of STORE_LISTS_SPAN
 * (store_migrate_3): the spans of apt stanzas move from package_spans into
 * the row of their index.
 */
static const char store_migrate_3_sql[] =
	"UPDATE package_lists SET doc = s.doc, off = s.off, len = s.len"
	"  FROM package_spans s WHERE s.package = package_lists.package"
	"  AND s.kind = 'deb:' || package_lists.list;"
	"DELETE FROM package_spans WHERE kind LIKE 'deb:%';"
	"CREATE INDEX IF NOT EXISTS package_lists_doc ON package_lists (doc);"
	"INSERT OR REPLACE INTO meta VALUES ('schema', '3');";

/* 1 when a table of the store still has rowids, 0 when not, -1: error. */
static int
store_has_rowid(sqlite3 *db, const char *table)
{
	sqlite3_stmt	*stmt;
	const char	*sql;
	int		 rc = -1;

	if (sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_schema WHERE "
	    "type = 'table' AND name = ?1", -1, &stmt, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_bind_text(stmt, 1, table, -1, SQLITE_STATIC) == SQLITE_OK) {
		switch (sqlite3_step(stmt)) {
		case SQLITE_ROW:
			sql = (const char *)sqlite3_column_text(stmt, 0);
			rc = sql != NULL && strstr(sql, "WITHOUT ROWID") == NULL;
			break;
		case SQLITE_DONE:
			rc = 0;
			break;
		}
	}
	sqlite3_finalize(stmt);
	return rc;
}

/* 1 when the store says it has schema STORE_SCHEMA, 0 when not, -1. */
static int
store_schema_current(sqlite3 *db)
{
	sqlite3_stmt	*stmt;
	const char	*v;
	int		 rc = -1;

	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = "
	    "'schema'", -1, &stmt, NULL) != SQLITE_OK)
		return -1;
	switch (sqlite3_step(stmt)) {
	case SQLITE_ROW:
		v = (const char *)sqlite3_column_text(stmt, 0);
		rc = v != NULL && strcmp(v, STORE_SCHEMA) == 0;
		break;
	case SQLITE_DONE:
		rc = 0;
		break;
	}
	sqlite3_finalize(stmt);
	return rc;
}

/* 1 when table has the column, 0 when not, -1: error. */
static int
store_has_column(sqlite3 *db, const char *table, const char *column)
{
	sqlite3_stmt	*stmt;
	int		 rc = -1;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?1) "
	    "WHERE name = ?2", -1, &stmt, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_bind_text(stmt, 1, table, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_bind_text(stmt, 2, column, -1, SQLITE_STATIC) == SQLITE_OK) {
		switch (sqlite3_step(stmt)) {
		case SQLITE_ROW:
			rc = 1;
			break;
		case SQLITE_DONE:
			rc = 0;
			break;
		}
	}
	sqlite3_finalize(stmt);
	return rc;
}

/*
 * Schema 3 (STORE_LISTS_SPAN): package_lists of a schema 2 store gets its
 * columns; a new store, or one converted from schema 1, has them.
 */
static int
store_migrate_3(sqlite3 *db, char **err)
{
	static const char *const add[] = {
		("ALTER TABLE package_lists ADD COLUMN doc INTEGER "
		    "REFERENCES rpmmd_docs(id)"),
		"ALTER TABLE package_lists ADD COLUMN off INTEGER",
		"ALTER TABLE package_lists ADD COLUMN len INTEGER",
	};
	static const char *const col[] = { "doc", "off", "len" };
	size_t	i;
	int	rc;

	for (i = 0; i < 3; i++) {
		if ((rc = store_has_column(db, "package_lists", col[i])) == -1)
			return sqlite3_errcode(db);
		if (rc == 0 && (rc = sqlite3_exec(db, add[i], NULL, NULL,
		    err)) != SQLITE_OK)
			return rc;
	}
	return sqlite3_exec(db, store_migrate_3_sql, NULL, NULL, err);
}

/*
 * Brings a store made by an older version to this schema, in one
 * transaction (taken for writing first: two processes opening the same
 * old store convert it once).
 */
static int
store_migrate(sqlite3 *db, char **err)
{
	int	rc, rowid, current;

	rowid = store_has_rowid(db, "package_spans");
	current = store_schema_current(db);
	if (rowid == -1 || current == -1)
		return sqlite3_errcode(db);
	if (rowid == 0 && current == 1)
		return SQLITE_OK;
	if ((rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL,
	    err)) != SQLITE_OK)
		return rc;
	/* Again: another process may have converted it meanwhile. */
	if ((rc = store_has_rowid(db, "package_spans")) == 1)
		rc = sqlite3_exec(db, store_migrate_2, NULL, NULL, err);
	else
		rc = rc == 0 ? SQLITE_OK : sqlite3_errcode(db);
	if (rc == SQLITE_OK) {
		if ((current = store_schema_current(db)) == 0)
			rc = store_migrate_3(db, err);
		else if (current == -1)
			rc = sqlite3_errcode(db);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, err);
	if (rc != SQLITE_OK)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

void
store_error(struct store *st, const char *what, char **cause)
{
	cause_set(cause, "store: %s: %s", what, sqlite3_errmsg(st->st_db));
}

/*
 * SQLite's allocator without statistics (a lock and counters for every
 * allocation), which nothing reads; settable only before SQLite starts,
 * so a later call changes nothing and is harmless.
 */
static void
store_configure(void)
{
	static int	configured;

	if (configured)
		return;
	configured = 1;
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/*
 * A connection's small allocations (cursors, records) from a lookaside
 * of 1000 slots rather than malloc: a sync opens about eleven cursors and
 * builds three records for each stanza.  1.2 MB per connection.
 */
static void
store_lookaside(sqlite3 *db)
{
	sqlite3_db_config(db, SQLITE_DBCONFIG_LOOKASIDE, NULL, 1200, 1000);
}

struct store *
store_open(const char *store_dir, char **cause)
{
	struct store	*st;
	char		*path, *err = NULL;
	int		 rc;

	if (mkdir_p(store_dir, 0755) == -1) {
		cause_set(cause, "store %s: %s", store_dir, strerror(errno));
		return NULL;
	}
	store_configure();
	st = xcalloc(1, sizeof *st);
	xasprintf(&path, "%s/patchgate.db", store_dir);
	rc = sqlite3_open_v2(path, &st->st_db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK)
		store_lookaside(st->st_db);
	if (rc != SQLITE_OK) {
		cause_set(cause, "%s: %s", path, st->st_db ?
		    sqlite3_errmsg(st->st_db) : sqlite3_errstr(rc));
		free(path);
		store_close(st);
		return NULL;
	}
	sqlite3_busy_timeout(st->st_db, 30000);
	rc = sqlite3_exec(st->st_db,
	    "PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=NORMAL;"
	    "PRAGMA foreign_keys=ON;"
	    /*
	     * 4 MiB of pages, but during a sync (store_cache_bulk): the
	     * daemon's and the commands' reads need no more.
	     */
	    "PRAGMA cache_size=" STORE_CACHE ";"
	    "PRAGMA temp_store=MEMORY;", NULL, NULL, &err);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(st->st_db, store_schema, NULL, NULL, &err);
	if (rc == SQLITE_OK)
		rc = store_migrate(st->st_db, &err);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(st->st_db, "INSERT OR IGNORE INTO meta "
		    "VALUES ('schema', '" STORE_SCHEMA "')", NULL, NULL, &err);
	if (rc != SQLITE_OK) {
		cause_set(cause, "%s: %s", path, err ? err : sqlite3_errstr(rc));
		sqlite3_free(err);
		free(path);
		store_close(st);
		return NULL;
	}
	free(path);
	return st;
}

struct store *
store_open_helper(const char *store_dir, char **cause)
{
	struct store	*st;
	char		*path, *err = NULL;
	int		 rc;

	st = xcalloc(1, sizeof *st);
	xasprintf(&path, "%s/patchgate.db", store_dir);
	rc = sqlite3_open_v2(path, &st->st_db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		store_lookaside(st->st_db);
		sqlite3_busy_timeout(st->st_db, 30000);
		rc = sqlite3_exec(st->st_db, "PRAGMA cache_size=" STORE_CACHE ";"
		    "PRAGMA temp_store=MEMORY;", NULL, NULL, &err);
	}
	if (rc != SQLITE_OK) {
		cause_set(cause, "%s: %s", path, err != NULL ? err :
		    st->st_db != NULL ? sqlite3_errmsg(st->st_db) :
		    sqlite3_errstr(rc));
		sqlite3_free(err);
		free(path);
		store_close(st);
		return NULL;
	}
	free(path);
	return st;
}

void
store_autocheckpoint(struct store *st, int on)
{
	sqlite3_wal_autocheckpoint(st->st_db, on ? 1000 : 0);
}

/*
 * A sync's transaction writes tens of MB of pages; those the cache cannot
 * hold spill to the WAL and are read back from it, a tenth of a large
 * first sync.  While it runs, the cache may hold STORE_BULK_CACHE; after
 * it, the pages go back to the system (malloc_trim: they lie between the
 * allocations that stay), so that publishing, the indexer's peak of
 * memory, does not carry them.
 */
#define STORE_BULK_CACHE	"-16384"	/* KiB */

void
store_cache_bulk(struct store *st, int on)
{
	if (on) {
		sqlite3_exec(st->st_db, "PRAGMA cache_size=" STORE_BULK_CACHE,
		    NULL, NULL, NULL);
		return;
	}
	sqlite3_exec(st->st_db, "PRAGMA cache_size=" STORE_CACHE, NULL, NULL,
	    NULL);
	sqlite3_db_release_memory(st->st_db);
	malloc_trim(0);
}

void
store_checkpoint(struct store *st)
{
	/* Passive: never waits; what it leaves, the last close copies. */
	sqlite3_wal_checkpoint_v2(st->st_db, NULL, SQLITE_CHECKPOINT_PASSIVE,
	    NULL, NULL);
}

void
store_close(struct store *st)
{
	size_t	i;

	if (st == NULL)
		return;
	for (i = 0; i < st->st_nstmts; i++)
		sqlite3_finalize(st->st_stmts[i].sc_stmt);
	free(st->st_stmts);
	if (st->st_db != NULL)
		sqlite3_close(st->st_db);
	free(st);
}

sqlite3 *
store_db(struct store *st)
{
	return st->st_db;
}

sqlite3_stmt *
store_stmt(struct store *st, const char *sql)
{
	sqlite3_stmt	*stmt;
	size_t		 i;

	for (i = 0; i < st->st_nstmts; i++) {
		if (st->st_stmts[i].sc_sql == sql) {
			stmt = st->st_stmts[i].sc_stmt;
			sqlite3_reset(stmt);
			sqlite3_clear_bindings(stmt);
			return stmt;
		}
	}
	if (sqlite3_prepare_v2(st->st_db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return NULL;
	st->st_stmts = xreallocarray(st->st_stmts, st->st_nstmts + 1,
	    sizeof *st->st_stmts);
	st->st_stmts[st->st_nstmts].sc_sql = sql;
	st->st_stmts[st->st_nstmts].sc_stmt = stmt;
	st->st_nstmts++;
	return stmt;
}

static int
store_exec(struct store *st, const char *sql, char **cause)
{
	char	*err = NULL;

	if (sqlite3_exec(st->st_db, sql, NULL, NULL, &err) != SQLITE_OK) {
		cause_set(cause, "store: %s: %s", sql, err ? err : "error");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

int
store_begin(struct store *st, char **cause)
{
	return store_exec(st, "BEGIN IMMEDIATE", cause);
}

int
store_commit(struct store *st, char **cause)
{
	return store_exec(st, "COMMIT", cause);
}

void
store_rollback(struct store *st)
{
	sqlite3_exec(st->st_db, "ROLLBACK", NULL, NULL, NULL);
}

/*
 * A mirror's id, made at its first sync.  Looked up first: the INSERT is a
 * write, which would wait behind another mirror's sync that holds the
 * store's write lock for its whole store phase.
 */
static long long
store_mirror_lookup(struct store *st, const char *name, char **cause)
{
	long long	 id;
	int		 rc;

	/* store_one resets: no read transaction stays open behind us. */
	rc = store_one(st, cause, &id, "SELECT id FROM mirrors WHERE name = ?1",
	    "t", name);
	if (rc == -1)
		return -1;
	return rc == 0 ? 0 : id;
}

long long
store_mirror_id(struct store *st, const char *name, const char *type,
    char **cause)
{
	long long	 id;

	if ((id = store_mirror_lookup(st, name, cause)) != 0)
		return id;
	if (store_run(st, cause, "INSERT OR IGNORE INTO mirrors (name, type) "
	    "VALUES (?1, ?2)", "tt", name, type) != 0)
		return -1;
	if ((id = store_mirror_lookup(st, name, cause)) == 0)
		cause_set(cause, "mirrors: %s was not recorded", name);
	return id == 0 ? -1 : id;
}
