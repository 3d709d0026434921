//! The statistics of one feature column, dimension by dimension, fed chunk by chunk.

use super::histogram::{Binning, Histogram};
use super::moments::Moments;
use super::quantiles::{numpy_linear_quantile, sort_values, QuantileSketch};
use super::{DimensionStatistics, QuantileMethod, QuantileValue, StatsOptions};

/// One dimension's running state.
#[derive(Debug, Clone, Default)]
struct Dimension {
    moments: Moments,
    nan: u64,
    pos_inf: u64,
    neg_inf: u64,
    /// Every finite value, while the column is exact.
    exact: Vec<f64>,
    /// Once the column is too large to hold.
    sketch: Option<QuantileSketch>,
}

/// Accumulates a column of `width` values per row (row-major chunks), holding its values exactly
/// while `rows × width ≤ exact_quantile_max_values`, then switching every dimension to a
/// [`QuantileSketch`].
#[derive(Debug, Clone)]
pub struct ColumnAccumulator {
    width: usize,
    dims: Vec<Dimension>,
    /// The most values the exact buffers may hold together.
    exact_limit: u64,
    exact: bool,
    rows: u64,
    quantiles: Vec<f64>,
    bins: usize,
    scratch: Vec<f64>,
    peak_retained: usize,
}

impl ColumnAccumulator {
    /// A column of `width` values per row. The caller bounds `width` (see
    /// [`StatsOptions::max_dimensions`]).
    pub fn new(width: usize, options: &StatsOptions) -> Self {
        Self {
            width,
            dims: vec![Dimension::default(); width],
            exact_limit: options.exact_quantile_max_values,
            exact: true,
            rows: 0,
            quantiles: options.quantiles.clone(),
            bins: options.histogram_bins.max(1),
            scratch: Vec::new(),
            peak_retained: 0,
        }
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
        if self.exact && self.rows.saturating_mul(self.width as u64).saturating_add(incoming) > self.exact_limit {
            self.switch_to_sketch();
        }
        // In exact mode every dimension holds at most `rows` values, so at most this many.
        let per_dim_cap = usize::try_from(self.exact_limit / self.width as u64).unwrap_or(usize::MAX);
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
            state.moments.push_chunk(&self.scratch);
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

    /// The statistics of every dimension.
    pub fn finish(self) -> Vec<DimensionStatistics> {
        let quantiles = self.quantiles;
        let bins = self.bins;
        self.dims
            .into_iter()
            .map(|mut state| {
                let m = state.moments;
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
