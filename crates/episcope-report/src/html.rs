//! The report as one self-contained HTML file: inline CSS (with print rules), inline SVG charts,
//! no script and no external reference of any kind; every string from the dataset escaped.
//! Sections: what the dataset is, how good it is, what it contains, all findings, identity.

use std::fmt::Write as _;

use episcope_core::check::render::{describe_location, escape_html};
use episcope_core::check::report::{CameraSummary, FullReport};
use episcope_core::check::rules::{rule, Severity};
use episcope_core::check::Verdict;

use crate::charts::{
    episode_length_chart, histogram_chart, range_chart, report_duration_secs, task_time_chart, ChartError,
};
use crate::i18n::{
    count_phrase, format_bytes, format_date, format_duration, format_fps, format_integer, format_significant, Date,
    Lang, Msg, Unit,
};
use crate::problems::{top_problems, verdict_sentence};

/// Files listed in the identity table; the rest are counted (the JSON report has them all).
pub const MAX_FILES_LISTED: usize = 2000;
/// Drift disagreements listed; the rest are counted.
pub const MAX_DRIFT_ROWS_LISTED: usize = 20;

/// The inline stylesheet: system fonts with Japanese fallbacks, print rules. No `url(`, no `@import`.
pub const STYLE: &str = concat!(
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans','Noto Sans CJK JP','Hiragino Sans','Yu Gothic',Meiryo,sans-serif;",
    "max-width:62rem;margin:2rem auto;padding:0 1rem;color:#17212b;line-height:1.55;background:#fff}",
    "h1{font-size:1.9rem;margin:.1rem 0 .6rem}h2{border-bottom:2px solid #dde3ea;padding-bottom:.2rem;margin-top:2.4rem}",
    "h3{margin-top:1.6rem}.kicker{color:#5b6775;margin:0;text-transform:uppercase;letter-spacing:.05em;font-size:.85rem}",
    ".lead{font-size:1.2rem}table{border-collapse:collapse;width:100%;margin:.5rem 0}",
    "td,th{border-bottom:1px solid #dde3ea;padding:.3rem .5rem;text-align:left;vertical-align:top}th{font-weight:600}",
    ".num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}.facts th{width:12rem}",
    "ul.plain{margin:0;padding-left:1.1rem}",
    ".verdict{display:inline-block;font-weight:700;font-size:1.15rem;padding:.35rem .9rem;border-radius:6px;border:2px solid}",
    ".verdict.pass{background:#e6f6ea;border-color:#1a7f37;color:#11562a}",
    ".verdict.warnings{background:#fff6e0;border-color:#9a6700;color:#6b4700}",
    ".verdict.errors{background:#fdecec;border-color:#b42318;color:#8a1a12}",
    ".sev{font-weight:700;text-transform:uppercase;font-size:.8rem}.error{color:#b42318}.warning{color:#9a6700}.info{color:#0f6fae}",
    "li.error::marker{color:#b42318}li.warning::marker{color:#9a6700}",
    "figure{margin:1.2rem 0;break-inside:avoid;page-break-inside:avoid}",
    "svg.chart{display:block;max-width:100%;height:auto;border:1px solid #dde3ea;border-radius:4px}",
    "svg.chart text{font-family:inherit}",
    "code,.hash{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85em;word-break:break-all}",
    ".note{color:#5b6775}footer{margin-top:3rem;color:#5b6775;font-size:.9rem;border-top:1px solid #dde3ea;padding-top:.6rem}",
    "@media print{body{margin:0;max-width:none;font-size:10.5pt}h2,h3{break-after:avoid;page-break-after:avoid}",
    "tr,figure,li{break-inside:avoid;page-break-inside:avoid}a{color:inherit;text-decoration:none}",
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}svg.chart{border:none}@page{margin:14mm}}"
);

/// Escaped text (the one way dataset strings reach the HTML).
fn esc(text: &str) -> String {
    escape_html(text)
}

