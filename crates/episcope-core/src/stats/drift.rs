//! Stats drift: the statistics computed from the data ([`DatasetStats`]) against those the dataset
//! stores about itself, value by value, within the checker's tolerances; disagreements become
//! `stats.consistent` findings the web app and the report merge into the conformance findings.
//!
//! # What is compared
//!
//! Dataset-level stats only. The stored side is `meta/stats.json` (v2.0, v3.0); a dataset without
//! one but with per-episode stats (v2.1 `meta/episodes_stats.jsonl`) is compared against those
//! per-episode stats aggregated as LeRobot aggregates them (min of minima, max of maxima,
//! count-weighted mean, pooled population std). Per-episode stored stats are not compared here:
//! [`compute_dataset_stats`](super::compute_dataset_stats) does not compute per-episode values (the
//! checker's `stats.consistent` rule compares them from its own per-episode pass).
//!
//! # Tolerances
//!
//! The same as `check::stats` (its constants are reused): min/max within
//! [`MIN_MAX_RELATIVE_TOLERANCE`] × max(|min|, |max|, 1); mean/std within
//! [`MEAN_STD_RANGE_TOLERANCE`] × (max − min), at least 1e-6 × max(|min|, |max|, 1).
//!
//! Stored quantiles (`q01` … `q99`, v3.0) are listed but not judged (`within: None`): LeRobot
//! stores for the dataset the count-weighted mean of the episodes' quantiles, which is not a
//! quantile of the data and can lie anywhere in the range (for `episode_index`, q01 is the mean
//! episode index), so no tolerance separates a stale value from a correct one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{DatasetStats, FeatureStatistics};
use crate::check::finding::{Finding, Findings, Location};
use crate::check::stats::{MEAN_STD_RANGE_TOLERANCE, MIN_MAX_RELATIVE_TOLERANCE};
use crate::lerobot::stats::{FeatureStats, StoredStats, EPISODES_STATS_PATH, GLOBAL_STATS_PATH};

/// Rows kept in a [`StatsDrift`]; disagreements are kept first, the rest are counted.
pub const MAX_DRIFT_ROWS: usize = 10_000;
/// The floor of the mean/std tolerance relative to the dimension's scale (as in `check::stats`).
pub const MEAN_STD_ABSOLUTE_FLOOR: f64 = 1e-6;
/// The rule whose findings drift produces (the checker's rule for the same defect).
pub const DRIFT_RULE: &str = "stats.consistent";

/// One stored value against the computed one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftRow {
    pub feature: String,
    /// Dimension within the feature (2-D features flattened row-major).
    pub dim: usize,
    /// The dimension's name (from info.json `names`, or `feature[i]`).
    pub label: String,
    /// `min`, `max`, `mean`, `std`, or a stored quantile name such as `q01`.
    pub stat: String,
    #[serde(with = "lossless_f64")]
    pub stored: f64,
    pub computed: f64,
    #[serde(with = "lossless_f64")]
    pub abs_diff: f64,
    /// The largest `abs_diff` that still agrees; `None` for values that are not judged.
    pub tolerance: Option<f64>,
    /// `None` when not judged (stored quantiles, see the module doc).
    pub within: Option<bool>,
}

/// A feature that could not be compared, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftSkip {
    pub feature: String,
    pub reason: String,
}

/// The computed statistics against the stored ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatsDrift {
    /// The file the stored values come from (`meta/stats.json` or `meta/episodes_stats.jsonl`).
    pub stored_path: String,
    /// The stored values are per-episode stats aggregated over the episodes.
    pub aggregated_from_episodes: bool,
    /// Every frame was read (the stats had no problem): only then do disagreements become findings.
    pub complete: bool,
    /// Values judged.
    pub compared: u64,
    /// Values judged outside their tolerance.
    pub outside: u64,
    /// At most [`MAX_DRIFT_ROWS`] rows, disagreements first, then in feature/dimension order.
    pub rows: Vec<DriftRow>,
    /// Rows left out beyond [`MAX_DRIFT_ROWS`].
    pub rows_omitted: u64,
    pub skipped: Vec<DriftSkip>,
}

