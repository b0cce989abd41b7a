//! `serde::Deserializer` ← OSC message arguments, zero-copy.
//!
//! The deserializer walks the arguments through a [`Source`], checking each
//! tag against what the target type asks for. Received bytes are read with
//! the shared [`ArgCursor`]; the owned arguments of a
//! [`Message`](crate::Message) with the cursor of `crate::value_source`,
//! so that `Message::decode_args` needs no trip through bytes and both paths
//! share every rule below. `&str` and `&[u8]` are handed out borrowed from
//! the input, so a struct of such fields is decoded without a single
//! allocation.
//!
//! See the crate documentation for the mapping of OSC tags to serde types.

use serde::de::value::{
    BorrowedStrDeserializer, SeqDeserializer, U32Deserializer, U64Deserializer,
};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::Deserialize;

use crate::args::{ArgCursor, ValueRef};
use crate::error::{Detail, Error, Expected, Result, Unsupported};
use crate::special::names;
use crate::wire;

/// Decodes the message with `address`, (checked) type `tags` and argument
/// `data` into `T`: see the crate docs for the mapping. All arguments must
/// be consumed. [`MessageRef::deserialize`](crate::MessageRef::deserialize)
/// calls this with the parts it parsed.
#[inline]
pub(crate) fn from_parts<'de, T: Deserialize<'de>>(
    address: &'de str,
    tags: &'de [u8],
    data: &'de [u8],
) -> Result<T> {
    from_source(address, ArgCursor::new(tags, data))
}

/// Decodes the message with `address` and the arguments `source` yields
/// into `T`. All arguments must be consumed.
#[inline]
pub(crate) fn from_source<'de, T: Deserialize<'de>, S: Source<'de>>(
    address: &'de str,
    source: S,
) -> Result<T> {
    let mut de = Deserializer {
        address,
        cursor: source,
        top: true,
    };
    let value = T::deserialize(&mut de)?;
    de.cursor.finish()?;
    Ok(value)
}

/// Where the deserializer reads arguments from: a position in a message's
/// arguments, seen as the type tag string it has (or would have) on the
/// wire. The tags are known to be valid and the nesting bounded.
pub(crate) trait Source<'de> {
    /// The next tag, without taking it: `]` at the end of an array, `None`
    /// at the end of the message.
    fn peek(&self) -> Option<u8>;
    /// Takes the tag [`peek`](Source::peek) shows: `[` enters the array,
    /// `]` leaves it, any other leaves its payload for
    /// [`read_atom`](Source::read_atom).
    fn bump(&mut self);
    /// Reads the payload of the non-array `tag` just taken.
    fn read_atom(&mut self, tag: u8) -> Result<ValueRef<'de>>;
    /// Takes the next argument if it is exactly a `T`: the common case of a
    /// field whose type matches what was sent, without going through
    /// [`ValueRef`]. `None` leaves it for the general path.
    fn exact<T: Exact<'de>>(&mut self) -> Option<Result<T>>;
    /// Takes the next argument if it is an empty array.
    fn take_empty_array(&mut self) -> bool;
    /// Skips the next argument (a whole array at once); `false` at the end
    /// of this level.
    fn skip(&mut self) -> Result<bool>;
    /// The position of the next argument among its siblings, for errors.
    fn index(&self) -> usize;
    /// Sets that position (arrays count their items from 0).
    fn set_index(&mut self, index: usize);
    /// The error for items left at this level that the target did not take.
    fn too_many(&self) -> Error;
    /// Errors unless every argument was taken.
    fn finish(&self) -> Result<()>;
}

