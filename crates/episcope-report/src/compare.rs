//! Several datasets side by side, from their reports alone (no data needed): one row per report
//! (version, robot, episodes, hours, tasks, cameras, verdict) and the comparison charts, as a
//! self-contained HTML page like the single report.

use std::fmt::Write as _;

use episcope_core::check::render::escape_html;
use episcope_core::check::report::FullReport;
use episcope_core::check::Verdict;
use serde::{Deserialize, Serialize};

use crate::charts::{findings_per_dataset_chart, hours_by_robot_chart, hours_by_task_chart, report_duration_secs};
use crate::html::{footer, page_start, verdict_label};
use crate::i18n::{format_integer, format_significant, Date, Lang, Msg};

/// One dataset in a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareRow {
    pub name: String,
    pub format_version: Option<String>,
    pub robot_type: Option<String>,
    pub episodes: u64,
    pub frames: u64,
    /// Recorded time in hours (frames / fps).
    pub hours: Option<f64>,
    /// `None` for a plain conformance report (it does not list tasks).
    pub tasks: Option<u64>,
    /// `None` for a plain conformance report.
    pub cameras: Option<u64>,
    pub verdict: Verdict,
    pub errors: u64,
    pub warnings: u64,
}

/// The rows of a comparison, in the order of the reports.
pub fn compare_rows(reports: &[FullReport]) -> Vec<CompareRow> {
    reports
        .iter()
        .map(|report| {
            let r = &report.report;
            // A full report lists its features; a plain conformance report has none of these parts.
            let full = !report.features.is_empty();
            CompareRow {
                name: r.dataset.name.clone(),
                format_version: r.dataset.format_version.clone(),
                robot_type: r.dataset.robot_type.clone(),
                episodes: r.dataset.episodes,
                frames: r.dataset.frames,
                hours: report_duration_secs(report).map(|secs| secs / 3600.0),
                tasks: full.then_some(report.tasks.len() as u64),
                cameras: full.then_some(report.cameras.len() as u64),
                verdict: r.summary.verdict,
                errors: r.summary.errors,
                warnings: r.summary.warnings,
            }
        })
        .collect()
}

fn esc(text: &str) -> String {
    escape_html(text)
}

/// The comparison as one self-contained HTML document: the table (`data-testid="compare-table"`,
/// one `data-testid="compare-row"` per report) and the charts.
pub fn render_compare_html(reports: &[FullReport], lang: Lang, generated_on: Option<Date>) -> String {
    let mut out = String::with_capacity(32 * 1024);
    let title = Msg::CompareTitle.text(lang);
    page_start(&mut out, lang, title);
    let _ = write!(
        out,
        "<main data-testid=\"compare\"><header><h1>{}</h1><p class=\"lead\">{}</p></header>",
        esc(title),
        esc(&match lang {
            Lang::En => format!("{} datasets.", format_integer(reports.len() as u64)),
            Lang::Ja => format!("{} 件のデータセット。", format_integer(reports.len() as u64)),
        })
    );
    let headers = [
        Msg::Dataset,
        Msg::Format,
        Msg::Robot,
        Msg::Episodes,
        Msg::Hours,
        Msg::Tasks,
        Msg::Cameras,
        Msg::Verdict,
        Msg::Errors,
        Msg::Warnings,
    ];
    out.push_str("<table data-testid=\"compare-table\"><thead><tr>");
    for (i, header) in headers.iter().enumerate() {
        let class = if (3..=6).contains(&i) || i >= 8 { " class=\"num\"" } else { "" };
        let _ = write!(out, "<th{class}>{}</th>", esc(header.text(lang)));
    }
    out.push_str("</tr></thead><tbody>");
    let dash = "—".to_string();
    for row in compare_rows(reports) {
        let verdict_class = match row.verdict {
            Verdict::Pass => "pass",
            Verdict::Warnings => "warning",
            Verdict::Errors => "error",
        };
        let _ = write!(
            out,
            "<tr data-testid=\"compare-row\"><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"sev {verdict_class}\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&row.name),
            esc(row.format_version.as_deref().unwrap_or("—")),
            esc(row.robot_type.as_deref().unwrap_or("—")),
            format_integer(row.episodes),
            row.hours.map(|h| format_significant(h, 3, lang)).unwrap_or_else(|| dash.clone()),
            row.tasks.map(format_integer).unwrap_or_else(|| dash.clone()),
            row.cameras.map(format_integer).unwrap_or_else(|| dash.clone()),
            esc(verdict_label(row.verdict, lang)),
            format_integer(row.errors),
            format_integer(row.warnings),
        );
    }
    out.push_str("</tbody></table>");
    for chart in [
        hours_by_robot_chart(reports, lang),
        hours_by_task_chart(reports, lang),
        findings_per_dataset_chart(reports, lang),
    ] {
        match chart {
            Ok(Some(svg)) => {
                let _ = write!(out, "<figure>{svg}</figure>");
            }
            Ok(None) => {}
            Err(e) => {
                let _ = write!(out, "<p class=\"note\">{}</p>", esc(&e.to_string()));
            }
        }
    }
    let version = env!("CARGO_PKG_VERSION");
    footer(&mut out, "episcope", version, generated_on.map(|d| d.iso()).as_deref(), lang, Msg::PrivacyNote);
    out.push_str("</main></body></html>\n");
    out
}
