/*
 * Recording notification events where they happen (events.h): one JSON
 * line per event appended to STORE/log/events.jsonl.  The line is written
 * with a single write() on an O_APPEND descriptor under an exclusive
 * flock, so that lines of the indexer, the CLI and patchgated never
 * interleave; patchgated's reader takes only whole lines, so a line still
 * being written is read at the next look.
 */
#include "config.h"

#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "clock.h"
#include "conf.h"
#include "events.h"
#include "log.h"
#include "store.h"
#include "store_query.h"
#include "util.h"
#include "xmalloc.h"

static const char *const event_names_v[EVENT_NKINDS] = {
	"sync-failed", "sync-recovered", "view-changed", "hold-added",
	"hold-removed", "version-lost", "compliance-changed",
};

const char *
event_name(enum event_kind k)
{
	if ((int)k < 0 || k >= EVENT_NKINDS)
		return NULL;
	return event_names_v[k];
}

int
event_parse(const char *name)
{
	int	k;

	for (k = 0; k < EVENT_NKINDS; k++) {
		if (strcmp(name, event_names_v[k]) == 0)
			return k;
	}
	return -1;
}

const char *
event_names(void)
{
	return "sync-failed, sync-recovered, view-changed, hold-added, "
	    "hold-removed, version-lost or compliance-changed";
}

int
events_wanted(const struct config *cf, enum event_kind k)
{
	const struct notify	*nt;

	TAILQ_FOREACH(nt, &cf->cf_notifies, nt_entry) {
		if (nt->nt_events & (1U << k))
			return 1;
	}
	return 0;
}

/* A string, or JSON null for NULL. */
static json_t *
events_str(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

char *
events_line(enum event_kind k, long long when, const char *mirror,
    const char *group, json_t *details, const char *text)
{
	json_t	*j;
	char	 tbuf[32], *line;
	size_t	 len, keep;
	int	 cut = 0;

	time_format((time_t)when, tbuf, sizeof tbuf);
	if (details == NULL)
		details = json_object();
	for (keep = strlen(text);;) {
		j = json_object();
		if (j == NULL)
			return NULL;
		json_object_set_new(j, "time", json_string(tbuf));
		json_object_set_new(j, "event", json_string(event_name(k)));
		json_object_set_new(j, "mirror", events_str(mirror));
		json_object_set_new(j, "group", events_str(group));
		json_object_set_new(j, "text", json_stringn(text, keep));
		json_object_set(j, "details", details);
		line = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		if (line == NULL)
			break;
		len = strlen(line);
		if (len + 1 <= EVENTS_LINE_MAX)
			break;
		free(line);
		line = NULL;
		/* Too long: details go, then the text is cut. */
		if (!cut) {
			cut = 1;
			json_decref(details);
			details = json_pack("{s:b}", "truncated", 1);
			continue;
		}
		if (keep < 64)
			break;
		keep = keep / 2;
		/* Not inside a UTF-8 sequence. */
		while (keep > 0 && ((unsigned char)text[keep] & 0xc0) == 0x80)
			keep--;
	}
	json_decref(details);
	if (line == NULL)
		return NULL;
	len = strlen(line);
	if ((line = realloc(line, len + 2)) == NULL)
		return NULL;
	line[len] = '\n';
	line[len + 1] = '\0';
	return line;
}

/* Appends line to the journal of store, in one write(). */
static int
events_append(const char *store, const char *line, char **cause)
{
	char	*path, *dir;
	size_t	 len = strlen(line);
	ssize_t	 n;
	int	 fd, rc = -1;

	xasprintf(&path, "%s/%s", store, EVENTS_JOURNAL);
	dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	if (mkdir_p(dir, 0755) == -1) {
		cause_set(cause, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0644)) == -1) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		goto out;
	}
	while (flock(fd, LOCK_EX) == -1 && errno == EINTR)
		;
	while ((n = write(fd, line, len)) == -1 && errno == EINTR)
		;
	if (n == -1)
		cause_set(cause, "%s: %s", path, strerror(errno));
	else if ((size_t)n != len)
		cause_set(cause, "%s: short write (%zd of %zu bytes)", path, n,
		    len);
	else
		rc = 0;
	close(fd);	/* and the lock */
out:
	free(dir);
	free(path);
	return rc;
}

void
events_emit(const struct config *cf, enum event_kind k, const char *mirror,
    const char *group, json_t *details, const char *fmt, ...)
{
	va_list	 ap;
	char	*text, *line, *cause = NULL;

	if (cf == NULL || !events_wanted(cf, k)) {
		json_decref(details);
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) == -1)
		text = NULL;
	va_end(ap);
	if (text == NULL ||
	    (line = events_line(k, time(NULL), mirror, group, details,
	    text)) == NULL) {
		log_warnx("event %s: out of memory; not recorded", event_name(k));
		if (text == NULL)
			json_decref(details);
		free(text);
		return;
	}
	if (events_append(cf->cf_store, line, &cause) != 0) {
		log_warnx("event %s: not recorded: %s", event_name(k), cause);
		free(cause);
	} else
		log_debug("event %s recorded: %s", event_name(k), text);
	free(line);
	free(text);
}

