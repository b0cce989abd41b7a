//! `serde::Serializer` → OSC message bytes.
//!
//! An OSC message puts the type tag string (one tag per argument) before the
//! argument data, and the tags are only known once every argument has been
//! seen. The usual case is encoded in one pass: the address is written, room
//! is left for the tags (as many as the top-level struct, tuple or sequence
//! says it has), the data follows, and the tags, kept on the stack meanwhile,
//! are filled in at the end (moving the data only if the guess was wrong).
//! A message with more tags than that stack buffer holds, or one that fails,
//! is encoded again in two passes into the caller's buffer: a first pass
//! writes the address and the tags, a second the data. All passes share
//! every method below; a `Pass` flag says which half of each atom to write.
//! Either way encoding needs no heap scratch space, so encoding into a
//! reused `Vec` allocates nothing.
//!
//! See the crate documentation for the mapping of serde types to OSC tags.

use serde::ser::{self, Serialize};

use crate::args::MAX_DEPTH;
use crate::error::{Error, Result};
use crate::message::MESSAGE_NAME;
use crate::value::names;
use crate::wire;

/// Appends the message encoding of `value` to `out`, with `address` or the
/// address named by the value's serde name. On error `out` is unchanged.
#[inline]
pub(crate) fn encode<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    address: Option<&str>,
    value: &T,
) -> Result<()> {
    let start = out.len();
    if encode_single_pass(out, address, value).is_ok() {
        return Ok(());
    }
    // Too many tags for the single pass, or an error: the two-pass encoder
    // gives the same bytes, and the error with the same argument index.
    out.truncate(start);
    let result = encode_two_pass(out, address, value);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

/// How many type tags the single pass keeps on the stack (its buffer has
/// room for the NUL and padding after them too).
const INLINE_TAGS: usize = 64;

/// Encodes in one pass (see the module docs); an error means "use the two
/// passes", whatever its cause.
#[inline]
fn encode_single_pass<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    address: Option<&str>,
    value: &T,
) -> Result<()> {
    let Serializer {
        tag_start,
        reserved,
        tags,
        tag_count,
        ..
    } = serialize_message(out, Pass::Single, address, value)?;
    let Some(comma) = tag_start else {
        return Err(Error::NoAddress);
    };
    // The tag string: ',', the tags, a NUL, padding to 4.
    let needed = wire::padded(tag_count + 2);
    if needed != reserved {
        let data_start = comma + reserved;
        let end = out.len();
        if needed > reserved {
            out.resize(end + needed - reserved, 0);
            out.copy_within(data_start..end, comma + needed);
        } else {
            out.copy_within(data_start..end, comma + needed);
            out.truncate(end - (reserved - needed));
        }
    }
    // `tags` is zero past the last tag, so this also writes the padding.
    out[comma + 1..comma + needed].copy_from_slice(&tags[..needed - 1]);
    Ok(())
}

/// Runs `pass` over the message: the given address, if any, then `value`.
#[inline]
fn serialize_message<'o, T: Serialize + ?Sized>(
    out: &'o mut Vec<u8>,
    pass: Pass,
    address: Option<&str>,
    value: &T,
) -> Result<Serializer<'o>> {
    let mut ser = Serializer::new(out, pass);
    if let Some(address) = address {
        ser.begin_message(address)?;
    }
    value.serialize(&mut ser)?;
    Ok(ser)
}

fn encode_two_pass<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    address: Option<&str>,
    value: &T,
) -> Result<()> {
    let tags_pass = serialize_message(out, Pass::Tags, address, value)?;
    let tag_start = tags_pass.tag_start.ok_or(Error::NoAddress)?;
    let tag_len = out.len() - tag_start;
    out.resize(tag_start + wire::padded(tag_len + 1), 0);
    let mut ser = Serializer::new(out, Pass::Data);
    ser.tag_start = Some(tag_start);
    value.serialize(&mut ser)
}

/// Writes the address and the type tag string's comma; returns the comma's
/// position.
#[inline]
fn write_address(out: &mut Vec<u8>, address: &str) -> Result<usize> {
    if !address.starts_with('/') {
        return Err(Error::InvalidAddress {
            address: address.into(),
            reason: "an address must start with '/'",
        });
    }
    wire::check_str(address)?;
    wire::write_str(out, address);
    out.push(b',');
    Ok(out.len() - 1)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Everything: the tags are kept aside and written at the end.
    Single,
    /// Address and type tags.
    Tags,
    /// Argument payloads.
    Data,
}

