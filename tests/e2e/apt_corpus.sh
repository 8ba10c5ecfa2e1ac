#!/bin/bash
# Debian's own metadata through patchgate: bookworm-security (3,063
# packages) and bookworm-updates (38 packages) as Debian signed them,
# served as upstream (InRelease as is, Packages.xz at its path and its
# by-hash path), synced as one mirror with two suites and verified with
# debian-archive-keyring; real apt-get updates through the views of dev and
# prod without a warning; every stanza served is byte-identical to one of
# Debian's and none is missing (the first sync is the base: every group
# sees all of it).  Once the clock passes bookworm-security's Valid-Until,
# the sync fails and says so, and the views stay as they were.
#
# Quirks of the corpus: bookworm-security lists its components as
# updates/main ... (the config and sources.list say main, as Debian's
# users write); both list Translation-en and Packages.diff/Index files
# that the corpus does not have, so apt-get runs with Acquire::Languages
# none, and pdiffs must not be offered for a view's own Packages.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkaptrepo.sh"

CORPUS=$top_srcdir/../shared/corpora/apt
[ -f "$CORPUS/debian-bookworm-security.InRelease" ] || skip "corpus $CORPUS is absent"
CORPUS=$(cd "$CORPUS" && pwd)
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$KEYRING" ] || skip "$KEYRING is absent (package debian-archive-keyring)"

need_apt
pg_need_programs

W=$T/www
REPO=$W/debian
STORE=$T/store
SUITES="bookworm-security bookworm-updates"
export APT_LANGUAGES=none

# The upstream tree, checked against the signed InRelease.
for s in $SUITES; do
	d=$REPO/dists/$s
	mkdir -p "$d/main/binary-amd64/by-hash/SHA256"
	cp "$CORPUS/debian-$s.InRelease" "$d/InRelease"
	cp "$CORPUS/debian-$s-main-amd64.Packages.xz" "$d/main/binary-amd64/Packages.xz"
	listed=$(pg_apt listed "$d/InRelease" main/binary-amd64/Packages.xz) ||
		fail "the corpus changed: $s's InRelease lists no main/binary-amd64/Packages.xz"
	have="$(sha256sum <"$d/main/binary-amd64/Packages.xz" | cut -d' ' -f1) $(wc -c <"$d/main/binary-amd64/Packages.xz")"
	[ "$listed" = "$have" ] ||
		fail "the corpus is inconsistent: $s's InRelease lists Packages.xz as $listed, the file is $have"
	cp "$d/main/binary-amd64/Packages.xz" "$d/main/binary-amd64/by-hash/SHA256/${listed% *}"
	xz -dc "$d/main/binary-amd64/Packages.xz" >"$T/up-$s.Packages"
	mkdir -p "$T/gpgv.$s.gnupg" && chmod 700 "$T/gpgv.$s.gnupg"
	GNUPGHOME=$T/gpgv.$s.gnupg gpgv --keyring "$KEYRING" "$d/InRelease" >"$T/log/gpgv.$s" 2>&1 ||
		fail "the corpus' $s InRelease does not verify with $KEYRING: $(cat "$T/log/gpgv.$s")"
done
assert_eq "bookworm-security's Packages has 3063 stanzas" 3063 "$(pg_apt count "$T/up-bookworm-security.Packages")"
assert_eq "bookworm-updates' Packages has 38 stanzas" 38 "$(pg_apt count "$T/up-bookworm-updates.Packages")"
start_upstream "$W"
UP=$UPSTREAM_URL/debian

# The infrastructure: real apt-get from the plain upstream.
apt_root "$T/direct" "$KEYRING" "$UP" $SUITES
apt_update "$T/direct" || fail "apt-get update from the plain upstream: the test setup is broken"
NPKG=$(APT_CONFIG=$T/direct/apt.conf apt-cache pkgnames | sort | wc -l)
OPENSSL=$(apt_versions "$T/direct" openssl)
pg_say "apt-get from the plain upstream: $NPKG package names; openssl: $(echo $OPENSSL)"
[ -n "$OPENSSL" ] || fail "apt-get from the plain upstream knows no openssl"

