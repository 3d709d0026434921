//! LeRobot → LeRobot v3.0: a v2.0, v2.1 or v3.0 dataset rewritten in the v3.0 layout (what
//! LeRobot's `convert_dataset_v21_to_v30` does, without Python or ffmpeg), which also re-chunks a
//! v3.0 dataset to other file sizes. Column values are carried over unchanged (types included);
//! the five default columns are renumbered; stats of numeric features are recomputed from the
//! values, those of images and videos (whose pixels are not decoded here) carried over from the
//! source; mp4 files are copied byte for byte — a v2.x episode's video stays its own file, which
//! v3.0 allows (`from_timestamp` 0 in it).

use std::collections::HashMap;

use arrow_array::{Array, RecordBatch};
use arrow_schema::{Field, Schema};
use serde_json::{json, Value};

use super::{ConvertError, ConvertProgress, MAX_EPISODE_FRAMES};
use crate::columns::flatten_numeric;
use crate::lerobot::dataset::MAX_INFO_JSON_BYTES;
use crate::lerobot::episode::row_groups_for;
use crate::lerobot::{read_stored_stats, Dataset, Feature, FeatureKind, FeatureStats, StoredStats};
use crate::parquet_io::ParquetFile;
use crate::tree::DatasetTree;
use crate::writer::v3::{
    ColumnSpec, ColumnStats, DatasetSettings, DatasetWriter, EpisodeColumns, VideoLocation, WriteSummary,
};
use crate::writer::{next_file, DatasetSink, WriteError, WrittenFile, STAT_NAMES};

/// Bytes read and written at a time when a video file is copied.
pub const VIDEO_COPY_BLOCK_BYTES: u64 = 8 * 1024 * 1024;

/// How the output is laid out (the rest comes from the source).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayoutOptions {
    pub chunks_size: u64,
    pub data_files_size_in_mb: u64,
}

impl Default for LayoutOptions {
    fn default() -> Self {
        let settings = DatasetSettings::default();
        Self { chunks_size: settings.chunks_size, data_files_size_in_mb: settings.data_files_size_in_mb }
    }
}

/// What a LeRobot → v3.0 conversion wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct RelayoutSummary {
    pub written: WriteSummary,
    /// `(source episode index, new episode index)`, in order.
    pub episodes: Vec<(u64, u64)>,
    /// The video files copied (also in `written.files`).
    pub videos: Vec<WrittenFile>,
    /// Features whose per-episode stats the source did not have and could not be computed here
    /// (images and videos of a v2.0 dataset): written without them.
    pub stats_omitted: Vec<String>,
}

fn dataset_error(reason: impl Into<String>, path: impl Into<String>) -> ConvertError {
    ConvertError::Dataset { reason: reason.into(), path: path.into() }
}

