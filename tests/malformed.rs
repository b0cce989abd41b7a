//! A table of malformed packets, each with the error it must give.
//!
//! Every input goes through every decoder: the owned `Packet::from_bytes`,
//! the lazy `PacketRef` walked to the end, and (for messages) serde into
//! `Message` and `Vec<Value>`. Each must return the expected error variant:
//! never a panic, never a silent success.

use osc_serde::error::Expected;
use osc_serde::{
    Bundle, BundleRef, Error, Message, MessageRef, Packet, PacketRef, TimeTag, Value, MAX_DEPTH,
};

mod common;
use common::msg;

/// A bundle (time tag 0) whose elements are given with their size fields.
fn bundle(elements: &[u8]) -> Vec<u8> {
    let mut out = b"#bundle\0\0\0\0\0\0\0\0\0".to_vec();
    out.extend_from_slice(elements);
    out
}

/// A size-prefixed bundle element.
fn element(size: i32, bytes: &[u8]) -> Vec<u8> {
    let mut out = size.to_be_bytes().to_vec();
    out.extend_from_slice(bytes);
    out
}

/// `levels` bundles nested inside each other, the innermost empty.
fn nested_bundles(levels: usize) -> Vec<u8> {
    let mut inner = bundle(&[]);
    for _ in 1..levels {
        inner = bundle(&element(inner.len() as i32, &inner));
    }
    inner
}

/// A message whose one argument is `levels` nested empty arrays.
fn nested_arrays(levels: usize) -> Vec<u8> {
    msg("/a", &("[".repeat(levels) + &"]".repeat(levels)), &[])
}

/// Walks a borrowed packet to its end, reading every argument and element.
fn walk(bytes: &[u8]) -> Result<(), Error> {
    fn packet(p: PacketRef) -> Result<(), Error> {
        match p {
            PacketRef::Message(m) => {
                for arg in m.args() {
                    arg?.to_value()?;
                }
                Ok(())
            }
            PacketRef::Bundle(b) => b.elements().try_for_each(|e| packet(e?)),
        }
    }
    packet(PacketRef::from_bytes(bytes)?)
}

type Check = fn(&Error) -> bool;

/// The input ended where `NEEDED` more bytes were needed and `REMAINING` were left.
fn end<const NEEDED: u32, const REMAINING: u32>(e: &Error) -> bool {
    matches!(e, Error::UnexpectedEnd { needed, remaining } if *needed == NEEDED && *remaining == REMAINING)
}