PG_CONF=$T/patchgate.conf
cat >"$PG_CONF" <<EOF
[server]
listen = 127.0.0.1:0
store = $STORE

[mirror debian]
type = apt
url = $UP
suites = $SUITES
components = main
architectures = amd64
keyring = $KEYRING

[baseline dev]
rule = classification=* delay=0

[baseline prod]
rule = classification=* delay=7d

[group dev]
baseline = dev
mirrors = debian

[group prod]
baseline = prod
mirrors = debian
EOF

NOW=2026-11-27T00:00:00Z
PATCHGATE_NOW=$NOW pg_sync || fail "the sync of the corpus failed"
PATCHGATE_NOW=$NOW start_patchgated "$PG_CONF"
KEY=$(apt_proxy_key)

for g in dev prod; do
	pg_say "view $g"
	base=$PG_URL/$g/debian
	apt_root "$T/$g" "$KEY" "$base" $SUITES
	apt_update "$T/$g" || pg_notok "$g: apt-get update through the proxy, without warnings"
	assert_eq "$g: apt-get knows as many package names as from upstream" \
	    "$NPKG" "$(APT_CONFIG=$T/$g/apt.conf apt-cache pkgnames | sort | wc -l)"
	assert_eq "$g: apt-get knows openssl's versions as from upstream" "$OPENSSL" "$(apt_versions "$T/$g" openssl)"
	for s in $SUITES; do
		want=$(pg_apt count "$T/up-$s.Packages")
		if pg_apt index "$base" "$s" main amd64 "$T/$g-$s.Packages"; then
			n=$(pg_apt same "$T/$g-$s.Packages" "$T/up-$s.Packages")
			assert_eq "$g $s: every stanza byte-identical to Debian's, all $want of them" "$want" "$n"
			assert_true "$g $s: no stanza twice" \
			    test "$(pg_apt versions "$T/$g-$s.Packages" | wc -l)" = "$want"
		else
			pg_notok "$g $s: the view's InRelease lists a Packages index that is served as listed"
		fi
		# The corpus has no Translation files: the view may list them.
		assert_true "$g $s: every file the InRelease lists is served with its size and SHA256" \
		    pg_apt consistent "$base" "$s" '(^|/)i18n/'
		assert_true "$g $s: InRelease and Release.gpg verify against /_key.asc" \
		    apt_verify_sig "$base" "$s" "$KEY"
		assert_true "$g $s: Date and Valid-Until hold at the test's clock" \
		    pg_apt dates "$base/dists/$s/InRelease" "$NOW"
		curl -s -o "$T/$g-$s.InRelease" "$base/dists/$s/InRelease"
		assert_not_contains "$g $s: the InRelease offers no pdiffs (Packages.diff/Index) for its own Packages" \
		    "$(cat "$T/$g-$s.InRelease")" "Packages.diff/Index"
	done
done

pg_say "after bookworm-security's Valid-Until (Thu, 03 Dec 2026 21:03:35 UTC)"
PATCHGATE_NOW=2026-12-10T00:00:00Z pg_sync
rc=$?
err=$(cat "$SYNC_ERR")
assert_ne "the sync after Valid-Until exits non-zero" 0 $rc
assert_ne "the sync after Valid-Until finishes by itself" 124 $rc
assert_contains "stderr names the mirror" "$err" "mirror debian"
assert_contains "stderr names the file" "$err" "dists/bookworm-security/InRelease"
assert_match "stderr names Valid-Until" "$err" "valid-until"
for g in dev prod; do
	for s in $SUITES; do
		curl -s -o "$T/$g-$s.InRelease.after" "$PG_URL/$g/debian/dists/$s/InRelease"
		assert_files_eq "$g $s: the served InRelease is the one before the failed sync" \
		    "$T/$g-$s.InRelease" "$T/$g-$s.InRelease.after"
	done
	rm -rf "$T/$g.after"
	apt_root "$T/$g.after" "$KEY" "$PG_URL/$g/debian" $SUITES
	apt_update "$T/$g.after" || pg_notok "$g: apt-get update still works after the failed sync"
done

pg_done
