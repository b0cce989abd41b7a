#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time and fails on any
# crash. Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
#
# Only the stable toolchain exists on our machines; cargo-fuzz needs nightly
# flags (-Zsanitizer, …), which RUSTC_BOOTSTRAP=1 unlocks on stable.
# Seeds come from tests/fuzz/corpus/<target>/ (committed, also run by `cargo test`
# through tests/fuzz_corpus.rs); inputs the fuzzer finds go to
# fuzz/work/<target>/ (git-ignored) so the committed corpus stays small.
# A crash leaves its input in fuzz/artifacts/<target>/.
set -euo pipefail

secs="${1:-60}"
case "$secs" in
    '' | *[!0-9]*) echo "usage: $0 [SECONDS_PER_TARGET]" >&2; exit 2 ;;
esac

cd "$(dirname "$0")/.."
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

targets=$(cargo fuzz list)
cargo fuzz build

log_dir=fuzz/work/logs
mkdir -p "$log_dir"
failed=()
for target in $targets; do
    mkdir -p "fuzz/work/$target" "tests/fuzz/corpus/$target"
    log="$log_dir/$target.log"
    echo "fuzz.sh: $target for ${secs}s (log: $log)"
    status=0
    # -timeout: an input taking over 10 s is a hang; -rss_limit_mb also caps
    # any single allocation, which the decoders bound by the input size.
    cargo fuzz run "$target" "fuzz/work/$target" "tests/fuzz/corpus/$target" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
        -print_final_stats=1 >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [ "$status" -eq 0 ]; then
        echo "fuzz.sh: $target: ${runs:-?} executions, no crash"
    else
        echo "fuzz.sh: $target: CRASH (exit $status) after ${runs:-?} executions" >&2
        grep -E '^(==[0-9]+==ERROR|thread .* panicked|Test unit written|artifact_prefix)' "$log" >&2 || tail -n 30 "$log" >&2
        failed+=("$target")
    fi
done

if [ "${#failed[@]}" -ne 0 ]; then
    echo "fuzz.sh: crashes in: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz.sh: all targets ran ${secs}s without a crash"
