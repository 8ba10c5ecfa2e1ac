#!/bin/bash
# Consistency of an apt view across a switch of generations (Acquire-By-
# Hash): a client that fetched the InRelease of generation N must still get
# the index files that InRelease names after a sync has switched the view to
# N+1, byte for byte, under their by-hash paths.
#
# First with curl, step by step: InRelease of N; upstream changes; sync to
# N+1; N's by-hash paths for Packages and Packages.xz (upstream's own:
# the view lists all upstream lists) still
# give N's bytes, N+1's InRelease is consistent in itself.  Then real
# apt-get in the middle of the race: a relay between apt-get and patchgated
# holds apt-get's InRelease answer until a sync has switched the view, so
# apt-get asks for the old generation's index files after the switch; its
# update must succeed without a warning and see the old generation, and the
# next update the new one.
#
# The race harness is proven first against a plain by-hash upstream (as
# Debian's, which keeps old by-hash files for a while): apt-get succeeds
# when the archive keeps N's by-hash files, and fails when it drops them.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkaptrepo.sh"

need_apt
pg_need_programs

W=$T/www
STORE=$T/store
export APT_BYHASH=1

mkdeb "$W/plain" hello 1.0
mkaptrepo "$W/plain" 2026-01-01T00:00:00Z
mkdeb "$W/debian" hello 1.0
mkaptrepo "$W/debian" 2026-01-01T00:00:00Z
start_upstream "$W"
UP=$UPSTREAM_URL/debian

pg_say "the race harness against the plain upstream"
relay_start "$UPSTREAM_URL/plain"
apt_root "$T/plain" "$T/keys/archive.gpg" "$RELAY_URL" bookworm
apt_update "$T/plain" || fail "apt-get update from the plain upstream: the test setup is broken"
assert_eq "apt-get sees hello 1.0 upstream" 1.0 "$(apt_versions "$T/plain" hello)"

# plain_change VERSION [drop]: upstream adds hello VERSION; with drop, the
# archive deletes the by-hash files of the generation before at once.
plain_change() {
	mkdeb "$W/plain" hello "$1"
	[ "${2:-}" = drop ] && rm -rf "$W/plain/dists/bookworm/main/binary-amd64/by-hash"
	mkaptrepo "$W/plain" "2026-01-1${1#1.}T00:00:00Z"
}
# apt-get's state is hello 1.0; upstream moves on to 1.1 and then, while
# apt-get holds that InRelease, to 1.2.
plain_change 1.1
apt_race "$T/plain" plain_change 1.2
assert_eq "harness: apt-get across an upstream switch that keeps by-hash files succeeds" 0 $?
assert_eq "harness: apt-get saw the generation of the InRelease it held (hello 1.0, 1.1)" \
    "$(printf '%s\n' 1.0 1.1)" "$(apt_versions "$T/plain" hello)"
apt_race "$T/plain" plain_change 1.3 drop
rc=$?
assert_ne "harness: the relay held apt-get's InRelease" 2 $rc
assert_ne "harness: apt-get fetched the index files of the InRelease it held" 3 $rc
assert_ne "harness: apt-get across a switch that drops the old by-hash files fails" 0 $rc
apt_update "$T/plain" || pg_notok "harness: apt-get update after the race"
assert_eq "harness: apt-get then sees hello 1.0 to 1.3" "$(printf '%s\n' 1.0 1.1 1.2 1.3)" \
    "$(apt_versions "$T/plain" hello)"
relay_stop

PG_CONF=$T/patchgate.conf
cat >"$PG_CONF" <<EOF
[server]
listen = 127.0.0.1:0
store = $STORE

[mirror debian]
type = apt
url = $UP
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

PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync || fail "the sync of A failed"
PATCHGATE_NOW=2026-01-01T00:00:00Z start_patchgated "$PG_CONF"
DEV=$PG_URL/dev/debian
KEY=$(apt_proxy_key)

apt_root "$T/r" "$KEY" "$DEV" bookworm
apt_update "$T/r" || fail "apt-get update of generation A through the proxy"
assert_eq "apt-get sees hello 1.0 in the view of A" 1.0 "$(apt_versions "$T/r" hello)"

pg_say "upstream B: + hello 1.1; sync"
mkdeb "$W/debian" hello 1.1
mkaptrepo "$W/debian" 2026-01-02T00:00:00Z
PATCHGATE_NOW=2026-01-02T00:00:00Z pg_sync || fail "the sync of B failed"

