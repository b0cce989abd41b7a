//! Where the encoder writes: a growable `Vec<u8>` (with an allocator) or a
//! caller's fixed `&mut [u8]` (without one).
//!
//! The serializer and the wire writers it uses are generic over [`Output`],
//! so there is one encoder for both. The trait is small and shaped by what
//! the encoder does: append bytes, append a fixed-size block of which only
//! a prefix is kept (the cheap way to write padded strings: one store of
//! 4, 8 or 16 bytes, cut to size), patch bytes already written (type tags
//! go into room left before the data), keep the tags that room cannot take
//! at the far end of a fixed buffer, and cut back on error. A `Vec`
//! never runs out of room; a slice reports [`Error::BufferTooSmall`].

use crate::error::{count, Error, Result};

/// An encoder's output buffer. Every method is inlined into the encoder,
/// so that for a `Vec` (which cannot fail) the `Result`s compile away.
pub(crate) trait Output {
    /// Bytes written so far.
    fn len(&self) -> usize;

    /// The bytes written so far, to patch (type tags, sizes).
    fn written_mut(&mut self) -> &mut [u8];

    /// Appends `bytes`.
    fn extend(&mut self, bytes: &[u8]) -> Result<()>;

    /// Appends the first `keep` bytes of `block` (`keep <= N`). Where there
    /// is room, the whole block is stored (one fixed-size copy) and the
    /// length advanced by `keep` only.
    fn extend_cut<const N: usize>(&mut self, block: &[u8; N], keep: usize) -> Result<()>;

    /// Appends `n` zero bytes.
    fn extend_zeros(&mut self, n: usize) -> Result<()>;

    /// Cuts the output back to `len` bytes (`len <= self.len()`).
    fn truncate(&mut self, len: usize);

    /// The bytes written so far.
    fn written(&self) -> &[u8];

    /// Keeps a type tag that the room before the data cannot take at the
    /// far end of a fixed buffer, which the data may then not reach, and
    /// returns `true`; a growable output returns `false` (the encoder
    /// grows its room instead).
    fn push_far_tag(&mut self, tag: u8) -> Result<bool>;

    /// The tags kept at the far end, newest first.
    fn far_tags(&self) -> &[u8];

    /// Inserts the far tags in the order they were pushed, then `pad`
    /// zero bytes, at `at`, moving the bytes from `at` on after them (one
    /// move); the far end is then free again.
    fn insert_far_tags(&mut self, at: usize, pad: usize) -> Result<()>;
}

#[cfg(feature = "alloc")]
impl Output for alloc::vec::Vec<u8> {
    #[inline(always)]
    fn len(&self) -> usize {
        self.len()
    }

    #[inline(always)]
    fn written_mut(&mut self) -> &mut [u8] {
        self
    }

    #[inline(always)]
    fn extend(&mut self, bytes: &[u8]) -> Result<()> {
        self.extend_from_slice(bytes);
        Ok(())
    }

    #[inline(always)]
    fn extend_cut<const N: usize>(&mut self, block: &[u8; N], keep: usize) -> Result<()> {
        let end = self.len() + keep;
        self.extend_from_slice(block);
        self.truncate(end);
        Ok(())
    }

    #[inline(always)]
    fn extend_zeros(&mut self, n: usize) -> Result<()> {
        if n <= 8 {
            // A fixed-size store and a truncate: cheaper than `memset`.
            return self.extend_cut(&[0; 8], n);
        }
        self.resize(self.len() + n, 0);
        Ok(())
    }

    #[inline(always)]
    fn truncate(&mut self, len: usize) {
        self.truncate(len);
    }

    #[inline(always)]
    fn written(&self) -> &[u8] {
        self
    }

    /// A `Vec` grows: it has no far end.
    fn push_far_tag(&mut self, _: u8) -> Result<bool> {
        Ok(false)
    }

    fn far_tags(&self) -> &[u8] {
        &[]
    }

    /// There are never far tags to insert.
    fn insert_far_tags(&mut self, _: usize, _: usize) -> Result<()> {
        Ok(())
    }
}

/// A caller's buffer being filled from the start, with type tags kept at
/// its far end while a message's tag room is full.
pub(crate) struct SliceOutput<'b> {
    buf: &'b mut [u8],
    len: usize,
    /// How many far tags the end of `buf` holds (newest first).
    far: usize,
}

impl<'b> SliceOutput<'b> {
    /// An empty output over `buf`.
    #[inline]
    pub(crate) fn new(buf: &'b mut [u8]) -> Self {
        SliceOutput {
            buf,
            len: 0,
            far: 0,
        }
    }

    /// Where written bytes must end: before the far tags.
    #[inline(always)]
    fn limit(&self) -> usize {
        self.buf.len() - self.far
    }

    /// The room for the next `n` bytes, or the error for a full buffer.
    #[inline(always)]
    fn room(&mut self, n: usize) -> Result<&mut [u8]> {
        let capacity = self.buf.len();
        match self.len.checked_add(n) {
            Some(end) if end <= self.limit() => Ok(&mut self.buf[self.len..end]),
            _ => Err(too_small(capacity)),
        }
    }
}

/// The error for a buffer that cannot take the message, built out of line.
#[cold]
#[inline(never)]
fn too_small(capacity: usize) -> Error {
    Error::BufferTooSmall {
        capacity: count(capacity),
    }
}

