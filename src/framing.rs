//! Stream framing: how OSC packets are delimited on a byte stream (a TCP
//! connection, a serial line). It depends on no event loop and no I/O
//! library: the mio transports, the tokio codec and firmware without an
//! allocator all use it.
//!
//! Two framings exist (postcard's "flavors" are the model: one abstraction,
//! two implementations):
//!
//! - [`Framing::Length`], OSC 1.0: each packet is preceded by its size as a
//!   big-endian int32 (what liblo's `oscsend` and python-osc's mode "1.0"
//!   send); see [`length`];
//! - [`Framing::Slip`], OSC 1.1: each packet is a double-END SLIP frame
//!   (python-osc's default mode "1.1"); see [`slip`].
//!
//! Encoders write a frame around packet bytes, appended to a `Vec`
//! ([`Framing::encode`]) or into a caller's buffer
//! ([`Framing::encode_to_slice`]). Decoders implement [`StreamDecoder`]:
//! they take bytes in any chunking and yield whole frames, bounded by a
//! maximum frame size, assembling them in a `Vec` or in a caller's buffer
//! ([`FrameStorage`]). [`FrameDecoder`] decodes either framing, or picks it
//! from the first byte of the stream (0xC0 `END` means SLIP, anything else
//! a length prefix), as liblo's server does, so one port serves both.
//!
//! ```
//! use osc_serde::framing::{FrameDecoder, Framing, StreamDecoder, DEFAULT_MAX_FRAME};
//!
//! let mut stream = Vec::new();
//! Framing::Length.encode(b"/a\0\0,\0\0\0", &mut stream)?;
//! Framing::Length.encode(b"/b\0\0,\0\0\0", &mut stream)?;
//!
//! let mut decoder = FrameDecoder::detect(DEFAULT_MAX_FRAME);
//! let mut input = &stream[..];
//! let mut frames = Vec::new();
//! while let Some(frame) = decoder.decode(&mut input)? {
//!     frames.push(frame.to_vec());
//! }
//! assert_eq!(frames, [b"/a\0\0,\0\0\0".to_vec(), b"/b\0\0,\0\0\0".to_vec()]);
//! assert_eq!(decoder.framing(), Some(Framing::Length));
//! # Ok::<(), osc_serde::Error>(())
//! ```
//!
//! Without an allocator, frames are assembled in a buffer of the caller's:
//!
//! ```
//! use osc_serde::framing::{FrameDecoder, Framing, StreamDecoder};
//!
//! let mut wire = [0; 32];
//! let n = Framing::Slip.encode_to_slice(b"/a\0\0,\0\0\0", &mut wire)?;
//!
//! let mut storage = [0; 16];
//! let mut decoder = FrameDecoder::with_storage(None, &mut storage[..]);
//! assert_eq!(decoder.decode(&mut &wire[..n])?, Some(&b"/a\0\0,\0\0\0"[..]));
//! # Ok::<(), osc_serde::Error>(())
//! ```

#[cfg(feature = "alloc")]
use alloc::vec::Vec;

use crate::Result;

pub mod length;
pub mod slip;
mod storage;

pub use storage::FrameStorage;

use length::LengthState;
use slip::SlipState;
use storage::FrameBuf;

/// The error for a caller's buffer too small for a frame or a packet
/// (the one [`to_slice`](crate::to_slice) gives), built out of line.
#[cold]
#[inline(never)]
fn buffer_too_small(capacity: usize) -> crate::Error {
    crate::Error::BufferTooSmall {
        capacity: crate::error::count(capacity),
    }
}

/// Default bound on a stream frame: 64 KiB.
pub const DEFAULT_MAX_FRAME: usize = 64 * 1024;

/// A stream framing: OSC 1.0 length prefix or OSC 1.1 SLIP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Framing {
    /// OSC 1.0: a big-endian int32 byte count, then the packet.
    Length,
    /// OSC 1.1: the packet as a double-END SLIP frame (the default).
    #[default]
    Slip,
}

impl Framing {
    /// Appends `packet` framed this way to `out`.
    ///
    /// Fails with [`Error::FrameTooLarge`](crate::Error::FrameTooLarge)
    /// only for a length-prefixed packet over `i32::MAX` bytes.
    ///
    /// ```
    /// use osc_serde::framing::Framing;
    ///
    /// let mut out = Vec::new();
    /// Framing::Length.encode(b"/a\0\0,\0\0\0", &mut out)?;
    /// assert_eq!(out, b"\0\0\0\x08/a\0\0,\0\0\0");
    /// out.clear();
    /// Framing::Slip.encode(b"/a\0\0,\0\0\0", &mut out)?;
    /// assert_eq!(out, b"\xc0/a\0\0,\0\0\0\xc0");
    /// # Ok::<(), osc_serde::Error>(())
    /// ```
    #[cfg(feature = "alloc")]
    pub fn encode(self, packet: &[u8], out: &mut Vec<u8>) -> Result<()> {
        match self {
            Framing::Length => length::encode_into(packet, out),
            Framing::Slip => {
                slip::encode_into(packet, out);
                Ok(())
            }
        }
    }

