# Sourced by the apt end-to-end tests after lib.sh.  Three parts:
#
# 1. Upstream apt repositories built at run time with the tools an archive
#    uses: dpkg-deb for tiny Architecture: all packages, apt-ftparchive for
#    Packages and Release, gpg (a throwaway key made here) for InRelease and
#    Release.gpg.  Only Valid-Until, by-hash copies and Translation-en are
#    added by hand (apt-ftparchive cannot date Valid-Until from Release's
#    Date; it counts APT::FTPArchive::Release::ValidTime from the real clock).
# 2. A private real apt-get (bookworm's apt 2.6) in a directory of its own,
#    run as root without warnings, verifying every InRelease with signed-by
#    (never [trusted=yes]); apt_update fails on any W: or E: line, because
#    apt-get update exits 0 after a signature error or a failed download.
# 3. A relay between apt-get and a server that holds apt-get's InRelease
#    answer while the test switches generations (apt_race).
# 4. pg_apt: checks that read apt indexes as bytes (deb822 stanzas compared
#    byte for byte, as the fidelity invariant demands).
#
# apt 2.6 silently skips a Packages index whose uncompressed name the
# Release does not list (no warning, no packages), so a Release lists it
# even when only Packages.xz is served, as Debian's does.
#
# Layout of a repository REPO (the folder a mirror's url names):
#	REPO/pool/main/h/hello/hello_1.0_all.deb
#	REPO/dists/SUITE/{Release,InRelease,Release.gpg}
#	REPO/dists/SUITE/main/binary-amd64/Packages{,.gz,.xz}
#
# The real clock and the test's clock: apt-get has no PATCHGATE_NOW, and the
# tests' days (2026-01-...) are not this machine's.  A Release dated by the
# test's clock can be "expired" for apt-get only because of that, so
# apt_update turns off apt's Valid-Until (or Date) check for a source, and
# says so in the log, only when the InRelease it is about to fetch is out
# of date by the real clock; `pg_apt dates` checks the same fields against
# the test's clock instead.

APT_SUITE=bookworm
: "${APT_FORMATS:=plain gz xz}"	# Packages files aptrepo_index writes
: "${APT_TRANSLATION:=1}"	# 1: also main/i18n/Translation-en{,.xz}
: "${APT_BYHASH:=0}"		# 1: by-hash copies and Acquire-By-Hash: yes
: "${APT_VALID_DAYS:=}"		# Valid-Until = Date + this, when set
: "${APT_KEY:=archive}"		# the key that signs upstream
APT_LOG=""

# apt_date RFC3339 [SECONDS]: the time (plus SECONDS) as Release files write it.
apt_date() {
	local t
	t=$(date -u -d "$1" +%s) || fail "apt_date: bad time '$1'"
	LC_ALL=C date -u -d "@$((t + ${2:-0}))" '+%a, %d %b %Y %H:%M:%S UTC'
}

# --- keys --------------------------------------------------------------------

# apt_keygen NAME: a signing key in $T/keys/NAME.gnupg (made once), its
# public key as $T/keys/NAME.gpg (binary, for keyring =) and NAME.asc.
apt_keygen() {
	local name=$1 home=$T/keys/$1.gnupg
	[ -s "$T/keys/$name.gpg" ] && return 0
	mkdir -p "$home" && chmod 700 "$home"
	pg_gnupghome "$home"
	gpg --homedir "$home" --batch --quiet --passphrase '' \
	    --quick-gen-key "patchgate test $name <$name@pgtest.invalid>" ed25519 sign never \
	    >"$T/log/gpg-keygen.$name.log" 2>&1 ||
		fail "gpg --quick-gen-key $name: $(cat "$T/log/gpg-keygen.$name.log")"
	gpg --homedir "$home" --batch --export >"$T/keys/$name.gpg" &&
	    gpg --homedir "$home" --batch --armor --export >"$T/keys/$name.asc" ||
		fail "gpg --export $name"
	[ -s "$T/keys/$name.gpg" ] || fail "gpg exported no key $name"
}

# --- packages and repositories -------------------------------------------------

