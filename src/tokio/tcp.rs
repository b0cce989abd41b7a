//! Async TCP client with OSC 1.0 (length prefix) or OSC 1.1 (SLIP)
//! framing (python-osc's `AsyncTCPClient`).

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, ToSocketAddrs};
use tokio::time::timeout;

use crate::framing::{FrameDecoder, Framing, StreamDecoder, DEFAULT_MAX_FRAME};
use crate::transport::OutQueue;
use crate::{Packet, Result};

/// Size of the read buffer.
const CHUNK: usize = 64 * 1024;

/// An async TCP client sending and receiving framed OSC packets: the
/// blocking [`transport::TcpClient`](crate::transport::TcpClient)'s
/// methods, as futures.
///
/// `send*` methods write each packet at once. For throughput,
/// [`queue`](Self::queue) packets and [`flush`](Self::flush): one write
/// then carries many packets.
///
/// Queued packets are kept as the blocking client keeps them (one
/// mechanism serves both): `queue` returning `Ok` means the packet is
/// queued, an error that it is not; a failed or cancelled
/// [`flush`](Self::flush) keeps what was not written, the unwritten end of
/// a partly written frame included, and the next one sends it in order (so
/// when a `send*` fails or is cancelled in writing, its packet stays
/// queued: check [`queued`](Self::queued)). At most 64 KiB and one packet
/// wait: beyond that a new packet waits until they are written, and is
/// refused with the error if writing them fails. A peer that does not
/// read makes writes wait without end: bound them with
/// [`tokio::time::timeout`] (a `queue` or `send*` cut short before its
/// packet was queued has queued nothing).
///
/// Dropping the client cannot wait for a write, as the blocking client's
/// drop does: it writes what the socket takes at once without waiting
/// (`try_write`) and discards the rest, which may end the stream inside a
/// frame. Call [`close`](Self::close), or `flush`, to send everything and
/// see the errors.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> osc_serde::Result<()> {
/// use std::time::Duration;
/// use osc_serde::tokio::TcpClient;
/// use osc_serde::framing::Framing;
///
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let mut client = TcpClient::connect_with(listener.local_addr()?, Framing::Length).await?;
/// let mut peer = TcpClient::from_stream(listener.accept().await?.0, Framing::Length)?;
///
/// client.send_message("/gain", &0.25f32).await?;
/// let gain: f32 = peer.recv_as(Duration::from_secs(5)).await?.expect("a message");
/// assert_eq!(gain, 0.25);
/// client.close().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct TcpClient {
    stream: TcpStream,
    framing: Framing,
    decoder: FrameDecoder<Vec<u8>>,
    out: OutQueue,
    read_buf: Box<[u8]>,
    /// Bytes of `read_buf` not yet fed to the decoder.
    read_start: usize,
    read_end: usize,
}

impl TcpClient {
    /// Connects to `addr` with SLIP framing (OSC 1.1, the default).
    pub async fn connect(addr: impl ToSocketAddrs) -> Result<Self> {
        Self::connect_with(addr, Framing::Slip).await
    }

    /// Connects to `addr` with the given framing.
    pub async fn connect_with(addr: impl ToSocketAddrs, framing: Framing) -> Result<Self> {
        Self::from_stream(TcpStream::connect(addr).await?, framing)
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

    /// The underlying stream, for options this type does not wrap.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// Frames and sends an already encoded packet.
    pub async fn send_bytes(&mut self, packet: &[u8]) -> Result<()> {
        self.make_room().await?;
        self.out.push_bytes(self.framing, packet)?;
        self.flush().await
    }

    async fn send_encoded(
        &mut self,
        encode: impl FnOnce(&mut Vec<u8>) -> Result<()>,
    ) -> Result<()> {
        self.enqueue(encode).await?;
        self.flush().await
    }

    /// Queues the message encoding of `value` (see [`send`](Self::send))
    /// without writing it yet. Once 64 KiB are queued, the next call writes
    /// them first. `Ok` means the packet is queued, an error that it is
    /// not (it did not encode, or writing what was queued before failed);
    /// cancelled, it has queued nothing.
    pub async fn queue<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.enqueue(|out| crate::encode_into(out, value)).await
    }

