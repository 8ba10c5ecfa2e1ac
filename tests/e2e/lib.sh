# Sourced by every end-to-end test (bash).  It gives each test a temp dir
# and a trap that stops every process the test started (the upstream web
# server, patchgated, gpg-agents) and removes the dir, so that a test stops
# by itself even when it fails half way; it starts the upstream server and
# patchgated on ports chosen at run time, runs real dnf in an installroot,
# and provides assertions that print what was expected and what came.
#
# A test: . "$top_srcdir/tests/e2e/lib.sh"; need TOOL...; ...; pg_done.
# Exit status (automake's parallel harness): 0 pass, 1 fail, 77 skip.
# KEEP=1 keeps the temp dir for a post-mortem.  By hand, from a build dir:
#	top_builddir=$PWD KEEP=1 $srcdir/tests/e2e/rpmmd_gating.sh
# The programs run with PATCHGATE_NOW and the logs of every command
# (sync, dnf, patchgated) go to stderr, i.e. the test's .log file.
#
# Time: every patchgate program reads its clock from PATCHGATE_NOW, so a
# test moves through days by setting it per command:
#	PATCHGATE_NOW=2026-01-13T12:00:00Z pg_sync el9
# and never sleeps to wait for time.

set -u

export LC_ALL=C.UTF-8 TZ=UTC
unset PATCHGATE_NOW

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
if [ -z "${top_builddir:-}" ]; then
	if [ -x "$PWD/patchgated" ]; then top_builddir=$PWD; else top_builddir=$top_srcdir; fi
fi
export top_srcdir top_builddir

PG_TEST=$(basename "$0" .sh)

# The interpreter itself, not a wrapper such as pyenv's shim that costs a
# third of a second per call.
PYTHON=python3
if command -v python3 >/dev/null 2>&1; then
	PYTHON=$(python3 -c 'import sys; print(sys.executable)') || PYTHON=python3
fi
PG_NFAIL=0
PG_NCHECK=0
PG_PIDS=""		# every background process this test started
PG_GNUPGHOMES=""	# every GNUPGHOME whose agent must be stopped
PG_URL=""
PG_PID=""
PG_CONF=""
STORE=""
UPSTREAM_URL=""
UPSTREAM_PID=""
DNF_LOG=""
SYNC_OUT=""
SYNC_ERR=""
PG_SEQ=0

T=$(mktemp -d "${TMPDIR:-/tmp}/pg-e2e-$PG_TEST.XXXXXX") || {
	echo "$PG_TEST: mktemp failed" >&2
	exit 99
}
mkdir -p "$T/log"

# --- stopping and cleaning up ------------------------------------------------

pg_track() { PG_PIDS="$PG_PIDS $1"; }
pg_untrack() {
	local p out=""
	for p in $PG_PIDS; do [ "$p" = "$1" ] || out="$out $p"; done
	PG_PIDS=$out
}
pg_gnupghome() {
	case " $PG_GNUPGHOMES " in *" $1 "*) ;; *) PG_GNUPGHOMES="$PG_GNUPGHOMES $1" ;; esac
}

# Stops one process: TERM, up to 5 s, then KILL; reaps it.
pg_stop_pid() {
	local pid=$1 i=0
	kill -TERM "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "$PG_TEST: pid $pid ignored SIGTERM for 5 s, killing it" >&2
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}

pg_cleanup() {
	local rc=$? pid h
	trap - EXIT HUP INT TERM
	set +e
	for pid in $PG_PIDS; do pg_stop_pid "$pid"; done
	PG_PIDS=""
	[ -n "$STORE" ] && pg_gnupghome "$STORE/gnupg"
	# dnf verifies repomd.xml.asc with keyrings of its own under its cache.
	for h in $(find "$T" -type d \( -name pubring -o -name gnupg -o -name '*.gnupg' \) 2>/dev/null); do
		pg_gnupghome "$h"
	done
	for h in $PG_GNUPGHOMES; do
		[ -d "$h" ] && gpgconf --homedir "$h" --kill all >/dev/null 2>&1
	done
	if [ $rc -eq 0 ] && [ $PG_NFAIL -gt 0 ]; then rc=1; fi
	if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
		if [ -s "$T/patchgated.log" ]; then
			echo "--- last lines of patchgated's log ---" >&2
			tail -n 40 "$T/patchgated.log" >&2
		fi
		if [ -s "$T/upstream.log" ]; then
			echo "--- last lines of the upstream server's log ---" >&2
			tail -n 20 "$T/upstream.log" >&2
		fi
		echo "$PG_TEST: FAILED ($PG_NFAIL of $PG_NCHECK checks failed, exit $rc)" >&2
	fi
	if [ "${KEEP:-0}" = 1 ]; then
		echo "$PG_TEST: kept $T" >&2
	else
		rm -rf "$T"
	fi
	exit $rc
}
trap pg_cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# --- results -------------------------------------------------------------------

