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
