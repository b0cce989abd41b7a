//! The bounded queue of framed packets waiting to be written on a stream:
//! one mechanism for the blocking and the async TCP clients.
//!
//! The clients keep one contract with it, as `std::io::BufWriter` does:
//! a packet is queued whole or not at all; what a write did not take stays
//! queued, the unwritten end of a partly written frame included, so the
//! stream never skips or repeats a byte; and a client writes what is
//! queued before queuing more once [`OutQueue::LIMIT`] bytes wait, so at
//! most that and one packet are queued while writes fail or wait.

use std::io::{self, Write};

use crate::framing::Framing;
use crate::Result;

/// Framed packets not yet written, in order.
#[derive(Debug, Default)]
pub(crate) struct OutQueue {
    /// Frames; `buf[written..]` is what waits.
    buf: Vec<u8>,
    /// Bytes at the front of `buf` already written (dropped lazily, so
    /// that a write taking a little at a time costs no copying).
    written: usize,
    /// Where SLIP framing encodes a packet before escaping it.
    scratch: Vec<u8>,
}

impl OutQueue {
    /// Waiting bytes from which a client writes before queuing more.
    pub(crate) const LIMIT: usize = 64 * 1024;

    /// True once a client must write (or fail to) before queuing more.
    pub(crate) fn is_full(&self) -> bool {
        self.len() >= Self::LIMIT
    }

    /// Appends the frame of the packet `encode` writes; on error nothing
    /// is queued. The caller has made room (see [`is_full`](Self::is_full)).
    pub(crate) fn push(
        &mut self,
        framing: Framing,
        encode: impl FnOnce(&mut Vec<u8>) -> Result<()>,
    ) -> Result<()> {
        self.compact();
        framing.encode_with(&mut self.buf, &mut self.scratch, encode)
    }

    /// Appends the frame of an encoded packet; on error nothing is queued.
    pub(crate) fn push_bytes(&mut self, framing: Framing, packet: &[u8]) -> Result<()> {
        self.compact();
        framing.encode(packet, &mut self.buf)
    }

    fn compact(&mut self) {
        if self.written > 0 {
            self.buf.drain(..self.written);
            self.written = 0;
        }
    }

    /// The bytes waiting, first to write first.
    pub(crate) fn pending(&self) -> &[u8] {
        &self.buf[self.written..]
    }

    /// Marks the first `n` pending bytes written.
    pub(crate) fn consume(&mut self, n: usize) {
        self.written += n;
        if self.written >= self.buf.len() {
            self.clear();
        }
    }

    /// Bytes waiting.
    pub(crate) fn len(&self) -> usize {
        self.buf.len() - self.written
    }

    /// True when nothing waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets everything waiting.
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.written = 0;
    }

    /// Writes everything waiting to a blocking writer; on error what was
    /// not written stays queued.
    pub(crate) fn write_to(&mut self, writer: &mut impl Write) -> Result<()> {
        while !self.is_empty() {
            match writer.write(self.pending()) {
                Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero).into()),
                Ok(n) => self.consume(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer taking at most `take` bytes a call, then failing.
    struct Stingy {
        written: Vec<u8>,
        take: usize,
        calls_left: usize,
    }

    impl Write for Stingy {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.calls_left == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            self.calls_left -= 1;
            let n = buf.len().min(self.take);
            self.written.extend_from_slice(&buf[..n]);
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failed_write_keeps_the_unwritten_end_of_a_frame_in_order() {
        let mut queue = OutQueue::default();
        queue.push_bytes(Framing::Length, b"/a\0\0,\0\0\0").unwrap();
        queue.push_bytes(Framing::Length, b"/b\0\0,\0\0\0").unwrap();
        let mut all = queue.pending().to_vec();
        assert_eq!(queue.len(), 24);

        let mut writer = Stingy {
            written: Vec::new(),
            take: 5,
            calls_left: 3,
        };
        let error = queue.write_to(&mut writer).unwrap_err();
        assert!(matches!(&error, crate::Error::Io(e) if e.kind() == io::ErrorKind::WouldBlock));
        assert_eq!(queue.len(), 9);
        assert_eq!(queue.pending(), &all[15..]);

        // A packet queued now follows the unwritten end.
        queue.push_bytes(Framing::Length, b"/c\0\0,\0\0\0").unwrap();
        Framing::Length.encode(b"/c\0\0,\0\0\0", &mut all).unwrap();
        writer.calls_left = usize::MAX;
        queue.write_to(&mut writer).unwrap();
        assert_eq!(writer.written, all);
        assert_eq!(queue.len(), 0);
    }

    #[test]
    fn a_packet_that_does_not_encode_is_not_queued() {
        let mut queue = OutQueue::default();
        queue.push_bytes(Framing::Slip, b"/a\0\0,\0\0\0").unwrap();
        let before = queue.pending().to_vec();
        for framing in [Framing::Length, Framing::Slip] {
            let error = queue
                .push(framing, |out| {
                    out.extend_from_slice(b"/half");
                    Err(crate::Error::NoAddress)
                })
                .unwrap_err();
            assert!(matches!(error, crate::Error::NoAddress));
            assert_eq!(queue.pending(), before);
        }
    }

    #[test]
    fn is_full_from_the_limit_on() {
        let mut queue = OutQueue::default();
        let packet = vec![0; OutQueue::LIMIT - 4];
        queue.push_bytes(Framing::Length, &packet[..8]).unwrap();
        assert!(!queue.is_full());
        queue.clear();
        queue.push_bytes(Framing::Length, &packet).unwrap();
        assert_eq!(queue.len(), OutQueue::LIMIT);
        assert!(queue.is_full());
        queue.consume(1);
        assert!(!queue.is_full());
    }
}
