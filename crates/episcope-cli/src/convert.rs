//! `episcope convert INPUT --out DIR [--map MAP.toml]`: a recording (or a LeRobot v2.0/v2.1/v3.0
//! dataset, re-chunked by `--chunks-size`/`--data-files-size-in-mb`) into a LeRobot v3.0 dataset,
//! written into a hidden folder beside DIR and renamed into place only once complete and checked;
//! `episcope convert INPUT --suggest-map` prints the suggested mapping.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};

use crate::dir_sink::{refuse_used_folder, DirSink};
use clap::Args;
use episcope_core::check::{check_dataset, CheckOptions, Report};
use episcope_core::convert::{
    convert_recording_laid_out, relayout_dataset, suggest_mapping, ConvertProgress, LayoutOptions, Mapping,
};
use episcope_core::lerobot::open_dataset;
use episcope_core::recording::open_recording;
use episcope_core::DatasetTree;

#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// The recording: a .mcap, .db3, .bag, .hdf5 file, a rosbag2 folder, or a folder of them; or
    /// a LeRobot dataset folder (v2.0, v2.1, v3.0), rewritten as v3.0.
    pub input: PathBuf,
    /// The dataset folder to create (it must not exist, or be empty).
    #[arg(long, value_name = "DIR", required_unless_present = "suggest_map")]
    pub out: Option<PathBuf>,
    /// The mapping (TOML, docs/mapping.md); without it, the suggested one.
    #[arg(long = "map", value_name = "MAP.toml")]
    pub mapping: Option<PathBuf>,
    /// Print the suggested mapping as TOML and stop.
    #[arg(long, conflicts_with_all = ["out", "mapping"])]
    pub suggest_map: bool,
    /// Files per `chunk-*` folder of the output (LeRobot's default 1000).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub chunks_size: Option<u64>,
    /// Size at which a data file of the output is closed and the next begun, in MB (default 100).
    #[arg(long, value_name = "MB", value_parser = clap::value_parser!(u64).range(1..))]
    pub data_files_size_in_mb: Option<u64>,
}

/// What a finished conversion produced (the caller maps the check's verdict to the exit code).
pub struct Converted {
    pub report: Report,
}

/// Runs `convert`; `None` when only the mapping was printed.
pub fn run(args: &ConvertArgs) -> anyhow::Result<Option<Converted>> {
    if args.input.is_dir() {
        let tree = DatasetTree::from_dir(&args.input)?.rooted_at_dataset();
        if tree.contains("meta/info.json") {
            return relayout(args, &tree).map(Some);
        }
    }
    let Some(tree) = crate::info::recording_tree(&args.input)? else {
        bail!(
            "not a recording (.mcap, .db3, .bag, .hdf5, a rosbag2 folder or a folder of them) nor a LeRobot dataset: {}",
            args.input.display()
        );
    };
    let recording = pollster::block_on(open_recording(&tree))?;
    if args.suggest_map {
        let suggestion = pollster::block_on(suggest_mapping(&tree, &recording))?;
        for note in &suggestion.notes {
            eprintln!("note: {note}");
        }
        print!("{}", suggestion.mapping.to_toml());
        return Ok(None);
    }
    let Some(out) = &args.out else { bail!("--out DIR is required") };
    refuse_used_folder(out)?;
    let mapping = match &args.mapping {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            Mapping::parse(&text, &path.display().to_string())?
        }
        None => {
            let suggestion = pollster::block_on(suggest_mapping(&tree, &recording))?;
            for note in &suggestion.notes {
                eprintln!("note: {note}");
            }
            eprintln!(
                "using the suggested mapping ({} features at {} fps; `--suggest-map` prints it)",
                suggestion.mapping.features.len(),
                suggestion.mapping.fps
            );
            suggestion.mapping
        }
    };
    let staging = staging_folder(out)?;
    let result = convert_into(&tree, &recording, &mapping, &staging, total_input_bytes(&tree), layout(args));
    let summary = match result {
        Ok(summary) => summary,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    let report = check_and_place(&staging, out)?;
    println!(
        "Wrote {} episodes, {} frames at {} fps ({} features, {} tasks) to {}",
        summary.written.total_episodes,
        summary.written.total_frames,
        mapping.fps,
        mapping.features.len(),
        summary.written.tasks.len(),
        out.display()
    );
    for flagged in &summary.flagged {
        println!(
            "flagged: episode {}: {} frames of {} have no sample within the tolerance (worst {:.3} s away)",
            flagged.episode,
            flagged.frames,
            flagged.feature,
            flagged.worst_distance_ns as f64 * 1e-9
        );
    }
    for (file, why) in &summary.skipped {
        println!("skipped: {file}: {why}");
    }
    print_verdict(&report, out);
    Ok(Some(Converted { report }))
}

