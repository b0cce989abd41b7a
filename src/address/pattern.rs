//! [`Pattern`]: an address pattern compiled once into per-part automata,
//! matched without allocating. Compiling needs an allocator (the automata
//! are sized by the pattern), so this module is there with the `alloc`
//! feature; without one, [`matches`](super::matches) runs the same
//! automata from the pattern's text.

use alloc::{boxed::Box, vec, vec::Vec};
use core::fmt;

use super::levels::{match_levels, Level, Levels};
use super::syntax::{class_ranges, read_levels, Piece, Pieces};
use super::{MAX_PART_STATES, STATE_WORDS};
use crate::error::{AddressProblem, Error, Result};

/// A compiled OSC address pattern.
///
/// ```
/// use osc_serde::Pattern;
///
/// let p = Pattern::new("/synth/[0-9]/{freq,gain}")?;
/// assert!(p.matches("/synth/1/freq"));
/// assert!(p.matches("/synth/7/gain"));
/// assert!(!p.matches("/synth/12/freq"));
///
/// // `*` stays within one part; `//` crosses any number of levels.
/// assert!(!Pattern::new("/synth/*")?.matches("/synth/1/freq"));
/// assert!(Pattern::new("/synth//freq")?.matches("/synth/1/freq"));
///
/// assert!(Pattern::new("/synth/[0-9").is_err());
/// # Ok::<(), osc_serde::Error>(())
/// ```
#[derive(Clone)]
pub struct Pattern {
    text: Box<str>,
    segments: Box<[Segment]>,
}

/// One level of a pattern.
#[derive(Debug, Clone)]
pub(crate) enum Segment {
    /// `//`: any number of whole levels.
    AnyLevels,
    /// One part.
    Part(PartPattern),
}

/// The pattern for one part (between two `/`).
#[derive(Debug, Clone)]
pub(crate) enum PartPattern {
    /// No wildcards: compared as a string.
    Literal(Box<str>),
    /// A small automaton: see [`Glob::matches`].
    Glob(Glob),
}

type States = [u64; STATE_WORDS];

/// A part with wildcards, compiled to a position automaton: state `a` is
/// "about to match atom `a`", state `atoms.len()` is "matched the whole
/// part". `follow[a]` is the set of states after atom `a` matched a
/// character, with empty moves (past `*`, empty alternatives) already
/// taken.
#[derive(Debug, Clone)]
pub(crate) struct Glob {
    atoms: Box<[Atom]>,
    follow: Box<[States]>,
    start: States,
    /// How many words of a state set are in use.
    words: usize,
}

/// Matches one character (or, for `Star`, a run of them).
#[derive(Debug, Clone)]
enum Atom {
    Char(char),
    Any,
    Star,
    Class {
        ranges: Box<[(char, char)]>,
        negated: bool,
    },
}

/// One syntactic element of a part, before it is numbered into atoms.
enum Element {
    Atom(Atom),
    Alternatives(Vec<Vec<char>>),
}

impl Pattern {
    /// Compiles a pattern. An address without wildcards is a pattern that
    /// matches itself only.
    ///
    /// Errors ([`Error::InvalidPattern`]): not starting with `/`, an empty
    /// part other than `//`, three or more `/` in a row, a trailing `//`,
    /// an unclosed `[` or `{`, a `/` inside brackets or braces, a `]` or
    /// `}` without its opening, an empty or reversed class (`[]`, `[z-a]`),
    /// wildcards inside `{}`, nested `{`, a space, `#` or a `,` outside
    /// braces, and a part over [`MAX_PART_STATES`] states.
    pub fn new(pattern: &str) -> Result<Pattern> {
        let mut segments = Vec::new();
        read_levels(pattern, |level| {
            segments.push(match level {
                None => Segment::AnyLevels,
                Some(part) => Segment::Part(compile_part(part)?),
            });
            Ok(())
        })?;
        Ok(Pattern {
            text: pattern.into(),
            segments: segments.into(),
        })
    }

