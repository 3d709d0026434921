//! Runs every rule over a dataset: files, metadata, features, episodes, schema, frames (indices,
//! timing, values), stats and videos. Never stops at the first error: what cannot be read becomes a
//! finding and the rest is still checked.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::finding::{Finding, Findings, Location};
use super::frames::{DataAccumulator, EpisodeCheck};
use super::profile::Profile;
use super::report::{DatasetIdentity, FileDigest, Report, Summary, Tool, REPORT_VERSION};
use super::rules::dataset_rule_count;
use crate::lerobot::info::{FeatureKind, Info, MAX_FEATURE_VALUES};
use crate::lerobot::template::{fill, TemplateValue};
use crate::lerobot::{
    open_dataset, read_episode_frames, Dataset, Episode, EpisodeError, FormatVersion, OpenError, Progress,
};
use crate::parquet_io::ParquetFile;
use crate::shard::Shard;
use crate::tree::DatasetTree;

/// What to check and how.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// An organisation's stricter standard, checked on top of the LeRobot rules.
    pub profile: Option<Profile>,
    /// Skip SHA-256 of every file (the report then has no digests).
    pub skip_hashes: bool,
}

const LFS_POINTER_PREFIX: &[u8] = b"version https://git-lfs.github.com/spec/v1";
const HASH_CHUNK_BYTES: u64 = 8 * 1024 * 1024;
const KNOWN_DTYPES: &[&str] = &[
    "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool",
    "string", "video", "image",
];
const DEFAULT_FEATURES: [&str; 5] = ["timestamp", "frame_index", "episode_index", "index", "task_index"];

/// Checks the dataset at the root of `tree` and returns the report.
pub async fn check_dataset(
    tree: &DatasetTree,
    name: &str,
    options: &CheckOptions,
    progress: &mut dyn FnMut(Progress),
) -> Report {
    let partial = check_partial(tree, name, options, Shard::WHOLE, progress).await;
    // The whole is one complete part of this very tree: nothing to verify.
    finish_complete(tree, partial).await
}

/// The work of one shard of a check: the files it hashes, the data files it reads (with their
/// episodes) and the video files it reads, each a contiguous block of the sorted list; the
/// metadata is checked when the parts are finished ([`finish_check`]), once.
pub async fn check_partial(
    tree: &DatasetTree,
    name: &str,
    options: &CheckOptions,
    shard: Shard,
    progress: &mut dyn FnMut(Progress),
) -> CheckPartial {
    let (file_findings, digests) = check_files_of_shard(tree, options, shard, progress).await;
    let mut partial = CheckPartial {
        partial_version: CHECK_PARTIAL_VERSION,
        name: name.to_string(),
        shard_count: shard.count,
        shards: BTreeSet::from([shard.index]),
        skip_hashes: options.skip_hashes,
        profile: options.profile.clone(),
        files: tree.files().map(|f| (f.path.clone(), f.size())).collect(),
        digests,
        file_findings,
        data_findings: Vec::new(),
        video_findings: Vec::new(),
        data: DataAccumulator::default(),
    };
    if let Ok(dataset) = open_dataset(tree, &mut |_| {}).await {
        let (data_findings, data) = check_data(tree, &dataset, shard, progress).await;
        partial.data_findings = data_findings;
        partial.data = data;
        partial.video_findings = super::videos::check_videos(tree, &dataset, shard).await;
    }
    partial
}

/// Layout version of a check partial's JSON.
pub const CHECK_PARTIAL_VERSION: u32 = 1;

/// What some shards of a check found, to be merged with the rest and finished.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckPartial {
    pub partial_version: u32,
    /// The dataset's name in the report.
    pub name: String,
    /// The `N` of the `K/N` shards.
    pub shard_count: u32,
    /// The shards this part covers.
    pub shards: BTreeSet<u32>,
    pub skip_hashes: bool,
    pub profile: Option<Profile>,
    /// Every file of the dataset with its size (all parts must agree).
    pub files: Vec<(String, u64)>,
    /// (position in `files`, digest) of the files these shards hashed.
    pub digests: Vec<(usize, FileDigest)>,
    /// Findings per unit: (position in the sorted list of files / data files / video files, what
    /// that unit gave, in the order found).
    pub file_findings: Vec<(usize, Vec<Finding>)>,
    pub data_findings: Vec<(usize, Vec<Finding>)>,
    pub video_findings: Vec<(usize, Vec<Finding>)>,
    /// The data's per-episode sums and index runs.
    pub data: DataAccumulator,
}

