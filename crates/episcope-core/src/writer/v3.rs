//! A LeRobot v3.0 dataset written episode by episode from numeric features (what a conversion
//! produces): the official layout, one row group per episode, files rolled at the size limit,
//! exact per-episode stats and the dataset's `meta/stats.json`.
//!
//! Memory: one episode's frames plus the dataset-level quantile buffers (exact up to
//! [`StatsOptions::exact_quantile_max_values`], then a bounded sketch) and ten episodes' metadata.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{ArrayRef, FixedSizeListArray, Float32Array, Int64Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use serde_json::{json, Map, Value};

use super::{
    episode_stats_column, stats_json_object, write_bytes, write_json, write_tasks, DatasetSink, RollingParquet,
    WriteError, WrittenFile, DEFAULT_CHUNKS_SIZE, DEFAULT_DATA_FILES_SIZE_IN_MB, DEFAULT_VIDEO_FILES_SIZE_IN_MB,
    STAT_NAMES,
};
use crate::stats::{ColumnAccumulator, DimensionStatistics, StatsOptions};

/// Episodes per row group of `meta/episodes/`, as the official recorder buffers them.
pub const METADATA_ROW_GROUP_EPISODES: usize = 10;
/// Bounds on what one dataset may declare (each sizes an allocation).
pub const MAX_FEATURES: usize = 256;
pub const MAX_FEATURE_WIDTH: usize = 4096;
/// The default columns every LeRobot dataset has; a feature may not take their names.
pub const DEFAULT_FEATURES: [&str; 5] = ["timestamp", "frame_index", "episode_index", "index", "task_index"];

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
}

/// The dataset-wide settings of `meta/info.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetSettings {
    pub fps: u32,
    pub robot_type: Option<String>,
    pub chunks_size: u64,
    pub data_files_size_in_mb: u64,
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
    task: String,
    length: u64,
    data_file: (u64, u64),
    from_index: u64,
    /// Per column (features then the defaults but `episode_index`… all of them), per dimension.
    stats: Vec<Vec<DimensionStatistics>>,
}

/// Writes a v3.0 dataset into a [`DatasetSink`], one episode at a time. Files appear in the sink as
/// they are written; `meta/info.json` is written last, so a sink that stops early holds no
/// `info.json` and is not mistaken for a dataset.
pub struct DatasetWriter {
    settings: DatasetSettings,
    features: Vec<FeatureSpec>,
    data_schema: SchemaRef,
    episodes_schema: SchemaRef,
    data: RollingParquet,
    episodes_out: RollingParquet,
    global: Vec<ColumnAccumulator>,
    pending: Vec<EpisodeRow>,
    tasks: Vec<String>,
    task_index_of: HashMap<String, u64>,
    episodes_written: u64,
    frames_written: u64,
}