impl StatsDrift {
    /// The rows judged outside their tolerance.
    pub fn disagreements(&self) -> impl Iterator<Item = &DriftRow> {
        self.rows.iter().filter(|row| row.within == Some(false))
    }
}

/// The tolerance `check::stats` applies to `stat` for a dimension whose data ranges over
/// `[computed_min, computed_max]`; `None` for stats it does not judge (quantiles).
pub fn tolerance_for(stat: &str, computed_min: f64, computed_max: f64) -> Option<f64> {
    let scale = computed_max.abs().max(computed_min.abs()).max(1.0);
    match stat {
        "min" | "max" => Some(MIN_MAX_RELATIVE_TOLERANCE * scale),
        "mean" | "std" => {
            Some((MEAN_STD_RANGE_TOLERANCE * (computed_max - computed_min).abs()).max(MEAN_STD_ABSOLUTE_FLOOR * scale))
        }
        _ => None,
    }
}

/// Compares `computed` with the dataset-level stats in `stored` (see the module doc for which).
/// `None` when the dataset stores no stats to compare with.
pub fn compute_drift(computed: &DatasetStats, stored: &StoredStats) -> Option<StatsDrift> {
    let (stored_path, aggregated_from_episodes, global) = if !stored.global.is_empty() {
        let path = stored.global_file.clone().unwrap_or_else(|| GLOBAL_STATS_PATH.to_string());
        (path, false, stored.global.clone())
    } else if !stored.per_episode.is_empty() {
        let path = stored.per_episode_files.first().cloned().unwrap_or_else(|| EPISODES_STATS_PATH.to_string());
        (path, true, BTreeMap::new())
    } else {
        return None;
    };
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    for feature in &computed.features {
        let stats = if aggregated_from_episodes {
            match aggregate_episodes(stored, &feature.feature, computed.episode_lengths.count) {
                Ok(stats) => stats,
                Err(reason) => {
                    skipped.push(DriftSkip { feature: feature.feature.clone(), reason });
                    continue;
                }
            }
        } else {
            match global.get(&feature.feature) {
                Some(stats) => stats.clone(),
                None => continue,
            }
        };
        if let Err(reason) = compare_feature(feature, &stats, &mut rows) {
            skipped.push(DriftSkip { feature: feature.feature.clone(), reason });
        }
    }
    let compared = rows.iter().filter(|r| r.within.is_some()).count() as u64;
    let outside = rows.iter().filter(|r| r.within == Some(false)).count() as u64;
    // Disagreements first (stable: each group keeps feature/dimension order), then bound.
    rows.sort_by_key(|row| row.within != Some(false));
    let rows_omitted = rows.len().saturating_sub(MAX_DRIFT_ROWS) as u64;
    rows.truncate(MAX_DRIFT_ROWS);
    Some(StatsDrift {
        stored_path,
        aggregated_from_episodes,
        complete: computed.problems.is_empty() && computed.problems_omitted == 0,
        compared,
        outside,
        rows,
        rows_omitted,
        skipped,
    })
}

