//! A byte sequence inside the arguments is an OSC blob both ways; a `d`
//! narrows into an `f32` target.

use osc_serde::{from_slice, to_vec, to_vec_with_address, Blob, Error};
use serde::{Deserialize, Serialize};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "/raw")]
struct Raw<'a> {
    id: i32,
    data: &'a [u8],
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "/owned")]
struct Owned {
    data: Vec<u8>,
    tail: i32,
}

#[test]
fn borrowed_byte_field_is_a_blob_both_ways() {
    let bytes = to_vec(&Raw {
        id: 7,
        data: &[1, 2, 3, 4, 5],
    })
    .unwrap();
    assert_eq!(
        bytes,
        b"/raw\0\0\0\0,ib\0\0\0\0\x07\0\0\0\x05\x01\x02\x03\x04\x05\0\0\0"
    );
    let back: Raw = from_slice(&bytes).unwrap();
    assert_eq!(
        back,
        Raw {
            id: 7,
            data: &[1, 2, 3, 4, 5]
        }
    );
    // Borrowed, not copied.
    let start = bytes.as_ptr() as usize;
    let at = back.data.as_ptr() as usize;
    assert!(at >= start && at < start + bytes.len());
}

#[test]
fn owned_byte_vector_is_a_blob_both_ways() {
    let value = Owned {
        data: vec![0xff, 0, 9, 8],
        tail: -1,
    };
    let bytes = to_vec(&value).unwrap();
    assert_eq!(
        bytes,
        b"/owned\0\0,bi\0\0\0\0\x04\xff\0\x09\x08\xff\xff\xff\xff"
    );
    assert_eq!(from_slice::<Owned>(&bytes).unwrap(), value);
    // The explicit wrapper gives the same bytes, owned and borrowed.
    assert_eq!(
        to_vec_with_address("/owned", &(Blob(vec![0xffu8, 0, 9, 8]), -1)).unwrap(),
        bytes
    );
    assert_eq!(
        to_vec_with_address("/owned", &(Blob(&[0xffu8, 0, 9, 8][..]), -1)).unwrap(),
        bytes
    );
    // An array of `i` from another sender still decodes into Vec<u8>.
    let ints = b"/owned\0\0,[iiii]i\0\0\0\0\0\0\0\xff\0\0\0\0\0\0\0\x09\0\0\0\x08\xff\xff\xff\xff";
    assert_eq!(from_slice::<Owned>(ints).unwrap(), value);
}

#[test]
fn empty_byte_sequence_round_trips() {
    let bytes = to_vec(&Raw { id: 1, data: &[] }).unwrap();
    // Without an item the type is unknown: an empty array (use `Blob` or
    // serde_bytes for an empty blob).
    assert_eq!(bytes, b"/raw\0\0\0\0,i[]\0\0\0\0\0\0\0\x01");
    assert_eq!(from_slice::<Raw>(&bytes).unwrap(), Raw { id: 1, data: &[] });
    let owned = Owned {
        data: vec![],
        tail: 2,
    };
    assert_eq!(
        from_slice::<Owned>(&to_vec(&owned).unwrap()).unwrap(),
        owned
    );
}

#[test]
fn other_sequences_stay_arrays() {
    // Nested byte vectors are blobs inside an array.
    let bytes = to_vec_with_address("/n", &(vec![vec![1u8], vec![2u8, 3]],)).unwrap();
    assert_eq!(
        bytes,
        b"/n\0\0,[bb]\0\0\0\0\0\0\x01\x01\0\0\0\0\0\0\x02\x02\x03\0\0"
    );
    assert_eq!(
        from_slice::<(Vec<Vec<u8>>,)>(&bytes).unwrap(),
        (vec![vec![1u8], vec![2, 3]],)
    );
    // Other element types, and Option<u8>, are arrays.
    let bytes = to_vec_with_address("/n", &(vec![1u16, 2],)).unwrap();
    assert_eq!(bytes, b"/n\0\0,[ii]\0\0\0\0\0\0\x01\0\0\0\x02");
    let bytes = to_vec_with_address("/n", &(vec![Some(1u8), None],)).unwrap();
    assert_eq!(bytes, b"/n\0\0,[iN]\0\0\0\0\0\0\x01");
    // At the top level the items are the arguments.
    let bytes = to_vec_with_address("/n", &vec![1u8, 2]).unwrap();
    assert_eq!(bytes, b"/n\0\0,ii\0\0\0\0\x01\0\0\0\x02");
}

#[test]
fn an_array_of_ints_is_no_borrowed_blob() {
    let ints = b"/raw\0\0\0\0,i[i]\0\0\0\0\0\0\x07\0\0\0\x01";
    let err = from_slice::<Raw>(ints).unwrap_err();
    assert!(
        matches!(
            err,
            Error::TypeMismatch {
                index: 1,
                found: '[',
                ..
            }
        ),
        "{err:?}"
    );
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename = "/filter")]
struct Filter(f32);

#[test]
fn f32_target_takes_a_double_rounded_to_nearest() {
    // What `send_message("/filter", &0.1)` sends: a `d`.
    let bytes = to_vec_with_address("/filter", &0.1f64).unwrap();
    assert_eq!(&bytes[8..12], b",d\0\0");
    assert_eq!(from_slice::<Filter>(&bytes).unwrap(), Filter(0.1f32));
    let inf = to_vec_with_address("/filter", &f64::NEG_INFINITY).unwrap();
    assert_eq!(
        from_slice::<Filter>(&inf).unwrap(),
        Filter(f32::NEG_INFINITY)
    );
    let nan = to_vec_with_address("/filter", &f64::NAN).unwrap();
    assert!(from_slice::<Filter>(&nan).unwrap().0.is_nan());
    // Finite but beyond f32: refused, not made infinite.
    let big = to_vec_with_address("/filter", &1e40f64).unwrap();
    let err = from_slice::<Filter>(&big).unwrap_err();
    assert!(
        matches!(
            err,
            Error::OutOfRange {
                index: 0,
                target: osc_serde::error::Expected::F32,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("1e40") || err.to_string().contains("10000000000"),
        "{err}"
    );
}
