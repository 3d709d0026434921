//! The statistics view: computed in the worker one column at a time (progress, cancel), then a
//! table per feature dimension, the drift against the dataset's stored stats (merged into the
//! conformance findings) and the charts. Also the state the report and comparison pages share.

use episcope_core::check::report::TaskSummary;
use episcope_core::stats::drift::StatsDrift;
use episcope_core::stats::DatasetStats;
use episcope_report::charts::{episode_length_chart, histogram_chart, range_chart, task_time_chart, ChartError};
use episcope_report::{FullReport, Lang};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::analysis::{
    dimension_rows, drift_rows_shown, exact_attribute, format_stat, merge_drift_findings, progress_fraction,
    svg_is_inline_safe, TABLE_QUANTILES,
};
use crate::app::{query_param, AppState, Page};
use crate::i18n::analysis::{AnalysisSentence, AnalysisText};
use crate::i18n::common::CommonSentence;
use crate::i18n::{document_lang, format_integer, t, use_lang, Text};
use crate::protocol::{Request, Response};
use crate::worker_client::client;

/// Statistics and their drift, as the worker answered.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsResult {
    pub stats: DatasetStats,
    pub drift: Option<StatsDrift>,
}

/// Where a worker computation of the open dataset is.
#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    Idle,
    Running { request_id: u32 },
    Cancelled,
    Failed(String),
}

/// Progress of a running job: the column (or stage) being read.
#[derive(Debug, Clone, PartialEq)]
pub struct JobProgress {
    pub stage: String,
    pub done: u64,
    pub total: u64,
    pub bytes_read: u64,
}

/// State of the statistics, report and comparison views (all `Copy` signals), in context.
#[derive(Clone, Copy)]
pub struct AnalysisState {
    pub stats: RwSignal<Option<StatsResult>>,
    pub stats_job: RwSignal<Job>,
    pub stats_progress: RwSignal<Option<JobProgress>>,
    /// The open dataset's full report, once built.
    pub report: RwSignal<Option<FullReport>>,
    pub report_job: RwSignal<Job>,
    pub report_progress: RwSignal<Option<JobProgress>>,
    /// Reports side by side (kept when the open dataset changes).
    pub compared: RwSignal<Vec<FullReport>>,
    /// Files that could not be added to the comparison, with why.
    pub compare_errors: RwSignal<Vec<String>>,
}

impl AnalysisState {
    fn new() -> Self {
        Self {
            stats: RwSignal::new(None),
            stats_job: RwSignal::new(Job::Idle),
            stats_progress: RwSignal::new(None),
            report: RwSignal::new(None),
            report_job: RwSignal::new(Job::Idle),
            report_progress: RwSignal::new(None),
            compared: RwSignal::new(Vec::new()),
            compare_errors: RwSignal::new(Vec::new()),
        }
    }

    /// Forgets what belonged to the dataset that was open (answers still on their way are then
    /// ignored: they no longer match the running job).
    fn forget_dataset(self) {
        self.stats.set(None);
        self.stats_job.set(Job::Idle);
        self.stats_progress.set(None);
        self.report.set(None);
        self.report_job.set(Job::Idle);
        self.report_progress.set(None);
    }

    /// Asks the worker for the statistics of the open dataset.
    pub fn start_stats(self) {
        if matches!(self.stats_job.get_untracked(), Job::Running { .. }) {
            return;
        }
        let request_id = client().next_request_id();
        self.stats_job.set(Job::Running { request_id });
        self.stats_progress.set(None);
        let debug_read_delay_ms = query_param("debug-stats-delay-ms").and_then(|v| v.parse().ok());
        spawn_local(async move {
            let request = Request::ComputeStats { request_id, debug_read_delay_ms };
            let on_progress = move |p: crate::worker_client::WorkerProgress| {
                if self.stats_job.get_untracked() == (Job::Running { request_id }) {
                    let progress =
                        JobProgress { stage: p.stage, done: p.done, total: p.total, bytes_read: p.bytes_read };
                    self.stats_progress.set(Some(progress));
                }
            };
            let answer = client().request(request, js_sys::Array::new(), on_progress).await;
            if self.stats_job.get_untracked() != (Job::Running { request_id }) {
                return;
            }
            self.stats_progress.set(None);
            match answer {
                Response::Stats { stats, drift, .. } => {
                    self.stats.set(Some(StatsResult { stats: *stats, drift: drift.map(|d| *d) }));
                    self.stats_job.set(Job::Idle);
                }
                Response::Cancelled { .. } => self.stats_job.set(Job::Cancelled),
                Response::Failed { message, .. } => self.stats_job.set(Job::Failed(message)),
                other => self.stats_job.set(Job::Failed(unexpected_answer(&other))),
            }
        });
    }