/// Adds one row per stored value of `feature`; `Err` with the reason when not comparable.
fn compare_feature(feature: &FeatureStatistics, stored: &FeatureStats, rows: &mut Vec<DriftRow>) -> Result<(), String> {
    let dims = feature.dims.len();
    if dims == 0 {
        return Err("no values were read".to_string());
    }
    let mut stats: Vec<(&str, &[f64])> =
        vec![("min", &stored.min), ("max", &stored.max), ("mean", &stored.mean), ("std", &stored.std)];
    stats.extend(stored.quantiles.iter().map(|(name, values)| (name.as_str(), values.as_slice())));
    if let Some((stat, values)) = stats.iter().find(|(_, values)| !values.is_empty() && values.len() != dims) {
        // Writers reduce 2-D features over the leading axes: not comparable per dimension.
        return Err(format!("stored `{stat}` has {} values, the data has {dims} dimensions", values.len()));
    }
    for (dim, computed) in feature.dims.iter().enumerate() {
        let (Some(min), Some(max)) = (computed.min, computed.max) else { continue };
        let label = feature.labels.get(dim).cloned().unwrap_or_else(|| format!("{}[{dim}]", feature.feature));
        for (stat, values) in &stats {
            let Some(&stored_value) = values.get(dim) else { continue };
            let computed_value = match *stat {
                "min" => Some(min),
                "max" => Some(max),
                "mean" => computed.mean,
                "std" => computed.std,
                quantile => quantile_of(quantile).and_then(|q| computed.quantile(q)),
            };
            let Some(computed_value) = computed_value else { continue };
            let tolerance = tolerance_for(stat, min, max);
            let abs_diff = (stored_value - computed_value).abs();
            rows.push(DriftRow {
                feature: feature.feature.clone(),
                dim,
                label: label.clone(),
                stat: stat.to_string(),
                stored: stored_value,
                computed: computed_value,
                abs_diff,
                tolerance,
                // NaN never agrees (the data's value is finite here).
                within: tolerance.map(|t| abs_diff <= t),
            });
        }
    }
    Ok(())
}

/// `q01` → 0.01, `q50` → 0.5; `None` for other names.
fn quantile_of(name: &str) -> Option<f64> {
    let digits = name.strip_prefix('q')?;
    if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let percent: u32 = digits.parse().ok()?;
    (percent <= 100).then(|| f64::from(percent) / 100.0)
}

/// One feature's per-episode stored stats aggregated over `episodes` episodes as LeRobot does.
fn aggregate_episodes(stored: &StoredStats, feature: &str, episodes: u64) -> Result<FeatureStats, String> {
    let per_episode: Vec<&FeatureStats> = stored.per_episode.values().filter_map(|f| f.get(feature)).collect();
    if per_episode.is_empty() {
        return Err("no per-episode stats stored".to_string());
    }
    if (per_episode.len() as u64) < episodes {
        return Err(format!("per-episode stats cover {} of {episodes} episodes", per_episode.len()));
    }
    let width = per_episode[0].min.len();
    let mut total = 0u64;
    let mut min = vec![f64::INFINITY; width];
    let mut max = vec![f64::NEG_INFINITY; width];
    let mut weighted_sum = vec![0.0; width];
    for stats in &per_episode {
        let Some(count) = stats.count else {
            return Err("an episode's stats have no count".to_string());
        };
        if [&stats.min, &stats.max, &stats.mean, &stats.std].iter().any(|v| v.len() != width) {
            return Err("episodes store different numbers of values".to_string());
        }
        total = total.saturating_add(count);
        for d in 0..width {
            min[d] = min[d].min(stats.min[d]);
            max[d] = max[d].max(stats.max[d]);
            weighted_sum[d] += count as f64 * stats.mean[d];
        }
    }
    if total == 0 {
        return Err("the episodes' counts sum to 0".to_string());
    }
    let mean: Vec<f64> = weighted_sum.iter().map(|s| s / total as f64).collect();
    let mut pooled = vec![0.0; width];
    for stats in &per_episode {
        let count = stats.count.unwrap_or(0) as f64;
        for d in 0..width {
            let offset = stats.mean[d] - mean[d];
            pooled[d] += count * (stats.std[d] * stats.std[d] + offset * offset);
        }
    }
    let std = pooled.iter().map(|v| (v / total as f64).max(0.0).sqrt()).collect();
    Ok(FeatureStats { min, max, mean, std, count: Some(total), quantiles: BTreeMap::new() })
}

/// The disagreements as `stats.consistent` findings (one per feature, with a count), located in the
/// stored stats file. Empty when the computation did not read every frame.
pub fn drift_findings(drift: &StatsDrift) -> Vec<Finding> {
    let mut findings = Findings::default();
    if !drift.complete {
        return Vec::new();
    }
    let what = if drift.aggregated_from_episodes { "aggregated over the episodes, " } else { "" };
    for row in drift.disagreements() {
        findings.add(
            DRIFT_RULE,
            Location::file(&drift.stored_path).feature(&row.feature),
            format!(
                "dimension {} ({}): {what}stored {} {} but the data gives {} (tolerance {:.2e})",
                row.dim,
                row.label,
                row.stat,
                row.stored,
                row.computed,
                row.tolerance.unwrap_or(0.0)
            ),
            "Recompute the stats from the data (they are stale or wrong).",
        );
    }
    findings.into_sorted()
}

