//! The syntax of one part of an address pattern, read without allocating:
//! [`Pieces`] yields its pieces (a character, a wildcard, a class, a group
//! of alternatives) in order, checking each. [`Pattern`](super::Pattern)
//! compiles what it yields into automata; [`matches`](super::matches) runs
//! the pattern from its text directly, for builds without an allocator.

use core::str::Chars;

use crate::error::{AddressProblem, Detail, Error, Result};

/// Reads the levels of `pattern` from the left, calling `each` with `None`
/// for a `//` and with each part (whose own syntax `each` checks), and
/// returns the pattern after its leading `/`; or the first problem, as
/// [`Error::InvalidPattern`]: no leading `/`, a trailing `//`, three or
/// more `/` in a row, or what `each` reports.
pub(crate) fn read_levels<'p>(
    pattern: &'p str,
    mut each: impl FnMut(Option<&'p str>) -> core::result::Result<(), AddressProblem>,
) -> Result<&'p str> {
    let invalid = |reason| Error::InvalidPattern {
        reason,
        pattern: Detail::new(pattern),
    };
    let rest = pattern
        .strip_prefix('/')
        .ok_or_else(|| invalid(AddressProblem::NoLeadingSlash))?;
    let mut previous_empty = false;
    let mut parts = rest.split('/').peekable();
    while let Some(part) = parts.next() {
        if part.is_empty() {
            if parts.peek().is_none() {
                return Err(invalid(AddressProblem::EmptyLastPart));
            }
            if previous_empty {
                return Err(invalid(AddressProblem::TripleSlash));
            }
            each(None).map_err(invalid)?;
        } else {
            each(Some(part)).map_err(invalid)?;
        }
        previous_empty = part.is_empty();
    }
    Ok(rest)
}

/// One piece of a pattern part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Piece<'p> {
    /// A character that matches itself.
    Char(char),
    /// `?`: any one character.
    Any,
    /// `*`: any run of characters.
    Star,
    /// `[…]` or `[!…]`: `body` is the text between the brackets after the
    /// `!`, non-empty, its ranges in order ([`class_ranges`]).
    Class { body: &'p str, negated: bool },
    /// `{…}`: the text between the braces, alternatives separated by `,`
    /// (empty ones allowed), none with a wildcard.
    Alternatives(&'p str),
}

/// The pieces of one part, each with the byte offset where it starts, or
/// the first syntax error (after which it yields nothing).
#[derive(Debug, Clone)]
pub(crate) struct Pieces<'p> {
    part: &'p str,
    at: usize,
}

impl<'p> Pieces<'p> {
    /// The pieces of `part` (the text between two `/`).
    pub(crate) fn new(part: &'p str) -> Self {
        Pieces { part, at: 0 }
    }

    /// The pieces of `part` from byte `at` on (a piece boundary).
    pub(crate) fn from(part: &'p str, at: usize) -> Self {
        Pieces { part, at }
    }

    /// Where the next piece starts.
    pub(crate) fn offset(&self) -> usize {
        self.at
    }

    fn piece(&mut self) -> core::result::Result<Piece<'p>, AddressProblem> {
        let rest = &self.part[self.at..];
        let mut chars = rest.chars();
        let c = chars.next().expect("called with text left");
        self.at += c.len_utf8();
        Ok(match c {
            '?' => Piece::Any,
            '*' => Piece::Star,
            '[' => {
                let negated = rest[1..].starts_with('!');
                let body_start = 1 + usize::from(negated);
                let Some(len) = rest[body_start..].find(']') else {
                    return Err(AddressProblem::UnclosedBracket);
                };
                let body = &rest[body_start..body_start + len];
                check_class(body)?;
                self.at += body_start - 1 + len + 1;
                Piece::Class { body, negated }
            }
            '{' => {
                for (i, c) in rest.char_indices().skip(1) {
                    match c {
                        '}' => {
                            self.at += i;
                            return Ok(Piece::Alternatives(&rest[1..i]));
                        }
                        '{' => return Err(AddressProblem::NestedBrace),
                        '*' | '?' | '[' | ']' => return Err(AddressProblem::WildcardInBraces),
                        ' ' | '#' => return Err(AddressProblem::SpaceOrHash),
                        _ => {}
                    }
                }
                return Err(AddressProblem::UnclosedBrace);
            }
            ']' => return Err(AddressProblem::UnopenedBracket),
            '}' => return Err(AddressProblem::UnopenedBrace),
            ',' => return Err(AddressProblem::CommaOutsideBraces),
            ' ' | '#' => return Err(AddressProblem::SpaceOrHash),
            c => Piece::Char(c),
        })
    }
}

