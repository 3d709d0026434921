//! Decodes one worker's share of a parquet file with `episcope_core::parquet_io` and reduces the
//! decoded Arrow arrays (sums per column, or per-dimension moments of one column) as it goes, one
//! row group read at a time, batch by batch (`ParquetFile::read_stream`): no row group is ever
//! held decoded whole.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowPrimitiveType, Float16Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type,
    UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, OffsetSizeTrait, PrimitiveArray};
use arrow_schema::DataType;
use bytes::Bytes;
use episcope_core::columns::{flatten_numeric, ColumnError};
use episcope_core::parquet_io::ParquetFile;

use crate::pieces::{Piece, PiecesSource};
use crate::plan::{footer_range, split_work, WorkerPlan};
use crate::ready::now_or_never;
use crate::summary::{merge_partials, ColumnMoments, Partial, PartialValues, Summary, MAX_DIMENSIONS};
use crate::{BenchError, Task};

/// Opens a file of which only `pieces` are present (at least its footer).
pub fn open_pieces(size: u64, pieces: Vec<Piece>, path: &str) -> Result<ParquetFile, BenchError> {
    let source = PiecesSource::new(size, pieces, path)?;
    let opened = now_or_never(ParquetFile::open(Arc::new(source), path));
    Ok(opened.ok_or_else(|| BenchError::NotReady { path: path.to_string() })??)
}

/// Reads the footer of a whole file in memory and splits `task` between `workers`.
pub fn plan_bytes(bytes: Bytes, task: &Task, workers: usize, path: &str) -> Result<Vec<WorkerPlan>, BenchError> {
    plan_pieces(bytes.len() as u64, vec![Piece { offset_bytes: 0, bytes }], task, workers, path)
}

/// Reads the footer of a file of `size` bytes from `pieces` (which must hold it) and splits
/// `task` between `workers`.
pub fn plan_pieces(
    size: u64,
    pieces: Vec<Piece>,
    task: &Task,
    workers: usize,
    path: &str,
) -> Result<Vec<WorkerPlan>, BenchError> {
    let source = PiecesSource::new(size, pieces, path)?;
    let footer = footer_range(&source, path)?;
    let file = now_or_never(ParquetFile::open(Arc::new(source), path))
        .ok_or_else(|| BenchError::NotReady { path: path.to_string() })??;
    split_work(&file, footer, task, workers)
}

/// The pieces of `bytes` (the whole file) a plan names, without copying.
pub fn pieces_of(bytes: &Bytes, plan: &WorkerPlan) -> Vec<Piece> {
    let len = bytes.len() as u64;
    plan.ranges
        .iter()
        .filter(|[start, end]| start <= end && *end <= len)
        .map(|&[start, end]| Piece { offset_bytes: start, bytes: bytes.slice(start as usize..end as usize) })
        .collect()
}

/// Decodes every read of `plan` and reduces it for `task`.
pub fn decode_part(file: &ParquetFile, task: &Task, plan: &WorkerPlan) -> Result<Partial, BenchError> {
    let path = file.path();
    let mut rows_by_row_group = BTreeMap::new();
    let mut sums: BTreeMap<String, f64> = BTreeMap::new();
    let mut moments: Option<ColumnMoments> = None;
    for read in &plan.reads {
        let columns: Vec<&str> = read.columns.iter().map(String::as_str).collect();
        let batches = now_or_never(file.read_stream(&columns, Some(&[read.row_group])))
            .ok_or_else(|| BenchError::NotReady { path: path.to_string() })??;
        for column in &read.columns {
            sums.entry(column.clone()).or_insert(0.0);
        }
        let mut rows = 0u64;
        // Batch by batch: each is reduced and dropped before the next is decoded.
        for batch in batches {
            let batch = batch?;
            rows += batch.num_rows() as u64;
            for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
                match task {
                    Task::AllColumns => {
                        *sums.entry(field.name().clone()).or_insert(0.0) += sum_values(field.name(), array.as_ref())?;
                    }
                    Task::ColumnStats { column } if column == field.name() => {
                        push_column(&mut moments, column, array.as_ref(), path)?;
                    }
                    Task::ColumnStats { .. } => {}
                }
            }
        }
        rows_by_row_group.insert(read.row_group, rows);
    }
    let values = match task {
        Task::AllColumns => PartialValues::Sums { sums },
        Task::ColumnStats { column } => PartialValues::Moments { column: column.clone(), moments },
    };
    Ok(Partial { rows_by_row_group, values, timings_ms: BTreeMap::new() })
}

