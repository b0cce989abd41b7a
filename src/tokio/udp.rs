//! Async UDP client: sends packets to one target and receives replies on
//! the port it sends from (python-osc's `AsyncUDPClient`, both ways).

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::net::{ToSocketAddrs, UdpSocket};
use tokio::time::timeout;

use super::resolve;
use crate::transport::MAX_DATAGRAM;
use crate::{Packet, Result};

/// An async UDP client sending OSC packets to one target: the blocking
/// [`transport::UdpClient`](crate::transport::UdpClient)'s methods, as
/// futures.
///
/// It binds an ephemeral port of the target's family; the server sees that
/// port as the source, and its replies come back to it, read with
/// [`recv_from`](Self::recv_from) or, decoded into a type,
/// [`recv_as`](Self::recv_as).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> osc_serde::Result<()> {
/// use std::time::Duration;
/// use osc_serde::tokio::UdpClient;
///
/// // Two clients aimed at each other stand in for a client and a server.
/// let mut a = UdpClient::bind("127.0.0.1:0", "127.0.0.1:9").await?;
/// let mut b = UdpClient::bind("127.0.0.1:0", a.local_addr()?).await?;
/// a.set_target(b.local_addr()?);
///
/// b.send_message("/pair", &(1, "one")).await?;
/// let (n, word): (i32, &str) = a.recv_as(Duration::from_secs(5)).await?.expect("a datagram");
/// assert_eq!((n, word), (1, "one"));
/// b.send_message("/again", &()).await?;
/// let (_packet, from) = a.recv_from(Duration::from_secs(5)).await?.expect("a datagram");
/// assert_eq!(from, b.local_addr()?);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct UdpClient {
    socket: UdpSocket,
    target: SocketAddr,
    buf: Vec<u8>,
    recv_buf: Box<[u8]>,
}

impl UdpClient {
    /// A client sending to `target` from an ephemeral port on the
    /// unspecified address of the target's family.
    pub async fn new(target: impl ToSocketAddrs) -> Result<Self> {
        let target = resolve(target).await?;
        let local: SocketAddr = match target {
            SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
            SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
        };
        Self::bind(local, target).await
    }

    /// A client sending to `target` from the given local address.
    pub async fn bind(local: impl ToSocketAddrs, target: impl ToSocketAddrs) -> Result<Self> {
        let socket = UdpSocket::bind(local).await?;
        Ok(Self::from_socket(socket, resolve(target).await?))
    }

    /// Wraps a bound socket.
    pub fn from_socket(socket: UdpSocket, target: SocketAddr) -> Self {
        UdpClient {
            socket,
            target,
            buf: Vec::with_capacity(256),
            recv_buf: vec![0; MAX_DATAGRAM].into_boxed_slice(),
        }
    }

    /// The underlying socket, for options this type does not wrap.
    pub fn socket(&self) -> &UdpSocket {
        &self.socket
    }

    /// Sends an already encoded packet as one datagram.
    pub async fn send_bytes(&mut self, packet: &[u8]) -> Result<()> {
        self.socket.send_to(packet, self.target).await?;
        Ok(())
    }

    /// Sends an already encoded packet to `to` instead of the target (any
    /// address, from the same port).
    pub async fn send_bytes_to(&self, to: impl ToSocketAddrs, packet: &[u8]) -> Result<()> {
        self.socket.send_to(packet, resolve(to).await?).await?;
        Ok(())
    }

    /// Encodes a packet with `encode` into the reused buffer and sends it.
    async fn send_encoded(
        &mut self,
        encode: impl FnOnce(&mut Vec<u8>) -> Result<()>,
    ) -> Result<()> {
        self.buf.clear();
        encode(&mut self.buf)?;
        self.socket.send_to(&self.buf, self.target).await?;
        Ok(())
    }

    /// Waits up to `timeout` for a datagram and returns its bytes and
    /// source; `None` when the time ran out.
    pub async fn recv_bytes_from(&mut self, wait: Duration) -> Result<Option<(&[u8], SocketAddr)>> {
        match timeout(wait, self.socket.recv_from(&mut self.recv_buf)).await {
            Ok(Ok((n, from))) => Ok(Some((&self.recv_buf[..n], from))),
            Ok(Err(e)) => Err(e.into()),
            Err(_elapsed) => Ok(None),
        }
    }

    /// Waits up to `timeout` for a datagram and decodes it as a packet;
    /// `None` when the time ran out.
    pub async fn recv_from(&mut self, wait: Duration) -> Result<Option<(Packet, SocketAddr)>> {
        match self.recv_bytes_from(wait).await? {
            Some((bytes, from)) => Ok(Some((Packet::from_bytes(bytes)?, from))),
            None => Ok(None),
        }
    }

    /// Waits up to `timeout` for a datagram holding a message and decodes
    /// it into `T` ([`from_slice`](crate::from_slice): `&str` and `&[u8]`
    /// fields borrow from the client's buffer); `None` when the time ran
    /// out. The sender is not checked (use
    /// [`recv_bytes_from`](Self::recv_bytes_from) and `from_slice` to see
    /// it).
    pub async fn recv_as<'a, T: serde::Deserialize<'a>>(
        &'a mut self,
        wait: Duration,
    ) -> Result<Option<T>> {
        match self.recv_bytes_from(wait).await? {
            Some((bytes, _)) => Ok(Some(crate::from_slice(bytes)?)),
            None => Ok(None),
        }
    }
}

super::async_send_methods!(UdpClient);
crate::transport::udp_target_and_options!(UdpClient);
