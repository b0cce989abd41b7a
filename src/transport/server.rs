//! The event-loop server: one `mio::Poll` serving any mix of UDP sockets
//! and TCP listeners with their connections, handing every packet to a
//! [`Dispatcher`].
//!
//! The server moves frames and never parses OSC: it reads datagrams and
//! frames, calls [`Dispatcher::dispatch`] with an [`Origin`] naming the
//! socket or connection, and sends the handlers' replies back — a datagram
//! from the same bound socket to the source address for UDP, a frame on the
//! same connection for TCP.
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

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mio::net::{TcpListener, TcpStream, UdpSocket};
use mio::{Events, Interest, Poll, Registry, Token, Waker};

use super::pool::Pool;
use super::resolve;
use super::udp::MAX_DATAGRAM;
use crate::framing::{FrameDecoder, Framing, StreamDecoder, DEFAULT_MAX_FRAME};
use crate::{Dispatcher, Error, Origin, Responder, Result};

const WAKER: Token = Token(usize::MAX);

/// How many more read budgets per source a stop drains after the first
/// read: with the default 256 KiB budget, 16 MiB, more than a kernel socket
/// buffer holds, so whatever had arrived is dispatched; a peer that floods
/// without pause cannot keep [`Server::run`] from returning.
const MAX_DRAIN_ROUNDS: usize = 64;

/// Size of the buffer TCP reads go into.
const READ_CHUNK: usize = 64 * 1024;

/// Most connections accepted from one listener per turn: a burst of
/// connects is taken in slices between the other sources' turns, like a
/// flooding peer's input (the rest wait in the kernel's accept queue).
const ACCEPT_BUDGET: usize = 64;

/// How often, as a fraction of the shorter of [`Limits::idle_timeout`] and
/// [`Limits::frame_timeout`], the loop looks for stalled connections: a
/// connection is closed between one and 1¼ of the shorter timeout after
/// it expired, and the sweep (one pass over the slots) runs at most four
/// times per timeout.
const SWEEPS_PER_TIMEOUT: u32 = 4;

/// The shortest interval between sweeps, so that a tiny timeout cannot
/// make the loop spin.
const MIN_SWEEP_INTERVAL: Duration = Duration::from_millis(1);

