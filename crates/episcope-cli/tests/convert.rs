//! `episcope convert` at the process boundary: the suggested mapping printed as TOML, recordings of
//! every format converted into a folder the checker passes, refusals with exit code 2, and the
//! output opened by the official LeRobot loader (`tests/convert/load_official.py`).

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
        assert!(
            stderr.contains("recording episodes") && stderr.contains("MB/s") && stderr.contains("s left"),
            "{stderr}"
        );
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
