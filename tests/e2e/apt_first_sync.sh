#!/bin/bash
# The first sync of an apt mirror plans its views from the versions as it
# recorded them, without reading them back from the store (facts_take).
# Whatever the store then says must plan the same views: a mirror of two
# architectures whose indexes both list the same Architecture: all
# versions (as Debian's do), first synced with a hold in force for prod.
# Each view's indexes and packages.idx must equal, byte for byte, those of
# a preview of the same group at the same time, which is planned from the
# store read back, and list exactly the versions they should.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkaptrepo.sh"

need_apt
pg_need_programs

W=$T/www
REPO=$W/debian
STORE=$T/store
T0=2026-01-01T00:00:00Z
D=$REPO/dists/bookworm/main

pg_say "upstream: hello, world, moon 1.0 in binary-amd64 and binary-i386"
for p in hello world moon; do mkdeb "$REPO" $p 1.0; done
aptrepo_index "$REPO"
mkdir -p "$D/binary-i386"
cp "$D"/binary-amd64/Packages* "$D/binary-i386/"
aptrepo_release "$REPO" bookworm 2025-12-31T00:00:00Z
aptrepo_sign "$REPO" bookworm
start_upstream "$W"

PG_CONF=$T/patchgate.conf
cat >"$PG_CONF" <<CONF
[server]
listen = 127.0.0.1:0
store = $STORE

[mirror debian]
type = apt
url = $UPSTREAM_URL/debian
suites = bookworm
components = main
architectures = amd64 i386
keyring = $T/keys/archive.gpg

[baseline dev]
rule = classification=* delay=0

[baseline prod]
rule = classification=* delay=7d

[group dev]
baseline = dev
mirrors = debian

[group prod]
baseline = prod
mirrors = debian
CONF

PATCHGATE_NOW=$T0 "$top_builddir/patchgate" -c "$PG_CONF" hold world --group prod \
    --reason "first-sync test" >"$T/hold.out" 2>&1 ||
	fail "the hold before the first sync failed: $(cat "$T/hold.out")"
PATCHGATE_NOW=$T0 pg_sync || fail "the first sync failed"
for g in dev prod; do
	PATCHGATE_NOW=$T0 "$top_builddir/patchgate" -c "$PG_CONF" preview --publish "$g" \
	    --at "$T0" debian >"$T/preview.$g.out" 2>&1 ||
		fail "preview --publish $g failed: $(cat "$T/preview.$g.out")"
done
PATCHGATE_NOW=$T0 start_patchgated "$PG_CONF"

want_dev=$(printf 'hello=1.0\nmoon=1.0\nworld=1.0')
want_prod=$(printf 'hello=1.0\nmoon=1.0')
for g in dev prod; do
	for a in amd64 i386; do
		pg_apt index "$PG_URL/$g/debian" bookworm main $a "$T/$g.$a" ||
			fail "the view of $g does not serve its $a index as its InRelease lists it"
		pg_apt index "$PG_URL/_preview/$g/$T0/debian" bookworm main $a "$T/$g.$a.preview" ||
			fail "the preview of $g does not serve its $a index as its InRelease lists it"
		want=want_$g
		assert_eq "$g, $a: the first sync's view lists exactly these versions" \
		    "${!want}" "$(pg_apt versions "$T/$g.$a")"
		assert_files_eq "$g, $a: the first sync's index is the one planned from the store" \
		    "$T/$g.$a.preview" "$T/$g.$a"
	done
	# What patchgated serves package files by (and refuses the held).
	assert_files_eq "$g: the first sync's packages.idx is the one planned from the store" \
	    "$STORE/previews/$g/$T0/debian/packages.idx" \
	    "$(readlink -f "$STORE/views/$g/debian/current")/packages.idx"
done
assert_contains "prod's packages.idx hides world for the hold" \
    "$(cat "$STORE/views/prod/debian/current/packages.idx")" "held for group prod: first-sync test"

pg_done
