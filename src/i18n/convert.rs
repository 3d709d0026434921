//! Strings of the conversion panel (a dataset or recording → LeRobot v3.0, in the browser).

use super::{format_bytes, format_integer, Lang, Text};

catalogue! {
    /// Fixed strings of the conversion panel.
    pub enum ConvertText {
        Title => "Convert to LeRobot v3.0", "LeRobot v3.0 に変換";
        IntroDataset => "Rewrites this dataset in the LeRobot v3.0 layout (also re-chunks a v3.0 dataset) inside this browser tab, writes it into a folder you pick or one zip file, and checks the result. Nothing is uploaded.",
            "このデータセットを LeRobot v3.0 の形式に書き直し（v3.0 のファイル分割のやり直しにも使えます）、このブラウザのタブ内で、選んだフォルダーまたは 1 つの zip ファイルに書き出して、結果を検査します。何もアップロードしません。";
        IntroRecording => "Converts this recording by the mapping below (suggested: joint states → observation.state, commands → action, colour cameras → video, or PNG images where this browser cannot encode H.264) inside this browser tab, writes it into a folder you pick or one zip file, and checks the result. Nothing is uploaded.",
            "下のマッピング（推奨：関節状態 → observation.state、指令 → action、カラーカメラ → 動画、このブラウザが H.264 を符号化できない場合は PNG 画像）でこの記録をこのブラウザのタブ内で変換し、選んだフォルダーまたは 1 つの zip ファイルに書き出して、結果を検査します。何もアップロードしません。";
        FileSize => "Data file size (MB)", "データファイルの大きさ（MB）";
        ChunkSize => "Files per chunk", "チャンクあたりのファイル数";
        Start => "Convert", "変換";
        Converting => "Converting", "変換中";
        Cancelled => "Cancelled. Nothing was kept: a folder being written was removed.", "中止しました。何も残していません（書き込み中のフォルダーは削除しました）。";
        Destination => "Where it goes", "出力先";
        IntoFolder => "Into a folder I pick", "選んだフォルダーへ";
        IntoZip => "One zip download", "1 つの zip ファイルとしてダウンロード";
        NoFolderPicker => "(this browser cannot write into folders: Chromium-based browsers can)", "（このブラウザはフォルダーに書き込めません。Chromium 系のブラウザは書き込めます）";
        SavedIntoFolder => "Written into the folder you picked:", "選んだフォルダーに書き込みました：";
        Download => "Save the dataset (.zip)", "データセットを保存（.zip）";
        Again => "Convert again", "もう一度変換";
        NothingOpen => "Nothing is open to convert.", "変換するものが開かれていません。";
        Mapping => "Mapping (TOML)", "マッピング（TOML）";
        MappingHelp => "Which stream becomes which feature, the frame rate, how streams are resampled and where episodes begin (docs/mapping.md). The suggestion is shown; edit it here, save it for the CLI (episcope convert --map), and convert with it.",
            "どのストリームをどの特徴量にするか、フレームレート、リサンプリングの方法、エピソードの区切りを指定します（docs/mapping.md）。推奨マッピングを表示しています。ここで編集し、CLI 用に保存（episcope convert --map）して、そのまま変換に使えます。";
        MappingLoading => "Suggesting a mapping…", "マッピングを推定中…";
        MappingSave => "Save the mapping (.toml)", "マッピングを保存（.toml）";
        MappingReset => "Back to the suggestion", "推奨に戻す";
        MemoryNote => "The output is streamed episode by episode: into the folder, or into the browser's file storage for the zip (kept until you leave this page), never whole in this tab's memory; only each camera's current video file is kept until it is complete.",
            "出力はエピソードごとに書き出します。フォルダーへ、または zip 用にブラウザのファイル保存領域へ（このページを離れるまで保持）書き出し、このタブのメモリに全体を保持することはありません（各カメラの書き込み中の動画ファイルだけは完成するまで保持します）。";
    }
}

/// Sentences of the conversion panel.
#[derive(Debug, Clone, PartialEq)]
pub enum ConvertSentence {
    /// Where a running conversion is: `stage` as the worker names it (`convert`, `check …`, `zip`).
    Progress { stage: String, done: u64, total: u64, rate_bytes_per_sec: Option<f64>, left_secs: Option<f64> },
    /// What was written.
    Written { source: String, episodes: u64, frames: u64, files: u64, bytes: u64, secs: f64 },
    /// What the conversion cost the worker's heap (its wasm memory, start → peak).
    /// and the most output it held at once before storing it.
    WorkerMemory { start_bytes: u64, peak_bytes: u64, held_bytes: u64 },
    /// The checker's verdict on the output.
    Verdict { errors: u64, warnings: u64, infos: u64 },
}

fn stage_text(stage: &str, lang: Lang) -> String {
    match (stage, lang) {
        ("convert", Lang::En) => "writing episodes".into(),
        ("convert", Lang::Ja) => "エピソードを書き込み中".into(),
        ("store", Lang::En) => "storing the last files".into(),
        ("store", Lang::Ja) => "最後のファイルを保存中".into(),
        (other, Lang::En) if other.starts_with("check") => "checking the output".into(),
        (other, Lang::Ja) if other.starts_with("check") => "出力を検査中".into(),
        (other, _) => other.to_string(),
    }
}

