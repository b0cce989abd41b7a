//! The one error type of the crate, and the small types its variants carry.
//!
//! Every fallible operation (decoding network bytes, serde mapping, pattern
//! compilation, framing, transports, dispatch) reports an [`Error`]. It is a
//! flat `#[non_exhaustive]` enum to match on directly, as postcard's is, and
//! each variant says what went wrong in terms of the OSC wire format, so a
//! log line is enough to find the offending sender or field.
//!
//! `Error` is returned by every read on the decoding hot path, so it is kept
//! at 16 bytes (serde_json boxes its error for the same reason): positions
//! and sizes measured in the input are `u32` (OSC sizes are int32 on the
//! wire; larger values saturate), what was expected is a one-byte
//! [`Expected`], why an address was refused a one-byte [`AddressProblem`],
//! and text that needs an allocation (an address, a value printed, a serde
//! message) sits behind one thin pointer in a [`Detail`].
//!
//! ```
//! use osc_serde::error::Expected;
//! use osc_serde::Error;
//!
//! let bytes = osc_serde::to_vec_with_address("/a", &(1, "x"))?;
//! match osc_serde::from_slice::<(i32, f32)>(&bytes) {
//!     Err(Error::TypeMismatch { index: 1, expected: Expected::F32, found: 's' }) => {}
//!     other => panic!("{other:?}"),
//! }
//! assert!(std::mem::size_of::<Error>() <= 16);
//! # Ok::<(), osc_serde::Error>(())
//! ```

use core::fmt;
use core::time::Duration;

