//! Checks of the data itself: schema of each data file, and per episode the indices, timing and
//! values. Running sums per feature dimension feed the stats consistency check.

use std::collections::{BTreeMap, BTreeSet};

use arrow_schema::DataType;
use serde::{Deserialize, Serialize};

use super::finding::{Findings, Location};
use crate::columns::flatten_numeric;
use crate::lerobot::info::FeatureKind;
use crate::lerobot::{Dataset, Episode, EpisodeFrames};
use crate::parquet_io::ParquetFile;

/// LeRobot's tolerance for timestamps on the 1/fps grid (`tolerance_s` in the official loader).
pub const TIMESTAMP_TOLERANCE_SECS: f64 = 1e-4;
/// Episodes shorter than this are not judged for frozen signals.
const FROZEN_MIN_FRAMES: usize = 10;

/// Running statistics of one dimension.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DimStats {
    pub count: u64,
    pub non_finite: u64,
    #[serde(with = "crate::shard::any_f64")]
    pub min: f64,
    #[serde(with = "crate::shard::any_f64")]
    pub max: f64,
    #[serde(with = "crate::shard::any_f64")]
    pub sum: f64,
    #[serde(with = "crate::shard::any_f64")]
    pub sum_sq: f64,
}

impl Default for DimStats {
    fn default() -> Self {
        DimStats { count: 0, non_finite: 0, min: f64::INFINITY, max: f64::NEG_INFINITY, sum: 0.0, sum_sq: 0.0 }
    }
}

impl DimStats {
    pub fn push(&mut self, value: f64) {
        if !value.is_finite() {
            self.non_finite += 1;
            return;
        }
        self.count += 1;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        self.sum += value;
        self.sum_sq += value * value;
    }
    pub fn merge(&mut self, other: &DimStats) {
        self.count += other.count;
        self.non_finite += other.non_finite;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.sum += other.sum;
        self.sum_sq += other.sum_sq;
    }
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            f64::NAN
        } else {
            self.sum / self.count as f64
        }
    }
    /// Population standard deviation (as LeRobot stores).
    pub fn std(&self) -> f64 {
        if self.count == 0 {
            return f64::NAN;
        }
        let mean = self.mean();
        (self.sum_sq / self.count as f64 - mean * mean).max(0.0).sqrt()
    }
}

/// An episode's run of the global `index`: first and last value, rows, data file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct IndexRun {
    #[serde(with = "crate::shard::any_f64")]
    first: f64,
    #[serde(with = "crate::shard::any_f64")]
    last: f64,
    rows: usize,
    path: String,
}

/// What the frame checks gather across episodes. Episodes are disjoint between shards, so parts
/// merge by union; the whole-dataset sums are then folded from the episodes' in episode order
/// ([`DataAccumulator::fold_global`]), the same whatever the split.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct DataAccumulator {
    /// feature → per-dimension stats over all episodes read (after [`DataAccumulator::fold_global`]).
    #[serde(skip)]
    pub global: BTreeMap<String, Vec<DimStats>>,
    /// episode → feature → per-dimension stats.
    pub per_episode: BTreeMap<u64, BTreeMap<String, Vec<DimStats>>>,
    /// episode → data file, for locating findings raised after all episodes are read.
    episode_paths: BTreeMap<u64, String>,
    /// episode → its run of `index`, for the global-index check.
    index_runs: BTreeMap<u64, IndexRun>,
    pub frames_read: u64,
}

impl DataAccumulator {
    pub fn new(_dataset: &Dataset) -> Self {
        Self::default()
    }

    /// Adds another shard's episodes; an episode in both is refused (its index is returned).
    pub fn merge(&mut self, other: DataAccumulator) -> Result<(), u64> {
        if let Some(&episode) = other.per_episode.keys().find(|e| self.per_episode.contains_key(e)) {
            return Err(episode);
        }
        self.per_episode.extend(other.per_episode);
        self.episode_paths.extend(other.episode_paths);
        self.index_runs.extend(other.index_runs);
        self.frames_read = self.frames_read.saturating_add(other.frames_read);
        Ok(())
    }

    /// The whole-dataset sums: every episode's, in episode order (the first episode of a feature
    /// fixes its number of dimensions; an episode with another number is left out).
    pub fn fold_global(&mut self) {
        self.global.clear();
        for features in self.per_episode.values() {
            for (feature, dims) in features {
                let global =
                    self.global.entry(feature.clone()).or_insert_with(|| vec![DimStats::default(); dims.len()]);
                if global.len() == dims.len() {
                    global.iter_mut().zip(dims).for_each(|(g, d)| g.merge(d));
                }
            }
        }
    }

