#!/bin/bash
# The serving cache (proxy/cache.c) answers from open descriptors and
# memory, and never with bytes the store no longer has:
# 1. A file is the same whether it goes out with sendfile (first request)
#    or from memory (after the worker pool read it): whole, as a Range,
#    as HEAD, and 304 for its ETag.
#    A package larger than what the cache keeps in memory always goes by
#    sendfile, its headers sent ahead with MSG_MORE.
# 2. Pipelined requests on one keep-alive connection get their answers in
#    order, each with the right bytes, and the connection stays usable.
# 3. A store rebuilt under the same path (the generation directory
#    `current` points to replaced by another with other bytes) is served
#    at the next request, with no restart and no wait.
# 4. Each request's access log line is written (buffered, by a thread)
#    without another request to push it out.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"

need python3 curl rpmbuild createrepo_c
pg_need_programs

W=$T/www
REPO=$W/repo
STORE=$T/store

mkrpm "$REPO/Packages" foo 1.0
# Over the 64 KiB the serving cache keeps in memory: always sendfile.
RPM_BLOB_KB=300 mkrpm "$REPO/Packages" big 1.0
mkrepo "$REPO"
start_upstream "$W"

PG_CONF=$T/patchgate.conf
cat >"$PG_CONF" <<EOF
[server]
listen = 127.0.0.1:0
store = $STORE

[mirror el9]
type = rpm-md
url = $UPSTREAM_URL/repo

[baseline dev]
rule = classification=* delay=0

[group dev]
baseline = dev
mirrors = el9
EOF

PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync || fail "the sync failed"
PATCHGATE_NOW=2026-01-01T00:00:00Z start_patchgated "$PG_CONF"
URL=$PG_URL/dev/el9
VIEW=$STORE/views/dev/el9
GEN=$VIEW/$(readlink "$VIEW/current")
RPM=Packages/foo-1.0-1.noarch.rpm
size=$(wc -c <"$T/rpms/foo-1.0-1.noarch.rpm")

# hget URL OUT [CURL ARGS]: the status; the headers in OUT.h.
hget() {
	local url=$1 out=$2
	shift 2
	curl -s --max-time 60 -D "$out.h" -o "$out" -w '%{http_code}' "$@" -- "$url"
}

# hdr FILE NAME: the value of header NAME in FILE (headers, as curl -D).
hdr() {
	awk -v n="$2" 'BEGIN { n = tolower(n) ":" }
	    tolower($1) == n { sub(/^[^:]*:[ \t]*/, ""); sub(/\r$/, ""); print; exit }' "$1"
}

pg_say "1. the same bytes by sendfile and from memory"
[ "$(http_get "$URL/$RPM" "$T/fetched")" = 200 ] || fail "the package is not served"
assert_files_eq "the package is the upstream's" "$T/rpms/foo-1.0-1.noarch.rpm" "$T/fetched"
BIG=Packages/big-1.0-1.noarch.rpm
for f in repodata/repomd.xml "$RPM" "$BIG"; do
	src=$GEN/tree/$f
	[ -f "$src" ] || src=$T/fetched
	[ "$f" != "$BIG" ] || src=$T/rpms/big-1.0-1.noarch.rpm
	# Three rounds: the first may go by sendfile, the later ones from memory.
	for round in 1 2 3; do
		pg_next get
		assert_eq "round $round: GET $f" 200 "$(hget "$URL/$f" "$REPLY")"
		assert_files_eq "round $round: the bytes of $f" "$src" "$REPLY"
		etag=$(hdr "$REPLY.h" ETag)
		pg_next range
		assert_eq "round $round: Range 10-99 of $f" 206 \
		    "$(hget "$URL/$f" "$REPLY" -r 10-99)"
		assert_files_eq "round $round: the bytes 10-99 of $f" \
		    <(tail -c +11 "$src" | head -c 90) "$REPLY"
		pg_next tail
		assert_eq "round $round: Range -5 of $f" 206 \
		    "$(hget "$URL/$f" "$REPLY" -r -5)"
		assert_files_eq "round $round: the last 5 bytes of $f" \
		    <(tail -c 5 "$src") "$REPLY"
		pg_next head
		assert_eq "round $round: HEAD $f" 200 "$(hget "$URL/$f" "$REPLY" -I)"
		assert_eq "round $round: HEAD's Content-Length of $f" \
		    "$(wc -c <"$src")" "$(hdr "$REPLY.h" Content-Length)"
		pg_next cond
		assert_eq "round $round: If-None-Match $etag on $f" 304 \
		    "$(hget "$URL/$f" "$REPLY" -H "If-None-Match: $etag")"
	done
done

