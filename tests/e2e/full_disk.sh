#!/bin/bash
# A full disk: the store on a small tmpfs, filled up (a) while a sync
# downloads a new primary and (b) while patchgated fetches a package for a
# client.  Each fails with "No space left on device" naming the file; the
# store passes integrity_check, the served view stays as it was, byte for
# byte, a package already in the blob store is still served whole, and no
# partial file is left behind; once space is freed, the next sync and the
# download succeed.  Needs mount(8) of a tmpfs (root, as in CI): skipped
# (77) where that is not permitted.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

need python3 curl sqlite3 sha256sum
pg_need_programs

DISK=$T/disk
mkdir -p "$DISK"
mount -t tmpfs -o size=48m,mode=0755 pgtest-full-disk "$DISK" 2>/dev/null ||
	skip "cannot mount a tmpfs here (not root, or no CAP_SYS_ADMIN)"
# Unmounted before lib.sh's cleanup removes $T.
full_disk_cleanup() {
	local rc=$?
	stop_patchgated
	gpgconf --homedir "$STORE/gnupg" --kill all >/dev/null 2>&1
	umount "$DISK" 2>/dev/null || umount -l "$DISK" 2>/dev/null
	(exit $rc)
	pg_cleanup
}
trap full_disk_cleanup EXIT

W=$T/www
STORE=$DISK/store
NOW=2026-01-01T00:00:00Z

# gen_upstream ROUND: 150 packages with incompressible descriptions (a
# primary.xml.gz of about 1 MB) and big-1.0 of 4 MB, at release ROUND.
gen_upstream() {
	"$PYTHON" - "$W/repo" "$1" <<-'EOF' ||
	import gzip, hashlib, os, random, sys
	out, rnd = sys.argv[1], int(sys.argv[2])
	rng = random.Random(rnd)
	os.makedirs(out + "/Packages", exist_ok=True)
	os.makedirs(out + "/repodata", exist_ok=True)
	prim = []
	def add(name, data, desc):
	    fname = "Packages/%s-1.0-%d.noarch.rpm" % (name, rnd + 1)
	    with open(out + "/" + fname, "wb") as f:
	        f.write(data)
	    prim.append('<package type="rpm">\n  <name>%s</name>\n  <arch>noarch</arch>\n'
	        '  <version epoch="0" ver="1.0" rel="%d"/>\n'
	        '  <checksum type="sha256" pkgid="YES">%s</checksum>\n'
	        '  <summary>%s</summary>\n  <description>%s</description>\n'
	        '  <packager>test</packager>\n  <url>http://example.com/</url>\n'
	        '  <time file="1767225600" build="1767225600"/>\n'
	        '  <size package="%d" installed="%d" archive="%d"/>\n'
	        '  <location href="%s"/>\n  <format>\n    <rpm:license>MIT</rpm:license>\n'
	        '    <rpm:provides>\n      <rpm:entry name="%s" flags="EQ" epoch="0" ver="1.0" rel="%d"/>\n'
	        '    </rpm:provides>\n  </format>\n</package>\n'
	        % (name, rnd + 1, hashlib.sha256(data).hexdigest(), name, desc,
	           len(data), len(data), len(data), fname, name, rnd + 1))
	for i in range(150):
	    name = "pkg%03d" % i
	    add(name, ("%s %d\n" % (name, rnd)).encode() * 4,
	        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8192)))
	add("big", rng.randbytes(4 * 1024 * 1024), "a package larger than the free space")
	docs = {
	    "primary": '<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="%d">\n%s</metadata>\n' % (len(prim), "".join(prim)),
	}
	for f in os.listdir(out + "/repodata"):
	    os.unlink(out + "/repodata/" + f)
	md = ['<?xml version="1.0" encoding="UTF-8"?>\n<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">\n  <revision>%d</revision>\n' % (1767225600 + rnd)]
	for t, body in docs.items():
	    raw = body.encode()
	    gz = gzip.compress(raw, 6, mtime=0)
	    sha = hashlib.sha256(gz).hexdigest()
	    href = "repodata/%s-%s.xml.gz" % (sha, t)
	    open(out + "/" + href, "wb").write(gz)
	    md.append('  <data type="%s">\n    <checksum type="sha256">%s</checksum>\n    <open-checksum type="sha256">%s</open-checksum>\n    <location href="%s"/>\n    <timestamp>%d</timestamp>\n    <size>%d</size>\n    <open-size>%d</open-size>\n  </data>\n'
	              % (t, sha, hashlib.sha256(raw).hexdigest(), href, 1767225600 + rnd, len(gz), len(raw)))
	md.append("</repomd>\n")
	open(out + "/repodata/repomd.xml", "w").write("".join(md))
	EOF
		fail "could not write round $1 of the upstream"
}

current() {
	readlink "$STORE/views/dev/el9/current" 2>/dev/null
}

