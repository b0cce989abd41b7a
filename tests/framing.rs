//! Stream framings: length prefix and SLIP encoders (into a `Vec` and into
//! a slice), the incremental decoder under every chunking, single- and
//! double-END SLIP, bad escapes, detection, caller storage, and the size
//! bound.

use osc_serde::framing::slip::{self, END, ESC, ESC_END, ESC_ESC};
use osc_serde::framing::{FrameDecoder, Framing, StreamDecoder};
use osc_serde::Error;

type Got = Vec<Result<Vec<u8>, String>>;

fn run(decoder: &mut FrameDecoder<Vec<u8>>, chunks: &[&[u8]]) -> Got {
    let mut out = Vec::new();
    for chunk in chunks {
        let mut input = *chunk;
        loop {
            match decoder.decode(&mut input) {
                Ok(Some(frame)) => out.push(Ok(frame.to_vec())),
                Ok(None) => break,
                Err(e) => {
                    out.push(Err(e.to_string()));
                    // A length stream cannot resynchronise: stop as a server would.
                    if decoder.framing() == Some(Framing::Length) {
                        return out;
                    }
                }
            }
        }
    }
    out
}

fn frames(list: &[&[u8]]) -> Got {
    list.iter().map(|f| Ok(f.to_vec())).collect()
}

fn packets() -> Vec<Vec<u8>> {
    vec![
        b"/a\0\0,i\0\0\0\0\0\x01".to_vec(),
        vec![0xC0, 0xDB, 0, 0],
        Vec::new(),
        vec![7; 36],
    ]
}

fn stream(framing: Framing, packets: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in packets {
        framing.encode(p, &mut out).unwrap();
    }
    out
}

#[test]
fn encoders_write_exact_bytes() {
    let mut out = Vec::new();
    Framing::Length.encode(b"abcd", &mut out).unwrap();
    Framing::Length.encode(b"", &mut out).unwrap();
    assert_eq!(out, b"\0\0\0\x04abcd\0\0\0\0");
    out.clear();
    Framing::Slip.encode(b"a\xc0", &mut out).unwrap();
    assert_eq!(out, b"\xc0a\xdb\xdc\xc0");
    assert_eq!(Framing::default(), Framing::Slip);
}

#[test]
fn every_chunking_for_both_framings_and_detection() {
    for framing in [Framing::Length, Framing::Slip] {
        let packets = packets();
        let bytes = stream(framing, &packets);
        // SLIP skips the empty frame; the length prefix yields it.
        let want: Got = packets
            .iter()
            .filter(|p| framing == Framing::Length || !p.is_empty())
            .map(|p| Ok(p.clone()))
            .collect();
        for detect in [false, true] {
            let new = || {
                if detect {
                    FrameDecoder::detect(1024)
                } else {
                    framing.decoder(1024)
                }
            };
            for a in 0..=bytes.len() {
                for b in a..=bytes.len() {
                    let mut d = new();
                    let chunks = [&bytes[..a], &bytes[a..b], &bytes[b..]];
                    assert_eq!(run(&mut d, &chunks), want, "{framing:?} {a} {b}");
                    assert_eq!(d.framing(), Some(framing));
                    assert_eq!(d.buffered(), 0);
                }
            }
            let mut d = new();
            let chunks: Vec<&[u8]> = bytes.chunks(1).collect();
            assert_eq!(run(&mut d, &chunks), want, "{framing:?} byte by byte");
        }
    }
}

#[test]
fn detection_waits_for_the_first_byte() {
    let mut d = FrameDecoder::detect(64);
    assert_eq!(run(&mut d, &[b""]), vec![]);
    assert_eq!(d.framing(), None);
    assert_eq!(run(&mut d, &[b"\xc0ab\xc0"]), vec![Ok(b"ab".to_vec())]);
    assert_eq!(d.framing(), Some(Framing::Slip));
    // A single-END SLIP stream has no leading END: it reads as a length
    // prefix, as in liblo; fixed SLIP framing accepts it.
    let mut d = Framing::Slip.decoder(64);
    assert_eq!(
        run(&mut d, &[b"ab\xc0cd\xc0"]),
        vec![Ok(b"ab".to_vec()), Ok(b"cd".to_vec())]
    );
}

