#!/bin/bash
# rpm-md views made from the spooled upstream documents (lib/rpmmd_spool.c):
# the store keeps where each <package> element lies in upstream's
# decompressed primary, filelists and other, and views copy those bytes.
# With createrepo_c, rpmbuild, an HTTP upstream, patchgated and dnf:
#
#   2026-01-01 (the base): app-1.0, lib-1.0
#     dev and prod list everything, so each view's primary, filelists and
#     other are upstream's own files, byte for byte (served as they came);
#     STORE/spool/ holds the three documents, decompressed, nothing else
#   2026-01-02: app-1.0 replaced by app-2.0 upstream
#     dev (delay 0) lists app-2.0, lib-1.0: upstream's files again;
#     prod (delay 7d) keeps app-1.0 (retention): its elements of all three
#     documents are those of 2026-01-01, byte for byte, though upstream's
#     documents no longer hold them; both views are consistent, dnf
#     installs from each what it lists; the spool holds the new documents
#     only
#   2026-01-03: + lib-2.0 upstream: app-1.0's elements in prod are still
#     the first upstream's bytes (kept in the store since the second sync)
#   the same upstream again: nothing is written, the spool is unchanged

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"

need python3 curl gpg gpgv rpmbuild createrepo_c sha256sum
need_dnf
pg_need_programs

W=$T/www
REPO=$W/repo
STORE=$T/store

# spool_files: the names in STORE/spool/*/, sorted, one line.
spool_files() {
	(cd "$STORE/spool" 2>/dev/null && ls -A */ 2>/dev/null | grep -v '/:$' |
	    grep -v '^$' | sort | tr '\n' ' ')
}

# served_href BASEURL TYPE: the location href of TYPE in the served repomd.xml.
served_href() {
	curl -sf "$1/repodata/repomd.xml" | "$PYTHON" -c '
import re, sys
md = sys.stdin.read()
for m in re.finditer(r"<data\s+type=\"([^\"]+)\"\s*>(.*?)</data>", md, re.S):
    if m.group(1) == sys.argv[1]:
        print(re.search(r"<location\b[^>]*\bhref=\"([^\"]+)\"", m.group(2)).group(1))
' "$2"
}

# same_as_upstream GROUP TYPE: the view's TYPE file is upstream's, byte for byte.
same_as_upstream() {
	local href up
	href=$(served_href "$PG_URL/$1/el9" "$2")
	up=$(repomd_href "$REPO" "$2")
	[ -n "$href" ] || { echo "$1 lists no $2"; return 1; }
	curl -sf -o "$T/served.$1.$2" "$PG_URL/$1/el9/$href" || { echo "$href: not served"; return 1; }
	cmp "$T/served.$1.$2" "$REPO/$up"
}

pg_say "upstream: app-1.0, lib-1.0"
mkrpm "$REPO/Packages" app 1.0
mkrpm "$REPO/Packages" lib 1.0
mkrepo "$REPO"
start_upstream "$W"
for t in primary filelists other; do
	pg_rpmmd fetch "$UPSTREAM_URL/repo" $t "$T/up-1.$t.xml" || fail "upstream has no $t"
done

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
rule = classification=* delay=7d

[group dev]
baseline = dev
mirrors = el9

[group prod]
baseline = prod
mirrors = el9
EOF

PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync || fail "the first sync failed"
assert_match "the sync logs its phases, parse and store included" \
    "$(cat "$SYNC_OUT" "$SYNC_ERR")" \
    "mirror el9: sync took fetch [0-9.]+ s, verify [0-9.]+ s, parse [0-9.]+ s, store [0-9.]+ s, plan"
PATCHGATE_NOW=2026-01-01T00:00:00Z start_patchgated "$PG_CONF"

pg_say "2026-01-01: every view lists everything: upstream's own files"
for g in dev prod; do
	for t in primary filelists other; do
		assert_true "$g: $t is upstream's file, byte for byte" same_as_upstream $g $t
	done
	assert_true "$g: every file repomd.xml names is served with its size and checksums" \
	    pg_rpmmd consistent "$PG_URL/$g/el9"
done
assert_eq "the spool holds upstream's three documents" "doc-1.xml doc-2.xml doc-3.xml " \
    "$(spool_files)"
