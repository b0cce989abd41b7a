//! Fuzz target `to_slice`: see `check_to_slice` in tests/fuzz/checks_slice.rs.
#![no_main]

#[path = "../../tests/fuzz/checks_server.rs"]
mod checks_server;
#[path = "../../tests/fuzz/checks_slice.rs"]
mod checks_slice;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks_slice::check_to_slice(data));
