//! Camera frames read back from recordings written by independent writers (Python `rosbags`,
//! `h5py`): raw `sensor_msgs/Image` in bgr8, rgb8 and 16UC1, a PNG `CompressedImage` and an HDF5
//! `uint8` stack give exactly the pixels the fixture scripts wrote (their formulas are quoted).

use std::path::PathBuf;
use std::sync::Arc;

use episcope_core::recording::image::{open_image_stream, Frame};
use episcope_core::recording::{open_recording, read::read_episode, Recording};
use episcope_core::{DatasetTree, MemorySource};

fn fixtures() -> PathBuf {
    std::env::var_os("EPISCOPE_RECORDING_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/recordings")))
}

fn tree(files: &[&str]) -> DatasetTree {
    let mut tree = DatasetTree::new();
    for rel in files {
        let full = fixtures().join(rel);
        let bytes = std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()));
        tree.insert(rel, Arc::new(MemorySource::new(bytes))).unwrap();
    }
    tree
}

fn opened(tree: &DatasetTree) -> Recording {
    pollster::block_on(open_recording(tree)).unwrap()
}

fn rgba(frame: Frame) -> (u32, u32, Vec<u8>) {
    match frame {
        Frame::Rgba { width, height, pixels } => (width, height, pixels),
        other => panic!("expected RGBA, got {other:?}"),
    }
}

fn pixel(pixels: &[u8], width: u32, x: u32, y: u32) -> [u8; 4] {
    let at = ((y * width + x) * 4) as usize;
    [pixels[at], pixels[at + 1], pixels[at + 2], pixels[at + 3]]
}

const CAMERA_POSE: [&str; 2] = ["rosbag2/camera_pose/metadata.yaml", "rosbag2/camera_pose/camera_pose.mcap"];

#[test]
fn bgr8_frames_of_an_mcap_bag_are_the_written_pixels() {
    let tree = tree(&CAMERA_POSE);
    let recording = opened(&tree);
    let episode = &recording.episodes[0];
    let stream = pollster::block_on(open_image_stream(&tree, episode, "/camera/image_raw")).unwrap();
    assert_eq!(stream.len(), 10);
    for i in [0u32, 3, 9] {
        let (w, h, pixels) = rgba(stream.frame(i as usize).unwrap());
        assert_eq!((w, h, pixels.len()), (32, 24, 32 * 24 * 4));
        // make_rosbag2.py camera_rgb: pixel (x, y) is RGB (8x, 10y, 20i) mod 256, stored as bgr8.
        for (x, y) in [(0, 0), (5, 7), (31, 23)] {
            let want = [((8 * x) % 256) as u8, ((10 * y) % 256) as u8, ((20 * i) % 256) as u8, 255];
            assert_eq!(pixel(&pixels, w, x, y), want, "frame {i} pixel ({x}, {y})");
        }
    }
    assert!(stream.frame(10).is_err());
}

#[test]
fn depth_frames_are_stretched_and_compressed_frames_stay_png() {
    let tree = tree(&CAMERA_POSE);
    let recording = opened(&tree);
    let episode = &recording.episodes[0];
    let depth = pollster::block_on(open_image_stream(&tree, episode, "/camera/depth")).unwrap();
    assert_eq!(depth.len(), 5);
    let (w, h, pixels) = rgba(depth.frame(2).unwrap());
    assert_eq!((w, h), (16, 12));
    // depth_image: 1000 + 100x + i mm, 0 in column 0: black there, the nearest 1, the farthest 255.
    assert_eq!(pixel(&pixels, w, 0, 5), [0, 0, 0, 255]);
    assert_eq!(pixel(&pixels, w, 1, 5), [1, 1, 1, 255]);
    assert_eq!(pixel(&pixels, w, 15, 5), [255, 255, 255, 255]);
    let compressed = pollster::block_on(open_image_stream(&tree, episode, "/camera/compressed")).unwrap();
    assert_eq!(compressed.len(), 5);
    match compressed.frame(4).unwrap() {
        Frame::Encoded { mime, bytes } => {
            assert_eq!(mime, "image/png");
            assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        }
        other => panic!("expected PNG bytes, got {other:?}"),
    }
    // Only image streams are image streams.
    let err = pollster::block_on(open_image_stream(&tree, episode, "/pose")).unwrap_err().to_string();
    assert!(err.contains("not an image stream") && err.contains("camera_pose.mcap"), "{err}");
}

