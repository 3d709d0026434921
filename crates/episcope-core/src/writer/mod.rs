//! Writing LeRobot v3.0 datasets: where files go ([`DatasetSink`]), parquet files rolled at the
//! size limit as the official writer rolls them, and the small metadata files. The converter
//! ([`v3::DatasetWriter`]) and the synthetic generator both write through it.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use arrow_array::builder::{Float64Builder, Int64Builder, ListBuilder};
use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, SchemaRef};
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use serde_json::{Map, Value};

use crate::stats::{DimensionStatistics, DEFAULT_QUANTILES};
use crate::tree::{DatasetTree, PathError};

#[cfg(feature = "native")]
pub mod h264;
pub mod v3;
pub mod video;
pub mod zip;

/// `data_files_size_in_mb` and friends count mebibytes (`os.path.getsize / 1024**2` in LeRobot).
pub const BYTES_PER_MB: u64 = 1024 * 1024;
/// The official writer's defaults.
pub const DEFAULT_CHUNKS_SIZE: u64 = 1000;
pub const DEFAULT_DATA_FILES_SIZE_IN_MB: u64 = 100;
pub const DEFAULT_VIDEO_FILES_SIZE_IN_MB: u64 = 200;
/// The per-feature stats of `meta/episodes/` and `meta/stats.json`, in the writer's order.
pub const STAT_NAMES: [&str; 10] = ["min", "max", "mean", "std", "count", "q01", "q10", "q50", "q90", "q99"];
/// The quantile stats, matching [`DEFAULT_QUANTILES`].
pub const QUANTILE_NAMES: [&str; 5] = ["q01", "q10", "q50", "q90", "q99"];

/// One `stats/<feature>/<stat>` column of `meta/episodes/`: a list per episode, one value per
/// dimension (`count`: the first dimension's count, as `list<int64>`; the others `list<double>`).
pub(crate) fn episode_stats_column<'a>(
    per_episode: impl Iterator<Item = &'a [DimensionStatistics]>,
    stat: &str,
) -> ArrayRef {
    let element = |data_type: DataType| Arc::new(Field::new("element", data_type, true));
    if stat == "count" {
        let mut list = ListBuilder::new(Int64Builder::new()).with_field(element(DataType::Int64));
        for dims in per_episode {
            list.values().append_value(dims.first().map_or(0, |d| d.count) as i64);
            list.append(true);
        }
        Arc::new(list.finish())
    } else {
        let mut list = ListBuilder::new(Float64Builder::new()).with_field(element(DataType::Float64));
        for dims in per_episode {
            for dim in dims {
                list.values().append_value(dimension_stat(dim, stat));
            }
            list.append(true);
        }
        Arc::new(list.finish())
    }
}

/// A numeric feature's entry of `meta/stats.json`: every stat in [`STAT_NAMES`] order.
pub(crate) fn stats_json_object(dims: &[DimensionStatistics]) -> Map<String, Value> {
    let mut stats = Map::new();
    for stat in STAT_NAMES {
        let value = if stat == "count" {
            serde_json::json!([dims.first().map_or(0, |d| d.count)])
        } else {
            serde_json::json!(dims.iter().map(|d| dimension_stat(d, stat)).collect::<Vec<f64>>())
        };
        stats.insert(stat.to_string(), value);
    }
    stats
}

/// Why a dataset could not be written; names the file.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot write the dataset: {reason}")]
    Invalid { reason: String },
    #[error("cannot write ({source}): {path}")]
    Io { source: std::io::Error, path: String },
    #[error("cannot encode parquet ({reason}): {path}")]
    Parquet { reason: String, path: String },
    #[error("cannot build the columns ({reason}): {path}")]
    Arrow { reason: String, path: String },
    #[error("cannot serialize JSON ({reason}): {path}")]
    Json { reason: String, path: String },
    #[error("cannot encode the video ({reason}): {path}")]
    Encode { reason: String, path: String },
}

/// The value of stat `stat` (one of [`STAT_NAMES`] other than `count`) of one dimension; NaN when
/// it is not known.
pub fn dimension_stat(dim: &DimensionStatistics, stat: &str) -> f64 {
    let quantile = |name: &str| {
        QUANTILE_NAMES
            .iter()
            .position(|q| *q == name)
            .and_then(|i| DEFAULT_QUANTILES.get(i))
            .and_then(|&q| dim.quantile(q))
    };
    match stat {
        "min" => dim.min,
        "max" => dim.max,
        "mean" => dim.mean,
        "std" => dim.std,
        other => quantile(other),
    }
    .unwrap_or(f64::NAN)
}

/// Where a writer's files go (a folder, memory, a zip stream, a browser folder handle).
pub trait DatasetSink {
    /// Creates (or replaces) the file at `path` (relative, `/`-separated) and returns its writer.
    fn create(&mut self, path: &str) -> std::io::Result<Box<dyn Write + Send>>;

