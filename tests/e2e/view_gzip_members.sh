#!/bin/bash
# Views' gzip files of several members, end to end (lib/compress_pool.c):
# a document larger than a member (256 KiB to 1 MiB, cut at a line its
# text picks) is compressed by patchgate into a gzip file of several
# members, and real clients read it as one stream.
# 1. rpm-md: "many" owns 16,000 files under /usr/bin, which primary.xml
#    lists (over 1 MiB); prod rejects "other", so its view's documents
#    are patchgate's own.  Its primary.xml.gz has several members, which
#    decompress to the primary.xml its repomd.xml vouches for; dnf and
#    zypper install "many" from it.
# 2. apt: four packages with a 300 KB Description each; prod rejects
#    "other", so its Packages.gz is patchgate's own, of several members;
#    apt-get update (gzip indexes only) and install through it.
# 3. A hold on "extra" for prod: its new primary.xml.gz and filelists
#    copy the members they share with the last version from
#    STORE/cache/members/ (fewer new members than they hold), are whole,
#    and dnf installs from them.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"
. "$top_srcdir/tests/e2e/mkaptrepo.sh"

need python3 curl rpmbuild createrepo_c dpkg-deb apt-ftparchive gpg
need_dnf
need_zypper
need_apt
pg_need_programs

W=$T/www
STORE=$T/store
REPO=$W/el9
DEB=$W/debian

# members FILE: how many gzip members FILE holds (each decompressed in
# turn; a corrupt one is an error).
members() {
	"$PYTHON" - "$1" <<-'EOF'
	import sys, zlib
	data, n = open(sys.argv[1], "rb").read(), 0
	while data:
	    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
	    d.decompress(data)
	    if not d.eof:
	        sys.exit("member %d is truncated" % (n + 1))
	    n, data = n + 1, d.unused_data
	print(n)
	EOF
}

pg_say "upstream: many (16,000 files in primary.xml), extra, other; wordy1-4, other"
top=$T/rpmbuild-many
mkdir -p "$top/SPECS"
cat >"$top/SPECS/many.spec" <<'EOF'
Name: many
Version: 1.0
Release: 1
Summary: patchgate test package with many files
License: MIT
BuildArch: noarch
%description
A package whose file list makes primary.xml larger than a gzip member.
%install
mkdir -p %{buildroot}/usr/bin
for i in $(seq 1 16000); do : >%{buildroot}/usr/bin/many-tool-with-a-rather-long-name-$i; done
%files
/usr/bin/many-tool-*
EOF
SOURCE_DATE_EPOCH=1767225600 rpmbuild --quiet --define "_topdir $top" \
    --define "_buildhost pgtest.invalid" --define "debug_package %{nil}" \
    --define "__os_install_post %{nil}" -bb "$top/SPECS/many.spec" \
    >"$T/log/rpmbuild.many.log" 2>&1 || fail "rpmbuild many: $(tail -n 20 "$T/log/rpmbuild.many.log")"
mkdir -p "$REPO/Packages"
cp "$top/RPMS/noarch/many-1.0-1.noarch.rpm" "$REPO/Packages/" || fail "rpmbuild made no many"
mkrpm "$REPO/Packages" other 1.0
mkrpm "$REPO/Packages" extra 1.0
mkrepo "$REPO"

for i in 1 2 3 4; do
	pkg=$T/debs/build/wordy$i
	mkdir -p "$pkg/DEBIAN" "$pkg/usr/share/wordy$i"
	{
		printf 'Package: wordy%s\nVersion: 1.0\nArchitecture: all\n' $i
		printf 'Maintainer: t <t@pgtest.invalid>\nDescription: a package with a long description\n'
		seq 1 5000 | sed "s/.*/ line & of package wordy$i, long enough to take some room/"
	} >"$pkg/DEBIAN/control"
	echo "wordy$i" >"$pkg/usr/share/wordy$i/file"
	mkdir -p "$DEB/pool/main/w/wordy$i"
	SOURCE_DATE_EPOCH=1767225600 dpkg-deb --root-owner-group -Zxz --build "$pkg" \
	    "$DEB/pool/main/w/wordy$i/wordy${i}_1.0_all.deb" >"$T/log/dpkg-deb.wordy$i.log" 2>&1 ||
		fail "dpkg-deb wordy$i: $(cat "$T/log/dpkg-deb.wordy$i.log")"
done
mkdeb "$DEB" other 1.0
mkaptrepo "$DEB" 2025-12-31T00:00:00Z
start_upstream "$W"

PG_CONF=$T/patchgate.conf
cat >"$PG_CONF" <<EOF
[server]
listen = 127.0.0.1:0
store = $STORE

[mirror el9]
type = rpm-md
url = $UPSTREAM_URL/el9

[mirror debian]
type = apt
url = $UPSTREAM_URL/debian
suites = bookworm
components = main
architectures = amd64
keyring = $T/keys/archive.gpg

[baseline dev]
rule = classification=* delay=0

[baseline prod]
rule = classification=* delay=0
rejected = other

[group dev]
baseline = dev
mirrors = el9 debian

[group prod]
baseline = prod
mirrors = el9 debian
EOF
PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync || fail "the sync failed"
PATCHGATE_NOW=2026-01-01T00:00:00Z start_patchgated "$PG_CONF"

