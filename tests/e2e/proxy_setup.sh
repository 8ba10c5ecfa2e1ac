#!/bin/bash
# /GROUP/MIRROR/_setup end to end: the file patchgated writes is used as it
# comes by the real clients.  For rpm-md, dnf installs with the .repo file
# in its reposdir (gpgcheck=0 set on the command line only, as the test
# rpms are unsigned; repo_gpgcheck and gpgkey from the file), and zypper
# adds it with "addrepo -r" and refreshes.  For apt, the .sources entry of
# a mirror that was never synced is parsed field by field, its embedded key
# compared with /_key.asc, and apt-get reads it: with a hand-published
# generation whose InRelease the proxy's key signs, apt-get update verifies
# it with the key from Signed-By alone.  Also: the URL follows the Host
# header (a bad one is not copied), HEAD, 304, Range, the 404s and the 503
# before the signing key exists.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"

need python3 curl gpg rpmbuild createrepo_c apt-get
need_dnf
pg_need_programs

W=$T/www
REPO=$W/repo
STORE=$T/store

mkrpm "$REPO/Packages" foo 1.0
mkrepo "$REPO"
start_upstream "$W"

# deb is never synced (127.0.0.1:9 refuses connections): _setup needs only
# the configuration and the signing key.
PG_CONF=$T/patchgate.conf
cat >"$PG_CONF" <<EOF
[server]
listen = 127.0.0.1:0
store = $STORE

[mirror el9]
type = rpm-md
url = $UPSTREAM_URL/repo

[mirror deb]
type = apt
url = http://127.0.0.1:9/debian
suites = bookworm bookworm-updates
components = main contrib
architectures = amd64 arm64

[baseline prod]
rule = classification=* delay=0

[group prod]
baseline = prod
mirrors = el9 deb

[group dev]
baseline = prod
mirrors = el9
EOF

PATCHGATE_NOW=2026-01-01T00:00:00Z start_patchgated "$PG_CONF"

pg_say "before the first sync: no key to embed in a .sources"
assert_status "$PG_URL/prod/deb/_setup" 503
assert_contains "the 503 says why" "$(cat "$HTTP_BODY")" "no signing key yet; run patchgate sync"
assert_status "$PG_URL/prod/el9/_setup" 200

PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync el9 || fail "the sync of el9 failed"
[ -s "$STORE/key.asc" ] || fail "the sync wrote no $STORE/key.asc"

# --- rpm-md ------------------------------------------------------------------------

pg_say "rpm-md: the .repo file"
SETUP=$PG_URL/prod/el9/_setup
pg_next setup
H=$REPLY.headers
code=$(curl -s --max-time 30 -D "$H" -o "$T/el9.repo" -w '%{http_code}' -- "$SETUP")
assert_eq "GET /prod/el9/_setup" 200 "$code"
sed 's/^/  < /' "$H" >&2
sed 's/^/  | /' "$T/el9.repo" >&2
# header NAME: the value of the response header NAME in $H.
header() { sed -n "s/^$1: *//Ip" "$H" | tr -d '\r' | head -n 1; }
assert_match "Content-Type is text/plain" "$(header Content-Type)" "^text/plain"
assert_eq "Content-Disposition names the .repo file" \
    'attachment; filename="patchgate-prod-el9.repo"' "$(header Content-Disposition)"
assert_eq "Cache-Control is short" "max-age=60" "$(header Cache-Control)"
etag=$(header ETag)
assert_match "a strong ETag" "$etag" '^"[^"]+"$'

