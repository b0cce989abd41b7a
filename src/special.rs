//! The OSC types that have no serde counterpart: `t`, `r`, `m`, `S`, `I`
//! and `b`.
//!
//! Each serializes through a serde newtype or unit struct with a reserved
//! name (the technique of `serde_json::value::RawValue`). This crate's
//! serializer and deserializer recognise the names and use the OSC tag;
//! any other serde format sees an ordinary newtype around the payload, so
//! these types also work inside user structs and in JSON.

#[cfg(feature = "alloc")]
use alloc::{borrow::ToOwned, string::String, vec::Vec};
use core::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};

use crate::timetag::TimeTag;

/// The reserved serde names, and the one table that pairs each special
/// type's name with its OSC tag: the serializer, the deserializer and
/// `Value`'s visitor all go through it. The names begin with `$`, which no
/// Rust identifier or OSC address does, so they cannot collide with a
/// user's type.
pub(crate) mod names {
    pub const TIMETAG: &str = "$osc::TimeTag";
    pub const COLOR: &str = "$osc::Color";
    pub const MIDI: &str = "$osc::Midi";
    pub const SYMBOL: &str = "$osc::Symbol";
    pub const INFINITUM: &str = "$osc::Infinitum";
    /// A whole message (address and arguments): [`Message`](crate::Message).
    pub const MESSAGE: &str = "$osc::Message";

    /// Each special type's name and OSC tag.
    const TAGGED: [(&str, u8); 5] = [
        (TIMETAG, b't'),
        (COLOR, b'r'),
        (MIDI, b'm'),
        (SYMBOL, b'S'),
        (INFINITUM, b'I'),
    ];

    /// The OSC tag of the special type named `name`, if it is one.
    #[inline]
    pub fn tag(name: &str) -> Option<u8> {
        if !name.starts_with('$') {
            return None;
        }
        TAGGED.iter().find(|(n, _)| *n == name).map(|&(_, tag)| tag)
    }

    /// The name of the special type with OSC tag `tag`, if there is one.
    pub fn name(tag: u8) -> Option<&'static str> {
        TAGGED
            .iter()
            .find(|(_, t)| *t == tag)
            .map(|&(name, _)| name)
    }
}

/// An RGBA colour, OSC tag `r`: four bytes, red first.
///
/// ```
/// use osc_serde::{Color, Message, Value};
/// let m = Message::new("/led").arg(Color { r: 255, g: 128, b: 0, a: 255 });
/// assert_eq!(m.args[0], Value::Color(Color::from_u32(0xff8000ff)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Color {
    /// Red.
    pub r: u8,
    /// Green.
    pub g: u8,
    /// Blue.
    pub b: u8,
    /// Alpha.
    pub a: u8,
}

impl Color {
    /// From the wire value (`0xRRGGBBAA`).
    pub const fn from_u32(v: u32) -> Self {
        let [r, g, b, a] = v.to_be_bytes();
        Color { r, g, b, a }
    }

    /// The wire value (`0xRRGGBBAA`).
    pub const fn to_u32(self) -> u32 {
        u32::from_be_bytes([self.r, self.g, self.b, self.a])
    }
}

/// A 4-byte MIDI message, OSC tag `m`: port id, status byte, data 1, data 2
/// (most significant byte first).
///
/// ```
/// use osc_serde::Midi;
/// let note_on = Midi { port: 0, status: 0x90, data1: 60, data2: 100 };
/// assert_eq!(note_on.to_u32(), 0x00903c64);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Midi {
    /// Port id.
    pub port: u8,
    /// Status byte.
    pub status: u8,
    /// First data byte.
    pub data1: u8,
    /// Second data byte.
    pub data2: u8,
}

impl Midi {
    /// From the wire value (port in the most significant byte).
    pub const fn from_u32(v: u32) -> Self {
        let [port, status, data1, data2] = v.to_be_bytes();
        Midi {
            port,
            status,
            data1,
            data2,
        }
    }

    /// The wire value (port in the most significant byte).
    pub const fn to_u32(self) -> u32 {
        u32::from_be_bytes([self.port, self.status, self.data1, self.data2])
    }
}

/// An OSC symbol, tag `S`: a string that the receiver should treat as a
/// name (SuperCollider uses them). `Symbol<&str>` borrows from the input
/// when deserialized.
///
/// ```
/// use osc_serde::{Symbol, to_vec_with_address};
/// let bytes = to_vec_with_address("/s", &Symbol("sine")).unwrap();
/// assert_eq!(bytes, b"/s\0\0,S\0\0sine\0\0\0\0");
/// ```
#[cfg(feature = "alloc")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Symbol<S = String>(pub S);

/// An OSC symbol, tag `S`: a string that names something (python-osc and
/// most servers treat it as a string). Without an allocator, use
/// `Symbol<&str>`.
#[cfg(not(feature = "alloc"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Symbol<S>(pub S);

/// The OSC `I` tag ("Infinitum", also called Impulse or Bang in OSC 1.1):
/// an argument with no payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Infinitum;

