#!/bin/bash
# Integrity and availability of an apt mirror under bad upstream data: after
# a good sync, with patchgated serving, upstream changes into something
# broken: a tampered InRelease, an InRelease signed by another key, an
# expired Valid-Until, a Packages file whose hash differs from the Release,
# a truncated Packages.xz that a re-signed Release vouches for, a stanza
# without Package (re-signed), a field or a stanza past the parser's
# bounds (re-signed), an upstream that is down.  Each time
# `patchgate sync` must fail, naming the mirror, the file and the cause,
# while patchgated keeps serving the last good InRelease byte for byte and
# real apt-get still updates and downloads from it.  The broken upstreams
# are the good upstream B (hello 1.1 added) broken in one way each, so an
# indexer that took one would change the view; B itself syncs at the end.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkaptrepo.sh"

need_apt
pg_need_programs

W=$T/www
REPO=$W/debian
STORE=$T/store
PKGDIR=dists/bookworm/main/binary-amd64
export APT_VALID_DAYS=30

pg_say "good upstream A: hello 1.0, world 1.0 (Valid-Until 30 days after its Date)"
mkdeb "$REPO" hello 1.0
mkdeb "$REPO" world 1.0
mkaptrepo "$REPO" 2026-01-01T00:00:00Z
start_upstream "$W"
UP=$UPSTREAM_URL/debian

apt_root "$T/direct" "$T/keys/archive.gpg" "$UP" bookworm
apt_update "$T/direct" || fail "apt-get update from the plain upstream: the test setup is broken"

PG_CONF=$T/patchgate.conf
cat >"$PG_CONF" <<EOF
[server]
listen = 127.0.0.1:0
store = $STORE

[mirror debian]
type = apt
url = $UP
suites = bookworm
components = main
architectures = amd64
keyring = $T/keys/archive.gpg

[baseline dev]
rule = classification=* delay=0

[group dev]
baseline = dev
mirrors = debian
EOF

PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync || fail "the sync of the good upstream failed"
PATCHGATE_NOW=2026-01-01T00:00:00Z start_patchgated "$PG_CONF"
DEV=$PG_URL/dev/debian
KEY=$(apt_proxy_key)

# Downloading once puts hello 1.0 in the blob store, so that it is still
# served when upstream is down at the end.
apt_root "$T/root0" "$KEY" "$DEV" bookworm
apt_update "$T/root0" || fail "apt-get update from the first view"
apt_download "$T/root0" hello || fail "apt-get download hello from the first view"
assert_eq "hello 1.0 from the first view" hello_1.0_all.deb "$(apt_archives "$T/root0")"
[ "$(http_get "$DEV/dists/bookworm/InRelease" "$T/InRelease.good")" = 200 ] ||
	fail "the view serves no dists/bookworm/InRelease"

pg_say "good upstream B: A + hello 1.1 (kept aside, broken below)"
GOOD_B=$T/good-b
cp -a "$REPO" "$GOOD_B"
mkdeb "$GOOD_B" hello 1.1
mkaptrepo "$GOOD_B" 2026-01-02T00:00:00Z

# use_upstream DIR: upstream serves DIR from now on.
use_upstream() {
	rm -rf "$REPO"
	cp -a "$1" "$REPO"
}

# broken NAME: a fresh copy of B to break, in $B.
broken() {
	B=$T/b-$1
	rm -rf "$B"
	cp -a "$GOOD_B" "$B"
}

# packages_edit DIR PYTHON-EXPR: rewrites DIR's Packages through a python
# expression of its bytes d, and its .gz and .xz from the result.
packages_edit() {
	"$PYTHON" - "$1/$PKGDIR" "$2" <<-'EOF'
	import gzip, lzma, os, sys
	d0 = open(sys.argv[1] + "/Packages", "rb").read()
	d = d0
	new = eval(sys.argv[2])
	assert new != d0, "the edit changed nothing"
	open(sys.argv[1] + "/Packages", "wb").write(new)
	if os.path.exists(sys.argv[1] + "/Packages.gz"):
	    open(sys.argv[1] + "/Packages.gz", "wb").write(gzip.compress(new, 9, mtime=0))
	if os.path.exists(sys.argv[1] + "/Packages.xz"):
	    open(sys.argv[1] + "/Packages.xz", "wb").write(lzma.compress(new))
	EOF
}

