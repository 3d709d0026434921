//! The rule catalogue page: every rule the checker applies, as `episcope rules` lists it.

use episcope_core::check::RULES;
use leptos::prelude::*;

use crate::i18n::conformance::{severity_label, ConformanceSentence, ConformanceText};
use crate::i18n::{t, use_lang, Text};

#[component]
pub fn RulesPage() -> impl IntoView {
    let lang = use_lang();
    view! {
        <section class="card" data-testid="rules">
            <h1>{t(ConformanceText::RulesTitle)}</h1>
            <p class="muted">{move || ConformanceSentence::RuleCount { rules: RULES.len() as u64 }.text(lang.get())}</p>
            <p class="muted small">{t(ConformanceText::FindingsInEnglish)}</p>
            <table class="table">
                <thead><tr>
                    <th>{t(ConformanceText::RuleColumn)}</th><th>{t(ConformanceText::SeverityColumn)}</th>
                    <th>{t(ConformanceText::VersionsColumn)}</th><th>{t(ConformanceText::WhatColumn)}</th>
                    <th>{t(ConformanceText::WhyColumn)}</th>
                </tr></thead>
                <tbody>
                    {RULES.iter().map(|r| {
                        let versions: Vec<&str> = r.versions.iter().map(|v| v.as_str()).collect();
                        view! {
                            <tr data-testid="rule-row" data-rule=r.id>
                                <td><code>{r.id}</code></td>
                                <td><span class=format!("sev sev-{}", r.severity.as_str())>{move || severity_label(r.severity, lang.get())}</span></td>
                                <td>{versions.join(", ")}</td>
                                <td>{r.title}</td>
                                <td class="muted">{r.why}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}
