//! Messages between the page and the parsing worker. Each message is a JSON string plus, for local
//! datasets, an array of `File` objects (structured-cloned handles, not their bytes); answers that
//! carry many numbers or bytes (episodes, images) attach them as one transferred `ArrayBuffer`.

use episcope_core::check::Report;
use episcope_core::lerobot::overview::Overview;
use episcope_core::lerobot::EpisodeFrames;
use episcope_core::stats::drift::StatsDrift;
use episcope_core::stats::DatasetStats;
use episcope_report::FullReport;
use std::ops::Range;

use serde::{Deserialize, Serialize};

/// A file of a bundled example, fetched same-origin from `base_url + path`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundledFile {
    pub path: String,
    pub size_bytes: u64,
}

/// Page → worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Request {
    /// Open a folder picked or dropped by the user; `paths[i]` is the relative path of `files[i]`.
    OpenLocal {
        request_id: u32,
        name: String,
        paths: Vec<String>,
        /// Test hook for crash isolation: the worker panics when it reads this file.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        debug_panic_on: Option<String>,
    },
    /// Open a bundled example served next to the app.
    OpenBundled { request_id: u32, name: String, base_url: String, files: Vec<BundledFile> },
    /// Read numeric features of one episode of the open dataset (all when empty).
    ReadEpisode { request_id: u32, episode_index: u64, features: Vec<String> },
    /// Run the conformance checker over the open dataset.
    Check { request_id: u32 },
    /// The image of an image-dtype feature at one frame (answered with its bytes attached).
    ReadImage { request_id: u32, episode_index: u64, feature: String, frame: u64 },
    /// Parse a URDF the user picked (`files[0]`, at `urdf_path`) and the STL meshes it names among
    /// the other files (`paths[i]` is the relative path of `files[i + 1]`).
    LoadRobot { request_id: u32, urdf_path: String, mesh_paths: Vec<String> },
    /// Exact statistics over every frame of the open dataset, one column at a time (progress per
    /// column), compared with the stats the dataset stores.
    ComputeStats {
        request_id: u32,
        /// Test hook: wait this long before every read, so a cancel can land mid-computation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        debug_read_delay_ms: Option<u32>,
    },
    /// Stops the `ComputeStats` (or `BuildReport`) request `request_id_to_cancel` at its next read;
    /// answered at once with `CancelNoted`, and the cancelled request with `Cancelled`.
    CancelStats { request_id: u32, request_id_to_cancel: u32 },
    /// The full plain-language report of the open dataset (check + overview + stats + stored stats),
    /// reusing the check and statistics already computed.
    BuildReport { request_id: u32 },
    /// Parse JSON reports picked by the user (`files[i]` is named `names[i]`).
    ParseReports { request_id: u32, names: Vec<String> },
    /// Read every stream of one episode of the open recording.
    ReadRecordingEpisode { request_id: u32, episode_index: u64 },
    /// Frame `index` of an image stream of the open recording (answered with its bytes attached).
    ReadRecordingFrame { request_id: u32, episode_index: u64, stream: String, index: u64 },
    /// The suggested mapping of the open recording, as TOML (answered with `MappingSuggested`).
    SuggestMapping { request_id: u32 },
    /// Convert the open dataset (any LeRobot version) or recording (by the suggested mapping) into
    /// LeRobot v3.0, streamed into the folder attached as `files[0]` (a `FileSystemDirectoryHandle`
    /// named [`converted_folder_name`]) or, without one, into a zip answered as an attached `Blob`;
    /// then check it as stored. A `CancelStats` naming this request stops it between episodes.
    Convert {
        request_id: u32,
        layout: ConvertLayout,
        /// A recording's mapping (TOML, `docs/mapping.md`) as the user edited it; `None`: the
        /// suggested mapping. Ignored for LeRobot datasets.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mapping_toml: Option<String>,
        /// Test hook: wait this long before every read, so a cancel can land mid-conversion.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        debug_read_delay_ms: Option<u32>,
    },
}

/// The output layout of a conversion (LeRobot's `chunks_size` and `data_files_size_in_mb`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvertLayout {
    pub chunks_size: u64,
    pub data_files_size_in_mb: u64,
}

