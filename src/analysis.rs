//! Plain logic behind the statistics, report and comparison views (no Leptos, tested natively):
//! table rows of dimension statistics, drift findings merged into the conformance report, JSON
//! report parsing with bounds, and the checks that inline SVG and exported HTML stay CSP-safe.

use episcope_core::check::Report;
use episcope_core::stats::drift::{drift_findings, DriftRow, StatsDrift};
use episcope_core::stats::{DatasetStats, DimensionStatistics};
use episcope_report::assemble::merge_findings;
use episcope_report::FullReport;

/// The largest JSON report file the comparison accepts (a full report of a big dataset with its
/// per-file hashes stays far below).
pub const MAX_REPORT_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Reports shown side by side at most.
pub const MAX_COMPARED_REPORTS: usize = 64;
/// Drift rows listed in the statistics view (disagreements come first).
pub const MAX_DRIFT_ROWS_SHOWN: usize = 200;
/// Dimension rows listed per feature in the statistics table.
pub const MAX_DIMENSION_ROWS_PER_FEATURE: usize = 256;
/// The quantiles the statistics table shows, with their column names.
pub const TABLE_QUANTILES: [(f64, &str); 5] =
    [(0.01, "q01"), (0.10, "q10"), (0.50, "q50"), (0.90, "q90"), (0.99, "q99")];

/// One row of the statistics table: a dimension of a feature.
#[derive(Debug, Clone, PartialEq)]
pub struct DimensionRow {
    pub feature: String,
    pub dim: usize,
    pub label: String,
    pub stats: DimensionStatistics,
}

/// The rows of the statistics table, feature by feature (at most
/// [`MAX_DIMENSION_ROWS_PER_FEATURE`] each), labelled with the dimensions' names.
pub fn dimension_rows(stats: &DatasetStats) -> Vec<DimensionRow> {
    stats
        .features
        .iter()
        .flat_map(|feature| {
            feature.dims.iter().enumerate().take(MAX_DIMENSION_ROWS_PER_FEATURE).map(move |(dim, stats)| DimensionRow {
                feature: feature.feature.clone(),
                dim,
                label: feature.labels.get(dim).cloned().unwrap_or_else(|| format!("{}[{dim}]", feature.feature)),
                stats: stats.clone(),
            })
        })
        .collect()
}

/// A statistic for a table cell: 6 significant digits, `—` when absent or not finite.
pub fn format_stat(value: Option<f64>) -> String {
    match value {
        Some(v) if v.is_finite() => {
            if v != 0.0 && (v.abs() >= 1e7 || v.abs() < 1e-4) {
                format!("{v:.4e}")
            } else {
                let digits = if v == 0.0 { 0 } else { (5 - v.abs().log10().floor() as i32).clamp(0, 9) as usize };
                let text = format!("{v:.digits$}");
                if text.contains('.') {
                    text.trim_end_matches('0').trim_end_matches('.').to_string()
                } else {
                    text
                }
            }
        }
        _ => "—".to_string(),
    }
}

/// A value for a `data-*` attribute: Rust's shortest round-trip form (tests read it back exactly).
pub fn exact_attribute(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// Drift rows to list: disagreements first (as [`StatsDrift::rows`] orders them), bounded.
pub fn drift_rows_shown(drift: &StatsDrift) -> &[DriftRow] {
    &drift.rows[..drift.rows.len().min(MAX_DRIFT_ROWS_SHOWN)]
}

/// Adds the drift's disagreements to the conformance report as `stats.consistent` findings, unless
/// the checker already reported that rule for the same file and feature. Returns whether the report
/// changed (so a caller can skip a needless signal update).
pub fn merge_drift_findings(report: &mut Report, drift: &StatsDrift) -> bool {
    let extra = drift_findings(drift);
    if extra.is_empty() {
        return false;
    }
    let before = report.findings.len();
    merge_findings(report, extra);
    report.findings.len() != before
}

/// Why a picked file is not a report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportFileError {
    #[error("{size_bytes} bytes, more than the {MAX_REPORT_FILE_BYTES} a report may have: {file_name}")]
    TooLarge { size_bytes: u64, file_name: String },
    #[error("not an Episcope JSON report ({reason}): {file_name}")]
    NotAReport { reason: String, file_name: String },
    #[error("report_version {version} is not supported (only 1): {file_name}")]
    UnsupportedVersion { version: u32, file_name: String },
}

