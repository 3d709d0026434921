//! End-to-end: the language switch in headless Chromium — the home page, an example's overview,
//! conformance and episode view in Japanese, `<html lang>`, the choice remembered across a reload,
//! and back to English; the statistics panel, the report (which follows the language) and the
//! comparison page in Japanese.

mod support;

use std::time::{Duration, Instant};

use support::{dist_dir, Browser, StaticServer};

/// The trimmed text of the first element matching `css`, once it appears.
async fn text_of(browser: &Browser, css: &str) -> String {
    browser.wait_for(css).await.text().await.unwrap_or_default().trim().to_string()
}

/// Waits up to 15 s for the text of `css` to equal `expected`.
async fn wait_for_text(browser: &Browser, css: &str, expected: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let text = text_of(browser, css).await;
        if text == expected {
            return;
        }
        assert!(Instant::now() < deadline, "`{css}` reads {text:?}, expected {expected:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn document_lang(browser: &Browser) -> String {
    let value = browser.client.execute("return document.documentElement.lang", vec![]).await.unwrap();
    value.as_str().unwrap_or_default().to_string()
}

async fn switch_to(browser: &Browser, code: &str) {
    browser.wait_for("[data-testid=lang-switch]").await.select_by_value(code).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let switch = browser.wait_for("[data-testid=lang-switch]").await;
        if switch.attr("data-lang").await.unwrap().as_deref() == Some(code) {
            return;
        }
        assert!(Instant::now() < deadline, "the language switch never showed {code}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ui_switches_to_japanese_remembers_it_and_switches_back() {
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;

    // English by default (the test browser's language is English).
    browser.client.goto(&server.url("")).await.unwrap();
    wait_for_text(&browser, "[data-testid=home-title]", "Look inside robot-learning datasets.").await;
    assert_eq!(document_lang(&browser).await, "en");

    // 日本語: the home page, the top bar and `<html lang>`.
    switch_to(&browser, "ja").await;
    wait_for_text(&browser, "[data-testid=home-title]", "ロボット学習データセットの中身を見る。").await;
    wait_for_text(&browser, "[data-testid=nav-rules]", "ルール一覧").await;
    wait_for_text(&browser, "[data-testid=examples-title]", "または同梱のサンプルを試す").await;
    assert_eq!(document_lang(&browser).await, "ja");
    let promise = text_of(&browser, "[data-testid=privacy-promise]").await;
    assert!(promise.contains("アップロードされることはありません"), "{promise}");
    browser.wait_for("[data-testid=example]").await;
    browser.screenshot("i18n-ja-home").await;

    // Remembered: a reload (here with a deep link to an example) starts in Japanese.
    browser.client.goto(&server.url("?example=v30_so101_video")).await.unwrap();
    browser.wait_for("[data-testid=conformance-summary]").await;
    assert_eq!(document_lang(&browser).await, "ja");
    let switch = browser.wait_for("[data-testid=lang-switch]").await;
    assert_eq!(switch.attr("data-lang").await.unwrap().as_deref(), Some("ja"));
    wait_for_text(&browser, "[data-testid=verdict-badge]", "合格").await;
    wait_for_text(&browser, "[data-testid=conformance] h2", "適合性").await;
    wait_for_text(&browser, "[data-testid=dataset-summary] .fact-label", "フォーマット").await;
    let heading = browser
        .client
        .execute(
            "return document.querySelector('[data-testid=episode-list]').closest('section').querySelector('h2').textContent",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(heading.as_str(), Some("エピソード（5）"));
    browser.screenshot("i18n-ja-overview").await;

    // The episode view.
    browser.wait_for("[data-testid=episode-row][data-episode='1']").await.click().await.unwrap();
    browser.wait_for("[data-testid=episode-view]").await;
    wait_for_text(&browser, "[data-testid=episode-view] h1", "エピソード 1").await;
    wait_for_text(&browser, "[data-testid=back-to-overview]", "概要に戻る").await;
    browser.wait_for("[data-testid=plot]").await;
    wait_for_text(&browser, "[data-testid=trajectory-panel] h2", "3D 軌跡").await;
    browser.screenshot("i18n-ja-episode").await;

    // And back to English, in place.
    switch_to(&browser, "en").await;
    wait_for_text(&browser, "[data-testid=back-to-overview]", "Back to overview").await;
    wait_for_text(&browser, "[data-testid=episode-view] h1", "Episode 1").await;
    assert_eq!(document_lang(&browser).await, "en");
    browser.client.goto(&server.url("")).await.unwrap();
    wait_for_text(&browser, "[data-testid=home-title]", "Look inside robot-learning datasets.").await;

    browser.close().await;
}

/// Scrolls the first element matching `css` into view.
async fn scroll_to(browser: &Browser, css: &str) {
    let script = format!("document.querySelector('{css}').scrollIntoView()");
    browser.client.execute(&script, vec![]).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn statistics_report_and_comparison_read_in_japanese() {
    let server = StaticServer::start(dist_dir());
    let browser = Browser::start(&server).await;
    browser.client.goto(&server.url("")).await.unwrap();
    switch_to(&browser, "ja").await;
    browser.client.goto(&server.url("?example=v30_so101_video")).await.unwrap();
    browser.wait_for("[data-testid=conformance-summary]").await;

    // The statistics panel: heading, buttons, and the computed summary.
    wait_for_text(&browser, "[data-testid=stats] h2", "統計").await;
    wait_for_text(&browser, "[data-testid=stats-start]", "統計を計算").await;
    wait_for_text(&browser, "[data-testid=open-report]", "わかりやすいレポート →").await;
    wait_for_text(&browser, "[data-testid=nav-compare]", "比較").await;
    browser.wait_for("[data-testid=stats-start]").await.click().await.unwrap();
    let summary = text_of(&browser, "[data-testid=stats-summary]").await;
    assert!(summary.contains("フレーム") && summary.contains("読み込みました"), "{summary}");
    let first_column = text_of(&browser, "[data-testid=stats-table] th").await;
    assert_eq!(first_column, "特徴量");
    let drift = text_of(&browser, "[data-testid=drift-summary]").await;
    assert!(drift.contains("保存値"), "{drift}");
    scroll_to(&browser, "[data-testid=stats]").await;
    browser.screenshot("i18n-ja-stats").await;

    // The report page: its toolbar and the report itself in Japanese.
    browser.wait_for("[data-testid=open-report]").await.click().await.unwrap();
    let sentence = text_of(&browser, "[data-testid=report] [data-testid=report-sentence]").await;
    assert!(sentence.starts_with("so101_follower ロボットの 5 エピソード"), "{sentence}");
    wait_for_text(&browser, "[data-testid=report-what] h2", "このデータセットについて").await;
    wait_for_text(&browser, "[data-testid=report] [data-testid=verdict]", "合格").await;
    wait_for_text(&browser, "[data-testid=report-back]", "← データセットに戻る").await;
    wait_for_text(&browser, "[data-testid=report-download-html]", "HTML をダウンロード").await;
    browser.screenshot("i18n-ja-report").await;

    // The comparison page: headings, the open dataset added, its row and verdict.
    browser.wait_for("[data-testid=nav-compare]").await.click().await.unwrap();
    wait_for_text(&browser, "[data-testid=compare-title]", "データセットを比較").await;
    wait_for_text(&browser, "[data-testid=compare-empty]", "まだレポートが追加されていません。").await;
    wait_for_text(&browser, "[data-testid=compare-add-open]", "開いているデータセットを追加").await;
    browser.wait_for("[data-testid=compare-add-open]").await.click().await.unwrap();
    browser.wait_for("[data-testid=compare-row]").await;
    wait_for_text(&browser, "[data-testid=compare-table] th", "データセット").await;
    wait_for_text(&browser, "[data-testid=compare-row] .verdict-badge", "合格").await;
    wait_for_text(&browser, "[data-testid=compare-remove]", "削除").await;
    browser.wait_for("[data-testid=compare-chart-robot]").await;
    browser.screenshot("i18n-ja-compare").await;

    // Back to English in place: the comparison page follows.
    switch_to(&browser, "en").await;
    wait_for_text(&browser, "[data-testid=compare-title]", "Compare datasets").await;
    wait_for_text(&browser, "[data-testid=compare-row] .verdict-badge", "Pass").await;

    browser.close().await;
}
