#!/bin/bash
# Retention of an apt mirror, end to end: a Debian suite lists one version
# per package, so the update that adds 1.1 drops 1.0 from the index, and the
# pool deletes 1.0's file soon after (or at once).  prod (delay 7d) must keep
# 1.0 until 1.1 ripens; dev (delay 0) moves to 1.1.  Real .debs (dpkg-deb),
# apt-ftparchive, gpg, an HTTP upstream and real apt-get through patchgated.
#
# Four mirrors of one upstream server, one scenario each, synced together:
#   keep   gatedeb: the index of 2026-01-10 lists 1.1 only, the pool still
#          holds 1.0's file: that sync stores it (at-risk prefetch, the
#          default); the pool deletes it before the sync of 2026-01-11.
#   vis    visdeb, prefetch = visible: the pool deletes 1.0 in the same
#          update that adds 1.1; the first sync had stored it already,
#          because prod listed it.
#   gone   gonedeb, the same update as vis with the default prefetch: 1.0 is
#          lost for prod (the warning names it and the group), prod lists
#          no gonedeb until 1.1 ripens, the 404 of its path says why.  This
#          is also the control of vis: without prefetch = visible, it fails.
#   arch   arcdeb, the same update with archive-url = STALE ARCHIVE: the
#          pool has no 1.0 any more, STALE holds other bytes under its path
#          (verification rejects them), ARCHIVE holds upstream's file.
# 2026-01-18: 1.1 (first seen 2026-01-10 12:00) has ripened for prod.
# Every .deb apt-get fetches is compared with upstream's original file,
# kept in $T/debs by mkdeb.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkaptrepo.sh"

need_apt
pg_need_programs

W=$T/www
STORE=$T/store
PKGS=dists/bookworm/main/binary-amd64/Packages
MIRRORS="keep vis gone arch"

# pkg_of MIRROR: the package of that mirror's scenario (distinct names, so
# that no two mirrors share a file in the content-addressed store).
pkg_of() {
	case $1 in
	keep) echo gatedeb ;;
	vis) echo visdeb ;;
	gone) echo gonedeb ;;
	arch) echo arcdeb ;;
	esac
}

# index_without REPO DATE PATH...: upstream's index, Release and signatures
# for every .deb under REPO/pool except PATHs, which stay in the pool (the
# pool keeps a file for a while after the suite stops listing it).
index_without() {
	local repo=$1 date=$2 p
	shift 2
	mkdir -p "$T/aside"
	for p in "$@"; do mv "$repo/$p" "$T/aside/" || fail "index_without: no $repo/$p"; done
	mkaptrepo "$repo" "$date"
	for p in "$@"; do mv "$T/aside/${p##*/}" "$repo/$p" || fail "index_without: cannot put back $p"; done
}

# listed FILE: "name=version" of every stanza of a Packages file.
listed() { pg_apt versions "$1"; }

mkdir -p "$W"
start_upstream "$W"

pg_say "upstream on 2025-12-31: gatedeb, visdeb, gonedeb, arcdeb 1.0 (one per mirror)"
for m in $MIRRORS; do
	mkdeb "$W/$m" "$(pkg_of $m)" 1.0
	mkaptrepo "$W/$m" 2025-12-31T00:00:00Z
	cp "$W/$m/$PKGS" "$T/$m.up-1.Packages"
done

PG_CONF=$T/patchgate.conf
{
	printf '[server]\nlisten = 127.0.0.1:0\nstore = %s\n' "$STORE"
	for m in $MIRRORS; do
		printf '\n[mirror %s]\ntype = apt\nurl = %s/%s\nsuites = bookworm\n' "$m" "$UPSTREAM_URL" "$m"
		printf 'components = main\narchitectures = amd64\nkeyring = %s\n' "$T/keys/archive.gpg"
		case $m in
		vis) echo "prefetch = visible" ;;
		arch) echo "archive-url = $UPSTREAM_URL/stale $UPSTREAM_URL/archive" ;;
		esac
	done
	cat <<-EOF

	[baseline dev]
	rule = classification=* delay=0

	[baseline prod]
	rule = classification=* delay=7d

	[group dev]
	baseline = dev
	mirrors = $MIRRORS

	[group prod]
	baseline = prod
	mirrors = $MIRRORS
	EOF
} >"$PG_CONF"

PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync || fail "the first sync failed"
# prefetch = visible stores what a delayed group lists at every sync, the
# base included; at-risk stores nothing while upstream lists everything.
ERR=$(cat "$SYNC_ERR")
assert_contains "2026-01-01: vis (prefetch = visible) stores visdeb 1.0, which prod lists" \
    "$ERR" "mirror vis: stored $(deb_path visdeb 1.0) while upstream still has it"
for m in keep gone arch; do
	assert_not_contains "2026-01-01: $m (prefetch = at-risk) stores nothing while upstream lists 1.0" \
	    "$ERR" "mirror $m: stored"
