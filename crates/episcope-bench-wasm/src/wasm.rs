//! The wasm-bindgen exports the benchmark adapter calls: bytes come in as views on JS
//! `ArrayBuffer`s and are copied into wasm memory once, results go out as small JSON strings.

use std::collections::BTreeMap;

use bytes::Bytes;
use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::decode::{decode_part as decode_planned, open_pieces, plan_pieces};
use crate::pieces::Piece;
use crate::plan::WorkerPlan;
use crate::summary::{merge_partials, Partial};
use crate::{BenchError, Task, INPUT_LABEL};

#[wasm_bindgen]
extern "C" {
    /// `performance.now()` of whichever global scope runs this (page or worker).
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

fn js_error(error: BenchError) -> JsError {
    JsError::new(&error.to_string())
}

fn malformed(what: &'static str, reason: impl ToString) -> JsError {
    js_error(BenchError::Malformed { what, reason: reason.to_string(), path: INPUT_LABEL.to_string() })
}

/// Copies a JS byte view into wasm memory (the one copy every byte decoded takes).
fn copy_in(view: &Uint8Array) -> Bytes {
    Bytes::from(view.to_vec())
}

/// Splits `task` (`all` or `stats`) on the file in `file` between `workers`: JSON of one
/// [`WorkerPlan`] per worker. Only the footer is copied into wasm memory.
#[wasm_bindgen]
pub fn plan_parts(file: &Uint8Array, task: &str, workers: u32) -> Result<String, JsError> {
    let task = Task::from_harness_name(task).map_err(js_error)?;
    let size = file.length();
    // The footer is at most the whole file: copy the 8-byte tail, then the metadata it declares.
    let tail = copy_in(&file.subarray(size.saturating_sub(8), size));
    let metadata_len = tail.get(..4).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_le_bytes).unwrap_or(0);
    let footer_start = size.saturating_sub(8).saturating_sub(metadata_len);
    let footer = copy_in(&file.subarray(footer_start, size));
    let pieces = vec![Piece { offset_bytes: u64::from(footer_start), bytes: footer }];
    let plans = plan_pieces(u64::from(size), pieces, &task, workers as usize, INPUT_LABEL).map_err(js_error)?;
    serde_json::to_string(&plans).map_err(|e| malformed("plan", e))
}

/// Decodes one worker's plan. `pieces` are byte views (any `ArrayBuffer`s) holding the file's
/// bytes from `piece_offsets[i]` on; they are copied into wasm memory, then decoded. JSON of a
/// [`Partial`] with `copy`/`decode` timings.
#[wasm_bindgen]
pub fn decode_part(
    pieces: &Array,
    piece_offsets: &[f64],
    file_size: f64,
    task: &str,
    plan_json: &str,
) -> Result<String, JsError> {
    let task = Task::from_harness_name(task).map_err(js_error)?;
    let plan: WorkerPlan = serde_json::from_str(plan_json).map_err(|e| malformed("worker plan", e))?;
    if pieces.length() as usize != piece_offsets.len() {
        return Err(malformed("pieces", "as many offsets as pieces are needed"));
    }
    let started = performance_now();
    let mut copied = Vec::with_capacity(piece_offsets.len());
    for (view, &offset) in pieces.iter().zip(piece_offsets) {
        let view: Uint8Array = view.dyn_into().map_err(|_| malformed("pieces", "a piece is not a Uint8Array"))?;
        copied.push(Piece { offset_bytes: offset as u64, bytes: copy_in(&view) });
    }
    let held: u64 = copied.iter().map(|piece| piece.bytes.len() as u64).sum();
    let copy_done = performance_now();
    let file = open_pieces(file_size as u64, copied, INPUT_LABEL).map_err(js_error)?;
    let mut partial = decode_planned(&file, &task, &plan).map_err(js_error)?;
    let decode_done = performance_now();
    partial.timings_ms = BTreeMap::from([
        ("copy_in".to_string(), copy_done - started),
        ("decode".to_string(), decode_done - copy_done),
        ("copied_mb".to_string(), held as f64 / 1e6),
    ]);
    serde_json::to_string(&partial).map_err(|e| malformed("partial result", e))
}

