//! Strings of a dataset's overview: summary facts, problems, tasks, files, features and the
//! episode browser.

use super::{format_integer, Lang, Text};

catalogue! {
    /// Fixed strings of the overview page.
    pub enum OverviewText {
        Format => "Format", "フォーマット";
        Robot => "Robot", "ロボット";
        Fps => "FPS", "フレームレート";
        Episodes => "Episodes", "エピソード";
        Frames => "Frames", "フレーム数";
        Duration => "Duration", "長さ";
        Tasks => "Tasks", "タスク";
        Cameras => "Cameras", "カメラ";
        Size => "Size", "サイズ";
        NoCameras => "none", "なし";
        OpenAnother => "Open another dataset", "別のデータセットを開く";
        Task => "Task", "タスク";
        Files => "Files", "ファイル";
        Folder => "Folder", "フォルダ";
        Features => "Features", "特徴量";
        Name => "Name", "名前";
        Type => "Type", "型";
        Shape => "Shape", "形状";
        Dimensions => "Dimensions", "次元";
    }
}

catalogue! {
    /// Fixed strings of the episode browser on the overview.
    pub enum EpisodeListText {
        Episode => "Episode", "エピソード";
        Frames => "Frames", "フレーム数";
        Duration => "Duration", "長さ";
        Findings => "Findings", "指摘";
        Tasks => "Tasks", "タスク";
        SearchPlaceholder => "Search tasks or an episode number", "タスクまたはエピソード番号で検索";
        SearchLabel => "Search episodes", "エピソードを検索";
        TaskLabel => "Task", "タスク";
        AllTasks => "All tasks", "すべてのタスク";
        FramesAtLeast => "Frames ≥ ", "フレーム数 ≥ ";
        WithFindings => " with findings", " 指摘ありのみ";
        SortLabel => "Sort by", "並べ替え";
        SortEpisode => "Sort: episode", "並べ替え：エピソード順";
        SortLongest => "Longest first", "長い順";
        SortShortest => "Shortest first", "短い順";
        SortMostFindings => "Most findings first", "指摘の多い順";
        SortTask => "Task A–Z", "タスク名順";
        RowTitle => "Open this episode (Enter)", "このエピソードを開く（Enter）";
        NoMatch => "No episode matches these filters.", "条件に一致するエピソードはありません。";
        KeyboardHelp => "↑/↓ or j/k move between episodes, Enter opens one; in an episode, PageUp/PageDown go to the previous/next.",
            "↑/↓ または j/k でエピソード間を移動し、Enter で開きます。エピソード表示中は PageUp/PageDown で前後へ移動します。";
    }
}

/// Sentences of the overview page and the episode browser.
#[derive(Debug, Clone, PartialEq)]
pub enum OverviewSentence {
    /// `990 (info.json says 1000)`: a count found, with the declared one when they differ.
    Declared { found: u64, declared: Option<u64> },
    /// `1.2 MB · 12 files`.
    SizeAndFiles { size: String, files: u64 },
    /// `cameras: front, wrist`.
    CamerasList { cameras: String },
    /// `stats: meta/stats.json`.
    StatsList { files: String },
    /// `2 problems found while reading`.
    ProblemsFound { problems: u64 },
    /// `All 12 files`.
    AllFiles { files: u64 },
    /// `Episodes (5)` or `Episodes (2 of 5)`.
    EpisodesHeading { shown: u64, total: u64 },
    /// `Open episode 3`.
    OpenEpisode { episode: u64 },
    /// `Show more (500 not shown)`.
    ShowMore { hidden: u64 },
}

