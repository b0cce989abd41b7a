//! Fuzz target `roundtrip`: see `check_roundtrip` in fuzz/checks.rs.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_roundtrip(data));
