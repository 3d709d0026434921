//! The parsing Web Worker: receives requests from the page, reads dataset files lazily through
//! `Blob.slice` (local folders) or same-origin fetches (bundled examples), and answers with plain
//! data. All untrusted bytes are parsed here, never on the page's thread.

// Sources hold browser objects (never `Send`); the tree takes `Arc` because native callers may
// share it, but in the worker everything lives on one thread.
#![allow(clippy::arc_with_non_send_sync)]

use std::cell::{Cell, RefCell};
use std::ops::Range;
use std::rc::Rc;
use std::sync::Arc;

use bytes::Bytes;
use episcope_core::lerobot::info::FeatureKind;
use episcope_core::lerobot::overview::Overview;
use episcope_core::lerobot::{open_dataset, read_episode_frames, read_image_frame, Dataset};
use episcope_core::recording::image::{open_image_stream, Frame, ImageStream};
use episcope_core::recording::read::read_episode as read_recording_streams;
use episcope_core::recording::{
    open_recording_with_progress, recording_files, Recording, RecordingEpisode, RecordingError,
};
use episcope_core::source::{check_range, ByteSource, LocalBoxFuture, SourceError};
use episcope_core::DatasetTree;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, DedicatedWorkerGlobalScope, MessageEvent};

use crate::protocol::{
    pack_episode_numbers, pack_recording_numbers, recording_numbers_len, BundledFile, PackedEpisode, Request, Response,
    VideoClip, RGBA_MIME,
};

fn js_error(value: JsValue) -> SourceError {
    SourceError::Io { reason: crate::js::error_message(&value) }
}

thread_local! {
    /// The request being served and the file last read, reported once per new file.
    static READING: RefCell<(u32, String)> = const { RefCell::new((0, String::new())) };
}

/// Tells the page which file is being read, once per file (a crash then names it).
fn note_reading(path: &str) {
    let changed = READING.with(|r| {
        let mut r = r.borrow_mut();
        if r.1 != path {
            r.1 = path.to_string();
            Some(r.0)
        } else {
            None
        }
    });
    if let Some(request_id) = changed {
        post(&Response::Reading { request_id, path: path.to_string() });
    }
}

/// A browser `File`/`Blob`, read range by range with `Blob.slice` (never whole).
pub struct BlobSource {
    blob: Blob,
    size: u64,
    path: String,
    /// Test hook: panic when read (crash-isolation tests).
    panic_when_read: bool,
}

impl BlobSource {
    pub fn new(blob: Blob, path: &str) -> Self {
        let size = blob.size() as u64;
        Self { blob, size, path: path.to_string(), panic_when_read: false }
    }
}

/// What one `Blob.slice` read costs beyond its bytes, in bytes: 176 reads of ~700 bytes from a
/// picked `File` took 58–100 ms with 16 in flight, one read of 7 MB 9–13 ms (BENCHMARKS.md), so a
/// request costs about as much as reading ~0.3–0.5 MB.
const BLOB_REQUEST_COST_BYTES: u64 = 256 * 1024;

impl ByteSource for BlobSource {
    fn size(&self) -> u64 {
        self.size
    }

    fn request_cost_bytes(&self) -> u64 {
        BLOB_REQUEST_COST_BYTES
    }

    fn read_range(&self, range: Range<u64>) -> LocalBoxFuture<'_, Result<Bytes, SourceError>> {
        Box::pin(async move {
            check_range(&range, self.size)?;
            note_reading(&self.path);
            if self.panic_when_read {
                panic!("debug: forced panic while reading {}", self.path);
            }
            let slice = self.blob.slice_with_f64_and_f64(range.start as f64, range.end as f64).map_err(js_error)?;
            let buffer = JsFuture::from(slice.array_buffer()).await.map_err(js_error)?;
            Ok(Bytes::from(js_sys::Uint8Array::new(&buffer).to_vec()))
        })
    }
}

/// A bundled example file on the app's own origin, fetched whole on first read and kept.
pub struct SameOriginSource {
    path: String,
    url: String,
    size: u64,
    cache: RefCell<Option<Bytes>>,
}

