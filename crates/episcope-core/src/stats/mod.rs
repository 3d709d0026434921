//! Exact statistics over every frame of a dataset (not a sample), computed one feature column at
//! a time with bounded memory, a progress callback and cancellation.
//!
//! Per numeric feature and dimension: count, NaN and ±Inf counts, min, max, mean, population std
//! (as LeRobot stores it), quantiles (q01, q10, q50, q90, q99 by default) and a 64-bin histogram.
//! Over the dataset: the distribution of episode lengths, and frames and hours per task.
//!
//! # How it reads
//!
//! For each column, every data file of the dataset's episodes is read, row groups batched up to
//! [`READ_BUDGET_BYTES`] of compressed column data (and [`READ_BUDGET_VALUES`] values) per read,
//! so at most one batch of row groups is decoded at a time. Row groups share a read only when
//! their chunks of the column lie close together ([`MAX_GAP_WASTE`]), so only that column's
//! chunks are fetched (one request per row group in the usual layout, where other columns lie
//! between them). Each file's footer is read once and kept while the footers kept take less than
//! [`FOOTER_CACHE_BYTES`] of memory (else re-read per column). Bytes read: the footers once, and
//! each numeric column chunk once (`task_index` is one of them: its values also attribute frames
//! to tasks).
//!
//! Frames are those of the data files the episodes point to (in v3.0, every row of those files);
//! a file that cannot be read is a [`StatsProblem`], and [`DatasetStats::frames_read`] then falls
//! short of the metadata's total. Episode lengths come from the episode metadata.
//!
//! # What is exact
//!
//! Count, NaN/Inf counts, min and max are exact; mean and std are computed in `f64` with a
//! numerically stable chunked two-pass + Chan merge (see [`Moments`]). Non-finite values (NaN,
//! nulls, which read as NaN, and ±Inf) are counted and left out of everything else.
//!
//! Quantiles are exact while a column's values fit in [`StatsOptions::exact_quantile_max_values`]
//! (all dimensions together; default [`DEFAULT_EXACT_QUANTILE_MAX_VALUES`], 16 Mi values = 128 MiB
//! of `f64`): then they follow numpy's default definition, `numpy.quantile(x, q)` with linear
//! interpolation between the two values around the virtual index `(n − 1)·q`, and the histogram
//! counts are exact. Beyond it, every dimension of the column switches to a [`QuantileSketch`]
//! whose rank-error bound is deterministic and reported ([`QuantileMethod::Sketch`]): each
//! quantile is a value whose true rank is within `rank_error · count` of `q · count`. The
//! histogram is then built from the sketch: the counts still sum to the count, each within
//! [`Histogram::max_count_error`] of the truth.

mod column;
pub mod drift;
mod histogram;
mod moments;
pub mod partial;
mod quantiles;

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};

pub use column::{ColumnAccumulator, MergeColumnError};
pub use histogram::{Binning, Histogram};
pub use moments::Moments;
pub use partial::{StatsMergeError, StatsPartial};
pub use quantiles::{numpy_linear_quantile, QuantileSketch, MAX_SKETCH_RETAINED_VALUES, SKETCH_LEVEL_CAPACITY};

use crate::columns::flatten_numeric;
use crate::lerobot::info::{Feature, FeatureKind};
use crate::lerobot::Dataset;
use crate::parquet_io::ParquetFile;
use crate::shard::Shard;
use crate::tree::DatasetTree;

