//! Address validation and the pattern table: every wildcard, ranges,
//! negation, alternatives, `//`, edge cases and invalid patterns.

use osc_serde::address::{is_pattern, validate_address, MAX_PART_STATES};
use osc_serde::{Error, Pattern};

/// (pattern, address, expected match)
const TABLE: &[(&str, &str, bool)] = &[
    // literal
    ("/a/b", "/a/b", true),
    ("/a/b", "/a/bc", false),
    ("/a/b", "/a", false),
    ("/a", "/a/b", false),
    ("/a/b", "a/b", false),
    // ?
    ("/a?c", "/abc", true),
    ("/a?c", "/ac", false),
    ("/a?c", "/abbc", false),
    ("/a?", "/a/", false),
    ("/???", "/aé€", true),
    ("/??", "/aé€", false),
    // *
    ("/*", "/anything", true),
    ("/*", "/", true),
    ("/*", "/a/b", false),
    ("/a/*", "/a/b", true),
    ("/a/*", "/a/b/c", false),
    ("/*/c", "/a/c", true),
    ("/*b", "/ab", true),
    ("/*b", "/b", true),
    ("/*b", "/ba", false),
    ("/b*", "/ba", true),
    ("/b*", "/ab", false),
    ("/*b*", "/abc", true),
    ("/a*b*c", "/abbbc", true),
    ("/a*b*c", "/acb", false),
    ("/a**b", "/axyb", true),
    ("/*a*a*a*a*a*b", "/aaaaab", true),
    ("/*a*a*a*a*a*b", "/aaaaa", false),
    // [abc]
    ("/[abc]", "/b", true),
    ("/[abc]", "/d", false),
    ("/[abc]", "/ab", false),
    ("/x[abc]y", "/xcy", true),
    // ranges
    ("/[a-c]", "/b", true),
    ("/[a-c]", "/d", false),
    ("/[0-9][0-9]", "/42", true),
    ("/[0-9][0-9]", "/4x", false),
    ("/[a-cx-z]", "/y", true),
    ("/[a-cx-z]", "/m", false),
    // literal '-' at a bracket edge
    ("/[-a]", "/-", true),
    ("/[-a]", "/a", true),
    ("/[-a]", "/b", false),
    ("/[a-]", "/-", true),
    ("/[a-]", "/a", true),
    ("/[a-]", "/b", false),
    ("/[!-]", "/-", false),
    ("/[!-]", "/x", true),
    // negation
    ("/[!abc]", "/d", true),
    ("/[!abc]", "/a", false),
    ("/[!a-c]", "/b", false),
    ("/[!a-c]", "/z", true),
    // '!' not first is literal
    ("/[a!]", "/!", true),
    ("/[a!]", "/a", true),
    ("/[a!]", "/b", false),
    // alternatives
    ("/{foo,bar}", "/foo", true),
    ("/{foo,bar}", "/bar", true),
    ("/{foo,bar}", "/baz", false),
    ("/{foo,bar}", "/foobar", false),
    ("/x{a,ab}c", "/xabc", true),
    ("/x{a,ab}c", "/xac", true),
    ("/x{a,ab}c", "/xbc", false),
    ("/{a,b}{c,d}", "/bd", true),
    ("/{a,b}*", "/bzz", true),
    ("/*{a,b}", "/zzb", true),
    ("/*{a,b}", "/zzc", false),
    ("/{single}", "/single", true),
    // empty alternatives
    ("/s{,s}", "/s", true),
    ("/s{,s}", "/ss", true),
    ("/s{,s}", "/sss", false),
    ("/{,}", "/", true),
    ("/{,}", "/a", false),
    ("/{}x", "/x", true),
    // `//`: any number of levels, none included
    ("//b", "/b", true),
    ("//b", "/a/b", true),
    ("//b", "/a/x/b", true),
    ("//b", "/a/b/c", false),
    ("/a//b", "/a/b", true),
    ("/a//b", "/a/x/y/b", true),
    ("/a//b", "/x/a/b", false),
    ("/a//b/c", "/a/b/b/c", true),
    ("/a//b/c", "/a/b/c/c", false),
    ("//b//d", "/a/b/c/d", true),
    ("//b//d", "/b/d", true),
    ("//b//d", "/d/b", false),
    ("//*/c", "/a/b/c", true),
    ("//[0-9]", "/a/b/7", true),
    ("//[0-9]", "/a/7/b", false),
    ("/a//*", "/a/x/y", true),
    ("/a//*", "/a", false),
];

