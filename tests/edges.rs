//! The edges other OSC libraries get wrong, with exact bytes: empty blobs
//! and strings, strings whose length is a multiple of 4, extreme integers,
//! NaN and infinities, messages without arguments or without a type tag
//! string, and the "immediately" time tag.

use osc_serde::{Blob, Bundle, Message, MessageRef, Packet, TimeTag, Value};
use serde::{Deserialize, Serialize};

fn round_trip(m: &Message, expected: &[u8]) {
    assert_eq!(m.to_bytes().unwrap(), expected, "encoding {m:?}");
    assert_eq!(&Message::from_bytes(expected).unwrap(), m, "decoding {m:?}");
}

#[test]
fn empty_blob_is_a_zero_size_and_no_padding() {
    let m = Message::new("/b").arg(Vec::<u8>::new());
    round_trip(&m, b"/b\0\0,b\0\0\0\0\0\0");
    assert_eq!(
        osc_serde::to_vec_with_address("/b", &(Blob(vec![]),)).unwrap(),
        b"/b\0\0,b\0\0\0\0\0\0"
    );
    let (b,): (&[u8],) = osc_serde::from_slice(b"/b\0\0,b\0\0\0\0\0\0").unwrap();
    assert!(b.is_empty());
}

#[test]
fn blob_lengths_pad_to_four() {
    round_trip(
        &Message::new("/b").arg(vec![1u8, 2, 3, 4]),
        b"/b\0\0,b\0\0\0\0\0\x04\x01\x02\x03\x04",
    );
    round_trip(
        &Message::new("/b").arg(vec![1u8]),
        b"/b\0\0,b\0\0\0\0\0\x01\x01\0\0\0",
    );
}

#[test]
fn empty_string_is_four_nuls() {
    round_trip(&Message::new("/s").arg(""), b"/s\0\0,s\0\0\0\0\0\0");
    let (s,): (&str,) = osc_serde::from_slice(b"/s\0\0,s\0\0\0\0\0\0").unwrap();
    assert_eq!(s, "");
}

#[test]
fn string_of_exactly_four_bytes_takes_eight() {
    round_trip(&Message::new("/s").arg("abcd"), b"/s\0\0,s\0\0abcd\0\0\0\0");
    // The same rule for the address ("/abc" is 4 bytes) and the tags
    // (",iii" is 4 bytes).
    round_trip(
        &Message::new("/abc").arg(1).arg(2).arg(3),
        b"/abc\0\0\0\0,iii\0\0\0\0\0\0\0\x01\0\0\0\x02\0\0\0\x03",
    );
    // A string of exactly 4 bytes without its 4 NULs is refused.
    assert!(MessageRef::from_bytes(b"/s\0\0,s\0\0abcd")
        .unwrap()
        .args()
        .next()
        .unwrap()
        .is_err());
}

#[test]
fn extreme_integers() {
    round_trip(&Message::new("/i").arg(i32::MIN), b"/i\0\0,i\0\0\x80\0\0\0");
    round_trip(
        &Message::new("/i").arg(i32::MAX),
        b"/i\0\0,i\0\0\x7f\xff\xff\xff",
    );
    round_trip(
        &Message::new("/h").arg(i64::MIN),
        b"/h\0\0,h\0\0\x80\0\0\0\0\0\0\0",
    );
    let (v,): (i32,) = osc_serde::from_slice(b"/i\0\0,i\0\0\x80\0\0\0").unwrap();
    assert_eq!(v, i32::MIN);
    assert_eq!(
        osc_serde::to_vec_with_address("/i", &i32::MIN).unwrap(),
        b"/i\0\0,i\0\0\x80\0\0\0"
    );
}

#[test]
fn nan_and_infinities_are_bit_exact() {
    let f32s = [
        f32::NAN,
        -f32::NAN,
        f32::from_bits(0x7fa0_0001), // a signalling NaN with a payload
        f32::INFINITY,
        f32::NEG_INFINITY,
        -0.0,
        f32::MIN_POSITIVE / 2.0, // subnormal
    ];
    for v in f32s {
        let mut expected = b"/f\0\0,f\0\0".to_vec();
        expected.extend_from_slice(&v.to_bits().to_be_bytes());
        let m = Message::new("/f").arg(v);
        assert_eq!(m.to_bytes().unwrap(), expected);
        let Value::Float(back) = Message::from_bytes(&expected).unwrap().args[0] else {
            panic!("not a float");
        };
        assert_eq!(back.to_bits(), v.to_bits());
        let (serde_back,): (f32,) = osc_serde::from_slice(&expected).unwrap();
        assert_eq!(serde_back.to_bits(), v.to_bits());
        assert_eq!(osc_serde::to_vec_with_address("/f", &v).unwrap(), expected);
    }
    let f64s = [
        f64::NAN,
        f64::from_bits(0x7ff4_0000_0000_0001),
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.0,
    ];
    for v in f64s {
        let mut expected = b"/d\0\0,d\0\0".to_vec();
        expected.extend_from_slice(&v.to_bits().to_be_bytes());
        assert_eq!(Message::new("/d").arg(v).to_bytes().unwrap(), expected);
        let Value::Double(back) = Message::from_bytes(&expected).unwrap().args[0] else {
            panic!("not a double");
        };
        assert_eq!(back.to_bits(), v.to_bits());
        let (serde_back,): (f64,) = osc_serde::from_slice(&expected).unwrap();
        assert_eq!(serde_back.to_bits(), v.to_bits());
    }
    // `f` widened into an f64 field keeps infinities.
    let (wide,): (f64,) = osc_serde::from_slice(b"/f\0\0,f\0\0\xff\x80\0\0").unwrap();
    assert_eq!(wide, f64::NEG_INFINITY);
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "/a")]
struct Empty;

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "/a")]
struct EmptyBraces {}

