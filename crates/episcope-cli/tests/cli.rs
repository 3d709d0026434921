//! `episcope` at the process boundary: exit codes, stdout and stderr.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

fn episcope(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_episcope")).args(args).output().expect("run episcope")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// `shared/datasets` (see the core crate's `tests/shared_datasets.rs`): `$EPISCOPE_SHARED_DATASETS`,
/// else beside the repository folder. Missing → the test fails.
fn shared_dataset(name: &str) -> PathBuf {
    let root = match std::env::var_os("EPISCOPE_SHARED_DATASETS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets"),
    };
    let dir = root.join(name);
    assert!(
        dir.join("meta/info.json").is_file(),
        "the shared example dataset is missing: expected it at {} (set EPISCOPE_SHARED_DATASETS, or check out \
         `shared/` beside the repository folder)",
        dir.display()
    );
    dir
}

/// A uniquely named folder under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let unique = format!(
            "episcope-cli-{label}-{}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
        );
        let path = std::env::temp_dir().join(unique);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn write(&self, rel: &str, contents: &[u8]) {
        let path = self.0.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Exit code 2, nothing on stdout, exactly one line on stderr; returns that line.
fn assert_fails_with_one_line(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(2), "stderr: {}", stderr(output));
    assert_eq!(stdout(output), "", "nothing on stdout when failing");
    let err = stderr(output);
    assert_eq!(err.lines().count(), 1, "one line on stderr, got: {err:?}");
    assert!(err.ends_with('\n'));
    err.trim_end().to_string()
}

#[test]
fn info_prints_the_overview_table() {
    let dir = shared_dataset("v21_so101_video");
    let output = episcope(&["info".as_ref(), dir.as_os_str()]);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    assert_eq!(stderr(&output), "", "no warnings for a clean dataset");
    let out = stdout(&output);
    for expected in [
        "Dataset      v21_so101_video",
        "Format       LeRobot v2.1 (codebase_version v2.1)",
        "FPS          30",
        "Episodes     5",
        "Frames       990",
        "Duration     33.0 s",
        "Cameras      observation.images.front, observation.images.wrist",
        "Tasks (3)",
        "Pick up the red cube and place it in the bin.",
        "Push the blue block to the left edge of the table.",
        "Open the top drawer.",
        "observation.state",
        "shoulder_pan.pos, shoulder_lift.pos, elbow_flex.pos, wrist_flex.pos, wrist_roll.pos, gripper.pos",
        "Episodes (5)",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    // One row per episode with its frame count.
    let rows: Vec<Vec<&str>> = out
        .lines()
        .skip_while(|l| !l.starts_with("Episodes (5)"))
        .skip(2)
        .map(|l| l.split_whitespace().collect())
        .filter(|cols: &Vec<&str>| !cols.is_empty())
        .collect();
    let frames: Vec<(&str, &str)> = rows.iter().map(|r| (r[0], r[1])).collect();
    assert_eq!(frames, [("0", "120"), ("1", "180"), ("2", "240"), ("3", "150"), ("4", "300")]);
}

#[test]
fn info_json_is_the_overview_as_json() {
    let dir = shared_dataset("v21_so101_video");
    let output = episcope(&["info".as_ref(), dir.as_os_str(), "--json".as_ref()]);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("stdout is JSON");
    assert_eq!(json["version"], "v2.1");
    assert_eq!(json["codebase_version"], "v2.1");
    assert_eq!(json["episodes"], 5);
    assert_eq!(json["frames"], 990);
    assert_eq!(json["fps"], 30.0);
    assert_eq!(json["tasks"].as_array().map(Vec::len), Some(3));
    assert_eq!(json["cameras"], serde_json::json!(["observation.images.front", "observation.images.wrist"]));
    let lengths: Vec<u64> =
        json["episode_list"].as_array().unwrap().iter().map(|e| e["length"].as_u64().unwrap()).collect();
    assert_eq!(lengths, [120, 180, 240, 150, 300]);
    assert_eq!(json["problems"], serde_json::json!([]));
}

#[test]
fn info_on_a_missing_folder_exits_2_naming_the_path() {
    let parent = TempDir::new("missing");
    let missing = parent.path().join("no-such-dataset");
    let output = episcope(&["info".as_ref(), missing.as_os_str()]);
    let line = assert_fails_with_one_line(&output);
    assert!(line.contains(&missing.display().to_string()), "{line}");
    assert!(line.starts_with("episcope: "), "{line}");
}

#[test]
fn info_on_a_folder_without_info_json_exits_2_naming_meta_info_json() {
    let dir = TempDir::new("noinfo");
    dir.write("data/chunk-000/episode_000000.parquet", b"not really");
    dir.write("README.md", b"# hello\n");
    let output = episcope(&["info".as_ref(), dir.path().as_os_str()]);
    let line = assert_fails_with_one_line(&output);
    assert!(line.contains("meta/info.json"), "{line}");
    assert!(line.contains("not a LeRobot dataset"), "{line}");
    assert!(line.contains(&dir.path().display().to_string()), "{line}");
}

#[test]
fn info_on_invalid_info_json_exits_2_naming_the_file() {
    let dir = TempDir::new("badjson");
    dir.write("meta/info.json", b"{\"codebase_version\": \"v2.1\", \"fps\": 30,");
    let output = episcope(&["info".as_ref(), dir.path().as_os_str()]);
    let line = assert_fails_with_one_line(&output);
    assert!(line.contains("invalid JSON"), "{line}");
    assert!(line.contains("meta/info.json"), "{line}");
}

#[test]
fn bad_usage_exits_2() {
    // No arguments at all.
    let output = episcope(&[]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stdout(&output), "");
    assert!(stderr(&output).contains("Usage"), "{}", stderr(&output));
    // `info` without its folder, and an unknown flag.
    for args in [&["info"][..], &["info", "x", "--bogus"][..], &["frobnicate"][..]] {
        let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
        let output = episcope(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert_eq!(stdout(&output), "", "{args:?}");
        assert!(!stderr(&output).is_empty(), "{args:?}");
    }
    // --help is not an error.
    let output = episcope(&["--help".as_ref()]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains("info"));
}
