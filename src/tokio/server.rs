//! The async server: the [`Dispatcher`] served on tokio UDP sockets and
//! TCP listeners, with the mio server's [`Limits`] and [`Stats`]. How it
//! works, orders and stops is documented on [`Server`].

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::de::DeserializeOwned;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs, UdpSocket};
use tokio::sync::{mpsc, watch, Notify};
use tokio::task::JoinSet;
use tokio::time::{sleep, timeout, Instant};

use super::resolve;
use crate::dispatch::{Context, HandlerId, IntoReply};
use crate::framing::{FrameDecoder, Framing, StreamDecoder};
use crate::transport::{Limits, Stats};
use crate::{Dispatcher, Error, Origin, Responder, Result};

/// Size of the buffer TCP reads go into.
const READ_CHUNK: usize = 64 * 1024;

/// How many more read budgets a UDP socket drains on stop after the first
/// (as the mio server: 16 MiB with the default budget, more than a kernel
/// socket buffer holds); a TCP connection drains as many 64 KiB reads.
const MAX_DRAIN_ROUNDS: usize = 64;

/// How long a closing connection may take to write its last replies (on
/// stop, or after its peer finished sending) before they are given up.
pub const FLUSH_ON_CLOSE: Duration = Duration::from_secs(1);

/// UDP errors in a row before a socket waits for readiness again, so that
/// a socket stuck in an error state cannot spin.
const ERRORS_IN_A_ROW: usize = 16;

/// The counters, shared by the tasks and the handles.
#[derive(Debug, Default)]
struct Counters {
    packets: AtomicU64,
    errors: AtomicU64,
    dropped_connections: AtomicU64,
    connections: AtomicU64,
    dropped_datagrams: AtomicU64,
    buffered_input: AtomicU64,
    pending_output: AtomicU64,
}

impl Counters {
    fn load(&self) -> Stats {
        Stats {
            packets: self.packets.load(Relaxed),
            errors: self.errors.load(Relaxed),
            dropped_connections: self.dropped_connections.load(Relaxed),
            connections: self.connections.load(Relaxed),
            dropped_datagrams: self.dropped_datagrams.load(Relaxed),
            buffered_input: self.buffered_input.load(Relaxed),
            pending_output: self.pending_output.load(Relaxed),
        }
    }

    /// Counts one more connection if fewer than `max` are open. One atomic
    /// step: the listeners accept concurrently, and a check then an add
    /// would let each of them take the last slot.
    fn reserve_connection(&self, max: usize) -> bool {
        let max = max as u64;
        self.connections
            .fetch_update(Relaxed, Relaxed, |n| (n < max).then_some(n + 1))
            .is_ok()
    }

    /// Moves a gauge from what a task last added to it to `now`.
    fn adjust(gauge: &AtomicU64, counted: &mut u64, now: u64) {
        if now > *counted {
            gauge.fetch_add(now - *counted, Relaxed);
        } else if now < *counted {
            gauge.fetch_sub(*counted - now, Relaxed);
        }
        *counted = now;
    }
}

/// Asks a running server to stop, from any task or thread.
#[derive(Debug, Clone)]
pub struct Stopper {
    flag: Arc<watch::Sender<bool>>,
}

impl Stopper {
    /// Makes the server dispatch everything it has already received, then
    /// end (see [Stopping](Server#stopping)).
    pub fn stop(&self) {
        self.flag.send_replace(true);
    }
}

