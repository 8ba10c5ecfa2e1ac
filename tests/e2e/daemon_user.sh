#!/bin/bash
# Least privilege at start: patchgated refuses to start when the signing
# key (STORE/gnupg) is open to others or a store directory is
# world-writable, with an error naming the path; and, started as root with
# "user = patchgate" in [server], it binds its port and then runs as that
# user (checked in /proc/PID/status), still serving the views.  The
# permission checks run as any user; the switch needs root (skipped
# otherwise: 77 when nothing else was checked).  A missing "patchgate"
# system user is created with useradd -r.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"

need python3 curl gpg rpmbuild createrepo_c
pg_need_programs

W=$T/www
REPO=$W/repo
STORE=$T/store
PGUSER=patchgate

mkrpm "$REPO/Packages" foo 1.0
mkrepo "$REPO"
start_upstream "$W"

# mkconf [SERVER LINES]
PG_CONF=$T/patchgate.conf
mkconf() {
	cat >"$PG_CONF" <<-EOF
	[server]
	listen = 127.0.0.1:0
	store = $STORE
	$*

	[mirror el9]
	type = rpm-md
	url = $UPSTREAM_URL/repo
	sync-every = off

	[baseline dev]
	rule = classification=* delay=0

	[group dev]
	baseline = dev
	mirrors = el9
	EOF
}
mkconf
export PATCHGATE_NOW=2026-01-01T00:00:00Z
pg_sync || fail "the sync failed"

# refuses WHAT NEEDLE: patchgated must exit non-zero within 10 s with
# NEEDLE in its message.
refuses() {
	local out rc
	out=$(timeout -k 2 10 "$top_builddir/patchgated" -c "$PG_CONF" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 124 ]; then pg_ok "$1: patchgated refuses to start"
	else pg_notok "$1: patchgated refuses to start" "exit $rc" "$out"; fi
	assert_contains "$1: the error names the cause" "$out" "$2"
}

KEY=$(find "$STORE/gnupg/private-keys-v1.d" -type f -name '*.key' | head -n 1)
[ -n "$KEY" ] || fail "no secret key under $STORE/gnupg/private-keys-v1.d"
chmod o+r "$KEY"
refuses "a world-readable secret key" "$KEY: a secret key file readable by others (mode 0604)"
chmod o-r "$KEY"
chmod 0755 "$STORE/gnupg"
refuses "an open STORE/gnupg" "$STORE/gnupg: the signing key's directory is open to others (mode 0755)"
chmod 0700 "$STORE/gnupg"
chmod o+w "$STORE/tmp"
refuses "a world-writable STORE/tmp" "$STORE/tmp: a store directory anyone can write"
chmod o-w "$STORE/tmp"

if [ "$(id -u)" -ne 0 ]; then
	mkconf "user = nobody"
	refuses "user = nobody as another user" "only root can switch"
	echo "not root: the switch of user is not tested" >&2
	pg_done
fi

pg_say "as root, user = $PGUSER"
need useradd
if ! id -u "$PGUSER" >/dev/null 2>&1; then
	useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$PGUSER" ||
		fail "useradd -r $PGUSER failed"
fi
PGUID=$(id -u "$PGUSER")
PGGID=$(id -g "$PGUSER")
# The store belongs to the daemon's user; the test dir must let it through.
chown -R "$PGUSER:" "$STORE"
chmod 0711 "$T"
mkconf "user = $PGUSER"
start_patchgated "$PG_CONF"
assert_eq "the daemon runs as $PGUSER (real, effective, saved, fs uid)" \
    "$PGUID $PGUID $PGUID $PGUID" "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' /proc/$PG_PID/status)"
assert_eq "the daemon's groups are $PGUSER's" \
    "$PGGID $PGGID $PGGID $PGGID|$PGGID" \
    "$(awk '/^Gid:/ { g = $2 " " $3 " " $4 " " $5 } /^Groups:/ { s = $2 } END { print g "|" s }' /proc/$PG_PID/status)"
assert_match "the switch is logged" "$(cat "$T/patchgated.log")" "running as user $PGUSER \(uid $PGUID"
assert_status "$PG_URL/dev/el9/repodata/repomd.xml" 200
assert_status "$PG_URL/dev/el9/Packages/foo-1.0-1.noarch.rpm" 200
assert_status "$PG_URL/_key.asc" 200
stop_patchgated

mkconf "user = root"
refuses "user = root" "is root; name an unprivileged user"
mkconf "user = no-such-user-pg"
refuses "an unknown user" "user no-such-user-pg: no such user"

pg_done
