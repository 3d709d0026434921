//! Finds the recordings among a tree's files (`.mcap`, `.db3`, `.bag`, `.hdf5`/`.h5`) and opens
//! each as one episode of a [`Recording`]: streams summed across episodes, per-episode counts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{RawChannel, RecordingFormat, StreamInfo, StreamKind};
use crate::formats::lerobot::Progress;
use crate::formats::ros_msg::flatten::stream_kind;
use crate::formats::{hdf5, mcap, rosbag1, rosbag2};
use crate::tree::{DatasetTree, TreeFile};

/// Why a recording file could not be opened; names the file.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error("{reason} ({path})")]
    Open { reason: String, path: String },
    #[error("no recording (.mcap, .db3, .bag, .hdf5) among the files")]
    NoRecording,
}

/// One episode: one recording file (a rosbag2 folder's files count as one each for now).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordingEpisode {
    pub index: usize,
    /// The file (and, for robomimic, `#demo_N`).
    pub name: String,
    pub format: RecordingFormat,
    /// Messages of the stream with the most (the frame count a dataset made from it would have
    /// at that stream's rate).
    pub frames: u64,
    pub start_time_ns: Option<u64>,
    pub end_time_ns: Option<u64>,
    pub streams: Vec<StreamInfo>,
    /// What is wrong with the file but did not stop it opening (an MCAP cut short): the check
    /// reports it, the views show what could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub damage: Option<String>,
    /// A rosbag2 bag split across files (`ros2 bag record --max-bag-duration/size`): every file in
    /// the order its `metadata.yaml` lists them, the first being `name`. Empty for one file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<String>,
}

impl RecordingEpisode {
    /// The files holding this episode's messages, in order.
    pub fn files(&self) -> Vec<&str> {
        if self.parts.is_empty() {
            vec![super::read::episode_file(self).0]
        } else {
            self.parts.iter().map(String::as_str).collect()
        }
    }
}

/// Everything opening a set of recording files tells, without decoding messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    pub formats: Vec<RecordingFormat>,
    /// Streams by name across episodes (messages summed, time span widened).
    pub streams: Vec<StreamInfo>,
    pub episodes: Vec<RecordingEpisode>,
}

/// The recording files of a tree, in path order.
pub fn recording_files(tree: &DatasetTree) -> Vec<&TreeFile> {
    tree.files().filter(|f| recording_format_of(&f.path).is_some()).collect()
}

fn recording_format_of(path: &str) -> Option<&'static str> {
    let lower = path.to_ascii_lowercase();
    [".mcap", ".db3", ".bag", ".hdf5", ".h5"].into_iter().find(|ext| lower.ends_with(ext))
}

fn streams_from_channels(
    channels: &[RawChannel],
    counts: &BTreeMap<u32, u64>,
    span: (Option<u64>, Option<u64>),
) -> Vec<StreamInfo> {
    // Several channels of one topic and type (a ROS 1 bag's connections, one per publisher) are one
    // stream, as reading merges them (`read::read_ros_messages`) and as `rosbag info` lists them.
    let mut streams: Vec<StreamInfo> = Vec::new();
    for c in channels {
        let stream = StreamInfo {
            name: c.topic.clone(),
            type_name: c.message_type.clone(),
            kind: if c.message_encoding == "cdr" || c.message_encoding == "ros1" {
                stream_kind(&c.message_type)
            } else {
                StreamKind::Other
            },
            messages: counts.get(&c.id).copied().unwrap_or(0),
            first_time_ns: None,
            last_time_ns: None,
        };
        merge_streams(&mut streams, vec![stream]);
    }
    // Containers count messages per channel but keep only the file's time span: a stream's own span
    // (and so its rate) is known from the summary only when it is the one stream.
    if let [only] = streams.as_mut_slice() {
        (only.first_time_ns, only.last_time_ns) = span;
    }
    streams
}

/// Opens every recording file of `tree` (summaries only).
pub async fn open_recording(tree: &DatasetTree) -> Result<Recording, RecordingError> {
    open_recording_with_progress(tree, &mut |_| {}).await
}

