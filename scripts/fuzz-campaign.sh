#!/usr/bin/env bash
# A longer fuzzing campaign than CI's: every cargo-fuzz target in fuzz/ for
# SECONDS_PER_TARGET (default 600, through scripts/fuzz.sh), then a
# minimising merge of what was found into the committed corpus
# (tests/fuzz/corpus/<target>/).
#
# Usage: scripts/fuzz-campaign.sh [SECONDS_PER_TARGET]
#
# scripts/fuzz.sh leaves the inputs it finds in fuzz/work/<target>/
# (git-ignored) and stops the campaign on a crash (its input is then in
# fuzz/artifacts/<target>/; once fixed, add it to the corpus so that
# `cargo test` keeps checking it). The merge (libFuzzer -merge=1, the
# mechanism of `cargo fuzz cmin`) then adds to tests/fuzz/corpus/<target>/ only
# the inputs that reach coverage the corpus does not, smallest first, and
# keeps the named seeds as they are (tests/fuzz_corpus*.rs look some up by
# name). Review the new files and commit them.
set -euo pipefail

secs="${1:-600}"
cd "$(dirname "$0")/.."
scripts/fuzz.sh "$secs"

export RUSTC_BOOTSTRAP=1
log_dir=fuzz/work/logs
for target in $(cargo fuzz list); do
    before=$(find "tests/fuzz/corpus/$target" -type f | wc -l)
    cargo fuzz run "$target" "tests/fuzz/corpus/$target" "fuzz/work/$target" -- \
        -merge=1 -timeout=10 -rss_limit_mb=1024 >"$log_dir/merge-$target.log" 2>&1
    after=$(find "tests/fuzz/corpus/$target" -type f | wc -l)
    echo "fuzz-campaign.sh: $target: corpus $before -> $after files"
done
echo "fuzz-campaign.sh: done; review and commit tests/fuzz/corpus/"
