//! Opens a LeRobot dataset (v2.0, v2.1, v3.0) from a [`DatasetTree`]: metadata, tasks, episodes,
//! stats presence and the data/video file of every episode. Reads only `meta/` and parquet footers;
//! what is broken becomes a [`Problem`] and the rest still opens.

use std::collections::{BTreeMap, BTreeSet};

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::DataType;
use serde::Serialize;
use serde_json::Value;

use super::info::{FormatVersion, Info, InfoError};
use super::template::{fill, TemplateValue};
use crate::columns::flatten_numeric;
use crate::parquet_io::{ParquetFile, ParquetReadError};
use crate::tree::{normalize_path, DatasetTree, PathError, ReadFileError};

/// Metadata files larger than this are refused (real ones are KiBs to tens of MiB).
pub const MAX_META_JSON_BYTES: u64 = 256 * 1024 * 1024;
/// `info.json` larger than this is refused.
pub const MAX_INFO_JSON_BYTES: u64 = 16 * 1024 * 1024;

/// Something that could not be read or does not add up, with the file it is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Problem {
    /// The checker rule this problem violates (an id of `check::RULES`).
    #[serde(default = "default_problem_rule")]
    pub rule: String,
    /// The episode concerned, where one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub episode: Option<u64>,
    pub path: String,
    pub message: String,
}

fn default_problem_rule() -> String {
    "meta.unreadable".to_string()
}

/// A task: its index and its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    pub index: u64,
    pub text: String,
}

/// Where one camera's frames of an episode are.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpisodeVideo {
    pub feature: String,
    pub path: String,
    /// Start of the episode inside the file (v3.0 files hold many episodes; 0 in v2.x).
    pub from_timestamp_secs: f64,
    pub to_timestamp_secs: Option<f64>,
    pub present: bool,
}

/// One episode as the metadata describes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Episode {
    pub index: u64,
    pub length: u64,
    pub tasks: Vec<String>,
    /// The data parquet holding its frames (path in the tree), if it could be located.
    pub data_file: Option<String>,
    /// v3.0: global frame range `[from, to)` in the data files.
    pub dataset_from_index: Option<u64>,
    pub dataset_to_index: Option<u64>,
    pub videos: Vec<EpisodeVideo>,
}

/// Which stored statistics the dataset has.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StatsPresence {
    /// `meta/stats.json` (v2.0, v3.0).
    pub global_file: Option<String>,
    /// `meta/episodes_stats.jsonl` (v2.1).
    pub per_episode_file: Option<String>,
    /// v3.0: features with `stats/<feature>/...` columns in `meta/episodes/`.
    pub per_episode_features: Vec<String>,
}

/// A dataset opened from a tree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dataset {
    pub info: Info,
    /// The version the readers used (the declared one, or a guess from the layout).
    pub version: FormatVersion,
    pub tasks: Vec<Task>,
    pub episodes: Vec<Episode>,
    pub stats: StatsPresence,
    /// Parquet files found under `data/`.
    pub data_files: Vec<String>,
    pub problems: Vec<Problem>,
    /// Every data and video path the metadata names, present in the tree or not (what a reader
    /// of a host without a listing fetches: [`super::discover`]).
    #[serde(skip)]
    pub referenced_files: BTreeSet<String>,
}

/// Why a dataset could not be opened at all.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum OpenError {
    #[error("not a LeRobot dataset: there is no meta/info.json in the folder{hint}")]
    NoInfo { hint: String },
    #[error(transparent)]
    Info(#[from] InfoError),
    #[error("unsupported LeRobot format version `{version}` (Episcope reads v2.0, v2.1 and v3.0): {path}")]
    UnsupportedVersion { version: String, path: String },
    #[error(transparent)]
    Read(#[from] ReadFileError),
}

/// What the opener is doing, for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub stage: String,
    pub done: u64,
    pub total: u64,
}

impl Dataset {
    pub fn episode(&self, index: u64) -> Option<&Episode> {
        self.episodes.binary_search_by_key(&index, |e| e.index).ok().map(|i| &self.episodes[i])
    }

