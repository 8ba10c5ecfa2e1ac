#!/bin/bash
# Maintenance windows, end to end: real rpms, createrepo_c, an HTTP
# upstream and real dnf installing through patchgated.  prod (delay 7d,
# window = 0 2 * * sat 4h) advances its view only on Saturdays from 02:00
# to 06:00 UTC; dev (delay 0, no window) follows upstream at once.
#
# 2026-01-01 Thu  first sync: foo-1.0, bar-1.0 (the base); prod's first
#                 view is published at once, outside any window.
# 2026-01-06 Tue  foo-1.1 arrives; the repodata drops foo-1.0 (its rpm
#                 stays in the directory until after this sync, then goes).
# 2026-01-10 Sat  03:00, in a window: nothing has ripened, nothing changes.
# 2026-01-13 Tue  12:00: foo-1.1 ripens for prod.
# 2026-01-14 Wed  sync: prod stays frozen, foo-1.0 served from the store.
# 2026-01-15 Thu  hold bar for prod until 2026-01-20: applies at once.
# 2026-01-16 Fri  sync: prod stays frozen.
# 2026-01-17 Sat  03:00: prod advances, dnf upgrades foo to 1.1.
# 2026-01-20 Tue  00:00, outside any window: the hold ends at once.
# Each step checks STORE/views/G/M/next-change.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"

need python3 curl gpg gpgv rpmbuild createrepo_c
need_dnf
pg_need_programs

W=$T/www
REPO=$W/repo
STORE=$T/store

# epoch RFC3339: unix seconds.
epoch() { date -u -d "$1" +%s; }
# gen GROUP: the generation prod's or dev's current link points at.
gen() { readlink "$STORE/views/$1/el9/current"; }
planned() { cat "$STORE/views/$1/el9/$(gen "$1")/planned" 2>/dev/null; }
next_change() { cat "$STORE/views/$1/el9/next-change" 2>/dev/null || echo missing; }
# fresh ROOT URL: dnf checks a repository's metadata only when the cache
# is older than metadata_expire (0) in whole seconds, so a dnf run in the
# same second as the previous download would not see a new generation:
# --refresh makes it check now.
fresh() { dnf_in "$1" "$2" -q --refresh makecache >/dev/null 2>&1 || pg_notok "dnf makecache --refresh ($1)"; }
# pg_publish: patchgate publish, bounded in time, logged like pg_sync.
pg_publish() {
	local rc
	echo "+ PATCHGATE_NOW=${PATCHGATE_NOW:-} patchgate -c $PG_CONF publish" >&2
	timeout -k 5 300 "$top_builddir/patchgate" -c "$PG_CONF" publish >"$T/publish.out" 2>&1
	rc=$?
	sed 's/^/  | /' "$T/publish.out" >&2
	return $rc
}

pg_say "configuration errors name the file, the line and the field"
cat >"$T/bad.conf" <<EOF
[server]
store = $STORE

[mirror el9]
type = rpm-md
url = http://127.0.0.1:1/repo

[baseline b]
rule = classification=* delay=7d

[group prod]
baseline = b
mirrors = el9
window = 61 2 * * sat 4h
window = 0 2 * * funday 4h
window = 0 2 * * sat 30s
window = 0 2 30 feb * 4h
EOF
"$top_builddir/patchgate" -c "$T/bad.conf" status >"$T/bad.out" 2>&1
assert_ne "a configuration with bad windows is refused" 0 $?
BAD=$(cat "$T/bad.out")
assert_contains "minute out of range, with file and line" "$BAD" \
    "$T/bad.conf:14: window: minute field \"61\" out of range 0-59"
assert_contains "an unknown day name" "$BAD" \
    "$T/bad.conf:15: window: day-of-week field \"funday\" is not a number or a day name (sun..sat)"
assert_contains "a duration under a minute" "$BAD" \
    "$T/bad.conf:16: window: duration \"30s\" is shorter than 1m"
assert_contains "a window that never opens" "$BAD" \
    "$T/bad.conf:17: window: day-of-month field \"30\" never falls in month field \"feb\""

pg_say "upstream: foo-1.0 bar-1.0"
for p in foo bar; do mkrpm "$REPO/Packages" $p 1.0; done
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

[baseline dev]
rule = classification=* delay=0

[baseline prod]
rule = classification=* delay=7d

[group dev]
baseline = dev
mirrors = el9

[group prod]
baseline = prod
mirrors = el9
# Saturdays, 02:00 to 06:00 UTC
window = 0 2 * * sat 4h
EOF

pg_say "2026-01-01 (Thursday): the first sync publishes prod at once"
PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync || fail "the first sync failed"
G0=$(gen prod)
assert_ne "prod has a first view outside any window" "" "$G0"
assert_eq "prod's first view is planned at the first sync" "$(epoch 2026-01-01T00:00:00Z)" "$(planned prod)"
assert_eq "prod: nothing will change by time" "" "$(next_change prod)"
assert_eq "dev: nothing will change by time" "" "$(next_change dev)"

