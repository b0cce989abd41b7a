//! `serde::Serializer` → OSC message bytes.
//!
//! An OSC message puts the type tag string (one tag per argument) before the
//! argument data, and the tags are only known once every argument has been
//! seen. Encoding is one pass all the same: the address is written, then
//! room for the tag string (as many tags as the top-level struct, tuple or
//! sequence says it has), then the data. Each tag goes straight into that
//! room. When the room runs out (arrays, sequences of unknown length), a
//! `Vec` doubles it by moving the data written so far to the right, so the
//! moves cost amortized O(1) per tag, and a caller's slice keeps the tags
//! that follow at its far end and inserts them at the end in one linear
//! pass; then the room is cut to the exact padded size of the tag string.
//! On error the output is truncated back to where it started. No heap
//! scratch space is used, so encoding into a reused `Vec` allocates
//! nothing.
//!
//! See the crate documentation for the mapping of serde types to OSC tags.

use core::fmt;

use serde::ser::{self, Serialize};

use crate::args::MAX_DEPTH;
use crate::error::{AddressProblem, Detail, Error, Expected, Result, Unsupported};
use crate::output::Output;
use crate::special::names;
use crate::wire;

/// Appends the message encoding of `value` to `out`, with `address` or the
/// address named by the value's serde name. On error `out` is unchanged.
#[inline]
pub(crate) fn encode<O: Output, T: Serialize + ?Sized>(
    out: &mut O,
    address: Option<&str>,
    value: &T,
) -> Result<()> {
    let start = out.len();
    let result = encode_message(out, address, value);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

/// The single pass; [`encode`] takes its partial output back on error.
#[inline]
fn encode_message<O: Output, T: Serialize + ?Sized>(
    out: &mut O,
    address: Option<&str>,
    value: &T,
) -> Result<()> {
    // The serializer stays in place and is used by reference.
    let mut ser = Serializer::new(out);
    if let Some(address) = address {
        ser.begin_message(address, DEFAULT_TAGS)?;
    }
    value.serialize(&mut ser)?;
    ser.end_message()
}

/// Tags the room is first sized for when the argument count is not known
/// yet (an address given by the caller, or a [`Message`](crate::Message)'s
/// address field): a sequence that follows at once resizes it.
const DEFAULT_TAGS: usize = 2;

/// The most tags the room is first sized for, whatever length serde
/// announces: a `Serialize` impl may overstate it, and growing is cheap.
const MAX_INITIAL_TAGS: usize = 1024;

/// What the next scalar stands for, set by a reserved serde name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pending {
    /// A special type's payload, with its OSC tag.
    Special(u8),
    /// The address field of a [`Message`](crate::Message).
    Address,
}

/// The serializer, made by [`to_slice`](crate::to_slice),
/// [`to_vec`](crate::to_vec) and friends for one message, writing to a
/// `Vec` or a caller's slice.
///
/// It is private, as is the deserializer: an OSC message is an address and
/// a type tag string before the data, so a value only makes sense as a
/// whole message, which the functions of the crate root encode and decode
/// (and check: the address, the argument count). A public serializer would
/// freeze this state machine as API for no use the functions lack.
pub(crate) struct Serializer<'o, O: Output> {
    out: &'o mut O,
    /// 0 for the message itself, 1 for its arguments, more inside arrays.
    depth: usize,
    /// Where the type tag string's comma is, once the address is written.
    comma: Option<usize>,
    /// Where the next type tag goes.
    next_tag: usize,
    /// Where the room for tags ends: the byte here is kept for the NUL and
    /// the data starts right after it. Equal to `next_tag` when the room is
    /// full, and (both 0) before the address is written, so that one
    /// comparison per argument covers both cases.
    tag_limit: usize,
    pending: Option<Pending>,
}

impl<'o, O: Output> Serializer<'o, O> {
    #[inline]
    fn new(out: &'o mut O) -> Self {
        Serializer {
            out,
            depth: 0,
            comma: None,
            next_tag: 0,
            tag_limit: 0,
            pending: None,
        }
    }

