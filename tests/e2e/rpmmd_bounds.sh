#!/bin/bash
# Bounded inputs on the rpm-md side: after a good sync, an upstream whose
# primary (checksums restamped in repomd.xml, so that only these limits
# can catch it) is a decompression bomb past its declared open-size, a
# bomb with no open-size declared (past 200 times its compressed size), a
# <package> element larger than 16 MiB, a text larger than 4 MiB, or
# elements nested deeper than 32 levels, must fail `patchgate sync`
# quickly, naming the mirror, the file and the limit; the rejected file
# does not stay in the blob store, STORE/tmp is empty, and the served
# repomd.xml stays byte-identical.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"

need python3 curl gpg rpmbuild createrepo_c
pg_need_programs

W=$T/www
REPO=$W/repo
STORE=$T/store

pg_say "good upstream: foo-1.0"
mkrpm "$REPO/Packages" foo 1.0
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
export PATCHGATE_NOW=2026-01-01T00:00:00Z
PG_SYNC_TIMEOUT=120
pg_sync || fail "the sync of the good upstream failed"
start_patchgated "$PG_CONF"
DEV=$PG_URL/dev/el9
[ "$(http_get "$DEV/repodata/repomd.xml" "$T/repomd.good")" = 200 ] ||
	fail "the view serves no repodata/repomd.xml"

pg_say "upstream B: foo-1.0 and foo-1.1, kept aside and broken below"
GOOD_B=$T/good-b
cp -a "$REPO" "$GOOD_B"
mkrpm "$GOOD_B/Packages" foo 1.1
mkrepo "$GOOD_B"
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
	open(path, "wb").write(gzip.compress(new, compresslevel=9, mtime=0))
	EOF
}

# restamp_keep REPO TYPE [drop]: the checksum and size of TYPE in
# repomd.xml made to match the file, open-size and open-checksum left as
# they were (a bomb past what is declared), or removed with "drop".
restamp_keep() {
	"$PYTHON" - "$1" "$2" "${3:-keep}" <<-'EOF'
	import hashlib, re, sys
	repo, typ, mode = sys.argv[1:4]
	path = repo + "/repodata/repomd.xml"
	md = open(path).read()
	def fix(m):
	    body = m.group(2)
	    href = re.search(r'<location\b[^>]*\bhref="([^"]+)"', body).group(1)
	    raw = open(repo + "/" + href, "rb").read()
	    body = re.sub(r'(<checksum type="sha256">)[0-9a-f]+(</checksum>)',
	                  lambda x: x.group(1) + hashlib.sha256(raw).hexdigest() + x.group(2), body)
	    body = re.sub(r'<size>[0-9]+</size>', '<size>%d</size>' % len(raw), body)
	    if mode == "drop":
	        body = re.sub(r'\s*<open-(size|checksum)[^>]*>[^<]*</open-(size|checksum)>', '', body)
	    return m.group(1) + body + m.group(3)
	new, n = re.subn(r'(<data\s+type="' + re.escape(typ) + r'"\s*>)(.*?)(</data>)', fix, md, flags=re.S)
	assert n == 1
	open(path, "w").write(new)
	EOF
}

# expect_rejected WHAT CAUSE-ERE: the sync fails quickly with CAUSE, and
# leaves nothing behind.
expect_rejected() {
	local what=$1 cause=$2 rc err sha t0=$SECONDS
	sha=$(sha256sum "$REPO/$PRIMARY" | cut -c1-64)
	pg_sync
	rc=$?
	err=$(cat "$SYNC_ERR")
	assert_eq "$what: sync exits 1" 1 $rc
	assert_true "$what: sync ends within 60 s" test $((SECONDS - t0)) -lt 60
	assert_match "$what: stderr names mirror, file and limit" "$err" \
	    "mirror el9: .*${PRIMARY##*/}: .*$cause"
	assert_eq "$what: the rejected primary is not in the blob store" "" \
	    "$(find "$STORE/blobs" -name "$sha")"
	assert_eq "$what: STORE/tmp is empty" "" "$(ls -A "$STORE/tmp")"
	[ "$(http_get "$DEV/repodata/repomd.xml" "$T/repomd.now")" = 200 ] ||
		pg_notok "$what: the view still serves repodata/repomd.xml"
	assert_files_eq "$what: served repomd.xml is byte-identical" \
	    "$T/repomd.good" "$T/repomd.now"
}

# use_broken NAME PYTHON-EXPR [RESTAMP...]: upstream serves B with primary
# rewritten by the expression.
use_broken() {
	local name=$1 expr=$2
	shift 2
	rm -rf "$REPO"
	cp -a "$GOOD_B" "$REPO"
	primary_edit "$REPO/$PRIMARY" "$expr"
	"$@" || fail "restamp for $name"
}

pg_say "a bomb past its declared open-size: 64 MiB of blanks after the root"
use_broken bomb 'd + b" " * (64 << 20)' restamp_keep "$REPO" primary
assert_true "generator: the bomb is small compressed" \
    test "$(stat -c %s "$REPO/$PRIMARY")" -lt 1048576
expect_rejected "declared bomb" \
    "decompresses to more than [0-9]+ bytes \(its declared size\).*decompression bomb"

pg_say "the same bomb with no open-size declared"
use_broken undeclared 'd + b" " * (64 << 20)' restamp_keep "$REPO" primary drop
expect_rejected "undeclared bomb" \
    "decompresses to more than [0-9]+ bytes \(200 times its [0-9]+ compressed bytes.*decompression bomb"

pg_say "a <package> element larger than 16 MiB"
use_broken element \
    'd.replace(b"<description>", b"<description>" + b"x" * (17 << 20), 1)' \
    repomd_restamp "$REPO" primary
expect_rejected "large element" "a <package> element larger than 16 MiB"

pg_say "a text of 5 MiB in <name>"
use_broken text 'd.replace(b"<name>foo", b"<name>" + b"f" * (5 << 20), 1)' \
    repomd_restamp "$REPO" primary
expect_rejected "large text" "text of <name> larger than 4 MiB"

pg_say "elements nested 40 deep"
use_broken depth \
    'd.replace(b"</description>", b"</description>" + b"<x>" * 40 + b"</x>" * 40, 1)' \
    repomd_restamp "$REPO" primary
expect_rejected "depth" "elements nested deeper than 32 levels"

pg_say "upstream B, unbroken: the sync succeeds"
rm -rf "$REPO"
cp -a "$GOOD_B" "$REPO"
pg_sync || pg_notok "the sync of the good upstream B" "$(tail -n 3 "$SYNC_ERR")"
pg_rpmmd fetch "$DEV" primary "$T/primary.xml" || pg_notok "the view serves its primary"
assert_contains "the view lists foo-1.1" "$(cat "$T/primary.xml")" 'ver="1.1"'

pg_done
