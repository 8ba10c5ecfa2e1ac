#!/bin/bash
# patchgate hold and unhold, end to end: an admin's emergency block takes
# effect for real dnf and real apt-get on their next metadata refresh,
# without a sync, for the named group only; unhold lifts it; an expired
# hold no longer applies; bad input is refused with the right exit status.
#
#   2026-01-01: upstream (rpm-md el9 and apt debian) has foo 1.0 and bar
#     1.0, the base
#   2026-01-10 12:00: foo 1.1 arrives in both
#   2026-01-13 12:00: foo 1.1 has ripened for prod (delay 1d); dev (delay
#     0) saw it at once
#   13:00: hold foo 1.1 for prod ("CVE regression"): prod's dnf and apt-get
#     no longer see it, dev's still do; its file is 404 naming the reason
#   14:00: unhold: prod sees foo 1.1 again
#   15:00: hold until 2026-01-14: hidden; on 2026-01-14 01:00, after a
#     publish, it has expired and foo 1.1 is back
# rpm-md patterns name "foo-1.1*" (name-version-release.arch forms), apt
# ones "foo=1.1" (name=version forms), as "rejected" does.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"
. "$top_srcdir/tests/e2e/mkaptrepo.sh"

need python3 curl gpg gpgv rpmbuild createrepo_c modifyrepo_c
need_dnf
need_apt
pg_need_programs

W=$T/www
RPMREPO=$W/repo
DEBREPO=$W/debian
STORE=$T/store

pg_say "upstream: foo 1.0 and bar 1.0, as rpms and as debs"
for p in foo bar; do
	mkrpm "$RPMREPO/Packages" $p 1.0
	mkdeb "$DEBREPO" $p 1.0
done
mkrepo "$RPMREPO"
mkaptrepo "$DEBREPO" 2025-12-31T00:00:00Z
start_upstream "$W"

PG_CONF=$T/patchgate.conf
cat >"$PG_CONF" <<EOF
[server]
listen = 127.0.0.1:0
store = $STORE

[mirror el9]
type = rpm-md
url = $UPSTREAM_URL/repo

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
rule = classification=* delay=1d

[group dev]
baseline = dev
mirrors = el9 debian

[group prod]
baseline = prod
mirrors = el9 debian
EOF

PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync || fail "the first sync failed"
pg_say "upstream: + foo 1.1"
mkrpm "$RPMREPO/Packages" foo 1.1
mkrepo "$RPMREPO"
mkdeb "$DEBREPO" foo 1.1
mkaptrepo "$DEBREPO" 2026-01-10T06:00:00Z
PATCHGATE_NOW=2026-01-10T12:00:00Z pg_sync || fail "the sync of 2026-01-10 failed"
PATCHGATE_NOW=2026-01-13T12:00:00Z pg_sync || fail "the sync of 2026-01-13 failed"
PATCHGATE_NOW=2026-01-13T12:00:00Z start_patchgated "$PG_CONF"
KEY=$(apt_proxy_key)

# pg NOW ARGS...: patchgate -c $PG_CONF ARGS at NOW; stdout in $PG_OUT,
# stderr in $PG_ERR, exit status in $PG_RC (and returned).
PG_OUT=""
PG_ERR=""
PG_RC=0
pg() {
	local now=$1
	shift
	pg_next patchgate
	PG_OUT=$REPLY.out
	PG_ERR=$REPLY.err
	echo "+ PATCHGATE_NOW=$now patchgate $*" >&2
	PATCHGATE_NOW=$now timeout -k 5 300 "$top_builddir/patchgate" -c "$PG_CONF" "$@" \
	    >"$PG_OUT" 2>"$PG_ERR"
	PG_RC=$?
	sed 's/^/  1| /' "$PG_OUT" >&2
	sed 's/^/  2| /' "$PG_ERR" >&2
	echo "  (exit $PG_RC)" >&2
	return $PG_RC
}

# rpm_seen ROOT URL / deb_seen ROOT: what a client sees of foo after a
# metadata refresh (dnf makecache with metadata_expire=0; apt-get update).
rpm_seen() {
	dnf_in "$1" "$2" makecache >/dev/null || { echo "dnf makecache failed"; return; }
	dnf_available "$1" "$2" | grep '^foo-' | tr '\n' ' '
}
deb_seen() {
	apt_update "$1" >/dev/null || { echo "apt-get update failed"; return; }
	apt_versions "$1" foo | tr '\n' ' '
}
# deb_candidate ROOT: apt-cache policy's candidate for foo.
deb_candidate() {
	APT_CONFIG=$1/apt.conf apt-cache policy foo 2>/dev/null |
	    sed -n 's/^ *Candidate: *//p'
}

