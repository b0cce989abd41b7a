//! Stream framing: how OSC packets are delimited on a TCP stream.
//!
//! Two framings exist, like postcard's "flavors" one abstraction with two
//! implementations:
//!
//! - [`Framing::Length`], OSC 1.0: each packet is preceded by its size as a
//!   big-endian int32 (what liblo's `oscsend` and python-osc's mode "1.0"
//!   send);
//! - [`Framing::Slip`], OSC 1.1: each packet is a double-END SLIP frame
//!   (python-osc's default mode "1.1"); see [`crate::slip`].
//!
//! [`Framing::encode`] writes a frame around packet bytes;
//! [`FrameDecoder`] takes bytes in any chunking and yields whole frames,
//! bounded by a maximum frame size. [`FrameDecoder::detect`] picks the
//! framing from the first byte of the stream (0xC0 `END` means SLIP, anything
//! else a length prefix), as liblo's server does, so one port serves both.
//!
//! ```
//! use osc_serde::transport::{FrameDecoder, Framing};
//!
//! let mut stream = Vec::new();
//! Framing::Length.encode(b"/a\0\0,\0\0\0", &mut stream)?;
//! Framing::Length.encode(b"/b\0\0,\0\0\0", &mut stream)?;
//!
//! let mut decoder = FrameDecoder::detect(64 * 1024);
//! let mut input = &stream[..];
//! let mut frames = Vec::new();
//! while let Some(frame) = decoder.decode(&mut input)? {
//!     frames.push(frame.to_vec());
//! }
//! assert_eq!(frames, [b"/a\0\0,\0\0\0".to_vec(), b"/b\0\0,\0\0\0".to_vec()]);
//! assert_eq!(decoder.framing(), Some(Framing::Length));
//! # Ok::<(), osc_serde::Error>(())
//! ```

use crate::slip::{self, FrameBuf};
use crate::{Error, Result};

/// Default bound on a TCP frame: 64 KiB.
pub const DEFAULT_MAX_FRAME: usize = slip::DEFAULT_MAX_FRAME;

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
    /// Fails with [`Error::FrameTooLarge`] only for a length-prefixed packet
    /// over `i32::MAX` bytes.
    ///
    /// ```
    /// use osc_serde::transport::Framing;
    ///
    /// let mut out = Vec::new();
    /// Framing::Length.encode(b"/a\0\0,\0\0\0", &mut out)?;
    /// assert_eq!(out, b"\0\0\0\x08/a\0\0,\0\0\0");
    /// out.clear();
    /// Framing::Slip.encode(b"/a\0\0,\0\0\0", &mut out)?;
    /// assert_eq!(out, b"\xc0/a\0\0,\0\0\0\xc0");
    /// # Ok::<(), osc_serde::Error>(())
    /// ```
    pub fn encode(self, packet: &[u8], out: &mut Vec<u8>) -> Result<()> {
        match self {
            // One writer of length prefixes: `encode_with`, which needs no
            // scratch buffer for this framing.
            Framing::Length => self.encode_with(out, &mut Vec::new(), |out| {
                out.extend_from_slice(packet);
                Ok(())
            }),
            Framing::Slip => {
                slip::encode_into(packet, out);
                Ok(())
            }
        }
    }

    /// Encodes into `out` a frame whose packet is written by `write` (which
    /// appends to the vector it is given), without an intermediate buffer
    /// for the length framing (`scratch` is then untouched). On error `out`
    /// is unchanged.
    pub(crate) fn encode_with(
        self,
        out: &mut Vec<u8>,
        scratch: &mut Vec<u8>,
        write: impl FnOnce(&mut Vec<u8>) -> Result<()>,
    ) -> Result<()> {
        match self {
            Framing::Length => {
                let start = out.len();
                out.extend_from_slice(&[0; 4]);
                if let Err(e) = write(out) {
                    out.truncate(start);
                    return Err(e);
                }
                let size = out.len() - start - 4;
                let Ok(size) = i32::try_from(size) else {
                    out.truncate(start);
                    return Err(Error::FrameTooLarge {
                        size: crate::error::count(size),
                        max: i32::MAX as usize,
                    });
                };
                out[start..start + 4].copy_from_slice(&size.to_be_bytes());
                Ok(())
            }
            Framing::Slip => {
                scratch.clear();
                write(scratch)?;
                slip::encode_into(scratch, out);
                Ok(())
            }
        }
    }

    /// A decoder for this framing refusing frames over `max_frame` bytes.
    pub fn decoder(self, max_frame: usize) -> FrameDecoder {
        FrameDecoder::new(Some(self), max_frame)
    }
}

/// Incremental decoder for the OSC 1.0 length-prefix framing.
#[derive(Debug, Clone)]
pub struct LengthDecoder {
    header: [u8; 4],
    header_len: usize,
    /// Size of the frame being read, once its header is complete.
    size: Option<usize>,
    frame: FrameBuf,
    max: usize,
}

impl LengthDecoder {
    /// A decoder refusing frames over `max_frame` bytes with
    /// [`Error::FrameTooLarge`] (as soon as the prefix is read: nothing of
    /// such a frame is buffered). A negative prefix is refused the same way.
    pub fn new(max_frame: usize) -> Self {
        LengthDecoder {
            header: [0; 4],
            header_len: 0,
            size: None,
            frame: FrameBuf::default(),
            max: max_frame,
        }
    }

