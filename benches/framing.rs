//! Stream framing on its own, no sockets: decoding a stream of 1,000
//! frames fed in 4 KiB chunks, and encoding packets into frames, for both
//! framings, with frames assembled in a `Vec` or in a caller's buffer.
//!
//! Run with `cargo bench --bench framing` (add `-- --warm-up-time 1
//! --measurement-time 3` for a quick look). Packets: the 3-argument
//! `/synth/1/freq` message (28 bytes, no byte SLIP must escape) and a
//! message with a 1 KiB blob of every byte value (8 of them escaped per
//! 256 bytes by SLIP).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use osc_serde::framing::{FrameDecoder, Framing, StreamDecoder};
use osc_serde::Blob;

const FRAMES: usize = 1000;

fn packets() -> [(&'static str, Vec<u8>); 2] {
    let small =
        osc_serde::to_vec_with_address("/synth/1/freq", &(440, 0.5f32, "sine")).expect("encodes");
    let bytes: Vec<u8> = (0..1024).map(|i| i as u8).collect();
    let blob = osc_serde::to_vec_with_address("/blob", &(Blob(bytes),)).expect("encodes");
    [("3 args", small), ("1 KiB blob", blob)]
}

/// Feeds `stream` in 4 KiB chunks; returns the bytes of the frames.
fn drain(decoder: &mut impl StreamDecoder, stream: &[u8]) -> usize {
    let mut total = 0;
    for chunk in stream.chunks(4096) {
        let mut input = chunk;
        while decoder.feed(&mut input).expect("valid stream") {
            total += decoder.frame().len();
        }
    }
    total
}

fn decode(c: &mut Criterion) {
    for (name, packet) in packets() {
        let mut group = c.benchmark_group(format!("decode {FRAMES} frames/{name}"));
        group.throughput(Throughput::Elements(FRAMES as u64));
        for framing in [Framing::Length, Framing::Slip] {
            let mut stream = Vec::new();
            for _ in 0..FRAMES {
                framing.encode(&packet, &mut stream).expect("encodes");
            }
            let want = FRAMES * packet.len();
            group.bench_function(format!("{framing:?}/vec"), |b| {
                let mut decoder = FrameDecoder::detect(64 * 1024);
                b.iter(|| assert_eq!(drain(&mut decoder, black_box(&stream)), want))
            });
            group.bench_function(format!("{framing:?}/caller buffer"), |b| {
                let mut storage = vec![0; 64 * 1024];
                let mut decoder = FrameDecoder::with_storage(None, &mut storage[..]);
                b.iter(|| assert_eq!(drain(&mut decoder, black_box(&stream)), want))
            });
        }
        group.finish();
    }
}

fn encode(c: &mut Criterion) {
    for (name, packet) in packets() {
        let mut group = c.benchmark_group(format!("encode/{name}"));
        group.throughput(Throughput::Elements(1));
        for framing in [Framing::Length, Framing::Slip] {
            group.bench_function(format!("{framing:?}/vec"), |b| {
                let mut out = Vec::with_capacity(4096);
                b.iter(|| {
                    out.clear();
                    framing
                        .encode(black_box(&packet), &mut out)
                        .expect("encodes");
                    out.len()
                })
            });
            group.bench_function(format!("{framing:?}/slice"), |b| {
                let mut out = vec![0; 4096];
                b.iter(|| {
                    framing
                        .encode_to_slice(black_box(&packet), &mut out)
                        .expect("fits")
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, decode, encode);
criterion_main!(benches);
