//! Reads one episode's rows of chosen features as per-dimension arrays ready to plot, and single
//! image frames on demand. Only the needed columns and row groups are fetched.

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::dataset::{Dataset, Episode};
use super::info::FeatureKind;
use crate::columns::{flatten_numeric, ColumnError, FlatColumn};
use crate::parquet_io::{ParquetFile, ParquetReadError};
use crate::tree::DatasetTree;

/// One feature of one episode, dimension by dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSeries {
    pub feature: String,
    pub labels: Vec<String>,
    /// `dimensions[d][frame]`.
    pub dimensions: Vec<Vec<f64>>,
}

/// The frames of one episode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpisodeFrames {
    pub episode_index: u64,
    pub frames: usize,
    /// Seconds from the episode start (the `timestamp` column, else frame / fps).
    pub timestamps_secs: Vec<f64>,
    pub series: Vec<FeatureSeries>,
}

/// Why an episode could not be read.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum EpisodeError {
    #[error("episode {episode} is not in the dataset")]
    UnknownEpisode { episode: u64 },
    #[error("the data file of episode {episode} is missing")]
    NoDataFile { episode: u64 },
    #[error("feature `{feature}` is not declared in meta/info.json")]
    UnknownFeature { feature: String },
    #[error("feature `{feature}` ({dtype}) cannot be plotted")]
    NotPlottable { feature: String, dtype: String },
    #[error("frame {frame} is outside episode {episode}")]
    NoSuchFrame { episode: u64, frame: u64 },
    #[error("{source}: {path}")]
    Column { source: ColumnError, path: String },
    #[error(transparent)]
    Parquet(#[from] ParquetReadError),
    #[error("image of `{feature}` frame {frame} has neither bytes nor a readable path: {path}")]
    NoImage { feature: String, frame: u64, path: String },
    #[error("episode {episode}'s rows are not contiguous: {path}")]
    NotContiguous { episode: u64, path: String },
}

/// The row groups of a v3.0 file that can hold the episode (by footer statistics), or all.
pub(crate) fn row_groups_for(parquet: &ParquetFile, dataset: &Dataset, episode: &Episode) -> Option<Vec<usize>> {
    if !dataset.version.is_v3() {
        return None;
    }
    let count = parquet.num_row_groups();
    let selected: Vec<usize> = (0..count)
        .filter(|&rg| {
            if let (Some(from), Some(to), Some((min, max))) =
                (episode.dataset_from_index, episode.dataset_to_index, parquet.int_column_range(rg, "index"))
            {
                return (min as i128) < to as i128 && (max as i128) >= from as i128;
            }
            match parquet.int_column_range(rg, "episode_index") {
                Some((min, max)) => (min as i128) <= episode.index as i128 && episode.index as i128 <= max as i128,
                None => true,
            }
        })
        .collect();
    Some(selected)
}

/// Which rows of the batches belong to the episode (v3.0 files hold many episodes).
pub(crate) fn episode_rows(
    batches: &[RecordBatch],
    dataset: &Dataset,
    episode: u64,
    path: &str,
) -> Result<Option<Vec<bool>>, EpisodeError> {
    if !dataset.version.is_v3() {
        return Ok(None);
    }
    let mut keep = Vec::new();
    for batch in batches {
        let Some(array) = batch.column_by_name("episode_index") else { return Ok(None) };
        let flat = flatten_numeric("episode_index", array)
            .map_err(|source| EpisodeError::Column { source, path: path.to_string() })?;
        keep.extend(flat.values.iter().map(|v| *v == episode as f64));
    }
    Ok(Some(keep))
}

