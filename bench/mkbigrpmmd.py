#!/usr/bin/env python3
# Makes a large rpm-md repository for bench/rpmmd_sync.sh out of a small
# one: every <package> of primary.xml and filelists.xml COPIES times, copy
# 0 as it is and copy N renamed NAME-pgcopyN with its own pkgid and
# location (provides and requires as the original's, so that dependencies
# resolve against copy 0), and a repomd.xml listing both files.
#
#   mkbigrpmmd.py SRC-REPO DST-REPO COPIES
import gzip, hashlib, os, re, sys, time

src, dst, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
rd = os.path.join(src, "repodata")

def find(kind):
    for f in os.listdir(rd):
        if f.endswith("-" + kind + ".xml.gz"):
            return gzip.open(os.path.join(rd, f)).read()
    sys.exit("no %s in %s" % (kind, rd))

def split(doc):
    start = doc.index(b"<package ")
    end = doc.rindex(b"</package>") + len(b"</package>")
    return doc[:start], re.findall(rb"<package .*?</package>", doc[start:end], re.S), doc[end:]

def pkgid(old, n):
    return hashlib.sha256(old + b"/%d" % n).hexdigest().encode() if n else old

def primary_copy(p, n):
    if n == 0:
        return p
    p = re.sub(rb"<name>([^<]*)</name>", lambda m: b"<name>" + m.group(1) + b"-pgcopy%d</name>" % n, p, 1)
    p = re.sub(rb'(<checksum type="sha256" pkgid="YES">)([0-9a-f]+)', lambda m: m.group(1) + pkgid(m.group(2), n), p, 1)
    return re.sub(rb'<location href="', b'<location href="c%d/' % n, p, 1)

def filelists_copy(p, n):
    if n == 0:
        return p
    p = re.sub(rb'pkgid="([0-9a-f]+)"', lambda m: b'pkgid="' + pkgid(m.group(1), n) + b'"', p, 1)
    return re.sub(rb'name="([^"]*)"', lambda m: b'name="' + m.group(1) + b'-pgcopy%d"' % n, p, 1)

os.makedirs(os.path.join(dst, "repodata"), exist_ok=True)
entries = []
for kind, fn in (("primary", primary_copy), ("filelists", filelists_copy)):
    head, pkgs, tail = split(find(kind))
    total = len(pkgs) * copies
    head = re.sub(rb'packages="[0-9]+"', b'packages="%d"' % total, head, 1)
    doc = head + b"\n".join(fn(p, n) for n in range(copies) for p in pkgs) + tail
    gz = gzip.compress(doc, 6, mtime=0)
    h = hashlib.sha256(gz).hexdigest()
    name = "repodata/%s-%s.xml.gz" % (h, kind)
    open(os.path.join(dst, name), "wb").write(gz)
    entries.append("""  <data type="%s">
    <checksum type="sha256">%s</checksum>
    <open-checksum type="sha256">%s</open-checksum>
    <location href="%s"/>
    <timestamp>1644263915</timestamp>
    <size>%d</size>
    <open-size>%d</open-size>
  </data>
""" % (kind, h, hashlib.sha256(doc).hexdigest(), name, len(gz), len(doc)))
open(os.path.join(dst, "repodata", "repomd.xml"), "w").write(
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<repomd xmlns="http://linux.duke.edu/metadata/repo" '
    'xmlns:rpm="http://linux.duke.edu/metadata/rpm">\n'
    "  <revision>1644263915</revision>\n" + "".join(entries) + "</repomd>\n")
print(total)
