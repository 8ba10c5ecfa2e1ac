#!/bin/bash
# Validators that change with the bytes (DESIGN.md, invariant 2): a view's
# files carry an ETag of their content and the Last-Modified of their
# generation, which strictly increases from one generation to the next, so
# that no client ever gets 304 for bytes it does not have, even when
# generations are published within one second (as the indexer does when a
# sync and a ripening publish follow each other, or in CI).
#
# 1. 20 republishes of an apt view back to back (each a new generation:
#    PATCHGATE_NOW moves on a day, so InRelease is dated anew), checked with
#    curl after each: the previous Last-Modified as If-Modified-Since and
#    the previous ETag as If-None-Match get 200 and the new bytes, the
#    current ETag gets 304 (also with an old If-Modified-Since beside it:
#    If-None-Match decides), Last-Modified strictly increases.
# 2. 20 republishes of an apt and an rpm-md view, one package version
#    ripening at each: after each, real apt-get update and real dnf
#    makecache succeed and see the new version, and repomd.xml passes the
#    same conditional checks.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/mkaptrepo.sh"
. "$top_srcdir/tests/e2e/mkrpmrepo.sh"

need_apt
need rpmbuild createrepo_c
need_dnf
pg_need_programs

W=$T/www
STORE=$T/store
N=${PG_VALIDATORS_ROUNDS:-20}

# day K: 2026-01-01 plus K days, RFC 3339.
day() { date -u -d "2026-01-01 + $1 days" +%Y-%m-%dT%H:%M:%SZ; }

# pg_publish NOW [MIRROR...]: patchgate publish, at simulated time NOW.
pg_publish() {
	local now=$1 rc
	shift
	pg_next publish
	PATCHGATE_NOW=$now timeout -k 5 120 "$top_builddir/patchgate" -c "$PG_CONF" \
	    publish "$@" >"$REPLY.out" 2>"$REPLY.err"
	rc=$?
	echo "+ PATCHGATE_NOW=$now patchgate publish $* (exit $rc)" >&2
	sed 's/^/  2| /' "$REPLY.err" >&2
	return $rc
}

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

# gen_of VIEWDIR: the generation current points at.
gen_of() { readlink "$1/current"; }

# check_validators LABEL URL PREV: PREV (and PREV.h) is what URL gave
# before a new generation was published.  Fetches URL again and checks
# what the validators of PREV get now.  Leaves the answer in $CUR.
check_validators() {
	local label=$1 url=$2 prev=$3 cur code lm0 lm1 et0 et1 t0 t1
	pg_next cur
	cur=$REPLY
	CUR=$cur
	[ "$(hget "$url" "$cur")" = 200 ] || { pg_notok "$label: $url is served"; return; }
	if cmp -s "$prev" "$cur"; then
		pg_notok "$label: the new generation changed the bytes of $url"
		return
	fi
	lm0=$(hdr "$prev.h" Last-Modified)
	lm1=$(hdr "$cur.h" Last-Modified)
	et0=$(hdr "$prev.h" ETag)
	et1=$(hdr "$cur.h" ETag)
	assert_eq "$label: the ETag is the sha256 of the bytes" \
	    "\"sha256-$(sha256sum <"$cur" | cut -d' ' -f1)\"" "$et1"
	[ -n "$lm0" ] && [ -n "$lm1" ] || { pg_notok "$label: Last-Modified is sent"; return; }
	t0=$(date -u -d "$lm0" +%s)
	t1=$(date -u -d "$lm1" +%s)
	if [ "$t1" -gt "$t0" ]; then pg_ok "$label: Last-Modified increased ($lm0 -> $lm1)"; else
		pg_notok "$label: Last-Modified increases with the generation" "before: $lm0" "after:  $lm1"
	fi

	code=$(hget "$url" "$cur.ims" -H "If-Modified-Since: $lm0")
	if [ "$code" = 200 ] && cmp -s "$cur.ims" "$cur"; then
		pg_ok "$label: the previous Last-Modified as If-Modified-Since gets 200 and the new bytes"
	else
		pg_notok "$label: the previous Last-Modified as If-Modified-Since gets 200 and the new bytes" \
		    "got: $code, $(wc -c <"$cur.ims") bytes ($(wc -c <"$cur") expected)"
	fi
	code=$(hget "$url" "$cur.inm" -H "If-None-Match: $et0")
	if [ "$code" = 200 ] && cmp -s "$cur.inm" "$cur"; then
		pg_ok "$label: the previous ETag as If-None-Match gets 200 and the new bytes"
	else
		pg_notok "$label: the previous ETag as If-None-Match gets 200 and the new bytes" "got: $code"
	fi
	# RFC 9110 13.2.2: If-None-Match decides, If-Modified-Since is ignored.
	assert_eq "$label: the previous ETag with the current Last-Modified gets 200" 200 \
	    "$(hget "$url" "$cur.both" -H "If-None-Match: $et0" -H "If-Modified-Since: $lm1")"
	assert_eq "$label: the current ETag gets 304" 304 \
	    "$(hget "$url" "$cur.304" -H "If-None-Match: $et1")"
	assert_eq "$label: the current ETag with the previous Last-Modified gets 304" 304 \
	    "$(hget "$url" "$cur.304b" -H "If-None-Match: $et1" -H "If-Modified-Since: $lm0")"
	# A resumed download of the previous bytes must not be spliced.
	code=$(hget "$url" "$cur.range" -H "Range: bytes=1-" -H "If-Range: $lm0")
	assert_eq "$label: If-Range with the previous Last-Modified gets the whole new file" 200 "$code"
	code=$(hget "$url" "$cur.range2" -H "Range: bytes=1-" -H "If-Range: $et0")
	assert_eq "$label: If-Range with the previous ETag gets the whole new file" 200 "$code"
	assert_eq "$label: If-Range with the current ETag gets the range" 206 \
	    "$(hget "$url" "$cur.range3" -H "Range: bytes=1-" -H "If-Range: $et1")"
}