apt_root "$T/apt-dev" "$KEY" "$PG_URL/dev/debian" bookworm
apt_root "$T/apt-prod" "$KEY" "$PG_URL/prod/debian" bookworm
FOO11_RPM=$PG_URL/prod/el9/Packages/foo-1.1-1.noarch.rpm
FOO11_DEB=$PG_URL/prod/debian/$(deb_path foo 1.1)

pg_say "2026-01-13 12:00: foo 1.1 has ripened for prod"
assert_eq "prod: dnf sees foo 1.0 and 1.1" "foo-1.0-1.noarch foo-1.1-1.noarch " \
    "$(rpm_seen "$T/dnf-prod" "$PG_URL/prod/el9")"
assert_eq "prod: apt-get sees foo 1.0 and 1.1" "1.0 1.1 " "$(deb_seen "$T/apt-prod")"
assert_eq "prod: apt-cache policy's candidate is foo 1.1" 1.1 "$(deb_candidate "$T/apt-prod")"
assert_eq "dev: dnf sees foo 1.0 and 1.1" "foo-1.0-1.noarch foo-1.1-1.noarch " \
    "$(rpm_seen "$T/dnf-dev" "$PG_URL/dev/el9")"
assert_eq "dev: apt-get sees foo 1.0 and 1.1" "1.0 1.1 " "$(deb_seen "$T/apt-dev")"
assert_status "$FOO11_RPM" 200
assert_status "$FOO11_DEB" 200

pg_say "2026-01-13 13:00: hold foo 1.1 for prod"
NOW=2026-01-13T13:00:00Z
pg $NOW hold 'foo-1.1*' --group prod --reason "CVE regression"
assert_eq "hold foo-1.1* exits 0" 0 "$PG_RC"
OUT=$(cat "$PG_OUT")
assert_contains "hold says what it held" "$OUT" "held foo-1.1* for group prod: CVE regression"
assert_match "hold: prod's el9 view got a new generation hiding 1 version" "$OUT" \
    "^group prod, mirror el9: new generation gen-[0-9]+; the hold hides 1 version$"
assert_match "hold: prod's debian view is unchanged (an rpm pattern)" "$OUT" \
    "^group prod, mirror debian: unchanged \(gen-[0-9]+\); the hold hides 0 versions$"
assert_not_contains "hold touches no view of dev" "$OUT" "group dev"
# Options before the operand work as well.
pg $NOW hold --group=prod --reason="CVE regression" 'foo=1.1'
assert_eq "hold foo=1.1 exits 0" 0 "$PG_RC"
assert_match "hold: prod's debian view got a new generation hiding 1 version" "$(cat "$PG_OUT")" \
    "^group prod, mirror debian: new generation gen-[0-9]+; the hold hides 1 version$"

assert_eq "prod: dnf no longer sees foo 1.1 on its next refresh" "foo-1.0-1.noarch " \
    "$(rpm_seen "$T/dnf-prod" "$PG_URL/prod/el9")"
assert_eq "prod: apt-get no longer sees foo 1.1 on its next update" "1.0 " "$(deb_seen "$T/apt-prod")"
assert_eq "prod: apt-cache policy's candidate is foo 1.0" 1.0 "$(deb_candidate "$T/apt-prod")"
assert_eq "dev: dnf still sees foo 1.1" "foo-1.0-1.noarch foo-1.1-1.noarch " \
    "$(rpm_seen "$T/dnf-dev" "$PG_URL/dev/el9")"
assert_eq "dev: apt-get still sees foo 1.1" "1.0 1.1 " "$(deb_seen "$T/apt-dev")"
assert_status "$FOO11_RPM" 404
assert_contains "the 404 of the held rpm names the hold's reason" "$(cat "$HTTP_BODY")" "CVE regression"
assert_status "$FOO11_DEB" 404
assert_contains "the 404 of the held deb names the hold's reason" "$(cat "$HTTP_BODY")" "CVE regression"
assert_status "$PG_URL/dev/el9/Packages/foo-1.1-1.noarch.rpm" 200

