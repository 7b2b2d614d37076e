#!/usr/bin/env bash
# Runs the coverage-guided fuzz targets in fuzz/ (libFuzzer through the
# libfuzzer-sys crate) for a short while each: the FIX framer, the message
# parser, the dictionary validator and the sim venue's scenario parser.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 20 s, all)
#
# Built on the stable toolchain with the same coverage instrumentation
# cargo-fuzz uses (SanitizerCoverage through -Cpasses=sancov-module), without
# AddressSanitizer (safe Rust: panics, overflow and debug assertions are the
# bugs looked for). Each target starts from the seeds in fuzz/corpus/TARGET
# and grows a working corpus under target/fuzz-corpus/TARGET (not committed).
# A crash stops the run with a non-zero status and leaves the input in
# target/fuzz-artifacts/TARGET/; reproduce it with
#   fuzz/target/x86_64-unknown-linux-gnu/release/TARGET ARTIFACT
set -euo pipefail

cd "$(dirname "$0")/.."
REPO_DIR=$(pwd)
SECONDS_PER_TARGET=${1:-20}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(framer parser validator scenario)

HOST=$(rustc -vV | sed -n 's/^host: //p')
# --target keeps the instrumentation off build scripts (as cargo-fuzz does).
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
export CARGO_TARGET_DIR="$REPO_DIR/fuzz/target"
cargo build --release --manifest-path fuzz/Cargo.toml --target "$HOST" --bins

for t in "${TARGETS[@]}"; do
    corpus="$REPO_DIR/target/fuzz-corpus/$t"
    artifacts="$REPO_DIR/target/fuzz-artifacts/$t/"
    mkdir -p "$corpus" "$artifacts"
    printf '\n==> fuzz %s for %s s\n' "$t" "$SECONDS_PER_TARGET"
    local_log="$REPO_DIR/target/fuzz-$t.log"
    status=0
    "$CARGO_TARGET_DIR/$HOST/release/$t" -max_total_time="$SECONDS_PER_TARGET" \
        -artifact_prefix="$artifacts" -print_final_stats=1 "$corpus" "$REPO_DIR/fuzz/corpus/$t" \
        >"$local_log" 2>&1 || status=$?
    grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::new_units_added)' "$local_log" || true
    if [ "$status" -ne 0 ] || compgen -G "$artifacts*" >/dev/null; then
        tail -n 40 "$local_log" >&2
        echo "scripts/fuzz.sh: FAILED: fuzz target $t (exit status $status; log $local_log; inputs: $(ls "$artifacts"))" >&2
        exit 1
    fi
done
echo "fuzz: ${#TARGETS[@]} targets ran ${SECONDS_PER_TARGET} s each without a crash"