pg_say() { echo "== $*" >&2; }

# pg_elapsed: seconds since $pg_t0 (an $EPOCHREALTIME), for the log.
pg_t0=0
pg_elapsed() {
	local a=${EPOCHREALTIME/[^0-9]/} b=${pg_t0/[^0-9]/}
	a=$(((a - b) / 100000))
	echo "$((a / 10)).$((a % 10))"
}

# pg_next NAME: sets REPLY to a new path $T/log/NAME.N.PID, unique also
# when the caller runs in a subshell ($(...), assert_true).
pg_next() {
	PG_SEQ=$((PG_SEQ + 1))
	REPLY=$T/log/$1.$PG_SEQ.$BASHPID
}

# A hard failure: the test cannot go on.
fail() {
	echo "FAIL: $*" >&2
	PG_NFAIL=$((PG_NFAIL + 1))
	exit 1
}

skip() {
	echo "SKIP: $*" >&2
	exit 77
}

# Ends the test: 1 if any check failed, else 0.
# pg_sanitized: whether patchgated is built with AddressSanitizer, whose
# quarantine keeps freed memory: peak-memory checks mean nothing there.
pg_sanitized() {
	grep -qa __asan_init "$top_builddir/patchgated"
}

pg_done() {
	# A sanitizer report of the daemon is a failure too; LeakSanitizer
	# reports at exit, so the daemon stops first.
	stop_patchgated
	if [ -f "$T/patchgated.log" ] && grep -Eq \
	    'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$T/patchgated.log"; then
		pg_notok "patchgated ran without a sanitizer report" \
		    "$(grep -E -m 1 -A 20 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' \
		    "$T/patchgated.log")"
	fi
	if [ $PG_NFAIL -gt 0 ]; then
		exit 1
	fi
	echo "$PG_TEST: all $PG_NCHECK checks passed" >&2
	exit 0
}

pg_ok() { PG_NCHECK=$((PG_NCHECK + 1)); echo "ok: $1" >&2; }
pg_notok() {
	PG_NCHECK=$((PG_NCHECK + 1))
	PG_NFAIL=$((PG_NFAIL + 1))
	echo "FAIL: $1" >&2
	shift
	local l
	for l in "$@"; do printf '    %s\n' "$l" >&2; done
}

# The assertions record a failure and let the test go on, so that one run
# shows everything that is wrong; pg_done turns failures into exit 1.

# assert_eq WHAT EXPECTED GOT
assert_eq() {
	if [ "$2" = "$3" ]; then pg_ok "$1"; else
		pg_notok "$1" "expected: '$2'" "got:      '$3'"
	fi
}

# assert_ne WHAT UNEXPECTED GOT
assert_ne() {
	if [ "$2" != "$3" ]; then pg_ok "$1"; else
		pg_notok "$1" "expected anything but: '$2'"
	fi
}

# assert_contains WHAT HAYSTACK NEEDLE (fixed string)
assert_contains() {
	case "$2" in
	*"$3"*) pg_ok "$1" ;;
	*) pg_notok "$1" "expected to contain: '$3'" "got: '$(printf %s "$2" | head -c 2000)'" ;;
	esac
}

# assert_not_contains WHAT HAYSTACK NEEDLE
assert_not_contains() {
	case "$2" in
	*"$3"*) pg_notok "$1" "expected not to contain: '$3'" "got: '$(printf %s "$2" | head -c 2000)'" ;;
	*) pg_ok "$1" ;;
	esac
}

# assert_match WHAT STRING ERE (grep -E, case-insensitive)
assert_match() {
	if printf '%s\n' "$2" | grep -Eiq -- "$3"; then pg_ok "$1"; else
		pg_notok "$1" "expected to match: /$3/" "got: '$(printf %s "$2" | head -c 2000)'"
	fi
}

# assert_true WHAT COMMAND...: the command must succeed (its output is shown).
assert_true() {
	local what=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then pg_ok "$what"; else
		pg_notok "$what" "command failed (exit $rc): $*" "$out"
	fi
}

# assert_false WHAT COMMAND...: the command must fail.
assert_false() {
	local what=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -ne 0 ]; then pg_ok "$what"; else
		pg_notok "$what" "command succeeded but should have failed: $*" "$out"
	fi
}

# assert_files_eq WHAT EXPECTED_FILE GOT_FILE: byte for byte.
assert_files_eq() {
	if cmp -s "$2" "$3"; then pg_ok "$1"; else
		pg_notok "$1" "files differ: $2 ($(wc -c <"$2" 2>/dev/null) bytes) and $3 ($(wc -c <"$3" 2>/dev/null) bytes)"
	fi
}

