//! Synthetic LeRobot v3.0 datasets of any size, laid out as the official writer lays them out, for
//! benchmarks and scale tests (feature `synthetic`; no `std::fs`: files go to a [`DatasetSink`]).
//!
//! What the official v3.0 writer (`lerobot` 0.6) does and this generator mirrors:
//! - `data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet`, snappy, **one row group per
//!   episode**, a new file once `file size + average bytes per frame × episode frames ≥
//!   data_files_size_in_mb` (MiB), `chunks_size` files per chunk folder;
//! - vector features as `fixed_size_list<float>[N]` (list fields named `element`, as pyarrow names
//!   them), `timestamp` float32 = `frame_index / fps`, int64 indices, a `huggingface` schema entry;
//! - `meta/episodes/chunk-…/file-….parquet` with `episode_index`, `tasks` (`list<string>`),
//!   `length`, `data/chunk_index`, `data/file_index`, `dataset_from_index`, `dataset_to_index`,
//!   `videos/<camera>/{chunk_index,file_index,from_timestamp,to_timestamp}`,
//!   `stats/<feature>/{min,max,mean,std,count,q01,q10,q50,q90,q99}` (`list<double>`, `count`
//!   `list<int64>`) and `meta/episodes/{chunk_index,file_index}`; the recorder writes one row
//!   group per 10 episodes ([`RECORDER_METADATA_ROW_GROUP_EPISODES`]) and rolls files by the same
//!   size rule;
//! - `meta/tasks.parquet` (`task_index`, `task`), `meta/stats.json`, `meta/info.json`.
//!
//! The numbers: each joint follows a sum of three low-frequency sines with per-episode random
//! amplitude split, frequency and phase, plus small noise; `action` leads the state by
//! [`ACTION_LEAD_SECS`]. Per-episode stats are exact (every value sorted); `meta/stats.json` has
//! exact count, min, max, mean and std, and quantiles computed as `episcope stats` computes them
//! (exact up to [`SyntheticSpec::exact_quantile_max_values`] values per feature, then a bounded
//! sketch). Everything is a function of the seed.
//!
//! Cameras are declared (video features, `videos/…` columns with timestamps, per-channel stats
//! drawn at random) but no mp4 is written. With [`SyntheticSpec::metadata_only`] the data files are
//! encoded into a byte counter, not written: `meta/` comes out byte-identical to a full run.

use std::sync::Arc;

use arrow_array::builder::{Float64Builder, Int64Builder, ListBuilder, StringBuilder};
use arrow_array::{ArrayRef, FixedSizeListArray, Float32Array, Int64Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use serde_json::{json, Map, Value};

use crate::stats::{ColumnAccumulator, DimensionStatistics, StatsOptions};
use crate::writer::{
    episode_stats_column, next_file, stats_json_object, write_json, write_tasks, RollingParquet, WriteError, STAT_NAMES,
};
pub use crate::writer::{
    DatasetSink, MemorySink, WrittenFile, BYTES_PER_MB, DEFAULT_CHUNKS_SIZE, DEFAULT_DATA_FILES_SIZE_IN_MB,
    DEFAULT_VIDEO_FILES_SIZE_IN_MB,
};

/// Episodes per row group of `meta/episodes/` as the recorder buffers them.
pub const RECORDER_METADATA_ROW_GROUP_EPISODES: usize = 10;
/// How far `action` runs ahead of `observation.state`.
pub const ACTION_LEAD_SECS: f64 = 0.1;
/// Bounds on the settings (each sizes an allocation).
pub const MAX_DIMS: usize = 1024;
pub const MAX_TASKS: usize = 1 << 20;
pub const MAX_CAMERAS: usize = 16;
pub const MAX_EPISODES: u64 = 1 << 24;
/// No episode may be longer than this (one episode's frames are held in memory).
pub const MAX_EPISODE_FRAMES: u64 = 1 << 22;
/// Episode lengths vary uniformly within this factor of the mean.
const LENGTH_SPREAD: (f64, f64) = (0.6, 1.4);
/// Bytes one frame of one camera adds to its mp4 (AV1 at a few hundred pixels square), to roll the
/// declared video files as the writer would.
const ESTIMATED_VIDEO_BYTES_PER_FRAME: f64 = 4000.0;
/// Sines per joint trajectory.
const COMPONENTS: usize = 3;
/// Joint names of a bimanual ALOHA arm pair (used when there are 14 dimensions).
const ALOHA_JOINTS: [&str; 7] =
    ["waist", "shoulder", "elbow", "forearm_roll", "wrist_angle", "wrist_rotate", "gripper"];
/// Coprime with 8 × 12 × 10 = 960.
const TASK_STRIDE: usize = 389;
const TASK_VERBS: [&str; 8] = ["pick up", "push", "place", "stack", "open", "close", "slide", "lift"];
const TASK_OBJECTS: [&str; 12] = [
    "the red cube",
    "the blue bowl",
    "the green cup",
    "the marker",
    "the sponge",
    "the drawer",
    "the lid",
    "the banana",
    "the towel",
    "the screwdriver",
    "the mug",
    "the yellow block",
];
const TASK_PLACES: [&str; 10] = [
    "on the table",
    "into the bin",
    "onto the plate",
    "to the left",
    "to the right",
    "next to the sink",
    "on the shelf",
    "into the box",
    "behind the cup",
    "in front of the robot",
];

/// Why a synthetic dataset could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SyntheticError {
    #[error("invalid generator settings: {reason}")]
    InvalidSpec { reason: String },
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// Named sizes of the scale targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// 100 000 frames, ALOHA-like (14 joints, 30 fps, 20 s episodes).
    Frames100k,
    /// 1 000 000 frames, same robot.
    Frames1M,
    /// 2 000 000 frames, same robot.
    Frames2M,
    /// DROID scale, `meta/` only: 95 600 episodes, 27 950 000 frames at 15 fps, 8 joints, 3 cameras.
    DroidMetadata,
}

