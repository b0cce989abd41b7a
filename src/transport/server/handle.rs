//! Stopping a server from another thread ([`Stopper`]) and owning one that
//! runs on its own thread ([`ServerHandle`]).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use mio::Waker;

use super::limits::{SharedStats, Stats};
use super::Server;
use crate::{Dispatcher, Error, Result};

/// Asks a running server to stop, from any thread.
#[derive(Debug, Clone)]
pub struct Stopper {
    pub(super) flag: Arc<AtomicBool>,
    pub(super) waker: Arc<Waker>,
}

impl Stopper {
    /// Makes the server dispatch everything it has already received, then
    /// return from [`Server::run`].
    pub fn stop(&self) -> Result<()> {
        self.flag.store(true, Ordering::SeqCst);
        Ok(self.waker.wake()?)
    }

    /// Whether a stop was asked for.
    pub(super) fn requested(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}

/// A server running on its own thread ([`Server::spawn`]). Dropping it
/// stops the server and waits for the thread.
#[derive(Debug)]
pub struct ServerHandle<S = Dispatcher> {
    pub(super) local_addrs: Vec<SocketAddr>,
    pub(super) stopper: Stopper,
    pub(super) stats: Arc<SharedStats>,
    pub(super) thread: Option<JoinHandle<Result<Server<S>>>>,
}

impl<S> ServerHandle<S> {
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
    /// returns the server, or the error that ended it
    /// ([`Error::ServerThreadPanicked`] if it panicked).
    pub fn join(mut self) -> Result<Server<S>> {
        let thread = self.thread.take().expect("joined once");
        match thread.join() {
            Ok(result) => result,
            Err(_) => Err(Error::ServerThreadPanicked),
        }
    }
}

impl<S> Drop for ServerHandle<S> {
    /// Stops the server and waits for its thread, so none is left behind.
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = self.stopper.stop();
            let _ = thread.join();
        }
    }
}