/// The server's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest datagram accepted; larger ones are reported and dropped.
    /// Default: [`MAX_DATAGRAM`] (65,507 bytes, the UDP maximum).
    pub max_datagram: usize,
    /// Largest TCP frame accepted; a larger one closes its connection.
    /// Default: [`DEFAULT_MAX_FRAME`] (64 KiB).
    pub max_frame: usize,
    /// Most TCP connections open at once; further ones are accepted and
    /// closed at once, and counted as dropped. Default: 1024.
    pub max_connections: usize,
    /// Most reply bytes waiting for a connection whose peer does not read;
    /// beyond this the connection is closed. Default: 4 MiB.
    pub max_pending_output: usize,
    /// Most bytes read from one socket or connection before the others get
    /// a turn: a peer sending faster than its packets are handled cannot
    /// starve the rest (its remaining input waits in the kernel and is
    /// read on the next turn). At least one read is made. Default: 256 KiB.
    pub read_budget: usize,
    /// How long a TCP connection may go without activity before the server
    /// closes it (reported as an [`Error::IdleTimeout`], counted in
    /// [`Stats::dropped_connections`]); `None` keeps idle connections
    /// forever. Without it, [`max_connections`](Self::max_connections)
    /// peers that connect and stall (sending half a frame, or nothing) lock
    /// every other TCP client out.
    ///
    /// Activity is bytes read from the peer, or reply bytes the kernel took
    /// for it (a peer reading a long answer is alive). Replies waiting
    /// because the peer does not read are not activity: such a peer is
    /// closed by this timeout or by
    /// [`max_pending_output`](Self::max_pending_output), whichever comes
    /// first. The check runs four times per timeout (more often with a
    /// shorter [`frame_timeout`](Self::frame_timeout)), so a connection is
    /// closed between one and 1¼ timeouts after its last activity.
    ///
    /// Default: 120 s, twice the furthest a bundle may be scheduled ahead
    /// ([`DEFAULT_MAX_AHEAD`](crate::dispatch::DEFAULT_MAX_AHEAD)), so that
    /// a client waiting for the replies of a bundle it scheduled is not cut
    /// off; a client that may stay silent longer keeps its connection by
    /// sending anything now and then (e.g. an empty bundle).
    pub idle_timeout: Option<Duration>,
    /// How long a TCP frame may take to arrive, from its first byte read
    /// to its last, before the server closes the connection (reported as
    /// an [`Error::FrameTimeout`], counted in [`Stats::dropped_connections`]); `None` sets no limit.
    /// Without it, a peer that trickles a byte within every
    /// [`idle_timeout`](Self::idle_timeout) keeps its connection forever,
    /// and [`max_connections`](Self::max_connections) such peers lock
    /// every other TCP client out.
    ///
    /// Only a frame that has started counts: a connection between frames
    /// (nothing buffered, e.g. waiting for replies) is left to the idle
    /// timeout, and a peer sending whole frames slowly is never cut off by
    /// this one. The check shares the idle timeout's sweep, which runs
    /// four times per shorter timeout, so a frame is cut off between one
    /// timeout and one timeout plus a quarter of the shorter timeout after
    /// its first byte.
    ///
    /// Default: 30 s. Clients write a frame (at most
    /// [`max_frame`](Self::max_frame), 64 KiB by default) in one go, and
    /// even at 2 KiB/s the largest default frame arrives in time; a
    /// trickling peer holds a slot for at most 30 s per frame.
    pub frame_timeout: Option<Duration>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_datagram: MAX_DATAGRAM,
            max_frame: DEFAULT_MAX_FRAME,
            max_connections: 1024,
            max_pending_output: 4 << 20,
            read_budget: 256 << 10,
            idle_timeout: Some(Duration::from_secs(120)),
            frame_timeout: Some(Duration::from_secs(30)),
        }
    }
}

/// Counters of a server, as of its last loop iteration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Datagrams and frames handed to the dispatcher.
    pub packets: u64,
    /// Errors reported to the dispatcher's error hook: malformed or
    /// oversized packets and frames, handler argument mismatches, I/O
    /// errors.
    pub errors: u64,
    /// TCP connections closed by the server for bad input, the connection
    /// limit, unread replies, idleness ([`Limits::idle_timeout`]) or a
    /// frame too slow to arrive ([`Limits::frame_timeout`]).
    pub dropped_connections: u64,
    /// TCP connections open now.
    pub connections: u64,
    /// Datagrams over [`Limits::max_datagram`], dropped (and reported).
    /// Datagrams the kernel dropped because the socket's receive buffer
    /// was full are not seen by the server and not counted here.
    pub dropped_datagrams: u64,
    /// Bytes of unfinished frames held now, all connections together
    /// (each under [`Limits::max_frame`] plus a length prefix).
    pub buffered_input: u64,
    /// Reply bytes waiting to be written now, all connections together
    /// (each under [`Limits::max_pending_output`]).
    pub pending_output: u64,
}

/// The counters as last published by the loop, for other threads.
#[derive(Debug, Default)]
struct SharedStats(Mutex<Stats>);

impl SharedStats {
    fn load(&self) -> Stats {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn store(&self, stats: Stats) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = stats;
    }
}

/// Asks a running server to stop, from any thread.
#[derive(Debug, Clone)]
pub struct Stopper {
    flag: Arc<AtomicBool>,
    waker: Arc<Waker>,
}

impl Stopper {
    /// Makes the server dispatch everything it has already received, then
    /// return from [`Server::run`].
    pub fn stop(&self) -> Result<()> {
        self.flag.store(true, Ordering::SeqCst);
        Ok(self.waker.wake()?)
    }
}

