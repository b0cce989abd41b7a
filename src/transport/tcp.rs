//! Blocking TCP client with OSC 1.0 (length prefix) or OSC 1.1 (SLIP)
//! framing (python-osc's `TCPClient`).

use std::io::{self, Read};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use super::is_timeout;
use super::OutQueue;
use crate::framing::{FrameDecoder, Framing, StreamDecoder, DEFAULT_MAX_FRAME};
use crate::{Packet, Result};

/// Size of the read buffer.
const CHUNK: usize = 64 * 1024;

/// A TCP client sending and receiving framed OSC packets.
///
/// `send*` methods write each packet at once. For throughput,
/// [`queue`](Self::queue) packets and [`flush`](Self::flush): one system
/// call then carries many packets.
///
/// Queued packets are never dropped silently, as with `std::io::BufWriter`:
/// a failed [`flush`](Self::flush) keeps what was not written for the next
/// one (so when a `send*` fails in writing, its packet stays queued, and
/// `flush` retries it; check [`queued`](Self::queued)), and dropping the
/// client flushes what is left, ignoring errors there (call
/// [`close`](Self::close) or `flush` to see them).
/// [`set_write_timeout`](Self::set_write_timeout) bounds how long a write
/// may block on a peer that does not read. At most 64 KiB and one packet
/// wait: beyond that a new packet is refused with the error of writing the
/// others.
///
/// ```
/// use std::net::TcpListener;
/// use std::time::Duration;
/// use osc_serde::framing::Framing;
/// use osc_serde::transport::TcpClient;
///
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let mut client = TcpClient::connect(listener.local_addr()?)?; // SLIP
/// let mut peer = TcpClient::from_stream(listener.accept()?.0, Framing::Slip)?;
///
/// client.send_message("/ping", &())?;
/// let packet = peer.recv(Duration::from_secs(5))?.expect("a packet");
/// assert_eq!(packet.to_bytes()?, b"/ping\0\0\0,\0\0\0");
///
/// // A reply decoded into a type, its `&str` borrowed from the client.
/// peer.send_message("/pong", &(1, "ok"))?;
/// let (n, text): (i32, &str) = client.recv_as(Duration::from_secs(5))?.expect("a reply");
/// assert_eq!((n, text), (1, "ok"));
/// client.close()?;
/// # Ok::<(), osc_serde::Error>(())
/// ```
#[derive(Debug)]
pub struct TcpClient {
    stream: TcpStream,
    framing: Framing,
    decoder: FrameDecoder<Vec<u8>>,
    out: OutQueue,
    read_buf: Box<[u8]>,
    read_start: usize,
    read_end: usize,
}

impl TcpClient {
    /// Connects to `addr` with SLIP framing (OSC 1.1, the default).
    pub fn connect(addr: impl ToSocketAddrs) -> Result<Self> {
        Self::connect_with(addr, Framing::Slip)
    }

    /// Connects to `addr` with the given framing.
    pub fn connect_with(addr: impl ToSocketAddrs, framing: Framing) -> Result<Self> {
        Self::from_stream(TcpStream::connect(addr)?, framing)
    }

    /// Wraps a connected stream.
    pub fn from_stream(stream: TcpStream, framing: Framing) -> Result<Self> {
        stream.set_nodelay(true)?;
        Ok(TcpClient {
            stream,
            framing,
            decoder: framing.decoder(DEFAULT_MAX_FRAME),
            out: OutQueue::default(),
            read_buf: vec![0; CHUNK].into_boxed_slice(),
            read_start: 0,
            read_end: 0,
        })
    }

    /// Refuses received frames over `max` bytes (64 KiB by default).
    pub fn set_max_frame(&mut self, max: usize) {
        self.decoder = self.framing.decoder(max);
    }

