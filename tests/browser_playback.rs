//! End-to-end: the episode explorer's time — camera videos follow the time cursor (v2.1 files per
//! episode, v3.0 files holding many episodes), deep links restore episode and time, playback keys
//! and speed, zoom/pan/hover/toggles on the plots, and the episode browser's filters and keys.

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::{dist_dir, Browser, StaticServer};

/// `(feature, currentTime, data-from-secs, readyState, videoWidth)` of every video element.
async fn videos(browser: &Browser) -> Vec<(String, f64, f64, u64, u64)> {
    let script = r#"
        return [...document.querySelectorAll('video[data-testid=video]')].map(v =>
            [v.dataset.feature, v.currentTime, parseFloat(v.dataset.fromSecs), v.readyState, v.videoWidth]);
    "#;
    serde_json::from_value(browser.client.execute(script, vec![]).await.unwrap()).unwrap()
}

async fn cursor_secs(browser: &Browser) -> Option<f64> {
    let cursor = browser.wait_for("[data-testid=time-cursor]").await;
    cursor.attr("data-time-secs").await.unwrap().and_then(|s| s.parse().ok())
}

/// Polls `check` every 100 ms for up to 15 s; panics with `what` and the last value otherwise.
async fn eventually<T: std::fmt::Debug, F: std::future::Future<Output = T>>(
    what: &str,
    mut probe: impl FnMut() -> F,
    check: impl Fn(&T) -> bool,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let value = probe().await;
        if check(&value) {
            return value;
        }
        assert!(Instant::now() < deadline, "{what}: last value {value:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn press(browser: &Browser, key: &str) {
    browser
        .client
        .execute(
            "window.dispatchEvent(new KeyboardEvent('keydown', { key: arguments[0], bubbles: true }));",
            vec![json!(key)],
        )
        .await
        .unwrap();
}

/// Every video is at `from + t` (within 1 ms), has its metadata and decodes (a frame size).
async fn assert_videos_at(browser: &Browser, t: f64, from_secs: f64, count: usize) {
    let list = eventually(
        &format!("videos at {from_secs} + {t} s"),
        || videos(browser),
        |list| {
            list.len() == count
                && list.iter().all(|(_, time, _, ready, _)| (time - (from_secs + t)).abs() < 1e-3 && *ready >= 1)
        },
    )
    .await;
    for (feature, _, from, _, width) in list {
        assert_eq!(from, from_secs, "{feature}: the episode's start in its file");
        assert!(width > 0, "{feature}: the browser did not decode the video");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn videos_follow_the_cursor_and_a_deep_link_restores_episode_and_time() {
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    // v3.0: both cameras' episode 2 lies 10.0 s into the shared file (meta/episodes from_timestamp).
    browser.client.goto(&server.url("?example=v30_so101_video&episode=2&t=1.5")).await.unwrap();
    browser.wait_for("[data-testid=episode-view][data-episode='2']").await;
    assert_eq!(eventually("the linked time", || cursor_secs(&browser), |t| t.is_some()).await, Some(1.5));
    assert_videos_at(&browser, 1.5, 10.0, 2).await;
    // Three frames forward (30 fps): frame 45 → 48, i.e. 1.6 s.
    for _ in 0..3 {
        press(&browser, "ArrowRight").await;
    }
    let t = eventually("three steps", || cursor_secs(&browser), |t| t.is_some_and(|t| (t - 1.6).abs() < 1e-6)).await;
    assert_videos_at(&browser, t.unwrap(), 10.0, 2).await;
    // The URL now carries the new time, so reloading it restores the same view.
    let url = browser.client.current_url().await.unwrap();
    assert!(url.as_str().contains("episode=2") && url.as_str().contains("t=1.6"), "{url}");
    browser.client.goto(url.as_str()).await.unwrap();
    browser.wait_for("[data-testid=episode-view][data-episode='2']").await;
    assert_eq!(eventually("time after reload", || cursor_secs(&browser), |t| t.is_some()).await, Some(1.6));
    assert_videos_at(&browser, 1.6, 10.0, 2).await;
    // Clicking the timeline's middle seeks there (episode 2: 240 frames, 0 … 7.967 s).
    browser.wait_for("[data-testid=timeline]").await.click().await.unwrap();
    let t = eventually("timeline click", || cursor_secs(&browser), |t| t.is_some_and(|t| (t - 3.98).abs() < 0.5))
        .await
        .unwrap();
    assert_videos_at(&browser, t, 10.0, 2).await;
    browser.screenshot("playback-v30").await;

    // v2.1: one file per episode and camera, so the video time is the episode time.
    browser.client.goto(&server.url("?example=v21_so101_video&episode=3&t=2")).await.unwrap();
    browser.wait_for("[data-testid=episode-view][data-episode='3']").await;
    assert_eq!(eventually("the linked time", || cursor_secs(&browser), |t| t.is_some()).await, Some(2.0));
    assert_videos_at(&browser, 2.0, 0.0, 2).await;
    press(&browser, "End").await;
    let end = eventually("End key", || cursor_secs(&browser), |t| t.is_some_and(|t| t > 4.9)).await.unwrap();
    assert_videos_at(&browser, end, 0.0, 2).await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn playback_plays_at_speed_and_plots_zoom_pan_hover_and_toggle() {
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    browser.client.goto(&server.url("?example=v21_so101_video&episode=4")).await.unwrap();
    let canvas = "[data-testid=plot][data-feature='observation.state']";
    browser.wait_for(canvas).await;

    // Space plays at 4×: the cursor moves forward by about 4 s per second of wall time.
    browser
        .client
        .execute("const s = document.querySelector('[data-testid=speed]'); s.value = '4'; s.dispatchEvent(new Event('change'));", vec![])
        .await
        .unwrap();
    let started = Instant::now();
    press(&browser, " ").await;
    let playing = browser.wait_for("[data-testid=play][data-playing='true']").await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    press(&browser, " ").await;
    let elapsed = started.elapsed().as_secs_f64();
    browser.wait_for("[data-testid=play][data-playing='false']").await;
    let _ = playing;
    let t = cursor_secs(&browser).await.expect("playback placed the cursor");
    assert!(t > 1.5 && t <= elapsed * 4.0 + 0.1, "after {elapsed:.2} s at 4× the cursor is at {t} s");

    // Wheel over the plot zooms the time axis (all plots share it); dragging pans it.
    let window = |browser: &Browser| {
        let client = browser.client.clone();
        async move {
            let v = client
                .execute(
                    "const c = document.querySelector(\"[data-testid=plot][data-feature='action']\");
                     return [parseFloat(c.dataset.windowFromSecs), parseFloat(c.dataset.windowToSecs)];",
                    vec![],
                )
                .await
                .unwrap();
            serde_json::from_value::<(f64, f64)>(v).unwrap()
        }
    };
    let full = window(&browser).await;
    browser
        .client
        .execute(
            "const c = document.querySelector(arguments[0]); const r = c.getBoundingClientRect();
             c.dispatchEvent(new WheelEvent('wheel', { deltaY: -600, clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, bubbles: true, cancelable: true }));",
            vec![json!(canvas)],
        )
        .await
        .unwrap();
    let zoomed = eventually("wheel zoom", || window(&browser), |w| w.1 - w.0 < (full.1 - full.0) * 0.7).await;
    browser
        .client
        .execute(
            "const c = document.querySelector(arguments[0]); const r = c.getBoundingClientRect();
             const at = (x, type, buttons) => c.dispatchEvent(new PointerEvent(type, { clientX: x, clientY: r.top + 100, buttons, pointerId: 1, bubbles: true }));
             at(r.left + r.width / 2, 'pointerdown', 1); at(r.left + r.width / 2 - 200, 'pointermove', 1); at(r.left + r.width / 2 - 200, 'pointerup', 0);",
            vec![json!(canvas)],
        )
        .await
        .unwrap();
    let panned = eventually("drag pan", || window(&browser), |w| w.0 > zoomed.0 + 0.05).await;
    assert!(((panned.1 - panned.0) - (zoomed.1 - zoomed.0)).abs() < 1e-6, "panning keeps the width");

    // Hovering shows the values at the frame under the pointer.
    browser
        .client
        .execute(
            "const c = document.querySelector(arguments[0]); const r = c.getBoundingClientRect();
             c.dispatchEvent(new PointerEvent('pointermove', { clientX: r.left + r.width / 2, clientY: r.top + 100, buttons: 0, bubbles: true }));",
            vec![json!(canvas)],
        )
        .await
        .unwrap();
    let readout = browser.wait_for("[data-testid=hover-readout]").await;
    let text = readout.text().await.unwrap();
    assert!(text.contains("frame") && text.contains("shoulder_pan"), "readout: {text}");

    // Hiding a dimension removes its colour from the plot.
    let colour_pixels = |browser: &Browser| {
        let client = browser.client.clone();
        async move {
            // The first dimension's colour, #1f77b4.
            let v = client
                .execute(
                    "const c = document.querySelector(\"[data-testid=plot][data-feature='observation.state']\");
                     const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
                     for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - 31) < 8 && Math.abs(d[i+1] - 119) < 8 && Math.abs(d[i+2] - 180) < 8) n++;
                     return n;",
                    vec![],
                )
                .await
                .unwrap();
            v.as_u64().unwrap()
        }
    };
    let before = colour_pixels(&browser).await;
    assert!(before > 50, "the first dimension is drawn ({before} pixels)");
    browser
        .wait_for("[data-testid=plot-panel][data-feature='observation.state'] [data-testid=dim-toggle]")
        .await
        .click()
        .await
        .unwrap();
    eventually("hidden dimension", || colour_pixels(&browser), |n| *n < before / 10).await;
    browser.screenshot("plots-zoomed").await;
    // Double-click resets the zoom.
    browser
        .client
        .execute(
            "document.querySelector(arguments[0]).dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));",
            vec![json!(canvas)],
        )
        .await
        .unwrap();
    eventually("reset zoom", || window(&browser), |w| (w.0 - full.0).abs() < 1e-9 && (w.1 - full.1).abs() < 1e-9).await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_episode_browser_searches_filters_sorts_and_moves_by_keyboard() {
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    browser.client.goto(&server.url("?example=v30_so101_video")).await.unwrap();
    browser.wait_for("[data-testid=episode-row][data-episode='4']").await;
    let rows = |browser: &Browser| {
        let client = browser.client.clone();
        async move {
            let v = client
                .execute(
                    "return [...document.querySelectorAll('[data-testid=episode-row]')].map(r => parseInt(r.dataset.episode));",
                    vec![],
                )
                .await
                .unwrap();
            serde_json::from_value::<Vec<u64>>(v).unwrap()
        }
    };
    assert_eq!(rows(&browser).await, [0, 1, 2, 3, 4]);
    // Longest first: lengths 120, 180, 240, 150, 300.
    browser
        .client
        .execute(
            "const s = document.querySelector('[data-testid=episode-sort-select]'); s.value = 'length:desc'; s.dispatchEvent(new Event('change'));",
            vec![],
        )
        .await
        .unwrap();
    eventually("sorted by length", || rows(&browser), |r| r == &[4, 2, 1, 3, 0]).await;
    // At least 170 frames.
    browser.wait_for("[data-testid=episode-min-length]").await.send_keys("170").await.unwrap();
    eventually("length filter", || rows(&browser), |r| r == &[4, 2, 1]).await;
    // Keyboard: ↓ from the first row focuses the next, Enter opens it; the episode view's "next"
    // follows the list's order.
    browser
        .client
        .execute(
            "const row = document.querySelector(\"[data-testid=episode-row][data-episode='4']\"); row.focus();
             row.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));",
            vec![],
        )
        .await
        .unwrap();
    let focused = || {
        let client = browser.client.clone();
        async move { client.execute("return document.activeElement?.dataset?.episode ?? null;", vec![]).await.unwrap() }
    };
    eventually("focus moved down", focused, |v| v == &json!("2")).await;
    browser
        .client
        .execute(
            "document.activeElement.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));",
            vec![],
        )
        .await
        .unwrap();
    browser.wait_for("[data-testid=episode-view][data-episode='2']").await;
    press(&browser, "PageDown").await;
    browser.wait_for("[data-testid=episode-view][data-episode='1']").await;
    browser.wait_for("[data-testid=next-episode][disabled]").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn image_features_show_the_frame_at_the_cursor_and_local_videos_play_from_object_urls() {
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    // Image-dtype features (PNG bytes inside the parquet), from a local folder.
    browser.client.goto(&server.url("")).await.unwrap();
    let input = browser.wait_for("[data-testid=open-folder]").await;
    input.send_keys(&support::shared_datasets().join("v21_so101_image").display().to_string()).await.unwrap();
    browser.wait_for("[data-testid=episode-row][data-episode='1']").await.click().await.unwrap();
    let image = "[data-testid=image-frame][data-feature='observation.images.front']";
    let decoded = |browser: &Browser| {
        let client = browser.client.clone();
        async move {
            let v = client
                .execute(
                    "const i = document.querySelector(arguments[0]);
                     return i ? [i.dataset.frame, i.complete && i.naturalWidth > 0, (i.getAttribute('src') || '').slice(0, 5)] : null;",
                    vec![json!("[data-testid=image-frame][data-feature='observation.images.front']")],
                )
                .await
                .unwrap();
            serde_json::from_value::<Option<(String, bool, String)>>(v).unwrap()
        }
    };
    browser.wait_for(image).await;
    eventually(
        "frame 0 decoded",
        || decoded(&browser),
        |v| v.as_ref().is_some_and(|(f, ok, src)| f == "0" && *ok && src == "blob:"),
    )
    .await;
    for _ in 0..5 {
        press(&browser, "ArrowRight").await;
    }
    eventually("frame 5 decoded", || decoded(&browser), |v| v.as_ref().is_some_and(|(f, ok, _)| f == "5" && *ok)).await;
    browser.screenshot("image-frames").await;

    // Videos of a local folder play from object URLs of the picked files.
    browser.client.goto(&server.url("")).await.unwrap();
    let input = browser.wait_for("[data-testid=open-folder]").await;
    input.send_keys(&support::shared_datasets().join("v30_so101_video").display().to_string()).await.unwrap();
    browser.wait_for("[data-testid=episode-row][data-episode='3']").await.click().await.unwrap();
    browser.wait_for("[data-testid=time-cursor]").await;
    // The cursor line shows at once; the videos once the worker has answered with the episode.
    browser.wait_for("video[data-testid=video]").await;
    let srcs = browser
        .client
        .execute(
            "return [...document.querySelectorAll('video[data-testid=video]')].map(v => v.getAttribute('src'));",
            vec![],
        )
        .await
        .unwrap();
    let srcs: Vec<String> = serde_json::from_value(srcs).unwrap();
    assert_eq!(srcs.len(), 2);
    assert!(srcs.iter().all(|s| s.starts_with("blob:")), "{srcs:?}");
    press(&browser, "ArrowRight").await;
    // Episode 3 starts 18.0 s into the v3.0 files; one frame on is 18.0333 s.
    assert_videos_at(&browser, 1.0 / 30.0, 18.0, 2).await;
    browser.close().await;
}
