//! The dynamic form of OSC arguments: [`Value`] (owned) and [`ValueRef`]
//! (borrowed from a packet), plus the special OSC types.
//!
//! Use these where the argument types are not known ahead, as python-osc's
//! `params` list is used; where they are, derive `Deserialize` on a struct
//! and let [`from_slice`](crate::from_slice) do the work instead.
//!
//! This module is the public home of these types; the borrowed ones are
//! defined where packets are read (`ValueRef` with the argument cursor,
//! the special types and `TimeTag` in modules of their own below the wire
//! layer), so that the layers depend one way: time tag and special types,
//! then wire, then the argument cursor, then owned values and serde.

#[cfg(feature = "alloc")]
use alloc::{borrow::ToOwned, format, string::String, string::ToString, vec::Vec};
#[cfg(feature = "alloc")]
use core::fmt;

#[cfg(feature = "alloc")]
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
#[cfg(feature = "alloc")]
use serde::ser::{Serialize, SerializeSeq, Serializer};

pub use crate::args::ValueRef;
pub use crate::special::{Blob, Color, Infinitum, Midi, Symbol};
pub use crate::timetag::TimeTag;

#[cfg(feature = "alloc")]
use crate::args::{count_items, tag_of, Args, ArrayRef};
#[cfg(feature = "alloc")]
use crate::error::Result;
#[cfg(feature = "alloc")]
use crate::special::names;

#[cfg(feature = "alloc")]
/// One OSC argument, of any type. The variant names the tag.
///
/// ```
/// use osc_serde::Value;
/// let v: Value = 440.0f32.into();
/// assert_eq!(v, Value::Float(440.0));
/// assert_eq!(v.tag(), b'f');
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `i`: 32-bit signed integer.
    Int(i32),
    /// `f`: 32-bit float.
    Float(f32),
    /// `s`: string.
    String(String),
    /// `b`: blob of bytes.
    Blob(Vec<u8>),
    /// `h`: 64-bit signed integer.
    Long(i64),
    /// `t`: time tag.
    TimeTag(TimeTag),
    /// `d`: 64-bit float.
    Double(f64),
    /// `S`: symbol.
    Symbol(String),
    /// `c`: character (a 32-bit Unicode code point on the wire).
    Char(char),
    /// `r`: RGBA colour.
    Color(Color),
    /// `m`: MIDI message.
    Midi(Midi),
    /// `T` or `F`: boolean, no payload.
    Bool(bool),
    /// `N`: nil, no payload.
    Nil,
    /// `I`: infinitum (impulse), no payload.
    Infinitum,
    /// `[` … `]`: array of arguments, possibly nested.
    Array(Vec<Value>),
}

#[cfg(feature = "alloc")]
impl Value {
    /// The OSC type tag of this value (`[` for an array).
    pub fn tag(&self) -> u8 {
        tag_of!(self, Value)
    }

