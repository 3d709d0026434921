//! The conformance view: verdict badge, findings grouped by rule with filters, each finding linked
//! to the episode it names, and exports of the report generated in the browser as downloads.

use std::collections::BTreeMap;

use episcope_core::check::render::{describe_location, to_html, to_markdown};
use episcope_core::check::{rule, Finding, Severity, Verdict};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::app::AppState;
use crate::i18n::conformance::{severity_label, ConformanceSentence, ConformanceText};
use crate::i18n::{t, use_lang, Lang, Text};

/// Saves `text` as a file through a `blob:` URL and a download link: nothing leaves the browser.
fn download(file_name: &str, mime: &str, text: &str) {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    let document = web_sys::window().and_then(|w| w.document());
    if let Some(anchor) = document
        .as_ref()
        .and_then(|d| d.create_element("a").ok())
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        anchor.set_href(&url);
        anchor.set_download(file_name);
        anchor.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

fn safe_file_stem(name: &str) -> String {
    let stem: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    if stem.is_empty() {
        "dataset".into()
    } else {
        stem
    }
}

#[component]
pub fn ConformancePanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = use_lang();
    let show_errors = RwSignal::new(true);
    let show_warnings = RwSignal::new(true);
    let show_infos = RwSignal::new(false);
    let rule_filter = RwSignal::new(String::new());
    let visible = move |f: &Finding| {
        let severity_on = match f.severity {
            Severity::Error => show_errors.get(),
            Severity::Warning => show_warnings.get(),
            Severity::Info => show_infos.get(),
        };
        let needle = rule_filter.get().to_lowercase();
        severity_on && (needle.is_empty() || f.rule.contains(&needle) || f.message.to_lowercase().contains(&needle))
    };
    view! {
        <section class="card conformance" data-testid="conformance">
            <h2>{t(ConformanceText::Title)}</h2>
            {move || match state.report.get() {
                None => view! {
                    <p class="muted">
                        {move || if state.checking.get() { ConformanceText::Checking } else { ConformanceText::NotChecked }.str(lang.get())}
                    </p>
                    <button class="primary" disabled=move || state.checking.get() on:click=move |_| state.run_check()>
                        {t(ConformanceText::CheckButton)}
                    </button>
                }.into_any(),
                Some(report) => {
                    let summary = report.summary.clone();
                    let badge_class = match summary.verdict {
                        Verdict::Pass => "badge-pass",
                        Verdict::Warnings => "badge-warn",
                        Verdict::Errors => "badge-fail",
                    };
                    let badge_text = t(ConformanceText::verdict(summary.verdict));
                    let counts = ConformanceSentence::Counts {
                        errors: summary.errors,
                        warnings: summary.warnings,
                        infos: summary.infos,
                        rules_checked: report.rules_checked as u64,
                    };
                    let stem = safe_file_stem(&report.dataset.name);
                    let (json_report, md_report, html_report) = (report.clone(), report.clone(), report.clone());
                    let (stem_json, stem_md, stem_html) = (stem.clone(), stem.clone(), stem);
                    let findings = report.findings.clone();
                    view! {
                        <div class="conformance-head">
                            <div class="conformance-summary" data-testid="conformance-summary"
                                data-errors=summary.errors.to_string() data-warnings=summary.warnings.to_string()
                                data-verdict=format!("{:?}", summary.verdict).to_lowercase()>
                                <span class=format!("verdict-badge {badge_class}") data-testid="verdict-badge">{badge_text}</span>
                                <span>{move || counts.text(lang.get())}</span>
                            </div>
                            <div class="exports">
                                <span class="muted">{t(ConformanceText::Export)}</span>
                                <button class="secondary" data-testid="export-json" on:click=move |_| {
                                    let text = serde_json::to_string_pretty(&json_report).unwrap_or_default();
                                    download(&format!("{stem_json}.episcope.json"), "application/json", &text);
                                }>"JSON"</button>
                                <button class="secondary" data-testid="export-markdown" on:click=move |_| {
                                    download(&format!("{stem_md}.episcope.md"), "text/markdown", &to_markdown(&md_report));
                                }>"Markdown"</button>
                                <button class="secondary" data-testid="export-html" on:click=move |_| {
                                    download(&format!("{stem_html}.episcope.html"), "text/html", &to_html(&html_report));
                                }>"HTML"</button>
                            </div>
                        </div>
                        <div class="filters">
                            <label><input type="checkbox" prop:checked=move || show_errors.get() on:change=move |_| show_errors.update(|v| *v = !*v)/>{t(ConformanceText::FilterErrors)}</label>
                            <label><input type="checkbox" prop:checked=move || show_warnings.get() on:change=move |_| show_warnings.update(|v| *v = !*v)/>{t(ConformanceText::FilterWarnings)}</label>
                            <label><input type="checkbox" prop:checked=move || show_infos.get() on:change=move |_| show_infos.update(|v| *v = !*v)/>{t(ConformanceText::FilterInfo)}</label>
                            <input type="search" placeholder=t(ConformanceText::FilterPlaceholder) prop:value=move || rule_filter.get()
                                on:input=move |ev| rule_filter.set(event_target_value(&ev))/>
                        </div>
                        {move || (lang.get() == Lang::Ja).then(|| view! { <p class="muted small">{t(ConformanceText::FindingsInEnglish)}</p> })}
                        {move || {
                            let mut groups: BTreeMap<(Severity, String), Vec<Finding>> = BTreeMap::new();
                            for f in findings.iter().filter(|f| visible(f)) {
                                groups.entry((f.severity, f.rule.clone())).or_default().push(f.clone());
                            }
                            if groups.is_empty() {
                                return view! { <p class="muted">{t(ConformanceText::NoFindingsShown)}</p> }.into_any();
                            }
                            groups.into_iter().map(|((severity, rule_id), items)| {
                                let title = rule(&rule_id).map(|r| r.title).unwrap_or("");
                                let total: u64 = items.iter().map(|f| f.count).sum();
                                view! {
                                    <div class="rule-group" data-testid="rule-group" data-rule=rule_id.clone()>
                                        <h3><span class=format!("sev sev-{}", severity.as_str())>{move || severity_label(severity, lang.get())}</span>
                                            " " <code>{rule_id.clone()}</code> " — " {title}
                                            <span class="muted">{format!(" ({total})")}</span></h3>
                                        <ul>
                                            {items.into_iter().map(|f| {
                                                let episode = f.location.episode;
                                                let count = if f.count > 1 { format!(" ×{}", f.count) } else { String::new() };
                                                view! {
                                                    <li class="finding" data-testid="finding" data-rule=f.rule.clone()
                                                        data-episode=episode.map(|e| e.to_string()).unwrap_or_default()
                                                        class:clickable=episode.is_some()
                                                        on:click=move |_| if let Some(e) = episode { state.focus_episode(e) }>
                                                        <div class="finding-where">{describe_location(&f.location)}{count}</div>
                                                        <div>{f.message.clone()}</div>
                                                        <div class="muted">{t(ConformanceText::Fix)}{f.fix.clone()}</div>
                                                    </li>
                                                }
                                            }).collect_view()}
                                        </ul>
                                    </div>
                                }
                            }).collect_view().into_any()
                        }}
                    }.into_any()
                }
            }}
        </section>
    }
}
