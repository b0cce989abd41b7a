//! Stream framings: length prefix and SLIP encoders, their incremental
//! decoders under every chunking, detection, and the size bound.

use osc_serde::transport::{FrameDecoder, Framing, LengthDecoder};
use osc_serde::Error;

mod common;
use common::{decode_chunks as run, ChunkDecoder, Got};

impl ChunkDecoder for FrameDecoder {
    fn next_frame(&mut self, input: &mut &[u8]) -> Result<Option<Vec<u8>>, String> {
        self.decode(input)
            .map(|frame| frame.map(<[u8]>::to_vec))
            .map_err(|e| e.to_string())
    }

    fn goes_on_after_error(&self) -> bool {
        self.framing() != Some(Framing::Length)
    }
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
    let mut d = LengthDecoder::new(64);
    assert!(matches!(
        d.feed(&mut &b"\x7f\xff\xff\xff"[..]),
        Err(Error::FrameTooLarge {
            size: 0x7fff_ffff,
            max: 64
        })
    ));
    let mut d = LengthDecoder::new(64);
    assert!(matches!(
        d.feed(&mut &b"\xff\xff\xff\xfe"[..]),
        Err(Error::FrameTooLarge {
            size: 0xffff_fffe,
            max: 64
        })
    ));
    let mut d = LengthDecoder::new(64);
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
