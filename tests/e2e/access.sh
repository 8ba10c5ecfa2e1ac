#!/bin/bash
# Access control and HTTP strictness, end to end, over IPv4 and IPv6
# loopback: patchgated listens on [::]:PORT (dual stack), so that one
# daemon sees 127.0.0.1 and ::1 as two clients.
#
#   v6only  allow = ::1/128: 127.0.0.1 gets 403 on every path of the group
#           (view, _setup, preview, snapshot, report), with one short body
#           that names nothing; ::1 gets the view.
#   locked  auth-file (sha512-crypt from openssl passwd -6, bcrypt or
#           yescrypt where a tool makes them): 401 with WWW-Authenticate
#           without or with wrong credentials, 200 with right ones; real
#           dnf (username=/password=) and apt-get (auth.conf.d) install
#           through it.  SIGHUP re-reads the file.
#   tok     allow = 192.0.2.0/24 (not us) and a report-token: a report is
#           taken with the token, refused without it or with a wrong one;
#           _setup?hook= fetched with the token writes it into its curl.
#   open    no rule: _setup varies with Host, or names [server] public-url.
# Unknown groups, mirrors and snapshots answer one text; a duplicate or
# conflicting Content-Length is 400; a target over 8 KiB is 414.  A
# plaintext or unknown hash, or an auth-file others can read, is refused
# by patchgated -n with file:line.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"
. "$top_srcdir/tests/e2e/mkaptrepo.sh"

need python3 curl gpg rpmbuild createrepo_c openssl
need_dnf
need_apt
pg_need_programs
[ -r /proc/net/if_inet6 ] && grep -q '^0\{31\}1 ' /proc/net/if_inet6 ||
	skip "no IPv6 loopback (::1)"

W=$T/www
STORE=$T/store
mkrpm "$W/repo/Packages" foo 1.0
mkrepo "$W/repo"
mkdeb "$W/debian" hello 1.0
mkaptrepo "$W/debian" 2025-12-31T00:00:00Z
start_upstream "$W"

# Secrets: files only their owner may read.
umask 077
printf 'alice:%s\n' "$(openssl passwd -6 -salt pgtestsalt 'correct-horse')" >"$T/users"
TOKEN=tok-0123456789abcdef0123456789abcdef
printf '%s\n' "$TOKEN" >"$T/tok.token"
API_SECRET=api-secret-0123456789abcdef
printf 'ci read %s\n' "$API_SECRET" >"$T/api-tokens"
umask 022

# write_conf [SERVER-EXTRA]: the configuration, with extra [server] lines.
write_conf() {
	cat >"$PG_CONF" <<-EOF
	[server]
	listen = [::]:0
	store = $STORE
	api-tokens = $T/api-tokens
	admin-allow = 192.0.2.1
	${1:-}

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

	[group v6only]
	baseline = all
	mirrors = el9
	allow = ::1/128

	[group locked]
	baseline = all
	mirrors = el9 debian
	auth-file = $T/users

	[group tok]
	baseline = all
	mirrors = el9
	allow = 192.0.2.0/24
	report-token = $T/tok.token

	[group open]
	baseline = all
	mirrors = el9
	EOF
}
PG_CONF=$T/patchgate.conf
write_conf

# start_dual: patchgated on [::]:0; sets V4 and V6, the two base URLs.
start_dual() {
	local n=300 port="" from
	from=$(($(cat "$T/patchgated.log" 2>/dev/null | wc -l) + 1))
	echo "+ patchgated -c $PG_CONF &" >&2
	PATCHGATE_NOW=2026-01-02T00:00:00Z "$top_builddir/patchgated" -c "$PG_CONF" \
	    >>"$T/patchgated.log" 2>&1 &
	PG_PID=$!
	pg_track $PG_PID
	while [ -z "$port" ]; do
		port=$(tail -n +"$from" "$T/patchgated.log" |
		    sed -n 's/.*listening on \[::\]:\([0-9][0-9]*\).*/\1/p' | head -n 1)
		[ -n "$port" ] && break
		kill -0 $PG_PID 2>/dev/null ||
			fail "patchgated exited: $(tail -n 10 "$T/patchgated.log")"
		[ $n -gt 0 ] || fail "patchgated did not listen on [::]:PORT within 30 s"
		sleep 0.1
		n=$((n - 1))
	done
	V4=http://127.0.0.1:$port
	V6=http://[::1]:$port
	PG_URL=$V4
	pg_say "patchgated at $V4 and $V6"
}

PATCHGATE_NOW=2026-01-02T00:00:00Z pg_sync || fail "the sync failed"
start_dual

