#!/usr/bin/env python3
"""A forward HTTP proxy for the tests: answers absolute-form requests
("GET http://host/path") by fetching them itself, logs each request line
to LOG, and writes its port to PORTFILE once it listens on 127.0.0.1.

    fwdproxy.py PORTFILE LOG
"""
import http.server
import os
import sys
import urllib.error
import urllib.request

portfile, logfile = sys.argv[1], sys.argv[2]
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        with open(logfile, "a") as log:
            log.write("%s %s\n" % (self.command, self.path))
        if not self.path.startswith("http://"):
            self.send_error(400, "not a proxy request")
            return
        try:
            with opener.open(self.path, timeout=30) as r:
                body, status = r.read(), r.status
        except urllib.error.HTTPError as e:
            body, status = e.read(), e.code
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(body)

    do_HEAD = do_GET


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(portfile + ".tmp", portfile)
server.serve_forever()
