#!/bin/bash
# Several upstream URLs per mirror, mirrorlist and metalink (lib/fetch.c,
# lib/mirrorlist.c, proxy/upstream.c).  Two real upstream servers hold the
# same rpm-md and apt repositories: A (faulthttpd.py, breaks what a test
# asks) and B (httpd.py); DEAD is a port nothing listens on.
# 1. url = DEAD A B, A answers 500 for repomd.xml: the sync succeeds from
#    B, every metadata file of it from B, and the log names DEAD and A.
# 2. url = A B, A's primary is corrupt: its sha256 mismatch is logged with
#    A's URL, the file comes from B, and the rest of the sync from A.
# 3. patchgated: dnf installs through it while DEAD is closed and A
#    answers 500 for packages; the next package goes to B at once (A and
#    DEAD are backed off: A's log has no request for it).
# 4. apt: url = DEAD B, sync and apt-get download through patchgated;
#    url = A B with A's InRelease corrupt: its signature check fails, is
#    logged with A's URL, and B's InRelease is taken.
# 5. Every URL dead: the sync fails naming each URL and its cause, and
#    the last good generation is still served.
# 6. A mirrorlist (Fedora's format) with DEAD first, then B: the sync
#    works, patchgated fetches a package through the list's bases.
# 7. A metalink 3.0 (Fedora's MirrorManager) and a metalink 4 (openSUSE's
#    MirrorCache): bases by preference, repomd.xml checked against the
#    sha256; a metalink whose sha256 is not repomd.xml's is refused.
# 8. Bad configuration: no url at all, a bad scheme in a list.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"
. "$top_srcdir/tests/e2e/mkaptrepo.sh"

need python3 curl rpmbuild createrepo_c
need_dnf
need_apt
pg_need_programs

W=$T/www
STORE=$T/store
export PATCHGATE_NOW=2026-01-01T00:00:00Z

for p in foo bar baz qux; do mkrpm "$W/el/Packages" $p 1.0; done
mkrepo "$W/el"
mkdeb "$W/debian" hello 1.0
mkaptrepo "$W/debian" 2025-12-31T00:00:00Z

# Server A: faulthttpd.py, its faults in $FAULTS, its requests in A.log.
FAULTS=$T/faults
: >"$FAULTS"
pg_next a.port
"$PYTHON" "$top_srcdir/tests/e2e/faulthttpd.py" "$W" "$REPLY" "$FAULTS" \
    2>>"$T/A.log" &
pg_track $!
wait_for_file "$REPLY" 10 $! || fail "server A did not start"
A=http://127.0.0.1:$(cat "$REPLY")
# Server B: httpd.py, its requests in B.log.
pg_next b.port
"$PYTHON" "$top_srcdir/tests/e2e/httpd.py" "$W" "$REPLY" 2>>"$T/B.log" &
pg_track $!
wait_for_file "$REPLY" 10 $! || fail "server B did not start"
B=http://127.0.0.1:$(cat "$REPLY")
# DEAD: a port that was free a moment ago, closed now.
DEAD=http://127.0.0.1:$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DEAD2=http://127.0.0.1:$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pg_say "A $A, B $B, dead $DEAD and $DEAD2"
# lines_since FILE N: FILE's lines after the first N.
lines_since() { tail -n +"$(($2 + 1))" "$1"; }

PG_CONF=$T/patchgate.conf
write_conf() {
	cat >"$PG_CONF" <<-EOF
	[server]
	listen = 127.0.0.1:0
	store = $STORE

	[mirror el]
	type = rpm-md
	url = $1

	[mirror debian]
	type = apt
	url = ${DEB1:-$DEAD}/debian
	url = $B/debian
	suites = bookworm
	components = main
	architectures = amd64
	keyring = $T/keys/archive.gpg

	[baseline dev]
	rule = classification=* delay=0

	[group dev]
	baseline = dev
	mirrors = el debian
	EOF
}

pg_say "1. url = DEAD A B, A answers 500 for repomd.xml"
write_conf "$DEAD/el $A/el/ $B/el"
echo "repomd.xml error500" >"$FAULTS"
a0=$(wc -l <"$T/A.log")
b0=$(wc -l <"$T/B.log")
pg_sync el || fail "the sync failed although B serves the repository"
assert_contains "the dead URL is named" "$(cat "$SYNC_ERR")" \
    "$DEAD/el/repodata/repomd.xml: Failed to connect"
assert_contains "... and A's 500" "$(cat "$SYNC_ERR")" \
    "$A/el/repodata/repomd.xml: HTTP 500"
