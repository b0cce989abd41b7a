//! The properties of the encoders and decoders that work in a caller's
//! `&mut [u8]` (no allocator): they agree with the `Vec` ones. Shared by
//! the cargo-fuzz targets fuzz/fuzz_targets/{to_slice,framing_slice}.rs
//! and by `cargo test` (tests/fuzz_corpus_slice.rs runs each check on
//! every committed seed). The module needs `checks_server` (for
//! `decode_events`) declared next to it.
//!
//! Each `check_*` takes arbitrary bytes and panics only when the crate
//! breaks a promise.
#![allow(dead_code)]

use std::fmt;

use osc_serde::framing::{slip, FrameDecoder, Framing, StreamDecoder};
use osc_serde::{Color, Error, Infinitum, Message, Midi, Symbol, TimeTag, Value};
use serde::ser::{
    SerializeMap, SerializeSeq, SerializeStruct, SerializeStructVariant, SerializeTuple,
    SerializeTupleStruct, SerializeTupleVariant,
};
use serde::{Serialize, Serializer};

use crate::checks_server::decode_events;

/// The byte buffers are filled with this before each call, so that bytes
/// an encoder leaves unwritten do not look right by chance.
const FILL: u8 = 0xA5;

/// `to_slice`: for arbitrary serde values (any call sequence of serde's
/// data model, with honest lengths, from [`Gen`]) and arbitrary [`Value`]
/// trees, encoding into a buffer of every size from 0 to the needed
/// length + 8 succeeds exactly when the buffer holds the message, writes
/// `to_vec`'s bytes, and otherwise fails with `BufferTooSmall` naming the
/// buffer's size. A value `to_vec` refuses is refused into any buffer:
/// with the same error once the buffer is large, or `BufferTooSmall`.
///
/// Input layout: byte 0 picks the shape (below), the rest drives [`Gen`].
pub fn check_to_slice(data: &[u8]) {
    to_slice_shape(data, true);
}

/// The shape an input of [`check_to_slice`] takes and whether its value
/// encodes (for the corpus test that the seeds reach both); runs the
/// check too if `check` is set.
pub fn to_slice_shape(data: &[u8], check: bool) -> Option<(u8, bool)> {
    let (&shape, rest) = data.split_first()?;
    let mut gen = Gen { data: rest };
    let shape = shape % 4;
    let encodes = match shape {
        // A whole `Message`: its address field names it.
        0 => {
            let address = gen.string();
            let args = (0..gen.byte() % 8).map(|_| gen.value(0)).collect();
            let message = Message::with_args(address, args);
            agree(check.then_some(data.len()), None, &message)
        }
        // `Value`s under a caller's address.
        1 => {
            let address = gen.address();
            let args: Vec<Value> = (0..gen.byte() % 8).map(|_| gen.value(0)).collect();
            agree(check.then_some(data.len()), Some(&address), &args)
        }
        // Any serde value under a caller's address.
        2 => {
            let address = gen.address();
            agree(check.then_some(data.len()), Some(&address), &gen.node(0))
        }
        // Any serde value naming its own address (or failing to).
        _ => agree(check.then_some(data.len()), None, &gen.node(0)),
    };
    Some((shape, encodes))
}

/// Encodes `value` with `to_vec` and with `to_slice` into every buffer
/// size, and checks that they agree (see [`check_to_slice`]); returns
/// whether it encodes. `input_len` is the length of the input it was
/// generated from; without it, only `to_vec` runs.
fn agree<T: Serialize + ?Sized + fmt::Debug>(
    input_len: Option<usize>,
    address: Option<&str>,
    value: &T,
) -> bool {
    let expected = match address {
        Some(address) => osc_serde::to_vec_with_address(address, value),
        None => osc_serde::to_vec(value),
    };
    let Some(input_len) = input_len else {
        return expected.is_ok();
    };
    let into = |buf: &mut [u8]| match address {
        Some(address) => osc_serde::to_slice_with_address(buf, address, value),
        None => osc_serde::to_slice(buf, value),
    };
    // For an error, small buffers and one large enough for anything the
    // value could write (a generated value writes at most 36 bytes for
    // each byte of input it takes).
    let sizes = match &expected {
        Ok(bytes) => sizes(bytes.len()),
        Err(_) => sizes(64),
    };
    let large = 64 + 40 * input_len;
    let mut buf = Vec::new();
    for size in sizes.chain(expected.is_err().then_some(large)) {
        buf.clear();
        buf.resize(size, FILL);
        let got = into(&mut buf);
        match (&expected, got) {
            (Ok(bytes), Ok(len)) => {
                assert!(size >= bytes.len(), "{value:?}: {len} bytes into {size}");
                assert_eq!(buf[..len], bytes[..], "{value:?} into {size} bytes");
            }
            (Ok(bytes), Err(Error::BufferTooSmall { capacity })) => {
                assert_eq!(capacity as usize, size, "{value:?}");
                assert!(
                    size < bytes.len(),
                    "{value:?}: {} bytes do not fit {size}",
                    bytes.len()
                );
            }
            (Err(e), Err(Error::BufferTooSmall { capacity })) => {
                assert_eq!(capacity as usize, size, "{value:?}");
                assert!(size < large, "{value:?}: {e:?} became BufferTooSmall");
            }
            (Err(e), Err(got)) => assert_eq!(
                format!("{e:?}"),
                format!("{got:?}"),
                "{value:?} into {size} bytes"
            ),
            (expected, got) => panic!("{value:?}: to_vec {expected:?}, to_slice({size}) {got:?}"),
        }
    }
    expected.is_ok()
}

