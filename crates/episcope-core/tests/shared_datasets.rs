//! The readers against the nine example datasets written by the official LeRobot writers
//! (`shared/datasets`, see its README.md for the facts asserted here).
//!
//! The folder is `$EPISCOPE_SHARED_DATASETS` if set, else `shared/datasets` beside the repository
//! folder (see `common/`). If it is missing these tests fail: they must never pass by not running.
//!
//! Expected frame values were computed independently with pyarrow (the command is beside each).

mod common;

use std::collections::BTreeSet;

use common::open;
use episcope_core::lerobot::{read_episode_frames, read_image_frame, Dataset, EpisodeFrames, FormatVersion};
use episcope_core::DatasetTree;

const LENGTHS: [u64; 5] = [120, 180, 240, 150, 300];
const TASK_PICK: &str = "Pick up the red cube and place it in the bin.";
const TASK_PUSH: &str = "Push the blue block to the left edge of the table.";
const TASK_DRAWER: &str = "Open the top drawer.";
const MOTORS: [&str; 6] =
    ["shoulder_pan.pos", "shoulder_lift.pos", "elbow_flex.pos", "wrist_flex.pos", "wrist_roll.pos", "gripper.pos"];
const CAMERAS: [&str; 2] = ["observation.images.front", "observation.images.wrist"];

fn read(tree: &DatasetTree, dataset: &Dataset, episode: u64, features: &[&str]) -> EpisodeFrames {
    let features: Vec<String> = features.iter().map(|s| s.to_string()).collect();
    pollster::block_on(read_episode_frames(tree, dataset, episode, &features))
        .unwrap_or_else(|e| panic!("episode {episode}: {e}"))
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Image,
    Video,
    StateExtra,
}

/// The features of a dataset in `info.json` order: name, dtype, shape.
fn expected_features(version: FormatVersion, kind: Kind) -> Vec<(&'static str, &'static str, Vec<u64>)> {
    let mut features = vec![("observation.state", "float32", vec![6]), ("action", "float32", vec![6])];
    match kind {
        Kind::Image => features.push(("observation.images.front", "image", vec![96, 128, 3])),
        Kind::Video => {
            features.push(("observation.images.front", "video", vec![96, 128, 3]));
            features.push(("observation.images.wrist", "video", vec![96, 128, 3]));
        }
        Kind::StateExtra => {
            features.push(("next.reward", "float32", vec![1]));
            features.push(("next.done", "bool", vec![1]));
            features.push(("observation.effort", "float64", vec![6]));
            if version != FormatVersion::V2_0 {
                features.push(("observation.ee_pose", "float32", vec![3, 4]));
            }
        }
    }
    features.extend([
        ("timestamp", "float32", vec![1]),
        ("frame_index", "int64", vec![1]),
        ("episode_index", "int64", vec![1]),
        ("index", "int64", vec![1]),
        ("task_index", "int64", vec![1]),
    ]);
    features
}

