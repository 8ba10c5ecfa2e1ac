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
fuzz_config)
	cp "$top/conf/patchgate.conf" "$dir/" ;;
fuzz_window)
	printf '0 2 * * sat 4h' > "$dir/saturday"
	printf '*/15 9-17/2 1,15 jan-mar,DEC mon-fri 90m' > "$dir/fields"
	printf '0 0 13 * fri 1h' > "$dir/both-days"
	printf '30 23 28-31 2 * 6d' > "$dir/month-end" ;;
fuzz_plan_deps)
	[ -f "$corpora/apt/debian-bookworm-updates-main-amd64.Packages.xz" ] &&
		xzcat "$corpora/apt/debian-bookworm-updates-main-amd64.Packages.xz" |
		head -c 16384 > "$dir/Packages"
	for f in "$corpora"/rpm-md/el9-bzip2-tiny-signed/repodata/*-primary.xml.gz; do
		[ -f "$f" ] && zcat "$f" | head -c 16384 > "$dir/primary.xml"
	done ;;
esac
exit 0
