//! Proves the zero-allocation claims with a counting global allocator:
//! borrowed decoding (`from_slice` into a borrowed struct, `MessageRef`,
//! `PacketRef`), encoding into a reused buffer and into a caller's slice
//! (`to_slice`, what no_std firmware uses), the errors on those paths, and
//! pattern matching allocate nothing.
//!
//! The library forbids unsafe code; this integration test is a separate
//! crate and needs `unsafe impl GlobalAlloc` for the counting allocator,
//! which only forwards to `System`. The counter is per thread, so the test
//! harness's own threads cannot disturb it, and all checks run in one
//! `#[test]` so nothing else runs on this thread meanwhile.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

use osc_serde::{Bundle, Message, MessageRef, PacketRef, TimeTag, Value, ValueRef};
use serde::{Deserialize, Serialize};

thread_local! {
    // `const` and without a destructor: reading it never allocates.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count_one() {
    // `try_with`: the slot may be gone while a thread is being torn down.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

/// Counts allocations and reallocations, then forwards to `System`.
struct Counting;

// SAFETY: every method forwards its arguments unchanged to `System`, which
// upholds the `GlobalAlloc` contract; counting touches no allocated memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// How many allocations `f` makes on this thread.
fn allocations<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let before = ALLOCATIONS.with(Cell::get);
    let result = black_box(f());
    let after = ALLOCATIONS.with(Cell::get);
    (after - before, result)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "/synth/1/freq")]
struct Freq<'a> {
    hz: i32,
    amp: f32,
    wave: &'a str,
}

/// Reads every argument of a borrowed message, arrays included, without
/// keeping anything.
fn touch_args(m: MessageRef) -> usize {
    fn walk<'a>(args: impl Iterator<Item = osc_serde::Result<ValueRef<'a>>>) -> usize {
        let mut n = 0;
        for arg in args {
            match arg {
                Ok(ValueRef::Array(a)) => n += walk(a.iter()),
                Ok(v) => {
                    black_box(v);
                    n += 1;
                }
                Err(_) => return usize::MAX,
            }
        }
        n
    }
    walk(m.args())
}

fn touch_packet(p: PacketRef) -> usize {
    match p {
        PacketRef::Message(m) => touch_args(m),
        PacketRef::Bundle(b) => {
            black_box(b.timetag());
            b.elements()
                .map(|e| e.map_or(usize::MAX, touch_packet))
                .sum()
        }
    }
}