impl Default for ConvertLayout {
    /// The core's (LeRobot's) defaults.
    fn default() -> Self {
        let core = episcope_core::convert::LayoutOptions::default();
        Self { chunks_size: core.chunks_size, data_files_size_in_mb: core.data_files_size_in_mb }
    }
}

/// What a conversion wrote and what the checker says of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversionSummary {
    /// The archive's file name (`<dataset>_v3.0.zip`, its top folder without `.zip`), or the
    /// folder written (`<dataset>_v3.0`).
    pub file_name: String,
    /// Written into a folder the user picked (else: the archive is attached).
    #[serde(default)]
    pub into_folder: bool,
    /// What was converted: `LeRobot v2.1`, `recording` …
    pub source: String,
    pub episodes: u64,
    pub frames: u64,
    pub files: u64,
    /// Bytes of the dataset's files (the archive is a little larger).
    pub dataset_bytes: u64,
    /// The checker's findings on the output, by severity.
    pub errors: u64,
    pub warnings: u64,
    pub infos: u64,
    /// What the user should know (stats left out, streams skipped, frames flagged).
    pub notes: Vec<String>,
    /// Time the worker spent, from the request to the archive (conversion, storing and check).
    pub worker_ms: f64,
    /// Time from the request until the output was stored, before the checker read it back.
    #[serde(default)]
    pub written_ms: f64,
    /// The conversion worker's wasm memory when the conversion started and at the end (it only
    /// grows, so this is its peak), in bytes: what the output cost the worker's heap.
    #[serde(default)]
    pub worker_memory_start_bytes: u64,
    #[serde(default)]
    pub worker_memory_bytes: u64,
    /// The most output the worker held at once before storing it (streamed: about one episode's
    /// files), in bytes.
    #[serde(default)]
    pub output_peak_held_bytes: u64,
}

/// The folder (or the archive's top folder) a conversion of `source_name` writes: `<stem>_v3.0`.
pub fn converted_folder_name(source_name: &str) -> String {
    format!("{}_v3.0", crate::analysis::file_stem(source_name))
}

impl Request {
    pub fn request_id(&self) -> u32 {
        match self {
            Request::OpenLocal { request_id, .. }
            | Request::OpenBundled { request_id, .. }
            | Request::ReadEpisode { request_id, .. }
            | Request::Check { request_id }
            | Request::ReadImage { request_id, .. }
            | Request::LoadRobot { request_id, .. }
            | Request::ComputeStats { request_id, .. }
            | Request::CancelStats { request_id, .. }
            | Request::BuildReport { request_id }
            | Request::ParseReports { request_id, .. }
            | Request::ReadRecordingEpisode { request_id, .. }
            | Request::ReadRecordingFrame { request_id, .. }
            | Request::SuggestMapping { request_id }
            | Request::Convert { request_id, .. } => *request_id,
        }
    }
}

