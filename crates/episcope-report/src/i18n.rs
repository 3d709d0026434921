//! The report's languages (English, Japanese): every fixed string as a catalogue entry with both
//! translations, sentences with numbers, and number, duration and date formatting per language.
//!
//! A catalogue entry without one of its two translations does not compile (see [`messages!`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A language of the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Ja,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ja];

    /// The BCP 47 code (`en`, `ja`), as used in `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A language code that is neither English nor Japanese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language `{given}`: expected `en` or `ja`")]
pub struct UnknownLang {
    pub given: String,
}

impl FromStr for Lang {
    type Err = UnknownLang;

    /// `en`, `ja`, case-insensitive, with or without a region (`en-GB`, `ja_JP`).
    fn from_str(text: &str) -> Result<Lang, UnknownLang> {
        let primary = text.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        match primary.as_str() {
            "en" => Ok(Lang::En),
            "ja" => Ok(Lang::Ja),
            _ => Err(UnknownLang { given: text.to_string() }),
        }
    }
}

/// Defines [`Msg`]: each entry needs its English and its Japanese text, or the crate does not compile.
macro_rules! messages {
    ($( $(#[$doc:meta])* $name:ident => $en:literal, $ja:literal; )*) => {
        /// A fixed string of the report.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Msg {
            $( $(#[$doc])* $name, )*
        }

        impl Msg {
            /// Every entry of the catalogue.
            pub const ALL: &'static [Msg] = &[ $( Msg::$name, )* ];

            fn translations(self) -> (&'static str, &'static str) {
                match self {
                    $( Msg::$name => ($en, $ja), )*
                }
            }
        }
    };
}

messages! {
    ReportTitle => "Dataset report", "データセットレポート";
    CompareTitle => "Datasets side by side", "データセットの比較";
    WhatItIs => "What this dataset is", "このデータセットについて";
    HowGoodItIs => "How good it is", "品質";
    WhatItContains => "What it contains", "内容";
    AllFindings => "All findings", "すべての指摘事項";
    StatsDrift => "Stored statistics against the data", "保存された統計値とデータの比較";
    Identity => "Identity and fingerprints", "識別情報とフィンガープリント";
    Robot => "Robot", "ロボット";
    Format => "Format", "フォーマット";
    Episodes => "Episodes", "エピソード";
    Frames => "Frames", "フレーム";
    Duration => "Duration", "長さ";
    FrameRate => "Frame rate", "フレームレート";
    Tasks => "Tasks", "タスク";
    Cameras => "Cameras", "カメラ";
    Signals => "Recorded signals", "記録された信号";
    Size => "Size", "サイズ";
    Profile => "Checked against", "検査基準";
    Verdict => "Verdict", "判定";
    Dataset => "Dataset", "データセット";
    Hours => "Hours", "時間";
    Errors => "Errors", "エラー";
    Warnings => "Warnings", "警告";
    Severity => "Severity", "重大度";
    Rule => "Rule", "ルール";
    Where => "Where", "場所";
    WhatWasFound => "What was found", "内容";
    Fix => "What to do", "対処";
    File => "File", "ファイル";
    Bytes => "Bytes", "バイト";
    Name => "Name", "名前";
    Type => "Type", "型";
    Shape => "Shape", "形状";
    Dimension => "Dimension", "次元";
    Statistic => "Statistic", "統計量";
    Stored => "Stored", "保存値";
    Computed => "Computed", "計算値";
    Difference => "Difference", "差";
    Tolerance => "Tolerance", "許容差";
    Resolution => "Resolution", "解像度";
    Codec => "Codec", "コーデック";
    Storage => "Stored as", "保存形式";
    VideoFiles => "video files", "動画ファイル";
    ImagesInData => "images in the data files", "データファイル内の画像";
    DatasetSha256 => "Dataset SHA-256", "データセット SHA-256";
    NotComputed => "not computed", "未計算";
    Unknown => "unknown", "不明";
    NoFindings => "No findings: every rule passed.", "指摘事項はありません。すべてのルールに合格しました。";
    VerdictPass => "Pass", "合格";
    VerdictWarnings => "Pass with warnings", "合格（警告あり）";
    VerdictErrors => "Fail", "不合格";
    FindingsInEnglish =>
        "Finding texts are written in English, as the checker reports them.",
        "指摘事項の本文は検査ツールの出力どおり英語で記載しています。";
    SeeAllFindings => "Every finding, with where it is and what to do, is listed under", "場所と対処方法を含むすべての指摘事項は次の節にあります：";
    NoStoredStats => "The dataset stores no statistics to compare with.", "比較できる保存済み統計値がありません。";
    NoStatistics => "Statistics were not computed for this report.", "このレポートでは統計値を計算していません。";
    QuantilesNotJudged =>
        "Stored quantiles are shown but not judged: LeRobot stores the average of the episodes' quantiles, which is not a quantile of the data.",
        "保存された分位点は表示のみで判定していません。LeRobot はエピソードごとの分位点の平均を保存しており、データ全体の分位点ではないためです。";
    ChartEpisodeLengths => "Episode lengths", "エピソードの長さ";
    ChartTaskTime => "Recorded time per task", "タスクごとの記録時間";
    ChartRanges => "Range of each dimension", "各次元の値の範囲";
    ChartDistributions => "Distribution of each dimension", "各次元の値の分布";
    ChartHoursByRobot => "Recorded time by robot type", "ロボット種別ごとの記録時間";
    ChartHoursByTask => "Recorded time by task", "タスクごとの記録時間";
    ChartFindingsPerDataset => "Errors and warnings per dataset", "データセットごとのエラーと警告";
    AxisSeconds => "seconds", "秒";
    AxisMinutes => "minutes", "分";
    AxisHours => "hours", "時間";
    AxisEpisodes => "episodes", "エピソード数";
    AxisFrames => "frames per bin", "区間ごとのフレーム数";
    AxisFindings => "findings", "指摘数";
    LegendRange => "line: min to max", "線：最小〜最大";
    LegendBox => "box: 1% to 99% of frames", "箱：フレームの 1%〜99%";
    LegendMedian => "mark: median", "印：中央値";
    UnnamedRobot => "unnamed robot", "種別不明のロボット";
    NoTask => "(no task)", "（タスクなし）";
    OtherTasks => "other tasks", "その他のタスク";
    OtherRobots => "other robot types", "その他のロボット種別";
    NoCharts => "No numeric signal to chart.", "グラフにできる数値信号がありません。";
    PrivacyNote =>
        "Made on this computer: nothing of the dataset was uploaded.",
        "このコンピューター上で作成しました。データセットは一切アップロードされていません。";
    ComparedFromReports =>
        "Compared from their reports: the datasets themselves were not needed.",
        "各レポートから比較しました。データセット本体は使用していません。";
    Occurrences => "Occurrences", "件数";
    SeverityError => "error", "エラー";
    SeverityWarning => "warning", "警告";
    SeverityInfo => "info", "情報";
    DriftIncomplete =>
        "Not every frame could be read, so disagreements are shown but not counted as findings.",
        "一部のフレームを読み込めなかったため、不一致は表示のみで指摘事項には含めていません。";
    DriftSkipped => "Not compared", "比較対象外";
    Reason => "Reason", "理由";
    Features => "Features", "特徴量";
    Values => "values", "個の値";
    NoCamera => "no camera", "カメラなし";
    FilesOmitted => "more files are listed in the JSON report.", "件のファイルは JSON レポートに記載しています。";
    DisagreementsOmitted => "more disagreements are listed in the JSON report.", "件の不一致は JSON レポートに記載しています。";
    MadeBy => "Made by", "作成ツール";
    On => "on", "作成日";
    RulesChecked => "rules checked", "件のルールを検査";
}

impl Msg {
    /// The text in `lang`.
    pub fn text(self, lang: Lang) -> &'static str {
        let (en, ja) = self.translations();
        match lang {
            Lang::En => en,
            Lang::Ja => ja,
        }
    }
}

/// `1234567` → `1,234,567` (both languages group digits by three with commas).
pub fn format_integer(value: u64) -> String {
    group_digits(&value.to_string())
}

fn group_digits(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1234567.85` with 1 decimal → `1,234,567.9`; non-finite → `—`.
pub fn format_decimal(value: f64, decimals: usize, _lang: Lang) -> String {
    if !value.is_finite() {
        return "—".to_string();
    }
    let text = format!("{:.*}", decimals.min(12), value.abs());
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text.as_str(), None),
    };
    let mut out = String::new();
    // `-0.0` and values rounding to zero read as zero, without a sign.
    if value < 0.0 && text.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        out.push('-');
    }
    out.push_str(&group_digits(whole));
    if let Some(fraction) = fraction {
        out.push('.');
        out.push_str(fraction);
    }
    out
}

/// A value with about `significant` significant digits (at least the integer part), grouped.
pub fn format_significant(value: f64, significant: u32, lang: Lang) -> String {
    if !value.is_finite() {
        return "—".to_string();
    }
    if value == 0.0 {
        return "0".to_string();
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = (significant as i32 - 1 - magnitude).clamp(0, 9) as usize;
    format_decimal(value, decimals, lang)
}

/// What is counted, for [`count_phrase`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Episode,
    Frame,
    Task,
    Camera,
    File,
    Occurrence,
    Dataset,
    Value,
}

/// `42 episodes`, `1 episode`; `42 エピソード`, `2 台のカメラ`.
pub fn count_phrase(count: u64, unit: Unit, lang: Lang) -> String {
    let n = format_integer(count);
    match lang {
        Lang::En => {
            let (one, many) = match unit {
                Unit::Episode => ("episode", "episodes"),
                Unit::Frame => ("frame", "frames"),
                Unit::Task => ("task", "tasks"),
                Unit::Camera => ("camera", "cameras"),
                Unit::File => ("file", "files"),
                Unit::Occurrence => ("occurrence", "occurrences"),
                Unit::Dataset => ("dataset", "datasets"),
                Unit::Value => ("value", "values"),
            };
            format!("{n} {}", if count == 1 { one } else { many })
        }
        Lang::Ja => match unit {
            Unit::Episode => format!("{n} エピソード"),
            Unit::Frame => format!("{n} フレーム"),
            Unit::Task => format!("{n} タスク"),
            Unit::Camera => format!("{n} 台のカメラ"),
            Unit::File => format!("{n} 個のファイル"),
            Unit::Occurrence => format!("{n} 件"),
            Unit::Dataset => format!("{n} 件のデータセット"),
            Unit::Value => format!("{n} 個の値"),
        },
    }
}

/// The unit a duration reads best in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Seconds,
    Minutes,
    Hours,
}

impl TimeUnit {
    /// Seconds under a minute, minutes under an hour, else hours.
    pub fn for_secs(duration_secs: f64) -> TimeUnit {
        if duration_secs < 60.0 {
            TimeUnit::Seconds
        } else if duration_secs < 3600.0 {
            TimeUnit::Minutes
        } else {
            TimeUnit::Hours
        }
    }

    pub fn secs_per_unit(self) -> f64 {
        match self {
            TimeUnit::Seconds => 1.0,
            TimeUnit::Minutes => 60.0,
            TimeUnit::Hours => 3600.0,
        }
    }

    /// The axis label (`seconds`, `秒`).
    pub fn axis_label(self, lang: Lang) -> &'static str {
        match self {
            TimeUnit::Seconds => Msg::AxisSeconds,
            TimeUnit::Minutes => Msg::AxisMinutes,
            TimeUnit::Hours => Msg::AxisHours,
        }
        .text(lang)
    }
}

/// `33 seconds`, `5.5 minutes`, `1.3 hours`; `33 秒`, `5.5 分`, `1.3 時間`.
pub fn format_duration(duration_secs: f64, lang: Lang) -> String {
    if !duration_secs.is_finite() || duration_secs < 0.0 {
        return "—".to_string();
    }
    let unit = TimeUnit::for_secs(duration_secs);
    let value = duration_secs / unit.secs_per_unit();
    let decimals = if unit == TimeUnit::Seconds { 0 } else { 1 };
    let number = format_decimal(value, decimals, lang);
    match lang {
        Lang::En => {
            let word = match unit {
                TimeUnit::Seconds => "seconds",
                TimeUnit::Minutes => "minutes",
                TimeUnit::Hours => "hours",
            };
            let word = if number == "1" { word.trim_end_matches('s') } else { word };
            format!("{number} {word}")
        }
        Lang::Ja => format!("{number} {}", unit.axis_label(lang)),
    }
}

/// `30 frames per second`, `30 フレーム/秒`.
pub fn format_fps(fps: f64, lang: Lang) -> String {
    let number = if fps.fract() == 0.0 { format_decimal(fps, 0, lang) } else { format_significant(fps, 4, lang) };
    match lang {
        Lang::En => format!("{number} frames per second"),
        Lang::Ja => format!("{number} フレーム/秒"),
    }
}

/// `1.2 MB` (powers of 1000); the units read the same in Japanese.
pub fn format_bytes(bytes: u64, lang: Lang) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{} B", format_integer(bytes))
    } else {
        format!("{} {}", format_decimal(value, 1, lang), UNITS[unit])
    }
}

/// A calendar day (proleptic Gregorian, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    /// 1..=12
    pub month: u32,
    /// 1..=31
    pub day: u32,
}

impl Date {
    /// Today (UTC), or the day of `$SOURCE_DATE_EPOCH` (seconds) for reproducible reports. Native
    /// only: the web app takes the day from the browser.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn today() -> Date {
        let from_env = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|v| v.trim().parse::<i64>().ok());
        let now = || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
                .unwrap_or(0)
        };
        Date::from_unix_secs(from_env.unwrap_or_else(now))
    }

    /// The UTC day of a Unix time in seconds.
    pub fn from_unix_secs(unix_secs: i64) -> Date {
        Date::from_days_since_epoch(unix_secs.div_euclid(86_400))
    }

    /// The UTC day of a Unix time in milliseconds (JavaScript's `Date.now()`); `None` if not finite.
    pub fn from_unix_millis(unix_millis: f64) -> Option<Date> {
        let days = (unix_millis / 86_400_000.0).floor();
        (days.is_finite() && days.abs() < 1e9).then(|| Date::from_days_since_epoch(days as i64))
    }

    /// Howard Hinnant's `civil_from_days`.
    fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z.rem_euclid(146_097);
        let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let mp = (5 * day_of_year + 2) / 153;
        let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Date { year: year.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32, month, day }
    }

    /// `2026-11-25`.
    pub fn iso(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// Reads `YYYY-MM-DD`; `None` for anything else or an impossible day.
    pub fn parse_iso(text: &str) -> Option<Date> {
        let mut parts = text.splitn(3, '-');
        let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
        if year.len() != 4 || month.len() != 2 || day.len() != 2 {
            return None;
        }
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if !(all_digits(year) && all_digits(month) && all_digits(day)) {
            return None;
        }
        let date = Date { year: year.parse().ok()?, month: month.parse().ok()?, day: day.parse().ok()? };
        ((1..=12).contains(&date.month) && (1..=days_in_month(date.year, date.month)).contains(&date.day))
            .then_some(date)
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `25 November 2026`; `2026年11月25日`.
pub fn format_date(date: Date, lang: Lang) -> String {
    match lang {
        Lang::En => {
            let month = MONTHS_EN.get(date.month.saturating_sub(1) as usize).copied().unwrap_or("?");
            format!("{} {month} {}", date.day, date.year)
        }
        Lang::Ja => format!("{}年{}月{}日", date.year, date.month, date.day),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_two_distinct_non_empty_translations() {
        for msg in Msg::ALL {
            let (en, ja) = (msg.text(Lang::En), msg.text(Lang::Ja));
            assert!(!en.trim().is_empty() && !ja.trim().is_empty(), "{msg:?}");
            assert_ne!(en, ja, "{msg:?} is not translated");
            assert!(!ja.is_ascii(), "{msg:?}: the Japanese text is plain ASCII: {ja}");
        }
    }

    #[test]
    fn languages_parse_from_codes() {
        assert_eq!("en".parse::<Lang>(), Ok(Lang::En));
        assert_eq!("JA".parse::<Lang>(), Ok(Lang::Ja));
        assert_eq!("ja-JP".parse::<Lang>(), Ok(Lang::Ja));
        assert_eq!("fr".parse::<Lang>().unwrap_err().to_string(), "unknown language `fr`: expected `en` or `ja`");
        assert_eq!(serde_json::to_string(&Lang::Ja).unwrap(), "\"ja\"");
    }

    #[test]
    fn numbers_group_thousands_in_both_languages() {
        assert_eq!(format_integer(1_234_567), "1,234,567");
        assert_eq!(format_integer(999), "999");
        assert_eq!(format_decimal(1_234_567.85, 1, Lang::En), "1,234,567.9");
        assert_eq!(format_decimal(1_234_567.85, 1, Lang::Ja), "1,234,567.9");
        assert_eq!(format_decimal(-1234.5, 0, Lang::En), "-1,234");
        assert_eq!(format_decimal(-0.01, 1, Lang::En), "0.0");
        assert_eq!(format_decimal(f64::NAN, 1, Lang::En), "—");
        assert_eq!(format_significant(0.012345, 3, Lang::En), "0.0123");
        assert_eq!(format_significant(12345.6, 3, Lang::En), "12,346");
    }

    #[test]
    fn counts_and_durations_read_naturally() {
        assert_eq!(count_phrase(42, Unit::Episode, Lang::En), "42 episodes");
        assert_eq!(count_phrase(1, Unit::Episode, Lang::En), "1 episode");
        assert_eq!(count_phrase(42, Unit::Episode, Lang::Ja), "42 エピソード");
        assert_eq!(count_phrase(2, Unit::Camera, Lang::Ja), "2 台のカメラ");
        assert_eq!(format_duration(33.0, Lang::En), "33 seconds");
        assert_eq!(format_duration(1.0, Lang::En), "1 second");
        assert_eq!(format_duration(330.0, Lang::En), "5.5 minutes");
        assert_eq!(format_duration(4680.0, Lang::En), "1.3 hours");
        assert_eq!(format_duration(4680.0, Lang::Ja), "1.3 時間");
        assert_eq!(format_duration(33.0, Lang::Ja), "33 秒");
        assert_eq!(format_fps(30.0, Lang::Ja), "30 フレーム/秒");
        assert_eq!(format_fps(29.97, Lang::En), "29.97 frames per second");
        assert_eq!(format_bytes(1_234_567, Lang::En), "1.2 MB");
    }

    #[test]
    fn dates_in_each_language() {
        let date = Date { year: 2026, month: 11, day: 25 };
        assert_eq!(format_date(date, Lang::En), "25 November 2026");
        assert_eq!(format_date(date, Lang::Ja), "2026年11月25日");
        // date -u -d 2026-11-25 +%s → 1795564800
        assert_eq!(Date::from_unix_secs(1_795_564_800), date);
        assert_eq!(Date::from_unix_secs(1_795_564_800 + 86_399), date);
        assert_eq!(Date::from_unix_secs(0), Date { year: 1970, month: 1, day: 1 });
        assert_eq!(Date::from_unix_secs(951_782_400), Date { year: 2000, month: 2, day: 29 });
        assert_eq!(Date::from_unix_millis(1_795_564_800_000.0), Some(date));
        assert_eq!(Date::parse_iso("2026-11-25"), Some(date));
        assert_eq!(date.iso(), "2026-11-25");
        assert_eq!(Date::parse_iso("2026-02-30"), None);
        assert_eq!(Date::parse_iso("2026-1-5"), None);
    }
}
