//! SLIP encoder and incremental decoder: exact bytes, every chunking,
//! single- and double-END streams, bad escapes, oversized frames.

use osc_serde::slip::{self, Decoder, END, ESC, ESC_END, ESC_ESC};
use osc_serde::Error;

mod common;
use common::{decode_chunks as run, ChunkDecoder, Got};

impl ChunkDecoder for Decoder {
    fn next_frame(&mut self, input: &mut &[u8]) -> Result<Option<Vec<u8>>, String> {
        self.decode(input)
            .map(|frame| frame.map(<[u8]>::to_vec))
            .map_err(|e| e.to_string())
    }

    fn goes_on_after_error(&self) -> bool {
        true // the next END starts a new frame
    }
}

fn frames(list: &[&[u8]]) -> Got {
    list.iter().map(|f| Ok(f.to_vec())).collect()
}

#[test]
fn encode_escapes_end_and_esc() {
    assert_eq!(slip::encode(b""), [END, END]);
    assert_eq!(slip::encode(b"abc"), b"\xc0abc\xc0");
    assert_eq!(
        slip::encode(&[1, END, 2, ESC, END, ESC]),
        [END, 1, ESC, ESC_END, 2, ESC, ESC_ESC, ESC, ESC_END, ESC, ESC_ESC, END]
    );
}

#[test]
fn decode_one_frame() {
    assert_eq!(slip::decode(b"\xc0abc\xc0").unwrap(), b"abc");
    assert_eq!(slip::decode(b"abc\xc0").unwrap(), b"abc");
    assert_eq!(slip::decode(b"abc").unwrap(), b"abc");
    assert_eq!(slip::decode(b"\xc0\xc0abc\xc0\xc0").unwrap(), b"abc");
    assert_eq!(slip::decode(b"\xdb\xdc\xdb\xdd").unwrap(), [END, ESC]);
    assert_eq!(slip::decode(b"").unwrap(), b"");
    assert!(matches!(
        slip::decode(b"a\xdb\x01b"),
        Err(Error::InvalidSlipEscape(0x01))
    ));
    assert!(matches!(
        slip::decode(b"a\xdb"),
        Err(Error::UnexpectedEnd {
            needed: 1,
            remaining: 0
        })
    ));
    assert!(matches!(
        slip::decode(b"\xc0a\xc0bc\xc0"),
        Err(Error::TrailingBytes(2))
    ));
}

#[test]
fn round_trip_of_every_byte() {
    let packet: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
    assert_eq!(slip::decode(&slip::encode(&packet)).unwrap(), packet);
}

/// A stream of three double-END frames with escapes in them.
fn sample_stream() -> (Vec<u8>, Vec<Vec<u8>>) {
    let packets = vec![
        b"/a\0\0,i\0\0\0\0\0\x01".to_vec(),
        vec![END, ESC, 7, END],
        vec![9; 40],
    ];
    let mut stream = Vec::new();
    for p in &packets {
        slip::encode_into(p, &mut stream);
    }
    (stream, packets)
}

#[test]
fn every_split_point_and_byte_by_byte() {
    let (stream, packets) = sample_stream();
    let want: Got = packets.iter().map(|p| Ok(p.clone())).collect();
    for a in 0..=stream.len() {
        for b in a..=stream.len() {
            let mut d = Decoder::new(1024);
            let chunks = [&stream[..a], &stream[a..b], &stream[b..]];
            assert_eq!(run(&mut d, &chunks), want, "splits at {a} and {b}");
            assert_eq!(d.buffered(), 0);
        }
    }
    let mut d = Decoder::new(1024);
    let bytes: Vec<&[u8]> = stream.chunks(1).collect();
    assert_eq!(run(&mut d, &bytes), want);
}

#[test]
fn many_frames_in_one_read() {
    let mut stream = Vec::new();
    for i in 0..100u8 {
        slip::encode_into(&[i, END, i], &mut stream);
    }
    let mut d = Decoder::new(16);
    let got = run(&mut d, &[&stream]);
    let want: Got = (0..100u8).map(|i| Ok(vec![i, END, i])).collect();
    assert_eq!(got, want);
}

#[test]
fn single_end_streams_and_missing_leading_end() {
    let mut d = Decoder::new(64);
    assert_eq!(
        run(&mut d, &[b"ab\xc0cd\xc0ef\xc0"]),
        frames(&[b"ab", b"cd", b"ef"])
    );
    let mut d = Decoder::new(64);
    assert_eq!(
        run(&mut d, &[b"\xc0ab\xc0\xc0\xc0\xc0cd\xc0"]),
        frames(&[b"ab", b"cd"])
    );
    // A frame without its closing END stays pending.
    let mut d = Decoder::new(64);
    assert_eq!(run(&mut d, &[b"\xc0ab"]), frames(&[]));
    assert_eq!(d.buffered(), 2);
    assert_eq!(d.frame(), b"");
    assert!(d.feed(&mut &b"c\xc0"[..]).unwrap());
    assert_eq!(d.frame(), b"abc");
    assert_eq!(d.buffered(), 0);
}

#[test]
fn bad_escape_drops_that_frame_only() {
    let mut d = Decoder::new(64);
    let got = run(&mut d, &[b"\xc0ok\xc0\xc0x\xdb\x41yz\xc0\xc0next\xc0"]);
    assert_eq!(
        got,
        vec![
            Ok(b"ok".to_vec()),
            Err("invalid SLIP escape sequence 0xDB 0x41".into()),
            Ok(b"next".to_vec())
        ]
    );
    // ESC then END: an error, and the END still ends that frame.
    let mut d = Decoder::new(64);
    let got = run(&mut d, &[b"x\xdb", b"\xc0next\xc0"]);
    assert_eq!(
        got,
        vec![
            Err("invalid SLIP escape sequence 0xDB 0xC0".into()),
            Ok(b"next".to_vec())
        ]
    );
}

#[test]
fn oversized_frame_is_refused_with_bounded_memory() {
    let mut d = Decoder::new(8);
    let got = run(
        &mut d,
        &[b"\xc0123456789", b"abcdef", b"\xc0\xc012345678\xc0"],
    );
    assert_eq!(
        got,
        vec![
            Err("frame of 9 bytes exceeds the maximum of 8".into()),
            Ok(b"12345678".to_vec())
        ]
    );
    // A decoded escape counts as one byte.
    let mut d = Decoder::new(2);
    assert!(matches!(
        d.decode(&mut &b"ab\xdb\xdc"[..]),
        Err(Error::FrameTooLarge { size: 3, max: 2 })
    ));
}
