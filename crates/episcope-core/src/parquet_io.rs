//! Parquet over a [`ByteSource`]: the footer first, then only the column chunks of the chosen
//! columns and row groups, fetched as coalesced byte ranges and decoded to Arrow.
//!
//! [`ParquetFile::read_stream`] decodes batch by batch ([`BATCH_ROWS`] rows each), so a caller that
//! reduces as it goes (sums, moments, a checker pass) never holds a whole column; [`ParquetFile::read`]
//! collects the same batches. Nearby column chunks are fetched as one request only while the bytes
//! between them are few compared with the bytes wanted (see [`coalesce`]).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::io::Cursor;
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use bytes::Bytes;
use futures_util::stream::{self, StreamExt};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::ProjectionMask;
use parquet::basic::Compression;
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
/// Pages declaring more uncompressed bytes than this are refused: the parquet crate reserves (and
/// for Snappy zero-fills) the declared size before decompressing (real pages are KiBs to MiBs).
pub const MAX_PAGE_BYTES: u64 = 256 * 1024 * 1024;
/// Nesting depth up to which Thrift structures of page headers are walked (the parquet crate's own
/// skip depth).
const MAX_THRIFT_DEPTH: u32 = 64;
/// Column-chunk ranges are fetched as one request only when the bytes between them are at most
/// this many, and at most the bytes of the two ranges themselves (see [`coalesce`]).
pub const COALESCE_GAP_BYTES: u64 = 64 * 1024;
/// At most this many coalesced ranges of one read are requested at once (in the browser each is a
/// `Blob.slice` read; one after another, a first-episode read of a 1M-frame dataset made ~176
/// sequential requests). The bytes held are the same either way: a read keeps all its ranges.
pub const MAX_RANGES_IN_FLIGHT: usize = 16;
/// Rows per decoded batch. Small enough that arrow-rs's per-batch level and value buffers stay
/// small and are reused from the allocator's free lists (64 Ki-row batches of a 14-float list
/// column grew two `i16` level buffers and a 917 Ki-value buffer by `realloc`, touching fresh
/// pages every batch); large enough that per-batch overhead stays negligible. Measured in
/// BENCHMARKS.md ("Core reader").
pub const BATCH_ROWS: usize = 4 * 1024;
/// At most this many batches are reserved up front by [`ParquetFile::read`] (the footer's row
/// count is untrusted; past this the `Vec` grows as usual).
const MAX_RESERVED_BATCHES: u64 = 4096;

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

/// Parsed footers kept for the next read of the same file (in the web app, every episode of a
/// v3.0 data file re-opened its footer: 0.9 MB of thrift for a 1M-frame dataset's file), least
/// recently used dropped first, within [`FooterCache::capacity_bytes`] of parsed metadata. Clones
/// share one cache.
#[derive(Clone)]
pub struct FooterCache {
    inner: Rc<RefCell<FooterCacheInner>>,
}

struct FooterCacheInner {
    /// Most recently used last: (path, file, its metadata's in-memory bytes).
    entries: VecDeque<(String, ParquetFile, usize)>,
    bytes: usize,
    capacity_bytes: usize,
}

/// The default budget of a [`FooterCache`]: parsed metadata, as `ParquetMetaData::memory_size`
/// counts it (a 1M-frame dataset's data footer is ~6 MB parsed).
pub const FOOTER_CACHE_DEFAULT_BYTES: usize = 32 * 1024 * 1024;

impl Default for FooterCache {
    fn default() -> Self {
        Self::with_capacity_bytes(FOOTER_CACHE_DEFAULT_BYTES)
    }
}

impl FooterCache {
    pub fn with_capacity_bytes(capacity_bytes: usize) -> Self {
        Self { inner: Rc::new(RefCell::new(FooterCacheInner { entries: VecDeque::new(), bytes: 0, capacity_bytes })) }
    }

    pub fn capacity_bytes(&self) -> usize {
        self.inner.borrow().capacity_bytes
    }

    /// Parsed metadata bytes held now (at most the capacity).
    pub fn bytes(&self) -> usize {
        self.inner.borrow().bytes
    }