# mkdeb REPO NAME VERSION: builds NAME_VERSION_all.deb (one file,
# /usr/share/NAME/VERSION; no scripts, no dependencies) into
# REPO/pool/main/N/NAME/.  Built debs are kept in $T/debs for reuse, and the
# same from run to run (SOURCE_DATE_EPOCH, root-owned files).
# Dependencies, when set for the call (control-field syntax, as written):
#   DEB_DEPENDS="libfoo (>= 2.0), mail-transport-agent | postfix"
#   DEB_PRE_DEPENDS="libbar (= 1.0)"   DEB_PROVIDES="mail-transport-agent"
# e.g. DEB_DEPENDS="libfoo (= 2.0)" mkdeb "$REPO" app 2.0.  A NAME_VERSION
# built once is reused only with the same dependencies; asking for other
# ones fails the test (one version, one content, as in a real archive).
mkdeb() {
	local repo=$1 name=$2 version=$3 deb pkg deps fields=""
	deb=${name}_${version}_all.deb
	deps="Depends=${DEB_DEPENDS:-};Pre-Depends=${DEB_PRE_DEPENDS:-};Provides=${DEB_PROVIDES:-}"
	if [ -f "$T/debs/$deb" ] && [ "$(cat "$T/debs/$deb.deps" 2>/dev/null)" != "$deps" ]; then
		fail "mkdeb: $deb was built before with other dependencies ($(cat "$T/debs/$deb.deps" 2>/dev/null))"
	fi
	if [ ! -f "$T/debs/$deb" ]; then
		pkg=$T/debs/build/$name-$version
		rm -rf "$pkg"
		mkdir -p "$pkg/DEBIAN" "$pkg/usr/share/$name"
		if [ -n "${DEB_PRE_DEPENDS:-}" ]; then
			fields="${fields}Pre-Depends: $DEB_PRE_DEPENDS"$'\n'
		fi
		if [ -n "${DEB_DEPENDS:-}" ]; then
			fields="${fields}Depends: $DEB_DEPENDS"$'\n'
		fi
		if [ -n "${DEB_PROVIDES:-}" ]; then
			fields="${fields}Provides: $DEB_PROVIDES"$'\n'
		fi
		cat >"$pkg/DEBIAN/control" <<-EOF
		Package: $name
		Version: $version
		Architecture: all
		Maintainer: patchgate tests <tests@pgtest.invalid>
		${fields}Description: patchgate test package $name
		 A package built by patchgate's end-to-end tests.
		EOF
		echo "$name $version" >"$pkg/usr/share/$name/$version"
		SOURCE_DATE_EPOCH=1767225600 dpkg-deb --root-owner-group -Zxz --build \
		    "$pkg" "$T/debs/$deb" >"$T/log/dpkg-deb.$name-$version.log" 2>&1 ||
			fail "dpkg-deb $deb: $(cat "$T/log/dpkg-deb.$name-$version.log")"
		printf '%s\n' "$deps" >"$T/debs/$deb.deps"
	fi
	mkdir -p "$repo/pool/main/${name:0:1}/$name"
	cp "$T/debs/$deb" "$repo/pool/main/${name:0:1}/$name/$deb"
}

# bigdeb NAME SIZE: NAME_1.0_all.deb holding SIZE (as head -c counts:
# 256K, 50M) of random bytes, uncompressed, where mkdeb finds it built: a
# file whose download takes many reads.
bigdeb() {
	local pkg=$T/debs/build/$1
	mkdir -p "$pkg/DEBIAN" "$pkg/usr/share/$1" "$T/debs"
	printf 'Package: %s\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@pgtest.invalid>\nDescription: big\n big\n' \
	    "$1" >"$pkg/DEBIAN/control"
	head -c "$2" /dev/urandom >"$pkg/usr/share/$1/blob"
	dpkg-deb --root-owner-group -Znone --build "$pkg" "$T/debs/${1}_1.0_all.deb" \
	    >"$T/log/dpkg-deb.$1.log" 2>&1 || fail "dpkg-deb $1: $(cat "$T/log/dpkg-deb.$1.log")"
	echo "Depends=;Pre-Depends=;Provides=" >"$T/debs/${1}_1.0_all.deb.deps"
	rm -rf "$pkg"
}

# deb_path NAME VERSION: the path of that .deb under REPO (its Filename).
deb_path() {
	echo "pool/main/${1:0:1}/$1/${1}_${2}_all.deb"
}

