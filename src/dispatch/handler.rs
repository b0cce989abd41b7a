//! Handlers: closures made uniform, the [`Context`] they may ask for, and
//! the [`IntoReply`] values they may return.
//!
//! Each closure is wrapped in a small generic struct that knows its
//! argument family ([`HandlerArgs`]) and is stored as a `Box<dyn
//! Handler>`, so one dispatcher holds handlers of any argument type. A
//! handler is called with arguments decoded straight from the packet:
//! borrowed ones point into it.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;
use std::net::SocketAddr;

use serde::Serialize;

use crate::bundle::{Bundle, Packet};
use crate::error::{Error, Result};
use crate::message::{Message, MessageRef};
use crate::value::TimeTag;

use super::params::{HandlerArgs, Owned};
use super::{Origin, Responder};

/// A stored handler, whatever its argument and return types.
pub(crate) trait Handler: Send {
    /// Decodes the arguments, calls the closure and sends its reply.
    fn call(&mut self, message: MessageRef<'_>, context: &Context<'_>) -> Result<()>;
}

/// A closure `C` taking arguments of family `A` and returning `R`.
struct Stored<C, A, R> {
    closure: C,
    types: PhantomData<fn() -> (A, R)>,
}

/// Calls a stored closure with the context and the decoded arguments: one
/// impl per way of mapping (with or without context, owned or borrowed).
pub(crate) trait Invoke<A: HandlerArgs, R> {
    fn invoke(&mut self, context: &Context<'_>, args: A::Of<'_>) -> R;
}

impl<C, A, R> Handler for Stored<C, A, R>
where
    C: Invoke<A, R> + Send,
    A: HandlerArgs,
    R: IntoReply,
{
    #[inline]
    fn call(&mut self, message: MessageRef<'_>, context: &Context<'_>) -> Result<()> {
        let args = A::decode(message)?;
        context.send(self.closure.invoke(context, args))
    }
}

/// Boxes `closure` as a handler of family `A`.
pub(crate) fn store<C, A, R>(closure: C) -> Box<dyn Handler>
where
    C: Invoke<A, R> + Send + 'static,
    A: HandlerArgs + 'static,
    R: IntoReply + 'static,
{
    Box::new(Stored {
        closure,
        types: PhantomData,
    })
}

/// A closure that borrows its arguments from the packet: what
/// [`Dispatcher::map_ref`](super::Dispatcher::map_ref) takes.
///
/// Implemented for every `FnMut(A) -> R` whose parameter type `A` is a
/// [`HandlerArgs`] family and that accepts `A::Of<'a>` for every `'a`: a
/// closure whose parameter is written with elided lifetimes
/// (`|(n, s): (i32, &str)|`, `|m: MessageRef|`) is such a closure. Not
/// meant to be implemented by hand. (It is a trait of its own, rather than
/// the two `FnMut` bounds at the call, so that the compiler takes the
/// closure's signature from its parameter annotation, which keeps the
/// lifetimes in it general.)
pub trait BorrowingFn<A: HandlerArgs, R> {
    /// Calls the closure.
    fn call_with(&mut self, args: A::Of<'_>) -> R;
}

impl<F, A, R> BorrowingFn<A, R> for F
where
    A: HandlerArgs,
    F: FnMut(A) -> R + for<'a> FnMut(A::Of<'a>) -> R,
{
    #[inline]
    fn call_with(&mut self, args: A::Of<'_>) -> R {
        self(args)
    }
}

/// A closure that takes the [`Context`] and borrows its arguments from the
/// packet: what
/// [`Dispatcher::map_ref_with_context`](super::Dispatcher::map_ref_with_context)
/// takes. See [`BorrowingFn`].
pub trait BorrowingContextFn<A: HandlerArgs, R> {
    /// Calls the closure.
    fn call_with(&mut self, context: &Context<'_>, args: A::Of<'_>) -> R;
}

