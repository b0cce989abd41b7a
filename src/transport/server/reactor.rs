//! The loop's I/O: what the server does when a socket, listener or
//! connection is ready. It reads datagrams and frames within the read
//! budget, hands each packet to the [`PacketSink`] (or the worker pool),
//! sends the replies, accepts connections within the accept budget, and
//! closes stalled connections in periodic sweeps.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use mio::{Interest, Registry, Token};

use super::conn::Conn;
use super::limits::{Limits, Stats};
use super::pool::Pool;
use super::sink::PacketSink;
use super::slots::{Slots, Source};
use crate::{Error, Origin, Responder};

/// How many more read budgets per source a stop drains after the first
/// read: with the default 256 KiB budget, 16 MiB, more than a kernel socket
/// buffer holds, so whatever had arrived is dispatched; a peer that floods
/// without pause cannot keep [`Server::run`](super::Server::run) from
/// returning.
const MAX_DRAIN_ROUNDS: usize = 64;

/// Size of the buffer TCP reads go into.
const READ_CHUNK: usize = 64 * 1024;

/// Most connections accepted from one listener per turn: a burst of
/// connects is taken in slices between the other sources' turns, like a
/// flooding peer's input (the rest wait in the kernel's accept queue).
const ACCEPT_BUDGET: usize = 64;

/// UDP receive errors in a row before the loop leaves a socket until its
/// next event, so that a socket stuck in an error state cannot hang it.
const UDP_ERRORS_IN_A_ROW: usize = 16;

/// How often, as a fraction of the shorter of [`Limits::idle_timeout`] and
/// [`Limits::frame_timeout`], the loop looks for stalled connections: a
/// connection is closed between one and 1¼ of the shorter timeout after
/// it expired, and the sweep (one pass over the slots) runs at most four
/// times per timeout.
const SWEEPS_PER_TIMEOUT: u32 = 4;

/// The shortest interval between sweeps, so that a tiny timeout cannot
/// make the loop spin.
const MIN_SWEEP_INTERVAL: Duration = Duration::from_millis(1);

/// Replies made while handling a packet, sent once the sink returns (the
/// sockets cannot be borrowed while a packet read from one is handled).
#[derive(Debug, Default)]
pub(super) struct Replies {
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

/// The sources and everything the loop keeps between events.
#[derive(Debug)]
pub(super) struct Reactor {
    pub(super) registry: Registry,
    pub(super) slots: Slots,
    pub(super) replies: Replies,
    /// Worker threads, when handlers run off the loop thread.
    pub(super) pool: Option<Pool>,
    /// Errors counted by worker pools that have finished.
    pub(super) retired_pool_errors: u64,
    buf: Box<[u8]>,
    limits: Limits,
    /// The counters kept by the loop (`errors` is the sinks' count, filled
    /// in when they are published).
    pub(super) counts: Stats,
    /// Sockets and connections that used up their read budget with input
    /// left (or listeners that used up their accept budget): read again on
    /// the next turn, after the others.
    pub(super) unfinished: Vec<usize>,
    /// When to look for stalled connections next.
    next_sweep: Instant,
}

impl Reactor {
    pub(super) fn new(registry: Registry, limits: Limits) -> Self {
        Reactor {
            registry,
            slots: Slots::default(),
            replies: Replies::default(),
            pool: None,
            retired_pool_errors: 0,
            buf: buffer(&limits),
            limits,
            counts: Stats::default(),
            unfinished: Vec::new(),
            next_sweep: Instant::now(),
        }
    }

    pub(super) fn limits(&self) -> Limits {
        self.limits
    }

    pub(super) fn set_limits(&mut self, limits: Limits) {
        self.buf = buffer(&limits);
        self.limits = limits;
    }

    /// Registers and keeps a socket or listener (or connection).
    pub(super) fn insert(&mut self, source: Source) -> crate::Result<usize> {
        self.slots
            .insert(&self.registry, source, Interest::READABLE)
    }

    /// The shorter of the two timeouts a sweep checks, if any is set.
    fn sweep_timeout(&self) -> Option<Duration> {
        [self.limits.idle_timeout, self.limits.frame_timeout]
            .into_iter()
            .flatten()
            .min()
    }

    /// How long until the next sweep for stalled connections, if one is
    /// needed: never without a timeout or without connections (the clock
    /// is read only when one is).
    pub(super) fn next_sweep_in(&self) -> Option<Duration> {
        if self.counts.connections == 0 {
            return None;
        }
        self.sweep_timeout()?;
        Some(self.next_sweep.saturating_duration_since(Instant::now()))
    }

