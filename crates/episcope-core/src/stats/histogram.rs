//! Equal-width histograms binned exactly as `numpy.histogram(x, bins=n)` bins them: edges
//! `numpy.linspace(min, max, n + 1)`, every bin half-open `[lo, hi)` but the last closed, and a
//! flat range `min == max` widened to `[min − 0.5, max + 0.5]`.

use serde::{Deserialize, Serialize};

/// Equal-width bins over `[low, high]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Binning {
    low: f64,
    high: f64,
    bins: usize,
    /// `(high − low) / bins`, or over halves when the range overflows.
    step: f64,
    /// The range overflows `f64` (`high − low` is infinite): positions are computed over halves.
    halved: bool,
}

impl Binning {
    /// Bins over the values' `[min, max]` (both finite, `min ≤ max`); `bins ≥ 1`.
    pub fn new(min: f64, max: f64, bins: usize) -> Self {
        let (low, high) = if min == max { (min - 0.5, max + 0.5) } else { (min, max) };
        let bins = bins.max(1);
        let halved = !(high - low).is_finite();
        let step = if halved { (high / 2.0 - low / 2.0) / bins as f64 } else { (high - low) / bins as f64 };
        Self { low, high, bins, step, halved }
    }

    pub fn bins(&self) -> usize {
        self.bins
    }

    pub fn low(&self) -> f64 {
        self.low
    }

    pub fn high(&self) -> f64 {
        self.high
    }

    /// Edge `i` of `0..=bins` (numpy's `linspace`: `i·step + low`, the last edge exactly `high`).
    pub fn edge(&self, i: usize) -> f64 {
        if i >= self.bins {
            self.high
        } else if self.halved {
            (i as f64 * self.step + self.low / 2.0) * 2.0
        } else {
            i as f64 * self.step + self.low
        }
    }

    /// The bin of `value`; `None` outside `[low, high]` (and for NaN).
    pub fn bin_of(&self, value: f64) -> Option<usize> {
        if !(value >= self.low && value <= self.high) {
            return None;
        }
        let fraction = if self.halved {
            (value / 2.0 - self.low / 2.0) / (self.high / 2.0 - self.low / 2.0)
        } else {
            (value - self.low) / (self.high - self.low)
        };
        // `as` saturates: a fraction a rounding above 1 still lands in the last bin.
        let mut bin = ((fraction * self.bins as f64) as usize).min(self.bins - 1);
        // numpy's correction for positions within an ulp of an edge.
        if bin > 0 && value < self.edge(bin) {
            bin -= 1;
        } else if bin + 1 < self.bins && value >= self.edge(bin + 1) {
            bin += 1;
        }
        Some(bin)
    }

    /// Counts sorted or unsorted values into the bins (values outside are not counted).
    pub fn count(&self, values: &[f64]) -> Vec<u64> {
        let mut counts = vec![0u64; self.bins];
        for &v in values {
            if let Some(bin) = self.bin_of(v) {
                counts[bin] += 1;
            }
        }
        counts
    }
}

/// A histogram of one dimension's finite values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// The first edge (the minimum, or `min − 0.5` when all values are equal).
    pub low: f64,
    /// The last edge (the maximum, or `max + 0.5`).
    pub high: f64,
    /// Values per bin; they sum to the dimension's count. Bin `i` covers
    /// `[low + i·w, low + (i+1)·w)` with `w = (high − low) / counts.len()`, the last bin closed.
    pub counts: Vec<u64>,
    /// 0 when the counts are exact; otherwise the most any count can be off by (built from a
    /// quantile sketch: twice its rank-error bound).
    pub max_count_error: u64,
}

impl Histogram {
    pub fn from_counts(binning: &Binning, counts: Vec<u64>, max_count_error: u64) -> Self {
        Self { low: binning.low(), high: binning.high(), counts, max_count_error }
    }

    /// The edges, `counts.len() + 1` of them (as numpy computes them).
    pub fn edges(&self) -> Vec<f64> {
        let binning = Binning::new(self.low, self.high, self.counts.len());
        // `new` would widen a flat range again; the stored one is never flat.
        (0..=self.counts.len()).map(|i| binning.edge(i)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_like_numpy() {
        // python3 -c "import numpy as np; print(np.histogram([0, 0.1, 0.25, 0.5, 0.75, 0.999, 1], bins=4)[0].tolist())"
        // [2, 1, 1, 3]
        let values = [0.0, 0.1, 0.25, 0.5, 0.75, 0.999, 1.0];
        let binning = Binning::new(0.0, 1.0, 4);
        assert_eq!(binning.count(&values), [2, 1, 1, 3]);
        assert_eq!(binning.bin_of(1.5), None);
        assert_eq!(binning.bin_of(f64::NAN), None);
        // python3 -c "import numpy as np; print(np.histogram([3, 3, 3], bins=4))"
        // (array([0, 0, 3, 0]), array([2.5 , 2.75, 3.  , 3.25, 3.5 ]))
        let flat = Binning::new(3.0, 3.0, 4);
        assert_eq!(flat.count(&[3.0, 3.0, 3.0]), [0, 0, 3, 0]);
        assert_eq!((0..=4).map(|i| flat.edge(i)).collect::<Vec<_>>(), [2.5, 2.75, 3.0, 3.25, 3.5]);
    }

    #[test]
    fn a_range_overflowing_f64_still_bins() {
        let binning = Binning::new(-f64::MAX, f64::MAX, 2);
        assert_eq!(binning.count(&[-f64::MAX, -1.0, 1.0, f64::MAX]), [2, 2]);
        assert_eq!(binning.edge(1), 0.0);
        let histogram = Histogram::from_counts(&Binning::new(0.0, 1.0, 2), vec![1, 1], 0);
        assert_eq!(histogram.edges(), [0.0, 0.5, 1.0]);
    }
}
