//! One episode: camera videos and image frames, the 3D trajectory, a time-series plot per numeric
//! feature, and playback — all on one shared time cursor. Logic lives in `timeline`, `charts` and
//! `render3d`; this wires signals, worker requests and DOM events to it.

use std::sync::Arc;

use episcope_core::lerobot::{EpisodeFrames, FeatureSeries};
use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::app::{update_link_time, AppState};
use crate::charts::plot::{draw_feature, line_color, tick_label, Decimated, Layout, Line, View};
use crate::components::trajectory::TrajectoryPanel;
use crate::episode_browser::{finding_frames, neighbour};
use crate::i18n::common::CommonSentence;
use crate::i18n::episode::{EpisodeSentence, EpisodeText};
use crate::i18n::{t, use_lang, Lang, Text};
use crate::protocol::{Request, Response, VideoClip};
use crate::timeline::{
    advance, format_clock, frame_at, key_action, next_speed, step_frames, video_time_secs, KeyAction, TimeWindow,
    SPEEDS, VIDEO_DRIFT_TOLERANCE_SECS,
};
use crate::worker_client::client;

/// Initial canvas size in CSS pixels; the width then follows the panel, the height stays.
const CANVAS_WIDTH: u32 = 1100;
const CANVAS_HEIGHT: u32 = 240;

/// Why an episode could not be shown.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct EpisodeLoadError {
    pub message: String,
    pub path: Option<String>,
}

/// An episode as the view needs it.
pub struct LoadedEpisode {
    pub frames: EpisodeFrames,
    pub videos: Vec<VideoClip>,
    pub image_features: Vec<String>,
}

async fn load_episode(state: AppState, episode_index: u64, lang: Lang) -> Result<Arc<LoadedEpisode>, EpisodeLoadError> {
    let request = Request::ReadEpisode { request_id: client().next_request_id(), episode_index, features: vec![] };
    let answer = client().request(request, js_sys::Array::new(), move |p| state.progress.set(Some(p.into()))).await;
    state.progress.set(None);
    match answer {
        Response::Episode { frames, videos, image_features, bytes_read, worker_ms, .. } => {
            state.bytes_read.set(bytes_read);
            state.worker_ms.set(worker_ms);
            Ok(Arc::new(LoadedEpisode { frames: *frames, videos, image_features }))
        }
        Response::Failed { message, path, .. } => Err(EpisodeLoadError { message, path }),
        other => Err(EpisodeLoadError {
            message: CommonSentence::UnexpectedAnswer { answer: format!("{other:?}") }.text(lang),
            path: None,
        }),
    }
}

/// The episode view's shared time state (all `Copy` signals).
#[derive(Clone, Copy)]
pub struct Explorer {
    /// The shared time cursor, seconds from the episode start (`None` until placed).
    pub cursor: RwSignal<Option<f64>>,
    /// The plots' visible time window (`None`: the whole episode).
    pub window: RwSignal<Option<TimeWindow>>,
    /// Where the pointer hovers over any plot.
    pub hover: RwSignal<Option<f64>>,
    pub playing: RwSignal<bool>,
    pub speed: RwSignal<f64>,
    /// The episode's first and last timestamps.
    pub bounds: RwSignal<TimeWindow>,
    /// The episode's timestamps (for frame stepping).
    pub times: StoredValue<Arc<Vec<f64>>>,
}

impl Explorer {
    pub(crate) fn new() -> Self {
        Self {
            cursor: RwSignal::new(None),
            window: RwSignal::new(None),
            hover: RwSignal::new(None),
            playing: RwSignal::new(false),
            speed: RwSignal::new(1.0),
            bounds: RwSignal::new(TimeWindow::full(0.0, 1.0)),
            times: StoredValue::new(Arc::new(Vec::new())),
        }
    }

    /// The cursor, or the start when it is unset.
    pub(crate) fn time_untracked(self) -> f64 {
        self.cursor.get_untracked().unwrap_or(self.bounds.get_untracked().from_secs)
    }

