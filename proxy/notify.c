/*
 * Notifications: patchgated delivers the events of the journal
 * STORE/log/events.jsonl (lib/events.h) to each [notify NAME] receiver,
 * as an HTTP POST of a JSON body.
 *
 * Why a journal: events happen in other processes (the indexer's sync and
 * publish, the CLI's hold and unhold) that end long before a slow
 * receiver answers, and one event may go to several receivers.  Each
 * process records its events durably where they happen; the daemon, which
 * runs all the time, reads the journal once a second and delivers.
 *
 * Each notifier keeps its own cursor, the journal's inode and the offset
 * of the first event it has not finished with, in STORE/notify/NAME.cursor,
 * written after each event is delivered or given up: a restart resends at
 * most the one event that was in flight, never the history.  A notifier
 * seen for the first time starts at the journal's end.
 *
 * Delivery never blocks the loop: libcurl's multi interface on the
 * daemon's event_base, as upstream.c does, one transfer at a time per
 * notifier so that a receiver gets events in order, each attempt bounded
 * by the notifier's timeout.  A failed attempt (no answer, an answer other
 * than 2xx) is retried after 1 s, 2 s, 4 s, ... up to NOTIFY_BACKOFF_MAX;
 * after NOTIFY_TRIES attempts the event is dropped with a log line and the
 * notifier goes on.  Events wait in the journal, not in memory, while a
 * receiver is down; events older than NOTIFY_MAX_AGE are dropped unsent.
 * Attempts, failures and drops are counted for /metrics.
 *
 * The journal is renamed to events.jsonl.1 once it has grown past
 * NOTIFY_ROTATE and every notifier has finished with it; a line a writer
 * appended to it in the meantime is still read from there.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <jansson.h>

#include "clock.h"
#include "conf.h"
#include "events.h"
#include "log.h"
#include "proxy.h"
#include "util.h"

#define NOTIFY_TICK		1	/* seconds between looks at the journal */
#define NOTIFY_TRIES		6	/* attempts per event */
#define NOTIFY_BACKOFF_MAX	60	/* seconds between two attempts, at most */
#define NOTIFY_MAX_AGE		(24 * 3600)	/* older events are not sent */
#define NOTIFY_CHUNK		65536	/* bytes of the journal read at once */
#define NOTIFY_CURSOR_DIR	"notify"
#define NOTIFY_ROTATE		(4LL * 1024 * 1024)	/* bytes of journal */

/* A socket curl asked the loop to watch. */
struct nsock {
	struct event		*ns_ev;
	LIST_ENTRY(nsock)	 ns_link;
};

/* One [notify NAME] section, kept by name across reloads. */
struct notifier {
	struct notifyd		*no_nd;
	char			*no_name;
	char			*no_url;
	enum notify_format	 no_format;
	unsigned int		 no_events;
	long long		 no_timeout;
	int			 no_seen;	/* in the configuration */
	/* The cursor: the first byte of the journal not finished with. */
	unsigned long long	 no_ino;
	long long		 no_off;
	/* The event being delivered. */
	char			*no_body;
	char			 no_event[32];
	long long		 no_next;	/* the cursor once it is done */
	int			 no_tries;
	CURL			*no_easy;
	struct curl_slist	*no_headers;
	char			 no_errbuf[CURL_ERROR_SIZE];
	struct event		*no_retry;	/* the backoff */
	/* For /metrics. */
	unsigned long long	 no_sent;
	unsigned long long	 no_failures;	/* attempts that failed */
	unsigned long long	 no_dropped;	/* events given up */
	TAILQ_ENTRY(notifier)	 no_entry;
};
TAILQ_HEAD(notifiers, notifier);

struct notifyd {
	struct proxy		*nd_px;
	struct event_base	*nd_base;
	CURLM			*nd_multi;
	struct event		*nd_timer;	/* curl's */
	struct event		*nd_tick;
	struct event		*nd_kick;	/* the next event, at once */
	char			*nd_journal;
	char			*nd_old;	/* the journal rotated */
	long long		 nd_rotate;	/* bytes it may grow to */
	int			 nd_rotate_failed;
	char			*nd_dir;	/* of the cursors */
	struct notifiers	 nd_list;
	LIST_HEAD(, nsock)	 nd_socks;
};

static void	notifier_next(struct notifier *);
static void	notifier_failed(struct notifier *, const char *);
static void	notify_rotate(struct notifyd *);

