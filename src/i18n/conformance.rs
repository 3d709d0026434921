//! Strings of the conformance view and the rule catalogue page. Finding texts and rule titles come
//! from the core's checker and stay in English, as in the exported reports.

use episcope_core::check::{Severity, Verdict};

use super::{format_integer, Lang, Text};

catalogue! {
    /// Fixed strings of the conformance view and the rule catalogue page.
    pub enum ConformanceText {
        Title => "Conformance", "適合性";
        Checking => "Checking every file against the LeRobot rules…", "すべてのファイルを LeRobot のルールで検査中…";
        NotChecked => "Not checked yet.", "未検査です。";
        CheckButton => "Check conformance", "適合性を検査";
        VerdictPass => "Pass", "合格";
        VerdictWarnings => "Pass with warnings", "合格（警告あり）";
        VerdictErrors => "Errors", "エラーあり";
        Export => "Export: ", "書き出し：";
        FilterErrors => " Errors", " エラー";
        FilterWarnings => " Warnings", " 警告";
        FilterInfo => " Info", " 情報";
        FilterPlaceholder => "Filter by rule or text", "ルール名や本文で絞り込み";
        NoFindingsShown => "No findings to show.", "表示する指摘事項はありません。";
        Fix => "Fix: ", "対処：";
        FindingsInEnglish => "Rule descriptions and finding texts are in English, as the checker writes them.",
            "ルールの説明と指摘事項の本文は、検査ツールの出力どおり英語で表示しています。";
        RulesTitle => "Rule catalogue", "ルール一覧";
        RuleColumn => "Rule", "ルール";
        SeverityColumn => "Severity", "重大度";
        VersionsColumn => "Versions", "対象バージョン";
        WhatColumn => "What it checks", "検査内容";
        WhyColumn => "Why it matters", "重要な理由";
    }
}

impl ConformanceText {
    /// The verdict badge's text.
    pub fn verdict(verdict: Verdict) -> ConformanceText {
        match verdict {
            Verdict::Pass => ConformanceText::VerdictPass,
            Verdict::Warnings => ConformanceText::VerdictWarnings,
            Verdict::Errors => ConformanceText::VerdictErrors,
        }
    }
}

/// A severity's label (`error`, `エラー`).
pub fn severity_label(severity: Severity, lang: Lang) -> &'static str {
    match (severity, lang) {
        (Severity::Error, Lang::En) => "error",
        (Severity::Warning, Lang::En) => "warning",
        (Severity::Info, Lang::En) => "info",
        (Severity::Error, Lang::Ja) => "エラー",
        (Severity::Warning, Lang::Ja) => "警告",
        (Severity::Info, Lang::Ja) => "情報",
    }
}

/// Sentences of the conformance view and the rule catalogue page.
#[derive(Debug, Clone, PartialEq)]
pub enum ConformanceSentence {
    /// `2 errors · 1 warnings · 0 info · 64 rules checked`.
    Counts { errors: u64, warnings: u64, infos: u64, rules_checked: u64 },
    /// `64 rules. The same catalogue is printed by `episcope rules`.`
    RuleCount { rules: u64 },
}

impl Text for ConformanceSentence {
    fn text(&self, lang: Lang) -> String {
        let n = |value: u64| format_integer(value);
        match (self, lang) {
            (ConformanceSentence::Counts { errors, warnings, infos, rules_checked }, Lang::En) => format!(
                "{} errors · {} warnings · {} info · {} rules checked",
                n(*errors),
                n(*warnings),
                n(*infos),
                n(*rules_checked)
            ),
            (ConformanceSentence::Counts { errors, warnings, infos, rules_checked }, Lang::Ja) => format!(
                "エラー {} 件 · 警告 {} 件 · 情報 {} 件 · {} 件のルールを検査",
                n(*errors),
                n(*warnings),
                n(*infos),
                n(*rules_checked)
            ),
            (ConformanceSentence::RuleCount { rules }, Lang::En) => {
                format!("{} rules. The same catalogue is printed by `episcope rules`.", n(*rules))
            }
            (ConformanceSentence::RuleCount { rules }, Lang::Ja) => {
                format!("{} 件のルール。同じ一覧は `episcope rules` でも表示できます。", n(*rules))
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
        assert_translated(ConformanceText::ALL);
        assert_translated(&[
            ConformanceSentence::Counts { errors: 2, warnings: 1, infos: 0, rules_checked: 64 },
            ConformanceSentence::RuleCount { rules: 64 },
        ]);
        for severity in [Severity::Error, Severity::Warning, Severity::Info] {
            assert_eq!(severity_label(severity, Lang::En), severity.as_str());
            assert!(!severity_label(severity, Lang::Ja).is_ascii());
        }
    }

    #[test]
    fn verdicts_and_counts_read_naturally() {
        assert_eq!(ConformanceText::verdict(Verdict::Warnings).str(Lang::En), "Pass with warnings");
        assert_eq!(ConformanceText::verdict(Verdict::Errors).str(Lang::Ja), "エラーあり");
        let counts = ConformanceSentence::Counts { errors: 2, warnings: 1, infos: 0, rules_checked: 64 };
        assert_eq!(counts.text(Lang::En), "2 errors · 1 warnings · 0 info · 64 rules checked");
        assert_eq!(counts.text(Lang::Ja), "エラー 2 件 · 警告 1 件 · 情報 0 件 · 64 件のルールを検査");
    }
}
