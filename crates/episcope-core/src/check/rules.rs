//! The rule catalogue: every check the conformance checker performs, with a stable id, a severity,
//! the format versions it applies to and why it matters.

use serde::{Deserialize, Serialize};

use crate::lerobot::FormatVersion;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Loading or training breaks, or the data is wrong.
    Error,
    /// Legal, but often a sign of a real problem (quality signals).
    Warning,
    /// Worth knowing.
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A family of rules, for grouping in reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Metadata,
    Features,
    Files,
    Schema,
    Episodes,
    Indices,
    Timing,
    Values,
    Stats,
    Videos,
    Profile,
    /// Readiness of a recording (bag, MCAP, HDF5) to become a dataset.
    Recording,
}

/// One rule of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// Stable id, `family.what` (never reused for another meaning).
    pub id: &'static str,
    pub severity: Severity,
    pub family: Family,
    pub title: &'static str,
    pub versions: &'static [FormatVersion],
    /// Which loader or training step breaks, or what goes wrong downstream.
    pub why: &'static str,
}

const ALL: &[FormatVersion] = &[FormatVersion::V2_0, FormatVersion::V2_1, FormatVersion::V3_0];
const V2: &[FormatVersion] = &[FormatVersion::V2_0, FormatVersion::V2_1];
const V3: &[FormatVersion] = &[FormatVersion::V3_0];

macro_rules! rules {
    ($( $id:literal, $sev:ident, $fam:ident, $versions:expr, $title:literal, $why:literal; )*) => {
        /// Every rule, in catalogue order.
        pub const RULES: &[Rule] = &[
            $( Rule { id: $id, severity: Severity::$sev, family: Family::$fam, title: $title, versions: $versions, why: $why }, )*
        ];
    };
}

