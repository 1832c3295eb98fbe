#!/usr/bin/env python3
"""Server memory per idle connection (RSS), as a user would see it.

Starts SERVER (an echo server binary taking ADDR), opens N WebSocket
connections from this process, waits until all are open and idle, and
prints the growth of the server's resident set per connection; then closes
them all and prints what stays.

usage: tools/attack/idle_rss.py SERVER [N]   (N defaults to 9000; the
machine allows 20,000 descriptors a process)
"""
import os
import socket
import sys
import time

from common import REQUEST, read_101, rss, start_server


def main():
    binary = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 9000
    server, port = start_server(binary)
    try:
        time.sleep(0.3)
        before = rss(server.pid)
        clients = []
        for _ in range(count):
            c = socket.create_connection(("127.0.0.1", port))
            c.sendall(REQUEST)
            clients.append(c)
        for c in clients:
            read_101(c)
        time.sleep(1)
        idle = rss(server.pid)
        print(f"{os.path.basename(binary)}: {count} idle connections, "
              f"{(idle - before) / count:.0f} bytes of RSS each")
        for c in clients:
            c.close()
        time.sleep(2)
        print(f"after they all left: {(rss(server.pid) - before) / 2**20:.1f} MiB more than at start")
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main()