impl Preset {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "100k" => Some(Preset::Frames100k),
            "1m" => Some(Preset::Frames1M),
            "2m" => Some(Preset::Frames2M),
            "droid-metadata" => Some(Preset::DroidMetadata),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Preset::Frames100k => "100k",
            Preset::Frames1M => "1m",
            Preset::Frames2M => "2m",
            Preset::DroidMetadata => "droid-metadata",
        }
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticSpec {
    pub total_frames: u64,
    pub total_episodes: u64,
    pub fps: u32,
    /// Width of `observation.state`.
    pub state_dims: usize,
    /// Width of `action`; dimension `d` follows state dimension `d % state_dims`.
    pub action_dims: usize,
    /// Distinct task strings (each episode draws one).
    pub tasks: usize,
    /// Declared video features (no mp4 is written).
    pub cameras: usize,
    pub robot_type: String,
    pub seed: u64,
    pub chunks_size: u64,
    pub data_files_size_in_mb: u64,
    pub video_files_size_in_mb: u64,
    /// Episodes per row group in `meta/episodes/` (the recorder: 10).
    pub metadata_row_group_episodes: usize,
    /// Write `meta/` only (the data files are encoded to count their bytes, not written).
    pub metadata_only: bool,
    /// Values per feature held for exact quantiles in `meta/stats.json` before a sketch takes over
    /// (peak memory is about 8 bytes × this × the number of features).
    pub exact_quantile_max_values: u64,
}

impl Default for SyntheticSpec {
    fn default() -> Self {
        SyntheticSpec::preset(Preset::Frames100k)
    }
}

impl SyntheticSpec {
    pub fn preset(preset: Preset) -> Self {
        let aloha = |total_frames: u64| SyntheticSpec {
            total_frames,
            total_episodes: total_frames.div_ceil(600),
            fps: 30,
            state_dims: 14,
            action_dims: 14,
            tasks: 8,
            cameras: 0,
            robot_type: "aloha".into(),
            seed: 0,
            chunks_size: DEFAULT_CHUNKS_SIZE,
            data_files_size_in_mb: DEFAULT_DATA_FILES_SIZE_IN_MB,
            video_files_size_in_mb: DEFAULT_VIDEO_FILES_SIZE_IN_MB,
            metadata_row_group_episodes: RECORDER_METADATA_ROW_GROUP_EPISODES,
            metadata_only: false,
            exact_quantile_max_values: crate::stats::DEFAULT_EXACT_QUANTILE_MAX_VALUES,
        };
        match preset {
            Preset::Frames100k => aloha(100_000),
            Preset::Frames1M => aloha(1_000_000),
            Preset::Frames2M => aloha(2_000_000),
            Preset::DroidMetadata => SyntheticSpec {
                total_frames: 27_950_000,
                total_episodes: 95_600,
                fps: 15,
                state_dims: 8,
                action_dims: 8,
                tasks: 2000,
                cameras: 3,
                robot_type: "franka".into(),
                // The v2.1→v3.0 converter writes the episode table in batches of 1000 rows.
                metadata_row_group_episodes: 1000,
                metadata_only: true,
                // Seven features stream 28M frames: keep the exact buffers to 16 MiB each.
                exact_quantile_max_values: 1 << 21,
                ..aloha(0)
            },
        }
    }

    /// Checks the settings against the bounds above.
    pub fn validate(&self) -> Result<(), SyntheticError> {
        let invalid = |reason: String| Err(SyntheticError::InvalidSpec { reason });
        if self.total_episodes == 0 || self.total_episodes > MAX_EPISODES {
            return invalid(format!("episodes must be 1..={MAX_EPISODES}, not {}", self.total_episodes));
        }
        if self.total_frames < self.total_episodes {
            return invalid(format!(
                "{} frames cannot fill {} episodes (at least one frame each)",
                self.total_frames, self.total_episodes
            ));
        }
        let mean_frames = self.total_frames / self.total_episodes;
        if mean_frames.saturating_mul(2) > MAX_EPISODE_FRAMES {
            return invalid(format!(
                "episodes of {mean_frames} frames on average are too long (at most {} on average)",
                MAX_EPISODE_FRAMES / 2
            ));
        }
        if self.fps == 0 || self.fps > 10_000 {
            return invalid(format!("fps must be 1..=10000, not {}", self.fps));
        }
        for (what, dims) in [("state", self.state_dims), ("action", self.action_dims)] {
            if dims == 0 || dims > MAX_DIMS {
                return invalid(format!("{what} dimensions must be 1..={MAX_DIMS}, not {dims}"));
            }
        }
        if self.tasks == 0 || self.tasks > MAX_TASKS {
            return invalid(format!("tasks must be 1..={MAX_TASKS}, not {}", self.tasks));
        }
        if self.cameras > MAX_CAMERAS {
            return invalid(format!("cameras must be 0..={MAX_CAMERAS}, not {}", self.cameras));
        }
        if self.chunks_size == 0 || self.data_files_size_in_mb == 0 || self.video_files_size_in_mb == 0 {
            return invalid("chunks_size and the file sizes must be at least 1".into());
        }
        if self.metadata_row_group_episodes == 0 {
            return invalid("episodes per metadata row group must be at least 1".into());
        }
        Ok(())
    }

