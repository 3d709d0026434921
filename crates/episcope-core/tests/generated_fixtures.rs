//! The readers against LeRobot datasets generated in code (see `fixtures/`): storage layouts the
//! official example datasets do not have, and datasets broken on purpose. Each fixture states its
//! defect and the expected outcome beside it.

mod fixtures;

use arrow_schema::DataType;
use episcope_core::lerobot::{read_episode_frames, Dataset, EpisodeError, EpisodeFrames, Problem};
use episcope_core::parquet_io::{ParquetFile, ParquetReadError};
use episcope_core::DatasetTree;
use fixtures::{ee_pose_value, state_value, Fixture, Options, TasksLayout, VectorLayout, Version, CAMERA, FPS, TASKS};

fn read(tree: &DatasetTree, dataset: &Dataset, episode: u64) -> Result<EpisodeFrames, EpisodeError> {
    pollster::block_on(read_episode_frames(tree, dataset, episode, &[]))
}

/// Asserts that `frames` are exactly the rows the fixture wrote for `episode`.
fn assert_episode(options: &Options, frames: &EpisodeFrames, episode: u64) {
    let length = options.lengths[episode as usize] as usize;
    let start = options.start(episode);
    assert_eq!(frames.episode_index, episode);
    assert_eq!(frames.frames, length, "episode {episode}");
    let timestamps: Vec<f64> = (0..length).map(|i| f64::from((i as f64 / FPS) as f32)).collect();
    assert_eq!(frames.timestamps_secs, timestamps, "episode {episode}");
    let names: Vec<&str> = frames.series.iter().map(|s| s.feature.as_str()).collect();
    assert_eq!(names, ["observation.state", "observation.ee_pose", "next.done"]);
    let state = &frames.series[0];
    assert_eq!(state.labels, ["x", "y", "z"]);
    for (d, values) in state.dimensions.iter().enumerate() {
        let expected: Vec<f64> = (0..length as u64).map(|i| state_value(start + i, d)).collect();
        assert_eq!(values, &expected, "episode {episode} state[{d}]");
    }
    let ee = &frames.series[1];
    assert_eq!(
        ee.labels,
        [
            "observation.ee_pose[0,0]",
            "observation.ee_pose[0,1]",
            "observation.ee_pose[1,0]",
            "observation.ee_pose[1,1]"
        ]
    );
    for (flat, values) in ee.dimensions.iter().enumerate() {
        let expected: Vec<f64> = (0..length as u64).map(|i| ee_pose_value(start + i, flat / 2, flat % 2)).collect();
        assert_eq!(values, &expected, "episode {episode} ee_pose dim {flat}");
    }
    let done: Vec<f64> = (0..length).map(|i| if i + 1 == length { 1.0 } else { 0.0 }).collect();
    assert_eq!(frames.series[2].dimensions, vec![done], "episode {episode} next.done");
}

fn assert_all_episodes_read(options: &Options, tree: &DatasetTree, dataset: &Dataset) {
    for episode in 0..options.lengths.len() as u64 {
        let frames = read(tree, dataset, episode).unwrap_or_else(|e| panic!("episode {episode}: {e}"));
        assert_episode(options, &frames, episode);
    }
}

fn assert_metadata(options: &Options, dataset: &Dataset) {
    let lengths: Vec<u64> = dataset.episodes.iter().map(|e| e.length).collect();
    assert_eq!(lengths, options.lengths);
    let tasks: Vec<&str> = dataset.tasks.iter().map(|t| t.text.as_str()).collect();
    assert_eq!(tasks, TASKS);
    for episode in &dataset.episodes {
        assert_eq!(episode.data_file.as_deref(), Some(options.data_path(episode.index).as_str()));
        assert_eq!(episode.tasks, [TASKS[options.task_of(episode.index) as usize]]);
    }
}

fn column_type(tree: &DatasetTree, path: &str, column: &str) -> DataType {
    let file = tree.get(path).unwrap();
    let parquet = pollster::block_on(ParquetFile::open(file.source.clone(), path)).unwrap();
    parquet.schema().field_with_name(column).unwrap().data_type().clone()
}

