#!/bin/bash
# Nothing in a view names a version its group cannot see, and no view
# sends clients past the gate.  A SUSE repository, made with createrepo_c
# --baseurl (every <location> carries an xml:base to the pool on the
# upstream, where the rpms are) and modifyrepo_c (susedata, susedata.de,
# suseinfo), gets foo-1.1, which prod (14 days) does not see yet:
#  - prod's susedata and susedata.de list foo-1.0 and bar-1.0, not foo-1.1;
#    dev's list all three, each <package> byte-identical to upstream's;
#  - suseinfo (repository keywords, no version) is passed through;
#  - no view's primary carries xml:base: zypper fetches every rpm through
#    the gate, which fetches it from the xml:base;
#  - a package whose xml:base is file:///etc/ is refused with a warning;
#  - real zypper refreshes and installs foo-1.0 in prod, foo-1.1 in dev.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"

need python3 curl gpg rpmbuild createrepo_c modifyrepo_c
need_zypper
pg_need_programs

W=$T/www
REPO=$W/sles
POOL=$W/pool
STORE=$T/store
mkdir -p "$REPO" "$POOL"
start_upstream "$W"

# repo_make: the repository of the rpms in $POOL, every location with an
# xml:base pointing at the pool; the rpms themselves only in the pool.
repo_make() {
	rm -rf "$REPO"
	mkdir -p "$REPO"
	cp -a "$POOL/noarch" "$REPO/"
	createrepo_c --baseurl "$UPSTREAM_URL/pool/" "$REPO" >"$T/log/createrepo.log" 2>&1 ||
		fail "createrepo_c: $(tail -n 5 "$T/log/createrepo.log")"
	rm -rf "$REPO/noarch"
}

