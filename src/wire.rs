//! Wire primitives: the byte layout of every OSC atom.
//!
//! This is the counterpart of python-osc's `osc_types`: padded strings,
//! blobs, big-endian integers and floats, and time tags. Readers take a
//! cursor (`&mut &[u8]`) and advance it past what they read, checking every
//! length against the bytes that remain first, so malformed input gives an
//! [`Error`] and never a panic. Writers append to a `Vec<u8>`.
//!
//! ```
//! use osc_serde::wire;
//!
//! let mut buf = Vec::new();
//! wire::write_str(&mut buf, "osc")?;
//! wire::write_i32(&mut buf, 1000);
//! assert_eq!(buf, b"osc\0\x00\x00\x03\xe8");
//!
//! let mut cursor = &buf[..];
//! assert_eq!(wire::read_str(&mut cursor)?, "osc");
//! assert_eq!(wire::read_i32(&mut cursor)?, 1000);
//! assert!(cursor.is_empty());
//!
//! // An OSC string cannot carry a NUL: the receiver would stop at it.
//! assert!(matches!(wire::write_str(&mut buf, "a\0b"), Err(osc_serde::Error::NulInString(_))));
//! # Ok::<(), osc_serde::Error>(())
//! ```

#[cfg(feature = "alloc")]
use alloc::vec::Vec;

use crate::error::{count, Detail, Error, Result, Unsupported};
use crate::output::Output;
use crate::timetag::TimeTag;

/// `n` rounded up to the next multiple of 4, the OSC alignment.
#[inline]
pub const fn padded(n: usize) -> usize {
    (n + 3) & !3
}

/// Encoded size of `s` as an OSC string: the bytes, a NUL, padding to 4.
#[inline]
pub const fn str_size(s: &str) -> usize {
    padded(s.len() + 1)
}

/// Encoded size of a blob of `len` bytes: the int32 size, the bytes, padding.
#[inline]
pub const fn blob_size(len: usize) -> usize {
    4 + padded(len)
}

/// Appends `s` NUL-terminated and padded with NULs to a multiple of 4.
///
/// # Errors
/// [`Error::NulInString`] if `s` contains a NUL, which an OSC string
/// cannot carry (the receiver would stop at the first NUL); `out` is then
/// unchanged.
#[cfg(feature = "alloc")]
#[inline]
pub fn write_str(out: &mut Vec<u8>, s: &str) -> Result<()> {
    put_str(out, s)
}

/// Appends `bytes` and zero padding to a multiple of 4. The padding is a
/// fixed 4-byte store cut to size, where a variable-length fill was a call
/// to `memset`.
#[inline]
fn put_padded<O: Output>(out: &mut O, bytes: &[u8]) -> Result<()> {
    out.extend(bytes)?;
    out.extend_cut(&[0u8; 4], padded(bytes.len()) - bytes.len())
}

/// Refuses strings with an interior NUL, which OSC strings cannot carry.
#[inline]
pub fn check_str(s: &str) -> Result<()> {
    if find_nul(s.as_bytes()).is_some() {
        Err(nul_in_str(s))
    } else {
        Ok(())
    }
}

/// The error for a string with a NUL, built out of line so that the checks
/// inlined into encoders stay small.
#[cold]
#[inline(never)]
fn nul_in_str(s: &str) -> Error {
    Error::NulInString(Detail::new(s))
}

