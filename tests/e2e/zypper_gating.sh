#!/bin/bash
# Gating of a SUSE maintenance repository, end to end, with real rpms,
# createrepo_c, modifyrepo_c, an HTTP upstream and real zypper (--root)
# refreshing, listing patches, patching, installing and updating through
# patchgated, trusting only the proxy's key.
#
# Upstream starts with foo-1.0, bar-1.0, baz-1.0 and an empty SUSE
# updateinfo (the base, synced on 2026-01-01).  On 2026-01-10 12:00
# foo-1.1 (SUSE-SLE-2026-0001, security/important, issued 2026-01-10),
# bar-1.1 (SUSE-SLE-2026-0002, recommended/moderate, issued 2026-01-09) and
# baz-1.1 (no patch) arrive, with deltainfo, susedata, patterns, products
# and appdata.  dev and prod have the same rules and differ only in their
# delays: dev sees everything at once; prod gets the recommended patch
# after 2 days (so its rule, not the catch-all, decides), the security
# patch after 7 and baz-1.1 after 14.
#
# The two machines trust the proxy's key in the two ways zypper offers: the
# prod machine has it imported with rpm --import, the dev machine takes
# repomd.xml.key with --gpg-auto-import-keys.  A machine that trusts
# nothing, an unsigned upstream and a view whose repomd.xml was changed on
# disk are all refused by zypper: the signature is really checked.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"

need python3 curl gpg gpgv rpmbuild createrepo_c modifyrepo_c sha256sum
need_zypper
pg_need_programs

W=$T/www
REPO=$W/sles15-updates
STORE=$T/store
ALIAS=updates

epoch() { date -u -d "$1" +%s; }

pg_say "upstream: foo-1.0 bar-1.0 baz-1.0, an empty SUSE updateinfo"
for p in foo bar baz; do mkrpm "$REPO/noarch" $p 1.0; done
UI=$T/updateinfo.xml
suse_updateinfo_begin "$UI"
updateinfo_end "$UI"
mkrepo "$REPO" "$UI"
start_upstream "$W"
UP=$UPSTREAM_URL/sles15-updates

PG_CONF=$T/patchgate.conf
cat >"$PG_CONF" <<EOF
[server]
listen = 127.0.0.1:0
store = $STORE

[mirror sles15-updates]
type = rpm-md
url = $UP

# dev and prod differ in their delays only.
[baseline dev]
rule = classification=security severity=critical,important delay=0
rule = classification=recommended delay=0
rule = classification=* delay=0

[baseline prod]
rule = classification=security severity=critical,important delay=7d
rule = classification=recommended delay=2d
rule = classification=* delay=14d

[group dev]
baseline = dev
mirrors = sles15-updates

[group prod]
baseline = prod
mirrors = sles15-updates
EOF

PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync || fail "the first sync failed"
PATCHGATE_NOW=2026-01-01T00:00:00Z start_patchgated "$PG_CONF"
DEV=$PG_URL/dev/sles15-updates
PROD=$PG_URL/prod/sles15-updates

pg_say "the machines: prod imports /_key.asc with rpm, dev takes repomd.xml.key"
zypper_import_key "$T/prod" || fail "rpm --import of the proxy's key failed"
assert_match "the prod machine's rpm database holds the proxy's key" \
    "$(rpm --root "$T/prod" -qa 'gpg-pubkey*')" '^gpg-pubkey-'
zypper_addrepo "$T/prod" "$PROD/" $ALIAS || fail "zypper addrepo in prod"
assert_contains "the repository checks signatures (gpgcheck=1)" \
    "$(cat "$T"/prod/etc/zypp/repos.d/$ALIAS.repo)" "gpgcheck=1"
assert_contains "only the unsigned test packages are let through (pkg_gpgcheck=0)" \
    "$(cat "$T"/prod/etc/zypp/repos.d/$ALIAS.repo)" "pkg_gpgcheck=0"
zypper_in "$T/prod" refresh || pg_notok "zypper refresh in prod with the imported key"
zypper_in "$T/prod" install foo bar baz || pg_notok "zypper install foo bar baz in prod"
for p in foo bar baz; do
	assert_eq "prod installs $p-1.0" 1.0-1 "$(installed "$T/prod" $p)"
done