    /// Lets a sink that stores asynchronously (a browser folder, a streamed archive) take the bytes
    /// written so far, and close the files whose writers were dropped. The converters call it after
    /// every episode, so such a sink holds about one episode's output; the others store at once.
    fn settle(&mut self) -> crate::source::LocalBoxFuture<'_, std::io::Result<()>> {
        Box::pin(std::future::ready(Ok(())))
    }
}

/// The bytes written to one file since the last [`StagedFiles::drain`].
#[derive(Debug, PartialEq, Eq)]
pub struct StagedChunk {
    /// Which file (its creation number: a path created twice is two files).
    pub file: u64,
    pub path: String,
    pub bytes: Vec<u8>,
    /// The file's writer was dropped: nothing more comes for it.
    pub closed: bool,
}

/// Files whose bytes are handed on as they are written: the synchronous half of a sink that
/// stores asynchronously. Its writers append to a buffer; [`drain`](Self::drain) takes the buffers.
#[derive(Default)]
pub struct StagedFiles {
    next_file: u64,
    /// Per open file: its number, path and the buffer its writer appends to.
    open: Vec<(u64, String, SharedBytes)>,
    peak_drained_bytes: u64,
}

type SharedBytes = Arc<Mutex<Vec<u8>>>;

impl StagedFiles {
    /// A new file at `path` and its writer.
    pub fn create(&mut self, path: &str) -> Box<dyn Write + Send> {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        self.open.push((self.next_file, path.to_string(), buffer.clone()));
        self.next_file += 1;
        Box::new(SharedBuffer(buffer))
    }

    /// What each open file received since the last call, in the order the files were created; a
    /// file whose writer is gone is reported once more with `closed` (and its last bytes), then
    /// forgotten.
    pub fn drain(&mut self) -> Vec<StagedChunk> {
        let mut chunks = Vec::with_capacity(self.open.len());
        self.open.retain(|(file, path, buffer)| {
            // The writer holds the other reference; once it is dropped no write can race this one.
            let closed = Arc::strong_count(buffer) == 1;
            let bytes = match buffer.lock() {
                Ok(mut bytes) => std::mem::take(&mut *bytes),
                Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
            };
            if closed || !bytes.is_empty() {
                chunks.push(StagedChunk { file: *file, path: path.clone(), bytes, closed });
            }
            !closed
        });
        let drained: u64 = chunks.iter().map(|c| c.bytes.len() as u64).sum();
        self.peak_drained_bytes = self.peak_drained_bytes.max(drained);
        chunks
    }

    /// The most bytes one [`drain`](Self::drain) took: how much output was held at once.
    pub fn peak_drained_bytes(&self) -> u64 {
        self.peak_drained_bytes
    }

    /// Files still open.
    pub fn open_files(&self) -> usize {
        self.open.len()
    }
}

/// Collects the files in memory (tests, benchmarks).
#[derive(Default)]
pub struct MemorySink {
    files: BTreeMap<String, Arc<Mutex<Vec<u8>>>>,
}

struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut buffer = self.0.lock().map_err(|_| std::io::Error::other("a writer panicked"))?;
        buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl DatasetSink for MemorySink {
    fn create(&mut self, path: &str) -> std::io::Result<Box<dyn Write + Send>> {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        self.files.insert(path.to_string(), buffer.clone());
        Ok(Box::new(SharedBuffer(buffer)))
    }
}

impl MemorySink {
    /// The files by path.
    pub fn into_files(self) -> BTreeMap<String, Bytes> {
        self.files
            .into_iter()
            .map(|(path, buffer)| {
                let bytes = match Arc::try_unwrap(buffer) {
                    Ok(mutex) => mutex.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner()),
                    Err(shared) => {
                        shared.lock().map(|b| b.clone()).unwrap_or_else(|poisoned| poisoned.into_inner().clone())
                    }
                };
                (path, Bytes::from(bytes))
            })
            .collect()
    }

    /// The files as a dataset tree.
    pub fn into_tree(self) -> Result<DatasetTree, PathError> {
        DatasetTree::from_memory(self.into_files())
    }
}

/// One file a writer wrote (or, for data files of a synthetic metadata-only run, encoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenFile {
    pub path: String,
    pub bytes: u64,
    pub row_groups: usize,
    /// False for data files of a synthetic metadata-only run.
    pub written: bool,
}

// ---------------------------------------------------------------------------------------------
// Parquet files rolled by size.

/// Counts the bytes that pass through; discards them when `inner` is `None`.
pub(crate) struct CountingWriter {
    inner: Option<Box<dyn Write + Send>>,
    bytes: u64,
}