fn row_groups(tree: &DatasetTree, path: &str) -> usize {
    let file = tree.get(path).unwrap();
    pollster::block_on(ParquetFile::open(file.source.clone(), path)).unwrap().num_row_groups()
}

fn problem(path: &str, message: &str) -> Problem {
    // The checker rule follows from the message, as the reader assigns it.
    let rule = if message.starts_with("data file is missing") {
        "file.data-missing"
    } else if message.starts_with("video file is missing") {
        "file.video-missing"
    } else if message.contains("as data_path says") {
        "file.misplaced"
    } else {
        "meta.unreadable"
    };
    Problem {
        rule: rule.into(),
        // Missing files name their episode.
        episode: message.rsplit_once("for episode ").and_then(|(_, e)| e.parse().ok()),
        path: path.to_string(),
        message: message.to_string(),
    }
}

#[test]
fn list_and_fixed_size_list_vectors_give_identical_frames() {
    for version in [Version::V2_1, Version::V3_0] {
        let base = match version {
            Version::V2_1 => Options::v21(&[4, 6, 5]),
            Version::V3_0 => Options::v30(&[4, 6, 5]),
        };
        // No defect: `list<float>` / `list<list<float>>` → same frames as the fixed_size_list layout.
        let as_list = Options { vectors: VectorLayout::List, ..base.clone() };
        // No defect: `fixed_size_list<float>[3]` / `fixed_size_list<fixed_size_list<float>[2]>[2]`.
        let as_fixed = Options { vectors: VectorLayout::FixedSizeList, ..base.clone() };
        let (list_tree, list_dataset) = Fixture::build(&as_list).open();
        let (fixed_tree, fixed_dataset) = Fixture::build(&as_fixed).open();
        assert_eq!(list_dataset.problems, [], "{version:?}");
        assert_eq!(fixed_dataset.problems, [], "{version:?}");
        assert_metadata(&as_list, &list_dataset);

        // The two fixtures really store different Arrow types.
        let path = as_list.data_path(0);
        assert!(matches!(column_type(&list_tree, &path, "observation.state"), DataType::List(_)));
        assert!(matches!(column_type(&fixed_tree, &path, "observation.state"), DataType::FixedSizeList(_, 3)));
        match column_type(&fixed_tree, &path, "observation.ee_pose") {
            DataType::FixedSizeList(inner, 2) => assert!(matches!(inner.data_type(), DataType::FixedSizeList(_, 2))),
            other => panic!("{other}"),
        }

        for episode in 0..3 {
            let a = read(&list_tree, &list_dataset, episode).unwrap();
            let b = read(&fixed_tree, &fixed_dataset, episode).unwrap();
            assert_eq!(a, b, "{version:?} episode {episode}");
            assert_episode(&as_list, &a, episode);
        }
    }
}

