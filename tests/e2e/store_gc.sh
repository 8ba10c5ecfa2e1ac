#!/bin/bash
# The blob store, end to end: files kept once under their SHA-256, gc of
# what nothing needs, and the store quota's eviction.
# Two rpm-md mirrors of one upstream server list the same rpm (shared):
#   a  repodata made with createrepo_c --checksum sha512
#   b  repodata with createrepo_c's default, sha256; also foo, bar, and
#      sec1 and sec2, which every baseline rejects
# Groups dev (delay 0) and prod (delay 7d).
# 1. dnf installs shared through dev/a and dev/b: the store holds its bytes
#    once (one file, an sha512 alias); gc --dry-run lists nothing.  A plain
#    copy under blobs/sha512/, as older versions stored it, is served, and
#    gc turns it into an alias.
# 2. 2026-01-02: upstream b replaces foo 1.0 by 1.1 and deletes 1.0's rpm;
#    prod keeps 1.0 (retained), gc keeps it, prod still installs it; a
#    snapshot of prod is made.
# 3. 2026-01-09 12:00: 1.1 has ripened for prod; a later sync and publish
#    retire the generations that listed 1.0; a snapshot made on 2026-01-02
#    still needs it; once the snapshot is deleted, gc --dry-run lists 1.0's
#    rpm and nothing anyone needs; gc removes it and its path is a 404.
# 4. The quota: sec1 and sec2 fetched through /_mirror/ are needed by
#    nothing; a quota the store exceeds by less than sec1 evicts sec1, the
#    least recently read, and nothing else; a quota below what the views
#    need evicts every unneeded file, warns, and dnf still installs.
# Time goes through PATCHGATE_NOW; the daemon keeps the first day's clock
# (it never spawns a sync or publish of its own).

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"

need python3 curl gpg gpgv rpmbuild createrepo_c
need_dnf
pg_need_programs

W=$T/www
STORE=$T/store
T0=2026-01-01T00:00:00Z
T1=2026-01-02T00:00:00Z
T2=2026-01-09T12:00:00Z
T3=2026-01-16T12:00:00Z

# gc ARGS: patchgate gc, at the time in $NOW; output in $GC_OUT, errors
# in $GC_ERR.
gc() {
	local rc
	pg_next gc
	GC_OUT=$REPLY.out
	GC_ERR=$REPLY.err
	echo "+ PATCHGATE_NOW=$NOW patchgate gc $*" >&2
	PATCHGATE_NOW=$NOW "$top_builddir/patchgate" -c "$PG_CONF" gc "$@" \
	    >"$GC_OUT" 2>"$GC_ERR"
	rc=$?
	sed 's/^/  1| /' "$GC_OUT" >&2
	sed 's/^/  2| /' "$GC_ERR" >&2
	return $rc
}

# publish: patchgate publish at $NOW; its stderr in $SYNC_ERR.
publish() {
	pg_next publish
	SYNC_ERR=$REPLY.err
	echo "+ PATCHGATE_NOW=$NOW patchgate publish" >&2
	PATCHGATE_NOW=$NOW "$top_builddir/patchgate" -c "$PG_CONF" publish \
	    2>"$SYNC_ERR"
	local rc=$?
	sed 's/^/  2| /' "$SYNC_ERR" >&2
	return $rc
}

# blob_files: the regular files of the blob store, one a line.
blob_files() { find "$STORE/blobs" -type f | sort; }

# copies FILE: how many files of the blob store hold FILE's bytes.
copies() {
	local f n=0
	for f in $(blob_files); do cmp -s "$f" "$1" && n=$((n + 1)); done
	echo $n
}

# blob_of NVR: the store's file of that rpm (by its sha256), or "none".
blob_of() {
	local h
	h=$(sha256sum "$T/rpms/$1.noarch.rpm" | cut -d' ' -f1)
	if [ -f "$STORE/blobs/sha256/${h:0:2}/$h" ]; then
		echo "$STORE/blobs/sha256/${h:0:2}/$h"
	else
		echo none
	fi
}

mkrepo_sha512() {
	createrepo_c --checksum sha512 "$1" >"$T/log/createrepo.log" 2>&1 ||
		fail "createrepo_c --checksum sha512 $1: $(tail -n 20 "$T/log/createrepo.log")"
}

write_conf() {
	cat >"$PG_CONF" <<-EOF
	[server]
	listen = 127.0.0.1:0
	store = $STORE
	${QUOTA:+store-quota = $QUOTA}

	[mirror a]
	type = rpm-md
	url = $UPSTREAM_URL/a

	[mirror b]
	type = rpm-md
	url = $UPSTREAM_URL/b

	[baseline dev]
	rule = classification=* delay=0
	rejected = sec*

	[baseline prod]
	rule = classification=* delay=7d
	rejected = sec*

	[group dev]
	baseline = dev
	mirrors = a b

	[group prod]
	baseline = prod
	mirrors = a b
	EOF
}

