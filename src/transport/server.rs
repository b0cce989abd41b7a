//! The event-loop server: one `mio::Poll` serving any mix of UDP sockets
//! and TCP listeners with their connections, handing every packet to a
//! [`PacketSink`] — the [`Dispatcher`], usually.
//!
//! The server moves frames and never parses OSC: it reads datagrams and
//! frames, hands each to the sink ([`Dispatcher::dispatch`]) with an
//! [`Origin`](crate::Origin) naming the socket or connection, and sends the replies back —
//! a datagram from the same bound socket to the source address for UDP, a
//! frame on the same connection for TCP.
//!
//! # Ordering
//!
//! Handlers run on the loop thread, one at a time: packets of one socket or
//! one connection are dispatched in the order they arrived, and replies
//! leave in the order the handlers made them. A slow handler delays the
//! loop, but never loses TCP data (unread bytes wait in the kernel; replies
//! wait in a per-connection buffer). For slow handlers,
//! [`Server::set_workers`] runs them on a fixed pool of threads instead,
//! keeping the order per sender.
//!
//! # Parts
//!
//! [`limits`] holds the configuration and counters, [`handle`] the stopper
//! and the handle of a spawned server, [`sink`] the trait packets go to,
//! [`slots`] the table of sources by token, [`conn`] a connection's
//! accounting, [`reactor`] what the loop does on each event, and [`pool`]
//! the optional worker threads. This file is the public API and the loop.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use mio::net::{TcpListener, UdpSocket};
use mio::{Events, Poll, Token, Waker};

use super::resolve;
use crate::framing::Framing;
use crate::{Dispatcher, Error, Result};

mod conn;
mod handle;
mod limits;
mod pool;
mod reactor;
mod sink;
mod slots;

pub use handle::{ServerHandle, Stopper};
pub use limits::{Limits, Stats};
pub use sink::PacketSink;

use limits::SharedStats;
use pool::Pool;
use reactor::Reactor;
use slots::Source;

const WAKER: Token = Token(usize::MAX);

/// An OSC server: UDP sockets and TCP listeners on one `mio::Poll`,
/// dispatching through a [`Dispatcher`].
///
/// ```
/// use std::time::Duration;
/// use osc_serde::transport::{Server, UdpClient};
/// use osc_serde::{dispatch::Context, Dispatcher};
///
/// let mut dispatcher = Dispatcher::new();
/// dispatcher.map_with_context("/ping", |ctx: &Context, n: i32| {
///     ctx.reply_to("/pong", &n).unwrap();
/// })?;
/// let mut server = Server::new(dispatcher)?;
/// let addr = server.bind_udp("127.0.0.1:0")?;
/// let handle = server.spawn()?;
///
/// let mut client = UdpClient::new(addr)?;
/// client.send_message("/ping", &7)?;
/// let (reply, from) = client.recv_from(Duration::from_secs(5))?.expect("a reply");
/// assert_eq!(from, addr);
/// assert_eq!(reply.to_bytes()?, b"/pong\0\0\0,i\0\0\0\0\0\x07");
/// handle.stop()?;
/// let server = handle.join()?;
/// assert_eq!(server.stats().packets, 1);
/// # Ok::<(), osc_serde::Error>(())
/// ```
///
/// `S` is what packets go to: a [`Dispatcher`] by default, or any
/// [`PacketSink`].
pub struct Server<S = Dispatcher> {
    poll: Poll,
    events: Events,
    sink: S,
    reactor: Reactor,
    stopper: Stopper,
    stats: Arc<SharedStats>,
    /// What `stats` holds, so that an unchanged count costs no lock.
    published: Stats,
    stopped: bool,
}

impl<S: PacketSink> std::fmt::Debug for Server<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("local_addrs", &self.local_addrs())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl<S: PacketSink> Server<S> {
    /// A server with no sockets yet, handing packets to `sink` (a
    /// [`Dispatcher`], usually).
    pub fn new(sink: S) -> Result<Self> {
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let registry = poll.registry().try_clone()?;
        Ok(Server {
            poll,
            events: Events::with_capacity(256),
            sink,
            reactor: Reactor::new(registry, Limits::default()),
            stopper: Stopper {
                flag: Arc::new(AtomicBool::new(false)),
                waker,
            },
            stats: Arc::default(),
            published: Stats::default(),
            stopped: false,
        })
    }

    /// Sets the limits (before serving).
    pub fn set_limits(&mut self, limits: Limits) {
        self.reactor.set_limits(limits);
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.reactor.limits()
    }

