//! The comparison page: several datasets side by side from their reports alone — JSON reports
//! picked by the user (parsed in the worker) and the open dataset's report — as a table and three
//! charts, exportable as one self-contained HTML file.

use episcope_core::check::Verdict;
use episcope_report::charts::{findings_per_dataset_chart, hours_by_robot_chart, hours_by_task_chart};
use episcope_report::{compare_rows, format_duration, render_compare_html, Date};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::analysis::MAX_COMPARED_REPORTS;
use crate::app::{AppState, Page};
use crate::components::stats::{chart_view, download_text, report_lang, unexpected_answer, AnalysisState, Job};
use crate::i18n::analysis::{AnalysisSentence, AnalysisText};
use crate::i18n::common::CommonText;
use crate::i18n::conformance::ConformanceText;
use crate::i18n::{document_lang, format_integer, t, Text};
use crate::protocol::{Request, Response};
use crate::worker_client::client;

/// Adds reports to the comparison (up to [`MAX_COMPARED_REPORTS`]).
fn add_reports(analysis: AnalysisState, reports: Vec<episcope_report::FullReport>) {
    analysis.compared.update(|compared| {
        let room = MAX_COMPARED_REPORTS.saturating_sub(compared.len());
        if reports.len() > room {
            analysis.compare_errors.update(|errors| {
                let max_reports = MAX_COMPARED_REPORTS as u64;
                errors.push(AnalysisSentence::TooManyReports { max_reports }.text(document_lang()))
            });
        }
        compared.extend(reports.into_iter().take(room));
    });
}

/// Sends the picked files to the worker, which parses them (untrusted JSON) and answers.
fn pick_reports(analysis: AnalysisState, input: web_sys::HtmlInputElement) {
    let Some(list) = input.files() else { return };
    let files = js_sys::Array::new();
    let mut names = Vec::new();
    for index in 0..list.length() {
        if let Some(file) = list.item(index) {
            names.push(file.name());
            files.push(&file);
        }
    }
    // Let the same file be picked again later.
    input.set_value("");
    if names.is_empty() {
        return;
    }
    spawn_local(async move {
        let request = Request::ParseReports { request_id: client().next_request_id(), names };
        match client().request(request, files, |_| {}).await {
            Response::Reports { reports, .. } => {
                let mut parsed = Vec::new();
                let mut errors = Vec::new();
                for report in reports {
                    match report.result {
                        Ok(report) => parsed.push(*report),
                        Err(message) => errors.push(message),
                    }
                }
                analysis.compare_errors.update(|e| e.extend(errors));
                add_reports(analysis, parsed);
            }
            Response::Failed { message, .. } => analysis.compare_errors.update(|e| e.push(message)),
            other => analysis.compare_errors.update(|e| e.push(unexpected_answer(&other))),
        }
    });
}

/// Adds the open dataset's report, building it first when needed.
fn add_open_dataset(analysis: AnalysisState) {
    if let Some(report) = analysis.report.get_untracked() {
        add_reports(analysis, vec![report]);
        return;
    }
    analysis.build_report();
    // Added when the build answers (see the effect in `ComparePage`).
}

