//! Strings of the home page: what Episcope is, the no-upload promise, the folder picker, examples.

use super::{count_phrase, format_bytes, Lang, Text, Unit};

catalogue! {
    /// Fixed strings of the home page.
    pub enum HomeText {
        Title => "Look inside robot-learning datasets.", "ロボット学習データセットの中身を見る。";
        Lede => "Episcope opens LeRobot datasets (v2.0, v2.1 and v3.0) from your own disk and shows what they hold: format, robot, episodes, tasks, features and files.",
            "Episcope は LeRobot データセット（v2.0、v2.1、v3.0）をお使いのディスクから開き、その中身を表示します：フォーマット、ロボット、エピソード、タスク、特徴量、ファイル。";
        Promise => "Your files are read inside this browser tab and never uploaded: Episcope has no server to send them to, and its security policy forbids any connection but to its own static files.",
            "ファイルはこのブラウザのタブ内で読み込まれ、アップロードされることはありません。Episcope には送信先のサーバーがなく、セキュリティポリシーにより自身の静的ファイル以外への接続は禁止されています。";
        HowEnforced => "How is this enforced?", "どのように保証されていますか？";
        HowCsp => "The page's Content-Security-Policy allows network connections only to Episcope's own origin (for its program files and the bundled examples). Any other destination is blocked by the browser itself.",
            "このページの Content-Security-Policy は、Episcope 自身のオリジン（プログラムファイルと同梱サンプル）へのネットワーク接続のみを許可します。それ以外の接続先はブラウザ自体がブロックします。";
        HowFileApi => "Folders you open are read with the browser's File API, piece by piece, inside a Web Worker on this machine. Only file handles are passed around; no byte is sent over the network.",
            "開いたフォルダは、このマシン上の Web Worker 内でブラウザの File API により少しずつ読み込まれます。受け渡されるのはファイルハンドルだけで、ネットワークには 1 バイトも送信されません。";
        HowExports => "Reports you export are generated in the page and saved as downloads.",
            "書き出すレポートはページ内で生成され、ダウンロードとして保存されます。";
        HowTests => "Episcope's tests record every request the browser makes while a dataset is opened, checked and exported, and fail if any request goes elsewhere or carries data.",
            "Episcope のテストは、データセットを開く・検査する・書き出す間にブラウザが行うすべてのリクエストを記録し、外部への送信やデータを含むリクエストがあれば失敗します。";
        HowNoThirdParty => "There are no analytics, no external fonts and no third-party scripts. After the first visit the app also works offline.",
            "アクセス解析、外部フォント、サードパーティのスクリプトは一切ありません。初回アクセス後はオフラインでも動作します。";
        OpenFolder => "Open a dataset folder", "データセットのフォルダを開く";
        ChooseFolderBefore => "Choose the folder that holds ", "";
        ChooseFolderAfter => " — or drop it here.", " を含むフォルダを選択するか、ここにドロップしてください。";
        FolderLabel => "Dataset folder", "データセットのフォルダ";
        TryExample => "Or try a bundled example", "または同梱のサンプルを試す";
        LoadingExamples => "Loading examples…", "サンプルを読み込み中…";
    }
}

/// Sentences of the home page.
#[derive(Debug, Clone, PartialEq)]
pub enum HomeSentence {
    /// An example card's size line: `12 files · 1.2 MB`.
    ExampleSize { files: u64, size_bytes: u64 },
    /// The list of examples could not be fetched.
    ExamplesUnavailable { reason: String },
}

impl Text for HomeSentence {
    fn text(&self, lang: Lang) -> String {
        match self {
            HomeSentence::ExampleSize { files, size_bytes } => {
                format!("{} · {}", count_phrase(*files, Unit::File, lang), format_bytes(*size_bytes, lang))
            }
            HomeSentence::ExamplesUnavailable { reason } => match lang {
                Lang::En => format!("could not load the bundled examples: {reason}"),
                Lang::Ja => format!("同梱サンプルを読み込めませんでした: {reason}"),
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
        // Japanese puts the file name first, so the text before it is empty.
        let split_sentence = [HomeText::ChooseFolderBefore];
        let whole: Vec<HomeText> = HomeText::ALL.iter().copied().filter(|e| !split_sentence.contains(e)).collect();
        assert_translated(&whole);
        assert_eq!(HomeText::ChooseFolderBefore.str(Lang::Ja), "");
        assert_translated(&[
            HomeSentence::ExampleSize { files: 3, size_bytes: 1_234_567 },
            HomeSentence::ExamplesUnavailable { reason: "HTTP 404".into() },
        ]);
    }

    #[test]
    fn example_sizes_count_files_in_each_language() {
        let size = HomeSentence::ExampleSize { files: 12, size_bytes: 1_234_567 };
        assert_eq!(size.text(Lang::En), "12 files · 1.2 MB");
        assert_eq!(size.text(Lang::Ja), "12 個のファイル · 1.2 MB");
    }
}