    pub fn fps(&self) -> f64 {
        self.info.fps.filter(|f| f.is_finite() && *f > 0.0).unwrap_or(1.0)
    }

    /// The sum of episode lengths (saturating: lengths come from files).
    pub fn frames_found(&self) -> u64 {
        self.episodes.iter().fold(0u64, |sum, e| sum.saturating_add(e.length))
    }
}

/// Opens the dataset at the root of `tree`.
pub async fn open_dataset(tree: &DatasetTree, progress: &mut dyn FnMut(Progress)) -> Result<Dataset, OpenError> {
    let info_path = "meta/info.json";
    progress(Progress { stage: "info".into(), done: 0, total: 1 });
    let text = match tree.read_all(info_path, MAX_INFO_JSON_BYTES).await {
        Err(ReadFileError::Missing { .. }) => {
            let hint = if tree.is_empty() {
                " (the folder is empty)".to_string()
            } else if tree.contains("meta.json") || tree.files().any(|f| f.path.ends_with(".mcap")) {
                " (this looks like another format)".to_string()
            } else {
                String::new()
            };
            return Err(OpenError::NoInfo { hint });
        }
        other => other?,
    };
    let (info, info_issues) = Info::parse(&text, info_path)?;
    let mut problems: Vec<Problem> = info_issues
        .into_iter()
        .map(|i| Problem {
            rule: "meta.key-type".into(),
            episode: None,
            path: info_path.to_string(),
            message: format!("`{}` {}", i.key, i.message),
        })
        .collect();
    let version = match info.version {
        Some(v) => v,
        None if info.codebase_version.starts_with("v1") || info.codebase_version.is_empty() => {
            return Err(OpenError::UnsupportedVersion {
                version: if info.codebase_version.is_empty() { "(none)".into() } else { info.codebase_version.clone() },
                path: info_path.to_string(),
            });
        }
        None => {
            let guess = if tree.files_under("meta/episodes/").next().is_some() {
                FormatVersion::V3_0
            } else {
                FormatVersion::V2_1
            };
            problems.push(Problem {
                rule: "meta.version-unsupported".into(),
                episode: None,
                path: info_path.to_string(),
                message: format!(
                    "unknown codebase_version `{}`; read as {} from the folder layout",
                    info.codebase_version,
                    guess.as_str()
                ),
            });
            guess
        }
    };
    let data_files: Vec<String> =
        tree.files_under("data/").filter(|f| f.path.ends_with(".parquet")).map(|f| f.path.clone()).collect();

    progress(Progress { stage: "tasks".into(), done: 0, total: 1 });
    let tasks = if version.is_v3() {
        read_tasks_parquet(tree, &mut problems).await
    } else {
        read_tasks_jsonl(tree, &mut problems).await
    };

    let mut stats = StatsPresence::default();
    let mut episodes = if version.is_v3() {
        read_episodes_v3(tree, &info, &mut stats, &mut problems, progress).await
    } else {
        read_episodes_v2(tree, &data_files, &mut problems, progress).await
    };
    episodes.sort_by_key(|e| e.index);
    if let Some(dup) = episodes.windows(2).find(|w| w[0].index == w[1].index) {
        problems.push(Problem {
            rule: "episode.duplicate".into(),
            episode: None,
            path: if version.is_v3() { "meta/episodes/".into() } else { "meta/episodes.jsonl".into() },
            message: format!("episode {} is listed more than once; the first entry is used", dup[0].index),
        });
        episodes.dedup_by_key(|e| e.index);
    }
    for file in ["meta/stats.json"] {
        if tree.contains(file) {
            stats.global_file = Some(file.to_string());
        }
    }
    if tree.contains("meta/episodes_stats.jsonl") {
        stats.per_episode_file = Some("meta/episodes_stats.jsonl".to_string());
    }
    let referenced_files = locate_files(tree, &info, version, &data_files, &mut episodes, &mut problems);
    progress(Progress { stage: "done".into(), done: 1, total: 1 });
    Ok(Dataset { info, version, tasks, episodes, stats, data_files, problems, referenced_files })
}