pg $NOW status
assert_eq "status exits 0" 0 "$PG_RC"
assert_match "status shows the rpm hold, its group, state and reason" "$(cat "$PG_OUT")" \
    "^foo-1\.1\* +prod +active +- +2026-01-13T13:00:00Z +CVE regression$"
assert_match "status shows the apt hold" "$(cat "$PG_OUT")" \
    "^foo=1\.1 +prod +active +- +2026-01-13T13:00:00Z +CVE regression$"
assert_match "status counts 1 held version in prod's el9 view" "$(cat "$PG_OUT")" \
    "^prod +el9 +gen-[0-9]+ +2 +2 +1 +0 +0 +0 +- *$"
pg $NOW status --json
assert_eq "status --json: the holds" \
    "foo-1.1*|prod|CVE regression|None|2026-01-13T13:00:00Z|active foo=1.1|prod|CVE regression|None|2026-01-13T13:00:00Z|active" \
    "$("$PYTHON" -c 'import json,sys
d = json.load(sys.stdin)
print(" ".join("|".join(str(h[k]) for k in ("pattern", "group", "reason", "until", "created", "state")) for h in d["holds"]))' <"$PG_OUT")"

pg_say "errors"
pg $NOW hold 'foo-1.1*' --group nosuchgroup --reason x
assert_eq "hold for an unknown group exits 1" 1 "$PG_RC"
assert_contains "... naming the group" "$(cat "$PG_ERR")" nosuchgroup
pg $NOW hold 'foo-1.1*' --group prod --reason x --until 2026-01-13T12:59:59Z
assert_eq "hold --until in the past exits 1" 1 "$PG_RC"
assert_contains "... saying so" "$(cat "$PG_ERR")" "not in the future"
pg $NOW hold 'foo-1.1*' --group prod --reason x --until tomorrow
assert_eq "hold --until that is no RFC 3339 time exits 1" 1 "$PG_RC"
pg $NOW hold 'f*o*' --reason x
assert_eq "hold of a pattern with two '*' exits 1" 1 "$PG_RC"
assert_contains "... saying why" "$(cat "$PG_ERR")" "more than one '*'"
pg $NOW hold 'foo 1.1' --reason x
assert_eq "hold of a pattern with a blank exits 1" 1 "$PG_RC"
pg $NOW hold 'foo-1.1*' --group prod
assert_eq "hold without --reason exits 2" 2 "$PG_RC"
assert_contains "... with the usage" "$(cat "$PG_ERR")" "usage: patchgate"
pg $NOW hold 'foo-1.1*' --reason ""
assert_eq "hold with an empty --reason exits 2" 2 "$PG_RC"
pg $NOW hold --reason x
assert_eq "hold without a pattern exits 2" 2 "$PG_RC"
pg $NOW hold a b --reason x
assert_eq "hold with two patterns exits 2" 2 "$PG_RC"
pg $NOW hold 'foo-1.1*' --reason x --bogus
assert_eq "hold with an unknown option exits 2" 2 "$PG_RC"
pg $NOW unhold
assert_eq "unhold without a pattern exits 2" 2 "$PG_RC"
pg $NOW unhold 'foo-1.1*'
assert_eq "unhold of a hold that does not exist (no group: every group's) exits 1" 1 "$PG_RC"
assert_contains "... saying so" "$(cat "$PG_ERR")" "no hold on foo-1.1* for every group"
pg $NOW unhold 'foo-1.1*' --group nosuchgroup
assert_eq "unhold for an unknown group exits 1" 1 "$PG_RC"
assert_contains "... naming the group" "$(cat "$PG_ERR")" nosuchgroup
pg $NOW status --bogus
assert_eq "status with an unknown option exits 2" 2 "$PG_RC"
pg $NOW status --json
assert_eq "the refused commands left two holds" 2 \
    "$("$PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)["holds"]))' <"$PG_OUT")"

pg_say "a hold for every group (bar 1.0, part of the base)"
pg $NOW hold 'bar-1.0*' --reason "bad build"
assert_eq "hold bar-1.0* for every group exits 0" 0 "$PG_RC"
assert_match "... hides it in dev's view" "$(cat "$PG_OUT")" \
    "^group dev, mirror el9: new generation gen-[0-9]+; the hold hides 1 version$"
