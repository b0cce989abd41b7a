//! [`Message`] (owned, built or decoded) and [`MessageRef`] (a borrowed,
//! allocation-free view of received bytes).
//!
//! A message is an address, a type tag string and the arguments' bytes.
//! Both types encode through the serde serializer in [`crate::ser`], so
//! there is one encoder for typed and dynamic values alike.

#[cfg(feature = "alloc")]
use alloc::{borrow::ToOwned, string::String, vec::Vec};
#[cfg(feature = "alloc")]
use core::fmt;

use serde::de::Deserialize;
#[cfg(feature = "alloc")]
use serde::de::{self, Deserializer, MapAccess, Visitor};
#[cfg(feature = "alloc")]
use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::args::{check_tags, Args};
use crate::error::{Error, Result};
#[cfg(feature = "alloc")]
use crate::special::names;
#[cfg(feature = "alloc")]
use crate::value::Value;
use crate::wire;

#[cfg(feature = "alloc")]
/// An owned OSC message: an address and its arguments.
///
/// Build one like python-osc's `OscMessageBuilder`:
///
/// ```
/// use osc_serde::{Message, Value};
///
/// let msg = Message::new("/synth/freq").arg(440.0f32).arg("sine");
/// let bytes = msg.to_bytes().unwrap();
/// assert_eq!(bytes, b"/synth/freq\0,fs\0\x43\xdc\0\0sine\0\0\0\0");
///
/// let back = Message::from_bytes(&bytes).unwrap();
/// assert_eq!(back.address, "/synth/freq");
/// assert_eq!(back.args, [Value::Float(440.0), Value::String("sine".into())]);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Message {
    /// The OSC address (or address pattern), starting with `/`.
    pub address: String,
    /// The arguments, in order.
    pub args: Vec<Value>,
}

#[cfg(feature = "alloc")]
impl Message {
    /// A message with no arguments yet.
    pub fn new(address: impl Into<String>) -> Self {
        Message {
            address: address.into(),
            args: Vec::new(),
        }
    }

    /// A message with these arguments (python-osc's `build_msg`).
    pub fn with_args(address: impl Into<String>, args: Vec<Value>) -> Self {
        Message {
            address: address.into(),
            args,
        }
    }

    /// A message whose arguments are `value` serialized by this crate's
    /// serde mapping: a struct's fields, a tuple's or a sequence's items,
    /// or one scalar.
    ///
    /// ```
    /// use osc_serde::{Message, Value};
    /// let m = Message::from_value("/pair", &(1, "a")).unwrap();
    /// assert_eq!(m.args, [Value::Int(1), Value::String("a".into())]);
    /// ```
    pub fn from_value<T: Serialize + ?Sized>(address: &str, value: &T) -> Result<Self> {
        let mut bytes = Vec::new();
        crate::ser::encode(&mut bytes, Some(address), value)?;
        Message::from_bytes(&bytes)
    }

    /// Appends an argument (builder style).
    ///
    /// An `f64` (any float literal without a suffix) is a `d`; most receivers
    /// expect `f`: write `.arg(0.5f32)`, or `.arg_as(b'f', 0.5)?`.
    #[must_use]
    pub fn arg(mut self, value: impl Into<Value>) -> Self {
        self.args.push(value.into());
        self
    }

    /// Appends an argument converted to an explicit OSC type tag, for the
    /// ambiguous cases (`f`/`d`, `i`/`h`, `s`/`S`, `c`): see
    /// [`Value::convert`].
    ///
    /// ```
    /// use osc_serde::{Message, Value};
    /// let m = Message::new("/x").arg_as(b'd', 0.5f32)?.arg_as(b'h', 7)?;
    /// assert_eq!(m.args, [Value::Double(0.5), Value::Long(7)]);
    /// # Ok::<(), osc_serde::Error>(())
    /// ```
    pub fn arg_as(mut self, tag: u8, value: impl Into<Value>) -> Result<Self> {
        self.args.push(value.into().convert(tag)?);
        Ok(self)
    }

    /// Appends an argument in place.
    pub fn push(&mut self, value: impl Into<Value>) {
        self.args.push(value.into());
    }

    /// The type tag string without the leading comma (`"ifs"`).
    pub fn type_tags(&self) -> String {
        fn walk(args: &[Value], out: &mut String) {
            for a in args {
                if let Value::Array(items) = a {
                    out.push('[');
                    walk(items, out);
                    out.push(']');
                } else {
                    out.push(a.tag() as char);
                }
            }
        }
        let mut out = String::new();
        walk(&self.args, &mut out);
        out
    }