/// An async OSC server: UDP sockets and TCP listeners served by tokio
/// tasks, dispatching through a [`Dispatcher`].
///
/// # Tasks and the dispatcher
///
/// Each UDP socket, each listener and each TCP connection is a task; one
/// more task waits for the next future-timetagged bundle on a tokio timer.
/// The dispatcher is `&mut` (handlers are `FnMut`), so the tasks share it
/// behind a mutex, taken once per read (a datagram batch or a TCP read of
/// up to 64 KiB, i.e. thousands of small frames) and never held across an
/// `.await`. Replies are framed straight into the connection's output
/// buffer while it is held, and written after it is released.
///
/// # Ordering
///
/// Handlers run one at a time, on whichever runtime thread holds the
/// mutex: packets of one socket or one connection are dispatched in the
/// order they arrived and their replies leave in the order the handlers
/// made them; packets of different connections interleave in any order. A
/// slow handler delays every other socket and connection (as on the mio
/// server's loop thread) and occupies a runtime thread while it runs:
/// hand slow work to an async handler ([`Server::map_async`], whose
/// replies leave when their futures complete), or to `spawn_blocking`.
///
/// # Limits
///
/// [`Limits`] mean what they mean on the mio server: `max_datagram`,
/// `max_frame`, `max_connections` (a connection over it is accepted and
/// closed at once), `max_pending_output` (replies the peer does not read),
/// `idle_timeout` and `frame_timeout` (a timer per connection, so a
/// stalled connection is closed right when its time is up), and
/// `read_budget` for UDP sockets. TCP reads need no budget: tokio's
/// cooperative scheduling makes a connection that always has input yield
/// to the others.
///
/// # Stopping
///
/// [`Stopper::stop`], [`ServerHandle::stop`] or the future given to
/// [`Server::run_until`] stop the server gracefully: every task reads what
/// the kernel already holds for it (a bounded amount, so a flooding peer
/// cannot keep the server up), dispatches it along with the bundles due by
/// then, writes the replies (waiting at most [`FLUSH_ON_CLOSE`] for a peer
/// that does not read), and ends; then the server returns its dispatcher.
/// Bundles still in the future stay queued in the returned dispatcher.
///
/// # Example
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> osc_serde::Result<()> {
/// use std::time::Duration;
/// use osc_serde::tokio::{Server, TcpClient};
/// use osc_serde::{dispatch::Context, Dispatcher, Message, Packet};
///
/// let mut dispatcher = Dispatcher::new();
/// dispatcher.map_with_context("/ping", |ctx: &Context, n: i32| {
///     ctx.reply_to("/pong", &n).unwrap();
/// })?;
/// let mut server = Server::new(dispatcher);
/// let addr = server.listen_tcp("127.0.0.1:0").await?; // either framing
/// let stopper = server.stopper();
/// let serving = tokio::spawn(server.run());
///
/// let mut client = TcpClient::connect(addr).await?; // SLIP
/// client.send_message("/ping", &7).await?;
/// let reply = client.recv(Duration::from_secs(5)).await?.expect("a reply");
/// assert_eq!(reply, Packet::Message(Message::new("/pong").arg(7)));
///
/// stopper.stop();
/// let dispatcher = serving.await.expect("the server task")?;
/// assert_eq!(dispatcher.error_count(), 0);
/// # Ok(())
/// # }
/// ```
pub struct Server {
    dispatcher: Dispatcher,
    limits: Limits,
    udp: Vec<Arc<UdpSocket>>,
    listeners: Vec<(TcpListener, Option<Framing>)>,
    local_addrs: Vec<SocketAddr>,
    counters: Arc<Counters>,
    stop: Arc<watch::Sender<bool>>,
    /// Where async handlers send their replies once the server runs.
    late: LateReplies,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("local_addrs", &self.local_addrs)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// A server with no sockets yet, dispatching through `dispatcher`.
    pub fn new(dispatcher: Dispatcher) -> Self {
        Server {
            dispatcher,
            limits: Limits::default(),
            udp: Vec::new(),
            listeners: Vec::new(),
            local_addrs: Vec::new(),
            counters: Arc::default(),
            stop: Arc::new(watch::channel(false).0),
            late: LateReplies::default(),
        }
    }

    /// Sets the limits (before serving).
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The dispatcher, e.g. to map more handlers before serving.
    pub fn dispatcher_mut(&mut self) -> &mut Dispatcher {
        &mut self.dispatcher
    }

    /// Maps an address or pattern to an async handler: a closure taking
    /// the message's arguments decoded as `T` (as [`Dispatcher::map`]'s
    /// handlers do) and returning a future, spawned on the runtime, whose
    /// output ([`IntoReply`]) is sent back to the sender when it is ready.
    ///
    /// Ordering: the closure itself runs in dispatch order like any
    /// handler, so futures *start* in the order their packets arrived;
    /// they then run concurrently, and each reply leaves when its future
    /// completes, possibly after replies to later packets. A future still
    /// running when the server stops completes, but its reply is dropped.
    /// Errors (a reply that does not encode, a panic in the future) go to
    /// the error hook.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> osc_serde::Result<()> {
    /// use std::time::Duration;
    /// use osc_serde::tokio::{Server, UdpClient};
    /// use osc_serde::{dispatch::Reply, Dispatcher, Message, Packet};
    ///
    /// let mut server = Server::new(Dispatcher::new());
    /// server.map_async("/lookup", |key: String| async move {
    ///     tokio::time::sleep(Duration::from_millis(10)).await; // e.g. a database
    ///     Reply::to("/found", (key, 42))
    /// })?;
    /// let addr = server.bind_udp("127.0.0.1:0").await?;
    /// let _handle = server.spawn();
    ///
    /// let mut client = UdpClient::new(addr).await?;
    /// client.send_message("/lookup", &"answer").await?;
    /// let (reply, _) = client.recv_from(Duration::from_secs(5)).await?.expect("a reply");
    /// assert_eq!(reply, Packet::Message(Message::new("/found").arg("answer").arg(42)));
    /// # Ok(())
    /// # }
    /// ```
    pub fn map_async<T, R, F, Fut>(&mut self, pattern: &str, mut handler: F) -> Result<HandlerId>
    where
        T: DeserializeOwned + 'static,
        F: FnMut(T) -> Fut + Send + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoReply + Send + 'static,
    {
        let late = self.late.clone();
        self.dispatcher
            .map_with_context(pattern, move |ctx: &Context<'_>, args: T| {
                let future = handler(args);
                let origin = *ctx.origin();
                let late = late.clone();
                tokio::spawn(async move {
                    // The future runs in its own task, so a panic there is
                    // caught here and reported like a handler's.
                    let outcome = tokio::spawn(future).await;
                    late.send(origin, outcome).await;
                });
            })
    }

    /// Binds a UDP socket (port 0 picks a free one) and returns its address.
    pub async fn bind_udp(&mut self, addr: impl ToSocketAddrs) -> Result<SocketAddr> {
        let socket = UdpSocket::bind(resolve(addr).await?).await?;
        self.add_udp(socket)
    }

    /// Serves an already bound UDP socket and returns its address.
    pub fn add_udp(&mut self, socket: UdpSocket) -> Result<SocketAddr> {
        let local = socket.local_addr()?;
        self.udp.push(Arc::new(socket));
        self.local_addrs.push(local);
        Ok(local)
    }

    /// Listens for TCP connections, detecting each one's framing from its
    /// first byte (SLIP if it is 0xC0, else the OSC 1.0 length prefix), and
    /// returns the listening address.
    pub async fn listen_tcp(&mut self, addr: impl ToSocketAddrs) -> Result<SocketAddr> {
        let listener = TcpListener::bind(resolve(addr).await?).await?;
        self.add_listener(listener, None)
    }

    /// Listens for TCP connections that all use `framing`.
    pub async fn listen_tcp_with(
        &mut self,
        addr: impl ToSocketAddrs,
        framing: Framing,
    ) -> Result<SocketAddr> {
        let listener = TcpListener::bind(resolve(addr).await?).await?;
        self.add_listener(listener, Some(framing))
    }

    /// Serves an already bound listener (`framing`: `None` detects) and
    /// returns its address.
    pub fn add_listener(
        &mut self,
        listener: TcpListener,
        framing: Option<Framing>,
    ) -> Result<SocketAddr> {
        let local = listener.local_addr()?;
        self.listeners.push((listener, framing));
        self.local_addrs.push(local);
        Ok(local)
    }

    fn udp(&self, local: SocketAddr) -> Result<&UdpSocket> {
        self.udp
            .iter()
            .find(|s| s.local_addr().ok() == Some(local))
            .map(|s| &**s)
            .ok_or(Error::NoUdpSocketAt)
    }

    /// Joins the IPv4 multicast `group` on `interface` with the UDP socket
    /// bound at `socket` (an address [`bind_udp`](Self::bind_udp) returned).
    pub fn join_multicast_v4(
        &self,
        socket: SocketAddr,
        group: Ipv4Addr,
        interface: Ipv4Addr,
    ) -> Result<()> {
        Ok(self.udp(socket)?.join_multicast_v4(group, interface)?)
    }

    /// Joins the IPv6 multicast `group` on the interface with index
    /// `interface` (0: any) with the UDP socket bound at `socket`.
    pub fn join_multicast_v6(
        &self,
        socket: SocketAddr,
        group: &Ipv6Addr,
        interface: u32,
    ) -> Result<()> {
        Ok(self.udp(socket)?.join_multicast_v6(group, interface)?)
    }

    /// The addresses of all bound UDP sockets and TCP listeners, in the
    /// order they were added.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.local_addrs
    }

    /// The counters.
    pub fn stats(&self) -> Stats {
        self.counters.load()
    }

    /// A [`Stopper`] for this server.
    pub fn stopper(&self) -> Stopper {
        Stopper {
            flag: self.stop.clone(),
        }
    }

    /// Serves until stopped through a [`Stopper`], then dispatches
    /// everything already received and returns the dispatcher.
    pub async fn run(self) -> Result<Dispatcher> {
        self.run_until(std::future::pending()).await
    }

    /// Serves until `signal` completes (e.g. `tokio::signal::ctrl_c()`) or
    /// a [`Stopper`] stops it, then dispatches everything already received
    /// and returns the dispatcher.
    pub async fn run_until(self, signal: impl Future<Output = ()>) -> Result<Dispatcher> {
        let Server {
            dispatcher,
            limits,
            udp,
            listeners,
            counters,
            stop,
            late,
            ..
        } = self;
        counters.errors.store(dispatcher.error_count(), Relaxed);
        let shared = Arc::new(Shared {
            dispatcher: Mutex::new(dispatcher),
            limits,
            counters,
            routes: Mutex::default(),
            enqueued: Notify::new(),
            next_token: AtomicUsize::new(0),
        });
        late.start(&shared);
        let mut tasks = JoinSet::new();
        for socket in udp {
            let token = shared.register(Route::Udp(socket.clone()));
            tasks.spawn(serve_udp(shared.clone(), socket, token, stop.subscribe()));
        }
        for (listener, framing) in listeners {
            tasks.spawn(accept(shared.clone(), listener, framing, stop.subscribe()));
        }
        tasks.spawn(run_schedule(shared.clone(), stop.subscribe()));
        let mut stop_rx = stop.subscribe();
        tokio::select! {
            () = signal => {}
            () = stopped(&mut stop_rx) => {}
        }
        stop.send_replace(true);
        while tasks.join_next().await.is_some() {}
        // An async handler's task may still hold `shared` for a moment:
        // take the dispatcher out rather than unwrapping the `Arc`, and
        // the routes with it, so that late replies go nowhere.
        shared.routes_lock().clear();
        let mut dispatcher = shared
            .dispatcher
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Ok(std::mem::take(&mut *dispatcher))
    }

    /// Runs the server on a new task of the current runtime.
    pub fn spawn(self) -> ServerHandle {
        ServerHandle {
            local_addrs: self.local_addrs.clone(),
            stopper: self.stopper(),
            counters: self.counters.clone(),
            task: Some(tokio::spawn(self.run())),
        }
    }
}

