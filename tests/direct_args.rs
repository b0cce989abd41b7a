//! `Message::decode_args` reads the owned arguments directly; it must give
//! exactly what encoding the message and decoding the bytes with
//! `from_slice` gives: the same value, or the same error (variant, index,
//! expected and found), for arbitrary `Value` trees and typed targets.
//! `Message::from_value` must give the arguments that encoding the value
//! and decoding the bytes give.
//!
//! Results are compared by their `Debug` text (errors have no `PartialEq`),
//! and owned messages also by their encoded bytes, so NaN payloads count.

use std::collections::BTreeMap;
use std::fmt::Debug;

use osc_serde::{Color, Infinitum, Message, MessageRef, Midi, Symbol, TimeTag, Value, MAX_DEPTH};
use proptest::collection::vec;
use proptest::prelude::*;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

#[path = "common/value_strategy.rs"]
mod value_strategy;
use value_strategy::{leaf, osc_string, value};

/// What `decode_args` did before it read the arguments directly: encode,
/// then decode the bytes.
fn through_bytes<T: for<'a> Deserialize<'a>>(msg: &Message) -> osc_serde::Result<T> {
    MessageRef::from_bytes(&msg.to_bytes()?)?.deserialize()
}

/// Asserts that both paths agree for target `T`, and returns whether they
/// succeeded (so that a test can check it was not all errors).
fn agree<T: for<'a> Deserialize<'a> + Debug>(msg: &Message) -> bool {
    let direct = msg.decode_args::<T>();
    let bytes = through_bytes::<T>(msg);
    assert_eq!(
        format!("{direct:?}"),
        format!("{bytes:?}"),
        "{} for {msg:?}",
        std::any::type_name::<T>()
    );
    direct.is_ok()
}

