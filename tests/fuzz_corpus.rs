//! Runs the fuzz checks (tests/fuzz/checks.rs) on every committed seed in
//! tests/fuzz/corpus/, so the properties the fuzzers hunt for are also checked by
//! a plain `cargo test`, without nightly flags or libFuzzer.

#[path = "fuzz/checks.rs"]
mod checks;

mod common;

use std::path::{Path, PathBuf};

/// All seeds of all targets: each check runs on every seed, since any
/// input is a valid input for any target.
fn all_seeds() -> Vec<(PathBuf, Vec<u8>)> {
    ["decode_packet", "from_slice_typed", "roundtrip"]
        .iter()
        .flat_map(|t| common::fuzz_seeds(t))
        .collect()
}

fn run(check: fn(&[u8])) {
    common::check_seeds(&all_seeds(), check, 30);
}

#[test]
fn decode_packet_seeds() {
    run(checks::check_decode_packet);
}

#[test]
fn from_slice_typed_seeds() {
    run(checks::check_from_slice_typed);
}

#[test]
fn roundtrip_seeds() {
    run(checks::check_roundtrip);
}

/// The seeds are not all rejected: the corpus holds valid messages and
/// bundles of every kind, so the checks above exercise the success paths.
#[test]
fn corpus_has_valid_packets_of_every_tag() {
    let mut tags = std::collections::BTreeSet::new();
    let mut bundles = 0;
    for (_, bytes) in all_seeds() {
        match osc_serde::Packet::from_bytes(&bytes) {
            Ok(osc_serde::Packet::Message(m)) => tags.extend(m.type_tags().chars()),
            Ok(osc_serde::Packet::Bundle(_)) => bundles += 1,
            Err(_) => {}
        }
    }
    let all: std::collections::BTreeSet<char> = "ifsbhtdScrmTFNI[]".chars().collect();
    assert_eq!(tags, all);
    assert!(bundles >= 3, "only {bundles} valid bundles");
}

/// The typed seeds reach the success paths of the typed decoders, so the
/// typed round trips in `check_from_slice_typed` are really exercised.
#[test]
fn typed_seeds_decode() {
    let seed = |name: &str| {
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fuzz/corpus/from_slice_typed")
                .join(name),
        )
        .expect("seed")
    };
    let freq = seed("freq");
    assert!(osc_serde::from_slice::<checks::Freq>(&freq).is_ok());
    assert!(osc_serde::from_slice::<checks::Command>(&freq).is_ok());
    for name in ["mix", "mix_trailing_none"] {
        let mix = seed(name);
        assert!(
            osc_serde::from_slice::<checks::Mixed>(&mix).is_ok(),
            "{name}"
        );
        assert!(
            osc_serde::from_slice::<checks::Command>(&mix).is_ok(),
            "{name}"
        );
    }
    for name in ["name", "stop", "pair", "pair_char", "freq_widened"] {
        let bytes = seed(name);
        assert!(
            osc_serde::from_slice::<checks::Command>(&bytes).is_ok(),
            "{name}"
        );
    }
    for name in ["tuple_arrays", "tuple_none"] {
        let bytes = seed(name);
        let r = osc_serde::from_slice::<(i32, Option<f32>, Vec<Vec<i64>>)>(&bytes);
        assert!(r.is_ok(), "{name}: {r:?}");
    }
    for name in ["freq_wrong_type", "freq_truncated", "stop_with_args"] {
        let bytes = seed(name);
        assert!(
            osc_serde::from_slice::<checks::Command>(&bytes).is_err(),
            "{name}"
        );
    }
}
