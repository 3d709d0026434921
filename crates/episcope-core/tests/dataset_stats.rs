//! Exact dataset statistics (`episcope_core::stats`) against the nine example datasets, stored
//! stats, and generated data: the sketch's rank-error bound, its memory bound, cancellation and
//! non-finite values.
//!
//! Expected values of the example datasets were computed independently with numpy 2.4 and
//! pyarrow 26 in `shared/datasets` (values read as float64; `numpy.std` is the population std,
//! `numpy.quantile` uses its default linear method). The script that printed the tables:
//!
//! ```python
//! import glob, numpy as np, pyarrow as pa, pyarrow.parquet as pq
//! def table(name):
//!     files = sorted(glob.glob(f'{name}/data/**/*.parquet', recursive=True))
//!     return pa.concat_tables([pq.read_table(f) for f in files], promote_options='default')
//! def col(t, c):
//!     a = t.column(c).to_pylist()
//!     return np.array(a, dtype=np.float64).reshape(len(a), -1)
//! t = table('v30_state_extra')
//! for c in ['observation.state', 'action', 'observation.ee_pose', 'next.reward', 'next.done']:
//!     for v in col(t, c).T:
//!         print([float(z) for z in [v.min(), v.max(), v.mean(), v.std(),
//!                np.quantile(v, 0.01), np.quantile(v, 0.5), np.quantile(v, 0.99)]])
//! ```
//!
//! The same script over each of the nine datasets gives identical tables for `observation.state`
//! and `action` (the writers were fed the same frames), and for `next.reward`, `next.done` in the
//! three `state_extra` datasets and `observation.ee_pose` in v2.1/v3.0.

mod common;
mod fixtures;

use std::ops::ControlFlow;

use common::{merge_in_random_order, open, Draw, SHARED_DATASETS};
use episcope_core::lerobot::{read_stored_stats, Dataset, FormatVersion};
use episcope_core::stats::{
    compute_dataset_stats, Binning, ColumnAccumulator, DatasetStats, DimensionStatistics, FeatureStatistics,
    QuantileMethod, QuantileSketch, StatsError, StatsOptions, StatsProgress, MAX_SKETCH_RETAINED_VALUES,
};
use episcope_core::DatasetTree;
use fixtures::{state_value, Fixture, Options, STATE_DIM};

// Columns: min, max, mean, std, q01, q50, q99 (count is 990 everywhere).
const STATE: [[f64; 7]; 6] = [
    [
        -45.34266662597656,
        45.62466049194336,
        4.880851272767353,
        31.03183291902702,
        -44.93568103790283,
        9.289896965026855,
        45.09140449523926,
    ],
    [
        -50.82590103149414,
        10.702705383300781,
        -19.39960668420071,
        21.074155784373374,
        -50.14482620239258,
        -18.22180461883545,
        10.23398554801941,
    ],
    [
        -5.742959499359131,
        66.08361053466797,
        30.79476477452977,
        24.53121477009178,
        -5.187655763626099,
        31.679641723632812,
        65.1552823638916,
    ],
    [
        34.45853042602539,
        85.58097839355469,
        60.1892118781504,
        17.75507115408213,
        34.75587802886963,
        60.76834297180176,
        85.11160987854004,
    ],
    [
        -60.76913070678711,
        60.44123458862305,
        0.12827671940128008,
        43.22069003722965,
        -60.15579898834228,
        1.198506772518158,
        60.10399475097656,
    ],
    [
        4.253929615020752,
        61.22494888305664,
        37.32253178490533,
        25.77385571030821,
        4.477441358566284,
        59.46390724182129,
        60.64330215454102,
    ],
];
const ACTION: [[f64; 7]; 6] = [
    [
        -44.999996185302734,
        44.999969482421875,
        4.789440966205615,
        31.03895906496183,
        -44.96361812591553,
        8.876370429992676,
        44.98455139160156,
    ],
    [
        -49.99794006347656,
        9.999978065490723,
        -19.28968051657565,
        21.077391540492744,
        -49.98444450378418,
        -17.802854537963867,
        9.97817398071289,
    ],
    [
        -4.9999613761901855,
        64.99956512451172,
        30.59322240645762,
        24.584711205017225,
        -4.977371249198914,
        31.557190895080566,
        64.98141624450683,
    ],
    [
        35.0,
        84.99999237060547,
        60.17485244828041,
        17.738675987539605,
        35.01740600585938,
        60.590017318725586,
        84.98568733215332,
    ],
    [
        -59.99925994873047,
        59.999996185302734,
        0.1504480004066018,
        43.228962366143186,
        -59.964421081542966,
        1.3048208355903625,
        59.98188774108887,
    ],
    [5.0, 60.0, 37.32659935228752, 25.770475865178792, 5.0, 60.0, 60.0],
];
const EE_POSE: [[f64; 7]; 12] = [
    [1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0],
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [
        -0.45342665910720825,
        0.45624661445617676,
        0.048808512574988076,
        0.31031832940622,
        -0.4493568229675293,
        0.09289896860718727,
        0.45091404229402543,
    ],
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0],
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [
        -0.5082589983940125,
        0.10702705383300781,
        -0.19399606706595873,
        0.21074155821715068,
        -0.5014482450485229,
        -0.1822180524468422,
        0.10233985885977745,
    ],
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0],
    [
        -0.05742959678173065,
        0.6608361005783081,
        0.3079476480640652,
        0.24531214816591337,
        -0.05187655884772539,
        0.3167964220046997,
        0.6515528130531311,
    ],
];
const REWARD: [[f64; 7]; 1] = [[0.0, 1.0, 0.005050505050505051, 0.07088721640211211, 0.0, 0.0, 0.0]];
const DONE: [[f64; 7]; 1] = [[0.0, 1.0, 0.005050505050505051, 0.07088721640211211, 0.0, 0.0, 0.0]];

