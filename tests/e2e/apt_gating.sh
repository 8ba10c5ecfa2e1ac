#!/bin/bash
# Gating of an apt mirror, end to end, with real .debs (dpkg-deb), a real
# archive (apt-ftparchive, gpg), an HTTP upstream and real apt-get
# downloading through patchgated, signatures verified with signed-by.
#
# apt indexes carry no dates: a version's release time is the time of the
# sync that first saw it, and what the first sync sees is the base.
#   upstream on 2026-01-01: hello 1.0, world 1.0, moon 1.0 (the base)
#   sync of 2026-01-10 12:00 first sees hello 1.1 and moon 1.1 (upstream's
#     Release is dated 06:00: the release time is the sync's, not that)
#   2026-01-13: dev (delay 0) downloads hello 1.1, prod (delay 7d, world
#     rejected) hello 1.0; prod never lists world, its .deb is 404
#   2026-01-14: upstream deletes hello 1.0 and moon 1.0 (Debian keeps only
#     the newest): prod still lists and downloads both; nobody had asked
#     the proxy for moon 1.0 before, so it comes from the at-risk prefetch
#   2026-01-17 11:00: prod still on 1.0 (1.1 ripens at 12:00)
#   2026-01-18: prod gets hello 1.1 and moon 1.1
# Every stanza of every view is byte-identical to upstream's stanza of the
# same package and version.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkaptrepo.sh"

need_apt
pg_need_programs

W=$T/www
REPO=$W/debian
STORE=$T/store
PKGS=dists/bookworm/main/binary-amd64/Packages

pg_say "upstream: hello 1.0, world 1.0, moon 1.0"
for p in hello world moon; do mkdeb "$REPO" $p 1.0; done
mkaptrepo "$REPO" 2025-12-31T00:00:00Z
cp "$REPO/$PKGS" "$T/up-1.Packages"
start_upstream "$W"
UP=$UPSTREAM_URL/debian

# The infrastructure itself: real apt-get from the plain upstream, the
# test key in signed-by (binary here, armored through the proxy) ...
apt_root "$T/direct" "$T/keys/archive.gpg" "$UP" bookworm
apt_update "$T/direct" ||
	fail "apt-get update from the plain upstream: the test setup is broken"
apt_download "$T/direct" hello ||
	fail "apt-get install --download-only hello from the plain upstream: the test setup is broken"
assert_eq "apt-get downloads hello 1.0 from the plain upstream" hello_1.0_all.deb "$(apt_archives "$T/direct")"
assert_eq "apt-get sees hello 1.0 upstream" 1.0 "$(apt_versions "$T/direct" hello)"
# ... and apt_update can fail: the same upstream with another key.
apt_keygen other
apt_root "$T/direct-other" "$T/keys/other.asc" "$UP" bookworm
if apt_update "$T/direct-other"; then
	pg_notok "apt_update fails when signed-by names another key"
else
	pg_ok "apt_update fails when signed-by names another key"
	assert_match "apt-get says why" "$(cat "$APT_LOG")" "NO_PUBKEY|signature"
fi

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

[baseline prod]
rule = classification=* delay=7d
rejected = world

[group dev]
baseline = dev
mirrors = debian

[group prod]
baseline = prod
mirrors = debian
EOF

PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync || fail "the first sync failed"

pg_say "upstream: + hello 1.1, moon 1.1 (Release dated 2026-01-10 06:00)"
mkdeb "$REPO" hello 1.1
mkdeb "$REPO" moon 1.1
mkaptrepo "$REPO" 2026-01-10T06:00:00Z
cp "$REPO/$PKGS" "$T/up-2.Packages"

PATCHGATE_NOW=2026-01-10T12:00:00Z pg_sync || fail "the sync of 2026-01-10 failed"
PATCHGATE_NOW=2026-01-10T12:00:00Z start_patchgated "$PG_CONF"
DEV=$PG_URL/dev/debian
PROD=$PG_URL/prod/debian
KEY=$(apt_proxy_key)

# Upstream unchanged: the sync re-evaluates the views with the new clock.
PATCHGATE_NOW=2026-01-13T12:00:00Z pg_sync || fail "the sync of 2026-01-13 failed"