# repo_get FILE SECTION KEY: the value as dnf's INI parser reads it.
repo_get() {
	"$PYTHON" - "$@" <<-'EOF'
	import configparser, sys
	c = configparser.RawConfigParser(strict=True)
	c.optionxform = str
	c.read(sys.argv[1])
	if sys.argv[2] == "-":
	    print(" ".join(c.sections()))
	else:
	    print(c.get(sys.argv[2], sys.argv[3], fallback="(none)"))
	EOF
}
R=$T/el9.repo
S=patchgate-prod-el9
assert_eq "one section, [$S]" "$S" "$(repo_get "$R" -)"
assert_eq "baseurl" "$PG_URL/prod/el9/" "$(repo_get "$R" $S baseurl)"
assert_eq "enabled" 1 "$(repo_get "$R" $S enabled)"
assert_eq "repo_gpgcheck" 1 "$(repo_get "$R" $S repo_gpgcheck)"
assert_eq "gpgcheck" 1 "$(repo_get "$R" $S gpgcheck)"
assert_eq "gpgkey" "$PG_URL/_key.asc" "$(repo_get "$R" $S gpgkey)"
assert_eq "metadata_expire" 1h "$(repo_get "$R" $S metadata_expire)"
assert_eq "type (zypper)" rpm-md "$(repo_get "$R" $S type)"
assert_eq "autorefresh (zypper)" 1 "$(repo_get "$R" $S autorefresh)"
assert_match "name" "$(repo_get "$R" $S name)" "prod.*el9"
assert_match "a comment says the package signatures are the vendor's" \
    "$(grep '^#' "$R" | tr '\n' ' ')" "signatures are the vendor's.*gpgkey.*gpgcheck=0"

pg_say "rpm-md: HEAD, 304, Range"
hl=$(curl -s --max-time 30 -o /dev/null -I -w '%{http_code} %header{content-length} %header{content-disposition}' \
    -- "$SETUP" | tr -d '\r')
assert_eq "HEAD: 200, the length of GET's body, the same Content-Disposition" \
    "200 $(wc -c <"$R") attachment; filename=\"patchgate-prod-el9.repo\"" "$hl"
assert_status "$SETUP" 304 -H "If-None-Match: $etag"
assert_status "$SETUP" 206 -r 0-9
assert_files_eq "Range 0-9: the first 10 bytes" <(head -c 10 "$R") "$HTTP_BODY"

pg_say "rpm-md: dnf uses the file as it comes"
# dnf_setup ROOT ARGS...: dnf with ROOT/repos.d, as is, as its only repositories.
dnf_setup() {
	local root=$1 rc
	shift
	mkdir -p "$root/cache"
	printf '[main]\ninstall_weak_deps=False\nkeepcache=False\nplugins=False\n' >"$root/dnf.conf"
	pg_next dnf
	DNF_LOG=$REPLY.log
	echo "+ dnf $* (root ${root#"$T"/}, repos.d: $(ls "$root/repos.d"))" >&2
	${PG_DNF_WRAP:-} timeout -k 5 "${PG_DNF_TIMEOUT:-300}" dnf -y \
	    --installroot="$root" --config="$root/dnf.conf" \
	    --setopt=reposdir="$root/repos.d" --setopt=cachedir="$root/cache" \
	    --releasever=9 "$@" >"$DNF_LOG" 2>&1
	rc=$?
	sed 's/^/  | /' "$DNF_LOG" >&2
	echo "  (exit $rc)" >&2
	return $rc
}
for r in signed unsigned; do
	mkdir -p "$T/$r/repos.d"
	curl -sf --max-time 30 -o "$T/$r/repos.d/x.repo" -- "$SETUP" ||
		fail "curl $SETUP > $r/repos.d/x.repo"
done
# gpgcheck=1 of the file holds: the unsigned test rpm is refused.
if dnf_setup "$T/signed" install foo; then
	pg_notok "dnf with the file alone refuses the unsigned test rpm (gpgcheck=1)"
else
	pg_ok "dnf with the file alone refuses the unsigned test rpm (gpgcheck=1)"
fi
assert_match "  ... for want of a package signature" "$(cat "$DNF_LOG")" \
    "not signed|GPG check FAILED"