# apt_refuses WHAT: real apt-get, straight from upstream, refuses it too
# (the generator made what it meant to).
apt_refuses() {
	rm -rf "$T/direct-bad"
	apt_root "$T/direct-bad" "$T/keys/archive.gpg" "$UP" bookworm
	if apt_update "$T/direct-bad"; then
		pg_notok "generator: apt-get refuses the upstream with the $1"
	else
		pg_ok "generator: apt-get refuses the upstream with the $1"
	fi
}

# expect_failed_sync WHAT TIME FILE-ERE CAUSE-ERE: the sync at TIME fails
# and says why; the view is the last good one: same InRelease, and apt-get
# updates from it without a warning and downloads hello $GOOD_HELLO.
expect_failed_sync() {
	local what=$1 now=$2 file=$3 cause=$4 rc err
	pg_say "$what"
	PATCHGATE_NOW=$now pg_sync
	rc=$?
	err=$(cat "$SYNC_ERR")
	assert_ne "$what: sync exits non-zero" 0 $rc
	assert_ne "$what: sync finishes by itself (no timeout)" 124 $rc
	assert_contains "$what: stderr names the mirror" "$err" "mirror debian"
	assert_match "$what: stderr names the file (/$file/)" "$err" "$file"
	assert_match "$what: stderr gives the cause (/$cause/)" "$err" "$cause"
	[ "$(http_get "$DEV/dists/bookworm/InRelease" "$T/InRelease.now")" = 200 ] ||
		pg_notok "$what: the view still serves dists/bookworm/InRelease"
	assert_files_eq "$what: the served InRelease is byte-identical to the last good one" \
	    "$T/InRelease.good" "$T/InRelease.now"
	assert_true "$what: the view's files still match its InRelease" pg_apt consistent "$DEV" bookworm
	rm -rf "$T/root"
	apt_root "$T/root" "$KEY" "$DEV" bookworm
	apt_update "$T/root" || pg_notok "$what: apt-get update from the view, without warnings"
	assert_eq "$what: apt-get downloads hello $GOOD_HELLO from the last good view" \
	    "hello_${GOOD_HELLO}_all.deb" "$(apt_download "$T/root" hello; apt_archives "$T/root")"
}
GOOD_HELLO=1.0

# 1. A tampered InRelease: one hex digit of Packages.xz's SHA256 changed
#    in the signed text (an attacker's swap), the signature left as it was;
#    Release the same, so that Release.gpg fails as well.
broken tampered
"$PYTHON" - "$B/dists/bookworm" <<-'EOF' || fail "generator: tampering"
	import re, sys
	for name in ("InRelease", "Release"):
	    p = sys.argv[1] + "/" + name
	    d = open(p, "rb").read()
	    m = re.search(rb"\n ([0-9a-f]{64}) +[0-9]+ main/binary-amd64/Packages\.xz\n", d)
	    h = m.group(1)
	    h2 = (b"0" if h[:1] != b"0" else b"1") + h[1:]
	    open(p, "wb").write(d.replace(h, h2))
	EOF
assert_false "generator: the tampered InRelease does not verify" \
    env GNUPGHOME="$T/keys/archive.gnupg" gpgv --keyring "$T/keys/archive.gpg" "$B/dists/bookworm/InRelease"
use_upstream "$B"
apt_refuses "tampered InRelease"
expect_failed_sync "tampered InRelease" 2026-01-02T01:00:00Z "dists/bookworm/(In)?Release" \
    "signature|verif|bad"

# 2. InRelease and Release.gpg signed by a key that is not in the keyring.
broken otherkey
aptrepo_sign "$B" bookworm other
use_upstream "$B"
apt_refuses "unknown key"
expect_failed_sync "signed by an unknown key" 2026-01-02T02:00:00Z "dists/bookworm/(In)?Release" \
    "key|signature|verif|trust"

# 3. Valid-Until passed: B with Valid-Until 2026-01-03, properly signed,
#    synced on 2026-01-04.
broken expired
APT_VALID_UNTIL=2026-01-03T00:00:00Z aptrepo_resign "$B" bookworm 2026-01-02T00:00:00Z
grep -q '^Valid-Until: Sat, 03 Jan 2026 00:00:00 UTC' "$B/dists/bookworm/InRelease" ||
	fail "generator: no Valid-Until in the expired InRelease"
