#!/bin/bash
# Availability and integrity under bad upstream data: after a good sync, an
# upstream that changes into something broken (a primary that does not
# match its checksum, a truncated gzip, malformed XML, an entity bomb, a
# listed file that is missing, an upstream that is down) must make
# `patchgate sync` fail loudly, naming the mirror, the file (or URL) and the
# cause, while patchgated keeps serving the last good generation byte for
# byte and dnf still installs from it.  The breakages that pass repomd.xml's
# checksums (restamped by a generator) prove the later checks fire too.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"

need python3 curl gpg rpmbuild createrepo_c modifyrepo_c
need_dnf
pg_need_programs

W=$T/www
REPO=$W/repo
STORE=$T/store

pg_say "good upstream A: foo-1.0, bar-1.0"
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

[group dev]
baseline = dev
mirrors = el9
EOF

PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync || fail "the sync of the good upstream failed"
PATCHGATE_NOW=2026-01-01T00:00:00Z start_patchgated "$PG_CONF"
DEV=$PG_URL/dev/el9

# Installing once fetches foo-1.0 into the blob store, so that it can still
# be served when upstream is down at the end.
dnf_in "$T/root0" "$DEV" install foo || fail "dnf cannot install from the first view"
assert_eq "foo-1.0 from the first view" 1.0-1 "$(installed "$T/root0" foo)"
[ "$(http_get "$DEV/repodata/repomd.xml" "$T/repomd.good")" = 200 ] ||
	fail "the view serves no repodata/repomd.xml"

pg_say "good upstream B: A + foo-1.1 with an advisory (kept aside, broken below)"
GOOD_B=$T/good-b
cp -a "$REPO" "$GOOD_B"
mkrpm "$GOOD_B/Packages" foo 1.1
updateinfo_begin "$T/updateinfo.xml"
updateinfo_advisory "$T/updateinfo.xml" PGTEST-2026-0001 security Important \
    "2026-01-02 00:00:00" "foo security update" foo-1.1-1
updateinfo_end "$T/updateinfo.xml"
mkrepo "$GOOD_B" "$T/updateinfo.xml"
PRIMARY=$(repomd_href "$GOOD_B" primary) || fail "no primary in B"

# primary_edit FILE PYTHON-EXPR: rewrites a gzip file through a python
# expression of its decompressed bytes d.
primary_edit() {
	"$PYTHON" - "$1" "$2" <<-'EOF'
	import gzip, sys
	path, expr = sys.argv[1], sys.argv[2]
	d = gzip.decompress(open(path, "rb").read())
	new = eval(expr)
	assert new != d, "the edit changed nothing"
	open(path, "wb").write(gzip.compress(new, mtime=0))
	EOF
}

# use_upstream DIR: upstream serves DIR as its repo from now on.
use_upstream() {
	rm -rf "$REPO"
	cp -a "$1" "$REPO"
}

# expect_failed_sync WHAT TIME FILE CAUSE-ERE: the sync at TIME fails and
# says why; the view is the last good one and still installs foo-$GOOD_FOO.
expect_failed_sync() {
	local what=$1 now=$2 file=$3 cause=$4 rc err
	pg_say "$what"
	PATCHGATE_NOW=$now pg_sync
	rc=$?
	err=$(cat "$SYNC_ERR")
	assert_ne "$what: sync exits non-zero" 0 $rc
	assert_ne "$what: sync finishes by itself (no timeout)" 124 $rc
	assert_contains "$what: stderr names the mirror" "$err" "mirror el9"
	assert_contains "$what: stderr names $file" "$err" "$file"
	assert_match "$what: stderr gives the cause" "$err" "$cause"
	[ "$(http_get "$DEV/repodata/repomd.xml" "$T/repomd.now")" = 200 ] ||
		pg_notok "$what: the view still serves repodata/repomd.xml"
	assert_files_eq "$what: served repomd.xml is byte-identical to the last good one" \
	    "$T/repomd.good" "$T/repomd.now"
	assert_true "$what: the view's files still match its repomd.xml" pg_rpmmd consistent "$DEV"
	rm -rf "$T/root"
	dnf_in "$T/root" "$DEV" install foo || pg_notok "$what: dnf install foo from the view"
	assert_eq "$what: dnf installs foo-$GOOD_FOO from the last good view" \
	    "$GOOD_FOO-1" "$(installed "$T/root" foo)"
}
GOOD_FOO=1.0