fn layout(args: &ConvertArgs) -> LayoutOptions {
    let default = LayoutOptions::default();
    LayoutOptions {
        chunks_size: args.chunks_size.unwrap_or(default.chunks_size),
        data_files_size_in_mb: args.data_files_size_in_mb.unwrap_or(default.data_files_size_in_mb),
    }
}

/// A LeRobot dataset rewritten as v3.0 (re-chunked by the layout options).
fn relayout(args: &ConvertArgs, tree: &DatasetTree) -> anyhow::Result<Converted> {
    if args.suggest_map || args.mapping.is_some() {
        bail!("{} is a LeRobot dataset: a mapping is for recordings", args.input.display());
    }
    let Some(out) = &args.out else { bail!("--out DIR is required") };
    refuse_used_folder(out)?;
    let dataset = pollster::block_on(open_dataset(tree, &mut |_| {}))?;
    let input_bytes = tree.total_size();
    let staging = staging_folder(out)?;
    let mut sink = DirSink { root: staging.clone() };
    let started = Instant::now();
    let mut report_progress = |p: ConvertProgress| print_progress(&p, started, input_bytes);
    let result =
        pollster::block_on(relayout_dataset(tree, &dataset, layout(args), &mut sink, &mut report_progress, &|| false));
    eprintln!();
    let summary = match result {
        Ok(summary) => summary,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e.into());
        }
    };
    let report = check_and_place(&staging, out)?;
    println!(
        "Wrote {} episodes, {} frames at {} fps ({} tasks, {} data files, {} videos copied) from {} {} to {}",
        summary.written.total_episodes,
        summary.written.total_frames,
        dataset.fps(),
        summary.written.tasks.len(),
        summary.written.files.iter().filter(|f| f.path.starts_with("data/")).count(),
        summary.videos.len(),
        dataset.info.codebase_version,
        args.input.display(),
        out.display()
    );
    for feature in &summary.stats_omitted {
        println!("note: {feature}: the source stores no per-episode stats and pixels are not decoded here; written without them");
    }
    print_verdict(&report, out);
    Ok(Converted { report })
}

/// The proof: the checker on what was written, before it takes the folder's name.
fn check_and_place(staging: &Path, out: &Path) -> anyhow::Result<Report> {
    let written = DatasetTree::from_dir(staging)?.rooted_at_dataset();
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "converted".into());
    let report = pollster::block_on(check_dataset(&written, &name, &CheckOptions::default(), &mut |_| {}));
    if out.exists() {
        std::fs::remove_dir(out).with_context(|| format!("cannot replace the empty folder {}", out.display()))?;
    }
    std::fs::rename(staging, out).with_context(|| format!("cannot move the dataset into {}", out.display()))?;
    Ok(report)
}

fn print_verdict(report: &Report, out: &Path) {
    let s = &report.summary;
    println!(
        "Check of the output: {} errors, {} warnings, {} info (`episcope check {}` shows them)",
        s.errors,
        s.warnings,
        s.infos,
        out.display()
    );
}

fn print_progress(p: &ConvertProgress, started: Instant, input_bytes: u64) {
    let elapsed_secs = started.elapsed().as_secs_f64().max(1e-3);
    let fraction = p.recording_episodes_done as f64 / p.recording_episodes_total.max(1) as f64;
    let rate_mb_per_sec = input_bytes as f64 * fraction / elapsed_secs / 1e6;
    let left_secs = elapsed_secs * (1.0 - fraction) / fraction.max(1e-9);
    eprint!(
        "\r{}/{} source episodes · {} dataset episodes, {} frames · {rate_mb_per_sec:.1} MB/s · {left_secs:.0} s left   ",
        p.recording_episodes_done, p.recording_episodes_total, p.dataset_episodes, p.frames_written
    );
}

fn convert_into(
    tree: &DatasetTree,
    recording: &episcope_core::recording::Recording,
    mapping: &Mapping,
    staging: &Path,
    input_bytes: u64,
    layout: LayoutOptions,
) -> anyhow::Result<episcope_core::convert::ConvertSummary> {
    let mut sink = DirSink { root: staging.to_path_buf() };
    let started = Instant::now();
    let mut report_progress = |p: ConvertProgress| print_progress(&p, started, input_bytes);
    let summary = pollster::block_on(convert_recording_laid_out(
        tree,
        recording,
        mapping,
        layout,
        &mut sink,
        &mut report_progress,
        &|| false,
    ));
    eprintln!();
    Ok(summary?)
}

fn total_input_bytes(tree: &DatasetTree) -> u64 {
    episcope_core::recording::recording_files(tree).iter().map(|f| f.size()).sum()
}

/// A hidden folder beside `out` (same file system, so the final rename is atomic).
fn staging_folder(out: &Path) -> anyhow::Result<PathBuf> {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "dataset".into());
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let staging = parent.join(format!(".{name}.converting-{}", std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).with_context(|| format!("cannot clear {}", staging.display()))?;
    }
    std::fs::create_dir_all(&staging).with_context(|| format!("cannot create {}", staging.display()))?;
    Ok(staging)
}