#[cfg(feature = "alloc")]
use alloc::{boxed::Box, string::String, string::ToString};

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// What went wrong.
///
/// Decoding never panics: malformed input of any kind maps to one of these
/// variants.
///
/// `index`, wherever a variant has one, is the position of the argument
/// among its siblings, counted from 0: among the message's arguments, or,
/// inside an OSC array, among that array's items (an array is one item of
/// the level that holds it). Encoding and decoding count alike, so the
/// argument an encoder refuses has the index a decoder would report for it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input ended inside a value that needs more bytes.
    #[error("unexpected end of input: needed {needed} more bytes, {remaining} remain")]
    UnexpectedEnd {
        /// Bytes the value needed.
        needed: u32,
        /// Bytes that were left.
        remaining: u32,
    },
    /// An OSC string has no terminating NUL before the end of the input.
    #[error("unterminated OSC string (no NUL before the end of the input)")]
    UnterminatedString,
    /// An OSC string or symbol is not valid UTF-8.
    #[error("OSC string is not valid UTF-8")]
    InvalidUtf8,
    /// A string to encode contains a NUL byte, which an OSC string cannot
    /// carry (the receiver would stop reading at it). The detail's text is
    /// the string.
    #[error("string {:?} contains a NUL byte, which OSC strings cannot carry", Quoted(.0))]
    NulInString(Detail),
    /// The packet is neither a message (starts with `/`) nor a bundle
    /// (starts with `#bundle\0`).
    #[error("not an OSC packet: it starts with neither '/' nor \"#bundle\"")]
    NotAPacket,
    /// A message was asked for (e.g. [`MessageRef::from_bytes`](crate::MessageRef::from_bytes))
    /// and the packet is a bundle.
    #[error("this packet is a bundle, not a message")]
    NotAMessage,
    /// A bundle was asked for (e.g. [`Bundle::from_bytes`](crate::Bundle::from_bytes))
    /// and the packet is a message.
    #[error("this packet is a message, not a bundle")]
    NotABundle,
    /// An address is empty, does not start with `/`, or contains a character
    /// that OSC reserves (space `# * , / ? [ ] { }` in a method name).
    #[error("invalid OSC address {:?}: {reason}", Quoted(.address))]
    InvalidAddress {
        /// Why it was refused.
        reason: AddressProblem,
        /// The address as given (its [`text`](Detail::text)).
        address: Detail,
    },
    /// An address pattern could not be compiled.
    #[error("invalid OSC address pattern {:?}: {reason}", Quoted(.pattern))]
    InvalidPattern {
        /// Why it was refused.
        reason: AddressProblem,
        /// The pattern as given (its [`text`](Detail::text)).
        pattern: Detail,
    },
    /// The type tag string uses a tag this crate does not know. Unknown tags
    /// are never skipped: their size is unknown, so every later argument
    /// would be misread.
    #[error("unknown OSC type tag {tag:?} at argument {index}")]
    UnknownTypeTag {
        /// The tag byte, as a char.
        tag: char,
        /// Argument position of the tag.
        index: u32,
    },
    /// The type tag string has a `]` without `[`, or a `[` without `]`.
    #[error("unbalanced array brackets in type tag string")]
    UnbalancedArray,
    /// Arrays or bundles nest deeper than [`MAX_DEPTH`](crate::MAX_DEPTH).
    #[error("nesting deeper than {max} levels of arrays or bundles")]
    TooDeep {
        /// The bound that was exceeded.
        max: usize,
    },
    /// A blob or bundle element claims more bytes than the input holds, or
    /// a negative size.
    #[error("length {length} does not fit the {remaining} remaining bytes")]
    BadLength {
        /// The length as read from the wire.
        length: i32,
        /// Bytes left in the input.
        remaining: u32,
    },
    /// A bundle element's size is not a multiple of 4.
    #[error("bundle element size {0} is not a multiple of 4")]
    MisalignedElement(i32),
    /// A message has argument data but no type tag string (an old OSC 1.0
    /// sender's): without tags the data cannot be read. The message's
    /// address and raw data stay readable through
    /// [`MessageRef`](crate::MessageRef).
    #[error("{0} bytes of arguments without a type tag string: they cannot be read")]
    MissingTypeTags(u32),
    /// Bytes are left over after a complete packet.
    #[error("{0} trailing bytes after the end of the packet")]
    TrailingBytes(u32),
    /// An argument has another type than the target expects.
    #[error("argument {index}: expected {expected}, found type tag {found:?}")]
    TypeMismatch {
        /// Argument position.
        index: u32,
        /// What the target type wanted.
        expected: Expected,
        /// The tag that was on the wire.
        found: char,
    },
    /// The target expects more arguments than the message has.
    #[error("argument {index}: expected {expected}, but the message has no more arguments")]
    MissingArgument {
        /// Argument position.
        index: u32,
        /// What the target type wanted.
        expected: Expected,
    },
    /// The message (or an array in it) has more arguments than the target
    /// takes.
    #[error("{found} arguments where {expected} were expected")]
    TooManyArguments {
        /// How many the target took.
        expected: u32,
        /// How many the message had.
        found: u32,
    },
    /// A number (or a blob's size) does not fit the OSC type or the Rust
    /// field. The detail's [`text`](Detail::text) is the value printed, its
    /// [`name`](Detail::name) the struct field being encoded, if any.
    #[error("argument {index}{}: value{} is out of range for {target}", InField(.value), ValueText(.value))]
    OutOfRange {
        /// Argument position.
        index: u32,
        /// The type it had to fit.
        target: Expected,
        /// The value and the field.
        value: Detail,
    },
    /// The message's address is not the one the target type is named
    /// after. The detail's [`text`](Detail::text) is the message's address,
    /// its [`name`](Detail::name) the serde name of the target type.
    #[error("address {:?} does not match the expected {:?}", Quoted(.found), DetailName(.found))]
    AddressMismatch {
        /// The address found, and the one expected.
        found: Detail,
    },
    /// No enum variant is named after the message's address. The detail's
    /// [`text`](Detail::text) is the address, its [`name`](Detail::name) the
    /// serde name of the enum.
    #[error("no variant of {} is named {:?}", DetailName(.address), Quoted(.address))]
    UnknownVariant {
        /// The address, and the enum's name.
        address: Detail,
    },
    /// A value without an address was serialized as a message; use
    /// `to_vec_with_address` or rename the type to an address.
    #[error("no address: name the type `#[serde(rename = \"/addr\")]` or use to_vec_with_address")]
    NoAddress,
    /// The `address` field of a [`Message`](crate::Message)-shaped value was
    /// serialized as something other than a string.
    #[error("a message address must be a string")]
    AddressNotAString,
    /// The serde data model has no OSC counterpart for this value.
    #[error("cannot encode {0} as OSC")]
    Unsupported(Unsupported),
    /// A value of a special OSC type (char, time tag, MIDI, colour) was
    /// malformed: a `c` that is no Unicode code point, a time tag that does
    /// not parse, a special type's payload of the wrong serde type.
    #[error("invalid OSC {0} value")]
    InvalidSpecial(Expected),
    /// A frame on a stream, or a datagram, exceeds the configured maximum.
    #[error("frame of {size} bytes exceeds the maximum of {max}")]
    FrameTooLarge {
        /// Size of the frame (as claimed or as read so far).
        size: u32,
        /// The configured maximum.
        max: usize,
    },
    /// A SLIP stream has an ESC byte followed by something other than
    /// ESC_END or ESC_ESC.
    #[error("invalid SLIP escape sequence 0xDB 0x{0:02X}")]
    InvalidSlipEscape(u8),
    /// A bundle due further ahead than the dispatcher's scheduling horizon;
    /// it was dropped.
    #[error(
        "bundle dropped: due in {:?}, beyond the scheduling horizon of {:?}",
        Duration::from_millis(*.ahead_ms),
        Duration::from_millis((*.horizon_ms).into())
    )]
    TooFarAhead {
        /// How far ahead the bundle was due, in milliseconds.
        ahead_ms: u64,
        /// The configured horizon, in milliseconds (saturating at
        /// `u32::MAX`, some 49 days).
        horizon_ms: u32,
    },
    /// The dispatcher's queue of future bundles is full; the newcomer was
    /// dropped.
    #[error("bundle dropped: the queue of future bundles is full ({max} bundles)")]
    QueueFull {
        /// The configured maximum.
        max: usize,
    },
    /// A handler panicked; the panic was caught and the dispatcher goes on.
    /// The detail's text is the panic message.
    #[error("handler panicked: {0}")]
    HandlerPanicked(Detail),
    /// A reply was sent (through a [`Responder`](crate::Responder) or the
    /// context) while the same handler's reply was being encoded, e.g. from
    /// a `Serialize` implementation.
    #[error("a reply was sent while encoding another")]
    ReplyWhileEncoding,
    /// The thread running a spawned server panicked.
    #[error("the server thread panicked")]
    ServerThreadPanicked,
    /// A socket address given as a name resolved to no address at all.
    #[error("the socket address resolved to nothing")]
    AddressResolvedToNothing,
    /// A server was run or spawned with no UDP socket and no TCP listener.
    #[error("the server has no socket or listener to serve")]
    NoSocket,
    /// A server was asked to send from, or join a group on, a UDP socket
    /// it does not have: no socket of it is bound at that address.
    #[error("the server has no UDP socket bound at that address")]
    NoUdpSocketAt,
    /// A TCP connection was idle longer than
    /// [`Limits::idle_timeout`](crate::transport::Limits::idle_timeout);
    /// the server closed it.
    #[error("TCP connection idle for {:?} (Limits::idle_timeout): closed", Duration::from_millis(*.limit_ms))]
    IdleTimeout {
        /// The configured timeout, in milliseconds.
        limit_ms: u64,
    },
    /// A TCP frame was still unfinished after
    /// [`Limits::frame_timeout`](crate::transport::Limits::frame_timeout);
    /// the server closed the connection.
    #[error("TCP frame unfinished after {:?} (Limits::frame_timeout): closed", Duration::from_millis(*.limit_ms))]
    FrameTimeout {
        /// The configured timeout, in milliseconds.
        limit_ms: u64,
    },
    /// A message from a `Serialize` or `Deserialize` implementation, or a
    /// handler's own error. The detail's text is the message.
    #[error("{0}")]
    Custom(Detail),
    /// The caller's buffer given to [`to_slice`](crate::to_slice), or to
    /// a framing function writing into a slice
    /// ([`Framing::encode_to_slice`](crate::framing::Framing::encode_to_slice),
    /// [`slip::decode_to_slice`](crate::framing::slip::decode_to_slice)), is
    /// too small for the message.
    #[error("the {capacity}-byte buffer is too small for the message")]
    BufferTooSmall {
        /// The buffer's size.
        capacity: u32,
    },
    /// An I/O error from a writer or a socket.
    #[cfg(feature = "std")]
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// `" (field `name`)"` for a detail with a name, else nothing.
struct InField<'a>(&'a Detail);