pg_say "2026-01-06 (Tuesday): + foo-1.1; the repodata drops foo-1.0"
mkrpm "$REPO/Packages" foo 1.1
mkdir -p "$T/aside"
mv "$REPO/Packages/foo-1.0-1.noarch.rpm" "$T/aside/"
mkrepo "$REPO"
mv "$T/aside/foo-1.0-1.noarch.rpm" "$REPO/Packages/"
PATCHGATE_NOW=2026-01-06T12:00:00Z pg_sync || fail "the sync of 2026-01-06 failed"
# The pool deletes the file soon after: prod must be served from the store.
rm -f "$REPO/Packages/foo-1.0-1.noarch.rpm"
# Its gate (packages.idx) now names foo-1.1 as hidden: a new generation,
# still planned at the first sync's time.
G1=$(gen prod)
assert_eq "prod stays planned at the first sync (no window is open)" \
    "$(epoch 2026-01-01T00:00:00Z)" "$(planned prod)"
assert_eq "prod: foo-1.1 ripens on Tuesday 13th, the view changes when the next window opens (Saturday 17th 02:00)" \
    "$(epoch 2026-01-17T02:00:00Z)" "$(next_change prod)"
assert_eq "dev: nothing will change by time" "" "$(next_change dev)"

pg_say "2026-01-10 (Saturday) 03:00: in a window, but nothing has ripened"
PATCHGATE_NOW=2026-01-10T03:00:00Z pg_publish || pg_notok "publish of 2026-01-10"
assert_eq "prod keeps its generation: nothing ripened" "$G1" "$(gen prod)"
assert_eq "prod: next change still Saturday 17th 02:00" \
    "$(epoch 2026-01-17T02:00:00Z)" "$(next_change prod)"

PATCHGATE_NOW=2026-01-14T12:00:00Z start_patchgated "$PG_CONF"
DEV=$PG_URL/dev/el9
PROD=$PG_URL/prod/el9

pg_say "2026-01-14 (Wednesday): foo-1.1 is 8 days old, prod stays frozen"
PATCHGATE_NOW=2026-01-14T12:00:00Z pg_sync || fail "the sync of 2026-01-14 failed"
assert_eq "prod keeps its generation on Wednesday" "$G1" "$(gen prod)"
assert_eq "prod: the view changes when the window opens on Saturday 17th 02:00" \
    "$(epoch 2026-01-17T02:00:00Z)" "$(next_change prod)"
assert_eq "prod lists foo-1.0 and bar-1.0 only" \
    "$(printf '%s\n' bar-1.0-1.noarch foo-1.0-1.noarch)" "$(dnf_available "$T/prod" "$PROD")"
