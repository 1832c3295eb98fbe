#!/usr/bin/env bash
# Every test wsdriver has, on a fresh clone: installs the test peers
# (kosoku from PyPI, ws/faye-websocket from npm, pinned by lockfiles into
# ignored folders; redis-server and chromium from Debian), then format and
# lint checks, unit, golden-vector and property tests, the chat demo in
# headless Chromium and over Redis, the Autobahn TestSuite in both modes,
# and Node interop.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n== %s\n' "$*"; }

# The same checks everywhere: settings the tools read from the environment
# could skip Autobahn cases, narrow them or swap the binaries under test.
for var in ALLOW_RUNNER_FAULTS AUTOBAHN_EXCLUDE EXPECT_CASES ECHO_SERVER ECHO_ARGS \
  AUTOBAHN_CLIENT CLIENT_ARGS AUTOBAHN_OUT AUTOBAHN_PARALLEL AUTOBAHN_TIMEOUT \
  READY_TIMEOUT CASE_TIMEOUT; do
  if [[ -n "${!var+set}" ]]; then
    echo "test-all.sh: ignoring $var from the environment" >&2
    unset "$var"
  fi
done

step "test peers"
tools/peers.sh

step "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --all-features -- -D warnings
cargo clippy --workspace --all-targets -- -D warnings # as a plain `cargo test` builds
# The tokio crate without its default features (rustls, native-roots,
# deflate): bare, and as an axum-only server would build it.
cargo clippy -p wsdriver-tokio --all-targets --no-default-features -- -D warnings
cargo check -p wsdriver-tokio --no-default-features --features axum
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p wsdriver-tokio
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p wsdriver-tokio --all-features
# TLS through rustls only (SECURITY.md): no OpenSSL or native-tls anywhere.
for crate in openssl-sys native-tls; do
  if cargo tree --workspace --all-features -e normal -i "$crate" >/dev/null 2>&1; then
    echo "test-all.sh: $crate is in the dependency tree" >&2
    exit 1
  fi
done
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p wsdriver-tokio --no-default-features
# The rust-version in Cargo.toml, when that toolchain is installed
# (`rustup toolchain install 1.89 --profile minimal`; not fetched here).
msrv=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)
if rustup toolchain list 2>/dev/null | grep -q "^$msrv[.-]"; then
  # wscat, a program, asks for a newer Rust of its own (its Cargo.toml);
  # the bench crate (not published) builds its peers, which set their own.
  cargo "+$msrv" check --workspace --exclude wscat --exclude bench --all-targets --all-features
else
  echo "test-all.sh: Rust $msrv is not installed; rust-version not checked" >&2
fi
# Every crate packages (versions, license, readme), built from its package.
# In a target dir of its own: cargo keeps the sources of a packaged crate
# by name and version, so a second run in the same place would verify the
# dependents against the first run's copy of wsdriver 0.1.0.
package_dir=$(mktemp -d)
# The chat demo (wsdriver-demo) and the bench crate are publish = false:
# not packaged.
CARGO_TARGET_DIR="$package_dir" cargo package --workspace --exclude wsdriver-demo --exclude bench --allow-dirty --quiet
rm -rf "$package_dir"

# --all-features turns on `interop`: the tests against real peers, the
# chat demo's among them (a redis-server of its own, two chat processes,
# two pages in headless Chromium).
step "unit, golden-vector, property and interop tests (the chat demo in Chromium and over Redis)"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --all-features --no-fail-fast
else
  cargo test --workspace --all-features --no-fail-fast --lib --bins --tests --examples
fi
cargo test --workspace --all-features --doc
cargo test -p wsdriver-tokio --no-default-features
python3 tools/test_autobahn_check.py

step "release examples"
cargo build --release --workspace --examples --all-features

# The bench crate's smoke check (issue 14): wsdriver-tokio's user-space
# instructions per echoed message under valgrind, 100 x 20 B text and
# 10 x 16 KiB binary, against bench/baseline.json; fails when either grows
# more than 10%. Instruction counts do not mind a busy machine. About a
# minute and a half, most of it the LTO build of the echo server. After an
# intended change: `cargo run --release -p bench -- smoke --update`.
step "bench smoke: instructions per message against bench/baseline.json"
cargo run --release -q -p bench -- smoke

