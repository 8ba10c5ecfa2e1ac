#!/usr/bin/env python3
"""
A slow-loris client for proxy_limits.sh: opens N connections to a server
and on each drips the bytes of a request head, one byte every INTERVAL
seconds, never finishing it.

usage: slowloris.py HOST PORT N INTERVAL SECONDS [SOURCE]

It runs for at most SECONDS.  It prints "open K" once every connection is
either open or refused, then, on exit, one summary line:
  "closed C of K after MIN..MAX s" - C connections the server closed, and
  when (seconds since each was opened), or "closed 0 of K".
SOURCE binds the client's address (127.0.0.2: another client).  Every wait
is bounded by SECONDS.
"""

import resource
import select
import socket
import sys
import time


def main():
    if len(sys.argv) not in (6, 7):
        sys.stderr.write(__doc__)
        return 2
    host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    interval, limit = float(sys.argv[4]), float(sys.argv[5])
    source = sys.argv[6] if len(sys.argv) == 7 else None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 64), hard))

    deadline = time.monotonic() + limit
    head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100000
    socks = {}      # socket -> [opened at, bytes sent]
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(max(0.1, deadline - time.monotonic()))
        if source:
            s.bind((source, 0))
        try:
            s.connect((host, port))
        except OSError:
            s.close()
            continue
        s.setblocking(False)
        socks[s] = [time.monotonic(), 0]
    print("open %d" % len(socks), flush=True)

    closed = []
    total = len(socks)
    next_drip = time.monotonic()
    while socks and time.monotonic() < deadline:
        now = time.monotonic()
        if now >= next_drip:
            for s, st in list(socks.items()):
                try:
                    s.send(head[st[1]:st[1] + 1])
                    st[1] += 1
                except OSError:
                    closed.append(time.monotonic() - st[0])
                    del socks[s]
                    s.close()
            next_drip = now + interval
        wait = max(0.0, min(next_drip, deadline) - time.monotonic())
        # poll, not select: select stops at descriptor 1024.
        p = select.poll()
        byfd = {}
        for s in socks:
            p.register(s, select.POLLIN)
            byfd[s.fileno()] = s
        for fd, _ in p.poll(wait * 1000):
            s = byfd[fd]
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                closed.append(time.monotonic() - socks[s][0])
                del socks[s]
                s.close()
    for s in socks:
        s.close()
    if closed:
        print("closed %d of %d after %.1f..%.1f s" % (len(closed), total,
              min(closed), max(closed)), flush=True)
    else:
        print("closed 0 of %d" % total, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