mkdir -p "$W"
start_upstream "$W"
pg_say "upstream on $T0: a (sha512) and b (sha256) both list shared 1.0"
mkrpm "$W/a/Packages" shared 1.0
mkrepo_sha512 "$W/a"
for p in shared foo sec1 sec2; do mkrpm "$W/b/Packages" $p 1.0; done
mkrepo "$W/b"
assert_contains "a's repodata names its rpm by sha512" \
    "$(zcat "$W"/a/repodata/*-primary.xml.gz)" '<checksum type="sha512" pkgid="YES">'

PG_CONF=$T/patchgate.conf
QUOTA=
write_conf
NOW=$T0
PATCHGATE_NOW=$NOW pg_sync || fail "the first sync failed"
PATCHGATE_NOW=$T0 start_patchgated "$PG_CONF"

pg_say "1. one rpm through two mirrors, kept once"
SHARED=$T/rpms/shared-1.0-1.noarch.rpm
assert_eq "no copy of shared before a client asks" 0 "$(copies "$SHARED")"
assert_true "dnf installs shared through dev/a (sha512)" \
    dnf_in "$T/ra" "$PG_URL/dev/a" install shared
assert_eq "... shared 1.0 is installed" 1.0-1 "$(installed "$T/ra" shared)"
assert_true "dnf installs shared and foo through dev/b (sha256)" \
    dnf_in "$T/rb" "$PG_URL/dev/b" install shared foo
assert_eq "... shared 1.0 is installed" 1.0-1 "$(installed "$T/rb" shared)"
assert_eq "the store holds shared's bytes once" 1 "$(copies "$SHARED")"
assert_eq "... under its sha256" "$(blob_of shared-1.0-1)" \
    "$(for f in $(blob_files); do cmp -s "$f" "$SHARED" && echo "$f"; done)"
S512=$(sha512sum "$SHARED" | cut -d' ' -f1)
ALIAS=$STORE/blobs/sha512/${S512:0:2}/$S512
assert_true "a's sha512 name of it is an alias" test -L "$ALIAS"
assert_eq "... that leads to the sha256 file" "$(readlink -f "$(blob_of shared-1.0-1)")" \
    "$(readlink -f "$ALIAS")"
assert_eq "the blob store's regular files and their bytes: each content once" \
    "$(blob_files | wc -l)" "$(for f in $(blob_files); do sha256sum <"$f"; done | sort -u | wc -l)"
assert_eq "every file lies under blobs/sha256/, the rest are aliases" "" \
    "$(find "$STORE/blobs" -type f -not -path "$STORE/blobs/sha256/*")"
assert_status "$PG_URL/dev/a/Packages/shared-1.0-1.noarch.rpm" 200
assert_files_eq "dev/a serves shared from the store" "$SHARED" "$HTTP_BODY"

NFILES=$(blob_files | wc -l)
gc --dry-run || pg_notok "gc --dry-run failed"
assert_contains "$T0: gc --dry-run would remove nothing" "$(cat "$GC_OUT")" \
    "would remove 0 files (0 bytes) and 0 aliases"
assert_eq "... and removes nothing" "$NFILES" "$(blob_files | wc -l)"

pg_say "1b. a store of an older version: a plain copy under blobs/sha512/"
cp --remove-destination "$SHARED" "$ALIAS"
assert_eq "two copies of shared, as an older version kept them" 2 "$(copies "$SHARED")"
gc --dry-run || pg_notok "gc --dry-run failed"
assert_contains "gc --dry-run would move it" "$(cat "$GC_OUT")" \
    "would move sha512:$S512 under its sha256"
assert_eq "... and leaves it" 2 "$(copies "$SHARED")"
gc || pg_notok "gc failed"
assert_contains "gc moves it under its sha256" "$(cat "$GC_OUT")" \
    "moved sha512:$S512 to sha256:${SHARED_SHA:=$(sha256sum "$SHARED" | cut -d' ' -f1)}"
assert_true "... its name is an alias again" test -L "$ALIAS"
assert_eq "... and the store holds shared once" 1 "$(copies "$SHARED")"
assert_status "$PG_URL/dev/a/Packages/shared-1.0-1.noarch.rpm" 200
assert_files_eq "dev/a still serves shared" "$SHARED" "$HTTP_BODY"

pg_say "2. $T1: upstream b replaces foo 1.0 by 1.1 and deletes 1.0's rpm"
rm "$W/b/Packages/foo-1.0-1.noarch.rpm"
mkrpm "$W/b/Packages" foo 1.1
mkrepo "$W/b"
NOW=$T1
PATCHGATE_NOW=$NOW pg_sync || fail "the sync of $T1 failed"
FOO10=$(blob_of foo-1.0-1)
assert_ne "foo 1.0's rpm is in the store" none "$FOO10"
gc || pg_notok "gc failed"
assert_not_contains "$T1: gc keeps foo 1.0, which prod still sees" "$(cat "$GC_OUT")" \
    "${FOO10##*/}"