# --- HTTP ----------------------------------------------------------------------

# http_get URL OUTFILE [curl args]: prints the status code (000: no answer).
http_get() {
	local url=$1 out=$2
	shift 2
	curl -s --max-time 60 -o "$out" -w '%{http_code}' "$@" -- "$url"
}

# assert_status URL CODE [curl args]: CODE may list alternatives, "400|404".
# The body stays in $HTTP_BODY (a file) for further checks.
HTTP_BODY=""
assert_status() {
	local url=$1 want=$2 got
	shift 2
	pg_next body
	HTTP_BODY=$REPLY
	got=$(http_get "$url" "$HTTP_BODY" "$@")
	case "|$want|" in
	*"|$got|"*)
		pg_ok "HTTP $got for $url${*:+ ($*)}"
		[ "$got" -ge 300 ] 2>/dev/null &&
			echo "    body: $(head -c 200 "$HTTP_BODY" | tr -c '[:print:]' ' ')" >&2
		;;
	*) pg_notok "HTTP status of $url${*:+ ($*)}" "expected: $want" "got:      $got" \
	    "body: $(head -c 300 "$HTTP_BODY" 2>/dev/null | tr -c '[:print:]\n' '?')" ;;
	esac
}

# wait_for_file FILE SECONDS [PID]: polls every 0.1 s; fails early when PID dies.
wait_for_file() {
	local f=$1 n=$(($2 * 10)) pid=${3:-}
	while [ ! -s "$f" ]; do
		[ $n -gt 0 ] || return 1
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
		sleep 0.1
		n=$((n - 1))
	done
	return 0
}

# --- the upstream ----------------------------------------------------------------

# start_upstream DIR: serves DIR over HTTP/1.1 on 127.0.0.1; sets UPSTREAM_URL.
start_upstream() {
	local dir=$1 portfile port
	pg_next upstream.port
	portfile=$REPLY
	"$PYTHON" "$top_srcdir/tests/e2e/httpd.py" "$dir" "$portfile" 2>>"$T/upstream.log" &
	UPSTREAM_PID=$!
	pg_track $UPSTREAM_PID
	wait_for_file "$portfile" 10 $UPSTREAM_PID ||
		fail "the upstream server did not start: $(tail -n 5 "$T/upstream.log")"
	port=$(cat "$portfile")
	UPSTREAM_URL=http://127.0.0.1:$port
	pg_say "upstream $dir at $UPSTREAM_URL"
}

# stop_upstream: stops it; its port then refuses connections.
stop_upstream() {
	[ -n "$UPSTREAM_PID" ] || return 0
	pg_stop_pid "$UPSTREAM_PID"
	pg_untrack "$UPSTREAM_PID"
	UPSTREAM_PID=""
	pg_say "upstream stopped"
}

# --- patchgate -------------------------------------------------------------------

pg_need_programs() {
	local p
	for p in patchgate patchgated; do
		[ -x "$top_builddir/$p" ] || fail "$top_builddir/$p is not built"
	done
}

# pg_sync ARGS: patchgate -c $PG_CONF sync ARGS, bounded in time; its
# stdout and stderr stay in $SYNC_OUT and $SYNC_ERR and are shown in the log.
pg_sync() {
	local rc
	[ -n "$PG_CONF" ] || fail "pg_sync: PG_CONF is not set"
	pg_next sync
	SYNC_OUT=$REPLY.out
	SYNC_ERR=$REPLY.err
	echo "+ PATCHGATE_NOW=${PATCHGATE_NOW:-} patchgate -c $PG_CONF sync $*" >&2
	pg_t0=$EPOCHREALTIME
	timeout -k 5 "${PG_SYNC_TIMEOUT:-300}" "$top_builddir/patchgate" -c "$PG_CONF" sync "$@" \
	    >"$SYNC_OUT" 2>"$SYNC_ERR"
	rc=$?
	sed 's/^/  1| /' "$SYNC_OUT" >&2
	sed 's/^/  2| /' "$SYNC_ERR" >&2
	echo "  (exit $rc, $(pg_elapsed) s)" >&2
	[ $rc -eq 124 ] && echo "  sync timed out after ${PG_SYNC_TIMEOUT:-300} s" >&2
	return $rc
}

