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
    // The streams table counts the check's gaps per stream (gap.mcap's one, none in the .db3).
    browser.wait_for("[data-testid=stream-row][data-stream='/joint_states'][data-gaps='1']").await;
    assert_eq!(attr(&browser, "[data-testid=stream-row][data-stream='/camera/image_raw']", "data-gaps").await, "0");
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

/// Drops `paths` on the home page's drop zone the way the OS does: the files come from a file
/// input of the test's own (WebDriver can fill one), a script puts them in a `DataTransfer` and
/// dispatches `drop` on the zone.
async fn drop_files(browser: &Browser, server: &StaticServer, paths: &[PathBuf]) {
    browser.client.goto(&server.url("")).await.unwrap();
    browser.wait_for("[data-testid=drop-zone]").await;
    let make_input = "const i = document.createElement('input'); i.type = 'file'; i.multiple = true; \
                      i.id = 'test-drop-source'; document.body.appendChild(i);";
    browser.client.execute(make_input, vec![]).await.unwrap();
    let input = browser.client.find(Locator::Css("#test-drop-source")).await.unwrap();
    let joined: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    input.send_keys(&joined.join("\n")).await.unwrap();
    let drop = "const dt = new DataTransfer(); \
                for (const f of document.getElementById('test-drop-source').files) dt.items.add(f); \
                const zone = document.querySelector('[data-testid=drop-zone]'); \
                zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));";
    browser.client.execute(drop, vec![]).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn recordings_dropped_on_the_page_open_like_picked_ones() {
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    drop_files(&browser, &server, &[fixture("rosbag1/lz4.bag"), fixture("hdf5/episode_0.hdf5")]).await;
    let rows = streams(&browser).await;
    for want in [("/cmd", "10"), ("/joint_states", "100"), ("/observations/qpos", "50")] {
        assert!(rows.iter().any(|(n, m)| (n.as_str(), m.as_str()) == want), "{want:?} not in {rows:?}");
    }
    let mut frames = episode_frames(&browser).await;
    frames.sort();
    assert_eq!(frames, ["100", "50"]);
    assert!(browser.client.find(Locator::Css("[data-testid=error]")).await.is_err(), "an error was shown");
    browser.screenshot("recording-dropped").await;
    for request in server.requests.lock().unwrap().iter().filter(|r| !r.is_browser_service()) {
        assert_eq!((request.method.as_str(), request.body_bytes), ("GET", 0), "{request:?}");
        assert!(!request.path.contains(".bag") && !request.path.contains(".hdf5"), "{request:?}");
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

/// Width, height and the RGBA of pixel (x, y) of a recording frame canvas.
async fn frame_pixel(browser: &Browser, stream: &str, x: u32, y: u32) -> Vec<u64> {
    let script = "const c = document.querySelector(`[data-testid=recording-frame][data-stream=\"${arguments[0]}\"]`);
        const d = c.getContext('2d').getImageData(arguments[1], arguments[2], 1, 1).data;
        return [c.width, c.height, d[0], d[1], d[2], d[3]];";
    let value = browser.client.execute(script, vec![stream.into(), x.into(), y.into()]).await.unwrap();
    value.as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect()
}

async fn attr(browser: &Browser, css: &str, name: &str) -> String {
    browser.wait_for(css).await.attr(name).await.unwrap().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recording_episode_plots_every_stream_at_its_rate_and_shows_cameras_at_the_cursor() {
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    open(
        &browser,
        &server,
        &[fixture("rosbag2/camera_pose/metadata.yaml"), fixture("rosbag2/camera_pose/camera_pose.mcap")],
    )
    .await;
    browser.wait_for("[data-testid=open-recording-episode][data-episode='0']").await.click().await.unwrap();
    browser.wait_for("[data-testid=recording-episode-view]").await;

    // Each numeric stream keeps its own messages: 50 JointStates, 20 poses.
    assert_eq!(attr(&browser, "[data-testid=stream-plots][data-stream='/joint_states']", "data-messages").await, "50");
    assert_eq!(attr(&browser, "[data-testid=stream-plots][data-stream='/pose']", "data-messages").await, "20");
    // Dimension names come from the messages: JointState names, and a pose's x, y, z.
    for joint in ["shoulder", "elbow", "wrist"] {
        browser
            .wait_for(&format!(
                "[data-testid=stream-plots][data-stream='/joint_states'] [data-testid=plot-panel][data-feature=position] [data-dim={joint}]"
            ))
            .await;
    }
    for axis in ["x", "y", "z"] {
        browser
            .wait_for(&format!(
                "[data-testid=stream-plots][data-stream='/pose'] [data-testid=plot-panel][data-feature='pose.position'] [data-dim={axis}]"
            ))
            .await;
    }
    browser.wait_for("[data-testid=plot][data-draw-ms]").await;
    // Every stream measured from its messages: rate and gaps (none here).
    assert_eq!(
        attr(&browser, "[data-testid=episode-stream-row][data-stream='/camera/image_raw']", "data-messages").await,
        "10"
    );
    assert_eq!(attr(&browser, "[data-testid=episode-stream-row][data-stream='/joint_states']", "data-gaps").await, "0");
    // The 3D view starts on the pose stream (a position's x, y, z).
    let picked = browser
        .client
        .execute("return document.querySelector('[data-testid=stream-3d]').selectedOptions[0].textContent;", vec![])
        .await
        .unwrap();
    assert!(picked.as_str().unwrap().starts_with("/pose"), "{picked:?}");
    browser.wait_for("[data-testid=trajectory-panel]").await;
    // The timeline steps through the densest stream (50 JointStates).
    assert_eq!(attr(&browser, "[data-testid=playback]", "data-frames").await, "50");

    // At the start every camera shows its first frame: bgr8 drawn as RGB (8x, 10y, 20i).
    browser.wait_for("[data-testid=recording-frame][data-stream='/camera/image_raw'][data-frame='0']").await;
    assert_eq!(frame_pixel(&browser, "/camera/image_raw", 5, 7).await, [32, 24, 40, 70, 0, 255]);
    // At the end: the last frame of each stream, whatever its rate.
    browser.wait_for("[data-testid=jump-end]").await.click().await.unwrap();
    browser.wait_for("[data-testid=recording-frame][data-stream='/camera/image_raw'][data-frame='9']").await;
    assert_eq!(frame_pixel(&browser, "/camera/image_raw", 31, 23).await, [32, 24, 248, 230, 180, 255]);
    // The PNG CompressedImage, decoded by the browser: solid (200, 40i, 30), i = 4.
    browser.wait_for("[data-testid=recording-frame][data-stream='/camera/compressed'][data-frame='4']").await;
    assert_eq!(frame_pixel(&browser, "/camera/compressed", 8, 8).await, [16, 16, 200, 160, 30, 255]);
    // 16UC1 depth: zero (no depth) black, the farthest column white.
    browser.wait_for("[data-testid=recording-frame][data-stream='/camera/depth'][data-frame='4']").await;
    assert_eq!(frame_pixel(&browser, "/camera/depth", 0, 3).await, [16, 12, 0, 0, 0, 255]);
    assert_eq!(frame_pixel(&browser, "/camera/depth", 15, 3).await, [16, 12, 255, 255, 255, 255]);
    // Stepping back one JointState (20 ms) leaves the 10 Hz camera on its last frame (logged at 0.903 s).
    browser.wait_for("[data-testid=step-back]").await.click().await.unwrap();
    let time: f64 = attr(&browser, "[data-testid=time-cursor]", "data-time-secs").await.parse().unwrap();
    assert!((time - 0.96).abs() < 1e-6, "cursor at {time}");
    assert_eq!(
        attr(&browser, "[data-testid=recording-frame][data-stream='/camera/image_raw']", "data-frame").await,
        "9"
    );
    assert!(browser.client.find(Locator::Css("[data-testid=recording-frame-error]")).await.is_err());
    assert!(browser.client.find(Locator::Css("[data-testid=episode-error]")).await.is_err());
    browser.screenshot("recording-episode").await;
    browser
        .client
        .execute("document.querySelector('[data-testid=trajectory-panel]').scrollIntoView();", vec![])
        .await
        .unwrap();
    browser.screenshot("recording-episode-3d-and-plots").await;

    browser.wait_for("[data-testid=back-to-recording]").await.click().await.unwrap();
    browser.wait_for("[data-testid=recording-overview]").await;

    // A recording with a gap: the episode's stream table counts it.
    open(&browser, &server, &[fixture("defects/gap.mcap")]).await;
    browser.wait_for("[data-testid=open-recording-episode][data-episode='0']").await.click().await.unwrap();
    let gapped = browser.wait_for("[data-testid=episode-stream-row][data-gaps='1']").await;
    assert_eq!(gapped.attr("data-stream").await.unwrap().as_deref(), Some("/joint_states"));

    // An HDF5 (ALOHA) episode: qpos plotted with its 14 dimensions, the camera stack at the cursor.
    open(&browser, &server, &[fixture("hdf5/episode_0.hdf5")]).await;
    browser.wait_for("[data-testid=open-recording-episode][data-episode='0']").await.click().await.unwrap();
    browser.wait_for("[data-testid=stream-plots][data-stream='/observations/qpos'][data-messages='50']").await;
    browser
        .wait_for("[data-testid=recording-frame][data-stream='/observations/images/cam_high'][data-frame='0']")
        .await;
    // make_hdf5.py aloha: (t*7 + y*3 + x*5 + c*11) mod 256 at t = 0, (x, y) = (2, 1).
    assert_eq!(frame_pixel(&browser, "/observations/images/cam_high", 2, 1).await, [32, 24, 13, 24, 35, 255]);
    browser.screenshot("recording-episode-hdf5").await;
    for request in server.requests.lock().unwrap().iter().filter(|r| !r.is_browser_service()) {
        assert_eq!((request.method.as_str(), request.body_bytes), ("GET", 0), "{request:?}");
        assert!(!request.path.contains(".mcap"), "{request:?}");
    }
    browser.close().await;
}