use_upstream "$B"
expect_failed_sync "expired Valid-Until" 2026-01-04T00:00:00Z "dists/bookworm/(In)?Release" \
    "valid-until|expired"

# 4. Every Packages file differs from what the Release says, at the size
#    the Release states, so that only its SHA256 can tell: one letter of a
#    Description changed, Packages.xz and Packages.gz recompressed, the
#    letter chosen so that the xz has the original size, the gz made no
#    larger (deflate level, strategy, memory level) and padded to it with
#    a header comment.
broken hash
"$PYTHON" - "$B/$PKGDIR" <<-'EOF' || fail "generator: no same-size Packages.xz"
	import gzip, lzma, struct, sys, zlib
	d = sys.argv[1]
	plain = open(d + "/Packages", "rb").read()
	xzlen = len(open(d + "/Packages.xz", "rb").read())
	gzlen = len(open(d + "/Packages.gz", "rb").read())
	def gz(data, level, comment, strategy=0, mem=8):
	    c = zlib.compressobj(level, zlib.DEFLATED, -15, mem, strategy)
	    body = c.compress(data) + c.flush()
	    flg = b"\x10" if comment is not None else b"\0"
	    hdr = b"\x1f\x8b\x08" + flg + b"\0\0\0\0\x02\x03"
	    if comment is not None:
	        hdr += comment + b"\0"
	    return hdr + body + struct.pack("<II", zlib.crc32(data), len(data) & 0xffffffff)
	old = b"Description: patchgate test package hello\n"
	assert old in plain
	for i in range(len(b"Description: "), len(old) - 1):
	    for c in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ":
	        if c == old[i]:
	            continue
	        new = plain.replace(old, old[:i] + bytes([c]) + old[i + 1:], 1)
	        x = lzma.compress(new, preset=6)
	        if len(x) != xzlen:
	            continue
	        for level, strategy, mem in [(l, s, m) for l in range(9, 0, -1) for s in range(5) for m in range(9, 0, -1)]:
	            g = gz(new, level, None, strategy, mem)
	            if len(g) < gzlen:
	                g = gz(new, level, b"x" * (gzlen - len(g) - 1), strategy, mem)
	            if len(g) == gzlen:
	                assert gzip.decompress(g) == new and lzma.decompress(x) == new
	                open(d + "/Packages", "wb").write(new)
	                open(d + "/Packages.xz", "wb").write(x)
	                open(d + "/Packages.gz", "wb").write(g)
	                sys.exit(0)
	sys.exit("no edit gives the original sizes")
	EOF
for f in Packages Packages.gz Packages.xz; do
	assert_eq "generator: the changed $f has the size the Release states" \
	    "$(wc -c <"$GOOD_B/$PKGDIR/$f")" "$(wc -c <"$B/$PKGDIR/$f")"
	assert_false "generator: the changed $f differs" cmp -s "$GOOD_B/$PKGDIR/$f" "$B/$PKGDIR/$f"
done
use_upstream "$B"
assert_false "generator: upstream's Packages.xz no longer matches its InRelease" \
    pg_apt fetch "$UP" bookworm main/binary-amd64/Packages.xz "$T/x"
apt_refuses "Packages that differs from its Release"
expect_failed_sync "Packages differs from the Release" 2026-01-05T00:00:00Z "main/binary-amd64/Packages" \
    "sha-?256|checksum|hash|digest|size|mismatch"

# 5. A truncated Packages.xz, and the Release re-signed to match it: only
#    decompression can notice.  As in Debian's archive, the Release also
#    lists the uncompressed Packages (apt 2.6 silently skips an index whose
#    uncompressed name is not listed), which upstream does not serve.
broken truncated
rm -f "$B/$PKGDIR/Packages.gz"
size=$(wc -c <"$B/$PKGDIR/Packages.xz")
truncate -s $((size / 2)) "$B/$PKGDIR/Packages.xz"
aptrepo_resign "$B" bookworm 2026-01-02T00:00:00Z
rm -f "$B/$PKGDIR/Packages"
assert_eq "generator: the Release lists the truncated Packages.xz as it is" \
    "$(sha256sum <"$B/$PKGDIR/Packages.xz" | cut -d' ' -f1) $((size / 2))" \
    "$(pg_apt listed "$B/dists/bookworm/InRelease" main/binary-amd64/Packages.xz)"
