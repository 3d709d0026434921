//! A LeRobot v3.0 dataset written episode by episode (what a conversion produces): the official
//! layout, one row group per episode, files rolled at the size limit, exact per-episode stats and
//! the dataset's `meta/stats.json`. Features are float32 numbers ([`DatasetWriter::new`], from a
//! recording) or columns of any type carried over from another dataset
//! ([`DatasetWriter::with_columns`], LeRobot → LeRobot).
//!
//! Memory: one episode's frames plus the dataset-level quantile buffers (exact up to
//! [`StatsOptions::exact_quantile_max_values`], then a bounded sketch) and ten episodes' metadata.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::{Float64Builder, Int64Builder, ListBuilder, StringBuilder};
use arrow_array::{ArrayRef, FixedSizeListArray, Float32Array, Float64Array, Int64Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use serde_json::{json, Map, Value};

use super::{
    episode_stats_column, stats_json_object, write_bytes, write_json, write_tasks, DatasetSink, RollingParquet,
    WriteError, WrittenFile, DEFAULT_CHUNKS_SIZE, DEFAULT_DATA_FILES_SIZE_IN_MB, DEFAULT_VIDEO_FILES_SIZE_IN_MB,
    STAT_NAMES,
};
use crate::lerobot::stats::FeatureStats;
use crate::stats::{ColumnAccumulator, DimensionStatistics, StatsOptions};

/// Episodes per row group of `meta/episodes/`, as the official recorder buffers them.
pub const METADATA_ROW_GROUP_EPISODES: usize = 10;
/// Bounds on what one dataset may declare (each sizes an allocation).
pub const MAX_FEATURES: usize = 256;
pub const MAX_FEATURE_WIDTH: usize = 4096;
/// The default columns every LeRobot dataset has; a feature may not take their names.
pub const DEFAULT_FEATURES: [&str; 5] = ["timestamp", "frame_index", "episode_index", "index", "task_index"];
/// `info.json` `video_path` of a dataset with cameras.
pub const VIDEO_PATH: &str = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4";

/// One numeric feature: stored as `float32` (a scalar column when it has one dimension, else
/// `fixed_size_list<float32>[N]`), `names` one per dimension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureSpec {
    pub name: String,
    pub names: Vec<String>,
}

impl FeatureSpec {
    pub fn width(&self) -> usize {
        self.names.len()
    }

    fn column(&self) -> ColumnSpec {
        let value = json!({"dtype": "float32", "_type": "Value"});
        let (data_type, hf_feature) = if self.width() == 1 {
            (DataType::Float32, value)
        } else {
            let item = Arc::new(Field::new("element", DataType::Float32, true));
            (
                DataType::FixedSizeList(item, self.width() as i32),
                json!({"feature": value, "length": self.width(), "_type": "List"}),
            )
        };
        ColumnSpec {
            name: self.name.clone(),
            info: json!({"dtype": "float32", "shape": [self.width()], "names": self.names}),
            field: Some(Field::new(&self.name, data_type, true)),
            hf_feature: Some(hf_feature),
            stats: ColumnStats::Computed { width: self.width() },
        }
    }
}

/// One camera stored as LeRobot's `image` dtype: PNG bytes per frame in the data parquet
/// (`struct<bytes: binary, path: string>`), shape `[height, width, 3]`, per-channel stats
/// supplied with each episode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFeatureSpec {
    pub name: String,
    pub height: u32,
    pub width: u32,
}

/// The stats an image feature's episodes supply (LeRobot's, without quantiles).
pub const IMAGE_STATS: [&str; 5] = ["min", "max", "mean", "std", "count"];

impl ImageFeatureSpec {
    fn fields() -> arrow_schema::Fields {
        vec![Field::new("bytes", DataType::Binary, true), Field::new("path", DataType::Utf8, true)].into()
    }

    fn data_type() -> DataType {
        DataType::Struct(Self::fields())
    }

    fn column(&self) -> ColumnSpec {
        ColumnSpec {
            name: self.name.clone(),
            info: json!({
                "dtype": "image",
                "shape": [self.height, self.width, 3],
                "names": ["height", "width", "channels"],
            }),
            field: Some(Field::new(&self.name, Self::data_type(), true)),
            hf_feature: Some(json!({"_type": "Image"})),
            stats: ColumnStats::Supplied { stats: IMAGE_STATS.iter().map(|s| s.to_string()).collect() },
        }
    }
}

/// One camera stored as LeRobot's `video` dtype: its frames in mp4 files (written by a
/// [`super::video::VideoTrackWriter`]), `info` its `info.json` entry
/// ([`super::video::video_feature_info`]), per-channel stats supplied with each episode.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoFeatureSpec {
    pub name: String,
    pub info: Value,
}

impl VideoFeatureSpec {
    fn column(&self) -> ColumnSpec {
        ColumnSpec {
            name: self.name.clone(),
            info: self.info.clone(),
            field: None,
            hf_feature: None,
            stats: ColumnStats::Supplied { stats: IMAGE_STATS.iter().map(|s| s.to_string()).collect() },
        }
    }
}

/// One episode of a video feature: where its frames are, and its per-channel stats.
#[derive(Debug, Clone, PartialEq)]
pub struct EpisodeVideo {
    pub location: VideoLocation,
    pub stats: FeatureStats,
}