/// An OSC blob, tag `b`: owned (`Blob<Vec<u8>>`, the default) or borrowed
/// (`Blob<&[u8]>`, which decodes without copying and needs no allocator).
///
/// In your own structs a `&[u8]` or `Vec<u8>` field is a blob too (any
/// sequence of `u8` inside the arguments is), as is a `serde_bytes` field;
/// `Blob` says it explicitly and also works at the top level, where a
/// sequence's items would otherwise be the message's arguments.
///
/// ```
/// use osc_serde::{from_slice, to_vec_with_address, Blob};
///
/// let bytes = to_vec_with_address("/b", &Blob(&[1u8, 2, 3][..]))?;
/// assert_eq!(bytes, b"/b\0\0,b\0\0\0\0\0\x03\x01\x02\x03\0");
/// let Blob(data): Blob<&[u8]> = from_slice(&bytes)?;
/// assert_eq!(data, [1, 2, 3]);
/// # Ok::<(), osc_serde::Error>(())
/// ```
#[cfg(feature = "alloc")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Blob<B = Vec<u8>>(pub B);

/// An OSC blob, tag `b`. Without an allocator, use `Blob<&[u8]>`.
#[cfg(not(feature = "alloc"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Blob<B>(pub B);

/// Deserializes a special type's `u32`/`u64` payload, accepting it either
/// inside a newtype (this crate, and formats that keep newtypes) or bare.
struct BitsVisitor<T> {
    expecting: &'static str,
    make: fn(u64) -> Option<T>,
}

impl<'de, T> Visitor<'de> for BitsVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        (self.make)(v).ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        let v = u64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))?;
        self.visit_u64(v)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        let v = u64::deserialize(d)?;
        (self.make)(v).ok_or_else(|| de::Error::invalid_value(de::Unexpected::Unsigned(v), &self))
    }
}

macro_rules! bits_serde {
    ($ty:ty, $name:expr, $bits:ty, $to:expr, $from:expr, $expecting:literal) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let to: fn(&$ty) -> $bits = $to;
                s.serialize_newtype_struct($name, &to(self))
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_newtype_struct(
                    $name,
                    BitsVisitor {
                        expecting: $expecting,
                        make: |v| <$bits>::try_from(v).ok().map($from),
                    },
                )
            }
        }
    };
}

bits_serde!(
    TimeTag,
    names::TIMETAG,
    u64,
    |t| t.to_bits(),
    TimeTag::from_bits,
    "an OSC time tag"
);
bits_serde!(
    Color,
    names::COLOR,
    u32,
    |c| c.to_u32(),
    Color::from_u32,
    "an OSC RGBA colour"
);
bits_serde!(
    Midi,
    names::MIDI,
    u32,
    |m| m.to_u32(),
    Midi::from_u32,
    "an OSC MIDI message"
);

impl<S: AsRef<str>> Serialize for Symbol<S> {
    fn serialize<Ser: Serializer>(&self, s: Ser) -> Result<Ser::Ok, Ser::Error> {
        s.serialize_newtype_struct(names::SYMBOL, self.0.as_ref())
    }
}

impl<'de, S: Deserialize<'de>> Deserialize<'de> for Symbol<S> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SymbolVisitor<S>(core::marker::PhantomData<S>);
        impl<'de, S: Deserialize<'de>> Visitor<'de> for SymbolVisitor<S> {
            type Value = Symbol<S>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an OSC symbol")
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<Self::Value, D::Error> {
                S::deserialize(d).map(Symbol)
            }
        }
        d.deserialize_newtype_struct(names::SYMBOL, SymbolVisitor(core::marker::PhantomData))
    }
}

impl Serialize for Infinitum {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_unit_struct(names::INFINITUM)
    }
}

impl<'de> Deserialize<'de> for Infinitum {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct InfinitumVisitor;
        impl<'de> Visitor<'de> for InfinitumVisitor {
            type Value = Infinitum;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("OSC Infinitum")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Infinitum, E> {
                Ok(Infinitum)
            }
        }
        d.deserialize_unit_struct(names::INFINITUM, InfinitumVisitor)
    }
}

impl<B: AsRef<[u8]>> Serialize for Blob<B> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0.as_ref())
    }
}

#[cfg(feature = "alloc")]
impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct BlobVisitor;
        impl<'de> Visitor<'de> for BlobVisitor {
            type Value = Blob;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an OSC blob")
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Blob, E> {
                Ok(Blob(v.to_vec()))
            }
            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Blob, E> {
                Ok(Blob(v))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Blob, A::Error> {
                let mut out = Vec::new();
                while let Some(b) = seq.next_element::<u8>()? {
                    out.push(b);
                }
                Ok(Blob(out))
            }
        }
        d.deserialize_byte_buf(BlobVisitor)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Blob<&'a [u8]> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <&'a [u8]>::deserialize(d).map(Blob)
    }
}

#[cfg(feature = "alloc")]
impl From<Vec<u8>> for Blob {
    fn from(v: Vec<u8>) -> Self {
        Blob(v)
    }
}

#[cfg(feature = "alloc")]
impl From<&[u8]> for Blob {
    fn from(v: &[u8]) -> Self {
        Blob(v.to_vec())
    }
}

#[cfg(feature = "alloc")]
impl<'a> From<&'a str> for Symbol<String> {
    fn from(s: &'a str) -> Self {
        Symbol(s.to_owned())
    }
}