    /// Converts to the OSC type `tag`, for the cases where one Rust value
    /// has several OSC types (python-osc's `add_arg(value, arg_type)`):
    /// `i`↔`h`, `f`↔`d`, `s`↔`S`, and any integer or string to `c`.
    /// Lossy conversions are refused.
    ///
    /// ```
    /// use osc_serde::Value;
    /// assert_eq!(Value::from(1.5f32).convert(b'd').unwrap(), Value::Double(1.5));
    /// assert_eq!(Value::from("sine").convert(b'S').unwrap(), Value::Symbol("sine".into()));
    /// assert!(Value::Long(1 << 40).convert(b'i').is_err());
    /// ```
    pub fn convert(self, tag: u8) -> Result<Value> {
        use crate::error::{Error, Expected};
        if self.tag() == tag {
            return Ok(self);
        }
        let found = self.tag();
        let Some(target) = Expected::of_tag(tag) else {
            return Err(Error::UnknownTypeTag {
                tag: tag as char,
                index: 0,
            });
        };
        let out_of_range = |value: String| Error::out_of_range(0, target, value, None);
        Ok(match (self, tag) {
            (Value::Int(v), b'h') => Value::Long(v.into()),
            (Value::Long(v), b'i') => {
                Value::Int(i32::try_from(v).map_err(|_| out_of_range(v.to_string()))?)
            }
            (Value::Float(v), b'd') => Value::Double(v.into()),
            (Value::Double(v), b'f') => {
                let f = v as f32;
                if f64::from(f) != v && !v.is_nan() {
                    return Err(out_of_range(v.to_string()));
                }
                Value::Float(f)
            }
            (Value::String(s), b'S') => Value::Symbol(s),
            (Value::Symbol(s), b's') => Value::String(s),
            (Value::String(s) | Value::Symbol(s), b'c') => {
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => Value::Char(c),
                    _ => return Err(out_of_range(format!("{s:?}"))),
                }
            }
            (Value::Int(v), b'c') => Value::Char(
                u32::try_from(v)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| out_of_range(v.to_string()))?,
            ),
            (Value::Nil, b'I') => Value::Infinitum,
            (Value::Bool(_), b'T') => Value::Bool(true),
            (Value::Bool(_), b'F') => Value::Bool(false),
            _ => return Err(Error::mismatch(0, target, found)),
        })
    }

    /// The value as `i32`, if it is an `i`.
    pub fn as_int(&self) -> Option<i32> {
        match *self {
            Value::Int(v) => Some(v),
            _ => None,
        }
    }

    /// The value as `i64`, if it is an `i` or `h`.
    pub fn as_long(&self) -> Option<i64> {
        match *self {
            Value::Int(v) => Some(v.into()),
            Value::Long(v) => Some(v),
            _ => None,
        }
    }

    /// The value as `f32`, if it is an `f`.
    pub fn as_float(&self) -> Option<f32> {
        match *self {
            Value::Float(v) => Some(v),
            _ => None,
        }
    }

    /// The value as `f64`, if it is an `f` or `d`.
    pub fn as_double(&self) -> Option<f64> {
        match *self {
            Value::Float(v) => Some(v.into()),
            Value::Double(v) => Some(v),
            _ => None,
        }
    }

    /// The value as `&str`, if it is an `s` or `S`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) | Value::Symbol(s) => Some(s),
            _ => None,
        }
    }

    /// The value as bytes, if it is a `b`.
    pub fn as_blob(&self) -> Option<&[u8]> {
        match self {
            Value::Blob(b) => Some(b),
            _ => None,
        }
    }

    /// The value as `bool`, if it is a `T` or `F`.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The items, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
}

#[cfg(feature = "alloc")]
impl ValueRef<'_> {
    /// An owned copy. Fails only if an array holds malformed data.
    #[inline]
    pub fn to_value(&self) -> Result<Value> {
        Ok(match *self {
            ValueRef::Int(v) => Value::Int(v),
            ValueRef::Float(v) => Value::Float(v),
            ValueRef::String(s) => Value::String(s.to_owned()),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
            ValueRef::Long(v) => Value::Long(v),
            ValueRef::TimeTag(t) => Value::TimeTag(t),
            ValueRef::Double(v) => Value::Double(v),
            ValueRef::Symbol(s) => Value::Symbol(s.to_owned()),
            ValueRef::Char(c) => Value::Char(c),
            ValueRef::Color(c) => Value::Color(c),
            ValueRef::Midi(m) => Value::Midi(m),
            ValueRef::Bool(b) => Value::Bool(b),
            ValueRef::Nil => Value::Nil,
            ValueRef::Infinitum => Value::Infinitum,
            ValueRef::Array(a) => Value::Array(a.to_values()?),
        })
    }
}

/// Owned copies of the arguments of one level (a message's or an array's).
/// The `Vec` is sized from the tags up front: at most one entry per tag
/// byte of the packet, so the allocation is bounded by the input.
#[cfg(feature = "alloc")]
pub(crate) fn to_values(tags: &[u8], data: &[u8]) -> Result<Vec<Value>> {
    let mut values = Vec::with_capacity(count_items(tags));
    for arg in Args::new(tags, data) {
        values.push(arg?.to_value()?);
    }
    Ok(values)
}

