//! Schema-driven decoding of recordings written by independent writers (Python `rosbags`, `mcap`):
//! every JointState read back equals what the fixture scripts wrote, with the joint names as
//! dimension names; and `open_recording` summarises each kind of file.

use std::path::PathBuf;
use std::sync::Arc;

use episcope_core::formats::ros_msg::decode_stream;
use episcope_core::formats::{mcap, rosbag1, rosbag2};
use episcope_core::recording::{open_recording, RecordingFormat, StreamSeries};
use episcope_core::{DatasetTree, MemorySource};

fn fixtures() -> PathBuf {
    std::env::var_os("EPISCOPE_RECORDING_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/recordings")))
}

fn source(path: &str) -> MemorySource {
    let full = fixtures().join(path);
    MemorySource::new(std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display())))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

fn field<'a>(series: &'a StreamSeries, name: &str) -> &'a episcope_core::recording::NumericField {
    series.fields.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("no field {name}"))
}

fn assert_joint_states(series: &StreamSeries, names: [&str; 3], position: impl Fn(usize) -> [f64; 3]) {
    assert_eq!(series.times_ns.len(), 100);
    let pos = field(series, "position");
    assert_eq!(pos.dimension_names, names.map(String::from).to_vec());
    assert_eq!(pos.width, 3);
    for i in 0..100 {
        let want = position(i);
        for (k, w) in want.iter().enumerate() {
            let got = pos.values[i * 3 + k];
            assert!(close(got, *w), "message {i} joint {k}: {got} vs {w}");
        }
    }
    assert!(series.times_ns.windows(2).all(|w| w[0] <= w[1]));
    assert!(series.fields.iter().all(|f| !f.name.starts_with("header.")));
}

#[test]
fn ros1_joint_states_decode_to_the_written_values_in_every_compression() {
    for bag in ["plain.bag", "bz2.bag", "lz4.bag", "chunked_lz4.bag"] {
        let src = source(&format!("rosbag1/{bag}"));
        let summary = pollster::block_on(rosbag1::read_summary(&src)).unwrap();
        let channel = summary.channels.iter().find(|c| c.topic == "/joint_states").unwrap();
        let messages = pollster::block_on(rosbag1::read_messages(&src, &summary, Some(&[channel.id]))).unwrap();
        let series = decode_stream(channel, &messages).unwrap();
        assert_joint_states(&series, ["shoulder", "elbow", "wrist"], |i| {
            let t = i as f64 / 100.0;
            [t.sin(), t.cos(), 0.5 * t]
        });
        let effort = field(&series, "effort");
        assert!(close(effort.values[7 * 3], 0.7));
        let cmd = summary.channels.iter().find(|c| c.topic == "/cmd").unwrap();
        let cmd_messages = pollster::block_on(rosbag1::read_messages(&src, &summary, Some(&[cmd.id]))).unwrap();
        let cmd_series = decode_stream(cmd, &cmd_messages).unwrap();
        let data = field(&cmd_series, "data");
        assert_eq!(data.width, 3, "{bag}");
        let want_rows = if bag == "chunked_lz4.bag" { 2 } else { 10 };
        assert_eq!(cmd_series.times_ns.len(), want_rows, "{bag}");
        let last = want_rows - 1;
        let want = [0.01 * last as f64, 0.02 * last as f64, -0.03 * last as f64];
        for (k, w) in want.iter().enumerate() {
            assert!(close(data.values[last * 3 + k], *w), "{bag}: {:?}", &data.values[last * 3..]);
        }
    }
}

#[test]
fn rosbag2_sqlite_joint_states_decode_from_the_embedded_definitions() {
    let src = source("rosbag2/joint_image/joint_image.db3");
    let summary = pollster::block_on(rosbag2::read_db3_summary(&src)).unwrap();
    let channel = summary.channels.iter().find(|c| c.topic == "/joint_states").unwrap();
    assert_eq!(channel.schema_encoding, "ros2msg");
    let messages = pollster::block_on(rosbag2::read_db3_messages(&src, &summary, Some(&[channel.id]))).unwrap();
    let series = decode_stream(channel, &messages).unwrap();
    assert_joint_states(&series, ["shoulder", "elbow", "wrist"], |i| {
        let x = i as f64 * 0.01;
        [x.sin(), x.cos(), x]
    });
    // Effort is empty in every message: no field.
    assert!(series.fields.iter().all(|f| f.name != "effort"));
}

