//! What a worker's decode reduces to (per-column sums, or per-dimension moments of one column),
//! and the merge of the workers' parts into the summary the harness validates.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{BenchError, Task};

/// Rows per block of [`ColumnMoments::push_rows`]: the sums of one block are taken relative to
/// the block's first row, then blocks merge by Chan et al.'s formula.
pub const MOMENTS_BLOCK_ROWS: usize = 4096;

/// Widest rows (values per row) whose per-dimension moments are kept: the width comes from the
/// file's schema and sizes the accumulators.
pub const MAX_DIMENSIONS: usize = 1 << 16;

/// Count, min, max, mean and Σ(x − mean)² of the finite values of one dimension. When `count` is
/// 0 the other fields are 0 and mean nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct DimensionMoments {
    pub count: u64,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    /// Σ (x − mean)².
    pub m2: f64,
}

impl DimensionMoments {
    /// Adds the moments of other values (Chan, Golub & LeVeque: the parallel form of Welford's
    /// update).
    pub fn merge(&mut self, other: &DimensionMoments) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *other;
            return;
        }
        let (na, nb) = (self.count as f64, other.count as f64);
        let n = na + nb;
        let delta = other.mean - self.mean;
        self.mean += delta * (nb / n);
        self.m2 += other.m2 + delta * delta * (na * nb / n);
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Population standard deviation (divided by the count, as `numpy.std`); `None` when empty.
    pub fn std(&self) -> Option<f64> {
        (self.count > 0).then(|| (self.m2 / self.count as f64).sqrt())
    }
}

/// Per-dimension moments of a column of rows of `width` values, pushed block by block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnMoments {
    pub width: usize,
    pub dimensions: Vec<DimensionMoments>,
    /// Values left out because they were NaN, ±Inf or null.
    pub non_finite: u64,
}

impl ColumnMoments {
    pub fn new(width: usize) -> Self {
        Self { width, dimensions: vec![DimensionMoments::default(); width], non_finite: 0 }
    }

    /// Adds rows given row-major (`values[row * width + dim]`); a trailing partial row is ignored.
    ///
    /// One pass per block: min, max, Σ(x − s) and Σ(x − s)² with `s` the block's first row, which
    /// keeps the sums small and well conditioned. A block holding a non-finite value (its sums
    /// turn non-finite) is redone value by value, leaving those values out.
    pub fn push_rows<T: Copy + Into<f64>>(&mut self, values: &[T]) {
        let width = self.width;
        if width == 0 {
            return;
        }
        let (mut min, mut max) = (vec![0.0; width], vec![0.0; width]);
        let (mut sum, mut squares) = (vec![0.0; width], vec![0.0; width]);
        for block in values.chunks(MOMENTS_BLOCK_ROWS * width) {
            let rows = block.len() / width;
            let Some(first) = block.get(..width).filter(|_| rows > 0) else { continue };
            let shift: Vec<f64> = first.iter().map(|&v| v.into()).collect();
            min.copy_from_slice(&shift);
            max.copy_from_slice(&shift);
            sum.fill(0.0);
            squares.fill(0.0);
            for row in block.chunks_exact(width) {
                let lanes = row
                    .iter()
                    .zip(&shift)
                    .zip(min.iter_mut().zip(max.iter_mut()))
                    .zip(sum.iter_mut().zip(squares.iter_mut()));
                for (((&value, &shift), (min, max)), (sum, squares)) in lanes {
                    let value: f64 = value.into();
                    *min = min.min(value);
                    *max = max.max(value);
                    let x = value - shift;
                    *sum += x;
                    *squares += x * x;
                }
            }
            if sum.iter().chain(&squares).all(|s| s.is_finite()) {
                let n = rows as f64;
                for d in 0..width {
                    let block_moments = DimensionMoments {
                        count: rows as u64,
                        min: min[d],
                        max: max[d],
                        mean: shift[d] + sum[d] / n,
                        m2: (squares[d] - sum[d] * sum[d] / n).max(0.0),
                    };
                    self.dimensions[d].merge(&block_moments);
                }
            } else {
                self.push_block_skipping_non_finite(&block[..rows * width]);
            }
        }
    }

    /// The slow path of [`push_rows`](Self::push_rows): each dimension's finite values, two passes.
    fn push_block_skipping_non_finite<T: Copy + Into<f64>>(&mut self, block: &[T]) {
        let width = self.width;
        for d in 0..width {
            let finite: Vec<f64> =
                block.iter().skip(d).step_by(width).map(|&v| v.into()).filter(|v: &f64| v.is_finite()).collect();
            let rows = block.len() / width;
            self.non_finite += (rows - finite.len()) as u64;
            if finite.is_empty() {
                continue;
            }
            let n = finite.len() as f64;
            let mean = finite.iter().sum::<f64>() / n;
            let block_moments = DimensionMoments {
                count: finite.len() as u64,
                min: finite.iter().copied().fold(f64::INFINITY, f64::min),
                max: finite.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                mean,
                m2: finite.iter().map(|v| (v - mean) * (v - mean)).sum(),
            };
            self.dimensions[d].merge(&block_moments);
        }
    }

