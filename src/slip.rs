//! SLIP (RFC 1055) framing, as OSC 1.1 uses it on streams.
//!
//! A SLIP frame is the packet with every `END` (0xC0) byte replaced by
//! `ESC ESC_END` (0xDB 0xDC) and every `ESC` (0xDB) by `ESC ESC_ESC`
//! (0xDB 0xDD), with `END` bytes around it. OSC 1.1 sends "double-END"
//! frames (an `END` before and after); many senders omit the leading one.
//! [`Decoder`] accepts both, and any split of the stream across reads.
//!
//! ```
//! use osc_serde::slip;
//!
//! let frame = slip::encode(b"/a\0\0\xc0");
//! assert_eq!(frame, b"\xc0/a\0\0\xdb\xdc\xc0");
//! assert_eq!(slip::decode(&frame)?, b"/a\0\0\xc0");
//! # Ok::<(), osc_serde::Error>(())
//! ```

use crate::{Error, Result};

/// Frame delimiter.
pub const END: u8 = 0xC0;
/// Escape byte.
pub const ESC: u8 = 0xDB;
/// `ESC ESC_END` stands for a literal `END` byte.
pub const ESC_END: u8 = 0xDC;
/// `ESC ESC_ESC` stands for a literal `ESC` byte.
pub const ESC_ESC: u8 = 0xDD;

/// Default bound on a decoded frame: 64 KiB.
pub const DEFAULT_MAX_FRAME: usize = 64 * 1024;

/// Returns `packet` as a double-END SLIP frame.
pub fn encode(packet: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(packet.len() + 2);
    encode_into(packet, &mut out);
    out
}

/// Appends `packet` as a double-END SLIP frame to `out`.
///
/// ```
/// let mut out = Vec::new();
/// osc_serde::slip::encode_into(b"\xdb", &mut out);
/// assert_eq!(out, b"\xc0\xdb\xdd\xc0");
/// ```
pub fn encode_into(packet: &[u8], out: &mut Vec<u8>) {
    out.reserve(packet.len() + 2);
    out.push(END);
    let mut rest = packet;
    // Copy runs of plain bytes in one go; only END and ESC need work.
    while let Some(i) = rest.iter().position(|&b| b == END || b == ESC) {
        out.extend_from_slice(&rest[..i]);
        out.push(ESC);
        out.push(if rest[i] == END { ESC_END } else { ESC_ESC });
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
    out.push(END);
}

/// Decodes one SLIP frame: `END` bytes before and after are optional.
///
/// Errors: [`Error::InvalidSlipEscape`] for `ESC` followed by anything but
/// `ESC_END`/`ESC_ESC`, [`Error::UnexpectedEnd`] when the input ends right
/// after an `ESC`, and [`Error::TrailingBytes`] when a second frame follows.
///
/// ```
/// use osc_serde::{slip, Error};
///
/// assert_eq!(slip::decode(b"/a\0\0\xc0")?, b"/a\0\0");
/// assert!(matches!(slip::decode(b"\xdb\x00"), Err(Error::InvalidSlipEscape(0x00))));
/// # Ok::<(), osc_serde::Error>(())
/// ```
pub fn decode(frame: &[u8]) -> Result<Vec<u8>> {
    let mut decoder = Decoder::new(usize::MAX);
    let mut input = frame;
    if decoder.feed(&mut input)? {
        let rest = input.iter().filter(|&&b| b != END).count();
        if rest != 0 {
            return Err(Error::TrailingBytes(crate::error::count(rest)));
        }
    } else if decoder.escaped {
        return Err(Error::end(1, 0));
    }
    Ok(std::mem::take(&mut decoder.frame.bytes))
}

/// Incremental SLIP decoder: feed it bytes as they arrive, in any chunking,
/// and it yields whole frames.
///
/// Empty frames (two `END`s in a row, as between double-END frames) are
/// skipped. Memory is bounded by the maximum frame size given to
/// [`Decoder::new`]. After an error the decoder drops the partial frame and
/// skips to the next `END`, so a caller may go on (a server closes the
/// connection instead).
///
/// ```
/// use osc_serde::slip::Decoder;
///
/// let mut decoder = Decoder::new(1024);
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
pub struct Decoder {
    frame: FrameBuf,
    max: usize,
    escaped: bool,
    /// Set after an error: input is ignored up to the next END.
    skipping: bool,
}

/// The frame a stream decoder accumulates, shared by the SLIP and the
/// length-prefix decoders: once complete it is readable until the next
/// call to `feed`, which starts a new one.
#[derive(Debug, Clone, Default)]
pub(crate) struct FrameBuf {
    pub(crate) bytes: Vec<u8>,
    complete: bool,
}

impl FrameBuf {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        FrameBuf {
            bytes: Vec::with_capacity(capacity),
            complete: false,
        }
    }

    /// Called first by `feed`: drops the frame yielded by the last call.
    pub(crate) fn begin(&mut self) {
        if self.complete {
            self.bytes.clear();
            self.complete = false;
        }
    }

    pub(crate) fn finish(&mut self) {
        self.complete = true;
    }

    /// The completed frame, or empty.
    pub(crate) fn frame(&self) -> &[u8] {
        if self.complete {
            &self.bytes
        } else {
            &[]
        }
    }

    /// Bytes of an unfinished frame.
    pub(crate) fn partial_len(&self) -> usize {
        if self.complete {
            0
        } else {
            self.bytes.len()
        }
    }
}