assert_eq "foo is not installed" none "$(installed "$T/signed" foo)"
dnf_setup "$T/unsigned" --setopt='*.gpgcheck=0' install foo ||
	pg_notok "dnf --setopt=*.gpgcheck=0 install foo with the _setup file"
assert_eq "dnf installs foo-1.0 through the _setup file" 1.0-1 "$(installed "$T/unsigned" foo)"
# repo_gpgcheck=1 and gpgkey of the file hold: dnf fetched the key to
# verify repomd.xml.asc, although gpgcheck was off.
assert_contains "dnf imported the proxy's key for repo_gpgcheck" "$(cat "$DNF_LOG")" \
    "Importing GPG key"
assert_contains "  ... from gpgkey, $PG_URL/_key.asc" "$(cat "$DNF_LOG")" "$PG_URL/_key.asc"
assert_not_contains "dnf knows every option of the file" "$(cat "$DNF_LOG")" "nknown"

if command -v zypper >/dev/null 2>&1; then
	pg_say "rpm-md: zypper addrepo -r"
	Z=$T/zypper
	mkdir -p "$Z"
	zyp() {
		echo "+ zypper $*" >&2
		${PG_DNF_WRAP:-} timeout -k 5 300 zypper --root "$Z" --non-interactive "$@" >"$T/zypper.log" 2>&1
		local rc=$?
		sed 's/^/  | /' "$T/zypper.log" >&2
		return $rc
	}
	assert_true "zypper addrepo -r $SETUP" zyp addrepo -r "$SETUP"
	ZR=$Z/etc/zypp/repos.d/$S.repo
	if [ -f "$ZR" ]; then
		assert_eq "zypper: baseurl" "$PG_URL/prod/el9/" "$(repo_get "$ZR" $S baseurl)"
		assert_eq "zypper: repo_gpgcheck" 1 "$(repo_get "$ZR" $S repo_gpgcheck)"
		assert_eq "zypper: gpgcheck" 1 "$(repo_get "$ZR" $S gpgcheck)"
		assert_eq "zypper: gpgkey" "$PG_URL/_key.asc" "$(repo_get "$ZR" $S gpgkey)"
		assert_eq "zypper: autorefresh" 1 "$(repo_get "$ZR" $S autorefresh)"
	else
		pg_notok "zypper wrote $ZR" "$(ls -R "$Z/etc/zypp" 2>&1)"
	fi
	# The key comes from gpgkey; the metadata is verified with it.
	assert_true "zypper refresh verifies the metadata with the key at gpgkey" \
	    zyp --gpg-auto-import-keys refresh
	assert_contains "  ... and imported the proxy's key" "$(cat "$T/zypper.log")" \
	    "patchgate signing key"
else
	pg_say "zypper is not installed: not tried"
fi

pg_say "the URL follows the Host header"
# setup_with_host HOST...: the baseurl of /prod/el9/_setup asked with that Host.
setup_with_host() {
	curl -s --max-time 30 -o "$T/host.repo" "$@" -- "$SETUP" &&
	    repo_get "$T/host.repo" $S baseurl
}
assert_eq "Host: gate.example:8080" "http://gate.example:8080/prod/el9/" \
    "$(setup_with_host -H 'Host: gate.example:8080')"
assert_eq "  ... gpgkey too" "http://gate.example:8080/_key.asc" "$(repo_get "$T/host.repo" $S gpgkey)"
assert_eq "Host: gate.example" "http://gate.example/prod/el9/" \
    "$(setup_with_host -H 'Host: gate.example')"
assert_eq "Host: [::1]:8080" "http://[::1]:8080/prod/el9/" \
    "$(setup_with_host -H 'Host: [::1]:8080')"
assert_eq "Host: [fe80::1]" "http://[fe80::1]/prod/el9/" \
    "$(setup_with_host -H 'Host: [fe80::1]')"
