#!/bin/bash
# Benchmark: patchgated against nginx (1 worker, sendfile on) serving the
# same files on loopback, in the same run, with wrk: a stored ~8 KB
# package, a stored 1 MB package and a view's repomd.xml.  Prints req/s
# and the ratio patchgated / nginx for each (goal: >= 1.0), then
# patchgated's peak RSS with 1,000 and 10,000 open idle connections.
# Each figure is the median of ROUNDS runs in which the servers take
# turns, so that a neighbour's burst of load on a shared machine does not
# fall on one server alone; beside it, the CPU time each server used per
# request (user and system), which such noise moves less.
#
#   bench/serve.sh [BUILDDIR]   (default: ./build; run from the source tree)
#   WRK_ARGS="-t2 -c64 -d4s" to change the load, ROUNDS=3 the runs.
#   BEFORE=OTHERBUILDDIR to measure that build's patchgated too, in the same
#   run on the same store (an extra column and ratio), for before/after.
# It installs nothing: without wrk or nginx it says what to install and
# exits 77.

top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=$(cd "${1:-$top_srcdir/build}" 2>/dev/null && pwd) || {
	echo "no build directory ${1:-$top_srcdir/build}" >&2
	exit 77
}
export top_srcdir top_builddir
PATH=$PATH:/usr/sbin:/sbin
for t in wrk nginx; do
	command -v $t >/dev/null 2>&1 || {
		echo "bench/serve.sh needs wrk and nginx: apt-get install nginx-light wrk" >&2
		exit 77
	}
done

. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkaptrepo.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"
need python3 curl dpkg-deb apt-ftparchive gpg rpmbuild createrepo_c
pg_need_programs
WRK_ARGS=${WRK_ARGS:--t2 -c64 -d4s}
ROUNDS=${ROUNDS:-3}

W=$T/www
STORE=$T/store

# rawdeb NAME KB: NAME_1.0_all.deb with KB kilobytes of random bytes,
# where mkdeb finds it built.  gzip leaves random bytes as they are and
# takes out tar's padding (10 KB blocks), so the file is about KB big.
rawdeb() {
	local pkg=$T/debs/build/$1
	mkdir -p "$pkg/DEBIAN" "$pkg/usr/share/$1"
	printf 'Package: %s\nVersion: 1.0\nArchitecture: all\nMaintainer: b <b@pgtest.invalid>\nDescription: bench\n bench\n' \
	    "$1" >"$pkg/DEBIAN/control"
	head -c "$(($2 * 1024))" /dev/urandom >"$pkg/usr/share/$1/blob"
	dpkg-deb --root-owner-group -Zgzip --build "$pkg" "$T/debs/${1}_1.0_all.deb" \
	    >/dev/null 2>&1 || fail "dpkg-deb $1"
	echo "Depends=;Pre-Depends=;Provides=" >"$T/debs/${1}_1.0_all.deb.deps"
}
rawdeb small 7
rawdeb large 1020
mkdeb "$W/debian" small 1.0
mkdeb "$W/debian" large 1.0
mkaptrepo "$W/debian" 2026-01-01T00:00:00Z
mkrpm "$W/el9/Packages" foo 1.0
mkrepo "$W/el9"
start_upstream "$W"

PG_CONF=$T/patchgate.conf
cat >"$PG_CONF" <<EOF
[server]
listen = 127.0.0.1:0
store = $STORE
header-timeout = 5m
idle-timeout = 5m
max-connections-per-address = 20000
max-connections = 20000

[mirror debian]
type = apt
url = $UPSTREAM_URL/debian
suites = bookworm
components = main
architectures = amd64
keyring = $T/keys/archive.gpg

[mirror el9]
type = rpm-md
url = $UPSTREAM_URL/el9

[baseline dev]
rule = classification=* delay=0

[group dev]
baseline = dev
mirrors = debian el9
EOF
PATCHGATE_NOW=2026-01-01T00:00:00Z pg_sync >/dev/null 2>&1 || fail "sync failed"
OLD_URL=""
if [ -n "${BEFORE:-}" ]; then
	[ -x "$BEFORE/patchgated" ] || fail "BEFORE=$BEFORE: no patchgated there"
	after=$top_builddir
	top_builddir=$(cd "$BEFORE" && pwd)
	start_patchgated "$PG_CONF" 2>/dev/null
	OLD_URL=$PG_URL
	OLD_PID=$PG_PID
	top_builddir=$after
fi
start_patchgated "$PG_CONF" 2>/dev/null

# The same files under the same paths for nginx, as patchgated serves them.
N=$T/nginx
paths="dev/debian/$(deb_path small 1.0) dev/debian/$(deb_path large 1.0) dev/el9/repodata/repomd.xml"
for p in $paths; do
	mkdir -p "$N/root/${p%/*}"
	[ "$(http_get "$PG_URL/$p" "$N/root/$p")" = 200 ] || fail "patchgated: $p"
