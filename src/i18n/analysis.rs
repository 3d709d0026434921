//! Strings of the statistics panel, the report page and the comparison page. Column names, stage
//! names and the reasons the core gives stay as the data and the core write them.

use super::{count_phrase, format_bytes, format_integer, Lang, Text, Unit};

catalogue! {
    /// Fixed strings of the statistics panel, the report page and the comparison page.
    pub enum AnalysisText {
        // Statistics panel.
        StatsTitle => "Statistics", "統計";
        OpenReport => "Plain-language report →", "わかりやすいレポート →";
        ReadingColumn => "Reading column", "列を読み込み中";
        StatsCancelled => "Cancelled. Nothing was kept.", "中止しました。何も保持していません。";
        StatsIntro => "Exact statistics over every frame (not a sample), read one column at a time in this browser tab.",
            "サンプリングではなく全フレームの正確な統計を、このブラウザのタブ内で 1 列ずつ読み込んで計算します。";
        ComputeStats => "Compute statistics", "統計を計算";
        PerDimension => "Per dimension", "次元ごと";
        Charts => "Charts", "グラフ";
        ChartLeftOut => "A chart was left out: it did not pass the page's safety check.",
            "グラフを 1 つ省きました。ページの安全性チェックを通らなかったためです。";
        Cancel => "Cancel", "中止";
        // Table columns (statistics and drift).
        ColumnFeature => "Feature", "特徴量";
        ColumnDim => "Dim", "次元";
        ColumnName => "Name", "名前";
        ColumnCount => "Count", "個数";
        ColumnMin => "Min", "最小";
        ColumnMax => "Max", "最大";
        ColumnMean => "Mean", "平均";
        ColumnStd => "Std", "標準偏差";
        ColumnStat => "Stat", "統計量";
        ColumnStored => "Stored", "保存値";
        ColumnComputed => "Computed", "計算値";
        ColumnDifference => "|Difference|", "|差|";
        ColumnTolerance => "Tolerance", "許容差";
        ColumnAgrees => "Agrees", "一致";
        // Drift against the stored stats.
        DriftTitle => "Stored stats against the data", "保存された統計とデータの照合";
        DriftIncomplete => "Some frames could not be read, so disagreements are shown but not reported as findings.",
            "読み込めないフレームがあったため、不一致は表示しますが指摘事項には加えていません。";
        AgreesYes => "yes", "一致";
        AgreesNo => "NO", "不一致";
        NotJudged => "not judged", "判定なし";
        QuantilesNotJudged => "Stored quantiles are not judged: LeRobot stores for the dataset the frame-weighted mean of the episodes' quantiles, which is not a quantile of the data.",
            "保存された分位点は判定しません。LeRobot はデータセット全体の分位点として、エピソードごとの分位点のフレーム数による加重平均を保存しており、データの分位点ではないためです。";
        NotCompared => "Not compared:", "照合していないもの：";
        // Report page.
        BackToDataset => "← Back to the dataset", "← データセットに戻る";
        DownloadHtml => "Download HTML", "HTML をダウンロード";
        DownloadJson => "Download JSON", "JSON をダウンロード";
        Print => "Print", "印刷";
        OpenDatasetForReport => "Open a dataset to see its report.", "データセットを開くとレポートが表示されます。";
        PreparingReport => "Preparing the report", "レポートを作成中";
        ReportCancelled => "Cancelled.", "中止しました。";
        PrepareReport => "Prepare the report", "レポートを作成";
        // Comparison page.
        NavCompare => "Compare", "比較";
        CompareTitle => "Compare datasets", "データセットを比較";
        CompareIntroBefore => "Side by side from their reports: pick JSON reports (made here or by ",
            "レポートだけで並べて比較します。JSON レポート（ここで作成したもの、または ";
        CompareIntroAfter => "), no data needed, or add the dataset that is open. Nothing is uploaded.",
            " で作成したもの）を選ぶか、開いているデータセットを追加してください。データは不要で、何もアップロードされません。";
        JsonReports => "JSON reports", "JSON レポート";
        AddOpenDataset => "Add the open dataset", "開いているデータセットを追加";
        PreparingOpenReport => "Preparing the open dataset's report…", "開いているデータセットのレポートを作成中…";
        Clear => "Clear", "すべて消去";
        NoReportYet => "No report added yet.", "まだレポートが追加されていません。";
        Remove => "Remove", "削除";
        ColumnDataset => "Dataset", "データセット";
        ColumnVersion => "Version", "バージョン";
        ColumnRobot => "Robot", "ロボット";
        ColumnEpisodes => "Episodes", "エピソード数";
        ColumnRecorded => "Recorded", "記録時間";
        ColumnTasks => "Tasks", "タスク数";
        ColumnCameras => "Cameras", "カメラ数";
        ColumnVerdict => "Verdict", "判定";
        ColumnErrors => "Errors", "エラー";
        ColumnWarnings => "Warnings", "警告";
    }
}