/// As [`agree`], and the decoded message also encodes to the same bytes
/// (so every float bit matches).
fn agree_owned(msg: &Message) {
    agree::<Message>(msg);
    if let (Ok(a), Ok(b)) = (msg.decode_args::<Message>(), through_bytes::<Message>(msg)) {
        assert_eq!(a.to_bytes().unwrap(), b.to_bytes().unwrap());
    }
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Mixed {
    a: i64,
    b: Option<f32>,
    c: Option<String>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Specials {
    t: TimeTag,
    r: Color,
    m: Midi,
    s: Symbol<String>,
    i: Infinitum,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
enum ByAddress {
    #[serde(rename = "/a")]
    A(i32),
    #[serde(rename = "/b")]
    B { x: f64, y: Vec<u8> },
    #[serde(rename = "/c")]
    C,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
enum Mode {
    Sine,
    Square,
}

#[derive(Debug, Deserialize)]
#[serde(rename = "/a")]
#[allow(dead_code)]
struct Addressed(i32, Option<char>);

/// Every target below, against one message.
fn agree_all(msg: &Message) {
    agree_owned(msg);
    agree::<Vec<Value>>(msg);
    agree::<Value>(msg);
    agree::<()>(msg);
    agree::<IgnoredAny>(msg);
    agree::<(i32,)>(msg);
    agree::<(u8, i16)>(msg);
    agree::<(u64, u32, i8)>(msg);
    agree::<(f32, f64)>(msg);
    agree::<(String, char, bool)>(msg);
    agree::<(serde_bytes::ByteBuf,)>(msg);
    agree::<Vec<u8>>(msg);
    agree::<(Vec<u8>, Vec<i32>)>(msg);
    agree::<Vec<Vec<Value>>>(msg);
    agree::<Vec<Option<f32>>>(msg);
    agree::<((), Option<i64>)>(msg);
    agree::<(Mode, String)>(msg);
    agree::<Mixed>(msg);
    agree::<Specials>(msg);
    agree::<ByAddress>(msg);
    agree::<Addressed>(msg);
    agree::<(Vec<(i32, String)>,)>(msg);
    agree::<BTreeMap<String, i32>>(msg);
}

/// Addresses, valid or not as the encoder sees them.
fn address() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "/[a-c]{0,2}",
        1 => Just(String::new()),
        1 => Just("a".to_owned()),
        1 => Just("/a\0b".to_owned()),
    ]
}

/// Any argument, sometimes a string the encoder refuses.
fn any_arg() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => value(),
        1 => osc_string().prop_map(|s| Value::String(format!("{s}\0"))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_trees_agree(address in address(), args in vec(any_arg(), 0..6)) {
        agree_all(&Message::with_args(address, args));
    }

    /// Few scalar arguments, so that the tuple targets often succeed.
    #[test]
    fn few_scalars_agree(args in vec(leaf(), 0..4)) {
        agree_all(&Message::with_args("/a", args));
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Typed {
    int: i32,
    long: i64,
    small: u8,
    float: f32,
    double: f64,
    text: String,
    #[serde(with = "serde_bytes")]
    bytes: Vec<u8>,
    list: Vec<i32>,
    pairs: Vec<(f32, String)>,
    maybe: Option<u16>,
    flag: bool,
    letter: char,
    time: TimeTag,
    symbol: Symbol<String>,
    trailing: Option<String>,
}

fn typed() -> impl Strategy<Value = Typed> {
    (
        (
            any::<i32>(),
            any::<i64>(),
            any::<u8>(),
            any::<f32>(),
            any::<f64>(),
        ),
        (
            osc_string(),
            vec(any::<u8>(), 0..5),
            vec(any::<i32>(), 0..4),
        ),
        (
            vec((any::<f32>(), osc_string()), 0..3),
            any::<Option<u16>>(),
            any::<bool>(),
            any::<char>(),
            any::<u64>(),
            osc_string(),
            proptest::option::of(osc_string()),
        ),
    )
        .prop_map(
            |(
                (int, long, small, float, double),
                (text, bytes, list),
                (pairs, maybe, flag, letter, time, symbol, trailing),
            )| Typed {
                int,
                long,
                small,
                float,
                double,
                text,
                bytes,
                list,
                pairs,
                maybe,
                flag,
                letter,
                time: TimeTag::from_bits(time),
                symbol: Symbol(symbol),
                trailing,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A typed struct through `from_value`: the same arguments as through
    /// bytes, and `decode_args` gives the struct back (and agrees with the
    /// bytes for it and for every other target).
    #[test]
    fn typed_structs_agree(value in typed()) {
        let msg = Message::from_value("/typed", &value).unwrap();
        let bytes = osc_serde::to_vec_with_address("/typed", &value).unwrap();
        prop_assert_eq!(msg.to_bytes().unwrap(), bytes);
        prop_assert!(agree::<Typed>(&msg));
        let back: Typed = msg.decode_args().unwrap();
        if !value.float.is_nan() && !value.double.is_nan() && value.pairs.iter().all(|p| !p.0.is_nan()) {
            prop_assert_eq!(back, value);
        }
        agree_all(&msg);
    }
}

#[test]
fn scalars_succeed_with_widening_and_rounding() {
    let m = Message::new("/w")
        .arg(7)
        .arg(0.1f64)
        .arg(Value::Long(1 << 40));
    assert!(agree::<(f64, f32, f64)>(&m));
    let (a, b, c): (f64, f32, f64) = m.decode_args().unwrap();
    assert_eq!((a, b, c), (7.0, 0.1f32, (1u64 << 40) as f64));
    // A d beyond f32's range is refused, as from bytes.
    let m = Message::new("/w").arg(1e300);
    assert!(!agree::<(f32,)>(&m));
}

#[test]
fn borrowed_fields_point_into_the_message() {
    let m = Message::new("/b").arg("text").arg(vec![1u8, 2, 3]);
    let (s, b): (&str, &[u8]) = m.decode_args().unwrap();
    assert_eq!((s, b), ("text", &[1u8, 2, 3][..]));
    assert!(std::ptr::eq(
        s.as_ptr(),
        m.args[0].as_str().unwrap().as_ptr()
    ));
}

#[test]
fn empty_byte_sequences_agree() {
    let m = Message::new("/e")
        .arg(Value::Array(vec![]))
        .arg(Vec::<u8>::new());
    assert!(agree::<(Vec<u8>, Vec<u8>)>(&m));
    assert!(agree::<(serde_bytes::ByteBuf, serde_bytes::ByteBuf)>(&m));
}

#[test]
fn too_many_arguments_agree_at_every_level() {
    let m = Message::new("/t")
        .arg(1)
        .arg(Value::Array(vec![Value::Int(2), Value::Int(3), Value::Nil]))
        .arg(4);
    assert!(!agree::<(i32, (i32, i32))>(&m));
    assert!(!agree::<(i32, (i32, i32, ()))>(&m));
    assert!(agree::<(i32, (i32, i32, ()), i32)>(&m));
    let err = m.decode_args::<(i32, (i32, i32))>().unwrap_err();
    assert!(matches!(
        err,
        osc_serde::Error::TooManyArguments {
            expected: 2,
            found: 3
        }
    ));
}

/// Arrays nested one deeper than [`MAX_DEPTH`] cannot be encoded, so
/// `decode_args` refuses them with the encoder's error, whatever the target.
#[test]
fn too_deep_is_refused_as_encoding_refuses_it() {
    let mut deep = Value::Int(1);
    for _ in 0..=MAX_DEPTH {
        deep = Value::Array(vec![deep]);
    }
    let m = Message::new("/d").arg(deep.clone());
    assert!(!agree::<IgnoredAny>(&m));
    assert!(matches!(
        m.decode_args::<IgnoredAny>(),
        Err(osc_serde::Error::TooDeep { max: MAX_DEPTH })
    ));
    let Value::Array(inner) = deep else {
        unreachable!()
    };
    assert!(agree::<Vec<Value>>(&Message::with_args("/d", inner)));
}

#[test]
fn encoder_errors_come_first_in_encoding_order() {
    let m = Message::new("/n").arg(Value::Nil).arg("a\0b");
    assert!(!agree::<(i32,)>(&m));
    assert!(matches!(
        m.decode_args::<(i32,)>(),
        Err(osc_serde::Error::NulInString(_))
    ));
    assert!(!agree::<()>(&Message::new("no-slash")));
    assert!(!agree::<()>(&Message::new("/a\0")));
}
