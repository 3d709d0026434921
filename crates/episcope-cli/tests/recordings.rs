//! `episcope info` on recordings (ROS 1 bag, rosbag2 folder, MCAP, HDF5) at the process boundary:
//! the JSON lists every stream with `name`, `type`, `messages`, and the episodes with frame counts.
//! Fixtures: the core crate's `tests/fixtures/recordings`, written by independent Python writers.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(rel: &str) -> PathBuf {
    let root = std::env::var_os("EPISCOPE_RECORDING_FIXTURES").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../episcope-core/tests/fixtures/recordings")
    });
    root.join(rel)
}

fn episcope(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_episcope")).args(args).output().expect("run episcope")
}

fn info_json(path: &Path) -> serde_json::Value {
    let out = episcope(&["info".as_ref(), path.as_os_str(), "--json".as_ref()]);
    assert!(out.status.success(), "{}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("info --json prints JSON")
}

/// (name, type, messages) of every stream, sorted by name.
fn streams(json: &serde_json::Value) -> Vec<(String, String, u64)> {
    let mut out: Vec<_> = json["streams"]
        .as_array()
        .expect("streams array")
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["type"].as_str().unwrap().to_string(),
                s["messages"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn episode_frames(json: &serde_json::Value) -> Vec<u64> {
    json["episodes"].as_array().expect("episodes array").iter().map(|e| e["frames"].as_u64().unwrap()).collect()
}

fn owned(rows: &[(&str, &str, u64)]) -> Vec<(String, String, u64)> {
    rows.iter().map(|(n, t, m)| (n.to_string(), t.to_string(), *m)).collect()
}

#[test]
fn info_json_lists_the_streams_and_episodes_of_a_ros1_bag() {
    let json = info_json(&fixture("rosbag1/lz4.bag"));
    assert_eq!(
        streams(&json),
        owned(&[("/cmd", "std_msgs/Float64MultiArray", 10), ("/joint_states", "sensor_msgs/JointState", 100)])
    );
    assert_eq!(episode_frames(&json), [100]);
}

#[test]
fn info_json_lists_the_streams_of_a_rosbag2_sqlite_folder_and_of_its_db3() {
    let want = owned(&[
        ("/camera/image_raw", "sensor_msgs/msg/Image", 10),
        ("/joint_states", "sensor_msgs/msg/JointState", 100),
    ]);
    let folder = info_json(&fixture("rosbag2/joint_image"));
    assert_eq!(streams(&folder), want);
    assert_eq!(episode_frames(&folder), [100]);
    let db3 = info_json(&fixture("rosbag2/joint_image/joint_image.db3"));
    assert_eq!(streams(&db3), want);
    let image = db3["streams"].as_array().unwrap().iter().find(|s| s["name"] == "/camera/image_raw").unwrap();
    assert_eq!(image["kind"], "image");
}

#[test]
fn info_json_names_a_rosbag2_mcap_folder_as_such() {
    let json = info_json(&fixture("rosbag2/joint_mcap"));
    assert_eq!(json["formats"], serde_json::json!(["rosbag2_mcap"]));
    assert_eq!(
        streams(&json),
        owned(&[
            ("/camera/image_raw", "sensor_msgs/msg/Image", 10),
            ("/joint_states", "sensor_msgs/msg/JointState", 100)
        ])
    );
}

#[test]
fn info_json_lists_a_split_bag_as_one_episode_of_its_files() {
    for (dir, storage) in [("split_mcap", "rosbag2_mcap"), ("split_sqlite3", "rosbag2_sqlite")] {
        let json = info_json(&fixture(&format!("rosbag2/{dir}")));
        assert_eq!(json["formats"], serde_json::json!([storage]), "{dir}");
        assert_eq!(episode_frames(&json), [100], "{dir}");
        let parts = json["episodes"][0]["parts"].as_array().unwrap();
        assert_eq!(parts.len(), 2, "{dir}");
        assert_eq!(
            streams(&json),
            owned(&[
                ("/camera/image_raw", "sensor_msgs/msg/Image", 10),
                ("/joint_states", "sensor_msgs/msg/JointState", 100)
            ]),
            "{dir}"
        );
    }
}

#[test]
fn info_json_lists_the_streams_of_an_mcap_file() {
    let json = info_json(&fixture("mcap/joint_zstd.mcap"));
    assert_eq!(
        streams(&json),
        owned(&[("/cmd", "std_msgs/msg/Float64MultiArray", 10), ("/joint_states", "sensor_msgs/msg/JointState", 100)])
    );
    assert_eq!(episode_frames(&json), [100]);
}

#[test]
fn info_json_lists_the_hdf5_datasets_and_robomimic_demos_as_episodes() {
    let aloha = info_json(&fixture("hdf5/episode_0.hdf5"));
    let names: Vec<String> = streams(&aloha).into_iter().map(|s| s.0).collect();
    for want in ["/action", "/observations/qpos", "/observations/qvel", "/observations/images/cam_high"] {
        assert!(names.iter().any(|n| n == want), "{want} missing from {names:?}");
    }
    assert_eq!(episode_frames(&aloha), [50]);
    let robomimic = info_json(&fixture("hdf5/robomimic.hdf5"));
    assert_eq!(episode_frames(&robomimic), [30, 20]);
}

#[test]
fn info_prints_a_table_of_a_folder_of_bags() {
    let out = episcope(&["info".as_ref(), fixture("rosbag1").as_os_str()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Episodes     4"), "{text}");
    assert!(text.contains("/joint_states"), "{text}");
    assert!(text.contains("ROS 1 bag"), "{text}");
}

#[test]
fn info_on_a_truncated_bag_fails_naming_the_file() {
    let dir = std::env::temp_dir().join(format!("episcope-cli-truncated-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bytes = std::fs::read(fixture("rosbag1/plain.bag")).unwrap();
    let path = dir.join("cut.bag");
    std::fs::write(&path, &bytes[..bytes.len() / 3]).unwrap();
    let out = episcope(&["info".as_ref(), path.as_os_str()]);
    std::fs::remove_dir_all(&dir).ok();
    // 2: the command could not run (as for an unreadable dataset).
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cut.bag"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn check_a_clean_recording_folder_passes_with_exit_code_0() {
    for path in [
        fixture("rosbag2/joint_image"),
        fixture("rosbag1"),
        fixture("hdf5/robomimic.hdf5"),
        fixture("rosbag2/split_sqlite3"),
        fixture("rosbag2/camera_pose"),
        fixture("mcap/ros2idl.mcap"),
    ] {
        let out = episcope(&["check".as_ref(), path.as_os_str(), "--no-hashes".as_ref()]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{}: {text}{}", path.display(), String::from_utf8_lossy(&out.stderr));
        assert!(text.contains("PASS — 0 errors, 0 warnings"), "{text}");
        assert!(text.contains("profile recording-readiness"), "{text}");
    }
}

#[test]
fn check_exits_1_on_error_findings_and_0_on_warnings_only() {
    let nan = fixture("defects/non_finite.mcap");
    let out = episcope(&["check".as_ref(), nan.as_os_str(), "--json".as_ref()]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["profile"], "recording-readiness");
    assert_eq!(report["summary"]["verdict"], "errors");
    assert_eq!(report["findings"][0]["rule"], "recording.non-finite");
    assert_eq!(report["findings"][0]["location"]["frame"], 7);
    assert_eq!(report["dataset"]["files"][0]["path"], "non_finite.mcap");
    assert_eq!(report["dataset"]["files"][0]["sha256"].as_str().map(str::len), Some(64));

    let gap = fixture("defects/gap.mcap");
    let out = episcope(&["check".as_ref(), gap.as_os_str(), "--markdown".as_ref()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let markdown = String::from_utf8(out.stdout).unwrap();
    assert!(markdown.contains("recording.gap"), "{markdown}");
}