struct Conn {
    stream: TcpStream,
    peer: SocketAddr,
    decoder: FrameDecoder<Vec<u8>>,
    /// Framed replies not yet written.
    out: Vec<u8>,
    /// WRITABLE interest is registered (output is pending).
    writing: bool,
    /// `decoder.buffered()` as last added to `Stats::buffered_input`.
    counted_input: u64,
    /// When bytes last moved: accepted, read, or written to the kernel.
    last_active: Instant,
    /// When the read that began the unfinished frame the decoder holds
    /// was made; `None` while it holds nothing ([`Limits::frame_timeout`]).
    frame_started: Option<Instant>,
}

enum Source {
    Udp(UdpSocket),
    Listener(TcpListener, Option<Framing>),
    Conn(Box<Conn>),
}

/// Replies made during a dispatch, sent once the dispatch returns (the
/// sockets cannot be borrowed while the dispatcher reads from one).
#[derive(Default)]
struct Replies {
    bytes: Vec<u8>,
    entries: Vec<(Origin, usize, usize)>,
}

impl Responder for Replies {
    fn respond(&mut self, origin: &Origin, packet: &[u8]) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(packet);
        self.entries.push((*origin, start, self.bytes.len()));
    }
}

/// Sockets and connections, by token (the slot index).
struct Io {
    registry: Registry,
    sources: Vec<Option<Source>>,
    free: Vec<usize>,
    replies: Replies,
    /// Worker threads, when handlers run off the loop thread.
    pool: Option<Pool>,
    /// Errors counted by worker pools that have finished.
    retired_pool_errors: u64,
    buf: Box<[u8]>,
    limits: Limits,
    /// The counters kept by the loop (`errors` is the dispatchers' count,
    /// filled in when they are published).
    counts: Stats,
    /// Sockets and connections that used up their read budget with input
    /// left (or listeners that used up their accept budget): read again on
    /// the next turn, after the others.
    unfinished: Vec<usize>,
    /// When to look for idle connections next ([`Limits::idle_timeout`]).
    next_sweep: Instant,
}

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
pub struct Server {
    poll: Poll,
    events: Events,
    dispatcher: Dispatcher,
    io: Io,
    stop: Arc<AtomicBool>,
    waker: Arc<Waker>,
    stats: Arc<SharedStats>,
    stopped: bool,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("local_addrs", &self.local_addrs())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// A server with no sockets yet, dispatching through `dispatcher`.
    pub fn new(dispatcher: Dispatcher) -> Result<Self> {
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let registry = poll.registry().try_clone()?;
        let limits = Limits::default();
        Ok(Server {
            poll,
            events: Events::with_capacity(256),
            dispatcher,
            io: Io {
                registry,
                sources: Vec::new(),
                free: Vec::new(),
                replies: Replies::default(),
                pool: None,
                retired_pool_errors: 0,
                buf: buffer(&limits),
                limits,
                counts: Stats::default(),
                unfinished: Vec::new(),
                next_sweep: Instant::now(),
            },
            stop: Arc::new(AtomicBool::new(false)),
            waker,
            stats: Arc::default(),
            stopped: false,
        })
    }

    /// Sets the limits (before serving).
    pub fn set_limits(&mut self, limits: Limits) {
        self.io.buf = buffer(&limits);
        self.io.limits = limits;
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.io.limits
    }

    /// Runs handlers on `workers` threads instead of the loop thread, each
    /// with its own dispatcher made by `make` (python-osc's threading
    /// servers, with a fixed pool). The dispatcher given to
    /// [`new`](Self::new) then only receives transport errors
    /// ([`Dispatcher::report_error`]).
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
    pub fn set_workers(
        &mut self,
        workers: usize,
        make: impl Fn() -> Dispatcher + Sync,
    ) -> Result<()> {
        // Replacing a pool waits for the old one's workers first.
        if let Some(old) = self.io.pool.take() {
            self.io.retired_pool_errors += old.finish(&mut self.io.replies);
        }
        self.io.pool = Some(Pool::new(workers, &make, self.waker.clone())?);
        Ok(())
    }

