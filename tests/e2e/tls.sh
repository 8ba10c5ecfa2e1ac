#!/bin/bash
# The TLS listener, end to end.  The test makes its own CA and two server
# certificates for 127.0.0.1 and localhost with openssl, and runs
# patchgated with both listen and tls-listen.  Over https: curl verifies
# the certificate with the CA; real dnf (sslcacert) installs a package and
# real apt-get (Acquire::https::CAInfo) downloads one; _setup names
# https:// URLs (and http:// ones on the plain listener); a client limited
# to TLS 1.1 is refused; the connection caps of [server] count TLS
# connections too.  SIGHUP with a new certificate in place: new
# connections present it; SIGHUP with a broken one: refused with a log
# line naming the file, the previous certificate still served.  A key that
# others may read is refused at start.  A 50 MB package over TLS does not
# grow the daemon's peak RSS by its size: it is read in pieces.  Five
# packages of 20 MB that are not stored yet, each streamed over TLS from its
# upstream download while it arrives: every byte comes (a reply must not
# end while bytes wait in the TLS output) and the peak RSS stays flat.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"
. "$top_srcdir/tests/e2e/mkaptrepo.sh"

need python3 curl openssl gpg rpmbuild createrepo_c sha256sum
need_apt
need_dnf
pg_need_programs

W=$T/www
STORE=$T/store
PKI=$T/pki
CA=$PKI/ca.pem
MAXPERADDR=12

# --- a CA and server certificates ---------------------------------------------

mkdir -p "$PKI"
openssl_run() {
	openssl "$@" >>"$T/log/openssl.log" 2>&1 ||
		fail "openssl $1: $(tail -n 5 "$T/log/openssl.log")"
}
openssl_run req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$PKI/ca.key" -out "$CA" -days 30 -subj "/CN=patchgate test CA"
# mkcert NAME: $PKI/NAME.pem (CN=NAME, for 127.0.0.1, ::1 and localhost,
# signed by the CA) and its key $PKI/NAME.key, mode 0600.
mkcert() {
	printf 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth\n' \
	    >"$PKI/$1.ext"
	openssl_run req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	    -keyout "$PKI/$1.key" -out "$PKI/$1.csr" -subj "/CN=$1"
	openssl_run x509 -req -in "$PKI/$1.csr" -CA "$CA" -CAkey "$PKI/ca.key" \
	    -CAcreateserial -out "$PKI/$1.pem" -days 30 -extfile "$PKI/$1.ext"
	chmod 600 "$PKI/$1.key"
}
mkcert gate-one
mkcert gate-two
# What the configuration names; replaced in place, as a renewal does.
cp -p "$PKI/gate-one.pem" "$PKI/server.pem"
cp -p "$PKI/gate-one.key" "$PKI/server.key"

# --- upstream: an rpm-md and an apt repository ----------------------------------

mkrpm "$W/repo/Packages" foo 1.0
mkrepo "$W/repo"

mkdeb "$W/debian" hello 1.0
bigdeb big 50M
mkdeb "$W/debian" big 1.0
UNCACHED="unc1 unc2 unc3 unc4 unc5"
for p in $UNCACHED; do
	bigdeb "$p" 20M
	mkdeb "$W/debian" "$p" 1.0
done
mkaptrepo "$W/debian" 2026-01-01T00:00:00Z
start_upstream "$W"

PG_CONF=$T/patchgate.conf
cat >"$PG_CONF" <<EOF
[server]
listen = 127.0.0.1:0
tls-listen = 127.0.0.1:0
tls-cert = $PKI/server.pem
tls-key = $PKI/server.key
store = $STORE
max-connections-per-address = $MAXPERADDR

[mirror el9]
type = rpm-md
url = $UPSTREAM_URL/repo

[mirror debian]
type = apt
url = $UPSTREAM_URL/debian
suites = bookworm
components = main
architectures = amd64
keyring = $T/keys/archive.gpg

[baseline all]
rule = classification=* delay=0

[group dev]
baseline = all
mirrors = el9 debian
EOF

PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync || fail "the sync failed"

