#!/bin/bash
# Bounded downloads: an upstream that sends an endless body, a
# Content-Length of 10^15, 2 bytes a second, or a redirect to another host
# must fail `patchgate sync` quickly, with an error that names the mirror,
# the file and the cause, leave STORE/tmp and the blob store clean, and
# leave the served generation byte for byte as it was.  A sync killed with
# -9 in the middle of a download leaves a temporary file that the next run
# removes, and that run completes.  redirects = any follows the other
# host, and a redirect on the same host is followed by default; both are
# logged.  The upstream is faulthttpd.py, which serves on 127.0.0.1 and
# 127.0.0.2 (two hosts, both loopback).

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"

need python3 curl gpg rpmbuild createrepo_c
pg_need_programs

W=$T/www
REPO=$W/repo
STORE=$T/store
FAULT=$T/fault
: >"$FAULT"

"$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.2", 0))' 2>/dev/null ||
	skip "127.0.0.2 is not a local address here"

pg_say "upstream A: foo-1.0"
mkrpm "$REPO/Packages" foo 1.0
mkrepo "$REPO"

pg_next upstream.port
PORTFILE=$REPLY
"$PYTHON" "$top_srcdir/tests/e2e/faulthttpd.py" "$W" "$PORTFILE" "$FAULT" 2>>"$T/upstream.log" &
UPSTREAM_PID=$!
pg_track $UPSTREAM_PID
wait_for_file "$PORTFILE" 10 $UPSTREAM_PID || fail "the fault server did not start"
UPSTREAM_URL=http://127.0.0.1:$(cat "$PORTFILE")

# mkconf [EXTRA MIRROR LINES]
PG_CONF=$T/patchgate.conf
mkconf() {
	cat >"$PG_CONF" <<-EOF
	[server]
	listen = 127.0.0.1:0
	store = $STORE

	[mirror el9]
	type = rpm-md
	url = $UPSTREAM_URL/repo
	fetch-timeout = 3s
	$*

	[baseline dev]
	rule = classification=* delay=0

	[group dev]
	baseline = dev
	mirrors = el9
	EOF
}
mkconf
export PATCHGATE_NOW=2026-01-01T00:00:00Z
PG_SYNC_TIMEOUT=60

pg_sync || fail "the sync of the good upstream failed"
start_patchgated "$PG_CONF"
DEV=$PG_URL/dev/el9
[ "$(http_get "$DEV/repodata/repomd.xml" "$T/repomd.good")" = 200 ] ||
	fail "the view serves no repodata/repomd.xml"

pg_say "upstream B: foo-1.0, foo-1.1 (a new primary for the faults to hit)"
mkrpm "$REPO/Packages" foo 1.1
mkrepo "$REPO"
PRIMARY=$(repomd_href "$REPO" primary) || fail "no primary in B"
PSIZE=$(stat -c %s "$REPO/$PRIMARY")

PSHA=$(sha256sum "$REPO/$PRIMARY" | cut -c1-64)
# bigblobs: blob files larger than 1 MB (the repository's are a few kB).
bigblobs() { find "$STORE/blobs" -type f -size +1024k | wc -l; }

# after_failure WHAT: the checks every failed sync must pass.
after_failure() {
	local what=$1 got
	assert_eq "$what: STORE/tmp is empty" "" "$(ls -A "$STORE/tmp")"
	assert_eq "$what: no large file in the blob store" 0 "$(bigblobs)"
	assert_eq "$what: B's primary is not in the blob store" "" \
	    "$(find "$STORE/blobs" -name "$PSHA")"
	assert_eq "$what: the view's repomd.xml answers 200" 200 \
	    "$(http_get "$DEV/repodata/repomd.xml" "$T/repomd.now")"
	assert_files_eq "$what: the view's repomd.xml is unchanged" "$T/repomd.good" "$T/repomd.now"
	assert_status "$DEV/Packages/foo-1.0-1.noarch.rpm" 200
	got=$("$top_builddir/patchgate" -c "$PG_CONF" status 2>&1)
	assert_contains "$what: status shows the failure" "$got" "primary.xml"
}

# sync_fails WHAT: the sync must fail (pg_sync in this shell, so that
# $SYNC_ERR names its log).
sync_fails() {
	if pg_sync; then pg_notok "$1" "the sync succeeded"; else pg_ok "$1"; fi
}
sync_works() {
	if pg_sync; then pg_ok "$1"; else pg_notok "$1" "$(tail -n 5 "$SYNC_ERR")"; fi
}

# requests SUFFIX: how many GETs of SUFFIX the upstream got so far.
requests() { grep -c "^GET .*$1 " "$T/upstream.log"; }

pg_say "endless body"
N0=$(requests primary.xml.gz)
echo "primary.xml.gz endless" >"$FAULT"
sync_fails "sync fails on an endless body"
ERR=$(cat "$SYNC_ERR")
assert_match "endless: the error names mirror, file and cause" "$ERR" \
    "mirror el9: .*primary\.xml\.gz: size mismatch: body larger than $PSIZE bytes; stopped"
SENT=$(sed -n 's/^sent \([0-9]*\) bytes of .*primary\.xml\.gz$/\1/p' "$T/upstream.log" | tail -n 1)
assert_true "endless: the upstream sent less than 16 MB (got ${SENT:-?})" \
    test "${SENT:-999999999}" -lt 16777216