/// Everything the metadata of one dataset must say.
fn check_dataset(name: &str, version: FormatVersion, kind: Kind) {
    let (tree, dataset) = open(name);
    assert_eq!(dataset.version, version, "{name}");
    assert_eq!(dataset.info.version, Some(version), "{name}");
    assert!(dataset.problems.is_empty(), "{name}: unexpected problems {:#?}", dataset.problems);
    assert_eq!(dataset.info.fps, Some(30.0), "{name}");
    assert_eq!(dataset.info.total_episodes, Some(5), "{name}");
    assert_eq!(dataset.info.total_frames, Some(990), "{name}");
    assert_eq!(dataset.info.total_tasks, Some(3), "{name}");

    // Episodes and their lengths.
    let indices: Vec<u64> = dataset.episodes.iter().map(|e| e.index).collect();
    assert_eq!(indices, [0, 1, 2, 3, 4], "{name}");
    let lengths: Vec<u64> = dataset.episodes.iter().map(|e| e.length).collect();
    assert_eq!(lengths, LENGTHS, "{name}");
    assert_eq!(dataset.frames_found(), 990, "{name}");

    // Tasks, and the tasks of each episode (episode 2 switches task half-way from v2.1 on).
    let tasks: Vec<(u64, &str)> = dataset.tasks.iter().map(|t| (t.index, t.text.as_str())).collect();
    assert_eq!(tasks, [(0, TASK_PICK), (1, TASK_PUSH), (2, TASK_DRAWER)], "{name}");
    let episode_2_tasks: Vec<&str> =
        if version == FormatVersion::V2_0 { vec![TASK_PICK] } else { vec![TASK_DRAWER, TASK_PICK] };
    let expected_tasks = [vec![TASK_PICK], vec![TASK_PUSH], episode_2_tasks, vec![TASK_DRAWER], vec![TASK_PUSH]];
    for (episode, expected) in dataset.episodes.iter().zip(expected_tasks) {
        assert_eq!(episode.tasks, expected, "{name}: tasks of episode {}", episode.index);
    }

    // Features: names, dtypes, shapes in info.json order; labels of the state vector.
    let features: Vec<(&str, &str, Vec<u64>)> =
        dataset.info.features.iter().map(|f| (f.name.as_str(), f.dtype.as_str(), f.shape.clone())).collect();
    assert_eq!(features, expected_features(version, kind), "{name}");
    let state = dataset.info.feature("observation.state").unwrap();
    assert_eq!(state.dimension_labels(), MOTORS, "{name}");

    // Data files: v2.x one per episode at the data_path template, v3.0 one file for all.
    for episode in &dataset.episodes {
        let expected = if version.is_v3() {
            "data/chunk-000/file-000.parquet".to_string()
        } else {
            let chunk = episode.index / dataset.info.chunks_size.unwrap();
            format!("data/chunk-{chunk:03}/episode_{:06}.parquet", episode.index)
        };
        assert_eq!(episode.data_file.as_deref(), Some(expected.as_str()), "{name}: episode {}", episode.index);
        assert!(tree.contains(&expected), "{name}: {expected}");
    }
    if version.is_v3() {
        let ranges: Vec<(Option<u64>, Option<u64>)> =
            dataset.episodes.iter().map(|e| (e.dataset_from_index, e.dataset_to_index)).collect();
        let expected: Vec<(Option<u64>, Option<u64>)> = [(0, 120), (120, 300), (300, 540), (540, 690), (690, 990)]
            .iter()
            .map(|&(a, b)| (Some(a), Some(b)))
            .collect();
        assert_eq!(ranges, expected, "{name}");
    }

    // Videos.
    if kind == Kind::Video {
        let cameras: Vec<&str> = dataset.info.video_features().map(|f| f.name.as_str()).collect();
        assert_eq!(cameras, CAMERAS, "{name}");
        for episode in &dataset.episodes {
            let features: Vec<&str> = episode.videos.iter().map(|v| v.feature.as_str()).collect();
            assert_eq!(features, CAMERAS, "{name}: videos of episode {}", episode.index);
            for video in &episode.videos {
                assert!(video.present, "{name}: {} not found", video.path);
                assert!(tree.contains(&video.path), "{name}: {}", video.path);
                if !version.is_v3() {
                    let chunk = episode.index / dataset.info.chunks_size.unwrap();
                    let expected =
                        format!("videos/chunk-{chunk:03}/{}/episode_{:06}.mp4", video.feature, episode.index);
                    assert_eq!(video.path, expected, "{name}");
                    assert_eq!(video.from_timestamp_secs, 0.0, "{name}");
                }
            }
        }
        if version.is_v3() {
            // One concatenated mp4 per camera; episode 1 starts 120 frames / 30 fps = 4 s in.
            let files: BTreeSet<&str> =
                dataset.episodes.iter().flat_map(|e| e.videos.iter().map(|v| v.path.as_str())).collect();
            let expected: BTreeSet<&str> = [
                "videos/observation.images.front/chunk-000/file-000.mp4",
                "videos/observation.images.wrist/chunk-000/file-000.mp4",
            ]
            .into();
            assert_eq!(files, expected, "{name}");
            let episode_1 = dataset.episode(1).unwrap();
            for video in &episode_1.videos {
                assert_eq!(video.from_timestamp_secs, 4.0, "{name}: {}", video.feature);
                assert_eq!(video.to_timestamp_secs, Some(10.0), "{name}: {}", video.feature);
            }
        }
    } else {
        assert!(dataset.episodes.iter().all(|e| e.videos.is_empty()), "{name}: no video features, yet videos listed");
    }

    // Stats files as each version writes them.
    match version {
        FormatVersion::V2_0 => assert!(dataset.stats.global_file.is_some(), "{name}"),
        FormatVersion::V2_1 => assert_eq!(dataset.stats.per_episode_file.as_deref(), Some("meta/episodes_stats.jsonl")),
        FormatVersion::V3_0 => {
            assert!(dataset.stats.per_episode_features.iter().any(|f| f == "observation.state"), "{name}")
        }
    }

    // Frames of episodes 1 and 3, all numeric features.
    // python3 -c "import pyarrow.parquet as pq; t=pq.read_table('v21_so101_video/data/chunk-000/episode_000001.parquet').to_pylist(); print(len(t), t[0]['observation.state'][0], t[-1]['observation.state'][5], t[-1]['timestamp'], t[0]['action'][2])"
    //   -> 180 -36.10098648071289 33.05295944213867 5.9666666984558105 29.58135223388672
    // python3 -c "import pyarrow.parquet as pq; t=[r for r in pq.read_table('v30_so101_video/data/chunk-000/file-000.parquet').to_pylist() if r['episode_index']==3]; print(len(t), t[0]['observation.state'][0], t[-1]['observation.state'][5], t[-1]['timestamp'], t[0]['action'][2])"
    //   -> 150 36.43216323852539 33.52274703979492 4.9666666984558105 47.505706787109375
    // (The generator wrote the same trajectories into all nine datasets: the same command on any
    // of them prints the same numbers.)
    let cases = [
        (1, 180, -36.10098648071289, 33.05295944213867, 5.9666666984558105, 29.58135223388672),
        (3, 150, 36.43216323852539, 33.52274703979492, 4.9666666984558105, 47.505706787109375),
    ];
    for (episode, frames, state_0_first, state_5_last, last_timestamp, action_2_first) in cases {
        let read = read(&tree, &dataset, episode, &[]);
        assert_eq!(read.episode_index, episode);
        assert_eq!(read.frames, frames, "{name}: episode {episode}");
        assert_eq!(read.timestamps_secs.len(), frames);
        assert_eq!(read.timestamps_secs[0], 0.0, "{name}: episode {episode}");
        assert_eq!(read.timestamps_secs[frames - 1], last_timestamp, "{name}: episode {episode}");
        let series: Vec<&str> = read.series.iter().map(|s| s.feature.as_str()).collect();
        let expected_series: Vec<&str> = expected_features(version, kind)
            .into_iter()
            .filter(|(n, dtype, _)| !matches!(*dtype, "image" | "video") && !n.ends_with("index") && *n != "timestamp")
            .map(|(n, _, _)| n)
            .collect();
        assert_eq!(series, expected_series, "{name}: numeric features read by default");
        let state = &read.series[0];
        assert_eq!(state.labels, MOTORS);
        assert_eq!(state.dimensions.len(), 6);
        assert!(state.dimensions.iter().all(|d| d.len() == frames));
        assert_eq!(state.dimensions[0][0], state_0_first, "{name}: episode {episode}");
        assert_eq!(state.dimensions[5][frames - 1], state_5_last, "{name}: episode {episode}");
        assert_eq!(read.series[1].feature, "action");
        assert_eq!(read.series[1].dimensions[2][0], action_2_first, "{name}: episode {episode}");
    }
}