rules! {
    // Metadata (meta/info.json)
    "meta.info-missing", Error, Metadata, ALL, "meta/info.json is missing",
        "Every LeRobot loader starts from meta/info.json; without it nothing can be interpreted.";
    "meta.info-invalid", Error, Metadata, ALL, "meta/info.json is not a JSON object with features",
        "LeRobotDatasetMetadata fails to load; no column can be interpreted.";
    "meta.version-unsupported", Error, Metadata, ALL, "codebase_version is missing or not v2.0, v2.1 or v3.0",
        "The official loader refuses (or silently converts) datasets of other versions.";
    "meta.required-key", Error, Metadata, ALL, "a required key of info.json is missing",
        "The loader reads fps, totals, chunk settings and path templates from info.json; a missing key raises KeyError.";
    "meta.key-type", Error, Metadata, ALL, "a key of info.json has the wrong type",
        "Numbers stored as strings (or lists as objects) break the loader's arithmetic and templating.";
    "meta.fps", Error, Metadata, ALL, "fps is not a positive number",
        "Timestamps, video decoding and delta_timestamps are all computed from fps.";
    "meta.total-episodes", Error, Metadata, ALL, "total_episodes disagrees with the episodes found",
        "The loader sizes episode lists and splits by total_episodes; a wrong total drops or invents episodes.";
    "meta.total-frames", Error, Metadata, ALL, "total_frames disagrees with the sum of episode lengths",
        "Dataset length (len(dataset)) and sampler ranges come from totals; a wrong total indexes past the data.";
    "meta.total-tasks", Error, Metadata, ALL, "total_tasks disagrees with the tasks found",
        "Task embeddings and task_index lookups are sized by the task table.";
    "meta.total-videos", Warning, Metadata, V2, "total_videos disagrees with the video files expected",
        "Tools that trust total_videos mis-report camera coverage.";
    "meta.total-chunks", Warning, Metadata, V2, "total_chunks disagrees with the chunk folders used",
        "Chunk iteration in converters uses total_chunks.";
    "meta.splits", Error, Metadata, ALL, "a split is not a valid `start:end` range of episodes",
        "load_dataset(split=...) selects episodes by these ranges; an invalid range fails or selects the wrong episodes.";
    "meta.path-template", Error, Metadata, ALL, "data_path or video_path is missing or uses unknown fields",
        "Every data and video file is located by formatting these templates.";
    "meta.unreadable", Error, Metadata, ALL, "a metadata file is missing, unreadable or malformed",
        "The loader reads tasks, episodes and stats at start-up and fails on a malformed line or file.";
    // Features
    "feature.dtype", Error, Features, ALL, "a feature has an unknown dtype",
        "Feature dtypes decide how columns are decoded and which features are cameras.";
    "feature.shape", Error, Features, ALL, "a feature's shape is missing, empty or has a zero dimension",
        "Shapes size the tensors the loader builds; policies read input sizes from them.";
    "feature.names", Error, Features, ALL, "a feature's names do not match its shape",
        "Names label each dimension (joint, axis); a length mismatch mislabels every dimension after it.";
    "feature.name-chars", Error, Features, ALL, "a feature name contains a forbidden character",
        "LeRobot forbids '/' in feature names: v3.0 stores stats as `stats/<feature>/<stat>` columns.";
    "feature.default-missing", Error, Features, ALL, "a default feature (timestamp, frame_index, episode_index, index, task_index) is not declared",
        "The loader uses these five columns to index frames, episodes and tasks.";
    "feature.video-info", Warning, Features, ALL, "a video feature has no codec/fps information",
        "Decoders and the checker need the declared codec, size and fps to validate videos.";
    // Files
    "file.data-missing", Error, Files, ALL, "an episode's data file is missing",
        "Loading the episode fails; on the Hub the loader reports it misleadingly as an offline-mode error.";
    "file.video-missing", Error, Files, ALL, "an episode's video file is missing",
        "Frames of that camera cannot be decoded; training crashes when it samples the episode.";
    "file.misplaced", Error, Files, V2, "a data file is not where data_path says",
        "The official loader finds files only by template; a misplaced file is a missing file to it.";
    "file.lfs-pointer", Error, Files, ALL, "a file is a Git LFS pointer, not its content",
        "The dataset was cloned without `git lfs pull`; parquet and mp4 readers fail on the pointer text.";
    "file.empty", Error, Files, ALL, "a file is empty",
        "An interrupted write or download; readers fail on it.";
    "file.parquet-corrupt", Error, Files, ALL, "a parquet file is truncated or corrupt",
        "pyarrow raises on the footer or on a page; the episode cannot be loaded.";
    "file.unexpected", Info, Files, ALL, "a file is not part of the dataset layout",
        "Stray files are carried into every copy and may hold data that was not meant to be shared.";
    // Schema
    "schema.column-missing", Error, Schema, ALL, "a declared feature has no column in a data file",
        "The loader selects declared features by name; a missing column raises when the episode is read.";
    "schema.column-undeclared", Warning, Schema, ALL, "a data file has a column that info.json does not declare",
        "Undeclared columns are ignored by loaders, usually a writer bug or a renamed feature.";
    "schema.dtype", Error, Schema, ALL, "a column's stored type does not match the declared dtype",
        "Collation and normalisation assume the declared dtype; a mismatch changes values or fails.";
    "schema.shape", Error, Schema, ALL, "a column's values per frame do not match the declared shape",
        "Tensors are reshaped to the declared shape; a different width fails or silently scrambles dimensions.";
    // Episodes
    "episode.length", Error, Episodes, ALL, "an episode's metadata length disagrees with its rows in the data",
        "Episode boundaries (and v3.0 from/to indices) come from lengths; a mismatch reads frames of the wrong episode.";
    "episode.indices", Warning, Episodes, ALL, "episode indices are not 0..N-1",
        "Several tools assume episode_index equals position; gaps shift every later episode.";
    "episode.duplicate", Error, Episodes, ALL, "an episode is listed more than once",
        "Duplicate metadata double-counts frames and breaks index lookups.";
    "episode.range", Error, Episodes, V3, "dataset_from_index/dataset_to_index ranges are not contiguous, ordered and of the episode's length",
        "v3.0 loads an episode by these global row ranges; overlaps or gaps read the wrong frames (the official loader accepts them silently).";
    "episode.video-window", Error, Episodes, V3, "a video's from_timestamp/to_timestamp window disagrees with the episode's length and fps",
        "v3.0 seeks episodes inside concatenated videos by these windows; a wrong window shows another episode's frames.";
    "episode.tasks", Error, Episodes, ALL, "an episode names a task that is not in the task table",
        "Task strings are mapped to task_index through the task table.";
    // Indices
    "index.frame-index", Error, Indices, ALL, "frame_index does not run 0..n-1 within an episode",
        "delta_timestamps and frame lookups use frame_index; gaps or repeats fetch wrong frames.";
    "index.episode-index", Error, Indices, ALL, "episode_index in the data disagrees with the episode metadata",
        "Rows are attributed to episodes by this column; a mismatch mixes episodes.";
    "index.global-index", Error, Indices, ALL, "the global index is not contiguous and unique across the dataset",
        "The loader maps a sample index to a row through `index`; gaps or duplicates return wrong rows.";
    "index.task-index", Error, Indices, ALL, "task_index does not resolve to a task",
        "The task string of a frame is looked up by task_index; an unknown index raises KeyError.";
    // Timing
    "time.monotonic", Error, Timing, ALL, "timestamps decrease or repeat within an episode",
        "Video frames are fetched by timestamp; non-monotonic times fetch the wrong frames.";
    "time.grid", Error, Timing, ALL, "timestamps are not on the 1/fps grid (LeRobot's tolerance: 1e-4 s)",
        "The official loader checks timestamps against 1/fps with tolerance_s = 1e-4 and refuses the dataset.";
    "time.gap", Warning, Timing, ALL, "frames are missing: a gap of more than 1.5 frame periods",
        "Dropped frames make actions jump; policies learn the jump.";
    "time.start", Warning, Timing, ALL, "an episode's first timestamp is not 0",
        "Video frames are located from the episode start; an offset shifts every camera frame.";
    "time.duration", Warning, Timing, ALL, "an episode's time span disagrees with length / fps",
        "Duration statistics and video windows are computed from length and fps.";
    // Values
    "value.non-finite", Error, Values, ALL, "a numeric feature holds NaN or infinity",
        "Normalisation and losses become NaN; training diverges.";
    "value.frozen", Warning, Values, ALL, "a signal is constant over a whole episode",
        "A stuck sensor or unplugged joint; legitimate for some joints, so it is a warning.";
    "value.spike", Warning, Values, ALL, "a single-frame spike in a signal",
        "One-frame glitches (sensor errors) distort normalisation statistics and teach jerky actions.";
    "value.out-of-range", Warning, Values, ALL, "a value lies outside the dataset's stored min/max",
        "Normalisation clips or extrapolates values outside the stored range.";
    // Stats
    "stats.missing", Warning, Stats, ALL, "stored statistics are missing",
        "Policies normalise inputs with the stored stats; without them training cannot start (or recomputes).";
    "stats.shape", Error, Stats, ALL, "a stored statistic has the wrong number of values",
        "Normalisation broadcasts stats against the feature; a wrong length fails or misaligns.";
    "stats.consistent", Error, Stats, ALL, "stored statistics disagree with the data",
        "Stale stats (after editing episodes) normalise with the wrong mean/std. A difference the writers' own float32 arithmetic explains is not one: the mean may be off by (3n + 1)·u·max|x| and the std by min(√D, D/σ) + u·σ with D = (3n + 3)·u·max|x|² (n frames summed with up to three roundings each, u = 2⁻²⁴ for float32 features and float32-stored values, 2⁻⁵³ for float64); image stats, computed from sampled frames, by 0.1 % of the range.";
    // Videos
    "video.unreadable", Error, Videos, ALL, "a video file is not a readable MP4",
        "The decoder (torchcodec/pyav) fails on the file.";
    "video.fps", Error, Videos, ALL, "a video's frame rate disagrees with the dataset fps",
        "Frames are fetched by timestamp; a different frame rate fetches the wrong frames.";
    "video.size", Error, Videos, ALL, "a video's width/height disagree with the declared shape",
        "Policies are built for the declared image size.";
    "video.codec", Warning, Videos, ALL, "a video's codec disagrees with the declared codec",
        "Decoders are chosen by the declared codec; a mismatch may not decode on the training machine.";
    "video.duration", Error, Videos, ALL, "a video is shorter than its episodes need",
        "Frames past the end of the video cannot be decoded.";
    // Profile (an organisation's own standard)
    "profile.required-feature", Error, Profile, ALL, "a feature required by the profile is missing or differs",
        "The organisation's standard requires it.";
    "profile.robot-type", Error, Profile, ALL, "the robot type is not allowed by the profile",
        "The organisation's standard allows only listed robot types.";
    "profile.fps", Error, Profile, ALL, "fps is outside the profile's range",
        "The organisation's standard fixes the recording rate.";
    "profile.metadata", Error, Profile, ALL, "metadata required by the profile is missing",
        "The organisation's standard requires it (license, units …).";
    "profile.nan-ratio", Error, Profile, ALL, "the share of NaN values exceeds the profile's maximum",
        "The organisation's standard bounds missing values.";
    "profile.episode-length", Error, Profile, ALL, "an episode is shorter than the profile's minimum",
        "The organisation's standard sets a minimum episode length.";
    // Recording readiness (ROS 1/2 bags, MCAP, HDF5): `check/recording.rs`
    "recording.unreadable", Error, Recording, ALL, "a recording file cannot be read (magic, CRC, truncation, index)",
        "A converter stops at the first unreadable record; whatever it wrote up to there is a partial episode.";
    "recording.undecodable", Error, Recording, ALL, "a stream's messages do not decode with the file's message definition",
        "Without a definition matching the bytes, no field of the stream can become a dataset feature.";
    "recording.empty-stream", Warning, Recording, ALL, "a stream has no messages",
        "A feature built from an empty topic has no frames; it is usually a publisher that never started.";
    "recording.gap", Warning, Recording, ALL, "a stream has a gap longer than three nominal periods (dropped messages)",
        "Resampling to a fixed fps fills the gap with stale or interpolated values the policy then learns from.";
    "recording.rate-jitter", Warning, Recording, ALL, "a stream's intervals often stray far from its nominal rate",
        "A dataset has one fps; a stream that does not tick at a steady rate is misaligned with the others after conversion.";
    "recording.stops-early", Warning, Recording, ALL, "a stream starts late or stops early against the episode",
        "Frames at the episode's start or end would lack that stream's values (NaN or repeated samples).";
    "recording.stamp-offset", Warning, Recording, ALL, "header stamps are far from the log time",
        "Aligning on header stamps and on log times gives different pairings: a sign of an unsynchronised clock.";
    "recording.clock-jump", Warning, Recording, ALL, "header stamps jump or go backwards against the log time",
        "A stepped clock inside an episode breaks timestamp monotonicity, which the LeRobot loader requires.";
    "recording.camera-unsynced", Warning, Recording, ALL, "camera frames without a joint sample nearby",
        "Each dataset frame pairs an image with a state; a frame far from any joint sample gets a stale one.";
    "recording.non-finite", Error, Recording, ALL, "a numeric stream holds NaN or infinite values",
        "NaN in observations or actions poisons normalisation statistics and training losses.";
    "recording.constant-stream", Warning, Recording, ALL, "every message of a numeric stream carries the same values",
        "A frozen sensor or a driver publishing defaults: the feature carries no information.";
}

/// Rules the LeRobot dataset checker applies (every family but [`Family::Recording`]).
pub fn dataset_rule_count() -> usize {
    RULES.iter().filter(|r| r.family != Family::Recording).count()
}

/// Looks a rule up by id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_and_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for rule in RULES {
            assert!(seen.insert(rule.id), "duplicate rule id {}", rule.id);
            let (family, what) = rule.id.split_once('.').expect("ids are family.what");
            assert!(!family.is_empty() && !what.is_empty());
            assert!(rule.id.chars().all(|c| c.is_ascii_lowercase() || c == '.' || c == '-'), "{}", rule.id);
            assert!(!rule.versions.is_empty(), "{} applies to no version", rule.id);
            assert!(rule.why.len() > 20, "{} needs a reason", rule.id);
        }
        assert!(RULES.len() >= 55);
    }
}
