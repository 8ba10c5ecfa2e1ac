#!/bin/bash
# The commands that ask the planner, end to end: why, diff and preview
# (with --publish, served at /_preview/GROUP/TIME/MIRROR/ and used by real
# dnf and apt-get), against an rpm-md and an apt mirror.
#
#   el9 (rpm-md) on 2026-01-01, the base: foo-1.0 bar-1.0 baz-1.0
#     app-1.0 (Requires: libfoo) libfoo-1.0
#   2026-01-10 12:00: + foo-1.1 (PGTEST-2026-0001 security Important,
#     issued 2026-01-10), bar-2.0 (PGTEST-2026-0002 bugfix), baz-1.1,
#     app-2.0 (Requires: libfoo = 2.0-1), libfoo-2.0
#   debian (apt) on 2026-01-01: hello 1.0; 2026-01-10 12:00: + hello 1.1
#   dev: delay 0.  prod: security/critical after 1d, everything after 7d,
#     bar and libfoo-2.0 rejected (block), baz-1.1 approved.  dep: delay 0,
#     libfoo-2.0 rejected, allow-as-dependency.  aptonly: debian only.
# At 2026-01-13 12:00, prod previews 2026-01-18 00:00: it gains foo-1.1
# and hello 1.1 (ripe 2026-01-17 12:00), not app-2.0 (needs the rejected
# libfoo-2.0).  The preview must list exactly what prod's real view lists
# once `publish` runs at that time: versions and advisories.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"
. "$top_srcdir/tests/e2e/mkaptrepo.sh"

need python3 curl gpg gpgv rpmbuild createrepo_c modifyrepo_c
need_apt
need_dnf
pg_need_programs

W=$T/www
REPO=$W/repo
DEB=$W/debian
STORE=$T/store
NOW=2026-01-13T12:00:00Z
AT=2026-01-18T00:00:00Z

pg_say "upstream el9: foo-1.0 bar-1.0 baz-1.0 app-1.0 libfoo-1.0; debian: hello 1.0"
for p in foo bar baz libfoo; do mkrpm "$REPO/Packages" $p 1.0; done
RPM_REQUIRES="libfoo" mkrpm "$REPO/Packages" app 1.0
mkrepo "$REPO"
mkdeb "$DEB" hello 1.0
mkaptrepo "$DEB" 2025-12-31T00:00:00Z
start_upstream "$W"

PG_CONF=$T/patchgate.conf
cat >"$PG_CONF" <<EOF
[server]
listen = 127.0.0.1:0
store = $STORE
preview-keep = 2d

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
rule = classification=security severity=critical delay=1d
rule = classification=* delay=7d
rejected = bar libfoo-2.0
approved = baz-1.1

[baseline dep]
rule = classification=* delay=0
rejected = libfoo-2.0
rejected-action = allow-as-dependency

[group dev]
baseline = dev
mirrors = el9 debian

[group prod]
baseline = prod
mirrors = el9 debian

[group dep]
baseline = dep
mirrors = el9

[group aptonly]
baseline = dev
mirrors = debian
EOF
RULE7=$(grep -n 'delay=7d' "$PG_CONF" | cut -d: -f1)
RULE0=$(grep -n 'rule = classification=\* delay=0' "$PG_CONF" | head -n 1 | cut -d: -f1)

PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync || fail "the first sync failed"

pg_say "upstream: + foo-1.1, bar-2.0, baz-1.1, app-2.0, libfoo-2.0; hello 1.1"
mkrpm "$REPO/Packages" foo 1.1
mkrpm "$REPO/Packages" bar 2.0
mkrpm "$REPO/Packages" baz 1.1
mkrpm "$REPO/Packages" libfoo 2.0
RPM_REQUIRES="libfoo = 2.0-1" mkrpm "$REPO/Packages" app 2.0
UI=$T/updateinfo.xml
updateinfo_begin "$UI"
UI_CVES=CVE-2026-0001 updateinfo_advisory "$UI" PGTEST-2026-0001 security Important \
    "2026-01-10 00:00:00" "Important: foo security update" foo-1.1-1
updateinfo_advisory "$UI" PGTEST-2026-0002 bugfix Moderate \
    "2026-01-09 00:00:00" "bar bug fix update" bar-2.0-1
