//! One episode of a recording in the explorer: every numeric stream plotted on its own time axis
//! (dimension names from the messages), each camera stream's frame at the cursor, a pose stream
//! (or any three dimensions of one stream) in 3D, and one timeline across streams that tick at
//! different rates. The view model is `recording_view`; drawing reuses the episode view's panels.

use std::sync::Arc;

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use wasm_bindgen_futures::JsFuture;

use crate::app::AppState;
use crate::components::episode::{typing_in_control, EpisodeLoadError, Explorer, PlaybackBar, PlotPanel};
use crate::components::trajectory::TrajectoryPanel;
use crate::i18n::common::CommonSentence;
use crate::i18n::episode::EpisodeText;
use crate::i18n::recording::{RecordingSentence, RecordingText};
use crate::i18n::{t, use_lang, Lang, Text};
use crate::protocol::{unpack_recording_numbers, Request, Response, RGBA_MIME};
use crate::recording_view::{ImageTimeline, RecordingEpisodeView};
use crate::timeline::{frame_at, key_action, next_speed, KeyAction, TimeWindow};
use crate::worker_client::client;

async fn load(state: AppState, episode: u64, lang: Lang) -> Result<Arc<RecordingEpisodeView>, EpisodeLoadError> {
    let request = Request::ReadRecordingEpisode { request_id: client().next_request_id(), episode_index: episode };
    let (answer, binary) =
        client().request_with_binary(request, js_sys::Array::new(), move |p| state.progress.set(Some(p.into()))).await;
    state.progress.set(None);
    match answer {
        Response::RecordingEpisode { mut view, packed, bytes_read, worker_ms, .. } => {
            state.bytes_read.set(bytes_read);
            state.worker_ms.set(worker_ms);
            let numbers = binary.as_ref().map(|buffer| js_sys::Float64Array::new(buffer));
            let numbers_len = numbers.as_ref().map_or(0, |n| n.length() as usize);
            let read = |r: std::ops::Range<usize>| {
                numbers.as_ref().map(|n| n.subarray(r.start as u32, r.end as u32).to_vec()).unwrap_or_default()
            };
            unpack_recording_numbers(&mut view, &packed, numbers_len, read)
                .map_err(|e| EpisodeLoadError { message: e.to_string(), path: None })?;
            Ok(Arc::new(*view))
        }
        Response::Failed { message, path, .. } => Err(EpisodeLoadError { message, path }),
        other => Err(EpisodeLoadError {
            message: CommonSentence::UnexpectedAnswer { answer: format!("{other:?}") }.text(lang),
            path: None,
        }),
    }
}

#[component]
pub fn RecordingEpisodePage(episode: u64) -> impl IntoView {
    let state = expect_context::<AppState>();
    let explorer = Explorer::new();
    let lang = use_lang();
    let data = LocalResource::new(move || load(state, episode, lang.get_untracked()));
    let resized = RwSignal::new(0u32);
    let resize_listener = window_event_listener(leptos::ev::resize, move |_| resized.update(|n| *n += 1));
    let key_listener = window_event_listener(leptos::ev::keydown, move |ev| {
        if typing_in_control(&ev) || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        let Some(action) = key_action(&ev.key(), ev.shift_key()) else { return };
        ev.prevent_default();
        match action {
            KeyAction::TogglePlay => explorer.toggle_play(),
            KeyAction::StepFrames(n) => explorer.step(n),
            KeyAction::JumpToStart => explorer.set_time(explorer.bounds.get_untracked().from_secs),
            KeyAction::JumpToEnd => explorer.set_time(explorer.bounds.get_untracked().to_secs),
            KeyAction::Faster => explorer.speed.update(|s| *s = next_speed(*s, 1)),
            KeyAction::Slower => explorer.speed.update(|s| *s = next_speed(*s, -1)),
            KeyAction::ResetZoom => explorer.window.set(None),
            KeyAction::PreviousEpisode | KeyAction::NextEpisode => {}
        }
    });
    on_cleanup(move || {
        resize_listener.remove();
        key_listener.remove();
    });
    let name = move || {
        state.recording.with(|r| {
            r.as_ref()
                .and_then(|(_, _, rec)| rec.episodes.get(episode as usize))
                .map(|e| e.name.clone())
                .unwrap_or_default()
        })
    };
    let cursor_text = move || match explorer.cursor.get() {
        Some(t) => format!("{t:.3} s"),
        None => EpisodeText::PlaceCursor.str(lang.get()).to_string(),
    };
    view! {
        <div class="episode-view" data-testid="recording-episode-view" data-episode=episode.to_string()
            data-bytes-read=move || state.bytes_read.get().to_string()
            data-worker-ms=move || format!("{:.1}", state.worker_ms.get())>
            <div class="overview-head">
                <div>
                    <h1 class="dataset-name">{move || RecordingSentence::EpisodeHeading { episode, name: name() }.text(lang.get())}</h1>
                    <p class="muted">{move || state.recording.with(|r| r.as_ref().map(|(n, _, _)| n.clone()).unwrap_or_default())}</p>
                </div>
                <div class="episode-nav">
                    <button class="secondary" data-testid="back-to-recording" on:click=move |_| state.select_episode(None)>
                        {t(RecordingText::BackToRecording)}
                    </button>
                </div>
            </div>
            <div class="time-cursor" data-testid="time-cursor"
                data-time-secs=move || explorer.cursor.get().map(|t| format!("{t:.4}")).unwrap_or_default()>
                <span class="muted">{t(EpisodeText::TimeCursor)}</span><strong>{cursor_text}</strong>
            </div>
            <Transition fallback=|| view! { <p class="muted" data-testid="episode-loading">{t(RecordingText::ReadingEpisode)}</p> }>
                <ErrorBoundary fallback=|errors| view! {
                    <div class="error" data-testid="episode-error" role="alert">
                        <strong>{t(RecordingText::CouldNotRead)}</strong>" "
                        {move || errors.get().into_iter().map(|(_, e)| e.to_string()).collect::<Vec<_>>().join("; ")}
                    </div>
                }>
                    {move || data.get().map(|result| result.map(|view| recording_explorer(state, episode, view, explorer, resized)))}
                </ErrorBoundary>
            </Transition>
        </div>
    }
}

