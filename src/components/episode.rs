//! One episode: a time-series plot per numeric feature and a shared time cursor. Drawing lives in
//! `charts::plot`; this only wires signals, the worker request and canvas events.

use std::sync::Arc;

use episcope_core::lerobot::{EpisodeFrames, FeatureSeries};
use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::app::AppState;
use crate::charts::plot::{draw_feature, Layout, Line};
use crate::protocol::{Request, Response};
use crate::worker_client::client;

/// Initial canvas size in CSS pixels; the width then follows the panel, the height stays.
const CANVAS_WIDTH: u32 = 1100;
const CANVAS_HEIGHT: u32 = 260;

/// Why an episode could not be shown.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct EpisodeLoadError {
    pub message: String,
    pub path: Option<String>,
}

async fn load_episode(state: AppState, episode_index: u64) -> Result<Arc<EpisodeFrames>, EpisodeLoadError> {
    let request = Request::ReadEpisode { request_id: client().next_request_id(), episode_index, features: vec![] };
    let answer = client().request(request, js_sys::Array::new(), move |p| state.progress.set(Some(p.into()))).await;
    state.progress.set(None);
    match answer {
        Response::Episode { frames, .. } => Ok(Arc::new(*frames)),
        Response::Failed { message, path, .. } => Err(EpisodeLoadError { message, path }),
        other => Err(EpisodeLoadError { message: format!("unexpected answer from the reader: {other:?}"), path: None }),
    }
}

#[component]
pub fn EpisodePage(episode: u64) -> impl IntoView {
    let state = expect_context::<AppState>();
    let frames = LocalResource::new(move || load_episode(state, episode));
    let cursor = RwSignal::new(None::<f64>);
    // Plots redraw at their new width when the window resizes.
    let resized = RwSignal::new(0u32);
    let resize_listener = window_event_listener(leptos::ev::resize, move |_| resized.update(|n| *n += 1));
    on_cleanup(move || resize_listener.remove());
    let cursor_text = move || match cursor.get() {
        Some(t) => format!("{t:.3} s"),
        None => "click a plot to place the cursor".to_string(),
    };
    view! {
        <div class="episode-view" data-testid="episode-view" data-episode=episode.to_string()>
            <div class="overview-head">
                <div>
                    <h1 class="dataset-name">{format!("Episode {episode}")}</h1>
                    <p class="muted">{move || state.overview.with(|o| o.as_ref().map(|o| o.name.clone()).unwrap_or_default())}</p>
                </div>
                <button class="secondary" data-testid="back-to-overview" on:click=move |_| state.selected_episode.set(None)>
                    "← Back to overview"
                </button>
            </div>
            <div class="time-cursor" data-testid="time-cursor"
                data-time-secs=move || cursor.get().map(|t| format!("{t:.4}")).unwrap_or_default()>
                <span class="muted">"Time cursor: "</span><strong>{cursor_text}</strong>
            </div>
            <Transition fallback=|| view! { <p class="muted" data-testid="episode-loading">"Reading the episode…"</p> }>
                <ErrorBoundary fallback=|errors| view! {
                    <div class="error" data-testid="episode-error" role="alert">
                        <strong>"Could not read the episode. "</strong>
                        {move || errors.get().into_iter().map(|(_, e)| e.to_string()).collect::<Vec<_>>().join("; ")}
                    </div>
                }>
                    {move || frames.get().map(|result| result.map(|f| plots_view(f, cursor, resized)))}
                </ErrorBoundary>
            </Transition>
        </div>
    }
}

fn plots_view(frames: Arc<EpisodeFrames>, cursor: RwSignal<Option<f64>>, resized: RwSignal<u32>) -> impl IntoView {
    let count = frames.series.len();
    view! {
        <p class="muted">{format!("{} frames · {count} numeric feature{}", frames.frames, if count == 1 { "" } else { "s" })}</p>
        {(count == 0).then(|| view! { <p class="muted">"This episode has no numeric features to plot."</p> })}
        {(0..count).map(|i| view! { <PlotPanel frames=frames.clone() index=i cursor resized/> }).collect_view()}
    }
}

fn lines(series: &FeatureSeries) -> Vec<Line<'_>> {
    series.labels.iter().zip(&series.dimensions).map(|(label, values)| Line { label, values }).collect()
}

#[component]
fn PlotPanel(
    frames: Arc<EpisodeFrames>,
    index: usize,
    cursor: RwSignal<Option<f64>>,
    resized: RwSignal<u32>,
) -> impl IntoView {
    let name = frames.series[index].feature.clone();
    let canvas_ref = NodeRef::<Canvas>::new();
    // The layout last drawn and the canvas width in CSS pixels it was drawn for (to map clicks).
    let layout = StoredValue::new_local(None::<(Layout, f64)>);
    let draw_frames = frames.clone();
    Effect::new(move || {
        let cursor_secs = cursor.get();
        resized.track();
        let Some(canvas) = canvas_ref.get() else { return };
        // Sharp on any screen: the backing store is the displayed size × devicePixelRatio, and
        // the drawing works in CSS pixels (one decimation bucket per CSS pixel column).
        let dpr = web_sys::window().map(|w| w.device_pixel_ratio()).filter(|r| *r >= 1.0).unwrap_or(1.0);
        let css_width = match canvas.client_width() {
            w if w >= 200 => f64::from(w),
            _ => f64::from(CANVAS_WIDTH),
        };
        let css_height = f64::from(CANVAS_HEIGHT);
        let (backing_width, backing_height) = ((css_width * dpr).round() as u32, (css_height * dpr).round() as u32);
        if canvas.width() != backing_width || canvas.height() != backing_height {
            canvas.set_width(backing_width);
            canvas.set_height(backing_height);
        }
        let Some(ctx) = canvas
            .get_context("2d")
            .ok()
            .flatten()
            .and_then(|c| c.dyn_into::<web_sys::CanvasRenderingContext2d>().ok())
        else {
            return;
        };
        let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
        let series = &draw_frames.series[index];
        let drawn =
            draw_feature(&ctx, css_width, css_height, &draw_frames.timestamps_secs, &lines(series), cursor_secs);
        layout.set_value(Some((drawn, css_width)));
    });
    let on_click = move |ev: web_sys::MouseEvent| {
        let Some(canvas) = canvas_ref.get_untracked() else { return };
        let Some((layout, css_width)) = layout.get_value() else { return };
        let rect = canvas.get_bounding_client_rect();
        if rect.width() <= 0.0 {
            return;
        }
        let x = (f64::from(ev.client_x()) - rect.left()) * css_width / rect.width();
        cursor.set(Some(layout.x_to_time(x)));
    };
    view! {
        <section class="card plot-panel">
            <h2><code>{name.clone()}</code></h2>
            <canvas node_ref=canvas_ref data-testid="plot" data-feature=name
                width=CANVAS_WIDTH height=CANVAS_HEIGHT on:click=on_click></canvas>
        </section>
    }
}
