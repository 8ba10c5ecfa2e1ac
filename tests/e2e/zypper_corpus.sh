#!/bin/bash
# A real SUSE repository through patchgate: openSUSE 11.0's update
# repository (October 2008, from libzypp's tests: 2,430 packages, 164
# patches, 2,084 deltas) served as upstream with its own signature, and
# read back from the views.
#
# Its quirks: SHA-1 checksums ("sha"), every <package> re-declares its
# namespace, issued dates in epoch seconds, the SUSE updateinfo namespace,
# PATCHINFO comments, several editions of one patch under the same <id>,
# filelists and other listed but absent, and a signature that is good but
# made by a key that expired in 2010.  So the mirror needs
# keyring-allow-expired = yes; without it the sync fails and names the key,
# and even with it an unknown key or a changed repomd.xml fail.
#
# The clock is the day after the repository was made (2008-10-24), when
# prod (security after 7 days, recommended after 14, the rest after 30)
# still waits for the patches of the last weeks; by 2008-12-01 it has
# them all.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

CORPUS=$top_srcdir/../shared/corpora/zypper/opensuse-11.0-update-rpmmd
[ -f "$CORPUS/repodata/repomd.xml" ] || skip "corpus $CORPUS is absent"
CORPUS=$(cd "$CORPUS" && pwd)

need python3 curl gpg gpgv
pg_need_programs

KEYFPR=79C179B2E1C820C1890F9994A84EDAE89C800ACA
STORE=$T/store
W=$T/www
mkdir -p "$W"
ln -s "$CORPUS" "$W/good"
# The same repository with one byte of repomd.xml changed after signing.
cp -a "$CORPUS" "$W/tampered"
chmod -R u+w "$W/tampered"
sed -i 's|<timestamp>1224755528</timestamp>|<timestamp>1224755529</timestamp>|' \
    "$W/tampered/repodata/repomd.xml"
cmp -s "$CORPUS/repodata/repomd.xml" "$W/tampered/repodata/repomd.xml" &&
	fail "generator: the tampered repomd.xml is unchanged"
start_upstream "$W"

# An OpenPGP key that did not sign the corpus.
OTHER=$T/other.gnupg
mkdir -p "$OTHER" && chmod 700 "$OTHER"
pg_gnupghome "$OTHER"
gpg --homedir "$OTHER" --batch --passphrase '' --quick-gen-key \
    'someone else <else@localhost>' ed25519 sign never >/dev/null 2>&1 &&
	gpg --homedir "$OTHER" --batch --armor --export >"$T/other.asc" ||
	fail "generator: gpg cannot make a key"

PG_CONF=$T/patchgate.conf
# write_conf DIR KEYRING ALLOW-EXPIRED
write_conf() {
	cat >"$PG_CONF" <<-EOF
	[server]
	listen = 127.0.0.1:0
	store = $STORE

	[mirror oss110]
	type = rpm-md
	url = $UPSTREAM_URL/$1
	keyring = $2
	keyring-allow-expired = $3

	[baseline dev]
	rule = classification=* delay=0

	[baseline prod]
	rule = classification=security delay=7d
	rule = classification=recommended delay=14d
	rule = classification=* delay=30d

	[group dev]
	baseline = dev
	mirrors = oss110

	[group prod]
	baseline = prod
	mirrors = oss110
	EOF
}
NOW=2008-10-24T00:00:00Z

# expect_refused WHAT CAUSE...: the sync fails, naming the mirror,
# repomd.xml and each CAUSE (fixed strings).
expect_refused() {
	local what=$1 rc err c
	shift
	PATCHGATE_NOW=$NOW pg_sync
	rc=$?
	err=$(cat "$SYNC_ERR")
	assert_ne "$what: the sync fails" 0 $rc
	assert_ne "$what: the sync finishes by itself" 124 $rc
	assert_contains "$what: the message names the mirror" "$err" "mirror oss110"
	assert_contains "$what: the message names repomd.xml" "$err" "repodata/repomd.xml"
	for c in "$@"; do
		assert_contains "$what: the message says \"$c\"" "$err" "$c"
	done
}

pg_say "the key expired in 2010: refused unless keyring-allow-expired = yes"
write_conf good "$CORPUS/repodata/repomd.xml.key" no
expect_refused "expired key" "signature made by an expired key" "$KEYFPR" \
    "expired on 2010-05-05" "keyring-allow-expired"
PATCHGATE_NOW=$NOW start_patchgated "$PG_CONF"
assert_status "$PG_URL/dev/oss110/repodata/repomd.xml" "404|503"

pg_say "keyring-allow-expired never excuses an unknown key or a bad signature"
write_conf good "$T/other.asc" yes
expect_refused "a keyring without the signing key" "no public key for"
write_conf tampered "$CORPUS/repodata/repomd.xml.key" yes
expect_refused "repomd.xml changed after signing" "bad signature"
assert_status "$PG_URL/dev/oss110/repodata/repomd.xml" "404|503"

