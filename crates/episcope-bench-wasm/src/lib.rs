//! Episcope's parquet reader (`episcope_core::parquet_io`) packaged as a contender for the browser
//! peers benchmark: split a file's decode work between workers, decode each part, merge the parts.
//!
//! The flow the adapter (`bench/peers-adapter/`) drives, one call per step:
//!
//! 1. [`plan::plan_file`] on the page's thread: the footer only, then the (row group, column) units
//!    split into balanced [`plan::WorkerPlan`]s, each with the byte ranges its reads will fetch.
//! 2. [`decode::decode_part`] in each worker, over a [`pieces::PiecesSource`] holding only those
//!    ranges: every planned column chunk decoded by `ParquetFile::read`, reduced to a
//!    [`summary::Partial`] (per-column sums, or per-dimension moments of one column).
//! 3. [`summary::merge_partials`] on the page's thread: sums added, moments merged (Chan et al.),
//!    giving the [`summary::Summary`] the harness validates.
//!
//! Everything above is plain Rust, tested natively; `wasm.rs` only moves bytes and JSON across the
//! wasm boundary.

pub mod decode;
pub mod error;
pub mod pieces;
pub mod plan;
pub mod ready;
pub mod summary;
#[cfg(target_arch = "wasm32")]
mod wasm;

pub use error::BenchError;

/// The column the `stats` task summarises.
pub const STATE_COLUMN: &str = "observation.state";

/// The label used for the benchmark's input in errors (the adapter gets bytes, not a file name).
pub const INPUT_LABEL: &str = "<benchmark input>";

/// What the harness asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Task {
    /// Decode every column of every row group; the sums of all values per column.
    AllColumns,
    /// Decode only this column; min, max, mean and population std per dimension.
    ColumnStats { column: String },
}

impl Task {
    /// `all` or `stats` (the latter over [`STATE_COLUMN`]), as the harness names its tasks.
    pub fn from_harness_name(name: &str) -> Result<Self, BenchError> {
        match name {
            "all" => Ok(Task::AllColumns),
            "stats" => Ok(Task::ColumnStats { column: STATE_COLUMN.to_string() }),
            other => Err(BenchError::UnknownTask { task: other.to_string() }),
        }
    }
}
