#!/bin/bash
# /_status, the HTML status page, end to end: patchgated serves what
# "patchgate status --html" renders, and headless Chromium shows it: every
# mirror with its last sync and the whole error of a failed one, every
# group's views with their counts, the holds, the snapshots, per group an
# SVG timeline of what ripens in the next 30 days, and compliance per
# group and host.  Text from upstreams and reports is escaped: a hold
# reason and a mirror url that hold <script> come out as text, and the
# page runs no script.  Open to [server] admin-allow or a token, as
# /metrics.  Screenshots (a phone, 390x844, and a wall screen, 1920x1080)
# are kept in the build dir's tests/artifacts/.
#
#   2026-01-01: el9 has foo and bar 1.0 (the base)
#   2026-01-10 12:00: foo and bar 1.1 arrive; dev (delay 0) sees them,
#     prod (delay 14d) from 2026-01-24 12:00: prod's timeline; ops (the
#     same baseline, a window on Sundays 02:00-06:00) from the first
#     window after that, Sunday 2026-01-25 02:00
#   mirror "down" (in prod): its upstream refuses connections, the sync fails
#   hold bar-1.1* for dev; snapshot "frozen-dev" of dev
#   reports: web1 (dev) has foo 1.0: NON_COMPLIANT (Missing foo 1.1);
#     db1 (prod) has foo 1.0: COMPLIANT (foo 1.1 NotYetApproved);
#     old1 (prod) reported on 2026-01-08: STALE on 2026-01-11

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"

command -v chromium >/dev/null 2>&1 || skip "chromium is not installed (Debian's chromium)"
need python3 curl gpg rpmbuild createrepo_c
pg_need_programs

W=$T/www
REPO=$W/repo
STORE=$T/store
READ=read-secret-0123456789abcdef
ART=$top_builddir/tests/artifacts
# The patchgate that patchgated runs for the page: this build's.
export PATCHGATE_BIN=$top_builddir/patchgate
mkdir -p "$ART" || fail "cannot make $ART"

mkrpm "$REPO/Packages" foo 1.0
mkrpm "$REPO/Packages" bar 1.0
mkrepo "$REPO"
start_upstream "$W"
# A port nothing listens on: the upstream of a mirror that is down.
DEAD=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

printf 'viewer read %s\n' "$READ" >"$T/tokens"
chmod 600 "$T/tokens"

# conf ADMIN-ALLOW-LINE: writes $PG_CONF.
PG_CONF=$T/patchgate.conf
conf() {
	cat >"$PG_CONF" <<-EOF
	[server]
	listen = 127.0.0.1:0
	store = $STORE
	api-tokens = $T/tokens
	$1

	[mirror el9]
	type = rpm-md
	url = $UPSTREAM_URL/repo
	sync-every = off

	[mirror down]
	type = rpm-md
	url = http://127.0.0.1:$DEAD/<script>alert(1)</script>
	sync-every = off

	[baseline dev]
	rule = classification=* delay=0

	[baseline prod]
	rule = classification=* delay=14d

	[group dev]
	baseline = dev
	mirrors = el9

	[group prod]
	baseline = prod
	mirrors = el9 down

	[group ops]
	baseline = prod
	mirrors = el9
	window = 0 2 * * sun 4h
	EOF
}
conf ""

# pg NOW ARGS...: patchgate -c $PG_CONF ARGS at NOW; stdout in $PG_OUT.
PG_OUT=""
PG_RC=0
pg() {
	local now=$1
	shift
	pg_next patchgate
	PG_OUT=$REPLY.out
	echo "+ PATCHGATE_NOW=$now patchgate $*" >&2
	PATCHGATE_NOW=$now timeout -k 5 300 "$top_builddir/patchgate" -c "$PG_CONF" "$@" \
	    >"$PG_OUT" 2>"$REPLY.err"
	PG_RC=$?
	sed 's/^/  2| /' "$REPLY.err" >&2
	echo "  (exit $PG_RC)" >&2
	return $PG_RC
}