/// `np.histogram(state[:, 0], bins=64)[0]`, same data and script as above.
const STATE_0_HISTOGRAM: [u64; 64] = [
    53, 32, 19, 18, 18, 13, 14, 11, 12, 12, 10, 10, 10, 10, 8, 10, 10, 9, 10, 11, 8, 13, 9, 9, 11, 11, 11, 11, 7, 12,
    12, 12, 7, 11, 13, 10, 13, 7, 15, 11, 13, 14, 6, 16, 14, 11, 14, 13, 14, 13, 13, 14, 17, 14, 20, 18, 19, 18, 18,
    23, 27, 29, 53, 66,
];

const FRAMES: u64 = 990;

fn no_progress() -> impl FnMut(StatsProgress) -> ControlFlow<()> {
    |_| ControlFlow::Continue(())
}

fn compute(tree: &DatasetTree, dataset: &Dataset, options: &StatsOptions) -> DatasetStats {
    pollster::block_on(compute_dataset_stats(tree, dataset, options, &mut no_progress())).unwrap()
}

fn feature<'a>(stats: &'a DatasetStats, name: &str) -> &'a FeatureStatistics {
    stats.feature(name).unwrap_or_else(|| panic!("no stats for {name}"))
}

/// `|actual − expected| ≤ rel·|expected|`, with an absolute floor of `rel·1e-3` for values at or
/// near zero (a mean of a signal centred on zero).
fn assert_close(actual: f64, expected: f64, rel: f64, context: &str) {
    let tolerance = rel * expected.abs().max(1e-3);
    assert!((actual - expected).abs() <= tolerance, "{context}: {actual} vs {expected} (tolerance {tolerance:e})");
}

/// Checks one dimension against a row of the tables above.
fn assert_dimension(dim: &DimensionStatistics, expected: &[f64; 7], context: &str) {
    assert_eq!(dim.count, FRAMES, "{context}: count");
    assert_eq!((dim.nan_count, dim.pos_inf_count, dim.neg_inf_count), (0, 0, 0), "{context}");
    assert_eq!(dim.min, Some(expected[0]), "{context}: min");
    assert_eq!(dim.max, Some(expected[1]), "{context}: max");
    assert_close(dim.mean.unwrap(), expected[2], 1e-9, &format!("{context}: mean"));
    assert_close(dim.std.unwrap(), expected[3], 1e-9, &format!("{context}: std"));
    for (q, value) in [(0.01, expected[4]), (0.5, expected[5]), (0.99, expected[6])] {
        assert_close(dim.quantile(q).unwrap(), value, 1e-9, &format!("{context}: q{q}"));
    }
    assert_eq!(dim.quantile_method, QuantileMethod::Exact, "{context}");
    let histogram = dim.histogram.as_ref().unwrap();
    assert_eq!(histogram.counts.len(), 64, "{context}");
    assert_eq!(histogram.counts.iter().sum::<u64>(), FRAMES, "{context}: histogram total");
    assert_eq!(histogram.max_count_error, 0, "{context}");
}

fn assert_feature(stats: &DatasetStats, name: &str, table: &[[f64; 7]], context: &str) {
    let computed = feature(stats, name);
    assert_eq!(computed.rows, FRAMES, "{context} {name}");
    assert_eq!(computed.dims.len(), table.len(), "{context} {name}");
    assert_eq!(computed.labels.len(), table.len(), "{context} {name}");
    for (d, (dim, expected)) in computed.dims.iter().zip(table).enumerate() {
        assert_dimension(dim, expected, &format!("{context} {name}[{d}]"));
    }
}

// ---------------------------------------------------------------------------------------------
// The nine example datasets.
// ---------------------------------------------------------------------------------------------

