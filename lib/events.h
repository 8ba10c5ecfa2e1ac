/*
 * Notification events, for the [notify NAME] sections of patchgate.conf.
 *
 * Events happen in several processes: the indexer's sync and publish
 * (sync-failed, sync-recovered, view-changed, version-lost), the CLI's
 * hold and unhold, also run by the admin API (hold-added, hold-removed),
 * and compliance (compliance-changed).  Each is recorded durably where it
 * happens, as one JSON line appended to the journal STORE/log/events.jsonl
 * with O_APPEND, one write() under an exclusive flock; patchgated
 * (proxy/notify.c) reads the journal and delivers.  So a process that
 * ends, or a receiver that is down, loses no event, and nothing that
 * records one ever waits on the network.
 *
 * A journal line:
 *   {"time":"2026-12-02T16:00:00Z","event":"sync-failed","mirror":"el9",
 *    "group":null,"text":"patchgate: sync failed: mirror el9: ...",
 *    "details":{"cause":"mirror el9: ..."}}
 * time is the real time it happened; text a line for people.
 */
#ifndef PG_EVENTS_H
#define PG_EVENTS_H

#include <stddef.h>

struct config;
struct json_t;
struct store;

enum event_kind {
	EVENT_SYNC_FAILED,
	EVENT_SYNC_RECOVERED,
	EVENT_VIEW_CHANGED,
	EVENT_HOLD_ADDED,
	EVENT_HOLD_REMOVED,
	EVENT_VERSION_LOST,
	EVENT_COMPLIANCE_CHANGED,
	EVENT_NKINDS
};

#define EVENTS_JOURNAL		"log/events.jsonl"	/* under the store */
#define EVENTS_LINE_MAX		4000	/* bytes of one journal line, '\n' included */

/* "sync-failed", ...; NULL for no kind. */
const char	*event_name(enum event_kind);
/* The kind named name, or -1. */
int		 event_parse(const char *name);
/* Every name, for messages: "sync-failed, sync-recovered, ...". */
const char	*event_names(void);
/* Whether some [notify] section of cf asks for kind. */
int		 events_wanted(const struct config *, enum event_kind);

/*
 * Records an event in cf's journal when some notifier wants it; mirror
 * and group may be NULL, details (a JSON object, may be NULL) is stolen;
 * the text is printf-like.  Never fails the caller: a journal that cannot
 * be written is logged.
 */
void		 events_emit(const struct config *, enum event_kind,
		     const char *mirror, const char *group, struct json_t *details,
		     const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/*
 * The journal line of an event, '\n' ended, at most EVENTS_LINE_MAX
 * bytes (long texts cut); caller-freed, NULL when memory fails.
 * details is stolen.
 */
char		*events_line(enum event_kind, long long when, const char *mirror,
		     const char *group, struct json_t *details, const char *text);
/*
 * A sync of mirror (its id in the store) ended, failed with error when
 * not NULL: records sync-failed when the mirror's last sync in the runs
 * table did not fail (or it has none), sync-recovered when it failed.
 * Called before the run is added to the runs table.
 */
void		 events_sync_result(const struct config *, struct store *,
		     long long mirror_id, const char *mirror, const char *error);
/*
 * compliance-changed: doc is compliance --json's document for every group
 * (stolen; NULL does nothing).  Records the event for each machine whose
 * status (COMPLIANT, NON_COMPLIANT, UNREADABLE) differs from the one last
 * recorded in the store, a machine's first status included.
 */
void		 events_compliance(const struct config *, struct store *,
		     struct json_t *doc);
/*
 * 1 the first time key is seen in the indexer's store, 0 after (an event
 * said once, such as a version lost, that later publishes see again),
 * -1 on a database error.
 */
int		 events_once(struct store *, const char *key);

#endif