#[test]
fn v30_episodes_spread_over_two_chunks_of_two_files() {
    // No defect: 11 episodes, 3 per file (the last file 2), 2 files per chunk folder, one row group
    // per episode → every episode reads exactly its own rows, fetching only its row group.
    let options = Options { chunks_size: 2, episodes_per_file: 3, ..Options::v30(&[5, 7, 3, 8, 4, 6, 9, 2, 6, 5, 4]) };
    let fixture = Fixture::build(&options);
    let (tree, dataset) = fixture.open();
    assert_eq!(dataset.problems, []);
    assert_metadata(&options, &dataset);
    let files = [
        "data/chunk-000/file-000.parquet",
        "data/chunk-000/file-001.parquet",
        "data/chunk-001/file-000.parquet",
        "data/chunk-001/file-001.parquet",
    ];
    assert_eq!(dataset.data_files, files);
    let expected = [(0, 0), (2, 0), (3, 1), (5, 1), (6, 2), (8, 2), (9, 3), (10, 3)];
    for (episode, file) in expected {
        assert_eq!(dataset.episode(episode).unwrap().data_file.as_deref(), Some(files[file]), "episode {episode}");
    }
    for (file, count) in files.iter().zip([3, 3, 3, 2]) {
        assert_eq!(row_groups(&tree, file), count, "{file}");
    }
    let ranges: Vec<(Option<u64>, Option<u64>)> =
        dataset.episodes.iter().map(|e| (e.dataset_from_index, e.dataset_to_index)).collect();
    assert_eq!(ranges[3], (Some(15), Some(23)));
    assert_eq!(ranges[10], (Some(55), Some(59)));
    assert_all_episodes_read(&options, &tree, &dataset);

    // Episode 4 is the middle row group of data/chunk-000/file-001.parquet: reading it fetches the
    // footer (8-byte tail + metadata) and at most that row group's column chunks.
    let path = files[1];
    let bytes = &fixture.files[path];
    let footer = 8 + u32::from_le_bytes(bytes[bytes.len() - 8..bytes.len() - 4].try_into().unwrap()) as u64;
    let parquet = pollster::block_on(ParquetFile::open(tree.get(path).unwrap().source.clone(), path)).unwrap();
    let row_group_bytes = parquet.metadata().row_group(1).compressed_size() as u64;
    let before = tree.io().bytes_read();
    assert_episode(&options, &read(&tree, &dataset, 4).unwrap(), 4);
    let fetched = tree.io().bytes_read() - before;
    assert!(
        fetched <= footer + row_group_bytes && fetched < bytes.len() as u64,
        "fetched {fetched} bytes; footer {footer}, row group {row_group_bytes}, file {}",
        bytes.len()
    );
}

#[test]
fn v30_episodes_sharing_a_row_group_are_filtered_by_episode_index() {
    // Layout variant: one row group per file holding 3 episodes (some converters) → rows are
    // selected by `episode_index`, not by row group.
    let options = Options {
        chunks_size: 2,
        episodes_per_file: 3,
        row_group_per_episode: false,
        ..Options::v30(&[5, 7, 3, 8, 4, 6])
    };
    let (tree, dataset) = Fixture::build(&options).open();
    assert_eq!(dataset.problems, []);
    assert_eq!(row_groups(&tree, "data/chunk-000/file-000.parquet"), 1);
    assert_eq!(row_groups(&tree, "data/chunk-000/file-001.parquet"), 1);
    assert_all_episodes_read(&options, &tree, &dataset);
}

#[test]
fn v30_without_footer_statistics_still_selects_the_episode_rows() {
    // Defect: data files written without min/max statistics, so row groups cannot be chosen from the
    // footer → all row groups are read and rows filtered; every episode still reads exactly.
    let options = Options { chunks_size: 2, episodes_per_file: 2, statistics: false, ..Options::v30(&[5, 7, 3, 8, 4]) };
    let (tree, dataset) = Fixture::build(&options).open();
    assert_eq!(dataset.problems, []);
    assert_all_episodes_read(&options, &tree, &dataset);
}

#[test]
fn v21_with_several_chunk_folders() {
    // No defect: chunks_size 2 puts 5 episodes in chunk-000, chunk-001, chunk-002.
    let options = Options { chunks_size: 2, ..Options::v21(&[4, 5, 6, 7, 8]) };
    let (tree, dataset) = Fixture::build(&options).open();
    assert_eq!(dataset.problems, []);
    assert_metadata(&options, &dataset);
    assert_eq!(dataset.episode(2).unwrap().data_file.as_deref(), Some("data/chunk-001/episode_000002.parquet"));
    assert_eq!(dataset.episode(4).unwrap().data_file.as_deref(), Some("data/chunk-002/episode_000004.parquet"));
    assert_all_episodes_read(&options, &tree, &dataset);
}

#[test]
fn v21_missing_data_file_is_a_problem_and_the_rest_reads() {
    // Defect: episode 1's data file is missing → one Problem naming that path; episode 1 has no
    // data file; the other episodes read normally.
    let options = Options::v21(&[4, 5, 6]);
    let mut fixture = Fixture::build(&options);
    let missing = options.data_path(1);
    fixture.remove(&missing);
    let (tree, dataset) = fixture.open();
    assert_eq!(dataset.problems, [problem(&missing, "data file is missing for episode 1")]);
    assert_eq!(dataset.episodes.len(), 3);
    assert_eq!(dataset.episode(1).unwrap().data_file, None);
    assert_eq!(read(&tree, &dataset, 1).unwrap_err(), EpisodeError::NoDataFile { episode: 1 });
    assert_episode(&options, &read(&tree, &dataset, 0).unwrap(), 0);
    assert_episode(&options, &read(&tree, &dataset, 2).unwrap(), 2);
}

