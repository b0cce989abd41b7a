//! [`matches()`]: an address pattern matched against an address from its
//! text, with no compiling and no allocator (for `no_std` firmware, and for
//! a pattern used once).
//!
//! Each part runs the same position automaton a [`Pattern`](super::Pattern)
//! compiles (state `k` is "about to match atom `k`"), with the follow sets
//! worked out from the text when a state fires instead of looked up: the
//! only table is the atoms' byte offsets (1 KiB on the stack). The state set
//! is the same fixed bit set, so a part costs time linear in the address
//! part times the live states, and never backtracks.

use super::levels::{match_levels, split_part, Level, Levels};
use super::syntax::{class_matches, read_levels, Piece, Pieces};
use super::{MAX_PART_STATES, STATE_WORDS};
use crate::error::{AddressProblem, Result};

/// Whether `address` matches the OSC address `pattern`, which is checked
/// first, with the rules and errors of [`Pattern::new`](super::Pattern::new)
/// ([`Error::InvalidPattern`](crate::Error::InvalidPattern)). Allocates nothing; where one pattern is
/// matched against many addresses, a compiled
/// [`Pattern`](super::Pattern) (with an allocator) is faster.
///
/// ```
/// use osc_serde::address::matches;
///
/// assert!(matches("/synth/[0-9]/{freq,gain}", "/synth/1/freq")?);
/// assert!(!matches("/synth/*", "/synth/1/freq")?);
/// assert!(matches("/synth//freq", "/synth/1/freq")?);
/// assert!(matches("/synth/[0-9", "/synth/1").is_err());
/// # Ok::<(), osc_serde::Error>(())
/// ```
pub fn matches(pattern: &str, address: &str) -> Result<bool> {
    let levels = TextLevels::new(pattern)?;
    Ok(match address.strip_prefix('/') {
        Some(rest) => match_levels(&levels, rest),
        None => false,
    })
}

/// A checked pattern's levels, read from its text: a position is the byte
/// offset of a part after the leading `/` (an empty part is a `//`).
struct TextLevels<'p> {
    rest: &'p str,
}

impl<'p> TextLevels<'p> {
    /// Checks `pattern` as [`Pattern::new`](super::Pattern::new) does.
    fn new(pattern: &'p str) -> Result<Self> {
        let rest = read_levels(pattern, |level| level.map_or(Ok(()), check_part))?;
        Ok(TextLevels { rest })
    }
}

impl Levels for TextLevels<'_> {
    fn level(&self, at: usize) -> Option<(Level, usize)> {
        let part = split_part(self.rest.get(at..)?).0;
        let kind = if part.is_empty() {
            Level::AnyLevels
        } else {
            Level::Part
        };
        Some((kind, at + part.len() + 1))
    }

    fn part_matches(&self, at: usize, part: &str) -> bool {
        let glob = split_part(&self.rest[at..]).0;
        match Atoms::of(glob) {
            None => glob == part,
            Some(atoms) => atoms.run(part),
        }
    }
}

/// Checks one non-empty part: its syntax, then (if it has wildcards) its
/// number of states.
fn check_part(part: &str) -> core::result::Result<(), AddressProblem> {
    for piece in Pieces::new(part) {
        piece?;
    }
    match Atoms::of(part) {
        Some(atoms) if atoms.len > MAX_PART_STATES => Err(AddressProblem::TooManyStates),
        _ => Ok(()),
    }
}

type States = [u64; STATE_WORDS];

/// The atoms of a checked part with wildcards: where each starts. A run of
/// `*` is one atom, as in a compiled pattern; a group's alternatives give
/// one atom per character.
struct Atoms<'p> {
    part: &'p str,
    /// Byte offsets, ascending; only the first `MAX_PART_STATES` are kept,
    /// and `len` counts them all.
    offsets: [u32; MAX_PART_STATES],
    len: usize,
}