    pub fn len(&self) -> usize {
        self.inner.borrow().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get(&self, path: &str) -> Option<ParquetFile> {
        let mut inner = self.inner.borrow_mut();
        let at = inner.entries.iter().position(|(p, _, _)| p == path)?;
        let entry = inner.entries.remove(at)?;
        let file = entry.1.clone();
        inner.entries.push_back(entry);
        Some(file)
    }

    fn insert(&self, path: &str, file: &ParquetFile) {
        let size = file.metadata().memory_size();
        let mut inner = self.inner.borrow_mut();
        if size > inner.capacity_bytes {
            return;
        }
        if let Some(at) = inner.entries.iter().position(|(p, _, _)| p == path) {
            if let Some((_, _, old)) = inner.entries.remove(at) {
                inner.bytes -= old;
            }
        }
        while inner.bytes + size > inner.capacity_bytes {
            let Some((_, _, dropped)) = inner.entries.pop_front() else { break };
            inner.bytes -= dropped;
        }
        inner.bytes += size;
        inner.entries.push_back((path.to_string(), file.clone(), size));
    }
}

/// An opened parquet file: its footer is parsed, nothing else is read yet.
#[derive(Clone)]
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
        // The parquet crate builds the schema tree recursively: a deep one would overflow the stack.
        match schema_depth(&meta_bytes) {
            Err(reason) => return Err(metadata_err(reason)),
            Ok(Some(depth)) if depth > MAX_SCHEMA_DEPTH => {
                return Err(metadata_err(format!(
                    "the schema nests {depth} levels deep, more than the {MAX_SCHEMA_DEPTH} Episcope reads"
                )));
            }
            Ok(_) => {}
        }
        let metadata = contain(metadata_err, || {
            let metadata =
                ParquetMetaDataReader::decode_metadata(&meta_bytes).map_err(|e| metadata_err(e.to_string()))?;
            ArrowReaderMetadata::try_new(Arc::new(metadata), ArrowReaderOptions::new())
                .map_err(|e| metadata_err(e.to_string()))
        })?;
        Ok(Self { source, path: path.to_string(), metadata })
    }

    /// [`Self::open`], answered from `cache` when the footer of `path` was parsed before.
    pub async fn open_cached(
        source: Arc<dyn ByteSource>,
        path: &str,
        cache: &FooterCache,
    ) -> Result<Self, ParquetReadError> {
        if let Some(file) = cache.get(path) {
            return Ok(file);
        }
        let file = Self::open(source, path).await?;
        cache.insert(path, &file);
        Ok(file)
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
    /// column chunks are fetched. The batches of [`ParquetFile::read_stream`], collected.
    pub async fn read(
        &self,
        columns: &[&str],
        row_groups: Option<&[usize]>,
    ) -> Result<Vec<RecordBatch>, ParquetReadError> {
        let stream = self.read_stream(columns, row_groups).await?;
        let expected = stream.declared_rows.div_ceil(BATCH_ROWS as u64).min(MAX_RESERVED_BATCHES);
        let mut batches = Vec::with_capacity(expected as usize);
        for batch in stream {
            batches.push(batch?);
        }
        Ok(batches)
    }

    /// Fetches the column chunks of the named top-level columns in the chosen row groups (all
    /// when `None`), checks their page headers, and returns a decoder that yields record batches
    /// of at most [`BATCH_ROWS`] rows. Decoding happens as the stream is iterated; after its first
    /// error the stream ends.
    pub async fn read_stream(
        &self,
        columns: &[&str],
        row_groups: Option<&[usize]>,
    ) -> Result<BatchStream, ParquetReadError> {
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
        let mut chunks: Vec<(Range<u64>, Compression)> = Vec::new();
        let mut declared_rows = 0u64;
        for &rg in &row_groups {
            declared_rows = declared_rows.saturating_add(self.metadata().row_groups()[rg].num_rows().max(0) as u64);
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
                chunks.push((range.clone(), chunk.compression()));
                ranges.push(range);
            }
        }
        let fetched = self.fetch(coalesce_for_source(ranges, self.source.request_cost_bytes())).await?;
        let decode_err = |reason: String| ParquetReadError::Decode { reason, path: self.path.clone() };
        for (range, codec) in chunks {
            check_pages(&fetched, range, codec).map_err(decode_err)?;
        }
        let reader = contain(decode_err, || {
            ParquetRecordBatchReaderBuilder::new_with_metadata(fetched, self.metadata.clone())
                .with_projection(mask)
                .with_row_groups(row_groups)
                .with_batch_size(BATCH_ROWS)
                .build()
                .map_err(|e| decode_err(e.to_string()))
        })?;
        Ok(BatchStream { reader: Some(reader), rows: 0, declared_rows, path: self.path.clone() })
    }

    async fn fetch(&self, ranges: Vec<Range<u64>>) -> Result<PrefetchedRanges, ParquetReadError> {
        let chunks = fetch_ranges(self.source.as_ref(), ranges)
            .await
            .map_err(|source| ParquetReadError::Source { source, path: self.path.clone() })?;
        Ok(PrefetchedRanges { size: self.source.size(), chunks })
    }
}