/// Why check parts cannot be merged or finished.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckMergeError {
    #[error("check partial layout version {found} (this build reads {CHECK_PARTIAL_VERSION})")]
    Version { found: u32 },
    #[error("the parts are of different datasets or were checked differently (their files, name, profile or hashing differ)")]
    DifferentDatasets,
    #[error("the parts were cut into different numbers of shards ({expected} and {found})")]
    ShardCount { expected: u32, found: u32 },
    #[error("shard {shard}/{count} is in more than one part")]
    Overlap { shard: u32, count: u32 },
    #[error("episode {episode} is in more than one part")]
    EpisodeTwice { episode: u64 },
    #[error("shards {missing} of {count} are missing")]
    Missing { missing: String, count: u32 },
    #[error("the dataset's files are not those the parts were checked on (it changed since)")]
    DatasetChanged,
}

impl CheckPartial {
    /// Adds another part of the same check (other shards).
    pub fn merge(&mut self, other: CheckPartial) -> Result<(), CheckMergeError> {
        if other.partial_version != CHECK_PARTIAL_VERSION {
            return Err(CheckMergeError::Version { found: other.partial_version });
        }
        if other.shard_count != self.shard_count {
            return Err(CheckMergeError::ShardCount { expected: self.shard_count, found: other.shard_count });
        }
        if (other.files != self.files)
            || other.name != self.name
            || other.skip_hashes != self.skip_hashes
            || other.profile != self.profile
        {
            return Err(CheckMergeError::DifferentDatasets);
        }
        if let Some(&shard) = self.shards.intersection(&other.shards).next() {
            return Err(CheckMergeError::Overlap { shard, count: self.shard_count });
        }
        self.data.merge(other.data).map_err(|episode| CheckMergeError::EpisodeTwice { episode })?;
        self.shards.extend(other.shards);
        self.digests.extend(other.digests);
        self.file_findings.extend(other.file_findings);
        self.data_findings.extend(other.data_findings);
        self.video_findings.extend(other.video_findings);
        Ok(())
    }

    /// Whether every shard is in.
    pub fn is_complete(&self) -> bool {
        self.shards.len() as u64 == self.shard_count as u64
    }

    fn missing(&self) -> CheckMergeError {
        let missing: Vec<String> =
            (0..self.shard_count).filter(|k| !self.shards.contains(k)).map(|k| k.to_string()).collect();
        CheckMergeError::Missing { missing: missing.join(", "), count: self.shard_count }
    }
}

/// Adds each unit's findings in unit order (as one check going through the units would have).
fn absorb_units(findings: &mut Findings, mut units: Vec<(usize, Vec<Finding>)>) {
    units.sort_by_key(|(unit, _)| *unit);
    for (_, items) in units {
        for finding in items {
            findings.absorb(finding);
        }
    }
}

/// The report of a complete set of parts: the metadata of the dataset in `tree` (the one the
/// parts were checked on) is checked here, and the parts' findings and sums join it in the order
/// of an unsharded check, so the report is the one [`check_dataset`] gives.
pub async fn finish_check(tree: &DatasetTree, partial: CheckPartial) -> Result<Report, CheckMergeError> {
    if !partial.is_complete() {
        return Err(partial.missing());
    }
    let files: Vec<(String, u64)> = tree.files().map(|f| (f.path.clone(), f.size())).collect();
    if files != partial.files {
        return Err(CheckMergeError::DatasetChanged);
    }
    Ok(finish_complete(tree, partial).await)
}

