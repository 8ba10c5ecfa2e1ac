/*
 * Unit tests for lib/store_query.c, the store's data-access layer, on a
 * real store in a temporary directory: each format letter binds what it
 * says (a NULL text or blob as SQL NULL, "-" and missing letters as NULL
 * even after the statement was used with values), store_one on no row and
 * one, store_run's cause on a constraint violation naming the statement,
 * store_step resetting at the end and on errors so that the statement can
 * be used again, and formats or SQL that cannot work being refused with a
 * cause rather than run.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
#include "store_query.h"
#include "util.h"
#include "tap.h"

/* The layer caches statements by the address of their text. */
static const char	sql_insert[] = "INSERT INTO qt (a, b, c, d, e) "
			    "VALUES (?1, ?2, ?3, ?4, ?5)";
static const char	sql_select[] = "SELECT a, b, c, d, e, typeof(a), "
			    "typeof(b), typeof(c), typeof(d), typeof(e) FROM qt "
			    "WHERE id = ?1";
static const char	sql_unique[] = "INSERT INTO qt (u) VALUES (?1)";
static const char	sql_list[] = "SELECT u FROM qt WHERE u LIKE ?1 "
			    "ORDER BY u";

static int
contains(const char *s, const char *what)
{
	return s != NULL && strstr(s, what) != NULL;
}

static void
append(char *buf, size_t size, const unsigned char *s)
{
	size_t	n = strlen(buf);

	snprintf(buf + n, size - n, "%s", s != NULL ? (const char *)s : "");
}

/* The row's columns as text, "|"-separated, with their types. */
static char *
row(struct store *st, long long id)
{
	sqlite3_stmt	*stmt;
	char		*why = NULL, *out = NULL;
	const void	*d;
	int		 n;

	stmt = store_query(st, &why, sql_select, "I", id);
	if (stmt == NULL || store_step(st, stmt, &why) != 1) {
		printf("# row %lld: %s\n", id, why != NULL ? why : "none");
		free(why);
		return NULL;
	}
	d = sqlite3_column_blob(stmt, 3);
	n = sqlite3_column_bytes(stmt, 3);
	if (asprintf(&out, "%lld|%lld|%s|%s|%s|%s %s %s %s %s",
	    (long long)sqlite3_column_int64(stmt, 0),
	    (long long)sqlite3_column_int64(stmt, 1),
	    sqlite3_column_text(stmt, 2) != NULL ?
	    (const char *)sqlite3_column_text(stmt, 2) : "-",
	    d != NULL && n == 3 && memcmp(d, "a\0b", 3) == 0 ? "a0b" :
	    d == NULL ? "-" : "?",
	    sqlite3_column_text(stmt, 4) != NULL ?
	    (const char *)sqlite3_column_text(stmt, 4) : "-",
	    sqlite3_column_text(stmt, 5), sqlite3_column_text(stmt, 6),
	    sqlite3_column_text(stmt, 7), sqlite3_column_text(stmt, 8),
	    sqlite3_column_text(stmt, 9)) == -1)
		out = NULL;
	store_done(stmt);
	ok(!sqlite3_stmt_busy(stmt), "store_done resets the statement");
	return out;
}

static void
test_binds(struct store *st)
{
	char		*why = NULL, *r;
	const char	*text;

	is_int(store_run(st, &why, sql_insert, "iItbt", 42,
	    (1LL << 40) + 5, "hello", "a\0b", (size_t)3, "five"), 0,
	    "i I t b t bind");
	is_str(why, NULL, "no cause");
	r = row(st, sqlite3_last_insert_rowid(store_db(st)));
	is_str(r, "42|1099511627781|hello|a0b|five|integer integer text "
	    "blob text", "each letter binds its type and value");
	free(r);

	/*
	 * The same statement again: "-" and a missing letter bind NULL, not
	 * the values of the last use, and NULL pointers bind SQL NULL.
	 */
	text = NULL;
	is_int(store_run(st, &why, sql_insert, "-tb", text, NULL, (size_t)0),
	    0, "- t b with NULLs bind");
	r = row(st, sqlite3_last_insert_rowid(store_db(st)));
	is_str(r, "0|0|-|-|-|null null null null null",
	    "NULL text and blob, -, and letters left out are SQL NULL");
	free(r);

	/* A text of the caller's that is gone after the step is fine. */
	text = strdup("transient");
	is_int(store_run(st, &why, sql_insert, "--t", text), 0, "t binds");
	free((char *)text);
	r = row(st, sqlite3_last_insert_rowid(store_db(st)));
	is_str(r, "0|0|transient|-|-|null null text null null",
	    "the text was read at the step");
	free(r);
}