impl Write for CountingWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let written = match &mut self.inner {
            Some(inner) => inner.write(bytes)?,
            None => bytes.len(),
        };
        self.bytes += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.inner {
            Some(inner) => inner.flush(),
            None => Ok(()),
        }
    }
}

struct OpenParquet {
    path: String,
    chunk_file: (u64, u64),
    writer: ArrowWriter<CountingWriter>,
    /// Frames (data files) or episodes (metadata files) so far: the size rule's unit.
    units: u64,
    row_groups: usize,
    written: bool,
}

/// A sequence of parquet files `{dir}/chunk-XXX/file-YYY.parquet`, a new one once the next row
/// group would take the current one past the size limit (the writer's rule).
pub(crate) struct RollingParquet {
    dir: &'static str,
    schema: SchemaRef,
    limit_bytes: f64,
    chunks_size: u64,
    next: (u64, u64),
    current: Option<OpenParquet>,
    done: Vec<WrittenFile>,
}

pub(crate) fn next_file(chunk_index: u64, file_index: u64, chunks_size: u64) -> (u64, u64) {
    if file_index + 1 >= chunks_size {
        (chunk_index + 1, 0)
    } else {
        (chunk_index, file_index + 1)
    }
}

pub(crate) fn writer_properties() -> WriterProperties {
    WriterProperties::builder().set_compression(Compression::SNAPPY).build()
}

impl RollingParquet {
    pub(crate) fn new(dir: &'static str, schema: SchemaRef, files_size_in_mb: u64, chunks_size: u64) -> Self {
        RollingParquet {
            dir,
            schema,
            limit_bytes: (files_size_in_mb * BYTES_PER_MB) as f64,
            chunks_size,
            next: (0, 0),
            current: None,
            done: Vec::new(),
        }
    }

    fn path_of(&self, (chunk, file): (u64, u64)) -> String {
        format!("{}/chunk-{chunk:03}/file-{file:03}.parquet", self.dir)
    }

    pub(crate) fn current_path(&self) -> String {
        self.current.as_ref().map(|c| c.path.clone()).unwrap_or_else(|| self.path_of(self.next))
    }

    /// Picks the file for a row group of `units` (opening a new one if needed) and returns its
    /// `(chunk_index, file_index)`.
    pub(crate) fn place(
        &mut self,
        sink: &mut dyn DatasetSink,
        discard: bool,
        units: u64,
    ) -> Result<(u64, u64), WriteError> {
        if let Some(current) = &self.current {
            let written = current.writer.bytes_written() as f64;
            let per_unit = written / current.units.max(1) as f64;
            if current.units > 0 && written + per_unit * units as f64 >= self.limit_bytes {
                self.close_current()?;
            }
        }
        if self.current.is_none() {
            let path = self.path_of(self.next);
            let inner = if discard {
                None
            } else {
                Some(sink.create(&path).map_err(|source| WriteError::Io { source, path: path.clone() })?)
            };
            let writer = ArrowWriter::try_new(
                CountingWriter { inner, bytes: 0 },
                self.schema.clone(),
                Some(writer_properties()),
            )
            .map_err(|e| WriteError::Parquet { reason: e.to_string(), path: path.clone() })?;
            let chunk_file = self.next;
            self.current = Some(OpenParquet { path, chunk_file, writer, units: 0, row_groups: 0, written: !discard });
            self.next = next_file(self.next.0, self.next.1, self.chunks_size);
        }
        Ok(self.current.as_ref().map_or(self.next, |current| current.chunk_file))
    }

    pub(crate) fn write_row_group(&mut self, batch: &RecordBatch, units: u64) -> Result<(), WriteError> {
        self.write_row_group_batches(std::slice::from_ref(batch), units)
    }

    /// Writes `batches` as one row group.
    pub(crate) fn write_row_group_batches(&mut self, batches: &[RecordBatch], units: u64) -> Result<(), WriteError> {
        let path = self.current_path();
        let current = self.current.as_mut().ok_or_else(|| WriteError::Parquet {
            reason: "no file is open for the row group".into(),
            path: path.clone(),
        })?;
        let parquet_err =
            |e: parquet::errors::ParquetError| WriteError::Parquet { reason: e.to_string(), path: path.clone() };
        for batch in batches {
            current.writer.write(batch).map_err(parquet_err)?;
        }
        current.writer.flush().map_err(parquet_err)?;
        current.units += units;
        current.row_groups += 1;
        Ok(())
    }

    fn close_current(&mut self) -> Result<(), WriteError> {
        let Some(current) = self.current.take() else { return Ok(()) };
        let path = current.path.clone();
        let mut inner = current
            .writer
            .into_inner()
            .map_err(|e| WriteError::Parquet { reason: e.to_string(), path: path.clone() })?;
        inner.flush().map_err(|source| WriteError::Io { source, path: path.clone() })?;
        self.done.push(WrittenFile {
            path,
            bytes: inner.bytes,
            row_groups: current.row_groups,
            written: current.written,
        });
        Ok(())
    }

