//! End-to-end: the conformance view in headless Chromium — verdict, findings with rules and
//! episodes, exports generated in the browser, and the rule catalogue page.

mod support;

use std::path::Path;

use fantoccini::Locator;
use support::{dist_dir, shared_datasets, Browser, StaticServer, TempDir};

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

async fn summary_counts(browser: &Browser) -> (String, String) {
    let summary = browser.wait_for("[data-testid=conformance-summary]").await;
    (
        summary.attr("data-errors").await.unwrap().unwrap_or_default(),
        summary.attr("data-warnings").await.unwrap().unwrap_or_default(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_good_example_passes_and_a_broken_copy_shows_findings() {
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;

    browser.client.goto(&server.url("?example=v30_so101_video")).await.unwrap();
    assert_eq!(summary_counts(&browser).await, ("0".into(), "0".into()));

    // A copy with a wrong total and a corrupted frame_index column value (rewritten info.json only).
    let broken = TempDir::new("broken-v21");
    let root = broken.0.join("broken_v21");
    copy_dir(&shared_datasets().join("v21_so101_video"), &root);
    let info_path = root.join("meta/info.json");
    let mut info: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&info_path).unwrap()).unwrap();
    info["total_frames"] = serde_json::json!(999);
    std::fs::write(&info_path, serde_json::to_string_pretty(&info).unwrap()).unwrap();
    std::fs::remove_file(root.join("videos/chunk-000/observation.images.wrist/episode_000003.mp4")).unwrap();

    browser.client.goto(&server.url("")).await.unwrap();
    let input = browser.wait_for("[data-testid=open-folder]").await;
    input.send_keys(&root.display().to_string()).await.unwrap();
    let (errors, _) = summary_counts(&browser).await;
    assert_eq!(errors, "2", "expected meta.total-frames and file.video-missing");
    let mut rules = Vec::new();
    for finding in browser.client.find_all(Locator::Css("[data-testid=finding]")).await.unwrap() {
        rules.push(finding.attr("data-rule").await.unwrap().unwrap_or_default());
    }
    rules.sort();
    assert_eq!(rules, ["file.video-missing", "meta.total-frames"]);

    browser.screenshot("conformance-findings").await;
    // A finding that names an episode leads to it.
    let finding = browser.wait_for("[data-testid=finding][data-episode='3']").await;
    finding.click().await.unwrap();
    let row = browser.wait_for("[data-testid=episode-row][data-episode='3']").await;
    assert!(row.attr("class").await.unwrap().unwrap_or_default().contains("focused"));
    browser.screenshot("conformance-broken").await;

    // Exports are generated in the page and saved as downloads.
    browser.wait_for("[data-testid=export-json]").await.click().await.unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(&browser.downloaded("broken_v21.episcope.json").await).unwrap();
    assert_eq!(json["report_version"], 1);
    assert_eq!(json["summary"]["errors"], 2);
    browser.wait_for("[data-testid=export-html]").await.click().await.unwrap();
    let html = String::from_utf8(browser.downloaded("broken_v21.episcope.html").await).unwrap();
    for external in ["http://", "https://", "src=", "href=", "<script"] {
        assert!(!html.contains(external), "exported HTML contains {external}");
    }
    assert!(html.contains("meta.total-frames"));
    browser.wait_for("[data-testid=export-markdown]").await.click().await.unwrap();
    let markdown = String::from_utf8(browser.downloaded("broken_v21.episcope.md").await).unwrap();
    assert!(markdown.contains("FAIL"), "{markdown}");

    // Nothing was sent anywhere: every request was a body-less GET of the app's own files.
    for request in server.recorded().iter().filter(|r| !r.is_browser_service()) {
        assert_eq!((request.method.as_str(), request.body_bytes), ("GET", 0), "{request:?}");
    }
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rule_catalogue_page_lists_every_rule() {
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    browser.client.goto(&server.url("")).await.unwrap();
    browser.wait_for("[data-testid=nav-rules]").await.click().await.unwrap();
    browser.wait_for("[data-testid=rules]").await;
    let rows = browser.client.find_all(Locator::Css("[data-testid=rule-row]")).await.unwrap();
    assert_eq!(rows.len(), episcope_core::check::RULES.len());
    assert!(browser.client.find(Locator::Css("[data-testid=rule-row][data-rule='time.grid']")).await.is_ok());
    browser.close().await;
}