pg_say "a key that others may read is refused at start"
chmod 644 "$PKI/server.key"
pg_next refused
out=$REPLY
timeout -k 5 30 "$top_builddir/patchgated" -c "$PG_CONF" >"$out" 2>&1
rc=$?
sed 's/^/  | /' "$out" >&2
assert_ne "patchgated exits with an error" 0 "$rc"
assert_contains "it names the key and why" "$(cat "$out")" \
    "tls-key $PKI/server.key: mode 0644 lets every user read it"
assert_not_contains "it never listened" "$(cat "$out")" "listening on"
chmod 600 "$PKI/server.key"
assert_eq "patchgated -n checks the certificate and key" "configuration OK" \
    "$("$top_builddir/patchgated" -n -c "$PG_CONF")"

PATCHGATE_NOW=2026-01-01T00:00:00Z start_patchgated "$PG_CONF"
PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\) (HTTPS).*/\1/p' \
    "$T/patchgated.log" | tail -n 1)
[ -n "$PORT" ] || fail "patchgated did not say 'listening on 127.0.0.1:PORT (HTTPS)'"
HTTPS=https://127.0.0.1:$PORT
pg_say "https at $HTTPS, http at $PG_URL"

# presented [HOST]: the subject CN of the certificate the listener
# presents now, as a new connection sees it, with the verification result.
presented() {
	openssl s_client -connect "127.0.0.1:$PORT" -servername "${1:-localhost}" \
	    -CAfile "$CA" </dev/null 2>/dev/null |
	    sed -n 's/^subject=.*CN *= *\([^,]*\).*/\1/p; s/^ *Verify return code: \([0-9]*\).*/verify \1/p' |
	    awk '!seen[$0]++' | tr '\n' ' ' | sed 's/ $//'
}

# --- https for curl ------------------------------------------------------------------

pg_say "curl verifies the certificate with the CA"
assert_status "$HTTPS/_key.asc" 200 --cacert "$CA"
assert_contains "the key over https" "$(cat "$HTTP_BODY")" "BEGIN PGP PUBLIC KEY BLOCK"
assert_status "https://localhost:$PORT/_key.asc" 200 --cacert "$CA"
code=$(curl -s --max-time 30 -o /dev/null -w '%{http_code}' -- "$HTTPS/_key.asc")
rc=$?
assert_eq "without the CA, curl refuses the certificate (exit 60)" "60 000" "$rc $code"
assert_status "$PG_URL/_key.asc" 200
assert_eq "the listener presents gate-one, verified" "gate-one verify 0" "$(presented)"

pg_say "TLS 1.2 at least"
pg_next tls11
err=$REPLY
code=$(curl -sS --max-time 30 --cacert "$CA" --tlsv1.1 --tls-max 1.1 \
    --ciphers 'DEFAULT@SECLEVEL=0' -o /dev/null -w '%{http_code}' -- "$HTTPS/_key.asc" 2>"$err")
assert_eq "curl --tls-max 1.1 gets no answer" 000 "$code"
assert_contains "the server's alert says why" "$(cat "$err")" "alert protocol version"
for v in 1.2 1.3; do
	code=$(curl -s --max-time 30 --cacert "$CA" --tlsv$v --tls-max $v -o /dev/null \
	    -w '%{http_code} %{ssl_verify_result}' -- "$HTTPS/_key.asc")
	assert_eq "curl --tls-max $v is served" "200 0" "$code"
done
# The one TLS 1.2 suite a client offers decides: without forward secrecy, none.
code=$(curl -s --max-time 30 --cacert "$CA" --tls-max 1.2 --ciphers AES128-SHA \
    -o /dev/null -w '%{http_code}' -- "$HTTPS/_key.asc")
assert_eq "TLS 1.2 with a static-RSA CBC suite only is refused" 000 "$code"

# --- _setup -----------------------------------------------------------------------------