# start_patchgated CONF: runs patchgated in the foreground of a background
# job, waits up to 10 s for "listening on 127.0.0.1:PORT" in its log and
# sets PG_URL.  PATCHGATE_NOW, when set, is the daemon's clock.
start_patchgated() {
	local n=300 port="" from
	PG_CONF=$1
	# Only this start's lines: after a restart the log still holds the
	# previous daemon's "listening on", with its old port.
	from=$(($(cat "$T/patchgated.log" 2>/dev/null | wc -l) + 1))
	echo "+ PATCHGATE_NOW=${PATCHGATE_NOW:-} patchgated -c $PG_CONF &" >&2
	"$top_builddir/patchgated" -c "$PG_CONF" >>"$T/patchgated.log" 2>&1 &
	PG_PID=$!
	pg_track $PG_PID
	while :; do
		port=$(tail -n +"$from" "$T/patchgated.log" 2>/dev/null |
		    sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' |
		    head -n 1)
		[ -n "$port" ] && break
		kill -0 $PG_PID 2>/dev/null ||
			fail "patchgated exited before listening: $(tail -n 10 "$T/patchgated.log")"
		[ $n -gt 0 ] ||
			fail "patchgated did not say 'listening on 127.0.0.1:PORT' within 30 s"
		sleep 0.1
		n=$((n - 1))
	done
	PG_URL=http://127.0.0.1:$port
	pg_say "patchgated at $PG_URL"
}

stop_patchgated() {
	[ -n "$PG_PID" ] || return 0
	pg_stop_pid "$PG_PID"
	pg_untrack "$PG_PID"
	PG_PID=""
	PG_URL=""
}

# --- dnf ---------------------------------------------------------------------------

# dnf in Debian (4.14) installs into an empty directory as root with nothing
# prepared: it creates the rpm database itself.  Debian's rpm keeps that
# database at %_dbpath = ~/.rpmdb, i.e. ROOT$HOME/.rpmdb inside the root, and
# `rpm --root ROOT` finds it there as long as HOME stays the same.
# gpgcheck=0: the test rpms are unsigned; repo_gpgcheck=1 through the proxy,
# which signs repodata/repomd.xml.asc; dnf imports _key.asc by itself (-y).
# skip_if_unavailable=0 so that a metadata failure is an error, not a warning.

# dnf_in ROOT REPOURL ARGS...: dnf against the one repository "gate".
# Output goes to $DNF_LOG (a file) and to the test's log.
dnf_in() {
	local root=$1 url=$2 rc gpg=0 key="" refresh
	shift 2
	mkdir -p "$root/repos.d" "$root/cache"
	if [ -n "$PG_URL" ] && [ "${url#"$PG_URL"/}" != "$url" ]; then
		gpg=1
		key="gpgkey=$PG_URL/_key.asc"
	fi
	cat >"$root/dnf.conf" <<-EOF
	[main]
	gpgcheck=0
	install_weak_deps=False
	keepcache=False
	skip_if_unavailable=False
	plugins=${DNF_PLUGINS:-False}
	${DNF_MAIN_EXTRA:-}
	best=True
	EOF
	cat >"$root/repos.d/gate.repo" <<-EOF
	[gate]
	name=gate
	baseurl=$url
	enabled=1
	gpgcheck=0
	repo_gpgcheck=$gpg
	$key
	metadata_expire=0
	EOF
	# metadata_expire=0 still trusts a cache less than a second old:
	# after a republish within that second dnf would not ask.  --refresh
	# always asks, but for cache-only runs (-C), which must not.
	refresh=--refresh
	case " $* " in *" -C "*|*" --cacheonly "*) refresh= ;; esac
	pg_next dnf
	DNF_LOG=$REPLY.log
	echo "+ dnf $* (root ${root#"$T"/}, baseurl $url)" >&2
	pg_t0=$EPOCHREALTIME
	${PG_DNF_WRAP:-} timeout -k 5 "${PG_DNF_TIMEOUT:-300}" dnf -y $refresh \
	    --installroot="$root" --config="$root/dnf.conf" \
	    --setopt=reposdir="$root/repos.d" --setopt=cachedir="$root/cache" \
	    --setopt=install_weak_deps=False --releasever=9 \
	    --disablerepo='*' --enablerepo=gate "$@" >"$DNF_LOG" 2>&1
	rc=$?
	sed 's/^/  | /' "$DNF_LOG" >&2
	echo "  (exit $rc, $(pg_elapsed) s)" >&2
	return $rc
}

# dnf_available ROOT REPOURL: every available version, one
# "name-version-release.arch" a line, sorted.
dnf_available() {
	dnf_in "$1" "$2" -q repoquery --available --qf '%{name}-%{version}-%{release}.%{arch}' ||
		return 1
	grep -E '^[A-Za-z0-9_.+-]+-[^-]+-[^-]+\.[a-z0-9_]+$' "$DNF_LOG" | sort
}