impl fmt::Display for InField<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.name() {
            Some(field) => write!(f, " (field `{field}`)"),
            None => Ok(()),
        }
    }
}

/// `" text"` for a detail with a text, else nothing.
struct ValueText<'a>(&'a Detail);

impl fmt::Display for ValueText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.text() {
            Some(value) => write!(f, " {value}"),
            None => Ok(()),
        }
    }
}

/// A detail's text as a string literal, or `_` when it has none.
struct Quoted<'a>(&'a Detail);

impl fmt::Debug for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.text() {
            Some(text) => fmt::Debug::fmt(text, f),
            None => f.write_str("_"),
        }
    }
}

/// A detail's name, or `?` when it has none.
struct DetailName<'a>(&'a Detail);

impl fmt::Debug for DetailName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.name() {
            Some(name) => fmt::Debug::fmt(name, f),
            None => f.write_str("?"),
        }
    }
}

impl fmt::Display for DetailName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name().unwrap_or("the enum"))
    }
}

#[cfg(feature = "std")]
/// Whole milliseconds of `d`, saturating.
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Saturating `usize` → `u32` for the counts an [`Error`] carries.
#[inline]
pub(crate) fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Error {
    #[cold]
    pub(crate) fn end(needed: usize, remaining: usize) -> Self {
        Error::UnexpectedEnd {
            needed: count(needed),
            remaining: count(remaining),
        }
    }

    /// [`Error::TypeMismatch`] for argument `index`, found with tag `found`.
    #[cold]
    pub(crate) fn mismatch(index: usize, expected: Expected, found: u8) -> Self {
        Error::TypeMismatch {
            index: count(index),
            expected,
            found: found as char,
        }
    }

    /// [`Error::MissingArgument`] for argument `index`.
    #[cold]
    pub(crate) fn missing(index: usize, expected: Expected) -> Self {
        Error::MissingArgument {
            index: count(index),
            expected,
        }
    }

    /// [`Error::OutOfRange`] for argument `index`: `value` did not fit
    /// `target` (in struct field `field`, if known).
    #[cold]
    pub(crate) fn out_of_range(
        index: usize,
        target: Expected,
        value: impl fmt::Display,
        field: Option<&'static str>,
    ) -> Self {
        Error::OutOfRange {
            index: count(index),
            target,
            value: Detail::with_name(value, field),
        }
    }

    /// Names the struct field `name` in an [`Error::OutOfRange`] that names
    /// none yet; other errors are returned as they are.
    #[cold]
    pub(crate) fn in_field(mut self, name: &'static str) -> Self {
        if let Error::OutOfRange { value, .. } = &mut self {
            value.name_if_unnamed(name);
        }
        self
    }

    #[cfg(feature = "std")]
    /// [`Error::TooFarAhead`] for a bundle due `ahead`, beyond `horizon`.
    #[cold]
    pub(crate) fn too_far_ahead(ahead: Duration, horizon: Duration) -> Self {
        Error::TooFarAhead {
            ahead_ms: millis(ahead),
            horizon_ms: u32::try_from(millis(horizon)).unwrap_or(u32::MAX),
        }
    }

    #[cfg(feature = "std")]
    /// [`Error::IdleTimeout`] for a connection idle longer than `limit`.
    #[cfg(feature = "transport")]
    #[cold]
    #[cfg(feature = "transport")]
    pub(crate) fn idle_timeout(limit: Duration) -> Self {
        Error::IdleTimeout {
            limit_ms: millis(limit),
        }
    }

    #[cfg(feature = "std")]
    /// [`Error::FrameTimeout`] for a frame unfinished after `limit`.
    #[cfg(feature = "transport")]
    #[cold]
    #[cfg(feature = "transport")]
    pub(crate) fn frame_timeout(limit: Duration) -> Self {
        Error::FrameTimeout {
            limit_ms: millis(limit),
        }
    }

    /// [`Error::FrameTooLarge`] for a frame of `size` bytes over `max`.
    #[cold]
    pub fn frame_too_large(size: usize, max: usize) -> Self {
        Error::FrameTooLarge {
            size: count(size),
            max,
        }
    }
}

