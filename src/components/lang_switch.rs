//! The language switch in the top bar: English / 日本語, remembered across visits.

use leptos::prelude::*;

use crate::i18n::common::CommonText;
use crate::i18n::{lang_name, t, use_lang, Lang};

#[component]
pub fn LangSwitch() -> impl IntoView {
    let lang = use_lang();
    view! {
        <select class="lang-switch" data-testid="lang-switch" aria-label=t(CommonText::LanguageLabel)
            data-lang=move || lang.get().code() prop:value=move || lang.get().code()
            on:change=move |ev| {
                if let Ok(chosen) = event_target_value(&ev).parse::<Lang>() {
                    lang.set(chosen);
                }
            }>
            {Lang::ALL.iter().map(|&option| view! {
                <option value=option.code() selected=move || lang.get() == option>{lang_name(option)}</option>
            }).collect_view()}
        </select>
    }
}
