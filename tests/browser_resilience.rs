//! End-to-end resilience: a panic in the parsing worker does not take the page down (it names the
//! file, restarts the worker and the page stays usable), and the app works offline after a visit.

mod support;

use std::time::Duration;

use support::{dist_dir, shared_datasets, Browser, StaticServer};

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_panic_names_the_file_and_the_page_recovers() {
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    // Test hook: the worker panics when it reads meta/tasks.jsonl of a local folder.
    browser.client.goto(&server.url("?debug-panic-on=meta/tasks.jsonl")).await.unwrap();
    let input = browser.wait_for("[data-testid=open-folder]").await;
    input.send_keys(&shared_datasets().join("v21_so101_video").display().to_string()).await.unwrap();
    let error = browser.wait_for("[data-testid=error]").await;
    let text = error.text().await.unwrap();
    assert!(text.contains("stopped unexpectedly"), "{text}");
    assert!(text.contains("meta/tasks.jsonl"), "the error does not name the file: {text}");
    assert!(error.attr("data-path").await.unwrap().unwrap_or_default().ends_with("meta/tasks.jsonl"));
    browser.screenshot("worker-crash").await;

    // The page is still usable and a fresh worker serves the next request.
    browser.wait_for("[data-testid=example][data-example=v21_so101_video]").await.click().await.unwrap();
    let summary = browser.wait_for("[data-testid=dataset-summary]").await;
    assert_eq!(summary.attr("data-episodes").await.unwrap().as_deref(), Some("5"));
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn works_offline_after_the_first_visit() {
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    browser.client.goto(&server.url("")).await.unwrap();
    browser.wait_for("[data-testid=example]").await;
    // Wait until the service worker has cached the shell and the examples and controls the page.
    let ready = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             navigator.serviceWorker.ready.then(() => done(true), () => done(false));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(ready, serde_json::json!(true));
    tokio::time::sleep(Duration::from_millis(500)).await;

    server.set_offline(true);
    browser.client.goto(&server.url("")).await.unwrap();
    browser.wait_for("[data-testid=example][data-example=v30_so101_video]").await.click().await.unwrap();
    let summary = browser.wait_for("[data-testid=dataset-summary]").await;
    assert_eq!(summary.attr("data-version").await.unwrap().as_deref(), Some("v3.0"));
    // Local folders open offline too.
    browser.wait_for("button.secondary").await.click().await.unwrap();
    let input = browser.wait_for("[data-testid=open-folder]").await;
    input.send_keys(&shared_datasets().join("v20_so101_video").display().to_string()).await.unwrap();
    let summary = browser.wait_for("[data-testid=dataset-summary][data-version='v2.0']").await;
    assert_eq!(summary.attr("data-frames").await.unwrap().as_deref(), Some("990"));
    browser.close().await;
}