    async fn enqueue(&mut self, encode: impl FnOnce(&mut Vec<u8>) -> Result<()>) -> Result<()> {
        self.make_room().await?;
        // No await from here on: a cancelled call has queued nothing.
        self.out.push(self.framing, encode)
    }

    /// Writes what is queued once it reaches 64 KiB, before more is
    /// queued: what is queued stays bounded even while writes fail or wait.
    async fn make_room(&mut self) -> Result<()> {
        if self.out.is_full() {
            self.flush().await?;
        }
        Ok(())
    }

    /// Writes everything queued. On error what was not written stays
    /// queued, whole frames and the unwritten end of a partly written one,
    /// so a later `flush` (or `send*`) sends it in order; likewise when the
    /// future is dropped before it completes (cancel safe: each write that
    /// completed is accounted for at once, and one cut short wrote
    /// nothing).
    pub async fn flush(&mut self) -> Result<()> {
        while !self.out.is_empty() {
            match self.stream.write(self.out.pending()).await? {
                0 => return Err(io::Error::from(io::ErrorKind::WriteZero).into()),
                n => self.out.consume(n),
            }
        }
        Ok(())
    }

    /// Bytes queued and not yet written.
    pub fn queued(&self) -> usize {
        self.out.len()
    }

    /// Waits up to `wait` for a whole frame and returns it; `None` when the
    /// time ran out (a partial frame is kept for the next call). A peer
    /// that closed the connection is an [`io::ErrorKind::UnexpectedEof`]
    /// error.
    pub async fn recv_bytes(&mut self, wait: Duration) -> Result<Option<&[u8]>> {
        match timeout(wait, self.fill_frame()).await {
            Ok(Ok(())) => Ok(Some(self.decoder.frame())),
            Ok(Err(e)) => Err(e),
            Err(_elapsed) => Ok(None),
        }
    }

    /// Reads until the decoder holds a whole frame. Cancel safe: what was
    /// read stays in the buffer or the decoder.
    async fn fill_frame(&mut self) -> Result<()> {
        loop {
            let mut input = &self.read_buf[self.read_start..self.read_end];
            let complete = self.decoder.feed(&mut input);
            // Also after an error: what the decoder consumed is gone, and
            // decoding it again would repeat the error for ever.
            self.read_start = self.read_end - input.len();
            if complete? {
                return Ok(());
            }
            match self.stream.read(&mut self.read_buf).await? {
                0 => return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into()),
                n => {
                    self.read_start = 0;
                    self.read_end = n;
                }
            }
        }
    }

    /// Waits up to `wait` for a packet; `None` when the time ran out.
    pub async fn recv(&mut self, wait: Duration) -> Result<Option<Packet>> {
        match self.recv_bytes(wait).await? {
            Some(frame) => Ok(Some(Packet::from_bytes(frame)?)),
            None => Ok(None),
        }
    }

    /// Waits up to `wait` for a message and decodes it into `T`
    /// ([`from_slice`](crate::from_slice): `&str` and `&[u8]` fields borrow
    /// from the client's buffer); `None` when the time ran out.
    pub async fn recv_as<'a, T: serde::Deserialize<'a>>(
        &'a mut self,
        wait: Duration,
    ) -> Result<Option<T>> {
        match self.recv_bytes(wait).await? {
            Some(frame) => Ok(Some(crate::from_slice(frame)?)),
            None => Ok(None),
        }
    }

    /// Flushes queued packets and closes the connection.
    pub async fn close(mut self) -> Result<()> {
        let flushed = self.flush().await;
        // Reported here: dropping `self` must not write it.
        self.out.clear();
        flushed?;
        match self.stream.shutdown().await {
            Err(e) if e.kind() != io::ErrorKind::NotConnected => Err(e.into()),
            _ => Ok(()),
        }
    }
}

impl Drop for TcpClient {
    /// Writes what the socket takes at once, without waiting (a drop
    /// cannot await); the rest is discarded.
    fn drop(&mut self) {
        while !self.out.is_empty() {
            match self.stream.try_write(self.out.pending()) {
                Ok(0) | Err(_) => break,
                Ok(n) => self.out.consume(n),
            }
        }
    }
}

super::async_send_methods!(TcpClient);