/// [`open_recording`], reporting progress: stage `recordings` before each file (done = files
/// opened, total = files), and `scan:<path>` while an MCAP file without a summary is scanned
/// (done = bytes scanned, total = the file's bytes).
pub async fn open_recording_with_progress(
    tree: &DatasetTree,
    progress: &mut dyn FnMut(Progress),
) -> Result<Recording, RecordingError> {
    let files = recording_files(tree);
    if files.is_empty() {
        return Err(RecordingError::NoRecording);
    }
    let split = split_bags(tree).await;
    let mut episodes = Vec::new();
    let file_count = files.len() as u64;
    for (opened, file) in files.into_iter().enumerate() {
        progress(Progress { stage: "recordings".into(), done: opened as u64, total: file_count });
        let open_err = |reason: String| RecordingError::Open { reason, path: file.path.clone() };
        if let Some(parts) = split.get(&file.path) {
            if parts.first() != Some(&file.path) {
                continue; // read with the bag's first file
            }
            let episode = open_split_bag(tree, parts, episodes.len()).await?;
            episodes.push(episode);
            continue;
        }
        let source = file.source.as_ref();
        let ext = recording_format_of(&file.path).unwrap_or_default();
        let mut push = |name: String, format, streams: Vec<StreamInfo>, span: (Option<u64>, Option<u64>)| {
            let frames = streams.iter().map(|s| s.messages).max().unwrap_or(0);
            episodes.push(RecordingEpisode {
                index: episodes.len(),
                name,
                format,
                frames,
                start_time_ns: span.0,
                end_time_ns: span.1,
                streams,
                damage: None,
                parts: Vec::new(),
            });
        };
        match ext {
            ".mcap" => {
                let stage = format!("scan:{}", file.path);
                let mut scanned = |done, total| progress(Progress { stage: stage.clone(), done, total });
                let s = mcap::read_mcap_summary_with_progress(source, &mut scanned)
                    .await
                    .map_err(|e| open_err(e.to_string()))?;
                let span = (s.start_time_ns, s.end_time_ns);
                let format = if listed_in_rosbag2_metadata(tree, &file.path).await {
                    RecordingFormat::Rosbag2Mcap
                } else {
                    RecordingFormat::Mcap
                };
                push(file.path.clone(), format, streams_from_channels(&s.channels, &s.message_counts, span), span);
                if let (Some(at), Some(episode)) = (s.truncated_at_byte, episodes.last_mut()) {
                    let messages: u64 = s.message_counts.values().sum();
                    episode.damage = Some(format!(
                        "cut short at byte {at} of {}: no footer or end magic (the recorder stopped mid-write?); \
                         the {messages} messages in the whole records before the cut are read, the rest is lost",
                        source.size()
                    ));
                }
            }
            ".db3" => {
                let s = rosbag2::read_db3_summary(source).await.map_err(|e| open_err(e.to_string()))?;
                let span = (s.start_time_ns, s.end_time_ns);
                let streams = streams_from_channels(&s.channels, &s.message_counts, span);
                push(file.path.clone(), RecordingFormat::Rosbag2Sqlite, streams, span);
            }
            ".bag" => {
                let s = rosbag1::read_summary(source).await.map_err(|e| open_err(e.to_string()))?;
                let span = (s.start_time_ns, s.end_time_ns);
                let streams = streams_from_channels(&s.channels, &s.message_counts, span);
                push(file.path.clone(), RecordingFormat::Rosbag1, streams, span);
            }
            _ => {
                let s = hdf5::read_hdf5_summary(source).await.map_err(|e| open_err(e.to_string()))?;
                if s.episodes.is_empty() || s.layout == RecordingFormat::Hdf5Aloha {
                    push(file.path.clone(), s.layout, s.streams.clone(), (None, None));
                } else {
                    for demo in &s.episodes {
                        let prefix = format!("data/{}/", demo.name);
                        let streams: Vec<StreamInfo> = s
                            .streams
                            .iter()
                            .filter(|st| st.name.trim_start_matches('/').starts_with(&prefix))
                            .cloned()
                            .collect();
                        push(format!("{}#{}", file.path, demo.name), s.layout, streams, (None, None));
                    }
                }
            }
        }
    }
    let mut by_name: BTreeMap<String, StreamInfo> = BTreeMap::new();
    let mut episodes_of: BTreeMap<String, usize> = BTreeMap::new();
    let mut formats = Vec::new();
    for episode in &episodes {
        if !formats.contains(&episode.format) {
            formats.push(episode.format);
        }
        for stream in &episode.streams {
            // HDF5 robomimic streams are per demo: group them by the path below the demo.
            let key = strip_demo(&stream.name);
            let entry = by_name.entry(key.clone()).or_insert_with(|| StreamInfo {
                name: key,
                messages: 0,
                first_time_ns: None,
                last_time_ns: None,
                ..stream.clone()
            });
            entry.messages += stream.messages;
            entry.first_time_ns = min_opt(entry.first_time_ns, stream.first_time_ns);
            entry.last_time_ns = entry.last_time_ns.max(stream.last_time_ns);
            *episodes_of.entry(entry.name.clone()).or_default() += 1;
        }
    }
    // A span across episodes (recorded at different times, or each from zero) gives no rate.
    for (name, count) in episodes_of {
        if let Some(stream) = by_name.get_mut(&name).filter(|_| count > 1) {
            stream.first_time_ns = None;
            stream.last_time_ns = None;
        }
    }
    Ok(Recording { formats, streams: by_name.into_values().collect(), episodes })
}