pg_say "keyring-allow-expired = yes: the sync succeeds with a warning"
write_conf good "$CORPUS/repodata/repomd.xml.key" yes
PATCHGATE_NOW=$NOW pg_sync || fail "the sync of the corpus with keyring-allow-expired failed"
LOG=$(cat "$SYNC_OUT" "$SYNC_ERR")
assert_match "the sync warns that it accepted a key that has expired since" "$LOG" \
    "warning: mirror oss110: repodata/repomd.xml: good signature .*$KEYFPR.* expired since"
assert_contains "the sync warns that filelists.xml.gz is missing upstream" "$LOG" "repodata/filelists.xml.gz"
assert_contains "the sync warns that other.xml.gz is missing upstream" "$LOG" "repodata/other.xml.gz"

UP=$UPSTREAM_URL/good
for t in primary updateinfo deltainfo; do
	pg_rpmmd fetch "$UP" $t "$T/up-$t.xml" || fail "the corpus has no $t"
done
assert_eq "upstream primary has 2430 packages" 2430 "$(pg_rpmmd packages "$T/up-primary.xml")"
assert_eq "upstream updateinfo has 164 updates" 164 "$(pg_suse updates "$T/up-updateinfo.xml" | wc -l)"

# expected GROUP-PRIMARY-OUT GROUP-DELAYS NOW: an oracle for the view of a
# group, from upstream's documents: a version is visible when no update
# lists it or one that does is older than its category's delay.  Writes
# the visible versions ("name version release arch") to OUT and prints the
# numbers of versions, updates and deltas the view should have.
expected() {
	"$PYTHON" - "$T/up-primary.xml" "$T/up-updateinfo.xml" "$T/up-deltainfo.xml" "$@" <<-'EOF'
	import datetime, re, sys
	prim, ui, di, out, delays, now = sys.argv[1:7]
	delay = dict((k, int(v) * 86400) for k, v in (d.split("=") for d in delays.split()))
	now = datetime.datetime.fromisoformat(now.replace("Z", "+00:00")).timestamp()
	pkgs = []
	for e in re.findall(rb'<package[\s>].*?</package>', open(prim, "rb").read(), re.S):
	    v = re.search(rb'<version epoch="[^"]*" ver="([^"]*)" rel="([^"]*)"', e)
	    pkgs.append((re.search(rb'<name>([^<]*)', e).group(1), v.group(1), v.group(2),
	                 re.search(rb'<arch>([^<]*)', e).group(1)))
	ripe = {}
	ups = re.findall(rb'<update[\s>].*?</update>', open(ui, "rb").read(), re.S)
	for u in ups:
	    t = re.search(rb'type="([^"]*)"', u).group(1).decode()
	    when = int(re.search(rb'<issued date="([0-9]+)"', u).group(1)) + delay.get(t, delay["*"])
	    for n, a, v, r in re.findall(rb'<package name="([^"]*)" arch="([^"]*)" version="([^"]*)" release="([^"]*)"', u):
	        ripe[(n, v, r, a)] = ripe.get((n, v, r, a), False) or when <= now
	vis = set(p for p in pkgs if ripe.get(p, True))
	with open(out, "w") as f:
	    for p in sorted(vis):
	        f.write(" ".join(x.decode() for x in p) + "\n")
	nupd = sum(1 for u in ups if any((n, v, r, a) in vis for n, a, v, r in
	           re.findall(rb'<package name="([^"]*)" arch="([^"]*)" version="([^"]*)" release="([^"]*)"', u)))
	ndel = sum(1 for n, a, v, r in re.findall(rb'<newpackage name="([^"]*)" arch="([^"]*)" version="([^"]*)" release="([^"]*)"',
	           open(di, "rb").read()) if (n, v, r, a) in vis)
	print(len(vis), nupd, ndel)
	EOF
}

# versions FILE: "name version release arch" of every <package>, sorted.
versions() {
	"$PYTHON" - "$1" <<-'EOF'
	import re, sys
	out = []
	for e in re.findall(rb'<package[\s>].*?</package>', open(sys.argv[1], "rb").read(), re.S):
	    v = re.search(rb'<version epoch="[^"]*" ver="([^"]*)" rel="([^"]*)"', e)
	    out.append(b" ".join((re.search(rb'<name>([^<]*)', e).group(1), v.group(1), v.group(2),
	                          re.search(rb'<arch>([^<]*)', e).group(1))).decode())
	print("\n".join(sorted(out)))
	EOF
}

