//! HDF5 recordings (ALOHA/ACT, robomimic, or any file as a tree of datasets) read with the pure-Rust `hdf5-reader`.
//!
//! Not lazy yet: [`open_hdf5`] reads the whole file into memory (refusing files over
//! [`MAX_FILE_BYTES`]), because `hdf5-reader`'s `Storage` trait is synchronous and a
//! [`ByteSource`] is not. Every call into `hdf5-reader` runs under `catch_unwind`, so a panic
//! on hostile bytes becomes [`Hdf5Error::Panicked`] natively (wasm32 builds abort on panic, so
//! there the guard does nothing).

mod decode;

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};

use hdf5_reader::group::Group;
use hdf5_reader::messages::HdfMessage;
use hdf5_reader::{Dataset, OpenOptions, SliceInfo, SliceInfoElem};

use crate::recording::{NumericField, RecordingFormat, StreamInfo, StreamKind, StreamSeries};
use crate::source::{ByteSource, SourceError};

use decode::{decode_numbers, dtype_name, is_numeric, render_attribute};

/// Largest file [`open_hdf5`] will read into memory (2 GiB).
pub const MAX_FILE_BYTES: u64 = 2 << 30;
/// Largest decoded dataset (or image frame) one call will materialise (256 MiB).
pub const MAX_READ_BYTES: u64 = 256 << 20;
/// Widest dataset (values per frame) [`read_hdf5_series`] includes; wider ones are left out.
pub const MAX_SERIES_WIDTH: u64 = 4096;
/// Most groups + datasets walked in one file.
pub const MAX_OBJECTS: usize = 100_000;
/// Deepest group nesting walked.
pub const MAX_DEPTH: usize = 64;

/// Why an HDF5 file could not be read. Carries no file paths; paths are inside the file.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum Hdf5Error {
    #[error("file is {size} bytes; HDF5 files over {limit} bytes are not read yet")]
    TooLarge { size: u64, limit: u64 },
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("invalid HDF5: {reason}")]
    Invalid { reason: String },
    #[error("the HDF5 decoder panicked while {during}")]
    Panicked { during: &'static str },
    #[error("more than {limit} objects (or nesting deeper than {MAX_DEPTH})")]
    TooManyObjects { limit: usize },
    #[error("no episode {episode:?} in this file")]
    NoSuchEpisode { episode: String },
    #[error("no dataset {dataset:?}")]
    NoSuchDataset { dataset: String },
    #[error("dataset {dataset:?} ({dtype}{shape:?}) is not an image stack [T, H, W(, C)] of uint8")]
    NotAnImage { dataset: String, dtype: String, shape: Vec<u64> },
    #[error("dataset {dataset:?} ({dtype}) is not numeric")]
    NotNumeric { dataset: String, dtype: String },
    #[error("frame {frame} is out of range ({frames} frames)")]
    FrameOutOfRange { frame: u64, frames: u64 },
    #[error("dataset {dataset:?} needs {bytes} bytes; the limit is {limit}")]
    ReadTooLarge { dataset: String, bytes: u64, limit: u64 },
}

fn invalid(e: hdf5_reader::error::Error) -> Hdf5Error {
    Hdf5Error::Invalid { reason: e.to_string() }
}

/// Runs a call into `hdf5-reader`, turning a panic into an error.
fn guard<T>(during: &'static str, f: impl FnOnce() -> Result<T, Hdf5Error>) -> Result<T, Hdf5Error> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(Err(Hdf5Error::Panicked { during }))
}

/// An opened HDF5 file (held in memory).
#[derive(Clone)]
pub struct Hdf5File {
    inner: hdf5_reader::Hdf5File,
}

