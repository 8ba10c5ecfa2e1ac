#!/bin/bash
# A lock per mirror, not per store: while `patchgate sync a` is stuck on an
# upstream that drips 2 bytes a second, `patchgate sync b` completes and
# the group's view of b is served with b's new version; a second
# `patchgate sync a` waits for the first and says so.  The first sync of a
# then gives up at its fetch-timeout with a clear error, a's view having
# stayed byte for byte as it was, and the waiting one completes.  Then
# the same for an apt mirror c whose Packages.xz drips: `patchgate sync b`
# completes meanwhile, and c's view stays as it was until a sync of c that
# gets its files.  The mirrors are in one group, whose views are published
# by every sync.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"
. "$top_srcdir/tests/e2e/mkaptrepo.sh"

need python3 curl gpg rpmbuild createrepo_c apt-ftparchive dpkg-deb xz gzip
pg_need_programs

W=$T/www
STORE=$T/store
FAULT=$T/fault
: >"$FAULT"

pg_say "upstreams a (foo-1.0), b (bar-1.0) and c (apt: hello 1.0), served by one fault server"
mkrpm "$W/a/Packages" foo 1.0
mkrepo "$W/a"
mkrpm "$W/b/Packages" bar 1.0
mkrepo "$W/b"
mkdeb "$W/c" hello 1.0
mkaptrepo "$W/c" 2025-12-31T00:00:00Z

pg_next upstream.port
PORTFILE=$REPLY
"$PYTHON" "$top_srcdir/tests/e2e/faulthttpd.py" "$W" "$PORTFILE" "$FAULT" 2>>"$T/upstream.log" &
UPSTREAM_PID=$!
pg_track $UPSTREAM_PID
wait_for_file "$PORTFILE" 10 $UPSTREAM_PID || fail "the fault server did not start"
UPSTREAM_URL=http://127.0.0.1:$(cat "$PORTFILE")

PG_CONF=$T/patchgate.conf
cat >"$PG_CONF" <<EOF
[server]
listen = 127.0.0.1:0
store = $STORE

[mirror a]
type = rpm-md
url = $UPSTREAM_URL/a
fetch-timeout = 30s

[mirror b]
type = rpm-md
url = $UPSTREAM_URL/b

[mirror c]
type = apt
url = $UPSTREAM_URL/c
suites = bookworm
components = main
architectures = amd64
keyring = $T/keys/archive.gpg
fetch-timeout = 30s

[baseline dev]
rule = classification=* delay=0

[group dev]
baseline = dev
mirrors = a b c
EOF
export PATCHGATE_NOW=2026-01-01T00:00:00Z
PG_SYNC_TIMEOUT=60

pg_sync || fail "the first sync of a, b and c failed"
start_patchgated "$PG_CONF"
[ "$(http_get "$PG_URL/dev/a/repodata/repomd.xml" "$T/a-repomd.good")" = 200 ] ||
	fail "the view of a serves no repomd.xml"
[ "$(http_get "$PG_URL/dev/c/dists/bookworm/InRelease" "$T/c-inrelease.good")" = 200 ] ||
	fail "the view of c serves no InRelease"

pg_say "upstreams a and b get foo-1.1 and bar-1.1; a's new primary drips"
mkrpm "$W/a/Packages" foo 1.1
mkrepo "$W/a"
mkrpm "$W/b/Packages" bar 1.1
mkrepo "$W/b"
APRIMARY=$(repomd_href "$W/a" primary) || fail "no primary in a"
echo "a/$APRIMARY drip" >"$FAULT"

# sync_bg NAME MIRROR: `patchgate sync MIRROR` in the background; its
# output in $T/NAME.err, its exit status in $T/NAME.rc.
sync_bg() {
	( timeout -k 5 60 "$top_builddir/patchgate" -c "$PG_CONF" sync "$2" \
	    >"$T/$1.out" 2>"$T/$1.err"; echo $? >"$T/$1.rc" ) &
	REPLY=$!
	pg_track $REPLY
}

# wait_for_grep FILE ERE SECONDS
wait_for_grep() {
	local n=$(($3 * 10))
	until grep -Eq "$2" "$1" 2>/dev/null; do
		[ $n -gt 0 ] || return 1
		sleep 0.1
		n=$((n - 1))
	done
}

export PATCHGATE_NOW=2026-01-02T00:00:00Z
sync_bg sync-a1 a
A1=$REPLY
wait_for_grep "$T/upstream.log" "^GET /a/$APRIMARY drip" 20 ||
	fail "sync a never asked for its primary"

pg_say "sync b while sync a is stuck in its download"
if pg_sync b; then pg_ok "sync b completes while sync a is running"
else pg_notok "sync b completes while sync a is running" "$(tail -n 5 "$SYNC_ERR")"; fi
assert_false "sync a is still running when sync b is done" test -s "$T/sync-a1.rc"
assert_not_contains "sync b did not wait for a lock" "$(cat "$SYNC_ERR")" "waiting"

pg_rpmmd fetch "$PG_URL/dev/b" primary "$T/b-primary.xml" ||
	pg_notok "the view of b serves its primary"