    /// Decodes one message (not a bundle) from a packet's bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        MessageRef::from_bytes(bytes)?.to_message()
    }

    /// Appends the encoded message to `out` (reuse the buffer to encode
    /// without allocating). On error `out` is left as it was.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<()> {
        crate::ser::encode(out, None, self)
    }

    /// Deserializes the arguments into `T`, as
    /// [`from_slice`](crate::from_slice) would from the encoded message:
    /// the same values and the same errors (including those of encoding,
    /// such as a NUL in a string), but read straight from the arguments.
    /// `&str` and `&[u8]` fields borrow from the message.
    ///
    /// ```
    /// use osc_serde::Message;
    /// let m = Message::new("/pan").arg(3).arg(0.25f32).arg("left");
    /// let (ch, pan, side): (u8, f64, &str) = m.decode_args()?;
    /// assert_eq!((ch, pan, side), (3, 0.25, "left"));
    /// // Too few arguments for the target: the same error `from_slice` gives.
    /// assert!(m.decode_args::<(i32, f32, String, i32)>().is_err());
    /// # Ok::<(), osc_serde::Error>(())
    /// ```
    pub fn decode_args<'a, T: Deserialize<'a>>(&'a self) -> Result<T> {
        crate::value_source::check_message(&self.address, &self.args)?;
        crate::de::from_source(
            &self.address,
            crate::value_source::ValueCursor::new(&self.args),
        )
    }
}

/// `to_bytes` and `write_to` for a type that has `encode_into`: the same
/// two methods of [`Message`], [`Bundle`](crate::Bundle) and
/// [`Packet`](crate::Packet), written once.
#[cfg(feature = "alloc")]
macro_rules! encode_helpers {
    ($ty:ty, $what:literal) => {
        impl $ty {
            #[doc = concat!("Encodes the ", $what, " to a new `Vec`.")]
            pub fn to_bytes(&self) -> $crate::Result<alloc::vec::Vec<u8>> {
                let mut out = alloc::vec::Vec::new();
                self.encode_into(&mut out)?;
                Ok(out)
            }

            #[doc = concat!("Writes the encoded ", $what, " to `w`.")]
            #[cfg(feature = "std")]
            pub fn write_to<W: std::io::Write>(&self, mut w: W) -> $crate::Result<()> {
                w.write_all(&self.to_bytes()?)?;
                Ok(())
            }
        }
    };
}
#[cfg(feature = "alloc")]
pub(crate) use encode_helpers;

#[cfg(feature = "alloc")]
encode_helpers!(Message, "message");

#[cfg(feature = "alloc")]
impl fmt::Display for Message {
    /// `/path tags arg arg …` in liblo's `oscdump` style.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.address, self.type_tags())?;
        for a in &self.args {
            write!(f, " {a}")?;
        }
        Ok(())
    }
}

/// A borrowed view of a received message: the address and strings point
/// into the packet, and arguments are read lazily as they are iterated.
/// Parsing one allocates nothing.
///
/// ```
/// use osc_serde::{MessageRef, ValueRef};
///
/// let bytes = b"/fader\0\0,fs\0\x3f\0\0\0left\0\0\0\0";
/// let msg = MessageRef::from_bytes(bytes)?;
/// assert_eq!(msg.address(), "/fader");
/// assert_eq!(msg.type_tags(), "fs");
/// let args: Vec<ValueRef> = msg.args().collect::<Result<_, _>>()?;
/// assert_eq!(args, [ValueRef::Float(0.5), ValueRef::String("left")]);
/// # Ok::<(), osc_serde::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageRef<'a> {
    address: &'a str,
    tags: &'a [u8],
    data: &'a [u8],
    /// No type tag string came after the address.
    untagged: bool,
}

impl<'a> MessageRef<'a> {
    /// Parses the address and type tag string of a message. The tags are
    /// checked (known, brackets balanced, nesting bounded); the argument
    /// data is checked as it is read.
    ///
    /// A message without a type tag string (OSC 1.0 asks receivers to
    /// accept one from old senders) parses: its address is there, and so are
    /// the bytes after it ([`data`](MessageRef::data)). If there are none it
    /// is a message without arguments; if there are, they cannot be read
    /// without tags, so reading the arguments ([`deserialize`](MessageRef::deserialize),
    /// [`to_message`](MessageRef::to_message), [`args`](MessageRef::args))
    /// reports [`Error::MissingTypeTags`] rather than dropping them without
    /// a word (python-osc, liblo and rosc refuse such a packet outright).
    #[inline]
    pub fn from_bytes(bytes: &'a [u8]) -> Result<Self> {
        if bytes.first() != Some(&b'/') {
            return Err(if bytes.starts_with(b"#bundle\0") {
                Error::NotAMessage
            } else {
                Error::NotAPacket
            });
        }
        let mut rest = bytes;
        let address = wire::read_str(&mut rest)?;
        let untagged = rest.first() != Some(&b',');
        let tags: &[u8] = if untagged {
            &[]
        } else {
            &wire::read_str_bytes(&mut rest)?[1..]
        };
        check_tags(tags)?;
        Ok(MessageRef {
            address,
            tags,
            data: rest,
            untagged,
        })
    }