static void
notify_kick(struct notifyd *nd)
{
	struct timeval	tv = { 0, 0 };

	evtimer_add(nd->nd_kick, &tv);
}

/* --- cursors --------------------------------------------------------------- */

static char *
notifier_cursor_path(struct notifier *no)
{
	char	*path;

	if (asprintf(&path, "%s/%s.cursor", no->no_nd->nd_dir,
	    no->no_name) == -1)
		return NULL;
	return path;
}

static void
notifier_cursor_save(struct notifier *no)
{
	char	*path, line[64], *cause = NULL;
	int	 len;

	if ((path = notifier_cursor_path(no)) == NULL)
		return;
	len = snprintf(line, sizeof line, "%llu %lld\n", no->no_ino,
	    no->no_off);
	if (mkdir_p(no->no_nd->nd_dir, 0755) == -1)
		log_warn("notify %s: %s", no->no_name, no->no_nd->nd_dir);
	else if (file_write_atomic(path, line, len, &cause) != 0) {
		log_warnx("notify %s: cursor: %s", no->no_name, cause);
		free(cause);
	}
	free(path);
}

/* Reads the cursor; a notifier without one starts at the journal's end. */
static void
notifier_cursor_load(struct notifier *no)
{
	struct stat	 sb;
	char		*path, *data = NULL;
	size_t		 len;

	if ((path = notifier_cursor_path(no)) != NULL &&
	    file_read(path, 64, &data, &len, NULL) == 0 &&
	    sscanf(data, "%llu %lld", &no->no_ino, &no->no_off) == 2) {
		free(data);
		free(path);
		return;
	}
	free(data);
	free(path);
	no->no_ino = 0;
	no->no_off = 0;
	if (stat(no->no_nd->nd_journal, &sb) == 0) {
		no->no_ino = sb.st_ino;
		no->no_off = sb.st_size;
	}
	notifier_cursor_save(no);
}

/* --- delivery -------------------------------------------------------------- */

/* Ends the event in flight, delivered or given up: the cursor moves past. */
static void
notifier_done(struct notifier *no)
{
	struct notifyd	*nd = no->no_nd;

	if (no->no_easy != NULL) {
		curl_multi_remove_handle(nd->nd_multi, no->no_easy);
		curl_easy_cleanup(no->no_easy);
		no->no_easy = NULL;
	}
	curl_slist_free_all(no->no_headers);
	no->no_headers = NULL;
	free(no->no_body);
	no->no_body = NULL;
	no->no_tries = 0;
	no->no_off = no->no_next;
	notifier_cursor_save(no);
	notify_kick(nd);
}

static size_t
notify_discard(char *p, size_t size, size_t n, void *arg)
{
	return size * n;
}

/* Starts one attempt at the event in no_body; -1 when curl refuses. */
static int
notifier_post(struct notifier *no)
{
	CURL	*e;
	long	 connect = no->no_timeout < 10 ? no->no_timeout : 10;

	no->no_errbuf[0] = '\0';
	no->no_tries++;
	if ((e = curl_easy_init()) == NULL)
		return -1;
	if (no->no_headers == NULL)
		no->no_headers = curl_slist_append(NULL,
		    "Content-Type: application/json");
	if (no->no_headers == NULL ||
	    curl_easy_setopt(e, CURLOPT_URL, no->no_url) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PRIVATE, no) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_POSTFIELDS, no->no_body) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HTTPHEADER, no->no_headers) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, notify_discard) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, no->no_errbuf) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, connect) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)no->no_timeout) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_USERAGENT,
	    "patchgated/" PACKAGE_VERSION) != CURLE_OK ||
	    curl_multi_add_handle(no->no_nd->nd_multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		return -1;
	}
	no->no_easy = e;
	return 0;
}

static void
notifier_retry_cb(evutil_socket_t fd, short events, void *arg)
{
	struct notifier	*no = arg;

	if (notifier_post(no) != 0)
		notifier_failed(no, "cannot start a transfer");
}

