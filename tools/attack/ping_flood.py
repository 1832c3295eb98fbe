#!/usr/bin/env python3
"""A ping flood that never reads the pongs, and what it costs the server.

Starts SERVER (an echo server binary taking ADDR), opens one WebSocket,
sends up to N pings of 125 bytes without reading anything, until they are
all sent or the server has stopped reading for 3 s, and prints the growth
of the server's resident set.

usage: tools/attack/ping_flood.py SERVER [N]   (N defaults to 1,000,000)
"""
import os
import socket
import struct
import sys
import time

from common import REQUEST, read_101, rss, start_server


def main():
    binary = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    server, port = start_server(binary)
    try:
        time.sleep(0.3)
        before = rss(server.pid)
        c = socket.create_connection(("127.0.0.1", port))
        c.sendall(REQUEST)
        read_101(c)
        key = os.urandom(4)
        payload = b"p" * 125
        frame = struct.pack("!BB", 0x89, 0x80 | 125) + key + bytes(
            b ^ key[i % 4] for i, b in enumerate(payload))
        batch = frame * 1000
        c.setblocking(False)
        sent = 0
        total = len(frame) * count
        stalled_since = None
        started = time.monotonic()
        while sent < total:
            try:
                chunk = batch[(sent % len(batch)):] if sent % len(batch) else batch
                chunk = chunk[: total - sent]
                n = c.send(chunk)
                sent += n
                stalled_since = None
            except BlockingIOError:
                if stalled_since is None:
                    stalled_since = time.monotonic()
                elif time.monotonic() - stalled_since > 3:
                    break
                time.sleep(0.01)
        grown = rss(server.pid) - before
        print(f"{os.path.basename(binary)}: {sent // len(frame):,} of {count:,} unread pings "
              f"sent in {time.monotonic() - started:.1f} s "
              f"({'all' if sent == total else 'server stopped reading'}); "
              f"server RSS +{grown / 2**20:.2f} MiB")
        alive = server.poll() is None
        print(f"server {'still running' if alive else 'exited'}")
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main()