#[test]
fn message_without_arguments_has_a_lone_comma() {
    let expected = b"/a\0\0,\0\0\0";
    round_trip(&Message::new("/a"), expected);
    assert_eq!(osc_serde::to_vec(&Empty).unwrap(), expected);
    assert_eq!(osc_serde::to_vec(&EmptyBraces {}).unwrap(), expected);
    assert_eq!(osc_serde::to_vec_with_address("/a", &()).unwrap(), expected);
    assert_eq!(osc_serde::from_slice::<Empty>(expected).unwrap(), Empty);
    assert_eq!(
        osc_serde::from_slice::<EmptyBraces>(expected).unwrap(),
        EmptyBraces {}
    );
    osc_serde::from_slice::<()>(expected).unwrap();
    let r = MessageRef::from_bytes(expected).unwrap();
    assert_eq!(r.type_tags(), "");
    assert!(r.args().next().is_none());
}

#[test]
fn message_without_type_tag_string_has_no_arguments() {
    // OSC 1.0 allows old senders to omit the type tag string.
    let bytes = b"/a\0\0";
    assert_eq!(Message::from_bytes(bytes).unwrap(), Message::new("/a"));
    assert_eq!(
        Packet::from_bytes(bytes).unwrap(),
        Packet::Message(Message::new("/a"))
    );
    let r = MessageRef::from_bytes(bytes).unwrap();
    assert_eq!(r.address(), "/a");
    assert_eq!(r.type_tags(), "");
    assert!(r.args().next().is_none());
    assert_eq!(osc_serde::from_slice::<Empty>(bytes).unwrap(), Empty);
    // Re-encoding adds the lone comma.
    assert_eq!(
        Message::from_bytes(bytes).unwrap().to_bytes().unwrap(),
        b"/a\0\0,\0\0\0"
    );
}

#[test]
fn argument_data_without_type_tags_is_reported_not_dropped() {
    // An int32 after the address, with no ",i" to say what it is.
    let bytes = b"/a\0\0\0\0\0\x07";
    let r = MessageRef::from_bytes(bytes).unwrap();
    assert_eq!(r.address(), "/a");
    assert_eq!(r.type_tags(), "");
    assert_eq!(r.data(), b"\0\0\0\x07");
    assert!(matches!(
        r.to_message(),
        Err(osc_serde::Error::MissingTypeTags(4))
    ));
    assert!(matches!(
        Message::from_bytes(bytes),
        Err(osc_serde::Error::MissingTypeTags(4))
    ));
    assert!(matches!(
        Packet::from_bytes(bytes),
        Err(osc_serde::Error::MissingTypeTags(4))
    ));
    assert!(matches!(
        osc_serde::from_slice::<Empty>(bytes),
        Err(osc_serde::Error::MissingTypeTags(4))
    ));
    // Iterating ends with the left-over data as an error.
    let items: Vec<_> = r.args().collect();
    assert!(
        matches!(items[..], [Err(osc_serde::Error::TrailingBytes(4))]),
        "{items:?}"
    );
    // The message says so.
    assert_eq!(
        osc_serde::from_slice::<Empty>(bytes)
            .unwrap_err()
            .to_string(),
        "4 bytes of arguments without a type tag string: they cannot be read"
    );
}

#[test]
fn immediate_time_tag_is_one() {
    assert_eq!(TimeTag::IMMEDIATE.to_bits(), 1);
    assert!(TimeTag::IMMEDIATE.is_immediate());
    let b = Bundle::new(TimeTag::IMMEDIATE);
    assert_eq!(b.to_bytes().unwrap(), b"#bundle\0\0\0\0\0\0\0\0\x01");
    assert_eq!(
        Bundle::from_bytes(b"#bundle\0\0\0\0\0\0\0\0\x01").unwrap(),
        b
    );
    round_trip(
        &Message::new("/t").arg(TimeTag::IMMEDIATE),
        b"/t\0\0,t\0\0\0\0\0\0\0\0\0\x01",
    );
}

#[test]
fn bundle_with_one_message_exact_bytes() {
    let b = Bundle::new(TimeTag::new(1, 2)).message(Message::new("/a").arg(1));
    let expected = b"#bundle\0\0\0\0\x01\0\0\0\x02\0\0\0\x0c/a\0\0,i\0\0\0\0\0\x01";
    assert_eq!(b.to_bytes().unwrap(), expected);
    assert_eq!(Bundle::from_bytes(expected).unwrap(), b);
    // An empty bundle element list is valid.
    assert_eq!(
        Bundle::from_bytes(b"#bundle\0\0\0\0\0\0\0\0\x01")
            .unwrap()
            .content,
        vec![]
    );
}

#[test]
fn strings_with_nul_cannot_be_encoded() {
    assert!(matches!(
        Message::new("/a").arg("a\0b").to_bytes(),
        Err(osc_serde::Error::NulInString(_))
    ));
    assert!(matches!(
        Message::new("/a\0").to_bytes(),
        Err(osc_serde::Error::NulInString(_))
    ));
    assert!(matches!(
        osc_serde::to_vec_with_address("/a", &("x\0",)),
        Err(osc_serde::Error::NulInString(_))
    ));
}
