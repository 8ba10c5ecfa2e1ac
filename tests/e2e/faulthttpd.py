#!/usr/bin/env python3
"""
A hostile upstream for fetch_limits.sh and proxy_faults.sh: serves one directory on every
loopback address (so that 127.0.0.1 and 127.0.0.2 are two hosts of one
server) and breaks the files whose path ends in a given suffix, the way
the indexer must survive.

usage: faulthttpd.py DIR PORTFILE FAULTFILE

FAULTFILE, read at every request, holds "SUFFIX MODE" (or nothing):
  endless         200 without Content-Length, then bytes until the client
                  hangs up
  huge-length     200 with Content-Length: 10^15, then bytes until the
                  client hangs up
  drip            the real file at 2 bytes a second
  stall           the first half of the real file at once, then nothing
                  for up to 60 s (a download that a test kills)
  redirect-other  302 to the same path on 127.0.0.2
  redirect-same   302 to /_moved/PATH on the same host
  redirect-loop   302 to the same path, for ever
  reset           half of the real file, then a TCP reset
  short           the real Content-Length, half of the file, then close
  long-length     Content-Length one more than the file, the file, close
  corrupt         the real length, one byte changed in the middle
  error500        500 Internal Server Error
One line per request goes to stderr: "GET PATH MODE", and when a faulty
body ends, "sent N bytes of PATH".  Every wait is bounded.
"""

import http.server
import os
import socket
import struct
import socketserver
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):
        pass

    def fault(self):
        try:
            with open(self.server.faultfile) as f:
                words = f.read().split()
        except OSError:
            return None
        if len(words) != 2 or not self.path.endswith(words[0]):
            return None
        # A redirect's target is served as it is.
        if self.path.startswith("/_moved/") or \
                self.headers.get("Host", "").startswith("127.0.0.2:"):
            return None
        return words[1]

    def real(self, path):
        path = path.split("?", 1)[0]
        if path.startswith("/_moved/"):
            path = path[len("/_moved"):]
        full = os.path.join(self.server.root, path.lstrip("/"))
        if ".." in path.split("/") or not os.path.isfile(full):
            return None
        with open(full, "rb") as f:
            return f.read()

    def body(self, chunks):
        sent = 0
        try:
            for c in chunks:
                self.wfile.write(c)
                self.wfile.flush()
                sent += len(c)
        except OSError:
            pass
        sys.stderr.write("sent %d bytes of %s\n" % (sent, self.path))

    def do_GET(self):
        mode = self.fault()
        sys.stderr.write("GET %s %s\n" % (self.path, mode or "-"))
        port = self.server.server_address[1]
        if mode == "redirect-other":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.2:%d%s" % (port, self.path))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if mode == "redirect-same":
            self.send_response(302)
            self.send_header("Location", "/_moved" + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if mode == "redirect-loop":
            self.send_response(302)
            self.send_header("Location", self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if mode == "error500":
            self.send_error(500)
            return
        data = self.real(self.path)
        if data is None:
            self.send_error(404)
            return
        deadline = time.monotonic() + 60
        if mode in ("endless", "huge-length"):
            self.send_response(200)
            if mode == "huge-length":
                self.send_header("Content-Length", str(10 ** 15))
            self.end_headers()

            def forever():
                while time.monotonic() < deadline:
                    yield b"\0" * 65536
            self.body(forever())
            return
        length = len(data)
        if mode == "long-length":
            length += 1
        elif mode == "corrupt":
            mid = len(data) // 2
            data = data[:mid] + bytes([data[mid] ^ 0xff]) + data[mid + 1:]
        self.send_response(200)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        if mode == "short":
            self.body([data[:len(data) // 2]])
            self.close_connection = True
        elif mode == "reset":
            self.body([data[:len(data) // 2]])
            # SO_LINGER with a zero timeout: close sends a reset.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            os.close(self.connection.detach())
            self.close_connection = True
        elif mode == "drip":
            def drip():
                for i in range(0, len(data), 2):
                    if time.monotonic() > deadline:
                        return
                    yield data[i:i + 2]
                    time.sleep(1)
            self.body(drip())
        elif mode == "stall":
            def stall():
                yield data[:len(data) // 2]
                while time.monotonic() < deadline:
                    time.sleep(0.2)
            self.body(stall())
        else:
            self.body([data])


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    root, portfile, faultfile = sys.argv[1:4]
    srv = Server(("0.0.0.0", 0), Handler)
    srv.root = root
    srv.faultfile = faultfile
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