#[test]
fn pattern_table() {
    let mut failures = Vec::new();
    for &(pattern, address, expected) in TABLE {
        let compiled = Pattern::new(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
        if compiled.matches(address) != expected {
            failures.push((pattern, address, expected));
        }
        if osc_serde::address::matches(pattern, address).unwrap() != expected {
            failures.push((pattern, address, expected));
        }
    }
    assert_eq!(failures, []);
}

#[test]
fn invalid_patterns_are_errors() {
    let cases: &[(&str, &str)] = &[
        ("", "it does not start with '/'"),
        ("a/b", "it does not start with '/'"),
        ("/a/[bc", "unclosed '['"),
        ("/a/{b,c", "unclosed '{'"),
        ("/a/[b/c]", "unclosed '['"),
        ("/a/{b/c}", "unclosed '{'"),
        ("/a]", "']' without '['"),
        ("/a}", "'}' without '{'"),
        ("/[]", "empty '[]'"),
        ("/[!]", "empty '[]'"),
        ("/[z-a]", "reversed range in '[]'"),
        ("/{a,{b}}", "nested '{'"),
        ("/{a*,b}", "wildcards inside '{}' are not supported"),
        ("/a,b", "',' outside '{}'"),
        ("/a b", "space or '#' in a pattern"),
        ("/a#", "space or '#' in a pattern"),
        ("/a/", "empty last part (a trailing '/' or '//')"),
        ("/a//", "empty last part (a trailing '/' or '//')"),
        ("/", "empty last part (a trailing '/' or '//')"),
        ("/a///b", "three or more '/' in a row"),
    ];
    for &(pattern, reason) in cases {
        let direct = osc_serde::address::matches(pattern, "/a");
        assert!(
            matches!(&direct, Err(Error::InvalidPattern { reason: r, .. }) if r.as_str() == reason),
            "{pattern:?}: {direct:?}"
        );
        match Pattern::new(pattern) {
            Err(Error::InvalidPattern {
                pattern: p,
                reason: r,
            }) => {
                assert_eq!((p.text(), r.as_str()), (Some(pattern), reason))
            }
            other => panic!("{pattern:?}: expected InvalidPattern, got {other:?}"),
        }
    }
}

#[test]
fn part_state_limit() {
    let at_limit = format!("/*{}", "a".repeat(MAX_PART_STATES - 1));
    assert!(Pattern::new(&at_limit).is_ok());
    let over = format!("/*{}", "a".repeat(MAX_PART_STATES));
    assert!(matches!(
        Pattern::new(&over),
        Err(Error::InvalidPattern { .. })
    ));
    // A long part without wildcards is not limited.
    let literal = format!("/x/{}", "a".repeat(10_000));
    assert!(Pattern::new(&literal).unwrap().matches(&literal));
    // The same limit for the text matcher.
    assert!(osc_serde::address::matches(&at_limit, &format!("/{}", "a".repeat(300))).unwrap());
    assert!(matches!(
        osc_serde::address::matches(&over, "/a"),
        Err(Error::InvalidPattern { .. })
    ));
    assert!(osc_serde::address::matches(&literal, &literal).unwrap());
}

#[test]
fn pathological_patterns_finish() {
    // Exponential with naive backtracking; here one pass over the part.
    let pattern = Pattern::new("/*a*a*a*a*a*a*a*a*b").unwrap();
    let long = format!("/{}", "a".repeat(100_000));
    assert!(!pattern.matches(&long));
    let deep = Pattern::new("//a//a//a//a//a//b").unwrap();
    let levels = "/a".repeat(2_000);
    assert!(!deep.matches(&levels));
    assert!(deep.matches(&format!("{levels}/b")));
    // The same from the text.
    assert!(!osc_serde::address::matches("/*a*a*a*a*a*a*a*a*b", &long).unwrap());
    assert!(!osc_serde::address::matches("//a//a//a//a//a//b", &levels).unwrap());
}

#[test]
fn pattern_accessors() {
    let p: Pattern = "/a/{b,c}".parse().unwrap();
    assert_eq!(p.as_str(), "/a/{b,c}");
    assert_eq!(p.to_string(), "/a/{b,c}");
    assert!(!p.is_literal());
    assert!(Pattern::new("/a/b").unwrap().is_literal());
    assert_eq!(p, Pattern::new("/a/{b,c}").unwrap());
}

#[test]
fn address_validation() {
    for ok in ["/a", "/a/b/c", "/synth/1/freq", "/é/ü", "/a-b_c.d!"] {
        assert!(validate_address(ok).is_ok(), "{ok}");
    }
    let cases: &[(&str, &str)] = &[
        ("", "it does not start with '/'"),
        ("a", "it does not start with '/'"),
        ("/", "empty method name (\"//\", or a trailing '/')"),
        ("/a/", "empty method name (\"//\", or a trailing '/')"),
        ("/a//b", "empty method name (\"//\", or a trailing '/')"),
        (
            "/a b",
            "a method name may not contain space # * , / ? [ ] { }",
        ),
        (
            "/a#",
            "a method name may not contain space # * , / ? [ ] { }",
        ),
        (
            "/a*",
            "a method name may not contain space # * , / ? [ ] { }",
        ),
        (
            "/a,",
            "a method name may not contain space # * , / ? [ ] { }",
        ),
        (
            "/a?",
            "a method name may not contain space # * , / ? [ ] { }",
        ),
        (
            "/[a]",
            "a method name may not contain space # * , / ? [ ] { }",
        ),
        (
            "/{a}",
            "a method name may not contain space # * , / ? [ ] { }",
        ),
    ];
    for &(address, reason) in cases {
        match validate_address(address) {
            Err(Error::InvalidAddress {
                address: a,
                reason: r,
            }) => {
                assert_eq!((a.text(), r.as_str()), (Some(address), reason))
            }
            other => panic!("{address:?}: expected InvalidAddress, got {other:?}"),
        }
    }
}

#[test]
fn pattern_detection() {
    for p in ["/a?", "/a*", "/[a]", "/{a}", "//a", "/a//b", "/a]"] {
        assert!(is_pattern(p), "{p}");
    }
    for a in ["/a", "/a/b", "/a!-"] {
        assert!(!is_pattern(a), "{a}");
    }
}

/// A deliberately naive matcher, shared with the `pattern` fuzz target.
#[path = "fuzz/naive_pattern.rs"]
mod naive;

mod agrees_with_naive {
    use super::naive;
    use osc_serde::Pattern;
    use proptest::prelude::*;

    fn pattern() -> impl Strategy<Value = String> {
        let token = prop::sample::select(vec![
            "a", "b", "ab", "?", "*", "[ab]", "[!a]", "[a-b]", "[-b]", "{a,ab,}", "{b,ba}",
        ]);
        let part = prop::collection::vec(token, 1..4).prop_map(|t| t.concat());
        let separator = prop::sample::select(vec!["/", "/", "//"]);
        (
            separator.clone(),
            part.clone(),
            prop::collection::vec((separator, part), 0..3),
        )
            .prop_map(|(first, head, rest)| {
                let mut p = format!("{first}{head}");
                for (sep, part) in rest {
                    p.push_str(sep);
                    p.push_str(&part);
                }
                p
            })
    }

    fn address() -> impl Strategy<Value = String> {
        prop::collection::vec("[ab-]{0,4}", 1..5).prop_map(|parts| format!("/{}", parts.join("/")))
    }

    proptest! {
        #[test]
        fn compiled_matches_naive(p in pattern(), a in address()) {
            let compiled = Pattern::new(&p).unwrap();
            prop_assert_eq!(compiled.matches(&a), naive::matches(&p, &a), "{} vs {}", p, a);
        }

        /// `address::matches` (from the text, no allocator) answers as
        /// the compiled pattern does.
        #[test]
        fn text_matches_compiled(p in pattern(), a in address()) {
            let compiled = Pattern::new(&p).unwrap();
            prop_assert_eq!(osc_serde::address::matches(&p, &a).unwrap(), compiled.matches(&a), "{} vs {}", p, a);
        }
    }
}

mod never_panics {
    use osc_serde::Pattern;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn on_any_pattern_or_address(
            pattern in "/[a-c/*?\\[\\]{},!\\-é ]{0,12}",
            address in "/[a-c/é\\-]{0,12}",
        ) {
            // Valid or not, the text matcher agrees with the compiled
            // pattern: the same answer, or the same error.
            let direct = osc_serde::address::matches(&pattern, &address);
            match Pattern::new(&pattern) {
                Ok(p) => prop_assert_eq!(direct.unwrap(), p.matches(&address)),
                Err(e) => prop_assert_eq!(format!("{:?}", direct.unwrap_err()), format!("{e:?}")),
            }
        }
    }
}
