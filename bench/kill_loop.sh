#!/bin/sh
# Benchmark form of tests/e2e/kill_loop.sh, too long for `make check`:
# 50 syncs of a 5,000-package upstream, each killed with SIGKILL at a
# random moment, then one clean sync; every check of the test after every
# kill.  Prints "kills: N, checks passed: M" (and the test's log on
# failure).  KILL_COUNT and KILL_PACKAGES change the figures.
#
#   sh bench/kill_loop.sh [BUILDDIR]   (default: ./build)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$(date +%s)
if top_srcdir=$top top_builddir=$build KILL_COUNT=${KILL_COUNT:-50} \
    KILL_PACKAGES=${KILL_PACKAGES:-5000} bash "$top/tests/e2e/kill_loop.sh" \
    >"$log" 2>&1; then
	rc=0
else
	rc=$?
	cat "$log"
fi
grep -h '^kills:' "$log" | tail -n 1
grep -h "a sync of .* packages takes\|temporary files" "$log" | sed 's/^== //'
echo "elapsed: $(($(date +%s) - start)) s"
exit $rc
