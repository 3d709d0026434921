//! End-to-end: conversion to LeRobot v3.0 in headless Chromium — a LeRobot v2.1 dataset with two
//! cameras (picked through the real folder input) and an MCAP recording, converted by the worker,
//! checked (the page shows the verdict), saved as one zip; the zip read back natively passes our
//! checker with the same frames as the source; an ALOHA camera becomes H.264 by the browser's own
//! encoder, which OpenH264 decodes and the official loader opens. Into a picked folder (the origin's
//! private file system stands in for the picker): files appear as the conversion goes, the result
//! passes the check and the loader, a cancel removes the folder. A 17 MiB output is streamed into the
//! archive with at most ~0.5 MB of it held in the worker at once. A slowed conversion is cancelled and leaves no archive. The
//! conversion worker (the writer) is fetched only when converting. (The privacy test covers a
//! conversion too.)

mod support;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;

use episcope_core::check::{check_dataset, CheckOptions};
use episcope_core::lerobot::{open_dataset, read_episode_frames};
use episcope_core::DatasetTree;
use support::{dist_dir, shared_datasets, Browser, StaticServer};
use video_support::{
    aloha_frame, annex_b_samples, decode_rgb, jpeg_camera_frame_at, pil_decoded_frames, worst_psnr_of_nearest_db,
    JPEG_CAMERA_FRAMES,
};

#[path = "../crates/episcope-core/tests/video_support/mod.rs"]
mod video_support;

/// The archive's files under its top folder (which must be `folder`).
fn unzip(bytes: Vec<u8>, folder: &str) -> BTreeMap<String, bytes::Bytes> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip archive");
    let mut files = BTreeMap::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("entry");
        let name = entry.name().expect("name").to_string();
        let relative = name.strip_prefix(&format!("{folder}/")).unwrap_or_else(|| panic!("{name} outside {folder}/"));
        let mut data = Vec::new();
        entry.read_to_end(&mut data).expect("reads");
        files.insert(relative.to_string(), bytes::Bytes::from(data));
    }
    files
}