/// The rows of the batches that belong to the episode, as zero-copy slices (v3.0 files hold many
/// episodes, contiguously; v2.x files one).
pub(crate) fn episode_slices(
    batches: &[RecordBatch],
    dataset: &Dataset,
    episode: u64,
    path: &str,
) -> Result<Vec<RecordBatch>, EpisodeError> {
    let Some(keep) = episode_rows(batches, dataset, episode, path)? else { return Ok(batches.to_vec()) };
    let first = keep.iter().position(|&k| k);
    let last = keep.iter().rposition(|&k| k);
    let (Some(first), Some(last)) = (first, last) else { return Ok(Vec::new()) };
    if keep[first..=last].iter().any(|&k| !k) {
        return Err(EpisodeError::NotContiguous { episode, path: path.to_string() });
    }
    let mut out = Vec::new();
    let mut offset = 0usize;
    for batch in batches {
        let (start, end) = (offset, offset + batch.num_rows());
        let (from, to) = (first.max(start), (last + 1).min(end));
        if from < to {
            out.push(batch.slice(from - start, to - from));
        }
        offset = end;
    }
    Ok(out)
}

/// One episode's rows as stored: every column of its data file (`features` empty), or the named
/// features plus the index columns that are present (`timestamp`, `frame_index`, `episode_index`,
/// `index`, `task_index`), with their Arrow types as written. Only those column chunks and the
/// episode's row groups are fetched; the batches are slices of what was decoded (no copy).
pub async fn read_episode_table(
    tree: &DatasetTree,
    dataset: &Dataset,
    episode_index: u64,
    features: &[String],
) -> Result<(arrow_schema::SchemaRef, Vec<RecordBatch>), EpisodeError> {
    let episode = dataset.episode(episode_index).ok_or(EpisodeError::UnknownEpisode { episode: episode_index })?;
    let path = episode.data_file.clone().ok_or(EpisodeError::NoDataFile { episode: episode_index })?;
    let file = tree.get(&path).ok_or(EpisodeError::NoDataFile { episode: episode_index })?;
    let parquet = ParquetFile::open_cached(file.source.clone(), &path, tree.footers()).await?;
    let schema = parquet.schema().clone();
    let mut columns: Vec<&str> = Vec::new();
    if features.is_empty() {
        columns.extend(schema.fields().iter().map(|f| f.name().as_str()));
    } else {
        for name in features {
            if dataset.info.feature(name).is_none() {
                return Err(EpisodeError::UnknownFeature { feature: name.clone() });
            }
            if !parquet.has_column(name) {
                return Err(ParquetReadError::MissingColumn { column: name.clone(), path: path.clone() }.into());
            }
            columns.push(name);
        }
        for extra in ["timestamp", "frame_index", "episode_index", "index", "task_index"] {
            if parquet.has_column(extra) && !columns.contains(&extra) {
                columns.push(extra);
            }
        }
    }
    // The episode's rows are found by `episode_index`: read it too when it was not asked for.
    let read_index =
        dataset.version.is_v3() && !columns.contains(&"episode_index") && parquet.has_column("episode_index");
    let mut read_columns = columns.clone();
    if read_index {
        read_columns.push("episode_index");
    }
    let row_groups = row_groups_for(&parquet, dataset, episode);
    let batches = parquet.read(&read_columns, row_groups.as_deref()).await?;
    let mut sliced = episode_slices(&batches, dataset, episode_index, &path)?;
    if read_index {
        for batch in &mut sliced {
            batch.remove_column(batch.num_columns() - 1);
        }
    }
    let out_schema = match sliced.first() {
        Some(batch) => batch.schema(),
        None => {
            let fields: Vec<arrow_schema::FieldRef> = columns
                .iter()
                .filter_map(|c| schema.field_with_name(c).ok())
                .map(|f| std::sync::Arc::new(f.clone()))
                .collect();
            std::sync::Arc::new(arrow_schema::Schema::new(fields))
        }
    };
    Ok((out_schema, sliced))
}

