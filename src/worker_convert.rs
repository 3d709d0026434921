//! The worker's `Convert` request: the open LeRobot dataset (any version) or recording (by the
//! suggested mapping; cameras as video through WebCodecs, or images) written as LeRobot v3.0,
//! streamed into the folder the user picked or into one zip archive for the page to save, then
//! checked as it was stored. Nothing is uploaded: the output goes to the user's disk or the page.

use std::rc::Rc;

use episcope_core::check::{check_dataset, CheckOptions};
use episcope_core::convert::{
    convert_recording_with_video, relayout_dataset, suggest_mapping_with, ConvertError, ConvertProgress, LayoutOptions,
    Mapping,
};
use episcope_core::writer::video::VideoEncoders;
use episcope_core::DatasetTree;
use wasm_bindgen::{JsCast, JsValue};

use super::analysis::{yielding_tree, Running};
use super::sink::BrowserSink;
use super::{
    failed, now_ms, post, post_with_attachment, progress_poster, OpenDataset, OpenRecording, OPEN, OPEN_RECORDING,
};
use crate::protocol::{converted_folder_name, ConversionSummary, ConvertLayout, Response};

/// The worker's heap (its wasm memory, which only grows: at the end, the peak), in bytes.
fn wasm_memory_bytes() -> u64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    memory.buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length() as u64
}

/// What was converted.
struct Written {
    source: String,
    episodes: u64,
    frames: u64,
    notes: Vec<String>,
}

/// `folder`: the dataset's own folder (a `FileSystemDirectoryHandle` the page made inside the one
/// the user picked), or undefined for one archive.
pub(super) async fn convert(
    request_id: u32,
    layout: ConvertLayout,
    mapping_toml: Option<String>,
    delay_ms: u32,
    folder: JsValue,
) {
    let started_ms = now_ms();
    let memory_start_bytes = wasm_memory_bytes();
    let running = Running::start(request_id);
    let layout = LayoutOptions { chunks_size: layout.chunks_size, data_files_size_in_mb: layout.data_files_size_in_mb };
    let dataset = OPEN.with(|open| open.borrow().clone());
    let recording = OPEN_RECORDING.with(|open| open.borrow().clone());
    let into_folder = !folder.is_undefined() && !folder.is_null();
    let mut sink =
        if into_folder { BrowserSink::into_folder(folder.unchecked_into()) } else { BrowserSink::into_archive() };
    let (name, written) = match (dataset, recording) {
        (_, Some(open)) => {
            let written =
                convert_open_recording(request_id, &open, layout, mapping_toml, &running, delay_ms, &mut sink).await;
            (open.name.clone(), written)
        }
        (Some(open), None) => {
            let written = relayout_open_dataset(request_id, &open, layout, &running, delay_ms, &mut sink).await;
            (open.name.clone(), written)
        }
        (None, None) => return post(&failed(request_id, "nothing is open to convert".into())),
    };
    let written = match written {
        Ok(written) => written,
        Err(ConvertError::Cancelled) => return post(&Response::Cancelled { request_id }),
        Err(e) => return post(&failed(request_id, e.to_string())),
    };
    let top = converted_folder_name(&name);
    post(&Response::Progress { request_id, stage: "store".into(), done: 0, total: 0, bytes_read: 0 });
    let output = match sink.finish(&top).await {
        Ok(output) => output,
        Err(e) => return post(&failed(request_id, e.to_string())),
    };
    let written_ms = now_ms() - started_ms;
    // The proof: the checker on the output as it was stored (read back from the folder or the
    // archive's parts), before the page offers it.
    let report = {
        let mut progress = progress_poster(request_id, "check ", &output.tree);
        check_dataset(&output.tree, &top, &CheckOptions::default(), &mut progress).await
    };
    let summary = ConversionSummary {
        file_name: if into_folder { top.clone() } else { format!("{top}.zip") },
        into_folder,
        source: written.source,
        episodes: written.episodes,
        frames: written.frames,
        files: output.files,
        dataset_bytes: output.dataset_bytes,
        errors: report.summary.errors as u64,
        warnings: report.summary.warnings as u64,
        infos: report.summary.infos as u64,
        notes: written.notes,
        worker_ms: now_ms() - started_ms,
        written_ms,
        worker_memory_start_bytes: memory_start_bytes,
        worker_memory_bytes: wasm_memory_bytes(),
        output_peak_held_bytes: output.peak_held_bytes,
    };
    let converted = Response::Converted { request_id, summary: Box::new(summary) };
    match output.archive {
        Some(archive) => post_with_attachment(&converted, &archive),
        None => post(&converted),
    }
}

fn progress_to_page(request_id: u32, tree: &DatasetTree) -> impl FnMut(ConvertProgress) + '_ {
    move |p: ConvertProgress| {
        post(&Response::Progress {
            request_id,
            stage: "convert".into(),
            done: p.recording_episodes_done as u64,
            total: p.recording_episodes_total as u64,
            bytes_read: tree.io().bytes_read(),
        })
    }
}

async fn relayout_open_dataset(
    request_id: u32,
    open: &Rc<OpenDataset>,
    layout: LayoutOptions,
    running: &Running,
    delay_ms: u32,
    sink: &mut BrowserSink,
) -> Result<Written, ConvertError> {
    let tree = yielding_tree(&open.tree, delay_ms);
    let mut progress = progress_to_page(request_id, &tree);
    let cancelled = || running.cancelled();
    let summary = relayout_dataset(&tree, &open.dataset, layout, sink, &mut progress, &cancelled).await?;
    let notes = summary
        .stats_omitted
        .iter()
        .map(|feature| format!("{feature}: the source stores no per-episode stats of it; written without them"))
        .collect();
    Ok(Written {
        source: format!("LeRobot {}", open.dataset.info.codebase_version),
        episodes: summary.written.total_episodes,
        frames: summary.written.total_frames,
        notes,
    })
}

async fn convert_open_recording(
    request_id: u32,
    open: &Rc<OpenRecording>,
    layout: LayoutOptions,
    mapping_toml: Option<String>,
    running: &Running,
    delay_ms: u32,
    sink: &mut BrowserSink,
) -> Result<Written, ConvertError> {
    let can_encode_video = super::video::can_encode_h264().await;
    let (mapping, mut notes) = match mapping_toml {
        Some(text) => (Mapping::parse(&text, "mapping.toml")?, Vec::new()),
        None => {
            let suggestion = suggest_mapping_with(&open.tree, &open.recording, can_encode_video).await?;
            (suggestion.mapping, suggestion.notes)
        }
    };
    let tree = yielding_tree(&open.tree, delay_ms);
    let mut progress = progress_to_page(request_id, &tree);
    let cancelled = || running.cancelled();
    // Video cameras are encoded by the browser's WebCodecs; without it the converter refuses them
    // and says to write images instead.
    let encoders = super::video::WebCodecsEncoders;
    let video = can_encode_video.then_some(&encoders as &dyn VideoEncoders);
    let summary =
        convert_recording_with_video(&tree, &open.recording, &mapping, layout, video, sink, &mut progress, &cancelled)
            .await?;
    for flagged in &summary.flagged {
        notes.push(format!(
            "episode {}: {} frames of {} have no sample within the tolerance",
            flagged.episode, flagged.frames, flagged.feature
        ));
    }
    for (file, why) in &summary.skipped {
        notes.push(format!("skipped {file}: {why}"));
    }
    Ok(Written {
        source: "recording".into(),
        episodes: summary.written.total_episodes,
        frames: summary.written.total_frames,
        notes,
    })
}