fn parse_jsonl(text: &[u8], path: &str, problems: &mut Vec<Problem>) -> Vec<(usize, Value)> {
    text.split(|&b| b == b'\n')
        .enumerate()
        .filter_map(|(line_no, line)| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.iter().all(u8::is_ascii_whitespace) {
                return None;
            }
            match serde_json::from_slice::<Value>(line) {
                Ok(value) => Some((line_no + 1, value)),
                Err(e) => {
                    problems.push(Problem {
                        rule: "meta.unreadable".into(),
                        episode: None,
                        path: path.to_string(),
                        message: format!("line {}: invalid JSON ({e})", line_no + 1),
                    });
                    None
                }
            }
        })
        .collect()
}

async fn read_meta(tree: &DatasetTree, path: &str, problems: &mut Vec<Problem>) -> Option<bytes::Bytes> {
    match tree.read_all(path, MAX_META_JSON_BYTES).await {
        Ok(bytes) if bytes.is_empty() => {
            problems.push(Problem {
                rule: "meta.unreadable".into(),
                episode: None,
                path: path.to_string(),
                message: "file is empty (0 bytes)".into(),
            });
            None
        }
        Ok(bytes) => Some(bytes),
        Err(ReadFileError::Missing { .. }) => {
            problems.push(Problem {
                rule: "meta.unreadable".into(),
                episode: None,
                path: path.to_string(),
                message: "file is missing".into(),
            });
            None
        }
        Err(e) => {
            problems.push(Problem {
                rule: "meta.unreadable".into(),
                episode: None,
                path: path.to_string(),
                message: e.to_string(),
            });
            None
        }
    }
}

async fn read_tasks_jsonl(tree: &DatasetTree, problems: &mut Vec<Problem>) -> Vec<Task> {
    let path = "meta/tasks.jsonl";
    let Some(text) = read_meta(tree, path, problems).await else { return Vec::new() };
    let mut tasks = Vec::new();
    for (line, value) in parse_jsonl(&text, path, problems) {
        match (value.get("task_index").and_then(Value::as_u64), value.get("task").and_then(Value::as_str)) {
            (Some(index), Some(text)) => tasks.push(Task { index, text: text.to_string() }),
            _ => problems.push(Problem {
                rule: "meta.unreadable".into(),
                episode: None,
                path: path.into(),
                message: format!("line {line}: expected {{\"task_index\": int, \"task\": string}}"),
            }),
        }
    }
    tasks.sort_by_key(|t| t.index);
    tasks
}

fn string_values(array: &ArrayRef) -> Option<Vec<Option<String>>> {
    let get = |i: usize, s: &str| if array.is_null(i) { None } else { Some(s.to_string()) };
    match array.data_type() {
        DataType::Utf8 => Some((0..array.len()).map(|i| get(i, array.as_string::<i32>().value(i))).collect()),
        DataType::LargeUtf8 => Some((0..array.len()).map(|i| get(i, array.as_string::<i64>().value(i))).collect()),
        DataType::Utf8View => Some((0..array.len()).map(|i| get(i, array.as_string_view().value(i))).collect()),
        DataType::Dictionary(_, _) => {
            let cast = arrow_array::cast::downcast_array::<arrow_array::DictionaryArray<arrow_array::types::Int32Type>>;
            if let DataType::Dictionary(key, _) = array.data_type() {
                if **key == DataType::Int32 {
                    let dict = cast(array.as_ref());
                    let values = string_values(dict.values())?;
                    return Some(
                        dict.keys().iter().map(|k| k.and_then(|k| values.get(k as usize).cloned().flatten())).collect(),
                    );
                }
            }
            None
        }
        _ => None,
    }
}

