//! Parquet over a [`ByteSource`]: the footer first, then only the column chunks of the chosen
//! columns and row groups, fetched as coalesced byte ranges and decoded to Arrow.

use std::cell::Cell;
use std::io::Cursor;
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use bytes::Bytes;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;
use parquet::file::metadata::{FooterTail, ParquetMetaData, ParquetMetaDataReader};
use parquet::file::reader::{ChunkReader, Length};
use parquet::file::statistics::Statistics;

use crate::source::{ByteSource, SourceError};

/// Footers larger than this are refused before any allocation (real footers are KiBs to a few MiB).
pub const MAX_FOOTER_BYTES: u64 = 64 * 1024 * 1024;
/// Schemas nesting deeper than this are refused (LeRobot's deepest columns, lists of lists, nest
/// 5 levels; the parquet crate builds the schema recursively, so a deeper one could overflow the
/// stack).
pub const MAX_SCHEMA_DEPTH: usize = 64;
/// Column-chunk ranges closer than this are fetched as one request.
const COALESCE_GAP_BYTES: u64 = 64 * 1024;
/// Rows per decoded batch.
const BATCH_ROWS: usize = 64 * 1024;

/// Why a parquet file could not be read.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum ParquetReadError {
    #[error("not a parquet file: {size} bytes is too small to hold a footer: {path}")]
    TooSmall { size: u64, path: String },
    #[error("not a parquet file (no PAR1 magic at the end; a Git LFS pointer or a truncated download?): {path}")]
    NoMagic { path: String },
    #[error("parquet footer declares {declared} bytes of metadata but the file has {available}: {path}")]
    FooterTooLarge { declared: u64, available: u64, path: String },
    #[error("encrypted parquet files are not supported: {path}")]
    Encrypted { path: String },
    #[error("corrupt parquet metadata ({reason}): {path}")]
    Metadata { reason: String, path: String },
    #[error("column `{column}` is not in the file: {path}")]
    MissingColumn { column: String, path: String },
    #[error("row group {row_group} does not exist (the file has {count}): {path}")]
    MissingRowGroup { row_group: usize, count: usize, path: String },
    #[error("corrupt column data ({reason}): {path}")]
    Decode { reason: String, path: String },
    #[error("{source}: {path}")]
    Source { source: SourceError, path: String },
}

/// An opened parquet file: its footer is parsed, nothing else is read yet.
pub struct ParquetFile {
    source: Arc<dyn ByteSource>,
    path: String,
    metadata: ArrowReaderMetadata,
}