#[test]
fn many_frames_in_one_read() {
    for framing in [Framing::Length, Framing::Slip] {
        let packets: Vec<Vec<u8>> = (0..500u32).map(|i| i.to_be_bytes().to_vec()).collect();
        let bytes = stream(framing, &packets);
        let mut d = FrameDecoder::detect(64);
        let want: Got = packets.into_iter().map(Ok).collect();
        assert_eq!(run(&mut d, &[&bytes]), want);
    }
}

#[test]
fn frames_up_to_the_limit_pass_and_one_more_byte_fails() {
    let max = 300;
    for framing in [Framing::Length, Framing::Slip] {
        for size in 1..=max {
            let p: Vec<u8> = (0..size).map(|i| i as u8).collect();
            let mut d = framing.decoder(max);
            assert_eq!(
                run(&mut d, &[&stream(framing, std::slice::from_ref(&p))]),
                vec![Ok(p)]
            );
        }
        let mut d = framing.decoder(max);
        let got = run(&mut d, &[&stream(framing, &[vec![1; max + 1]])]);
        assert_eq!(
            got[0],
            Err(format!(
                "frame of {} bytes exceeds the maximum of {max}",
                max + 1
            ))
        );
    }
}

#[test]
fn length_prefix_refuses_negative_and_huge_sizes_before_buffering() {
    for (prefix, size) in [
        (*b"\x7f\xff\xff\xff", 0x7fff_ffff),
        (*b"\xff\xff\xff\xfe", 0xffff_fffe),
    ] {
        let mut d = Framing::Length.decoder(64);
        match d.feed(&mut &prefix[..]) {
            Err(Error::FrameTooLarge { size: s, max: 64 }) => assert_eq!(s, size),
            other => panic!("{prefix:?}: {other:?}"),
        }
        assert_eq!(d.buffered(), 0);
    }
    let mut d = Framing::Length.decoder(64);
    let mut input = &b"\0\0\0\x08abc"[..];
    assert!(!d.feed(&mut input).unwrap());
    assert_eq!(d.buffered(), 7);
    assert!(input.is_empty());
}

#[test]
fn bad_slip_escape_on_a_stream() {
    let mut d = FrameDecoder::detect(64);
    assert_eq!(
        run(&mut d, &[b"\xc0a\xdb\x00b\xc0\xc0ok\xc0"]),
        vec![
            Err("invalid SLIP escape sequence 0xDB 0x00".into()),
            Ok(b"ok".to_vec())
        ]
    );
}

#[test]
fn slice_encoders_write_the_vec_encoders_bytes_or_nothing() {
    for framing in [Framing::Length, Framing::Slip] {
        for p in packets() {
            let mut want = Vec::new();
            framing.encode(&p, &mut want).unwrap();
            let mut buf = vec![0xAA; want.len() + 3];
            assert_eq!(framing.encode_to_slice(&p, &mut buf).unwrap(), want.len());
            assert_eq!(buf[..want.len()], want[..], "{framing:?}");
            assert_eq!(
                buf[want.len()..],
                [0xAA; 3],
                "{framing:?} wrote past the frame"
            );

            let mut short = vec![0xAA; want.len() - 1];
            match framing.encode_to_slice(&p, &mut short) {
                Err(Error::BufferTooSmall { capacity }) => {
                    assert_eq!(capacity as usize, want.len() - 1, "{framing:?}")
                }
                other => panic!("{framing:?}: {other:?}"),
            }
            assert!(short.iter().all(|&b| b == 0xAA), "{framing:?} half wrote");

            // Room for the worst case (SLIP: every byte escaped) skips the
            // counting pass; the bytes are the same.
            let mut roomy = vec![0xAA; 2 * p.len() + 6];
            let n = framing.encode_to_slice(&p, &mut roomy).unwrap();
            assert_eq!(roomy[..n], want[..], "{framing:?}");
        }
    }
    // Every byte escaped: exactly the worst case fits.
    let specials = [END, ESC, ESC, END];
    let mut exact = [0; 10];
    assert_eq!(slip::encode_to_slice(&specials, &mut exact).unwrap(), 10);
    assert_eq!(exact[..], slip::encode(&specials)[..]);
    assert!(slip::encode_to_slice(&specials, &mut exact[..9]).is_err());
}