#[test]
fn state_and_action_in_the_nine_example_datasets() {
    for name in SHARED_DATASETS {
        let (tree, dataset) = open(name);
        let stats = compute(&tree, &dataset, &StatsOptions::default());
        assert_eq!(stats.problems, [], "{name}");
        assert_eq!(stats.frames_read, FRAMES, "{name}");
        assert_eq!(stats.data_files.len(), if dataset.version.is_v3() { 1 } else { 5 }, "{name}");
        assert_feature(&stats, "observation.state", &STATE, name);
        assert_feature(&stats, "action", &ACTION, name);
        let state = feature(&stats, "observation.state");
        assert_eq!(state.labels[0], "shoulder_pan.pos", "{name}");
        assert_eq!(state.dims[0].histogram.as_ref().unwrap().counts, STATE_0_HISTOGRAM, "{name}");
        // Every numeric feature, none of the image/video ones.
        let names: Vec<&str> = stats.features.iter().map(|f| f.feature.as_str()).collect();
        assert!(names.contains(&"timestamp") && names.contains(&"task_index"), "{name}: {names:?}");
        assert!(!names.iter().any(|n| n.starts_with("observation.images")), "{name}: {names:?}");
        // The result survives a JSON round trip.
        let json = serde_json::to_string(&stats).unwrap();
        assert_eq!(serde_json::from_str::<DatasetStats>(&json).unwrap(), stats, "{name}");
    }
}

#[test]
fn extra_features_of_the_state_extra_datasets() {
    for name in ["v20_state_extra", "v21_state_extra", "v30_state_extra"] {
        let (tree, dataset) = open(name);
        let stats = compute(&tree, &dataset, &StatsOptions::default());
        assert_feature(&stats, "next.reward", &REWARD, name);
        assert_feature(&stats, "next.done", &DONE, name);
        if name != "v20_state_extra" {
            // shape [3, 4], flattened row-major into 12 dimensions.
            assert_feature(&stats, "observation.ee_pose", &EE_POSE, name);
            assert_eq!(feature(&stats, "observation.ee_pose").labels[5], "observation.ee_pose[1,1]", "{name}");
        }
    }
}

/// Episode lengths from the metadata: 120/180/240/150/300.
/// `python3 -c "import numpy as np; x=np.array([120,180,240,150,300.]); print(x.mean(), x.std(),
/// np.histogram(x, bins=20)[0].tolist())"` → `198.0 64.62197768561404
/// [1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]`.
///
/// Frames per task follow `task_index` frame by frame (in v2.1 and v3.0, episode 2 switches task
/// half-way):
/// `python3 -c "import glob,numpy as np,pyarrow.parquet as pq; import sys; n=sys.argv[1];
/// print(np.bincount(np.concatenate([pq.read_table(f).column('task_index').to_numpy() for f in
/// sorted(glob.glob(n+'/data/**/*.parquet', recursive=True))])))" <name>` → `[360 480 150]` for the
/// v2.0 datasets, `[230 480 280]` for v2.1 and v3.0; hours = frames / 30 / 3600.
#[test]
fn episode_lengths_and_frames_per_task() {
    for name in SHARED_DATASETS {
        let (tree, dataset) = open(name);
        let options = StatsOptions { features: Some(vec!["action".into()]), ..StatsOptions::default() };
        let stats = compute(&tree, &dataset, &options);
        let lengths = &stats.episode_lengths;
        assert_eq!((lengths.count, lengths.total_frames, lengths.min, lengths.max), (5, 990, Some(120), Some(300)));
        assert_eq!(lengths.mean, Some(198.0), "{name}");
        assert_close(lengths.std.unwrap(), 64.62197768561404, 1e-12, name);
        let histogram = lengths.histogram.as_ref().unwrap();
        assert_eq!(histogram.counts, [1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1], "{name}");
        assert_eq!((histogram.low, histogram.high), (120.0, 300.0), "{name}");

        let expected: [u64; 3] = if dataset.version == FormatVersion::V2_0 { [360, 480, 150] } else { [230, 480, 280] };
        let frames: Vec<(u64, u64)> = stats.tasks.iter().map(|t| (t.task_index, t.frames)).collect();
        assert_eq!(frames, [(0, expected[0]), (1, expected[1]), (2, expected[2])], "{name}");
        for task in &stats.tasks {
            assert_eq!(task.hours, task.frames as f64 / 30.0 / 3600.0, "{name}");
        }
        assert_eq!(stats.tasks[2].task, "Open the top drawer.", "{name}");
        assert_eq!(stats.frames_with_unknown_task, 0, "{name}");
        assert_eq!(stats.frames_read, FRAMES, "{name}");
        // Only `action` was asked for; `task_index` is still read, for the tasks.
        let names: Vec<&str> = stats.features.iter().map(|f| f.feature.as_str()).collect();
        assert_eq!(names, ["action"], "{name}");
    }
}