/// A server running on its own task ([`Server::spawn`]). Dropping the
/// handle stops the server.
#[derive(Debug)]
pub struct ServerHandle {
    local_addrs: Vec<SocketAddr>,
    stopper: Stopper,
    counters: Arc<Counters>,
    task: Option<tokio::task::JoinHandle<Result<Dispatcher>>>,
}

impl ServerHandle {
    /// The address of the first socket or listener.
    ///
    /// Panics if the server had none.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addrs[0]
    }

    /// The addresses of all sockets and listeners, in the order added.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.local_addrs
    }

    /// The server's counters.
    pub fn stats(&self) -> Stats {
        self.counters.load()
    }

    /// A [`Stopper`] for this server.
    pub fn stopper(&self) -> Stopper {
        self.stopper.clone()
    }

    /// Asks the server to stop: it dispatches everything already received,
    /// then its task ends. [`join`](Self::join) waits for that.
    pub fn stop(&self) {
        self.stopper.stop();
    }

    /// Waits for the server task to end (after [`stop`](Self::stop)) and
    /// returns the dispatcher, or the error that ended the server.
    pub async fn join(mut self) -> Result<Dispatcher> {
        let task = self.task.take().expect("joined once");
        match task.await {
            Ok(result) => result,
            Err(_) => Err(Error::Custom("the server task panicked".into())),
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if self.task.is_some() {
            self.stopper.stop();
        }
    }
}