fn string_lists(array: &ArrayRef) -> Option<Vec<Vec<String>>> {
    let rows = |offsets: Vec<usize>, values: Vec<Option<String>>| {
        offsets.windows(2).map(|w| values[w[0]..w[1]].iter().flatten().cloned().collect()).collect()
    };
    match array.data_type() {
        DataType::List(_) => {
            let list = array.as_list::<i32>();
            let offsets: Vec<usize> = list.value_offsets().iter().map(|o| *o as usize).collect();
            let values = string_values(list.values())?;
            Some(rows(offsets, values))
        }
        DataType::LargeList(_) => {
            let list = array.as_list::<i64>();
            let offsets: Vec<usize> = list.value_offsets().iter().map(|o| *o as usize).collect();
            let values = string_values(list.values())?;
            Some(rows(offsets, values))
        }
        _ => string_values(array).map(|v| v.into_iter().map(|s| s.into_iter().collect()).collect()),
    }
}

/// Integer values of a column (ints or integral floats); `None` for rows that are null or not integral.
fn int_values(batch: &RecordBatch, column: &str) -> Option<Vec<Option<u64>>> {
    let array = batch.column_by_name(column)?;
    let flat = flatten_numeric(column, array).ok()?;
    if flat.width != 1 {
        return None;
    }
    Some(flat.values.iter().map(|v| (v.is_finite() && v.fract() == 0.0 && *v >= 0.0).then_some(*v as u64)).collect())
}

fn float_values(batch: &RecordBatch, column: &str) -> Option<Vec<f64>> {
    let array = batch.column_by_name(column)?;
    let flat = flatten_numeric(column, array).ok()?;
    (flat.width == 1).then_some(flat.values)
}

async fn read_tasks_parquet(tree: &DatasetTree, problems: &mut Vec<Problem>) -> Vec<Task> {
    let path = "meta/tasks.parquet";
    let Some(file) = tree.get(path) else {
        problems.push(Problem {
            rule: "meta.unreadable".into(),
            episode: None,
            path: path.into(),
            message: "file is missing".into(),
        });
        return Vec::new();
    };
    let result = async {
        let parquet = ParquetFile::open(file.source.clone(), path).await?;
        let text_column = ["task", "__index_level_0__"].into_iter().find(|c| parquet.has_column(c));
        let Some(text_column) = text_column else {
            return Ok(Err(
                "no `task` column (nor a pandas `__index_level_0__` index holding the task text)".to_string()
            ));
        };
        let batches = parquet.read(&["task_index", text_column], None).await?;
        Ok::<_, ParquetReadError>(Ok(batches.into_iter().map(move |b| (b, text_column)).collect::<Vec<_>>()))
    }
    .await;
    let mut tasks = Vec::new();
    match result {
        Err(e) => problems.push(Problem {
            rule: "meta.unreadable".into(),
            episode: None,
            path: path.into(),
            message: e.to_string(),
        }),
        Ok(Err(message)) => {
            problems.push(Problem { rule: "meta.unreadable".into(), episode: None, path: path.into(), message })
        }
        Ok(Ok(batches)) => {
            for (batch, text_column) in batches {
                let indices = int_values(&batch, "task_index");
                let texts = batch.column_by_name(text_column).and_then(string_values);
                let (Some(indices), Some(texts)) = (indices, texts) else {
                    problems.push(Problem {
                        rule: "meta.unreadable".into(),
                        episode: None,
                        path: path.into(),
                        message: "`task_index` is not integers or the task text is not strings".into(),
                    });
                    break;
                };
                for (index, text) in indices.into_iter().zip(texts) {
                    match (index, text) {
                        (Some(index), Some(text)) => tasks.push(Task { index, text }),
                        _ => problems.push(Problem {
                            rule: "meta.unreadable".into(),
                            episode: None,
                            path: path.into(),
                            message: "a task row has a null index or text".into(),
                        }),
                    }
                }
            }
        }
    }
    tasks.sort_by_key(|t| t.index);
    tasks
}

fn episode_chunk(info: &Info, index: u64) -> u64 {
    index / info.chunks_size.filter(|&c| c > 0).unwrap_or(1000)
}