assert_false "generator: the Release lists no Packages.gz" \
    pg_apt listed "$B/dists/bookworm/InRelease" main/binary-amd64/Packages.gz
use_upstream "$B"
apt_refuses "truncated Packages.xz"
assert_status "$UP/$PKGDIR/Packages" 404
expect_failed_sync "truncated Packages.xz" 2026-01-06T00:00:00Z "main/binary-amd64/Packages\.xz" \
    "truncat|unexpected end|premature|incomplete|end of (file|stream|data|input)|corrupt|damaged|decompress|xz|lzma|eof"

# 6. A stanza without Package (hello 1.1's), every file re-signed.
broken nopackage
packages_edit "$B" 'd.replace(b"Package: hello\nArchitecture: all\nVersion: 1.1\n", b"Architecture: all\nVersion: 1.1\n", 1)'
aptrepo_resign "$B" bookworm 2026-01-02T00:00:00Z
use_upstream "$B"
assert_true "generator: the stanza without Package is served as the InRelease lists it" \
    pg_apt fetch "$UP" bookworm main/binary-amd64/Packages.xz "$T/x"
apt_refuses "stanza without Package"
expect_failed_sync "stanza without Package" 2026-01-07T00:00:00Z "main/binary-amd64/Packages" \
    "without.*Package|no Package|missing.*Package|Package.*(field|missing|absent|required)"

# 6b. A field over the bound on one field (512 KiB): hello 1.1's
#     Description with 600 KiB of continuation lines, every file
#     re-signed.  The sync names the field, the line and the limit.
broken bigfield
packages_edit "$B" 'd.replace(b"Package: hello\nArchitecture: all\nVersion: 1.1\n", b"Package: hello\nArchitecture: all\nVersion: 1.1\nX-Big: x\n" + b" 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n" * 9600, 1)'
aptrepo_resign "$B" bookworm 2026-01-02T00:00:00Z
use_upstream "$B"
expect_failed_sync "a field over 512 KiB" 2026-01-07T01:00:00Z "main/binary-amd64/Packages" \
    "line [0-9]+: field X-Big larger than the limit of 512 KiB"

# 6c. A stanza over the bound on one stanza (1 MiB), each of its fields
#     under the bound on a field: three fields of 400 KiB.
broken bigstanza
packages_edit "$B" 'd.replace(b"Package: hello\nArchitecture: all\nVersion: 1.1\n", b"Package: hello\nArchitecture: all\nVersion: 1.1\n" + b"".join(b"X-Big%d: x\n" % i + b" 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n" * 6400 for i in range(3)), 1)'
aptrepo_resign "$B" bookworm 2026-01-02T00:00:00Z
use_upstream "$B"
expect_failed_sync "a stanza over 1 MiB" 2026-01-07T02:00:00Z "main/binary-amd64/Packages" \
    "line [0-9]+: stanza larger than the limit of 1 MiB"

pg_say "good upstream B, unbroken: the sync must succeed now"
use_upstream "$GOOD_B"
PATCHGATE_NOW=2026-01-08T00:00:00Z pg_sync || pg_notok "the sync of the good upstream B"
[ "$(http_get "$DEV/dists/bookworm/InRelease" "$T/InRelease.good")" = 200 ] ||
	fail "the view serves no InRelease after B"
assert_false "the view changed with B" cmp -s "$T/InRelease.good" "$T/InRelease.now"
rm -rf "$T/root"
apt_root "$T/root" "$KEY" "$DEV" bookworm
apt_update "$T/root" || pg_notok "apt-get update from the view of B"
apt_download "$T/root" hello || pg_notok "apt-get download hello from the view of B"
assert_eq "the view of B gives hello 1.1 (and fetched it into the store)" \
    hello_1.1_all.deb "$(apt_archives "$T/root")"
GOOD_HELLO=1.1

# 7. Upstream down: nothing listens on its port any more.
stop_upstream
expect_failed_sync "upstream unreachable" 2026-01-09T00:00:00Z "127\.0\.0\.1:${UP##*:}|dists/bookworm" \
    "connect|refused|unreachable|resolve|timed? ?out"

pg_done
