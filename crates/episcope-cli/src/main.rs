//! `episcope`: the command-line face of the engine. `main` is the one place that maps outcomes to
//! exit codes: 0 success, 2 when the dataset cannot be opened (usage or I/O).

mod check;
mod compare;
mod convert;
#[cfg(feature = "generate")]
mod generate;
mod info;
mod merge;
mod report;
mod stats;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "episcope",
    version,
    about = "Look at, measure, certify and convert robot-learning datasets (LeRobot v2.0/v2.1/v3.0, ROS bags, HDF5)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a dataset's overview: version, robot, fps, episodes, frames, tasks, features, files;
    /// or a recording's streams (topic/dataset, type, messages, rate) and episodes.
    Info {
        /// The dataset folder (the one holding meta/info.json), or a recording (.mcap, .db3, .bag,
        /// .hdf5, a rosbag2 folder, a folder of them).
        dir: std::path::PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Check a dataset against the LeRobot standard (and optionally an organisation's profile), or a
    /// recording's readiness to become one (the `recording.*` rules).
    /// Exit code: 0 no errors, 1 errors found, 2 the check could not run.
    Check {
        /// The dataset folder, or a recording (.mcap, .db3, .bag, .hdf5, a rosbag2 folder, a folder of them).
        dir: std::path::PathBuf,
        /// Print the report as JSON (documented in docs/report.schema.json).
        #[arg(long, conflicts_with = "markdown")]
        json: bool,
        /// Print the report as Markdown.
        #[arg(long)]
        markdown: bool,
        /// Also write the report as one self-contained HTML file.
        #[arg(long, value_name = "FILE")]
        html: Option<std::path::PathBuf>,
        /// An organisation's profile (TOML) checked on top of the LeRobot rules.
        #[arg(long, value_name = "FILE")]
        profile: Option<std::path::PathBuf>,
        /// Do not compute SHA-256 digests of the files.
        #[arg(long)]
        no_hashes: bool,
        /// Check only shard K of N (0 ≤ K < N: the K-th of N contiguous blocks of the files, data
        /// files and videos) and write the part to --partial; `episcope merge` makes the report.
        #[arg(long, value_name = "K/N", value_parser = parse_shard, requires = "partial")]
        shard: Option<episcope_core::shard::Shard>,
        /// Write this check's part (JSON) to FILE instead of a report (exit code 0 once written).
        #[arg(long, value_name = "OUT.json", conflicts_with_all = ["json", "markdown", "html"])]
        partial: Option<std::path::PathBuf>,
    },
    /// Exact statistics over every frame: per feature dimension min, max, mean, std, quantiles,
    /// non-finite counts; episode lengths; frames and hours per task.
    Stats {
        /// The dataset folder.
        dir: std::path::PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Compute only shard K of N (0 ≤ K < N: the K-th of N contiguous blocks of the data files)
        /// and write the part to --partial; `episcope merge` gives the statistics of the whole.
        #[arg(long, value_name = "K/N", value_parser = parse_shard, requires = "partial")]
        shard: Option<episcope_core::shard::Shard>,
        /// Write this computation's part (JSON) to FILE instead of the statistics.
        #[arg(long, value_name = "OUT.json", conflicts_with = "json")]
        partial: Option<std::path::PathBuf>,
    },
    /// Merge the parts written by `check --shard K/N --partial` (or `stats …`) into the report (or
    /// statistics) of the whole dataset, exactly what the unsharded command gives; with
    /// --partial, into one part that merges further. Exit code as for `check` (stats: 0).
    Merge(merge::MergeArgs),
    /// The plain-language report: what the dataset is, how good it is, what it contains (charts),
    /// as one self-contained HTML file and/or JSON. Exit code as for `check`.
    Report {
        /// The dataset folder.
        dir: std::path::PathBuf,
        /// Write the report as one self-contained HTML file.
        #[arg(short = 'o', long = "output", value_name = "FILE.html")]
        output: Option<std::path::PathBuf>,
        /// Write the JSON report to FILE, or print it to stdout when no FILE is given.
        #[arg(long, value_name = "FILE.json", num_args = 0..=1)]
        json: Option<Option<std::path::PathBuf>>,
        /// Language of the report: en or ja.
        #[arg(long, default_value = "en")]
        lang: episcope_report::Lang,
        /// Do not compute SHA-256 digests of the files.
        #[arg(long)]
        no_hashes: bool,
        /// An organisation's profile (TOML) checked on top of the LeRobot rules.
        #[arg(long, value_name = "FILE")]
        profile: Option<std::path::PathBuf>,
    },
    /// Datasets side by side from JSON reports (no data needed) or dataset folders. Exit code: 0 no
    /// dataset has errors, 1 some have, 2 the comparison could not run.
    Compare {
        /// JSON reports (`episcope report --json`, or `episcope check --json`) or dataset folders.
        #[arg(required = true, num_args = 1..)]
        inputs: Vec<std::path::PathBuf>,
        /// Write the comparison as one self-contained HTML file.
        #[arg(short = 'o', long = "output", value_name = "FILE.html")]
        output: Option<std::path::PathBuf>,
        /// Language of the page: en or ja.
        #[arg(long, default_value = "en")]
        lang: episcope_report::Lang,
    },
    /// Convert a recording (.mcap, .db3, .bag, .hdf5, a rosbag2 folder, a folder of them) into a
    /// LeRobot v3.0 dataset by a mapping (the suggested one without --map), then check the output.
    /// Exit code: 0 the output passes, 1 the check of the output found errors, 2 no conversion.
    Convert(convert::ConvertArgs),
    /// List the rule catalogue (Markdown table, or JSON with --json).
    Rules {
        #[arg(long)]
        json: bool,
    },
    /// Write a large synthetic LeRobot v3.0 dataset (development: benchmarks and scale tests).
    #[cfg(feature = "generate")]
    Generate(generate::GenerateArgs),
}

fn parse_shard(text: &str) -> Result<episcope_core::shard::Shard, String> {
    episcope_core::shard::Shard::parse(text).map_err(|e| e.to_string())
}

/// 1 when error-level findings were found, else 0 (as `check` exits).
fn exit_for_errors(errors: u64) -> ExitCode {
    if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let outcome = match cli.command {
        Command::Info { dir, json } => info::run(&dir, json).map(|()| ExitCode::SUCCESS),
        Command::Check { dir, json, markdown, html, profile, no_hashes, shard, partial } => {
            let output = check::CheckOutput { json, markdown, html, profile, skip_hashes: no_hashes };
            match partial {
                Some(out) => check::run_partial(&dir, &output, shard, &out).map(|()| ExitCode::SUCCESS),
                None => check::run(&dir, &output).map(|report| exit_for_errors(report.summary.errors)),
            }
        }
        Command::Stats { dir, json, shard, partial } => match partial {
            Some(out) => stats::run_partial(&dir, shard, &out).map(|()| ExitCode::SUCCESS),
            None => stats::run(&dir, json).map(|()| ExitCode::SUCCESS),
        },
        Command::Merge(args) => merge::run(&args).map(|merged| match merged {
            merge::Outcome::Part => ExitCode::SUCCESS,
            merge::Outcome::Report(errors) => exit_for_errors(errors),
        }),
        Command::Report { dir, output, json, lang, no_hashes, profile } => {
            let args = report::ReportArgs { dir, output, json, lang, skip_hashes: no_hashes, profile };
            report::run(&args).map(|report| exit_for_errors(report.report.summary.errors))
        }
        Command::Compare { inputs, output, lang } => compare::run(&compare::CompareArgs { inputs, output, lang })
            .map(|reports| exit_for_errors(reports.iter().map(|r| r.report.summary.errors).sum())),
        Command::Convert(args) => convert::run(&args).map(|converted| match converted {
            Some(converted) => exit_for_errors(converted.report.summary.errors),
            None => ExitCode::SUCCESS,
        }),
        Command::Rules { json } => check::print_rules(json).map(|()| ExitCode::SUCCESS),
        #[cfg(feature = "generate")]
        Command::Generate(args) => generate::run(&args).map(|_| ExitCode::SUCCESS),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("episcope: {}", describe(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes on one line, each said once: library errors already name their cause
/// in their own message, so a cause whose text is already there is not repeated.
fn describe(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}