#[test]
fn v30_missing_data_file_is_a_problem_and_the_rest_reads() {
    // Defect: data/chunk-001/file-000.parquet (episodes 4 and 5) is missing → Problems naming that
    // path for both episodes; the episodes of the other three files read normally.
    let options = Options { chunks_size: 2, episodes_per_file: 2, ..Options::v30(&[5, 7, 3, 8, 4, 6, 9, 2]) };
    let mut fixture = Fixture::build(&options);
    let missing = "data/chunk-001/file-000.parquet";
    fixture.remove(missing);
    let (tree, dataset) = fixture.open();
    assert_eq!(
        dataset.problems,
        [
            problem(missing, "data file is missing for episode 4"),
            problem(missing, "data file is missing for episode 5")
        ]
    );
    assert_eq!(dataset.episodes.len(), 8);
    for episode in 0..8 {
        match episode {
            4 | 5 => assert_eq!(read(&tree, &dataset, episode).unwrap_err(), EpisodeError::NoDataFile { episode }),
            _ => assert_episode(&options, &read(&tree, &dataset, episode).unwrap(), episode),
        }
    }
}

#[test]
fn truncated_parquet_fails_the_read_naming_the_file() {
    for version in [Version::V2_1, Version::V3_0] {
        let options = match version {
            Version::V2_1 => Options::v21(&[40, 50, 60]),
            Version::V3_0 => Options { chunks_size: 2, episodes_per_file: 1, ..Options::v30(&[40, 50, 60]) },
        };
        // Defect: episode 1's data file cut in half (interrupted download) → the dataset opens,
        // reading episode 1 fails with an error naming the file, episodes 0 and 2 read.
        let mut fixture = Fixture::build(&options);
        let broken = options.data_path(1);
        let bytes = fixture.files[&broken].clone();
        fixture.replace(&broken, bytes.slice(..bytes.len() / 2));
        let (tree, dataset) = fixture.open();
        assert_eq!(dataset.problems, [], "{version:?}");
        let err = read(&tree, &dataset, 1).unwrap_err();
        assert_eq!(err, EpisodeError::Parquet(ParquetReadError::NoMagic { path: broken.clone() }), "{version:?}");
        assert!(err.to_string().contains(&broken), "{err}");
        assert_episode(&options, &read(&tree, &dataset, 0).unwrap(), 0);
        assert_episode(&options, &read(&tree, &dataset, 2).unwrap(), 2);
    }
}

#[test]
fn git_lfs_pointer_instead_of_parquet_fails_the_read_naming_the_file() {
    // Defect: the data file is a Git LFS pointer (repository cloned without LFS) → reading episode 0
    // fails with an error naming the file and suggesting LFS; the dataset still opens.
    let options = Options::v21(&[4, 5]);
    let mut fixture = Fixture::build(&options);
    let pointer = "version https://git-lfs.github.com/spec/v1\n\
                   oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 123456\n";
    let path = options.data_path(0);
    fixture.replace(&path, pointer.as_bytes().to_vec());
    let (tree, dataset) = fixture.open();
    assert_eq!(dataset.problems, []);
    let err = read(&tree, &dataset, 0).unwrap_err();
    assert!(matches!(&err, EpisodeError::Parquet(ParquetReadError::NoMagic { path: p }) if *p == path), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&path) && message.contains("Git LFS"), "{message}");
    assert_episode(&options, &read(&tree, &dataset, 1).unwrap(), 1);
}

