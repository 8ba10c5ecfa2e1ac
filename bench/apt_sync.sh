#!/bin/bash
# Benchmark: sync Debian's full bookworm main amd64 index (~63,000
# packages) from a local HTTP upstream into three group views, and in the
# same run let apt's own `apt-get update` read the same index from a file:
# source in a private root; prints both times, the ratio (patchgate /
# apt-get) and the indexer's peak memory.  Both verify the signed Release,
# check the index's SHA256, decompress and parse all of it; apt-get then
# builds its cache, patchgate a database and three signed views.
#
#   bash bench/apt_sync.sh [BUILDDIR]   (default: ./build)
#
# BUILDDIR must be a build without sanitizers (configure without
# --enable-asan, in a directory of its own).  The index comes from
# /var/lib/apt/lists (apt may keep it lz4-compressed); when it is not there
# this runs `apt-get update` first.  It is served as Packages.xz with a
# Release made by apt-ftparchive and signed by a throwaway key.
# RUNS (default 3) runs of each; times are means, memory the maximum.

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
[ -d "$build" ] || { echo "apt_sync: no build directory $build" >&2; exit 77; }
build=$(cd "$build" && pwd)
top_srcdir=$top
top_builddir=$build
runs=${RUNS:-3}

# lib.sh: a temp dir, the upstream server, cleanup of every process.
. "$top/tests/e2e/lib.sh"
. "$top/tests/e2e/mkaptrepo.sh"

# The commands' logs go to a file; a failure shows its end.
exec 3>&2 2>"$T/bench.log"
fail() {
	echo "apt_sync: $*" >&3
	tail -n 30 "$T/bench.log" >&3
	PG_NFAIL=1
	exit 1
}
skip() {
	echo "apt_sync: skipped: $*" >&3
	exit 77
}
say() { echo "apt_sync: $*" >&3; }

need_apt
need lz4 bc
[ -x /usr/bin/time ] || skip "/usr/bin/time is missing (package time)"
pg_need_programs
if ldd "$build/patchgate" 2>/dev/null | grep -q -e libasan -e libubsan ||
    nm "$build/patchgate" 2>/dev/null | grep -q __asan_init; then
	skip "$build/patchgate is built with sanitizers: configure without --enable-asan for numbers"
fi

