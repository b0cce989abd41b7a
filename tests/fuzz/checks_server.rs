//! The properties the server-side fuzz targets check: stream framing,
//! address patterns and the typed dispatcher. Shared, like tests/fuzz/checks.rs,
//! by the cargo-fuzz targets (fuzz/fuzz_targets/{stream_framing,pattern,
//! dispatch}.rs) and by `cargo test` (tests/fuzz_corpus_server.rs runs every
//! check on every committed seed).
//!
//! Each `check_*` takes arbitrary bytes and panics only when the crate
//! breaks a promise. They must not panic in a handler on purpose:
//! libFuzzer's panic hook aborts before `catch_unwind` could catch it.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use osc_serde::dispatch::{ManualClock, Reply};
use osc_serde::framing::{FrameDecoder, Framing, StreamDecoder};
use osc_serde::{Dispatcher, Error, Message, MessageRef, Origin, Packet, Pattern, TimeTag, Value};
use serde::Deserialize;

/// What a frame decoder yielded: a frame, or an error (FrameTooLarge
/// without its `size`, which for SLIP says how far the decoder had read
/// when it gave up, and so depends on the chunking).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Frame(Vec<u8>),
    TooLarge { max: usize },
    Other(String),
}

fn event(error: Error) -> Event {
    match error {
        Error::FrameTooLarge { max, .. } => Event::TooLarge { max },
        other => Event::Other(other.to_string()),
    }
}

/// Feeds `chunks` one after the other to `decoder`, going on after errors
/// as the decoders allow, and returns what came out.
pub fn decode_events<'a>(
    decoder: &mut impl StreamDecoder,
    chunks: impl IntoIterator<Item = &'a [u8]>,
    max_frame: usize,
) -> Vec<Event> {
    let mut events = Vec::new();
    for chunk in chunks {
        let mut input = chunk;
        // Errors in a row that consumed nothing: a SLIP decoder may fail
        // on a run it has not consumed yet, but then skips it next time.
        let mut stuck = 0;
        loop {
            let before = input.len();
            match decoder.feed(&mut input) {
                Ok(true) => {
                    stuck = 0;
                    events.push(Event::Frame(decoder.frame().to_vec()));
                }
                Ok(false) => {
                    assert!(input.is_empty(), "feed stopped with input left");
                    break;
                }
                Err(e) => {
                    stuck = if input.len() < before { 0 } else { stuck + 1 };
                    assert!(stuck < 2, "the decoder fails without progress");
                    events.push(event(e));
                }
            }
            // Memory stays bounded by the frame limit (plus a length prefix).
            assert!(decoder.buffered() <= max_frame + 4);
        }
    }
    events
}

/// The framing (low 2 bits: length, SLIP, else detection) and frame
/// limit (bit 7: the default 64 KiB, else bits 2..=6 as an odd size up to
/// 63 bytes) that a stream check's mode byte picks.
pub fn stream_mode(mode: u8) -> (Option<Framing>, usize) {
    let framing = match mode & 3 {
        0 => Some(Framing::Length),
        1 => Some(Framing::Slip),
        _ => None,
    };
    let max_frame = if mode & 0x80 != 0 {
        osc_serde::framing::DEFAULT_MAX_FRAME
    } else {
        usize::from((mode >> 2) & 0x1f) * 2 + 1
    };
    (framing, max_frame)
}