    pub(crate) fn set_time(self, time_secs: f64) {
        let bounds = self.bounds.get_untracked();
        let t = time_secs.clamp(bounds.from_secs, bounds.to_secs);
        self.cursor.set(Some(t));
        if let Some(window) = self.window.get_untracked() {
            let followed = window.following(t, bounds);
            if followed != window {
                self.window.set(Some(followed));
            }
        }
    }

    pub(crate) fn step(self, frames: i64) {
        self.playing.set(false);
        let t = step_frames(&self.times.get_value(), self.time_untracked(), frames);
        self.set_time(t);
    }

    pub(crate) fn toggle_play(self) {
        if self.playing.get_untracked() {
            self.playing.set(false);
            return;
        }
        let bounds = self.bounds.get_untracked();
        if self.time_untracked() >= bounds.to_secs {
            self.set_time(bounds.from_secs);
        }
        self.playing.set(true);
        playback_tick(self, js_sys::Date::now());
    }
}

/// One animation frame of playback: moves the cursor by the wall time elapsed × speed, and
/// schedules the next frame until paused, at the end, or unmounted.
fn playback_tick(explorer: Explorer, last_ms: f64) {
    request_animation_frame(move || {
        if explorer.playing.try_get_untracked() != Some(true) {
            return;
        }
        let now_ms = js_sys::Date::now();
        let speed = explorer.speed.get_untracked();
        let end = explorer.bounds.get_untracked().to_secs;
        let (t, at_end) = advance(explorer.time_untracked(), (now_ms - last_ms) / 1000.0, speed, end);
        explorer.set_time(t);
        if at_end {
            explorer.playing.set(false);
        } else {
            playback_tick(explorer, now_ms);
        }
    });
}

/// Moves a camera video to the cursor: seeks when paused; while playing, plays at the chosen speed
/// and re-seeks only when it drifts more than the tolerance.
fn sync_video(video: &web_sys::HtmlVideoElement, clip: &VideoClip, time_secs: f64, playing: bool, speed: f64) {
    let expected = video_time_secs(time_secs, clip.from_timestamp_secs, clip.to_timestamp_secs);
    if playing {
        video.set_playback_rate(speed);
        if (video.current_time() - expected).abs() > VIDEO_DRIFT_TOLERANCE_SECS {
            video.set_current_time(expected);
        }
        if video.paused() {
            let _ = video.play();
        }
    } else {
        if !video.paused() {
            let _ = video.pause();
        }
        if (video.current_time() - expected).abs() > 1e-4 {
            video.set_current_time(expected);
        }
    }
}

