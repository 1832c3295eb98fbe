#!/usr/bin/env bash
# Interop with real Node peers: npm `ws` as a client of our echo_server.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tools/peers.sh

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
target/release/examples/echo_server "127.0.0.1:$port" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do (: >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

timeout 60 node tools/node/ws_echo_check.js "ws://127.0.0.1:$port/"