# Issue 15: every parser under libFuzzer (cargo fuzz, installed pinned
# into tools/.cargo-fuzz), 15 s per target from the committed corpus; the
# reference decoder's own tests first. A crash fails the run and leaves
# its input in fuzz/artifacts/.
step "fuzzing: each target for 15 s"
cargo fmt --manifest-path fuzz/Cargo.toml -- --check
cargo clippy --manifest-path fuzz/Cargo.toml --all-targets -- -D warnings
tools/fuzz.sh 15

# Issue 15's soak, short: 1,000 connections on wsdriver-tokio's echo
# server for 20 s, random sizes up to 64 KiB, some dropped abruptly and
# replaced; fails unless every echo on a surviving connection came back
# intact. The long one: `cargo run --release -p bench -- soak`.
step "soak: 1,000 connections for 20 s"
cargo run --release -q -p bench -- soak --connections 1000 --seconds 20

# Issue 24: the same with permessage-deflate on both sides, every message
# compressed with context takeover, one in sixteen empty; an empty
# message once put the peer's inflater out of step (corrupt echoes after).
step "soak with permessage-deflate: 200 connections for 15 s"
cargo run --release -q -p bench -- soak --connections 200 --seconds 15 --deflate

step "the newcomer's programs check themselves (client, token_server, axum_chat)"
target/release/examples/client
target/release/examples/token_server
target/release/examples/axum_chat

step "out of file descriptors: the example servers keep serving"
python3 tools/fd_check.py

# Two Autobahn runs at a time (kosoku is single-threaded; the machine has
# two cores), each into its own report folder; both must pass.
both() {
  local a=$1 b=$2 rc=0
  bash -c "$a" >/tmp/wsdriver-ab-1.log 2>&1 &
  local pa=$!
  bash -c "$b" >/tmp/wsdriver-ab-2.log 2>&1 &
  local pb=$!
  wait "$pa" || rc=1
  wait "$pb" || rc=1
  cat /tmp/wsdriver-ab-1.log /tmp/wsdriver-ab-2.log
  return $rc
}
s1_10="'1.*' '2.*' '3.*' '4.*' '5.*' '6.*' '7.*' '9.*' '10.*'"

step "Autobahn 1-10, blocking examples: server mode (echo_server) and client mode (autobahn_client)"
both "AUTOBAHN_OUT=tools/reports/server tools/autobahn.sh server $s1_10" \
     "AUTOBAHN_OUT=tools/reports/client tools/autobahn.sh client $s1_10"

step "Autobahn 1-10, tokio examples: server mode (tokio_echo_server) and client mode (tokio_autobahn_client)"
both "ECHO_SERVER=target/release/examples/tokio_echo_server AUTOBAHN_OUT=tools/reports/tokio-server tools/autobahn.sh server $s1_10" \
     "AUTOBAHN_CLIENT=target/release/examples/tokio_autobahn_client AUTOBAHN_OUT=tools/reports/tokio-client tools/autobahn.sh client $s1_10"

# Sections 12 and 13 are permessage-deflate: all 216 cases, in both modes,
# for both layers (4-5 minutes a run). The echo servers compress every
# message (threshold 0): kosoku errors on uncompressed text in these
# sections (a runner fault, see the reference page).
step "Autobahn 12-13 (permessage-deflate), blocking examples, both modes"
both "ECHO_ARGS=--deflate AUTOBAHN_OUT=tools/reports/server-deflate tools/autobahn.sh server '12.*' '13.*'" \
     "CLIENT_ARGS=--deflate AUTOBAHN_OUT=tools/reports/client-deflate tools/autobahn.sh client '12.*' '13.*'"

step "Autobahn 12-13 (permessage-deflate), tokio examples, both modes"
both "ECHO_SERVER=target/release/examples/tokio_echo_server ECHO_ARGS=--deflate AUTOBAHN_OUT=tools/reports/tokio-server-deflate tools/autobahn.sh server '12.*' '13.*'" \
     "AUTOBAHN_CLIENT=target/release/examples/tokio_autobahn_client CLIENT_ARGS=--deflate AUTOBAHN_OUT=tools/reports/tokio-client-deflate tools/autobahn.sh client '12.*' '13.*'"

step "interop: Node ws client and a hixie-76 client against echo_server"
tools/interop.sh

step "all tests passed"