# check_view NAME BASEURL NOW VERSIONS: the metadata of one view at NOW:
# its stanzas are upstream's, byte for byte, and exactly VERSIONS
# ("name=version" lines); every file its InRelease lists is served as
# listed, by-hash too; the signatures verify against /_key.asc; the
# Packages files of every format say the same; translations are upstream's.
check_view() {
	local name=$1 base=$2 now=$3 want=$4 f n out
	f=$T/$name.$now.Packages
	if ! pg_apt index "$base" bookworm main amd64 "$f"; then
		pg_notok "$name at $now: the view's InRelease lists a Packages index that is served as listed"
		return
	fi
	n=$(pg_apt same "$f" "$T"/up-*.Packages)
	assert_eq "$name at $now: every stanza is byte-identical to upstream's, $(echo "$want" | wc -l) of them" \
	    "$(echo "$want" | wc -l)" "$n"
	assert_eq "$name at $now: the view lists exactly these versions" "$want" "$(pg_apt versions "$f")"
	assert_true "$name at $now: every file the InRelease lists is served with its size and SHA256" \
	    pg_apt consistent "$base" bookworm
	assert_true "$name at $now: InRelease and Release.gpg verify against /_key.asc" \
	    apt_verify_sig "$base" bookworm "$KEY"
	assert_true "$name at $now: Date and Valid-Until hold at the test's clock" \
	    pg_apt dates "$base/dists/bookworm/InRelease" "$now"
	assert_match "$name at $now: InRelease says Acquire-By-Hash: yes" \
	    "$(curl -s "$base/dists/bookworm/InRelease")" "^Acquire-By-Hash: yes"
	# Views carry the plain form and one compressed form: gzip made by
	# patchgate, or upstream's own (here xz) when the view lists
	# exactly what upstream lists.
	curl -s "$base/dists/bookworm/InRelease" >"$T/$name.$now.InRelease"
	ext=.gz
	pg_apt listed "$T/$name.$now.InRelease" main/binary-amd64/Packages.gz >/dev/null ||
		ext=.xz
	for ext in "" $ext; do
		out=$T/$name.$now.Packages$ext.d
		if pg_apt fetch "$base" bookworm "main/binary-amd64/Packages$ext" "$out"; then
			assert_files_eq "$name at $now: Packages$ext holds the same stanzas" "$f" "$out"
		else
			pg_notok "$name at $now: main/binary-amd64/Packages$ext is listed and served as listed"
		fi
	done
	if [ "$ext" = .xz ]; then
		assert_eq "$name at $now: its Packages.xz is upstream's, byte for byte" \
		    "$(sha256sum <"$REPO/dists/bookworm/main/binary-amd64/Packages.xz" | cut -d' ' -f1)" \
		    "$(curl -s "$base/dists/bookworm/main/binary-amd64/Packages.xz" | sha256sum | cut -d' ' -f1)"
		assert_eq "$name at $now: it lists every version upstream lists" \
		    "$(pg_apt versions "$REPO/$PKGS")" "$(pg_apt versions "$f")"
	fi
	if pg_apt fetch "$base" bookworm main/i18n/Translation-en.xz "$T/$name.tr"; then
		xz -dc "$REPO/dists/bookworm/main/i18n/Translation-en.xz" >"$T/up.tr"
		assert_files_eq "$name at $now: Translation-en.xz is upstream's" "$T/up.tr" "$T/$name.tr"
	else
		pg_notok "$name at $now: the view passes main/i18n/Translation-en.xz through"
	fi
}

# downloads ROOT NAME: what apt-get install --download-only NAME fetches.
downloads() {
	apt_download "$1" "$2" || { echo "apt-get failed"; return; }
	apt_archives "$1"
}

pg_say "2026-01-13 12:00: dev"
apt_root "$T/dev" "$KEY" "$DEV" bookworm
apt_update "$T/dev" || pg_notok "apt-get update in dev, without warnings"
assert_eq "dev: apt-get downloads hello 1.1" hello_1.1_all.deb "$(downloads "$T/dev" hello)"
assert_files_eq "dev: the .deb apt-get fetched is upstream's" \
    "$T/debs/hello_1.1_all.deb" "$T/dev/var/cache/apt/archives/hello_1.1_all.deb"
assert_eq "dev: apt knows hello 1.0 and 1.1" "$(printf '1.0\n1.1')" "$(apt_versions "$T/dev" hello)"
assert_eq "dev: apt knows world 1.0" 1.0 "$(apt_versions "$T/dev" world)"
check_view dev "$DEV" 2026-01-13T12:00:00Z "$(printf '%s\n' hello=1.0 hello=1.1 moon=1.0 moon=1.1 world=1.0)"
assert_status "$DEV/$(deb_path world 1.0)" 200
assert_files_eq "dev: world's .deb is upstream's" "$T/debs/world_1.0_all.deb" "$HTTP_BODY"

pg_say "2026-01-13 12:00: prod"
apt_root "$T/prod" "$KEY" "$PROD" bookworm
apt_update "$T/prod" || pg_notok "apt-get update in prod, without warnings"
assert_eq "prod: apt-get downloads hello 1.0 (1.1 ripens on 2026-01-17 12:00)" \
    hello_1.0_all.deb "$(downloads "$T/prod" hello)"
assert_files_eq "prod: the .deb apt-get fetched is upstream's" \
    "$T/debs/hello_1.0_all.deb" "$T/prod/var/cache/apt/archives/hello_1.0_all.deb"
