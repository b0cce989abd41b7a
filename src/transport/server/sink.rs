//! [`PacketSink`]: what the server's loop and its worker threads hand
//! packets to. The [`Dispatcher`] is the usual one; a program that wants
//! the raw bytes (a recorder, a relay, `oscdump -r`) implements it and gets
//! the server's sockets, framing, limits and counters without OSC
//! decoding.

use std::time::Duration;

use crate::{Dispatcher, Error, Origin, Responder};

/// Takes the packets a [`Server`](super::Server) receives: each datagram or
/// TCP frame, unparsed, with the [`Origin`] it came from, and the errors
/// the transport meets.
///
/// The loop thread drives one sink; with
/// [`Server::set_workers`](super::Server::set_workers) each worker thread
/// drives its own, in the same way (packets, then [`run_due`](Self::run_due),
/// waking for [`next_due_in`](Self::next_due_in)).
///
/// ```
/// use std::time::Duration;
/// use osc_serde::transport::{PacketSink, Server, UdpClient};
/// use osc_serde::{Error, Origin, Responder};
///
/// /// Echoes every packet back to its sender, unparsed.
/// #[derive(Debug, Default)]
/// struct Echo {
///     errors: u64,
/// }
///
/// impl PacketSink for Echo {
///     fn packet(&mut self, packet: &[u8], origin: Origin, responder: &mut dyn Responder) {
///         responder.respond(&origin, packet);
///     }
///     fn report_error(&mut self, _error: &Error, _origin: Option<&Origin>) {
///         self.errors += 1;
///     }
///     fn error_count(&self) -> u64 {
///         self.errors
///     }
/// }
///
/// let mut server = Server::new(Echo::default())?;
/// let addr = server.bind_udp("127.0.0.1:0")?;
/// let handle = server.spawn()?;
/// let mut client = UdpClient::new(addr)?;
/// client.send_message("/echo", &1)?;
/// let (echoed, _) = client.recv_bytes_from(Duration::from_secs(5))?.expect("an echo");
/// assert_eq!(echoed, b"/echo\0\0\0,i\0\0\0\0\0\x01");
/// # Ok::<(), osc_serde::Error>(())
/// ```
pub trait PacketSink {
    /// Handles one packet (a datagram or a whole frame, as received);
    /// packets to send back go to `responder`, toward an origin.
    fn packet(&mut self, packet: &[u8], origin: Origin, responder: &mut dyn Responder);

    /// Takes an error the transport met: an oversized datagram, a bad or
    /// too large frame, a timeout, an I/O error.
    fn report_error(&mut self, error: &Error, origin: Option<&Origin>);

    /// Errors counted so far, those given to
    /// [`report_error`](Self::report_error) included
    /// ([`Stats::errors`](super::Stats::errors)).
    fn error_count(&self) -> u64;

    /// Handles whatever has become due (the dispatcher's scheduled
    /// bundles). The default has nothing scheduled.
    fn run_due(&mut self, _responder: &mut dyn Responder) {}

    /// How long until [`run_due`](Self::run_due) has work (zero: it has
    /// now; `None`: nothing is scheduled). The loop wakes for it.
    fn next_due_in(&self) -> Option<Duration> {
        None
    }
}

/// Decodes each packet and dispatches it to the mapped handlers.
impl PacketSink for Dispatcher {
    #[inline]
    fn packet(&mut self, packet: &[u8], origin: Origin, responder: &mut dyn Responder) {
        self.dispatch(packet, origin, responder);
    }

    fn report_error(&mut self, error: &Error, origin: Option<&Origin>) {
        Dispatcher::report_error(self, error, origin);
    }

    fn error_count(&self) -> u64 {
        Dispatcher::error_count(self)
    }

    fn run_due(&mut self, responder: &mut dyn Responder) {
        // The loop asks after every turn; with nothing queued (the usual
        // case) this skips the clock read the schedule would make.
        if self.queued() > 0 {
            Dispatcher::run_due(self, responder);
        }
    }

    fn next_due_in(&self) -> Option<Duration> {
        Dispatcher::next_due_in(self)
    }
}