async fn read_episodes_v2(
    tree: &DatasetTree,
    data_files: &[String],
    problems: &mut Vec<Problem>,
    progress: &mut dyn FnMut(Progress),
) -> Vec<Episode> {
    let path = "meta/episodes.jsonl";
    progress(Progress { stage: "episodes".into(), done: 0, total: 1 });
    let Some(text) = read_meta(tree, path, problems).await else {
        return episodes_from_v2_data_files(tree, data_files, problems, progress).await;
    };
    let mut episodes = Vec::new();
    for (line, value) in parse_jsonl(&text, path, problems) {
        let index = value.get("episode_index").and_then(Value::as_u64);
        let length = value.get("length").and_then(Value::as_u64);
        let tasks = match value.get("tasks") {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        };
        match (index, length) {
            (Some(index), Some(length)) => episodes.push(Episode {
                index,
                length,
                tasks,
                data_file: None,
                dataset_from_index: None,
                dataset_to_index: None,
                videos: Vec::new(),
            }),
            _ => problems.push(Problem {
                rule: "meta.unreadable".into(),
                episode: None,
                path: path.into(),
                message: format!("line {line}: expected integer `episode_index` and `length`"),
            }),
        }
    }
    episodes
}

/// Without `episodes.jsonl`, v2.x episodes can still be listed from `episode_NNNNNN.parquet` files
/// and their footers' row counts.
async fn episodes_from_v2_data_files(
    tree: &DatasetTree,
    data_files: &[String],
    problems: &mut Vec<Problem>,
    progress: &mut dyn FnMut(Progress),
) -> Vec<Episode> {
    let mut episodes = Vec::new();
    for (done, path) in data_files.iter().enumerate() {
        progress(Progress {
            stage: "episodes from data files".into(),
            done: done as u64,
            total: data_files.len() as u64,
        });
        let Some(index) = episode_index_from_file_name(path) else { continue };
        let Some(file) = tree.get(path) else { continue };
        match ParquetFile::open(file.source.clone(), path).await {
            Ok(parquet) => episodes.push(Episode {
                index,
                length: parquet.num_rows(),
                tasks: Vec::new(),
                data_file: Some(path.clone()),
                dataset_from_index: None,
                dataset_to_index: None,
                videos: Vec::new(),
            }),
            Err(e) => problems.push(Problem {
                rule: "file.parquet-corrupt".into(),
                episode: None,
                path: path.clone(),
                message: e.to_string(),
            }),
        }
    }
    if !episodes.is_empty() {
        problems.push(Problem {
            rule: "meta.unreadable".into(),
            episode: None,
            path: "meta/episodes.jsonl".into(),
            message: format!(
                "episodes were listed from {} data files instead (tasks per episode unknown)",
                episodes.len()
            ),
        });
    }
    episodes
}

