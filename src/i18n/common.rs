//! Strings of the app shell (top bar, navigation, errors, progress) and words used across pages.

use super::{format_bytes, format_integer, Lang, Text};

catalogue! {
    /// Fixed strings of the top bar, the error banner and the progress panel.
    pub enum CommonText {
        NavRules => "Rules", "ルール一覧";
        PrivacyPill => "Local only · nothing leaves this browser", "ローカルのみ · データはこのブラウザから出ません";
        PrivacyHint => "Files are read inside this browser tab. Nothing is uploaded.",
            "ファイルはこのブラウザのタブ内で読み込まれます。何もアップロードされません。";
        Back => "← Back", "← 戻る";
        LanguageLabel => "Language", "表示言語";
        CouldNotOpen => "Could not open the dataset. ", "データセットを開けませんでした。";
        Dismiss => "Dismiss", "閉じる";
        EmptyFolder => "The folder is empty.", "フォルダが空です。";
    }
}

/// Sentences of the progress panel and errors made on the page.
#[derive(Debug, Clone, PartialEq)]
pub enum CommonSentence {
    /// `Reading episode metadata (2 of 5) · 2.0 kB read`: a worker stage (`info`, `tasks`,
    /// `episodes`, `done`, or any other name), the step and the bytes read so far.
    Progress { stage: String, done: u64, total: u64, bytes_read: u64 },
    /// The worker answered something the page did not expect.
    UnexpectedAnswer { answer: String },
    /// A deep link names an example that is not bundled.
    NoSuchExample { id: String },
    /// A dropped folder could not be read.
    DropUnreadable { reason: String },
}

impl Text for CommonSentence {
    fn text(&self, lang: Lang) -> String {
        match self {
            CommonSentence::Progress { stage, done, total, bytes_read } => {
                if let Some(path) = stage.strip_prefix("scan:") {
                    // A recording without a summary, scanned from the start: done/total are bytes.
                    let percent = (*done).min(*total).saturating_mul(100).checked_div(*total).unwrap_or(0);
                    let read = format_bytes(*bytes_read, lang);
                    return match lang {
                        Lang::En => {
                            format!("Scanning {path} record by record (it has no summary): {percent}% · {read} read")
                        }
                        Lang::Ja => format!(
                            "{path} を先頭から順に走査中（サマリーがありません）: {percent}% · {read} 読み込み済み"
                        ),
                    };
                }
                let stage_text = match (stage.as_str(), lang) {
                    ("recordings", Lang::En) => "Opening recordings".to_string(),
                    ("recordings", Lang::Ja) => "記録ファイルを開いています".to_string(),
                    ("info", Lang::En) => "Reading meta/info.json".to_string(),
                    ("info", Lang::Ja) => "meta/info.json を読み込み中".to_string(),
                    ("tasks", Lang::En) => "Reading tasks".to_string(),
                    ("tasks", Lang::Ja) => "タスクを読み込み中".to_string(),
                    ("episodes", Lang::En) => "Reading episode metadata".to_string(),
                    ("episodes", Lang::Ja) => "エピソードのメタデータを読み込み中".to_string(),
                    ("done", Lang::En) => "Finishing".to_string(),
                    ("done", Lang::Ja) => "仕上げ中".to_string(),
                    (other, Lang::En) => format!("Reading {other}"),
                    (other, Lang::Ja) => format!("{other} を読み込み中"),
                };
                let (done, total) = (*done, *total);
                let step = (done.min(total) + 1).min(total.max(1));
                let count = match (total > 1, lang) {
                    (false, _) => String::new(),
                    (true, Lang::En) => format!(" ({} of {})", format_integer(step), format_integer(total)),
                    (true, Lang::Ja) => format!("（{} / {}）", format_integer(step), format_integer(total)),
                };
                let read = format_bytes(*bytes_read, lang);
                match lang {
                    Lang::En => format!("{stage_text}{count} · {read} read"),
                    Lang::Ja => format!("{stage_text}{count} · {read} 読み込み済み"),
                }
            }
            CommonSentence::UnexpectedAnswer { answer } => match lang {
                Lang::En => format!("unexpected answer from the reader: {answer}"),
                Lang::Ja => format!("読み込み処理から予期しない応答がありました: {answer}"),
            },
            CommonSentence::NoSuchExample { id } => match lang {
                Lang::En => format!("There is no bundled example called “{id}”."),
                Lang::Ja => format!("「{id}」という同梱サンプルはありません。"),
            },
            CommonSentence::DropUnreadable { reason } => match lang {
                Lang::En => format!("Could not read the dropped folder: {reason}"),
                Lang::Ja => format!("ドロップされたフォルダを読み込めませんでした: {reason}"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::assert_translated;

    #[test]
    fn every_entry_is_translated() {
        assert_translated(CommonText::ALL);
        assert_translated(&[
            CommonSentence::Progress { stage: "episodes".into(), done: 1, total: 5, bytes_read: 2048 },
            CommonSentence::Progress { stage: "recordings".into(), done: 1, total: 5, bytes_read: 2048 },
            CommonSentence::Progress { stage: "scan:a.mcap".into(), done: 1, total: 5, bytes_read: 2048 },
            CommonSentence::UnexpectedAnswer { answer: "x".into() },
            CommonSentence::NoSuchExample { id: "x".into() },
            CommonSentence::DropUnreadable { reason: "x".into() },
        ]);
    }

    #[test]
    fn progress_reads_naturally_in_both_languages() {
        let progress =
            |stage: &str, done, total| CommonSentence::Progress { stage: stage.into(), done, total, bytes_read: 2048 };
        assert_eq!(progress("episodes", 1, 5).text(Lang::En), "Reading episode metadata (2 of 5) · 2.0 kB read");
        assert_eq!(
            progress("episodes", 1, 5).text(Lang::Ja),
            "エピソードのメタデータを読み込み中（2 / 5） · 2.0 kB 読み込み済み"
        );
        assert_eq!(progress("info", 0, 1).text(Lang::En), "Reading meta/info.json · 2.0 kB read");
        assert_eq!(progress("videos", 9, 5).text(Lang::En), "Reading videos (5 of 5) · 2.0 kB read");
        assert_eq!(progress("recordings", 1, 3).text(Lang::En), "Opening recordings (2 of 3) · 2.0 kB read");
        assert_eq!(
            progress("scan:run/crashed.mcap", 3 << 20, 4 << 20).text(Lang::En),
            "Scanning run/crashed.mcap record by record (it has no summary): 75% · 2.0 kB read"
        );
        assert_eq!(
            progress("scan:a.mcap", 1, 4).text(Lang::Ja),
            "a.mcap を先頭から順に走査中（サマリーがありません）: 25% · 2.0 kB 読み込み済み"
        );
        assert_eq!(progress("scan:empty.mcap", 0, 0).text(Lang::En).split(':').nth(1), Some(" 0% · 2.0 kB read"));
    }
}