#[cfg(feature = "alloc")]
impl ArrayRef<'_> {
    /// Owned copies of the items.
    #[inline(never)]
    pub(crate) fn to_values(self) -> Result<Vec<Value>> {
        to_values(self.tags, self.data)
    }
}

#[cfg(feature = "alloc")]
macro_rules! value_from {
    ($($ty:ty => $variant:ident $(via $conv:ty)?),* $(,)?) => {$(
        impl From<$ty> for Value {
            fn from(v: $ty) -> Value {
                Value::$variant(v $(as $conv)?.into())
            }
        }
    )*};
}

#[cfg(feature = "alloc")]
value_from! {
    i32 => Int, i16 => Int, i8 => Int, u16 => Int, u8 => Int,
    i64 => Long, f32 => Float, f64 => Double,
    String => String, &str => String, Vec<u8> => Blob, &[u8] => Blob,
    bool => Bool, char => Char, TimeTag => TimeTag, Color => Color, Midi => Midi,
    Vec<Value> => Array,
}

#[cfg(feature = "alloc")]
impl From<Blob> for Value {
    fn from(b: Blob) -> Value {
        Value::Blob(b.0)
    }
}

#[cfg(feature = "alloc")]
impl<S: Into<String>> From<Symbol<S>> for Value {
    fn from(s: Symbol<S>) -> Value {
        Value::Symbol(s.0.into())
    }
}

#[cfg(feature = "alloc")]
impl From<Infinitum> for Value {
    fn from(_: Infinitum) -> Value {
        Value::Infinitum
    }
}

#[cfg(feature = "alloc")]
impl From<()> for Value {
    fn from(_: ()) -> Value {
        Value::Nil
    }
}

#[cfg(feature = "alloc")]
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Nil, Into::into)
    }
}

#[cfg(feature = "alloc")]
impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        match self {
            Value::Int(v) => s.serialize_i32(*v),
            Value::Float(v) => s.serialize_f32(*v),
            Value::String(v) => s.serialize_str(v),
            Value::Blob(v) => s.serialize_bytes(v),
            Value::Long(v) => s.serialize_i64(*v),
            Value::TimeTag(v) => v.serialize(s),
            Value::Double(v) => s.serialize_f64(*v),
            Value::Symbol(v) => Symbol(v.as_str()).serialize(s),
            Value::Char(v) => s.serialize_char(*v),
            Value::Color(v) => v.serialize(s),
            Value::Midi(v) => v.serialize(s),
            Value::Bool(v) => s.serialize_bool(*v),
            Value::Nil => s.serialize_unit(),
            Value::Infinitum => Infinitum.serialize(s),
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
        }
    }
}

#[cfg(feature = "alloc")]
/// Visits any OSC argument. This crate's deserializer presents the types
/// serde lacks (`t r m S I`) as a one-entry map keyed by their reserved
/// name; other formats give plain numbers and strings.
struct ValueVisitor;