pg_say "_setup over https names https:// URLs"
assert_status "$HTTPS/dev/el9/_setup" 200 --cacert "$CA"
sed 's/^/  | /' "$HTTP_BODY" >&2
assert_contains "baseurl" "$(cat "$HTTP_BODY")" "baseurl=$HTTPS/dev/el9/"
assert_contains "gpgkey" "$(cat "$HTTP_BODY")" "gpgkey=$HTTPS/_key.asc"
assert_not_contains "no http:// URL" "$(cat "$HTTP_BODY")" "http://"
assert_status "$HTTPS/dev/debian/_setup" 200 --cacert "$CA"
assert_contains "apt: URIs" "$(cat "$HTTP_BODY")" "URIs: $HTTPS/dev/debian"
assert_status "$PG_URL/dev/el9/_setup" 200
assert_contains "on the plain listener, http://" "$(cat "$HTTP_BODY")" "baseurl=$PG_URL/dev/el9/"

# --- real clients ------------------------------------------------------------------------

pg_say "dnf installs over https (sslcacert)"
# dnf_in asks for the proxy's repomd signature for URLs under $PG_URL.
PLAIN_URL=$PG_URL
PG_URL=$HTTPS DNF_MAIN_EXTRA="sslcacert=$CA" dnf_in "$T/dnf" "$HTTPS/dev/el9/" install foo ||
	pg_notok "dnf install foo over https"
PG_URL=$PLAIN_URL
assert_eq "foo 1.0 is installed" 1.0-1 "$(installed "$T/dnf" foo)"
assert_contains "dnf fetched over the TLS listener" "$(cat "$T/patchgated.log")" \
    "\"GET /dev/el9/repodata/repomd.xml.asc\" 200"

pg_say "apt-get downloads over https (Acquire::https::CAInfo)"
KEY=$(apt_proxy_key)
apt_root "$T/apt" "$KEY" "$HTTPS/dev/debian" bookworm
echo "Acquire::https::CAInfo \"$CA\";" >>"$T/apt/apt.conf"
SSL_CERT_FILE=$CA apt_update "$T/apt" || pg_notok "apt-get update over https"
assert_true "apt-get read the InRelease over https" grep -q "^Get:.*$HTTPS/dev/debian bookworm InRelease" "$APT_LOG"
apt_download "$T/apt" hello || pg_notok "apt-get install --download-only hello over https"
assert_eq "apt-get downloaded hello 1.0" hello_1.0_all.deb "$(apt_archives "$T/apt")"

# --- connection caps -------------------------------------------------------------------

pg_say "max-connections-per-address ($MAXPERADDR) counts TLS connections"
pg_next caps
"$PYTHON" - "$PORT" "$CA" "$MAXPERADDR" >"$REPLY" 2>&1 <<'EOF'
import socket, ssl, sys, time
port, ca, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ctx = ssl.create_default_context(cafile=ca)
def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    return ctx.wrap_socket(s, server_hostname="localhost")
held = [conn() for _ in range(n)]
# The caps count a connection a loop turn after accepting it: one request
# answered on the last one means every earlier one is counted.
held[-1].sendall(b"GET /_key.asc HTTP/1.1\r\nHost: localhost\r\n\r\n")
print("held:", n, held[-1].recv(12).decode())
try:
    extra = conn()
    extra.sendall(b"GET /_key.asc HTTP/1.1\r\nHost: localhost\r\n\r\n")
    got = extra.recv(100)
    print("extra:", "closed" if got == b"" else got[:12].decode())
except (ssl.SSLError, OSError) as e:
    print("extra: closed")
for s in held:
    s.close()
EOF
sed 's/^/  | /' "$REPLY" >&2
assert_eq "$MAXPERADDR TLS connections are served, one more is closed" \
    "held: $MAXPERADDR HTTP/1.1 200
extra: closed" "$(cat "$REPLY")"
assert_contains "the log counts the refusal" "$(cat "$T/patchgated.log")" \
    "refused 1 connection over the limits"

# --- SIGHUP ------------------------------------------------------------------------------

