#!/usr/bin/env python3
# Clients that stop reading mid-download, for tests/e2e/proxy_output.sh:
#   stallclient.py HOST PORT PATH COUNT READ SECONDS [CAFILE]
# opens COUNT connections (TLS, verified with CAFILE, when it is given),
# each with a small receive buffer, asks each for PATH, reads READ bytes of
# the answer (head included) or up to its end, and then reads no more.
# Prints "open COUNT" once every connection has read its bytes, then holds
# them for SECONDS or until SIGTERM.

import signal
import socket
import ssl
import sys
import time


def main():
    host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    count, want, seconds = int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
    ctx = None
    if len(sys.argv) > 7:
        ctx = ssl.create_default_context(cafile=sys.argv[7])
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))

    conns = []
    request = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (path, host, port)).encode()
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # Small, so that the server's output backs up soon.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect((host, port))
        if ctx is not None:
            s = ctx.wrap_socket(s, server_hostname=host)
        s.sendall(request)
        got = 0
        while got < want:
            b = s.recv(min(65536, want - got))
            if not b:
                break
            got += len(b)
        conns.append(s)
    print("open %d" % len(conns), flush=True)

    # A connection the server closes shows nothing here: its FIN waits
    # behind the bytes the client does not read.  The server's log tells.
    time.sleep(seconds)


if __name__ == "__main__":
    main()
