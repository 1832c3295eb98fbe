#!/usr/bin/env bash
# Install the test peers (idempotent, quiet on success):
#   - tools/.venv       : kosoku (Autobahn TestSuite runner) from tools/requirements.txt
#   - tools/node/node_modules : ws, faye-websocket, websocket-driver, permessage-deflate,
#                               puppeteer-core, eventsource from package-lock.json
#   - Debian redis-server and chromium, for the chat demo's Redis and browser tests,
#     tmux, the terminal wscat's interactive tests type into,
#     and valgrind for the bench crate's smoke check
# Re-installs only when the pinned files changed since the last successful install.
set -euo pipefail

tools="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# run CMD...: run quietly; on failure show its output and exit.
run() {
  if ! "$@" >"$log" 2>&1; then
    echo "peers.sh: failed: $*" >&2
    cat "$log" >&2
    exit 1
  fi
}

sum() { cat "$@" | sha256sum | cut -d' ' -f1; }

exec 8>"$tools/.peers.lock" # one installer at a time
flock 8

# Debian: redis-server (the chat demo's scale-out), chromium (its
# browser test, driven by puppeteer-core), tmux (wscat's interactive
# tests) and valgrind (the bench smoke check), when missing.
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
command -v tmux >/dev/null || missing+=(tmux)
command -v valgrind >/dev/null || missing+=(valgrind) # the bench smoke check
if ((${#missing[@]})); then
  run apt-get update
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

# Python: kosoku
venv="$tools/.venv"
want="$(sum "$tools/requirements.txt")"
if [[ ! -x "$venv/bin/kosoku" || "$(cat "$venv/.peers-stamp" 2>/dev/null)" != "$want" ]]; then
  "$venv/bin/python" -c '' 2>/dev/null || run python3 -m venv --clear "$venv"
  run "$venv/bin/python" -m pip install --disable-pip-version-check --no-input \
    --require-hashes --only-binary=:all: -r "$tools/requirements.txt"
  echo "$want" >"$venv/.peers-stamp"
fi

# Node: ws & co
node_dir="$tools/node"
want="$(sum "$node_dir/package.json" "$node_dir/package-lock.json")"
if [[ "$(cat "$node_dir/node_modules/.peers-stamp" 2>/dev/null)" != "$want" ]]; then
  # puppeteer-core drives Debian's /usr/bin/chromium: no browser download.
  run env PUPPETEER_SKIP_DOWNLOAD=1 npm ci --prefix "$node_dir" --no-audit --no-fund --loglevel=error
  echo "$want" >"$node_dir/node_modules/.peers-stamp"
fi