impl<'p> Atoms<'p> {
    /// The atoms of `part`, or `None` if it has no wildcards (it is then
    /// compared as a string).
    fn of(part: &'p str) -> Option<Self> {
        if !part.contains(['?', '*', '[', '{']) {
            return None;
        }
        let mut atoms = Atoms {
            part,
            offsets: [0; MAX_PART_STATES],
            len: 0,
        };
        let mut previous_star = false;
        for (at, piece) in Pieces::new(part).map_while(core::result::Result::ok) {
            match piece {
                Piece::Star if previous_star => {}
                Piece::Alternatives(inner) => {
                    for (i, _) in inner.char_indices().filter(|&(_, c)| c != ',') {
                        atoms.push(at + 1 + i);
                    }
                }
                _ => atoms.push(at),
            }
            previous_star = piece == Piece::Star;
        }
        Some(atoms)
    }

    fn push(&mut self, at: usize) {
        if let Some(slot) = self.offsets.get_mut(self.len) {
            *slot = at as u32;
        }
        self.len += 1;
    }

    /// The state of the atom at byte `at`.
    fn state_at(&self, at: usize) -> usize {
        self.offsets[..self.len]
            .binary_search(&(at as u32))
            .unwrap_or_else(|next| next)
    }

    /// Adds to `states` those live on arriving at the piece boundary `at`,
    /// empty moves taken (past a `*`, through an empty alternative).
    fn enter(&self, states: &mut States, mut at: usize) {
        loop {
            let Some(Ok((_, piece))) = Pieces::from(self.part, at).next() else {
                // The end of the part: the accepting state.
                set(states, self.len);
                return;
            };
            match piece {
                Piece::Star => {
                    set(states, self.state_at(at));
                    at += self.part[at..].bytes().take_while(|&b| b == b'*').count();
                }
                Piece::Alternatives(inner) => {
                    let mut empty = false;
                    let mut first = at + 1;
                    for alternative in inner.split(',') {
                        if alternative.is_empty() {
                            empty = true;
                        } else {
                            set(states, self.state_at(first));
                        }
                        first += alternative.len() + 1;
                    }
                    if !empty {
                        return;
                    }
                    at += inner.len() + 2;
                }
                _ => {
                    set(states, self.state_at(at));
                    return;
                }
            }
        }
    }

    /// If the atom `state` matches `c`, adds the states that follow it.
    fn step(&self, state: usize, c: char, next: &mut States) {
        let at = self.offsets[state] as usize;
        let mut pieces = Pieces::from(self.part, at);
        let Some(Ok((_, piece))) = pieces.next() else {
            return;
        };
        let end = match piece {
            Piece::Char(x) if x != c => return,
            Piece::Class { body, negated } if !class_matches(body, negated, c) => return,
            Piece::Star => {
                // A `*` stays, or moves past its run.
                set(next, state);
                at + self.part[at..].bytes().take_while(|&b| b == b'*').count()
            }
            _ => pieces.offset(),
        };
        let end = match self.part.as_bytes().get(end) {
            // The last character of an alternative: on after its group.
            Some(b',' | b'}') => end + self.part[end..].find('}').unwrap_or(0) + 1,
            _ => end,
        };
        self.enter(next, end);
    }

    /// Runs the automaton over `part` of an address.
    fn run(&self, part: &str) -> bool {
        let mut live = [0; STATE_WORDS];
        self.enter(&mut live, 0);
        for c in part.chars() {
            let mut next = [0; STATE_WORDS];
            for (w, &word) in live.iter().enumerate() {
                let mut bits = word;
                while bits != 0 {
                    let state = w * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    if state < self.len {
                        self.step(state, c, &mut next);
                    }
                }
            }
            if next == [0; STATE_WORDS] {
                return false;
            }
            live = next;
        }
        live[self.len / 64] & (1 << (self.len % 64)) != 0
    }
}

fn set(states: &mut States, state: usize) {
    states[state / 64] |= 1 << (state % 64);
}
