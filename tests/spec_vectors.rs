//! The example messages of the OSC 1.0 specification, byte for byte.
//!
//! Both examples come from the specification's section "OSC Message
//! Examples" (opensoundcontrol.org, OSC 1.0, 2002). Each is encoded from a
//! [`Message`], from a derived struct and from a tuple with an explicit
//! address, and decoded back through `Message`, `MessageRef` and serde.

use osc_serde::{Message, MessageRef, Packet, Value, ValueRef};
use serde::{Deserialize, Serialize};

/// "/oscillator/4/frequency" ",f" 440.0, as printed in the specification.
const OSCILLATOR: &[u8] = &[
    0x2f, 0x6f, 0x73, 0x63, // /osc
    0x69, 0x6c, 0x6c, 0x61, // illa
    0x74, 0x6f, 0x72, 0x2f, // tor/
    0x34, 0x2f, 0x66, 0x72, // 4/fr
    0x65, 0x71, 0x75, 0x65, // eque
    0x6e, 0x63, 0x79, 0x00, // ncy\0
    0x2c, 0x66, 0x00, 0x00, // ,f\0\0
    0x43, 0xdc, 0x00, 0x00, // 440.0
];

/// "/foo" ",iisff" 1000 -1 "hello" 1.234 5.678, as printed in the
/// specification.
const FOO: &[u8] = &[
    0x2f, 0x66, 0x6f, 0x6f, // /foo
    0x00, 0x00, 0x00, 0x00, // padding
    0x2c, 0x69, 0x69, 0x73, // ,iis
    0x66, 0x66, 0x00, 0x00, // ff\0\0
    0x00, 0x00, 0x03, 0xe8, // 1000
    0xff, 0xff, 0xff, 0xff, // -1
    0x68, 0x65, 0x6c, 0x6c, // hell
    0x6f, 0x00, 0x00, 0x00, // o\0\0\0
    0x3f, 0x9d, 0xf3, 0xb6, // 1.234
    0x40, 0xb5, 0xb2, 0x2d, // 5.678
];

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "/oscillator/4/frequency")]
struct Frequency(f32);

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "/foo")]
struct Foo<'a> {
    a: i32,
    b: i32,
    text: &'a str,
    x: f32,
    y: f32,
}

fn foo_message() -> Message {
    Message::new("/foo")
        .arg(1000)
        .arg(-1)
        .arg("hello")
        .arg(1.234f32)
        .arg(5.678f32)
}

#[test]
fn oscillator_encodes_from_message_struct_and_tuple() {
    let msg = Message::new("/oscillator/4/frequency").arg(440.0f32);
    assert_eq!(msg.to_bytes().unwrap(), OSCILLATOR);
    assert_eq!(osc_serde::to_vec(&Frequency(440.0)).unwrap(), OSCILLATOR);
    assert_eq!(
        osc_serde::to_vec_with_address("/oscillator/4/frequency", &440.0f32).unwrap(),
        OSCILLATOR
    );
    assert_eq!(Packet::Message(msg).to_bytes().unwrap(), OSCILLATOR);
}

#[test]
fn oscillator_decodes() {
    let msg = Message::from_bytes(OSCILLATOR).unwrap();
    assert_eq!(msg.address, "/oscillator/4/frequency");
    assert_eq!(msg.args, vec![Value::Float(440.0)]);

    let r = MessageRef::from_bytes(OSCILLATOR).unwrap();
    assert_eq!(r.address(), "/oscillator/4/frequency");
    assert_eq!(r.type_tags(), "f");
    let args: Vec<ValueRef> = r.args().collect::<Result<_, _>>().unwrap();
    assert_eq!(args, vec![ValueRef::Float(440.0)]);

    let f: Frequency = osc_serde::from_slice(OSCILLATOR).unwrap();
    assert_eq!(f, Frequency(440.0));
    let bare: f32 = osc_serde::from_slice(OSCILLATOR).unwrap();
    assert_eq!(bare, 440.0);
}

#[test]
fn foo_encodes_from_message_struct_and_tuple() {
    assert_eq!(foo_message().to_bytes().unwrap(), FOO);
    let foo = Foo {
        a: 1000,
        b: -1,
        text: "hello",
        x: 1.234,
        y: 5.678,
    };
    assert_eq!(osc_serde::to_vec(&foo).unwrap(), FOO);
    assert_eq!(
        osc_serde::to_vec_with_address("/foo", &(1000, -1, "hello", 1.234f32, 5.678f32)).unwrap(),
        FOO
    );
}

#[test]
fn foo_decodes() {
    assert_eq!(Message::from_bytes(FOO).unwrap(), foo_message());
    assert_eq!(
        Packet::from_bytes(FOO).unwrap(),
        Packet::Message(foo_message())
    );

    let r = MessageRef::from_bytes(FOO).unwrap();
    assert_eq!(r.address(), "/foo");
    assert_eq!(r.type_tags(), "iisff");
    let args: Vec<ValueRef> = r.args().collect::<Result<_, _>>().unwrap();
    assert_eq!(
        args,
        vec![
            ValueRef::Int(1000),
            ValueRef::Int(-1),
            ValueRef::String("hello"),
            ValueRef::Float(1.234),
            ValueRef::Float(5.678),
        ]
    );

    let foo: Foo = osc_serde::from_slice(FOO).unwrap();
    assert_eq!(
        foo,
        Foo {
            a: 1000,
            b: -1,
            text: "hello",
            x: 1.234,
            y: 5.678
        }
    );
    // The borrowed string points into the input, not at a copy.
    let start = FOO.as_ptr() as usize;
    let text = foo.text.as_ptr() as usize;
    assert!((start..start + FOO.len()).contains(&text));

    let tuple: (i32, i32, String, f32, f32) = osc_serde::from_slice(FOO).unwrap();
    assert_eq!(tuple, (1000, -1, "hello".to_owned(), 1.234, 5.678));
}