/// Stream framing: the SLIP and length-prefix decoders (and detection)
/// give the same frames and errors whatever the chunking of the stream and
/// whether they assemble frames in a `Vec` or a caller's buffer, never
/// buffer more than the frame limit, and the frames they yield encode
/// (into a `Vec` and into a slice, alike) and decode back to themselves.
///
/// Input layout: byte 0 picks the framing (low 2 bits: 0 Length, 1 SLIP,
/// else detect) and the frame limit (bits 2..=6: 1..=63 bytes; bit 7:
/// 64 KiB); byte 1 is the number of chunk sizes
/// (0..=7) that follow; the rest is the stream, cut into chunks of those
/// sizes in turn (0 feeds an empty chunk; all 0 or none: one byte at a
/// time).
pub fn check_stream_framing(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (framing, max_frame) = stream_mode(mode);
    let (sizes, stream) = match rest.split_first() {
        Some((&n, tail)) => tail.split_at(usize::from(n % 8).min(tail.len())),
        None => (&[][..], &[][..]),
    };

    let whole = decode_events(
        &mut FrameDecoder::new(framing, max_frame),
        [stream],
        max_frame,
    );

    let mut chunks = Vec::new();
    let mut at = 0;
    let mut turn = 0;
    while at < stream.len() {
        let size = match sizes.get(turn % sizes.len().max(1)) {
            Some(&s) if sizes.iter().any(|&s| s != 0) => usize::from(s),
            _ => 1,
        };
        turn += 1;
        let end = (at + size).min(stream.len());
        chunks.push(&stream[at..end]);
        at = end;
    }
    let mut chunked_decoder = FrameDecoder::new(framing, max_frame);
    let chunked = decode_events(&mut chunked_decoder, chunks, max_frame);
    assert_eq!(whole, chunked, "chunking changed the decoding");

    // A decoder over a caller's buffer of the limit's size behaves as one
    // over a growing Vec.
    let mut storage = vec![0; max_frame];
    let mut fixed = FrameDecoder::with_storage(framing, &mut storage[..]);
    let in_place = decode_events(&mut fixed, [stream], max_frame);
    assert_eq!(whole, in_place, "caller storage changed the decoding");

    // What was yielded encodes back to itself, in the framing detected.
    let used = chunked_decoder.framing().unwrap_or_default();
    let frames: Vec<Vec<u8>> = whole
        .into_iter()
        .filter_map(|e| match e {
            // An empty SLIP frame cannot be encoded (END END is no frame).
            Event::Frame(f) if !(f.is_empty() && used == Framing::Slip) => Some(f),
            _ => None,
        })
        .collect();
    let mut encoded = Vec::new();
    for frame in &frames {
        let start = encoded.len();
        used.encode(frame, &mut encoded).expect("a frame encodes");
        let mut slice = vec![0; encoded.len() - start];
        let n = used.encode_to_slice(frame, &mut slice).expect("fits");
        assert_eq!(
            slice[..n],
            encoded[start..],
            "slice and Vec encoders differ"
        );
        let short = slice.len() - 1;
        assert!(
            used.encode_to_slice(frame, &mut slice[..short]).is_err(),
            "a frame encodes into a slice one byte too short"
        );
    }
    let again = decode_events(&mut used.decoder(max_frame), [&encoded[..]], max_frame);
    let expected: Vec<Event> = frames.into_iter().map(Event::Frame).collect();
    assert_eq!(again, expected, "frames do not survive re-encoding");
}

/// Patterns: compiling and matching arbitrary strings never panics, a
/// compiled pattern matches exactly what a naive backtracking matcher
/// matches (on inputs small enough for it), and a literal pattern
/// matches only itself.
///
/// Input layout: the pattern, a NUL byte, the address (both UTF-8, lossy).
pub fn check_pattern(data: &[u8]) {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let pattern = String::from_utf8_lossy(&data[..split]);
    let address = String::from_utf8_lossy(data.get(split + 1..).unwrap_or_default());
    // The text matcher (no allocator) gives the compiled pattern's answer,
    // or its error.
    let direct = osc_serde::address::matches(&pattern, &address);
    let compiled = match Pattern::new(&pattern) {
        Ok(compiled) => compiled,
        Err(e) => {
            assert_eq!(format!("{:?}", direct.unwrap_err()), format!("{e:?}"));
            return;
        }
    };
    assert_eq!(compiled.as_str(), pattern);
    let matched = compiled.matches(&address);
    assert_eq!(direct.unwrap(), matched, "{pattern:?} vs {address:?}");
    if compiled.is_literal() {
        assert_eq!(
            matched,
            pattern == address,
            "literal {pattern:?} vs {address:?}"
        );
    }
    // The naive matcher backtracks: keep it to inputs it finishes quickly.
    let stars = pattern.matches('*').count() + pattern.matches("//").count();
    if pattern.chars().count() <= 40 && address.chars().count() <= 40 && stars <= 4 {
        assert_eq!(
            matched,
            naive::matches(&pattern, &address),
            "{pattern:?} vs {address:?}"
        );
    }
    // The pattern matches itself when it is a valid address too.
    if osc_serde::address::validate_address(&pattern).is_ok() {
        assert!(compiled.matches(&pattern));
    }
}

