//! One TCP connection of the server and its accounting: the frame decoder
//! and what it holds, the framed replies not yet written, and the times
//! the idle and frame timeouts are measured from.
//!
//! Every method that moves bytes takes `now` and the server's counters, and
//! none touches the socket, so the accounting is tested without one (the
//! connection is generic over its stream for that). The event loop does
//! the reads and writes and tells the connection what happened.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::TcpStream;

use super::limits::{Limits, Stats};
use crate::framing::{FrameDecoder, Framing, StreamDecoder};
use crate::{Error, Result};

/// A TCP connection: its stream (a `mio` stream in the server), its peer
/// and its accounting.
#[derive(Debug)]
pub(super) struct Conn<S = TcpStream> {
    pub(super) stream: S,
    pub(super) peer: SocketAddr,
    decoder: FrameDecoder<Vec<u8>>,
    /// Framed replies not yet written.
    out: Vec<u8>,
    /// WRITABLE interest is registered (output is pending).
    writing: bool,
    /// `decoder.buffered()` as last added to [`Stats::buffered_input`].
    counted_input: u64,
    /// When bytes last moved: accepted, read, or written to the kernel.
    last_active: Instant,
    /// When the read that began the unfinished frame the decoder holds
    /// was made; `None` while it holds nothing ([`Limits::frame_timeout`]).
    frame_started: Option<Instant>,
}

/// Why a connection is to be closed by a sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stall {
    /// Nothing moved for [`Limits::idle_timeout`].
    Idle(Duration),
    /// A frame started longer than [`Limits::frame_timeout`] ago.
    Frame(Duration),
}

impl Stall {
    /// The error reported for it.
    pub(super) fn error(self) -> Error {
        match self {
            Stall::Idle(limit) => Error::idle_timeout(limit),
            Stall::Frame(limit) => Error::frame_timeout(limit),
        }
    }
}

impl<S> Conn<S> {
    /// A connection accepted at `now`, with `framing` (detected from the
    /// first byte when `None`).
    pub(super) fn new(
        stream: S,
        peer: SocketAddr,
        framing: Option<Framing>,
        limits: &Limits,
        now: Instant,
    ) -> Self {
        Conn {
            stream,
            peer,
            decoder: FrameDecoder::new(framing, limits.max_frame),
            out: Vec::new(),
            writing: false,
            counted_input: 0,
            last_active: now,
            frame_started: None,
        }
    }