    /// Adds the moments of other rows of the same column.
    pub fn merge(&mut self, other: &ColumnMoments, column: &str, path: &str) -> Result<(), BenchError> {
        if other.width != self.width {
            return Err(BenchError::WidthChanged {
                column: column.to_string(),
                expected: self.width,
                found: other.width,
                path: path.to_string(),
            });
        }
        for (mine, theirs) in self.dimensions.iter_mut().zip(&other.dimensions) {
            mine.merge(theirs);
        }
        self.non_finite += other.non_finite;
        Ok(())
    }
}

/// What one worker's part reduced to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PartialValues {
    /// The sum of every non-null value per column decoded (NaN if one was NaN).
    Sums { sums: BTreeMap<String, f64> },
    /// Moments of one column; `None` when the part decoded no rows group of it.
    Moments { column: String, moments: Option<ColumnMoments> },
}

/// One worker's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Partial {
    /// Rows decoded per row group (workers decoding other columns of a row group must agree).
    pub rows_by_row_group: BTreeMap<usize, u64>,
    #[serde(flatten)]
    pub values: PartialValues,
    /// Where the worker's time went (ms), filled in by whoever can read a clock.
    #[serde(default)]
    pub timings_ms: BTreeMap<String, f64>,
}

/// The summary the harness validates (`{rows, sums}` or `{rows, min, max, mean, std}`), plus
/// each part's timings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Summary {
    Sums {
        rows: u64,
        sums: BTreeMap<String, f64>,
        part_timings_ms: Vec<BTreeMap<String, f64>>,
    },
    Stats {
        rows: u64,
        min: Vec<Option<f64>>,
        max: Vec<Option<f64>>,
        mean: Vec<Option<f64>>,
        std: Vec<Option<f64>>,
        non_finite: u64,
        part_timings_ms: Vec<BTreeMap<String, f64>>,
    },
}

/// Merges the workers' parts of one task.
pub fn merge_partials(task: &Task, parts: &[Partial], path: &str) -> Result<Summary, BenchError> {
    let mut rows_by_row_group: BTreeMap<usize, u64> = BTreeMap::new();
    for part in parts {
        for (&row_group, &rows) in &part.rows_by_row_group {
            let first = *rows_by_row_group.entry(row_group).or_insert(rows);
            if first != rows {
                return Err(BenchError::RowsDisagree { row_group, first, other: rows, path: path.to_string() });
            }
        }
    }
    let rows = rows_by_row_group.values().sum();
    let part_timings_ms = parts.iter().map(|part| part.timings_ms.clone()).collect();
    let mixed = || BenchError::MixedParts { path: path.to_string() };
    match task {
        Task::AllColumns => {
            let mut sums: BTreeMap<String, f64> = BTreeMap::new();
            for part in parts {
                let PartialValues::Sums { sums: part_sums } = &part.values else { return Err(mixed()) };
                for (column, sum) in part_sums {
                    *sums.entry(column.clone()).or_insert(0.0) += sum;
                }
            }
            Ok(Summary::Sums { rows, sums, part_timings_ms })
        }
        Task::ColumnStats { column } => {
            let mut merged: Option<ColumnMoments> = None;
            for part in parts {
                let PartialValues::Moments { column: part_column, moments } = &part.values else { return Err(mixed()) };
                if part_column != column {
                    return Err(mixed());
                }
                match (&mut merged, moments) {
                    (_, None) => {}
                    (None, Some(moments)) => merged = Some(moments.clone()),
                    (Some(merged), Some(moments)) => merged.merge(moments, column, path)?,
                }
            }
            let dimensions = merged.as_ref().map(|m| m.dimensions.as_slice()).unwrap_or_default();
            let per_dimension = |f: fn(&DimensionMoments) -> Option<f64>| dimensions.iter().map(f).collect();
            Ok(Summary::Stats {
                rows,
                min: per_dimension(|d| (d.count > 0).then_some(d.min)),
                max: per_dimension(|d| (d.count > 0).then_some(d.max)),
                mean: per_dimension(|d| (d.count > 0).then_some(d.mean)),
                std: per_dimension(DimensionMoments::std),
                non_finite: merged.as_ref().map_or(0, |m| m.non_finite),
                part_timings_ms,
            })
        }
    }
}
