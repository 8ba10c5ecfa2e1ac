#!/bin/bash
# Gating of an rpm-md mirror, end to end, with real rpms, createrepo_c,
# modifyrepo_c, an HTTP upstream and real dnf installing through patchgated.
#
# Upstream starts with foo-1.0, bar-1.0, baz-1.0 (the base, synced on
# 2026-01-01); on 2026-01-10 12:00 foo-1.1 (security/Important advisory
# issued 2026-01-10), bar-2.0 (bugfix advisory) and baz-1.1 (no advisory)
# arrive.  dev (delay 0) sees them at once; prod (security+critical after
# 1d, everything after 7d, bar rejected, baz-1.1 approved) keeps foo-1.0
# until 2026-01-17 12:00, gets baz-1.1 at once and never sees bar.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"

need python3 curl gpg gpgv rpmbuild createrepo_c modifyrepo_c
need_dnf
pg_need_programs

W=$T/www
REPO=$W/repo
STORE=$T/store

pg_say "upstream: foo-1.0 bar-1.0 baz-1.0, no advisories"
for p in foo bar baz; do mkrpm "$REPO/Packages" $p 1.0; done
mkrepo "$REPO"
start_upstream "$W"

# The infrastructure itself: dnf installs from the plain upstream.
dnf_in "$T/direct" "$UPSTREAM_URL/repo" install foo ||
	fail "dnf cannot install from the plain upstream: the test setup is broken"
assert_eq "dnf installs foo-1.0 from the plain upstream" 1.0-1 "$(installed "$T/direct" foo)"

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

[baseline prod]
rule = classification=security severity=critical delay=1d
rule = classification=* delay=7d
rejected = bar
approved = baz-1.1

[group dev]
baseline = dev
mirrors = el9

[group prod]
baseline = prod
mirrors = el9
EOF

PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync || fail "the first sync failed"

pg_say "upstream: + foo-1.1 (PGTEST-2026-0001 security), bar-2.0 (PGTEST-2026-0002 bugfix), baz-1.1"
mkrpm "$REPO/Packages" foo 1.1
mkrpm "$REPO/Packages" bar 2.0
mkrpm "$REPO/Packages" baz 1.1
UI=$T/updateinfo.xml
updateinfo_begin "$UI"
# The foo advisory names no arch: it counts for every architecture, for
# visibility and in the view's updateinfo alike.
UI_ARCH= UI_CVES=CVE-2026-0001 updateinfo_advisory "$UI" PGTEST-2026-0001 security Important \
    "2026-01-10 00:00:00" "Important: foo security update" foo-1.1-1
updateinfo_advisory "$UI" PGTEST-2026-0002 bugfix Moderate \
    "2026-01-09 00:00:00" "bar bug fix update" bar-2.0-1
updateinfo_end "$UI"
mkrepo "$REPO" "$UI"

PATCHGATE_NOW=2026-01-10T12:00:00Z pg_sync || fail "the sync of 2026-01-10 failed"
PATCHGATE_NOW=2026-01-10T12:00:00Z start_patchgated "$PG_CONF"

DEV=$PG_URL/dev/el9
PROD=$PG_URL/prod/el9

# Upstream unchanged: the sync re-evaluates the views with the new clock.
PATCHGATE_NOW=2026-01-13T12:00:00Z pg_sync || fail "the sync of 2026-01-13 failed"

pg_say "2026-01-13 12:00: dev"
dnf_in "$T/dev" "$DEV" install foo || pg_notok "dnf install foo in dev"
assert_eq "dev installs foo-1.1" 1.1-1 "$(installed "$T/dev" foo)"
dnf_in "$T/dev" "$DEV" install bar || pg_notok "dnf install bar in dev"
assert_eq "dev installs bar-2.0" 2.0-1 "$(installed "$T/dev" bar)"
assert_eq "dev lists every version" \
    "$(printf '%s\n' bar-1.0-1.noarch bar-2.0-1.noarch baz-1.0-1.noarch baz-1.1-1.noarch foo-1.0-1.noarch foo-1.1-1.noarch)" \
    "$(dnf_available "$T/dev" "$DEV")"