assert_contains "A was asked for repomd.xml" "$(lines_since "$T/A.log" "$a0")" \
    "GET /el/repodata/repomd.xml error500"
assert_not_contains "... and for nothing else: the sync reads B" \
    "$(lines_since "$T/A.log" "$a0")" "primary"
assert_match "B served repomd.xml" "$(lines_since "$T/B.log" "$b0")" \
    "GET /el/repodata/repomd.xml"
assert_match "... and primary" "$(lines_since "$T/B.log" "$b0")" \
    "GET /el/repodata/[0-9a-f]*-primary.xml"

pg_say "2. url = A B, A's primary is corrupt"
mkrpm "$W/el/Packages" foo 1.1
mkrepo "$W/el"
write_conf "$A/el $B/el"
echo "primary.xml.gz corrupt" >"$FAULTS"
ls "$W/el/repodata/" | grep -q 'primary.xml.gz$' ||
	echo "primary.xml.zst corrupt" >"$FAULTS"
a0=$(wc -l <"$T/A.log")
b0=$(wc -l <"$T/B.log")
pg_sync el || fail "the sync failed although B's primary is good"
assert_match "the mismatch is logged with A's URL" "$(cat "$SYNC_ERR")" \
    "$A/el/repodata/[0-9a-f]*-primary.xml.*: sha256 mismatch \(expected [0-9a-f]*, got [0-9a-f]*\); trying the next URL"
assert_match "B served primary" "$(lines_since "$T/B.log" "$b0")" \
    "GET /el/repodata/[0-9a-f]*-primary.xml"
assert_not_contains "... and not repomd.xml, which A served" \
    "$(lines_since "$T/B.log" "$b0")" "repomd.xml"
assert_match "A served filelists: one sync, one mirror" \
    "$(lines_since "$T/A.log" "$a0")" "GET /el/repodata/[0-9a-f]*-filelists.xml"
: >"$FAULTS"

pg_say "3. patchgated: DEAD closed, A answers 500 for packages"
write_conf "$DEAD/el $A/el $B/el"
echo "rpm error500" >"$FAULTS"
start_patchgated "$PG_CONF"
a0=$(wc -l <"$T/A.log")
b0=$(wc -l <"$T/B.log")
dnf_in "$T/root" "$PG_URL/dev/el" install foo || fail "dnf install foo through patchgated failed"
assert_eq "foo 1.1 is installed" 1.1-1 "$(installed "$T/root" foo)"
assert_contains "A was asked for foo" "$(lines_since "$T/A.log" "$a0")" \
    "GET /el/Packages/foo-1.1-1.noarch.rpm error500"
assert_contains "B served it" "$(lines_since "$T/B.log" "$b0")" \
    "GET /el/Packages/foo-1.1-1.noarch.rpm"
assert_contains "patchgated says why it moved on" "$(cat "$T/patchgated.log")" \
    "$A/el/Packages/foo-1.1-1.noarch.rpm: HTTP 500; trying $B/el/Packages/foo-1.1-1.noarch.rpm"
dnf_in "$T/root" "$PG_URL/dev/el" install bar || fail "dnf install bar through patchgated failed"
assert_eq "bar 1.0 is installed" 1.0-1 "$(installed "$T/root" bar)"
assert_not_contains "A, backed off, was not asked for bar" \
    "$(lines_since "$T/A.log" "$a0")" "bar"
assert_contains "B served bar" "$(lines_since "$T/B.log" "$b0")" \
    "GET /el/Packages/bar-1.0-1.noarch.rpm"
assert_not_contains "... at once: DEAD was not tried first" \
    "$(cat "$T/patchgated.log")" "$DEAD/el/Packages/bar"
assert_eq "patchgated serves bar" 200 \
    "$(http_get "$PG_URL/dev/el/Packages/bar-1.0-1.noarch.rpm" "$T/bar.rpm")"
assert_files_eq "... with upstream's bytes" "$T/rpms/bar-1.0-1.noarch.rpm" "$T/bar.rpm"
: >"$FAULTS"

pg_say "4. apt: url = DEAD B"
pg_sync debian || fail "the apt sync failed although B serves it"
assert_contains "the dead URL is named" "$(cat "$SYNC_ERR")" \
    "$DEAD/debian/dists/bookworm/InRelease: Failed to connect"
