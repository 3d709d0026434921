//! End-to-end: exact statistics computed in the worker (progress, cancel, values equal to numpy's),
//! the plain-language report page and its self-contained HTML export opened offline, and the
//! comparison of two JSON reports made natively by the report library.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use episcope_core::DatasetTree;
use episcope_report::{report_dataset, ReportOptions};
use fantoccini::Locator;
use support::{dist_dir, shared_datasets, Browser, StaticServer, TempDir};

/// `observation.state` dimensions 0–2 of every example dataset: min, max, mean, std, q01, q50, q99,
/// computed with numpy (the same table as `crates/episcope-core/tests/dataset_stats.rs`).
const STATE: [[f64; 7]; 3] = [
    [
        -45.34266662597656,
        45.62466049194336,
        4.880851272767353,
        31.03183291902702,
        -44.93568103790283,
        9.289896965026855,
        45.09140449523926,
    ],
    [
        -50.82590103149414,
        10.702705383300781,
        -19.39960668420071,
        21.074155784373374,
        -50.14482620239258,
        -18.22180461883545,
        10.23398554801941,
    ],
    [
        -5.742959499359131,
        66.08361053466797,
        30.79476477452977,
        24.53121477009178,
        -5.187655763626099,
        31.679641723632812,
        65.1552823638916,
    ],
];

async fn attr(element: &fantoccini::elements::Element, name: &str) -> String {
    element.attr(name).await.unwrap().unwrap_or_default()
}

async fn count(browser: &Browser, css: &str) -> usize {
    browser.client.find_all(Locator::Css(css)).await.unwrap().len()
}

/// Waits for a finished download whose name ends with `suffix`.
async fn downloaded_ending(browser: &Browser, suffix: &str) -> (PathBuf, Vec<u8>) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        for entry in std::fs::read_dir(&browser.downloads.0).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(suffix) {
                // `downloaded` removes the file (the next download may take its name): keep a copy
                // outside the downloads folder for the caller to open.
                let bytes = browser.downloaded(&name).await;
                let kept = std::env::temp_dir().join(format!("episcope-kept-{}-{name}", std::process::id()));
                std::fs::write(&kept, &bytes).unwrap();
                return (kept, bytes);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no download ending with {suffix} in {}", browser.downloads.0.display());
}

