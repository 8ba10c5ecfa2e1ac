#!/bin/sh
# Copies seed inputs for a fuzz target into a directory: small real
# documents from the corpora, decompressed.  usage: seeds.sh TARGET DIR
set -eu
target=$1
dir=$2
top=$(cd "$(dirname "$0")/.." && pwd)
corpora=$top/../shared/corpora
case $target in
fuzz_rpmmd_packages)
	for f in "$corpora"/rpm-md/el9-bzip2-tiny-signed/repodata/*.xml.gz; do
		[ -f "$f" ] && zcat "$f" > "$dir/$(basename "$f" .gz)"
	done ;;
fuzz_rpmmd_updateinfo)
	[ -f "$corpora/packages/pulp-fixtures/assets/updateinfo.xml" ] &&
		cp "$corpora/packages/pulp-fixtures/assets/updateinfo.xml" "$dir/" ;;
fuzz_deb822)
	for f in "$corpora"/apt/*.InRelease; do
		[ -f "$f" ] && cp "$f" "$dir/"
	done
	[ -f "$corpora/apt/debian-bookworm-updates-main-amd64.Packages.xz" ] &&
		xzcat "$corpora/apt/debian-bookworm-updates-main-amd64.Packages.xz" \
		    > "$dir/Packages" ;;
fuzz_rpmmd_repomd)
	for f in "$corpora"/rpm-md/*/repodata/repomd.xml; do
		[ -f "$f" ] && cp "$f" "$dir/$(basename "$(dirname "$(dirname "$f")")").repomd.xml"
	done ;;
fuzz_clock)
	printf '2026-12-01T02:00:00+02:00' > "$dir/rfc3339"
	printf '2026-01-02 03:04:05' > "$dir/updateinfo"
	printf '2026-01-02 03:04' > "$dir/minutes"
	printf '2026-01-02' > "$dir/day"
	printf '1767225600' > "$dir/epoch"
	printf '2026-01-02T03:04:05.123Z' > "$dir/fraction"
	printf '7d' > "$dir/duration" ;;
fuzz_vercmp)
	printf '1.0~rc1\0001.0\0001.0^git1' > "$dir/tilde-caret"
	printf '1:2.30-1+deb12u1\0002.30-1\0002.30a-1' > "$dir/epoch"
	printf '5.14.0-362.8.1.el9_3\0005.14.0-362.13.1.el9_3\0005.14.0' > "$dir/kernel" ;;
fuzz_config)
	cp "$top/conf/patchgate.conf" "$dir/" ;;
fuzz_window)
	printf '0 2 * * sat 4h' > "$dir/saturday"
	printf '*/15 9-17/2 1,15 jan-mar,DEC mon-fri 90m' > "$dir/fields"
	printf '0 0 13 * fri 1h' > "$dir/both-days"
	printf '30 23 28-31 2 * 6d' > "$dir/month-end" ;;
fuzz_inventory)
	printf '# reboot-required: no\n# kernel: 5.14.0-362.el9.x86_64\nbash 0 5.1.8 6.el9 x86_64\ngpg-pubkey 0 fd431d51 4ae0493b (none)\n' > "$dir/rpm"
	printf '# reboot-required: yes\n# kernel: 6.1.0-13-amd64\nbase-files 12.4+deb12u5 amd64 installed\nlibc6 2.36-9+deb12u4 amd64 installed\nold 1:1.0-1 all config-files\n' > "$dir/dpkg"
	printf 'hello 2.10-3 amd64\r\nlibfoo  amd64\r\n' > "$dir/dpkg-plain" ;;
