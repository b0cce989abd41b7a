//! tokio-util codecs: OSC over any `AsyncRead + AsyncWrite` byte stream.
//!
//! Both wrap the crate's one stream decoder ([`FrameDecoder`]), so the
//! framings, the detection and the frame bound are exactly the mio
//! transports':
//!
//! - [`FrameCodec`] moves frames: it decodes whole frames as [`BytesMut`]
//!   (parse them without copying with [`PacketRef::from_bytes`](crate::PacketRef::from_bytes)
//!   or [`from_slice`](crate::from_slice)) and frames raw packet bytes;
//! - [`OscCodec`] moves packets: it decodes owned [`Packet`]s and encodes
//!   any `Serialize` value named after an address, a [`Message`](crate::Message),
//!   a [`Packet`] or a [`Bundle`].
//!
//! Use them with `tokio_util::codec::Framed` on a `TcpStream`, a Unix
//! socket or a serial port.

use std::io;

use tokio_util::bytes::{Buf, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::framing::{FrameDecoder, Framing, StreamDecoder, DEFAULT_MAX_FRAME};
use crate::{Bundle, Error, Packet, Result};

/// A codec of raw OSC frames: OSC 1.0 length prefix, OSC 1.1 SLIP, or
/// detected per stream from its first byte.
///
/// Decoding yields each whole frame as [`BytesMut`]; frames over the
/// maximum (64 KiB by default) fail with [`Error::FrameTooLarge`] as soon
/// as that is known, without buffering them, and after any error the
/// stream is out of step: close it. A stream that ends inside a frame is
/// an [`io::ErrorKind::UnexpectedEof`] error.
///
/// Encoding frames packet bytes (`&[u8]` or [`Bytes`]) in the codec's
/// framing; a detecting codec answers in the framing it detected, and in
/// SLIP (OSC 1.1's) before it has seen anything.
///
/// ```
/// use osc_serde::tokio::FrameCodec;
/// use osc_serde::framing::Framing;
/// use tokio_util::bytes::BytesMut;
/// use tokio_util::codec::{Decoder, Encoder};
///
/// let mut codec = FrameCodec::new(Framing::Length);
/// let mut stream = BytesMut::new();
/// codec.encode(&b"/a\0\0,\0\0\0"[..], &mut stream)?;
/// assert_eq!(&stream[..], b"\0\0\0\x08/a\0\0,\0\0\0");
///
/// let frame = codec.decode(&mut stream)?.expect("a whole frame");
/// let packet = osc_serde::PacketRef::from_bytes(&frame)?; // borrows the frame
/// assert!(matches!(packet, osc_serde::PacketRef::Message(m) if m.address() == "/a"));
/// # Ok::<(), osc_serde::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct FrameCodec {
    decoder: FrameDecoder<Vec<u8>>,
    /// The framing asked for; `None` detects.
    framing: Option<Framing>,
    max_frame: usize,
    /// SLIP encodes a packet written elsewhere first.
    scratch: Vec<u8>,
    /// One framed packet, before it is copied into the sink's buffer.
    framed: Vec<u8>,
}

impl FrameCodec {
    /// A codec for `framing`, refusing frames over 64 KiB.
    pub fn new(framing: Framing) -> Self {
        Self::with(Some(framing), DEFAULT_MAX_FRAME)
    }

    /// A codec that detects the framing from the stream's first byte (SLIP
    /// if it is `END`, 0xC0, else the length prefix), as the servers do.
    pub fn detect() -> Self {
        Self::with(None, DEFAULT_MAX_FRAME)
    }

    fn with(framing: Option<Framing>, max_frame: usize) -> Self {
        FrameCodec {
            decoder: FrameDecoder::new(framing, max_frame),
            framing,
            max_frame,
            scratch: Vec::new(),
            framed: Vec::new(),
        }
    }

    /// The same codec refusing received frames over `max_frame` bytes
    /// (set it before decoding: the decoder starts afresh).
    #[must_use]
    pub fn with_max_frame(self, max_frame: usize) -> Self {
        Self::with(self.framing, max_frame)
    }

    /// The largest frame accepted.
    pub fn max_frame(&self) -> usize {
        self.max_frame
    }

    /// The framing in use: the one given, or the one detected; `None`
    /// while detecting and nothing came yet.
    pub fn framing(&self) -> Option<Framing> {
        self.framing.or(self.decoder.framing())
    }

    /// Consumes bytes from `src` into the decoder until a frame is
    /// complete, and returns it (valid until the next call).
    pub(crate) fn next_frame(&mut self, src: &mut BytesMut) -> Result<Option<&[u8]>> {
        let mut input = &src[..];
        let complete = self.decoder.feed(&mut input);
        // Also after an error: what the decoder consumed is gone.
        let used = src.len() - input.len();
        src.advance(used);
        Ok(complete?.then(|| self.decoder.frame()))
    }

