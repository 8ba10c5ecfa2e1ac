#!/bin/bash
# Installability of an rpm-md view (DESIGN.md invariant 6), end to end, with
# real rpms (rpmbuild), createrepo_c, an HTTP upstream and real dnf
# upgrading installed machines through patchgated.
#
#   upstream on 2026-01-01 (the base): app-1.0 (Requires: libfoo),
#     libfoo-1.0
#   2026-01-10 12:00: + app-2.0 (Requires: libfoo = 2.0-1), libfoo-2.0
# Every group has delay 0, so only the rules below decide:
#   dev  rejects nothing: lists app-2.0 and libfoo-2.0
#   blk  rejects libfoo-2.0, rejected-action = block: app-2.0 needs a
#        version blk cannot see, so it is held back with that reason (the
#        sync says so; its file is 404 with the reason); app-1.0 stays;
#        dnf upgrade on a machine with app-1.0 succeeds and changes nothing
#   dep  rejects libfoo-2.0, rejected-action = allow-as-dependency:
#        libfoo-2.0 is listed because app-2.0 needs it (the sync says so);
#        dnf upgrade moves app and libfoo to 2.0
# And the test can fail: the same upgrade against the plain upstream with
# libfoo-2.0 excluded (a view that hides the rejected version without the
# installability check) fails in dnf; and dev lists app-2.0, so blk's
# hiding of it is the rule's doing.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"

need python3 curl gpg gpgv rpmbuild createrepo_c
need_dnf
pg_need_programs

W=$T/www
REPO=$W/repo
STORE=$T/store

pg_say "upstream: app-1.0 (Requires: libfoo), libfoo-1.0"
RPM_REQUIRES="libfoo" mkrpm "$REPO/Packages" app 1.0
mkrpm "$REPO/Packages" libfoo 1.0
mkrepo "$REPO"
start_upstream "$W"

# A machine set up from the plain upstream, for the check that the test
# can fail (below).
dnf_in "$T/naive" "$UPSTREAM_URL/repo" install app ||
	fail "dnf cannot install app from the plain upstream: the test setup is broken"
assert_eq "dnf installs app-1.0 from the plain upstream" 1.0-1 "$(installed "$T/naive" app)"
assert_eq "... and libfoo-1.0 with it" 1.0-1 "$(installed "$T/naive" libfoo)"

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

[baseline blk]
rule = classification=* delay=0
rejected = libfoo-2.0
rejected-action = block

[baseline dep]
rule = classification=* delay=0
rejected = libfoo-2.0
rejected-action = allow-as-dependency

[group dev]
baseline = dev
mirrors = el9

[group blk]
baseline = blk
mirrors = el9

[group dep]
baseline = dep
mirrors = el9
EOF

PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync || fail "the first sync failed"
PATCHGATE_NOW=2026-01-01T00:00:00Z start_patchgated "$PG_CONF"
DEV=$PG_URL/dev/el9
BLK=$PG_URL/blk/el9
DEP=$PG_URL/dep/el9

pg_say "2026-01-01: machines in blk and dep install app through the proxy"
for g in blk dep; do
	base=$PG_URL/$g/el9
	dnf_in "$T/$g" "$base" install app || pg_notok "$g: dnf install app"
	assert_eq "$g: app-1.0 is installed" 1.0-1 "$(installed "$T/$g" app)"
	assert_eq "$g: libfoo-1.0 is installed with it" 1.0-1 "$(installed "$T/$g" libfoo)"
done

pg_say "upstream: + app-2.0 (Requires: libfoo = 2.0-1), libfoo-2.0"
RPM_REQUIRES="libfoo = 2.0-1" mkrpm "$REPO/Packages" app 2.0
mkrpm "$REPO/Packages" libfoo 2.0
mkrepo "$REPO"

PATCHGATE_NOW=2026-01-10T12:00:00Z pg_sync || fail "the sync of 2026-01-10 failed"
SYNC_LOG=$(cat "$SYNC_OUT" "$SYNC_ERR")

ALL=$(printf '%s\n' app-1.0-1.noarch app-2.0-1.noarch libfoo-1.0-1.noarch libfoo-2.0-1.noarch)

pg_say "the test can fail: the plain upstream without libfoo-2.0, no installability check"
# best=True (dnf_in's dnf.conf, dnf's default on EL9): dnf must install the
# newest app or fail, so a view that lists app-2.0 but not what it needs
# breaks every upgrade of a machine with app.
if dnf_in "$T/naive" "$UPSTREAM_URL/repo" upgrade --exclude=libfoo-2.0-1; then
	pg_notok "dnf upgrade fails against upstream with libfoo-2.0 excluded (app-2.0 cannot be installed)" \
	    "dnf succeeded: this test could not tell a checked view from an unchecked one"
else
	pg_ok "dnf upgrade fails against upstream with libfoo-2.0 excluded (app-2.0 cannot be installed)"
	assert_match "dnf says app-2.0 needs libfoo = 2.0-1" "$(cat "$DNF_LOG")" \
	    "app-2\.0-1\.noarch requires libfoo = 2\.0-1|libfoo = 2\.0-1 needed by app-2\.0-1"
fi
assert_eq "the failed upgrade left app-1.0 on the naive machine" 1.0-1 "$(installed "$T/naive" app)"

pg_say "dev: nothing rejected"
assert_eq "dev lists app-1.0, app-2.0, libfoo-1.0 and libfoo-2.0" "$ALL" "$(dnf_available "$T/dev" "$DEV")"
assert_status "$DEV/Packages/app-2.0-1.noarch.rpm" 200
assert_files_eq "dev: app-2.0's rpm is upstream's" "$T/rpms/app-2.0-1.noarch.rpm" "$HTTP_BODY"