# The InRelease of A, corrupt: its signature fails, logged, B's is taken.
DEB1=$A write_conf "$DEAD/el $A/el $B/el"
echo "InRelease corrupt" >"$FAULTS"
a0=$(wc -l <"$T/A.log")
pg_sync debian || fail "the apt sync failed although B's InRelease is good"
assert_contains "A was asked for InRelease" "$(lines_since "$T/A.log" "$a0")" \
    "GET /debian/dists/bookworm/InRelease corrupt"
assert_match "the refused signature is logged with A's URL" "$(cat "$SYNC_ERR")" \
    "warning: $A/debian/dists/bookworm/InRelease: dists/bookworm/InRelease: signature check against keyring .* failed: .*; trying the next URL"
: >"$FAULTS"
write_conf "$DEAD/el $A/el $B/el"
KEY=$(apt_proxy_key)
apt_root "$T/apt" "$KEY" "$PG_URL/dev/debian" bookworm
apt_update "$T/apt" || fail "apt-get update through patchgated failed"
apt_download "$T/apt" hello || fail "apt-get download of hello through patchgated failed"
assert_eq "apt-get downloads hello 1.0" hello_1.0_all.deb "$(apt_archives "$T/apt")"
assert_files_eq "... upstream's bytes" "$T/debs/hello_1.0_all.deb" \
    "$T/apt/var/cache/apt/archives/hello_1.0_all.deb"
stop_patchgated

pg_say "5. every URL dead: the sync fails, the last generation stays"
write_conf "$DEAD/el $DEAD2/el"
start_patchgated "$PG_CONF"
if pg_sync el; then
	pg_notok "a sync with every URL dead fails"
else
	pg_ok "a sync with every URL dead fails"
	assert_contains "the error says every URL failed" "$(cat "$SYNC_ERR")" \
	    "mirror el: every one of 2 URLs failed: "
	assert_contains "... names the first and its cause" "$(cat "$SYNC_ERR")" \
	    "$DEAD/el/repodata/repomd.xml: Failed to connect"
	assert_contains "... and the second" "$(cat "$SYNC_ERR")" \
	    "$DEAD2/el/repodata/repomd.xml: Failed to connect"
fi
assert_status "$PG_URL/dev/el/repodata/repomd.xml" 200
dnf_in "$T/root" "$PG_URL/dev/el" -q repoquery --available foo ||
	fail "dnf cannot read the last good generation"
assert_contains "dnf still sees foo 1.1" "$(cat "$DNF_LOG")" "foo-0:1.1-1.noarch"
stop_patchgated

pg_say "6. a mirrorlist: DEAD first, then B"
cat >"$W/mirrorlist" <<EOF
# repo = el-9 arch = noarch country = global
$DEAD/el/
rsync://mirror.example/el/
$B/el/
EOF
cat >>"$PG_CONF" <<EOF

[mirror elml]
type = rpm-md
mirrorlist = $B/mirrorlist

[group ml]
baseline = dev
mirrors = elml
EOF
b0=$(wc -l <"$T/B.log")
pg_sync elml || fail "the sync from a mirrorlist failed"
assert_eq "the bases the list gave are kept for patchgated" \
    "$DEAD/el $B/el" "$(tr '\n' ' ' <"$STORE/mirrors/elml/bases" | sed 's/ $//')"
assert_match "B served repomd.xml" "$(lines_since "$T/B.log" "$b0")" \
    "GET /el/repodata/repomd.xml"
start_patchgated "$PG_CONF"
dnf_in "$T/root-ml" "$PG_URL/ml/elml" install baz || fail "dnf install baz from the mirrorlist mirror failed"
assert_eq "baz is installed" 1.0-1 "$(installed "$T/root-ml" baz)"
assert_contains "B served it" "$(lines_since "$T/B.log" "$b0")" \
    "GET /el/Packages/baz-1.0-1.noarch.rpm"
stop_patchgated

