//! `episcope generate` (feature `generate`): the synthetic datasets it writes open with the core,
//! pass the checker, store the statistics the data gives, keep one row group per episode, and are
//! a function of the seed.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use episcope_core::check::{check_dataset, CheckOptions};
use episcope_core::lerobot::{open_dataset, read_episode_frames, Dataset};
use episcope_core::parquet_io::ParquetFile;
use episcope_core::stats::{compute_dataset_stats, StatsOptions};
use episcope_core::DatasetTree;
use serde_json::Value;

fn episcope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_episcope")).args(args).output().expect("run episcope")
}

/// A uniquely named folder under the system temp dir (not created), removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let unique =
            format!("episcope-generate-{label}-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        TempDir(std::env::temp_dir().join(unique))
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn arg(&self) -> &str {
        self.0.to_str().expect("temp paths are UTF-8")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `episcope generate --out DIR ARGS…` and asserts it succeeded.
fn generate(label: &str, args: &[&str]) -> TempDir {
    let dir = TempDir::new(label);
    let mut all = vec!["generate", "--out", dir.arg()];
    all.extend_from_slice(args);
    let output = episcope(&all);
    assert!(
        output.status.success(),
        "generate {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    dir
}

fn open(dir: &Path) -> (DatasetTree, Dataset) {
    let tree = DatasetTree::from_dir(dir).unwrap().rooted_at_dataset();
    let dataset = pollster::block_on(open_dataset(&tree, &mut |_| {})).unwrap();
    (tree, dataset)
}

/// Every file under `dir` by relative path.
fn files_under(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn numbers(value: &Value) -> Vec<f64> {
    value.as_array().expect("an array").iter().map(|v| v.as_f64().expect("a number")).collect()
}

/// 20 000 frames of 14 joints in 40 episodes, data files rolled at 1 MiB.
const SMALL: [&str; 8] = ["--frames", "20000", "--episodes", "40", "--data-files-size-mb", "1", "--seed", "7"];

#[test]
fn a_generated_dataset_opens_passes_the_checker_and_keeps_one_row_group_per_episode() {
    let dir = generate("clean", &SMALL);
    let (tree, dataset) = open(dir.path());
    assert!(dataset.problems.is_empty(), "{:?}", dataset.problems);
    assert_eq!(dataset.version.as_str(), "v3.0");
    assert_eq!(dataset.episodes.len(), 40);
    assert_eq!(dataset.frames_found(), 20_000);
    assert_eq!(dataset.tasks.len(), 8);
    assert!(dataset.data_files.len() >= 3, "the 1 MiB limit splits the data: {:?}", dataset.data_files);

    // One row group per episode, in order, holding exactly that episode's rows.
    let mut row_groups_seen = 0;
    for path in &dataset.data_files {
        let parquet = pollster::block_on(ParquetFile::open(tree.get(path).unwrap().source.clone(), path)).unwrap();
        let episodes: Vec<_> =
            dataset.episodes.iter().filter(|e| e.data_file.as_deref() == Some(path.as_str())).collect();
        assert_eq!(parquet.num_row_groups(), episodes.len(), "{path}");
        for (row_group, episode) in episodes.iter().enumerate() {
            let index = episode.index as i64;
            assert_eq!(parquet.int_column_range(row_group, "episode_index"), Some((index, index)), "{path}");
            assert_eq!(parquet.metadata().row_group(row_group).num_rows() as u64, episode.length, "{path}");
        }
        row_groups_seen += episodes.len();
    }
    assert_eq!(row_groups_seen, 40);

    // Files roll at the 1 MiB limit as the writer rolls them: the next episode would cross it.
    let sizes: Vec<u64> = dataset.data_files.iter().map(|p| tree.get(p).unwrap().size()).collect();
    let mib = 1024.0 * 1024.0;
    for (path, &size) in dataset.data_files.iter().zip(&sizes) {
        assert!((size as f64) < 1.1 * mib, "{path}: {size} bytes");
    }
    for (path, &size) in dataset.data_files.iter().zip(&sizes).take(sizes.len() - 1) {
        assert!((size as f64) > 0.9 * mib, "{path} was closed early: {size} bytes");
    }

    let report = pollster::block_on(check_dataset(&tree, "clean", &CheckOptions::default(), &mut |_| {}));
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
}

#[test]
fn stored_stats_are_the_statistics_of_the_data() {
    let dir = generate("stats", &SMALL);
    let (tree, dataset) = open(dir.path());
    let computed = pollster::block_on(compute_dataset_stats(&tree, &dataset, &StatsOptions::default(), &mut |_| {
        ControlFlow::Continue(())
    }))
    .unwrap();
    assert!(computed.problems.is_empty(), "{:?}", computed.problems);
    let stored: Value = serde_json::from_slice(&std::fs::read(dir.path().join("meta/stats.json")).unwrap()).unwrap();
    let stored = stored.as_object().unwrap();
    let names: Vec<&str> = stored.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["observation.state", "action", "timestamp", "frame_index", "episode_index", "index", "task_index"]
    );
    for (name, stats) in stored {
        let feature = computed.feature(name).unwrap_or_else(|| panic!("no computed stats for {name}"));
        assert_eq!(numbers(&stats["count"]), [20_000.0], "{name}");
        for (dim, computed) in feature.dims.iter().enumerate() {
            let at = |stat: &str| numbers(&stats[stat])[dim];
            let scale = computed.max.unwrap().abs().max(computed.min.unwrap().abs()).max(1.0);
            // min, max and the (exact, numpy-linear) quantiles are order statistics: equal.
            assert_eq!(at("min"), computed.min.unwrap(), "{name}[{dim}] min");
            assert_eq!(at("max"), computed.max.unwrap(), "{name}[{dim}] max");
            for (key, q) in [("q01", 0.01), ("q10", 0.10), ("q50", 0.50), ("q90", 0.90), ("q99", 0.99)] {
                assert_eq!(at(key), computed.quantile(q).unwrap(), "{name}[{dim}] {key}");
            }
            // mean and std are sums: equal up to rounding.
            assert!((at("mean") - computed.mean.unwrap()).abs() <= 1e-12 * scale, "{name}[{dim}] mean");
            assert!((at("std") - computed.std.unwrap()).abs() <= 1e-9 * scale, "{name}[{dim}] std");
        }
    }
    // The episode index stats prove the per-frame values: 40 episodes, weighted by their lengths.
    let expected_mean =
        dataset.episodes.iter().map(|e| e.index as f64 * e.length as f64).sum::<f64>() / dataset.frames_found() as f64;
    assert!((numbers(&stored["episode_index"]["mean"])[0] - expected_mean).abs() < 1e-9);
}

#[test]
fn trajectories_are_smooth_moving_joints_with_timestamps_on_the_frame_grid() {
    let dir = generate("smooth", &SMALL);
    let (tree, dataset) = open(dir.path());
    let features = ["observation.state".to_string(), "action".to_string()];
    let frames = pollster::block_on(read_episode_frames(&tree, &dataset, 5, &features)).unwrap();
    assert_eq!(frames.frames as u64, dataset.episodes[5].length);
    for (frame, time) in frames.timestamps_secs.iter().enumerate() {
        assert!((time - frame as f64 / 30.0).abs() < 1e-5, "timestamp of frame {frame}: {time}");
    }
    for series in &frames.series {
        assert_eq!(series.dimensions.len(), 14, "{}", series.feature);
        for (dim, values) in series.dimensions.iter().enumerate() {
            let min = values.iter().copied().fold(f64::INFINITY, f64::min);
            let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let largest_step = values.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f64::max);
            assert!(max - min > 0.02, "{}[{dim}] moves: range {}", series.feature, max - min);
            assert!(
                (-std::f64::consts::PI..=std::f64::consts::PI).contains(&min),
                "{}[{dim}] in joint range",
                series.feature
            );
            assert!(
                (-std::f64::consts::PI..=std::f64::consts::PI).contains(&max),
                "{}[{dim}] in joint range",
                series.feature
            );
            assert!(largest_step < 0.1 * (max - min), "{}[{dim}] is smooth: step {largest_step}", series.feature);
        }
    }
}

#[test]
fn metadata_only_writes_the_same_meta_and_no_data() {
    let full = generate("full", &SMALL);
    let mut args = SMALL.to_vec();
    args.push("--metadata-only");
    let meta_only = generate("meta-only", &args);
    let full_files = files_under(full.path());
    let meta_files = files_under(meta_only.path());
    let full_meta: BTreeMap<_, _> = full_files.iter().filter(|(path, _)| path.starts_with("meta/")).collect();
    assert_eq!(
        meta_files.iter().collect::<BTreeMap<_, _>>(),
        full_meta,
        "meta/ is byte-identical, nothing else is written"
    );

    // It opens; what the checker reports is exactly the data files it did not write.
    let (tree, dataset) = open(meta_only.path());
    assert_eq!((dataset.episodes.len(), dataset.frames_found()), (40, 20_000));
    assert!(dataset.problems.iter().all(|p| p.rule == "file.data-missing"), "{:?}", dataset.problems);
    let report = pollster::block_on(check_dataset(&tree, "meta-only", &CheckOptions::default(), &mut |_| {}));
    assert!(!report.findings.is_empty());
    let data_paths: Vec<&String> = full_files.keys().filter(|p| p.starts_with("data/")).collect();
    for finding in &report.findings {
        assert_eq!(finding.rule, "file.data-missing", "{finding:#?}");
        assert!(data_paths.iter().any(|p| Some(p.as_str()) == finding.location.path.as_deref()), "{finding:#?}");
    }
}

#[test]
fn declared_cameras_get_contiguous_video_windows_and_only_their_files_are_missing() {
    let dir = generate(
        "cameras",
        &["--frames", "6000", "--episodes", "12", "--cameras", "2", "--fps", "15", "--metadata-only", "--seed", "3"],
    );
    let (tree, dataset) = open(dir.path());
    assert_eq!(dataset.info.video_features().count(), 2);
    let mut end_secs = BTreeMap::new();
    for episode in &dataset.episodes {
        assert_eq!(episode.videos.len(), 2, "episode {}", episode.index);
        for video in &episode.videos {
            let start = end_secs.get(&video.feature).copied().unwrap_or(0.0);
            assert!((video.from_timestamp_secs - start).abs() < 1e-9, "episode {} {}", episode.index, video.feature);
            let to = video.to_timestamp_secs.expect("to_timestamp");
            assert!((to - start - episode.length as f64 / 15.0).abs() < 1e-9);
            end_secs.insert(video.feature.clone(), to);
        }
    }
    let report = pollster::block_on(check_dataset(&tree, "cameras", &CheckOptions::default(), &mut |_| {}));
    for finding in &report.findings {
        assert!(["file.data-missing", "file.video-missing"].contains(&finding.rule.as_str()), "{finding:#?}");
    }
}

#[test]
fn the_same_seed_writes_the_same_bytes_and_another_seed_other_data() {
    let args = ["--frames", "3000", "--episodes", "6", "--state-dims", "6", "--seed", "11"];
    let first = files_under(generate("seed-a", &args).path());
    let second = files_under(generate("seed-b", &args).path());
    assert_eq!(first, second);
    let mut other = args.to_vec();
    other[7] = "12";
    let third = files_under(generate("seed-c", &other).path());
    assert_eq!(first.keys().collect::<Vec<_>>(), third.keys().collect::<Vec<_>>());
    assert_ne!(first["data/chunk-000/file-000.parquet"], third["data/chunk-000/file-000.parquet"]);
}

#[test]
fn impossible_settings_and_used_folders_are_refused_with_exit_code_2() {
    let dir = TempDir::new("refused");
    let output = episcope(&["generate", "--out", dir.arg(), "--frames", "10", "--episodes", "50"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("10 frames cannot fill 50 episodes"), "{stderr}");
    assert!(!dir.path().exists(), "nothing is created for refused settings");

    std::fs::create_dir_all(dir.path()).unwrap();
    std::fs::write(dir.path().join("keep.txt"), b"mine").unwrap();
    let output = episcope(&["generate", "--out", dir.arg(), "--frames", "100", "--episodes", "2"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not empty"));
    assert_eq!(std::fs::read(dir.path().join("keep.txt")).unwrap(), b"mine");
    assert_eq!(files_under(dir.path()).len(), 1, "nothing was written beside the user's file");
}

#[test]
fn presets_set_the_issue_sizes() {
    let output = episcope(&["generate", "--help"]);
    let help = String::from_utf8_lossy(&output.stdout);
    for preset in ["100k", "1m", "2m", "droid-metadata"] {
        assert!(help.contains(preset), "{help}");
    }
    // The 100k preset with fewer frames keeps its 20 s episodes at 30 fps: 6000 frames → 10 episodes.
    let dir = generate("preset", &["--preset", "100k", "--frames", "6000", "--metadata-only"]);
    let info: Value = serde_json::from_slice(&std::fs::read(dir.path().join("meta/info.json")).unwrap()).unwrap();
    assert_eq!((info["total_frames"].as_u64(), info["total_episodes"].as_u64()), (Some(6000), Some(10)));
    assert_eq!(info["fps"].as_u64(), Some(30));
    assert_eq!(info["features"]["observation.state"]["shape"][0].as_u64(), Some(14));
}