    /// Asks the worker to stop a running computation (statistics or report).
    pub fn cancel(self, job: RwSignal<Job>) {
        let Job::Running { request_id: request_id_to_cancel } = job.get_untracked() else { return };
        spawn_local(async move {
            let request = Request::CancelStats { request_id: client().next_request_id(), request_id_to_cancel };
            let _ = client().request(request, js_sys::Array::new(), |_| {}).await;
        });
    }

    /// Asks the worker for the open dataset's full report (check and statistics reused).
    pub fn build_report(self) {
        if matches!(self.report_job.get_untracked(), Job::Running { .. }) {
            return;
        }
        let request_id = client().next_request_id();
        self.report_job.set(Job::Running { request_id });
        self.report_progress.set(None);
        spawn_local(async move {
            let on_progress = move |p: crate::worker_client::WorkerProgress| {
                if self.report_job.get_untracked() == (Job::Running { request_id }) {
                    let progress =
                        JobProgress { stage: p.stage, done: p.done, total: p.total, bytes_read: p.bytes_read };
                    self.report_progress.set(Some(progress));
                }
            };
            let answer = client().request(Request::BuildReport { request_id }, js_sys::Array::new(), on_progress).await;
            if self.report_job.get_untracked() != (Job::Running { request_id }) {
                return;
            }
            self.report_progress.set(None);
            match answer {
                Response::FullReport { report, .. } => {
                    self.report.set(Some(*report));
                    self.report_job.set(Job::Idle);
                }
                Response::Cancelled { .. } => self.report_job.set(Job::Cancelled),
                Response::Failed { message, .. } => self.report_job.set(Job::Failed(message)),
                other => self.report_job.set(Job::Failed(unexpected_answer(&other))),
            }
        });
    }
}

/// An answer the page did not expect, described in the page's language.
pub fn unexpected_answer(answer: &Response) -> String {
    CommonSentence::UnexpectedAnswer { answer: format!("{answer:?}") }.text(document_lang())
}

/// Provides the analysis state, forgets it when another dataset opens, and merges stats drift
/// into the conformance report the conformance panel shows.
pub fn provide_analysis(state: AppState) -> AnalysisState {
    let analysis = AnalysisState::new();
    provide_context(analysis);
    Effect::new(move |_| {
        state.overview.track();
        analysis.forget_dataset();
    });
    Effect::new(move |_| {
        let Some(drift) = analysis.stats.with(|s| s.as_ref().and_then(|r| r.drift.clone())) else { return };
        let Some(mut report) = state.report.get() else { return };
        if merge_drift_findings(&mut report, &drift) {
            state.report.set(Some(report));
        }
    });
    analysis
}

/// The language reports and charts are drawn in: the UI's when the language switch is there.
pub fn report_lang() -> impl Fn() -> Lang + Copy {
    let ui = use_context::<crate::i18n::UiLang>();
    move || ui.map(|l| l.get()).unwrap_or(Lang::En)
}

