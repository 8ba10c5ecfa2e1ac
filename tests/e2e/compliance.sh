#!/bin/bash
# Patch compliance, end to end: machines report their real inventories
# (rpm --root and dpkg-query of test roots) to patchgated with curl, and
# "patchgate compliance --json" gives each machine and package Patch
# Manager's state.
#
#   rpm-md mirror el9, group prod: foo, bar, baz 1.0 on 2026-01-01 (the
#   base); on 2026-01-10 12:00 foo-1.1 (PGTEST-2026-0001, security,
#   Important, CVE-2026-0001) and baz-1.1 (no advisory) arrive.  prod lets
#   security fixes in at once and the rest after 7 days, and rejects
#   bar-1.0.  On 2026-01-11:
#     r-current  foo-1.1 baz-1.0 local-1.0  COMPLIANT: foo Installed, baz
#                NotYetApproved until 2026-01-17T12:00:00Z, local
#                InstalledOther
#     r-old      foo-1.0 baz-1.0            NON_COMPLIANT: foo Missing, with
#                its advisory
#     r-rejected foo-1.1 bar-1.0            NON_COMPLIANT: bar InstalledRejected
#   After two days (report-stale) every report is STALE.
#   apt mirror debian, group debs: app 1.0 and 2.0 (the base).  The apt
#   hook from _setup?hook=apt, put in a machine's apt.conf.d, reports on a
#   real apt-get install: app=1.0 makes it NON_COMPLIANT (app Missing), the
#   upgrade to 2.0 COMPLIANT.
#   Bad reports (binary, bad lines, too many lines, too large, a wrong
#   group or host name) get a 4xx that says why and change nothing stored.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"
. "$top_srcdir/tests/e2e/mkaptrepo.sh"

need python3 curl gpg rpmbuild createrepo_c modifyrepo_c rpm sha256sum
need_apt
need dpkg dpkg-query
pg_need_programs

W=$T/www
REPO=$W/repo
DEB=$W/debian
STORE=$T/store
RPMQF='%{NAME} %{EPOCHNUM} %{VERSION} %{RELEASE} %{ARCH}\n'

# compliance_json NOW [ARGS]: patchgate compliance --json at NOW, into $CJ.
CJ=""
compliance_json() {
	local now=$1
	shift
	pg_next compliance
	CJ=$REPLY.json
	PATCHGATE_NOW=$now "$top_builddir/patchgate" -c "$PG_CONF" compliance --json "$@" \
	    >"$CJ" 2>"$REPLY.err" || {
		pg_notok "patchgate compliance --json $* at $now" "$(cat "$REPLY.err")"
		return 1
	}
	sed 's/^/  | /' "$CJ" >&2
}

# cj EXPR: evaluates a Python expression over the JSON in $CJ, with
# m(group, host) a machine and p(group, host, name) one of its packages.
cj() {
	"$PYTHON" - "$CJ" "$1" <<-'EOF'
	import json, sys
	d = json.load(open(sys.argv[1]))
	g = lambda name: [x for x in d["groups"] if x["group"] == name][0]
	m = lambda gr, h: [x for x in g(gr)["machines"] if x["host"] == h][0]
	p = lambda gr, h, n: [x for x in m(gr, h)["packages"] if x["name"] == n][0]
	try:
	    r = eval(sys.argv[2])
	except (KeyError, IndexError) as e:
	    r = "(missing: %s)" % e
	print(r if isinstance(r, str) else json.dumps(r))
	EOF
}

