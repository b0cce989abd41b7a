//! osc-serde against rosc, side by side in one run: decode and encode of a
//! 3-argument message, a 10-message bundle and a message with a 1 KiB blob,
//! and the encode of a message with an array of 1,000 ints.
//!
//! Run with `cargo bench --bench codec` (add `-- --warm-up-time 1
//! --measurement-time 3` for a quick look). Each group holds both crates,
//! so ratios are read from the same run:
//! - `ours/typed`: `from_slice` into a borrowed derived struct (decode), or
//!   `encode_into` of that struct into a reused `Vec` (encode);
//! - `ours/to_slice`: the same struct encoded into a fixed `&mut [u8]`
//!   (what no_std firmware uses);
//! - `ours/packet`: `Packet::from_bytes` (owned, dynamic) or
//!   `Message`/`Packet::encode_into` into a reused `Vec`;
//! - `ours/packet_ref`: `PacketRef` (borrowed), every argument read;
//! - `rosc/decode_udp`, `rosc/encode` (new `Vec` each time) and
//!   `rosc/encode_into` (reused `Vec`).
//!
//! The group `message/owned` times the owned [`Message`]'s serde bridges,
//! which rosc has no counterpart of: `decode_args` of the 3-argument
//! message into an owned struct and `from_value` of that struct.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use osc_serde::{Bundle, Message, MessageRef, Packet, PacketRef, TimeTag, ValueRef};
use rosc::{OscBundle, OscMessage, OscPacket, OscTime, OscType};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename = "/synth/1/freq")]
struct Freq<'a> {
    hz: i32,
    amp: f32,
    wave: &'a str,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename = "/blob")]
struct BlobMsg<'a> {
    #[serde(with = "serde_bytes")]
    data: &'a [u8],
}

const FREQ: Freq<'static> = Freq {
    hz: 440,
    amp: 0.5,
    wave: "sine",
};

fn blob_data() -> Vec<u8> {
    (0..1024).map(|i| i as u8).collect()
}

fn freq_message() -> Message {
    Message::new("/synth/1/freq")
        .arg(440)
        .arg(0.5f32)
        .arg("sine")
}

fn rosc_freq() -> OscMessage {
    OscMessage {
        addr: "/synth/1/freq".into(),
        args: vec![
            OscType::Int(440),
            OscType::Float(0.5),
            OscType::String("sine".into()),
        ],
    }
}

fn bundle() -> Bundle {
    let mut b = Bundle::new(TimeTag::IMMEDIATE);
    for _ in 0..10 {
        b.push(freq_message());
    }
    b
}

fn rosc_bundle() -> OscPacket {
    OscPacket::Bundle(OscBundle {
        timetag: OscTime::from((0, 1)),
        content: (0..10).map(|_| OscPacket::Message(rosc_freq())).collect(),
    })
}

/// Reads every argument of every element: what a receiver of a borrowed
/// packet does at the least.
fn walk(packet: PacketRef<'_>) -> usize {
    match packet {
        PacketRef::Message(m) => m.args().map(|a| usize::from(a.is_ok())).sum(),
        PacketRef::Bundle(b) => b.elements().map(|e| e.map_or(0, walk)).sum(),
    }
}

type Group<'a> = BenchmarkGroup<'a, criterion::measurement::WallTime>;

/// `typed` is generic (not a `fn` pointer or `dyn Fn`) so that it is called
/// directly and inlined, as rosc's functions are.
fn decode_benches(g: &mut Group<'_>, bytes: &[u8], typed: impl Fn(&[u8]) -> usize) {
    // Same bytes for both crates; check they agree before timing.
    let ours = Packet::from_bytes(bytes).expect("ours decodes");
    let (_, theirs) = rosc::decoder::decode_udp(bytes).expect("rosc decodes");
    assert_eq!(
        ours.to_bytes().unwrap(),
        rosc::encoder::encode(&theirs).unwrap()
    );
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("ours/typed", |b| b.iter(|| typed(black_box(bytes))));
    g.bench_function("ours/packet", |b| {
        b.iter(|| Packet::from_bytes(black_box(bytes)).unwrap())
    });
    g.bench_function("ours/packet_ref", |b| {
        b.iter(|| walk(PacketRef::from_bytes(black_box(bytes)).unwrap()))
    });
    g.bench_function("rosc/decode_udp", |b| {
        b.iter(|| rosc::decoder::decode_udp(black_box(bytes)).unwrap())
    });
}