for bad in 'evil.example/x' 'evil.example?x' 'evil"x' 'user@evil.example' \
    'evil.example:80:80' 'evil.example:99999' 'evil.example:' '[::1' '[::1]x' \
    '[evil]:80' '::1' 'evil.example%0a' 'a b' 'é.example'; do
	assert_eq "Host: $bad is not copied: the listening address" "$PG_URL/prod/el9/" \
	    "$(setup_with_host -H "Host: $bad")"
done
assert_eq "HTTP/1.0 without Host: the listening address" "$PG_URL/prod/el9/" \
    "$(setup_with_host -0 -H 'Host:')"
# An absolute URI as the target: its authority, not Host (RFC 9112).
assert_eq "GET http://abs.example:8081/prod/el9/_setup" "http://abs.example:8081/prod/el9/" \
    "$(setup_with_host --request-target http://abs.example:8081/prod/el9/_setup -H 'Host: h.example')"
assert_eq "GET http://[::2]/prod/el9/_setup" "http://[::2]/prod/el9/" \
    "$(setup_with_host --request-target 'http://[::2]/prod/el9/_setup' -H 'Host: h.example')"

# --- apt ---------------------------------------------------------------------------

pg_say "apt: the .sources entry"
SETUP=$PG_URL/prod/deb/_setup
pg_next setup
H=$REPLY.headers
code=$(curl -s --max-time 30 -D "$H" -o "$T/deb.sources" -w '%{http_code}' -- "$SETUP")
assert_eq "GET /prod/deb/_setup" 200 "$code"
sed 's/^/  | /' "$T/deb.sources" >&2
assert_match "Content-Type is text/plain" "$(header Content-Type)" "^text/plain"
assert_eq "Content-Disposition names the .sources file" \
    'attachment; filename="patchgate-prod-deb.sources"' "$(header Content-Disposition)"
assert_eq "Cache-Control is short" "max-age=60" "$(header Cache-Control)"

# deb822 FILE FIELD: the field's value, continuation lines unfolded as
# sources.list(5) says (one leading space dropped, " ." an empty line);
# "STANZAS" gives the number of stanzas.
deb822() {
	"$PYTHON" - "$@" <<-'EOF'
	import sys
	stanzas, cur, key = [], None, None
	for line in open(sys.argv[1], encoding="utf-8").read().split("\n"):
	    if line.startswith("#"):
	        continue
	    if line.strip() == "":
	        cur = key = None
	        continue
	    if line[0] in " \t":
	        if key is None:
	            sys.exit("continuation line outside a field: %r" % line)
	        v = line[1:]
	        cur[key].append("" if v == "." else v)
	        continue
	    if cur is None:
	        cur = {}
	        stanzas.append(cur)
	    key, _, v = line.partition(":")
	    if not _ or key in cur:
	        sys.exit("bad or repeated field: %r" % line)
	    cur[key] = [v.strip()]
	if sys.argv[2] == "STANZAS":
	    print(len(stanzas))
	elif stanzas and sys.argv[2] in stanzas[0]:
	    print("\n".join(stanzas[0][sys.argv[2]]))
	else:
	    print("(none)")
	EOF
}
D=$T/deb.sources
assert_eq "one stanza" 1 "$(deb822 "$D" STANZAS)"
assert_eq "Types" deb "$(deb822 "$D" Types)"
assert_eq "URIs" "$PG_URL/prod/deb" "$(deb822 "$D" URIs)"
assert_eq "Suites" "bookworm bookworm-updates" "$(deb822 "$D" Suites)"
assert_eq "Components" "main contrib" "$(deb822 "$D" Components)"
assert_eq "Architectures" "amd64 arm64" "$(deb822 "$D" Architectures)"
deb822 "$D" Signed-By | tail -n +2 >"$T/signed-by.asc"
assert_eq "Signed-By: the value starts on the next line" "" "$(deb822 "$D" Signed-By | head -n 1)"
assert_files_eq "Signed-By holds STORE/key.asc, line for line" "$STORE/key.asc" "$T/signed-by.asc"
assert_status "$PG_URL/_key.asc" 200
assert_files_eq "  ... which is /_key.asc" "$HTTP_BODY" "$T/signed-by.asc"
mkdir -p "$T/signed-by.gnupg" && chmod 700 "$T/signed-by.gnupg"
pg_gnupghome "$T/signed-by.gnupg"
assert_true "  ... an OpenPGP key gpg reads" \
    gpg --homedir "$T/signed-by.gnupg" --batch --show-keys "$T/signed-by.asc"

