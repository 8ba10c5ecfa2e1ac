#!/bin/bash
# patchgated publishes a view when it ripens, with no command run and no
# sync: a sync on 2026-01-10 sees foo-1.1, which prod (delay 1 day) may
# see from 2026-01-11; the publish records that in the view's
# next-change.  The daemon, started with the clock on 2026-01-12 and
# sync-every = off, finds that time passed and runs "patchgate publish" by
# itself: dnf in prod then sees foo-1.1, and "patchgate log" shows the run.
#
# Nothing here sleeps to wait: every wait polls a condition with a bound.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"

need python3 curl gpg gpgv rpmbuild createrepo_c
need_dnf
pg_need_programs

# The daemon spawns this build's patchgate, not an installed one.
export PATCHGATE_BIN=$top_builddir/patchgate

W=$T/www
REPO=$W/repo
STORE=$T/store
BOUND=${PG_SCHED_BOUND:-90}

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

pg_say "upstream: foo-1.0"
mkrpm "$REPO/Packages" foo 1.0
mkrepo "$REPO"
start_upstream "$W"

PG_CONF=$T/patchgate.conf
cat >"$PG_CONF" <<EOF
[server]
listen = 127.0.0.1:0
store = $STORE

[mirror el9]
type = rpm-md
url = $UPSTREAM_URL/repo
sync-every = off

[baseline prod]
rule = classification=* delay=1d

[group prod]
baseline = prod
mirrors = el9
EOF

PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync || fail "the first sync failed"
mkrpm "$REPO/Packages" foo 1.1
mkrepo "$REPO"
PATCHGATE_NOW=2026-01-10T00:00:00Z pg_sync || fail "the sync of 2026-01-10 failed"
NEXT=$(cat "$STORE/views/prod/el9/next-change")
assert_eq "the publish recorded when prod's view ripens (2026-01-11)" \
    "$("$PYTHON" -c 'import calendar, time; print(calendar.timegm(time.strptime("2026-01-11", "%Y-%m-%d")))')" \
    "$NEXT"
GEN=$(readlink "$STORE/views/prod/el9/current")

pg_say "patchgated on 2026-01-12, no sync: it publishes by itself"
PATCHGATE_NOW=2026-01-12T00:00:00Z start_patchgated "$PG_CONF"
PROD=$PG_URL/prod/el9
advanced() { [ "$(readlink "$STORE/views/prod/el9/current")" != "$GEN" ]; }
poll "$BOUND" advanced || pg_notok "patchgated published prod within $BOUND s"
assert_ne "patchgated published a new generation of prod" "$GEN" \
    "$(readlink "$STORE/views/prod/el9/current")"
assert_eq "dnf in prod sees foo-1.1, with no command run" \
    "$(printf '%s\n' foo-1.0-1.noarch foo-1.1-1.noarch)" "$(dnf_available "$T/dnf" "$PROD")"
assert_eq "nothing more ripens" "" "$(cat "$STORE/views/prod/el9/next-change")"
assert_true "the daemon ran a publish, not a sync" \
    sh -c "ls '$STORE/log' | grep -q -- '-publish-all\.log\$'"
assert_false "the daemon ran no sync (sync-every = off)" \
    sh -c "ls '$STORE/log' | grep -v -- '-sync-all\.log' | grep -q -- '-sync-el9\.log'"
assert_contains "patchgate log shows the publish" \
    "$("$top_builddir/patchgate" -c "$PG_CONF" log 2>&1)" "=== publish"

pg_done
