#!/bin/bash
# patchgated keeps views current by itself: with sync-every = 2s it runs
# patchgate sync on its own, so dnf in a delay-0 group sees an upstream
# change with no command typed; each run's complete output lands in
# STORE/log and "patchgate log" prints it byte for byte (UTF-8 from
# upstream included); SIGHUP with a broken configuration is refused and
# the daemon keeps serving, SIGHUP with a good one takes effect (a new
# group answers); a sync that fails (upstream stopped) is recorded, and
# the views are still served.
#
# Nothing here sleeps to wait: every wait polls a condition with a bound.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"

need python3 curl gpg gpgv rpmbuild createrepo_c modifyrepo_c
need_dnf
pg_need_programs

# The daemon spawns this build's patchgate, not an installed one.
export PATCHGATE_BIN=$top_builddir/patchgate

W=$T/www
REPO=$W/repo
STORE=$T/store
# Generous bounds: an ASan build spawns slowly.
BOUND=${PG_SCHED_BOUND:-90}

# poll SECONDS COMMAND...: runs COMMAND every 0.2 s until it succeeds; 1
# when SECONDS pass first.
poll() {
	local end=$((SECONDS + $1))
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ $SECONDS -lt $end ] || return 1
		kill -0 "$PG_PID" 2>/dev/null || { echo "patchgated died" >&2; return 1; }
		sleep 0.2
	done
}

write_conf() {
	cat >"$PG_CONF" <<-EOF
	[server]
	listen = 127.0.0.1:0
	store = $STORE
	log-keep = 1d

	[mirror el9]
	type = rpm-md
	url = $UPSTREAM_URL/repo
	sync-every = 2s

	[baseline dev]
	rule = classification=* delay=0

	[group dev]
	baseline = dev
	mirrors = el9
	EOF
}

pg_say "upstream: foo-1.0"
mkrpm "$REPO/Packages" foo 1.0
mkrepo "$REPO"
start_upstream "$W"

PG_CONF=$T/patchgate.conf
write_conf
# No sync by hand: the daemon's first scheduled sync publishes the view.
start_patchgated "$PG_CONF"
DEV=$PG_URL/dev/el9

view_up() { [ "$(http_get "$DEV/repodata/repomd.xml" /dev/null)" = 200 ]; }
poll "$BOUND" view_up || fail "patchgated published no view of dev/el9 within $BOUND s"
pg_ok "patchgated synced and published dev/el9 by itself"
assert_eq "dnf in dev sees foo-1.0" foo-1.0-1.noarch "$(dnf_available "$T/dnf" "$DEV")"