#[test]
fn caller_storage_decodes_like_a_vec_and_bounds_frames_by_its_length() {
    for framing in [Framing::Length, Framing::Slip] {
        let packets = packets();
        let bytes = stream(framing, &packets);
        let mut storage = [0u8; 36];
        let mut fixed = FrameDecoder::with_storage(Some(framing), &mut storage[..]);
        assert_eq!(fixed.max_frame(), 36);
        let mut growing = framing.decoder(36);
        for chunk in bytes.chunks(5) {
            let (mut a, mut b) = (chunk, chunk);
            loop {
                let got = fixed.decode(&mut a).unwrap().map(<[u8]>::to_vec);
                assert_eq!(got, growing.decode(&mut b).unwrap().map(<[u8]>::to_vec));
                assert_eq!(fixed.buffered(), growing.buffered());
                if got.is_none() {
                    break;
                }
            }
        }
        // One byte more than the storage holds is refused, and an array
        // owned by the decoder works the same.
        let mut owned = FrameDecoder::with_storage(Some(framing), [0u8; 36]);
        let too_long = stream(framing, &[vec![1; 37]]);
        assert!(matches!(
            owned.decode(&mut &too_long[..]),
            Err(Error::FrameTooLarge { max: 36, .. })
        ));
        let mut fixed = FrameDecoder::with_storage(Some(Framing::Length), [0u8; 8]);
        assert_eq!(
            fixed.decode(&mut &b"\0\0\0\x08abcdefgh"[..]).unwrap(),
            Some(&b"abcdefgh"[..])
        );
    }
}

#[test]
fn a_vec_decoder_keeps_its_maximum() {
    assert_eq!(FrameDecoder::detect(100).max_frame(), 100);
    assert_eq!(Framing::Length.decoder(7).max_frame(), 7);
    assert_eq!(Framing::Slip.decoder(9).max_frame(), 9);
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

#[test]
fn slip_frames_with_escapes_many_in_one_read() {
    let mut stream = Vec::new();
    for i in 0..100u8 {
        slip::encode_into(&[i, END, i], &mut stream);
    }
    let mut d = Framing::Slip.decoder(16);
    let got = run(&mut d, &[&stream]);
    let want: Got = (0..100u8).map(|i| Ok(vec![i, END, i])).collect();
    assert_eq!(got, want);
}

#[test]
fn single_end_streams_and_missing_leading_end() {
    let mut d = Framing::Slip.decoder(64);
    assert_eq!(
        run(&mut d, &[b"ab\xc0cd\xc0ef\xc0"]),
        frames(&[b"ab", b"cd", b"ef"])
    );
    let mut d = Framing::Slip.decoder(64);
    assert_eq!(
        run(&mut d, &[b"\xc0ab\xc0\xc0\xc0\xc0cd\xc0"]),
        frames(&[b"ab", b"cd"])
    );
    // A frame without its closing END stays pending.
    let mut d = Framing::Slip.decoder(64);
    assert_eq!(run(&mut d, &[b"\xc0ab"]), frames(&[]));
    assert_eq!(d.buffered(), 2);
    assert_eq!(d.frame(), b"");
    assert!(d.feed(&mut &b"c\xc0"[..]).unwrap());
    assert_eq!(d.frame(), b"abc");
    assert_eq!(d.buffered(), 0);
}

#[test]
fn bad_escape_drops_that_frame_only() {
    let mut d = Framing::Slip.decoder(64);
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
    let mut d = Framing::Slip.decoder(64);
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
    let mut d = Framing::Slip.decoder(8);
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
    let mut d = Framing::Slip.decoder(2);
    assert!(matches!(
        d.decode(&mut &b"ab\xdb\xdc"[..]),
        Err(Error::FrameTooLarge { size: 3, max: 2 })
    ));
}

#[test]
fn one_shot_decode_into_a_slice() {
    let mut out = [0u8; 4];
    assert_eq!(
        slip::decode_to_slice(b"\xc0a\xdb\xdcb\xc0", &mut out).unwrap(),
        3
    );
    assert_eq!(&out[..3], b"a\xc0b");
    assert!(matches!(
        slip::decode_to_slice(b"abcde", &mut out),
        Err(Error::BufferTooSmall { capacity: 4 })
    ));
    assert!(matches!(
        slip::decode_to_slice(b"ab\xdb", &mut out),
        Err(Error::UnexpectedEnd { .. })
    ));
    assert!(matches!(
        slip::decode_to_slice(b"a\xc0b\xc0", &mut out),
        Err(Error::TrailingBytes(1))
    ));
    assert_eq!(slip::encoded_len(b"a\xc0\xdb"), 7);
}