/// Whether a key event comes from a form control (keys then belong to it).
pub(crate) fn typing_in_control(ev: &web_sys::KeyboardEvent) -> bool {
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|e| matches!(e.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA" | "BUTTON"))
}

#[component]
pub fn EpisodePage(episode: u64) -> impl IntoView {
    let state = expect_context::<AppState>();
    let explorer = Explorer::new();
    // A deep link to this episode restores its time.
    if let Some((_, t)) = state.linked_time.try_update_value(|l| l.take()).flatten().filter(|(e, _)| *e == episode) {
        explorer.cursor.set(Some(t));
    }
    let lang = use_lang();
    let data = LocalResource::new(move || load_episode(state, episode, lang.get_untracked()));
    // Plots redraw at their new width when the window resizes.
    let resized = RwSignal::new(0u32);
    let resize_listener = window_event_listener(leptos::ev::resize, move |_| resized.update(|n| *n += 1));
    let go_to_episode = move |delta: i64| {
        let order = state.episode_order.get_untracked();
        if let Some(next) = neighbour(&order, Some(episode), delta).filter(|n| *n != episode) {
            state.select_episode(Some(next));
        }
    };
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
            KeyAction::PreviousEpisode => go_to_episode(-1),
            KeyAction::NextEpisode => go_to_episode(1),
            KeyAction::ResetZoom => explorer.window.set(None),
        }
    });
    on_cleanup(move || {
        resize_listener.remove();
        key_listener.remove();
    });
    // The URL keeps the time once playback rests.
    Effect::new(move || {
        if !explorer.playing.get() {
            update_link_time(explorer.cursor.get());
        }
    });
    let cursor_text = move || match explorer.cursor.get() {
        Some(t) => format!("{t:.3} s"),
        None => EpisodeText::PlaceCursor.str(lang.get()).to_string(),
    };
    let position = move || {
        let order = state.episode_order.get();
        let at = order.iter().position(|e| *e == episode);
        (at, order.len())
    };
    view! {
        <div class="episode-view" data-testid="episode-view" data-episode=episode.to_string()
            data-bytes-read=move || state.bytes_read.get().to_string()
            data-worker-ms=move || format!("{:.1}", state.worker_ms.get())>
            <div class="overview-head">
                <div>
                    <h1 class="dataset-name">{move || EpisodeSentence::Heading { episode }.text(lang.get())}</h1>
                    <p class="muted">{move || state.overview.with(|o| o.as_ref().map(|o| o.name.clone()).unwrap_or_default())}</p>
                </div>
                <div class="episode-nav">
                    <button class="secondary" data-testid="previous-episode" title=t(EpisodeText::PreviousTitle)
                        disabled=move || position().0.is_none_or(|p| p == 0) on:click=move |_| go_to_episode(-1)>{t(EpisodeText::Previous)}</button>
                    <span class="muted">{move || {
                        let (at, total) = position();
                        EpisodeSentence::Position { position: at.map(|p| p as u64 + 1), total: total as u64 }.text(lang.get())
                    }}</span>
                    <button class="secondary" data-testid="next-episode" title=t(EpisodeText::NextTitle)
                        disabled=move || { let (p, n) = position(); p.is_none_or(|p| p + 1 >= n) } on:click=move |_| go_to_episode(1)>{t(EpisodeText::Next)}</button>
                    <button class="secondary" data-testid="back-to-overview" on:click=move |_| state.select_episode(None)>
                        {t(EpisodeText::BackToOverview)}
                    </button>
                </div>
            </div>
            <div class="time-cursor" data-testid="time-cursor"
                data-time-secs=move || explorer.cursor.get().map(|t| format!("{t:.4}")).unwrap_or_default()>
                <span class="muted">{t(EpisodeText::TimeCursor)}</span><strong>{cursor_text}</strong>
            </div>
            <Transition fallback=|| view! { <p class="muted" data-testid="episode-loading">{t(EpisodeText::Reading)}</p> }>
                <ErrorBoundary fallback=|errors| view! {
                    <div class="error" data-testid="episode-error" role="alert">
                        <strong>{t(EpisodeText::CouldNotRead)}</strong>
                        {move || errors.get().into_iter().map(|(_, e)| e.to_string()).collect::<Vec<_>>().join("; ")}
                    </div>
                }>
                    {move || data.get().map(|result| result.map(|loaded| explorer_view(state, episode, loaded, explorer, resized)))}
                </ErrorBoundary>
            </Transition>
        </div>
    }
}

fn explorer_view(
    state: AppState,
    episode: u64,
    loaded: Arc<LoadedEpisode>,
    explorer: Explorer,
    resized: RwSignal<u32>,
) -> impl IntoView {
    let times = Arc::new(loaded.frames.timestamps_secs.clone());
    let start = times.first().copied().unwrap_or(0.0);
    let end = times.last().copied().unwrap_or(start);
    explorer.bounds.set(TimeWindow::full(start, end));
    explorer.times.set_value(times);
    let frames = Arc::new(loaded.frames.clone());
    let count = frames.series.len();
    let total_frames = frames.frames as u64;
    let lang = use_lang();
    let media = !loaded.videos.is_empty() || !loaded.image_features.is_empty();
    view! {
        <PlaybackBar state episode explorer frames=frames.clone()/>
        {media.then(|| view! {
            <section class="media-grid">
                {loaded.videos.iter().cloned().map(|clip| view! { <VideoPanel state clip explorer/> }).collect_view()}
                {loaded.image_features.iter().cloned().map(|feature| view! { <ImagePanel episode feature explorer/> }).collect_view()}
            </section>
        })}
        <TrajectoryPanel frames=frames.clone() explorer/>
        <p class="muted">{move || EpisodeSentence::FramesAndFeatures { frames: total_frames, features: count as u64 }.text(lang.get())}
            {t(EpisodeText::PlotHelp)}</p>
        {(count == 0).then(|| view! { <p class="muted">{t(EpisodeText::NoNumericFeatures)}</p> })}
        {(0..count).map(|i| view! { <PlotPanel frames=frames.clone() index=i explorer resized/> }).collect_view()}
    }
}