/// The quantiles computed by default (those LeRobot v3.0 stores).
pub const DEFAULT_QUANTILES: [f64; 5] = [0.01, 0.10, 0.50, 0.90, 0.99];
/// Histogram bins per dimension by default.
pub const DEFAULT_HISTOGRAM_BINS: usize = 64;
/// The most histogram bins a caller may ask for.
pub const MAX_HISTOGRAM_BINS: usize = 1 << 16;
/// Bins of the episode-length histogram.
pub const EPISODE_LENGTH_BINS: usize = 20;
/// Values (all dimensions of one column together) held for exact quantiles by default: 16 Mi
/// values, 128 MiB of `f64`.
pub const DEFAULT_EXACT_QUANTILE_MAX_VALUES: u64 = 1 << 24;
/// Features with more values per frame than this are skipped by default (each dimension costs an
/// accumulator).
pub const DEFAULT_MAX_DIMENSIONS: usize = 4096;
/// Compressed column bytes fetched per read (a row group larger than this is read alone).
pub const READ_BUDGET_BYTES: u64 = 16 * 1024 * 1024;
/// Values (rows × declared values per frame) decoded per read (a larger row group is read alone).
pub const READ_BUDGET_VALUES: u64 = 4 * 1024 * 1024;
/// The most bytes of other columns a read may span between its row groups' chunks, as a fraction
/// of the bytes wanted (see `read_groups`).
pub const MAX_GAP_WASTE: f64 = 0.125;
/// Memory the parsed footers kept between columns may take.
pub const FOOTER_CACHE_BYTES: usize = 64 * 1024 * 1024;
/// Problems listed in a result; the rest are counted in [`DatasetStats::problems_omitted`].
pub const MAX_PROBLEMS: usize = 100;

/// What to compute.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsOptions {
    /// The features to compute (numeric ones of `info.json`); all numeric features when `None`.
    pub features: Option<Vec<String>>,
    /// Quantiles to compute, each in `[0, 1]`.
    pub quantiles: Vec<f64>,
    /// Histogram bins per dimension, `1..=MAX_HISTOGRAM_BINS`.
    pub histogram_bins: usize,
    /// The most values (all dimensions of one column together) held for exact quantiles; beyond
    /// it the column uses a [`QuantileSketch`]. 0 always uses the sketch.
    pub exact_quantile_max_values: u64,
    /// Features with more values per frame are skipped (with a problem).
    pub max_dimensions: usize,
}

impl Default for StatsOptions {
    fn default() -> Self {
        Self {
            features: None,
            quantiles: DEFAULT_QUANTILES.to_vec(),
            histogram_bins: DEFAULT_HISTOGRAM_BINS,
            exact_quantile_max_values: DEFAULT_EXACT_QUANTILE_MAX_VALUES,
            max_dimensions: DEFAULT_MAX_DIMENSIONS,
        }
    }
}

/// How a dimension's quantiles were computed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum QuantileMethod {
    /// From every value: `numpy.quantile(x, q)` (linear interpolation).
    Exact,
    /// From a [`QuantileSketch`]: each reported value's true rank is within `rank_error · count`
    /// of `q · count` (a guaranteed bound, not a probability).
    Sketch { rank_error: f64 },
}

/// One quantile.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QuantileValue {
    pub q: f64,
    pub value: f64,
}

/// The statistics of one dimension of a feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DimensionStatistics {
    /// Finite values.
    pub count: u64,
    /// NaN values (nulls included).
    pub nan_count: u64,
    pub pos_inf_count: u64,
    pub neg_inf_count: u64,
    /// `None` when there is no finite value.
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub mean: Option<f64>,
    /// Population standard deviation (divided by the count).
    pub std: Option<f64>,
    /// One per requested quantile, in the requested order (empty when there is no finite value).
    pub quantiles: Vec<QuantileValue>,
    pub quantile_method: QuantileMethod,
    pub histogram: Option<Histogram>,
}

impl DimensionStatistics {
    /// The value of quantile `q` (as requested, e.g. `0.01`).
    pub fn quantile(&self, q: f64) -> Option<f64> {
        self.quantiles.iter().find(|v| (v.q - q).abs() < 1e-12).map(|v| v.value)
    }
}

/// The statistics of one feature, dimension by dimension (2-D features flattened row-major).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureStatistics {
    pub feature: String,
    pub labels: Vec<String>,
    pub dims: Vec<DimensionStatistics>,
    /// Rows (frames) read.
    pub rows: u64,
    /// The most values the accumulator held at once (exact buffers or sketches).
    pub peak_retained_values: usize,
}

/// The distribution of episode lengths (frames), from the episode metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpisodeLengthStats {
    pub count: u64,
    pub total_frames: u64,
    pub min: Option<u64>,
    pub max: Option<u64>,
    pub mean: Option<f64>,
    /// Population standard deviation.
    pub std: Option<f64>,
    /// [`EPISODE_LENGTH_BINS`] bins between the shortest and the longest.
    pub histogram: Option<Histogram>,
}

