//! Open Sound Control (OSC 1.0 and 1.1) as a serde data format.
//!
//! Derive `Serialize` and `Deserialize` on a struct, name it after an OSC
//! address, and it becomes a message and back:
//!
//! ```
//! use osc_serde::{Deserialize, Serialize};
//!
//! #[derive(Debug, PartialEq, Serialize, Deserialize)]
//! #[serde(crate = "osc_serde::serde")] // needed only without a serde dependency of your own
//! #[serde(rename = "/synth/1/freq")]
//! struct Freq<'a> {
//!     hz: i32,
//!     amp: f32,
//!     wave: &'a str,
//! }
//!
//! let bytes = osc_serde::to_vec(&Freq { hz: 440, amp: 0.5, wave: "sine" })?;
//! assert_eq!(bytes, b"/synth/1/freq\0\0\0,ifs\0\0\0\0\0\0\x01\xb8\x3f\0\0\0sine\0\0\0\0");
//!
//! // Decoding borrows `wave` from `bytes`: no allocation.
//! let freq: Freq = osc_serde::from_slice(&bytes)?;
//! assert_eq!(freq, Freq { hz: 440, amp: 0.5, wave: "sine" });
//! # Ok::<(), osc_serde::Error>(())
//! ```
//!
//! For values whose types are not known ahead there are the dynamic
//! [`Message`], [`Bundle`], [`Packet`] and [`Value`], and the borrowed views
//! [`MessageRef`] and [`PacketRef`] that parse without allocating.
//!
//! # On the network
//!
//! A [`Dispatcher`] routes each received message to the handler mapped to
//! its address, deserializing the arguments into the handler's parameter
//! type; a [`transport::Server`] runs it on UDP sockets and TCP listeners;
//! [`transport::UdpClient`] and [`transport::TcpClient`] send typed values
//! and read replies. A handler's return value goes back to the sender:
//!
//! ```
//! use osc_serde::framing::Framing;
//! use osc_serde::transport::{Server, TcpClient, UdpClient};
//! use osc_serde::{Context, Dispatcher, Message};
//! use std::sync::mpsc;
//! use std::time::Duration;
//!
//! #[derive(Debug, PartialEq, serde::Deserialize)]
//! #[serde(rename = "/pong")] // decoding checks the address
//! struct Pong(i32, bool);
//!
//! let (volumes, received) = mpsc::channel();
//! let mut dispatcher = Dispatcher::new();
//! dispatcher.map("/mixer/*/volume", move |v: f32| volumes.send(v).unwrap())?;
//! dispatcher.map_with_context("/ping", |ctx: &Context, (n,): (i32,)| {
//!     Message::new("/pong").arg(n + 1).arg(ctx.peer().is_some())
//! })?;
//!
//! let mut server = Server::new(dispatcher)?;
//! let udp = server.bind_udp("127.0.0.1:0")?; // port 0: any free port
//! let tcp = server.listen_tcp("127.0.0.1:0")?; // either framing, detected
//! let handle = server.spawn()?; // serves on its own thread
//!
//! let mut client = UdpClient::new(udp)?;
//! client.send_message("/mixer/3/volume", &0.5f32)?; // `f32` is sent as `f`
//! assert_eq!(received.recv_timeout(Duration::from_secs(5)), Ok(0.5));
//!
//! client.send_message("/ping", &(41,))?;
//! let reply: Option<Pong> = client.recv_as(Duration::from_secs(5))?; // None: timed out
//! assert_eq!(reply, Some(Pong(42, true)));
//!
//! // OSC 1.0 over TCP (a length before each packet); Framing::Slip is OSC 1.1.
//! let mut tcp_client = TcpClient::connect_with(tcp, Framing::Length)?;
//! tcp_client.send_message("/ping", &(1,))?;
//! let reply: Option<Pong> = tcp_client.recv_as(Duration::from_secs(5))?;
//! assert_eq!(reply, Some(Pong(2, true)));
//!
//! handle.stop()?;
//! assert_eq!(handle.join()?.stats().errors, 0);
//! # Ok::<(), osc_serde::Error>(())
//! ```
//!
//! # In your project
//!
//! ```toml
//! [dependencies]
//! osc-serde = "0.1"
//! ```
//!
//! The default features give everything above; the derive macros are
//! re-exported as [`Serialize`](macro@Serialize) and
//! [`Deserialize`](macro@Deserialize), and serde itself as
//! [`osc_serde::serde`](serde). A derive expands to code that names the
//! `serde` crate, so in a project without `serde` among its own
//! dependencies add `#[serde(crate = "osc_serde::serde")]` to each derived
//! type, as above. With `serde = { version = "1", features = ["derive"] }`
//! in your own `[dependencies]` the attribute is not needed, and
//! `serde::Serialize` and `osc_serde::Serialize` are the same derive. The
//! library needs Rust 1.85 or newer.
//!
//! # From Rust to OSC
//!
//! At the top level a value is a *message*: an address and arguments.
//!
//! | Rust value | becomes |
//! | --- | --- |
//! | struct, tuple struct or unit struct renamed to an address (`#[serde(rename = "/a/b")]`) | a message to that address; the fields are the arguments, in order |
//! | enum whose variants are renamed to addresses | a message to the variant's address; its fields are the arguments |
//! | anything else, with an address given ([`to_vec_with_address`], [`Message::from_value`]) | fields, tuple items or sequence items are the arguments; a scalar is one argument; `()` is none |
//! | [`Message`] | itself |
//!
//! An address given explicitly wins over the one a type is named after.
//!
//! Inside the arguments:
//!
//! | Rust / serde | OSC tag | notes |
//! | --- | --- | --- |
//! | `bool` | `T` / `F` | no payload |
//! | `i8 i16 i32 u8 u16` | `i` | `u32` is `i` when it fits, else an error naming the field |
//! | `i64 u64` | `h` | a `u64` above `i64::MAX` is an error |
//! | `f32` / `f64` | `f` / `d` | a float literal is `f64`: write `0.5f32` to send the `f` most receivers expect |
//! | `char` | `c` | 32-bit code point |
//! | `&str`, `String` | `s` | [`Symbol`] is `S` |
//! | `&[u8]`, `Vec<u8>`, `serde_bytes`, [`Blob`] | `b` | any sequence of `u8` inside the arguments; an empty one is `[]` (no item tells its type: use [`Blob`] for an empty blob) |
//! | `Option<T>` | `N` or the tag of `T` | |
//! | `()`, a unit struct | `N` | |
//! | [`Infinitum`] | `I` | |
//! | [`TimeTag`] | `t` | |
//! | [`Color`] | `r` | |
//! | [`Midi`] | `m` | |
//! | sequence, tuple, nested struct | `[` … `]` | arrays nest, up to [`MAX_DEPTH`] |
//! | unit enum variant | `s` | the variant's (renamed) name |
//! | map; enum variant with data | error | OSC has no maps; name such variants after addresses |
//! | `i128`, `u128` | error | |
//!
//! # From OSC to Rust
//!
//! [`from_slice`] reads one message. A struct named after an address checks
//! the address; an enum with variants named after addresses picks the
//! variant by it. Every tag must match what the target asks for, with
//! lossless widenings allowed: `i` into any integer type the value fits,
//! `h` likewise, `f` into `f64`, `i`/`h` into `f32`/`f64` when exact, `S`
//! into a string, a one-character `s` into `char`, a blob into `Vec<u8>`
//! (and an array of integers too). One narrowing is allowed on purpose: a
//! `d` into `f32` is rounded to the nearest `f32`, because Rust float
//! literals are `f64` and many senders send `d` where `f` was meant; a
//! finite `d` beyond `f32`'s range is [`Error::OutOfRange`]. Anything else is an
//! [`Error::TypeMismatch`] naming the argument's position in the type tag
//! string, the expected and the found tag. A missing argument is
//! [`Error::MissingArgument`], except that a trailing `Option` field takes
//! `None`; surplus arguments are [`Error::TooManyArguments`]: decoding into a
//! type that takes fewer arguments than sent is refused rather than silently
//! dropping data (decode into `Vec<Value>` or [`Message`] to take anything).
//! `&str` and `&[u8]` fields borrow from the input.
//!
//! # Decoding untrusted bytes
//!
//! Decoding never panics and never allocates by a length the input claims:
//! every length is checked against the bytes that remain first, unknown
//! type tags are errors (never skipped), strings must be UTF-8, and arrays
//! and bundles nest at most [`MAX_DEPTH`] deep. The borrowed views and
//! borrowing targets allocate nothing; owned values ([`Message`],
//! [`Value`]) take memory in proportion to the input (a `Value` per
//! argument, so a one-byte tag such as `N` costs `size_of::<Value>()`). A
//! message without a type tag string (old OSC 1.0 senders) decodes with no
//! arguments when nothing follows its address; argument bytes without tags
//! cannot be read, and reading them is [`Error::MissingTypeTags`] (the raw
//! bytes stay reachable through [`MessageRef::data`]), never a silent drop.
//!
//! # Without std or an allocator
//!
//! With `default-features = false` the crate is `#![no_std]` and needs no
//! allocator: [`to_slice`] encodes into a buffer of your own,
//! [`from_slice`] decodes with `&str` and `&[u8]` fields borrowed from the
//! input, and [`MessageRef`], [`PacketRef`] and [`BundleRef`] read packets.
//! The `alloc` feature adds the owned types (`Value`, `Message`, `Bundle`,
//! `Packet`, `Pattern`) and `to_vec`; `std` (the default) adds `SystemTime`
//! conversions, `io::Write`, the dispatcher and the transports.
//!
//! ```
//! use osc_serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize)]
//! #[serde(rename = "/sensor/1")]
//! struct Reading {
//!     temperature: f32,
//!     humidity: f32,
//! }
//!
//! #[derive(Deserialize, Debug, PartialEq)]
//! #[serde(rename = "/led")]
//! struct Led<'a> {
//!     colour: &'a str,
//!     level: i32,
//! }
//!
//! let mut buf = [0u8; 64];
//! let n = osc_serde::to_slice(&mut buf, &Reading { temperature: 22.5, humidity: 50.0 })?;
//! assert_eq!(&buf[..n], b"/sensor/1\0\0\0,ff\0\x41\xb4\0\0\x42\x48\0\0");
//!
//! let received = b"/led\0\0\0\0,si\0red\0\0\0\0\x80";
//! let led: Led = osc_serde::from_slice(received)?;
//! assert_eq!(led, Led { colour: "red", level: 128 });
//! # Ok::<(), osc_serde::Error>(())
//! ```
#![cfg_attr(not(any(feature = "std", test)), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![warn(missing_debug_implementations)]