updateinfo_end "$UI"
mkrepo "$REPO" "$UI"
mkdeb "$DEB" hello 1.1
mkaptrepo "$DEB" 2026-01-10T06:00:00Z

PATCHGATE_NOW=2026-01-10T12:00:00Z pg_sync || fail "the sync of 2026-01-10 failed"
PATCHGATE_NOW=$NOW pg_sync || fail "the sync of $NOW failed"
PATCHGATE_NOW=$NOW start_patchgated "$PG_CONF"

# pg CMD...: patchgate at $NOW (or $PATCHGATE_NOW); stdout in $OUT, stderr
# in $ERR, the exit status in $RC; all shown in the log.
OUT="" ERR="" RC=0
pg() {
	pg_next cli
	echo "+ PATCHGATE_NOW=${PATCHGATE_NOW:-$NOW} patchgate $*" >&2
	PATCHGATE_NOW=${PATCHGATE_NOW:-$NOW} "$top_builddir/patchgate" -c "$PG_CONF" "$@" \
	    >"$REPLY.out" 2>"$REPLY.err"
	RC=$?
	OUT=$(cat "$REPLY.out")
	ERR=$(cat "$REPLY.err")
	sed 's/^/  1| /' "$REPLY.out" >&2
	sed 's/^/  2| /' "$REPLY.err" >&2
	echo "  (exit $RC)" >&2
}

# jq_py EXPR: evaluates a Python expression over the JSON in $OUT (as j).
jq_py() {
	printf '%s' "$OUT" | "$PYTHON" -c '
import json, sys
j = json.load(sys.stdin)
r = eval(sys.argv[1])
print("\n".join(map(str, r)) if isinstance(r, list) else r)' "$1"
}

# ---------------------------------------------------------------- why

pg_say "why, at $NOW"
pg why prod el9 foo
assert_eq "why prod el9 foo exits 0" 0 "$RC"
assert_contains "why: foo-1.1 is not listed, waiting" "$OUT" "foo-1.1-1.noarch: not listed (waiting)"
assert_contains "why: foo-1.1 names the rule and its line" "$OUT" \
    "rule \"classification=* delay=7d\" (line $RULE7)"
assert_contains "why: foo-1.1 ripens 2026-01-17 12:00" "$OUT" "changes 2026-01-17T12:00:00Z"
assert_contains "why: foo-1.1's release time and age" "$OUT" "released 2026-01-10T12:00:00Z, 3d 0h ago"
assert_match "why: foo-1.1's advisory" "$OUT" "advisory PGTEST-2026-0001 \(security, Important\)"
assert_contains "why: foo-1.0 is listed, base" "$OUT" "foo-1.0-1.noarch: listed (base)"
first=$(printf '%s\n' "$OUT" | grep -m1 -o 'foo-1\.[01]-1\.noarch')
assert_eq "why lists the newest version first" foo-1.1-1.noarch "$first"

pg why dev el9 foo
assert_contains "why dev: foo-1.1 listed by a rule" "$OUT" "foo-1.1-1.noarch: listed (rule)"
assert_contains "why dev: the rule of baseline dev and its line" "$OUT" \
    "rule \"classification=* delay=0\" (line $RULE0)"

pg why prod el9 bar
assert_contains "why: bar-2.0 rejected" "$OUT" "bar-2.0-1.noarch: not listed (rejected)"
assert_contains "why: bar-1.0 rejected too, with the pattern" "$OUT" "rejected = bar"

pg why prod el9 baz
assert_contains "why: baz-1.1 approved" "$OUT" "baz-1.1-1.noarch: listed (approved)"
assert_contains "why: baz-1.1 names the approval" "$OUT" "approved = baz-1.1"

PATCHGATE_NOW=$AT pg why prod el9 app
assert_contains "why at $AT: app-2.0 held back for a dependency" "$OUT" \
    "app-2.0-1.noarch: not listed (needs-hidden)"
assert_contains "why at $AT: app-2.0 names what it needs" "$OUT" "libfoo"

pg why dep el9 libfoo
assert_contains "why dep: libfoo-2.0 listed as a dependency" "$OUT" \
    "libfoo-2.0-1.noarch: listed (dependency)"