# snapshot FILE: the view as patchgated serves it, one line per file of the
# generation's tree.sums: path, size, sha256 of the bytes served.
snapshot() {
	local gen path size hex
	gen=$STORE/views/dev/el9/$(current)
	while IFS=$'\t' read -r path size hex; do
		printf '%s\t%s\n' "$path" \
		    "$(curl -sf "$PG_URL/dev/el9/$path" | sha256sum | cut -d' ' -f1)"
	done <"$gen/tree.sums" >"$1"
	[ -s "$1" ] || fail "the view lists no file"
}

# fill: takes all the free space of the tmpfs but FREE kB.
fill() {
	local free
	rm -f "$DISK/filler"
	free=$(df -k --output=avail "$DISK" | tail -n 1)
	[ "$free" -gt "$1" ] || fail "the tmpfs has only $free kB free"
	dd if=/dev/zero of="$DISK/filler" bs=1k count=$((free - $1)) 2>/dev/null ||
		fail "could not fill the tmpfs"
	pg_say "tmpfs filled: $(df -k --output=avail "$DISK" | tail -n 1) kB free"
}

# integrity: the store's database is sound.
integrity() {
	assert_eq "$1: the store passes integrity_check" ok \
	    "$(sqlite3 "$STORE/patchgate.db" 'PRAGMA integrity_check' 2>&1)"
}

# partials: files under the store that are temporary (left by a failure).
partials() {
	find "$STORE/tmp" "$STORE/blobs" -type f \( -name '*.tmp' -o -name 'fetch.*' \
	    -o -name '.*' -o -path "$STORE/tmp/*" \) 2>/dev/null | sort
}

mkdir -p "$W"
gen_upstream 0
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

PATCHGATE_NOW=$NOW pg_sync || fail "the first sync failed"
PATCHGATE_NOW=$NOW start_patchgated "$PG_CONF"
GEN=$(current)
SMALL=Packages/pkg007-1.0-1.noarch.rpm
BIG=Packages/big-1.0-1.noarch.rpm
assert_status "$PG_URL/dev/el9/$SMALL" 200
assert_files_eq "a small package is served whole" "$HTTP_BODY" "$W/repo/$SMALL"
snapshot "$T/view.before"

pg_say "(a) the disk fills up during a sync"
gen_upstream 1
fill 256
PATCHGATE_NOW=$NOW pg_sync
rc=$?
assert_ne "the sync on a full disk fails" 0 "$rc"
ERR=$(cat "$SYNC_OUT" "$SYNC_ERR")
assert_contains "it says No space left on device" "$ERR" "No space left on device"
assert_match "it names the file" "$ERR" \
    "(primary|repodata/|$STORE/)[^ ]*: .*No space left on device|No space left on device.*(primary|$STORE/)"
assert_eq "the served generation is unchanged" "$GEN" "$(current)"
integrity "after the failed sync"
snapshot "$T/view.after-sync"
assert_files_eq "the view is served byte for byte as before" "$T/view.before" "$T/view.after-sync"
assert_status "$PG_URL/dev/el9/$SMALL" 200
assert_files_eq "the stored package is served whole" "$HTTP_BODY" "$W/repo/$SMALL"

pg_say "(b) the disk is full during a download through the proxy"
from=$(($(wc -l <"$T/patchgated.log") + 1))
code=$(http_get "$PG_URL/dev/el9/$BIG" "$T/big.body")
if [ "$code" = 200 ] && cmp -s "$T/big.body" "$W/repo/$BIG"; then
	pg_notok "a 4 MB download on a full disk fails" "it was served whole"
else
	pg_ok "a 4 MB download on a full disk is not served whole (HTTP $code, $(wc -c <"$T/big.body") bytes)"
fi
LOG=$(tail -n +"$from" "$T/patchgated.log")
assert_contains "patchgated says No space left on device" "$LOG" "No space left on device"
assert_match "it names the file" "$LOG" "(big-1\\.0|$STORE/)[^ ]*: .*No space left on device"
assert_eq "no partial file is left in the blob store" "" "$(partials)"
assert_status "$PG_URL/dev/el9/$SMALL" 200
assert_files_eq "the stored package is still served whole" "$HTTP_BODY" "$W/repo/$SMALL"
snapshot "$T/view.after-download"
assert_files_eq "the view is still served as before" "$T/view.before" "$T/view.after-download"
integrity "after the failed download"

pg_say "space freed"
rm -f "$DISK/filler"
assert_status "$PG_URL/dev/el9/$BIG" 200
assert_files_eq "the big package is served whole" "$HTTP_BODY" "$W/repo/$BIG"
PATCHGATE_NOW=$NOW pg_sync || pg_notok "the sync with space again succeeds" "$(tail -n 5 "$SYNC_ERR")"
pg_ok "the sync with space again succeeds"
assert_ne "it published a new generation" "$GEN" "$(current)"
integrity "after the sync"
assert_status "$PG_URL/dev/el9/Packages/pkg007-1.0-2.noarch.rpm" 200
assert_files_eq "a package of the new view is served" "$HTTP_BODY" \
    "$W/repo/Packages/pkg007-1.0-2.noarch.rpm"
assert_eq "nothing temporary is left in the store" "" "$(partials)"
pg_done