# installed ROOT NAME: "version-release" of NAME in ROOT, or "none".
installed() {
	local v
	v=$(${PG_DNF_WRAP:-} rpm --root "$1" -q --qf '%{VERSION}-%{RELEASE}\n' "$2" 2>/dev/null) ||
		v=none
	echo "$v"
}

# need_dnf: dnf writes a root only as root; as another user it runs in a
# user namespace where it is root, when the kernel allows one.
need_dnf() {
	need dnf rpm
	[ "$(id -u)" -eq 0 ] && return 0
	if unshare -r true 2>/dev/null; then
		PG_DNF_WRAP="unshare -r"
		return 0
	fi
	skip "dnf --installroot needs root or user namespaces"
}

# --- tools -------------------------------------------------------------------------

# need TOOL...: skips the test (77) when one is missing.
need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || skip "$t is not installed"
	done
}

# --- rpm-md metadata ---------------------------------------------------------------

# pg_rpmmd CMD ARGS: the checks that read rpm-md documents (python3, no
# XML library: elements are compared as bytes, as the fidelity invariant
# demands).  Commands:
#   fetch BASEURL TYPE OUT       the decompressed document of TYPE; exit 3
#                                when repomd.xml does not list TYPE
#   types BASEURL                the types repomd.xml lists, one a line
#   consistent BASEURL           every file repomd.xml names is served with
#                                the size and checksums it states
#   packages FILE                prints the number of <package> elements
#   subset VIEWFILE UPFILE       every <package> element of VIEWFILE occurs
#                                byte for byte in UPFILE; prints the count
#   noleak BASEURL STRING...     no document repomd.xml names (decompressed,
#                                sqlite included) contains any STRING
PG_RPMMD_PY=$(cat <<'PYEOF'
import bz2, gzip, hashlib, lzma, re, subprocess, sys, urllib.request, urllib.error

def get(url):
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.read()

def datas(repomd):
    out = []
    for m in re.finditer(rb'<data\s+type="([^"]+)"\s*>(.*?)</data>', repomd, re.S):
        body = m.group(2)
        d = {"type": m.group(1).decode()}
        loc = re.search(rb'<location\b[^>]*\bhref="([^"]+)"', body)
        d["href"] = loc.group(1).decode() if loc else None
        for tag in ("checksum", "open-checksum"):
            c = re.search(rb'<' + tag.encode() + rb'\s+type="([^"]+)"\s*>\s*([0-9a-fA-F]+)\s*<', body)
            d[tag] = (c.group(1).decode(), c.group(2).decode().lower()) if c else None
        for tag in ("size", "open-size"):
            s = re.search(rb'<' + tag.encode() + rb'>\s*([0-9]+)\s*<', body)
            d[tag] = int(s.group(1)) if s else None
        out.append(d)
    return out

def decompress(name, data):
    if name.endswith(".gz"):
        return gzip.decompress(data)
    if name.endswith(".xz"):
        return lzma.decompress(data)
    if name.endswith(".bz2"):
        return bz2.decompress(data)
    if name.endswith(".zst"):
        return subprocess.run(["zstd", "-dc"], input=data, capture_output=True, check=True).stdout
    return data

def digest(algo, data):
    algo = {"sha": "sha1"}.get(algo, algo)
    return hashlib.new(algo, data).hexdigest()

def join(base, href):
    return base.rstrip("/") + "/" + href

PKG = re.compile(rb'<package[\s>].*?</package>', re.S)

def cmd_fetch(base, typ, out):
    for d in datas(get(join(base, "repodata/repomd.xml"))):
        if d["type"] == typ:
            with open(out, "wb") as f:
                f.write(decompress(d["href"], get(join(base, d["href"]))))
            return 0
    sys.stderr.write("repomd.xml at %s lists no %s\n" % (base, typ))
    return 3

def cmd_types(base):
    for d in datas(get(join(base, "repodata/repomd.xml"))):
        print(d["type"])
    return 0

def cmd_consistent(base):
    bad = 0
    ds = datas(get(join(base, "repodata/repomd.xml")))
    if not ds:
        print("repomd.xml lists no data")
        return 1
    for d in ds:
        before = bad
        url = join(base, d["href"])
        try:
            raw = get(url)
        except urllib.error.HTTPError as e:
            print("%s: %s: HTTP %d" % (d["type"], d["href"], e.code))
            bad += 1
            continue
        if d["size"] is not None and d["size"] != len(raw):
            print("%s: size %d, repomd.xml says %d" % (d["href"], len(raw), d["size"]))
            bad += 1
        if d["checksum"] is None:
            print("%s: no checksum in repomd.xml" % d["href"])
            bad += 1
        elif digest(d["checksum"][0], raw) != d["checksum"][1]:
            print("%s: %s %s, repomd.xml says %s" % (d["href"], d["checksum"][0],
                  digest(d["checksum"][0], raw), d["checksum"][1]))
            bad += 1
        if d["open-checksum"] is not None or d["open-size"] is not None:
            try:
                opened = decompress(d["href"], raw)
            except Exception as e:
                print("%s: does not decompress: %s" % (d["href"], e))
                bad += 1
                continue
            if d["open-size"] is not None and d["open-size"] != len(opened):
                print("%s: open size %d, repomd.xml says %d" % (d["href"], len(opened), d["open-size"]))
                bad += 1
            oc = d["open-checksum"]
            if oc is not None and digest(oc[0], opened) != oc[1]:
                print("%s: open %s differs from repomd.xml" % (d["href"], oc[0]))
                bad += 1
        if bad == before:
            print("%s: %s (%d bytes) ok" % (d["type"], d["href"], len(raw)))
    return 1 if bad else 0

def cmd_packages(path):
    print(len(PKG.findall(open(path, "rb").read())))
    return 0

def cmd_subset(viewpath, uppath):
    view = PKG.findall(open(viewpath, "rb").read())
    up = set(PKG.findall(open(uppath, "rb").read()))
    missing = [p for p in view if p not in up]
    for p in missing[:3]:
        sys.stderr.write("not byte-identical to any upstream <package>:\n%s\n" % p[:600].decode("utf-8", "replace"))
    if missing:
        sys.stderr.write("%d of %d <package> elements differ from upstream\n" % (len(missing), len(view)))
        return 1
    print(len(view))
    return 0

def cmd_noleak(base, *needles):
    bad = 0
    for d in datas(get(join(base, "repodata/repomd.xml"))):
        doc = decompress(d["href"], get(join(base, d["href"])))
        for n in needles:
            if n.encode() in doc:
                print("%s (%s) contains %s" % (d["href"], d["type"], n))
                bad += 1
    return 1 if bad else 0

cmds = {"fetch": cmd_fetch, "types": cmd_types, "consistent": cmd_consistent,
        "packages": cmd_packages, "subset": cmd_subset, "noleak": cmd_noleak}
try:
    sys.exit(cmds[sys.argv[1]](*sys.argv[2:]))
except (urllib.error.URLError, OSError, EOFError, ValueError, lzma.LZMAError) as e:
    sys.stderr.write("pg_rpmmd %s: %s\n" % (sys.argv[1], e))
    sys.exit(2)
PYEOF
)
pg_rpmmd() { "$PYTHON" -c "$PG_RPMMD_PY" "$@"; }

