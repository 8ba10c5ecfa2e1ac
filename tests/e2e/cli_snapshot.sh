#!/bin/bash
# patchgate snapshot, end to end: a snapshot freezes a group's view of an
# rpm-md and an apt mirror under a name, served at /_snapshot/NAME/MIRROR/.
# Upstream then moves on (new versions, the snapshot's files DELETED from
# upstream), syncs and publishes run at later times: every byte of the
# snapshot's metadata stays the same, and real dnf and real apt-get still
# install the snapshot's versions from it, upstream's original files byte
# for byte, with the upstream server stopped.  Also: names that are
# refused, a name that exists, a file that cannot be had (nothing is left
# behind), list --json, delete and its 404s.
#
# Timeline (PATCHGATE_NOW):
#   2026-01-01  first sync: snaprpm 1.0 (el), snapdeb 1.0 (deb); the base
#   2026-01-02  snapshot s1 of prod (both mirrors; nothing was stored yet:
#               create stores both files), s2 of prod, deb only
#   2026-01-10  upstream: 1.1 added, 1.0 deleted (index and file); sync
#   2026-01-20  upstream: 1.2 added; sync; a snapshot of dev whose file
#               upstream lost fails; publish
#   2026-01-28  publish: prod sees 1.1 and 1.2

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"
. "$top_srcdir/tests/e2e/mkaptrepo.sh"

need python3 curl gpg gpgv rpmbuild createrepo_c
need_apt
need_dnf
pg_need_programs

W=$T/www
STORE=$T/store
RPM10=Packages/snaprpm-1.0-1.noarch.rpm

# pg SUBCOMMAND ARGS: patchgate -c $PG_CONF ARGS; stdout in $PG_OUT,
# stderr in $PG_ERR (files), both in the log; returns its exit status.
PG_OUT=""
PG_ERR=""
pg() {
	local rc
	pg_next pg
	PG_OUT=$REPLY.out
	PG_ERR=$REPLY.err
	echo "+ PATCHGATE_NOW=${PATCHGATE_NOW:-} patchgate $*" >&2
	timeout -k 5 300 "$top_builddir/patchgate" -c "$PG_CONF" "$@" >"$PG_OUT" 2>"$PG_ERR"
	rc=$?
	sed 's/^/  1| /' "$PG_OUT" >&2
	sed 's/^/  2| /' "$PG_ERR" >&2
	echo "  (exit $rc)" >&2
	return $rc
}

# assert_exit WHAT CODE ARGS...: patchgate ARGS exits with CODE.
assert_exit() {
	local what=$1 want=$2 rc
	shift 2
	pg "$@"
	rc=$?
	assert_eq "$what (exit status)" "$want" "$rc"
}

# meta_sums KIND BASE: "path sha256" of every metadata file of the view at
# BASE, as its signed top file lists them: repodata/repomd.xml, .asc and
# every <data> href (rpm-md); dists/bookworm/{InRelease,Release,
# Release.gpg} and every SHA256 entry, with its by-hash name (apt).
meta_sums() {
	"$PYTHON" - "$@" <<-'PYEOF'
	import hashlib, re, sys, urllib.request
	kind, base = sys.argv[1], sys.argv[2].rstrip("/")
	def get(p):
	    with urllib.request.urlopen(base + "/" + p, timeout=60) as r:
	        return r.read()
	out = []
	def add(p):
	    out.append("%s %s" % (p, hashlib.sha256(get(p)).hexdigest()))
	if kind == "rpm":
	    md = get("repodata/repomd.xml")
	    add("repodata/repomd.xml")
	    add("repodata/repomd.xml.asc")
	    for h in re.findall(rb'<location\b[^>]*\bhref="([^"]+)"', md):
	        add(h.decode())
	else:
	    d = "dists/bookworm/"
	    rel = get(d + "InRelease")
	    for p in ("InRelease", "Release", "Release.gpg"):
	        add(d + p)
	    sha = rel.split(b"\nSHA256:\n", 1)[1]
	    for line in sha.split(b"\n"):
	        if not line.startswith(b" "):
	            break
	        h, size, p = line.split()
	        p = p.decode()
	        add(d + p)
	        dd = p.rsplit("/", 1)[0] + "/" if "/" in p else ""
	        add(d + dd + "by-hash/SHA256/" + h.decode())
	print("\n".join(out))
	if len(out) < 3:
	    sys.exit("too few files: %d" % len(out))
	PYEOF
}

