"""What the attack tools share: starting the server under test, a valid
request head, and reading a process's resident set."""
import socket
import subprocess

REQUEST = (
    b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


def start_server(binary):
    """Starts BINARY on a free loopback port; returns (process, port) once
    it has printed its first line ("... listening on ...")."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([binary, f"127.0.0.1:{port}"], stderr=subprocess.PIPE)
    server.stderr.readline()
    return server, port


def read_101(sock):
    """Reads a response head and checks that it opened the WebSocket."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(512)
    assert data.startswith(b"HTTP/1.1 101"), data


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")