impl ParquetFile {
    /// Reads and parses the footer (two small range reads).
    pub async fn open(source: Arc<dyn ByteSource>, path: &str) -> Result<Self, ParquetReadError> {
        let size = source.size();
        let path_owned = || path.to_string();
        if size < 12 {
            return Err(ParquetReadError::TooSmall { size, path: path_owned() });
        }
        let read_err = |source| ParquetReadError::Source { source, path: path_owned() };
        let tail = source.read_range(size - 8..size).await.map_err(read_err)?;
        let tail: [u8; 8] = tail[..].try_into().map_err(|_| ParquetReadError::TooSmall { size, path: path_owned() })?;
        if &tail[4..] == b"PARE" {
            return Err(ParquetReadError::Encrypted { path: path_owned() });
        }
        let footer = FooterTail::try_new(&tail).map_err(|_| ParquetReadError::NoMagic { path: path_owned() })?;
        let declared = footer.metadata_length() as u64;
        let available = size - 12;
        if declared > available || declared > MAX_FOOTER_BYTES {
            return Err(ParquetReadError::FooterTooLarge { declared, available, path: path_owned() });
        }
        let meta_bytes = source.read_range(size - 8 - declared..size - 8).await.map_err(read_err)?;
        let metadata_err = |reason: String| ParquetReadError::Metadata { reason, path: path_owned() };
        let metadata = contain(metadata_err, || {
            let metadata =
                ParquetMetaDataReader::decode_metadata(&meta_bytes).map_err(|e| metadata_err(e.to_string()))?;
            ArrowReaderMetadata::try_new(Arc::new(metadata), ArrowReaderOptions::new())
                .map_err(|e| metadata_err(e.to_string()))
        })?;
        Ok(Self { source, path: path.to_string(), metadata })
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn schema(&self) -> &SchemaRef {
        self.metadata.schema()
    }

    pub fn metadata(&self) -> &ParquetMetaData {
        self.metadata.metadata()
    }

    pub fn num_rows(&self) -> u64 {
        self.metadata().file_metadata().num_rows().max(0) as u64
    }

    pub fn num_row_groups(&self) -> usize {
        self.metadata().num_row_groups()
    }

    pub fn has_column(&self, name: &str) -> bool {
        self.schema().index_of(name).is_ok()
    }

    /// The min and max of an integer column in one row group, from the footer statistics.
    pub fn int_column_range(&self, row_group: usize, column: &str) -> Option<(i64, i64)> {
        let descr = self.metadata().file_metadata().schema_descr();
        let leaf = (0..descr.num_columns()).find(|&i| descr.column(i).path().string() == column)?;
        let rg = self.metadata().row_groups().get(row_group)?;
        match rg.column(leaf).statistics()? {
            Statistics::Int64(s) => Some((*s.min_opt()?, *s.max_opt()?)),
            Statistics::Int32(s) => Some((i64::from(*s.min_opt()?), i64::from(*s.max_opt()?))),
            _ => None,
        }
    }

    /// Reads the named top-level columns of the chosen row groups (all when `None`). Only their
    /// column chunks are fetched.
    pub async fn read(
        &self,
        columns: &[&str],
        row_groups: Option<&[usize]>,
    ) -> Result<Vec<RecordBatch>, ParquetReadError> {
        let schema = self.schema();
        let mut roots = Vec::with_capacity(columns.len());
        for &column in columns {
            let index = schema
                .index_of(column)
                .map_err(|_| ParquetReadError::MissingColumn { column: column.to_string(), path: self.path.clone() })?;
            roots.push(index);
        }
        let count = self.num_row_groups();
        let row_groups: Vec<usize> = match row_groups {
            Some(selected) => selected.to_vec(),
            None => (0..count).collect(),
        };
        if let Some(&bad) = row_groups.iter().find(|&&rg| rg >= count) {
            return Err(ParquetReadError::MissingRowGroup { row_group: bad, count, path: self.path.clone() });
        }
        let descr = self.metadata().file_metadata().schema_descr();
        let mask = ProjectionMask::roots(descr, roots.iter().copied());
        let size = self.source.size();
        let mut ranges = Vec::new();
        for &rg in &row_groups {
            let rg_meta = &self.metadata().row_groups()[rg];
            for leaf in 0..descr.num_columns() {
                if !roots.contains(&descr.get_column_root_idx(leaf)) {
                    continue;
                }
                // Not `ColumnChunkMetaData::byte_range`, which panics on negative offsets or sizes
                // (a corrupt footer); the decoder calls it only once these ranges are checked.
                let chunk = rg_meta.column(leaf);
                let start = chunk.dictionary_page_offset().unwrap_or_else(|| chunk.data_page_offset());
                let len = chunk.compressed_size();
                let range = u64::try_from(start)
                    .ok()
                    .zip(u64::try_from(len).ok())
                    .and_then(|(start, len)| start.checked_add(len).filter(|&end| end <= size).map(|end| start..end));
                let range = range.ok_or_else(|| ParquetReadError::Metadata {
                    reason: format!("column chunk {start}+{len} lies outside the file ({size} bytes)"),
                    path: self.path.clone(),
                })?;
                ranges.push(range);
            }
        }
        let fetched = self.fetch(coalesce(ranges)).await?;
        let decode_err = |reason: String| ParquetReadError::Decode { reason, path: self.path.clone() };
        contain(decode_err, || {
            let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(fetched, self.metadata.clone())
                .with_projection(mask)
                .with_row_groups(row_groups)
                .with_batch_size(BATCH_ROWS)
                .build()
                .map_err(|e| decode_err(e.to_string()))?;
            reader.map(|batch| batch.map_err(|e| decode_err(e.to_string()))).collect()
        })
    }

    async fn fetch(&self, ranges: Vec<Range<u64>>) -> Result<PrefetchedRanges, ParquetReadError> {
        let mut chunks = Vec::with_capacity(ranges.len());
        for range in ranges {
            let start = range.start;
            let bytes = self
                .source
                .read_range(range)
                .await
                .map_err(|source| ParquetReadError::Source { source, path: self.path.clone() })?;
            chunks.push((start, bytes));
        }
        Ok(PrefetchedRanges { size: self.source.size(), chunks })
    }
}

thread_local! {
    /// How many [`contain`] calls are running on this thread.
    static CONTAINED_DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Whether this thread is running the parquet decoder under a guard that turns its panics into
/// errors. A panic hook can use it to stay quiet (or, in the fuzz targets, not abort) for a panic
/// that [`ParquetFile`] catches and reports as [`ParquetReadError::Metadata`] or
/// [`ParquetReadError::Decode`].
pub fn in_contained_decoder() -> bool {
    CONTAINED_DEPTH.with(|depth| depth.get() > 0)
}

/// Runs the third-party parquet decoder on untrusted bytes, turning a panic into an error.
///
/// The `parquet` crate still panics on some malformed input (for example an RLE run header that is a
/// varint of more than 10 bytes: `assert!` in `BitReader::get_vlq_int`, found by `fuzz/`'s
/// `parquet_reader` target). Where panics unwind (native builds, tests) this makes such a file a
/// read error like any other; under `panic = "abort"` (the web app's release build) the panic
/// still aborts.
fn contain<T>(
    error: impl Fn(String) -> ParquetReadError,
    decode: impl FnOnce() -> Result<T, ParquetReadError>,
) -> Result<T, ParquetReadError> {
    struct Depth;
    impl Drop for Depth {
        fn drop(&mut self) {
            CONTAINED_DEPTH.with(|depth| depth.set(depth.get().saturating_sub(1)));
        }
    }
    CONTAINED_DEPTH.with(|depth| depth.set(depth.get() + 1));
    let _depth = Depth;
    catch_unwind(AssertUnwindSafe(decode)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        Err(error(format!("the parquet decoder failed on malformed data: {message}")))
    })
}

/// Sorts ranges and merges those that overlap or lie within [`COALESCE_GAP_BYTES`] of each other.
pub fn coalesce(mut ranges: Vec<Range<u64>>) -> Vec<Range<u64>> {
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<u64>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start <= last.end.saturating_add(COALESCE_GAP_BYTES) => {
                last.end = last.end.max(range.end);
            }
            _ => merged.push(range),
        }
    }
    merged
}

