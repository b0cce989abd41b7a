//! The server's configuration ([`Limits`]) and counters ([`Stats`]).
//!
//! Both are `#[non_exhaustive]` so that limits and counters can be added
//! without breaking callers: build `Limits` from [`Limits::default`] and
//! its `with_…` methods (or assign its public fields), and read `Stats`
//! field by field.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::super::udp::MAX_DATAGRAM;
use crate::framing::DEFAULT_MAX_FRAME;

/// The server's limits: every bound it keeps on what peers can make it
/// hold or do (README, "Limits and guarantees").
///
/// ```
/// use std::time::Duration;
/// use osc_serde::transport::Limits;
///
/// let limits = Limits::default()
///     .with_max_frame(16 << 10)
///     .with_idle_timeout(Some(Duration::from_secs(10)));
/// assert_eq!(limits.max_frame, 16 << 10);
/// assert_eq!(limits.max_connections, 1024);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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
    /// closes it (reported as an [`Error::IdleTimeout`](crate::Error::IdleTimeout),
    /// counted in [`Stats::dropped_connections`]); `None` keeps idle connections
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
    /// an [`Error::FrameTimeout`](crate::Error::FrameTimeout), counted in
    /// [`Stats::dropped_connections`]); `None` sets no limit.
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

/// `with_…` methods: one per field, each returning the limits with that
/// field changed, so that `Limits` can be built outside this crate.
macro_rules! with_methods {
    ($($(#[$doc:meta])* $with:ident => $field:ident: $ty:ty,)*) => {
        impl Limits {
            $(
                $(#[$doc])*
                #[must_use]
                pub fn $with(mut self, $field: $ty) -> Self {
                    self.$field = $field;
                    self
                }
            )*
        }
    };
}

with_methods! {
    /// Sets [`max_datagram`](Self::max_datagram).
    with_max_datagram => max_datagram: usize,
    /// Sets [`max_frame`](Self::max_frame).
    with_max_frame => max_frame: usize,
    /// Sets [`max_connections`](Self::max_connections).
    with_max_connections => max_connections: usize,
    /// Sets [`max_pending_output`](Self::max_pending_output).
    with_max_pending_output => max_pending_output: usize,
    /// Sets [`read_budget`](Self::read_budget).
    with_read_budget => read_budget: usize,
    /// Sets [`idle_timeout`](Self::idle_timeout) (`None`: never).
    with_idle_timeout => idle_timeout: Option<Duration>,
    /// Sets [`frame_timeout`](Self::frame_timeout) (`None`: no limit).
    with_frame_timeout => frame_timeout: Option<Duration>,
}

/// Counters of a server, as of its last loop iteration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Stats {
    /// Datagrams and frames handed to the dispatcher (the
    /// [`PacketSink`](super::PacketSink)) or the worker pool.
    pub packets: u64,
    /// Errors reported to the dispatcher's error hook (counted by the
    /// [`PacketSink`](super::PacketSink)s, workers' included): malformed or
    /// oversized packets and frames, handler argument mismatches, I/O
    /// errors, timeouts.
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
pub(super) struct SharedStats(Mutex<Stats>);

impl SharedStats {
    pub(super) fn load(&self) -> Stats {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn store(&self, stats: Stats) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = stats;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_with_method_sets_its_own_field_only() {
        let d = Limits::default();
        let t = Some(Duration::from_millis(7));
        assert_eq!(d.with_max_datagram(1).max_datagram, 1);
        assert_eq!(d.with_max_frame(2).max_frame, 2);
        assert_eq!(d.with_max_connections(3).max_connections, 3);
        assert_eq!(d.with_max_pending_output(4).max_pending_output, 4);
        assert_eq!(d.with_read_budget(5).read_budget, 5);
        assert_eq!(d.with_idle_timeout(t).idle_timeout, t);
        assert_eq!(d.with_frame_timeout(None).frame_timeout, None);
        let all = d
            .with_max_datagram(d.max_datagram)
            .with_max_frame(d.max_frame)
            .with_idle_timeout(d.idle_timeout);
        assert_eq!(all, d);
        assert_ne!(d.with_max_frame(2), d);
    }
}