    /// Runs handlers on `workers` threads instead of the loop thread, each
    /// with its own dispatcher (or other [`PacketSink`]) made by `make`
    /// (python-osc's threading servers, with a fixed pool). The sink given
    /// to [`new`](Self::new) then only receives transport errors
    /// ([`PacketSink::report_error`]).
    ///
    /// Ordering: packets from one sender on one socket or connection go to
    /// the same worker, so they are dispatched in order; packets from
    /// different senders may be dispatched in parallel, in any order. A
    /// worker holds future bundles itself; bundles still waiting when the
    /// server stops are dropped.
    ///
    /// ```
    /// use std::time::Duration;
    /// use osc_serde::dispatch::Reply;
    /// use osc_serde::transport::{Server, UdpClient};
    /// use osc_serde::{Dispatcher, Message, Packet};
    ///
    /// let mut server = Server::new(Dispatcher::new())?;
    /// server.set_workers(4, || {
    ///     let mut d = Dispatcher::new();
    ///     d.map("/slow", |n: i32| Reply::to("/done", n)).unwrap();
    ///     d
    /// })?;
    /// let addr = server.bind_udp("127.0.0.1:0")?;
    /// let handle = server.spawn()?;
    /// let mut client = UdpClient::new(addr)?;
    /// client.send_message("/slow", &3)?;
    /// let (reply, _) = client.recv_from(Duration::from_secs(5))?.expect("a reply");
    /// assert_eq!(reply, Packet::Message(Message::new("/done").arg(3)));
    /// # Ok::<(), osc_serde::Error>(())
    /// ```
    pub fn set_workers<W: PacketSink + Send + 'static>(
        &mut self,
        workers: usize,
        make: impl Fn() -> W + Sync,
    ) -> Result<()> {
        // Replacing a pool waits for the old one's workers first.
        if let Some(old) = self.reactor.pool.take() {
            self.reactor.retired_pool_errors += old.finish(&mut self.reactor.replies);
        }
        let waker = self.stopper.waker.clone();
        self.reactor.pool = Some(Pool::new(workers, &make, waker)?);
        Ok(())
    }

    /// The sink given to [`new`](Self::new), e.g. to map more handlers
    /// between [`poll_once`](Self::poll_once) calls, or to read what a
    /// custom sink gathered after [`ServerHandle::join`].
    pub fn sink_mut(&mut self) -> &mut S {
        &mut self.sink
    }

    /// Binds a UDP socket (port 0 picks a free one) and returns its address.
    pub fn bind_udp(&mut self, addr: impl ToSocketAddrs) -> Result<SocketAddr> {
        let socket = UdpSocket::bind(resolve(addr)?)?;
        let local = socket.local_addr()?;
        self.reactor.insert(Source::Udp(socket))?;
        Ok(local)
    }

    /// Listens for TCP connections, detecting each one's framing from its
    /// first byte (SLIP if it is 0xC0, else the OSC 1.0 length prefix), and
    /// returns the listening address.
    pub fn listen_tcp(&mut self, addr: impl ToSocketAddrs) -> Result<SocketAddr> {
        self.listen(addr, None)
    }

    /// Listens for TCP connections that all use `framing`.
    pub fn listen_tcp_with(
        &mut self,
        addr: impl ToSocketAddrs,
        framing: Framing,
    ) -> Result<SocketAddr> {
        self.listen(addr, Some(framing))
    }

    fn listen(&mut self, addr: impl ToSocketAddrs, framing: Option<Framing>) -> Result<SocketAddr> {
        let listener = TcpListener::bind(resolve(addr)?)?;
        let local = listener.local_addr()?;
        self.reactor.insert(Source::Listener(listener, framing))?;
        Ok(local)
    }

    /// Joins the IPv4 multicast `group` on `interface` with the UDP socket
    /// bound at `socket` (an address [`bind_udp`](Self::bind_udp) returned).
    pub fn join_multicast_v4(
        &self,
        socket: SocketAddr,
        group: Ipv4Addr,
        interface: Ipv4Addr,
    ) -> Result<()> {
        Ok(self.udp(socket)?.join_multicast_v4(&group, &interface)?)
    }

    /// Joins the IPv6 multicast `group` on the interface with index
    /// `interface` (0: any) with the UDP socket bound at `socket`.
    pub fn join_multicast_v6(
        &self,
        socket: SocketAddr,
        group: Ipv6Addr,
        interface: u32,
    ) -> Result<()> {
        Ok(self.udp(socket)?.join_multicast_v6(&group, interface)?)
    }

    /// Sends a packet from the UDP socket bound at `socket` to any address
    /// (both ways through one port). Fails with [`Error::NoUdpSocketAt`]
    /// if the server has no UDP socket bound at `socket`.
    pub fn send_to(&self, socket: SocketAddr, to: SocketAddr, packet: &[u8]) -> Result<()> {
        self.udp(socket)?.send_to(packet, to)?;
        Ok(())
    }

    /// The addresses of all bound UDP sockets and TCP listeners, in the
    /// order they were added.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.reactor
            .slots
            .iter()
            .filter_map(|s| match s {
                Source::Udp(s) => s.local_addr().ok(),
                Source::Listener(l, _) => l.local_addr().ok(),
                Source::Conn(_) => None,
            })
            .collect()
    }

    /// The counters.
    pub fn stats(&self) -> Stats {
        self.stats.load()
    }

    /// A handle that stops [`run`](Self::run) from another thread.
    pub fn stopper(&self) -> Stopper {
        self.stopper.clone()
    }

    /// Serves until stopped through a [`Stopper`]: then dispatches
    /// everything already received and returns.
    ///
    /// Fails with [`Error::NoSocket`] if the server has no socket or
    /// listener, as [`spawn`](Self::spawn) does (it would wait for nothing).
    pub fn run(&mut self) -> Result<()> {
        self.check_bound()?;
        while !self.stopped {
            self.poll_once(None)?;
        }
        Ok(())
    }

    /// Runs the server on a new thread.
    ///
    /// Fails with [`Error::NoSocket`] if the server has no socket or
    /// listener.
    pub fn spawn(self) -> Result<ServerHandle<S>>
    where
        S: Send + 'static,
    {
        self.check_bound()?;
        let local_addrs = self.local_addrs();
        let stopper = self.stopper();
        let stats = self.stats.clone();
        let thread = std::thread::Builder::new()
            .name("osc-server".into())
            .spawn(move || {
                let mut server = self;
                server.run().map(|()| server)
            })?;
        Ok(ServerHandle {
            local_addrs,
            stopper,
            stats,
            thread: Some(thread),
        })
    }

    /// [`Error::NoSocket`] for a server with no socket or listener, which
    /// [`run`](Self::run) and [`spawn`](Self::spawn) refuse.
    fn check_bound(&self) -> Result<()> {
        match self.reactor.slots.iter().next() {
            Some(_) => Ok(()),
            None => Err(Error::NoSocket),
        }
    }

    /// Whether a stop was requested and carried out.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// Waits up to `timeout` (`None`: until something happens) for network
    /// events or the next due bundle, and handles them. Returns early when
    /// a bundle becomes due, or when it is time to close stalled
    /// connections ([`Limits::idle_timeout`], [`Limits::frame_timeout`]).
    pub fn poll_once(&mut self, timeout: Option<Duration>) -> Result<()> {
        let due = self.sink.next_due_in();
        let sweep = self.reactor.next_sweep_in();
        let mut timeout = [timeout, due, sweep].into_iter().flatten().min();
        // Input left over from the last turn: no new event will come for
        // it (readiness is edge-triggered), so do not wait.
        let unfinished = std::mem::take(&mut self.reactor.unfinished);
        if !unfinished.is_empty() {
            timeout = Some(Duration::ZERO);
        }
        match self.poll.poll(&mut self.events, timeout) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => other?,
        }
        let mut woken = false;
        for event in self.events.iter() {
            match event.token() {
                WAKER => woken = true,
                Token(token) => self.reactor.handle(token, event, &mut self.sink),
            }
        }
        for token in unfinished {
            self.reactor.read_more(token, &mut self.sink);
        }
        self.reactor.close_stalled(&mut self.sink);
        self.sink.run_due(&mut self.reactor.replies);
        if let Some(pool) = &self.reactor.pool {
            pool.take_replies(&mut self.reactor.replies);
        }
        self.reactor.send_replies(&mut self.sink);
        if woken && self.stopper.requested() {
            self.reactor.drain(&mut self.sink);
            if let Some(pool) = self.reactor.pool.take() {
                self.reactor.retired_pool_errors += pool.finish(&mut self.reactor.replies);
                self.reactor.send_replies(&mut self.sink);
            }
            self.stopped = true;
        }
        self.publish_stats();
        Ok(())
    }

    fn publish_stats(&mut self) {
        let pool_errors =
            self.reactor.retired_pool_errors + self.reactor.pool.as_ref().map_or(0, Pool::errors);
        let stats = Stats {
            errors: self.sink.error_count() + pool_errors,
            ..self.reactor.counts
        };
        if stats != self.published {
            self.stats.store(stats);
            self.published = stats;
        }
    }

    /// The UDP socket bound at `local`.
    fn udp(&self, local: SocketAddr) -> Result<&UdpSocket> {
        self.reactor
            .slots
            .iter()
            .find_map(|s| match s {
                Source::Udp(s) if s.local_addr().ok() == Some(local) => Some(s),
                _ => None,
            })
            .ok_or(Error::NoUdpSocketAt)
    }
}

impl Server<Dispatcher> {
    /// The dispatcher: [`sink_mut`](Self::sink_mut) under the name of the
    /// usual sink.
    pub fn dispatcher_mut(&mut self) -> &mut Dispatcher {
        self.sink_mut()
    }
}