/// Computed min/max/mean/std against `meta/stats.json` (v2.0, v3.0), within 1e-6 relative, except
/// where the writers' own arithmetic is less precise than that:
///
/// - the means (and in v3.0 the std) of `observation.state` and `action` — and in v2.0 the mean of
///   `observation.effort` — differ by up to 2.5e-5 relative (6e-6 absolute, on means near zero):
///   the writers accumulate float32 values in float32 (v3.0 per episode, then aggregated). They
///   agree to 1e-6 of the dimension's magnitude (max |value|), which is float32 precision.
/// - v3.0 stores `observation.ee_pose` (shape [3, 4]) reduced over its first axis: 4 values per
///   stat. Our 12 dimensions, pooled over the 3 rows, give those 4 to 1e-6 relative.
#[test]
fn computed_stats_agree_with_the_stored_ones() {
    const FLOAT32_MEANS: [&str; 3] = ["observation.state", "action", "observation.effort"];
    for name in SHARED_DATASETS {
        let (tree, dataset) = open(name);
        if dataset.version == FormatVersion::V2_1 {
            continue; // no whole-dataset stats file
        }
        let stored = pollster::block_on(read_stored_stats(&tree, &dataset));
        let stats = compute(&tree, &dataset, &StatsOptions::default());
        let mut compared = 0;
        for computed in &stats.features {
            let Some(stored) = stored.global.get(&computed.feature) else {
                panic!("{name}: no stored stats for {}", computed.feature)
            };
            let context = format!("{name} {}", computed.feature);
            let dims: Vec<[f64; 4]> = if stored.mean.len() == computed.dims.len() {
                computed
                    .dims
                    .iter()
                    .map(|d| [d.min.unwrap(), d.max.unwrap(), d.mean.unwrap(), d.std.unwrap()])
                    .collect()
            } else {
                assert_eq!((computed.feature.as_str(), stored.mean.len()), ("observation.ee_pose", 4), "{context}");
                pooled_over_rows(&computed.dims, 4)
            };
            for (d, [min, max, mean, std]) in dims.iter().copied().enumerate() {
                let magnitude = min.abs().max(max.abs());
                for (stat, stored_value, ours) in [
                    ("min", stored.min[d], min),
                    ("max", stored.max[d], max),
                    ("mean", stored.mean[d], mean),
                    ("std", stored.std[d], std),
                ] {
                    let within = |tolerance: f64| (stored_value - ours).abs() <= tolerance;
                    let float32_writer = matches!(stat, "mean" | "std") && FLOAT32_MEANS.contains(&&*computed.feature);
                    let tolerance = if float32_writer { 1e-6 * magnitude } else { 1e-6 * ours.abs().max(1e-9) };
                    assert!(within(tolerance), "{context}[{d}] {stat}: stored {stored_value}, computed {ours}");
                    compared += 1;
                }
            }
        }
        assert!(compared >= 4 * (6 + 6 + 5), "{name}: {compared}");
    }
}

/// min, max, mean and population std over groups of `rows` dimensions taken column by column
/// (dimension `r * columns + c` is row `r`, column `c`), from per-dimension stats of equal counts.
fn pooled_over_rows(dims: &[DimensionStatistics], columns: usize) -> Vec<[f64; 4]> {
    let rows = dims.len() / columns;
    (0..columns)
        .map(|c| {
            let group: Vec<&DimensionStatistics> = (0..rows).map(|r| &dims[r * columns + c]).collect();
            let min = group.iter().map(|d| d.min.unwrap()).fold(f64::INFINITY, f64::min);
            let max = group.iter().map(|d| d.max.unwrap()).fold(f64::NEG_INFINITY, f64::max);
            let mean = group.iter().map(|d| d.mean.unwrap()).sum::<f64>() / rows as f64;
            let variance = group.iter().map(|d| d.std.unwrap().powi(2) + (d.mean.unwrap() - mean).powi(2)).sum::<f64>()
                / rows as f64;
            [min, max, mean, variance.sqrt()]
        })
        .collect()
}

/// Bytes read: each data file's footer once (the 8-byte tail, then the metadata) and each chunk
/// of each numeric column once, nothing else (the image column of `v30_so101_image`, most of its
/// file, is never fetched). Computed from the footer with the parquet crate's own reader.
#[test]
fn reads_each_numeric_column_chunk_once() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    for name in ["v30_so101_image", "v30_state_extra", "v21_state_extra"] {
        let (tree, dataset) = open(name);
        let stats = compute(&tree, &dataset, &StatsOptions::default());
        let (mut expected, mut size) = (0u64, 0u64);
        for path in &stats.data_files {
            let bytes = pollster::block_on(tree.read_all(path, u64::MAX)).unwrap();
            size += bytes.len() as u64;
            let footer = u32::from_le_bytes(bytes[bytes.len() - 8..bytes.len() - 4].try_into().unwrap()) as u64;
            expected += 8 + footer;
            let reader = SerializedFileReader::new(bytes).unwrap();
            for row_group in reader.metadata().row_groups() {
                for chunk in row_group.columns() {
                    let root = chunk.column_path().parts()[0].as_str();
                    if stats.feature(root).is_some() {
                        expected += chunk.compressed_size() as u64;
                    }
                }
            }
        }
        assert_eq!(stats.bytes_read, expected, "{name}");
        eprintln!("{name}: read {} bytes of {size} bytes of data files", stats.bytes_read);
    }
}

