#!/bin/bash
# Output memory of slow clients, end to end ([server] output-buffer-max).
# Clients that stop reading mid-download (tests/e2e/stallclient.py: a small
# receive buffer, a few KB read, then nothing) of a 16 MB package that is
# not stored yet and of one that is stored, over plain HTTP: their output
# goes out of files (the download's temporary file, the blob store), so
# patchgated's peak RSS hardly moves, the download ends in the store, and a
# normal client gets both files whole meanwhile.  Over TLS every byte
# waiting is memory (TLS encrypts from memory): 120 stalled TLS clients
# under a 2 MB cap are cut as they go over their share ("cut N clients that
# fell behind" in the log), and so are 40 more on a package being fetched;
# the peak RSS stays far below one piece per client, and normal clients,
# over TLS and plain, are still served whole.  The RSS checks are skipped
# under sanitizers (pg_sanitized).  A stalled client's access log line,
# written when it goes, counts the bytes it was sent, not the file's size.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkaptrepo.sh"

need python3 curl openssl dpkg-deb apt-ftparchive gpg sha256sum
pg_need_programs

W=$T/www
REPO=$W/debian
STORE=$T/store
PKI=$T/pki
CA=$PKI/ca.pem
NSTALL=40
NSTALL_TLS=120

# A CA and a certificate for 127.0.0.1, as tls.sh makes them.
mkdir -p "$PKI"
openssl_run() {
	openssl "$@" >>"$T/log/openssl.log" 2>&1 ||
		fail "openssl $1: $(tail -n 5 "$T/log/openssl.log")"
}
openssl_run req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$PKI/ca.key" -out "$CA" -days 30 -subj "/CN=patchgate test CA"
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$PKI/server.ext"
openssl_run req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$PKI/server.key" -out "$PKI/server.csr" -subj "/CN=gate"
openssl_run x509 -req -in "$PKI/server.csr" -CA "$CA" -CAkey "$PKI/ca.key" \
    -CAcreateserial -out "$PKI/server.pem" -days 30 -extfile "$PKI/server.ext"
chmod 600 "$PKI/server.key"

bigdeb stored 16M
bigdeb fresh 16M
bigdeb fresh2 16M
mkdeb "$REPO" stored 1.0
mkdeb "$REPO" fresh 1.0
mkdeb "$REPO" fresh2 1.0
mkaptrepo "$REPO" 2026-01-01T00:00:00Z
start_upstream "$W"

# The idle timeout is long: what cuts a stalled client here is the cap.
PG_CONF=$T/patchgate.conf
cat >"$PG_CONF" <<EOF
[server]
listen = 127.0.0.1:0
tls-listen = 127.0.0.1:0
tls-cert = $PKI/server.pem
tls-key = $PKI/server.key
store = $STORE
idle-timeout = 10m
output-buffer-max = 2M

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
PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\) (HTTPS).*/\1/p' \
    "$T/patchgated.log" | tail -n 1)
[ -n "$PORT" ] || fail "patchgated did not say 'listening on 127.0.0.1:PORT (HTTPS)'"
HTTPS=https://127.0.0.1:$PORT
STORED=dev/debian/$(deb_path stored 1.0)
FRESH=dev/debian/$(deb_path fresh 1.0)
FRESH2=dev/debian/$(deb_path fresh2 1.0)
sum_of() { sha256sum <"$1" | cut -d' ' -f1; }
WANT_STORED=$(sum_of "$REPO/$(deb_path stored 1.0)")
WANT_FRESH=$(sum_of "$REPO/$(deb_path fresh 1.0)")
WANT_FRESH2=$(sum_of "$REPO/$(deb_path fresh2 1.0)")

assert_status "$PG_URL/$STORED" 200
assert_eq "the stored package, whole" "$WANT_STORED" "$(sum_of "$HTTP_BODY")"
rm -f "$HTTP_BODY"

# rss: patchgated's peak resident memory in kB.
rss() { awk '/^VmHWM/ { print $2 }' "/proc/$PG_PID/status"; }

