#!/bin/sh
# Runs the interoperability suite (tests/interop_*.rs, cargo feature
# `interop`) against the real peers, installing whichever is missing:
#   python-osc  into the venv target/interop-venv (pinned to the version the
#               suite's expectations were checked against);
#   liblo-tools (oscsend, oscdump) with apt-get.
# Then builds the examples and runs the tool tests and the interop suites,
# passing any arguments on to the test binaries (e.g. a test name filter).
# A peer that is still missing makes the suite fail, never skip.
set -eu

cd "$(dirname "$0")/.."
VENV=target/interop-venv
PYTHON_OSC=python-osc==1.10.2

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=no
apt_install() {
    if [ "$apt_updated" = no ]; then
        as_root apt-get update
        apt_updated=yes
    fi
    as_root apt-get install -y "$@"
}

if ! "$VENV/bin/python" -c 'import pythonosc' 2>/dev/null; then
    if ! python3 -m venv "$VENV"; then
        # Debian and Ubuntu ship venv separately.
        apt_install python3-venv
        python3 -m venv "$VENV"
    fi
    "$VENV/bin/pip" install --quiet "$PYTHON_OSC"
fi

if ! command -v oscsend >/dev/null 2>&1 || ! command -v oscdump >/dev/null 2>&1; then
    apt_install liblo-tools
fi

cargo build --examples --features interop,tokio
OSC_PYTHON="$(pwd)/$VENV/bin/python"
export OSC_PYTHON
exec cargo test --features interop,tokio --test tools --test 'interop_*' -- "$@"
