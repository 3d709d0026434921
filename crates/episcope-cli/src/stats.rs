//! `episcope stats DIR [--json]`: exact statistics over every frame — per feature dimension count,
//! min, max, mean, std, quantiles and non-finite counts; episode lengths; frames and hours per task.

use std::fmt::Write as _;
use std::ops::ControlFlow;
use std::path::Path;

use anyhow::Context;
use episcope_core::lerobot::open_dataset;
use episcope_core::local::{dataset_tree_at, source_name};
use episcope_core::partial::PartialFile;
use episcope_core::shard::Shard;
use episcope_core::stats::{compute_dataset_stats, compute_stats_partial, DatasetStats, QuantileMethod, StatsOptions};

pub fn run(dir: &Path, json: bool) -> anyhow::Result<()> {
    let tree = dataset_tree_at(dir)?;
    let dataset = pollster::block_on(open_dataset(&tree, &mut |_| {}))
        .with_context(|| format!("cannot open {}", dir.display()))?;
    let stats = pollster::block_on(compute_dataset_stats(&tree, &dataset, &StatsOptions::default(), &mut |_| {
        ControlFlow::Continue(())
    }))?;
    print_stats(&stats, json)
}

/// Computes shard `shard` (the whole when `None`) of the statistics and writes the part to `out`.
pub fn run_partial(dir: &Path, shard: Option<Shard>, out: &Path) -> anyhow::Result<()> {
    let tree = dataset_tree_at(dir)?;
    let dataset = pollster::block_on(open_dataset(&tree, &mut |_| {}))
        .with_context(|| format!("cannot open {}", dir.display()))?;
    let shard = shard.unwrap_or(Shard::WHOLE);
    let part =
        pollster::block_on(compute_stats_partial(&tree, &dataset, &StatsOptions::default(), shard, &mut |_| {
            ControlFlow::Continue(())
        }))?;
    crate::merge::write_part(&PartialFile::stats(part, Some(source_name(dir))), out)?;
    eprintln!("episcope: wrote shard {shard} of the statistics to {}", out.display());
    Ok(())
}

/// Prints statistics as `stats` does (and their problems as warnings).
pub fn print_stats(stats: &DatasetStats, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(stats)?);
    } else {
        print!("{}", render(stats));
    }
    for problem in &stats.problems {
        eprintln!("warning: {}: {}", problem.path, problem.message);
    }
    Ok(())
}

fn number(value: Option<f64>) -> String {
    value.map(|v| format!("{v:.6}")).unwrap_or_else(|| "—".into())
}

fn render(stats: &DatasetStats) -> String {
    let mut out = String::new();
    let lengths = &stats.episode_lengths;
    let _ = writeln!(
        out,
        "Frames read {} · episodes {} · length min {} / mean {} / max {} frames",
        stats.frames_read,
        lengths.count,
        lengths.min.map(|v| v.to_string()).unwrap_or_else(|| "—".into()),
        lengths.mean.map(|v| format!("{v:.1}")).unwrap_or_else(|| "—".into()),
        lengths.max.map(|v| v.to_string()).unwrap_or_else(|| "—".into()),
    );
    let _ = writeln!(out, "\nTasks");
    for task in &stats.tasks {
        let _ =
            writeln!(out, "  {:>4}  {:>9} frames  {:>8.4} h  {}", task.task_index, task.frames, task.hours, task.task);
    }
    for feature in &stats.features {
        let _ = writeln!(out, "\n{} ({} rows)", feature.feature, feature.rows);
        let _ = writeln!(
            out,
            "  {:28} {:>14} {:>14} {:>14} {:>14} {:>14} {:>26} {:>6}",
            "dimension", "min", "q01", "q50", "q99", "max", "mean ± std", "nan"
        );
        for (dim, d) in feature.dims.iter().enumerate() {
            let label = feature.labels.get(dim).cloned().unwrap_or_else(|| format!("[{dim}]"));
            let q = |wanted: f64| d.quantiles.iter().find(|q| (q.q - wanted).abs() < 1e-12).map(|q| q.value);
            let _ = writeln!(
                out,
                "  {:28} {:>14} {:>14} {:>14} {:>14} {:>14} {:>26} {:>6}{}",
                label,
                number(d.min),
                number(q(0.01)),
                number(q(0.5)),
                number(q(0.99)),
                number(d.max),
                format!("{} ± {}", number(d.mean), number(d.std)),
                d.nan_count + d.pos_inf_count + d.neg_inf_count,
                match d.quantile_method {
                    QuantileMethod::Exact => String::new(),
                    QuantileMethod::Sketch { rank_error } => format!("  (quantiles ±{:.3}% rank)", rank_error * 100.0),
                }
            );
        }
    }
    out
}
