#!/usr/bin/env bash
# Runs the test suite of the crate as published: packages it
# (scripts/package.sh), then `cargo test --offline` inside the unpacked
# copy, with the lock file it ships and the registry cache already filled,
# so that a test needing a file the package leaves out fails here.
#
# Usage: scripts/package-test.sh [CARGO TEST ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
unpacked=$(scripts/package.sh)
# A target directory of its own: cargo names a path crate's artefacts by
# its path relative to the workspace, the same for the repository and the
# unpacked copy, and the unpacked files are older than the repository's
# artefacts, so in a shared directory the copy could be taken as built.
target="$PWD/target/packaged-target"
(cd "$unpacked" && CARGO_TARGET_DIR="$target" cargo test --offline "$@")