done
# Stored now: a second GET must not reach upstream.
before=$(grep -c '"GET /debian/pool/' "$T/upstream.log")
for p in $paths; do http_get "$PG_URL/$p" /dev/null >/dev/null; done
[ "$(grep -c '"GET /debian/pool/' "$T/upstream.log")" = "$before" ] || fail "packages are not stored"

nport=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$N/tmp"
cat >"$N/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $N/nginx.pid;
error_log $N/error.log;
$([ "$(id -u)" = 0 ] && echo "user root;")
events { worker_connections 4096; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000;
	client_body_temp_path $N/tmp;
	proxy_temp_path $N/tmp;
	fastcgi_temp_path $N/tmp;
	uwsgi_temp_path $N/tmp;
	scgi_temp_path $N/tmp;
	server {
		listen 127.0.0.1:$nport;
		root $N/root;
	}
}
EOF
nginx -c "$N/nginx.conf" -p "$N" &
NGINX_PID=$!
pg_track $NGINX_PID
i=0
until curl -s -o /dev/null "http://127.0.0.1:$nport/" || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done

# cpu_ticks PID...: the CPU time (user and system, clock ticks) they used.
cpu_ticks() {
	local p n=0
	for p; do n=$((n + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done
	echo $n
}

# run URL PID...: wrk against URL; prints its requests per second and the
# CPU time (microseconds, user and system) the servers PID... used per
# request meanwhile.
HZ=$(getconf CLK_TCK)
run() {
	local url=$1 c0 c1 out
	shift
	c0=$(cpu_ticks "$@")
	out=$(wrk $WRK_ARGS "$url" 2>&1)
	c1=$(cpu_ticks "$@")
	echo "$out" | awk -v c=$((c1 - c0)) -v hz="$HZ" '
	    / requests in / { n = $1 }
	    /^Requests\/sec:/ { r = $2 }
	    END { printf "%d %.1f\n", r, (n > 0 ? c / hz * 1e6 / n : 0) }'
}

# median N...: the middle one (of an even count, the lower middle).
median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# ratio A B: A / B with two decimals.
ratio() {
	awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'
}

NGINX_WORKER=$(pgrep -P "$NGINX_PID" | head -n 1)
[ -n "$NGINX_WORKER" ] || fail "nginx has no worker process"
echo "req/s: the median of $ROUNDS runs of wrk $WRK_ARGS, the servers taking" \
    "turns; us/req: CPU time the server used per request (median)"
if [ -n "$OLD_URL" ]; then
	printf '%-30s %9s %10s %9s %7s %7s %8s %8s %8s\n' file before patchgated \
	    nginx before ratio "us/req" "us/req" "us/req"
	printf '%-30s %9s %10s %9s %7s %7s %8s %8s %8s\n' "" "" "" "" "" "" \
	    before pg nginx
else
	printf '%-30s %10s %9s %7s %8s %8s\n' file patchgated nginx ratio \
	    "us/req" "us/req"
	printf '%-30s %10s %9s %7s %8s %8s\n' "" "" "" "" pg nginx
fi
for p in $paths; do
	size=$(stat -c %s "$N/root/$p")
	case $p in
	*small*) what="stored package, $size B" ;;
	*large*) what="stored package, $size B" ;;
	*) what="view's repomd.xml, $size B" ;;
	esac
	or="" oc="" ar="" ac="" br="" bc=""
	# Taking turns: a neighbour's burst of load is shared out.
	for r in $(seq "$ROUNDS"); do
		if [ -n "$OLD_URL" ]; then
			set -- $(run "$OLD_URL/$p" "$OLD_PID")
			or="$or $1" oc="$oc $2"
		fi
		set -- $(run "$PG_URL/$p" "$PG_PID")
		ar="$ar $1" ac="$ac $2"
		set -- $(run "http://127.0.0.1:$nport/$p" "$NGINX_WORKER")
		br="$br $1" bc="$bc $2"
	done
	a=$(median $ar) b=$(median $br)
	if [ -n "$OLD_URL" ]; then
		o=$(median $or)
		printf '%-30s %9s %10s %9s %7s %7s %8s %8s %8s\n' "$what" "$o" "$a" \
		    "$b" "$(ratio "$o" "$b")" "$(ratio "$a" "$b")" \
		    "$(median $oc)" "$(median $ac)" "$(median $bc)"
	else
		printf '%-30s %10s %9s %7s %8s %8s\n' "$what" "$a" "$b" \
		    "$(ratio "$a" "$b")" "$(median $ac)" "$(median $bc)"
	fi
done
# The older daemon leaves: the memory figures are the new one's.
if [ -n "$OLD_URL" ]; then
	pg_stop_pid "$OLD_PID"
	pg_untrack "$OLD_PID"
fi

# Memory with idle connections (slowloris.py: one byte a minute).
for n in 1000 10000; do
	pg_next loris
	: >"$REPLY"
	"$PYTHON" "$top_srcdir/tests/e2e/slowloris.py" 127.0.0.1 "${PG_URL##*:}" $n 60 20 \
	    >"$REPLY" 2>&1 &
	lp=$!
	i=0
	until grep -q '^open' "$REPLY" || [ $i -ge 600 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 1
	printf 'patchgated with %s idle connections (%s): RSS %s (peak %s)\n' $n \
	    "$(head -n 1 "$REPLY")" "$(awk '/^VmRSS/ { print $2 " " $3 }' /proc/$PG_PID/status)" \
	    "$(awk '/^VmHWM/ { print $2 " " $3 }' /proc/$PG_PID/status)"
	kill $lp 2>/dev/null
	wait $lp 2>/dev/null
done
pg_done >/dev/null 2>&1