/// An argument type read by [`Source::exact`]: one OSC tag, read straight
/// from the wire or picked from a [`ValueRef`].
pub(crate) trait Exact<'de>: Sized {
    /// The OSC tag.
    const TAG: u8;
    /// Reads the payload from argument data.
    fn read(data: &mut &'de [u8]) -> Result<Self>;
    /// The value, if `value` has this tag (read from owned `Value`s, so
    /// unused without an allocator).
    #[cfg_attr(not(feature = "alloc"), allow(dead_code))]
    fn pick(value: ValueRef<'de>) -> Option<Self>;
}

macro_rules! exact {
    ($($ty:ty => $tag:literal, $read:path, $variant:ident;)*) => {$(
        impl<'de> Exact<'de> for $ty {
            const TAG: u8 = $tag;
            #[inline(always)]
            fn read(data: &mut &'de [u8]) -> Result<Self> {
                $read(data)
            }
            #[inline(always)]
            fn pick(value: ValueRef<'de>) -> Option<Self> {
                match value {
                    ValueRef::$variant(v) => Some(v),
                    _ => None,
                }
            }
        }
    )*};
}

exact! {
    i32 => b'i', wire::read_i32, Int;
    f32 => b'f', wire::read_f32, Float;
    f64 => b'd', wire::read_f64, Double;
    &'de str => b's', wire::read_str, String;
    &'de [u8] => b'b', wire::read_blob, Blob;
}

/// Received bytes: the tags and data of a checked message.
impl<'de> Source<'de> for ArgCursor<'de> {
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        ArgCursor::peek(self)
    }

    #[inline(always)]
    fn bump(&mut self) {
        ArgCursor::bump(self);
    }

    #[inline(always)]
    fn read_atom(&mut self, tag: u8) -> Result<ValueRef<'de>> {
        ArgCursor::read_atom(self, tag)
    }

    #[inline(always)]
    fn exact<T: Exact<'de>>(&mut self) -> Option<Result<T>> {
        if self.peek() != Some(T::TAG) {
            return None;
        }
        self.bump();
        let value = T::read(&mut self.data);
        self.index += 1;
        Some(value)
    }

    #[inline]
    fn take_empty_array(&mut self) -> bool {
        if !self.tags.starts_with(b"[]") {
            return false;
        }
        self.tags = &self.tags[2..];
        self.index += 1;
        true
    }

    #[inline]
    fn skip(&mut self) -> Result<bool> {
        Ok(self.next_value()?.is_some())
    }

    #[inline(always)]
    fn index(&self) -> usize {
        self.index
    }

    #[inline(always)]
    fn set_index(&mut self, index: usize) {
        self.index = index;
    }

    fn too_many(&self) -> Error {
        ArgCursor::too_many(self)
    }

    #[inline]
    fn finish(&self) -> Result<()> {
        ArgCursor::finish(self)
    }
}

/// The deserializer over one message's arguments, made by
/// [`from_slice`](crate::from_slice), [`MessageRef::deserialize`] and
/// [`Message::decode_args`](crate::Message::decode_args). Private, as the
/// serializer is (see there why).
pub(crate) struct Deserializer<'de, S> {
    address: &'de str,
    cursor: S,
    /// True while the value being asked for is the message itself (its
    /// fields or items are then the arguments) rather than one argument.
    top: bool,
}