/// Reads `ranges` of `source` with up to [`MAX_RANGES_IN_FLIGHT`] reads outstanding at once,
/// answering each range's start and bytes in the order asked; the first failure ends the fetch.
async fn fetch_ranges(source: &dyn ByteSource, ranges: Vec<Range<u64>>) -> Result<Vec<(u64, Bytes)>, SourceError> {
    let mut chunks = Vec::with_capacity(ranges.len());
    let reads = ranges.into_iter().map(|range| {
        let start = range.start;
        async move { source.read_range(range).await.map(|bytes| (start, bytes)) }
    });
    let mut in_order = stream::iter(reads).buffered(MAX_RANGES_IN_FLIGHT);
    while let Some(chunk) = in_order.next().await {
        chunks.push(chunk?);
    }
    Ok(chunks)
}

/// Record batches of one [`ParquetFile::read_stream`], decoded one at a time as it is iterated.
///
/// Every batch is decoded under the same panic containment as the rest of the reader, and the
/// stream fails (then ends) once the pages have produced more rows than the footer declares for
/// the selected row groups: the decoder reads pages until they run out, and a page may declare
/// (and run-length encode) far more rows than the footer.
pub struct BatchStream {
    /// `None` once the stream has ended or failed.
    reader: Option<ParquetRecordBatchReader>,
    rows: u64,
    declared_rows: u64,
    path: String,
}

impl BatchStream {
    /// The rows the footer declares for the selected row groups (an untrusted number: the stream
    /// stops with an error rather than yield more).
    pub fn declared_rows(&self) -> u64 {
        self.declared_rows
    }
}

impl Iterator for BatchStream {
    type Item = Result<RecordBatch, ParquetReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        let Self { reader, rows, declared_rows, path } = self;
        let decoder = reader.as_mut()?;
        let decode_err = |reason: String| ParquetReadError::Decode { reason, path: path.clone() };
        let next = contain(decode_err, || decoder.next().transpose().map_err(|e| decode_err(e.to_string())));
        let result = match next {
            Ok(Some(batch)) => {
                *rows = rows.saturating_add(batch.num_rows() as u64);
                if *rows > *declared_rows {
                    Err(decode_err(format!("the pages hold more rows than the {declared_rows} the footer declares")))
                } else {
                    return Some(Ok(batch));
                }
            }
            Ok(None) => {
                *reader = None;
                return None;
            }
            Err(e) => Err(e),
        };
        *reader = None;
        Some(result)
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

/// Marks this thread as running a third-party decoder under `catch_unwind` until the guard drops
/// (also used by `formats::mcap` around the `mcap` crate's summary reader), so that
/// [`in_contained_decoder`] is true for the panic hook.
pub(crate) fn contained_scope() -> impl Drop {
    struct Depth;
    impl Drop for Depth {
        fn drop(&mut self) {
            CONTAINED_DEPTH.with(|depth| depth.set(depth.get().saturating_sub(1)));
        }
    }
    CONTAINED_DEPTH.with(|depth| depth.set(depth.get() + 1));
    Depth
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
    let _depth = contained_scope();
    catch_unwind(AssertUnwindSafe(decode)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        Err(error(format!("the parquet decoder failed on malformed data: {message}")))
    })
}

/// Sorts ranges and merges those that overlap or touch, and those whose gap is at most
/// [`COALESCE_GAP_BYTES`] and at most the bytes of the two ranges either side of it (the last range
/// merged so far and the next). So a gap costs no more than the bytes it saves a request for, and the
/// bytes fetched are at most three times the bytes asked for (each gap is paid for by its two
/// neighbours, and each range neighbours two gaps). Small projected chunks separated by large
/// unprojected ones (the `stats/*` columns of `meta/episodes/`) are fetched one by one instead of
/// with everything between them.
pub fn coalesce(ranges: Vec<Range<u64>>) -> Vec<Range<u64>> {
    coalesce_for_source(ranges, 0)
}

