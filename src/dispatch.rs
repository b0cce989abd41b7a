//! The typed dispatcher: routes received packets to handlers by address.
//!
//! python-osc's `Dispatcher`, made typed: a handler is a closure whose one
//! parameter is decoded from the message's arguments by this crate's serde
//! format. [`Dispatcher::map`] takes any owned deserializable type (your
//! derived structs, `String`, `Vec<Value>`, [`Message`](crate::Message));
//! [`Dispatcher::map_ref`] takes types that borrow from the packet
//! (`(i32, f32, &str)`, `&[u8]`, [`MessageRef`]), so a handler reads its
//! arguments without a copy or an allocation. The dispatcher never touches
//! a socket: a transport hands it packet bytes with an [`Origin`] and a
//! [`Responder`] through which replies go back.
//!
//! On a server, with a borrowing handler that replies to the sender (all
//! on loopback):
//!
//! ```
//! # #[cfg(feature = "transport")]
//! # fn main() -> osc_serde::Result<()> {
//! use osc_serde::transport::{Server, UdpClient};
//! use osc_serde::{Dispatcher, Message, Packet};
//! use std::time::Duration;
//!
//! let mut d = Dispatcher::new();
//! // `name` points into the received datagram; the returned message goes back.
//! d.map_ref("/hello", |(name, times): (&str, i32)| {
//!     Message::new("/greeting").arg(name.repeat(times as usize))
//! })?;
//!
//! let mut server = Server::new(d)?;
//! let addr = server.bind_udp("127.0.0.1:0")?;
//! let handle = server.spawn()?;
//!
//! let mut client = UdpClient::new(addr)?;
//! client.send_message("/hello", &("ho", 3))?;
//! let (reply, _from) = client.recv_from(Duration::from_secs(5))?.expect("a reply");
//! assert_eq!(reply, Packet::Message(Message::new("/greeting").arg("hohoho")));
//!
//! handle.stop()?;
//! handle.join()?;
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "transport"))]
//! # fn main() {}
//! ```
//!
//! Without a server, straight from bytes:
//!
//! ```
//! use osc_serde::{Dispatcher, Message, Origin, Value};
//! use std::sync::{Arc, Mutex};
//!
//! #[derive(serde::Deserialize)]
//! struct Note { pitch: i32, velocity: f32 }
//!
//! let log = Arc::new(Mutex::new(Vec::new()));
//! let mut d = Dispatcher::new();
//! let l = log.clone();
//! d.map("/note", move |n: Note| l.lock().unwrap().push(format!("note {} {}", n.pitch, n.velocity)))?;
//! let l = log.clone();
//! d.map("/mixer/*/gain", move |g: f32| l.lock().unwrap().push(format!("gain {g}")))?;
//! let l = log.clone();
//! d.set_default(move |m: Message| l.lock().unwrap().push(format!("unhandled {}", m.address)));
//!
//! let mut replies = Vec::new();
//! for msg in [
//!     Message::new("/note").arg(60).arg(0.5f32),
//!     Message::new("/mixer/3/gain").arg(0.25f32),
//!     Message::new("/other"),
//! ] {
//!     d.dispatch(&msg.to_bytes()?, Origin::default(), &mut replies);
//! }
//! assert_eq!(*log.lock().unwrap(), ["note 60 0.5", "gain 0.25", "unhandled /other"]);
//! # Ok::<(), osc_serde::Error>(())
//! ```
//!
//! # Matching
//!
//! A mapped address without wildcards is kept in a hash map: a literal
//! incoming address costs one lookup. A mapped pattern (python-osc lets
//! `map` take patterns) is kept in a trie keyed by address part and meets
//! only incoming addresses that agree with it level by level. An incoming
//! address that is itself a pattern (the OSC specification's direction) is
//! matched against the mapped literal addresses. Every handler reached is
//! called, in mapping order; when none is, the default handler is.
//!
//! # Errors
//!
//! Nothing that arrives makes dispatch panic or stop: a packet that does
//! not decode, arguments that do not fit a handler's type, an invalid
//! incoming pattern, a handler that panics or returns an error, a reply
//! that does not encode, a bundle that cannot be queued: each goes to the
//! error hook ([`Dispatcher::on_error`]) as an [`ErrorReport`] with the
//! address (when known) and the origin, and dispatch goes on with the
//! next handler or packet. A panicking handler is caught with
//! `catch_unwind`; Rust's panic hook still prints its message.
//!
//! Until you set a hook, errors are written to standard error by an
//! [`ErrorLog`]: one line each (`osc-serde: /volume: argument 0: expected
//! float32, found type tag 's' (from 127.0.0.1:53211)`), at most
//! [`DEFAULT_ERROR_LINES_PER_SECOND`] a second, then one line counting
//! those left out, so a flood of bad packets cannot flood the terminal.
//! `on_error` replaces it; `on_error(|_| ())` silences it. Every error is
//! counted either way ([`Dispatcher::error_count`]).
//!
//! # Bundles and time
//!
//! A bundle's elements are dispatched in order, nested bundles
//! recursively, and a handler sees the time tag of the bundle that held
//! its message ([`Context::timetag`]). A bundle due in the future is
//! queued, never slept on: [`Dispatcher::next_due_in`] says how long an
//! event loop may wait and [`Dispatcher::run_due`] dispatches what is due.
//! `IMMEDIATE` and past time tags dispatch at once, and
//! [`Dispatcher::set_honour_timetags`]`(false)` dispatches every bundle at
//! once (python-osc's `strict_timing=False`).
//!
//! The queue is bounded ([`Dispatcher::set_queue_limits`]; defaults
//! [`DEFAULT_MAX_QUEUED`] bundles and [`DEFAULT_MAX_AHEAD`]): a bundle
//! beyond the horizon, or arriving with the queue full, is dropped and
//! reported to the error hook. Bundles already queued are kept, so a
//! flood from one peer cannot displace what was accepted before it. The
//! clock is injectable ([`Dispatcher::set_clock`], [`ManualClock`]).

