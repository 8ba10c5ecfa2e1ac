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
"""

import functools
import http.server
import os
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    # Keep-alive, as real mirrors do; the base handler sends Content-Length.
    protocol_version = "HTTP/1.1"

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
