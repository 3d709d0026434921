//! Paths on the local disk, the one edge the CLI and the Python package share (native only): a
//! path taken as a LeRobot dataset or a recording, and conversions written into a hidden folder
//! that takes the output's name only once complete and checked. Readers still see only a
//! [`DatasetTree`] of byte sources; `std::fs` is used here to list folders and to write.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::check::{check_dataset, CheckOptions, Report};
use crate::convert::{
    convert_recording_with_video, relayout_dataset, suggest_mapping_with, ConvertError, ConvertProgress,
    ConvertSummary, LayoutOptions, Mapping, RelayoutSummary,
};
use crate::lerobot::{open_dataset, OpenError};
use crate::recording::{open_recording, recording_files, RecordingError};
use crate::source::NativeFileSource;
use crate::tree::{ListError, PathError};
use crate::writer::DatasetSink;
use crate::DatasetTree;

/// Why a local path could not be read or a conversion not written.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("not a folder or a recording file (.mcap, .db3, .bag, .hdf5): {path}")]
    NotFound { path: String },
    #[error(
        "not a recording (.mcap, .db3, .bag, .hdf5, a rosbag2 folder or a folder of them) nor a LeRobot dataset: {path}"
    )]
    NotConvertible { path: String },
    #[error("a mapping is for recordings, and this is a LeRobot dataset: {path}")]
    MappingForDataset { path: String },
    #[error("the output folder is not empty: {path}")]
    OutputNotEmpty { path: String },
    #[error("{action} ({reason}): {path}")]
    Io { action: &'static str, reason: String, path: String },
    #[error(transparent)]
    List(#[from] ListError),
    #[error(transparent)]
    Path(#[from] PathError),
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error(transparent)]
    Recording(#[from] RecordingError),
    #[error(transparent)]
    Convert(#[from] ConvertError),
    #[error("not a folder: {path}")]
    NotAFolder { path: String },
    #[cfg(feature = "remote")]
    #[error(transparent)]
    Remote(#[from] crate::remote::RemoteError),
}

fn io_error<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> LocalError + 'a {
    move |e| LocalError::Io { action, reason: e.to_string(), path: path.display().to_string() }
}

/// What a local path holds.
pub enum LocalInput {
    /// A folder that is not a recording: a LeRobot dataset (rooted at its `meta/info.json`), or a
    /// folder the checker will say is not one.
    Dataset(DatasetTree),
    /// A recording file alone, or a folder whose files include recordings and no `meta/info.json`.
    Recording(DatasetTree),
}

impl LocalInput {
    pub fn tree(&self) -> &DatasetTree {
        match self {
            LocalInput::Dataset(tree) | LocalInput::Recording(tree) => tree,
        }
    }

    pub fn into_tree(self) -> DatasetTree {
        match self {
            LocalInput::Dataset(tree) | LocalInput::Recording(tree) => tree,
        }
    }
}

/// The URL `path` is, when it is one (`s3://`, `gs://`, `az://`, `http(s)://`, `hf://`) and the
/// `remote` feature reads URLs.
pub fn as_url(path: &Path) -> Option<&str> {
    let text = path.to_str()?;
    #[cfg(feature = "remote")]
    if crate::remote::is_url(text) {
        return Some(text);
    }
    let _ = text;
    None
}

/// The name a dataset or recording is reported under: the folder's (or file's) own name, or the
/// URL's last folder.
pub fn dataset_name(path: &Path) -> String {
    #[cfg(feature = "remote")]
    if let Some(url) = as_url(path) {
        return crate::remote::url_name(url);
    }
    path.canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| path.display().to_string())
}

/// Where a dataset is, as a part written of it names it: the canonical folder, or the URL
/// (shown without credentials).
pub fn source_name(path: &Path) -> String {
    #[cfg(feature = "remote")]
    if let Some(url) = as_url(path) {
        return crate::remote::display_url(url);
    }
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()).display().to_string()
}

/// The LeRobot dataset at a folder (re-rooted at its `meta/info.json`) or a URL.
pub fn dataset_tree_at(path: &Path) -> Result<DatasetTree, LocalError> {
    if as_url(path).is_some() {
        return Ok(open_path(path)?.into_tree());
    }
    if !path.is_dir() {
        return Err(LocalError::NotAFolder { path: path.display().to_string() });
    }
    Ok(DatasetTree::from_dir(path)?.rooted_at_dataset())
}

/// Lists `path` (nothing is read but directory entries, or a URL's listing) as a dataset or a
/// recording.
pub fn open_path(path: &Path) -> Result<LocalInput, LocalError> {
    #[cfg(feature = "remote")]
    if let Some(url) = as_url(path) {
        let remote = crate::remote::open_url(url)?;
        return Ok(if remote.is_recording {
            LocalInput::Recording(remote.tree)
        } else {
            LocalInput::Dataset(remote.tree)
        });
    }
    if path.is_file() {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let source = NativeFileSource::open(path).map_err(io_error("cannot read", path))?;
        let mut tree = DatasetTree::new();
        tree.insert(&name, Arc::new(source))?;
        if recording_files(&tree).is_empty() {
            return Err(LocalError::NotFound { path: path.display().to_string() });
        }
        return Ok(LocalInput::Recording(tree));
    }
    if !path.is_dir() {
        return Err(LocalError::NotFound { path: path.display().to_string() });
    }
    let tree = DatasetTree::from_dir(path)?;
    let rooted = tree.clone().rooted_at_dataset();
    if !rooted.contains("meta/info.json") && !recording_files(&tree).is_empty() {
        return Ok(LocalInput::Recording(tree));
    }
    Ok(LocalInput::Dataset(rooted))
}

/// Files under a folder, their parents created on demand.
pub struct DirSink {
    pub root: PathBuf,
}

/// Buffer of each file writer.
const WRITE_BUFFER_BYTES: usize = 1 << 20;

impl DatasetSink for DirSink {
    fn create(&mut self, path: &str) -> std::io::Result<Box<dyn Write + Send>> {
        let full = self.root.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)?;
        }
        Ok(Box::new(BufWriter::with_capacity(WRITE_BUFFER_BYTES, File::create(full)?)))
    }
}