/// `episode_000123.parquet` → 123.
pub fn episode_index_from_file_name(path: &str) -> Option<u64> {
    let name = path.rsplit('/').next()?;
    let digits = name.strip_prefix("episode_")?.split('.').next()?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

async fn read_episodes_v3(
    tree: &DatasetTree,
    info: &Info,
    stats: &mut StatsPresence,
    problems: &mut Vec<Problem>,
    progress: &mut dyn FnMut(Progress),
) -> Vec<Episode> {
    let files: Vec<String> =
        tree.files_under("meta/episodes/").filter(|f| f.path.ends_with(".parquet")).map(|f| f.path.clone()).collect();
    if files.is_empty() {
        problems.push(Problem {
            rule: "meta.unreadable".into(),
            episode: None,
            path: "meta/episodes/".into(),
            message: "no episode metadata files (meta/episodes/chunk-*/file-*.parquet)".into(),
        });
        return Vec::new();
    }
    let video_keys: Vec<String> = info.video_features().map(|f| f.name.clone()).collect();
    let (mut data_path_refused, mut video_path_refused) = (false, false);
    let mut data_paths = LastPath::default();
    let mut video_paths: Vec<LastPath> = video_keys.iter().map(|_| LastPath::default()).collect();
    let mut episodes = Vec::new();
    for (done, path) in files.iter().enumerate() {
        progress(Progress { stage: "episodes".into(), done: done as u64, total: files.len() as u64 });
        let Some(file) = tree.get(path) else { continue };
        let parquet = match ParquetFile::open(file.source.clone(), path).await {
            Ok(p) => p,
            Err(e) => {
                problems.push(Problem {
                    rule: "file.parquet-corrupt".into(),
                    episode: None,
                    path: path.clone(),
                    message: e.to_string(),
                });
                continue;
            }
        };
        for field in parquet.schema().fields() {
            if let Some(feature) =
                field.name().strip_prefix("stats/").and_then(|rest| rest.rsplit_once('/')).map(|(f, _)| f)
            {
                if !stats.per_episode_features.iter().any(|f| f == feature) {
                    stats.per_episode_features.push(feature.to_string());
                }
            }
        }
        let mut wanted: Vec<String> = [
            "episode_index",
            "tasks",
            "length",
            "data/chunk_index",
            "data/file_index",
            "dataset_from_index",
            "dataset_to_index",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for key in &video_keys {
            for part in ["chunk_index", "file_index", "from_timestamp", "to_timestamp"] {
                wanted.push(format!("videos/{key}/{part}"));
            }
        }
        let present: Vec<&str> = wanted.iter().map(String::as_str).filter(|c| parquet.has_column(c)).collect();
        for required in ["episode_index", "length"] {
            if !present.contains(&required) {
                problems.push(Problem {
                    rule: "meta.unreadable".into(),
                    episode: None,
                    path: path.clone(),
                    message: format!("no `{required}` column"),
                });
            }
        }
        let batches = match parquet.read(&present, None).await {
            Ok(b) => b,
            Err(e) => {
                problems.push(Problem {
                    rule: "file.parquet-corrupt".into(),
                    episode: None,
                    path: path.clone(),
                    message: e.to_string(),
                });
                continue;
            }
        };
        for batch in batches {
            let rows = batch.num_rows();
            let column = |name: &str| int_values(&batch, name).unwrap_or_else(|| vec![None; rows]);
            let indices = column("episode_index");
            let lengths = column("length");
            let chunk = column("data/chunk_index");
            let file_index = column("data/file_index");
            let from = column("dataset_from_index");
            let to = column("dataset_to_index");
            let mut tasks =
                batch.column_by_name("tasks").and_then(string_lists).unwrap_or_else(|| vec![Vec::new(); rows]);
            let videos: Vec<_> = video_keys
                .iter()
                .map(|key| {
                    let part = |p: &str| format!("videos/{key}/{p}");
                    (
                        key.clone(),
                        column(&part("chunk_index")),
                        column(&part("file_index")),
                        float_values(&batch, &part("from_timestamp")).unwrap_or_else(|| vec![f64::NAN; rows]),
                        float_values(&batch, &part("to_timestamp")).unwrap_or_else(|| vec![f64::NAN; rows]),
                    )
                })
                .collect();
            for row in 0..rows {
                let (Some(index), Some(length)) = (indices[row], lengths[row]) else {
                    problems.push(Problem {
                        rule: "meta.unreadable".into(),
                        episode: None,
                        path: path.clone(),
                        message: format!("row {row}: null or invalid episode_index/length"),
                    });
                    continue;
                };
                let data_file = match (chunk[row], file_index[row], info.data_path.as_deref()) {
                    (Some(c), Some(f), Some(template)) => data_paths.get((c, f), || {
                        template_path(
                            template,
                            "data_path",
                            &[("chunk_index", TemplateValue::Int(c)), ("file_index", TemplateValue::Int(f))],
                            &mut data_path_refused,
                            problems,
                        )
                    }),
                    _ => None,
                };
                let episode_videos = videos
                    .iter()
                    .zip(video_paths.iter_mut())
                    .filter_map(|((key, vc, vf, vfrom, vto), paths)| {
                        let template = info.video_path.as_deref()?;
                        let (c, f) = (vc[row]?, vf[row]?);
                        let path = paths.get((c, f), || {
                            template_path(
                                template,
                                "video_path",
                                &[
                                    ("video_key", TemplateValue::Str(key)),
                                    ("chunk_index", TemplateValue::Int(c)),
                                    ("file_index", TemplateValue::Int(f)),
                                ],
                                &mut video_path_refused,
                                problems,
                            )
                        })?;
                        Some(EpisodeVideo {
                            feature: key.clone(),
                            path,
                            from_timestamp_secs: if vfrom[row].is_finite() { vfrom[row] } else { 0.0 },
                            to_timestamp_secs: vto[row].is_finite().then_some(vto[row]),
                            present: false,
                        })
                    })
                    .collect();
                episodes.push(Episode {
                    index,
                    length,
                    tasks: tasks.get_mut(row).map(std::mem::take).unwrap_or_default(),
                    data_file,
                    dataset_from_index: from[row],
                    dataset_to_index: to[row],
                    videos: episode_videos,
                });
            }
        }
    }
    episodes
}

/// The last (chunk, file) pair a path template was filled with, and the path it gave: v3.0
/// episodes come in file order, so consecutive episodes share their data and video files, and
/// filling and normalising the same path for each of them (4 paths × 95 600 episodes in DROID's
/// metadata) was most of the time `open_dataset` spent.
#[derive(Default)]
struct LastPath {
    key: Option<(u64, u64)>,
    path: Option<String>,
}

impl LastPath {
    fn get(&mut self, key: (u64, u64), fill: impl FnOnce() -> Option<String>) -> Option<String> {
        if self.key != Some(key) {
            self.path = fill();
            self.key = Some(key);
        }
        self.path.clone()
    }
}

/// [`DatasetTree::contains`], remembering the last answer per slot (the data file, each video
/// feature): consecutive v3.0 episodes ask about the same files.
struct Presence<'t> {
    tree: &'t DatasetTree,
    last: Vec<Option<(String, bool)>>,
}

impl Presence<'_> {
    fn contains(&mut self, slot: usize, path: &str) -> bool {
        if let Some(Some((last, found))) = self.last.get(slot) {
            if last == path {
                return *found;
            }
        }
        let found = self.tree.contains(path);
        if slot >= self.last.len() {
            self.last.resize(slot + 1, None);
        }
        self.last[slot] = Some((path.to_string(), found));
        found
    }
}

