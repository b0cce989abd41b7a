#!/usr/bin/env bash
# Proves the declared minimum Rust version (`rust-version` in Cargo.toml)
# with a real toolchain of that version: Debian bookworm's rustc-web and
# cargo-web 1.85, installed by exact version into /usr/bin (rustup's
# toolchain stays first on PATH). Builds the library with its default
# features, with none, alloc alone, std without the transport, and all, in
# a target directory of its own.
# Only the library: the dev-dependencies (tests, benches) need a newer Rust.
#
# Usage: scripts/msrv.sh
set -euo pipefail
cd "$(dirname "$0")/.."

version=1.85.0+dfsg3-1~deb12u3
declared=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)
if [ "$declared" != "1.85" ]; then
    echo "msrv.sh: Cargo.toml declares rust-version $declared; this script checks 1.85" >&2
    exit 1
fi
if ! /usr/bin/rustc --version 2>/dev/null | grep -q '^rustc 1\.85\.'; then
    echo "msrv.sh: installing Debian's Rust $version" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        "rustc-web=$version" "cargo-web=$version" \
        "libstd-rust-web-dev=$version" "libstd-rust-web-1.85=$version"
fi
/usr/bin/rustc --version
/usr/bin/cargo --version

export RUSTC=/usr/bin/rustc CARGO_TARGET_DIR="$PWD/target/msrv"
# Default features; none (no_std, no allocator); alloc alone; std without
# the transport; everything.
for features in "" --no-default-features "--no-default-features --features alloc" \
    "--no-default-features --features std,derive" --all-features; do
    echo "msrv.sh: cargo build --lib $features" >&2
    # shellcheck disable=SC2086 # the flags are words
    /usr/bin/cargo build --locked --lib $features
done
echo "msrv.sh: the library builds with Rust 1.85 (every feature set above)"