#[test]
fn mcap_joint_states_decode_in_every_chunk_compression_and_without_a_summary() {
    let dir = fixtures().join("mcap");
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).expect("mcap/expected.json")).unwrap();
    for name in ["joint_zstd.mcap", "joint_lz4.mcap", "joint_none.mcap", "no_summary.mcap"] {
        let src = source(&format!("mcap/{name}"));
        let summary = pollster::block_on(mcap::read_mcap_summary(&src)).unwrap();
        assert_eq!(summary.indexed, name != "no_summary.mcap", "{name}");
        let channel = summary.channels.iter().find(|c| c.topic == "/joint_states").unwrap();
        assert_eq!(summary.message_counts[&channel.id], 100, "{name}");
        let messages = pollster::block_on(mcap::read_mcap_messages(&src, &summary, Some(&[channel.id]))).unwrap();
        assert_eq!(messages.first().map(|m| m.log_time_ns), Some(1_700_000_000_000_000_000));
        let series = decode_stream(channel, &messages).unwrap();
        assert_joint_states(&series, ["j1", "j2", "j3"], |i| {
            [0.0, 1.0, 2.0].map(|k: f64| ((i as f64 * 0.1 + k).sin() * 1e6).round() / 1e6)
        });
        let velocity = field(&series, "velocity");
        assert_eq!(&velocity.values[99 * 3..], &[99.0, -99.0, 49.5]);
        let _ = &expected;
    }
}

#[test]
fn ros2idl_schemas_decode_to_the_values_mcap_ros2_serialised() {
    let dir = fixtures().join("mcap");
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
    let expected = &expected["ros2idl.mcap"];
    let src = source("mcap/ros2idl.mcap");
    let summary = pollster::block_on(mcap::read_mcap_summary(&src)).unwrap();
    let messages = pollster::block_on(mcap::read_mcap_messages(&src, &summary, None)).unwrap();
    let channel = |topic: &str| summary.channels.iter().find(|c| c.topic == topic).unwrap();
    assert_eq!(channel("/joint_states").schema_encoding, "ros2idl");
    let joints = decode_stream(channel("/joint_states"), &messages).unwrap();
    let position = field(&joints, "position");
    assert_eq!(position.dimension_names, ["j1", "j2", "j3"]);
    for i in [0usize, 19] {
        let want: Vec<f64> =
            serde_json::from_value(expected["joint_states"][i.to_string()]["position"].clone()).unwrap();
        assert_eq!(&position.values[i * 3..i * 3 + 3], want.as_slice(), "joint state {i}");
    }
    // The custom type: a typedef'd double[9], int16[3], a bounded float sequence, a bool, a nested Time.
    let calibration = decode_stream(channel("/calibration"), &messages).unwrap();
    assert_eq!(calibration.times_ns.len(), 4);
    for i in [0usize, 3] {
        let want = &expected["calibration"][i.to_string()];
        let numbers = |name: &str| field(&calibration, name).values.clone();
        let width = |name: &str| field(&calibration, name).width;
        let row = |name: &str| numbers(name)[i * width(name)..(i + 1) * width(name)].to_vec();
        let json = |v: &serde_json::Value| -> Vec<f64> { serde_json::from_value(v.clone()).unwrap() };
        assert_eq!(row("matrix"), json(&want["matrix"]), "calibration {i}");
        assert_eq!(row("offsets"), json(&want["offsets"]), "calibration {i}");
        assert_eq!(row("gains"), json(&want["gains"]), "calibration {i}");
        assert_eq!(row("mode"), [want["mode"].as_f64().unwrap()]);
        assert_eq!(row("valid"), [if want["valid"].as_bool().unwrap() { 1.0 } else { 0.0 }]);
        assert_eq!(row("stamp.sec"), [want["stamp"]["sec"].as_f64().unwrap()]);
    }
}