impl ByteSource for SameOriginSource {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_range(&self, range: Range<u64>) -> LocalBoxFuture<'_, Result<Bytes, SourceError>> {
        Box::pin(async move {
            check_range(&range, self.size)?;
            note_reading(&self.path);
            let cached = self.cache.borrow().clone();
            let bytes = match cached {
                Some(bytes) => bytes,
                None => {
                    let scope: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
                    let response: web_sys::Response =
                        JsFuture::from(scope.fetch_with_str(&self.url)).await.map_err(js_error)?.unchecked_into();
                    if !response.ok() {
                        return Err(SourceError::Io { reason: format!("HTTP {} for {}", response.status(), self.url) });
                    }
                    let buffer = JsFuture::from(response.array_buffer().map_err(js_error)?).await.map_err(js_error)?;
                    let bytes = Bytes::from(js_sys::Uint8Array::new(&buffer).to_vec());
                    if bytes.len() as u64 != self.size {
                        return Err(SourceError::Io {
                            reason: format!("expected {} bytes, got {} from {}", self.size, bytes.len(), self.url),
                        });
                    }
                    *self.cache.borrow_mut() = Some(bytes.clone());
                    bytes
                }
            };
            Ok(bytes.slice(range.start as usize..range.end as usize))
        })
    }
}

#[path = "worker_analysis.rs"]
mod analysis;
#[path = "worker_convert.rs"]
mod convert;
#[path = "worker_sink.rs"]
mod sink;
#[path = "worker_video.rs"]
mod video;

/// What serves `Convert` in this worker: set only by [`run_converter`], so the parsing worker's
/// binary never references the writer and the linker leaves it out (it is several MB of wasm).
type Converter = fn(
    u32,
    crate::protocol::ConvertLayout,
    Option<String>,
    u32,
    JsValue,
) -> episcope_core::source::LocalBoxFuture<'static, ()>;

thread_local! {
    static CONVERTER: Cell<Option<Converter>> = const { Cell::new(None) };
}

struct OpenDataset {
    name: String,
    tree: DatasetTree,
    dataset: Dataset,
}

thread_local! {
    static OPEN: RefCell<Option<Rc<OpenDataset>>> = const { RefCell::new(None) };
    /// The open recording files (bags, MCAP, HDF5), when those were opened instead of a dataset.
    static OPEN_RECORDING: RefCell<Option<Rc<OpenRecording>>> = const { RefCell::new(None) };
    /// The image stream last shown (episode, stream, its frames), so scrubbing decodes only the
    /// frame asked for instead of reading the topic again.
    static IMAGE_STREAM: RefCell<Option<(u64, String, Rc<ImageStream>)>> = const { RefCell::new(None) };
}

/// Recording files opened instead of a dataset.
struct OpenRecording {
    name: String,
    tree: DatasetTree,
    recording: Recording,
}

/// The largest image stream kept between frame requests, in message bytes; a larger one is read
/// again for every frame (slower, but the worker's memory stays bounded).
const MAX_KEPT_IMAGE_STREAM_BYTES: u64 = 512 << 20;

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// The worker's clock (`performance.now()`), in milliseconds.
fn now_ms() -> f64 {
    scope().performance().map(|p| p.now()).unwrap_or(0.0)
}

fn post(response: &Response) {
    match serde_json::to_string(response) {
        Ok(text) => {
            let _ = scope().post_message(&JsValue::from_str(&text));
        }
        Err(e) => web_sys::console::error_1(&format!("cannot encode worker response: {e}").into()),
    }
}

/// Posts a response with a buffer attached beside its JSON; the buffer is transferred, not copied.
fn post_with_binary(response: &Response, binary: js_sys::ArrayBuffer) {
    let Ok(text) = serde_json::to_string(response) else { return };
    let message = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&message, &"json".into(), &JsValue::from_str(&text));
    let _ = js_sys::Reflect::set(&message, &"binary".into(), &binary);
    let transfer = js_sys::Array::of1(&binary);
    if let Err(e) = scope().post_message_with_transfer(&message, &transfer) {
        web_sys::console::error_2(&"cannot post worker response".into(), &e);
    }
}

/// Posts a response with a value attached beside its JSON (a `Blob`: cloned by reference).
fn post_with_attachment(response: &Response, attachment: &JsValue) {
    let Ok(text) = serde_json::to_string(response) else { return };
    let message = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&message, &"json".into(), &JsValue::from_str(&text));
    let _ = js_sys::Reflect::set(&message, &"binary".into(), attachment);
    if let Err(e) = scope().post_message(&message) {
        web_sys::console::error_2(&"cannot post worker response".into(), &e);
    }
}