/// An `f64` that keeps NaN and ±infinity through JSON (as the strings `"NaN"`, `"Infinity"`,
/// `"-Infinity"`), like the stored-stats types.
mod lossless_f64 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        match *value {
            v if v.is_finite() => serializer.serialize_f64(v),
            v if v.is_nan() => serializer.serialize_str("NaN"),
            v if v > 0.0 => serializer.serialize_str("Infinity"),
            _ => serializer.serialize_str("-Infinity"),
        }
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Number(f64),
        Text(String),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        match Repr::deserialize(deserializer)? {
            Repr::Number(v) => Ok(v),
            Repr::Text(text) => match text.as_str() {
                "NaN" => Ok(f64::NAN),
                "Infinity" => Ok(f64::INFINITY),
                "-Infinity" => Ok(f64::NEG_INFINITY),
                other => Err(serde::de::Error::custom(format!("expected a number, found \"{other}\""))),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{DimensionStatistics, EpisodeLengthStats, QuantileMethod, QuantileValue};

    fn dim(min: f64, max: f64, mean: f64, std: f64, q50: f64) -> DimensionStatistics {
        DimensionStatistics {
            count: 100,
            nan_count: 0,
            pos_inf_count: 0,
            neg_inf_count: 0,
            min: Some(min),
            max: Some(max),
            mean: Some(mean),
            std: Some(std),
            quantiles: vec![QuantileValue { q: 0.5, value: q50 }],
            quantile_method: QuantileMethod::Exact,
            histogram: None,
        }
    }

    fn computed() -> DatasetStats {
        DatasetStats {
            fps: 30.0,
            frames_read: 100,
            features: vec![FeatureStatistics {
                feature: "action".into(),
                labels: vec!["shoulder".into(), "gripper".into()],
                dims: vec![dim(-10.0, 10.0, 0.5, 3.0, 0.4), dim(0.0, 100.0, 50.0, 20.0, 49.0)],
                rows: 100,
                peak_retained_values: 200,
            }],
            episode_lengths: EpisodeLengthStats {
                count: 2,
                total_frames: 100,
                min: Some(50),
                max: Some(50),
                mean: Some(50.0),
                std: Some(0.0),
                histogram: None,
            },
            tasks: Vec::new(),
            frames_with_unknown_task: 0,
            data_files: Vec::new(),
            bytes_read: 0,
            problems: Vec::new(),
            problems_omitted: 0,
        }
    }

    fn stored_global(action: FeatureStats) -> StoredStats {
        StoredStats {
            global: [("action".to_string(), action)].into_iter().collect(),
            global_file: Some("meta/stats.json".into()),
            ..Default::default()
        }
    }

    fn matching() -> FeatureStats {
        FeatureStats {
            min: vec![-10.0, 0.0],
            max: vec![10.0, 100.0],
            mean: vec![0.5, 50.0],
            std: vec![3.0, 20.0],
            count: Some(100),
            quantiles: [("q50".to_string(), vec![7.0, 10.0])].into_iter().collect(),
        }
    }

    #[test]
    fn agreeing_stats_are_within_and_quantiles_are_listed_but_not_judged() {
        let drift = compute_drift(&computed(), &stored_global(matching())).unwrap();
        assert_eq!(drift.compared, 8);
        assert_eq!(drift.outside, 0);
        assert_eq!(drift.rows.len(), 10);
        let q50 = drift.rows.iter().find(|r| r.stat == "q50" && r.dim == 0).unwrap();
        assert_eq!((q50.within, q50.tolerance, q50.computed), (None, None, 0.4));
        assert!(drift_findings(&drift).is_empty());
    }

    #[test]
    fn a_perturbed_mean_is_outside_and_becomes_one_finding_per_feature() {
        let mut stats = matching();
        // Tolerance for the gripper mean: 1e-3 × range 100 = 0.1.
        stats.mean[1] = 50.2;
        stats.max[0] = 10.001; // 1e-5 × 10 = 1e-4 → outside as well
        let drift = compute_drift(&computed(), &stored_global(stats)).unwrap();
        assert_eq!(drift.outside, 2);
        assert_eq!(drift.rows[0].within, Some(false), "disagreements come first");
        let mean = drift.disagreements().find(|r| r.stat == "mean").unwrap();
        assert_eq!((mean.label.as_str(), mean.dim), ("gripper", 1));
        assert!((mean.tolerance.unwrap() - 0.1).abs() < 1e-12);
        let findings = drift_findings(&drift);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule, "stats.consistent");
        assert_eq!(findings[0].count, 2);
        assert_eq!(findings[0].location.path.as_deref(), Some("meta/stats.json"));
        assert_eq!(findings[0].location.feature.as_deref(), Some("action"));
        // A drift over partial data lists the rows but makes no finding.
        let mut partial = computed();
        partial.problems.push(crate::stats::StatsProblem {
            path: "data/x.parquet".into(),
            feature: None,
            message: "corrupt".into(),
        });
        let mut stats = matching();
        stats.mean[1] = 50.2;
        let drift = compute_drift(&partial, &stored_global(stats)).unwrap();
        assert_eq!((drift.complete, drift.outside), (false, 1));
        assert!(drift_findings(&drift).is_empty());
    }

    #[test]
    fn per_episode_stats_are_aggregated_like_lerobot() {
        // Episode A: values {0, 2} (mean 1, std 1); episode B: {4, 6} (mean 5, std 1).
        // All four: mean 3, population std sqrt(5).
        let episode = |min: f64, max: f64, mean: f64| FeatureStats {
            min: vec![min],
            max: vec![max],
            mean: vec![mean],
            std: vec![1.0],
            count: Some(2),
            quantiles: BTreeMap::new(),
        };
        let mut stored = StoredStats::default();
        stored.per_episode.insert(0, [("x".to_string(), episode(0.0, 2.0, 1.0))].into_iter().collect());
        stored.per_episode.insert(1, [("x".to_string(), episode(4.0, 6.0, 5.0))].into_iter().collect());
        let aggregated = aggregate_episodes(&stored, "x", 2).unwrap();
        assert_eq!((aggregated.min[0], aggregated.max[0], aggregated.mean[0]), (0.0, 6.0, 3.0));
        assert!((aggregated.std[0] - 5f64.sqrt()).abs() < 1e-12);
        assert_eq!(aggregated.count, Some(4));
        assert!(aggregate_episodes(&stored, "x", 3).unwrap_err().contains("cover 2 of 3"));
    }

    #[test]
    fn features_of_another_width_are_skipped_with_a_reason() {
        let mut stats = matching();
        stats.min = vec![0.0];
        let drift = compute_drift(&computed(), &stored_global(stats)).unwrap();
        assert!(drift.rows.is_empty());
        assert_eq!(drift.skipped.len(), 1);
        assert!(drift.skipped[0].reason.contains("stored `min` has 1 values"), "{}", drift.skipped[0].reason);
    }

    #[test]
    fn rows_keep_nan_through_json() {
        let mut stats = matching();
        stats.std[0] = f64::NAN;
        let drift = compute_drift(&computed(), &stored_global(stats)).unwrap();
        assert_eq!(drift.outside, 1);
        let json = serde_json::to_string(&drift).unwrap();
        let back: StatsDrift = serde_json::from_str(&json).unwrap();
        let row = back.disagreements().next().unwrap();
        assert!(row.stored.is_nan() && row.abs_diff.is_nan());
        assert_eq!(quantile_of("q01"), Some(0.01));
        assert_eq!(quantile_of("qx"), None);
    }
}
