//! Helpers shared by the integration tests: building expected message bytes
//! by hand, asserting an error variant, reading the fuzz corpus, and
//! waiting (bounded) for a live server's signals, reading what a client
//! wrote on a connection.
//!
//! Each test file is its own crate and uses only some of these.
#![allow(dead_code, unused_macros)]

use std::io::{ErrorKind, Read};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use osc_serde::transport::Stats;

/// Waits until the counters `stats` returns satisfy `ready`, and returns
/// them; fails with the last ones seen after `wait`.
pub fn stats_until(
    stats: impl Fn() -> Stats,
    wait: Duration,
    what: &str,
    ready: impl Fn(&Stats) -> bool,
) -> Stats {
    let deadline = Instant::now() + wait;
    loop {
        let stats = stats();
        if ready(&stats) {
            return stats;
        }
        assert!(Instant::now() < deadline, "{what}: {stats:?}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Reads (and ignores) until the server closes the connection (end of
/// stream or reset); fails if it has not within `wait`.
pub fn assert_closed_by_server(stream: &mut TcpStream, wait: Duration) {
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 64];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                panic!("the server did not close the connection")
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return, // reset: closed with unread input
        }
    }
}

/// The bytes of a message to `address` with type tags `tags` (without the
/// comma) and the argument data `payload`, padded as OSC requires.
pub fn msg(address: &str, tags: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = address.as_bytes().to_vec();
    pad(&mut out);
    out.push(b',');
    out.extend_from_slice(tags.as_bytes());
    pad(&mut out);
    out.extend_from_slice(payload);
    out
}

/// NUL-terminates and pads to a multiple of 4.
fn pad(out: &mut Vec<u8>) {
    out.push(0);
    while out.len() % 4 != 0 {
        out.push(0);
    }
}

/// Big-endian int32s, as argument data.
pub fn be(ints: &[i32]) -> Vec<u8> {
    ints.iter().flat_map(|i| i.to_be_bytes()).collect()
}

/// `packet` inside `levels` immediate bundles, one in another, framed by
/// hand so that any depth can be built (the encoder refuses more than
/// `MAX_DEPTH`).
pub fn in_bundles(packet: Vec<u8>, levels: usize) -> Vec<u8> {
    let mut bytes = packet;
    for _ in 0..levels {
        let mut outer = b"#bundle\0\0\0\0\0\0\0\0\x01".to_vec();
        outer.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        outer.extend_from_slice(&bytes);
        bytes = outer;
    }
    bytes
}

/// Asserts that `result` is an `Err` matching `pattern` (and guard).
macro_rules! assert_err {
    ($result:expr, $pattern:pat $(if $guard:expr)? $(,)?) => {
        match $result {
            Err(e) if matches!(&e, $pattern $(if $guard)?) => {}
            other => panic!(
                "expected Err({}), got {other:?}",
                stringify!($pattern $(if $guard)?)
            ),
        }
    };
}

/// Every seed under tests/fuzz/corpus/<target>/ with its bytes, sorted by name
/// for stable output.
pub fn fuzz_seeds(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).expect("read seed");
            (p, bytes)
        })
        .collect()
}

/// Runs a fuzz check on every seed (at least `at_least` of them, so that a
/// lost corpus fails), naming the seed it fails on.
pub fn check_seeds(seeds: &[(PathBuf, Vec<u8>)], check: fn(&[u8]), at_least: usize) {
    assert!(
        seeds.len() >= at_least,
        "corpus went missing: {}",
        seeds.len()
    );
    for (path, bytes) in seeds {
        let result = std::panic::catch_unwind(|| check(bytes));
        assert!(result.is_ok(), "check failed on seed {}", path.display());
    }
}

/// Reads frames until EOF and returns the messages.
pub fn read_messages(
    mut peer: TcpStream,
    framing: osc_serde::framing::Framing,
) -> Vec<osc_serde::Message> {
    use osc_serde::framing::StreamDecoder;
    let mut decoder = framing.decoder(1 << 20);
    let mut messages = Vec::new();
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = peer.read(&mut buf).unwrap();
        if n == 0 {
            assert_eq!(decoder.buffered(), 0, "the stream ends inside a frame");
            return messages;
        }
        let mut input = &buf[..n];
        while let Some(frame) = decoder.decode(&mut input).unwrap() {
            messages.push(osc_serde::Message::from_bytes(frame).unwrap());
        }
    }
}