    /// After all episodes: frozen signals (constant within an episode while the same dimension
    /// moves elsewhere in the dataset — a dimension constant everywhere, like a fixed component of
    /// a pose, is not a stuck sensor), and the global index continuing from episode to episode.
    pub fn finish(&self, dataset: &Dataset, findings: &mut Findings) {
        for (episode, features) in &self.per_episode {
            let path = self.episode_paths.get(episode).cloned().unwrap_or_default();
            for (feature, dims) in features {
                if matches!(feature.as_str(), "timestamp" | "frame_index" | "episode_index" | "index" | "task_index") {
                    continue;
                }
                let Some(global) = self.global.get(feature) else { continue };
                for (dim, stats) in dims.iter().enumerate() {
                    let moves_elsewhere = global.get(dim).is_some_and(|g| g.max > g.min);
                    let frozen =
                        stats.count >= FROZEN_MIN_FRAMES as u64 && stats.non_finite == 0 && stats.min == stats.max;
                    if frozen && moves_elsewhere {
                        let label = dataset
                            .info
                            .feature(feature)
                            .and_then(|f| f.dimension_labels().get(dim).cloned())
                            .unwrap_or_else(|| format!("{feature}[{dim}]"));
                        findings.add(
                            "value.frozen",
                            Location::file(&path).episode(*episode).feature(feature),
                            format!(
                                "`{label}` stays at {} for all {} frames of episode {episode}, though it moves in other episodes",
                                stats.min, stats.count
                            ),
                            "Check the sensor or joint in this episode; if the value is legitimately constant, ignore this warning.",
                        );
                    }
                }
            }
        }
        // Where each episode's `index` must start: v3.0 says it (dataset_from_index); otherwise it
        // continues from the episode before, when that one was read (an unreadable or missing
        // episode in between is its own finding, not a break in the index).
        let mut previous: Option<(u64, f64)> = None;
        for (episode, IndexRun { first, last, rows, path }) in &self.index_runs {
            if *rows == 0 {
                continue;
            }
            let position = dataset.episodes.iter().position(|e| e.index == *episode);
            let from = position.and_then(|p| dataset.episodes[p].dataset_from_index).map(|f| f as f64);
            let expected = from.or(match (position, previous) {
                (Some(0), _) => Some(0.0),
                (Some(p), Some((before, last))) if dataset.episodes[p - 1].index == before => Some(last + 1.0),
                _ => None,
            });
            if let Some(expected) = expected.filter(|e| first != e) {
                findings.add(
                    "index.global-index",
                    Location::file(path).episode(*episode).frame(0).feature("index"),
                    format!("expected episode {episode} to start at global index {expected}, found {first}"),
                    "Renumber `index` 0..total_frames-1 across episodes in order.",
                );
            }
            previous = Some((*episode, *last));
        }
    }
}

