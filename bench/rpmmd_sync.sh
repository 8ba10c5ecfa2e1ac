#!/bin/sh
# Benchmark: sync a large rpm-md repository from a local HTTP upstream
# into two group views, and in the same run let libsolv's rpmmd2solv parse
# the same primary; prints both times, the ratio (patchgate / libsolv),
# peak memory of both, the time of a re-sync of the unchanged upstream and
# of a publish after a day of ripening.  At a first sync every view lists
# everything, so each is upstream's own files; one more sync, with prod
# rejecting every 16th copy, shows what a view that differs costs (its
# documents compressed, the dependencies of every version checked), and
# a hold on one version then shows what republishing a view that changed
# a little costs, with and without the gzip members of its last version
# (lib/compress_pool.c).  The repository is the CentOS
# Stream 9 BaseOS corpus (1,125 packages) copied COPIES times (default 16:
# 18,000 packages) by bench/mkbigrpmmd.py, renamed so that every copy is
# a version of its own; COPIES=1 is the corpus as it is.  patchgate does
# more (downloads, checksums, filelists, a database, two signed views), so
# the ratio is the price of that work against the fastest rpm-md parser
# there is.
#
#   sh bench/rpmmd_sync.sh [BUILDDIR]   (default: ./build)
#   RUNS (default 5) runs of each; times are means, memory the maximum.
#   CPU time (user + system, every thread and child) is printed next to
#   the wall time: on a busy machine it is the steadier of the two.
#   KEEP=1 keeps the temporary directory (the sync's log, with its phase
#   line, is in STORE/log/) and prints its path.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
corpus=$top/../shared/corpora/rpm-md/centos-stream9-baseos-2022
runs=${RUNS:-5}
copies=${COPIES:-16}
[ -d "$corpus" ] || { echo "no corpus at $corpus"; exit 77; }
command -v rpmmd2solv >/dev/null || { echo "rpmmd2solv missing (libsolv-tools)"; exit 77; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing (package time)"; exit 77; }

T=$(mktemp -d)
cleanup() {
	[ -n "${up_pid:-}" ] && kill "$up_pid" 2>/dev/null
	[ -d "$T/store/gnupg" ] && gpgconf --homedir "$T/store/gnupg" --kill all 2>/dev/null
	if [ "${KEEP:-0}" = 1 ]; then
		echo "kept $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT

npkg=$(python3 "$top/bench/mkbigrpmmd.py" "$corpus" "$T/repo" "$copies")
corpus=$T/repo
python3 "$top/tests/e2e/httpd.py" "$corpus" "$T/port" >/dev/null 2>&1 &
up_pid=$!
i=0
while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
port=$(cat "$T/port")

cat > "$T/bench.conf" <<EOC
[server]
store = $T/store
[mirror centos]
type = rpm-md
url = http://127.0.0.1:$port
[baseline dev]
rule = classification=* delay=0
[baseline prod]
rule = classification=* delay=7d
[group dev]
baseline = dev
mirrors = centos
[group prod]
baseline = prod
mirrors = centos
EOC
sed 's/^rule = classification=\* delay=7d$/&\
rejected = *-pgcopy3/' "$T/bench.conf" >"$T/gated.conf"

now() { date +%s.%N; }
primary=$(ls "$corpus"/repodata/*-primary.xml.gz)
pg_total=0
pg_cpu=0
solv_total=0
solv_cpu=0
pg_peak=0
solv_peak=0
# peak FILE: FILE's "seconds maxrss user system" into $secs and $cpu,
# pg_peak the larger.
peak() {
	read -r secs _m _u _s <"$1"
	cpu=$(echo "$_u + $_s" | bc -l)
	[ "$_m" -gt "$pg_peak" ] && pg_peak=$_m
	return 0
}
# Create the signing key outside the timed runs.
PATCHGATE_NOW=2026-01-01T00:00:00Z "$build/patchgate" -c "$T/bench.conf" sync centos >/dev/null 2>&1
n=0
while [ $n -lt "$runs" ]; do
	# A fresh store each run, but the signing key kept: key generation
	# happens once per installation, not per sync.
	rm -rf "$T/store/patchgate.db" "$T/store/patchgate.db-wal" \
	    "$T/store/patchgate.db-shm" "$T/store/views" "$T/store/blobs" \
	    "$T/store/cache" "$T/store/spool"
	/usr/bin/time -f '%e %M %U %S' -o "$T/t.pg" env \
	    PATCHGATE_NOW=2026-01-01T00:00:00Z \
	    "$build/patchgate" -c "$T/bench.conf" sync centos >/dev/null 2>&1
	peak "$T/t.pg"
	pg_total=$(echo "$pg_total + $secs" | bc -l)
	pg_cpu=$(echo "$pg_cpu + $cpu" | bc -l)
	t1=$(now)
	/usr/bin/time -f '%M %U %S' -o "$T/t.solv" sh -c \
	    'zcat "$1" | rpmmd2solv > "$2"' sh "$primary" "$T/primary.solv"
	t2=$(now)
	read -r m _u _s <"$T/t.solv"
	[ "$m" -gt "$solv_peak" ] && solv_peak=$m
	solv_cpu=$(echo "$solv_cpu + $_u + $_s" | bc -l)
	solv_total=$(echo "$solv_total + $t2 - $t1" | bc -l)
	n=$((n + 1))
done
# A view that differs from upstream, in a fresh store of its own.
rm -rf "$T/store/patchgate.db" "$T/store/patchgate.db-wal" \
    "$T/store/patchgate.db-shm" "$T/store/views" "$T/store/blobs" \
    "$T/store/cache" "$T/store/spool"
/usr/bin/time -f '%e %M %U %S' -o "$T/t.gated" env \
    PATCHGATE_NOW=2026-01-01T00:00:00Z \
    "$build/patchgate" -c "$T/gated.conf" sync centos >/dev/null 2>&1
read -r gated gated_peak _u _s <"$T/t.gated"
gated_cpu=$(echo "$_u + $_s" | bc -l)
# Then prod's view changes by one version (a hold, which republishes it):
# written from the gzip members of its last version, and, for comparison,
# once more with those members gone (compressed whole).
/usr/bin/time -f '%e %M %U %S' -o "$T/t.hold" env \
    PATCHGATE_NOW=2026-01-02T00:00:00Z "$build/patchgate" -c "$T/gated.conf" \
    hold bash --group prod --reason bench >/dev/null 2>&1
read -r hold _m _u _s <"$T/t.hold"
hold_cpu=$(echo "$_u + $_s" | bc -l)
rm -rf "$T/store/cache/members"
/usr/bin/time -f '%e %M %U %S' -o "$T/t.hold2" env \
    PATCHGATE_NOW=2026-01-02T00:00:00Z "$build/patchgate" -c "$T/gated.conf" \
    hold sed --group prod --reason bench >/dev/null 2>&1
read -r hold2 _m _u _s <"$T/t.hold2"
hold2_cpu=$(echo "$_u + $_s" | bc -l)
rm -rf "$T/store/patchgate.db" "$T/store/patchgate.db-wal" \
    "$T/store/patchgate.db-shm" "$T/store/views" "$T/store/blobs" \
    "$T/store/cache" "$T/store/spool"
PATCHGATE_NOW=2026-01-01T00:00:00Z "$build/patchgate" -c "$T/bench.conf" \
    sync centos >/dev/null 2>&1
# The unchanged upstream an hour later: nothing to parse, plan or write.
/usr/bin/time -f '%e %M %U %S' -o "$T/t.re" env PATCHGATE_NOW=2026-01-01T01:00:00Z \
    "$build/patchgate" -c "$T/bench.conf" sync centos >/dev/null 2>&1
peak "$T/t.re"
resync=$secs
# A publish a day later, with no sync: what ripening alone costs.
/usr/bin/time -f '%e %M %U %S' -o "$T/t.ripe" env PATCHGATE_NOW=2026-01-02T01:00:00Z \
    "$build/patchgate" -c "$T/bench.conf" publish centos >/dev/null 2>&1
peak "$T/t.ripe"
ripen=$secs
pg=$(echo "$pg_total / $runs" | bc -l)
solv=$(echo "$solv_total / $runs" | bc -l)
printf 'corpus: centos-stream9-baseos-2022 x %d (%d packages), %d runs each\n' \
    "$copies" "$npkg" "$runs"
printf 'patchgate sync (fetch, verify, parse primary+filelists, store, 2 views): %.3f s\n' "$pg"
printf 'patchgate re-sync of the unchanged upstream, an hour later:             %.3f s\n' "$resync"
printf 'patchgate publish a day later, no sync (ripening):                      %.3f s\n' "$ripen"
printf 'rpmmd2solv (parse primary only):                                          %.3f s\n' "$solv"
printf 'ratio patchgate/libsolv: %.1f\n' "$(echo "$pg / $solv" | bc -l)"
printf 'CPU time: patchgate sync %.3f s, rpmmd2solv (with zcat) %.3f s, ratio %.1f\n' \
    "$(echo "$pg_cpu / $runs" | bc -l)" "$(echo "$solv_cpu / $runs" | bc -l)" \
    "$(echo "$pg_cpu / $solv_cpu" | bc -l)"
printf 'patchgate sync peak RSS: %s KiB (%.0f MiB); rpmmd2solv: %s KiB\n' \
    "$pg_peak" "$(echo "$pg_peak / 1024" | bc -l)" "$solv_peak"
printf 'patchgate sync with prod rejecting 1/16 (views compressed, dependencies checked): %.3f s, CPU %.3f s, peak RSS %.0f MiB\n' \
    "$gated" "$gated_cpu" "$(echo "$gated_peak / 1024" | bc -l)"
printf 'then a hold on one version republishes prod: %.3f s, CPU %.3f s; with no gzip members kept: %.3f s, CPU %.3f s\n' \
    "$hold" "$hold_cpu" "$hold2" "$hold2_cpu"
