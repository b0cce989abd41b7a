//! What a handler's parameter may be, and how it borrows from the packet.
//!
//! A handler that borrows (`|(n, name): (i32, &str)|`) is a closure that
//! works for *every* packet lifetime: `for<'a> FnMut((i32, &'a str))`. A
//! plain generic `T: Deserialize<'de>` cannot say that, since `T` names
//! one lifetime. So the types a borrowing handler
//! ([`Dispatcher::map_ref`](super::Dispatcher::map_ref)) takes are
//! *families*: [`HandlerArgs::Of<'a>`](HandlerArgs::Of) is the type for a
//! packet that lives for `'a` (`(i32, &'a str)`), and the closure is
//! checked against all of them at once. The family is found from the
//! closure's own parameter type, so nothing needs spelling out at the call.
//!
//! Why `map_ref` is a method of its own rather than part of `map`: see
//! [`HandlerArgs`].

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::error::Result;
use crate::message::{Message, MessageRef};
use crate::value::{Blob, Color, Infinitum, Midi, Symbol, TimeTag, Value};

/// A type a borrowing handler can take, as a family over the packet's
/// lifetime: `Of<'a>` is the type for a packet that lives for `'a`.
///
/// Implemented for every [`BorrowDeserialize`] type (decoded by this
/// crate's serde format) and for the untyped views: [`MessageRef`] (the
/// message itself, zero-copy), [`Message`] and `Vec<Value>` (owned copies,
/// read with the same argument cursor as [`MessageRef::args`]).
///
/// Why [`map_ref`](super::Dispatcher::map_ref) is a method of its own
/// rather than what [`map`](super::Dispatcher::map) does: one method
/// taking both any `DeserializeOwned` type (your derived structs, with no
/// extra code) and these families would have to choose between two impls
/// for every type holding a `&str`, and the trait solver cannot on stable
/// Rust (it chooses ignoring lifetimes, and to it `&'a str` deserializes
/// as if owned). So `map` takes owned types, and `map_ref` takes the
/// families, the owned built-in types among them.
pub trait HandlerArgs {
    /// The type for a packet that lives for `'a`.
    type Of<'a>;

    /// Reads the arguments (or the whole message) from `message`.
    fn decode(message: MessageRef<'_>) -> Result<Self::Of<'_>>;
}

/// A serde type whose lifetime can be re-bound to the packet's: `Of<'a>`
/// is the same type borrowing for `'a` (`&'a str` for `&str`, `Cmd<'a>`
/// for `Cmd<'_>`, the type itself when it borrows nothing).
///
/// Implemented for the scalars, `String`, `&str`, `&[u8]`, `()`, this
/// crate's special types, `Option`, `Vec` and tuples of up to 16 of them.
/// For your own type, [`borrow_deserialize!`](crate::borrow_deserialize)
/// writes the impl:
///
/// ```
/// use osc_serde::{Dispatcher, Message, Origin};
/// use serde::Deserialize;
/// use std::sync::{Arc, Mutex};
///
/// #[derive(Deserialize)]
/// struct Cmd<'a> {
///     name: &'a str,
///     level: f32,
/// }
/// osc_serde::borrow_deserialize!(Cmd<'a>);
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let mut d = Dispatcher::new();
/// let s = seen.clone();
/// d.map_ref("/cmd", move |cmd: Cmd| s.lock().unwrap().push(format!("{} {}", cmd.name, cmd.level)))?;
/// d.dispatch(&Message::new("/cmd").arg("go").arg(0.5f32).to_bytes()?, Origin::default(), &mut Vec::new());
/// assert_eq!(*seen.lock().unwrap(), ["go 0.5"]);
/// # Ok::<(), osc_serde::Error>(())
/// ```
///
/// By hand it is one line: `impl BorrowDeserialize for Cmd<'_> { type
/// Of<'a> = Cmd<'a>; }`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a type a `map_ref` handler can take",
    note = "for your own `#[derive(Deserialize)]` type, add `osc_serde::borrow_deserialize!({Self});` (a type with a lifetime: `borrow_deserialize!(Name<'a>)`)",
    note = "or map it with `Dispatcher::map`, which takes any `DeserializeOwned` type"
)]
pub trait BorrowDeserialize {
    /// The type borrowing for `'a`.
    type Of<'a>: Deserialize<'a>;
}

impl<T: BorrowDeserialize> HandlerArgs for T {
    type Of<'a> = T::Of<'a>;

    #[inline]
    fn decode(message: MessageRef<'_>) -> Result<Self::Of<'_>> {
        message.deserialize()
    }
}

impl HandlerArgs for MessageRef<'_> {
    type Of<'a> = MessageRef<'a>;

    #[inline]
    fn decode(message: MessageRef<'_>) -> Result<MessageRef<'_>> {
        Ok(message)
    }
}

impl HandlerArgs for Message {
    type Of<'a> = Message;