#[test]
fn v20_so101_image() {
    check_dataset("v20_so101_image", FormatVersion::V2_0, Kind::Image);
}

#[test]
fn v20_so101_video() {
    check_dataset("v20_so101_video", FormatVersion::V2_0, Kind::Video);
}

#[test]
fn v20_state_extra() {
    check_dataset("v20_state_extra", FormatVersion::V2_0, Kind::StateExtra);
}

#[test]
fn v21_so101_image() {
    check_dataset("v21_so101_image", FormatVersion::V2_1, Kind::Image);
}

#[test]
fn v21_so101_video() {
    check_dataset("v21_so101_video", FormatVersion::V2_1, Kind::Video);
}

#[test]
fn v21_state_extra() {
    check_dataset("v21_state_extra", FormatVersion::V2_1, Kind::StateExtra);
}

#[test]
fn v30_so101_image() {
    check_dataset("v30_so101_image", FormatVersion::V3_0, Kind::Image);
}

#[test]
fn v30_so101_video() {
    check_dataset("v30_so101_video", FormatVersion::V3_0, Kind::Video);
}

#[test]
fn v30_state_extra() {
    check_dataset("v30_state_extra", FormatVersion::V3_0, Kind::StateExtra);
}

/// v3.0 holds all episodes in one file with one row group each: every episode read returns exactly
/// its own rows (frame count, timestamps from 0, `index` from `dataset_from_index`).
#[test]
fn v30_episode_reads_select_only_the_episode_rows() {
    let (tree, dataset) = open("v30_state_extra");
    for episode in &dataset.episodes {
        let read = read(&tree, &dataset, episode.index, &["index", "frame_index", "episode_index"]);
        let n = episode.length as usize;
        assert_eq!(read.frames, n, "episode {}", episode.index);
        assert_eq!(read.timestamps_secs[0], 0.0);
        let from = episode.dataset_from_index.unwrap() as f64;
        let index = &read.series[0].dimensions[0];
        let expected_index: Vec<f64> = (0..n).map(|i| from + i as f64).collect();
        assert_eq!(index, &expected_index, "episode {}", episode.index);
        let frame_index = &read.series[1].dimensions[0];
        assert_eq!(frame_index, &(0..n).map(|i| i as f64).collect::<Vec<_>>());
        assert!(read.series[2].dimensions[0].iter().all(|&e| e == episode.index as f64));
        // Timestamps step by 1/fps from 0 (float32 in the file).
        for (i, t) in read.timestamps_secs.iter().enumerate() {
            assert!((t - i as f64 / 30.0).abs() < 1e-5, "episode {} frame {i}: {t}", episode.index);
        }
    }
    let episode_3 = read(&tree, &dataset, 3, &["observation.state"]);
    assert_eq!(episode_3.frames, 150);
    assert_eq!(episode_3.series[0].dimensions[0].len(), 150);
}