/// Refuses an output folder that exists and holds anything.
pub fn refuse_used_folder(out: &Path) -> Result<(), LocalError> {
    if out.exists() {
        let mut entries = std::fs::read_dir(out).map_err(io_error("not a folder", out))?;
        if entries.next().is_some() {
            return Err(LocalError::OutputNotEmpty { path: out.display().to_string() });
        }
    }
    Ok(())
}

/// A hidden folder beside `out` (same file system, so the final rename is atomic).
fn staging_folder(out: &Path) -> Result<PathBuf, LocalError> {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "dataset".into());
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let staging = parent.join(format!(".{name}.converting-{}", std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io_error("cannot clear", &staging))?;
    }
    std::fs::create_dir_all(&staging).map_err(io_error("cannot create", &staging))?;
    Ok(staging)
}

/// What a conversion wrote, by kind of input.
pub enum Converted {
    /// A LeRobot dataset rewritten as v3.0.
    Dataset { source_version: String, fps: f64, summary: RelayoutSummary },
    /// A recording converted by `mapping` (the suggested one when none was given; `notes` say
    /// what the suggestion left out).
    Recording { mapping: Mapping, suggested: bool, notes: Vec<String>, summary: ConvertSummary },
}

/// A finished conversion: what was written, and the checker's report on the output.
pub struct FolderConversion {
    pub converted: Converted,
    pub report: Report,
}

/// Converts `input` into a new LeRobot v3.0 dataset at `out` (absent or empty): written into a
/// hidden folder beside it, checked, then renamed into place — an interrupted or failed conversion
/// leaves nothing under `out`. A `mapping` applies to recordings only (without one, the suggested
/// mapping is used); a dataset is re-chunked by `layout`.
pub async fn convert_to_folder(
    input: &LocalInput,
    input_path: &Path,
    out: &Path,
    mapping: Option<Mapping>,
    layout: LayoutOptions,
    progress: &mut dyn FnMut(ConvertProgress),
    cancelled: &dyn Fn() -> bool,
) -> Result<FolderConversion, LocalError> {
    refuse_used_folder(out)?;
    let (converted, staging) = match input {
        LocalInput::Dataset(tree) => {
            if mapping.is_some() {
                return Err(LocalError::MappingForDataset { path: input_path.display().to_string() });
            }
            if !tree.contains("meta/info.json") {
                return Err(LocalError::NotConvertible { path: input_path.display().to_string() });
            }
            let dataset = open_dataset(tree, &mut |_| {}).await?;
            let staging = staging_folder(out)?;
            let mut sink = DirSink { root: staging.clone() };
            let written = relayout_dataset(tree, &dataset, layout, &mut sink, progress, cancelled).await;
            let summary = written.inspect_err(|_| remove_quietly(&staging))?;
            let source_version = dataset.info.codebase_version.clone();
            (Converted::Dataset { source_version, fps: dataset.fps(), summary }, staging)
        }
        LocalInput::Recording(tree) => {
            let recording = open_recording(tree).await?;
            let (mapping, suggested, notes) = match mapping {
                Some(mapping) => (mapping, false, Vec::new()),
                None => {
                    let suggestion = suggest_mapping_with(tree, &recording, true).await?;
                    (suggestion.mapping, true, suggestion.notes)
                }
            };
            let staging = staging_folder(out)?;
            let mut sink = DirSink { root: staging.clone() };
            let encoders = crate::writer::h264::OpenH264Encoders::default();
            let written = convert_recording_with_video(
                tree,
                &recording,
                &mapping,
                layout,
                Some(&encoders),
                &mut sink,
                progress,
                cancelled,
            )
            .await;
            let summary = written.inspect_err(|_| remove_quietly(&staging))?;
            (Converted::Recording { mapping, suggested, notes, summary }, staging)
        }
    };
    check_and_place(&staging, out).await.map(|report| FolderConversion { converted, report })
}

fn remove_quietly(staging: &Path) {
    let _ = std::fs::remove_dir_all(staging);
}

/// The proof: the checker on what was written, before it takes the folder's name.
async fn check_and_place(staging: &Path, out: &Path) -> Result<Report, LocalError> {
    let written = DatasetTree::from_dir(staging)?.rooted_at_dataset();
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "converted".into());
    let report = check_dataset(&written, &name, &CheckOptions::default(), &mut |_| {}).await;
    if out.exists() {
        std::fs::remove_dir(out).map_err(io_error("cannot replace the empty folder", out))?;
    }
    std::fs::rename(staging, out).map_err(io_error("cannot move the dataset into", out))?;
    Ok(report)
}

/// Bytes of the input a conversion reads: the recording files, or every file of a dataset.
pub fn input_bytes(input: &LocalInput) -> u64 {
    match input {
        LocalInput::Dataset(tree) => tree.total_size(),
        LocalInput::Recording(tree) => recording_files(tree).iter().map(|f| f.size()).sum(),
    }
}
