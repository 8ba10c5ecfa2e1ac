#!/bin/bash
# Installability of an apt view (DESIGN.md invariant 6), end to end, with
# real .debs (dpkg-deb), a real archive (apt-ftparchive, gpg), an HTTP
# upstream and real apt-get and dpkg upgrading installed machines through
# patchgated, signatures verified with signed-by.
#
#   upstream on 2026-01-01 (the base): app 1.0 (Depends: libfoo), libfoo 1.0
#   2026-01-10 12:00: + app 2.0 (Depends: libfoo (= 2.0)), libfoo 2.0
# Every group has delay 0, so only the rules below decide:
#   dev  rejects nothing: lists app 2.0 and libfoo 2.0
#   blk  rejects libfoo=2.0, rejected-action = block: app 2.0 needs a
#        version blk cannot see, so it is held back with that reason (the
#        sync says so; its .deb is 404 with the reason); app 1.0 stays;
#        apt-get upgrade and dist-upgrade on a machine with app 1.0 succeed
#        and find nothing to do
#   dep  rejects libfoo=2.0, rejected-action = allow-as-dependency:
#        libfoo 2.0 is listed because app 2.0 needs it (the sync says so);
#        apt-get upgrade moves app and libfoo to 2.0
# And the test can fail: the same machine against a plain repository that
# leaves libfoo 2.0 out without the installability check (what a view
# without it would be) gets app kept back by apt-get upgrade and cannot
# apt-get install app; and dev lists app 2.0, so blk's hiding of it is the
# rule's doing.
#
# The machines are private apt roots (mkaptrepo.sh) whose dpkg installs
# into the root (--root): apt-get install and upgrade unpack for real.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkaptrepo.sh"

need_apt
need dpkg dpkg-query
pg_need_programs

W=$T/www
REPO=$W/debian
NAIVE=$W/naive
STORE=$T/store
PKGS=dists/bookworm/main/binary-amd64/Packages

# apt_machine ROOT KEYFILE URL: an apt root (apt_root) whose apt-get lets
# dpkg install into ROOT, with ROOT's own database and log.
apt_machine() {
	local root=$1
	apt_root "$@" bookworm
	mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/log"
	cat >>"$root/apt.conf" <<-EOF
	DPkg::Options { "--root=$root"; "--log=$root/var/log/dpkg.log"; };
	EOF
}

# deb_installed ROOT NAME: the version of NAME installed in ROOT ("ii"),
# or "none".
deb_installed() {
	local s
	s=$(dpkg-query --admindir="$1/var/lib/dpkg" -W -f='${db:Status-Abbrev}${Version}' "$2" 2>/dev/null)
	case $s in
	"ii "*) echo "${s#ii }" ;;
	*) echo none ;;
	esac
}

pg_say "upstream: app 1.0 (Depends: libfoo), libfoo 1.0"
DEB_DEPENDS="libfoo" mkdeb "$REPO" app 1.0
mkdeb "$REPO" libfoo 1.0
mkaptrepo "$REPO" 2025-12-31T00:00:00Z
cp "$REPO/$PKGS" "$T/up-1.Packages"
start_upstream "$W"
UP=$UPSTREAM_URL/debian

# The infrastructure itself: real apt-get and dpkg install into a machine
# from a plain repository, for now a copy of upstream (no proxy); below it
# becomes upstream without libfoo 2.0, to show that the test can fail.
apt_machine "$T/naive" "$T/keys/archive.gpg" "$UPSTREAM_URL/naive"
cp -r "$REPO" "$NAIVE"
apt_update "$T/naive" ||
	fail "apt-get update from the plain repository: the test setup is broken"
apt_get "$T/naive" install app ||
	fail "apt-get install app from the plain repository: the test setup is broken"
assert_eq "apt-get installs app 1.0 from the plain repository" 1.0 "$(deb_installed "$T/naive" app)"
assert_eq "... and libfoo 1.0 with it" 1.0 "$(deb_installed "$T/naive" libfoo)"
assert_eq "... into its own root" "app 1.0" "$(cat "$T/naive/usr/share/app/1.0" 2>/dev/null)"

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

[baseline blk]
rule = classification=* delay=0
rejected = libfoo=2.0
rejected-action = block

[baseline dep]
rule = classification=* delay=0
rejected = libfoo=2.0
rejected-action = allow-as-dependency

[group dev]
baseline = dev
mirrors = debian

[group blk]
baseline = blk
mirrors = debian

[group dep]
baseline = dep
mirrors = debian
EOF

PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync || fail "the first sync failed"
PATCHGATE_NOW=2026-01-01T00:00:00Z start_patchgated "$PG_CONF"
DEV=$PG_URL/dev/debian
BLK=$PG_URL/blk/debian
DEP=$PG_URL/dep/debian
KEY=$(apt_proxy_key)

