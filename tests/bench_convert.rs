//! Browser benchmark of converting the 1 GB two-camera bag in the page (issue 13, item 6; the CLI
//! and forge-robotics figures come from `bench/recordings/convert.sh` on the same input). The bag is
//! picked through the page's recording input, the suggested mapping is set to 30 fps, and the
//! conversion worker converts it into one zip, three times without the cameras and once with both
//! as H.264 by the browser's own encoder (WebCodecs). Ignored by default (it needs the 1 GB input
//! and minutes); run it after `trunk build --release` and `bench/recordings/convert.sh` (or
//! `. bench/recordings/prepare.sh`, which writes the input) with
//! `EPISCOPE_DIST=$PWD/dist cargo test --test bench_convert -- --ignored --nocapture` (the harness only drives the browser: its own build profile does not matter).
//! The input is `$EPISCOPE_BENCH_CONVERT_MCAP` (default `target/bench-recordings/convert.mcap`).
//! Results are printed and written to `target/bench-convert.json`; BENCHMARKS.md holds a run's figures.

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::{json, Value};
use support::{dist_dir, Browser, StaticServer};

fn input() -> PathBuf {
    std::env::var_os("EPISCOPE_BENCH_CONVERT_MCAP")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-recordings/convert.mcap"))
}

/// Waits up to `timeout` for `css` (a conversion of 1 GB takes longer than the tests' 30 s).
async fn wait_long(browser: &Browser, css: &str, timeout: Duration) -> fantoccini::elements::Element {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(element) = browser.client.find(Locator::Css(css)).await {
            return element;
        }
        if let Ok(error) = browser.client.find(Locator::Css("[data-testid=convert-error]")).await {
            panic!("the conversion failed: {}", error.text().await.unwrap_or_default());
        }
        assert!(Instant::now() < deadline, "`{css}` never appeared within {timeout:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Replaces the mapping shown in the page by `edit(mapping)` (as a user's typing does).
async fn set_mapping(browser: &Browser, mapping: &str) {
    browser
        .client
        .execute(
            "const t = document.querySelector('[data-testid=convert-mapping]'); t.value = arguments[0]; \
             t.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![json!(mapping)],
        )
        .await
        .unwrap();
}

/// What one conversion in the page measured.
#[derive(Debug)]
struct Run {
    /// Wall time from the click on Convert to the verdict on screen.
    click_to_verdict_secs: f64,
    /// The worker's time until the output was stored (before the check read it back).
    written_secs: f64,
    /// The worker's whole time, check included.
    worker_secs: f64,
    frames: u64,
    errors: u64,
    dataset_bytes: u64,
    worker_memory_bytes: u64,
}

async fn convert_once(browser: &Browser, timeout: Duration) -> Run {
    let started = Instant::now();
    browser.wait_for("[data-testid=convert-start]").await.click().await.unwrap();
    // The previous verdict goes when the conversion starts; then wait for the new one.
    while browser.client.find(Locator::Css("[data-testid=convert-result]")).await.is_ok() {
        assert!(started.elapsed() < Duration::from_secs(10), "the conversion did not start");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let result = wait_long(browser, "[data-testid=convert-result]", timeout).await;
    let click_to_verdict_secs = started.elapsed().as_secs_f64();
    let number = |v: Option<String>| v.and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
    let attr = |name: &'static str| {
        let result = result.clone();
        async move { number(result.attr(name).await.unwrap()) }
    };
    Run {
        click_to_verdict_secs,
        written_secs: attr("data-written-ms").await / 1000.0,
        worker_secs: attr("data-worker-ms").await / 1000.0,
        frames: attr("data-frames").await as u64,
        errors: attr("data-errors").await as u64,
        dataset_bytes: attr("data-dataset-bytes").await as u64,
        worker_memory_bytes: attr("data-worker-memory").await as u64,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark: needs the 1 GB bag (bench/recordings/prepare.sh) and minutes; see the module docs"]
async fn converting_the_1gb_bag_in_the_page() {
    let bag = input();
    let input_bytes = std::fs::metadata(&bag)
        .unwrap_or_else(|e| panic!("{}: {e} (write it with `. bench/recordings/prepare.sh`)", bag.display()))
        .len();
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    browser.client.goto(&server.url("")).await.unwrap();
    let opened = Instant::now();
    browser.wait_for("[data-testid=open-recording]").await.send_keys(&bag.display().to_string()).await.unwrap();
    wait_long(&browser, "[data-testid=recording-overview]", Duration::from_secs(120)).await;
    let suggested = wait_long(&browser, "[data-testid=convert-mapping]", Duration::from_secs(300))
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    let to_suggestion_secs = opened.elapsed().as_secs_f64();
    assert!(suggested.contains("[[camera]]"), "both cameras are suggested: {suggested}");
    let at_30_fps: String = suggested
        .lines()
        .map(|line| if line.starts_with("fps = ") { "fps = 30" } else { line })
        .collect::<Vec<_>>()
        .join("\n");
    let joints_only = at_30_fps.split("[[camera]]").next().unwrap_or_default().to_string();
    let mut results = vec![json!({ "input_bytes": input_bytes, "open_to_suggestion_secs": to_suggestion_secs })];
    println!("input {input_bytes} B; open → suggested mapping {to_suggestion_secs:.2} s");

    set_mapping(&browser, &joints_only).await;
    let mut written = Vec::new();
    for _ in 0..3 {
        let run = convert_once(&browser, Duration::from_secs(600)).await;
        println!(
            "joints only: {:.2} s click → verdict; worker {:.2} s written, {:.2} s with the check ({:.0} MB/s of input); \
             {} frames, {} errors, {} B output, worker memory {} B",
            run.click_to_verdict_secs,
            run.written_secs,
            run.worker_secs,
            input_bytes as f64 / 1e6 / run.written_secs,
            run.frames,
            run.errors,
            run.dataset_bytes,
            run.worker_memory_bytes
        );
        assert_eq!((run.frames, run.errors), (540, 0), "18 s at 30 fps, no findings");
        written.push(run.written_secs);
        results.push(json!({ "what": "joints only", "run": format!("{run:?}") }));
    }
    let median_secs = median(written);
    println!("joints only: median {median_secs:.2} s = {:.0} MB/s of input", input_bytes as f64 / 1e6 / median_secs);

    set_mapping(&browser, &at_30_fps).await;
    let run = convert_once(&browser, Duration::from_secs(1800)).await;
    println!(
        "both cameras as H.264 (WebCodecs): {:.2} s click → verdict; worker {:.2} s written, {:.2} s with the check \
         ({:.0} MB/s of input, {:.0} frames/s encoded); {} frames, {} errors, {} B output, worker memory {} B",
        run.click_to_verdict_secs,
        run.written_secs,
        run.worker_secs,
        input_bytes as f64 / 1e6 / run.written_secs,
        2.0 * run.frames as f64 / run.written_secs,
        run.frames,
        run.errors,
        run.dataset_bytes,
        run.worker_memory_bytes
    );
    assert_eq!((run.frames, run.errors), (540, 0), "18 s at 30 fps, no findings");
    results.push(json!({ "what": "both cameras as H.264", "run": format!("{run:?}") }));
    let peaks = browser.renderer_peak_rss_bytes();
    println!("renderer peak RSS (bytes): {peaks:?}");
    results.push(json!({ "renderer_peak_rss_bytes": peaks }));
    browser.close().await;
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-convert.json");
    std::fs::write(&out, serde_json::to_vec_pretty(&Value::Array(results)).unwrap()).unwrap();
}
