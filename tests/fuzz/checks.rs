//! The properties the fuzz targets check, shared by the cargo-fuzz targets
//! (fuzz/fuzz_targets/*.rs) and by `cargo test` (tests/fuzz_corpus.rs runs
//! every check on every committed seed in tests/fuzz/corpus/).
//!
//! Each `check_*` takes arbitrary bytes and panics only when the crate
//! breaks a promise: decoding must never panic, the different decoding
//! paths (owned, borrowed, serde) must agree on what is valid and what it
//! means, and whatever decodes must encode and decode back to the same
//! bytes. Values are compared through their encodings so that NaN payloads
//! compare equal to themselves.
#![allow(dead_code)]

use osc_serde::{Message, MessageRef, Packet, PacketRef, Value, ValueRef};
use serde::{Deserialize, Serialize};

/// Packet decode: owned and borrowed decoding never panic and agree.
///
/// `Packet::from_bytes` succeeds exactly when a full walk of the borrowed
/// `PacketRef` (every bundle element, every argument, every array item)
/// succeeds, and both see the same number of arguments. For a message, the
/// serde path (`MessageRef::deserialize::<Message>`) agrees with
/// `MessageRef::to_message`.
pub fn check_decode_packet(data: &[u8]) {
    let owned = Packet::from_bytes(data);
    let walked = PacketRef::from_bytes(data).and_then(walk_packet);
    match (&owned, &walked) {
        (Ok(packet), Ok(count)) => assert_eq!(count_packet(packet), *count),
        (Err(_), Err(_)) => {}
        _ => panic!("Packet::from_bytes gave {owned:?} but the PacketRef walk gave {walked:?}"),
    }

    let Ok(msg) = MessageRef::from_bytes(data) else {
        return;
    };
    assert!(msg.address().starts_with('/'));
    assert!(msg.type_tags().is_ascii());
    let via_args = msg.to_message();
    let via_serde = msg.deserialize::<Message>();
    match (&via_args, &via_serde) {
        (Ok(a), Ok(b)) => assert_eq!(encode_message(a), encode_message(b)),
        (Err(_), Err(_)) => {}
        _ => panic!("MessageRef::to_message gave {via_args:?} but deserialize gave {via_serde:?}"),
    }
    assert_eq!(via_args.is_ok(), owned.is_ok(), "message decode disagrees");
}

/// Decodes `$data` into `$ty`; if that works, re-encodes it to `$address`,
/// decodes the encoding (which must work) and checks that encoding that
/// gives the same bytes.
macro_rules! typed_round_trip {
    ($data:expr, $address:expr, $ty:ty) => {
        if let Ok(value) = osc_serde::from_slice::<$ty>($data) {
            let first = osc_serde::to_vec_with_address($address, &value)
                .unwrap_or_else(|e| panic!("{} {value:?} does not encode: {e}", stringify!($ty)));
            let again: $ty = osc_serde::from_slice(&first).unwrap_or_else(|e| {
                panic!(
                    "{} encoding {first:?} does not decode: {e}",
                    stringify!($ty)
                )
            });
            let second = osc_serde::to_vec_with_address($address, &again).expect("encodes again");
            assert_eq!(first, second, "{} encoding is not stable", stringify!($ty));
        }
    };
}

/// Typed decode: `from_slice` into borrowed derived types, `Vec<Value>` and
/// `Message` never panics; whatever decodes encodes again, and decoding
/// that encoding gives the same value (same bytes once more).
pub fn check_from_slice_typed(data: &[u8]) {
    let Ok(msg) = MessageRef::from_bytes(data) else {
        // Not a message: every typed decode must refuse it too.
        assert!(osc_serde::from_slice::<Vec<Value>>(data).is_err());
        assert!(osc_serde::from_slice::<Message>(data).is_err());
        return;
    };
    let address = msg.address();

    typed_round_trip!(data, address, Freq);
    typed_round_trip!(data, address, Mixed);
    typed_round_trip!(data, address, Command);
    typed_round_trip!(data, address, (i32, Option<f32>, Vec<Vec<i64>>));

    // The dynamic forms agree with the owned decoder.
    let owned = Message::from_bytes(data);
    let args = osc_serde::from_slice::<Vec<Value>>(data);
    let whole = osc_serde::from_slice::<Message>(data);
    match (&owned, &args, &whole) {
        (Ok(m), Ok(args), Ok(whole)) => {
            let expected = encode_message(m);
            let from_args = encode_message(&Message::with_args(address, args.clone()));
            assert_eq!(expected, from_args, "Vec<Value> decode differs");
            assert_eq!(expected, encode_message(whole), "Message decode differs");
        }
        (Err(_), Err(_), Err(_)) => {}
        _ => panic!("Message::from_bytes {owned:?}, Vec<Value> {args:?}, Message {whole:?}"),
    }
}