impl<'p> Iterator for Pieces<'p> {
    type Item = core::result::Result<(usize, Piece<'p>), AddressProblem>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.part.len() {
            return None;
        }
        let start = self.at;
        match self.piece() {
            Ok(piece) => Some(Ok((start, piece))),
            Err(problem) => {
                self.at = self.part.len();
                Some(Err(problem))
            }
        }
    }
}

/// Checks a class body: not empty, no range reversed.
fn check_class(body: &str) -> core::result::Result<(), AddressProblem> {
    if body.is_empty() {
        return Err(AddressProblem::EmptyClass);
    }
    for (lo, hi) in class_ranges(body) {
        if lo > hi {
            return Err(AddressProblem::ReversedRange);
        }
    }
    Ok(())
}

/// The ranges of a class body, single characters as `(c, c)`: `a-z` is a
/// range unless its `-` is the body's last character (or first: `-a`).
pub(crate) fn class_ranges(body: &str) -> ClassRanges<'_> {
    ClassRanges {
        chars: body.chars(),
    }
}

/// See [`class_ranges`].
#[derive(Debug, Clone)]
pub(crate) struct ClassRanges<'p> {
    chars: Chars<'p>,
}

impl Iterator for ClassRanges<'_> {
    type Item = (char, char);

    fn next(&mut self) -> Option<(char, char)> {
        let lo = self.chars.next()?;
        let mut ahead = self.chars.clone();
        if let (Some('-'), Some(hi)) = (ahead.next(), ahead.next()) {
            self.chars = ahead;
            return Some((lo, hi));
        }
        Some((lo, lo))
    }
}

/// Whether `c` is in the class `body` (after the `!`), negated or not.
pub(crate) fn class_matches(body: &str, negated: bool, c: char) -> bool {
    class_ranges(body).any(|(lo, hi)| lo <= c && c <= hi) != negated
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(part: &str) -> core::result::Result<Vec<(usize, Piece<'_>)>, AddressProblem> {
        Pieces::new(part).collect()
    }

    #[test]
    fn pieces_with_offsets() {
        assert_eq!(
            pieces("a?*[!x-z]{b,}é").unwrap(),
            [
                (0, Piece::Char('a')),
                (1, Piece::Any),
                (2, Piece::Star),
                (
                    3,
                    Piece::Class {
                        body: "x-z",
                        negated: true
                    }
                ),
                (9, Piece::Alternatives("b,")),
                (13, Piece::Char('é')),
            ]
        );
        assert_eq!(pieces("").unwrap(), []);
    }

    #[test]
    fn syntax_errors_in_order() {
        for (part, problem) in [
            ("a[bc", AddressProblem::UnclosedBracket),
            ("[]", AddressProblem::EmptyClass),
            ("[!]", AddressProblem::EmptyClass),
            ("[z-a]", AddressProblem::ReversedRange),
            ("{a", AddressProblem::UnclosedBrace),
            ("{a{b}}", AddressProblem::NestedBrace),
            ("{a*}", AddressProblem::WildcardInBraces),
            ("{a b}", AddressProblem::SpaceOrHash),
            ("a]", AddressProblem::UnopenedBracket),
            ("a}", AddressProblem::UnopenedBrace),
            ("a,b", AddressProblem::CommaOutsideBraces),
            ("a#", AddressProblem::SpaceOrHash),
            // The first problem from the left wins.
            ("a,[", AddressProblem::CommaOutsideBraces),
        ] {
            assert_eq!(pieces(part), Err(problem), "{part:?}");
        }
    }

    #[test]
    fn class_ranges_and_literal_dashes() {
        let ranges = |body| class_ranges(body).collect::<Vec<_>>();
        assert_eq!(ranges("a-cx"), [('a', 'c'), ('x', 'x')]);
        assert_eq!(ranges("a-"), [('a', 'a'), ('-', '-')]);
        assert_eq!(ranges("-a"), [('-', '-'), ('a', 'a')]);
        assert!(class_matches("0-9", false, '5'));
        assert!(!class_matches("0-9", true, '5'));
        assert!(class_matches("0-9", true, 'x'));
    }
}