/// The page head with a CSP that allows nothing but the inline style, and the opening `<body>`.
pub(crate) fn page_start(out: &mut String, lang: Lang, title: &str) {
    let _ = write!(
        out,
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>{}</title><style>{STYLE}</style></head><body>",
        lang.code(),
        esc(title)
    );
}

/// `Made by episcope 0.1.0 on 25 November 2026.` and the privacy note.
pub(crate) fn footer(out: &mut String, tool: &str, version: &str, generated_on: Option<&str>, lang: Lang, note: Msg) {
    let date = generated_on.and_then(Date::parse_iso).map(|d| format_date(d, lang));
    let made = match (lang, date) {
        (Lang::En, Some(date)) => format!("Made by {tool} {version} on {date}."),
        (Lang::En, None) => format!("Made by {tool} {version}."),
        (Lang::Ja, Some(date)) => format!("{tool} {version} により {date}に作成。"),
        (Lang::Ja, None) => format!("{tool} {version} により作成。"),
    };
    let _ = write!(out, "<footer data-testid=\"generated-by\"><p>{} {}</p></footer>", esc(&made), esc(note.text(lang)));
}

fn verdict_class(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "pass",
        Verdict::Warnings => "warnings",
        Verdict::Errors => "errors",
    }
}

/// `Pass`, `Pass with warnings`, `Fail` (translated).
pub fn verdict_label(verdict: Verdict, lang: Lang) -> &'static str {
    match verdict {
        Verdict::Pass => Msg::VerdictPass,
        Verdict::Warnings => Msg::VerdictWarnings,
        Verdict::Errors => Msg::VerdictErrors,
    }
    .text(lang)
}

fn severity_label(severity: Severity, lang: Lang) -> &'static str {
    match severity {
        Severity::Error => Msg::SeverityError,
        Severity::Warning => Msg::SeverityWarning,
        Severity::Info => Msg::SeverityInfo,
    }
    .text(lang)
}

/// `128×96, 30 fps, av1` (or `images in the data files`).
fn describe_camera(camera: &CameraSummary, lang: Lang) -> String {
    let mut parts = Vec::new();
    if let (Some(w), Some(h)) = (camera.width, camera.height) {
        parts.push(format!("{}×{}", format_integer(w), format_integer(h)));
    }
    if let Some(fps) = camera.fps {
        parts.push(format_fps(fps, lang));
    }
    if camera.storage == "image" {
        parts.push(Msg::ImagesInData.text(lang).to_string());
    } else if let Some(codec) = &camera.codec {
        parts.push(codec.clone());
    }
    parts.join(", ")
}

/// The plain-language sentence: `5 episodes of the so101 robot, 33 seconds at 30 frames per
/// second, 3 tasks, 2 cameras (front, wrist).` Not escaped.
pub fn dataset_sentence(report: &FullReport, lang: Lang) -> String {
    let d = &report.report.dataset;
    let episodes = count_phrase(d.episodes, Unit::Episode, lang);
    let robot = d.robot_type.as_deref().filter(|r| !r.trim().is_empty());
    let duration = report_duration_secs(report).map(|secs| format_duration(secs, lang));
    let fps = d.fps.filter(|f| f.is_finite() && *f > 0.0).map(|f| format_fps(f, lang));
    let full = !report.features.is_empty();
    let tasks = full.then(|| count_phrase(report.tasks.len() as u64, Unit::Task, lang));
    let separator = if lang == Lang::Ja { "、" } else { ", " };
    let camera_names = report.cameras.iter().map(|c| short_camera_name(&c.feature)).collect::<Vec<_>>().join(separator);
    let cameras = full.then(|| match (report.cameras.len(), lang) {
        (0, _) => Msg::NoCamera.text(lang).to_string(),
        (n, Lang::En) => format!("{} ({camera_names})", count_phrase(n as u64, Unit::Camera, lang)),
        (n, Lang::Ja) => format!("{}（{camera_names}）", count_phrase(n as u64, Unit::Camera, lang)),
    });
    match lang {
        Lang::En => {
            let mut parts = vec![match robot {
                Some(robot) => format!("{episodes} of the {robot} robot"),
                None => format!("{episodes} of an {}", Msg::UnnamedRobot.text(lang)),
            }];
            match (duration, fps) {
                (Some(duration), Some(fps)) => parts.push(format!("{duration} at {fps}")),
                (Some(duration), None) => parts.push(duration),
                (None, Some(fps)) => parts.push(fps),
                (None, None) => {}
            }
            parts.extend(tasks);
            parts.extend(cameras);
            format!("{}.", parts.join(", "))
        }
        Lang::Ja => {
            let mut parts = vec![match robot {
                Some(robot) => format!("{robot} ロボットの {episodes}"),
                None => format!("{}の {episodes}", Msg::UnnamedRobot.text(lang)),
            }];
            match (duration, fps) {
                (Some(duration), Some(fps)) => parts.push(format!("{fps}で {duration}")),
                (Some(duration), None) => parts.push(duration),
                (None, Some(fps)) => parts.push(fps),
                (None, None) => {}
            }
            parts.extend(tasks);
            parts.extend(cameras);
            format!("{}。", parts.join("、"))
        }
    }
}

