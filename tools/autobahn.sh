#!/usr/bin/env bash
# Run Autobahn TestSuite cases (via kosoku) against wsdriver and check the report.
#
#   tools/autobahn.sh server '1.*' '2.*' ...   # kosoku fuzzingclient -> our echo server
#   tools/autobahn.sh client '1.*' '2.*' ...   # our client -> kosoku fuzzingserver
#
# Patterns are kosoku case ids or `*` globs ('*' alone = whole suite).
# Env:
#   ECHO_SERVER      server command, gets HOST:PORT  (default target/release/examples/echo_server)
#   ECHO_ARGS        extra args after HOST:PORT
#   AUTOBAHN_CLIENT  client command, gets URL AGENT  (default target/release/examples/autobahn_client)
#   CLIENT_ARGS      extra args after URL AGENT
#   AUTOBAHN_EXCLUDE case globs to leave out (space separated)
#   AUTOBAHN_PARALLEL cases run at once in server mode (default 1)
#   AUTOBAHN_OUT     report dir (default tools/reports/<mode>); runs sharing one are serialized
#   AUTOBAHN_TIMEOUT seconds for the whole run (default 1200); READY_TIMEOUT for startup (30)
#   CASE_TIMEOUT     server mode: seconds before a case is abandoned as TIMEOUT (default 120)
#   ALLOW_RUNNER_FAULTS, EXPECT_CASES: see tools/autobahn_check.py
# Reports: tools/reports/<mode>/ (index.json, per-case json/html, kosoku.log, peer.log).
set -euo pipefail

usage() { echo "usage: tools/autobahn.sh server|client CASE_PATTERN..." >&2; exit 2; }
[[ $# -ge 2 && ($1 == server || $1 == client) ]] || usage
mode=$1
shift

cd "$(dirname "${BASH_SOURCE[0]}")/.."
tools/peers.sh
# The binaries under test are the release examples: build them first, so
# that a stale build is never what passes.
cargo build --quiet --release --workspace --examples --all-features
kosoku=tools/.venv/bin/kosoku
out=${AUTOBAHN_OUT:-tools/reports/$mode}
mkdir -p "$out"
# Serialize runs sharing a report dir (a second run would wipe the first one's files).
exec 9>"$out.lock"
flock -w "${AUTOBAHN_TIMEOUT:-1200}" 9 || { echo "autobahn.sh: $out is locked by another run" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"

sel=()
for p in "$@"; do sel+=(-i "$p"); done
read -ra excl <<<"${AUTOBAHN_EXCLUDE:-}"
for p in "${excl[@]}"; do sel+=(-x "$p"); done
run_timeout=${AUTOBAHN_TIMEOUT:-1200}
ready_timeout=${READY_TIMEOUT:-30}
port=$(tools/.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

say() { echo "autobahn.sh: $*" >&2; }

# Peers run in their own process group so that wrappers (node, sh -c...) die with them.
peers=()
start_peer() { setsid "$@" & peers+=($!); }
stop_peers() { for p in "${peers[@]}"; do kill -- "-$p" 2>/dev/null || true; done; }
trap stop_peers EXIT

# wait_until SECS PID CMD...: poll CMD until it succeeds; fail if PID exits or SECS pass.
wait_until() {
  local secs=$1 pid=$2 i
  shift 2
  for ((i = 0; i < secs * 10; i++)); do
    "$@" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { say "peer exited before it was ready"; return 1; }
    sleep 0.1
  done
  say "peer not ready after ${secs}s"
  return 1
}
# wait_exit SECS PID: true once PID has exited, false if it is still running after SECS.
wait_exit() {
  local i
  for ((i = 0; i < $1 * 10; i++)); do kill -0 "$2" 2>/dev/null || return 0; sleep 0.1; done
  return 1
}
tcp_open() { (: >"/dev/tcp/127.0.0.1/$1"); }
show_log() { say "--- last lines of $1:"; tail -n 20 "$1" >&2 || true; }

t0=$SECONDS
if [[ $mode == server ]]; then
  read -ra cmd <<<"${ECHO_SERVER:-target/release/examples/echo_server}"
  read -ra extra <<<"${ECHO_ARGS:-}"
  start_peer "${cmd[@]}" "127.0.0.1:$port" "${extra[@]}" >"$out/peer.log" 2>&1
  server=${peers[-1]}
  wait_until "$ready_timeout" "$server" tcp_open "$port" || { show_log "$out/peer.log"; exit 1; }
  rc=0
  # kosoku's fuzzingclient through its Python API, with a timeout per case (see kosoku_run.py)
  timeout -k 10 "$run_timeout" tools/.venv/bin/python tools/kosoku_run.py "ws://127.0.0.1:$port" "$out" \
    "${sel[@]}" -t "${CASE_TIMEOUT:-120}" -p "${AUTOBAHN_PARALLEL:-1}" >"$out/kosoku.log" 2>&1 || rc=$?
  if ! kill -0 "$server" 2>/dev/null; then
    st=0 && wait "$server" || st=$?
    say "echo server died during the run (exit status $st)"
    show_log "$out/peer.log"
  fi
else
  start_peer timeout -k 10 "$((run_timeout + 60))" "$kosoku" -m fuzzingserver -o "$out" "${sel[@]}" \
    "127.0.0.1:$port" >"$out/kosoku.log" 2>&1
  fuzzer=${peers[-1]}
  wait_until "$ready_timeout" "$fuzzer" grep -q 'listening on' "$out/kosoku.log" || { show_log "$out/kosoku.log"; exit 1; }
  read -ra cmd <<<"${AUTOBAHN_CLIENT:-target/release/examples/autobahn_client}"
  read -ra extra <<<"${CLIENT_ARGS:-}"
  crc=0
  timeout -k 10 "$run_timeout" "${cmd[@]}" "ws://127.0.0.1:$port" wsdriver "${extra[@]}" \
    >"$out/peer.log" 2>&1 || crc=$?
  [[ $crc == 0 ]] || { say "client exited with status $crc"; show_log "$out/peer.log"; }
  # kosoku ends (and writes the report) on /updateReports; if the client did not get
  # that far, ask for the report ourselves so that the partial results are kept.
  if ! wait_exit "$([[ $crc == 0 ]] && echo 10 || echo 1)" "$fuzzer"; then
    say "kosoku still running after the client exited: requesting /updateReports"
    timeout 30 node tools/node/ws_autobahn_client.js "ws://127.0.0.1:$port" wsdriver --update-only || true
    wait_exit 30 "$fuzzer" || say "kosoku did not finish: killing it"
  fi
  kill -- "-$fuzzer" 2>/dev/null || true
  rc=0
  wait "$fuzzer" || rc=$?
fi
case $rc in
  0 | 1) ;; # kosoku CLI: 1 = some case failed, the checker lists them
  124 | 137) say "kosoku timed out (AUTOBAHN_TIMEOUT=$run_timeout)"; show_log "$out/kosoku.log" ;;
  *) say "kosoku exited with status $rc"; show_log "$out/kosoku.log" ;;
esac
say "$mode run took $((SECONDS - t0))s"
tools/.venv/bin/python tools/autobahn_check.py "$out" "${sel[@]}"