impl Text for ConvertSentence {
    fn text(&self, lang: Lang) -> String {
        match self {
            ConvertSentence::Progress { stage, done, total, rate_bytes_per_sec, left_secs } => {
                let stage_name = stage_text(stage, lang);
                let mut parts = vec![stage_name];
                if *total > 0 && stage == "convert" {
                    parts.push(match lang {
                        Lang::En => format!("episode {} of {}", format_integer(*done), format_integer(*total)),
                        Lang::Ja => format!("エピソード {} / {}", format_integer(*done), format_integer(*total)),
                    });
                }
                if let Some(rate) = rate_bytes_per_sec {
                    parts.push(format!("{}/s", format_bytes(*rate as u64, lang)));
                }
                if let Some(left) = left_secs {
                    let left = left.ceil() as u64;
                    parts.push(match lang {
                        Lang::En => format!("about {left} s left"),
                        Lang::Ja => format!("残り約 {left} 秒"),
                    });
                }
                parts.join(" · ")
            }
            ConvertSentence::Written { source, episodes, frames, files, bytes, secs } => {
                let (episodes, frames, files) =
                    (format_integer(*episodes), format_integer(*frames), format_integer(*files));
                let size = format_bytes(*bytes, lang);
                match lang {
                    Lang::En => format!(
                        "{source} → LeRobot v3.0: {episodes} episodes, {frames} frames, {files} files ({size}) in {secs:.1} s."
                    ),
                    Lang::Ja => format!(
                        "{source} → LeRobot v3.0：{episodes} エピソード、{frames} フレーム、{files} ファイル（{size}）、{secs:.1} 秒。"
                    ),
                }
            }
            ConvertSentence::WorkerMemory { start_bytes, peak_bytes, held_bytes } => {
                let (start, peak) = (format_bytes(*start_bytes, lang), format_bytes(*peak_bytes, lang));
                let held = format_bytes(*held_bytes, lang);
                match lang {
                    Lang::En => format!(
                        "The conversion worker's memory: {start} at the start, {peak} at its peak; it held at most {held} of output before storing it."
                    ),
                    Lang::Ja => format!(
                        "変換ワーカーのメモリ：開始時 {start}、最大 {peak}。保存前に保持した出力は最大 {held}。"
                    ),
                }
            }
            ConvertSentence::Verdict { errors, warnings, infos } => match lang {
                Lang::En if *errors == 0 && *warnings == 0 && *infos == 0 => {
                    "Checked: the output passes with no findings.".into()
                }
                Lang::Ja if *errors == 0 && *warnings == 0 && *infos == 0 => {
                    "検査済み：指摘事項はなく、出力は合格です。".into()
                }
                Lang::En => format!("Checked: {errors} errors, {warnings} warnings, {infos} info in the output."),
                Lang::Ja => format!("検査済み：出力にエラー {errors} 件、警告 {warnings} 件、情報 {infos} 件。"),
            },
        }
    }
}

/// The rate (bytes read per second) and time left of a running conversion, once it has a measure:
/// `done` of `total` episodes after `elapsed_secs`, `bytes_read` so far.
pub fn rate_and_time_left(done: u64, total: u64, bytes_read: u64, elapsed_secs: f64) -> (Option<f64>, Option<f64>) {
    if elapsed_secs <= 0.0 || done == 0 {
        return (None, None);
    }
    let rate = (bytes_read > 0).then(|| bytes_read as f64 / elapsed_secs);
    let left = (total >= done).then(|| elapsed_secs * (total - done) as f64 / done as f64);
    (rate, left)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_is_translated() {
        super::super::assert_translated(ConvertText::ALL);
    }

    #[test]
    fn the_rate_and_time_left_follow_the_episodes_done() {
        assert_eq!(rate_and_time_left(0, 5, 0, 1.0), (None, None));
        assert_eq!(rate_and_time_left(1, 5, 2_000_000, 2.0), (Some(1_000_000.0), Some(8.0)));
        assert_eq!(rate_and_time_left(5, 5, 10, 4.0), (Some(2.5), Some(0.0)));
    }

    #[test]
    fn sentences_read_in_both_languages() {
        let progress = ConvertSentence::Progress {
            stage: "convert".into(),
            done: 2,
            total: 5,
            rate_bytes_per_sec: Some(3_000_000.0),
            left_secs: Some(2.2),
        };
        assert_eq!(progress.text(Lang::En), "writing episodes · episode 2 of 5 · 3.0 MB/s · about 3 s left");
        assert_eq!(progress.text(Lang::Ja), "エピソードを書き込み中 · エピソード 2 / 5 · 3.0 MB/s · 残り約 3 秒");
        let verdict = ConvertSentence::Verdict { errors: 0, warnings: 0, infos: 0 };
        assert_eq!(verdict.text(Lang::En), "Checked: the output passes with no findings.");
        let verdict = ConvertSentence::Verdict { errors: 1, warnings: 2, infos: 0 };
        assert_eq!(verdict.text(Lang::Ja), "検査済み：出力にエラー 1 件、警告 2 件、情報 0 件。");
        let written = ConvertSentence::Written {
            source: "LeRobot v2.1".into(),
            episodes: 5,
            frames: 990,
            files: 9,
            bytes: 1_500_000,
            secs: 0.42,
        };
        let memory =
            ConvertSentence::WorkerMemory { start_bytes: 2_900_000, peak_bytes: 60_000_000, held_bytes: 410_000 };
        assert_eq!(
            memory.text(Lang::En),
            "The conversion worker's memory: 2.9 MB at the start, 60.0 MB at its peak; it held at most 410.0 kB of output before storing it."
        );
        assert_eq!(
            written.text(Lang::En),
            "LeRobot v2.1 → LeRobot v3.0: 5 episodes, 990 frames, 9 files (1.5 MB) in 0.4 s."
        );
    }
}