    /// Frames of each episode: uniform within [`LENGTH_SPREAD`] of the mean, summing exactly to
    /// `total_frames`, at least one each.
    pub fn episode_lengths(&self) -> Vec<u64> {
        let episodes = self.total_episodes as usize;
        let mut rng = Rng::new(mix(self.seed, STREAM_LENGTHS));
        let weights: Vec<f64> =
            (0..episodes).map(|_| LENGTH_SPREAD.0 + (LENGTH_SPREAD.1 - LENGTH_SPREAD.0) * rng.next_f64()).collect();
        let total_weight: f64 = weights.iter().sum();
        let mut lengths = Vec::with_capacity(episodes);
        let (mut cumulative, mut previous_end) = (0.0, 0u64);
        for (i, weight) in weights.iter().enumerate() {
            cumulative += weight;
            let episodes_after = (episodes - i - 1) as u64;
            let ideal = (cumulative / total_weight * self.total_frames as f64).round() as u64;
            let end = if episodes_after == 0 {
                self.total_frames
            } else {
                ideal.max(previous_end + 1).min(self.total_frames - episodes_after)
            };
            lengths.push(end - previous_end);
            previous_end = end;
        }
        lengths
    }

    /// The task strings, all distinct.
    pub fn task_texts(&self) -> Vec<String> {
        let combinations = TASK_VERBS.len() * TASK_OBJECTS.len() * TASK_PLACES.len();
        (0..self.tasks)
            .map(|i| {
                // A stride coprime with the number of combinations visits each once, and makes
                // neighbouring tasks differ in verb, object and place.
                let k = (i % combinations) * TASK_STRIDE % combinations;
                let verb = TASK_VERBS[k % TASK_VERBS.len()];
                let object = TASK_OBJECTS[(k / TASK_VERBS.len()) % TASK_OBJECTS.len()];
                let place = TASK_PLACES[(k / (TASK_VERBS.len() * TASK_OBJECTS.len())) % TASK_PLACES.len()];
                match i / combinations {
                    0 => format!("{verb} {object} {place}"),
                    round => format!("{verb} {object} {place} (variant {round})"),
                }
            })
            .collect()
    }

    fn camera_names(&self) -> Vec<String> {
        const DROID: [&str; 3] = ["exterior_1_left", "exterior_2_left", "wrist_left"];
        (0..self.cameras)
            .map(|i| match DROID.get(i) {
                Some(name) if self.cameras <= DROID.len() => format!("observation.images.{name}"),
                _ => format!("observation.images.cam_{i}"),
            })
            .collect()
    }

    fn joint_names(&self, dims: usize) -> Vec<String> {
        if dims == 2 * ALOHA_JOINTS.len() {
            ["left", "right"]
                .iter()
                .flat_map(|side| ALOHA_JOINTS.iter().map(move |joint| format!("{side}_{joint}")))
                .collect()
        } else {
            (0..dims).map(|d| if d + 1 == dims && dims > 1 { "gripper".into() } else { format!("joint_{d}") }).collect()
        }
    }
}

/// What a run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateSummary {
    pub total_episodes: u64,
    pub total_frames: u64,
    pub data_files: Vec<WrittenFile>,
    pub episode_files: Vec<WrittenFile>,
    /// `info.json`, `stats.json`, `tasks.parquet`.
    pub other_files: Vec<WrittenFile>,
    /// Most values held for quantiles by the dataset-level stats at any time.
    pub peak_retained_values: usize,
}

impl GenerateSummary {
    /// Bytes actually written.
    pub fn bytes_written(&self) -> u64 {
        self.data_files
            .iter()
            .chain(&self.episode_files)
            .chain(&self.other_files)
            .filter(|f| f.written)
            .map(|f| f.bytes)
            .sum()
    }
}

/// How far a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenerateProgress {
    pub episodes_done: u64,
    pub episodes_total: u64,
    pub frames_done: u64,
}

/// Writes a synthetic dataset described by `spec` into `sink`; `progress` is called after every
/// episode.
pub fn write_synthetic_dataset(
    spec: &SyntheticSpec,
    sink: &mut dyn DatasetSink,
    progress: &mut dyn FnMut(GenerateProgress),
) -> Result<GenerateSummary, SyntheticError> {
    spec.validate()?;
    let lengths = spec.episode_lengths();
    let tasks = spec.task_texts();
    let cameras = spec.camera_names();
    let model = TrajectoryModel::new(spec);
    let layout = Layout::new(spec, &cameras);

    let mut other_files = vec![write_tasks(sink, &tasks)?];
    let global_options = StatsOptions {
        exact_quantile_max_values: spec.exact_quantile_max_values,
        histogram_bins: 1,
        ..StatsOptions::default()
    };
    let episode_options =
        StatsOptions { exact_quantile_max_values: u64::MAX, histogram_bins: 1, ..StatsOptions::default() };
    let widths = layout.numeric_widths();
    let mut global: Vec<ColumnAccumulator> =
        widths.iter().map(|&w| ColumnAccumulator::new(w, &global_options)).collect();
    let mut global_cameras = vec![CameraAggregate::default(); cameras.len()];
    let mut peak_retained_values = 0usize;

    let mut data =
        RollingParquet::new("data", layout.data_schema.clone(), spec.data_files_size_in_mb, spec.chunks_size);
    let mut episodes_out = RollingParquet::new(
        "meta/episodes",
        layout.episodes_schema.clone(),
        spec.data_files_size_in_mb,
        spec.chunks_size,
    );
    let mut videos: Vec<VideoRoll> = cameras.iter().map(|_| VideoRoll::default()).collect();
    let mut pending: Vec<EpisodeRow> = Vec::with_capacity(spec.metadata_row_group_episodes.min(lengths.len()));
    let mut task_rng = Rng::new(mix(spec.seed, STREAM_TASKS));
    let mut from_index = 0u64;

    for (episode, &length) in lengths.iter().enumerate() {
        let episode = episode as u64;
        let task_index = task_rng.below(tasks.len() as u64);
        let frames = model.episode(spec, episode, length, task_index, from_index);
        // Stats: exact per episode, streamed into the dataset's.
        let columns = frames.numeric_columns();
        let mut episode_stats = Vec::with_capacity(columns.len());
        for ((values, &width), accumulator) in columns.iter().zip(&widths).zip(global.iter_mut()) {
            let mut per_episode = ColumnAccumulator::new(width, &episode_options);
            per_episode.push_rows(values);
            accumulator.push_rows(values);
            episode_stats.push(per_episode.finish());
        }
        peak_retained_values = peak_retained_values.max(global.iter().map(ColumnAccumulator::retained_values).sum());

        let (chunk_index, file_index) = data.place(sink, spec.metadata_only, length)?;
        let batch = frames
            .record_batch(&layout.data_schema)
            .map_err(|reason| WriteError::Arrow { reason, path: data.current_path() })?;
        data.write_row_group(&batch, length)?;

        let mut camera_rows = Vec::with_capacity(cameras.len());
        for (camera, (roll, aggregate)) in videos.iter_mut().zip(global_cameras.iter_mut()).enumerate() {
            let window = roll.place(length, spec);
            let stats = CameraStats::draw(spec.seed, episode, camera as u64, length);
            aggregate.add(&stats);
            camera_rows.push((window, stats));
        }
        pending.push(EpisodeRow {
            episode,
            task: tasks[task_index as usize].clone(),
            length,
            data_file: (chunk_index, file_index),
            from_index,
            stats: episode_stats,
            cameras: camera_rows,
        });
        from_index += length;
        if pending.len() == spec.metadata_row_group_episodes {
            flush_episode_rows(sink, &mut episodes_out, &layout, &mut pending)?;
        }
        progress(GenerateProgress {
            episodes_done: episode + 1,
            episodes_total: spec.total_episodes,
            frames_done: from_index,
        });
    }
    flush_episode_rows(sink, &mut episodes_out, &layout, &mut pending)?;
    let data_files = data.finish()?;
    let episode_files = episodes_out.finish()?;

    let global_stats: Vec<Vec<DimensionStatistics>> = global.into_iter().map(ColumnAccumulator::finish).collect();
    other_files.push(write_json(sink, "meta/stats.json", &stats_json(&layout, &global_stats, &global_cameras))?);
    other_files.push(write_json(sink, "meta/info.json", &info_json(spec, &layout))?);
    Ok(GenerateSummary {
        total_episodes: spec.total_episodes,
        total_frames: spec.total_frames,
        data_files,
        episode_files,
        other_files,
        peak_retained_values,
    })
}