/// Frames of one task, attributed frame by frame through `task_index`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskStats {
    pub task_index: u64,
    pub task: String,
    pub frames: u64,
    /// `frames / fps / 3600`.
    pub hours: f64,
    /// Episodes whose metadata lists this task.
    pub episodes: u64,
}

/// Something that could not be read; its values are left out of the statistics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsProblem {
    pub path: String,
    pub feature: Option<String>,
    pub message: String,
}

/// Statistics over every frame of a dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetStats {
    /// The fps used for hours.
    pub fps: f64,
    /// Frames whose `task_index` was read.
    pub frames_read: u64,
    pub features: Vec<FeatureStatistics>,
    pub episode_lengths: EpisodeLengthStats,
    pub tasks: Vec<TaskStats>,
    /// Frames whose `task_index` is not a task of the dataset (or not an integer, or absent).
    pub frames_with_unknown_task: u64,
    /// Data files read.
    pub data_files: Vec<String>,
    /// Bytes read through the tree while computing.
    pub bytes_read: u64,
    pub problems: Vec<StatsProblem>,
    pub problems_omitted: u64,
}

impl DatasetStats {
    pub fn feature(&self, name: &str) -> Option<&FeatureStatistics> {
        self.features.iter().find(|f| f.feature == name)
    }
}

/// Where the computation is, for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsProgress {
    /// The column being read.
    pub column: String,
    pub columns_done: usize,
    pub columns_total: usize,
    pub files_done: usize,
    pub files_total: usize,
    /// Bytes read so far.
    pub bytes_read: u64,
    /// Values the current column's accumulator holds.
    pub retained_values: usize,
}

/// Why statistics could not be computed.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum StatsError {
    #[error("cancelled")]
    Cancelled,
    #[error("feature `{feature}` is not declared in meta/info.json")]
    UnknownFeature { feature: String },
    #[error("feature `{feature}` ({dtype}) is not numeric")]
    NotNumeric { feature: String, dtype: String },
    #[error("invalid options: {reason}")]
    InvalidOptions { reason: String },
}

impl StatsOptions {
    fn validate(&self) -> Result<(), StatsError> {
        let invalid = |reason: String| Err(StatsError::InvalidOptions { reason });
        if let Some(q) = self.quantiles.iter().find(|q| !(0.0..=1.0).contains(*q)) {
            return invalid(format!("quantile {q} is outside [0, 1]"));
        }
        if !(1..=MAX_HISTOGRAM_BINS).contains(&self.histogram_bins) {
            return invalid(format!("histogram_bins {} is outside 1..={MAX_HISTOGRAM_BINS}", self.histogram_bins));
        }
        if self.max_dimensions == 0 {
            return invalid("max_dimensions is 0".to_string());
        }
        Ok(())
    }
}

/// Problems in the order of the computation (column by column, file by file), listing at most
/// [`MAX_PROBLEMS`]. Each is keyed by (column, file, order) so that shards' lists merge into the
/// whole computation's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Problems {
    pub(crate) listed: Vec<KeyedProblem>,
    pub(crate) omitted: u64,
    /// Where the next problem is pushed from: (column, file).
    #[serde(skip)]
    at: (usize, usize),
    #[serde(skip)]
    order: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct KeyedProblem {
    pub(crate) key: (usize, usize, usize),
    pub(crate) problem: StatsProblem,
}

impl Problems {
    fn at(&mut self, column: usize, file: usize) {
        if self.at != (column, file) {
            self.at = (column, file);
            self.order = 0;
        }
    }

    fn push(&mut self, path: &str, feature: Option<&str>, message: String) {
        let key = (self.at.0, self.at.1, self.order);
        self.order += 1;
        if self.listed.len() < MAX_PROBLEMS {
            let problem = StatsProblem { path: path.to_string(), feature: feature.map(str::to_string), message };
            self.listed.push(KeyedProblem { key, problem });
        } else {
            self.omitted += 1;
        }
    }

    /// Adds another shard's problems: the first [`MAX_PROBLEMS`] of both in computation order.
    pub(crate) fn merge(&mut self, other: Problems) {
        self.listed.extend(other.listed);
        self.listed.sort_by_key(|p| p.key);
        let over = self.listed.len().saturating_sub(MAX_PROBLEMS);
        self.listed.truncate(MAX_PROBLEMS);
        self.omitted = self.omitted.saturating_add(other.omitted).saturating_add(over as u64);
    }
}