/// The image format of encoded bytes, from their signature.
fn sniff_image_mime(bytes: &[u8]) -> &'static str {
    match bytes {
        [0x89, b'P', b'N', b'G', ..] => "image/png",
        [0xFF, 0xD8, 0xFF, ..] => "image/jpeg",
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => "image/webp",
        [b'G', b'I', b'F', b'8', ..] => "image/gif",
        [b'B', b'M', ..] => "image/bmp",
        _ => "application/octet-stream",
    }
}

fn failed(request_id: u32, message: String) -> Response {
    // Library errors end with the offending path; surface it separately for the page.
    let path = message.rsplit_once(": ").map(|(_, p)| p.to_string()).filter(|p| p.contains('/') || p.contains('.'));
    Response::Failed { request_id, message, path }
}

/// Posts a core operation's progress for `request_id` (stage prefixed), with the bytes read so far
/// from `tree`.
pub(crate) fn progress_poster<'a>(
    request_id: u32,
    stage_prefix: &'a str,
    tree: &'a DatasetTree,
) -> impl FnMut(episcope_core::lerobot::Progress) + 'a {
    move |p| {
        post(&Response::Progress {
            request_id,
            stage: format!("{stage_prefix}{}", p.stage),
            done: p.done,
            total: p.total,
            bytes_read: tree.io().bytes_read(),
        })
    }
}

async fn open(request_id: u32, name: String, tree: DatasetTree, started_ms: f64) {
    let tree = tree.rooted_at_dataset();
    OPEN_RECORDING.with(|open| *open.borrow_mut() = None);
    IMAGE_STREAM.with(|kept| *kept.borrow_mut() = None);
    if !tree.contains("meta/info.json") && !recording_files(&tree).is_empty() {
        let files: Vec<&str> = recording_files(&tree).iter().map(|f| f.path.as_str()).collect();
        let folder = (name != "dataset").then_some(name.as_str());
        let name = crate::recording_view::recording_name(folder, &files);
        let counter_tree = tree.clone();
        let mut progress = progress_poster(request_id, "", &counter_tree);
        match open_recording_with_progress(&tree, &mut progress).await {
            Ok(recording) => {
                let bytes_read = tree.io().bytes_read();
                let size_bytes = tree.total_size();
                OPEN.with(|open| *open.borrow_mut() = None);
                let worker_ms = now_ms() - started_ms;
                let answer = Response::RecordingOpened {
                    request_id,
                    name: name.clone(),
                    recording: Box::new(recording.clone()),
                    size_bytes,
                    bytes_read,
                    worker_ms,
                };
                OPEN_RECORDING.with(|open| *open.borrow_mut() = Some(Rc::new(OpenRecording { name, tree, recording })));
                post(&answer);
            }
            Err(e) => {
                let path = match &e {
                    RecordingError::Open { path, .. } => Some(path.clone()),
                    RecordingError::NoRecording => None,
                };
                post(&Response::Failed { request_id, message: e.to_string(), path });
            }
        }
        return;
    }
    let counter_tree = tree.clone();
    let mut progress = progress_poster(request_id, "", &counter_tree);
    match open_dataset(&tree, &mut progress).await {
        Ok(dataset) => {
            let overview = Overview::new(&name, &dataset, &tree);
            let name = name.clone();
            let bytes_read = tree.io().bytes_read();
            OPEN.with(|open| *open.borrow_mut() = Some(Rc::new(OpenDataset { name, tree, dataset })));
            let worker_ms = now_ms() - started_ms;
            post(&Response::Opened { request_id, overview: Box::new(overview), bytes_read, worker_ms });
            warm_first_episode_footer().await;
        }
        Err(e) => post(&failed(request_id, e.to_string())),
    }
}

/// While the page draws the overview, parses the footer of the first episode's data file into the
/// tree's footer cache, so that opening the first episode reads only its own column chunks.
async fn warm_first_episode_footer() {
    let Some(open) = OPEN.with(|open| open.borrow().clone()) else { return };
    let Some(path) = open.dataset.episodes.first().and_then(|e| e.data_file.clone()) else { return };
    let Some(file) = open.tree.get(&path) else { return };
    // A failure here is reported when the episode itself is read.
    let _ = episcope_core::parquet_io::ParquetFile::open_cached(file.source.clone(), &path, open.tree.footers()).await;
}