/// Text an [`Error`] keeps about what went wrong (an address, a value, a
/// serde or panic message), plus an optional static name (a struct field,
/// a type's serde name). It is one thin pointer, so that the error stays
/// small; it is only allocated when an error is made. Without the `alloc`
/// feature there is nowhere to keep text: a detail is then empty (zero
/// bytes), [`text`](Detail::text) and [`name`](Detail::name) are `None`,
/// and the error's `Display` says what it can without them.
///
/// ```
/// use osc_serde::Error;
/// let e = osc_serde::address::validate_address("synth").unwrap_err();
/// let Error::InvalidAddress { address, .. } = e else { panic!() };
/// assert_eq!(address.text(), Some("synth"));
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Detail {
    #[cfg(feature = "alloc")]
    inner: Option<Box<DetailInner>>,
}

#[cfg(feature = "alloc")]
#[derive(Clone, PartialEq, Eq)]
struct DetailInner {
    text: String,
    name: Option<&'static str>,
}

impl Detail {
    /// A detail holding `text`.
    pub fn new(text: impl fmt::Display) -> Self {
        Self::with_name(text, None)
    }

    /// A detail holding `text` and `name`.
    #[cfg(feature = "alloc")]
    pub(crate) fn with_name(text: impl fmt::Display, name: Option<&'static str>) -> Self {
        Detail {
            inner: Some(Box::new(DetailInner {
                text: text.to_string(),
                name,
            })),
        }
    }

