//! SLIP (RFC 1055) framing, as OSC 1.1 uses it on streams.
//!
//! A SLIP frame is the packet with every `END` (0xC0) byte replaced by
//! `ESC ESC_END` (0xDB 0xDC) and every `ESC` (0xDB) by `ESC ESC_ESC`
//! (0xDB 0xDD), with `END` bytes around it. OSC 1.1 sends "double-END"
//! frames (an `END` before and after); many senders omit the leading one.
//! The stream decoder ([`Framing::Slip`](super::Framing::Slip)'s
//! [`FrameDecoder`](super::FrameDecoder)) accepts both, and any split of
//! the stream across reads; it skips empty frames (two `END`s in a row, as
//! between double-END frames) and, after an error, drops the partial frame
//! and skips to the next `END`, so a caller may go on (a server closes the
//! connection instead).
//!
//! ```
//! use osc_serde::framing::slip;
//!
//! let frame = slip::encode(b"/a\0\0\xc0");
//! assert_eq!(frame, b"\xc0/a\0\0\xdb\xdc\xc0");
//! assert_eq!(slip::decode(&frame)?, b"/a\0\0\xc0");
//!
//! // The same into a caller's buffer, without allocating.
//! let mut buf = [0; 16];
//! let n = slip::encode_to_slice(b"/a\0\0\xc0", &mut buf)?;
//! let mut packet = [0; 8];
//! let m = slip::decode_to_slice(&buf[..n], &mut packet)?;
//! assert_eq!(&packet[..m], b"/a\0\0\xc0");
//! # Ok::<(), osc_serde::Error>(())
//! ```

use alloc::vec::Vec;

use super::storage::{FrameBuf, FrameStorage};
use crate::{Error, Result};

/// Frame delimiter.
pub const END: u8 = 0xC0;
/// Escape byte.
pub const ESC: u8 = 0xDB;
/// `ESC ESC_END` stands for a literal `END` byte.
pub const ESC_END: u8 = 0xDC;
/// `ESC ESC_ESC` stands for a literal `ESC` byte.
pub const ESC_ESC: u8 = 0xDD;

/// The size of `packet` as a double-END SLIP frame.
pub fn encoded_len(packet: &[u8]) -> usize {
    let escapes = packet.iter().filter(|&&b| b == END || b == ESC).count();
    packet.len() + escapes + 2
}

/// Hands `packet` as a double-END SLIP frame to `put`, in pieces: the one
/// escaping loop behind both the `Vec` and the slice encoders.
fn escape(packet: &[u8], mut put: impl FnMut(&[u8])) {
    put(&[END]);
    let mut rest = packet;
    // Copy runs of plain bytes in one go; only END and ESC need work.
    while let Some(i) = rest.iter().position(|&b| b == END || b == ESC) {
        put(&rest[..i]);
        put(if rest[i] == END {
            &[ESC, ESC_END]
        } else {
            &[ESC, ESC_ESC]
        });
        rest = &rest[i + 1..];
    }
    put(rest);
    put(&[END]);
}

/// Returns `packet` as a double-END SLIP frame.
pub fn encode(packet: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(packet, &mut out);
    out
}

/// Appends `packet` as a double-END SLIP frame to `out`.
///
/// ```
/// let mut out = Vec::new();
/// osc_serde::framing::slip::encode_into(b"\xdb", &mut out);
/// assert_eq!(out, b"\xc0\xdb\xdd\xc0");
/// ```
pub fn encode_into(packet: &[u8], out: &mut Vec<u8>) {
    out.reserve(packet.len() + 2);
    escape(packet, |bytes| out.extend_from_slice(bytes));
}

/// Writes `packet` as a double-END SLIP frame at the start of `out` and
/// returns the frame's length ([`encoded_len`]). When `out` is too short
/// nothing is written and the error is [`Error::FrameTooLarge`] with the
/// frame's length as `size` and the buffer's as `max`.
///
/// ```
/// use osc_serde::{framing::slip, Error};
///
/// let mut buf = [0; 6];
/// assert_eq!(slip::encode_to_slice(b"a\xc0", &mut buf)?, 5);
/// assert_eq!(&buf[..5], b"\xc0a\xdb\xdc\xc0");
/// assert!(matches!(
///     slip::encode_to_slice(b"abcde", &mut buf),
///     Err(Error::FrameTooLarge { size: 7, max: 6 })
/// ));
/// # Ok::<(), osc_serde::Error>(())
/// ```
pub fn encode_to_slice(packet: &[u8], out: &mut [u8]) -> Result<usize> {
    let len = encoded_len(packet);
    let max = out.len();
    let out = out.get_mut(..len).ok_or(Error::FrameTooLarge {
        size: crate::error::count(len),
        max,
    })?;
    let mut at = 0;
    escape(packet, |bytes| {
        out[at..at + bytes.len()].copy_from_slice(bytes);
        at += bytes.len();
    });
    Ok(len)
}

