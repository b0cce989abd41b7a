//! Every OSC type tag, encoded and decoded with exact bytes three ways:
//! through the owned `Message`/`Value`, the borrowed `MessageRef`/`ValueRef`
//! and serde (derived struct fields of the matching Rust types).

use osc_serde::{
    Blob, Color, Infinitum, Message, MessageRef, Midi, Symbol, TimeTag, Value, ValueRef,
};
use serde::{Deserialize, Serialize};

mod common;
use common::msg;

/// One row per tag: the value, its tag and its exact payload bytes.
fn table() -> Vec<(Value, &'static str, Vec<u8>)> {
    vec![
        (Value::Int(0x0102_0304), "i", vec![1, 2, 3, 4]),
        (Value::Int(-2), "i", vec![0xff, 0xff, 0xff, 0xfe]),
        (Value::Float(1.0), "f", vec![0x3f, 0x80, 0, 0]),
        (Value::String("abc".into()), "s", b"abc\0".to_vec()),
        (Value::String("hello".into()), "s", b"hello\0\0\0".to_vec()),
        (
            Value::Blob(vec![1, 2, 3, 4, 5]),
            "b",
            vec![0, 0, 0, 5, 1, 2, 3, 4, 5, 0, 0, 0],
        ),
        (
            Value::Long(0x0102_0304_0506_0708),
            "h",
            vec![1, 2, 3, 4, 5, 6, 7, 8],
        ),
        (Value::Long(-1), "h", vec![0xff; 8]),
        (
            Value::TimeTag(TimeTag::new(0x83aa_7e81, 0x8000_0000)),
            "t",
            vec![0x83, 0xaa, 0x7e, 0x81, 0x80, 0, 0, 0],
        ),
        (Value::Double(1.5), "d", vec![0x3f, 0xf8, 0, 0, 0, 0, 0, 0]),
        (Value::Symbol("sine".into()), "S", b"sine\0\0\0\0".to_vec()),
        (Value::Char('A'), "c", vec![0, 0, 0, 0x41]),
        (Value::Char('€'), "c", vec![0, 0, 0x20, 0xac]),
        (
            Value::Color(Color {
                r: 0xff,
                g: 0x80,
                b: 0x01,
                a: 0x7f,
            }),
            "r",
            vec![0xff, 0x80, 0x01, 0x7f],
        ),
        (
            Value::Midi(Midi {
                port: 1,
                status: 0x90,
                data1: 60,
                data2: 100,
            }),
            "m",
            vec![1, 0x90, 60, 100],
        ),
        (Value::Bool(true), "T", vec![]),
        (Value::Bool(false), "F", vec![]),
        (Value::Nil, "N", vec![]),
        (Value::Infinitum, "I", vec![]),
        (Value::Array(vec![]), "[]", vec![]),
        (
            Value::Array(vec![Value::Int(1), Value::String("x".into())]),
            "[is]",
            vec![0, 0, 0, 1, b'x', 0, 0, 0],
        ),
        (
            Value::Array(vec![
                Value::Int(1),
                Value::Array(vec![Value::Bool(true), Value::Array(vec![Value::Nil])]),
                Value::Float(1.0),
            ]),
            "[i[T[N]]f]",
            vec![0, 0, 0, 1, 0x3f, 0x80, 0, 0],
        ),
    ]
}

#[test]
fn every_tag_through_message_and_value() {
    for (value, tags, payload) in table() {
        let bytes = msg("/t", tags, &payload);
        let message = Message::new("/t").arg(value.clone());
        assert_eq!(message.to_bytes().unwrap(), bytes, "encoding {value:?}");
        assert_eq!(message.type_tags(), tags);
        assert_eq!(
            Message::from_bytes(&bytes).unwrap(),
            message,
            "decoding {value:?}"
        );
        // Value also serializes through serde as the same argument. (In a
        // one-tuple: a bare top-level Nil would be "no arguments" and a bare
        // array the argument list itself.)
        assert_eq!(
            osc_serde::to_vec_with_address("/t", &(&value,)).unwrap(),
            bytes,
            "serde {value:?}"
        );
        let (decoded,): (Value,) = osc_serde::from_slice(&bytes).unwrap();
        assert_eq!(decoded, value, "serde decoding {value:?}");
    }
}

#[test]
fn every_tag_through_message_ref_and_value_ref() {
    for (value, tags, payload) in table() {
        let bytes = msg("/t", tags, &payload);
        let r = MessageRef::from_bytes(&bytes).unwrap();
        assert_eq!(r.address(), "/t");
        assert_eq!(r.type_tags(), tags);
        let args: Vec<ValueRef> = r.args().collect::<Result<_, _>>().unwrap();
        assert_eq!(args.len(), 1);
        assert_eq!(args[0].tag(), value.tag());
        assert_eq!(args[0].to_value().unwrap(), value);
        assert_eq!(r.to_message().unwrap(), Message::new("/t").arg(value));
    }
}