/// What the next scalar stands for, set by a reserved serde name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pending {
    /// A special type's payload, with its OSC tag.
    Special(u8),
    /// The address field of a [`Message`](crate::Message).
    Address,
}

/// The serializer. It is created by [`to_vec`](crate::to_vec) and friends;
/// it is public only because serde's traits name it.
pub struct Serializer<'o> {
    out: &'o mut Vec<u8>,
    pass: Pass,
    /// 0 for the message itself, 1 for its arguments, more inside arrays.
    depth: usize,
    /// Where the type tag string's comma is, once the address is written.
    tag_start: Option<usize>,
    pending: Option<Pending>,
    field: Option<&'static str>,
    /// Single pass: bytes kept for the type tag string, from the comma on.
    reserved: usize,
    /// Single pass: the type tags so far.
    tags: [u8; INLINE_TAGS + 4],
    tag_count: usize,
}

impl<'o> Serializer<'o> {
    #[inline]
    fn new(out: &'o mut Vec<u8>, pass: Pass) -> Self {
        Serializer {
            out,
            pass,
            depth: 0,
            tag_start: None,
            pending: None,
            field: None,
            reserved: 0,
            tags: [0; INLINE_TAGS + 4],
            tag_count: 0,
        }
    }

    /// Writes the address (first and single passes only) and, in the
    /// single pass, leaves room for a tag string of up to 2 tags.
    #[inline]
    fn begin_message(&mut self, address: &str) -> Result<()> {
        self.tag_start = Some(write_address(self.out, address)?);
        if self.pass == Pass::Single {
            self.out.extend_from_slice(&[0; 3]);
            self.reserved = 4;
        }
        Ok(())
    }

    /// Writes one argument: its tag in the first pass, its payload in the
    /// second, both in the single pass.
    #[inline]
    fn atom(&mut self, tag: u8, payload: impl FnOnce(&mut Vec<u8>)) -> Result<()> {
        if self.pending.is_some() {
            return Err(self.bad_special());
        }
        match self.pass {
            Pass::Single => {
                if self.tag_start.is_none() {
                    return Err(Error::NoAddress);
                }
                if self.tag_count == INLINE_TAGS {
                    return Err(Error::Unsupported("more tags than the single pass keeps"));
                }
                self.tags[self.tag_count] = tag;
                self.tag_count += 1;
                payload(self.out);
            }
            Pass::Tags => {
                if self.tag_start.is_none() {
                    return Err(Error::NoAddress);
                }
                self.out.push(tag);
            }
            Pass::Data => payload(self.out),
        }
        Ok(())
    }

    fn bad_special(&mut self) -> Error {
        match self.pending.take() {
            Some(Pending::Address) => Error::Custom("a message address must be a string".into()),
            _ => Error::InvalidSpecial("special type payload"),
        }
    }

    /// Position of the next tag, for errors (meaningful in the tags pass,
    /// where every range error is found first).
    fn index(&self) -> usize {
        match (self.tag_start, self.pass) {
            (Some(start), Pass::Tags) => self.out.len() - start - 1,
            (Some(_), Pass::Single) => self.tag_count,
            _ => 0,
        }
    }

    fn out_of_range(&self, value: impl ToString, target: &'static str) -> Error {
        Error::OutOfRange {
            index: self.index(),
            field: self.field,
            value: value.to_string(),
            target,
        }
    }

    /// A serde name at the top level that is an address makes this value a
    /// message to that address (unless the caller gave one). Returns
    /// whether `name` was an address.
    #[inline]
    fn name_message(&mut self, name: &'static str) -> Result<bool> {
        if self.depth != 0 || !name.starts_with('/') {
            return Ok(false);
        }
        if self.pass != Pass::Data && self.tag_start.is_none() {
            self.begin_message(name)?;
        }
        Ok(true)
    }

    /// Starts a struct, tuple or sequence of `len` items (if known): at the
    /// top level its items are the arguments; below, it is an OSC array.
    #[inline]
    fn compound<'s>(&'s mut self, len: Option<usize>) -> Result<Compound<'s, 'o>> {
        let bracket = self.depth > 0;
        if let (false, Pass::Single, Some(comma), Some(len)) =
            (bracket, self.pass, self.tag_start, len)
        {
            // One tag per argument is the likely tag string: make room for
            // it now, while no data follows the room already kept.
            if self.out.len() == comma + self.reserved {
                // Grows by whole words (4 bytes at a time, no memset call).
                while self.reserved < wire::padded(len.min(INLINE_TAGS) + 2) {
                    self.out.extend_from_slice(&[0; 4]);
                    self.reserved += 4;
                }
            }
        }
        if bracket {
            if self.depth > MAX_DEPTH {
                return Err(Error::TooDeep { max: MAX_DEPTH });
            }
            self.atom(b'[', |_| {})?;
        }
        self.depth += 1;
        Ok(Compound {
            ser: self,
            bracket,
            message: false,
        })
    }

    #[inline]
    fn unit_argument(&mut self) -> Result<()> {
        if self.depth == 0 {
            // A unit at the top level is a message without arguments.
            if self.pending.is_some() {
                return Err(self.bad_special());
            }
            return Ok(());
        }
        self.atom(b'N', |_| {})
    }
}