/// Resolves each episode's data file (v2.x by template, falling back to what is on disk) and video
/// files, and reports what is missing.
fn locate_files(
    tree: &DatasetTree,
    info: &Info,
    version: FormatVersion,
    data_files: &[String],
    episodes: &mut [Episode],
    problems: &mut Vec<Problem>,
) -> BTreeSet<String> {
    let mut referenced = BTreeSet::new();
    let by_index: BTreeMap<u64, &String> =
        data_files.iter().filter_map(|p| episode_index_from_file_name(p).map(|i| (i, p))).collect();
    let mut missing_data = Missing::default();
    let (mut data_path_refused, mut video_path_refused) = (false, false);
    let mut presence = Presence { tree, last: Vec::new() };
    for episode in episodes.iter_mut() {
        if !version.is_v3() {
            let chunk = episode_chunk(info, episode.index);
            // Episodes listed from data files (no episodes.jsonl) already have their data file, but
            // their videos still have to be located.
            if episode.data_file.is_none() {
                let values = [
                    ("episode_chunk", TemplateValue::Int(chunk)),
                    ("episode_index", TemplateValue::Int(episode.index)),
                ];
                episode.data_file = info
                    .data_path
                    .as_deref()
                    .and_then(|t| template_path(t, "data_path", &values, &mut data_path_refused, problems));
            }
            if let Some(video_template) = info.video_path.as_deref().filter(|_| episode.videos.is_empty()) {
                for feature in info.video_features() {
                    let path = template_path(
                        video_template,
                        "video_path",
                        &[
                            ("episode_chunk", TemplateValue::Int(chunk)),
                            ("video_key", TemplateValue::Str(&feature.name)),
                            ("episode_index", TemplateValue::Int(episode.index)),
                        ],
                        &mut video_path_refused,
                        problems,
                    );
                    if let Some(path) = path {
                        episode.videos.push(EpisodeVideo {
                            feature: feature.name.clone(),
                            path,
                            from_timestamp_secs: 0.0,
                            to_timestamp_secs: None,
                            present: false,
                        });
                    }
                }
            }
        }
        referenced.extend(episode.data_file.iter().cloned());
        referenced.extend(episode.videos.iter().map(|v| v.path.clone()));
        match &episode.data_file {
            Some(path) if presence.contains(0, path) => {}
            expected => {
                let found = if version.is_v3() { None } else { by_index.get(&episode.index).map(|p| p.to_string()) };
                let expected_text = expected.clone().unwrap_or_else(|| "(no data_path template)".to_string());
                if let Some(found) = found {
                    problems.push(Problem {
                        rule: "file.misplaced".into(),
                        episode: None,
                        path: found.clone(),
                        message: format!(
                            "episode {} found here, not at {expected_text} as data_path says",
                            episode.index
                        ),
                    });
                    episode.data_file = Some(found);
                } else {
                    missing_data.add(episode.index, || expected_text);
                    episode.data_file = None;
                }
            }
        }
        for (slot, video) in episode.videos.iter_mut().enumerate() {
            video.present = presence.contains(slot + 1, &video.path);
        }
    }
    report_grouped(problems, missing_data, "file.data-missing", "data file is missing for episode");
    let mut missing_videos = Missing::default();
    let mut seen = std::collections::BTreeSet::new();
    for episode in episodes.iter() {
        for video in episode.videos.iter().filter(|v| !v.present) {
            if seen.insert(video.path.as_str()) {
                missing_videos.add(episode.index, || video.path.clone());
            }
        }
    }
    report_grouped(problems, missing_videos, "file.video-missing", "video file is missing for episode");
    referenced
}

