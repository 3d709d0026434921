//! The stored-stats reader (`meta/stats.json`, `meta/episodes_stats.jsonl`, v3.0 `stats/...`
//! columns of `meta/episodes/`) against the nine example datasets and against generated fixtures
//! broken on purpose.
//!
//! Expected values were read independently with Python (`json`, `pyarrow`) in `shared/datasets`;
//! the command is beside each.

mod common;
mod fixtures;

use std::collections::BTreeSet;
use std::ops::Range;
use std::sync::Arc;

use arrow_array::builder::{Float64Builder, Int64Builder, ListBuilder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use bytes::Bytes;
use common::{open, SHARED_DATASETS};
use episcope_core::lerobot::{
    read_episode_frames, read_stored_stats, Dataset, FeatureStats, FormatVersion, Problem, StoredStats,
};
use episcope_core::source::{ByteSource, LocalBoxFuture, SourceError};
use episcope_core::DatasetTree;
use fixtures::{state_value, write_parquet, Fixture, Options, STATE_DIM};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::json;

const STATE: &str = "observation.state";
const EPISODES_V30: &str = "meta/episodes/chunk-000/file-000.parquet";

fn stats_of(tree: &DatasetTree, dataset: &Dataset) -> StoredStats {
    pollster::block_on(read_stored_stats(tree, dataset))
}

fn problem(path: &str, message: &str) -> Problem {
    Problem { rule: "meta.unreadable".into(), episode: None, path: path.to_string(), message: message.to_string() }
}

fn assert_core_lengths(stats: &FeatureStats, expected: usize, context: &str) {
    for (name, values) in [("min", &stats.min), ("max", &stats.max), ("mean", &stats.mean), ("std", &stats.std)] {
        assert_eq!(values.len(), expected, "{context}: {name}");
    }
}

// ---------------------------------------------------------------------------------------------
// The nine example datasets.
// ---------------------------------------------------------------------------------------------

/// Which sources each version stores, and their shapes: every feature of `info.json` has stats,
/// `observation.state` has 6 values per stat, image/video stats are 3 values (one per channel),
/// quantiles only in v3.0, `count` from v2.1 on.
#[test]
fn sources_and_shapes_in_the_nine_example_datasets() {
    for name in SHARED_DATASETS {
        let (tree, dataset) = open(name);
        let stats = stats_of(&tree, &dataset);
        assert_eq!(stats.problems, [], "{name}");
        let json = serde_json::to_string(&stats).unwrap();
        assert_eq!(serde_json::from_str::<StoredStats>(&json).unwrap(), stats, "{name}: JSON round trip");
        let features: BTreeSet<&str> = dataset.info.features.iter().map(|f| f.name.as_str()).collect();
        let episodes: Vec<u64> = stats.per_episode.keys().copied().collect();
        match dataset.version {
            FormatVersion::V2_0 => {
                assert_eq!(stats.global_file.as_deref(), Some("meta/stats.json"), "{name}");
                assert!(stats.per_episode_files.is_empty(), "{name}");
                assert!(episodes.is_empty(), "{name}");
            }
            FormatVersion::V2_1 => {
                assert_eq!(stats.global_file, None, "{name}");
                assert!(stats.global.is_empty(), "{name}");
                assert_eq!(stats.per_episode_files, ["meta/episodes_stats.jsonl"], "{name}");
                assert_eq!(episodes, [0, 1, 2, 3, 4], "{name}");
            }
            FormatVersion::V3_0 => {
                assert_eq!(stats.global_file.as_deref(), Some("meta/stats.json"), "{name}");
                assert_eq!(stats.per_episode_files, [EPISODES_V30], "{name}");
                assert_eq!(episodes, [0, 1, 2, 3, 4], "{name}");
            }
        }
        let quantiles: Vec<&str> =
            if dataset.version.is_v3() { vec!["q01", "q10", "q50", "q90", "q99"] } else { vec![] };
        let mut all: Vec<(String, &std::collections::BTreeMap<String, FeatureStats>)> = Vec::new();
        if dataset.version != FormatVersion::V2_1 {
            all.push(("global".into(), &stats.global));
        }
        for (episode, per_feature) in &stats.per_episode {
            all.push((format!("episode {episode}"), per_feature));
        }
        for (scope, per_feature) in all {
            let context = format!("{name} {scope}");
            let stored: BTreeSet<&str> = per_feature.keys().map(String::as_str).collect();
            assert_eq!(stored, features, "{context}: features with stats");
            assert_core_lengths(&per_feature[STATE], 6, &format!("{context} {STATE}"));
            for feature in dataset.info.features.iter().filter(|f| matches!(f.dtype.as_str(), "image" | "video")) {
                assert_core_lengths(&per_feature[&feature.name], 3, &format!("{context} {}", feature.name));
            }
            for (feature, values) in per_feature {
                let keys: Vec<&str> = values.quantiles.keys().map(String::as_str).collect();
                assert_eq!(keys, quantiles, "{context} {feature}");
                assert_eq!(values.count.is_some(), dataset.version != FormatVersion::V2_0, "{context} {feature}");
            }
        }
    }
}

/// Whole-dataset stats, pinned.
#[test]
fn global_stats_values() {
    // python3 -c "import json; s=json.load(open('v20_state_extra/meta/stats.json'))['observation.state']; print(s['min'][0], s['max'][5], s['mean'][2], s['std'][3], s.get('count'))"
    //   -> -45.34266662597656 61.22494888305664 30.79475975036621 17.755069732666016 None   (same in all three v2.0)
    // python3 -c "import json; s=json.load(open('v30_state_extra/meta/stats.json'))['observation.state']; print(s['min'][0], s['max'][5], s['mean'][2], s['std'][3], s['count'], s['q50'][0])"
    //   -> -45.34266662597656 61.22494888305664 30.794761888908617 17.75505020344613 [990] 7.2060502948183   (same in all three v3.0)
    for name in SHARED_DATASETS.iter().filter(|n| !n.starts_with("v21")) {
        let (tree, dataset) = open(name);
        let stats = stats_of(&tree, &dataset);
        let state = &stats.global[STATE];
        assert_eq!(state.min[0], -45.34266662597656, "{name}");
        assert_eq!(state.max[5], 61.22494888305664, "{name}");
        if dataset.version.is_v3() {
            assert_eq!(state.mean[2], 30.794761888908617, "{name}");
            assert_eq!(state.std[3], 17.75505020344613, "{name}");
            assert_eq!(state.count, Some(990), "{name}");
            assert_eq!(state.quantiles["q50"][0], 7.2060502948183, "{name}");
            assert_eq!(state.stat("q50"), Some(&state.quantiles["q50"][..]));
        } else {
            assert_eq!(state.mean[2], 30.79475975036621, "{name}");
            assert_eq!(state.std[3], 17.755069732666016, "{name}");
            assert_eq!(state.count, None, "{name}");
        }
    }
    // Image/video stats are stored per channel as [[[r]], [[g]], [[b]]] and flatten to 3 values.
    // python3 -c "import json; print(json.load(open('v20_so101_video/meta/stats.json'))['observation.images.front']['mean'])"
    //   -> [[[0.2965668737888336]], [[0.30678391456604004]], [[0.32555848360061646]]]
    // python3 -c "import json; s=json.load(open('v30_so101_video/meta/stats.json'))['observation.images.front']; print(s['mean'], s['count'])"
    //   -> [[[0.30048070549964906]], [[0.311835503578186]], [[0.32302709817886355]]] [500]
    let cases = [
        ("v20_so101_video", [0.2965668737888336, 0.30678391456604004, 0.32555848360061646], None),
        ("v30_so101_video", [0.30048070549964906, 0.311835503578186, 0.32302709817886355], Some(500)),
    ];
    for (name, mean, count) in cases {
        let (tree, dataset) = open(name);
        let front = &stats_of(&tree, &dataset).global["observation.images.front"];
        assert_eq!(front.mean, mean, "{name}");
        assert_eq!(front.count, count, "{name}");
    }
}

/// Per-episode stats (v2.1 jsonl, v3.0 parquet columns), pinned.
#[test]
fn per_episode_stats_values() {
    // python3 -c "import json; l=[json.loads(x) for x in open('v21_so101_video/meta/episodes_stats.jsonl')][1]['stats']['observation.state']; print(l['min'], l['max'], l['count'])"
    // python3 -c "import pyarrow.parquet as pq; r=pq.read_table('v30_so101_video/meta/episodes/chunk-000/file-000.parquet').to_pylist()[1]; print(r['stats/observation.state/min'], r['stats/observation.state/max'], r['stats/observation.state/count'])"
    //   -> both: the two vectors below and [180]
    let min_1 = [
        -45.09552764892578,
        -50.20707321166992,
        -5.467914581298828,
        34.82437515258789,
        -60.34550094604492,
        4.375167369842529,
    ];
    let max_1 = [
        45.47807693481445,
        10.472362518310547,
        66.08361053466797,
        85.36286163330078,
        60.421180725097656,
        61.22494888305664,
    ];
    for name in SHARED_DATASETS.iter().filter(|n| !n.starts_with("v20")) {
        let (tree, dataset) = open(name);
        let stats = stats_of(&tree, &dataset);
        let state = stats.episode_feature(1, STATE).unwrap();
        assert_eq!(state.min, min_1, "{name}");
        assert_eq!(state.max, max_1, "{name}");
        assert_eq!(state.count, Some(180), "{name}");
        let counts: Vec<Option<u64>> = (0..5).map(|e| stats.episode_feature(e, STATE).unwrap().count).collect();
        let lengths: Vec<Option<u64>> = dataset.episodes.iter().map(|e| Some(e.length)).collect();
        assert_eq!(counts, lengths, "{name}: count is the episode length");
    }
    // python3 -c "import pyarrow.parquet as pq; t=pq.read_table('v30_state_extra/meta/episodes/chunk-000/file-000.parquet').to_pylist(); print(t[1]['stats/observation.state/q99'][4], t[3]['stats/observation.state/mean'][1], t[3]['stats/observation.state/std'][0], t[3]['stats/observation.state/count'])"
    //   -> 60.16032028198242 -14.747611045837402 31.574968338012695 [150]
    for name in ["v30_so101_image", "v30_so101_video", "v30_state_extra"] {
        let (tree, dataset) = open(name);
        let stats = stats_of(&tree, &dataset);
        assert_eq!(stats.episode_feature(1, STATE).unwrap().quantiles["q99"][4], 60.16032028198242, "{name}");
        let episode_3 = stats.episode_feature(3, STATE).unwrap();
        assert_eq!(episode_3.mean[1], -14.747611045837402, "{name}");
        assert_eq!(episode_3.std[0], 31.574968338012695, "{name}");
        assert_eq!(episode_3.count, Some(150), "{name}");
    }
    // Image stats per episode: list<list<list<double>>> columns (v3.0) and nested JSON (v2.1).
    // python3 -c "import json; s=[json.loads(x) for x in open('v21_so101_video/meta/episodes_stats.jsonl')][1]['stats']['observation.images.front']; print(s['mean'], s['count'])"
    //   -> [[[0.3000503663705066]], [[0.3117911145578023]], [[0.32750746783088236]]] [100]
    // python3 -c "import pyarrow.parquet as pq; r=pq.read_table('v30_so101_video/meta/episodes/chunk-000/file-000.parquet').to_pylist()[1]; print(r['stats/observation.images.front/mean'], r['stats/observation.images.front/count'])"
    //   -> [[[0.3002896308898926]], [[0.31182485818862915]], [[0.3229682743549347]]] [100]
    let cases = [
        ("v21_so101_video", [0.3000503663705066, 0.3117911145578023, 0.32750746783088236]),
        ("v30_so101_video", [0.3002896308898926, 0.31182485818862915, 0.3229682743549347]),
    ];
    for (name, mean) in cases {
        let (tree, dataset) = open(name);
        let stats = stats_of(&tree, &dataset);
        let front = stats.episode_feature(1, "observation.images.front").unwrap();
        assert_eq!(front.mean, mean, "{name}");
        assert_eq!(front.count, Some(100), "{name}");
    }
    // A 2-D feature ([3, 4]) flattens row-major to 12 values.
    // python3 -c "import json; print([json.loads(x) for x in open('v21_state_extra/meta/episodes_stats.jsonl')][1]['stats']['observation.ee_pose']['max'])"
    //   -> [[1.0, 0.0, 0.0, 0.4547807574272156], [0.0, 1.0, 0.0, 0.10472362488508224], [0.0, 0.0, 1.0, 0.6608361005783081]]
    let (tree, dataset) = open("v21_state_extra");
    let ee = stats_of(&tree, &dataset).episode_feature(1, "observation.ee_pose").unwrap().clone();
    assert_eq!(
        ee.max,
        [1.0, 0.0, 0.0, 0.4547807574272156, 0.0, 1.0, 0.0, 0.10472362488508224, 0.0, 0.0, 1.0, 0.6608361005783081]
    );
}

/// The stored per-episode min/max of `observation.state` agree with the frames of that episode.
#[test]
fn per_episode_min_max_agree_with_the_frames() {
    for name in SHARED_DATASETS.iter().filter(|n| !n.starts_with("v20")) {
        let (tree, dataset) = open(name);
        let stats = stats_of(&tree, &dataset);
        let stored = stats.episode_feature(1, STATE).unwrap();
        let frames = pollster::block_on(read_episode_frames(&tree, &dataset, 1, &[STATE.to_string()])).unwrap();
        let dims = &frames.series[0].dimensions;
        assert_eq!(dims.len(), 6, "{name}");
        for (d, values) in dims.iter().enumerate() {
            let min = values.iter().copied().fold(f64::INFINITY, f64::min);
            let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1e-12);
            assert!(close(stored.min[d], min), "{name} dim {d}: stored min {} vs frames {min}", stored.min[d]);
            assert!(close(stored.max[d], max), "{name} dim {d}: stored max {} vs frames {max}", stored.max[d]);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Generated fixtures.
// ---------------------------------------------------------------------------------------------

/// The exact stats of `observation.state` over one fixture episode (values `10 i + d`).
fn fixture_state_stats(options: &Options, episode: u64) -> serde_json::Value {
    let (start, length) = (options.start(episode), options.lengths[episode as usize]);
    let n = length as f64;
    let dims = 0..STATE_DIM;
    json!({
        "min": dims.clone().map(|d| state_value(start, d)).collect::<Vec<_>>(),
        "max": dims.clone().map(|d| state_value(start + length - 1, d)).collect::<Vec<_>>(),
        "mean": dims.clone().map(|d| state_value(start, d) + 10.0 * (n - 1.0) / 2.0).collect::<Vec<_>>(),
        "std": dims.map(|_| 10.0 * ((n * n - 1.0) / 12.0).sqrt()).collect::<Vec<_>>(),
        "count": [length],
    })
}

fn episodes_stats_jsonl(options: &Options) -> Vec<String> {
    (0..options.lengths.len() as u64)
        .map(|e| json!({"episode_index": e, "stats": {STATE: fixture_state_stats(options, e)}}).to_string())
        .collect()
}

/// Stored per-episode stats of fixture episodes match the frames read back.
fn assert_state_matches_frames(tree: &DatasetTree, dataset: &Dataset, stats: &StoredStats, episode: u64) {
    let stored = stats.episode_feature(episode, STATE).unwrap();
    let frames = pollster::block_on(read_episode_frames(tree, dataset, episode, &[STATE.to_string()])).unwrap();
    for (d, values) in frames.series[0].dimensions.iter().enumerate() {
        assert_eq!(stored.min[d], values.iter().copied().fold(f64::INFINITY, f64::min), "episode {episode}");
        assert_eq!(stored.max[d], values.iter().copied().fold(f64::NEG_INFINITY, f64::max), "episode {episode}");
    }
}

/// A stat of the wrong type (a string) is a problem naming the file, the feature and the stat; the
/// other stats and features are still read.
#[test]
fn wrong_typed_stat_in_stats_json_is_a_problem() {
    let options = Options::v21(&[4, 5]);
    let mut fixture = Fixture::build(&options);
    let mut state = fixture_state_stats(&options, 0);
    state["max"] = json!("not numbers");
    let stats = json!({STATE: state, "next.done": {"min": [0], "max": [1], "mean": [0.1], "std": [0.3]}});
    fixture.files.insert("meta/stats.json".into(), Bytes::from(stats.to_string()));
    let (tree, dataset) = fixture.open();
    let read = stats_of(&tree, &dataset);
    assert_eq!(
        read.problems,
        [problem(
            "meta/stats.json",
            "feature `observation.state`, stat `max`: expected numbers or nested arrays of numbers, found a string"
        )]
    );
    assert_eq!(read.global_file.as_deref(), Some("meta/stats.json"));
    let state = &read.global[STATE];
    assert_eq!(state.max, Vec::<f64>::new());
    assert_eq!(state.min, [0.0, 1.0, 2.0]);
    assert_eq!(state.count, Some(4));
    assert_eq!(read.global["next.done"].mean, [0.1]);
    assert_eq!(read.global["next.done"].count, None);
}

/// A truncated line of `episodes_stats.jsonl` is a problem with its line number; the other lines
/// are still read, and agree with the frames.
#[test]
fn truncated_episodes_stats_line_is_a_problem_and_the_rest_reads() {
    let options = Options::v21(&[4, 5, 6]);
    let mut fixture = Fixture::build(&options);
    let mut lines = episodes_stats_jsonl(&options);
    let half = lines[1].len() / 2;
    lines[1].truncate(half);
    fixture.files.insert("meta/episodes_stats.jsonl".into(), Bytes::from(lines.join("\n") + "\n"));
    let (tree, dataset) = fixture.open();
    let stats = stats_of(&tree, &dataset);
    assert_eq!(stats.problems.len(), 1, "{:#?}", stats.problems);
    assert_eq!(stats.problems[0].path, "meta/episodes_stats.jsonl");
    assert!(stats.problems[0].message.starts_with("line 2: invalid JSON ("), "{}", stats.problems[0].message);
    assert_eq!(stats.per_episode.keys().copied().collect::<Vec<_>>(), [0, 2]);
    assert_eq!(stats.per_episode_files, ["meta/episodes_stats.jsonl"]);
    assert_eq!(stats.episode_feature(2, STATE).unwrap().count, Some(6));
    for episode in [0, 2] {
        assert_state_matches_frames(&tree, &dataset, &stats, episode);
    }
}

/// Lines of the wrong shape: no `stats`, a ragged nested array, a `count` that is not one integer,
/// a feature that is not an object, an episode listed twice, differing numbers of values.
#[test]
fn malformed_episodes_stats_lines_are_problems() {
    let options = Options::v21(&[4, 5, 6]);
    let mut fixture = Fixture::build(&options);
    let mut episode_1 = fixture_state_stats(&options, 1);
    episode_1["min"] = json!([[1, 2], [3]]);
    episode_1["count"] = json!([5, 5]);
    let mut episode_2 = fixture_state_stats(&options, 2);
    episode_2["std"] = json!([1.0, 2.0]);
    let lines = [
        json!({"episode_index": 0, "stats": {STATE: fixture_state_stats(&options, 0), "next.done": [1]}}),
        json!({"episode_index": 1, "stats": {STATE: episode_1}}),
        json!({"episode_index": 0, "stats": {}}),
        json!({"episode_index": 2, "stats": {STATE: episode_2}}),
        json!({"episode_index": 3}),
    ];
    let text: String = lines.iter().map(|l| format!("{l}\r\n")).collect();
    fixture.files.insert("meta/episodes_stats.jsonl".into(), Bytes::from(text));
    let (tree, dataset) = fixture.open();
    let stats = stats_of(&tree, &dataset);
    let path = "meta/episodes_stats.jsonl";
    assert_eq!(
        stats.problems,
        [
            problem(path, "line 1 (episode 0): feature `next.done`: expected an object of stats, found an array"),
            problem(path, "line 2 (episode 1): feature `observation.state`, stat `min`: nested arrays of different shapes"),
            problem(path, "line 2 (episode 1): feature `observation.state`, stat `count`: expected one non-negative integer, found [5,5]"),
            problem(path, "line 3: episode 0 has stats more than once; the first are used"),
            problem(path, "line 4 (episode 2): feature `observation.state`: stats have different numbers of values (min 3, max 3, mean 3, std 2)"),
            problem(path, "line 5: expected {\"episode_index\": integer, \"stats\": {feature: {stat: values}}}"),
        ]
    );
    assert_eq!(stats.per_episode.keys().copied().collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(stats.episode_feature(1, STATE).unwrap().min, Vec::<f64>::new());
    assert_eq!(stats.episode_feature(1, STATE).unwrap().count, None);
    assert_eq!(stats.episode_feature(0, STATE).unwrap().min, [0.0, 1.0, 2.0]);
}

/// Python's json module writes NaN and Infinity bare; they read as numbers, with one problem.
#[test]
fn nan_and_infinity_literals_read_with_a_problem() {
    let options = Options::v21(&[4]);
    let mut fixture = Fixture::build(&options);
    let text = r#"{"observation.state": {"min": [NaN, -Infinity, 0], "max": [1, Infinity, 2], "mean": [0, 0, 0],
                   "std": [NaN, NaN, 0], "count": [4]}}"#;
    fixture.files.insert("meta/stats.json".into(), Bytes::from(text));
    let (tree, dataset) = fixture.open();
    let stats = stats_of(&tree, &dataset);
    assert_eq!(stats.problems.len(), 1, "{:#?}", stats.problems);
    assert!(stats.problems[0].message.contains("not standard JSON"), "{}", stats.problems[0].message);
    let state = &stats.global[STATE];
    assert!(state.min[0].is_nan());
    assert_eq!(state.min[1..], [f64::NEG_INFINITY, 0.0]);
    assert_eq!(state.max, [1.0, f64::INFINITY, 2.0]);
    assert_eq!(state.count, Some(4));
}

/// A source that claims to be huge (nothing is ever read from it).
struct Huge;

impl ByteSource for Huge {
    fn size(&self) -> u64 {
        600 * 1024 * 1024
    }

    fn read_range(&self, _range: Range<u64>) -> LocalBoxFuture<'_, Result<Bytes, SourceError>> {
        Box::pin(std::future::ready(Err(SourceError::Io { reason: "must not be read".into() })))
    }
}

/// Stats files over 512 MiB are refused before reading, as a problem.
#[test]
fn oversized_stats_file_is_refused() {
    let fixture = Fixture::build(&Options::v21(&[4]));
    let mut tree = fixture.tree();
    tree.insert("meta/stats.json", Arc::new(Huge)).unwrap();
    let dataset = pollster::block_on(episcope_core::lerobot::open_dataset(&tree, &mut |_| {})).unwrap();
    let before = tree.io().bytes_read();
    let stats = stats_of(&tree, &dataset);
    assert_eq!(tree.io().bytes_read(), before, "nothing may be read from the huge file");
    assert_eq!(
        stats.problems,
        [problem(
            "meta/stats.json",
            "file is 629145600 bytes, more than the 536870912-byte limit for this kind of file"
        )]
    );
    assert!(stats.global.is_empty());
    assert_eq!(stats.global_file, None);
}

/// Reads a v3.0 episodes parquet, adds columns, writes it back.
fn with_columns(bytes: Bytes, columns: Vec<(&str, ArrayRef)>) -> Bytes {
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes).unwrap().build().unwrap();
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    assert_eq!(batches.len(), 1);
    let batch = &batches[0];
    let mut all: Vec<(String, ArrayRef)> =
        batch.schema().fields().iter().map(|f| f.name().clone()).zip(batch.columns().iter().cloned()).collect();
    all.extend(columns.into_iter().map(|(n, c)| (n.to_string(), c)));
    write_parquet(&[vec![RecordBatch::try_from_iter(all).unwrap()]], true)
}

