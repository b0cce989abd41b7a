//! The one error type of the crate.
//!
//! Every fallible operation (decoding network bytes, serde mapping, pattern
//! compilation, framing, transports) reports an [`Error`]. The variants are
//! flat and each says what went wrong in terms of the OSC wire format, so a
//! log line is enough to find the offending sender or field.

use std::fmt;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong.
///
/// Decoding never panics: malformed input of any kind maps to one of these
/// variants. Argument positions (`index`) count from 0 over the message's
/// arguments; inside an OSC array they count within that array.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input ended inside a value that needs more bytes.
    #[error("unexpected end of input: needed {needed} more bytes, {remaining} remain")]
    UnexpectedEnd {
        /// Bytes the value needed.
        needed: usize,
        /// Bytes that were left.
        remaining: usize,
    },
    /// An OSC string has no terminating NUL before the end of the input.
    #[error("unterminated OSC string (no NUL before the end of the input)")]
    UnterminatedString,
    /// An OSC string or symbol is not valid UTF-8.
    #[error("OSC string is not valid UTF-8")]
    InvalidUtf8,
    /// The packet is neither a message (starts with `/`) nor a bundle
    /// (starts with `#bundle\0`).
    #[error("not an OSC packet: it starts with neither '/' nor \"#bundle\"")]
    NotAPacket,
    /// An address is empty, does not start with `/`, or contains a character
    /// that OSC reserves (space `# * , / ? [ ] { }` in a method name).
    #[error("invalid OSC address {address:?}: {reason}")]
    InvalidAddress {
        /// The address as received.
        address: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// An address pattern could not be compiled.
    #[error("invalid OSC address pattern {pattern:?}: {reason}")]
    InvalidPattern {
        /// The pattern as given.
        pattern: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The type tag string uses a tag this crate does not know. Unknown tags
    /// are never skipped: their size is unknown, so every later argument
    /// would be misread.
    #[error("unknown OSC type tag {tag:?} at argument {index}")]
    UnknownTypeTag {
        /// The tag byte, as a char.
        tag: char,
        /// Argument position of the tag.
        index: usize,
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
        length: i64,
        /// Bytes left in the input.
        remaining: usize,
    },
    /// A bundle element's size is not a multiple of 4.
    #[error("bundle element size {0} is not a multiple of 4")]
    MisalignedElement(i32),
    /// A message has argument data but no type tag string (an old OSC 1.0
    /// sender's): without tags the data cannot be read. The message's
    /// address and raw data stay readable through
    /// [`MessageRef`](crate::MessageRef).
    #[error("{0} bytes of arguments without a type tag string: they cannot be read")]
    MissingTypeTags(usize),
    /// Bytes are left over after a complete packet.
    #[error("{0} trailing bytes after the end of the packet")]
    TrailingBytes(usize),
    /// An argument has another type than the target expects.
    #[error("argument {index}: expected {expected}, found type tag {found:?}")]
    TypeMismatch {
        /// Argument position.
        index: usize,
        /// What the target type wanted.
        expected: &'static str,
        /// The tag that was on the wire.
        found: char,
    },
    /// The target expects more arguments than the message has.
    #[error("argument {index}: expected {expected}, but the message has no more arguments")]
    MissingArgument {
        /// Argument position.
        index: usize,
        /// What the target type wanted.
        expected: &'static str,
    },
    /// The message has more arguments than the target takes.
    #[error("{found} arguments where {expected} were expected")]
    TooManyArguments {
        /// How many the target took.
        expected: usize,
        /// How many the message had.
        found: usize,
    },
    /// A number does not fit the OSC type or the Rust field.
    #[error("argument {index}{}: value {value} is out of range for {target}", in_field(.field))]
    OutOfRange {
        /// Argument position.
        index: usize,
        /// The struct field being encoded, if any.
        field: Option<&'static str>,
        /// The value, printed.
        value: String,
        /// The type it had to fit.
        target: &'static str,
    },
    /// The message's address is not the one the target type is named after.
    #[error("address {found:?} does not match the expected {expected:?}")]
    AddressMismatch {
        /// The serde name of the target type.
        expected: &'static str,
        /// The address of the message.
        found: String,
    },
    /// No enum variant is named after the message's address.
    #[error("no variant of {enum_name} is named {address:?}")]
    UnknownVariant {
        /// The serde name of the enum.
        enum_name: &'static str,
        /// The address of the message.
        address: String,
    },
    /// A value without an address was serialized as a message; use
    /// `to_vec_with_address` or rename the type to an address.
    #[error("no address: name the type `#[serde(rename = \"/addr\")]` or use to_vec_with_address")]
    NoAddress,
    /// The serde data model has no OSC counterpart for this value.
    #[error("cannot encode {0} as OSC")]
    Unsupported(&'static str),
    /// A value of a special OSC type (time tag, MIDI, colour) was malformed.
    #[error("invalid OSC {0} value")]
    InvalidSpecial(&'static str),
    /// A frame on a stream exceeds the configured maximum.
    #[error("frame of {size} bytes exceeds the maximum of {max}")]
    FrameTooLarge {
        /// Size of the frame (as claimed or as read so far).
        size: usize,
        /// The configured maximum.
        max: usize,
    },
    /// A SLIP stream has an ESC byte followed by something other than
    /// ESC_END or ESC_ESC.
    #[error("invalid SLIP escape sequence 0xDB 0x{0:02X}")]
    InvalidSlipEscape(u8),
    /// A bundle due further ahead than the dispatcher's scheduling horizon;
    /// it was dropped.
    #[error("bundle dropped: due in {ahead:?}, beyond the scheduling horizon of {horizon:?}")]
    TooFarAhead {
        /// How far ahead the bundle was due.
        ahead: std::time::Duration,
        /// The configured horizon.
        horizon: std::time::Duration,
    },
    /// The dispatcher's queue of future bundles is full; the newcomer was
    /// dropped.
    #[error("bundle dropped: the queue of future bundles is full ({max} bundles)")]
    QueueFull {
        /// The configured maximum.
        max: usize,
    },
    /// A handler panicked; the panic was caught and the dispatcher goes on.
    #[error("handler panicked: {0}")]
    HandlerPanicked(String),
    /// A message from a `Serialize` or `Deserialize` implementation.
    #[error("{0}")]
    Custom(String),
    /// An I/O error from a writer or a socket.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

fn in_field(field: &Option<&'static str>) -> String {
    field.map(|f| format!(" (field `{f}`)")).unwrap_or_default()
}

impl Error {
    pub(crate) fn end(needed: usize, remaining: usize) -> Self {
        Error::UnexpectedEnd { needed, remaining }
    }

    /// [`Error::TypeMismatch`] for argument `index`, found with tag `found`.
    pub(crate) fn mismatch(index: usize, expected: &'static str, found: u8) -> Self {
        Error::TypeMismatch {
            index,
            expected,
            found: found as char,
        }
    }
}

impl serde::ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::Custom(msg.to_string())
    }
}

impl serde::de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::Custom(msg.to_string())
    }
}
