//! `episcope merge PART…`: parts of a sharded check or statistics (`--shard K/N --partial`) merged
//! into the report or statistics of the whole dataset — or, with `--partial`, into one part.

use std::path::{Path, PathBuf};

use anyhow::Context;
use episcope_core::local::dataset_tree_at;
use episcope_core::partial::{finish, merge_parts, Merged, Part, PartialFile};

/// A partial file larger than this is refused (parts hold sums and sketches, not data).
const MAX_PART_BYTES: u64 = 1 << 30;

#[derive(clap::Args)]
pub struct MergeArgs {
    /// The parts (JSON files written by `check|stats DIR --shard K/N --partial OUT.json`).
    #[arg(required = true, num_args = 1..)]
    parts: Vec<PathBuf>,
    /// The dataset folder a check's parts are finished against (its metadata is checked once
    /// here); by default the folder the parts name.
    #[arg(long, value_name = "DIR")]
    dataset: Option<PathBuf>,
    /// Print JSON (the report's, or the statistics').
    #[arg(long, conflicts_with = "markdown")]
    json: bool,
    /// Print a check's report as Markdown.
    #[arg(long)]
    markdown: bool,
    /// Also write a check's report as one self-contained HTML file.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Write the merged part to FILE instead (for merging further; the shards need not all be in).
    #[arg(long, value_name = "OUT.json", conflicts_with_all = ["json", "markdown", "html"])]
    partial: Option<PathBuf>,
}

/// What a merge gave the caller to map to an exit code.
pub enum Outcome {
    /// A merged part was written.
    Part,
    /// A report or statistics were printed; the report's error count (0 for statistics).
    Report(u64),
}

pub fn write_part(file: &PartialFile, out: &Path) -> anyhow::Result<()> {
    let json = serde_json::to_vec(file)?;
    std::fs::write(out, json).with_context(|| format!("cannot write {}", out.display()))
}

fn read_part(path: &Path) -> anyhow::Result<PartialFile> {
    let size = std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?.len();
    if size > MAX_PART_BYTES {
        anyhow::bail!("{size} bytes, more than a part can be ({MAX_PART_BYTES} bytes): {}", path.display());
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("not a part written by `--partial`: {}", path.display()))
}

pub fn run(args: &MergeArgs) -> anyhow::Result<Outcome> {
    let parts = args.parts.iter().map(|p| read_part(p)).collect::<anyhow::Result<Vec<_>>>()?;
    let merged = merge_parts(parts).context("cannot merge the parts")?;
    if let Some(out) = &args.partial {
        write_part(&merged, out)?;
        return Ok(Outcome::Part);
    }
    let tree = match (&merged.part, &args.dataset, &merged.source) {
        (Part::Stats(_), _, _) => None,
        (Part::Check(_), Some(dir), _) => Some(dataset_tree_at(dir)?),
        (Part::Check(_), None, Some(source)) => Some(
            dataset_tree_at(Path::new(source))
                .with_context(|| format!("cannot open the dataset the parts name (give --dataset DIR): {source}"))?,
        ),
        (Part::Check(_), None, None) => anyhow::bail!("the parts name no dataset folder: give --dataset DIR"),
    };
    match pollster::block_on(finish(merged, tree.as_ref())).context("cannot finish the merge")? {
        Merged::Stats(stats) => {
            crate::stats::print_stats(&stats, args.json)?;
            Ok(Outcome::Report(0))
        }
        Merged::Check(report) => {
            let output = crate::check::CheckOutput {
                json: args.json,
                markdown: args.markdown,
                html: args.html.clone(),
                profile: None,
                skip_hashes: false,
            };
            crate::check::print_report(&report, &output)?;
            Ok(Outcome::Report(report.summary.errors))
        }
    }
}