    /// Whether `address` matches this pattern. Allocates nothing.
    pub fn matches(&self, address: &str) -> bool {
        match address.strip_prefix('/') {
            Some(rest) => match_levels(&*self.segments, rest),
            None => false,
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the pattern has no wildcards (it matches only itself).
    pub fn is_literal(&self) -> bool {
        self.segments
            .iter()
            .all(|s| matches!(s, Segment::Part(PartPattern::Literal(_))))
    }

    #[cfg(feature = "std")]
    pub(crate) fn segments(&self) -> &[Segment] {
        &self.segments
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pattern").field(&self.text).finish()
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for Pattern {}

impl core::str::FromStr for Pattern {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Pattern::new(s)
    }
}

impl Levels for [Segment] {
    fn level(&self, at: usize) -> Option<(Level, usize)> {
        let level = match self.get(at)? {
            Segment::AnyLevels => Level::AnyLevels,
            Segment::Part(_) => Level::Part,
        };
        Some((level, at + 1))
    }

    fn part_matches(&self, at: usize, part: &str) -> bool {
        matches!(&self[at], Segment::Part(p) if p.matches(part))
    }
}

impl PartPattern {
    /// Whether one part of an address matches.
    pub(crate) fn matches(&self, part: &str) -> bool {
        match self {
            PartPattern::Literal(text) => **text == *part,
            PartPattern::Glob(glob) => glob.matches(part),
        }
    }

    /// The literal text, if this part has no wildcards.
    #[cfg(feature = "std")]
    pub(crate) fn literal(&self) -> Option<&str> {
        match self {
            PartPattern::Literal(text) => Some(text),
            PartPattern::Glob(_) => None,
        }
    }
}

impl Glob {
    /// Runs the automaton: the set of live states after each character.
    fn matches(&self, part: &str) -> bool {
        // Most parts have under 64 states: one word, no inner loops.
        if self.words == 1 {
            self.run::<1>(part)
        } else {
            self.run::<STATE_WORDS>(part)
        }
    }

    fn run<const W: usize>(&self, part: &str) -> bool {
        let accept = self.atoms.len();
        let mut live = [0u64; W];
        live.copy_from_slice(&self.start[..W]);
        for c in part.chars() {
            let mut next = [0u64; W];
            for (w, &word) in live.iter().enumerate() {
                let mut bits = word;
                while bits != 0 {
                    let state = w * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    if state < accept && self.atoms[state].matches(c) {
                        for (n, f) in next.iter_mut().zip(&self.follow[state]) {
                            *n |= f;
                        }
                    }
                }
            }
            if next == [0; W] {
                return false;
            }
            live = next;
        }
        live[accept / 64] & (1 << (accept % 64)) != 0
    }
}

impl Atom {
    fn matches(&self, c: char) -> bool {
        match self {
            Atom::Char(x) => *x == c,
            Atom::Any | Atom::Star => true,
            Atom::Class { ranges, negated } => {
                ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated
            }
        }
    }
}

/// Compiles one non-empty part.
fn compile_part(part: &str) -> core::result::Result<PartPattern, AddressProblem> {
    let elements = parse_part(part)?;
    if elements
        .iter()
        .all(|e| matches!(e, Element::Atom(Atom::Char(_))))
    {
        return Ok(PartPattern::Literal(part.into()));
    }
    Ok(PartPattern::Glob(build_glob(elements)?))
}

fn parse_part(part: &str) -> core::result::Result<Vec<Element>, AddressProblem> {
    let mut elements = Vec::new();
    for piece in Pieces::new(part) {
        let element = match piece?.1 {
            Piece::Char(c) => Element::Atom(Atom::Char(c)),
            Piece::Any => Element::Atom(Atom::Any),
            // `**` is `*`; one state is enough.
            Piece::Star if matches!(elements.last(), Some(Element::Atom(Atom::Star))) => continue,
            Piece::Star => Element::Atom(Atom::Star),
            Piece::Class { body, negated } => Element::Atom(Atom::Class {
                ranges: class_ranges(body).collect(),
                negated,
            }),
            Piece::Alternatives(inner) => {
                Element::Alternatives(inner.split(',').map(|a| a.chars().collect()).collect())
            }
        };
        elements.push(element);
    }
    Ok(elements)
}

/// Numbers the atoms and computes the follow sets (see [`Glob`]).
fn build_glob(elements: Vec<Element>) -> core::result::Result<Glob, AddressProblem> {
    // Atom index where each element starts (and, for alternatives, each
    // alternative).
    let mut atoms = Vec::new();
    let mut firsts: Vec<Vec<usize>> = Vec::with_capacity(elements.len());
    for element in &elements {
        match element {
            Element::Atom(atom) => {
                firsts.push(vec![atoms.len()]);
                atoms.push(atom.clone());
            }
            Element::Alternatives(alternatives) => {
                let mut starts = Vec::with_capacity(alternatives.len());
                for alternative in alternatives {
                    starts.push(atoms.len());
                    atoms.extend(alternative.iter().map(|&c| Atom::Char(c)));
                }
                firsts.push(starts);
            }
        }
    }
    if atoms.len() > MAX_PART_STATES {
        return Err(AddressProblem::TooManyStates);
    }
    let accept = atoms.len();
    let set = |states: &mut States, s: usize| states[s / 64] |= 1 << (s % 64);
    let union = |a: &mut States, b: &States| a.iter_mut().zip(b).for_each(|(x, y)| *x |= y);

    // entry[k]: the states live on arriving at element k, empty moves taken.
    let mut entry = vec![[0; STATE_WORDS]; elements.len() + 1];
    set(&mut entry[elements.len()], accept);
    for k in (0..elements.len()).rev() {
        let mut states = [0; STATE_WORDS];
        match &elements[k] {
            Element::Atom(atom) => {
                set(&mut states, firsts[k][0]);
                if matches!(atom, Atom::Star) {
                    union(&mut states, &entry[k + 1]);
                }
            }
            Element::Alternatives(alternatives) => {
                for (alternative, &first) in alternatives.iter().zip(&firsts[k]) {
                    if alternative.is_empty() {
                        union(&mut states, &entry[k + 1]);
                    } else {
                        set(&mut states, first);
                    }
                }
            }
        }
        entry[k] = states;
    }

    let mut follow = vec![[0; STATE_WORDS]; atoms.len()];
    for (k, element) in elements.iter().enumerate() {
        match element {
            Element::Atom(Atom::Star) => follow[firsts[k][0]] = entry[k],
            Element::Atom(_) => follow[firsts[k][0]] = entry[k + 1],
            Element::Alternatives(alternatives) => {
                for (alternative, &first) in alternatives.iter().zip(&firsts[k]) {
                    for i in 0..alternative.len() {
                        if i + 1 < alternative.len() {
                            set(&mut follow[first + i], first + i + 1);
                        } else {
                            follow[first + i] = entry[k + 1];
                        }
                    }
                }
            }
        }
    }
    Ok(Glob {
        atoms: atoms.into(),
        follow: follow.into(),
        start: entry[0],
        words: accept / 64 + 1,
    })
}