int
events_once(struct store *st, const char *key)
{
	char	*why = NULL;

	/* The callers go on without the event: the cause is said here. */
	if (sqlite3_exec(store_db(st), "CREATE TABLE IF NOT EXISTS "
	    "events_once (key TEXT PRIMARY KEY, created INTEGER NOT NULL)",
	    NULL, NULL, NULL) != SQLITE_OK) {
		store_error(st, "events_once", &why);
		goto fail;
	}
	if (store_run(st, &why, "INSERT OR IGNORE INTO events_once (key, "
	    "created) VALUES (?1, ?2)", "tI", key, (long long)time(NULL)) != 0)
		goto fail;
	return sqlite3_changes(store_db(st)) > 0;
fail:
	log_warnx("events: %s: %s", key, why);
	free(why);
	return -1;
}

void
events_sync_result(const struct config *cf, struct store *st,
    long long mirror_id, const char *mirror, const char *error)
{
	sqlite3_stmt	*stmt;
	char		*last = NULL, *why = NULL;
	int		 failed = 0, rc;

	if (!events_wanted(cf, EVENT_SYNC_FAILED) &&
	    !events_wanted(cf, EVENT_SYNC_RECOVERED))
		return;
	stmt = store_query(st, &why, "SELECT result, error FROM runs WHERE "
	    "mirror = ?1 AND kind = 'sync' ORDER BY id DESC LIMIT 1", "I",
	    mirror_id);
	if (stmt == NULL || (rc = store_step(st, stmt, &why)) == -1) {
		log_warnx("mirror %s: events: %s", mirror, why);
		free(why);
		return;
	}
	if (rc == 1) {
		failed = strcmp((const char *)sqlite3_column_text(stmt, 0),
		    "ok") != 0;
		if (sqlite3_column_text(stmt, 1) != NULL)
			last = xstrdup((const char *)sqlite3_column_text(stmt,
			    1));
		store_done(stmt);
	}
	if (error != NULL && !failed)
		events_emit(cf, EVENT_SYNC_FAILED, mirror, NULL,
		    json_pack("{s:s}", "cause", error),
		    "patchgate: sync failed: %s", error);
	else if (error == NULL && failed)
		events_emit(cf, EVENT_SYNC_RECOVERED, mirror, NULL,
		    json_pack("{s:s?}", "last_cause", last),
		    "patchgate: mirror %s: sync recovered (it failed with: %s)",
		    mirror, last != NULL ? last : "an unknown error");
	free(last);
}

/*
 * The status last recorded for host of group into *v, caller-freed (NULL:
 * none); -1 with a cause.
 */
static int
events_compliance_get(struct store *st, const char *group, const char *host,
    char **v, char **cause)
{
	sqlite3_stmt	*stmt;
	int		 rc;

	*v = NULL;
	stmt = store_query(st, cause, "SELECT status FROM compliance_notified "
	    "WHERE grp = ?1 AND host = ?2", "tt", group, host);
	if (stmt == NULL || (rc = store_step(st, stmt, cause)) == -1)
		return -1;
	if (rc == 1) {
		*v = xstrdup((const char *)sqlite3_column_text(stmt, 0));
		store_done(stmt);
	}
	return 0;
}

static int
events_compliance_set(struct store *st, const char *group, const char *host,
    const char *status, char **cause)
{
	return store_run(st, cause, "INSERT OR REPLACE INTO "
	    "compliance_notified (grp, host, status) VALUES (?1, ?2, ?3)",
	    "ttt", group, host, status);
}

void
events_compliance(const struct config *cf, struct store *st, json_t *doc)
{
	json_t		*g, *m;
	const char	*group, *host, *status;
	char		*was, *why = NULL;
	size_t		 i, k;

	if (doc == NULL)
		return;
	if (sqlite3_exec(store_db(st), "CREATE TABLE IF NOT EXISTS "
	    "compliance_notified (grp TEXT NOT NULL, host TEXT NOT NULL, "
	    "status TEXT NOT NULL, PRIMARY KEY (grp, host))", NULL, NULL,
	    NULL) != SQLITE_OK) {
		log_warnx("events: compliance: %s", sqlite3_errmsg(store_db(st)));
		json_decref(doc);
		return;
	}
	json_array_foreach(json_object_get(doc, "groups"), i, g) {
		group = json_string_value(json_object_get(g, "group"));
		json_array_foreach(json_object_get(g, "machines"), k, m) {
			host = json_string_value(json_object_get(m, "host"));
			status = json_string_value(json_object_get(m, "status"));
			if (group == NULL || host == NULL || status == NULL)
				continue;
			if (events_compliance_get(st, group, host, &was,
			    &why) != 0) {
				log_warnx("events: compliance of %s: %s", host,
				    why);
				free(why);
				why = NULL;
				continue;
			}
			if (was != NULL && strcmp(was, status) == 0) {
				free(was);
				continue;
			}
			if (events_compliance_set(st, group, host, status,
			    &why) != 0) {
				log_warnx("events: compliance of %s: %s", host,
				    why);
				free(why);
				why = NULL;
			} else
				events_emit(cf, EVENT_COMPLIANCE_CHANGED, NULL,
				    group, json_pack("{s:s,s:s?,s:s,s:O?,s:O?}",
				    "host", host, "previous", was, "status", status,
				    "stale", json_object_get(m, "stale"), "counts",
				    json_object_get(m, "counts")),
				    "patchgate: group %s, host %s: %s%s%s", group,
				    host, was != NULL ? was : "", was != NULL ?
				    " -> " : "now ", status);
			free(was);
		}
	}
	json_decref(doc);
}
