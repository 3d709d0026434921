//! The file a shard's work is written to (`episcope check|stats DIR --shard K/N --partial OUT.json`)
//! and merging such files: parts of a check or of the statistics of one dataset, merged in any
//! order and grouping into one part; once every shard is in, it finishes into the report or the
//! statistics the unsharded command gives (see [`crate::shard`]).

use serde::{Deserialize, Serialize};

use crate::check::{finish_check, CheckMergeError, CheckPartial, Report};
use crate::stats::{DatasetStats, StatsMergeError, StatsPartial};
use crate::tree::DatasetTree;

/// Layout version of a partial file.
pub const PARTIAL_FILE_VERSION: u32 = 1;

/// One part of a check or of the statistics, with where the dataset was read from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartialFile {
    /// [`PARTIAL_FILE_VERSION`]; its presence marks the JSON as a partial.
    pub episcope_partial: u32,
    /// Where the dataset was (a path or URL as given): a check's parts are finished against it.
    #[serde(default)]
    pub source: Option<String>,
    /// `{"kind": "check" | "stats", "work": …}` (nested, not flattened: serde's flattening would
    /// buffer the part and lose its integer map keys).
    pub part: Part,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", content = "work", rename_all = "lowercase")]
pub enum Part {
    Check(Box<CheckPartial>),
    Stats(Box<StatsPartial>),
}

/// A merged whole.
#[derive(Debug, Clone)]
pub enum Merged {
    Check(Box<Report>),
    Stats(Box<DatasetStats>),
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PartialError {
    #[error("nothing to merge")]
    Nothing,
    #[error("partial file layout version {found} (this build reads {PARTIAL_FILE_VERSION})")]
    Version { found: u32 },
    #[error("a check's parts and statistics' parts cannot be merged together")]
    MixedKinds,
    #[error(transparent)]
    Check(#[from] CheckMergeError),
    #[error(transparent)]
    Stats(#[from] StatsMergeError),
}

impl PartialFile {
    pub fn check(part: CheckPartial, source: Option<String>) -> PartialFile {
        PartialFile { episcope_partial: PARTIAL_FILE_VERSION, source, part: Part::Check(Box::new(part)) }
    }

    pub fn stats(part: StatsPartial, source: Option<String>) -> PartialFile {
        PartialFile { episcope_partial: PARTIAL_FILE_VERSION, source, part: Part::Stats(Box::new(part)) }
    }

    /// Whether every shard is in.
    pub fn is_complete(&self) -> bool {
        match &self.part {
            Part::Check(part) => part.is_complete(),
            Part::Stats(part) => part.is_complete(),
        }
    }
}

/// Merges parts of one check or of one dataset's statistics (any order; the result is a part that
/// merges further, and the same whatever the order).
pub fn merge_parts(parts: Vec<PartialFile>) -> Result<PartialFile, PartialError> {
    let mut parts = parts.into_iter();
    let mut merged = parts.next().ok_or(PartialError::Nothing)?;
    if merged.episcope_partial != PARTIAL_FILE_VERSION {
        return Err(PartialError::Version { found: merged.episcope_partial });
    }
    for part in parts {
        if part.episcope_partial != PARTIAL_FILE_VERSION {
            return Err(PartialError::Version { found: part.episcope_partial });
        }
        if merged.source.is_none() {
            merged.source = part.source;
        }
        match (&mut merged.part, part.part) {
            (Part::Check(into), Part::Check(other)) => into.merge(*other)?,
            (Part::Stats(into), Part::Stats(other)) => into.merge(*other)?,
            _ => return Err(PartialError::MixedKinds),
        }
    }
    Ok(merged)
}

/// Finishes a complete merged part: the statistics directly; a check against `tree`, the dataset
/// its parts were checked on (its metadata is checked here, once).
pub async fn finish(merged: PartialFile, tree: Option<&DatasetTree>) -> Result<Merged, FinishError> {
    match merged.part {
        Part::Stats(part) => Ok(Merged::Stats(Box::new(part.finish().map_err(PartialError::from)?))),
        Part::Check(part) => {
            let tree = tree.ok_or(FinishError::NeedsDataset)?;
            Ok(Merged::Check(Box::new(finish_check(tree, *part).await.map_err(PartialError::from)?)))
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FinishError {
    #[error("a check's parts are finished against the dataset they were checked on: give its folder")]
    NeedsDataset,
    #[error(transparent)]
    Merge(#[from] PartialError),
}