/// [`finish_check`] of parts known to be complete and of this tree.
async fn finish_complete(tree: &DatasetTree, partial: CheckPartial) -> Report {
    let options = CheckOptions { profile: partial.profile.clone(), skip_hashes: partial.skip_hashes };
    let mut findings = Findings::default();
    absorb_units(&mut findings, partial.file_findings);
    let mut digests = partial.digests;
    digests.sort_by_key(|(unit, _)| *unit);
    let digests: Vec<FileDigest> = digests.into_iter().map(|(_, digest)| digest).collect();
    let opened = open_dataset(tree, &mut |_| {}).await;
    let sha256 = whole_digest(&digests);
    let mut identity = DatasetIdentity::of_files(&partial.name, digests, sha256);
    match opened {
        Err(error) => report_open_error(&error, &mut findings),
        Ok(dataset) => {
            identity.format_version = Some(dataset.version.as_str().to_string());
            identity.codebase_version = Some(dataset.info.codebase_version.clone());
            identity.robot_type = dataset.info.robot_type.clone();
            identity.fps = dataset.info.fps;
            identity.episodes = dataset.episodes.len() as u64;
            identity.frames = dataset.frames_found();
            for problem in &dataset.problems {
                let mut location = Location::file(&problem.path);
                location.episode = problem.episode;
                findings.add(&problem.rule, location, &problem.message, problem_fix(&problem.rule));
            }
            if let Ok(raw) = tree.read_all("meta/info.json", crate::lerobot::dataset::MAX_INFO_JSON_BYTES).await {
                if let Ok(Value::Object(raw)) = serde_json::from_slice::<Value>(&raw) {
                    check_info(&raw, &dataset, &mut findings);
                }
            }
            check_features(&dataset.info, &mut findings);
            check_episodes(&dataset, &mut findings);
            absorb_units(&mut findings, partial.data_findings);
            let mut accumulator = partial.data;
            accumulator.fold_global();
            accumulator.finish(&dataset, &mut findings);
            super::stats::check_stats(tree, &dataset, &accumulator, &mut findings).await;
            absorb_units(&mut findings, partial.video_findings);
            if let Some(profile) = &options.profile {
                profile.check(&dataset, &accumulator, &mut findings);
            }
            check_unexpected_files(tree, &dataset, &mut findings);
        }
    }
    let findings = findings.into_sorted();
    let profile = match &options.profile {
        Some(p) => p.name.clone(),
        None => format!("lerobot-{}", identity.format_version.as_deref().unwrap_or("unknown")),
    };
    Report {
        report_version: REPORT_VERSION,
        tool: Tool { name: "episcope".into(), version: env!("CARGO_PKG_VERSION").into() },
        dataset: identity,
        profile,
        rules_checked: dataset_rule_count(),
        summary: Summary::of(&findings),
        findings,
    }
}

fn problem_fix(rule: &str) -> &'static str {
    match rule {
        "file.data-missing" | "file.video-missing" => {
            "Restore the file from the original recording or upload, or remove the episode and renumber."
        }
        "file.misplaced" => "Move the file to the path data_path gives, or fix data_path.",
        "meta.path-template" => "Write the template as a path inside the dataset folder (no `..`, no leading `/`).",
        "meta.key-type" => "Write the value with the type the LeRobot format expects.",
        "episode.duplicate" => "Keep one entry per episode in the episode metadata.",
        "file.parquet-corrupt" => "Re-export the file from the source data; check the copy is complete.",
        _ => "Repair or regenerate the file with the LeRobot writer of this version.",
    }
}

fn report_open_error(error: &OpenError, findings: &mut Findings) {
    let (rule, path) = match error {
        OpenError::NoInfo { .. } => ("meta.info-missing", "meta/info.json".to_string()),
        OpenError::Info(_) => ("meta.info-invalid", "meta/info.json".to_string()),
        OpenError::UnsupportedVersion { path, .. } => ("meta.version-unsupported", path.clone()),
        // The error's text (the finding's message) names the file and why; the location is the file.
        OpenError::Read(_) => ("meta.unreadable", "meta/info.json".to_string()),
    };
    let fix = match rule {
        "meta.info-missing" => "Point Episcope at the dataset's root folder (the one holding meta/info.json).",
        "meta.version-unsupported" => "Convert the dataset with LeRobot's converter to v2.1 or v3.0.",
        _ => "Regenerate meta/info.json with the LeRobot writer.",
    };
    findings.add(rule, Location::file(path), error.to_string(), fix);
}

pub(crate) async fn check_files(
    tree: &DatasetTree,
    options: &CheckOptions,
    findings: &mut Findings,
    progress: &mut dyn FnMut(Progress),
) -> Vec<FileDigest> {
    let (found, digests) = check_files_of_shard(tree, options, Shard::WHOLE, progress).await;
    absorb_units(findings, found);
    digests.into_iter().map(|(_, digest)| digest).collect()
}

