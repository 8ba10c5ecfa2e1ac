#!/bin/bash
# One curl setup for the indexer and patchgated (lib/fetch.c,
# fetch_curl_setup): a mirror's `proxy` carries both the sync's metadata
# downloads and the daemon's package downloads, and its `ca-file` must
# exist (patchgate.conf(5)).
# 1. patchgate sync with proxy = http://127.0.0.1:PORT: repomd.xml and
#    primary go through the proxy (its log has their absolute URLs).
# 2. patchgated fetches an uncached package for a client: through the
#    proxy too, and the client gets the upstream's bytes.
# 3. A mirror without proxy does not use it.
# 4. A ca-file that does not exist is a configuration error, file:line.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"

need python3 curl rpmbuild createrepo_c
pg_need_programs

W=$T/www
STORE=$T/store
mkrpm "$W/a/Packages" foo 1.0
mkrepo "$W/a"
mkrpm "$W/b/Packages" bar 1.0
mkrepo "$W/b"
start_upstream "$W"

pg_next proxy.port
portfile=$REPLY
PROXY_LOG=$T/proxy.log
: >"$PROXY_LOG"
"$PYTHON" "$top_srcdir/tests/e2e/fwdproxy.py" "$portfile" "$PROXY_LOG" 2>>"$T/proxy.err" &
pg_track $!
wait_for_file "$portfile" 10 $! || fail "the proxy did not start: $(cat "$T/proxy.err")"
PROXY=http://127.0.0.1:$(cat "$portfile")

PG_CONF=$T/patchgate.conf
cat >"$PG_CONF" <<EOC
[server]
listen = 127.0.0.1:0
store = $STORE

[mirror a]
type = rpm-md
url = $UPSTREAM_URL/a
proxy = $PROXY

[mirror b]
type = rpm-md
url = $UPSTREAM_URL/b

[baseline dev]
rule = classification=* delay=0

[group dev]
baseline = dev
mirrors = a b
EOC

pg_say "1. the sync goes through the mirror's proxy"
PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync || fail "the sync failed"
assert_contains "repomd.xml of mirror a went through the proxy" \
    "$(cat "$PROXY_LOG")" "GET $UPSTREAM_URL/a/repodata/repomd.xml"
assert_match "... and its primary" "$(cat "$PROXY_LOG")" \
    "GET $UPSTREAM_URL/a/repodata/[0-9a-f]*-primary.xml"

pg_say "2. patchgated fetches a package through it"
PATCHGATE_NOW=2026-01-01T00:00:00Z start_patchgated "$PG_CONF"
code=$(http_get "$PG_URL/dev/a/Packages/foo-1.0-1.noarch.rpm" "$T/foo.rpm")
assert_eq "the package is served" 200 "$code"
assert_files_eq "... with the upstream's bytes" "$T/rpms/foo-1.0-1.noarch.rpm" "$T/foo.rpm"
assert_contains "... fetched through the proxy" "$(cat "$PROXY_LOG")" \
    "GET $UPSTREAM_URL/a/Packages/foo-1.0-1.noarch.rpm"

pg_say "3. a mirror without proxy goes direct"
code=$(http_get "$PG_URL/dev/b/Packages/bar-1.0-1.noarch.rpm" "$T/bar.rpm")
assert_eq "mirror b's package is served" 200 "$code"
assert_not_contains "... not through the proxy" "$(cat "$PROXY_LOG")" "/b/"
stop_patchgated

pg_say "4. a ca-file that is not there"
sed 's|^proxy = .*|&\nca-file = /nonexistent/ca.pem|' "$PG_CONF" >"$T/bad.conf"
line=$(grep -n '^ca-file' "$T/bad.conf" | cut -d: -f1)
out=$("$top_builddir/patchgated" -n -c "$T/bad.conf" 2>&1)
assert_eq "patchgated -n refuses it" 1 "$?"
assert_contains "... naming file, line and cause" "$out" \
    "$T/bad.conf:$line: ca-file: /nonexistent/ca.pem: No such file or directory"
pg_done