/// One episode of an image feature: a PNG per frame, and the episode's per-channel stats.
#[derive(Debug, Clone, PartialEq)]
pub struct EpisodeImages {
    pub png_frames: Vec<Arc<Vec<u8>>>,
    pub stats: FeatureStats,
}

/// Where a column's per-episode statistics come from.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnStats {
    /// Computed by the writer from the values it is given (`width` per frame).
    Computed { width: usize },
    /// Given with each episode (images and videos, whose pixels the writer does not decode): the
    /// stats named are written.
    Supplied { stats: Vec<String> },
    /// None are written.
    Omitted,
}

/// One feature as written: its `info.json` entry, its data column (none for a video feature,
/// whose frames are in mp4 files) and where its stats come from.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSpec {
    pub name: String,
    /// The `info.json` `features` entry, written as given.
    pub info: Value,
    pub field: Option<Field>,
    /// The column's entry of the `huggingface` schema metadata, when known.
    pub hf_feature: Option<Value>,
    pub stats: ColumnStats,
}

impl ColumnSpec {
    pub fn is_video(&self) -> bool {
        self.field.is_none()
    }
}

/// Where one episode's frames of one camera are: `videos/<key>/chunk-<chunk>/file-<file>.mp4`
/// (written by the caller), from `from_timestamp_secs` to `to_timestamp_secs` in it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VideoLocation {
    pub chunk_index: u64,
    pub file_index: u64,
    pub from_timestamp_secs: f64,
    pub to_timestamp_secs: f64,
}

/// One episode of a [`DatasetWriter::with_columns`] dataset.
#[derive(Debug, Clone, Default)]
pub struct EpisodeColumns {
    /// The data columns, in [`ColumnSpec`] order (video features have none), in one or more
    /// batches that together hold the episode's frames; the five default columns are the writer's.
    pub batches: Vec<RecordBatch>,
    /// Per [`ColumnStats::Computed`] column (in order): `frames × width` values, row-major.
    pub computed: Vec<Vec<f64>>,
    /// Per [`ColumnStats::Supplied`] column (in order): the episode's stats.
    pub supplied: Vec<FeatureStats>,
    /// Per frame: seconds from the episode start.
    pub timestamps: Vec<f32>,
    /// The episode's distinct tasks, and per frame an index into them.
    pub tasks: Vec<String>,
    pub frame_tasks: Vec<usize>,
    /// Per video feature (in order).
    pub videos: Vec<VideoLocation>,
}

/// The dataset-wide settings of `meta/info.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetSettings {
    pub fps: u32,
    pub robot_type: Option<String>,
    pub chunks_size: u64,
    pub data_files_size_in_mb: u64,
    /// Written to `info.json`; video files are laid out by the caller.
    pub video_files_size_in_mb: u64,
    /// Dataset-level quantiles are exact up to this many values per feature, then sketched.
    pub exact_quantile_max_values: u64,
}

impl Default for DatasetSettings {
    fn default() -> Self {
        Self {
            fps: 30,
            robot_type: None,
            chunks_size: DEFAULT_CHUNKS_SIZE,
            data_files_size_in_mb: DEFAULT_DATA_FILES_SIZE_IN_MB,
            video_files_size_in_mb: DEFAULT_VIDEO_FILES_SIZE_IN_MB,
            exact_quantile_max_values: StatsOptions::default().exact_quantile_max_values,
        }
    }
}

/// What a finished dataset holds.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteSummary {
    pub total_episodes: u64,
    pub total_frames: u64,
    pub tasks: Vec<String>,
    pub files: Vec<WrittenFile>,
}

impl WriteSummary {
    pub fn bytes_written(&self) -> u64 {
        self.files.iter().filter(|f| f.written).map(|f| f.bytes).sum()
    }
}

struct EpisodeRow {
    episode: u64,
    tasks: Vec<String>,
    length: u64,
    data_file: (u64, u64),
    from_index: u64,
    /// Per computed column (features, then the five defaults), per dimension.
    stats: Vec<Vec<DimensionStatistics>>,
    supplied: Vec<FeatureStats>,
    videos: Vec<VideoLocation>,
}

/// Writes a v3.0 dataset into a [`DatasetSink`], one episode at a time. Files appear in the sink as
/// they are written; `meta/info.json` is written last, so a sink that stops early holds no
/// `info.json` and is not mistaken for a dataset.
pub struct DatasetWriter {
    settings: DatasetSettings,
    /// The float32 features of [`DatasetWriter::new`] (empty for [`DatasetWriter::with_columns`]).
    features: Vec<FeatureSpec>,
    /// The image features of [`DatasetWriter::with_images`], after the float32 ones.
    images: Vec<ImageFeatureSpec>,
    columns: Vec<ColumnSpec>,
    data_schema: SchemaRef,
    episodes_schema: SchemaRef,
    data: RollingParquet,
    episodes_out: RollingParquet,
    /// Per computed column, then the five defaults.
    global: Vec<ColumnAccumulator>,
    /// Per supplied column: every episode's stats (small: a few values per episode).
    supplied_by_episode: Vec<Vec<FeatureStats>>,
    pending: Vec<EpisodeRow>,
    tasks: Vec<String>,
    task_index_of: HashMap<String, u64>,
    episodes_written: u64,
    frames_written: u64,
}

