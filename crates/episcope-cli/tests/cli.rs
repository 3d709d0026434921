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

// ---------------------------------------------------------------------------------------------
// `episcope check` and `episcope rules`.
// ---------------------------------------------------------------------------------------------

/// A copy of a shared example dataset in a fresh temp folder (to break on purpose).
fn copy_of(name: &str) -> TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let dir = TempDir::new(name);
    copy(&shared_dataset(name), dir.path());
    dir
}

/// Rewrites `meta/info.json` of a dataset folder.
fn edit_info(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join("meta/info.json");
    let mut info: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    edit(&mut info);
    std::fs::write(&path, serde_json::to_vec_pretty(&info).unwrap()).unwrap();
}

/// Every file under `root`, as (path relative to it with `/`, absolute path), sorted by path.
fn files_under(root: &Path) -> Vec<(String, PathBuf)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push((path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/"), path));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[test]
fn check_passes_a_dataset_written_by_the_official_writer() {
    let dir = shared_dataset("v21_so101_video");
    let output = episcope(&["check".as_ref(), dir.as_os_str()]);
    assert_eq!(output.status.code(), Some(0), "stdout: {}\nstderr: {}", stdout(&output), stderr(&output));
    assert_eq!(stderr(&output), "");
    let out = stdout(&output);
    let first = out.lines().next().unwrap_or_default();
    assert!(first.starts_with("v21_so101_video: PASS — 0 errors, 0 warnings, 0 info"), "{out}");
    assert!(first.contains("profile lerobot-v2.1"), "{out}");
    assert_eq!(out.lines().count(), 1, "no findings listed: {out}");
}

#[test]
fn check_fails_with_exit_1_when_total_frames_is_wrong() {
    let dir = copy_of("v21_so101_video");
    edit_info(dir.path(), |info| info["total_frames"] = serde_json::json!(991));
    let output = episcope(&["check".as_ref(), dir.path().as_os_str()]);
    assert_eq!(output.status.code(), Some(1), "stderr: {}", stderr(&output));
    assert_eq!(stderr(&output), "");
    let out = stdout(&output);
    assert!(out.lines().next().unwrap().contains(": FAIL — 1 errors, 0 warnings, 0 info"), "{out}");
    assert!(out.contains("meta.total-frames"), "{out}");
    assert!(out.contains("meta/info.json · total_frames"), "{out}");
    assert!(out.contains("info.json declares 991 frames; the episodes' lengths add up to 990"), "{out}");
}

#[test]
fn check_json_is_the_report_with_a_sha256_of_every_file() {
    let dir = shared_dataset("v21_so101_video");
    let output = episcope(&["check".as_ref(), dir.as_os_str(), "--json".as_ref()]);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("stdout is JSON");
    assert_eq!(report["report_version"], 1);
    assert_eq!(report["tool"]["name"], "episcope");
    assert_eq!(report["summary"]["verdict"], "pass");
    assert_eq!(report["findings"], serde_json::json!([]));
    assert_eq!(report["rules_checked"], episcope_core::check::dataset_rule_count());
    assert_eq!(report["dataset"]["name"], "v21_so101_video");
    assert_eq!(report["dataset"]["format_version"], "v2.1");

    // One digest per file of the folder, each the SHA-256 of the file's bytes.
    let files = report["dataset"]["files"].as_array().expect("dataset.files");
    let on_disk = files_under(&dir);
    assert_eq!(files.len(), on_disk.len());
    let mut lines = String::new();
    for (entry, (path, absolute)) in files.iter().zip(&on_disk) {
        assert_eq!(entry["path"], path.as_str());
        let bytes = std::fs::read(absolute).unwrap();
        assert_eq!(entry["size_bytes"], bytes.len() as u64, "{path}");
        let digest = entry["sha256"].as_str().unwrap_or_else(|| panic!("{path}: no sha256"));
        assert_eq!(digest, sha256_hex(&bytes), "{path}");
        lines.push_str(&format!("{digest}  {path}\n"));
    }
    // The dataset digest: SHA-256 over the `sha256sum`-style lines, sorted by path.
    let whole = report["dataset"]["sha256"].as_str().expect("dataset.sha256");
    assert!(is_sha256_hex(whole), "{whole}");
    assert_eq!(whole, sha256_hex(lines.as_bytes()));

    // --no-hashes leaves the digests out.
    let output = episcope(&["check".as_ref(), dir.as_os_str(), "--json".as_ref(), "--no-hashes".as_ref()]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(report["dataset"].get("sha256").is_none());
    assert!(report["dataset"]["files"].as_array().unwrap().iter().all(|f| f.get("sha256").is_none()));
}

#[test]
fn check_markdown_has_the_verdict_line() {
    let dir = shared_dataset("v30_so101_video");
    let output = episcope(&["check".as_ref(), dir.as_os_str(), "--markdown".as_ref()]);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let out = stdout(&output);
    assert!(out.starts_with("# Conformance report: v30\\_so101\\_video\n"), "{out}");
    assert!(out.lines().any(|l| l == "**Verdict: PASS — no errors or warnings**"), "{out}");
    assert!(out.contains("| Format | LeRobot v3.0 |"), "{out}");

    let broken = copy_of("v30_so101_video");
    edit_info(broken.path(), |info| info["total_frames"] = serde_json::json!(1000));
    let output = episcope(&["check".as_ref(), broken.path().as_os_str(), "--markdown".as_ref()]);
    assert_eq!(output.status.code(), Some(1));
    let out = stdout(&output);
    assert!(out.lines().any(|l| l == "**Verdict: FAIL — errors found**"), "{out}");
    assert!(out.contains("`meta.total-frames`"), "{out}");
}

#[test]
fn check_html_is_self_contained_and_escapes_dataset_text() {
    const PAYLOAD: &str = "<script>alert(1)</script>";
    const ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt;";
    let dir = copy_of("v21_so101_video");
    edit_info(dir.path(), |info| {
        info["robot_type"] = serde_json::json!(PAYLOAD);
        // A declared feature of that name that no data file has: findings name it.
        info["features"][PAYLOAD] = serde_json::json!({"dtype": "float32", "shape": [1], "names": null});
    });
    let out_dir = TempDir::new("html");
    let html_path = out_dir.path().join("report.html");
    let output = episcope(&["check".as_ref(), dir.path().as_os_str(), "--html".as_ref(), html_path.as_os_str()]);
    assert_eq!(output.status.code(), Some(1), "stderr: {}", stderr(&output));
    assert!(stdout(&output).contains("schema.column-missing"), "{}", stdout(&output));
    let html = std::fs::read_to_string(&html_path).expect("the HTML report is written");
    assert!(html.starts_with("<!doctype html>"), "{html}");
    for forbidden in ["http://", "https://", "src=", "href=", "<script", "<SCRIPT"] {
        assert!(!html.contains(forbidden), "{forbidden:?} in the report:\n{html}");
    }
    assert!(!html.contains(PAYLOAD));
    assert!(html.contains(&format!("<tr><th>Robot</th><td>{ESCAPED}</td></tr>")), "{html}");
    assert!(html.contains(&format!("meta/info.json · {ESCAPED}")), "the feature.name-chars finding:\n{html}");
    assert!(html.contains(&format!("data/chunk-000/episode_000000.parquet · {ESCAPED}")), "{html}");
    assert!(html.contains("FAIL — errors found"), "{html}");
}

#[test]
fn check_with_an_invalid_profile_exits_2_naming_the_profile() {
    let dir = shared_dataset("v21_so101_video");
    let profiles = TempDir::new("profile");
    profiles.write("org-profile.toml", b"name = \"org\"\nrobot_types = [\"so101_follower\"\n");
    let profile = profiles.path().join("org-profile.toml");
    let output = episcope(&["check".as_ref(), dir.as_os_str(), "--profile".as_ref(), profile.as_os_str()]);
    let line = assert_fails_with_one_line(&output);
    assert!(line.starts_with("episcope: invalid profile (line "), "{line}");
    assert!(line.ends_with(&format!("): {}", profile.display())), "{line}");

    // A profile that does not exist is the same kind of failure.
    let missing = profiles.path().join("no-such-profile.toml");
    let output = episcope(&["check".as_ref(), dir.as_os_str(), "--profile".as_ref(), missing.as_os_str()]);
    let line = assert_fails_with_one_line(&output);
    assert!(line.contains(&missing.display().to_string()), "{line}");
}

#[test]
fn check_with_the_example_profile_reports_the_missing_license() {
    let dir = shared_dataset("v21_so101_video");
    let profile = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../profiles/example-manipulation.toml");
    let output = episcope(&["check".as_ref(), dir.as_os_str(), "--profile".as_ref(), profile.as_os_str()]);
    assert_eq!(output.status.code(), Some(1), "stderr: {}", stderr(&output));
    let out = stdout(&output);
    assert!(out.starts_with("v21_so101_video: FAIL — 1 errors, 0 warnings, 0 info"), "{out}");
    assert!(out.contains("profile example-manipulation-v1"), "{out}");
    assert!(out.contains("profile.metadata"), "{out}");
    assert!(out.contains("requires `license` in info.json"), "{out}");
}

#[test]
fn check_on_a_missing_folder_exits_2() {
    let parent = TempDir::new("check-missing");
    let missing = parent.path().join("no-such-dataset");
    let output = episcope(&["check".as_ref(), missing.as_os_str()]);
    let line = assert_fails_with_one_line(&output);
    assert!(line.contains(&missing.display().to_string()), "{line}");
}

#[test]
fn rules_lists_every_rule_id() {
    let output = episcope(&["rules".as_ref()]);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let out = stdout(&output);
    for rule in episcope_core::check::RULES {
        assert!(
            out.contains(&format!("| `{}` | {} |", rule.id, rule.severity.as_str())),
            "{} missing:\n{out}",
            rule.id
        );
    }

    let output = episcope(&["rules".as_ref(), "--json".as_ref()]);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let rules: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("stdout is JSON");
    let rules = rules.as_array().expect("an array of rules");
    assert_eq!(rules.len(), episcope_core::check::RULES.len());
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let expected: Vec<&str> = episcope_core::check::RULES.iter().map(|r| r.id).collect();
    assert_eq!(ids, expected);
    assert!(rules.iter().all(|r| r["why"].as_str().is_some_and(|w| !w.is_empty())));
}

#[test]
fn stats_json_gives_exact_statistics_over_every_frame() {
    let output = episcope(&["stats".as_ref(), shared_dataset("v21_state_extra").as_os_str(), "--json".as_ref()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let stats: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(stats["frames_read"], 990);
    let frames: Vec<u64> = stats["tasks"].as_array().unwrap().iter().map(|t| t["frames"].as_u64().unwrap()).collect();
    // Episode 2 switches task half-way; frames follow task_index per frame (numpy over task_index).
    assert_eq!(frames, [230, 480, 280]);
    let state = stats["features"].as_array().unwrap().iter().find(|f| f["feature"] == "observation.state").unwrap();
    assert_eq!(state["dims"].as_array().unwrap().len(), 6);
    // numpy: pq.read_table(...)['observation.state'] over all 5 files, column 0 min.
    assert_eq!(state["dims"][0]["min"].as_f64().unwrap(), -45.34266662597656);
    let table = stdout(&episcope(&["stats".as_ref(), shared_dataset("v21_state_extra").as_os_str()]));
    assert!(table.contains("shoulder_pan.pos") && table.contains("Pick up the red cube"), "{table}");
}

// ---- Sharded check and stats, and merge (issue 14) ----------------------------------------------

/// Runs `episcope <command> DIR --shard k/N --partial PART` for every k, then `merge` of the parts
/// (in reverse order) with `extra` args; returns the merge's output and the part files.
fn sharded(command: &str, dir: &Path, count: u32, work: &TempDir, extra: &[&str]) -> (Output, Vec<PathBuf>) {
    let mut parts = Vec::new();
    for k in 0..count {
        let part = work.path().join(format!("{command}-{k}-of-{count}.json"));
        let shard = format!("{k}/{count}");
        let out = episcope(&[
            command.as_ref(),
            dir.as_os_str(),
            "--shard".as_ref(),
            shard.as_ref(),
            "--partial".as_ref(),
            part.as_os_str(),
        ]);
        assert!(out.status.success(), "{command} --shard {shard}: {}", stderr(&out));
        assert_eq!(stdout(&out), "", "a part is written, not printed");
        assert!(stderr(&out).contains(&format!("wrote shard {shard}")), "{}", stderr(&out));
        parts.push(part);
    }
    let mut args: Vec<&std::ffi::OsStr> = vec!["merge".as_ref()];
    args.extend(parts.iter().rev().map(|p| p.as_os_str()));
    args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
    (episcope(&args), parts)
}

#[test]
fn check_in_shards_merges_into_the_unsharded_report_with_its_exit_code() {
    let dir = copy_of("v21_state_extra");
    edit_info(dir.path(), |info| info["total_frames"] = serde_json::json!(1));
    let work = TempDir::new("shards");
    let whole = episcope(&["check".as_ref(), dir.path().as_os_str(), "--json".as_ref()]);
    assert_eq!(whole.status.code(), Some(1), "{}", stderr(&whole));
    for count in [1, 2, 5] {
        let (merged, _) = sharded("check", dir.path(), count, &work, &["--json"]);
        assert_eq!(merged.status.code(), Some(1), "errors found: exit 1 as for check; {}", stderr(&merged));
        assert_eq!(stdout(&merged), stdout(&whole), "{count} shards");
    }
    // Text output as `check` prints it.
    let (merged, parts) = sharded("check", dir.path(), 3, &work, &[]);
    let text = episcope(&["check".as_ref(), dir.path().as_os_str()]);
    assert_eq!(stdout(&merged), stdout(&text));
    // Two parts merge into one part, which merges with the third.
    let joined = work.path().join("joined.json");
    let out = episcope(&[
        "merge".as_ref(),
        parts[0].as_os_str(),
        parts[2].as_os_str(),
        "--partial".as_ref(),
        joined.as_os_str(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = episcope(&["merge".as_ref(), joined.as_os_str(), parts[1].as_os_str(), "--json".as_ref()]);
    assert_eq!(stdout(&out), stdout(&whole));
    // A missing shard: exit 2 naming it; a part given twice: exit 2 naming the shard.
    let out = episcope(&["merge".as_ref(), parts[0].as_os_str(), parts[2].as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(assert_fails_with_one_line(&out).contains("shards 1 of 3 are missing"), "{}", stderr(&out));
    let out = episcope(&["merge".as_ref(), parts[0].as_os_str(), parts[0].as_os_str()]);
    assert!(assert_fails_with_one_line(&out).contains("shard 0/3 is in more than one part"), "{}", stderr(&out));
    // A bad shard is a usage error.
    let out = episcope(&[
        "check".as_ref(),
        dir.path().as_os_str(),
        "--shard".as_ref(),
        "3/3".as_ref(),
        "--partial".as_ref(),
        joined.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("0 ≤ K < N"), "{}", stderr(&out));
}

#[test]
fn stats_in_shards_merge_into_the_unsharded_statistics() {
    let dir = shared_dataset("v21_state_extra");
    let work = TempDir::new("stats-shards");
    let whole = episcope(&["stats".as_ref(), dir.as_os_str(), "--json".as_ref()]);
    assert!(whole.status.success(), "{}", stderr(&whole));
    let statistics_only = |text: &str| {
        let mut v: serde_json::Value = serde_json::from_str(text).unwrap();
        v["bytes_read"] = 0.into();
        for f in v["features"].as_array_mut().unwrap() {
            f["peak_retained_values"] = 0.into();
        }
        v
    };
    for count in [2, 4] {
        let (merged, _) = sharded("stats", &dir, count, &work, &["--json"]);
        assert!(merged.status.success(), "{}", stderr(&merged));
        assert_eq!(statistics_only(&stdout(&merged)), statistics_only(&stdout(&whole)), "{count} shards");
    }
    // A check's parts and statistics' parts do not mix.
    let (_, stats_parts) = sharded("stats", &dir, 2, &work, &["--json"]);
    let (_, check_parts) = sharded("check", &dir, 2, &work, &["--json"]);
    let out = episcope(&["merge".as_ref(), stats_parts[0].as_os_str(), check_parts[1].as_os_str()]);
    assert!(assert_fails_with_one_line(&out).contains("cannot be merged together"), "{}", stderr(&out));
}

/// A closed port on loopback: every connection is refused at once.
fn refused_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let port = listener.local_addr().expect("its address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

#[test]
fn a_url_that_cannot_be_reached_exits_2_in_one_line_without_its_credentials() {
    let endpoint = refused_endpoint();
    let secret = "hf_cli_test_secret_token_5d1e";
    let output = Command::new(env!("CARGO_BIN_EXE_episcope"))
        .args(["check", "hf://datasets/org/name"])
        .env("HF_ENDPOINT", &endpoint)
        .env("HF_TOKEN", secret)
        .output()
        .expect("run episcope");
    let line = assert_fails_with_one_line(&output);
    assert!(line.contains("the Hub's listing failed"), "{line}");
    assert!(line.contains(&endpoint), "the line names where it went: {line}");
    assert!(!line.contains(secret), "{line}");

    let url = endpoint.replace("http://", "http://user:password@") + "/ds?X-Amz-Signature=s3cr3tsig";
    let output = episcope(&["info".as_ref(), url.as_ref()]);
    let line = assert_fails_with_one_line(&output);
    assert!(!line.contains("s3cr3tsig") && !line.contains("password"), "{line}");

    let output = episcope(&["info".as_ref(), "hf://models/org/name".as_ref()]);
    let line = assert_fails_with_one_line(&output);
    assert!(line.contains("only datasets are read"), "{line}");
}