# verify_repomd_sig BASEURL: repodata/repomd.xml.asc verifies against
# $PG_URL/_key.asc (gpgv in a scratch home, the key alone as keyring).
verify_repomd_sig() {
	local base=$1 d
	pg_next gpgv
	d=$REPLY.gnupg
	mkdir -p "$d" && chmod 700 "$d"
	pg_gnupghome "$d"
	[ "$(http_get "$PG_URL/_key.asc" "$d/key.asc")" = 200 ] || { echo "no $PG_URL/_key.asc"; return 1; }
	[ "$(http_get "$base/repodata/repomd.xml" "$d/repomd.xml")" = 200 ] || { echo "no repomd.xml"; return 1; }
	[ "$(http_get "$base/repodata/repomd.xml.asc" "$d/repomd.xml.asc")" = 200 ] || { echo "no repomd.xml.asc"; return 1; }
	gpg --homedir "$d" --batch --dearmor <"$d/key.asc" >"$d/key.gpg" 2>&1 || return 1
	GNUPGHOME=$d gpgv --keyring "$d/key.gpg" "$d/repomd.xml.asc" "$d/repomd.xml" 2>&1
}

# --- zypper --------------------------------------------------------------------------

# zypper in Debian (1.14) works in a private root as root: --root ROOT keeps
# its repositories, caches, locks and the rpm database (Debian's rpm:
# ROOT$HOME/.rpmdb, as for dnf) inside ROOT.  Repositories are added with
# --gpgcheck-allow-unsigned-package: repomd.xml must carry a good signature
# by a trusted key (the rpm database's gpg-pubkey packages), and only the
# unsigned test rpms are let through.  --no-gpg-checks is never used.
# Without a terminal zypper answers every question with its default, which
# rejects an unknown key, an unsigned or a tampered repomd.xml.

ZYPPER_LOG=""
PG_ZYPPER_WRAP=""