    /// The dispatcher, e.g. to map more handlers between
    /// [`poll_once`](Self::poll_once) calls.
    pub fn dispatcher_mut(&mut self) -> &mut Dispatcher {
        &mut self.dispatcher
    }

    /// Binds a UDP socket (port 0 picks a free one) and returns its address.
    pub fn bind_udp(&mut self, addr: impl ToSocketAddrs) -> Result<SocketAddr> {
        let socket = UdpSocket::bind(resolve(addr)?)?;
        let local = socket.local_addr()?;
        self.io.insert(Source::Udp(socket), Interest::READABLE)?;
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
        self.io
            .insert(Source::Listener(listener, framing), Interest::READABLE)?;
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
        Ok(self.io.udp(socket)?.join_multicast_v4(&group, &interface)?)
    }

    /// Joins the IPv6 multicast `group` on the interface with index
    /// `interface` (0: any) with the UDP socket bound at `socket`.
    pub fn join_multicast_v6(
        &self,
        socket: SocketAddr,
        group: Ipv6Addr,
        interface: u32,
    ) -> Result<()> {
        Ok(self.io.udp(socket)?.join_multicast_v6(&group, interface)?)
    }

    /// Sends a packet from the UDP socket bound at `socket` to any address
    /// (both ways through one port).
    pub fn send_to(&self, socket: SocketAddr, to: SocketAddr, packet: &[u8]) -> Result<()> {
        self.io.udp(socket)?.send_to(packet, to)?;
        Ok(())
    }

    /// The addresses of all bound UDP sockets and TCP listeners, in the
    /// order they were added.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.io
            .sources
            .iter()
            .flatten()
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
        Stopper {
            flag: self.stop.clone(),
            waker: self.waker.clone(),
        }
    }

    /// Serves until stopped through a [`Stopper`]: then dispatches
    /// everything already received and returns.
    ///
    /// Fails with [`Error::NoSocket`] if the server has no socket or
    /// listener.
    pub fn run(&mut self) -> Result<()> {
        if self.local_addrs().is_empty() {
            return Err(Error::NoSocket);
        }
        while !self.stopped {
            self.poll_once(None)?;
        }
        Ok(())
    }

    /// Runs the server on a new thread.
    ///
    /// Fails with [`Error::NoSocket`] if the server has no socket or
    /// listener.
    pub fn spawn(self) -> Result<ServerHandle> {
        let local_addrs = self.local_addrs();
        if local_addrs.is_empty() {
            return Err(Error::NoSocket);
        }
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

    /// Whether a stop was requested and carried out.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// Waits up to `timeout` (`None`: until something happens) for network
    /// events or the next due bundle, and handles them. Returns early when
    /// a bundle becomes due, or when it is time to close stalled
    /// connections ([`Limits::idle_timeout`], [`Limits::frame_timeout`]).
    pub fn poll_once(&mut self, timeout: Option<Duration>) -> Result<()> {
        let due = self.dispatcher.next_due_in();
        let sweep = self.io.next_sweep_in(Instant::now());
        let mut timeout = [timeout, due, sweep].into_iter().flatten().min();
        // Input left over from the last turn: no new event will come for
        // it (readiness is edge-triggered), so do not wait.
        let unfinished = std::mem::take(&mut self.io.unfinished);
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
                Token(token) => self.io.handle(token, event, &mut self.dispatcher),
            }
        }
        for token in unfinished {
            self.io.read_more(token, &mut self.dispatcher);
        }
        self.io.close_stalled(Instant::now(), &mut self.dispatcher);
        self.dispatcher.run_due(&mut self.io.replies);
        if let Some(pool) = &self.io.pool {
            pool.take_replies(&mut self.io.replies);
        }
        self.io.send_replies(&mut self.dispatcher);
        if woken && self.stop.load(Ordering::SeqCst) {
            self.io.drain(&mut self.dispatcher);
            if let Some(pool) = self.io.pool.take() {
                self.io.retired_pool_errors += pool.finish(&mut self.io.replies);
                self.io.send_replies(&mut self.dispatcher);
            }
            self.stopped = true;
        }
        self.publish_stats();
        Ok(())
    }

    fn publish_stats(&self) {
        let pool_errors =
            self.io.retired_pool_errors + self.io.pool.as_ref().map_or(0, Pool::errors);
        self.stats.store(Stats {
            errors: self.dispatcher.error_count() + pool_errors,
            ..self.io.counts
        });
    }
}