/// The byte ranges fetched for one read, served to the synchronous parquet decoder.
struct PrefetchedRanges {
    size: u64,
    chunks: Vec<(u64, Bytes)>,
}

impl PrefetchedRanges {
    fn slice_from(&self, start: u64) -> parquet::errors::Result<Bytes> {
        let index = self.chunks.partition_point(|(chunk_start, _)| *chunk_start <= start);
        let (chunk_start, bytes) = index
            .checked_sub(1)
            .and_then(|i| self.chunks.get(i))
            .ok_or_else(|| parquet::errors::ParquetError::General(format!("offset {start} was not fetched")))?;
        let offset = (start - chunk_start) as usize;
        if offset > bytes.len() {
            return Err(parquet::errors::ParquetError::General(format!("offset {start} was not fetched")));
        }
        Ok(bytes.slice(offset..))
    }
}

impl Length for PrefetchedRanges {
    fn len(&self) -> u64 {
        self.size
    }
}

impl ChunkReader for PrefetchedRanges {
    type T = Cursor<Bytes>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(Cursor::new(self.slice_from(start)?))
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        let tail = self.slice_from(start)?;
        if length > tail.len() {
            return Err(parquet::errors::ParquetError::EOF(format!(
                "{length} bytes at offset {start} run past the fetched range"
            )));
        }
        Ok(tail.slice(..length))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coalesce_merges_near_ranges_only() {
        let merged = coalesce(vec![500_000..600_000, 0..10, 20..30, 100_000..100_010]);
        assert_eq!(merged, vec![0..30, 100_000..100_010, 500_000..600_000]);
    }
}
