#!/bin/bash
# Notifications ([notify NAME]): a local webhook receiver gets sync-failed
# with the mirror's name and the cause when the upstream is down, once
# however often the sync fails, and sync-recovered once it is back;
# view-changed when a sync publishes a new generation; hold-added and
# hold-removed from patchgate hold and unhold.  format = slack POSTs the
# text alone.  A receiver that answers 500 first gets the event again
# (retry with backoff); one that accepts and never answers neither stops
# patchgated from serving meanwhile nor stops the others, and its failures
# show in /metrics.  A restarted daemon does not send the history again;
# a journal past its size (PATCHGATE_EVENTS_ROTATE, 4 MiB by default) is
# rotated once every notifier has read it, and the next event still comes.
# Bad [notify] settings are refused as file:line: message.
#
# compliance-changed: machine web1 reports foo-1.0 (COMPLIANT at the next
# sync); foo-1.1 arrives, and the sync that lists it makes web1
# NON_COMPLIANT.
#
# Events go through the journal STORE/log/events.jsonl: patchgate (the
# indexer and the CLI) records them, patchgated delivers them.  Nothing
# sleeps to wait: each wait polls the receiver's files with a bound.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"

need python3 curl gpg rpmbuild createrepo_c
pg_need_programs

W=$T/www
REPO=$W/repo
STORE=$T/store
RECV=$T/recv
BOUND=${PG_NOTIFY_BOUND:-60}

# The webhook receiver: POST /NAME appends the body, one line, to
# RECV/NAME.jsonl.  /flaky answers 500 to its first POST, then 200;
# /hang records the POST in RECV/hang.jsonl and never answers.
cat >"$T/receiver.py" <<'EOF'
import http.server, json, os, sys, threading, time
recv, portfile = sys.argv[1], sys.argv[2]
lock = threading.Lock()
seen = {}
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, fmt, *args):
        sys.stderr.write("receiver: " + (fmt % args) + "\n")
    def do_POST(self):
        name = self.path.strip("/")
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            seen[name] = seen.get(name, 0) + 1
            n = seen[name]
            with open(os.path.join(recv, name + ".attempts"), "a") as f:
                f.write("%d %s\n" % (n, self.headers.get("Content-Type")))
        if name == "hang":
            with open(os.path.join(recv, "hang.jsonl"), "a") as f:
                f.write(json.dumps(json.loads(body)) + "\n")
            while True:
                time.sleep(3600)
        code = 500 if name == "flaky" and n == 1 else 200
        if code == 200:
            with lock, open(os.path.join(recv, name + ".jsonl"), "a") as f:
                f.write(json.dumps(json.loads(body)) + "\n")
        self.send_response(code)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
EOF
mkdir -p "$RECV"
"$PYTHON" "$T/receiver.py" "$RECV" "$T/receiver.port" 2>>"$T/receiver.log" &
RECV_PID=$!
pg_track $RECV_PID
wait_for_file "$T/receiver.port" 10 $RECV_PID || fail "the webhook receiver did not start"
HOOK=http://127.0.0.1:$(cat "$T/receiver.port")

# poll SECONDS COMMAND...: every 0.2 s until COMMAND succeeds; 1 on timeout.
poll() {
	local end=$((SECONDS + $1))
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}
# count NAME EVENT: how many EVENT events the receiver NAME got.
count() {
	[ -f "$RECV/$1.jsonl" ] || { echo 0; return; }
	"$PYTHON" -c 'import json, sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l).get("event") == sys.argv[2]))' \
	    "$RECV/$1.jsonl" "$2"
}
got() { [ "$(count "$1" "$2")" -ge "${3:-1}" ]; }
# last NAME EVENT FIELD: a field of the last EVENT body NAME got.
last() {
	"$PYTHON" -c 'import json, sys
b = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l).get("event") == sys.argv[2]][-1]
v = b
for k in sys.argv[3].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print(v if v is not None else "")' "$RECV/$1.jsonl" "$2" "$3"
}