    /// The framing in use.
    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// The local address of the connection.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        Ok(self.stream.local_addr()?)
    }

    /// The address of the peer.
    pub fn peer_addr(&self) -> Result<SocketAddr> {
        Ok(self.stream.peer_addr()?)
    }

    /// Frames and sends an already encoded packet.
    pub fn send_bytes(&mut self, packet: &[u8]) -> Result<()> {
        self.make_room()?;
        self.out.push_bytes(self.framing, packet)?;
        self.flush()
    }

    fn send_encoded(&mut self, encode: impl FnOnce(&mut Vec<u8>) -> Result<()>) -> Result<()> {
        self.enqueue(encode)?;
        self.flush()
    }

    /// Queues the message encoding of `value` (see [`send`](Self::send))
    /// without writing it yet. Once 64 KiB are queued, the next call writes
    /// them first. As with `std::io::BufWriter::write`, `Ok` means the
    /// packet is queued and an error that it is not (it did not encode, or
    /// writing what was queued before failed).
    pub fn queue<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.enqueue(|out| crate::encode_into(out, value))
    }

    fn enqueue(&mut self, encode: impl FnOnce(&mut Vec<u8>) -> Result<()>) -> Result<()> {
        self.make_room()?;
        self.out.push(self.framing, encode)
    }

    /// Writes what is queued once it reaches 64 KiB, before more is
    /// queued: what is queued stays bounded even while writes fail (the
    /// error then refuses the new packet).
    fn make_room(&mut self) -> Result<()> {
        if self.out.is_full() {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes everything queued. On error what was not written stays
    /// queued, whole frames and the unwritten end of a partly written one,
    /// so a later `flush` (or a later `send*`) sends it in order.
    pub fn flush(&mut self) -> Result<()> {
        self.out.write_to(&mut self.stream)
    }

    /// Bytes queued and not yet written.
    pub fn queued(&self) -> usize {
        self.out.len()
    }

    /// Bounds how long a write may block (`None`, the default: without
    /// end). A [`flush`](Self::flush) or `send*` that runs out of time
    /// fails with an [`io::ErrorKind::WouldBlock`] or `TimedOut` error and
    /// keeps the unwritten bytes queued.
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> Result<()> {
        Ok(self.stream.set_write_timeout(timeout)?)
    }

    /// The underlying stream, for options this type does not wrap.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// Waits up to `timeout` for a whole frame and returns it; `None` when
    /// the time ran out (a partial frame is kept for the next call).
    /// A peer that closed the connection is an [`io::ErrorKind::UnexpectedEof`]
    /// error. A timeout too long to add to the clock (`Duration::MAX`)
    /// waits without end.
    pub fn recv_bytes(&mut self, timeout: Duration) -> Result<Option<&[u8]>> {
        // `Instant + Duration` panics on overflow: no deadline instead.
        let deadline = Instant::now().checked_add(timeout);
        let mut tried = false;
        loop {
            let mut input = &self.read_buf[self.read_start..self.read_end];
            let complete = self.decoder.feed(&mut input);
            // Also after an error: what the decoder consumed is gone, and
            // decoding it again would repeat the error for ever.
            self.read_start = self.read_end - input.len();
            if complete? {
                return Ok(Some(self.decoder.frame()));
            }
            let now = Instant::now();
            // Even a zero timeout reads what the kernel already holds.
            if tried && deadline.is_some_and(|deadline| now >= deadline) {
                return Ok(None);
            }
            tried = true;
            // A zero timeout would mean "block forever" to the socket API.
            let wait = deadline.map(|deadline| {
                deadline
                    .saturating_duration_since(now)
                    .max(Duration::from_micros(1))
            });
            self.stream.set_read_timeout(wait)?;
            match self.stream.read(&mut self.read_buf) {
                Ok(0) => return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into()),
                Ok(n) => {
                    self.read_start = 0;
                    self.read_end = n;
                }
                Err(e) if is_timeout(&e) => return Ok(None),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Waits up to `timeout` for a packet; `None` when the time ran out.
    pub fn recv(&mut self, timeout: Duration) -> Result<Option<Packet>> {
        match self.recv_bytes(timeout)? {
            Some(frame) => Ok(Some(Packet::from_bytes(frame)?)),
            None => Ok(None),
        }
    }

    /// Waits up to `timeout` for a message and decodes it into `T` (see
    /// [`from_slice`](crate::from_slice)), which may borrow `&str` and
    /// `&[u8]` fields from the client's buffer; `None` when the time ran
    /// out. A packet that does not decode into `T` (a bundle, a type
    /// mismatch) is consumed and reported as the error.
    pub fn recv_as<'a, T: serde::Deserialize<'a>>(
        &'a mut self,
        timeout: Duration,
    ) -> Result<Option<T>> {
        self.recv_bytes(timeout)?
            .map(|bytes| crate::MessageRef::from_bytes(bytes).and_then(|m| m.deserialize()))
            .transpose()
    }

    /// Flushes queued packets and closes the connection.
    pub fn close(mut self) -> Result<()> {
        let flushed = self.flush();
        // Reported here: dropping `self` must not retry it.
        self.out.clear();
        flushed?;
        match self.stream.shutdown(Shutdown::Both) {
            Err(e) if e.kind() != io::ErrorKind::NotConnected => Err(e.into()),
            _ => Ok(()),
        }
    }
}

impl Drop for TcpClient {
    /// Sends what is still queued, as `BufWriter` does; errors cannot be
    /// reported here.
    fn drop(&mut self) {
        if !self.out.is_empty() {
            let _ = self.flush();
        }
    }
}

super::send_methods!(TcpClient);