/// `observation.images.front` → `front`.
fn short_camera_name(feature: &str) -> String {
    feature.strip_prefix("observation.images.").unwrap_or(feature).to_string()
}

fn figure(out: &mut String, chart: Result<Option<String>, ChartError>) {
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

fn fact(out: &mut String, label: Msg, value_html: &str, lang: Lang) {
    let _ = write!(out, "<tr><th>{}</th><td>{value_html}</td></tr>", esc(label.text(lang)));
}

fn what_it_is(out: &mut String, report: &FullReport, lang: Lang) {
    let d = &report.report.dataset;
    let _ = write!(
        out,
        "<section id=\"what\" data-testid=\"report-what\"><h2>{}</h2><p class=\"lead\" data-testid=\"report-sentence\">{}</p><table class=\"facts\"><tbody>",
        esc(Msg::WhatItIs.text(lang)),
        esc(&dataset_sentence(report, lang))
    );
    let unknown = Msg::Unknown.text(lang);
    fact(out, Msg::Robot, &esc(d.robot_type.as_deref().unwrap_or(unknown)), lang);
    fact(out, Msg::Format, &esc(&format!("LeRobot {}", d.format_version.as_deref().unwrap_or(unknown))), lang);
    fact(out, Msg::Episodes, &format_integer(d.episodes), lang);
    fact(out, Msg::Frames, &format_integer(d.frames), lang);
    if let Some(secs) = report_duration_secs(report) {
        fact(out, Msg::Duration, &esc(&format_duration(secs, lang)), lang);
    }
    if let Some(fps) = d.fps.filter(|f| f.is_finite()) {
        fact(out, Msg::FrameRate, &esc(&format_fps(fps, lang)), lang);
    }
    if !report.tasks.is_empty() {
        let mut items = String::from("<ul class=\"plain\">");
        for task in &report.tasks {
            let mut detail = count_phrase(task.episodes, Unit::Episode, lang);
            if let Some(hours) = task.hours {
                detail = format!("{detail}, {}", format_duration(hours * 3600.0, lang));
            }
            let text = if task.text.trim().is_empty() { Msg::NoTask.text(lang) } else { task.text.as_str() };
            let _ = write!(items, "<li>{} <span class=\"note\">({})</span></li>", esc(text), esc(&detail));
        }
        items.push_str("</ul>");
        fact(out, Msg::Tasks, &items, lang);
    }
    if !report.cameras.is_empty() {
        let mut items = String::from("<ul class=\"plain\">");
        for camera in &report.cameras {
            let _ = write!(
                items,
                "<li><code>{}</code> <span class=\"note\">{}</span></li>",
                esc(&camera.feature),
                esc(&describe_camera(camera, lang))
            );
        }
        items.push_str("</ul>");
        fact(out, Msg::Cameras, &items, lang);
    }
    let signals: Vec<String> = report
        .features
        .iter()
        .filter(|f| f.kind == "numeric" && !is_index_column(&f.name))
        .map(|f| {
            format!(
                "<code>{}</code> <span class=\"note\">({})</span>",
                esc(&f.name),
                esc(&count_phrase(f.values_per_frame, Unit::Value, lang))
            )
        })
        .collect();
    if !signals.is_empty() {
        fact(out, Msg::Signals, &signals.join(", "), lang);
    }
    if !d.files.is_empty() {
        let bytes = d.files.iter().map(|f| f.size_bytes).fold(0u64, u64::saturating_add);
        let size = format!("{}, {}", format_bytes(bytes, lang), count_phrase(d.files.len() as u64, Unit::File, lang));
        fact(out, Msg::Size, &esc(&size), lang);
    }
    out.push_str("</tbody></table></section>");
}

/// The five columns every LeRobot dataset has (bookkeeping, not signals).
fn is_index_column(name: &str) -> bool {
    matches!(name, "timestamp" | "frame_index" | "episode_index" | "index" | "task_index")
}

fn how_good_it_is(out: &mut String, report: &FullReport, lang: Lang) {
    let r = &report.report;
    let s = &r.summary;
    let _ = write!(
        out,
        "<section id=\"quality\" data-testid=\"report-quality\"><h2>{}</h2><p><span class=\"verdict {}\" data-testid=\"verdict\">{}</span></p><p class=\"lead\">{}</p>",
        esc(Msg::HowGoodItIs.text(lang)),
        verdict_class(s.verdict),
        esc(verdict_label(s.verdict, lang)),
        esc(&verdict_sentence(s.verdict, s.errors, s.warnings, &r.profile, lang)),
    );
    let problems = top_problems(&r.findings, lang);
    if !problems.is_empty() {
        out.push_str("<ul data-testid=\"top-problems\">");
        for problem in &problems {
            let _ = write!(out, "<li class=\"{}\">{}</li>", problem.severity.as_str(), esc(&problem.sentence));
        }
        out.push_str("</ul>");
        let _ = write!(
            out,
            "<p>{} <a href=\"#findings\">{}</a>.</p>",
            esc(Msg::SeeAllFindings.text(lang)),
            esc(Msg::AllFindings.text(lang))
        );
    }
    drift_section(out, report, lang);
    out.push_str("</section>");
}

fn drift_section(out: &mut String, report: &FullReport, lang: Lang) {
    let _ = write!(out, "<h3 id=\"drift\">{}</h3>", esc(Msg::StatsDrift.text(lang)));
    let Some(drift) = &report.drift else {
        let msg = if report.statistics.is_some() { Msg::NoStoredStats } else { Msg::NoStatistics };
        let _ = write!(out, "<p class=\"note\">{}</p>", esc(msg.text(lang)));
        return;
    };
    let compared = count_phrase(drift.compared, Unit::Value, lang);
    let summary = match (drift.outside, lang) {
        (0, Lang::En) => {
            format!("{compared} stored in {} agree with the data, within the checker's tolerances.", drift.stored_path)
        }
        (0, Lang::Ja) => {
            format!("{} に保存された {compared}はすべて許容差内でデータと一致しています。", drift.stored_path)
        }
        (n, Lang::En) => {
            format!("{} of {compared} stored in {} disagree with the data.", format_integer(n), drift.stored_path)
        }
        (n, Lang::Ja) => format!(
            "{} に保存された {compared}のうち {} 個がデータと一致しません。",
            drift.stored_path,
            format_integer(n)
        ),
    };
    let _ = write!(out, "<p data-testid=\"drift-summary\">{}</p>", esc(&summary));
    if !drift.complete {
        let _ = write!(out, "<p class=\"note\">{}</p>", esc(Msg::DriftIncomplete.text(lang)));
    }
    let disagreements: Vec<_> = drift.disagreements().collect();
    if !disagreements.is_empty() {
        let _ = write!(
            out,
            "<table data-testid=\"drift-table\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th></tr></thead><tbody>",
            esc(Msg::Features.text(lang)),
            esc(Msg::Dimension.text(lang)),
            esc(Msg::Statistic.text(lang)),
            esc(Msg::Stored.text(lang)),
            esc(Msg::Computed.text(lang)),
            esc(Msg::Difference.text(lang)),
            esc(Msg::Tolerance.text(lang)),
        );
        for row in disagreements.iter().take(MAX_DRIFT_ROWS_LISTED) {
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.3e}</td><td class=\"num\">{}</td></tr>",
                esc(&row.feature),
                esc(&row.label),
                esc(&row.stat),
                esc(&format_significant(row.stored, 6, lang)),
                esc(&format_significant(row.computed, 6, lang)),
                row.abs_diff,
                row.tolerance.map(|t| format!("{t:.1e}")).unwrap_or_default(),
            );
        }
        out.push_str("</tbody></table>");
        let omitted = disagreements.len().saturating_sub(MAX_DRIFT_ROWS_LISTED) as u64 + drift.rows_omitted;
        if omitted > 0 {
            let _ = write!(
                out,
                "<p class=\"note\">{} {}</p>",
                format_integer(omitted),
                esc(Msg::DisagreementsOmitted.text(lang))
            );
        }
    }
    if drift.rows.iter().any(|r| r.within.is_none()) {
        let _ = write!(out, "<p class=\"note\">{}</p>", esc(Msg::QuantilesNotJudged.text(lang)));
    }
    if !drift.skipped.is_empty() {
        let _ = write!(out, "<p class=\"note\">{}:</p><ul class=\"note\">", esc(Msg::DriftSkipped.text(lang)));
        for skip in &drift.skipped {
            let _ = write!(out, "<li><code>{}</code>: {}</li>", esc(&skip.feature), esc(&skip.reason));
        }
        out.push_str("</ul>");
    }
}