fuzz_plan_deps)
	[ -f "$corpora/apt/debian-bookworm-updates-main-amd64.Packages.xz" ] &&
		xzcat "$corpora/apt/debian-bookworm-updates-main-amd64.Packages.xz" |
		head -c 16384 > "$dir/Packages"
	for f in "$corpora"/rpm-md/el9-bzip2-tiny-signed/repodata/*-primary.xml.gz; do
		[ -f "$f" ] && zcat "$f" | head -c 16384 > "$dir/primary.xml"
	done ;;
fuzz_path)
	printf '/el9/baseos/repodata/repomd.xml' > "$dir/plain"
	printf '/el9//baseos/Packages/b/bash-5.1%%2b1.rpm' > "$dir/encoded"
	printf '/a/%%2e%%2e/b' > "$dir/dotdot"
	printf '/deb/main/dists/bookworm/by-hash/SHA256/%%7e' > "$dir/tilde" ;;
fuzz_range)
	# 8 bytes of file size (big-endian; odd first byte: size mod 4096),
	# then the header's value.
	printf '\001\000\000\000\000\000\007\320bytes=0-99' > "$dir/first"
	printf '\000\000\000\000\000\001\000\000bytes=100-' > "$dir/open"
	printf '\000\000\000\000\000\001\000\000bytes=-500' > "$dir/suffix"
	printf '\000\000\000\000\000\000\000\000bytes=0-' > "$dir/empty-file" ;;
fuzz_mirrorlist)
	printf '# repo = fedora-41 arch = x86_64\nhttps://a.example/f/41/os/\nrsync://b.example/f/\nhttp://c.example/f\n' > "$dir/mirrorlist"
	printf '<?xml version="1.0"?>\n<metalink version="3.0" xmlns="http://www.metalinker.org/" xmlns:mm0="http://fedorahosted.org/mirrormanager"><files><file name="repomd.xml"><verification><hash type="sha256">%064d</hash></verification><mm0:alternates><mm0:alternate><verification><hash type="sha256">%064d</hash></verification></mm0:alternate></mm0:alternates><resources><url protocol="https" type="https" preference="100">https://a.example/f/repodata/repomd.xml</url><url protocol="http" type="http" preference="90">http://b.example/f/repodata/repomd.xml</url></resources></file></files></metalink>\n' 1 2 > "$dir/metalink3"
	printf '<?xml version="1.0"?>\n<metalink xmlns="urn:ietf:params:xml:ns:metalink"><file name="repomd.xml"><hash type="sha-256">%064d</hash><pieces length="1" type="sha-256"><hash>%064d</hash></pieces><url priority="2">https://a.example/o/repodata/repomd.xml</url><url priority="1">https://b.example/o/repodata/repomd.xml</url></file></metalink>\n' 3 4 > "$dir/metalink4" ;;
fuzz_host)
	printf 'localhost:8080' > "$dir/name-port"
	printf '127.0.0.1' > "$dir/v4"
	printf '[::1]:3142' > "$dir/v6-port"
	printf 'mirror.example.com' > "$dir/dns" ;;
fuzz_idx)
	h=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
	printf 'V\tPackages/b/bash-5.1-6.el9.x86_64.rpm\t1234\tsha256\t%s\thttp://127.0.0.1/x.rpm\nH\tPackages/n/new-2.0-1.el9.x86_64.rpm\tnot yet 7 days old\nV\tpool/main/h/hello_2.10-3_amd64.deb\t5\tmd5\t0123456789abcdef0123456789abcdef\tfile:///srv/h.deb\n' "$h" > "$dir/lines" ;;
fuzz_apt_release)
	for f in "$corpora"/apt/*.InRelease "$corpora"/apt/*.Release; do
		[ -f "$f" ] && cp "$f" "$dir/"
	done ;;
fuzz_vercmp_diff)
	printf '1.0~rc1\0001.0' > "$dir/tilde"
	printf '1.0^git1\0001.0' > "$dir/caret"
	printf '1:2.30-1+deb12u1\0002.30-1' > "$dir/epoch"
	printf '5.14.0-362.8.1.el9_3\0005.14.0-362.13.1.el9_3' > "$dir/kernel" ;;
esac
# A crash found once stays a seed (CI also replays fuzz/regress first).
if [ -d "$top/fuzz/regress/$target" ]; then
	for f in "$top/fuzz/regress/$target"/*; do
		[ -f "$f" ] && cp "$f" "$dir/regress-$(basename "$f")"
	done
fi
exit 0