fn invalid<T>(reason: String) -> Result<T, WriteError> {
    Err(WriteError::Invalid { reason })
}

impl DatasetWriter {
    /// A writer for float32 `features` (in `info.json` order; the five default columns follow them).
    pub fn new(settings: DatasetSettings, features: Vec<FeatureSpec>) -> Result<Self, WriteError> {
        Self::with_images(settings, features, Vec::new())
    }

    /// A writer for float32 `features` and then `images` (camera frames as PNG).
    pub fn with_images(
        settings: DatasetSettings,
        features: Vec<FeatureSpec>,
        images: Vec<ImageFeatureSpec>,
    ) -> Result<Self, WriteError> {
        Self::with_media(settings, features, images, Vec::new())
    }

    /// A writer for float32 `features`, then `images` (PNG), then `videos` (mp4 files).
    pub fn with_media(
        settings: DatasetSettings,
        features: Vec<FeatureSpec>,
        images: Vec<ImageFeatureSpec>,
        videos: Vec<VideoFeatureSpec>,
    ) -> Result<Self, WriteError> {
        for image in &images {
            if image.width == 0 || image.height == 0 {
                return invalid(format!("image feature {} is {}×{}", image.name, image.width, image.height));
            }
        }
        for feature in &features {
            if feature.names.is_empty() || feature.width() > MAX_FEATURE_WIDTH {
                return invalid(format!(
                    "feature {} has {} dimensions; 1 to {MAX_FEATURE_WIDTH}",
                    feature.name,
                    feature.width()
                ));
            }
        }
        let columns = features
            .iter()
            .map(FeatureSpec::column)
            .chain(images.iter().map(ImageFeatureSpec::column))
            .chain(videos.iter().map(VideoFeatureSpec::column))
            .collect();
        let mut writer = Self::with_columns(settings, columns)?;
        writer.features = features;
        writer.images = images;
        Ok(writer)
    }

    /// A writer for `columns` of any type (in `info.json` order; the five default columns follow).
    pub fn with_columns(settings: DatasetSettings, columns: Vec<ColumnSpec>) -> Result<Self, WriteError> {
        if settings.fps == 0 {
            return invalid("fps must be at least 1".into());
        }
        if settings.chunks_size == 0 || settings.data_files_size_in_mb == 0 {
            return invalid("chunks_size and data_files_size_in_mb must be at least 1".into());
        }
        if columns.len() > MAX_FEATURES {
            return invalid(format!("{} features; at most {MAX_FEATURES}", columns.len()));
        }
        let mut seen = std::collections::BTreeSet::new();
        for column in &columns {
            if let ColumnStats::Computed { width } = column.stats {
                if width == 0 || width > MAX_FEATURE_WIDTH {
                    return invalid(format!(
                        "feature {} has {width} dimensions; 1 to {MAX_FEATURE_WIDTH}",
                        column.name
                    ));
                }
            }
            if column.name.is_empty() || column.name.contains('/') {
                return invalid(format!("feature name {:?} is empty or has a '/'", column.name));
            }
            if DEFAULT_FEATURES.contains(&column.name.as_str()) || !seen.insert(column.name.as_str()) {
                return invalid(format!("feature {} is declared twice (or is a default column)", column.name));
            }
        }
        let data_schema = data_schema(&columns);
        let episodes_schema = episodes_schema(&columns);
        let global_options = StatsOptions {
            exact_quantile_max_values: settings.exact_quantile_max_values,
            histogram_bins: 1,
            ..StatsOptions::default()
        };
        let global = computed_widths(&columns).iter().map(|&w| ColumnAccumulator::new(w, &global_options)).collect();
        let supplied_by_episode = vec![Vec::new(); supplied_names(&columns).len()];
        let data =
            RollingParquet::new("data", data_schema.clone(), settings.data_files_size_in_mb, settings.chunks_size);
        let episodes_out = RollingParquet::new(
            "meta/episodes",
            episodes_schema.clone(),
            settings.data_files_size_in_mb,
            settings.chunks_size,
        );
        Ok(Self {
            settings,
            features: Vec::new(),
            images: Vec::new(),
            columns,
            data_schema,
            episodes_schema,
            data,
            episodes_out,
            global,
            supplied_by_episode,
            pending: Vec::with_capacity(METADATA_ROW_GROUP_EPISODES),
            tasks: Vec::new(),
            task_index_of: HashMap::new(),
            episodes_written: 0,
            frames_written: 0,
        })
    }

    pub fn features(&self) -> &[FeatureSpec] {
        &self.features
    }

    pub fn columns(&self) -> &[ColumnSpec] {
        &self.columns
    }

    /// Appends one episode of `frames` frames of a [`DatasetWriter::new`] dataset: `values[f]`
    /// holds feature `f`'s `frames × width` values, row-major (stored as float32). Frame `k`'s
    /// timestamp is `k / fps`.
    pub fn write_episode(
        &mut self,
        sink: &mut dyn DatasetSink,
        values: &[Vec<f64>],
        frames: usize,
        task: &str,
    ) -> Result<(), WriteError> {
        self.write_episode_with_images(sink, values, Vec::new(), frames, task)
    }

    /// The image features of [`DatasetWriter::with_images`].
    pub fn image_features(&self) -> &[ImageFeatureSpec] {
        &self.images
    }