/// The way from async handlers' tasks to the running server: set when it
/// starts, gone when it stops (replies are then dropped).
#[derive(Clone, Default)]
struct LateReplies(Arc<std::sync::OnceLock<std::sync::Weak<Shared>>>);

impl LateReplies {
    fn start(&self, shared: &Arc<Shared>) {
        let _ = self.0.set(Arc::downgrade(shared));
    }

    /// Encodes an async handler's reply and routes it to `origin`.
    async fn send<R: IntoReply>(
        &self,
        origin: Origin,
        outcome: std::result::Result<R, tokio::task::JoinError>,
    ) {
        let Some(shared) = self.0.get().and_then(std::sync::Weak::upgrade) else {
            return;
        };
        let mut packet = Vec::new();
        let encoded = match outcome {
            Ok(reply) => reply.write_reply(&mut packet),
            Err(e) => Err(Error::Custom(
                format!("an async handler failed: {e}").into(),
            )),
        };
        match encoded {
            Err(e) => shared.report(&e, origin),
            Ok(()) if packet.is_empty() => {}
            Ok(()) => shared.route(vec![(origin, packet)]).await,
        }
    }
}

/// Where replies for an origin's token go when they are not made while
/// that origin's own task holds the dispatcher (due bundles).
enum Route {
    Udp(Arc<UdpSocket>),
    Conn(mpsc::UnboundedSender<Vec<u8>>),
}