#[component]
pub(crate) fn PlaybackBar(
    state: AppState,
    episode: u64,
    explorer: Explorer,
    frames: Arc<EpisodeFrames>,
) -> impl IntoView {
    let total_frames = frames.frames;
    let lang = use_lang();
    let fraction = move |t: f64| {
        let bounds = explorer.bounds.get();
        ((t - bounds.from_secs) / bounds.width_secs()).clamp(0.0, 1.0) * 100.0
    };
    let markers = move || {
        let report = state.report.get();
        let times = explorer.times.get_value();
        finding_frames(report.as_ref(), episode)
            .into_iter()
            .filter_map(|(frame, rule)| Some((*times.get(usize::try_from(frame).ok()?)?, frame, rule)))
            .collect::<Vec<_>>()
    };
    let track_ref = NodeRef::<leptos::html::Div>::new();
    let seek_to_pointer = move |ev: &web_sys::PointerEvent| {
        let Some(track) = track_ref.get_untracked() else { return };
        let rect = track.get_bounding_client_rect();
        if rect.width() <= 0.0 {
            return;
        }
        let f = ((f64::from(ev.client_x()) - rect.left()) / rect.width()).clamp(0.0, 1.0);
        let bounds = explorer.bounds.get_untracked();
        explorer.playing.set(false);
        explorer.set_time(bounds.from_secs + f * bounds.width_secs());
    };
    let time = move || explorer.cursor.get().unwrap_or(explorer.bounds.get().from_secs);
    let frame_text = move || {
        let times = explorer.times.get_value();
        let frame = frame_at(&times, time()) as u64 + 1;
        EpisodeSentence::FrameOf { frame, frames: total_frames as u64 }.text(lang.get())
    };
    view! {
        <section class="playback card" data-testid="playback" data-frames=total_frames.to_string()>
            <div class="playback-controls">
                <button class="icon" title=t(EpisodeText::StartTitle) data-testid="jump-start"
                    on:click=move |_| explorer.set_time(explorer.bounds.get_untracked().from_secs)>"|◀"</button>
                <button class="icon" title=t(EpisodeText::StepBackTitle) data-testid="step-back" on:click=move |_| explorer.step(-1)>"◀"</button>
                <button class="icon play" data-testid="play" title=t(EpisodeText::PlayTitle)
                    data-playing=move || explorer.playing.get().to_string()
                    on:click=move |_| explorer.toggle_play()>
                    {move || if explorer.playing.get() { "❙❙" } else { "▶" }}
                </button>
                <button class="icon" title=t(EpisodeText::StepForwardTitle) data-testid="step-forward" on:click=move |_| explorer.step(1)>"▶"</button>
                <button class="icon" title=t(EpisodeText::EndTitle) data-testid="jump-end"
                    on:click=move |_| explorer.set_time(explorer.bounds.get_untracked().to_secs)>"▶|"</button>
                <label class="speed">{t(EpisodeText::Speed)}
                    <select data-testid="speed" on:change=move |ev| {
                        if let Ok(s) = event_target_value(&ev).parse::<f64>() { explorer.speed.set(s) }
                    }>
                        {SPEEDS.iter().map(|s| {
                            let s = *s;
                            view! { <option value=s.to_string() selected=move || (explorer.speed.get() - s).abs() < 1e-9>{format!("{s}×")}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <span class="clock" data-testid="clock">{move || format!("{} / {}", format_clock(time()), format_clock(explorer.bounds.get().to_secs))}</span>
                <span class="muted">{frame_text}</span>
            </div>
            <div class="timeline" data-testid="timeline" node_ref=track_ref role="slider" aria-label=t(EpisodeText::EpisodeTime)
                aria-valuemin=move || explorer.bounds.get().from_secs.to_string()
                aria-valuemax=move || explorer.bounds.get().to_secs.to_string()
                aria-valuenow=move || time().to_string()
                on:pointerdown=move |ev| {
                    if let Some(target) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
                        let _ = target.set_pointer_capture(ev.pointer_id());
                    }
                    seek_to_pointer(&ev);
                }
                on:pointermove=move |ev| if ev.buttons() & 1 == 1 { seek_to_pointer(&ev) }>
                <div class="timeline-track"></div>
                {move || explorer.window.get().map(|w| view! {
                    <div class="timeline-window" style:left=format!("{:.3}%", fraction(w.from_secs)) style:width=format!("{:.3}%", fraction(w.to_secs) - fraction(w.from_secs))></div>
                })}
                <div class="timeline-progress" style:width=move || format!("{:.3}%", fraction(time()))></div>
                <span class="timeline-boundary start" title=t(EpisodeText::EpisodeStart) data-testid="timeline-boundary"></span>
                <span class="timeline-boundary end" title=t(EpisodeText::EpisodeEnd) data-testid="timeline-boundary"></span>
                {move || markers().into_iter().map(|(t, frame, rule)| view! {
                    <span class="timeline-marker" data-testid="timeline-finding" data-rule=rule.clone()
                        title=EpisodeSentence::FindingAt { rule: rule.clone(), frame }.text(lang.get_untracked()) style:left=format!("{:.3}%", fraction(t))></span>
                }).collect_view()}
                <div class="timeline-thumb" style:left=move || format!("{:.3}%", fraction(time()))></div>
            </div>
        </section>
    }
}

/// One camera: its video file, played from a local object URL (or the example's same-origin
/// URL), kept at the cursor by [`sync_video`].
#[component]
fn VideoPanel(state: AppState, clip: VideoClip, explorer: Explorer) -> impl IntoView {
    let lang = use_lang();
    let video_ref = NodeRef::<leptos::html::Video>::new();
    let sync_clip = clip.clone();
    let sync = move |video: &web_sys::HtmlVideoElement| {
        let t = explorer.cursor.get_untracked().unwrap_or(explorer.bounds.get_untracked().from_secs);
        sync_video(video, &sync_clip, t, explorer.playing.get_untracked(), explorer.speed.get_untracked());
    };
    let sync_now = sync.clone();
    Effect::new(move || {
        explorer.cursor.track();
        explorer.playing.track();
        explorer.speed.track();
        if let Some(video) = video_ref.get() {
            sync_now(&video);
        }
    });
    let resolved = if clip.present { state.file_url(&clip.path) } else { None };
    let failure = RwSignal::new(None::<String>);
    if let Some((url, true)) = resolved.clone() {
        on_cleanup(move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        });
    }
    let path = clip.path.clone();
    let on_error = move |ev: web_sys::ErrorEvent| {
        let code = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlMediaElement>().ok())
            .and_then(|v| v.error())
            .map(|e| e.code())
            .unwrap_or(0);
        let why = match code {
            4 => EpisodeText::VideoUndecodable,
            3 => EpisodeText::VideoCorrupt,
            2 => EpisodeText::VideoUnreadable,
            _ => EpisodeText::VideoUnplayable,
        };
        let lang = lang.get_untracked();
        failure
            .set(Some(EpisodeSentence::VideoFailed { path: path.clone(), why: why.str(lang).to_string() }.text(lang)));
    };
    let from = clip.from_timestamp_secs.to_string();
    let to = clip.to_timestamp_secs.map(|t| t.to_string());
    let feature = clip.feature.clone();
    view! {
        <figure class="media-panel">
            <figcaption><code>{feature.clone()}</code></figcaption>
            {match resolved {
                Some((url, _)) => view! {
                    <video data-testid="video" data-feature=feature.clone() src=url muted=true playsinline=true preload="auto"
                        node_ref=video_ref data-from-secs=from data-to-secs=to
                        on:error=on_error
                        on:loadedmetadata=move |_| if let Some(video) = video_ref.get_untracked() { sync(&video) }
                        class:hidden=move || failure.with(Option::is_some)></video>
                }.into_any(),
                None => view! {
                    <p class="media-missing" data-testid="video-missing" data-feature=feature.clone()>
                        {move || EpisodeSentence::VideoMissing { path: clip.path.clone() }.text(lang.get())}
                    </p>
                }.into_any(),
            }}
            {move || failure.get().map(|message| view! { <p class="media-missing" data-testid="video-error">{message}</p> })}
        </figure>
    }
}

/// An image-dtype feature: the frame at the cursor, decoded by the browser from the bytes the
/// worker read.
#[component]
fn ImagePanel(episode: u64, feature: String, explorer: Explorer) -> impl IntoView {
    let frame = Memo::new(move |_| {
        let t = explorer.cursor.get().unwrap_or(explorer.bounds.get().from_secs);
        frame_at(&explorer.times.get_value(), t) as u64
    });
    let current_url = StoredValue::new_local(None::<String>);
    let revoke = move || {
        if let Some(url) = current_url.try_update_value(|u| u.take()).flatten() {
            let _ = web_sys::Url::revoke_object_url(&url);
        }
    };
    on_cleanup(revoke);
    let name = feature.clone();
    let lang = use_lang();
    let image = LocalResource::new(move || {
        let feature = name.clone();
        let frame = frame.get();
        let lang = lang.get_untracked();
        async move {
            let request =
                Request::ReadImage { request_id: client().next_request_id(), episode_index: episode, feature, frame };
            match client().request_with_binary(request, js_sys::Array::new(), |_| {}).await {
                (Response::Image { mime, .. }, Some(buffer)) => {
                    let parts = js_sys::Array::of1(&buffer);
                    let options = web_sys::BlobPropertyBag::new();
                    options.set_type(&mime);
                    let blob = web_sys::Blob::new_with_buffer_source_sequence_and_options(&parts, &options)
                        .map_err(|_| EpisodeText::ImageUnwrappable.str(lang).to_string())?;
                    web_sys::Url::create_object_url_with_blob(&blob)
                        .map_err(|_| EpisodeText::ImageUnshowable.str(lang).to_string())
                }
                (Response::Failed { message, .. }, _) => Err(message),
                (other, _) => Err(CommonSentence::UnexpectedAnswer { answer: format!("{other:?}") }.text(lang)),
            }
        }
    });
    let src = move || match image.get() {
        Some(Ok(url)) => {
            revoke();
            current_url.set_value(Some(url.clone()));
            Some(url)
        }
        _ => None,
    };
    view! {
        <figure class="media-panel">
            <figcaption><code>{feature.clone()}</code>{move || EpisodeSentence::ImageFrame { frame: frame.get() }.text(lang.get())}</figcaption>
            <img data-testid="image-frame" data-feature=feature.clone() data-frame=move || frame.get().to_string()
                alt={let feature = feature.clone(); move || EpisodeSentence::ImageAlt { feature: feature.clone() }.text(lang.get())} src=src/>
            {move || match image.get() {
                Some(Err(message)) => Some(view! { <p class="media-missing">{message}</p> }),
                _ => None,
            }}
        </figure>
    }
}

fn lines<'a>(series: &'a FeatureSeries, hidden: &[bool]) -> Vec<Line<'a>> {
    series
        .labels
        .iter()
        .zip(&series.dimensions)
        .enumerate()
        .filter(|(i, _)| !hidden.get(*i).copied().unwrap_or(false))
        .map(|(i, (label, values))| Line { label, values, color_index: i })
        .collect()
}

