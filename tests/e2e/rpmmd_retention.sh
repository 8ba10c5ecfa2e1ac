#!/bin/bash
# Retention of an rpm-md mirror, end to end: Fedora's and openSUSE's update
# repositories list only the newest build, so the repodata that adds 1.1
# drops 1.0, and the directory deletes 1.0's rpm soon after (or at once).
# prod (delay 7d) must keep 1.0 until 1.1 ripens; dev (delay 0) moves to
# 1.1.  Real rpms (rpmbuild), createrepo_c, an HTTP upstream and real dnf
# installing through patchgated.
#
# Four mirrors of one upstream server, one scenario each, synced together:
#   keep   gaterpm: the repodata of 2026-01-10 lists 1.1 only, the directory
#          still holds 1.0's rpm: that sync stores it (at-risk prefetch, the
#          default); the rpm is deleted before the sync of 2026-01-11.
#   vis    visrpm, prefetch = visible: 1.0's rpm is deleted in the same
#          update that adds 1.1; the first sync had stored it already,
#          because prod listed it.
#   gone   gonerpm, the same update as vis with the default prefetch: 1.0
#          is lost for prod (the warning names it and the group), prod
#          lists no gonerpm until 1.1 ripens, the 404 of its path says why.
#          This is also the control of vis: without prefetch = visible, it
#          fails.
#   arch   arcrpm, the same update with archive-url = STALE ARCHIVE: the
#          repository has no 1.0 any more, STALE holds other bytes under its
#          path (verification rejects them), ARCHIVE holds upstream's rpm.
#   list   listrpm, a mirror known by a mirrorlist only, prefetch = visible,
#          in prod alone: 1.1, added on 2026-01-10 beside 1.0, ripens for
#          prod at a publish without a sync (2026-01-18), which stores it
#          through the list's bases, as a sync would, not under the
#          mirrorlist's URL.
# 2026-01-18: 1.1 (first seen 2026-01-10 12:00) has ripened for prod.
# Every rpm dnf fetches is compared with upstream's original file, kept in
# $T/rpms by mkrpm.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"

need python3 curl gpg gpgv rpmbuild createrepo_c
need_dnf
pg_need_programs

W=$T/www
STORE=$T/store
MIRRORS="keep vis gone arch"

# pkg_of MIRROR: the package of that mirror's scenario (distinct names, so
# that no two mirrors share a file in the content-addressed store).
pkg_of() {
	case $1 in
	keep) echo gaterpm ;;
	vis) echo visrpm ;;
	gone) echo gonerpm ;;
	arch) echo arcrpm ;;
	esac
}

# rpm_path NAME VERSION: the location of that rpm in its repository.
rpm_path() { echo "Packages/$1-$2-1.noarch.rpm"; }

# mkrepo_without DIR PATH...: repodata for every rpm under DIR except PATHs,
# which stay in the directory (a mirror keeps a file for a while after the
# repodata stops listing it).
mkrepo_without() {
	local dir=$1 p
	shift
	mkdir -p "$T/aside"
	for p in "$@"; do mv "$dir/$p" "$T/aside/" || fail "mkrepo_without: no $dir/$p"; done
	mkrepo "$dir"
	for p in "$@"; do mv "$T/aside/${p##*/}" "$dir/$p" || fail "mkrepo_without: cannot put back $p"; done
}

# primary_nevras BASEURL: name-version-release.arch of every <package> of
# the primary that BASEURL's repomd.xml names, sorted.
primary_nevras() {
	pg_next primary
	pg_rpmmd fetch "$1" primary "$REPLY.xml" || { echo "no primary"; return; }
	"$PYTHON" - "$REPLY.xml" <<-'EOF'
	import re, sys
	out = []
	for p in re.findall(r'<package[\s>].*?</package>', open(sys.argv[1]).read(), re.S):
	    v = re.search(r'<version\b[^>]*\bver="([^"]*)"[^>]*\brel="([^"]*)"', p)
	    out.append("%s-%s-%s.%s" % (re.search(r'<name>([^<]*)</name>', p).group(1),
	                                v.group(1), v.group(2), re.search(r'<arch>([^<]*)</arch>', p).group(1)))
	print("\n".join(sorted(out)))
	EOF
}

mkdir -p "$W"
start_upstream "$W"

pg_say "upstream on 2025-12-31: gaterpm, visrpm, gonerpm, arcrpm 1.0 (one per mirror)"
for m in $MIRRORS; do
	mkrpm "$W/$m/Packages" "$(pkg_of $m)" 1.0
	mkrepo "$W/$m"
	pg_rpmmd fetch "$UPSTREAM_URL/$m" primary "$T/$m.up-1.primary.xml" || fail "upstream $m has no primary"