#[cfg(feature = "alloc")]
impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an OSC argument")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i32<E>(self, v: i32) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Long(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Long)
            .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &"an int64"))
    }
    fn visit_f32<E>(self, v: f32) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Double(v))
    }
    fn visit_char<E>(self, v: char) -> Result<Value, E> {
        Ok(Value::Char(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Blob(v.to_vec()))
    }
    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Value, E> {
        Ok(Value::Blob(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let key: &str = map
            .next_key()?
            .ok_or_else(|| de::Error::custom("empty map is not an OSC argument"))?;
        let value = match names::tag(key) {
            Some(b't') => Value::TimeTag(TimeTag::from_bits(map.next_value()?)),
            Some(b'r') => Value::Color(Color::from_u32(map.next_value()?)),
            Some(b'm') => Value::Midi(Midi::from_u32(map.next_value()?)),
            Some(b'S') => Value::Symbol(map.next_value()?),
            Some(b'I') => {
                map.next_value::<()>()?;
                Value::Infinitum
            }
            _ => {
                return Err(de::Error::custom(format!(
                    "a map (key {key:?}) is not an OSC argument"
                )))
            }
        };
        Ok(value)
    }
}

#[cfg(feature = "alloc")]
impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

#[cfg(feature = "alloc")]
impl fmt::Display for Value {
    /// The argument as liblo's `oscdump` prints it (arrays and colours, which
    /// liblo lacks, as `[a b]` and `RGBA [0x.. x4]`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(v) => write!(f, "{v}"),
            Value::Long(v) => write!(f, "{v}"),
            Value::Float(v) => write_c_float(f, f64::from(*v)),
            Value::Double(v) => write_c_float(f, *v),
            Value::String(s) => write!(f, "\"{s}\""),
            Value::Symbol(s) => write!(f, "'{s}"),
            Value::Char(c) => write!(f, "'{c}'"),
            Value::Blob(b) if b.len() <= 12 => {
                // liblo prints "[%db " and the bytes space-separated, so an
                // empty blob is "[0b ]".
                write!(f, "[{}b ", b.len())?;
                for (i, byte) in b.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    // C's "%#02x": 0 prints "00", others "0x.." without padding.
                    if *byte == 0 {
                        f.write_str("00")?;
                    } else {
                        write!(f, "{byte:#x}")?;
                    }
                }
                f.write_str("]")
            }
            Value::Blob(b) => write!(f, "[{} byte blob]", b.len()),
            Value::TimeTag(t) => write!(f, "{t}"),
            Value::Midi(m) => write!(
                f,
                "MIDI [0x{:02x} 0x{:02x} 0x{:02x} 0x{:02x}]",
                m.port, m.status, m.data1, m.data2
            ),
            Value::Color(c) => write!(
                f,
                "RGBA [0x{:02x} 0x{:02x} 0x{:02x} 0x{:02x}]",
                c.r, c.g, c.b, c.a
            ),
            Value::Bool(true) => f.write_str("#T"),
            Value::Bool(false) => f.write_str("#F"),
            Value::Nil => f.write_str("Nil"),
            Value::Infinitum => f.write_str("Infinitum"),
            Value::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
        }
    }
}

#[cfg(feature = "alloc")]
/// Writes `v` as C's `printf("%f")` does: six decimals, `inf`/`-inf`, and
/// `nan`/`-nan` by the sign bit (Rust would print `NaN`).
fn write_c_float(f: &mut fmt::Formatter<'_>, v: f64) -> fmt::Result {
    if v.is_nan() {
        f.write_str(if v.is_sign_negative() { "-nan" } else { "nan" })
    } else {
        write!(f, "{v:.6}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each expected string is what liblo 0.31's `oscdump` printed for the
    /// same argument.
    #[test]
    fn display_matches_liblo_oscdump() {
        let cases: [(Value, &str); 12] = [
            (
                Value::Blob(vec![0, 1, 0x7f, 0x80, 0xff]),
                "[5b 00 0x1 0x7f 0x80 0xff]",
            ),
            (Value::Blob(vec![]), "[0b ]"),
            (
                Value::Blob((0..12).collect()),
                "[12b 00 0x1 0x2 0x3 0x4 0x5 0x6 0x7 0x8 0x9 0xa 0xb]",
            ),
            (Value::Blob((0..13).collect()), "[13 byte blob]"),
            (Value::Float(f32::NAN), "nan"),
            (Value::Float(f32::INFINITY), "inf"),
            (Value::Float(-0.0), "-0.000000"),
            (Value::Float(1e20), "100000002004087734272.000000"),
            (Value::Double(-f64::NAN), "-nan"),
            (Value::Float(0.1), "0.100000"),
            (Value::TimeTag(TimeTag::new(1, 2)), "00000001.00000002"),
            (
                Value::Midi(Midi::from_u32(0x00903c64)),
                "MIDI [0x00 0x90 0x3c 0x64]",
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(value.to_string(), expected, "{value:?}");
        }
    }
}