n=0
for f in "$STORE"/spool/*/doc-*.xml; do
	for t in primary filelists other; do
		cmp -s "$f" "$T/up-1.$t.xml" && n=$((n + 1))
	done
done
assert_eq "each spooled document is one of upstream's, decompressed" 3 "$n"

# mkrepo_without_app1: the repository without app-1.0 in its metadata; its
# file stays in the pool for a while, as upstreams keep it.
mkrepo_without_app1() {
	createrepo_c --excludes '*app-1.0-1.noarch.rpm' "$REPO" >"$T/log/createrepo.log" 2>&1 ||
		fail "createrepo_c $REPO: $(tail -n 20 "$T/log/createrepo.log")"
}

pg_say "upstream, 2026-01-02: app-1.0 replaced by app-2.0"
mkrpm "$REPO/Packages" app 2.0
mkrepo_without_app1
for t in primary filelists other; do
	pg_rpmmd fetch "$UPSTREAM_URL/repo" $t "$T/up-2.$t.xml" || fail "upstream has no $t"
done
assert_not_contains "upstream's primary no longer lists app-1.0" \
    "$(cat "$T/up-2.primary.xml")" "app-1.0-1.noarch.rpm"
PATCHGATE_NOW=2026-01-02T00:00:00Z pg_sync || fail "the sync of 2026-01-02 failed"

assert_eq "dev lists app-2.0 and lib-1.0" \
    "$(printf '%s\n' app-2.0-1.noarch lib-1.0-1.noarch)" "$(dnf_available "$T/dev.q" "$PG_URL/dev/el9")"
for t in primary filelists other; do
	assert_true "dev: $t is upstream's new file, byte for byte" same_as_upstream dev $t
done
assert_eq "prod keeps app-1.0 (retention), lists lib-1.0" \
    "$(printf '%s\n' app-1.0-1.noarch lib-1.0-1.noarch)" "$(dnf_available "$T/prod.q" "$PG_URL/prod/el9")"
for t in primary filelists other; do
	pg_rpmmd fetch "$PG_URL/prod/el9" $t "$T/prod-2.$t.xml" || pg_notok "prod lists $t"
	assert_eq "prod: $t has two <package> elements" 2 "$(pg_rpmmd packages "$T/prod-2.$t.xml")"
	assert_eq "prod: each of them is the first upstream's, byte for byte" 2 \
	    "$(pg_rpmmd subset "$T/prod-2.$t.xml" "$T/up-1.$t.xml")"
	assert_contains "prod: $t names app-1.0's package" "$(cat "$T/prod-2.$t.xml")" \
	    "$(rpm_sha256 app-1.0-1)"
done
for g in dev prod; do
	assert_true "$g: every file repomd.xml names is served with its size and checksums" \
	    pg_rpmmd consistent "$PG_URL/$g/el9"
done
assert_eq "the spool holds the new documents only" "doc-4.xml doc-5.xml doc-6.xml " \
    "$(spool_files)"
dnf_in "$T/prod" "$PG_URL/prod/el9" install app || pg_notok "prod: dnf install app"
assert_eq "prod: dnf installs the retained app-1.0" 1.0-1 "$(installed "$T/prod" app)"
dnf_in "$T/dev" "$PG_URL/dev/el9" install app || pg_notok "dev: dnf install app"
assert_eq "dev: dnf installs app-2.0" 2.0-1 "$(installed "$T/dev" app)"

pg_say "upstream, 2026-01-03: + lib-2.0"
mkrpm "$REPO/Packages" lib 2.0
mkrepo_without_app1
PATCHGATE_NOW=2026-01-03T00:00:00Z pg_sync || fail "the sync of 2026-01-03 failed"
for t in primary filelists other; do
	pg_rpmmd fetch "$PG_URL/prod/el9" $t "$T/prod-3.$t.xml" || pg_notok "prod lists $t"
	assert_contains "prod: $t still names app-1.0's package" "$(cat "$T/prod-3.$t.xml")" \
	    "$(rpm_sha256 app-1.0-1)"
	assert_eq "prod: its elements are still upstream's of 2026-01-01 and -02" \
	    "$(pg_rpmmd packages "$T/prod-3.$t.xml")" \
	    "$(cat "$T/up-1.$t.xml" "$T/up-2.$t.xml" >"$T/up-12.$t.xml";
	       pg_rpmmd subset "$T/prod-3.$t.xml" "$T/up-12.$t.xml")"
done
assert_true "prod: every file repomd.xml names is served with its size and checksums" \
    pg_rpmmd consistent "$PG_URL/prod/el9"
assert_eq "the spool holds the newest documents only" "doc-7.xml doc-8.xml doc-9.xml " \
    "$(spool_files)"

pg_say "the same upstream an hour later"
# newest_gens: each view's current generation and its newest one.  (An
# older one may go meanwhile: its grace period ends at this hour.)
newest_gens() {
	local v
	for v in prod dev; do
		printf '%s %s ' "$(readlink "$STORE/views/$v/el9/current")" \
		    "$(ls -d "$STORE/views/$v/el9"/gen-* | tail -n 1)"
	done
}
gens_before=$(newest_gens)
PATCHGATE_NOW=2026-01-03T01:00:00Z pg_sync || fail "the re-sync failed"
assert_eq "no view has a new generation" "$gens_before" "$(newest_gens)"
assert_eq "the spool is unchanged" "doc-7.xml doc-8.xml doc-9.xml " "$(spool_files)"

pg_done