impl<F, A, R> BorrowingContextFn<A, R> for F
where
    A: HandlerArgs,
    F: FnMut(&Context<'_>, A) -> R + for<'a> FnMut(&Context<'_>, A::Of<'a>) -> R,
{
    #[inline]
    fn call_with(&mut self, context: &Context<'_>, args: A::Of<'_>) -> R {
        self(context, args)
    }
}

/// The wrappers that say which way a closure was mapped.
pub(crate) struct Borrowing<F>(pub F);
pub(crate) struct BorrowingWithContext<F>(pub F);
pub(crate) struct OwnedWithContext<F>(pub F);

impl<F: BorrowingFn<A, R>, A: HandlerArgs, R> Invoke<A, R> for Borrowing<F> {
    #[inline]
    fn invoke(&mut self, _: &Context<'_>, args: A::Of<'_>) -> R {
        self.0.call_with(args)
    }
}

impl<F: BorrowingContextFn<A, R>, A: HandlerArgs, R> Invoke<A, R> for BorrowingWithContext<F> {
    #[inline]
    fn invoke(&mut self, context: &Context<'_>, args: A::Of<'_>) -> R {
        self.0.call_with(context, args)
    }
}

impl<F, T, R> Invoke<Owned<T>, R> for OwnedWithContext<F>
where
    F: FnMut(&Context<'_>, T) -> R,
    T: serde::de::DeserializeOwned + 'static,
{
    #[inline]
    fn invoke(&mut self, context: &Context<'_>, args: T) -> R {
        (self.0)(context, args)
    }
}

/// What a handler knows about the message it is called for, and its way
/// to answer the sender (python-osc's `needs_reply_address`).
///
/// ```
/// use osc_serde::{Dispatcher, Message, Origin, TimeTag};
/// use osc_serde::dispatch::Context;
///
/// let mut d = Dispatcher::new();
/// d.map_with_context("/ping", |ctx: &Context, (): ()| {
///     assert_eq!(ctx.address(), "/ping");
///     assert_eq!(ctx.timetag(), None); // not in a bundle
///     ctx.reply_to("/pong", &42)
/// })?;
///
/// let mut sent = Vec::new();
/// d.dispatch(&Message::new("/ping").to_bytes()?, Origin::default(), &mut sent);
/// assert_eq!(sent[0].1, Message::new("/pong").arg(42).to_bytes()?);
/// # Ok::<(), osc_serde::Error>(())
/// ```
pub struct Context<'a> {
    address: &'a str,
    origin: Origin,
    timetag: Option<TimeTag>,
    sink: RefCell<ReplySink<'a>>,
}

impl fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("address", &self.address)
            .field("origin", &self.origin)
            .field("timetag", &self.timetag)
            .finish_non_exhaustive()
    }
}

/// Where replies go: the transport's responder, through a reused buffer.
struct ReplySink<'a> {
    responder: &'a mut dyn Responder,
    buffer: &'a mut Vec<u8>,
}

impl<'a> Context<'a> {
    pub(crate) fn new(
        address: &'a str,
        origin: Origin,
        timetag: Option<TimeTag>,
        responder: &'a mut dyn Responder,
        buffer: &'a mut Vec<u8>,
    ) -> Self {
        Context {
            address,
            origin,
            timetag,
            sink: RefCell::new(ReplySink { responder, buffer }),
        }
    }

    /// The address of the message (as sent: it may be a pattern).
    pub fn address(&self) -> &str {
        self.address
    }

    /// Where the message came from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The sender's socket address, if the transport knows it.
    pub fn peer(&self) -> Option<SocketAddr> {
        self.origin.peer
    }

    /// The time tag of the innermost bundle that held the message; `None`
    /// for a message sent on its own.
    pub fn timetag(&self) -> Option<TimeTag> {
        self.timetag
    }

    /// Sends `value` back to the sender as a message: a type named after
    /// an address (`#[serde(rename = "/pong")]`) or a [`Message`].
    pub fn reply<T: Serialize + ?Sized>(&self, value: &T) -> Result<()> {
        self.send_with(|out| crate::encode_into(out, value))
    }

    /// Sends a message to `address` with `args` as its arguments back to
    /// the sender.
    pub fn reply_to<T: Serialize + ?Sized>(&self, address: &str, args: &T) -> Result<()> {
        self.send_with(|out| crate::encode_into_with_address(out, address, args))
    }

