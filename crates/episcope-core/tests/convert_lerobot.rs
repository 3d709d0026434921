//! LeRobot → LeRobot v3.0 on the recording converter's writer: each of the nine datasets of the
//! official writers (v2.0, v2.1, v3.0) rewritten as v3.0 passes the checker with no findings and
//! keeps every episode, task, value and video; v2.1 → v3.0 equals what the official v3.0 writer
//! wrote from the same generator (values, tasks, stats); a v3.0 dataset re-chunked to 1 MB files
//! rolls over many files and chunks and still passes.

mod common;

use episcope_core::check::stats::MIN_MAX_RELATIVE_TOLERANCE;
use episcope_core::check::{check_dataset, CheckOptions, Report};
use episcope_core::convert::{relayout_dataset, ConvertError, LayoutOptions, RelayoutSummary};
use episcope_core::lerobot::{open_dataset, read_episode_frames, read_stored_stats, Dataset, EpisodeFrames};
use episcope_core::writer::v3::{DatasetSettings, DatasetWriter, FeatureSpec};
use episcope_core::writer::MemorySink;
use episcope_core::DatasetTree;

fn relayout(
    tree: &DatasetTree,
    dataset: &Dataset,
    options: LayoutOptions,
) -> Result<(RelayoutSummary, DatasetTree), ConvertError> {
    let mut sink = MemorySink::default();
    let summary = pollster::block_on(relayout_dataset(tree, dataset, options, &mut sink, &mut |_| {}, &|| false))?;
    Ok((summary, sink.into_tree().expect("tree")))
}

fn open(tree: &DatasetTree) -> Dataset {
    pollster::block_on(open_dataset(tree, &mut |_| {})).expect("the output opens")
}

fn check(tree: &DatasetTree) -> Report {
    pollster::block_on(check_dataset(tree, "converted", &CheckOptions::default(), &mut |_| {}))
}

fn frames(tree: &DatasetTree, dataset: &Dataset, episode: u64) -> EpisodeFrames {
    pollster::block_on(read_episode_frames(tree, dataset, episode, &[])).expect("episode reads")
}

fn assert_same_frames(name: &str, source: &EpisodeFrames, converted: &EpisodeFrames) {
    assert_eq!(source.frames, converted.frames, "{name}: episode {} frames", source.episode_index);
    assert_eq!(
        source.timestamps_secs, converted.timestamps_secs,
        "{name}: episode {} timestamps",
        source.episode_index
    );
    let names = |f: &EpisodeFrames| f.series.iter().map(|s| s.feature.clone()).collect::<Vec<_>>();
    assert_eq!(names(source), names(converted), "{name}: features");
    for (a, b) in source.series.iter().zip(&converted.series) {
        assert_eq!(a.dimensions, b.dimensions, "{name}: episode {} {} values", source.episode_index, a.feature);
        assert_eq!(a.labels, b.labels, "{name}: {} names", a.feature);
    }
}