# zypper_in ROOT ARGS...: zypper --root ROOT --non-interactive ARGS; its
# output goes to $ZYPPER_LOG (a file) and to the test's log.  Returns
# zypper's exit status (100 and 101 from list-patches mean "patches needed").
zypper_in() {
	local root=$1 rc
	shift
	mkdir -p "$root"
	pg_next zypper
	ZYPPER_LOG=$REPLY.log
	echo "+ zypper $* (root ${root#"$T"/})" >&2
	pg_t0=$EPOCHREALTIME
	$PG_ZYPPER_WRAP timeout -k 5 "${PG_ZYPPER_TIMEOUT:-300}" zypper --root "$root" \
	    --non-interactive --no-color "$@" >"$ZYPPER_LOG" 2>&1 </dev/null
	rc=$?
	sed 's/^/  | /' "$ZYPPER_LOG" >&2
	echo "  (exit $rc, $(pg_elapsed) s)" >&2
	return $rc
}

# zypper_addrepo ROOT URL ALIAS: repository metadata must be signed.
zypper_addrepo() {
	zypper_in "$1" addrepo --gpgcheck-allow-unsigned-package "$2" "$3"
}

# zypper_import_key ROOT: trusts $PG_URL/_key.asc the way an admin does,
# with rpm --import into the root's rpm database.
zypper_import_key() {
	local root=$1
	pg_next key
	[ "$(http_get "$PG_URL/_key.asc" "$REPLY.asc")" = 200 ] || { echo "no $PG_URL/_key.asc"; return 1; }
	mkdir -p "$root"
	echo "+ rpm --root ${root#"$T"/} --import _key.asc" >&2
	$PG_ZYPPER_WRAP rpm --root "$root" --import "$REPLY.asc"
}

# zypper_table FILE COLUMN...: the rows of the table zypper printed into
# FILE, the named columns of each separated by blanks, sorted.
zypper_table() {
	"$PYTHON" - "$@" <<-'PYEOF'
	import sys
	want, head, out = sys.argv[2:], None, []
	for line in open(sys.argv[1], errors="replace"):
	    cols = [c.strip() for c in line.split("|")]
	    if head is None:
	        if all(w in cols for w in want):
	            head = cols
	        continue
	    if len(cols) == len(head):
	        row = dict(zip(head, cols))
	        out.append(" ".join(row[w] for w in want))
	if out:
	    print("\n".join(sorted(out)))
	PYEOF
}

# zypper_patches ROOT [list-patches ARGS]: the IDs of the patches zypper
# list-patches shows (the needed ones), one a line, sorted; fails when
# zypper does.
zypper_patches() {
	local root=$1 rc
	shift
	zypper_in "$root" list-patches "$@"
	rc=$?
	case $rc in 0 | 100 | 101) ;; *) return 1 ;; esac
	zypper_table "$ZYPPER_LOG" Name
}

# zypper_all_patches ROOT: every patch of the repositories (zypper
# patches), "ID category severity" a line, sorted.
zypper_all_patches() {
	zypper_in "$1" patches || return 1
	zypper_table "$ZYPPER_LOG" Name Category Severity
}

# zypper_versions ROOT: every package version the repositories offer
# (zypper search -s), "name-version-release.arch" a line, sorted.
zypper_versions() {
	local rc
	zypper_in "$1" --xmlout search -s -t package
	rc=$?
	case $rc in 0 | 104) ;; *) return 1 ;; esac
	grep '<solvable ' "$ZYPPER_LOG" | grep -v 'repository="(System Packages)"' |
	    sed -n 's/.* name="\([^"]*\)".* edition="\([^"]*\)" arch="\([^"]*\)".*/\1-\2.\3/p' | sort -u
}

# need_zypper: zypper writes a root only as root; as another user it runs in
# a user namespace where it is root, when the kernel allows one.
need_zypper() {
	need zypper rpm
	[ "$(id -u)" -eq 0 ] && return 0
	if unshare -r true 2>/dev/null; then
		PG_ZYPPER_WRAP="unshare -r"
		return 0
	fi
	skip "zypper --root needs root or user namespaces"
}