/// Saves `text` as a file through a `blob:` URL and a download link: nothing leaves the browser.
pub fn download_text(file_name: &str, mime: &str, text: &str) {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    if let Some(anchor) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        anchor.set_href(&url);
        anchor.set_download(file_name);
        anchor.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// A chart inlined as SVG (only when it is CSP-safe), or a note why it is missing.
pub fn chart_view(chart: Result<Option<String>, ChartError>, testid: &'static str) -> AnyView {
    match chart {
        Ok(Some(svg)) if svg_is_inline_safe(&svg) => {
            view! { <div class="chart-box" data-testid=testid inner_html=svg></div> }.into_any()
        }
        Ok(Some(_)) => view! { <p class="muted">{t(AnalysisText::ChartLeftOut)}</p> }.into_any(),
        Ok(None) => ().into_any(),
        Err(e) => view! { <p class="muted">{e.to_string()}</p> }.into_any(),
    }
}

/// The five bookkeeping columns every LeRobot dataset has (no charts for them).
fn is_index_column(name: &str) -> bool {
    matches!(name, "timestamp" | "frame_index" | "episode_index" | "index" | "task_index")
}

/// A progress bar with the stage, and a Cancel button.
pub fn job_progress_view(
    progress: RwSignal<Option<JobProgress>>,
    what: AnalysisText,
    testid: &'static str,
    on_cancel: impl Fn() + 'static,
    cancel_testid: &'static str,
) -> impl IntoView {
    let lang = use_lang();
    view! {
        <div class="job-progress" data-testid=testid
            data-column=move || progress.with(|p| p.as_ref().map(|p| p.stage.clone()).unwrap_or_default())>
            <div class="job-progress-text">
                {move || {
                    let sentence = match progress.get() {
                        Some(p) => AnalysisSentence::JobProgress {
                            what, stage: Some(p.stage), done: p.done, total: p.total, bytes_read: p.bytes_read,
                        },
                        None => AnalysisSentence::JobProgress { what, stage: None, done: 0, total: 0, bytes_read: 0 },
                    };
                    sentence.text(lang.get())
                }}
            </div>
            <progress max="1" value=move || progress.with(|p| p.as_ref().map_or(0.0, |p| progress_fraction(p.done, p.total))).to_string()></progress>
            <button class="secondary" data-testid=cancel_testid on:click=move |_| on_cancel()>{t(AnalysisText::Cancel)}</button>
        </div>
    }
}

#[component]
pub fn StatsPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let analysis = expect_context::<AnalysisState>();
    let lang = report_lang();
    view! {
        <section class="card stats" data-testid="stats">
            <div class="stats-head">
                <h2>{t(AnalysisText::StatsTitle)}</h2>
                <button class="secondary" data-testid="open-report" on:click=move |_| state.page.set(Page::Report)>
                    {t(AnalysisText::OpenReport)}
                </button>
            </div>
            {move || match analysis.stats_job.get() {
                Job::Running { .. } => job_progress_view(
                    analysis.stats_progress, AnalysisText::ReadingColumn, "stats-progress",
                    move || analysis.cancel(analysis.stats_job), "stats-cancel",
                ).into_any(),
                job => {
                    let note = match job {
                        Job::Cancelled => Some(view! { <p class="muted" data-testid="stats-cancelled">{t(AnalysisText::StatsCancelled)}</p> }.into_any()),
                        Job::Failed(message) => Some(view! { <p class="error" data-testid="stats-failed">{message}</p> }.into_any()),
                        _ => None,
                    };
                    let computed = analysis.stats.with(Option::is_some);
                    view! {
                        {note}
                        {(!computed).then(|| view! {
                            <p class="muted">{t(AnalysisText::StatsIntro)}</p>
                            <button class="primary" data-testid="stats-start" on:click=move |_| analysis.start_stats()>
                                {t(AnalysisText::ComputeStats)}
                            </button>
                        })}
                    }.into_any()
                }
            }}
            {move || analysis.stats.get().map(|result| stats_result_view(result, lang()))}
        </section>
    }
}