/// Worker → page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Response {
    /// The worker's wasm is initialised and it accepts requests.
    Ready,
    /// The worker hit a panic or a trap; it must be replaced.
    Crashed {
        message: String,
    },
    Progress {
        request_id: u32,
        stage: String,
        done: u64,
        total: u64,
        bytes_read: u64,
    },
    Opened {
        request_id: u32,
        overview: Box<Overview>,
        bytes_read: u64,
        /// Time the worker spent on the request, from receiving it to posting this answer.
        #[serde(default)]
        worker_ms: f64,
    },
    /// A set of recording files (bags, MCAP, HDF5) opened instead of a dataset.
    RecordingOpened {
        request_id: u32,
        name: String,
        recording: Box<episcope_core::recording::Recording>,
        size_bytes: u64,
        bytes_read: u64,
        #[serde(default)]
        worker_ms: f64,
    },
    Episode {
        request_id: u32,
        /// With `packed` set, its timestamps and dimensions are empty here: the numbers travel as
        /// the attached `Float64Array` (see [`pack_episode_numbers`]).
        frames: Box<EpisodeFrames>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        packed: Option<PackedEpisode>,
        /// Where each camera's video of this episode is.
        #[serde(default)]
        videos: Vec<VideoClip>,
        /// Image-dtype features (shown frame by frame with `ReadImage`).
        #[serde(default)]
        image_features: Vec<String>,
        /// Bytes read from the dataset since it was opened (this episode included).
        #[serde(default)]
        bytes_read: u64,
        /// Time the worker spent on the request, from receiving it to posting this answer.
        #[serde(default)]
        worker_ms: f64,
    },
    /// A parsed and validated robot model with its meshes (triangle lists, metres before scaling).
    Robot {
        request_id: u32,
        robot: Box<episcope_core::robot::Robot>,
        meshes: Vec<RobotMesh>,
        /// Mesh files the URDF names that could not be used, with why.
        skipped_meshes: Vec<String>,
    },
    /// One episode of the open recording; every stream's numbers travel in the attached
    /// `Float64Array`, stream after stream (see [`pack_recording_numbers`]).
    RecordingEpisode {
        request_id: u32,
        view: Box<crate::recording_view::RecordingEpisodeView>,
        packed: Vec<PackedEpisode>,
        #[serde(default)]
        bytes_read: u64,
        #[serde(default)]
        worker_ms: f64,
    },
    /// A frame of a recording's image stream: RGBA pixels (`mime` is [`RGBA_MIME`], `width ×
    /// height × 4` bytes) or encoded JPEG/PNG bytes, attached.
    RecordingFrame {
        request_id: u32,
        stream: String,
        index: u64,
        width: u32,
        height: u32,
        mime: String,
    },
    /// The encoded image (PNG/JPEG bytes attached to the message, not in the JSON).
    Image {
        request_id: u32,
        feature: String,
        frame: u64,
        /// `image/png`, `image/jpeg` … as sniffed from the bytes.
        mime: String,
    },
    Checked {
        request_id: u32,
        report: Box<Report>,
    },
    /// The worker started reading another file (so a crash can name the file at fault).
    Reading {
        request_id: u32,
        path: String,
    },
    Stats {
        request_id: u32,
        stats: Box<DatasetStats>,
        /// `None` when the dataset stores no stats to compare with.
        drift: Option<Box<StatsDrift>>,
    },
    /// The request was cancelled (`CancelStats`) before it finished.
    Cancelled {
        request_id: u32,
    },
    /// The answer to `CancelStats` itself.
    CancelNoted {
        request_id: u32,
    },
    FullReport {
        request_id: u32,
        report: Box<FullReport>,
    },
    /// One entry per file of `ParseReports`, in order.
    Reports {
        request_id: u32,
        reports: Vec<ParsedReport>,
    },
    /// The suggested mapping of the open recording, and what it leaves out.
    MappingSuggested {
        request_id: u32,
        toml: String,
        notes: Vec<String>,
    },
    /// A finished conversion (the zip archive attached to the message, not in the JSON).
    Converted {
        request_id: u32,
        summary: Box<ConversionSummary>,
    },
    /// `path` names the file at fault when one is known.
    Failed {
        request_id: u32,
        message: String,
        path: Option<String>,
    },
}

impl Response {
    pub fn request_id(&self) -> Option<u32> {
        match self {
            Response::Ready | Response::Crashed { .. } => None,
            Response::Progress { request_id, .. }
            | Response::Opened { request_id, .. }
            | Response::Episode { request_id, .. }
            | Response::Image { request_id, .. }
            | Response::Robot { request_id, .. }
            | Response::Checked { request_id, .. }
            | Response::RecordingOpened { request_id, .. }
            | Response::RecordingEpisode { request_id, .. }
            | Response::RecordingFrame { request_id, .. }
            | Response::Reading { request_id, .. }
            | Response::Stats { request_id, .. }
            | Response::Cancelled { request_id }
            | Response::CancelNoted { request_id }
            | Response::FullReport { request_id, .. }
            | Response::Reports { request_id, .. }
            | Response::Converted { request_id, .. }
            | Response::MappingSuggested { request_id, .. }
            | Response::Failed { request_id, .. } => Some(*request_id),
        }
    }
}

/// Where an episode's numbers are in the `Float64Array` attached to its answer: the timestamps,
/// then each feature's dimensions in order, each `dimension_lens[feature][dimension]` long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackedEpisode {
    pub timestamps_len: usize,
    pub dimension_lens: Vec<Vec<usize>>,
}