    /// [`DatasetWriter::write_episode`] with the frames of each image feature (in order).
    pub fn write_episode_with_images(
        &mut self,
        sink: &mut dyn DatasetSink,
        values: &[Vec<f64>],
        images: Vec<EpisodeImages>,
        frames: usize,
        task: &str,
    ) -> Result<(), WriteError> {
        self.write_episode_with_media(sink, values, images, Vec::new(), frames, task)
    }

    /// [`DatasetWriter::write_episode_with_images`] with where each video feature's frames are.
    pub fn write_episode_with_media(
        &mut self,
        sink: &mut dyn DatasetSink,
        values: &[Vec<f64>],
        images: Vec<EpisodeImages>,
        videos: Vec<EpisodeVideo>,
        frames: usize,
        task: &str,
    ) -> Result<(), WriteError> {
        if images.len() != self.images.len() || images.iter().any(|i| i.png_frames.len() != frames) {
            return Err(WriteError::Arrow {
                reason: format!("episode {}: image frames do not match the image features", self.episodes_written),
                path: self.data.current_path(),
            });
        }
        if values.len() != self.features.len()
            || values.iter().zip(&self.features).any(|(v, f)| v.len() != frames * f.width())
        {
            return Err(WriteError::Arrow {
                reason: format!("episode {}: values do not match the features' widths", self.episodes_written),
                path: self.data.current_path(),
            });
        }
        // What is stored: float32 features (their stats are the stored values').
        let stored: Vec<Vec<f32>> = values.iter().map(|v| v.iter().map(|&x| x as f32).collect()).collect();
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.features.len());
        for (feature, values) in self.features.iter().zip(&stored) {
            let array: ArrayRef = if feature.width() == 1 {
                Arc::new(Float32Array::from(values.clone()))
            } else {
                let item = Arc::new(Field::new("element", DataType::Float32, true));
                Arc::new(
                    FixedSizeListArray::try_new(
                        item,
                        feature.width() as i32,
                        Arc::new(Float32Array::from(values.clone())),
                        None,
                    )
                    .map_err(|e| WriteError::Arrow { reason: e.to_string(), path: self.data.current_path() })?,
                )
            };
            arrays.push(array);
        }
        let mut supplied = Vec::with_capacity(images.len());
        for image in images {
            let bytes: ArrayRef =
                Arc::new(arrow_array::BinaryArray::from_iter_values(image.png_frames.iter().map(|b| b.as_slice())));
            let paths: ArrayRef = Arc::new(arrow_array::StringArray::new_null(frames));
            let array = arrow_array::StructArray::try_new(ImageFeatureSpec::fields(), vec![bytes, paths], None)
                .map_err(|e| WriteError::Arrow { reason: e.to_string(), path: self.data.current_path() })?;
            arrays.push(Arc::new(array));
            supplied.push(image.stats);
        }
        let feature_schema = Arc::new(Schema::new(
            self.data_schema.fields().iter().take(self.features.len() + self.images.len()).cloned().collect::<Vec<_>>(),
        ));
        let batch = if arrays.is_empty() {
            RecordBatch::try_new_with_options(
                feature_schema,
                arrays,
                &arrow_array::RecordBatchOptions::new().with_row_count(Some(frames)),
            )
        } else {
            RecordBatch::try_new(feature_schema, arrays)
        }
        .map_err(|e| WriteError::Arrow { reason: e.to_string(), path: self.data.current_path() })?;
        let fps = f64::from(self.settings.fps);
        let mut locations = Vec::with_capacity(videos.len());
        for video in videos {
            supplied.push(video.stats);
            locations.push(video.location);
        }
        let episode = EpisodeColumns {
            batches: vec![batch],
            computed: stored.iter().map(|v| v.iter().map(|&x| f64::from(x)).collect()).collect(),
            supplied,
            timestamps: (0..frames).map(|k| (k as f64 / fps) as f32).collect(),
            tasks: vec![task.to_string()],
            frame_tasks: vec![0; frames],
            videos: locations,
        };
        self.append_episode(sink, episode)
    }

    /// Appends one episode of a [`DatasetWriter::with_columns`] dataset (also what
    /// [`DatasetWriter::write_episode`] ends in).
    pub fn append_episode(&mut self, sink: &mut dyn DatasetSink, episode: EpisodeColumns) -> Result<(), WriteError> {
        let path = self.data.current_path();
        let frames = episode.timestamps.len();
        let index = self.episodes_written;
        let arrow_err =
            |reason: String| WriteError::Arrow { reason: format!("episode {index}: {reason}"), path: path.clone() };
        if frames == 0 {
            return Err(WriteError::Invalid { reason: format!("episode {index} has no frames") });
        }
        let rows: usize = episode.batches.iter().map(RecordBatch::num_rows).sum();
        let widths = computed_widths(&self.columns);
        let feature_widths = &widths[..widths.len() - DEFAULT_FEATURES.len()];
        if rows != frames
            || episode.frame_tasks.len() != frames
            || episode.frame_tasks.iter().any(|&t| t >= episode.tasks.len())
            || episode.computed.len() != feature_widths.len()
            || episode.computed.iter().zip(feature_widths).any(|(v, w)| v.len() != frames * w)
            || episode.supplied.len() != self.supplied_by_episode.len()
            || episode.videos.len() != self.columns.iter().filter(|c| c.is_video()).count()
        {
            return Err(arrow_err("the columns given do not match the features".into()));
        }
        let mut task_indices = Vec::with_capacity(episode.tasks.len());
        for task in &episode.tasks {
            let i = match self.task_index_of.get(task) {
                Some(&i) => i,
                None => {
                    let i = self.tasks.len() as u64;
                    self.tasks.push(task.clone());
                    self.task_index_of.insert(task.clone(), i);
                    i
                }
            };
            task_indices.push(i);
        }
        let from_index = self.frames_written;
        let frame_task: Vec<i64> = episode.frame_tasks.iter().map(|&t| task_indices[t] as i64).collect();

        // Stats: exact per episode (every value kept), streamed into the dataset's.
        let mut columns_f64 = episode.computed;
        columns_f64.push(episode.timestamps.iter().map(|&t| f64::from(t)).collect());
        columns_f64.push((0..frames).map(|k| k as f64).collect());
        columns_f64.push(vec![index as f64; frames]);
        columns_f64.push((0..frames).map(|k| (from_index + k as u64) as f64).collect());
        columns_f64.push(frame_task.iter().map(|&t| t as f64).collect());
        let episode_options =
            StatsOptions { exact_quantile_max_values: u64::MAX, histogram_bins: 1, ..StatsOptions::default() };
        let mut stats = Vec::with_capacity(columns_f64.len());
        for (column, accumulator) in columns_f64.iter().zip(self.global.iter_mut()) {
            let mut per_episode = ColumnAccumulator::new(accumulator.width(), &episode_options);
            per_episode.push_rows(column);
            accumulator.push_rows(column);
            stats.push(per_episode.finish());
        }
        drop(columns_f64);
        for (all, this) in self.supplied_by_episode.iter_mut().zip(&episode.supplied) {
            all.push(this.clone());
        }

        let data_file = self.data.place(sink, false, frames as u64)?;
        let mut batches = Vec::with_capacity(episode.batches.len());
        let mut offset = 0usize;
        for batch in &episode.batches {
            let n = batch.num_rows();
            let mut arrays: Vec<ArrayRef> = batch.columns().to_vec();
            let range = offset..offset + n;
            arrays.push(Arc::new(Float32Array::from(episode.timestamps[range.clone()].to_vec())));
            arrays.push(Arc::new(Int64Array::from_iter_values(range.clone().map(|k| k as i64))));
            arrays.push(Arc::new(Int64Array::from(vec![index as i64; n])));
            arrays.push(Arc::new(Int64Array::from_iter_values(range.clone().map(|k| (from_index + k as u64) as i64))));
            arrays.push(Arc::new(Int64Array::from(frame_task[range].to_vec())));
            batches.push(RecordBatch::try_new(self.data_schema.clone(), arrays).map_err(|e| arrow_err(e.to_string()))?);
            offset += n;
        }
        self.data.write_row_group_batches(&batches, frames as u64)?;

        self.pending.push(EpisodeRow {
            episode: index,
            tasks: episode.tasks,
            length: frames as u64,
            data_file,
            from_index,
            stats,
            supplied: episode.supplied,
            videos: episode.videos,
        });
        self.episodes_written += 1;
        self.frames_written += frames as u64;
        if self.pending.len() == METADATA_ROW_GROUP_EPISODES {
            self.flush_episode_rows(sink)?;
        }
        Ok(())
    }

    /// Episodes written so far.
    pub fn episodes_written(&self) -> u64 {
        self.episodes_written
    }

    /// Writes the remaining metadata: `meta/episodes/` rows, `meta/tasks.parquet`, `meta/stats.json`
    /// and, last, `meta/info.json`.
    pub fn finish(mut self, sink: &mut dyn DatasetSink) -> Result<WriteSummary, WriteError> {
        if self.episodes_written == 0 {
            return Err(WriteError::Invalid { reason: "no episode to write".into() });
        }
        self.flush_episode_rows(sink)?;
        let mut files = self.data.finish()?;
        files.extend(self.episodes_out.finish()?);
        files.push(write_tasks(sink, &self.tasks)?);
        let global: Vec<Vec<DimensionStatistics>> = self.global.into_iter().map(ColumnAccumulator::finish).collect();
        let mut stats = Map::new();
        for (name, dims) in computed_names(&self.columns).iter().zip(&global) {
            stats.insert(name.clone(), Value::Object(stats_json_object(dims)));
        }
        let channels = supplied_per_channel(&self.columns);
        for (((name, names), per_episode), per_channel) in
            supplied_names(&self.columns).into_iter().zip(&self.supplied_by_episode).zip(channels)
        {
            stats.insert(name, aggregate_supplied(per_episode, &names, per_channel));
        }
        files.push(write_json(sink, "meta/stats.json", &Value::Object(stats))?);
        let info =
            info_json(&self.settings, &self.columns, self.episodes_written, self.frames_written, self.tasks.len());
        files.push(write_json(sink, "meta/info.json", &info)?);
        Ok(WriteSummary {
            total_episodes: self.episodes_written,
            total_frames: self.frames_written,
            tasks: self.tasks,
            files,
        })
    }

    fn flush_episode_rows(&mut self, sink: &mut dyn DatasetSink) -> Result<(), WriteError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.pending);
        let (meta_chunk, meta_file) = self.episodes_out.place(sink, false, rows.len() as u64)?;
        let int64 = |values: Vec<u64>| -> ArrayRef {
            Arc::new(Int64Array::from_iter_values(values.into_iter().map(|v| v as i64)))
        };
        let element = |data_type: DataType| Arc::new(Field::new("element", data_type, true));
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.episodes_schema.fields().len());
        columns.push(int64(rows.iter().map(|r| r.episode).collect()));
        let mut tasks = ListBuilder::new(StringBuilder::new()).with_field(element(DataType::Utf8));
        for row in &rows {
            for task in &row.tasks {
                tasks.values().append_value(task);
            }
            tasks.append(true);
        }
        columns.push(Arc::new(tasks.finish()));
        columns.push(int64(rows.iter().map(|r| r.length).collect()));
        columns.push(int64(rows.iter().map(|r| r.data_file.0).collect()));
        columns.push(int64(rows.iter().map(|r| r.data_file.1).collect()));
        columns.push(int64(rows.iter().map(|r| r.from_index).collect()));
        columns.push(int64(rows.iter().map(|r| r.from_index + r.length).collect()));
        for video in 0..self.columns.iter().filter(|c| c.is_video()).count() {
            columns.push(int64(rows.iter().map(|r| r.videos[video].chunk_index).collect()));
            columns.push(int64(rows.iter().map(|r| r.videos[video].file_index).collect()));
            columns.push(Arc::new(Float64Array::from_iter_values(
                rows.iter().map(|r| r.videos[video].from_timestamp_secs),
            )));
            columns
                .push(Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.videos[video].to_timestamp_secs))));
        }
        for column in 0..computed_widths(&self.columns).len() {
            for stat in STAT_NAMES {
                columns.push(episode_stats_column(rows.iter().map(|r| r.stats[column].as_slice()), stat));
            }
        }
        let channels = supplied_per_channel(&self.columns);
        for (column, ((_, names), per_channel)) in supplied_names(&self.columns).into_iter().zip(channels).enumerate() {
            for stat in &names {
                columns.push(supplied_stats_column(rows.iter().map(|r| &r.supplied[column]), stat, per_channel));
            }
        }
        columns.push(int64(vec![meta_chunk; rows.len()]));
        columns.push(int64(vec![meta_file; rows.len()]));
        let batch = RecordBatch::try_new(self.episodes_schema.clone(), columns)
            .map_err(|e| WriteError::Arrow { reason: e.to_string(), path: self.episodes_out.current_path() })?;
        self.episodes_out.write_row_group(&batch, rows.len() as u64)
    }
}