mkdir -p "$W"
start_upstream "$W"

pg_say "upstream on 2025-12-31: snaprpm 1.0 (el), snapdeb 1.0 (deb)"
mkrpm "$W/el/Packages" snaprpm 1.0
mkrepo "$W/el"
mkdeb "$W/deb" snapdeb 1.0
mkaptrepo "$W/deb" 2025-12-31T00:00:00Z

PG_CONF=$T/patchgate.conf
cat >"$PG_CONF" <<EOF
[server]
listen = 127.0.0.1:0
store = $STORE

[mirror el]
type = rpm-md
url = $UPSTREAM_URL/el

[mirror deb]
type = apt
url = $UPSTREAM_URL/deb
suites = bookworm
components = main
architectures = amd64
keyring = $T/keys/archive.gpg

[mirror other]
type = rpm-md
url = $UPSTREAM_URL/el

[baseline dev]
rule = classification=* delay=0

[baseline prod]
rule = classification=* delay=7d

[group dev]
baseline = dev
mirrors = el deb

[group prod]
baseline = prod
mirrors = el deb
EOF

PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync el deb || fail "the first sync failed"
start_patchgated "$PG_CONF"
KEY=$(apt_proxy_key)

pg_say "2026-01-02: snapshot s1 of prod; nothing is stored yet"
# stored FILE: whether the blob store holds FILE's bytes.
stored() {
	local h
	h=$(sha256sum "$1" | cut -d' ' -f1)
	if [ -f "$STORE/blobs/sha256/${h:0:2}/$h" ]; then echo yes; else echo no; fi
}
assert_eq "snaprpm 1.0 is not stored before the snapshot (prefetch = at-risk)" no \
    "$(stored "$T/rpms/snaprpm-1.0-1.noarch.rpm")"
assert_eq "snapdeb 1.0 is not stored before the snapshot" no "$(stored "$T/debs/snapdeb_1.0_all.deb")"
export PATCHGATE_NOW=2026-01-02T00:00:00Z
assert_exit "snapshot create s1 --group prod" 0 snapshot create s1 --group prod --json
S1=$(cat "$PG_OUT")
assert_eq "create --json: name, group, created (the clock), mirrors with versions" \
    "s1 prod 2026-01-02T00:00:00Z deb:apt:1:/_snapshot/s1/deb/ el:rpm-md:1:/_snapshot/s1/el/" \
    "$(printf '%s' "$S1" | "$PYTHON" -c 'import json, sys
j = json.load(sys.stdin)
print(j["name"], j["group"], j["created"], " ".join(sorted("%s:%s:%d:%s" % (m["name"], m["type"], m["versions"], m["path"]) for m in j["mirrors"])))')"
assert_eq "create stored snaprpm 1.0 in the blob store" yes "$(stored "$T/rpms/snaprpm-1.0-1.noarch.rpm")"
assert_eq "create stored snapdeb 1.0 in the blob store" yes "$(stored "$T/debs/snapdeb_1.0_all.deb")"
assert_true "the snapshot is a directory per mirror" test -s "$STORE/snapshots/s1/el/packages.idx" -a \
    -s "$STORE/snapshots/s1/deb/packages.idx"
assert_eq "no temporary directory is left" "" "$(ls -A "$STORE/snapshots" | grep -v '^s1$')"
assert_exit "snapshot create s2 --group prod --mirror deb" 0 snapshot create s2 --group prod --mirror deb
assert_contains "create names the snapshot's URL" "$(cat "$PG_OUT")" "/_snapshot/s2/deb/"

