//! The one proptest strategy for arbitrary `Value` trees, shared by the
//! round-trip properties (tests/roundtrip_props.rs) and the serializer's
//! own unit tests (src/ser.rs), which include this file by path.
//!
//! The types are named from the including crate's root, where the library
//! re-exports them and where an integration test imports them. Floats are any bit pattern (NaN payloads
//! included), strings any Unicode but NUL, arrays nested up to depth 4.
#![allow(dead_code)]

use crate::{Color, Midi, TimeTag, Value};
use proptest::collection::vec;
use proptest::prelude::*;

/// Any text an OSC string can carry: Unicode without NUL.
pub fn osc_string() -> impl Strategy<Value = String> {
    "[^\u{0}]{0,9}"
}

/// One argument of any tag but an array.
pub fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i32>().prop_map(Value::Int),
        any::<u32>().prop_map(|b| Value::Float(f32::from_bits(b))),
        osc_string().prop_map(Value::String),
        vec(any::<u8>(), 0..9).prop_map(Value::Blob),
        any::<i64>().prop_map(Value::Long),
        any::<u64>().prop_map(|b| Value::TimeTag(TimeTag::from_bits(b))),
        any::<u64>().prop_map(|b| Value::Double(f64::from_bits(b))),
        osc_string().prop_map(Value::Symbol),
        any::<char>().prop_map(Value::Char),
        any::<u32>().prop_map(|c| Value::Color(Color::from_u32(c))),
        any::<u32>().prop_map(|m| Value::Midi(Midi::from_u32(m))),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Nil),
        Just(Value::Infinitum),
    ]
}

/// Any argument: a leaf, or arrays of values nested up to depth 4.
pub fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 5, |inner| vec(inner, 0..5).prop_map(Value::Array))
}
