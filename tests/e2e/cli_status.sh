#!/bin/bash
# patchgate status, end to end: per mirror the last good sync, how long it
# took, the result and the whole error of a failed sync; per view the
# generation served and the planner's counts (listed, waiting, ...) with
# the time the view next changes; --json with every documented field.
#
#   2026-01-01: upstream el9 has foo-1.0 and bar-1.0 (the base)
#   2026-01-10 12:00: foo-1.1 arrives; dev (delay 0) lists it, prod (delay
#     7d) waits for it until 2026-01-17 12:00
#   2026-01-11: upstream's primary is corrupt: the sync fails; status shows
#     its error whole and the sync of 2026-01-10 12:00 as the last good one
#   a mirror "far" (no group) whose url holds UTF-8 never synced: its error
#     comes out with its UTF-8 intact, in JSON too

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"

need python3 curl gpg rpmbuild createrepo_c modifyrepo_c
pg_need_programs

W=$T/www
REPO=$W/repo
STORE=$T/store

mkrpm "$REPO/Packages" foo 1.0
mkrpm "$REPO/Packages" bar 1.0
mkrepo "$REPO"
start_upstream "$W"

PG_CONF=$T/patchgate.conf
cat >"$PG_CONF" <<EOF
[server]
listen = 127.0.0.1:0
store = $STORE

[mirror el9]
type = rpm-md
url = $UPSTREAM_URL/repo

[mirror far]
type = rpm-md
url = $UPSTREAM_URL/dépôt-ünïcödé

[baseline dev]
rule = classification=* delay=0

[baseline prod]
rule = classification=* delay=7d

[group dev]
baseline = dev
mirrors = el9

[group prod]
baseline = prod
mirrors = el9
EOF

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

# jq_py EXPR: evaluates a python expression of d, status --json's
# document in $PG_OUT, and prints it.
jq_py() {
	"$PYTHON" -c 'import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
def view(g, m):
    return [v for v in d["views"] if v["group"] == g and v["mirror"] == m][0]
def mirror(m):
    return [x for x in d["mirrors"] if x["name"] == m][0]
print(eval(sys.argv[2]))' "$PG_OUT" "$1"
}

pg_say "before any sync"
pg 2026-01-01T00:00:00Z status --json
assert_eq "status --json before any sync exits 0" 0 "$PG_RC"
assert_true "status --json parses" "$PYTHON" -c 'import json,sys; json.load(sys.stdin)' <"$PG_OUT"
assert_eq "a view never published has no generation and no counts" "None None False" \
    "$(jq_py '" ".join(str(view("prod", "el9")[k]) for k in ("generation", "next_change", "planned"))')"
assert_eq "a mirror never synced has no times and no result" "None None None None 0" \
    "$(jq_py '" ".join(str(mirror("el9")[k]) for k in ("last_sync", "last_attempt", "result", "last_run", "versions"))')"
pg 2026-01-01T00:00:00Z status
assert_match "status says never" "$(cat "$PG_OUT")" "^el9 +rpm-md +never +- +- +0 +0$"
assert_match "status says a view was never synced" "$(cat "$PG_OUT")" "^prod +el9 +none( +-){6} +never synced$"

PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync el9 || fail "the first sync failed"
pg_say "upstream: + foo-1.1"
mkrpm "$REPO/Packages" foo 1.1
mkrepo "$REPO"
PATCHGATE_NOW=2026-01-10T12:00:00Z pg_sync el9 || fail "the sync of 2026-01-10 failed"
PATCHGATE_NOW=2026-01-10T12:00:00Z start_patchgated "$PG_CONF"

pg_say "2026-01-11: the views as the planner sees them"
NOW=2026-01-11T00:00:00Z
pg $NOW status --json
assert_eq "status --json exits 0" 0 "$PG_RC"
assert_true "status --json parses" "$PYTHON" -c 'import json,sys; json.load(sys.stdin)' <"$PG_OUT"
assert_eq "the document's fields" "now mirrors views holds" "$(jq_py '" ".join(d)')"
assert_eq "every mirror has the documented fields" \
    "name type first_sync last_sync last_sync_duration_ms last_attempt result error versions upstream last_run" \
    "$(jq_py '" ".join(mirror("el9"))')"