fn assert_self_contained(html: &str, what: &str) {
    for marker in ["http:", "https:", "//", "src=", "@import", "url("] {
        assert!(!html.contains(marker), "{what} contains {marker}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn statistics_with_progress_and_cancel_then_the_report_and_its_offline_export() {
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    // The test hook slows every read of the statistics so the cancel lands mid-computation.
    browser.client.goto(&server.url("?example=v21_so101_video&debug-stats-delay-ms=40")).await.unwrap();
    browser.wait_for("[data-testid=dataset-summary]").await;

    // Start, cancel at once: a cancelled state, nothing computed.
    browser.wait_for("[data-testid=stats-start]").await.click().await.unwrap();
    browser.wait_for("[data-testid=stats-cancel]").await.click().await.unwrap();
    browser.wait_for("[data-testid=stats-cancelled]").await;
    assert_eq!(count(&browser, "[data-testid=stats-table]").await, 0);

    // Start again: progress names the column being read, then the table.
    browser.wait_for("[data-testid=stats-start]").await.click().await.unwrap();
    let mut columns_seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while count(&browser, "[data-testid=stats-table]").await == 0 {
        assert!(Instant::now() < deadline, "statistics never finished");
        if let Ok(progress) = browser.client.find(Locator::Css("[data-testid=stats-progress]")).await {
            // The progress element may be gone by now (the statistics finished): skip then.
            let column = progress.attr("data-column").await.ok().flatten().unwrap_or_default();
            if !column.is_empty() && !columns_seen.contains(&column) {
                columns_seen.push(column);
            }
            if columns_seen.len() == 1 {
                browser.screenshot("stats-progress").await;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!columns_seen.is_empty(), "no progress was shown");
    assert!(columns_seen.iter().any(|c| c == "observation.state" || c == "action"), "columns seen: {columns_seen:?}");

    let rows = browser
        .client
        .find_all(Locator::Css("[data-testid=stats-row][data-feature='observation.state']"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 6, "one row per dimension of observation.state");
    for (dim, expected) in STATE.iter().enumerate() {
        let row = browser
            .wait_for(&format!("[data-testid=stats-row][data-feature='observation.state'][data-dim='{dim}']"))
            .await;
        assert_eq!(attr(&row, "data-count").await, "990");
        for (name, value) in [
            ("data-min", expected[0]),
            ("data-max", expected[1]),
            ("data-mean", expected[2]),
            ("data-std", expected[3]),
            ("data-q01", expected[4]),
            ("data-q50", expected[5]),
            ("data-q99", expected[6]),
        ] {
            let shown: f64 = attr(&row, name).await.parse().unwrap_or_else(|e| panic!("dim {dim} {name}: {e}"));
            assert!((shown - value).abs() <= 1e-6, "dim {dim} {name}: {shown} vs {value}");
        }
    }
    let first = browser.wait_for("[data-testid=stats-row][data-feature='observation.state'][data-dim='0']").await;
    assert!(first.text().await.unwrap().contains("shoulder_pan.pos"), "dimensions are labelled by name");

    // Drift: the stored per-episode stats (v2.1) agree with the data; none is outside tolerance.
    let drift = browser.wait_for("[data-testid=drift-summary]").await;
    assert_eq!(attr(&drift, "data-outside").await, "0");
    assert!(attr(&drift, "data-compared").await.parse::<u64>().unwrap() > 0);
    let drift_rows = browser.client.find_all(Locator::Css("[data-testid=drift-row]")).await.unwrap();
    assert!(!drift_rows.is_empty());
    for row in &drift_rows {
        assert_ne!(attr(row, "data-within").await, "false");
    }
    assert!(count(&browser, "[data-testid=stats] .chart-box svg").await >= 4, "stats charts");
    browser.screenshot("stats-table").await;
    for (css, name) in
        [("[data-testid=stats-table]", "stats-table-rows"), ("[data-testid=stats] .chart-box", "stats-charts")]
    {
        let script = format!("document.querySelector('{css}').scrollIntoView()");
        browser.client.execute(&script, vec![]).await.unwrap();
        browser.screenshot(name).await;
    }

    // The report page: sentence, verdict, charts.
    browser.wait_for("[data-testid=open-report]").await.click().await.unwrap();
    let sentence = browser.wait_for("[data-testid=report] [data-testid=report-sentence]").await;
    let sentence = sentence.text().await.unwrap();
    assert!(sentence.starts_with("5 episodes of the so101_follower robot"), "{sentence}");
    let verdict = browser.wait_for("[data-testid=report] [data-testid=verdict]").await.text().await.unwrap();
    assert_eq!(verdict, "Pass");
    assert!(count(&browser, "[data-testid=report] svg").await >= 3, "report charts");
    browser.screenshot("report-page").await;

    browser.wait_for("[data-testid=report-download-json]").await.click().await.unwrap();
    let (_, json) = downloaded_ending(&browser, ".report.json").await;
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(json["report_version"], 1);
    assert_eq!(json["dataset"]["episodes"], 5);
    assert!(json["statistics"]["features"].as_array().is_some_and(|f| !f.is_empty()));

    browser.wait_for("[data-testid=report-download-html]").await.click().await.unwrap();
    let (html_path, html) = downloaded_ending(&browser, ".report.html").await;
    let html = String::from_utf8(html).unwrap();
    assert_self_contained(&html, "the exported report");
    assert!(html.contains("<svg"));

    // The exported file opens with the network cut, from disk, and shows the verdict.
    server.set_offline(true);
    let before = server.recorded().len();
    browser.client.goto(&format!("file://{}", html_path.display())).await.unwrap();
    let offline_verdict = browser.wait_for("[data-testid=verdict]").await.text().await.unwrap();
    assert_eq!(offline_verdict, "Pass");
    assert!(count(&browser, "svg.chart").await >= 3);
    browser.screenshot("report-offline").await;
    let after: Vec<_> = server.recorded().into_iter().skip(before).filter(|r| !r.is_browser_service()).collect();
    assert!(after.is_empty(), "the offline report made requests: {after:?}");
    let _ = std::fs::remove_file(&html_path);
    browser.close().await;
}

/// A full report of a shared dataset, made natively by the report library (as `episcope report`).
fn write_report(name: &str, into: &Path) -> PathBuf {
    let tree = DatasetTree::from_dir(&shared_datasets().join(name)).unwrap().rooted_at_dataset();
    let report = pollster::block_on(report_dataset(&tree, name, &ReportOptions::default()));
    let path = into.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_vec_pretty(&report).unwrap()).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn two_json_reports_side_by_side_without_any_data() {
    let dir = TempDir::new("compare-reports");
    let first = write_report("v20_so101_video", &dir.0);
    let second = write_report("v30_state_extra", &dir.0);
    let not_a_report = dir.0.join("notes.json");
    std::fs::write(&not_a_report, b"{\"hello\": \"world\"}").unwrap();

    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    browser.client.goto(&server.url("")).await.unwrap();
    browser.wait_for("[data-testid=nav-compare]").await.click().await.unwrap();
    let input = browser.wait_for("[data-testid=compare-files]").await;
    input.send_keys(&format!("{}\n{}\n{}", first.display(), second.display(), not_a_report.display())).await.unwrap();
    browser.wait_for("[data-testid=compare-table]").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while count(&browser, "[data-testid=compare-row]").await < 2 {
        assert!(Instant::now() < deadline, "the two rows never appeared");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rows = browser.client.find_all(Locator::Css("[data-testid=compare-row]")).await.unwrap();
    assert_eq!(rows.len(), 2);
    let mut seen = Vec::new();
    for row in &rows {
        seen.push((attr(row, "data-name").await, attr(row, "data-version").await, attr(row, "data-episodes").await));
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            ("v20_so101_video".to_string(), "v2.0".to_string(), "5".to_string()),
            ("v30_state_extra".to_string(), "v3.0".to_string(), "5".to_string()),
        ]
    );
    let robot_cell = rows[0].text().await.unwrap();
    assert!(robot_cell.contains("so101_follower") || robot_cell.contains("sim_6dof_arm"), "{robot_cell}");
    for chart in ["compare-chart-robot", "compare-chart-task", "compare-chart-findings"] {
        assert_eq!(count(&browser, &format!("[data-testid={chart}] svg")).await, 1, "{chart}");
    }
    let errors = browser.wait_for("[data-testid=compare-errors]").await.text().await.unwrap();
    assert!(errors.contains("notes.json"), "the file that is not a report is named: {errors}");
    browser.screenshot("compare").await;

    browser.wait_for("[data-testid=compare-download-html]").await.click().await.unwrap();
    let html = String::from_utf8(browser.downloaded("comparison.html").await).unwrap();
    assert_self_contained(&html, "the exported comparison");
    assert_eq!(html.matches("data-testid=\"compare-row\"").count(), 2);

    // Removing a row leaves the other.
    browser.wait_for("[data-testid=compare-remove]").await.click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while count(&browser, "[data-testid=compare-row]").await != 1 {
        assert!(Instant::now() < deadline, "the row was not removed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser.close().await;
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

async fn stats_consistent_findings(browser: &Browser) -> usize {
    count(browser, "[data-testid=finding][data-rule='stats.consistent']").await
}

#[tokio::test(flavor = "multi_thread")]
async fn stale_stored_stats_are_highlighted_and_join_the_findings_once() {
    // A v3.0 copy whose stored mean of observation.state[0] is 5 off.
    let dir = TempDir::new("stale-stats");
    let root = dir.0.join("stale_v30");
    copy_dir(&shared_datasets().join("v30_so101_video"), &root);
    let stats_path = root.join("meta/stats.json");
    let mut stats: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&stats_path).unwrap()).unwrap();
    let mean = stats["observation.state"]["mean"][0].as_f64().unwrap();
    stats["observation.state"]["mean"][0] = serde_json::json!(mean + 5.0);
    std::fs::write(&stats_path, serde_json::to_string_pretty(&stats).unwrap()).unwrap();

    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    browser.client.goto(&server.url("")).await.unwrap();
    browser.wait_for("[data-testid=open-folder]").await.send_keys(&root.display().to_string()).await.unwrap();
    browser.wait_for("[data-testid=conformance-summary]").await;
    let before = stats_consistent_findings(&browser).await;

    browser.wait_for("[data-testid=stats-start]").await.click().await.unwrap();
    browser.wait_for("[data-testid=stats-table]").await;
    let summary = browser.wait_for("[data-testid=drift-summary]").await;
    assert_eq!(attr(&summary, "data-outside").await, "1");
    let bad = browser
        .wait_for("[data-testid=drift-row][data-within='false'][data-feature='observation.state'][data-stat='mean']")
        .await;
    assert!(attr(&bad, "class").await.contains("drift-bad"), "the disagreement is highlighted");
    assert!(bad.text().await.unwrap().contains("shoulder_pan.pos"));

    // The disagreement is a stats.consistent finding, once: added if the checker had not made it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while stats_consistent_findings(&browser).await < before.max(1) {
        assert!(Instant::now() < deadline, "the drift never reached the conformance findings");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(stats_consistent_findings(&browser).await, before.max(1));
    let script = "document.querySelector('[data-testid=drift-summary]').scrollIntoView()";
    browser.client.execute(script, vec![]).await.unwrap();
    browser.screenshot("stats-drift").await;
    browser.close().await;
}