static void
test_one(struct store *st)
{
	long long	 v = -7;
	char		*why = NULL;

	is_int(store_one(st, &why, &v, "SELECT a FROM qt WHERE c = ?1", "t",
	    "nothing"), 0, "store_one: no row gives 0");
	is_int(v, -7, "and leaves the value alone");
	is_str(why, NULL, "no cause");
	is_int(store_one(st, &why, &v, "SELECT a FROM qt WHERE c = ?1", "t",
	    "hello"), 1, "store_one: a row gives 1");
	is_int(v, 42, "and its first column");
	is_int(store_one(st, &why, &v, "SELECT count(*) FROM qt", ""), 1,
	    "store_one: count(*)");
	is_int(v, 3, "three rows");
	is_int(store_one(st, &why, &v, "SELECT b FROM qt WHERE b > ?1 "
	    "ORDER BY b", "I", 0LL), 1, "store_one on many rows: the first");
	is_int(v, (1LL << 40) + 5, "its value");
	is_int(store_run(st, &why, "BEGIN", ""), 0,
	    "a write transaction can start: store_one left no read open");
	is_int(store_run(st, &why, "COMMIT", ""), 0, "and end");
	free(why);
}

static void
test_errors(struct store *st)
{
	sqlite3_stmt	*stmt;
	long long	 v;
	char		*why = NULL;

	is_int(store_run(st, &why, sql_unique, "t", "x1"), 0, "a unique value");
	is_int(store_run(st, &why, sql_unique, "t", "x1"), -1,
	    "store_run: the same value again fails");
	ok(contains(why, "INSERT INTO qt") &&
	    contains(why, "UNIQUE constraint failed: qt.u"),
	    "the cause names the statement and SQLite's message: %s",
	    why != NULL ? why : "(null)");
	free(why);
	why = NULL;
	is_int(store_run(st, &why, sql_unique, "t", "x2"), 0,
	    "the statement works again after the failure");
	is_str(why, NULL, "no cause");

	is_int(store_run(st, &why, "SELECT u FROM qt WHERE u = ?1", "t", "x1"),
	    -1, "store_run on a statement that returns a row fails");
	ok(contains(why, "SELECT u FROM qt") && contains(why, "returned a row"),
	    "the cause says so: %s", why != NULL ? why : "(null)");
	free(why);
	why = NULL;

	stmt = store_query(st, &why, "SELECT a FROM qt WHERE a = ?1", "x", 1);
	ok(stmt == NULL, "an unknown format letter is refused");
	ok(contains(why, "SELECT a FROM qt") && contains(why, "'x'"),
	    "the cause names the statement and the letter: %s",
	    why != NULL ? why : "(null)");
	free(why);
	why = NULL;
	is_int(store_one(st, &why, &v, "SELECT count(*) FROM qt WHERE "
	    "a = ?1", "Iz", 1LL), -1, "store_one refuses it too");
	ok(contains(why, "'z'"), "naming it: %s", why != NULL ? why : "(null)");
	free(why);
	why = NULL;

	is_int(store_run(st, &why, "DELETE FROM qt WHERE a = ?1", "ii", 1, 2),
	    -1, "more letters than parameters are refused");
	ok(contains(why, "DELETE FROM qt") && contains(why, "out of range"),
	    "the cause names the statement and the range: %s",
	    why != NULL ? why : "(null)");
	free(why);
	why = NULL;

	is_int(store_run(st, &why, "INSERT INTO nosuch (a) VALUES (?1)", "i",
	    1), -1, "a statement that does not prepare fails");
	ok(contains(why, "INSERT INTO nosuch") &&
	    contains(why, "no such table: nosuch"),
	    "the cause names the statement and SQLite's message: %s",
	    why != NULL ? why : "(null)");
	free(why);
	why = NULL;

	/* Every failure above leaves the store usable. */
	is_int(store_one(st, &why, &v, "SELECT count(*) FROM qt", ""), 1,
	    "the store still answers");
	is_int(v, 5, "five rows");
	free(why);
}