# aptrepo_index REPO [SUITE]: (re)writes the Packages files of
# main/binary-amd64 from every .deb under REPO/pool with apt-ftparchive, in
# the formats $APT_FORMATS (plain gz xz bz2 zst), and Translation-en.
aptrepo_index() {
	local repo=$1 suite=${2:-$APT_SUITE} d f
	d=$repo/dists/$suite/main/binary-amd64
	mkdir -p "$d"
	rm -f "$d"/Packages "$d"/Packages.*
	(cd "$repo" && apt-ftparchive packages pool) >"$T/Packages.tmp" 2>"$T/log/apt-ftparchive.log" ||
		fail "apt-ftparchive packages: $(cat "$T/log/apt-ftparchive.log")"
	for f in $APT_FORMATS; do
		case $f in
		plain) cp "$T/Packages.tmp" "$d/Packages" ;;
		gz) gzip -9n <"$T/Packages.tmp" >"$d/Packages.gz" ;;
		xz) xz -6 <"$T/Packages.tmp" >"$d/Packages.xz" ;;
		bz2) bzip2 -9 <"$T/Packages.tmp" >"$d/Packages.bz2" ;;
		zst) zstd -q -19 <"$T/Packages.tmp" >"$d/Packages.zst" ;;
		*) fail "aptrepo_index: unknown format $f" ;;
		esac
	done
	rm -f "$T/Packages.tmp"
	if [ "$APT_TRANSLATION" = 1 ]; then
		d=$repo/dists/$suite/main/i18n
		mkdir -p "$d"
		rm -f "$d"/Translation-en*
		# One entry per package name, as Debian's Translation-en has.
		find "$repo/pool" -name '*.deb' | sed 's|.*/||; s|_.*||' | sort -u |
		while read -r name; do
			printf 'Package: %s\nDescription-md5: %s\nDescription-en: patchgate test package %s\n A package built by patchgate'"'"'s end-to-end tests.\n\n' \
			    "$name" "$(printf '%s' "$name" | md5sum | cut -d' ' -f1)" "$name"
		done >"$d/Translation-en"
		xz -6 -k "$d/Translation-en"
	fi
}

# aptrepo_byhash REPO SUITE: copies every index file of the suite to
# by-hash/SHA256/<sha256> beside it, keeping earlier copies, as Debian does.
aptrepo_byhash() {
	local dir=$1/dists/$2 f h
	for f in "$dir"/main/binary-amd64/Packages* "$dir"/main/i18n/Translation-*; do
		[ -f "$f" ] || continue
		h=$(sha256sum "$f" | cut -d' ' -f1)
		mkdir -p "${f%/*}/by-hash/SHA256"
		cp "$f" "${f%/*}/by-hash/SHA256/$h"
	done
}

# aptrepo_release REPO SUITE DATE: writes dists/SUITE/Release with
# apt-ftparchive (SHA256 only, like Debian's newer suites; Date = DATE, an
# RFC 3339 time) and, with APT_VALID_DAYS, a Valid-Until that many days
# after DATE.  APT_VALID_UNTIL (RFC 3339) sets Valid-Until directly.
aptrepo_release() {
	local repo=$1 suite=$2 date=$3 dir vu="" opts
	dir=$repo/dists/$suite
	rm -f "$dir/Release" "$dir/InRelease" "$dir/Release.gpg"
	opts="-o APT::FTPArchive::Release::MD5=false -o APT::FTPArchive::Release::SHA1=false
	    -o APT::FTPArchive::Release::SHA512=false"
	[ "$APT_BYHASH" = 1 ] && opts="$opts -o APT::FTPArchive::Release::Acquire-By-Hash=yes"
	# shellcheck disable=SC2086
	apt-ftparchive $opts \
	    -o APT::FTPArchive::Release::Origin=pgtest \
	    -o APT::FTPArchive::Release::Label=pgtest \
	    -o APT::FTPArchive::Release::Suite="$suite" \
	    -o APT::FTPArchive::Release::Codename="$suite" \
	    -o APT::FTPArchive::Release::Components=main \
	    -o APT::FTPArchive::Release::Architectures=amd64 \
	    -o APT::FTPArchive::Release::Description="patchgate test $suite" \
	    -o APT::FTPArchive::Release::Date="$(apt_date "$date")" \
	    release "$dir" >"$T/Release.tmp" 2>"$T/log/apt-ftparchive.log" ||
		fail "apt-ftparchive release: $(cat "$T/log/apt-ftparchive.log")"
	if [ -n "${APT_VALID_UNTIL:-}" ]; then
		vu=$(apt_date "$APT_VALID_UNTIL")
	elif [ -n "$APT_VALID_DAYS" ]; then
		vu=$(apt_date "$date" $((APT_VALID_DAYS * 86400)))
	fi
	if [ -n "$vu" ]; then
		sed "/^Date: /a Valid-Until: $vu" "$T/Release.tmp" >"$dir/Release"
	else
		cp "$T/Release.tmp" "$dir/Release"
	fi
	rm -f "$T/Release.tmp"
	grep -q '^SHA256:' "$dir/Release" || fail "apt-ftparchive wrote no SHA256 list for $suite"
}

# aptrepo_sign REPO SUITE [KEY]: InRelease (clear-signed) and Release.gpg
# (detached, armored) from dists/SUITE/Release, with KEY (default $APT_KEY).
aptrepo_sign() {
	local dir=$1/dists/$2 key=${3:-$APT_KEY} home
	apt_keygen "$key"
	home=$T/keys/$key.gnupg
	rm -f "$dir/InRelease" "$dir/Release.gpg"
	gpg --homedir "$home" --batch --yes --digest-algo SHA256 --clearsign \
	    -o "$dir/InRelease" "$dir/Release" 2>>"$T/log/gpg-sign.log" &&
	    gpg --homedir "$home" --batch --yes --digest-algo SHA256 --armor --detach-sign \
	    -o "$dir/Release.gpg" "$dir/Release" 2>>"$T/log/gpg-sign.log" ||
		fail "gpg signing of $dir/Release: $(tail -n 5 "$T/log/gpg-sign.log")"
}

