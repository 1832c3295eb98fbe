#!/usr/bin/env bash
# Interop with real peers over TCP: npm `ws` as a client of our echo_server,
# and a hixie-76 client (the draft's own handshake vector) against
# echo_server --allow-drafts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tools/peers.sh
# The binaries under test are the release examples: build them first, so
# that a stale build is never what passes.
cargo build --quiet --release --workspace --examples --all-features

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
target/release/examples/echo_server "127.0.0.1:$port" --allow-drafts >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do (: >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

timeout 60 node tools/node/ws_echo_check.js "ws://127.0.0.1:$port/"
timeout 60 python3 tools/hixie76_check.py "127.0.0.1:$port"