assert_eq "last_run has the documented fields" "kind started finished duration_ms result error" \
    "$(jq_py '" ".join(mirror("el9")["last_run"])')"
assert_eq "every view has the documented fields" \
    "group mirror generation published planned versions visible listed held rejected dep_held as_dependency waiting lost at_risk next_change" \
    "$(jq_py '" ".join(view("prod", "el9"))')"
assert_eq "el9: synced first on 2026-01-01, last on 2026-01-10 12:00, ok, 3 versions, all upstream" \
    "2026-01-01T00:00:00Z 2026-01-10T12:00:00Z 2026-01-10T12:00:00Z ok None 3 3" \
    "$(jq_py '" ".join(str(mirror("el9")[k]) for k in ("first_sync", "last_sync", "last_attempt", "result", "error", "versions", "upstream"))')"
assert_eq "el9: the last run is a good sync that started on 2026-01-10 12:00, and its duration is known" \
    "sync ok 2026-01-10T12:00:00Z True True" \
    "$(jq_py '(mirror("el9")["last_run"]["kind"], mirror("el9")["last_run"]["result"], mirror("el9")["last_run"]["started"], type(mirror("el9")["last_run"]["duration_ms"]) is int, mirror("el9")["last_sync_duration_ms"] == mirror("el9")["last_run"]["duration_ms"])' | tr -d "(),'")"
assert_eq "dev: 3 listed, nothing waiting, no next change" "3 3 0 None" \
    "$(jq_py '" ".join(str(view("dev", "el9")[k]) for k in ("listed", "visible", "waiting", "next_change"))')"
assert_eq "prod: 2 listed, foo-1.1 waiting, the view changes when it ripens on 2026-01-17 12:00" \
    "3 2 2 1 0 0 0 0 2026-01-17T12:00:00Z" \
    "$(jq_py '" ".join(str(view("prod", "el9")[k]) for k in ("versions", "listed", "visible", "waiting", "held", "dep_held", "lost", "rejected", "next_change"))')"
assert_eq "the generations are the views' current ones" \
    "$(basename "$(readlink "$STORE/views/prod/el9/current")") $(basename "$(readlink "$STORE/views/dev/el9/current")")" \
    "$(jq_py 'view("prod", "el9")["generation"] + " " + view("dev", "el9")["generation"]')"
assert_eq "prod's generation was published on 2026-01-10 12:00" 2026-01-10T12:00:00Z \
    "$(jq_py 'view("prod", "el9")["published"]')"
# The counts are the view's: prod's primary.xml lists 2 packages.
pg_rpmmd fetch "$PG_URL/prod/el9" primary "$T/prod-primary.xml" || pg_notok "prod's view serves primary"
assert_eq "prod's primary lists as many packages as status says" \
    "$(jq_py 'view("prod", "el9")["listed"]')" "$(grep -c '<package ' "$T/prod-primary.xml")"
pg $NOW status
assert_match "status: prod's row" "$(cat "$PG_OUT")" \
    "^prod +el9 +gen-[0-9]+ +2 +2 +0 +0 +1 +0 +2026-01-17T12:00:00Z$"
assert_match "status: dev's row" "$(cat "$PG_OUT")" "^dev +el9 +gen-[0-9]+ +3 +3 +0 +0 +0 +0 +-$"
assert_contains "status: no holds" "$(cat "$PG_OUT")" "no holds"

pg_say "2026-01-12: upstream adds bar-1.1, and its new primary is corrupt"
cp -a "$REPO" "$T/repo.good"
mkrpm "$REPO/Packages" bar 1.1
mkrepo "$REPO"
PRIMARY=$(repomd_href "$REPO" primary) || fail "no primary upstream"
printf 'not the primary that repomd.xml describes' | gzip -n >"$REPO/$PRIMARY"
NOW=2026-01-12T00:00:00Z
if PATCHGATE_NOW=$NOW pg_sync el9; then
	pg_notok "the sync of a corrupt primary fails"