impl Decoder {
    /// A decoder that refuses frames longer than `max_frame` decoded bytes
    /// with [`Error::FrameTooLarge`].
    pub fn new(max_frame: usize) -> Self {
        Decoder {
            frame: FrameBuf::with_capacity(max_frame.min(4096)),
            max: max_frame,
            escaped: false,
            skipping: false,
        }
    }

    /// Consumes bytes from the front of `input` until a frame is complete
    /// (returns `true`; the frame is then [`frame`](Self::frame)) or the
    /// input is used up (returns `false`; the partial frame is kept).
    pub fn feed(&mut self, input: &mut &[u8]) -> Result<bool> {
        self.frame.begin();
        while !input.is_empty() {
            if self.skipping {
                match input.iter().position(|&b| b == END) {
                    Some(i) => {
                        *input = &input[i + 1..];
                        self.skipping = false;
                    }
                    None => *input = &[],
                }
                continue;
            }
            if self.escaped {
                let literal = match input[0] {
                    ESC_END => END,
                    ESC_ESC => ESC,
                    other => {
                        *input = &input[1..];
                        // An END right after ESC also ends the frame: do not skip past
                        // the next frame.
                        self.fail(other == END);
                        return Err(Error::InvalidSlipEscape(other));
                    }
                };
                *input = &input[1..];
                self.escaped = false;
                self.push(&[literal])?;
                continue;
            }
            let run = input.iter().position(|&b| b == END || b == ESC);
            let plain = run.unwrap_or(input.len());
            self.push(&input[..plain])?;
            let Some(i) = run else {
                *input = &[];
                break;
            };
            let special = input[i];
            *input = &input[i + 1..];
            if special == ESC {
                self.escaped = true;
            } else if !self.frame.bytes.is_empty() {
                self.frame.finish();
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Like [`feed`](Self::feed), returning the completed frame.
    pub fn decode(&mut self, input: &mut &[u8]) -> Result<Option<&[u8]>> {
        let complete = self.feed(input)?;
        Ok(complete.then(|| self.frame()))
    }

    /// The frame completed by the last call to [`feed`](Self::feed) (empty
    /// if it returned `false`).
    pub fn frame(&self) -> &[u8] {
        self.frame.frame()
    }

    /// Bytes of an unfinished frame held by the decoder.
    pub fn buffered(&self) -> usize {
        self.frame.partial_len()
    }

    fn push(&mut self, bytes: &[u8]) -> Result<()> {
        let size = self.frame.bytes.len() + bytes.len();
        if size > self.max {
            self.fail(false);
            return Err(Error::FrameTooLarge {
                size: crate::error::count(size),
                max: self.max,
            });
        }
        self.frame.bytes.extend_from_slice(bytes);
        Ok(())
    }

    fn fail(&mut self, at_end: bool) {
        self.frame.bytes.clear();
        self.escaped = false;
        self.skipping = !at_end;
    }
}