    /// Writes the address and the comma, and leaves zeroed room for a tag
    /// string of `tags` tags.
    ///
    /// Always inlined: at the head of every derived `Serialize`, a call
    /// cost as much as the work. (The error is built out of line.)
    #[inline(always)]
    fn begin_message(&mut self, address: &str, tags: usize) -> Result<()> {
        if !address.starts_with('/') {
            return Err(no_slash(address));
        }
        wire::put_str(self.out, address)?;
        let comma = self.out.len();
        let room = wire::padded(tags.min(MAX_INITIAL_TAGS) + 2);
        if room <= 8 {
            // Two fixed-size stores rather than a call to `memset`.
            self.out.extend_cut(b",\0\0\0\0\0\0\0", room)?;
        } else {
            self.out.extend_zeros(room)?;
            self.out.written_mut()[comma] = b',';
        }
        self.comma = Some(comma);
        self.next_tag = comma + 1;
        self.tag_limit = comma + room - 1;
        Ok(())
    }

    /// Ends the message: sizes the room to the tag string's exact padded
    /// length (',', the tags, a NUL, padding), moving the data if needed.
    /// The room's unused bytes are zero, so they are the NUL and padding.
    #[inline]
    fn end_message(&mut self) -> Result<()> {
        let Some(comma) = self.comma else {
            return Err(Error::NoAddress);
        };
        let far = self.out.far_tags().len();
        if far > 0 {
            // The room is full and the far tags follow its tags: after the
            // room's last tag go the far ones and the padding that makes
            // the whole tag string a multiple of 4, in one pass over the data.
            let pad = wire::padded(far) - far;
            self.out.insert_far_tags(self.tag_limit, pad)?;
            self.next_tag += far;
            self.tag_limit += far + pad;
            return Ok(());
        }
        let needed = wire::padded(self.next_tag - comma + 1);
        let room = self.tag_limit + 1 - comma;
        if needed != room {
            self.resize_room(needed - room.min(needed), room - needed.min(room))?;
        }
        Ok(())
    }

    /// Grows the room by `grow` zero bytes or shrinks it by `shrink` bytes,
    /// moving the data after it.
    #[cold]
    fn resize_room(&mut self, grow: usize, shrink: usize) -> Result<()> {
        let out = &mut *self.out;
        let data_start = self.tag_limit + 1;
        let end = out.len();
        if grow > 0 {
            out.extend_zeros(grow)?;
            let bytes = out.written_mut();
            bytes.copy_within(data_start..end, data_start + grow);
            bytes[data_start..data_start + grow].fill(0);
            self.tag_limit += grow;
        } else {
            out.written_mut()
                .copy_within(data_start..end, data_start - shrink);
            out.truncate(end - shrink);
            self.tag_limit -= shrink;
        }
        Ok(())
    }

    /// The room is full: a caller's slice keeps `tag` at its far end
    /// until `end_message`; a `Vec` doubles the room and takes it there.
    /// Or no address was written.
    ///
    /// Why not grow the room in a slice too: a doubled room can be larger
    /// than the final tag string, and the bytes it holds until
    /// `end_message` gives them back could make a message that fits the
    /// slice exactly fail; growing it by 4 bytes at a time instead moves
    /// the data once per 4 tags (quadratic for long arrays).
    ///
    /// Inlined: for a slice past its room this is the path of every tag
    /// (a few instructions); for a `Vec` it is a call to `resize_room`.
    #[inline(always)]
    fn tag_past_room(&mut self, tag: u8) -> Result<()> {
        let Some(comma) = self.comma else {
            return Err(Error::NoAddress);
        };
        if self.out.push_far_tag(tag)? {
            return Ok(());
        }
        let room = self.tag_limit + 1 - comma;
        self.resize_room(room, 0)?;
        self.put_tag(tag);
        Ok(())
    }

    /// Writes one argument: its tag into the room, its payload at the end.
    #[inline(always)]
    fn atom(&mut self, tag: u8, payload: &[u8]) -> Result<()> {
        if self.pending.is_some() {
            return Err(self.bad_special());
        }
        self.tag(tag)?;
        self.out.extend(payload)
    }

    /// Puts a type tag into the room, or past it when it is full.
    #[inline(always)]
    fn tag(&mut self, tag: u8) -> Result<()> {
        if self.next_tag == self.tag_limit {
            return self.tag_past_room(tag);
        }
        self.put_tag(tag);
        Ok(())
    }

    /// Puts a type tag into the room, which has space for it.
    #[inline(always)]
    fn put_tag(&mut self, tag: u8) {
        self.out.written_mut()[self.next_tag] = tag;
        self.next_tag += 1;
    }

    #[cold]
    fn bad_special(&mut self) -> Error {
        match self.pending.take() {
            Some(Pending::Address) => Error::AddressNotAString,
            Some(Pending::Special(tag)) => {
                Error::InvalidSpecial(Expected::of_tag(tag).unwrap_or(Expected::Argument))
            }
            None => Error::InvalidSpecial(Expected::Argument),
        }
    }