/// `read_episode_table` gives an episode's rows as stored (Arrow types kept): in v3.0 only that
/// episode's rows of the shared file, every column when no feature is named, the named features
/// plus the index columns otherwise; the same numbers as the plotting reader.
#[test]
fn episode_tables_hold_exactly_the_episode_rows_with_their_stored_types() {
    use arrow_array::cast::AsArray;
    use arrow_array::types::Int64Type;
    use episcope_core::lerobot::read_episode_table;
    for name in ["v30_state_extra", "v21_state_extra", "v20_state_extra"] {
        let (tree, dataset) = open(name);
        for episode in &dataset.episodes {
            let (schema, batches) =
                pollster::block_on(read_episode_table(&tree, &dataset, episode.index, &[])).expect("reads");
            let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
            assert_eq!(rows as u64, episode.length, "{name} episode {}", episode.index);
            assert!(schema.field_with_name("observation.state").is_ok(), "{name}: {schema:?}");
            assert!(schema.field_with_name("episode_index").is_ok());
            for batch in &batches {
                let episodes = batch.column_by_name("episode_index").unwrap().as_primitive::<Int64Type>();
                assert!(episodes.values().iter().all(|&e| e as u64 == episode.index), "{name}");
            }
        }
        let (schema, batches) =
            pollster::block_on(read_episode_table(&tree, &dataset, 3, &["observation.state".to_string()]))
                .expect("reads");
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names[0], "observation.state", "{name}");
        assert!(names.contains(&"timestamp") && names.contains(&"frame_index"), "{name}: {names:?}");
        assert!(batches.iter().all(|b| b.schema() == schema));
        let plotted = read(&tree, &dataset, 3, &["observation.state"]);
        let state: Vec<f64> = batches
            .iter()
            .flat_map(|b| {
                let list = b
                    .column(0)
                    .as_fixed_size_list_opt()
                    .map(|l| l.values().clone())
                    .unwrap_or_else(|| b.column(0).as_list::<i32>().values().clone());
                let values = list.as_primitive::<arrow_array::types::Float32Type>();
                values.values().iter().map(|&v| f64::from(v)).collect::<Vec<_>>()
            })
            .step_by(6)
            .collect();
        assert_eq!(state, plotted.series[0].dimensions[0], "{name}: dimension 0 of episode 3");
        let unknown = pollster::block_on(read_episode_table(&tree, &dataset, 3, &["nope".to_string()]));
        assert!(unknown.is_err());
    }
}