#[test]
fn value_refs_borrow_and_arrays_iterate_lazily() {
    let bytes = msg(
        "/t",
        "sSb[i[s]]",
        b"str\0sym\0\0\0\0\x02\xab\xcd\0\0\0\0\0\x07in\0\0",
    );
    let r = MessageRef::from_bytes(&bytes).unwrap();
    let args: Vec<ValueRef> = r.args().collect::<Result<_, _>>().unwrap();
    assert_eq!(args[0], ValueRef::String("str"));
    assert_eq!(args[1], ValueRef::Symbol("sym"));
    assert_eq!(args[2], ValueRef::Blob(&[0xab, 0xcd]));
    let ValueRef::Array(outer) = args[3] else {
        panic!("expected an array, got {:?}", args[3]);
    };
    assert_eq!(outer.type_tags(), "i[s]");
    let items: Vec<ValueRef> = outer.iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(items[0], ValueRef::Int(7));
    let ValueRef::Array(inner) = items[1] else {
        panic!("expected an array, got {:?}", items[1]);
    };
    let inner: Vec<ValueRef> = inner.iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(inner, vec![ValueRef::String("in")]);
    // Borrowed: the strings point into `bytes`.
    let range = bytes.as_ptr() as usize..bytes.as_ptr() as usize + bytes.len();
    let ValueRef::String(s) = args[0] else {
        unreachable!()
    };
    assert!(range.contains(&(s.as_ptr() as usize)));
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Wave {
    Sine,
    #[serde(rename = "sq")]
    Square,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Inner {
    n: i32,
    name: String,
}

/// A field of every Rust type the mapping names, in tag order.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "/t")]
struct Every<'a> {
    i: i32,
    f: f32,
    s: String,
    b: Blob,
    h: i64,
    t: TimeTag,
    d: f64,
    sym: Symbol,
    c: char,
    r: Color,
    m: Midi,
    yes: bool,
    no: bool,
    none: Option<i32>,
    inf: Infinitum,
    #[serde(with = "serde_bytes")]
    borrowed_blob: &'a [u8],
    some: Option<&'a str>,
    unit: (),
    list: Vec<i32>,
    tuple: (i32, (bool, f32)),
    nested: Inner,
    wave: Wave,
    square: Wave,
    borrowed_sym: Symbol<&'a str>,
    small: (i8, i16, u8, u16, u32),
    plain_bytes: Vec<u8>,
}

fn every() -> Every<'static> {
    Every {
        i: -5,
        f: 0.5,
        s: "abcd".into(),
        b: Blob(vec![9]),
        h: -(1 << 40),
        t: TimeTag::IMMEDIATE,
        d: -2.0,
        sym: Symbol("sym".into()),
        c: 'z',
        r: Color::from_u32(0x1122_3344),
        m: Midi::from_u32(0x0090_3c64),
        yes: true,
        no: false,
        none: None,
        inf: Infinitum,
        borrowed_blob: &[],
        some: Some(""),
        unit: (),
        list: vec![1, 2],
        tuple: (3, (true, 1.0)),
        nested: Inner {
            n: 4,
            name: "in".into(),
        },
        wave: Wave::Sine,
        square: Wave::Square,
        borrowed_sym: Symbol("b"),
        small: (-1, -2, 255, 65535, 7),
        plain_bytes: vec![0xff],
    }
}

const EVERY_TAGS: &str = "ifsbhtdScrmTFNIbsN[ii][i[Tf]][is]ssS[iiiii]b";

fn every_payload() -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&[0xff, 0xff, 0xff, 0xfb]); // i -5
    p.extend_from_slice(&[0x3f, 0, 0, 0]); // f 0.5
    p.extend_from_slice(b"abcd\0\0\0\0"); // s, exactly 4 bytes → 8
    p.extend_from_slice(&[0, 0, 0, 1, 9, 0, 0, 0]); // b [9]
    p.extend_from_slice(&(-(1i64 << 40)).to_be_bytes()); // h
    p.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]); // t IMMEDIATE
    p.extend_from_slice(&[0xc0, 0, 0, 0, 0, 0, 0, 0]); // d -2.0
    p.extend_from_slice(b"sym\0"); // S
    p.extend_from_slice(&[0, 0, 0, b'z']); // c
    p.extend_from_slice(&[0x11, 0x22, 0x33, 0x44]); // r
    p.extend_from_slice(&[0, 0x90, 0x3c, 0x64]); // m
                                                 // T F N I: no payload
    p.extend_from_slice(&[0, 0, 0, 0]); // b, empty
    p.extend_from_slice(&[0, 0, 0, 0]); // s "", padded to 4
                                        // N for ()
    p.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 2]); // [ii]
    p.extend_from_slice(&[0, 0, 0, 3, 0x3f, 0x80, 0, 0]); // [i[Tf]]
    p.extend_from_slice(&[0, 0, 0, 4, b'i', b'n', 0, 0]); // [is]
    p.extend_from_slice(b"sine\0\0\0\0"); // s
    p.extend_from_slice(b"sq\0\0"); // s
    p.extend_from_slice(b"b\0\0\0"); // S
    for v in [-1i32, -2, 255, 65535, 7] {
        p.extend_from_slice(&v.to_be_bytes());
    }
    p.extend_from_slice(&[0, 0, 0, 1, 0xff, 0, 0, 0]); // a Vec<u8> field is a blob too
    p
}

