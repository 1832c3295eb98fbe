#!/usr/bin/env bash
# Runs every fuzz target of fuzz/ (cargo fuzz, libFuzzer) for SECONDS each
# (default 20), starting from the committed corpus fuzz/corpus/TARGET;
# what a run finds goes to a scratch folder, not the committed corpus.
# Installs cargo-fuzz, pinned, into tools/.cargo-fuzz (ignored) first.
#   tools/fuzz.sh [SECONDS] [TARGET...]
# FUZZ_OUT=DIR keeps the new inputs and logs in DIR. A crash stops the
# script with the input libFuzzer saved under fuzz/artifacts/TARGET/;
# replay it with
#   tools/.cargo-fuzz/bin/cargo-fuzz run --fuzz-dir fuzz -s none TARGET FILE
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CARGO_FUZZ_VERSION=0.13.2
seconds=${1:-20}
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <(sed -n 's/^name = "\(.*\)"/\1/p' fuzz/Cargo.toml | grep -v '^wsdriver-fuzz$')
fi

bin=tools/.cargo-fuzz/bin/cargo-fuzz
if [[ "$("$bin" --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]]; then
  cargo install --quiet --locked --root tools/.cargo-fuzz cargo-fuzz --version "$CARGO_FUZZ_VERSION"
fi

# The reference decoder's own tests first: the fuzz targets trust it.
cargo test --quiet --manifest-path fuzz/Cargo.toml --lib

# -s none: no sanitizer, so the stable toolchain builds it (the only
# unsafe code the targets reach is the AVX2 unmasking, the UTF-8 view of
# a validated message and zlib's C-shaped API; the assertions here check
# their results); debug assertions on, so overflows panic.
"$bin" build --fuzz-dir fuzz -s none --debug-assertions
# FUZZ_OUT=DIR keeps what the runs find (DIR/TARGET) and their logs, for
# `cargo fuzz cmin` into the committed corpus after a long run.
if [[ -n "${FUZZ_OUT:-}" ]]; then
  scratch=$FUZZ_OUT
  mkdir -p "$scratch"
else
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
fi
for target in "${targets[@]}"; do
  mkdir -p "$scratch/$target" "fuzz/corpus/$target"
  echo "fuzz: $target for ${seconds}s"
  log="$scratch/$target.log"
  if ! "$bin" run --fuzz-dir fuzz -s none --debug-assertions "$target" \
    "$scratch/$target" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "fuzz: $target failed; the input is under fuzz/artifacts/$target/" >&2
    exit 1
  fi
  grep -E '^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|peak_rss_mb)' "$log" || true
done