/// Decodes one SLIP frame: `END` bytes before and after are optional.
///
/// Errors: [`Error::InvalidSlipEscape`] for `ESC` followed by anything but
/// `ESC_END`/`ESC_ESC`, [`Error::UnexpectedEnd`] when the input ends right
/// after an `ESC`, and [`Error::TrailingBytes`] when a second frame follows.
///
/// ```
/// use osc_serde::{framing::slip, Error};
///
/// assert_eq!(slip::decode(b"/a\0\0\xc0")?, b"/a\0\0");
/// assert!(matches!(slip::decode(b"\xdb\x00"), Err(Error::InvalidSlipEscape(0x00))));
/// # Ok::<(), osc_serde::Error>(())
/// ```
pub fn decode(frame: &[u8]) -> Result<Vec<u8>> {
    let (mut bytes, len) = decode_whole(frame, Vec::new(), usize::MAX)?;
    bytes.truncate(len);
    Ok(bytes)
}

/// Decodes one SLIP frame, like [`decode`], into the start of `out` and
/// returns the packet's length. A packet longer than `out` is
/// [`Error::FrameTooLarge`].
pub fn decode_to_slice(frame: &[u8], out: &mut [u8]) -> Result<usize> {
    decode_whole(frame, out, usize::MAX).map(|(_, len)| len)
}

/// Decodes a whole frame into `storage` (at most `max` bytes); returns the
/// storage and the length of the packet in it.
fn decode_whole<S: FrameStorage>(frame: &[u8], storage: S, max: usize) -> Result<(S, usize)> {
    let mut state = SlipState::default();
    let mut buf = FrameBuf::new(storage, max);
    let mut input = frame;
    if state.feed(&mut buf, &mut input)? {
        let rest = input.iter().filter(|&&b| b != END).count();
        if rest != 0 {
            return Err(Error::TrailingBytes(crate::error::count(rest)));
        }
    } else if state.escaped {
        return Err(Error::end(1, 0));
    }
    Ok(buf.into_storage())
}

/// Where the SLIP decoding of a stream stands between two reads; the
/// frame itself is in a [`FrameBuf`] (shared with the detecting decoder).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SlipState {
    escaped: bool,
    /// Set after an error: input is ignored up to the next END.
    skipping: bool,
}

impl SlipState {
    /// Consumes bytes from the front of `input` into `buf` until a frame
    /// is complete (`true`) or the input is used up (`false`).
    pub(crate) fn feed<S: FrameStorage>(
        &mut self,
        buf: &mut FrameBuf<S>,
        input: &mut &[u8],
    ) -> Result<bool> {
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
                        self.fail(buf, other == END);
                        return Err(Error::InvalidSlipEscape(other));
                    }
                };
                *input = &input[1..];
                self.escaped = false;
                self.push(buf, &[literal])?;
                continue;
            }
            let run = input.iter().position(|&b| b == END || b == ESC);
            let plain = run.unwrap_or(input.len());
            self.push(buf, &input[..plain])?;
            let Some(i) = run else {
                *input = &[];
                break;
            };
            let special = input[i];
            *input = &input[i + 1..];
            if special == ESC {
                self.escaped = true;
            } else if buf.len() != 0 {
                // Empty frames (END END, as between double-END frames) are
                // skipped.
                buf.finish();
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn push<S: FrameStorage>(&mut self, buf: &mut FrameBuf<S>, bytes: &[u8]) -> Result<()> {
        buf.push(bytes).inspect_err(|_| self.fail(buf, false))
    }

    fn fail<S: FrameStorage>(&mut self, buf: &mut FrameBuf<S>, at_end: bool) {
        buf.discard();
        self.escaped = false;
        self.skipping = !at_end;
    }
}
