//! The episode browser on the overview: search, task/length/findings filters, sorting, keyboard
//! navigation (↑/↓ or j/k, Enter opens) and paging for datasets with many thousands of episodes.
//! The filtering and sorting is `episode_browser`; this wires inputs to it.

use episcope_core::lerobot::overview::EpisodeOverview;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::app::AppState;
use crate::episode_browser::{distinct_tasks, findings_per_episode, EpisodeQuery, SortKey};
use crate::i18n::overview::{EpisodeListText, OverviewSentence};
use crate::i18n::{format_duration, t, use_lang, Text};

/// Rows rendered at a time; more on request (the DOM stays small for 100k-episode datasets).
const PAGE_ROWS: usize = 500;
/// Rows in the overview's first paint; the rest of the first page follows on the next frame
/// (500 rows took ≈ 50 ms to render, most of the time between the worker's answer and the list).
const FIRST_PAINT_ROWS: usize = 100;

fn focus_row(episode: u64) {
    if let Some(row) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(&format!("episode-{episode}")))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = row.focus();
    }
}

#[component]
pub fn EpisodeList(episodes: Vec<EpisodeOverview>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = use_lang();
    let total = episodes.len();
    let tasks = distinct_tasks(&episodes);
    let episodes = StoredValue::new(episodes);
    let query = RwSignal::new(EpisodeQuery::default());
    let shown_rows = RwSignal::new(FIRST_PAINT_ROWS);
    if total > FIRST_PAINT_ROWS {
        // Two frames: a callback of the next frame runs before that frame is painted.
        request_animation_frame(move || {
            request_animation_frame(move || {
                shown_rows.try_update(|n| *n = (*n).max(PAGE_ROWS));
            })
        });
    }
    let findings = Memo::new(move |_| state.report.with(|r| findings_per_episode(r.as_ref())));
    let shown = Memo::new(move |_| {
        let q = query.get();
        findings.with(|f| episodes.with_value(|e| q.apply(e, f)))
    });
    // The episode view's previous/next follow what the list shows.
    Effect::new(move || {
        let order: Vec<u64> = episodes.with_value(|e| shown.get().iter().map(|&i| e[i].index).collect());
        state.episode_order.set(order);
    });
    let set = move |change: fn(&mut EpisodeQuery, String)| {
        move |ev: web_sys::Event| {
            let value = event_target_value(&ev);
            query.update(|q| change(q, value));
            shown_rows.set(PAGE_ROWS);
        }
    };
    let parse_length = |v: String| v.trim().parse::<u64>().ok();
    let on_key = move |ev: web_sys::KeyboardEvent| {
        let Some(current) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.get_attribute("data-episode"))
            .and_then(|v| v.parse::<u64>().ok())
        else {
            return;
        };
        let delta = match ev.key().as_str() {
            "ArrowDown" | "j" => 1,
            "ArrowUp" | "k" => -1,
            "Enter" | " " => {
                ev.prevent_default();
                state.select_episode(Some(current));
                return;
            }
            _ => return,
        };
        ev.prevent_default();
        let order = state.episode_order.get_untracked();
        if let Some(next) = crate::episode_browser::neighbour(&order, Some(current), delta) {
            if let Some(position) = order.iter().position(|e| *e == next) {
                if position >= shown_rows.get_untracked() {
                    shown_rows.update(|n| *n += PAGE_ROWS);
                }
            }
            request_animation_frame(move || focus_row(next));
        }
    };
    let rows = move || {
        let f = findings.get();
        episodes.with_value(|list| {
            shown
                .get()
                .into_iter()
                .take(shown_rows.get())
                .map(|i| {
                    let e = list[i].clone();
                    let index = e.index;
                    let count = f.get(&index).copied().unwrap_or(0);
                    view! {
                        <tr data-testid="episode-row" id=format!("episode-{index}") data-episode=index.to_string()
                            data-length=e.length.to_string() data-findings=count.to_string()
                            class="clickable" tabindex="0" title=t(EpisodeListText::RowTitle)
                            aria-label=move || OverviewSentence::OpenEpisode { episode: index }.text(lang.get())
                            on:click=move |_| state.select_episode(Some(index))
                            class:focused=move || state.focused_episode.get() == Some(index)>
                            <td class="num">{index}</td>
                            <td class="num">{e.length}</td>
                            <td class="num">{move || format_duration(e.duration_secs, lang.get())}</td>
                            <td class="num">{if count > 0 { view! { <span class="badge warn">{count}</span> }.into_any() } else { view! { <span class="muted">"—"</span> }.into_any() }}</td>
                            <td>{e.tasks.join(" · ")}</td>
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    let sort_header = move |key: SortKey, label: EpisodeListText, numeric: bool| {
        view! {
            <th class:num=numeric aria-sort=move || {
                let q = query.get();
                if q.sort != key { "none" } else if q.descending { "descending" } else { "ascending" }
            }>
                <button class="sort" data-testid="episode-sort" data-key=key.id() on:click=move |_| query.update(|q| {
                    if q.sort == key { q.descending = !q.descending } else { q.sort = key; q.descending = false }
                })>
                    {t(label)}
                    {move || { let q = query.get(); (q.sort == key).then_some(if q.descending { " ▼" } else { " ▲" }) }}
                </button>
            </th>
        }
    };
    view! {
        <section class="card">
            <h2>{move || {
                let shown = shown.with(Vec::len) as u64;
                OverviewSentence::EpisodesHeading { shown, total: total as u64 }.text(lang.get())
            }}</h2>
            <div class="episode-filters" data-testid="episode-filters">
                <input type="search" placeholder=t(EpisodeListText::SearchPlaceholder) data-testid="episode-search"
                    aria-label=t(EpisodeListText::SearchLabel) on:input=set(|q, v| q.search = v)/>
                <select data-testid="episode-task-filter" aria-label=t(EpisodeListText::TaskLabel) on:change=set(|q, v| q.task = (!v.is_empty()).then_some(v))>
                    <option value="">{t(EpisodeListText::AllTasks)}</option>
                    {tasks.into_iter().map(|t| view! { <option value=t.clone()>{t.clone()}</option> }).collect_view()}
                </select>
                <label>{t(EpisodeListText::FramesAtLeast)}<input type="number" min="0" class="short" data-testid="episode-min-length"
                    on:input=move |ev| { let v = parse_length(event_target_value(&ev)); query.update(|q| q.min_length = v) }/></label>
                <label>" ≤ "<input type="number" min="0" class="short" data-testid="episode-max-length"
                    on:input=move |ev| { let v = parse_length(event_target_value(&ev)); query.update(|q| q.max_length = v) }/></label>
                <label class="check"><input type="checkbox" data-testid="episode-with-findings"
                    on:change=move |ev| { let on = event_target_checked(&ev); query.update(|q| q.with_findings_only = on) }/>
                    {t(EpisodeListText::WithFindings)}</label>
                <select data-testid="episode-sort-select" aria-label=t(EpisodeListText::SortLabel) on:change=move |ev| {
                    let v = event_target_value(&ev);
                    let (key, descending) = v.split_once(':').unwrap_or((v.as_str(), ""));
                    let (key, descending) = (SortKey::from_id(key), descending == "desc");
                    query.update(|q| { q.sort = key; q.descending = descending });
                }>
                    <option value="index:asc">{t(EpisodeListText::SortEpisode)}</option>
                    <option value="length:desc">{t(EpisodeListText::SortLongest)}</option>
                    <option value="length:asc">{t(EpisodeListText::SortShortest)}</option>
                    <option value="findings:desc">{t(EpisodeListText::SortMostFindings)}</option>
                    <option value="task:asc">{t(EpisodeListText::SortTask)}</option>
                </select>
            </div>
            <table class="table episodes" data-testid="episode-list" on:keydown=on_key>
                <thead><tr>
                    {sort_header(SortKey::Index, EpisodeListText::Episode, true)}
                    {sort_header(SortKey::Length, EpisodeListText::Frames, true)}
                    <th class="num">{t(EpisodeListText::Duration)}</th>
                    {sort_header(SortKey::Findings, EpisodeListText::Findings, true)}
                    {sort_header(SortKey::Task, EpisodeListText::Tasks, false)}
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
            {move || {
                let n = shown.with(Vec::len);
                (n > shown_rows.get()).then(|| view! {
                    <button class="secondary" data-testid="episode-more" on:click=move |_| shown_rows.update(|r| *r += PAGE_ROWS)>
                        {move || OverviewSentence::ShowMore { hidden: (n - shown_rows.get_untracked()) as u64 }.text(lang.get())}
                    </button>
                })
            }}
            {move || (shown.with(Vec::is_empty)).then(|| view! { <p class="muted">{t(EpisodeListText::NoMatch)}</p> })}
            <p class="muted small">{t(EpisodeListText::KeyboardHelp)}</p>
        </section>
    }
}