#[test]
fn rgb8_frames_of_a_sqlite3_bag_are_the_written_pixels() {
    let tree = tree(&["rosbag2/joint_image/metadata.yaml", "rosbag2/joint_image/joint_image.db3"]);
    let recording = opened(&tree);
    let stream = pollster::block_on(open_image_stream(&tree, &recording.episodes[0], "/camera/image_raw")).unwrap();
    assert_eq!(stream.len(), 10);
    let (w, h, pixels) = rgba(stream.frame(9).unwrap());
    assert_eq!((w, h), (64, 48));
    // make_rosbag2.py image: (x*4 + i, y*5 + 2i, x + y + 3i) mod 256.
    for (x, y) in [(0u32, 0u32), (63, 47), (10, 20)] {
        let i = 9;
        let want = [((x * 4 + i) % 256) as u8, ((y * 5 + 2 * i) % 256) as u8, ((x + y + 3 * i) % 256) as u8, 255];
        assert_eq!(pixel(&pixels, w, x, y), want, "pixel ({x}, {y})");
    }
}

#[test]
fn hdf5_image_stacks_are_the_written_pixels() {
    let tree = tree(&["hdf5/episode_0.hdf5"]);
    let recording = opened(&tree);
    let stream =
        pollster::block_on(open_image_stream(&tree, &recording.episodes[0], "/observations/images/cam_high")).unwrap();
    assert_eq!(stream.len(), 50);
    let (w, h, pixels) = rgba(stream.frame(7).unwrap());
    assert_eq!((w, h), (32, 24));
    // make_hdf5.py aloha: (t*7 + y*3 + x*5 + c*11) mod 256.
    for (x, y) in [(0u32, 0u32), (31, 23), (4, 9)] {
        let v = |c: u32| ((7 * 7 + y * 3 + x * 5 + c * 11) % 256) as u8;
        assert_eq!(pixel(&pixels, w, x, y), [v(0), v(1), v(2), 255], "pixel ({x}, {y})");
    }
}

#[test]
fn every_stream_of_a_multi_rate_bag_keeps_its_own_times_and_field_names() {
    let tree = tree(&CAMERA_POSE);
    let recording = opened(&tree);
    let streams = pollster::block_on(read_episode(&tree, &recording.episodes[0])).unwrap();
    let count = |name: &str| streams.iter().find(|s| s.info.name == name).map(|s| s.times_ns.len());
    assert_eq!(count("/joint_states"), Some(50));
    assert_eq!(count("/pose"), Some(20));
    assert_eq!(count("/camera/image_raw"), Some(10));
    let pose = streams.iter().find(|s| s.info.name == "/pose").unwrap().series.as_ref().unwrap();
    let names: Vec<&str> = pose.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "pose.position.x",
            "pose.position.y",
            "pose.position.z",
            "pose.orientation.x",
            "pose.orientation.y",
            "pose.orientation.z",
            "pose.orientation.w"
        ]
    );
    // pose_stamped: x = cos(2π t), t = i / 20.
    let x = &pose.fields[0].values;
    for (i, v) in x.iter().enumerate() {
        let t = i as f64 * 0.05;
        assert!((v - (2.0 * std::f64::consts::PI * t).cos()).abs() < 1e-12, "pose {i}: {v}");
    }
}

