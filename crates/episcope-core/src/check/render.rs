//! Renders a [`Report`] as Markdown or as one self-contained HTML file. Every string taken from the
//! dataset is escaped; the HTML has no external references (inline style, no scripts, no links out).

use std::fmt::Write as _;

use super::finding::{Finding, Location};
use super::report::{Report, Verdict};
use super::rules::{rule, RULES};

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes text for Markdown: inline HTML and Markdown syntax are neutralised.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '|' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// `data/x.parquet · episode 3 · frame 12 · action`.
pub fn describe_location(location: &Location) -> String {
    let mut parts = Vec::new();
    if let Some(path) = &location.path {
        parts.push(path.clone());
    }
    if let Some(e) = location.episode {
        parts.push(format!("episode {e}"));
    }
    if let Some(f) = location.frame {
        parts.push(format!("frame {f}"));
    }
    if let Some(r) = location.row {
        parts.push(format!("row {r}"));
    }
    if let Some(feature) = &location.feature {
        parts.push(feature.clone());
    }
    if parts.is_empty() {
        "dataset".to_string()
    } else {
        parts.join(" · ")
    }
}

fn verdict_text(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "PASS — no errors or warnings",
        Verdict::Warnings => "PASS WITH WARNINGS — no errors",
        Verdict::Errors => "FAIL — errors found",
    }
}

fn occurrences(finding: &Finding) -> String {
    if finding.count > 1 {
        format!(" ({} occurrences)", finding.count)
    } else {
        String::new()
    }
}

pub fn to_markdown(report: &Report) -> String {
    let mut out = String::new();
    let d = &report.dataset;
    let _ = writeln!(out, "# Conformance report: {}\n", escape_markdown(&d.name));
    let _ = writeln!(out, "**Verdict: {}**\n", verdict_text(report.summary.verdict));
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| Format | LeRobot {} |", escape_markdown(d.format_version.as_deref().unwrap_or("unknown")));
    let _ = writeln!(out, "| Robot | {} |", escape_markdown(d.robot_type.as_deref().unwrap_or("—")));
    let _ = writeln!(out, "| Episodes / frames | {} / {} |", d.episodes, d.frames);
    let _ = writeln!(out, "| Profile | {} |", escape_markdown(&report.profile));
    let _ = writeln!(
        out,
        "| Findings | {} errors, {} warnings, {} info ({} occurrences) |",
        report.summary.errors, report.summary.warnings, report.summary.infos, report.summary.occurrences
    );
    let _ = writeln!(out, "| Dataset SHA-256 | `{}` |", d.sha256.as_deref().unwrap_or("not computed"));
    let _ = writeln!(
        out,
        "| Checked by | {} {}, {} rules |\n",
        report.tool.name, report.tool.version, report.rules_checked
    );
    if report.findings.is_empty() {
        let _ = writeln!(out, "No findings.");
    }
    for finding in &report.findings {
        let title = rule(&finding.rule).map(|r| r.title).unwrap_or("");
        let _ = writeln!(
            out,
            "- **{}** `{}` — {}{}\n  - where: {}\n  - {}\n  - fix: {}",
            finding.severity.as_str(),
            finding.rule,
            escape_markdown(title),
            occurrences(finding),
            escape_markdown(&describe_location(&finding.location)),
            escape_markdown(&finding.message),
            escape_markdown(&finding.fix),
        );
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans','Noto Sans CJK JP','Hiragino Sans',Meiryo,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#17212b;line-height:1.5}\
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #dde3ea;padding:.3rem .5rem;text-align:left;vertical-align:top}\
.verdict{font-size:1.3rem;font-weight:700;padding:.6rem 1rem;border-radius:8px}.pass{background:#e6f6ea}.warnings{background:#fff6e0}.errors{background:#fdecec}\
.sev{font-weight:700;text-transform:uppercase;font-size:.8rem}.error{color:#b42318}.warning{color:#9a6700}.info{color:#0f6fae}code{font-size:.9em}\
@media print{body{margin:0}}";

pub fn to_html(report: &Report) -> String {
    let d = &report.dataset;
    let verdict_class = match report.summary.verdict {
        Verdict::Pass => "pass",
        Verdict::Warnings => "warnings",
        Verdict::Errors => "errors",
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"><title>Conformance report: {}</title><style>{STYLE}</style></head><body>",
        escape_html(&d.name)
    );
    let _ = write!(out, "<h1>Conformance report: {}</h1>", escape_html(&d.name));
    let _ = write!(out, "<p class=\"verdict {verdict_class}\">{}</p>", verdict_text(report.summary.verdict));
    let _ = write!(out, "<table><tbody>");
    let rows = [
        ("Format", format!("LeRobot {}", d.format_version.as_deref().unwrap_or("unknown"))),
        ("Robot", d.robot_type.clone().unwrap_or_else(|| "—".into())),
        ("Episodes / frames", format!("{} / {}", d.episodes, d.frames)),
        ("Profile", report.profile.clone()),
        (
            "Findings",
            format!(
                "{} errors, {} warnings, {} info ({} occurrences)",
                report.summary.errors, report.summary.warnings, report.summary.infos, report.summary.occurrences
            ),
        ),
        ("Dataset SHA-256", d.sha256.clone().unwrap_or_else(|| "not computed".into())),
        ("Checked by", format!("{} {}, {} rules", report.tool.name, report.tool.version, report.rules_checked)),
    ];
    for (label, value) in rows {
        let _ = write!(out, "<tr><th>{label}</th><td>{}</td></tr>", escape_html(&value));
    }
    let _ = write!(out, "</tbody></table><h2>Findings</h2>");
    if report.findings.is_empty() {
        let _ = write!(out, "<p>No findings.</p>");
    } else {
        let _ = write!(out, "<table><thead><tr><th>Severity</th><th>Rule</th><th>Where</th><th>What</th><th>Fix</th></tr></thead><tbody>");
        for f in &report.findings {
            let _ = write!(
                out,
                "<tr><td class=\"sev {sev}\">{sev}</td><td><code>{}</code><br>{}</td><td>{}</td><td>{}{}</td><td>{}</td></tr>",
                escape_html(&f.rule),
                escape_html(rule(&f.rule).map(|r| r.title).unwrap_or("")),
                escape_html(&describe_location(&f.location)),
                escape_html(&f.message),
                escape_html(&occurrences(f)),
                escape_html(&f.fix),
                sev = f.severity.as_str(),
            );
        }
        let _ = write!(out, "</tbody></table>");
    }
    let _ =
        write!(out, "<h2>Files</h2><table><thead><tr><th>Path</th><th>Bytes</th><th>SHA-256</th></tr></thead><tbody>");
    for file in &d.files {
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td><code>{}</code></td></tr>",
            escape_html(&file.path),
            file.size_bytes,
            escape_html(file.sha256.as_deref().unwrap_or("—"))
        );
    }
    let _ = writeln!(out, "</tbody></table></body></html>");
    out
}

/// The rule catalogue as Markdown (for `episcope rules`).
pub fn rules_markdown() -> String {
    let mut out = String::from("| id | severity | versions | title | why it matters |\n|---|---|---|---|---|\n");
    for r in RULES {
        let versions: Vec<&str> = r.versions.iter().map(|v| v.as_str()).collect();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            r.id,
            r.severity.as_str(),
            versions.join(", "),
            r.title,
            r.why
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_neutralises_markup() {
        assert_eq!(escape_html("<script>alert('x')</script>&"), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;");
        assert_eq!(escape_markdown("[a](javascript:x) <b>"), "\\[a\\]\\(javascript:x\\) &lt;b&gt;");
    }
}
