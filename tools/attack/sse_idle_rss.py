#!/usr/bin/env python3
"""Server memory per idle EventSource stream (RSS), and what stays once
they close (issue 24: 23.6 KiB each on the chat demo, none given back).

Starts SERVER (a binary taking ADDR that serves an event stream at
/events, such as the chat demo), opens N streams from this process, reads
what they were sent, waits, and prints the growth of the server's resident
set per stream; then closes them all and prints what stays after TRIM
seconds (the demo gives freed memory back every 5 s).

usage: tools/attack/sse_idle_rss.py SERVER [N]   (N defaults to 5000)
e.g.   cargo build --release --example chat &&
       tools/attack/sse_idle_rss.py target/release/examples/chat 5000
"""
import os
import socket
import sys
import time

from common import rss, start_server

REQUEST = b"GET /events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n"
TRIM = 7


def drain(sockets):
    for s in sockets:
        s.setblocking(False)
        try:
            while s.recv(65536):
                pass
        except BlockingIOError:
            pass


def main():
    binary = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    server, port = start_server(binary)
    try:
        time.sleep(0.5)
        before = rss(server.pid)
        streams = []
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(REQUEST)
            streams.append(s)
        time.sleep(3)
        drain(streams)
        time.sleep(1)
        held = rss(server.pid)
        print(f"{count} idle event streams: {(held - before) / count:.0f} B each "
              f"(RSS {before >> 20} -> {held >> 20} MiB)")
        for s in streams:
            s.close()
        time.sleep(TRIM)
        after = rss(server.pid)
        fds = len(os.listdir(f"/proc/{server.pid}/fd"))
        print(f"{TRIM} s after they closed: {(after - before) / count:.0f} B each stay "
              f"(RSS {after >> 20} MiB, {fds} descriptors open)")
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main()