# rpm_machine ROOT RPM...: a root whose rpm database holds RPMs (files).
rpm_machine() {
	local root=$1
	shift
	mkdir -p "$root"
	rpm --root "$root" -i --nodeps --noscripts "$@" >"$T/log/rpm-i.${root##*/}.log" 2>&1 ||
		fail "rpm -i into ${root##*/}: $(cat "$T/log/rpm-i.${root##*/}.log")"
}

# report_rpm ROOT HOST: POSTs ROOT's real rpm inventory as HOST; prints
# the status; the answer is in $T/report.HOST.out.
report_rpm() {
	{ echo '# kernel: 5.14.0-362.el9.x86_64'; echo '# reboot-required: no'
	  rpm --root "$1" -qa --qf "$RPMQF"; } >"$T/report.$2.txt"
	curl -s --max-time 30 -o "$T/report.$2.out" -w '%{http_code}' -H 'Content-Type: text/plain' \
	    --data-binary @"$T/report.$2.txt" "$PG_URL/prod/_report/$2"
}

pg_say "upstream: el9 with foo, bar, baz 1.0; debian with app 1.0 and 2.0"
for p in foo bar baz; do mkrpm "$REPO/Packages" $p 1.0; done
mkrepo "$REPO"
mkdeb "$DEB" app 1.0
mkdeb "$DEB" app 2.0
mkaptrepo "$DEB" 2025-12-31T00:00:00Z
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

[baseline prod]
rule = classification=security delay=0
rule = classification=* delay=7d
rejected = bar-1.0

[baseline debs]
rule = classification=* delay=0

[group prod]
baseline = prod
mirrors = el9

[group debs]
baseline = debs
mirrors = debian
report-stale = 1d
EOF

PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync || fail "the first sync failed"
pg_say "upstream: + foo-1.1 (PGTEST-2026-0001 security Important), baz-1.1"
mkrpm "$REPO/Packages" foo 1.1
mkrpm "$REPO/Packages" baz 1.1
UI=$T/updateinfo.xml
updateinfo_begin "$UI"
UI_CVES=CVE-2026-0001 updateinfo_advisory "$UI" PGTEST-2026-0001 security Important \
    "2026-01-10 00:00:00" "Important: foo security update" foo-1.1-1
updateinfo_end "$UI"
mkrepo "$REPO" "$UI"
PATCHGATE_NOW=2026-01-10T12:00:00Z pg_sync || fail "the sync of 2026-01-10 failed"
PATCHGATE_NOW=2026-01-11T00:00:00Z start_patchgated "$PG_CONF"

pg_say "rpm machines: real rpm databases in roots"
mkrpm "$T/local" local 1.0
rpm_machine "$T/r-current" "$T/rpms/foo-1.1-1.noarch.rpm" "$T/rpms/baz-1.0-1.noarch.rpm" \
    "$T/local/local-1.0-1.noarch.rpm"
rpm_machine "$T/r-old" "$T/rpms/foo-1.0-1.noarch.rpm" "$T/rpms/baz-1.0-1.noarch.rpm"
rpm_machine "$T/r-rejected" "$T/rpms/foo-1.1-1.noarch.rpm" "$T/rpms/bar-1.0-1.noarch.rpm"
assert_eq "rpm --root lists r-old's packages" "$(printf '%s\n' 'baz 0 1.0 1 noarch' 'foo 0 1.0 1 noarch')" \
    "$(rpm --root "$T/r-old" -qa --qf "$RPMQF" | sort)"
for h in r-current r-old r-rejected; do
	assert_eq "POST /prod/_report/$h: 200" 200 "$(report_rpm "$T/$h" "$h")"
	assert_contains "... the answer says what was stored" "$(cat "$T/report.$h.out")" \
	    "report of $h for group prod stored"
	assert_true "... as STORE/reports/prod/$h/latest" test -f "$STORE/reports/prod/$h/latest"
done
assert_contains "the stored report is the inventory, received by the daemon's clock" \
    "$(cat "$STORE/reports/prod/r-old/latest")" "# received: 2026-01-11T00:00:00Z"

pg_say "compliance on 2026-01-11 12:00"
compliance_json 2026-01-11T12:00:00Z prod
assert_eq "r-current is COMPLIANT" COMPLIANT "$(cj 'm("prod","r-current")["status"]')"
assert_eq "r-current: foo-1.1 is Installed" Installed "$(cj 'p("prod","r-current","foo")["state"]')"
assert_eq "r-current: baz-1.0 is NotYetApproved" NotYetApproved "$(cj 'p("prod","r-current","baz")["state"]')"
assert_eq "... baz-1.1 ripens on 2026-01-17 12:00 (7 days after it was first seen)" \
    "1.1-1 2026-01-17T12:00:00Z" "$(cj 'p("prod","r-current","baz")["pending"] + " " + p("prod","r-current","baz")["ripens"]')"
assert_eq "r-current: local-1.0 (no mirror has it) is InstalledOther" InstalledOther \
    "$(cj 'p("prod","r-current","local")["state"]')"
assert_eq "r-current: the kernel and reboot flag of its report" "5.14.0-362.el9.x86_64 false" \
    "$(cj 'm("prod","r-current")["kernel"] + " " + json.dumps(m("prod","r-current")["reboot_required"])')"
assert_eq "r-old is NON_COMPLIANT" NON_COMPLIANT "$(cj 'm("prod","r-old")["status"]')"
assert_eq "r-old: foo-1.0 is Missing, foo-1.1 is in the view" "Missing 1.1-1 el9" \
    "$(cj '" ".join([p("prod","r-old","foo")["state"], p("prod","r-old","foo")["available"], p("prod","r-old","foo")["mirror"]])')"
assert_eq "r-old: the advisory behind it, with severity and CVEs" \
    '[{"id": "PGTEST-2026-0001", "type": "security", "severity": "important", "cves": ["CVE-2026-0001"], "packages": ["foo 1.1-1"]}]' \
    "$(cj 'm("prod","r-old")["missing_advisories"]')"
assert_eq "r-rejected is NON_COMPLIANT" NON_COMPLIANT "$(cj 'm("prod","r-rejected")["status"]')"
assert_eq "r-rejected: bar-1.0 is InstalledRejected" InstalledRejected "$(cj 'p("prod","r-rejected","bar")["state"]')"
assert_eq "r-rejected: no advisory (nothing is Missing)" "[]" "$(cj 'm("prod","r-rejected")["missing_advisories"]')"
assert_eq "prod: 3 machines, 1 compliant, 2 not, none stale" \
    '{"machines": 3, "compliant": 1, "non_compliant": 2, "stale": 0}' "$(cj 'g("prod")["summary"]')"
assert_eq "prod: one machine misses a security fix the view offers" 1 "$(cj 'g("prod")["exposure"]["missing_security"]')"
# /metrics has the same figures once a publish has judged the reports.
PATCHGATE_NOW=2026-01-11T12:00:00Z "$top_builddir/patchgate" -c "$PG_CONF" publish 2>"$T/publish.err" ||
	pg_notok "patchgate publish" "$(cat "$T/publish.err")"
assert_status "$PG_URL/metrics" 200
assert_eq "/metrics: prod has 1 compliant, 2 non-compliant, 0 stale machines" "1 2 0" \
    "$(for st in compliant non_compliant stale; do
	sed -n "s/^patchgate_compliance_machines{group=\"prod\",state=\"$st\"} //p" "$HTTP_BODY"
    done | tr '\n' ' ' | sed 's/ $//')"
