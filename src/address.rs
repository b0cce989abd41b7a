//! OSC addresses and address patterns.
//!
//! An *address* is `/`-separated method names (`/synth/1/freq`); a method
//! name excludes space, `# * , / ? [ ] { }`. An *address pattern* may also
//! use the OSC wildcards, each confined to one part (they never match a
//! `/`):
//!
//! | syntax | matches |
//! | --- | --- |
//! | `?` | any one character |
//! | `*` | any run of characters, empty included |
//! | `[abc]`, `[a-z]` | one character of the set or range; a `-` first or last is literal |
//! | `[!abc]` | one character not in the set (`!` elsewhere is literal) |
//! | `{foo,bar}` | one of the literal alternatives (empty alternatives allowed) |
//! | `//` | OSC 1.1: any number of whole levels, none included |
//!
//! A [`Pattern`] is compiled once and then matched without allocating;
//! [`matches()`] matches a pattern from its text, with no allocator at all.
//! Each part is matched by simulating its automaton over a set of states
//! (a bit set on the stack), so every character is looked at once:
//! there is no backtracking, and `/*a*a*a*a*a*b` against a long part
//! costs time linear in the part. `//` is matched over whole parts with
//! the classic single-backtrack-point glob algorithm, so it is
//! linear-ish in the number of levels too.

use crate::error::{AddressProblem, Detail, Error, Result};

/// Characters that may not appear in a method name of an address.
const RESERVED: &[char] = &[' ', '#', '*', ',', '/', '?', '[', ']', '{', '}'];

/// The most automaton states (characters, wildcards and alternative
/// characters) one part of a pattern may compile to: the state set is a
/// fixed-size bit set so that matching allocates nothing. A longer part is
/// refused by [`Pattern::new`] and [`matches()`]; literal parts (no
/// wildcards) have no limit.
pub const MAX_PART_STATES: usize = STATE_BITS - 1;

const STATE_WORDS: usize = 4;
const STATE_BITS: usize = STATE_WORDS * 64;

/// Checks that `address` is a valid OSC address (not a pattern): it starts
/// with `/`, and every part is a non-empty method name without reserved
/// characters.
///
/// ```
/// use osc_serde::address::validate_address;
/// assert!(validate_address("/synth/1/freq").is_ok());
/// assert!(validate_address("/synth/*").is_err());
/// assert!(validate_address("synth").is_err());
/// ```
pub fn validate_address(address: &str) -> Result<()> {
    let invalid = |reason| Error::InvalidAddress {
        reason,
        address: Detail::new(address),
    };
    let rest = address
        .strip_prefix('/')
        .ok_or_else(|| invalid(AddressProblem::NoLeadingSlash))?;
    for part in rest.split('/') {
        if part.is_empty() {
            return Err(invalid(AddressProblem::EmptyMethodName));
        }
        if part.contains(RESERVED) {
            return Err(invalid(AddressProblem::ReservedCharacter));
        }
    }
    Ok(())
}

/// Whether `address` uses pattern syntax (`? * [ ] { }` or `//`), so that
/// it must be compiled and matched rather than compared.
///
/// ```
/// use osc_serde::address::is_pattern;
/// assert!(is_pattern("/synth/*/freq"));
/// assert!(is_pattern("//freq"));
/// assert!(!is_pattern("/synth/1/freq"));
/// ```
pub fn is_pattern(address: &str) -> bool {
    address
        .bytes()
        .any(|b| matches!(b, b'?' | b'*' | b'[' | b']' | b'{' | b'}'))
        || address.contains("//")
}

mod levels;
mod matcher;
#[cfg(feature = "alloc")]
mod pattern;
mod syntax;

#[cfg(feature = "std")]
pub(crate) use levels::split_part;
pub use matcher::matches;
#[cfg(feature = "alloc")]
pub use pattern::Pattern;
#[cfg(feature = "std")]
pub(crate) use pattern::{PartPattern, Segment};