dnf_in "$T/prod" "$PROD" install foo bar || pg_notok "dnf install foo bar in prod"
assert_eq "prod installs foo-1.0 (upstream deleted it: served from the store)" 1.0-1 "$(installed "$T/prod" foo)"
assert_eq "prod installs bar-1.0" 1.0-1 "$(installed "$T/prod" bar)"
dnf_in "$T/dev" "$DEV" install foo bar || pg_notok "dnf install foo bar in dev"
assert_eq "dev, no window, installs foo-1.1" 1.1-1 "$(installed "$T/dev" foo)"
# why and status describe the view as served: frozen, not as it would be.
WHY=$(PATCHGATE_NOW=2026-01-14T12:00:00Z "$top_builddir/patchgate" -c "$PG_CONF" \
    why --json prod el9 foo | "$PYTHON" -c '
import json, sys
for v in json.load(sys.stdin)["versions"]:
    print(v["label"], v["listed"])')
assert_contains "why: prod does not list foo-1.1 while frozen" "$WHY" "foo-1.1-1.noarch False"
assert_contains "why: prod lists foo-1.0 while frozen" "$WHY" "foo-1.0-1.noarch True"
NEXT=$(PATCHGATE_NOW=2026-01-14T12:00:00Z "$top_builddir/patchgate" -c "$PG_CONF" \
    status --json | "$PYTHON" -c '
import json, sys
for v in json.load(sys.stdin)["views"]:
    if v["group"] == "prod":
        print(v["next_change"], v["waiting"], v["listed"])')
assert_eq "status: prod changes when the window opens; foo-1.1 counts as waiting" \
    "2026-01-17T02:00:00Z 1 2" "$NEXT"
# preview: a time outside any window shows the frozen view, one inside
# the next window the advanced one.
gains() {
	PATCHGATE_NOW=2026-01-14T12:00:00Z "$top_builddir/patchgate" -c "$PG_CONF" \
	    preview --json prod --at "$1" el9 | "$PYTHON" -c '
import json, sys
for m in json.load(sys.stdin)["mirrors"]:
    print(" ".join(sorted(g["label"] for g in m["gains"])) or "none")'
}
assert_eq "preview: Friday, still frozen, prod gains nothing" none "$(gains 2026-01-16T12:00:00Z)"
assert_eq "preview: Saturday 03:00, in the window, prod gains foo-1.1" \
    foo-1.1-1.noarch "$(gains 2026-01-17T03:00:00Z)"

pg_say "2026-01-15 (Thursday): hold bar in prod until 2026-01-20: at once"
HOLD_UNTIL=2026-01-20T00:00:00Z
if "$top_builddir/patchgate" 2>&1 | grep -q ' hold pattern'; then
	PATCHGATE_NOW=2026-01-15T12:00:00Z "$top_builddir/patchgate" -c "$PG_CONF" hold bar \
	    --group prod --reason "window test" --until $HOLD_UNTIL >"$T/hold.out" 2>&1 ||
		pg_notok "patchgate hold bar" "$(cat "$T/hold.out")"
	cat "$T/hold.out" >&2
else
	need sqlite3
	sqlite3 "$STORE/patchgate.db" "INSERT INTO holds (pattern, grp, reason, until, created) \
	    VALUES ('bar', 'prod', 'window test', $(epoch $HOLD_UNTIL), $(epoch 2026-01-15T12:00:00Z))" ||
		fail "cannot insert a hold"
	PATCHGATE_NOW=2026-01-15T12:00:00Z pg_publish || pg_notok "publish after the hold"
fi
G2=$(gen prod)
assert_ne "the hold publishes prod at once, outside any window" "$G1" "$G2"
assert_eq "prod's planning time stays where it was" "$(epoch 2026-01-01T00:00:00Z)" "$(planned prod)"
fresh "$T/prod" "$PROD"
assert_eq "prod lists foo-1.0 only: bar held, foo-1.1 still waits for the window" \
    "foo-1.0-1.noarch" "$(dnf_available "$T/prod" "$PROD")"
assert_eq "prod: next change still Saturday 17th 02:00 (before the hold ends)" \
    "$(epoch 2026-01-17T02:00:00Z)" "$(next_change prod)"
fresh "$T/dev" "$DEV"
assert_eq "dev still lists bar (the hold is prod's)" \
    "$(printf '%s\n' bar-1.0-1.noarch foo-1.1-1.noarch)" "$(dnf_available "$T/dev" "$DEV")"

pg_say "2026-01-16 (Friday): prod stays frozen"
PATCHGATE_NOW=2026-01-16T12:00:00Z pg_sync || fail "the sync of 2026-01-16 failed"
assert_eq "prod keeps its generation on Friday" "$G2" "$(gen prod)"
fresh "$T/prod" "$PROD"
dnf_in "$T/prod" "$PROD" upgrade || pg_notok "dnf upgrade in prod on Friday"
assert_eq "dnf upgrade in prod on Friday keeps foo-1.0" 1.0-1 "$(installed "$T/prod" foo)"

pg_say "2026-01-17 (Saturday) 03:00: the window is open, prod advances"
PATCHGATE_NOW=2026-01-17T03:00:00Z pg_sync || fail "the sync of 2026-01-17 failed"
G3=$(gen prod)
assert_ne "prod publishes a new generation in the window" "$G2" "$G3"
assert_eq "prod is planned at Saturday 03:00" "$(epoch 2026-01-17T03:00:00Z)" "$(planned prod)"
fresh "$T/prod" "$PROD"
dnf_in "$T/prod" "$PROD" upgrade || pg_notok "dnf upgrade in prod on Saturday"
assert_eq "dnf upgrade in prod on Saturday moves foo to 1.1" 1.1-1 "$(installed "$T/prod" foo)"
assert_eq "prod lists foo-1.1; bar is still held" \
    "foo-1.1-1.noarch" "$(dnf_available "$T/prod" "$PROD")"
assert_eq "prod: the next change is the end of the hold, outside any window" \
    "$(epoch $HOLD_UNTIL)" "$(next_change prod)"

pg_say "2026-01-18 (Sunday): the window closed, a sync changes nothing"
PATCHGATE_NOW=2026-01-18T12:00:00Z pg_sync || fail "the sync of 2026-01-18 failed"
assert_eq "prod keeps its generation on Sunday" "$G3" "$(gen prod)"

pg_say "2026-01-20 (Tuesday) 00:00: the hold ends, at once"
PATCHGATE_NOW=$HOLD_UNTIL pg_publish || pg_notok "publish of 2026-01-20"
assert_ne "the end of the hold publishes prod outside any window" "$G3" "$(gen prod)"
assert_eq "prod's planning time stays Saturday 03:00" "$(epoch 2026-01-17T03:00:00Z)" "$(planned prod)"
fresh "$T/prod" "$PROD"
assert_eq "prod lists bar again" \
    "$(printf '%s\n' bar-1.0-1.noarch foo-1.1-1.noarch)" "$(dnf_available "$T/prod" "$PROD")"
assert_eq "prod: nothing will change by time" "" "$(next_change prod)"
assert_eq "dev: nothing will change by time" "" "$(next_change dev)"

pg_done