# gz_of BASE TYPE OUT: the gzip file repomd.xml at BASE names for TYPE.
gz_of() {
	local href
	http_get "$1/repodata/repomd.xml" "$3.repomd" >/dev/null
	href=$("$PYTHON" - "$3.repomd" "$2" <<-'EOF'
	import re, sys
	x = open(sys.argv[1]).read()
	m = re.search(r'<data type="%s">.*?<location href="([^"]+)"' % sys.argv[2], x, re.S)
	print(m.group(1) if m else "")
	EOF
	)
	[ -n "$href" ] && [ "$(http_get "$1/$href" "$3")" = 200 ]
}

pg_say "1. rpm-md: prod's primary.xml.gz is several members"
PROD=$PG_URL/prod/el9
gz_of "$PROD" primary "$T/prod.primary.gz" || fail "prod's repomd.xml names no primary"
n=$(members "$T/prod.primary.gz")
assert_match "prod's primary.xml.gz has several members ($n)" "$n" '^([2-9]|[1-9][0-9]+)$'
pg_rpmmd fetch "$PROD" primary "$T/prod.primary.xml" || pg_notok "prod's primary.xml"
assert_true "... and decompresses to what repomd.xml vouches for" pg_rpmmd consistent "$PROD"
assert_eq "... which lists extra and many, not other" "extra many" \
    "$(grep -o '<name>[a-z]*</name>' "$T/prod.primary.xml" | sed 's/<[^>]*>//g' | tr '\n' ' ' | sed 's/ $//')"
dnf_in "$T/dnf" "$PROD" install many || pg_notok "dnf install many from prod"
assert_eq "dnf installs many" 1.0-1 "$(installed "$T/dnf" many)"
zypper_import_key "$T/zyp" || fail "rpm --import of the proxy's key failed"
zypper_addrepo "$T/zyp" "$PROD/" prod || fail "zypper addrepo"
zypper_in "$T/zyp" refresh || pg_notok "zypper refresh of prod"
zypper_in "$T/zyp" install many || pg_notok "zypper install many from prod"
assert_eq "zypper installs many" 1.0-1 \
    "$(rpm --root "$T/zyp" -q --qf '%{VERSION}-%{RELEASE}' many 2>/dev/null)"

pg_say "2. apt: prod's Packages.gz is several members"
PGZ=$PG_URL/prod/debian/dists/bookworm/main/binary-amd64/Packages.gz
assert_status "$PGZ" 200
n=$(members "$HTTP_BODY")
assert_match "prod's Packages.gz has several members ($n)" "$n" '^([2-9]|[1-9][0-9]+)$'
GZSUM=$(sha256sum <"$HTTP_BODY" | cut -d' ' -f1)
KEY=$(apt_proxy_key)
apt_root "$T/apt" "$KEY" "$PG_URL/prod/debian" bookworm
apt_update "$T/apt" -o 'Acquire::CompressionTypes::Order::=gz' ||
	pg_notok "apt-get update of prod (gzip indexes), without warnings"
# By name or by hash: either way, those bytes.
assert_match "apt-get fetched that Packages.gz" "$(cat "$T/patchgated.log")" \
    "GET /prod/debian/dists/bookworm/main/binary-amd64/(Packages\\.gz|by-hash/SHA256/$GZSUM)\" 200"
assert_eq "apt knows wordy4 1.0" 1.0 "$(apt_versions "$T/apt" wordy4)"
assert_eq "apt knows no other (rejected)" "" "$(apt_versions "$T/apt" other)"
apt_download "$T/apt" wordy1 wordy4 || pg_notok "apt-get install --download-only wordy1 wordy4"
assert_files_eq "the wordy4 .deb apt-get fetched is upstream's" \
    "$DEB/pool/main/w/wordy4/wordy4_1.0_all.deb" "$T/apt/var/cache/apt/archives/wordy4_1.0_all.deb"

pg_say "3. a hold on extra for prod: its documents copy the members they share"
before=$(ls "$STORE/cache/members" | wc -l)
gz_of "$PROD" filelists "$T/prod.filelists.gz" || fail "prod's repomd.xml names no filelists"
shared=$(( $(members "$T/prod.primary.gz") + $(members "$T/prod.filelists.gz") ))
assert_true "a hold on extra for prod" env PATCHGATE_NOW=2026-01-01T01:00:00Z \
    "$top_builddir/patchgate" -c "$PG_CONF" hold extra --group prod --reason test
after=$(ls "$STORE/cache/members" | wc -l)
pg_say "members: $before before the hold, $after after; primary and filelists had $shared"
assert_true "fewer new members than primary and filelists hold ($((after - before)) of $shared)" \
    [ $((after - before)) -lt "$shared" ]
gz_of "$PROD" primary "$T/prod2.primary.gz" || fail "prod's repomd.xml names no primary"
assert_ne "prod's primary.xml.gz changed" "$(sha256sum <"$T/prod.primary.gz")" \
    "$(sha256sum <"$T/prod2.primary.gz")"
assert_true "... and is whole and vouched for" pg_rpmmd consistent "$PROD"
dnf_in "$T/dnf2" "$PROD" install many || pg_notok "dnf install many from prod after the hold"
assert_eq "dnf installs many from it" 1.0-1 "$(installed "$T/dnf2" many)"
assert_false "dnf cannot install extra (held)" dnf_in "$T/dnf3" "$PROD" install extra

pg_done