impl PackedEpisode {
    /// The layout of `frames`' numbers.
    pub fn of(frames: &EpisodeFrames) -> Self {
        Self {
            timestamps_len: frames.timestamps_secs.len(),
            dimension_lens: frames.series.iter().map(|s| s.dimensions.iter().map(Vec::len).collect()).collect(),
        }
    }

    /// How many numbers the flat array holds.
    pub fn total_len(&self) -> usize {
        self.dimension_lens.iter().flatten().fold(self.timestamps_len, |sum, len| sum.saturating_add(*len))
    }
}

/// Moves an episode's numbers out of `frames`: `write(offset, values)` receives the timestamps,
/// then each dimension, at their offsets in a flat array of [`PackedEpisode::total_len`] numbers
/// (the worker writes them straight into the `Float64Array` it transfers: one copy, instead of
/// printing and parsing every number as JSON).
pub fn pack_episode_numbers(frames: &mut EpisodeFrames, mut write: impl FnMut(usize, &[f64])) -> PackedEpisode {
    let layout = PackedEpisode::of(frames);
    write(0, &std::mem::take(&mut frames.timestamps_secs));
    let mut offset = layout.timestamps_len;
    for series in &mut frames.series {
        for dimension in std::mem::take(&mut series.dimensions) {
            write(offset, &dimension);
            offset += dimension.len();
        }
    }
    layout
}

/// Why packed numbers do not fit the episode they came with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnpackError {
    #[error("the episode's numbers do not match its layout: {expected} expected, {found} attached")]
    LengthMismatch { expected: usize, found: usize },
    #[error("the episode's layout names {layout} features but the answer has {series}")]
    FeatureCountMismatch { layout: usize, series: usize },
}

/// Puts numbers packed by [`pack_episode_numbers`] back into `frames`: the flat array holds
/// `numbers_len` numbers and `read(range)` copies one run of them out (the page copies each
/// dimension straight out of the transferred `Float64Array`).
pub fn unpack_episode_numbers(
    frames: &mut EpisodeFrames,
    layout: &PackedEpisode,
    numbers_len: usize,
    mut read: impl FnMut(Range<usize>) -> Vec<f64>,
) -> Result<(), UnpackError> {
    if layout.total_len() != numbers_len {
        return Err(UnpackError::LengthMismatch { expected: layout.total_len(), found: numbers_len });
    }
    if layout.dimension_lens.len() != frames.series.len() {
        return Err(UnpackError::FeatureCountMismatch {
            layout: layout.dimension_lens.len(),
            series: frames.series.len(),
        });
    }
    frames.timestamps_secs = read(0..layout.timestamps_len);
    let mut offset = layout.timestamps_len;
    for (series, lens) in frames.series.iter_mut().zip(&layout.dimension_lens) {
        series.dimensions = lens
            .iter()
            .map(|&len| {
                let dimension = read(offset..offset + len);
                offset += len;
                dimension
            })
            .collect();
    }
    Ok(())
}

/// The `mime` of a [`Response::RecordingFrame`] carrying raw RGBA pixels.
pub const RGBA_MIME: &str = "application/x-episcope-rgba";

/// [`pack_episode_numbers`] for every numeric stream of a recording episode, one after another in
/// one flat array; the layouts, in stream order.
pub fn pack_recording_numbers(
    view: &mut crate::recording_view::RecordingEpisodeView,
    mut write: impl FnMut(usize, &[f64]),
) -> Vec<PackedEpisode> {
    let mut base = 0;
    let mut layouts = Vec::with_capacity(view.numeric.len());
    for stream in &mut view.numeric {
        let layout = pack_episode_numbers(&mut stream.frames, |offset, values| write(base + offset, values));
        base += layout.total_len();
        layouts.push(layout);
    }
    layouts
}

/// How many numbers [`pack_recording_numbers`] writes for `view`.
pub fn recording_numbers_len(view: &crate::recording_view::RecordingEpisodeView) -> usize {
    view.numeric.iter().fold(0usize, |sum, s| sum.saturating_add(PackedEpisode::of(&s.frames).total_len()))
}

