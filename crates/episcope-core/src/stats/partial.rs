//! Statistics of a shard of a dataset's data files, merged with the other shards' into exactly
//! the statistics of the whole (`episcope stats DIR --shard K/N --partial OUT.json`, then
//! `episcope merge`).
//!
//! What merges exactly, whatever the split and the order of merges: counts, NaN/Inf counts, min,
//! max, frames per task, problems (the first [`super::MAX_PROBLEMS`] in computation order) and
//! mean and std, bit for bit: each data file's moments are kept apart and combined in the fixed
//! order of [`crate::shard::TreeReduction`]. Quantiles and histograms are exact while the merged
//! column still holds its values ([`super::StatsOptions::exact_quantile_max_values`]) and each
//! shard held its own (at most [`SHARD_EXACT_MAX_VALUES`] per column, so a partial stays small);
//! otherwise they come from the merged [`QuantileSketch`](super::QuantileSketch), whose bound is
//! reported as for an unsharded sketch. Not statistics, and so not merged exactly: bytes read (the
//! sum over shards) and the accumulators' peak memory (the largest shard's).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::column::{ColumnAccumulator, MergeColumnError};
use super::{labels_for, DatasetStats, EpisodeLengthStats, FeatureStatistics, Problems, TaskStats};

/// Layout version of a partial's JSON.
pub const PARTIAL_VERSION: u32 = 1;
/// The most values (all dimensions of a column together) a shard holds exactly; beyond, its
/// partial carries a sketch of the column. 65 536 values are about 1.3 MB of JSON.
pub const SHARD_EXACT_MAX_VALUES: u64 = 1 << 16;

/// One feature's part.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FeaturePartial {
    pub feature: String,
    pub declared_values_per_frame: u64,
    pub declared_labels: Vec<String>,
    /// Too many values per frame to compute (a problem says so).
    pub skipped: bool,
    /// `None` while no row was read.
    pub column: Option<ColumnAccumulator>,
}

/// The statistics of some shards of a dataset, to be merged with the rest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatsPartial {
    pub partial_version: u32,
    /// The `N` of the `K/N` shards.
    pub shard_count: u32,
    /// The shards this part covers.
    pub shards: BTreeSet<u32>,
    #[serde(with = "crate::shard::any_f64")]
    pub fps: f64,
    pub frames_read: u64,
    pub features: Vec<FeaturePartial>,
    pub episode_lengths: EpisodeLengthStats,
    /// With the frames of this part.
    pub tasks: Vec<TaskStats>,
    pub frames_with_unknown_task: u64,
    /// Every data file of the dataset (the units shards split).
    pub data_files: Vec<String>,
    pub bytes_read: u64,
    pub(crate) problems: Problems,
}

/// Why parts cannot be merged or finished.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatsMergeError {
    #[error("the parts are of different datasets (their data files or episodes differ)")]
    DifferentDatasets,
    #[error("the parts were cut into different numbers of shards ({expected} and {found})")]
    ShardCount { expected: u32, found: u32 },
    #[error("shard {shard}/{count} is in more than one part")]
    Overlap { shard: u32, count: u32 },
    #[error("shards {missing} of {count} are missing")]
    Missing { missing: String, count: u32 },
    #[error("the parts were computed with different options (features, quantiles or bins)")]
    Options,
    #[error("feature `{feature}`: {source}")]
    Column { feature: String, source: MergeColumnError },
    #[error("partial layout version {found} (this build reads {PARTIAL_VERSION})")]
    Version { found: u32 },
}

impl StatsPartial {
    /// Adds another part of the same dataset (other shards).
    pub fn merge(&mut self, other: StatsPartial) -> Result<(), StatsMergeError> {
        if other.partial_version != PARTIAL_VERSION {
            return Err(StatsMergeError::Version { found: other.partial_version });
        }
        if other.shard_count != self.shard_count {
            return Err(StatsMergeError::ShardCount { expected: self.shard_count, found: other.shard_count });
        }
        if other.data_files != self.data_files
            || other.episode_lengths != self.episode_lengths
            || other.tasks.len() != self.tasks.len()
            || other.fps.to_bits() != self.fps.to_bits()
        {
            return Err(StatsMergeError::DifferentDatasets);
        }
        if let Some(&shard) = self.shards.intersection(&other.shards).next() {
            return Err(StatsMergeError::Overlap { shard, count: self.shard_count });
        }
        let same_features = other.features.len() == self.features.len()
            && other.features.iter().zip(&self.features).all(|(a, b)| a.feature == b.feature);
        if !same_features {
            return Err(StatsMergeError::Options);
        }
        for (mine, theirs) in self.tasks.iter_mut().zip(&other.tasks) {
            if (mine.task_index, &mine.task) != (theirs.task_index, &theirs.task) {
                return Err(StatsMergeError::DifferentDatasets);
            }
            mine.frames = mine.frames.saturating_add(theirs.frames);
        }
        for (mine, theirs) in self.features.iter_mut().zip(other.features) {
            mine.skipped |= theirs.skipped;
            mine.column = match (mine.column.take(), theirs.column) {
                (Some(mut a), Some(b)) => {
                    a.merge(b).map_err(|source| StatsMergeError::Column { feature: mine.feature.clone(), source })?;
                    Some(a)
                }
                (a, b) => a.or(b),
            };
        }
        self.shards.extend(other.shards);
        self.frames_read = self.frames_read.saturating_add(other.frames_read);
        self.frames_with_unknown_task = self.frames_with_unknown_task.saturating_add(other.frames_with_unknown_task);
        self.bytes_read = self.bytes_read.saturating_add(other.bytes_read);
        self.problems.merge(other.problems);
        Ok(())
    }

    /// Whether every shard is in.
    pub fn is_complete(&self) -> bool {
        self.shards.len() as u64 == self.shard_count as u64
    }

    /// The statistics of the whole dataset, once every shard is in.
    pub fn finish(self) -> Result<DatasetStats, StatsMergeError> {
        if !self.is_complete() {
            let missing: Vec<String> =
                (0..self.shard_count).filter(|k| !self.shards.contains(k)).map(|k| k.to_string()).collect();
            return Err(StatsMergeError::Missing { missing: missing.join(", "), count: self.shard_count });
        }
        let features = self
            .features
            .into_iter()
            .map(|part| {
                let (rows, peak, dims) = match part.column.filter(|_| !part.skipped) {
                    Some(column) => (column.rows(), column.peak_retained_values(), column.finish()),
                    None => (0, 0, Vec::new()),
                };
                FeatureStatistics {
                    labels: labels_for(
                        &part.feature,
                        part.declared_values_per_frame,
                        &part.declared_labels,
                        dims.len(),
                    ),
                    feature: part.feature,
                    dims,
                    rows,
                    peak_retained_values: peak,
                }
            })
            .collect();
        let fps = self.fps;
        let tasks = self.tasks.into_iter().map(|t| TaskStats { hours: t.frames as f64 / fps / 3600.0, ..t }).collect();
        Ok(DatasetStats {
            fps,
            frames_read: self.frames_read,
            features,
            episode_lengths: self.episode_lengths,
            tasks,
            frames_with_unknown_task: self.frames_with_unknown_task,
            data_files: self.data_files,
            bytes_read: self.bytes_read,
            problems: self.problems.listed.into_iter().map(|p| p.problem).collect(),
            problems_omitted: self.problems.omitted,
        })
    }
}
