//! Strings of one episode's view: navigation, playback, videos and images, plots and the 3D
//! trajectory panel.

use super::{format_integer, Lang, Text};

catalogue! {
    /// Fixed strings of the episode view.
    pub enum EpisodeText {
        PreviousTitle => "Previous episode (PageUp or p)", "前のエピソード（PageUp または p）";
        Previous => "← Previous", "← 前へ";
        NextTitle => "Next episode (PageDown or n)", "次のエピソード（PageDown または n）";
        Next => "Next →", "次へ →";
        BackToOverview => "Back to overview", "概要に戻る";
        TimeCursor => "Time cursor: ", "時刻カーソル：";
        PlaceCursor => "click a plot or the timeline to place the cursor", "グラフかタイムラインをクリックしてカーソルを置いてください";
        Reading => "Reading the episode…", "エピソードを読み込み中…";
        CouldNotRead => "Could not read the episode. ", "エピソードを読み込めませんでした。";
        PlotHelp => " · drag to pan, wheel to zoom, double-click to reset", " · ドラッグで移動、ホイールで拡大縮小、ダブルクリックで元に戻す";
        NoNumericFeatures => "This episode has no numeric features to plot.", "このエピソードには描画できる数値の特徴量がありません。";
        StartTitle => "Start (Home)", "先頭へ（Home）";
        StepBackTitle => "Previous frame (←)", "前のフレーム（←）";
        PlayTitle => "Play / pause (Space)", "再生 / 一時停止（Space）";
        StepForwardTitle => "Next frame (→)", "次のフレーム（→）";
        EndTitle => "End (End)", "末尾へ（End）";
        Speed => "Speed ", "速度 ";
        EpisodeTime => "Episode time", "エピソード内の時刻";
        EpisodeStart => "Episode start", "エピソードの開始";
        EpisodeEnd => "Episode end", "エピソードの終了";
        DimensionToggleTitle => "Click to show or hide; double-click to show only this one",
            "クリックで表示／非表示、ダブルクリックでこれだけを表示";
        VideoUndecodable => "this browser cannot decode its format or codec", "このブラウザではその形式またはコーデックを再生できません";
        VideoCorrupt => "the video data is corrupt", "動画データが壊れています";
        VideoUnreadable => "it could not be read", "読み込めませんでした";
        VideoUnplayable => "it could not be played", "再生できませんでした";
        ImageUnwrappable => "cannot wrap the image bytes", "画像のバイト列を扱えません";
        ImageUnshowable => "cannot show the image", "画像を表示できません";
        Trajectory3d => "3D trajectory", "3D 軌跡";
        ResetView => "Reset view", "視点をリセット";
        OverlayEpisodes => "Overlay episodes ", "重ねるエピソード ";
        OverlayPlaceholder => "e.g. 1, 3, 5-8", "例：1, 3, 5-8";
        OverlayNeighbours => "Overlay neighbours", "前後のエピソードを重ねる";
        TrajectoryHelp => "Drag to orbit · right-drag or Shift-drag to pan · wheel to zoom · double-click to reset · click a point to move the cursor",
            "ドラッグで回転 · 右ドラッグまたは Shift+ドラッグで移動 · ホイールで拡大縮小 · ダブルクリックでリセット · 点をクリックでカーソル移動";
        Trajectory3dLabel => "3D trajectory of the chosen dimensions", "選択した次元の 3D 軌跡";
        NoDimensionsFor3d => "This episode has no feature with two or more dimensions to draw in 3D.",
            "このエピソードには 3D で描ける 2 次元以上の特徴量がありません。";
        TimeAxis => "time (s)", "時刻（秒）";
    }
}

/// Sentences of the episode view.
#[derive(Debug, Clone, PartialEq)]
pub enum EpisodeSentence {
    /// `Episode 3`.
    Heading { episode: u64 },
    /// `2 of 5` (its place in the list), or `— of 5` when it is filtered out.
    Position { position: Option<u64>, total: u64 },
    /// `frame 12 / 300` (1-based).
    FrameOf { frame: u64, frames: u64 },
    /// `300 frames · 4 numeric features`.
    FramesAndFeatures { frames: u64, features: u64 },
    /// `The video videos/….mp4 cannot be shown here: <why>.`
    VideoFailed { path: String, why: String },
    /// `The video file videos/….mp4 is not in the dataset.`
    VideoMissing { path: String },
    /// ` · frame 12` in an image's caption.
    ImageFrame { frame: u64 },
    /// `observation.images.front at the cursor`.
    ImageAlt { feature: String },
    /// `Dimensions of action`.
    DimensionsOf { feature: String },
    /// `file.video-missing at frame 12`.
    FindingAt { rule: String, frame: u64 },
    /// `3 episodes overlaid in lighter colours`.
    Overlaid { episodes: u64 },
}

