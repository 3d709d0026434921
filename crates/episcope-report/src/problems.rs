//! The "how good it is" part in plain words: findings grouped by what they mean for a reader, one
//! translated sentence per group with its count, the worst first.

use episcope_core::check::rules::Severity;
use episcope_core::check::{Finding, Verdict};

use crate::i18n::{count_phrase, format_integer, Lang, Unit};

/// Top problems shown in the plain-language summary.
pub const MAX_TOP_PROBLEMS: usize = 5;

/// What a group of rules means for someone who is not an engineer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProblemKind {
    DataFilesMissing,
    VideoFilesMissing,
    FilesBroken,
    FilesMisplaced,
    Description,
    SignalsDeclared,
    DataLayout,
    EpisodeList,
    Numbering,
    Timing,
    InvalidValues,
    FrozenSignals,
    Spikes,
    OutOfRange,
    StatsMissing,
    StatsWrong,
    Videos,
    Profile,
    ExtraFiles,
    /// Recordings: topics without messages.
    EmptyStreams,
    /// Recordings: streams that do not line up in time.
    StreamsOutOfStep,
    Other,
}

impl ProblemKind {
    /// The group of a rule id (`file.video-missing` → [`ProblemKind::VideoFilesMissing`]).
    pub fn of_rule(rule: &str) -> ProblemKind {
        match rule {
            "file.data-missing" => ProblemKind::DataFilesMissing,
            "file.video-missing" => ProblemKind::VideoFilesMissing,
            "file.lfs-pointer" | "file.empty" | "file.parquet-corrupt" | "video.unreadable" => ProblemKind::FilesBroken,
            "file.misplaced" => ProblemKind::FilesMisplaced,
            "file.unexpected" => ProblemKind::ExtraFiles,
            "value.non-finite" => ProblemKind::InvalidValues,
            "value.frozen" => ProblemKind::FrozenSignals,
            "value.spike" => ProblemKind::Spikes,
            "value.out-of-range" => ProblemKind::OutOfRange,
            "stats.missing" => ProblemKind::StatsMissing,
            "recording.unreadable" => ProblemKind::FilesBroken,
            "recording.undecodable" => ProblemKind::DataLayout,
            "recording.empty-stream" => ProblemKind::EmptyStreams,
            "recording.gap" | "recording.rate-jitter" => ProblemKind::Timing,
            "recording.stops-early"
            | "recording.stamp-offset"
            | "recording.clock-jump"
            | "recording.camera-unsynced" => ProblemKind::StreamsOutOfStep,
            "recording.non-finite" => ProblemKind::InvalidValues,
            "recording.constant-stream" => ProblemKind::FrozenSignals,
            _ => match rule.split('.').next().unwrap_or("") {
                "meta" => ProblemKind::Description,
                "feature" => ProblemKind::SignalsDeclared,
                "schema" => ProblemKind::DataLayout,
                "episode" => ProblemKind::EpisodeList,
                "index" => ProblemKind::Numbering,
                "time" => ProblemKind::Timing,
                "stats" => ProblemKind::StatsWrong,
                "video" => ProblemKind::Videos,
                "profile" => ProblemKind::Profile,
                _ => ProblemKind::Other,
            },
        }
    }

    /// Whether the count is of files (else of occurrences).
    fn counts_files(self) -> bool {
        matches!(
            self,
            ProblemKind::DataFilesMissing
                | ProblemKind::VideoFilesMissing
                | ProblemKind::FilesBroken
                | ProblemKind::FilesMisplaced
                | ProblemKind::ExtraFiles
        )
    }

