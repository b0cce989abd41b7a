//! Helpers shared by the integration tests: building expected message bytes
//! by hand, and asserting an error variant.
//!
//! Each test file is its own crate and uses only some of these.
#![allow(dead_code, unused_macros)]

/// The bytes of a message to `address` with type tags `tags` (without the
/// comma) and the argument data `payload`, padded as OSC requires.
pub fn msg(address: &str, tags: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = address.as_bytes().to_vec();
    pad(&mut out);
    out.push(b',');
    out.extend_from_slice(tags.as_bytes());
    pad(&mut out);
    out.extend_from_slice(payload);
    out
}

/// NUL-terminates and pads to a multiple of 4.
fn pad(out: &mut Vec<u8>) {
    out.push(0);
    while out.len() % 4 != 0 {
        out.push(0);
    }
}

/// Big-endian int32s, as argument data.
pub fn be(ints: &[i32]) -> Vec<u8> {
    ints.iter().flat_map(|i| i.to_be_bytes()).collect()
}

/// Asserts that `result` is an `Err` matching `pattern` (and guard).
macro_rules! assert_err {
    ($result:expr, $pattern:pat $(if $guard:expr)? $(,)?) => {
        match $result {
            Err(e) if matches!(&e, $pattern $(if $guard)?) => {}
            other => panic!(
                "expected Err({}), got {other:?}",
                stringify!($pattern $(if $guard)?)
            ),
        }
    };
}
