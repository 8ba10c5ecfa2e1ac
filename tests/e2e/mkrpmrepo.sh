# Sourced by the rpm-md end-to-end tests after lib.sh: builds the upstream
# repositories the tests gate, at run time, with the real tools a vendor
# uses: rpmbuild for tiny noarch packages, createrepo_c for the repository,
# modifyrepo_c to add updateinfo.  Only the advisory document is written by
# hand here, as a vendor's errata tool would write it.  repomd_restamp turns
# a deliberately broken file into one that repomd.xml vouches for, so that
# a test can prove the indexer's own checks (decompression, XML) fire.

# mkrpm DESTDIR NAME VERSION [RELEASE]: builds NAME-VERSION-RELEASE.noarch.rpm
# (one file, /usr/share/NAME/VERSION; no scriptlets, no dependencies) and
# copies it into DESTDIR.  Built rpms are kept in $T/rpms for reuse.
# Dependencies, when set for the call (spec syntax, comma-separated):
#   RPM_REQUIRES="libfoo = 2.0-1, /usr/bin/foo"   RPM_PROVIDES="webapp"
#   RPM_FILES="/usr/bin/foo /etc/foo.conf" (more files it owns, plain text,
#   so that a file requirement has a provider in primary.xml's file list)
#   RPM_BLOB_KB=300 (one more file of that many KiB of random bytes, which
#   compression leaves as they are: a package that big)
# e.g. RPM_REQUIRES="libfoo = 2.0-1" mkrpm "$REPO" app 2.0.  An NVR built
# once is reused only with the same dependencies; asking for other ones
# fails the test (one NVR, one content, as in a real repository).
mkrpm() {
	local dest=$1 name=$2 version=$3 release=${4:-1} top=$T/rpmbuild rpm spec
	local deps tags="" install="" files="" f nl=$'\n'
	rpm=$name-$version-$release.noarch.rpm
	deps="Requires=${RPM_REQUIRES:-};Provides=${RPM_PROVIDES:-};Files=${RPM_FILES:-}"
	[ -z "${RPM_BLOB_KB:-}" ] || deps="$deps;Blob=$RPM_BLOB_KB"
	mkdir -p "$dest" "$T/rpms"
	if [ -f "$T/rpms/$rpm" ] && [ "$(cat "$T/rpms/$rpm.deps" 2>/dev/null)" != "$deps" ]; then
		fail "mkrpm: $rpm was built before with other dependencies ($(cat "$T/rpms/$rpm.deps" 2>/dev/null))"
	fi
	if [ ! -f "$T/rpms/$rpm" ]; then
		mkdir -p "$top/SPECS"
		spec=$top/SPECS/$name-$version-$release.spec
		if [ -n "${RPM_REQUIRES:-}" ]; then
			tags="${tags}Requires: $RPM_REQUIRES$nl"
		fi
		if [ -n "${RPM_PROVIDES:-}" ]; then
			tags="${tags}Provides: $RPM_PROVIDES$nl"
		fi
		if [ -n "${RPM_BLOB_KB:-}" ]; then
			install="head -c $((RPM_BLOB_KB * 1024)) /dev/urandom >%{buildroot}/usr/share/$name/blob${nl}"
			files="${nl}/usr/share/$name/blob"
		fi
		for f in ${RPM_FILES:-}; do
			install="${install}mkdir -p %{buildroot}${f%/*}${nl}"
			install="${install}echo \"$name $f\" >%{buildroot}$f${nl}"
			files="${files}${nl}$f"
		done
		cat >"$spec" <<-EOF
		Name: $name
		Version: $version
		Release: $release
		Summary: patchgate test package $name
		License: MIT
		BuildArch: noarch
		${tags}
		%description
		A package built by patchgate's end-to-end tests.

		%install
		mkdir -p %{buildroot}/usr/share/$name
		echo "$name $version-$release" >%{buildroot}/usr/share/$name/$version
		${install}
		%files
		/usr/share/$name/$version${files}
		EOF
		# SOURCE_DATE_EPOCH and a fixed build host keep the rpms the same
		# from run to run; brp scripts and debuginfo are not wanted.
		SOURCE_DATE_EPOCH=1767225600 rpmbuild --quiet \
		    --define "_topdir $top" \
		    --define "_buildhost pgtest.invalid" \
		    --define "use_source_date_epoch_as_buildtime 1" \
		    --define "clamp_mtime_to_source_date_epoch 1" \
		    --define "debug_package %{nil}" \
		    --define "__os_install_post %{nil}" \
		    -bb "$spec" >"$T/log/rpmbuild.$name-$version-$release.log" 2>&1 ||
			fail "rpmbuild $rpm: $(tail -n 20 "$T/log/rpmbuild.$name-$version-$release.log")"
		cp "$top/RPMS/noarch/$rpm" "$T/rpms/$rpm" || fail "rpmbuild made no $rpm"
		printf '%s\n' "$deps" >"$T/rpms/$rpm.deps"
	fi
	cp "$T/rpms/$rpm" "$dest/$rpm"
}

