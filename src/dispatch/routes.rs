//! Which handlers an address reaches.
//!
//! Mapped literal addresses live in one hash map: a literal incoming
//! address costs one lookup. They are also kept in a trie keyed by part,
//! which an incoming pattern without `//` walks level by level (a `//`
//! pattern, rare and only OSC 1.1, is matched against each mapped literal
//! address). Mapped patterns live in a trie keyed by
//! address part: literal parts are hash-map children, wildcard parts are
//! matched one by one at their level, and a pattern's remainder from its
//! first `//` on is matched whole at the node where it starts. So an
//! address only meets the patterns that agree with it level by level,
//! never all of them.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::address::{is_pattern, split_part, PartPattern, Pattern, Segment};
use crate::error::Result;

/// Handler ids, as indexes into the dispatcher's mapping table.
pub(crate) type Id = usize;

/// A fast non-cryptographic hash for the string keys of these tables, in
/// the style of foldhash and wyhash: 16 bytes per folded 64×64→128-bit
/// multiply, the last (or only) block read overlapping, so a typical
/// address costs one or two multiplies. It is meant for `str` keys only
/// (`write` then one `write_u8` terminator). Flooding is not a concern:
/// the tables hold only mapped (trusted) addresses, and untrusted
/// addresses are only looked up, which cannot lengthen a probe sequence.
#[derive(Default)]
pub(crate) struct AddressHasher(u64);

const SEED: [u64; 2] = [0x243f_6a88_85a3_08d3, 0x1319_8a2e_0370_7344];

/// Multiplies and folds the 128-bit product: every input bit reaches the
/// middle of the result.
fn folded_multiply(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ (product >> 64) as u64
}