/// [`coalesce`], and also merging any gap of at most `request_cost_bytes` (the source's
/// [`ByteSource::request_cost_bytes`]): for a source where a request costs as much as reading that
/// many bytes, fetching the gap is never slower than a second request. In the browser, 176 reads of
/// ~700 bytes from a `File` took 58–100 ms with 16 in flight, one read of the whole 7 MB file 9–13 ms
/// (BENCHMARKS.md): a 1M-frame dataset's `meta/episodes/` projected chunks, one request per row group
/// under the rule above, become one request of 4.7 MB.
pub fn coalesce_for_source(mut ranges: Vec<Range<u64>>, request_cost_bytes: u64) -> Vec<Range<u64>> {
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<u64>> = Vec::with_capacity(ranges.len());
    // The length of the last range merged into `merged.last()`.
    let mut previous_len = 0u64;
    for range in ranges {
        let len = range.end.saturating_sub(range.start);
        match merged.last_mut() {
            Some(last) if range.start <= last.end => {
                last.end = last.end.max(range.end);
                previous_len = previous_len.max(len);
            }
            Some(last)
                if range.start - last.end <= COALESCE_GAP_BYTES.min(previous_len.saturating_add(len))
                    || range.start - last.end <= request_cost_bytes =>
            {
                last.end = last.end.max(range.end);
                previous_len = len;
            }
            _ => {
                merged.push(range);
                previous_len = len;
            }
        }
    }
    merged
}

/// Checks the page headers of one fetched column chunk before the parquet crate decodes them: the
/// crate allocates what a header declares (the uncompressed size, a dictionary's value count)
/// before finding out the page holds less. Returns why a page is refused.
fn check_pages(fetched: &PrefetchedRanges, range: Range<u64>, codec: Compression) -> Result<(), String> {
    let chunk = fetched.slice_from(range.start).map_err(|e| e.to_string())?;
    let len = usize::try_from(range.end - range.start).map_err(|e| e.to_string())?;
    let chunk = chunk.get(..len).ok_or_else(|| format!("column chunk at byte {} was not fetched", range.start))?;
    // Most bytes one compressed byte can expand to (Snappy: 64 bytes from a 3-byte copy; LZ4: a
    // 255-byte run per length byte; deflate: 1032). Uncompressed pages are used as they are.
    let expansion = match codec {
        Compression::UNCOMPRESSED => None,
        Compression::SNAPPY => Some(22),
        Compression::LZ4 | Compression::LZ4_RAW => Some(256),
        _ => Some(1032),
    };
    let mut at = 0usize;
    while at < chunk.len() {
        let offset = range.start + at as u64;
        let mut header = Compact { bytes: &chunk[at..], pos: 0, elements: 0 };
        // A header this walk cannot read within the chunk is refused here, not left to the parquet
        // crate: the crate reads headers from a cursor that runs past the chunk, its Thrift skip
        // treats running out of bytes inside a `double` or `uuid` as done, and so a list declaring
        // 2^31 of them spins for minutes (found by the `dataset_check` fuzz target).
        let page = header.page_header().map_err(|_| format!("malformed page header at byte {offset}"))?;
        let negative = [page.uncompressed, page.compressed, page.dictionary_values.unwrap_or(0)].iter().any(|&v| v < 0);
        if negative {
            return Err(format!("malformed page header at byte {offset} (a negative size)"));
        }
        let (uncompressed, compressed) = (page.uncompressed as u64, page.compressed as u64);
        if let Some(expansion) = expansion {
            let limit = compressed.saturating_mul(expansion).saturating_add(1024).min(MAX_PAGE_BYTES);
            if uncompressed > limit {
                return Err(format!(
                    "the page at byte {offset} declares {uncompressed} uncompressed bytes, more than its {compressed} \
                     {codec}-compressed bytes can hold"
                ));
            }
        }
        // Every dictionary value takes at least one byte (dictionaries are plain-encoded) of what
        // the page decodes to: its uncompressed bytes, or its bytes as they are without a codec.
        let decoded = if expansion.is_some() { uncompressed } else { compressed };
        if let Some(values) = page.dictionary_values.map(|v| v as u64).filter(|&v| v > decoded) {
            return Err(format!("the dictionary page at byte {offset} declares {values} values in {decoded} bytes"));
        }
        let end = at.saturating_add(header.pos).saturating_add(compressed as usize);
        if end > chunk.len() {
            return Err(format!(
                "the page at byte {offset} ({compressed} bytes) runs past the end of its column chunk at byte {}",
                range.end
            ));
        }
        at = end;
    }
    Ok(())
}

