//! Fuzz target `decode_packet`: see `check_decode_packet` in tests/fuzz/checks.rs.
#![no_main]

#[path = "../../tests/fuzz/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_decode_packet(data));