pg_say "a client fetches the InRelease of B (generation N) and its index files"
[ "$(http_get "$DEV/dists/bookworm/InRelease" "$T/InRelease.N")" = 200 ] || fail "no InRelease"
assert_match "N's InRelease says Acquire-By-Hash: yes" "$(cat "$T/InRelease.N")" "^Acquire-By-Hash: yes"
: >"$T/listed.N"
for f in Packages Packages.xz; do
	hs=$(pg_apt listed "$T/InRelease.N" "main/binary-amd64/$f") || {
		pg_notok "N's InRelease lists main/binary-amd64/$f"
		continue
	}
	echo "$f $hs" >>"$T/listed.N"
	[ "$(http_get "$DEV/dists/bookworm/main/binary-amd64/by-hash/SHA256/${hs% *}" "$T/N.$f")" = 200 ] ||
		pg_notok "N's by-hash $f is served before the switch"
done
pg_apt index "$DEV" bookworm main amd64 "$T/N.plain" || fail "N's Packages is not served as listed"
assert_eq "N lists hello 1.0 and 1.1" "$(printf '%s\n' hello=1.0 hello=1.1)" "$(pg_apt versions "$T/N.plain")"

pg_say "upstream C: + hello 1.2; the sync switches the view to N+1"
mkdeb "$W/debian" hello 1.2
mkaptrepo "$W/debian" 2026-01-03T00:00:00Z
PATCHGATE_NOW=2026-01-03T00:00:00Z pg_sync || fail "the sync of C failed"
[ "$(http_get "$DEV/dists/bookworm/InRelease" "$T/InRelease.N1")" = 200 ] || fail "no InRelease after the switch"
assert_false "the InRelease changed with the switch" cmp -s "$T/InRelease.N" "$T/InRelease.N1"
while read -r f h size; do
	assert_status "$DEV/dists/bookworm/main/binary-amd64/by-hash/SHA256/$h" 200
	assert_eq "after the switch, N's by-hash $f has N's SHA256" \
	    "$h" "$(sha256sum <"$HTTP_BODY" | cut -d' ' -f1)"
	assert_eq "after the switch, N's by-hash $f has N's size" "$size" "$(wc -c <"$HTTP_BODY")"
	assert_files_eq "after the switch, N's by-hash $f is byte-identical to what N's client got before" \
	    "$T/N.$f" "$HTTP_BODY"
done <"$T/listed.N"
assert_true "N+1: every file its InRelease lists is served with its size and SHA256, by-hash too" \
    pg_apt consistent "$DEV" bookworm
pg_apt index "$DEV" bookworm main amd64 "$T/N1.plain" || pg_notok "N+1's Packages is served as listed"
assert_eq "N+1 lists hello 1.0, 1.1 and 1.2" "$(printf '%s\n' hello=1.0 hello=1.1 hello=1.2)" \
    "$(pg_apt versions "$T/N1.plain")"
assert_true "N+1: InRelease and Release.gpg verify against /_key.asc" apt_verify_sig "$DEV" bookworm "$KEY"

pg_say "real apt-get in the race: it holds N+1's InRelease while a sync switches to N+2"
mkdeb "$W/debian" hello 1.3
mkaptrepo "$W/debian" 2026-01-04T00:00:00Z
relay_start "$DEV"
apt_root "$T/race" "$KEY" "$RELAY_URL" bookworm
# switch_view: the sync to N+2, while apt-get waits.
switch_view() {
	PATCHGATE_NOW=2026-01-04T00:00:00Z pg_sync || pg_notok "the sync of D (during apt-get update)"
	[ "$(http_get "$DEV/dists/bookworm/InRelease" "$T/InRelease.N2")" = 200 ] ||
		pg_notok "InRelease after the switch"
	assert_false "the view switched to N+2 while apt-get waited" cmp -s "$T/InRelease.N1" "$T/InRelease.N2"
}
apt_race "$T/race" switch_view
rc=$?
assert_ne "the relay held apt-get's InRelease" 2 $rc
assert_ne "apt-get fetched the index files of the InRelease it held" 3 $rc
assert_eq "apt-get update across the switch succeeds without warnings" 0 $rc
assert_eq "apt-get sees N+1 (hello 1.0 to 1.2): the InRelease it got and its index files agree" \
    "$(printf '%s\n' 1.0 1.1 1.2)" "$(apt_versions "$T/race" hello)"
relay_stop

pg_say "the next apt-get update sees N+2"
apt_update "$T/r" || pg_notok "apt-get update of N+2"
assert_eq "apt-get sees hello 1.0 to 1.3" "$(printf '%s\n' 1.0 1.1 1.2 1.3)" "$(apt_versions "$T/r" hello)"
assert_true "N+2: every file its InRelease lists is served with its size and SHA256, by-hash too" \
    pg_apt consistent "$DEV" bookworm

pg_done
