#!/usr/bin/env python3
"""Slowloris against SERVER: a request head dribbled one byte every 10 s.
Prints when and how the server ends the connection (status line, or none).

usage: tools/attack/slowloris.py SERVER [MAX_SECONDS]
"""
import socket
import sys
import time

from common import start_server

HEAD = b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"


def main():
    binary = sys.argv[1]
    limit = float(sys.argv[2]) if len(sys.argv) > 2 else 120
    server, port = start_server(binary)
    try:
        c = socket.create_connection(("127.0.0.1", port))
        started = time.monotonic()
        answer = b""
        for byte in HEAD:
            try:
                c.sendall(bytes([byte]))
            except OSError:
                break
            c.settimeout(10)
            try:
                data = c.recv(4096)
                answer += data
                if not data or answer:
                    while data:
                        data = c.recv(4096)
                        answer += data
                    break
            except socket.timeout:
                pass
            if time.monotonic() - started > limit:
                print(f"{binary.split('/')[-1]}: still open after {limit:.0f} s")
                return
        status = answer.split(b"\r\n")[0].decode() if answer else "no answer"
        print(f"{binary.split('/')[-1]}: dropped after {time.monotonic() - started:.1f} s: {status}")
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main()