impl<'de, S: Source<'de>> Deserializer<'de, S> {
    #[inline]
    fn index(&self) -> usize {
        self.cursor.index()
    }

    /// Counts the argument just read.
    #[inline]
    fn advance(&mut self) {
        self.cursor.set_index(self.cursor.index() + 1);
    }

    /// Takes the next argument's tag, or says that there is none.
    #[inline]
    fn next_tag(&mut self, expected: Expected) -> Result<u8> {
        match self.cursor.peek() {
            Some(b']') | None => Err(Error::missing(self.index(), expected)),
            Some(tag) => {
                self.cursor.bump();
                Ok(tag)
            }
        }
    }

    fn mismatch(&self, expected: Expected, found: u8) -> Error {
        Error::mismatch(self.index(), expected, found)
    }

    /// Reads the next argument as a scalar, expecting `expected`.
    #[inline]
    fn scalar(&mut self, expected: Expected) -> Result<ValueRef<'de>> {
        let tag = self.next_tag(expected)?;
        if tag == b'[' {
            return Err(self.mismatch(expected, tag));
        }
        let value = self.cursor.read_atom(tag)?;
        self.advance();
        Ok(value)
    }

    /// An integer argument (`i` or `h`) that fits the target.
    fn integer(&mut self, target: Expected) -> Result<i64> {
        let index = self.index();
        match self.scalar(target)? {
            ValueRef::Int(v) => Ok(v.into()),
            ValueRef::Long(v) => Ok(v),
            other => Err(Error::mismatch(index, target, other.tag())),
        }
    }

    #[inline]
    fn fit<T: TryFrom<i64>>(&mut self, target: Expected) -> Result<T> {
        let index = self.index();
        let v = match self.cursor.exact::<i32>() {
            Some(v) => v?.into(),
            None => self.integer(target)?,
        };
        T::try_from(v).map_err(|_| Error::out_of_range(index, target, v, None))
    }

    /// A float argument; integers are accepted when the value is exact.
    fn float(&mut self, target: Expected, exact: fn(f64) -> bool) -> Result<f64> {
        let index = self.index();
        let (value, tag) = match self.scalar(target)? {
            ValueRef::Float(v) => return Ok(v.into()),
            ValueRef::Double(v) if target == Expected::F64 => return Ok(v),
            ValueRef::Int(v) => (f64::from(v), b'i'),
            // An i64 may round when widened to f64: it is exact only if it
            // converts back to the same integer (i128, as `as i64` saturates).
            ValueRef::Long(v) if (v as f64) as i128 == i128::from(v) => (v as f64, b'h'),
            ValueRef::Long(_) => (f64::NAN, b'h'),
            other => (f64::NAN, other.tag()),
        };
        if !value.is_nan() && exact(value) {
            return Ok(value);
        }
        Err(Error::mismatch(index, target, tag))
    }

    /// Handles the top level of a struct-like target: checks an address
    /// name and leaves `top` for the fields.
    #[inline]
    fn enter_message(&mut self, name: &'static str) -> Result<()> {
        if name.starts_with('/') && name != self.address {
            return Err(Error::AddressMismatch {
                found: Detail::with_name(self.address, Some(name)),
            });
        }
        self.top = false;
        Ok(())
    }

    /// The items of a compound target: at the top level the arguments, below
    /// it an OSC array. `len` is the item count of a struct or tuple.
    #[inline]
    fn compound<V: Visitor<'de>>(&mut self, len: Option<usize>, visitor: V) -> Result<V::Value> {
        if self.top {
            self.top = false;
            return visitor.visit_seq(Items {
                de: self,
                remaining: len,
            });
        }
        let tag = self.next_tag(Expected::Array)?;
        if tag == b'b' && len.is_none() {
            // A blob is a sequence of bytes: `Vec<u8>` and other byte
            // sequences take it (the serializer writes them as blobs).
            let bytes = self.cursor.read_atom(tag)?;
            self.advance();
            let ValueRef::Blob(bytes) = bytes else {
                unreachable!("read_atom(b'b') reads a blob")
            };
            return visitor.visit_seq(SeqDeserializer::<_, Error>::new(bytes.iter().copied()));
        }
        if tag != b'[' {
            return Err(self.mismatch(Expected::Array, tag));
        }
        let outer_index = self.index();
        self.cursor.set_index(0);
        let value = visitor.visit_seq(Items {
            de: self,
            remaining: len,
        })?;
        match self.cursor.peek() {
            Some(b']') => self.cursor.bump(),
            _ => return Err(self.cursor.too_many()),
        }
        self.cursor.set_index(outer_index + 1);
        Ok(value)
    }

    /// A special type with OSC tag `want` (`t`, `r`, `m` or `S`).
    fn special<V: Visitor<'de>>(&mut self, want: u8, visitor: V) -> Result<V::Value> {
        let expected = Expected::of_tag(want).unwrap_or(Expected::Argument);
        let index = self.index();
        let value = self.scalar(expected)?;
        match (want, value) {
            (b't', ValueRef::TimeTag(t)) => {
                visitor.visit_newtype_struct(U64Deserializer::<Error>::new(t.to_bits()))
            }
            (b'r', ValueRef::Color(c)) => {
                visitor.visit_newtype_struct(U32Deserializer::<Error>::new(c.to_u32()))
            }
            (b'm', ValueRef::Midi(m)) => {
                visitor.visit_newtype_struct(U32Deserializer::<Error>::new(m.to_u32()))
            }
            // A symbol field also takes a plain string: python-osc cannot send S.
            (b'S', ValueRef::Symbol(s) | ValueRef::String(s)) => {
                visitor.visit_newtype_struct(BorrowedStrDeserializer::<Error>::new(s))
            }
            (_, other) => Err(Error::mismatch(index, expected, other.tag())),
        }
    }
}