    /// Position of the next argument among its siblings (the message's
    /// arguments, or the items of the innermost open array), as the
    /// decoder counts: the tags written since the `[` that is still open,
    /// or since the comma, with a closed array counting once. Only errors
    /// ask, so it is worked out from the tags rather than kept up to date.
    #[cold]
    fn index(&self) -> usize {
        let Some(comma) = self.comma else {
            return 0;
        };
        let mut depth = 0usize;
        let mut index = 0;
        // Newest first: the far tags (kept newest first), then the room's.
        let room = &self.out.written()[comma + 1..self.next_tag];
        for &tag in self.out.far_tags().iter().chain(room.iter().rev()) {
            match tag {
                b']' => {
                    if depth == 0 {
                        index += 1;
                    }
                    depth += 1;
                }
                b'[' if depth == 0 => break,
                b'[' => depth -= 1,
                _ if depth == 0 => index += 1,
                _ => {}
            }
        }
        index
    }

    /// The struct field is named on the way out (see [`Compound::field`]).
    #[cold]
    fn out_of_range(&self, value: impl fmt::Display, target: Expected) -> Error {
        Error::out_of_range(self.index(), target, value, None)
    }

    /// A serde name at the top level that is an address makes this value a
    /// message to that address (unless the caller gave one), with room for
    /// `tags` tags. Returns whether `name` was an address.
    #[inline(always)]
    fn name_message(&mut self, name: &'static str, tags: usize) -> Result<bool> {
        if self.depth != 0 || !name.starts_with('/') {
            return Ok(false);
        }
        if self.comma.is_none() {
            self.begin_message(name, tags)?;
        }
        Ok(true)
    }

    /// Starts a struct, tuple or sequence of `len` items (if known): at the
    /// top level its items are the arguments; below, it is an OSC array.
    #[inline(always)]
    fn compound<'s>(&'s mut self, len: Option<usize>) -> Result<Compound<'s, 'o, O>> {
        let bracket = self.depth > 0;
        if let (false, Some(len)) = (bracket, len) {
            // One tag per argument is the likely tag string: make room for
            // it now, while no data follows the room (a caller's address).
            let room = wire::padded(len.min(MAX_INITIAL_TAGS) + 2);
            if let Some(comma) = self.comma {
                let have = self.tag_limit + 1 - comma;
                // Only while no data nor far tags follow the room: tags
                // past it (far ones too) would end up before its new ones.
                let untouched = self.out.len() == self.tag_limit + 1;
                if room > have && untouched && self.out.far_tags().is_empty() {
                    self.out.extend_zeros(room - have)?;
                    self.tag_limit += room - have;
                }
            }
        }
        if bracket {
            if self.depth > MAX_DEPTH {
                return Err(Error::TooDeep { max: MAX_DEPTH });
            }
            self.atom(b'[', &[])?;
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
        self.atom(b'N', &[])
    }
}

impl<O: Output> Serializer<'_, O> {
    /// A sequence inside the arguments: a blob if its first item is a
    /// `u8`, else an array. Out of line, so that the arguments' own
    /// sequence (the common case) stays small enough to inline.
    #[inline(never)]
    fn nested_seq<I>(&mut self, first: I::Item, rest: I) -> Result<()>
    where
        I: Iterator,
        I::Item: Serialize,
    {
        match first.serialize(ByteProbe) {
            Ok(byte) => self.byte_seq(byte, rest),
            Err(_) => self.seq_items(Some(first), rest),
        }
    }

    /// The items of a sequence as arguments or an array, its length from
    /// the iterator's size hint when exact.
    #[inline]
    fn seq_items<I>(&mut self, first: Option<I::Item>, rest: I) -> Result<()>
    where
        I: Iterator,
        I::Item: Serialize,
    {
        let (low, high) = rest.size_hint();
        let len = match (first.is_some(), high) {
            (_, Some(high)) if high == low => Some(low + usize::from(first.is_some())),
            _ => None,
        };
        let mut seq = self.compound(len)?;
        if let Some(first) = first {
            seq.item(&first)?;
        }
        for item in rest {
            seq.item(&item)?;
        }
        seq.finish()
    }

    /// Writes a blob from a sequence whose first item was the byte `first`.
    #[cold]
    fn byte_seq<I>(&mut self, first: u8, rest: I) -> Result<()>
    where
        I: Iterator,
        I::Item: Serialize,
    {
        if self.pending.is_some() {
            return Err(self.bad_special());
        }
        self.tag(b'b')?;
        let start = self.out.len();
        self.out.extend(&[0, 0, 0, 0, first])?;
        for item in rest {
            let byte = item
                .serialize(ByteProbe)
                .map_err(|_| Error::Unsupported(Unsupported::MixedByteSequence))?;
            self.out.extend(&[byte])?;
        }
        let len = self.out.len() - start - 4;
        let Ok(size) = i32::try_from(len) else {
            return Err(self.out_of_range(format_args!("blob of {len} bytes"), Expected::Blob));
        };
        self.out.written_mut()[start..start + 4].copy_from_slice(&size.to_be_bytes());
        self.out.extend_cut(&[0; 4], wire::padded(len) - len)
    }
}