#[test]
fn borrowed_decoding_and_reused_buffer_encoding_do_not_allocate() {
    // The counter works: an allocation is seen.
    let (n, v) = allocations(|| Vec::<u8>::with_capacity(16));
    assert_eq!(n, 1);
    drop(v);

    let freq = Freq {
        hz: 440,
        amp: 0.5,
        wave: "sine",
    };
    let bytes = osc_serde::to_vec(&freq).unwrap();

    // from_slice into a borrowed struct.
    let (n, decoded) = allocations(|| osc_serde::from_slice::<Freq>(&bytes));
    assert_eq!(n, 0, "from_slice::<Freq> allocated");
    assert_eq!(decoded.unwrap(), freq);

    // MessageRef over every kind of argument, arrays nested.
    let rich = Message::new("/rich")
        .arg(1)
        .arg(2.0f32)
        .arg("three")
        .arg(vec![4u8, 5])
        .arg(6i64)
        .arg(TimeTag::IMMEDIATE)
        .arg(7.0f64)
        .arg(osc_serde::Symbol("eight"))
        .arg('9')
        .arg(true)
        .arg(())
        .arg(Value::Array(vec![
            Value::Int(10),
            Value::Array(vec![Value::String("eleven".into())]),
        ]))
        .to_bytes()
        .unwrap();
    let (n, count) = allocations(|| MessageRef::from_bytes(&rich).map(touch_args));
    assert_eq!(n, 0, "MessageRef::from_bytes + args allocated");
    assert_eq!(count.unwrap(), 13);

    // PacketRef over a bundle with a nested bundle.
    let bundle = Bundle::new(TimeTag::new(1, 2))
        .message(Message::new("/a").arg(1).arg("x"))
        .bundle(Bundle::new(TimeTag::IMMEDIATE).message(Message::new("/b").arg(2.0f32)))
        .to_bytes()
        .unwrap();
    let (n, count) = allocations(|| PacketRef::from_bytes(&bundle).map(touch_packet));
    assert_eq!(n, 0, "PacketRef over a bundle allocated");
    assert_eq!(count.unwrap(), 3);

    // encode_into a reused Vec: after a warm-up that grows the buffer, a
    // derived struct, a Message and a bundle encode without allocating.
    assert_reuse_does_not_allocate("encode_into of a derived struct", &bytes, |buf| {
        osc_serde::encode_into(buf, &freq)
    });
    let message = Message::from_bytes(&rich).unwrap();
    assert_reuse_does_not_allocate("Message::encode_into", &rich, |buf| {
        message.encode_into(buf)
    });
    let packet = osc_serde::Packet::from_bytes(&bundle).unwrap();
    assert_reuse_does_not_allocate("Packet::encode_into of a bundle", &bundle, |buf| {
        packet.encode_into(buf)
    });

    // The no_std paths: to_slice into a caller's array, its too-small
    // error, and the errors of a decode that does not fit the target.
    let mut buf = [0u8; 64];
    let (n, written) = allocations(|| osc_serde::to_slice(&mut buf, &freq));
    assert_eq!(n, 0, "to_slice allocated");
    assert_eq!(&buf[..written.unwrap()], &bytes[..]);
    let (n, written) = allocations(|| osc_serde::to_slice_with_address(&mut buf, "/p", &(1, "a")));
    assert_eq!(n, 0, "to_slice_with_address allocated");
    assert_eq!(&buf[..written.unwrap()], b"/p\0\0,is\0\0\0\0\x01a\0\0\0");
    let (n, result) = allocations(|| osc_serde::to_slice(&mut buf[..20], &freq));
    assert_eq!(n, 0, "to_slice into a small buffer allocated");
    assert!(matches!(
        result,
        Err(osc_serde::Error::BufferTooSmall { capacity: 20 })
    ));
    let (n, result) = allocations(|| osc_serde::from_slice::<(i32, i32, i32)>(&bytes));
    assert_eq!(n, 0, "a type mismatch allocated");
    assert!(matches!(
        result,
        Err(osc_serde::Error::TypeMismatch { index: 1, .. })
    ));

    // Matching a compiled pattern.
    let pattern = osc_serde::Pattern::new("/synth/[0-9]/{freq,gain}").unwrap();
    let (n, matched) =
        allocations(|| pattern.matches("/synth/1/freq") && !pattern.matches("/synth/12/freq"));
    assert_eq!(n, 0, "Pattern::matches allocated");
    assert!(matched);

    // Matching a pattern from its text, with `//`.
    let (n, matched) = allocations(|| {
        osc_serde::address::matches("//[0-9]/{freq,gain}", "/synth/1/freq").unwrap()
            && !osc_serde::address::matches("/synth/*", "/synth/1/freq").unwrap()
    });
    assert_eq!(n, 0, "address::matches allocated");
    assert!(matched);
}

/// Encodes once to grow a buffer, then checks that encoding again into the
/// cleared buffer allocates nothing and gives `expected`.
fn assert_reuse_does_not_allocate(
    what: &str,
    expected: &[u8],
    mut encode: impl FnMut(&mut Vec<u8>) -> osc_serde::Result<()>,
) {
    let mut buf = Vec::new();
    encode(&mut buf).unwrap();
    let (n, result) = allocations(|| {
        buf.clear();
        encode(&mut buf)
    });
    assert_eq!(n, 0, "{what} allocated");
    result.unwrap();
    assert_eq!(buf, expected, "{what}");
}

/// Stream framing with caller buffers: the slice encoders, the one-shot
/// SLIP decoder and the incremental decoder over caller storage (what a
/// firmware without an allocator uses) allocate nothing.
#[test]
fn framing_into_caller_buffers_does_not_allocate() {
    use osc_serde::framing::{slip, FrameDecoder, Framing, StreamDecoder};

    let packet = osc_serde::to_vec_with_address("/a", &(1, "x\u{c0}")).unwrap();
    for framing in [Framing::Length, Framing::Slip] {
        let mut wire = [0u8; 64];
        let mut storage = [0u8; 32];
        let (n, frames) = allocations(|| {
            let mut at = 0;
            for _ in 0..2 {
                at += framing.encode_to_slice(&packet, &mut wire[at..])?;
            }
            let mut decoder = FrameDecoder::with_storage(None, &mut storage[..]);
            let mut input = &wire[..at];
            let mut frames = 0;
            while let Some(frame) = decoder.decode(&mut input)? {
                frames += usize::from(frame == &packet[..]);
            }
            Ok::<_, osc_serde::Error>(frames)
        });
        assert_eq!(n, 0, "{framing:?} framing into caller buffers allocated");
        assert_eq!(frames.unwrap(), 2, "{framing:?}");
    }
    let frame = slip::encode(&packet);
    let mut out = [0u8; 32];
    let (n, len) = allocations(|| slip::decode_to_slice(&frame, &mut out));
    assert_eq!(n, 0, "slip::decode_to_slice allocated");
    assert_eq!(out[..len.unwrap()], packet[..]);
}
