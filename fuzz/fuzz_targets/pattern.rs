//! Fuzz target `pattern`: see `check_pattern` in tests/fuzz/checks_server.rs.
#![no_main]

#[path = "../../tests/fuzz/checks_server.rs"]
mod checks_server;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks_server::check_pattern(data));