/// Per file of `shard` (a block of the tree's files, in order): emptiness, LFS pointers and the
/// SHA-256; each file's findings and digest with its position.
async fn check_files_of_shard(
    tree: &DatasetTree,
    options: &CheckOptions,
    shard: Shard,
    progress: &mut dyn FnMut(Progress),
) -> (Vec<(usize, Vec<Finding>)>, Vec<(usize, FileDigest)>) {
    let total = tree.len() as u64;
    let owned = shard.range(tree.len());
    let mut digests = Vec::with_capacity(owned.len());
    let mut found = Vec::new();
    for (unit, file) in tree.files().enumerate() {
        if !owned.contains(&unit) {
            continue;
        }
        let mut findings = Findings::default();
        let findings = &mut findings;
        progress(Progress { stage: "files".into(), done: unit as u64, total });
        let size = file.size();
        let mut digest = FileDigest { path: file.path.clone(), size_bytes: size, sha256: None };
        if size == 0 {
            findings.add("file.empty", Location::file(&file.path), "the file is 0 bytes", "Re-copy or regenerate it.");
        } else {
            let head_len = size.min(LFS_POINTER_PREFIX.len() as u64);
            if let Ok(head) = file.source.read_range(0..head_len).await {
                if head.as_ref() == LFS_POINTER_PREFIX {
                    findings.add(
                        "file.lfs-pointer",
                        Location::file(&file.path),
                        format!("expected the file's content, found a {size}-byte Git LFS pointer"),
                        "Fetch the content with `git lfs pull` (or download the dataset without git).",
                    );
                }
            }
        }
        if !options.skip_hashes {
            let mut hasher = Sha256::new();
            let mut offset = 0;
            let mut ok = true;
            while offset < size {
                let end = (offset + HASH_CHUNK_BYTES).min(size);
                match file.source.read_range(offset..end).await {
                    Ok(bytes) => hasher.update(&bytes),
                    Err(_) => {
                        ok = false;
                        break;
                    }
                }
                offset = end;
            }
            if ok {
                digest.sha256 = Some(hex(&hasher.finalize()));
            }
        }
        digests.push((unit, digest));
        if !findings.is_empty() {
            found.push((unit, std::mem::take(findings).into_items()));
        }
    }
    (found, digests)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn whole_digest(files: &[FileDigest]) -> Option<String> {
    let mut hasher = Sha256::new();
    for file in files {
        hasher.update(format!("{}  {}\n", file.sha256.as_ref()?, file.path).as_bytes());
    }
    Some(hex(&hasher.finalize()))
}

fn check_info(raw: &serde_json::Map<String, Value>, dataset: &Dataset, findings: &mut Findings) {
    let path = "meta/info.json";
    let info = &dataset.info;
    let has_video = info.video_features().next().is_some();
    let mut required = vec!["codebase_version", "fps", "features", "total_episodes", "total_frames", "total_tasks"];
    required.extend(["chunks_size", "data_path", "splits"]);
    match dataset.version {
        FormatVersion::V2_0 | FormatVersion::V2_1 => required.extend(["total_chunks", "total_videos"]),
        FormatVersion::V3_0 => required.extend(["data_files_size_in_mb", "video_files_size_in_mb"]),
    }
    if has_video {
        required.push("video_path");
    }
    for key in required {
        if !raw.contains_key(key) {
            findings.add(
                "meta.required-key",
                Location::file(path).feature(key),
                format!("expected key `{key}` in info.json ({}), found none", dataset.version.as_str()),
                format!("Add `{key}` as the LeRobot {} writer does.", dataset.version.as_str()),
            );
        }
    }
    match info.fps {
        Some(fps) if fps.is_finite() && fps > 0.0 => {}
        Some(fps) => findings.add(
            "meta.fps",
            Location::file(path).feature("fps"),
            format!("expected a positive frame rate, found {fps}"),
            "Set fps to the recording rate in frames per second.",
        ),
        None => {}
    }
    let found_episodes = dataset.episodes.len() as u64;
    if let Some(declared) = info.total_episodes.filter(|&d| d != found_episodes) {
        findings.add(
            "meta.total-episodes",
            Location::file(path).feature("total_episodes"),
            format!("info.json declares {declared} episodes; the episode metadata lists {found_episodes}"),
            "Set total_episodes to the number of episodes, or restore the missing episode metadata.",
        );
    }
    let frames = dataset.frames_found();
    if let Some(declared) = info.total_frames.filter(|&d| d != frames) {
        findings.add(
            "meta.total-frames",
            Location::file(path).feature("total_frames"),
            format!("info.json declares {declared} frames; the episodes' lengths add up to {frames}"),
            "Set total_frames to the sum of episode lengths.",
        );
    }
    let tasks = dataset.tasks.len() as u64;
    if let Some(declared) = info.total_tasks.filter(|&d| d != tasks) {
        findings.add(
            "meta.total-tasks",
            Location::file(path).feature("total_tasks"),
            format!("info.json declares {declared} tasks; the task table has {tasks}"),
            "Set total_tasks to the number of tasks in the task table.",
        );
    }
    if !dataset.version.is_v3() {
        let videos = found_episodes * info.video_features().count() as u64;
        if let Some(declared) = info.total_videos.filter(|&d| d != videos) {
            findings.add(
                "meta.total-videos",
                Location::file(path).feature("total_videos"),
                format!(
                    "info.json declares {declared} videos; {found_episodes} episodes × {} cameras make {videos}",
                    info.video_features().count()
                ),
                "Set total_videos to episodes × video features.",
            );
        }
        let chunk_size = info.chunks_size.filter(|&c| c > 0).unwrap_or(1000);
        let chunks = dataset.episodes.iter().map(|e| e.index / chunk_size).collect::<BTreeSet<_>>().len() as u64;
        if let Some(declared) = info.total_chunks.filter(|&d| d != chunks && found_episodes > 0) {
            findings.add(
                "meta.total-chunks",
                Location::file(path).feature("total_chunks"),
                format!("info.json declares {declared} chunks; episodes with chunks_size {chunk_size} use {chunks}"),
                "Set total_chunks to the number of chunk folders used.",
            );
        }
    }
    for (split, range) in &info.splits {
        let parsed = range
            .split_once(':')
            .and_then(|(a, b)| Some((a.trim().parse::<u64>().ok()?, b.trim().parse::<u64>().ok()?)));
        let bound = found_episodes.max(info.total_episodes.unwrap_or(0));
        let valid = matches!(parsed, Some((start, end)) if start <= end && end <= bound);
        if !valid {
            findings.add(
                "meta.splits",
                Location::file(path).feature(format!("splits.{split}")),
                format!("expected `start:end` with start ≤ end ≤ {bound}, found `{range}`"),
                "Write each split as an episode range such as \"0:50\".",
            );
        }
    }
    let (data_keys, video_keys): (&[&str], &[&str]) = if dataset.version.is_v3() {
        (&["chunk_index", "file_index"], &["video_key", "chunk_index", "file_index"])
    } else {
        (&["episode_chunk", "episode_index"], &["episode_chunk", "video_key", "episode_index"])
    };
    for (key, template, keys) in
        [("data_path", &info.data_path, data_keys), ("video_path", &info.video_path, video_keys)]
    {
        let Some(template) = template else {
            if key == "data_path" || has_video {
                findings.add(
                    "meta.path-template",
                    Location::file(path).feature(key),
                    format!("expected a `{key}` template, found none"),
                    "Add the template the LeRobot writer of this version uses.",
                );
            }
            continue;
        };
        let values: Vec<(&str, TemplateValue)> = keys
            .iter()
            .map(|k| (*k, if *k == "video_key" { TemplateValue::Str("cam") } else { TemplateValue::Int(0) }))
            .collect();
        if let Err(e) = fill(template, &values) {
            findings.add(
                "meta.path-template",
                Location::file(path).feature(key),
                format!("{e}; {} templates may use {}", dataset.version.as_str(), keys.join(", ")),
                "Use the template fields of this format version.",
            );
        }
    }
}

fn check_features(info: &Info, findings: &mut Findings) {
    let path = "meta/info.json";
    for feature in &info.features {
        let at = || Location::file(path).feature(&feature.name);
        if !KNOWN_DTYPES.contains(&feature.dtype.as_str()) {
            findings.add(
                "feature.dtype",
                at(),
                format!("expected one of {}, found `{}`", KNOWN_DTYPES.join(", "), feature.dtype),
                "Use a LeRobot dtype.",
            );
        }
        if feature.shape.is_empty() || feature.shape.contains(&0) || feature.values_per_frame() > MAX_FEATURE_VALUES {
            findings.add(
                "feature.shape",
                at(),
                format!("expected a shape of positive dimensions, found {:?}", feature.shape),
                "Declare the shape of one frame's value, e.g. [6] or [480, 640, 3].",
            );
        } else if !feature.names.is_empty() && feature.kind == FeatureKind::Numeric {
            let values = feature.values_per_frame() as usize;
            let ok = feature.names.len() == values
                || (feature.shape.len() > 1 && feature.names.len() == feature.shape.len());
            if !ok {
                findings.add(
                    "feature.names",
                    at(),
                    format!("expected {values} names for shape {:?}, found {}", feature.shape, feature.names.len()),
                    "Give one name per dimension (or one per axis for matrices).",
                );
            }
        }
        if feature.name.contains('/') {
            findings.add(
                "feature.name-chars",
                at(),
                format!("feature names must not contain '/', found `{}`", feature.name),
                "Rename the feature, e.g. replacing '/' with '.'.",
            );
        }
        if feature.kind == FeatureKind::Video && feature.video_info.is_none() {
            findings.add(
                "feature.video-info",
                at(),
                "expected an `info` object with video.codec, video.fps, video.height, video.width; found none",
                "Record the encoding parameters in the feature's `info`.",
            );
        }
    }
    for name in DEFAULT_FEATURES {
        if info.feature(name).is_none() {
            findings.add(
                "feature.default-missing",
                Location::file(path).feature(name),
                format!("expected the default feature `{name}` in info.json features, found none"),
                "Declare all five default features (timestamp, frame_index, episode_index, index, task_index).",
            );
        }
    }
}

fn check_episodes(dataset: &Dataset, findings: &mut Findings) {
    let meta = if dataset.version.is_v3() { "meta/episodes/" } else { "meta/episodes.jsonl" };
    for (position, episode) in dataset.episodes.iter().enumerate() {
        if episode.index != position as u64 {
            findings.add(
                "episode.indices",
                Location::file(meta).episode(episode.index),
                format!("expected episode {position} at position {position}, found episode {}", episode.index),
                "Renumber episodes 0..N-1 (LeRobot's writers always do).",
            );
            break;
        }
    }
    let tasks: BTreeSet<&str> = dataset.tasks.iter().map(|t| t.text.as_str()).collect();
    if !dataset.tasks.is_empty() {
        for episode in &dataset.episodes {
            for task in &episode.tasks {
                if !tasks.contains(task.as_str()) {
                    findings.add(
                        "episode.tasks",
                        Location::file(meta).episode(episode.index),
                        format!("episode {} names task “{task}”, which is not in the task table", episode.index),
                        "Add the task to the task table or correct the episode's tasks.",
                    );
                }
            }
        }
    }
    if dataset.version.is_v3() {
        let mut expected_from = 0u64;
        for episode in &dataset.episodes {
            let (Some(from), Some(to)) = (episode.dataset_from_index, episode.dataset_to_index) else {
                findings.add(
                    "episode.range",
                    Location::file(meta).episode(episode.index),
                    "expected dataset_from_index and dataset_to_index, found none",
                    "Regenerate the episode metadata with the v3.0 writer.",
                );
                continue;
            };
            if from != expected_from || to < from || to - from != episode.length {
                findings.add(
                    "episode.range",
                    Location::file(meta).episode(episode.index),
                    format!(
                        "expected rows [{expected_from}, {}) for episode {} of length {}, found [{from}, {to})",
                        expected_from.saturating_add(episode.length),
                        episode.index,
                        episode.length
                    ),
                    "Recompute dataset_from_index/dataset_to_index as running sums of episode lengths.",
                );
            }
            expected_from = to.max(from);
            let fps = dataset.fps();
            for video in &episode.videos {
                let Some(to_secs) = video.to_timestamp_secs else { continue };
                let window = to_secs - video.from_timestamp_secs;
                let expected = episode.length as f64 / fps;
                if (window - expected).abs() > 1.0 / fps + 1e-4 {
                    findings.add(
                        "episode.video-window",
                        Location::file(meta).episode(episode.index).feature(&video.feature),
                        format!(
                            "expected a {expected:.3} s window ({} frames at {fps} fps), found {:.3}–{:.3} s ({window:.3} s)",
                            episode.length, video.from_timestamp_secs, to_secs
                        ),
                        "Recompute from_timestamp/to_timestamp from the episode lengths.",
                    );
                }
            }
        }
    }
}

/// Reads the data files `shard` owns (a block of the sorted list of the episodes' data files):
/// each file's schema, then its episodes' frames. Returns each file's findings with its position,
/// and the sums of its episodes.
async fn check_data(
    tree: &DatasetTree,
    dataset: &Dataset,
    shard: Shard,
    progress: &mut dyn FnMut(Progress),
) -> (Vec<(usize, Vec<Finding>)>, DataAccumulator) {
    let mut accumulator = DataAccumulator::new(dataset);
    // Each data file with its episodes (in the metadata's order), files sorted.
    let mut by_file: BTreeMap<&String, Vec<&Episode>> = BTreeMap::new();
    for episode in &dataset.episodes {
        if let Some(path) = &episode.data_file {
            by_file.entry(path).or_default().push(episode);
        }
    }
    let data_files: Vec<(&String, Vec<&Episode>)> = by_file.into_iter().collect();
    let owned = shard.range(data_files.len());
    let total = dataset.episodes.len() as u64;
    let mut done = 0u64;
    let mut found = Vec::new();
    for (unit, (path, episodes)) in data_files.iter().enumerate() {
        if !owned.contains(&unit) {
            continue;
        }
        let mut findings = Findings::default();
        let findings = &mut findings;
        let columns = match tree.get(path) {
            None => None,
            Some(file) => match ParquetFile::open_cached(file.source.clone(), path, tree.footers()).await {
                Ok(parquet) => {
                    let columns = super::frames::check_schema(&parquet, dataset, findings);
                    if dataset.version.is_v3()
                        && ["index", "episode_index"].iter().all(|c| columns.iter().any(|r| r == c))
                    {
                        super::frames::check_episode_index_in_ranges(&parquet, dataset, findings).await;
                    }
                    Some(columns)
                }
                Err(e) => {
                    findings.add(
                        "file.parquet-corrupt",
                        Location::file(*path),
                        e.to_string(),
                        "Re-export the file from the source data; check the copy is complete (not cut short).",
                    );
                    None
                }
            },
        };
        for &episode in episodes {
            progress(Progress { stage: "episodes".into(), done, total });
            done += 1;
            let Some(columns) = &columns else { continue };
            match read_episode_frames(tree, dataset, episode.index, columns).await {
                Ok(frames) => EpisodeCheck { dataset, episode, path }.run(&frames, &mut accumulator, findings),
                Err(EpisodeError::Parquet(e)) => findings.add(
                    "file.parquet-corrupt",
                    Location::file(*path).episode(episode.index),
                    e.to_string(),
                    "Re-export the file from the source data; check the copy is complete (not cut short).",
                ),
                Err(e) => findings.add(
                    "schema.shape",
                    Location::file(*path).episode(episode.index),
                    e.to_string(),
                    "Store every row of a feature with the declared number of values.",
                ),
            }
        }
        if !findings.is_empty() {
            found.push((unit, std::mem::take(findings).into_items()));
        }
    }
    (found, accumulator)
}

fn check_unexpected_files(tree: &DatasetTree, dataset: &Dataset, findings: &mut Findings) {
    let referenced: BTreeSet<&str> = dataset
        .episodes
        .iter()
        .flat_map(|e| e.data_file.iter().map(String::as_str).chain(e.videos.iter().map(|v| v.path.as_str())))
        .collect();
    for file in tree.files() {
        let path = file.path.as_str();
        let top = path.split('/').next().unwrap_or("");
        let expected = match top {
            "meta" => true,
            "data" | "videos" => referenced.contains(path),
            "images" => true,
            _ => matches!(path, "README.md" | ".gitattributes" | ".gitignore"),
        };
        if !expected {
            findings.add(
                "file.unexpected",
                Location::file(path),
                "this file is not referenced by any episode or the LeRobot layout",
                "Remove it, or check it is not data that was meant to be part of the dataset.",
            );
        }
    }
}
