#!/usr/bin/env bash
# Packages the crate as `cargo publish` would (`cargo package`) and unpacks
# the .crate into DIR (default target/packaged), printing the unpacked
# crate's path on standard output. Fails if `cargo package` warns (missing
# metadata, files it leaves out that the manifest names, ...).
#
# Usage: scripts/package.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-target/packaged}"

# A CI clone is clean; a developer's work tree may not be.
allow=()
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then
    allow=(--allow-dirty)
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# --no-verify: the unpacked copy is built and tested by the caller instead.
cargo package --offline --no-verify "${allow[@]}" >"$log" 2>&1 || {
    cat "$log" >&2
    exit 1
}
if grep -q '^warning' "$log"; then
    cat "$log" >&2
    echo "package.sh: cargo package warned" >&2
    exit 1
fi
crate=$(ls -t target/package/osc-serde-*.crate | head -n 1)
rm -rf "$dir"
mkdir -p "$dir"
# -m: the files get the time of extraction, not the archive's: cargo judges
# a path crate's freshness by mtimes, and an older copy could otherwise be
# taken as already built by an earlier run.
tar -xzmf "$crate" -C "$dir"
unpacked="$dir/$(basename "$crate" .crate)"
echo "package.sh: $crate ($(wc -c <"$crate") bytes, $(tar -tzf "$crate" | wc -l) files) -> $unpacked" >&2
realpath "$unpacked"
