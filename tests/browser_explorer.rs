//! End-to-end: the episode explorer — clicking an episode row opens per-feature time-series plots
//! (drawn canvases) with a shared time cursor set by clicking a plot.

mod support;

use std::time::{Duration, Instant};

use fantoccini::Locator;
use support::{dist_dir, Browser, StaticServer};

/// Pixel counts of a plot canvas: (total, differing from the white background, saturated colour
/// (the dimension lines), near-black (the time cursor)).
async fn pixel_counts(browser: &Browser, feature: &str) -> (u64, u64, u64, u64) {
    let script = r#"
        const canvas = document.querySelector(`[data-testid=plot][data-feature='${arguments[0]}']`);
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let differ = 0, coloured = 0, dark = 0;
        for (let i = 0; i < data.length; i += 4) {
            const r = data[i], g = data[i + 1], b = data[i + 2];
            if (r !== 255 || g !== 255 || b !== 255) differ++;
            if (Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured++;
            if (r < 30 && g < 30 && b < 30) dark++;
        }
        return [data.length / 4, differ, coloured, dark];
    "#;
    let value = browser.client.execute(script, vec![serde_json::json!(feature)]).await.unwrap();
    let counts: Vec<u64> = serde_json::from_value(value).unwrap();
    (counts[0], counts[1], counts[2], counts[3])
}

async fn cursor_secs(browser: &Browser) -> Option<f64> {
    let cursor = browser.wait_for("[data-testid=time-cursor]").await;
    cursor.attr("data-time-secs").await.unwrap().and_then(|s| s.parse().ok())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_episode_opens_as_plots_with_a_shared_time_cursor() {
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    browser.client.goto(&server.url("?example=v21_so101_video")).await.unwrap();
    let row = browser.wait_for("[data-testid=episode-row][data-episode='2']").await;
    row.click().await.unwrap();
    browser.wait_for("[data-testid=episode-view][data-episode='2']").await;
    let features = ["observation.state", "action"];
    for feature in features {
        browser.wait_for(&format!("[data-testid=plot][data-feature='{feature}']")).await;
    }
    assert_eq!(cursor_secs(&browser).await, None, "the cursor starts unset");
    for feature in features {
        let (total, differ, coloured, dark) = pixel_counts(&browser, feature).await;
        assert!(differ * 100 > total, "{feature}: only {differ} of {total} pixels drawn");
        assert!(coloured * 200 > total, "{feature}: only {coloured} of {total} pixels are line colours");
        assert_eq!(dark, 0, "{feature}: a cursor line before any click");
    }

    // Clicking the middle of one plot sets the shared cursor; every plot draws it.
    let plot = browser.wait_for("[data-testid=plot][data-feature='observation.state']").await;
    plot.click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let secs = loop {
        if let Some(secs) = cursor_secs(&browser).await {
            break secs;
        }
        assert!(Instant::now() < deadline, "clicking a plot did not set the time cursor");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Episode 2: 240 frames at 30 fps, so 0 ≤ t < 8 s; the middle of the plot is near 4 s.
    assert!(secs > 0.0 && secs < 8.0, "cursor at {secs} s");
    assert!((2.5..5.5).contains(&secs), "the middle of the plot mapped to {secs} s");
    for feature in features {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (_, _, _, dark) = pixel_counts(&browser, feature).await;
            if dark > 50 {
                break;
            }
            assert!(Instant::now() < deadline, "{feature}: no cursor line drawn ({dark} dark pixels)");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    browser.screenshot("explorer").await;
    assert!(browser.client.find(Locator::Css("[data-testid=episode-error]")).await.is_err());

    // Back to the overview; Enter on a focused row opens that episode.
    browser.wait_for("[data-testid=back-to-overview]").await.click().await.unwrap();
    browser.wait_for("[data-testid=episode-row][data-episode='3']").await;
    browser
        .client
        .execute(
            "const row = document.querySelector(\"[data-testid=episode-row][data-episode='3']\");
             row.focus();
             row.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));",
            vec![],
        )
        .await
        .unwrap();
    browser.wait_for("[data-testid=episode-view][data-episode='3']").await;
    browser.wait_for("[data-testid=plot][data-feature='action']").await;
    browser.close().await;
}