# --- upstreams: hello 1.0 / foo 1.0 at the first sync, then one version a day -----

pg_say "upstreams: hello 1.0 (apt), foo-1.0 (rpm-md); then 1.1 to 1.$N, one a day"
export APT_BYHASH=1
mkdeb "$W/debian" hello 1.0
mkaptrepo "$W/debian" "$(day 0)"
mkrpm "$W/el9/Packages" foo 1.0
mkrepo "$W/el9"
start_upstream "$W"

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

[mirror el9]
type = rpm-md
url = $UPSTREAM_URL/el9

[baseline slow]
rule = classification=* delay=60d

[group dev]
baseline = slow
mirrors = debian el9
EOF

PATCHGATE_NOW=$(day 0) pg_sync || fail "the first sync failed"
for i in $(seq 1 "$N"); do
	mkdeb "$W/debian" hello "1.$i"
	mkaptrepo "$W/debian" "$(day "$i")"
	mkrpm "$W/el9/Packages" foo "1.$i"
	mkrepo "$W/el9"
	PATCHGATE_NOW=$(day "$i") pg_sync || fail "the sync of day $i failed"
done

PATCHGATE_NOW=$(day "$N") start_patchgated "$PG_CONF"
APTV=$STORE/views/dev/debian
RPMV=$STORE/views/dev/el9
INREL=$PG_URL/dev/debian/dists/bookworm/InRelease
REPOMD=$PG_URL/dev/el9/repodata/repomd.xml

# --- 1. back-to-back republishes, curl -----------------------------------------------

pg_say "$N republishes of the apt view back to back"
pg_next inrel
prev=$REPLY
[ "$(hget "$INREL" "$prev")" = 200 ] || fail "no InRelease"
assert_match "InRelease has an ETag of its content" "$(hdr "$prev.h" ETag)" '^"sha256-[0-9a-f]{64}"$'
samesec=0
t0=$EPOCHREALTIME
for i in $(seq 1 "$N"); do
	g0=$(gen_of "$APTV")
	# N+1 days and on: every publish dates InRelease anew, nothing ripens.
	pg_publish "$(day $((N + i)))" debian || fail "republish $i failed"
	t1=$EPOCHREALTIME
	g1=$(gen_of "$APTV")
	[ "$g0" != "$g1" ] || fail "republish $i made no new generation ($g0)"
	[ "${t0%.*}" = "${t1%.*}" ] && samesec=$((samesec + 1))
	t0=$t1
	check_validators "republish $i ($g0 -> $g1)" "$INREL" "$prev"
	prev=$CUR