zypper_addrepo "$T/dev" "$DEV/" $ALIAS || fail "zypper addrepo in dev"
assert_eq "the dev machine trusts no key yet" "" "$(rpm --root "$T/dev" -qa 'gpg-pubkey*')"
zypper_in "$T/dev" --gpg-auto-import-keys refresh ||
	pg_notok "zypper --gpg-auto-import-keys refresh in dev"
assert_match "zypper imported the key it found beside repomd.xml" \
    "$(cat "$ZYPPER_LOG")" "patchgate signing key"
assert_eq "dev now trusts the proxy's key, the one prod imported" \
    "$(rpm --root "$T/prod" -qa 'gpg-pubkey*')" "$(rpm --root "$T/dev" -qa 'gpg-pubkey*')"
zypper_in "$T/dev" install foo bar baz || pg_notok "zypper install foo bar baz in dev"
for p in foo bar baz; do
	assert_eq "dev installs $p-1.0" 1.0-1 "$(installed "$T/dev" $p)"
done

pg_say "zypper checks the signature: no trusted key, an unsigned upstream"
zypper_addrepo "$T/nokey" "$PROD/" $ALIAS || fail "zypper addrepo in nokey"
zypper_in "$T/nokey" refresh
assert_ne "zypper refuses the view when it trusts no key" 0 $?
assert_match "... because it does not trust the key that signed it" "$(cat "$ZYPPER_LOG")" \
    "signing key received"
assert_eq "... and it did not import it" "" "$(rpm --root "$T/nokey" -qa 'gpg-pubkey*')"
assert_false "nothing is installable there" zypper_in "$T/nokey" install foo
assert_eq "foo is not installed there" none "$(installed "$T/nokey" foo)"
zypper_addrepo "$T/unsigned" "$UP/" $ALIAS || fail "zypper addrepo in unsigned"
zypper_in "$T/unsigned" --gpg-auto-import-keys refresh
assert_ne "zypper refuses the unsigned upstream, even when told to import keys" 0 $?
assert_match "... because repomd.xml is unsigned" "$(cat "$ZYPPER_LOG")" "is unsigned"

pg_say "upstream: + foo-1.1 (security), bar-1.1 (recommended), baz-1.1 (no patch)"
mkrpm "$REPO/noarch" foo 1.1
mkrpm "$REPO/noarch" bar 1.1
mkrpm "$REPO/noarch" baz 1.1
suse_updateinfo_begin "$UI"
UI_CVES=CVE-2026-0001 suse_updateinfo_advisory "$UI" SUSE-SLE-2026-0001 security important \
    "$(epoch 2026-01-10)" "Security update for foo" foo-1.1-1
suse_updateinfo_advisory "$UI" SUSE-SLE-2026-0002 recommended moderate \
    "$(epoch 2026-01-09)" "Recommended update for bar" bar-1.1-1
updateinfo_end "$UI"
mkrepo "$REPO" "$UI"
suse_deltainfo "$T/deltainfo.xml" "foo 1.0-1 1.1-1" "bar 1.0-1 1.1-1" "baz 1.0-1 1.1-1"
repo_add_data "$REPO" deltainfo "$T/deltainfo.xml"
# susedata (and its translation) views filter like filelists; the rest
# they pass through unchanged.
{
	printf '<?xml version="1.0" encoding="UTF-8"?>\n'
	printf '<susedata xmlns="http://linux.duke.edu/metadata/susedata" packages="3">\n'
	for p in foo bar baz; do
		printf '<package pkgid="%s" name="%s" arch="noarch">\n  <version epoch="0" ver="1.0" rel="1"/>\n  <keyword>support_l3</keyword>\n</package>\n' \
		    "$(rpm_sha256 $p-1.0-1)" $p
	done
	printf '</susedata>\n'
} >"$T/susedata.xml"
sed 's/<keyword>support_l3<\/keyword>/<summary lang="de">Testpaket<\/summary>/' \
    "$T/susedata.xml" >"$T/susedata.de.xml"
cat >"$T/patterns.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<patterns xmlns="http://novell.com/package/metadata/suse/pattern" xmlns:rpm="http://linux.duke.edu/metadata/rpm" count="1">
<pattern>
  <name>gate-base</name>
  <version epoch="0" ver="15" rel="1"/>
  <arch>noarch</arch>
  <summary>patchgate test pattern</summary>
  <description>Packages of the patchgate tests.</description>
  <uservisible/>
  <rpm:requires>
    <rpm:entry name="foo"/>
  </rpm:requires>