/// Tells whether a sequence item is a `u8`: it serializes only that.
struct ByteProbe;

/// The probe refuses everything but `u8`; the error is never shown.
macro_rules! refuse {
    ($($method:ident($($arg:ty),*) -> $ret:ty;)*) => {$(
        fn $method(self, $(_: $arg),*) -> Result<$ret> {
            Err(Error::Unsupported(Unsupported::MixedByteSequence))
        }
    )*};
}

impl ser::Serializer for ByteProbe {
    type Ok = u8;
    type Error = Error;
    type SerializeSeq = ser::Impossible<u8, Error>;
    type SerializeTuple = ser::Impossible<u8, Error>;
    type SerializeTupleStruct = ser::Impossible<u8, Error>;
    type SerializeTupleVariant = ser::Impossible<u8, Error>;
    type SerializeMap = ser::Impossible<u8, Error>;
    type SerializeStruct = ser::Impossible<u8, Error>;
    type SerializeStructVariant = ser::Impossible<u8, Error>;

    fn serialize_u8(self, v: u8) -> Result<u8> {
        Ok(v)
    }

    refuse! {
        serialize_bool(bool) -> u8;
        serialize_i8(i8) -> u8;
        serialize_i16(i16) -> u8;
        serialize_i32(i32) -> u8;
        serialize_i64(i64) -> u8;
        serialize_u16(u16) -> u8;
        serialize_u32(u32) -> u8;
        serialize_u64(u64) -> u8;
        serialize_f32(f32) -> u8;
        serialize_f64(f64) -> u8;
        serialize_char(char) -> u8;
        serialize_str(&str) -> u8;
        serialize_bytes(&[u8]) -> u8;
        serialize_none() -> u8;
        serialize_unit() -> u8;
        serialize_unit_struct(&'static str) -> u8;
        serialize_unit_variant(&'static str, u32, &'static str) -> u8;
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<u8> {
        Err(Error::Unsupported(Unsupported::MixedByteSequence))
    }

    fn collect_str<T: fmt::Display + ?Sized>(self, _: &T) -> Result<u8> {
        Err(Error::Unsupported(Unsupported::MixedByteSequence))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, _: &T) -> Result<u8> {
        Err(Error::Unsupported(Unsupported::MixedByteSequence))
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<u8> {
        Err(Error::Unsupported(Unsupported::MixedByteSequence))
    }
}

#[cold]
#[inline(never)]
pub(crate) fn no_slash(address: &str) -> Error {
    Error::InvalidAddress {
        reason: AddressProblem::NoLeadingSlash,
        address: Detail::new(address),
    }
}

/// Writes formatted text into the output for `collect_str`, counting its
/// length and refusing NUL.
struct TextWriter<'a, O: Output> {
    out: &'a mut O,
    len: usize,
    error: Option<Error>,
}

impl<O: Output> fmt::Write for TextWriter<'_, O> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let written = if s.as_bytes().contains(&0) {
            Err(Error::NulInString(Detail::default()))
        } else {
            self.out.extend(s.as_bytes())
        };
        written.map_err(|e| {
            self.error = Some(e);
            fmt::Error
        })?;
        self.len += s.len();
        Ok(())
    }
}

/// Serializes the fields or items of a compound value.
pub(crate) struct Compound<'s, 'o, O: Output> {
    ser: &'s mut Serializer<'o, O>,
    bracket: bool,
    /// The fields of a [`Message`](crate::Message): `address` names the
    /// message and `args` are its arguments.
    message: bool,
}