/// What the tasks share.
struct Shared {
    dispatcher: Mutex<Dispatcher>,
    limits: Limits,
    counters: Arc<Counters>,
    /// By origin token; tokens are never reused, so a late reply cannot
    /// reach a newer connection.
    routes: Mutex<std::collections::HashMap<usize, Route>>,
    /// Signalled when a dispatch queued a future bundle: the schedule task
    /// may have to wake earlier.
    enqueued: Notify,
    next_token: AtomicUsize,
}

/// A locked dispatcher; on release it publishes the error count and wakes
/// the schedule task if a bundle was queued meanwhile.
struct Locked<'a> {
    shared: &'a Shared,
    guard: MutexGuard<'a, Dispatcher>,
    queued: usize,
}

impl std::ops::Deref for Locked<'_> {
    type Target = Dispatcher;
    fn deref(&self) -> &Dispatcher {
        &self.guard
    }
}

impl std::ops::DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut Dispatcher {
        &mut self.guard
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        let counters = &self.shared.counters;
        counters.errors.store(self.guard.error_count(), Relaxed);
        if self.guard.queued() > self.queued {
            self.shared.enqueued.notify_one();
        }
    }
}

impl Shared {
    fn lock(&self) -> Locked<'_> {
        let guard = self
            .dispatcher
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let queued = guard.queued();
        Locked {
            shared: self,
            guard,
            queued,
        }
    }

    fn register(&self, route: Route) -> usize {
        let token = self.next_token.fetch_add(1, Relaxed);
        self.routes_lock().insert(token, route);
        token
    }

    fn routes_lock(&self) -> MutexGuard<'_, std::collections::HashMap<usize, Route>> {
        self.routes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn report(&self, error: &Error, origin: Origin) {
        self.lock().report_error(error, Some(&origin));
    }

    /// Dispatches the bundles that are due and sends their replies.
    async fn run_due(&self) {
        let mut replies: Vec<(Origin, Vec<u8>)> = Vec::new();
        self.lock().run_due(&mut replies);
        self.route(replies).await;
    }

    /// Sends replies through their origins' routes.
    async fn route(&self, replies: Vec<(Origin, Vec<u8>)>) {
        for (origin, packet) in replies {
            let socket = match self.routes_lock().get(&origin.token) {
                Some(Route::Conn(conn)) => {
                    // A closed connection's replies are dropped.
                    let _ = conn.send(packet);
                    continue;
                }
                Some(Route::Udp(socket)) => socket.clone(),
                None => continue,
            };
            if let Some(peer) = origin.peer {
                if let Err(e) = socket.send_to(&packet, peer).await {
                    self.report(&e.into(), origin);
                }
            }
        }
    }
}

/// Completes once a stop is asked for (at once if it was already), or
/// when every [`Stopper`] is gone.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|&s| s).await;
}

/// Replies made while dispatching a UDP socket's datagrams, sent once the
/// dispatcher is released.
#[derive(Default)]
struct Datagrams {
    bytes: Vec<u8>,
    entries: Vec<(Origin, usize, usize)>,
}

impl Responder for Datagrams {
    fn respond(&mut self, origin: &Origin, packet: &[u8]) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(packet);
        self.entries.push((*origin, start, self.bytes.len()));
    }
}

async fn serve_udp(
    shared: Arc<Shared>,
    socket: Arc<UdpSocket>,
    token: usize,
    mut stop: watch::Receiver<bool>,
) {
    // One byte more than the largest datagram tells an oversized one.
    let mut buf = vec![0; shared.limits.max_datagram.min(65_535) + 1];
    let mut replies = Datagrams::default();
    loop {
        tokio::select! {
            biased;
            () = stopped(&mut stop) => break,
            ready = socket.readable() => if let Err(e) = ready {
                shared.report(&e.into(), Origin { peer: None, token });
                break;
            },
        }
        let more = read_datagrams(&shared, &socket, token, &mut buf, &mut replies);
        send_datagrams(&shared, &socket, &mut replies).await;
        if more {
            // The budget ran out with input left: let the other tasks in.
            tokio::task::yield_now().await;
        }
    }
    for _ in 0..=MAX_DRAIN_ROUNDS {
        let more = read_datagrams(&shared, &socket, token, &mut buf, &mut replies);
        send_datagrams(&shared, &socket, &mut replies).await;
        if !more {
            break;
        }
    }
    shared.run_due().await;
}

