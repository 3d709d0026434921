//! Recordings written by independent writers (rosbags, mcap, h5py: `tests/recordings/make_*.py`)
//! converted to LeRobot v3.0 by the suggested mapping: the checker finds nothing in the output,
//! frame counts follow the frame grid, and every value equals the source message at the frame's
//! time (the generators' formulas, computed here).

use std::path::PathBuf;

use episcope_core::check::{check_dataset, CheckOptions, Report};
use episcope_core::convert::{
    convert_recording, suggest_mapping, ConvertError, ConvertSummary, Mapping, OnFlagged, Split, Suggestion,
};
use episcope_core::lerobot::{open_dataset, read_image_frame};
use episcope_core::parquet_io::ParquetFile;
use episcope_core::recording::open_recording;
use episcope_core::writer::MemorySink;
use episcope_core::DatasetTree;
use video_support::{jpeg_camera_frame_at, pil_decoded_frames, JPEG_CAMERA_FRAMES};

mod video_support;

fn fixtures() -> PathBuf {
    std::env::var_os("EPISCOPE_RECORDING_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/recordings")))
}

/// A fixture file or folder as a tree (a file alone under its own name).
fn tree_of(rel: &str) -> DatasetTree {
    let path = fixtures().join(rel);
    if path.is_dir() {
        return DatasetTree::from_dir(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
    }
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let name = rel.rsplit('/').next().unwrap();
    DatasetTree::from_memory([(name.to_string(), bytes::Bytes::from(bytes))]).unwrap()
}

fn suggest(tree: &DatasetTree) -> Suggestion {
    let recording = pollster::block_on(open_recording(tree)).expect("opens");
    pollster::block_on(suggest_mapping(tree, &recording)).expect("suggests")
}

fn convert(tree: &DatasetTree, mapping: &Mapping) -> Result<(ConvertSummary, DatasetTree), ConvertError> {
    let recording = pollster::block_on(open_recording(tree)).expect("opens");
    let mut sink = MemorySink::default();
    let summary = pollster::block_on(convert_recording(tree, &recording, mapping, &mut sink, &mut |_| {}, &|| false))?;
    Ok((summary, sink.into_tree().expect("tree")))
}

fn check(out: &DatasetTree) -> Report {
    pollster::block_on(check_dataset(out, "converted", &CheckOptions::default(), &mut |_| {}))
}

/// One float32 column (`fixed_size_list` rows flattened) of every data file, in order.
fn column(out: &DatasetTree, name: &str) -> Vec<f32> {
    let mut values = Vec::new();
    let mut paths: Vec<String> = out.files().filter(|f| f.path.starts_with("data/")).map(|f| f.path.clone()).collect();
    paths.sort();
    for path in paths {
        let file = out.get(&path).unwrap();
        let parquet = pollster::block_on(ParquetFile::open(file.source.clone(), &path)).expect("parquet");
        for batch in pollster::block_on(parquet.read(&[name], None)).expect("reads") {
            let array = batch.column(0);
            let floats = match array.as_any().downcast_ref::<arrow_array::FixedSizeListArray>() {
                Some(list) => list.values().clone(),
                None => array.clone(),
            };
            let floats = floats.as_any().downcast_ref::<arrow_array::Float32Array>().expect("float32");
            values.extend(floats.values().iter().copied());
        }
    }
    values
}

/// `make_mcap.py` / `make_rosbag*.py`: joint `i` at `i × 10 ms` has position `round(sin(0.1 i + k), 6)`.
fn joint_position(i: usize, k: usize) -> f32 {
    let v = (i as f64 * 0.1 + k as f64).sin();
    ((v * 1e6).round() / 1e6) as f32
}

#[test]
fn every_clean_recording_converts_to_a_dataset_the_checker_passes() {
    for rel in [
        "mcap/joint_zstd.mcap",
        "mcap/joint_lz4.mcap",
        "mcap/no_summary.mcap",
        "rosbag1/lz4.bag",
        "rosbag1/bz2.bag",
        "rosbag2/joint_mcap",
        "rosbag2/split_sqlite3",
        "rosbag2/joint_image",
        "rosbag2/jpeg_camera",
        "hdf5/episode_0.hdf5",
        "hdf5/robomimic.hdf5",
    ] {
        let tree = tree_of(rel);
        let suggestion = suggest(&tree);
        let (summary, out) = convert(&tree, &suggestion.mapping).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let report = check(&out);
        let expected: &[(&str, &str)] = if rel == "hdf5/robomimic.hdf5" {
            // make_hdf5.py holds each demo's end-effector height constant (0.5 + demo): a true
            // observation about the source data, which the converted dataset keeps.
            &[("value.frozen", "observation.robot0_eef_pos")]
        } else {
            &[]
        };
        let found: Vec<(&str, &str)> = report
            .findings
            .iter()
            .map(|f| (f.rule.as_str(), f.location.feature.as_deref().unwrap_or_default()))
            .collect();
        assert_eq!(found, expected, "{rel}: {:#?}", report.findings);
        assert!(summary.written.total_frames > 0, "{rel}");
        let dataset = pollster::block_on(open_dataset(&out, &mut |_| {})).expect("opens as a dataset");
        assert_eq!(dataset.info.total_frames, Some(summary.written.total_frames), "{rel}");
    }
}

#[test]
fn joint_states_at_100_hz_become_100_fps_frames_equal_to_the_messages() {
    let tree = tree_of("mcap/joint_zstd.mcap");
    let suggestion = suggest(&tree);
    let mapping = &suggestion.mapping;
    assert_eq!(mapping.fps, 100);
    let features: Vec<(&str, &str, Option<&str>)> =
        mapping.features.iter().map(|f| (f.name.as_str(), f.stream.as_str(), f.field.as_deref())).collect();
    assert_eq!(features, [("observation.state", "/joint_states", Some("position")), ("action", "/cmd", Some("data"))]);
    assert_eq!(mapping.features[0].names.as_deref(), Some(&["j1".to_string(), "j2".into(), "j3".into()][..]));

    let (summary, out) = convert(&tree, mapping).expect("converts");
    // /cmd runs 0–0.9 s, /joint_states 0–0.99 s: the frames cover both, 0–0.9 s at 10 ms.
    assert_eq!(summary.written.total_frames, 91);
    let state = column(&out, "observation.state");
    assert_eq!(state.len(), 91 * 3);
    for frame in 0..91 {
        for k in 0..3 {
            assert_eq!(state[frame * 3 + k], joint_position(frame, k), "frame {frame}, joint {k}");
        }
    }
    // The action holds the last command: command i (data [i, 2i]) is sent at i × 100 ms.
    let action = column(&out, "action");
    for frame in 0..91 {
        let i = (frame / 10) as f32;
        assert_eq!((action[frame * 2], action[frame * 2 + 1]), (i, 2.0 * i), "frame {frame}");
    }
    let timestamps = column(&out, "timestamp");
    assert_eq!(timestamps[90], 0.9f32);
}

#[test]
fn a_resampled_stream_takes_the_nearest_message_at_each_frame() {
    let tree = tree_of("mcap/joint_zstd.mcap");
    let mut mapping = suggest(&tree).mapping;
    mapping.fps = 30;
    for feature in &mut mapping.features {
        feature.tolerance_secs = Some(0.2);
    }
    let (summary, out) = convert(&tree, &mapping).expect("converts");
    // 0.9 s at 30 fps: frames 0..=27.
    assert_eq!(summary.written.total_frames, 28);
    let state = column(&out, "observation.state");
    for frame in 0..28 {
        // Frame time k/30 s; the nearest joint message is round(k × 100 / 30) (ties: the earlier).
        let nearest = ((frame as f64 * 100.0 / 30.0) + 0.5 - 1e-9).floor() as usize;
        assert_eq!(state[frame * 3], joint_position(nearest, 0), "frame {frame}");
    }
}

#[test]
fn a_frame_no_sample_supports_stops_the_conversion_or_is_listed() {
    // defects/gap.mcap: the 100 Hz joint stream pauses for 0.41 s (messages 100–139 left out, make_defects.py).
    let tree = tree_of("defects/gap.mcap");
    let mut mapping = suggest(&tree).mapping;
    for feature in &mut mapping.features {
        feature.tolerance_secs = Some(1.0 / f64::from(mapping.fps));
    }
    let error = convert(&tree, &mapping).err().expect("a gap beyond the tolerance stops the conversion").to_string();
    assert!(
        error.contains("observation.state") && error.contains("gap.mcap") && error.contains("tolerance"),
        "{error}"
    );

    mapping.episodes.flagged = OnFlagged::Keep;
    let (summary, out) = convert(&tree, &mapping).expect("kept");
    assert!(!summary.flagged.is_empty());
    assert!(check(&out).findings.is_empty());

    // Cut at the pause instead: two episodes, nothing flagged.
    mapping.episodes.flagged = OnFlagged::Error;
    mapping.episodes.split = Split::Gap;
    mapping.episodes.gap_secs = Some(0.2);
    let (summary, out) = convert(&tree, &mapping).expect("split at the gap");
    assert_eq!(summary.written.total_episodes, 2, "{:?}", summary.episodes);
    assert!(summary.flagged.is_empty());
    assert!(check(&out).findings.is_empty(), "{:#?}", check(&out).findings);
}

#[test]
fn a_cancelled_conversion_leaves_no_info_json() {
    let tree = tree_of("rosbag2/split_sqlite3");
    let mapping = suggest(&tree).mapping;
    let recording = pollster::block_on(open_recording(&tree)).expect("opens");
    let mut sink = MemorySink::default();
    let asked = std::cell::Cell::new(0);
    let cancel_after_first = || {
        asked.set(asked.get() + 1);
        asked.get() > 1
    };
    let result =
        pollster::block_on(convert_recording(&tree, &recording, &mapping, &mut sink, &mut |_| {}, &cancel_after_first));
    assert!(matches!(result, Err(ConvertError::Cancelled)), "{result:?}");
    assert!(!sink.into_files().contains_key("meta/info.json"));
}

#[test]
fn a_mapping_naming_a_missing_stream_or_field_says_what_there_is() {
    let tree = tree_of("mcap/joint_zstd.mcap");
    let mut mapping = suggest(&tree).mapping;
    mapping.features[0].field = Some("positon".into());
    let error = convert(&tree, &mapping).err().expect("no such field").to_string();
    assert!(error.contains("positon") && error.contains("position") && error.contains("joint_zstd.mcap"), "{error}");
    mapping.features[0].field = Some("position".into());
    mapping.features[0].stream = "/joint_state".into();
    let error = convert(&tree, &mapping).err().expect("no such stream").to_string();
    assert!(error.contains("/joint_state") && error.contains("/joint_states"), "{error}");
}

#[test]
fn jpeg_camera_frames_become_images_equal_to_pillows_decoding_of_them() {
    let tree = tree_of("rosbag2/jpeg_camera");
    let suggestion = suggest(&tree);
    let camera = suggestion.mapping.cameras.iter().find(|c| c.stream == "/camera/image/compressed");
    let camera = camera.unwrap_or_else(|| panic!("the JPEG camera is not suggested: {:?}", suggestion.notes)).clone();
    assert_eq!(suggestion.mapping.fps, 50, "from the 50 Hz JointState");
    let (_, out) = convert(&tree, &suggestion.mapping).expect("converts");
    let report = check(&out);
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    let dataset = pollster::block_on(open_dataset(&out, &mut |_| {})).expect("opens");
    assert_eq!(dataset.info.total_frames, Some(50));
    let reference = pil_decoded_frames(&fixtures().join("rosbag2/jpeg_camera"));
    let frame_bytes = 32 * 24 * 3;
    let (mut worst, mut worst_mean) = (0u8, 0f64);
    for k in 0..50u64 {
        let nearest = jpeg_camera_frame_at(k as usize);
        let image =
            pollster::block_on(read_image_frame(&out, &dataset, 0, &camera.name, k)).unwrap_or_else(|e| panic!("{e}"));
        let mut decoder = png::Decoder::new(std::io::Cursor::new(image.bytes.as_ref()));
        decoder.set_transformations(png::Transformations::IDENTITY);
        let mut reader = decoder.read_info().expect("a PNG");
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).expect("decodes");
        assert_eq!((info.width, info.height, info.color_type), (32, 24, png::ColorType::Rgb), "frame {k}");
        let mean_diff = |i: usize| {
            pixels.iter().zip(&reference[i]).map(|(a, b)| f64::from(a.abs_diff(*b))).sum::<f64>() / frame_bytes as f64
        };
        worst = worst.max(pixels.iter().zip(&reference[nearest]).map(|(a, b)| a.abs_diff(*b)).max().unwrap());
        worst_mean = worst_mean.max(mean_diff(nearest));
        // The nearest camera frame, not a neighbour (the pattern moves 4 levels of red a frame).
        for other in [nearest.wrapping_sub(1), nearest + 1].into_iter().filter(|&i| i < JPEG_CAMERA_FRAMES) {
            assert!(mean_diff(nearest) < mean_diff(other), "frame {k} looks like camera frame {other}");
        }
    }
    println!("difference from Pillow's decoding over 50 frames: largest {worst} levels, worst mean {worst_mean:.2}");
    // Two decoders of the same JPEG differ by their IDCT rounding and chroma upsampling, not more:
    // measured largest 6 levels, worst mean 0.59.
    assert!(
        worst <= 8 && worst_mean < 1.0,
        "our JPEG decoding differs from Pillow's: {worst} levels, mean {worst_mean}"
    );
}
