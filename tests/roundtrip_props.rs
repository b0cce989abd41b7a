//! Property-based round trips: arbitrary `Value` trees (arrays nested up
//! to depth 4), messages and nested bundles survive encode → decode →
//! encode bit for bit through every path (owned, borrowed, serde), and
//! whatever the decoder accepts from mutated bytes re-encodes stably.
//!
//! Floats are compared by their bits, so NaN payloads count.

use osc_serde::{Bundle, Color, Message, MessageRef, Midi, Packet, PacketRef, TimeTag, Value};
use proptest::collection::vec;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

#[path = "common/value_strategy.rs"]
mod value_strategy;
use value_strategy::{osc_string, value};

fn message() -> impl Strategy<Value = Message> {
    ("/[a-z0-9/_*?]{0,12}", vec(value(), 0..6))
        .prop_map(|(address, args)| Message::with_args(address, args))
}

fn packet() -> impl Strategy<Value = Packet> {
    message()
        .prop_map(Packet::Message)
        .prop_recursive(3, 16, 4, |inner| {
            (any::<u64>(), vec(inner, 0..4)).prop_map(|(t, content)| {
                Packet::Bundle(Bundle {
                    timetag: TimeTag::from_bits(t),
                    content,
                })
            })
        })
}

/// Equality with floats compared by bits (so NaN equals the same NaN).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::Double(x), Value::Double(y)) => x.to_bits() == y.to_bits(),
        (Value::Array(x), Value::Array(y)) => same_values(x, y),
        _ => a == b,
    }
}

fn same_values(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_value(x, y))
}

fn same_packet(a: &Packet, b: &Packet) -> bool {
    match (a, b) {
        (Packet::Message(x), Packet::Message(y)) => {
            x.address == y.address && same_values(&x.args, &y.args)
        }
        (Packet::Bundle(x), Packet::Bundle(y)) => {
            x.timetag == y.timetag
                && x.content.len() == y.content.len()
                && x.content
                    .iter()
                    .zip(&y.content)
                    .all(|(p, q)| same_packet(p, q))
        }
        _ => false,
    }
}

/// A derived message with a field of most kinds, arrays nested.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "/typed")]
struct Typed<'a> {
    i: i32,
    h: u32,
    f: f64,
    s: &'a str,
    #[serde(with = "serde_bytes")]
    b: &'a [u8],
    opt: Option<i64>,
    list: Vec<(bool, char)>,
    nested: Vec<Vec<i16>>,
}

proptest! {
    /// Derived structs round trip through serde, and decoding their bytes
    /// as a `Message` and encoding that gives the same bytes.
    #[test]
    fn typed_struct_round_trips(
        i in any::<i32>(),
        h in 0..=i32::MAX as u32,
        f in any::<u64>(),
        s in osc_string(),
        b in vec(any::<u8>(), 0..9),
        opt in any::<Option<i64>>(),
        list in vec(any::<(bool, char)>(), 0..4),
        nested in vec(vec(any::<i16>(), 0..3), 0..3),
    ) {
        let f = f64::from_bits(f);
        let t = Typed { i, h, f, s: &s, b: &b, opt, list, nested };
        let bytes = osc_serde::to_vec(&t).unwrap();
        let back: Typed = osc_serde::from_slice(&bytes).unwrap();
        prop_assert_eq!(back.f.to_bits(), t.f.to_bits());
        prop_assert_eq!(Typed { f: 0.0, ..back }, Typed { f: 0.0, ..t });
        prop_assert_eq!(Message::from_bytes(&bytes).unwrap().to_bytes().unwrap(), bytes);
    }

    #[test]
    fn message_round_trips_through_every_path(m in message()) {
        let bytes = m.to_bytes().unwrap();
        prop_assert_eq!(bytes.len() % 4, 0);

        // Owned.
        let owned = Message::from_bytes(&bytes).unwrap();
        prop_assert!(same_values(&owned.args, &m.args), "{:?} != {:?}", owned, m);
        prop_assert_eq!(&owned.address, &m.address);
        prop_assert_eq!(owned.to_bytes().unwrap(), bytes.clone());

        // Borrowed.
        let r = MessageRef::from_bytes(&bytes).unwrap();
        prop_assert_eq!(r.type_tags(), m.type_tags());
        let via_ref = r.to_message().unwrap();
        prop_assert_eq!(via_ref.to_bytes().unwrap(), bytes.clone());

        // serde: Message and Vec<Value> as targets, and Vec<Value> as the
        // arguments of a message.
        let via_serde: Message = osc_serde::from_slice(&bytes).unwrap();
        prop_assert!(same_values(&via_serde.args, &m.args));
        let args: Vec<Value> = osc_serde::from_slice(&bytes).unwrap();
        prop_assert!(same_values(&args, &m.args));
        prop_assert_eq!(osc_serde::to_vec_with_address(&m.address, &m.args).unwrap(), bytes.clone());
        prop_assert_eq!(osc_serde::to_vec(&m).unwrap(), bytes);
    }

    #[test]
    fn packet_round_trips(p in packet()) {
        let bytes = p.to_bytes().unwrap();
        let back = Packet::from_bytes(&bytes).unwrap();
        prop_assert!(same_packet(&back, &p), "{:?} != {:?}", back, p);
        prop_assert_eq!(back.to_bytes().unwrap(), bytes.clone());
        // The borrowed view sees the same packet.
        let via_ref = PacketRef::from_bytes(&bytes).unwrap().to_packet().unwrap();
        prop_assert_eq!(via_ref.to_bytes().unwrap(), bytes.clone());
        // Encoding appends to a non-empty buffer without touching it.
        let mut out = b"head".to_vec();
        p.encode_into(&mut out).unwrap();
        prop_assert_eq!(&out[..4], b"head");
        prop_assert_eq!(&out[4..], &bytes[..]);
    }

    /// Whatever the decoder accepts from damaged bytes encodes again and
    /// decodes to the same packet: decode → encode → decode is stable.
    #[test]
    fn decode_encode_decode_is_stable_on_mutated_input(
        p in packet(),
        edits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = p.to_bytes().unwrap();
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        let truncated = &bytes[..cut.index(bytes.len() + 1)];
        for input in [&bytes[..], truncated] {
            // Never a panic; on success the result must be stable.
            if let Ok(first) = Packet::from_bytes(input) {
                let again = first.to_bytes().unwrap();
                let second = Packet::from_bytes(&again).unwrap();
                prop_assert!(same_packet(&first, &second), "{:?} != {:?}", first, second);
                prop_assert_eq!(second.to_bytes().unwrap(), again);
            }
            let _ = osc_serde::from_slice::<Vec<Value>>(input);
        }
    }
}
