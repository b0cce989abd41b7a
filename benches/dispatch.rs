//! Dispatch overhead: decode + dispatch of a message to a typed handler
//! among 10,000 mapped literal addresses, against decoding the same
//! struct alone; the pattern paths (a mapped pattern reached by a literal
//! address, an incoming pattern against the literals); a handler that
//! borrows its `(i32, f32, &str)` against one that owns `(i32, f32,
//! String)`; and pattern matching alone.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use osc_serde::{Dispatcher, Message, Origin, Pattern};
use serde::Deserialize;

#[derive(Deserialize)]
struct Param {
    value: f32,
    step: i32,
    on: bool,
}

fn param_address(i: usize) -> String {
    format!("/bank/{}/param/{}", i / 100, i % 100)
}

fn dispatcher() -> Dispatcher {
    let mut d = Dispatcher::new();
    for i in 0..10_000 {
        d.map(&param_address(i), |p: Param| {
            black_box((p.value, p.step, p.on));
        })
        .unwrap();
    }
    d
}

fn message(address: &str) -> Vec<u8> {
    Message::new(address)
        .arg(0.5f32)
        .arg(3)
        .arg(true)
        .to_bytes()
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let bytes = message(&param_address(4321));
    let origin = Origin::default();
    let mut replies: Vec<(Origin, Vec<u8>)> = Vec::new();

    c.bench_function("decode alone (from_slice)", |b| {
        b.iter(|| {
            let p: Param = osc_serde::from_slice(black_box(&bytes)).unwrap();
            black_box((p.value, p.step, p.on));
        })
    });

    let mut d = dispatcher();
    c.bench_function("decode + dispatch, literal among 10,000", |b| {
        b.iter(|| d.dispatch(black_box(&bytes), origin, &mut replies))
    });

    let mut with_patterns = dispatcher();
    with_patterns
        .map("/bank/*/param/[0-9]", |p: Param| {
            black_box((p.value, p.step, p.on));
        })
        .unwrap();
    let single_digit = message("/bank/43/param/7");
    c.bench_function(
        "decode + dispatch, literal reaching a mapped pattern",
        |b| b.iter(|| with_patterns.dispatch(black_box(&single_digit), origin, &mut replies)),
    );

    let pattern = message("/bank/43/param/2?");
    c.bench_function("decode + dispatch, incoming pattern to 10 of 10,000", |b| {
        b.iter(|| d.dispatch(black_box(&pattern), origin, &mut replies))
    });
    assert!(replies.is_empty());
    assert_eq!(d.error_count(), 0);
}

/// The same `/voice i f s` message to a handler that borrows the string
/// from the packet (`map_ref`) and to one that takes an owned `String`
/// (`map`), side by side.
fn borrowed_vs_owned(c: &mut Criterion) {
    let origin = Origin::default();
    let mut replies: Vec<(Origin, Vec<u8>)> = Vec::new();
    for wave in ["sine", "a wavetable name of some forty bytes....."] {
        let bytes = Message::new("/voice")
            .arg(60)
            .arg(0.5f32)
            .arg(wave)
            .to_bytes()
            .unwrap();
        let mut borrowed = Dispatcher::new();
        borrowed
            .map_ref("/voice", |(note, amp, wave): (i32, f32, &str)| {
                black_box((note, amp, wave));
            })
            .unwrap();
        let mut owned = Dispatcher::new();
        owned
            .map("/voice", |(note, amp, wave): (i32, f32, String)| {
                black_box((note, amp, wave));
            })
            .unwrap();
        let mut group =
            c.benchmark_group(format!("handler (i32, f32, {}-byte string)", wave.len()));
        group.bench_function("borrowed &str (map_ref)", |b| {
            b.iter(|| borrowed.dispatch(black_box(&bytes), origin, &mut replies))
        });
        group.bench_function("owned String (map)", |b| {
            b.iter(|| owned.dispatch(black_box(&bytes), origin, &mut replies))
        });
        group.finish();
        assert_eq!(borrowed.error_count() + owned.error_count(), 0);
    }
    assert!(replies.is_empty());
}

/// Pattern matching alone, including a pattern that backtracking
/// matchers take exponential time on.
fn patterns(c: &mut Criterion) {
    let typical = Pattern::new("/mixer/[0-9]/{gain,pan}").unwrap();
    c.bench_function("Pattern::matches, typical", |b| {
        b.iter(|| typical.matches(black_box("/mixer/7/pan")))
    });
    let pathological = Pattern::new("/*a*a*a*a*a*b").unwrap();
    let long = format!("/{}", "a".repeat(1000));
    c.bench_function("Pattern::matches, /*a*a*a*a*a*b on 1000 a's", |b| {
        b.iter(|| pathological.matches(black_box(&long)))
    });
}

criterion_group!(benches, bench, borrowed_vs_owned, patterns);
criterion_main!(benches);