// ---------------------------------------------------------------------------------------------
// Randomness: SplitMix64, one independent stream per purpose and episode.

const STREAM_LENGTHS: u64 = 1;
const STREAM_TASKS: u64 = 2;
const STREAM_JOINTS: u64 = 3;
const STREAM_EPISODE: u64 = 4;
const STREAM_CAMERA: u64 = 5;

fn mix(a: u64, b: u64) -> u64 {
    let mut rng = Rng::new(a ^ b.wrapping_mul(0xA076_1D64_78BD_642F));
    rng.next_u64()
}

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn range(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.next_f64()
    }

    /// Uniform in 0..n (n ≥ 1).
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Approximately normal, mean 0, std 1 (sum of four uniforms).
    fn noise(&mut self) -> f64 {
        let sum: f64 = (0..4).map(|_| self.next_f64()).sum();
        (sum - 2.0) * 3.0f64.sqrt()
    }
}

// ---------------------------------------------------------------------------------------------
// Trajectories.

/// A joint's range: trajectories swing around `center_rad` by up to `amplitude_rad`.
struct Joint {
    center_rad: f64,
    amplitude_rad: f64,
    noise_rad: f64,
}

struct TrajectoryModel {
    joints: Vec<Joint>,
    period_secs: f64,
}

/// One episode's sines for one joint.
struct JointMotion {
    center_rad: f64,
    amplitudes_rad: [f64; COMPONENTS],
    frequencies_hz: [f64; COMPONENTS],
    phases_rad: [f64; COMPONENTS],
    noise_rad: f64,
}

impl JointMotion {
    fn at(&self, time_secs: f64) -> f64 {
        let mut value = self.center_rad;
        for k in 0..COMPONENTS {
            value += self.amplitudes_rad[k]
                * (std::f64::consts::TAU * self.frequencies_hz[k] * time_secs + self.phases_rad[k]).sin();
        }
        value
    }
}

/// One episode's frames, column by column.
struct EpisodeFrames {
    length: usize,
    state_dims: usize,
    action_dims: usize,
    state: Vec<f32>,
    action: Vec<f32>,
    timestamp: Vec<f32>,
    frame_index: Vec<i64>,
    episode_index: i64,
    from_index: i64,
    task_index: i64,
}

impl TrajectoryModel {
    fn new(spec: &SyntheticSpec) -> Self {
        let mut rng = Rng::new(mix(spec.seed, STREAM_JOINTS));
        let joints = (0..spec.state_dims)
            .map(|_| {
                let amplitude_rad = rng.range(0.2, 0.9);
                Joint { center_rad: rng.range(-1.2, 1.2), amplitude_rad, noise_rad: 0.002 * amplitude_rad }
            })
            .collect();
        TrajectoryModel { joints, period_secs: 1.0 / f64::from(spec.fps) }
    }

    fn motions(&self, spec: &SyntheticSpec, episode: u64) -> (Vec<JointMotion>, Rng) {
        let mut rng = Rng::new(mix(mix(spec.seed, STREAM_EPISODE), episode));
        let motions = self
            .joints
            .iter()
            .map(|joint| {
                let weights: [f64; COMPONENTS] = std::array::from_fn(|_| rng.range(0.2, 1.0));
                let total: f64 = weights.iter().sum();
                JointMotion {
                    center_rad: joint.center_rad + rng.range(-0.1, 0.1),
                    amplitudes_rad: weights.map(|w| joint.amplitude_rad * w / total),
                    frequencies_hz: std::array::from_fn(|k| rng.range(0.03, 0.15) * (k + 1) as f64),
                    phases_rad: std::array::from_fn(|_| rng.range(0.0, std::f64::consts::TAU)),
                    noise_rad: joint.noise_rad,
                }
            })
            .collect();
        (motions, rng)
    }