# susedata NVR...: susedata.xml naming those versions, as SUSE writes it.
susedata() {
	local nvr n v r
	printf '<?xml version="1.0" encoding="UTF-8"?>\n'
	printf '<susedata xmlns="http://linux.duke.edu/metadata/susedata" packages="%d">\n' $#
	for nvr in "$@"; do
		r=${nvr##*-}; n=${nvr%-*}; v=${n##*-}; n=${n%-*}
		printf '<package pkgid="%s" name="%s" arch="noarch">\n  <version epoch="0" ver="%s" rel="%s"/>\n  <keyword>support_l3</keyword>\n</package>\n' \
		    "$(rpm_sha256 "$nvr")" "$n" "$v" "$r"
	done
	printf '</susedata>\n'
}

add_suse_data() {
	susedata "$@" >"$T/susedata.xml"
	sed 's/<keyword>support_l3<\/keyword>/<summary lang="de">Testpaket<\/summary>/' \
	    "$T/susedata.xml" >"$T/susedata.de.xml"
	cat >"$T/suseinfo.xml" <<-'EOF'
	<?xml version="1.0" encoding="UTF-8"?>
	<suseinfo xmlns="http://linux.duke.edu/metadata/repo">
	  <expire>604800</expire>
	  <keywords><k>SLES15</k></keywords>
	</suseinfo>
	EOF
	for t in susedata susedata.de suseinfo; do repo_add_data "$REPO" $t "$T/$t.xml"; done
}

pg_say "upstream: foo-1.0 bar-1.0, through xml:base, with susedata"
mkrpm "$POOL/noarch" foo 1.0
mkrpm "$POOL/noarch" bar 1.0
repo_make
add_suse_data foo-1.0-1 bar-1.0-1
PRIMARY=$(repomd_href "$REPO" primary) || fail "no primary"
assert_contains "generator: upstream's primary has xml:base" \
    "$(gzip -dc "$REPO/$PRIMARY")" "xml:base=\"$UPSTREAM_URL/pool/\""

PG_CONF=$T/patchgate.conf
cat >"$PG_CONF" <<EOF
[server]
listen = 127.0.0.1:0
store = $STORE

[mirror sles]
type = rpm-md
url = $UPSTREAM_URL/sles

[baseline dev]
rule = classification=* delay=0

[baseline prod]
rule = classification=* delay=14d

[group dev]
baseline = dev
mirrors = sles

[group prod]
baseline = prod
mirrors = sles
EOF
PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync || fail "the first sync failed"

pg_say "upstream: + foo-1.1, susedata names it; a package with xml:base file:///etc/"
mkrpm "$POOL/noarch" foo 1.1
repo_make
PRIMARY=$(repomd_href "$REPO" primary) || fail "no primary"
"$PYTHON" - "$REPO/$PRIMARY" <<-'EOF' || fail "generator: no evil package"
	import gzip, re, sys
	path = sys.argv[1]
	d = gzip.decompress(open(path, "rb").read()).decode()
	pkg = re.search(r'<package type="rpm">.*?</package>', d, re.S).group(0)
	evil = re.sub(r'<name>[^<]*</name>', '<name>evil</name>', pkg)
	evil = re.sub(r'(<checksum type="sha256" pkgid="YES">)[0-9a-f]+', lambda m: m.group(1) + "e" * 64, evil)
	evil = re.sub(r'xml:base="[^"]*"', 'xml:base="file:///etc/"', evil)
	d = d.replace('</metadata>', evil + '\n</metadata>')
	d = re.sub(r'packages="(\d+)"', lambda m: 'packages="%d"' % (int(m.group(1)) + 1), d, 1)
	open(path, "wb").write(gzip.compress(d.encode(), mtime=0))
	EOF
repomd_restamp "$REPO" primary || fail "restamp"
add_suse_data foo-1.0-1 bar-1.0-1 foo-1.1-1
PATCHGATE_NOW=2026-01-02T00:00:00Z pg_sync || fail "the second sync failed"
assert_match "the sync warns about the file:// xml:base, naming mirror and package" \
    "$(cat "$SYNC_ERR")" \
    'mirror sles: line [0-9]+: package evil-1\.0-1\.noarch refused: its <location xml:base="file:///etc/"> is neither http nor https'

PATCHGATE_NOW=2026-01-02T00:00:00Z start_patchgated "$PG_CONF"
DEV=$PG_URL/dev/sles
PROD=$PG_URL/prod/sles
FOO11=$(rpm_sha256 foo-1.1-1)
FOO10=$(rpm_sha256 foo-1.0-1)

for t in susedata susedata.de suseinfo primary; do
	pg_rpmmd fetch "$UPSTREAM_URL/sles" $t "$T/up-$t.xml" || fail "upstream has no $t"
done
for v in dev prod; do
	base=$PG_URL/$v/sles
	for t in susedata susedata.de suseinfo primary; do
		pg_rpmmd fetch "$base" $t "$T/$v-$t.xml" || pg_notok "$v lists $t"
	done
	assert_true "$v: every file repomd.xml names is served with its size and checksums" \
	    pg_rpmmd consistent "$base"
	assert_files_eq "$v: suseinfo is passed through" "$T/up-suseinfo.xml" "$T/$v-suseinfo.xml"
	assert_not_contains "$v: primary carries no xml:base" "$(cat "$T/$v-primary.xml")" "xml:base"
	assert_not_contains "$v: primary does not list evil" "$(cat "$T/$v-primary.xml")" "<name>evil</name>"
done
for t in susedata susedata.de; do
	assert_eq "dev: $t lists 3 versions, byte-identical to upstream's" 3 \
	    "$(pg_rpmmd subset "$T/dev-$t.xml" "$T/up-$t.xml")"
	assert_contains "dev: $t names foo-1.1" "$(cat "$T/dev-$t.xml")" "$FOO11"
	assert_eq "prod: $t lists 2 versions, byte-identical to upstream's" 2 \
	    "$(pg_rpmmd subset "$T/prod-$t.xml" "$T/up-$t.xml")"
	assert_contains "prod: $t names foo-1.0" "$(cat "$T/prod-$t.xml")" "$FOO10"
	assert_not_contains "prod: $t does not name foo-1.1" "$(cat "$T/prod-$t.xml")" "$FOO11"
	assert_not_contains "prod: $t has no version 1.1" "$(cat "$T/prod-$t.xml")" 'ver="1.1"'
done
assert_true "prod: no document of the view names foo-1.1" \
    pg_rpmmd noleak "$PROD" "$FOO11" foo-1.1-1.noarch.rpm

pg_say "zypper in prod and dev, through the gate"
for v in prod dev; do
	zypper_import_key "$T/$v" || fail "rpm --import of the proxy's key"
	zypper_addrepo "$T/$v" "$PG_URL/$v/sles/" sles || fail "zypper addrepo in $v"
	zypper_in "$T/$v" refresh || pg_notok "zypper refresh in $v"
	zypper_in "$T/$v" install foo || pg_notok "zypper install foo in $v"
done
assert_eq "prod installs foo-1.0" 1.0-1 "$(installed "$T/prod" foo)"
assert_eq "dev installs foo-1.1" 1.1-1 "$(installed "$T/dev" foo)"
assert_status "$PROD/noarch/foo-1.1-1.noarch.rpm" 404
assert_status "$UPSTREAM_URL/sles/noarch/foo-1.0-1.noarch.rpm" 404

pg_done