mod errors;
mod handler;
mod params;
mod routes;
mod schedule;

use std::fmt;
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::address::{is_pattern, validate_address, Pattern};
use crate::bundle::{BundleRef, PacketRef};
use crate::error::{Error, Result};
use crate::message::MessageRef;
use crate::value::TimeTag;

pub use errors::{ErrorLog, ErrorReport, DEFAULT_ERROR_LINES_PER_SECOND};
pub use handler::{BorrowingContextFn, BorrowingFn, Context, IntoReply, Reply};
pub use params::{BorrowDeserialize, HandlerArgs};
pub use schedule::{Clock, ManualClock, SystemClock, DEFAULT_MAX_AHEAD, DEFAULT_MAX_QUEUED};

use errors::Errors;
use handler::{store, Borrowing, BorrowingWithContext, Handler, OwnedWithContext};
use params::Owned;
use routes::Routes;

/// Where a packet came from; given back with replies so the transport can
/// route them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Origin {
    /// The sender's socket address, if known.
    pub peer: Option<SocketAddr>,
    /// A transport-defined token (e.g. which socket or connection).
    pub token: usize,
}

/// Implemented by transports: sends reply bytes (one encoded OSC packet)
/// back toward an origin.
pub trait Responder {
    /// Sends one encoded packet toward `origin`.
    fn respond(&mut self, origin: &Origin, packet: &[u8]);
}

/// Collects replies (for tests, or to send them later).
impl Responder for Vec<(Origin, Vec<u8>)> {
    fn respond(&mut self, origin: &Origin, packet: &[u8]) {
        self.push((*origin, packet.to_vec()));
    }
}

/// Identifies one mapping, for [`Dispatcher::unmap`]. Ids grow in mapping
/// order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HandlerId(usize);

/// Routes OSC packets to typed handlers: see the [module docs](self).
///
/// `Dispatcher` is `Send` (handlers are `Send + 'static`), so a server can
/// run it on a background thread.
pub struct Dispatcher {
    /// Indexed by `HandlerId`; `None` once unmapped (ids are not reused,
    /// so index order is mapping order).
    mappings: Vec<Option<Mapping>>,
    routes: Routes,
    default: Option<Box<dyn Handler>>,
    errors: Errors,
    schedule: schedule::Schedule,
    /// Reused between messages so that dispatch does not allocate.
    matched: Vec<usize>,
    reply_buffer: Vec<u8>,
}

struct Mapping {
    pattern: Box<str>,
    is_pattern: bool,
    handler: Box<dyn Handler>,
}

impl Default for Dispatcher {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let patterns: Vec<&str> = self
            .mappings
            .iter()
            .flatten()
            .map(|m| &*m.pattern)
            .collect();
        f.debug_struct("Dispatcher")
            .field("mappings", &patterns)
            .field("has_default", &self.default.is_some())
            .field("queued", &self.schedule.len())
            .finish_non_exhaustive()
    }
}