fn what_it_contains(out: &mut String, report: &FullReport, lang: Lang) {
    let _ = write!(
        out,
        "<section id=\"contents\" data-testid=\"report-contents\"><h2>{}</h2>",
        esc(Msg::WhatItContains.text(lang))
    );
    let Some(stats) = &report.statistics else {
        let _ = write!(out, "<p class=\"note\">{}</p></section>", esc(Msg::NoStatistics.text(lang)));
        return;
    };
    figure(out, task_time_chart(&report.tasks, lang));
    figure(out, episode_length_chart(&stats.episode_lengths, stats.fps, lang));
    let signals: Vec<_> = stats.features.iter().filter(|f| !is_index_column(&f.feature)).collect();
    if signals.is_empty() {
        let _ = write!(out, "<p class=\"note\">{}</p>", esc(Msg::NoCharts.text(lang)));
    }
    for feature in signals {
        let _ = write!(out, "<h3><code>{}</code></h3>", esc(&feature.feature));
        figure(out, range_chart(feature, lang));
        figure(out, histogram_chart(feature, lang));
    }
    out.push_str("</section>");
}

fn all_findings(out: &mut String, report: &FullReport, lang: Lang) {
    let _ = write!(
        out,
        "<section id=\"findings\" data-testid=\"report-findings\"><h2>{}</h2>",
        esc(Msg::AllFindings.text(lang))
    );
    let findings = &report.report.findings;
    if findings.is_empty() {
        let _ = write!(out, "<p>{}</p></section>", esc(Msg::NoFindings.text(lang)));
        return;
    }
    if lang != Lang::En {
        let _ = write!(out, "<p class=\"note\">{}</p>", esc(Msg::FindingsInEnglish.text(lang)));
    }
    let _ = write!(
        out,
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        esc(Msg::Severity.text(lang)),
        esc(Msg::Rule.text(lang)),
        esc(Msg::Where.text(lang)),
        esc(Msg::WhatWasFound.text(lang)),
        esc(Msg::Fix.text(lang)),
    );
    for f in findings {
        let count = if f.count > 1 { format!(" (×{})", format_integer(f.count)) } else { String::new() };
        let _ = write!(
            out,
            "<tr data-testid=\"finding\"><td class=\"sev {}\">{}</td><td><code>{}</code><br>{}</td><td>{}</td><td>{}{}</td><td>{}</td></tr>",
            f.severity.as_str(),
            esc(severity_label(f.severity, lang)),
            esc(&f.rule),
            esc(rule(&f.rule).map(|r| r.title).unwrap_or("")),
            esc(&describe_location(&f.location)),
            esc(&f.message),
            esc(&count),
            esc(&f.fix),
        );
    }
    out.push_str("</tbody></table></section>");
}

