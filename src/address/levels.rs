//! Matching the levels of an address (its `/`-separated parts) against the
//! levels of a pattern, where `//` takes any number of whole levels. The
//! one algorithm serves both a compiled [`Pattern`](super::Pattern) and a
//! pattern matched from its text ([`matches`](super::matches)), through
//! [`Levels`].

/// Marks "no more parts" in [`match_levels`].
const DONE: usize = usize::MAX;

/// What a level of a pattern is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    /// `//`: any number of whole levels, none included.
    AnyLevels,
    /// One part, matched by [`Levels::part_matches`].
    Part,
}

/// The levels of a pattern, reached by position: the first is at 0, and
/// each gives the position of the next.
pub(crate) trait Levels {
    /// The level at `at` and the position of the next, or `None` after the
    /// last.
    fn level(&self, at: usize) -> Option<(Level, usize)>;

    /// Whether the part level at `at` matches one part of an address.
    fn part_matches(&self, at: usize, part: &str) -> bool;
}

/// Splits `path` at its first `/`: the first part, and the rest from that
/// `/` on (empty if there is none). A byte loop: parts are short, and
/// `str::find` costs more to set up than it saves on them.
pub(crate) fn split_part(path: &str) -> (&str, &str) {
    match path.bytes().position(|b| b == b'/') {
        Some(end) => path.split_at(end),
        None => (path, ""),
    }
}

/// The part of `path` starting at byte `at`, and where the next starts
/// ([`DONE`] after the last).
fn part_at(path: &str, at: usize) -> (&str, usize) {
    match split_part(&path[at..]) {
        (part, "") => (part, DONE),
        (part, _) => (part, at + part.len() + 1),
    }
}

/// Matches the levels of a pattern against the parts of `address`
/// (without its leading `/`). `//` is to levels what `*` is to characters,
/// so this is the classic wildcard algorithm: on a mismatch, go back to the
/// last `//` and let it take one more level. One backtrack point suffices
/// because a later `//` can absorb whatever an earlier one would have.
pub(crate) fn match_levels<L: Levels + ?Sized>(levels: &L, address: &str) -> bool {
    let (mut level, mut at) = (0, 0);
    // (level after the last `//`, where its levels end)
    let mut resume: Option<(usize, usize)> = None;
    loop {
        let current = levels.level(level);
        if let Some((Level::AnyLevels, next)) = current {
            level = next;
            resume = Some((level, at));
            continue;
        }
        if at == DONE {
            break;
        }
        let (part, next) = part_at(address, at);
        if let Some((Level::Part, after)) = current {
            if levels.part_matches(level, part) {
                level = after;
                at = next;
                continue;
            }
        }
        match resume {
            Some((resume_level, absorbed)) if absorbed != DONE => {
                let (_, after) = part_at(address, absorbed);
                resume = Some((resume_level, after));
                level = resume_level;
                at = after;
            }
            _ => return false,
        }
    }
    // Only `//` may be left (it takes no levels too).
    while let Some((kind, next)) = levels.level(level) {
        if kind != Level::AnyLevels {
            return false;
        }
        level = next;
    }
    true
}
