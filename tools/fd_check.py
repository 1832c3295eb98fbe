#!/usr/bin/env python3
"""The example servers survive running out of file descriptors, and the
blocking one out of threads.

Each server runs in a child process whose RLIMIT_NOFILE is lowered to 64
(setrlimit, before exec). This script opens 150 connections to it, waits
until the server reports that accept failed (EMFILE), checks it is still
running, lets the connections go, and then requires a WebSocket echo.

usage: tools/fd_check.py  (run from the repository root, after
`cargo build --release --workspace --examples --all-features`)
"""
import base64
import os
import resource
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

# (binary, WebSocket path, whether it logs accept errors: WebSocketServer
# has no logging yet, so for it running out is inferred from the numbers)
SERVERS = [
    ("target/release/examples/tokio_echo_server", "/", True),
    ("target/release/examples/echo_server", "/", True),
    ("target/release/examples/hyper_server", "/ws", True),
    ("target/release/examples/ws_server", "/", False),
]
LIMIT = 64
CONNECTIONS = 150


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lower_limit():
    resource.setrlimit(resource.RLIMIT_NOFILE, (LIMIT, LIMIT))


def echo(port, path):
    """One masked text frame out, the same text back."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        key = base64.b64encode(os.urandom(16)).decode()
        s.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: echo\r\n\r\n"
            ).encode()
        )
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                raise AssertionError(f"closed during the handshake: {data!r}")
            data += chunk
        head, rest = data.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 101"):
            raise AssertionError(f"no 101: {head!r}")
        text = b"still here"
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(text))
        s.sendall(struct.pack("!BB", 0x81, 0x80 | len(text)) + mask + masked)
        want = struct.pack("!BB", 0x81, len(text)) + text
        while len(rest) < len(want):
            chunk = s.recv(4096)
            if not chunk:
                break
            rest += chunk
        if rest[: len(want)] != want:
            raise AssertionError(f"bad echo: {rest!r}")


def read_available(fd):
    try:
        return os.read(fd, 65536).decode(errors="replace")
    except BlockingIOError:
        return ""


def check(binary, path, logs):
    port = free_port()
    server = subprocess.Popen(
        [binary, f"127.0.0.1:{port}"],
        preexec_fn=lower_limit,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = server.stderr.readline()  # "... listening on ..."
        if "listening" not in line:
            raise AssertionError(f"did not start: {line!r}")
        fd = server.stderr.fileno()
        os.set_blocking(fd, False)
        # More connections than the server has descriptors: it runs out.
        held = [socket.create_connection(("127.0.0.1", port)) for _ in range(CONNECTIONS)]
        log = ""
        deadline = time.monotonic() + (10 if logs else 1)
        while "accept failed" not in log and time.monotonic() < deadline:
            time.sleep(0.05)
            log += read_available(fd)
        if logs and "accept failed" not in log:
            raise AssertionError(f"never ran out of descriptors: {log!r}")
        if logs and "Too many open files" not in log:
            raise AssertionError(f"unexpected accept error: {log!r}")
        time.sleep(0.3)
        if server.poll() is not None:
            raise AssertionError(f"exited with {server.returncode} when out of descriptors")
        for s in held:
            s.close()
        time.sleep(0.3)
        echo(port, path)
        if server.poll() is not None:
            raise AssertionError(f"exited with {server.returncode}")
        print(f"ok   {binary}: out of descriptors at {LIMIT}, kept serving")
    finally:
        server.kill()
        server.wait()


# Issue 24: the blocking example starts a thread per connection; at the
# process's thread limit (a systemd TasksMax, pid_max, RLIMIT_NPROC) no
# thread can be made, and `thread::spawn` panicked in main (exit 101). It
# must refuse the connection it cannot serve and go on. The limit is
# RLIMIT_NPROC, which counts every task of the user: the server runs as
# `nobody` when this runs as root (root is exempt from it), else with room
# for THREADS more tasks than the user has now.
THREADS = 40
THREAD_CONNECTIONS = 80


def tasks_of(uid):
    count = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.stat(f"/proc/{pid}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{pid}/task"))
            except OSError:
                pass
    return count


def limit_threads():
    if os.geteuid() == 0:
        nobody = 65534
        limit = tasks_of(nobody) + THREADS
        resource.setrlimit(resource.RLIMIT_NPROC, (limit, limit))
        os.setgid(nobody)
        os.setuid(nobody)
    else:
        limit = tasks_of(os.getuid()) + THREADS
        resource.setrlimit(resource.RLIMIT_NPROC, (limit, limit))


def handshake_only(port):
    """A socket that completed its handshake and holds its thread."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(
        (
            f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    return s


def runnable_by_nobody(binary):
    """A copy of BINARY that `nobody` can run: a fresh clone may sit in a
    folder only root can enter (mktemp -d makes it 0700)."""
    if os.geteuid() != 0:
        return binary
    folder = tempfile.mkdtemp(prefix="fd_check.")
    os.chmod(folder, 0o755)
    copy = os.path.join(folder, os.path.basename(binary))
    shutil.copy(binary, copy)
    os.chmod(copy, 0o755)
    return copy


def check_threads(binary):
    port = free_port()
    runnable = runnable_by_nobody(binary)
    server = subprocess.Popen(
        [runnable, f"127.0.0.1:{port}"],
        preexec_fn=limit_threads,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = server.stderr.readline()
        if "listening" not in line:
            raise AssertionError(f"did not start: {line!r}")
        fd = server.stderr.fileno()
        os.set_blocking(fd, False)
        held = []
        log = ""
        for _ in range(THREAD_CONNECTIONS):
            try:
                held.append(handshake_only(port))
            except OSError:
                break
            log += read_available(fd)
            if server.poll() is not None:
                break
        time.sleep(0.3)
        log += read_available(fd)
        if server.poll() is not None:
            raise AssertionError(f"exited with {server.returncode} out of threads: {log[-500:]!r}")
        if "cannot start a thread" not in log:
            raise AssertionError(f"never ran out of threads in {len(held)} connections: {log[-500:]!r}")
        for s in held:
            s.close()
        time.sleep(0.5)
        echo(port, "/")
        refused = log.count("cannot start a thread")
        print(f"ok   {binary}: {refused} of {len(held)} connections refused out of threads "
              f"(RLIMIT_NPROC, {THREADS} tasks), kept serving")
    finally:
        server.kill()
        server.wait()
        if runnable != binary:
            shutil.rmtree(os.path.dirname(runnable), ignore_errors=True)


def main():
    failed = False
    for binary, path, logs in SERVERS:
        try:
            check(binary, path, logs)
        except Exception as error:  # report every server, then fail
            failed = True
            print(f"FAIL {binary}: {error}")
    binary = "target/release/examples/echo_server"
    try:
        check_threads(binary)
    except Exception as error:
        failed = True
        print(f"FAIL {binary} out of threads: {error}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