/// Serializes the fields or items of a compound value.
pub struct Compound<'s, 'o> {
    ser: &'s mut Serializer<'o>,
    bracket: bool,
    /// The fields of a [`Message`](crate::Message): `address` names the
    /// message and `args` are its arguments.
    message: bool,
}

impl Compound<'_, '_> {
    #[inline]
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        value.serialize(&mut *self.ser)
    }

    #[inline]
    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<()> {
        if self.message {
            if key == "address" {
                self.ser.pending = Some(Pending::Address);
            }
            return value.serialize(&mut *self.ser);
        }
        let outer = self.ser.field.replace(key);
        let result = value.serialize(&mut *self.ser);
        self.ser.field = outer;
        result
    }

    #[inline]
    fn finish(self) -> Result<()> {
        if !self.message {
            self.ser.depth -= 1;
        }
        if self.bracket {
            self.ser.atom(b']', |_| {})?;
        }
        Ok(())
    }
}

macro_rules! int_atoms {
    ($($method:ident($ty:ty)),*) => {$(
        #[inline]
        fn $method(self, v: $ty) -> Result<()> {
            self.atom(b'i', |out| wire::write_i32(out, v.into()))
        }
    )*};
}

impl<'s, 'o> ser::Serializer for &'s mut Serializer<'o> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'s, 'o>;
    type SerializeTuple = Compound<'s, 'o>;
    type SerializeTupleStruct = Compound<'s, 'o>;
    type SerializeTupleVariant = Compound<'s, 'o>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = Compound<'s, 'o>;
    type SerializeStructVariant = Compound<'s, 'o>;

    #[inline]
    fn serialize_bool(self, v: bool) -> Result<()> {
        self.atom(if v { b'T' } else { b'F' }, |_| {})
    }

    int_atoms!(
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_u8(u8),
        serialize_u16(u16)
    );

    #[inline]
    fn serialize_u32(self, v: u32) -> Result<()> {
        match self.pending {
            Some(Pending::Special(tag @ (b'r' | b'm'))) => {
                self.pending = None;
                self.atom(tag, |out| wire::write_u32(out, v))
            }
            _ => {
                let v = i32::try_from(v).map_err(|_| self.out_of_range(v, "int32 (i)"))?;
                self.atom(b'i', |out| wire::write_i32(out, v))
            }
        }
    }

    #[inline]
    fn serialize_i64(self, v: i64) -> Result<()> {
        self.atom(b'h', |out| wire::write_i64(out, v))
    }

    #[inline]
    fn serialize_u64(self, v: u64) -> Result<()> {
        if self.pending == Some(Pending::Special(b't')) {
            self.pending = None;
            return self.atom(b't', |out| out.extend_from_slice(&v.to_be_bytes()));
        }
        let v = i64::try_from(v).map_err(|_| self.out_of_range(v, "int64 (h)"))?;
        self.atom(b'h', |out| wire::write_i64(out, v))
    }

    #[inline]
    fn serialize_f32(self, v: f32) -> Result<()> {
        self.atom(b'f', |out| wire::write_f32(out, v))
    }

    #[inline]
    fn serialize_f64(self, v: f64) -> Result<()> {
        self.atom(b'd', |out| wire::write_f64(out, v))
    }

    #[inline]
    fn serialize_char(self, v: char) -> Result<()> {
        self.atom(b'c', |out| wire::write_u32(out, v.into()))
    }

    #[inline]
    fn serialize_str(self, v: &str) -> Result<()> {
        let tag = match self.pending.take() {
            Some(Pending::Address) => {
                if self.pass != Pass::Data && self.tag_start.is_none() {
                    self.begin_message(v)?;
                }
                return Ok(());
            }
            Some(Pending::Special(b'S')) => b'S',
            Some(other) => {
                self.pending = Some(other);
                return Err(self.bad_special());
            }
            None => b's',
        };
        if self.pass != Pass::Data {
            wire::check_str(v)?;
        }
        self.atom(tag, |out| wire::write_str(out, v))
    }

    #[inline]
    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        if v.len() > i32::MAX as usize {
            return Err(self.out_of_range(format!("blob of {} bytes", v.len()), "blob (b)"));
        }
        self.atom(b'b', |out| {
            // The length was checked above.
            let _ = wire::write_blob(out, v);
        })
    }

    #[inline]
    fn serialize_none(self) -> Result<()> {
        self.atom(b'N', |_| {})
    }

    #[inline]
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }

    #[inline]
    fn serialize_unit(self) -> Result<()> {
        self.unit_argument()
    }

    #[inline]
    fn serialize_unit_struct(self, name: &'static str) -> Result<()> {
        if name == names::INFINITUM {
            return self.atom(b'I', |_| {});
        }
        if self.name_message(name)? {
            return Ok(());
        }
        self.unit_argument()
    }

    #[inline]
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<()> {
        if self.name_message(variant)? {
            return Ok(());
        }
        // A plain enum as an argument is its variant's name.
        self.serialize_str(variant)
    }

    #[inline]
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<()> {
        let special = match name {
            names::TIMETAG => Some(b't'),
            names::COLOR => Some(b'r'),
            names::MIDI => Some(b'm'),
            names::SYMBOL => Some(b'S'),
            _ => None,
        };
        if let Some(tag) = special {
            self.pending = Some(Pending::Special(tag));
            value.serialize(&mut *self)?;
            if self.pending.is_some() {
                return Err(self.bad_special());
            }
            return Ok(());
        }
        self.name_message(name)?;
        value.serialize(self)
    }

    #[inline]
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<()> {
        if self.name_message(variant)? {
            return value.serialize(self);
        }
        Err(Error::Unsupported(
            "an enum variant with data as an argument (use a unit variant, or name the variant after an address)",
        ))
    }

    #[inline]
    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'s, 'o>> {
        self.compound(len)
    }

    #[inline]
    fn serialize_tuple(self, len: usize) -> Result<Compound<'s, 'o>> {
        self.compound(Some(len))
    }

    #[inline]
    fn serialize_tuple_struct(self, name: &'static str, len: usize) -> Result<Compound<'s, 'o>> {
        self.name_message(name)?;
        self.compound(Some(len))
    }

    #[inline]
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'s, 'o>> {
        if self.name_message(variant)? {
            return self.compound(Some(len));
        }
        Err(Error::Unsupported(
            "an enum variant with data as an argument (use a unit variant, or name the variant after an address)",
        ))
    }

    #[inline]
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        Err(Error::Unsupported(
            "a map (OSC has no maps: use a struct, whose fields become arguments)",
        ))
    }

    #[inline]
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Compound<'s, 'o>> {
        if name == MESSAGE_NAME && self.depth == 0 {
            return Ok(Compound {
                ser: self,
                bracket: false,
                message: true,
            });
        }
        self.name_message(name)?;
        self.compound(Some(len))
    }

    #[inline]
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'s, 'o>> {
        self.serialize_tuple_variant(name, index, variant, len)
    }

    fn is_human_readable(&self) -> bool {
        false
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    #[inline]
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.item(value)
    }
    #[inline]
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl ser::SerializeTuple for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    #[inline]
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.item(value)
    }
    #[inline]
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    #[inline]
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.item(value)
    }
    #[inline]
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl ser::SerializeTupleVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    #[inline]
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.item(value)
    }
    #[inline]
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    #[inline]
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.field(key, value)
    }
    #[inline]
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    #[inline]
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.field(key, value)
    }
    #[inline]
    fn end(self) -> Result<()> {
        self.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{Color, Midi, TimeTag, Value};
    use crate::Message;
    use proptest::collection::vec;
    use proptest::prelude::*;

    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<i32>().prop_map(Value::Int),
            any::<f32>().prop_map(Value::Float),
            "[a-z]{0,9}".prop_map(Value::String),
            vec(any::<u8>(), 0..9).prop_map(Value::Blob),
            any::<i64>().prop_map(Value::Long),
            any::<u64>().prop_map(|b| Value::TimeTag(TimeTag::from_bits(b))),
            any::<f64>().prop_map(Value::Double),
            "[A-Z]{0,5}".prop_map(Value::Symbol),
            any::<char>().prop_map(Value::Char),
            any::<u32>().prop_map(|c| Value::Color(Color::from_u32(c))),
            any::<u32>().prop_map(|m| Value::Midi(Midi::from_u32(m))),
            any::<bool>().prop_map(Value::Bool),
            Just(Value::Nil),
            Just(Value::Infinitum),
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        leaf().prop_recursive(3, 24, 6, |inner| vec(inner, 0..6).prop_map(Value::Array))
    }

    /// Whether the single pass alone encodes `v` (to the same bytes as the
    /// two passes, which the callers check).
    fn single_pass_ok<T: Serialize + ?Sized>(address: Option<&str>, v: &T) -> bool {
        encode_single_pass(&mut Vec::new(), address, v).is_ok()
    }

    /// Encodes with the public entry point (single pass, falling back to
    /// two) and with the two passes alone, after a prefix that must stay.
    fn both<T: Serialize + ?Sized>(address: Option<&str>, v: &T) -> [(Result<()>, Vec<u8>); 2] {
        let mut one = b"pre".to_vec();
        let r1 = encode(&mut one, address, v);
        let mut two = b"pre".to_vec();
        let r2 = encode_two_pass(&mut two, address, v);
        if r2.is_err() {
            two.truncate(3);
        }
        [(r1, one), (r2, two)]
    }

    proptest! {
        /// Up to 70 arguments with nested arrays: the room kept for the tags
        /// is right, too small (arrays) or the tags overflow the stack
        /// buffer (two-pass fallback).
        #[test]
        fn single_pass_matches_two_passes(address in "/[a-z]{0,12}", args in vec(value(), 0..70)) {
            let m = Message::with_args(address, args);
            let [(r1, one), (r2, two)] = both(None, &m);
            prop_assert!(r1.is_ok() && r2.is_ok(), "{r1:?} {r2:?}");
            prop_assert_eq!(one, two);
            prop_assert_eq!(single_pass_ok(None, &m), m.type_tags().len() <= INLINE_TAGS);
        }
    }

    #[test]
    fn single_pass_matches_two_passes_for_typed_values() {
        #[derive(serde::Serialize)]
        #[serde(rename = "/t")]
        struct Nested {
            a: Vec<(i32, f32)>,
            b: Option<&'static str>,
        }
        let nested = Nested {
            a: vec![(1, 2.0), (3, 4.0)],
            b: None,
        };
        let [(r1, one), (r2, two)] = both(None, &nested);
        assert!(r1.is_ok() && r2.is_ok());
        assert!(single_pass_ok(None, &nested));
        assert_eq!(one, two);
        assert_eq!(
            &one[3..],
            b"/t\0\0,[[if][if]]N\0\0\0\0\0\0\0\x01\x40\0\0\0\0\0\0\x03\x40\x80\0\0"
        );
        for n in 0..10usize {
            let items: Vec<u8> = (0..n as u8).collect();
            let [(r1, one), (r2, two)] = both(Some("/seq"), &items);
            assert!(r1.is_ok() && r2.is_ok());
            assert!(single_pass_ok(Some("/seq"), &items));
            assert_eq!(one, two, "{n} items");
        }
    }

    /// A sequence that announces more items than it has: the room kept for
    /// the tags is too large and the data moves back.
    #[test]
    fn single_pass_handles_an_overstated_length() {
        struct Overstated;
        impl Serialize for Overstated {
            fn serialize<S: ser::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                use serde::ser::SerializeSeq;
                let mut seq = s.serialize_seq(Some(10))?;
                seq.serialize_element(&7)?;
                seq.end()
            }
        }
        let [(r1, one), (r2, two)] = both(Some("/o"), &Overstated);
        assert!(r1.is_ok() && r2.is_ok());
        assert!(single_pass_ok(Some("/o"), &Overstated));
        assert_eq!(one, two);
        assert_eq!(&one[3..], b"/o\0\0,i\0\0\0\0\0\x07");
    }

    #[test]
    fn single_pass_errors_match_two_passes() {
        let [(r1, one), (r2, two)] = both(Some("/a"), &(1u32, u32::MAX));
        assert_eq!(r1.unwrap_err().to_string(), r2.unwrap_err().to_string());
        assert_eq!((one, two), (b"pre".to_vec(), b"pre".to_vec()));
        let [(r1, _), (r2, _)] = both(Some("/a"), &(1, "nul\0"));
        assert_eq!(r1.unwrap_err().to_string(), r2.unwrap_err().to_string());
        let [(r1, _), (r2, _)] = both(None, &(1, 2));
        assert!(matches!(r1, Err(Error::NoAddress)) && matches!(r2, Err(Error::NoAddress)));
    }
}