/// Rewrites the dataset opened from `tree` as LeRobot v3.0 into `sink`. `cancelled` is asked
/// between episodes; a cancelled or failed conversion leaves no `meta/info.json` in the sink.
pub async fn relayout_dataset(
    tree: &DatasetTree,
    dataset: &Dataset,
    options: LayoutOptions,
    sink: &mut dyn DatasetSink,
    progress: &mut dyn FnMut(ConvertProgress),
    cancelled: &dyn Fn() -> bool,
) -> Result<RelayoutSummary, ConvertError> {
    let info_path = "meta/info.json";
    let info_bytes =
        tree.read_all(info_path, MAX_INFO_JSON_BYTES).await.map_err(|e| dataset_error(e.to_string(), info_path))?;
    let raw_info: Value = serde_json::from_slice(&info_bytes).map_err(|e| dataset_error(e.to_string(), info_path))?;
    let fps = dataset.info.fps.unwrap_or(0.0);
    if !(fps >= 1.0 && fps.fract() == 0.0 && fps <= f64::from(u32::MAX)) {
        return Err(dataset_error(format!("fps {fps} is not a whole number of frames per second"), info_path));
    }
    if dataset.episodes.is_empty() {
        return Err(ConvertError::Empty);
    }
    let stored = read_stored_stats(tree, dataset).await;
    let first_data = dataset
        .episodes
        .iter()
        .find_map(|e| e.data_file.clone())
        .ok_or_else(|| dataset_error("no episode's data file was found", "data/"))?;
    let first_file = tree.get(&first_data).ok_or_else(|| dataset_error("missing", first_data.clone()))?;
    let first_parquet = ParquetFile::open_cached(first_file.source.clone(), &first_data, tree.footers())
        .await
        .map_err(|e| dataset_error(e.to_string(), first_data.clone()))?;

    let mut columns = Vec::new();
    let mut stats_omitted = Vec::new();
    for feature in dataset.info.features.iter().filter(|f| !f.is_default_index_column()) {
        let info = raw_info
            .get("features")
            .and_then(|f| f.get(&feature.name))
            .cloned()
            .map(v3_feature_entry)
            .unwrap_or_else(|| json!({"dtype": feature.dtype, "shape": feature.shape, "names": feature.names}));
        let field = if feature.kind == FeatureKind::Video {
            None
        } else {
            let field = first_parquet.schema().field_with_name(&feature.name).map_err(|_| {
                dataset_error(format!("feature {} is declared but has no column", feature.name), first_data.clone())
            })?;
            Some(Field::new(&feature.name, field.data_type().clone(), true))
        };
        let stats = match feature.kind {
            FeatureKind::Numeric => ColumnStats::Computed { width: feature.values_per_frame() as usize },
            FeatureKind::Video | FeatureKind::Image => match stored_stat_names(&stored, dataset, &feature.name) {
                Some(stats) => ColumnStats::Supplied { stats },
                None => {
                    stats_omitted.push(feature.name.clone());
                    ColumnStats::Omitted
                }
            },
            FeatureKind::Other => ColumnStats::Omitted,
        };
        columns.push(ColumnSpec { name: feature.name.clone(), info, field, hf_feature: hf_feature(feature), stats });
    }
    let settings = DatasetSettings {
        fps: fps as u32,
        robot_type: dataset.info.robot_type.clone(),
        chunks_size: options.chunks_size,
        data_files_size_in_mb: options.data_files_size_in_mb,
        ..DatasetSettings::default()
    };
    let mut writer = DatasetWriter::with_columns(settings, columns)?;
    let columns: Vec<ColumnSpec> = writer.columns().to_vec();
    let task_text: HashMap<u64, &str> = dataset.tasks.iter().map(|t| (t.index, t.text.as_str())).collect();
    let mut video_files: Vec<HashMap<String, (u64, u64)>> = vec![HashMap::new(); columns.len()];
    let mut next_video: Vec<(u64, u64)> = vec![(0, 0); columns.len()];
    let mut videos = Vec::new();
    let mut episodes = Vec::new();
    let mut frames_written = 0u64;
    let feature_schema =
        std::sync::Arc::new(Schema::new(columns.iter().filter_map(|c| c.field.clone()).collect::<Vec<_>>()));
    for (done, episode) in dataset.episodes.iter().enumerate() {
        super::settle(sink).await?;
        if cancelled() {
            return Err(ConvertError::Cancelled);
        }
        let data_path = episode
            .data_file
            .clone()
            .ok_or_else(|| dataset_error(format!("episode {} has no data file", episode.index), "data/"))?;
        let file = tree.get(&data_path).ok_or_else(|| dataset_error("missing", data_path.clone()))?;
        let parquet = ParquetFile::open_cached(file.source.clone(), &data_path, tree.footers())
            .await
            .map_err(|e| dataset_error(e.to_string(), data_path.clone()))?;
        let mut wanted: Vec<&str> = columns.iter().filter(|c| !c.is_video()).map(|c| c.name.as_str()).collect();
        for extra in ["timestamp", "episode_index", "task_index"] {
            if parquet.has_column(extra) {
                wanted.push(extra);
            }
        }
        let row_groups = row_groups_for(&parquet, dataset, episode);
        let batches = parquet
            .read(&wanted, row_groups.as_deref())
            .await
            .map_err(|e| dataset_error(e.to_string(), data_path.clone()))?;
        let batches = episode_slices(&batches, dataset, episode.index, &data_path)?;
        let frames: usize = batches.iter().map(RecordBatch::num_rows).sum();
        if frames == 0 {
            return Err(dataset_error(format!("episode {} has no frames", episode.index), data_path));
        }
        if frames > MAX_EPISODE_FRAMES {
            return Err(dataset_error(
                format!("episode {} has {frames} frames; at most {MAX_EPISODE_FRAMES} are converted", episode.index),
                data_path,
            ));
        }
        let mut out = EpisodeColumns::default();
        let mut computed: Vec<Vec<f64>> =
            vec![Vec::new(); columns.iter().filter(|c| matches!(c.stats, ColumnStats::Computed { .. })).count()];
        let mut frame_task_ids: Vec<u64> = Vec::with_capacity(frames);
        for batch in &batches {
            let mut arrays = Vec::with_capacity(feature_schema.fields().len());
            let mut computed_column = 0;
            for column in columns.iter().filter(|c| !c.is_video()) {
                let array = batch
                    .column_by_name(&column.name)
                    .ok_or_else(|| dataset_error(format!("no column {}", column.name), data_path.clone()))?;
                let expected = column.field.as_ref().map(Field::data_type);
                if Some(array.data_type()) != expected {
                    return Err(dataset_error(
                        format!(
                            "column {} is {} here but {} in {first_data}; the output needs one type",
                            column.name,
                            array.data_type(),
                            expected.map(ToString::to_string).unwrap_or_default()
                        ),
                        data_path.clone(),
                    ));
                }
                if let ColumnStats::Computed { width } = column.stats {
                    let flat = flatten_numeric(&column.name, array)
                        .map_err(|e| dataset_error(e.to_string(), data_path.clone()))?;
                    if flat.width != width && flat.rows > 0 {
                        return Err(dataset_error(
                            format!(
                                "column {} has {} values per frame; info.json declares {width}",
                                column.name, flat.width
                            ),
                            data_path.clone(),
                        ));
                    }
                    computed[computed_column].extend(flat.values);
                    computed_column += 1;
                }
                arrays.push(array.clone());
            }
            out.batches.push(
                RecordBatch::try_new_with_options(
                    feature_schema.clone(),
                    arrays,
                    &arrow_array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows())),
                )
                .map_err(|e| dataset_error(e.to_string(), data_path.clone()))?,
            );
            match batch.column_by_name("timestamp") {
                Some(ts) => {
                    let flat = flatten_numeric("timestamp", ts)
                        .map_err(|e| dataset_error(e.to_string(), data_path.clone()))?;
                    out.timestamps.extend(flat.values.iter().map(|&t| t as f32));
                }
                None => {
                    let start = out.timestamps.len();
                    out.timestamps.extend((start..start + batch.num_rows()).map(|k| (k as f64 / fps) as f32));
                }
            }
            match batch.column_by_name("task_index") {
                Some(task) => {
                    let flat = flatten_numeric("task_index", task)
                        .map_err(|e| dataset_error(e.to_string(), data_path.clone()))?;
                    frame_task_ids.extend(flat.values.iter().map(|&t| if t >= 0.0 { t as u64 } else { u64::MAX }));
                }
                None => frame_task_ids.extend(std::iter::repeat_n(u64::MAX, batch.num_rows())),
            }
        }
        out.computed = computed;
        // Tasks in the order the source lists them for the episode, then any other by first
        // appearance; a frame without a known task takes the episode's first.
        let fallback = episode.tasks.first().cloned().unwrap_or_default();
        let frame_texts: Vec<String> = frame_task_ids
            .iter()
            .map(|id| task_text.get(id).map(|t| t.to_string()).unwrap_or_else(|| fallback.clone()))
            .collect();
        let mut task_position: HashMap<String, usize> = HashMap::new();
        for listed in &episode.tasks {
            if !task_position.contains_key(listed) && frame_texts.contains(listed) {
                task_position.insert(listed.clone(), out.tasks.len());
                out.tasks.push(listed.clone());
            }
        }
        for text in frame_texts {
            let next = task_position.len();
            let position = *task_position.entry(text.clone()).or_insert_with(|| {
                out.tasks.push(text);
                next
            });
            out.frame_tasks.push(position);
        }
        for column in &columns {
            if matches!(column.stats, ColumnStats::Supplied { .. }) {
                let stats = stored.episode_feature(episode.index, &column.name).cloned().unwrap_or_default();
                out.supplied.push(stats);
            }
        }
        for (position, column) in columns.iter().enumerate().filter(|(_, c)| c.is_video()) {
            let video = episode.videos.iter().find(|v| v.feature == column.name && v.present).ok_or_else(|| {
                dataset_error(format!("episode {}'s video of {} is missing", episode.index, column.name), "videos/")
            })?;
            let (chunk_index, file_index) = match video_files[position].get(&video.path) {
                Some(&placed) => placed,
                None => {
                    let placed = next_video[position];
                    next_video[position] = next_file(placed.0, placed.1, options.chunks_size);
                    let target = format!("videos/{}/chunk-{:03}/file-{:03}.mp4", column.name, placed.0, placed.1);
                    videos.push(copy_file(tree, &video.path, &target, sink).await?);
                    video_files[position].insert(video.path.clone(), placed);
                    placed
                }
            };
            let from = video.from_timestamp_secs;
            out.videos.push(VideoLocation {
                chunk_index,
                file_index,
                from_timestamp_secs: from,
                to_timestamp_secs: video.to_timestamp_secs.unwrap_or(from + frames as f64 / fps),
            });
        }
        let new_index = writer.episodes_written();
        writer.append_episode(sink, out)?;
        episodes.push((episode.index, new_index));
        frames_written += frames as u64;
        progress(ConvertProgress {
            recording_episodes_done: done + 1,
            recording_episodes_total: dataset.episodes.len(),
            dataset_episodes: writer.episodes_written(),
            frames_written,
        });
    }
    // The dataset card, as it is.
    if tree.get("README.md").is_some() {
        copy_file(tree, "README.md", "README.md", sink).await?;
    }
    let mut written = writer.finish(sink)?;
    super::settle(sink).await?;
    written.files.extend(videos.iter().cloned());
    Ok(RelayoutSummary { written, episodes, videos, stats_omitted })
}