impl Text for EpisodeSentence {
    fn text(&self, lang: Lang) -> String {
        let n = |value: u64| format_integer(value);
        match (self, lang) {
            (EpisodeSentence::Heading { episode }, Lang::En) => format!("Episode {episode}"),
            (EpisodeSentence::Heading { episode }, Lang::Ja) => format!("エピソード {episode}"),
            (EpisodeSentence::Position { position, total }, Lang::En) => match position {
                Some(p) => format!("{} of {}", n(*p), n(*total)),
                None => format!("— of {}", n(*total)),
            },
            (EpisodeSentence::Position { position, total }, Lang::Ja) => match position {
                Some(p) => format!("{} / {} 件目", n(*p), n(*total)),
                None => format!("— / {} 件", n(*total)),
            },
            (EpisodeSentence::FrameOf { frame, frames }, Lang::En) => format!("frame {} / {}", n(*frame), n(*frames)),
            (EpisodeSentence::FrameOf { frame, frames }, Lang::Ja) => {
                format!("フレーム {} / {}", n(*frame), n(*frames))
            }
            (EpisodeSentence::FramesAndFeatures { frames, features }, Lang::En) => format!(
                "{} frames · {} numeric feature{}",
                n(*frames),
                n(*features),
                if *features == 1 { "" } else { "s" }
            ),
            (EpisodeSentence::FramesAndFeatures { frames, features }, Lang::Ja) => {
                format!("{} フレーム · 数値の特徴量 {} 個", n(*frames), n(*features))
            }
            (EpisodeSentence::VideoFailed { path, why }, Lang::En) => {
                format!("The video {path} cannot be shown here: {why}.")
            }
            (EpisodeSentence::VideoFailed { path, why }, Lang::Ja) => {
                format!("動画 {path} はここでは表示できません：{why}。")
            }
            (EpisodeSentence::VideoMissing { path }, Lang::En) => {
                format!("The video file {path} is not in the dataset.")
            }
            (EpisodeSentence::VideoMissing { path }, Lang::Ja) => {
                format!("動画ファイル {path} はデータセットにありません。")
            }
            (EpisodeSentence::ImageFrame { frame }, Lang::En) => format!(" · frame {frame}"),
            (EpisodeSentence::ImageFrame { frame }, Lang::Ja) => format!(" · フレーム {frame}"),
            (EpisodeSentence::ImageAlt { feature }, Lang::En) => format!("{feature} at the cursor"),
            (EpisodeSentence::ImageAlt { feature }, Lang::Ja) => format!("カーソル位置の {feature}"),
            (EpisodeSentence::DimensionsOf { feature }, Lang::En) => format!("Dimensions of {feature}"),
            (EpisodeSentence::DimensionsOf { feature }, Lang::Ja) => format!("{feature} の次元"),
            (EpisodeSentence::FindingAt { rule, frame }, Lang::En) => format!("{rule} at frame {frame}"),
            (EpisodeSentence::FindingAt { rule, frame }, Lang::Ja) => format!("フレーム {frame} の {rule}"),
            (EpisodeSentence::Overlaid { episodes }, Lang::En) => {
                format!("{} episode{} overlaid in lighter colours", n(*episodes), if *episodes == 1 { "" } else { "s" })
            }
            (EpisodeSentence::Overlaid { episodes }, Lang::Ja) => {
                format!("{} 件のエピソードを薄い色で重ねて表示", n(*episodes))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::assert_translated;

    #[test]
    fn every_entry_is_translated() {
        assert_translated(EpisodeText::ALL);
        assert_translated(&[
            EpisodeSentence::Heading { episode: 3 },
            EpisodeSentence::Position { position: Some(2), total: 5 },
            EpisodeSentence::Position { position: None, total: 5 },
            EpisodeSentence::FrameOf { frame: 12, frames: 300 },
            EpisodeSentence::FramesAndFeatures { frames: 300, features: 4 },
            EpisodeSentence::VideoFailed { path: "v.mp4".into(), why: "x".into() },
            EpisodeSentence::VideoMissing { path: "v.mp4".into() },
            EpisodeSentence::ImageFrame { frame: 12 },
            EpisodeSentence::ImageAlt { feature: "front".into() },
            EpisodeSentence::DimensionsOf { feature: "action".into() },
            EpisodeSentence::FindingAt { rule: "r".into(), frame: 12 },
            EpisodeSentence::Overlaid { episodes: 3 },
        ]);
    }

    #[test]
    fn sentences_read_naturally_in_both_languages() {
        assert_eq!(EpisodeSentence::Heading { episode: 3 }.text(Lang::Ja), "エピソード 3");
        assert_eq!(EpisodeSentence::Position { position: Some(2), total: 5 }.text(Lang::En), "2 of 5");
        assert_eq!(
            EpisodeSentence::FramesAndFeatures { frames: 1200, features: 1 }.text(Lang::En),
            "1,200 frames · 1 numeric feature"
        );
        assert_eq!(EpisodeSentence::Overlaid { episodes: 1 }.text(Lang::En), "1 episode overlaid in lighter colours");
    }
}