impl Text for OverviewSentence {
    fn text(&self, lang: Lang) -> String {
        let n = |value: u64| format_integer(value);
        match (self, lang) {
            (OverviewSentence::Declared { found, declared: Some(d) }, Lang::En) if d != found => {
                format!("{} (info.json says {})", n(*found), n(*d))
            }
            (OverviewSentence::Declared { found, declared: Some(d) }, Lang::Ja) if d != found => {
                format!("{}（info.json では {}）", n(*found), n(*d))
            }
            (OverviewSentence::Declared { found, .. }, _) => n(*found),
            (OverviewSentence::SizeAndFiles { size, files }, Lang::En) => format!("{size} · {} files", n(*files)),
            (OverviewSentence::SizeAndFiles { size, files }, Lang::Ja) => format!("{size} · {} ファイル", n(*files)),
            (OverviewSentence::CamerasList { cameras }, Lang::En) => format!("cameras: {cameras}"),
            (OverviewSentence::CamerasList { cameras }, Lang::Ja) => format!("カメラ：{cameras}"),
            (OverviewSentence::StatsList { files }, Lang::En) => format!("stats: {files}"),
            (OverviewSentence::StatsList { files }, Lang::Ja) => format!("統計：{files}"),
            (OverviewSentence::ProblemsFound { problems }, Lang::En) => {
                format!("{} problem{} found while reading", n(*problems), if *problems == 1 { "" } else { "s" })
            }
            (OverviewSentence::ProblemsFound { problems }, Lang::Ja) => {
                format!("読み込み中に {} 件の問題が見つかりました", n(*problems))
            }
            (OverviewSentence::AllFiles { files }, Lang::En) => format!("All {} files", n(*files)),
            (OverviewSentence::AllFiles { files }, Lang::Ja) => format!("全 {} ファイル", n(*files)),
            (OverviewSentence::EpisodesHeading { shown, total }, Lang::En) if shown == total => {
                format!("Episodes ({})", n(*total))
            }
            (OverviewSentence::EpisodesHeading { shown, total }, Lang::En) => {
                format!("Episodes ({} of {})", n(*shown), n(*total))
            }
            (OverviewSentence::EpisodesHeading { shown, total }, Lang::Ja) if shown == total => {
                format!("エピソード（{}）", n(*total))
            }
            (OverviewSentence::EpisodesHeading { shown, total }, Lang::Ja) => {
                format!("エピソード（{} / {}）", n(*shown), n(*total))
            }
            (OverviewSentence::OpenEpisode { episode }, Lang::En) => format!("Open episode {episode}"),
            (OverviewSentence::OpenEpisode { episode }, Lang::Ja) => format!("エピソード {episode} を開く"),
            (OverviewSentence::ShowMore { hidden }, Lang::En) => format!("Show more ({} not shown)", n(*hidden)),
            (OverviewSentence::ShowMore { hidden }, Lang::Ja) => format!("さらに表示（残り {} 件）", n(*hidden)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::assert_translated;

    #[test]
    fn every_entry_is_translated() {
        assert_translated(OverviewText::ALL);
        assert_translated(EpisodeListText::ALL);
        assert_translated(&[
            OverviewSentence::Declared { found: 990, declared: Some(1000) },
            OverviewSentence::SizeAndFiles { size: "1.2 MB".into(), files: 12 },
            OverviewSentence::CamerasList { cameras: "front".into() },
            OverviewSentence::StatsList { files: "meta/stats.json".into() },
            OverviewSentence::ProblemsFound { problems: 2 },
            OverviewSentence::AllFiles { files: 12 },
            OverviewSentence::EpisodesHeading { shown: 2, total: 5 },
            OverviewSentence::EpisodesHeading { shown: 5, total: 5 },
            OverviewSentence::OpenEpisode { episode: 3 },
            OverviewSentence::ShowMore { hidden: 500 },
        ]);
    }

    #[test]
    fn counts_read_naturally_in_both_languages() {
        let declared = |found, declared| OverviewSentence::Declared { found, declared };
        assert_eq!(declared(990, Some(1000)).text(Lang::En), "990 (info.json says 1,000)");
        assert_eq!(declared(990, Some(1000)).text(Lang::Ja), "990（info.json では 1,000）");
        assert_eq!(declared(990, Some(990)).text(Lang::Ja), "990");
        assert_eq!(declared(1234, None).text(Lang::En), "1,234");
        assert_eq!(OverviewSentence::ProblemsFound { problems: 1 }.text(Lang::En), "1 problem found while reading");
        assert_eq!(OverviewSentence::EpisodesHeading { shown: 5, total: 5 }.text(Lang::En), "Episodes (5)");
        assert_eq!(OverviewSentence::EpisodesHeading { shown: 2, total: 5 }.text(Lang::Ja), "エピソード（2 / 5）");
    }
}