    /// Writes `packet` framed this way at the start of `out` and returns
    /// the frame's length. When `out` is too short nothing is written and
    /// the error is [`Error::BufferTooSmall`](crate::Error::BufferTooSmall),
    /// as for [`to_slice`](crate::to_slice).
    ///
    /// ```
    /// use osc_serde::{framing::Framing, Error};
    ///
    /// let mut buf = [0; 12];
    /// assert_eq!(Framing::Length.encode_to_slice(b"/a\0\0,\0\0\0", &mut buf)?, 12);
    /// assert_eq!(&buf, b"\0\0\0\x08/a\0\0,\0\0\0");
    /// assert!(matches!(
    ///     Framing::Slip.encode_to_slice(b"/a\0\0,\0\0\0\xc0\xc0", &mut buf),
    ///     Err(Error::BufferTooSmall { capacity: 12 })
    /// ));
    /// # Ok::<(), osc_serde::Error>(())
    /// ```
    pub fn encode_to_slice(self, packet: &[u8], out: &mut [u8]) -> Result<usize> {
        match self {
            Framing::Length => length::encode_to_slice(packet, out),
            Framing::Slip => slip::encode_to_slice(packet, out),
        }
    }

    /// Appends to `out` a frame whose packet `write` appends to the vector
    /// it is given: how the clients frame a value as they encode it. The
    /// length framing needs no intermediate buffer (the prefix is filled in
    /// afterwards; `scratch` is untouched); SLIP encodes into `scratch`
    /// first (reuse it to avoid allocating). On error `out` is unchanged.
    ///
    /// ```
    /// use osc_serde::framing::Framing;
    ///
    /// let (mut out, mut scratch) = (Vec::new(), Vec::new());
    /// Framing::Length.encode_with(&mut out, &mut scratch, |packet| {
    ///     osc_serde::encode_into_with_address(packet, "/n", &1)
    /// })?;
    /// assert_eq!(out, b"\0\0\0\x0c/n\0\0,i\0\0\0\0\0\x01");
    /// # Ok::<(), osc_serde::Error>(())
    /// ```
    #[cfg(feature = "alloc")]
    pub fn encode_with(
        self,
        out: &mut Vec<u8>,
        scratch: &mut Vec<u8>,
        write: impl FnOnce(&mut Vec<u8>) -> Result<()>,
    ) -> Result<()> {
        match self {
            Framing::Length => length::encode_with(out, write),
            Framing::Slip => {
                scratch.clear();
                write(scratch)?;
                slip::encode_into(scratch, out);
                Ok(())
            }
        }
    }

    /// A decoder for this framing refusing frames over `max_frame` bytes.
    #[cfg(feature = "alloc")]
    pub fn decoder(self, max_frame: usize) -> FrameDecoder<Vec<u8>> {
        FrameDecoder::new(Some(self), max_frame)
    }
}

/// An incremental decoder of a framed stream: feed it bytes as they
/// arrive, in any chunking, and it yields whole frames.
///
/// The one interface of stream decoding: the TCP client, the server, the
/// tools and the tokio codec drive a decoder through it, and
/// [`FrameDecoder`] implements it for both framings (implement it for
/// another framing to use that in their place). A completed frame
/// is readable with [`frame`](Self::frame) until the next call to
/// [`feed`](Self::feed), which starts a new one. Memory is bounded by the
/// decoder's maximum frame size: a longer frame is
/// [`Error::FrameTooLarge`](crate::Error::FrameTooLarge).
pub trait StreamDecoder {
    /// Consumes bytes from the front of `input` until a frame is complete
    /// (returns `true`; read it with [`frame`](Self::frame)) or the input
    /// is used up (returns `false`; the partial frame is kept). Errors:
    /// [`Error::FrameTooLarge`](crate::Error::FrameTooLarge),
    /// [`Error::InvalidSlipEscape`](crate::Error::InvalidSlipEscape); what
    /// each decoder does after one is on its type.
    fn feed(&mut self, input: &mut &[u8]) -> Result<bool>;

    /// The frame completed by the last call to [`feed`](Self::feed) (empty
    /// if it returned `false`).
    fn frame(&self) -> &[u8];

    /// Bytes of an unfinished frame held by the decoder.
    fn buffered(&self) -> usize;