async fn handle(request: Request, files: js_sys::Array, started_ms: f64) {
    let request_id = request.request_id();
    READING.with(|r| *r.borrow_mut() = (request_id, String::new()));
    match request {
        Request::OpenLocal { name, paths, debug_panic_on, .. } => {
            let mut tree = DatasetTree::new();
            for (index, path) in paths.iter().enumerate() {
                let Ok(blob) = files.get(index as u32).dyn_into::<Blob>() else { continue };
                let mut source = BlobSource::new(blob, path);
                source.panic_when_read = debug_panic_on.as_deref().is_some_and(|p| path.ends_with(p));
                if let Err(e) = tree.insert(path, Arc::new(source)) {
                    web_sys::console::warn_1(&format!("skipped {path}: {e}").into());
                }
            }
            open(request_id, name, tree, started_ms).await;
        }
        Request::OpenBundled { name, base_url, files: bundled, .. } => {
            let mut tree = DatasetTree::new();
            for BundledFile { path, size_bytes } in bundled {
                let url = format!("{base_url}{path}");
                let source = SameOriginSource { path: path.clone(), url, size: size_bytes, cache: RefCell::new(None) };
                if let Err(e) = tree.insert(&path, Arc::new(source)) {
                    web_sys::console::warn_1(&format!("skipped {path}: {e}").into());
                }
            }
            open(request_id, name, tree, started_ms).await;
        }
        Request::Check { .. } if OPEN_RECORDING.with(|open| open.borrow().is_some()) => {
            let Some(open) = OPEN_RECORDING.with(|open| open.borrow().clone()) else { return };
            let options = episcope_core::check::CheckOptions { skip_hashes: false, ..Default::default() };
            let mut progress = progress_poster(request_id, "check ", &open.tree);
            let report = episcope_core::check::check_recording(&open.tree, &open.name, &options, &mut progress).await;
            post(&Response::Checked { request_id, report: Box::new(report) });
        }
        Request::Check { .. } => {
            let Some(open) = OPEN.with(|open| open.borrow().clone()) else {
                post(&failed(request_id, "no dataset is open".into()));
                return;
            };
            let report = analysis::run_check(&open, request_id).await;
            post(&Response::Checked { request_id, report: Box::new(report) });
        }
        Request::ComputeStats { debug_read_delay_ms, .. } => {
            analysis::compute_stats(request_id, debug_read_delay_ms).await
        }
        Request::CancelStats { request_id_to_cancel, .. } => analysis::cancel(request_id, request_id_to_cancel),
        Request::BuildReport { .. } => analysis::full_report(request_id).await,
        Request::ParseReports { names, .. } => analysis::parse_reports(request_id, names, files).await,
        Request::ReadEpisode { episode_index, features, .. } => {
            let Some(open) = OPEN.with(|open| open.borrow().clone()) else {
                post(&failed(request_id, "no dataset is open".into()));
                return;
            };
            match read_episode_frames(&open.tree, &open.dataset, episode_index, &features).await {
                Ok(mut frames) => {
                    let videos = open
                        .dataset
                        .episode(episode_index)
                        .map(|episode| {
                            episode
                                .videos
                                .iter()
                                .map(|v| VideoClip {
                                    feature: v.feature.clone(),
                                    path: v.path.clone(),
                                    from_timestamp_secs: v.from_timestamp_secs,
                                    to_timestamp_secs: v.to_timestamp_secs,
                                    present: v.present,
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    let image_features = open
                        .dataset
                        .info
                        .features
                        .iter()
                        .filter(|f| f.kind == FeatureKind::Image)
                        .map(|f| f.name.clone())
                        .collect();
                    // The numbers go as one transferred Float64Array, not as JSON text.
                    let Ok(total) = u32::try_from(PackedEpisode::of(&frames).total_len()) else {
                        return post(&failed(request_id, format!("episode {episode_index} has too many numbers")));
                    };
                    let array = js_sys::Float64Array::new_with_length(total);
                    let layout = pack_episode_numbers(&mut frames, |offset, values| {
                        // Offsets and lengths add up to `total`, which fits in u32.
                        let (start, end) = (offset as u32, (offset + values.len()) as u32);
                        array.subarray(start, end).copy_from(values);
                    });
                    let binary = array.buffer();
                    let answer = Response::Episode {
                        request_id,
                        frames: Box::new(frames),
                        packed: Some(layout),
                        videos,
                        image_features,
                        bytes_read: open.tree.io().bytes_read(),
                        worker_ms: now_ms() - started_ms,
                    };
                    post_with_binary(&answer, binary)
                }
                Err(e) => post(&failed(request_id, e.to_string())),
            }
        }
        Request::ReadRecordingEpisode { episode_index, .. } => {
            read_recording_episode(request_id, episode_index, started_ms).await
        }
        Request::ReadRecordingFrame { episode_index, stream, index, .. } => {
            read_recording_frame(request_id, episode_index, stream, index).await
        }
        Request::SuggestMapping { .. } => {
            let Some(open) = OPEN_RECORDING.with(|open| open.borrow().clone()) else {
                return post(&failed(request_id, "no recording is open".into()));
            };
            // Cameras become videos when this browser's WebCodecs encodes H.264 (the conversion
            // worker encodes them), images otherwise.
            let can_encode_video = video::can_encode_h264().await;
            match episcope_core::convert::suggest_mapping_with(&open.tree, &open.recording, can_encode_video).await {
                Ok(s) => post(&Response::MappingSuggested { request_id, toml: s.mapping.to_toml(), notes: s.notes }),
                Err(e) => post(&failed(request_id, e.to_string())),
            }
        }
        // `files[0]`: the folder to write into (none: one archive).
        Request::Convert { layout, mapping_toml, debug_read_delay_ms, .. } => match CONVERTER.with(Cell::get) {
            Some(converter) => {
                converter(request_id, layout, mapping_toml, debug_read_delay_ms.unwrap_or(0), files.get(0)).await
            }
            None => post(&failed(request_id, "conversions run in the conversion worker, not this one".into())),
        },
        Request::LoadRobot { urdf_path, mesh_paths, .. } => {
            load_robot(request_id, &urdf_path, &mesh_paths, &files).await
        }
        Request::ReadImage { episode_index, feature, frame, .. } => {
            let Some(open) = OPEN.with(|open| open.borrow().clone()) else {
                post(&failed(request_id, "no dataset is open".into()));
                return;
            };
            match read_image_frame(&open.tree, &open.dataset, episode_index, &feature, frame).await {
                Ok(image) => {
                    let mime = sniff_image_mime(&image.bytes).to_string();
                    let binary = js_sys::Uint8Array::from(&image.bytes[..]).buffer();
                    post_with_binary(&Response::Image { request_id, feature, frame, mime }, binary);
                }
                Err(e) => post(&failed(request_id, e.to_string())),
            }
        }
    }
}

fn open_recording_episode(request_id: u32, episode_index: u64) -> Option<(Rc<OpenRecording>, RecordingEpisode)> {
    let Some(open) = OPEN_RECORDING.with(|open| open.borrow().clone()) else {
        post(&failed(request_id, "no recording is open".into()));
        return None;
    };
    let episode = usize::try_from(episode_index).ok().and_then(|i| open.recording.episodes.get(i)).cloned();
    match episode {
        Some(episode) => Some((open, episode)),
        None => {
            post(&failed(request_id, format!("episode {episode_index} is not in the recording")));
            None
        }
    }
}

/// Reads every stream of a recording episode and answers with the explorer's view of it, the
/// numbers in one transferred `Float64Array`.
async fn read_recording_episode(request_id: u32, episode_index: u64, started_ms: f64) {
    let Some((open, episode)) = open_recording_episode(request_id, episode_index) else { return };
    let streams = match read_recording_streams(&open.tree, &episode).await {
        Ok(streams) => streams,
        Err(e) => return post(&failed(request_id, e.to_string())),
    };
    let mut view = crate::recording_view::episode_view(episode_index, &episode.name, &streams);
    drop(streams);
    let Ok(total) = u32::try_from(recording_numbers_len(&view)) else {
        return post(&failed(request_id, format!("episode {episode_index} has too many numbers ({})", episode.name)));
    };
    let array = js_sys::Float64Array::new_with_length(total);
    let packed = pack_recording_numbers(&mut view, |offset, values| {
        let (start, end) = (offset as u32, (offset + values.len()) as u32);
        array.subarray(start, end).copy_from(values);
    });
    let answer = Response::RecordingEpisode {
        request_id,
        view: Box::new(view),
        packed,
        bytes_read: open.tree.io().bytes_read(),
        worker_ms: now_ms() - started_ms,
    };
    post_with_binary(&answer, array.buffer());
}

/// Answers one frame of an image stream: RGBA pixels or the JPEG/PNG bytes, attached.
async fn read_recording_frame(request_id: u32, episode_index: u64, stream: String, index: u64) {
    let Some((open, episode)) = open_recording_episode(request_id, episode_index) else { return };
    let kept = IMAGE_STREAM.with(|kept| {
        kept.borrow().as_ref().filter(|(e, s, _)| *e == episode_index && *s == stream).map(|(_, _, f)| f.clone())
    });
    let frames = match kept {
        Some(frames) => frames,
        None => match open_image_stream(&open.tree, &episode, &stream).await {
            Ok(frames) => {
                let frames = Rc::new(frames);
                if frames.held_bytes() <= MAX_KEPT_IMAGE_STREAM_BYTES {
                    IMAGE_STREAM
                        .with(|kept| *kept.borrow_mut() = Some((episode_index, stream.clone(), frames.clone())));
                }
                frames
            }
            Err(e) => return post(&failed(request_id, e.to_string())),
        },
    };
    let frame = usize::try_from(index)
        .map_err(|_| format!("frame {index}"))
        .and_then(|i| frames.frame(i).map_err(|e| format!("{stream}, {e}: {}", episode.name)));
    match frame {
        Ok(Frame::Rgba { width, height, pixels }) => {
            let binary = js_sys::Uint8Array::from(&pixels[..]).buffer();
            let answer =
                Response::RecordingFrame { request_id, stream, index, width, height, mime: RGBA_MIME.to_string() };
            post_with_binary(&answer, binary);
        }
        Ok(Frame::Encoded { mime, bytes }) => {
            let binary = js_sys::Uint8Array::from(&bytes[..]).buffer();
            let answer =
                Response::RecordingFrame { request_id, stream, index, width: 0, height: 0, mime: mime.to_string() };
            post_with_binary(&answer, binary);
        }
        Err(message) => post(&failed(request_id, message)),
    }
}

/// Largest URDF and mesh file read, and most mesh triangles sent to the page in all.
const MAX_URDF_BYTES: u64 = 8 * 1024 * 1024;
const MAX_MESH_FILE_BYTES: u64 = 64 * 1024 * 1024;
const MAX_ROBOT_TRIANGLES: usize = 500_000;

/// Reads a whole picked file, refusing one larger than `limit`.
async fn read_picked(file: &JsValue, path: &str, limit: u64) -> Result<Bytes, String> {
    let blob: Blob = file.clone().dyn_into().map_err(|_| format!("not a file: {path}"))?;
    let source = BlobSource::new(blob, path);
    if source.size() > limit {
        return Err(format!("the file is {} bytes, more than the {limit} read: {path}", source.size()));
    }
    source.read_range(0..source.size()).await.map_err(|e| format!("{e}: {path}"))
}

/// Parses a URDF and the STL meshes it names (untrusted bytes: parsed here, not on the page).
async fn load_robot(request_id: u32, urdf_path: &str, mesh_paths: &[String], files: &js_sys::Array) {
    use episcope_core::robot::stl::{parse_stl, resolve_mesh_path};
    use episcope_core::robot::{Geometry, KinematicTree, Robot};
    let bytes = match read_picked(&files.get(0), urdf_path, MAX_URDF_BYTES).await {
        Ok(bytes) => bytes,
        Err(message) => return post(&failed(request_id, message)),
    };
    let robot = match Robot::parse_bytes(&bytes, urdf_path) {
        Ok(robot) => robot,
        Err(e) => return post(&failed(request_id, e.to_string())),
    };
    if let Err(e) = KinematicTree::new(&robot) {
        return post(&failed(request_id, format!("{e}: {urdf_path}")));
    }
    let mut meshes = Vec::new();
    let mut skipped_meshes = Vec::new();
    let mut triangles = 0usize;
    let filenames: Vec<String> = robot
        .links
        .iter()
        .flat_map(|l| l.visuals.iter())
        .filter_map(|v| match &v.geometry {
            Geometry::Mesh { filename, .. } => Some(filename.clone()),
            _ => None,
        })
        .fold(Vec::new(), |mut names, name| {
            if !names.contains(&name) {
                names.push(name);
            }
            names
        });
    for filename in filenames {
        let Some(path) = resolve_mesh_path(urdf_path, &filename, mesh_paths) else {
            skipped_meshes.push(format!("{filename}: not among the picked files"));
            continue;
        };
        if !path.to_ascii_lowercase().ends_with(".stl") {
            skipped_meshes.push(format!("{filename}: only STL meshes are drawn (links use their other shapes)"));
            continue;
        }
        let Some(index) = mesh_paths.iter().position(|p| *p == path) else { continue };
        let mesh = match read_picked(&files.get(index as u32 + 1), &path, MAX_MESH_FILE_BYTES).await {
            Ok(bytes) => parse_stl(&bytes, &path).map_err(|e| e.to_string()),
            Err(message) => Err(message),
        };
        match mesh {
            Ok(mesh) if triangles + mesh.triangle_count() <= MAX_ROBOT_TRIANGLES => {
                triangles += mesh.triangle_count();
                meshes.push(crate::protocol::RobotMesh {
                    filename,
                    positions: mesh.positions.iter().flatten().copied().collect(),
                });
            }
            Ok(_) => skipped_meshes.push(format!("{filename}: more than {MAX_ROBOT_TRIANGLES} triangles in all")),
            Err(message) => skipped_meshes.push(format!("{filename}: {message}")),
        }
    }
    post(&Response::Robot { request_id, robot: Box::new(robot), meshes, skipped_meshes });
}

/// A small v3.0 dataset's metadata (the bundled SO-101 example: 64 KB), opened once when the
/// worker starts. The browser compiles wasm functions on their first call; without this, the
/// user's first open paid for compiling the JSON, parquet and Arrow code it runs.
const WARM_UP_FILES: [(&str, &[u8]); 3] = [
    ("meta/info.json", include_bytes!("../public/examples/v30_so101_video/meta/info.json")),
    ("meta/tasks.parquet", include_bytes!("../public/examples/v30_so101_video/meta/tasks.parquet")),
    (
        "meta/episodes/chunk-000/file-000.parquet",
        include_bytes!("../public/examples/v30_so101_video/meta/episodes/chunk-000/file-000.parquet"),
    ),
];

/// Opens [`WARM_UP_FILES`] from memory and encodes its overview, discarding the result.
async fn warm_up() {
    let files = WARM_UP_FILES.iter().map(|(path, bytes)| (*path, Bytes::from_static(bytes)));
    let Ok(tree) = DatasetTree::from_memory(files) else { return };
    if let Ok(dataset) = open_dataset(&tree, &mut |_| {}).await {
        let overview = Overview::new("warm-up", &dataset, &tree);
        let _ = serde_json::to_string(&overview);
    }
}

/// Entry point of the parsing worker binary: installs the message handler, warms up and says it
/// is ready.
pub fn run() {
    install(true);
}

/// Entry point of the conversion worker binary: the parsing worker's requests (open, cancel) plus
/// `Convert`. The page starts one per conversion and ends it afterwards.
pub fn run_converter() {
    CONVERTER.with(|c| {
        c.set(Some(|request_id, layout, mapping, delay_ms, folder| {
            Box::pin(convert::convert(request_id, layout, mapping, delay_ms, folder))
        }))
    });
    install(false);
}

fn install(warm: bool) {
    // A panic traps the wasm (panic = abort) inside a promise callback, which the page would never
    // hear about: say so first, so the page can name the file, restart the worker and go on.
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        post(&Response::Crashed { message: info.to_string() });
    }));
    let on_rejection = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
        let reason = js_sys::Reflect::get(&event, &"reason".into()).unwrap_or(JsValue::UNDEFINED);
        let message = reason
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .unwrap_or_else(|| format!("{reason:?}"));
        post(&Response::Crashed { message });
    });
    let _ = scope().add_event_listener_with_callback("unhandledrejection", on_rejection.as_ref().unchecked_ref());
    on_rejection.forget();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let started_ms = now_ms();
        let data = event.data();
        let text = js_sys::Reflect::get(&data, &"json".into()).ok().and_then(|v| v.as_string()).unwrap_or_default();
        let files: js_sys::Array =
            js_sys::Reflect::get(&data, &"files".into()).ok().and_then(|v| v.dyn_into().ok()).unwrap_or_default();
        match serde_json::from_str::<Request>(&text) {
            Ok(request) => wasm_bindgen_futures::spawn_local(handle(request, files, started_ms)),
            Err(e) => web_sys::console::error_1(&format!("worker: malformed request: {e}").into()),
        }
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // Ready once warm: requests sent meanwhile wait in the page's queue, not behind the warm-up.
    wasm_bindgen_futures::spawn_local(async move {
        if warm {
            warm_up().await;
        }
        post(&Response::Ready);
    });
}