assert_eq "/metrics: 1 machine misses a ripe security fix" 1 \
    "$(sed -n 's/^patchgate_compliance_missing_security_machines{group="prod"} //p' "$HTTP_BODY")"
assert_eq "every state is one of Patch Manager's" true \
    "$(cj 'all(x["state"] in ("Installed","InstalledOther","InstalledRejected","Missing","NotYetApproved") for gr in d["groups"] for mm in gr["machines"] for x in mm["packages"])')"
out=$(PATCHGATE_NOW=2026-01-11T12:00:00Z "$top_builddir/patchgate" -c "$PG_CONF" compliance prod 2>&1)
echo "$out" | sed 's/^/  | /' >&2
assert_match "the human form says r-old misses foo with its advisory" "$out" \
    "advisory PGTEST-2026-0001 \(security, Important\): CVE-2026-0001 fixes foo 1.1-1"
assert_match "... and sums up the group" "$out" "3 machines: 1 compliant, 2 non-compliant, 0 stale"
out=$(PATCHGATE_NOW=2026-01-11T12:00:00Z "$top_builddir/patchgate" -c "$PG_CONF" compliance --host r-current 2>&1)
assert_match "--host lists every package of the machine" "$out" "InstalledOther +local 0?:?1.0-1"

pg_say "two days later every report is stale"
compliance_json 2026-01-13T01:00:00Z prod
assert_eq "r-current is STALE after report-stale (2d)" true "$(cj 'm("prod","r-current")["stale"]')"
assert_eq "... and still COMPLIANT as of its last report" COMPLIANT "$(cj 'm("prod","r-current")["status"]')"
assert_eq "prod: 3 stale" 3 "$(cj 'g("prod")["summary"]["stale"]')"