#[test]
fn every_tag_through_serde_encode() {
    let expected = msg("/t", EVERY_TAGS, &every_payload());
    assert_eq!(osc_serde::to_vec(&every()).unwrap(), expected);
}

#[test]
fn every_tag_through_serde_decode() {
    let bytes = msg("/t", EVERY_TAGS, &every_payload());
    let decoded: Every = osc_serde::from_slice(&bytes).unwrap();
    assert_eq!(decoded, every());
}

#[test]
fn serde_encoding_matches_the_dynamic_form() {
    // The same message built as Values encodes to the same bytes, and the
    // derived struct's bytes decode to that Message.
    let bytes = osc_serde::to_vec(&every()).unwrap();
    let m = Message::from_bytes(&bytes).unwrap();
    assert_eq!(m.type_tags(), EVERY_TAGS);
    assert_eq!(m.to_bytes().unwrap(), bytes);
    assert_eq!(m.args[7], Value::Symbol("sym".into()));
    assert_eq!(m.args[14], Value::Infinitum);
    assert_eq!(m.args[22], Value::String("sq".into()));
    let from_value = Message::from_value("/t", &m.args).unwrap();
    assert_eq!(from_value, m);
}

#[test]
fn special_types_decode_into_value_through_serde() {
    let bytes = msg(
        "/t",
        "tSrmI",
        &[
            0, 0, 0, 2, 0, 0, 0, 3, b'a', 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8,
        ],
    );
    let values: Vec<Value> = osc_serde::from_slice(&bytes).unwrap();
    assert_eq!(
        values,
        vec![
            Value::TimeTag(TimeTag::new(2, 3)),
            Value::Symbol("a".into()),
            Value::Color(Color::from_u32(0x0102_0304)),
            Value::Midi(Midi::from_u32(0x0506_0708)),
            Value::Infinitum,
        ]
    );
}

#[test]
fn symbol_field_takes_a_plain_string_and_string_field_takes_a_symbol() {
    let s_bytes = msg("/t", "s", b"ab\0\0");
    let (sym,): (Symbol<&str>,) = osc_serde::from_slice(&s_bytes).unwrap();
    assert_eq!(sym, Symbol("ab"));
    let sym_bytes = msg("/t", "S", b"ab\0\0");
    let (s,): (&str,) = osc_serde::from_slice(&sym_bytes).unwrap();
    assert_eq!(s, "ab");
}

#[test]
fn char_field_takes_a_one_character_string() {
    let bytes = msg("/t", "s", "é\0\0".as_bytes());
    let (c,): (char,) = osc_serde::from_slice(&bytes).unwrap();
    assert_eq!(c, 'é');
    let two = msg("/t", "s", b"ab\0\0");
    assert!(matches!(
        osc_serde::from_slice::<(char,)>(&two),
        Err(osc_serde::Error::TypeMismatch {
            index: 0,
            found: 's',
            ..
        })
    ));
}

#[test]
fn value_from_rust_primitives() {
    assert_eq!(Value::from(1i8), Value::Int(1));
    assert_eq!(Value::from(1u16), Value::Int(1));
    assert_eq!(Value::from(1i64), Value::Long(1));
    assert_eq!(Value::from(1.0f64), Value::Double(1.0));
    assert_eq!(Value::from("a"), Value::String("a".into()));
    assert_eq!(Value::from(&b"ab"[..]), Value::Blob(b"ab".to_vec()));
    assert_eq!(Value::from(Symbol("x")), Value::Symbol("x".into()));
    assert_eq!(Value::from(Infinitum), Value::Infinitum);
    assert_eq!(Value::from(()), Value::Nil);
    assert_eq!(Value::from(None::<i32>), Value::Nil);
    assert_eq!(Value::from(Some(2)), Value::Int(2));
    assert_eq!(Value::from('c'), Value::Char('c'));
    assert_eq!(Value::from(false), Value::Bool(false));
}