    /// Without an allocator there is nowhere to keep the text.
    #[cfg(not(feature = "alloc"))]
    pub(crate) fn with_name(_: impl fmt::Display, _: Option<&'static str>) -> Self {
        Detail {}
    }

    /// Sets the name, unless one is set already.
    pub(crate) fn name_if_unnamed(&mut self, name: &'static str) {
        #[cfg(feature = "alloc")]
        if let Some(inner) = &mut self.inner {
            inner.name.get_or_insert(name);
        }
        #[cfg(not(feature = "alloc"))]
        let _ = name;
    }

    /// The text (see each variant of [`Error`] for what it is).
    pub fn text(&self) -> Option<&str> {
        #[cfg(feature = "alloc")]
        return self.inner.as_ref().map(|d| d.text.as_str());
        #[cfg(not(feature = "alloc"))]
        return None;
    }

    /// The name, if the variant keeps one (see each variant of [`Error`]).
    pub fn name(&self) -> Option<&'static str> {
        #[cfg(feature = "alloc")]
        return self.inner.as_ref().and_then(|d| d.name);
        #[cfg(not(feature = "alloc"))]
        return None;
    }
}

impl fmt::Debug for Detail {
    /// The text as a string literal, then the name if any.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.text(), self.name()) {
            (Some(text), None) => fmt::Debug::fmt(text, f),
            (Some(text), Some(name)) => write!(f, "{text:?} ({name})"),
            (None, _) => f.write_str("_"),
        }
    }
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text().unwrap_or("(no detail kept)"))
    }
}

impl From<&str> for Detail {
    fn from(text: &str) -> Self {
        Detail::new(text)
    }
}

#[cfg(feature = "alloc")]
impl From<String> for Detail {
    fn from(text: String) -> Self {
        Detail {
            inner: Some(Box::new(DetailInner { text, name: None })),
        }
    }
}

