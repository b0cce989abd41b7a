//! Reading the owned arguments of a [`Message`](crate::Message) with the
//! serde deserializer, without encoding them first.
//!
//! [`Message::decode_args`](crate::Message::decode_args) must give what
//! decoding the encoded message with [`from_slice`](crate::from_slice)
//! gives, value for value and error for error. So [`ValueCursor`] presents
//! a `&[Value]` tree to the deserializer of `crate::de` as the type tag
//! string and arguments the encoder would write (every rule of decoding
//! stays in one place), and [`check_message`] first refuses what the
//! encoder refuses, in the order it would meet it.

use alloc::vec::Vec;

use crate::args::{ValueRef, MAX_DEPTH};
use crate::de::{Exact, Source};
use crate::error::{count, Error, Expected, Result};
use crate::value::Value;
use crate::wire;

/// Refuses the message that encoding would refuse, with the encoder's
/// error: an address without a leading `/`, a NUL in the address or in a
/// string, arrays nested deeper than [`MAX_DEPTH`], a blob too long for
/// its length field. These are the only errors encoding a
/// [`Message`](crate::Message) can give.
pub(crate) fn check_message(address: &str, args: &[Value]) -> Result<()> {
    if !address.starts_with('/') {
        return Err(crate::ser::no_slash(address));
    }
    wire::check_str(address)?;
    check_level(args, 1)
}

/// [`check_message`] for the items of one level; `depth` counts the
/// message as 1, as the serializer does.
fn check_level(items: &[Value], depth: usize) -> Result<()> {
    for (index, item) in items.iter().enumerate() {
        match item {
            Value::String(s) | Value::Symbol(s) => wire::check_str(s)?,
            Value::Blob(b) if b.len() > i32::MAX as usize => {
                return Err(Error::out_of_range(
                    index,
                    Expected::Blob,
                    format_args!("blob of {} bytes", b.len()),
                    None,
                ))
            }
            Value::Array(inner) => {
                if depth > MAX_DEPTH {
                    return Err(Error::TooDeep { max: MAX_DEPTH });
                }
                check_level(inner, depth + 1)?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// The borrowed view of a non-array value (`None` for an array).
#[inline]
fn atom(value: &Value) -> Option<ValueRef<'_>> {
    Some(match value {
        Value::Int(v) => ValueRef::Int(*v),
        Value::Float(v) => ValueRef::Float(*v),
        Value::String(s) => ValueRef::String(s),
        Value::Blob(b) => ValueRef::Blob(b),
        Value::Long(v) => ValueRef::Long(*v),
        Value::TimeTag(t) => ValueRef::TimeTag(*t),
        Value::Double(v) => ValueRef::Double(*v),
        Value::Symbol(s) => ValueRef::Symbol(s),
        Value::Char(c) => ValueRef::Char(*c),
        Value::Color(c) => ValueRef::Color(*c),
        Value::Midi(m) => ValueRef::Midi(*m),
        Value::Bool(b) => ValueRef::Bool(*b),
        Value::Nil => ValueRef::Nil,
        Value::Infinitum => ValueRef::Infinitum,
        Value::Array(_) => return None,
    })
}

/// A position in a message's `&[Value]` tree (checked by
/// [`check_message`], so nested at most [`MAX_DEPTH`] deep).
pub(crate) struct ValueCursor<'de> {
    /// The items left at the current level.
    rest: &'de [Value],
    /// The items left at each enclosing level, innermost last. Empty (and
    /// not allocated) unless the message has arrays.
    outer: Vec<&'de [Value]>,
    /// The argument whose tag was just taken, until its payload is read.
    taken: Option<&'de Value>,
    /// Position of the next argument at this level, for errors.
    index: usize,
}

impl<'de> ValueCursor<'de> {
    /// A cursor before the first of `args`.
    pub(crate) fn new(args: &'de [Value]) -> Self {
        ValueCursor {
            rest: args,
            outer: Vec::new(),
            taken: None,
            index: 0,
        }
    }
}

impl<'de> Source<'de> for ValueCursor<'de> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        match self.rest.first() {
            Some(value) => Some(value.tag()),
            None if self.outer.is_empty() => None,
            None => Some(b']'),
        }
    }

    #[inline]
    fn bump(&mut self) {
        match self.rest.split_first() {
            Some((Value::Array(items), rest)) => {
                self.outer.push(rest);
                self.rest = items;
            }
            Some((value, rest)) => {
                self.taken = Some(value);
                self.rest = rest;
            }
            None => {
                if let Some(rest) = self.outer.pop() {
                    self.rest = rest;
                }
            }
        }
    }

    #[inline]
    fn read_atom(&mut self, _tag: u8) -> Result<ValueRef<'de>> {
        // `bump` took a non-array argument before any read: the
        // deserializer never reads a payload it did not take.
        self.taken
            .take()
            .and_then(atom)
            .ok_or(Error::UnbalancedArray)
    }

    #[inline]
    fn exact<T: Exact<'de>>(&mut self) -> Option<Result<T>> {
        let (first, rest) = self.rest.split_first()?;
        let value = T::pick(atom(first)?)?;
        self.rest = rest;
        self.index += 1;
        Some(Ok(value))
    }

    #[inline]
    fn take_empty_array(&mut self) -> bool {
        match self.rest.split_first() {
            Some((Value::Array(items), rest)) if items.is_empty() => {
                self.rest = rest;
                self.index += 1;
                true
            }
            _ => false,
        }
    }

    #[inline]
    fn skip(&mut self) -> Result<bool> {
        let Some((_, rest)) = self.rest.split_first() else {
            return Ok(false);
        };
        self.rest = rest;
        self.index += 1;
        Ok(true)
    }

    #[inline]
    fn index(&self) -> usize {
        self.index
    }

    #[inline]
    fn set_index(&mut self, index: usize) {
        self.index = index;
    }

    fn too_many(&self) -> Error {
        Error::TooManyArguments {
            expected: count(self.index),
            found: count(self.index + self.rest.len()),
        }
    }

    #[inline]
    fn finish(&self) -> Result<()> {
        if self.rest.is_empty() && self.outer.is_empty() {
            Ok(())
        } else {
            Err(self.too_many())
        }
    }
}
