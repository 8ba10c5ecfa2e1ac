#!/bin/bash
# Replicas behind an HTTP cache (docs/replicas.md): two patchgated serving
# one store, with `schedule = no` (they run no sync and no publish: the
# test is the indexer host, running patchgate sync and publish itself),
# behind nginx with proxy_cache, round-robin over both.  Real dnf and
# apt-get clients pointed at nginx keep updating across 20 publishes with
# no error and install each new version as it ripens; halfway, one replica
# is killed and nginx's proxy_next_upstream carries on with the other.
#
# Also checked through nginx: the Cache-Control patchgated sends (short for
# repomd.xml, repomd.xml.asc and InRelease, long and immutable for package
# files, hash-named rpm-md files and apt's by-hash files), that a package
# file comes from nginx's cache (X-Cache-Status: HIT) the second time, and
# that both replicas give the same ETag and Last-Modified for each file of
# a generation, so a cache's revalidation never flip-flops between them.
#
# nginx decides nothing itself (no proxy_cache_valid): patchgated's headers
# do.  A client that asks for a fresh top-level file (apt's "Cache-Control:
# max-age=0", dnf --refresh's "Pragma: no-cache") bypasses the cache for
# that file, as docs/replicas.md recommends; that is what lets each round
# see the publish that just happened, with no wait for max-age.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"
. "$top_srcdir/tests/e2e/mkaptrepo.sh"

need nginx python3 curl rpmbuild createrepo_c
need_apt
need_dnf
pg_need_programs

ROUNDS=${PG_REPLICA_ROUNDS:-20}
W=$T/www
STORE=$T/store
export APT_BYHASH=1

# Upstream: foo 1.0 (rpm-md) and hello 1.0 (apt).
mkrpm "$W/el9/Packages" foo 1.0
mkrepo "$W/el9"
mkdeb "$W/debian" hello 1.0
mkaptrepo "$W/debian" 2026-01-01T00:00:00Z
start_upstream "$W"

# Two replicas with the same configuration (each takes a free port), as two
# machines with the store mounted at the same path would have.  dev sees a version
# one day after the mirror first saw it: each round's publish a day later
# is what makes it visible.
for r in a b; do
	cat >"$T/replica-$r.conf" <<-EOF
	[server]
	listen = 127.0.0.1:0
	store = $STORE
	schedule = no

	[mirror el9]
	type = rpm-md
	url = $UPSTREAM_URL/el9

	[mirror debian]
	type = apt
	url = $UPSTREAM_URL/debian
	suites = bookworm
	components = main
	architectures = amd64
	keyring = $T/keys/archive.gpg

	[baseline dev]
	rule = classification=* delay=1d

	[group dev]
	baseline = dev
	mirrors = el9 debian

	# Only for some addresses: no shared cache may hand its files out.
	[group ops]
	baseline = dev
	mirrors = el9
	allow = 127.0.0.1/32 ::1
	EOF
done

day() { date -u -d "2026-01-01 + $1 days" +%Y-%m-%dT%H:%M:%SZ; }

sed 's/^schedule = no$/schedule = maybe/' "$T/replica-a.conf" >"$T/bad.conf"
out=$("$top_builddir/patchgated" -n -c "$T/bad.conf" 2>&1)
assert_ne "patchgated -n refuses schedule = maybe" 0 $?
assert_contains "the error names the file, the line and the value" "$out" \
    "$T/bad.conf:4: schedule: \"maybe\" is neither yes nor no"

# The indexer host's commands (sync, publish) read either file.
PG_CONF=$T/replica-a.conf
PATCHGATE_NOW=$(day 0) pg_sync || fail "the first sync failed"

# start_replica NAME: patchgated with replica-NAME.conf; sets PID_NAME, PORT_NAME.
start_replica() {
	start_patchgated "$T/replica-$1.conf"
	printf -v "PID_$1" %s "$PG_PID"
	printf -v "PORT_$1" %s "${PG_URL##*:}"
}
start_replica a
start_replica b
assert_match "a replica says it runs no sync or publish" "$(cat "$T/patchgated.log")" \
    "schedule = no: serving only"