pg_say "names, groups and mirrors that are refused"
assert_exit "create an existing name" 1 snapshot create s1 --group prod
assert_contains "the message names the existing snapshot" "$(cat "$PG_ERR")" "snapshot s1 already exists"
for bad in _s .s 'a/b' 'a b' "$(printf 'x%.0s' $(seq 65))" '..' 'é'; do
	assert_exit "create refuses the name '$bad'" 1 snapshot create "$bad" --group prod
	assert_contains "the message for '$bad' says what a name may be" "$(cat "$PG_ERR")" "snapshot name"
done
assert_exit "create without --group is a usage error" 2 snapshot create s3
assert_exit "create for an unknown group" 1 snapshot create s3 --group nosuch
assert_contains "the message names the group" "$(cat "$PG_ERR")" "no group named nosuch"
assert_exit "create for a mirror the group does not use" 1 snapshot create s3 --group prod --mirror other
assert_contains "the message names group and mirror" "$(cat "$PG_ERR")" "group prod does not use mirror other"
assert_exit "delete an unknown snapshot" 1 snapshot delete nosuch
assert_contains "the message names it" "$(cat "$PG_ERR")" "no snapshot named nosuch"
assert_exit "snapshot with no subcommand is a usage error" 2 snapshot
assert_exit "create t1 of dev's el" 0 snapshot create t1 --group dev --mirror el
assert_exit "delete t1" 0 snapshot delete t1
assert_exit "a name can be used again after delete" 0 snapshot create t1 --group dev --mirror el
assert_exit "delete t1 again" 0 snapshot delete t1
assert_eq "nothing but s1 and s2 under snapshots/" "s1 s2" "$(ls -A "$STORE/snapshots" | sort | xargs)"

pg_say "s1 as served on 2026-01-02"
meta_sums rpm "$PG_URL/_snapshot/s1/el" >"$T/s1.el.before" || fail "s1/el: no metadata"
meta_sums apt "$PG_URL/_snapshot/s1/deb" >"$T/s1.deb.before" || fail "s1/deb: no metadata"
meta_sums apt "$PG_URL/_snapshot/s2/deb" >"$T/s2.deb.before" || fail "s2/deb: no metadata"
cat "$T/s1.el.before" "$T/s1.deb.before" >&2
assert_true "s1/el: every file repomd.xml names is served as stated" pg_rpmmd consistent "$PG_URL/_snapshot/s1/el"
assert_true "s1/el: repomd.xml.asc verifies with the proxy's key" verify_repomd_sig "$PG_URL/_snapshot/s1/el"
assert_true "s1/deb: every file the InRelease lists is served as listed" pg_apt consistent "$PG_URL/_snapshot/s1/deb" bookworm
assert_true "s1/deb: InRelease and Release.gpg verify with the proxy's key" \
    apt_verify_sig "$PG_URL/_snapshot/s1/deb" bookworm "$KEY"
http_get "$PG_URL/_snapshot/s1/deb/dists/bookworm/InRelease" "$T/s1.InRelease" >/dev/null
assert_not_contains "s1/deb: a snapshot's Release has no Valid-Until" "$(cat "$T/s1.InRelease")" "Valid-Until"
http_get "$PG_URL/prod/deb/dists/bookworm/InRelease" "$T/prod.InRelease" >/dev/null
assert_contains "prod/deb (the control): a view's Release has a Valid-Until" "$(cat "$T/prod.InRelease")" "Valid-Until"
assert_status "$PG_URL/_snapshot/s2/el/repodata/repomd.xml" 404
assert_eq "s2 has no el: 404, no such view" "no such view" "$(cat "$HTTP_BODY")"
assert_status "$PG_URL/_snapshot/nosuch/el/repodata/repomd.xml" 404
assert_eq "an unknown snapshot: the same 404 text" "no such view" "$(cat "$HTTP_BODY")"
assert_status "$PG_URL/_snapshot/.s1.tmp/el/repodata/repomd.xml" 404
assert_status "$PG_URL/_snapshot/s1/el/Packages/snaprpm-1.1-1.noarch.rpm" 404
assert_status "$PG_URL/_snapshot/s1/el/$RPM10" 200
assert_files_eq "s1/el serves snaprpm 1.0 as upstream's file" "$T/rpms/snaprpm-1.0-1.noarch.rpm" "$HTTP_BODY"

