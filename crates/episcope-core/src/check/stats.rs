//! Stats checks (rules `stats.*`, `value.out-of-range`): stored statistics are present, shaped
//! like their features, and agree with the data within a stated tolerance.

use super::finding::{Findings, Location};
use super::frames::{DataAccumulator, DimStats};
use crate::lerobot::info::FeatureKind;
use crate::lerobot::stats::{read_stored_stats, FeatureStats};
use crate::lerobot::Dataset;
use crate::tree::DatasetTree;

/// min/max must match to this relative tolerance (stored values are float32 roundings).
pub const MIN_MAX_RELATIVE_TOLERANCE: f64 = 1e-5;
/// mean/std must match to this fraction of the dimension's range (or absolute 1e-6 when flat).
pub const MEAN_STD_RANGE_TOLERANCE: f64 = 1e-3;

fn close(stored: f64, computed: f64, tolerance: f64) -> bool {
    (stored - computed).abs() <= tolerance || (stored.is_nan() && computed.is_nan())
}

/// Compares one feature's stored stats with the computed ones; returns the first disagreement.
fn disagreement(stored: &FeatureStats, computed: &[DimStats]) -> Option<String> {
    if stored.min.len() != computed.len() {
        // Reduced over leading axes (2-D features): not comparable per dimension.
        return None;
    }
    for (dim, c) in computed.iter().enumerate() {
        if c.count == 0 {
            continue;
        }
        let range = (c.max - c.min).abs();
        let scale = c.max.abs().max(c.min.abs()).max(1.0);
        let min_max_tol = MIN_MAX_RELATIVE_TOLERANCE * scale;
        let mean_std_tol = (MEAN_STD_RANGE_TOLERANCE * range).max(1e-6 * scale);
        let checks = [
            ("min", stored.min.get(dim), c.min, min_max_tol),
            ("max", stored.max.get(dim), c.max, min_max_tol),
            ("mean", stored.mean.get(dim), c.mean(), mean_std_tol),
            ("std", stored.std.get(dim), c.std(), mean_std_tol),
        ];
        for (stat, stored_value, computed_value, tolerance) in checks {
            if let Some(&stored_value) = stored_value {
                if !close(stored_value, computed_value, tolerance) {
                    return Some(format!(
                        "dimension {dim}: stored {stat} {stored_value} but the data gives {computed_value} (tolerance {tolerance:.2e})"
                    ));
                }
            }
        }
    }
    None
}

pub async fn check_stats(tree: &DatasetTree, dataset: &Dataset, data: &DataAccumulator, findings: &mut Findings) {
    let stored = read_stored_stats(tree, dataset).await;
    for problem in &stored.problems {
        findings.add(
            &problem.rule,
            Location::file(&problem.path),
            &problem.message,
            "Regenerate the stats with the LeRobot writer.",
        );
    }
    let (stats_path, has_global, has_per_episode) = match dataset.version {
        crate::lerobot::FormatVersion::V2_1 => ("meta/episodes_stats.jsonl", true, !stored.per_episode.is_empty()),
        _ => ("meta/stats.json", !stored.global.is_empty(), true),
    };
    if !has_global || !has_per_episode || (stored.global.is_empty() && stored.per_episode.is_empty()) {
        findings.add(
            "stats.missing",
            Location::file(stats_path),
            format!("expected stored statistics in {stats_path}, found none"),
            "Compute the stats with the LeRobot writer (or `episcope report`) so policies can normalise inputs.",
        );
    }
    let global_path = "meta/stats.json";
    // Whole-dataset stats can be compared with the data only when every episode was read (a
    // missing or unreadable episode is its own finding, not a sign of stale stats).
    let all_read = dataset.episodes.iter().all(|e| data.per_episode.contains_key(&e.index));
    let per_episode_path = if dataset.version.is_v3() { "meta/episodes/" } else { "meta/episodes_stats.jsonl" };
    for feature in &dataset.info.features {
        let expected_len = match feature.kind {
            FeatureKind::Numeric => feature.values_per_frame() as usize,
            // Image and video stats are per channel.
            FeatureKind::Video | FeatureKind::Image => 3,
            FeatureKind::Other => continue,
        };
        // Writers reduce 2-D features over the leading axes (v3.0 stores one value per column).
        let last_dim = feature.shape.last().copied().unwrap_or(1) as usize;
        let shaped = |stats: &FeatureStats| {
            [("min", &stats.min), ("max", &stats.max), ("mean", &stats.mean), ("std", &stats.std)]
                .into_iter()
                .find(|(_, values)| !values.is_empty() && values.len() != expected_len && values.len() != last_dim)
                .map(|(stat, values)| format!("expected {expected_len} values for `{stat}`, found {}", values.len()))
        };
        if let Some(stats) = stored.global.get(&feature.name) {
            if let Some(message) = shaped(stats) {
                findings.add(
                    "stats.shape",
                    Location::file(global_path).feature(&feature.name),
                    message,
                    "Regenerate the stats.",
                );
            } else if let Some(computed) = data.global.get(&feature.name) {
                if let Some(message) = disagreement(stats, computed).filter(|_| all_read) {
                    findings.add(
                        "stats.consistent",
                        Location::file(global_path).feature(&feature.name),
                        message,
                        "Recompute the stats from the data (they are stale or wrong).",
                    );
                }
                check_out_of_range(dataset, data, feature.name.as_str(), stats, findings);
            }
        }
        for (episode, features) in &stored.per_episode {
            let Some(stats) = features.get(&feature.name) else { continue };
            let at = Location::file(per_episode_path).episode(*episode).feature(&feature.name);
            if let Some(message) = shaped(stats) {
                findings.add("stats.shape", at, message, "Regenerate the stats.");
            } else if let Some(computed) = data.per_episode.get(episode).and_then(|f| f.get(&feature.name)) {
                if let Some(message) = disagreement(stats, computed) {
                    findings.add(
                        "stats.consistent",
                        at,
                        format!("episode {episode}, {message}"),
                        "Recompute the episode's stats from its data.",
                    );
                }
            }
        }
    }
}

/// Values outside the stored global min/max (the data's own extremes are in the accumulator).
fn check_out_of_range(
    dataset: &Dataset,
    data: &DataAccumulator,
    feature: &str,
    stored: &FeatureStats,
    findings: &mut Findings,
) {
    for (episode, features) in &data.per_episode {
        let Some(dims) = features.get(feature) else { continue };
        for (dim, stats) in dims.iter().enumerate() {
            let (Some(&min), Some(&max)) = (stored.min.get(dim), stored.max.get(dim)) else { continue };
            let tolerance = MIN_MAX_RELATIVE_TOLERANCE * min.abs().max(max.abs()).max(1.0);
            if stats.count > 0 && (stats.min < min - tolerance || stats.max > max + tolerance) {
                let path = dataset.episode(*episode).and_then(|e| e.data_file.clone()).unwrap_or_default();
                findings.add(
                    "value.out-of-range",
                    Location::file(path).episode(*episode).feature(feature),
                    format!(
                        "dimension {dim} ranges over [{}, {}] in episode {episode}, outside the stored [{min}, {max}]",
                        stats.min, stats.max
                    ),
                    "Recompute the stats, or check the episode for bad values.",
                );
            }
        }
    }
}