# --- nginx --------------------------------------------------------------------
#
# Its own prefix, pid, logs and temp dirs under $T, run by the test.  The
# log line records, per request, the client's Cache-Control and Pragma,
# the cache status and which replica answered.
NG=$T/nginx
mkdir -p "$NG/logs" "$NG/cache" "$NG/tmp"
NGINX_PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$NG/nginx.conf" <<EOF
daemon off;
# The workers as the test's user: they write the cache under \$T.
user $(id -un) $(id -gn);
worker_processes 1;
pid $NG/nginx.pid;
error_log $NG/logs/error.log info;
events { worker_connections 256; }
http {
	client_body_temp_path $NG/tmp/body;
	proxy_temp_path $NG/tmp/proxy;
	fastcgi_temp_path $NG/tmp/fastcgi;
	uwsgi_temp_path $NG/tmp/uwsgi;
	scgi_temp_path $NG/tmp/scgi;
	log_format pg '\$request_method \$uri \$status cache=\$upstream_cache_status'
	    ' replica=\$upstream_addr cc="\$http_cache_control" pragma="\$http_pragma"';
	access_log $NG/logs/access.log pg;

	proxy_cache_path $NG/cache levels=1:2 keys_zone=patchgate:10m max_size=1g
	    inactive=7d use_temp_path=off;

	upstream patchgate {
		server 127.0.0.1:$PORT_a max_fails=1 fail_timeout=30s;
		server 127.0.0.1:$PORT_b max_fails=1 fail_timeout=30s;
		keepalive 8;
	}

	# A client asking for a fresh copy of a top-level file gets one.
	map "\$http_cache_control \$http_pragma" \$pg_fresh {
		default 0;
		"~*(no-cache|max-age=0)" 1;
	}

	server {
		listen 127.0.0.1:$NGINX_PORT;
		# The replicas see nginx's address, which admin-allow has.
		location ~ ^/(_api|_mirror|_status|metrics)(/|\$) { return 403; }
		location / {
			proxy_pass http://patchgate;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header Host \$http_host;
			proxy_cache patchgate;
			proxy_cache_revalidate on;
			proxy_cache_lock on;
			proxy_cache_use_stale error timeout updating http_502 http_503;
			proxy_next_upstream error timeout http_502 http_503;
			add_header X-Cache-Status \$upstream_cache_status always;
		}
		location ~ /(InRelease|Release|Release\.gpg|repomd\.xml|repomd\.xml\.asc|repomd\.xml\.key)\$ {
			proxy_pass http://patchgate;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header Host \$http_host;
			proxy_cache patchgate;
			proxy_cache_revalidate on;
			proxy_cache_lock on;
			proxy_cache_bypass \$pg_fresh;
			proxy_next_upstream error timeout http_502 http_503;
			add_header X-Cache-Status \$upstream_cache_status always;
		}
	}
}
EOF
echo "+ nginx -p $NG -c $NG/nginx.conf &" >&2
nginx -p "$NG" -c "$NG/nginx.conf" >>"$NG/logs/stderr.log" 2>&1 &
NGINX_PID=$!
pg_track $NGINX_PID
n=100
until curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/"; do
	kill -0 $NGINX_PID 2>/dev/null || fail "nginx did not start: $(cat "$NG/logs/stderr.log" "$NG/logs/error.log")"
	[ $n -gt 0 ] || fail "nginx did not answer within 10 s"
	sleep 0.1
	n=$((n - 1))
done
CACHE=http://127.0.0.1:$NGINX_PORT
pg_say "nginx at $CACHE in front of replicas a ($PORT_a) and b ($PORT_b)"
# The clients' helpers (dnf_in's gpgkey, apt_proxy_key) take PG_URL: nginx.
PG_URL=$CACHE

# hget URL OUT [CURL ARGS]: the status; the headers in OUT.h.
hget() {
	local url=$1 out=$2
	shift 2
	curl -s --max-time 60 -D "$out.h" -o "$out" -w '%{http_code}' "$@" -- "$url"
}

# hdr FILE NAME: the value of header NAME in FILE (headers, as curl -D).
hdr() {
	awk -v n="$2" 'BEGIN { n = tolower(n) ":" }
	    tolower($1) == n { sub(/^[^:]*:[ \t]*/, ""); sub(/\r$/, ""); print; exit }' "$1"
}

SHORT="max-age=60"
PAIRED="no-cache"
LONG="public, max-age=31536000, immutable"

# --- headers through nginx, and the same validators from both replicas -----

pg_say "Cache-Control through nginx"
RPMURL=$CACHE/dev/el9
DEBURL=$CACHE/dev/debian
pg_next repomd
assert_eq "GET repomd.xml through nginx" 200 "$(hget "$RPMURL/repodata/repomd.xml" "$REPLY")"
REPOMD=$REPLY
assert_eq "repomd.xml: Cache-Control" "$PAIRED" "$(hdr "$REPOMD.h" Cache-Control)"
primary=$(sed -n 's/.*href="\(repodata\/[0-9a-f]*-primary\.xml\.[a-z]*\)".*/\1/p' "$REPOMD" | head -n 1)
[ -n "$primary" ] || fail "repomd.xml names no hash-named primary: $(head -c 600 "$REPOMD")"
for f in repodata/repomd.xml.asc "$primary" Packages/foo-1.0-1.noarch.rpm; do
	case $f in *.asc) want=$PAIRED ;; *) want=$LONG ;; esac
	pg_next h
	assert_eq "GET $f through nginx" 200 "$(hget "$RPMURL/$f" "$REPLY")"
	assert_eq "$f: Cache-Control" "$want" "$(hdr "$REPLY.h" Cache-Control)"