pg_say "upstream on 2026-01-10: 1.1 added, 1.0 deleted from index and pool"
rm "$W/el/$RPM10"
mkrpm "$W/el/Packages" snaprpm 1.1
mkrepo "$W/el"
rm "$W/deb/$(deb_path snapdeb 1.0)"
mkdeb "$W/deb" snapdeb 1.1
mkaptrepo "$W/deb" 2026-01-10T00:00:00Z
assert_status "$UPSTREAM_URL/el/$RPM10" 404
assert_status "$UPSTREAM_URL/deb/$(deb_path snapdeb 1.0)" 404
PATCHGATE_NOW=2026-01-10T12:00:00Z pg_sync el deb || fail "the sync of 2026-01-10 failed"

pg_say "upstream on 2026-01-20: 1.2 added"
mkrpm "$W/el/Packages" snaprpm 1.2
mkrepo "$W/el"
mkdeb "$W/deb" snapdeb 1.2
mkaptrepo "$W/deb" 2026-01-20T00:00:00Z
PATCHGATE_NOW=2026-01-20T12:00:00Z pg_sync el deb || fail "the sync of 2026-01-20 failed"

pg_say "2026-01-20: a snapshot whose file upstream lost is not made"
mv "$W/el/Packages/snaprpm-1.2-1.noarch.rpm" "$T/aside.rpm"
PATCHGATE_NOW=2026-01-20T13:00:00Z assert_exit "create bad --group dev --mirror el (1.2's file is gone)" 1 \
    snapshot create bad --group dev --mirror el
assert_contains "the failure names the file that cannot be stored" "$(cat "$PG_ERR")" \
    "Packages/snaprpm-1.2-1.noarch.rpm cannot be stored"
assert_eq "nothing of it is left under snapshots/" "s1 s2" "$(ls -A "$STORE/snapshots" | sort | xargs)"
pg snapshot list --json
assert_not_contains "list does not show it" "$(cat "$PG_OUT")" '"bad"'
assert_status "$PG_URL/_snapshot/bad/el/repodata/repomd.xml" 404
mv "$T/aside.rpm" "$W/el/Packages/snaprpm-1.2-1.noarch.rpm"

PATCHGATE_NOW=2026-01-28T00:00:00Z pg publish || pg_notok "publish of 2026-01-28 failed"
http_get "$PG_URL/prod/deb/dists/bookworm/main/binary-amd64/Packages" "$T/prod.Packages" >/dev/null
assert_eq "prod/deb has moved on (the control: upstream changed what prod sees)" \
    "snapdeb=1.1 snapdeb=1.2" "$(pg_apt versions "$T/prod.Packages" | xargs)"

pg_say "the snapshots after upstream changed and four syncs and publishes"
meta_sums rpm "$PG_URL/_snapshot/s1/el" >"$T/s1.el.after"
meta_sums apt "$PG_URL/_snapshot/s1/deb" >"$T/s1.deb.after"
meta_sums apt "$PG_URL/_snapshot/s2/deb" >"$T/s2.deb.after"
assert_files_eq "s1/el: every metadata file is byte for byte the same" "$T/s1.el.before" "$T/s1.el.after"
assert_files_eq "s1/deb: every metadata file is byte for byte the same" "$T/s1.deb.before" "$T/s1.deb.after"
assert_files_eq "s2/deb: every metadata file is byte for byte the same" "$T/s2.deb.before" "$T/s2.deb.after"
meta_sums rpm "$PG_URL/prod/el" >"$T/prod.el.after"
assert_ne "prod/el (the control): its metadata did change" "$(cat "$T/s1.el.before")" "$(cat "$T/prod.el.after")"

