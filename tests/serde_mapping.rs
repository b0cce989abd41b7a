//! The serde mapping of derived types: structs and enums named after
//! addresses, borrowed fields, the errors (with their index, expected and
//! found tags, field names), widenings, and the builder API.

use std::collections::BTreeMap;

use osc_serde::error::Expected;
use osc_serde::{Bundle, Error, Message, Packet, Symbol, TimeTag, Value};
use serde::{Deserialize, Serialize};

#[macro_use]
mod common;
use common::{be, msg};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "/synth/voice")]
struct Voice<'a> {
    id: i32,
    name: &'a str,
    #[serde(with = "serde_bytes")]
    data: &'a [u8],
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "/volume")]
struct Volume(f32);

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "/pair")]
struct Pair(i32, i32);

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Unnamed {
    a: i32,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Wave {
    Sine,
    Saw,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Params {
    gain: f32,
    mute: bool,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Synth<'a> {
    #[serde(rename = "/synth/stop")]
    Stop,
    #[serde(rename = "/synth/gain")]
    Gain(f32),
    #[serde(rename = "/synth/params")]
    Params(Params),
    #[serde(rename = "/synth/note")]
    Note(i32, &'a str),
    #[serde(rename = "/synth/freq")]
    Freq { hz: f64, wave: Wave },
}

#[test]
fn struct_named_after_an_address_with_borrowed_fields() {
    let v = Voice {
        id: 7,
        name: "lead",
        data: &[1, 2],
    };
    let expected = msg(
        "/synth/voice",
        "isb",
        &[
            0, 0, 0, 7, b'l', b'e', b'a', b'd', 0, 0, 0, 0, 0, 0, 0, 2, 1, 2, 0, 0,
        ],
    );
    let bytes = osc_serde::to_vec(&v).unwrap();
    assert_eq!(bytes, expected);
    let back: Voice = osc_serde::from_slice(&bytes).unwrap();
    assert_eq!(back, v);
    let range = bytes.as_ptr() as usize..bytes.as_ptr() as usize + bytes.len();
    assert!(range.contains(&(back.name.as_ptr() as usize)));
    assert!(range.contains(&(back.data.as_ptr() as usize)));
}

#[test]
fn newtype_and_tuple_structs_named_after_addresses() {
    let vol = msg("/volume", "f", &[0x3f, 0x80, 0, 0]);
    assert_eq!(osc_serde::to_vec(&Volume(1.0)).unwrap(), vol);
    assert_eq!(osc_serde::from_slice::<Volume>(&vol).unwrap(), Volume(1.0));
    let pair = msg("/pair", "ii", &be(&[1, -1]));
    assert_eq!(osc_serde::to_vec(&Pair(1, -1)).unwrap(), pair);
    assert_eq!(osc_serde::from_slice::<Pair>(&pair).unwrap(), Pair(1, -1));
}

#[test]
fn enum_variants_encode_to_their_addresses() {
    let cases: Vec<(Synth, Vec<u8>)> = vec![
        (Synth::Stop, msg("/synth/stop", "", &[])),
        (Synth::Gain(0.5), msg("/synth/gain", "f", &[0x3f, 0, 0, 0])),
        (
            Synth::Params(Params {
                gain: 1.0,
                mute: true,
            }),
            msg("/synth/params", "fT", &[0x3f, 0x80, 0, 0]),
        ),
        (
            Synth::Note(60, "on"),
            msg("/synth/note", "is", &[0, 0, 0, 60, b'o', b'n', 0, 0]),
        ),
        (
            Synth::Freq {
                hz: 2.0,
                wave: Wave::Saw,
            },
            msg(
                "/synth/freq",
                "ds",
                &[0x40, 0, 0, 0, 0, 0, 0, 0, b's', b'a', b'w', 0],
            ),
        ),
    ];
    for (value, bytes) in cases {
        assert_eq!(osc_serde::to_vec(&value).unwrap(), bytes, "{value:?}");
        let back: Synth = osc_serde::from_slice(&bytes).unwrap();
        assert_eq!(back, value);
    }
}

#[test]
fn enum_decoding_picks_the_variant_by_address_and_checks_its_arguments() {
    assert_err!(osc_serde::from_slice::<Synth>(&msg("/synth/nope", "", &[])), Error::UnknownVariant { address } if address.name() == Some("Synth") && address == "/synth/nope");
    // The address says Gain, the argument is not a float.
    assert_err!(
        osc_serde::from_slice::<Synth>(&msg("/synth/gain", "s", b"x\0\0\0")),
        Error::TypeMismatch {
            index: 0,
            expected: Expected::F32,
            found: 's'
        }
    );
    // A unit variant takes no arguments.
    assert_err!(
        osc_serde::from_slice::<Synth>(&msg("/synth/stop", "i", &be(&[1]))),
        Error::TooManyArguments {
            expected: 0,
            found: 1
        }
    );
    // A struct variant's unit enum field must name a variant.
    assert_err!(
        osc_serde::from_slice::<Synth>(&msg(
            "/synth/freq",
            "ds",
            &[0x40, 0, 0, 0, 0, 0, 0, 0, b's', b'q', 0, 0],
        )),
        Error::Custom(_)
    );
}

#[test]
fn address_mismatch_names_both_addresses() {
    let err = osc_serde::from_slice::<Volume>(&msg("/gain", "f", &[0; 4])).unwrap_err();
    assert!(
        matches!(&err, Error::AddressMismatch { found } if found.name() == Some("/volume") && found == "/gain"),
        "{err:?}"
    );
    // A type without an address name takes any address.
    assert_eq!(
        osc_serde::from_slice::<Unnamed>(&msg("/any", "i", &be(&[3]))).unwrap(),
        Unnamed { a: 3 }
    );
}

#[test]
fn type_mismatch_names_index_expected_and_found() {
    let bytes = msg("/synth/voice", "iib", &be(&[1, 2, 0]));
    assert_err!(
        osc_serde::from_slice::<Voice>(&bytes),
        Error::TypeMismatch {
            index: 1,
            expected: Expected::String,
            found: 'i'
        }
    );
    assert_eq!(
        osc_serde::from_slice::<Voice>(&bytes)
            .unwrap_err()
            .to_string(),
        "argument 1: expected string (s), found type tag 'i'"
    );
    // Inside an array the index counts within the array.
    let bytes = msg("/a", "i[ii]", &be(&[1, 2, 3]));
    assert_err!(
        osc_serde::from_slice::<(i32, (i32, String))>(&bytes),
        Error::TypeMismatch {
            index: 1,
            expected: Expected::String,
            found: 'i'
        }
    );
    // An array where a scalar is expected, and a scalar where an array is.
    assert_err!(
        osc_serde::from_slice::<(i32, i32)>(&msg("/a", "i[]", &be(&[1]))),
        Error::TypeMismatch {
            index: 1,
            expected: Expected::I32,
            found: '['
        }
    );
    assert_err!(
        osc_serde::from_slice::<(Vec<i32>,)>(&msg("/a", "i", &be(&[1]))),
        Error::TypeMismatch {
            index: 0,
            expected: Expected::Array,
            found: 'i'
        }
    );
    assert_err!(
        osc_serde::from_slice::<(bool,)>(&msg("/a", "N", &[])),
        Error::TypeMismatch {
            index: 0,
            expected: Expected::Bool,
            found: 'N'
        }
    );
}

#[test]
fn missing_and_surplus_arguments() {
    assert_err!(
        osc_serde::from_slice::<Pair>(&msg("/pair", "i", &be(&[1]))),
        Error::MissingArgument { index: 1, .. }
    );
    assert_err!(
        osc_serde::from_slice::<Pair>(&msg("/pair", "iii", &be(&[1, 2, 3]))),
        Error::TooManyArguments {
            expected: 2,
            found: 3
        }
    );
    // Surplus array arguments count as one each.
    assert_err!(
        osc_serde::from_slice::<Pair>(&msg("/pair", "ii[ii]s", &be(&[1, 2, 3, 4, 0]))),
        Error::TooManyArguments {
            expected: 2,
            found: 4
        }
    );
    // Missing inside an array: the index is within the array.
    assert_err!(
        osc_serde::from_slice::<((i32, i32),)>(&msg("/a", "[i]", &be(&[1]))),
        Error::MissingArgument { index: 1, .. }
    );
    // An array with more items than the target tuple takes.
    assert_err!(
        osc_serde::from_slice::<((i32,),)>(&msg("/a", "[ii]i", &be(&[1, 2, 3]))),
        Error::TooManyArguments {
            expected: 1,
            found: 2
        }
    );
}

#[derive(Debug, PartialEq, Deserialize)]
struct Optional<'a> {
    a: i32,
    b: Option<i32>,
    c: Option<&'a str>,
}

#[test]
fn trailing_option_fields_take_none() {
    let only_a = msg("/o", "i", &be(&[1]));
    assert_eq!(
        osc_serde::from_slice::<Optional>(&only_a).unwrap(),
        Optional {
            a: 1,
            b: None,
            c: None
        }
    );
    let nil_b = msg("/o", "iNs", &[0, 0, 0, 1, b'x', 0, 0, 0]);
    assert_eq!(
        osc_serde::from_slice::<Optional>(&nil_b).unwrap(),
        Optional {
            a: 1,
            b: None,
            c: Some("x")
        }
    );
    let all = msg("/o", "ii", &be(&[1, 2]));
    assert_eq!(
        osc_serde::from_slice::<Optional>(&all).unwrap(),
        Optional {
            a: 1,
            b: Some(2),
            c: None
        }
    );
    // A required field does not take None.
    assert_err!(
        osc_serde::from_slice::<Optional>(&msg("/o", "", &[])),
        Error::MissingArgument { index: 0, .. }
    );
    // Option encodes as N or the value.
    assert_eq!(
        osc_serde::to_vec_with_address("/o", &(Some(1), None::<i32>)).unwrap(),
        msg("/o", "iN", &be(&[1]))
    );
}

#[test]
fn lossless_widenings_are_accepted() {
    let ii = msg("/w", "ii", &be(&[-3, 1 << 24]));
    let (a, b): (i64, f64) = osc_serde::from_slice(&ii).unwrap();
    assert_eq!((a, b), (-3, 16_777_216.0));
    let (a, b): (f32, f32) = osc_serde::from_slice(&ii).unwrap();
    assert_eq!((a, b), (-3.0, 16_777_216.0));
    let f = msg("/w", "f", &[0x3f, 0xc0, 0, 0]);
    let (v,): (f64,) = osc_serde::from_slice(&f).unwrap();
    assert_eq!(v, 1.5);
    // An `h` that fits goes into smaller integers.
    let h = msg("/w", "h", &5i64.to_be_bytes());
    let (v,): (u8,) = osc_serde::from_slice(&h).unwrap();
    assert_eq!(v, 5);
    let (v,): (i32,) = osc_serde::from_slice(&h).unwrap();
    assert_eq!(v, 5);
    // An `h` into f64 when exact, however large.
    let (v,): (f64,) = osc_serde::from_slice(&msg("/w", "h", &(1i64 << 60).to_be_bytes())).unwrap();
    assert_eq!(v, (1u64 << 60) as f64);
    let (v,): (f32,) = osc_serde::from_slice(&msg("/w", "h", &i64::MIN.to_be_bytes())).unwrap();
    assert_eq!(v, -(2f32.powi(63)));
    // An `i` into u32 and u64 when not negative.
    let (v, w): (u32, u64) = osc_serde::from_slice(&msg("/w", "ii", &be(&[7, 8]))).unwrap();
    assert_eq!((v, w), (7, 8));
}

#[test]
fn lossy_conversions_are_refused() {
    // (A `d` into f32 is rounded, not refused: tests/byte_and_float_fields.rs.)
    // f into an integer.
    let f = msg("/w", "f", &1.0f32.to_be_bytes());
    assert_err!(
        osc_serde::from_slice::<(i32,)>(&f),
        Error::TypeMismatch {
            index: 0,
            expected: Expected::I32,
            found: 'f'
        }
    );
    // An `i` that f32 cannot hold exactly.
    let i = msg("/w", "i", &be(&[16_777_217]));
    assert_err!(
        osc_serde::from_slice::<(f32,)>(&i),
        Error::TypeMismatch {
            index: 0,
            expected: Expected::F32,
            found: 'i'
        }
    );
    // An `h` that f64 (or f32) cannot hold exactly, though its rounded
    // f64 value is a float that f32 holds exactly.
    for v in [(1i64 << 53) + 1, i64::MAX] {
        let h = msg("/w", "h", &v.to_be_bytes());
        let err = osc_serde::from_slice::<(f64,)>(&h).unwrap_err();
        assert!(
            matches!(
                err,
                Error::TypeMismatch {
                    index: 0,
                    expected: Expected::F64,
                    found: 'h'
                }
            ),
            "{v}: {err:?}"
        );
        let err = osc_serde::from_slice::<(f32,)>(&h).unwrap_err();
        assert!(
            matches!(
                err,
                Error::TypeMismatch {
                    index: 0,
                    expected: Expected::F32,
                    found: 'h'
                }
            ),
            "{v}: {err:?}"
        );
    }
    // Integers that do not fit the field.
    let big = msg("/w", "ih", &[0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0]);
    assert_err!(osc_serde::from_slice::<(i32, i32)>(&big), Error::OutOfRange { index: 1, value, target: Expected::I32 } if value == "4294967296");
    let neg = msg("/w", "i", &be(&[-1]));
    assert_err!(
        osc_serde::from_slice::<(u32,)>(&neg),
        Error::OutOfRange {
            index: 0,
            target: Expected::U32,
            ..
        }
    );
    assert_err!(
        osc_serde::from_slice::<(u8,)>(&msg("/w", "i", &be(&[256]))),
        Error::OutOfRange {
            index: 0,
            target: Expected::U8,
            ..
        }
    );
    // A string is not a number.
    let s = msg("/w", "s", b"1\0\0\0");
    assert!(matches!(
        osc_serde::from_slice::<(i32,)>(&s),
        Err(Error::TypeMismatch { found: 's', .. })
    ));
}

#[derive(Debug, Serialize)]
#[serde(rename = "/big")]
struct Unsigned {
    small: u32,
    big: u32,
}

#[derive(Debug, Serialize)]
#[serde(rename = "/huge")]
struct Huge {
    ok: u64,
    huge: u64,
}

#[test]
fn unsigned_values_beyond_the_osc_range_are_out_of_range_naming_the_field() {
    let ok = osc_serde::to_vec(&Unsigned {
        small: 1,
        big: i32::MAX as u32,
    })
    .unwrap();
    assert_eq!(ok, msg("/big", "ii", &be(&[1, i32::MAX])));
    let too_big = Unsigned {
        small: 1,
        big: i32::MAX as u32 + 1,
    };
    assert_err!(
        osc_serde::to_vec(&too_big),
        Error::OutOfRange { index: 1, value, target: Expected::Int32 } if value.name() == Some("big") && value == "2147483648"
    );
    let message = osc_serde::to_vec(&too_big).unwrap_err().to_string();
    assert!(message.contains("field `big`"), "{message}");

    let mut ok = msg("/huge", "hh", &[]);
    ok.extend_from_slice(&0u64.to_be_bytes());
    ok.extend_from_slice(&i64::MAX.to_be_bytes());
    assert_eq!(
        osc_serde::to_vec(&Huge {
            ok: 0,
            huge: i64::MAX as u64
        })
        .unwrap(),
        ok
    );
    assert_err!(osc_serde::to_vec(&Huge {
        ok: 0,
        huge: u64::MAX,
    })
    , Error::OutOfRange { index: 1, value, target: Expected::Int64 } if value.name() == Some("huge") && value == "18446744073709551615");
    // A failed encode leaves the buffer as it was.
    let mut out = b"prefix".to_vec();
    assert!(osc_serde::encode_into(
        &mut out,
        &Huge {
            ok: 0,
            huge: u64::MAX
        }
    )
    .is_err());
    assert_eq!(out, b"prefix");
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename = "/map")]
struct WithMap {
    m: BTreeMap<String, i32>,
}

#[test]
fn maps_are_unsupported() {
    assert_err!(
        osc_serde::to_vec(&WithMap { m: BTreeMap::new() }),
        Error::Unsupported(_)
    );
    assert_err!(
        osc_serde::from_slice::<WithMap>(&msg("/map", "i", &be(&[1]))),
        Error::Unsupported(_)
    );
    assert_err!(
        osc_serde::from_slice::<BTreeMap<String, i32>>(&msg("/m", "", &[])),
        Error::Unsupported(_)
    );
}

#[derive(Debug, Serialize)]
struct DataVariant {
    e: Synth<'static>,
}

#[test]
fn data_variants_as_arguments_are_unsupported() {
    assert_err!(
        osc_serde::to_vec_with_address(
            "/a",
            &DataVariant {
                e: Synth::Gain(1.0),
            },
        ),
        Error::Unsupported(_)
    );
}

#[test]
fn unnamed_values_need_an_address() {
    assert!(matches!(
        osc_serde::to_vec(&Unnamed { a: 1 }),
        Err(Error::NoAddress)
    ));
    assert!(matches!(osc_serde::to_vec(&1i32), Err(Error::NoAddress)));
    assert!(matches!(osc_serde::to_vec(&(1, 2)), Err(Error::NoAddress)));
    assert_eq!(
        osc_serde::to_vec_with_address("/u", &Unnamed { a: 1 }).unwrap(),
        msg("/u", "i", &be(&[1]))
    );
    // An address must start with '/'.
    assert!(matches!(
        osc_serde::to_vec_with_address("u", &1),
        Err(Error::InvalidAddress { .. })
    ));
}

#[test]
fn an_explicit_address_overrides_the_name() {
    assert_eq!(
        osc_serde::to_vec_with_address("/other", &Volume(1.0)).unwrap(),
        msg("/other", "f", &[0x3f, 0x80, 0, 0])
    );
    assert_eq!(
        osc_serde::to_vec_with_address("/other", &Synth::Gain(1.0)).unwrap(),
        msg("/other", "f", &[0x3f, 0x80, 0, 0])
    );
    let mut out = Vec::new();
    osc_serde::encode_into_with_address(&mut out, "/x", &Pair(1, 2)).unwrap();
    assert_eq!(out, msg("/x", "ii", &be(&[1, 2])));
    assert_eq!(
        Message::from_value("/m", &Pair(1, 2)).unwrap(),
        Message::new("/m").arg(1).arg(2)
    );
}

#[test]
fn message_and_vec_of_values_are_decode_targets() {
    let bytes = msg(
        "/any",
        "is[f]",
        &[0, 0, 0, 1, b'x', 0, 0, 0, 0x3f, 0x80, 0, 0],
    );
    let m: Message = osc_serde::from_slice(&bytes).unwrap();
    let expected = Message::new("/any")
        .arg(1)
        .arg("x")
        .arg(vec![Value::Float(1.0)]);
    assert_eq!(m, expected);
    assert_eq!(Message::from_bytes(&bytes).unwrap(), expected);
    let values: Vec<Value> = osc_serde::from_slice(&bytes).unwrap();
    assert_eq!(values, expected.args);
    // Message serializes as itself.
    assert_eq!(osc_serde::to_vec(&expected).unwrap(), bytes);
    let mut out = Vec::new();
    osc_serde::to_writer(&mut out, &expected).unwrap();
    assert_eq!(out, bytes);
    // decode_args reads a Message's arguments into a typed value.
    let (i, s, (f,)): (i32, String, (f32,)) = expected.decode_args().unwrap();
    assert_eq!((i, s.as_str(), f), (1, "x", 1.0));
}

#[test]
fn message_deserializes_from_formats_with_owned_keys() {
    // Formats reading from a stream hand out keys as owned strings.
    use serde::de::{value::MapDeserializer, Deserialize};
    let map = [("address".to_string(), "/a".to_string())];
    let m = Message::deserialize(MapDeserializer::<_, Error>::new(map.into_iter())).unwrap();
    assert_eq!(m, Message::new("/a"));
}

#[test]
fn builder_with_explicit_tags() {
    let m = Message::new("/b")
        .arg(1)
        .arg("x")
        .arg_as(b'd', 1.5f32)
        .unwrap()
        .arg_as(b'h', 2)
        .unwrap()
        .arg_as(b'S', "sym")
        .unwrap()
        .arg_as(b'f', 0.25f64)
        .unwrap()
        .arg_as(b'i', 3i64)
        .unwrap()
        .arg_as(b's', Symbol("plain"))
        .unwrap();
    assert_eq!(m.type_tags(), "isdhSfis");
    let mut payload = be(&[1]);
    payload.extend_from_slice(b"x\0\0\0");
    payload.extend_from_slice(&1.5f64.to_be_bytes());
    payload.extend_from_slice(&2i64.to_be_bytes());
    payload.extend_from_slice(b"sym\0");
    payload.extend_from_slice(&0.25f32.to_be_bytes());
    payload.extend_from_slice(&be(&[3]));
    payload.extend_from_slice(b"plain\0\0\0");
    assert_eq!(m.to_bytes().unwrap(), msg("/b", "isdhSfis", &payload));

    // Lossy explicit conversions are refused.
    assert!(matches!(
        Message::new("/b").arg_as(b'i', 1i64 << 40),
        Err(Error::OutOfRange { .. })
    ));
    assert!(matches!(
        Message::new("/b").arg_as(b'f', 0.1f64),
        Err(Error::OutOfRange { .. })
    ));
    assert!(matches!(
        Message::new("/b").arg_as(b'i', "x"),
        Err(Error::TypeMismatch { found: 's', .. })
    ));
}

#[test]
fn nested_bundles_with_the_builder() {
    let inner = Bundle::new(TimeTag::new(0, 2)).message(Message::new("/in").arg(2));
    let outer = Bundle::new(TimeTag::IMMEDIATE)
        .message(Message::new("/a").arg(1))
        .bundle(inner.clone());
    let inner_bytes = [
        b"#bundle\0".as_slice(),
        &[0, 0, 0, 0, 0, 0, 0, 2],
        &[0, 0, 0, 12],
        b"/in\0,i\0\0\0\0\0\x02",
    ]
    .concat();
    let expected = [
        b"#bundle\0".as_slice(),
        &[0, 0, 0, 0, 0, 0, 0, 1],
        &[0, 0, 0, 12],
        b"/a\0\0,i\0\0\0\0\0\x01",
        &(inner_bytes.len() as i32).to_be_bytes(),
        &inner_bytes,
    ]
    .concat();
    assert_eq!(outer.to_bytes().unwrap(), expected);
    assert_eq!(
        Packet::from_bytes(&expected).unwrap(),
        Packet::Bundle(outer.clone())
    );
    let mut pushed = Bundle::new(TimeTag::IMMEDIATE);
    pushed.push(Message::new("/a").arg(1));
    pushed.push(inner);
    assert_eq!(pushed, outer);
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Marker;

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Point {
    x: i32,
    label: Option<String>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "/shape")]
struct Shape {
    points: Vec<Point>,
    maybe: Vec<Option<i32>>,
    marker: Marker,
}

#[test]
fn nested_structs_options_and_unit_structs_inside_arrays() {
    let shape = Shape {
        points: vec![
            Point { x: 1, label: None },
            Point {
                x: 2,
                label: Some("b".into()),
            },
        ],
        maybe: vec![Some(3), None],
        marker: Marker,
    };
    let mut payload = be(&[1, 2]);
    payload.extend_from_slice(b"b\0\0\0");
    payload.extend_from_slice(&be(&[3]));
    let bytes = msg("/shape", "[[iN][is]][iN]N", &payload);
    assert_eq!(osc_serde::to_vec(&shape).unwrap(), bytes);
    assert_eq!(osc_serde::from_slice::<Shape>(&bytes).unwrap(), shape);
    // A trailing Option inside an array may be left out by the sender.
    let short = msg("/shape", "[[i]][]N", &be(&[1]));
    assert_eq!(
        osc_serde::from_slice::<Shape>(&short).unwrap(),
        Shape {
            points: vec![Point { x: 1, label: None }],
            maybe: vec![],
            marker: Marker,
        }
    );
}

#[test]
fn invalid_addresses_are_refused_when_encoding() {
    assert_err!(
        Message::new("no-slash").arg(1).to_bytes(),
        Error::InvalidAddress { .. }
    );
    // A bundle with a bad message fails as a whole and leaves the buffer.
    let b = Bundle::new(TimeTag::IMMEDIATE)
        .message(Message::new("/ok"))
        .message(Message::new("bad"));
    let mut out = b"keep".to_vec();
    assert_err!(b.encode_into(&mut out), Error::InvalidAddress { .. });
    assert_eq!(out, b"keep");
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "/list")]
struct List(Vec<i32>);

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "/wrapped")]
struct Wrapped(Point);

