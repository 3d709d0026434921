//! `episcope convert` at the process boundary: the suggested mapping printed as TOML, recordings of
//! every format converted into a folder the checker passes, refusals with exit code 2, and the
//! output opened by the official LeRobot loader (`tests/convert/load_official.py`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::loader_python;

fn fixture(rel: &str) -> PathBuf {
    let root = std::env::var_os("EPISCOPE_RECORDING_FIXTURES").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../episcope-core/tests/fixtures/recordings")
    });
    root.join(rel)
}

fn episcope(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_episcope")).args(args).output().expect("run episcope")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("episcope-convert-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn convert(input: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<&std::ffi::OsStr> =
        vec!["convert".as_ref(), input.as_os_str(), "--out".as_ref(), out.as_os_str()];
    args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
    episcope(&args)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn suggest_map_prints_a_mapping_that_convert_accepts() {
    let input = fixture("mcap/joint_zstd.mcap");
    let out = episcope(&["convert".as_ref(), input.as_os_str(), "--suggest-map".as_ref()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let toml = text(&out.stdout);
    assert!(toml.contains("fps = 100") && toml.contains("[[feature]]"), "{toml}");
    assert!(toml.contains("name = \"observation.state\"") && toml.contains("stream = \"/joint_states\""), "{toml}");

    let dir = temp_dir("suggested");
    let map = dir.join("map.toml");
    std::fs::write(&map, toml.replace("unspecified task", "wave the arm")).unwrap();
    let dataset = dir.join("dataset");
    let out = convert(&input, &dataset, &["--map", map.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Check of the output: 0 errors, 0 warnings, 0 info"), "{}", text(&out.stdout));
    let info = std::fs::read_to_string(dataset.join("meta/info.json")).unwrap();
    assert!(info.contains("\"codebase_version\": \"v3.0\""), "{info}");
    let check = episcope(&["check".as_ref(), dataset.as_os_str()]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stdout));
    // Nothing is left beside the dataset: the staging folder was renamed into place.
    let left: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    let mut left = left;
    left.sort();
    assert_eq!(left, ["dataset", "map.toml"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn recordings_of_every_format_convert_with_progress_and_a_clean_check() {
    let dir = temp_dir("formats");
    for rel in ["rosbag1/lz4.bag", "rosbag2/split_sqlite3", "rosbag2/joint_mcap", "hdf5/episode_0.hdf5"] {
        let dataset = dir.join(rel.replace('/', "_"));
        let out = convert(&fixture(rel), &dataset, &[]);
        assert_eq!(out.status.code(), Some(0), "{rel}: {}{}", text(&out.stdout), text(&out.stderr));
        let stderr = text(&out.stderr);
        assert!(stderr.contains("source episodes") && stderr.contains("MB/s") && stderr.contains("s left"), "{stderr}");
        assert!(text(&out.stdout).contains("0 errors, 0 warnings"), "{rel}: {}", text(&out.stdout));
        assert!(dataset.join("meta/info.json").is_file(), "{rel}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn refusals_exit_2_and_say_why() {
    let dir = temp_dir("refusals");
    let input = fixture("mcap/joint_zstd.mcap");
    // A used output folder.
    let used = dir.join("used");
    std::fs::create_dir_all(&used).unwrap();
    std::fs::write(used.join("keep.txt"), "mine").unwrap();
    let out = convert(&input, &used, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not empty"), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(used.join("keep.txt")).unwrap(), "mine");
    // A mapping with a typo.
    let map = dir.join("typo.toml");
    std::fs::write(&map, "fps = 30\nresampel = \"hold\"\n").unwrap();
    let out = convert(&input, &dir.join("out"), &["--map", map.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("resampel") && stderr.contains("typo.toml"), "{stderr}");
    // A frame no sample supports: the conversion stops and leaves nothing behind.
    let strict = dir.join("strict.toml");
    std::fs::write(
        &strict,
        "fps = 100\n[[feature]]\nname = \"observation.state\"\nstream = \"/joint_states\"\nfield = \"position\"\ntolerance_secs = 0.01\n",
    )
    .unwrap();
    let out = convert(&fixture("defects/gap.mcap"), &dir.join("gap"), &["--map", strict.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("beyond its tolerance"), "{}", text(&out.stderr));
    let mut left: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    left.sort();
    assert_eq!(left, ["strict.toml", "typo.toml", "used"], "no half dataset is left");
    let _ = std::fs::remove_dir_all(&dir);
}

fn load_official(dataset: &Path) -> serde_json::Value {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/convert/load_official.py");
    let out = Command::new(loader_python()).arg(script).arg(dataset).output().expect("run the official loader");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)));
    assert_eq!(json["ok"], true, "{}: {json}\n{}", dataset.display(), text(&out.stderr));
    json
}

fn floats(value: &serde_json::Value) -> Vec<f64> {
    value.as_array().expect("a list").iter().map(|v| v.as_f64().expect("a number")).collect()
}

/// `make_mcap.py` / `make_rosbag1.py`: joint `i` (at `i × 10 ms`) has position `round(sin(0.1 i + k), 6)`.
fn joint_position(i: usize, k: usize) -> f64 {
    let v = (i as f64 * 0.1 + k as f64).sin();
    f64::from(((v * 1e6).round() / 1e6) as f32)
}

#[test]
fn converted_recordings_open_in_the_official_lerobot_loader_with_the_same_frames() {
    let dir = temp_dir("official");
    // (fixture, frames per episode): joints 100 Hz for 0.99 s and commands 10 Hz for 0.9 s → 91 frames at 100 fps.
    for (rel, lengths) in [
        ("mcap/joint_zstd.mcap", vec![91]),
        ("rosbag1/lz4.bag", vec![91]),
        ("rosbag2/split_sqlite3", vec![100]),
        ("hdf5/episode_0.hdf5", vec![50]),
        ("hdf5/robomimic.hdf5", vec![30, 20]),
    ] {
        let dataset = dir.join(rel.replace(['/', '.'], "_"));
        let out = convert(&fixture(rel), &dataset, &[]);
        assert!(out.status.code().is_some_and(|c| c < 2), "{rel}: {}", text(&out.stderr));
        let json = load_official(&dataset);
        assert_eq!(json["codebase_version"], "v3.0", "{rel}");
        let loaded: Vec<u64> =
            json["episode_lengths"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        assert_eq!(loaded, lengths, "{rel}: frames per episode as the official loader reads them");
        assert_eq!(json["num_frames"].as_u64(), Some(lengths.iter().sum()), "{rel}");
        let f32s = |values: &[f64]| values.iter().map(|&v| f64::from(v as f32)).collect::<Vec<f64>>();
        let state = |item: &str| floats(&json[item]["observation.state"]);
        let last_action = || floats(&json["last"]["action"]);
        if rel.starts_with("mcap/") {
            let (first, last) = (state("first"), state("last"));
            // Frame k at k × 10 ms is joint message k; the last command (i = 9, data [i, 2i]) is held.
            assert_eq!(first, (0..3).map(|k| joint_position(0, k)).collect::<Vec<_>>(), "{rel}");
            assert_eq!(last, (0..3).map(|k| joint_position(90, k)).collect::<Vec<_>>(), "{rel}");
            assert_eq!(last_action(), [9.0, 18.0], "{rel}");
            assert_eq!(floats(&json["last"]["timestamp"]), [f64::from(0.9f32)], "{rel}");
        } else if rel.starts_with("rosbag1/") {
            let (first, last) = (state("first"), state("last"));
            // make_rosbag1.py: joint i at i × 10 ms is [sin t, cos t, t/2] with t = i/100; command i at
            // 5 ms + i × 100 ms is [0.01 i, 0.02 i, -0.03 i]. Frames start at the first command (5 ms): frame
            // k is equidistant from joints k and k+1 and takes the earlier.
            assert_eq!(first, f32s(&[0.0, 1.0, 0.0]), "{rel}");
            let t: f64 = 0.9;
            assert_eq!(last, f32s(&[t.sin(), t.cos(), 0.5 * t]), "{rel}");
            assert_eq!(last_action(), f32s(&[0.09, 0.18, -0.27]), "{rel}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The example datasets of the official LeRobot writers (`shared/datasets`).
fn shared_dataset(name: &str) -> PathBuf {
    let root = std::env::var_os("EPISCOPE_SHARED_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets"));
    let dir = root.join(name);
    assert!(dir.join("meta/info.json").is_file(), "the shared example dataset is missing: {}", dir.display());
    dir
}

#[test]
fn lerobot_datasets_of_every_version_convert_to_v30_and_rechunk_with_a_clean_check() {
    let dir = temp_dir("lerobot");
    for name in ["v20_so101_video", "v21_state_extra", "v30_so101_image"] {
        let out_dir = dir.join(name);
        let out = convert(&shared_dataset(name), &out_dir, &["--chunks-size", "2", "--data-files-size-in-mb", "1"]);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "{name}: {stdout}{stderr}");
        assert!(stdout.contains("Wrote 5 episodes, 990 frames at 30 fps (3 tasks"), "{name}: {stdout}");
        assert!(stdout.contains("Check of the output: 0 errors, 0 warnings, 0 info"), "{name}: {stdout}");
        assert!(stderr.contains("5/5 source episodes") && stderr.contains("MB/s"), "{name}: progress: {stderr}");
        let info: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out_dir.join("meta/info.json")).unwrap()).unwrap();
        assert_eq!((info["codebase_version"].as_str(), info["chunks_size"].as_u64()), (Some("v3.0"), Some(2)));
        assert_eq!(info["data_files_size_in_mb"].as_u64(), Some(1), "{name}");
        let check = episcope(&["check".as_ref(), out_dir.as_os_str()]);
        assert_eq!(check.status.code(), Some(0), "{name}: {}", text(&check.stdout));
    }
    // v2.0 keeps no per-episode stats of its videos: said, not invented.
    let out = convert(&shared_dataset("v20_so101_video"), &dir.join("again"), &[]);
    assert!(text(&out.stdout).contains("note: observation.images.front: the source stores no per-episode stats"));
    // A mapping is for recordings.
    let map = dir.join("map.toml");
    std::fs::write(&map, "fps = 30\n").unwrap();
    let out = convert(&shared_dataset("v21_state_extra"), &dir.join("mapped"), &["--map", map.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("a mapping is for recordings"), "{}", text(&out.stderr));
    assert!(!dir.join("mapped").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// v2.1 → v3.0 by us, read by the official v3.0 loader, gives what it reads from the dataset the
/// official v3.0 writer wrote from the same generator: episodes, frames, first and last values.
#[test]
fn v21_datasets_converted_by_us_load_in_the_official_loader_like_the_official_v30_ones() {
    let dir = temp_dir("official-lerobot");
    for (v21, v30) in [("v21_state_extra", "v30_state_extra"), ("v21_so101_video", "v30_so101_video")] {
        let dataset = dir.join(v21);
        let out = convert(&shared_dataset(v21), &dataset, &[]);
        assert_eq!(out.status.code(), Some(0), "{v21}: {}{}", text(&out.stdout), text(&out.stderr));
        let ours = load_official(&dataset);
        let theirs = load_official(&shared_dataset(v30));
        assert_eq!(ours["codebase_version"], "v3.0", "{v21}");
        for key in ["num_episodes", "num_frames", "episode_lengths", "fps", "features", "first", "last"] {
            assert_eq!(ours[key], theirs[key], "{v21}: {key} as the official loader reads it");
        }
        assert_eq!(ours["episode_lengths"], serde_json::json!([120, 180, 240, 150, 300]), "{v21}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// LeRobot's own v2.1 → v3.0 converter (`convert_dataset_v21_to_v30` of lerobot-dataset, offline)
/// against ours, compared by `tests/convert/compare_official.py` with pyarrow only: the same
/// info.json, tasks, every data value (rows by `index`), episodes (lengths, tasks, indices, camera
/// durations) and every per-episode and global statistic within the checker's tolerance. On the
/// dataset with a [3, 4] feature the official converter itself raises (pandas cannot concatenate
/// its Array2D column), while ours converts it with no findings.
#[test]
fn v21_to_v30_equals_lerobots_official_converter() {
    let dir = temp_dir("official-converter");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/convert/compare_official.py");
    let compare = |name: &str| -> serde_json::Value {
        let ours = dir.join(format!("ours-{name}"));
        let out = convert(&shared_dataset(name), &ours, &[]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}{}", text(&out.stdout), text(&out.stderr));
        assert!(text(&out.stdout).contains("Check of the output: 0 errors, 0 warnings, 0 info"), "{name}");
        let work = dir.join(format!("work-{name}"));
        let out = Command::new(loader_python())
            .arg(&script)
            .arg(shared_dataset(name))
            .arg(&ours)
            .arg(&work)
            .output()
            .expect("run the official converter");
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)))
    };
    for name in ["v21_so101_video", "v21_so101_image"] {
        let result = compare(name);
        assert_eq!(result["differences"], serde_json::json!([]), "{name}: {result:#}");
        assert_eq!(result["compared"]["episodes"], 5, "{name}: {result}");
        assert!(result["compared"]["data_values"].as_u64().unwrap() >= 6930, "{name}: {result}");
        assert!(result["compared"]["episode_stats_values"].as_u64().unwrap() >= 200, "{name}: {result}");
        assert!(result["compared"]["global_stats"].as_u64().unwrap() >= 40, "{name}: {result}");
    }
    let extra = compare("v21_state_extra");
    let failed = extra["official_failed"].as_str().unwrap_or_default();
    assert!(
        failed.starts_with("AttributeError"),
        "the official converter now converts v21_state_extra: compare it: {extra}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Cameras become LeRobot `image` features (PNG in the data files) by the suggested mapping, and
/// the official loader reads them: the HDF5 camera's pixels equal what h5py read from the file
/// (expected.json, written by tests/recordings/make_hdf5.py), and a 10 Hz camera on a 100 fps grid
/// shows each image on the frames nearest to it in time.
#[test]
fn cameras_convert_to_image_features_the_official_loader_reads_pixel_for_pixel() {
    let dir = temp_dir("cameras");
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("hdf5/expected.json")).unwrap()).unwrap();
    let expected = &expected["episode_0.hdf5"];

    let out = episcope(&["convert".as_ref(), fixture("hdf5/episode_0.hdf5").as_os_str(), "--suggest-map".as_ref()]);
    let mapping = text(&out.stdout);
    assert!(mapping.contains("[[camera]]\nname = \"observation.images.cam_high\""), "{mapping}");
    assert!(mapping.contains("dtype = \"video\""), "the CLI suggests video: {mapping}");

    // The suggestion as it is: an H.264 video the official loader decodes at every frame's time.
    let video = dir.join("aloha_video");
    let out = convert(&fixture("hdf5/episode_0.hdf5"), &video, &[]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("Check of the output: 0 errors, 0 warnings, 0 info"), "{}", text(&out.stdout));
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(video.join("meta/info.json")).unwrap()).unwrap();
    assert_eq!(info["features"]["observation.images.cam_high"]["dtype"], "video");
    assert_eq!(info["features"]["observation.images.cam_high"]["info"]["video.codec"], "h264");
    assert!(video.join("videos/observation.images.cam_high/chunk-000/file-000.mp4").is_file());
    let loaded = load_official(&video);
    assert_eq!(loaded["num_frames"], 50, "{loaded}");
    assert_eq!(loaded["episode_lengths"], serde_json::json!([50]), "{loaded}");

    // dtype = "image": PNG, lossless.
    let mapping_path = dir.join("image.mapping.toml");
    std::fs::write(&mapping_path, mapping.replace("dtype = \"video\"", "dtype = \"image\"")).unwrap();
    let dataset = dir.join("aloha");
    let out = convert(&fixture("hdf5/episode_0.hdf5"), &dataset, &["--map", mapping_path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("Check of the output: 0 errors, 0 warnings, 0 info"), "{}", text(&out.stdout));
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dataset.join("meta/info.json")).unwrap()).unwrap();
    let camera = &info["features"]["observation.images.cam_high"];
    assert_eq!(camera["dtype"], "image");
    assert_eq!(camera["shape"], serde_json::json!([24, 32, 3]));
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dataset.join("meta/stats.json")).unwrap()).unwrap();
    let mean = &stats["observation.images.cam_high"]["mean"];
    assert_eq!(mean.as_array().map(Vec::len), Some(3), "per channel: {mean}");
    assert!(mean[0].as_array().and_then(|a| a[0].as_array()).is_some(), "shape (3, 1, 1): {mean}");
    let loaded = load_official(&dataset);
    assert_eq!(loaded["image_shape"]["observation.images.cam_high"], serde_json::json!([3, 24, 32]));
    assert_eq!(loaded["image_first_pixel"]["observation.images.cam_high"], expected["image_frame_0_first_pixel"]);
    let frames = loaded["image_frames"]["observation.images.cam_high"].as_array().unwrap();
    assert_eq!(frames.len(), 50);
    assert_eq!(frames[7], expected["image_frame_7_sha256"], "frame 7's pixels as h5py read them");

    // /camera/image_raw: 10 messages at 5 ms + 100 ms·j; frames every 10 ms take the nearest.
    let dataset = dir.join("joint_image");
    let out = episcope(&["convert".as_ref(), fixture("rosbag2/joint_image").as_os_str(), "--suggest-map".as_ref()]);
    std::fs::write(&mapping_path, text(&out.stdout).replace("dtype = \"video\"", "dtype = \"image\"")).unwrap();
    let out = convert(&fixture("rosbag2/joint_image"), &dataset, &["--map", mapping_path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("Check of the output: 0 errors, 0 warnings, 0 info"), "{}", text(&out.stdout));
    let loaded = load_official(&dataset);
    let frames: Vec<&str> = loaded["image_frames"]["observation.images.camera"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let mut runs: Vec<usize> = Vec::new();
    for (k, frame) in frames.iter().enumerate() {
        if k > 0 && frames[k - 1] == *frame {
            *runs.last_mut().unwrap() += 1;
        } else {
            runs.push(1);
        }
    }
    assert_eq!(runs, [6, 10, 10, 10, 10, 10, 10, 10, 10, 14], "frames per camera message");
    let distinct: std::collections::BTreeSet<&str> = frames.iter().copied().collect();
    assert_eq!(distinct.len(), 10, "ten different images");
    let _ = std::fs::remove_dir_all(&dir);
}