/// The nesting depth of the schema in a footer (groups enclosing the deepest column, the root
/// included), counted without building it; `Ok(None)` when the footer has no schema (the parquet
/// crate then reports it).
///
/// Refused before the parquet crate sees them (both found by the `parquet_reader` fuzz target under
/// AddressSanitizer): a group declaring more children than there are schema elements after it (the
/// crate reserves room for every declared child first: a `num_children` of 541 million made it
/// allocate 4.3 GB), and a footer whose schema cannot be walked as Thrift (the crate reads fields by
/// their id whatever their declared type, so it may go on where this walk stops, and reach such a
/// group that this walk never saw). Footers written by any parquet writer walk.
fn schema_depth(footer: &[u8]) -> Result<Option<usize>, String> {
    let malformed = |_| "the footer is not valid Thrift up to the end of its schema".to_string();
    let mut thrift = Compact { bytes: footer, pos: 0, elements: 0 };
    let mut last = 0;
    // FileMetaData: field 2 is the schema, a depth-first list of elements with `num_children`.
    while let Some((id, kind)) = thrift.field(&mut last).map_err(malformed)? {
        if (id, kind) != (2, LIST) {
            thrift.skip(kind, MAX_THRIFT_DEPTH).map_err(malformed)?;
            continue;
        }
        let (count, element) = thrift.list_header().map_err(malformed)?;
        if element != STRUCT {
            return Err(format!("the schema is a list of Thrift type {element}, not of structs"));
        }
        // Children still to come of each open group, outermost first (at most one entry per
        // element read, so bounded by the footer's size).
        let mut open: Vec<i32> = Vec::new();
        let mut deepest = 0;
        for index in 0..count {
            while open.last() == Some(&0) {
                open.pop();
            }
            if let Some(remaining) = open.last_mut() {
                *remaining -= 1;
            }
            let children = thrift.schema_element_children().map_err(malformed)?;
            if children > 0 {
                let following = count - index - 1;
                if u64::try_from(children).unwrap_or(0) > following {
                    return Err(format!(
                        "schema element {index} declares {children} children, but only {following} elements follow it"
                    ));
                }
                open.push(children);
                deepest = deepest.max(open.len());
            }
        }
        return Ok(Some(deepest));
    }
    Ok(None)
}

const LIST: u8 = 9;
const STRUCT: u8 = 12;

/// A Thrift structure that cannot be walked: truncated, an unknown type, a length beyond its
/// bytes, nested too deeply, or a page header without its sizes.
#[derive(Debug)]
struct Malformed;

/// The parts of a page header the crate allocates by.
struct PageSizes {
    uncompressed: i32,
    compressed: i32,
    dictionary_values: Option<i32>,
}

/// Just enough of the Thrift compact protocol to read page headers and walk a footer's schema
/// without building anything: every length is checked against the bytes there.
struct Compact<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// List, set and map elements walked so far (see [`Compact::skip_element`]).
    elements: usize,
}