# --- the index -----------------------------------------------------------------------
lists=/var/lib/apt/lists
find_index() {
	ls "$lists"/*_dists_bookworm_main_binary-amd64_Packages* 2>/dev/null | grep -v -e diff -e '\.IndexDiff' | head -n 1
}
idx=$(find_index)
if [ -z "$idx" ]; then
	say "no bookworm main amd64 Packages in $lists: apt-get update"
	apt-get update -q >&2 || say "apt-get update failed"
	idx=$(find_index)
fi
[ -n "$idx" ] || skip "no bookworm main amd64 Packages in $lists"
case $idx in
*.lz4) lz4 -dc <"$idx" ;;
*.xz) xz -dc <"$idx" ;;
*.gz) gzip -dc <"$idx" ;;
*.zst) zstd -dc <"$idx" ;;
*.bz2) bzip2 -dc <"$idx" ;;
*) cat <"$idx" ;;
esac >"$T/Packages" || fail "cannot decompress $idx"
npkg=$(grep -c '^Package: ' "$T/Packages")
[ "$npkg" -gt 1000 ] || fail "$idx holds only $npkg packages"
# The machine's own InRelease vouches for the index it holds.
inrel=${idx%_main_binary-amd64_Packages*}_InRelease
origin="from $idx"
if [ -f "$inrel" ] && listed=$(pg_apt listed "$inrel" main/binary-amd64/Packages) &&
    [ "$listed" = "$(sha256sum <"$T/Packages" | cut -d' ' -f1) $(wc -c <"$T/Packages")" ]; then
	origin="$origin, as Debian's InRelease lists it"
fi

say "preparing the upstream: $npkg packages $origin"
REPO=$T/www/debian
mkdir -p "$REPO/dists/bookworm/main/binary-amd64"
xz -T0 -1 <"$T/Packages" >"$REPO/dists/bookworm/main/binary-amd64/Packages.xz" || fail "xz"
# The Release lists the uncompressed Packages too, as Debian's does (apt
# 2.6 silently skips an index whose uncompressed name is not listed); the
# file itself is not served, so both read the xz.
cp "$T/Packages" "$REPO/dists/bookworm/main/binary-amd64/Packages"
aptrepo_release "$REPO" bookworm 2026-01-01T00:00:00Z
aptrepo_sign "$REPO" bookworm
rm "$REPO/dists/bookworm/main/binary-amd64/Packages"
start_upstream "$T/www"

cat >"$T/bench.conf" <<EOF
[server]
listen = 127.0.0.1:0
store = $T/store

[mirror debian]
type = apt
url = $UPSTREAM_URL/debian
suites = bookworm
components = main
architectures = amd64
keyring = $T/keys/archive.gpg

[baseline dev]
rule = classification=* delay=0

[baseline test]
rule = classification=* delay=3d

[baseline prod]
rule = classification=* delay=7d

[group dev]
baseline = dev
mirrors = debian

[group test]
baseline = test
mirrors = debian

[group prod]
baseline = prod
mirrors = debian
EOF

apt_root "$T/aptroot" "$T/keys/archive.gpg" "file:$REPO" bookworm

# timed FILE COMMAND...: runs COMMAND under /usr/bin/time; FILE gets
# "seconds maxrss-KiB user-s system-s"; its output goes to the log.  CPU
# time (every thread and child) is steadier than wall time on a busy
# machine.
timed() {
	local out=$1
	shift
	/usr/bin/time -f '%e %M %U %S' -o "$out" "$@" >&2
}

pg_sum=0
apt_sum=0
pg_cpu=0
apt_cpu=0
pg_peak=0
apt_peak=0
n=0
while [ $n -lt "$runs" ]; do
	n=$((n + 1))
	rm -rf "$T/store"
	timed "$T/t.pg" env PATCHGATE_NOW=2026-01-01T00:00:00Z \
	    "$build/patchgate" -c "$T/bench.conf" sync debian ||
		fail "patchgate sync failed (run $n)"
	rm -rf "$T/aptroot/var/lib/apt/lists" "$T/aptroot/var/cache/apt/"*.bin
	timed "$T/t.apt" env APT_CONFIG="$T/aptroot/apt.conf" apt-get -q update >"$T/apt.log" 2>&1 ||
		fail "apt-get update failed: $(cat "$T/apt.log")"
	cat "$T/apt.log" >&2
	! grep -Eq '^(W|E): ' "$T/apt.log" || fail "apt-get update warned: $(grep -E '^(W|E): ' "$T/apt.log")"
	read -r s m u y <"$T/t.pg"
	pg_sum=$(echo "$pg_sum + $s" | bc -l)
	pg_cpu=$(echo "$pg_cpu + $u + $y" | bc -l)
	[ "$m" -gt "$pg_peak" ] && pg_peak=$m
	read -r s m u y <"$T/t.apt"
	apt_sum=$(echo "$apt_sum + $s" | bc -l)
	apt_cpu=$(echo "$apt_cpu + $u + $y" | bc -l)
	[ "$m" -gt "$apt_peak" ] && apt_peak=$m
	say "run $n: patchgate $(cut -d' ' -f1 "$T/t.pg") s, apt-get $(cut -d' ' -f1 "$T/t.apt") s"
done
# A sync of an unchanged upstream into the warm store, an hour later:
# nothing to parse, plan or write.
timed "$T/t.resync1h" env PATCHGATE_NOW=2026-01-01T01:00:00Z \
    "$build/patchgate" -c "$T/bench.conf" sync debian || fail "the re-sync failed"
read -r resync1h resync_peak _ _ <"$T/t.resync1h"
[ "$resync_peak" -gt "$pg_peak" ] && pg_peak=$resync_peak
# The same a day later: the views' Releases are due for their daily
# Valid-Until refresh.
timed "$T/t.resync" env PATCHGATE_NOW=2026-01-02T00:00:00Z \
    "$build/patchgate" -c "$T/bench.conf" sync debian || fail "the re-sync failed"
read -r resync resync_peak _ _ <"$T/t.resync"
[ "$resync_peak" -gt "$pg_peak" ] && pg_peak=$resync_peak
# A publish a day later again, with no sync: what ripening alone costs.
timed "$T/t.ripen" env PATCHGATE_NOW=2026-01-03T00:00:00Z \
    "$build/patchgate" -c "$T/bench.conf" publish debian || fail "the publish failed"
read -r ripen resync_peak _ _ <"$T/t.ripen"
[ "$resync_peak" -gt "$pg_peak" ] && pg_peak=$resync_peak

# The work was done: every group's view lists every package.
PATCHGATE_NOW=2026-01-02T00:00:00Z start_patchgated "$T/bench.conf"
for g in dev test prod; do
	pg_apt index "$PG_URL/$g/debian" bookworm main amd64 "$T/view" >&2 ||
		fail "the view of $g does not serve its Packages as listed"
	got=$(grep -c '^Package: ' "$T/view")
	[ "$got" = "$npkg" ] || fail "the view of $g lists $got packages, upstream $npkg"
done
got=$(APT_CONFIG=$T/aptroot/apt.conf apt-cache stats 2>/dev/null | sed -n 's/^ *Normal packages: //p')
# Names with a version: a few less than stanzas, not none.
[ "${got:-0}" -gt $((npkg * 9 / 10)) ] || fail "apt-get read only ${got:-0} of $npkg packages"

pg=$(echo "$pg_sum / $runs" | bc -l)
apt=$(echo "$apt_sum / $runs" | bc -l)
printf 'index: Debian bookworm main amd64, %d packages (%d MB; %d MB as xz), %d runs each\n' \
    "$npkg" $(($(wc -c <"$T/Packages") / 1000000)) \
    $(($(wc -c <"$REPO/dists/bookworm/main/binary-amd64/Packages.xz") / 1000000)) "$runs"
row() { printf '%-64s %8.2f s\n' "$1" "$2"; }
row "patchgate sync (fetch, verify, parse, store, 3 signed views):" "$pg"
row "patchgate re-sync of the unchanged upstream, an hour later:" "$resync1h"
row "patchgate re-sync of the unchanged upstream, a day later:" "$resync"
row "patchgate publish a day later again, no sync (ripening):" "$ripen"
row "apt-get update, file: source (verify, parse, cache; $got names):" "$apt"
printf 'ratio patchgate/apt-get: %.1f\n' "$(echo "$pg / $apt" | bc -l)"
printf 'CPU time: patchgate sync %.2f s, apt-get update %.2f s, ratio %.1f\n' \
    "$(echo "$pg_cpu / $runs" | bc -l)" "$(echo "$apt_cpu / $runs" | bc -l)" \
    "$(echo "$pg_cpu / $apt_cpu" | bc -l)"
printf 'patchgate sync peak RSS: %d KiB (%.0f MiB); apt-get update: %d KiB\n' \
    "$pg_peak" "$(echo "$pg_peak / 1024" | bc -l)" "$apt_peak"
exit 0