/// [`check_str`] and the write in one, into any output (what
/// [`write_str`] does for a `Vec`). Strings under 16 bytes, the
/// usual addresses and string arguments, take a fast path: two overlapping
/// words cover the string (its first and last 8 or 4 bytes, or its bytes one
/// by one under 4). They are tested for NUL and combined, in registers, into
/// the 16 bytes of string and zeros that are appended with one fixed-size
/// store and cut to the padded size. This replaces a scan of the string, a
/// call to `memcpy` and the padding. (The block is not assembled in memory:
/// reading it back whole after writing it in parts stalls the store
/// forwarding and cost more time than the instructions it saved.)
///
/// Always inlined (the long-string path is not): it is a few instructions,
/// and a call costs as much as the work, which the bench binaries, with
/// their many callers, did not always inline.
#[inline(always)]
pub(crate) fn put_str<O: Output>(out: &mut O, s: &str) -> Result<()> {
    let bytes = s.as_bytes();
    let n = bytes.len();
    if n >= 16 {
        return put_long_str(out, s);
    }
    // In little-endian order byte i of the string is byte i of `block`;
    // `tail` holds bytes n-8..n (or n-4..n), shifted down to drop the bytes
    // that `head` already has.
    let (block, zeros) = if let (Some(head), Some(tail)) = (bytes.first_chunk(), bytes.last_chunk())
    {
        let (head, tail) = (u64::from_le_bytes(*head), u64::from_le_bytes(*tail));
        let high = (u128::from(tail) >> (8 * (16 - n))) << 64;
        (
            u128::from(head) | high,
            zero_bytes64(head) | zero_bytes64(tail),
        )
    } else if let (Some(head), Some(tail)) = (bytes.first_chunk(), bytes.last_chunk()) {
        let (head, tail) = (u32::from_le_bytes(*head), u32::from_le_bytes(*tail));
        let high = (u64::from(tail) >> (8 * (8 - n))) << 32;
        let zeros = zero_bytes(head) | zero_bytes(tail);
        (u128::from(u64::from(head) | high), u64::from(zeros))
    } else {
        // Under 4 bytes; the test sees the padding as 0xff, not as NUL.
        let (word, test) = match *bytes {
            [a, b, c, ..] => ([a, b, c, 0], [a, b, c, 0xff]),
            [a, b] => ([a, b, 0, 0], [a, b, 0xff, 0xff]),
            [a] => ([a, 0, 0, 0], [a, 0xff, 0xff, 0xff]),
            [] => ([0; 4], [0xff; 4]),
        };
        let zeros = zero_bytes(u32::from_le_bytes(test));
        (u128::from(u32::from_le_bytes(word)), u64::from(zeros))
    };
    if zeros != 0 {
        return Err(nul_in_str(s));
    }
    out.extend_cut(&block.to_le_bytes(), padded(n + 1))
}

/// The slow path of [`put_str`], kept out of line.
#[inline(never)]
fn put_long_str<O: Output>(out: &mut O, s: &str) -> Result<()> {
    check_str(s)?;
    put_padded(out, s.as_bytes())?;
    // The NUL terminator, when the string's length is a multiple of 4.
    if s.len() % 4 == 0 {
        out.extend(&[0; 4])?;
    }
    Ok(())
}

/// Nonzero exactly when some byte of `w` is zero; in little-endian order
/// the lowest set bit marks the first zero byte (the classic word test).
#[inline]
const fn zero_bytes(w: u32) -> u32 {
    w.wrapping_sub(0x0101_0101) & !w & 0x8080_8080
}

/// [`zero_bytes`] on 8 bytes.
#[inline]
const fn zero_bytes64(w: u64) -> u64 {
    w.wrapping_sub(0x0101_0101_0101_0101) & !w & 0x8080_8080_8080_8080
}

/// Appends a blob: int32 size, the bytes, NUL padding to a multiple of 4.
///
/// # Errors
/// A blob longer than `i32::MAX` bytes has no OSC encoding.
#[cfg(feature = "alloc")]
#[inline]
pub fn write_blob(out: &mut Vec<u8>, bytes: &[u8]) -> Result<()> {
    put_blob(out, bytes)
}

/// [`write_blob`] into any output.
#[inline]
pub(crate) fn put_blob<O: Output>(out: &mut O, bytes: &[u8]) -> Result<()> {
    let len = i32::try_from(bytes.len()).map_err(|_| Error::Unsupported(Unsupported::HugeBlob))?;
    out.extend(&len.to_be_bytes())?;
    put_padded(out, bytes)
}

/// Appends a big-endian int32.
#[cfg(feature = "alloc")]
#[inline]
pub fn write_i32(out: &mut Vec<u8>, v: i32) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Appends a big-endian uint32 (the layout of `r`, `m` and `c`).
#[cfg(feature = "alloc")]
#[inline]
pub fn write_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Appends a big-endian int64.
#[cfg(feature = "alloc")]
#[inline]
pub fn write_i64(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Appends a big-endian IEEE 754 float32.
#[cfg(feature = "alloc")]
#[inline]
pub fn write_f32(out: &mut Vec<u8>, v: f32) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Appends a big-endian IEEE 754 float64.
#[cfg(feature = "alloc")]
#[inline]
pub fn write_f64(out: &mut Vec<u8>, v: f64) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Appends a 64-bit NTP time tag.
#[cfg(feature = "alloc")]
#[inline]
pub fn write_timetag(out: &mut Vec<u8>, t: TimeTag) {
    out.extend_from_slice(&t.to_bits().to_be_bytes());
}

/// Takes `n` bytes off the cursor.
#[inline]
pub fn take<'a>(input: &mut &'a [u8], n: usize) -> Result<&'a [u8]> {
    if input.len() < n {
        return Err(Error::end(n, input.len()));
    }
    let (head, tail) = input.split_at(n);
    *input = tail;
    Ok(head)
}