/// The data files' parsed footers, kept within [`FOOTER_CACHE_BYTES`].
struct Footers<'a> {
    tree: &'a DatasetTree,
    paths: &'a [String],
    cached: Vec<Option<ParquetFile>>,
    failed: Vec<bool>,
    cached_bytes: usize,
}

/// A footer from the cache or read for one use.
enum Footer<'a> {
    Cached(&'a ParquetFile),
    Owned(ParquetFile),
}

impl std::ops::Deref for Footer<'_> {
    type Target = ParquetFile;
    fn deref(&self) -> &ParquetFile {
        match self {
            Footer::Cached(file) => file,
            Footer::Owned(file) => file,
        }
    }
}

impl<'a> Footers<'a> {
    fn new(tree: &'a DatasetTree, paths: &'a [String]) -> Self {
        Self {
            tree,
            paths,
            cached: paths.iter().map(|_| None).collect(),
            failed: vec![false; paths.len()],
            cached_bytes: 0,
        }
    }

    /// The footer of file `i`; `None` if it cannot be read (reported once).
    async fn get(&mut self, i: usize, problems: &mut Problems) -> Option<Footer<'_>> {
        if self.failed[i] {
            return None;
        }
        if self.cached[i].is_none() {
            let path = &self.paths[i];
            let Some(file) = self.tree.get(path) else {
                self.failed[i] = true;
                problems.push(path, None, "data file is missing".to_string());
                return None;
            };
            // Through the tree's cache: the footers episode reads parsed are reused, and kept.
            let parquet = match ParquetFile::open_cached(file.source.clone(), path, self.tree.footers()).await {
                Ok(parquet) => parquet,
                Err(e) => {
                    self.failed[i] = true;
                    problems.push(path, None, e.to_string());
                    return None;
                }
            };
            let size = parquet.metadata().memory_size();
            if self.cached_bytes.saturating_add(size) > FOOTER_CACHE_BYTES {
                return Some(Footer::Owned(parquet));
            }
            self.cached_bytes += size;
            self.cached[i] = Some(parquet);
        }
        self.cached[i].as_ref().map(Footer::Cached)
    }
}

/// Groups a file's row groups into reads of at most [`READ_BUDGET_BYTES`] compressed bytes of the
/// column and [`READ_BUDGET_VALUES`] values (a larger row group is a read of its own).
///
/// Row groups join a read only while the bytes between their chunks of the column (other columns'
/// chunks) stay under [`MAX_GAP_WASTE`] of the read: [`ParquetFile::read`] fetches nearby ranges
/// as one, and a file with small row groups would otherwise be fetched whole for every column.
fn read_groups(parquet: &ParquetFile, column: &str, values_per_row: u64) -> Vec<Vec<usize>> {
    let metadata = parquet.metadata();
    let descr = metadata.file_metadata().schema_descr();
    let root = parquet.schema().index_of(column).ok();
    let leaves: Vec<usize> =
        (0..descr.num_columns()).filter(|&leaf| Some(descr.get_column_root_idx(leaf)) == root).collect();
    let mut groups = Vec::new();
    let (mut current, mut bytes, mut values, mut end) = (Vec::new(), 0u64, 0u64, None::<u64>);
    for (index, row_group) in metadata.row_groups().iter().enumerate() {
        let (mut rg_start, mut rg_end, mut rg_bytes) = (u64::MAX, 0u64, 0u64);
        for chunk in leaves.iter().filter_map(|&leaf| row_group.columns().get(leaf)) {
            let start = chunk.dictionary_page_offset().unwrap_or_else(|| chunk.data_page_offset());
            let (start, len) = (u64::try_from(start).unwrap_or(0), u64::try_from(chunk.compressed_size()).unwrap_or(0));
            rg_start = rg_start.min(start);
            rg_end = rg_end.max(start.saturating_add(len));
            rg_bytes = rg_bytes.saturating_add(len);
        }
        let rg_values = u64::try_from(row_group.num_rows()).unwrap_or(0).saturating_mul(values_per_row.max(1));
        let gap = match end {
            Some(end) if rg_start >= end => rg_start - end,
            _ => u64::MAX,
        };
        let wasteful = gap as f64 > MAX_GAP_WASTE * bytes.saturating_add(rg_bytes) as f64;
        if !current.is_empty()
            && (wasteful
                || bytes.saturating_add(rg_bytes) > READ_BUDGET_BYTES
                || values.saturating_add(rg_values) > READ_BUDGET_VALUES)
        {
            groups.push(std::mem::take(&mut current));
            (bytes, values) = (0, 0);
        }
        current.push(index);
        bytes = bytes.saturating_add(rg_bytes);
        values = values.saturating_add(rg_values);
        end = (rg_end > 0).then_some(rg_end);
    }
    if !current.is_empty() {
        groups.push(current);
    }
    groups
}