pg_say "bad reports: 4xx with the reason, nothing stored changes"
before=$(sha256sum <"$STORE/reports/prod/r-current/latest")
nbefore=$(ls "$STORE/reports/prod/r-current" | wc -l)
printf 'foo 0 1.1\x00\x01\x02\xff binary' >"$T/bin.txt"
assert_status "$PG_URL/prod/_report/r-current" 400 --data-binary @"$T/bin.txt"
assert_contains "binary: 400 says NUL byte" "$(cat "$HTTP_BODY")" "NUL byte"
printf 'foo 0 1.1 1 noarch\nthis is not a package line at all\n' >"$T/bad.txt"
assert_status "$PG_URL/prod/_report/r-current" 400 --data-binary @"$T/bad.txt"
assert_contains "a bad line: 400 names it" "$(cat "$HTTP_BODY")" "line 2: more than 6 fields"
awk 'BEGIN { for (i = 0; i <= 100000; i++) print "p 1 a" }' >"$T/lines.txt"
assert_status "$PG_URL/prod/_report/r-current" 413 --data-binary @"$T/lines.txt"
assert_contains "100001 lines: 413 says the limit" "$(cat "$HTTP_BODY")" "more than 100000 lines"
head -c 3145728 /dev/zero | tr '\0' 'a' >"$T/3m.txt"
assert_status "$PG_URL/prod/_report/r-current" 413 --data-binary @"$T/3m.txt"
assert_contains "3 MiB: 413 says the limit" "$(cat "$HTTP_BODY")" "a report has at most 2097152"
truncate -s 100M "$T/100m.txt"
assert_status "$PG_URL/prod/_report/r-current" 413 -X POST -T "$T/100m.txt"
rm -f "$T/100m.txt" "$T/3m.txt"
assert_status "$PG_URL/nosuch/_report/r-current" 404 --data-binary 'foo 0 1 1 noarch'
assert_eq "a wrong group: 404, no such view" "no such view" "$(cat "$HTTP_BODY")"
assert_status "$PG_URL/prod/_report/-bad" 400 --data-binary 'foo 0 1 1 noarch'
assert_contains "a bad host name: 400 says so" "$(cat "$HTTP_BODY")" "not a host name"
assert_status "$PG_URL/prod/_report/r-current" 405
assert_status "$PG_URL/prod/el9/repodata/repomd.xml" 405 --data-binary 'x'
assert_eq "the stored report of r-current is unchanged" "$before" \
    "$(sha256sum <"$STORE/reports/prod/r-current/latest")"
assert_eq "... and no report was added" "$nbefore" "$(ls "$STORE/reports/prod/r-current" | wc -l)"

