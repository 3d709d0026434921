//! Strings of a recording's overview (ROS bags, MCAP, HDF5): streams, episodes, and what the web
//! app does not show yet.

use super::{count_phrase, format_duration, Lang, Text, Unit};

catalogue! {
    /// Fixed strings of the recording overview and of the home page's recording picker.
    pub enum RecordingText {
        OpenRecording => "Or open recordings", "または収録ファイルを開く";
        OpenRecordingHint => "ROS 2 bags (.mcap, or .db3 with its metadata.yaml), ROS 1 bags (.bag), MCAP and HDF5 (.hdf5, .h5: ALOHA/ACT, robomimic or any other) — one file per episode, several at once.",
            "ROS 2 バッグ（.mcap、または metadata.yaml 付きの .db3）、ROS 1 バッグ（.bag）、MCAP、HDF5（.hdf5、.h5：ALOHA/ACT、robomimic ほか）— 1 ファイルが 1 エピソード、複数同時に選べます。";
        RecordingLabel => "Recording files", "収録ファイル";
        Format => "Format", "フォーマット";
        Episodes => "Episodes", "エピソード";
        Streams => "Streams", "ストリーム";
        Duration => "Duration", "長さ";
        Size => "Size", "サイズ";
        ColStream => "Topic / dataset", "トピック／データセット";
        ColType => "Type", "型";
        ColKind => "Kind", "種類";
        ColRate => "Rate", "レート";
        ColMessages => "Messages", "メッセージ数";
        ColFirst => "First", "最初";
        ColLast => "Last", "最後";
        ColEpisode => "Episode", "エピソード";
        ColFile => "File", "ファイル";
        ColFrames => "Frames", "フレーム数";
        KindNumeric => "numeric", "数値";
        KindImage => "image", "画像";
        KindCompressedImage => "compressed image", "圧縮画像";
        KindText => "text", "テキスト";
        KindOther => "other", "その他";
        OpenEpisodeHint => "Open an episode to see its streams plotted, its cameras at the cursor and its poses in 3D. The readiness check below reads every message; episcope info and episcope check on the command line give the same results.",
            "エピソードを開くと、ストリームのプロット、カーソル位置のカメラ画像、3D の姿勢を表示します。下の準備状況チェックはすべてのメッセージを読みます。コマンドラインの episcope info と episcope check でも同じ結果が得られます。";
        ColOpen => "View", "表示";
        EpisodeStreams => "Streams in this episode", "このエピソードのストリーム";
        ColGaps => "Gaps", "欠落";
        ColLongest => "Longest interval", "最長間隔";
        GapsNote => "Measured from every message: the rate is the median interval's; a gap is an interval longer than 3 nominal periods (the recording.gap rule, from 10 messages on).",
            "すべてのメッセージから測定：レートは間隔の中央値から、欠落は公称周期の 3 倍を超える間隔です（recording.gap ルール、10 メッセージ以上）。";
        OpenEpisode => "Open", "開く";
        BackToRecording => "Back to the recording", "収録ファイルへ戻る";
        ReadingEpisode => "Reading every stream of the episode…", "エピソードの全ストリームを読み込み中…";
        CouldNotRead => "Could not read this episode:", "このエピソードを読み込めませんでした：";
        Stream3d => "Stream in 3D", "3D 表示のストリーム";
        NotShownHeading => "Streams not shown", "表示していないストリーム";
        NoFrameYet => "before the first frame", "最初のフレームより前";
        TimelineNote => "Every stream keeps its own rate: plots draw each message at its log time, cameras show the last frame at or before the cursor, and the step keys move through the messages of the densest stream.",
            "各ストリームは固有のレートのままです。プロットは各メッセージを記録時刻に描き、カメラはカーソル以前の最新フレームを表示し、ステップキーは最も密なストリームのメッセージ単位で移動します。";
        UntimedNote => "This file stores frames, not times: time is the frame number over the file's rate.",
            "このファイルは時刻ではなくフレームを保存しています。時刻はフレーム番号をファイルのレートで割った値です。";
        RatesNote => "Rates and first/last times come from the files' summaries: shown for a stream alone in its file, in one episode; gaps come from the readiness check, which measures every stream from its messages (open an episode for each stream's measured rate).",
            "レートと最初／最後の時刻はファイルの要約から取得します（ファイル内の唯一のストリームで、1 エピソードの場合に表示）。欠落は準備状況チェックがすべてのメッセージから測定した値です（各ストリームの実測レートはエピソードを開くと表示されます）。";
    }
}

/// Sentences of the recording overview.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordingSentence {
    /// `3 episodes · 2 streams`.
    Counts { episodes: u64, streams: u64 },
    /// A rate in Hz.
    Rate { hz: f64 },
    /// A duration in seconds.
    Seconds { secs: f64 },
    /// `Episode 2 · a.mcap`.
    EpisodeHeading { episode: u64, name: String },
    /// `frame 3 of 10 · 0.303 s`.
    FrameAt { frame: u64, frames: u64, secs: f64 },
    /// `/topic (type): why`.
    NotShown { stream: String, type_name: String, reason: String },
    /// `3 streams · 85 messages on screen`.
    StreamsShown { numeric: u64, images: u64 },
}

impl Text for RecordingSentence {
    fn text(&self, lang: Lang) -> String {
        match self {
            RecordingSentence::Counts { episodes, streams } => match lang {
                Lang::En => format!("{} · {streams} streams", count_phrase(*episodes, Unit::Episode, lang)),
                Lang::Ja => format!("{} · {streams} ストリーム", count_phrase(*episodes, Unit::Episode, lang)),
            },
            RecordingSentence::Rate { hz } => format!("{hz:.1} Hz"),
            RecordingSentence::Seconds { secs } => format_duration(*secs, lang),
            RecordingSentence::EpisodeHeading { episode, name } => match lang {
                Lang::En => format!("Episode {episode} · {name}"),
                Lang::Ja => format!("エピソード {episode} · {name}"),
            },
            RecordingSentence::FrameAt { frame, frames, secs } => match lang {
                Lang::En => format!("frame {frame} of {frames} · {secs:.3} s"),
                Lang::Ja => format!("フレーム {frame} / {frames} · {secs:.3} 秒"),
            },
            RecordingSentence::NotShown { stream, type_name, reason } => format!("{stream} ({type_name}): {reason}"),
            RecordingSentence::StreamsShown { numeric, images } => match lang {
                Lang::En => format!("{numeric} plotted streams · {images} camera streams"),
                Lang::Ja => format!("プロット {numeric} ストリーム · カメラ {images} ストリーム"),
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
        assert_translated(RecordingText::ALL);
        assert_translated(&[
            RecordingSentence::Counts { episodes: 2, streams: 3 },
            RecordingSentence::EpisodeHeading { episode: 1, name: "a.mcap".into() },
            RecordingSentence::FrameAt { frame: 1, frames: 2, secs: 0.5 },
            RecordingSentence::StreamsShown { numeric: 1, images: 2 },
        ]);
    }

    #[test]
    fn counts_read_naturally() {
        assert_eq!(RecordingSentence::Counts { episodes: 2, streams: 3 }.text(Lang::En), "2 episodes · 3 streams");
        assert_eq!(RecordingSentence::Rate { hz: 99.96 }.text(Lang::En), "100.0 Hz");
    }
}
