//! Stats checks (rules `stats.*`, `value.out-of-range`): stored statistics are present, shaped
//! like their features, and agree with the data within a bound that follows from the arithmetic
//! the writers used ([`arithmetic_bound`]).

use super::finding::{Findings, Location};
use super::frames::{DataAccumulator, DimStats};
use crate::lerobot::info::{Feature, FeatureKind};
use crate::lerobot::stats::{read_stored_stats, FeatureStats};
use crate::lerobot::{Dataset, FormatVersion};
use crate::tree::DatasetTree;

/// min/max must match to this relative tolerance (stored values are float32 roundings).
pub const MIN_MAX_RELATIVE_TOLERANCE: f64 = 1e-5;
/// Image and video mean/std (computed by the writers from a sample of frames, not all of them)
/// must match to this fraction of the dimension's range (or absolute 1e-6 when flat).
pub const MEAN_STD_RANGE_TOLERANCE: f64 = 1e-3;
/// float32's unit roundoff, 2⁻²⁴: one rounding of a float32 operation is within this relative error.
pub const F32_UNIT_ROUNDOFF: f64 = 5.960_464_477_539_063e-8;
/// float16's unit roundoff, 2⁻¹¹ (a float16 feature's stats are at best float16 roundings).
pub const F16_UNIT_ROUNDOFF: f64 = 4.882_812_5e-4;
/// float64's unit roundoff, 2⁻⁵³ (integer and float64 features are summed in float64 by numpy).
pub const F64_UNIT_ROUNDOFF: f64 = 1.110_223_024_625_156_5e-16;

/// How far a writer's stored mean and std can lie from the exact ones through its arithmetic alone.
///
/// LeRobot computes per-episode stats with numpy on the feature's own dtype: `np.mean(x, axis=0)`
/// of an (n, d) float32 array sums the n frames one after another in float32 (numpy's pairwise
/// summation applies only along the contiguous axis), so by Higham's bound for recursive summation
/// the mean is within `(n − 1)·u·mean|x|`, plus one rounding for the division and one for storing.
/// Writers that keep a running mean instead (`mean += (x − mean)·k/n`: torch in v2.0, Welford) round
/// up to three times per frame, so the bound allows three: **mean: `(3n + 1)·u·max|x|`**. The
/// variance — `mean(x²) − mean²` in v3.0, two-pass `np.std` in v2.x — is within
/// `D = (3n + 3)·u·max|x|²`, and `|√(σ² + δ) − σ| ≤ min(√|δ|, |δ|/σ)`, so
/// **std: `min(√D, D/σ) + u·σ`**. (The error is systematic, not a random walk: a flat signal far
/// from zero rounds the same way at every step, so neither √n nor log₂(n) bounds it.)
/// Whole-dataset stats are aggregated from the episodes' in float64 (v2.1, v3.0: n is the longest
/// episode, and the spread of the episode means adds `2·(max − min)·ε_mean` to D) or accumulated over every frame (v2.0: n is the dataset's frames).
/// `u` is the unit roundoff of the arithmetic used ([`Precision`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ArithmeticBound {
    pub mean: f64,
    pub std: f64,
}

/// The bound for `frames` values of magnitude at most `max_abs`, spread `range`, std `std`, with unit
/// roundoff `unit_roundoff`; `aggregated`: whole-dataset stats combined from per-episode ones.
pub fn arithmetic_bound(
    unit_roundoff: f64,
    frames: u64,
    max_abs: f64,
    std: f64,
    range: f64,
    aggregated: bool,
) -> ArithmeticBound {
    let n = frames as f64;
    let mean = (3.0 * n + 1.0) * unit_roundoff * max_abs;
    let mut variance = (3.0 * n + 3.0) * unit_roundoff * max_abs * max_abs;
    if aggregated {
        variance += 2.0 * range * mean;
    }
    let spread = if std > 0.0 { variance.sqrt().min(variance / std) } else { variance.sqrt() };
    ArithmeticBound { mean, std: spread + unit_roundoff * std }
}

