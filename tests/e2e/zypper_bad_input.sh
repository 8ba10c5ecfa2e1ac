#!/bin/bash
# A signed SUSE upstream that turns bad: after a good sync, upstream's
# repomd.xml no longer matches its signature (an attacker changed primary
# and rewrote repomd.xml's checksums to match, but cannot sign), then the
# signature is missing, then made by a key the keyring does not hold, then
# not a signature at all.  Each time `patchgate sync` must fail, naming the
# mirror, repomd.xml and the cause, and patchgated must keep serving the
# last good generation byte for byte, from which zypper still refreshes
# and installs.  Upstream signed properly again, the sync succeeds.  First,
# the configurations of SUSE repositories that patchgate refuses.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"

need python3 curl gpg rpmbuild createrepo_c modifyrepo_c sha256sum
need_zypper
pg_need_programs

pg_say "configurations patchgate refuses, with a message that says why"
cat >"$T/bad.conf" <<EOF
[server]
listen = 127.0.0.1:0
store = $T/bad-store

[mirror sles11-media]
type = susetags
url = http://127.0.0.1:1/suse

[mirror sles15-updates]
type = rpm-md
url = http://127.0.0.1:1/sles15-updates
keyring-allow-expired = maybe

[mirror sles15-pool]
type = rpm-md
url = http://127.0.0.1:1/sles15-pool
keyring-allow-expired = yes

[baseline dev]
rule = classification=recommended,yast delay=0

[group dev]
baseline = dev
mirrors = sles11-media sles15-updates sles15-pool
EOF
"$top_builddir/patchgated" -c "$T/bad.conf" -n >"$T/bad.out" 2>&1
assert_ne "patchgated -n refuses the configuration" 0 $?
BAD=$(cat "$T/bad.out")
assert_contains "susetags media are refused, and the message says to use the rpm-md tree" \
    "$BAD" "bad.conf:6: type: susetags media (content, packages.gz) are not served as views; point url at the repository's rpm-md tree"
assert_contains "keyring-allow-expired takes yes or no" "$BAD" \
    "bad.conf:12: keyring-allow-expired: \"maybe\" is not yes or no"
assert_contains "keyring-allow-expired needs a keyring" "$BAD" \
    "bad.conf:14: [mirror sles15-pool]: keyring-allow-expired needs a keyring"
assert_not_contains "SUSE categories are classifications rules accept" "$BAD" "classification"

W=$T/www
REPO=$W/sles15-updates
STORE=$T/store
VENDOR=$T/vendor.gnupg
vendor_key "$VENDOR" vendor

pg_say "good upstream A, signed by the vendor: foo-1.0, bar-1.0"
mkrpm "$REPO/noarch" foo 1.0
mkrpm "$REPO/noarch" bar 1.0
suse_updateinfo_begin "$T/updateinfo.xml"
updateinfo_end "$T/updateinfo.xml"
mkrepo "$REPO" "$T/updateinfo.xml"
repo_sign "$REPO" "$VENDOR"
start_upstream "$W"

PG_CONF=$T/patchgate.conf
cat >"$PG_CONF" <<EOF
[server]
listen = 127.0.0.1:0
store = $STORE

[mirror sles15-updates]
type = rpm-md
url = $UPSTREAM_URL/sles15-updates
keyring = $VENDOR/key.asc

[baseline dev]
rule = classification=* delay=0

[group dev]
baseline = dev
mirrors = sles15-updates
EOF

PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync || fail "the sync of the good upstream failed"
PATCHGATE_NOW=2026-01-01T00:00:00Z start_patchgated "$PG_CONF"
DEV=$PG_URL/dev/sles15-updates

zypper_import_key "$T/m" || fail "rpm --import of the proxy's key failed"
zypper_addrepo "$T/m" "$DEV/" updates || fail "zypper addrepo"
zypper_in "$T/m" refresh || fail "zypper cannot refresh the first view"
zypper_in "$T/m" install foo || fail "zypper cannot install from the first view"
assert_eq "foo-1.0 from the first view" 1.0-1 "$(installed "$T/m" foo)"
[ "$(http_get "$DEV/repodata/repomd.xml" "$T/repomd.good")" = 200 ] ||
	fail "the view serves no repodata/repomd.xml"

pg_say "good upstream B (kept aside, broken below): A + foo-1.1 with a security patch"
GOOD_B=$T/good-b
cp -a "$REPO" "$GOOD_B"
mkrpm "$GOOD_B/noarch" foo 1.1
suse_updateinfo_begin "$T/updateinfo.xml"
suse_updateinfo_advisory "$T/updateinfo.xml" SUSE-SLE-2026-0001 security important \
    "$(date -u -d 2026-01-02 +%s)" "Security update for foo" foo-1.1-1
updateinfo_end "$T/updateinfo.xml"
mkrepo "$GOOD_B" "$T/updateinfo.xml"
repo_sign "$GOOD_B" "$VENDOR"
PRIMARY=$(repomd_href "$GOOD_B" primary) || fail "no primary in B"