    /// The longest frame the decoder accepts.
    fn max_frame(&self) -> usize;

    /// [`feed`](Self::feed), returning the completed frame.
    fn decode(&mut self, input: &mut &[u8]) -> Result<Option<&[u8]>> {
        if self.feed(input)? {
            Ok(Some(self.frame()))
        } else {
            Ok(None)
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum State {
    /// Detecting: nothing received yet.
    Undecided,
    Length(LengthState),
    Slip(SlipState),
}

/// Incremental decoder for either framing, or detecting it from the first
/// byte of the stream (see [`StreamDecoder`]), assembling frames in a `Vec`
/// ([`new`](FrameDecoder::new)) or in a caller's buffer
/// ([`with_storage`](FrameDecoder::with_storage)).
///
/// Detection picks SLIP if the first byte is `END` (0xC0), else the length
/// prefix (whose first byte is 0 for any frame under 16 MiB). A zero-length
/// length-prefixed frame is yielded as an empty frame; empty SLIP frames
/// are skipped. After an error, see [`length`] (close the stream) and
/// [`slip`] (skips to the next `END`).
///
/// ```
/// use osc_serde::framing::{Framing, StreamDecoder};
///
/// let mut decoder = Framing::Slip.decoder(1024);
/// let mut frames = Vec::new();
/// // Two frames, the first without its leading END, split mid-escape.
/// for chunk in [&b"ab\xdb"[..], b"\xdc\xc0\xc0cd\xc0"] {
///     let mut input = chunk;
///     while let Some(frame) = decoder.decode(&mut input)? {
///         frames.push(frame.to_vec());
///     }
/// }
/// assert_eq!(frames, [b"ab\xc0".to_vec(), b"cd".to_vec()]);
/// # Ok::<(), osc_serde::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct FrameDecoder<S> {
    state: State,
    buf: FrameBuf<S>,
}

#[cfg(feature = "alloc")]
impl FrameDecoder<Vec<u8>> {
    /// A decoder for `framing`, or detecting it when `None`, refusing
    /// frames over `max_frame` bytes.
    pub fn new(framing: Option<Framing>, max_frame: usize) -> Self {
        FrameDecoder::with_max(framing, Vec::new(), max_frame)
    }

    /// A decoder that picks the framing from the stream's first byte,
    /// refusing frames over `max_frame` bytes.
    pub fn detect(max_frame: usize) -> Self {
        FrameDecoder::new(None, max_frame)
    }
}

impl<S: FrameStorage> FrameDecoder<S> {
    /// A decoder for `framing` (detecting it when `None`) assembling frames
    /// in `storage`, refusing frames longer than it holds (a `Vec` is
    /// unbounded here: use [`FrameDecoder::new`]).
    pub fn with_storage(framing: Option<Framing>, storage: S) -> Self {
        FrameDecoder::with_max(framing, storage, usize::MAX)
    }

    fn with_max(framing: Option<Framing>, storage: S, max_frame: usize) -> Self {
        let state = match framing {
            None => State::Undecided,
            Some(Framing::Length) => State::Length(LengthState::default()),
            Some(Framing::Slip) => State::Slip(SlipState::default()),
        };
        FrameDecoder {
            state,
            buf: FrameBuf::new(storage, max_frame),
        }
    }

    /// The framing in use: `None` while detecting and nothing came yet.
    pub fn framing(&self) -> Option<Framing> {
        match self.state {
            State::Undecided => None,
            State::Length(_) => Some(Framing::Length),
            State::Slip(_) => Some(Framing::Slip),
        }
    }
}

impl<S: FrameStorage> StreamDecoder for FrameDecoder<S> {
    fn feed(&mut self, input: &mut &[u8]) -> Result<bool> {
        self.buf.begin();
        if let State::Undecided = self.state {
            match input.first() {
                None => return Ok(false),
                Some(&slip::END) => self.state = State::Slip(SlipState::default()),
                Some(_) => self.state = State::Length(LengthState::default()),
            }
        }
        match &mut self.state {
            State::Undecided => Ok(false),
            State::Length(state) => state.feed(&mut self.buf, input),
            State::Slip(state) => state.feed(&mut self.buf, input),
        }
    }

    fn frame(&self) -> &[u8] {
        self.buf.frame()
    }

    /// Bytes of an unfinished frame (and length prefix) held.
    fn buffered(&self) -> usize {
        let prefix = match &self.state {
            State::Length(state) => state.buffered(),
            State::Undecided | State::Slip(_) => 0,
        };
        prefix + self.buf.partial_len()
    }

    fn max_frame(&self) -> usize {
        self.buf.max()
    }
}