/// Hands a packet to the worker pool if there is one, else dispatches it
/// on this thread.
fn deliver(
    packet: &[u8],
    origin: Origin,
    dispatcher: &mut Dispatcher,
    pool: &Option<Pool>,
    replies: &mut Replies,
) {
    match pool {
        Some(pool) => pool.submit(packet, origin),
        None => dispatcher.dispatch(packet, origin, replies),
    }
}

fn buffer(limits: &Limits) -> Box<[u8]> {
    // One byte more than the largest datagram tells an oversized one.
    vec![0; (limits.max_datagram + 1).max(READ_CHUNK)].into_boxed_slice()
}

impl Io {
    fn insert(&mut self, mut source: Source, interest: Interest) -> Result<usize> {
        let token = match self.free.pop() {
            Some(t) => t,
            None => {
                self.sources.push(None);
                self.sources.len() - 1
            }
        };
        let registered = match &mut source {
            Source::Udp(s) => self.registry.register(s, Token(token), interest),
            Source::Listener(l, _) => self.registry.register(l, Token(token), interest),
            Source::Conn(c) => self
                .registry
                .register(&mut c.stream, Token(token), interest),
        };
        if let Err(e) = registered {
            self.free.push(token);
            return Err(e.into());
        }
        self.sources[token] = Some(source);
        Ok(token)
    }