/// Expected arrow leaf type names for a declared dtype.
fn leaf_matches(dtype: &str, leaf: &DataType) -> bool {
    matches!(
        (dtype, leaf),
        ("float32", DataType::Float32)
            | ("float64", DataType::Float64)
            | ("float16", DataType::Float16)
            | ("int64", DataType::Int64)
            | ("int32", DataType::Int32)
            | ("int16", DataType::Int16)
            | ("int8", DataType::Int8)
            | ("uint8", DataType::UInt8)
            | ("uint16", DataType::UInt16)
            | ("uint32", DataType::UInt32)
            | ("uint64", DataType::UInt64)
            | ("bool", DataType::Boolean)
            | ("string", DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
    )
}

/// The leaf type and, where the schema fixes it, the values per row.
fn leaf_and_width(data_type: &DataType) -> (DataType, Option<u64>) {
    match data_type {
        DataType::FixedSizeList(child, n) => {
            let (leaf, inner) = leaf_and_width(child.data_type());
            (leaf, inner.map(|w| w * (*n).max(0) as u64))
        }
        DataType::List(child) | DataType::LargeList(child) => (leaf_and_width(child.data_type()).0, None),
        other => (other.clone(), Some(1)),
    }
}

/// Checks a data file's columns against the declared features; returns the numeric features that
/// can be read from it.
pub fn check_schema(parquet: &ParquetFile, dataset: &Dataset, findings: &mut Findings) -> Vec<String> {
    let path = parquet.path();
    let schema = parquet.schema().clone();
    let mut readable = Vec::new();
    for feature in &dataset.info.features {
        if feature.kind == FeatureKind::Video {
            continue;
        }
        let Ok(field) = schema.field_with_name(&feature.name) else {
            findings.add(
                "schema.column-missing",
                Location::file(path).feature(&feature.name),
                format!("expected a column `{}` ({} {:?}), found none", feature.name, feature.dtype, feature.shape),
                "Write the feature into every data file, or remove it from info.json.",
            );
            continue;
        };
        match feature.kind {
            FeatureKind::Image => {
                if !matches!(field.data_type(), DataType::Struct(_) | DataType::Binary | DataType::LargeBinary) {
                    findings.add(
                        "schema.dtype",
                        Location::file(path).feature(&feature.name),
                        format!("expected an image struct (bytes, path), found {}", field.data_type()),
                        "Store images as {bytes, path} structs as the LeRobot writer does.",
                    );
                }
            }
            FeatureKind::Numeric => {
                let (leaf, width) = leaf_and_width(field.data_type());
                if !leaf_matches(&feature.dtype, &leaf) {
                    findings.add(
                        "schema.dtype",
                        Location::file(path).feature(&feature.name),
                        format!("expected {} values, found {}", feature.dtype, field.data_type()),
                        format!("Store the column as {} (or declare the dtype it has).", feature.dtype),
                    );
                    continue;
                }
                if let Some(width) = width.filter(|w| *w != feature.values_per_frame()) {
                    findings.add(
                        "schema.shape",
                        Location::file(path).feature(&feature.name),
                        format!(
                            "expected {} values per frame (shape {:?}), found {width}",
                            feature.values_per_frame(),
                            feature.shape
                        ),
                        "Store each frame with the declared shape, or fix the declared shape.",
                    );
                    continue;
                }
                readable.push(feature.name.clone());
            }
            FeatureKind::Video | FeatureKind::Other => {}
        }
    }
    let declared: BTreeSet<&str> = dataset.info.features.iter().map(|f| f.name.as_str()).collect();
    for field in schema.fields() {
        if !declared.contains(field.name().as_str()) && !field.name().starts_with("__index_level") {
            findings.add(
                "schema.column-undeclared",
                Location::file(path).feature(field.name()),
                format!("column `{}` ({}) is not declared in info.json features", field.name(), field.data_type()),
                "Declare the feature in info.json, or drop the column.",
            );
        }
    }
    readable
}

/// v3.0: every row of an episode's `dataset_from_index..dataset_to_index` range (by the `index`
/// column) must name that episode in `episode_index`. (Episodes are read by their `episode_index`
/// value, so a row naming another episode would otherwise only make its episode look short.)
pub async fn check_episode_index_in_ranges(parquet: &ParquetFile, dataset: &Dataset, findings: &mut Findings) {
    let path = parquet.path();
    // (from, to, episode) of the episodes stored in this file, by range start.
    let mut ranges: Vec<(u64, u64, u64)> = dataset
        .episodes
        .iter()
        .filter(|e| e.data_file.as_deref() == Some(path))
        .filter_map(|e| Some((e.dataset_from_index?, e.dataset_to_index?, e.index)))
        .filter(|(from, to, _)| from < to)
        .collect();
    if ranges.is_empty() {
        return;
    }
    ranges.sort_unstable();
    let Ok(batches) = parquet.read(&["index", "episode_index"], None).await else { return };
    let mut reported = BTreeSet::new();
    for batch in &batches {
        let column = |name: &str| batch.column_by_name(name).and_then(|a| flatten_numeric(name, a).ok());
        let (Some(index), Some(episode_index)) = (column("index"), column("episode_index")) else { return };
        if index.width != 1 || episode_index.width != 1 {
            return;
        }
        for (&global, &found) in index.values.iter().zip(&episode_index.values) {
            if !(global >= 0.0 && global.fract() == 0.0) {
                continue; // Not a row index: the global-index check reports it.
            }
            let global = global as u64;
            let slot = ranges.partition_point(|(from, _, _)| *from <= global);
            let Some(&(from, to, episode)) = slot.checked_sub(1).map(|i| &ranges[i]) else { continue };
            if global >= to || found == episode as f64 || !reported.insert(episode) {
                continue;
            }
            findings.add(
                "index.episode-index",
                Location::file(path).episode(episode).frame(global - from).feature("episode_index"),
                format!(
                    "expected episode_index {episode} at global index {global} (episode {episode} holds rows \
                     [{from}, {to}) by the episode metadata), found {found}"
                ),
                "Write the episode's own index into every row of its range.",
            );
        }
    }
}

/// The checks of one episode's frames.
pub struct EpisodeCheck<'a> {
    pub dataset: &'a Dataset,
    pub episode: &'a Episode,
    pub path: &'a str,
}

