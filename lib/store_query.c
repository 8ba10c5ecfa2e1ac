/*
 * The store's data-access layer: every statement goes through here, so
 * that each bind and each step has its result checked in one place and a
 * failure always says which statement and why.
 *
 * A statement's parameters are bound from a format, one letter per
 * parameter ?1, ?2, ... in order:
 *	i	int
 *	I	long long
 *	t	const char *, NULL binds SQL NULL (the caller keeps the text
 *		alive until the statement is reset: SQLITE_STATIC)
 *	b	const void *, size_t: a blob (NULL binds SQL NULL)
 *	-	nothing: the parameter stays NULL (no argument)
 * Statements come from store_stmt()'s cache, so they are prepared once.
 */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "store.h"
#include "store_query.h"
#include "util.h"

/* The first words of a statement, enough to find it in the source. */
static void
store_query_name(const char *sql, char *buf, size_t len)
{
	size_t	n;

	n = strcspn(sql, "(");
	if (n >= len)
		n = len - 1;
	memcpy(buf, sql, n);
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
}

static void
store_query_error(struct store *st, const char *sql, char **cause)
{
	char	name[48];

	store_query_name(sql, name, sizeof name);
	store_error(st, name, cause);
}

/* Binds fmt's parameters; a letter it does not know goes to *bad. */
static int
store_bindv(sqlite3_stmt *stmt, const char *fmt, va_list ap, char *bad)
{
	const char	*s;
	const void	*p;
	size_t		 len;
	int		 i, rc;

	for (i = 1; *fmt != '\0'; fmt++, i++) {
		switch (*fmt) {
		case 'i':
			rc = sqlite3_bind_int(stmt, i, va_arg(ap, int));
			break;
		case 'I':
			rc = sqlite3_bind_int64(stmt, i, va_arg(ap, long long));
			break;
		case 't':
			s = va_arg(ap, const char *);
			rc = s == NULL ? sqlite3_bind_null(stmt, i) :
			    sqlite3_bind_text(stmt, i, s, -1, SQLITE_STATIC);
			break;
		case 'b':
			p = va_arg(ap, const void *);
			len = va_arg(ap, size_t);
			rc = p == NULL ? sqlite3_bind_null(stmt, i) :
			    sqlite3_bind_blob64(stmt, i, p, len, SQLITE_STATIC);
			break;
		case '-':
			rc = SQLITE_OK;
			break;
		default:
			*bad = *fmt;
			return SQLITE_MISUSE;
		}
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

static sqlite3_stmt *
store_queryv(struct store *st, char **cause, const char *sql,
    const char *fmt, va_list ap)
{
	sqlite3_stmt	*stmt;
	char		 name[48], bad = '\0';

	if ((stmt = store_stmt(st, sql)) == NULL) {
		store_query_error(st, sql, cause);
		return NULL;
	}
	if (store_bindv(stmt, fmt, ap, &bad) != SQLITE_OK) {
		/* SQLite knows nothing of a bad letter: say it here. */
		if (bad != '\0') {
			store_query_name(sql, name, sizeof name);
			cause_set(cause, "store: %s: unknown format letter "
			    "'%c' in \"%s\"", name, bad, fmt);
		} else
			store_query_error(st, sql, cause);
		sqlite3_reset(stmt);
		return NULL;
	}
	return stmt;
}

sqlite3_stmt *
store_query(struct store *st, char **cause, const char *sql,
    const char *fmt, ...)
{
	sqlite3_stmt	*stmt;
	va_list		 ap;

	va_start(ap, fmt);
	stmt = store_queryv(st, cause, sql, fmt, ap);
	va_end(ap);
	return stmt;
}

int
store_step(struct store *st, sqlite3_stmt *stmt, char **cause)
{
	int	rc;

	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		store_query_error(st, sqlite3_sql(stmt), cause);
	/* Done or failed: no read transaction stays open. */
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

void
store_done(sqlite3_stmt *stmt)
{
	if (stmt != NULL)
		sqlite3_reset(stmt);
}

int
store_run(struct store *st, char **cause, const char *sql,
    const char *fmt, ...)
{
	sqlite3_stmt	*stmt;
	va_list		 ap;
	int		 rc;

	va_start(ap, fmt);
	stmt = store_queryv(st, cause, sql, fmt, ap);
	va_end(ap);
	if (stmt == NULL)
		return -1;
	if ((rc = store_step(st, stmt, cause)) == 1) {
		/* A row where none was expected is the caller's mistake. */
		sqlite3_reset(stmt);
		cause_set(cause, "store: %s returned a row", sqlite3_sql(stmt));
		return -1;
	}
	return rc;
}

int
store_one(struct store *st, char **cause, long long *value,
    const char *sql, const char *fmt, ...)
{
	sqlite3_stmt	*stmt;
	va_list		 ap;
	int		 rc;

	va_start(ap, fmt);
	stmt = store_queryv(st, cause, sql, fmt, ap);
	va_end(ap);
	if (stmt == NULL)
		return -1;
	if ((rc = store_step(st, stmt, cause)) == 1) {
		*value = sqlite3_column_int64(stmt, 0);
		sqlite3_reset(stmt);
	}
	return rc;
}
