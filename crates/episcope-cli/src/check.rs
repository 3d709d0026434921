//! `episcope check DIR`: the conformance report as text, JSON, Markdown or a self-contained HTML
//! file; and `episcope rules`: the rule catalogue.

use std::path::{Path, PathBuf};

use anyhow::Context;
use episcope_core::check::render::{describe_location, rules_markdown, to_html, to_markdown};
use episcope_core::check::{
    check_dataset, check_partial, check_recording, CheckOptions, Profile, Report, Verdict, RULES,
};
use episcope_core::local::{as_url, dataset_name, dataset_tree_at, source_name};
use episcope_core::partial::PartialFile;
use episcope_core::shard::Shard;

/// What `check` should print or write.
pub struct CheckOutput {
    pub json: bool,
    pub markdown: bool,
    pub html: Option<PathBuf>,
    pub profile: Option<PathBuf>,
    pub skip_hashes: bool,
}

/// Runs the checker; returns the report (the caller maps its verdict to the exit code).
/// A recording (`.mcap`, `.db3`, `.bag`, `.hdf5`, or a folder of them) gets the readiness checks.
pub fn run(dir: &Path, output: &CheckOutput) -> anyhow::Result<Report> {
    let recording = crate::info::recording_tree(dir)?;
    if recording.is_none() && !dir.is_dir() && as_url(dir).is_none() {
        anyhow::bail!("not a folder or a recording file (.mcap, .db3, .bag, .hdf5): {}", dir.display());
    }
    let profile = read_profile(output.profile.as_deref())?;
    let options = CheckOptions { profile, skip_hashes: output.skip_hashes };
    let report = match recording {
        Some(tree) => pollster::block_on(check_recording(&tree, &dataset_name(dir), &options, &mut |_| {})),
        None => {
            let tree = dataset_tree_at(dir)?;
            pollster::block_on(check_dataset(&tree, &dataset_name(dir), &options, &mut |_| {}))
        }
    };
    print_report(&report, output)?;
    Ok(report)
}

/// Checks shard `shard` (the whole when `None`) of the dataset in `dir` and writes the part to `out`.
pub fn run_partial(dir: &Path, output: &CheckOutput, shard: Option<Shard>, out: &Path) -> anyhow::Result<()> {
    if crate::info::recording_tree(dir)?.is_some() {
        anyhow::bail!("sharded checks are for LeRobot datasets; check the recording whole: {}", dir.display());
    }
    let profile = read_profile(output.profile.as_deref())?;
    let options = CheckOptions { profile, skip_hashes: output.skip_hashes };
    let tree = dataset_tree_at(dir)?;
    let shard = shard.unwrap_or(Shard::WHOLE);
    let part = pollster::block_on(check_partial(&tree, &dataset_name(dir), &options, shard, &mut |_| {}));
    let file = PartialFile::check(part, Some(source_name(dir)));
    crate::merge::write_part(&file, out)?;
    eprintln!("episcope: wrote shard {shard} of the check to {}", out.display());
    Ok(())
}

fn read_profile(path: Option<&Path>) -> anyhow::Result<Option<Profile>> {
    match path {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("cannot read profile {}", path.display()))?;
            Ok(Some(Profile::parse(&text, &path.display().to_string())?))
        }
        None => Ok(None),
    }
}

/// Prints (and writes, with `--html`) a report as `check` does.
pub fn print_report(report: &Report, output: &CheckOutput) -> anyhow::Result<()> {
    if let Some(path) = &output.html {
        std::fs::write(path, to_html(report)).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if output.json {
        println!("{}", serde_json::to_string_pretty(report)?);
    } else if output.markdown {
        print!("{}", to_markdown(report));
    } else {
        print!("{}", render_text(report));
    }
    Ok(())
}

fn render_text(report: &Report) -> String {
    let mut out = String::new();
    let s = &report.summary;
    let verdict = match s.verdict {
        Verdict::Pass => "PASS",
        Verdict::Warnings => "PASS (with warnings)",
        Verdict::Errors => "FAIL",
    };
    out.push_str(&format!(
        "{}: {verdict} — {} errors, {} warnings, {} info ({} rules, profile {})\n",
        report.dataset.name, s.errors, s.warnings, s.infos, report.rules_checked, report.profile
    ));
    for f in &report.findings {
        let count = if f.count > 1 { format!(" [×{}]", f.count) } else { String::new() };
        out.push_str(&format!(
            "{:7} {:24} {}{count}\n        {}\n        fix: {}\n",
            f.severity.as_str(),
            f.rule,
            describe_location(&f.location),
            f.message,
            f.fix
        ));
    }
    out
}

pub fn print_rules(json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(RULES)?);
    } else {
        print!("{}", rules_markdown());
    }
    Ok(())
}
