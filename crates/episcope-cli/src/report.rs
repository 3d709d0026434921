//! `episcope report DIR`: the plain-language report (what the dataset is, how good it is, what it
//! contains) as one self-contained HTML file and/or the full JSON report, in English or Japanese.

use std::path::{Path, PathBuf};

use anyhow::Context;
use episcope_core::check::{CheckOptions, Profile};
use episcope_core::local::{dataset_name, dataset_tree_at};
use episcope_report::html::{dataset_sentence, verdict_label};
use episcope_report::problems::verdict_sentence;
use episcope_report::{render_html, report_dataset, Date, FullReport, Lang, ReportOptions};

/// What `report` should write.
pub struct ReportArgs {
    pub dir: PathBuf,
    /// The HTML file to write.
    pub output: Option<PathBuf>,
    /// `Some(None)`: JSON to stdout; `Some(Some(file))`: JSON to that file.
    pub json: Option<Option<PathBuf>>,
    pub lang: Lang,
    pub skip_hashes: bool,
    pub profile: Option<PathBuf>,
}

/// Checks the dataset at `dir`, computes its statistics and builds the full report.
pub fn build(dir: &Path, skip_hashes: bool, profile: Option<&Path>) -> anyhow::Result<FullReport> {
    let profile = match profile {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("cannot read profile {}", path.display()))?;
            Some(Profile::parse(&text, &path.display().to_string())?)
        }
        None => None,
    };
    let tree = dataset_tree_at(dir)?;
    let options = ReportOptions {
        check: CheckOptions { profile, skip_hashes },
        skip_statistics: false,
        generated_on: Some(Date::today()),
    };
    Ok(pollster::block_on(report_dataset(&tree, &dataset_name(dir), &options)))
}

/// Builds and writes the report; returns it (the caller maps its verdict to the exit code).
pub fn run(args: &ReportArgs) -> anyhow::Result<FullReport> {
    let report = build(&args.dir, args.skip_hashes, args.profile.as_deref())?;
    if let Some(path) = &args.output {
        std::fs::write(path, render_html(&report, args.lang))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    match &args.json {
        Some(Some(path)) => {
            let json = serde_json::to_string_pretty(&report)?;
            std::fs::write(path, json + "\n").with_context(|| format!("cannot write {}", path.display()))?;
        }
        Some(None) => println!("{}", serde_json::to_string_pretty(&report)?),
        None => {}
    }
    if !matches!(args.json, Some(None)) {
        let r = &report.report;
        let summary = &r.summary;
        println!("{}", dataset_sentence(&report, args.lang));
        println!(
            "{}: {}",
            verdict_label(summary.verdict, args.lang),
            verdict_sentence(summary.verdict, summary.errors, summary.warnings, &r.profile, args.lang)
        );
        if let Some(path) = &args.output {
            println!("wrote {}", path.display());
        }
    }
    Ok(report)
}