pg_say "the hooks of _setup"
assert_status "$PG_URL/prod/el9/_setup?hook=dnf" 200
assert_match "dnf: a post-transaction-actions line that posts rpm -qa" "$(cat "$HTTP_BODY")" \
    "^\*:any:.*rpm -qa --qf '%\{NAME\} %\{EPOCHNUM\} %\{VERSION\} %\{RELEASE\} %\{ARCH\}\\\\n'.*$PG_URL/prod/_report/"
cp "$HTTP_BODY" "$T/patchgate-report.action"

pg_say "an rpm machine with the dnf hook: a real dnf install reports"
# dnf-plugins-core's post-transaction-actions runs the hook after the
# transaction; rpm in the hook is the machine's, here the installroot's
# (a wrapper adds --root), and the machine reports as uname -n.
D=$T/dnf1
HOSTNAME_=$(uname -n)
mkdir -p "$T/dnfplug/actions" "$T/bin"
cp "$T/patchgate-report.action" "$T/dnfplug/actions/"
printf '[main]\nenabled = 1\nactiondir = %s/\n' "$T/dnfplug/actions" \
    >"$T/dnfplug/post-transaction-actions.conf"
printf '#!/bin/sh\nexec /usr/bin/rpm --root "%s" "$@"\n' "$D" >"$T/bin/rpm"
chmod +x "$T/bin/rpm"
# Debian 12's dnf-plugins-core 4.3.1 calls libdnf.conf.ConfigParser_substitute,
# which its libdnf (built with a newer SWIG) names ConfigParser.substitute:
# unpatched, the plugin fails on every transaction.  The alias stands in for
# that packaging fix; the plugin itself runs as shipped.
mkdir -p "$T/pyshim"
cat >"$T/pyshim/sitecustomize.py" <<'EOF'
try:
    import libdnf.conf as _c
    if not hasattr(_c, "ConfigParser_substitute"):
        _c.ConfigParser_substitute = _c.ConfigParser.substitute
except ImportError:
    pass
EOF
rm -rf "$STORE/reports/prod/$HOSTNAME_"
# scripts/install-deps unpacks the plugin (dnf-plugins-core conflicts with
# zypper in Debian 12, so it is not installed).
PLUGINS=/var/lib/patchgate-tests/dnf-plugins-core/usr/lib/python3/dist-packages/dnf-plugins
[ -f "$PLUGINS/post-transaction-actions.py" ] || fail "no $PLUGINS: run scripts/install-deps"
export DNF_PLUGINS=True PYTHONPATH=$T/pyshim:${PLUGINS%/dnf-plugins}
export DNF_MAIN_EXTRA="pluginconfpath=$T/dnfplug"$'\n'"pluginpath=$PLUGINS"
PATH=$T/bin:$PATH dnf_in "$D" "$PG_URL/prod/el9" --disableplugin='*' \
    --enableplugin=post-transaction-actions install foo-1.0 ||
	pg_notok "dnf1: dnf install foo-1.0"
assert_contains "the hook stored a report of this machine with foo 1.0" \
    "$(cat "$STORE/reports/prod/$HOSTNAME_/latest" 2>/dev/null)" "foo 0 1.0 1 noarch"
compliance_json 2026-01-11T12:00:00Z prod
assert_eq "dnf1 with foo 1.0 is NON_COMPLIANT, foo Missing" "NON_COMPLIANT Missing" \
    "$(cj "m('prod','$HOSTNAME_')['status'] + ' ' + p('prod','$HOSTNAME_','foo')['state']")"
PATH=$T/bin:$PATH dnf_in "$D" "$PG_URL/prod/el9" --disableplugin='*' \
    --enableplugin=post-transaction-actions upgrade foo ||
	pg_notok "dnf1: dnf upgrade foo"
unset DNF_PLUGINS DNF_MAIN_EXTRA PYTHONPATH
assert_contains "the hook reported again, with foo 1.1" \
    "$(cat "$STORE/reports/prod/$HOSTNAME_/latest" 2>/dev/null)" "foo 0 1.1 1 noarch"
