//! The UI's languages (English, Japanese): per-area catalogues of every string the page shows, the
//! remembered language choice, and number/date formatting per language (shared with the report).
//!
//! # The pattern
//!
//! Each area of the UI has its own catalogue submodule (`common`, `home`, `overview`, …); to add
//! one, create `src/i18n/<area>.rs`, add `pub mod <area>;` below, and nothing else of this module
//! changes. Fixed strings are declared with [`catalogue!`]: every entry needs its English and its
//! Japanese text or the crate does not compile, and the macro lists every entry in `ALL` for the
//! catalogue's unit test ([`assert_translated`]). Sentences with numbers or names are a plain enum
//! with fields and a hand-written [`Text`] impl (one exhaustive `match` per language). In a
//! component, [`t`] turns an entry into a reactive `Fn() -> String` that follows the language
//! switch, and [`use_lang`] gives the language signal for formatting numbers and dates:
//!
//! ```ignore
//! // src/i18n/stats.rs
//! use super::{Lang, Text}; // `catalogue!` is in scope in every submodule declared below it
//! catalogue! {
//!     /// Fixed strings of the statistics panel.
//!     pub enum StatsText {
//!         Title => "Statistics", "統計";
//!     }
//! }
//! /// Sentences of the statistics panel.
//! pub enum StatsSentence { Rows { rows: u64 } }
//! impl Text for StatsSentence {
//!     fn text(&self, lang: Lang) -> String {
//!         match (self, lang) {
//!             (StatsSentence::Rows { rows }, Lang::En) => format!("{} rows", super::format_integer(*rows)),
//!             (StatsSentence::Rows { rows }, Lang::Ja) => format!("{} 行", super::format_integer(*rows)),
//!         }
//!     }
//! }
//! #[cfg(test)]
//! #[test]
//! fn every_entry_is_translated() { super::assert_translated(StatsText::ALL); }
//!
//! // In a component:
//! let lang = use_lang();
//! view! {
//!     <h2>{t(StatsText::Title)}</h2>
//!     <p>{move || StatsSentence::Rows { rows }.text(lang.get())}</p>
//!     <p>{move || format_duration(secs, lang.get())}</p>
//! }
//! ```

pub use episcope_report::i18n::{
    count_phrase, format_bytes, format_date, format_decimal, format_duration, format_fps, format_integer,
    format_significant, Date, Lang, Unit,
};

/// Defines a catalogue of fixed strings: an enum of field-less entries, each with its English and
/// Japanese text (a missing one does not compile), `ALL` (every entry), `str(lang)` and [`Text`].
macro_rules! catalogue {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $( $(#[$doc:meta])* $variant:ident => $en:expr, $ja:expr; )* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$doc])* $variant, )*
        }

        impl $name {
            /// Every entry of the catalogue.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )* ];

            /// The entry's text in `lang`.
            pub fn str(self, lang: $crate::i18n::Lang) -> &'static str {
                match lang {
                    $crate::i18n::Lang::En => match self { $( $name::$variant => $en, )* },
                    $crate::i18n::Lang::Ja => match self { $( $name::$variant => $ja, )* },
                }
            }
        }

        impl $crate::i18n::Text for $name {
            fn text(&self, lang: $crate::i18n::Lang) -> String {
                self.str(lang).to_string()
            }
        }
    };
}

pub mod analysis;
pub mod common;
pub mod conformance;
pub mod convert;
pub mod episode;
pub mod home;
pub mod overview;
pub mod recording;
pub mod robot;

#[cfg(target_arch = "wasm32")]
mod reactive;
#[cfg(target_arch = "wasm32")]
pub use reactive::{document_lang, provide_lang, t, use_lang, UiLang};

/// Something the UI shows, in either language.
pub trait Text {
    /// The text in `lang`.
    fn text(&self, lang: Lang) -> String;
}

/// Where the chosen language is remembered (`localStorage`).
pub const LANG_STORAGE_KEY: &str = "episcope.lang";

/// The language to start in: the remembered choice, else the browser's language when it is
/// Japanese, else English.
pub fn initial_lang(remembered: Option<&str>, browser_language: Option<&str>) -> Lang {
    if let Some(lang) = remembered.and_then(|code| code.parse::<Lang>().ok()) {
        return lang;
    }
    match browser_language.map(|code| code.parse::<Lang>()) {
        Some(Ok(Lang::Ja)) => Lang::Ja,
        _ => Lang::En,
    }
}

/// A language's own name, as the language switch lists it (`English`, `日本語`).
pub fn lang_name(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "English",
        Lang::Ja => "日本語",
    }
}

/// Asserts that every entry has non-empty English and Japanese texts, that they differ, and that
/// the Japanese is not plain ASCII (i.e. was actually translated).
#[cfg(test)]
pub(crate) fn assert_translated<T: Text + std::fmt::Debug>(entries: &[T]) {
    assert!(!entries.is_empty(), "an empty catalogue");
    for entry in entries {
        let (en, ja) = (entry.text(Lang::En), entry.text(Lang::Ja));
        assert!(!en.trim().is_empty(), "{entry:?} has no English text");
        assert!(!ja.trim().is_empty(), "{entry:?} has no Japanese text");
        assert_ne!(en, ja, "{entry:?} is not translated");
        assert!(!ja.is_ascii(), "{entry:?}: the Japanese text is plain ASCII: {ja}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_remembered_choice_wins_then_a_japanese_browser_then_english() {
        assert_eq!(initial_lang(Some("ja"), Some("en-US")), Lang::Ja);
        assert_eq!(initial_lang(Some("en"), Some("ja-JP")), Lang::En);
        assert_eq!(initial_lang(None, Some("ja-JP")), Lang::Ja);
        assert_eq!(initial_lang(None, Some("ja")), Lang::Ja);
        assert_eq!(initial_lang(None, Some("fr-FR")), Lang::En);
        assert_eq!(initial_lang(Some("garbage"), Some("ja")), Lang::Ja);
        assert_eq!(initial_lang(None, None), Lang::En);
    }

    #[test]
    fn languages_are_listed_by_their_own_names() {
        assert_eq!(lang_name(Lang::En), "English");
        assert_eq!(lang_name(Lang::Ja), "日本語");
    }

    #[test]
    fn formatting_follows_the_language() {
        assert_eq!(format_duration(330.0, Lang::Ja), "5.5 分");
        assert_eq!(format_date(Date { year: 2026, month: 11, day: 25 }, Lang::Ja), "2026年11月25日");
        assert_eq!(format_integer(1_234_567), "1,234,567");
    }
}
