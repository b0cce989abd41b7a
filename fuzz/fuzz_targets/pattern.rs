//! Fuzz target `pattern`: see `check_pattern` in fuzz/checks_server.rs.
#![no_main]

#[path = "../checks_server.rs"]
mod checks_server;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks_server::check_pattern(data));