# rpm_sha256 NAME-VERSION-RELEASE: the pkgid createrepo_c gives that rpm.
rpm_sha256() {
	sha256sum "$T/rpms/$1.noarch.rpm" | cut -d' ' -f1
}

# updateinfo_begin FILE / updateinfo_advisory FILE ... / updateinfo_end FILE:
# an updateinfo.xml in the Red Hat/Fedora form.
updateinfo_begin() {
	printf '<?xml version="1.0" encoding="UTF-8"?>\n<updates>\n' >"$1"
}

# updateinfo_advisory FILE ID TYPE SEVERITY ISSUED TITLE NAME-VERSION-RELEASE...
# TYPE: security, bugfix, enhancement, newpackage; SEVERITY "" for none;
# ISSUED "2026-01-10 00:00:00".  UI_CVES="CVE-2026-0001 ..." adds references;
# UI_ARCH sets the packages' arch (default noarch; empty: arch="", which
# names every architecture).
updateinfo_advisory() {
	local f=$1 id=$2 type=$3 sev=$4 issued=$5 title=$6 nevr name vr v r cve
	shift 6
	{
		printf '  <update from="security@pgtest.invalid" status="stable" type="%s" version="2.0">\n' "$type"
		printf '    <id>%s</id>\n' "$id"
		printf '    <title>%s</title>\n' "$title"
		[ -n "$sev" ] && printf '    <severity>%s</severity>\n' "$sev"
		printf '    <release>patchgate test 9</release>\n'
		printf '    <issued date="%s"/>\n' "$issued"
		printf '    <references>\n'
		for cve in ${UI_CVES:-}; do
			printf '      <reference href="https://cve.invalid/%s" id="%s" title="%s" type="cve"/>\n' \
			    "$cve" "$cve" "$cve"
		done
		printf '    </references>\n'
		printf '    <description>%s.</description>\n' "$title"
		printf '    <pkglist>\n      <collection short="pgtest-9">\n        <name>patchgate test 9</name>\n'
		for nevr in "$@"; do
			r=${nevr##*-}
			vr=${nevr%-*}
			v=${vr##*-}
			name=${vr%-*}
			printf '        <package name="%s" version="%s" release="%s" epoch="0" arch="%s" src="%s-%s-%s.src.rpm">\n' \
			    "$name" "$v" "$r" "${UI_ARCH-noarch}" "$name" "$v" "$r"
			printf '          <filename>%s-%s-%s.noarch.rpm</filename>\n' "$name" "$v" "$r"
			printf '        </package>\n'
		done
		printf '      </collection>\n    </pkglist>\n  </update>\n'
	} >>"$f"
}

updateinfo_end() {
	printf '</updates>\n' >>"$1"
}

# mkrepo DIR [UPDATEINFO]: (re)generates DIR/repodata from the rpms under
# DIR with createrepo_c's defaults (xml.gz and sqlite.bz2, hashed names)
# and adds UPDATEINFO with modifyrepo_c.
mkrepo() {
	local dir=$1 ui=${2:-} tmp
	createrepo_c "$dir" >"$T/log/createrepo.log" 2>&1 ||
		fail "createrepo_c $dir: $(tail -n 20 "$T/log/createrepo.log")"
	if [ -n "$ui" ]; then
		# modifyrepo_c names the record after the file: updateinfo.xml.
		tmp=$T/updateinfo.$$/updateinfo.xml
		mkdir -p "${tmp%/*}"
		cp "$ui" "$tmp"
		modifyrepo_c --mdtype=updateinfo "$tmp" "$dir/repodata" >"$T/log/modifyrepo.log" 2>&1 ||
			fail "modifyrepo_c $ui: $(tail -n 20 "$T/log/modifyrepo.log")"
		rm -rf "${tmp%/*}"
	fi
}

# repomd_href REPODIR TYPE: the location href of TYPE in REPODIR/repodata/repomd.xml.
repomd_href() {
	"$PYTHON" - "$1/repodata/repomd.xml" "$2" <<-'EOF'
	import re, sys
	md = open(sys.argv[1]).read()
	for m in re.finditer(r'<data\s+type="([^"]+)"\s*>(.*?)</data>', md, re.S):
	    if m.group(1) == sys.argv[2]:
	        print(re.search(r'<location\b[^>]*\bhref="([^"]+)"', m.group(2)).group(1))
	        sys.exit(0)
	sys.exit("repomd.xml lists no " + sys.argv[2])
	EOF
}

# repomd_restamp REPODIR TYPE: rewrites the checksum and size of TYPE in
# repomd.xml to match the file as it is now, and its open-checksum and
# open-size when the file still decompresses (a truncated gzip does not;
# its open-* stay as they were).  A test input generator: the broken file
# then passes the repomd.xml check and must fail later, where it should.
repomd_restamp() {
	"$PYTHON" - "$1" "$2" <<-'EOF'
	import bz2, gzip, hashlib, lzma, re, sys
	repo, typ = sys.argv[1], sys.argv[2]
	path = repo + "/repodata/repomd.xml"
	md = open(path).read()
	def fix(m):
	    body = m.group(2)
	    href = re.search(r'<location\b[^>]*\bhref="([^"]+)"', body).group(1)
	    raw = open(repo + "/" + href, "rb").read()
	    body = re.sub(r'(<checksum type="sha256">)[0-9a-f]+(</checksum>)',
	                  lambda x: x.group(1) + hashlib.sha256(raw).hexdigest() + x.group(2), body)
	    body = re.sub(r'<size>[0-9]+</size>', '<size>%d</size>' % len(raw), body)
	    try:
	        if href.endswith(".gz"):
	            opened = gzip.decompress(raw)
	        elif href.endswith(".xz"):
	            opened = lzma.decompress(raw)
	        elif href.endswith(".bz2"):
	            opened = bz2.decompress(raw)
	        else:
	            opened = raw
	    except Exception:
	        opened = None
	    if opened is not None:
	        body = re.sub(r'(<open-checksum type="sha256">)[0-9a-f]+(</open-checksum>)',
	                      lambda x: x.group(1) + hashlib.sha256(opened).hexdigest() + x.group(2), body)
	        body = re.sub(r'<open-size>[0-9]+</open-size>', '<open-size>%d</open-size>' % len(opened), body)
	    return m.group(1) + body + m.group(3)
	new, n = re.subn(r'(<data\s+type="' + re.escape(typ) + r'"\s*>)(.*?)(</data>)', fix, md, flags=re.S)
	if n != 1:
	    sys.exit("repomd.xml lists %d %s records" % (n, typ))
	open(path, "w").write(new)
	EOF
}

# --- SUSE ----------------------------------------------------------------------------
# What a SUSE maintenance repository adds to createrepo_c's output, written
# as SUSE's tools write it: updateinfo in the SUSE namespace (issued dates in
# epoch seconds, lowercase severities, SUSE categories, a PATCHINFO comment
# before each update), deltainfo, and data types that views pass through.

# suse_updateinfo_begin FILE / suse_updateinfo_advisory FILE ... /
# updateinfo_end FILE: an updateinfo.xml in the SUSE form.
suse_updateinfo_begin() {
	printf '<?xml version="1.0" encoding="UTF-8"?>\n<updates xmlns="http://novell.com/package/metadata/suse/updateinfo">\n' >"$1"
}

# suse_updateinfo_advisory FILE ID CATEGORY SEVERITY EPOCH-SECONDS TITLE NAME-VERSION-RELEASE...
# CATEGORY: security, recommended, optional, feature, document, yast;
# SEVERITY lowercase (critical, important, moderate, low) or "" for none.
# UI_CVES="CVE-2026-0001 ..." adds references.
suse_updateinfo_advisory() {
	local f=$1 id=$2 type=$3 sev=$4 issued=$5 title=$6 nevr name vr v r cve
	shift 6
	{
		printf '<!--PATCHINFO id="%s"!-->\n' "$(printf %s "$id" | sha256sum | cut -c1-32)"
		printf '<update from="maint-coord@suse.de" status="stable" type="%s" version="1">\n' "$type"
		printf '  <id>%s</id>\n' "$id"
		printf '  <title>%s</title>\n' "$title"
		[ -n "$sev" ] && printf '  <severity>%s</severity>\n' "$sev"
		printf '  <release>SUSE Linux Enterprise Server 15 SP6</release>\n'
		printf '  <issued date="%s"/>\n' "$issued"
		printf '  <references>\n'
		printf '    <reference href="https://bugzilla.suse.invalid/show_bug.cgi?id=%s" id="%s" title="bug %s" type="bugzilla"/>\n' \
		    "${id##*-}" "${id##*-}" "${id##*-}"
		for cve in ${UI_CVES:-}; do
			printf '    <reference href="https://www.suse.invalid/security/cve/%s/" id="%s" title="%s" type="cve"/>\n' \
			    "$cve" "$cve" "$cve"
		done
		printf '  </references>\n'
		printf '  <description>%s.</description>\n' "$title"
		printf '  <pkglist>\n    <collection>\n'
		for nevr in "$@"; do
			r=${nevr##*-}
			vr=${nevr%-*}
			v=${vr##*-}
			name=${vr%-*}
			printf '      <package name="%s" arch="noarch" version="%s" release="%s" epoch="0">\n' \
			    "$name" "$v" "$r"
			printf '        <filename>%s-%s-%s.noarch.rpm</filename>\n' "$name" "$v" "$r"
			printf '      </package>\n'
		done
		printf '    </collection>\n  </pkglist>\n</update>\n'
	} >>"$f"
}

# suse_deltainfo FILE "NAME OLD-VERSION-RELEASE NEW-VERSION-RELEASE"...:
# a deltainfo.xml as SUSE's build service writes it (noarch; the .delta.rpm
# files it names are not built: zypper needs applydeltarpm to use them).
suse_deltainfo() {
	local f=$1 spec name old new
	shift
	{
		printf '<?xml version="1.0" encoding="UTF-8"?>\n<deltainfo>\n'
		for spec in "$@"; do
			set -- $spec
			name=$1 old=$2 new=$3
			printf '<newpackage name="%s" arch="noarch" version="%s" release="%s">\n' \
			    "$name" "${new%-*}" "${new##*-}"
			printf '<delta oldepoch="0" ver="%s" rel="%s">\n' "${old%-*}" "${old##*-}"
			printf '<filename>noarch/%s-%s_%s.noarch.delta.rpm</filename>\n' "$name" "$old" "$new"
			printf '<sequence>%s-%s-%s</sequence>\n' "$name" "$old" \
			    "$(printf %s "$name$old$new" | sha256sum | cut -c1-32)"
			printf '<size>1024</size>\n'
			printf '<checksum type="sha256">%s</checksum>\n' \
			    "$(printf %s "$name$old$new.delta" | sha256sum | cut -d' ' -f1)"
			printf '</delta>\n</newpackage>\n'
		done
		printf '</deltainfo>\n'
	} >"$f"
}

# repo_add_data DIR TYPE FILE: adds FILE to DIR/repodata as TYPE with
# modifyrepo_c (gzip, hashed name), as SUSE's tools add their extra data.
repo_add_data() {
	local dir=$1 type=$2 src=$3 tmp
	tmp=$T/modifyrepo.$$/$type.xml
	mkdir -p "${tmp%/*}"
	cp "$src" "$tmp"
	modifyrepo_c --mdtype="$type" "$tmp" "$dir/repodata" >"$T/log/modifyrepo.$type.log" 2>&1 ||
		fail "modifyrepo_c $type: $(tail -n 20 "$T/log/modifyrepo.$type.log")"
	rm -rf "${tmp%/*}"
}

# vendor_key HOME NAME: a signing key of its own in the GnuPG home HOME (made
# once), as a distribution's build service has; the home's agent is
# stopped when the test ends.
vendor_key() {
	local home=$1 name=$2
	mkdir -p "$home" && chmod 700 "$home"
	pg_gnupghome "$home"
	[ -s "$home/key.asc" ] && return 0
	gpg --homedir "$home" --batch --passphrase '' --quick-gen-key \
	    "$name <$name@pgtest.invalid>" ed25519 sign never >"$T/log/gpg.$name.log" 2>&1 &&
		gpg --homedir "$home" --batch --armor --export >"$home/key.asc" ||
		fail "gpg cannot make the key $name: $(tail -n 5 "$T/log/gpg.$name.log")"
}

# repo_sign DIR HOME: signs DIR/repodata/repomd.xml with the key in HOME
# (repomd.xml.asc) and puts the public key beside it (repomd.xml.key), as
# SUSE's repositories have them.
repo_sign() {
	local dir=$1 home=$2
	gpg --homedir "$home" --batch --yes --armor --detach-sign \
	    -o "$dir/repodata/repomd.xml.asc" "$dir/repodata/repomd.xml" >"$T/log/gpg.sign.log" 2>&1 ||
		fail "gpg cannot sign $dir/repodata/repomd.xml: $(tail -n 5 "$T/log/gpg.sign.log")"
	cp "$home/key.asc" "$dir/repodata/repomd.xml.key"
}