#[test]
fn options_are_checked() {
    let (tree, dataset) = open("v30_so101_image");
    let run = |options: StatsOptions| {
        pollster::block_on(compute_dataset_stats(&tree, &dataset, &options, &mut no_progress())).unwrap_err()
    };
    let with = |features: &[&str]| StatsOptions {
        features: Some(features.iter().map(|s| s.to_string()).collect()),
        ..StatsOptions::default()
    };
    assert_eq!(run(with(&["nope"])), StatsError::UnknownFeature { feature: "nope".into() });
    assert_eq!(
        run(with(&["observation.images.front"])),
        StatsError::NotNumeric { feature: "observation.images.front".into(), dtype: "image".into() }
    );
    assert!(matches!(
        run(StatsOptions { quantiles: vec![1.5], ..StatsOptions::default() }),
        StatsError::InvalidOptions { .. }
    ));
    assert!(matches!(
        run(StatsOptions { histogram_bins: 0, ..StatsOptions::default() }),
        StatsError::InvalidOptions { .. }
    ));
}

// ---------------------------------------------------------------------------------------------
// The sketch: error bound and memory bound.
// ---------------------------------------------------------------------------------------------

/// SplitMix64: a fixed-seed generator, so the test data is the same on every run.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform(); // (0, 1]
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

const SKETCH_N: usize = 1_000_000;
/// The bound the sketch must state for a million values (its design gives about 0.22 %).
const STATED_RANK_ERROR: f64 = 0.005;

fn distributions() -> Vec<(&'static str, Vec<f64>)> {
    let mut rng = Rng(0x5EED);
    let n = SKETCH_N;
    vec![
        ("uniform", (0..n).map(|_| rng.uniform()).collect()),
        ("normal", (0..n).map(|_| 3.0 + 2.0 * rng.normal()).collect()),
        // Cauchy: tails reaching ±1e16.
        ("cauchy", (0..n).map(|_| (std::f64::consts::PI * (rng.uniform() - 0.5)).tan()).collect()),
        ("pareto", (0..n).map(|_| (1.0 - rng.uniform()).powf(-1.0 / 1.1)).collect()),
        ("ten distinct values", (0..n).map(|_| (rng.uniform() * 10.0).floor()).collect()),
        ("one value", vec![42.5; n]),
        ("sorted", (0..n).map(|i| i as f64 * 0.5).collect()),
        ("reverse sorted", (0..n).rev().map(|i| i as f64 * 0.5).collect()),
        ("sorted with duplicates", (0..n).map(|i| (i / 1000) as f64).collect()),
    ]
}