pg_say "installing from the snapshots, the upstream server stopped"
stop_upstream
R=$T/dnf-s1
dnf_in "$R" "$PG_URL/_snapshot/s1/el/" --setopt=keepcache=True install snaprpm ||
	pg_notok "dnf install snaprpm from /_snapshot/s1/el/"
assert_eq "dnf installed snaprpm 1.0 from s1, deleted upstream" 1.0-1 "$(installed "$R" snaprpm)"
F=$(find "$R" -name 'snaprpm-1.0-1.noarch.rpm' | head -n 1)
assert_ne "dnf kept the rpm it downloaded" "" "$F"
[ -n "$F" ] && assert_files_eq "the rpm dnf installed is upstream's original file" \
    "$T/rpms/snaprpm-1.0-1.noarch.rpm" "$F"

A=$T/apt-s1
apt_root "$A" "$KEY" "$PG_URL/_snapshot/s1/deb" bookworm
apt_update "$A" || pg_notok "apt-get update from /_snapshot/s1/deb/, without warnings"
assert_eq "apt knows snapdeb 1.0 only from s1" 1.0 "$(apt_versions "$A" snapdeb)"
apt_download "$A" snapdeb || pg_notok "apt-get install --download-only snapdeb from s1"
assert_eq "apt-get downloads snapdeb 1.0 from s1, deleted upstream" snapdeb_1.0_all.deb "$(apt_archives "$A")"
assert_files_eq "the snapdeb apt-get fetched is upstream's original file" \
    "$T/debs/snapdeb_1.0_all.deb" "$A/var/cache/apt/archives/snapdeb_1.0_all.deb"

pg_say "list and delete"
pg snapshot list || pg_notok "snapshot list"
assert_match "list shows s1 with its group, time and versions per mirror" "$(cat "$PG_OUT")" \
    '^s1 +prod +2026-01-02T00:00:00Z +deb:1 el:1$'
assert_exit "snapshot list --json" 0 snapshot list --json
assert_eq "list --json: every documented field" \
    "s1 prod 2026-01-02T00:00:00Z True deb:apt:1:/_snapshot/s1/deb/,el:rpm-md:1:/_snapshot/s1/el/
s2 prod 2026-01-02T00:00:00Z True deb:apt:1:/_snapshot/s2/deb/" \
    "$("$PYTHON" -c 'import json, sys
for s in json.load(open(sys.argv[1]))["snapshots"]:
    print(s["name"], s["group"], s["created"], isinstance(s["written"], str),
          ",".join("%s:%s:%d:%s" % (m["name"], m["type"], m["versions"], m["path"]) for m in s["mirrors"]))' "$PG_OUT")"
assert_exit "snapshot delete s1" 0 snapshot delete s1
assert_status "$PG_URL/_snapshot/s1/el/repodata/repomd.xml" 404
assert_eq "after delete, the 404 says there is no such view" "no such view" "$(cat "$HTTP_BODY")"
assert_status "$PG_URL/_snapshot/s1/deb/dists/bookworm/InRelease" 404
assert_status "$PG_URL/_snapshot/s1/el/$RPM10" 404
assert_eq "only s2 is left on disk" "s2" "$(ls -A "$STORE/snapshots" | xargs)"
pg snapshot list --json
assert_eq "list --json shows s2 only" "s2" \
    "$("$PYTHON" -c 'import json, sys; print(" ".join(s["name"] for s in json.load(open(sys.argv[1]))["snapshots"]))' "$PG_OUT")"
assert_exit "delete s1 again" 1 snapshot delete s1
assert_status "$PG_URL/_snapshot/s2/deb/dists/bookworm/InRelease" 200
pg_done