compliance_json 2026-01-11T12:00:00Z prod
assert_eq "after the upgrade dnf1 is COMPLIANT" COMPLIANT "$(cj "m('prod','$HOSTNAME_')['status']")"
rm -rf "$STORE/reports/prod/$HOSTNAME_"

assert_status "$PG_URL/prod/el9/_setup?hook=timer" 200
cp "$HTTP_BODY" "$T/timer.sh"
assert_true "timer: a shell script" sh -n "$T/timer.sh"
assert_contains "timer: a daily systemd timer" "$(cat "$T/timer.sh")" "OnCalendar=daily"
assert_status "$PG_URL/prod/el9/_setup?hook=nope" 404
assert_status "$PG_URL/debs/debian/_setup?hook=apt" 200
cp "$HTTP_BODY" "$T/90patchgate-report"
assert_contains "apt: a DPkg::Post-Invoke snippet" "$(cat "$T/90patchgate-report")" "DPkg::Post-Invoke"

pg_say "an apt machine with the hook: a real apt-get install reports"
KEY=$(apt_proxy_key)
A=$T/deb1
apt_root "$A" "$KEY" "$PG_URL/debs/debian" bookworm
mkdir -p "$A/var/lib/dpkg/info" "$A/var/lib/dpkg/updates" "$A/var/log"
cat >>"$A/apt.conf" <<EOF
DPkg::Options { "--root=$A"; "--log=$A/var/log/dpkg.log"; };
EOF
cp "$T/90patchgate-report" "$A/etc/apt/apt.conf.d/90patchgate-report"
assert_contains "apt reads the hook from the root's apt.conf.d" \
    "$(APT_CONFIG=$A/apt.conf apt-config dump DPkg::Post-Invoke)" "/debs/_report/"
# The hook runs dpkg-query, which reads $DPKG_ADMINDIR: the root's database.
export DPKG_ADMINDIR=$A/var/lib/dpkg PATCHGATE_HOST=deb1
apt_update "$A" || pg_notok "deb1: apt-get update"
apt_get "$A" install app=1.0 || pg_notok "deb1: apt-get install app=1.0"
assert_true "the hook stored a report of deb1" test -f "$STORE/reports/debs/deb1/latest"
assert_contains "... with app 1.0 as dpkg has it" "$(cat "$STORE/reports/debs/deb1/latest" 2>/dev/null)" \
    "app 1.0 all installed"
compliance_json 2026-01-11T12:00:00Z debs
assert_eq "deb1 with app 1.0 is NON_COMPLIANT" NON_COMPLIANT "$(cj 'm("debs","deb1")["status"]')"
assert_eq "deb1: app 1.0 is Missing, 2.0 in the view" "Missing 2.0" \
    "$(cj 'p("debs","deb1","app")["state"] + " " + p("debs","deb1","app")["available"]')"
apt_get "$A" install app || pg_notok "deb1: apt-get install app (the upgrade)"
unset DPKG_ADMINDIR PATCHGATE_HOST
assert_contains "the hook reported again, with app 2.0" "$(cat "$STORE/reports/debs/deb1/latest" 2>/dev/null)" \
    "app 2.0 all installed"
assert_eq "two reports of deb1 are kept" 2 "$(ls "$STORE/reports/debs/deb1" | grep -c '\.report$')"
compliance_json 2026-01-11T12:00:00Z debs
assert_eq "after the upgrade deb1 is COMPLIANT" COMPLIANT "$(cj 'm("debs","deb1")["status"]')"
assert_eq "deb1: app 2.0 is Installed" Installed "$(cj 'p("debs","deb1","app")["state"]')"
compliance_json 2026-01-12T01:00:00Z debs
assert_eq "debs' report-stale = 1d: deb1 is STALE a day later" true "$(cj 'm("debs","deb1")["stale"]')"

pg_done
