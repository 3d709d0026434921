//! A recording's overview (ROS bags, MCAP, HDF5): format, streams (type, kind, rate, messages,
//! first/last time), episodes, and the readiness check (the conformance panel over the
//! `recording.*` rules).

use episcope_core::recording::{Recording, StreamKind};
use leptos::prelude::*;

use crate::app::AppState;
use crate::components::conformance::ConformancePanel;
use crate::components::convert::ConvertPanel;
use crate::i18n::recording::{RecordingSentence, RecordingText};
use crate::i18n::{format_bytes, t, use_lang, Text};
use crate::recording_view::{gaps_by_stream, recording_span_secs, relative_secs};

fn kind_text(kind: StreamKind) -> RecordingText {
    match kind {
        StreamKind::Numeric => RecordingText::KindNumeric,
        StreamKind::Image => RecordingText::KindImage,
        StreamKind::CompressedImage => RecordingText::KindCompressedImage,
        StreamKind::Text => RecordingText::KindText,
        StreamKind::Other => RecordingText::KindOther,
    }
}

#[component]
pub fn RecordingPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    move || state.recording.get().map(|(name, size_bytes, recording)| recording_view(name, size_bytes, recording))
}

fn recording_view(name: String, size_bytes: u64, recording: Recording) -> impl IntoView {
    let lang = use_lang();
    let formats: Vec<&str> = recording.formats.iter().map(|f| f.label()).collect();
    let formats = formats.join(", ");
    let start_ns = recording.streams.iter().filter_map(|s| s.first_time_ns).min();
    let span_secs = recording_span_secs(&recording);
    let (episodes, streams) = (recording.episodes.len() as u64, recording.streams.len() as u64);
    let dash = || "—".to_string();
    let state = expect_context::<AppState>();
    let gaps = Memo::new(move |_| state.report.with(|r| r.as_ref().map(gaps_by_stream)));
    let stream_rows = recording
        .streams
        .iter()
        .map(|s| {
            let kind = kind_text(s.kind);
            let rate = s.rate_hz();
            let first = s.first_time_ns.and_then(|t| relative_secs(t, start_ns));
            let last = s.last_time_ns.and_then(|t| relative_secs(t, start_ns));
            let secs = move |v: Option<f64>| v.map(|secs| format!("{secs:.3} s")).unwrap_or_else(dash);
            let name = s.name.clone();
            let stream_gaps = move || gaps.with(|g| g.as_ref().map(|g| g.get(&name).copied().unwrap_or(0)));
            let gaps_text = stream_gaps.clone();
            view! {
                <tr data-testid="stream-row" data-stream=s.name.clone() data-messages=s.messages.to_string()
                    data-gaps=move || stream_gaps().map(|g| g.to_string()).unwrap_or_default()>
                    <td><code>{s.name.clone()}</code></td>
                    <td><code>{s.type_name.clone()}</code></td>
                    <td>{move || kind.str(lang.get())}</td>
                    <td class="num">{move || rate.map(|hz| RecordingSentence::Rate { hz }.text(lang.get())).unwrap_or_else(dash)}</td>
                    <td class="num">{s.messages.to_string()}</td>
                    <td class="num">{secs(first)}</td>
                    <td class="num">{secs(last)}</td>
                    <td class="num">{move || gaps_text().map(|g| g.to_string()).unwrap_or_else(dash)}</td>
                </tr>
            }
        })
        .collect_view();
    let episode_rows = recording
        .episodes
        .iter()
        .map(|e| {
            let index = e.index as u64;
            let duration = match (e.start_time_ns, e.end_time_ns) {
                (Some(a), Some(b)) if b >= a => Some((b - a) as f64 * 1e-9),
                _ => None,
            };
            view! {
                <tr id=format!("episode-{}", e.index) data-testid="recording-episode" data-frames=e.frames.to_string()>
                    <td class="num">{e.index.to_string()}</td>
                    <td><code>{e.name.clone()}</code></td>
                    <td>{e.format.label()}</td>
                    <td class="num">{e.frames.to_string()}</td>
                    <td class="num">{move || duration.map(|secs| RecordingSentence::Seconds { secs }.text(lang.get())).unwrap_or_else(dash)}</td>
                    <td><button class="secondary" data-testid="open-recording-episode" data-episode=index.to_string()
                        on:click=move |_| state.select_episode(Some(index))>{t(RecordingText::OpenEpisode)}</button></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card" data-testid="recording-overview">
            <h1 data-testid="dataset-name">{name}</h1>
            <div class="facts">
                <div class="fact"><div class="fact-label">{t(RecordingText::Format)}</div>
                    <div class="fact-value" data-testid="recording-format">{formats}</div></div>
                <div class="fact"><div class="fact-label">{t(RecordingText::Episodes)}</div>
                    <div class="fact-value">{move || RecordingSentence::Counts { episodes, streams }.text(lang.get())}</div></div>
                <div class="fact"><div class="fact-label">{t(RecordingText::Duration)}</div>
                    <div class="fact-value">{move || span_secs.map(|secs| RecordingSentence::Seconds { secs }.text(lang.get())).unwrap_or_else(dash)}</div></div>
                <div class="fact"><div class="fact-label">{t(RecordingText::Size)}</div>
                    <div class="fact-value">{move || format_bytes(size_bytes, lang.get())}</div></div>
            </div>
            <p class="muted small" data-testid="recording-open-hint">{t(RecordingText::OpenEpisodeHint)}</p>
        </section>
        <section class="card">
            <h2>{t(RecordingText::Streams)}</h2>
            <div class="table-scroll">
                <table class="table" data-testid="streams">
                    <thead><tr>
                        <th>{t(RecordingText::ColStream)}</th><th>{t(RecordingText::ColType)}</th><th>{t(RecordingText::ColKind)}</th>
                        <th>{t(RecordingText::ColRate)}</th><th>{t(RecordingText::ColMessages)}</th>
                        <th>{t(RecordingText::ColFirst)}</th><th>{t(RecordingText::ColLast)}</th>
                        <th title=t(RecordingText::GapsNote)>{t(RecordingText::ColGaps)}</th>
                    </tr></thead>
                    <tbody>{stream_rows}</tbody>
                </table>
            </div>
            <p class="muted small">{t(RecordingText::RatesNote)}</p>
        </section>
        <section class="card">
            <h2>{t(RecordingText::Episodes)}</h2>
            <div class="table-scroll">
                <table class="table" data-testid="recording-episodes">
                    <thead><tr>
                        <th>"#"</th><th>{t(RecordingText::ColFile)}</th><th>{t(RecordingText::Format)}</th>
                        <th>{t(RecordingText::ColFrames)}</th><th>{t(RecordingText::Duration)}</th><th>{t(RecordingText::ColOpen)}</th>
                    </tr></thead>
                    <tbody>{episode_rows}</tbody>
                </table>
            </div>
        </section>
        <ConformancePanel/>
        <ConvertPanel recording=true/>
    }
}