pg_say "upstream: + foo-1.1, and a notes file with a UTF-8 type that is missing"
mkrpm "$REPO/Packages" foo 1.1
mkrepo "$REPO"
echo '<notes/>' >"$T/notes.xml"
repo_add_data "$REPO" notes "$T/notes.xml"
# A vendor's repomd.xml naming a file it does not serve, with a type in
# UTF-8: the indexer's warning carries those bytes into the run's log.
UTF8=$'notes-\xc3\xb1\xc3\xa9-\xe2\x9c\x93'
sed -i "s/type=\"notes\"/type=\"$UTF8\"/" "$REPO/repodata/repomd.xml"
rm -f "$REPO"/repodata/*-notes.xml*

sees_new() {
	dnf_available "$T/dnf" "$DEV" | grep -qx foo-1.1-1.noarch
}
poll "$BOUND" sees_new || pg_notok "dnf in dev sees foo-1.1 within $BOUND s, with no command run"
assert_eq "dnf in dev sees foo-1.1 with no command run" \
    "foo-1.0-1.noarch foo-1.1-1.noarch" "$(dnf_available "$T/dnf" "$DEV" | tr '\n' ' ' | sed 's/ $//')"

pg_say "the run logs"
assert_true "STORE/log holds sync logs of el9" \
    sh -c "ls '$STORE/log' | grep -q -- '-sync-el9\.log\$'"
UTF8LOG=$(grep -l -F -- "$UTF8" "$STORE"/log/*-sync-el9.log | head -n 1)
[ -n "$UTF8LOG" ] || pg_notok "a sync log holds the UTF-8 warning" "$(ls -l "$STORE/log")"
[ -n "$UTF8LOG" ] && pg_ok "a sync log holds the UTF-8 warning ($(basename "$UTF8LOG"))"
assert_true "that run's result is recorded: exit 0" grep -qx 'exit 0' "$UTF8LOG.result"

pg_next log
LOGOUT=$REPLY
"$top_builddir/patchgate" -c "$PG_CONF" log el9 --last 1000 >"$LOGOUT" 2>"$LOGOUT.err" ||
	pg_notok "patchgate log el9 --last 1000" "$(cat "$LOGOUT.err")"
# The whole file, byte for byte, is in what patchgate log prints.
assert_true "patchgate log prints the run's log complete, UTF-8 intact" \
    "$PYTHON" -c 'import sys; sys.exit(0 if open(sys.argv[1],"rb").read() in open(sys.argv[2],"rb").read() and len(open(sys.argv[1],"rb").read()) > 0 else 1)' \
    "$UTF8LOG" "$LOGOUT"
assert_contains "patchgate log names the run's result" "$(cat "$LOGOUT")" "=== sync el9, started"
assert_eq "patchgate log prints one run by default" 1 \
    "$("$top_builddir/patchgate" -c "$PG_CONF" log | grep -c '^=== ')"
assert_eq "patchgate log --last 2 prints two runs" 2 \
    "$("$top_builddir/patchgate" -c "$PG_CONF" log --last 2 | grep -c '^=== ')"
pg_next json
"$top_builddir/patchgate" -c "$PG_CONF" log el9 --last 1000 --json >"$REPLY" 2>&1
assert_true "patchgate log --json carries the same output, decoded" \
    "$PYTHON" -c 'import json, sys
runs = json.load(open(sys.argv[2]))
r = [x for x in runs if x["path"] == sys.argv[1]][0]
sys.exit(0 if r["output"] == open(sys.argv[1], "rb").read().decode("utf-8") and r["exit"] == 0 and not r["output_lossy"] else 1)' \
    "$UTF8LOG" "$REPLY"

pg_say "SIGHUP with a broken configuration"
cp "$PG_CONF" "$T/good.conf"
printf '[server]\nbogus-key = 1\n' >>"$PG_CONF"
kill -HUP "$PG_PID"
refused() { grep -q 'refused' "$T/patchgated.log"; }
poll 20 refused || pg_notok "patchgated says it refused the broken configuration"
assert_contains "the refusal says why (file:line: message)" "$(cat "$T/patchgated.log")" \
    "$PG_CONF:18: [server]: unknown key \"bogus-key\""
assert_true "patchgated still runs" kill -0 "$PG_PID"
assert_status "$DEV/repodata/repomd.xml" 200
assert_status "$PG_URL/qa/el9/repodata/repomd.xml" 404

pg_say "SIGHUP with a good configuration: a new group qa"
cp "$T/good.conf" "$PG_CONF"
printf '\n[group qa]\nbaseline = dev\nmirrors = el9\n' >>"$PG_CONF"
kill -HUP "$PG_PID"
loaded() { grep -q 'configuration .* loaded' "$T/patchgated.log"; }
poll 20 loaded || pg_notok "patchgated says it loaded the new configuration"
qa_up() { [ "$(http_get "$PG_URL/qa/el9/repodata/repomd.xml" /dev/null)" = 200 ]; }
poll "$BOUND" qa_up || pg_notok "the new group qa answers within $BOUND s"
assert_status "$PG_URL/qa/el9/repodata/repomd.xml" 200
assert_eq "dnf in qa sees foo-1.1" "foo-1.0-1.noarch foo-1.1-1.noarch" \
    "$(dnf_available "$T/dnf-qa" "$PG_URL/qa/el9" | tr '\n' ' ' | sed 's/ $//')"

pg_say "upstream stops: the scheduled sync fails, the views stay"
stop_upstream
failed() { grep -q 'mirror el9: scheduled sync failed' "$T/patchgated.log"; }
poll "$BOUND" failed || pg_notok "patchgated warns that the scheduled sync of el9 failed"
assert_match "the warning names the cause from the run's output" \
    "$(grep 'mirror el9: scheduled sync failed' "$T/patchgated.log" | head -n 1)" \
    'scheduled sync failed \(exit 1\): .*(connect|refused|127\.0\.0\.1)'
FAILLOG=$(grep -l -x 'exit 1' "$STORE"/log/*-sync-el9.log.result | head -n 1)
assert_ne "the failed run is recorded with exit 1" "" "$FAILLOG"
assert_match "patchgate log --json shows a failed run of el9" \
    "$("$top_builddir/patchgate" -c "$PG_CONF" log el9 --last 1000 --json)" '"exit": 1'
assert_true "patchgated still runs" kill -0 "$PG_PID"
assert_status "$DEV/repodata/repomd.xml" 200
assert_eq "dnf in dev still sees foo-1.1" "foo-1.0-1.noarch foo-1.1-1.noarch" \
    "$(dnf_available "$T/dnf" "$DEV" | tr '\n' ' ' | sed 's/ $//')"

pg_say "a sync by hand is logged in the same place"
pg_sync && pg_notok "a sync by hand with upstream stopped fails"
HAND=$(ls "$STORE/log" | grep -- '-sync-all\.log$' | tail -n 1)
assert_ne "the sync by hand has its run log" "" "$HAND"
assert_true "its result is exit 1" grep -qx 'exit 1' "$STORE/log/$HAND.result"
assert_contains "patchgate log shows its output" \
    "$("$top_builddir/patchgate" -c "$PG_CONF" log el9 --last 1000)" \
    "$(head -n 1 "$STORE/log/$HAND")"

stop_patchgated
pg_done
