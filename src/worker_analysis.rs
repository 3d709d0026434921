//! The worker's statistics, report and report-parsing requests: exact statistics one column at a
//! time (cancellable between reads), stats drift, the full report reusing what was computed, and
//! JSON reports picked for a comparison (untrusted bytes, parsed here).

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::ops::{ControlFlow, Range};
use std::rc::{Rc, Weak};
use std::sync::Arc;

use bytes::Bytes;
use episcope_core::check::{check_dataset, CheckOptions, Report};
use episcope_core::lerobot::overview::Overview;
use episcope_core::lerobot::read_stored_stats;
use episcope_core::lerobot::stats::StoredStats;
use episcope_core::source::{ByteSource, LocalBoxFuture, SourceError};
use episcope_core::stats::drift::compute_drift;
use episcope_core::stats::{compute_dataset_stats, DatasetStats, StatsError, StatsOptions, StatsProgress};
use episcope_core::DatasetTree;
use episcope_report::{build_report, Date, ReportInputs};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::{failed, post, BlobSource, OpenDataset, OPEN};
use crate::analysis::{check_report_size, parse_report, MAX_COMPARED_REPORTS};
use crate::protocol::{ParsedReport, Response};

/// Without a test delay, reads give the event loop a turn at most this often (a `CancelStats`
/// message is handled then); reads of uncached files yield anyway while the bytes arrive.
const YIELD_EVERY_MS: f64 = 10.0;

/// What was computed for the open dataset, reused by `BuildReport`.
#[derive(Default)]
struct Computed {
    /// The dataset these belong to (a new open makes them stale).
    dataset: Weak<OpenDataset>,
    check: Option<Report>,
    stats: Option<DatasetStats>,
    stored: Option<Rc<StoredStats>>,
}

thread_local! {
    static COMPUTED: RefCell<Computed> = RefCell::new(Computed::default());
    /// Requests computing statistics right now, and those asked to stop.
    static RUNNING: RefCell<HashSet<u32>> = RefCell::new(HashSet::new());
    static CANCELLED: RefCell<HashSet<u32>> = RefCell::new(HashSet::new());
    static LAST_YIELD_MS: Cell<f64> = const { Cell::new(0.0) };
}

/// Runs `change` on what is remembered for `open` (forgetting what belonged to another dataset).
fn with_computed<T>(open: &Rc<OpenDataset>, change: impl FnOnce(&mut Computed) -> T) -> T {
    COMPUTED.with(|computed| {
        let mut computed = computed.borrow_mut();
        if !Weak::ptr_eq(&computed.dataset, &Rc::downgrade(open)) {
            *computed = Computed { dataset: Rc::downgrade(open), ..Computed::default() };
        }
        change(&mut computed)
    })
}

/// Runs the checker over the open dataset with progress for `request_id`, and remembers its report
/// (for `BuildReport`). `Check` and `BuildReport` both run it through here.
pub(super) async fn run_check(open: &Rc<OpenDataset>, request_id: u32) -> Report {
    let mut progress = super::progress_poster(request_id, "check ", &open.tree);
    let report = check_dataset(&open.tree, &open.name, &CheckOptions::default(), &mut progress).await;
    with_computed(open, |computed| computed.check = Some(report.clone()));
    report
}

fn open_dataset() -> Option<Rc<OpenDataset>> {
    OPEN.with(|open| open.borrow().clone())
}

/// Resolves after a timer of `delay_ms` (0: the next turn of the event loop).
pub(super) async fn sleep_ms(delay_ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let scope: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
        let _ = scope.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, delay_ms as i32);
    });
    let _ = JsFuture::from(promise).await;
}

/// A source that lets the event loop run before its reads, so a cancel request is heard even
/// when the bytes come from memory (bundled examples are kept once fetched).
struct YieldingSource {
    inner: Arc<dyn ByteSource>,
    /// Test hook: wait this long before every read.
    delay_ms: u32,
}

impl ByteSource for YieldingSource {
    fn size(&self) -> u64 {
        self.inner.size()
    }

    fn read_range(&self, range: Range<u64>) -> LocalBoxFuture<'_, Result<Bytes, SourceError>> {
        Box::pin(async move {
            let now = js_sys::Date::now();
            if self.delay_ms > 0 || now - LAST_YIELD_MS.get() >= YIELD_EVERY_MS {
                sleep_ms(self.delay_ms).await;
                LAST_YIELD_MS.set(js_sys::Date::now());
            }
            self.inner.read_range(range).await
        })
    }
}

/// The open tree with every source yielding to the event loop (see [`YieldingSource`]).
pub(super) fn yielding_tree(tree: &DatasetTree, delay_ms: u32) -> DatasetTree {
    let mut yielding = DatasetTree::new();
    for file in tree.files() {
        let source = YieldingSource { inner: file.source.clone(), delay_ms };
        #[allow(clippy::arc_with_non_send_sync)]
        let source: Arc<dyn ByteSource> = Arc::new(source);
        if yielding.insert(&file.path, source).is_err() {
            web_sys::console::warn_1(&format!("statistics skip {}", file.path).into());
        }
    }
    yielding
}

/// Marks a request as running (so a `CancelStats` naming it is heard) until dropped.
pub(super) struct Running(u32);

impl Running {
    pub(super) fn start(request_id: u32) -> Self {
        RUNNING.with(|running| running.borrow_mut().insert(request_id));
        Self(request_id)
    }