/// Our typed `encode_into` of `value` into a reused buffer, and
/// `to_slice` into a fixed one.
fn typed_encode_bench<T: Serialize>(g: &mut Group<'_>, expected: &[u8], value: &T) {
    let mut buf = Vec::with_capacity(2 * expected.len());
    osc_serde::encode_into(&mut buf, value).unwrap();
    assert_eq!(buf, expected);
    g.throughput(Throughput::Bytes(expected.len() as u64));
    g.bench_function("ours/typed", |b| {
        b.iter(|| {
            buf.clear();
            osc_serde::encode_into(&mut buf, black_box(value)).unwrap();
        })
    });
    // The same serializer into a caller's slice, as no_std firmware
    // encodes (issue 11's target: at least as fast as the reused Vec).
    let mut slice = vec![0u8; 2 * expected.len()];
    let n = osc_serde::to_slice(&mut slice, value).unwrap();
    assert_eq!(&slice[..n], expected);
    g.bench_function("ours/to_slice", |b| {
        b.iter(|| osc_serde::to_slice(&mut slice, black_box(value)).unwrap())
    });
}

fn encode_benches(g: &mut Group<'_>, expected: &[u8], ours: &Packet, theirs: &OscPacket) {
    let mut buf = Vec::with_capacity(2 * expected.len());
    g.throughput(Throughput::Bytes(expected.len() as u64));
    ours.encode_into(&mut buf).unwrap();
    assert_eq!(buf, expected);
    g.bench_function("ours/packet", |b| {
        b.iter(|| {
            buf.clear();
            black_box(ours).encode_into(&mut buf).unwrap();
        })
    });
    buf.clear();
    rosc::encoder::encode_into(theirs, &mut buf).unwrap();
    assert_eq!(buf, expected);
    g.bench_function("rosc/encode_into", |b| {
        b.iter(|| {
            buf.clear();
            rosc::encoder::encode_into(black_box(theirs), &mut buf).unwrap();
        })
    });
    g.bench_function("rosc/encode", |b| {
        b.iter(|| rosc::encoder::encode(black_box(theirs)).unwrap())
    });
}

fn message(c: &mut Criterion) {
    let bytes = osc_serde::to_vec(&FREQ).unwrap();
    let mut g = c.benchmark_group("decode/message_3_args");
    decode_benches(&mut g, &bytes, |bytes| {
        let f: Freq = osc_serde::from_slice(bytes).unwrap();
        f.wave.len()
    });
    g.finish();

    let mut g = c.benchmark_group("encode/message_3_args");
    typed_encode_bench(&mut g, &bytes, &FREQ);
    encode_benches(
        &mut g,
        &bytes,
        &Packet::Message(freq_message()),
        &OscPacket::Message(rosc_freq()),
    );
    g.finish();
}

fn bundle_of_ten(c: &mut Criterion) {
    let ours = Packet::Bundle(bundle());
    let bytes = ours.to_bytes().unwrap();
    let mut g = c.benchmark_group("decode/bundle_10_messages");
    decode_benches(&mut g, &bytes, |bytes| {
        let PacketRef::Bundle(b) = PacketRef::from_bytes(bytes).unwrap() else {
            unreachable!()
        };
        b.elements()
            .map(|e| match e.unwrap() {
                PacketRef::Message(m) => m.deserialize::<Freq>().unwrap().wave.len(),
                PacketRef::Bundle(_) => 0,
            })
            .sum()
    });
    g.finish();

    let mut g = c.benchmark_group("encode/bundle_10_messages");
    encode_benches(&mut g, &bytes, &ours, &rosc_bundle());
    g.finish();
}