#[cfg(feature = "alloc")]
extern crate alloc;

pub mod address;
mod args;
mod bundle;
mod de;
#[cfg(feature = "std")]
pub mod dispatch;
pub mod error;
pub mod framing;
mod message;
mod output;
mod ser;
mod special;
mod timetag;
#[cfg(feature = "tokio")]
pub mod tokio;
#[cfg(feature = "transport")]
pub mod transport;
pub mod value;
#[cfg(feature = "alloc")]
mod value_source;
pub mod wire;

#[cfg(feature = "alloc")]
pub use address::Pattern;
pub use args::{Args, ArrayRef, MAX_DEPTH};
#[cfg(feature = "alloc")]
pub use bundle::{Bundle, Packet};
pub use bundle::{BundleRef, Elements, PacketRef, BUNDLE_TAG};
#[cfg(feature = "std")]
pub use dispatch::{Context, Dispatcher, Origin, Responder};
pub use error::{Error, Result};
#[cfg(feature = "alloc")]
pub use message::Message;
pub use message::MessageRef;
#[cfg(feature = "alloc")]
pub use value::Value;
pub use value::{Blob, Color, Infinitum, Midi, Symbol, TimeTag, ValueRef};

/// The serde this crate is built on, so that a project depending on
/// osc-serde alone can derive with `#[serde(crate = "osc_serde::serde")]`.
pub use serde;
#[cfg(feature = "derive")]
pub use serde::{Deserialize, Serialize};