    /// Whether a `CancelStats` asked this request to stop.
    pub(super) fn cancelled(&self) -> bool {
        CANCELLED.with(|cancelled| cancelled.borrow().contains(&self.0))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.with(|running| running.borrow_mut().remove(&self.0));
        CANCELLED.with(|cancelled| cancelled.borrow_mut().remove(&self.0));
    }
}

/// Marks a request as asked to stop (only while it computes statistics).
pub(super) fn cancel(request_id: u32, request_id_to_cancel: u32) {
    if RUNNING.with(|running| running.borrow().contains(&request_id_to_cancel)) {
        CANCELLED.with(|cancelled| cancelled.borrow_mut().insert(request_id_to_cancel));
    }
    post(&Response::CancelNoted { request_id });
}

/// Computes the statistics (or returns those computed before for this dataset), posting progress
/// per column under `request_id`, which a `CancelStats` can stop.
async fn statistics(open: &Rc<OpenDataset>, request_id: u32, delay_ms: u32) -> Result<DatasetStats, StatsError> {
    if let Some(stats) = with_computed(open, |computed| computed.stats.clone()) {
        return Ok(stats);
    }
    let tree = yielding_tree(&open.tree, delay_ms);
    RUNNING.with(|running| running.borrow_mut().insert(request_id));
    let mut progress = |p: StatsProgress| {
        let files = p.files_total.max(1) as u64;
        post(&Response::Progress {
            request_id,
            stage: p.column,
            // Files of columns: the bar moves within a column too.
            done: (p.columns_done as u64).saturating_mul(files) + p.files_done as u64,
            total: (p.columns_total as u64).saturating_mul(files),
            bytes_read: p.bytes_read,
        });
        if CANCELLED.with(|cancelled| cancelled.borrow().contains(&request_id)) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let result = compute_dataset_stats(&tree, &open.dataset, &StatsOptions::default(), &mut progress).await;
    RUNNING.with(|running| running.borrow_mut().remove(&request_id));
    CANCELLED.with(|cancelled| cancelled.borrow_mut().remove(&request_id));
    let stats = result?;
    with_computed(open, |computed| computed.stats = Some(stats.clone()));
    Ok(stats)
}

/// The stats the dataset stores (read once per dataset).
async fn stored_stats(open: &Rc<OpenDataset>) -> Rc<StoredStats> {
    if let Some(stored) = with_computed(open, |computed| computed.stored.clone()) {
        return stored;
    }
    let stored = Rc::new(read_stored_stats(&open.tree, &open.dataset).await);
    with_computed(open, |computed| computed.stored = Some(stored.clone()));
    stored
}

/// `ComputeStats`: the statistics and their drift from the stored ones.
pub(super) async fn compute_stats(request_id: u32, debug_read_delay_ms: Option<u32>) {
    let Some(open) = open_dataset() else {
        return post(&failed(request_id, "no dataset is open".into()));
    };
    match statistics(&open, request_id, debug_read_delay_ms.unwrap_or(0)).await {
        Ok(stats) => {
            let stored = stored_stats(&open).await;
            let drift = compute_drift(&stats, &stored).map(Box::new);
            post(&Response::Stats { request_id, stats: Box::new(stats), drift });
        }
        Err(StatsError::Cancelled) => post(&Response::Cancelled { request_id }),
        Err(e) => post(&failed(request_id, e.to_string())),
    }
}

/// `BuildReport`: check (unless done), statistics (unless done), stored stats, then the report.
pub(super) async fn full_report(request_id: u32) {
    let Some(open) = open_dataset() else {
        return post(&failed(request_id, "no dataset is open".into()));
    };
    let check = match with_computed(&open, |computed| computed.check.clone()) {
        Some(check) => check,
        None => run_check(&open, request_id).await,
    };
    let stats = match statistics(&open, request_id, 0).await {
        Ok(stats) => Some(stats),
        Err(StatsError::Cancelled) => return post(&Response::Cancelled { request_id }),
        Err(e) => {
            web_sys::console::warn_1(&format!("report without statistics: {e}").into());
            None
        }
    };
    let stored = stored_stats(&open).await;
    let overview = Overview::new(&open.name, &open.dataset, &open.tree);
    let today = Date::from_unix_secs((js_sys::Date::now() / 1000.0) as i64);
    let report = build_report(ReportInputs {
        check,
        overview: Some(&overview),
        info: Some(&open.dataset.info),
        stats,
        stored_stats: Some(&stored),
        generated_on: Some(today),
    });
    post(&Response::FullReport { request_id, report: Box::new(report) });
}

/// `ParseReports`: each picked file read whole (bounded) and parsed as a JSON report.
pub(super) async fn parse_reports(request_id: u32, names: Vec<String>, files: js_sys::Array) {
    let mut reports = Vec::new();
    for (index, file_name) in names.into_iter().enumerate().take(MAX_COMPARED_REPORTS) {
        let result = read_report(&files.get(index as u32), &file_name).await.map(Box::new);
        reports.push(ParsedReport { file_name, result });
    }
    post(&Response::Reports { request_id, reports });
}

async fn read_report(file: &JsValue, file_name: &str) -> Result<episcope_report::FullReport, String> {
    let blob: web_sys::Blob = file.clone().dyn_into().map_err(|_| format!("not a file: {file_name}"))?;
    let source = BlobSource::new(blob, file_name);
    check_report_size(source.size(), file_name).map_err(|e| e.to_string())?;
    let bytes = source.read_range(0..source.size()).await.map_err(|e| format!("{e}: {file_name}"))?;
    parse_report(&bytes, file_name).map_err(|e| e.to_string())
}