fn blob_1k(c: &mut Criterion) {
    let data = blob_data();
    let value = BlobMsg { data: &data };
    let bytes = osc_serde::to_vec(&value).unwrap();
    let mut g = c.benchmark_group("decode/message_1k_blob");
    decode_benches(&mut g, &bytes, |bytes| {
        let m: BlobMsg = osc_serde::from_slice(bytes).unwrap();
        m.data.len()
    });
    g.finish();

    let mut g = c.benchmark_group("encode/message_1k_blob");
    typed_encode_bench(&mut g, &bytes, &value);
    encode_benches(
        &mut g,
        &bytes,
        &Packet::Message(Message::new("/blob").arg(osc_serde::Value::Blob(data.clone()))),
        &OscPacket::Message(OscMessage {
            addr: "/blob".into(),
            args: vec![OscType::Blob(data.clone())],
        }),
    );
    g.finish();
}

/// A message whose one argument is an array of 1,000 ints: the tag string
/// outgrows the room the encoder first leaves for it (the `Vec` doubles
/// it; a caller's slice keeps the extra tags at its far end), so the data
/// moves; typed only, with rosc's `encode_into` beside it.
fn array_1000(c: &mut Criterion) {
    let items: Vec<i32> = (0..1000).collect();
    let value = IntArray { items: &items };
    let bytes = osc_serde::to_vec(&value).unwrap();
    let theirs = OscPacket::Message(OscMessage {
        addr: "/array".into(),
        args: vec![OscType::Array(rosc::OscArray {
            content: items.iter().map(|&i| OscType::Int(i)).collect(),
        })],
    });
    let mut g = c.benchmark_group("encode/array_1000_ints");
    typed_encode_bench(&mut g, &bytes, &value);
    let mut buf = Vec::with_capacity(2 * bytes.len());
    rosc::encoder::encode_into(&theirs, &mut buf).unwrap();
    assert_eq!(buf, bytes);
    g.bench_function("rosc/encode_into", |b| {
        b.iter(|| {
            buf.clear();
            rosc::encoder::encode_into(black_box(&theirs), &mut buf).unwrap();
        })
    });
    g.finish();
}

#[derive(Debug, Serialize)]
#[serde(rename = "/array")]
struct IntArray<'a> {
    items: &'a [i32],
}

/// The 3-argument message as an owned struct, for `decode_args`.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct FreqOwned {
    hz: i32,
    amp: f32,
    wave: String,
}

fn owned_message(c: &mut Criterion) {
    let msg = freq_message();
    let typed = FreqOwned {
        hz: 440,
        amp: 0.5,
        wave: "sine".into(),
    };
    assert_eq!(msg.decode_args::<FreqOwned>().unwrap(), typed);
    assert_eq!(Message::from_value("/synth/1/freq", &typed).unwrap(), msg);
    let mut g = c.benchmark_group("message/owned");
    g.bench_function("decode_args", |b| {
        b.iter(|| black_box(&msg).decode_args::<FreqOwned>().unwrap())
    });
    g.bench_function("from_value", |b| {
        b.iter(|| Message::from_value("/synth/1/freq", black_box(&typed)).unwrap())
    });
    g.finish();
}

/// Sanity: the borrowed decode of the 3-argument message sees the values.
fn check_borrowed() {
    let bytes = osc_serde::to_vec(&FREQ).unwrap();
    let m = MessageRef::from_bytes(&bytes).unwrap();
    let args: Vec<ValueRef> = m.args().collect::<Result<_, _>>().unwrap();
    assert_eq!(
        args,
        [
            ValueRef::Int(440),
            ValueRef::Float(0.5),
            ValueRef::String("sine")
        ]
    );
}

fn all(c: &mut Criterion) {
    check_borrowed();
    message(c);
    bundle_of_ten(c);
    blob_1k(c);
    array_1000(c);
    owned_message(c);
}

criterion_group!(benches, all);
criterion_main!(benches);
