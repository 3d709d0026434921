//! The worker's `Convert` request: the open LeRobot dataset (any version) or recording (by the
//! suggested mapping; cameras as video through WebCodecs, or images) written as LeRobot v3.0 into
//! memory, checked, and sent back as one zip archive for the page to save. Nothing is uploaded:
//! the archive goes to the page only.

use std::rc::Rc;

use episcope_core::check::{check_dataset, CheckOptions};
use episcope_core::convert::{
    convert_recording_with_video, relayout_dataset, suggest_mapping_with, ConvertError, ConvertProgress, LayoutOptions,
    Mapping,
};
use episcope_core::writer::video::VideoEncoders;
use episcope_core::writer::zip::zip_folder;
use episcope_core::writer::MemorySink;
use episcope_core::DatasetTree;

use super::analysis::{yielding_tree, Running};
use super::{
    failed, now_ms, post, post_with_binary, progress_poster, OpenDataset, OpenRecording, OPEN, OPEN_RECORDING,
};
use crate::protocol::{ConversionSummary, ConvertLayout, Response};

/// What was converted, written into memory.
struct Written {
    sink: MemorySink,
    source: String,
    episodes: u64,
    frames: u64,
    notes: Vec<String>,
}

pub(super) async fn convert(request_id: u32, layout: ConvertLayout, mapping_toml: Option<String>, delay_ms: u32) {
    let started_ms = now_ms();
    let running = Running::start(request_id);
    let layout = LayoutOptions { chunks_size: layout.chunks_size, data_files_size_in_mb: layout.data_files_size_in_mb };
    let dataset = OPEN.with(|open| open.borrow().clone());
    let recording = OPEN_RECORDING.with(|open| open.borrow().clone());
    let (name, written) = match (dataset, recording) {
        (_, Some(open)) => {
            let written = convert_open_recording(request_id, &open, layout, mapping_toml, &running, delay_ms).await;
            (open.name.clone(), written)
        }
        (Some(open), None) => {
            (open.name.clone(), relayout_open_dataset(request_id, &open, layout, &running, delay_ms).await)
        }
        (None, None) => return post(&failed(request_id, "nothing is open to convert".into())),
    };
    let written = match written {
        Ok(written) => written,
        Err(ConvertError::Cancelled) => return post(&Response::Cancelled { request_id }),
        Err(e) => return post(&failed(request_id, e.to_string())),
    };
    let files = written.sink.into_files();
    let output = match DatasetTree::from_memory(files.clone()) {
        Ok(tree) => tree,
        Err(e) => return post(&failed(request_id, e.to_string())),
    };
    let folder = format!("{}_v3.0", crate::analysis::file_stem(&name));
    // The proof: the checker on the output, before the page offers it.
    let report = {
        let mut progress = progress_poster(request_id, "check ", &output);
        check_dataset(&output, &folder, &CheckOptions::default(), &mut progress).await
    };
    post(&Response::Progress { request_id, stage: "zip".into(), done: 0, total: 0, bytes_read: 0 });
    let dataset_bytes: u64 = files.values().map(|b| b.len() as u64).sum();
    let archive = match zip_folder(&files, &folder) {
        Ok(archive) => archive,
        Err(e) => return post(&failed(request_id, e.to_string())),
    };
    drop(files);
    let summary = ConversionSummary {
        file_name: format!("{folder}.zip"),
        source: written.source,
        episodes: written.episodes,
        frames: written.frames,
        files: output.len() as u64,
        dataset_bytes,
        errors: report.summary.errors as u64,
        warnings: report.summary.warnings as u64,
        infos: report.summary.infos as u64,
        notes: written.notes,
        worker_ms: now_ms() - started_ms,
    };
    let buffer = js_sys::Uint8Array::from(archive.as_slice()).buffer();
    post_with_binary(&Response::Converted { request_id, summary: Box::new(summary) }, buffer);
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
) -> Result<Written, ConvertError> {
    let tree = yielding_tree(&open.tree, delay_ms);
    let mut sink = MemorySink::default();
    let mut progress = progress_to_page(request_id, &tree);
    let cancelled = || running.cancelled();
    let summary = relayout_dataset(&tree, &open.dataset, layout, &mut sink, &mut progress, &cancelled).await?;
    let notes = summary
        .stats_omitted
        .iter()
        .map(|feature| format!("{feature}: the source stores no per-episode stats of it; written without them"))
        .collect();
    Ok(Written {
        sink,
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
    let mut sink = MemorySink::default();
    let mut progress = progress_to_page(request_id, &tree);
    let cancelled = || running.cancelled();
    // Video cameras are encoded by the browser's WebCodecs; without it the converter refuses them
    // and says to write images instead.
    let encoders = super::video::WebCodecsEncoders;
    let video = can_encode_video.then_some(&encoders as &dyn VideoEncoders);
    let summary = convert_recording_with_video(
        &tree,
        &open.recording,
        &mapping,
        layout,
        video,
        &mut sink,
        &mut progress,
        &cancelled,
    )
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
        sink,
        source: "recording".into(),
        episodes: summary.written.total_episodes,
        frames: summary.written.total_frames,
        notes,
    })
}
