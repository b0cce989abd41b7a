//! Which handlers an address reaches.
//!
//! Mapped literal addresses live in one hash map: a literal incoming
//! address costs one lookup. Mapped patterns live in a trie keyed by
//! address part: literal parts are hash-map children, wildcard parts are
//! matched one by one at their level, and a pattern's remainder from its
//! first `//` on is matched whole at the node where it starts. So an
//! address only meets the patterns that agree with it level by level,
//! never all of them.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::address::{is_pattern, PartPattern, Pattern, Segment};
use crate::error::Result;

/// Handler ids, as indexes into the dispatcher's mapping table.
pub(crate) type Id = usize;

/// A fast non-cryptographic string hash (the Fx hash of rustc). Flooding
/// is not a concern: the tables hold only mapped (trusted) addresses, and
/// untrusted addresses are only looked up, which cannot lengthen a chain.
#[derive(Default)]
pub(crate) struct FxHasher(u64);

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let mut word = [0; 8];
        let rest = chunks.remainder();
        word[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(word) ^ rest.len() as u64);
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn finish(&self) -> u64 {
        // The multiply leaves the best bits on top; the table indexes with
        // the low ones.
        self.0.rotate_left(26)
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// The routing tables.
#[derive(Default)]
pub(crate) struct Routes {
    literals: FxMap<Box<str>, Vec<Id>>,
    patterns: Node,
    pattern_count: usize,
}

/// One level of the pattern trie.
#[derive(Default)]
struct Node {
    literal: FxMap<Box<str>, Node>,
    wild: Vec<(Box<str>, PartPattern, Node)>,
    /// Patterns that end at this level.
    here: Vec<Id>,
    /// Patterns whose remainder, starting with `//`, begins at this level.
    deep: Vec<(Pattern, Id)>,
}

impl Routes {
    /// Adds a mapping: a literal address (validated) or a pattern.
    pub fn insert_literal(&mut self, address: &str, id: Id) {
        self.literals.entry(address.into()).or_default().push(id);
    }

    /// Adds a mapped pattern.
    pub fn insert_pattern(&mut self, pattern: &Pattern, id: Id) {
        self.pattern_count += 1;
        let text = pattern.as_str();
        let mut node = &mut self.patterns;
        // Byte offset of the current part in `text`.
        let mut at = 1;
        let parts = text[1..].split('/');
        for (segment, part) in pattern.segments().iter().zip(parts) {
            match segment {
                Segment::AnyLevels => {
                    // The remainder from this `//` on; it compiled as part
                    // of the whole pattern, so it compiles alone.
                    if let Ok(rest) = Pattern::new(&text[at - 1..]) {
                        node.deep.push((rest, id));
                    }
                    return;
                }
                Segment::Part(p) => {
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
            }
            at += part.len() + 1;
        }
        node.here.push(id);
    }

    /// Removes a mapping made with [`insert_literal`](Self::insert_literal).
    pub fn remove_literal(&mut self, address: &str, id: Id) {
        if let Some(ids) = self.literals.get_mut(address) {
            ids.retain(|&x| x != id);
            if ids.is_empty() {
                self.literals.remove(address);
            }
        }
    }

    /// Removes a mapping made with [`insert_pattern`](Self::insert_pattern).
    pub fn remove_pattern(&mut self, id: Id) {
        fn walk(node: &mut Node, id: Id) -> bool {
            let before = node.here.len() + node.deep.len();
            node.here.retain(|&x| x != id);
            node.deep.retain(|&(_, x)| x != id);
            if node.here.len() + node.deep.len() != before {
                return true;
            }
            node.literal.values_mut().any(|child| walk(child, id))
                || node.wild.iter_mut().any(|(_, _, child)| walk(child, id))
        }
        if walk(&mut self.patterns, id) {
            self.pattern_count -= 1;
        }
    }

    /// Replaces `out` with the ids `address` reaches, in mapping order.
    ///
    /// A literal address meets the literal map and the pattern trie. An
    /// address that is itself a pattern (the OSC direction) is compiled and
    /// matched against the mapped literal addresses; it does not meet
    /// mapped patterns, as pattern-against-pattern has no meaning in OSC.
    pub fn collect(&self, address: &str, out: &mut Vec<Id>) -> Result<()> {
        out.clear();
        if let Some(ids) = self.literals.get(address) {
            out.extend_from_slice(ids);
        } else if is_pattern(address) {
            let pattern = Pattern::new(address)?;
            for (literal, ids) in &self.literals {
                if pattern.matches(literal) {
                    out.extend_from_slice(ids);
                }
            }
            out.sort_unstable();
            return Ok(());
        }
        if self.pattern_count > 0 {
            self.patterns.collect(address, out);
            out.sort_unstable();
        }
        Ok(())
    }
}

impl Node {
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
        let (part, after) = match tail.find('/') {
            Some(end) => (&tail[..end], &tail[end..]),
            None => (tail, ""),
        };
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