    /// Closes the connections that have stalled ([`Conn::stall`]), if a
    /// sweep is due: one pass over the slots, at most
    /// [`SWEEPS_PER_TIMEOUT`] times per shorter timeout, rather than a
    /// timer per connection.
    pub(super) fn close_stalled(&mut self, sink: &mut impl PacketSink) {
        if self.counts.connections == 0 {
            return;
        }
        let Some(shorter) = self.sweep_timeout() else {
            return;
        };
        let now = Instant::now();
        if now < self.next_sweep {
            return;
        }
        self.next_sweep = now + (shorter / SWEEPS_PER_TIMEOUT).max(MIN_SWEEP_INTERVAL);
        for token in 0..self.slots.len() {
            let Some(conn) = self.slots.conn_mut(token) else {
                continue;
            };
            if let Some(stall) = conn.stall(now, &self.limits) {
                let origin = origin(token, conn);
                sink.report_error(&stall.error(), Some(&origin));
                self.close(token, true);
            }
        }
    }

    /// Handles a readiness event for `token`.
    pub(super) fn handle(
        &mut self,
        token: usize,
        event: &mio::event::Event,
        sink: &mut impl PacketSink,
    ) {
        match self.slots.get(token) {
            Some(Source::Udp(_)) => self.read_udp(token, sink),
            Some(Source::Listener(..)) => self.accept(token, sink),
            Some(Source::Conn(_)) => {
                if event.is_writable() {
                    self.write_conn(token);
                }
                if event.is_readable() || event.is_read_closed() || event.is_error() {
                    self.read_conn(token, sink);
                }
            }
            None => {}
        }
    }

    /// Reads a socket or connection that had input left after its last
    /// turn, or accepts more on a listener that had connections left (if
    /// its token still names one).
    pub(super) fn read_more(&mut self, token: usize, sink: &mut impl PacketSink) {
        match self.slots.get(token) {
            Some(Source::Udp(_)) => self.read_udp(token, sink),
            Some(Source::Listener(..)) => self.accept(token, sink),
            Some(Source::Conn(_)) => self.read_conn(token, sink),
            None => {}
        }
    }

