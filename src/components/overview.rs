//! A dataset's overview: summary facts, problems, tasks, features, files and the episode list.

use episcope_core::lerobot::overview::{format_bytes, format_duration, Overview};
use leptos::prelude::*;

use crate::app::AppState;
use crate::components::conformance::ConformancePanel;
use crate::components::episode_list::EpisodeList;
use crate::view_model::{format_number, format_shape, summary_attributes};

#[component]
fn Fact(label: &'static str, value: String) -> impl IntoView {
    view! {
        <div class="fact">
            <div class="fact-label">{label}</div>
            <div class="fact-value">{value}</div>
        </div>
    }
}

fn declared_note(found: u64, declared: Option<u64>) -> String {
    match declared {
        Some(d) if d != found => format!("{found} (info.json says {d})"),
        _ => found.to_string(),
    }
}

#[component]
pub fn OverviewPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    move || state.overview.get().map(|o| overview_view(state, o))
}

fn overview_view(state: AppState, o: Overview) -> impl IntoView {
    let [version, episodes, frames, fps] = summary_attributes(&o);
    let facts = vec![
        ("Format", format!("LeRobot {}", o.version)),
        ("Robot", o.robot_type.clone().unwrap_or_else(|| "—".into())),
        ("FPS", o.fps.map(format_number).unwrap_or_else(|| "—".into())),
        ("Episodes", declared_note(o.episodes, o.declared_total_episodes)),
        ("Frames", declared_note(o.frames, o.declared_total_frames)),
        ("Duration", format_duration(o.duration_secs)),
        ("Tasks", o.tasks.len().to_string()),
        ("Cameras", if o.cameras.is_empty() { "none".into() } else { o.cameras.len().to_string() }),
        ("Size", format!("{} · {} files", format_bytes(o.total_size_bytes), o.files.len())),
    ];
    let problems = o.problems.clone();
    let mut subtitle_parts = Vec::new();
    if !o.cameras.is_empty() {
        subtitle_parts.push(format!("cameras: {}", o.cameras.join(", ")));
    }
    if !o.stats_files.is_empty() {
        subtitle_parts.push(format!("stats: {}", o.stats_files.join(", ")));
    }
    let subtitle = subtitle_parts.join(" · ");
    let has_problems = !problems.is_empty();
    view! {
        <div class="overview">
            <div class="overview-head">
                <div>
                    <h1 class="dataset-name">{o.name.clone()}</h1>
                    <p class="muted">{subtitle}</p>
                </div>
                <button class="secondary" on:click=move |_| state.close()>"Open another dataset"</button>
            </div>
            <section class="summary" data-testid="dataset-summary"
                data-version=version.1 data-episodes=episodes.1 data-frames=frames.1 data-fps=fps.1>
                {facts.into_iter().map(|(label, value)| view! { <Fact label value/> }).collect_view()}
            </section>
            <Show when=move || has_problems>
                <section class="problems">
                    <h2>{format!("{} problem{} found while reading", problems.len(), if problems.len() == 1 { "" } else { "s" })}</h2>
                    <ul>
                        {problems.clone().into_iter().map(|p| view! {
                            <li data-testid="problem" data-path=p.path.clone()><code>{p.path.clone()}</code>" — "{p.message.clone()}</li>
                        }).collect_view()}
                    </ul>
                </section>
            </Show>
            <ConformancePanel/>
            <div class="columns">
                <section class="card">
                    <h2>"Tasks"</h2>
                    <table class="table">
                        <thead><tr><th class="num">"#"</th><th>"Task"</th></tr></thead>
                        <tbody>
                            {o.tasks.iter().map(|t| view! { <tr><td class="num">{t.index}</td><td>{t.text.clone()}</td></tr> }).collect_view()}
                        </tbody>
                    </table>
                </section>
                <section class="card">
                    <h2>"Files"</h2>
                    <table class="table">
                        <thead><tr><th>"Folder"</th><th class="num">"Files"</th><th class="num">"Size"</th></tr></thead>
                        <tbody>
                            {o.file_groups.iter().map(|g| view! {
                                <tr><td><code>{format!("{}/", g.group)}</code></td><td class="num">{g.files}</td><td class="num">{format_bytes(g.size_bytes)}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    <details>
                        <summary>{format!("All {} files", o.files.len())}</summary>
                        <ul class="file-list">
                            {o.files.iter().map(|f| view! { <li><code>{f.path.clone()}</code><span class="muted">{format_bytes(f.size_bytes)}</span></li> }).collect_view()}
                        </ul>
                    </details>
                </section>
            </div>
            <section class="card">
                <h2>"Features"</h2>
                <table class="table" data-testid="features">
                    <thead><tr><th>"Name"</th><th>"Type"</th><th>"Shape"</th><th>"Dimensions"</th></tr></thead>
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