/// Reads and dispatches the datagrams the kernel holds, up to the read
/// budget; returns whether the budget ran out first.
fn read_datagrams(
    shared: &Shared,
    socket: &UdpSocket,
    token: usize,
    buf: &mut [u8],
    replies: &mut Datagrams,
) -> bool {
    let limits = &shared.limits;
    let mut budget = limits.read_budget.max(1);
    let mut errors_left = ERRORS_IN_A_ROW;
    let mut packets = 0;
    let mut dispatcher: Option<Locked<'_>> = None;
    let more = loop {
        if budget == 0 {
            break true;
        }
        let (n, peer) = match socket.try_recv_from(buf) {
            Ok(received) => {
                errors_left = ERRORS_IN_A_ROW;
                received
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break false,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                // E.g. ICMP port unreachable for an earlier reply: not fatal.
                let d = dispatcher.get_or_insert_with(|| shared.lock());
                d.report_error(&e.into(), Some(&Origin { peer: None, token }));
                errors_left -= 1;
                if errors_left == 0 {
                    break false;
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
        let d = dispatcher.get_or_insert_with(|| shared.lock());
        if n > limits.max_datagram {
            shared.counters.dropped_datagrams.fetch_add(1, Relaxed);
            let error = Error::frame_too_large(n, limits.max_datagram);
            d.report_error(&error, Some(&origin));
            continue;
        }
        packets += 1;
        d.dispatch(&buf[..n], origin, replies);
    };
    shared.counters.packets.fetch_add(packets, Relaxed);
    more
}

async fn send_datagrams(shared: &Shared, socket: &UdpSocket, replies: &mut Datagrams) {
    for &(origin, start, end) in &replies.entries {
        let Some(peer) = origin.peer else { continue };
        let packet = &replies.bytes[start..end];
        let sent = match socket.try_send_to(packet, peer) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => socket.send_to(packet, peer).await,
            sent => sent,
        };
        if let Err(e) = sent {
            shared.report(&e.into(), origin);
        }
    }
    replies.entries.clear();
    replies.bytes.clear();
}

async fn accept(
    shared: Arc<Shared>,
    listener: TcpListener,
    framing: Option<Framing>,
    mut stop: watch::Receiver<bool>,
) {
    let mut conns = JoinSet::new();
    let for_conns = stop.clone();
    loop {
        tokio::select! {
            biased;
            () = stopped(&mut stop) => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let counters = &shared.counters;
                    if !counters.reserve_connection(shared.limits.max_connections) {
                        counters.dropped_connections.fetch_add(1, Relaxed);
                        continue;
                    }
                    let _ = stream.set_nodelay(true);
                    let (tx, rx) = mpsc::unbounded_channel();
                    let token = shared.register(Route::Conn(tx));
                    let conn = Conn::new(&shared, peer, token, framing);
                    conns.spawn(serve_conn(shared.clone(), stream, conn, rx, for_conns.clone()));
                }
                Err(e) => {
                    // E.g. out of file descriptors: wait a little, so as
                    // not to spin, and try again.
                    shared.report(&e.into(), Origin::default());
                    sleep(Duration::from_millis(10)).await;
                }
            },
        }
    }
    while conns.join_next().await.is_some() {}
}

/// Waits for the next future-timetagged bundle on a tokio timer and
/// dispatches it when due.
async fn run_schedule(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    loop {
        let wait = shared.lock().next_due_in();
        tokio::select! {
            biased;
            () = stopped(&mut stop) => break,
            () = shared.enqueued.notified() => {}
            () = sleep(wait.unwrap_or_default()), if wait.is_some() => shared.run_due().await,
        }
    }
}

/// One TCP connection's state.
struct Conn {
    origin: Origin,
    decoder: FrameDecoder<Vec<u8>>,
    /// Framed replies not yet written.
    out: Vec<u8>,
    /// `out.len()` and `decoder.buffered()` as last added to the gauges.
    counted_output: u64,
    counted_input: u64,
    /// When bytes last moved: accepted, read, or written to the kernel.
    last_active: Instant,
    /// When the read that began the unfinished frame was made
    /// ([`Limits::frame_timeout`]).
    frame_started: Option<Instant>,
    /// Replies routed to another origin while this task held the
    /// dispatcher (only due bundles make these).
    elsewhere: Vec<(Origin, Vec<u8>)>,
}