# --- allow ---------------------------------------------------------------------

pg_say "allow = ::1/128"
assert_status "$V6/v6only/el9/repodata/repomd.xml" 200 -g
assert_status "$V4/v6only/el9/repodata/repomd.xml" 403
FORBIDDEN=$(cat "$HTTP_BODY")
assert_eq "the 403 says only forbidden" "forbidden" "$FORBIDDEN"
for p in v6only/el9/Packages/foo-1.0-1.noarch.rpm v6only/el9/_setup \
    v6only/nosuch/repodata/repomd.xml v6only/el9/nosuch "_preview/v6only/2026-02-01T00:00:00Z/el9/repodata/repomd.xml"; do
	assert_status "$V4/$p" 403
	assert_eq "  ... the same body" "$FORBIDDEN" "$(cat "$HTTP_BODY")"
done
assert_status "$V4/v6only/_report/h1" 403 --data-binary 'foo 0 1.0 1 noarch'
assert_eq "  a report from 127.0.0.1: the same body" "$FORBIDDEN" "$(cat "$HTTP_BODY")"
assert_status "$V6/v6only/_report/h1" 200 -g --data-binary 'foo 0 1.0 1 noarch'
assert_status "$V4/v6only/el9/repodata/repomd.xml" 403 -I
assert_not_contains "no package, mirror or group name in any refusal" \
    "$FORBIDDEN" "el9"

pg_say "a snapshot is its group's"
"$top_builddir/patchgate" -c "$PG_CONF" snapshot create s6 --group v6only >&2 ||
	fail "snapshot create s6"
assert_status "$V6/_snapshot/s6/el9/repodata/repomd.xml" 200 -g
assert_status "$V4/_snapshot/s6/el9/repodata/repomd.xml" 403
assert_eq "  ... the same 403 body" "$FORBIDDEN" "$(cat "$HTTP_BODY")"

# --- /_mirror/ -------------------------------------------------------------------

pg_say "/_mirror/: admin-allow (192.0.2.1, not us) or an API token"
AUTH="Authorization: Bearer $API_SECRET"
assert_status "$V4/_mirror/el9/repodata/repomd.xml" 403
assert_eq "  ... forbidden, nothing more" "$FORBIDDEN" "$(cat "$HTTP_BODY")"
assert_status "$V6/_mirror/el9/repodata/repomd.xml" 403 -g
assert_status "$V4/_mirror/el9/repodata/repomd.xml" 403 -H 'Authorization: Bearer not-a-token-0123456789'
assert_status "$V4/_mirror/el9/repodata/repomd.xml" 200 -H "$AUTH"
assert_files_eq "upstream's repomd.xml, byte for byte" "$W/repo/repodata/repomd.xml" "$HTTP_BODY"
prim=$(repomd_href "$W/repo" primary)
assert_status "$V4/_mirror/el9/$prim" 200 -H "$AUTH"
assert_files_eq "upstream's primary, byte for byte" "$W/repo/$prim" "$HTTP_BODY"
assert_status "$V4/_mirror/el9/Packages/foo-1.0-1.noarch.rpm" 200 -H "$AUTH"
assert_files_eq "a package file, fetched" "$W/repo/Packages/foo-1.0-1.noarch.rpm" "$HTTP_BODY"
assert_status "$V4/_mirror/debian/dists/bookworm/Release" 200 -H "$AUTH"
assert_files_eq "upstream's Release, byte for byte" "$W/debian/dists/bookworm/Release" "$HTTP_BODY"
assert_status "$V4/_mirror/debian/dists/bookworm/main/binary-amd64/Packages.xz" 200 -H "$AUTH"
assert_files_eq "upstream's Packages.xz" "$W/debian/dists/bookworm/main/binary-amd64/Packages.xz" "$HTTP_BODY"
assert_status "$V4/_mirror/debian/$(deb_path hello 1.0)" 200 -H "$AUTH"
assert_status "$V4/_mirror/nosuch/repodata/repomd.xml" 404 -H "$AUTH"
assert_eq "  an unknown mirror: no such view" "no such view" "$(cat "$HTTP_BODY")"

# --- one text for what is not there ---------------------------------------------

pg_say "unknown groups, mirrors and snapshots read the same"
assert_status "$V4/nosuch/el9/repodata/repomd.xml" 404
NOVIEW=$(cat "$HTTP_BODY")
assert_eq "unknown group" "no such view" "$NOVIEW"
for p in open/nosuch/repodata/repomd.xml open/debian/dists/bookworm/InRelease \
    _snapshot/nosuch/el9/repodata/repomd.xml _snapshot/s6/nosuch/repodata/repomd.xml \
    _preview/nosuch/2026-02-01T00:00:00Z/el9/repodata/repomd.xml; do
	assert_status "$V6/$p" 404 -g
	assert_eq "  $p: the same body" "$NOVIEW" "$(cat "$HTTP_BODY")"