/// `observation.ee_pose` is float32[3, 4] stored as `list<list<float>>`: it flattens row-major to
/// 12 dimensions labelled `observation.ee_pose[r,c]`.
#[test]
fn ee_pose_flattens_to_12_dimensions() {
    // python3 -c "import pyarrow.parquet as pq; t=pq.read_table('v21_state_extra/data/chunk-000/episode_000001.parquet').to_pylist(); print(t[0]['observation.ee_pose'], t[-1]['observation.ee_pose'][2][3])"
    //   -> [[1.0, 0.0, 0.0, -0.3610098659992218], [0.0, 1.0, 0.0, -0.2836858034133911], [0.0, 0.0, 1.0, 0.27306562662124634]] 0.046068452298641205
    let first_row =
        [1.0, 0.0, 0.0, -0.3610098659992218, 0.0, 1.0, 0.0, -0.2836858034133911, 0.0, 0.0, 1.0, 0.27306562662124634];
    for name in ["v21_state_extra", "v30_state_extra"] {
        let (tree, dataset) = open(name);
        let read = read(&tree, &dataset, 1, &["observation.ee_pose"]);
        let ee = &read.series[0];
        assert_eq!(ee.dimensions.len(), 12, "{name}");
        assert_eq!(ee.labels.len(), 12);
        assert_eq!(ee.labels[0], "observation.ee_pose[0,0]");
        assert_eq!(ee.labels[3], "observation.ee_pose[0,3]");
        assert_eq!(ee.labels[11], "observation.ee_pose[2,3]");
        let got: Vec<f64> = ee.dimensions.iter().map(|d| d[0]).collect();
        assert_eq!(got, first_row, "{name}");
        assert_eq!(ee.dimensions[11][179], 0.046068452298641205, "{name}");
    }
}