#[test]
fn every_official_dataset_becomes_v30_with_no_findings_and_the_same_episodes_values_and_videos() {
    for name in common::SHARED_DATASETS {
        let (tree, source) = common::open(name);
        let (summary, out) =
            relayout(&tree, &source, LayoutOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let report = check(&out);
        assert_eq!(report.findings, vec![], "{name}: the converted dataset has findings");
        let converted = open(&out);
        assert_eq!(converted.info.codebase_version, "v3.0", "{name}");
        assert_eq!(converted.episodes.len(), source.episodes.len(), "{name}: episodes");
        assert_eq!(summary.written.total_frames, 990, "{name}: frames");
        assert_eq!(summary.episodes, (0..5).map(|i| (i, i)).collect::<Vec<_>>(), "{name}");
        let feature_names = |d: &Dataset| {
            d.info.features.iter().map(|f| (f.name.clone(), f.dtype.clone(), f.shape.clone())).collect::<Vec<_>>()
        };
        assert_eq!(feature_names(&converted), feature_names(&source), "{name}: features");
        for (a, b) in source.episodes.iter().zip(&converted.episodes) {
            assert_eq!(a.tasks, b.tasks, "{name}: episode {} tasks", a.index);
            assert_eq!(a.length, b.length, "{name}: episode {} length", a.index);
            assert_same_frames(name, &frames(&tree, &source, a.index), &frames(&out, &converted, b.index));
            // Videos: the same file bytes, the episode at the same place in it.
            assert_eq!(a.videos.len(), b.videos.len(), "{name}: episode {} videos", a.index);
            for (va, vb) in a.videos.iter().zip(&b.videos) {
                assert_eq!(va.feature, vb.feature);
                assert_eq!(va.from_timestamp_secs, vb.from_timestamp_secs, "{name}: {} from", va.feature);
                if let Some(to) = va.to_timestamp_secs {
                    assert_eq!(Some(to), vb.to_timestamp_secs, "{name}: {} to", va.feature);
                }
                let bytes = |t: &DatasetTree, p: &str| {
                    let f = t.get(p).unwrap_or_else(|| panic!("{name}: {p} missing"));
                    pollster::block_on(f.source.read_range(0..f.size())).expect("reads")
                };
                assert_eq!(
                    bytes(&tree, &va.path),
                    bytes(&out, &vb.path),
                    "{name}: {} differs from {}",
                    vb.path,
                    va.path
                );
            }
        }
        let has_video = source.info.features.iter().any(|f| f.dtype == "video");
        assert_eq!(summary.videos.is_empty(), !has_video, "{name}: videos copied");
        // v2.0 stores no per-episode stats: those of its images and videos cannot be carried over.
        let v20_pixels: Vec<String> = if name.starts_with("v20") {
            source
                .info
                .features
                .iter()
                .filter(|f| f.dtype == "video" || f.dtype == "image")
                .map(|f| f.name.clone())
                .collect()
        } else {
            Vec::new()
        };
        assert_eq!(summary.stats_omitted, v20_pixels, "{name}: stats omitted");
    }
}

/// The generator gives the same episodes to the v2.1 and the v3.0 official writers, so the
/// official v3.0 dataset is what a faithful v2.1 → v3.0 conversion must give back.
#[test]
fn v21_converted_to_v30_equals_what_the_official_v30_writer_wrote() {
    for (v21, v30) in [
        ("v21_so101_image", "v30_so101_image"),
        ("v21_so101_video", "v30_so101_video"),
        ("v21_state_extra", "v30_state_extra"),
    ] {
        let (tree, source) = common::open(v21);
        let (_, out) = relayout(&tree, &source, LayoutOptions::default()).expect("converts");
        let converted = open(&out);
        let (official_tree, official) = common::open(v30);
        assert_eq!(converted.tasks.len(), official.tasks.len(), "{v21}: tasks");
        for (a, b) in converted.tasks.iter().zip(&official.tasks) {
            assert_eq!((a.index, &a.text), (b.index, &b.text), "{v21}: task");
        }
        for (a, b) in converted.episodes.iter().zip(&official.episodes) {
            assert_eq!((a.index, a.length, &a.tasks), (b.index, b.length, &b.tasks), "{v21}: episode");
            assert_eq!(
                (a.dataset_from_index, a.dataset_to_index),
                (b.dataset_from_index, b.dataset_to_index),
                "{v21}: episode {} frame range",
                a.index
            );
            assert_same_frames(v21, &frames(&official_tree, &official, b.index), &frames(&out, &converted, a.index));
        }
        let ours = pollster::block_on(read_stored_stats(&out, &converted));
        let theirs = pollster::block_on(read_stored_stats(&official_tree, &official));
        // A 2-D feature ([3, 4]): we keep one stat per element (12); the official v3.0 writer
        // reduces over the rows too (4). min, max and mean (equal counts) reduce exactly.
        let reduced = |stat: &str, ours: &[f64], width: usize| -> Vec<f64> {
            (0..width)
                .map(|j| {
                    let column = ours.iter().skip(j).step_by(width).copied();
                    match stat {
                        "min" => column.fold(f64::INFINITY, f64::min),
                        "max" => column.fold(f64::NEG_INFINITY, f64::max),
                        _ => column.sum::<f64>() / (ours.len() / width) as f64,
                    }
                })
                .collect()
        };
        let close = |what: &str, stat: &str, a: &[f64], b: &[f64]| {
            let a = if a.len() != b.len() && !b.is_empty() && a.len().is_multiple_of(b.len()) {
                if stat == "std" {
                    return;
                }
                reduced(stat, a, b.len())
            } else {
                a.to_vec()
            };
            assert_eq!(a.len(), b.len(), "{v21}: {what} length");
            for (x, y) in a.iter().zip(b) {
                // The official writer sums in float32; the checker's relative tolerance covers that.
                let tolerance = MIN_MAX_RELATIVE_TOLERANCE * x.abs().max(y.abs()).max(1.0);
                assert!((x - y).abs() <= tolerance, "{v21}: {what}: {x} vs {y}");
            }
        };
        for feature in official.info.features.iter().filter(|f| f.dtype != "video" && f.dtype != "image") {
            for episode in 0..5 {
                let (Some(a), Some(b)) =
                    (ours.episode_feature(episode, &feature.name), theirs.episode_feature(episode, &feature.name))
                else {
                    panic!("{v21}: episode {episode} {} stats missing", feature.name)
                };
                for stat in ["min", "max", "mean", "std"] {
                    let what = format!("episode {episode} {} {stat}", feature.name);
                    close(&what, stat, a.stat(stat).unwrap(), b.stat(stat).unwrap());
                }
                assert_eq!(a.count, b.count, "{v21}: episode {episode} {} count", feature.name);
            }
            let (Some(a), Some(b)) = (ours.global.get(&feature.name), theirs.global.get(&feature.name)) else {
                panic!("{v21}: {} global stats missing", feature.name)
            };
            for stat in ["min", "max", "mean", "std"] {
                close(&format!("{} global {stat}", feature.name), stat, a.stat(stat).unwrap(), b.stat(stat).unwrap());
            }
        }
    }
}

/// Values no codec can shrink much, so that file sizes follow frame counts.
fn noise(seed: u64) -> f64 {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 29;
    (x % 1_000_000) as f64 / 1000.0
}

#[test]
fn rechunking_to_one_megabyte_files_rolls_files_and_chunks_and_keeps_every_value() {
    let width = 32;
    let features = vec![
        FeatureSpec { name: "observation.state".into(), names: (0..width).map(|d| format!("joint_{d}")).collect() },
        FeatureSpec { name: "action".into(), names: (0..width).map(|d| format!("joint_{d}")).collect() },
    ];
    let settings = DatasetSettings { fps: 100, ..DatasetSettings::default() };
    let mut writer = DatasetWriter::new(settings, features).expect("writer");
    let mut sink = MemorySink::default();
    let episodes = 12u64;
    for episode in 0..episodes {
        let frames = 3000 + 100 * episode as usize;
        let values: Vec<Vec<f64>> = (0..2u64)
            .map(|f| (0..frames * width).map(|k| noise(episode << 40 | f << 32 | k as u64)).collect())
            .collect();
        writer.write_episode(&mut sink, &values, frames, if episode % 2 == 0 { "pick" } else { "place" }).unwrap();
    }
    writer.finish(&mut sink).expect("finish");
    let tree = sink.into_tree().expect("tree");
    let source = open(&tree);
    assert_eq!(check(&tree).findings, vec![], "the source dataset");
    let source_data_files = tree.files().filter(|f| f.path.starts_with("data/")).count();
    assert_eq!(source_data_files, 1, "the source is one data file");

    let options = LayoutOptions { chunks_size: 2, data_files_size_in_mb: 1 };
    let (summary, out) = relayout(&tree, &source, options).expect("re-chunks");
    let report = check(&out);
    assert_eq!(report.findings, vec![], "the re-chunked dataset has findings");
    let data_files: Vec<(String, u64)> =
        out.files().filter(|f| f.path.starts_with("data/")).map(|f| (f.path.clone(), f.size())).collect();
    assert!(data_files.len() >= 4, "1 MB files: {data_files:?}");
    assert!(data_files.iter().any(|(p, _)| p.starts_with("data/chunk-001/")), "chunks of 2 files: {data_files:?}");
    // Files roll once they reach the limit: all but the last are at least 1 MB and hold whole episodes.
    for (path, size) in &data_files[..data_files.len() - 1] {
        assert!(*size >= 1_000_000 && *size < 4_000_000, "{path}: {size} bytes");
    }
    let converted = open(&out);
    assert_eq!(converted.info.chunks_size, Some(2));
    assert_eq!(summary.written.total_episodes, episodes);
    for episode in 0..episodes {
        assert_same_frames("rechunked", &frames(&tree, &source, episode), &frames(&out, &converted, episode));
    }
    // And back into one file: the same values again.
    let (_, back) = relayout(&out, &converted, LayoutOptions::default()).expect("re-chunks back");
    assert_eq!(back.files().filter(|f| f.path.starts_with("data/")).count(), 1);
    assert_eq!(check(&back).findings, vec![]);
    let back_dataset = open(&back);
    for episode in [0, episodes - 1] {
        assert_same_frames("back", &frames(&tree, &source, episode), &frames(&back, &back_dataset, episode));
    }
}

#[test]
fn a_cancelled_relayout_leaves_no_info_json() {
    let (tree, source) = common::open("v21_so101_video");
    let mut sink = MemorySink::default();
    let asked = std::cell::Cell::new(0);
    let cancelled = || {
        asked.set(asked.get() + 1);
        asked.get() > 2
    };
    let result = pollster::block_on(relayout_dataset(
        &tree,
        &source,
        LayoutOptions::default(),
        &mut sink,
        &mut |_| {},
        &cancelled,
    ));
    assert!(matches!(result, Err(ConvertError::Cancelled)), "{result:?}");
    let files = sink.into_files();
    assert!(!files.is_empty(), "two episodes were written before the cancel");
    assert!(!files.contains_key("meta/info.json"));
}
