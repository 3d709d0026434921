//! End-to-end: recordings opened through the real file input in headless Chromium — a ROS 1 bag,
//! a rosbag2 sqlite3 folder, an MCAP file and an HDF5 file (the fixtures the independent Python
//! writers made, `crates/episcope-core/tests/fixtures/recordings`): the overview lists their
//! streams with message counts and their episodes, the readiness check runs in the worker, and
//! nothing is sent anywhere.

mod support;

use std::path::PathBuf;

use fantoccini::Locator;
use support::{dist_dir, Browser, StaticServer};

fn fixture(rel: &str) -> PathBuf {
    let root = std::env::var_os("EPISCOPE_RECORDING_FIXTURES").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("crates/episcope-core/tests/fixtures/recordings")
    });
    root.join(rel)
}

/// (stream, messages) of every row of the streams table.
async fn streams(browser: &Browser) -> Vec<(String, String)> {
    browser.wait_for("[data-testid=stream-row]").await;
    let mut rows = Vec::new();
    for row in browser.client.find_all(Locator::Css("[data-testid=stream-row]")).await.unwrap() {
        rows.push((
            row.attr("data-stream").await.unwrap().unwrap_or_default(),
            row.attr("data-messages").await.unwrap().unwrap_or_default(),
        ));
    }
    rows.sort();
    rows
}

async fn episode_frames(browser: &Browser) -> Vec<String> {
    let mut out = Vec::new();
    for row in browser.client.find_all(Locator::Css("[data-testid=recording-episode]")).await.unwrap() {
        out.push(row.attr("data-frames").await.unwrap().unwrap_or_default());
    }
    out
}

async fn open(browser: &Browser, server: &StaticServer, paths: &[PathBuf]) {
    browser.client.goto(&server.url("")).await.unwrap();
    let input = browser.wait_for("[data-testid=open-recording]").await;
    let joined: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    input.send_keys(&joined.join("\n")).await.unwrap();
}

fn pairs(rows: &[(&str, &str)]) -> Vec<(String, String)> {
    rows.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn opens_a_bag_and_an_hdf5_file_through_the_file_input() {
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;

    open(&browser, &server, &[fixture("rosbag1/lz4.bag")]).await;
    assert_eq!(streams(&browser).await, pairs(&[("/cmd", "10"), ("/joint_states", "100")]));
    assert_eq!(episode_frames(&browser).await, ["100"]);
    let format = browser.wait_for("[data-testid=recording-format]").await.text().await.unwrap();
    assert_eq!(format, "ROS 1 bag");
    // Small recordings are checked as soon as they open: this one is clean.
    let summary = browser.wait_for("[data-testid=conformance-summary]").await;
    assert_eq!(summary.attr("data-verdict").await.unwrap().as_deref(), Some("pass"));
    browser.screenshot("recording-rosbag1").await;

    open(&browser, &server, &[fixture("hdf5/episode_0.hdf5")]).await;
    let rows = streams(&browser).await;
    for want in ["/action", "/observations/qpos", "/observations/qvel", "/observations/images/cam_high"] {
        assert!(rows.iter().any(|(name, messages)| name == want && messages == "50"), "{want} not in {rows:?}");
    }
    assert_eq!(episode_frames(&browser).await, ["50"]);
    browser.screenshot("recording-hdf5").await;

    // A rosbag2 folder's two files (metadata.yaml + .db3) and an MCAP with a defect, at once.
    open(
        &browser,
        &server,
        &[
            fixture("rosbag2/joint_image/metadata.yaml"),
            fixture("rosbag2/joint_image/joint_image.db3"),
            fixture("defects/gap.mcap"),
        ],
    )
    .await;
    assert_eq!(streams(&browser).await, pairs(&[("/camera/image_raw", "10"), ("/joint_states", "360")]));
    // Episodes in path order: gap.mcap (300 messages less its 40-message gap), joint_image.db3.
    assert_eq!(episode_frames(&browser).await, ["260", "100"]);
    browser.wait_for("[data-testid=rule-group][data-rule='recording.gap']").await;
    let summary = browser.wait_for("[data-testid=conformance-summary]").await;
    assert_eq!(summary.attr("data-verdict").await.unwrap().as_deref(), Some("warnings"));
    browser.screenshot("recording-rosbag2-and-mcap").await;
    assert!(browser.client.find(Locator::Css("[data-testid=error]")).await.is_err(), "an error was shown");

    // Local recordings never go to the server: only body-less GETs of the app's files.
    for request in server.requests.lock().unwrap().iter().filter(|r| !r.is_browser_service()) {
        assert_eq!(request.method, "GET", "{request:?}");
        assert_eq!(request.body_bytes, 0, "{request:?}");
        assert!(
            !request.path.contains(".bag") && !request.path.contains(".hdf5") && !request.path.contains(".db3"),
            "{request:?}"
        );
    }
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_truncated_recording_shows_an_error_naming_the_file() {
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    let dir = support::TempDir::new("truncated-recording");
    let bytes = std::fs::read(fixture("rosbag1/plain.bag")).unwrap();
    let path = dir.0.join("cut.bag");
    std::fs::write(&path, &bytes[..bytes.len() / 3]).unwrap();
    open(&browser, &server, &[path]).await;
    let error = browser.wait_for("[data-testid=error]").await.text().await.unwrap();
    assert!(error.contains("cut.bag"), "{error}");
    browser.screenshot("recording-truncated").await;
    browser.close().await;
}
