//! An optional fixed pool of worker threads for slow handlers (python-osc's
//! threading servers, without a thread per packet).
//!
//! Each worker owns its own [`Dispatcher`](crate::Dispatcher) (or other
//! [`PacketSink`]), made by a factory, so handlers need no locking, and
//! drives it as the loop thread drives its own. The loop thread hands every packet to one worker chosen
//! by its origin (the sender's address and the socket or connection), so
//! the packets of one sender stay in order while different senders run in
//! parallel. Workers send replies back to the loop through a channel and
//! wake it; the loop sends them as it would its own.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use mio::Waker;

use super::sink::PacketSink;
use crate::{Origin, Responder, Result};

/// Packets queued per worker before the loop waits (back-pressure: the
/// loop stops reading, and unread bytes wait in the kernel).
const QUEUE: usize = 1024;

struct Job {
    packet: Vec<u8>,
    origin: Origin,
}

/// The worker threads and their channels.
pub(crate) struct Pool {
    jobs: Vec<SyncSender<Job>>,
    replies: Receiver<(Origin, Vec<u8>)>,
    threads: Vec<JoinHandle<()>>,
    errors: Arc<AtomicU64>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("workers", &self.threads.len())
            .field("errors", &self.errors())
            .finish_non_exhaustive()
    }
}

impl Pool {
    /// Starts `workers` threads, each with a sink from `make`.
    pub(crate) fn new<W: PacketSink + Send + 'static>(
        workers: usize,
        make: &(dyn Fn() -> W + Sync),
        waker: Arc<Waker>,
    ) -> Result<Self> {
        let (reply_tx, replies) = mpsc::channel();
        let errors = Arc::new(AtomicU64::new(0));
        let mut pool = Pool {
            jobs: Vec::new(),
            replies,
            threads: Vec::new(),
            errors: errors.clone(),
        };
        for i in 0..workers.max(1) {
            let (job_tx, jobs) = mpsc::sync_channel(QUEUE);
            let worker = Worker {
                jobs,
                sink: make(),
                replies: reply_tx.clone(),
                waker: waker.clone(),
                errors: errors.clone(),
            };
            let thread = std::thread::Builder::new()
                .name(format!("osc-worker-{i}"))
                .spawn(move || worker.run())?;
            pool.jobs.push(job_tx);
            pool.threads.push(thread);
        }
        Ok(pool)
    }

    /// Queues a packet for the worker of its origin; waits while that
    /// worker's queue is full.
    pub(crate) fn submit(&self, packet: &[u8], origin: Origin) {
        let mut hasher = DefaultHasher::new();
        origin.hash(&mut hasher);
        let worker = (hasher.finish() % self.jobs.len() as u64) as usize;
        let job = Job {
            packet: packet.to_vec(),
            origin,
        };
        // A worker only ends when its channel closes, so this cannot fail
        // unless a handler panicked through the dispatcher (it catches
        // panics); the packet is then lost with the worker.
        let _ = self.jobs[worker].send(job);
    }

    /// Hands the replies the workers made so far to `responder`.
    pub(crate) fn take_replies(&self, responder: &mut dyn Responder) {
        for (origin, packet) in self.replies.try_iter() {
            responder.respond(&origin, &packet);
        }
    }

    /// Errors the workers' sinks counted.
    pub(crate) fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    /// Lets the workers finish every queued packet and waits for them;
    /// then hands their last replies to `responder` and returns how many
    /// errors the workers counted.
    pub(crate) fn finish(mut self, responder: &mut dyn Responder) -> u64 {
        self.join();
        self.take_replies(responder);
        self.errors()
    }

    fn join(&mut self) {
        // Closing the job channels ends each worker once its queue is empty.
        self.jobs.clear();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.join();
    }
}

struct Worker<W> {
    jobs: Receiver<Job>,
    sink: W,
    replies: Sender<(Origin, Vec<u8>)>,
    waker: Arc<Waker>,
    errors: Arc<AtomicU64>,
}

impl<W: PacketSink> Worker<W> {
    fn run(mut self) {
        let mut out: Vec<(Origin, Vec<u8>)> = Vec::new();
        loop {
            // Wake for the next due bundle as the loop thread would.
            let job = match self.sink.next_due_in() {
                Some(wait) => match self.jobs.recv_timeout(wait) {
                    Ok(job) => Some(job),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => return,
                },
                None => match self.jobs.recv() {
                    Ok(job) => Some(job),
                    Err(_) => return,
                },
            };
            let before = self.sink.error_count();
            if let Some(job) = job {
                self.sink.packet(&job.packet, job.origin, &mut out);
            }
            self.sink.run_due(&mut out);
            let new_errors = self.sink.error_count() - before;
            self.errors.fetch_add(new_errors, Ordering::Relaxed);
            if !out.is_empty() {
                for reply in out.drain(..) {
                    let _ = self.replies.send(reply);
                }
                let _ = self.waker.wake();
            }
        }
    }
}