</pattern>
</patterns>
EOF
cat >"$T/products.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<products>
<product>
  <vendor>SUSE</vendor>
  <name>SLES</name>
  <version epoch="0" ver="15.6" rel="0"/>
  <arch>x86_64</arch>
  <summary>SUSE Linux Enterprise Server 15 SP6</summary>
  <description>patchgate test product.</description>
</product>
</products>
EOF
cat >"$T/appdata.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<components origin="sles15-updates" version="0.8">
  <component type="generic">
    <id>org.example.foo</id>
    <pkgname>foo</pkgname>
    <name>foo</name>
    <summary>patchgate test package foo</summary>
  </component>
</components>
EOF
SUSEDATA_TYPES="susedata susedata.de"
PASS_TYPES="patterns products appdata"
for t in $SUSEDATA_TYPES $PASS_TYPES; do repo_add_data "$REPO" $t "$T/$t.xml"; done

PATCHGATE_NOW=2026-01-10T12:00:00Z pg_sync || fail "the sync of 2026-01-10 failed"

pg_say "2026-01-10 12:00: dev has every patch at once"
zypper_in "$T/dev" refresh || pg_notok "zypper refresh in dev"
assert_eq "zypper list-patches in dev lists both patches" \
    "$(printf '%s\n' SUSE-SLE-2026-0001 SUSE-SLE-2026-0002)" "$(zypper_patches "$T/dev")"
assert_eq "zypper list-patches --category recommended in dev" \
    SUSE-SLE-2026-0002 "$(zypper_patches "$T/dev" --category recommended)"
assert_eq "zypper list-patches --category security in dev" \
    SUSE-SLE-2026-0001 "$(zypper_patches "$T/dev" --category security)"
assert_eq "zypper patches in dev: both, with SUSE's category and severity" \
    "$(printf '%s\n' "SUSE-SLE-2026-0001 security important" "SUSE-SLE-2026-0002 recommended moderate")" \
    "$(zypper_all_patches "$T/dev")"
zypper_in "$T/dev" patch || pg_notok "zypper patch in dev"
assert_eq "zypper patch in dev installs foo-1.1" 1.1-1 "$(installed "$T/dev" foo)"
assert_eq "zypper patch in dev installs bar-1.1" 1.1-1 "$(installed "$T/dev" bar)"
assert_eq "zypper patch leaves baz (no patch) alone" 1.0-1 "$(installed "$T/dev" baz)"
assert_eq "no patch is needed in dev any more" "" "$(zypper_patches "$T/dev")"
zypper_in "$T/dev" update || pg_notok "zypper update in dev"
assert_eq "zypper update in dev brings baz-1.1" 1.1-1 "$(installed "$T/dev" baz)"

pg_say "2026-01-10 12:00: prod has none yet"
zypper_in "$T/prod" refresh || pg_notok "zypper refresh in prod"
assert_eq "zypper list-patches in prod lists nothing" "" "$(zypper_patches "$T/prod")"
assert_eq "prod offers the 1.0 versions only" \
    "$(printf '%s\n' bar-1.0-1.noarch baz-1.0-1.noarch foo-1.0-1.noarch)" \
    "$(zypper_versions "$T/prod")"

pg_say "2026-01-13 12:00 (3 days on): the recommended patch has ripened for prod"
PATCHGATE_NOW=2026-01-13T12:00:00Z pg_sync || fail "the sync of 2026-01-13 failed"
zypper_in "$T/prod" refresh || pg_notok "zypper refresh in prod"
assert_eq "zypper list-patches in prod lists only the ripe recommended patch" \
    SUSE-SLE-2026-0002 "$(zypper_patches "$T/prod")"
assert_eq "zypper patches in prod knows no other patch" \
    "SUSE-SLE-2026-0002 recommended moderate" "$(zypper_all_patches "$T/prod")"
assert_eq "prod offers foo-1.0, bar-1.0, bar-1.1 and baz-1.0" \
    "$(printf '%s\n' bar-1.0-1.noarch bar-1.1-1.noarch baz-1.0-1.noarch foo-1.0-1.noarch)" \
    "$(zypper_versions "$T/prod")"