done
pg_say "$samesec of $N republishes ended in the same wall-clock second as the one before"

# The seal on disk: modified strictly increases over every generation.
for v in "$APTV" "$RPMV"; do
	last=0 bad=""
	for g in "$v"/gen-*; do
		m=$(cat "$g/modified" 2>/dev/null) || { bad="$bad ${g##*/}:none"; continue; }
		[ "$m" -gt "$last" ] || bad="$bad ${g##*/}:$m<=$last"
		last=$m
	done
	assert_eq "${v#"$STORE"/}: every generation's modified is greater than its predecessor's" "" "$bad"
done
assert_true "tree.sums lists InRelease with its size and sha256" \
    grep -qx "dists/bookworm/InRelease	$(wc -c <"$prev")	$(sha256sum <"$prev" | cut -d' ' -f1)" \
    "$APTV/current/tree.sums"

# --- 2. real apt-get and dnf across republishes -------------------------------------

pg_say "$N republishes of both views, one version ripening at each; apt-get update and dnf makecache after each"
KEY=$(apt_proxy_key)
apt_root "$T/apt" "$KEY" "$PG_URL/dev/debian" bookworm
apt_update "$T/apt" || fail "apt-get update before the republishes"
dnf_in "$T/dnf" "$PG_URL/dev/el9" makecache || fail "dnf makecache before the republishes"
pg_next repomd
prev=$REPLY
[ "$(hget "$REPOMD" "$prev")" = 200 ] || fail "no repomd.xml"
want_apt=1.0
want_rpm=1.0
for i in $(seq 1 "$N"); do
	# hello 1.i and foo-1.i were first seen on day i: visible 60 days on.
	pg_publish "$(day $((60 + i)))" || fail "the publish of day $((60 + i)) failed"
	want_apt=$(printf '%s\n' $want_apt "1.$i" | sort -V | tr '\n' ' ')
	want_rpm=$(printf '%s\n' $want_rpm "1.$i" | sort -V | tr '\n' ' ')
	check_validators "ripening $i, repomd.xml" "$REPOMD" "$prev"
	prev=$CUR
	if apt_update "$T/apt"; then
		assert_eq "ripening $i: apt-get sees hello ${want_apt% }" "${want_apt% }" \
		    "$(apt_versions "$T/apt" hello | sort -V | tr '\n' ' ' | sed 's/ $//')"
	else
		pg_notok "ripening $i: apt-get update succeeds"
	fi
	if dnf_in "$T/dnf" "$PG_URL/dev/el9" makecache; then
		dnf_in "$T/dnf" "$PG_URL/dev/el9" -C -q repoquery --available \
		    --qf '%{version}' foo >/dev/null
		assert_eq "ripening $i: dnf sees foo ${want_rpm% }" "${want_rpm% }" \
		    "$(grep -E '^[0-9.]+$' "$DNF_LOG" | sort -V | tr '\n' ' ' | sed 's/ $//')"
	else
		pg_notok "ripening $i: dnf makecache succeeds"
	fi
done

pg_say "package files: the content's checksum as ETag, the generation's Last-Modified"
pkg=$PG_URL/dev/el9/Packages/foo-1.$N-1.noarch.rpm
pg_next rpm
assert_eq "foo-1.$N is served" 200 "$(hget "$pkg" "$REPLY")"
assert_eq "its ETag is its sha256" "\"$(rpm_sha256 "foo-1.$N-1")\"" "$(hdr "$REPLY.h" ETag)"
assert_eq "its Last-Modified is its generation's (repomd.xml's)" \
    "$(hdr "$prev.h" Last-Modified)" "$(hdr "$REPLY.h" Last-Modified)"
assert_eq "its ETag gets 304" 304 "$(hget "$pkg" "$REPLY.304" -H "If-None-Match: $(hdr "$REPLY.h" ETag)")"

pg_done