PG_CONF=$T/patchgate.conf
write_conf() {
	cat >"$PG_CONF" <<-EOF
	[server]
	listen = 127.0.0.1:0
	store = $STORE

	[mirror el9]
	type = rpm-md
	url = $UPSTREAM_URL/repo
	sync-every = off

	[baseline dev]
	rule = classification=* delay=0

	[group dev]
	baseline = dev
	mirrors = el9

	[notify chat]
	url = $HOOK/chat
	events = sync-failed sync-recovered view-changed hold-added hold-removed compliance-changed

	[notify slack]
	url = $HOOK/slack
	events = hold-added
	format = slack

	[notify flaky]
	url = $HOOK/flaky
	events = hold-added

	EOF
	[ "${1:-}" = nodead ] && return
	cat >>"$PG_CONF" <<-EOF

	[notify dead]
	url = $HOOK/hang
	events = hold-added
	timeout = 4s
	EOF
}

pg_say "bad [notify] settings are refused, each as file:line: message"
STORE=$T/store
UPSTREAM_URL=http://127.0.0.1:1
write_conf
cat >>"$PG_CONF" <<-EOF

	[notify bad]
	url = ftp://example.org/hook
	events = sync-failed disk-full
	format = xml
	timeout = soon

	[notify empty]
	format = json
EOF
pg_next check
"$top_builddir/patchgated" -n -c "$PG_CONF" >"$REPLY" 2>&1 &&
	pg_notok "patchgated -n refuses bad [notify] settings"
BAD=$(cat "$REPLY")
L=$(grep -n '^\[notify bad\]' "$PG_CONF" | cut -d: -f1)
assert_contains "bad url scheme" "$BAD" \
    "$PG_CONF:$((L + 1)): url: \"ftp://example.org/hook\" is not an http:// or https:// URL"
assert_contains "unknown event" "$BAD" "$PG_CONF:$((L + 2)): events: unknown event \"disk-full\""
assert_contains "bad format" "$BAD" "$PG_CONF:$((L + 3)): format: unknown format \"xml\" (json or slack)"
assert_contains "bad timeout" "$BAD" "$PG_CONF:$((L + 4)): timeout: bad duration \"soon\""
assert_contains "a notifier without url" "$BAD" \
    "$PG_CONF:$((L + 6)): [notify empty]: no url"
assert_contains "a notifier without events" "$BAD" \
    "$PG_CONF:$((L + 6)): [notify empty]: no events"

pg_say "upstream: foo-1.0; patchgated runs before the first sync"
mkrpm "$REPO/Packages" foo 1.0
mkrepo "$REPO"
start_upstream "$W"
write_conf
start_patchgated "$PG_CONF"
DEV=$PG_URL/dev/el9

pg_sync el9 || fail "the first sync failed"
poll "$BOUND" got chat view-changed ||
	pg_notok "the receiver gets view-changed within $BOUND s of the first sync"
assert_eq "view-changed names the group" dev "$(last chat view-changed group)"
assert_eq "view-changed names the mirror" el9 "$(last chat view-changed mirror)"
assert_eq "view-changed names the new generation" gen-000001 \
    "$(last chat view-changed details.generation)"
assert_eq "view-changed counts the versions listed" 1 "$(last chat view-changed details.listed)"
assert_contains "its text says it for people" "$(last chat view-changed text)" \
    "group dev, mirror el9: the view changed to gen-000001"
assert_eq "a first sync that succeeds is no recovery" 0 "$(count chat sync-recovered)"
assert_match "the POST is JSON" "$(head -n 1 "$RECV/chat.attempts")" 'application/json'

pg_say "machine web1 reports foo-1.0, the newest the view offers"
assert_status "$PG_URL/dev/_report/web1" 200 --data-binary 'foo 0 1.0 1 noarch'

pg_say "upstream down: the sync fails"
stop_upstream
pg_sync el9 && pg_notok "a sync with the upstream down fails"
SYNCERR=$(cat "$SYNC_ERR")
poll "$BOUND" got chat sync-failed ||
	pg_notok "the receiver gets sync-failed within $BOUND s"
assert_eq "sync-failed names the mirror" el9 "$(last chat sync-failed mirror)"
assert_match "sync-failed carries the cause" "$(last chat sync-failed details.cause)" \
    'mirror el9: .*(refused|connect|127\.0\.0\.1)'