/// A v2.x `features` entry as v3.0 writes it (`video_info` became `info`).
fn v3_feature_entry(mut entry: Value) -> Value {
    if let Some(object) = entry.as_object_mut() {
        if let Some(video_info) = object.remove("video_info") {
            object.entry("info").or_insert(video_info);
        }
    }
    entry
}

/// The `huggingface` schema entry LeRobot's writer gives a feature (`get_hf_features_from_features`).
fn hf_feature(feature: &Feature) -> Option<Value> {
    let value = json!({"dtype": feature.dtype, "_type": "Value"});
    match (feature.kind, feature.shape.as_slice()) {
        (FeatureKind::Video, _) => None,
        (FeatureKind::Image, _) => Some(json!({"_type": "Image"})),
        (_, [] | [1]) => Some(value),
        (_, [n]) => Some(json!({"feature": value, "length": n, "_type": "List"})),
        (_, shape) => Some(json!({"shape": shape, "dtype": feature.dtype, "_type": format!("Array{}D", shape.len())})),
    }
}

/// The stats every episode stores for `feature` (3 values per stat: one per channel), or `None`
/// when some episode has none.
fn stored_stat_names(stored: &StoredStats, dataset: &Dataset, feature: &str) -> Option<Vec<String>> {
    let mut names: Option<Vec<String>> = None;
    for episode in &dataset.episodes {
        let stats: &FeatureStats = stored.episode_feature(episode.index, feature)?;
        let present: Vec<String> = STAT_NAMES
            .iter()
            .filter(|&&stat| {
                if stat == "count" {
                    stats.count.is_some()
                } else {
                    stats.stat(stat).is_some_and(|v| !v.is_empty())
                }
            })
            .map(|s| s.to_string())
            .collect();
        names = Some(match names {
            None => present,
            Some(so_far) => so_far.into_iter().filter(|n| present.contains(n)).collect(),
        });
    }
    names.filter(|n| n.iter().any(|s| s == "mean"))
}