    /// The sentence for `count` occurrences: `Some video files are missing (3 files).`
    pub fn sentence(self, count: u64, lang: Lang) -> String {
        let unit = if self.counts_files() { Unit::File } else { Unit::Occurrence };
        let counted = count_phrase(count, unit, lang);
        let (en, ja) = match self {
            ProblemKind::DataFilesMissing => ("Some data files are missing", "データファイルが不足しています"),
            ProblemKind::VideoFilesMissing => ("Some video files are missing", "動画ファイルが不足しています"),
            ProblemKind::FilesBroken => (
                "Some files are empty, damaged or were never downloaded",
                "空・破損・未ダウンロードのファイルがあります",
            ),
            ProblemKind::FilesMisplaced => {
                ("Some files are not where the dataset says they are", "記載と異なる場所にあるファイルがあります")
            }
            ProblemKind::Description => (
                "The dataset's description (meta/info.json) has mistakes",
                "データセットの説明（meta/info.json）に誤りがあります",
            ),
            ProblemKind::SignalsDeclared => {
                ("Some recorded signals are described incorrectly", "記録された信号の定義に誤りがあります")
            }
            ProblemKind::DataLayout => {
                ("The data files do not match the described signals", "データファイルが信号の定義と一致しません")
            }
            ProblemKind::EpisodeList => {
                ("The list of episodes is inconsistent with the data", "エピソード一覧がデータと食い違っています")
            }
            ProblemKind::Numbering => {
                ("Frames or episodes are numbered wrongly", "フレームまたはエピソードの番号付けが誤っています")
            }
            ProblemKind::Timing => (
                "Timestamps are irregular: frames are missing or out of step",
                "タイムスタンプが不規則です（フレームの欠落やずれ）",
            ),
            ProblemKind::InvalidValues => (
                "Some recorded values are not valid numbers (NaN or infinity)",
                "数値として無効な値（NaN または無限大）が記録されています",
            ),
            ProblemKind::FrozenSignals => {
                ("Some signals do not move for a whole episode", "エピソード全体で変化しない信号があります")
            }
            ProblemKind::Spikes => ("Some signals jump for a single frame", "1 フレームだけ値が跳ねる信号があります"),
            ProblemKind::OutOfRange => (
                "Some values lie outside the ranges the dataset states",
                "データセットに記載された範囲外の値があります",
            ),
            ProblemKind::StatsMissing => {
                ("The dataset stores no summary statistics", "データセットに統計値が保存されていません")
            }
            ProblemKind::StatsWrong => {
                ("The stored summary statistics do not match the data", "保存された統計値がデータと一致しません")
            }
            ProblemKind::Videos => (
                "Some videos do not match the stated format or are too short",
                "記載と形式が異なる、または短すぎる動画があります",
            ),
            ProblemKind::Profile => {
                ("The dataset does not meet your organisation's requirements", "組織の要件を満たしていません")
            }
            ProblemKind::ExtraFiles => {
                ("There are files that are not part of the dataset", "データセットの一部ではないファイルがあります")
            }
            ProblemKind::EmptyStreams => {
                ("Some recorded topics hold no messages", "メッセージが 1 件もないトピックがあります")
            }
            ProblemKind::StreamsOutOfStep => (
                "Recorded streams do not line up in time (clocks, late starts, early stops, camera frames without joint data)",
                "記録されたストリームの時刻が揃っていません（時計のずれ、開始の遅れ、早い終了、関節データのないカメラ画像）",
            ),
            ProblemKind::Other => ("Other problems were found", "その他の問題が見つかりました"),
        };
        match lang {
            Lang::En => format!("{en} ({counted})."),
            // 件 counts files and occurrences alike.
            Lang::Ja => format!("{ja}（{} 件）。", format_integer(count)),
        }
    }
}

/// One plain-language problem: a group of findings.
#[derive(Debug, Clone, PartialEq)]
pub struct TopProblem {
    pub kind: ProblemKind,
    /// The most serious severity among its findings.
    pub severity: Severity,
    /// Occurrences behind its findings.
    pub occurrences: u64,
    pub sentence: String,
}