    /// Sends any [`IntoReply`] value back (what a handler's return value
    /// goes through).
    pub fn send<R: IntoReply>(&self, reply: R) -> Result<()> {
        self.send_with(|out| reply.write_reply(out))
    }

    fn send_with(&self, encode: impl FnOnce(&mut Vec<u8>) -> Result<()>) -> Result<()> {
        let mut sink = self
            .sink
            .try_borrow_mut()
            .map_err(|_| Error::ReplyWhileEncoding)?;
        let sink = &mut *sink;
        sink.buffer.clear();
        encode(sink.buffer)?;
        if !sink.buffer.is_empty() {
            sink.responder.respond(&self.origin, sink.buffer);
        }
        Ok(())
    }
}

/// A handler's return value: nothing, or one packet to send back to the
/// sender.
///
/// Implemented for `()` (no reply), [`Message`], [`Packet`], [`Bundle`],
/// [`Reply`] (any serde value), `Option<R>` (maybe a reply) and
/// `Result<R, Error>` (an error goes to the error hook).
pub trait IntoReply {
    /// Appends the reply packet's bytes to `out` (which is empty); leaves
    /// it empty for no reply.
    fn write_reply(self, out: &mut Vec<u8>) -> Result<()>;
}

impl IntoReply for () {
    fn write_reply(self, _: &mut Vec<u8>) -> Result<()> {
        Ok(())
    }
}

impl IntoReply for Message {
    fn write_reply(self, out: &mut Vec<u8>) -> Result<()> {
        self.encode_into(out)
    }
}

impl IntoReply for Packet {
    fn write_reply(self, out: &mut Vec<u8>) -> Result<()> {
        self.encode_into(out)
    }
}

impl IntoReply for Bundle {
    fn write_reply(self, out: &mut Vec<u8>) -> Result<()> {
        self.encode_into(out)
    }
}

impl<R: IntoReply> IntoReply for Option<R> {
    fn write_reply(self, out: &mut Vec<u8>) -> Result<()> {
        self.map_or(Ok(()), |reply| reply.write_reply(out))
    }
}

impl<R: IntoReply> IntoReply for Result<R> {
    fn write_reply(self, out: &mut Vec<u8>) -> Result<()> {
        self?.write_reply(out)
    }
}

/// A serde value to send back as a reply message: either a type named
/// after an address ([`Reply::new`]) or any value as the arguments of a
/// given address ([`Reply::to`]).
///
/// ```
/// use osc_serde::{Dispatcher, Message, Origin};
/// use osc_serde::dispatch::Reply;
///
/// #[derive(serde::Serialize)]
/// #[serde(rename = "/sum")]
/// struct Sum(i32);
///
/// let mut d = Dispatcher::new();
/// d.map("/add", |(a, b): (i32, i32)| Reply::new(Sum(a + b)))?;
/// d.map("/echo", |s: String| Reply::to("/echoed", s))?;
///
/// let mut sent = Vec::new();
/// d.dispatch(&Message::new("/add").arg(2).arg(3).to_bytes()?, Origin::default(), &mut sent);
/// d.dispatch(&Message::new("/echo").arg("hi").to_bytes()?, Origin::default(), &mut sent);
/// assert_eq!(sent[0].1, Message::new("/sum").arg(5).to_bytes()?);
/// assert_eq!(sent[1].1, Message::new("/echoed").arg("hi").to_bytes()?);
/// # Ok::<(), osc_serde::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Reply<T> {
    address: Option<Cow<'static, str>>,
    value: T,
}

impl<T: Serialize> Reply<T> {
    /// A reply of a type named after an address.
    pub fn new(value: T) -> Self {
        Reply {
            address: None,
            value,
        }
    }

    /// A reply to `address` with `args` as its arguments.
    pub fn to(address: impl Into<Cow<'static, str>>, args: T) -> Self {
        Reply {
            address: Some(address.into()),
            value: args,
        }
    }
}

impl<T: Serialize> IntoReply for Reply<T> {
    fn write_reply(self, out: &mut Vec<u8>) -> Result<()> {
        match &self.address {
            Some(address) => crate::encode_into_with_address(out, address, &self.value),
            None => crate::encode_into(out, &self.value),
        }
    }
}