/// The README's examples run as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(feature = "alloc")]
use alloc::vec::Vec;

/// Encodes a value named after an address (see the crate docs) as a
/// message into `buf`, and returns the length written: no allocation, for
/// firmware without an allocator.
///
/// A `buf` too small for the message is [`Error::BufferTooSmall`]; the
/// length is then not returned, and what `buf` holds is unspecified.
///
/// ```
/// #[derive(serde::Serialize)]
/// #[serde(rename = "/volume")]
/// struct Volume(f32);
///
/// let mut buf = [0u8; 64];
/// let n = osc_serde::to_slice(&mut buf, &Volume(1.0))?;
/// assert_eq!(&buf[..n], b"/volume\0,f\0\0\x3f\x80\0\0");
///
/// let mut small = [0u8; 8];
/// assert!(matches!(
///     osc_serde::to_slice(&mut small, &Volume(1.0)),
///     Err(osc_serde::Error::BufferTooSmall { capacity: 8 })
/// ));
/// # Ok::<(), osc_serde::Error>(())
/// ```
#[inline]
pub fn to_slice<T: serde::Serialize + ?Sized>(buf: &mut [u8], value: &T) -> Result<usize> {
    let mut out = output::SliceOutput::new(buf);
    ser::encode(&mut out, None, value)?;
    Ok(output::Output::len(&out))
}

