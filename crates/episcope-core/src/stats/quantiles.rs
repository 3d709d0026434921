//! Quantiles: exact ones over a sorted buffer (numpy's default definition), and a bounded-memory
//! sketch with a deterministic, tracked rank-error bound for columns too large to hold.
//!
//! # The sketch
//!
//! A hierarchy of buffers in the manner of Manku–Rajagopalan–Lindsay and KLL, but compacted
//! deterministically so that the error bound is a guarantee, not a probability. Level `h` holds
//! values of weight `2^h`. Values enter level 0; when a level holds [`SKETCH_LEVEL_CAPACITY`]
//! values it is *compacted*: sorted, and every other value moves up one level with twice the
//! weight (an odd value out stays where it is). The total weight stays exactly the number of
//! values pushed.
//!
//! For any `x`, a compaction at level `h` changes the estimated number of values `≤ x` (and `< x`)
//! by `0` or `2^h`, downwards when it keeps the values at odd positions (2nd, 4th, …) and upwards
//! when it keeps those at even positions (1st, 3rd, …). Each level alternates the two, and the
//! sketch sums the weights of each kind: every estimated rank is within
//! `E = max(Σ down, Σ up)` of the true rank. [`QuantileSketch::rank_error_bound`] is that `E`.
//!
//! A quantile `q` of `n` values is answered with the smallest retained value `v` whose estimated
//! count of values `≤ v` reaches `t = q·n`. Then the true counts satisfy `#{x ≤ v} ≥ t − E` and
//! `#{x < v} < t + E`: the true rank interval of `v` comes within `E` of `t`, so the normalised
//! rank error is `E / n`.
//!
//! Each level's compactions add about `n / (2·C)` to `E` (`C` = [`SKETCH_LEVEL_CAPACITY`]), and
//! there are about `log2(n / C) + 1` levels, so `E / n ≈ (log2(n / C) + 1) / (2·C)`: 0.22 % at a
//! million values, 0.46 % at a billion, 0.51 % at 2^32. The memory is at most `C` values per level
//! between pushes: [`QuantileSketch::retained_bound`].

/// Values a sketch level holds before it is compacted (see the module documentation).
pub const SKETCH_LEVEL_CAPACITY: usize = 2048;

/// The most values a sketch can retain, whatever the number of values pushed (`u64::MAX` of them
/// would need 54 levels of [`SKETCH_LEVEL_CAPACITY`]).
pub const MAX_SKETCH_RETAINED_VALUES: usize =
    SKETCH_LEVEL_CAPACITY * (u64::BITS as usize - SKETCH_LEVEL_CAPACITY.trailing_zeros() as usize + 1);

/// A quantile by numpy's default definition (`numpy.quantile(x, q)`, method `"linear"`,
/// Hyndman & Fan type 7): with the values sorted, the virtual index is `(n − 1)·q` and the result
/// interpolates linearly between the two values around it, with numpy's own interpolation
/// formula (so results agree to the last bit or so). `sorted` must be sorted and non-empty; `q` in
/// `[0, 1]`.
pub fn numpy_linear_quantile(sorted: &[f64], q: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else { return f64::NAN };
    let virtual_index = last as f64 * q;
    let previous = virtual_index.floor();
    let gamma = virtual_index - previous;
    let (lo, hi) = if virtual_index >= last as f64 {
        (last, last)
    } else if virtual_index < 0.0 || virtual_index.is_nan() {
        (0, 0)
    } else {
        let lo = previous as usize;
        (lo, (lo + 1).min(last))
    };
    numpy_lerp(sorted[lo], sorted[hi], gamma)
}

/// numpy's `_lerp`: `a + (b − a)·t`, computed from `b` when `t ≥ 0.5` for symmetry.
fn numpy_lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// Sorts finite values (or any values, NaN last) ascending.
pub(crate) fn sort_values(values: &mut [f64]) {
    values.sort_unstable_by(f64::total_cmp);
}

/// A bounded-memory quantile summary with a deterministic rank-error bound (module documentation).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct QuantileSketch {
    /// `levels[h]`: values of weight `2^h`.
    levels: Vec<Vec<f64>>,
    /// Per level: whether the next compaction keeps the values at even positions (1st, 3rd, …).
    keep_first: Vec<bool>,
    count: u64,
    /// Σ weights of compactions that can only lower estimated ranks, and of those that can only
    /// raise them.
    down: u64,
    up: u64,
}

