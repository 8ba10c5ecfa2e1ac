#!/usr/bin/env python3
"""
The upstream of the end-to-end tests: a small real HTTP/1.1 server on
127.0.0.1 that serves one directory (GET and HEAD, with the standard
library's handler), so that patchgate fetches from a web server as it does
in production and not from file:// URLs.

usage: httpd.py DIR PORTFILE

It binds port 0 and writes the port the kernel chose to PORTFILE (written to
a temporary name and renamed, so a reader never sees half a number), then
serves until it is killed.  One line per request goes to stderr.

Validators: the standard handler sends Last-Modified in whole seconds of
the file's mtime and answers If-Modified-Since with 304 when that second is
not after the client's date.  Tests rewrite a repository several times
within one second (mkaptrepo, mkrepo), so a client holding the first
version's Last-Modified got 304 for different bytes: apt then kept the old
InRelease and failed on files the new one no longer has.  Here a file
carries a strong ETag of its content instead, only If-None-Match is
honoured, and Last-Modified is sent only for a file whose mtime is two
seconds old or more, so that it never names a second in which the file may
still change.
"""

import email.utils
import functools
import hashlib
import http.server
import io
import os
import sys
import time

# Seconds a file must be unchanged before its mtime is a safe Last-Modified.
SETTLED = 2


class Handler(http.server.SimpleHTTPRequestHandler):
    # Keep-alive, as real mirrors do; the base handler sends Content-Length.
    protocol_version = "HTTP/1.1"

    def send_head(self):
        path = self.translate_path(self.path)
        # Directories (listings, redirects) and errors: the base handler.
        if os.path.isdir(path) or self.path.split("?", 1)[0].endswith("/"):
            return super().send_head()
        try:
            with open(path, "rb") as f:
                st = os.fstat(f.fileno())
                data = f.read()
        except OSError:
            self.send_error(404, "File not found")
            return None
        # The bytes sent are the bytes hashed: one read, then no file.
        etag = '"sha256-%s"' % hashlib.sha256(data).hexdigest()
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            tags = [t.strip() for t in inm.split(",")]
            tags = [t[2:] if t.startswith("W/") else t for t in tags]
            if "*" in tags or etag in tags:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return None
        # If-Modified-Since is ignored: a 200 is always right.
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Length", str(len(data)))
        self.send_header("ETag", etag)
        if time.time() - st.st_mtime >= SETTLED:
            self.send_header("Last-Modified",
                             email.utils.formatdate(st.st_mtime, usegmt=True))
        self.end_headers()
        return io.BytesIO(data)

    def log_message(self, fmt, *args):
        sys.stderr.write("httpd: %s\n" % (fmt % args))
        sys.stderr.flush()


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: httpd.py DIR PORTFILE\n")
        return 2
    root, portfile = sys.argv[1], sys.argv[2]
    if not os.path.isdir(root):
        sys.stderr.write("httpd: %s: not a directory\n" % root)
        return 2

    handler = functools.partial(Handler, directory=root)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    port = server.server_address[1]

    tmp = "%s.tmp.%d" % (portfile, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, portfile)
    sys.stderr.write("httpd: serving %s on 127.0.0.1:%d\n" % (root, port))
    sys.stderr.flush()

    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