done

pg_say "upstream on 2026-01-10 06:00: 1.1 replaces 1.0 in every index"
for m in $MIRRORS; do mkdeb "$W/$m" "$(pkg_of $m)" 1.1; done
# keep: the index drops 1.0, the pool keeps its file for now.
index_without "$W/keep" 2026-01-10T06:00:00Z "$(deb_path gatedeb 1.0)"
# vis, gone, arch: the file goes in the same update.
P=$(deb_path arcdeb 1.0)
mkdir -p "$W/archive/${P%/*}"
cp "$T/debs/arcdeb_1.0_all.deb" "$W/archive/$P"
mkdir -p "$W/stale/${P%/*}"
cp "$T/debs/arcdeb_1.1_all.deb" "$W/stale/$P"
for m in vis gone arch; do
	rm "$W/$m/$(deb_path "$(pkg_of $m)" 1.0)"
	mkaptrepo "$W/$m" 2026-01-10T06:00:00Z
done
for m in $MIRRORS; do
	cp "$W/$m/$PKGS" "$T/$m.up-2.Packages"
	assert_eq "upstream $m lists $(pkg_of $m) 1.1 only" "$(pkg_of $m)=1.1" "$(listed "$T/$m.up-2.Packages")"
done
# The setup itself: keep's pool still serves 1.0, the others' do not.
assert_status "$UPSTREAM_URL/keep/$(deb_path gatedeb 1.0)" 200
assert_status "$UPSTREAM_URL/gone/$(deb_path gonedeb 1.0)" 404
assert_status "$UPSTREAM_URL/arch/$(deb_path arcdeb 1.0)" 404
assert_status "$UPSTREAM_URL/archive/$P" 200

UPLOG_FROM=$(wc -l <"$T/upstream.log")
PATCHGATE_NOW=2026-01-10T12:00:00Z pg_sync ||
	fail "the sync of 2026-01-10 failed (a lost version is a warning, not a failure)"
ERR=$(cat "$SYNC_ERR")
assert_contains "2026-01-10: keep stores gatedeb 1.0 from the pool as upstream drops it from the index" \
    "$ERR" "mirror keep: stored $(deb_path gatedeb 1.0) while upstream still has it"
assert_contains "2026-01-10: arch stores arcdeb 1.0 from its archive" \
    "$ERR" "mirror arch: stored $(deb_path arcdeb 1.0) while upstream still has it"
assert_not_contains "2026-01-10: keep loses nothing" "$ERR" "mirror keep: lost"
assert_not_contains "2026-01-10: vis loses nothing (stored at the first sync)" "$ERR" "mirror vis: lost"
assert_not_contains "2026-01-10: arch loses nothing (its archive has the file)" "$ERR" "mirror arch: lost"
LOSTLINE=$(grep -F "mirror gone: lost gonedeb 1.0 ($(deb_path gonedeb 1.0)): " "$SYNC_ERR")
assert_contains "2026-01-10: the sync warns that gonedeb 1.0 is lost, with the URL it tried" \
    "$LOSTLINE" "warning: mirror gone: lost gonedeb 1.0 ($(deb_path gonedeb 1.0)): upstream no longer lists it and its file could not be fetched ($UPSTREAM_URL/gone/$(deb_path gonedeb 1.0): "
assert_match "2026-01-10: the warning gives the cause and names prod, and prod alone, as the group that loses it" \
    "$LOSTLINE" "404\); groups that lose it: prod$"
