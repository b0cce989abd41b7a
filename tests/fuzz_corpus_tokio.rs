//! Runs the tokio codec fuzz check (tests/fuzz/checks_tokio.rs) on every
//! committed seed in tests/fuzz/corpus/tokio_codec/ (with `--features tokio`).
#![cfg(feature = "tokio")]

#[path = "fuzz/checks_server.rs"]
mod checks_server;
#[path = "fuzz/checks_tokio.rs"]
mod checks_tokio;

mod common;

#[test]
fn tokio_codec_seeds() {
    common::check_seeds(
        &common::fuzz_seeds("tokio_codec"),
        checks_tokio::check_tokio_codec,
        6,
    );
}
