//! End-to-end: opening datasets in the real app in headless Chromium — a local folder through the
//! real folder input, and every bundled example.

mod support;

use fantoccini::Locator;
use support::{dist_dir, shared_datasets, Browser, StaticServer};

async fn summary(browser: &Browser) -> [String; 4] {
    let summary = browser.wait_for("[data-testid=dataset-summary]").await;
    let mut out: [String; 4] = Default::default();
    for (slot, attr) in out.iter_mut().zip(["data-version", "data-episodes", "data-frames", "data-fps"]) {
        *slot = summary.attr(attr).await.unwrap().unwrap_or_default();
    }
    out
}

async fn episode_rows(browser: &Browser) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    for row in browser.client.find_all(Locator::Css("[data-testid=episode-row]")).await.unwrap() {
        rows.push((
            row.attr("data-episode").await.unwrap().unwrap_or_default(),
            row.attr("data-length").await.unwrap().unwrap_or_default(),
        ));
    }
    rows
}

const LENGTHS: [&str; 5] = ["120", "180", "240", "150", "300"];

#[tokio::test(flavor = "multi_thread")]
async fn opens_local_folders_through_the_folder_input() {
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    for (dataset, version) in [("v21_so101_video", "v2.1"), ("v30_state_extra", "v3.0"), ("v20_so101_image", "v2.0")] {
        browser.client.goto(&server.url("")).await.unwrap();
        let input = browser.wait_for("[data-testid=open-folder]").await;
        let folder = shared_datasets().join(dataset);
        input.send_keys(&folder.display().to_string()).await.unwrap();
        assert_eq!(summary(&browser).await, [version.to_string(), "5".into(), "990".into(), "30".into()], "{dataset}");
        let rows = episode_rows(&browser).await;
        let expected: Vec<(String, String)> =
            LENGTHS.iter().enumerate().map(|(i, l)| (i.to_string(), l.to_string())).collect();
        assert_eq!(rows, expected, "{dataset}");
        browser.screenshot(&format!("local-{dataset}")).await;
        assert!(browser.client.find(Locator::Css("[data-testid=error]")).await.is_err(), "{dataset} showed an error");
    }
    // Local data never goes to the server: only body-less GETs (browser_privacy checks every path).
    let requests = server.requests.lock().unwrap().clone();
    for request in requests.iter().filter(|r| !r.is_browser_service()) {
        assert_eq!(request.method, "GET", "{request:?}");
        assert_eq!(request.body_bytes, 0, "{request:?}");
    }
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_folder_that_is_not_a_dataset_shows_an_error() {
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    let folder = support::TempDir::new("not-a-dataset");
    std::fs::write(folder.0.join("notes.txt"), "hello").unwrap();
    browser.client.goto(&server.url("")).await.unwrap();
    let input = browser.wait_for("[data-testid=open-folder]").await;
    input.send_keys(&folder.0.display().to_string()).await.unwrap();
    let error = browser.wait_for("[data-testid=error]").await;
    let text = error.text().await.unwrap();
    browser.screenshot("error-not-a-dataset").await;
    assert!(text.contains("meta/info.json"), "error does not name the missing file: {text}");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn opens_each_bundled_example() {
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    for (id, version) in [("v20_so101_video", "v2.0"), ("v21_so101_video", "v2.1"), ("v30_so101_video", "v3.0")] {
        browser.client.goto(&server.url("")).await.unwrap();
        let card = browser.wait_for(&format!("[data-testid=example][data-example={id}]")).await;
        card.click().await.unwrap();
        assert_eq!(summary(&browser).await, [version.to_string(), "5".into(), "990".into(), "30".into()], "{id}");
        assert_eq!(episode_rows(&browser).await.len(), 5, "{id}");
        let url = browser.client.current_url().await.unwrap();
        assert!(url.as_str().ends_with(&format!("?example={id}")), "deep link not in the URL: {url}");
        // The deep link reopens the same example.
        browser.client.goto(url.as_str()).await.unwrap();
        assert_eq!(summary(&browser).await[0], version, "{id} via deep link");
    }
    let requests = server.requests.lock().unwrap().clone();
    assert!(
        requests.iter().any(|r| r.path.ends_with("examples/v30_so101_video/meta/info.json")),
        "bundled files were not fetched same-origin"
    );
    browser.close().await;
}