fn identity(out: &mut String, report: &FullReport, lang: Lang) {
    let r = &report.report;
    let d = &r.dataset;
    let _ = write!(
        out,
        "<section id=\"identity\" data-testid=\"report-identity\"><h2>{}</h2><table class=\"facts\"><tbody>",
        esc(Msg::Identity.text(lang))
    );
    fact(out, Msg::Dataset, &esc(&d.name), lang);
    let profile =
        format!("{} ({} {})", r.profile, format_integer(r.rules_checked as u64), Msg::RulesChecked.text(lang));
    fact(out, Msg::Profile, &esc(&profile), lang);
    let sha = d.sha256.as_deref().map(|s| format!("<span class=\"hash\">{}</span>", esc(s)));
    fact(out, Msg::DatasetSha256, &sha.unwrap_or_else(|| esc(Msg::NotComputed.text(lang))), lang);
    out.push_str("</tbody></table>");
    if !d.files.is_empty() {
        let _ = write!(
            out,
            "<table><thead><tr><th>{}</th><th class=\"num\">{}</th><th>SHA-256</th></tr></thead><tbody>",
            esc(Msg::File.text(lang)),
            esc(Msg::Bytes.text(lang))
        );
        for file in d.files.iter().take(MAX_FILES_LISTED) {
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"hash\">{}</td></tr>",
                esc(&file.path),
                format_integer(file.size_bytes),
                esc(file.sha256.as_deref().unwrap_or("—"))
            );
        }
        out.push_str("</tbody></table>");
        if d.files.len() > MAX_FILES_LISTED {
            let _ = write!(
                out,
                "<p class=\"note\">{} {}</p>",
                format_integer((d.files.len() - MAX_FILES_LISTED) as u64),
                esc(Msg::FilesOmitted.text(lang))
            );
        }
    }
    out.push_str("</section>");
}

/// The report as one self-contained HTML document in `lang`.
pub fn render_html(report: &FullReport, lang: Lang) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let name = &report.report.dataset.name;
    page_start(&mut out, lang, &format!("{}: {name}", Msg::ReportTitle.text(lang)));
    out.push_str("<main data-testid=\"report\">");
    out.push_str(&render_report_body(report, lang));
    out.push_str("</main></body></html>\n");
    out
}

/// The report's content without the document around it (no `<style>`, no `<main>`): its header,
/// sections and footer, for a page that brings the equivalent CSS (the web app, whose CSP refuses
/// inline styles). The same markup as [`render_html`].
pub fn render_report_body(report: &FullReport, lang: Lang) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<header><p class=\"kicker\">{}</p><h1>{}</h1></header>",
        esc(Msg::ReportTitle.text(lang)),
        esc(&report.report.dataset.name)
    );
    what_it_is(&mut out, report, lang);
    how_good_it_is(&mut out, report, lang);
    what_it_contains(&mut out, report, lang);
    all_findings(&mut out, report, lang);
    identity(&mut out, report, lang);
    let tool = &report.report.tool;
    footer(&mut out, &tool.name, &tool.version, report.generated_on.as_deref(), lang, Msg::PrivacyNote);
    out
}