pg_say "2026-01-13 12:00: prod"
dnf_in "$T/prod" "$PROD" install foo baz || pg_notok "dnf install foo baz in prod"
assert_eq "prod installs foo-1.0 (foo-1.1 ripens on 2026-01-17 12:00)" 1.0-1 "$(installed "$T/prod" foo)"
assert_eq "prod installs baz-1.1 at once (approved)" 1.1-1 "$(installed "$T/prod" baz)"
assert_false "prod cannot install bar (rejected)" dnf_in "$T/prod" "$PROD" install bar
assert_eq "bar is not installed in prod" none "$(installed "$T/prod" bar)"
assert_false "dnf list --available bar finds nothing in prod" dnf_in "$T/prod" "$PROD" list --available bar
dnf_in "$T/prod" "$PROD" list --available --showduplicates
assert_not_contains "dnf list --available in prod has no bar" "$(cat "$DNF_LOG")" "bar."
assert_eq "prod lists baz-1.0, baz-1.1 and foo-1.0 only" \
    "$(printf '%s\n' baz-1.0-1.noarch baz-1.1-1.noarch foo-1.0-1.noarch)" \
    "$(dnf_available "$T/prod" "$PROD")"

pg_say "2026-01-13 12:00: the views' metadata"
for t in primary filelists other; do
	pg_rpmmd fetch "$UPSTREAM_URL/repo" $t "$T/up-$t.xml" || fail "upstream has no $t"
done
# check_view NAME BASEURL COUNT: fidelity and consistency of one view.
check_view() {
	local name=$1 base=$2 count=$3 t n
	for t in primary filelists other; do
		if ! pg_rpmmd fetch "$base" $t "$T/$name-$t.xml"; then
			pg_notok "$name view lists $t"
			continue
		fi
		n=$(pg_rpmmd subset "$T/$name-$t.xml" "$T/up-$t.xml")
		assert_eq "$name: every <package> of $t is byte-identical to upstream's, $count of them" \
		    "$count" "$n"
	done
	assert_true "$name: every file repomd.xml names is served with its size and checksums" \
	    pg_rpmmd consistent "$base"
	assert_true "$name: repomd.xml.asc verifies against /_key.asc" verify_repomd_sig "$base"
}
check_view dev "$DEV" 6
check_view prod "$PROD" 3

if pg_rpmmd fetch "$DEV" updateinfo "$T/dev-updateinfo.xml"; then
	assert_contains "dev's updateinfo lists PGTEST-2026-0001" \
	    "$(cat "$T/dev-updateinfo.xml")" "<id>PGTEST-2026-0001</id>"
	assert_contains "dev's updateinfo lists PGTEST-2026-0002" \
	    "$(cat "$T/dev-updateinfo.xml")" "<id>PGTEST-2026-0002</id>"
else
	pg_notok "dev's repomd.xml lists updateinfo"
fi
# Nothing of a hidden version may show in any document of prod's view
# (primary, filelists, other, their sqlite forms, updateinfo): not its
# checksum (pkgid), not its file name, not its advisory.
assert_true "prod's metadata names no hidden version and no advisory of one" \
    pg_rpmmd noleak "$PROD" PGTEST-2026-0001 PGTEST-2026-0002 \
    foo-1.1-1.noarch.rpm bar-1.0-1.noarch.rpm bar-2.0-1.noarch.rpm \
    "$(rpm_sha256 foo-1.1-1)" "$(rpm_sha256 bar-1.0-1)" "$(rpm_sha256 bar-2.0-1)"

pg_say "2026-01-20 12:00: foo-1.1 has ripened for prod"
PATCHGATE_NOW=2026-01-20T12:00:00Z pg_sync || fail "the sync of 2026-01-20 failed"
dnf_in "$T/prod" "$PROD" upgrade || pg_notok "dnf upgrade in prod"
assert_eq "dnf upgrade in prod moves foo to 1.1" 1.1-1 "$(installed "$T/prod" foo)"
assert_eq "baz stays 1.1 in prod" 1.1-1 "$(installed "$T/prod" baz)"
assert_eq "bar is still not installed in prod" none "$(installed "$T/prod" bar)"
assert_eq "prod lists baz-1.0, baz-1.1, foo-1.0 and foo-1.1" \
    "$(printf '%s\n' baz-1.0-1.noarch baz-1.1-1.noarch foo-1.0-1.noarch foo-1.1-1.noarch)" \
    "$(dnf_available "$T/prod" "$PROD")"
check_view prod "$PROD" 4
if pg_rpmmd fetch "$PROD" updateinfo "$T/prod-updateinfo.xml"; then
	assert_contains "prod's updateinfo now lists PGTEST-2026-0001" \
	    "$(cat "$T/prod-updateinfo.xml")" "<id>PGTEST-2026-0001</id>"
else
	pg_notok "prod's repomd.xml lists updateinfo once foo-1.1 is visible"
fi
assert_true "prod's metadata still names nothing of bar" \
    pg_rpmmd noleak "$PROD" PGTEST-2026-0002 bar-1.0-1.noarch.rpm bar-2.0-1.noarch.rpm \
    "$(rpm_sha256 bar-1.0-1)" "$(rpm_sha256 bar-2.0-1)"

pg_done