assert_true "... its file is still there" test -f "$FOO10"
assert_true "prod installs foo 1.0, which upstream no longer has" \
    dnf_in "$T/rp" "$PG_URL/prod/b" install foo
assert_eq "... foo 1.0 is installed" 1.0-1 "$(installed "$T/rp" foo)"
pg_next snapshot
assert_true "a snapshot of prod on $T1 (foo 1.0)" env PATCHGATE_NOW=$NOW \
    "$top_builddir/patchgate" -c "$PG_CONF" snapshot create rel1 --group prod

pg_say "3. $T2: foo 1.1 ripens for prod; then bar comes, and ripens too"
mkrpm "$W/b/Packages" bar 1.0
mkrepo "$W/b"
NOW=$T2
PATCHGATE_NOW=$NOW pg_sync || fail "the sync of $T2 failed"
assert_status "$PG_URL/prod/b/Packages/foo-1.0-1.noarch.rpm" 404
# The generations that listed 1.0 go once their successors are older
# than the grace period, at the next publish that changes the view.
NOW=$T3
publish || fail "the publish of $T3 failed"
assert_eq "no generation lists foo 1.0 any more" "" \
    "$(grep -l "^V	Packages/foo-1.0-1.noarch.rpm	" "$STORE"/views/*/*/gen-*/packages.idx)"
gc --dry-run || pg_notok "gc --dry-run failed"
assert_not_contains "$T3: gc keeps foo 1.0 while snapshot rel1 lists it" \
    "$(cat "$GC_OUT")" "${FOO10##*/}"
assert_status "$PG_URL/_snapshot/rel1/b/Packages/foo-1.0-1.noarch.rpm" 200
assert_files_eq "... and the snapshot serves it" "$T/rpms/foo-1.0-1.noarch.rpm" "$HTTP_BODY"
assert_true "snapshot rel1 is deleted" env PATCHGATE_NOW=$NOW \
    "$top_builddir/patchgate" -c "$PG_CONF" snapshot delete rel1
gc --dry-run || pg_notok "gc --dry-run failed"
DRY=$(grep '^would remove [a-z0-9]*:' "$GC_OUT")
assert_contains "$T3: gc --dry-run lists foo 1.0's rpm, with its name" "$DRY" \
    "would remove sha256:${FOO10##*/} $(wc -c <"$T/rpms/foo-1.0-1.noarch.rpm") bytes  b: Packages/foo-1.0-1.noarch.rpm"
for nvr in shared-1.0-1 foo-1.1-1 bar-1.0-1; do
	f=$(blob_of $nvr)
	[ "$f" = none ] && continue
	assert_not_contains "... not $nvr, which the views list" "$DRY" "${f##*/}"
