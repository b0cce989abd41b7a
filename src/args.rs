//! Reading arguments: one cursor over a type tag string and its data.
//!
//! [`MessageRef::args`](crate::MessageRef::args), owned decoding and the
//! serde deserializer all read arguments through [`ArgCursor`], so there is
//! exactly one place that knows how many bytes each tag takes. It also
//! defines what the cursor yields, [`ValueRef`] (public as
//! `osc_serde::ValueRef`); the owned `Value` is built from it a layer up.

use crate::error::{count, Error, Expected, Result};
use crate::special::{Color, Midi};
use crate::timetag::TimeTag;
use crate::wire;

/// The deepest nesting of arrays inside a message, and of bundles inside a
/// bundle. Deeper input is refused with [`Error::TooDeep`] before anything
/// recurses, so a hostile packet cannot exhaust the stack. serde_json uses
/// 128 for the same purpose; OSC senders in the wild nest far less.
pub const MAX_DEPTH: usize = 32;

/// One OSC argument borrowed from a packet: strings and blobs point into
/// the received bytes, arrays are read lazily.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    /// `i`
    Int(i32),
    /// `f`
    Float(f32),
    /// `s`
    String(&'a str),
    /// `b`
    Blob(&'a [u8]),
    /// `h`
    Long(i64),
    /// `t`
    TimeTag(TimeTag),
    /// `d`
    Double(f64),
    /// `S`
    Symbol(&'a str),
    /// `c`
    Char(char),
    /// `r`
    Color(Color),
    /// `m`
    Midi(Midi),
    /// `T` / `F`
    Bool(bool),
    /// `N`
    Nil,
    /// `I`
    Infinitum,
    /// `[` … `]`
    Array(ArrayRef<'a>),
}

/// The type tag of a [`Value`] or a [`ValueRef`]: one table for both enums,
/// whose variants have the same names.
macro_rules! tag_of {
    ($value:expr, $enum:ident) => {
        match $value {
            $enum::Int(_) => b'i',
            $enum::Float(_) => b'f',
            $enum::String(_) => b's',
            $enum::Blob(_) => b'b',
            $enum::Long(_) => b'h',
            $enum::TimeTag(_) => b't',
            $enum::Double(_) => b'd',
            $enum::Symbol(_) => b'S',
            $enum::Char(_) => b'c',
            $enum::Color(_) => b'r',
            $enum::Midi(_) => b'm',
            $enum::Bool(true) => b'T',
            $enum::Bool(false) => b'F',
            $enum::Nil => b'N',
            $enum::Infinitum => b'I',
            $enum::Array(_) => b'[',
        }
    };
}
#[cfg(feature = "alloc")]
pub(crate) use tag_of;

impl ValueRef<'_> {
    /// The OSC type tag of this value (`[` for an array).
    pub fn tag(&self) -> u8 {
        tag_of!(self, ValueRef)
    }
}

/// Whether `tag` is a non-array tag this crate reads.
#[inline]
fn is_atom_tag(tag: u8) -> bool {
    matches!(
        tag,
        b'i' | b'f'
            | b's'
            | b'b'
            | b'h'
            | b't'
            | b'd'
            | b'S'
            | b'c'
            | b'r'
            | b'm'
            | b'T'
            | b'F'
            | b'N'
            | b'I'
    )
}

/// Checks a type tag string (without its leading `,`): every tag known,
/// brackets balanced, nesting within [`MAX_DEPTH`].
#[inline]
pub(crate) fn check_tags(tags: &[u8]) -> Result<()> {
    // Most messages have no arrays: one pass over the tags settles them
    // without the per-level bookkeeping (and its 264-byte zeroed array).
    if tags.iter().all(|&t| is_atom_tag(t)) {
        return Ok(());
    }
    check_nested_tags(tags)
}

/// [`check_tags`] for a string with brackets or an unknown tag.
#[cold]
#[inline(never)]
fn check_nested_tags(tags: &[u8]) -> Result<()> {
    let mut depth = 0usize;
    // The argument position at each open level, so that an unknown tag is
    // reported like any other argument error: counted within its array.
    let mut index = [0usize; MAX_DEPTH + 1];
    for &tag in tags {
        match tag {
            b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(Error::TooDeep { max: MAX_DEPTH });
                }
                index[depth] = 0;
            }
            b']' => {
                depth = depth.checked_sub(1).ok_or(Error::UnbalancedArray)?;
                index[depth] += 1;
            }
            tag if is_atom_tag(tag) => index[depth] += 1,
            other => {
                return Err(Error::UnknownTypeTag {
                    tag: other as char,
                    index: count(index[depth]),
                })
            }
        }
    }
    if depth == 0 {
        Ok(())
    } else {
        Err(Error::UnbalancedArray)
    }
}

/// A position in a (checked) type tag string and the argument data.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ArgCursor<'a> {
    pub tags: &'a [u8],
    pub data: &'a [u8],
    /// Position of the next argument at this nesting level, for errors.
    pub index: usize,
}

impl<'a> ArgCursor<'a> {
    pub fn new(tags: &'a [u8], data: &'a [u8]) -> Self {
        ArgCursor {
            tags,
            data,
            index: 0,
        }
    }

    /// The next tag, without consuming it; `None` at the end, and `]` at the
    /// end of an array.
    #[inline]
    pub fn peek(&self) -> Option<u8> {
        self.tags.first().copied()
    }

    /// Consumes one tag.
    #[inline]
    pub fn bump(&mut self) {
        self.tags = &self.tags[1..];
    }