/// The items of the message (top level) or of one OSC array.
struct Items<'a, 'de, S> {
    de: &'a mut Deserializer<'de, S>,
    /// Items still expected by a fixed-size target (struct, tuple).
    remaining: Option<usize>,
}

impl<'de, S: Source<'de>> de::SeqAccess<'de> for Items<'_, 'de, S> {
    type Error = Error;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if let Some(remaining) = &mut self.remaining {
            if *remaining == 0 {
                return Ok(None);
            }
            *remaining -= 1;
            if matches!(self.de.cursor.peek(), None | Some(b']')) {
                // A fixed-size target wants more: an `Option` field takes
                // None, anything else reports which argument is missing.
                return seed
                    .deserialize(Missing {
                        index: self.de.index(),
                    })
                    .map(Some);
            }
        } else if matches!(self.de.cursor.peek(), None | Some(b']')) {
            return Ok(None);
        }
        seed.deserialize(&mut *self.de).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        self.remaining
    }
}

/// Stands in for an argument the message does not have.
struct Missing {
    index: usize,
}

impl<'de> de::Deserializer<'de> for Missing {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value> {
        Err(Error::missing(self.index, Expected::Argument))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_none()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// Presents a special OSC type to `deserialize_any` as a one-entry map keyed
/// by its reserved name (see `Value`'s visitor).
struct SpecialMap<'de> {
    /// A `t`, `r`, `m`, `S` or `I` value.
    value: ValueRef<'de>,
    /// Whether the key was handed out.
    keyed: bool,
}

impl<'de> de::MapAccess<'de> for SpecialMap<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        if core::mem::replace(&mut self.keyed, true) {
            return Ok(None);
        }
        let key = names::name(self.value.tag()).unwrap_or(names::INFINITUM);
        seed.deserialize(BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        match self.value {
            ValueRef::TimeTag(t) => seed.deserialize(t.to_bits().into_deserializer()),
            ValueRef::Color(c) => seed.deserialize(c.to_u32().into_deserializer()),
            ValueRef::Midi(m) => seed.deserialize(m.to_u32().into_deserializer()),
            ValueRef::Symbol(s) => seed.deserialize(BorrowedStrDeserializer::new(s)),
            _ => seed.deserialize(().into_deserializer()),
        }
    }
}

/// The whole message as a map `{ address, args }`, for [`Message`](crate::Message).
struct MessageMap<'a, 'de, S> {
    de: &'a mut Deserializer<'de, S>,
    next: u8,
}

impl<'de, S: Source<'de>> de::MapAccess<'de> for MessageMap<'_, 'de, S> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        let key = match self.next {
            0 => "address",
            1 => "args",
            _ => return Ok(None),
        };
        seed.deserialize(BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        self.next += 1;
        if self.next == 1 {
            seed.deserialize(BorrowedStrDeserializer::new(self.de.address))
        } else {
            self.de.top = true;
            seed.deserialize(&mut *self.de)
        }
    }
}

/// Chooses an enum variant by the message's address (top level) or by a
/// string argument (a plain enum inside the arguments).
struct Variant<'a, 'de, S> {
    de: &'a mut Deserializer<'de, S>,
    name: &'de str,
    /// The variant's data are the arguments (top level); otherwise only
    /// unit variants are possible.
    message: bool,
}

impl<'de, S: Source<'de>> de::EnumAccess<'de> for Variant<'_, 'de, S> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self)> {
        let v = seed.deserialize(BorrowedStrDeserializer::<Error>::new(self.name))?;
        Ok((v, self))
    }
}

