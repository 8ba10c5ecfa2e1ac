#!/bin/bash
# What patchgated answers for paths, end to end: a hidden package's guessed
# URL is 404 with the reason (the gating invariant), path traversal in every
# spelling never reaches a file outside the view (neither /etc/passwd nor
# the store: the signing key, the database, packages.idx), HEAD agrees with
# GET, Range requests on packages give 206 with the right bytes, and unknown
# groups or mirrors are 404.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"

need python3 curl rpmbuild createrepo_c modifyrepo_c
pg_need_programs

W=$T/www
REPO=$W/repo
STORE=$T/store

mkrpm "$REPO/Packages" foo 1.0
mkrpm "$REPO/Packages" bar 1.0
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

[baseline prod]
rule = classification=* delay=7d
rejected = bar

[group dev]
baseline = dev
mirrors = el9

[group prod]
baseline = prod
mirrors = el9
EOF

PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync || fail "the first sync failed"
mkrpm "$REPO/Packages" foo 1.1
mkrpm "$REPO/Packages" bar 2.0
updateinfo_begin "$T/updateinfo.xml"
updateinfo_advisory "$T/updateinfo.xml" PGTEST-2026-0001 security Important \
    "2026-01-10 00:00:00" "foo security update" foo-1.1-1
updateinfo_advisory "$T/updateinfo.xml" PGTEST-2026-0002 bugfix Moderate \
    "2026-01-09 00:00:00" "bar bug fix" bar-2.0-1
updateinfo_end "$T/updateinfo.xml"
mkrepo "$REPO" "$T/updateinfo.xml"
PATCHGATE_NOW=2026-01-10T12:00:00Z pg_sync || fail "the second sync failed"
PATCHGATE_NOW=2026-01-13T12:00:00Z pg_sync || fail "the third sync failed"
PATCHGATE_NOW=2026-01-13T12:00:00Z start_patchgated "$PG_CONF"
DEV=$PG_URL/dev/el9
PROD=$PG_URL/prod/el9
P=Packages

pg_say "Range on a package not fetched yet (dev, foo-1.1)"
up=$T/rpms/foo-1.1-1.noarch.rpm
size=$(wc -c <"$up")
code=$(http_get "$DEV/$P/foo-1.1-1.noarch.rpm" "$T/cold" -r 100-199)
if [ "$code" = 206 ]; then
	assert_files_eq "cold Range 100-199: the right 100 bytes" \
	    <(tail -c +101 "$up" | head -c 100) "$T/cold"
elif [ "$code" = 200 ]; then
	# RFC 9110 lets a server ignore Range; then it must send everything.
	assert_files_eq "cold Range answered 200: the whole package" "$up" "$T/cold"
else
	pg_notok "cold Range on foo-1.1 in dev" "expected: 206 (or 200)" "got:      $code"
fi

pg_say "visible packages: bytes as upstream's"
assert_status "$UPSTREAM_URL/repo/$P/bar-2.0-1.noarch.rpm" 200
assert_status "$DEV/$P/bar-2.0-1.noarch.rpm" 200
assert_files_eq "dev serves bar-2.0 as upstream has it" "$T/rpms/bar-2.0-1.noarch.rpm" "$HTTP_BODY"
assert_status "$DEV/$P/foo-1.0-1.noarch.rpm" 200
assert_files_eq "dev serves foo-1.0 as upstream has it" "$T/rpms/foo-1.0-1.noarch.rpm" "$HTTP_BODY"
assert_status "$PROD/$P/foo-1.0-1.noarch.rpm" 200

pg_say "hidden packages: 404 with the reason, even when guessed"
assert_status "$PROD/$P/bar-2.0-1.noarch.rpm" 404
assert_match "prod's 404 for bar-2.0 says it is rejected" "$(cat "$HTTP_BODY")" "reject"
assert_status "$PROD/$P/bar-1.0-1.noarch.rpm" 404
assert_match "prod's 404 for bar-1.0 (base, but rejected) says it is rejected" \
    "$(cat "$HTTP_BODY")" "reject"
assert_status "$PROD/$P/foo-1.1-1.noarch.rpm" 404
assert_match "prod's 404 for foo-1.1 says it is not released yet" "$(cat "$HTTP_BODY")" \
    "delay|until|not yet|ripe|2026-01-17|7d|releas|approv"
assert_not_contains "prod's 404 for foo-1.1 carries no rpm" "$(head -c 4 "$HTTP_BODY" | od -An -tx1)" "ed ab ee db"
assert_status "$PROD/$P/foo-1.1-1.noarch.rpm" 404 -I
assert_status "$PROD/$P/foo-1.1-1.noarch.rpm" 404 -r 0-99
assert_status "$PROD/$P/nosuch-1.0-1.noarch.rpm" 404

pg_say "unknown groups, mirrors and files"
assert_status "$PG_URL/nosuch/el9/repodata/repomd.xml" 404
assert_status "$PG_URL/nosuch/el9/$P/foo-1.0-1.noarch.rpm" 404
assert_status "$PG_URL/dev/nosuch/repodata/repomd.xml" 404
assert_status "$DEV/repodata/nosuch-primary.xml.gz" 404
assert_status "$PG_URL/_key.asc" 200
assert_match "/_key.asc is an armored public key" "$(head -n 1 "$HTTP_BODY")" \
    "^-----BEGIN PGP PUBLIC KEY BLOCK-----"