    /// Reads the payload of a non-array `tag` (already consumed).
    #[inline]
    pub fn read_atom(&mut self, tag: u8) -> Result<ValueRef<'a>> {
        let d = &mut self.data;
        Ok(match tag {
            b'i' => ValueRef::Int(wire::read_i32(d)?),
            b'f' => ValueRef::Float(wire::read_f32(d)?),
            b's' => ValueRef::String(wire::read_str(d)?),
            b'b' => ValueRef::Blob(wire::read_blob(d)?),
            b'h' => ValueRef::Long(wire::read_i64(d)?),
            b't' => ValueRef::TimeTag(wire::read_timetag(d)?),
            b'd' => ValueRef::Double(wire::read_f64(d)?),
            b'S' => ValueRef::Symbol(wire::read_str(d)?),
            b'c' => {
                let Some(c) = char::from_u32(wire::read_u32(d)?) else {
                    return Err(Error::InvalidSpecial(Expected::Char));
                };
                ValueRef::Char(c)
            }
            b'r' => ValueRef::Color(Color::from_u32(wire::read_u32(d)?)),
            b'm' => ValueRef::Midi(Midi::from_u32(wire::read_u32(d)?)),
            b'T' => ValueRef::Bool(true),
            b'F' => ValueRef::Bool(false),
            b'N' => ValueRef::Nil,
            b'I' => ValueRef::Infinitum,
            other => {
                return Err(Error::UnknownTypeTag {
                    tag: other as char,
                    index: count(self.index),
                })
            }
        })
    }

    /// Reads the next whole argument (an array as an [`ArrayRef`] over its
    /// extent); `None` at the end of this level.
    #[inline(always)]
    pub fn next_value(&mut self) -> Result<Option<ValueRef<'a>>> {
        let Some(tag) = self.peek() else {
            return Ok(None);
        };
        if tag == b']' {
            return Ok(None);
        }
        self.bump();
        // Atoms are read inline; arrays (rare, recursive) out of line.
        let value = if tag == b'[' {
            self.read_array()?
        } else {
            self.read_atom(tag)?
        };
        self.index += 1;
        Ok(Some(value))
    }

    /// Reads an array whose `[` was consumed: walks it once to find where
    /// its tags and data end.
    #[inline(never)]
    fn read_array(&mut self) -> Result<ValueRef<'a>> {
        let mut inner = ArgCursor::new(self.tags, self.data);
        while inner.next_value()?.is_some() {}
        if inner.peek() != Some(b']') {
            return Err(Error::UnbalancedArray);
        }
        let tag_len = self.tags.len() - inner.tags.len();
        let data_len = self.data.len() - inner.data.len();
        let array = ArrayRef {
            tags: &self.tags[..tag_len],
            data: &self.data[..data_len],
        };
        self.tags = &inner.tags[1..];
        self.data = inner.data;
        Ok(ValueRef::Array(array))
    }

    /// Errors unless every tag and byte was consumed.
    #[inline]
    pub fn finish(&self) -> Result<()> {
        if !self.tags.is_empty() {
            return Err(self.too_many());
        }
        if !self.data.is_empty() {
            return Err(Error::TrailingBytes(count(self.data.len())));
        }
        Ok(())
    }

    /// The error for items left at this level (of the message, or of the
    /// array being read) that the target did not take.
    pub fn too_many(&self) -> Error {
        Error::TooManyArguments {
            expected: count(self.index),
            found: count(self.index + count_items(self.tags)),
        }
    }
}

/// Number of items at the current level of a checked tag string, up to the
/// `]` that closes it (or the end).
pub(crate) fn count_items(tags: &[u8]) -> usize {
    let mut depth = 0usize;
    let mut n = 0;
    for &t in tags {
        match t {
            b'[' => {
                if depth == 0 {
                    n += 1;
                }
                depth += 1;
            }
            b']' if depth == 0 => break,
            b']' => depth -= 1,
            _ if depth == 0 => n += 1,
            _ => {}
        }
    }
    n
}

/// An OSC array inside a borrowed message: its items are read on demand.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ArrayRef<'a> {
    pub(crate) tags: &'a [u8],
    pub(crate) data: &'a [u8],
}

impl<'a> ArrayRef<'a> {
    /// The items, in order.
    pub fn iter(&self) -> Args<'a> {
        Args::new(self.tags, self.data)
    }

    /// The type tags of the items (nested arrays with their brackets).
    pub fn type_tags(&self) -> &'a str {
        // Checked tags are ASCII.
        core::str::from_utf8(self.tags).unwrap_or("")
    }
}

impl<'a> IntoIterator for ArrayRef<'a> {
    type Item = Result<ValueRef<'a>>;
    type IntoIter = Args<'a>;
    fn into_iter(self) -> Args<'a> {
        self.iter()
    }
}

/// Iterator over the arguments of a [`MessageRef`](crate::MessageRef) or
/// an [`ArrayRef`], reading each from the packet only when asked. An error
/// (malformed data) is yielded once and ends the iteration.
#[derive(Debug, Clone)]
pub struct Args<'a> {
    cursor: ArgCursor<'a>,
    failed: bool,
}

impl<'a> Args<'a> {
    pub(crate) fn new(tags: &'a [u8], data: &'a [u8]) -> Self {
        Args {
            cursor: ArgCursor::new(tags, data),
            failed: false,
        }
    }
}

impl<'a> Iterator for Args<'a> {
    type Item = Result<ValueRef<'a>>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let end = match self.cursor.next_value() {
            Ok(Some(v)) => return Some(Ok(v)),
            Ok(None) => self.cursor.finish(),
            Err(e) => Err(e),
        };
        match end {
            Ok(()) => None,
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}