done
pg_next inrelease
assert_eq "GET InRelease through nginx" 200 "$(hget "$DEBURL/dists/bookworm/InRelease" "$REPLY")"
assert_eq "InRelease: Cache-Control" "$SHORT" "$(hdr "$REPLY.h" Cache-Control)"
INREL=$REPLY
assert_match "the view's InRelease says Acquire-By-Hash: yes" "$(cat "$INREL")" "^Acquire-By-Hash: yes"
# The view lists all upstream lists: upstream's own Packages.xz.
hs=$(pg_apt listed "$INREL" main/binary-amd64/Packages.xz) ||
	fail "InRelease lists no main/binary-amd64/Packages.xz"
byhash=dists/bookworm/main/binary-amd64/by-hash/SHA256/${hs% *}
deb=$(deb_path hello 1.0)
for f in "$byhash" dists/bookworm/main/binary-amd64/Packages.xz "$deb"; do
	case $f in *by-hash* | *.deb) want=$LONG ;; *) want=$SHORT ;; esac
	pg_next h
	assert_eq "GET $f through nginx" 200 "$(hget "$DEBURL/$f" "$REPLY")"
	assert_eq "$f: Cache-Control" "$want" "$(hdr "$REPLY.h" Cache-Control)"
done

assert_status "$CACHE/_mirror/el9/repodata/repomd.xml" 403
assert_status "$CACHE/metrics" 403
pg_say "a package file comes from nginx's cache the second time"
for u in "$RPMURL/Packages/foo-1.0-1.noarch.rpm" "$DEBURL/$deb" "$RPMURL/$primary" "$DEBURL/$byhash"; do
	pg_next again
	assert_eq "GET ${u#"$CACHE"/} again" 200 "$(hget "$u" "$REPLY")"
	assert_eq "${u#"$CACHE"/}: X-Cache-Status of the second fetch" HIT \
	    "$(hdr "$REPLY.h" X-Cache-Status)"
done
pg_next rpm
hget "$RPMURL/Packages/foo-1.0-1.noarch.rpm" "$REPLY" >/dev/null
assert_files_eq "the rpm nginx serves from its cache is upstream's" "$T/rpms/foo-1.0-1.noarch.rpm" "$REPLY"
for n in 1 2; do
	pg_next ops
	assert_eq "GET the rpm of group ops (allow) through nginx ($n)" 200 \
	    "$(hget "$CACHE/ops/el9/Packages/foo-1.0-1.noarch.rpm" "$REPLY")"
	assert_eq "group ops: the rpm is private ($n)" "private, max-age=31536000, immutable" \
	    "$(hdr "$REPLY.h" Cache-Control)"
	assert_eq "group ops: nginx does not keep it ($n)" MISS "$(hdr "$REPLY.h" X-Cache-Status)"
done
for n in 1 2; do
	pg_next pair
	hget "$RPMURL/repodata/repomd.xml.asc" "$REPLY" >/dev/null
	assert_eq "repomd.xml.asc: nginx does not keep it ($n)" MISS "$(hdr "$REPLY.h" X-Cache-Status)"
done