impl QuantileSketch {
    pub fn new() -> Self {
        Self::default()
    }

    /// Values pushed so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Values held in memory now.
    pub fn retained_values(&self) -> usize {
        self.levels.iter().map(Vec::len).sum()
    }

    /// An upper bound on [`retained_values`](Self::retained_values) after `n` values:
    /// [`SKETCH_LEVEL_CAPACITY`] per level, and a level exists only once `C·2^(h−1)` values passed.
    pub fn retained_bound(n: u64) -> usize {
        let mut levels = 1usize;
        let mut reach = SKETCH_LEVEL_CAPACITY as u64;
        while reach <= n {
            levels += 1;
            reach = reach.saturating_mul(2);
            if reach == u64::MAX {
                break;
            }
        }
        levels.saturating_mul(SKETCH_LEVEL_CAPACITY).min(MAX_SKETCH_RETAINED_VALUES)
    }

    /// The guaranteed bound `E` on the error of any estimated rank, in values (module docs).
    pub fn rank_error_bound(&self) -> u64 {
        self.down.max(self.up)
    }

    /// [`rank_error_bound`](Self::rank_error_bound) as a fraction of the values pushed (0 when empty).
    pub fn normalized_rank_error(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.rank_error_bound() as f64 / self.count as f64
        }
    }

    /// Adds finite values (the caller keeps NaN and infinities out).
    pub fn extend(&mut self, mut values: &[f64]) {
        while !values.is_empty() {
            if self.levels.is_empty() {
                self.levels.push(Vec::with_capacity(SKETCH_LEVEL_CAPACITY));
                self.keep_first.push(false);
            }
            let room = SKETCH_LEVEL_CAPACITY.saturating_sub(self.levels[0].len()).max(1);
            let (now, rest) = values.split_at(room.min(values.len()));
            self.levels[0].extend_from_slice(now);
            self.count += now.len() as u64;
            values = rest;
            if self.levels[0].len() >= SKETCH_LEVEL_CAPACITY {
                self.compact(0);
            }
        }
    }

    pub fn push(&mut self, value: f64) {
        self.extend(&[value]);
    }

    /// Adds another sketch's values: level by level, then compacting what overflows. The bound
    /// stays guaranteed: each sketch's compactions are counted, and so are the merge's.
    pub fn merge(&mut self, other: &QuantileSketch) {
        for (h, level) in other.levels.iter().enumerate() {
            while self.levels.len() <= h {
                self.levels.push(Vec::new());
                self.keep_first.push(false);
            }
            self.levels[h].extend_from_slice(level);
        }
        self.count = self.count.saturating_add(other.count);
        self.down = self.down.saturating_add(other.down);
        self.up = self.up.saturating_add(other.up);
        let mut h = 0;
        while h < self.levels.len() {
            if self.levels[h].len() >= SKETCH_LEVEL_CAPACITY {
                self.compact(h);
            }
            h += 1;
        }
    }

    /// Compacts level `h` and, in cascade, any level above it that fills up.
    fn compact(&mut self, mut h: usize) {
        loop {
            if h + 1 >= self.levels.len() {
                self.levels.push(Vec::new());
                self.keep_first.push(false);
            }
            let mut items = std::mem::take(&mut self.levels[h]);
            sort_values(&mut items);
            // An odd value out stays at this level with its weight: no error.
            let leftover = if items.len() % 2 == 1 { items.pop() } else { None };
            let keep_first = self.keep_first[h];
            self.keep_first[h] = !keep_first;
            let weight = 1u64.checked_shl(h as u32).unwrap_or(u64::MAX);
            if keep_first {
                self.up = self.up.saturating_add(weight);
            } else {
                self.down = self.down.saturating_add(weight);
            }
            let start = usize::from(!keep_first);
            let (lower, upper) = self.levels.split_at_mut(h + 1);
            upper[0].extend(items.iter().skip(start).step_by(2));
            // Reuse the allocation for the level's next fill.
            items.clear();
            items.extend(leftover);
            lower[h] = items;
            if self.levels[h + 1].len() >= SKETCH_LEVEL_CAPACITY {
                h += 1;
            } else {
                break;
            }
        }
    }

    /// The retained values with their weights, sorted by value.
    fn weighted(&self) -> Vec<(f64, u64)> {
        let mut items: Vec<(f64, u64)> = Vec::with_capacity(self.retained_values());
        for (h, level) in self.levels.iter().enumerate() {
            let weight = 1u64.checked_shl(h as u32).unwrap_or(u64::MAX);
            items.extend(level.iter().map(|&v| (v, weight)));
        }
        items.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        items
    }

    /// Estimates the quantiles `qs` (each in `[0, 1]`): for each, a retained value whose true rank
    /// is within [`rank_error_bound`](Self::rank_error_bound) of `q·n`. NaN when empty.
    pub fn quantiles(&self, qs: &[f64]) -> Vec<f64> {
        let items = self.weighted();
        let mut cumulative = Vec::with_capacity(items.len());
        let mut total = 0u64;
        for (_, weight) in &items {
            total = total.saturating_add(*weight);
            cumulative.push(total);
        }
        qs.iter()
            .map(|&q| {
                let target = q * self.count as f64;
                let i = cumulative.partition_point(|&c| (c as f64) < target);
                items.get(i).or(items.last()).map_or(f64::NAN, |item| item.0)
            })
            .collect()
    }

    /// Counts the values per bin of `edges` (see [`super::histogram`]); the counts sum to the
    /// values pushed, and each is within `2·E` of the true count.
    pub fn histogram(&self, binning: &super::histogram::Binning) -> Vec<u64> {
        let mut counts = vec![0u64; binning.bins()];
        for (h, level) in self.levels.iter().enumerate() {
            let weight = 1u64.checked_shl(h as u32).unwrap_or(u64::MAX);
            for &v in level {
                if let Some(bin) = binning.bin_of(v) {
                    counts[bin] = counts[bin].saturating_add(weight);
                }
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_linear_matches_hand_computed_values() {
        // python3 -c "import numpy as np; print([float(np.quantile([1.,2.,3.,4.], q)) for q in (0,.01,.5,.99,1)])"
        // [1.0, 1.03, 2.5, 3.9699999999999998, 4.0]
        let sorted = [1.0, 2.0, 3.0, 4.0];
        let got: Vec<f64> = [0.0, 0.01, 0.5, 0.99, 1.0].iter().map(|&q| numpy_linear_quantile(&sorted, q)).collect();
        assert_eq!(got, [1.0, 1.03, 2.5, 3.9699999999999998, 4.0]);
        assert_eq!(numpy_linear_quantile(&[7.0], 0.3), 7.0);
        assert!(numpy_linear_quantile(&[], 0.3).is_nan());
    }

    #[test]
    fn a_small_sketch_is_exact() {
        let mut sketch = QuantileSketch::new();
        sketch.extend(&[5.0, 1.0, 3.0, 2.0, 4.0]);
        assert_eq!(sketch.rank_error_bound(), 0);
        assert_eq!(sketch.quantiles(&[0.0, 0.2, 0.5, 1.0]), [1.0, 1.0, 3.0, 5.0]);
    }

    #[test]
    fn compaction_keeps_the_total_weight_and_tracks_the_bound() {
        let mut sketch = QuantileSketch::new();
        let n = 10 * SKETCH_LEVEL_CAPACITY as u64 + 7;
        for i in 0..n {
            sketch.push((i * 7919 % n) as f64);
        }
        let total: u64 = sketch.weighted().iter().map(|(_, w)| w).sum();
        assert_eq!(total, n);
        assert!(sketch.rank_error_bound() > 0);
        assert!(sketch.retained_values() <= QuantileSketch::retained_bound(n));
    }

    #[test]
    fn retained_bound_grows_with_log_n() {
        assert_eq!(QuantileSketch::retained_bound(0), SKETCH_LEVEL_CAPACITY);
        assert_eq!(QuantileSketch::retained_bound(SKETCH_LEVEL_CAPACITY as u64 - 1), SKETCH_LEVEL_CAPACITY);
        assert_eq!(QuantileSketch::retained_bound(SKETCH_LEVEL_CAPACITY as u64), 2 * SKETCH_LEVEL_CAPACITY);
        assert_eq!(QuantileSketch::retained_bound(u64::MAX), MAX_SKETCH_RETAINED_VALUES);
    }
}