fn recording_explorer(
    state: AppState,
    episode: u64,
    view: Arc<RecordingEpisodeView>,
    explorer: Explorer,
    resized: RwSignal<u32>,
) -> impl IntoView {
    let lang = use_lang();
    // The timeline spans every stream; stepping follows the densest one (or the first camera).
    let step_times: Vec<f64> = match view.densest() {
        Some(stream) => stream.frames.timestamps_secs.clone(),
        None => view.images.first().map(|i| i.times_secs.clone()).unwrap_or_default(),
    };
    explorer.bounds.set(TimeWindow::full(0.0, view.duration_secs.max(step_times.last().copied().unwrap_or(0.0))));
    let timeline_frames = Arc::new(episcope_core::lerobot::EpisodeFrames {
        episode_index: episode,
        frames: step_times.len(),
        timestamps_secs: step_times.clone(),
        series: Vec::new(),
    });
    explorer.times.set_value(Arc::new(step_times));
    let stream_3d = RwSignal::new(view.default_3d_stream());
    let options_3d: Vec<(usize, String)> =
        view.numeric.iter().enumerate().map(|(i, s)| (i, format!("{} ({})", s.stream, s.type_name))).collect();
    let numeric = view.numeric.len() as u64;
    let images = view.images.len() as u64;
    let view_3d = view.clone();
    let plots = view
        .numeric
        .iter()
        .map(|stream| {
            let frames = Arc::new(stream.frames.clone());
            let count = frames.series.len();
            view! {
                <section class="stream-plots" data-testid="stream-plots" data-stream=stream.stream.clone()
                    data-messages=stream.frames.timestamps_secs.len().to_string()>
                    <h2 class="stream-heading"><code>{stream.stream.clone()}</code>" "<span class="muted small">{stream.type_name.clone()}</span></h2>
                    {(0..count).map(|i| view! { <PlotPanel frames=frames.clone() index=i explorer resized/> }).collect_view()}
                </section>
            }
        })
        .collect_view();
    let not_shown = view.not_shown.clone();
    let dash = || "—".to_string();
    let stream_rows = view
        .streams
        .iter()
        .map(|row| {
            let secs = move |v: Option<f64>| v.map(|s| format!("{s:.3} s")).unwrap_or_else(dash);
            let rate = row.timing.and_then(|t| t.nominal_rate_hz);
            let gaps = row.timing.map(|t| t.gaps);
            let longest = row.timing.and_then(|t| t.longest_interval_secs);
            view! {
                <tr data-testid="episode-stream-row" data-stream=row.stream.clone() data-messages=row.messages.to_string()
                    data-gaps=gaps.map(|g| g.to_string()).unwrap_or_default()
                    class:warn-row=gaps.is_some_and(|g| g > 0)>
                    <td><code>{row.stream.clone()}</code></td>
                    <td><code>{row.type_name.clone()}</code></td>
                    <td class="num">{row.messages.to_string()}</td>
                    <td class="num">{move || rate.map(|hz| RecordingSentence::Rate { hz }.text(lang.get())).unwrap_or_else(dash)}</td>
                    <td class="num">{secs(row.first_secs)}</td>
                    <td class="num">{secs(row.last_secs)}</td>
                    <td class="num">{gaps.map(|g| g.to_string()).unwrap_or_else(dash)}</td>
                    <td class="num">{secs(longest)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <PlaybackBar state episode explorer frames=timeline_frames/>
        <p class="muted small" data-testid="recording-timeline-note">
            {move || RecordingSentence::StreamsShown { numeric, images }.text(lang.get())}" · "{t(RecordingText::TimelineNote)}
            {(!view.timed).then(|| view! { " "{t(RecordingText::UntimedNote)} })}
        </p>
        {(!view.images.is_empty()).then(|| view! {
            <section class="media-grid">
                {view.images.iter().cloned().map(|timeline| view! { <RecordingFramePanel episode timeline explorer/> }).collect_view()}
            </section>
        })}
        {(!view.numeric.is_empty()).then(|| view! {
            <div class="trajectory-controls">
                <label>{t(RecordingText::Stream3d)}" "
                    <select data-testid="stream-3d" on:change=move |ev| stream_3d.set(event_target_value(&ev).parse().ok())>
                        {options_3d.into_iter().map(|(i, label)| view! {
                            <option value=i.to_string() selected=move || stream_3d.get() == Some(i)>{label}</option>
                        }).collect_view()}
                    </select>
                </label>
            </div>
        })}
        {move || {
            let index = stream_3d.get()?;
            let frames = Arc::new(view_3d.numeric.get(index)?.frames.clone());
            Some(view! { <TrajectoryPanel frames explorer without_overlays=true/> })
        }}
        {plots}
        <section class="card">
            <h2>{t(RecordingText::EpisodeStreams)}</h2>
            <div class="table-scroll">
                <table class="table" data-testid="episode-streams">
                    <thead><tr>
                        <th>{t(RecordingText::ColStream)}</th><th>{t(RecordingText::ColType)}</th>
                        <th>{t(RecordingText::ColMessages)}</th><th>{t(RecordingText::ColRate)}</th>
                        <th>{t(RecordingText::ColFirst)}</th><th>{t(RecordingText::ColLast)}</th>
                        <th>{t(RecordingText::ColGaps)}</th><th>{t(RecordingText::ColLongest)}</th>
                    </tr></thead>
                    <tbody>{stream_rows}</tbody>
                </table>
            </div>
            <p class="muted small">{t(RecordingText::GapsNote)}</p>
        </section>
        {(!not_shown.is_empty()).then(|| view! {
            <section class="card" data-testid="streams-not-shown">
                <h2>{t(RecordingText::NotShownHeading)}</h2>
                <ul>
                    {not_shown.into_iter().map(|n| {
                        let id = n.stream.clone();
                        let text = RecordingSentence::NotShown { stream: n.stream, type_name: n.type_name, reason: n.reason }
                            .text(lang.get_untracked());
                        view! { <li data-testid="stream-not-shown" data-stream=id>{text}</li> }
                    }).collect_view()}
                </ul>
            </section>
        })}
    }
}

/// Draws a frame the worker answered into `canvas`: RGBA pixels directly, JPEG/PNG decoded by the
/// browser (`createImageBitmap`). The canvas takes the frame's size; CSS scales it.
async fn draw_frame(
    canvas: web_sys::HtmlCanvasElement,
    mime: String,
    width: u32,
    height: u32,
    buffer: js_sys::ArrayBuffer,
) -> Result<(), String> {
    let context = |canvas: &web_sys::HtmlCanvasElement| {
        canvas
            .get_context("2d")
            .ok()
            .flatten()
            .and_then(|c| c.dyn_into::<web_sys::CanvasRenderingContext2d>().ok())
            .ok_or_else(|| "no 2D canvas".to_string())
    };
    if mime == RGBA_MIME {
        let pixels = js_sys::Uint8Array::new(&buffer).to_vec();
        let image = web_sys::ImageData::new_with_u8_clamped_array_and_sh(Clamped(&pixels), width, height)
            .map_err(|e| format!("{e:?}"))?;
        canvas.set_width(width);
        canvas.set_height(height);
        context(&canvas)?.put_image_data(&image, 0.0, 0.0).map_err(|e| format!("{e:?}"))?;
        return Ok(());
    }
    let parts = js_sys::Array::of1(&buffer);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(&mime);
    let blob =
        web_sys::Blob::new_with_buffer_source_sequence_and_options(&parts, &options).map_err(|e| format!("{e:?}"))?;
    let window = web_sys::window().ok_or("no window")?;
    let promise = window.create_image_bitmap_with_blob(&blob).map_err(|e| format!("{e:?}"))?;
    let bitmap: web_sys::ImageBitmap = JsFuture::from(promise)
        .await
        .map_err(|_| format!("the browser cannot decode this {mime} frame"))?
        .unchecked_into();
    canvas.set_width(bitmap.width());
    canvas.set_height(bitmap.height());
    context(&canvas)?.draw_image_with_image_bitmap(&bitmap, 0.0, 0.0).map_err(|e| format!("{e:?}"))?;
    bitmap.close();
    Ok(())
}

/// One camera stream: the last frame logged at or before the cursor.
#[component]
fn RecordingFramePanel(episode: u64, timeline: ImageTimeline, explorer: Explorer) -> impl IntoView {
    let lang = use_lang();
    let times = Arc::new(timeline.times_secs.clone());
    let frames = times.len() as u64;
    let frame_times = times.clone();
    let frame = Memo::new(move |_| {
        let t = explorer.cursor.get().unwrap_or(explorer.bounds.get().from_secs);
        frame_at(&frame_times, t) as u64
    });
    let canvas_ref = NodeRef::<Canvas>::new();
    let failure = RwSignal::new(None::<String>);
    let drawn = RwSignal::new(None::<u64>);
    let stream = timeline.stream.clone();
    // The newest request wins: an answer for a frame the cursor has left is not drawn.
    let wanted = StoredValue::new(0u64);
    Effect::new(move || {
        let index = frame.get();
        wanted.set_value(index);
        let stream = stream.clone();
        leptos::task::spawn_local(async move {
            let request = Request::ReadRecordingFrame {
                request_id: client().next_request_id(),
                episode_index: episode,
                stream: stream.clone(),
                index,
            };
            let answer = client().request_with_binary(request, js_sys::Array::new(), |_| {}).await;
            if wanted.try_get_value() != Some(index) {
                return;
            }
            let result = match answer {
                (Response::RecordingFrame { mime, width, height, .. }, Some(buffer)) => {
                    match canvas_ref.get_untracked() {
                        Some(canvas) => draw_frame(canvas, mime, width, height, buffer).await,
                        None => return,
                    }
                }
                (Response::Failed { message, .. }, _) => Err(message),
                (other, _) => {
                    Err(CommonSentence::UnexpectedAnswer { answer: format!("{other:?}") }.text(lang.get_untracked()))
                }
            };
            match result {
                Ok(()) => {
                    let _ = failure.try_set(None);
                    let _ = drawn.try_set(Some(index));
                }
                Err(message) => {
                    let _ = failure.try_set(Some(message));
                }
            }
        });
    });
    let caption_times = times.clone();
    let caption = move || {
        let index = frame.get();
        let secs = caption_times.get(index as usize).copied().unwrap_or(0.0);
        let before_start = explorer.cursor.get().is_some_and(|t| caption_times.first().is_some_and(|first| t < *first));
        let text = RecordingSentence::FrameAt { frame: index + 1, frames, secs }.text(lang.get());
        if before_start {
            format!("{text} · {}", RecordingText::NoFrameYet.str(lang.get()))
        } else {
            text
        }
    };
    let (name, panel_name, canvas_name) = (timeline.stream.clone(), timeline.stream.clone(), timeline.stream.clone());
    view! {
        <figure class="media-panel" data-testid="recording-frame-panel" data-stream=panel_name>
            <figcaption><code>{name.clone()}</code>" "<span class="muted small">{caption}</span></figcaption>
            <canvas class="recording-frame" node_ref=canvas_ref data-testid="recording-frame" data-stream=canvas_name
                data-compressed=timeline.compressed.to_string()
                data-frame=move || drawn.get().map(|f| f.to_string()).unwrap_or_default()
                aria-label=name></canvas>
            {move || failure.get().map(|message| view! { <p class="media-missing" data-testid="recording-frame-error">{message}</p> })}
        </figure>
    }
}