/// One `stats/<feature>/<stat>` column of supplied stats (`count`: `list<int64>`, else
/// `list<double>`, or `list<list<list<double>>>` of shape `(channels, 1, 1)` per channel).
fn supplied_stats_column<'a>(
    per_episode: impl Iterator<Item = &'a FeatureStats>,
    stat: &str,
    per_channel: bool,
) -> ArrayRef {
    let element = |data_type: DataType| Arc::new(Field::new("element", data_type, true));
    if per_channel && stat != "count" {
        let inner = ListBuilder::new(Float64Builder::new()).with_field(element(DataType::Float64));
        let middle = ListBuilder::new(inner).with_field(element(list_of(DataType::Float64)));
        let mut list = ListBuilder::new(middle).with_field(element(list_of(list_of(DataType::Float64))));
        for stats in per_episode {
            for &v in stats.stat(stat).unwrap_or(&[]) {
                list.values().values().values().append_value(v);
                list.values().values().append(true);
                list.values().append(true);
            }
            list.append(true);
        }
        return Arc::new(list.finish());
    }
    if stat == "count" {
        let mut list = ListBuilder::new(Int64Builder::new()).with_field(element(DataType::Int64));
        for stats in per_episode {
            list.values().append_value(stats.count.unwrap_or(0) as i64);
            list.append(true);
        }
        Arc::new(list.finish())
    } else {
        let mut list = ListBuilder::new(Float64Builder::new()).with_field(element(DataType::Float64));
        for stats in per_episode {
            list.values().append_slice(stats.stat(stat).unwrap_or(&[]));
            list.append(true);
        }
        Arc::new(list.finish())
    }
}