pg_say "2026-01-01: machines in blk and dep install app through the proxy"
for g in blk dep; do
	apt_machine "$T/$g" "$KEY" "$PG_URL/$g/debian"
	apt_update "$T/$g" || pg_notok "$g: apt-get update, without warnings"
	apt_get "$T/$g" install app || pg_notok "$g: apt-get install app"
	assert_eq "$g: app 1.0 is installed" 1.0 "$(deb_installed "$T/$g" app)"
	assert_eq "$g: libfoo 1.0 is installed with it" 1.0 "$(deb_installed "$T/$g" libfoo)"
done

pg_say "upstream: + app 2.0 (Depends: libfoo (= 2.0)), libfoo 2.0"
DEB_DEPENDS="libfoo (= 2.0)" mkdeb "$REPO" app 2.0
mkdeb "$REPO" libfoo 2.0
mkaptrepo "$REPO" 2026-01-10T06:00:00Z
cp "$REPO/$PKGS" "$T/up-2.Packages"
assert_eq "upstream lists app 1.0 and 2.0, libfoo 1.0 and 2.0" \
    "$(printf '%s\n' app=1.0 app=2.0 libfoo=1.0 libfoo=2.0)" "$(pg_apt versions "$T/up-2.Packages")"

PATCHGATE_NOW=2026-01-10T12:00:00Z pg_sync || fail "the sync of 2026-01-10 failed"
SYNC_LOG=$(cat "$SYNC_OUT" "$SYNC_ERR")

# check_view NAME BASEURL VERSIONS: the view's Packages holds upstream's
# stanzas, exactly VERSIONS ("name=version" lines), served as listed.
check_view() {
	local name=$1 base=$2 want=$3 f n
	f=$T/$name.Packages
	if ! pg_apt index "$base" bookworm main amd64 "$f"; then
		pg_notok "$name: the view's InRelease lists a Packages index that is served as listed"
		return
	fi
	assert_eq "$name: the view lists exactly these versions" "$want" "$(pg_apt versions "$f")"
	n=$(pg_apt same "$f" "$T"/up-*.Packages)
	assert_eq "$name: every stanza is byte-identical to upstream's" "$(echo "$want" | wc -l)" "$n"
	assert_true "$name: every file the InRelease lists is served with its size and SHA256" \
	    pg_apt consistent "$base" bookworm
}

pg_say "the test can fail: a plain repository without libfoo 2.0, no installability check"
rm -rf "$NAIVE"
mkdir -p "$NAIVE"
cp -r "$REPO/pool" "$NAIVE/pool"
rm -f "$NAIVE/$(deb_path libfoo 2.0)"
mkaptrepo "$NAIVE" 2026-01-10T06:00:00Z
assert_eq "the plain repository lists app 2.0 but not libfoo 2.0" \
    "$(printf '%s\n' app=1.0 app=2.0 libfoo=1.0)" "$(pg_apt versions "$NAIVE/$PKGS")"
apt_update "$T/naive" || pg_notok "naive: apt-get update, without warnings"
apt_get "$T/naive" upgrade || pg_notok "naive: apt-get upgrade runs"
assert_match "naive: apt-get upgrade keeps app back (app 2.0 cannot be installed)" \
    "$(cat "$APT_LOG")" "kept back|[1-9][0-9]* not upgraded"
if apt_get "$T/naive" install app; then
	pg_notok "naive: apt-get install app fails (app 2.0 needs libfoo (= 2.0), which is not there)" \
	    "apt-get succeeded: this test could not tell a checked view from an unchecked one"
else
	pg_ok "naive: apt-get install app fails (app 2.0 needs libfoo (= 2.0), which is not there)"
	assert_match "apt-get says app depends on libfoo (= 2.0)" "$(cat "$APT_LOG")" \
	    "app : Depends: libfoo \(= 2\.0\)"
fi
assert_eq "naive: app is still 1.0" 1.0 "$(deb_installed "$T/naive" app)"

pg_say "dev: nothing rejected"
check_view dev "$DEV" "$(printf '%s\n' app=1.0 app=2.0 libfoo=1.0 libfoo=2.0)"
assert_status "$DEV/$(deb_path app 2.0)" 200
assert_files_eq "dev: app 2.0's .deb is upstream's" "$T/debs/app_2.0_all.deb" "$HTTP_BODY"

pg_say "blk: libfoo=2.0 rejected, rejected-action = block"
APP2=$(deb_path app 2.0)
LIBFOO2=$(deb_path libfoo 2.0)
assert_contains "the sync says blk holds app 2.0 back for libfoo (= 2.0)" "$SYNC_LOG" \
    "group blk, mirror debian: $APP2: held back for a dependency: it needs libfoo (= 2.0)"