# An apt of its own: ROOT/etc/apt/sources.list.d and nothing else of the
# system's sources or keys.  apt_in ROOT ARGS...: output in $APT_LOG.
apt_root() {
	mkdir -p "$1/etc/apt/sources.list.d" "$1/etc/apt/trusted.gpg.d" \
	    "$1/etc/apt/preferences.d" "$1/var/lib/apt/lists/partial" \
	    "$1/var/cache/apt/archives/partial" "$1/var/lib/dpkg"
	: >"$1/var/lib/dpkg/status"
}
apt_in() {
	local root=$1 rc
	shift
	pg_next apt
	APT_LOG=$REPLY.log
	echo "+ apt-get $* (root ${root#"$T"/})" >&2
	timeout -k 5 120 apt-get -o Dir="$root" -o Dir::State::status="$root/var/lib/dpkg/status" \
	    -o Debug::NoLocking=1 -o APT::Sandbox::User="$(id -un)" "$@" >"$APT_LOG" 2>&1
	rc=$?
	sed 's/^/  | /' "$APT_LOG" >&2
	echo "  (exit $rc)" >&2
	return $rc
}

pg_say "apt: apt-get reads the entry as it comes"
A=$T/apt
apt_root "$A"
cp "$D" "$A/etc/apt/sources.list.d/x.sources"
apt_in "$A" update --print-uris || pg_notok "apt-get update --print-uris reads the .sources"
assert_not_contains "apt-get reports no error about the .sources" "$(cat "$APT_LOG")" "E: "
for u in dists/bookworm/InRelease dists/bookworm-updates/InRelease \
    dists/bookworm/main/binary-arm64/Packages dists/bookworm-updates/contrib/binary-amd64/Packages; do
	assert_contains "apt-get would fetch $u" "$(cat "$APT_LOG")" "'$PG_URL/prod/deb/$u"
done

# A generation of prod/deb published by hand, as view.h describes it (deb
# has no upstream to sync): an InRelease for each suite that lists empty
# Packages files and that the proxy's key signs.  apt-get update must
# verify it with the key of Signed-By: the root has no other.
pg_say "apt: apt-get update verifies InRelease with the key of Signed-By"
K=$T/signer.gnupg
mkdir -p "$K" && chmod 700 "$K"
pg_gnupghome "$K"
gpg --homedir "$STORE/gnupg" --batch --export-secret-keys 2>/dev/null |
	gpg --homedir "$K" --batch --import 2>/dev/null
gpg --homedir "$K" --batch --list-secret-keys 2>/dev/null | grep -q . ||
	fail "cannot copy the proxy's secret key out of $STORE/gnupg"
G=$STORE/views/prod/deb/gen-000001
for suite in bookworm bookworm-updates; do
	d=$G/tree/dists/$suite
	mkdir -p "$d"
	{
		echo "Origin: patchgate-test"
		echo "Suite: $suite"
		echo "Codename: $suite"
		echo "Date: $(date -u -R -d '1 hour ago')"
		echo "Architectures: amd64 arm64"
		echo "Components: main contrib"
		echo "SHA256:"
		for c in main contrib; do
			for a in amd64 arm64; do
				mkdir -p "$d/$c/binary-$a"
				: >"$d/$c/binary-$a/Packages"
				echo " $(sha256sum </dev/null | cut -d' ' -f1) 0 $c/binary-$a/Packages"
			done
		done
	} >"$d/Release"
	gpg --homedir "$K" --batch --yes --pinentry-mode loopback --passphrase '' \
	    --clearsign -o "$d/InRelease" "$d/Release" 2>>"$T/log/gpg.log" ||
		fail "cannot sign $d/InRelease: $(tail -n 5 "$T/log/gpg.log")"
