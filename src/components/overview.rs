//! A dataset's overview: summary facts, problems, tasks, features, files and the episode list.

use episcope_core::lerobot::overview::Overview;
use leptos::prelude::*;

use crate::app::AppState;
use crate::components::conformance::ConformancePanel;
use crate::components::convert::ConvertPanel;
use crate::components::episode_list::EpisodeList;
use crate::components::stats::StatsPanel;
use crate::i18n::overview::{OverviewSentence, OverviewText};
use crate::i18n::{format_bytes, format_duration, t, use_lang, Lang, Text};
use crate::view_model::{format_number, format_shape, summary_attributes};

#[component]
fn Fact(label: OverviewText, value: Signal<String>) -> impl IntoView {
    view! {
        <div class="fact">
            <div class="fact-label">{t(label)}</div>
            <div class="fact-value">{value}</div>
        </div>
    }
}

#[component]
pub fn OverviewPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    move || state.overview.get().map(|o| overview_view(state, o))
}

fn overview_view(state: AppState, o: Overview) -> impl IntoView {
    let lang = use_lang();
    let [version, episodes, frames, fps] = summary_attributes(&o);
    // Each fact's value in a language.
    type FactValue = Box<dyn Fn(Lang) -> String + Send + Sync>;
    let fixed = |text: String| -> FactValue { Box::new(move |_| text.clone()) };
    let (episodes_found, episodes_declared) = (o.episodes, o.declared_total_episodes);
    let (frames_found, frames_declared) = (o.frames, o.declared_total_frames);
    let (duration_secs, total_size_bytes, file_count) = (o.duration_secs, o.total_size_bytes, o.files.len() as u64);
    let camera_count = o.cameras.len() as u64;
    let facts: Vec<(OverviewText, FactValue)> = vec![
        (OverviewText::Format, fixed(format!("LeRobot {}", o.version))),
        (OverviewText::Robot, fixed(o.robot_type.clone().unwrap_or_else(|| "—".into()))),
        (OverviewText::Fps, fixed(o.fps.map(format_number).unwrap_or_else(|| "—".into()))),
        (
            OverviewText::Episodes,
            Box::new(move |l| {
                OverviewSentence::Declared { found: episodes_found, declared: episodes_declared }.text(l)
            }),
        ),
        (
            OverviewText::Frames,
            Box::new(move |l| OverviewSentence::Declared { found: frames_found, declared: frames_declared }.text(l)),
        ),
        (OverviewText::Duration, Box::new(move |l| format_duration(duration_secs, l))),
        (OverviewText::Tasks, fixed(o.tasks.len().to_string())),
        (
            OverviewText::Cameras,
            Box::new(move |l| {
                if camera_count == 0 {
                    OverviewText::NoCameras.str(l).to_string()
                } else {
                    camera_count.to_string()
                }
            }),
        ),
        (
            OverviewText::Size,
            Box::new(move |l| {
                OverviewSentence::SizeAndFiles { size: format_bytes(total_size_bytes, l), files: file_count }.text(l)
            }),
        ),
    ];
    let problems = o.problems.clone();
    let (cameras, stats_files) = (o.cameras.join(", "), o.stats_files.join(", "));
    let subtitle = move || {
        let l = lang.get();
        let mut parts = Vec::new();
        if !cameras.is_empty() {
            parts.push(OverviewSentence::CamerasList { cameras: cameras.clone() }.text(l));
        }
        if !stats_files.is_empty() {
            parts.push(OverviewSentence::StatsList { files: stats_files.clone() }.text(l));
        }
        parts.join(" · ")
    };
    let problem_count = problems.len() as u64;
    let has_problems = !problems.is_empty();
    view! {
        <div class="overview">
            <div class="overview-head">
                <div>
                    <h1 class="dataset-name">{o.name.clone()}</h1>
                    <p class="muted">{subtitle}</p>
                </div>
                <button class="secondary" on:click=move |_| state.close()>{t(OverviewText::OpenAnother)}</button>
            </div>
            <section class="summary" data-testid="dataset-summary" data-bytes-read=move || state.bytes_read.get().to_string()
                data-worker-ms=move || format!("{:.1}", state.worker_ms.get())
                data-version=version.1 data-episodes=episodes.1 data-frames=frames.1 data-fps=fps.1>
                {facts.into_iter().map(|(label, value)| {
                    let value = Signal::derive(move || value(lang.get()));
                    view! { <Fact label value/> }
                }).collect_view()}
            </section>
            <Show when=move || has_problems>
                <section class="problems">
                    <h2>{move || OverviewSentence::ProblemsFound { problems: problem_count }.text(lang.get())}</h2>
                    <ul>
                        {problems.clone().into_iter().map(|p| view! {
                            <li data-testid="problem" data-path=p.path.clone()><code>{p.path.clone()}</code>" — "{p.message.clone()}</li>
                        }).collect_view()}
                    </ul>
                </section>
            </Show>
            <ConformancePanel/>
            <StatsPanel/>
            <ConvertPanel recording=false/>
            <div class="columns">
                <section class="card">
                    <h2>{t(OverviewText::Tasks)}</h2>
                    <table class="table">
                        <thead><tr><th class="num">"#"</th><th>{t(OverviewText::Task)}</th></tr></thead>
                        <tbody>
                            {o.tasks.iter().map(|t| view! { <tr><td class="num">{t.index}</td><td>{t.text.clone()}</td></tr> }).collect_view()}
                        </tbody>
                    </table>
                </section>
                <section class="card">
                    <h2>{t(OverviewText::Files)}</h2>
                    <table class="table">
                        <thead><tr><th>{t(OverviewText::Folder)}</th><th class="num">{t(OverviewText::Files)}</th><th class="num">{t(OverviewText::Size)}</th></tr></thead>
                        <tbody>
                            {o.file_groups.iter().map(|g| view! {
                                <tr><td><code>{format!("{}/", g.group)}</code></td><td class="num">{g.files}</td><td class="num">{format_bytes(g.size_bytes, Lang::En)}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    <details>
                        <summary>{move || OverviewSentence::AllFiles { files: file_count }.text(lang.get())}</summary>
                        <ul class="file-list">
                            {o.files.iter().map(|f| view! { <li><code>{f.path.clone()}</code><span class="muted">{format_bytes(f.size_bytes, Lang::En)}</span></li> }).collect_view()}
                        </ul>
                    </details>
                </section>
            </div>
            <section class="card">
                <h2>{t(OverviewText::Features)}</h2>
                <table class="table" data-testid="features">
                    <thead><tr>
                        <th>{t(OverviewText::Name)}</th><th>{t(OverviewText::Type)}</th>
                        <th>{t(OverviewText::Shape)}</th><th>{t(OverviewText::Dimensions)}</th>
                    </tr></thead>
                    <tbody>
                        {o.features.iter().map(|f| {
                            let dims = if f.kind == "numeric" { f.dimension_labels.join(", ") } else { f.names.join(" × ") };
                            view! {
                                <tr data-testid="feature-row" data-feature=f.name.clone()>
                                    <td><code>{f.name.clone()}</code></td>
                                    <td><span class=format!("kind kind-{}", f.kind)>{f.dtype.clone()}</span></td>
                                    <td class="num">{format_shape(&f.shape)}</td>
                                    <td class="dims">{dims}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
            <EpisodeList episodes=o.episode_list.clone()/>
        </div>
    }
}