# use_upstream DIR: upstream serves DIR from now on.
use_upstream() {
	rm -rf "$REPO"
	cp -a "$1" "$REPO"
}

# expect_failed_sync WHAT TIME CAUSE-ERE: the sync at TIME fails, naming the
# mirror, repomd.xml and the cause; the view is the last good one, and
# zypper still refreshes and installs bar-1.0 from it.
expect_failed_sync() {
	local what=$1 now=$2 cause=$3 rc err
	pg_say "$what"
	PATCHGATE_NOW=$now pg_sync
	rc=$?
	err=$(cat "$SYNC_ERR")
	assert_ne "$what: sync exits non-zero" 0 $rc
	assert_ne "$what: sync finishes by itself (no timeout)" 124 $rc
	assert_contains "$what: stderr names the mirror" "$err" "mirror sles15-updates"
	assert_contains "$what: stderr names repomd.xml" "$err" "repodata/repomd.xml"
	assert_match "$what: stderr gives the cause" "$err" "$cause"
	[ "$(http_get "$DEV/repodata/repomd.xml" "$T/repomd.now")" = 200 ] ||
		pg_notok "$what: the view still serves repodata/repomd.xml"
	assert_files_eq "$what: served repomd.xml is byte-identical to the last good one" \
	    "$T/repomd.good" "$T/repomd.now"
	assert_true "$what: the view's files still match its repomd.xml" pg_rpmmd consistent "$DEV"
	zypper_in "$T/m" refresh -f || pg_notok "$what: zypper refresh -f of the last good view"
	rm -rf "$T/m2"
	zypper_import_key "$T/m2" >/dev/null 2>&1
	zypper_addrepo "$T/m2" "$DEV/" updates >/dev/null 2>&1
	zypper_in "$T/m2" install bar || pg_notok "$what: zypper install bar from the last good view"
	assert_eq "$what: zypper installs bar-1.0 from the last good view" 1.0-1 "$(installed "$T/m2" bar)"
	assert_eq "$what: no patch reaches the machine" "" "$(zypper_patches "$T/m")"
}

# 1. primary changed (foo-1.1's checksum swapped, as for a trojaned rpm),
#    repomd.xml's checksums rewritten to match, the signature left as is.
B=$T/b-tampered
cp -a "$GOOD_B" "$B"
"$PYTHON" - "$B/$PRIMARY" "$(rpm_sha256 foo-1.1-1)" <<-'EOF' || fail "generator: primary edit"
	import gzip, sys
	path, pkgid = sys.argv[1], sys.argv[2]
	d = gzip.decompress(open(path, "rb").read())
	assert pkgid.encode() in d
	evil = ("0" if pkgid[0] != "0" else "1") + pkgid[1:]
	open(path, "wb").write(gzip.compress(d.replace(pkgid.encode(), evil.encode()), mtime=0))
	EOF
repomd_restamp "$B" primary || fail "restamp"
cmp -s "$GOOD_B/repodata/repomd.xml" "$B/repodata/repomd.xml" &&
	fail "generator: repomd.xml is unchanged"
use_upstream "$B"
assert_true "generator: the changed primary matches the changed repomd.xml" \
    pg_rpmmd consistent "$UPSTREAM_URL/sles15-updates"
expect_failed_sync "repomd.xml changed after signing" 2026-01-03T00:00:00Z "bad signature"

# 2. no signature at all.
B=$T/b-unsigned
cp -a "$GOOD_B" "$B"
rm -f "$B/repodata/repomd.xml.asc"
use_upstream "$B"
expect_failed_sync "signature missing" 2026-01-04T00:00:00Z \
    "repomd\.xml\.asc: .*404.*signature is required"

# 3. signed by someone else (the attacker's own key, shipped beside it).
B=$T/b-otherkey
cp -a "$GOOD_B" "$B"
vendor_key "$T/attacker.gnupg" attacker
repo_sign "$B" "$T/attacker.gnupg"
use_upstream "$B"
expect_failed_sync "signed by a key outside the keyring" 2026-01-05T00:00:00Z "no public key for"

# 4. repomd.xml.asc is not a signature.
B=$T/b-garbage
cp -a "$GOOD_B" "$B"
printf 'this is not a signature\n' >"$B/repodata/repomd.xml.asc"
use_upstream "$B"
expect_failed_sync "repomd.xml.asc is not a signature" 2026-01-06T00:00:00Z \
    "not signed|no signature|cannot verify|invalid|bad"

pg_say "good upstream B, properly signed: the sync succeeds"
use_upstream "$GOOD_B"
PATCHGATE_NOW=2026-01-08T00:00:00Z pg_sync || pg_notok "the sync of the good upstream B"
zypper_in "$T/m" refresh || pg_notok "zypper refresh of view B"
assert_eq "zypper list-patches now lists the security patch" SUSE-SLE-2026-0001 "$(zypper_patches "$T/m")"
zypper_in "$T/m" patch || pg_notok "zypper patch from view B"
assert_eq "zypper patch installs foo-1.1" 1.1-1 "$(installed "$T/m" foo)"

pg_done