impl<O: Output> Compound<'_, '_, O> {
    #[inline]
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        value.serialize(&mut *self.ser)
    }

    #[inline(always)]
    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<()> {
        if self.message {
            if key == "address" {
                self.ser.pending = Some(Pending::Address);
            }
            return value.serialize(&mut *self.ser);
        }
        // The field is named only on the error path, by the innermost
        // field the error passes: keeping the current field in the
        // serializer meant a save and restore of a 16-byte `&str` around
        // every field, whose reload stalled on store forwarding (half the
        // time of a small message).
        value.serialize(&mut *self.ser).map_err(|e| e.in_field(key))
    }

    #[inline(always)]
    fn finish(self) -> Result<()> {
        if !self.message {
            self.ser.depth -= 1;
        }
        if self.bracket {
            self.ser.atom(b']', &[])?;
        }
        Ok(())
    }
}

macro_rules! int_atoms {
    ($($method:ident($ty:ty)),*) => {$(
        #[inline]
        fn $method(self, v: $ty) -> Result<()> {
            self.atom(b'i', &i32::from(v).to_be_bytes())
        }
    )*};
}

impl<'s, 'o, O: Output> ser::Serializer for &'s mut Serializer<'o, O> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'s, 'o, O>;
    type SerializeTuple = Compound<'s, 'o, O>;
    type SerializeTupleStruct = Compound<'s, 'o, O>;
    type SerializeTupleVariant = Compound<'s, 'o, O>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = Compound<'s, 'o, O>;
    type SerializeStructVariant = Compound<'s, 'o, O>;

    #[inline]
    fn serialize_bool(self, v: bool) -> Result<()> {
        self.atom(if v { b'T' } else { b'F' }, &[])
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
                self.atom(tag, &v.to_be_bytes())
            }
            _ => {
                let v = i32::try_from(v).map_err(|_| self.out_of_range(v, Expected::Int32))?;
                self.atom(b'i', &v.to_be_bytes())
            }
        }
    }

    #[inline]
    fn serialize_i64(self, v: i64) -> Result<()> {
        self.atom(b'h', &v.to_be_bytes())
    }

    #[inline]
    fn serialize_u64(self, v: u64) -> Result<()> {
        if self.pending == Some(Pending::Special(b't')) {
            self.pending = None;
            return self.atom(b't', &v.to_be_bytes());
        }
        let v = i64::try_from(v).map_err(|_| self.out_of_range(v, Expected::Int64))?;
        self.atom(b'h', &v.to_be_bytes())
    }

    #[inline]
    fn serialize_f32(self, v: f32) -> Result<()> {
        self.atom(b'f', &v.to_be_bytes())
    }

    #[inline]
    fn serialize_f64(self, v: f64) -> Result<()> {
        self.atom(b'd', &v.to_be_bytes())
    }

    #[inline]
    fn serialize_char(self, v: char) -> Result<()> {
        self.atom(b'c', &u32::from(v).to_be_bytes())
    }

    #[inline(always)]
    fn serialize_str(self, v: &str) -> Result<()> {
        let tag = match self.pending.take() {
            Some(Pending::Address) => {
                if self.comma.is_none() {
                    self.begin_message(v, DEFAULT_TAGS)?;
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
        self.tag(tag)?;
        wire::put_str(self.out, v)
    }

    /// Formats `value` straight into the output as a string argument: no
    /// buffer, so it works without an allocator (serde's default formats
    /// into a `String` first).
    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Result<()> {
        let tag = match self.pending.take() {
            None => b's',
            Some(Pending::Special(b'S')) => b'S',
            Some(other) => {
                self.pending = Some(other);
                return Err(self.bad_special());
            }
        };
        self.tag(tag)?;
        let mut text = TextWriter {
            out: &mut *self.out,
            len: 0,
            error: None,
        };
        if fmt::write(&mut text, format_args!("{value}")).is_err() {
            return Err(match text.error {
                Some(Error::NulInString(_)) => Error::NulInString(Detail::new(value)),
                Some(error) => error,
                None => Error::Custom(Detail::new("a Display implementation failed")),
            });
        }
        let len = text.len;
        self.out.extend_cut(&[0; 4], wire::padded(len + 1) - len)
    }

    #[inline]
    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        if v.len() > i32::MAX as usize {
            return Err(
                self.out_of_range(format_args!("blob of {} bytes", v.len()), Expected::Blob)
            );
        }
        self.atom(b'b', &[])?;
        // The length was checked above.
        wire::put_blob(self.out, v)
    }

    #[inline]
    fn serialize_none(self) -> Result<()> {
        self.atom(b'N', &[])
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
            return self.atom(b'I', &[]);
        }
        if self.name_message(name, 0)? {
            return Ok(());
        }
        self.unit_argument()
    }

    #[inline]
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<()> {
        if self.name_message(variant, 0)? {
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
        if let Some(tag) = names::tag(name) {
            self.pending = Some(Pending::Special(tag));
            value.serialize(&mut *self)?;
            if self.pending.is_some() {
                return Err(self.bad_special());
            }
            return Ok(());
        }
        self.name_message(name, DEFAULT_TAGS)?;
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
        if self.name_message(variant, DEFAULT_TAGS)? {
            return value.serialize(self);
        }
        Err(Error::Unsupported(Unsupported::VariantWithData))
    }

    #[inline]
    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'s, 'o, O>> {
        self.compound(len)
    }

    /// Slices and vectors come here item by item. Inside the arguments, a
    /// sequence of `u8` (a `&[u8]` or `Vec<u8>` field) is an OSC blob, as
    /// receivers expect, rather than an array of `i`: its first item
    /// decides. At the top level the items stay the arguments, and take
    /// the short way (a `Message`'s arguments come here).
    #[inline]
    fn collect_seq<I>(self, items: I) -> Result<()>
    where
        I: IntoIterator,
        I::Item: Serialize,
    {
        let mut items = items.into_iter();
        let first = items.next();
        match first {
            Some(first) if self.depth > 0 => self.nested_seq(first, items),
            first => self.seq_items(first, items),
        }
    }

    #[inline]
    fn serialize_tuple(self, len: usize) -> Result<Compound<'s, 'o, O>> {
        self.compound(Some(len))
    }

    #[inline]
    fn serialize_tuple_struct(self, name: &'static str, len: usize) -> Result<Compound<'s, 'o, O>> {
        self.name_message(name, len)?;
        self.compound(Some(len))
    }

    #[inline]
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'s, 'o, O>> {
        if self.name_message(variant, len)? {
            return self.compound(Some(len));
        }
        Err(Error::Unsupported(Unsupported::VariantWithData))
    }

    #[inline]
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        Err(Error::Unsupported(Unsupported::Map))
    }

    #[inline(always)]
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Compound<'s, 'o, O>> {
        if name == names::MESSAGE && self.depth == 0 {
            return Ok(Compound {
                ser: self,
                bracket: false,
                message: true,
            });
        }
        self.name_message(name, len)?;
        self.compound(Some(len))
    }

    #[inline]
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'s, 'o, O>> {
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
        impl<O: Output> ser::$trait for Compound<'_, '_, O> {
            type Ok = ();
            type Error = Error;
            #[inline(always)]
            fn $method<T: Serialize + ?Sized>(
                &mut self,
                $($key: &'static str,)?
                value: &T,
            ) -> Result<()> {
                compound_impls!(@call self, value $(, $key)?)
            }
            #[inline(always)]
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

/// The `Value` strategy of the integration tests, for the tests below.
#[cfg(test)]
#[path = "../tests/common/value_strategy.rs"]
mod value_strategy;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;
    use crate::Message;
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::value_strategy::value;

    /// A naive reference encoder for `Value` arguments, built another way
    /// than the serializer: the tags and the data are collected separately
    /// and joined at the end.
    fn reference(address: &str, args: &[Value]) -> Vec<u8> {
        fn walk(v: &Value, tags: &mut Vec<u8>, data: &mut Vec<u8>) {
            if let Value::Array(items) = v {
                tags.push(b'[');
                for item in items {
                    walk(item, tags, data);
                }
                tags.push(b']');
                return;
            }
            tags.push(v.tag());
            match v {
                Value::Int(i) => wire::write_i32(data, *i),
                Value::Float(f) => wire::write_f32(data, *f),
                Value::String(s) | Value::Symbol(s) => wire::write_str(data, s).unwrap(),
                Value::Blob(b) => wire::write_blob(data, b).unwrap(),
                Value::Long(l) => wire::write_i64(data, *l),
                Value::TimeTag(t) => wire::write_timetag(data, *t),
                Value::Double(d) => wire::write_f64(data, *d),
                Value::Char(c) => wire::write_u32(data, u32::from(*c)),
                Value::Color(c) => wire::write_u32(data, c.to_u32()),
                Value::Midi(m) => wire::write_u32(data, m.to_u32()),
                _ => {}
            }
        }
        let (mut tags, mut data) = (vec![b','], Vec::new());
        for arg in args {
            walk(arg, &mut tags, &mut data);
        }
        let mut out = Vec::new();
        wire::write_str(&mut out, address).unwrap();
        wire::write_str(&mut out, std::str::from_utf8(&tags).unwrap()).unwrap();
        out.extend_from_slice(&data);
        out
    }

    /// Encodes with the public entry point after a prefix that must stay.
    fn encoded<T: Serialize + ?Sized>(address: Option<&str>, v: &T) -> (Result<()>, Vec<u8>) {
        let mut out = b"pre".to_vec();
        let result = encode(&mut out, address, v);
        (result, out)
    }

    proptest! {
        /// Up to 70 arguments with nested arrays: the room kept for the tags
        /// is right, or too small (arrays) and grows, maybe several times.
        /// The message's own encoding (address field, then a sequence) and
        /// the arguments under a caller's address both match the reference.
        #[test]
        fn encoding_matches_the_reference(address in "/[a-z]{0,12}", args in vec(value(), 0..70)) {
            let expected = [b"pre".as_slice(), &reference(&address, &args)].concat();
            let m = Message::with_args(address.clone(), args);
            let (r1, one) = encoded(None, &m);
            prop_assert!(r1.is_ok(), "{r1:?}");
            prop_assert_eq!(&one, &expected);
            let (r2, two) = encoded(Some(&address), &m.args);
            prop_assert!(r2.is_ok(), "{r2:?}");
            prop_assert_eq!(&two, &expected);
        }
    }

    #[test]
    fn typed_values_with_arrays() {
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
        let (r, out) = encoded(None, &nested);
        assert!(r.is_ok());
        assert_eq!(
            out,
            b"pre/t\0\0,[[if][if]]N\0\0\0\0\0\0\0\x01\x40\0\0\0\0\0\0\x03\x40\x80\0\0"
        );
        // 0 to 300 items: the room starts right-sized and is then cut or
        // grown, while the sequence's items follow it.
        for n in 0..300usize {
            let items: Vec<u16> = (0..n).map(|i| i as u16).collect();
            let args: Vec<Value> = items.iter().map(|&i| Value::Int(i.into())).collect();
            let expected = [b"pre".as_slice(), &reference("/seq", &args)].concat();
            let (r, out) = encoded(Some("/seq"), &items);
            assert!(r.is_ok());
            assert_eq!(out, expected, "{n} items");
            let nested = (Vec::<u16>::new(), &items);
            let (r, out) = encoded(Some("/seq"), &nested);
            assert!(r.is_ok());
            let mut want = b"pre".to_vec();
            wire::write_str(&mut want, "/seq").unwrap();
            let tag_string: String = format!(",[][{}]", "i".repeat(n));
            wire::write_str(&mut want, &tag_string).unwrap();
            for &i in &items {
                wire::write_i32(&mut want, i.into());
            }
            assert_eq!(out, want, "{n} nested items");
        }
    }

    /// Encoding into a caller's slice needs exactly the message's length,
    /// also when arrays make the tag room grow several times: a doubled
    /// room used to be larger than the final tag string (16 bytes for 12)
    /// and a slice of the message's size failed (found by the `to_slice`
    /// fuzz target).
    #[test]
    fn a_growing_tag_room_fits_a_slice_of_the_message_size() {
        for n in 0..40usize {
            let args = (vec![7i32; n], [[1u8], [2]], "s");
            let want = crate::to_vec_with_address("/a", &args).unwrap();
            for size in 0..want.len() + 8 {
                let mut buf = vec![0xee; size];
                match crate::to_slice_with_address(&mut buf, "/a", &args) {
                    Ok(len) => {
                        assert!(size >= want.len(), "{n} args, {size} bytes");
                        assert_eq!(buf[..len], want[..], "{n} args, {size} bytes");
                    }
                    Err(Error::BufferTooSmall { capacity }) => {
                        assert_eq!(capacity as usize, size);
                        assert!(size < want.len(), "{n} args: {size} bytes refused");
                    }
                    Err(other) => panic!("{other:?}"),
                }
            }
        }
    }

    /// Past the room, a slice keeps tags at its far end and inserts them
    /// at the end of the message: the bytes are `to_vec`'s, an error
    /// inside a long array counts its index over both parts, and a slice
    /// one byte short is refused.
    #[test]
    fn far_tags_in_a_slice() {
        let items: Vec<u32> = (0..1000).collect();
        let want = crate::to_vec_with_address("/a", &(1, &items, "end")).unwrap();
        let mut buf = vec![0xee; want.len()];
        let len = crate::to_slice_with_address(&mut buf, "/a", &(1, &items, "end")).unwrap();
        assert_eq!(buf[..len], want[..]);
        // With room to spare after the message as well.
        let mut roomy = vec![0xee; 2 * want.len()];
        let len = crate::to_slice_with_address(&mut roomy, "/a", &(1, &items, "end")).unwrap();
        assert_eq!(roomy[..len], want[..]);
        assert!(matches!(
            crate::to_slice_with_address(&mut buf[..want.len() - 1], "/a", &(1, &items, "end")),
            Err(Error::BufferTooSmall { capacity }) if capacity as usize == want.len() - 1
        ));

        let mut bad = items.clone();
        bad[700] = u32::MAX;
        let from_vec = crate::to_vec_with_address("/a", &(1, &bad)).unwrap_err();
        let from_slice = crate::to_slice_with_address(&mut buf, "/a", &(1, &bad)).unwrap_err();
        assert!(
            matches!(from_vec, Error::OutOfRange { index: 700, .. }),
            "{from_vec:?}"
        );
        assert_eq!(format!("{from_slice:?}"), format!("{from_vec:?}"));
    }

    /// A sequence that announces more items than it has: the room kept for
    /// the tags is too large and the data moves back.
    #[test]
    fn an_overstated_length() {
        struct Overstated;
        impl Serialize for Overstated {
            fn serialize<S: ser::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                use serde::ser::SerializeSeq;
                let mut seq = s.serialize_seq(Some(usize::MAX))?;
                seq.serialize_element(&7)?;
                seq.end()
            }
        }
        let (r, out) = encoded(Some("/o"), &Overstated);
        assert!(r.is_ok());
        assert_eq!(out, b"pre/o\0\0,i\0\0\0\0\0\x07");
    }

    /// Errors leave the output as it was and name the argument by its
    /// position among its siblings, as the decoder does: within the
    /// innermost array, where a nested array counts once.
    #[test]
    fn errors_restore_the_output() {
        let (r, out) = encoded(Some("/a"), &(1u32, [2u32, u32::MAX]));
        assert!(matches!(
            r,
            Err(Error::OutOfRange {
                index: 1,
                target: Expected::Int32,
                ref value,
            }) if value.name().is_none() && value.text() == Some("4294967295")
        ));
        assert_eq!(out, b"pre");
        let (r, _) = encoded(Some("/a"), &(1u32, [(), ()], [[2u32], [u32::MAX]]));
        assert!(
            matches!(r, Err(Error::OutOfRange { index: 0, .. })),
            "{r:?}"
        );
        let (r, _) = encoded(Some("/a"), &(1u32, [[2u32], [3]], u32::MAX));
        assert!(
            matches!(r, Err(Error::OutOfRange { index: 2, .. })),
            "{r:?}"
        );
        // The decoder names the same position.
        let (r, _) = encoded(Some("/a"), &(1u32, [[2u32], [3]], u32::MAX, 5u32));
        let index = |r: Result<()>| match r {
            Err(Error::OutOfRange { index, .. }) => index,
            other => panic!("{other:?}"),
        };
        let sent = crate::to_vec_with_address("/a", &(1u32, [[2u32], [3]], -1i64, 5u32)).unwrap();
        let decoded = crate::from_slice::<(u32, [[u32; 1]; 2], u32, u32)>(&sent);
        assert_eq!(index(r), index(decoded.map(|_| ())));
        assert_eq!(out, b"pre");
        let many: Vec<u64> = (0..100).chain([u64::MAX]).collect();
        let (r, out) = encoded(Some("/a"), &many);
        assert!(
            matches!(r, Err(Error::OutOfRange { index: 100, .. })),
            "{r:?}"
        );
        assert_eq!(out, b"pre");
        let (r, out) = encoded(Some("/a"), &(1, "nul\0"));
        assert!(matches!(r, Err(Error::NulInString(_))));
        assert_eq!(out, b"pre");
        let (r, out) = encoded(None, &(1, 2));
        assert!(matches!(r, Err(Error::NoAddress)));
        assert_eq!(out, b"pre");
        let (r, out) = encoded(None, &());
        assert!(matches!(r, Err(Error::NoAddress)));
        assert_eq!(out, b"pre");
    }
}
