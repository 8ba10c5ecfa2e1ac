#!/bin/bash
# /metrics: Prometheus' text format, which promtool accepts; requests and
# bytes by group, mirror and status class; per mirror the last sync's
# time and result from the run logs (a good mirror and one whose upstream
# is down); per view its generation and next change; process figures.
# Open to [server] admin-allow (default loopback) or a token.  A real
# Prometheus scrapes it and finds patchgate_sync_last_success_timestamp_seconds
# of the mirror.  promtool and prometheus come from Debian's prometheus
# package; without it those two checks are skipped, the rest still runs.
#
#   2026-01-01: el9 has foo 1.0; 2026-01-10: foo 1.1 arrives, which prod
#     (delay 14d) sees from 2026-01-24 12:00: the view's next change

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"

need python3 curl gpg rpmbuild createrepo_c
pg_need_programs

W=$T/www
RPMREPO=$W/repo
STORE=$T/store
READ=read-secret-0123456789abcdef

mkrpm "$RPMREPO/Packages" foo 1.0
mkrpm "$RPMREPO/Packages" bar 1.0
mkrepo "$RPMREPO"
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

	[mirror down]
	type = rpm-md
	url = http://127.0.0.1:$DEAD/repo

	[baseline prod]
	rule = classification=* delay=14d

	[group prod]
	baseline = prod
	mirrors = el9 down
	EOF
}
conf ""

PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync el9 || fail "the first sync failed"
mkrpm "$RPMREPO/Packages" foo 1.1
mkrepo "$RPMREPO"
PATCHGATE_NOW=2026-01-10T12:00:00Z pg_sync el9 || fail "the second sync failed"
PATCHGATE_NOW=2026-01-10T12:00:00Z pg_sync down && fail "the sync of a mirror that is down succeeded"

PATCHGATE_NOW=2026-01-10T13:00:00Z start_patchgated "$PG_CONF"
assert_status "$PG_URL/prod/el9/repodata/repomd.xml" 200
assert_status "$PG_URL/prod/el9/repodata/repomd.xml" 200
assert_status "$PG_URL/prod/el9/Packages/foo-1.1-1.noarch.rpm" 404
assert_status "$PG_URL/nosuchgroup/x" 404
REPOMD_SIZE=$(curl -s "$PG_URL/prod/el9/repodata/repomd.xml" | wc -c)

pg_say "GET /metrics from loopback, without a token"
assert_status "$PG_URL/metrics" 200
M=$HTTP_BODY
sed 's/^/  | /' "$M" >&2
# value NAME LABELS: the sample's value, or "none".
value() { "$PYTHON" - "$M" "$1" "$2" <<'EOF'
import sys
f, name, labels = sys.argv[1], sys.argv[2], sys.argv[3]
for line in open(f):
    if line.startswith(name + "{" + labels + "}") or line.startswith(name + " ") and labels == "":
        print(line.split()[-1]); break
else:
    print("none")
EOF
}
assert_eq "3 answers 2xx for prod/el9 (two repomd.xml, one counted by curl)" 3 \
    "$(value patchgate_http_requests_total 'group="prod",mirror="el9",code="2xx"')"
assert_eq "1 answer 4xx for prod/el9" 1 \
    "$(value patchgate_http_requests_total 'group="prod",mirror="el9",code="4xx"')"
assert_eq "the 404 outside any view counts without group and mirror" 1 \
    "$(value patchgate_http_requests_total 'group="",mirror="",code="4xx"')"
assert_eq "bytes sent for prod/el9 2xx: three repomd.xml" "$((3 * REPOMD_SIZE))" \
    "$(value patchgate_http_response_bytes_total 'group="prod",mirror="el9",code="2xx"')"
SUCCESS=$(value patchgate_sync_last_success_timestamp_seconds 'mirror="el9"')
LAST=$(sed -n 's/^end //p' "$(ls "$STORE"/log/*-sync-el9.log.result | tail -n 1)")
assert_eq "el9's last success is when its last sync ended" "$LAST" "$SUCCESS"
assert_eq "the mirror that is down has no success" none \
    "$(value patchgate_sync_last_success_timestamp_seconds 'mirror="down"')"
assert_eq "el9's last run succeeded" 1 "$(value patchgate_sync_last_run_success 'mirror="el9"')"
assert_eq "down's last run failed" 0 "$(value patchgate_sync_last_run_success 'mirror="down"')"
assert_ne "down's last run has a time" none "$(value patchgate_sync_last_run_timestamp_seconds 'mirror="down"')"
assert_eq "no sync is running for el9" 0 "$(value patchgate_sync_running 'mirror="el9"')"
assert_eq "prod/el9 next changes when foo 1.1 ripens (2026-01-24T12:00:00Z)" \
    "$(date -u -d 2026-01-24T12:00:00Z +%s)" \
    "$(value patchgate_view_next_change_timestamp_seconds 'group="prod",mirror="el9"')"
assert_match "prod/el9 serves a generation" \
    "$(value patchgate_view_generation 'group="prod",mirror="el9"')" '^[1-9][0-9]*$'
assert_match "one client connection or more is open (this scrape's)" \
    "$(value patchgate_http_connections '')" '^[1-9][0-9]*$'
assert_match "resident memory in bytes" "$(value patchgate_process_resident_memory_bytes '')" \
    '^[1-9][0-9]{5,}$'
assert_eq "no snapshots" 0 "$(value patchgate_snapshots '')"
assert_eq "prod/el9: 2 versions visible (foo 1.0, bar 1.0)" 2 \
    "$(value patchgate_view_visible_versions 'group="prod",mirror="el9"')"
assert_eq "prod/el9: 1 held back (foo 1.1, waiting for its delay)" 1 \
    "$(value patchgate_view_held_back_versions 'group="prod",mirror="el9"')"