fn int_lists(rows: impl IntoIterator<Item = Vec<i64>>) -> ArrayRef {
    let mut builder = ListBuilder::new(Int64Builder::new());
    for row in rows {
        builder.values().append_slice(&row);
        builder.append(true);
    }
    Arc::new(builder.finish())
}

/// Older v3.0 writers store the stats of integer features (and `count`) as `list<int64>`: they read
/// as numbers. The fixture's own `stats/observation.state/mean` is `list<double>`.
#[test]
fn v30_int64_stats_columns_read_as_numbers() {
    let options = Options::v30(&[4, 5, 6]);
    let mut fixture = Fixture::build(&options);
    let episodes = 0..options.lengths.len() as u64;
    let dims = |g: u64| (0..STATE_DIM).map(move |d| state_value(g, d) as i64).collect::<Vec<_>>();
    let last = |e: u64| options.start(e) + options.lengths[e as usize] - 1;
    let mut std = ListBuilder::new(Float64Builder::new());
    for e in episodes.clone() {
        let n = options.lengths[e as usize] as f64;
        for _ in 0..STATE_DIM {
            std.values().append_value(10.0 * ((n * n - 1.0) / 12.0).sqrt());
        }
        std.append(true);
    }
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("stats/observation.state/min", int_lists(episodes.clone().map(|e| dims(options.start(e))))),
        ("stats/observation.state/max", int_lists(episodes.clone().map(|e| dims(last(e))))),
        ("stats/observation.state/std", Arc::new(std.finish())),
        (
            "stats/observation.state/count",
            int_lists(episodes.clone().map(|e| vec![options.lengths[e as usize] as i64])),
        ),
        ("stats/episode_index/min", int_lists(episodes.clone().map(|e| vec![e as i64]))),
        ("stats/episode_index/max", int_lists(episodes.clone().map(|e| vec![e as i64]))),
        ("stats/episode_index/mean", int_lists(episodes.clone().map(|e| vec![e as i64]))),
        ("stats/episode_index/std", int_lists(episodes.clone().map(|_| vec![0]))),
    ];
    let bytes = fixture.files[EPISODES_V30].clone();
    fixture.replace(EPISODES_V30, with_columns(bytes, columns));
    let (tree, dataset) = fixture.open();
    assert_eq!(dataset.problems, []);
    let stats = stats_of(&tree, &dataset);
    assert_eq!(stats.problems, []);
    assert_eq!(stats.per_episode_files, [EPISODES_V30]);
    assert_eq!(stats.global_file, None);
    assert_eq!(stats.per_episode.keys().copied().collect::<Vec<_>>(), [0, 1, 2]);
    let episode_1 = stats.episode_feature(1, STATE).unwrap();
    // Episode 1 covers global frames 4..=8: state[d] = 10 i + d.
    assert_eq!(episode_1.min, [40.0, 41.0, 42.0]);
    assert_eq!(episode_1.max, [80.0, 81.0, 82.0]);
    assert_eq!(episode_1.mean, [60.0, 61.0, 62.0]);
    assert_eq!(episode_1.std, [10.0 * 2f64.sqrt(); 3]);
    assert_eq!(episode_1.count, Some(5));
    assert_eq!(stats.episode_feature(2, "episode_index").unwrap().mean, [2.0]);
    for episode in 0..3 {
        assert_state_matches_frames(&tree, &dataset, &stats, episode);
    }
}