assert_contains "why dep: it says who needs it" "$OUT" "allow-as-dependency"

pg why prod debian hello
assert_contains "why apt: hello 1.1 waiting" "$OUT" "hello 1.1 (all): not listed (waiting)"
assert_contains "why apt: released at the first sync that saw it" "$OUT" \
    "released 2026-01-10T12:00:00Z, 3d 0h ago"

pg why --json prod el9 foo
assert_eq "why --json exits 0" 0 "$RC"
assert_eq "why --json: top-level fields" "group mirror package now versions next_change" \
    "$(jq_py '" ".join(j.keys())')"
assert_eq "why --json: version fields" \
    "label name arch epoch version release location released age advisories listed visible reason why rule changes" \
    "$(jq_py '" ".join(j["versions"][0].keys())')"
assert_eq "why --json: foo-1.1 first, waiting, not listed" "foo-1.1-1.noarch waiting False" \
    "$(jq_py '"%s %s %s" % (j["versions"][0]["label"], j["versions"][0]["reason"], j["versions"][0]["listed"])')"
assert_eq "why --json: the rule" "classification=* delay=7d $RULE7" \
    "$(jq_py '"%s %s" % (j["versions"][0]["rule"]["text"], j["versions"][0]["rule"]["line"])')"
assert_eq "why --json: released, age, changes" "2026-01-10T12:00:00Z 259200 2026-01-17T12:00:00Z" \
    "$(jq_py '"%s %s %s" % (j["versions"][0]["released"], j["versions"][0]["age"], j["versions"][0]["changes"])')"
assert_eq "why --json: the advisory" "PGTEST-2026-0001 security important" \
    "$(jq_py '" ".join(j["versions"][0]["advisories"][0][k].lower() for k in ("id", "type", "severity")).replace("pgtest", "PGTEST")')"
assert_eq "why --json: next change of the view" 2026-01-17T12:00:00Z "$(jq_py 'j["next_change"]')"

pg_say "why: errors"
pg why nosuch el9 foo
assert_eq "why with an unknown group exits 1" 1 "$RC"
assert_contains "... naming it" "$ERR" "no group named nosuch"
pg why prod nomirror foo
assert_eq "why with an unknown mirror exits 1" 1 "$RC"
assert_contains "... naming it" "$ERR" "no mirror named nomirror"
pg why prod el9 nosuchpkg
assert_eq "why with an unknown package exits 1" 1 "$RC"
assert_contains "... naming it" "$ERR" "has no package named nosuchpkg"
pg why aptonly el9 foo
assert_eq "why for a group that does not use the mirror exits 1" 1 "$RC"
assert_contains "... saying so" "$ERR" "group aptonly does not use mirror el9"
pg why prod el9
assert_eq "why with too few arguments exits 2" 2 "$RC"
pg why --bogus prod el9 foo
assert_eq "why with an unknown option exits 2" 2 "$RC"

# ---------------------------------------------------------------- diff

pg_say "diff, at $NOW"
pg diff dev prod el9
assert_eq "diff dev prod el9 exits 0" 0 "$RC"
assert_contains "diff: foo-1.1 only in dev, waiting in prod" "$OUT" \
    "only in dev: foo-1.1-1.noarch (dev: rule; prod: waiting)"
assert_contains "diff: with its release time and age" "$OUT" "released 2026-01-10T12:00:00Z, 3d 0h ago"
assert_contains "diff: bar-2.0 only in dev, rejected in prod" "$OUT" \
    "only in dev: bar-2.0-1.noarch (dev: rule; prod: rejected)"
assert_not_contains "diff: baz-1.1 is in both" "$OUT" "baz-1.1"
assert_not_contains "diff: nothing only in prod" "$OUT" "only in prod:"

pg diff --json dev prod
assert_eq "diff --json exits 0" 0 "$RC"
assert_eq "diff --json: top-level fields" "group_a group_b now mirrors" "$(jq_py '" ".join(j.keys())')"
assert_eq "diff --json: both shared mirrors" "el9 debian" "$(jq_py '" ".join(m["mirror"] for m in j["mirrors"])')"
assert_eq "diff --json: mirror fields" "mirror listed_a listed_b only_a only_b" \
    "$(jq_py '" ".join(j["mirrors"][0].keys())')"
