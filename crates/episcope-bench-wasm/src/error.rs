//! Why a benchmark step failed.

use episcope_core::columns::ColumnError;
use episcope_core::parquet_io::ParquetReadError;

/// Why planning, decoding or merging failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum BenchError {
    #[error("unknown task `{task}` (expected `all` or `stats`)")]
    UnknownTask { task: String },
    #[error(transparent)]
    Read(#[from] ParquetReadError),
    #[error(transparent)]
    Column(#[from] ColumnError),
    #[error("column `{column}` has {found} values per row here and {expected} elsewhere: {path}")]
    WidthChanged { column: String, expected: usize, found: usize, path: String },
    #[error("column `{column}` has {width} values per row, more than the {max} whose statistics are kept: {path}")]
    TooManyDimensions { column: String, width: usize, max: usize, path: String },
    #[error("a read did not finish at once (only in-memory sources are supported here): {path}")]
    NotReady { path: String },
    #[error("a worker needs at least one worker to plan for, got {workers}: {path}")]
    NoWorkers { workers: usize, path: String },
    #[error("byte piece at {offset}+{len} lies outside the file ({size} bytes): {path}")]
    PieceOutOfFile { offset: u64, len: u64, size: u64, path: String },
    #[error("row group {row_group} decoded to {first} rows in one part and {other} in another: {path}")]
    RowsDisagree { row_group: usize, first: u64, other: u64, path: String },
    #[error("parts of different tasks cannot be merged: {path}")]
    MixedParts { path: String },
    #[error("malformed {what} ({reason}): {path}")]
    Malformed { what: &'static str, reason: String, path: String },
}