/// The rows of the batches that belong to the episode (v3.0 files hold many, contiguously).
fn episode_slices(
    batches: &[RecordBatch],
    dataset: &Dataset,
    episode: u64,
    path: &str,
) -> Result<Vec<RecordBatch>, ConvertError> {
    crate::lerobot::episode::episode_slices(batches, dataset, episode, path)
        .map_err(|e| dataset_error(e.to_string(), path))
}

/// Copies one file of the source into the sink, a block at a time.
async fn copy_file(
    tree: &DatasetTree,
    from: &str,
    to: &str,
    sink: &mut dyn DatasetSink,
) -> Result<WrittenFile, ConvertError> {
    let file = tree.get(from).ok_or_else(|| dataset_error("missing", from))?;
    let size = file.size();
    let io = |source| WriteError::Io { source, path: to.to_string() };
    let mut out = sink.create(to).map_err(io)?;
    let mut at = 0u64;
    while at < size {
        let end = (at + VIDEO_COPY_BLOCK_BYTES).min(size);
        let bytes = file.source.read_range(at..end).await.map_err(|e| dataset_error(e.to_string(), from))?;
        std::io::Write::write_all(&mut out, &bytes).map_err(io)?;
        at = end;
        // A streaming sink takes each block before the next is read.
        super::settle(sink).await?;
    }
    std::io::Write::flush(&mut out).map_err(io)?;
    Ok(WrittenFile { path: to.to_string(), bytes: size, row_groups: 0, written: true })
}
