//! Fuzz target `tokio_codec`: see `check_tokio_codec` in tests/fuzz/checks_tokio.rs.
//! Needs the fuzz crate's `tokio` feature (on by default).
#![no_main]

#[path = "../../tests/fuzz/checks_server.rs"]
mod checks_server;
#[path = "../../tests/fuzz/checks_tokio.rs"]
mod checks_tokio;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks_tokio::check_tokio_codec(data));