done
assert_status "$V4/nosuch/_report/h1" 404 --data-binary 'foo 0 1.0 1 noarch'
assert_eq "  a report to an unknown group: the same body" "$NOVIEW" "$(cat "$HTTP_BODY")"

# --- basic auth ------------------------------------------------------------------

pg_say "auth-file"
H=$T/h401
code=$(curl -s -o "$T/b401" -D "$H" -w '%{http_code}' "$V4/locked/el9/repodata/repomd.xml")
assert_eq "no credentials: 401" 401 "$code"
assert_eq "  ... WWW-Authenticate" 'Basic realm="patchgate"' \
    "$(sed -n 's/^WWW-Authenticate: *//Ip' "$H" | tr -d '\r')"
UNAUTH=$(cat "$T/b401")
assert_eq "  ... a body that names nothing" "authentication required" "$UNAUTH"
assert_status "$V4/locked/el9/repodata/repomd.xml" 401 -u 'alice:wrong-horse'
assert_eq "wrong password: the same body" "$UNAUTH" "$(cat "$HTTP_BODY")"
assert_status "$V4/locked/el9/repodata/repomd.xml" 401 -u 'bob:correct-horse'
assert_status "$V4/locked/nosuch/x" 401
assert_eq "an unknown mirror of a locked group: 401 too" "$UNAUTH" "$(cat "$HTTP_BODY")"
assert_status "$V4/locked/el9/repodata/repomd.xml" 200 -u 'alice:correct-horse'
assert_status "$V6/locked/el9/repodata/repomd.xml" 200 -g -u 'alice:correct-horse'
assert_status "$V4/locked/_report/h1" 401 --data-binary 'foo 0 1.0 1 noarch'

pg_say "dnf with username= and password="
DNF_MAIN_EXTRA="username=alice
password=correct-horse" dnf_in "$T/dnf-ok" "$V4/locked/el9/" install foo
assert_eq "dnf installs foo through the auth-file group" 1.0-1 "$(installed "$T/dnf-ok" foo)"
if DNF_MAIN_EXTRA="username=alice
password=wrong" dnf_in "$T/dnf-bad" "$V4/locked/el9/" install foo; then
	pg_notok "dnf with a wrong password fails"
else
	pg_ok "dnf with a wrong password fails"
fi

pg_say "apt-get with auth.conf.d"
KEY=$(apt_proxy_key)
apt_root "$T/apt" "$KEY" "$V4/locked/debian" bookworm
if apt_update "$T/apt"; then
	pg_notok "apt-get update without credentials fails"
else
	pg_ok "apt-get update without credentials fails"
fi
mkdir -p "$T/apt/etc/apt/auth.conf.d"
# apt sends credentials over http only for a machine written with http://.
printf 'machine %s/locked/\nlogin alice\npassword correct-horse\n' "$V4" \
    >"$T/apt/etc/apt/auth.conf.d/patchgate.conf"
chmod 600 "$T/apt/etc/apt/auth.conf.d/patchgate.conf"
# apt_update reads InRelease's dates without credentials: no clock options.
apt_update "$T/apt" -o Acquire::Check-Valid-Until=false ||
	pg_notok "apt-get update with auth.conf.d"
apt_download "$T/apt" hello || pg_notok "apt-get install --download-only hello"
assert_eq "apt-get downloads hello through the auth-file group" hello_1.0_all.deb \
    "$(apt_archives "$T/apt")"

# --- report token ----------------------------------------------------------------

pg_say "report-token"
assert_status "$V4/tok/_report/h2" 403 --data-binary 'foo 0 1.0 1 noarch'
assert_status "$V4/tok/_report/h2" 403 --data-binary 'foo 0 1.0 1 noarch' \
    -H 'Authorization: Bearer tok-wrong-0123456789abcdef0123456789'
assert_status "$V4/tok/_report/h2" 200 --data-binary 'foo 0 1.0 1 noarch' \
    -H "Authorization: Bearer $TOKEN"
assert_true "the report is stored" test -L "$STORE/reports/tok/h2/latest"
assert_status "$V4/tok/el9/repodata/repomd.xml" 403 -H "Authorization: Bearer $TOKEN"
assert_status "$V4/tok/el9/_setup?hook=dnf" 403
assert_status "$V4/tok/el9/_setup?hook=dnf" 200 -H "Authorization: Bearer $TOKEN"
assert_contains "the hook's curl sends the token" "$(cat "$HTTP_BODY")" \
    "-H 'Authorization: Bearer $TOKEN'"