fn read_u64(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

fn read_u32(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u64::from(u32::from_le_bytes(word))
}

impl Hasher for AddressHasher {
    fn write(&mut self, bytes: &[u8]) {
        let len = bytes.len();
        let mut hash = self.0 ^ len as u64;
        let (a, b) = if len > 16 {
            let mut at = 0;
            while len - at > 16 {
                hash = folded_multiply(
                    read_u64(bytes, at) ^ SEED[0] ^ hash,
                    read_u64(bytes, at + 8) ^ SEED[1],
                );
                at += 16;
            }
            (read_u64(bytes, len - 16), read_u64(bytes, len - 8))
        } else if len >= 8 {
            (read_u64(bytes, 0), read_u64(bytes, len - 8))
        } else if len >= 4 {
            (read_u32(bytes, 0), read_u32(bytes, len - 4))
        } else if len > 0 {
            let spread = u64::from(bytes[0]) << 16
                | u64::from(bytes[len / 2]) << 8
                | u64::from(bytes[len - 1]);
            (spread, 0)
        } else {
            (0, 0)
        };
        self.0 = folded_multiply(a ^ SEED[0] ^ hash, b ^ SEED[1]);
    }

    fn write_u8(&mut self, byte: u8) {
        // Only ever str's terminator: the same for every key.
        self.0 ^= u64::from(byte);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type AddressMap<K, V> = HashMap<K, V, BuildHasherDefault<AddressHasher>>;

/// The routing tables.
#[derive(Default)]
pub(crate) struct Routes {
    literals: AddressMap<Box<str>, Vec<Id>>,
    literal_parts: LiteralNode,
    patterns: Node,
    pattern_count: usize,
}

/// One level of the trie of mapped literal addresses.
#[derive(Default)]
struct LiteralNode {
    children: AddressMap<Box<str>, LiteralNode>,
    /// Mappings of the address that ends here.
    here: Vec<Id>,
}

/// One level of the pattern trie.
#[derive(Default)]
struct Node {
    literal: AddressMap<Box<str>, Node>,
    wild: Vec<(Box<str>, PartPattern, Node)>,
    /// Patterns that end at this level.
    here: Vec<Id>,
    /// Patterns whose remainder, starting with `//`, begins at this level.
    deep: Vec<(Pattern, Id)>,
}

impl Routes {
    /// Adds a mapped literal address (the caller has validated it).
    pub fn insert_literal(&mut self, address: &str, id: Id) {
        self.literals.entry(address.into()).or_default().push(id);
        let mut node = &mut self.literal_parts;
        for part in address[1..].split('/') {
            node = node.children.entry(part.into()).or_default();
        }
        node.here.push(id);
    }

    /// Adds a mapped pattern. Errors, leaving the tables as they were, if
    /// the pattern's remainder from its first `//` does not compile on its
    /// own (it compiled as part of the whole, so this is not expected; but
    /// a mapping must never be dropped without a word).
    pub fn insert_pattern(&mut self, pattern: &Pattern, id: Id) -> Result<()> {
        let text = pattern.as_str();
        // The levels before the first `//`, and the compiled remainder.
        let mut levels = Vec::new();
        let mut deep = None;
        // Byte offset of the current part in `text`.
        let mut at = 1;
        for (segment, part) in pattern.segments().iter().zip(text[1..].split('/')) {
            match segment {
                Segment::AnyLevels => {
                    deep = Some(Pattern::new(&text[at - 1..])?);
                    break;
                }
                Segment::Part(p) => levels.push((part, p)),
            }
            at += part.len() + 1;
        }
        let mut node = &mut self.patterns;
        for (part, p) in levels {
            node = match p.literal() {
                Some(literal) => node.literal.entry(literal.into()).or_default(),
                None => {
                    let index = match node.wild.iter().position(|(t, ..)| **t == *part) {
                        Some(index) => index,
                        None => {
                            node.wild.push((part.into(), p.clone(), Node::default()));
                            node.wild.len() - 1
                        }
                    };
                    &mut node.wild[index].2
                }
            };
        }
        match deep {
            Some(rest) => node.deep.push((rest, id)),
            None => node.here.push(id),
        }
        self.pattern_count += 1;
        Ok(())
    }

    /// Removes a mapping made with [`insert_literal`](Self::insert_literal).
    pub fn remove_literal(&mut self, address: &str, id: Id) {
        if let Some(ids) = self.literals.get_mut(address) {
            ids.retain(|&x| x != id);
            if ids.is_empty() {
                self.literals.remove(address);
            }
        }
        self.literal_parts.remove(address[1..].split('/'), id);
    }

    /// Removes a mapping made with [`insert_pattern`](Self::insert_pattern),
    /// pruning the nodes it leaves empty.
    pub fn remove_pattern(&mut self, id: Id) {
        if self.patterns.remove(id) {
            self.pattern_count -= 1;
        }
    }

    /// The ids `address` reaches, in mapping order: the literal map's own
    /// list when no pattern is mapped (nothing to copy or sort), else
    /// `out`, filled.
    ///
    /// A literal address meets the literal map and the pattern trie. An
    /// address that is itself a pattern (the OSC direction) is compiled and
    /// matched against the mapped literal addresses; it does not meet
    /// mapped patterns, as pattern-against-pattern has no meaning in OSC.
    pub fn collect<'s>(&'s self, address: &str, out: &'s mut Vec<Id>) -> Result<&'s [Id]> {
        out.clear();
        if let Some(ids) = self.literals.get(address) {
            if self.pattern_count == 0 {
                return Ok(ids);
            }
            out.extend_from_slice(ids);
        } else if is_pattern(address) {
            let pattern = Pattern::new(address)?;
            let segments = pattern.segments();
            if segments.iter().any(|s| matches!(s, Segment::AnyLevels)) {
                for (literal, ids) in &self.literals {
                    if pattern.matches(literal) {
                        out.extend_from_slice(ids);
                    }
                }
            } else {
                self.literal_parts.collect(segments, out);
            }
            out.sort_unstable();
            return Ok(out);
        }
        if self.pattern_count > 0 {
            self.patterns.collect(address, out);
            out.sort_unstable();
        }
        Ok(out)
    }
}

impl LiteralNode {
    /// Adds the ids of the addresses below this node that `segments` (no
    /// `//` among them) match.
    fn collect(&self, segments: &[Segment], out: &mut Vec<Id>) {
        let Some((Segment::Part(part), rest)) = segments.split_first() else {
            out.extend_from_slice(&self.here);
            return;
        };
        match part.literal() {
            Some(name) => {
                if let Some(child) = self.children.get(name) {
                    child.collect(rest, out);
                }
            }
            None => {
                for (name, child) in &self.children {
                    if part.matches(name) {
                        child.collect(rest, out);
                    }
                }
            }
        }
    }

    /// Removes `id` from the address `parts` lead to, pruning emptied
    /// nodes. Returns whether this node is empty now.
    fn remove<'p>(&mut self, mut parts: impl Iterator<Item = &'p str>, id: Id) -> bool {
        match parts.next() {
            None => self.here.retain(|&x| x != id),
            Some(part) => {
                if let Some(child) = self.children.get_mut(part) {
                    if child.remove(parts, id) {
                        self.children.remove(part);
                    }
                }
            }
        }
        self.here.is_empty() && self.children.is_empty()
    }
}

impl Node {
    fn is_empty(&self) -> bool {
        self.here.is_empty()
            && self.deep.is_empty()
            && self.literal.is_empty()
            && self.wild.is_empty()
    }

    /// Removes mapping `id` from this node or below, dropping children it
    /// leaves empty. Returns whether it was found. Unmapping is rare, so
    /// this searches rather than following the pattern's levels.
    fn remove(&mut self, id: Id) -> bool {
        let before = self.here.len() + self.deep.len();
        self.here.retain(|&x| x != id);
        self.deep.retain(|&(_, x)| x != id);
        if self.here.len() + self.deep.len() != before {
            return true;
        }
        let found = self
            .literal
            .iter_mut()
            .find_map(|(part, child)| child.remove(id).then(|| part.clone()));
        if let Some(part) = found {
            if self.literal[&part].is_empty() {
                self.literal.remove(&part);
            }
            return true;
        }
        match self
            .wild
            .iter_mut()
            .position(|(_, _, child)| child.remove(id))
        {
            Some(index) => {
                if self.wild[index].2.is_empty() {
                    self.wild.remove(index);
                }
                true
            }
            None => false,
        }
    }

    /// Adds the ids of the patterns below this node that match `rest`
    /// (the address from this level on: empty, or starting with `/`).
    /// Recursion follows the trie, so its depth is bounded by the deepest
    /// mapped pattern, whatever the address.
    fn collect(&self, rest: &str, out: &mut Vec<Id>) {
        for (pattern, id) in &self.deep {
            if pattern.matches(rest) {
                out.push(*id);
            }
        }
        if rest.is_empty() {
            out.extend_from_slice(&self.here);
            return;
        }
        let Some(tail) = rest.strip_prefix('/') else {
            return;
        };
        let (part, after) = split_part(tail);
        if let Some(child) = self.literal.get(part) {
            child.collect(after, out);
        }
        for (_, matcher, child) in &self.wild {
            if matcher.matches(part) {
                child.collect(after, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::hash::BuildHasher;

    fn ids(routes: &Routes, address: &str) -> Vec<Id> {
        let mut out = Vec::new();
        routes.collect(address, &mut out).unwrap().to_vec()
    }

    const PATTERNS: [&str; 8] = [
        "/a/*/c",
        "/a/*/d",
        "/a/[ab]/c",
        "/a/b/c/*",
        "//x",
        "/q/{r,s}//t",
        "/q/r//*",
        "/a//*/c//d",
    ];

    fn with_patterns() -> Routes {
        let mut routes = Routes::default();
        for (id, text) in PATTERNS.iter().enumerate() {
            routes
                .insert_pattern(&Pattern::new(text).unwrap(), id)
                .unwrap();
        }
        routes
    }

    #[test]
    fn patterns_with_any_levels_at_every_position_are_kept() {
        let routes = with_patterns();
        assert_eq!(routes.pattern_count, PATTERNS.len());
        assert_eq!(ids(&routes, "/a/b/c"), [0, 2]);
        assert_eq!(ids(&routes, "/a/b/c/x"), [3, 4]);
        assert_eq!(ids(&routes, "/q/s/1/2/t"), [5]);
        assert_eq!(ids(&routes, "/q/r/t"), [5, 6]);
        assert_eq!(ids(&routes, "/a/1/2/c/3/d"), [7]);
    }

    #[test]
    fn removing_patterns_prunes_the_trie() {
        let mut routes = with_patterns();
        // One at a time: the others still match, and a removed one does not.
        routes.remove_pattern(0);
        assert_eq!(ids(&routes, "/a/b/c"), [2]);
        routes.remove_pattern(5);
        assert_eq!(ids(&routes, "/q/r/t"), [6]);
        // Removing an id twice, or one never mapped, changes nothing.
        routes.remove_pattern(5);
        routes.remove_pattern(99);
        assert_eq!(routes.pattern_count, PATTERNS.len() - 2);
        for id in 0..PATTERNS.len() {
            routes.remove_pattern(id);
        }
        assert_eq!(routes.pattern_count, 0);
        assert!(routes.patterns.is_empty(), "nodes left behind");
        // Mapping again after a full removal works as the first time did.
        for (id, text) in PATTERNS.iter().enumerate() {
            routes
                .insert_pattern(&Pattern::new(text).unwrap(), id + 10)
                .unwrap();
        }
        assert_eq!(ids(&routes, "/a/b/c"), [10, 12]);
        assert_eq!(ids(&routes, "/q/r/t"), [15, 16]);
    }

    #[test]
    fn removing_literals_prunes_the_trie() {
        let mut routes = Routes::default();
        let addresses = ["/a/b", "/a/b/c", "/a/d", "/e"];
        for (id, address) in addresses.iter().enumerate() {
            routes.insert_literal(address, id);
        }
        routes.insert_literal("/a/b", 9);
        assert_eq!(ids(&routes, "/a/*"), [0, 2, 9]);
        routes.remove_literal("/a/b", 0);
        assert_eq!(ids(&routes, "/a/*"), [2, 9]);
        assert_eq!(ids(&routes, "/a/b"), [9]);
        for (id, address) in addresses.iter().enumerate().chain([(9, &"/a/b")]) {
            routes.remove_literal(address, id);
        }
        assert!(routes.literals.is_empty());
        assert!(
            routes.literal_parts.children.is_empty(),
            "nodes left behind"
        );
    }

    #[test]
    fn address_hash_spreads_similar_addresses() {
        let hasher = BuildHasherDefault::<AddressHasher>::default();
        let mut keys: Vec<String> = (0..10_000)
            .map(|i| format!("/bank/{}/param/{}", i / 100, i % 100))
            .collect();
        // Every length through the short and long paths.
        keys.extend((2..40).map(|n| "/".repeat(n)));
        keys.extend((0..40).map(|n| format!("/{}", "a".repeat(n))));
        let hashes: Vec<u64> = keys.iter().map(|k| hasher.hash_one(k.as_str())).collect();
        let distinct: HashSet<u64> = hashes.iter().copied().collect();
        assert_eq!(distinct.len(), keys.len());
        // The table indexes with the low bits and tags with the top 7: both
        // must spread (10,078 keys into 2^14 slots: about 7,600 distinct
        // expected of a uniform hash).
        let low: HashSet<u64> = hashes.iter().map(|h| h & 0x3fff).collect();
        assert!(low.len() > 7_000, "{}", low.len());
        let top: HashSet<u64> = hashes.iter().map(|h| h >> 57).collect();
        assert_eq!(top.len(), 128);
    }
}
