//! The page's language as a signal in context: started from `localStorage` or the browser's
//! language, and on every change saved and written to `<html lang>`.

use leptos::prelude::*;

use super::{initial_lang, Lang, Text, LANG_STORAGE_KEY};

/// The UI's language (a `Copy` handle on a signal), provided by `App`.
#[derive(Debug, Clone, Copy)]
pub struct UiLang(RwSignal<Lang>);

impl UiLang {
    /// The language, tracked (views re-render when it changes).
    pub fn get(self) -> Lang {
        self.0.get()
    }

    pub fn get_untracked(self) -> Lang {
        self.0.get_untracked()
    }

    /// Switches the language, remembers it and updates `<html lang>`.
    pub fn set(self, lang: Lang) {
        self.0.set(lang);
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = storage.set_item(LANG_STORAGE_KEY, lang.code());
        }
        set_document_lang(lang);
    }
}

fn set_document_lang(lang: Lang) {
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute("lang", lang.code());
    }
}

fn startup_lang() -> Lang {
    let window = web_sys::window();
    let remembered = window
        .as_ref()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|storage| storage.get_item(LANG_STORAGE_KEY).ok().flatten());
    let browser = window.as_ref().and_then(|w| w.navigator().language());
    initial_lang(remembered.as_deref(), browser.as_deref())
}

/// Creates the language signal from the remembered choice and provides it in context.
pub fn provide_lang() -> UiLang {
    let lang = startup_lang();
    set_document_lang(lang);
    let ui_lang = UiLang(RwSignal::new(lang));
    provide_context(ui_lang);
    ui_lang
}

/// The UI's language (provided by `App`).
pub fn use_lang() -> UiLang {
    expect_context::<UiLang>()
}

/// An entry as a reactive text that follows the language switch: `{t(HomeText::Title)}`, or as an
/// attribute value: `title=t(CommonText::PrivacyHint)`.
pub fn t<T: Text + Send + Sync + 'static>(text: T) -> impl Fn() -> String + Send + Sync + Clone + 'static {
    let lang = use_lang();
    let text = std::sync::Arc::new(text);
    move || text.text(lang.get())
}

/// The language the page is shown in, read from `<html lang>` (kept in step with the switch): for
/// code outside a reactive owner, such as event handlers and async tasks.
pub fn document_lang() -> Lang {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|root| root.get_attribute("lang"))
        .and_then(|code| code.parse().ok())
        .unwrap_or_default()
}
