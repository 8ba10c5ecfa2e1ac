#!/bin/bash
# A real distribution's metadata through patchgate: CentOS Stream 9 BaseOS
# (Feb 2022, 1,125 packages) served as upstream, synced, and read back from
# the views: every <package> of primary and filelists byte-identical to
# upstream's and as many; comps passed through; every file the view's
# repomd.xml names served as stated; dnf loads the view.
#
# The corpus is trimmed: its repomd.xml lists `other` and a plain `group`
# (comps) that are absent; group_gz, the same comps gzipped, is present.
# dnf never fetches either for makecache/install/upgrade (it takes
# group_gz over group, and other only for changelogs), so the sensible
# sync succeeds, leaves both out of the view (it cannot serve them), and
# says so in a warning that names the missing file.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

CORPUS=$top_srcdir/../shared/corpora/rpm-md/centos-stream9-baseos-2022
[ -f "$CORPUS/repodata/repomd.xml" ] || skip "corpus $CORPUS is absent"
CORPUS=$(cd "$CORPUS" && pwd)

need python3 curl gpg gpgv
need_dnf
pg_need_programs

STORE=$T/store
start_upstream "$CORPUS"
UP=$UPSTREAM_URL

PG_CONF=$T/patchgate.conf
cat >"$PG_CONF" <<EOF
[server]
listen = 127.0.0.1:0
store = $STORE

[mirror cs9]
type = rpm-md
url = $UP

[baseline dev]
rule = classification=* delay=0

[baseline prod]
rule = classification=security severity=critical,important delay=7d
rule = classification=* delay=14d

[group dev]
baseline = dev
mirrors = cs9

[group prod]
baseline = prod
mirrors = cs9
EOF

OTHER=$(sed -n 's/.*href="\(repodata\/[^"]*-other\.xml\.gz\)".*/\1/p' "$CORPUS/repodata/repomd.xml")
[ -n "$OTHER" ] && [ ! -e "$CORPUS/$OTHER" ] ||
	fail "the corpus changed: expected a listed but absent other.xml.gz"

for t in primary filelists group_gz; do
	pg_rpmmd fetch "$UP" $t "$T/up-$t.xml" || fail "the corpus has no $t"
done
UPCOUNT=$(pg_rpmmd packages "$T/up-primary.xml")
assert_eq "upstream primary has 1125 packages" 1125 "$UPCOUNT"

PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync ||
	fail "the sync of the corpus failed (it should sync what dnf needs: see the comment at the top)"
assert_contains "the sync warns that other.xml.gz is missing upstream" \
    "$(cat "$SYNC_OUT" "$SYNC_ERR")" "$(basename "$OTHER")"
PATCHGATE_NOW=2026-01-01T00:00:00Z start_patchgated "$PG_CONF"

# check_view GROUP: the view of the corpus in GROUP.
check_view() {
	local g=$1 base=$PG_URL/$1/cs9 t n
	pg_say "view $g"
	for t in primary filelists; do
		if ! pg_rpmmd fetch "$base" $t "$T/$g-$t.xml"; then
			pg_notok "$g: the view lists $t"
			continue
		fi
		n=$(pg_rpmmd subset "$T/$g-$t.xml" "$T/up-$t.xml")
		assert_eq "$g: every <package> of $t is byte-identical to upstream's, all $UPCOUNT" \
		    "$UPCOUNT" "$n"
	done
	assert_contains "$g: primary's root says packages=\"$UPCOUNT\"" \
	    "$(head -c 1000 "$T/$g-primary.xml")" "packages=\"$UPCOUNT\""
	if pg_rpmmd fetch "$base" group_gz "$T/$g-group_gz.xml"; then
		assert_files_eq "$g: comps (group_gz) is passed through" "$T/up-group_gz.xml" "$T/$g-group_gz.xml"
	else
		pg_notok "$g: the view lists group_gz"
	fi
	assert_true "$g: every file repomd.xml names is served with its size and checksums" \
	    pg_rpmmd consistent "$base"
	assert_true "$g: repomd.xml.asc verifies against /_key.asc" verify_repomd_sig "$base"
}
check_view dev
check_view prod

pg_say "dnf loads the views as it loads upstream"
UPLIST=$(dnf_available "$T/up" "$UP") || fail "dnf cannot read the corpus itself"
assert_eq "dnf sees $UPCOUNT packages upstream" "$UPCOUNT" "$(printf '%s\n' "$UPLIST" | wc -l)"
assert_eq "dnf sees in prod's view what it sees upstream" "$UPLIST" "$(dnf_available "$T/prod" "$PG_URL/prod/cs9")"
dnf_in "$T/prod" "$PG_URL/prod/cs9" group list || pg_notok "dnf group list in prod"
assert_contains "dnf finds the comps groups in prod's view" "$(cat "$DNF_LOG")" "Minimal Install"

pg_say "unchanged upstream, later clock: the base stays visible everywhere"
PATCHGATE_NOW=2026-03-01T00:00:00Z pg_sync || pg_notok "the second sync of the corpus"
check_view prod

pg_done