    /// The address (or address pattern).
    pub fn address(&self) -> &'a str {
        self.address
    }

    /// The type tags without the leading comma.
    pub fn type_tags(&self) -> &'a str {
        // check_tags admits ASCII only.
        core::str::from_utf8(self.tags).unwrap_or("")
    }

    /// The raw argument bytes (everything after the type tag string).
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The arguments, read one by one. The last item is an error if the
    /// data is malformed or has bytes left over (for a message without a
    /// type tag string, all of its data is left over).
    pub fn args(&self) -> Args<'a> {
        Args::new(self.tags, self.data)
    }

    /// Deserializes the arguments into `T` (see the crate docs for the
    /// mapping); `&str` and `&[u8]` fields borrow from the packet.
    #[inline]
    pub fn deserialize<T: Deserialize<'a>>(&self) -> Result<T> {
        self.check_type_tags()?;
        crate::de::from_parts(self.address, self.tags, self.data)
    }

    /// An owned copy.
    #[cfg(feature = "alloc")]
    pub fn to_message(&self) -> Result<Message> {
        self.check_type_tags()?;
        Ok(Message {
            address: self.address.to_owned(),
            args: crate::value::to_values(self.tags, self.data)?,
        })
    }

    /// Refuses argument data that has no type tag string to read it by.
    #[inline]
    pub(crate) fn check_type_tags(&self) -> Result<()> {
        if self.untagged && !self.data.is_empty() {
            return Err(Error::MissingTypeTags(crate::error::count(self.data.len())));
        }
        Ok(())
    }
}

#[cfg(feature = "alloc")]
impl<'a> TryFrom<MessageRef<'a>> for Message {
    type Error = Error;
    fn try_from(m: MessageRef<'a>) -> Result<Message> {
        m.to_message()
    }
}

impl<'a> TryFrom<&'a [u8]> for MessageRef<'a> {
    type Error = Error;
    fn try_from(bytes: &'a [u8]) -> Result<Self> {
        MessageRef::from_bytes(bytes)
    }
}

#[cfg(feature = "alloc")]
impl Serialize for Message {
    /// With this crate's serializer: the message itself. Elsewhere (JSON,
    /// …): a struct `{ address, args }`.
    fn serialize<S: Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct(names::MESSAGE, 2)?;
        st.serialize_field("address", &self.address)?;
        st.serialize_field("args", &self.args)?;
        st.end()
    }
}

#[cfg(feature = "alloc")]
impl<'de> Deserialize<'de> for Message {
    /// With this crate's deserializer: the whole message, whatever its
    /// address and arguments (what untyped handlers receive). Elsewhere: a
    /// struct `{ address, args }`.
    fn deserialize<D: Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        struct MessageVisitor;
        impl<'de> Visitor<'de> for MessageVisitor {
            type Value = Message;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an OSC message")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> core::result::Result<Message, A::Error> {
                let mut address = None;
                let mut args = None;
                while let Some(field) = map.next_key::<Field>()? {
                    match field {
                        Field::Address => address = Some(map.next_value()?),
                        Field::Args => args = Some(map.next_value()?),
                    }
                }
                Ok(Message {
                    address: address.ok_or_else(|| de::Error::missing_field("address"))?,
                    args: args.unwrap_or_default(),
                })
            }
        }
        d.deserialize_struct(names::MESSAGE, FIELDS, MessageVisitor)
    }
}

#[cfg(feature = "alloc")]
const FIELDS: &[&str] = &["address", "args"];

#[cfg(feature = "alloc")]
/// A field name of [`Message`], read as an identifier so that formats
/// handing out owned keys (any that reads from a stream) work too.
enum Field {
    Address,
    Args,
}

#[cfg(feature = "alloc")]
impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        struct FieldVisitor;
        impl Visitor<'_> for FieldVisitor {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`address` or `args`")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> core::result::Result<Field, E> {
                match name {
                    "address" => Ok(Field::Address),
                    "args" => Ok(Field::Args),
                    other => Err(E::unknown_field(other, FIELDS)),
                }
            }
        }
        d.deserialize_identifier(FieldVisitor)
    }
}