impl<'de, S: Source<'de>> de::VariantAccess<'de> for Variant<'_, 'de, S> {
    type Error = Error;

    fn unit_variant(self) -> Result<()> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        if !self.message {
            return Err(Error::Unsupported(Unsupported::VariantWithData));
        }
        seed.deserialize(&mut *self.de)
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value> {
        if !self.message {
            return Err(Error::Unsupported(Unsupported::VariantWithData));
        }
        self.de.compound(Some(len), visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.tuple_variant(fields.len(), visitor)
    }
}

macro_rules! fit_int {
    ($($method:ident => $visit:ident($ty:ty, $name:ident)),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            let v: $ty = self.fit(Expected::$name)?;
            visitor.$visit(v)
        }
    )*};
}

impl<'de, S: Source<'de>> de::Deserializer<'de> for &mut Deserializer<'de, S> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.top {
            return self.compound(None, visitor);
        }
        let Some(tag) = self.cursor.peek() else {
            return Err(Error::missing(self.index(), Expected::Argument));
        };
        if tag == b'[' {
            return self.compound(None, visitor);
        }
        match self.scalar(Expected::Argument)? {
            ValueRef::Int(v) => visitor.visit_i32(v),
            ValueRef::Float(v) => visitor.visit_f32(v),
            ValueRef::String(v) => visitor.visit_borrowed_str(v),
            ValueRef::Blob(v) => visitor.visit_borrowed_bytes(v),
            ValueRef::Long(v) => visitor.visit_i64(v),
            ValueRef::Double(v) => visitor.visit_f64(v),
            ValueRef::Char(v) => visitor.visit_char(v),
            ValueRef::Bool(v) => visitor.visit_bool(v),
            ValueRef::Nil => visitor.visit_unit(),
            value @ (ValueRef::TimeTag(_)
            | ValueRef::Color(_)
            | ValueRef::Midi(_)
            | ValueRef::Symbol(_)
            | ValueRef::Infinitum) => visitor.visit_map(SpecialMap {
                value,
                keyed: false,
            }),
            // `[` was handled above; read_atom never yields an array.
            ValueRef::Array(_) => Err(Error::UnbalancedArray),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let tag = self.next_tag(Expected::Bool)?;
        match tag {
            b'T' => visitor.visit_bool(true),
            b'F' => visitor.visit_bool(false),
            _ => Err(self.mismatch(Expected::Bool, tag)),
        }
        .inspect(|_| self.advance())
    }

    fit_int! {
        deserialize_i8 => visit_i8(i8, I8),
        deserialize_i16 => visit_i16(i16, I16),
        deserialize_i32 => visit_i32(i32, I32),
        deserialize_i64 => visit_i64(i64, I64),
        deserialize_u8 => visit_u8(u8, U8),
        deserialize_u16 => visit_u16(u16, U16),
        deserialize_u32 => visit_u32(u32, U32),
        deserialize_u64 => visit_u64(u64, U64),
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        // An `f` is handed over as read: widening it to f64 and back would
        // quiet a signalling NaN and change its bits.
        if let Some(v) = self.cursor.exact::<f32>() {
            return visitor.visit_f32(v?);
        }
        // A `d` is rounded to the nearest f32, as serde_json narrows numbers:
        // Rust float literals are f64, so many senders send `d` where `f` was
        // meant. Infinities and NaN stay what they are; a finite value
        // beyond f32's range is refused rather than made infinite.
        let index = self.index();
        if let Some(v) = self.cursor.exact::<f64>() {
            let v = v?;
            let narrowed = v as f32;
            if narrowed.is_infinite() && v.is_finite() {
                return Err(Error::out_of_range(index, Expected::F32, v, None));
            }
            return visitor.visit_f32(narrowed);
        }
        let v = self.float(Expected::F32, |v| f64::from(v as f32) == v)?;
        visitor.visit_f32(v as f32)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if let Some(v) = self.cursor.exact::<f64>() {
            return visitor.visit_f64(v?);
        }
        // `float` has already refused integers that f64 cannot hold exactly.
        let v = self.float(Expected::F64, |_| true)?;
        visitor.visit_f64(v)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let index = self.index();
        match self.scalar(Expected::Char)? {
            ValueRef::Char(c) => visitor.visit_char(c),
            // A one-character string will do (python-osc cannot send c).
            ValueRef::String(s) if s.chars().count() == 1 => visitor.visit_borrowed_str(s),
            other => Err(Error::mismatch(index, Expected::Char, other.tag())),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if let Some(s) = self.cursor.exact::<&str>() {
            return visitor.visit_borrowed_str(s?);
        }
        let index = self.index();
        match self.scalar(Expected::String)? {
            ValueRef::String(s) | ValueRef::Symbol(s) => visitor.visit_borrowed_str(s),
            other => Err(Error::mismatch(index, Expected::String, other.tag())),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if let Some(b) = self.cursor.exact::<&[u8]>() {
            return visitor.visit_borrowed_bytes(b?);
        }
        let index = self.index();
        // An empty array is an empty byte sequence: that is how an empty
        // `&[u8]` or `Vec<u8>` is written (the blob needs a first byte).
        if self.cursor.take_empty_array() {
            return visitor.visit_borrowed_bytes(&[]);
        }
        match self.scalar(Expected::Blob)? {
            ValueRef::Blob(b) => visitor.visit_borrowed_bytes(b),
            other => Err(Error::mismatch(index, Expected::Blob, other.tag())),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.cursor.peek() == Some(b'N') {
            self.cursor.bump();
            self.advance();
            return visitor.visit_none();
        }
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.top {
            // A unit message: no arguments (checked when the message ends).
            self.top = false;
            return visitor.visit_unit();
        }
        let tag = self.next_tag(Expected::Nil)?;
        if tag != b'N' {
            return Err(self.mismatch(Expected::Nil, tag));
        }
        self.advance();
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        if name == names::INFINITUM {
            let tag = self.next_tag(Expected::Infinitum)?;
            if tag != b'I' {
                return Err(self.mismatch(Expected::Infinitum, tag));
            }
            self.advance();
            return visitor.visit_unit();
        }
        if self.top {
            self.enter_message(name)?;
            return visitor.visit_unit();
        }
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        match names::tag(name) {
            Some(tag @ (b't' | b'r' | b'm' | b'S')) => self.special(tag, visitor),
            _ => {
                if self.top && name.starts_with('/') {
                    self.enter_message(name)?;
                    // The wrapped value is the message's arguments.
                    self.top = true;
                }
                visitor.visit_newtype_struct(self)
            }
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.compound(None, visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value> {
        self.compound(Some(len), visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        if self.top {
            self.enter_message(name)?;
            self.top = true;
        }
        self.compound(Some(len), visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, _: V) -> Result<V::Value> {
        Err(Error::Unsupported(Unsupported::Map))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        if self.top {
            if name == names::MESSAGE {
                self.top = false;
                return visitor.visit_map(MessageMap { de: self, next: 0 });
            }
            self.enter_message(name)?;
            self.top = true;
        }
        self.compound(Some(fields.len()), visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        if self.top && variants.iter().any(|v| v.starts_with('/')) {
            if !variants.contains(&self.address) {
                return Err(Error::UnknownVariant {
                    address: Detail::with_name(self.address, Some(name)),
                });
            }
            let address = self.address;
            return visitor.visit_enum(Variant {
                de: self,
                name: address,
                message: true,
            });
        }
        // A plain enum as one argument: the variant's name as a string.
        self.top = false;
        let index = self.index();
        let name = match self.scalar(Expected::VariantName)? {
            ValueRef::String(s) | ValueRef::Symbol(s) => s,
            other => return Err(Error::mismatch(index, Expected::VariantName, other.tag())),
        };
        visitor.visit_enum(Variant {
            de: self,
            name,
            message: false,
        })
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.top {
            self.top = false;
            while self.cursor.skip()? {}
            return visitor.visit_unit();
        }
        if !self.cursor.skip()? {
            return Err(Error::missing(self.index(), Expected::Argument));
        }
        visitor.visit_unit()
    }

    fn is_human_readable(&self) -> bool {
        false
    }
}