done
: >"$G/packages.idx"
date -u +%Y-%m-%dT%H:%M:%SZ >"$G/created"
ln -s gen-000001 "$STORE/views/prod/deb/current"
assert_status "$PG_URL/prod/deb/dists/bookworm/InRelease" 200

apt_in "$A" update || pg_notok "apt-get update with the _setup entry"
assert_false "apt-get update: no warning, no error" grep -E '^(W|E|Err):' "$APT_LOG"
lists=$(ls "$A/var/lib/apt/lists")
assert_contains "apt kept the verified InRelease of bookworm" "$lists" "_prod_deb_dists_bookworm_InRelease"
assert_contains "apt kept the verified InRelease of bookworm-updates" "$lists" \
    "_prod_deb_dists_bookworm-updates_InRelease"

# The control: the same entry with the key's empty line left empty, not
# " .", ends the stanza inside the key; then the check above must fail.
pg_say "apt: the control, an entry whose key is cut short"
A2=$T/apt-control
apt_root "$A2"
sed 's/^ \.$//' "$D" >"$A2/etc/apt/sources.list.d/x.sources"
apt_in "$A2" update
assert_match "  ... for want of the key" "$(cat "$APT_LOG")" "NO_PUBKEY|not signed"
assert_false "apt-get keeps no InRelease it could not verify" \
    ls "$A2/var/lib/apt/lists/127.0.0.1:${PG_URL##*:}_prod_deb_dists_bookworm_InRelease"

pg_say "apt: a key.asc that is no armored key is not embedded"
cp "$STORE/key.asc" "$T/key.asc.saved"
printf 'Signed-By: /etc/passwd\n\nTypes: deb\n' >"$STORE/key.asc"
assert_status "$PG_URL/prod/deb/_setup" 500
assert_not_contains "  ... and nothing of it is sent" "$(cat "$HTTP_BODY")" "passwd"
{ head -n 3 "$T/key.asc.saved"; printf 'x\001y\n'; tail -n +4 "$T/key.asc.saved"; } >"$STORE/key.asc"
assert_status "$PG_URL/prod/deb/_setup" 500
cp "$T/key.asc.saved" "$STORE/key.asc"
assert_status "$PG_URL/prod/deb/_setup" 200

# --- what _setup is not ------------------------------------------------------------

pg_say "404s"
assert_status "$PG_URL/nosuch/el9/_setup" 404
assert_eq "  ... no such view (an unknown group reads as any other)" "no such view" "$(cat "$HTTP_BODY")"
assert_status "$PG_URL/prod/nosuch/_setup" 404
assert_eq "  ... no such view (an unknown mirror reads the same)" "no such view" "$(cat "$HTTP_BODY")"
assert_status "$PG_URL/dev/deb/_setup" 404
assert_eq "  ... no such view (a mirror dev does not use, the same)" "no such view" "$(cat "$HTTP_BODY")"
assert_status "$PG_URL/_setup" 404
assert_status "$PG_URL/prod/_setup" 404
assert_status "$PG_URL/prod/_setup/_setup" 404
# Deeper, _setup is a path of the view like any other.
assert_status "$PG_URL/prod/el9/repodata/_setup" 404
assert_contains "  ... repodata/_setup is looked up in the view" "$(cat "$HTTP_BODY")" \
    "repodata/_setup: not in the view of group prod"
assert_status "$PG_URL/prod/el9/_setup/x" 404
assert_contains "  ... so is _setup/x" "$(cat "$HTTP_BODY")" "_setup/x: not in the view"
assert_status "$PG_URL/prod/el9/_setup" 405 -X POST

pg_done