/// Puts numbers packed by [`pack_recording_numbers`] back into `view`.
pub fn unpack_recording_numbers(
    view: &mut crate::recording_view::RecordingEpisodeView,
    layouts: &[PackedEpisode],
    numbers_len: usize,
    mut read: impl FnMut(Range<usize>) -> Vec<f64>,
) -> Result<(), UnpackError> {
    if layouts.len() != view.numeric.len() {
        return Err(UnpackError::FeatureCountMismatch { layout: layouts.len(), series: view.numeric.len() });
    }
    let total = layouts.iter().fold(0usize, |sum, l| sum.saturating_add(l.total_len()));
    if total != numbers_len {
        return Err(UnpackError::LengthMismatch { expected: total, found: numbers_len });
    }
    let mut base = 0;
    for (stream, layout) in view.numeric.iter_mut().zip(layouts) {
        let len = layout.total_len();
        unpack_episode_numbers(&mut stream.frames, layout, len, |r| read(base + r.start..base + r.end))?;
        base += len;
    }
    Ok(())
}

/// A JSON report file as parsed by the worker: the report, or why it is not one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParsedReport {
    pub file_name: String,
    pub result: Result<Box<FullReport>, String>,
}

/// One camera's video of one episode: the file (a path in the dataset) and where the episode lies
/// in it (v3.0 files hold many episodes, so it starts `from_timestamp_secs` in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoClip {
    pub feature: String,
    pub path: String,
    pub from_timestamp_secs: f64,
    pub to_timestamp_secs: Option<f64>,
    /// Whether the file is in the dataset.
    pub present: bool,
}

/// A mesh of a robot link: the URDF's filename for it and its triangles (x, y, z per vertex).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RobotMesh {
    pub filename: String,
    pub positions: Vec<f32>,
}