assert_eq "diff --json: el9 only in dev" \
    "app-2.0-1.noarch bar-1.0-1.noarch bar-2.0-1.noarch foo-1.1-1.noarch libfoo-2.0-1.noarch" \
    "$(jq_py '" ".join(sorted(v["label"] for v in j["mirrors"][0]["only_a"]))')"
assert_eq "diff --json: foo-1.1's age and both reasons" "259200 rule waiting" \
    "$(jq_py '" ".join(str(v[k]) for v in j["mirrors"][0]["only_a"] if v["name"] == "foo" for k in ("age", "reason_a", "reason_b"))')"
assert_eq "diff --json: entry fields" \
    "label name arch epoch version release location released age advisories reason_a reason_b why_a why_b" \
    "$(jq_py '" ".join(j["mirrors"][0]["only_a"][0].keys())')"
assert_eq "diff --json: debian's hello 1.1 only in dev" "hello 1.1 (all)" \
    "$(jq_py '" ".join(v["label"] for v in j["mirrors"][1]["only_a"])')"
pg diff dev aptonly el9
assert_eq "diff naming a mirror one group does not use exits 1" 1 "$RC"
pg diff dev
assert_eq "diff with one group exits 2" 2 "$RC"

# ---------------------------------------------------------------- preview

pg_say "preview prod at $AT, from $NOW"
pg preview --json prod --at $AT
assert_eq "preview --json exits 0" 0 "$RC"
assert_eq "preview --json: top-level fields" "group now at mirrors" "$(jq_py '" ".join(j.keys())')"
assert_eq "preview --json: mirror fields" "mirror listed_now listed_at gains losses next_change url path" \
    "$(jq_py '" ".join(j["mirrors"][0].keys())')"
assert_eq "preview --json: gain fields" \
    "label name arch epoch version release location released age advisories reason_now reason_at why_now why_at changes" \
    "$(jq_py '" ".join(j["mirrors"][0]["gains"][0].keys())')"
PV_GAINS=$(jq_py '" ".join(sorted(v["label"] for v in j["mirrors"][0]["gains"]))')
assert_eq "preview: el9 gains foo-1.1 only" "foo-1.1-1.noarch" "$PV_GAINS"
assert_eq "preview: el9 loses nothing" "" "$(jq_py '" ".join(v["label"] for v in j["mirrors"][0]["losses"])')"
assert_eq "preview: foo-1.1 waiting now, listed by a rule then, from 2026-01-17 12:00" \
    "waiting rule 2026-01-17T12:00:00Z PGTEST-2026-0001" \
    "$(jq_py '" ".join(str(v[k]) for v in j["mirrors"][0]["gains"] for k in ("reason_now", "reason_at", "changes")) + " " + j["mirrors"][0]["gains"][0]["advisories"][0]["id"]')"
assert_eq "preview: debian gains hello 1.1" "hello 1.1 (all)" \
    "$(jq_py '" ".join(v["label"] for v in j["mirrors"][1]["gains"])')"

pg preview prod --at $AT el9
assert_contains "preview (text): gains foo-1.1" "$OUT" "gains foo-1.1-1.noarch (now: waiting; then: rule)"
assert_not_contains "preview (text): app-2.0 stays out" "$OUT" "app-2.0"

pg_say "preview: errors"
pg preview prod --at yesterday-ish
assert_eq "preview with a bad time exits 1" 1 "$RC"
assert_contains "... saying so" "$ERR" "not a time"
pg preview prod --at 2026-01-12T00:00:00Z
assert_eq "preview of a past time exits 1" 1 "$RC"
assert_contains "... saying so" "$ERR" "in the past"
pg preview nosuch --at $AT
assert_eq "preview of an unknown group exits 1" 1 "$RC"
assert_contains "... naming it" "$ERR" "no group named nosuch"
pg preview prod
assert_eq "preview without --at exits 2" 2 "$RC"

