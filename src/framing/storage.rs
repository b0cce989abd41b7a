//! Where a stream decoder keeps the frame it is assembling: a growable
//! `Vec<u8>` bounded by a maximum frame size, or a caller's fixed buffer
//! (`&mut [u8]`, `[u8; N]`) whose length is the bound, so the decoders run
//! without an allocator.

#[cfg(feature = "alloc")]
use alloc::vec::Vec;

use crate::{Error, Result};

/// Storage for the frame a stream decoder assembles.
///
/// Implemented by `Vec<u8>` (grows as needed; the decoder's maximum frame
/// size bounds it), by `&mut [u8]` and by `[u8; N]` (fixed: a frame longer
/// than the buffer is refused with [`Error::FrameTooLarge`]). Implement it
/// for another fixed-capacity buffer type to decode into that.
pub trait FrameStorage {
    /// The most bytes this storage can hold: a decoder over it refuses
    /// longer frames.
    fn max_len(&self) -> usize;

    /// Writes `bytes` at offset `at`, keeping the `at` bytes before it;
    /// what was stored after `at` may be lost. The decoders only call it
    /// with `at + bytes.len() <= self.max_len()` and `at` no more than the
    /// bytes written so far.
    fn write_at(&mut self, at: usize, bytes: &[u8]);

    /// The first `len` bytes, `len` being no more than the bytes written.
    fn bytes(&self, len: usize) -> &[u8];
}

#[cfg(feature = "alloc")]
impl FrameStorage for Vec<u8> {
    /// Unbounded: a decoder over a `Vec` takes its bound from the maximum
    /// frame size it is built with.
    fn max_len(&self) -> usize {
        usize::MAX
    }

    #[inline]
    fn write_at(&mut self, at: usize, bytes: &[u8]) {
        self.truncate(at);
        self.extend_from_slice(bytes);
    }

    #[inline]
    fn bytes(&self, len: usize) -> &[u8] {
        &self[..len]
    }
}

impl FrameStorage for &mut [u8] {
    fn max_len(&self) -> usize {
        self.len()
    }

    #[inline]
    fn write_at(&mut self, at: usize, bytes: &[u8]) {
        self[at..at + bytes.len()].copy_from_slice(bytes);
    }

    #[inline]
    fn bytes(&self, len: usize) -> &[u8] {
        &self[..len]
    }
}

impl<const N: usize> FrameStorage for [u8; N] {
    fn max_len(&self) -> usize {
        N
    }

    #[inline]
    fn write_at(&mut self, at: usize, bytes: &[u8]) {
        self[at..at + bytes.len()].copy_from_slice(bytes);
    }

    #[inline]
    fn bytes(&self, len: usize) -> &[u8] {
        &self[..len]
    }
}

/// The frame a stream decoder accumulates, shared by the SLIP, the
/// length-prefix and the detecting decoders: once complete it is readable
/// until the next call to `feed`, which starts a new one.
#[derive(Debug, Clone)]
pub(crate) struct FrameBuf<S> {
    storage: S,
    /// Bytes of the current frame in `storage`.
    len: usize,
    /// The bound on a frame: the smaller of the requested maximum and what
    /// the storage holds.
    max: usize,
    complete: bool,
}

// The decoders are generic, so they are compiled in the crate that uses
// them; `#[inline]` on these per-run helpers (and on the decoders' `feed`)
// lets them inline there: without it SLIP decoding ran 6% more
// instructions than before the storage became generic.
impl<S: FrameStorage> FrameBuf<S> {
    pub(crate) fn new(storage: S, max_frame: usize) -> Self {
        let max = max_frame.min(storage.max_len());
        FrameBuf {
            storage,
            len: 0,
            max,
            complete: false,
        }
    }

    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// Called first by `feed`: drops the frame yielded by the last call.
    #[inline]
    pub(crate) fn begin(&mut self) {
        if self.complete {
            self.len = 0;
            self.complete = false;
        }
    }

    /// Appends to the frame, refusing to pass the bound.
    #[inline]
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Result<()> {
        let size = self.len + bytes.len();
        if size > self.max {
            return Err(Error::frame_too_large(size, self.max));
        }
        self.storage.write_at(self.len, bytes);
        self.len = size;
        Ok(())
    }

    /// Drops an unfinished frame (after an error).
    pub(crate) fn discard(&mut self) {
        self.len = 0;
    }

    #[inline]
    pub(crate) fn finish(&mut self) {
        self.complete = true;
    }

    /// Bytes of the frame so far, complete or not.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The completed frame, or empty.
    #[inline]
    pub(crate) fn frame(&self) -> &[u8] {
        if self.complete {
            self.storage.bytes(self.len)
        } else {
            &[]
        }
    }

    /// Bytes of an unfinished frame.
    #[inline]
    pub(crate) fn partial_len(&self) -> usize {
        if self.complete {
            0
        } else {
            self.len
        }
    }

    pub(crate) fn into_storage(self) -> (S, usize) {
        (self.storage, self.len)
    }
}
