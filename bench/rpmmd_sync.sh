#!/bin/sh
# Benchmark: sync the CentOS Stream 9 BaseOS corpus (1,125 packages) from a
# local HTTP upstream into two group views, and in the same run let
# libsolv's rpmmd2solv parse the same primary; prints both times and the
# ratio (patchgate / libsolv).  patchgate does more (downloads, checksums,
# filelists, a database, two signed views), so the ratio is the price of
# that work against the fastest rpm-md parser there is.
#
#   sh bench/rpmmd_sync.sh [BUILDDIR]   (default: ./build)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
corpus=$top/../shared/corpora/rpm-md/centos-stream9-baseos-2022
runs=${RUNS:-5}
[ -d "$corpus" ] || { echo "no corpus at $corpus"; exit 77; }
command -v rpmmd2solv >/dev/null || { echo "rpmmd2solv missing (libsolv-tools)"; exit 77; }

T=$(mktemp -d)
cleanup() {
	[ -n "${up_pid:-}" ] && kill "$up_pid" 2>/dev/null
	[ -d "$T/store/gnupg" ] && gpgconf --homedir "$T/store/gnupg" --kill all 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

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

now() { date +%s.%N; }
primary=$(ls "$corpus"/repodata/*-primary.xml.gz)
pg_total=0
solv_total=0
# Create the signing key outside the timed runs.
PATCHGATE_NOW=2026-01-01T00:00:00Z "$build/patchgate" -c "$T/bench.conf" sync centos >/dev/null 2>&1
n=0
while [ $n -lt "$runs" ]; do
	# A fresh store each run, but the signing key kept: key generation
	# happens once per installation, not per sync.
	rm -rf "$T/store/patchgate.db" "$T/store/patchgate.db-wal" \
	    "$T/store/patchgate.db-shm" "$T/store/views" "$T/store/blobs"
	t0=$(now)
	PATCHGATE_NOW=2026-01-01T00:00:00Z "$build/patchgate" -c "$T/bench.conf" sync centos >/dev/null 2>&1
	t1=$(now)
	zcat "$primary" | rpmmd2solv > "$T/primary.solv"
	t2=$(now)
	pg_total=$(echo "$pg_total + $t1 - $t0" | bc -l)
	solv_total=$(echo "$solv_total + $t2 - $t1" | bc -l)
	n=$((n + 1))
done
rm -rf "$T/store/patchgate.db" "$T/store/patchgate.db-wal" \
    "$T/store/patchgate.db-shm" "$T/store/views" "$T/store/blobs"
peak=$(/usr/bin/time -f '%M' -o "$T/peak" env PATCHGATE_NOW=2026-01-02T00:00:00Z \
	"$build/patchgate" -c "$T/bench.conf" sync centos >/dev/null 2>&1; cat "$T/peak")
pg=$(echo "$pg_total / $runs" | bc -l)
solv=$(echo "$solv_total / $runs" | bc -l)
printf 'corpus: centos-stream9-baseos-2022 (1125 packages), %d runs each\n' "$runs"
printf 'patchgate sync (fetch, verify, parse primary+filelists, store, 2 views): %.3f s\n' "$pg"
printf 'rpmmd2solv (parse primary only):                                          %.3f s\n' "$solv"
printf 'ratio patchgate/libsolv: %.1f\n' "$(echo "$pg / $solv" | bc -l)"
printf 'patchgate sync peak RSS: %s KiB\n' "$peak"
