#!/bin/bash
# Crash safety of the indexer: `patchgate sync` killed with SIGKILL at a
# random moment of a sync, again and again, while patchgated serves the
# view.  After every kill:
#   - the store passes `PRAGMA integrity_check`;
#   - the served generation is the one from before the kill, or, when the
#     kill came after the switch, the new one, complete (its seal written,
#     this round's versions in its packages.idx);
#   - every file its tree.sums lists, every file its repomd.xml lists and
#     a sample of the packages its packages.idx lists come from patchgated
#     with the size and sha256 the generation's metadata states.
# At the end one clean sync completes and leaves nothing in STORE/tmp:
# the temporary files of the killed runs are gone.
#
# The upstream is rpm-md metadata for KILL_PACKAGES packages: the <package>
# elements of the CentOS Stream 9 BaseOS corpus in ../shared, repeated
# under new names, each package file a few bytes made here (the point is
# the sync's work, not package builds).  Every round bumps the release of
# one package, so that every sync has a new view to publish.
#
# KILL_COUNT kills (default 10) of a KILL_PACKAGES-package upstream (default
# 2000); bench/kill_loop.sh runs the long form (50 x 5,000).  Prints
# "kills: N, checks passed: M".

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

KILLS=${KILL_COUNT:-10}
NPKG=${KILL_PACKAGES:-2000}
CORPUS=$top_srcdir/../shared/corpora/rpm-md/centos-stream9-baseos-2022
[ -f "$CORPUS/repodata/repomd.xml" ] || skip "corpus $CORPUS is absent"

need python3 curl sqlite3 sha256sum
pg_need_programs

W=$T/www
STORE=$T/store
NOW=2026-01-01T00:00:00Z

