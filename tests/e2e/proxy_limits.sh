#!/bin/bash
# patchgated's limits on client connections, end to end: 500 slow-loris
# connections (tests/e2e/slowloris.py, a header byte every second) do not
# stop a normal client from being served; a connection that sends no whole
# request head within header-timeout is closed; with
# max-connections-per-address reached one address is refused while another
# (127.0.0.2) is served; too many or too large header fields are refused.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkaptrepo.sh"

need python3 curl dpkg-deb apt-ftparchive gpg
pg_need_programs

W=$T/www
STORE=$T/store
mkdeb "$W/debian" hello 1.0
mkaptrepo "$W/debian" 2026-01-01T00:00:00Z
start_upstream "$W"

# conf EXTRA: writes $T/patchgate.conf with EXTRA lines in [server].
conf() {
	PG_CONF=$T/patchgate.conf
	cat >"$PG_CONF" <<-EOF
	[server]
	listen = 127.0.0.1:0
	store = $STORE
	$1

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
}

# loris_start N INTERVAL SECONDS [SOURCE]: slowloris.py in the background
# against patchgated, its output in $LORIS_OUT; waits (bounded) until its
# connections are open.
LORIS_PID=""
LORIS_OUT=""
loris_start() {
	local n=300
	pg_next loris
	LORIS_OUT=$REPLY.out
	"$PYTHON" "$top_srcdir/tests/e2e/slowloris.py" 127.0.0.1 "${PG_URL##*:}" "$@" \
	    >"$LORIS_OUT" 2>&1 &
	LORIS_PID=$!
	pg_track $LORIS_PID
	while ! grep -q '^open ' "$LORIS_OUT"; do
		[ $n -gt 0 ] && kill -0 $LORIS_PID 2>/dev/null ||
			fail "slowloris.py did not open its connections: $(cat "$LORIS_OUT")"
		sleep 0.2
		n=$((n - 1))
	done
}
# loris_wait: waits for slowloris.py to end (it bounds itself); its
# summary line is then the last of $LORIS_OUT.
loris_wait() {
	wait $LORIS_PID
	pg_untrack $LORIS_PID
	LORIS_PID=""
}
loris_stop() {
	pg_stop_pid $LORIS_PID
	pg_untrack $LORIS_PID
	LORIS_PID=""
}
# restart: stops patchgated and keeps its log aside, so that the next
# start_patchgated reads its own "listening on" line.
restart() {
	stop_patchgated
	cat "$T/patchgated.log" >>"$T/log/patchgated.before"
	: >"$T/patchgated.log"
}

conf "header-timeout = 60s"
PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync || fail "the sync failed"
INREL=dists/bookworm/InRelease

pg_say "500 slow-loris connections and a normal client"
PATCHGATE_NOW=2026-01-01T00:00:00Z start_patchgated "$PG_CONF"
loris_start 500 1 120
assert_eq "slowloris.py opened 500 connections" "open 500" "$(head -n 1 "$LORIS_OUT")"
code=$(curl -s --max-time 10 -o "$T/inrelease" -w '%{http_code}' -- "$PG_URL/dev/debian/$INREL")
assert_eq "a normal client is served meanwhile" 200 "$code"
assert_eq "... an InRelease" "-----BEGIN PGP SIGNED MESSAGE-----" "$(head -n 1 "$T/inrelease")"
assert_true "patchgated still holds the slow connections" kill -0 "$LORIS_PID"
loris_stop
restart

pg_say "header-timeout = 2s closes connections that drip a request head"
conf "header-timeout = 2s"
PATCHGATE_NOW=2026-01-01T00:00:00Z start_patchgated "$PG_CONF"
loris_start 20 0.5 30
loris_wait
summary=$(tail -n 1 "$LORIS_OUT")
assert_match "all 20 closed by patchgated" "$summary" "^closed 20 of 20 "
lo=$(printf '%s\n' "$summary" | sed -n 's/.* after \([0-9.]*\)\.\.\([0-9.]*\) s$/\1/p')
hi=$(printf '%s\n' "$summary" | sed -n 's/.* after \([0-9.]*\)\.\.\([0-9.]*\) s$/\2/p')
assert_true "... not before 2 s ($summary)" awk -v v="${lo:-0}" 'BEGIN { exit !(v >= 1.9) }'
assert_true "... nor long after ($summary)" awk -v v="${hi:-99}" 'BEGIN { exit !(v < 10) }'
assert_match "patchgated says so" "$(cat "$T/patchgated.log")" \
    "closed [0-9]+ connections? that sent no whole request head within 2 s"
code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -- "$PG_URL/dev/debian/$INREL")
assert_eq "a normal client is served" 200 "$code"

pg_say "too many and too large header fields"
args=()
for i in $(seq 1 120); do args+=(-H "X-Many-$i: $i"); done
code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "${args[@]}" -- "$PG_URL/dev/debian/$INREL")
assert_eq "120 header fields: 431" 431 "$code"
code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 40000 /dev/zero | tr '\0' a)" \
    -- "$PG_URL/dev/debian/$INREL")
assert_match "a 40 KB header: refused" "$code" "^(400|413|431|000)$"
restart

pg_say "max-connections-per-address = 10"
conf "max-connections-per-address = 10"
PATCHGATE_NOW=2026-01-01T00:00:00Z start_patchgated "$PG_CONF"
loris_start 10 1 60
assert_eq "slowloris.py opened 10 connections" "open 10" "$(head -n 1 "$LORIS_OUT")"
code=$(curl -s --max-time 10 -o "$T/refused" -w '%{http_code}' -- "$PG_URL/dev/debian/$INREL")
assert_match "an 11th connection from 127.0.0.1 is refused" "$code" "^(503|000)$"
[ "$code" = 503 ] && assert_contains "... saying why" "$(cat "$T/refused")" \
    "too many connections from 127.0.0.1"
code=$(curl -s --max-time 10 --interface 127.0.0.2 -o /dev/null -w '%{http_code}' -- \
    "$PG_URL/dev/debian/$INREL")
assert_eq "a client at 127.0.0.2 is served" 200 "$code"
assert_match "patchgated logs the refusal" "$(cat "$T/patchgated.log")" \
    "refused 1 connection over the limits"
loris_stop
n=50
until code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -- "$PG_URL/dev/debian/$INREL") &&
    [ "$code" = 200 ] || [ $n -eq 0 ]; do
	sleep 0.1
	n=$((n - 1))
done
assert_eq "once they are gone, 127.0.0.1 is served again" 200 "$code"

pg_done