assert_eq "endless: fetched once, not retried" $((N0 + 1)) "$(requests primary.xml.gz)"
after_failure endless

pg_say "Content-Length: 10^15"
N0=$(requests primary.xml.gz)
echo "primary.xml.gz huge-length" >"$FAULT"
sync_fails "sync fails on a huge Content-Length"
ERR=$(cat "$SYNC_ERR")
assert_match "huge-length: the error names mirror, file and cause" "$ERR" \
    "mirror el9: .*primary\.xml\.gz: size mismatch: Content-Length 1000000000000000, larger than $PSIZE bytes; refused before the body"
assert_eq "huge-length: fetched once, not retried" $((N0 + 1)) "$(requests primary.xml.gz)"
after_failure huge-length

pg_say "2 bytes a second, fetch-timeout = 3s"
echo "primary.xml.gz drip" >"$FAULT"
t0=$SECONDS
sync_fails "sync fails on a drip"
assert_true "drip: the sync gave up within 20 s" test $((SECONDS - t0)) -lt 20
ERR=$(cat "$SYNC_ERR")
assert_match "drip: the error names mirror, file and cause" "$ERR" \
    "mirror el9: .*primary\.xml\.gz: not complete within 3 s \(fetch-timeout\)"
after_failure drip

pg_say "redirect to another host (127.0.0.2), redirects = same-host by default"
echo "primary.xml.gz redirect-other" >"$FAULT"
N0=$(grep -c '^GET .*primary\.xml\.gz -$' "$T/upstream.log")
sync_fails "sync fails on a cross-host redirect"
ERR=$(cat "$SYNC_ERR")
assert_match "redirect: the error names mirror, file and cause" "$ERR" \
    "mirror el9: .*primary\.xml\.gz: redirect to http://127\.0\.0\.2:[0-9]+/.* refused: another host"
assert_eq "redirect: the other host was not asked" "$N0" \
    "$(grep -c '^GET .*primary\.xml\.gz -$' "$T/upstream.log")"
after_failure redirect

pg_say "kill -9 in the middle of a download"
echo "primary.xml.gz stall" >"$FAULT"
pg_next sync
"$top_builddir/patchgate" -c "$PG_CONF" sync >"$REPLY.out" 2>"$REPLY.err" &
SPID=$!
pg_track $SPID
n=100
while [ -z "$(find "$STORE/tmp" -name 'fetch.*' -size +0 2>/dev/null)" ] && [ $n -gt 0 ]; do
	kill -0 $SPID 2>/dev/null || break
	sleep 0.1
	n=$((n - 1))
done
LEFT=$(ls -A "$STORE/tmp")
assert_match "kill: a partial download is in STORE/tmp" "$LEFT" "^fetch\.$SPID\."
kill -KILL $SPID
wait $SPID 2>/dev/null
pg_untrack $SPID
assert_eq "kill: the partial download is not in the blob store" "" \
    "$(find "$STORE/blobs" -name "$PSHA")"
assert_eq "kill: the view's repomd.xml answers 200" 200 \
    "$(http_get "$DEV/repodata/repomd.xml" "$T/repomd.now")"
assert_files_eq "kill: the view's repomd.xml is unchanged" "$T/repomd.good" "$T/repomd.now"

pg_say "the next clean sync removes the leftover and completes, redirects = any"
mkconf "redirects = any"
echo "primary.xml.gz redirect-other" >"$FAULT"
sync_works "the sync after the kill completes"
ERR=$(cat "$SYNC_ERR")
assert_match "the leftover's removal is logged" "$ERR" "removed 1 temporary file"
assert_match "the cross-host redirect is logged" "$ERR" \
    "primary\.xml\.gz: redirected to http://127\.0\.0\.2:"
assert_eq "STORE/tmp is empty after the clean sync" "" "$(ls -A "$STORE/tmp")"
http_get "$DEV/repodata/repomd.xml" "$T/repomd.b" >/dev/null
assert_false "the view changed with B" cmp -s "$T/repomd.good" "$T/repomd.b"
assert_status "$DEV/Packages/foo-1.1-1.noarch.rpm" 200

pg_say "upstream C: a redirect on the same host is followed by default"
mkconf
mkrpm "$REPO/Packages" foo 1.2
mkrepo "$REPO"
echo "primary.xml.gz redirect-same" >"$FAULT"
sync_works "the sync with a same-host redirect completes"
assert_match "the same-host redirect is logged" "$(cat "$SYNC_ERR")" \
    "primary\.xml\.gz: redirected to http://127\.0\.0\.1:[0-9]+/_moved/"
assert_status "$DEV/Packages/foo-1.2-1.noarch.rpm" 200
: >"$FAULT"

pg_say "patchgated removes temporary files of a stopped run at start"
stop_patchgated
# start_patchgated takes the first "listening on" of the log: a new log.
mv "$T/patchgated.log" "$T/patchgated.1.log"
DEAD=$(sh -c 'echo $$')
: >"$STORE/tmp/blob.$DEAD.AbCdEf"
: >"$STORE/tmp/fetch.$DEAD.0123"
start_patchgated "$PG_CONF"
assert_eq "patchgated removed them" "" "$(ls -A "$STORE/tmp")"
assert_match "patchgated logged it" "$(cat "$T/patchgated.log")" "removed 2 temporary files"

pg_done