assert_contains "the view of b lists bar-1.1" "$(cat "$T/b-primary.xml")" 'ver="1.1"'
assert_true "the view of b is consistent" pg_rpmmd consistent "$PG_URL/dev/b"
[ "$(http_get "$PG_URL/dev/a/repodata/repomd.xml" "$T/a-repomd.now")" = 200 ] ||
	pg_notok "the view of a still serves repomd.xml"
assert_files_eq "the view of a is unchanged while its sync runs" \
    "$T/a-repomd.good" "$T/a-repomd.now"

pg_say "a second sync of a waits for the first"
: >"$FAULT"
sync_bg sync-a2 a
A2=$REPLY
if wait_for_grep "$T/sync-a2.err" "holds .*locks/mirror\.a\.lock.*waiting" 10; then
	pg_ok "the second sync of a says it waits for the first"
else
	pg_notok "the second sync of a says it waits for the first" "$(cat "$T/sync-a2.err")"
fi
assert_false "the second sync of a has not finished while the first runs" \
    test -s "$T/sync-a2.rc"

pg_say "the first sync of a gives up at its fetch-timeout"
wait_for_file "$T/sync-a1.rc" 90 || fail "sync a did not end"
assert_eq "the first sync of a fails" 1 "$(cat "$T/sync-a1.rc")"
assert_match "the error names mirror, file and cause" "$(cat "$T/sync-a1.err")" \
    "mirror a: .*primary\.xml\.gz: not complete within 30 s \(fetch-timeout\)"
wait_for_file "$T/sync-a2.rc" 90 || fail "the second sync of a did not end"
assert_eq "the second sync of a completes" 0 "$(cat "$T/sync-a2.rc")"
pg_rpmmd fetch "$PG_URL/dev/a" primary "$T/a-primary.xml" ||
	pg_notok "the view of a serves its primary"
assert_contains "the view of a lists foo-1.1" "$(cat "$T/a-primary.xml")" 'ver="1.1"'
assert_true "the view of a is consistent" pg_rpmmd consistent "$PG_URL/dev/a"
assert_eq "STORE/tmp is empty" "" "$(ls -A "$STORE/tmp")"
wait "$A1" "$A2" 2>/dev/null

pg_say "upstreams c and b get hello 1.1 and bar-1.2; c's new Packages.xz drips"
mkdeb "$W/c" hello 1.1
mkaptrepo "$W/c" 2026-01-02T12:00:00Z
mkrpm "$W/b/Packages" bar 1.2
mkrepo "$W/b"
CPACKAGES=c/dists/bookworm/main/binary-amd64/Packages.xz
echo "$CPACKAGES drip" >"$FAULT"

export PATCHGATE_NOW=2026-01-03T00:00:00Z
sync_bg sync-c1 c
C1=$REPLY
wait_for_grep "$T/upstream.log" "^GET /$CPACKAGES drip" 20 ||
	fail "sync c never asked for its Packages.xz"

pg_say "sync b while sync c is stuck in its download"
if pg_sync b; then pg_ok "sync b completes while sync c is running"
else pg_notok "sync b completes while sync c is running" "$(tail -n 5 "$SYNC_ERR")"; fi
assert_false "sync c is still running when sync b is done" test -s "$T/sync-c1.rc"
assert_not_contains "sync b did not wait for a lock" "$(cat "$SYNC_ERR")" "waiting"

pg_rpmmd fetch "$PG_URL/dev/b" primary "$T/b-primary-2.xml" ||
	pg_notok "the view of b serves its primary"
assert_contains "the view of b lists bar-1.2" "$(cat "$T/b-primary-2.xml")" 'ver="1.2"'
assert_true "the view of b is consistent" pg_rpmmd consistent "$PG_URL/dev/b"
[ "$(http_get "$PG_URL/dev/c/dists/bookworm/InRelease" "$T/c-inrelease.now")" = 200 ] ||
	pg_notok "the view of c still serves InRelease"
assert_files_eq "the view of c is unchanged while its sync runs" \
    "$T/c-inrelease.good" "$T/c-inrelease.now"

pg_say "the sync of c gives up at its fetch-timeout, then a sync of c completes"
wait_for_file "$T/sync-c1.rc" 90 || fail "sync c did not end"
assert_eq "the first sync of c fails" 1 "$(cat "$T/sync-c1.rc")"
assert_match "the error names mirror, file and cause" "$(cat "$T/sync-c1.err")" \
    "mirror c: .*Packages\.xz: not complete within 30 s \(fetch-timeout\)"
[ "$(http_get "$PG_URL/dev/c/dists/bookworm/InRelease" "$T/c-inrelease.now")" = 200 ] ||
	pg_notok "the view of c still serves InRelease"
assert_files_eq "the view of c is unchanged after its failed sync" \
    "$T/c-inrelease.good" "$T/c-inrelease.now"
: >"$FAULT"
pg_sync c || pg_notok "the second sync of c completes" "$(tail -n 5 "$SYNC_ERR")"
pg_apt index "$PG_URL/dev/c" bookworm main amd64 "$T/c-packages" ||
	pg_notok "the view of c serves its Packages"
assert_contains "the view of c lists hello 1.1" "$(pg_apt versions "$T/c-packages")" "hello=1.1"
assert_true "the view of c is consistent" pg_apt consistent "$PG_URL/dev/c" bookworm
assert_eq "STORE/tmp is empty after the syncs of c" "" "$(ls -A "$STORE/tmp")"
wait "$C1" 2>/dev/null

pg_done