/// The arithmetic the writers use for a feature's stats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    Float16,
    Float32,
    Float64,
    /// Integers and booleans: summed in float64, but their per-episode stats come out as float32
    /// numbers, so whole-dataset stats combined from them carry float32 rounding.
    Integer,
}

impl Precision {
    pub fn of(feature: &Feature) -> Self {
        match feature.dtype.as_str() {
            "float32" => Self::Float32,
            "float16" | "bfloat16" => Self::Float16,
            "float64" => Self::Float64,
            _ => Self::Integer,
        }
    }

    pub fn unit_roundoff(self) -> f64 {
        match self {
            Self::Float16 => F16_UNIT_ROUNDOFF,
            Self::Float32 => F32_UNIT_ROUNDOFF,
            Self::Float64 | Self::Integer => F64_UNIT_ROUNDOFF,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Float16 => "float16",
            Self::Float32 => "float32",
            Self::Float64 | Self::Integer => "float64",
        }
    }

    /// The precision a stored value shows: a float32 number was computed (or at least kept) in
    /// float32 whatever the feature's dtype (v2.0's writer casts every feature to float32), and
    /// whole-dataset stats of integer features combine per-episode float32 numbers.
    fn of_stored(self, value: f64, aggregated: bool) -> Self {
        match self {
            Self::Integer if aggregated => Self::Float32,
            Self::Float64 | Self::Integer if f64::from(value as f32) == value => Self::Float32,
            other => other,
        }
    }
}

/// What the stored stats are compared with: how many frames each writer's sum ran over.
#[derive(Debug, Clone, Copy)]
struct Tolerance {
    precision: Precision,
    /// Frames in one run of the writer's sums (an episode, or the dataset in v2.0).
    frames: u64,
    /// Whole-dataset stats combined from per-episode ones.
    aggregated: bool,
    /// Image and video stats come from a sample of frames: the range tolerance applies instead.
    sampled: bool,
}

fn close(stored: f64, computed: f64, tolerance: f64) -> bool {
    (stored - computed).abs() <= tolerance || (stored.is_nan() && computed.is_nan())
}