/// Checks a report file's size before its bytes are read.
pub fn check_report_size(size_bytes: u64, file_name: &str) -> Result<(), ReportFileError> {
    if size_bytes > MAX_REPORT_FILE_BYTES {
        return Err(ReportFileError::TooLarge { size_bytes, file_name: file_name.to_string() });
    }
    Ok(())
}

/// Parses an untrusted JSON report (a full report, or a plain conformance report, which reads as a
/// full report with its extra parts empty). Meant to run in the worker.
pub fn parse_report(bytes: &[u8], file_name: &str) -> Result<FullReport, ReportFileError> {
    check_report_size(bytes.len() as u64, file_name)?;
    let report: FullReport = serde_json::from_slice(bytes)
        .map_err(|e| ReportFileError::NotAReport { reason: e.to_string(), file_name: file_name.to_string() })?;
    if report.report.report_version != 1 {
        return Err(ReportFileError::UnsupportedVersion {
            version: report.report.report_version,
            file_name: file_name.to_string(),
        });
    }
    Ok(report)
}

/// Whether a chart's SVG can be inlined in the page under its CSP and privacy rules: no `style`
/// attribute or element, no script, no reference to anything outside it.
pub fn svg_is_inline_safe(svg: &str) -> bool {
    let lower = svg.to_ascii_lowercase();
    lower.starts_with("<svg")
        && ["style=", "<style", "<script", "href", "url(", "http:", "https:", "src=", "@import", " on"]
            .iter()
            .all(|needle| !lower.contains(needle) || (*needle == " on" && !has_event_attribute(&lower)))
}

/// An `on…=` attribute (`onload=`, `onclick=` …) in markup.
fn has_event_attribute(lower: &str) -> bool {
    lower.match_indices(" on").any(|(at, _)| {
        let rest = &lower[at + 3..];
        let name_len = rest.chars().take_while(|c| c.is_ascii_alphabetic()).count();
        name_len > 0 && rest[name_len..].starts_with('=')
    })
}

/// What an exported HTML document must not contain to open offline with nothing fetched.
pub const EXTERNAL_REFERENCE_MARKERS: [&str; 6] = ["http:", "https:", "src=", "@import", "url(", "//"];

/// The external-reference markers found in an exported document (empty when self-contained).
pub fn external_references(html: &str) -> Vec<&'static str> {
    let lower = html.to_ascii_lowercase();
    EXTERNAL_REFERENCE_MARKERS.into_iter().filter(|m| lower.contains(m)).collect()
}

/// A file name stem from a dataset name: letters, digits, `-` and `_` kept, the rest `_`.
pub fn file_stem(name: &str) -> String {
    let stem: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    if stem.is_empty() {
        "dataset".into()
    } else {
        stem
    }
}