# pg_suse CMD ARGS: checks of SUSE metadata in views (python3; elements are
# compared as bytes).  Commands:
#   updates FILE                 the <id> of every <update>, one a line
#   updates-subset VIEW UP       every <update> of VIEW whose packages all
#                                remain occurs byte for byte in UP, the others
#                                are UP's with <package> elements cut out
#                                (an update is its <id> and version=)
#   deltas-visible PRIMARY DELTA every <newpackage> of DELTA targets a
#                                version PRIMARY lists; prints the count
#   deltas-complete PRIMARY VIEWDELTA UPDELTA
#                                every <newpackage> of UPDELTA whose target
#                                PRIMARY lists is in VIEWDELTA byte for byte
#   advisories-visible PRIMARY UPDATEINFO
#                                every <package> of every <update> names a
#                                version PRIMARY lists (name, epoch,
#                                version, release, arch)
PG_SUSE_PY=$(cat <<'PYEOF'
import re, sys

PKG = re.compile(rb'<package[\s>].*?</package>', re.S)
UPD = re.compile(rb'<update[\s>].*?</update>', re.S)
NEWPKG = re.compile(rb'<newpackage[\s>].*?</newpackage>', re.S)

def attrs(tag):
    return dict((k.decode(), v.decode()) for k, v in re.findall(rb'([\w:-]+)="([^"]*)"', tag))

def primary_set(path):
    out = set()
    for p in PKG.findall(open(path, "rb").read()):
        name = re.search(rb'<name>([^<]*)</name>', p).group(1).decode()
        arch = re.search(rb'<arch>([^<]*)</arch>', p).group(1).decode()
        v = attrs(re.search(rb'<version\b[^>]*>', p).group(0))
        out.add((name, v.get("epoch", "0") or "0", v["ver"], v.get("rel", ""), arch))
    return out

def nevra(tag):
    a = attrs(tag)
    return (a.get("name"), a.get("epoch", "0") or "0", a.get("version"), a.get("release", ""), a.get("arch", ""))

def cmd_updates(path):
    for u in UPD.findall(open(path, "rb").read()):
        print(re.search(rb'<id>([^<]*)</id>', u).group(1).decode())
    return 0

def upd_key(u):
    # SUSE lists the editions of a patch under one <id>, told apart by version=.
    return (re.search(rb'<id>([^<]*)</id>', u).group(1),
            attrs(re.match(rb'<update\b[^>]*>', u).group(0)).get("version"))

def cmd_updates_subset(view, up):
    ups = UPD.findall(open(up, "rb").read())
    byid = dict((upd_key(u), u) for u in ups)
    bad = 0
    for u in UPD.findall(open(view, "rb").read()):
        uid = re.search(rb'<id>([^<]*)</id>', u).group(1)
        orig = byid.get(upd_key(u))
        if orig is None:
            print("%s: not upstream's" % uid.decode())
            bad += 1
            continue
        if u == orig:
            continue
        # Cut down: what is left, with every <package> taken out, must be
        # upstream's with every <package> taken out, and each <package> kept
        # must be one of upstream's.
        strip = lambda b: re.sub(rb'\s*<package[\s>].*?</package>', b'', b, flags=re.S)
        kept = PKG.findall(u)
        if strip(u) != strip(orig) or not kept or any(k not in PKG.findall(orig) for k in kept):
            print("%s: differs from upstream's beyond removed <package> elements" % uid.decode())
            bad += 1
    return 1 if bad else 0

def cmd_deltas_visible(primary, delta):
    vis = primary_set(primary)
    n = 0
    bad = 0
    for d in NEWPKG.findall(open(delta, "rb").read()):
        n += 1
        if nevra(re.match(rb'<newpackage\b[^>]*>', d).group(0)) not in vis:
            print("delta to a version the view does not list: %s" % d[:200].decode("utf-8", "replace"))
            bad += 1
    if bad:
        return 1
    print(n)
    return 0

def cmd_deltas_complete(primary, viewdelta, updelta):
    vis = primary_set(primary)
    view = set(NEWPKG.findall(open(viewdelta, "rb").read()))
    bad = 0
    for d in NEWPKG.findall(open(updelta, "rb").read()):
        if nevra(re.match(rb'<newpackage\b[^>]*>', d).group(0)) in vis and d not in view:
            print("missing or changed: %s" % d[:200].decode("utf-8", "replace"))
            bad += 1
    return 1 if bad else 0

def cmd_advisories_visible(primary, updateinfo):
    vis = primary_set(primary)
    bad = 0
    for u in UPD.findall(open(updateinfo, "rb").read()):
        for p in PKG.findall(u):
            if nevra(re.match(rb'<package\b[^>]*>', p).group(0)) not in vis:
                print("%s names %s" % (re.search(rb'<id>([^<]*)</id>', u).group(1).decode(),
                                       nevra(re.match(rb'<package\b[^>]*>', p).group(0))))
                bad += 1
    return 1 if bad else 0

cmds = {"updates": cmd_updates, "updates-subset": cmd_updates_subset,
        "deltas-visible": cmd_deltas_visible, "deltas-complete": cmd_deltas_complete,
        "advisories-visible": cmd_advisories_visible}
try:
    sys.exit(cmds[sys.argv[1]](*sys.argv[2:]))
except (OSError, AttributeError, KeyError) as e:
    sys.stderr.write("pg_suse %s: %s\n" % (sys.argv[1], e))
    sys.exit(2)
PYEOF
)
pg_suse() { "$PYTHON" -c "$PG_SUSE_PY" "$@"; }