impl Hdf5File {
    /// [`read_hdf5_summary`] on an already opened file.
    pub fn summary(&self) -> Result<Hdf5Summary, Hdf5Error> {
        guard("reading the file structure", || summarize(self))
    }
    /// [`read_hdf5_series`] on an already opened file.
    pub fn series(&self, episode: &str, fps: Option<f64>) -> Result<StreamSeries, Hdf5Error> {
        guard("reading an episode", || series(self, episode, fps))
    }
    /// [`read_hdf5_image`] on an already opened file (open once, then scrub frames).
    pub fn image(&self, dataset_path: &str, frame: u64) -> Result<(u32, u32, u32, Vec<u8>), Hdf5Error> {
        guard("reading an image", || image(self, dataset_path, frame))
    }
    /// [`read_hdf5_dataset`] on an already opened file.
    pub fn dataset(&self, dataset_path: &str) -> Result<NumericField, Hdf5Error> {
        guard("reading a dataset", || dataset(self, dataset_path))
    }
}

/// Reads the whole source into memory and parses the superblock. Not lazy yet (see module docs).
pub async fn open_hdf5(source: &dyn ByteSource) -> Result<Hdf5File, Hdf5Error> {
    let size = source.size();
    if size > MAX_FILE_BYTES {
        return Err(Hdf5Error::TooLarge { size, limit: MAX_FILE_BYTES });
    }
    let bytes = source.read_range(0..size).await?;
    let options = OpenOptions::default()
        .with_max_read_bytes(MAX_READ_BYTES as usize)
        .with_max_chunk_bytes(MAX_READ_BYTES as usize);
    let inner = guard("opening the file", || hdf5_reader::Hdf5File::from_owner(bytes, options).map_err(invalid))?;
    Ok(Hdf5File { inner })
}

/// One dataset as the file declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetEntry {
    /// Absolute path, `/observations/qpos`.
    pub path: String,
    /// `float64`, `uint8`, `int16`, `bool`, `string`, ...
    pub dtype: String,
    pub shape: Vec<u64>,
    /// Chunk shape when chunked, None when contiguous or compact.
    pub chunks: Option<Vec<u64>>,
    /// Filter names in pipeline order (`deflate`, `shuffle`, ...).
    pub filters: Vec<String>,
}

/// One episode: the single ALOHA episode (`name` empty) or a robomimic demo (`demo_0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hdf5Episode {
    pub name: String,
    pub frames: u64,
}

/// What a file holds, without reading dataset values.
#[derive(Debug, Clone, PartialEq)]
pub struct Hdf5Summary {
    pub layout: RecordingFormat,
    /// Every dataset, sorted by path.
    pub datasets: Vec<DatasetEntry>,
    /// (object path, attribute name, rendered value), sorted by path then name.
    pub attributes: Vec<(String, String, String)>,
    pub episodes: Vec<Hdf5Episode>,
    /// One per dataset, in `datasets` order.
    pub streams: Vec<StreamInfo>,
}

/// Reads the file's structure, detects the layout and lists episodes and streams.
pub async fn read_hdf5_summary(source: &dyn ByteSource) -> Result<Hdf5Summary, Hdf5Error> {
    let file = open_hdf5(source).await?;
    file.summary()
}

/// Reads the numeric datasets of one episode (`""` for an ALOHA file, `demo_0` for robomimic)
/// as fields on the frame axis: frame `i` is at `i / fps` seconds, or `i` seconds without `fps`.
/// Dimension names are `leaf[i]` (`qpos[3]`); image stacks, datasets of another length and ones wider than
/// [`MAX_SERIES_WIDTH`] are left out.
pub async fn read_hdf5_series(
    source: &dyn ByteSource,
    episode: &str,
    fps: Option<f64>,
) -> Result<StreamSeries, Hdf5Error> {
    let file = open_hdf5(source).await?;
    file.series(episode, fps)
}

/// Decodes frame `frame` of a uint8 image stack `[T, H, W, C]` (or `[T, H, W]`, one channel):
/// `(width, height, channels, row-major HWC bytes)`.
pub async fn read_hdf5_image(
    source: &dyn ByteSource,
    dataset_path: &str,
    frame: u64,
) -> Result<(u32, u32, u32, Vec<u8>), Hdf5Error> {
    let file = open_hdf5(source).await?;
    file.image(dataset_path, frame)
}