/// How a connection ended.
enum End {
    Stop,
    Eof,
    Failed(Error),
    /// Bad input, already reported.
    BadInput,
    TooMuchOutput,
}

/// Replies to a connection's own packets, framed straight into its output.
struct ConnReplies<'a> {
    token: usize,
    framing: Framing,
    out: &'a mut Vec<u8>,
    elsewhere: &'a mut Vec<(Origin, Vec<u8>)>,
}

impl Responder for ConnReplies<'_> {
    fn respond(&mut self, origin: &Origin, packet: &[u8]) {
        if origin.token == self.token {
            // Cannot fail: replies stay far below the 2 GiB a length
            // prefix can state.
            let _ = self.framing.encode(packet, self.out);
        } else {
            self.elsewhere.push((*origin, packet.to_vec()));
        }
    }
}

impl Conn {
    fn new(shared: &Shared, peer: SocketAddr, token: usize, framing: Option<Framing>) -> Self {
        Conn {
            origin: Origin {
                peer: Some(peer),
                token,
            },
            decoder: FrameDecoder::new(framing, shared.limits.max_frame),
            out: Vec::new(),
            counted_output: 0,
            counted_input: 0,
            last_active: Instant::now(),
            frame_started: None,
            elsewhere: Vec::new(),
        }
    }