fn table() -> Vec<(&'static str, Vec<u8>, Check)> {
    vec![
        ("empty input", vec![], |e| matches!(e, Error::NotAPacket)),
        ("no leading slash", b"a\0\0\0,\0\0\0".to_vec(), |e| {
            matches!(e, Error::NotAPacket)
        }),
        ("leading NUL", b"\0/a\0,\0\0\0".to_vec(), |e| {
            matches!(e, Error::NotAPacket)
        }),
        ("unterminated address", b"/abc".to_vec(), |e| {
            matches!(e, Error::UnterminatedString)
        }),
        ("address missing padding", b"/abcd\0".to_vec(), end::<8, 6>),
        ("address not UTF-8", b"/\xff\0\0,\0\0\0".to_vec(), |e| {
            matches!(e, Error::InvalidUtf8)
        }),
        ("unterminated type tags", b"/a\0\0,iii".to_vec(), |e| {
            matches!(e, Error::UnterminatedString)
        }),
        ("unknown tag", msg("/a", "ix", &[0, 0, 0, 1]), |e| {
            matches!(e, Error::UnknownTypeTag { tag: 'x', index: 1 })
        }),
        // The index counts arguments (an array is one), not tag bytes.
        (
            "unknown tag after an array",
            msg("/a", "[ii]x", &[0; 8]),
            |e| matches!(e, Error::UnknownTypeTag { tag: 'x', index: 1 }),
        ),
        (
            "unknown tag inside an array",
            msg("/a", "i[iix]", &[0; 12]),
            |e| matches!(e, Error::UnknownTypeTag { tag: 'x', index: 2 }),
        ),
        (
            "open bracket without close",
            msg("/a", "[i", &[0, 0, 0, 1]),
            |e| matches!(e, Error::UnbalancedArray),
        ),
        (
            "close bracket without open",
            msg("/a", "i]", &[0, 0, 0, 1]),
            |e| matches!(e, Error::UnbalancedArray),
        ),
        ("close before open", msg("/a", "][", &[]), |e| {
            matches!(e, Error::UnbalancedArray)
        }),
        (
            "arrays nested deeper than MAX_DEPTH",
            nested_arrays(MAX_DEPTH + 1),
            |e| matches!(e, Error::TooDeep { max: MAX_DEPTH }),
        ),
        (
            "bundles nested deeper than MAX_DEPTH",
            nested_bundles(MAX_DEPTH + 1),
            |e| matches!(e, Error::TooDeep { max: MAX_DEPTH }),
        ),
        (
            "blob claiming 2 GiB",
            msg("/a", "b", &[0x7f, 0xff, 0xff, 0xff, 1, 2, 3, 4]),
            |e| {
                matches!(
                    e,
                    Error::BadLength {
                        length: 0x7fff_ffff,
                        remaining: 4
                    }
                )
            },
        ),
        (
            "negative blob size",
            msg("/a", "b", &[0xff, 0xff, 0xff, 0xfc, 1, 2, 3, 4]),
            |e| matches!(e, Error::BadLength { length: -4, .. }),
        ),
        (
            "blob missing its padding",
            msg("/a", "b", &[0, 0, 0, 5, 1, 2, 3, 4, 5]),
            |e| {
                matches!(
                    e,
                    Error::BadLength {
                        length: 5,
                        remaining: 5
                    }
                )
            },
        ),
        ("truncated int", msg("/a", "i", &[0, 0]), end::<4, 2>),
        ("truncated float", msg("/a", "f", &[0x3f]), end::<4, 1>),
        (
            "truncated double",
            msg("/a", "d", &[0x3f, 0xf0, 0, 0]),
            end::<8, 4>,
        ),
        ("truncated int64", msg("/a", "h", &[0; 7]), end::<8, 7>),
        (
            "truncated timetag",
            msg("/a", "t", &[0, 0, 0, 0]),
            end::<8, 4>,
        ),
        (
            "missing argument data",
            msg("/a", "ii", &[0, 0, 0, 1]),
            end::<4, 0>,
        ),
        (
            "unterminated string argument",
            msg("/a", "s", b"abcd"),
            |e| matches!(e, Error::UnterminatedString),
        ),
        (
            "string argument missing padding",
            msg("/a", "s", b"ab\0"),
            end::<4, 3>,
        ),
        (
            "invalid UTF-8 string",
            msg("/a", "s", b"\xc3\x28\0\0"),
            |e| matches!(e, Error::InvalidUtf8),
        ),
        ("invalid UTF-8 symbol", msg("/a", "S", b"\xff\0\0\0"), |e| {
            matches!(e, Error::InvalidUtf8)
        }),
        (
            "char: surrogate code point",
            msg("/a", "c", &[0, 0, 0xd8, 0]),
            |e| matches!(e, Error::InvalidSpecial(Expected::Char)),
        ),
        (
            "char: above U+10FFFF",
            msg("/a", "c", &[0, 0x11, 0, 0]),
            |e| matches!(e, Error::InvalidSpecial(Expected::Char)),
        ),
        (
            "trailing bytes after the last argument",
            msg("/a", "i", &[0, 0, 0, 1, 0, 0, 0, 2]),
            |e| matches!(e, Error::TrailingBytes(4)),
        ),
        ("data but no arguments", msg("/a", "", &[0, 0, 0, 1]), |e| {
            matches!(e, Error::TrailingBytes(4))
        }),
        (
            "bundle tag misspelt",
            b"#bundlX\0\0\0\0\0\0\0\0\x01".to_vec(),
            |e| matches!(e, Error::NotAPacket),
        ),
        (
            "bundle truncated timetag",
            b"#bundle\0\0\0\0\0".to_vec(),
            end::<8, 4>,
        ),
        (
            "bundle truncated element size",
            bundle(&[0, 0]),
            end::<4, 2>,
        ),
        (
            "bundle element size above remaining",
            bundle(&element(16, b"/a\0\0,\0\0\0")),
            |e| {
                matches!(
                    e,
                    Error::BadLength {
                        length: 16,
                        remaining: 8
                    }
                )
            },
        ),
        (
            "bundle element size claiming 2 GiB",
            bundle(&element(i32::MAX, b"/a\0\0,\0\0\0")),
            |e| {
                matches!(
                    e,
                    Error::BadLength {
                        length: 0x7fff_ffff,
                        remaining: 8
                    }
                )
            },
        ),
        (
            "bundle element size not a multiple of 4",
            bundle(&element(5, b"/a\0\0,\0\0\0")),
            |e| matches!(e, Error::MisalignedElement(5)),
        ),
        (
            "negative bundle element size",
            bundle(&element(-8, b"/a\0\0,\0\0\0")),
            |e| matches!(e, Error::BadLength { length: -8, .. }),
        ),
        (
            "bundle element neither message nor bundle",
            bundle(&element(4, b"abcd")),
            |e| matches!(e, Error::NotAPacket),
        ),
        ("empty bundle element", bundle(&element(0, b"")), |e| {
            matches!(e, Error::NotAPacket)
        }),
        (
            "malformed message inside a bundle",
            bundle(&element(8, b"/a\0\0,x\0\0")),
            |e| matches!(e, Error::UnknownTypeTag { tag: 'x', index: 0 }),
        ),
    ]
}