# check_view GROUP DELAYS: the view of the corpus in GROUP against upstream
# and against the oracle.
check_view() {
	local g=$1 base=$PG_URL/$1/oss110 want npkg nupd ndel n
	pg_say "view $g at $NOW"
	want=$(expected "$T/$g-expected.txt" "$2" "$NOW") || fail "the oracle failed"
	read -r npkg nupd ndel <<<"$want"
	assert_eq "$g: repomd.xml lists primary, updateinfo and deltainfo (filelists and other are absent upstream)" \
	    "$(printf '%s\n' deltainfo primary updateinfo)" "$(pg_rpmmd types "$base" | sort)"
	for t in primary updateinfo deltainfo; do
		pg_rpmmd fetch "$base" $t "$T/$g-$t.xml" || pg_notok "$g: the view lists $t"
	done
	n=$(pg_rpmmd subset "$T/$g-primary.xml" "$T/up-primary.xml")
	assert_eq "$g: every <package> of primary is byte-identical to upstream's, $npkg of them" "$npkg" "$n"
	assert_eq "$g: primary lists the versions the baseline allows" \
	    "$(cat "$T/$g-expected.txt")" "$(versions "$T/$g-primary.xml")"
	assert_eq "$g: every <package> still re-declares its namespace" "$npkg" \
	    "$(grep -c '<package xmlns="http://linux.duke.edu/metadata/common" type="rpm">' "$T/$g-primary.xml")"
	assert_eq "$g: every <package> keeps its SHA-1 checksum" "$npkg" \
	    "$(grep -c '<checksum type="sha" pkgid="YES">[0-9a-f]\{40\}</checksum>' "$T/$g-primary.xml")"
	assert_eq "$g: primary's root is upstream's, with the view's count" \
	    "$(head -n 5 "$T/up-primary.xml" | sed "s/packages=\"2430\"/packages=\"$npkg\"/")" \
	    "$(head -n 5 "$T/$g-primary.xml")"
	assert_eq "$g: updateinfo keeps SUSE's namespace" \
	    '<updates xmlns="http://novell.com/package/metadata/suse/updateinfo">' \
	    "$(sed -n 2p "$T/$g-updateinfo.xml")"
	assert_eq "$g: updateinfo has the $nupd updates with a visible package" \
	    "$nupd" "$(pg_suse updates "$T/$g-updateinfo.xml" | wc -l)"
	assert_true "$g: each update is upstream's, cut to its visible packages" \
	    pg_suse updates-subset "$T/$g-updateinfo.xml" "$T/up-updateinfo.xml"
	assert_true "$g: updateinfo names only versions primary lists" \
	    pg_suse advisories-visible "$T/$g-primary.xml" "$T/$g-updateinfo.xml"
	assert_eq "$g: deltainfo has the $ndel deltas to versions primary lists" \
	    "$ndel" "$(pg_suse deltas-visible "$T/$g-primary.xml" "$T/$g-deltainfo.xml")"
	assert_true "$g: deltainfo has every such delta of upstream, byte for byte" \
	    pg_suse deltas-complete "$T/$g-primary.xml" "$T/$g-deltainfo.xml" "$T/up-deltainfo.xml"
	assert_true "$g: every file repomd.xml names is served with its size and checksums" \
	    pg_rpmmd consistent "$base"
	assert_true "$g: repomd.xml.asc verifies against /_key.asc" verify_repomd_sig "$base"
	assert_status "$base/repodata/repomd.xml.key" 200
	assert_files_eq "$g: repomd.xml.key is the proxy's key" "$STORE/key.asc" "$HTTP_BODY"
	if [ -n "$ZYPPER" ]; then
		rm -rf "$T/zypper-$g"
		zypper_addrepo "$T/zypper-$g" "$base/" oss || pg_notok "$g: zypper addrepo"
		zypper_in "$T/zypper-$g" --gpg-auto-import-keys refresh || pg_notok "$g: zypper refresh"
		assert_eq "$g: zypper patches lists every edition of the $nupd patches" \
		    "$nupd" "$(zypper_all_patches "$T/zypper-$g" | wc -l)"
	fi
}

ZYPPER=""
if command -v zypper >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then ZYPPER=zypper; fi
[ -n "$ZYPPER" ] || pg_say "zypper is missing or this is not root: the views are checked without it"

check_view dev "*=0"
assert_eq "dev: every package of upstream" 2430 "$(pg_rpmmd packages "$T/dev-primary.xml")"
assert_files_eq "dev: updateinfo's updates are upstream's, all 164" \
    <(pg_suse updates "$T/up-updateinfo.xml") <(pg_suse updates "$T/dev-updateinfo.xml")
check_view prod "security=7 recommended=14 *=30"
n=$(pg_rpmmd packages "$T/prod-primary.xml")
[ "$n" -gt 0 ] && [ "$n" -lt 2430 ] && pg_ok "prod: the recent patches' versions are held back ($n of 2430 listed)" ||
	pg_notok "prod holds back some versions on $NOW" "got $n of 2430"
assert_false "prod's updateinfo does not list opera's last edition (security, 2008-10-22)" \
    grep -q '<update status="stable" from="maint-coord@suse.de" type="security" version="268">' "$T/prod-updateinfo.xml"

NOW=2008-12-01T00:00:00Z
pg_say "$NOW: unchanged upstream, every patch has ripened for prod"
PATCHGATE_NOW=$NOW pg_sync || pg_notok "the sync of $NOW"
check_view prod "security=7 recommended=14 *=30"
assert_eq "prod: every package of upstream" 2430 "$(pg_rpmmd packages "$T/prod-primary.xml")"
assert_files_eq "prod: primary is now the same document as dev's" "$T/dev-primary.xml" "$T/prod-primary.xml"

pg_done
