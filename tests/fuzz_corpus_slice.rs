//! Runs the caller's-buffer fuzz checks (tests/fuzz/checks_slice.rs:
//! `to_slice`, framing into and out of slices) on every committed seed in
//! tests/fuzz/corpus/{to_slice,framing_slice}/, so `cargo test` checks what
//! the fuzzers hunt for, without nightly flags or libFuzzer.

#[path = "fuzz/checks_server.rs"]
mod checks_server;
#[path = "fuzz/checks_slice.rs"]
mod checks_slice;

mod common;

fn run(target: &str, check: fn(&[u8]), at_least: usize) {
    common::check_seeds(&common::fuzz_seeds(target), check, at_least);
}

#[test]
fn to_slice_seeds() {
    run("to_slice", checks_slice::check_to_slice, 8);
}

#[test]
fn framing_slice_seeds() {
    run("framing_slice", checks_slice::check_framing_slice, 6);
}

/// The `to_slice` seeds reach messages that encode and values that are
/// refused, in each of the four shapes, so the check covers both sides.
#[test]
fn to_slice_seeds_encode_and_fail() {
    let (mut encoded, mut refused) = ([0; 4], [0; 4]);
    for (_, bytes) in common::fuzz_seeds("to_slice") {
        match checks_slice::to_slice_shape(&bytes, false) {
            Some((shape, true)) => encoded[usize::from(shape)] += 1,
            Some((shape, false)) => refused[usize::from(shape)] += 1,
            None => {}
        }
    }
    assert!(encoded.iter().all(|&n| n >= 1), "encoded: {encoded:?}");
    assert!(refused.iter().all(|&n| n >= 1), "refused: {refused:?}");
}