/// Where a pointer drag on a plot started: canvas x, the window then, and whether it moved.
#[derive(Clone, Copy)]
struct Drag {
    start_x: f64,
    window: TimeWindow,
    moved: bool,
}

#[component]
pub(crate) fn PlotPanel(
    frames: Arc<EpisodeFrames>,
    index: usize,
    explorer: Explorer,
    resized: RwSignal<u32>,
) -> impl IntoView {
    let name = frames.series[index].feature.clone();
    let labels = frames.series[index].labels.clone();
    let hidden = RwSignal::new(vec![false; labels.len()]);
    let canvas_ref = NodeRef::<Canvas>::new();
    // The layout last drawn and the canvas width in CSS pixels it was drawn for (to map pointers).
    let layout = StoredValue::new(None::<(Layout, f64)>);
    let drag = StoredValue::new(None::<Drag>);
    let hover_x = RwSignal::new(None::<f64>);
    let draw_frames = frames.clone();
    type DecimationKey = (Option<(f64, f64)>, f64, Vec<bool>);
    let decimated = StoredValue::new(None::<(DecimationKey, Arc<Decimated>)>);
    Effect::new(move || {
        let view = View {
            window_secs: explorer.window.get().map(|w| (w.from_secs, w.to_secs)),
            cursor_secs: explorer.cursor.get(),
            hover_secs: explorer.hover.get(),
        };
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
        // Decimate only when the window, the size or the visible dimensions change; cursor and
        // hover moves redraw from the cached buckets.
        let key = (view.window_secs, css_width, hidden.get());
        let stale = decimated.with_value(|cached| cached.as_ref().is_none_or(|(k, _)| *k != key));
        let performance = web_sys::window().and_then(|w| w.performance());
        let now_ms = || performance.as_ref().map_or(0.0, |p| p.now());
        let started_ms = now_ms();
        if stale {
            let series = &draw_frames.series[index];
            let fresh = hidden.with(|h| {
                Decimated::new(css_width, css_height, &draw_frames.timestamps_secs, &lines(series, h), view.window_secs)
            });
            decimated.set_value(Some((key, Arc::new(fresh))));
        }
        let Some(prepared) = decimated.with_value(|cached| cached.as_ref().map(|(_, d)| d.clone())) else { return };
        let drawn_ms = now_ms();
        let drawn = draw_feature(&ctx, css_width, css_height, &draw_frames.timestamps_secs, &prepared, view);
        // For the browser benchmark: what the last redraw cost (decimation only when it ran).
        let _ = canvas.set_attribute("data-draw-ms", &format!("{:.2}", now_ms() - drawn_ms));
        if stale {
            let _ = canvas.set_attribute("data-decimate-ms", &format!("{:.2}", drawn_ms - started_ms));
        }
        layout.set_value(Some((drawn, css_width)));
    });
    // Canvas x (CSS pixels of the drawn layout) of a pointer event.
    let canvas_x = move |client_x: i32| -> Option<(f64, Layout)> {
        let canvas = canvas_ref.get_untracked()?;
        let (layout, css_width) = layout.get_value()?;
        let rect = canvas.get_bounding_client_rect();
        (rect.width() > 0.0).then(|| ((f64::from(client_x) - rect.left()) * css_width / rect.width(), layout))
    };
    let bounds = move || explorer.bounds.get_untracked();
    let min_width = move || {
        let n = explorer.times.get_value().len().max(2) as f64;
        bounds().width_secs() / (n - 1.0) * 4.0
    };
    let on_pointer_down = move |ev: web_sys::PointerEvent| {
        let Some((x, _)) = canvas_x(ev.client_x()) else { return };
        if let Some(canvas) = canvas_ref.get_untracked() {
            let _ = canvas.set_pointer_capture(ev.pointer_id());
        }
        let window = explorer.window.get_untracked().unwrap_or(bounds());
        drag.set_value(Some(Drag { start_x: x, window, moved: false }));
    };
    let on_pointer_move = move |ev: web_sys::PointerEvent| {
        let Some((x, layout)) = canvas_x(ev.client_x()) else { return };
        match drag.get_value() {
            Some(d) if ev.buttons() & 1 == 1 => {
                if (x - d.start_x).abs() >= 3.0 || d.moved {
                    let dt = -(x - d.start_x) / layout.plot_width() * d.window.width_secs();
                    explorer.window.set(Some(d.window.panned(dt, bounds())));
                    drag.set_value(Some(Drag { moved: true, ..d }));
                }
            }
            _ => {
                let inside = x >= layout.left && x <= layout.right;
                explorer.hover.set(inside.then(|| layout.x_to_time(x)));
                hover_x.set(inside.then_some(x));
            }
        }
    };
    let on_pointer_up = move |ev: web_sys::PointerEvent| {
        let moved = drag.get_value().is_some_and(|d| d.moved);
        drag.set_value(None);
        if !moved {
            if let Some((x, layout)) = canvas_x(ev.client_x()) {
                explorer.playing.set(false);
                explorer.cursor.set(Some(layout.x_to_time(x)));
            }
        }
    };
    let on_wheel = move |ev: web_sys::WheelEvent| {
        let Some((x, layout)) = canvas_x(ev.client_x()) else { return };
        ev.prevent_default();
        let factor = (ev.delta_y() * 0.0015).exp();
        let current = explorer.window.get_untracked().unwrap_or(bounds());
        let zoomed = current.zoomed(layout.x_to_time(x), factor, bounds(), min_width());
        explorer.window.set(if zoomed.is_full(bounds()) { None } else { Some(zoomed) });
    };
    let readout_frames = frames.clone();
    let readout = move || {
        let t = explorer.hover.get()?;
        let x = hover_x.get()?;
        let frame = frame_at(&readout_frames.timestamps_secs, t);
        let series = &readout_frames.series[index];
        let rows = hidden.with(|h| {
            series
                .labels
                .iter()
                .zip(&series.dimensions)
                .enumerate()
                .filter(|(i, _)| !h.get(*i).copied().unwrap_or(false))
                .map(|(i, (label, values))| {
                    let value = values.get(frame).map(|v| tick_label(*v)).unwrap_or_default();
                    view! { <div class="readout-row"><span class="swatch" style:background=line_color(i)></span>{label.clone()}<strong>{value}</strong></div> }
                })
                .collect_view()
        });
        let time = readout_frames.timestamps_secs.get(frame).copied().unwrap_or(t);
        Some(view! {
            <div class="hover-readout" data-testid="hover-readout" data-frame=frame.to_string()
                style:left=format!("{:.0}px", x + 12.0)>
                <div class="readout-time">{format!("{time:.3} s · frame {frame}")}</div>
                {rows}
            </div>
        })
    };
    let panel_feature = name.clone();
    let lang = use_lang();
    let legend_feature = name.clone();
    let legend_name = move || EpisodeSentence::DimensionsOf { feature: legend_feature.clone() }.text(lang.get());
    view! {
        <section class="card plot-panel" data-testid="plot-panel" data-feature=panel_feature>
            <div class="plot-head">
                <h2><code>{name.clone()}</code></h2>
                <div class="legend" role="group" aria-label=legend_name>
                    {labels.iter().enumerate().map(|(i, label)| view! {
                        <button class="legend-chip" data-testid="dim-toggle" data-dim=label.clone()
                            class:off=move || hidden.with(|h| h.get(i).copied().unwrap_or(false))
                            aria-pressed=move || (!hidden.with(|h| h.get(i).copied().unwrap_or(false))).to_string()
                            title=t(EpisodeText::DimensionToggleTitle)
                            on:click=move |_| hidden.update(|h| if let Some(v) = h.get_mut(i) { *v = !*v })
                            on:dblclick=move |_| hidden.update(|h| { for (j, v) in h.iter_mut().enumerate() { *v = j != i } })>
                            <span class="swatch" style:background=line_color(i)></span>{label.clone()}
                        </button>
                    }).collect_view()}
                </div>
            </div>
            <div class="plot-area">
                <canvas node_ref=canvas_ref data-testid="plot" data-feature=name
                    data-window-from-secs=move || explorer.window.get().unwrap_or(explorer.bounds.get()).from_secs.to_string()
                    data-window-to-secs=move || explorer.window.get().unwrap_or(explorer.bounds.get()).to_secs.to_string()
                    width=CANVAS_WIDTH height=CANVAS_HEIGHT
                    on:pointerdown=on_pointer_down on:pointermove=on_pointer_move on:pointerup=on_pointer_up
                    on:pointerleave=move |_| { explorer.hover.set(None); hover_x.set(None); }
                    on:wheel=on_wheel
                    on:dblclick=move |_| explorer.window.set(None)></canvas>
                {readout}
            </div>
        </section>
    }
}
