//! Episcope's engine: readers for robot-learning datasets over an async byte-range abstraction,
//! the dataset model, and (later) checks, statistics and reports. No web dependencies and no
//! `std::fs` in the read path: the same code runs in a browser worker, natively and in tests.

pub mod check;
pub mod columns;
pub mod convert;
pub mod formats;
#[cfg(feature = "native")]
pub mod local;
pub mod mp4;
pub mod parquet_io;
pub mod partial;
pub mod recording;
#[cfg(feature = "remote")]
pub mod remote;
pub mod robot;
pub mod shard;
pub mod source;
pub mod stats;
#[cfg(feature = "synthetic")]
pub mod synthetic;
#[cfg(feature = "synthetic")]
pub mod synthetic_recording;
pub mod tree;
pub mod writer;

pub use formats::lerobot;
pub use source::{ByteSource, MemorySource, SourceError};
pub use tree::DatasetTree;