    fn udp(&self, local: SocketAddr) -> Result<&UdpSocket> {
        self.sources
            .iter()
            .flatten()
            .find_map(|s| match s {
                Source::Udp(s) if s.local_addr().ok() == Some(local) => Some(s),
                _ => None,
            })
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    "no UDP socket bound at that address",
                )
                .into()
            })
    }

    /// The shorter of the two timeouts a sweep checks, if any is set.
    fn sweep_timeout(&self) -> Option<Duration> {
        [self.limits.idle_timeout, self.limits.frame_timeout]
            .into_iter()
            .flatten()
            .min()
    }

    /// How long until the next sweep for stalled connections, if one is
    /// needed: never without a timeout or without connections.
    fn next_sweep_in(&self, now: Instant) -> Option<Duration> {
        self.sweep_timeout()?;
        if self.counts.connections == 0 {
            return None;
        }
        Some(self.next_sweep.saturating_duration_since(now))
    }

    /// Closes the connections idle for longer than [`Limits::idle_timeout`]
    /// or holding a frame begun longer than [`Limits::frame_timeout`] ago,
    /// if a sweep is due: one pass over the slots, at most
    /// [`SWEEPS_PER_TIMEOUT`] times per shorter timeout, rather than a
    /// timer per connection.
    fn close_stalled(&mut self, now: Instant, dispatcher: &mut Dispatcher) {
        let Some(shorter) = self.sweep_timeout() else {
            return;
        };
        if now < self.next_sweep {
            return;
        }
        self.next_sweep = now + (shorter / SWEEPS_PER_TIMEOUT).max(MIN_SWEEP_INTERVAL);
        let expired = |since: Instant, timeout: Option<Duration>| {
            timeout.is_some_and(|t| now.saturating_duration_since(since) >= t)
        };
        for token in 0..self.sources.len() {
            let Some(Some(Source::Conn(conn))) = self.sources.get(token) else {
                continue;
            };
            let why = if expired(conn.last_active, self.limits.idle_timeout) {
                Error::idle_timeout(self.limits.idle_timeout.unwrap_or_default())
            } else if conn
                .frame_started
                .is_some_and(|started| expired(started, self.limits.frame_timeout))
            {
                Error::frame_timeout(self.limits.frame_timeout.unwrap_or_default())
            } else {
                continue;
            };
            let origin = Origin {
                peer: Some(conn.peer),
                token,
            };
            dispatcher.report_error(&why, Some(&origin));
            self.close(token, true);
        }
    }

    fn handle(&mut self, token: usize, event: &mio::event::Event, dispatcher: &mut Dispatcher) {
        match self.sources.get(token) {
            Some(Some(Source::Udp(_))) => self.read_udp(token, dispatcher),
            Some(Some(Source::Listener(..))) => self.accept(token, dispatcher),
            Some(Some(Source::Conn(_))) => {
                if event.is_writable() {
                    self.write_conn(token);
                }
                if event.is_readable() || event.is_read_closed() || event.is_error() {
                    self.read_conn(token, dispatcher);
                }
            }
            _ => {}
        }
    }

    /// Reads a socket or connection that had input left after its last
    /// turn, or accepts more on a listener that had connections left (if
    /// its token still names one).
    fn read_more(&mut self, token: usize, dispatcher: &mut Dispatcher) {
        match self.sources.get(token) {
            Some(Some(Source::Udp(_))) => self.read_udp(token, dispatcher),
            Some(Some(Source::Listener(..))) => self.accept(token, dispatcher),
            Some(Some(Source::Conn(_))) => self.read_conn(token, dispatcher),
            _ => {}
        }
    }

    fn read_udp(&mut self, token: usize, dispatcher: &mut Dispatcher) {
        // Errors in a row before giving up until the next event, so that a
        // socket stuck in an error state cannot hang the loop.
        const ERRORS_IN_A_ROW: usize = 16;
        let mut errors_left = ERRORS_IN_A_ROW;
        // At least one read, even with a zero budget.
        let mut budget = self.limits.read_budget.max(1);
        loop {
            if budget == 0 {
                self.unfinished.push(token);
                return;
            }
            let Some(Some(Source::Udp(socket))) = self.sources.get(token) else {
                return;
            };
            let (n, peer) = match socket.recv_from(&mut self.buf) {
                Ok(received) => {
                    errors_left = ERRORS_IN_A_ROW;
                    received
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // E.g. ICMP port unreachable for an earlier reply: not fatal.
                    dispatcher.report_error(&e.into(), Some(&Origin { peer: None, token }));
                    errors_left -= 1;
                    if errors_left == 0 {
                        return;
                    }
                    continue;
                }
            };
            let origin = Origin {
                peer: Some(peer),
                token,
            };
            // Empty datagrams count too, so that the budget runs out.
            budget = budget.saturating_sub(n.max(1));
            if n > self.limits.max_datagram {
                self.counts.dropped_datagrams += 1;
                let error = Error::frame_too_large(n, self.limits.max_datagram);
                dispatcher.report_error(&error, Some(&origin));
                continue;
            }
            self.counts.packets += 1;
            deliver(
                &self.buf[..n],
                origin,
                dispatcher,
                &self.pool,
                &mut self.replies,
            );
            self.send_replies(dispatcher);
        }
    }

    /// Accepts up to [`ACCEPT_BUDGET`] connections, then leaves the rest
    /// for the next turn.
    fn accept(&mut self, token: usize, dispatcher: &mut Dispatcher) {
        let mut budget = ACCEPT_BUDGET;
        loop {
            if budget == 0 {
                self.unfinished.push(token);
                return;
            }
            let Some(Some(Source::Listener(listener, framing))) = self.sources.get(token) else {
                return;
            };
            let framing = *framing;
            let (stream, peer) = match listener.accept() {
                Ok(accepted) => accepted,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // E.g. out of file descriptors: try again on the next event.
                    dispatcher.report_error(&e.into(), Some(&Origin { peer: None, token }));
                    return;
                }
            };
            budget -= 1;
            if self.counts.connections >= self.limits.max_connections as u64 {
                self.counts.dropped_connections += 1;
                continue;
            }
            let _ = stream.set_nodelay(true);
            let conn = Conn {
                stream,
                peer,
                decoder: FrameDecoder::new(framing, self.limits.max_frame),
                out: Vec::new(),
                writing: false,
                counted_input: 0,
                last_active: Instant::now(),
                frame_started: None,
            };
            match self.insert(Source::Conn(Box::new(conn)), Interest::READABLE) {
                Ok(_) => self.counts.connections += 1,
                Err(e) => dispatcher.report_error(
                    &e,
                    Some(&Origin {
                        peer: Some(peer),
                        token,
                    }),
                ),
            }
        }
    }

    /// Reads a connection until the kernel has no more or its read budget
    /// is used, dispatching every whole frame; closes it at end of stream
    /// or on bad input.
    fn read_conn(&mut self, token: usize, dispatcher: &mut Dispatcher) {
        // At least one read, even with a zero budget.
        let mut budget = self.limits.read_budget.max(1);
        loop {
            let Some(Some(Source::Conn(conn))) = self.sources.get_mut(token) else {
                return;
            };
            if budget == 0 {
                self.unfinished.push(token);
                return;
            }
            let origin = Origin {
                peer: Some(conn.peer),
                token,
            };
            let n = match (&conn.stream).read(&mut self.buf) {
                Ok(0) => {
                    self.send_replies(dispatcher);
                    self.close(token, false);
                    return;
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    dispatcher.report_error(&e.into(), Some(&origin));
                    self.close(token, true);
                    return;
                }
            };
            budget = budget.saturating_sub(n);
            let now = Instant::now();
            conn.last_active = now;
            let mut input = &self.buf[..n];
            let mut failed = false;
            let mut completed = false;
            loop {
                match conn.decoder.feed(&mut input) {
                    Ok(true) => {
                        completed = true;
                        self.counts.packets += 1;
                        let frame = conn.decoder.frame();
                        deliver(frame, origin, dispatcher, &self.pool, &mut self.replies);
                    }
                    Ok(false) => break,
                    Err(e) => {
                        dispatcher.report_error(&e, Some(&origin));
                        failed = true;
                        break;
                    }
                }
            }
            let held = conn.decoder.buffered() as u64;
            self.counts.buffered_input = self.counts.buffered_input - conn.counted_input + held;
            conn.counted_input = held;
            // The unfinished frame began in this read if the decoder held
            // nothing before it or finished a frame during it.
            conn.frame_started = match conn.frame_started {
                _ if held == 0 => None,
                Some(started) if !completed => Some(started),
                _ => Some(now),
            };
            self.send_replies(dispatcher);
            if failed {
                self.close(token, true);
                return;
            }
        }
    }

    /// Sends the replies the dispatcher made.
    fn send_replies(&mut self, dispatcher: &mut Dispatcher) {
        if self.replies.entries.is_empty() {
            return;
        }
        let mut entries = std::mem::take(&mut self.replies.entries);
        for (origin, start, end) in entries.drain(..) {
            let packet = &self.replies.bytes[start..end];
            match self.sources.get_mut(origin.token) {
                Some(Some(Source::Udp(socket))) => {
                    let Some(peer) = origin.peer else { continue };
                    if let Err(e) = socket.send_to(packet, peer) {
                        dispatcher.report_error(&e.into(), Some(&origin));
                    }
                }
                Some(Some(Source::Conn(conn))) if Some(conn.peer) == origin.peer => {
                    let framing = conn.decoder.framing().unwrap_or_default();
                    // Cannot fail: the packet is smaller than the input it answers
                    // or than i32::MAX, which Dispatcher replies stay far below.
                    let before = conn.out.len();
                    let _ = framing.encode(packet, &mut conn.out);
                    self.counts.pending_output += (conn.out.len() - before) as u64;
                    self.write_conn(origin.token);
                }
                // The connection closed (or its slot was reused) meanwhile.
                _ => {}
            }
        }
        self.replies.entries = entries;
        self.replies.bytes.clear();
    }

    /// Writes a connection's pending output as far as the kernel takes it,
    /// and asks for WRITABLE events while some remains.
    fn write_conn(&mut self, token: usize) {
        let Some(Some(Source::Conn(conn))) = self.sources.get_mut(token) else {
            return;
        };
        let mut written = 0;
        let mut failed = false;
        while written < conn.out.len() {
            match (&conn.stream).write(&conn.out[written..]) {
                Ok(0) => {
                    failed = true;
                    break;
                }
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
        if written > 0 {
            conn.out.drain(..written);
            conn.last_active = Instant::now();
        }
        self.counts.pending_output -= written as u64;
        let pending = !conn.out.is_empty();
        if failed || conn.out.len() > self.limits.max_pending_output {
            self.close(token, true);
            return;
        }
        if pending != conn.writing {
            let interest = if pending {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            conn.writing = pending;
            if self
                .registry
                .reregister(&mut conn.stream, Token(token), interest)
                .is_err()
            {
                self.close(token, true);
            }
        }
    }

    fn close(&mut self, token: usize, dropped: bool) {
        let Some(slot) = self.sources.get_mut(token) else {
            return;
        };
        if let Some(Source::Conn(_)) = slot {
            if let Some(Source::Conn(mut conn)) = slot.take() {
                let _ = self.registry.deregister(&mut conn.stream);
                self.counts.buffered_input -= conn.counted_input;
                self.counts.pending_output -= conn.out.len() as u64;
            }
            self.free.push(token);
            self.counts.connections -= 1;
            if dropped {
                self.counts.dropped_connections += 1;
            }
        }
    }

    /// On stop: dispatches whatever the sockets already hold.
    fn drain(&mut self, dispatcher: &mut Dispatcher) {
        for token in 0..self.sources.len() {
            match self.sources[token] {
                Some(Source::Udp(_)) => self.read_udp(token, dispatcher),
                Some(Source::Conn(_)) => {
                    self.read_conn(token, dispatcher);
                    self.write_conn(token);
                }
                _ => {}
            }
        }
        // Everything received means past the read budget too, but only a
        // bounded number of budgets more: a peer that never stops sending
        // must not keep the server from stopping.
        for _ in 0..MAX_DRAIN_ROUNDS {
            if self.unfinished.is_empty() {
                break;
            }
            for token in std::mem::take(&mut self.unfinished) {
                // Connections not yet accepted have sent nothing received.
                if !matches!(self.sources[token], Some(Source::Listener(..))) {
                    self.read_more(token, dispatcher);
                }
            }
        }
        dispatcher.run_due(&mut self.replies);
        self.send_replies(dispatcher);
    }
}

/// A server running on its own thread.
#[derive(Debug)]
pub struct ServerHandle {
    local_addrs: Vec<SocketAddr>,
    stopper: Stopper,
    stats: Arc<SharedStats>,
    thread: Option<JoinHandle<Result<Server>>>,
}

impl ServerHandle {
    /// The address of the first socket or listener.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addrs[0]
    }

    /// The addresses of all sockets and listeners, in the order added.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.local_addrs
    }

    /// The server's counters, as of its last loop iteration.
    pub fn stats(&self) -> Stats {
        self.stats.load()
    }

    /// A [`Stopper`] for this server.
    pub fn stopper(&self) -> Stopper {
        self.stopper.clone()
    }

    /// Asks the server to stop: it dispatches everything already received,
    /// then its thread ends. [`join`](Self::join) waits for that.
    pub fn stop(&self) -> Result<()> {
        self.stopper.stop()
    }

    /// Waits for the server thread to end (after [`stop`](Self::stop)) and
    /// returns the server, or the error that ended it.
    pub fn join(mut self) -> Result<Server> {
        let thread = self.thread.take().expect("joined once");
        match thread.join() {
            Ok(result) => result,
            Err(_) => Err(Error::ServerThreadPanicked),
        }
    }
}

impl Drop for ServerHandle {
    /// Stops the server and waits for its thread, so none is left behind.
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = self.stopper.stop();
            let _ = thread.join();
        }
    }
}
