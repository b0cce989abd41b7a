//! Holding bundles until their time tag: clocks and the bounded queue.
//!
//! Dispatch never sleeps. A bundle due in the future is copied into a
//! queue ordered by time tag (then arrival), and the caller's event loop
//! asks [`Dispatcher::next_due_in`](super::Dispatcher::next_due_in) how
//! long it may wait and calls [`run_due`](super::Dispatcher::run_due).
//! The clock is a trait so that tests (and simulations) set the time.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::bundle::BundleRef;
use crate::error::{Error, Result};
use crate::value::TimeTag;

use super::Origin;

/// A source of the current time, as the dispatcher's scheduler sees it.
pub trait Clock: Send {
    /// Now.
    fn now(&self) -> TimeTag;
}

/// The system's wall clock ([`TimeTag::now`]): the default.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> TimeTag {
        TimeTag::now()
    }
}

/// A clock that only moves when told to, for tests and simulations.
/// Clones share the same time, so a test keeps one and gives one to the
/// dispatcher.
///
/// ```
/// use osc_serde::dispatch::{Clock, ManualClock};
/// use osc_serde::TimeTag;
/// use std::time::Duration;
///
/// let clock = ManualClock::new(TimeTag::new(100, 0));
/// let theirs = clock.clone();
/// clock.advance(Duration::from_millis(500));
/// assert_eq!(theirs.now(), TimeTag::new(100, 0x8000_0000));
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// A clock standing at `now`.
    pub fn new(now: TimeTag) -> Self {
        ManualClock(Arc::new(AtomicU64::new(now.to_bits())))
    }

    /// Sets the time.
    pub fn set(&self, now: TimeTag) {
        self.0.store(now.to_bits(), Ordering::SeqCst);
    }

    /// Moves the time forward by `by` (saturating at the end of the era).
    pub fn advance(&self, by: Duration) {
        let units = (by.as_nanos() << 32) / 1_000_000_000;
        let units = u64::try_from(units).unwrap_or(u64::MAX);
        let now = self.0.load(Ordering::SeqCst);
        self.0.store(now.saturating_add(units), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> TimeTag {
        TimeTag::from_bits(self.0.load(Ordering::SeqCst))
    }
}

/// The default bound on queued bundles.
pub const DEFAULT_MAX_QUEUED: usize = 1024;
/// The default bound on how far ahead a bundle may be scheduled.
pub const DEFAULT_MAX_AHEAD: Duration = Duration::from_secs(60);

/// The queue of bundles waiting for their time tag.
pub(crate) struct Schedule {
    pub clock: Box<dyn Clock>,
    pub honour_timetags: bool,
    pub max_queued: usize,
    pub max_ahead: Duration,
    queue: BinaryHeap<Reverse<Queued>>,
    arrivals: u64,
}

/// A bundle's bytes, waiting.
pub(crate) struct Queued {
    pub due: TimeTag,
    arrival: u64,
    pub origin: Origin,
    /// How deep the bundle was nested where it arrived, so that parsing
    /// it again keeps the packet's nesting bound.
    pub depth: usize,
    pub bytes: Vec<u8>,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.arrival) == (other.due, other.arrival)
    }
}

impl Eq for Queued {}

impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Queued {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.due, self.arrival).cmp(&(other.due, other.arrival))
    }
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            clock: Box::new(SystemClock),
            honour_timetags: true,
            max_queued: DEFAULT_MAX_QUEUED,
            max_ahead: DEFAULT_MAX_AHEAD,
            queue: BinaryHeap::new(),
            arrivals: 0,
        }
    }
}

impl Schedule {
    /// Whether a bundle with this time tag must wait.
    pub fn is_future(&self, timetag: TimeTag) -> bool {
        self.honour_timetags && !timetag.is_immediate() && timetag > self.clock.now()
    }

    /// Queues a copy of a bundle, or refuses it (the bundle is then
    /// dropped): beyond the horizon, or with the queue full. Refusing the
    /// newcomer keeps what was accepted earlier intact and bounds memory
    /// whatever a peer sends; a refused bundle is never copied.
    pub fn enqueue(&mut self, bundle: BundleRef<'_>, origin: Origin) -> Result<()> {
        let due = bundle.timetag();
        let ahead = due.duration_since(self.clock.now());
        if ahead > self.max_ahead {
            return Err(Error::too_far_ahead(ahead, self.max_ahead));
        }
        if self.queue.len() >= self.max_queued {
            return Err(Error::QueueFull {
                max: self.max_queued,
            });
        }
        self.arrivals += 1;
        self.queue.push(Reverse(Queued {
            due,
            arrival: self.arrivals,
            origin,
            depth: bundle.depth(),
            bytes: bundle.as_bytes().to_vec(),
        }));
        Ok(())
    }

    /// Takes the earliest bundle if it is due.
    pub fn pop_due(&mut self) -> Option<Queued> {
        let now = self.clock.now();
        if self.queue.peek()?.0.due <= now {
            self.queue.pop().map(|Reverse(q)| q)
        } else {
            None
        }
    }

    /// Time until the earliest bundle is due.
    pub fn next_due_in(&self) -> Option<Duration> {
        let next = self.queue.peek()?;
        Some(next.0.due.duration_since(self.clock.now()))
    }

    /// How many bundles wait.
    pub fn len(&self) -> usize {
        self.queue.len()
    }
}