impl PartialEq<str> for Detail {
    fn eq(&self, other: &str) -> bool {
        self.text() == Some(other)
    }
}

impl PartialEq<&str> for Detail {
    fn eq(&self, other: &&str) -> bool {
        self.text() == Some(*other)
    }
}

/// Defines a fieldless enum with one display text per variant, shown by
/// `Display` and returned by `as_str`.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* #[doc = concat!("\n\nShown as \"", $text, "\".")] $variant,)*
        }

        impl $name {
            /// The text `Display` shows.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum! {
    /// What a decoder or encoder expected: an OSC type, or a Rust type that
    /// takes several OSC types (an integer field takes `i` and `h` when the
    /// value fits, a float field `f`, `d`, and exact integers).
    pub enum Expected {
        /// `i`.
        Int32 => "int32 (i)",
        /// `f`.
        Float32 => "float32 (f)",
        /// `s`.
        String => "string (s)",
        /// `b`.
        Blob => "blob (b)",
        /// `h`.
        Int64 => "int64 (h)",
        /// `t`.
        TimeTag => "time tag (t)",
        /// `d`.
        Float64 => "float64 (d)",
        /// `S`.
        Symbol => "symbol (S)",
        /// `c`.
        Char => "char (c)",
        /// `r`.
        Color => "colour (r)",
        /// `m`.
        Midi => "MIDI (m)",
        /// `T` or `F`.
        Bool => "bool (T/F)",
        /// `N`.
        Nil => "nil (N)",
        /// `I`.
        Infinitum => "infinitum (I)",
        /// An array, `[` … `]`.
        Array => "array ([)",
        /// A Rust `i8`.
        I8 => "int8",
        /// A Rust `i16`.
        I16 => "int16",
        /// A Rust `i32`.
        I32 => "int32",
        /// A Rust `i64`.
        I64 => "int64",
        /// A Rust `u8`.
        U8 => "uint8",
        /// A Rust `u16`.
        U16 => "uint16",
        /// A Rust `u32`.
        U32 => "uint32",
        /// A Rust `u64`.
        U64 => "uint64",
        /// A Rust `f32`.
        F32 => "float32",
        /// A Rust `f64`.
        F64 => "float64",
        /// Any argument at all.
        Argument => "an argument",
        /// A string naming a unit variant of an enum.
        VariantName => "string (s) naming an enum variant",
    }
}

impl Expected {
    /// The OSC type of a type tag, or `None` for a tag this crate does not
    /// know. `[` is [`Expected::Array`]; `T` and `F` are both
    /// [`Expected::Bool`].
    pub const fn of_tag(tag: u8) -> Option<Expected> {
        Some(match tag {
            b'i' => Expected::Int32,
            b'f' => Expected::Float32,
            b's' => Expected::String,
            b'b' => Expected::Blob,
            b'h' => Expected::Int64,
            b't' => Expected::TimeTag,
            b'd' => Expected::Float64,
            b'S' => Expected::Symbol,
            b'c' => Expected::Char,
            b'r' => Expected::Color,
            b'm' => Expected::Midi,
            b'T' | b'F' => Expected::Bool,
            b'N' => Expected::Nil,
            b'I' => Expected::Infinitum,
            b'[' => Expected::Array,
            _ => return None,
        })
    }
}