    /// Consumes bytes from the front of `input` until a frame is complete
    /// (`true`) or the input is used up (`false`). A zero-length frame is
    /// yielded as an empty frame.
    ///
    /// After an error the stream cannot be resynchronised: the decoder
    /// starts over with the next 4 bytes as a prefix; close the stream.
    pub fn feed(&mut self, input: &mut &[u8]) -> Result<bool> {
        self.frame.begin();
        let size = match self.size {
            Some(size) => size,
            None => {
                let take = (4 - self.header_len).min(input.len());
                self.header[self.header_len..self.header_len + take]
                    .copy_from_slice(&input[..take]);
                self.header_len += take;
                *input = &input[take..];
                if self.header_len < 4 {
                    return Ok(false);
                }
                self.header_len = 0;
                let claimed = i32::from_be_bytes(self.header);
                let size = usize::try_from(claimed)
                    .ok()
                    .filter(|&s| s <= self.max)
                    .ok_or(Error::FrameTooLarge {
                        size: claimed as u32,
                        max: self.max,
                    })?;
                self.size = Some(size);
                size
            }
        };
        let buf = &mut self.frame.bytes;
        let take = (size - buf.len()).min(input.len());
        buf.extend_from_slice(&input[..take]);
        *input = &input[take..];
        if buf.len() < size {
            return Ok(false);
        }
        self.size = None;
        self.frame.finish();
        Ok(true)
    }

    /// The frame completed by the last call to [`feed`](Self::feed).
    pub fn frame(&self) -> &[u8] {
        self.frame.frame()
    }

    /// Bytes of an unfinished frame (prefix included) held by the decoder.
    pub fn buffered(&self) -> usize {
        let prefix = if self.size.is_some() {
            4
        } else {
            self.header_len
        };
        prefix + self.frame.partial_len()
    }
}

#[derive(Debug, Clone)]
enum Inner {
    /// Detecting: nothing received yet.
    Undecided(usize),
    Length(LengthDecoder),
    Slip(slip::Decoder),
}

/// Incremental frame decoder for either framing, or detecting it from the
/// first byte of the stream.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    inner: Inner,
}

impl FrameDecoder {
    /// A decoder for `framing`, or detecting it when `None`, refusing
    /// frames over `max_frame` bytes.
    pub fn new(framing: Option<Framing>, max_frame: usize) -> Self {
        let inner = match framing {
            None => Inner::Undecided(max_frame),
            Some(Framing::Length) => Inner::Length(LengthDecoder::new(max_frame)),
            Some(Framing::Slip) => Inner::Slip(slip::Decoder::new(max_frame)),
        };
        FrameDecoder { inner }
    }

    /// A decoder that picks the framing from the stream's first byte: SLIP
    /// if it is `END` (0xC0), else the length prefix (whose first byte is 0
    /// for any frame under 16 MiB).
    pub fn detect(max_frame: usize) -> Self {
        FrameDecoder::new(None, max_frame)
    }

    /// The framing in use: `None` while detecting and nothing came yet.
    pub fn framing(&self) -> Option<Framing> {
        match self.inner {
            Inner::Undecided(_) => None,
            Inner::Length(_) => Some(Framing::Length),
            Inner::Slip(_) => Some(Framing::Slip),
        }
    }

    /// Consumes bytes from the front of `input` until a frame is complete
    /// (`true`; read it with [`frame`](Self::frame)) or the input is used
    /// up (`false`). Errors: [`Error::FrameTooLarge`],
    /// [`Error::InvalidSlipEscape`].
    pub fn feed(&mut self, input: &mut &[u8]) -> Result<bool> {
        if let Inner::Undecided(max) = self.inner {
            match input.first() {
                None => return Ok(false),
                Some(&slip::END) => self.inner = Inner::Slip(slip::Decoder::new(max)),
                Some(_) => self.inner = Inner::Length(LengthDecoder::new(max)),
            }
        }
        match &mut self.inner {
            Inner::Undecided(_) => Ok(false),
            Inner::Length(d) => d.feed(input),
            Inner::Slip(d) => d.feed(input),
        }
    }

    /// Like [`feed`](Self::feed), returning the completed frame.
    pub fn decode(&mut self, input: &mut &[u8]) -> Result<Option<&[u8]>> {
        let complete = self.feed(input)?;
        Ok(complete.then(|| self.frame()))
    }

    /// The frame completed by the last call to [`feed`](Self::feed) (empty
    /// if it returned `false`).
    pub fn frame(&self) -> &[u8] {
        match &self.inner {
            Inner::Undecided(_) => &[],
            Inner::Length(d) => d.frame(),
            Inner::Slip(d) => d.frame(),
        }
    }

    /// Bytes of an unfinished frame held by the decoder.
    pub fn buffered(&self) -> usize {
        match &self.inner {
            Inner::Undecided(_) => 0,
            Inner::Length(d) => d.buffered(),
            Inner::Slip(d) => d.buffered(),
        }
    }
}