fi
ERR=$(sed -n 's/^patchgate: \(mirror el9: .*\)$/\1/p' "$SYNC_ERR" | head -n 1)
[ -n "$ERR" ] || fail "the failed sync said nothing of mirror el9"
assert_contains "the sync's error names the file" "$ERR" "$PRIMARY"
pg $NOW status --json
assert_eq "status --json after a failed sync: result error, the error whole" "error|$ERR" \
    "$(jq_py 'mirror("el9")["result"] + "|" + mirror("el9")["error"]')"
assert_eq "... the last good sync is still 2026-01-10 12:00, the last attempt 2026-01-12" \
    "2026-01-10T12:00:00Z 2026-01-12T00:00:00Z" \
    "$(jq_py 'mirror("el9")["last_sync"] + " " + mirror("el9")["last_attempt"]')"
assert_eq "... the last run failed with the same error" "sync|error|$ERR" \
    "$(jq_py '"|".join(mirror("el9")["last_run"][k] for k in ("kind", "result", "error"))')"
assert_eq "... the last good sync's duration is still known" True \
    "$(jq_py 'type(mirror("el9")["last_sync_duration_ms"]) is int')"
assert_eq "... the views are still planned from the last good facts" "2 2026-01-17T12:00:00Z" \
    "$(jq_py 'str(view("prod", "el9")["listed"]) + " " + view("prod", "el9")["next_change"]')"
pg $NOW status
assert_match "status: el9's row says error, with the last good sync" "$(cat "$PG_OUT")" \
    "^el9 +rpm-md +2026-01-10T12:00:00Z +[0-9.ms ]+ +error +3 +3$"
assert_contains "status prints the error whole" "$(cat "$PG_OUT")" \
    "  el9: sync failed at 2026-01-12T00:00:00Z: $ERR"

pg_say "a mirror whose url holds UTF-8, never synced"
PATCHGATE_NOW=$NOW pg_sync far && pg_notok "the sync of a missing upstream fails"
FERR=$(sed -n 's/^patchgate: \(mirror far: .*\)$/\1/p' "$SYNC_ERR" | head -n 1)
assert_contains "far's error names its url, UTF-8 and all" "$FERR" "dépôt-ünïcödé"
pg $NOW status --json
assert_eq "status --json: far's error whole, UTF-8 intact" "error|None|$FERR" \
    "$(jq_py 'mirror("far")["result"] + "|" + str(mirror("far")["last_sync"]) + "|" + mirror("far")["error"]')"
pg $NOW status
assert_contains "status: far's error whole, UTF-8 intact" "$(cat "$PG_OUT")" \
    "  far: sync failed at 2026-01-12T00:00:00Z: $FERR"
assert_match "status: far never synced" "$(cat "$PG_OUT")" "^far +rpm-md +never +- +error +0 +0$"

pg_say "2026-01-13: upstream repaired, then a publish"
rm -rf "$REPO"
cp -a "$T/repo.good" "$REPO"
PATCHGATE_NOW=2026-01-13T00:00:00Z pg_sync el9 || pg_notok "the sync of the repaired upstream"
pg 2026-01-13T00:00:00Z publish el9
pg 2026-01-13T00:00:00Z status --json
assert_eq "after the good sync: ok, no error, last sync 2026-01-13" "ok None 2026-01-13T00:00:00Z" \
    "$(jq_py '" ".join(str(mirror("el9")[k]) for k in ("result", "error", "last_sync"))')"
assert_eq "the last run is the publish" "publish ok None" \
    "$(jq_py '" ".join(str(mirror("el9")["last_run"][k]) for k in ("kind", "result", "error"))')"

pg_say "2026-01-17 12:00: foo-1.1 has ripened for prod"
pg 2026-01-17T12:00:00Z status --json
assert_eq "prod plans 3 listed, nothing waiting, no next change" "3 0 None" \
    "$(jq_py '" ".join(str(view("prod", "el9")[k]) for k in ("listed", "waiting", "next_change"))')"

pg 2026-01-17T12:00:00Z status --json extra
assert_eq "status with an operand exits 2" 2 "$PG_RC"

pg_done