static void
test_step(struct store *st)
{
	sqlite3_stmt	*stmt;
	char		*why = NULL, got[64];
	int		 rc;

	got[0] = '\0';
	stmt = store_query(st, &why, sql_list, "t", "x%");
	ok(stmt != NULL, "a query");
	while (stmt != NULL && (rc = store_step(st, stmt, &why)) == 1)
		append(got, sizeof got, sqlite3_column_text(stmt, 0));
	is_int(rc, 0, "store_step: 0 at the end");
	is_str(got, "x1x2", "every row");
	ok(stmt != NULL && !sqlite3_stmt_busy(stmt),
	    "the statement is reset at the end");

	/* The same statement, other parameters: it starts again. */
	got[0] = '\0';
	stmt = store_query(st, &why, sql_list, "t", "x2");
	while (stmt != NULL && (rc = store_step(st, stmt, &why)) == 1)
		append(got, sizeof got, sqlite3_column_text(stmt, 0));
	is_int(rc, 0, "a second query ends");
	is_str(got, "x2", "with its own rows");

	/* Stopped early: store_done ends the read. */
	stmt = store_query(st, &why, sql_list, "t", "%");
	ok(stmt != NULL && store_step(st, stmt, &why) == 1, "a first row");
	ok(sqlite3_stmt_busy(stmt), "the statement is running");
	store_done(stmt);
	ok(!sqlite3_stmt_busy(stmt), "store_done stops it");
	store_done(NULL);
	ok(1, "store_done(NULL) does nothing");

	/* A step that fails is reset too, with a cause. */
	stmt = store_query(st, &why, "SELECT abs(?1)", "I",
	    (long long)-9223372036854775807LL - 1);
	rc = stmt != NULL ? store_step(st, stmt, &why) : 2;
	is_int(rc, -1, "store_step: -1 on an error");
	ok(contains(why, "SELECT abs") && contains(why, "integer overflow"),
	    "the cause names the statement and SQLite's message: %s",
	    why != NULL ? why : "(null)");
	ok(stmt != NULL && !sqlite3_stmt_busy(stmt), "and it is reset");
	free(why);
}

/* The tables a store of schema 1 had, with a row in each. */
static const char	old_store[] =
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
	"INSERT INTO meta VALUES ('schema', '1');"
	"CREATE TABLE mirrors (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL,"
	"  type TEXT NOT NULL, first_sync INTEGER, last_sync INTEGER,"
	"  last_attempt INTEGER, last_error TEXT);"
	"INSERT INTO mirrors (id, name, type) VALUES (1, 'debian', 'apt');"
	"CREATE TABLE packages (id INTEGER PRIMARY KEY,"
	"  mirror INTEGER NOT NULL REFERENCES mirrors(id),"
	"  pkgid TEXT NOT NULL, checksum_type TEXT NOT NULL,"
	"  name TEXT NOT NULL, arch TEXT NOT NULL, epoch TEXT NOT NULL,"
	"  version TEXT NOT NULL, release TEXT NOT NULL,"
	"  location TEXT NOT NULL, location_base TEXT, size INTEGER NOT NULL,"
	"  first_seen INTEGER, base INTEGER NOT NULL DEFAULT 0,"
	"  upstream INTEGER NOT NULL DEFAULT 1, last_seen INTEGER,"
	"  UNIQUE (mirror, pkgid));"
	"INSERT INTO packages (id, mirror, pkgid, checksum_type, name, arch,"
	"  epoch, version, release, location, size) VALUES (7, 1, 'ab',"
	"  'sha256', 'hello', 'amd64', '0', '1.0', '', 'pool/h.deb', 10);"
	"CREATE TABLE rpmmd_docs (id INTEGER PRIMARY KEY,"
	"  mirror INTEGER NOT NULL REFERENCES mirrors(id),"
	"  kind TEXT NOT NULL, name TEXT NOT NULL, size INTEGER NOT NULL,"
	"  current INTEGER NOT NULL DEFAULT 1);"
	"INSERT INTO rpmmd_docs VALUES (3, 1, 'deb:l', 'doc-3.deb822', 99, 1);"
	"INSERT INTO rpmmd_docs VALUES (4, 1, 'primary', 'doc-4.xml', 99, 1);"
	"CREATE TABLE package_spans ("
	"  package INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL, doc INTEGER NOT NULL REFERENCES rpmmd_docs(id),"
	"  off INTEGER NOT NULL, len INTEGER NOT NULL,"
	"  PRIMARY KEY (package, kind));"
	"CREATE INDEX package_spans_doc ON package_spans (doc);"
	"INSERT INTO package_spans VALUES (7, 'deb:l', 3, 40, 50);"
	"INSERT INTO package_spans VALUES (7, 'primary', 4, 0, 10);"
	"CREATE TABLE package_lists ("
	"  package INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,"
	"  list TEXT NOT NULL, upstream INTEGER NOT NULL DEFAULT 1,"
	"  PRIMARY KEY (package, list));"
	"INSERT INTO package_lists VALUES (7, 'l', 0);";