/// A v3.0 stats column of the wrong type is a problem naming the file, the feature and the stat;
/// a feature lacking some of min/max/mean/std columns is reported once per file.
#[test]
fn v30_stats_column_of_the_wrong_type_is_a_problem() {
    let options = Options::v30(&[4, 5]);
    let mut fixture = Fixture::build(&options);
    let mut names = ListBuilder::new(StringBuilder::new());
    for _ in 0..2 {
        names.values().append_value("a");
        names.append(true);
    }
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("stats/observation.state/min", Arc::new(names.finish())),
        ("stats/observation.state/max", int_lists([vec![30, 31, 32], vec![80, 81, 82]])),
        ("stats/observation.state/std", int_lists([vec![1, 1, 1], vec![1, 1, 1]])),
    ];
    let bytes = fixture.files[EPISODES_V30].clone();
    fixture.replace(EPISODES_V30, with_columns(bytes, columns));
    let (tree, dataset) = fixture.open();
    let stats = stats_of(&tree, &dataset);
    assert_eq!(stats.problems.len(), 1, "{:#?}", stats.problems);
    assert_eq!(stats.problems[0].path, EPISODES_V30);
    assert!(
        stats.problems[0].message.starts_with("feature `observation.state`, stat `min`: "),
        "{}",
        stats.problems[0].message
    );
    let episode_1 = stats.episode_feature(1, STATE).unwrap();
    assert_eq!(episode_1.min, Vec::<f64>::new());
    assert_eq!(episode_1.max, [80.0, 81.0, 82.0]);
    // The generated fixture's episodes file has only `stats/observation.state/mean`.
    let plain = Fixture::build(&options);
    let (tree, dataset) = plain.open();
    let stats = stats_of(&tree, &dataset);
    assert_eq!(
        stats.problems,
        [problem(EPISODES_V30, "feature `observation.state` has no `min`, `max`, `std` column")]
    );
    assert_eq!(stats.episode_feature(1, STATE).unwrap().mean, [60.0, 61.0, 62.0]);
}