done
mkrpm "$W/list/Packages" listrpm 1.0
mkrepo "$W/list"
printf '# repo = list arch = noarch\n%s/list/\n' "$UPSTREAM_URL" >"$W/list.mirrorlist"

PG_CONF=$T/patchgate.conf
{
	printf '[server]\nlisten = 127.0.0.1:0\nstore = %s\n' "$STORE"
	for m in $MIRRORS; do
		printf '\n[mirror %s]\ntype = rpm-md\nurl = %s/%s\n' "$m" "$UPSTREAM_URL" "$m"
		case $m in
		vis) echo "prefetch = visible" ;;
		arch) echo "archive-url = $UPSTREAM_URL/stale $UPSTREAM_URL/archive" ;;
		esac
	done
	cat <<-EOF

	[mirror list]
	type = rpm-md
	mirrorlist = $UPSTREAM_URL/list.mirrorlist
	prefetch = visible

	[baseline dev]
	rule = classification=* delay=0

	[baseline prod]
	rule = classification=* delay=7d

	[group dev]
	baseline = dev
	mirrors = $MIRRORS

	[group prod]
	baseline = prod
	mirrors = $MIRRORS list
	EOF
} >"$PG_CONF"

PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync || fail "the first sync failed"
# prefetch = visible stores what a delayed group lists at every sync, the
# base included; at-risk stores nothing while upstream lists everything.
ERR=$(cat "$SYNC_ERR")
assert_contains "2026-01-01: vis (prefetch = visible) stores visrpm 1.0, which prod lists" \
    "$ERR" "mirror vis: stored $(rpm_path visrpm 1.0) while upstream still has it"
for m in keep gone arch; do
	assert_not_contains "2026-01-01: $m (prefetch = at-risk) stores nothing while upstream lists 1.0" \
	    "$ERR" "mirror $m: stored"
done

pg_say "upstream on 2026-01-10: 1.1 replaces 1.0 in every repository's repodata"
for m in $MIRRORS; do mkrpm "$W/$m/Packages" "$(pkg_of $m)" 1.1; done
# list: 1.1 beside 1.0.
mkrpm "$W/list/Packages" listrpm 1.1
mkrepo "$W/list"
# keep: the repodata drops 1.0, the directory keeps its rpm for now.
mkrepo_without "$W/keep" "$(rpm_path gaterpm 1.0)"
# vis, gone, arch: the rpm goes in the same update.
P=$(rpm_path arcrpm 1.0)
mkdir -p "$W/archive/${P%/*}" "$W/stale/${P%/*}"
cp "$T/rpms/arcrpm-1.0-1.noarch.rpm" "$W/archive/$P"
cp "$T/rpms/arcrpm-1.1-1.noarch.rpm" "$W/stale/$P"
for m in vis gone arch; do
	rm "$W/$m/$(rpm_path "$(pkg_of $m)" 1.0)"
	mkrepo "$W/$m"
done
for m in $MIRRORS; do
	assert_eq "upstream $m lists $(pkg_of $m) 1.1 only" "$(pkg_of $m)-1.1-1.noarch" \
	    "$(primary_nevras "$UPSTREAM_URL/$m")"
done
# The setup itself: keep's directory still serves 1.0, the others' do not.
assert_status "$UPSTREAM_URL/keep/$(rpm_path gaterpm 1.0)" 200
assert_status "$UPSTREAM_URL/gone/$(rpm_path gonerpm 1.0)" 404
assert_status "$UPSTREAM_URL/arch/$P" 404
assert_status "$UPSTREAM_URL/archive/$P" 200

UPLOG_FROM=$(wc -l <"$T/upstream.log")
PATCHGATE_NOW=2026-01-10T12:00:00Z pg_sync ||
	fail "the sync of 2026-01-10 failed (a lost version is a warning, not a failure)"
ERR=$(cat "$SYNC_ERR")
assert_contains "2026-01-10: keep stores gaterpm 1.0 from upstream as its repodata drops it" \
    "$ERR" "mirror keep: stored $(rpm_path gaterpm 1.0) while upstream still has it"
assert_contains "2026-01-10: arch stores arcrpm 1.0 from its archive" \
    "$ERR" "mirror arch: stored $P while upstream still has it"