/// The dataset's stats of a supplied column from its episodes', as LeRobot aggregates them
/// (`aggregate_feature_stats`): extremes of the extremes, count-weighted means and quantiles, and
/// the pooled variance.
fn aggregate_supplied(per_episode: &[FeatureStats], names: &[String], per_channel: bool) -> Value {
    let weight = |s: &FeatureStats| s.count.unwrap_or(1) as f64;
    let total: f64 = per_episode.iter().map(weight).sum();
    let dims = per_episode.first().map_or(0, |s| s.mean.len());
    let at = |values: &[f64], d: usize| values.get(d).copied().unwrap_or(f64::NAN);
    let mut out = Map::new();
    for name in names {
        let value = match name.as_str() {
            "count" => json!([per_episode.iter().map(|s| s.count.unwrap_or(0)).sum::<u64>()]),
            "min" | "max" => {
                let pick = if name == "min" { f64::min } else { f64::max };
                let init = if name == "min" { f64::INFINITY } else { f64::NEG_INFINITY };
                shaped(
                    (0..dims)
                        .map(|d| per_episode.iter().map(|s| at(s.stat(name).unwrap_or(&[]), d)).fold(init, pick))
                        .collect::<Vec<f64>>(),
                    per_channel,
                )
            }
            "std" => shaped(
                (0..dims)
                    .map(|d| {
                        let mean = per_episode.iter().map(|s| at(&s.mean, d) * weight(s)).sum::<f64>() / total;
                        let variance = per_episode
                            .iter()
                            .map(|s| weight(s) * (at(&s.std, d).powi(2) + (at(&s.mean, d) - mean).powi(2)))
                            .sum::<f64>()
                            / total;
                        variance.sqrt()
                    })
                    .collect::<Vec<f64>>(),
                per_channel,
            ),
            _ => shaped(
                (0..dims)
                    .map(|d| {
                        per_episode.iter().map(|s| at(s.stat(name).unwrap_or(&[]), d) * weight(s)).sum::<f64>() / total
                    })
                    .collect::<Vec<f64>>(),
                per_channel,
            ),
        };
        out.insert(name.clone(), value);
    }
    Value::Object(out)
}