assert_contains "the cause is the one the sync printed" "$SYNCERR" \
    "patchgate: $(last chat sync-failed details.cause)"
assert_contains "the text names the mirror and the cause" "$(last chat sync-failed text)" \
    "sync failed: $(last chat sync-failed details.cause)"
assert_match "the body has a time" "$(last chat sync-failed time)" \
    '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$'

poll "$BOUND" got chat compliance-changed ||
	pg_notok "the receiver gets compliance-changed for web1's first report within $BOUND s"
assert_eq "compliance-changed names the host" web1 "$(last chat compliance-changed details.host)"
assert_eq "web1 is COMPLIANT" COMPLIANT "$(last chat compliance-changed details.status)"

pg_say "it fails again: no second sync-failed"
pg_sync el9 && pg_notok "the second sync with the upstream down fails"

pg_say "a hold: hold-added to every notifier that asks; the one that hangs stops nobody"
"$top_builddir/patchgate" -c "$PG_CONF" hold 'foo-1.0*' --group dev \
    --reason "CVE-2026-0001 regression" >&2 || pg_notok "patchgate hold"
poll "$BOUND" got chat hold-added || pg_notok "chat gets hold-added within $BOUND s"
# The chat's events come in order: the second failure was recorded before.
assert_eq "one sync-failed for two failed syncs in a row" 1 "$(count chat sync-failed)"
assert_eq "hold-added names the group" dev "$(last chat hold-added group)"
assert_eq "hold-added names the pattern" 'foo-1.0*' "$(last chat hold-added details.pattern)"
assert_contains "hold-added says why" "$(last chat hold-added text)" "CVE-2026-0001 regression"

poll "$BOUND" test -s "$RECV/slack.jsonl" || pg_notok "slack gets hold-added within $BOUND s"
assert_eq "format = slack: the body is the text alone" '["text"]' \
    "$("$PYTHON" -c 'import json, sys; print(json.dumps(sorted(json.loads(open(sys.argv[1]).readline()))))' "$RECV/slack.jsonl")"
assert_contains "the slack text says it" \
    "$("$PYTHON" -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["text"])' "$RECV/slack.jsonl")" \
    "held foo-1.0* for group dev: CVE-2026-0001 regression"

poll "$BOUND" got flaky hold-added || pg_notok "flaky gets hold-added within $BOUND s, after a 500"
assert_eq "flaky was asked twice: a 500, then the retry" 2 "$(wc -l <"$RECV/flaky.attempts")"
assert_contains "the failed attempt is logged with the next try" "$(cat "$T/patchgated.log")" \
    "notify flaky: hold-added event: attempt 1 of 6 failed: $HOOK/flaky (HTTP 500); next in 1s"

poll "$BOUND" test -s "$RECV/hang.jsonl" || pg_notok "the hanging receiver got the POST"
# It hangs now (timeout = 4s): patchgated serves at the same time.
pg_next repomd
t0=$EPOCHREALTIME
code=$(http_get "$DEV/repodata/repomd.xml" "$REPLY" --max-time 3)
t1=$EPOCHREALTIME
assert_eq "a view file is served while a receiver hangs" 200 "$code"
assert_true "... at once (under 1 s: $("$PYTHON" -c "print(round($t1 - $t0, 3))") s)" \
    "$PYTHON" -c "import sys; sys.exit(0 if $t1 - $t0 < 1 else 1)"

dead_failed() {
	curl -s --max-time 5 "$PG_URL/metrics" |
	    grep -Eq '^patchgate_notify_failures_total\{notify="dead"\} [1-9]'
}
poll "$BOUND" dead_failed || pg_notok "/metrics counts the hanging receiver's failures within $BOUND s"
pg_next metrics
curl -s --max-time 5 "$PG_URL/metrics" >"$REPLY"
assert_true "/metrics: the failure of dead is counted" \
    grep -Eq '^patchgate_notify_failures_total\{notify="dead"\} [1-9]' "$REPLY"
assert_true "/metrics: flaky failed once" \
    grep -qx 'patchgate_notify_failures_total{notify="flaky"} 1' "$REPLY"
