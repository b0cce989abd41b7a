//! The properties of the tokio-util codecs (cargo feature `tokio`), checked
//! without a runtime: `Decoder` and `Encoder` are synchronous, so the
//! check feeds `BytesMut` chunks the way `Framed` does. Shared by the
//! cargo-fuzz target fuzz/fuzz_targets/tokio_codec.rs and by `cargo test
//! --features tokio` (tests/fuzz_corpus_tokio.rs). The module needs
//! `checks_server` (for `decode_events`) declared next to it.
#![allow(dead_code)]

use osc_serde::framing::{FrameDecoder, Framing};
use osc_serde::tokio::{FrameCodec, OscCodec};
use osc_serde::{Error, Packet};
use tokio_util::bytes::BytesMut;
use tokio_util::codec::{Decoder, Encoder};

use crate::checks_server::{decode_events, stream_mode, Event};

/// What a codec gave for a stream: its items, then how the stream ended
/// (`None`: cleanly, at end of input).
type Decoded<T> = (Vec<T>, Option<Event>);

/// Drives `codec` as `Framed` does: each chunk is appended to the read
/// buffer, then `decode` is called until it wants more; at the end of
/// input `decode_eof` until it says the stream is done. The first error
/// ends the stream (`Framed` yields it and stops).
fn drive<C: Decoder<Error = Error>>(
    codec: &mut C,
    chunks: impl IntoIterator<Item = impl AsRef<[u8]>>,
) -> Decoded<C::Item> {
    let mut buf = BytesMut::new();
    let mut items = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk.as_ref());
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(item)) => items.push(item),
                Ok(None) => break,
                Err(e) => return (items, Some(event(e))),
            }
        }
    }
    loop {
        match codec.decode_eof(&mut buf) {
            Ok(Some(item)) => items.push(item),
            Ok(None) => return (items, None),
            Err(e) => return (items, Some(event(e))),
        }
    }
}

/// An error as `decode_events` reports it; an unfinished frame at end of
/// input (an `io::Error`) as `Event::Other("eof")`.
fn event(error: Error) -> Event {
    match error {
        Error::FrameTooLarge { max, .. } => Event::TooLarge { max },
        Error::Io(_) => Event::Other("eof".into()),
        other => Event::Other(other.to_string()),
    }
}

/// The tokio codecs: over any stream in any chunking, `FrameCodec` yields
/// the frames the crate's `FrameDecoder` yields, up to the same first
/// error; at end of input it fails exactly when a frame is unfinished;
/// `OscCodec` yields the packets of those frames (failing at the first
/// frame that is not one); and frames and packets the codecs encode
/// decode back to themselves.
///
/// Input layout: byte 0 picks the framing (low 2 bits as in
/// `check_stream_framing`) and a small frame limit (bits 2..=6: 1..=63
/// bytes; bit 7: the default 64 KiB); byte 1 is a chunk size (0: one
/// byte at a time); the rest is the stream.
pub fn check_tokio_codec(data: &[u8]) {
    let [mode, chunk, stream @ ..] = data else {
        return;
    };
    let (framing, max_frame) = stream_mode(*mode);
    let codec = || {
        match framing {
            Some(f) => FrameCodec::new(f),
            None => FrameCodec::detect(),
        }
        .with_max_frame(max_frame)
    };
    let chunks = || stream.chunks(usize::from(*chunk).max(1));

    // The shared decoder, up to its first error.
    let events = decode_events(
        &mut FrameDecoder::new(framing, max_frame),
        chunks(),
        max_frame,
    );
    let first_error = events.iter().position(|e| !matches!(e, Event::Frame(_)));
    let expected: Vec<Vec<u8>> = events[..first_error.unwrap_or(events.len())]
        .iter()
        .filter_map(|e| match e {
            Event::Frame(f) => Some(f.clone()),
            _ => None,
        })
        .collect();

    let mut frame_codec = codec();
    let (frames, end) = drive(&mut frame_codec, chunks());
    let frames: Vec<Vec<u8>> = frames.iter().map(|f| f.to_vec()).collect();
    assert_eq!(frames, expected, "FrameCodec and FrameDecoder differ");
    match (first_error, &end) {
        (Some(i), Some(e)) => assert_eq!(&events[i], e),
        (Some(i), None) => panic!("FrameCodec missed {:?}", events[i]),
        (None, Some(Event::Other(eof))) if eof == "eof" => {
            // The stream ended inside a frame: the decoder holds a part.
            let mut decoder = FrameDecoder::new(framing, max_frame);
            decode_events(&mut decoder, [stream], max_frame);
            assert_ne!(
                osc_serde::framing::StreamDecoder::buffered(&decoder),
                0,
                "end of stream refused after a whole frame"
            );
        }
        (None, Some(e)) => panic!("FrameCodec failed with {e:?} where FrameDecoder did not"),
        (None, None) => {
            let mut decoder = FrameDecoder::new(framing, max_frame);
            decode_events(&mut decoder, [stream], max_frame);
            assert_eq!(
                osc_serde::framing::StreamDecoder::buffered(&decoder),
                0,
                "a stream ending inside a frame went unreported"
            );
        }
    }

    // OscCodec: the packets of the same frames, up to the first that is
    // not a packet.
    let mut osc_codec = match framing {
        Some(f) => OscCodec::new(f),
        None => OscCodec::detect(),
    }
    .with_max_frame(max_frame);
    let (packets, _) = drive(&mut osc_codec, chunks());
    let valid: Vec<Packet> = expected
        .iter()
        .map_while(|f| Packet::from_bytes(f).ok())
        .collect();
    // Compared through their encodings, so that NaN equals itself.
    let encode = |p: &Packet| p.to_bytes().expect("a decoded packet encodes");
    assert_eq!(
        packets.iter().map(encode).collect::<Vec<_>>(),
        valid.iter().map(encode).collect::<Vec<_>>(),
        "OscCodec and Packet::from_bytes differ"
    );
    assert_eq!(osc_codec.framing(), frame_codec.framing());

    // What the codecs encode decodes back, in the framing they use (the
    // detected one, or SLIP before anything was seen).
    let used = frame_codec.framing();
    let mut out = BytesMut::new();
    for frame in &frames {
        frame_codec
            .encode(&frame[..], &mut out)
            .expect("a frame encodes");
    }
    let mut sent = Vec::new();
    for packet in &valid {
        osc_codec
            .encode(packet, &mut out)
            .expect("a packet encodes");
        sent.push(encode(packet));
    }
    let mut reader = FrameCodec::new(used.unwrap_or_default()).with_max_frame(usize::MAX);
    let (again, end) = drive(&mut reader, [&out[..]]);
    assert_eq!(end, None, "the codec's own encoding fails to decode");
    let again: Vec<Vec<u8>> = again.iter().map(|f| f.to_vec()).collect();
    // An empty frame cannot be sent in SLIP (END END is no frame).
    let slip = used.unwrap_or_default() == Framing::Slip;
    let want: Vec<Vec<u8>> = frames
        .into_iter()
        .chain(sent)
        .filter(|f| !(slip && f.is_empty()))
        .collect();
    assert_eq!(again, want, "encoded frames do not decode back");
}
