#!/bin/bash
# Package files fetched on demand from a broken upstream: whatever upstream
# does wrong (a reset half-way, a short body, a Content-Length larger than
# the file, corrupt bytes, a 500, a redirect loop), patchgated stores no
# byte of it, no client receives it as a cleanly ended transfer, no
# temporary file is left, and once upstream is fixed the next request gets
# the right bytes and stores them.  The upstream is faulthttpd.py; each
# fault has a package of its own, so that none is stored before its turn.
# At the end a real apt-get installs every one of them through the proxy.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkaptrepo.sh"

need python3 curl dpkg-deb apt-ftparchive apt-get gpg sha256sum
pg_need_programs

W=$T/www
REPO=$W/debian
STORE=$T/store
FAULT=$T/fault
: >"$FAULT"

MODES="reset short long-length corrupt error500 redirect-loop"

for m in $MODES; do
	# 256 KB: upstream's body spans many reads, half of it is a
	# real partial download.
	bigdeb "f${m//-/}" 256K
	mkdeb "$REPO" "f${m//-/}" 1.0
done
mkaptrepo "$REPO" 2026-01-01T00:00:00Z

pg_next upstream.port
PORTFILE=$REPLY
"$PYTHON" "$top_srcdir/tests/e2e/faulthttpd.py" "$W" "$PORTFILE" "$FAULT" 2>>"$T/upstream.log" &
UPSTREAM_PID=$!
pg_track $UPSTREAM_PID
wait_for_file "$PORTFILE" 10 $UPSTREAM_PID || fail "the fault server did not start"
UPSTREAM_URL=http://127.0.0.1:$(cat "$PORTFILE")

PG_CONF=$T/patchgate.conf
cat >"$PG_CONF" <<EOF
[server]
listen = 127.0.0.1:0
store = $STORE

[mirror debian]
type = apt
url = $UPSTREAM_URL/debian
suites = bookworm
components = main
architectures = amd64
keyring = $T/keys/archive.gpg
redirects = any

[baseline dev]
rule = classification=* delay=0

[group dev]
baseline = dev
mirrors = debian
EOF

PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync || fail "the sync failed"
PATCHGATE_NOW=2026-01-01T00:00:00Z start_patchgated "$PG_CONF"
DEV=$PG_URL/dev/debian

# upstream_gets PATH: how many GETs of PATH upstream saw.
upstream_gets() { grep -c "^GET /debian/$1 " "$T/upstream.log"; }
blob_of() { echo "$STORE/blobs/sha256/${1:0:2}/$1"; }

for m in $MODES; do
	name=f${m//-/}
	path=$(deb_path "$name" 1.0)
	good=$REPO/$path
	sha=$(sha256sum <"$good" | cut -d' ' -f1)
	pg_say "upstream answers $path with: $m"
	echo "$path $m" >"$FAULT"
	# Three clients at once, the way a fleet asks.
	for i in 1 2 3; do
		curl -sS --max-time 120 -o "$T/$name.$i" -w '%{http_code}' \
		    -- "$DEV/$path" >"$T/$name.$i.code" 2>"$T/$name.$i.err" &
		eval "pid$i=$!"
	done
	clean_bad=0
	for i in 1 2 3; do
		eval "wait \$pid$i"
		rc=$?
		code=$(cat "$T/$name.$i.code")
		echo "  client $i: curl exit $rc, status $code, $(wc -c <"$T/$name.$i") bytes" >&2
		# A transfer that ended cleanly with 200 must hold upstream's bytes.
		if [ $rc -eq 0 ] && [ "$code" = 200 ] &&
		    ! cmp -s "$good" "$T/$name.$i"; then
			clean_bad=$((clean_bad + 1))
		fi
		if [ $rc -eq 0 ] && [ "$code" = 200 ]; then
			pg_notok "$m: client $i got a clean 200 from a broken upstream"
		fi
	done
	assert_eq "$m: no client got wrong bytes in a cleanly ended transfer" 0 $clean_bad
	assert_false "$m: nothing is stored" test -e "$(blob_of "$sha")"
	assert_eq "$m: no temporary file is left" "" "$(ls "$STORE/tmp")"
	[ "$(upstream_gets "$path")" -ge 1 ] || pg_notok "$m: upstream was asked for $path"

	pg_say "upstream fixed: $path"
	: >"$FAULT"
	assert_status "$DEV/$path" 200
	assert_files_eq "$m: after the fix, the client gets upstream's bytes" "$good" "$HTTP_BODY"
	assert_true "$m: ... and they are stored" test -f "$(blob_of "$sha")"
done

pg_say "a real apt-get installs every package through the proxy"
KEY=$(apt_proxy_key)
apt_root "$T/apt" "$KEY" "$DEV" bookworm
apt_update "$T/apt" || pg_notok "apt-get update through patchgated"
names=""
for m in $MODES; do names="$names f${m//-/}"; done
# shellcheck disable=SC2086
apt_get "$T/apt" install --download-only $names || pg_notok "apt-get downloads every package"
for m in $MODES; do
	name=f${m//-/}
	assert_files_eq "apt-get's $name is upstream's" "$REPO/$(deb_path "$name" 1.0)" \
	    "$T/apt/var/cache/apt/archives/${name}_1.0_all.deb"
done
pg_done
