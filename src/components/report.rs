//! The report page: the open dataset's plain-language report (what it is, how good it is, what it
//! contains with charts, identity) rendered in the page, with downloads of the self-contained HTML
//! and of the JSON report, and printing (the print stylesheet keeps only the report).

use episcope_report::{render_html, render_report_body};
use leptos::prelude::*;

use crate::analysis::file_stem;
use crate::app::{AppState, Page};
use crate::components::stats::{download_text, job_progress_view, report_lang, AnalysisState, Job};
use crate::i18n::analysis::AnalysisText;
use crate::i18n::t;

#[component]
pub fn ReportPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let analysis = expect_context::<AnalysisState>();
    let lang = report_lang();
    // Build it on arrival (the check and statistics already computed are reused by the worker).
    Effect::new(move |_| {
        if state.overview.with(Option::is_some)
            && analysis.report.with(Option::is_none)
            && analysis.report_job.get_untracked() == Job::Idle
        {
            analysis.build_report();
        }
    });
    view! {
        <div class="report-page">
            <div class="report-toolbar">
                <button class="secondary" data-testid="report-back" on:click=move |_| state.page.set(Page::Main)>{t(AnalysisText::BackToDataset)}</button>
                {move || analysis.report.get().map(|report| {
                    let stem = file_stem(&report.report.dataset.name);
                    let (for_html, for_json) = (report.clone(), report);
                    let (stem_html, stem_json) = (stem.clone(), stem);
                    view! {
                        <button class="primary" data-testid="report-download-html" on:click=move |_| {
                            download_text(&format!("{stem_html}.report.html"), "text/html", &render_html(&for_html, lang()));
                        }>{t(AnalysisText::DownloadHtml)}</button>
                        <button class="secondary" data-testid="report-download-json" on:click=move |_| {
                            let text = serde_json::to_string_pretty(&for_json).unwrap_or_default();
                            download_text(&format!("{stem_json}.report.json"), "application/json", &text);
                        }>{t(AnalysisText::DownloadJson)}</button>
                        <button class="secondary" data-testid="report-print" on:click=move |_| {
                            if let Some(window) = web_sys::window() {
                                let _ = window.print();
                            }
                        }>{t(AnalysisText::Print)}</button>
                    }
                })}
            </div>
            {move || match (state.overview.with(Option::is_some), analysis.report_job.get()) {
                (false, _) => view! { <p class="muted">{t(AnalysisText::OpenDatasetForReport)}</p> }.into_any(),
                (true, Job::Running { .. }) => job_progress_view(
                    analysis.report_progress, AnalysisText::PreparingReport, "report-progress",
                    move || analysis.cancel(analysis.report_job), "report-cancel",
                ).into_any(),
                (true, Job::Cancelled) => view! {
                    <p class="muted">{t(AnalysisText::ReportCancelled)}</p>
                    <button class="primary" on:click=move |_| analysis.build_report()>{t(AnalysisText::PrepareReport)}</button>
                }.into_any(),
                (true, Job::Failed(message)) => view! { <p class="error">{message}</p> }.into_any(),
                (true, Job::Idle) => ().into_any(),
            }}
            {move || analysis.report.get().map(|report| {
                let body = render_report_body(&report, lang());
                view! { <article class="report-doc" data-testid="report" inner_html=body></article> }
            })}
        </div>
    }
}
