//! Shards of a dataset's work (`K/N`: contiguous blocks of its sorted files) and the pieces that
//! make sharded results merge into exactly the unsharded one: a reduction over a fixed tree of the
//! files, and JSON that keeps non-finite floats.
//!
//! A float sum depends on the order it is added in, so partials merged in any grouping could give
//! different last bits. [`TreeReduction`] fixes the order: every file's value is a leaf of one
//! binary tree over the file indices (dyadic blocks `[m·2^j, (m+1)·2^j)`), and a node's value is
//! always `combine(left, right)` of its two children. A shard holds the largest blocks inside its
//! range (O(log files) of them); merging joins siblings as they meet. Whatever the split and the
//! order of merges, the root is the same computation, bit for bit.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Shard `index` of `count` (0-based): the contiguous block of units (files, sorted) it owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

/// Shard counts above this are refused (a partial per shard is written and merged).
pub const MAX_SHARDS: u32 = 1 << 16;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("expected a shard as K/N with 0 ≤ K < N ≤ {MAX_SHARDS} (K counts from 0), found `{text}`")]
    Invalid { text: String },
}

impl Shard {
    /// The whole dataset as one shard.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    pub fn new(index: u32, count: u32) -> Result<Shard, ShardError> {
        if count == 0 || count > MAX_SHARDS || index >= count {
            return Err(ShardError::Invalid { text: format!("{index}/{count}") });
        }
        Ok(Shard { index, count })
    }

    /// Parses `K/N`.
    pub fn parse(text: &str) -> Result<Shard, ShardError> {
        let invalid = || ShardError::Invalid { text: text.to_string() };
        let (k, n) = text.split_once('/').ok_or_else(invalid)?;
        let (k, n) = (k.trim().parse().map_err(|_| invalid())?, n.trim().parse().map_err(|_| invalid())?);
        Shard::new(k, n).map_err(|_| invalid())
    }

    /// The units `[start, end)` of `total` this shard owns: shard k of n owns `[k·total/n, (k+1)·total/n)`.
    pub fn range(&self, total: usize) -> std::ops::Range<usize> {
        let bound = |k: u32| ((k as u128 * total as u128) / self.count.max(1) as u128) as usize;
        bound(self.index)..bound(self.index + 1)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Values that combine associatively in a fixed order (the reduction's nodes).
pub trait Combine: Clone {
    /// The value of no unit (`combine(empty, x) == x == combine(x, empty)` exactly).
    fn empty() -> Self;
    /// `self` followed by `later` (the units after).
    fn combine(&mut self, later: &Self);
}

/// Why two reductions cannot be merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReductionMergeError {
    #[error("the parts are over different numbers of files ({expected} and {found})")]
    Units { expected: u64, found: u64 },
    #[error("file {unit} is in both parts")]
    Overlap { unit: u64 },
}

/// A reduction over units `0..total` in the fixed tree order (module docs). Holds the largest
/// complete blocks; [`TreeReduction::root`] is the whole once every unit is in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "T: Serialize", deserialize = "T: Deserialize<'de>"))]
pub struct TreeReduction<T> {
    pub total: u64,
    /// `(level, position)` → the value of units `[position·2^level, (position+1)·2^level)`.
    #[serde(with = "node_list")]
    nodes: BTreeMap<(u32, u64), T>,
}

mod node_list {
    use super::*;
    use serde::{Deserializer, Serializer};

    #[derive(Deserialize)]
    struct Node<T> {
        level: u32,
        position: u64,
        value: T,
    }

    #[derive(Serialize)]
    struct NodeRef<'a, T> {
        level: u32,
        position: u64,
        value: &'a T,
    }

    pub fn serialize<S: Serializer, T: Serialize>(nodes: &BTreeMap<(u32, u64), T>, s: S) -> Result<S::Ok, S::Error> {
        let list: Vec<NodeRef<T>> =
            nodes.iter().map(|(&(level, position), value)| NodeRef { level, position, value }).collect();
        list.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<BTreeMap<(u32, u64), T>, D::Error> {
        let list: Vec<Node<T>> = Vec::deserialize(d)?;
        Ok(list.into_iter().map(|n| ((n.level, n.position), n.value)).collect())
    }
}

/// Levels of the tree over `total` units: the root's level.
fn root_level(total: u64) -> u32 {
    total.max(1).next_power_of_two().trailing_zeros()
}

impl<T: Combine> TreeReduction<T> {
    pub fn new(total: u64) -> Self {
        TreeReduction { total, nodes: BTreeMap::new() }
    }

    /// Sets unit `unit`'s value (once per unit) and joins complete siblings.
    pub fn insert(&mut self, unit: u64, value: T) {
        self.nodes.insert((0, unit), value);
        self.join((0, unit));
    }

    /// Sets unit `unit`'s value unless it is already in (alone or inside a joined block).
    pub fn insert_if_absent(&mut self, unit: u64, value: T) {
        if unit >= self.total || self.nodes.contains_key(&(0, unit)) || self.covered_by_ancestor((0, unit)) {
            return;
        }
        self.insert(unit, value);
    }

    /// Whether the block `(level, position)` lies wholly past the last unit (its value is empty
    /// and nobody inserts it).
    fn beyond(&self, level: u32, position: u64) -> bool {
        position.checked_shl(level).is_none_or(|start| start >= self.total)
    }

    fn join(&mut self, (mut level, mut position): (u32, u64)) {
        let top = root_level(self.total);
        while level < top {
            let sibling = position ^ 1;
            let sibling_present = self.nodes.contains_key(&(level, sibling)) || self.beyond(level, sibling);
            if !sibling_present {
                return;
            }
            let (left, right) = if position % 2 == 0 { (position, sibling) } else { (sibling, position) };
            let mut value = self.nodes.remove(&(level, left)).unwrap_or_else(T::empty);
            let later = self.nodes.remove(&(level, right)).unwrap_or_else(T::empty);
            value.combine(&later);
            level += 1;
            position /= 2;
            self.nodes.insert((level, position), value);
        }
    }

    /// Adds another shard's blocks (over the same units; a block present in both is an error).
    pub fn merge(&mut self, other: TreeReduction<T>) -> Result<(), ReductionMergeError> {
        if other.total != self.total {
            return Err(ReductionMergeError::Units { expected: self.total, found: other.total });
        }
        for (key, value) in other.nodes {
            if self.nodes.contains_key(&key) || self.covered_by_ancestor(key) {
                let (level, position) = key;
                return Err(ReductionMergeError::Overlap { unit: position.checked_shl(level).unwrap_or(u64::MAX) });
            }
            self.nodes.insert(key, value);
            self.join(key);
        }
        Ok(())
    }

    fn covered_by_ancestor(&self, (level, position): (u32, u64)) -> bool {
        let top = root_level(self.total);
        (level + 1..=top).any(|up| self.nodes.contains_key(&(up, position >> (up - level))))
    }

    /// The whole reduction, once every unit is in; for 0 units, the empty value.
    pub fn root(&self) -> Option<T> {
        if self.total == 0 {
            return Some(T::empty());
        }
        self.nodes.get(&(root_level(self.total), 0)).cloned()
    }
}

/// Serde for `f64` fields that may be infinite or NaN (JSON has no such numbers): finite values as
/// numbers, the rest as the strings `"inf"`, `"-inf"`, `"nan"`.
pub mod any_f64 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &f64, s: S) -> Result<S::Ok, S::Error> {
        if value.is_finite() {
            s.serialize_f64(*value)
        } else if value.is_nan() {
            s.serialize_str("nan")
        } else if *value > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Number(f64),
        Text(String),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        match Repr::deserialize(d)? {
            Repr::Number(v) => Ok(v),
            Repr::Text(t) => match t.as_str() {
                "inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                "nan" => Ok(f64::NAN),
                other => Err(serde::de::Error::custom(format!("expected a number, inf, -inf or nan, found `{other}`"))),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records the order of combination: the root must be the same string for every split.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Trace(String);
    impl Combine for Trace {
        fn empty() -> Self {
            Trace(String::new())
        }
        fn combine(&mut self, later: &Self) {
            if self.0.is_empty() {
                *self = later.clone();
            } else if !later.0.is_empty() {
                self.0 = format!("({}+{})", self.0, later.0);
            }
        }
    }

    fn shard_reduction(total: usize, shard: Shard) -> TreeReduction<Trace> {
        let mut r = TreeReduction::new(total as u64);
        for unit in shard.range(total) {
            r.insert(unit as u64, Trace(unit.to_string()));
        }
        r
    }

    #[test]
    fn every_split_and_merge_order_gives_the_same_root() {
        for total in [0usize, 1, 2, 3, 5, 8, 13, 33] {
            let whole = shard_reduction(total, Shard::WHOLE).root().unwrap();
            for count in 1..=7u32 {
                let parts: Vec<_> = (0..count).map(|k| shard_reduction(total, Shard::new(k, count).unwrap())).collect();
                for rotation in 0..parts.len() {
                    let mut order = parts.clone();
                    order.rotate_left(rotation);
                    order.reverse();
                    let mut merged = order.pop().unwrap();
                    for part in order.into_iter().rev() {
                        merged.merge(part).unwrap();
                    }
                    assert_eq!(merged.root().as_ref(), Some(&whole), "{total} units, {count} shards");
                }
                if total > 1 && count > 1 {
                    assert_eq!(parts[0].root(), None, "one shard of several is not the whole");
                }
            }
        }
    }

    #[test]
    fn a_shard_merged_twice_is_refused_and_shards_parse() {
        let a = shard_reduction(10, Shard::new(0, 2).unwrap());
        let mut b = a.clone();
        assert!(b.merge(a).is_err());
        assert_eq!(Shard::parse("2/5"), Ok(Shard { index: 2, count: 5 }));
        for bad in ["5/5", "1", "a/b", "0/0", "-1/3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Shard::new(1, 3).unwrap().range(10), 3..6);
        assert_eq!(Shard::new(2, 3).unwrap().range(10), 6..10);
    }
}