assert_status "$V4/open/el9/_setup?hook=dnf" 200
assert_not_contains "  ... a hook fetched without it has none" "$(cat "$HTTP_BODY")" "Bearer"

# --- _setup, Vary and public-url -------------------------------------------------

pg_say "_setup varies with Host"
vary=$(curl -s -o /dev/null -D - "$V4/open/el9/_setup" | sed -n 's/^Vary: *//Ip' | tr -d '\r')
assert_eq "Vary: Host" Host "$vary"

pg_say "SIGHUP: public-url, and the auth-file read again"
umask 077
printf 'alice:%s\nbob:%s\n' "$(openssl passwd -6 -salt pgtestsalt 'correct-horse')" \
    "$(openssl passwd -6 'battery-staple')" >"$T/users"
umask 022
write_conf "public-url = https://gate.example.org/"
kill -HUP "$PG_PID"
n=100
until grep -q "configuration $PG_CONF loaded" "$T/patchgated.log"; do
	[ $n -gt 0 ] || fail "patchgated did not reload"
	sleep 0.1
	n=$((n - 1))
done
curl -s -o "$T/open.repo" -D "$T/open.h" "$V4/open/el9/_setup"
assert_contains "_setup names the public-url" "$(cat "$T/open.repo")" \
    "baseurl=https://gate.example.org/open/el9/"
assert_eq "  ... and no Vary" "" "$(sed -n 's/^Vary: *//Ip' "$T/open.h" | tr -d '\r')"
assert_status "$V4/locked/el9/repodata/repomd.xml" 200 -u 'bob:battery-staple'

# --- HTTP strictness ----------------------------------------------------------------

# raw REQUEST: the status code patchgated answers a raw request with.
raw() {
	"$PYTHON" - "${V4#http://}" "$1" <<-'EOF'
	import socket, sys
	host, port = sys.argv[1].rsplit(":", 1)
	s = socket.create_connection((host, int(port)), timeout=10)
	s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
	data = b""
	while b"\r\n" not in data:
	    chunk = s.recv(4096)
	    if not chunk:
	        break
	    data += chunk
	print(data.split(b" ")[1].decode() if data else "000")
	EOF
}
pg_say "Content-Length"
assert_eq "two conflicting Content-Length: 400" 400 \
    "$(raw 'POST /open/_report/h3 HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 20\r\n\r\nfoo 0 1.0 1 noarch\n')"
assert_eq "two equal Content-Length: 400" 400 \
    "$(raw 'POST /open/_report/h3 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab')"
assert_eq "one Content-Length (the control): 400 for a bad report, not for the header" 400 \
    "$(raw 'POST /open/_report/-bad HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nab')"
assert_false "nothing stored for h3" test -e "$STORE/reports/open/h3"
assert_eq "a 9000-byte target: 414" 414 \
    "$(http_get "$V4/open/el9/$(head -c 9000 /dev/zero | tr '\0' a)" /dev/null)"
assert_eq "a 4000-byte one (the control): 404" 404 \
    "$(http_get "$V4/open/el9/$(head -c 4000 /dev/zero | tr '\0' a)" /dev/null)"

# --- configuration errors ----------------------------------------------------------

pg_say "auth-file errors, by file:line"
bad_auth() {
	cp "$PG_CONF" "$T/bad.conf"
	sed -i "s|^auth-file = .*|auth-file = $T/bad-users|" "$T/bad.conf"
	"$top_builddir/patchgated" -n -c "$T/bad.conf" 2>&1
}
umask 077
printf '# users\nalice:secret\n' >"$T/bad-users"
out=$(bad_auth)
assert_match "plaintext refused" "$out" "$T/bad-users:2: user alice: not a crypt\\(3\\) hash"
printf 'alice:$1$abc$0123456789012345678901\nbob:$apr1$x$y\n' >"$T/bad-users"
out=$(bad_auth)
assert_match "md5-crypt refused" "$out" "$T/bad-users:1: user alice: an unknown or weak hash form"
assert_match "  ... every line" "$out" "$T/bad-users:2: user bob"
umask 022
printf 'alice:%s\n' "$(openssl passwd -6 x)" >"$T/bad-users"
chmod 644 "$T/bad-users"
out=$(bad_auth)
assert_match "a file others can read is refused" "$out" "others may access it"
chmod 600 "$T/bad-users"
assert_match "the same file, 0600: OK" "$(bad_auth)" "configuration OK"

pg_done