assert_match "... which group blk cannot see" "$SYNC_LOG" \
    "group blk, mirror debian: ${APP2//./\\.}: held back for a dependency: .*which group blk cannot see"
assert_eq "the sync holds nothing back and lets nothing in for dev" "" \
    "$(grep -E 'group dev, mirror debian: .*(held back for a dependency|listed as a dependency)' <<<"$SYNC_LOG")"
assert_eq "the sync holds nothing back for dep" "" \
    "$(grep -E 'group dep, mirror debian: .*held back for a dependency' <<<"$SYNC_LOG")"
check_view blk "$BLK" "$(printf '%s\n' app=1.0 libfoo=1.0)"
for ext in "" .gz; do
	pg_apt fetch "$BLK" bookworm "main/binary-amd64/Packages$ext" "$T/blk.p" 2>/dev/null &&
		assert_not_contains "blk: Packages$ext names no app 2.0" "$(cat "$T/blk.p")" "app_2.0_all.deb"
done
assert_true "blk: InRelease and Release.gpg verify against /_key.asc" \
    apt_verify_sig "$BLK" bookworm "$KEY"
assert_status "$BLK/$APP2" 404
assert_match "blk: the 404 of app 2.0 says it is held back for libfoo (= 2.0)" "$(cat "$HTTP_BODY")" \
    "held back for a dependency: it needs libfoo \(= 2\.0\)"
assert_status "$BLK/$LIBFOO2" 404
assert_match "blk: the 404 of libfoo 2.0 says it is rejected" "$(cat "$HTTP_BODY")" "reject"

apt_update "$T/blk" || pg_notok "blk: apt-get update, without warnings"
assert_eq "blk: apt knows app 1.0 only" 1.0 "$(apt_versions "$T/blk" app)"
assert_eq "blk: apt knows libfoo 1.0 only" 1.0 "$(apt_versions "$T/blk" libfoo)"
apt_get "$T/blk" upgrade
assert_eq "blk: apt-get upgrade succeeds" 0 "$?"
assert_contains "blk: apt-get upgrade has nothing to do, nothing kept back" "$(cat "$APT_LOG")" \
    "0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded."
apt_get "$T/blk" dist-upgrade
assert_eq "blk: apt-get dist-upgrade succeeds" 0 "$?"
assert_contains "blk: apt-get dist-upgrade has nothing to do" "$(cat "$APT_LOG")" \
    "0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded."
apt_get "$T/blk" install app
assert_eq "blk: apt-get install app succeeds" 0 "$?"
assert_contains "blk: ... app 1.0 is the newest version" "$(cat "$APT_LOG")" \
    "app is already the newest version (1.0)"
assert_eq "blk: app stays 1.0" 1.0 "$(deb_installed "$T/blk" app)"
assert_eq "blk: libfoo stays 1.0" 1.0 "$(deb_installed "$T/blk" libfoo)"

pg_say "dep: libfoo=2.0 rejected, rejected-action = allow-as-dependency"
assert_contains "the sync says dep lets libfoo 2.0 in for app 2.0" "$SYNC_LOG" \
    "group dep, mirror debian: $LIBFOO2: listed as a dependency although rejected by baseline dep"
assert_match "... needed by app 2.0, which depends on libfoo (= 2.0)" "$SYNC_LOG" \
    "group dep, mirror debian: ${LIBFOO2//./\\.}: listed as a dependency .*: needed by app \(2\.0\), which depends on libfoo \(= 2\.0\) \(rejected-action = allow-as-dependency\)"
assert_eq "the sync lets nothing in for blk" "" \
    "$(grep -E 'group blk, mirror debian: .*listed as a dependency' <<<"$SYNC_LOG")"
check_view dep "$DEP" "$(printf '%s\n' app=1.0 app=2.0 libfoo=1.0 libfoo=2.0)"
apt_update "$T/dep" || pg_notok "dep: apt-get update, without warnings"
apt_get "$T/dep" upgrade
assert_eq "dep: apt-get upgrade succeeds" 0 "$?"
assert_contains "dep: apt-get upgrade upgrades both, keeps nothing back" "$(cat "$APT_LOG")" \
    "2 upgraded, 0 newly installed, 0 to remove and 0 not upgraded."
assert_eq "dep: app is now 2.0" 2.0 "$(deb_installed "$T/dep" app)"
assert_eq "dep: libfoo is now 2.0 (let in as app 2.0's dependency)" 2.0 "$(deb_installed "$T/dep" libfoo)"
assert_eq "dep: dpkg unpacked libfoo 2.0" "libfoo 2.0" "$(cat "$T/dep/usr/share/libfoo/2.0" 2>/dev/null)"

pg_done