#[test]
fn corrupt_column_data_fails_the_read_naming_the_file() {
    // Defect: footer intact, but the column data (everything between the leading magic and the
    // footer) overwritten with garbage → reading fails with an error naming the file, no panic.
    for garbage in [0x00u8, 0xff, 0x5a] {
        let options = Options::v21(&[40, 50]);
        let mut fixture = Fixture::build(&options);
        let path = options.data_path(0);
        let mut bytes = fixture.files[&path].to_vec();
        let footer_len = u32::from_le_bytes(bytes[bytes.len() - 8..bytes.len() - 4].try_into().unwrap()) as usize;
        let data_end = bytes.len() - 8 - footer_len;
        bytes[4..data_end].fill(garbage);
        fixture.replace(&path, bytes);
        let (tree, dataset) = fixture.open();
        let err = read(&tree, &dataset, 0).unwrap_err();
        assert!(err.to_string().contains(&path), "garbage {garbage:#x}: {err}");
        assert_episode(&options, &read(&tree, &dataset, 1).unwrap(), 1);
    }
}

#[test]
fn v21_missing_episodes_jsonl_lists_episodes_from_data_files() {
    // Defect: meta/episodes.jsonl is missing → episodes (and their lengths) come from the data files'
    // names and footers, with Problems saying so; videos are still located; frames read.
    let options = Options { chunks_size: 2, video: true, ..Options::v21(&[4, 5, 6]) };
    let mut fixture = Fixture::build(&options);
    fixture.remove("meta/episodes.jsonl");
    let (tree, dataset) = fixture.open();
    assert_eq!(
        dataset.problems,
        [
            problem("meta/episodes.jsonl", "file is missing"),
            problem(
                "meta/episodes.jsonl",
                "episodes were listed from 3 data files instead (tasks per episode unknown)"
            ),
        ]
    );
    let lengths: Vec<u64> = dataset.episodes.iter().map(|e| e.length).collect();
    assert_eq!(lengths, [4, 5, 6]);
    for episode in &dataset.episodes {
        assert_eq!(episode.data_file.as_deref(), Some(options.data_path(episode.index).as_str()));
        assert!(episode.tasks.is_empty());
        let videos: Vec<(&str, &str, bool)> =
            episode.videos.iter().map(|v| (v.feature.as_str(), v.path.as_str(), v.present)).collect();
        let expected = options.video_path(episode.index);
        assert_eq!(videos, [(CAMERA, expected.as_str(), true)], "episode {}", episode.index);
    }
    assert_all_episodes_read(&options, &tree, &dataset);
}

#[test]
fn v21_missing_video_is_a_problem() {
    // Defect: one mp4 missing → a Problem naming it, the video marked absent, frames still read.
    let options = Options { video: true, ..Options::v21(&[4, 5]) };
    let mut fixture = Fixture::build(&options);
    let missing = options.video_path(1);
    fixture.remove(&missing);
    let (tree, dataset) = fixture.open();
    assert_eq!(dataset.problems, [problem(&missing, "video file is missing for episode 1")]);
    assert!(dataset.episode(0).unwrap().videos[0].present);
    assert!(!dataset.episode(1).unwrap().videos[0].present);
    assert_all_episodes_read(&options, &tree, &dataset);
}

#[test]
fn v30_videos_located_by_timestamps() {
    // No defect: all episodes in one mp4 per camera, located by from/to timestamps.
    let options = Options { video: true, ..Options::v30(&[30, 60, 15]) };
    let (_, dataset) = Fixture::build(&options).open();
    assert_eq!(dataset.problems, []);
    let spans: Vec<(f64, Option<f64>, bool)> = dataset
        .episodes
        .iter()
        .map(|e| (e.videos[0].from_timestamp_secs, e.videos[0].to_timestamp_secs, e.videos[0].present))
        .collect();
    assert_eq!(spans, [(0.0, Some(1.0), true), (1.0, Some(3.0), true), (3.0, Some(3.5), true)]);
    assert!(dataset.episodes.iter().all(|e| e.videos[0].path == options.video_path(0)));
}