    /// At end of stream: nothing may be left half-read.
    fn check_eof(&self, src: &BytesMut) -> Result<()> {
        if self.decoder.buffered() == 0 && src.is_empty() {
            return Ok(());
        }
        Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the stream ended inside an OSC frame",
        )
        .into())
    }

    /// Frames the packet `write` appends to the vector it is given, and
    /// appends the frame to `dst`. On error `dst` is unchanged.
    pub(crate) fn encode_with(
        &mut self,
        dst: &mut BytesMut,
        write: impl FnOnce(&mut Vec<u8>) -> Result<()>,
    ) -> Result<()> {
        let framing = self.framing().unwrap_or_default();
        self.framed.clear();
        framing.encode_with(&mut self.framed, &mut self.scratch, write)?;
        dst.extend_from_slice(&self.framed);
        Ok(())
    }
}

impl Default for FrameCodec {
    /// A detecting codec ([`FrameCodec::detect`]).
    fn default() -> Self {
        Self::detect()
    }
}

impl Decoder for FrameCodec {
    type Item = BytesMut;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<BytesMut>> {
        Ok(self.next_frame(src)?.map(BytesMut::from))
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<BytesMut>> {
        match self.decode(src)? {
            Some(frame) => Ok(Some(frame)),
            None => self.check_eof(src).map(|()| None),
        }
    }
}

impl Encoder<&[u8]> for FrameCodec {
    type Error = Error;

    fn encode(&mut self, packet: &[u8], dst: &mut BytesMut) -> Result<()> {
        self.encode_with(dst, |out| {
            out.extend_from_slice(packet);
            Ok(())
        })
    }
}

impl Encoder<Bytes> for FrameCodec {
    type Error = Error;

    fn encode(&mut self, packet: Bytes, dst: &mut BytesMut) -> Result<()> {
        self.encode(&packet[..], dst)
    }
}

/// A codec of OSC packets over a byte stream: [`FrameCodec`]'s framing,
/// with packets decoded as owned [`Packet`]s and values encoded directly.
///
/// It encodes `&T` for any `T: Serialize` the way [`to_vec`](crate::to_vec)
/// does (a type renamed to an address, an enum of such variants, a
/// [`Message`](crate::Message)), and `&Packet` and `&Bundle`. A frame that
/// is not a valid packet is an error like a framing error (`Framed` ends
/// its stream after any error); to read past bad packets, use
/// [`FrameCodec`] and decode each frame yourself.
///
/// ```
/// use osc_serde::tokio::OscCodec;
/// use osc_serde::{Message, Packet};
/// use osc_serde::framing::Framing;
/// use tokio_util::bytes::BytesMut;
/// use tokio_util::codec::{Decoder, Encoder};
///
/// #[derive(serde::Serialize)]
/// #[serde(rename = "/volume")]
/// struct Volume(f32);
///
/// let mut codec = OscCodec::new(Framing::Slip);
/// let mut stream = BytesMut::new();
/// codec.encode(&Volume(0.5), &mut stream)?;
/// assert_eq!(codec.decode(&mut stream)?, Some(Packet::Message(Message::new("/volume").arg(0.5f32))));
/// # Ok::<(), osc_serde::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct OscCodec {
    frames: FrameCodec,
}

impl OscCodec {
    /// A codec for `framing`, refusing frames over 64 KiB.
    pub fn new(framing: Framing) -> Self {
        OscCodec {
            frames: FrameCodec::new(framing),
        }
    }

    /// A codec that detects the framing from the stream's first byte.
    pub fn detect() -> Self {
        OscCodec {
            frames: FrameCodec::detect(),
        }
    }

    /// The same codec refusing received frames over `max_frame` bytes.
    #[must_use]
    pub fn with_max_frame(self, max_frame: usize) -> Self {
        OscCodec {
            frames: self.frames.with_max_frame(max_frame),
        }
    }

    /// The framing in use (see [`FrameCodec::framing`]).
    pub fn framing(&self) -> Option<Framing> {
        self.frames.framing()
    }
}

impl Decoder for OscCodec {
    type Item = Packet;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Packet>> {
        self.frames
            .next_frame(src)?
            .map(Packet::from_bytes)
            .transpose()
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Packet>> {
        match self.decode(src)? {
            Some(packet) => Ok(Some(packet)),
            None => self.frames.check_eof(src).map(|()| None),
        }
    }
}

impl<T: serde::Serialize + ?Sized> Encoder<&T> for OscCodec {
    type Error = Error;

    fn encode(&mut self, value: &T, dst: &mut BytesMut) -> Result<()> {
        self.frames
            .encode_with(dst, |out| crate::encode_into(out, value))
    }
}

impl Encoder<&Packet> for OscCodec {
    type Error = Error;

    fn encode(&mut self, packet: &Packet, dst: &mut BytesMut) -> Result<()> {
        self.frames.encode_with(dst, |out| packet.encode_into(out))
    }
}

impl Encoder<&Bundle> for OscCodec {
    type Error = Error;

    fn encode(&mut self, bundle: &Bundle, dst: &mut BytesMut) -> Result<()> {
        self.frames.encode_with(dst, |out| bundle.encode_into(out))
    }
}