/// Frames per task, from the `task_index` column.
struct TaskTally {
    frames: BTreeMap<u64, u64>,
    unknown: u64,
    /// Rows of `task_index` read.
    read: u64,
}

impl TaskTally {
    fn add(&mut self, values: &[f64]) {
        for &v in values {
            let index = (v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < u64::MAX as f64).then_some(v as u64);
            match index.and_then(|i| self.frames.get_mut(&i)) {
                Some(frames) => *frames += 1,
                None => self.unknown += 1,
            }
        }
    }
}

/// One column to read: a feature's statistics, the task tally, or both (`task_index`).
struct ColumnJob<'a> {
    name: &'a str,
    feature: Option<&'a Feature>,
    tally: bool,
}

/// Why the rest of a file (or of a feature) is skipped.
enum Skip {
    Cancelled,
    /// The rest of this file, with a message.
    File(String),
    /// The feature altogether, with a message.
    Feature(String),
}

struct Run<'a, 'p> {
    tree: &'a DatasetTree,
    options: &'a StatsOptions,
    progress: &'p mut dyn FnMut(StatsProgress) -> ControlFlow<()>,
    bytes_at_start: u64,
    columns_done: usize,
    columns_total: usize,
    files_total: usize,
    /// Data files of the whole dataset (the units of the accumulators).
    units: u64,
    /// A shard's accumulators hold at most this many values exactly while reading.
    holding_at_most: Option<u64>,
}

impl Run<'_, '_> {
    fn report(&mut self, column: &str, files_done: usize, accumulator: Option<&ColumnAccumulator>) -> ControlFlow<()> {
        (self.progress)(StatsProgress {
            column: column.to_string(),
            columns_done: self.columns_done,
            columns_total: self.columns_total,
            files_done,
            files_total: self.files_total,
            bytes_read: self.tree.io().bytes_read().saturating_sub(self.bytes_at_start),
            retained_values: accumulator.map_or(0, ColumnAccumulator::retained_values),
        })
    }

    /// Reads one column of one file into the accumulator (created at the first rows) and tally.
    async fn read_file(
        &mut self,
        parquet: &ParquetFile,
        job: &ColumnJob<'_>,
        file_index: usize,
        accumulator: &mut Option<ColumnAccumulator>,
        tally: &mut TaskTally,
    ) -> Result<(), Skip> {
        let declared = job.feature.map_or(1, Feature::values_per_frame).min(self.options.max_dimensions as u64);
        for group in read_groups(parquet, job.name, declared) {
            let batches =
                parquet.read(&[job.name], Some(group.as_slice())).await.map_err(|e| Skip::File(e.to_string()))?;
            for batch in &batches {
                let Some(array) = batch.column_by_name(job.name) else { continue };
                let flat = flatten_numeric(job.name, array).map_err(|e| Skip::File(e.to_string()))?;
                if flat.rows == 0 {
                    continue;
                }
                if accumulator.is_none() {
                    if flat.width > self.options.max_dimensions {
                        return Err(Skip::Feature(format!(
                            "{} values per frame, more than the {} this computation allows",
                            flat.width, self.options.max_dimensions
                        )));
                    }
                    let column = ColumnAccumulator::over_units(flat.width, self.options, self.units);
                    *accumulator = Some(match self.holding_at_most {
                        Some(values) => column.holding_at_most(values),
                        None => column,
                    });
                }
                let Some(accumulator) = accumulator.as_mut() else { continue };
                accumulator.start_unit(file_index as u64);
                if flat.width != accumulator.width() {
                    return Err(Skip::File(format!(
                        "{} values per frame here, {} in the files before",
                        flat.width,
                        accumulator.width()
                    )));
                }
                if job.tally {
                    tally.read = tally.read.saturating_add(flat.rows as u64);
                    if flat.width == 1 {
                        tally.add(&flat.values);
                    } else {
                        tally.unknown += flat.rows as u64;
                    }
                }
                if job.feature.is_some() {
                    accumulator.push_rows(&flat.values);
                } else {
                    // Tally only: count the rows, keep no values.
                    accumulator.push_rows(&[]);
                }
            }
            if self.report(job.name, file_index, accumulator.as_ref()).is_break() {
                return Err(Skip::Cancelled);
            }
        }
        Ok(())
    }
}

