#!/bin/bash
# Collapsed forwarding, end to end: 100 clients ask at once for a 50 MB
# package that is not stored yet; upstream sees exactly one request (its
# access log), and every client gets upstream's bytes.  The upstream is
# held (SIGSTOP) until every client has joined the download, so that all of
# them stream from it, and three clients that give up while it is held do
# not stop it.  Then a corrupt upstream: the clients' transfers end
# uncleanly, nothing is stored, and once upstream is fixed a download whose
# only client left half-way still ends in the store.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkaptrepo.sh"

need python3 curl dpkg-deb apt-ftparchive gpg sha256sum
pg_need_programs

W=$T/www
REPO=$W/debian
STORE=$T/store
NCLIENTS=100

bigdeb big 50M
bigdeb mid 4M
mkdeb "$REPO" big 1.0
mkdeb "$REPO" mid 1.0
mkaptrepo "$REPO" 2026-01-01T00:00:00Z
start_upstream "$W"

PG_CONF=$T/patchgate.conf
cat >"$PG_CONF" <<EOF
[server]
listen = 127.0.0.1:0
store = $STORE

[mirror debian]
type = apt
url = $UPSTREAM_URL/debian
suites = bookworm
components = main
architectures = amd64
keyring = $T/keys/archive.gpg

[baseline dev]
rule = classification=* delay=0

[group dev]
baseline = dev
mirrors = debian
EOF

PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync || fail "the sync failed"
PATCHGATE_NOW=2026-01-01T00:00:00Z start_patchgated "$PG_CONF"
DEV=$PG_URL/dev/debian

BIG=$(deb_path big 1.0)
MID=$(deb_path mid 1.0)
BIG_SHA=$(sha256sum <"$REPO/$BIG" | cut -d' ' -f1)
MID_SHA=$(sha256sum <"$REPO/$MID" | cut -d' ' -f1)
MID_SIZE=$(wc -c <"$REPO/$MID")

# upstream_gets PATH: how many GETs of PATH upstream's access log shows.
upstream_gets() { grep -c "\"GET /debian/$1 " "$T/upstream.log"; }
# pg_log_count STRING: lines of patchgated's log holding STRING.
pg_log_count() { grep -cF -- "$1" "$T/patchgated.log"; }
# wait_log STRING N SECONDS: until patchgated's log has N lines with STRING.
wait_log() {
	local n=$(($3 * 10))
	while [ "$(pg_log_count "$1")" -lt "$2" ]; do
		[ $n -gt 0 ] || return 1
		sleep 0.1
		n=$((n - 1))
	done
}
blob_of() { echo "$STORE/blobs/sha256/${1:0:2}/$1"; }

assert_eq "before: upstream has not been asked for $BIG" 0 "$(upstream_gets "$BIG")"

pg_say "$NCLIENTS clients and 3 that give up, on an uncached 50 MB file"
kill -STOP "$UPSTREAM_PID"
mkdir -p "$T/c"
pids=""
for i in $(seq 1 $NCLIENTS); do
	(
		set -o pipefail
		curl -sS --max-time 300 -- "$DEV/$BIG" | sha256sum | cut -d' ' -f1 >"$T/c/$i.sha"
		echo "${PIPESTATUS[0]}" >"$T/c/$i.rc"
	) 2>>"$T/c/errors" &
	pids="$pids $!"
done
quitters=""
for i in 1 2 3; do
	curl -s --max-time 120 -o /dev/null -- "$DEV/$BIG" &
	quitters="$quitters $!"
done
wait_log "big_1.0_all.deb: client 127.0.0.1 joins the download" $((NCLIENTS + 2)) 120
assert_eq "every client joined the one download before upstream answered" \
    $((NCLIENTS + 2)) "$(pg_log_count "big_1.0_all.deb: client 127.0.0.1 joins the download")"
for p in $quitters; do kill "$p"; wait "$p"; done
kill -CONT "$UPSTREAM_PID"
for p in $pids; do wait "$p"; done