# gen_upstream ROUND: writes round ROUND of the upstream into $W/repo.
gen_upstream() {
	"$PYTHON" - "$CORPUS" "$W/repo" "$NPKG" "$1" <<-'EOF' ||
	import gzip, hashlib, os, re, sys, time
	corpus, out, n, rnd = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
	src = [f for f in os.listdir(corpus + "/repodata") if f.endswith("-primary.xml.gz")][0]
	text = gzip.open(corpus + "/repodata/" + src).read().decode()
	pkgs = re.findall(r'<package type="rpm">.*?</package>\n', text, re.S)
	os.makedirs(out + "/Packages", exist_ok=True)
	os.makedirs(out + "/repodata", exist_ok=True)
	prim, fl, oth = [], [], []
	for i in range(n):
	    p = pkgs[i % len(pkgs)]
	    name = re.search(r"<name>(.*?)</name>", p).group(1)
	    arch = re.search(r"<arch>(.*?)</arch>", p).group(1)
	    v = re.search(r'<version epoch="(\d+)" ver="([^"]*)" rel="([^"]*)"/>', p)
	    new = name if i < len(pkgs) else "%s-c%d" % (name, i // len(pkgs))
	    # Package i gets a new release in round i: one change per round,
	    # so that every sync (killed or not) does the same work.
	    bump = i if 1 <= i <= rnd else 0
	    rel = v.group(3) + (".r%d" % bump if bump > 0 else "")
	    fname = "Packages/%s-%s-%s.%s.rpm" % (new, v.group(2), rel, arch)
	    path = out + "/" + fname
	    if not os.path.exists(path):
	        with open(path, "w") as f:
	            f.write("%s %s-%s %s\n" % (new, v.group(2), rel, arch) * 3)
	    data = open(path, "rb").read()
	    sha = hashlib.sha256(data).hexdigest()
	    p = p.replace("<name>%s</name>" % name, "<name>%s</name>" % new, 1)
	    p = p.replace(v.group(0), '<version epoch="%s" ver="%s" rel="%s"/>' % (v.group(1), v.group(2), rel), 1)
	    p = re.sub(r'<checksum type="sha256" pkgid="YES">[0-9a-f]+</checksum>',
	               '<checksum type="sha256" pkgid="YES">%s</checksum>' % sha, p, 1)
	    p = re.sub(r'<size package="\d+"', '<size package="%d"' % len(data), p, 1)
	    p = re.sub(r'<location href="[^"]*"/>', '<location href="%s"/>' % fname, p, 1)
	    prim.append(p)
	    ver = '<version epoch="%s" ver="%s" rel="%s"/>' % (v.group(1), v.group(2), rel)
	    fl.append('<package pkgid="%s" name="%s" arch="%s">\n  %s\n  <file>/usr/share/doc/%s/README</file>\n</package>\n'
	              % (sha, new, arch, ver, new))
	    oth.append('<package pkgid="%s" name="%s" arch="%s">\n  %s\n</package>\n' % (sha, new, arch, ver))
	docs = {
	    "primary": '<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="%d">\n%s</metadata>\n' % (n, "".join(prim)),
	    "filelists": '<?xml version="1.0" encoding="UTF-8"?>\n<filelists xmlns="http://linux.duke.edu/metadata/filelists" packages="%d">\n%s</filelists>\n' % (n, "".join(fl)),
	    "other": '<?xml version="1.0" encoding="UTF-8"?>\n<otherdata xmlns="http://linux.duke.edu/metadata/other" packages="%d">\n%s</otherdata>\n' % (n, "".join(oth)),
	}
	for f in os.listdir(out + "/repodata"):
	    os.unlink(out + "/repodata/" + f)
	stamp = 1767225600 + rnd
	md = ['<?xml version="1.0" encoding="UTF-8"?>\n<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">\n  <revision>%d</revision>\n' % stamp]
	for t, body in docs.items():
	    raw = body.encode()
	    gz = gzip.compress(raw, 1, mtime=0)
	    sha = hashlib.sha256(gz).hexdigest()
	    href = "repodata/%s-%s.xml.gz" % (sha, t)
	    open(out + "/" + href, "wb").write(gz)
	    md.append('  <data type="%s">\n    <checksum type="sha256">%s</checksum>\n    <open-checksum type="sha256">%s</open-checksum>\n    <location href="%s"/>\n    <timestamp>%d</timestamp>\n    <size>%d</size>\n    <open-size>%d</open-size>\n  </data>\n'
	              % (t, sha, hashlib.sha256(raw).hexdigest(), href, stamp, len(gz), len(raw)))
	md.append("</repomd>\n")
	tmp = out + "/repodata/.repomd.xml"
	open(tmp, "w").write("".join(md))
	os.rename(tmp, out + "/repodata/repomd.xml")
	EOF
		fail "could not write round $1 of the upstream"
}

# current: the generation the view's current link names ("gen-N").
current() {
	readlink "$STORE/views/dev/el9/current" 2>/dev/null
}

# served_ok GEN: the files of GEN come from patchgated as GEN states them.
# Prints the number of files checked; returns 1 on the first mismatch,
# with why on stderr.
served_ok() {
	"$PYTHON" - "$STORE/views/dev/el9/$1" "$PG_URL/dev/el9" <<-'EOF'
	import hashlib, random, re, sys, urllib.request
	gen, url = sys.argv[1], sys.argv[2]
	def get(path):
	    with urllib.request.urlopen(url + "/" + path, timeout=60) as r:
	        return r.read()
	def check(path, size, algo, hexd):
	    data = get(path)
	    got = hashlib.new(algo, data).hexdigest()
	    if len(data) != size or got != hexd:
	        sys.exit("%s: served %d bytes, %s %s; %s says %d bytes, %s" %
	                 (path, len(data), algo, got, gen, size, hexd))
	n = 0
	for line in open(gen + "/tree.sums"):
	    path, size, hexd = line.rstrip("\n").split("\t")
	    check(path, int(size), "sha256", hexd)
	    n += 1
	md = get("repodata/repomd.xml").decode()
	if md != open(gen + "/tree/repodata/repomd.xml").read():
	    sys.exit("the repomd.xml served is not that of " + gen)
	for m in re.finditer(r"<data\b.*?</data>", md, re.S):
	    d = m.group(0)
	    algo, hexd = re.search(r'<checksum type="(\w+)">(\w+)<', d).groups()
	    href = re.search(r'<location href="([^"]+)"', d).group(1)
	    size = int(re.search(r"<size>(\d+)<", d).group(1))
	    check(href, size, algo, hexd)
	    n += 1
	vis = [l.rstrip("\n").split("\t") for l in open(gen + "/packages.idx") if l.startswith("V\t")]
	if not vis:
	    sys.exit(gen + "/packages.idx lists no visible package")
	for e in random.Random(len(vis)).sample(vis, min(8, len(vis))):
	    check(e[1], int(e[2]), e[3], e[4])
	    n += 1
	print(n)
	EOF
}

mkdir -p "$W"
gen_upstream 0
start_upstream "$W"
PG_CONF=$T/patchgate.conf
cat >"$PG_CONF" <<EOF
[server]
listen = 127.0.0.1:0
store = $STORE

[mirror el9]
type = rpm-md
url = $UPSTREAM_URL/repo

[baseline dev]
rule = classification=* delay=0

[group dev]
baseline = dev
mirrors = el9
EOF

PATCHGATE_NOW=$NOW pg_sync || fail "the first sync failed"
PATCHGATE_NOW=$NOW start_patchgated "$PG_CONF"
GEN=$(current)
[ -n "$GEN" ] || fail "the first sync published no view"

# The duration of a sync of one round's changes: the kills fall within it.
gen_upstream 1
t0=$EPOCHREALTIME
PATCHGATE_NOW=$NOW pg_sync || fail "the sync of round 1 failed"
t1=$EPOCHREALTIME
DUR_MS=$(( (${t1/./} - ${t0/./}) / 1000 ))
pg_say "a sync of $NPKG packages takes $DUR_MS ms"
assert_ne "round 1 published a new generation" "$GEN" "$(current)"

kills=0 switched=0 leftovers=""
for round in $(seq 2 $((KILLS + 1))); do
	before=$(current)
	gen_upstream "$round"
	# Anywhere in the sync, or, every other kill, in its last quarter,
	# where the view is written and switched; every fourth kill comes just
	# after the switch.
	delay_ms=$(( (RANDOM * 32768 + RANDOM) % (DUR_MS + 1) ))
	[ $((round % 2)) -eq 1 ] && delay_ms=$(( DUR_MS * 3 / 4 + delay_ms / 4 ))
	PATCHGATE_NOW=$NOW "$top_builddir/patchgate" -c "$PG_CONF" sync \
	    >"$T/log/kill.$round.out" 2>"$T/log/kill.$round.err" &
	pid=$!
	if [ $((round % 4)) -eq 0 ]; then
		# Right after the switch: when the sync says it published.
		when="when it says published"
		while kill -0 "$pid" 2>/dev/null &&
		    ! grep -q ' published gen-' "$T/log/kill.$round.err"; do
			sleep 0.01
		done
	else
		when="at $delay_ms ms"
		sleep "$((delay_ms / 1000)).$(printf %03d $((delay_ms % 1000)))"
	fi
	kill -KILL "$pid" 2>/dev/null
	# (braces: no "Killed" line from bash in the log)
	{ wait "$pid"; rc=$?; } 2>/dev/null
	kills=$((kills + 1))
	# Done before its kill: the machine is faster now than when the
	# duration was measured, so the next kills come sooner.
	[ "$rc" -eq 0 ] && [ "$when" != "when it says published" ] &&
		DUR_MS=$((DUR_MS * 3 / 4))
	after=$(current)
	pg_say "kill $kills $when (exit $rc): $before -> $after"

	assert_eq "kill $kills: the store passes integrity_check" ok \
	    "$(sqlite3 "$STORE/patchgate.db" 'PRAGMA integrity_check' 2>&1)"
	if [ "$after" = "$before" ]; then
		pg_ok "kill $kills: the served generation is unchanged ($after)"
	else
		switched=$((switched + 1))
		assert_true "kill $kills: $before -> $after, the new generation is sealed" \
		    test -s "$STORE/views/dev/el9/$after/modified"
		assert_true "kill $kills: $after has this round's versions" \
		    grep -q "\\.r$round\\.[^.]*\\.rpm	" "$STORE/views/dev/el9/$after/packages.idx"
	fi
	if n=$(served_ok "$after" 2>"$T/log/served.$round"); then
		pg_ok "kill $kills: $n files of $after served as its metadata states"
	else
		pg_notok "kill $kills: the files of $after served as its metadata states" \
		    "$(cat "$T/log/served.$round")"
	fi
	for f in "$STORE"/tmp/*; do
		[ -e "$f" ] && leftovers="$leftovers $f"
	done
done

gen_upstream $((KILLS + 2))
PATCHGATE_NOW=$NOW pg_sync || pg_notok "the sync after $kills kills completes" "$(tail -n 5 "$SYNC_ERR")"
pg_ok "the sync after $kills kills completes"
assert_true "it published this round's view" \
    grep -q "\\.r$((KILLS + 2))\\.[^.]*\\.rpm	" "$STORE/views/dev/el9/$(current)/packages.idx"
assert_eq "the store passes integrity_check" ok \
    "$(sqlite3 "$STORE/patchgate.db" 'PRAGMA integrity_check' 2>&1)"
n=$(served_ok "$(current)" 2>"$T/log/served.final") ||
	pg_notok "the last generation's files served as stated" "$(cat "$T/log/served.final")"
pg_ok "the last generation's $n files served as stated"
left=$(find "$STORE/tmp" -mindepth 1 2>/dev/null | head -n 5)
assert_eq "STORE/tmp is empty after the clean sync" "" "$left"
nleft=0
for f in $leftovers; do
	[ -e "$f" ] && pg_notok "a killed run's $f is removed" "it is still there"
	nleft=$((nleft + 1))
done
pg_say "the killed runs left $nleft temporary files; $switched of $kills kills came after the switch"
# A run killed while it rewrites a view's inputs or next-change leaves
# NAME.tmpPID beside it; the next publish removes those of dead writers.
nview=$(find "$STORE/views" -maxdepth 3 -name '*.tmp[0-9]*' | wc -l)
assert_eq "no temporary file is left in a view's directory" 0 "$nview"
figures="kills: $kills, checks passed: $((PG_NCHECK - PG_NFAIL)) (of $PG_NCHECK; $switched kills after the switch; $nview view-dir .tmp files left)"
echo "$figures"
echo "$figures" >&2
pg_done