# stall_start NAME PATH COUNT [CAFILE]: stallclient.py in the background,
# waits until its clients have all stopped reading.  STALL_PID, STALL_OUT.
stall_start() {
	local name=$1 path=$2 count=$3 port=${PG_URL##*:}
	shift 3
	[ $# -gt 0 ] && port=$PORT
	pg_next "stall-$name"
	STALL_OUT=$REPLY
	: >"$STALL_OUT"
	"$PYTHON" "$top_srcdir/tests/e2e/stallclient.py" 127.0.0.1 "$port" "/$path" \
	    "$count" 8192 600 "$@" >"$STALL_OUT" 2>&1 &
	STALL_PID=$!
	pg_track $STALL_PID
	wait_for_file "$STALL_OUT" 120 $STALL_PID ||
		fail "stallclient.py $name did not open its connections: $(cat "$STALL_OUT")"
	assert_eq "stallclient.py $name: $count clients stopped reading" \
	    "open $count" "$(head -n 1 "$STALL_OUT")"
}

stall_stop() {
	pg_stop_pid $STALL_PID
	pg_untrack $STALL_PID
}

# cut_count: the clients patchgated's log says it cut for output-buffer-max.
cut_count() {
	sed -n 's/.*cut \([0-9]*\) clients* that fell behind: output waiting in memory over their share of output-buffer-max (2097152 bytes).*/\1/p' \
	    "$T/patchgated.log" | awk '{ n += $1 } END { print n + 0 }'
}

# --- plain HTTP: the bytes waiting are files, not memory ----------------------

pg_say "$NSTALL clients stop reading a package being fetched, $NSTALL a stored one"
before=$(rss)
stall_start fresh "$FRESH" $NSTALL
FRESH_PID=$STALL_PID
stall_start stored "$STORED" $NSTALL
# A normal client meanwhile: both files whole.
assert_status "$PG_URL/$FRESH" 200
assert_eq "the package being fetched, whole, beside $NSTALL stalled clients" \
    "$WANT_FRESH" "$(sum_of "$HTTP_BODY")"
rm -f "$HTTP_BODY"
assert_status "$PG_URL/$STORED" 200
assert_eq "the stored package, whole, beside $NSTALL stalled clients" \
    "$WANT_STORED" "$(sum_of "$HTTP_BODY")"
rm -f "$HTTP_BODY"
assert_true "the download went on into the store" \
    grep -q "$(deb_path fresh 1.0): stored from" "$T/patchgated.log"
after=$(rss)
pg_say "peak RSS $before kB before, $after kB with $((2 * NSTALL)) stalled plain clients"
if pg_sanitized; then
	pg_say "built with sanitizers: the RSS checks are skipped"
else
	# Their bytes are files: only the connections' state grows.
	assert_true "peak RSS grew by less than 8 MB ($before -> $after kB)" \
	    [ $((after - before)) -lt 8192 ]
fi
assert_eq "no stalled plain client was cut: it holds no memory" 0 "$(cut_count)"
stall_stop
STALL_PID=$FRESH_PID
stall_stop
# Their access lines, written when they went away, count the bytes of body
# they were sent, not the whole package (as nginx's $body_bytes_sent).
size=$(wc -c <"$REPO/$(deb_path stored 1.0)")
n=100
until [ "$(grep -c "\"GET /$STORED\" 200 " "$T/patchgated.log")" -gt "$NSTALL" ] ||
    [ $n -eq 0 ]; do
	sleep 0.1
	n=$((n - 1))
done
lines=$(grep "\"GET /$STORED\" 200 " "$T/patchgated.log")
assert_eq "$NSTALL stalled clients of the stored package were logged, plus 2 whole answers" \
    $((NSTALL + 2)) "$(echo "$lines" | wc -l)"
assert_eq "... the whole ones with the package's size" 2 \
    "$(echo "$lines" | grep -c " 200 $size\$")"
assert_eq "... the stalled ones with fewer bytes" "$NSTALL" \
    "$(echo "$lines" | awk -v s="$size" '$NF < s' | wc -l)"

# --- TLS: what waits is memory, under the cap ---------------------------------

pg_say "$NSTALL_TLS TLS clients stop reading the stored package, $NSTALL another being fetched (output-buffer-max = 2M)"
before=$(rss)
stall_start tls "$STORED" $NSTALL_TLS "$CA"
TLS_PID=$STALL_PID
stall_start tls-fresh "$FRESH2" $NSTALL "$CA"
after=$(rss)
pg_say "peak RSS $before kB before, $after kB with $((NSTALL_TLS + NSTALL)) stalled TLS clients"
assert_status "$HTTPS/$FRESH2" 200 --cacert "$CA"
assert_eq "the package being fetched, over TLS, whole, beside stalled clients" \
    "$WANT_FRESH2" "$(sum_of "$HTTP_BODY")"
rm -f "$HTTP_BODY"
assert_true "that download went on into the store" \
    grep -q "$(deb_path fresh2 1.0): stored from" "$T/patchgated.log"
assert_status "$HTTPS/$STORED" 200 --cacert "$CA"
assert_eq "the stored package over TLS, whole, beside stalled clients" \
    "$WANT_STORED" "$(sum_of "$HTTP_BODY")"
rm -f "$HTTP_BODY"
assert_status "$PG_URL/$STORED" 200
assert_eq "the stored package over plain HTTP, whole, beside stalled clients" \
    "$WANT_STORED" "$(sum_of "$HTTP_BODY")"
rm -f "$HTTP_BODY"
if pg_sanitized; then
	pg_say "built with sanitizers: the RSS checks are skipped"
else
	# One 256 KB piece each would be 40 MB: the cap holds it to 2 MB,
	# plus what OpenSSL keeps per connection.
	assert_true "peak RSS grew by less than 16 MB ($before -> $after kB)" \
	    [ $((after - before)) -lt 16384 ]
fi
stall_stop
STALL_PID=$TLS_PID
stall_stop
# The log counts cuts at most every 10 s, and the rest when it stops.
stop_patchgated
cut=$(cut_count)
pg_say "patchgated cut $cut of $((NSTALL_TLS + NSTALL)) stalled TLS clients"
assert_true "stalled TLS clients over their share were cut" [ "$cut" -gt 0 ]

# A bad cap is refused with its cause.
sed 's/^output-buffer-max = .*/output-buffer-max = 1K/' "$PG_CONF" >"$T/bad.conf"
out=$("$top_builddir/patchgated" -n -c "$T/bad.conf" 2>&1)
assert_contains "output-buffer-max below 64K is refused" "$out" \
    "output-buffer-max: bad size \"1K\""

pg_done