/* An attempt failed with cause: wait and try again, or give up. */
static void
notifier_failed(struct notifier *no, const char *cause)
{
	struct timeval	tv = { 1, 0 };
	int		shift = no->no_tries - 1;

	no->no_failures++;
	if (no->no_easy != NULL) {
		curl_multi_remove_handle(no->no_nd->nd_multi, no->no_easy);
		curl_easy_cleanup(no->no_easy);
		no->no_easy = NULL;
	}
	if (no->no_tries >= NOTIFY_TRIES) {
		log_warnx("notify %s: %s event dropped after %d attempts: %s "
		    "(%s)", no->no_name, no->no_event, no->no_tries, no->no_url,
		    cause);
		no->no_dropped++;
		notifier_done(no);
		return;
	}
	tv.tv_sec = shift < 6 ? 1L << shift : NOTIFY_BACKOFF_MAX;
	if (tv.tv_sec > NOTIFY_BACKOFF_MAX)
		tv.tv_sec = NOTIFY_BACKOFF_MAX;
	log_warnx("notify %s: %s event: attempt %d of %d failed: %s (%s); "
	    "next in %lds", no->no_name, no->no_event, no->no_tries,
	    NOTIFY_TRIES, no->no_url, cause, (long)tv.tv_sec);
	evtimer_add(no->no_retry, &tv);
}

/* curl is done with an attempt. */
static void
notifier_finished(struct notifier *no, CURLcode rc)
{
	char	cause[CURL_ERROR_SIZE + 32];
	long	code = 0;

	if (rc != CURLE_OK) {
		snprintf(cause, sizeof cause, "%s", no->no_errbuf[0] != '\0' ?
		    no->no_errbuf : curl_easy_strerror(rc));
		notifier_failed(no, cause);
		return;
	}
	curl_easy_getinfo(no->no_easy, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code > 299) {
		snprintf(cause, sizeof cause, "HTTP %ld", code);
		notifier_failed(no, cause);
		return;
	}
	log_info("notify %s: %s event sent (HTTP %ld, attempt %d)",
	    no->no_name, no->no_event, code, no->no_tries);
	no->no_sent++;
	notifier_done(no);
}

/*
 * The body for an event's journal line: the line itself (text and the
 * structured fields) for json, the text alone for slack.  NULL when the
 * line is not an event this notifier wants (or not JSON); *kind is set
 * when it is an event at all.  Caller-freed.
 */
static char *
notifier_body(struct notifier *no, const char *line, size_t len, int *kind,
    long long *age)
{
	json_t		*j, *out;
	json_error_t	 err;
	const char	*ev, *text, *when;
	time_t		 t;
	char		*body;

	*kind = -1;
	*age = 0;
	if ((j = json_loadb(line, len, 0, &err)) == NULL)
		return NULL;
	ev = json_string_value(json_object_get(j, "event"));
	text = json_string_value(json_object_get(j, "text"));
	when = json_string_value(json_object_get(j, "time"));
	if (ev == NULL || text == NULL || (*kind = event_parse(ev)) == -1 ||
	    !(no->no_events & (1U << *kind))) {
		json_decref(j);
		return NULL;
	}
	if (when != NULL && time_parse_rfc3339(when, &t) == 0)
		*age = (long long)(time(NULL) - t);
	if (no->no_format == NOTIFY_SLACK)
		out = json_pack("{s:s}", "text", text);
	else {
		json_object_set_new(j, "notify", json_string(no->no_name));
		out = json_incref(j);
	}
	body = out != NULL ? json_dumps(out, JSON_COMPACT) : NULL;
	json_decref(out);
	json_decref(j);
	return body;
}

/*
 * The journal the cursor is in: the rotated one while the notifier has
 * lines of it left to read (a writer may have appended to it just before
 * it was renamed), else the current one; -1 when there is none.
 */
