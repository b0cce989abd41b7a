#!/usr/bin/env bash
# The first hour of a new user: a throwaway project outside the repository
# whose Cargo.toml has exactly the dependency lines of the README's
# "Install" section, its main scripts/first-hour/main.rs. osc-serde is not
# on crates.io yet, so `[patch.crates-io]` points the dependency at the
# packaged crate (scripts/package.sh). Builds and runs it offline, reusing
# the packaged crate's lock file.
#
# Usage: scripts/first-hour.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
unpacked=$(scripts/package.sh)

# The first ```toml block after "## Install", without its [dependencies] line.
deps=$(awk '/^## Install/ { on = 1 } on && /^```toml/ { block = 1; next }
            block && /^```/ { exit } block && !/^\[dependencies\]/ { print }' README.md)
if [ -z "$deps" ]; then
    echo "first-hour.sh: no \`\`\`toml block under '## Install' in README.md" >&2
    exit 1
fi

project=$(mktemp -d)
trap 'rm -rf "$project"' EXIT
mkdir "$project/src"
cat >"$project/Cargo.toml" <<TOML
[package]
name = "first-hour"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
$deps

[patch.crates-io]
osc-serde = { path = "$unpacked" }
TOML
cp scripts/first-hour/main.rs "$project/src/main.rs"
cp "$unpacked/Cargo.lock" "$project/Cargo.lock"
echo "first-hour.sh: a new project in $project with:" >&2
sed 's/^/    /' <<<"$deps" >&2
cd "$project"
CARGO_TARGET_DIR="$repo/target/first-hour" cargo run --offline
