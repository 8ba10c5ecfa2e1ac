/*
 * Unit tests for lib/events.c: event names, the journal line an event
 * becomes (one line of JSON, below EVENTS_LINE_MAX however long the text
 * and details, UTF-8 never cut in a sequence), and events_emit appending
 * only what some [notify] section asks for.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "conf.h"
#include "events.h"
#include "util.h"
#include "tap.h"

#define T20261202	1796169600LL	/* 2026-12-02T00:00:00Z */

static void
test_names(void)
{
	int	k;

	for (k = 0; k < EVENT_NKINDS; k++)
		is_int(event_parse(event_name(k)), k, "%s parses back",
		    event_name(k));
	is_int(event_parse("sync-failed"), EVENT_SYNC_FAILED, "sync-failed");
	is_int(event_parse("compliance-changed"), EVENT_COMPLIANCE_CHANGED,
	    "compliance-changed");
	is_int(event_parse("disk-full"), -1, "an unknown event is refused");
	is_int(event_parse(""), -1, "an empty name is refused");
	ok(event_name(EVENT_NKINDS) == NULL, "no name past the last kind");
}

static void
test_line(void)
{
	char		*line, *big;
	json_t		*j;
	json_error_t	 err;
	size_t		 n;

	line = events_line(EVENT_SYNC_FAILED, T20261202, "el9", NULL,
	    json_pack("{s:s}", "cause", "mirror el9: refused\nsecond line"),
	    "patchgate: sync failed: mirror el9: refused\nsecond line");
	ok(line != NULL, "a line");
	n = strlen(line);
	ok(n > 0 && line[n - 1] == '\n' && strchr(line, '\n') == line + n - 1,
	    "one line, newline-ended, newlines in the text escaped");
	j = json_loads(line, 0, &err);
	ok(j != NULL, "it parses as JSON");
	is_str(json_string_value(json_object_get(j, "event")), "sync-failed",
	    "event");
	is_str(json_string_value(json_object_get(j, "time")),
	    "2026-12-02T00:00:00Z", "time");
	is_str(json_string_value(json_object_get(j, "mirror")), "el9", "mirror");
	ok(json_is_null(json_object_get(j, "group")), "group null");
	is_str(json_string_value(json_object_get(json_object_get(j, "details"),
	    "cause")), "mirror el9: refused\nsecond line", "details.cause");
	json_decref(j);
	free(line);

	/* A huge cause: details go, then the text is cut, UTF-8 whole. */
	big = malloc(20001);
	for (n = 0; n < 20000; n += 2)
		memcpy(big + n, "\xc3\xa9", 2);		/* é */
	big[20000] = '\0';
	line = events_line(EVENT_VERSION_LOST, T20261202, "el9", "prod",
	    json_pack("{s:s}", "cause", big), big);
	ok(line != NULL && strlen(line) <= EVENTS_LINE_MAX,
	    "a 20000-byte text fits in EVENTS_LINE_MAX (%zu bytes)",
	    line != NULL ? strlen(line) : 0);
	j = line != NULL ? json_loads(line, 0, &err) : NULL;
	ok(j != NULL, "it still parses (UTF-8 not cut in a sequence)");
	ok(json_is_true(json_object_get(json_object_get(j, "details"),
	    "truncated")), "details say they were cut");
	ok(json_string_length(json_object_get(j, "text")) > 100,
	    "the text keeps its start");
	json_decref(j);
	free(line);
	free(big);
}

static void
test_emit(void)
{
	struct config	 cf;
	struct notify	 nt;
	char		 dir[] = "/tmp/pg-test-events.XXXXXX", *path, *data;
	size_t		 len;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	memset(&cf, 0, sizeof cf);
	memset(&nt, 0, sizeof nt);
	cf.cf_store = dir;
	TAILQ_INIT(&cf.cf_notifies);
	events_emit(&cf, EVENT_HOLD_ADDED, NULL, "prod", NULL, "held %s", "x");
	if (asprintf(&path, "%s/%s", dir, EVENTS_JOURNAL) == -1)
		return;
	ok(access(path, F_OK) == -1, "no notifier: nothing recorded");

	nt.nt_name = "chat";
	nt.nt_events = 1U << EVENT_HOLD_ADDED;
	TAILQ_INSERT_TAIL(&cf.cf_notifies, &nt, nt_entry);
	ok(events_wanted(&cf, EVENT_HOLD_ADDED), "hold-added is wanted");
	ok(!events_wanted(&cf, EVENT_SYNC_FAILED), "sync-failed is not");
	events_emit(&cf, EVENT_SYNC_FAILED, "el9", NULL, NULL, "failed");
	events_emit(&cf, EVENT_HOLD_ADDED, NULL, "prod", NULL, "held %s", "a");
	events_emit(&cf, EVENT_HOLD_ADDED, NULL, "prod",
	    json_pack("{s:s}", "pattern", "b*"), "held %s", "b");
	ok(file_read(path, 1 << 20, &data, &len, NULL) == 0, "the journal");
	is_int(len > 0 ? (long long)(memchr(data, '\n', len) != NULL) : 0, 1,
	    "has lines");
	ok(strstr(data, "\"sync-failed\"") == NULL,
	    "an event no notifier wants is not recorded");
	ok(strstr(data, "\"text\":\"held a\"") != NULL &&
	    strstr(data, "\"text\":\"held b\"") != NULL &&
	    strstr(data, "\"text\":\"held a\"") < strstr(data, "\"text\":\"held b\""),
	    "both holds, in order");
	free(data);
	unlink(path);
	free(path);
	if (asprintf(&path, "%s/log", dir) != -1) {
		rmdir(path);
		free(path);
	}
	rmdir(dir);
}

int
main(void)
{
	test_names();
	test_line();
	test_emit();
	return done_testing();
}