# pg_log_count STRING: lines of patchgated's log holding STRING.
pg_log_count() { grep -cF -- "$1" "$T/patchgated.log"; }
# hup WHAT: SIGHUP, then waits until the log says the reload is over.
hup() {
	local n0 n=300
	n0=$(($(pg_log_count "SIGHUP: configuration") + 0))
	kill -HUP "$PG_PID"
	while [ "$(pg_log_count "SIGHUP: configuration")" -le "$n0" ]; do
		[ $n -gt 0 ] || fail "no reload ended within 30 s after SIGHUP ($1)"
		sleep 0.1
		n=$((n - 1))
	done
	tail -n 3 "$T/patchgated.log" | sed 's/^/  log: /' >&2
}

pg_say "SIGHUP with a new certificate in place of the old"
cp "$PKI/gate-two.key" "$PKI/server.key"
cp "$PKI/gate-two.pem" "$PKI/server.pem"
hup "new certificate"
assert_contains "the log says it is loaded" "$(tail -n 3 "$T/patchgated.log")" \
    "TLS: certificate $PKI/server.pem (/CN=gate-two"
assert_eq "new connections get gate-two, verified" "gate-two verify 0" "$(presented)"
assert_status "$HTTPS/_key.asc" 200 --cacert "$CA"

pg_say "SIGHUP with a broken certificate: refused, gate-two still served"
echo "not a certificate" >"$PKI/server.pem"
hup "broken certificate"
assert_contains "the log names the file and the cause" "$(tail -n 3 "$T/patchgated.log")" \
    "refused: tls-cert $PKI/server.pem: no usable certificate chain: no start line"
assert_contains "... and that the previous one stays" "$(tail -n 3 "$T/patchgated.log")" \
    "still serving with the previous one"
assert_eq "new connections still get gate-two" "gate-two verify 0" "$(presented)"
assert_status "$HTTPS/_key.asc" 200 --cacert "$CA"

pg_say "SIGHUP with the key of another certificate: refused"
cp "$PKI/gate-one.pem" "$PKI/server.pem"
hup "mismatched key"
assert_contains "the log says the key does not go with the certificate" \
    "$(tail -n 3 "$T/patchgated.log")" "tls-key $PKI/server.key does not go with tls-cert $PKI/server.pem"
assert_eq "new connections still get gate-two" "gate-two verify 0" "$(presented)"
cp "$PKI/gate-one.key" "$PKI/server.key"
hup "gate-one again"
assert_eq "and gate-one once both files agree" "gate-one verify 0" "$(presented)"

# --- memory ---------------------------------------------------------------------------------

pg_say "a 50 MB package over TLS, read in pieces"
BIG=$HTTPS/dev/debian/$(deb_path big 1.0)
BIG_SHA=$(sha256sum <"$W/debian/$(deb_path big 1.0)" | cut -d' ' -f1)
# Stored first (over plain http), so that TLS serves it from the blob store.
code=$(curl -s --max-time 120 -o /dev/null -w '%{http_code}' -- "$PG_URL/dev/debian/$(deb_path big 1.0)")
assert_eq "the package is fetched and stored" 200 "$code"
# kb FIELD: a /proc/PID/status field of patchgated, in kB.
kb() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$PG_PID/status"; }
# Writing 5 resets the peak (VmHWM) to the current RSS (Linux >= 4.0).
if pg_sanitized; then
	pg_say "AddressSanitizer keeps freed memory: the memory check is left out"
elif echo 5 >"/proc/$PG_PID/clear_refs" 2>/dev/null; then
	rss0=$(kb VmRSS)
	pg_t0=$EPOCHREALTIME
	curl -s --max-time 120 -o /dev/null -- "$PG_URL/dev/debian/$(deb_path big 1.0)"
	hwm=$(kb VmHWM)
	echo "  for comparison, plain http: RSS $rss0 kB, peak $hwm kB (+$((hwm - rss0)) kB), $(pg_elapsed) s" >&2
	echo 5 >"/proc/$PG_PID/clear_refs"
	rss0=$(kb VmRSS)
	pg_t0=$EPOCHREALTIME
	sha=$(curl -sS --max-time 120 --cacert "$CA" -- "$BIG" | sha256sum | cut -d' ' -f1)
	hwm=$(kb VmHWM)
	echo "  RSS before: $rss0 kB, peak during the 50 MB TLS download: $hwm kB (+$((hwm - rss0)) kB), $(pg_elapsed) s" >&2
	assert_eq "the 50 MB over TLS arrive whole" "$BIG_SHA" "$sha"
	assert_true "the peak RSS grew by less than 8 MB ($((hwm - rss0)) kB)" \
	    test $((hwm - rss0)) -lt 8192