    fn episode(
        &self,
        spec: &SyntheticSpec,
        episode: u64,
        length: u64,
        task_index: u64,
        from_index: u64,
    ) -> EpisodeFrames {
        let (motions, mut rng) = self.motions(spec, episode);
        let length = length as usize;
        let (state_dims, action_dims) = (spec.state_dims, spec.action_dims);
        let mut state = Vec::with_capacity(length * state_dims);
        let mut action = Vec::with_capacity(length * action_dims);
        let mut timestamp = Vec::with_capacity(length);
        for frame in 0..length {
            let time_secs = frame as f64 * self.period_secs;
            for motion in &motions {
                state.push((motion.at(time_secs) + motion.noise_rad * rng.noise()) as f32);
            }
            for d in 0..action_dims {
                let motion = &motions[d % state_dims];
                action.push((motion.at(time_secs + ACTION_LEAD_SECS) + motion.noise_rad * rng.noise()) as f32);
            }
            // LeRobot: `frame_index / fps` in Python floats, stored as float32.
            timestamp.push((frame as f64 / f64::from(spec.fps)) as f32);
        }
        EpisodeFrames {
            length,
            state_dims,
            action_dims,
            state,
            action,
            timestamp,
            frame_index: (0..length as i64).collect(),
            episode_index: episode as i64,
            from_index: from_index as i64,
            task_index: task_index as i64,
        }
    }
}

impl EpisodeFrames {
    /// The numeric features as row-major f64, in [`Layout::numeric_features`] order.
    fn numeric_columns(&self) -> Vec<Vec<f64>> {
        let n = self.length;
        vec![
            self.state.iter().map(|&v| f64::from(v)).collect(),
            self.action.iter().map(|&v| f64::from(v)).collect(),
            self.timestamp.iter().map(|&v| f64::from(v)).collect(),
            self.frame_index.iter().map(|&v| v as f64).collect(),
            vec![self.episode_index as f64; n],
            (0..n as i64).map(|i| (self.from_index + i) as f64).collect(),
            vec![self.task_index as f64; n],
        ]
    }

    fn record_batch(&self, schema: &SchemaRef) -> Result<RecordBatch, String> {
        let n = self.length;
        let vector = |values: &[f32], dims: usize| -> Result<ArrayRef, String> {
            let item = Arc::new(Field::new("element", DataType::Float32, true));
            FixedSizeListArray::try_new(item, dims as i32, Arc::new(Float32Array::from(values.to_vec())), None)
                .map(|a| Arc::new(a) as ArrayRef)
                .map_err(|e| e.to_string())
        };
        let columns: Vec<ArrayRef> = vec![
            vector(&self.state, self.state_dims)?,
            vector(&self.action, self.action_dims)?,
            Arc::new(Float32Array::from(self.timestamp.clone())),
            Arc::new(Int64Array::from(self.frame_index.clone())),
            Arc::new(Int64Array::from(vec![self.episode_index; n])),
            Arc::new(Int64Array::from_iter_values((0..n as i64).map(|i| self.from_index + i))),
            Arc::new(Int64Array::from(vec![self.task_index; n])),
        ];
        RecordBatch::try_new(schema.clone(), columns).map_err(|e| e.to_string())
    }
}

// ---------------------------------------------------------------------------------------------
// Layout: features, schemas.

struct Layout {
    /// Numeric features in info.json order: name, dtype, width, names.
    numeric: Vec<(String, &'static str, usize, Option<Vec<String>>)>,
    cameras: Vec<String>,
    data_schema: SchemaRef,
    episodes_schema: SchemaRef,
}

impl Layout {
    fn new(spec: &SyntheticSpec, cameras: &[String]) -> Self {
        let numeric = vec![
            ("observation.state".to_string(), "float32", spec.state_dims, Some(spec.joint_names(spec.state_dims))),
            ("action".to_string(), "float32", spec.action_dims, Some(spec.joint_names(spec.action_dims))),
            ("timestamp".to_string(), "float32", 1, None),
            ("frame_index".to_string(), "int64", 1, None),
            ("episode_index".to_string(), "int64", 1, None),
            ("index".to_string(), "int64", 1, None),
            ("task_index".to_string(), "int64", 1, None),
        ];
        let element = |data_type: DataType| Arc::new(Field::new("element", data_type, true));
        let vector = |dims: usize| DataType::FixedSizeList(element(DataType::Float32), dims as i32);
        let mut hf_features = Map::new();
        for (name, dtype, width, _) in &numeric {
            let value = json!({"dtype": dtype, "_type": "Value"});
            let feature = if name == "observation.state" || name == "action" {
                json!({"feature": value, "length": width, "_type": "List"})
            } else {
                value
            };
            hf_features.insert(name.clone(), feature);
        }
        let hf = json!({"info": {"features": hf_features}}).to_string();
        let data_fields = vec![
            Field::new("observation.state", vector(spec.state_dims), true),
            Field::new("action", vector(spec.action_dims), true),
            Field::new("timestamp", DataType::Float32, true),
            Field::new("frame_index", DataType::Int64, true),
            Field::new("episode_index", DataType::Int64, true),
            Field::new("index", DataType::Int64, true),
            Field::new("task_index", DataType::Int64, true),
        ];
        let data_schema = Arc::new(Schema::new_with_metadata(
            data_fields,
            std::collections::HashMap::from([("huggingface".to_string(), hf)]),
        ));

        let list_of = |data_type: DataType| DataType::List(element(data_type));
        let mut fields = vec![
            Field::new("episode_index", DataType::Int64, true),
            Field::new("tasks", list_of(DataType::Utf8), true),
            Field::new("length", DataType::Int64, true),
            Field::new("data/chunk_index", DataType::Int64, true),
            Field::new("data/file_index", DataType::Int64, true),
            Field::new("dataset_from_index", DataType::Int64, true),
            Field::new("dataset_to_index", DataType::Int64, true),
        ];
        for camera in cameras {
            fields.push(Field::new(format!("videos/{camera}/chunk_index"), DataType::Int64, true));
            fields.push(Field::new(format!("videos/{camera}/file_index"), DataType::Int64, true));
            fields.push(Field::new(format!("videos/{camera}/from_timestamp"), DataType::Float64, true));
            fields.push(Field::new(format!("videos/{camera}/to_timestamp"), DataType::Float64, true));
        }
        let per_channel = list_of(list_of(list_of(DataType::Float64)));
        for feature in feature_order(&numeric, cameras) {
            let is_camera = matches!(feature, FeatureRef::Camera(_));
            for stat in STAT_NAMES {
                let data_type = match (stat, is_camera) {
                    ("count", _) => list_of(DataType::Int64),
                    (_, true) => per_channel.clone(),
                    (_, false) => list_of(DataType::Float64),
                };
                fields.push(Field::new(format!("stats/{}/{stat}", feature.name(&numeric, cameras)), data_type, true));
            }
        }
        fields.push(Field::new("meta/episodes/chunk_index", DataType::Int64, true));
        fields.push(Field::new("meta/episodes/file_index", DataType::Int64, true));
        Layout { numeric, cameras: cameras.to_vec(), data_schema, episodes_schema: Arc::new(Schema::new(fields)) }
    }