/// The findings grouped by [`ProblemKind`], errors before warnings before info, then by
/// occurrences; at most [`MAX_TOP_PROBLEMS`].
pub fn top_problems(findings: &[Finding], lang: Lang) -> Vec<TopProblem> {
    let mut groups: Vec<(ProblemKind, Severity, u64)> = Vec::new();
    for finding in findings {
        let kind = ProblemKind::of_rule(&finding.rule);
        match groups.iter_mut().find(|(k, _, _)| *k == kind) {
            Some((_, severity, count)) => {
                *severity = (*severity).min(finding.severity);
                *count = count.saturating_add(finding.count);
            }
            None => groups.push((kind, finding.severity, finding.count)),
        }
    }
    groups.sort_by_key(|&(kind, severity, count)| (severity, std::cmp::Reverse(count), kind));
    groups
        .into_iter()
        .take(MAX_TOP_PROBLEMS)
        .map(|(kind, severity, occurrences)| TopProblem {
            kind,
            severity,
            occurrences,
            sentence: kind.sentence(occurrences, lang),
        })
        .collect()
}

/// The verdict in one sentence: `It passes every check of the lerobot-v3.0 profile.`
pub fn verdict_sentence(verdict: Verdict, errors: u64, warnings: u64, profile: &str, lang: Lang) -> String {
    match (verdict, lang) {
        (Verdict::Pass, Lang::En) => format!("It passes every check of {profile}."),
        (Verdict::Pass, Lang::Ja) => format!("{profile} のすべての検査に合格しました。"),
        (Verdict::Warnings, Lang::En) => format!(
            "It passes {profile}, with {} worth a look.",
            if warnings == 1 { "1 warning".to_string() } else { format!("{} warnings", format_integer(warnings)) }
        ),
        (Verdict::Warnings, Lang::Ja) => {
            format!("{profile} に合格しましたが、確認すべき警告が {} 件あります。", format_integer(warnings))
        }
        (Verdict::Errors, Lang::En) => format!(
            "It fails {profile}: {} that can break loading or training.",
            if errors == 1 { "1 error".to_string() } else { format!("{} errors", format_integer(errors)) }
        ),
        (Verdict::Errors, Lang::Ja) => {
            format!("{profile} に不合格です。読み込みや学習を妨げるエラーが {} 件あります。", format_integer(errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use episcope_core::check::{Location, RULES};

    fn finding(rule: &str, severity: Severity, count: u64) -> Finding {
        Finding {
            rule: rule.into(),
            severity,
            location: Location::file("x"),
            message: String::new(),
            fix: String::new(),
            count,
            locations: Vec::new(),
        }
    }

    #[test]
    fn every_catalogue_rule_has_a_group_other_than_other() {
        for rule in RULES {
            assert_ne!(ProblemKind::of_rule(rule.id), ProblemKind::Other, "{}", rule.id);
        }
    }

    #[test]
    fn sentences_in_both_languages() {
        assert_eq!(ProblemKind::VideoFilesMissing.sentence(3, Lang::En), "Some video files are missing (3 files).");
        assert_eq!(ProblemKind::VideoFilesMissing.sentence(3, Lang::Ja), "動画ファイルが不足しています（3 件）。");
        assert_eq!(
            ProblemKind::Spikes.sentence(1234, Lang::Ja),
            "1 フレームだけ値が跳ねる信号があります（1,234 件）。"
        );
        assert_eq!(ProblemKind::Spikes.sentence(1, Lang::En), "Some signals jump for a single frame (1 occurrence).");
    }

    #[test]
    fn groups_put_errors_first_and_sum_occurrences() {
        let findings = vec![
            finding("value.spike", Severity::Warning, 40),
            finding("file.video-missing", Severity::Error, 2),
            finding("file.video-missing", Severity::Error, 1),
            finding("time.gap", Severity::Warning, 5),
            finding("time.grid", Severity::Error, 1),
        ];
        let top = top_problems(&findings, Lang::En);
        let kinds: Vec<ProblemKind> = top.iter().map(|p| p.kind).collect();
        // Errors first (timing: one error and one warning rule, 6 occurrences), then by occurrences.
        assert_eq!(kinds, [ProblemKind::Timing, ProblemKind::VideoFilesMissing, ProblemKind::Spikes]);
        assert_eq!((top[0].occurrences, top[0].severity), (6, Severity::Error));
        assert_eq!(top[1].occurrences, 3);
        assert_eq!(top[2].severity, Severity::Warning);
    }
}
