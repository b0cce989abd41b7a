//! Blocking UDP client: sends packets to one target and receives replies on
//! the port it sends from (python-osc's `SimpleUDPClient`, both ways).

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::Duration;

use super::{is_timeout, resolve};
use crate::{Packet, Result};

/// Largest UDP payload: 65,535 minus the IPv4 and UDP headers.
pub const MAX_DATAGRAM: usize = 65_507;

/// A UDP client sending OSC packets to one target.
///
/// It binds an ephemeral port of the target's family (IPv4 or IPv6); the
/// server sees that port as the source, and its replies come back to it,
/// read with [`recv_from`](Self::recv_from) (which, like
/// `std::net::UdpSocket::recv_from`, also gives the sender) or decoded
/// into a type with [`recv_as`](Self::recv_as).
///
/// ```
/// use std::time::Duration;
/// use osc_serde::transport::UdpClient;
///
/// // Two clients aimed at each other stand in for a client and a server.
/// let mut a = UdpClient::bind("127.0.0.1:0", "127.0.0.1:9")?;
/// let mut b = UdpClient::bind("127.0.0.1:0", a.local_addr()?)?;
/// a.set_target(b.local_addr()?);
///
/// b.send_message("/volume", &0.5f32)?;
/// let (packet, from) = a.recv_from(Duration::from_secs(5))?.expect("a datagram");
/// assert_eq!(from, b.local_addr()?);
/// assert_eq!(packet.to_bytes()?, b"/volume\0,f\0\0\x3f\0\0\0");
///
/// b.send_message("/volume", &0.25f32)?;
/// let volume: f32 = a.recv_as(Duration::from_secs(5))?.expect("a datagram");
/// assert_eq!(volume, 0.25);
/// # Ok::<(), osc_serde::Error>(())
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
    pub fn new(target: impl ToSocketAddrs) -> Result<Self> {
        let target = resolve(target)?;
        let local: SocketAddr = match target {
            SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
            SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
        };
        Self::bind(local, target)
    }

    /// A client sending to `target` from the given local address.
    pub fn bind(local: impl ToSocketAddrs, target: impl ToSocketAddrs) -> Result<Self> {
        Ok(UdpClient {
            socket: UdpSocket::bind(local)?,
            target: resolve(target)?,
            buf: Vec::with_capacity(256),
            recv_buf: vec![0; MAX_DATAGRAM].into_boxed_slice(),
        })
    }

    /// The underlying socket, for options this type does not wrap.
    pub fn socket(&self) -> &UdpSocket {
        &self.socket
    }

    /// Sends an already encoded packet as one datagram.
    pub fn send_bytes(&mut self, packet: &[u8]) -> Result<()> {
        self.socket.send_to(packet, self.target)?;
        Ok(())
    }

    /// Sends an already encoded packet to `to` instead of the target (any
    /// address, from the same port).
    pub fn send_bytes_to(&self, to: impl ToSocketAddrs, packet: &[u8]) -> Result<()> {
        self.socket.send_to(packet, resolve(to)?)?;
        Ok(())
    }

    /// Encodes a packet with `encode` into the reused buffer and sends it.
    fn send_encoded(&mut self, encode: impl FnOnce(&mut Vec<u8>) -> Result<()>) -> Result<()> {
        self.buf.clear();
        encode(&mut self.buf)?;
        self.socket.send_to(&self.buf, self.target)?;
        Ok(())
    }

    /// Waits up to `timeout` for a datagram and returns its bytes and
    /// source; `None` when the time ran out.
    pub fn recv_bytes_from(&mut self, timeout: Duration) -> Result<Option<(&[u8], SocketAddr)>> {
        // A zero timeout would mean "block forever" to the socket API.
        let timeout = timeout.max(Duration::from_micros(1));
        self.socket.set_read_timeout(Some(timeout))?;
        match self.socket.recv_from(&mut self.recv_buf) {
            Ok((n, from)) => Ok(Some((&self.recv_buf[..n], from))),
            Err(e) if is_timeout(&e) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Waits up to `timeout` for a datagram and returns it decoded as a
    /// packet, and its source; `None` when the time ran out.
    pub fn recv_from(&mut self, timeout: Duration) -> Result<Option<(Packet, SocketAddr)>> {
        match self.recv_bytes_from(timeout)? {
            Some((bytes, from)) => Ok(Some((Packet::from_bytes(bytes)?, from))),
            None => Ok(None),
        }
    }

    /// Waits up to `timeout` for a datagram holding a message and decodes
    /// it into `T` (see [`from_slice`](crate::from_slice)), which may
    /// borrow `&str` and `&[u8]` fields from the client's buffer; `None`
    /// when the time ran out. The sender is not checked (use
    /// [`recv_bytes_from`](Self::recv_bytes_from) and `from_slice` to see
    /// it). A datagram that does not decode into `T` (a bundle, a type
    /// mismatch) is consumed and reported as the error.
    pub fn recv_as<'a, T: serde::Deserialize<'a>>(
        &'a mut self,
        timeout: Duration,
    ) -> Result<Option<T>> {
        self.recv_bytes_from(timeout)?
            .map(|(bytes, _)| crate::MessageRef::from_bytes(bytes).and_then(|m| m.deserialize()))
            .transpose()
    }
}

super::send_methods!(UdpClient);
super::udp_target_and_options!(UdpClient);