#[test]
fn a_split_bag_is_one_episode_of_all_its_files_in_both_storages() {
    for (dir, ext) in [("split_mcap", "mcap"), ("split_sqlite3", "db3")] {
        let files = [
            format!("rosbag2/{dir}/metadata.yaml"),
            format!("rosbag2/{dir}/{dir}_0.{ext}"),
            format!("rosbag2/{dir}/{dir}_1.{ext}"),
        ];
        let refs: Vec<&str> = files.iter().map(String::as_str).collect();
        let tree = tree(&refs);
        let recording = opened(&tree);
        assert_eq!(recording.episodes.len(), 1, "{dir}");
        let episode = &recording.episodes[0];
        assert_eq!(episode.parts, files[1..].to_vec(), "{dir}");
        assert_eq!(episode.frames, 100, "{dir}");
        let counts: Vec<(&str, u64)> = episode.streams.iter().map(|s| (s.name.as_str(), s.messages)).collect();
        assert!(counts.contains(&("/joint_states", 100)) && counts.contains(&("/camera/image_raw", 10)), "{counts:?}");
        // make_rosbag2.py joint_state: position (sin x, cos x, x), x = i / 100, across both files.
        let streams = pollster::block_on(read_episode(&tree, episode)).unwrap();
        let joints = streams.iter().find(|s| s.info.name == "/joint_states").unwrap();
        assert_eq!(joints.times_ns.len(), 100);
        assert!(joints.times_ns.windows(2).all(|w| w[0] < w[1]), "{dir}: not in time order");
        let position = &joints.series.as_ref().unwrap().fields[0];
        for i in [0usize, 49, 50, 99] {
            let x = i as f64 * 0.01;
            assert!((position.values[i * 3] - x.sin()).abs() < 1e-12, "{dir} message {i}");
            assert!((position.values[i * 3 + 2] - x).abs() < 1e-12, "{dir} message {i}");
        }
        // The camera's last frame is in the second file.
        let camera = pollster::block_on(open_image_stream(&tree, episode, "/camera/image_raw")).unwrap();
        assert_eq!(camera.len(), 10);
        let (w, _, pixels) = rgba(camera.frame(9).unwrap());
        assert_eq!(pixel(&pixels, w, 0, 0), [9, 18, 27, 255], "{dir}");
    }
    // With a file missing, the bag is not split-read: the file present opens on its own.
    let tree = tree(&["rosbag2/split_mcap/metadata.yaml", "rosbag2/split_mcap/split_mcap_0.mcap"]);
    let recording = opened(&tree);
    assert_eq!(recording.episodes.len(), 1);
    assert!(recording.episodes[0].parts.is_empty());
    assert_eq!(recording.episodes[0].frames, 50);
}

#[test]
fn tf_frames_are_keyed_by_child_frame_whichever_message_carries_them() {
    let tree = tree(&CAMERA_POSE);
    let recording = opened(&tree);
    let streams = pollster::block_on(read_episode(&tree, &recording.episodes[0])).unwrap();
    let tf = streams.iter().find(|s| s.info.name == "/tf").unwrap().series.as_ref().unwrap();
    assert_eq!(tf.times_ns.len(), 20);
    let names: Vec<&str> = tf.fields.iter().map(|f| f.name.as_str()).collect();
    assert!(names.contains(&"base_link.transform.translation.y") && names.contains(&"tool0.transform.translation.y"));
    assert!(names.iter().all(|n| !n.contains("header") && !n.starts_with("transforms[")), "{names:?}");
    // make_rosbag2.py tf_one_frame: base_link on even messages, tool0 (y = 0.2 + 0.01 i) on odd ones;
    // the messages without a frame are absent rows, not values.
    let tool0 = tf.fields.iter().find(|f| f.name == "tool0.transform.translation.y").unwrap();
    assert_eq!(tool0.absent_rows, (0..20).step_by(2).collect::<Vec<u32>>());
    for i in (1..20).step_by(2) {
        assert!((tool0.values[i] - (0.2 + 0.01 * i as f64)).abs() < 1e-12, "message {i}");
    }
    let base = tf.fields.iter().find(|f| f.name == "base_link.transform.translation.x").unwrap();
    assert_eq!(base.absent_rows, (1..20).step_by(2).collect::<Vec<u32>>());
    // The readiness check does not take absent rows for NaN (camera_pose is in the clean list too).
    let mut findings = episcope_core::check::finding::Findings::default();
    episcope_core::check::recording::check_episode(&recording.episodes[0], &streams, &mut findings);
    let rules: Vec<String> = findings.into_sorted().into_iter().map(|f| f.rule).collect();
    assert!(!rules.iter().any(|r| r == "recording.non-finite"), "{rules:?}");
}