#[inline]
fn take4(input: &mut &[u8]) -> Result<[u8; 4]> {
    let (head, rest) = input
        .split_first_chunk::<4>()
        .ok_or_else(|| Error::end(4, input.len()))?;
    *input = rest;
    Ok(*head)
}

#[inline]
fn take8(input: &mut &[u8]) -> Result<[u8; 8]> {
    let (head, rest) = input
        .split_first_chunk::<8>()
        .ok_or_else(|| Error::end(8, input.len()))?;
    *input = rest;
    Ok(*head)
}

/// Reads an OSC string's raw bytes (without NUL) and skips its padding.
///
/// The padding bytes must be present but their values are not checked:
/// some senders leave garbage there and nothing is gained by refusing it.
#[inline]
pub fn read_str_bytes<'a>(input: &mut &'a [u8]) -> Result<&'a [u8]> {
    // Not `ok_or`: building the error eagerly costs a drop on every call.
    let Some(nul) = find_nul(input) else {
        return Err(Error::UnterminatedString);
    };
    let size = padded(nul + 1);
    let bytes = take(input, size)?;
    Ok(&bytes[..nul])
}

/// Position of the first NUL in `bytes`. OSC strings are short and padded
/// to 4, so this looks at 4 bytes at a time (the classic "has a zero byte"
/// word test) rather than one: the per-byte loop was the largest cost of
/// parsing a small message.
#[inline]
fn find_nul(bytes: &[u8]) -> Option<usize> {
    let mut words = bytes.chunks_exact(4);
    let mut offset = 0;
    for word in &mut words {
        let zero = zero_bytes(u32::from_le_bytes([word[0], word[1], word[2], word[3]]));
        if zero != 0 {
            return Some(offset + zero.trailing_zeros() as usize / 8);
        }
        offset += 4;
    }
    let tail = words.remainder();
    tail.iter().position(|&b| b == 0).map(|i| offset + i)
}

/// Reads an OSC string (UTF-8, NUL-terminated, padded to 4).
#[inline]
pub fn read_str<'a>(input: &mut &'a [u8]) -> Result<&'a str> {
    core::str::from_utf8(read_str_bytes(input)?).map_err(|_| Error::InvalidUtf8)
}

/// Reads a blob: int32 size, the bytes, padding. The size is checked
/// against the remaining input before anything else, so a blob that claims
/// 2 GiB in a 100-byte packet is an error, not an allocation.
#[inline]
pub fn read_blob<'a>(input: &mut &'a [u8]) -> Result<&'a [u8]> {
    let len = read_i32(input)?;
    let size = usize::try_from(len)
        .ok()
        .filter(|&n| padded(n) <= input.len())
        .ok_or_else(|| Error::BadLength {
            length: len,
            remaining: count(input.len()),
        })?;
    Ok(&take(input, padded(size))?[..size])
}

/// Reads a big-endian int32.
#[inline]
pub fn read_i32(input: &mut &[u8]) -> Result<i32> {
    take4(input).map(i32::from_be_bytes)
}

/// Reads a big-endian uint32.
#[inline]
pub fn read_u32(input: &mut &[u8]) -> Result<u32> {
    take4(input).map(u32::from_be_bytes)
}

/// Reads a big-endian int64.
#[inline]
pub fn read_i64(input: &mut &[u8]) -> Result<i64> {
    take8(input).map(i64::from_be_bytes)
}

/// Reads a big-endian float32.
#[inline]
pub fn read_f32(input: &mut &[u8]) -> Result<f32> {
    take4(input).map(f32::from_be_bytes)
}

/// Reads a big-endian float64.
#[inline]
pub fn read_f64(input: &mut &[u8]) -> Result<f64> {
    take8(input).map(f64::from_be_bytes)
}

/// Reads a 64-bit NTP time tag.
#[inline]
pub fn read_timetag(input: &mut &[u8]) -> Result<TimeTag> {
    take8(input).map(|b| TimeTag::from_bits(u64::from_be_bytes(b)))
}

#[cfg(feature = "std")]
/// Converts a system time to NTP time-tag bits (python-osc's
/// `system_time_to_ntp`). See [`TimeTag::from_system_time`] for rounding.
pub fn system_time_to_ntp(time: std::time::SystemTime) -> u64 {
    TimeTag::from_system_time(time).to_bits()
}

