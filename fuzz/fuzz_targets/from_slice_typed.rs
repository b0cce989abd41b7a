//! Fuzz target `from_slice_typed`: see `check_from_slice_typed` in fuzz/checks.rs.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_from_slice_typed(data));