assert_status "$PG_URL/dev/el9/Packages/bar-1.0-1.noarch.rpm" 404
assert_contains "the 404 names the reason" "$(cat "$HTTP_BODY")" "bad build"
assert_status "$PG_URL/prod/el9/Packages/bar-1.0-1.noarch.rpm" 404
pg $NOW unhold 'bar-1.0*' --group prod
assert_eq "unhold names the hold's group exactly: none for prod alone" 1 "$PG_RC"
pg $NOW unhold 'bar-1.0*'
assert_eq "unhold bar-1.0* exits 0" 0 "$PG_RC"
assert_status "$PG_URL/dev/el9/Packages/bar-1.0-1.noarch.rpm" 200
assert_status "$PG_URL/prod/el9/Packages/bar-1.0-1.noarch.rpm" 200

pg_say "2026-01-13 14:00: unhold"
NOW=2026-01-13T14:00:00Z
pg $NOW unhold 'foo-1.1*' --group prod
assert_eq "unhold foo-1.1* exits 0" 0 "$PG_RC"
assert_match "unhold: prod's el9 view got a new generation listing foo 1.1 again" "$(cat "$PG_OUT")" \
    "^group prod, mirror el9: new generation gen-[0-9]+; 1 version matching foo-1.1\* listed$"
pg $NOW unhold 'foo=1.1' --group prod
assert_eq "unhold foo=1.1 exits 0" 0 "$PG_RC"
assert_eq "prod: dnf sees foo 1.1 again on its next refresh" "foo-1.0-1.noarch foo-1.1-1.noarch " \
    "$(rpm_seen "$T/dnf-prod" "$PG_URL/prod/el9")"
assert_eq "prod: apt-get sees foo 1.1 again on its next update" "1.0 1.1 " "$(deb_seen "$T/apt-prod")"
assert_status "$FOO11_RPM" 200
pg $NOW unhold 'foo-1.1*' --group prod
assert_eq "a second unhold exits 1" 1 "$PG_RC"
pg $NOW status --json
assert_eq "no holds left" 0 \
    "$("$PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)["holds"]))' <"$PG_OUT")"

pg_say "2026-01-13 15:00: a hold until 2026-01-14"
NOW=2026-01-13T15:00:00Z
pg $NOW hold 'foo-1.1*' --group prod --reason "until the fix" --until 2026-01-14T00:00:00Z
assert_eq "hold --until exits 0" 0 "$PG_RC"
assert_contains "hold --until says until when" "$(cat "$PG_OUT")" "(until 2026-01-14T00:00:00Z)"
assert_eq "prod: dnf no longer sees foo 1.1" "foo-1.0-1.noarch " \
    "$(rpm_seen "$T/dnf-prod" "$PG_URL/prod/el9")"
assert_status "$FOO11_RPM" 404
assert_contains "the 404 names the reason and the end of the hold" "$(cat "$HTTP_BODY")" \
    "until 2026-01-14T00:00:00Z: until the fix"
pg $NOW status --json
assert_eq "status --json: the hold is active until 2026-01-14 and prod's el9 view changes then" \
    "active 2026-01-14T00:00:00Z 2026-01-14T00:00:00Z 1" \
    "$("$PYTHON" -c 'import json,sys
d = json.load(sys.stdin)
v = [v for v in d["views"] if v["group"] == "prod" and v["mirror"] == "el9"][0]
print(d["holds"][0]["state"], d["holds"][0]["until"], v["next_change"], v["held"])' <"$PG_OUT")"

pg_say "2026-01-14 01:00: the hold has expired"
NOW=2026-01-14T01:00:00Z
pg $NOW publish
assert_eq "publish exits 0" 0 "$PG_RC"
assert_eq "prod: dnf sees foo 1.1 again" "foo-1.0-1.noarch foo-1.1-1.noarch " \
    "$(rpm_seen "$T/dnf-prod" "$PG_URL/prod/el9")"
assert_status "$FOO11_RPM" 200
pg $NOW status
assert_match "status shows the hold as expired" "$(cat "$PG_OUT")" \
    "^foo-1\.1\* +prod +expired +2026-01-14T00:00:00Z +2026-01-13T15:00:00Z +until the fix$"
assert_match "status counts no held version in prod's el9 view" "$(cat "$PG_OUT")" \
    "^prod +el9 +gen-[0-9]+ +3 +3 +0 "
pg $NOW unhold 'foo-1.1*' --group prod
assert_eq "an expired hold can be removed" 0 "$PG_RC"

pg_done