    /// Takes `input`, read at `now`: hands each frame it completes to
    /// `frame` (counted in [`Stats::packets`]) and keeps the rest, counted
    /// in [`Stats::buffered_input`]. A framing error ends the input (the
    /// frames before it were handed over); the connection is then to be
    /// closed.
    pub(super) fn received(
        &mut self,
        mut input: &[u8],
        now: Instant,
        counts: &mut Stats,
        mut frame: impl FnMut(&[u8]),
    ) -> Result<()> {
        self.last_active = now;
        let mut completed = false;
        let result = loop {
            match self.decoder.feed(&mut input) {
                Ok(true) => {
                    completed = true;
                    counts.packets += 1;
                    frame(self.decoder.frame());
                }
                Ok(false) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        let held = self.decoder.buffered() as u64;
        counts.buffered_input = counts.buffered_input - self.counted_input + held;
        self.counted_input = held;
        // The unfinished frame began in this read if the decoder held
        // nothing before it or finished a frame during it.
        self.frame_started = match self.frame_started {
            _ if held == 0 => None,
            Some(started) if !completed => Some(started),
            _ => Some(now),
        };
        result
    }

    /// Frames a reply and queues it (counted in [`Stats::pending_output`]),
    /// in the framing the peer uses ([`Framing::default`] if it has sent
    /// nothing yet). Errors: [`Error::FrameTooLarge`] for a packet that does
    /// not fit a length prefix (2 GiB); nothing is queued then.
    pub(super) fn queue_reply(&mut self, packet: &[u8], counts: &mut Stats) -> Result<()> {
        let framing = self.decoder.framing().unwrap_or_default();
        let before = self.out.len();
        framing.encode(packet, &mut self.out)?;
        counts.pending_output += (self.out.len() - before) as u64;
        Ok(())
    }

    /// The framed replies waiting to be written.
    pub(super) fn pending(&self) -> &[u8] {
        &self.out
    }

    /// Drops the first `n` pending bytes, which the kernel took at `now`
    /// (activity, if any were).
    pub(super) fn wrote(&mut self, n: usize, now: Instant, counts: &mut Stats) {
        if n > 0 {
            self.out.drain(..n);
            self.last_active = now;
            counts.pending_output -= n as u64;
        }
    }

    /// Whether more replies wait than [`Limits::max_pending_output`].
    pub(super) fn over_pending_limit(&self, limits: &Limits) -> bool {
        self.out.len() > limits.max_pending_output
    }

    /// Records whether WRITABLE interest is wanted (output pending);
    /// returns the new wish if it changed, for the caller to reregister.
    pub(super) fn writable_interest_change(&mut self) -> Option<bool> {
        let pending = !self.out.is_empty();
        (pending != self.writing).then(|| {
            self.writing = pending;
            pending
        })
    }

    /// Whether the connection has stalled at `now`: idle for longer than
    /// [`Limits::idle_timeout`], or holding a frame begun longer than
    /// [`Limits::frame_timeout`] ago.
    pub(super) fn stall(&self, now: Instant, limits: &Limits) -> Option<Stall> {
        let expired =
            |since: Instant, timeout: Duration| now.saturating_duration_since(since) >= timeout;
        if let Some(t) = limits
            .idle_timeout
            .filter(|&t| expired(self.last_active, t))
        {
            return Some(Stall::Idle(t));
        }
        match (self.frame_started, limits.frame_timeout) {
            (Some(started), Some(t)) if expired(started, t) => Some(Stall::Frame(t)),
            _ => None,
        }
    }

    /// Takes this connection's bytes out of the counters, as it closes.
    pub(super) fn uncount(&self, counts: &mut Stats) {
        counts.buffered_input -= self.counted_input;
        counts.pending_output -= self.out.len() as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEER: SocketAddr = SocketAddr::V4(std::net::SocketAddrV4::new(
        std::net::Ipv4Addr::LOCALHOST,
        9000,
    ));

    fn conn(framing: Option<Framing>, limits: &Limits, now: Instant) -> Conn<()> {
        Conn::new((), PEER, framing, limits, now)
    }

    fn length_frame(packet: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        Framing::Length.encode(packet, &mut out).unwrap();
        out
    }

    /// Feeds `input` and returns the frames handed over.
    fn feed(
        c: &mut Conn<()>,
        input: &[u8],
        now: Instant,
        counts: &mut Stats,
    ) -> Result<Vec<Vec<u8>>> {
        let mut frames = Vec::new();
        c.received(input, now, counts, |f| frames.push(f.to_vec()))?;
        Ok(frames)
    }

    #[test]
    fn buffered_input_counts_the_unfinished_frame_only() {
        let t0 = Instant::now();
        let limits = Limits::default();
        let mut counts = Stats::default();
        let mut c = conn(None, &limits, t0);
        let frame = length_frame(b"/a\0\0,\0\0\0");
        let (head, tail) = frame.split_at(6);

        assert!(feed(&mut c, head, t0, &mut counts).unwrap().is_empty());
        assert_eq!(counts.buffered_input, c.decoder.buffered() as u64);
        assert!(counts.buffered_input > 0);
        assert_eq!(counts.packets, 0);

        let frames = feed(&mut c, tail, t0, &mut counts).unwrap();
        assert_eq!(frames, vec![b"/a\0\0,\0\0\0".to_vec()]);
        assert_eq!((counts.buffered_input, counts.packets), (0, 1));

        // Two connections share the counter; closing one takes out its own.
        let mut other = conn(None, &limits, t0);
        feed(&mut c, head, t0, &mut counts).unwrap();
        feed(&mut other, &frame[..3], t0, &mut counts).unwrap();
        let both = counts.buffered_input;
        c.uncount(&mut counts);
        assert_eq!(counts.buffered_input, both - c.counted_input);
        assert_eq!(counts.buffered_input, other.counted_input);
    }

    #[test]
    fn a_framing_error_hands_over_the_frames_before_it() {
        let t0 = Instant::now();
        let limits = Limits::default().with_max_frame(16);
        let mut counts = Stats::default();
        let mut c = conn(Some(Framing::Length), &limits, t0);
        let mut input = length_frame(b"/ok\0,\0\0\0");
        input.extend_from_slice(&1000i32.to_be_bytes());
        let mut frames = Vec::new();
        let e = c.received(&input, t0, &mut counts, |f| frames.push(f.to_vec()));
        assert!(
            matches!(
                e,
                Err(Error::FrameTooLarge {
                    size: 1000,
                    max: 16
                })
            ),
            "{e:?}"
        );
        assert_eq!(frames, vec![b"/ok\0,\0\0\0".to_vec()]);
        assert_eq!(counts.packets, 1);
    }

    #[test]
    fn frame_timeout_runs_from_the_read_that_began_the_frame() {
        let t0 = Instant::now();
        let second = Duration::from_secs(1);
        let limits = Limits::default()
            .with_idle_timeout(None)
            .with_frame_timeout(Some(10 * second));
        let mut counts = Stats::default();
        let mut c = conn(Some(Framing::Length), &limits, t0);
        let frame = length_frame(b"/a\0\0,\0\0\0");

        // Nothing held: never a frame stall, however long it waits.
        assert_eq!(c.stall(t0 + 1000 * second, &limits), None);

        // A frame begun at t0 and trickled: the trickle does not restart it.
        feed(&mut c, &frame[..2], t0, &mut counts).unwrap();
        feed(&mut c, &frame[2..5], t0 + 9 * second, &mut counts).unwrap();
        assert_eq!(c.stall(t0 + 9 * second, &limits), None);
        assert_eq!(
            c.stall(t0 + 10 * second, &limits),
            Some(Stall::Frame(10 * second))
        );

        // Finishing it and starting the next in one read: the next frame's
        // clock starts at that read.
        let mut rest = frame[5..].to_vec();
        rest.extend_from_slice(&frame[..3]);
        let t1 = t0 + 9 * second;
        assert_eq!(feed(&mut c, &rest, t1, &mut counts).unwrap().len(), 1);
        assert_eq!(c.stall(t1 + 9 * second, &limits), None);
        assert_eq!(
            c.stall(t1 + 10 * second, &limits),
            Some(Stall::Frame(10 * second))
        );

        // Finishing exactly at a frame's end holds nothing: no clock.
        feed(&mut c, &frame[3..], t1, &mut counts).unwrap();
        assert_eq!(c.stall(t1 + 100 * second, &limits), None);
    }

    #[test]
    fn idle_timeout_runs_from_the_last_read_or_write_not_from_queued_replies() {
        let t0 = Instant::now();
        let second = Duration::from_secs(1);
        let limits = Limits::default()
            .with_idle_timeout(Some(5 * second))
            .with_frame_timeout(None);
        let mut counts = Stats::default();
        let mut c = conn(Some(Framing::Length), &limits, t0);
        assert_eq!(c.stall(t0 + 4 * second, &limits), None);
        assert_eq!(
            c.stall(t0 + 5 * second, &limits),
            Some(Stall::Idle(5 * second))
        );

        // Read at t0+3: alive until t0+8.
        feed(
            &mut c,
            &length_frame(b"/a\0\0,\0\0\0"),
            t0 + 3 * second,
            &mut counts,
        )
        .unwrap();
        assert_eq!(c.stall(t0 + 7 * second, &limits), None);

        // A reply queued is not activity; a write the kernel took is.
        c.queue_reply(b"/r\0\0,\0\0\0", &mut counts).unwrap();
        assert_eq!(
            c.stall(t0 + 8 * second, &limits),
            Some(Stall::Idle(5 * second))
        );
        c.wrote(0, t0 + 7 * second, &mut counts);
        assert_eq!(
            c.stall(t0 + 8 * second, &limits),
            Some(Stall::Idle(5 * second))
        );
        c.wrote(1, t0 + 7 * second, &mut counts);
        assert_eq!(c.stall(t0 + 8 * second, &limits), None);

        // Idleness is reported before an expired frame.
        let both = limits.with_frame_timeout(Some(second));
        feed(&mut c, &[0, 0], t0 + 7 * second, &mut counts).unwrap();
        assert_eq!(
            c.stall(t0 + 20 * second, &both),
            Some(Stall::Idle(5 * second))
        );
        assert_eq!(c.stall(t0 + 8 * second, &both), Some(Stall::Frame(second)));
    }

    #[test]
    fn stalls_are_reported_as_their_own_errors() {
        let t = Duration::from_millis(1500);
        assert!(matches!(
            Stall::Idle(t).error(),
            Error::IdleTimeout { limit_ms: 1500 }
        ));
        assert!(matches!(
            Stall::Frame(t).error(),
            Error::FrameTimeout { limit_ms: 1500 }
        ));
    }

    #[test]
    fn replies_are_framed_as_the_peer_frames_and_counted_until_written() {
        let t0 = Instant::now();
        let limits = Limits::default().with_max_pending_output(20);
        let mut counts = Stats::default();
        let mut c = conn(Some(Framing::Length), &limits, t0);
        let packet = b"/r\0\0,\0\0\0";

        c.queue_reply(packet, &mut counts).unwrap();
        assert_eq!(c.pending(), &length_frame(packet)[..]);
        assert_eq!(counts.pending_output, 12);
        assert_eq!(c.writable_interest_change(), Some(true));
        assert_eq!(c.writable_interest_change(), None);
        assert!(!c.over_pending_limit(&limits));

        c.queue_reply(packet, &mut counts).unwrap();
        assert!(c.over_pending_limit(&limits));
        c.wrote(16, t0, &mut counts);
        assert_eq!(counts.pending_output, 8);
        assert_eq!(c.pending(), &length_frame(packet)[4..]);
        c.wrote(8, t0, &mut counts);
        assert_eq!(counts.pending_output, 0);
        assert_eq!(c.writable_interest_change(), Some(false));

        // Detecting: a peer that has sent nothing yet gets the default
        // framing, one that spoke first gets its own.
        for (first, framing) in [
            (None, Framing::default()),
            (Some(Framing::Length), Framing::Length),
        ] {
            let mut detecting = conn(None, &limits, t0);
            if let Some(first) = first {
                let mut framed = Vec::new();
                first.encode(packet, &mut framed).unwrap();
                feed(&mut detecting, &framed, t0, &mut counts).unwrap();
            }
            detecting.queue_reply(packet, &mut counts).unwrap();
            let mut expected = Vec::new();
            framing.encode(packet, &mut expected).unwrap();
            assert_eq!(detecting.pending(), &expected[..]);
            detecting.uncount(&mut counts);
            assert_eq!(counts.pending_output, 0);
        }
    }
}