/// Merges the workers' results (a JSON array of [`Partial`]s) into the harness summary (JSON).
#[wasm_bindgen]
pub fn merge_parts(task: &str, partials_json: &str) -> Result<String, JsError> {
    let task = Task::from_harness_name(task).map_err(js_error)?;
    let parts: Vec<Partial> = serde_json::from_str(partials_json).map_err(|e| malformed("partial results", e))?;
    let summary = merge_partials(&task, &parts, INPUT_LABEL).map_err(js_error)?;
    serde_json::to_string(&summary).map_err(|e| malformed("summary", e))
}

/// Single-threaded `all`: the whole file copied in, every column decoded, summary JSON.
#[wasm_bindgen]
pub fn decode_all(file: &Uint8Array) -> Result<String, JsError> {
    whole(file, "all")
}

/// Single-threaded `stats`: only the footer and `observation.state`'s chunks copied in and
/// decoded, summary JSON.
#[wasm_bindgen]
pub fn state_stats(file: &Uint8Array) -> Result<String, JsError> {
    whole(file, "stats")
}

fn whole(file: &Uint8Array, task_name: &str) -> Result<String, JsError> {
    let plans: Vec<WorkerPlan> =
        serde_json::from_str(&plan_parts(file, task_name, 1)?).map_err(|e| malformed("plan", e))?;
    let task = Task::from_harness_name(task_name).map_err(js_error)?;
    let size = u64::from(file.length());
    let mut parts = Vec::new();
    for plan in plans.iter().filter(|plan| !plan.is_idle()) {
        let started = performance_now();
        let pieces = plan
            .ranges
            .iter()
            .filter(|[start, end]| start <= end && *end <= size)
            .map(|&[start, end]| Piece {
                offset_bytes: start,
                bytes: copy_in(&file.subarray(start as u32, end as u32)),
            })
            .collect();
        let copy_done = performance_now();
        let opened = open_pieces(size, pieces, INPUT_LABEL).map_err(js_error)?;
        let mut partial = decode_planned(&opened, &task, plan).map_err(js_error)?;
        partial.timings_ms = BTreeMap::from([
            ("copy_in".to_string(), copy_done - started),
            ("decode".to_string(), performance_now() - copy_done),
        ]);
        parts.push(partial);
    }
    let summary = merge_partials(&task, &parts, INPUT_LABEL).map_err(js_error)?;
    serde_json::to_string(&summary).map_err(|e| malformed("summary", e))
}

/// Decodes a synthetic `messages`-message, `joints`-joint `JointState` stream (built in wasm memory
/// first, not timed) `reps` times with `decode_stream`, the recording path the parsing worker runs:
/// JSON `{"messages", "joints", "reps", "median_ms", "messages_per_sec"}` of the median rep.
#[wasm_bindgen]
pub fn joint_state_decode_rate(messages: u32, joints: u32, reps: u32) -> Result<String, JsError> {
    use episcope_core::formats::ros_msg::decode_stream;
    use episcope_core::synthetic_recording::joint_state_stream;
    let (channel, stream) = joint_state_stream(messages as usize, joints as usize);
    let mut times_ms = Vec::with_capacity(reps as usize);
    for _ in 0..reps.max(1) {
        let start = performance_now();
        let series = decode_stream(&channel, &stream).map_err(|e| JsError::new(&e.to_string()))?;
        times_ms.push(performance_now() - start);
        if series.times_ns.len() != stream.len() {
            return Err(JsError::new("decoded a different number of messages"));
        }
    }
    times_ms.sort_by(f64::total_cmp);
    let median_ms = times_ms[times_ms.len() / 2];
    Ok(serde_json::json!({
        "messages": messages,
        "joints": joints,
        "reps": times_ms.len(),
        "median_ms": median_ms,
        "messages_per_sec": messages as f64 / (median_ms / 1000.0),
    })
    .to_string())
}
