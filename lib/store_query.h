/*
 * The store's data-access layer (store_query.c): statements with their
 * parameters bound from a format ("iItb-", see there), every bind and step
 * checked, every failure named by its statement.
 *
 *	stmt = store_query(st, &why, "SELECT a, b FROM t WHERE m = ?1",
 *	    "I", id);
 *	while ((rc = store_step(st, stmt, &why)) == 1)
 *		... sqlite3_column_*(stmt, ...) ...
 *	if (stmt == NULL || rc == -1)
 *		goto fail;
 */
#ifndef PG_STORE_QUERY_H
#define PG_STORE_QUERY_H

#include <sqlite3.h>

struct store;

/* The cached statement for sql with fmt's parameters bound; NULL: cause. */
sqlite3_stmt	*store_query(struct store *, char **cause, const char *sql,
		     const char *fmt, ...);
/*
 * Steps stmt: 1 with a row to read, 0 when done, -1 on error (cause set).
 * At 0 and -1 the statement is reset; a caller that stops reading rows
 * early calls store_done().
 */
int		 store_step(struct store *, sqlite3_stmt *, char **cause);
void		 store_done(sqlite3_stmt *);
/* Runs a statement that returns no row: 0, or -1 with a cause. */
int		 store_run(struct store *, char **cause, const char *sql,
		     const char *fmt, ...);
/*
 * Runs a query whose first column of its first row is an integer: 1 and
 * *value set, 0 when there is no row, -1 on error (cause set).
 */
int		 store_one(struct store *, char **cause, long long *value,
		     const char *sql, const char *fmt, ...);

#endif