static int
notifier_open(struct notifier *no, struct stat *sb)
{
	struct notifyd	*nd = no->no_nd;
	int		 fd;

	if ((fd = open(nd->nd_old, O_RDONLY | O_CLOEXEC)) != -1) {
		if (fstat(fd, sb) == 0 &&
		    (unsigned long long)sb->st_ino == no->no_ino &&
		    sb->st_size > no->no_off)
			return fd;
		close(fd);
	}
	if ((fd = open(nd->nd_journal, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			log_warn("notify %s: %s", no->no_name, nd->nd_journal);
		return -1;
	}
	if (fstat(fd, sb) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Reads the journal from the cursor and starts delivering the first event
 * the notifier wants; lines it does not want move the cursor on.
 */
static void
notifier_next(struct notifier *no)
{
	struct notifyd	*nd = no->no_nd;
	struct stat	 sb;
	char		*buf, *p, *nl, *body;
	ssize_t		 n;
	long long	 start, age;
	int		 fd, kind;

	if (no->no_body != NULL)
		return;		/* one at a time: a transfer or a retry waits */
	if ((fd = notifier_open(no, &sb)) == -1)
		return;
	if ((unsigned long long)sb.st_ino != no->no_ino ||
	    sb.st_size < no->no_off) {
		/* A new journal (removed, rotated): from its start. */
		no->no_ino = sb.st_ino;
		no->no_off = 0;
		notifier_cursor_save(no);
	}
	if (sb.st_size == no->no_off || (buf = malloc(NOTIFY_CHUNK)) == NULL) {
		close(fd);
		return;
	}
	start = no->no_off;
	n = pread(fd, buf, NOTIFY_CHUNK, no->no_off);
	close(fd);
	for (p = buf; n > 0 && (nl = memchr(p, '\n', buf + n - p)) != NULL;
	    p = nl + 1) {
		body = notifier_body(no, p, nl - p, &kind, &age);
		if (body != NULL && age > NOTIFY_MAX_AGE) {
			log_warnx("notify %s: %s event dropped unsent: %llds "
			    "old", no->no_name, event_name(kind), age);
			no->no_dropped++;
			free(body);
			body = NULL;
		}
		if (body == NULL) {
			no->no_off = start + (nl + 1 - buf);
			continue;
		}
		no->no_body = body;
		snprintf(no->no_event, sizeof no->no_event, "%s",
		    event_name(kind));
		no->no_next = start + (nl + 1 - buf);
		if (notifier_post(no) != 0)
			notifier_failed(no, "cannot start a transfer");
		break;
	}
	if (n == NOTIFY_CHUNK && memchr(buf, '\n', n) == NULL) {
		/* No line end in a whole chunk: not a journal line. */
		log_warnx("notify %s: %s: skipping %d bytes without a line end "
		    "at offset %lld", no->no_name, nd->nd_journal, NOTIFY_CHUNK,
		    start);
		no->no_off = start + NOTIFY_CHUNK;
	}
	free(buf);
	if (no->no_off != start && no->no_body == NULL)
		notifier_cursor_save(no);
}

/* --- curl on the loop (as upstream.c) -------------------------------------- */

static void
notify_check(struct notifyd *nd)
{
	CURLMsg		*msg;
	struct notifier	*no;
	int		 left;

	while ((msg = curl_multi_info_read(nd->nd_multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    (char **)&no);
		notifier_finished(no, msg->data.result);
	}
}

static void
notify_event(evutil_socket_t fd, short events, void *arg)
{
	struct notifyd	*nd = arg;
	int		 action = 0, running;

	if (events & EV_READ)
		action |= CURL_CSELECT_IN;
	if (events & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(nd->nd_multi, fd, action, &running);
	notify_check(nd);
}

static void
notify_timeout(evutil_socket_t fd, short events, void *arg)
{
	struct notifyd	*nd = arg;
	int		 running;

	curl_multi_socket_action(nd->nd_multi, CURL_SOCKET_TIMEOUT, 0,
	    &running);
	notify_check(nd);
}

static int
notify_set_timer(CURLM *multi, long ms, void *arg)
{
	struct notifyd	*nd = arg;
	struct timeval	 tv;

	if (ms < 0) {
		evtimer_del(nd->nd_timer);
		return 0;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return evtimer_add(nd->nd_timer, &tv);
}

static void
notify_sock_free(struct nsock *ns)
{
	event_free(ns->ns_ev);
	LIST_REMOVE(ns, ns_link);
	free(ns);
}

static int
notify_set_socket(CURL *easy, curl_socket_t s, int what, void *arg,
    void *sockp)
{
	struct notifyd	*nd = arg;
	struct nsock	*ns = sockp;
	short		 kind = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (ns != NULL) {
			curl_multi_assign(nd->nd_multi, s, NULL);
			notify_sock_free(ns);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (ns == NULL) {
		if ((ns = calloc(1, sizeof *ns)) == NULL)
			return -1;
		if ((ns->ns_ev = event_new(nd->nd_base, s, kind, notify_event,
		    nd)) == NULL) {
			free(ns);
			return -1;
		}
		LIST_INSERT_HEAD(&nd->nd_socks, ns, ns_link);
		curl_multi_assign(nd->nd_multi, s, ns);
	} else {
		event_del(ns->ns_ev);
		event_assign(ns->ns_ev, nd->nd_base, s, kind, notify_event, nd);
	}
	return event_add(ns->ns_ev, NULL);
}

/* --- the notifiers --------------------------------------------------------- */

static void
notifier_free(struct notifier *no)
{
	struct notifyd	*nd = no->no_nd;

	TAILQ_REMOVE(&nd->nd_list, no, no_entry);
	if (no->no_easy != NULL) {
		curl_multi_remove_handle(nd->nd_multi, no->no_easy);
		curl_easy_cleanup(no->no_easy);
	}
	curl_slist_free_all(no->no_headers);
	if (no->no_retry != NULL)
		event_free(no->no_retry);
	free(no->no_body);
	free(no->no_url);
	free(no->no_name);
	free(no);
}

/* Matches the notifiers to the configuration, by name. */
static void
notify_update(struct notifyd *nd)
{
	struct config	*cf = nd->nd_px->px_conf;
	struct notify	*nt;
	struct notifier	*no, *tmp;
	char		*url;

	TAILQ_FOREACH(no, &nd->nd_list, no_entry)
		no->no_seen = 0;
	TAILQ_FOREACH(nt, &cf->cf_notifies, nt_entry) {
		TAILQ_FOREACH(no, &nd->nd_list, no_entry) {
			if (strcmp(no->no_name, nt->nt_name) == 0)
				break;
		}
		if (no == NULL) {
			if ((no = calloc(1, sizeof *no)) == NULL ||
			    (no->no_name = strdup(nt->nt_name)) == NULL ||
			    (no->no_retry = evtimer_new(nd->nd_base,
			    notifier_retry_cb, no)) == NULL) {
				if (no != NULL)
					free(no->no_name);
				free(no);
				log_warnx("notify %s: out of memory",
				    nt->nt_name);
				continue;
			}
			no->no_nd = nd;
			TAILQ_INSERT_TAIL(&nd->nd_list, no, no_entry);
			notifier_cursor_load(no);
			log_info("notify %s: %s, from offset %lld of %s",
			    nt->nt_name, nt->nt_url, no->no_off,
			    nd->nd_journal);
		}
		no->no_seen = 1;
		if (no->no_url == NULL || strcmp(no->no_url, nt->nt_url) != 0) {
			if ((url = strdup(nt->nt_url)) == NULL)
				continue;
			free(no->no_url);
			no->no_url = url;
		}
		no->no_format = nt->nt_format;
		no->no_events = nt->nt_events;
		no->no_timeout = nt->nt_timeout;
	}
	for (no = TAILQ_FIRST(&nd->nd_list); no != NULL; no = tmp) {
		tmp = TAILQ_NEXT(no, no_entry);
		if (!no->no_seen)
			notifier_free(no);
	}
}

/*
 * Renames a journal grown past nd_rotate to JOURNAL.1 (replacing the one
 * before) once every notifier has finished with it.
 */
static void
notify_rotate(struct notifyd *nd)
{
	struct notifier	*no;
	struct stat	 sb;

	if (stat(nd->nd_journal, &sb) == -1 || sb.st_size < nd->nd_rotate)
		return;
	TAILQ_FOREACH(no, &nd->nd_list, no_entry) {
		if (no->no_body != NULL ||
		    no->no_ino != (unsigned long long)sb.st_ino ||
		    no->no_off != sb.st_size)
			return;
	}
	if (rename(nd->nd_journal, nd->nd_old) == -1) {
		if (!nd->nd_rotate_failed)
			log_warn("notify: rotating %s", nd->nd_journal);
		nd->nd_rotate_failed = 1;
		return;
	}
	log_info("notify: %s rotated to %s (%lld bytes)", nd->nd_journal,
	    nd->nd_old, (long long)sb.st_size);
}

static void
notify_tick(evutil_socket_t fd, short events, void *arg)
{
	struct notifyd	*nd = arg;
	struct notifier	*no;

	notify_update(nd);
	TAILQ_FOREACH(no, &nd->nd_list, no_entry)
		notifier_next(no);
	notify_rotate(nd);
}

struct notifyd *
notify_new(struct proxy *px, char **cause)
{
	struct notifyd	*nd;
	struct timeval	 tv = { NOTIFY_TICK, 0 };
	const char	*store = px->px_conf->cf_store, *env;

	if ((nd = calloc(1, sizeof *nd)) == NULL) {
		cause_set(cause, "out of memory");
		return NULL;
	}
	nd->nd_px = px;
	nd->nd_base = px->px_base;
	nd->nd_rotate = NOTIFY_ROTATE;
	/* For tests: a small size, to see a rotation happen. */
	if ((env = getenv("PATCHGATE_EVENTS_ROTATE")) != NULL && *env != '\0')
		nd->nd_rotate = strtoll(env, NULL, 10);
	TAILQ_INIT(&nd->nd_list);
	LIST_INIT(&nd->nd_socks);
	if (asprintf(&nd->nd_journal, "%s/%s", store, EVENTS_JOURNAL) == -1 ||
	    asprintf(&nd->nd_old, "%s.1", nd->nd_journal) == -1 ||
	    asprintf(&nd->nd_dir, "%s/%s", store, NOTIFY_CURSOR_DIR) == -1) {
		nd->nd_journal = nd->nd_old = nd->nd_dir = NULL;
		cause_set(cause, "out of memory");
		notify_free(nd);
		return NULL;
	}
	/* curl_global_init was called by upstream_new(). */
	if ((nd->nd_multi = curl_multi_init()) == NULL ||
	    (nd->nd_timer = evtimer_new(nd->nd_base, notify_timeout,
	    nd)) == NULL ||
	    (nd->nd_kick = evtimer_new(nd->nd_base, notify_tick, nd)) == NULL ||
	    (nd->nd_tick = event_new(nd->nd_base, -1, EV_PERSIST, notify_tick,
	    nd)) == NULL || event_add(nd->nd_tick, &tv) == -1) {
		cause_set(cause, "notifications: cannot set up events");
		notify_free(nd);
		return NULL;
	}
	curl_multi_setopt(nd->nd_multi, CURLMOPT_SOCKETFUNCTION,
	    notify_set_socket);
	curl_multi_setopt(nd->nd_multi, CURLMOPT_SOCKETDATA, nd);
	curl_multi_setopt(nd->nd_multi, CURLMOPT_TIMERFUNCTION,
	    notify_set_timer);
	curl_multi_setopt(nd->nd_multi, CURLMOPT_TIMERDATA, nd);
	notify_update(nd);
	return nd;
}

/* An event in flight stays behind the cursor: it is sent again at start. */
void
notify_free(struct notifyd *nd)
{
	struct nsock	*ns;

	if (nd == NULL)
		return;
	while (!TAILQ_EMPTY(&nd->nd_list))
		notifier_free(TAILQ_FIRST(&nd->nd_list));
	if (nd->nd_multi != NULL)
		curl_multi_cleanup(nd->nd_multi);
	while ((ns = LIST_FIRST(&nd->nd_socks)) != NULL)
		notify_sock_free(ns);
	if (nd->nd_timer != NULL)
		event_free(nd->nd_timer);
	if (nd->nd_kick != NULL)
		event_free(nd->nd_kick);
	if (nd->nd_tick != NULL)
		event_free(nd->nd_tick);
	free(nd->nd_journal);
	free(nd->nd_old);
	free(nd->nd_dir);
	free(nd);
}

int
notify_metrics(struct notifyd *nd, struct evbuffer *b)
{
	static const struct {
		const char	*name;
		const char	*help;
	} fam[] = {
		{ "patchgate_notify_sent_total",
		  "Events a notifier delivered (its receiver answered 2xx)." },
		{ "patchgate_notify_failures_total",
		  "Delivery attempts that failed (no answer, or not 2xx)." },
		{ "patchgate_notify_dropped_total",
		  "Events given up after every attempt failed, or too old." },
	};
	struct notifier		*no;
	unsigned long long	 v;
	size_t			 k;

	for (k = 0; k < sizeof fam / sizeof fam[0]; k++) {
		if (evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s counter\n",
		    fam[k].name, fam[k].help, fam[k].name) == -1)
			return -1;
		if (nd == NULL)
			continue;
		TAILQ_FOREACH(no, &nd->nd_list, no_entry) {
			v = k == 0 ? no->no_sent : k == 1 ? no->no_failures :
			    no->no_dropped;
			/* Names are letters, digits, '.', '-', '_' (conf.c). */
			if (evbuffer_add_printf(b, "%s{notify=\"%s\"} %llu\n",
			    fam[k].name, no->no_name, v) == -1)
				return -1;
		}
	}
	return 0;
}