else
	pg_say "cannot reset the peak RSS here: the memory check is left out"
fi
# A range over TLS: the bytes it names.
exp=$(tail -c +$((10 * 1024 * 1024 + 1)) "$W/debian/$(deb_path big 1.0)" | head -c 1000 | sha256sum)
got=$(curl -s --max-time 60 --cacert "$CA" -r $((10 * 1024 * 1024))-$((10 * 1024 * 1024 + 999)) -- "$BIG" | sha256sum)
assert_eq "Range over TLS: 1000 bytes from 10 MB on" "$exp" "$got"
# A client that leaves half-way: the daemon goes on serving.
curl -s --max-time 60 --cacert "$CA" -- "$BIG" | head -c 1000000 >/dev/null
assert_status "$HTTPS/_key.asc" 200 --cacert "$CA"

pg_say "5 packages of 20 MB over TLS, not stored yet: streamed as they arrive"
# A stall shows as a curl error (the daemon's idle timeout cuts the
# connection), memory that grows with the file as a higher peak RSS.
peak=0
[ -w "/proc/$PG_PID/clear_refs" ] && ! pg_sanitized && peak=1
for p in $UNCACHED; do
	path=$(deb_path "$p" 1.0)
	pg_next "$p"
	got=$REPLY
	[ $peak = 1 ] && echo 5 >"/proc/$PG_PID/clear_refs"
	rss0=$(kb VmRSS)
	curl -sS --max-time 120 --cacert "$CA" -o "$got" -- "$HTTPS/dev/debian/$path" \
	    2>"$got.err"
	rc=$?
	hwm=$(kb VmHWM)
	echo "  $p: curl exit $rc, RSS before $rss0 kB, peak $hwm kB (+$((hwm - rss0)) kB)" >&2
	assert_eq "$p: upstream was asked once" 1 "$(grep -c "\"GET /debian/$path " "$T/upstream.log")"
	assert_eq "$p: curl got the whole answer" "0 " "$rc $(cat "$got.err")"
	assert_true "$p: the bytes are upstream's" cmp -s "$W/debian/$path" "$got"
	[ $peak = 1 ] && assert_true "$p: the peak RSS grew by less than 4 MB ($((hwm - rss0)) kB)" \
	    test $((hwm - rss0)) -lt 4096
	rm -f "$got"
done
assert_status "$HTTPS/_key.asc" 200 --cacert "$CA"

# --- TLS only ------------------------------------------------------------------------

pg_say "tls-listen without listen: HTTPS only; tls-listen needs its files"
stop_patchgated
sed '/^listen = /d; /^max-connections-per-address/d' "$PG_CONF" >"$T/tls-only.conf"
sed '/^tls-key = /d' "$T/tls-only.conf" >"$T/no-key.conf"
out=$("$top_builddir/patchgated" -n -c "$T/no-key.conf" 2>&1)
assert_contains "tls-listen without tls-key is an error" "$out" \
    "$T/no-key.conf:$(grep -c '' "$T/no-key.conf"): [server]: tls-listen needs tls-cert and tls-key"
from=$(($(grep -c '' "$T/patchgated.log") + 1))
PATCHGATE_NOW=2026-01-01T00:00:00Z start_patchgated "$T/tls-only.conf"
log=$(tail -n +"$from" "$T/patchgated.log")
assert_contains "it listens for HTTPS" "$log" "(HTTPS)"
assert_not_contains "and not for plain HTTP" "$log" "(HTTP)"
assert_status "https://${PG_URL#http://}/_key.asc" 200 --cacert "$CA"

pg_done