impl Compact<'_> {
    fn byte(&mut self) -> Result<u8, Malformed> {
        let byte = *self.bytes.get(self.pos).ok_or(Malformed)?;
        self.pos += 1;
        Ok(byte)
    }

    fn advance(&mut self, n: u64) -> Result<(), Malformed> {
        let rest = (self.bytes.len() - self.pos) as u64;
        if n > rest {
            return Err(Malformed);
        }
        self.pos += n as usize;
        Ok(())
    }

    /// A varint; like the parquet crate, of any length (bits past 64 are dropped).
    fn varint(&mut self) -> Result<u64, Malformed> {
        let mut value = 0u64;
        let mut shift = 0u32;
        loop {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
            shift = shift.saturating_add(7);
        }
    }

    fn zigzag(&mut self) -> Result<i64, Malformed> {
        let value = self.varint()?;
        Ok((value >> 1) as i64 ^ -((value & 1) as i64))
    }

    /// An i32, truncated from the varint as the parquet crate reads it.
    fn i32(&mut self) -> Result<i32, Malformed> {
        Ok(self.zigzag()? as i32)
    }

    /// The next field of a struct (id, type), `None` at its end (a type of 0, as the parquet crate
    /// reads it).
    fn field(&mut self, last: &mut i16) -> Result<Option<(i16, u8)>, Malformed> {
        let byte = self.byte()?;
        if byte & 0x0f == 0 {
            return Ok(None);
        }
        let delta = i16::from(byte >> 4);
        let id = if delta == 0 {
            self.zigzag()? as i16 // truncated, as the parquet crate reads it
        } else {
            last.checked_add(delta).ok_or(Malformed)?
        };
        *last = id;
        Ok(Some((id, byte & 0x0f)))
    }

    /// A list or set header: (element count, element type).
    fn list_header(&mut self) -> Result<(u64, u8), Malformed> {
        let byte = self.byte()?;
        if byte == 0 {
            return Ok((0, 3)); // an empty list some writers write with element type 0
        }
        let count = match byte >> 4 {
            15 => self.varint()?,
            short => u64::from(short),
        };
        // Every element takes at least one byte.
        if count > (self.bytes.len() - self.pos) as u64 {
            return Err(Malformed);
        }
        Ok((count, byte & 0x0f))
    }

    fn skip(&mut self, kind: u8, depth: u32) -> Result<(), Malformed> {
        let depth = depth.checked_sub(1).ok_or(Malformed)?;
        match kind {
            1 | 2 => Ok(()), // a bool field: the value is its type
            3 => self.advance(1),
            4..=6 => self.varint().map(drop),
            7 => self.advance(8),
            8 => {
                let len = self.varint()?;
                self.advance(len)
            }
            9 | 10 => {
                let (count, element) = self.list_header()?;
                (0..count).try_for_each(|_| self.skip_element(element, depth))
            }
            11 => {
                let count = self.varint()?;
                if count == 0 {
                    return Ok(());
                }
                if count > (self.bytes.len() - self.pos) as u64 {
                    return Err(Malformed);
                }
                let kinds = self.byte()?;
                (0..count).try_for_each(|_| {
                    self.skip_element(kinds >> 4, depth)?;
                    self.skip_element(kinds & 0x0f, depth)
                })
            }
            12 => {
                let mut last = 0;
                while let Some((_, kind)) = self.field(&mut last)? {
                    self.skip(kind, depth)?;
                }
                Ok(())
            }
            13 => self.advance(16),
            _ => Err(Malformed),
        }
    }

    /// Skips a list, set or map element. (Bool elements take a byte by the Thrift spec, but the
    /// parquet crate skips none, and it is the crate's reading this walk has to follow.)
    ///
    /// Bool elements take no bytes that way, so nested lists of them would make this walk (and the
    /// crate's skip after it) loop count × count times: at most one element per byte of input is
    /// walked. Real page headers and footers hold far fewer (page headers have no lists at all).
    fn skip_element(&mut self, kind: u8, depth: u32) -> Result<(), Malformed> {
        self.elements += 1;
        if self.elements > self.bytes.len() {
            return Err(Malformed);
        }
        match kind {
            0 => Err(Malformed),
            _ => self.skip(kind, depth),
        }
    }

    /// A `PageHeader`: fields 1 `type`, 2 `uncompressed_page_size`, 3 `compressed_page_size`, 7
    /// `dictionary_page_header` (whose field 1 is `num_values`).
    fn page_header(&mut self) -> Result<PageSizes, Malformed> {
        let (mut uncompressed, mut compressed, mut dictionary_values) = (None, None, None);
        let mut last = 0;
        while let Some((id, kind)) = self.field(&mut last)? {
            match (id, kind) {
                (2, 5) => uncompressed = Some(self.i32()?),
                (3, 5) => compressed = Some(self.i32()?),
                (7, STRUCT) => {
                    let mut last = 0;
                    while let Some((id, kind)) = self.field(&mut last)? {
                        match (id, kind) {
                            (1, 5) => dictionary_values = Some(self.i32()?),
                            _ => self.skip(kind, MAX_THRIFT_DEPTH)?,
                        }
                    }
                }
                _ => self.skip(kind, MAX_THRIFT_DEPTH)?,
            }
        }
        Ok(PageSizes {
            uncompressed: uncompressed.ok_or(Malformed)?,
            compressed: compressed.ok_or(Malformed)?,
            dictionary_values,
        })
    }

    /// A `SchemaElement`'s `num_children` (field 5; 0 for a column).
    fn schema_element_children(&mut self) -> Result<i32, Malformed> {
        let mut children = 0;
        let mut last = 0;
        while let Some((id, kind)) = self.field(&mut last)? {
            match (id, kind) {
                (5, 5) => children = self.i32()?,
                _ => self.skip(kind, MAX_THRIFT_DEPTH)?,
            }
        }
        Ok(children)
    }
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

    /// Bytes whose every byte is its offset modulo 251, read with one `Pending` per read, counting
    /// the reads in flight.
    struct SlowCountingSource {
        size: u64,
        in_flight: Cell<usize>,
        most_in_flight: Cell<usize>,
        fail_at: Option<u64>,
    }

    /// Pending once (waking itself), then ready.
    struct YieldOnce(bool);

    impl std::future::Future for YieldOnce {
        type Output = ();
        fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
            if self.0 {
                return std::task::Poll::Ready(());
            }
            self.0 = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }

    impl ByteSource for SlowCountingSource {
        fn size(&self) -> u64 {
            self.size
        }

        fn read_range(&self, range: Range<u64>) -> crate::source::LocalBoxFuture<'_, Result<Bytes, SourceError>> {
            Box::pin(async move {
                self.in_flight.set(self.in_flight.get() + 1);
                self.most_in_flight.set(self.most_in_flight.get().max(self.in_flight.get()));
                YieldOnce(false).await;
                self.in_flight.set(self.in_flight.get() - 1);
                if self.fail_at == Some(range.start) {
                    return Err(SourceError::Io { reason: format!("failed at {}", range.start) });
                }
                Ok(range.map(|offset| (offset % 251) as u8).collect())
            })
        }
    }

    #[test]
    fn ranges_are_read_concurrently_within_the_bound_and_answered_in_order() {
        let source = SlowCountingSource {
            size: 1_000_000,
            in_flight: Cell::new(0),
            most_in_flight: Cell::new(0),
            fail_at: None,
        };
        let ranges: Vec<Range<u64>> = (0..100u64).map(|i| i * 5_000..i * 5_000 + 100 + i).collect();
        let chunks = pollster::block_on(fetch_ranges(&source, ranges.clone())).unwrap();
        assert_eq!(chunks.len(), ranges.len());
        for ((start, bytes), range) in chunks.iter().zip(&ranges) {
            assert_eq!(*start, range.start);
            assert_eq!(bytes.len() as u64, range.end - range.start);
            assert_eq!(bytes[0], (range.start % 251) as u8, "the bytes of {range:?}");
        }
        assert_eq!(source.most_in_flight.get(), MAX_RANGES_IN_FLIGHT, "reads overlap, up to the bound");
    }

    #[test]
    fn a_failed_range_read_fails_the_fetch() {
        let source = SlowCountingSource {
            size: 1_000_000,
            in_flight: Cell::new(0),
            most_in_flight: Cell::new(0),
            fail_at: Some(50_000),
        };
        let ranges: Vec<Range<u64>> = (0..40u64).map(|i| i * 5_000..i * 5_000 + 10).collect();
        let error = pollster::block_on(fetch_ranges(&source, ranges)).unwrap_err();
        assert_eq!(error, SourceError::Io { reason: "failed at 50000".into() });
    }

    /// A parquet file of `row_groups` row groups of 10 rows of one int64 column `x`.
    fn parquet_bytes(row_groups: usize) -> Bytes {
        use arrow_array::Int64Array;
        use parquet::arrow::ArrowWriter;
        use parquet::file::properties::WriterProperties;
        let schema = Arc::new(arrow_schema::Schema::new(vec![arrow_schema::Field::new(
            "x",
            arrow_schema::DataType::Int64,
            false,
        )]));
        let props = WriterProperties::builder().set_max_row_group_row_count(Some(10)).build();
        let mut out = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut out, schema.clone(), Some(props)).unwrap();
        let values: Vec<i64> = (0..(row_groups * 10) as i64).collect();
        let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(values))]).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        Bytes::from(out)
    }

    #[allow(clippy::arc_with_non_send_sync)]
    fn counted(bytes: Bytes, counter: &Arc<crate::source::IoCounter>) -> Arc<dyn ByteSource> {
        Arc::new(crate::source::CountingSource::new(Arc::new(crate::source::MemorySource::new(bytes)), counter.clone()))
    }

    #[test]
    fn a_cached_footer_is_not_read_again() {
        let counter = Arc::new(crate::source::IoCounter::default());
        let source = counted(parquet_bytes(5), &counter);
        let cache = FooterCache::default();
        let first = pollster::block_on(ParquetFile::open_cached(source.clone(), "a.parquet", &cache)).unwrap();
        let read_once = counter.bytes_read();
        assert!(read_once > 0);
        let again = pollster::block_on(ParquetFile::open_cached(source.clone(), "a.parquet", &cache)).unwrap();
        assert_eq!(counter.bytes_read(), read_once, "the second open reads nothing");
        assert_eq!(again.num_row_groups(), first.num_row_groups());
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.bytes(), first.metadata().memory_size());
        // Another path is another file.
        pollster::block_on(ParquetFile::open_cached(source, "b.parquet", &cache)).unwrap();
        assert!(counter.bytes_read() > read_once);
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn the_footer_cache_stays_within_its_bytes_dropping_the_least_recently_used() {
        let counter = Arc::new(crate::source::IoCounter::default());
        let source = counted(parquet_bytes(20), &counter);
        let one = pollster::block_on(ParquetFile::open(source.clone(), "probe")).unwrap().metadata().memory_size();
        // Room for two footers, not three.
        let cache = FooterCache::with_capacity_bytes(one * 2 + one / 2);
        for path in ["a", "b"] {
            pollster::block_on(ParquetFile::open_cached(source.clone(), path, &cache)).unwrap();
        }
        // `a` used again: `b` is now the least recently used.
        pollster::block_on(ParquetFile::open_cached(source.clone(), "a", &cache)).unwrap();
        pollster::block_on(ParquetFile::open_cached(source.clone(), "c", &cache)).unwrap();
        assert_eq!(cache.len(), 2);
        assert!(cache.bytes() <= cache.capacity_bytes());
        let before = counter.bytes_read();
        pollster::block_on(ParquetFile::open_cached(source.clone(), "a", &cache)).unwrap();
        pollster::block_on(ParquetFile::open_cached(source.clone(), "c", &cache)).unwrap();
        assert_eq!(counter.bytes_read(), before, "a and c are kept");
        pollster::block_on(ParquetFile::open_cached(source.clone(), "b", &cache)).unwrap();
        assert!(counter.bytes_read() > before, "b was dropped");
        // A footer larger than the whole budget is used but not kept.
        let tiny = FooterCache::with_capacity_bytes(one / 2);
        pollster::block_on(ParquetFile::open_cached(source, "a", &tiny)).unwrap();
        assert!(tiny.is_empty());
        assert_eq!(tiny.bytes(), 0);
    }

    #[test]
    fn coalesce_merges_near_ranges_only() {
        let merged = coalesce(vec![500_000..600_000, 0..10, 20..30, 100_000..100_010]);
        assert_eq!(merged, vec![0..30, 100_000..100_010, 500_000..600_000]);
    }

    #[test]
    fn a_costly_request_is_traded_for_the_gap_bytes() {
        // The `meta/episodes/` layout: 1 000-byte chunks 31 000 bytes apart.
        let ranges: Vec<Range<u64>> = (0..100u64).map(|i| i * 32_000..i * 32_000 + 1_000).collect();
        assert_eq!(coalesce_for_source(ranges.clone(), 0).len(), 100, "kept apart when requests are free");
        assert_eq!(coalesce_for_source(ranges.clone(), 256 * 1024), vec![0..99 * 32_000 + 1_000]);
        // A gap larger than the request's cost is still a second request.
        let far = vec![0..1_000, 1_000_000..1_001_000];
        assert_eq!(coalesce_for_source(far.clone(), 256 * 1024), far);
    }

    #[test]
    fn coalesce_keeps_small_ranges_apart_across_larger_gaps() {
        // Two 1 000-byte chunks 31 000 bytes apart (the `meta/episodes/` layout): not merged,
        // although the gap is under 64 KiB.
        assert_eq!(coalesce(vec![0..1_000, 32_000..33_000]), vec![0..1_000, 32_000..33_000]);
        // A gap no larger than the two neighbours together is merged...
        assert_eq!(coalesce(vec![0..1_000, 2_500..3_000]), vec![0..3_000]);
        // ...but never one over 64 KiB, however large the neighbours.
        let far = coalesce(vec![0..1_000_000, 1_070_000..2_000_000]);
        assert_eq!(far, vec![0..1_000_000, 1_070_000..2_000_000]);
        // Overlapping and touching ranges are always merged.
        assert_eq!(coalesce(vec![10..20, 0..15, 20..25]), vec![0..25]);
    }

    #[test]
    fn coalesce_fetches_at_most_three_times_the_wanted_bytes() {
        // Deterministic pseudo-random ranges of 1..4 KiB with gaps of 0..128 KiB.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = |modulo: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % modulo
        };
        let mut ranges = Vec::new();
        let mut at = 0u64;
        for _ in 0..10_000 {
            at += next(128 * 1024);
            let len = 1 + next(4096);
            ranges.push(at..at + len);
            at += len;
        }
        let wanted: u64 = ranges.iter().map(|r| r.end - r.start).sum();
        let merged = coalesce(ranges.clone());
        let fetched: u64 = merged.iter().map(|r| r.end - r.start).sum();
        assert!(fetched <= 3 * wanted, "fetched {fetched} for {wanted} wanted");
        assert!(merged.len() < ranges.len(), "some nearby ranges were merged");
        for range in &ranges {
            assert!(merged.iter().any(|m| m.start <= range.start && range.end <= m.end), "{range:?} not covered");
        }
    }
}
