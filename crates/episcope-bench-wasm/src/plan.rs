//! Splits the decode work of one parquet file into balanced parts, one per worker, each with the
//! exact byte ranges its reads will fetch (so a worker is handed only those bytes).
//!
//! The unit of work is one column of one row group (its column chunks): the 2-row-group files of
//! the benchmark split by row group, and a 1-row-group file still splits by column. Units are
//! weighed by the uncompressed bytes of their chunks (what decoding walks) and dealt out largest
//! first to the least loaded worker (LPT scheduling).

use std::collections::BTreeMap;
use std::ops::Range;

use episcope_core::parquet_io::{coalesce, ParquetFile, ParquetReadError};
use episcope_core::ByteSource;
use serde::{Deserialize, Serialize};

use crate::ready::now_or_never;
use crate::{BenchError, Task};

/// The named top-level columns of one row group, read by one `ParquetFile::read` call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowGroupRead {
    pub row_group: usize,
    pub columns: Vec<String>,
}

/// One worker's share of the work.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerPlan {
    pub reads: Vec<RowGroupRead>,
    /// The byte ranges (`[start, end)`) the worker needs, footer included: sorted, disjoint, and
    /// each range one of its reads fetches lies inside one of them.
    pub ranges: Vec<[u64; 2]>,
    /// Uncompressed bytes of the column chunks it decodes (the balancing weight).
    pub decoded_bytes: u64,
}

impl WorkerPlan {
    /// Whether the worker has nothing to do (more workers than units).
    pub fn is_idle(&self) -> bool {
        self.reads.is_empty()
    }
}

/// One column of one row group.
struct Unit {
    row_group: usize,
    root: usize,
    decoded_bytes: u64,
    chunks: Vec<Range<u64>>,
}

/// The byte range of the footer (metadata and the 8-byte tail) of a file `ParquetFile::open`
/// accepted.
pub fn footer_range(source: &dyn ByteSource, path: &str) -> Result<Range<u64>, BenchError> {
    let size = source.size();
    let too_small = || ParquetReadError::TooSmall { size, path: path.to_string() };
    let tail_start = size.checked_sub(8).ok_or_else(too_small)?;
    let tail = now_or_never(source.read_range(tail_start..size))
        .ok_or_else(|| BenchError::NotReady { path: path.to_string() })?
        .map_err(|source| ParquetReadError::Source { source, path: path.to_string() })?;
    let length: [u8; 4] = tail.get(..4).and_then(|b| b.try_into().ok()).ok_or_else(too_small)?;
    let metadata_bytes = u64::from(u32::from_le_bytes(length));
    let start = tail_start.checked_sub(metadata_bytes).ok_or_else(|| ParquetReadError::FooterTooLarge {
        declared: metadata_bytes,
        available: tail_start,
        path: path.to_string(),
    })?;
    Ok(start..size)
}

/// Splits `task`'s work on `file` between `workers`; a plan per worker, some idle when there are
/// fewer units than workers. `footer` is [`footer_range`] of the file.
pub fn split_work(
    file: &ParquetFile,
    footer: Range<u64>,
    task: &Task,
    workers: usize,
) -> Result<Vec<WorkerPlan>, BenchError> {
    let path = file.path();
    if workers == 0 {
        return Err(BenchError::NoWorkers { workers, path: path.to_string() });
    }
    let schema = file.schema();
    let roots: Vec<usize> = match task {
        Task::AllColumns => (0..schema.fields().len()).collect(),
        Task::ColumnStats { column } => vec![schema
            .index_of(column)
            .map_err(|_| ParquetReadError::MissingColumn { column: column.clone(), path: path.to_string() })?],
    };
    // The footer ends where the file does.
    let units = units(file, &roots, footer.end)?;
    let mut order: Vec<&Unit> = units.iter().collect();
    order.sort_by(|a, b| b.decoded_bytes.cmp(&a.decoded_bytes).then((a.row_group, a.root).cmp(&(b.row_group, b.root))));
    let mut assigned: Vec<Vec<&Unit>> = vec![Vec::new(); workers];
    let mut loads = vec![0u64; workers];
    for unit in order {
        let (lightest, _) = loads.iter().enumerate().min_by_key(|&(i, &load)| (load, i)).unwrap_or((0, &0));
        loads[lightest] = loads[lightest].saturating_add(unit.decoded_bytes);
        assigned[lightest].push(unit);
    }
    Ok(assigned.into_iter().map(|units| worker_plan(file, &footer, units)).collect())
}

/// Every (row group, column) unit of the given top-level columns, with the byte ranges of its
/// column chunks computed as `ParquetFile::read` computes them (and, like it, refused when they
/// lie outside the file of `size` bytes).
fn units(file: &ParquetFile, roots: &[usize], size: u64) -> Result<Vec<Unit>, BenchError> {
    let metadata = file.metadata();
    let descr = metadata.file_metadata().schema_descr();
    let mut units = Vec::new();
    for (row_group, rg_meta) in metadata.row_groups().iter().enumerate() {
        for &root in roots {
            let mut unit = Unit { row_group, root, decoded_bytes: 0, chunks: Vec::new() };
            for leaf in (0..descr.num_columns()).filter(|&leaf| descr.get_column_root_idx(leaf) == root) {
                let chunk = rg_meta.column(leaf);
                let start = chunk.dictionary_page_offset().unwrap_or_else(|| chunk.data_page_offset());
                let len = chunk.compressed_size();
                let range = u64::try_from(start)
                    .ok()
                    .zip(u64::try_from(len).ok())
                    .and_then(|(start, len)| start.checked_add(len).filter(|&end| end <= size).map(|end| start..end))
                    .ok_or_else(|| ParquetReadError::Metadata {
                        reason: format!("column chunk {start}+{len} lies outside the file ({size} bytes)"),
                        path: file.path().to_string(),
                    })?;
                unit.chunks.push(range);
                unit.decoded_bytes = unit.decoded_bytes.saturating_add(chunk.uncompressed_size().max(0) as u64);
            }
            units.push(unit);
        }
    }
    Ok(units)
}

fn worker_plan(file: &ParquetFile, footer: &Range<u64>, units: Vec<&Unit>) -> WorkerPlan {
    let schema = file.schema();
    let mut by_row_group: BTreeMap<usize, Vec<&Unit>> = BTreeMap::new();
    for unit in units {
        by_row_group.entry(unit.row_group).or_default().push(unit);
    }
    let mut plan = WorkerPlan::default();
    let mut ranges = vec![footer.clone()];
    for (row_group, mut units) in by_row_group {
        units.sort_by_key(|unit| unit.root);
        // One read per row group: exactly the ranges `ParquetFile::read` fetches for it.
        let chunks = units.iter().flat_map(|unit| unit.chunks.iter().cloned()).collect();
        ranges.extend(coalesce(chunks));
        plan.decoded_bytes += units.iter().map(|unit| unit.decoded_bytes).sum::<u64>();
        let columns = units.iter().map(|unit| schema.field(unit.root).name().clone()).collect();
        plan.reads.push(RowGroupRead { row_group, columns });
    }
    plan.ranges = coalesce(ranges).into_iter().map(|range| [range.start, range.end]).collect();
    plan
}
