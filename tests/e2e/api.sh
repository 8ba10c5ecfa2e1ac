#!/bin/bash
# The admin API (/_api/v1/) against the running daemon: tokens from
# [server] api-tokens (a file others may read is refused at start and on
# SIGHUP), 401 without a token, 403 for a read token on a change; a hold
# made through the API hides a version from real dnf and a DELETE lifts
# it; a snapshot made through the API is served at /_snapshot/; POST sync
# starts a run; bad bodies are 400 with a message; every change is in
# STORE/log/audit.log; every answer parses as JSON.
#
#   2026-01-01: upstream el9 has foo 1.0 and bar 1.0 (the base)
#   2026-01-10 12:00: foo 1.1 arrives; 2026-01-13 12:00 it has ripened for
#     prod (delay 1d); the daemon runs at 2026-01-13 13:00

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"

need python3 curl gpg rpmbuild createrepo_c
need_dnf
pg_need_programs
# The daemon runs patchgate for each call.
export PATCHGATE_BIN=$top_builddir/patchgate

W=$T/www
RPMREPO=$W/repo
STORE=$T/store
ADMIN=admin-secret-0123456789abcdef
READ=read-secret-0123456789abcdef

pg_say "upstream: foo 1.0 and bar 1.0"
mkrpm "$RPMREPO/Packages" foo 1.0
mkrpm "$RPMREPO/Packages" bar 1.0
mkrepo "$RPMREPO"
start_upstream "$W"

TOKENS=$T/tokens
cat >"$TOKENS" <<EOF
# NAME ROLE SECRET
ci admin $ADMIN
viewer read $READ
EOF
chmod 644 "$TOKENS"

PG_CONF=$T/patchgate.conf
cat >"$PG_CONF" <<EOF
[server]
listen = 127.0.0.1:0
store = $STORE
api-tokens = $TOKENS

[mirror el9]
type = rpm-md
url = $UPSTREAM_URL/repo

[baseline dev]
rule = classification=* delay=0

[baseline prod]
rule = classification=* delay=1d

[group dev]
baseline = dev
mirrors = el9

[group prod]
baseline = prod
mirrors = el9
EOF

PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync || fail "the first sync failed"
mkrpm "$RPMREPO/Packages" foo 1.1
mkrepo "$RPMREPO"
PATCHGATE_NOW=2026-01-10T12:00:00Z pg_sync || fail "the sync of 2026-01-10 failed"
PATCHGATE_NOW=2026-01-13T12:00:00Z pg_sync || fail "the sync of 2026-01-13 failed"

pg_say "a tokens file that others can read is refused at start"
timeout 20 "$top_builddir/patchgated" -c "$PG_CONF" >"$T/refused.log" 2>&1
assert_ne "patchgated refuses to start" 0 "$?"
cat "$T/refused.log" >&2
assert_contains "... saying why" "$(cat "$T/refused.log")" "group or others may access it"
chmod 600 "$TOKENS"

PATCHGATE_NOW=2026-01-13T13:00:00Z start_patchgated "$PG_CONF"
API=$PG_URL/_api/v1