#[test]
fn named_newtypes_around_sequences_and_structs_spread_into_arguments() {
    let list = msg("/list", "iii", &be(&[1, 2, 3]));
    assert_eq!(osc_serde::to_vec(&List(vec![1, 2, 3])).unwrap(), list);
    assert_eq!(
        osc_serde::from_slice::<List>(&list).unwrap(),
        List(vec![1, 2, 3])
    );
    let wrapped = msg("/wrapped", "iN", &be(&[4]));
    let value = Wrapped(Point { x: 4, label: None });
    assert_eq!(osc_serde::to_vec(&value).unwrap(), wrapped);
    assert_eq!(osc_serde::from_slice::<Wrapped>(&wrapped).unwrap(), value);
}

#[derive(Serialize)]
struct Inner {
    label: &'static str,
    count: u64,
}

#[derive(Serialize)]
#[serde(rename = "/nested")]
struct Nested {
    first: i32,
    inner: Inner,
    list: Vec<u32>,
}

/// The field an out-of-range error names is the innermost struct field the
/// value sits in: a nested struct's own field, or the field holding the
/// array whose item is out of range.
#[test]
fn out_of_range_names_the_innermost_field() {
    let nested = |count, list| Nested {
        first: 1,
        inner: Inner { label: "x", count },
        list,
    };
    assert!(osc_serde::to_vec(&nested(1, vec![1, 2])).is_ok());
    assert_err!(
        osc_serde::to_vec(&nested(u64::MAX, vec![])),
        Error::OutOfRange { index: 1, value, target: Expected::Int64 } if value.name() == Some("count")
    );
    assert_err!(
        osc_serde::to_vec(&nested(1, vec![1, u32::MAX])),
        Error::OutOfRange { index: 1, value, target: Expected::Int32 } if value.name() == Some("list") && value == "4294967295"
    );
    // A tuple has no field names: nothing is named.
    assert_err!(
        osc_serde::to_vec_with_address("/t", &(1, u64::MAX)),
        Error::OutOfRange { index: 1, value, .. } if value.name().is_none()
    );
}
