//! Fuzz target `roundtrip`: see `check_roundtrip` in tests/fuzz/checks.rs.
#![no_main]

#[path = "../../tests/fuzz/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_roundtrip(data));