/// A worker stage as shown: a column name as it is; the report's check stages (`check files`,
/// `check episodes`, made by the worker) in the page's language.
fn stage_text(stage: &str, lang: Lang) -> String {
    match (stage.strip_prefix("check "), lang) {
        (Some("files"), Lang::Ja) => "ファイルを検査中".to_string(),
        (Some("episodes"), Lang::Ja) => "エピソードを検査中".to_string(),
        (Some(other), Lang::Ja) => format!("検査中（{other}）"),
        _ => stage.to_string(),
    }
}

/// Sentences of the statistics panel, the report page and the comparison page.
#[derive(Debug, Clone, PartialEq)]
pub enum AnalysisSentence {
    /// A running job's line: what it does, the column or stage, how far and the bytes read so far
    /// (`done`/`total` of 0 when not known yet; `stage` `None` before the first progress).
    JobProgress { what: AnalysisText, stage: Option<String>, done: u64, total: u64, bytes_read: u64 },
    /// What the statistics were computed from.
    StatsSummary { frames: u64, data_files: u64, bytes_read: u64, features: u64 },
    /// The drift summary: `outside` of `compared` stored values in `stored_path` disagree.
    DriftSummary { outside: u64, compared: u64, stored_path: String, aggregated_from_episodes: bool },
    /// The drift table's summary line.
    ComparedValues { rows: u64 },
    /// Drift rows left out of the table.
    MoreRowsNotListed { rows: u64 },
    /// Reports past the comparison's limit were left out.
    TooManyReports { max_reports: u64 },
}

