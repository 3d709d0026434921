//! `episcope report` and `episcope compare` at the process boundary: files written, exit codes,
//! stdout and stderr, the JSON equal to the library's, escaping, Japanese.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use episcope_core::check::CheckOptions;
use episcope_core::DatasetTree;
use episcope_report::{report_dataset, Date, FullReport, ReportOptions};

/// 2026-11-25 00:00:00 UTC (`date -u -d 2026-11-25 +%s`), so reports carry a known date.
const SOURCE_DATE_EPOCH: &str = "1795564800";

fn episcope(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_episcope"))
        .args(args)
        .env("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
        .output()
        .expect("run episcope")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// `shared/datasets/<name>` (or under `$EPISCOPE_SHARED_DATASETS`); missing → the test fails.
fn shared_dataset(name: &str) -> PathBuf {
    let root = match std::env::var_os("EPISCOPE_SHARED_DATASETS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets"),
    };
    let dir = root.join(name);
    assert!(dir.join("meta/info.json").is_file(), "the shared example dataset is missing: {}", dir.display());
    dir
}

/// A uniquely named folder under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let unique = format!(
            "episcope-report-{label}-{}-{}-{}",
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

    fn join(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A copy of a shared dataset in a temp folder named `name` (so the report names it so).
fn copy_of(dataset: &str, name: &str) -> (TempDir, PathBuf) {
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
    let temp = TempDir::new(name);
    let dir = temp.join(name);
    copy(&shared_dataset(dataset), &dir);
    (temp, dir)
}

fn edit_file(path: &Path, change: impl FnOnce(String) -> String) {
    let text = std::fs::read_to_string(path).unwrap();
    std::fs::write(path, change(text)).unwrap();
}

/// No URL, no resource from elsewhere, no script.
fn assert_offline(html: &str) {
    for forbidden in ["http://", "https://", "src=", "@import", "url(", "<script", "<link"] {
        assert!(!html.contains(forbidden), "the HTML contains `{forbidden}`");
    }
}

fn os(text: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(text)
}

#[test]
fn report_writes_one_self_contained_html_file_and_prints_the_summary() {
    let temp = TempDir::new("html");
    let html_path = temp.join("report.html");
    let dataset = shared_dataset("v30_so101_video");
    // Without DIR: a usage error.
    assert_eq!(episcope(&[os("report")]).status.code(), Some(2));

    let output = episcope(&[os("report"), dataset.as_os_str(), os("-o"), html_path.as_os_str()]);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    assert_eq!(
        stdout(&output).lines().next(),
        Some("5 episodes of the so101_follower robot, 33 seconds at 30 frames per second, 3 tasks, 2 cameras (front, wrist).")
    );
    assert!(stdout(&output).contains("Pass: It passes every check of lerobot-v3.0."));
    let html = std::fs::read_to_string(&html_path).expect("the HTML file was written");
    assert_offline(&html);
    assert!(html.starts_with("<!doctype html><html lang=\"en\">"));
    assert!(html.contains("data-testid=\"report\""));
    assert!(html.contains("<th>Robot</th><td>so101_follower</td>"));
    assert!(html.contains("<th>Episodes</th><td>5</td>"));
    assert!(html.matches("<svg").count() >= 6, "charts: tasks, lengths, ranges and histograms of two signals");
    assert!(html.contains("@media print"));
    assert!(html.contains("Made by episcope 0.1.0 on 25 November 2026."));
    // Hashes were computed (no --no-hashes): the identity lists a 64-hex digest per file.
    assert!(html.contains("Dataset SHA-256</th><td><span class=\"hash\">"));
}

#[test]
fn report_in_japanese() {
    let temp = TempDir::new("ja");
    let html_path = temp.join("report-ja.html");
    let dataset = shared_dataset("v21_so101_video");
    let output =
        episcope(&[os("report"), dataset.as_os_str(), os("-o"), html_path.as_os_str(), os("--lang"), os("ja")]);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    assert!(stdout(&output).starts_with("so101_follower ロボットの 5 エピソード"), "{}", stdout(&output));
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert_offline(&html);
    for expected in ["<html lang=\"ja\">", "エピソード", "このデータセットについて", "品質", "2026年11月25日", "合格"]
    {
        assert!(html.contains(expected), "missing {expected}");
    }
    let unknown = episcope(&[os("report"), dataset.as_os_str(), os("--lang"), os("fr")]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("unknown language `fr`"), "{}", stderr(&unknown));
}

#[test]
fn report_json_is_the_library_report() {
    let dataset = shared_dataset("v20_so101_video");
    let output = episcope(&[os("report"), dataset.as_os_str(), os("--json")]);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let text = stdout(&output);
    let from_cli: FullReport = serde_json::from_str(&text).expect("stdout is exactly the JSON report");
    assert_eq!(serde_json::to_string_pretty(&from_cli).unwrap() + "\n", text, "serde round trip is lossless");

    let tree = DatasetTree::from_dir(&dataset).unwrap().rooted_at_dataset();
    let options = ReportOptions {
        check: CheckOptions { profile: None, skip_hashes: false },
        skip_statistics: false,
        generated_on: Some(Date { year: 2026, month: 11, day: 25 }),
    };
    let from_library = pollster::block_on(report_dataset(&tree, "v20_so101_video", &options));
    assert_eq!(from_cli, from_library);
    assert_eq!(from_cli.generated_on.as_deref(), Some("2026-11-25"));
    assert_eq!(from_cli.report.report_version, 1);
    assert!(from_cli.statistics.is_some() && from_cli.drift.is_some());
}

#[test]
fn report_writes_html_and_json_files_together() {
    let temp = TempDir::new("both");
    let (html_path, json_path) = (temp.join("r.html"), temp.join("r.json"));
    let dataset = shared_dataset("v30_state_extra");
    let output = episcope(&[
        os("report"),
        dataset.as_os_str(),
        os("-o"),
        html_path.as_os_str(),
        os("--json"),
        json_path.as_os_str(),
        os("--no-hashes"),
    ]);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let report: FullReport = serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    assert!(report.report.dataset.sha256.is_none(), "--no-hashes");
    assert_eq!(report.report.dataset.robot_type.as_deref(), Some("sim_6dof_arm"));
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.contains("sim_6dof_arm") && html.contains("not computed"));
}

#[test]
fn dataset_strings_are_escaped() {
    let (temp, dir) = copy_of("v21_so101_video", "hostile");
    for file in ["meta/tasks.jsonl", "meta/episodes.jsonl"] {
        edit_file(&dir.join(file), |text| text.replace("Open the top drawer.", "<script>alert(1)</script>"));
    }
    let html_path = temp.join("hostile.html");
    let output = episcope(&[os("report"), dir.as_os_str(), os("-o"), html_path.as_os_str()]);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert_offline(&html);
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[test]
fn report_exit_codes_follow_check() {
    let (temp, dir) = copy_of("v21_so101_video", "wrong-total");
    edit_file(&dir.join("meta/info.json"), |text| text.replace("\"total_frames\": 990", "\"total_frames\": 991"));
    let html_path = temp.join("wrong.html");
    let output = episcope(&[os("report"), dir.as_os_str(), os("-o"), html_path.as_os_str()]);
    assert_eq!(output.status.code(), Some(1), "errors found → 1; stderr: {}", stderr(&output));
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.contains("class=\"verdict errors\""));
    assert!(html.contains("The dataset&#39;s description (meta/info.json) has mistakes (1 occurrence)."));

    let missing = episcope(&[os("report"), temp.join("nope").as_os_str(), os("-o"), html_path.as_os_str()]);
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(stdout(&missing), "");
    assert_eq!(stderr(&missing).lines().count(), 1, "{}", stderr(&missing));
    assert!(stderr(&missing).contains("nope"));
}

#[test]
fn compare_two_reports_without_their_data() {
    let temp = TempDir::new("compare");
    let (a, b, page) = (temp.join("a.json"), temp.join("b.json"), temp.join("compare.html"));
    for (dataset, json) in [("v20_so101_video", &a), ("v30_state_extra", &b)] {
        let output = episcope(&[
            os("report"),
            shared_dataset(dataset).as_os_str(),
            os("--json"),
            json.as_os_str(),
            os("--no-hashes"),
        ]);
        assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    }
    let output = episcope(&[os("compare"), a.as_os_str(), b.as_os_str(), os("-o"), page.as_os_str()]);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let table = stdout(&output);
    assert_eq!(table.lines().count(), 3, "header and two rows: {table}");
    assert!(table.lines().nth(1).unwrap().starts_with("v20_so101_video"));
    assert!(table.lines().nth(2).unwrap().contains("sim_6dof_arm"));
    let html = std::fs::read_to_string(&page).unwrap();
    assert_offline(&html);
    assert_eq!(html.matches("data-testid=\"compare-table\"").count(), 1);
    assert_eq!(html.matches("data-testid=\"compare-row\"").count(), 2);
    assert!(html.matches("<svg").count() >= 3);

    // In Japanese, mixing a report, a plain `check --json` report and a dataset folder.
    let plain = temp.join("plain.json");
    let check = episcope(&[os("check"), shared_dataset("v21_so101_image").as_os_str(), os("--json")]);
    std::fs::write(&plain, check.stdout).unwrap();
    let folder = shared_dataset("v30_so101_image");
    let output = episcope(&[
        os("compare"),
        a.as_os_str(),
        plain.as_os_str(),
        folder.as_os_str(),
        os("-o"),
        page.as_os_str(),
        os("--lang"),
        os("ja"),
    ]);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(html.matches("data-testid=\"compare-row\"").count(), 3);
    assert!(html.contains("データセットの比較") && html.contains("エピソード"));
}

#[test]
fn compare_refuses_what_is_not_a_report() {
    let temp = TempDir::new("not-report");
    let bogus = temp.join("bogus.json");
    std::fs::write(&bogus, "{\"hello\": 1}").unwrap();
    let output = episcope(&[os("compare"), bogus.as_os_str()]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stdout(&output), "");
    assert!(stderr(&output).contains("not an episcope JSON report") && stderr(&output).contains("bogus.json"));
    assert!(temp.path().is_dir());
}
