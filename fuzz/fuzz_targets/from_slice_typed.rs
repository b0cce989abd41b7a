//! Fuzz target `from_slice_typed`: see `check_from_slice_typed` in tests/fuzz/checks.rs.
#![no_main]

#[path = "../../tests/fuzz/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_from_slice_typed(data));