fn concat_flat(batches: &[RecordBatch], column: &str, path: &str) -> Result<FlatColumn, EpisodeError> {
    let mut out = FlatColumn { rows: 0, width: 0, values: Vec::new() };
    for batch in batches {
        let Some(array) = batch.column_by_name(column) else { continue };
        let flat =
            flatten_numeric(column, array).map_err(|source| EpisodeError::Column { source, path: path.to_string() })?;
        if out.rows > 0 && flat.rows > 0 && flat.width != out.width {
            return Err(EpisodeError::Column {
                source: ColumnError::RaggedRows { column: column.to_string(), first: out.width, other: flat.width },
                path: path.to_string(),
            });
        }
        if flat.rows > 0 {
            out.width = flat.width;
        }
        out.rows += flat.rows;
        out.values.extend(flat.values);
    }
    Ok(out)
}

/// Reads the chosen numeric features of one episode; all numeric non-index features when
/// `features` is empty.
pub async fn read_episode_frames(
    tree: &DatasetTree,
    dataset: &Dataset,
    episode_index: u64,
    features: &[String],
) -> Result<EpisodeFrames, EpisodeError> {
    let episode = dataset.episode(episode_index).ok_or(EpisodeError::UnknownEpisode { episode: episode_index })?;
    let path = episode.data_file.clone().ok_or(EpisodeError::NoDataFile { episode: episode_index })?;
    let file = tree.get(&path).ok_or(EpisodeError::NoDataFile { episode: episode_index })?;
    let parquet = ParquetFile::open_cached(file.source.clone(), &path, tree.footers()).await?;

    let chosen: Vec<&super::info::Feature> = if features.is_empty() {
        dataset
            .info
            .features
            .iter()
            .filter(|f| f.kind == FeatureKind::Numeric && !f.is_default_index_column())
            .filter(|f| parquet.has_column(&f.name))
            .collect()
    } else {
        let mut chosen = Vec::new();
        for name in features {
            let feature =
                dataset.info.feature(name).ok_or_else(|| EpisodeError::UnknownFeature { feature: name.clone() })?;
            if feature.kind != FeatureKind::Numeric {
                return Err(EpisodeError::NotPlottable { feature: name.clone(), dtype: feature.dtype.clone() });
            }
            if !parquet.has_column(name) {
                return Err(ParquetReadError::MissingColumn { column: name.clone(), path: path.clone() }.into());
            }
            chosen.push(feature);
        }
        chosen
    };
    let mut columns: Vec<&str> = chosen.iter().map(|f| f.name.as_str()).collect();
    for extra in ["timestamp", "episode_index"] {
        if parquet.has_column(extra) && !columns.contains(&extra) {
            columns.push(extra);
        }
    }
    let row_groups = row_groups_for(&parquet, dataset, episode);
    let batches = parquet.read(&columns, row_groups.as_deref()).await?;
    let keep = episode_rows(&batches, dataset, episode_index, &path)?;
    let select = |flat: FlatColumn| match &keep {
        Some(keep) => flat.filter_rows(keep),
        None => flat,
    };
    let timestamps = if parquet.has_column("timestamp") {
        select(concat_flat(&batches, "timestamp", &path)?).values
    } else {
        let rows = keep
            .as_ref()
            .map(|k| k.iter().filter(|x| **x).count())
            .unwrap_or_else(|| batches.iter().map(|b| b.num_rows()).sum());
        (0..rows).map(|i| i as f64 / dataset.fps()).collect()
    };
    let mut series = Vec::with_capacity(chosen.len());
    for feature in chosen {
        let flat = select(concat_flat(&batches, &feature.name, &path)?);
        let mut labels = feature.dimension_labels();
        if labels.len() != flat.width {
            labels = (0..flat.width).map(|d| format!("{}[{d}]", feature.name)).collect();
        }
        series.push(FeatureSeries { feature: feature.name.clone(), labels, dimensions: flat.into_dimensions() });
    }
    Ok(EpisodeFrames { episode_index, frames: timestamps.len(), timestamps_secs: timestamps, series })
}