/// The data files of the dataset's episodes (all of `data/` if no episode locates one), sorted.
fn data_files(dataset: &Dataset) -> Vec<String> {
    let mut files: Vec<String> = dataset.episodes.iter().filter_map(|e| e.data_file.clone()).collect();
    if files.is_empty() {
        files = dataset.data_files.clone();
    }
    files.sort();
    files.dedup();
    files
}

fn episode_lengths(dataset: &Dataset) -> EpisodeLengthStats {
    let lengths: Vec<f64> = dataset.episodes.iter().map(|e| e.length as f64).collect();
    let moments = Moments::of_chunk(&lengths);
    let min = dataset.episodes.iter().map(|e| e.length).min();
    let max = dataset.episodes.iter().map(|e| e.length).max();
    let histogram = min.zip(max).map(|(min, max)| {
        let binning = Binning::new(min as f64, max as f64, EPISODE_LENGTH_BINS);
        Histogram::from_counts(&binning, binning.count(&lengths), 0)
    });
    EpisodeLengthStats {
        count: dataset.episodes.len() as u64,
        total_frames: dataset.episodes.iter().map(|e| e.length).fold(0u64, u64::saturating_add),
        min,
        max,
        mean: moments.mean(),
        std: moments.std(),
        histogram,
    }
}

fn labels_for(name: &str, declared_values_per_frame: u64, declared: &[String], width: usize) -> Vec<String> {
    // Used only when the declaration matches the data (a declared shape is not a bound).
    if declared_values_per_frame == width as u64 && declared.len() == width {
        declared.to_vec()
    } else if width == 1 {
        vec![name.to_string()]
    } else {
        (0..width).map(|d| format!("{name}[{d}]")).collect()
    }
}

/// Computes statistics over every frame of every episode's data file, one column at a time.
///
/// `progress` is called at least once per file and per read within a file; returning
/// `ControlFlow::Break(())` stops the computation with [`StatsError::Cancelled`]. What cannot be
/// read (a missing or corrupt file, a column absent from a file) is a [`StatsProblem`] and left out.
pub async fn compute_dataset_stats(
    tree: &DatasetTree,
    dataset: &Dataset,
    options: &StatsOptions,
    progress: &mut dyn FnMut(StatsProgress) -> ControlFlow<()>,
) -> Result<DatasetStats, StatsError> {
    let partial = compute_stats_partial(tree, dataset, options, Shard::WHOLE, progress).await?;
    // One part of one shard is complete: `finish` has nothing to refuse.
    partial.finish().map_err(|e| StatsError::InvalidOptions { reason: e.to_string() })
}