/// The whole task on one thread: plan for one worker, decode, merge (the single-threaded
/// contender, and what the parallel scheme must agree with).
pub fn decode_whole(bytes: Bytes, task: &Task, path: &str) -> Result<Summary, BenchError> {
    let size = bytes.len() as u64;
    let plans = plan_bytes(bytes.clone(), task, 1, path)?;
    let mut parts = Vec::with_capacity(plans.len());
    for plan in plans.iter().filter(|plan| !plan.is_idle()) {
        let file = open_pieces(size, pieces_of(&bytes, plan), path)?;
        parts.push(decode_part(&file, task, plan)?);
    }
    merge_partials(task, &parts, path)
}

/// The sum of every non-null value of a numeric array of any layout LeRobot writers produce
/// (lists summed over all their values; booleans count as 0/1). A NaN value makes it NaN.
pub fn sum_values(column: &str, array: &dyn Array) -> Result<f64, ColumnError> {
    let not_numeric =
        || ColumnError::NotNumeric { column: column.to_string(), data_type: array.data_type().to_string() };
    Ok(match array.data_type() {
        DataType::Float32 => sum_floats(array.as_primitive_opt::<Float32Type>().ok_or_else(not_numeric)?),
        DataType::Float64 => sum_floats(array.as_primitive_opt::<Float64Type>().ok_or_else(not_numeric)?),
        DataType::Float16 => sum_floats(array.as_primitive_opt::<Float16Type>().ok_or_else(not_numeric)?),
        DataType::Int64 => sum_integers(array.as_primitive_opt::<Int64Type>().ok_or_else(not_numeric)?),
        DataType::Int32 => sum_integers(array.as_primitive_opt::<Int32Type>().ok_or_else(not_numeric)?),
        DataType::Int16 => sum_integers(array.as_primitive_opt::<Int16Type>().ok_or_else(not_numeric)?),
        DataType::Int8 => sum_integers(array.as_primitive_opt::<Int8Type>().ok_or_else(not_numeric)?),
        DataType::UInt64 => sum_integers(array.as_primitive_opt::<UInt64Type>().ok_or_else(not_numeric)?),
        DataType::UInt32 => sum_integers(array.as_primitive_opt::<UInt32Type>().ok_or_else(not_numeric)?),
        DataType::UInt16 => sum_integers(array.as_primitive_opt::<UInt16Type>().ok_or_else(not_numeric)?),
        DataType::UInt8 => sum_integers(array.as_primitive_opt::<UInt8Type>().ok_or_else(not_numeric)?),
        DataType::Boolean => {
            let array = array.as_boolean_opt().ok_or_else(not_numeric)?;
            (0..array.len()).filter(|&i| array.is_valid(i) && array.value(i)).count() as f64
        }
        DataType::FixedSizeList(_, size) => {
            let list = array.as_fixed_size_list_opt().ok_or_else(not_numeric)?;
            let size = usize::try_from(*size).unwrap_or(0);
            let rows = (0..list.len()).map(|row| (list.is_valid(row), (list.offset() + row) * size, size));
            sum_list_rows(column, list.values().as_ref(), list.null_count() == 0, rows)?
        }
        DataType::List(_) => sum_list(column, array.as_list_opt::<i32>().ok_or_else(not_numeric)?)?,
        DataType::LargeList(_) => sum_list(column, array.as_list_opt::<i64>().ok_or_else(not_numeric)?)?,
        _ => return Err(not_numeric()),
    })
}

fn sum_list<O: OffsetSizeTrait>(column: &str, list: &arrow_array::GenericListArray<O>) -> Result<f64, ColumnError> {
    let offsets = list.value_offsets();
    let rows =
        offsets.windows(2).enumerate().map(|(row, w)| (list.is_valid(row), w[0].as_usize(), (w[1] - w[0]).as_usize()));
    sum_list_rows(column, list.values().as_ref(), list.null_count() == 0, rows)
}

/// Sums the child values of list rows given as (valid, start, length): one slice of the child
/// when no row is null, else row by row.
fn sum_list_rows(
    column: &str,
    child: &dyn Array,
    no_nulls: bool,
    mut rows: impl Iterator<Item = (bool, usize, usize)>,
) -> Result<f64, ColumnError> {
    let bounded = |start: usize, len: usize| start.checked_add(len).is_some_and(|end| end <= child.len());
    if no_nulls {
        let first = rows.next();
        let last = rows.last().or(first);
        let (Some((_, start, _)), Some((_, last_start, last_len))) = (first, last) else { return Ok(0.0) };
        let end = last_start.saturating_add(last_len);
        return match end.checked_sub(start).filter(|&len| bounded(start, len)) {
            Some(len) => sum_values(column, child.slice(start, len).as_ref()),
            None => Ok(0.0),
        };
    }
    let mut total = 0.0;
    for (valid, start, len) in rows {
        if valid && bounded(start, len) {
            total += sum_values(column, child.slice(start, len).as_ref())?;
        }
    }
    Ok(total)
}