impl Dispatcher {
    /// A dispatcher with no handlers, honouring time tags by the system
    /// clock.
    pub fn new() -> Self {
        Dispatcher {
            mappings: Vec::new(),
            routes: Routes::default(),
            default: None,
            errors: Errors::default(),
            schedule: schedule::Schedule::default(),
            matched: Vec::new(),
            reply_buffer: Vec::new(),
        }
    }

    /// Maps an address or pattern to a handler taking the message's
    /// arguments decoded as `T`: a struct, a tuple, a scalar, `()`,
    /// `Vec<Value>`, or the whole [`Message`](crate::Message). The
    /// handler's return value ([`IntoReply`]) is sent back to the sender.
    ///
    /// Several handlers may be mapped to one address; all are called, in
    /// mapping order. Errors if `pattern` is neither a valid address nor a
    /// valid pattern.
    ///
    /// A parameter that borrows (`&str`, `&[u8]`, a struct with a
    /// lifetime) needs [`map_ref`](Self::map_ref); given to `map`, the
    /// compiler says "implementation of `Deserialize` is not general
    /// enough".
    ///
    /// ```
    /// use osc_serde::{Dispatcher, Message, Origin};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let mut d = Dispatcher::new();
    /// let s = seen.clone();
    /// d.map("/pair", move |(a, b): (i32, String)| s.lock().unwrap().push((a, b)))?;
    /// assert!(d.map("/pair/[oops", |(): ()| ()).is_err());
    ///
    /// d.dispatch(&Message::new("/pair").arg(1).arg("x").to_bytes()?, Origin::default(), &mut Vec::new());
    /// assert_eq!(*seen.lock().unwrap(), [(1, "x".to_string())]);
    /// # Ok::<(), osc_serde::Error>(())
    /// ```
    pub fn map<T, R, F>(&mut self, pattern: &str, mut handler: F) -> Result<HandlerId>
    where
        T: DeserializeOwned + 'static,
        R: IntoReply + 'static,
        F: FnMut(T) -> R + Send + 'static,
    {
        self.insert(
            pattern,
            owned::<T, R>(move |_: &Context<'_>, args: T| handler(args)),
        )
    }

    /// Like [`map`](Self::map), for a handler that also takes the
    /// [`Context`]: the sender, the bundle's time tag, and a way to reply.
    pub fn map_with_context<T, R, F>(&mut self, pattern: &str, handler: F) -> Result<HandlerId>
    where
        T: DeserializeOwned + 'static,
        R: IntoReply + 'static,
        F: FnMut(&Context<'_>, T) -> R + Send + 'static,
    {
        self.insert(pattern, owned::<T, R>(handler))
    }

    /// Like [`map`](Self::map), for a handler whose parameter borrows from
    /// the packet: `&str` and `&[u8]` point into the received bytes, so
    /// such a handler decodes its arguments without allocating. It takes
    /// any [`HandlerArgs`] type: the scalars, `String`, `&str`, `&[u8]`,
    /// `Option`, `Vec`, tuples of these, [`MessageRef`] (the message
    /// itself), [`Message`](crate::Message), `Vec<Value>`, and your own
    /// types once named with
    /// [`borrow_deserialize!`](crate::borrow_deserialize).
    ///
    /// Write the parameter's type with its lifetimes left out
    /// (`(i32, &str)`, `MessageRef`): the closure then works for every
    /// packet, which is what lets it borrow. (Why this is a method of its
    /// own: see [`HandlerArgs`].)
    ///
    /// ```
    /// use osc_serde::{Dispatcher, Message, MessageRef, Origin};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let mut d = Dispatcher::new();
    /// let s = seen.clone();
    /// d.map_ref("/voice", move |(note, amp, wave): (i32, f32, &str)| {
    ///     s.lock().unwrap().push(format!("{note} {amp} {wave}"))
    /// })?;
    /// let s = seen.clone();
    /// d.map_ref("/raw/*", move |m: MessageRef| s.lock().unwrap().push(format!("{} {}", m.address(), m.type_tags())))?;
    ///
    /// let mut replies = Vec::new();
    /// d.dispatch(&Message::new("/voice").arg(60).arg(0.5f32).arg("saw").to_bytes()?, Origin::default(), &mut replies);
    /// d.dispatch(&Message::new("/raw/x").arg(1).arg(true).to_bytes()?, Origin::default(), &mut replies);
    /// assert_eq!(*seen.lock().unwrap(), ["60 0.5 saw", "/raw/x iT"]);
    /// # Ok::<(), osc_serde::Error>(())
    /// ```
    pub fn map_ref<A, R, F>(&mut self, pattern: &str, handler: F) -> Result<HandlerId>
    where
        A: HandlerArgs + 'static,
        R: IntoReply + 'static,
        F: BorrowingFn<A, R> + Send + 'static,
    {
        self.insert(pattern, store::<_, A, R>(Borrowing(handler)))
    }

    /// Like [`map_ref`](Self::map_ref), for a handler that also takes the
    /// [`Context`].
    ///
    /// ```
    /// use osc_serde::{Context, Dispatcher, Message, Origin};
    ///
    /// let mut d = Dispatcher::new();
    /// d.map_ref_with_context("/greet", |ctx: &Context, (name,): (&str,)| {
    ///     ctx.reply_to("/hello", name)
    /// })?;
    ///
    /// let mut replies = Vec::new();
    /// d.dispatch(&Message::new("/greet").arg("ada").to_bytes()?, Origin::default(), &mut replies);
    /// assert_eq!(replies[0].1, Message::new("/hello").arg("ada").to_bytes()?);
    /// # Ok::<(), osc_serde::Error>(())
    /// ```
    pub fn map_ref_with_context<A, R, F>(&mut self, pattern: &str, handler: F) -> Result<HandlerId>
    where
        A: HandlerArgs + 'static,
        R: IntoReply + 'static,
        F: BorrowingContextFn<A, R> + Send + 'static,
    {
        self.insert(pattern, store::<_, A, R>(BorrowingWithContext(handler)))
    }

    fn insert(&mut self, pattern: &str, handler: Box<dyn Handler>) -> Result<HandlerId> {
        let id = self.mappings.len();
        let wild = is_pattern(pattern);
        if wild {
            self.routes.insert_pattern(&Pattern::new(pattern)?, id)?;
        } else {
            validate_address(pattern)?;
            self.routes.insert_literal(pattern, id);
        }
        self.mappings.push(Some(Mapping {
            pattern: pattern.into(),
            is_pattern: wild,
            handler,
        }));
        Ok(HandlerId(id))
    }

    /// Removes one mapping. Returns whether it was mapped.
    pub fn unmap(&mut self, id: HandlerId) -> bool {
        let Some(mapping) = self.mappings.get_mut(id.0).and_then(Option::take) else {
            return false;
        };
        if mapping.is_pattern {
            self.routes.remove_pattern(id.0);
        } else {
            self.routes.remove_literal(&mapping.pattern, id.0);
        }
        true
    }

    /// Removes every mapping made with exactly this address or pattern
    /// text. Returns how many were removed.
    pub fn unmap_all(&mut self, pattern: &str) -> usize {
        let ids: Vec<HandlerId> = self
            .mappings
            .iter()
            .enumerate()
            .filter(|(_, m)| m.as_ref().is_some_and(|m| &*m.pattern == pattern))
            .map(|(i, _)| HandlerId(i))
            .collect();
        ids.into_iter().filter(|&id| self.unmap(id)).count()
    }

    /// The address or pattern a mapping was made with.
    pub fn pattern_of(&self, id: HandlerId) -> Option<&str> {
        self.mappings.get(id.0)?.as_ref().map(|m| &*m.pattern)
    }

    /// The handlers a message to `address` would call, in mapping order
    /// (empty if only the default handler would be). Errors if `address`
    /// is an invalid pattern.
    ///
    /// ```
    /// use osc_serde::Dispatcher;
    ///
    /// let mut d = Dispatcher::new();
    /// let a = d.map("/a/b", |(): ()| ())?;
    /// let any = d.map("/a/*", |(): ()| ())?;
    /// let deep = d.map("//b", |(): ()| ())?;
    /// assert_eq!(d.handlers_for_address("/a/b")?, [a, any, deep]);
    /// assert_eq!(d.handlers_for_address("/a/c")?, [any]);
    /// assert_eq!(d.handlers_for_address("/?/b")?, [a]); // an incoming pattern meets literals
    /// # Ok::<(), osc_serde::Error>(())
    /// ```
    pub fn handlers_for_address(&self, address: &str) -> Result<Vec<HandlerId>> {
        let mut ids = Vec::new();
        let ids = self.routes.collect(address, &mut ids)?;
        Ok(ids.iter().copied().map(HandlerId).collect())
    }

    /// Sets the handler for messages no mapping matched (python-osc's
    /// `set_default_handler`). It takes its arguments like
    /// [`map`](Self::map)'s handlers; take [`Message`](crate::Message) to
    /// get anything.
    pub fn set_default<T, R, F>(&mut self, mut handler: F)
    where
        T: DeserializeOwned + 'static,
        R: IntoReply + 'static,
        F: FnMut(T) -> R + Send + 'static,
    {
        self.default = Some(owned::<T, R>(move |_: &Context<'_>, args: T| handler(args)));
    }

    /// Sets a default handler that also takes the [`Context`].
    pub fn set_default_with_context<T, R, F>(&mut self, handler: F)
    where
        T: DeserializeOwned + 'static,
        R: IntoReply + 'static,
        F: FnMut(&Context<'_>, T) -> R + Send + 'static,
    {
        self.default = Some(owned::<T, R>(handler));
    }

    /// Sets a default handler that borrows from the packet, like
    /// [`map_ref`](Self::map_ref)'s handlers: take [`MessageRef`] to see
    /// any message without copying it.
    pub fn set_default_ref<A, R, F>(&mut self, handler: F)
    where
        A: HandlerArgs + 'static,
        R: IntoReply + 'static,
        F: BorrowingFn<A, R> + Send + 'static,
    {
        self.default = Some(store::<_, A, R>(Borrowing(handler)));
    }

    /// Sets a default handler that borrows from the packet and takes the
    /// [`Context`].
    pub fn set_default_ref_with_context<A, R, F>(&mut self, handler: F)
    where
        A: HandlerArgs + 'static,
        R: IntoReply + 'static,
        F: BorrowingContextFn<A, R> + Send + 'static,
    {
        self.default = Some(store::<_, A, R>(BorrowingWithContext(handler)));
    }

    /// Removes the default handler: unmatched messages are then ignored.
    pub fn clear_default(&mut self) {
        self.default = None;
    }

    /// Sets the error hook, replacing the default one (an [`ErrorLog`] to
    /// standard error); see [Errors](self#errors). `on_error(|_| ())`
    /// silences errors; they are still counted
    /// ([`error_count`](Self::error_count)).
    ///
    /// ```
    /// use osc_serde::{Dispatcher, Error, Message, Origin};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let errors = Arc::new(Mutex::new(Vec::new()));
    /// let mut d = Dispatcher::new();
    /// d.map("/volume", |_: f32| ())?;
    /// let e = errors.clone();
    /// d.on_error(move |r| e.lock().unwrap().push(r.to_string()));
    ///
    /// d.dispatch(&Message::new("/volume").arg("loud").to_bytes()?, Origin::default(), &mut Vec::new());
    /// assert_eq!(*errors.lock().unwrap(), ["/volume: argument 0: expected float32, found type tag 's'"]);
    /// # Ok::<(), osc_serde::Error>(())
    /// ```
    pub fn on_error<F>(&mut self, hook: F)
    where
        F: FnMut(&ErrorReport<'_>) + Send + 'static,
    {
        self.errors.hook = Box::new(hook);
    }

    /// How many errors were reported since the dispatcher was made.
    pub fn error_count(&self) -> u64 {
        self.errors.count
    }

    /// Lets a transport report an error that happened before dispatch
    /// (framing, oversized frame...): it goes to the error hook.
    pub fn report_error(&mut self, error: &Error, origin: Option<&Origin>) {
        self.errors.report(error, None, origin);
    }

    /// Replaces the clock that decides when bundles are due.
    pub fn set_clock(&mut self, clock: impl Clock + 'static) {
        self.schedule.clock = Box::new(clock);
    }

    /// Whether future bundles are held until their time tag (the default)
    /// or dispatched on arrival. Turning it off does not release bundles
    /// already queued; [`run_due`](Self::run_due) still does.
    pub fn set_honour_timetags(&mut self, honour: bool) {
        self.schedule.honour_timetags = honour;
    }

    /// Bounds the queue of future bundles: at most `max_queued` bundles,
    /// each due at most `max_ahead` from now. Bundles beyond either bound
    /// are dropped and reported.
    pub fn set_queue_limits(&mut self, max_queued: usize, max_ahead: Duration) {
        self.schedule.max_queued = max_queued;
        self.schedule.max_ahead = max_ahead;
    }

    /// How many bundles wait for their time.
    pub fn queued(&self) -> usize {
        self.schedule.len()
    }

    /// Decodes one packet and dispatches it (bundles: in order, or queued
    /// if in the future). Errors go to the error hook; never panics.
    pub fn dispatch(&mut self, packet: &[u8], origin: Origin, responder: &mut dyn Responder) {
        match PacketRef::from_bytes(packet) {
            Ok(PacketRef::Message(message)) => {
                self.dispatch_message(message, None, origin, responder)
            }
            Ok(PacketRef::Bundle(bundle)) => {
                if self.schedule.is_future(bundle.timetag()) {
                    if let Err(e) = self.schedule.enqueue(bundle, origin) {
                        self.errors.report(&e, None, Some(&origin));
                    }
                } else {
                    self.dispatch_bundle(bundle, origin, responder);
                }
            }
            Err(e) => self.errors.report(&e, None, Some(&origin)),
        }
    }

    /// Dispatches every queued bundle that is due by the clock.
    pub fn run_due(&mut self, responder: &mut dyn Responder) {
        while let Some(queued) = self.schedule.pop_due() {
            match BundleRef::at_depth(&queued.bytes, queued.depth) {
                Ok(bundle) => self.dispatch_bundle(bundle, queued.origin, responder),
                Err(e) => self.errors.report(&e, None, Some(&queued.origin)),
            }
        }
    }

    /// Time until the next queued bundle is due (`None` if none is
    /// queued), by the clock; zero if one is due already.
    pub fn next_due_in(&self) -> Option<Duration> {
        self.schedule.next_due_in()
    }

    /// Dispatches a due bundle's elements in order. A nested bundle that
    /// is still in the future is queued on its own.
    fn dispatch_bundle(
        &mut self,
        bundle: BundleRef<'_>,
        origin: Origin,
        responder: &mut dyn Responder,
    ) {
        for element in bundle.elements() {
            match element {
                Ok(PacketRef::Message(message)) => {
                    self.dispatch_message(message, Some(bundle.timetag()), origin, responder)
                }
                Ok(PacketRef::Bundle(inner)) if self.schedule.is_future(inner.timetag()) => {
                    if let Err(e) = self.schedule.enqueue(inner, origin) {
                        self.errors.report(&e, None, Some(&origin));
                    }
                }
                Ok(PacketRef::Bundle(inner)) => self.dispatch_bundle(inner, origin, responder),
                Err(e) => self.errors.report(&e, None, Some(&origin)),
            }
        }
    }

    fn dispatch_message(
        &mut self,
        message: MessageRef<'_>,
        timetag: Option<TimeTag>,
        origin: Origin,
        responder: &mut dyn Responder,
    ) {
        let address = message.address();
        let ids = match self.routes.collect(address, &mut self.matched) {
            Ok(ids) => ids,
            Err(e) => {
                self.errors.report(&e, Some(address), Some(&origin));
                return;
            }
        };
        let context = Context::new(address, origin, timetag, responder, &mut self.reply_buffer);
        if ids.is_empty() {
            if let Some(handler) = self.default.as_deref_mut() {
                call(handler, message, &context, &mut self.errors);
            }
            return;
        }
        for &id in ids {
            if let Some(Some(mapping)) = self.mappings.get_mut(id) {
                call(&mut *mapping.handler, message, &context, &mut self.errors);
            }
        }
    }
}

/// Boxes a handler of an owned type `T` that takes the context.
fn owned<T, R>(closure: impl FnMut(&Context<'_>, T) -> R + Send + 'static) -> Box<dyn Handler>
where
    T: DeserializeOwned + 'static,
    R: IntoReply + 'static,
{
    store::<_, Owned<T>, R>(OwnedWithContext(closure))
}

/// Calls one handler, turning its errors and panics into reports.
fn call(
    handler: &mut dyn Handler,
    message: MessageRef<'_>,
    context: &Context<'_>,
    errors: &mut Errors,
) {
    let result =
        catch_unwind(AssertUnwindSafe(|| handler.call(message, context))).unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a non-string payload".into());
            Err(Error::HandlerPanicked(what.into()))
        });
    if let Err(e) = result {
        errors.report(&e, Some(context.address()), Some(context.origin()));
    }
}