#[test]
fn v30_tasks_parquet_shapes_seen_in_the_wild() {
    for layout in [TasksLayout::Column, TasksLayout::PandasIndex, TasksLayout::LargeString] {
        // Variant: task text as `task` (string), as the pandas index `__index_level_0__`, or as
        // `task` large_string → the same three tasks, no problems.
        let options = Options { tasks: layout, ..Options::v30(&[3, 4]) };
        let (_, dataset) = Fixture::build(&options).open();
        assert_eq!(dataset.problems, [], "{layout:?}");
        let tasks: Vec<(u64, &str)> = dataset.tasks.iter().map(|t| (t.index, t.text.as_str())).collect();
        assert_eq!(tasks, [(0, TASKS[0]), (1, TASKS[1]), (2, TASKS[2])], "{layout:?}");
    }
}

#[test]
fn v30_tasks_parquet_without_text_column_is_a_problem() {
    // Defect: tasks.parquet has only `task_index` → a Problem naming meta/tasks.parquet, no tasks,
    // episodes and frames still read.
    let options = Options::v30(&[3, 4]);
    let mut fixture = Fixture::build(&options);
    let batch = arrow_array::RecordBatch::try_from_iter([(
        "task_index",
        std::sync::Arc::new(arrow_array::Int64Array::from(vec![0, 1, 2])) as arrow_array::ArrayRef,
    )])
    .unwrap();
    fixture.replace("meta/tasks.parquet", fixtures::write_parquet(&[vec![batch]], true));
    let (tree, dataset) = fixture.open();
    assert_eq!(dataset.problems.len(), 1, "{:?}", dataset.problems);
    assert_eq!(dataset.problems[0].path, "meta/tasks.parquet");
    assert!(dataset.problems[0].message.contains("no `task` column"), "{:?}", dataset.problems);
    assert!(dataset.tasks.is_empty());
    assert_all_episodes_read(&options, &tree, &dataset);
}

#[test]
fn v30_truncated_episode_metadata_is_a_problem() {
    // Defect: meta/episodes/chunk-000/file-000.parquet cut in half → the dataset still opens (tasks,
    // info), with a Problem naming that file and no episodes.
    let options = Options::v30(&[3, 4]);
    let mut fixture = Fixture::build(&options);
    let path = "meta/episodes/chunk-000/file-000.parquet";
    let bytes = fixture.files[path].clone();
    fixture.replace(path, bytes.slice(..bytes.len() / 2));
    let (_, dataset) = fixture.open();
    assert_eq!(dataset.problems.len(), 1, "{:?}", dataset.problems);
    assert_eq!(dataset.problems[0].path, path);
    assert!(dataset.problems[0].message.contains("not a parquet file"), "{:?}", dataset.problems);
    assert!(dataset.episodes.is_empty());
    assert_eq!(dataset.tasks.len(), 3);
}

#[test]
fn data_files_away_from_the_template_are_found_on_disk() {
    // Defect: chunks_size 2 says episodes 2–4 live in chunk-001/chunk-002, but every file sits in
    // chunk-000 → each is found by its episode_NNNNNN name, with a Problem naming where it was
    // found and where data_path expected it; all episodes read.
    let options = Options { chunks_size: 2, ..Options::v21(&[4, 5, 6, 7, 8]) };
    let mut fixture = Fixture::build(&options);
    for episode in 2..5 {
        fixture.rename(&options.data_path(episode), &format!("data/chunk-000/episode_{episode:06}.parquet"));
    }
    let (tree, dataset) = fixture.open();
    let expected: Vec<Problem> = (2..5)
        .map(|e| {
            problem(
                &format!("data/chunk-000/episode_{e:06}.parquet"),
                &format!("episode {e} found here, not at {} as data_path says", options.data_path(e)),
            )
        })
        .collect();
    assert_eq!(dataset.problems, expected);
    for episode in 0..5 {
        let found = format!("data/chunk-000/episode_{episode:06}.parquet");
        assert_eq!(dataset.episode(episode).unwrap().data_file.as_deref(), Some(found.as_str()));
        assert_episode(&options, &read(&tree, &dataset, episode).unwrap(), episode);
    }

    // Defect: a flat layout, every file directly in data/ → the same, for all episodes.
    let options = Options::v21(&[4, 5]);
    let mut fixture = Fixture::build(&options);
    for episode in 0..2 {
        fixture.rename(&options.data_path(episode), &format!("data/episode_{episode:06}.parquet"));
    }
    let (tree, dataset) = fixture.open();
    assert_eq!(dataset.problems.len(), 2, "{:?}", dataset.problems);
    assert_eq!(dataset.problems[0].path, "data/episode_000000.parquet");
    assert_all_episodes_read(&options, &tree, &dataset);
}