# 1. primary's bytes differ from repomd.xml's checksum: a valid gzip of
#    valid XML, not restamped.  First foo-1.1's pkgid swapped, at the size
#    repomd.xml states, so that only the checksum can catch it; then a
#    summary changed, at another size.
B=$T/b-checksum
cp -a "$GOOD_B" "$B"
"$PYTHON" - "$B/$PRIMARY" "$(rpm_sha256 foo-1.1-1)" <<-'EOF' || fail "generator: no same-size primary"
	# Changes one hex digit of foo-1.1's pkgid (a swapped package checksum,
	# as an attacker would) and searches for a compression level that gives
	# the original size, padding with a gzip header comment when short.
	import gzip, struct, sys, zlib
	path, pkgid = sys.argv[1], sys.argv[2].encode()
	raw = open(path, "rb").read()
	d = gzip.decompress(raw)
	assert pkgid in d
	def gz(data, level, comment):
	    c = zlib.compressobj(level, zlib.DEFLATED, -15)
	    body = c.compress(data) + c.flush()
	    flg = b"\x10" if comment is not None else b"\0"
	    hdr = b"\x1f\x8b\x08" + flg + b"\0\0\0\0\x00\x03"
	    if comment is not None:
	        hdr += comment + b"\0"
	    return hdr + body + struct.pack("<II", zlib.crc32(data), len(data) & 0xffffffff)
	for i in range(len(pkgid)):
	    for c in b"0123456789abcdef":
	        if c == pkgid[i]:
	            continue
	        new = d.replace(pkgid, pkgid[:i] + bytes([c]) + pkgid[i + 1:])
	        for level in range(9, 0, -1):
	            out = gz(new, level, None)
	            if len(out) < len(raw) - 1:
	                out = gz(new, level, b"x" * (len(raw) - len(out) - 1))
	            if len(out) == len(raw):
	                assert gzip.decompress(out) == new
	                open(path, "wb").write(out)
	                sys.exit(0)
	sys.exit("no edit gives the original size")
	EOF
use_upstream "$B"
assert_false "generator: upstream's primary no longer matches its repomd.xml" \
    pg_rpmmd consistent "$UPSTREAM_URL/repo"
assert_eq "generator: the changed primary has the size repomd.xml states" \
    "$(wc -c <"$GOOD_B/$PRIMARY")" "$(wc -c <"$B/$PRIMARY")"
expect_failed_sync "checksum mismatch, same size" 2026-01-02T00:00:00Z "$PRIMARY" \
    "sha-?256|checksum|digest"

B=$T/b-size
cp -a "$GOOD_B" "$B"
primary_edit "$B/$PRIMARY" \
    'd.replace(b"<summary>patchgate test package foo</summary>", b"<summary>patchgate test package foo, changed on the way</summary>", 1)'
use_upstream "$B"
expect_failed_sync "checksum and size mismatch" 2026-01-02T12:00:00Z "$PRIMARY" \
    "mismatch|checksum|sha-?256|digest|size"

# 2. truncated gzip, repomd.xml's checksum and size rewritten to match it:
#    only decompression can notice.
B=$T/b-truncated
cp -a "$GOOD_B" "$B"
size=$(wc -c <"$B/$PRIMARY")
truncate -s $((size / 2)) "$B/$PRIMARY"
repomd_restamp "$B" primary || fail "restamp"
use_upstream "$B"
expect_failed_sync "truncated gzip" 2026-01-03T00:00:00Z "$PRIMARY" \
    "truncat|unexpected end|premature|incomplete|end of (file|stream|data|input)|corrupt|damaged|decompress|gzip|inflate|eof"

# 3. malformed XML (a mismatched tag), gzip and repomd.xml correct.
B=$T/b-malformed
cp -a "$GOOD_B" "$B"
primary_edit "$B/$PRIMARY" 'd.replace(b"</name>", b"</nam>", 1)'
repomd_restamp "$B" primary || fail "restamp"
use_upstream "$B"
assert_true "generator: the malformed primary matches its repomd.xml" \
    pg_rpmmd consistent "$UPSTREAM_URL/repo"
expect_failed_sync "malformed XML" 2026-01-04T00:00:00Z "$PRIMARY" \
    "tag|mismatch|not well-formed|malformed|pars|xml"

# 4. an entity bomb (billion laughs), gzip and repomd.xml correct: the
#    parser must refuse the DTD or the entities, quickly.
B=$T/b-bomb
cp -a "$GOOD_B" "$B"
primary_edit "$B/$PRIMARY" '
d.replace(b"?>", b"""?>
<!DOCTYPE metadata [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>""", 1).replace(b"<summary>patchgate test package foo</summary>", b"<summary>&lol9;</summary>")'
repomd_restamp "$B" primary || fail "restamp"
use_upstream "$B"
assert_true "generator: the bomb matches its repomd.xml" pg_rpmmd consistent "$UPSTREAM_URL/repo"
PG_SYNC_TIMEOUT=60 expect_failed_sync "entity bomb" 2026-01-05T00:00:00Z "$PRIMARY" \
    "entit|doctype|dtd"

# 5. repomd.xml lists a primary that upstream does not have.
B=$T/b-missing
cp -a "$GOOD_B" "$B"
rm -f "$B/$PRIMARY"
use_upstream "$B"
expect_failed_sync "primary missing upstream" 2026-01-06T00:00:00Z "$PRIMARY" \
    "404|not found"

pg_say "good upstream B, unbroken: the sync must succeed now"
use_upstream "$GOOD_B"
PATCHGATE_NOW=2026-01-08T00:00:00Z pg_sync || pg_notok "the sync of the good upstream B"
[ "$(http_get "$DEV/repodata/repomd.xml" "$T/repomd.good")" = 200 ] ||
	fail "the view serves no repodata/repomd.xml after B"
rm -rf "$T/root"
dnf_in "$T/root" "$DEV" install foo || pg_notok "dnf install foo from view B"
assert_eq "the view of B gives foo-1.1 (and fetched it into the store)" 1.1-1 "$(installed "$T/root" foo)"
GOOD_FOO=1.1

# 6. upstream down: nothing listens on its port any more.
stop_upstream
expect_failed_sync "upstream unreachable" 2026-01-09T00:00:00Z "$UPSTREAM_URL" \
    "connect|refused|unreachable|resolve|timed? ?out"

pg_done