# same_validators PATH...: GET each PATH (under /dev/) from both replicas
# directly: the same ETag and Last-Modified from both.
same_validators() {
	local p ha hb
	for p in "$@"; do
		pg_next va
		ha=$REPLY
		pg_next vb
		hb=$REPLY
		case $p in /*) ;; *) p=/dev/$p ;; esac
		hget "http://127.0.0.1:$PORT_a$p" "$ha" >/dev/null
		hget "http://127.0.0.1:$PORT_b$p" "$hb" >/dev/null
		assert_eq "$p: the same ETag from both replicas" \
		    "$(hdr "$ha.h" ETag)" "$(hdr "$hb.h" ETag)"
		assert_eq "$p: the same Last-Modified from both replicas" \
		    "$(hdr "$ha.h" Last-Modified)" "$(hdr "$hb.h" Last-Modified)"
		[ -n "$(hdr "$ha.h" ETag)" ] || pg_notok "$p: an ETag"
	done
}
pg_say "both replicas give the same validators"
same_validators el9/repodata/repomd.xml el9/repodata/repomd.xml.asc "el9/$primary" \
    el9/Packages/foo-1.0-1.noarch.rpm debian/dists/bookworm/InRelease "debian/$byhash" "debian/$deb" \
    /_key.asc

# --- the clients ---------------------------------------------------------------

DNF_ROOT=$T/dnf
APT_ROOT=$T/apt
dnf_in "$DNF_ROOT" "$RPMURL" install foo || fail "dnf install foo through nginx: $(tail -n 5 "$DNF_LOG")"
assert_eq "dnf installed foo 1.0 through nginx" 1.0-1 "$(installed "$DNF_ROOT" foo)"
KEY=$(apt_proxy_key)
apt_root "$APT_ROOT" "$KEY" "$DEBURL" bookworm
# apt-get install (not --download-only) logs to var/log/apt, and installs
# with dpkg into the root, not into this machine.
mkdir -p "$APT_ROOT/var/log/apt" "$APT_ROOT/var/lib/dpkg/info" "$APT_ROOT/var/lib/dpkg/updates"
cat >>"$APT_ROOT/apt.conf" <<EOF
DPkg::Options { "--root=$APT_ROOT"; "--log=$APT_ROOT/var/log/dpkg.log"; };
EOF
apt_update "$APT_ROOT" || fail "apt-get update through nginx"
apt_get "$APT_ROOT" install hello || fail "apt-get install hello through nginx"
assert_eq "apt-get installed hello 1.0 through nginx" 1.0 \
    "$(dpkg-query --admindir="$APT_ROOT/var/lib/dpkg" -W -f='${Version}' hello 2>/dev/null)"

# round I: upstream gets foo 1.I and hello 1.I; sync on day 2I (first seen,
# not yet visible to dev), publish on day 2I+1 (ripe); both clients update
# and must install 1.I with no error.
killed=""
for i in $(seq 1 "$ROUNDS"); do
	v=1.$i
	pg_say "round $i: foo $v and hello $v upstream"
	mkrpm "$W/el9/Packages" foo "$v"
	mkrepo "$W/el9"
	mkdeb "$W/debian" hello "$v"
	mkaptrepo "$W/debian" "$(day $((2 * i)))"
	PATCHGATE_NOW=$(day $((2 * i))) pg_sync || pg_notok "round $i: the sync"
	# Not ripe yet: gated, and the 404 (no-store) is not kept by nginx.
	assert_status "$RPMURL/Packages/foo-$v-1.noarch.rpm" 404
	PATCHGATE_NOW=$(day $((2 * i + 1))) "$top_builddir/patchgate" -c "$PG_CONF" publish \
	    >"$T/log/publish.$i" 2>&1 || pg_notok "round $i: the publish" "$(cat "$T/log/publish.$i")"

	if [ "$i" -eq $((ROUNDS / 2)) ]; then
		pg_say "round $i: replica a is killed"
		kill -KILL "$PID_a"
		wait "$PID_a" 2>/dev/null
		pg_untrack "$PID_a"
		killed=a
	fi

	assert_status "$DEBURL/$(deb_path hello "$v")" 200
	if dnf_in "$DNF_ROOT" "$RPMURL" upgrade foo; then
		pg_ok "round $i: dnf upgrade through nginx"
	else
		pg_notok "round $i: dnf upgrade through nginx" "$(grep -iE 'error|fail' "$DNF_LOG" | head -n 5)"
	fi
	assert_eq "round $i: dnf installed foo $v" "$v-1" "$(installed "$DNF_ROOT" foo)"
	if apt_update "$APT_ROOT" && apt_get "$APT_ROOT" install hello &&
	    ! grep -Eq '^(W|E): ' "$APT_LOG"; then
		pg_ok "round $i: apt-get update and install through nginx"
	else
		pg_notok "round $i: apt-get update and install through nginx" \
		    "$(grep -E '^(W|E): ' "$APT_LOG" | head -n 5)"
	fi
	assert_eq "round $i: apt-get installed hello $v" "$v" \
	    "$(dpkg-query --admindir="$APT_ROOT/var/lib/dpkg" -W -f='${Version}' hello 2>/dev/null)"
done

pg_say "what nginx saw"
log=$NG/logs/access.log
sed 's/^/  nginx| /' "$log" | tail -n 40 >&2
assert_eq "nginx answered no request with 5xx" "" "$(awk '$3 >= 500' "$log" | head -n 5)"
assert_match "nginx served package files from its cache" "$(cat "$log")" \
    '\.(rpm|deb) 200 cache=HIT'
assert_match "both replicas answered" "$(grep "replica=127.0.0.1:$PORT_a" "$log" | head -n 1)" .
assert_match "both replicas answered (b)" "$(grep "replica=127.0.0.1:$PORT_b" "$log" | head -n 1)" .
assert_eq "replica a was killed halfway" a "$killed"
# sync-every is the default (6h) and views ripened by the real clock long
# ago: a daemon that schedules would have run something.
assert_not_contains "no replica started a sync or publish" "$(cat "$T/patchgated.log")" \
    "started (pid"

# The surviving replica ends cleanly in pg_done.
PG_PID=$PID_b
pg_done