/// One encoded image (PNG/JPEG bytes as stored) of an image-dtype feature.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageFrame {
    pub bytes: Bytes,
    /// The `path` field stored beside the bytes, if any.
    pub stored_path: Option<String>,
}

/// Reads the image of `feature` at `frame` (0-based within the episode). Images are decoded only by
/// whoever shows them.
pub async fn read_image_frame(
    tree: &DatasetTree,
    dataset: &Dataset,
    episode_index: u64,
    feature: &str,
    frame: u64,
) -> Result<ImageFrame, EpisodeError> {
    let episode = dataset.episode(episode_index).ok_or(EpisodeError::UnknownEpisode { episode: episode_index })?;
    let declared =
        dataset.info.feature(feature).ok_or_else(|| EpisodeError::UnknownFeature { feature: feature.to_string() })?;
    if declared.kind != FeatureKind::Image {
        return Err(EpisodeError::NotPlottable { feature: feature.to_string(), dtype: declared.dtype.clone() });
    }
    let path = episode.data_file.clone().ok_or(EpisodeError::NoDataFile { episode: episode_index })?;
    let file = tree.get(&path).ok_or(EpisodeError::NoDataFile { episode: episode_index })?;
    let parquet = ParquetFile::open_cached(file.source.clone(), &path, tree.footers()).await?;
    let mut columns = vec![feature];
    if parquet.has_column("episode_index") && dataset.version.is_v3() {
        columns.push("episode_index");
    }
    let row_groups = row_groups_for(&parquet, dataset, episode);
    let batches = parquet.read(&columns, row_groups.as_deref()).await?;
    let keep = episode_rows(&batches, dataset, episode_index, &path)?;
    let mut seen = 0u64;
    for (batch_no, batch) in batches.iter().enumerate() {
        let offset: usize = batches[..batch_no].iter().map(|b| b.num_rows()).sum();
        let Some(array) = batch.column_by_name(feature) else { continue };
        for row in 0..batch.num_rows() {
            if let Some(keep) = &keep {
                if !keep.get(offset + row).copied().unwrap_or(false) {
                    continue;
                }
            }
            if seen == frame {
                return image_at(tree, array.as_ref(), row, feature, frame, &path).await;
            }
            seen += 1;
        }
    }
    Err(EpisodeError::NoSuchFrame { episode: episode_index, frame })
}

async fn image_at(
    tree: &DatasetTree,
    array: &dyn Array,
    row: usize,
    feature: &str,
    frame: u64,
    path: &str,
) -> Result<ImageFrame, EpisodeError> {
    let no_image = || EpisodeError::NoImage { feature: feature.to_string(), frame, path: path.to_string() };
    let DataType::Struct(_) = array.data_type() else { return Err(no_image()) };
    let strukt = array.as_struct();
    let bytes = strukt.column_by_name("bytes").and_then(|b| match b.data_type() {
        DataType::Binary => Some(Bytes::copy_from_slice(b.as_binary::<i32>().value(row))).filter(|_| !b.is_null(row)),
        DataType::LargeBinary => {
            Some(Bytes::copy_from_slice(b.as_binary::<i64>().value(row))).filter(|_| !b.is_null(row))
        }
        _ => None,
    });
    let stored_path = strukt.column_by_name("path").and_then(|p| match p.data_type() {
        DataType::Utf8 if !p.is_null(row) => Some(p.as_string::<i32>().value(row).to_string()),
        DataType::LargeUtf8 if !p.is_null(row) => Some(p.as_string::<i64>().value(row).to_string()),
        _ => None,
    });
    match bytes.filter(|b| !b.is_empty()) {
        Some(bytes) => Ok(ImageFrame { bytes, stored_path }),
        None => {
            let rel = stored_path.clone().ok_or_else(no_image)?;
            let bytes = tree.read_all(&rel, 64 * 1024 * 1024).await.map_err(|_| no_image())?;
            Ok(ImageFrame { bytes, stored_path })
        }
    }
}
