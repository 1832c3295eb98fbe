#!/usr/bin/env python3
"""Speaks draft-hixie-thewebsocketprotocol-76 to a server over real TCP:
the draft's own example handshake (the answer must be 8jKS'y:G*Co,Wxa-),
a text echo, then the FF 00 closing handshake. Usage: hixie76_check.py HOST:PORT"""
import socket
import sys

host, port = sys.argv[1].rsplit(":", 1)
request = (
    b"GET /demo HTTP/1.1\r\n"
    b"Host: example.com\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\n"
    b"Upgrade: WebSocket\r\n"
    b"Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\n"
    b"Origin: http://example.com\r\n"
    b"\r\n"
)


def fail(message):
    print(f"hixie76_check: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def read_until(sock, predicate, what):
    data = b""
    while not predicate(data):
        chunk = sock.recv(4096)
        if not chunk:
            fail(f"connection closed while waiting for {what}; got {data!r}")
        data += chunk
    return data


with socket.create_connection((host, int(port)), timeout=10) as sock:
    # Send the head first and the 8 challenge bytes later, as a proxy that
    # holds them back would.
    sock.sendall(request)
    head = read_until(sock, lambda d: b"\r\n\r\n" in d, "the response head")
    status = head.split(b"\r\n", 1)[0]
    if status != b"HTTP/1.1 101 WebSocket Protocol Handshake":
        fail(f"unexpected status line {status!r}")
    if b"\r\nSec-WebSocket-Location: ws://example.com/demo\r\n" not in head:
        fail(f"no Sec-WebSocket-Location in {head!r}")
    sock.sendall(b"^n:ds[4U")
    rest = head.split(b"\r\n\r\n", 1)[1]
    rest += read_until(sock, lambda d: len(rest + d) >= 16, "the challenge answer")
    if rest[:16] != b"8jKS'y:G*Co,Wxa-":
        fail(f"challenge answer {rest[:16]!r}, expected b\"8jKS'y:G*Co,Wxa-\"")
    sock.sendall(b"\x00h\xc3\xa9llo hixie\xff")
    echo = rest[16:] + read_until(sock, lambda d: (rest[16:] + d).endswith(b"\xff"), "the echo")
    if echo != b"\x00h\xc3\xa9llo hixie\xff":
        fail(f"echo {echo!r}")
    sock.sendall(b"\xff\x00")
    closing = read_until(sock, lambda d: d.endswith(b"\xff\x00"), "the closing frame")
    if closing != b"\xff\x00":
        fail(f"closing frame {closing!r}")
    if sock.recv(16) != b"":
        fail("the server did not end the connection after closing")
print("hixie76_check: OK (8jKS'y:G*Co,Wxa-, echo, FF 00 close)")