#[test]
fn open_recording_summarises_bags_sqlite_and_hdf5() {
    let mut tree = DatasetTree::new();
    for path in ["rosbag1/lz4.bag", "rosbag2/joint_image/joint_image.db3", "hdf5/robomimic.hdf5"] {
        tree.insert(path, Arc::new(source(path))).unwrap();
    }
    let recording = pollster::block_on(open_recording(&tree)).unwrap();
    assert_eq!(recording.episodes.len(), 4, "one bag, one db3, two robomimic demos");
    assert_eq!(
        recording.formats,
        vec![RecordingFormat::Hdf5Robomimic, RecordingFormat::Rosbag1, RecordingFormat::Rosbag2Sqlite]
    );
    let frames: Vec<u64> = recording.episodes.iter().map(|e| e.frames).collect();
    assert_eq!(frames, vec![30, 20, 100, 100]);
    let joints: u64 = recording.streams.iter().filter(|s| s.name == "/joint_states").map(|s| s.messages).sum();
    assert_eq!(joints, 200);
    // A broken file names itself.
    let mut broken = DatasetTree::new();
    broken.insert("bad.mcap", Arc::new(MemorySource::new(vec![0u8; 64]))).unwrap();
    let err = pollster::block_on(open_recording(&broken)).unwrap_err().to_string();
    assert!(err.contains("bad.mcap"), "{err}");
}

#[test]
fn a_rosbag2_mcap_folder_opens_as_rosbag2_and_its_joint_states_decode() {
    let dir = "rosbag2/joint_mcap";
    let mut tree = DatasetTree::new();
    for name in ["metadata.yaml", "joint_mcap.mcap"] {
        tree.insert(&format!("{dir}/{name}"), Arc::new(source(&format!("{dir}/{name}")))).unwrap();
    }
    let recording = pollster::block_on(open_recording(&tree)).unwrap();
    assert_eq!(recording.formats, vec![RecordingFormat::Rosbag2Mcap]);
    let counts: Vec<(&str, u64)> = recording.streams.iter().map(|s| (s.name.as_str(), s.messages)).collect();
    assert_eq!(counts, [("/camera/image_raw", 10), ("/joint_states", 100)]);
    // The same MCAP beside a metadata.yaml that does not list it is a plain MCAP.
    let mut unlisted = DatasetTree::new();
    unlisted.insert("metadata.yaml", Arc::new(source("rosbag2/joint_image/metadata.yaml"))).unwrap();
    unlisted.insert("other.mcap", Arc::new(source(&format!("{dir}/joint_mcap.mcap")))).unwrap();
    let plain = pollster::block_on(open_recording(&unlisted)).unwrap();
    assert_eq!(plain.formats, vec![RecordingFormat::Mcap]);

    let src = source(&format!("{dir}/joint_mcap.mcap"));
    let summary = pollster::block_on(mcap::read_mcap_summary(&src)).unwrap();
    let channel = summary.channels.iter().find(|c| c.topic == "/joint_states").unwrap();
    let messages = pollster::block_on(mcap::read_mcap_messages(&src, &summary, Some(&[channel.id]))).unwrap();
    let series = decode_stream(channel, &messages).unwrap();
    assert_joint_states(&series, ["shoulder", "elbow", "wrist"], |i| {
        let x = i as f64 * 0.01;
        [x.sin(), x.cos(), x]
    });
    assert_eq!(series.header_times_ns.len(), 100, "header stamps kept beside the fields");
}

#[test]
fn streams_in_several_episodes_have_no_span_and_so_no_rate() {
    let mut tree = DatasetTree::new();
    for path in ["rosbag1/lz4.bag", "rosbag1/bz2.bag"] {
        tree.insert(path, Arc::new(source(path))).unwrap();
    }
    let recording = pollster::block_on(open_recording(&tree)).unwrap();
    for stream in &recording.streams {
        assert_eq!((stream.first_time_ns, stream.rate_hz()), (None, None), "{}", stream.name);
    }
}