/// `next.done` (bool) reads as 0/1, `next.reward` (float32 scalar) and `observation.effort`
/// (float64[6]) keep their values.
#[test]
fn bool_scalar_and_float64_columns() {
    // python3 -c "import pyarrow.parquet as pq; t=pq.read_table('v20_state_extra/data/chunk-001/episode_000003.parquet').to_pylist(); print(len(t), sum(r['next.done'] for r in t), [r['next.done'] for r in t][-2:], t[0]['next.reward'], t[-1]['next.reward'], t[0]['observation.effort'][0], t[-1]['observation.effort'][5])"
    //   -> 150 1 [False, True] 0.0 1.0 -0.10163040459156036 -0.6471759676933289
    for name in ["v20_state_extra", "v21_state_extra", "v30_state_extra"] {
        let (tree, dataset) = open(name);
        let read = read(&tree, &dataset, 3, &["next.done", "next.reward", "observation.effort"]);
        assert_eq!(read.frames, 150, "{name}");
        let done = &read.series[0].dimensions;
        assert_eq!(done.len(), 1);
        assert_eq!(read.series[0].labels, ["next.done"]);
        assert!(done[0].iter().all(|&v| v == 0.0 || v == 1.0), "{name}: bools read as 0/1");
        assert_eq!(done[0].iter().sum::<f64>(), 1.0, "{name}");
        assert_eq!(done[0][149], 1.0, "{name}");
        assert_eq!(done[0][148], 0.0, "{name}");
        let reward = &read.series[1].dimensions[0];
        assert_eq!((reward[0], reward[149]), (0.0, 1.0), "{name}");
        let effort = &read.series[2];
        assert_eq!(effort.dimensions.len(), 6);
        assert_eq!(effort.dimensions[0][0], -0.10163040459156036, "{name}");
        assert_eq!(effort.dimensions[5][149], -0.6471759676933289, "{name}");
    }
}

/// Image features hold PNG bytes in the data parquet.
#[test]
fn image_frames_are_png_bytes() {
    // python3 -c "import pyarrow.parquet as pq; t=[r for r in pq.read_table('v30_so101_image/data/chunk-000/file-000.parquet').to_pylist() if r['episode_index']==3]; im=t[10]['observation.images.front']; print(len(im['bytes']), im['bytes'][:8], im['path'])"
    //   -> 397 b'\x89PNG\r\n\x1a\n' frame-000010.png   (v2.x: same bytes, path frame_000010.png)
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    for (name, stored_path) in [("v20_so101_image", "frame_000010.png"), ("v30_so101_image", "frame-000010.png")] {
        let (tree, dataset) = open(name);
        let image = pollster::block_on(read_image_frame(&tree, &dataset, 3, "observation.images.front", 10)).unwrap();
        assert!(image.bytes.starts_with(PNG), "{name}: not PNG bytes");
        assert_eq!(image.bytes.len(), 397, "{name}");
        assert_eq!(image.stored_path.as_deref(), Some(stored_path), "{name}");
        // Python: episode 1 frame 10 is 378 bytes; a different frame gives different bytes.
        let other = pollster::block_on(read_image_frame(&tree, &dataset, 1, "observation.images.front", 10)).unwrap();
        assert_eq!(other.bytes.len(), 378, "{name}");
        let past_end = pollster::block_on(read_image_frame(&tree, &dataset, 3, "observation.images.front", 150));
        assert!(past_end.is_err(), "{name}: frame 150 of a 150-frame episode");
        // Numeric reads refuse image features.
        let refused =
            pollster::block_on(read_episode_frames(&tree, &dataset, 3, &["observation.images.front".to_string()]));
        assert!(refused.is_err(), "{name}");
    }
}

/// Opening a dataset reads `meta/` and parquet footers; reading one feature of one episode adds only
/// that episode's row group of the chosen columns. Together that is less than the data file alone.
#[test]
fn reads_only_what_is_needed() {
    let (tree, dataset) = open("v30_state_extra");
    let data_file = "data/chunk-000/file-000.parquet";
    let after_open = tree.io().bytes_read();
    let read = read(&tree, &dataset, 3, &["observation.state"]);
    assert_eq!(read.frames, 150);
    let total = tree.io().bytes_read();
    let data_size = tree.get(data_file).unwrap().size();
    println!(
        "v30_state_extra: {after_open} bytes read to open, {total} bytes after reading episode 3 \
         (observation.state); data file is {data_size} bytes, dataset {} bytes",
        tree.total_size()
    );
    assert!(total > after_open, "reading an episode must read the data file");
    assert!(total < data_size, "read {total} bytes in all, the data file alone is {data_size} bytes");
}