# report HOST GROUP LINES: POSTs an rpm inventory; prints the status.
report() {
	printf '# reboot-required: no\n%s\n' "$3" >"$T/report.$1.txt"
	curl -s --max-time 30 -o "$T/report.$1.out" -w '%{http_code}' \
	    --data-binary @"$T/report.$1.txt" "$PG_URL/$2/_report/$1"
}

# restart: patchgated again, with $PG_CONF, at $PATCHGATE_NOW.
restart() {
	stop_patchgated
	cat "$T/patchgated.log" >>"$T/patchgated.old.log"
	: >"$T/patchgated.log"
	start_patchgated "$PG_CONF"
}

PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync el9 || fail "the first sync failed"
mkrpm "$REPO/Packages" foo 1.1
mkrpm "$REPO/Packages" bar 1.1
mkrepo "$REPO"
PATCHGATE_NOW=2026-01-10T12:00:00Z pg_sync el9 || fail "the second sync failed"
PATCHGATE_NOW=2026-01-10T12:00:00Z pg_sync down && fail "the sync of a mirror that is down succeeded"

NOW=2026-01-11T00:00:00Z
pg $NOW hold --group dev --reason '<script>alert("held")</script> & a regression' 'bar-1.1*' ||
	fail "hold failed"
pg $NOW snapshot create frozen-dev --group dev || fail "snapshot create failed"
pg $NOW status --json || fail "status --json failed"
DOWN_ERR=$("$PYTHON" -c 'import json, sys
d = json.load(open(sys.argv[1]))
print([m for m in d["mirrors"] if m["name"] == "down"][0]["error"])' "$PG_OUT")
assert_contains "the failed sync's error names the url, <script> and all" "$DOWN_ERR" "<script>alert(1)</script>"

pg_say "reports: old1 on 2026-01-08, web1 and db1 on 2026-01-11"
PATCHGATE_NOW=2026-01-08T00:00:00Z start_patchgated "$PG_CONF"
assert_eq "old1 reports to prod" 200 "$(report old1 prod 'foo 0 1.0 1 noarch')"
PATCHGATE_NOW=$NOW restart
assert_eq "web1 reports to dev" 200 "$(report web1 dev 'foo 0 1.0 1 noarch')"
assert_eq "db1 reports to prod" 200 "$(report db1 prod 'foo 0 1.0 1 noarch')"

pg_say "the page as the CLI renders it"
pg $NOW status --html
assert_eq "status --html exits 0" 0 "$PG_RC"
assert_not_contains "status --html holds no <script" "$(cat "$PG_OUT")" "<script"
assert_contains "... but the hold's reason, escaped" "$(cat "$PG_OUT")" \
    "&lt;script&gt;alert(&quot;held&quot;)&lt;/script&gt; &amp; a regression"
assert_contains "... and the url in the error, escaped" "$(cat "$PG_OUT")" \
    "&lt;script&gt;alert(1)&lt;/script&gt;"
pg $NOW status --html --json
assert_eq "status --html --json is a usage error" 2 "$PG_RC"

pg_say "GET /_status"
assert_status "$PG_URL/_status" 200
HDRS=$(curl -s -o /dev/null -D - --max-time 60 "$PG_URL/_status" | tr -d '\r')
assert_match "text/html in UTF-8" "$HDRS" '^content-type: text/html; charset=utf-8$'
assert_match "never cached" "$HDRS" '^cache-control: no-store$'
assert_match "a policy that allows no script" "$HDRS" "^content-security-policy: default-src 'none';"
HEAD=$(curl -s -I --max-time 60 "$PG_URL/_status" | tr -d '\r')
assert_match "HEAD /_status: 200" "$HEAD" '^HTTP/1.1 200'
assert_match "HEAD /_status: its length" "$HEAD" '^content-length: [1-9][0-9]*$'
assert_status "$PG_URL/_status" 405 -X POST -d x

# chrome ARGS...: headless Chromium with a profile of its own, bounded in
# time, told not to reach out to anything but the page: no background
# services, and no name resolves (checked with strace: no DNS query, no
# connection but to 127.0.0.1).
chrome() {
	timeout -k 5 120 chromium --headless=new --no-sandbox --disable-gpu \
	    --user-data-dir="$T/chromium" --no-first-run --no-default-browser-check \
	    --disable-background-networking --disable-component-update \
	    --disable-sync --disable-extensions --disable-default-apps \
	    --disable-domain-reliability --no-pings --dns-prefetch-disable \
	    --disable-features=AsyncDns,DnsOverHttps,MediaRouter,OptimizationHints,Translate \
	    --host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" \
	    --hide-scrollbars --mute-audio "$@" 2>>"$T/chromium.log"
}

pg_say "headless Chromium renders it"
DOM=$T/dom.html
chrome --dump-dom "$PG_URL/_status" >"$DOM"
assert_eq "Chromium exits 0" 0 "$?"
cp "$DOM" "$ART/status_page.dom.html"
D=$(cat "$DOM")
assert_contains "the DOM is the page" "$D" "<h1>patchgate</h1>"

# dom EXPR: evaluates a Python expression over the DOM Chromium dumped,
# with el(id) the text of the element of that id and svg(id) the markup
# of the <svg> inside it.
dom() {
	"$PYTHON" - "$DOM" "$1" <<-'EOF'
	import html, re, sys
	d = open(sys.argv[1], encoding="utf-8").read()
	def block(i):
	    m = re.search(r'<article[^>]* id="%s">(.*?)</article>' % re.escape(i), d, re.S)
	    return m.group(1) if m else ""
	def el(i):
	    return html.unescape(re.sub(r"<[^>]*>", " ", block(i)))
	def svg(i):
	    m = re.search(r"<svg.*?</svg>", block(i), re.S)
	    return m.group(0) if m else ""
	def errors(i):
	    return [html.unescape(e) for e in re.findall(r'<pre class="err">(.*?)</pre>', block(i), re.S)]
	def section(i):
	    m = re.search(r'<section id="%s">(.*?)</section>' % re.escape(i), d, re.S)
	    return html.unescape(re.sub(r"<[^>]*>", " ", m.group(1))) if m else ""
	r = eval(sys.argv[2])
	print(" ".join(r.split()) if isinstance(r, str) else r)
	EOF
}

for m in el9 down; do
	assert_contains "the page names mirror $m" "$(dom "el('mirror-$m')")" "$m"
done
for g in dev prod ops; do
	assert_contains "the page names group $g" "$(dom "el('group-$g')")" "$g"
done
assert_contains "el9 synced well" "$(dom "el('mirror-el9')")" "el9 ok rpm-md"
assert_contains "... last on 2026-01-10 12:00" "$(dom "el('mirror-el9')")" "last sync 2026-01-10 12:00 (12h 0m ago)"
assert_contains "down failed" "$(dom "el('mirror-down')")" "down sync failed"
assert_eq "down's error is shown whole, as text" "$DOWN_ERR" "$(dom "'|'.join(errors('mirror-down'))")"
assert_eq "no script element in the DOM" 0 "$(grep -c '<script' "$DOM")"
assert_contains "prod/el9: 2 visible, 2 waiting, next change when they ripen" \
    "$(dom "el('group-prod')")" "el9 gen-"
assert_match "prod/el9's counts" "$(dom "el('group-prod')")" \
    "2 visible 2 listed 2 waiting 0 held 0 held back for dependencies 0 rejected 0 lost 0 at risk published .* next change 2026-01-24 12:00 \(in 13d 12h\)"
assert_contains "prod/down never synced" "$(dom "el('group-prod')")" "down no generation yet never synced"
assert_match "dev/el9: 3 visible, bar-1.1 held" "$(dom "el('group-dev')")" \
    "3 visible 3 listed 0 waiting 1 held"
assert_contains "the hold, its reason as text" "$(dom "section('holds')")" \
    "bar-1.1* dev active until removed <script>alert(\"held\")</script> & a regression"
assert_contains "the snapshot" "$(dom "section('snapshots')")" "frozen-dev dev 2026-01-11 00:00"
assert_contains "... with its path" "$(dom "section('snapshots')")" "/_snapshot/frozen-dev/el9/"

pg_say "the timelines"
PSVG=$(dom "svg('ripe-prod')")
assert_contains "prod's timeline is an SVG" "$PSVG" "<svg"
assert_contains "... showing foo-1.1 ripening on Jan 24" "$PSVG" '>foo-1.1-1.noarch<tspan class="when"> Jan 24 12:00</tspan></text>'
assert_contains "... and bar-1.1" "$PSVG" '>bar-1.1-1.noarch<tspan class="when"> Jan 24 12:00</tspan></text>'
assert_contains "... on 2026-01-24 12:00" "$PSVG" "foo-1.1-1.noarch (el9): visible from 2026-01-24 12:00 UTC"
assert_contains "prod's list says the same" "$(dom "el('ripe-prod')")" "2026-01-24 12:00 foo-1.1-1.noarch el9"
assert_contains "ops's timeline: foo-1.1 in the first window after it ripens" "$(dom "svg('ripe-ops')")" \
    "foo-1.1-1.noarch (el9): visible from 2026-01-25 02:00 UTC"
assert_contains "ops names its window" "$(dom "el('group-ops')")" "window 0 2 * * sun 4h"
assert_eq "dev has no timeline: nothing ripens (bar-1.1 is held, not ripening)" "" "$(dom "svg('ripe-dev')")"
assert_contains "... and says so" "$(dom "el('ripe-dev')")" "Nothing ripens for dev in the next 30 days."

pg_say "compliance"
assert_contains "dev: 1 machine, non-compliant" "$(dom "el('compliance-dev')")" \
    "dev 1 machine 0 compliant 1 non-compliant 0 stale"
assert_contains "prod: 2 machines, compliant, one stale" "$(dom "el('compliance-prod')")" \
    "prod 2 machines 2 compliant 0 non-compliant 1 stale"
C=$(dom "section('compliance')")
assert_match "web1: NON_COMPLIANT, 1 Missing" "$C" "web1 dev NON_COMPLIANT 2026-01-11 00:00 \(0s ago\) 1 0 0 0"
assert_match "db1: COMPLIANT, foo NotYetApproved" "$C" "db1 prod COMPLIANT 2026-01-11 00:00 \(0s ago\) 0 0 1 0"
assert_match "old1: STALE" "$C" "old1 prod COMPLIANT STALE 2026-01-08 00:00 \(3d 0h ago\)"

pg_say "screenshots: a phone and a wall screen"
for shot in phone:390,844 wall:1920,1080; do
	f=$ART/status_page-${shot%%:*}.png
	rm -f "$f"
	chrome --screenshot="$f" --window-size="${shot#*:}" "$PG_URL/_status" >/dev/null
	if [ -s "$f" ] && [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then
		pg_ok "a ${shot%%:*} screenshot (${shot#*:}) is a PNG: $f"
	else
		pg_notok "a ${shot%%:*} screenshot" "$(tail -n 5 "$T/chromium.log")"
	fi
done
echo "$PG_TEST: screenshots and the DOM kept in $ART" >&2

pg_say "admin-allow: a client outside it needs a token"
conf "admin-allow = 10.0.0.0/8"
PATCHGATE_NOW=$NOW restart
assert_status "$PG_URL/_status" 401
assert_contains "... saying why" "$(cat "$HTTP_BODY")" "/_status: 127.0.0.1 is not in [server] admin-allow"
assert_status "$PG_URL/_status" 401 -H "Authorization: Bearer wrong-token-0123456789"
assert_status "$PG_URL/_status" 200 -H "Authorization: Bearer $READ"
assert_contains "... and the body is the page" "$(cat "$HTTP_BODY")" "<h1>patchgate</h1>"

pg_done
