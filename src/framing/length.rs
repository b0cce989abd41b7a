//! OSC 1.0 length-prefix framing: each packet is preceded by its size as a
//! big-endian int32 (what liblo's `oscsend` and python-osc's mode "1.0"
//! send). The stream decoder is [`Framing::Length`](super::Framing::Length)'s
//! [`FrameDecoder`](super::FrameDecoder): a prefix over the maximum frame
//! size, or negative, is refused as soon as its 4 bytes are read, so
//! nothing of such a frame is buffered; after an error the stream cannot be
//! resynchronised (the next 4 bytes are taken as a prefix): close it.
//!
//! ```
//! use osc_serde::framing::length;
//!
//! let mut out = Vec::new();
//! length::encode_into(b"/a\0\0,\0\0\0", &mut out)?;
//! assert_eq!(out, b"\0\0\0\x08/a\0\0,\0\0\0");
//!
//! let mut buf = [0; 12];
//! assert_eq!(length::encode_to_slice(b"/a\0\0,\0\0\0", &mut buf)?, 12);
//! assert_eq!(buf[..], out[..]);
//! # Ok::<(), osc_serde::Error>(())
//! ```

#[cfg(feature = "alloc")]
use alloc::vec::Vec;

use super::storage::{FrameBuf, FrameStorage};
use crate::{Error, Result};

/// Size of the prefix.
pub const PREFIX_LEN: usize = 4;

/// The prefix for a packet of `len` bytes; a packet over `i32::MAX` bytes
/// has none ([`Error::FrameTooLarge`]). The one writer of prefixes.
fn prefix(len: usize) -> Result<[u8; PREFIX_LEN]> {
    i32::try_from(len)
        .map(i32::to_be_bytes)
        .map_err(|_| Error::frame_too_large(len, i32::MAX as usize))
}

/// Appends `packet` with its length prefix to `out`. Fails with
/// [`Error::FrameTooLarge`] only for a packet over `i32::MAX` bytes.
#[cfg(feature = "alloc")]
pub fn encode_into(packet: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let prefix = prefix(packet.len())?;
    out.reserve(PREFIX_LEN + packet.len());
    out.extend_from_slice(&prefix);
    out.extend_from_slice(packet);
    Ok(())
}

/// Writes `packet` with its length prefix at the start of `out` and
/// returns the frame's length. When `out` is too short nothing is written
/// and the error is [`Error::BufferTooSmall`].
pub fn encode_to_slice(packet: &[u8], out: &mut [u8]) -> Result<usize> {
    let prefix = prefix(packet.len())?;
    let len = PREFIX_LEN + packet.len();
    let capacity = out.len();
    let out = out
        .get_mut(..len)
        .ok_or_else(|| super::buffer_too_small(capacity))?;
    out[..PREFIX_LEN].copy_from_slice(&prefix);
    out[PREFIX_LEN..].copy_from_slice(packet);
    Ok(len)
}

/// Appends to `out` a frame whose packet `write` appends, with no
/// intermediate buffer: the prefix is filled in once the size is known.
/// On error `out` is unchanged.
#[cfg(feature = "alloc")]
pub(crate) fn encode_with(
    out: &mut Vec<u8>,
    write: impl FnOnce(&mut Vec<u8>) -> Result<()>,
) -> Result<()> {
    let start = out.len();
    out.extend_from_slice(&[0; PREFIX_LEN]);
    let body = PREFIX_LEN + start;
    let result = write(out).and_then(|()| prefix(out.len() - body));
    match result {
        Ok(prefix) => {
            out[start..body].copy_from_slice(&prefix);
            Ok(())
        }
        Err(e) => {
            out.truncate(start);
            Err(e)
        }
    }
}

/// Where the length-prefix decoding of a stream stands between two reads;
/// the frame itself is in a [`FrameBuf`] (shared with the detecting
/// decoder).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LengthState {
    header: [u8; PREFIX_LEN],
    header_len: usize,
    /// Size of the frame being read, once its prefix is complete.
    size: Option<usize>,
}

impl LengthState {
    /// Consumes bytes from the front of `input` into `buf` until a frame
    /// is complete (`true`) or the input is used up (`false`).
    #[inline]
    pub(crate) fn feed<S: FrameStorage>(
        &mut self,
        buf: &mut FrameBuf<S>,
        input: &mut &[u8],
    ) -> Result<bool> {
        let size = match self.size {
            Some(size) => size,
            None => {
                let take = (PREFIX_LEN - self.header_len).min(input.len());
                self.header[self.header_len..self.header_len + take]
                    .copy_from_slice(&input[..take]);
                self.header_len += take;
                *input = &input[take..];
                if self.header_len < PREFIX_LEN {
                    return Ok(false);
                }
                self.header_len = 0;
                // Refused before a byte of the frame is buffered; a
                // negative size is refused the same way.
                let claimed = i32::from_be_bytes(self.header);
                let size = usize::try_from(claimed)
                    .ok()
                    .filter(|&s| s <= buf.max())
                    .ok_or_else(|| Error::frame_too_large(claimed as u32 as usize, buf.max()))?;
                self.size = Some(size);
                size
            }
        };
        let take = (size - buf.len()).min(input.len());
        buf.push(&input[..take])?;
        *input = &input[take..];
        if buf.len() < size {
            return Ok(false);
        }
        self.size = None;
        buf.finish();
        Ok(true)
    }

    /// Bytes of the prefix held.
    pub(crate) fn buffered(&self) -> usize {
        if self.size.is_some() {
            PREFIX_LEN
        } else {
            self.header_len
        }
    }
}