#[test]
fn every_malformed_input_gives_its_error_from_every_decoder() {
    for (name, bytes, check) in table() {
        let mut results = vec![
            ("Packet::from_bytes", Packet::from_bytes(&bytes).map(drop)),
            ("walking PacketRef", walk(&bytes)),
        ];
        if bytes.first() == Some(&b'/') {
            results.push(("Message::from_bytes", Message::from_bytes(&bytes).map(drop)));
            results.push((
                "from_slice::<Message>",
                osc_serde::from_slice::<Message>(&bytes).map(drop),
            ));
            results.push((
                "from_slice::<Vec<Value>>",
                osc_serde::from_slice::<Vec<Value>>(&bytes).map(drop),
            ));
        }
        for (decoder, result) in results {
            match result {
                Err(e) if check(&e) => {}
                other => panic!("{name}: {decoder} gave {other:?}"),
            }
        }
        // Every truncation decodes to Ok or Err without panicking (some
        // prefixes are valid packets, e.g. one that drops trailing bytes).
        for end in 0..bytes.len() {
            let _ = Packet::from_bytes(&bytes[..end]);
            let _ = walk(&bytes[..end]);
        }
    }
}

#[test]
fn nesting_at_max_depth_is_accepted() {
    let arrays = nested_arrays(MAX_DEPTH);
    let m = Message::from_bytes(&arrays).unwrap();
    assert_eq!(m.to_bytes().unwrap(), arrays);
    walk(&arrays).unwrap();

    let bundles = nested_bundles(MAX_DEPTH);
    let p = Packet::from_bytes(&bundles).unwrap();
    assert_eq!(p.to_bytes().unwrap(), bundles);
    walk(&bundles).unwrap();
}

#[test]
fn encoders_refuse_nesting_deeper_than_max_depth() {
    let mut deep = Value::Array(vec![]);
    for _ in 0..MAX_DEPTH {
        deep = Value::Array(vec![deep]);
    }
    let err = Message::new("/a").arg(deep).to_bytes().unwrap_err();
    assert!(matches!(err, Error::TooDeep { max: MAX_DEPTH }), "{err:?}");

    let mut b = Bundle::new(TimeTag::IMMEDIATE);
    for _ in 0..MAX_DEPTH {
        b = Bundle::new(TimeTag::IMMEDIATE).bundle(b);
    }
    let mut out = b"keep".to_vec();
    let err = b.encode_into(&mut out).unwrap_err();
    assert!(matches!(err, Error::TooDeep { max: MAX_DEPTH }), "{err:?}");
    assert_eq!(out, b"keep", "a failed encode leaves the buffer unchanged");
}

#[test]
fn message_decoders_refuse_a_bundle_and_bundle_decoders_a_message() {
    let b = bundle(&[]);
    assert!(matches!(Message::from_bytes(&b), Err(Error::NotAMessage)));
    assert!(matches!(
        MessageRef::from_bytes(&b),
        Err(Error::NotAMessage)
    ));
    assert!(matches!(
        osc_serde::from_slice::<Vec<Value>>(&b),
        Err(Error::NotAMessage)
    ));
    let m = b"/a\0\0,\0\0\0";
    assert!(matches!(Bundle::from_bytes(m), Err(Error::NotABundle)));
    assert!(matches!(BundleRef::from_bytes(m), Err(Error::NotABundle)));
    assert_eq!(
        Bundle::from_bytes(m).unwrap_err().to_string(),
        "this packet is a message, not a bundle"
    );
    // Neither: still not a packet.
    assert!(matches!(
        Bundle::from_bytes(b"#bundlX\0"),
        Err(Error::NotAPacket)
    ));
    assert!(matches!(
        MessageRef::from_bytes(b"a\0\0\0"),
        Err(Error::NotAPacket)
    ));
}