pg_say "7. metalinks"
sha=$(sha256sum "$W/el/repodata/repomd.xml" | cut -d' ' -f1)
size=$(wc -c <"$W/el/repodata/repomd.xml")
# metalink3 FILE SHA256: Fedora's format, B preferred over DEAD.
metalink3() {
	cat >"$1" <<-EOF
	<?xml version="1.0" encoding="utf-8"?>
	<metalink version="3.0" xmlns="http://www.metalinker.org/" type="dynamic" pubdate="Thu, 01 Jan 2026 00:00:00 GMT" generator="mirrormanager" xmlns:mm0="http://fedorahosted.org/mirrormanager">
	 <files>
	  <file name="repomd.xml">
	   <mm0:timestamp>1767225600</mm0:timestamp>
	   <size>$size</size>
	   <verification>
	    <hash type="md5">00000000000000000000000000000000</hash>
	    <hash type="sha256">$2</hash>
	   </verification>
	   <mm0:alternates>
	    <mm0:alternate>
	     <mm0:timestamp>1767139200</mm0:timestamp>
	     <size>1</size>
	     <verification>
	      <hash type="sha256">1111111111111111111111111111111111111111111111111111111111111111</hash>
	     </verification>
	    </mm0:alternate>
	   </mm0:alternates>
	   <resources maxconnections="1">
	    <url protocol="http" type="http" location="XX" preference="90">$DEAD/el/repodata/repomd.xml</url>
	    <url protocol="rsync" type="rsync" location="XX" preference="99">rsync://mirror.example/el/repodata/repomd.xml</url>
	    <url protocol="http" type="http" location="XX" preference="100">$B/el/repodata/repomd.xml</url>
	   </resources>
	  </file>
	 </files>
	</metalink>
	EOF
}
metalink3 "$W/metalink3.xml" "$sha"
cat >"$W/metalink4.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<metalink xmlns="urn:ietf:params:xml:ns:metalink">
  <generator>MirrorCache</generator>
  <origin dynamic="true">$B/metalink4.xml</origin>
  <published>2026-01-01T00:00:00Z</published>
  <file name="repomd.xml">
    <size>$size</size>
    <hash type="sha-256">$sha</hash>
    <pieces length="262144" type="sha-256">
      <hash>2222222222222222222222222222222222222222222222222222222222222222</hash>
    </pieces>
    <url location="xx" priority="2">$B/el/repodata/repomd.xml</url>
    <url location="xx" priority="1">$DEAD/el/repodata/repomd.xml</url>
  </file>
</metalink>
EOF
metalink3 "$W/metalink-bad.xml" 3333333333333333333333333333333333333333333333333333333333333333
cat >>"$PG_CONF" <<EOF

[mirror elm3]
type = rpm-md
metalink = $B/metalink3.xml

[mirror elm4]
type = rpm-md
metalink = $B/metalink4.xml

[mirror elbad]
type = rpm-md
metalink = $B/metalink-bad.xml
EOF
pg_sync elm3 || fail "the sync from a metalink 3.0 failed"
assert_eq "its bases by preference, rsync left out" "$B/el $DEAD/el" \
    "$(tr '\n' ' ' <"$STORE/mirrors/elm3/bases" | sed 's/ $//')"
assert_not_contains "B, preferred, was tried first" "$(cat "$SYNC_ERR")" "$DEAD"
pg_sync elm4 || fail "the sync from a metalink 4 failed"
assert_eq "its bases by priority" "$DEAD/el $B/el" \
    "$(tr '\n' ' ' <"$STORE/mirrors/elm4/bases" | sed 's/ $//')"
if pg_sync elbad; then
	pg_notok "a metalink whose sha256 is not repomd.xml's is refused"
else
	pg_ok "a metalink whose sha256 is not repomd.xml's is refused"
	assert_contains "the error names the URL, the metalink and both sums" \
	    "$(cat "$SYNC_ERR")" \
	    "$B/el/repodata/repomd.xml: sha256 $sha is not one that metalink $B/metalink-bad.xml gives for repodata/repomd.xml (3333333333333333333333333333333333333333333333333333333333333333 or another)"
fi
assert_false "nothing is kept of the refused mirror's bases" \
    test -e "$STORE/mirrors/elbad/bases"

pg_say "8. bad configuration"
cat >"$T/bad.conf" <<EOF
[server]
store = $STORE

[mirror a]
type = rpm-md

[mirror b]
type = rpm-md
url = $B/el ftp://mirror.example/el
metalink = mirror.example/metalink
EOF
if "$top_builddir/patchgated" -c "$T/bad.conf" -n >"$T/bad.out" 2>&1; then
	pg_notok "a bad configuration is refused"
else
	pg_ok "a bad configuration is refused"
fi
assert_contains "no url" "$(cat "$T/bad.out")" \
    "bad.conf:4: [mirror a]: no url (url, mirrorlist or metalink)"
assert_contains "a bad URL in a list" "$(cat "$T/bad.out")" \
    "bad.conf:9: url: \"ftp://mirror.example/el\" is not an http://, https:// or file:// URL"
assert_contains "a bad metalink" "$(cat "$T/bad.out")" \
    "bad.conf:10: [mirror b]: metalink: \"mirror.example/metalink\" is not an http://, https:// or file:// URL"

pg_done