# mkaptrepo REPO DATE [SUITE]: indexes, Release dated DATE and signatures
# for the .debs under REPO/pool.
mkaptrepo() {
	local repo=$1 date=$2 suite=${3:-$APT_SUITE}
	aptrepo_index "$repo" "$suite"
	[ "$APT_BYHASH" = 1 ] && aptrepo_byhash "$repo" "$suite"
	aptrepo_release "$repo" "$suite" "$date"
	aptrepo_sign "$repo" "$suite"
}

# aptrepo_resign REPO SUITE DATE: a Release for the index files as they are
# now (a test input generator: a deliberately broken file that Release then
# vouches for) and fresh signatures.
aptrepo_resign() {
	aptrepo_release "$1" "$2" "$3"
	aptrepo_sign "$1" "$2"
}

# --- a private apt --------------------------------------------------------------
#
# apt reads APT_CONFIG first; the file below points Dir at the root, so
# that apt.conf.d, preferences.d, sources.list, lists, archives and the
# dpkg status are the root's and nothing of the host's /etc/apt is read
# (this host's apt.conf.d turns off Valid-Until checks and runs hooks).
# What apt 2.6 needs and nothing more: Dir, Dir::State::status (else
# /var/lib/dpkg/status), Debug::NoLocking (the host's locks are not ours),
# APT::Architecture; the directories etc/apt/apt.conf.d and preferences.d
# (else "W: Unable to read ...") and var/cache/apt/archives/partial (else
# "E: Archives directory ... is missing"); an empty dpkg status.  apt-get
# as root downloads as the user _apt, which must reach the root (else
# "W: Download is performed unsandboxed as root"), so $T becomes 755.
# APT_LANGUAGES: Acquire::Languages ("en" as on a fresh system; "none" for
# an upstream that lists Translation files it does not have).

# apt_root ROOT KEYFILE URL SUITE...: a private root (kept if it exists)
# whose sources.list holds one "deb [signed-by=KEYFILE] URL SUITE main" per
# suite.
apt_root() {
	local root=$1 key=$2 url=$3 s
	shift 3
	chmod 755 "$T"
	mkdir -p "$root/etc/apt/apt.conf.d" "$root/etc/apt/preferences.d" \
	    "$root/var/lib/dpkg" "$root/var/cache/apt/archives/partial"
	[ -f "$root/var/lib/dpkg/status" ] || : >"$root/var/lib/dpkg/status"
	cat >"$root/apt.conf" <<-EOF
	Dir "$root/";
	Dir::State::status "$root/var/lib/dpkg/status";
	Debug::NoLocking "true";
	APT::Architecture "amd64";
	Acquire::Languages { "${APT_LANGUAGES:-en}"; };
	Acquire::http::Timeout "${APT_HTTP_TIMEOUT:-60}";
	EOF
	: >"$root/etc/apt/sources.list"
	for s in "$@"; do
		echo "deb [signed-by=$key] $url $s main" >>"$root/etc/apt/sources.list"
	done
}

# apt_get ROOT ARGS...: apt-get in ROOT; output in $APT_LOG and the log.
apt_get() {
	local root=$1 rc
	shift
	pg_next apt
	APT_LOG=$REPLY.log
	echo "+ apt-get $* (root ${root#"$T"/})" >&2
	pg_t0=$EPOCHREALTIME
	APT_CONFIG=$root/apt.conf timeout -k 5 "${PG_APT_TIMEOUT:-300}" \
	    apt-get -y "$@" >"$APT_LOG" 2>&1 </dev/null
	rc=$?
	sed 's/^/  | /' "$APT_LOG" >&2
	echo "  (exit $rc, $(pg_elapsed) s)" >&2
	return $rc
}

# apt_update ROOT [APT-GET ARGS]: apt-get update; fails when apt-get fails
# or prints any W: or E: line (apt-get update exits 0 after a signature
# error or a failed index download).
apt_update() {
	local root=$1 opts="" deb opt url suite rest
	shift
	# deb [signed-by=K] URL SUITE main
	while read -r deb opt url suite rest; do
		[ "$deb" = deb ] || continue
		opts="$opts $(pg_apt clockopts "$url/dists/$suite/InRelease")"
	done <"$root/etc/apt/sources.list"
	# shellcheck disable=SC2086
	apt_get "$root" $opts "$@" update || return 1
	if grep -Eq '^(W|E): ' "$APT_LOG"; then
		echo "apt-get update warned or failed:" >&2
		grep -E '^(W|E): ' "$APT_LOG" | sed 's/^/    /' >&2
		return 1
	fi
	return 0
}