# The archives in order after the pool: the pool's 404, STALE's bytes
# (wrong: verified and refused), then ARCHIVE.
UPLOG=$(tail -n +"$((UPLOG_FROM + 1))" "$T/upstream.log" | grep -F 'arcdeb_1.0_all.deb')
assert_eq "2026-01-10: arcdeb 1.0 is asked from the pool, STALE, ARCHIVE, in that order" \
    "$(printf '%s\n' "/arch/$P 404" "/stale/$P 200" "/archive/$P 200")" \
    "$(printf '%s\n' "$UPLOG" | sed -n 's/.*"GET \([^ ]*\) HTTP[^"]*" \([0-9]*\).*/\1 \2/p')"

pg_say "upstream on 2026-01-11: the pool deletes gatedeb 1.0 (the index is unchanged)"
rm "$W/keep/$(deb_path gatedeb 1.0)"
assert_status "$UPSTREAM_URL/keep/$(deb_path gatedeb 1.0)" 404
PATCHGATE_NOW=2026-01-11T12:00:00Z pg_sync || fail "the sync of 2026-01-11 failed"
ERR=$(cat "$SYNC_ERR")
for m in keep vis arch; do
	assert_not_contains "2026-01-11: $m loses nothing" "$ERR" "mirror $m: lost"
done

PATCHGATE_NOW=2026-01-11T12:00:00Z start_patchgated "$PG_CONF"
KEY=$(apt_proxy_key)

# view_versions BASE FILE: "name=version" of every stanza of the view's
# Packages (checked against its InRelease).
view_versions() {
	if pg_apt index "$1" bookworm main amd64 "$2"; then
		listed "$2"
	else
		echo "no Packages index"
	fi
}

# downloads ROOT NAME: what apt-get install --download-only NAME fetches.
downloads() {
	apt_download "$1" "$2" || { echo "apt-get failed"; return; }
	apt_archives "$1"
}

# root_of GROUP MIRROR: an apt root whose one source is that view.
root_of() {
	local r=$T/apt-$1-$2
	[ -f "$r/apt.conf" ] || apt_root "$r" "$KEY" "$PG_URL/$1/$2" bookworm
	echo "$r"
}

pg_say "2026-01-11 12:00: prod keeps 1.0 where it could be stored"
for m in keep vis arch; do
	p=$(pkg_of $m)
	base=$PG_URL/prod/$m
	r=$(root_of prod $m)
	f=$T/prod.$m.Packages
	assert_eq "prod/$m lists $p 1.0 only (retained: upstream lists 1.1 only)" "$p=1.0" "$(view_versions "$base" "$f")"
	assert_eq "prod/$m: the retained stanza is upstream's, byte for byte" 1 \
	    "$(pg_apt same "$f" "$T/$m.up-1.Packages")"
	assert_true "prod/$m: every file the InRelease lists is served as listed" \
	    pg_apt consistent "$base" bookworm
	apt_update "$r" || pg_notok "apt-get update in prod/$m, without warnings"
	assert_eq "prod/$m: apt knows $p 1.0 only" 1.0 "$(apt_versions "$r" $p)"
	assert_eq "prod/$m: apt-get downloads $p 1.0, gone from upstream's pool" \
	    "${p}_1.0_all.deb" "$(downloads "$r" $p)"
	assert_files_eq "prod/$m: the $p 1.0 apt-get fetched is upstream's original file" \
	    "$T/debs/${p}_1.0_all.deb" "$r/var/cache/apt/archives/${p}_1.0_all.deb"
	assert_status "$base/$(deb_path $p 1.1)" 404
done

pg_say "2026-01-11 12:00: prod has lost gonedeb 1.0"
base=$PG_URL/prod/gone
r=$(root_of prod gone)
assert_eq "prod/gone lists no gonedeb (1.0 lost, 1.1 not ripe)" "" "$(view_versions "$base" "$T/prod.gone.Packages")"
apt_update "$r" || pg_notok "apt-get update in prod/gone, without warnings"
assert_eq "prod/gone: apt knows no gonedeb" "" "$(apt_versions "$r" gonedeb)"
assert_false "prod/gone: apt-get cannot download gonedeb" apt_download "$r" gonedeb
assert_status "$base/$(deb_path gonedeb 1.0)" 404
assert_match "prod/gone: the 404 of gonedeb 1.0 says it is lost and why" \
    "$(cat "$HTTP_BODY")" "lost.*could not be fetched"

pg_say "2026-01-11 12:00: dev is on 1.1 everywhere"
for m in $MIRRORS; do
	p=$(pkg_of $m)
	assert_eq "dev/$m lists $p 1.1 only (upstream's list)" "$p=1.1" \
	    "$(view_versions "$PG_URL/dev/$m" "$T/dev.$m.Packages")"
done
r=$(root_of dev keep)
apt_update "$r" || pg_notok "apt-get update in dev/keep, without warnings"
assert_eq "dev/keep: apt-get downloads gatedeb 1.1" gatedeb_1.1_all.deb "$(downloads "$r" gatedeb)"
assert_files_eq "dev/keep: the gatedeb 1.1 apt-get fetched is upstream's" \
    "$T/debs/gatedeb_1.1_all.deb" "$r/var/cache/apt/archives/gatedeb_1.1_all.deb"

pg_say "2026-01-18: 1.1 has ripened for prod"
PATCHGATE_NOW=2026-01-18T00:00:00Z pg_sync || fail "the sync of 2026-01-18 failed"
assert_not_contains "2026-01-18: nothing is lost any more (prod sees 1.1)" "$(cat "$SYNC_ERR")" ": lost "
for m in $MIRRORS; do
	p=$(pkg_of $m)
	r=$(root_of prod $m)
	assert_eq "prod/$m lists $p 1.1 only" "$p=1.1" \
	    "$(view_versions "$PG_URL/prod/$m" "$T/prod.$m.18.Packages")"
	apt_update "$r" || pg_notok "apt-get update in prod/$m on 2026-01-18, without warnings"
	assert_eq "prod/$m: apt-get downloads $p 1.1" "${p}_1.1_all.deb" "$(downloads "$r" $p)"
	assert_files_eq "prod/$m: the $p 1.1 apt-get fetched is upstream's" \
	    "$T/debs/${p}_1.1_all.deb" "$r/var/cache/apt/archives/${p}_1.1_all.deb"
done

pg_done