zypper_in "$T/prod" patch || pg_notok "zypper patch in prod"
assert_eq "zypper patch in prod installs bar-1.1" 1.1-1 "$(installed "$T/prod" bar)"
assert_eq "foo stays 1.0 in prod (its patch ripens on 2026-01-17 12:00)" 1.0-1 "$(installed "$T/prod" foo)"
zypper_in "$T/prod" update || pg_notok "zypper update in prod"
assert_eq "zypper update does not bring foo-1.1 to prod" 1.0-1 "$(installed "$T/prod" foo)"
assert_eq "zypper update does not bring baz-1.1 to prod" 1.0-1 "$(installed "$T/prod" baz)"
assert_false "zypper install foo-1.1 fails in prod" zypper_in "$T/prod" install foo-1.1-1
assert_eq "foo is still 1.0 in prod" 1.0-1 "$(installed "$T/prod" foo)"

pg_say "2026-01-13 12:00: the views' metadata"
for t in primary filelists other updateinfo deltainfo $SUSEDATA_TYPES $PASS_TYPES; do
	pg_rpmmd fetch "$UP" $t "$T/up-$t.xml" || fail "upstream has no $t"
done
# check_view NAME BASEURL COUNT UPDATES DELTAS: one view against upstream.
check_view() {
	local name=$1 base=$2 count=$3 updates=$4 deltas=$5 t n
	for t in primary filelists other; do
		if ! pg_rpmmd fetch "$base" $t "$T/$name-$t.xml"; then
			pg_notok "$name view lists $t"
			continue
		fi
		n=$(pg_rpmmd subset "$T/$name-$t.xml" "$T/up-$t.xml")
		assert_eq "$name: every <package> of $t is byte-identical to upstream's, $count of them" \
		    "$count" "$n"
	done
	if pg_rpmmd fetch "$base" updateinfo "$T/$name-updateinfo.xml"; then
		assert_contains "$name: updateinfo keeps SUSE's namespace" \
		    "$(head -n 2 "$T/$name-updateinfo.xml")" \
		    '<updates xmlns="http://novell.com/package/metadata/suse/updateinfo">'
		assert_eq "$name: updateinfo lists $updates" "$updates" \
		    "$(pg_suse updates "$T/$name-updateinfo.xml" | tr '\n' ' ' | sed 's/ $//')"
		assert_true "$name: each update is upstream's, cut to visible packages" \
		    pg_suse updates-subset "$T/$name-updateinfo.xml" "$T/up-updateinfo.xml"
		assert_true "$name: updateinfo names only versions primary lists" \
		    pg_suse advisories-visible "$T/$name-primary.xml" "$T/$name-updateinfo.xml"
	else
		pg_notok "$name view lists updateinfo"
	fi
	if pg_rpmmd fetch "$base" deltainfo "$T/$name-deltainfo.xml"; then
		assert_eq "$name: deltainfo has the $deltas deltas to versions the view lists" \
		    "$deltas" "$(pg_suse deltas-visible "$T/$name-primary.xml" "$T/$name-deltainfo.xml")"
		assert_true "$name: deltainfo has every upstream delta to a listed version, byte for byte" \
		    pg_suse deltas-complete "$T/$name-primary.xml" "$T/$name-deltainfo.xml" "$T/up-deltainfo.xml"
	else
		pg_notok "$name view lists deltainfo"
	fi
	for t in $SUSEDATA_TYPES; do
		if pg_rpmmd fetch "$base" $t "$T/$name-$t.xml"; then
			assert_eq "$name: every <package> of $t is byte-identical to upstream's" \
			    3 "$(pg_rpmmd subset "$T/$name-$t.xml" "$T/up-$t.xml")"
		else
			pg_notok "$name view lists $t"
		fi
	done
	for t in $PASS_TYPES; do
		if pg_rpmmd fetch "$base" $t "$T/$name-$t.xml"; then
			assert_files_eq "$name: $t is passed through unchanged" "$T/up-$t.xml" "$T/$name-$t.xml"
		else
			pg_notok "$name view lists $t"
		fi
	done
	assert_true "$name: every file repomd.xml names is served with its size and checksums" \
	    pg_rpmmd consistent "$base"
	assert_true "$name: repomd.xml.asc verifies against /_key.asc" verify_repomd_sig "$base"
	assert_status "$base/repodata/repomd.xml.key" 200
	assert_files_eq "$name: repomd.xml.key is the proxy's key" "$STORE/key.asc" "$HTTP_BODY"
}
check_view dev "$DEV" 6 "SUSE-SLE-2026-0001 SUSE-SLE-2026-0002" 3
check_view prod "$PROD" 4 "SUSE-SLE-2026-0002" 1