#[cfg(feature = "std")]
/// Converts NTP time-tag bits to a system time (python-osc's
/// `ntp_to_system_time`). See [`TimeTag::to_system_time`] for rounding.
pub fn ntp_to_system_time(bits: u64) -> std::time::SystemTime {
    TimeTag::from_bits(bits).to_system_time()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_padding_sizes() {
        for (s, size) in [("", 4), ("a", 4), ("abc", 4), ("abcd", 8), ("abcde", 8)] {
            let mut out = Vec::new();
            write_str(&mut out, s).unwrap();
            assert_eq!(out.len(), size, "{s:?}");
            assert_eq!(str_size(s), size);
            let mut cur = &out[..];
            assert_eq!(read_str(&mut cur).unwrap(), s);
            assert!(cur.is_empty());
        }
    }

    /// The fused writer against `check_str` then `write_str`: every length
    /// either side of the fast path's bounds, with no NUL and with one at
    /// every position, after a prefix that must stay.
    #[test]
    fn write_checked_str_matches_check_then_write() {
        for len in 0..=20usize {
            let plain: String = (0..len).map(|i| char::from(b'a' + i as u8)).collect();
            let mut with_nul: Vec<String> = (0..len)
                .map(|at| {
                    let mut b = plain.clone().into_bytes();
                    b[at] = 0;
                    String::from_utf8(b).unwrap()
                })
                .collect();
            with_nul.push(plain);
            for s in &with_nul {
                let mut fused = b"pre".to_vec();
                let r = write_str(&mut fused, s);
                let mut reference = b"pre".to_vec();
                match check_str(s) {
                    Ok(()) => {
                        reference.extend_from_slice(s.as_bytes());
                        reference.resize(3 + str_size(s), 0);
                        assert!(r.is_ok(), "{s:?}");
                        assert_eq!(fused, reference, "{s:?}");
                        assert_eq!(fused.len(), 3 + str_size(s));
                    }
                    Err(e) => {
                        assert!(matches!(e, Error::NulInString(_)));
                        assert_eq!(r.unwrap_err().to_string(), e.to_string(), "{s:?}");
                    }
                }
            }
        }
        // Bytes at 0x80 and above next to the padding must not look like NUL.
        let mut out = Vec::new();
        write_str(&mut out, "\u{80}\u{ff}é").unwrap();
        assert_eq!(out, "\u{80}\u{ff}é\0\0".as_bytes());
    }

    #[test]
    fn find_nul_matches_a_byte_scan() {
        let mut bytes = [1u8; 11];
        assert_eq!(find_nul(&bytes), None);
        // Fillers next to a zero byte that can fool the word test, and a
        // second zero that must not be reported instead of the first.
        for fill in [0x01, 0x80, 0xff] {
            for len in 0..=bytes.len() {
                for nul in 0..len {
                    bytes = [fill; 11];
                    bytes[nul] = 0;
                    if nul + 2 < len {
                        bytes[nul + 2] = 0;
                    }
                    assert_eq!(find_nul(&bytes[..len]), Some(nul), "{fill} {len} {nul}");
                }
            }
        }
        assert_eq!(find_nul(b"\x01\x01\x01\x01\x01\x00"), Some(5));
        assert_eq!(find_nul(b"\xff\x80\x01\x00"), Some(3));
    }

    #[test]
    fn blob_layout() {
        let mut out = Vec::new();
        write_blob(&mut out, &[1, 2, 3, 4, 5]).unwrap();
        assert_eq!(out, [0, 0, 0, 5, 1, 2, 3, 4, 5, 0, 0, 0]);
        let mut cur = &out[..];
        assert_eq!(read_blob(&mut cur).unwrap(), &[1, 2, 3, 4, 5]);
        assert!(cur.is_empty());
    }

    #[test]
    fn blob_claiming_more_than_input_is_an_error() {
        let mut cur: &[u8] = &[0x7f, 0xff, 0xff, 0xff, 1, 2, 3, 4];
        assert!(matches!(
            read_blob(&mut cur),
            Err(Error::BadLength {
                length: 2147483647,
                remaining: 4
            })
        ));
        let mut cur: &[u8] = &[0xff, 0xff, 0xff, 0xff];
        assert!(matches!(
            read_blob(&mut cur),
            Err(Error::BadLength { length: -1, .. })
        ));
    }

    #[test]
    fn short_reads_are_errors() {
        let mut cur: &[u8] = &[1, 2, 3];
        assert!(matches!(
            read_i32(&mut cur),
            Err(Error::UnexpectedEnd {
                needed: 4,
                remaining: 3
            })
        ));
        let mut cur: &[u8] = b"abc";
        assert!(matches!(read_str(&mut cur), Err(Error::UnterminatedString)));
        let mut cur: &[u8] = b"abc\0de";
        assert_eq!(read_str(&mut cur).unwrap(), "abc");
        let mut cur: &[u8] = b"abcd\0";
        assert!(matches!(
            read_str(&mut cur),
            Err(Error::UnexpectedEnd { .. })
        ));
        let mut cur: &[u8] = b"\xff\0\0\0";
        assert!(matches!(read_str(&mut cur), Err(Error::InvalidUtf8)));
    }
}