#[test]
fn footer_with_impossible_column_offsets_fails_the_read_naming_the_file() {
    let options = Options::v21(&[40, 50]);
    let path = options.data_path(0);
    // Defect: the footer gives observation.state a negative offset → a Metadata error naming the
    // file (the parquet crate's `byte_range` would panic on it), episode 1 still reads.
    let negative = |c: parquet::file::metadata::ColumnChunkMetaDataBuilder| {
        c.set_data_page_offset(-64).set_dictionary_page_offset(Some(-64))
    };
    // Defect: the footer puts observation.state past the end of the file → the same.
    let past_end = |c: parquet::file::metadata::ColumnChunkMetaDataBuilder| {
        c.set_data_page_offset(1 << 40).set_dictionary_page_offset(Some(1 << 40))
    };
    // Defect: a negative compressed size → the same.
    let negative_size = |c: parquet::file::metadata::ColumnChunkMetaDataBuilder| c.set_total_compressed_size(-1);
    let edits: [&dyn Fn(_) -> _; 3] = [&negative, &past_end, &negative_size];
    for (case, edit) in edits.into_iter().enumerate() {
        let mut fixture = Fixture::build(&options);
        let bytes = fixture.files[&path].clone();
        fixture.replace(&path, fixtures::rewrite_column_chunk(&bytes, 0, 0, edit));
        let (tree, dataset) = fixture.open();
        let err = read(&tree, &dataset, 0).unwrap_err();
        assert!(
            matches!(&err, EpisodeError::Parquet(ParquetReadError::Metadata { path: p, .. }) if *p == path),
            "case {case}: {err:?}"
        );
        assert!(err.to_string().contains(&path), "case {case}: {err}");
        // Columns whose chunks are intact still read from the same file.
        let done = pollster::block_on(read_episode_frames(&tree, &dataset, 0, &["next.done".to_string()])).unwrap();
        assert_eq!(done.frames, 40, "case {case}");
        assert_episode(&options, &read(&tree, &dataset, 1).unwrap(), 1);
    }
}

#[test]
fn random_byte_corruption_never_panics_and_errors_name_the_file() {
    // Defect: 1–8 random bytes of one parquet file overwritten (seeded, half of the runs aimed at the
    // footer) → opening and reading every episode never panics; every error names the damaged file.
    let mut state = 0x5eed_u64;
    let mut next = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        state >> 33
    };
    let mut errors = 0;
    let layouts =
        [Options::v21(&[40, 50]), Options { chunks_size: 2, episodes_per_file: 2, ..Options::v30(&[40, 50, 30]) }];
    for options in &layouts {
        let pristine = Fixture::build(options);
        let targets: Vec<&String> = pristine.files.keys().filter(|p| p.ends_with(".parquet")).collect();
        for target in targets {
            for run in 0..150 {
                let mut bytes = pristine.files[target].to_vec();
                let len = bytes.len();
                for _ in 0..1 + next() % 8 {
                    let pos =
                        if run % 2 == 0 { len - 1 - next() as usize % len.min(600) } else { next() as usize % len };
                    bytes[pos] = next() as u8;
                }
                let mut fixture = pristine.clone();
                fixture.replace(target, bytes);
                let tree = fixture.tree();
                let dataset = pollster::block_on(episcope_core::lerobot::open_dataset(&tree, &mut |_| {})).unwrap();
                for problem in &dataset.problems {
                    assert_eq!(&problem.path, target, "{problem:?}");
                }
                for episode in &dataset.episodes {
                    if let Err(e) = read(&tree, &dataset, episode.index) {
                        errors += 1;
                        let message = e.to_string();
                        assert!(
                            message.contains(target.as_str()) || matches!(e, EpisodeError::NoDataFile { .. }),
                            "{message}"
                        );
                    }
                }
            }
        }
    }
    assert!(errors > 100, "the corruption should break many reads, broke {errors}");
}