/// Encodes `value` as the arguments of a message to `address` into `buf`,
/// and returns the length written; see [`to_slice`].
///
/// ```
/// let mut buf = [0u8; 32];
/// let n = osc_serde::to_slice_with_address(&mut buf, "/pair", &(1, "a"))?;
/// assert_eq!(&buf[..n], b"/pair\0\0\0,is\0\0\0\0\x01a\0\0\0");
/// # Ok::<(), osc_serde::Error>(())
/// ```
#[inline]
pub fn to_slice_with_address<T: serde::Serialize + ?Sized>(
    buf: &mut [u8],
    address: &str,
    value: &T,
) -> Result<usize> {
    let mut out = output::SliceOutput::new(buf);
    ser::encode(&mut out, Some(address), value)?;
    Ok(output::Output::len(&out))
}

/// Encodes a value named after an address (see the crate docs) as a message.
///
/// ```
/// #[derive(serde::Serialize)]
/// #[serde(rename = "/volume")]
/// struct Volume(f32);
///
/// assert_eq!(osc_serde::to_vec(&Volume(1.0))?, b"/volume\0,f\0\0\x3f\x80\0\0");
/// # Ok::<(), osc_serde::Error>(())
/// ```
#[cfg(feature = "alloc")]
pub fn to_vec<T: serde::Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    ser::encode(&mut out, None, value)?;
    Ok(out)
}

/// Encodes `value` as the arguments of a message to `address`.
///
/// ```
/// let bytes = osc_serde::to_vec_with_address("/pair", &(1, "a"))?;
/// assert_eq!(bytes, b"/pair\0\0\0,is\0\0\0\0\x01a\0\0\0");
/// # Ok::<(), osc_serde::Error>(())
/// ```
#[cfg(feature = "alloc")]
pub fn to_vec_with_address<T: serde::Serialize + ?Sized>(
    address: &str,
    value: &T,
) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    ser::encode(&mut out, Some(address), value)?;
    Ok(out)
}

/// Appends the message encoding of `value` to `out`. Reusing `out` (after
/// `clear()`) encodes without allocating. On error `out` is unchanged.
///
/// ```
/// #[derive(serde::Serialize)]
/// #[serde(rename = "/v")]
/// struct V(i32);
///
/// let mut buf = Vec::with_capacity(64);
/// for i in 0..3 {
///     buf.clear();
///     osc_serde::encode_into(&mut buf, &V(i))?;
///     assert_eq!(buf.len(), 12);
/// }
/// # Ok::<(), osc_serde::Error>(())
/// ```
#[cfg(feature = "alloc")]
pub fn encode_into<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<()> {
    ser::encode(out, None, value)
}

/// Appends a message to `address` with `value` as its arguments to `out`.
#[cfg(feature = "alloc")]
pub fn encode_into_with_address<T: serde::Serialize + ?Sized>(
    out: &mut Vec<u8>,
    address: &str,
    value: &T,
) -> Result<()> {
    ser::encode(out, Some(address), value)
}

/// Writes the message encoding of `value` to `writer`.
#[cfg(feature = "std")]
pub fn to_writer<W: std::io::Write, T: serde::Serialize + ?Sized>(
    mut writer: W,
    value: &T,
) -> Result<()> {
    writer.write_all(&to_vec(value)?)?;
    Ok(())
}

/// Decodes one message into `T`: see the crate docs for the mapping.
///
/// ```
/// let bytes = osc_serde::to_vec_with_address("/pair", &(1, "a"))?;
/// let (n, s): (i64, &str) = osc_serde::from_slice(&bytes)?;
/// assert_eq!((n, s), (1, "a"));
/// # Ok::<(), osc_serde::Error>(())
/// ```
#[inline]
pub fn from_slice<'de, T: serde::Deserialize<'de>>(bytes: &'de [u8]) -> Result<T> {
    MessageRef::from_bytes(bytes)?.deserialize()
}