    pub(crate) fn finish(mut self) -> Result<Vec<WrittenFile>, WriteError> {
        self.close_current()?;
        Ok(self.done)
    }
}

// ---------------------------------------------------------------------------------------------
// Small files.

pub(crate) fn write_bytes(sink: &mut dyn DatasetSink, path: &str, bytes: &[u8]) -> Result<WrittenFile, WriteError> {
    let io = |source| WriteError::Io { source, path: path.to_string() };
    let mut writer = sink.create(path).map_err(io)?;
    writer.write_all(bytes).map_err(io)?;
    writer.flush().map_err(io)?;
    Ok(WrittenFile { path: path.to_string(), bytes: bytes.len() as u64, row_groups: 0, written: true })
}

pub(crate) fn write_json(sink: &mut dyn DatasetSink, path: &str, value: &Value) -> Result<WrittenFile, WriteError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| WriteError::Json { reason: e.to_string(), path: path.to_string() })?;
    write_bytes(sink, path, text.as_bytes())
}

/// `meta/tasks.parquet` as the official writer leaves it (`DataFrame.to_parquet` of a frame
/// indexed by the task text): columns `task_index`, `task`, and the pandas metadata that makes
/// `task` the index again, which the official loader needs (`tasks.iloc[i].name` is the text).
pub(crate) fn write_tasks(sink: &mut dyn DatasetSink, tasks: &[String]) -> Result<WrittenFile, WriteError> {
    let path = "meta/tasks.parquet";
    let pandas = serde_json::json!({
        "index_columns": ["task"],
        "column_indexes": [{"name": null, "field_name": null, "pandas_type": "unicode", "numpy_type": "object",
                            "metadata": {"encoding": "UTF-8"}}],
        "columns": [
            {"name": "task_index", "field_name": "task_index", "pandas_type": "int64", "numpy_type": "int64",
             "metadata": null},
            {"name": "task", "field_name": "task", "pandas_type": "unicode", "numpy_type": "object", "metadata": null}
        ],
        "attributes": {},
        "creator": {"library": "episcope", "version": env!("CARGO_PKG_VERSION")},
        "pandas_version": "2.3.3"
    });
    let schema = Arc::new(arrow_schema::Schema::new_with_metadata(
        vec![
            arrow_schema::Field::new("task_index", arrow_schema::DataType::Int64, true),
            arrow_schema::Field::new("task", arrow_schema::DataType::Utf8, true),
        ],
        std::collections::HashMap::from([("pandas".to_string(), pandas.to_string())]),
    ));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(0..tasks.len() as i64)),
        Arc::new(StringArray::from_iter_values(tasks)),
    ];
    let batch = RecordBatch::try_new(schema, columns)
        .map_err(|e| WriteError::Arrow { reason: e.to_string(), path: path.into() })?;
    let parquet_err =
        |e: parquet::errors::ParquetError| WriteError::Parquet { reason: e.to_string(), path: path.into() };
    let mut writer =
        ArrowWriter::try_new(Vec::new(), batch.schema(), Some(writer_properties())).map_err(parquet_err)?;
    writer.write(&batch).map_err(parquet_err)?;
    let bytes = writer.into_inner().map_err(parquet_err)?;
    let mut file = write_bytes(sink, path, &bytes)?;
    file.row_groups = 1;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_files_hand_on_new_bytes_in_creation_order_and_report_a_close_once() {
        let mut staged = StagedFiles::default();
        let mut data = staged.create("data/file-000.parquet");
        let mut info = staged.create("meta/info.json");
        data.write_all(b"PAR1").unwrap();
        info.write_all(b"{").unwrap();
        let chunk = |file: u64, path: &str, bytes: &[u8], closed: bool| StagedChunk {
            file,
            path: path.into(),
            bytes: bytes.to_vec(),
            closed,
        };
        assert_eq!(
            staged.drain(),
            [chunk(0, "data/file-000.parquet", b"PAR1", false), chunk(1, "meta/info.json", b"{", false)]
        );
        // Nothing new: nothing reported.
        assert_eq!(staged.drain(), []);
        info.write_all(b"}").unwrap();
        drop(info);
        assert_eq!(staged.drain(), [chunk(1, "meta/info.json", b"}", true)]);
        assert_eq!(staged.open_files(), 1);
        drop(data);
        assert_eq!(staged.drain(), [chunk(0, "data/file-000.parquet", b"", true)]);
        assert_eq!((staged.drain(), staged.open_files()), (vec![], 0));
        assert_eq!(staged.peak_drained_bytes(), 5);
    }
}