assert_true "/metrics: flaky sent one" grep -qx 'patchgate_notify_sent_total{notify="flaky"} 1' "$REPLY"
assert_true "/metrics: chat never failed" \
    grep -qx 'patchgate_notify_failures_total{notify="chat"} 0' "$REPLY"
assert_true "/metrics: the counters are typed" \
    grep -qx '# TYPE patchgate_notify_failures_total counter' "$REPLY"
assert_contains "the timeout is logged" "$(cat "$T/patchgated.log")" \
    "notify dead: hold-added event: attempt 1 of 6 failed: $HOOK/hang"

pg_say "upstream back, with foo-1.1: the next sync recovers"
mkrpm "$REPO/Packages" foo 1.1
mkrepo "$REPO"
start_upstream "$W"
write_conf
pg_sync el9 || pg_notok "the sync with the upstream back succeeds"
poll "$BOUND" got chat sync-recovered || pg_notok "chat gets sync-recovered within $BOUND s"
assert_eq "sync-recovered names the mirror" el9 "$(last chat sync-recovered mirror)"
assert_contains "sync-recovered says what the failure was" \
    "$(last chat sync-recovered text)" "mirror el9: sync recovered"
poll "$BOUND" got chat compliance-changed 2 ||
	pg_notok "chat gets compliance-changed for web1 within $BOUND s"
assert_eq "web1 is NON_COMPLIANT now: foo-1.1 is Missing" NON_COMPLIANT \
    "$(last chat compliance-changed details.status)"
assert_eq "... after COMPLIANT" COMPLIANT "$(last chat compliance-changed details.previous)"
assert_contains "the text says it" "$(last chat compliance-changed text)" \
    "group dev, host web1: COMPLIANT -> NON_COMPLIANT"

pg_say "unhold: hold-removed"
"$top_builddir/patchgate" -c "$PG_CONF" unhold 'foo-1.0*' --group dev >&2 ||
	pg_notok "patchgate unhold"
poll "$BOUND" got chat hold-removed || pg_notok "chat gets hold-removed within $BOUND s"
assert_eq "hold-removed names the pattern" 'foo-1.0*' "$(last chat hold-removed details.pattern)"

pg_say "a restart sends no history again"
# Views changed at the first sync, the hold (foo-1.0 hidden), the sync
# that brought foo-1.1, the unhold.
poll "$BOUND" got chat view-changed 4 || pg_notok "chat gets 4 view-changed within $BOUND s"
BEFORE=$(wc -l <"$RECV/chat.jsonl")
stop_patchgated
start_patchgated "$PG_CONF"
"$top_builddir/patchgate" -c "$PG_CONF" hold 'foo-9*' --reason "after the restart" >&2 ||
	pg_notok "patchgate hold after the restart"
poll "$BOUND" got chat hold-added 2 || pg_notok "chat gets the new hold-added within $BOUND s"
# The hold changes no view (no foo-9): one new line, nothing resent.
assert_eq "after the restart chat got the new event alone" $((BEFORE + 1)) \
    "$(wc -l <"$RECV/chat.jsonl")"
assert_eq "hold-added for every group has no group" "" "$(last chat hold-added group)"

pg_say "the journal is rotated once every notifier has read it"
stop_patchgated
write_conf nodead
export PATCHGATE_EVENTS_ROTATE=1
start_patchgated "$PG_CONF"
unset PATCHGATE_EVENTS_ROTATE
poll "$BOUND" test -s "$STORE/log/events.jsonl.1" || pg_notok "events.jsonl is rotated within $BOUND s"
assert_false "no events.jsonl after the rotation" test -e "$STORE/log/events.jsonl"
"$top_builddir/patchgate" -c "$PG_CONF" hold 'bar-1*' --reason "after the rotation" >&2 ||
	pg_notok "patchgate hold after the rotation"
poll "$BOUND" got chat hold-added 3 || pg_notok "chat gets hold-added from the new journal within $BOUND s"
assert_contains "it is the new hold" "$(last chat hold-added text)" "held bar-1* for every group"

stop_patchgated
pg_done