/// Eight running sums, so the adds do not wait on each other.
fn sum_floats<T: ArrowPrimitiveType>(array: &PrimitiveArray<T>) -> f64
where
    T::Native: Into<f64>,
{
    let values = array.values();
    if array.null_count() > 0 {
        return (0..array.len()).filter(|&i| array.is_valid(i)).map(|i| values[i].into()).sum();
    }
    let mut lanes = [0.0f64; 8];
    let chunks = values.chunks_exact(8);
    let rest: f64 = chunks.remainder().iter().map(|&v| v.into()).sum();
    for chunk in chunks {
        for (lane, &value) in lanes.iter_mut().zip(chunk) {
            *lane += value.into();
        }
    }
    lanes.iter().sum::<f64>() + rest
}

/// Exact in `i128` (2^64 values of 2^64 cannot overflow it), then rounded once.
fn sum_integers<T: ArrowPrimitiveType>(array: &PrimitiveArray<T>) -> f64
where
    T::Native: Into<i128>,
{
    let values = array.values();
    let total: i128 = if array.null_count() > 0 {
        (0..array.len()).filter(|&i| array.is_valid(i)).map(|i| values[i].into()).sum()
    } else {
        values.iter().map(|&v| v.into()).sum()
    };
    total as f64
}

/// Adds a column's rows to its running moments: row-major `f32`/`f64` values straight from the
/// Arrow buffers for null-free (fixed-size) lists of floats, else through `flatten_numeric` (nulls
/// become NaN and are left out).
pub fn push_column(
    moments: &mut Option<ColumnMoments>,
    column: &str,
    array: &dyn Array,
    path: &str,
) -> Result<(), BenchError> {
    let flattened;
    let (width, rows) = match contiguous_float_rows(array) {
        Some(found) => found,
        None => {
            flattened = flatten_numeric(column, &array.slice(0, array.len()))?;
            (flattened.width, FloatRows::F64(&flattened.values))
        }
    };
    if width > MAX_DIMENSIONS {
        return Err(BenchError::TooManyDimensions {
            column: column.to_string(),
            width,
            max: MAX_DIMENSIONS,
            path: path.to_string(),
        });
    }
    let moments = match moments {
        Some(existing) if existing.width != width => {
            return Err(BenchError::WidthChanged {
                column: column.to_string(),
                expected: existing.width,
                found: width,
                path: path.to_string(),
            })
        }
        Some(existing) => existing,
        None => moments.insert(ColumnMoments::new(width)),
    };
    match rows {
        FloatRows::F32(values) => moments.push_rows(values),
        FloatRows::F64(values) => moments.push_rows(values),
    }
    Ok(())
}

enum FloatRows<'a> {
    F32(&'a [f32]),
    F64(&'a [f64]),
}

/// The values of a list column whose rows all hold `width` non-null floats, as one row-major
/// slice of the Arrow child buffer: (width, values). `None` for any other layout.
fn contiguous_float_rows(array: &dyn Array) -> Option<(usize, FloatRows<'_>)> {
    if array.null_count() > 0 {
        return None;
    }
    let (child, start, width) = match array.data_type() {
        DataType::FixedSizeList(_, size) => {
            let list = array.as_fixed_size_list_opt()?;
            let width = usize::try_from(*size).ok()?;
            (list.values(), list.offset().checked_mul(width)?, width)
        }
        DataType::List(_) => {
            let list = array.as_list_opt::<i32>()?;
            let offsets = list.value_offsets();
            let width = usize::try_from(offsets.get(1)? - offsets.first()?).ok()?;
            if offsets.windows(2).any(|w| usize::try_from(w[1] - w[0]).ok() != Some(width)) {
                return None;
            }
            (list.values(), usize::try_from(*offsets.first()?).ok()?, width)
        }
        _ => return None,
    };
    let len = array.len().checked_mul(width)?;
    if child.null_count() > 0 || start.checked_add(len)? > child.len() {
        return None;
    }
    let rows = match child.data_type() {
        DataType::Float32 => FloatRows::F32(child.as_primitive_opt::<Float32Type>()?.values().get(start..start + len)?),
        DataType::Float64 => FloatRows::F64(child.as_primitive_opt::<Float64Type>()?.values().get(start..start + len)?),
        _ => return None,
    };
    Some((width, rows))
}
