//! Runs the server-side fuzz checks (tests/fuzz/checks_server.rs: stream
//! framing, patterns, typed dispatch) on every committed seed in
//! tests/fuzz/corpus/<target>/, so `cargo test` checks what the fuzzers hunt
//! for, without nightly flags or libFuzzer.

#[path = "fuzz/checks_server.rs"]
mod checks_server;

mod common;

use std::path::{Path, PathBuf};

/// The hand-written seeds: those named for what they hold, not the
/// inputs a campaign merged in (named by their SHA-1).
fn named_seeds(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let hashed = |p: &Path| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        name.len() == 40 && name.bytes().all(|b| b.is_ascii_hexdigit())
    };
    common::fuzz_seeds(target)
        .into_iter()
        .filter(|(p, _)| !hashed(p))
        .collect()
}

fn run(target: &str, check: fn(&[u8]), at_least: usize) {
    common::check_seeds(&common::fuzz_seeds(target), check, at_least);
}

#[test]
fn stream_framing_seeds() {
    run("stream_framing", checks_server::check_stream_framing, 11);
}

#[test]
fn pattern_seeds() {
    run("pattern", checks_server::check_pattern, 13);
}

#[test]
fn dispatch_seeds() {
    run("dispatch", checks_server::check_dispatch, 16);
}

/// The stream seeds reach frames and both kinds of error, so the
/// chunking comparison covers the success and the failure paths.
#[test]
fn stream_seeds_yield_frames_and_errors() {
    use checks_server::Event;
    let mut frames = 0;
    let mut too_large = 0;
    let mut other = 0;
    for (_, bytes) in named_seeds("stream_framing") {
        let framing = match bytes[0] & 3 {
            0 => Some(osc_serde::framing::Framing::Length),
            1 => Some(osc_serde::framing::Framing::Slip),
            _ => None,
        };
        let mut decoder = osc_serde::framing::FrameDecoder::new(framing, 64 * 1024);
        let stream = &bytes[2 + usize::from(bytes[1] % 8)..];
        for e in checks_server::decode_events(&mut decoder, [stream], 64 * 1024) {
            match e {
                Event::Frame(_) => frames += 1,
                Event::TooLarge { .. } => too_large += 1,
                Event::Other(_) => other += 1,
            }
        }
    }
    assert!(frames >= 10, "{frames} frames");
    assert!(too_large >= 2, "{too_large} too large");
    assert!(other >= 2, "{other} other errors");
}

/// Pathological patterns compile and match the naive matcher.
#[test]
fn pattern_seeds_compile() {
    let mut compiled = 0;
    for (path, bytes) in named_seeds("pattern") {
        let split = bytes.iter().position(|&b| b == 0).unwrap();
        let pattern = std::str::from_utf8(&bytes[..split]).unwrap();
        let name = path.file_name().unwrap().to_str().unwrap();
        let ok = osc_serde::Pattern::new(pattern).is_ok();
        assert_eq!(ok, !name.starts_with("bad_"), "{name}");
        compiled += usize::from(ok);
    }
    assert!(compiled >= 11);
}

/// The dispatch seeds reach typed handlers and replies.
#[test]
fn dispatch_seeds_reach_handlers() {
    use osc_serde::dispatch::ManualClock;
    use osc_serde::{Origin, TimeTag};
    use std::sync::{Arc, Mutex};
    let calls = Arc::new(Mutex::new(checks_server::Calls::default()));
    let clock = ManualClock::new(TimeTag::new(1_000_000, 0));
    let mut d = checks_server::dispatcher(&calls, &clock);
    let mut replies = Vec::new();
    for (_, bytes) in named_seeds("dispatch") {
        d.dispatch(&bytes, Origin::default(), &mut replies);
    }
    let calls = calls.lock().unwrap();
    assert!(calls.handled >= 15, "{} handled", calls.handled);
    assert!(calls.errors.len() >= 5, "{:?}", calls.errors);
    assert!(!replies.is_empty());
}