/// The buffer sizes to try for an output of `needed` bytes: every size
/// from 0 to `needed + 8`, or for a long output (which would make the
/// check quadratic) every size near both ends and every 64th between.
fn sizes(needed: usize) -> impl Iterator<Item = usize> {
    let end = needed + 8;
    (0..=end).filter(move |&n| needed <= 96 || n < 32 || n + 32 > needed || n % 64 == 0)
}

/// Builds values from fuzz bytes; reads zeros once they run out, so
/// every input makes a finite value (each node takes a byte).
struct Gen<'a> {
    data: &'a [u8],
}

/// Arrays nest at most this deep in generated values: past
/// `osc_serde::MAX_DEPTH`, so `TooDeep` is reached too.
const GEN_DEPTH: usize = osc_serde::MAX_DEPTH + 2;

impl Gen<'_> {
    fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        core::array::from_fn(|_| self.byte())
    }

    /// Up to 31 bytes: a length byte, then the bytes.
    fn blob(&mut self) -> Vec<u8> {
        let len = usize::from(self.byte() % 32).min(self.data.len());
        let (bytes, rest) = self.data.split_at(len);
        self.data = rest;
        bytes.to_vec()
    }

    /// Any string, NUL and all.
    fn string(&mut self) -> String {
        String::from_utf8_lossy(&self.blob()).into_owned()
    }

    /// A string that is mostly an address: with a leading `/` unless the
    /// first byte is odd.
    fn address(&mut self) -> String {
        let slash = self.byte() % 2 == 0;
        let rest = self.string();
        if slash {
            format!("/{rest}")
        } else {
            rest
        }
    }

    fn done(&self) -> bool {
        self.data.is_empty()
    }

    /// Any `Value`, arrays included.
    fn value(&mut self, depth: usize) -> Value {
        match self.byte() % 16 {
            0 => Value::Int(i32::from_be_bytes(self.bytes())),
            1 => Value::Float(f32::from_be_bytes(self.bytes())),
            2 => Value::String(self.string()),
            3 => Value::Blob(self.blob()),
            4 => Value::Long(i64::from_be_bytes(self.bytes())),
            5 => Value::TimeTag(TimeTag::from_bits(u64::from_be_bytes(self.bytes()))),
            6 => Value::Double(f64::from_be_bytes(self.bytes())),
            7 => Value::Symbol(self.string()),
            8 => Value::Char(char::from_u32(u32::from_be_bytes(self.bytes())).unwrap_or('é')),
            9 => Value::Color(Color::from_u32(u32::from_be_bytes(self.bytes()))),
            10 => Value::Midi(Midi::from_u32(u32::from_be_bytes(self.bytes()))),
            11 => Value::Bool(self.byte() % 2 == 0),
            12 => Value::Nil,
            13 => Value::Infinitum,
            _ if depth < GEN_DEPTH && !self.done() => {
                let len = self.byte() % 8;
                Value::Array((0..len).map(|_| self.value(depth + 1)).collect())
            }
            _ => Value::Nil,
        }
    }

    /// Any value of serde's data model (see [`Node`]).
    fn node(&mut self, depth: usize) -> Node {
        let nested = depth < GEN_DEPTH && !self.done();
        match self.byte() % 32 {
            0 => Node::Bool(self.byte() % 2 == 0),
            1 => Node::I8(self.byte() as i8),
            2 => Node::I16(i16::from_be_bytes(self.bytes())),
            3 => Node::I32(i32::from_be_bytes(self.bytes())),
            4 => Node::I64(i64::from_be_bytes(self.bytes())),
            5 => Node::U8(self.byte()),
            6 => Node::U16(u16::from_be_bytes(self.bytes())),
            7 => Node::U32(u32::from_be_bytes(self.bytes())),
            8 => Node::U64(u64::from_be_bytes(self.bytes())),
            9 => Node::F32(f32::from_be_bytes(self.bytes())),
            10 => Node::F64(f64::from_be_bytes(self.bytes())),
            11 => Node::Char(char::from_u32(u32::from_be_bytes(self.bytes())).unwrap_or('é')),
            12 => Node::Str(self.string()),
            13 => Node::Display(self.string()),
            14 => Node::Bytes(self.blob()),
            15 => Node::Unit,
            16 => Node::UnitStruct(self.name()),
            17 => Node::UnitVariant(self.name()),
            18 => Node::Special(self.value(depth)),
            19 => Node::None,
            20 if nested => Node::Some(Box::new(self.node(depth + 1))),
            21 if nested => Node::NewtypeStruct(self.name(), Box::new(self.node(depth + 1))),
            22 if nested => Node::NewtypeVariant(self.name(), Box::new(self.node(depth + 1))),
            23 => Node::ByteVec(self.blob()),
            24 if nested => {
                let kind = match self.byte() % 4 {
                    0 => SeqKind::Known,
                    1 => SeqKind::Unknown,
                    2 => SeqKind::Collected,
                    _ => SeqKind::Filtered,
                };
                Node::Seq(kind, self.nodes(depth))
            }
            25 if nested => Node::Tuple(self.nodes(depth)),
            26 if nested => Node::TupleStruct(self.name(), self.nodes(depth)),
            27 if nested => Node::TupleVariant(self.name(), self.nodes(depth)),
            28 if nested => Node::Struct(self.name(), self.nodes(depth)),
            29 if nested => Node::StructVariant(self.name(), self.nodes(depth)),
            30 if nested => Node::Map(self.nodes(depth)),
            _ => Node::U8(self.byte()),
        }
    }

    fn nodes(&mut self, depth: usize) -> Vec<Node> {
        let len = self.byte() % 8;
        (0..len).map(|_| self.node(depth + 1)).collect()
    }

    /// A serde name: an address (which names a message at the top), a
    /// plain name, or one of the crate's reserved names misused.
    fn name(&mut self) -> &'static str {
        const NAMES: [&str; 10] = [
            "/a",
            "/synth/1/freq",
            "/",
            "plain",
            "",
            "$osc::TimeTag",
            "$osc::Color",
            "$osc::Symbol",
            "$osc::Infinitum",
            "$osc::Message",
        ];
        NAMES[usize::from(self.byte()) % NAMES.len()]
    }
}