/// The naive backtracking matcher, shared with tests/address.rs.
#[path = "naive_pattern.rs"]
pub mod naive;

/// A typed handler's argument type.
#[derive(Debug, Deserialize)]
pub struct Note {
    pub pitch: i32,
    pub velocity: f32,
}

/// The handlers the dispatch check maps, counting their calls.
#[derive(Debug, Default)]
pub struct Calls {
    pub handled: u64,
    pub errors: Vec<String>,
}

/// The most bundles the dispatch check lets wait.
const MAX_QUEUED: usize = 4;
const MAX_AHEAD: Duration = Duration::from_secs(60);

/// A dispatcher with typed handlers (owned and borrowing) on literal
/// addresses and patterns, catch-all handlers taking the whole [`Message`]
/// and [`MessageRef`], a replying handler, a
/// default handler, a small bundle queue and a manual clock.
pub fn dispatcher(calls: &Arc<Mutex<Calls>>, clock: &ManualClock) -> Dispatcher {
    let mut d = Dispatcher::new();
    d.set_clock(clock.clone());
    d.set_queue_limits(MAX_QUEUED, MAX_AHEAD);
    let count = |calls: &Arc<Mutex<Calls>>| {
        let calls = calls.clone();
        move || calls.lock().unwrap().handled += 1
    };
    let c = count(calls);
    d.map("/note", move |_: Note| c()).unwrap();
    let c = count(calls);
    d.map("/mixer/*/gain", move |_: f32| c()).unwrap();
    let c = count(calls);
    d.map("/{a,b}/[0-9]", move |_: Vec<Value>| c()).unwrap();
    let c = count(calls);
    d.map("/pair", move |_: (i32, Option<String>)| c()).unwrap();
    let c = count(calls);
    d.map("/echo", move |args: Vec<Value>| {
        c();
        Reply::to("/echoed", args)
    })
    .unwrap();
    // Handlers that borrow from the packet.
    let c = count(calls);
    d.map_ref("/voice", move |_: (i32, f32, &str)| c()).unwrap();
    let c = count(calls);
    d.map_ref("/{a,b}/*", move |_: (Option<&str>, Vec<&[u8]>)| c())
        .unwrap();
    // Every message reaches a handler that decodes all of it, owned and
    // borrowed.
    let c = count(calls);
    d.map("//*", move |_: Message| c()).unwrap();
    let c = count(calls);
    d.map_ref("//*", move |m: MessageRef| {
        if m.args().all(|arg| arg.is_ok()) {
            c()
        }
    })
    .unwrap();
    let c = count(calls);
    d.set_default(move |_: Message| c());
    let errors = calls.clone();
    d.on_error(move |report| errors.lock().unwrap().errors.push(report.to_string()));
    d
}

/// Typed dispatch: any packet, dispatched and then released from the
/// queue by moving the clock past the horizon, never panics; errors reach
/// the hook (each one, and only through it); a packet that does not
/// decode is reported at least once; the queue never exceeds its bound.
pub fn check_dispatch(data: &[u8]) {
    let calls = Arc::new(Mutex::new(Calls::default()));
    let clock = ManualClock::new(TimeTag::new(1_000_000, 0));
    let mut d = dispatcher(&calls, &clock);
    let mut replies: Vec<(Origin, Vec<u8>)> = Vec::new();
    let origin = Origin::default();

    d.dispatch(data, origin, &mut replies);
    // The same bytes twice: a second copy of a future bundle also queues.
    d.dispatch(data, origin, &mut replies);
    assert!(d.queued() <= MAX_QUEUED);
    clock.advance(MAX_AHEAD + Duration::from_secs(1));
    d.run_due(&mut replies);
    assert_eq!(d.queued(), 0, "due bundles stay queued");

    let calls = calls.lock().unwrap();
    assert_eq!(d.error_count(), calls.errors.len() as u64);
    if Packet::from_bytes(data).is_err() {
        assert!(
            !calls.errors.is_empty(),
            "an undecodable packet went unreported"
        );
    }
    for (_, reply) in &replies {
        let reply = Packet::from_bytes(reply).expect("a reply decodes");
        assert!(matches!(reply, Packet::Message(m) if m.address == "/echoed"));
    }
}
