//! `serde::Serializer` → OSC message bytes.
//!
//! An OSC message puts the type tag string (one tag per argument) before the
//! argument data, and the tags are only known once every argument has been
//! seen. Rather than buffer the data or shift bytes afterwards, the value is
//! serialized twice into the caller's buffer: a first pass writes the address
//! and the tags, a second the data. Both passes share every method below; a
//! `Pass` flag says which half of each atom to write. This keeps encoding
//! free of scratch buffers, so encoding into a reused `Vec` allocates nothing.
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
pub(crate) fn encode<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    address: Option<&str>,
    value: &T,
) -> Result<()> {
    let start = out.len();
    let result = encode_unchecked(out, address, value);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

fn encode_unchecked<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    address: Option<&str>,
    value: &T,
) -> Result<()> {
    let mut tag_start = None;
    if let Some(address) = address {
        tag_start = Some(write_address(out, address)?);
    }
    let mut ser = Serializer {
        out,
        pass: Pass::Tags,
        depth: 0,
        tag_start,
        pending: None,
        field: None,
    };
    value.serialize(&mut ser)?;
    let tag_start = ser.tag_start.ok_or(Error::NoAddress)?;
    let tag_len = out.len() - tag_start;
    out.resize(tag_start + wire::padded(tag_len + 1), 0);
    value.serialize(&mut Serializer {
        out,
        pass: Pass::Data,
        depth: 0,
        tag_start: Some(tag_start),
        pending: None,
        field: None,
    })
}

/// Writes the address and the type tag string's comma; returns the comma's
/// position.
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
}

impl<'o> Serializer<'o> {
    /// Writes one argument: its tag in the first pass, its payload in the
    /// second.
    #[inline]
    fn atom(&mut self, tag: u8, payload: impl FnOnce(&mut Vec<u8>)) -> Result<()> {
        if self.pending.is_some() {
            return Err(self.bad_special());
        }
        match self.pass {
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
        match self.tag_start {
            Some(start) if self.pass == Pass::Tags => self.out.len() - start - 1,
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
    fn name_message(&mut self, name: &'static str) -> Result<bool> {
        if self.depth != 0 || !name.starts_with('/') {
            return Ok(false);
        }
        if self.pass == Pass::Tags && self.tag_start.is_none() {
            self.tag_start = Some(write_address(self.out, name)?);
        }
        Ok(true)
    }

    /// Starts a struct, tuple or sequence: at the top level its items are
    /// the arguments; below, it is an OSC array.
    fn compound<'s>(&'s mut self) -> Result<Compound<'s, 'o>> {
        let bracket = self.depth > 0;
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
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        value.serialize(&mut *self.ser)
    }

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

    fn serialize_i64(self, v: i64) -> Result<()> {
        self.atom(b'h', |out| wire::write_i64(out, v))
    }

    fn serialize_u64(self, v: u64) -> Result<()> {
        if self.pending == Some(Pending::Special(b't')) {
            self.pending = None;
            return self.atom(b't', |out| out.extend_from_slice(&v.to_be_bytes()));
        }
        let v = i64::try_from(v).map_err(|_| self.out_of_range(v, "int64 (h)"))?;
        self.atom(b'h', |out| wire::write_i64(out, v))
    }

    fn serialize_f32(self, v: f32) -> Result<()> {
        self.atom(b'f', |out| wire::write_f32(out, v))
    }

    fn serialize_f64(self, v: f64) -> Result<()> {
        self.atom(b'd', |out| wire::write_f64(out, v))
    }

    fn serialize_char(self, v: char) -> Result<()> {
        self.atom(b'c', |out| wire::write_u32(out, v.into()))
    }

    fn serialize_str(self, v: &str) -> Result<()> {
        let tag = match self.pending.take() {
            Some(Pending::Address) => {
                if self.pass == Pass::Tags && self.tag_start.is_none() {
                    self.tag_start = Some(write_address(self.out, v)?);
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
        if self.pass == Pass::Tags {
            wire::check_str(v)?;
        }
        self.atom(tag, |out| wire::write_str(out, v))
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        if v.len() > i32::MAX as usize {
            return Err(self.out_of_range(format!("blob of {} bytes", v.len()), "blob (b)"));
        }
        self.atom(b'b', |out| {
            // The length was checked above.
            let _ = wire::write_blob(out, v);
        })
    }

    fn serialize_none(self) -> Result<()> {
        self.atom(b'N', |_| {})
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<()> {
        self.unit_argument()
    }

    fn serialize_unit_struct(self, name: &'static str) -> Result<()> {
        if name == names::INFINITUM {
            return self.atom(b'I', |_| {});
        }
        if self.name_message(name)? {
            return Ok(());
        }
        self.unit_argument()
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<()> {
        if self.name_message(variant)? {
            return Ok(());
        }
        // A plain enum as an argument is its variant's name.
        self.serialize_str(variant)
    }

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

    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'s, 'o>> {
        self.compound()
    }

    fn serialize_tuple(self, _: usize) -> Result<Compound<'s, 'o>> {
        self.compound()
    }

    fn serialize_tuple_struct(self, name: &'static str, _: usize) -> Result<Compound<'s, 'o>> {
        self.name_message(name)?;
        self.compound()
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'s, 'o>> {
        if self.name_message(variant)? {
            return self.compound();
        }
        Err(Error::Unsupported(
            "an enum variant with data as an argument (use a unit variant, or name the variant after an address)",
        ))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        Err(Error::Unsupported(
            "a map (OSC has no maps: use a struct, whose fields become arguments)",
        ))
    }

    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Compound<'s, 'o>> {
        if name == MESSAGE_NAME && self.depth == 0 {
            return Ok(Compound {
                ser: self,
                bracket: false,
                message: true,
            });
        }
        self.name_message(name)?;
        self.compound()
    }

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

/// The six compound traits differ only in the name of their method, and
/// in whether it gets a field name.
macro_rules! compound_impls {
    ($($trait:ident :: $method:ident ($($key:ident)?)),* $(,)?) => {$(
        impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(
                &mut self,
                $($key: &'static str,)?
                value: &T,
            ) -> Result<()> {
                compound_impls!(@call self, value $(, $key)?)
            }
            fn end(self) -> Result<()> {
                self.finish()
            }
        }
    )*};
    (@call $self:ident, $value:ident) => { $self.item($value) };
    (@call $self:ident, $value:ident, $key:ident) => { $self.field($key, $value) };
}

compound_impls! {
    SerializeSeq::serialize_element(),
    SerializeTuple::serialize_element(),
    SerializeTupleStruct::serialize_field(),
    SerializeTupleVariant::serialize_field(),
    SerializeStruct::serialize_field(key),
    SerializeStructVariant::serialize_field(key),
}