static long long
count(struct store *st, const char *sql)
{
	long long	 n = -1;
	char		*why = NULL;

	if (store_one(st, &why, &n, sql, "") != 1)
		n = -1;
	free(why);
	return n;
}

/*
 * Schema 2: spans and lists without rowids, apt's spans still in
 * package_spans; made from schema 1 as that version converted it.
 */
static const char	schema_2[] =
	"CREATE TABLE s2 (package INTEGER NOT NULL REFERENCES packages(id)"
	"  ON DELETE CASCADE, kind TEXT NOT NULL, doc INTEGER NOT NULL"
	"  REFERENCES rpmmd_docs(id), off INTEGER NOT NULL,"
	"  len INTEGER NOT NULL, PRIMARY KEY (package, kind)) WITHOUT ROWID;"
	"INSERT INTO s2 SELECT package, kind, doc, off, len FROM package_spans;"
	"DROP TABLE package_spans;"
	"ALTER TABLE s2 RENAME TO package_spans;"
	"CREATE INDEX package_spans_doc ON package_spans (doc);"
	"CREATE TABLE l2 (package INTEGER NOT NULL REFERENCES packages(id)"
	"  ON DELETE CASCADE, list TEXT NOT NULL,"
	"  upstream INTEGER NOT NULL DEFAULT 1,"
	"  PRIMARY KEY (package, list)) WITHOUT ROWID;"
	"INSERT INTO l2 SELECT package, list, upstream FROM package_lists;"
	"DROP TABLE package_lists;"
	"ALTER TABLE l2 RENAME TO package_lists;"
	"UPDATE meta SET value = '2' WHERE key = 'schema';";

/* A store made by an older version opens, converted, its rows kept. */
static void
test_migrate(int schema)
{
	struct store	*st;
	sqlite3		*db;
	char		 dir[] = "/tmp/pg-test-store-migrate.XXXXXX", *path;
	char		*why = NULL;
	int		 i;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	if (asprintf(&path, "%s/patchgate.db", dir) == -1)
		abort();
	ok(sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_exec(db, old_store, NULL, NULL, NULL) == SQLITE_OK &&
	    (schema == 1 || sqlite3_exec(db, schema_2, NULL, NULL,
	    NULL) == SQLITE_OK), "a store of schema %d", schema);
	sqlite3_close(db);
	free(path);
	for (i = 0; i < 2; i++) {
		st = store_open(dir, &why);
		ok(st != NULL, "open %d: %s", i + 1, why ? why : "opened");
		free(why);
		why = NULL;
		if (st == NULL)
			break;
		is_int(count(st, "SELECT count(*) FROM sqlite_schema WHERE "
		    "name IN ('package_spans', 'package_lists') AND sql LIKE "
		    "'%WITHOUT ROWID'"), 2, "open %d: spans and lists have no "
		    "rowid", i + 1);
		is_int(count(st, "SELECT count(*) FROM package_spans WHERE "
		    "package = 7 AND kind = 'primary' AND doc = 4 AND off = 0 "
		    "AND len = 10"), 1, "open %d: the rpm-md span is kept",
		    i + 1);
		is_int(count(st, "SELECT count(*) FROM package_spans WHERE "
		    "kind LIKE 'deb:%'"), 0, "open %d: no apt span is left in "
		    "package_spans", i + 1);
		is_int(count(st, "SELECT count(*) FROM package_lists WHERE "
		    "package = 7 AND list = 'l' AND upstream = 0 AND doc = 3 AND "
		    "off = 40 AND len = 50"), 1,
		    "open %d: the list is kept, with the apt span", i + 1);
		is_int(count(st, "SELECT count(*) FROM sqlite_schema WHERE "
		    "type = 'index' AND name = 'package_lists_doc' AND "
		    "tbl_name = 'package_lists'"), 1,
		    "open %d: the lists' doc index is there", i + 1);
		is_int(count(st, "SELECT count(*) FROM sqlite_schema WHERE "
		    "type = 'index' AND name = 'package_spans_doc' AND "
		    "tbl_name = 'package_spans'"), 1,
		    "open %d: the spans' doc index is there", i + 1);
		is_int(count(st, "SELECT value FROM meta WHERE key = 'schema'"),
		    3, "open %d: schema 3", i + 1);
		is_int(count(st, "SELECT count(*) FROM pragma_foreign_key_check"),
		    0, "open %d: foreign keys hold", i + 1);
		store_close(st);
	}
	remove_tree(dir);
}