done
assert_not_contains "... not the sha512 alias of shared" "$DRY" "$S512"
# Nothing it lists is named by the current metadata of a mirror.
for h in $(sed -n 's/^would remove [a-z0-9]*:\([0-9a-f]*\) .*/\1/p' "$GC_OUT"); do
	for m in a b; do
		cur=$STORE/mirrors/$m/current/tree/repodata
		for f in "$cur"/*; do
			[ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$h" ] &&
				pg_notok "gc --dry-run lists $h, which is $f"
		done
	done
done
assert_true "... and has removed nothing" test -f "$FOO10"
gc || pg_notok "gc failed"
assert_match "gc says what it removed and what it freed" "$(tail -n 1 "$GC_OUT")" \
    '^removed [1-9][0-9]* files? \([0-9.]+ (bytes|KiB|MiB)\) and [0-9]+ alias(es)?; kept [1-9][0-9]* files'
assert_false "foo 1.0's rpm is gone from the store" test -e "$FOO10"
assert_status "$PG_URL/prod/b/Packages/foo-1.0-1.noarch.rpm" 404
assert_status "$PG_URL/dev/b/Packages/foo-1.0-1.noarch.rpm" 404
assert_eq "shared is still kept once" 1 "$(copies "$SHARED")"
assert_true "shared's alias still leads to it" test -f "$ALIAS"
gc || pg_notok "gc failed"
assert_contains "a second gc finds nothing more" "$(cat "$GC_OUT")" \
    "removed 0 files (0 bytes) and 0 aliases"
assert_true "prod installs foo (1.1) and bar in a new root" \
    dnf_in "$T/rp2" "$PG_URL/prod/b" install foo bar shared
assert_eq "... foo 1.1" 1.1-1 "$(installed "$T/rp2" foo)"
assert_eq "... bar 1.0" 1.0-1 "$(installed "$T/rp2" bar)"

pg_say "4. the store quota evicts only what nothing needs, least recently read first"
assert_status "$PG_URL/dev/b/Packages/sec1-1.0-1.noarch.rpm" 404
for p in sec1 sec2; do
	assert_status "$PG_URL/_mirror/b/Packages/$p-1.0-1.noarch.rpm" 200
done
SEC1=$(blob_of sec1-1.0-1)
SEC2=$(blob_of sec2-1.0-1)
assert_ne "/_mirror/ stored sec1" none "$SEC1"
assert_ne "/_mirror/ stored sec2" none "$SEC2"
# Reads as long ago as the test wants: sec1 is the least recently read.
for f in $(blob_files); do touch -a -d 2026-02-01 "$f"; done
touch -a -d 2025-01-01 "$SEC1"
touch -a -d 2026-03-01 "$SEC2"
TOTAL=$(find "$STORE/blobs" -type f -printf '%s\n' | awk '{ n += $1 } END { print n }')
S1=$(wc -c <"$SEC1")
KEEP=$(blob_files | grep -v -e "$SEC1" | sort)
QUOTA=$((TOTAL - S1))
write_conf
publish || pg_notok "the publish with store-quota = $QUOTA failed"
assert_contains "publish evicts sec1 to fit the quota" "$(cat "$SYNC_ERR")" \
    "store-quota: evicted 1 file no view needs"
assert_false "sec1 is gone" test -e "$SEC1"
assert_eq "every other file is still there" "$KEEP" "$(blob_files)"

QUOTA=1K
write_conf
NEEDED=$(blob_files | grep -v -e "$SEC2")
publish || pg_notok "the publish with store-quota = 1K failed"
assert_contains "below what the views need, it warns" "$(cat "$SYNC_ERR")" \
    "store-quota: the blobs that are needed take"
assert_contains "... naming the quota" "$(cat "$SYNC_ERR")" "more than the quota of 1.0 KiB"
assert_false "sec2, needed by nothing, is gone" test -e "$SEC2"
assert_eq "every file a view or mirror metadata needs is still there" "$NEEDED" "$(blob_files)"
assert_true "dnf still installs from prod/b (store: at most one file over)" \
    dnf_in "$T/rp3" "$PG_URL/prod/b" install foo bar shared
assert_eq "... foo 1.1" 1.1-1 "$(installed "$T/rp3" foo)"
assert_true "dnf still installs shared from dev/a" \
    dnf_in "$T/ra2" "$PG_URL/dev/a" install shared
assert_eq "... shared 1.0" 1.0-1 "$(installed "$T/ra2" shared)"
assert_eq "shared is kept once still" 1 "$(copies "$SHARED")"

pg_say "5b. a view that stopped changing lets its older generations go"
# prod/b changed at $T3 (bar ripened); its generation of $T2 is still
# there, in its grace period (1h).  A publish two hours later that writes
# nothing (no view changed) removes it; the current one stays served.
PB=$STORE/views/prod/b
assert_eq "at $T3 prod/b has two generations" 2 "$(ls -d "$PB"/gen-* | wc -l)"
NOW=2026-01-16T14:00:00Z
publish || pg_notok "the publish of $NOW failed"
assert_eq "two hours later, a publish leaves one" 1 "$(ls -d "$PB"/gen-* | wc -l)"
assert_eq "... the current one" "$(readlink -f "$PB/current")" "$(ls -d "$PB"/gen-*)"
assert_status "$PG_URL/prod/b/repodata/repomd.xml" 200

pg_say "5. bad input"
QUOTA=lots
write_conf
NOW=$T3
gc
assert_contains "store-quota = lots is refused, naming key and value" "$(cat "$GC_ERR")" \
    'store-quota: bad size "lots"'
QUOTA=
write_conf
gc --no-such-option
assert_contains "an unknown option prints the usage" "$(cat "$GC_ERR")" \
    "usage: patchgate [-v] [-c file] gc [--dry-run]"

pg_done