/// A dataset card (`README.md`) naming the license, as the Hub reads it.
pub fn write_dataset_card(
    sink: &mut dyn DatasetSink,
    license: &str,
    robot_type: Option<&str>,
) -> Result<WrittenFile, WriteError> {
    let license: String = license.chars().filter(|c| c.is_ascii_alphanumeric() || "-._+".contains(*c)).collect();
    let robot = robot_type.map(|r| format!("Robot: `{r}`.\n\n")).unwrap_or_default();
    let text = format!(
        "---\nlicense: {license}\ntags:\n- LeRobot\n---\n\n# Dataset\n\nA LeRobot v3.0 dataset converted by Episcope.\n\n{robot}"
    );
    write_bytes(sink, "README.md", text.as_bytes())
}

/// The columns whose stats the writer computes, in data order: the computed features, then the
/// five defaults.
fn computed_names(columns: &[ColumnSpec]) -> Vec<String> {
    columns
        .iter()
        .filter(|c| matches!(c.stats, ColumnStats::Computed { .. }))
        .map(|c| c.name.clone())
        .chain(DEFAULT_FEATURES.iter().map(|s| s.to_string()))
        .collect()
}

fn computed_widths(columns: &[ColumnSpec]) -> Vec<usize> {
    columns
        .iter()
        .filter_map(|c| match c.stats {
            ColumnStats::Computed { width } => Some(width),
            _ => None,
        })
        .chain([1; 5])
        .collect()
}

/// The supplied-stats columns and the stats each writes.
fn supplied_names(columns: &[ColumnSpec]) -> Vec<(String, Vec<String>)> {
    columns
        .iter()
        .filter_map(|c| match &c.stats {
            ColumnStats::Supplied { stats } => Some((c.name.clone(), stats.clone())),
            _ => None,
        })
        .collect()
}

/// `list<data_type>` with LeRobot's item name.
fn list_of(data_type: DataType) -> DataType {
    DataType::List(Arc::new(Field::new("element", data_type, true)))
}

/// Whether a column's stats are per channel of an image (`image`/`video` dtype): LeRobot keeps
/// them in shape `(channels, 1, 1)`, so that they broadcast over `(channels, height, width)`.
fn per_channel(column: &ColumnSpec) -> bool {
    matches!(column.info.get("dtype").and_then(Value::as_str), Some("image" | "video"))
}

/// Per supplied column, whether its stats are per channel.
fn supplied_per_channel(columns: &[ColumnSpec]) -> Vec<bool> {
    columns.iter().filter(|c| matches!(c.stats, ColumnStats::Supplied { .. })).map(per_channel).collect()
}

/// `[v, …]` as `[[[v]], …]` (per channel) or as it is.
fn shaped(values: Vec<f64>, per_channel: bool) -> Value {
    if per_channel {
        json!(values.into_iter().map(|v| vec![vec![v]]).collect::<Vec<_>>())
    } else {
        json!(values)
    }
}

fn data_schema(columns: &[ColumnSpec]) -> SchemaRef {
    let mut fields = Vec::with_capacity(columns.len() + 5);
    let mut hf_features = Map::new();
    for column in columns {
        if let Some(field) = &column.field {
            fields.push(field.clone());
            if let Some(hf) = &column.hf_feature {
                hf_features.insert(column.name.clone(), hf.clone());
            }
        }
    }
    fields.push(Field::new("timestamp", DataType::Float32, true));
    hf_features.insert("timestamp".into(), json!({"dtype": "float32", "_type": "Value"}));
    for name in &DEFAULT_FEATURES[1..] {
        fields.push(Field::new(*name, DataType::Int64, true));
        hf_features.insert(name.to_string(), json!({"dtype": "int64", "_type": "Value"}));
    }
    let hf = json!({"info": {"features": hf_features}}).to_string();
    Arc::new(Schema::new_with_metadata(fields, HashMap::from([("huggingface".to_string(), hf)])))
}