/// Compares one feature's stored stats with the computed ones; returns the first disagreement.
fn disagreement(stored: &FeatureStats, computed: &[DimStats], tolerance: Tolerance) -> Option<String> {
    if stored.min.len() != computed.len() {
        // Reduced over leading axes (2-D features): not comparable per dimension.
        return None;
    }
    for (dim, c) in computed.iter().enumerate() {
        if c.count == 0 {
            continue;
        }
        let range = (c.max - c.min).abs();
        let max_abs = c.max.abs().max(c.min.abs());
        let scale = max_abs.max(1.0);
        let min_max_tol = MIN_MAX_RELATIVE_TOLERANCE * scale;
        let arithmetic = |stored: Option<&f64>| {
            let precision =
                stored.map_or(tolerance.precision, |&v| tolerance.precision.of_stored(v, tolerance.aggregated));
            let bound = arithmetic_bound(
                precision.unit_roundoff(),
                tolerance.frames,
                max_abs,
                c.std(),
                range,
                tolerance.aggregated,
            );
            (bound, format!("{} arithmetic over {} frames", precision.name(), tolerance.frames))
        };
        let ((mean_tol, mean_basis), (std_tol, std_basis)) = if tolerance.sampled {
            let tol = (MEAN_STD_RANGE_TOLERANCE * range).max(1e-6 * scale);
            let basis = "0.1 % of the range: image stats are sampled".to_string();
            ((tol, basis.clone()), (tol, basis))
        } else {
            let (mean_bound, mean_basis) = arithmetic(stored.mean.get(dim));
            let (std_bound, std_basis) = arithmetic(stored.std.get(dim));
            ((mean_bound.mean, mean_basis), (std_bound.std, std_basis))
        };
        let checks = [
            ("min", stored.min.get(dim), c.min, min_max_tol, "relative 1e-5".to_string()),
            ("max", stored.max.get(dim), c.max, min_max_tol, "relative 1e-5".to_string()),
            ("mean", stored.mean.get(dim), c.mean(), mean_tol, mean_basis),
            ("std", stored.std.get(dim), c.std(), std_tol, std_basis),
        ];
        for (stat, stored_value, computed_value, tolerance, basis) in checks {
            if let Some(&stored_value) = stored_value {
                if !close(stored_value, computed_value, tolerance) {
                    return Some(format!(
                        "dimension {dim}: stored {stat} {stored_value} but the data gives {computed_value} (tolerance {tolerance:.2e}: {basis})"
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
    let longest_episode = data
        .per_episode
        .values()
        .flat_map(|features| features.values())
        .filter_map(|dims| dims.first())
        .map(|d| d.count + d.non_finite)
        .max()
        .unwrap_or(0);
    let all_frames: u64 = dataset.frames_found();
    for feature in &dataset.info.features {
        let sampled = matches!(feature.kind, FeatureKind::Video | FeatureKind::Image);
        let precision = Precision::of(feature);
        let global_tolerance = match dataset.version {
            FormatVersion::V2_0 => Tolerance { precision, frames: all_frames, aggregated: false, sampled },
            _ => Tolerance { precision, frames: longest_episode, aggregated: true, sampled },
        };
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
                if let Some(message) = disagreement(stats, computed, global_tolerance).filter(|_| all_read) {
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
                let frames = computed.first().map(|d| d.count + d.non_finite).unwrap_or(0);
                let tolerance = Tolerance { precision, frames, aggregated: false, sampled };
                if let Some(message) = disagreement(stats, computed, tolerance) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn computed_of(values: &[f32]) -> Vec<DimStats> {
        let mut dim = DimStats::default();
        values.iter().for_each(|&v| dim.push(f64::from(v)));
        vec![dim]
    }

    /// Per-episode stats exactly as LeRobot v3.0's `RunningQuantileStats` computes them for a
    /// float32 (n, 1) column: numpy float32 sums in frame order, `mean(x²) − mean²`, `sqrt`.
    fn lerobot_v30_float32(values: &[f32]) -> FeatureStats {
        let n = values.len() as f32;
        let mean = values.iter().fold(0f32, |s, &v| s + v) / n;
        let mean_sq = values.iter().fold(0f32, |s, &v| s + v * v) / n;
        let std = (mean_sq - mean * mean).max(0.0).sqrt();
        let min = values.iter().copied().fold(f32::INFINITY, f32::min);
        let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        FeatureStats {
            min: vec![f64::from(min)],
            max: vec![f64::from(max)],
            mean: vec![f64::from(mean)],
            std: vec![f64::from(std)],
            ..FeatureStats::default()
        }
    }

    fn episode_tolerance(precision: Precision, frames: usize) -> Tolerance {
        Tolerance { precision, frames: frames as u64, aggregated: false, sampled: false }
    }

    /// Values near `offset` with a small deterministic wobble (the hard case: a flat signal far
    /// from zero, where float32 sums lose the most).
    fn flat_signal(frames: usize, offset: f32, wobble: f32) -> Vec<f32> {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        (0..frames)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                offset + wobble * ((state >> 40) as f32 / (1u64 << 24) as f32 - 0.5)
            })
            .collect()
    }

    #[test]
    fn the_reported_float32_disagreement_is_within_the_bound() {
        // The public dataset's case: stored mean 2.7e-6 off on a value of 1.56 (relative 1.7e-6).
        let values = flat_signal(300, 1.56, 1e-4);
        let computed = computed_of(&values);
        let mut stored = lerobot_v30_float32(&values);
        stored.mean[0] = computed[0].mean() + 2.7e-6;
        assert_eq!(disagreement(&stored, &computed, episode_tolerance(Precision::Float32, 300)), None);
        // The range tolerance (what numeric features had before) called this an error.
        let c = &computed[0];
        let range_tolerance = (MEAN_STD_RANGE_TOLERANCE * (c.max - c.min)).max(1e-6 * c.max.abs().max(1.0));
        assert!((stored.mean[0] - c.mean()).abs() > range_tolerance);
    }

    #[test]
    fn stats_computed_in_float32_by_lerobots_arithmetic_are_never_a_finding() {
        for (frames, offset, wobble) in [
            (300, 1.56f32, 1e-4f32),
            (20_000, 1.56, 1e-3),
            (50_000, 1000.0, 0.5),
            (7, -3.25, 0.0),
            (100_000, 0.1, 1e-6),
        ] {
            let values = flat_signal(frames, offset, wobble);
            let computed = computed_of(&values);
            let stored = lerobot_v30_float32(&values);
            let tolerance = episode_tolerance(Precision::Float32, frames);
            assert_eq!(disagreement(&stored, &computed, tolerance), None, "{frames} frames at {offset} ± {wobble}");
        }
    }

    #[test]
    fn a_disagreement_beyond_the_bound_stays_an_error() {
        let values = flat_signal(300, 1.56, 1e-2);
        let computed = computed_of(&values);
        let c = &computed[0];
        let bound =
            arithmetic_bound(F32_UNIT_ROUNDOFF, 300, c.max.abs().max(c.min.abs()), c.std(), c.max - c.min, false);
        for (stat, nudge) in [("mean", bound.mean * 1.5), ("std", bound.std * 1.5)] {
            let mut stored = lerobot_v30_float32(&values);
            let slot = if stat == "mean" { &mut stored.mean[0] } else { &mut stored.std[0] };
            *slot = if stat == "mean" { c.mean() } else { c.std() } + nudge;
            let message = disagreement(&stored, &computed, episode_tolerance(Precision::Float32, 300))
                .unwrap_or_else(|| panic!("{stat} off by 1.5× the bound passed"));
            assert!(message.contains(&format!("stored {stat}")), "{message}");
            assert!(message.contains("float32 arithmetic over 300 frames"), "{message}");
        }
        // A float64 feature is held to float64 arithmetic: a float32-sized error is an error there
        // (unless the stored value is a float32 number, then float32's bound applies).
        let mut stored = lerobot_v30_float32(&values);
        stored.mean[0] = c.mean() * (1.0 + 1e-6) + 1e-12;
        assert_ne!(f64::from(stored.mean[0] as f32), stored.mean[0]);
        stored.std[0] = c.std();
        assert!(disagreement(&stored, &computed, episode_tolerance(Precision::Float64, 300)).is_some());
    }

    #[test]
    fn the_bound_grows_with_the_frames_and_the_magnitude() {
        let small = arithmetic_bound(F32_UNIT_ROUNDOFF, 100, 1.0, 0.1, 1.0, false);
        let long = arithmetic_bound(F32_UNIT_ROUNDOFF, 10_000, 1.0, 0.1, 1.0, false);
        let large = arithmetic_bound(F32_UNIT_ROUNDOFF, 100, 1000.0, 0.1, 1.0, false);
        assert!(long.mean > 90.0 * small.mean && large.mean > 900.0 * small.mean);
        assert!((small.mean - 301.0 * F32_UNIT_ROUNDOFF).abs() < 1e-18);
        // With no spread the std bound is √D, not D/σ.
        let flat = arithmetic_bound(F32_UNIT_ROUNDOFF, 100, 2.0, 0.0, 0.0, false);
        assert!((flat.std - (303.0 * F32_UNIT_ROUNDOFF * 4.0f64).sqrt()).abs() < 1e-12);
    }
}