/*
 * A sync's connection with automatic checkpoints off leaves its commit in
 * the WAL; a helper connection reads it, a missing store is an error
 * naming the file, and the helper's checkpoint copies the WAL into the
 * database (which then holds the rows without the WAL).
 */
static void
test_helper(void)
{
	struct store	*st, *hp;
	struct stat	 sb;
	char		 dir[] = "/tmp/pg-test-store-helper.XXXXXX", *why = NULL;
	char		*wal, *db;
	long long	 before;

	if (mkdtemp(dir) == NULL)
		abort();
	hp = store_open_helper(dir, &why);
	ok(hp == NULL && why != NULL && strstr(why, "patchgate.db") != NULL,
	    "a helper of a store not made yet: %s", why ? why : "opened");
	free(why);
	why = NULL;
	if ((st = store_open(dir, &why)) == NULL)
		abort();
	if (asprintf(&wal, "%s/patchgate.db-wal", dir) == -1 ||
	    asprintf(&db, "%s/patchgate.db", dir) == -1)
		abort();
	store_autocheckpoint(st, 0);
	ok(stat(db, &sb) == 0, "the database is there");
	before = sb.st_size;
	ok(sqlite3_exec(store_db(st), "BEGIN; CREATE TABLE h (x TEXT);"
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
	    "WHERE i < 2000) INSERT INTO h SELECT printf('%0200d', i) FROM n;"
	    "COMMIT", NULL, NULL, NULL) == SQLITE_OK, "a commit of 2,000 rows");
	ok(stat(db, &sb) == 0 && sb.st_size == before,
	    "with checkpoints off, the database file is as it was");
	hp = store_open_helper(dir, &why);
	ok(hp != NULL, "a helper connection: %s", why ? why : "opened");
	free(why);
	if (hp != NULL) {
		is_int(count(hp, "SELECT count(*) FROM h"), 2000,
		    "the helper reads the commit");
		store_checkpoint(hp);
		ok(stat(db, &sb) == 0 && sb.st_size > before + 2000 * 200,
		    "its checkpoint copied the rows into the database");
		store_close(hp);
	}
	store_autocheckpoint(st, 1);
	store_close(st);
	ok(stat(wal, &sb) == -1 && errno == ENOENT,
	    "the last close leaves no WAL");
	free(wal);
	free(db);
	remove_tree(dir);
}

int
main(void)
{
	struct store	*st;
	char		 dir[] = "/tmp/pg-test-store-query.XXXXXX", *why = NULL;

	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	if ((st = store_open(dir, &why)) == NULL) {
		printf("Bail out! %s\n", why);
		free(why);
		remove_tree(dir);
		return 1;
	}
	if (sqlite3_exec(store_db(st), "CREATE TABLE qt (id INTEGER PRIMARY "
	    "KEY, a INTEGER, b INTEGER, c TEXT, d BLOB, e TEXT, u TEXT "
	    "UNIQUE)", NULL, NULL, NULL) != SQLITE_OK) {
		printf("Bail out! %s\n", sqlite3_errmsg(store_db(st)));
		store_close(st);
		remove_tree(dir);
		return 1;
	}
	test_binds(st);
	test_one(st);
	test_errors(st);
	test_step(st);
	is_int(count(st, "SELECT value FROM meta WHERE key = 'schema'"), 3,
	    "a new store is of schema 3");
	is_int(count(st, "SELECT count(*) FROM pragma_table_info("
	    "'package_lists') WHERE name IN ('doc', 'off', 'len')"), 3,
	    "a new store's package_lists has the stanzas' places");
	is_int(count(st, "SELECT count(*) FROM sqlite_schema WHERE type = "
	    "'index' AND name = 'package_lists_doc'"), 1,
	    "a new store has the lists' doc index");
	store_close(st);
	remove_tree(dir);
	test_migrate(1);
	test_migrate(2);
	test_helper();
	return done_testing();
}
