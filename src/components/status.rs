//! Progress while the worker reads, and errors shown to the user.

use leptos::prelude::*;

use crate::app::AppState;
use crate::i18n::common::CommonText;
use crate::i18n::{t, use_lang};
use crate::view_model::{progress_fraction, progress_text};

#[component]
pub fn ProgressPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = use_lang();
    move || {
        state.progress.get().map(|p| {
            let percent = format!("{:.0}%", progress_fraction(p.done, p.total) * 100.0);
            view! {
                <div class="progress" data-testid="progress" role="status" aria-live="polite">
                    <div class="progress-text">{progress_text(&p.stage, p.done, p.total, p.bytes_read, lang.get())}</div>
                    <div class="progress-track"><div class="progress-bar" style:width=percent></div></div>
                </div>
            }
        })
    }
}

#[component]
pub fn ErrorBanner() -> impl IntoView {
    let state = expect_context::<AppState>();
    move || {
        state.error.get().map(|e| {
            view! {
                <div class="error" data-testid="error" role="alert" data-path=e.path.clone().unwrap_or_default()>
                    <strong>{t(CommonText::CouldNotOpen)}</strong>
                    <span>{e.message.clone()}</span>
                    <button class="link" on:click=move |_| state.error.set(None)>{t(CommonText::Dismiss)}</button>
                </div>
            }
        })
    }
}