pg_say "preview --publish"
pg preview --json --publish prod --at 2026-01-18T01:00:00+01:00
assert_eq "preview --publish exits 0 (a time with an offset)" 0 "$RC"
assert_eq "preview --publish: the URLs, in UTC" \
    "/_preview/prod/$AT/el9/ /_preview/prod/$AT/debian/" \
    "$(jq_py '" ".join(m["url"] for m in j["mirrors"])')"
# Published again: the same key is replaced.
pg preview --publish prod --at $AT
assert_eq "preview --publish again replaces it" 0 "$RC"
assert_contains "... and says where it is served" "$OUT" "published: /_preview/prod/$AT/el9/"

PV=$PG_URL/_preview/prod/$AT/el9
PVD=$PG_URL/_preview/prod/$AT/debian
assert_status "$PV/repodata/repomd.xml" 200
assert_true "the preview: every file repomd.xml names is served as named" pg_rpmmd consistent "$PV"
assert_true "the preview: repomd.xml.asc verifies against /_key.asc" verify_repomd_sig "$PV"
assert_status "$PV/Packages/bar-2.0-1.noarch.rpm" 404
assert_match "the preview: a rejected file is 404 with the reason" "$(cat "$HTTP_BODY")" "reject"
assert_status "$PV/Packages/foo-1.1-1.noarch.rpm" 200
assert_status "$PG_URL/_preview/prod/2026-01-18T01:00:00+01:00/el9/repodata/repomd.xml" 404
assert_match "a time not in the canonical form is 404 with the reason" "$(cat "$HTTP_BODY")" "not a preview time"
assert_status "$PG_URL/_preview/prod/2026-01-19T00:00:00Z/el9/repodata/repomd.xml" 404
assert_match "an unpublished preview is 404 with the reason" "$(cat "$HTTP_BODY")" "no preview of group prod"
assert_status "$PG_URL/_preview/nosuch/$AT/el9/repodata/repomd.xml" 404
assert_eq "... an unknown group too: no such view" "no such view" "$(cat "$HTTP_BODY")"
assert_status "$PG_URL/_preview/aptonly/$AT/el9/repodata/repomd.xml" 404
assert_eq "... a mirror the group does not use: the same text" "no such view" "$(cat "$HTTP_BODY")"

pg_say "dnf from the preview, dnf from prod"
dnf_in "$T/pv" "$PV" install foo || pg_notok "dnf install foo from the preview"
assert_eq "dnf installs foo-1.1 from the preview" 1.1-1 "$(installed "$T/pv" foo)"
dnf_in "$T/prod" "$PG_URL/prod/el9" install foo || pg_notok "dnf install foo from prod"
assert_eq "... while prod's view still installs foo-1.0" 1.0-1 "$(installed "$T/prod" foo)"

pg_say "apt-get from the preview"
KEY=$(apt_proxy_key)
apt_root "$T/apv" "$KEY" "$PVD" bookworm
apt_update "$T/apv" || pg_notok "apt-get update from the preview, without warnings"
assert_eq "apt-get sees hello 1.0 and 1.1 in the preview" "$(printf '1.0\n1.1')" "$(apt_versions "$T/apv" hello)"
assert_true "the apt preview: Date and Valid-Until hold now" pg_apt dates "$PVD/dists/bookworm/InRelease" $NOW
assert_true "the apt preview: Valid-Until is after the preview's time" \
    pg_apt dates "$PVD/dists/bookworm/InRelease" 2026-01-18T00:00:01Z
assert_true "the apt preview: InRelease verifies against /_key.asc" apt_verify_sig "$PVD" bookworm "$KEY"

# What the preview holds, kept for the comparison with the real view.
for t in primary updateinfo; do
	pg_rpmmd fetch "$PV" $t "$T/pv-$t.xml" || pg_notok "the preview lists $t"
done
pg_apt index "$PVD" bookworm main amd64 "$T/pv.Packages" || pg_notok "the apt preview lists Packages"

pg_rpmmd fetch "$PG_URL/prod/el9" primary "$T/now-primary.xml" || pg_notok "prod's view lists primary at $NOW"

pg_say "a publish within preview-keep keeps the preview"
PATCHGATE_NOW=2026-01-14T00:00:00Z pg publish
assert_eq "publish at 2026-01-14 exits 0" 0 "$RC"
assert_status "$PV/repodata/repomd.xml" 200