pg_say "2. pipelined requests on one keep-alive connection"
pg_next pipeline
"$PYTHON" - "${PG_URL##*:}" "$REPLY" <<'EOF' || pg_notok "pipelining: the client failed"
import socket, sys
port, out = int(sys.argv[1]), sys.argv[2]
paths = ["/dev/el9/repodata/repomd.xml", "/dev/el9/Packages/foo-1.0-1.noarch.rpm",
         "/dev/el9/repodata/repomd.xml", "/dev/el9/nosuchfile",
         "/dev/el9/Packages/big-1.0-1.noarch.rpm",
         "/dev/el9/Packages/big-1.0-1.noarch.rpm"]
s = socket.create_connection(("127.0.0.1", port), timeout=30)
reqs = b"".join(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % p.encode() for p in paths)
reqs += b"GET /dev/el9/Packages/foo-1.0-1.noarch.rpm HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\n\r\n"
s.sendall(reqs)
f = s.makefile("rb")
with open(out, "w") as o:
    for i in range(len(paths) + 1):
        status = f.readline().split()[1].decode()
        length = 0
        while True:
            line = f.readline()
            if line in (b"\r\n", b""):
                break
            k, _, v = line.decode().partition(":")
            if k.lower() == "content-length":
                length = int(v)
        body = f.read(length)
        with open("%s.%d" % (out, i), "wb") as b:
            b.write(body)
        o.write("%s %d\n" % (status, len(body)))
# Still open: one more request on the same connection.
s.sendall(b"GET /dev/el9/repodata/repomd.xml HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
o = open(out, "a")
o.write("after %s\n" % f.readline().split()[1].decode())
EOF
repomd=$(wc -c <"$GEN/tree/repodata/repomd.xml")
big=$(wc -c <"$T/rpms/big-1.0-1.noarch.rpm")
assert_eq "the answers come in order, each whole" \
    "200 $repomd|200 $size|200 $repomd|404|200 $big|200 $big|206 10|after 200" \
    "$(sed 's/^404 [0-9]*$/404/' "$REPLY" | paste -sd '|')"
assert_files_eq "the first answer is repomd.xml" "$GEN/tree/repodata/repomd.xml" "$REPLY.0"
assert_files_eq "the second is the package" "$T/fetched" "$REPLY.1"
assert_files_eq "the fifth is the large package" \
    "$T/rpms/big-1.0-1.noarch.rpm" "$REPLY.4"
assert_files_eq "the sixth, right behind it, too" \
    "$T/rpms/big-1.0-1.noarch.rpm" "$REPLY.5"
assert_files_eq "the seventh is the package's first 10 bytes" \
    <(head -c 10 "$T/fetched") "$REPLY.6"

pg_say "3. a store rebuilt under the same path is served at once"
pg_next before
hget "$URL/repodata/repomd.xml" "$REPLY" >/dev/null
before=$REPLY
# The generation directory replaced, as a rebuild of the store would.
cp -a "$GEN" "$T/rebuilt"
printf '<!-- rebuilt -->\n' >>"$T/rebuilt/tree/repodata/repomd.xml"
mv "$GEN" "$T/old-gen"
mv "$T/rebuilt" "$GEN"
pg_next after
assert_eq "repomd.xml after the rebuild" 200 "$(hget "$URL/repodata/repomd.xml" "$REPLY")"
assert_files_eq "... has the new bytes" "$GEN/tree/repodata/repomd.xml" "$REPLY"
assert_ne "... and another ETag" "$(hdr "$before.h" ETag)" "$(hdr "$REPLY.h" ETag)"
# And back: the link too, this time.
mv "$GEN" "$T/rebuilt2"
cp -a "$T/rebuilt2" "$VIEW/gen-999999"
printf '<!-- again -->\n' >>"$VIEW/gen-999999/tree/repodata/repomd.xml"
ln -sfn gen-999999 "$VIEW/current.tmp"
mv -T "$VIEW/current.tmp" "$VIEW/current"
pg_next switched
assert_eq "repomd.xml after current moved" 200 "$(hget "$URL/repodata/repomd.xml" "$REPLY")"
assert_files_eq "... comes from the new generation" \
    "$VIEW/gen-999999/tree/repodata/repomd.xml" "$REPLY"
assert_eq "the package is still served" 200 "$(http_get "$URL/$RPM" /dev/null)"

pg_say "4. the access log line of a request is written on its own"
marker=_cache_test_$$
http_get "$PG_URL/dev/el9/$marker" /dev/null >/dev/null
n=100
until grep -q "GET /dev/el9/$marker\" 404" "$T/patchgated.log" || [ $n -eq 0 ]; do
	sleep 0.1
	n=$((n - 1))
done
assert_contains "the line is in the log" "$(cat "$T/patchgated.log")" \
    "\"GET /dev/el9/$marker\" 404"

stop_patchgated
assert_contains "the daemon stopped cleanly" "$(tail -n 3 "$T/patchgated.log")" "stopping"
pg_done