pg_say "HEAD agrees with GET"
head_length() {
	curl -s --max-time 30 -o /dev/null -I -w '%{http_code} %header{content-length}' -- "$1" |
	    tr -d '\r'
}
for path in repodata/repomd.xml repodata/repomd.xml.asc "$P/foo-1.0-1.noarch.rpm"; do
	code=$(http_get "$DEV/$path" "$T/get")
	assert_eq "GET $path" 200 "$code"
	assert_eq "HEAD $path: status and Content-Length as GET's body" \
	    "200 $(wc -c <"$T/get")" "$(head_length "$DEV/$path")"
done

pg_say "Range on a package in the store (dev, foo-1.0)"
up=$T/rpms/foo-1.0-1.noarch.rpm
size=$(wc -c <"$up")
assert_status "$DEV/$P/foo-1.0-1.noarch.rpm" 206 -r 100-199
assert_files_eq "Range 100-199: the right 100 bytes" <(tail -c +101 "$up" | head -c 100) "$HTTP_BODY"
cr=$(curl -s --max-time 30 -o /dev/null -r 100-199 -w '%header{content-range}' -- "$DEV/$P/foo-1.0-1.noarch.rpm")
assert_eq "Content-Range of 100-199" "bytes 100-199/$size" "$cr"
assert_status "$DEV/$P/foo-1.0-1.noarch.rpm" 206 -r -50
assert_files_eq "Range -50: the last 50 bytes" <(tail -c 50 "$up") "$HTTP_BODY"
assert_status "$DEV/$P/foo-1.0-1.noarch.rpm" 206 -r 1000-
assert_files_eq "Range 1000-: from byte 1000 on" <(tail -c +1001 "$up") "$HTTP_BODY"

pg_say "path traversal"
# Raw requests (http.client does not normalise paths as curl does): every
# spelling of "..", towards /etc/passwd and towards each file of the store,
# at every depth, must give 400 or 404 and never the file's bytes.
"$PYTHON" - "$PG_URL" "$STORE" <<'EOF'
import http.client, os, sys, urllib.parse

base, store = sys.argv[1], sys.argv[2]
u = urllib.parse.urlsplit(base)

# What must never come back: /etc/passwd and the bytes of every file of
# the store (signing key, database, generations), whatever the path.
contents = [open("/etc/passwd", "rb").read()]
files = []
for d, _, fs in os.walk(store):
    for f in fs:
        p = os.path.join(d, f)
        if os.path.isfile(p) and not os.path.islink(p) and os.path.getsize(p) < (4 << 20):
            files.append(p)
files.sort(key=lambda p: (p.count("/"), p))
files = files[:60]
for p in files:
    contents.append(open(p, "rb").read())

# Each target by its absolute path behind more ".." than any directory is
# deep, so that it is reached wherever the server roots a view; and the
# files of the current generation (packages.idx, created) also by the
# short relative paths a client would guess.
targets = ["/etc/passwd"] + files
near = []
for p in files:
    rel = os.path.relpath(p, store).split("/")
    if rel[:3] == ["views", "dev", "el9"] and len(rel) == 5:
        near += [rel[4], "/".join(rel[3:])]
near = sorted(set(near))

# (one step up, separator for the rest of the path)
ups = [("../", "/"), ("%2e%2e/", "/"), ("%2E%2E%2f", "%2f"), ("..%2f", "%2f"),
       ("%2e%2e%2F", "%2F"), (".%2e/", "/"), ("%2e./", "/"), ("..%5c", "%5c"),
       ("%252e%252e/", "/"), ("..;/", "/"), ("....//", "/")]
deep = 32
paths = []
for up, sep in ups:
    for pre in ("/dev/el9/", "/dev/el9/Packages/", "/prod/el9/repodata/", "/",
                "/dev/", "/_key.asc/", "/nosuch/el9/"):
        paths.append(pre + up * deep + "etc/passwd".replace("/", sep))
    for t in targets:
        paths.append("/dev/el9/" + up * deep + t.lstrip("/").replace("/", sep))
    for n in near:
        for depth in (1, 2, 3):
            paths.append("/dev/el9/" + up * depth + n.replace("/", sep))

def get(conn, path):
    conn.putrequest("GET", path, skip_host=False, skip_accept_encoding=True)
    conn.endheaders()
    r = conn.getresponse()
    return r.status, r.read(), r.getheader("connection", "").lower() == "close"

bad = 0
n = 0
conn = None
for path in dict.fromkeys(paths):
    n += 1
    for attempt in (1, 2):
        try:
            if conn is None:
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
            status, body, close = get(conn, path)
            if close:
                conn.close()
                conn = None
            break
        except (http.client.HTTPException, OSError) as e:
            if conn is not None:
                conn.close()
            conn = None
            status, body = None, str(e).encode()
    if status is None:
        print("FAIL: GET %s: %s" % (path, body.decode()))
        bad += 1
        continue
    leak = b"root:x:0:0:" in body or any(
        len(c) >= 16 and (body == c or (len(c) >= 64 and c[:64] in body)) for c in contents)
    if status not in (400, 404) or leak:
        print("FAIL: GET %s -> %d%s" % (path, status, " with a file's bytes" if leak else ""))
        bad += 1
        if bad > 50:
            break
print("%d traversal requests (%d store files), %d wrong" % (n, len(files), bad))
sys.exit(1 if bad else 0)
EOF
if [ $? -eq 0 ]; then pg_ok "every traversal attempt gives 400 or 404 and no file"; else
	pg_notok "path traversal: see the lines above"
fi
assert_true "patchgated still answers after the traversal attempts" \
    curl -sf --max-time 30 -o /dev/null -- "$DEV/repodata/repomd.xml"

pg_done