impl DatasetWriter {
    /// A writer for `features` (in `info.json` order; the five default columns follow them).
    pub fn new(settings: DatasetSettings, features: Vec<FeatureSpec>) -> Result<Self, WriteError> {
        let invalid = |reason: String| Err(WriteError::Invalid { reason });
        if settings.fps == 0 {
            return invalid("fps must be at least 1".into());
        }
        if settings.chunks_size == 0 || settings.data_files_size_in_mb == 0 {
            return invalid("chunks_size and data_files_size_in_mb must be at least 1".into());
        }
        if features.len() > MAX_FEATURES {
            return invalid(format!("{} features; at most {MAX_FEATURES}", features.len()));
        }
        let mut seen = std::collections::BTreeSet::new();
        for feature in &features {
            if feature.names.is_empty() || feature.width() > MAX_FEATURE_WIDTH {
                return invalid(format!(
                    "feature {} has {} dimensions; 1 to {MAX_FEATURE_WIDTH}",
                    feature.name,
                    feature.width()
                ));
            }
            if feature.name.is_empty() || feature.name.contains('/') {
                return invalid(format!("feature name {:?} is empty or has a '/'", feature.name));
            }
            if DEFAULT_FEATURES.contains(&feature.name.as_str()) || !seen.insert(feature.name.as_str()) {
                return invalid(format!("feature {} is declared twice (or is a default column)", feature.name));
            }
        }
        let data_schema = data_schema(&features);
        let episodes_schema = episodes_schema(&features);
        let widths: Vec<usize> = column_widths(&features);
        let global_options = StatsOptions {
            exact_quantile_max_values: settings.exact_quantile_max_values,
            histogram_bins: 1,
            ..StatsOptions::default()
        };
        let global = widths.iter().map(|&w| ColumnAccumulator::new(w, &global_options)).collect();
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
            features,
            data_schema,
            episodes_schema,
            data,
            episodes_out,
            global,
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

    /// Appends one episode of `frames` frames: `values[f]` holds feature `f`'s `frames × width`
    /// values, row-major (stored as float32). Frame `k`'s timestamp is `k / fps`.
    pub fn write_episode(
        &mut self,
        sink: &mut dyn DatasetSink,
        values: &[Vec<f64>],
        frames: usize,
        task: &str,
    ) -> Result<(), WriteError> {
        let path = self.data.current_path();
        if frames == 0 {
            return Err(WriteError::Invalid { reason: format!("episode {} has no frames", self.episodes_written) });
        }
        if values.len() != self.features.len()
            || values.iter().zip(&self.features).any(|(v, f)| v.len() != frames * f.width())
        {
            return Err(WriteError::Arrow {
                reason: format!("episode {}: values do not match the features' widths", self.episodes_written),
                path,
            });
        }
        let episode = self.episodes_written;
        let task_index = match self.task_index_of.get(task) {
            Some(&i) => i,
            None => {
                let i = self.tasks.len() as u64;
                self.tasks.push(task.to_string());
                self.task_index_of.insert(task.to_string(), i);
                i
            }
        };
        let from_index = self.frames_written;
        // What is stored: float32 features, the default columns.
        let stored: Vec<Vec<f32>> = values.iter().map(|v| v.iter().map(|&x| x as f32).collect()).collect();
        let fps = f64::from(self.settings.fps);
        let timestamp: Vec<f32> = (0..frames).map(|k| (k as f64 / fps) as f32).collect();
        let frame_index: Vec<i64> = (0..frames as i64).collect();
        let index: Vec<i64> = (0..frames as i64).map(|k| from_index as i64 + k).collect();

        // Stats: exact per episode (every value kept), streamed into the dataset's.
        let mut columns_f64: Vec<Vec<f64>> = stored.iter().map(|v| v.iter().map(|&x| f64::from(x)).collect()).collect();
        columns_f64.push(timestamp.iter().map(|&t| f64::from(t)).collect());
        columns_f64.push(frame_index.iter().map(|&i| i as f64).collect());
        columns_f64.push(vec![episode as f64; frames]);
        columns_f64.push(index.iter().map(|&i| i as f64).collect());
        columns_f64.push(vec![task_index as f64; frames]);
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

        let data_file = self.data.place(sink, false, frames as u64)?;
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.features.len() + 5);
        for (feature, values) in self.features.iter().zip(stored) {
            let array: ArrayRef = if feature.width() == 1 {
                Arc::new(Float32Array::from(values))
            } else {
                let item = Arc::new(Field::new("element", DataType::Float32, true));
                Arc::new(
                    FixedSizeListArray::try_new(
                        item,
                        feature.width() as i32,
                        Arc::new(Float32Array::from(values)),
                        None,
                    )
                    .map_err(|e| WriteError::Arrow { reason: e.to_string(), path: self.data.current_path() })?,
                )
            };
            arrays.push(array);
        }
        arrays.push(Arc::new(Float32Array::from(timestamp)));
        arrays.push(Arc::new(Int64Array::from(frame_index)));
        arrays.push(Arc::new(Int64Array::from(vec![episode as i64; frames])));
        arrays.push(Arc::new(Int64Array::from(index)));
        arrays.push(Arc::new(Int64Array::from(vec![task_index as i64; frames])));
        let batch = RecordBatch::try_new(self.data_schema.clone(), arrays)
            .map_err(|e| WriteError::Arrow { reason: e.to_string(), path: self.data.current_path() })?;
        self.data.write_row_group(&batch, frames as u64)?;

        self.pending.push(EpisodeRow {
            episode,
            task: task.to_string(),
            length: frames as u64,
            data_file,
            from_index,
            stats,
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
        let names = column_names(&self.features);
        let global: Vec<Vec<DimensionStatistics>> = self.global.into_iter().map(ColumnAccumulator::finish).collect();
        let mut stats = Map::new();
        for (name, dims) in names.iter().zip(&global) {
            stats.insert(name.clone(), Value::Object(stats_json_object(dims)));
        }
        files.push(write_json(sink, "meta/stats.json", &Value::Object(stats))?);
        let info =
            info_json(&self.settings, &self.features, self.episodes_written, self.frames_written, self.tasks.len());
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
            tasks.values().append_value(&row.task);
            tasks.append(true);
        }
        columns.push(Arc::new(tasks.finish()));
        columns.push(int64(rows.iter().map(|r| r.length).collect()));
        columns.push(int64(rows.iter().map(|r| r.data_file.0).collect()));
        columns.push(int64(rows.iter().map(|r| r.data_file.1).collect()));
        columns.push(int64(rows.iter().map(|r| r.from_index).collect()));
        columns.push(int64(rows.iter().map(|r| r.from_index + r.length).collect()));
        for column in 0..column_widths(&self.features).len() {
            for stat in STAT_NAMES {
                columns.push(episode_stats_column(rows.iter().map(|r| r.stats[column].as_slice()), stat));
            }
        }
        columns.push(int64(vec![meta_chunk; rows.len()]));
        columns.push(int64(vec![meta_file; rows.len()]));
        let batch = RecordBatch::try_new(self.episodes_schema.clone(), columns)
            .map_err(|e| WriteError::Arrow { reason: e.to_string(), path: self.episodes_out.current_path() })?;
        self.episodes_out.write_row_group(&batch, rows.len() as u64)
    }
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

/// Every column's name in data order: the features, then the five defaults.
fn column_names(features: &[FeatureSpec]) -> Vec<String> {
    features.iter().map(|f| f.name.clone()).chain(DEFAULT_FEATURES.iter().map(|s| s.to_string())).collect()
}

fn column_widths(features: &[FeatureSpec]) -> Vec<usize> {
    features.iter().map(FeatureSpec::width).chain([1; 5]).collect()
}

fn data_schema(features: &[FeatureSpec]) -> SchemaRef {
    let mut fields = Vec::with_capacity(features.len() + 5);
    let mut hf_features = Map::new();
    for feature in features {
        let value = json!({"dtype": "float32", "_type": "Value"});
        if feature.width() == 1 {
            fields.push(Field::new(&feature.name, DataType::Float32, true));
            hf_features.insert(feature.name.clone(), value);
        } else {
            let item = Arc::new(Field::new("element", DataType::Float32, true));
            fields.push(Field::new(&feature.name, DataType::FixedSizeList(item, feature.width() as i32), true));
            hf_features
                .insert(feature.name.clone(), json!({"feature": value, "length": feature.width(), "_type": "List"}));
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

fn episodes_schema(features: &[FeatureSpec]) -> SchemaRef {
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
    for name in column_names(features) {
        for stat in STAT_NAMES {
            let data_type = if stat == "count" { list_of(DataType::Int64) } else { list_of(DataType::Float64) };
            fields.push(Field::new(format!("stats/{name}/{stat}"), data_type, true));
        }
    }
    fields.push(Field::new("meta/episodes/chunk_index", DataType::Int64, true));
    fields.push(Field::new("meta/episodes/file_index", DataType::Int64, true));
    Arc::new(Schema::new(fields))
}

fn info_json(
    settings: &DatasetSettings,
    features: &[FeatureSpec],
    total_episodes: u64,
    total_frames: u64,
    total_tasks: usize,
) -> Value {
    let mut out = Map::new();
    for feature in features {
        out.insert(
            feature.name.clone(),
            json!({"dtype": "float32", "shape": [feature.width()], "names": feature.names}),
        );
    }
    out.insert("timestamp".into(), json!({"dtype": "float32", "shape": [1], "names": null}));
    for name in &DEFAULT_FEATURES[1..] {
        out.insert(name.to_string(), json!({"dtype": "int64", "shape": [1], "names": null}));
    }
    json!({
        "codebase_version": "v3.0",
        "robot_type": settings.robot_type,
        "total_episodes": total_episodes,
        "total_frames": total_frames,
        "total_tasks": total_tasks,
        "chunks_size": settings.chunks_size,
        "data_files_size_in_mb": settings.data_files_size_in_mb,
        "video_files_size_in_mb": DEFAULT_VIDEO_FILES_SIZE_IN_MB,
        "fps": settings.fps,
        "splits": {"train": format!("0:{total_episodes}")},
        "data_path": "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet",
        "video_path": null,
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