/// Every split rosbag2 bag of `tree`, by each of its files: a `metadata.yaml` that lists two files
/// or more, all present beside it. (A bag with a part missing opens file by file.)
async fn split_bags(tree: &DatasetTree) -> BTreeMap<String, Vec<String>> {
    const MAX_METADATA_BYTES: u64 = 4 << 20;
    let metadata_files: Vec<String> =
        tree.files().filter(|f| f.path.rsplit('/').next() == Some("metadata.yaml")).map(|f| f.path.clone()).collect();
    let mut out = BTreeMap::new();
    for metadata_path in metadata_files {
        let Ok(text) = tree.read_all(&metadata_path, MAX_METADATA_BYTES).await else { continue };
        let Ok(metadata) = rosbag2::parse_metadata(&String::from_utf8_lossy(&text)) else { continue };
        let parts: Vec<String> = metadata
            .relative_file_paths
            .iter()
            .map(|p| sibling(&metadata_path, p.rsplit('/').next().unwrap_or(p)))
            .collect();
        if parts.len() >= 2 && parts.iter().all(|p| tree.get(p).is_some()) {
            for part in &parts {
                out.insert(part.clone(), parts.clone());
            }
        }
    }
    out
}

/// Adds `more` streams into `streams` by name and type: messages summed, spans widened.
fn merge_streams(streams: &mut Vec<StreamInfo>, more: Vec<StreamInfo>) {
    for stream in more {
        match streams.iter_mut().find(|s| s.name == stream.name && s.type_name == stream.type_name) {
            Some(known) => {
                known.messages += stream.messages;
                known.first_time_ns = min_opt(known.first_time_ns, stream.first_time_ns);
                known.last_time_ns = known.last_time_ns.max(stream.last_time_ns);
            }
            None => streams.push(stream),
        }
    }
}

/// One episode of a split bag: the summaries of all its files, merged.
async fn open_split_bag(
    tree: &DatasetTree,
    parts: &[String],
    index: usize,
) -> Result<RecordingEpisode, RecordingError> {
    let mut streams = Vec::new();
    let mut span = (None, None);
    let mut damage = None;
    let mut format = RecordingFormat::Rosbag2Mcap;
    for part in parts {
        let open_err = |reason: String| RecordingError::Open { reason, path: part.clone() };
        let file = tree.get(part).ok_or_else(|| open_err("the file is not in the opened folder".into()))?;
        let source = file.source.as_ref();
        let (channels, counts, part_span) = if part.to_ascii_lowercase().ends_with(".db3") {
            format = RecordingFormat::Rosbag2Sqlite;
            let s = rosbag2::read_db3_summary(source).await.map_err(|e| open_err(e.to_string()))?;
            (s.channels, s.message_counts, (s.start_time_ns, s.end_time_ns))
        } else {
            let s = mcap::read_mcap_summary(source).await.map_err(|e| open_err(e.to_string()))?;
            if let Some(at) = s.truncated_at_byte {
                damage = Some(format!("{part} is cut short at byte {at} of {}", source.size()));
            }
            (s.channels, s.message_counts, (s.start_time_ns, s.end_time_ns))
        };
        merge_streams(&mut streams, streams_from_channels(&channels, &counts, part_span));
        span = (min_opt(span.0, part_span.0), span.1.max(part_span.1));
    }
    let frames = streams.iter().map(|s| s.messages).max().unwrap_or(0);
    Ok(RecordingEpisode {
        index,
        name: parts[0].clone(),
        format,
        frames,
        start_time_ns: span.0,
        end_time_ns: span.1,
        streams,
        damage,
        parts: parts.to_vec(),
    })
}

fn min_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

pub(crate) fn strip_demo(name: &str) -> String {
    let trimmed = name.trim_start_matches('/');
    if let Some(rest) = trimmed.strip_prefix("data/") {
        if let Some((demo, tail)) = rest.split_once('/') {
            if demo.starts_with("demo_") {
                return format!("data/demo_*/{tail}");
            }
        }
    }
    name.to_string()
}

/// Whether a `metadata.yaml` beside `path` is a rosbag2 bag's and lists the file.
async fn listed_in_rosbag2_metadata(tree: &DatasetTree, path: &str) -> bool {
    const MAX_METADATA_BYTES: u64 = 4 << 20;
    let Ok(text) = tree.read_all(&sibling(path, "metadata.yaml"), MAX_METADATA_BYTES).await else { return false };
    let Ok(metadata) = rosbag2::parse_metadata(&String::from_utf8_lossy(&text)) else { return false };
    let file_name = path.rsplit('/').next().unwrap_or(path);
    metadata.relative_file_paths.iter().any(|p| p.rsplit('/').next() == Some(file_name))
}

fn sibling(path: &str, name: &str) -> String {
    match path.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{name}"),
        None => name.to_string(),
    }
}