pg_say "blk: libfoo-2.0 rejected, rejected-action = block"
assert_contains "the sync says blk holds app-2.0 back for libfoo = 2.0-1" "$SYNC_LOG" \
    "group blk, mirror el9: Packages/app-2.0-1.noarch.rpm: held back for a dependency: it needs libfoo = 2.0-1"
assert_match "... which group blk cannot see" "$SYNC_LOG" \
    "group blk, mirror el9: Packages/app-2\.0-1\.noarch\.rpm: held back for a dependency: .*which group blk cannot see"
assert_eq "the sync holds nothing back and lets nothing in for dev" "" \
    "$(grep -E 'group dev, mirror el9: .*(held back for a dependency|listed as a dependency)' <<<"$SYNC_LOG")"
assert_eq "the sync holds nothing back for dep" "" \
    "$(grep -E 'group dep, mirror el9: .*held back for a dependency' <<<"$SYNC_LOG")"
assert_eq "blk lists app-1.0 and libfoo-1.0 only" \
    "$(printf '%s\n' app-1.0-1.noarch libfoo-1.0-1.noarch)" "$(dnf_available "$T/blk.q" "$BLK")"
if pg_rpmmd fetch "$BLK" primary "$T/blk-primary.xml"; then
	assert_contains "blk's primary.xml lists app-1.0" "$(cat "$T/blk-primary.xml")" \
	    'href="Packages/app-1.0-1.noarch.rpm"'
	assert_not_contains "blk's primary.xml does not list app-2.0" "$(cat "$T/blk-primary.xml")" \
	    'app-2.0-1.noarch.rpm'
else
	pg_notok "blk's repomd.xml lists primary"
fi
assert_true "blk's metadata names nothing of app-2.0 or libfoo-2.0" \
    pg_rpmmd noleak "$BLK" app-2.0-1.noarch.rpm libfoo-2.0-1.noarch.rpm \
    "$(rpm_sha256 app-2.0-1)" "$(rpm_sha256 libfoo-2.0-1)"
assert_true "blk: every file repomd.xml names is served with its size and checksums" \
    pg_rpmmd consistent "$BLK"
assert_status "$BLK/Packages/app-2.0-1.noarch.rpm" 404
assert_match "blk: the 404 of app-2.0 says it is held back for libfoo = 2.0-1" "$(cat "$HTTP_BODY")" \
    "held back for a dependency: it needs libfoo = 2\.0-1"
assert_status "$BLK/Packages/libfoo-2.0-1.noarch.rpm" 404
assert_match "blk: the 404 of libfoo-2.0 says it is rejected" "$(cat "$HTTP_BODY")" "reject"

if dnf_in "$T/blk" "$BLK" check-update; then
	pg_ok "blk: dnf check-update offers no update"
else
	pg_notok "blk: dnf check-update offers no update" "exit $?: $(grep -E '^(app|libfoo)' "$DNF_LOG")"
fi
dnf_in "$T/blk" "$BLK" upgrade
assert_eq "blk: dnf upgrade succeeds" 0 "$?"
assert_eq "blk: app stays 1.0" 1.0-1 "$(installed "$T/blk" app)"
assert_eq "blk: libfoo stays 1.0" 1.0-1 "$(installed "$T/blk" libfoo)"
if dnf_in "$T/blk" "$BLK" install app-2.0-1; then
	pg_notok "blk: dnf install app-2.0-1 fails" "dnf succeeded"
else
	pg_ok "blk: dnf install app-2.0-1 fails"
	assert_match "blk: ... dnf finds no app-2.0-1" "$(cat "$DNF_LOG")" "no match for argument: app-2\.0-1"
fi
assert_eq "blk: app is still 1.0" 1.0-1 "$(installed "$T/blk" app)"

pg_say "dep: libfoo-2.0 rejected, rejected-action = allow-as-dependency"
assert_contains "the sync says dep lets libfoo-2.0 in for app-2.0" "$SYNC_LOG" \
    "group dep, mirror el9: Packages/libfoo-2.0-1.noarch.rpm: listed as a dependency although rejected by baseline dep"
assert_match "... needed by app-2.0, which requires libfoo = 2.0-1" "$SYNC_LOG" \
    "group dep, mirror el9: Packages/libfoo-2\.0-1\.noarch\.rpm: listed as a dependency .*: needed by app-2\.0-1\.noarch, which requires libfoo = 2\.0-1 \(rejected-action = allow-as-dependency\)"
assert_eq "the sync lets nothing in for blk" "" \
    "$(grep -E 'group blk, mirror el9: .*listed as a dependency' <<<"$SYNC_LOG")"
assert_eq "dep lists app-1.0, app-2.0, libfoo-1.0 and libfoo-2.0" "$ALL" "$(dnf_available "$T/dep.q" "$DEP")"
assert_true "dep: every file repomd.xml names is served with its size and checksums" \
    pg_rpmmd consistent "$DEP"
dnf_in "$T/dep" "$DEP" check-update
assert_eq "dep: dnf check-update offers updates (exit 100)" 100 "$?"
dnf_in "$T/dep" "$DEP" upgrade
assert_eq "dep: dnf upgrade succeeds" 0 "$?"
assert_eq "dep: app is now 2.0" 2.0-1 "$(installed "$T/dep" app)"
assert_eq "dep: libfoo is now 2.0 (let in as app-2.0's dependency)" 2.0-1 "$(installed "$T/dep" libfoo)"
assert_status "$DEP/Packages/libfoo-2.0-1.noarch.rpm" 200
assert_files_eq "dep: libfoo-2.0's rpm is upstream's" "$T/rpms/libfoo-2.0-1.noarch.rpm" "$HTTP_BODY"

pg_done
