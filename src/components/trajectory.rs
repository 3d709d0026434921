//! The 3D trajectory panel: three chosen dimensions of the episode (defaults from
//! `render3d::default_axes`), other episodes overlaid for comparison, the shared time cursor as a
//! marker, and a clear message where WebGL2 is missing. Drawing is `render3d::Viewer3d`.

use std::sync::Arc;

use episcope_core::lerobot::EpisodeFrames;
use leptos::html::Canvas;
use leptos::prelude::*;

use crate::app::AppState;
use crate::components::episode::Explorer;
use crate::episode_browser::{neighbour, parse_episode_list};
use crate::protocol::{Request, Response};
use crate::render3d::{default_axes, AxisChoice, AxisScaling, DimRef, FeatureDims, Scene, Viewer3d};
use crate::view_model::{dim_from_id, dim_id};
use crate::worker_client::client;

async fn load_overlay(episode_index: u64, features: Vec<String>) -> Option<EpisodeFrames> {
    let request = Request::ReadEpisode { request_id: client().next_request_id(), episode_index, features };
    match client().request(request, js_sys::Array::new(), |_| {}).await {
        Response::Episode { frames, .. } => Some(*frames),
        _ => None,
    }
}

#[component]
pub fn TrajectoryPanel(frames: Arc<EpisodeFrames>, explorer: Explorer) -> impl IntoView {
    let state = expect_context::<AppState>();
    let episode = frames.episode_index;
    let features: Vec<FeatureDims> = frames.series.iter().map(FeatureDims::from_series).collect();
    let default_choice = default_axes(&features);
    let options: Vec<(String, String)> = std::iter::once(("time".to_string(), "time (s)".to_string()))
        .chain(frames.series.iter().flat_map(|s| {
            (0..s.dimensions.len()).map(move |i| {
                let dim = DimRef::Dim { feature: s.feature.clone(), index: i };
                (dim_id(&dim), format!("{} · {}", s.feature, s.labels.get(i).cloned().unwrap_or_else(|| i.to_string())))
            })
        }))
        .collect();
    let choice = RwSignal::new(default_choice.clone());
    let overlay_text = RwSignal::new(String::new());
    let overlays = RwSignal::new(Vec::<Arc<EpisodeFrames>>::new());
    let error = RwSignal::new(None::<String>);
    let gl_ref = NodeRef::<Canvas>::new();
    let labels_ref = NodeRef::<Canvas>::new();
    let viewer = StoredValue::new_local(None::<Viewer3d>);
    on_cleanup(move || viewer.set_value(None));

    // Create the viewer once both canvases exist; then (re)build the scene when the axes or the
    // overlays change, keeping the camera unless the axes changed.
    let scene_frames = frames.clone();
    let last_choice = StoredValue::new_local(None::<AxisChoice>);
    Effect::new(move || {
        let Some(choice) = choice.get() else {
            error.set(Some("This episode has no feature with two or more dimensions to draw in 3D.".into()));
            return;
        };
        let overlay_frames = overlays.get();
        let (Some(canvas), Some(overlay_canvas)) = (gl_ref.get(), labels_ref.get()) else { return };
        if viewer.with_value(Option::is_none) {
            match Viewer3d::new(canvas, Some(overlay_canvas)) {
                Ok(mut v) => {
                    if let Err(e) = v.attach_input() {
                        error.set(Some(e.to_string()));
                    }
                    v.set_on_pick(move |hit| {
                        explorer.playing.set(false);
                        explorer.cursor.set(Some(f64::from(hit.time_secs)));
                    });
                    viewer.set_value(Some(v));
                }
                Err(e) => {
                    error.set(Some(e.to_string()));
                    return;
                }
            }
        }
        let mut all: Vec<&EpisodeFrames> = vec![&scene_frames];
        all.extend(overlay_frames.iter().map(|f| f.as_ref()));
        match Scene::from_episodes(&all, &choice, Some(episode)) {
            Ok(scene) => {
                let same_axes = last_choice.with_value(|c| c.as_ref() == Some(&choice));
                let result = viewer.with_value(|v| {
                    v.as_ref().map(|v| if same_axes { v.set_scene_keep_view(&scene) } else { v.set_scene(&scene) })
                });
                last_choice.set_value(Some(choice));
                match result {
                    Some(Err(e)) => error.set(Some(e.to_string())),
                    _ => error.set(None),
                }
                viewer.with_value(|v| {
                    if let Some(v) = v {
                        v.set_cursor(explorer.cursor.get_untracked());
                    }
                });
            }
            Err(e) => error.set(Some(e.to_string())),
        }
    });
    Effect::new(move || {
        let t = explorer.cursor.get();
        viewer.with_value(|v| {
            if let Some(v) = v {
                v.set_cursor(t);
            }
        });
    });

    let set_axis = move |axis: usize| {
        move |ev: web_sys::Event| {
            let id = event_target_value(&ev);
            choice.update(|c| {
                if let Some(c) = c {
                    c.dims[axis] = dim_from_id(&id);
                    c.scaling = AxisScaling::Independent;
                }
            });
        }
    };
    let load_overlays = move |wanted: Vec<u64>| {
        let Some(current) = choice.get_untracked() else { return };
        let features: Vec<String> = current
            .dims
            .iter()
            .filter_map(|d| match d {
                DimRef::Dim { feature, .. } => Some(feature.clone()),
                DimRef::Time => None,
            })
            .fold(Vec::new(), |mut v, f| {
                if !v.contains(&f) {
                    v.push(f);
                }
                v
            });
        leptos::task::spawn_local(async move {
            let mut loaded = Vec::new();
            for e in wanted {
                if let Some(frames) = load_overlay(e, features.clone()).await {
                    loaded.push(Arc::new(frames));
                }
            }
            let _ = overlays.try_set(loaded);
        });
    };
    let overlay_neighbours = move |_| {
        let order = state.episode_order.get_untracked();
        let mut wanted = Vec::new();
        for delta in [-2i64, -1, 1, 2, 3, 4] {
            if let Some(e) = neighbour(&order, Some(episode), delta).filter(|e| *e != episode && !wanted.contains(e)) {
                wanted.push(e);
            }
        }
        overlay_text.set(wanted.iter().map(u64::to_string).collect::<Vec<_>>().join(", "));
        load_overlays(wanted);
    };
    let selects = (0..3)
        .map(|axis| {
            let options = options.clone();
            let selected = move || choice.with(|c| c.as_ref().map(|c| dim_id(&c.dims[axis])).unwrap_or_default());
            view! {
                <label>{["X ", "Y ", "Z "][axis]}
                    <select data-testid="trajectory-axis" data-axis=axis.to_string() on:change=set_axis(axis)
                        prop:value=selected>
                        {options.into_iter().map(|(id, label)| {
                            let id_for_selected = id.clone();
                            view! { <option value=id selected=move || selected() == id_for_selected>{label}</option> }
                        }).collect_view()}
                    </select>
                </label>
            }
        })
        .collect_view();
    view! {
        <section class="card trajectory-panel" data-testid="trajectory-panel">
            <div class="plot-head">
                <h2>"3D trajectory"</h2>
                <div class="trajectory-controls">
                    {selects}
                    <button class="secondary" data-testid="trajectory-reset"
                        on:click=move |_| viewer.with_value(|v| if let Some(v) = v { v.reset_view() })>"Reset view"</button>
                </div>
            </div>
            <div class="trajectory-controls">
                <label>"Overlay episodes "
                    <input type="text" class="medium" placeholder="e.g. 1, 3, 5-8" data-testid="trajectory-overlay"
                        prop:value=move || overlay_text.get()
                        on:change=move |ev| {
                            let text = event_target_value(&ev);
                            overlay_text.set(text.clone());
                            load_overlays(parse_episode_list(&text, episode));
                        }/>
                </label>
                <button class="secondary" on:click=overlay_neighbours>"Overlay neighbours"</button>
                <span class="muted small">{move || {
                    let n = overlays.with(Vec::len);
                    if n == 0 { "Drag to orbit · right-drag or Shift-drag to pan · wheel to zoom · double-click to reset · click a point to move the cursor".to_string() }
                    else { format!("{n} episode{} overlaid in lighter colours", if n == 1 { "" } else { "s" }) }
                }}</span>
            </div>
            {move || error.get().map(|message| view! { <p class="media-missing" data-testid="trajectory-3d-unavailable">{message}</p> })}
            <div class="view3d" class:hidden=move || error.with(Option::is_some) && viewer.with_value(Option::is_none)>
                <canvas node_ref=gl_ref data-testid="trajectory-3d" data-episode=episode.to_string()
                    data-overlays=move || overlays.with(Vec::len).to_string()
                    aria-label="3D trajectory of the chosen dimensions"></canvas>
                <canvas node_ref=labels_ref class="view3d-labels"></canvas>
            </div>
        </section>
    }
}