    fn read_udp(&mut self, token: usize, sink: &mut impl PacketSink) {
        let mut errors_left = UDP_ERRORS_IN_A_ROW;
        // At least one read, even with a zero budget.
        let mut budget = self.limits.read_budget.max(1);
        loop {
            if budget == 0 {
                self.unfinished.push(token);
                return;
            }
            let Some(Source::Udp(socket)) = self.slots.get(token) else {
                return;
            };
            let (n, peer) = match socket.recv_from(&mut self.buf) {
                Ok(received) => {
                    errors_left = UDP_ERRORS_IN_A_ROW;
                    received
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // E.g. ICMP port unreachable for an earlier reply: not fatal.
                    sink.report_error(&e.into(), Some(&Origin { peer: None, token }));
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
                sink.report_error(&error, Some(&origin));
                continue;
            }
            self.counts.packets += 1;
            deliver(&self.buf[..n], origin, sink, &self.pool, &mut self.replies);
            self.send_replies(sink);
        }
    }

    /// Accepts up to [`ACCEPT_BUDGET`] connections, then leaves the rest
    /// for the next turn.
    fn accept(&mut self, token: usize, sink: &mut impl PacketSink) {
        let mut budget = ACCEPT_BUDGET;
        loop {
            if budget == 0 {
                self.unfinished.push(token);
                return;
            }
            let Some(Source::Listener(listener, framing)) = self.slots.get(token) else {
                return;
            };
            let framing = *framing;
            let (stream, peer) = match listener.accept() {
                Ok(accepted) => accepted,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // E.g. out of file descriptors: try again on the next event.
                    sink.report_error(&e.into(), Some(&Origin { peer: None, token }));
                    return;
                }
            };
            budget -= 1;
            if self.counts.connections >= self.limits.max_connections as u64 {
                self.counts.dropped_connections += 1;
                continue;
            }
            let _ = stream.set_nodelay(true);
            let conn = Conn::new(stream, peer, framing, &self.limits, Instant::now());
            match self.insert(Source::Conn(Box::new(conn))) {
                Ok(_) => self.counts.connections += 1,
                Err(e) => sink.report_error(
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
    /// is used, handing over every whole frame; closes it at end of stream
    /// or on bad input.
    fn read_conn(&mut self, token: usize, sink: &mut impl PacketSink) {
        // At least one read, even with a zero budget.
        let mut budget = self.limits.read_budget.max(1);
        loop {
            let Some(conn) = self.slots.conn_mut(token) else {
                return;
            };
            if budget == 0 {
                self.unfinished.push(token);
                return;
            }
            let origin = origin(token, conn);
            let n = match (&conn.stream).read(&mut self.buf) {
                Ok(0) => {
                    self.send_replies(sink);
                    self.close(token, false);
                    return;
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    sink.report_error(&e.into(), Some(&origin));
                    self.close(token, true);
                    return;
                }
            };
            budget = budget.saturating_sub(n);
            let (pool, replies) = (&self.pool, &mut self.replies);
            let received =
                conn.received(&self.buf[..n], Instant::now(), &mut self.counts, |frame| {
                    deliver(frame, origin, sink, pool, replies)
                });
            if let Err(e) = &received {
                sink.report_error(e, Some(&origin));
            }
            self.send_replies(sink);
            if received.is_err() {
                self.close(token, true);
                return;
            }
        }
    }

    /// Sends the replies the sink (or the workers) made.
    #[inline]
    pub(super) fn send_replies(&mut self, sink: &mut impl PacketSink) {
        if !self.replies.entries.is_empty() {
            self.send_queued_replies(sink);
        }
    }

    fn send_queued_replies(&mut self, sink: &mut impl PacketSink) {
        let mut entries = std::mem::take(&mut self.replies.entries);
        for (origin, start, end) in entries.drain(..) {
            let packet = &self.replies.bytes[start..end];
            match self.slots.get_mut(origin.token) {
                Some(Source::Udp(socket)) => {
                    let Some(peer) = origin.peer else { continue };
                    if let Err(e) = socket.send_to(packet, peer) {
                        sink.report_error(&e.into(), Some(&origin));
                    }
                }
                Some(Source::Conn(conn)) if Some(conn.peer) == origin.peer => {
                    match conn.queue_reply(packet, &mut self.counts) {
                        Ok(()) => self.write_conn(origin.token),
                        Err(e) => sink.report_error(&e, Some(&origin)),
                    }
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
        let Some(conn) = self.slots.conn_mut(token) else {
            return;
        };
        let mut written = 0;
        let mut failed = false;
        let pending = conn.pending();
        while written < pending.len() {
            match (&conn.stream).write(&pending[written..]) {
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
        conn.wrote(written, Instant::now(), &mut self.counts);
        if failed || conn.over_pending_limit(&self.limits) {
            self.close(token, true);
            return;
        }
        if let Some(writing) = conn.writable_interest_change() {
            let interest = if writing {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            if self
                .registry
                .reregister(&mut conn.stream, Token(token), interest)
                .is_err()
            {
                self.close(token, true);
            }
        }
    }

    /// Closes the connection in slot `token` (`dropped`: by the server,
    /// counted in [`Stats::dropped_connections`]).
    fn close(&mut self, token: usize, dropped: bool) {
        if let Some(conn) = self.slots.remove_conn(&self.registry, token) {
            conn.uncount(&mut self.counts);
            self.counts.connections -= 1;
            if dropped {
                self.counts.dropped_connections += 1;
            }
        }
    }

    /// On stop: hands over whatever the sockets already hold.
    pub(super) fn drain(&mut self, sink: &mut impl PacketSink) {
        for token in 0..self.slots.len() {
            match self.slots.get(token) {
                Some(Source::Udp(_)) => self.read_udp(token, sink),
                Some(Source::Conn(_)) => {
                    self.read_conn(token, sink);
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
                if !matches!(self.slots.get(token), Some(Source::Listener(..))) {
                    self.read_more(token, sink);
                }
            }
        }
        sink.run_due(&mut self.replies);
        self.send_replies(sink);
    }
}

/// The origin of packets from a connection.
fn origin<S>(token: usize, conn: &Conn<S>) -> Origin {
    Origin {
        peer: Some(conn.peer),
        token,
    }
}

/// Hands a packet to the worker pool if there is one, else to the sink on
/// this thread.
#[inline]
fn deliver(
    packet: &[u8],
    origin: Origin,
    sink: &mut impl PacketSink,
    pool: &Option<Pool>,
    replies: &mut Replies,
) {
    match pool {
        Some(pool) => pool.submit(packet, origin),
        None => sink.packet(packet, origin, replies),
    }
}

fn buffer(limits: &Limits) -> Box<[u8]> {
    // One byte more than the largest datagram tells an oversized one.
    vec![0; (limits.max_datagram + 1).max(READ_CHUNK)].into_boxed_slice()
}