impl Output for SliceOutput<'_> {
    #[inline(always)]
    fn len(&self) -> usize {
        self.len
    }

    #[inline(always)]
    fn written_mut(&mut self) -> &mut [u8] {
        &mut self.buf[..self.len]
    }

    #[inline(always)]
    fn extend(&mut self, bytes: &[u8]) -> Result<()> {
        self.room(bytes.len())?.copy_from_slice(bytes);
        self.len += bytes.len();
        Ok(())
    }

    #[inline(always)]
    fn extend_cut<const N: usize>(&mut self, block: &[u8; N], keep: usize) -> Result<()> {
        let limit = self.limit();
        if let Some(room) = self
            .buf
            .get_mut(self.len..limit)
            .and_then(|rest| rest.first_chunk_mut::<N>())
        {
            *room = *block;
        } else {
            self.room(keep)?.copy_from_slice(&block[..keep]);
        }
        self.len += keep;
        Ok(())
    }

    #[inline(always)]
    fn extend_zeros(&mut self, n: usize) -> Result<()> {
        self.room(n)?.fill(0);
        self.len += n;
        Ok(())
    }

    /// Drops the far tags as well: an encoder cuts back on error only.
    #[inline(always)]
    fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
        self.far = 0;
    }

    #[inline(always)]
    fn written(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    #[inline(always)]
    fn push_far_tag(&mut self, tag: u8) -> Result<bool> {
        self.room(1)?;
        let at = self.limit() - 1;
        self.buf[at] = tag;
        self.far += 1;
        Ok(true)
    }

    fn far_tags(&self) -> &[u8] {
        &self.buf[self.limit()..]
    }

    fn insert_far_tags(&mut self, at: usize, pad: usize) -> Result<()> {
        let (capacity, far, len) = (self.buf.len(), self.far, self.len);
        let end = len + far + pad;
        if end > capacity {
            return Err(too_small(capacity));
        }
        // With the tags (newest first) moved to end right at `end`,
        // reversing all from `at` puts them in order in front of the data
        // (reversed), and reversing the data's part restores it: linear,
        // and no scratch space.
        self.buf.copy_within(capacity - far.., len + pad);
        self.buf[at..end].reverse();
        self.buf[at + far..at + far + pad].fill(0);
        self.buf[at + far + pad..end].reverse();
        self.len = end;
        self.far = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Far tags take room from the data, come back in push order with
    /// their padding where they are inserted, and leave the far end free.
    #[test]
    fn far_tags_are_inserted_in_push_order() {
        let mut buf = [0xeeu8; 16];
        let mut out = SliceOutput::new(&mut buf);
        out.extend(b"ab\0cd").unwrap();
        for tag in *b"xyz" {
            assert!(out.push_far_tag(tag).unwrap());
        }
        assert_eq!(out.far_tags(), b"zyx");
        // 5 written + 3 far: 8 bytes left for data.
        out.extend(b"123456").unwrap();
        assert!(matches!(
            out.extend(b"789"),
            Err(Error::BufferTooSmall { capacity: 16 })
        ));
        out.insert_far_tags(2, 1).unwrap();
        assert_eq!(out.written(), b"abxyz\0\0cd123456");
        assert_eq!(out.far_tags(), b"");
        // Inserting needs room for the padding too.
        let mut buf = [0u8; 4];
        let mut out = SliceOutput::new(&mut buf);
        out.extend(b"ab").unwrap();
        out.push_far_tag(b't').unwrap();
        assert!(matches!(
            out.insert_far_tags(0, 2),
            Err(Error::BufferTooSmall { capacity: 4 })
        ));
        // A `Vec` has no far end.
        let mut vec = Vec::new();
        assert!(!vec.push_far_tag(b't').unwrap());
        assert_eq!(vec.far_tags(), b"");
    }

    /// The same writes to a `Vec` and to slices of every size: the slice
    /// holds what the `Vec` holds, or reports that it is too small, exactly
    /// when the `Vec` grew past its size.
    #[test]
    fn slice_output_matches_vec_output() {
        fn writes<O: Output>(out: &mut O) -> Result<()> {
            out.extend(b"ab")?;
            out.extend_cut(b"cdefghijklmnopqr", 3)?;
            out.extend_zeros(2)?;
            out.extend_zeros(11)?;
            out.written_mut()[0] = b'A';
            out.extend_cut(&[9u8; 4], 4)?;
            let len = out.len();
            out.extend(b"xyz")?;
            out.truncate(len);
            out.extend_cut(&[7u8; 8], 1)
        }
        let mut vec = Vec::new();
        writes(&mut vec).unwrap();
        assert_eq!(vec.len(), 2 + 3 + 2 + 11 + 4 + 1);
        assert_eq!(&vec[..5], b"Abcde");
        for size in 0..40 {
            let mut buf = vec![0xeeu8; size];
            let mut out = SliceOutput::new(&mut buf);
            match writes(&mut out) {
                Ok(()) => {
                    assert!(size >= vec.len(), "{size}");
                    assert_eq!(out.written(), &vec[..]);
                }
                Err(Error::BufferTooSmall { capacity }) => {
                    assert_eq!(capacity as usize, size);
                    // "xyz" was written past the final length, then cut.
                    assert!(size < vec.len() + 3, "{size}");
                }
                Err(other) => panic!("{other:?}"),
            }
        }
    }
}