assert_eq "prod/el9: none lost" 0 "$(value patchgate_view_lost_versions 'group="prod",mirror="el9"')"
assert_eq "prod/el9: none at risk (foo 1.0, superseded, was stored at once)" 0 \
    "$(value patchgate_view_at_risk_versions 'group="prod",mirror="el9"')"
assert_eq "prod: no holds" 0 "$(value patchgate_holds 'group="prod"')"
assert_eq "no package file requested yet" "0 0 0" "$(value patchgate_cache_requests_total 'result="hit"') \
$(value patchgate_cache_requests_total 'result="miss"') $(value patchgate_upstream_fetches_total '')"

pg_say "a package file fetched once from upstream, then from the store"
nblobs=$(find "$STORE/blobs" -type f | wc -l)
assert_status "$PG_URL/prod/el9/Packages/bar-1.0-1.noarch.rpm" 200
# The file is stored once its download ends, after the client has it.
n=100
while [ $n -gt 0 ] && [ "$(find "$STORE/blobs" -type f | wc -l)" -eq "$nblobs" ]; do
	sleep 0.1
	n=$((n - 1))
done
assert_status "$PG_URL/prod/el9/Packages/bar-1.0-1.noarch.rpm" 200
assert_status "$PG_URL/metrics" 200
M=$HTTP_BODY
assert_eq "1 cache miss, then 1 hit" "1 1" "$(value patchgate_cache_requests_total 'result="miss"') \
$(value patchgate_cache_requests_total 'result="hit"')"
assert_eq "1 upstream fetch, no error" "1 0" "$(value patchgate_upstream_fetches_total '') \
$(value patchgate_upstream_fetch_errors_total '')"
assert_eq "the latency histogram counts it" 1 \
    "$(value patchgate_upstream_fetch_duration_seconds_bucket 'le="+Inf"')"
assert_eq "every family has HELP and TYPE" ok "$("$PYTHON" - "$M" <<'EOF'
import re, sys
typed = set()
for line in open(sys.argv[1]):
    m = re.match(r"# TYPE (\S+) (counter|gauge|histogram)$", line)
    if m:
        typed.add(m.group(1)); continue
    if line.startswith("#"):
        continue
    name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0)
    name = re.sub(r"_(bucket|sum|count)$", "", name) if name not in typed else name
    if name not in typed or not name.startswith("patchgate_"):
        print("untyped or unprefixed:", name); sys.exit()
print("ok")
EOF
)"

if command -v promtool >/dev/null 2>&1; then
	pg_next promtool
	if promtool check metrics <"$M" >"$REPLY" 2>&1; then
		pg_ok "promtool check metrics accepts /metrics"
	else
		pg_notok "promtool check metrics" "$(cat "$REPLY")"
	fi
else
	echo "SKIP: promtool is not installed (Debian's prometheus package)" >&2
fi

pg_say "a real Prometheus scrapes it"
if command -v prometheus >/dev/null 2>&1; then
	PPORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat >"$T/prometheus.yml" <<-EOF
	global:
	  scrape_interval: 1s
	scrape_configs:
	  - job_name: patchgate
	    static_configs:
	      - targets: ['${PG_URL#http://}']
	EOF
	prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/tsdb" \
	    --web.listen-address="127.0.0.1:$PPORT" >"$T/prometheus.log" 2>&1 &
	PROM_PID=$!
	pg_track $PROM_PID
	got=""
	for i in $(seq 1 120); do
		got=$(curl -s --max-time 5 "http://127.0.0.1:$PPORT/api/v1/query" \
		    --data-urlencode 'query=patchgate_sync_last_success_timestamp_seconds' |
		    "$PYTHON" -c 'import json,sys
try:
    r = json.load(sys.stdin)["data"]["result"]
    print(" ".join("%s=%s" % (s["metric"]["mirror"], s["value"][1]) for s in r))
except Exception:
    pass' 2>/dev/null)
		[ -n "$got" ] && break
		kill -0 $PROM_PID 2>/dev/null || break
		sleep 0.5
	done
	[ -n "$got" ] || tail -n 20 "$T/prometheus.log" >&2
	assert_eq "Prometheus' query returns el9's last success" "el9=$SUCCESS" "$got"
	pg_stop_pid $PROM_PID
	pg_untrack $PROM_PID
else
	echo "SKIP: prometheus is not installed (Debian's prometheus package)" >&2
fi

pg_say "admin-allow: a client outside it needs a token"
restart() {
	stop_patchgated
	# start_patchgated reads the port from the first line that names one.
	cat "$T/patchgated.log" >>"$T/patchgated.old.log"
	: >"$T/patchgated.log"
	start_patchgated "$PG_CONF"
}
conf "admin-allow = 10.0.0.0/8 ::1/128"
restart
assert_status "$PG_URL/metrics" 401
assert_status "$PG_URL/metrics" 401 -H "Authorization: Bearer wrong-token-0123456789"
assert_status "$PG_URL/metrics" 200 -H "Authorization: Bearer $READ"
assert_contains "... and the body is the metrics" "$(cat "$HTTP_BODY")" "# TYPE patchgate_http_requests_total counter"
conf "admin-allow = 127.0.0.1/32"
restart
assert_status "$PG_URL/metrics" 200
pg_say "a bad admin-allow is a configuration error"
conf "admin-allow = 10.0.0.0/33 nonsense"
"$top_builddir/patchgated" -n -c "$PG_CONF" >"$T/n.out" 2>&1
assert_ne "patchgated -n refuses it" 0 "$?"
assert_contains "... naming the value" "$(cat "$T/n.out")" '"10.0.0.0/33"'
assert_contains "... and the other" "$(cat "$T/n.out")" '"nonsense"'

pg_done
