//! The statistics of one feature column, dimension by dimension, fed chunk by chunk and unit
//! (data file) by unit, so that accumulators of different shards merge into exactly the one of
//! the whole column (see [`crate::shard`]).

use serde::{Deserialize, Serialize};

use super::histogram::{Binning, Histogram};
use super::moments::Moments;
use super::quantiles::{numpy_linear_quantile, sort_values, QuantileSketch};
use super::{DimensionStatistics, QuantileMethod, QuantileValue, StatsOptions};
use crate::shard::{Combine, ReductionMergeError, TreeReduction};

impl Combine for Moments {
    fn empty() -> Self {
        Moments::default()
    }
    fn combine(&mut self, later: &Self) {
        self.merge(later);
    }
}

/// One dimension's running state.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Dimension {
    /// The moments of the units ended so far, in the fixed tree order.
    units: TreeReduction<Moments>,
    /// The moments of the unit being read.
    #[serde(skip)]
    current: Moments,
    nan: u64,
    pos_inf: u64,
    neg_inf: u64,
    /// Every finite value, while the column is exact.
    exact: Vec<f64>,
    /// Once the column is too large to hold.
    sketch: Option<QuantileSketch>,
}

impl Dimension {
    fn new(units: u64) -> Self {
        Dimension {
            units: TreeReduction::new(units),
            current: Moments::default(),
            nan: 0,
            pos_inf: 0,
            neg_inf: 0,
            exact: Vec::new(),
            sketch: None,
        }
    }
}

/// Why two accumulators cannot be merged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeColumnError {
    #[error("{found} values per frame here, {expected} in the other part")]
    Width { expected: usize, found: usize },
    #[error(transparent)]
    Units(#[from] ReductionMergeError),
    #[error("the parts were computed with different options")]
    Options,
}

/// Accumulates a column of `width` values per row (row-major chunks), holding its values exactly
/// while `rows × width ≤ exact_quantile_max_values`, then switching every dimension to a
/// [`QuantileSketch`].
///
/// Values arrive unit by unit (`start_unit`); each unit's moments are kept apart and combined in
/// the fixed order of [`TreeReduction`], so that the moments are the same, bit for bit, however the
/// units were split between accumulators and merged back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ColumnAccumulator {
    width: usize,
    dims: Vec<Dimension>,
    /// The most values the exact buffers may hold together (also once merged).
    exact_limit: u64,
    /// The most this accumulator holds while reading (a shard's partial keeps less, to stay small).
    #[serde(default)]
    read_limit: Option<u64>,
    exact: bool,
    rows: u64,
    quantiles: Vec<f64>,
    bins: usize,
    /// The unit being read (its moments are in each dimension's `current`).
    #[serde(skip)]
    unit: Option<u64>,
    #[serde(skip)]
    scratch: Vec<f64>,
    peak_retained: usize,
}

impl ColumnAccumulator {
    /// A column of `width` values per row, all of them one unit. The caller bounds `width` (see
    /// [`StatsOptions::max_dimensions`]).
    pub fn new(width: usize, options: &StatsOptions) -> Self {
        let mut column = Self::over_units(width, options, 1);
        column.unit = Some(0);
        column
    }

    /// A column of `width` values per row read from `units` units (files); call
    /// [`start_unit`](Self::start_unit) before each unit's rows.
    pub fn over_units(width: usize, options: &StatsOptions, units: u64) -> Self {
        Self {
            width,
            dims: (0..width).map(|_| Dimension::new(units)).collect(),
            exact_limit: options.exact_quantile_max_values,
            read_limit: None,
            exact: true,
            rows: 0,
            quantiles: options.quantiles.clone(),
            bins: options.histogram_bins.max(1),
            unit: None,
            scratch: Vec::new(),
            peak_retained: 0,
        }
    }

    /// Holds at most `values` exactly while reading (beyond, a sketch), though merged parts stay
    /// exact up to the options' limit.
    pub fn holding_at_most(mut self, values: u64) -> Self {
        self.read_limit = Some(values.min(self.exact_limit));
        self
    }

    /// Ends the unit being read (if another) and starts `unit`.
    pub fn start_unit(&mut self, unit: u64) {
        if self.unit != Some(unit) {
            self.end_unit();
            self.unit = Some(unit);
        }
    }

    fn end_unit(&mut self) {
        if let Some(unit) = self.unit.take() {
            for dim in &mut self.dims {
                let moments = std::mem::take(&mut dim.current);
                dim.units.insert(unit, moments);
            }
        }
    }

    /// Ends the unit being read and records every unit of `units` not read as empty: the
    /// accumulator then stands for exactly those units.
    pub fn seal(&mut self, units: std::ops::Range<u64>) {
        self.end_unit();
        for dim in &mut self.dims {
            for unit in units.clone() {
                dim.units.insert_if_absent(unit, Moments::default());
            }
        }
    }

    /// Adds another accumulator of the same column over other units (sealed, like this one).
    pub fn merge(&mut self, other: ColumnAccumulator) -> Result<(), MergeColumnError> {
        if other.width != self.width {
            return Err(MergeColumnError::Width { expected: self.width, found: other.width });
        }
        if other.quantiles != self.quantiles || other.bins != self.bins {
            return Err(MergeColumnError::Options);
        }
        self.end_unit();
        let rows = self.rows.saturating_add(other.rows);
        if other.exact_limit != self.exact_limit {
            return Err(MergeColumnError::Options);
        }
        let stays_exact = self.exact && other.exact && rows.saturating_mul(self.width as u64) <= self.exact_limit;
        if !stays_exact && self.exact {
            self.switch_to_sketch();
        }
        for (dim, theirs) in self.dims.iter_mut().zip(other.dims) {
            dim.units.merge(theirs.units)?;
            dim.nan += theirs.nan;
            dim.pos_inf += theirs.pos_inf;
            dim.neg_inf += theirs.neg_inf;
            match (&mut dim.sketch, theirs.sketch) {
                (Some(sketch), Some(their_sketch)) => sketch.merge(&their_sketch),
                (Some(sketch), None) => sketch.extend(&theirs.exact),
                // Both exact: their values join ours (sorted at the end, so the order of the parts
                // does not matter).
                (None, _) => dim.exact.extend_from_slice(&theirs.exact),
            }
        }
        self.rows = rows;
        self.peak_retained = self.peak_retained.max(other.peak_retained);
        Ok(())
    }