assert_not_contains "2026-01-10: keep loses nothing" "$ERR" "mirror keep: lost"
assert_not_contains "2026-01-10: vis loses nothing (stored at the first sync)" "$ERR" "mirror vis: lost"
assert_not_contains "2026-01-10: arch loses nothing (its archive has the file)" "$ERR" "mirror arch: lost"
LOSTLINE=$(grep -F "mirror gone: lost gonerpm-1.0-1.noarch ($(rpm_path gonerpm 1.0)): " "$SYNC_ERR")
assert_contains "2026-01-10: the sync warns that gonerpm-1.0-1.noarch is lost, with the URL it tried" \
    "$LOSTLINE" "warning: mirror gone: lost gonerpm-1.0-1.noarch ($(rpm_path gonerpm 1.0)): upstream no longer lists it and its file could not be fetched ($UPSTREAM_URL/gone/$(rpm_path gonerpm 1.0): "
assert_match "2026-01-10: the warning gives the cause and names prod, and prod alone, as the group that loses it" \
    "$LOSTLINE" "404\); groups that lose it: prod$"
# The archives in order after upstream: its 404, STALE's bytes (wrong:
# verified and refused), then ARCHIVE.
UPLOG=$(tail -n +"$((UPLOG_FROM + 1))" "$T/upstream.log" | grep -F 'arcrpm-1.0-1.noarch.rpm')
assert_eq "2026-01-10: arcrpm 1.0 is asked from upstream, STALE, ARCHIVE, in that order" \
    "$(printf '%s\n' "/arch/$P 404" "/stale/$P 200" "/archive/$P 200")" \
    "$(printf '%s\n' "$UPLOG" | sed -n 's/.*"GET \([^ ]*\) HTTP[^"]*" \([0-9]*\).*/\1 \2/p')"

pg_say "upstream on 2026-01-11: gaterpm 1.0's rpm is deleted (the repodata is unchanged)"
rm "$W/keep/$(rpm_path gaterpm 1.0)"
assert_status "$UPSTREAM_URL/keep/$(rpm_path gaterpm 1.0)" 404
PATCHGATE_NOW=2026-01-11T12:00:00Z pg_sync || fail "the sync of 2026-01-11 failed"
ERR=$(cat "$SYNC_ERR")
for m in keep vis arch; do
	assert_not_contains "2026-01-11: $m loses nothing" "$ERR" "mirror $m: lost"
done

PATCHGATE_NOW=2026-01-11T12:00:00Z start_patchgated "$PG_CONF"

# fetched ROOT NAME-VERSION-RELEASE: the rpm dnf downloaded into ROOT's
# cache (dnf runs with keepcache=True for that), or "none".
fetched() {
	local f
	f=$(find "$1" -name "$2.noarch.rpm" -path '*/packages/*' | head -n 1)
	echo "${f:-none}"
}

pg_say "2026-01-11 12:00: prod keeps 1.0 where it could be stored"
for m in keep vis arch; do
	p=$(pkg_of $m)
	base=$PG_URL/prod/$m
	r=$T/dnf-prod-$m
	assert_eq "prod/$m lists $p-1.0-1.noarch only (retained: upstream lists 1.1 only)" \
	    "$p-1.0-1.noarch" "$(primary_nevras "$base")"
	if pg_rpmmd fetch "$base" primary "$T/prod.$m.primary.xml"; then
		assert_eq "prod/$m: the retained <package> is upstream's, byte for byte" 1 \
		    "$(pg_rpmmd subset "$T/prod.$m.primary.xml" "$T/$m.up-1.primary.xml")"
	else
		pg_notok "prod/$m: repomd.xml lists primary"
	fi
	assert_true "prod/$m: every file repomd.xml names is served with its size and checksums" \
	    pg_rpmmd consistent "$base"
	dnf_in "$r" "$base" --setopt=keepcache=True install $p || pg_notok "dnf install $p in prod/$m"
	assert_eq "prod/$m: dnf installs $p-1.0, gone from upstream" 1.0-1 "$(installed "$r" $p)"
	assert_files_eq "prod/$m: the $p-1.0 rpm dnf fetched is upstream's original file" \
	    "$T/rpms/$p-1.0-1.noarch.rpm" "$(fetched "$r" $p-1.0-1)"
	assert_status "$base/$(rpm_path $p 1.1)" 404
done

pg_say "2026-01-11 12:00: prod has lost gonerpm 1.0"
base=$PG_URL/prod/gone
assert_eq "prod/gone lists no gonerpm (1.0 lost, 1.1 not ripe)" "" "$(primary_nevras "$base")"
assert_false "prod/gone: dnf cannot install gonerpm" dnf_in "$T/dnf-prod-gone" "$base" install gonerpm
assert_eq "prod/gone: gonerpm is not installed" none "$(installed "$T/dnf-prod-gone" gonerpm)"
assert_status "$base/$(rpm_path gonerpm 1.0)" 404
assert_match "prod/gone: the 404 of gonerpm 1.0 says it is lost and why" \
    "$(cat "$HTTP_BODY")" "lost.*could not be fetched"

pg_say "2026-01-11 12:00: dev is on 1.1 everywhere"
for m in $MIRRORS; do
	p=$(pkg_of $m)
	assert_eq "dev/$m lists $p-1.1-1.noarch only (upstream's list)" "$p-1.1-1.noarch" \
	    "$(primary_nevras "$PG_URL/dev/$m")"
done
r=$T/dnf-dev-keep
dnf_in "$r" "$PG_URL/dev/keep" --setopt=keepcache=True install gaterpm || pg_notok "dnf install gaterpm in dev/keep"
assert_eq "dev/keep: dnf installs gaterpm-1.1" 1.1-1 "$(installed "$r" gaterpm)"
assert_files_eq "dev/keep: the gaterpm-1.1 rpm dnf fetched is upstream's" \
    "$T/rpms/gaterpm-1.1-1.noarch.rpm" "$(fetched "$r" gaterpm-1.1-1)"

pg_say "2026-01-18: listrpm 1.1 ripens for prod at a publish, without a sync"
assert_false "listrpm 1.1 is not stored yet (prod does not list it)" \
    test -e "$STORE/blobs/sha256/$(sha256sum <"$T/rpms/listrpm-1.1-1.noarch.rpm" | cut -c1-2)/$(sha256sum <"$T/rpms/listrpm-1.1-1.noarch.rpm" | cut -d' ' -f1)"
pg_next publish
PATCHGATE_NOW=2026-01-18T00:00:00Z "$top_builddir/patchgate" -v -c "$PG_CONF" publish \
    >"$REPLY.out" 2>"$REPLY.err" || pg_notok "the publish of 2026-01-18 failed"
sed 's/^/  2| /' "$REPLY.err" >&2
assert_contains "the publish stores listrpm 1.1 through the mirrorlist's base" \
    "$(cat "$REPLY.err")" "mirror list: stored $(rpm_path listrpm 1.1) while upstream still has it"
assert_not_contains "... and nothing could not be stored" "$(cat "$REPLY.err")" "could not be stored"
assert_eq "prod/list lists listrpm 1.1 (1.0 retained as a fallback or not)" 1 \
    "$(primary_nevras "$PG_URL/prod/list" | grep -c '^listrpm-1.1-1')"

pg_say "2026-01-18: 1.1 has ripened for prod"
PATCHGATE_NOW=2026-01-18T00:00:00Z pg_sync || fail "the sync of 2026-01-18 failed"
assert_not_contains "2026-01-18: nothing is lost any more (prod sees 1.1)" "$(cat "$SYNC_ERR")" ": lost "
for m in keep vis arch; do
	p=$(pkg_of $m)
	r=$T/dnf-prod-$m
	assert_eq "prod/$m lists $p-1.1-1.noarch only" "$p-1.1-1.noarch" "$(primary_nevras "$PG_URL/prod/$m")"
	dnf_in "$r" "$PG_URL/prod/$m" --setopt=keepcache=True upgrade || pg_notok "dnf upgrade in prod/$m"
	assert_eq "prod/$m: dnf upgrade moves $p to 1.1" 1.1-1 "$(installed "$r" $p)"
	assert_files_eq "prod/$m: the $p-1.1 rpm dnf fetched is upstream's" \
	    "$T/rpms/$p-1.1-1.noarch.rpm" "$(fetched "$r" $p-1.1-1)"
done
r=$T/dnf-prod-gone
assert_eq "prod/gone lists gonerpm-1.1-1.noarch only" gonerpm-1.1-1.noarch "$(primary_nevras "$PG_URL/prod/gone")"
dnf_in "$r" "$PG_URL/prod/gone" --setopt=keepcache=True install gonerpm ||
	pg_notok "dnf install gonerpm in prod/gone"
assert_eq "prod/gone: dnf installs gonerpm-1.1" 1.1-1 "$(installed "$r" gonerpm)"
assert_files_eq "prod/gone: the gonerpm-1.1 rpm dnf fetched is upstream's" \
    "$T/rpms/gonerpm-1.1-1.noarch.rpm" "$(fetched "$r" gonerpm-1.1-1)"

pg_done