# apt_download ROOT NAME...: empties ROOT's archives and lets apt-get
# install --download-only NAME...; fails on any W: or E: line.
apt_download() {
	local root=$1
	shift
	rm -f "$root"/var/cache/apt/archives/*.deb
	apt_get "$root" install --download-only "$@" || return 1
	if grep -Eq '^(W|E): ' "$APT_LOG"; then
		echo "apt-get install warned or failed" >&2
		return 1
	fi
	return 0
}

# apt_archives ROOT: the .debs in ROOT's archives, one file name a line.
apt_archives() {
	(cd "$1/var/cache/apt/archives" && ls -1 -- *.deb 2>/dev/null) | sort
}

# apt_versions ROOT NAME: the versions of NAME apt knows, one a line, sorted.
apt_versions() {
	APT_CONFIG=$1/apt.conf apt-cache madison "$2" 2>/dev/null |
	    awk -F'|' -v n="$2" '{ gsub(/ /, "", $1); gsub(/ /, "", $2) } $1 == n { print $2 }' |
	    sort -u
}

# apt_proxy_key: saves $PG_URL/_key.asc as $T/keys/patchgate.asc (armored;
# apt 2.6 takes .asc in signed-by) and prints its path.
apt_proxy_key() {
	mkdir -p "$T/keys"
	[ "$(http_get "$PG_URL/_key.asc" "$T/keys/patchgate.asc")" = 200 ] ||
		fail "$PG_URL/_key.asc is not served"
	grep -q 'BEGIN PGP PUBLIC KEY BLOCK' "$T/keys/patchgate.asc" ||
		fail "$PG_URL/_key.asc is not an armored public key"
	echo "$T/keys/patchgate.asc"
}

# need_apt: the tools of the apt tests.
need_apt() {
	need python3 curl gpg gpgv apt-get apt-cache apt-ftparchive dpkg-deb xz gzip
	[ "$(id -u)" -eq 0 ] || skip "apt-get writes a private root only as root"
	id _apt >/dev/null 2>&1 || skip "apt's sandbox user _apt does not exist"
}

# --- apt-get in the middle of a switch ------------------------------------------
#
# A relay between apt-get and a server (the upstream or patchgated):
# forwards every request, and, while $T/relay.hold exists, holds its answer
# to apt-get's next request for an InRelease (User-Agent "Debian APT"; the
# tests' own curl and python requests pass): it writes $T/relay.held, waits
# for $T/relay.go (at most 120 s), then answers with the bytes it got before.
# So apt-get holds generation N's InRelease while the server switches to
# N+1, and then asks for N's index files.
RELAY_PID=""
RELAY_URL=""
PG_RELAY_PY=$(cat <<'PYEOF'
import http.client, http.server, os, sys, time

host, port, portfile, ctl = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "host", "te",
       "upgrade", "content-length"}

class Relay(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def relay(self, body):
        c = http.client.HTTPConnection(host, port, timeout=60)
        c.request(self.command, self.path,
                  headers={k: v for k, v in self.headers.items() if k.lower() not in HOP})
        r = c.getresponse()
        data = r.read()
        c.close()
        if (self.path.endswith("/InRelease") and os.path.exists(ctl + ".hold")
                and self.headers.get("User-Agent", "").startswith("Debian APT")):
            os.unlink(ctl + ".hold")
            with open(ctl + ".held", "w") as f:
                f.write(self.path + "\n")
            for _ in range(1200):
                if os.path.exists(ctl + ".go"):
                    break
                time.sleep(0.1)
        self.send_response(r.status, r.reason)
        for k, v in r.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def do_GET(self):
        self.relay(True)

    def do_HEAD(self):
        self.relay(False)

    def log_message(self, fmt, *args):
        sys.stderr.write("relay: %s\n" % (fmt % args))
        sys.stderr.flush()

s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Relay)
s.daemon_threads = True
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % s.server_address[1])
os.rename(portfile + ".tmp", portfile)
s.serve_forever()
PYEOF
)

# relay_start URL: a relay to the server of URL (http://127.0.0.1:PORT/...);
# RELAY_URL is URL with the relay's port.
relay_start() {
	local url=$1 hostport rest portfile
	relay_stop
	hostport=${url#http://}
	rest=/${hostport#*/}
	hostport=${hostport%%/*}
	pg_next relay.port
	portfile=$REPLY
	rm -f "$T/relay.hold" "$T/relay.held" "$T/relay.go"
	"$PYTHON" -c "$PG_RELAY_PY" "${hostport%:*}" "${hostport##*:}" "$portfile" "$T/relay" \
	    2>>"$T/relay.log" &
	RELAY_PID=$!
	pg_track $RELAY_PID
	wait_for_file "$portfile" 10 $RELAY_PID || fail "the relay did not start: $(tail -n 5 "$T/relay.log")"
	RELAY_URL=http://127.0.0.1:$(cat "$portfile")$rest
	pg_say "relay to ${url} at $RELAY_URL"
}

relay_stop() {
	[ -n "$RELAY_PID" ] || return 0
	pg_stop_pid "$RELAY_PID"
	pg_untrack "$RELAY_PID"
	RELAY_PID=""
}

# apt_race ROOT COMMAND...: apt_update ROOT (whose sources go through the
# relay) while the relay holds its InRelease; COMMAND runs in between, in
# this shell (it may record checks).  Returns apt_update's status; 2 when
# apt-get never asked for the InRelease, 3 when it fetched no Packages
# after it (it had that InRelease already: ROOT's state must be older than
# the InRelease the server gives when the race starts).  apt-get's output
# is in the log.
apt_race() {
	local root=$1 pid rc out
	shift
	pg_next race
	out=$REPLY.log
	rm -f "$T/relay.held" "$T/relay.go"
	: >"$T/relay.hold"
	apt_update "$root" >"$out" 2>&1 &
	pid=$!
	pg_track $pid
	if wait_for_file "$T/relay.held" 60 $pid; then
		echo "+ (apt-get holds the InRelease of $(cat "$T/relay.held"))" >&2
		"$@"
		: >"$T/relay.go"
	else
		echo "apt-get never asked the relay for an InRelease" >&2
		rm -f "$T/relay.hold"
	fi
	wait $pid
	rc=$?
	pg_untrack $pid
	sed 's/^/  race| /' "$out" >&2
	if [ ! -f "$T/relay.held" ]; then
		rc=2
	elif ! grep -Eq 'Get:[0-9]+ .* Packages' "$out"; then
		# apt-get knew that InRelease already ("Hit"): no race at all.
		echo "apt-get fetched no Packages after the InRelease it held" >&2
		rc=3
	fi
	rm -f "$T/relay.held"
	return $rc
}

# --- signatures of a view ---------------------------------------------------------

# apt_verify_sig BASEURL SUITE KEYFILE: InRelease and Release + Release.gpg
# verify against KEYFILE (binary or armored) with gpgv, and InRelease signs
# the same text as Release.
apt_verify_sig() {
	local base=$1 suite=$2 key=$3 d
	pg_next gpgv
	d=$REPLY.gnupg
	mkdir -p "$d" && chmod 700 "$d"
	pg_gnupghome "$d"
	if grep -q 'BEGIN PGP' "$key"; then
		gpg --homedir "$d" --batch --dearmor <"$key" >"$d/key.gpg" 2>&1 || return 1
	else
		cp "$key" "$d/key.gpg"
	fi
	[ "$(http_get "$base/dists/$suite/InRelease" "$d/InRelease")" = 200 ] || { echo "no InRelease"; return 1; }
	[ "$(http_get "$base/dists/$suite/Release" "$d/Release")" = 200 ] || { echo "no Release"; return 1; }
	[ "$(http_get "$base/dists/$suite/Release.gpg" "$d/Release.gpg")" = 200 ] || { echo "no Release.gpg"; return 1; }
	GNUPGHOME=$d gpgv --keyring "$d/key.gpg" --output "$d/signed" "$d/InRelease" 2>&1 ||
		{ echo "InRelease does not verify"; return 1; }
	GNUPGHOME=$d gpgv --keyring "$d/key.gpg" "$d/Release.gpg" "$d/Release" 2>&1 ||
		{ echo "Release.gpg does not verify"; return 1; }
	# The clear-signed text lacks Release's last newline (RFC 4880 7.1).
	if ! cmp -s "$d/signed" "$d/Release" && ! { cat "$d/signed"; echo; } | cmp -s - "$d/Release"; then
		echo "InRelease signs another text than Release"
		diff "$d/signed" "$d/Release" | head -n 20
		return 1
	fi
	return 0
}

# --- pg_apt: reading apt indexes -----------------------------------------------------
#
# pg_apt CMD ARGS (python3; stanzas compared as bytes):
#   clockopts URL...            apt-get options for InReleases out of date by
#                               the real clock (see the top); notes on stderr
#   dates INRELEASE-URL NOW     Date <= NOW < Valid-Until (NOW RFC 3339)
#   fetch BASE SUITE PATH OUT   dists/SUITE/PATH as its InRelease lists it
#                               (size, SHA256 checked), decompressed; exit 3
#                               when not listed
#   index BASE SUITE COMP ARCH OUT  the Packages of COMP/binary-ARCH in the
#                               first listed of xz, gz, bz2, zst, plain
#   consistent BASE SUITE [ERE] every file the InRelease lists is served with
#                               its size and SHA256 (by-hash too, with
#                               Acquire-By-Hash); paths matching ERE may be 404
#   count FILE                  number of stanzas
#   versions FILE               "name=version", one a line, sorted
#   same VIEW UP...             every stanza of VIEW is byte-identical to an
#                               upstream stanza of the same Package, Version
#                               and Architecture; prints the count
#   stanza FILE NAME VERSION    prints that stanza
#   listed RELEASE-FILE PATH    prints "SHA256 SIZE" of PATH in a local
#                               (In)Release; exit 3 when not listed
PG_APT_PY=$(cat <<'PYEOF'
import bz2, calendar, email.utils, gzip, hashlib, lzma, re, subprocess, sys, time
import urllib.error, urllib.request

def get(url):
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.read()

def status_get(url):
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()

def signed_text(data):
    """The text of a clear-signed InRelease (dash-escaping undone), or data."""
    if not data.startswith(b"-----BEGIN PGP SIGNED MESSAGE-----"):
        return data
    lines = data.split(b"\n")
    i = 1
    while lines[i].strip():
        i += 1
    i += 1
    out = []
    while not lines[i].startswith(b"-----BEGIN PGP SIGNATURE-----"):
        l = lines[i]
        out.append(l[2:] if l.startswith(b"- ") else l)
        i += 1
    return b"\n".join(out) + b"\n"

def fields(text):
    d, name = {}, None
    for line in text.decode("utf-8", "replace").split("\n"):
        if not line.strip():
            if d:
                break
            continue
        if line[0] in " \t" and name:
            d[name] += "\n" + line
        else:
            name, _, v = line.partition(":")
            name = name.lower()
            d[name] = v.strip()
    return d

def sha256_list(f):
    out = {}
    for line in f.get("sha256", "").split("\n"):
        p = line.split()
        if len(p) == 3:
            out[p[2]] = (p[0].lower(), int(p[1]))
    return out

def when(s):
    return email.utils.parsedate_to_datetime(s).timestamp()

def rfc3339(s):
    return calendar.timegm(time.strptime(s.replace("Z", ""), "%Y-%m-%dT%H:%M:%S"))

def decompress(name, data):
    if name.endswith(".gz"):
        return gzip.decompress(data)
    if name.endswith(".xz"):
        return lzma.decompress(data)
    if name.endswith(".bz2"):
        return bz2.decompress(data)
    if name.endswith(".zst"):
        return subprocess.run(["zstd", "-dc"], input=data, capture_output=True, check=True).stdout
    if name.endswith(".lz4"):
        return subprocess.run(["lz4", "-dc"], input=data, capture_output=True, check=True).stdout
    return data

def release_of(base, suite):
    return fields(signed_text(get("%s/dists/%s/InRelease" % (base.rstrip("/"), suite))))

def stanzas(data):
    out, cur = [], []
    for line in data.splitlines(keepends=True):
        if line.strip():
            cur.append(line)
        elif cur:
            out.append(b"".join(cur))
            cur = []
    if cur:
        out.append(b"".join(cur))
    return out

def key(st):
    f = fields(st)
    return (f.get("package"), f.get("version"), f.get("architecture"))

def cmd_clockopts(*urls):
    opts, now = set(), time.time()
    for url in urls:
        try:
            f = fields(signed_text(get(url)))
        except (urllib.error.URLError, OSError):
            continue
        if "valid-until" in f and when(f["valid-until"]) < now:
            sys.stderr.write("note: %s: Valid-Until %s is before this machine's clock; "
                             "apt-get runs with Acquire::Check-Valid-Until=false\n" % (url, f["valid-until"]))
            opts.add("-o Acquire::Check-Valid-Until=false")
        if "date" in f and when(f["date"]) > now + 10:
            sys.stderr.write("note: %s: Date %s is after this machine's clock; "
                             "apt-get runs with Acquire::Check-Date=false\n" % (url, f["date"]))
            opts.add("-o Acquire::Check-Date=false")
    print(" ".join(sorted(opts)))
    return 0

def cmd_dates(url, now):
    f = fields(signed_text(get(url)))
    t = rfc3339(now)
    bad = 0
    if "date" not in f:
        print("no Date")
        bad = 1
    elif when(f["date"]) > t:
        print("Date %s is after %s" % (f["date"], now))
        bad = 1
    if "valid-until" in f and when(f["valid-until"]) <= t:
        print("Valid-Until %s is not after %s" % (f["valid-until"], now))
        bad = 1
    if not bad:
        print("Date %s, Valid-Until %s" % (f.get("date"), f.get("valid-until", "(none)")))
    return bad

def cmd_fetch(base, suite, path, out):
    lst = sha256_list(release_of(base, suite))
    if path not in lst:
        sys.stderr.write("dists/%s/InRelease at %s lists no %s\n" % (suite, base, path))
        return 3
    raw = get("%s/dists/%s/%s" % (base.rstrip("/"), suite, path))
    h, size = lst[path]
    if len(raw) != size or hashlib.sha256(raw).hexdigest() != h:
        sys.stderr.write("%s: %d bytes, sha256 %s; InRelease says %d, %s\n" % (
            path, len(raw), hashlib.sha256(raw).hexdigest(), size, h))
        return 1
    with open(out, "wb") as f:
        f.write(decompress(path, raw))
    return 0

def cmd_index(base, suite, comp, arch, out):
    lst = sha256_list(release_of(base, suite))
    for ext in (".xz", ".gz", ".bz2", ".zst", ""):
        p = "%s/binary-%s/Packages%s" % (comp, arch, ext)
        if p in lst:
            return cmd_fetch(base, suite, p, out)
    sys.stderr.write("dists/%s/InRelease at %s lists no Packages of %s/%s\n" % (suite, base, comp, arch))
    return 3

def cmd_consistent(base, suite, missing_ok=None):
    base = base.rstrip("/")
    f = release_of(base, suite)
    lst = sha256_list(f)
    byhash = f.get("acquire-by-hash", "").lower() == "yes"
    if not lst:
        print("InRelease lists no SHA256 files")
        return 1
    bad = ok = missing = 0
    for path, (h, size) in sorted(lst.items()):
        urls = ["%s/dists/%s/%s" % (base, suite, path)]
        if byhash:
            d = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
            urls.append("%s/dists/%s/%sby-hash/SHA256/%s" % (base, suite, d, h))
        for url in urls:
            code, raw = status_get(url)
            if code != 200:
                if missing_ok and re.search(missing_ok, path):
                    missing += 1
                    continue
                print("%s: HTTP %d" % (url, code))
                bad += 1
            elif len(raw) != size or hashlib.sha256(raw).hexdigest() != h:
                print("%s: %d bytes, sha256 %s; InRelease says %d, %s" % (
                    url, len(raw), hashlib.sha256(raw).hexdigest(), size, h))
                bad += 1
            else:
                ok += 1
    print("%d files served as listed%s, %d wrong%s" % (ok, " (by-hash included)" if byhash else "", bad,
          ", %d allowed missing" % missing if missing else ""))
    return 1 if bad else 0

def cmd_count(path):
    print(len(stanzas(open(path, "rb").read())))
    return 0

def cmd_versions(path):
    for k in sorted(set("%s=%s" % key(s)[:2] for s in stanzas(open(path, "rb").read()))):
        print(k)
    return 0

def cmd_same(view, *ups):
    index = {}
    for up in ups:
        for s in stanzas(open(up, "rb").read()):
            index.setdefault(key(s), set()).add(s)
    vs = stanzas(open(view, "rb").read())
    bad = 0
    for s in vs:
        k = key(s)
        if k not in index:
            sys.stderr.write("no upstream stanza for %s %s %s\n" % k)
            bad += 1
        elif s not in index[k]:
            bad += 1
            if bad <= 3:
                want = min(index[k], key=len)
                sys.stderr.write("stanza of %s %s %s differs from upstream's:\n--- view\n%s--- upstream\n%s" % (
                    k + (s.decode("utf-8", "replace")[:1500], want.decode("utf-8", "replace")[:1500])))
    if bad:
        sys.stderr.write("%d of %d stanzas are not upstream's\n" % (bad, len(vs)))
        return 1
    print(len(vs))
    return 0

def cmd_stanza(path, name, version):
    for s in stanzas(open(path, "rb").read()):
        k = key(s)
        if k[0] == name and k[1] == version:
            sys.stdout.buffer.write(s)
            return 0
    return 1

def cmd_listed(path, p):
    lst = sha256_list(fields(signed_text(open(path, "rb").read())))
    if p not in lst:
        return 3
    print("%s %d" % lst[p])
    return 0

cmds = {"clockopts": cmd_clockopts, "dates": cmd_dates, "fetch": cmd_fetch, "index": cmd_index,
        "consistent": cmd_consistent, "count": cmd_count, "versions": cmd_versions,
        "same": cmd_same, "stanza": cmd_stanza, "listed": cmd_listed}
try:
    sys.exit(cmds[sys.argv[1]](*sys.argv[2:]))
except (urllib.error.URLError, OSError, EOFError, ValueError, IndexError, lzma.LZMAError,
        subprocess.CalledProcessError) as e:
    sys.stderr.write("pg_apt %s: %s\n" % (sys.argv[1], e))
    sys.exit(2)
PYEOF
)
pg_apt() { "$PYTHON" -c "$PG_APT_PY" "$@"; }