/// A bag that stores no definitions (ROS 2 Humble's sqlite3 bags): its standard types decode with
/// the bundled definitions to exactly the values rosbags wrote, nested and array fields included.
#[test]
fn rosbag2_without_definitions_decodes_standard_types_with_the_bundled_definitions() {
    let dir = fixtures().join("rosbag2/humble_no_definitions");
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let src = MemorySource::new(std::fs::read(dir.join("humble_no_definitions.db3")).unwrap());
    let summary = pollster::block_on(rosbag2::read_db3_summary(&src)).unwrap();
    assert!(summary.channels.iter().all(|c| c.schema_text.is_empty()), "the fixture carries no definitions");
    let messages = pollster::block_on(rosbag2::read_db3_messages(&src, &summary, None)).unwrap();
    let samples = expected["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 9);
    for sample in samples {
        let topic = sample["topic"].as_str().unwrap();
        let name = sample["field"].as_str().unwrap();
        let channel = summary.channels.iter().find(|c| c.topic == topic).unwrap();
        let series = decode_stream(channel, &messages).unwrap_or_else(|e| panic!("{topic}: {e}"));
        assert_eq!(series.times_ns.len(), 10, "{topic}");
        // TFMessage has no header of its own (each transform has one): no header times.
        let want_stamps = if topic == "/tf" { vec![] } else { series.times_ns.clone() };
        assert_eq!(series.header_times_ns, want_stamps, "{topic}: header stamps = log times as written");
        // TF transforms are keyed by their child frame (world→base_link, base_link→tool0).
        let name = name.replace("transforms[0].", "base_link.").replace("transforms[1].", "tool0.");
        let f = field(&series, &name);
        let values =
            |v: &serde_json::Value| v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect::<Vec<_>>();
        assert_eq!(f.values[..f.width], values(&sample["first"])[..], "{topic} {name}: first");
        assert_eq!(f.values[f.values.len() - f.width..], values(&sample["last"])[..], "{topic} {name}: last");
    }
    let joints = summary.channels.iter().find(|c| c.topic == "/joint_states").unwrap();
    let series = decode_stream(joints, &messages).unwrap();
    assert_eq!(field(&series, "position").dimension_names, ["shoulder", "elbow", "wrist"]);
    // A custom type without a definition still cannot decode, and says why.
    let custom =
        episcope_core::recording::RawChannel { message_type: "my_robot_msgs/msg/Gripper".into(), ..joints.clone() };
    let err = decode_stream(&custom, &messages).unwrap_err().to_string();
    assert!(err.contains("no message definition for my_robot_msgs/msg/Gripper"), "{err}");
}

/// An MCAP file without a summary section, written by the `mcap` crate's writer (Foxglove's, not
/// ours): 24 messages of 1 MiB and one of 12 MiB (larger than a scan window), unchunked or in
/// 2 MiB chunks.
fn summaryless_mcap(use_chunks: bool) -> Vec<u8> {
    let options = ::mcap::WriteOptions::new()
        .compression(None)
        .use_chunks(use_chunks)
        .chunk_size(Some(2 << 20))
        .emit_summary_records(false)
        .emit_summary_offsets(false)
        .emit_statistics(false)
        .emit_message_indexes(false)
        .emit_chunk_indexes(false);
    let mut out = std::io::Cursor::new(Vec::new());
    let mut writer = options.create(&mut out).expect("writer");
    let schema = writer.add_schema("std_msgs/msg/UInt8MultiArray", "ros2msg", b"uint8[] data").unwrap();
    let small = writer.add_channel(schema, "/small", "cdr", &Default::default()).unwrap();
    let big = writer.add_channel(schema, "/big", "cdr", &Default::default()).unwrap();
    for i in 0..25u32 {
        let (channel_id, bytes) = if i == 12 { (big, 12 << 20) } else { (small, 1 << 20) };
        let header =
            ::mcap::records::MessageHeader { channel_id, sequence: i, log_time: 1_000 + u64::from(i), publish_time: 0 };
        writer.write_to_known_channel(&header, &vec![i as u8; bytes]).unwrap();
    }
    writer.finish().unwrap();
    drop(writer);
    out.into_inner()
}

#[test]
fn mcap_without_a_summary_is_scanned_in_windows_with_progress() {
    for use_chunks in [false, true] {
        let bytes = summaryless_mcap(use_chunks);
        let size = bytes.len() as u64;
        assert!(size > 30 << 20);
        let src = MemorySource::new(bytes.clone());
        let mut reports = Vec::new();
        let summary = pollster::block_on(mcap::read_mcap_summary_with_progress(&src, &mut |done, total| {
            reports.push((done, total))
        }))
        .unwrap();
        assert!(!summary.indexed);
        assert_eq!(summary.truncated_at_byte, None);
        let id = |topic: &str| summary.channels.iter().find(|c| c.topic == topic).unwrap().id;
        assert_eq!(summary.message_counts[&id("/small")], 24, "chunks: {use_chunks}");
        assert_eq!(summary.message_counts[&id("/big")], 1);
        assert_eq!((summary.start_time_ns, summary.end_time_ns), (Some(1_000), Some(1_024)));
        // Several windows, each report further on, the last at the end of the records.
        assert!(reports.len() >= 4, "{reports:?}");
        assert!(reports.windows(2).all(|w| w[0].0 < w[1].0), "{reports:?}");
        assert!(reports.iter().all(|&(_, total)| total == size));
        assert_eq!(reports.last().map(|r| r.0), Some(size - 8));
        let big = pollster::block_on(mcap::read_mcap_messages(&src, &summary, Some(&[id("/big")]))).unwrap();
        assert_eq!(big.len(), 1);
        assert_eq!(big[0].data.len(), 12 << 20);
        assert!(big[0].data.iter().all(|&b| b == 12));

        // Cut inside the big message (top-level record or chunk): the messages before it are read.
        let cut = bytes.windows(4).position(|w| w == [12u8; 4]).unwrap() + (1 << 20);
        let src = MemorySource::new(bytes[..cut].to_vec());
        let summary = pollster::block_on(mcap::read_mcap_summary(&src)).unwrap();
        let at = summary.truncated_at_byte.expect("cut short");
        assert!(at < cut as u64);
        let counted: u64 = summary.message_counts.values().sum();
        assert!((8..=12).contains(&counted), "chunks: {use_chunks}: {counted}");
    }
}

#[test]
fn opening_recordings_reports_each_file_and_the_scan_of_one_without_a_summary() {
    let mut tree = DatasetTree::new();
    tree.insert("a/indexed.mcap", Arc::new(source("mcap/joint_zstd.mcap"))).unwrap();
    tree.insert("b/crashed.mcap", Arc::new(MemorySource::new(summaryless_mcap(true)))).unwrap();
    let mut stages = Vec::new();
    let recording = pollster::block_on(episcope_core::recording::open_recording_with_progress(&tree, &mut |p| {
        stages.push((p.stage, p.done, p.total))
    }))
    .unwrap();
    assert_eq!(recording.episodes.len(), 2);
    let files: Vec<_> = stages.iter().filter(|s| s.0 == "recordings").map(|s| (s.1, s.2)).collect();
    assert_eq!(files, [(0, 2), (1, 2)]);
    let scans: Vec<_> = stages.iter().filter(|s| s.0.starts_with("scan:")).collect();
    assert!(scans.len() >= 4, "{stages:?}");
    assert!(scans.iter().all(|s| s.0 == "scan:b/crashed.mcap"), "only the summary-less file is scanned: {stages:?}");
    let last = scans.last().unwrap();
    assert_eq!(last.1, last.2 - 8, "the scan reaches the footer");
}