impl Text for AnalysisSentence {
    fn text(&self, lang: Lang) -> String {
        match self {
            AnalysisSentence::JobProgress { what, stage, done, total, bytes_read } => {
                let what = what.str(lang);
                let stage = stage.as_deref().map(|stage| stage_text(stage, lang));
                match (stage, lang) {
                    (None, Lang::En) => format!("{what}: starting…"),
                    (None, Lang::Ja) => format!("{what}：開始中…"),
                    (Some(stage), _) if *total == 0 => match lang {
                        Lang::En => format!("{what}: {stage}"),
                        Lang::Ja => format!("{what}：{stage}"),
                    },
                    (Some(stage), _) => {
                        let percent = (100.0 * crate::analysis::progress_fraction(*done, *total)).round();
                        let read = format_bytes(*bytes_read, lang);
                        match lang {
                            Lang::En => format!("{what}: {stage} ({percent:.0}% done, {read} read)"),
                            Lang::Ja => format!("{what}：{stage}（{percent:.0}% 完了、{read} 読み込み済み）"),
                        }
                    }
                }
            }
            AnalysisSentence::StatsSummary { frames, data_files, bytes_read, features } => {
                let read = format_bytes(*bytes_read, lang);
                let (files_n, features_n) = (format_integer(*data_files), format_integer(*features));
                match lang {
                    Lang::En => format!(
                        "{} read from {files_n} data file{} ({read}); {features_n} feature{}.",
                        count_phrase(*frames, Unit::Frame, lang),
                        if *data_files == 1 { "" } else { "s" },
                        if *features == 1 { "" } else { "s" },
                    ),
                    Lang::Ja => format!(
                        "{files_n} 個のデータファイル（{read}）から {}を読み込みました。特徴量は {features_n} 個です。",
                        count_phrase(*frames, Unit::Frame, lang),
                    ),
                }
            }
            AnalysisSentence::DriftSummary { outside, compared, stored_path, aggregated_from_episodes } => {
                let (outside_n, compared_n) = (format_integer(*outside), format_integer(*compared));
                match (lang, *outside == 0) {
                    (Lang::En, true) => format!(
                        "{compared_n} stored values in {stored_path} agree with the data, within the checker's tolerances{}.",
                        if *aggregated_from_episodes { " (per-episode stats aggregated)" } else { "" }
                    ),
                    (Lang::En, false) => format!(
                        "{outside_n} of {compared_n} stored values in {stored_path} disagree with the data{}; they are listed first and added to the conformance findings.",
                        if *aggregated_from_episodes { " (per-episode stats aggregated)" } else { "" }
                    ),
                    (Lang::Ja, true) => format!(
                        "{stored_path} の保存値 {compared_n} 個はすべて、検査の許容差の範囲でデータと一致しています{}。",
                        if *aggregated_from_episodes { "（エピソードごとの統計を集計）" } else { "" }
                    ),
                    (Lang::Ja, false) => format!(
                        "{stored_path} の保存値 {compared_n} 個のうち {outside_n} 個がデータと一致しません{}。一覧の先頭に示し、適合性の指摘事項に加えました。",
                        if *aggregated_from_episodes { "（エピソードごとの統計を集計）" } else { "" }
                    ),
                }
            }
            AnalysisSentence::ComparedValues { rows } => match lang {
                Lang::En => format!("{} compared values", format_integer(*rows)),
                Lang::Ja => format!("照合した値 {} 個", format_integer(*rows)),
            },
            AnalysisSentence::MoreRowsNotListed { rows } => match lang {
                Lang::En => format!("{} more rows not listed.", format_integer(*rows)),
                Lang::Ja => format!("ほかに {} 行あります（一覧には載せていません）。", format_integer(*rows)),
            },
            AnalysisSentence::TooManyReports { max_reports } => match lang {
                Lang::En => format!("At most {max_reports} reports are compared; the rest were left out."),
                Lang::Ja => format!("比較できるレポートは {max_reports} 件までです。残りは追加しませんでした。"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_is_translated() {
        super::super::assert_translated(AnalysisText::ALL);
    }

    #[test]
    fn sentences_read_in_both_languages() {
        let summary = AnalysisSentence::StatsSummary { frames: 1_200, data_files: 1, bytes_read: 2_000, features: 7 };
        assert_eq!(summary.text(Lang::En), "1,200 frames read from 1 data file (2.0 kB); 7 features.");
        assert_eq!(
            summary.text(Lang::Ja),
            "1 個のデータファイル（2.0 kB）から 1,200 フレームを読み込みました。特徴量は 7 個です。"
        );
        let progress = AnalysisSentence::JobProgress {
            what: AnalysisText::ReadingColumn,
            stage: Some("action".into()),
            done: 1,
            total: 4,
            bytes_read: 1_000,
        };
        assert_eq!(progress.text(Lang::En), "Reading column: action (25% done, 1.0 kB read)");
        assert_eq!(progress.text(Lang::Ja), "列を読み込み中：action（25% 完了、1.0 kB 読み込み済み）");
        let starting = AnalysisSentence::JobProgress {
            what: AnalysisText::PreparingReport,
            stage: None,
            done: 0,
            total: 0,
            bytes_read: 0,
        };
        assert_eq!(starting.text(Lang::En), "Preparing the report: starting…");
        let checking = AnalysisSentence::JobProgress {
            what: AnalysisText::PreparingReport,
            stage: Some("check files".into()),
            done: 0,
            total: 0,
            bytes_read: 0,
        };
        assert_eq!(checking.text(Lang::En), "Preparing the report: check files");
        assert_eq!(checking.text(Lang::Ja), "レポートを作成中：ファイルを検査中");
        let drift = AnalysisSentence::DriftSummary {
            outside: 2,
            compared: 40,
            stored_path: "meta/stats.json".into(),
            aggregated_from_episodes: false,
        };
        assert!(drift.text(Lang::En).starts_with("2 of 40 stored values in meta/stats.json disagree"));
        assert!(drift.text(Lang::Ja).contains("40 個のうち 2 個"));
        assert!(AnalysisSentence::TooManyReports { max_reports: 8 }.text(Lang::Ja).contains("8 件まで"));
    }
}