# Nothing of a hidden version in the documents views filter: not its
# checksum, file name or patch (susedata names only the 1.0 versions
# here; zypper_leaks.sh hides a version it names).
for t in primary filelists other updateinfo deltainfo $SUSEDATA_TYPES; do
	for s in SUSE-SLE-2026-0001 foo-1.1-1.noarch.rpm baz-1.1-1.noarch.rpm \
	    "$(rpm_sha256 foo-1.1-1)" "$(rpm_sha256 baz-1.1-1)"; do
		assert_not_contains "prod's $t does not name $s" "$(cat "$T/prod-$t.xml")" "$s"
	done
done
for p in foo baz; do
	assert_not_contains "prod's deltainfo has no delta to $p-1.1" "$(cat "$T/prod-deltainfo.xml")" \
	    "<newpackage name=\"$p\""
done

pg_say "a view whose repomd.xml changed on disk is refused by zypper"
CUR=$STORE/views/prod/sles15-updates/current/tree/repodata/repomd.xml
[ -f "$CUR" ] || fail "no $CUR"
cp "$CUR" "$T/repomd.saved"
sed 's|<revision>|<revision>9|' "$T/repomd.saved" >"$T/repomd.tampered"
# Generations never change in place, so patchgated keeps what it has read
# of one: a daemon restarted on the same port reads the tampered file.
restart_same_port() {
	local port=${PG_URL##*:}
	stop_patchgated
	sed -i "s/^listen = 127\.0\.0\.1:[0-9]*$/listen = 127.0.0.1:$port/" "$PG_CONF"
	PATCHGATE_NOW=2026-01-01T00:00:00Z start_patchgated "$PG_CONF"
}
cp "$T/repomd.tampered" "$CUR"
restart_same_port
zypper_in "$T/prod" refresh -f
assert_ne "zypper refresh -f refuses the tampered repomd.xml" 0 $?
assert_match "... as its signature does not verify" "$(cat "$ZYPPER_LOG")" "signature verification failed"
cp "$T/repomd.saved" "$CUR"
restart_same_port
zypper_in "$T/prod" refresh -f || pg_notok "zypper refresh -f of the restored view"

pg_say "2026-01-20 12:00 (10 days on): the security patch has ripened for prod"
PATCHGATE_NOW=2026-01-20T12:00:00Z pg_sync || fail "the sync of 2026-01-20 failed"
zypper_in "$T/prod" refresh || pg_notok "zypper refresh in prod"
assert_eq "zypper list-patches in prod lists the security patch" \
    SUSE-SLE-2026-0001 "$(zypper_patches "$T/prod")"
zypper_in "$T/prod" patch || pg_notok "zypper patch in prod"
assert_eq "zypper patch in prod installs foo-1.1" 1.1-1 "$(installed "$T/prod" foo)"
assert_eq "no patch is needed in prod any more" "" "$(zypper_patches "$T/prod")"
zypper_in "$T/prod" update || pg_notok "zypper update in prod"
assert_eq "baz-1.1 (no patch, 14 days) is not in prod yet" 1.0-1 "$(installed "$T/prod" baz)"
pg_rpmmd fetch "$PROD" primary "$T/prod-primary.xml" || pg_notok "prod lists primary"
pg_rpmmd fetch "$PROD" deltainfo "$T/prod-deltainfo.xml" || pg_notok "prod lists deltainfo"
assert_eq "prod's deltainfo now leads to foo-1.1 and bar-1.1" 2 \
    "$(pg_suse deltas-visible "$T/prod-primary.xml" "$T/prod-deltainfo.xml")"

pg_say "2026-01-25 12:00 (15 days on): baz-1.1 has ripened for prod"
PATCHGATE_NOW=2026-01-25T12:00:00Z pg_sync || fail "the sync of 2026-01-25 failed"
zypper_in "$T/prod" refresh || pg_notok "zypper refresh in prod"
zypper_in "$T/prod" update || pg_notok "zypper update in prod"
assert_eq "zypper update in prod brings baz-1.1" 1.1-1 "$(installed "$T/prod" baz)"
assert_eq "prod now offers what dev offers" "$(zypper_versions "$T/dev")" "$(zypper_versions "$T/prod")"

pg_done