#[component]
pub fn ComparePage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let analysis = expect_context::<AnalysisState>();
    let lang = report_lang();
    let waiting_for_open = RwSignal::new(false);
    Effect::new(move |_| {
        if waiting_for_open.get() {
            if let Some(report) = analysis.report.get() {
                waiting_for_open.set(false);
                add_reports(analysis, vec![report]);
            } else if matches!(analysis.report_job.get(), Job::Failed(_) | Job::Cancelled) {
                waiting_for_open.set(false);
            }
        }
    });
    view! {
        <div class="compare-page">
            <div class="report-toolbar">
                <button class="secondary" on:click=move |_| state.page.set(Page::Main)>{t(CommonText::Back)}</button>
            </div>
            <h1 data-testid="compare-title">{t(AnalysisText::CompareTitle)}</h1>
            <p class="muted">
                {t(AnalysisText::CompareIntroBefore)}<code>"episcope report --json"</code>{t(AnalysisText::CompareIntroAfter)}
            </p>
            <div class="compare-add">
                <label class="picker">
                    <span class="visually-hidden">{t(AnalysisText::JsonReports)}</span>
                    <input type="file" multiple accept=".json,application/json" data-testid="compare-files"
                        on:change=move |ev| {
                            if let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                                pick_reports(analysis, input);
                            }
                        }/>
                </label>
                <button class="secondary" data-testid="compare-add-open"
                    disabled=move || state.overview.with(Option::is_none) || waiting_for_open.get()
                    on:click=move |_| {
                        if analysis.report.with_untracked(Option::is_none) {
                            waiting_for_open.set(true);
                        }
                        add_open_dataset(analysis);
                    }>
                    {move || {
                        let label = if waiting_for_open.get() {
                            AnalysisText::PreparingOpenReport
                        } else {
                            AnalysisText::AddOpenDataset
                        };
                        label.str(lang())
                    }}
                </button>
                <Show when=move || !analysis.compared.with(Vec::is_empty)>
                    <button class="secondary" data-testid="compare-download-html" on:click=move |_| {
                        let today = Date::from_unix_secs((js_sys::Date::now() / 1000.0) as i64);
                        let html = analysis.compared.with_untracked(|reports| render_compare_html(reports, lang(), Some(today)));
                        download_text("comparison.html", "text/html", &html);
                    }>{t(AnalysisText::DownloadHtml)}</button>
                    <button class="secondary" data-testid="compare-clear" on:click=move |_| {
                        analysis.compared.set(Vec::new());
                        analysis.compare_errors.set(Vec::new());
                    }>{t(AnalysisText::Clear)}</button>
                </Show>
            </div>
            {move || {
                let errors = analysis.compare_errors.get();
                (!errors.is_empty()).then(|| view! {
                    <div class="error" data-testid="compare-errors">
                        <ul>{errors.into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}</ul>
                    </div>
                })
            }}
            {move || {
                let reports = analysis.compared.get();
                if reports.is_empty() {
                    return view! { <p class="muted" data-testid="compare-empty">{t(AnalysisText::NoReportYet)}</p> }.into_any();
                }
                let rows = compare_rows(&reports);
                let lang = lang();
                view! {
                    <section class="card">
                        <table class="table" data-testid="compare-table">
                            <thead><tr>
                                <th>{AnalysisText::ColumnDataset.str(lang)}</th><th>{AnalysisText::ColumnVersion.str(lang)}</th>
                                <th>{AnalysisText::ColumnRobot.str(lang)}</th><th class="num">{AnalysisText::ColumnEpisodes.str(lang)}</th>
                                <th class="num">{AnalysisText::ColumnRecorded.str(lang)}</th><th class="num">{AnalysisText::ColumnTasks.str(lang)}</th>
                                <th class="num">{AnalysisText::ColumnCameras.str(lang)}</th><th>{AnalysisText::ColumnVerdict.str(lang)}</th>
                                <th class="num">{AnalysisText::ColumnErrors.str(lang)}</th><th class="num">{AnalysisText::ColumnWarnings.str(lang)}</th><th></th>
                            </tr></thead>
                            <tbody>
                                {rows.into_iter().enumerate().map(|(index, row)| {
                                    let badge_class = match row.verdict {
                                        Verdict::Pass => "badge-pass",
                                        Verdict::Warnings => "badge-warn",
                                        Verdict::Errors => "badge-fail",
                                    };
                                    let badge_text = ConformanceText::verdict(row.verdict).str(lang);
                                    let optional = |v: Option<u64>| v.map(format_integer).unwrap_or_else(|| "—".into());
                                    let (name_attr, version_attr) = (row.name.clone(), row.format_version.clone().unwrap_or_default());
                                    view! {
                                        <tr data-testid="compare-row" data-name=name_attr
                                            data-version=version_attr
                                            data-episodes=row.episodes.to_string()
                                            data-verdict=format!("{:?}", row.verdict).to_lowercase()>
                                            <td>{row.name}</td>
                                            <td>{row.format_version.unwrap_or_else(|| "—".into())}</td>
                                            <td>{row.robot_type.unwrap_or_else(|| "—".into())}</td>
                                            <td class="num">{format_integer(row.episodes)}</td>
                                            <td class="num">{row.hours.map(|h| format_duration(h * 3600.0, lang)).unwrap_or_else(|| "—".into())}</td>
                                            <td class="num">{optional(row.tasks)}</td>
                                            <td class="num">{optional(row.cameras)}</td>
                                            <td><span class=format!("verdict-badge {badge_class}")>{badge_text}</span></td>
                                            <td class="num">{format_integer(row.errors)}</td>
                                            <td class="num">{format_integer(row.warnings)}</td>
                                            <td><button class="link" data-testid="compare-remove" on:click=move |_| {
                                                analysis.compared.update(|c| { if index < c.len() { c.remove(index); } });
                                            }>{AnalysisText::Remove.str(lang)}</button></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </section>
                    <div class="chart-grid">
                        {chart_view(hours_by_robot_chart(&reports, lang), "compare-chart-robot")}
                        {chart_view(hours_by_task_chart(&reports, lang), "compare-chart-task")}
                        {chart_view(findings_per_dataset_chart(&reports, lang), "compare-chart-findings")}
                    </div>
                }.into_any()
            }}
        </div>
    }
}
