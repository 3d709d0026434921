//! `episcope convert INPUT --out DIR [--map MAP.toml]`: a recording (or a LeRobot v2.0/v2.1/v3.0
//! dataset, re-chunked by `--chunks-size`/`--data-files-size-in-mb`) into a LeRobot v3.0 dataset,
//! written into a hidden folder beside DIR and renamed into place only once complete and checked;
//! `episcope convert INPUT --suggest-map` prints the suggested mapping.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};

use clap::Args;
use episcope_core::check::Report;
use episcope_core::convert::{suggest_mapping_with, ConvertProgress, LayoutOptions, Mapping};
use episcope_core::local::{
    convert_to_folder, input_bytes, open_path, Converted, FolderConversion, LocalError, LocalInput,
};
use episcope_core::recording::open_recording;

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
pub struct Outcome {
    pub report: Report,
}

/// Runs `convert`; `None` when only the mapping was printed.
pub fn run(args: &ConvertArgs) -> anyhow::Result<Option<Outcome>> {
    let input = match open_path(&args.input) {
        Ok(input) => input,
        Err(LocalError::NotFound { .. }) => {
            return Err(LocalError::NotConvertible { path: args.input.display().to_string() }.into())
        }
        Err(e) => return Err(e.into()),
    };
    if args.suggest_map {
        let LocalInput::Recording(tree) = &input else {
            return Err(LocalError::MappingForDataset { path: args.input.display().to_string() }.into());
        };
        let recording = pollster::block_on(open_recording(tree))?;
        let suggestion = pollster::block_on(suggest_mapping_with(tree, &recording, true))?;
        for note in &suggestion.notes {
            eprintln!("note: {note}");
        }
        print!("{}", suggestion.mapping.to_toml());
        return Ok(None);
    }
    let Some(out) = &args.out else { bail!("--out DIR is required") };
    let mapping = match &args.mapping {
        Some(_) if matches!(input, LocalInput::Dataset(_)) => {
            return Err(LocalError::MappingForDataset { path: args.input.display().to_string() }.into());
        }
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            Some(Mapping::parse(&text, &path.display().to_string())?)
        }
        None => None,
    };
    let input_bytes = input_bytes(&input);
    let started = Instant::now();
    let mut report_progress = |p: ConvertProgress| print_progress(&p, started, input_bytes);
    let conversion = pollster::block_on(convert_to_folder(
        &input,
        &args.input,
        out,
        mapping,
        layout(args),
        &mut report_progress,
        &|| false,
    ));
    eprintln!();
    let FolderConversion { converted, report } = conversion?;
    match converted {
        Converted::Dataset { source_version, fps, summary } => {
            println!(
                "Wrote {} episodes, {} frames at {} fps ({} tasks, {} data files, {} videos copied) from {} {} to {}",
                summary.written.total_episodes,
                summary.written.total_frames,
                fps,
                summary.written.tasks.len(),
                summary.written.files.iter().filter(|f| f.path.starts_with("data/")).count(),
                summary.videos.len(),
                source_version,
                args.input.display(),
                out.display()
            );
            for feature in &summary.stats_omitted {
                println!("note: {feature}: the source stores no per-episode stats and pixels are not decoded here; written without them");
            }
        }
        Converted::Recording { mapping, suggested, notes, summary } => {
            for note in &notes {
                eprintln!("note: {note}");
            }
            if suggested {
                eprintln!(
                    "used the suggested mapping ({} features at {} fps; `--suggest-map` prints it)",
                    mapping.features.len(),
                    mapping.fps
                );
            }
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
        }
    }
    print_verdict(&report, out);
    Ok(Some(Outcome { report }))
}

fn layout(args: &ConvertArgs) -> LayoutOptions {
    let default = LayoutOptions::default();
    LayoutOptions {
        chunks_size: args.chunks_size.unwrap_or(default.chunks_size),
        data_files_size_in_mb: args.data_files_size_in_mb.unwrap_or(default.data_files_size_in_mb),
    }
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