assert_eq "prod: apt knows hello 1.0 only" 1.0 "$(apt_versions "$T/prod" hello)"
assert_eq "prod: apt knows no world (rejected)" "" "$(apt_versions "$T/prod" world)"
if apt_download "$T/prod" world; then
	pg_notok "prod: apt-get cannot download world"
else
	pg_ok "prod: apt-get cannot download world"
fi
check_view prod "$PROD" 2026-01-13T12:00:00Z "$(printf '%s\n' hello=1.0 moon=1.0)"
for ext in "" .gz .xz; do
	pg_apt fetch "$PROD" bookworm "main/binary-amd64/Packages$ext" "$T/prod.p" 2>/dev/null &&
		assert_not_contains "prod: Packages$ext names nothing of world" "$(cat "$T/prod.p")" world
done
assert_status "$PROD/$(deb_path world 1.0)" 404
assert_match "prod: the 404 of world's .deb gives the reason" "$(cat "$HTTP_BODY")" "reject"
assert_status "$PROD/$(deb_path hello 1.1)" 404
assert_match "prod: the 404 of hello 1.1 gives the reason" "$(cat "$HTTP_BODY")" \
    "held|delay|not yet|not in the view"

pg_say "2026-01-14: upstream deletes hello 1.0 and moon 1.0"
rm -f "$REPO/$(deb_path hello 1.0)" "$REPO/$(deb_path moon 1.0)"
mkaptrepo "$REPO" 2026-01-14T00:00:00Z
cp "$REPO/$PKGS" "$T/up-3.Packages"
assert_status "$UP/$(deb_path moon 1.0)" 404
assert_eq "upstream lists hello 1.1, moon 1.1, world 1.0" \
    "$(printf '%s\n' hello=1.1 moon=1.1 world=1.0)" "$(pg_apt versions "$T/up-3.Packages")"
PATCHGATE_NOW=2026-01-14T12:00:00Z pg_sync || fail "the sync of 2026-01-14 failed"

apt_update "$T/prod" || pg_notok "apt-get update in prod on 2026-01-14, without warnings"
assert_eq "prod: apt-get still downloads hello 1.0 (retained)" hello_1.0_all.deb "$(downloads "$T/prod" hello)"
assert_files_eq "prod: the retained hello 1.0 is upstream's .deb" \
    "$T/debs/hello_1.0_all.deb" "$T/prod/var/cache/apt/archives/hello_1.0_all.deb"
assert_eq "prod: apt-get downloads moon 1.0, never asked for before upstream deleted it (at-risk prefetch)" \
    moon_1.0_all.deb "$(downloads "$T/prod" moon)"
assert_files_eq "prod: the prefetched moon 1.0 is upstream's .deb" \
    "$T/debs/moon_1.0_all.deb" "$T/prod/var/cache/apt/archives/moon_1.0_all.deb"
check_view prod "$PROD" 2026-01-14T12:00:00Z "$(printf '%s\n' hello=1.0 moon=1.0)"
apt_update "$T/dev" || pg_notok "apt-get update in dev on 2026-01-14, without warnings"
assert_eq "dev: apt knows hello 1.1 only (upstream's list)" 1.1 "$(apt_versions "$T/dev" hello)"
check_view dev "$DEV" 2026-01-14T12:00:00Z "$(printf '%s\n' hello=1.1 moon=1.1 world=1.0)"

pg_say "2026-01-17 11:00: an hour before hello 1.1 ripens for prod"
PATCHGATE_NOW=2026-01-17T11:00:00Z pg_sync || fail "the sync of 2026-01-17 failed"
apt_update "$T/prod" || pg_notok "apt-get update in prod on 2026-01-17, without warnings"
assert_eq "prod: apt-get still downloads hello 1.0 (first seen 2026-01-10 12:00, not the Release's 06:00)" \
    hello_1.0_all.deb "$(downloads "$T/prod" hello)"

pg_say "2026-01-18: hello 1.1 and moon 1.1 have ripened for prod"
PATCHGATE_NOW=2026-01-18T00:00:00Z pg_sync || fail "the sync of 2026-01-18 failed"
apt_update "$T/prod" || pg_notok "apt-get update in prod on 2026-01-18, without warnings"
assert_eq "prod: apt-get downloads hello 1.1" hello_1.1_all.deb "$(downloads "$T/prod" hello)"
assert_eq "prod: apt-get downloads moon 1.1" moon_1.1_all.deb "$(downloads "$T/prod" moon)"
assert_eq "prod: apt knows hello 1.1 only" 1.1 "$(apt_versions "$T/prod" hello)"
assert_eq "prod: apt still knows no world" "" "$(apt_versions "$T/prod" world)"
check_view prod "$PROD" 2026-01-18T00:00:00Z "$(printf '%s\n' hello=1.1 moon=1.1)"
assert_status "$PROD/$(deb_path world 1.0)" 404

pg_done