/// Held by the two heaviest steps of this file's tests, which otherwise run at once: the official
/// loader's start (torch) and the two-camera v2.1 conversion. Together, on two cores, the conversion
/// once missed its 30 s wait.
static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What the official LeRobot loader (`tests/convert/load_official.py`, in the venv the test command
/// creates: `$EPISCOPE_LOADER_PY`) sees in `files` written out as a folder. Missing, the test fails.
fn load_official(files: &BTreeMap<String, bytes::Bytes>) -> serde_json::Value {
    let python = std::env::var_os("EPISCOPE_LOADER_PY")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools/loader-venv/bin/python"));
    assert!(python.is_file(), "the official loader is not installed at {}: run scripts/test.sh", python.display());
    let dir = std::env::temp_dir().join(format!("episcope-page-output-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, bytes) in files {
        let target = dir.join(path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(&target, bytes).unwrap();
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/convert/load_official.py");
    let out = std::process::Command::new(python).arg(script).arg(&dir).output().expect("run the official loader");
    let _ = std::fs::remove_dir_all(&dir);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    });
    assert_eq!(json["ok"], true, "{json}\n{}", String::from_utf8_lossy(&out.stderr));
    json
}

/// `files` as a dataset tree, on which our checker finds nothing (`what` names it when it does).
fn checked_without_findings(files: BTreeMap<String, bytes::Bytes>, what: &str) -> DatasetTree {
    let out = DatasetTree::from_memory(files).expect("tree");
    let report = pollster::block_on(check_dataset(&out, "converted", &CheckOptions::default(), &mut |_| {}));
    assert_eq!(report.findings, vec![], "{what} has findings");
    out
}

/// The official loader opens `files` as one episode of `frames` frames, decoding its first and
/// last items (one loader at a time: [`HEAVY`]).
async fn assert_official_loader_opens_one_episode(files: &BTreeMap<String, bytes::Bytes>, frames: u64) {
    let loaded = {
        let _heavy = HEAVY.lock().await;
        load_official(files)
    };
    let lengths = serde_json::json!([frames]);
    assert_eq!((loaded["num_frames"].as_u64(), &loaded["episode_lengths"]), (Some(frames), &lengths));
}

/// Nothing of the source left the page: only the app's own GETs, none naming `source_extension`.
fn assert_nothing_sent(server: &StaticServer, source_extension: &str) {
    for request in server.recorded().iter().filter(|r| !r.is_browser_service()) {
        assert_eq!((request.method.as_str(), request.body_bytes), ("GET", 0), "{request:?}");
        assert!(!request.path.contains(source_extension), "{request:?}");
    }
}

async fn attr(browser: &Browser, css: &str, name: &str) -> String {
    browser.wait_for(css).await.attr(name).await.unwrap().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_v21_dataset_converts_in_the_page_and_the_saved_zip_passes_the_check_with_the_same_frames() {
    let _heavy = HEAVY.lock().await;
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    let source_dir = shared_datasets().join("v21_so101_video");
    browser.client.goto(&server.url("")).await.unwrap();
    browser.wait_for("[data-testid=open-folder]").await.send_keys(&source_dir.display().to_string()).await.unwrap();
    browser.wait_for("[data-testid=dataset-summary]").await;
    // The writer lives in its own worker, fetched only when converting: opening a dataset (and the
    // first episode's footer, read meanwhile) does not load it.
    let fetched_converter = || server.recorded().iter().filter(|r| r.path.contains("episcope-convert-worker")).count();
    assert_eq!(fetched_converter(), 0, "the conversion worker was loaded before a conversion");
    assert!(server.recorded().iter().any(|r| r.path.ends_with("/episcope-worker_bg.wasm")), "the parsing worker");
    browser.wait_for("[data-testid=convert-start]").await.click().await.unwrap();
    let result = "[data-testid=convert-result]";
    for (name, expected) in [
        ("data-errors", "0"),
        ("data-warnings", "0"),
        ("data-infos", "0"),
        ("data-episodes", "5"),
        ("data-frames", "990"),
    ] {
        assert_eq!(attr(&browser, result, name).await, expected, "{name}");
    }
    let verdict = browser.wait_for("[data-testid=convert-verdict]").await.text().await.unwrap();
    assert_eq!(verdict, "Checked: the output passes with no findings.");
    assert!(fetched_converter() >= 2, "the conversion worker's loader and wasm were fetched to convert");
    let written = browser.wait_for("[data-testid=convert-written]").await.text().await.unwrap();
    assert!(written.starts_with("LeRobot v2.1 → LeRobot v3.0: 5 episodes, 990 frames"), "{written}");
    browser
        .client
        .execute("document.querySelector('[data-testid=convert-result]').scrollIntoView()", vec![])
        .await
        .unwrap();
    browser.screenshot("convert-v21-done").await;
    let download = browser.wait_for("[data-testid=convert-download]").await;
    assert_eq!(download.attr("download").await.unwrap().as_deref(), Some("v21_so101_video_v3.0.zip"));
    download.click().await.unwrap();
    let files = unzip(browser.downloaded("v21_so101_video_v3.0.zip").await, "v21_so101_video_v3.0");
    browser.close().await;

    assert!(files.contains_key("meta/info.json") && files.contains_key("meta/tasks.parquet"), "{:?}", files.keys());
    let videos: Vec<&String> = files.keys().filter(|p| p.starts_with("videos/")).collect();
    assert_eq!(videos.len(), 10, "two cameras × five episode files: {videos:?}");
    let out = checked_without_findings(files, "the saved dataset");
    let converted = pollster::block_on(open_dataset(&out, &mut |_| {})).expect("opens");
    let source_tree = DatasetTree::from_dir(&source_dir).unwrap().rooted_at_dataset();
    let source = pollster::block_on(open_dataset(&source_tree, &mut |_| {})).expect("opens");
    for episode in 0..5 {
        let a = pollster::block_on(read_episode_frames(&source_tree, &source, episode, &[])).unwrap();
        let b = pollster::block_on(read_episode_frames(&out, &converted, episode, &[])).unwrap();
        assert_eq!(a.timestamps_secs, b.timestamps_secs, "episode {episode}");
        let values = |f: &episcope_core::lerobot::EpisodeFrames| {
            f.series.iter().map(|s| (s.feature.clone(), s.dimensions.clone())).collect::<Vec<_>>()
        };
        assert_eq!(values(&a), values(&b), "episode {episode}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recording_converts_by_the_suggested_mapping_and_a_slow_conversion_can_be_cancelled() {
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    let mcap = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("crates/episcope-core/tests/fixtures/recordings/mcap/joint_zstd.mcap");
    browser.client.goto(&server.url("")).await.unwrap();
    browser.wait_for("[data-testid=open-recording]").await.send_keys(&mcap.display().to_string()).await.unwrap();
    browser.wait_for("[data-testid=recording-overview]").await;
    // The suggested mapping is shown before converting, as the TOML the CLI takes.
    let mapping =
        browser.wait_for("[data-testid=convert-mapping]").await.prop("value").await.unwrap().unwrap_or_default();
    assert!(mapping.contains("fps = 100") && mapping.contains("stream = \"/joint_states\""), "{mapping}");
    browser
        .client
        .execute("document.querySelector('[data-testid=convert-mapping-panel]').scrollIntoView()", vec![])
        .await
        .unwrap();
    browser.screenshot("convert-mapping").await;
    browser.wait_for("[data-testid=convert-mapping-save]").await.click().await.unwrap();
    let saved = String::from_utf8(browser.downloaded("joint_zstd.mapping.toml").await).unwrap();
    assert_eq!(saved, mapping, "the saved mapping is the one shown");
    browser.wait_for("[data-testid=convert-start]").await.click().await.unwrap();
    let result = "[data-testid=convert-result]";
    assert_eq!(attr(&browser, result, "data-errors").await, "0");
    assert_eq!(attr(&browser, result, "data-frames").await, "91", "joints 100 Hz, commands 10 Hz for 0.9 s");
    let name = attr(&browser, "[data-testid=convert-download]", "download").await;
    assert!(name.ends_with("_v3.0.zip"), "{name}");
    browser.wait_for("[data-testid=convert-download]").await.click().await.unwrap();
    let bytes = browser.downloaded(&name).await;
    let files = unzip(bytes, name.trim_end_matches(".zip"));
    checked_without_findings(files, "the recording's conversion");

    // Edited in the page: at 50 fps the same 0.9 s is 46 frames, under the task typed in.
    let edit = |from: &str, to: &str| {
        format!(
            "const t = document.querySelector('[data-testid=convert-mapping]'); \
             t.value = t.value.replace({from:?}, {to:?}); t.dispatchEvent(new Event('input', {{ bubbles: true }}));"
        )
    };
    browser.client.execute(&edit("fps = 100", "fps = 50"), vec![]).await.unwrap();
    browser.client.execute(&edit("unspecified task", "pick the cube"), vec![]).await.unwrap();
    browser.wait_for("[data-testid=convert-start]").await.click().await.unwrap();
    browser.wait_for("[data-testid=convert-result][data-frames='46']").await;
    assert_eq!(attr(&browser, result, "data-errors").await, "0");
    browser.wait_for("[data-testid=convert-download]").await.click().await.unwrap();
    let files = unzip(browser.downloaded(&name).await, name.trim_end_matches(".zip"));
    let info: serde_json::Value = serde_json::from_slice(&files["meta/info.json"]).unwrap();
    assert_eq!(info["fps"], 50, "{info}");
    let out = DatasetTree::from_memory(files).expect("tree");
    let converted = pollster::block_on(open_dataset(&out, &mut |_| {})).expect("opens");
    assert_eq!(converted.tasks.iter().map(|t| t.text.as_str()).collect::<Vec<_>>(), ["pick the cube"]);
    // A mapping that does not parse fails the conversion with the reason, and nothing is offered.
    browser.client.execute(&edit("fps = 50", "fps = \"fast\""), vec![]).await.unwrap();
    browser.wait_for("[data-testid=convert-start]").await.click().await.unwrap();
    let error = browser.wait_for("[data-testid=convert-error]").await.text().await.unwrap();
    assert!(error.contains("mapping.toml"), "{error}");
    browser.wait_for("[data-testid=convert-mapping-reset]").await.click().await.unwrap();
    let reset =
        browser.wait_for("[data-testid=convert-mapping]").await.prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(reset, mapping, "back to the suggestion");

    // Slowed down (every read waits 300 ms), the conversion is stopped half-way by Cancel.
    let dataset = shared_datasets().join("v21_state_extra");
    browser.client.goto(&server.url("?debug-convert-delay-ms=300")).await.unwrap();
    browser.wait_for("[data-testid=open-folder]").await.send_keys(&dataset.display().to_string()).await.unwrap();
    browser.wait_for("[data-testid=dataset-summary]").await;
    browser.wait_for("[data-testid=convert-start]").await.click().await.unwrap();
    browser.wait_for("[data-testid=convert-progress][data-stage=convert]").await;
    let text = browser.wait_for("[data-testid=convert-progress] .job-progress-text").await.text().await.unwrap();
    assert!(text.starts_with("writing episodes"), "{text}");
    browser.wait_for("[data-testid=convert-cancel]").await.click().await.unwrap();
    browser.wait_for("[data-testid=convert-cancelled]").await;
    assert!(browser.client.find(fantoccini::Locator::Css("[data-testid=convert-download]")).await.is_err());
    browser.close().await;
}

/// Opens `paths` as one recording in the page, takes the suggested mapping (returned) and converts
/// with it: the page's verdict has no errors and `frames` frames; returns the saved zip's files.
async fn convert_recording_in_page(
    browser: &Browser,
    server: &StaticServer,
    paths: &[PathBuf],
    frames: &str,
) -> (String, BTreeMap<String, bytes::Bytes>) {
    let joined: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    browser.client.goto(&server.url("")).await.unwrap();
    browser.wait_for("[data-testid=open-recording]").await.send_keys(&joined.join("\n")).await.unwrap();
    browser.wait_for("[data-testid=recording-overview]").await;
    let mapping =
        browser.wait_for("[data-testid=convert-mapping]").await.prop("value").await.unwrap().unwrap_or_default();
    browser.wait_for("[data-testid=convert-start]").await.click().await.unwrap();
    let result = "[data-testid=convert-result]";
    assert_eq!(attr(browser, result, "data-errors").await, "0", "{mapping}");
    assert_eq!(attr(browser, result, "data-warnings").await, "0", "{mapping}");
    assert_eq!(attr(browser, result, "data-frames").await, frames, "{mapping}");
    let name = attr(browser, "[data-testid=convert-download]", "download").await;
    browser.wait_for("[data-testid=convert-download]").await.click().await.unwrap();
    let files = unzip(browser.downloaded(&name).await, name.trim_end_matches(".zip"));
    (mapping, files)
}

fn recording_fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("crates/episcope-core/tests/fixtures/recordings").join(rel)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_aloha_camera_converts_in_the_page_to_h264_by_the_browsers_own_encoder() {
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    let (mapping, files) =
        convert_recording_in_page(&browser, &server, &[recording_fixture("hdf5/episode_0.hdf5")], "50").await;
    // This browser's WebCodecs encodes H.264, so the suggestion makes the camera a video.
    assert!(
        mapping.contains("stream = \"/observations/images/cam_high\"") && mapping.contains("dtype = \"video\""),
        "{mapping}"
    );
    let path = "videos/observation.images.cam_high/chunk-000/file-000.mp4";
    let video = files.get(path).unwrap_or_else(|| panic!("no {path} in {:?}", files.keys())).clone();
    let info: serde_json::Value = serde_json::from_slice(&files["meta/info.json"]).unwrap();
    let camera = &info["features"]["observation.images.cam_high"];
    assert_eq!((camera["dtype"].as_str(), camera["info"]["video.codec"].as_str()), (Some("video"), Some("h264")));
    checked_without_findings(files.clone(), "the page's video conversion");
    // The official loader opens the saved dataset and decodes its video (first and last items).
    assert_official_loader_opens_one_episode(&files, 50).await;

    // Decoded by OpenH264 (not the browser that encoded it): one picture per frame, from a key frame,
    // each nearest to its own source frame.
    let (samples, sync) = annex_b_samples(&video);
    assert_eq!((samples.len(), sync[0]), (50, 1));
    let decoded = decode_rgb(&samples, 32, 24);
    let worst = worst_psnr_of_nearest_db(&decoded, |t| t, 50, |t| aloha_frame(t, 32, 24));
    println!("WebCodecs: worst PSNR over 50 frames {worst:.1} dB");
    assert!(worst > 20.0, "worst frame PSNR {worst:.1} dB");
    // Nothing of the recording left the page.
    assert_nothing_sent(&server, ".hdf5");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_jpeg_camera_of_a_ros2_bag_converts_in_the_page_to_video() {
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    let bag = recording_fixture("rosbag2/jpeg_camera");
    let paths = [bag.join("metadata.yaml"), bag.join("jpeg_camera.mcap")];
    // JointState at 50 Hz for 1 s.
    let (mapping, files) = convert_recording_in_page(&browser, &server, &paths, "50").await;
    assert!(mapping.contains("stream = \"/camera/image/compressed\""), "the JPEG camera is suggested: {mapping}");
    let (path, video) = files.iter().find(|(p, _)| p.starts_with("videos/")).expect("a camera video");
    assert!(path.ends_with("chunk-000/file-000.mp4"), "{path}");
    // Each decoded frame is nearest to Pillow's decoding of the camera frame nearest in time.
    let reference = pil_decoded_frames(&bag);
    let (samples, _) = annex_b_samples(video);
    let decoded = decode_rgb(&samples, 32, 24);
    assert_eq!(decoded.len(), 50);
    let worst = worst_psnr_of_nearest_db(&decoded, jpeg_camera_frame_at, JPEG_CAMERA_FRAMES, |i| reference[i].clone());
    println!("JPEG camera through WebCodecs: worst PSNR over 50 frames {worst:.1} dB");
    assert!(worst > 30.0, "worst frame PSNR {worst:.1} dB");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bundled_example_converts_in_the_conversion_worker() {
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    browser.client.goto(&server.url("?example=v20_so101_video")).await.unwrap();
    browser.wait_for("[data-testid=dataset-summary]").await;
    browser.wait_for("[data-testid=convert-start]").await.click().await.unwrap();
    let result = "[data-testid=convert-result]";
    assert_eq!(attr(&browser, result, "data-errors").await, "0");
    assert_eq!(attr(&browser, result, "data-episodes").await, "5");
    let written = browser.wait_for("[data-testid=convert-written]").await.text().await.unwrap();
    assert!(written.starts_with("LeRobot v2.0 → LeRobot v3.0: 5 episodes"), "{written}");
    browser.close().await;
}

/// Makes `showDirectoryPicker` answer with the folder `picked` of the origin's private file system
/// (the same `FileSystemDirectoryHandle` type a user's pick gives; headless Chromium cannot show the
/// picker), emptied first.
async fn stub_folder_picker(browser: &Browser) {
    let outcome = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             (async () => {
               const root = await navigator.storage.getDirectory();
               for await (const [name] of root.entries()) await root.removeEntry(name, { recursive: true });
               const picked = await root.getDirectoryHandle('picked', { create: true });
               window.showDirectoryPicker = async () => picked;
               return 'stubbed';
             })().then(done, (e) => done(String(e)));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(outcome, serde_json::json!("stubbed"));
}

/// Every file under the picked folder, by path (`<dataset folder>/meta/info.json` …).
async fn picked_folder_files(browser: &Browser) -> BTreeMap<String, bytes::Bytes> {
    let listing = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             (async () => {
               const root = await navigator.storage.getDirectory();
               const picked = await root.getDirectoryHandle('picked');
               const out = {};
               const walk = async (dir, prefix) => {
                 for await (const [name, handle] of dir.entries()) {
                   if (handle.kind === 'directory') { await walk(handle, prefix + name + '/'); continue; }
                   const bytes = new Uint8Array(await (await handle.getFile()).arrayBuffer());
                   out[prefix + name] = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
                 }
               };
               await walk(picked, '');
               return out;
             })().then(done, (e) => done({ error: String(e) }));",
            vec![],
        )
        .await
        .unwrap();
    let listing = listing.as_object().expect("an object").clone();
    assert!(!listing.contains_key("error"), "{listing:?}");
    listing
        .into_iter()
        .map(|(path, hex)| {
            let hex = hex.as_str().expect("hex").as_bytes();
            let bytes: Vec<u8> =
                hex.chunks(2).map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap()).collect();
            (path, bytes::Bytes::from(bytes))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recording_converts_into_a_folder_the_user_picks_and_the_folder_passes_the_check() {
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    browser.client.goto(&server.url("")).await.unwrap();
    stub_folder_picker(&browser).await;
    let hdf5 = recording_fixture("hdf5/episode_0.hdf5");
    browser.wait_for("[data-testid=open-recording]").await.send_keys(&hdf5.display().to_string()).await.unwrap();
    browser.wait_for("[data-testid=recording-overview]").await;
    browser.wait_for("[data-testid=convert-mapping]").await;
    browser.wait_for("[data-testid=convert-into-folder]").await.click().await.unwrap();
    browser.wait_for("[data-testid=convert-start]").await.click().await.unwrap();
    let result = "[data-testid=convert-result]";
    assert_eq!(attr(&browser, result, "data-errors").await, "0");
    assert_eq!(attr(&browser, result, "data-warnings").await, "0");
    assert_eq!(attr(&browser, result, "data-frames").await, "50");
    let saved = browser.wait_for("[data-testid=convert-saved-folder]").await.text().await.unwrap();
    assert_eq!(saved, "Written into the folder you picked: episode_0_hdf5_v3.0");
    assert!(browser.client.find(fantoccini::Locator::Css("[data-testid=convert-download]")).await.is_err());
    browser
        .client
        .execute("document.querySelector('[data-testid=convert-result]').scrollIntoView()", vec![])
        .await
        .unwrap();
    browser.screenshot("convert-into-folder-done").await;

    // What is in the folder, read back through the file system: the dataset, under its own folder.
    let written = picked_folder_files(&browser).await;
    let files: BTreeMap<String, bytes::Bytes> = written
        .iter()
        .map(|(path, bytes)| {
            let relative = path.strip_prefix("episode_0_hdf5_v3.0/").unwrap_or_else(|| panic!("{path} outside"));
            (relative.to_string(), bytes.clone())
        })
        .collect();
    assert!(files.contains_key("videos/observation.images.cam_high/chunk-000/file-000.mp4"), "{:?}", files.keys());
    assert!(!files.keys().any(|p| p.ends_with(".crswap")), "a swap file was left: {:?}", files.keys());
    checked_without_findings(files.clone(), "the folder's dataset");
    assert_official_loader_opens_one_episode(&files, 50).await;
    assert_nothing_sent(&server, ".hdf5");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_conversion_into_a_folder_writes_files_as_it_goes_and_a_cancel_removes_the_folder() {
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    // Slowed down (every read waits 150 ms): the episodes' video files are written one by one.
    browser.client.goto(&server.url("?debug-convert-delay-ms=150")).await.unwrap();
    stub_folder_picker(&browser).await;
    let dataset = shared_datasets().join("v21_so101_video");
    browser.wait_for("[data-testid=open-folder]").await.send_keys(&dataset.display().to_string()).await.unwrap();
    browser.wait_for("[data-testid=dataset-summary]").await;
    browser.wait_for("[data-testid=convert-into-folder]").await.click().await.unwrap();
    browser.wait_for("[data-testid=convert-start]").await.click().await.unwrap();
    browser.wait_for("[data-testid=convert-progress][data-stage=convert]").await;
    // Files appear in the folder while the conversion runs; info.json (what makes it a dataset) is not
    // among them.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mid_way = loop {
        let files = picked_folder_files(&browser).await;
        if files.keys().any(|p| p.starts_with("v21_so101_video_v3.0/videos/") && p.ends_with(".mp4")) {
            break files;
        }
        assert!(std::time::Instant::now() < deadline, "no file was written while converting: {:?}", files.keys());
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(!mid_way.contains_key("v21_so101_video_v3.0/meta/info.json"), "{:?}", mid_way.keys());
    browser.wait_for("[data-testid=convert-cancel]").await.click().await.unwrap();
    browser.wait_for("[data-testid=convert-cancelled]").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let files = picked_folder_files(&browser).await;
        if files.is_empty() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the cancelled folder was left: {:?}", files.keys());
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_zip_conversion_streams_the_output_holding_about_one_episode_of_it_at_a_time() {
    // A 100 000-frame v3.0 dataset (17 MiB of parquet), re-chunked in the page into 4 MB files.
    let dir = std::env::temp_dir().join(format!("episcope-page-stream-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let spec = episcope_core::synthetic::SyntheticSpec::default();
    let mut sink = episcope_core::local::DirSink { root: dir.clone() };
    episcope_core::synthetic::write_synthetic_dataset(&spec, &mut sink, &mut |_| {}).expect("generates");
    let _heavy = HEAVY.lock().await;
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    browser.client.goto(&server.url("")).await.unwrap();
    browser.wait_for("[data-testid=open-folder]").await.send_keys(&dir.display().to_string()).await.unwrap();
    browser.wait_for("[data-testid=dataset-summary]").await;
    let size = browser.wait_for("[data-testid=convert-file-size]").await;
    size.clear().await.unwrap();
    size.send_keys("4").await.unwrap();
    browser.wait_for("[data-testid=convert-start]").await.click().await.unwrap();
    let result = "[data-testid=convert-result]";
    assert_eq!(attr(&browser, result, "data-errors").await, "0");
    assert_eq!(attr(&browser, result, "data-frames").await, "100000");
    let number = |s: String| s.parse::<u64>().unwrap();
    let dataset_bytes = number(attr(&browser, result, "data-dataset-bytes").await);
    let start = number(attr(&browser, result, "data-worker-memory-start").await);
    let peak = number(attr(&browser, result, "data-worker-memory").await);
    let held = number(attr(&browser, result, "data-output-held").await);
    let memory = browser.wait_for("[data-testid=convert-memory]").await.text().await.unwrap();
    println!("output {dataset_bytes} B; held at most {held} B; worker memory {start} B → {peak} B ({memory})");
    assert!(dataset_bytes > 16 << 20, "{dataset_bytes}");
    // Streamed: the worker held about one episode's output (600 frames, ~110 kB of parquet) at a
    // time, not the 17 MiB. (Its heap peak is mostly the exact stats, which sort every value.)
    assert!(held > 0 && held < dataset_bytes / 16, "held {held} B of the {dataset_bytes} B output at once");
    let name = attr(&browser, "[data-testid=convert-download]", "download").await;
    browser.wait_for("[data-testid=convert-download]").await.click().await.unwrap();
    let files = unzip(browser.downloaded(&name).await, name.trim_end_matches(".zip"));
    browser.close().await;
    let data_files = files.keys().filter(|p| p.starts_with("data/")).count();
    assert!(data_files >= 4, "rolled at 4 MB: {:?}", files.keys());
    checked_without_findings(files, "the streamed archive's dataset");
    let _ = std::fs::remove_dir_all(&dir);
}