/// Missing files to report: the first [`Missing::KEPT`] (episode, path), and how many in all.
#[derive(Default)]
struct Missing {
    first: Vec<(u64, String)>,
    total: usize,
}

impl Missing {
    /// Missing files listed one by one.
    const LISTED: usize = 20;
    /// The listed ones and the one whose path the summary line names.
    const KEPT: usize = Self::LISTED + 1;

    fn add(&mut self, episode: u64, path: impl FnOnce() -> String) {
        if self.first.len() < Self::KEPT {
            self.first.push((episode, path()));
        }
        self.total += 1;
    }
}

/// Fills the path template `key` of info.json and normalises the result to a path of the tree. A
/// path that would leave the dataset folder (`..`, absolute, a drive) is not followed: the first
/// such path of each template is a `meta.path-template` problem (`refused` remembers it).
fn template_path(
    template: &str,
    key: &str,
    values: &[(&str, TemplateValue<'_>)],
    refused: &mut bool,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let filled = fill(template, values).ok()?;
    let why = match normalize_path(&filled) {
        Ok(path) => return Some(path),
        Err(PathError::Escapes { .. }) => "a path outside the dataset folder",
        Err(PathError::Empty) => "an empty path",
    };
    if !std::mem::replace(refused, true) {
        problems.push(Problem {
            rule: "meta.path-template".into(),
            episode: None,
            path: "meta/info.json".into(),
            message: format!("`{key}` template `{template}` gives `{filled}`, {why}; it is not followed"),
        });
    }
    None
}

/// One problem per missing file, but at most 20 listed; the rest summarised in one line.
fn report_grouped(problems: &mut Vec<Problem>, missing: Missing, rule: &str, what: &str) {
    const LISTED: usize = Missing::LISTED;
    let Missing { first: missing, total } = missing;
    for (episode, path) in missing.iter().take(LISTED) {
        problems.push(Problem {
            rule: rule.into(),
            episode: Some(*episode),
            path: path.clone(),
            message: format!("{what} {episode}"),
        });
    }
    if total > LISTED {
        problems.push(Problem {
            rule: rule.into(),
            episode: None,
            path: missing.get(LISTED).map(|(_, path)| path.clone()).unwrap_or_default(),
            message: format!("… and {} more files like it are missing", total - LISTED),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn episode_index_from_file_names() {
        assert_eq!(episode_index_from_file_name("data/chunk-000/episode_000012.parquet"), Some(12));
        assert_eq!(episode_index_from_file_name("data/chunk-000/file-000.parquet"), None);
        assert_eq!(episode_index_from_file_name("episode_.parquet"), None);
    }
}