    fn numeric_widths(&self) -> Vec<usize> {
        self.numeric.iter().map(|(_, _, width, _)| *width).collect()
    }
}

/// A feature in info.json order: the two vectors, the cameras, then the five index columns.
#[derive(Clone, Copy)]
enum FeatureRef {
    Numeric(usize),
    Camera(usize),
}

impl FeatureRef {
    fn name<'a>(
        self,
        numeric: &'a [(String, &'static str, usize, Option<Vec<String>>)],
        cameras: &'a [String],
    ) -> &'a str {
        match self {
            FeatureRef::Numeric(i) => &numeric[i].0,
            FeatureRef::Camera(i) => &cameras[i],
        }
    }
}

fn feature_order(
    numeric: &[(String, &'static str, usize, Option<Vec<String>>)],
    cameras: &[String],
) -> Vec<FeatureRef> {
    let vectors = 2.min(numeric.len());
    (0..vectors)
        .map(FeatureRef::Numeric)
        .chain((0..cameras.len()).map(FeatureRef::Camera))
        .chain((vectors..numeric.len()).map(FeatureRef::Numeric))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Cameras: declared, with drawn per-channel stats and rolled video files.

#[derive(Debug, Clone, Copy, PartialEq)]
struct VideoWindow {
    chunk_index: u64,
    file_index: u64,
    from_timestamp_secs: f64,
    to_timestamp_secs: f64,
}

/// One camera's video files as the converter concatenates them.
#[derive(Default)]
struct VideoRoll {
    chunk_index: u64,
    file_index: u64,
    size_mb: f64,
    time_secs: f64,
    episodes_in_file: u64,
}

impl VideoRoll {
    fn place(&mut self, length: u64, spec: &SyntheticSpec) -> VideoWindow {
        let episode_mb = length as f64 * ESTIMATED_VIDEO_BYTES_PER_FRAME / BYTES_PER_MB as f64;
        let duration_secs = length as f64 / f64::from(spec.fps);
        if self.episodes_in_file > 0 && self.size_mb + episode_mb >= spec.video_files_size_in_mb as f64 {
            (self.chunk_index, self.file_index) = next_file(self.chunk_index, self.file_index, spec.chunks_size);
            self.size_mb = 0.0;
            self.time_secs = 0.0;
            self.episodes_in_file = 0;
        }
        let window = VideoWindow {
            chunk_index: self.chunk_index,
            file_index: self.file_index,
            from_timestamp_secs: self.time_secs,
            to_timestamp_secs: self.time_secs + duration_secs,
        };
        self.size_mb += episode_mb;
        self.time_secs += duration_secs;
        self.episodes_in_file += 1;
        window
    }
}

/// Per-channel (RGB) pixel stats of one episode of one camera, in [0, 1].
#[derive(Debug, Clone)]
struct CameraStats {
    /// `[stat][channel]` in [`STAT_NAMES`] order without `count`.
    values: [[f64; 3]; 9],
    count: u64,
}

impl CameraStats {
    fn draw(seed: u64, episode: u64, camera: u64, length: u64) -> Self {
        let mut rng = Rng::new(mix(mix(mix(seed, STREAM_CAMERA), camera), episode));
        let channels: [[f64; 9]; 3] = std::array::from_fn(|_| {
            let (min, max) = (rng.range(0.0, 0.06), rng.range(0.9, 1.0));
            let (mean, std) = (rng.range(0.3, 0.6), rng.range(0.15, 0.3));
            let clamp = |v: f64| v.clamp(min, max);
            [
                min,
                max,
                mean,
                std,
                clamp(min + 0.02 * (max - min)),
                clamp(mean - 1.2816 * std),
                clamp(mean),
                clamp(mean + 1.2816 * std),
                clamp(max - 0.02 * (max - min)),
            ]
        });
        let values = std::array::from_fn(|stat| std::array::from_fn(|channel| channels[channel][stat]));
        // LeRobot samples about length^0.75 frames (at least 100, at most all) for image stats.
        let count = ((length as f64).powf(0.75) as u64).max(100).min(length);
        CameraStats { values, count }
    }
}

/// Dataset-level camera stats aggregated as LeRobot's `aggregate_stats` does: min of minima, max of
/// maxima, count-weighted mean, pooled variance, count-weighted mean of quantiles.
#[derive(Debug, Clone, Default)]
struct CameraAggregate {
    count: u64,
    min: [f64; 3],
    max: [f64; 3],
    weighted_mean: [f64; 3],
    weighted_second_moment: [f64; 3],
    weighted_quantiles: [[f64; 3]; 5],
}

impl CameraAggregate {
    fn add(&mut self, stats: &CameraStats) {
        let n = stats.count as f64;
        for c in 0..3 {
            let (min, max, mean, std) =
                (stats.values[0][c], stats.values[1][c], stats.values[2][c], stats.values[3][c]);
            self.min[c] = if self.count == 0 { min } else { self.min[c].min(min) };
            self.max[c] = if self.count == 0 { max } else { self.max[c].max(max) };
            self.weighted_mean[c] += n * mean;
            self.weighted_second_moment[c] += n * (std * std + mean * mean);
            for q in 0..5 {
                self.weighted_quantiles[q][c] += n * stats.values[4 + q][c];
            }
        }
        self.count += stats.count;
    }

    /// `[stat][channel]` in [`STAT_NAMES`] order without `count`.
    fn values(&self) -> [[f64; 3]; 9] {
        let n = (self.count as f64).max(1.0);
        let mean: [f64; 3] = std::array::from_fn(|c| self.weighted_mean[c] / n);
        let std = std::array::from_fn(|c| (self.weighted_second_moment[c] / n - mean[c] * mean[c]).max(0.0).sqrt());
        let quantile = |q: usize| std::array::from_fn(|c| self.weighted_quantiles[q][c] / n);
        [self.min, self.max, mean, std, quantile(0), quantile(1), quantile(2), quantile(3), quantile(4)]
    }
}

// ---------------------------------------------------------------------------------------------
// Episode metadata rows.

struct EpisodeRow {
    episode: u64,
    task: String,
    length: u64,
    data_file: (u64, u64),
    from_index: u64,
    /// Per numeric feature, per dimension.
    stats: Vec<Vec<DimensionStatistics>>,
    cameras: Vec<(VideoWindow, CameraStats)>,
}

fn flush_episode_rows(
    sink: &mut dyn DatasetSink,
    out: &mut RollingParquet,
    layout: &Layout,
    rows: &mut Vec<EpisodeRow>,
) -> Result<(), SyntheticError> {
    if rows.is_empty() {
        return Ok(());
    }
    let group_frames = rows.len() as u64;
    let (meta_chunk, meta_file) = out.place(sink, false, group_frames)?;
    let int64 =
        |values: Vec<u64>| -> ArrayRef { Arc::new(Int64Array::from_iter_values(values.into_iter().map(|v| v as i64))) };
    let float64 = |values: Vec<f64>| -> ArrayRef { Arc::new(arrow_array::Float64Array::from(values)) };
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(layout.episodes_schema.fields().len());
    columns.push(int64(rows.iter().map(|r| r.episode).collect()));
    let mut tasks =
        ListBuilder::new(StringBuilder::new()).with_field(Arc::new(Field::new("element", DataType::Utf8, true)));
    for row in rows.iter() {
        tasks.values().append_value(&row.task);
        tasks.append(true);
    }
    columns.push(Arc::new(tasks.finish()));
    columns.push(int64(rows.iter().map(|r| r.length).collect()));
    columns.push(int64(rows.iter().map(|r| r.data_file.0).collect()));
    columns.push(int64(rows.iter().map(|r| r.data_file.1).collect()));
    columns.push(int64(rows.iter().map(|r| r.from_index).collect()));
    columns.push(int64(rows.iter().map(|r| r.from_index + r.length).collect()));
    for camera in 0..layout.cameras.len() {
        let window = |r: &EpisodeRow| r.cameras[camera].0;
        columns.push(int64(rows.iter().map(|r| window(r).chunk_index).collect()));
        columns.push(int64(rows.iter().map(|r| window(r).file_index).collect()));
        columns.push(float64(rows.iter().map(|r| window(r).from_timestamp_secs).collect()));
        columns.push(float64(rows.iter().map(|r| window(r).to_timestamp_secs).collect()));
    }
    let element = |data_type: DataType| Arc::new(Field::new("element", data_type, true));
    for feature in feature_order(&layout.numeric, &layout.cameras) {
        for stat in STAT_NAMES {
            match (feature, stat) {
                (FeatureRef::Numeric(f), stat) => {
                    columns.push(episode_stats_column(rows.iter().map(|r| r.stats[f].as_slice()), stat));
                }
                (FeatureRef::Camera(c), "count") => {
                    let mut list = ListBuilder::new(Int64Builder::new()).with_field(element(DataType::Int64));
                    for row in rows.iter() {
                        list.values().append_value(row.cameras[c].1.count as i64);
                        list.append(true);
                    }
                    columns.push(Arc::new(list.finish()));
                }
                (FeatureRef::Camera(c), stat) => {
                    let stat_index = camera_stat_index(stat);
                    let inner = ListBuilder::new(
                        ListBuilder::new(Float64Builder::new()).with_field(element(DataType::Float64)),
                    )
                    .with_field(element(DataType::List(element(DataType::Float64))));
                    let mut list = ListBuilder::new(inner)
                        .with_field(element(DataType::List(element(DataType::List(element(DataType::Float64))))));
                    for row in rows.iter() {
                        for channel in 0..3 {
                            list.values().values().values().append_value(row.cameras[c].1.values[stat_index][channel]);
                            list.values().values().append(true);
                            list.values().append(true);
                        }
                        list.append(true);
                    }
                    columns.push(Arc::new(list.finish()));
                }
            }
        }
    }
    columns.push(int64(vec![meta_chunk; rows.len()]));
    columns.push(int64(vec![meta_file; rows.len()]));
    let batch = RecordBatch::try_new(layout.episodes_schema.clone(), columns)
        .map_err(|e| WriteError::Arrow { reason: e.to_string(), path: out.current_path() })?;
    out.write_row_group(&batch, group_frames)?;
    rows.clear();
    Ok(())
}

/// Position of a stat (not `count`) in [`CameraStats::values`].
fn camera_stat_index(stat: &str) -> usize {
    STAT_NAMES.iter().filter(|s| **s != "count").position(|s| *s == stat).unwrap_or(0)
}

fn stats_json(layout: &Layout, global: &[Vec<DimensionStatistics>], cameras: &[CameraAggregate]) -> Value {
    let mut out = Map::new();
    for feature in feature_order(&layout.numeric, &layout.cameras) {
        let mut stats = Map::new();
        match feature {
            FeatureRef::Numeric(f) => stats = stats_json_object(&global[f]),
            FeatureRef::Camera(c) => {
                let values = cameras[c].values();
                for stat in STAT_NAMES {
                    let value = if stat == "count" {
                        json!([cameras[c].count])
                    } else {
                        let channels = values[camera_stat_index(stat)];
                        json!(channels.iter().map(|v| json!([[v]])).collect::<Vec<Value>>())
                    };
                    stats.insert(stat.to_string(), value);
                }
            }
        }
        out.insert(feature.name(&layout.numeric, &layout.cameras).to_string(), Value::Object(stats));
    }
    Value::Object(out)
}

fn info_json(spec: &SyntheticSpec, layout: &Layout) -> Value {
    let mut features = Map::new();
    for feature in feature_order(&layout.numeric, &layout.cameras) {
        let value = match feature {
            FeatureRef::Numeric(f) => {
                let (_, dtype, width, names) = &layout.numeric[f];
                json!({"dtype": dtype, "shape": [width], "names": names})
            }
            FeatureRef::Camera(_) => json!({
                "dtype": "video",
                "shape": [180, 320, 3],
                "names": ["height", "width", "channels"],
                "info": {
                    "video.height": 180, "video.width": 320, "video.codec": "av1", "video.pix_fmt": "yuv420p",
                    "video.is_depth_map": false, "video.fps": spec.fps, "video.channels": 3, "has_audio": false
                }
            }),
        };
        features.insert(feature.name(&layout.numeric, &layout.cameras).to_string(), value);
    }
    let video_path = if layout.cameras.is_empty() {
        Value::Null
    } else {
        json!("videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4")
    };
    json!({
        "codebase_version": "v3.0",
        "robot_type": spec.robot_type,
        "total_episodes": spec.total_episodes,
        "total_frames": spec.total_frames,
        "total_tasks": spec.tasks,
        "chunks_size": spec.chunks_size,
        "data_files_size_in_mb": spec.data_files_size_in_mb,
        "video_files_size_in_mb": spec.video_files_size_in_mb,
        "fps": spec.fps,
        "splits": {"train": format!("0:{}", spec.total_episodes)},
        "data_path": "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet",
        "video_path": video_path,
        "features": features,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(frames: u64, episodes: u64) -> SyntheticSpec {
        SyntheticSpec { total_frames: frames, total_episodes: episodes, ..SyntheticSpec::default() }
    }

    #[test]
    fn episode_lengths_sum_to_the_total_and_stay_near_the_mean() {
        for (frames, episodes) in [(100_000, 167), (10, 10), (11, 10), (1000, 1), (999_983, 1667)] {
            let lengths = small(frames, episodes).episode_lengths();
            assert_eq!(lengths.len() as u64, episodes);
            assert_eq!(lengths.iter().sum::<u64>(), frames);
            assert!(lengths.iter().all(|&l| l >= 1));
            let mean = frames as f64 / episodes as f64;
            if mean >= 20.0 && episodes > 1 {
                assert!(lengths.iter().all(|&l| (l as f64) <= 1.5 * mean + 1.0 && (l as f64) >= 0.5 * mean - 1.0));
                assert!(lengths.iter().any(|&l| l as f64 > 1.1 * mean), "lengths vary: {lengths:?}");
            }
        }
    }

    #[test]
    fn settings_out_of_bounds_are_refused() {
        assert!(small(5, 10).validate().is_err());
        assert!(small(10, 0).validate().is_err());
        assert!(SyntheticSpec { state_dims: 0, ..small(100, 1) }.validate().is_err());
        assert!(SyntheticSpec { tasks: 0, ..small(100, 1) }.validate().is_err());
        assert!(small(MAX_EPISODE_FRAMES * 4, 1).validate().is_err());
        assert!(small(100, 1).validate().is_ok());
    }

    #[test]
    fn task_texts_are_distinct_beyond_the_combinations() {
        let tasks = SyntheticSpec { tasks: 2500, ..small(10, 1) }.task_texts();
        let distinct: std::collections::BTreeSet<&String> = tasks.iter().collect();
        assert_eq!(distinct.len(), 2500);
    }

    #[test]
    fn video_files_roll_at_the_size_limit_and_restart_their_clock() {
        let spec = SyntheticSpec { video_files_size_in_mb: 1, fps: 10, ..small(1000, 10) };
        let mut roll = VideoRoll::default();
        // 200 frames × 4000 B ≈ 0.76 MiB: the second episode starts a new file.
        let first = roll.place(200, &spec);
        let second = roll.place(200, &spec);
        assert_eq!((first.file_index, first.from_timestamp_secs, first.to_timestamp_secs), (0, 0.0, 20.0));
        assert_eq!((second.file_index, second.from_timestamp_secs), (1, 0.0));
    }

    #[test]
    fn file_indices_move_to_the_next_chunk_after_chunks_size_files() {
        assert_eq!(next_file(0, 0, 3), (0, 1));
        assert_eq!(next_file(0, 2, 3), (1, 0));
        assert_eq!(next_file(4, 0, 1), (5, 0));
    }
}