text_enum! {
    /// Why an address or an address pattern was refused.
    pub enum AddressProblem {
        /// It does not start with `/`.
        NoLeadingSlash => "it does not start with '/'",
        /// An address has an empty method name.
        EmptyMethodName => "empty method name (\"//\", or a trailing '/')",
        /// An address has a reserved character in a method name.
        ReservedCharacter => "a method name may not contain space # * , / ? [ ] { }",
        /// A pattern ends with `/` or `//`.
        EmptyLastPart => "empty last part (a trailing '/' or '//')",
        /// A pattern has `///`.
        TripleSlash => "three or more '/' in a row",
        /// A `[` is not closed within its part.
        UnclosedBracket => "unclosed '['",
        /// A `{` is not closed within its part.
        UnclosedBrace => "unclosed '{'",
        /// A `{` inside braces.
        NestedBrace => "nested '{'",
        /// A wildcard inside braces.
        WildcardInBraces => "wildcards inside '{}' are not supported",
        /// A space or `#` in a pattern.
        SpaceOrHash => "space or '#' in a pattern",
        /// A `]` without its `[`.
        UnopenedBracket => "']' without '['",
        /// A `}` without its `{`.
        UnopenedBrace => "'}' without '{'",
        /// A `,` outside braces.
        CommaOutsideBraces => "',' outside '{}'",
        /// A character class that matches nothing (`[]`, `[!]`).
        EmptyClass => "empty '[]'",
        /// A range whose end is below its start (`[z-a]`).
        ReversedRange => "reversed range in '[]'",
        /// A part with wildcards over [`MAX_PART_STATES`](crate::address::MAX_PART_STATES).
        TooManyStates => "a part with wildcards compiles to too many states (see MAX_PART_STATES)",
    }
}

text_enum! {
    /// A value the serde data model has and OSC has not.
    pub enum Unsupported {
        /// A map: OSC has no maps.
        Map => "a map (OSC has no maps: use a struct, whose fields become arguments)",
        /// An enum variant with data inside the arguments.
        VariantWithData => "an enum variant with data as an argument (use a unit variant, or name the variant after an address)",
        /// A blob over `i32::MAX` bytes.
        HugeBlob => "a blob over 2 GiB",
        /// A bundle element over `i32::MAX` bytes.
        HugeElement => "a bundle element over 2 GiB",
        /// A sequence whose first item is a `u8` (so a blob) but whose
        /// other items are not.
        MixedByteSequence => "a sequence whose first item is a u8 (a blob) but whose other items are not",
    }
}

impl serde::ser::Error for Error {
    #[cold]
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::Custom(Detail::new(msg))
    }
}

impl serde::de::Error for Error {
    #[cold]
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::Custom(Detail::new(msg))
    }
}

/// The size bound, checked at compile time for the build's features.
const _: () = assert!(core::mem::size_of::<Error>() <= 16);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_at_most_16_bytes() {
        assert!(std::mem::size_of::<Error>() <= 16);
        #[cfg(feature = "alloc")]
        assert_eq!(std::mem::size_of::<Detail>(), std::mem::size_of::<usize>());
        #[cfg(not(feature = "alloc"))]
        assert_eq!(std::mem::size_of::<Detail>(), 0);
        assert_eq!(std::mem::size_of::<Result<()>>(), 16);
    }

    #[test]
    fn expected_covers_every_known_tag() {
        for tag in b"ifsbhtdScrmTFNI[" {
            assert!(Expected::of_tag(*tag).is_some(), "{}", *tag as char);
        }
        assert_eq!(Expected::of_tag(b'x'), None);
        assert_eq!(Expected::of_tag(b'T'), Some(Expected::Bool));
    }

    #[test]
    fn display_of_detail_variants() {
        let e = Error::out_of_range(1, Expected::Int32, 2147483648u32, Some("big"));
        assert_eq!(
            e.to_string(),
            "argument 1 (field `big`): value 2147483648 is out of range for int32 (i)"
        );
        let e = Error::AddressMismatch {
            found: Detail::with_name("/gain", Some("/volume")),
        };
        assert_eq!(
            e.to_string(),
            "address \"/gain\" does not match the expected \"/volume\""
        );
        let e = Error::UnknownVariant {
            address: Detail::with_name("/x", Some("Synth")),
        };
        assert_eq!(e.to_string(), "no variant of Synth is named \"/x\"");
        let e = Error::TooFarAhead {
            ahead_ms: 11_000,
            horizon_ms: 10_000,
        };
        assert_eq!(
            e.to_string(),
            "bundle dropped: due in 11s, beyond the scheduling horizon of 10s"
        );
        assert_eq!(Error::Custom("refused".into()).to_string(), "refused");
        assert_eq!(
            format!("{:?}", Error::HandlerPanicked("boom".into())),
            "HandlerPanicked(\"boom\")"
        );
    }
}