/// Reads any one numeric dataset (any layout) as rows along its first axis, `width` values per
/// row (the product of the other dimensions). For files with no episodes (plain HDF5).
pub async fn read_hdf5_dataset(source: &dyn ByteSource, dataset_path: &str) -> Result<NumericField, Hdf5Error> {
    let file = open_hdf5(source).await?;
    file.dataset(dataset_path)
}

// ---------------------------------------------------------------------------------------------

struct Walked {
    datasets: Vec<(String, Dataset)>,
    attributes: Vec<(String, String, String)>,
}

fn join(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

fn walk(file: &Hdf5File) -> Result<Walked, Hdf5Error> {
    let root = file.inner.root_group().map_err(invalid)?;
    let mut out = Walked { datasets: Vec::new(), attributes: Vec::new() };
    let mut seen = HashSet::new();
    let mut stack: Vec<(String, Group, usize)> = vec![("/".to_string(), root, 0)];
    let mut objects = 0usize;
    while let Some((path, group, depth)) = stack.pop() {
        if !seen.insert(group.address()) {
            continue; // a hard link back up the tree
        }
        objects += 1;
        if objects > MAX_OBJECTS || depth > MAX_DEPTH {
            return Err(Hdf5Error::TooManyObjects { limit: MAX_OBJECTS });
        }
        for attr in group.attributes().map_err(invalid)? {
            out.attributes.push((path.clone(), attr.name.clone(), render_attribute(&attr)));
        }
        let (groups, datasets) = group.members().map_err(invalid)?;
        objects += datasets.len();
        if objects > MAX_OBJECTS {
            return Err(Hdf5Error::TooManyObjects { limit: MAX_OBJECTS });
        }
        for ds in datasets {
            let ds_path = join(&path, ds.name());
            for attr in ds.attributes() {
                out.attributes.push((ds_path.clone(), attr.name.clone(), render_attribute(&attr)));
            }
            out.datasets.push((ds_path, ds));
        }
        for g in groups {
            let g_path = join(&path, g.name());
            stack.push((g_path, g, depth + 1));
        }
    }
    out.datasets.sort_by(|a, b| a.0.cmp(&b.0));
    out.attributes.sort();
    Ok(out)
}

fn filter_name(id: u16, name: Option<&str>) -> String {
    match id {
        1 => "deflate".into(),
        2 => "shuffle".into(),
        3 => "fletcher32".into(),
        4 => "szip".into(),
        5 => "nbit".into(),
        6 => "scaleoffset".into(),
        32004 => "lz4".into(),
        _ => match name {
            Some(n) if !n.is_empty() => format!("{n} ({id})"),
            _ => format!("filter {id}"),
        },
    }
}

fn entry(file: &Hdf5File, path: &str, ds: &Dataset) -> DatasetEntry {
    let filters = file
        .inner
        .get_or_parse_header(ds.address())
        .ok()
        .and_then(|h| {
            h.messages.iter().find_map(|m| match m {
                HdfMessage::FilterPipeline(fp) => {
                    Some(fp.filters.iter().map(|f| filter_name(f.id, f.name.as_deref())).collect())
                }
                _ => None,
            })
        })
        .unwrap_or_default();
    DatasetEntry {
        path: path.to_string(),
        dtype: dtype_name(ds.dtype()),
        shape: ds.shape().to_vec(),
        chunks: ds.chunks().map(|c| c.into_iter().map(u64::from).collect()),
        filters,
    }
}

/// ALOHA's `compress=True` recordings store encoded frames as padded uint8 rows `[T, max_len]`.
fn is_compressed_image(entry: &DatasetEntry) -> bool {
    entry.dtype == "uint8" && entry.shape.len() == 2 && entry.path.starts_with("/observations/images/")
}

fn is_image(entry: &DatasetEntry) -> bool {
    entry.dtype == "uint8"
        && ((entry.shape.len() == 4 && matches!(entry.shape[3], 1 | 3 | 4)) || entry.shape.len() == 3)
        && entry.shape.iter().all(|&d| d > 0)
}

fn type_name(entry: &DatasetEntry) -> String {
    let dims: Vec<String> = entry.shape.iter().map(u64::to_string).collect();
    format!("{}[{}]", entry.dtype, dims.join(", "))
}

fn frame_time_ns(frame: u64, fps: Option<f64>) -> u64 {
    match fps {
        Some(f) if f.is_finite() && f > 0.0 => (frame as f64 / f * 1e9).round() as u64,
        _ => frame.saturating_mul(1_000_000_000),
    }
}

/// A numeric root attribute `fps` / `frame_rate` / `control_freq`, if any.
fn file_fps(attributes: &[(String, String, String)]) -> Option<f64> {
    attributes
        .iter()
        .filter(|(p, n, _)| p == "/" && matches!(n.as_str(), "fps" | "frame_rate" | "control_freq"))
        .find_map(|(_, _, v)| v.parse::<f64>().ok())
        .filter(|f| f.is_finite() && *f > 0.0)
}

fn demo_index(name: &str) -> Option<u64> {
    name.strip_prefix("demo_")?.parse().ok()
}

fn detect(entries: &[DatasetEntry], attributes: &[(String, String, String)]) -> (RecordingFormat, Vec<Hdf5Episode>) {
    let find = |p: &str| entries.iter().find(|e| e.path == p);
    if let Some(qpos) = find("/observations/qpos") {
        let frames = qpos.shape.first().copied().unwrap_or(0);
        return (RecordingFormat::Hdf5Aloha, vec![Hdf5Episode { name: String::new(), frames }]);
    }
    let mut demos: Vec<(u64, Hdf5Episode)> = Vec::new();
    let mut names: Vec<&str> = entries
        .iter()
        .filter_map(|e| e.path.strip_prefix("/data/")?.split('/').next())
        .filter(|n| demo_index(n).is_some())
        .collect();
    names.dedup();
    let mut unique = HashSet::new();
    for name in names {
        if !unique.insert(name) {
            continue;
        }
        let group = format!("/data/{name}");
        let declared = attributes
            .iter()
            .find(|(p, n, _)| *p == group && n == "num_samples")
            .and_then(|(_, _, v)| v.parse::<u64>().ok());
        let from_actions = find(&format!("{group}/actions")).and_then(|e| e.shape.first().copied());
        if let Some(frames) = declared.or(from_actions) {
            demos.push((demo_index(name).unwrap_or(u64::MAX), Hdf5Episode { name: name.to_string(), frames }));
        }
    }
    if !demos.is_empty() {
        demos.sort_by(|a, b| (a.0, &a.1.name).cmp(&(b.0, &b.1.name)));
        return (RecordingFormat::Hdf5Robomimic, demos.into_iter().map(|(_, e)| e).collect());
    }
    (RecordingFormat::Hdf5, Vec::new())
}

fn summarize(file: &Hdf5File) -> Result<Hdf5Summary, Hdf5Error> {
    let walked = walk(file)?;
    let datasets: Vec<DatasetEntry> = walked.datasets.iter().map(|(p, ds)| entry(file, p, ds)).collect();
    let (layout, episodes) = detect(&datasets, &walked.attributes);
    let fps = file_fps(&walked.attributes);
    let streams = datasets
        .iter()
        .map(|e| {
            let kind = if is_image(e) {
                StreamKind::Image
            } else if is_compressed_image(e) {
                StreamKind::CompressedImage
            } else if is_numeric(&e.dtype) {
                StreamKind::Numeric
            } else if e.dtype == "string" || e.dtype == "vlen_string" {
                StreamKind::Text
            } else {
                StreamKind::Other
            };
            let messages = if e.shape.is_empty() { 1 } else { e.shape[0] };
            let (first, last) = match fps {
                Some(_) if messages > 0 => (Some(0), Some(frame_time_ns(messages - 1, fps))),
                _ => (None, None),
            };
            StreamInfo {
                name: e.path.clone(),
                type_name: type_name(e),
                kind,
                messages,
                first_time_ns: first,
                last_time_ns: last,
            }
        })
        .collect();
    Ok(Hdf5Summary { layout, datasets, attributes: walked.attributes, episodes, streams })
}

fn series(file: &Hdf5File, episode: &str, fps: Option<f64>) -> Result<StreamSeries, Hdf5Error> {
    let walked = walk(file)?;
    let entries: Vec<DatasetEntry> = walked.datasets.iter().map(|(p, ds)| entry(file, p, ds)).collect();
    let (layout, episodes) = detect(&entries, &walked.attributes);
    let ep = episodes
        .iter()
        .find(|e| e.name == episode)
        .ok_or_else(|| Hdf5Error::NoSuchEpisode { episode: episode.to_string() })?;
    let prefix = match layout {
        RecordingFormat::Hdf5Robomimic => format!("/data/{episode}/"),
        _ => "/".to_string(),
    };
    let stream = match layout {
        RecordingFormat::Hdf5Robomimic => format!("/data/{episode}"),
        _ => "/".to_string(),
    };
    let frames = ep.frames;
    if frames > MAX_READ_BYTES / 8 {
        let bytes = frames.saturating_mul(8);
        return Err(Hdf5Error::ReadTooLarge { dataset: stream, bytes, limit: MAX_READ_BYTES });
    }
    let fps = fps.or_else(|| file_fps(&walked.attributes));
    let mut fields = Vec::new();
    let mut total_bytes = 0u64;
    for ((path, ds), e) in walked.datasets.iter().zip(&entries) {
        if !path.starts_with(&prefix)
            || !is_numeric(&e.dtype)
            || is_image(e)
            || is_compressed_image(e)
            || e.shape.first() != Some(&frames)
        {
            continue;
        }
        let rows = e.shape[0];
        let width = e.shape[1..].iter().try_fold(1u64, |a, &d| a.checked_mul(d)).unwrap_or(u64::MAX);
        if width > MAX_SERIES_WIDTH {
            continue; // not a plottable signal (e.g. a flattened depth map)
        }
        total_bytes = total_bytes.saturating_add(width.saturating_mul(rows).saturating_mul(8));
        if total_bytes > MAX_READ_BYTES {
            return Err(Hdf5Error::ReadTooLarge { dataset: path.clone(), bytes: total_bytes, limit: MAX_READ_BYTES });
        }
        if let Some(field) = numeric_field(path, ds, e)? {
            fields.push(field);
        }
    }
    let times_ns = (0..frames).map(|i| frame_time_ns(i, fps)).collect();
    Ok(StreamSeries { stream, times_ns, fields, header_times_ns: Vec::new() })
}

/// Decodes a numeric dataset as rows along its first axis (a scalar is one row of one value).
/// None when the dtype is not numeric.
fn numeric_field(path: &str, ds: &Dataset, e: &DatasetEntry) -> Result<Option<NumericField>, Hdf5Error> {
    if !is_numeric(&e.dtype) {
        return Ok(None);
    }
    let rows = e.shape.first().copied().unwrap_or(1);
    let width = e.shape.iter().skip(1).try_fold(1u64, |a, &d| a.checked_mul(d));
    let values_len = width.and_then(|w| w.checked_mul(rows));
    let bytes = values_len.map_or(u64::MAX, |n| n.saturating_mul(8));
    let Some((width, values_len)) = width.zip(values_len).filter(|_| bytes <= MAX_READ_BYTES) else {
        return Err(Hdf5Error::ReadTooLarge { dataset: path.to_string(), bytes, limit: MAX_READ_BYTES });
    };
    let raw = ds.read_raw_bytes().map_err(invalid)?;
    let Some(values) = decode_numbers(&raw, ds.dtype()) else { return Ok(None) };
    if values.len() as u64 != values_len {
        return Err(Hdf5Error::Invalid {
            reason: format!("dataset {path:?} decoded to {} values, expected {values_len}", values.len()),
        });
    }
    // At most MAX_READ_BYTES / 8.
    let width = width as usize;
    // Rows × width values were read, so a wide row has its values; a dataset of zero rows may
    // still declare a huge width (found by fuzzing: one name per column would exhaust memory).
    if width > values.len().max(MAX_SERIES_WIDTH as usize) {
        return Err(Hdf5Error::Invalid {
            reason: format!("dataset {path:?} has no rows but declares {width} values per row"),
        });
    }
    let leaf = path.rsplit('/').next().unwrap_or(path);
    let dimension_names =
        if e.shape.len() <= 1 { vec![leaf.to_string()] } else { (0..width).map(|i| format!("{leaf}[{i}]")).collect() };
    Ok(Some(NumericField { name: path.to_string(), dimension_names, width, values, absent_rows: Vec::new() }))
}

fn dataset(file: &Hdf5File, dataset_path: &str) -> Result<NumericField, Hdf5Error> {
    let not_found = || Hdf5Error::NoSuchDataset { dataset: dataset_path.to_string() };
    let ds = file.inner.dataset(dataset_path).map_err(|_| not_found())?;
    let e = entry(file, dataset_path, &ds);
    numeric_field(dataset_path, &ds, &e)?
        .ok_or(Hdf5Error::NotNumeric { dataset: dataset_path.to_string(), dtype: e.dtype })
}

fn image(file: &Hdf5File, dataset_path: &str, frame: u64) -> Result<(u32, u32, u32, Vec<u8>), Hdf5Error> {
    let not_found = || Hdf5Error::NoSuchDataset { dataset: dataset_path.to_string() };
    let ds = file.inner.dataset(dataset_path).map_err(|_| not_found())?;
    let e = entry(file, dataset_path, &ds);
    if !is_image(&e) {
        return Err(Hdf5Error::NotAnImage { dataset: e.path, dtype: e.dtype, shape: e.shape });
    }
    let frames = e.shape[0];
    if frame >= frames {
        return Err(Hdf5Error::FrameOutOfRange { frame, frames });
    }
    let (h, w) = (e.shape[1], e.shape[2]);
    let c = e.shape.get(3).copied().unwrap_or(1);
    let bytes = h.saturating_mul(w).saturating_mul(c);
    let too_big = || Hdf5Error::ReadTooLarge { dataset: e.path.clone(), bytes, limit: MAX_READ_BYTES };
    if bytes > MAX_READ_BYTES {
        return Err(too_big());
    }
    let (w32, h32, c32) = (
        u32::try_from(w).map_err(|_| too_big())?,
        u32::try_from(h).map_err(|_| too_big())?,
        u32::try_from(c).map_err(|_| too_big())?,
    );
    let mut selections = vec![SliceInfoElem::Index(frame)];
    selections.extend((1..e.shape.len()).map(|_| SliceInfoElem::Slice { start: 0, end: u64::MAX, step: 1 }));
    let arr = ds.read_slice::<u8>(&SliceInfo { selections }).map_err(invalid)?;
    let pixels: Vec<u8> = arr.iter().copied().collect();
    if pixels.len() as u64 != bytes {
        return Err(Hdf5Error::Invalid {
            reason: format!("frame decoded to {} bytes, expected {bytes}", pixels.len()),
        });
    }
    Ok((w32, h32, c32, pixels))
}

impl std::fmt::Debug for Hdf5File {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hdf5File").finish_non_exhaustive()
    }
}