fn stats_result_view(result: StatsResult, lang: Lang) -> impl IntoView {
    let StatsResult { stats, drift } = result;
    let rows = dimension_rows(&stats);
    let tasks: Vec<TaskSummary> = stats
        .tasks
        .iter()
        .map(|t| TaskSummary {
            index: t.task_index,
            text: t.task.clone(),
            episodes: t.episodes,
            frames: Some(t.frames),
            hours: Some(t.hours).filter(|h| h.is_finite()),
        })
        .collect();
    let summary = AnalysisSentence::StatsSummary {
        frames: stats.frames_read,
        data_files: stats.data_files.len() as u64,
        bytes_read: stats.bytes_read,
        features: stats.features.len() as u64,
    }
    .text(lang);
    let problems = stats.problems.clone();
    let signals: Vec<_> = stats.features.iter().filter(|f| !is_index_column(&f.feature)).cloned().collect();
    view! {
        <p data-testid="stats-summary" data-frames=stats.frames_read.to_string()>{summary}</p>
        {(!problems.is_empty()).then(|| view! {
            <ul class="stats-problems">
                {problems.into_iter().map(|p| view! { <li><code>{p.path}</code>" — "{p.message}</li> }).collect_view()}
            </ul>
        })}
        {drift.map(|drift| drift_view(drift, lang))}
        <h3>{AnalysisText::PerDimension.str(lang)}</h3>
        <div class="stats-table-wrap">
            <table class="table stats-table" data-testid="stats-table">
                <thead><tr>
                    <th>{AnalysisText::ColumnFeature.str(lang)}</th><th class="num">{AnalysisText::ColumnDim.str(lang)}</th>
                    <th>{AnalysisText::ColumnName.str(lang)}</th><th class="num">{AnalysisText::ColumnCount.str(lang)}</th>
                    <th class="num">{AnalysisText::ColumnMin.str(lang)}</th><th class="num">{AnalysisText::ColumnMax.str(lang)}</th>
                    <th class="num">{AnalysisText::ColumnMean.str(lang)}</th><th class="num">{AnalysisText::ColumnStd.str(lang)}</th>
                    {TABLE_QUANTILES.iter().map(|(_, name)| view! { <th class="num">{*name}</th> }).collect_view()}
                    <th class="num">"NaN"</th><th class="num">"+Inf"</th><th class="num">"−Inf"</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|row| {
                        let s = row.stats;
                        let quantiles: Vec<(String, Option<f64>)> = TABLE_QUANTILES.iter().map(|(q, name)| (name.to_string(), s.quantile(*q))).collect();
                        let nonfinite = s.nan_count + s.pos_inf_count + s.neg_inf_count > 0;
                        let feature_attr = row.feature.clone();
                        view! {
                            <tr data-testid="stats-row" data-feature=feature_attr data-dim=row.dim.to_string()
                                data-count=s.count.to_string() data-min=exact_attribute(s.min) data-max=exact_attribute(s.max)
                                data-mean=exact_attribute(s.mean) data-std=exact_attribute(s.std)
                                data-q01=exact_attribute(s.quantile(0.01)) data-q50=exact_attribute(s.quantile(0.5))
                                data-q99=exact_attribute(s.quantile(0.99)) class:nonfinite=nonfinite>
                                <td><code>{row.feature}</code></td><td class="num">{row.dim}</td><td>{row.label}</td>
                                <td class="num">{format_integer(s.count)}</td>
                                <td class="num">{format_stat(s.min)}</td><td class="num">{format_stat(s.max)}</td>
                                <td class="num">{format_stat(s.mean)}</td><td class="num">{format_stat(s.std)}</td>
                                {quantiles.into_iter().map(|(_, v)| view! { <td class="num">{format_stat(v)}</td> }).collect_view()}
                                <td class="num">{s.nan_count}</td><td class="num">{s.pos_inf_count}</td><td class="num">{s.neg_inf_count}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <h3>{AnalysisText::Charts.str(lang)}</h3>
        <div class="chart-grid">
            {chart_view(episode_length_chart(&stats.episode_lengths, stats.fps, lang), "chart-episode-lengths")}
            {chart_view(task_time_chart(&tasks, lang), "chart-task-time")}
        </div>
        {signals.into_iter().map(|feature| view! {
            <h4><code>{feature.feature.clone()}</code></h4>
            {chart_view(range_chart(&feature, lang), "chart-range")}
            {chart_view(histogram_chart(&feature, lang), "chart-histograms")}
        }).collect_view()}
    }
}

fn drift_view(drift: StatsDrift, lang: Lang) -> impl IntoView {
    let summary = AnalysisSentence::DriftSummary {
        outside: drift.outside,
        compared: drift.compared,
        stored_path: drift.stored_path.clone(),
        aggregated_from_episodes: drift.aggregated_from_episodes,
    }
    .text(lang);
    let rows = drift_rows_shown(&drift).to_vec();
    let hidden = (drift.rows.len() - rows.len()) as u64 + drift.rows_omitted;
    let skipped = drift.skipped.clone();
    let disagrees = drift.outside > 0;
    let not_judged = drift.rows.iter().any(|r| r.within.is_none());
    view! {
        <h3>{AnalysisText::DriftTitle.str(lang)}</h3>
        <p data-testid="drift-summary" data-outside=drift.outside.to_string() data-compared=drift.compared.to_string()
            class:drift-bad=disagrees>{summary}</p>
        {(!drift.complete).then(|| view! { <p class="muted">{AnalysisText::DriftIncomplete.str(lang)}</p> })}
        <details open=disagrees>
            <summary>{AnalysisSentence::ComparedValues { rows: rows.len() as u64 }.text(lang)}</summary>
            <table class="table drift-table" data-testid="drift-table">
                <thead><tr><th>{AnalysisText::ColumnFeature.str(lang)}</th><th class="num">{AnalysisText::ColumnDim.str(lang)}</th>
                    <th>{AnalysisText::ColumnName.str(lang)}</th><th>{AnalysisText::ColumnStat.str(lang)}</th>
                    <th class="num">{AnalysisText::ColumnStored.str(lang)}</th><th class="num">{AnalysisText::ColumnComputed.str(lang)}</th>
                    <th class="num">{AnalysisText::ColumnDifference.str(lang)}</th><th class="num">{AnalysisText::ColumnTolerance.str(lang)}</th>
                    <th>{AnalysisText::ColumnAgrees.str(lang)}</th></tr></thead>
                <tbody>
                    {rows.into_iter().map(|row| {
                        let within = match row.within { Some(true) => "true", Some(false) => "false", None => "not-judged" };
                        let (feature_attr, stat_attr, bad) = (row.feature.clone(), row.stat.clone(), row.within == Some(false));
                        view! {
                            <tr data-testid="drift-row" data-within=within data-feature=feature_attr data-stat=stat_attr
                                class:drift-bad=bad>
                                <td><code>{row.feature}</code></td><td class="num">{row.dim}</td><td>{row.label}</td><td>{row.stat}</td>
                                <td class="num">{format_stat(Some(row.stored))}</td><td class="num">{format_stat(Some(row.computed))}</td>
                                <td class="num">{format!("{:.2e}", row.abs_diff)}</td>
                                <td class="num">{row.tolerance.map(|t| format!("{t:.1e}")).unwrap_or_else(|| "—".into())}</td>
                                <td>{match row.within {
                                    Some(true) => AnalysisText::AgreesYes,
                                    Some(false) => AnalysisText::AgreesNo,
                                    None => AnalysisText::NotJudged,
                                }.str(lang)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {(hidden > 0).then(|| view! { <p class="muted">{AnalysisSentence::MoreRowsNotListed { rows: hidden }.text(lang)}</p> })}
            {not_judged.then(|| view! {
                <p class="muted">{AnalysisText::QuantilesNotJudged.str(lang)}</p>
            })}
        </details>
        {(!skipped.is_empty()).then(|| view! {
            <p class="muted">{AnalysisText::NotCompared.str(lang)}</p>
            <ul class="muted">{skipped.into_iter().map(|s| view! { <li><code>{s.feature}</code>": "{s.reason}</li> }).collect_view()}</ul>
        })}
    }
}
