//! The async side on tokio (cargo feature `tokio`, off by default): a
//! tokio-util codec, async UDP and TCP clients, and an async server that
//! serves the same [`Dispatcher`](crate::Dispatcher).
//!
//! Everything here stands on the same pieces as the mio transports: the
//! stream framing and its one decoder ([`crate::framing::FrameDecoder`]),
//! the serde codec, the dispatcher, and the server's
//! [`Limits`](crate::transport::Limits) and [`Stats`](crate::transport::Stats).
//! Nothing blocks the runtime: sockets are tokio's, timeouts are tokio
//! timers, and future-timetagged bundles wait on a tokio timer.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> osc_serde::Result<()> {
//! use std::time::Duration;
//! use osc_serde::tokio::{Server, UdpClient};
//! use osc_serde::{dispatch::Reply, Dispatcher, Message, Packet};
//!
//! let mut dispatcher = Dispatcher::new();
//! dispatcher.map("/ping", |n: i32| Reply::to("/pong", n))?;
//! let mut server = Server::new(dispatcher);
//! let addr = server.bind_udp("127.0.0.1:0").await?;
//! let handle = server.spawn();
//!
//! let mut client = UdpClient::new(addr).await?;
//! client.send_message("/ping", &7).await?;
//! let (reply, from) = client.recv_from(Duration::from_secs(5)).await?.expect("a reply");
//! assert_eq!((reply, from), (Packet::Message(Message::new("/pong").arg(7)), addr));
//!
//! handle.stop();
//! let dispatcher = handle.join().await?;
//! # let _ = dispatcher;
//! # Ok(())
//! # }
//! ```

mod codec;
mod server;
mod tcp;
mod udp;

pub use codec::{FrameCodec, OscCodec};
pub use server::{Server, ServerHandle, Stopper, FLUSH_ON_CLOSE};
pub use tcp::TcpClient;
pub use udp::UdpClient;

use std::net::SocketAddr;

/// The first address `addr` resolves to (without blocking the runtime).
pub(crate) async fn resolve(addr: impl ::tokio::net::ToSocketAddrs) -> crate::Result<SocketAddr> {
    ::tokio::net::lookup_host(addr)
        .await?
        .next()
        .ok_or(crate::Error::AddressResolvedToNothing)
}

/// The send methods both async clients share; each client provides
/// `async fn send_encoded(&mut self, impl FnOnce(&mut Vec<u8>) -> Result<()>)`.
macro_rules! async_send_methods {
    ($client:ty) => {
        impl $client {
            /// Sends a value named after an address (a struct renamed to an
            /// address, an enum of such variants, or a [`Message`](crate::Message))
            /// as a message.
            pub async fn send<T: serde::Serialize + ?Sized>(
                &mut self,
                value: &T,
            ) -> crate::Result<()> {
                self.send_encoded(|out| crate::encode_into(out, value))
                    .await
            }

            /// Sends a message to `address` whose arguments are `args`: one
            /// value is one argument, a sequence or tuple gives one argument
            /// per item, `()` none (python-osc's `send_message`).
            pub async fn send_message<T: serde::Serialize + ?Sized>(
                &mut self,
                address: &str,
                args: &T,
            ) -> crate::Result<()> {
                self.send_encoded(|out| crate::encode_into_with_address(out, address, args))
                    .await
            }

            /// Sends a packet (message or bundle).
            pub async fn send_packet(&mut self, packet: &crate::Packet) -> crate::Result<()> {
                self.send_encoded(|out| packet.encode_into(out)).await
            }

            /// Sends a bundle.
            pub async fn send_bundle(&mut self, bundle: &crate::Bundle) -> crate::Result<()> {
                self.send_encoded(|out| bundle.encode_into(out)).await
            }
        }
    };
}
use async_send_methods;