/// Computes the statistics of one shard of the data files (a contiguous block of them, sorted):
/// a [`StatsPartial`] that merges with the other shards' into exactly what
/// [`compute_dataset_stats`] gives (see [`partial`]).
pub async fn compute_stats_partial(
    tree: &DatasetTree,
    dataset: &Dataset,
    options: &StatsOptions,
    shard: Shard,
    progress: &mut dyn FnMut(StatsProgress) -> ControlFlow<()>,
) -> Result<StatsPartial, StatsError> {
    options.validate()?;
    let features: Vec<&Feature> = match &options.features {
        None => dataset.info.features.iter().filter(|f| f.kind == FeatureKind::Numeric).collect(),
        Some(names) => {
            let mut chosen = Vec::with_capacity(names.len());
            for name in names {
                let feature =
                    dataset.info.feature(name).ok_or_else(|| StatsError::UnknownFeature { feature: name.clone() })?;
                if feature.kind != FeatureKind::Numeric {
                    return Err(StatsError::NotNumeric { feature: name.clone(), dtype: feature.dtype.clone() });
                }
                if !chosen.iter().any(|f: &&Feature| f.name == feature.name) {
                    chosen.push(feature);
                }
            }
            chosen
        }
    };
    let mut jobs: Vec<ColumnJob> = features
        .iter()
        .map(|f| ColumnJob { name: &f.name, feature: Some(*f), tally: f.name == "task_index" })
        .collect();
    if !jobs.iter().any(|j| j.tally) {
        jobs.push(ColumnJob { name: "task_index", feature: None, tally: true });
    }

    let files = data_files(dataset);
    let owned = shard.range(files.len());
    let units = owned.start as u64..owned.end as u64;
    let mut footers = Footers::new(tree, &files);
    let mut problems = Problems::default();
    let mut tally = TaskTally { frames: dataset.tasks.iter().map(|t| (t.index, 0)).collect(), unknown: 0, read: 0 };
    let mut run = Run {
        tree,
        options,
        progress,
        bytes_at_start: tree.io().bytes_read(),
        columns_done: 0,
        columns_total: jobs.len(),
        files_total: files.len(),
        units: files.len() as u64,
        holding_at_most: (shard != Shard::WHOLE).then_some(partial::SHARD_EXACT_MAX_VALUES),
    };
    let mut columns = Vec::with_capacity(features.len());
    for (job_index, job) in jobs.iter().enumerate() {
        let mut accumulator: Option<ColumnAccumulator> = None;
        let mut skipped = false;
        for file_index in owned.clone() {
            let path = &files[file_index];
            problems.at(job_index, file_index);
            if run.report(job.name, file_index, accumulator.as_ref()).is_break() {
                return Err(StatsError::Cancelled);
            }
            let Some(parquet) = footers.get(file_index, &mut problems).await else { continue };
            if !parquet.has_column(job.name) {
                if job.tally {
                    tally.unknown = tally.unknown.saturating_add(parquet.num_rows());
                }
                let what = if job.feature.is_some() { "" } else { " (frames not attributed to tasks)" };
                problems.push(path, Some(job.name), format!("no `{}` column{what}", job.name));
                continue;
            }
            match run.read_file(&parquet, job, file_index, &mut accumulator, &mut tally).await {
                Ok(()) => {}
                Err(Skip::Cancelled) => return Err(StatsError::Cancelled),
                Err(Skip::File(message)) => problems.push(path, Some(job.name), message),
                Err(Skip::Feature(message)) => {
                    problems.push(path, Some(job.name), message);
                    skipped = true;
                    break;
                }
            }
        }
        run.columns_done += 1;
        if run.report(job.name, owned.end, accumulator.as_ref()).is_break() {
            return Err(StatsError::Cancelled);
        }
        let Some(feature) = job.feature else { continue };
        let column = accumulator.filter(|_| !skipped).map(|mut column| {
            column.seal(units.clone());
            column
        });
        columns.push(partial::FeaturePartial {
            feature: job.name.to_string(),
            declared_values_per_frame: feature.values_per_frame(),
            declared_labels: feature.dimension_labels(),
            skipped,
            column,
        });
    }

    let fps = dataset.fps();
    let tasks = dataset
        .tasks
        .iter()
        .map(|task| TaskStats {
            task_index: task.index,
            task: task.text.clone(),
            frames: tally.frames.get(&task.index).copied().unwrap_or(0),
            hours: 0.0,
            episodes: dataset.episodes.iter().filter(|e| e.tasks.contains(&task.text)).count() as u64,
        })
        .collect();
    Ok(StatsPartial {
        partial_version: partial::PARTIAL_VERSION,
        shard_count: shard.count,
        shards: std::collections::BTreeSet::from([shard.index]),
        fps,
        frames_read: tally.read,
        features: columns,
        episode_lengths: episode_lengths(dataset),
        tasks,
        frames_with_unknown_task: tally.unknown,
        bytes_read: tree.io().bytes_read().saturating_sub(run.bytes_at_start),
        data_files: files,
        problems,
    })
}