impl EpisodeCheck<'_> {
    fn at(&self, frame: usize, feature: &str) -> Location {
        Location::file(self.path).episode(self.episode.index).frame(frame as u64).feature(feature)
    }

    pub fn run(&self, frames: &EpisodeFrames, accumulator: &mut DataAccumulator, findings: &mut Findings) {
        let ep = self.episode.index;
        let rows = frames.frames;
        accumulator.frames_read += rows as u64;
        if rows as u64 != self.episode.length {
            findings.add(
                "episode.length",
                Location::file(self.path).episode(ep),
                format!(
                    "the episode metadata says {} frames; the data holds {rows} rows for episode {ep}",
                    self.episode.length
                ),
                "Make the episode metadata's length match the rows written (or restore the missing rows).",
            );
        }
        let series = |name: &str| frames.series.iter().find(|s| s.feature == name).and_then(|s| s.dimensions.first());
        if let Some(frame_index) = series("frame_index") {
            if let Some(bad) = frame_index.iter().enumerate().position(|(i, v)| *v != i as f64) {
                findings.add(
                    "index.frame-index",
                    self.at(bad, "frame_index"),
                    format!("expected frame_index {bad} at row {bad} of episode {ep}, found {}", frame_index[bad]),
                    "Renumber frame_index 0..length-1 within each episode.",
                );
            }
        }
        if let Some(episode_index) = series("episode_index") {
            if let Some(bad) = episode_index.iter().position(|v| *v != ep as f64) {
                findings.add(
                    "index.episode-index",
                    self.at(bad, "episode_index"),
                    format!("expected episode_index {ep} (from the episode metadata), found {}", episode_index[bad]),
                    "Write the episode's own index into every row.",
                );
            }
        }
        if let Some(index) = series("index") {
            if let Some(bad) = index.iter().enumerate().skip(1).position(|(i, v)| *v != index[0] + i as f64) {
                let bad = bad + 1;
                findings.add(
                    "index.global-index",
                    self.at(bad, "index"),
                    format!(
                        "expected index {} (one more than the row before), found {}",
                        index[0] + bad as f64,
                        index[bad]
                    ),
                    "Renumber `index` 0..total_frames-1 across episodes in order.",
                );
            }
            if let (Some(first), Some(last)) = (index.first(), index.last()) {
                let run = IndexRun { first: *first, last: *last, rows: index.len(), path: self.path.to_string() };
                accumulator.index_runs.insert(ep, run);
            }
        }
        if let Some(task_index) = series("task_index") {
            let known: BTreeSet<u64> = self.dataset.tasks.iter().map(|t| t.index).collect();
            if !known.is_empty() {
                for (row, value) in task_index.iter().enumerate() {
                    if value.fract() != 0.0 || *value < 0.0 || !known.contains(&(*value as u64)) {
                        findings.add(
                            "index.task-index",
                            self.at(row, "task_index"),
                            format!("task_index {value} is not in the task table ({} tasks)", known.len()),
                            "Point task_index at an existing task, or add the task to the task table.",
                        );
                    }
                }
            }
        }
        self.check_timing(&frames.timestamps_secs, findings);
        let mut episode_stats = BTreeMap::new();
        for s in &frames.series {
            let mut dims = Vec::with_capacity(s.dimensions.len());
            for (dim, values) in s.dimensions.iter().enumerate() {
                let mut stats = DimStats::default();
                values.iter().for_each(|v| stats.push(*v));
                let label = s.labels.get(dim).cloned().unwrap_or_else(|| format!("{}[{dim}]", s.feature));
                let is_index = matches!(
                    s.feature.as_str(),
                    "timestamp" | "frame_index" | "episode_index" | "index" | "task_index"
                );
                if !is_index {
                    self.check_values(&s.feature, &label, values, &stats, findings);
                }
                dims.push(stats);
            }
            episode_stats.insert(s.feature.clone(), dims);
        }
        accumulator.per_episode.insert(ep, episode_stats);
        accumulator.episode_paths.insert(ep, self.path.to_string());
    }

    fn check_timing(&self, timestamps: &[f64], findings: &mut Findings) {
        let Some(fps) = self.dataset.info.fps.filter(|f| f.is_finite() && *f > 0.0) else { return };
        let period = 1.0 / fps;
        let ep = self.episode.index;
        if let Some(first) = timestamps.first() {
            if first.abs() > TIMESTAMP_TOLERANCE_SECS {
                findings.add(
                    "time.start",
                    self.at(0, "timestamp"),
                    format!("expected episode {ep} to start at 0 s, found {first:.4} s"),
                    "Make timestamps relative to the episode start.",
                );
            }
        }
        for (row, pair) in timestamps.windows(2).enumerate() {
            let step = pair[1] - pair[0];
            let frame = row + 1;
            if step.is_nan() || step <= 0.0 {
                findings.add(
                    "time.monotonic",
                    self.at(frame, "timestamp"),
                    format!("expected timestamps to increase, found {:.4} s after {:.4} s", pair[1], pair[0]),
                    "Sort frames by time and remove duplicated frames.",
                );
            } else if step > 1.5 * period {
                findings.add(
                    "time.gap",
                    self.at(frame, "timestamp"),
                    format!(
                        "expected a step of {period:.4} s at {fps} fps, found {step:.4} s (about {} frames missing)",
                        (step / period).round() as i64 - 1
                    ),
                    "Check the recorder for dropped frames; re-record or drop the episode if the gap matters.",
                );
            } else if (step - period).abs() > TIMESTAMP_TOLERANCE_SECS {
                findings.add(
                    "time.grid",
                    self.at(frame, "timestamp"),
                    format!("expected a step of {period:.4} s ± {TIMESTAMP_TOLERANCE_SECS} s at {fps} fps, found {step:.6} s"),
                    "Write timestamps as frame_index / fps.",
                );
            }
        }
        if let (Some(first), Some(last)) = (timestamps.first(), timestamps.last()) {
            let span = last - first + period;
            let expected = self.episode.length as f64 * period;
            if (span - expected).abs() > period + TIMESTAMP_TOLERANCE_SECS {
                findings.add(
                    "time.duration",
                    Location::file(self.path).episode(ep).feature("timestamp"),
                    format!(
                        "expected {expected:.3} s ({} frames at {fps} fps), the timestamps span {span:.3} s",
                        self.episode.length
                    ),
                    "Check for missing frames or a wrong fps.",
                );
            }
        }
    }

    fn check_values(&self, feature: &str, label: &str, values: &[f64], stats: &DimStats, findings: &mut Findings) {
        let ep = self.episode.index;
        if stats.non_finite > 0 {
            if let Some(row) = values.iter().position(|v| !v.is_finite()) {
                findings.add(
                    "value.non-finite",
                    self.at(row, feature),
                    format!("expected finite numbers in `{label}`, found {} in episode {ep} ({} of {} frames)", values[row], stats.non_finite, values.len()),
                    "Fix the recording or interpolate the missing values; drop the episode if they cannot be recovered.",
                );
            }
        }
        let range = stats.max - stats.min;
        if values.len() >= 3 && range > 0.0 {
            let mut steps: Vec<f64> =
                values.windows(2).map(|w| (w[1] - w[0]).abs()).filter(|d| d.is_finite()).collect();
            steps.sort_by(|a, b| a.total_cmp(b));
            let typical = steps.get(steps.len() / 2).copied().unwrap_or(0.0);
            let threshold = (20.0 * typical).max(0.3 * range);
            for row in 1..values.len() - 1 {
                let (before, here, after) = (values[row - 1], values[row], values[row + 1]);
                let (up, down) = (here - before, after - here);
                if up.abs() > threshold
                    && down.abs() > threshold
                    && up.signum() != down.signum()
                    && (after - before).abs() < 0.25 * up.abs().min(down.abs())
                {
                    findings.add(
                        "value.spike",
                        self.at(row, feature),
                        format!("`{label}` jumps from {before:.4} to {here:.4} and back to {after:.4} in one frame"),
                        "Check the sensor at this frame; replace the sample by interpolation if it is a glitch.",
                    );
                }
            }
        }
    }
}
