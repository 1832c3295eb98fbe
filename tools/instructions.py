#!/usr/bin/env python3
"""User-space instructions per echoed message of an echo server, under
cachegrind: the load is run twice with different message counts and the
difference is divided by the extra messages, so start-up and handshakes
cancel out.

    tools/instructions.py target/release/examples/tokio_echo_server [SIZE] [CONNS]

The server must take its listen address as its first argument and print
one line on stderr once listening. Until the bench crate exists (issue
14) this compares wsdriver with itself, before and after a change."""
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "attack"))
from common import REQUEST, read_101  # noqa: E402

TUNABLES = (
    "glibc.cpu.x86_rep_movsb_threshold=1099511627776:"
    "glibc.cpu.x86_rep_stosb_threshold=1099511627776"
)


def frame(payload):
    mask = b"\x37\xfa\x21\x3d"
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x82, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x82, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x82, 0x80 | 127, n)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + mask + masked


def recv_exact(sock, n):
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise RuntimeError("server closed")
        data += chunk
    return bytes(data)


def run(binary, size, conns, messages):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tempfile.mktemp(prefix="cg.")
    env = dict(os.environ, GLIBC_TUNABLES=TUNABLES)
    server = subprocess.Popen(
        ["valgrind", "-q", "--tool=cachegrind", "--cache-sim=no",
         f"--cachegrind-out-file={out}", binary, f"127.0.0.1:{port}"],
        stderr=subprocess.PIPE, env=env)
    while b"listening" not in server.stderr.readline():
        pass
    payload = bytes((i * 7) & 0xFF for i in range(size))
    data = frame(payload)
    expect = len(payload) + (2 if size < 126 else 4 if size < 65536 else 10)
    socks = []
    for _ in range(conns):
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(REQUEST)
        read_101(s)
        socks.append(s)
    for _ in range(messages // conns):
        for s in socks:
            s.sendall(data)
        for s in socks:
            echo = recv_exact(s, expect)
            assert echo[-size:] == payload
    for s in socks:
        s.close()
    time.sleep(0.5)
    server.terminate()
    server.wait()
    with open(out) as f:
        for line in f:
            if line.startswith("summary:"):
                os.unlink(out)
                return int(line.split()[1])
    raise RuntimeError("no cachegrind summary")


def main():
    binary = sys.argv[1]
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    conns = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    low, high = 1000, 3000
    a = run(binary, size, conns, low)
    b = run(binary, size, conns, high)
    print(f"{binary} {size} B x {conns} conns: {(b - a) / (high - low):,.0f} instructions/message")


if __name__ == "__main__":
    main()