# api METHOD PATH [TOKEN [BODY]]: sets API_CODE and API_BODY (a file); the
# body must parse as JSON whatever the status.
API_CODE=""
API_BODY=""
api() {
	local method=$1 path=$2 token=${3:-} body=${4-} args=()
	pg_next api
	API_BODY=$REPLY.json
	[ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
	[ $# -ge 4 ] && args+=(-H "Content-Type: application/json" --data-binary "$body")
	API_CODE=$(curl -s --max-time 300 -o "$API_BODY" -w '%{http_code}' -X "$method" \
	    "${args[@]}" -- "$API$path")
	echo "+ $method $path${body:+ $body}: $API_CODE $(head -c 400 "$API_BODY")" >&2
	if "$PYTHON" -c 'import json,sys; json.load(open(sys.argv[1]))' "$API_BODY" 2>/dev/null; then
		pg_ok "$method $path: the answer is JSON"
	else
		pg_notok "$method $path: the answer is JSON" "got: $(head -c 300 "$API_BODY")"
	fi
}
# jq_ EXPR: evaluates a Python expression on the last answer, as j.
jq_() { "$PYTHON" -c "import json,sys; j = json.load(open(sys.argv[1])); print($1)" "$API_BODY"; }
expect() { assert_eq "$1: HTTP status" "$2" "$API_CODE"; }

rpm_seen() {
	dnf_in "$1" "$2" makecache >/dev/null || { echo "dnf makecache failed"; return; }
	dnf_available "$1" "$2" | grep '^foo-' | tr '\n' ' '
}

pg_say "authentication"
api GET /status
expect "no token" 401
assert_contains "... says a token is required" "$(jq_ 'j["error"]')" "token is required"
api GET /status "not-a-token-at-all-0123456"
expect "a wrong token" 401
api GET /status "$READ"
expect "a read token reads status" 200
assert_eq "status names the mirror" el9 "$(jq_ 'j["mirrors"][0]["name"]')"
assert_eq "status has prod's view" "True" "$(jq_ 'any(v["group"] == "prod" for v in j["views"])')"
api POST /holds "$READ" '{"pattern": "foo-1.1*", "group": "prod", "reason": "x"}'
expect "a read token on POST holds" 403
api DELETE /snapshots/s1 "$READ"
expect "a read token on DELETE" 403
api POST /sync "$READ" '{}'
expect "a read token on POST sync" 403
api PUT /holds "$ADMIN" '{}'
expect "PUT holds" 405
api GET /nosuchthing "$READ"
expect "an unknown resource" 404

pg_say "reads"
for r in mirrors groups views holds snapshots "log?last=1" "log?mirror=el9"; do
	api GET "/$r" "$READ"
	expect "GET $r" 200
done
api GET /groups "$READ"
assert_eq "groups: dev and prod, each with its view" "dev:el9:1 prod:el9:1" \
    "$(jq_ '" ".join("%s:%s:%d" % (g["name"], ",".join(g["mirrors"]), len(g["views"])) for g in j)')"
api GET "/why?group=prod&mirror=el9&package=foo" "$READ"
expect "why" 200
api GET "/why?group=prod&mirror=el9" "$READ"
expect "why without a package" 400
assert_contains "... naming it" "$(jq_ 'j["error"]')" "package is required"
api GET "/why?group=nosuch&mirror=el9&package=foo" "$READ"
expect "why for an unknown group" 404
assert_contains "... with the CLI's message naming it" "$(jq_ 'j["error"]')" nosuch
api GET "/diff?a=dev&b=prod" "$READ"
expect "diff" 200
api GET "/preview?group=prod&at=2026-02-01T00:00:00Z&mirror=el9" "$READ"
expect "preview" 200
api GET "/preview?group=prod&at=tomorrow" "$READ"
expect "preview at no time" 404

pg_say "bad bodies"
api POST /holds "$ADMIN" '{"pattern": "foo-1.1*", '
expect "a body that is no JSON" 400
assert_contains "... says so" "$(jq_ 'j["error"]')" "no JSON"
api POST /holds "$ADMIN" '["foo"]'
expect "a body that is no object" 400
api POST /holds "$ADMIN" '{"pattern": "foo-1.1*", "group": "prod"}'
expect "a hold without a reason" 400
assert_contains "... names the field" "$(jq_ 'j["error"]')" "reason is required"
api POST /holds "$ADMIN" '{"pattern": "foo-1.1*", "reason": "x", "colour": "red"}'
expect "an unknown field" 400
assert_contains "... names it" "$(jq_ 'j["error"]')" colour
api POST /holds "$ADMIN" '{"pattern": 42, "reason": "x"}'
expect "a field that is no string" 400
api POST /holds "$ADMIN" '{"pattern": "--group=dev", "reason": "x"}'
expect "a pattern that looks like an option" 400
api POST /holds "$ADMIN" '{"pattern": "foo-1.1*", "group": "nosuch", "reason": "x"}'
expect "a hold for an unknown group" 400
assert_contains "... with the CLI's message" "$(jq_ 'j["error"]')" nosuch
api POST /snapshots "$ADMIN" '{"name": "s0"}'
expect "a snapshot without a group" 400

pg_say "a hold through the API hides foo 1.1 from prod's dnf"
assert_eq "prod: dnf sees foo 1.0 and 1.1" "foo-1.0-1.noarch foo-1.1-1.noarch " \
    "$(rpm_seen "$T/dnf-prod" "$PG_URL/prod/el9")"
api POST /holds "$ADMIN" '{"pattern": "foo-1.1*", "group": "prod", "reason": "CVE regression"}'
expect "POST holds" 201
assert_eq "the answer is the hold as status lists it" "foo-1.1*|prod|CVE regression|active" \
    "$(jq_ '"|".join(str(j[k]) for k in ("pattern", "group", "reason", "state"))')"
assert_eq "prod: dnf no longer sees foo 1.1" "foo-1.0-1.noarch " \
    "$(rpm_seen "$T/dnf-prod" "$PG_URL/prod/el9")"
assert_eq "dev: dnf still sees foo 1.1" "foo-1.0-1.noarch foo-1.1-1.noarch " \
    "$(rpm_seen "$T/dnf-dev" "$PG_URL/dev/el9")"
assert_status "$PG_URL/prod/el9/Packages/foo-1.1-1.noarch.rpm" 404
assert_contains "the 404 names the hold's reason" "$(cat "$HTTP_BODY")" "CVE regression"
api GET /holds "$READ"
assert_eq "GET holds lists it" "foo-1.1*:prod" "$(jq_ '" ".join("%s:%s" % (h["pattern"], h["group"]) for h in j)')"
api POST /holds "$ADMIN" '{"pattern": "bar-1.0*", "reason": "every group", "until": "2026-01-20T00:00:00Z"}'
expect "POST holds for every group, until a time" 201
assert_eq "... group null, until kept" "None 2026-01-20T00:00:00Z" "$(jq_ 'j["group"], j["until"]')"

api DELETE "/holds/foo-1.1*?group=prod" "$ADMIN"
expect "DELETE the hold" 200
assert_eq "... says what it removed" "foo-1.1* prod True" "$(jq_ 'j["pattern"], j["group"], j["deleted"]')"
assert_eq "prod: dnf sees foo 1.1 again" "foo-1.0-1.noarch foo-1.1-1.noarch " \
    "$(rpm_seen "$T/dnf-prod" "$PG_URL/prod/el9")"
api DELETE "/holds/foo-1.1*?group=prod" "$ADMIN"
expect "DELETE a hold that is gone" 404
api DELETE "/holds/bar-1.0%2A" "$ADMIN"
expect "DELETE the hold for every group (percent-encoded)" 200

pg_say "a snapshot through the API is served"
api POST /snapshots "$ADMIN" '{"name": "s1", "group": "prod", "mirror": "el9"}'
expect "POST snapshots" 201
assert_eq "... the CLI's JSON names it" "s1 prod" "$(jq_ 'j["name"], j["group"]')"
assert_status "$PG_URL/_snapshot/s1/el9/repodata/repomd.xml" 200
assert_eq "dnf sees foo 1.0 and 1.1 in the snapshot" "foo-1.0-1.noarch foo-1.1-1.noarch " \
    "$(rpm_seen "$T/dnf-snap" "$PG_URL/_snapshot/s1/el9")"
api POST /snapshots "$ADMIN" '{"name": "s1", "group": "prod"}'
expect "POST a snapshot whose name is taken" 400
api GET /snapshots "$READ"
assert_contains "GET snapshots lists it" "$(jq_ '[s["name"] for s in j["snapshots"]]')" "'s1'"
api DELETE /snapshots/s1 "$ADMIN"
expect "DELETE the snapshot" 200
assert_status "$PG_URL/_snapshot/s1/el9/repodata/repomd.xml" 404
api DELETE /snapshots/s1 "$ADMIN"
expect "DELETE a snapshot that is gone" 404

pg_say "POST sync starts a run"
api POST /sync "$ADMIN" '{"mirror": "nosuch"}'
expect "sync of an unknown mirror" 400
api POST /sync "$ADMIN" '{"mirror": "el9"}'
expect "POST sync" 202
ID=$(jq_ 'j["id"]')
assert_match "... returns the run's id" "$ID" '^[0-9]{8}T[0-9]{6}\.[0-9]{3}Z-sync-el9$'
wait_for_file "$STORE/log/$ID.log.result" 120 || fail "the sync $ID did not end"
assert_contains "the run ended well" "$(cat "$STORE/log/$ID.log.result")" "exit 0"
api GET "/log?mirror=el9&last=1" "$READ"
assert_eq "GET log shows that run" "sync el9 0" "$(jq_ 'j[-1]["kind"], j[-1]["target"], j[-1]["exit"]')"

pg_say "a preview through the API is published and served"
api POST /previews "$ADMIN" '{"group": "prod"}'
expect "POST previews without a time" 400
assert_contains "... says what is missing" "$(jq_ 'j["error"]')" "at (an RFC 3339 time) is required"
api POST /previews "$ADMIN" '{"group": "prod", "at": "2026-01-14T00:00:00Z", "mirror": "el9"}'
expect "POST previews" 201
assert_status "$PG_URL/_preview/prod/2026-01-14T00:00:00Z/el9/repodata/repomd.xml" 200
assert_eq "dnf sees foo 1.0 and 1.1 in the preview" "foo-1.0-1.noarch foo-1.1-1.noarch " \
    "$(rpm_seen "$T/dnf-preview" "$PG_URL/_preview/prod/2026-01-14T00:00:00Z/el9")"

pg_say "compliance through the API"
api GET /compliance "$READ"
expect "GET compliance" 200
assert_eq "... has every group, with no machine yet" "dev 0 prod 0" \
    "$(jq_ '" ".join("%s %d" % (g["group"], g["summary"]["machines"]) for g in j["groups"])')"
api GET "/compliance?group=nosuch" "$READ"
assert_contains "... an unknown group is refused" "$(jq_ 'j["error"]')" "nosuch"

pg_say "the audit log"
AUDIT=$STORE/log/audit.log
[ -f "$AUDIT" ] || fail "no $AUDIT"
assert_eq "audit.log is private" 600 "$(stat -c %a "$AUDIT")"
assert_eq "every line is JSON with time, token, method, path and status" ok "$("$PYTHON" - "$AUDIT" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    a = json.loads(line)
    for k in ("time", "token", "method", "path", "status"):
        if k not in a:
            print("missing", k, line); sys.exit()
print("ok")
EOF
)"
assert_eq "the changes, in order" \
    "viewer POST 403|viewer DELETE 403|viewer POST 403|ci POST 201|ci POST 201|ci DELETE 200|ci DELETE 404|ci DELETE 200|ci POST 201|ci POST 400|ci DELETE 200|ci DELETE 404|ci POST 400|ci POST 202|ci POST 201" \
    "$("$PYTHON" - "$AUDIT" <<'EOF'
import json, sys
out = []
for line in open(sys.argv[1]):
    a = json.loads(line)
    # Bad bodies are refused before anything runs: only what reached a command.
    if a["status"] == 400 and a["method"] == "POST" and "/holds" in a["path"]:
        continue
    out.append("%s %s %d" % (a["token"], a["method"], a["status"]))
print("|".join(out))
EOF
)"
assert_contains "the hold's body is recorded" "$(cat "$AUDIT")" 'CVE regression'

pg_say "SIGHUP with a tokens file others can read: refused, the old tokens stay"
chmod 640 "$TOKENS"
kill -HUP "$PG_PID"
n=50
until grep -q "configuration .* refused: api-tokens" "$T/patchgated.log"; do
	[ $n -gt 0 ] || break
	sleep 0.1
	n=$((n - 1))
done
assert_contains "the daemon says why" "$(cat "$T/patchgated.log")" "group or others may access it"
api GET /status "$READ"
expect "the read token still works" 200
chmod 600 "$TOKENS"

pg_done