/// Every reported quantile `v` of `q` satisfies the sketch's guarantee: with `t = q·n` and
/// `E = rank_error·n`, `#{x ≤ v} ≥ t − E` and `#{x < v} ≤ t + E`. Histogram bins are within
/// their stated error and sum to the count; min/max/mean/std stay exact.
#[test]
fn sketch_quantiles_are_within_the_stated_rank_error() {
    let quantiles = vec![0.0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0];
    let options =
        StatsOptions { quantiles: quantiles.clone(), exact_quantile_max_values: 1000, ..StatsOptions::default() };
    for (name, values) in distributions() {
        let mut accumulator = ColumnAccumulator::new(1, &options);
        for chunk in values.chunks(65_536) {
            accumulator.push_rows(chunk);
            assert!(accumulator.retained_values() <= QuantileSketch::retained_bound(accumulator.rows()), "{name}");
        }
        assert!(!accumulator.is_exact(), "{name}");
        let peak = accumulator.peak_retained_values();
        assert!(peak <= QuantileSketch::retained_bound(SKETCH_N as u64), "{name}: {peak}");
        let dim = accumulator.finish().remove(0);
        let QuantileMethod::Sketch { rank_error } = dim.quantile_method else { panic!("{name}: not the sketch") };
        eprintln!("{name}: rank error {rank_error}");
        assert!(rank_error > 0.0 && rank_error <= STATED_RANK_ERROR, "{name}: rank error {rank_error}");

        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let n = SKETCH_N as f64;
        let allowed = rank_error * n;
        for (q, reported) in dim.quantiles.iter().map(|v| (v.q, v.value)) {
            let below = sorted.partition_point(|&x| x < reported) as f64;
            let at_most = sorted.partition_point(|&x| x <= reported) as f64;
            let target = q * n;
            assert!(
                at_most >= target - allowed && below <= target + allowed,
                "{name}: q{q} = {reported} has ranks [{below}, {at_most}], target {target} ± {allowed}"
            );
        }

        assert_eq!(dim.count, SKETCH_N as u64, "{name}");
        assert_eq!((dim.min, dim.max), (sorted.first().copied(), sorted.last().copied()), "{name}");
        let mean = sorted.iter().sum::<f64>() / n;
        let std = (sorted.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
        assert_close(dim.mean.unwrap(), mean, 1e-9, name);
        assert_close(dim.std.unwrap(), std, 1e-9, name);

        let histogram = dim.histogram.as_ref().unwrap();
        assert_eq!(histogram.counts.iter().sum::<u64>(), SKETCH_N as u64, "{name}");
        let truth = Binning::new(sorted[0], sorted[SKETCH_N - 1], 64).count(&sorted);
        for (bin, (got, want)) in histogram.counts.iter().zip(&truth).enumerate() {
            assert!(got.abs_diff(*want) <= histogram.max_count_error, "{name}: bin {bin}: {got} vs {want}");
        }
        assert!(histogram.max_count_error as f64 <= 2.0 * allowed + 1.0, "{name}");
    }
}

/// A generated v3.0 dataset of 204,800 frames with the exact-quantile bound set low: every column
/// uses the sketch, and what the computation holds stays under the sketch's bound (and the stated
/// constant `MAX_SKETCH_RETAINED_VALUES` per dimension), far below the 614,400 values of
/// `observation.state`. min/max/mean/std stay exact.
#[test]
fn a_large_dataset_stays_within_the_memory_bound() {
    const EPISODES: usize = 50;
    const LENGTH: u64 = 4096;
    let fixture = Fixture::build(&Options::v30(&[LENGTH; EPISODES]));
    let (tree, dataset) = fixture.open();
    let n = EPISODES as u64 * LENGTH;
    let options = StatsOptions { exact_quantile_max_values: 10_000, ..StatsOptions::default() };
    let mut peak_progress = 0usize;
    let mut progress = |p: StatsProgress| {
        peak_progress = peak_progress.max(p.retained_values);
        ControlFlow::Continue(())
    };
    let stats = pollster::block_on(compute_dataset_stats(&tree, &dataset, &options, &mut progress)).unwrap();
    assert_eq!(stats.problems, []);
    assert_eq!(stats.frames_read, n);

    let per_dimension = QuantileSketch::retained_bound(n);
    assert!(per_dimension <= MAX_SKETCH_RETAINED_VALUES);
    for computed in &stats.features {
        let width = computed.dims.len();
        assert!(computed.peak_retained_values <= width * per_dimension, "{}", computed.feature);
        for dim in &computed.dims {
            assert!(matches!(dim.quantile_method, QuantileMethod::Sketch { .. }), "{}", computed.feature);
        }
    }
    let state = feature(&stats, "observation.state");
    assert_eq!(state.rows, n);
    assert!(state.peak_retained_values <= STATE_DIM * per_dimension);
    assert!(state.peak_retained_values < (n as usize * STATE_DIM) / 10, "{}", state.peak_retained_values);
    assert!(peak_progress <= STATE_DIM * per_dimension, "{peak_progress}");

    // observation.state[d] of global frame g is 10 g + d.
    for (d, dim) in state.dims.iter().enumerate() {
        assert_eq!(dim.count, n);
        assert_eq!((dim.min, dim.max), (Some(state_value(0, d)), Some(state_value(n - 1, d))));
        let mean = 10.0 * (n as f64 - 1.0) / 2.0 + d as f64;
        let std = 10.0 * ((n as f64 * n as f64 - 1.0) / 12.0).sqrt();
        assert_close(dim.mean.unwrap(), mean, 1e-12, "mean");
        assert_close(dim.std.unwrap(), std, 1e-12, "std");
        let QuantileMethod::Sketch { rank_error } = dim.quantile_method else { unreachable!() };
        assert!(rank_error <= STATED_RANK_ERROR, "{rank_error}");
        for value in &dim.quantiles {
            // The value of frame g has g values below it and g + 1 at or below it.
            let g = (value.value - d as f64) / 10.0;
            assert_eq!(g.fract(), 0.0, "a retained value is a data value");
            let target = value.q * n as f64;
            let allowed = rank_error * n as f64;
            assert!(g + 1.0 >= target - allowed && g <= target + allowed, "q{}: frame {g}", value.q);
        }
        assert_eq!(dim.histogram.as_ref().unwrap().counts.iter().sum::<u64>(), n);
    }
    // next.done: true on each episode's last frame.
    let done = &feature(&stats, "next.done").dims[0];
    assert_close(done.mean.unwrap(), EPISODES as f64 / n as f64, 1e-12, "done");
    assert_eq!(stats.tasks.iter().map(|t| t.frames).sum::<u64>(), n);
}

// ---------------------------------------------------------------------------------------------
// Cancellation and non-finite values.
// ---------------------------------------------------------------------------------------------

#[test]
fn breaking_from_progress_cancels() {
    let (tree, dataset) = open("v30_state_extra");
    let mut columns_seen = Vec::new();
    let mut progress = |p: StatsProgress| {
        if columns_seen.last() != Some(&p.column) {
            columns_seen.push(p.column.clone());
        }
        if p.columns_done >= 1 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let result = pollster::block_on(compute_dataset_stats(&tree, &dataset, &StatsOptions::default(), &mut progress));
    assert_eq!(result, Err(StatsError::Cancelled));
    assert_eq!(columns_seen, ["observation.state"], "stopped after the first column");
    // Breaking at the very first call reads nothing.
    let before = tree.io().bytes_read();
    let result = pollster::block_on(compute_dataset_stats(&tree, &dataset, &StatsOptions::default(), &mut |_| {
        ControlFlow::Break(())
    }));
    assert_eq!(result, Err(StatsError::Cancelled));
    assert_eq!(tree.io().bytes_read(), before);
}

/// NaN and ±Inf are counted apart and left out of everything else. Episode 1 (frames 50..110) has
/// `observation.state[0]` NaN on its frames 0 and 1, `[1]` +Inf on frame 2, `[2]` −Inf on frame 3.
/// `python3 -c "import numpy as np; x=np.delete(np.arange(110)*10.0, [50, 51]);
/// print(x.mean(), x.std(), np.quantile(x, [.01, .5, .99]))"` →
/// `545.7407407407408 320.4083150297321 [  10.7  555.  1079.3]`.
#[test]
fn nan_and_inf_are_counted_and_left_out() {
    let mut fixture = Fixture::build(&Options::v21(&[50, 60]));
    fixture.edit_episode(1, "observation.state", |frame, dim, value| match (frame, dim) {
        (0 | 1, 0) => f64::NAN,
        (2, 1) => f64::INFINITY,
        (3, 2) => f64::NEG_INFINITY,
        _ => value,
    });
    let (tree, dataset) = fixture.open();
    let stats = compute(&tree, &dataset, &StatsOptions::default());
    let state = feature(&stats, "observation.state");
    let counts: Vec<(u64, u64, u64, u64)> =
        state.dims.iter().map(|d| (d.count, d.nan_count, d.pos_inf_count, d.neg_inf_count)).collect();
    assert_eq!(counts, [(108, 2, 0, 0), (109, 0, 1, 0), (109, 0, 0, 1)]);
    let x = &state.dims[0];
    assert_eq!((x.min, x.max), (Some(0.0), Some(1090.0)));
    assert_close(x.mean.unwrap(), 545.7407407407408, 1e-12, "mean");
    assert_close(x.std.unwrap(), 320.4083150297321, 1e-12, "std");
    for (q, expected) in [(0.01, 10.7), (0.5, 555.0), (0.99, 1079.3)] {
        assert_close(x.quantile(q).unwrap(), expected, 1e-12, "quantile");
    }
    assert_eq!(x.histogram.as_ref().unwrap().counts.iter().sum::<u64>(), 108);
    // The infinities do not reach min/max either.
    assert_eq!(state.dims[1].max, Some(state_value(109, 1)));
    assert_eq!(state.dims[2].min, Some(state_value(0, 2)));
    // Non-finite values survive the JSON round trip as counts (no NaN in the JSON).
    let json = serde_json::to_string(&stats).unwrap();
    assert!(!json.contains("NaN") && !json.contains("null,\"max\""), "{json}");
    assert_eq!(serde_json::from_str::<DatasetStats>(&json).unwrap(), stats);
}

// ---- Sharded statistics (issue 14) --------------------------------------------------------------

/// The statistics of `count` shards, each through JSON, merged in a random binary tree.
fn sharded(tree: &DatasetTree, dataset: &Dataset, options: &StatsOptions, count: u32, draw: &mut Draw) -> DatasetStats {
    use episcope_core::shard::Shard;
    use episcope_core::stats::{compute_stats_partial, StatsPartial};
    let parts: Vec<StatsPartial> = (0..count)
        .map(|k| {
            let shard = Shard::new(k, count).unwrap();
            let part =
                pollster::block_on(compute_stats_partial(tree, dataset, options, shard, &mut no_progress())).unwrap();
            serde_json::from_str(&serde_json::to_string(&part).unwrap()).unwrap()
        })
        .collect();
    merge_in_random_order(parts, draw, |into, part| into.merge(part).unwrap()).finish().unwrap()
}

/// What is not a statistic (bytes read, the accumulators' peak memory) left out.
fn statistics_only(mut stats: DatasetStats) -> DatasetStats {
    stats.bytes_read = 0;
    stats.features.iter_mut().for_each(|f| f.peak_retained_values = 0);
    stats
}

#[test]
fn shards_merged_in_any_order_give_exactly_the_whole_datasets_statistics() {
    let mut draw = Draw(14);
    let mut nan_fixture = Fixture::build(&Options::v21(&[50, 60, 7, 33, 41, 12, 9, 70]));
    nan_fixture.edit_episode(3, "observation.state", |frame, dim, value| match (frame, dim) {
        (0 | 1, 0) => f64::NAN,
        (2, 1) => f64::INFINITY,
        (3, 2) => f64::NEG_INFINITY,
        _ => value,
    });
    let mut cases: Vec<(String, DatasetTree, Dataset)> = SHARED_DATASETS
        .iter()
        .map(|name| {
            let (tree, dataset) = open(name);
            (name.to_string(), tree, dataset)
        })
        .collect();
    let (tree, dataset) = nan_fixture.open();
    cases.push(("v2.1 with NaN and ±Inf, 8 files".into(), tree, dataset));
    let (tree, dataset) =
        Fixture::build(&Options { episodes_per_file: 2, ..Options::v30(&[12, 15, 11, 20, 10, 13, 40, 3, 18]) }).open();
    cases.push(("v3.0, 5 files".into(), tree, dataset));
    let mut compared = 0;
    for (name, tree, dataset) in &cases {
        let whole = statistics_only(compute(tree, dataset, &StatsOptions::default()));
        for count in [1u32, 2, 3, 4, 9] {
            let merged = statistics_only(sharded(tree, dataset, &StatsOptions::default(), count, &mut draw));
            assert_eq!(merged, whole, "{name}: {count} shards");
            compared += 1;
        }
        // All sketches: everything but quantiles and histograms is still exact.
        let options = StatsOptions { exact_quantile_max_values: 0, ..StatsOptions::default() };
        let whole = statistics_only(compute(tree, dataset, &options));
        let merged = statistics_only(sharded(tree, dataset, &options, 3, &mut draw));
        assert_sketched_agree(&merged, &whole, name);
    }
    assert_eq!(compared, 5 * cases.len());
}

/// Counts, extremes and moments equal bit for bit; quantiles from sketches with a stated bound,
/// histograms summing to the count.
fn assert_sketched_agree(merged: &DatasetStats, whole: &DatasetStats, name: &str) {
    assert_eq!(
        (merged.frames_read, &merged.tasks, &merged.problems),
        (whole.frames_read, &whole.tasks, &whole.problems)
    );
    for (m, w) in merged.features.iter().zip(&whole.features) {
        assert_eq!((&m.feature, m.rows, m.dims.len()), (&w.feature, w.rows, w.dims.len()), "{name}");
        for (a, b) in m.dims.iter().zip(&w.dims) {
            let exact = |d: &DimensionStatistics| {
                (d.count, d.nan_count, d.pos_inf_count, d.neg_inf_count, d.min, d.max, d.mean, d.std)
            };
            assert_eq!(exact(a), exact(b), "{name} {}", m.feature);
            match a.quantile_method {
                // Every shard held this column's values: as exact as the whole's.
                QuantileMethod::Exact => assert_eq!((&a.quantiles, &a.histogram), (&b.quantiles, &b.histogram)),
                QuantileMethod::Sketch { rank_error } => {
                    assert!(rank_error < 0.01, "{name} {}: bound {rank_error}", m.feature);
                    assert_eq!(a.histogram.as_ref().unwrap().counts.iter().sum::<u64>(), a.count, "{name}");
                }
            }
        }
    }
}

#[test]
fn shards_too_large_to_hold_merge_their_sketches_within_the_bound() {
    // 40 files × 4096 frames × 3 values: each of 4 shards holds more than it keeps exactly
    // (`SHARD_EXACT_MAX_VALUES`), so the merged quantiles come from sketches; the unsharded ones
    // are exact. Everything else is equal, and each merged quantile's true rank is within the bound.
    use episcope_core::stats::partial::SHARD_EXACT_MAX_VALUES;
    let (tree, dataset) = Fixture::build(&Options::v21(&[4096; 40])).open();
    let whole = statistics_only(compute(&tree, &dataset, &StatsOptions::default()));
    let merged = statistics_only(sharded(&tree, &dataset, &StatsOptions::default(), 4, &mut Draw(3)));
    let state = feature(&merged, "observation.state");
    assert!(state.rows * STATE_DIM as u64 / 4 > SHARD_EXACT_MAX_VALUES);
    assert_sketched_agree(&merged, &whole, "40 × 4096");
    // observation.state[d] of global frame g is 10 g + d: the true rank of a value is known.
    let n = state.rows as f64;
    for (d, dim) in state.dims.iter().enumerate() {
        let QuantileMethod::Sketch { rank_error } = dim.quantile_method else { unreachable!() };
        for q in &dim.quantiles {
            let rank = ((q.value - d as f64) / 10.0 + 1.0) / n;
            assert!((rank - q.q).abs() <= rank_error + 1.0 / n, "q{} → rank {rank}, bound {rank_error}", q.q);
        }
    }
}