/// Decode → encode → decode stability: a packet that decodes encodes
/// without error, the encoding decodes to the same packet, and encoding
/// that gives identical bytes.
pub fn check_roundtrip(data: &[u8]) {
    let Ok(packet) = Packet::from_bytes(data) else {
        return;
    };
    let first = packet
        .to_bytes()
        .unwrap_or_else(|e| panic!("decoded packet {packet:?} does not encode: {e}"));
    let again = Packet::from_bytes(&first)
        .unwrap_or_else(|e| panic!("encoding {first:?} of {packet:?} does not decode: {e}"));
    let second = again.to_bytes().expect("re-decoded packet encodes");
    assert_eq!(first, second, "encoding is not stable");

    // The reused-buffer encoder appends exactly the same bytes.
    let mut buf = b"prefix".to_vec();
    again.encode_into(&mut buf).expect("encode_into");
    assert_eq!(&buf[..6], b"prefix");
    assert_eq!(&buf[6..], &first[..]);

    // The canonical encoding is a fixed point of the borrowed decoder too.
    assert_eq!(
        PacketRef::from_bytes(&first).and_then(walk_packet).ok(),
        Some(count_packet(&packet))
    );
}

/// A message type named after an address, with borrowed and unit-enum
/// fields.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename = "/synth/1/freq")]
pub struct Freq<'a> {
    hz: i32,
    amp: f32,
    wave: &'a str,
}

/// A plain (string) enum as an argument.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Wave {
    Sine,
    Square,
    Saw,
}

/// A nested struct: an OSC array.
#[derive(Debug, Serialize, Deserialize)]
pub struct Point {
    x: f32,
    y: f64,
}

/// Every kind of field, under any address.
#[derive(Debug, Serialize, Deserialize)]
pub struct Mixed<'a> {
    id: i64,
    name: &'a str,
    #[serde(borrow, with = "serde_bytes")]
    data: &'a [u8],
    points: Vec<Point>,
    matrix: Vec<Vec<u8>>,
    flag: bool,
    wave: Wave,
    letter: char,
    when: osc_serde::TimeTag,
    gain: Option<f64>,
}