    /// When the connection is to be closed unless bytes move.
    fn deadline(&self, limits: &Limits) -> Option<Instant> {
        let idle = limits.idle_timeout.map(|t| self.last_active + t);
        let frame = limits
            .frame_timeout
            .zip(self.frame_started)
            .map(|(t, started)| started + t);
        match (idle, frame) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The error that closes the connection at `now`, if a timeout ran
    /// out: [`Error::FrameTimeout`] or [`Error::IdleTimeout`], as the mio
    /// server reports them.
    fn timed_out(&self, limits: &Limits, now: Instant) -> Option<Error> {
        if let (Some(limit), Some(started)) = (limits.frame_timeout, self.frame_started) {
            if now >= started + limit {
                return Some(Error::frame_timeout(limit));
            }
        }
        let limit = limits.idle_timeout?;
        (now >= self.last_active + limit).then(|| Error::idle_timeout(limit))
    }

    /// Decodes and dispatches the frames `input` completes; the error is
    /// the framing error that must close the connection (already
    /// reported).
    fn process(&mut self, shared: &Shared, mut input: &[u8]) -> Result<(), ()> {
        let now = Instant::now();
        self.last_active = now;
        let mut dispatcher: Option<Locked<'_>> = None;
        let mut packets = 0;
        let mut failed = false;
        loop {
            match self.decoder.feed(&mut input) {
                Ok(true) => {
                    packets += 1;
                    let d = dispatcher.get_or_insert_with(|| shared.lock());
                    let mut replies = ConnReplies {
                        token: self.origin.token,
                        framing: self.decoder.framing().unwrap_or_default(),
                        out: &mut self.out,
                        elsewhere: &mut self.elsewhere,
                    };
                    d.dispatch(self.decoder.frame(), self.origin, &mut replies);
                }
                Ok(false) => break,
                Err(e) => {
                    let d = dispatcher.get_or_insert_with(|| shared.lock());
                    d.report_error(&e, Some(&self.origin));
                    failed = true;
                    break;
                }
            }
        }
        drop(dispatcher);
        let counters = &shared.counters;
        counters.packets.fetch_add(packets, Relaxed);
        let held = self.decoder.buffered() as u64;
        Counters::adjust(&counters.buffered_input, &mut self.counted_input, held);
        // The unfinished frame began in this read if the decoder held
        // nothing before it or finished a frame during it.
        self.frame_started = match self.frame_started {
            _ if held == 0 => None,
            Some(started) if packets == 0 => Some(started),
            _ => Some(now),
        };
        self.count_output(shared);
        if failed {
            Err(())
        } else {
            Ok(())
        }
    }

    /// Appends a reply routed here from elsewhere (a due bundle).
    fn queue_reply(&mut self, shared: &Shared, packet: &[u8]) {
        let framing = self.decoder.framing().unwrap_or_default();
        let _ = framing.encode(packet, &mut self.out);
        self.count_output(shared);
    }

    fn wrote(&mut self, shared: &Shared, n: usize) {
        self.out.drain(..n);
        self.last_active = Instant::now();
        self.count_output(shared);
    }

    fn count_output(&mut self, shared: &Shared) {
        let pending = self.out.len() as u64;
        Counters::adjust(
            &shared.counters.pending_output,
            &mut self.counted_output,
            pending,
        );
    }

    /// Takes the connection out of the gauges and the routes.
    fn retire(&mut self, shared: &Shared, dropped: bool) {
        let counters = &shared.counters;
        Counters::adjust(&counters.buffered_input, &mut self.counted_input, 0);
        Counters::adjust(&counters.pending_output, &mut self.counted_output, 0);
        counters.connections.fetch_sub(1, Relaxed);
        if dropped {
            counters.dropped_connections.fetch_add(1, Relaxed);
        }
        shared.routes_lock().remove(&self.origin.token);
    }
}

async fn serve_conn(
    shared: Arc<Shared>,
    mut stream: TcpStream,
    mut conn: Conn,
    mut routed: mpsc::UnboundedReceiver<Vec<u8>>,
    mut stop: watch::Receiver<bool>,
) {
    let limits = shared.limits;
    let mut buf = vec![0; READ_CHUNK];
    let (mut reader, mut writer) = stream.split();
    let timer = sleep(Duration::ZERO);
    tokio::pin!(timer);
    let end = loop {
        let deadline = conn.deadline(&limits);
        // Activity only moves the deadline later: the timer is re-armed
        // when it fires early (below) or must fire earlier, not on every
        // read.
        if let Some(deadline) = deadline {
            if timer.deadline() > deadline || timer.is_elapsed() {
                timer.as_mut().reset(deadline);
            }
        }
        tokio::select! {
            biased;
            () = stopped(&mut stop) => break End::Stop,
            written = writer.write(&conn.out), if !conn.out.is_empty() => match written {
                Ok(0) => break End::Failed(io::Error::from(io::ErrorKind::WriteZero).into()),
                Ok(n) => conn.wrote(&shared, n),
                Err(e) => break End::Failed(e.into()),
            },
            Some(packet) = routed.recv() => conn.queue_reply(&shared, &packet),
            read = reader.read(&mut buf) => match read {
                Ok(0) => break End::Eof,
                Ok(n) => if conn.process(&shared, &buf[..n]).is_err() {
                    break End::BadInput;
                },
                Err(e) => break End::Failed(e.into()),
            },
            () = &mut timer, if deadline.is_some() => {
                if let Some(timed_out) = conn.timed_out(&limits, Instant::now()) {
                    break End::Failed(timed_out);
                }
            }
        }
        if !conn.elsewhere.is_empty() {
            shared.route(std::mem::take(&mut conn.elsewhere)).await;
        }
        if conn.out.len() > limits.max_pending_output {
            break End::TooMuchOutput;
        }
    };
    let dropped = match end {
        End::Stop => {
            // Dispatch what the kernel already holds, then the due bundles.
            for _ in 0..MAX_DRAIN_ROUNDS {
                match reader.try_read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        if conn.process(&shared, &buf[..n]).is_err() {
                            break;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            shared.run_due().await;
            false
        }
        End::Eof => false,
        End::BadInput => true,
        End::Failed(e) => {
            shared.report(&e, conn.origin);
            true
        }
        End::TooMuchOutput => {
            let e = Error::Custom(
                format!(
                    "over {} bytes of replies the peer does not read",
                    limits.max_pending_output
                )
                .into(),
            );
            shared.report(&e, conn.origin);
            true
        }
    };
    if !dropped {
        while let Ok(packet) = routed.try_recv() {
            conn.queue_reply(&shared, &packet);
        }
        let _ = timeout(FLUSH_ON_CLOSE, writer.write_all(&conn.out)).await;
        conn.out.clear();
    }
    conn.retire(&shared, dropped);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two threads reserving and releasing as fast as they can never see
    /// more connections counted than the limit.
    #[test]
    fn connection_reservations_never_pass_the_limit() {
        let counters = Counters::default();
        let max = 3;
        // Two slots stay taken, so the threads contend for the last one.
        assert!(counters.reserve_connection(max));
        assert!(counters.reserve_connection(max));
        std::thread::scope(|scope| {
            for _ in 0..2 {
                scope.spawn(|| {
                    for _ in 0..200_000 {
                        if counters.reserve_connection(max) {
                            let open = counters.connections.load(Relaxed);
                            assert!(open <= max as u64, "{open} open");
                            counters.connections.fetch_sub(1, Relaxed);
                        }
                    }
                });
            }
        });
        assert_eq!(counters.connections.load(Relaxed), 2);
        assert!(!Counters::default().reserve_connection(0));
    }
}