pg_say "the clock reaches $AT: prod's real view"
PATCHGATE_NOW=$AT pg publish
assert_eq "publish at $AT exits 0" 0 "$RC"
PROD=$PG_URL/prod/el9
for t in primary updateinfo; do
	pg_rpmmd fetch "$PROD" $t "$T/real-$t.xml" || pg_notok "prod's view lists $t at $AT"
done
# nevras FILE: name-version-release.arch of every <package> of a primary.
nevras() {
	"$PYTHON" - "$1" <<-'PYEOF'
	import re, sys
	doc = open(sys.argv[1], "rb").read()
	out = []
	for p in re.findall(rb'<package[\s>].*?</package>', doc, re.S):
	    n = re.search(rb'<name>([^<]*)</name>', p).group(1).decode()
	    a = re.search(rb'<arch>([^<]*)</arch>', p).group(1).decode()
	    v = re.search(rb'<version [^>]*ver="([^"]*)" rel="([^"]*)"', p)
	    out.append("%s-%s-%s.%s" % (n, v.group(1).decode(), v.group(2).decode(), a))
	print("\n".join(sorted(out)))
	PYEOF
}
# pkgs FILE: the <package> elements of a primary, sorted, as bytes.
pkgs() {
	"$PYTHON" -c 'import re, sys; print(b"\n".join(sorted(re.findall(rb"<package[\s>].*?</package>", open(sys.argv[1], "rb").read(), re.S))).decode())' "$1"
}
ids() { grep -o '<id>[^<]*</id>' "$1" | sort; }
assert_eq "the preview listed exactly the versions prod lists at $AT" \
    "$(nevras "$T/real-primary.xml")" "$(nevras "$T/pv-primary.xml")"
assert_eq "... byte for byte" "$(pkgs "$T/real-primary.xml")" "$(pkgs "$T/pv-primary.xml")"
assert_contains "... which include foo-1.1" "$(nevras "$T/real-primary.xml")" foo-1.1-1.noarch
assert_eq "the preview's advisories are prod's at $AT" "$(ids "$T/real-updateinfo.xml")" "$(ids "$T/pv-updateinfo.xml")"
assert_eq "... updateinfo byte for byte" "$(cat "$T/real-updateinfo.xml")" "$(cat "$T/pv-updateinfo.xml")"
assert_contains "... which name PGTEST-2026-0001" "$(ids "$T/real-updateinfo.xml")" PGTEST-2026-0001
# The gains preview named are what the real view added.
dnf_available "$T/prod" "$PROD" >"$T/real-avail"
assert_eq "the gains preview named are what prod's view added" "$PV_GAINS" \
    "$(nevras "$T/real-primary.xml" | grep -vxF -f <(nevras "$T/now-primary.xml") | tr '\n' ' ' | sed 's/ $//')"
assert_eq "... and it lost nothing" "" \
    "$(nevras "$T/now-primary.xml" | grep -vxF -f <(nevras "$T/real-primary.xml"))"
assert_eq "dnf sees the same in prod's real view" "$(nevras "$T/real-primary.xml")" "$(cat "$T/real-avail")"
pg_apt index "$PG_URL/prod/debian" bookworm main amd64 "$T/real.Packages" ||
	pg_notok "prod's apt view lists Packages at $AT"
assert_files_eq "the apt preview's Packages is prod's at $AT" "$T/real.Packages" "$T/pv.Packages"

pg_say "preview-keep: the publish at $AT removed the preview of $NOW"
assert_status "$PV/repodata/repomd.xml" 404
assert_match "... with the reason" "$(cat "$HTTP_BODY")" "no preview of group prod"
assert_eq "... and its directory" "" "$(ls "$STORE/previews" 2>/dev/null)"

pg_say "a bad preview-keep"
sed 's/^preview-keep = 2d/preview-keep = soon/' "$PG_CONF" >"$T/bad.conf"
"$top_builddir/patchgate" -c "$T/bad.conf" why prod el9 foo >"$T/bad.out" 2>&1
assert_eq "a bad preview-keep is a configuration error" 1 "$?"
assert_contains "... naming the line and the key" "$(cat "$T/bad.out")" "bad.conf:4: preview-keep: bad duration"

pg_done