/// The list of bundled examples (`examples/index.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExampleIndex {
    pub examples: Vec<Example>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Example {
    /// Folder name under `examples/`.
    pub id: String,
    pub title: String,
    pub version: String,
    pub files: Vec<BundledFile>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use episcope_core::lerobot::FeatureSeries;

    fn episode() -> EpisodeFrames {
        EpisodeFrames {
            episode_index: 3,
            frames: 3,
            timestamps_secs: vec![0.0, 0.1, 0.2],
            series: vec![
                FeatureSeries {
                    feature: "observation.state".into(),
                    labels: vec!["a".into(), "b".into()],
                    dimensions: vec![vec![1.0, 2.0, 3.0], vec![-1.0, f64::NAN, f64::INFINITY]],
                },
                FeatureSeries { feature: "empty".into(), labels: vec![], dimensions: vec![] },
                FeatureSeries {
                    feature: "action".into(),
                    labels: vec!["x".into()],
                    dimensions: vec![vec![7.0, 8.0, 9.0]],
                },
            ],
        }
    }

    /// Packs into a `Vec`, as the worker packs into a `Float64Array`.
    fn pack(frames: &mut EpisodeFrames) -> (PackedEpisode, Vec<f64>) {
        let mut numbers = vec![0.0; PackedEpisode::of(frames).total_len()];
        let layout = pack_episode_numbers(frames, |offset, values| {
            numbers[offset..offset + values.len()].copy_from_slice(values)
        });
        (layout, numbers)
    }

    #[test]
    fn recording_streams_come_back_in_place_through_json() {
        use crate::recording_view::{RecordingEpisodeView, StreamFrames};
        let mut second = episode();
        second.timestamps_secs = vec![0.05, 0.5, 0.9];
        second.series[0].dimensions[0] = vec![4.0, 5.0, 6.0];
        let stream =
            |name: &str, frames: EpisodeFrames| StreamFrames { stream: name.into(), type_name: "t".into(), frames };
        let original = RecordingEpisodeView {
            episode_index: 0,
            name: "a.mcap".into(),
            duration_secs: 0.9,
            timed: true,
            numeric: vec![stream("/a", episode()), stream("/b", second)],
            images: vec![],
            not_shown: vec![],
            streams: vec![],
        };
        let mut view = original.clone();
        let mut numbers = vec![0.0; recording_numbers_len(&view)];
        let packed = pack_recording_numbers(&mut view, |offset, values| {
            numbers[offset..offset + values.len()].copy_from_slice(values)
        });
        assert_eq!(numbers.len(), 2 * 12);
        let answer =
            Response::RecordingEpisode { request_id: 2, view: Box::new(view), packed, bytes_read: 0, worker_ms: 0.0 };
        let text = serde_json::to_string(&answer).unwrap();
        let Response::RecordingEpisode { mut view, packed, .. } = serde_json::from_str(&text).unwrap() else {
            panic!("not a recording episode")
        };
        unpack_recording_numbers(&mut view, &packed, numbers.len(), |r| numbers[r].to_vec()).unwrap();
        assert_eq!(view.numeric[1].frames.timestamps_secs, original.numeric[1].frames.timestamps_secs);
        assert_eq!(view.numeric[1].frames.series[0].dimensions[0], original.numeric[1].frames.series[0].dimensions[0]);
        assert!(view.numeric[1].frames.series[0].dimensions[1][1].is_nan());
        assert_eq!(view.numeric[0].frames.series[2], original.numeric[0].frames.series[2]);
        let short = unpack_recording_numbers(&mut view.clone(), &packed, numbers.len() - 1, |r| numbers[r].to_vec());
        assert!(matches!(short, Err(UnpackError::LengthMismatch { .. })));
    }

    #[test]
    fn packed_episode_numbers_come_back_in_place_through_json() {
        let original = episode();
        let mut frames = original.clone();
        let (layout, numbers) = pack(&mut frames);
        assert_eq!(numbers.len(), 3 + 6 + 3);
        assert!(frames.timestamps_secs.is_empty() && frames.series.iter().all(|s| s.dimensions.is_empty()));
        let answer = Response::Episode {
            request_id: 1,
            frames: Box::new(frames),
            packed: Some(layout),
            videos: vec![],
            image_features: vec![],
            bytes_read: 0,
            worker_ms: 0.0,
        };
        let text = serde_json::to_string(&answer).unwrap();
        assert!(!text.contains("7.0") && !text.contains("0.1"), "numbers left in the JSON: {text}");
        let Response::Episode { mut frames, packed: Some(layout), .. } = serde_json::from_str(&text).unwrap() else {
            panic!("not a packed episode")
        };
        unpack_episode_numbers(&mut frames, &layout, numbers.len(), |r| numbers[r].to_vec()).unwrap();
        assert_eq!(frames.timestamps_secs, original.timestamps_secs);
        assert_eq!(frames.series[0].dimensions[0], original.series[0].dimensions[0]);
        assert!(frames.series[0].dimensions[1][1].is_nan());
        assert_eq!(frames.series[0].dimensions[1][2], f64::INFINITY);
        assert!(frames.series[1].dimensions.is_empty());
        assert_eq!(frames.series[2].dimensions, original.series[2].dimensions);
    }

    #[test]
    fn packed_numbers_that_do_not_fit_are_refused() {
        let mut frames = episode();
        let (layout, numbers) = pack(&mut frames);
        let read = |r: Range<usize>| numbers[r].to_vec();
        assert_eq!(
            unpack_episode_numbers(&mut frames.clone(), &layout, numbers.len() - 1, read),
            Err(UnpackError::LengthMismatch { expected: 12, found: 11 })
        );
        let mut fewer = frames.clone();
        fewer.series.pop();
        assert_eq!(
            unpack_episode_numbers(&mut fewer, &layout, numbers.len(), read),
            Err(UnpackError::FeatureCountMismatch { layout: 3, series: 2 })
        );
    }

    #[test]
    fn requests_round_trip_through_json() {
        let request = Request::OpenLocal {
            request_id: 7,
            name: "ds".into(),
            paths: vec!["ds/meta/info.json".into()],
            debug_panic_on: None,
        };
        let text = serde_json::to_string(&request).unwrap();
        assert!(text.contains("\"kind\":\"open_local\""));
        assert_eq!(serde_json::from_str::<Request>(&text).unwrap(), request);
        let failed = Response::Failed { request_id: 7, message: "boom".into(), path: Some("data/x.parquet".into()) };
        let text = serde_json::to_string(&failed).unwrap();
        assert_eq!(serde_json::from_str::<Response>(&text).unwrap(), failed);
        assert_eq!(failed.request_id(), Some(7));
    }
}