/// A value of serde's data model, serialized by the call it names, with
/// honest lengths (an overstated length may cost a slice the room it
/// reserved for the tags it announced).
#[derive(Debug)]
pub enum Node {
    Bool(bool),
    I8(i8),
    I16(i16),
    I32(i32),
    I64(i64),
    U8(u8),
    U16(u16),
    U32(u32),
    U64(u64),
    F32(f32),
    F64(f64),
    Char(char),
    Str(String),
    /// Through `collect_str`.
    Display(String),
    Bytes(Vec<u8>),
    /// A `Vec<u8>`: through `collect_seq`, as a blob in the arguments.
    ByteVec(Vec<u8>),
    None,
    Some(Box<Node>),
    Unit,
    UnitStruct(&'static str),
    UnitVariant(&'static str),
    NewtypeStruct(&'static str, Box<Node>),
    NewtypeVariant(&'static str, Box<Node>),
    Seq(SeqKind, Vec<Node>),
    Tuple(Vec<Node>),
    TupleStruct(&'static str, Vec<Node>),
    TupleVariant(&'static str, Vec<Node>),
    Struct(&'static str, Vec<Node>),
    StructVariant(&'static str, Vec<Node>),
    /// Keys and values alternate.
    Map(Vec<Node>),
    /// A `Value` (special types included) through its own `Serialize`.
    Special(Value),
}

/// How a sequence is serialized.
#[derive(Debug, Clone, Copy)]
pub enum SeqKind {
    /// `serialize_seq(Some(len))`.
    Known,
    /// `serialize_seq(None)`.
    Unknown,
    /// `collect_seq` of an exact-size iterator.
    Collected,
    /// `collect_seq` of an iterator with no exact size.
    Filtered,
}

/// Field names for structs (serde wants `&'static str`).
const FIELDS: [&str; 8] = ["a", "b", "c", "d", "e", "f", "g", "h"];

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Bool(v) => s.serialize_bool(*v),
            Node::I8(v) => s.serialize_i8(*v),
            Node::I16(v) => s.serialize_i16(*v),
            Node::I32(v) => s.serialize_i32(*v),
            Node::I64(v) => s.serialize_i64(*v),
            Node::U8(v) => s.serialize_u8(*v),
            Node::U16(v) => s.serialize_u16(*v),
            Node::U32(v) => s.serialize_u32(*v),
            Node::U64(v) => s.serialize_u64(*v),
            Node::F32(v) => s.serialize_f32(*v),
            Node::F64(v) => s.serialize_f64(*v),
            Node::Char(v) => s.serialize_char(*v),
            Node::Str(v) => s.serialize_str(v),
            Node::Display(v) => s.collect_str(v),
            Node::Bytes(v) => s.serialize_bytes(v),
            Node::ByteVec(v) => v.serialize(s),
            Node::None => s.serialize_none(),
            Node::Some(v) => s.serialize_some(v),
            Node::Unit => s.serialize_unit(),
            Node::UnitStruct(name) => s.serialize_unit_struct(name),
            Node::UnitVariant(name) => s.serialize_unit_variant("E", 0, name),
            Node::NewtypeStruct(name, v) => s.serialize_newtype_struct(name, v),
            Node::NewtypeVariant(name, v) => s.serialize_newtype_variant("E", 0, name, v),
            Node::Seq(SeqKind::Known, items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                items.iter().try_for_each(|i| seq.serialize_element(i))?;
                seq.end()
            }
            Node::Seq(SeqKind::Unknown, items) => {
                let mut seq = s.serialize_seq(None)?;
                items.iter().try_for_each(|i| seq.serialize_element(i))?;
                seq.end()
            }
            Node::Seq(SeqKind::Collected, items) => s.collect_seq(items),
            Node::Seq(SeqKind::Filtered, items) => s.collect_seq(items.iter().filter(|_| true)),
            Node::Tuple(items) => {
                let mut t = s.serialize_tuple(items.len())?;
                items.iter().try_for_each(|i| t.serialize_element(i))?;
                t.end()
            }
            Node::TupleStruct(name, items) => {
                let mut t = s.serialize_tuple_struct(name, items.len())?;
                items.iter().try_for_each(|i| t.serialize_field(i))?;
                t.end()
            }
            Node::TupleVariant(name, items) => {
                let mut t = s.serialize_tuple_variant("E", 0, name, items.len())?;
                items.iter().try_for_each(|i| t.serialize_field(i))?;
                t.end()
            }
            Node::Struct(name, items) => {
                let mut t = s.serialize_struct(name, items.len())?;
                for (key, item) in FIELDS.iter().cycle().zip(items) {
                    t.serialize_field(key, item)?;
                }
                t.end()
            }
            Node::StructVariant(name, items) => {
                let mut t = s.serialize_struct_variant("E", 0, name, items.len())?;
                for (key, item) in FIELDS.iter().cycle().zip(items) {
                    t.serialize_field(key, item)?;
                }
                t.end()
            }
            Node::Map(items) => {
                let mut m = s.serialize_map(Some(items.len() / 2))?;
                for pair in items.chunks_exact(2) {
                    m.serialize_entry(&pair[0], &pair[1])?;
                }
                m.end()
            }
            Node::Special(v) => special(v, s),
        }
    }
}

/// Serializes a `Value` through the crate's special types where it has
/// one (so that their reserved names are used), else as the `Value`.
fn special<S: Serializer>(value: &Value, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Value::TimeTag(t) => t.serialize(s),
        Value::Color(c) => c.serialize(s),
        Value::Midi(m) => m.serialize(s),
        Value::Symbol(text) => Symbol(text.as_str()).serialize(s),
        Value::Infinitum => Infinitum.serialize(s),
        other => other.serialize(s),
    }
}

/// Framing into and out of a caller's slice: for arbitrary packets, both
/// framings' slice encoders write what the `Vec` encoders append into a
/// buffer of every size from 0 to the frame's length + 8, or fail with
/// `BufferTooSmall` naming the buffer's size and write nothing; SLIP's
/// `encoded_len` is the frame's length; `slip::decode_to_slice` agrees
/// with `slip::decode` on any bytes and every buffer size; and stream
/// decoders over a `&mut [u8]` and a `[u8; N]` of any size, fed in any
/// chunking, yield what a `Vec` decoder with that bound yields.
///
/// Input layout: byte 0 picks the framing (low 2 bits as in
/// `check_stream_framing`) and the storage size (the rest); byte 1 is a
/// chunk size (0: one byte at a time); the rest is both the stream and,
/// cut at each 0xC0, the packets to encode.
pub fn check_framing_slice(data: &[u8]) {
    let [mode, chunk, stream @ ..] = data else {
        return;
    };
    // The pieces between END bytes, and the whole stream if it has ENDs
    // (to escape, and to decode as one or more frames).
    let whole = stream.contains(&slip::END).then_some(stream);
    for packet in stream.split(|&b| b == slip::END).chain(whole) {
        encoders_agree(packet);
        slip_decoders_agree(packet);
    }

    let framing = match mode & 3 {
        0 => Some(Framing::Length),
        1 => Some(Framing::Slip),
        _ => None,
    };
    let size = usize::from(mode >> 2);
    let chunk = usize::from(*chunk).max(1);
    let chunks = || stream.chunks(chunk);

    let expected = decode_events(&mut FrameDecoder::new(framing, size), chunks(), size);
    let mut storage = vec![FILL; size];
    let mut in_slice = FrameDecoder::with_storage(framing, &mut storage[..]);
    assert_eq!(in_slice.max_frame(), size);
    let got = decode_events(&mut in_slice, chunks(), size);
    assert_eq!(expected, got, "a &mut [u8; {size}] decodes otherwise");

    let expected = decode_events(&mut FrameDecoder::new(framing, 16), chunks(), 16);
    let mut in_array = FrameDecoder::with_storage(framing, [FILL; 16]);
    let got = decode_events(&mut in_array, chunks(), 16);
    assert_eq!(expected, got, "a [u8; 16] decodes otherwise");
}

/// Both framings' slice encoders agree with the `Vec` ones (see
/// [`check_framing_slice`]).
fn encoders_agree(packet: &[u8]) {
    assert_eq!(slip::encode(packet).len(), slip::encoded_len(packet));
    for framing in [Framing::Length, Framing::Slip] {
        let mut framed = b"before".to_vec();
        framing
            .encode(packet, &mut framed)
            .expect("a short packet frames");
        assert_eq!(&framed[..6], b"before");
        let framed = &framed[6..];
        let mut buf = Vec::new();
        for size in sizes(framed.len()) {
            buf.clear();
            buf.resize(size, FILL);
            match framing.encode_to_slice(packet, &mut buf) {
                Ok(len) => {
                    assert!(size >= framed.len(), "{framing:?}: {len} bytes into {size}");
                    assert_eq!(buf[..len], framed[..], "{framing:?} into {size} bytes");
                    assert!(
                        buf[len..].iter().all(|&b| b == FILL),
                        "written past the frame"
                    );
                }
                Err(Error::BufferTooSmall { capacity }) => {
                    assert_eq!(capacity as usize, size);
                    assert!(
                        size < framed.len(),
                        "{framing:?}: refused into {size} bytes"
                    );
                    assert!(buf.iter().all(|&b| b == FILL), "written though too small");
                }
                Err(other) => panic!("{framing:?} into {size} bytes: {other:?}"),
            }
        }
    }
}

/// `slip::decode_to_slice` agrees with `slip::decode` on `frame` for every
/// buffer size, and SLIP decodes its own encoding back.
fn slip_decoders_agree(frame: &[u8]) {
    assert_eq!(
        slip::decode(&slip::encode(frame)).expect("an encoding decodes"),
        frame
    );
    let expected = slip::decode(frame);
    let needed = match &expected {
        Ok(packet) => packet.len(),
        Err(_) => frame.len(),
    };
    let mut buf = Vec::new();
    for size in sizes(needed) {
        buf.clear();
        buf.resize(size, FILL);
        match (&expected, slip::decode_to_slice(frame, &mut buf)) {
            (Ok(packet), Ok(len)) => {
                assert!(size >= packet.len(), "{len} bytes into {size}");
                assert_eq!(buf[..len], packet[..], "into {size} bytes");
            }
            (Ok(packet), Err(Error::BufferTooSmall { capacity })) => {
                assert_eq!(capacity as usize, size);
                assert!(size < packet.len(), "refused into {size} bytes");
            }
            // Too large before the error is reached.
            (Err(_), Err(Error::BufferTooSmall { capacity })) if size < frame.len() => {
                assert_eq!(capacity as usize, size);
            }
            (Err(e), Err(got)) => assert_eq!(format!("{e:?}"), format!("{got:?}")),
            (expected, got) => panic!("{frame:?}: decode {expected:?}, into {size}: {got:?}"),
        }
    }
}