/// An enum chosen by the message's address.
#[derive(Debug, Serialize, Deserialize)]
pub enum Command<'a> {
    #[serde(rename = "/synth/1/freq")]
    Freq { hz: i32, amp: f32, wave: Wave },
    #[serde(rename = "/name")]
    Name(&'a str),
    #[serde(rename = "/stop")]
    Stop,
    #[serde(rename = "/mix")]
    Mix(#[serde(borrow)] Mixed<'a>),
    #[serde(rename = "/pair")]
    Pair(i64, Option<char>, Option<osc_serde::Symbol<&'a str>>),
}

/// Walks every element and argument of a packet; returns the number of
/// arguments (array items included) or the first error.
fn walk_packet(packet: PacketRef<'_>) -> osc_serde::Result<usize> {
    match packet {
        PacketRef::Message(m) => {
            let _ = (m.address(), m.type_tags(), m.data());
            walk_args(m.args())
        }
        PacketRef::Bundle(b) => {
            assert!(b.depth() >= 1 && b.depth() <= osc_serde::MAX_DEPTH);
            let _ = b.timetag();
            let mut count = 0;
            for element in b.elements() {
                count += walk_packet(element?)?;
            }
            Ok(count)
        }
    }
}

fn walk_args<'a>(
    args: impl Iterator<Item = osc_serde::Result<ValueRef<'a>>>,
) -> osc_serde::Result<usize> {
    let mut count = 0;
    for arg in args {
        let arg = arg?;
        count += 1;
        if let ValueRef::Array(items) = arg {
            let _ = items.type_tags();
            count += walk_args(items.iter())?;
        } else {
            // Every scalar converts to an owned value.
            let owned = arg.to_value()?;
            assert_eq!(owned.tag(), arg.tag());
        }
    }
    Ok(count)
}

fn count_packet(packet: &Packet) -> usize {
    match packet {
        Packet::Message(m) => count_values(&m.args),
        Packet::Bundle(b) => b.content.iter().map(count_packet).sum(),
    }
}

fn count_values(values: &[Value]) -> usize {
    values
        .iter()
        .map(|v| match v {
            Value::Array(items) => 1 + count_values(items),
            _ => 1,
        })
        .sum()
}

fn encode_message(m: &Message) -> Vec<u8> {
    m.to_bytes()
        .unwrap_or_else(|e| panic!("decoded message {m:?} does not encode: {e}"))
}

/// Time tags: the order is the order of the instants they name (with
/// `IMMEDIATE` first) and `to_system_time` keeps it; `TimeTag ->
/// SystemTime -> TimeTag` moves by at most 3 fraction units and
/// `SystemTime -> TimeTag -> SystemTime` is exact between `EARLIEST` and
/// `LATEST` (saturating outside); `duration_since` is zero exactly when
/// the tag is due and otherwise the difference of the system times (to
/// rounding); `Display` parses back, and the `t` argument round-trips.
///
/// Input layout: two time tags (8 bytes each, big-endian), a system time
/// (8 bytes of signed seconds from the Unix epoch, 4 of nanoseconds), and
/// a string to parse as a time tag.
pub fn check_timetag(data: &[u8]) {
    use osc_serde::TimeTag;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    let mut bytes = [0u8; 28];
    let n = data.len().min(28);
    bytes[..n].copy_from_slice(&data[..n]);
    let word = |at: usize| u64::from_be_bytes(bytes[at..at + 8].try_into().unwrap());
    let (a, b) = (TimeTag::from_bits(word(0)), TimeTag::from_bits(word(8)));
    // Position on the time line (era 0's upper half, then era 1's lower).
    let line = |t: TimeTag| t.to_bits() ^ (1 << 63);

    for t in [a, b] {
        let back = TimeTag::from_system_time(t.to_system_time());
        assert!(line(back).abs_diff(line(t)) <= 3, "{t} came back as {back}");
        assert_eq!(t.to_string().parse::<TimeTag>().ok(), Some(t));
        let bytes = osc_serde::to_vec_with_address("/t", &t).expect("a time tag encodes");
        assert_eq!(osc_serde::from_slice::<TimeTag>(&bytes).ok(), Some(t));
    }

    let expected = match (a.is_immediate(), b.is_immediate()) {
        (true, true) => core::cmp::Ordering::Equal,
        (true, false) => core::cmp::Ordering::Less,
        (false, true) => core::cmp::Ordering::Greater,
        (false, false) => line(a).cmp(&line(b)),
    };
    assert_eq!(a.cmp(&b), expected, "{a} vs {b}");
    if !a.is_immediate() && !b.is_immediate() && a <= b {
        assert!(a.to_system_time() <= b.to_system_time(), "{a} vs {b}");
    }

    // Due: IMMEDIATE, or not after `now` on the time line.
    let waited = a.duration_since(b);
    if a.is_immediate() || line(a) <= line(b) {
        assert_eq!(waited, Duration::ZERO, "{a} since {b}");
    } else {
        let between = a
            .to_system_time()
            .duration_since(b.to_system_time())
            .expect("a later tag is a later system time");
        let error = waited.abs_diff(between);
        assert!(
            error <= Duration::from_nanos(2),
            "{a} since {b}: {waited:?} vs {between:?}"
        );
    }

    let secs = i64::from_be_bytes(bytes[16..24].try_into().unwrap()) % (1 << 40);
    let nanos = u32::from_be_bytes(bytes[24..28].try_into().unwrap()) % 1_000_000_000;
    let offset = Duration::new(secs.unsigned_abs(), nanos);
    let time = if secs >= 0 {
        UNIX_EPOCH.checked_add(offset)
    } else {
        UNIX_EPOCH.checked_sub(offset)
    };
    if let Some(time) = time {
        let t = TimeTag::from_system_time(time);
        if time < TimeTag::EARLIEST.to_system_time() {
            assert_eq!(t, TimeTag::EARLIEST);
        } else if time > TimeTag::LATEST.to_system_time() {
            assert_eq!(t, TimeTag::LATEST);
        } else {
            assert_eq!(t.to_system_time(), time, "{time:?} came back otherwise");
        }
        let _: SystemTime = t.into();
    }

    // Any text: parsing never panics, and what parses prints and parses
    // back to itself.
    let text = String::from_utf8_lossy(data.get(28..).unwrap_or_default());
    if let Ok(t) = text.parse::<TimeTag>() {
        assert_eq!(t.to_string().parse::<TimeTag>().ok(), Some(t));
    }
}