ok=0
for i in $(seq 1 $NCLIENTS); do
	if [ "$(cat "$T/c/$i.rc" 2>/dev/null)" = 0 ] &&
	    [ "$(cat "$T/c/$i.sha" 2>/dev/null)" = "$BIG_SHA" ]; then
		ok=$((ok + 1))
	else
		echo "client $i: exit $(cat "$T/c/$i.rc" 2>/dev/null), sha256 $(cat "$T/c/$i.sha" 2>/dev/null)" >&2
	fi
done
assert_eq "every client got upstream's 50 MB, sha256 $BIG_SHA" $NCLIENTS $ok
assert_eq "upstream was asked once for $BIG" 1 "$(upstream_gets "$BIG")"
assert_contains "patchgated stored it for every client" \
    "$(grep -F "big_1.0_all.deb: stored from" "$T/patchgated.log")" "$((NCLIENTS + 3)) clients)"
assert_true "the blob is stored" test -f "$(blob_of "$BIG_SHA")"
assert_eq "no temporary file is left" "" "$(ls "$STORE/tmp")"
code=$(curl -s --max-time 60 -o /dev/null -w '%{http_code}' -- "$DEV/$BIG")
assert_eq "the next request is served" 200 "$code"
assert_eq "... from the store" 1 "$(upstream_gets "$BIG")"

pg_say "a corrupt upstream: 10 clients, same size, other bytes"
cp "$REPO/$MID" "$T/mid.good"
head -c "$MID_SIZE" /dev/urandom >"$REPO/$MID"
kill -STOP "$UPSTREAM_PID"
mkdir -p "$T/m"
pids=""
for i in $(seq 1 10); do
	(
		curl -s --max-time 120 -o "$T/m/$i.out" -- "$DEV/$MID"
		echo $? >"$T/m/$i.rc"
	) &
	pids="$pids $!"
done
wait_log "mid_1.0_all.deb: client 127.0.0.1 joins the download" 9 60
kill -CONT "$UPSTREAM_PID"
for p in $pids; do wait "$p"; done
clean=0
short=0
for i in $(seq 1 10); do
	[ "$(cat "$T/m/$i.rc")" = 0 ] && clean=$((clean + 1))
	# curl makes no file when the connection was cut before any byte.
	[ "$(cat "$T/m/$i.out" 2>/dev/null | wc -c)" -lt "$MID_SIZE" ] && short=$((short + 1))
done
assert_eq "no client's transfer of the corrupt file ended cleanly" 0 $clean
assert_eq "no client got the whole corrupt file" 10 $short
assert_contains "patchgated says why" "$(grep -F "mid_1.0_all.deb" "$T/patchgated.log")" \
    "sha256 mismatch"
assert_false "nothing is stored" test -e "$(blob_of "$MID_SHA")"
assert_eq "no temporary file is left" "" "$(ls "$STORE/tmp")"

pg_say "upstream fixed; the only client gives up, the download goes on"
cp "$T/mid.good" "$REPO/$MID"
kill -STOP "$UPSTREAM_PID"
curl -s --max-time 60 -o /dev/null -- "$DEV/$MID" &
quitter=$!
wait_log "mid_1.0_all.deb: fetching" 2 30
kill "$quitter"
wait "$quitter"
kill -CONT "$UPSTREAM_PID"
n=300
while [ ! -f "$(blob_of "$MID_SHA")" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
assert_true "the download its only client left ended in the store" test -f "$(blob_of "$MID_SHA")"
assert_eq "upstream was asked twice for $MID (corrupt, fixed)" 2 "$(upstream_gets "$MID")"
code=$(http_get "$DEV/$MID" "$T/mid.got")
assert_eq "the next request is served" 200 "$code"
assert_files_eq "... with upstream's bytes" "$T/mid.good" "$T/mid.got"
assert_eq "... from the store" 2 "$(upstream_gets "$MID")"

pg_done
