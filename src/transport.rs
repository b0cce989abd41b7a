//! Transports: blocking UDP and TCP clients and a mio event-loop server
//! that hands packets to the [`Dispatcher`](crate::Dispatcher) (the
//! `transport` feature, on by default).
//!
//! The transports move frames and never parse OSC themselves: decoding and
//! routing are the dispatcher's job, delimiting packets on a stream the
//! [`framing`](crate::framing) module's.
//!
//! A server with a dispatcher on UDP and TCP, and a client of each getting
//! a reply (loopback, ephemeral ports):
//!
//! ```
//! use std::time::Duration;
//! use osc_serde::framing::Framing;
//! use osc_serde::transport::{Server, TcpClient, UdpClient};
//! use osc_serde::{Dispatcher, Message, Packet};
//!
//! let mut dispatcher = Dispatcher::new();
//! // A handler's return value goes back to the sender.
//! dispatcher.map("/add", |(a, b): (i32, i32)| Message::new("/sum").arg(a + b))?;
//!
//! let mut server = Server::new(dispatcher)?;
//! let udp = server.bind_udp("127.0.0.1:0")?;
//! let tcp = server.listen_tcp("127.0.0.1:0")?; // either framing, detected
//! let handle = server.spawn()?;
//! let wait = Duration::from_secs(5);
//!
//! let mut udp_client = UdpClient::new(udp)?;
//! udp_client.send_message("/add", &(2, 3))?;
//! let (reply, from) = udp_client.recv_from(wait)?.expect("a reply");
//! assert_eq!(reply, Packet::Message(Message::new("/sum").arg(5)));
//! assert_eq!(from, udp);
//!
//! let mut tcp_client = TcpClient::connect_with(tcp, Framing::Length)?;
//! tcp_client.send_message("/add", &(40, 2))?;
//! let (sum,): (i32,) = tcp_client.recv_as(wait)?.expect("a reply");
//! assert_eq!(sum, 42);
//!
//! handle.stop()?;
//! assert_eq!(handle.join()?.stats().packets, 2);
//! # Ok::<(), osc_serde::Error>(())
//! ```

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

mod out_queue;
mod server;
mod tcp;
mod udp;

pub(crate) use out_queue::OutQueue;
pub use server::{Limits, PacketSink, Server, ServerHandle, Stats, Stopper};
pub use tcp::TcpClient;
pub use udp::{UdpClient, MAX_DATAGRAM};

/// The first address `addr` resolves to (the clients and the server take
/// anything `ToSocketAddrs`).
pub(crate) fn resolve(addr: impl ToSocketAddrs) -> crate::Result<SocketAddr> {
    addr.to_socket_addrs()?
        .next()
        .ok_or(crate::Error::AddressResolvedToNothing)
}

/// Whether a blocking read with a timeout ran out of time (the kind differs
/// between platforms).
pub(crate) fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// The target and socket-option methods both UDP clients (blocking and
/// async) share: their sockets have the same synchronous setters. The
/// client has `target: SocketAddr` and `socket` fields.
macro_rules! udp_target_and_options {
    ($client:ty) => {
        impl $client {
            /// Where packets go.
            pub fn target(&self) -> std::net::SocketAddr {
                self.target
            }

            /// Sends later packets to `target`.
            pub fn set_target(&mut self, target: std::net::SocketAddr) {
                self.target = target;
            }

            /// The local address packets are sent from and replies arrive at.
            pub fn local_addr(&self) -> crate::Result<std::net::SocketAddr> {
                Ok(self.socket.local_addr()?)
            }

            /// Allows sending to a broadcast address (off by default, as in the
            /// socket API).
            pub fn set_broadcast(&self, on: bool) -> crate::Result<()> {
                Ok(self.socket.set_broadcast(on)?)
            }

            /// Sets the TTL of IPv4 multicast packets (1 by default: the local
            /// network). To send to a group, make the group address the target.
            pub fn set_multicast_ttl_v4(&self, ttl: u32) -> crate::Result<()> {
                Ok(self.socket.set_multicast_ttl_v4(ttl)?)
            }

            /// Whether IPv4 multicast packets loop back to this host.
            pub fn set_multicast_loop_v4(&self, on: bool) -> crate::Result<()> {
                Ok(self.socket.set_multicast_loop_v4(on)?)
            }
        }
    };
}
pub(crate) use udp_target_and_options;

/// The send methods both clients share; each client provides
/// `send_encoded(&mut self, impl FnOnce(&mut Vec<u8>) -> Result<()>)`.
macro_rules! send_methods {
    ($client:ty) => {
        impl $client {
            /// Sends a value named after an address (a struct renamed to an
            /// address, an enum of such variants, or a [`Message`](crate::Message))
            /// as a message.
            pub fn send<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> crate::Result<()> {
                self.send_encoded(|out| crate::encode_into(out, value))
            }

            /// Sends a message to `address` whose arguments are `args`: one
            /// value is one argument, a sequence or tuple gives one argument
            /// per item, `()` none (python-osc's `send_message`).
            ///
            /// Floats: a Rust float literal is an `f64` and goes out as `d`;
            /// python-osc sends `f`, and Pure Data, TouchOSC, VRChat and most
            /// receivers expect `f`. Send `f` with an `f32`:
            /// `send_message("/filter", &0.5f32)`.
            pub fn send_message<T: serde::Serialize + ?Sized>(
                &mut self,
                address: &str,
                args: &T,
            ) -> crate::Result<()> {
                self.send_encoded(|out| crate::encode_into_with_address(out, address, args))
            }

            /// Sends a packet (message or bundle).
            pub fn send_packet(&mut self, packet: &crate::Packet) -> crate::Result<()> {
                self.send_encoded(|out| packet.encode_into(out))
            }

            /// Sends a bundle.
            pub fn send_bundle(&mut self, bundle: &crate::Bundle) -> crate::Result<()> {
                self.send_encoded(|out| bundle.encode_into(out))
            }
        }
    };
}
use send_methods;