fn episodes_schema(columns: &[ColumnSpec]) -> SchemaRef {
    let element = |data_type: DataType| Arc::new(Field::new("element", data_type, true));
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
    for video in columns.iter().filter(|c| c.is_video()) {
        let key = &video.name;
        fields.push(Field::new(format!("videos/{key}/chunk_index"), DataType::Int64, true));
        fields.push(Field::new(format!("videos/{key}/file_index"), DataType::Int64, true));
        fields.push(Field::new(format!("videos/{key}/from_timestamp"), DataType::Float64, true));
        fields.push(Field::new(format!("videos/{key}/to_timestamp"), DataType::Float64, true));
    }
    let stat_field = |name: &str, stat: &str| {
        let data_type = if stat == "count" { list_of(DataType::Int64) } else { list_of(DataType::Float64) };
        Field::new(format!("stats/{name}/{stat}"), data_type, true)
    };
    for name in computed_names(columns) {
        for stat in STAT_NAMES {
            fields.push(stat_field(&name, stat));
        }
    }
    for ((name, stats), per_channel) in supplied_names(columns).into_iter().zip(supplied_per_channel(columns)) {
        for stat in &stats {
            let field = if per_channel && stat != "count" {
                let data_type = list_of(list_of(list_of(DataType::Float64)));
                Field::new(format!("stats/{name}/{stat}"), data_type, true)
            } else {
                stat_field(&name, stat)
            };
            fields.push(field);
        }
    }
    fields.push(Field::new("meta/episodes/chunk_index", DataType::Int64, true));
    fields.push(Field::new("meta/episodes/file_index", DataType::Int64, true));
    Arc::new(Schema::new(fields))
}

fn info_json(
    settings: &DatasetSettings,
    columns: &[ColumnSpec],
    total_episodes: u64,
    total_frames: u64,
    total_tasks: usize,
) -> Value {
    let mut out = Map::new();
    for column in columns {
        out.insert(column.name.clone(), column.info.clone());
    }
    out.insert("timestamp".into(), json!({"dtype": "float32", "shape": [1], "names": null}));
    for name in &DEFAULT_FEATURES[1..] {
        out.insert(name.to_string(), json!({"dtype": "int64", "shape": [1], "names": null}));
    }
    let has_video = columns.iter().any(ColumnSpec::is_video);
    json!({
        "codebase_version": "v3.0",
        "robot_type": settings.robot_type,
        "total_episodes": total_episodes,
        "total_frames": total_frames,
        "total_tasks": total_tasks,
        "chunks_size": settings.chunks_size,
        "data_files_size_in_mb": settings.data_files_size_in_mb,
        "video_files_size_in_mb": settings.video_files_size_in_mb,
        "fps": settings.fps,
        "splits": {"train": format!("0:{total_episodes}")},
        "data_path": "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet",
        "video_path": if has_video { Value::from(VIDEO_PATH) } else { Value::Null },
        "features": Value::Object(out),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::writer::MemorySink;

    fn writer() -> DatasetWriter {
        let features = vec![
            FeatureSpec { name: "observation.state".into(), names: vec!["a".into(), "b".into()] },
            FeatureSpec { name: "action".into(), names: vec!["a".into()] },
        ];
        DatasetWriter::new(DatasetSettings { fps: 10, ..DatasetSettings::default() }, features).expect("writer")
    }

    #[test]
    fn declarations_out_of_bounds_are_refused() {
        let feature = |name: &str, width: usize| FeatureSpec { name: name.into(), names: vec!["x".into(); width] };
        let settings = DatasetSettings::default;
        assert!(DatasetWriter::new(settings(), vec![feature("a", 0)]).is_err());
        assert!(DatasetWriter::new(settings(), vec![feature("a", 1), feature("a", 2)]).is_err());
        assert!(DatasetWriter::new(settings(), vec![feature("index", 1)]).is_err());
        assert!(DatasetWriter::new(settings(), vec![feature("a/b", 1)]).is_err());
        assert!(DatasetWriter::new(DatasetSettings { fps: 0, ..settings() }, vec![feature("a", 1)]).is_err());
        assert!(DatasetWriter::new(settings(), vec![feature("a", 1)]).is_ok());
    }

    #[test]
    fn an_episode_whose_values_do_not_fit_the_features_is_refused() {
        let mut sink = MemorySink::default();
        let mut w = writer();
        assert!(w.write_episode(&mut sink, &[vec![0.0; 6], vec![0.0; 2]], 3, "t").is_err());
        assert!(w.write_episode(&mut sink, &[vec![0.0; 6], vec![0.0; 3]], 3, "t").is_ok());
    }

    #[test]
    fn info_json_comes_last_and_only_when_finished() {
        let mut sink = MemorySink::default();
        let mut w = writer();
        w.write_episode(&mut sink, &[vec![1.0; 4], vec![2.0; 2]], 2, "pick").expect("episode");
        let mut unfinished = MemorySink::default();
        let mut w2 = writer();
        w2.write_episode(&mut unfinished, &[vec![1.0; 4], vec![2.0; 2]], 2, "pick").expect("episode");
        assert!(!unfinished.into_files().contains_key("meta/info.json"));
        let summary = w.finish(&mut sink).expect("finish");
        assert_eq!(summary.files.last().map(|f| f.path.as_str()), Some("meta/info.json"));
        assert_eq!((summary.total_episodes, summary.total_frames), (1, 2));
    }
}