/// The share done of a progress, in `[0, 1]` (0 when the total is unknown).
pub fn progress_fraction(done: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        (done as f64 / total as f64).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use episcope_core::check::finding::{Finding, Location};
    use episcope_core::check::report::Summary;
    use episcope_core::check::{Severity, Verdict};
    use episcope_core::stats::drift::DRIFT_RULE;
    use episcope_core::stats::{
        Binning, EpisodeLengthStats, FeatureStatistics, Histogram, QuantileMethod, QuantileValue, TaskStats,
    };
    use episcope_report::charts::{episode_length_chart, histogram_chart, range_chart};
    use episcope_report::Lang;

    fn dimension(values: &[f64]) -> DimensionStatistics {
        let min = values.iter().cloned().fold(f64::INFINITY, f64::min);
        let max = values.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let binning = Binning::new(min, max, 8);
        DimensionStatistics {
            count: values.len() as u64,
            nan_count: 0,
            pos_inf_count: 0,
            neg_inf_count: 0,
            min: Some(min),
            max: Some(max),
            mean: Some(values.iter().sum::<f64>() / values.len() as f64),
            std: Some(1.0),
            quantiles: vec![QuantileValue { q: 0.5, value: values[values.len() / 2] }],
            quantile_method: QuantileMethod::Exact,
            histogram: Some(Histogram::from_counts(&binning, binning.count(values), 0)),
        }
    }

    fn stats() -> DatasetStats {
        let values = [1.0, 2.0, 2.5, 3.0, 7.0];
        let feature = FeatureStatistics {
            feature: "observation.state".into(),
            labels: vec!["<shoulder> & \"pan\"".into()],
            dims: vec![dimension(&values), dimension(&[0.0, -1.0, 4.0])],
            rows: 5,
            peak_retained_values: 5,
        };
        let lengths = Binning::new(2.0, 3.0, 4);
        DatasetStats {
            fps: 30.0,
            frames_read: 5,
            features: vec![feature],
            episode_lengths: EpisodeLengthStats {
                count: 2,
                total_frames: 5,
                min: Some(2),
                max: Some(3),
                mean: Some(2.5),
                std: Some(0.5),
                histogram: Some(Histogram::from_counts(&lengths, lengths.count(&[2.0, 3.0]), 0)),
            },
            tasks: vec![TaskStats {
                task_index: 0,
                task: "pick".into(),
                frames: 5,
                hours: 5.0 / 30.0 / 3600.0,
                episodes: 2,
            }],
            frames_with_unknown_task: 0,
            data_files: vec!["data/a.parquet".into()],
            bytes_read: 10,
            problems: Vec::new(),
            problems_omitted: 0,
        }
    }

    fn drift_row(within: Option<bool>) -> DriftRow {
        DriftRow {
            feature: "observation.state".into(),
            dim: 0,
            label: "shoulder".into(),
            stat: "mean".into(),
            stored: 1.0,
            computed: 2.0,
            abs_diff: 1.0,
            tolerance: Some(0.01),
            within,
        }
    }

    fn drift(rows: Vec<DriftRow>, complete: bool) -> StatsDrift {
        let outside = rows.iter().filter(|r| r.within == Some(false)).count() as u64;
        StatsDrift {
            stored_path: "meta/stats.json".into(),
            aggregated_from_episodes: false,
            complete,
            compared: rows.len() as u64,
            outside,
            rows,
            rows_omitted: 0,
            skipped: Vec::new(),
        }
    }

    fn empty_report() -> Report {
        let json = serde_json::json!({
            "report_version": 1,
            "tool": {"name": "episcope", "version": "0.1.0"},
            "dataset": {"name": "ds", "episodes": 2, "frames": 5, "files": []},
            "profile": "lerobot",
            "rules_checked": 3,
            "summary": {"verdict": "pass", "errors": 0, "warnings": 0, "infos": 0, "occurrences": 0},
            "findings": []
        });
        serde_json::from_value(json).expect("a minimal report parses")
    }

    #[test]
    fn rows_are_labelled_per_dimension_with_a_fallback_name() {
        let mut stats = stats();
        stats.features[0].labels.truncate(1);
        let rows = dimension_rows(&stats);
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].dim, rows[0].label.as_str()), (0, "<shoulder> & \"pan\""));
        assert_eq!((rows[1].dim, rows[1].label.as_str()), (1, "observation.state[1]"));
        assert_eq!(rows[1].stats.min, Some(-1.0));
    }

    #[test]
    fn stats_are_formatted_to_six_significant_digits() {
        assert_eq!(format_stat(Some(4.880851272767353)), "4.88085");
        assert_eq!(format_stat(Some(-45.34266662597656)), "-45.3427");
        assert_eq!(format_stat(Some(0.0)), "0");
        assert_eq!(format_stat(Some(30.0)), "30");
        assert_eq!(format_stat(Some(1.5e-7)), "1.5000e-7");
        assert_eq!(format_stat(Some(f64::NAN)), "—");
        assert_eq!(format_stat(None), "—");
        assert_eq!(exact_attribute(Some(-45.34266662597656)), "-45.34266662597656");
        assert_eq!(exact_attribute(None), "");
    }

    #[test]
    fn drift_disagreements_join_the_findings_once() {
        let mut report = empty_report();
        let drift = drift(vec![drift_row(Some(false)), drift_row(Some(true))], true);
        assert!(merge_drift_findings(&mut report, &drift));
        assert_eq!(report.findings.len(), 1);
        assert_eq!(report.findings[0].rule, DRIFT_RULE);
        assert_eq!(report.summary.verdict, Verdict::Errors);
        // Merging again changes nothing (the effect that merges re-runs on every report change).
        assert!(!merge_drift_findings(&mut report, &drift));
        assert_eq!(report.findings.len(), 1);
    }

    #[test]
    fn a_finding_the_checker_already_made_is_not_duplicated() {
        let mut report = empty_report();
        let mut findings = episcope_core::check::finding::Findings::default();
        findings.add(
            DRIFT_RULE,
            Location::file("meta/stats.json").feature("observation.state"),
            "checker's own",
            "recompute",
        );
        report.findings = findings.into_sorted();
        report.summary = Summary::of(&report.findings);
        let drift = drift(vec![drift_row(Some(false))], true);
        assert!(!merge_drift_findings(&mut report, &drift));
        assert_eq!(report.findings.len(), 1);
        assert_eq!(report.findings[0].message, "checker's own");
    }

    #[test]
    fn incomplete_or_agreeing_drift_adds_nothing() {
        let mut report = empty_report();
        assert!(!merge_drift_findings(&mut report, &drift(vec![drift_row(Some(false))], false)));
        assert!(!merge_drift_findings(&mut report, &drift(vec![drift_row(Some(true)), drift_row(None)], true)));
        assert!(report.findings.is_empty());
        assert_eq!(report.summary.verdict, Verdict::Pass);
    }

    #[test]
    fn report_files_parse_or_say_why_not() {
        let report = empty_report();
        let full = FullReport::from_report(report.clone());
        let bytes = serde_json::to_vec(&full).unwrap();
        assert_eq!(parse_report(&bytes, "a.json").unwrap(), full);
        // A plain conformance report reads as a full report without its extra parts.
        let plain = serde_json::to_vec(&report).unwrap();
        assert!(parse_report(&plain, "plain.json").unwrap().features.is_empty());
        let err = parse_report(b"{\"hello\": 1}", "x.json").unwrap_err();
        assert!(matches!(err, ReportFileError::NotAReport { .. }));
        assert!(err.to_string().ends_with(": x.json"), "{err}");
        let mut future = serde_json::to_value(&full).unwrap();
        future["report_version"] = 2.into();
        let err = parse_report(&serde_json::to_vec(&future).unwrap(), "f.json").unwrap_err();
        assert_eq!(err, ReportFileError::UnsupportedVersion { version: 2, file_name: "f.json".into() });
        assert!(matches!(
            check_report_size(MAX_REPORT_FILE_BYTES + 1, "big.json"),
            Err(ReportFileError::TooLarge { .. })
        ));
        assert_eq!(check_report_size(MAX_REPORT_FILE_BYTES, "ok.json"), Ok(()));
    }

    #[test]
    fn charts_can_be_inlined_under_the_pages_csp() {
        let stats = stats();
        let feature = &stats.features[0];
        let charts = [
            histogram_chart(feature, Lang::En).unwrap().unwrap(),
            range_chart(feature, Lang::En).unwrap().unwrap(),
            episode_length_chart(&stats.episode_lengths, stats.fps, Lang::En).unwrap().unwrap(),
        ];
        for svg in &charts {
            assert!(svg_is_inline_safe(svg), "not inline-safe: {}", &svg[..svg.len().min(300)]);
            // Dataset strings are escaped.
            assert!(!svg.contains("<shoulder>"));
        }
        assert!(charts[0].contains("&lt;shoulder&gt;"), "labels are drawn");
    }

    #[test]
    fn unsafe_markup_is_recognised() {
        assert!(svg_is_inline_safe("<svg class=\"chart\"><text font-family=\"sans\">one on two</text></svg>"));
        assert!(!svg_is_inline_safe("<svg style=\"x\"></svg>"));
        assert!(!svg_is_inline_safe("<svg><style>a{}</style></svg>"));
        assert!(!svg_is_inline_safe("<svg><image href=\"a.png\"/></svg>"));
        assert!(!svg_is_inline_safe("<svg onload=\"x()\"></svg>"));
        assert!(!svg_is_inline_safe("<svg><rect fill=\"url(#g)\"/></svg>"));
        assert!(!svg_is_inline_safe("<div></div>"));
    }

    #[test]
    fn exported_documents_are_checked_for_external_references() {
        assert_eq!(external_references("<p>fine</p>"), Vec::<&str>::new());
        assert_eq!(external_references("<img src=\"https://x\">"), vec!["https:", "src=", "//"]);
        assert_eq!(external_references("a{background:url(x)}"), vec!["url("]);
    }

    #[test]
    fn progress_and_file_names() {
        assert_eq!(progress_fraction(1, 4), 0.25);
        assert_eq!(progress_fraction(5, 4), 1.0);
        assert_eq!(progress_fraction(0, 0), 0.0);
        assert_eq!(file_stem("my data/set"), "my_data_set");
        assert_eq!(file_stem(""), "dataset");
    }

    #[test]
    fn error_and_warning_findings_are_distinguished() {
        // The merged finding is an error: the catalogue's severity for stats.consistent.
        let mut report = empty_report();
        merge_drift_findings(&mut report, &drift(vec![drift_row(Some(false))], true));
        let finding: &Finding = &report.findings[0];
        assert_eq!(finding.severity, Severity::Error);
        assert_eq!(finding.location.feature.as_deref(), Some("observation.state"));
    }
}