    pub fn width(&self) -> usize {
        self.width
    }

    /// Rows pushed so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Whether quantiles will be exact (every finite value is still held).
    pub fn is_exact(&self) -> bool {
        self.exact
    }

    /// Values held in memory now: the exact buffers, or the sketches' retained values.
    pub fn retained_values(&self) -> usize {
        self.dims.iter().map(|d| d.exact.len() + d.sketch.as_ref().map_or(0, QuantileSketch::retained_values)).sum()
    }

    /// The largest [`retained_values`](Self::retained_values) seen after any push.
    pub fn peak_retained_values(&self) -> usize {
        self.peak_retained
    }

    /// Adds rows given row-major (`values[row * width + dim]`); a trailing partial row is ignored.
    /// NaN (and nulls, which arrive as NaN) and infinities are counted and otherwise left out.
    pub fn push_rows(&mut self, values: &[f64]) {
        if self.width == 0 {
            return;
        }
        let rows = values.len() / self.width;
        let incoming = (rows as u64).saturating_mul(self.width as u64);
        let limit = self.read_limit.unwrap_or(self.exact_limit);
        if self.exact && self.rows.saturating_mul(self.width as u64).saturating_add(incoming) > limit {
            self.switch_to_sketch();
        }
        // In exact mode every dimension holds at most `rows` values, so at most this many.
        let per_dim_cap = usize::try_from(limit / self.width as u64).unwrap_or(usize::MAX);
        for (dim, state) in self.dims.iter_mut().enumerate() {
            self.scratch.clear();
            for row in 0..rows {
                let v = values[row * self.width + dim];
                if v.is_finite() {
                    self.scratch.push(v);
                } else if v.is_nan() {
                    state.nan += 1;
                } else if v > 0.0 {
                    state.pos_inf += 1;
                } else {
                    state.neg_inf += 1;
                }
            }
            state.current.push_chunk(&self.scratch);
            match &mut state.sketch {
                Some(sketch) => sketch.extend(&self.scratch),
                None => {
                    let needed = state.exact.len() + self.scratch.len();
                    if needed > state.exact.capacity() {
                        // Grow geometrically, but never past what exact mode can hold.
                        let target = (state.exact.capacity() * 2).min(per_dim_cap).max(needed);
                        state.exact.reserve_exact(target - state.exact.len());
                    }
                    state.exact.extend_from_slice(&self.scratch);
                }
            }
        }
        self.rows += rows as u64;
        self.peak_retained = self.peak_retained.max(self.retained_values());
    }

    /// Moves every dimension's values into a sketch and frees the exact buffers.
    fn switch_to_sketch(&mut self) {
        self.exact = false;
        for state in &mut self.dims {
            let mut sketch = QuantileSketch::new();
            sketch.extend(&state.exact);
            state.exact = Vec::new();
            state.sketch = Some(sketch);
        }
    }

    /// The statistics of every dimension. The accumulator must stand for every unit: one over a
    /// single unit ([`new`](Self::new)), or sealed parts merged until all units are in.
    pub fn finish(mut self) -> Vec<DimensionStatistics> {
        self.end_unit();
        let quantiles = self.quantiles;
        let bins = self.bins;
        self.dims
            .into_iter()
            .map(|mut state| {
                let m = state.units.root().unwrap_or_default();
                let mut out = DimensionStatistics {
                    count: m.count,
                    nan_count: state.nan,
                    pos_inf_count: state.pos_inf,
                    neg_inf_count: state.neg_inf,
                    min: None,
                    max: None,
                    mean: None,
                    std: None,
                    quantiles: Vec::new(),
                    quantile_method: QuantileMethod::Exact,
                    histogram: None,
                };
                if m.count == 0 {
                    return out;
                }
                out.min = Some(m.min);
                out.max = Some(m.max);
                out.mean = m.mean();
                out.std = m.std();
                let binning = Binning::new(m.min, m.max, bins);
                match state.sketch {
                    None => {
                        sort_values(&mut state.exact);
                        out.quantiles = quantiles
                            .iter()
                            .map(|&q| QuantileValue { q, value: numpy_linear_quantile(&state.exact, q) })
                            .collect();
                        out.histogram = Some(Histogram::from_counts(&binning, binning.count(&state.exact), 0));
                    }
                    Some(sketch) => {
                        let estimates = sketch.quantiles(&quantiles);
                        out.quantiles = quantiles
                            .iter()
                            .zip(estimates)
                            .map(|(&q, estimate)| {
                                // The extremes are known exactly.
                                let value = if q <= 0.0 {
                                    m.min
                                } else if q >= 1.0 {
                                    m.max
                                } else {
                                    estimate.max(m.min).min(m.max)
                                };
                                QuantileValue { q, value }
                            })
                            .collect();
                        out.quantile_method = QuantileMethod::Sketch { rank_error: sketch.normalized_rank_error() };
                        let error = sketch.rank_error_bound().saturating_mul(2);
                        out.histogram = Some(Histogram::from_counts(&binning, sketch.histogram(&binning), error));
                    }
                }
                out
            })
            .collect()
    }
}
