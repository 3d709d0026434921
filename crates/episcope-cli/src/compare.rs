//! `episcope compare INPUT...`: datasets side by side, from JSON reports (no data needed) or from
//! dataset folders (reported on the spot, without file hashes), as a table or an HTML page.

use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use episcope_report::{compare_rows, render_compare_html, FullReport, Lang};

/// Report files larger than this are refused (a report is KiBs to a few MiB).
pub const MAX_REPORT_JSON_BYTES: u64 = 256 * 1024 * 1024;

pub struct CompareArgs {
    pub inputs: Vec<PathBuf>,
    pub output: Option<PathBuf>,
    pub lang: Lang,
}

/// A report from a JSON file (a full report, or a plain `check --json` report) or a dataset folder.
fn load(input: &Path) -> anyhow::Result<FullReport> {
    if input.is_dir() || episcope_core::local::as_url(input).is_some() {
        return crate::report::build(input, true, None);
    }
    let file = std::fs::File::open(input).with_context(|| format!("cannot read {}", input.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_REPORT_JSON_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", input.display()))?;
    if bytes.len() as u64 > MAX_REPORT_JSON_BYTES {
        anyhow::bail!("larger than {MAX_REPORT_JSON_BYTES} bytes, not a report: {}", input.display());
    }
    serde_json::from_slice(&bytes).with_context(|| format!("not an episcope JSON report: {}", input.display()))
}

/// Loads every input and writes the comparison; returns the reports (for the exit code).
pub fn run(args: &CompareArgs) -> anyhow::Result<Vec<FullReport>> {
    let reports = args.inputs.iter().map(|input| load(input)).collect::<anyhow::Result<Vec<_>>>()?;
    if let Some(path) = &args.output {
        let html = render_compare_html(&reports, args.lang, Some(episcope_report::Date::today()));
        std::fs::write(path, html).with_context(|| format!("cannot write {}", path.display()))?;
    }
    print!("{}", render_table(&reports));
    Ok(reports)
}

fn render_table(reports: &[FullReport]) -> String {
    let mut out = String::new();
    let dash = || "—".to_string();
    let _ = writeln!(
        out,
        "{:24} {:8} {:14} {:>8} {:>10} {:>6} {:>8} {:9} {:>7} {:>8}",
        "dataset", "version", "robot", "episodes", "hours", "tasks", "cameras", "verdict", "errors", "warnings"
    );
    for row in compare_rows(reports) {
        let verdict = serde_json::to_value(row.verdict).ok().and_then(|v| v.as_str().map(str::to_string));
        let _ = writeln!(
            out,
            "{:24} {:8} {:14} {:>8} {:>10} {:>6} {:>8} {:9} {:>7} {:>8}",
            row.name,
            row.format_version.unwrap_or_else(dash),
            row.robot_type.unwrap_or_else(dash),
            row.episodes,
            row.hours.map(|h| format!("{h:.4}")).unwrap_or_else(dash),
            row.tasks.map(|t| t.to_string()).unwrap_or_else(dash),
            row.cameras.map(|c| c.to_string()).unwrap_or_else(dash),
            verdict.unwrap_or_else(dash),
            row.errors,
            row.warnings
        );
    }
    out
}