    fn decode(message: MessageRef<'_>) -> Result<Message> {
        message.to_message()
    }
}

impl HandlerArgs for Vec<Value> {
    type Of<'a> = Vec<Value>;

    fn decode(message: MessageRef<'_>) -> Result<Vec<Value>> {
        message.check_type_tags()?;
        crate::value::to_values(message.type_tags().as_bytes(), message.data())
    }
}

/// The family of an owned type: the type itself for every lifetime. What
/// [`Dispatcher::map`](super::Dispatcher::map) stores its handlers as.
pub(crate) struct Owned<T>(T);

impl<T: DeserializeOwned + 'static> HandlerArgs for Owned<T> {
    type Of<'a> = T;

    #[inline]
    fn decode(message: MessageRef<'_>) -> Result<T> {
        match untyped(message) {
            Some(value) => value,
            None => message.deserialize(),
        }
    }
}

/// Decodes `Message` and `Vec<Value>` (the untyped handlers' types) with
/// the argument cursor rather than through serde's `Value` visitor: one
/// path for untyped reading, whichever mapping method was used. `None`
/// for any other `T`; the type test is resolved at compile time.
fn untyped<T: 'static>(message: MessageRef<'_>) -> Option<Result<T>> {
    use std::any::Any;
    let mut slot: Option<Result<T>> = None;
    let any: &mut dyn Any = &mut slot;
    if let Some(slot) = any.downcast_mut::<Option<Result<Message>>>() {
        *slot = Some(Message::decode(message));
    } else if let Some(slot) = any.downcast_mut::<Option<Result<Vec<Value>>>>() {
        *slot = Some(<Vec<Value>>::decode(message));
    }
    slot
}

/// Implements [`BorrowDeserialize`] for a type of yours that derives
/// `Deserialize`: `borrow_deserialize!(Note)` for one that borrows
/// nothing, `borrow_deserialize!(Cmd<'a>)` for one with a lifetime
/// (several at once: `borrow_deserialize!(Note, Cmd<'a>)`). Types with
/// type parameters take the one-line impl by hand (see the trait).
#[macro_export]
macro_rules! borrow_deserialize {
    (@one $ty:ident) => {
        impl $crate::dispatch::BorrowDeserialize for $ty {
            type Of<'__osc> = $ty;
        }
    };
    (@one $ty:ident < $lt:lifetime >) => {
        impl<$lt> $crate::dispatch::BorrowDeserialize for $ty<$lt> {
            type Of<'__osc> = $ty<'__osc>;
        }
    };
    ($($ty:ident $(< $lt:lifetime >)?),+ $(,)?) => {
        $($crate::borrow_deserialize!(@one $ty $(< $lt >)?);)+
    };
}

/// Types that borrow nothing: their own family.
macro_rules! owned_family {
    ($($ty:ty),* $(,)?) => {$(
        impl BorrowDeserialize for $ty {
            type Of<'a> = $ty;
        }
    )*};
}

owned_family! {
    (), bool, i8, i16, i32, i64, u8, u16, u32, u64, f32, f64, char, String,
    Blob, Color, Midi, Infinitum, TimeTag,
}

impl BorrowDeserialize for &str {
    type Of<'a> = &'a str;
}

impl BorrowDeserialize for &[u8] {
    type Of<'a> = &'a [u8];
}

impl BorrowDeserialize for Blob<&[u8]> {
    type Of<'a> = Blob<&'a [u8]>;
}

impl<S: BorrowDeserialize> BorrowDeserialize for Symbol<S> {
    type Of<'a> = Symbol<S::Of<'a>>;
}

impl<T: BorrowDeserialize> BorrowDeserialize for Option<T> {
    type Of<'a> = Option<T::Of<'a>>;
}

impl<T: BorrowDeserialize> BorrowDeserialize for Vec<T> {
    type Of<'a> = Vec<T::Of<'a>>;
}

macro_rules! tuple_family {
    ($($name:ident)+) => {
        impl<$($name: BorrowDeserialize),+> BorrowDeserialize for ($($name,)+) {
            type Of<'a> = ($($name::Of<'a>,)+);
        }
    };
}

tuple_family!(A);
tuple_family!(A B);
tuple_family!(A B C);
tuple_family!(A B C D);
tuple_family!(A B C D E);
tuple_family!(A B C D E F);
tuple_family!(A B C D E F G);
tuple_family!(A B C D E F G H);
tuple_family!(A B C D E F G H I);
tuple_family!(A B C D E F G H I J);
tuple_family!(A B C D E F G H I J K);
tuple_family!(A B C D E F G H I J K L);
tuple_family!(A B C D E F G H I J K L M);
tuple_family!(A B C D E F G H I J K L M N);
tuple_family!(A B C D E F G H I J K L M N O);
tuple_family!(A B C D E F G H I J K L M N O P);
