//! End-to-end: the language switch in headless Chromium — the home page, an example's overview,
//! conformance and episode view in Japanese, `<html lang>`, the choice remembered across a reload,
//! and back to English.

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
