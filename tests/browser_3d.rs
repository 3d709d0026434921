//! End-to-end: the 3D trajectory view draws in headless Chromium (WebGL2 on SwiftShader), follows
//! the time cursor, and draws a robot from a URDF the user picks (joints matched to the dataset's
//! dimension names, links posed by forward kinematics, an STL mesh from the picked folder).

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::json;
use support::{dist_dir, Browser, StaticServer};

/// `(total, non-white, saturated)` pixels of the WebGL canvas, read back through a 2-D canvas
/// (the context keeps its drawing buffer).
async fn canvas_pixels(browser: &Browser) -> (u64, u64, u64) {
    let script = r#"
        const c = document.querySelector('[data-testid=trajectory-3d]');
        c.scrollIntoView();
        const tmp = document.createElement('canvas'); tmp.width = c.width; tmp.height = c.height;
        const ctx = tmp.getContext('2d'); ctx.drawImage(c, 0, 0);
        const d = ctx.getImageData(0, 0, tmp.width, tmp.height).data;
        let differ = 0, coloured = 0;
        for (let i = 0; i < d.length; i += 4) {
            if (d[i] < 245 || d[i + 1] < 245 || d[i + 2] < 245) differ++;
            if (Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 60) coloured++;
        }
        return [d.length / 4, differ, coloured];
    "#;
    let v = browser.client.execute(script, vec![]).await.unwrap();
    serde_json::from_value(v).unwrap()
}

async fn attr(browser: &Browser, css: &str, name: &str) -> Option<String> {
    browser.wait_for(css).await.attr(name).await.unwrap()
}

async fn eventually<T: std::fmt::Debug, F: std::future::Future<Output = T>>(
    what: &str,
    mut probe: impl FnMut() -> F,
    check: impl Fn(&T) -> bool,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let value = probe().await;
        if check(&value) {
            return value;
        }
        assert!(Instant::now() < deadline, "{what}: last value {value:?}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/robot").join(path).canonicalize().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_3d_view_draws_the_trajectory_and_a_robot_from_a_urdf() {
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    browser.client.goto(&server.url("?example=v21_so101_video&episode=1&t=2")).await.unwrap();
    browser.wait_for("[data-testid=trajectory-3d]").await;
    assert!(
        browser.client.find(fantoccini::Locator::Css("[data-testid=trajectory-3d-unavailable]")).await.is_err(),
        "WebGL2 is available in headless Chromium with SwiftShader"
    );
    // The default axes are the first three joints of observation.state.
    let x_axis = attr(&browser, "[data-testid=trajectory-axis][data-axis='0']", "data-axis").await;
    assert_eq!(x_axis.as_deref(), Some("0"));
    let (total, differ, coloured) =
        eventually("the trajectory drawn", || canvas_pixels(&browser), |(t, _, c)| *c * 500 > *t).await;
    assert!(differ * 200 > total, "grid, axes and path cover more than 0.5% of the canvas ({differ} of {total})");
    assert!(coloured > 300, "a time-coloured path is drawn ({coloured} saturated pixels)");
    browser.screenshot("3d-trajectory").await;

    // A robot: pick the meshes folder, then the URDF. All six joints match by name.
    let meshes = browser.wait_for("[data-testid=urdf-meshes]").await;
    meshes.send_keys(&fixture("so101_sketch/meshes").display().to_string()).await.unwrap();
    let urdf = browser.wait_for("[data-testid=urdf-file]").await;
    urdf.send_keys(&fixture("so101_sketch/so101_sketch.urdf").display().to_string()).await.unwrap();
    browser.wait_for("[data-testid=trajectory-3d][data-robot='shown']").await;
    let rows = browser.client.find_all(fantoccini::Locator::Css("[data-testid=joint-mapping-row]")).await.unwrap();
    assert_eq!(rows.len(), 6, "six driven joints");
    for row in rows {
        let joint = row.attr("data-joint").await.unwrap().unwrap();
        let dimension = row.attr("data-dimension").await.unwrap().unwrap_or_default();
        assert!(dimension.starts_with("observation.state#"), "{joint} is driven by {dimension:?}");
    }
    // Seven link visuals, the STL jaw among them (no mesh skipped).
    let primitives = eventually(
        "robot links drawn",
        || attr(&browser, "[data-testid=trajectory-3d]", "data-primitives"),
        |p| p.as_deref() == Some("7"),
    )
    .await;
    assert_eq!(primitives.as_deref(), Some("7"));
    assert!(browser.client.find(fantoccini::Locator::Css("[data-testid=robot-error]")).await.is_err());
    // SO-101 datasets store joint positions in degrees (|values| up to ~100).
    assert_eq!(attr(&browser, "[data-testid=joint-unit]", "data-unit").await.as_deref(), Some("degrees"));
    let summary = browser.wait_for("[data-testid=joint-mapping-summary]").await.text().await.unwrap();
    assert!(summary.contains("6 of 6") && !summary.contains("not drawn"), "{summary}");
    let (_, _, with_robot) = eventually("robot drawn", || canvas_pixels(&browser), |(_, _, c)| *c > 300).await;
    browser.screenshot("3d-robot").await;

    // Moving the cursor re-poses the links: the picture changes.
    let before = canvas_pixels(&browser).await;
    browser
        .client
        .execute(
            "window.dispatchEvent(new KeyboardEvent('keydown', { key: 'End', bubbles: true }));",
            vec![json!(null)],
        )
        .await
        .unwrap();
    let after = eventually("robot re-posed", || canvas_pixels(&browser), |p| p.1 != before.1).await;
    assert!(after.2 > 0 && with_robot > 0);
    browser.close().await;
}
