//! The 3D trajectory panel: three chosen dimensions of the episode (defaults from
//! `render3d::default_axes`), other episodes overlaid for comparison, the shared time cursor as a
//! marker, and a clear message where WebGL2 is missing. Drawing is `render3d::Viewer3d`.

use std::sync::Arc;

use std::collections::HashMap;

use episcope_core::lerobot::EpisodeFrames;
use episcope_core::robot::mapping::{guess_angle_unit, match_joints, AngleUnit, JointSource, MatchKind};
use episcope_core::robot::{JointMapping, KinematicTree};
use leptos::html::Canvas;
use leptos::prelude::*;

use crate::app::AppState;
use crate::components::episode::Explorer;
use crate::episode_browser::{neighbour, parse_episode_list};
use crate::i18n::episode::{EpisodeSentence, EpisodeText};
use crate::i18n::robot::{RobotSentence, RobotText};
use crate::i18n::{t, use_lang, Text};
use crate::protocol::{Request, Response};
use crate::render3d::{default_axes, AxisChoice, AxisScaling, DimRef, FeatureDims, Scene, Viewer3d};
use crate::robot_view::{dimension_names, end_effector_path, robot_primitives, robot_scene, RowMajorEpisode};
use crate::timeline::frame_at;
use crate::view_model::{dim_from_id, dim_id};
use crate::worker_client::client;

async fn load_overlay(episode_index: u64, features: Vec<String>) -> Option<EpisodeFrames> {
    let request = Request::ReadEpisode { request_id: client().next_request_id(), episode_index, features };
    match client().request(request, js_sys::Array::new(), |_| {}).await {
        Response::Episode { frames, .. } => Some(*frames),
        _ => None,
    }
}

/// A robot model loaded from the user's URDF, ready for forward kinematics.
pub struct LoadedRobot {
    pub name: String,
    pub tree: KinematicTree,
    /// Triangles of each mesh, by the filename the URDF gives.
    pub meshes: HashMap<String, Arc<[f32]>>,
    pub skipped_meshes: Vec<String>,
}

/// Sends a picked URDF (and the picked mesh files) to the worker and builds the model it answers.
async fn load_robot(urdf: web_sys::File, meshes: Vec<(String, web_sys::File)>) -> Result<LoadedRobot, String> {
    let files = js_sys::Array::new();
    files.push(&urdf);
    for (_, file) in &meshes {
        files.push(file);
    }
    let request = Request::LoadRobot {
        request_id: client().next_request_id(),
        urdf_path: urdf.name(),
        mesh_paths: meshes.iter().map(|(path, _)| path.clone()).collect(),
    };
    match client().request(request, files, |_| {}).await {
        Response::Robot { robot, meshes, skipped_meshes, .. } => {
            let tree = KinematicTree::new(&robot).map_err(|e| e.to_string())?;
            let meshes = meshes.into_iter().map(|m| (m.filename, Arc::from(m.positions))).collect();
            Ok(LoadedRobot { name: robot.name.clone(), tree, meshes, skipped_meshes })
        }
        Response::Failed { message, .. } => Err(message),
        other => Err(format!("unexpected answer from the reader: {other:?}")),
    }
}

/// The robot view's scene: end-effector paths of the episode and its overlays by forward
/// kinematics, and the links at the cursor.
fn robot_scene_of(
    model: &LoadedRobot,
    map: &JointMapping,
    episodes: &[&EpisodeFrames],
    main_rows: &RowMajorEpisode,
    explorer: Explorer,
) -> Result<Scene, String> {
    let mut paths = Vec::with_capacity(episodes.len());
    for (i, frames) in episodes.iter().enumerate() {
        let owned;
        let rows = if i == 0 {
            main_rows
        } else {
            owned = RowMajorEpisode::new(frames);
            &owned
        };
        let mut path = end_effector_path(&model.tree, map, rows, frames).map_err(|e| e.to_string())?;
        path.highlight = i == 0;
        paths.push(path);
    }
    let cursor = explorer.cursor.get_untracked();
    // The main episode's own times: a recording's pose stream ticks at its own rate.
    let times = episodes.first().map(|f| f.timestamps_secs.as_slice()).unwrap_or_default();
    let frame = frame_at(times, cursor.unwrap_or(explorer.bounds.get_untracked().from_secs));
    let primitives = robot_primitives(&model.tree, map, main_rows, frame, &model.meshes).map_err(|e| e.to_string())?;
    Ok(robot_scene(paths, primitives, cursor))
}

/// The files of a file input, with their relative paths (folder picks) or names.
fn input_files(input: &web_sys::HtmlInputElement) -> Vec<(String, web_sys::File)> {
    let Some(list) = input.files() else { return Vec::new() };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .map(|file| {
            let relative = js_sys::Reflect::get(&file, &"webkitRelativePath".into())
                .ok()
                .and_then(|v| v.as_string())
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| file.name());
            (relative, file)
        })
        .collect()
}

#[component]
pub fn TrajectoryPanel(
    frames: Arc<EpisodeFrames>,
    explorer: Explorer,
    /// A recording's stream: no other episodes to overlay (they are read per dataset episode).
    #[prop(optional)]
    without_overlays: bool,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = use_lang();
    let episode = frames.episode_index;
    let features: Vec<FeatureDims> = frames.series.iter().map(FeatureDims::from_series).collect();
    let default_choice = default_axes(&features);
    let time_axis = EpisodeText::TimeAxis.str(lang.get_untracked()).to_string();
    let options: Vec<(String, String)> = std::iter::once(("time".to_string(), time_axis))
        .chain(frames.series.iter().flat_map(|s| {
            (0..s.dimensions.len()).map(move |i| {
                let dim = DimRef::Dim { feature: s.feature.clone(), index: i };
                (dim_id(&dim), format!("{} · {}", s.feature, s.labels.get(i).cloned().unwrap_or_else(|| i.to_string())))
            })
        }))
        .collect();
    let choice = RwSignal::new(default_choice.clone());
    let drawn_primitives = RwSignal::new(0usize);
    let overlay_text = RwSignal::new(String::new());
    let overlays = RwSignal::new(Vec::<Arc<EpisodeFrames>>::new());
    let error = RwSignal::new(None::<String>);
    let gl_ref = NodeRef::<Canvas>::new();
    let labels_ref = NodeRef::<Canvas>::new();
    let viewer = StoredValue::new_local(None::<Viewer3d>);
    on_cleanup(move || viewer.set_value(None));
    // The robot model (URDF), its joint mapping, and whether the view shows its end effector.
    let robot = RwSignal::new_local(None::<Arc<LoadedRobot>>);
    let mapping = RwSignal::new(None::<JointMapping>);
    let robot_mode = RwSignal::new(false);
    let robot_error = RwSignal::new(None::<String>);
    let picked_meshes = StoredValue::new_local(Vec::<(String, web_sys::File)>::new());
    let picked_urdf = StoredValue::new_local(None::<web_sys::File>);
    let rows = Arc::new(RowMajorEpisode::new(&frames));
    let names = StoredValue::new(dimension_names(&frames));
    let unit_rows_value = StoredValue::new(rows.clone());
    let reload_robot = move || {
        let Some(urdf) = picked_urdf.get_value() else { return };
        let meshes = picked_meshes.get_value();
        let names = names.get_value();
        let unit_rows = unit_rows_value.get_value();
        robot_error.set(None);
        leptos::task::spawn_local(async move {
            match load_robot(urdf, meshes).await {
                Ok(loaded) => {
                    let mut matched = match_joints(&loaded.tree, &names);
                    matched.angle_unit = guess_angle_unit(&loaded.tree, &matched, &unit_rows.columns());
                    let _ = mapping.try_set(Some(matched));
                    let _ = robot.try_set(Some(Arc::new(loaded)));
                    let _ = robot_mode.try_set(true);
                }
                Err(message) => {
                    let _ = robot_error.try_set(Some(message));
                }
            }
        });
    };

    // Create the viewer once both canvases exist; then (re)build the scene when the axes or the
    // overlays change, keeping the camera unless the axes changed.
    let scene_frames = frames.clone();
    let scene_rows = rows.clone();
    let last_choice = StoredValue::new_local(None::<AxisChoice>);
    // The WebGL context, shaders and first draw wait until the plots have been painted: in
    // software WebGL (SwiftShader) they hold the page for ~100 ms, and the plots come first.
    let gl_allowed = RwSignal::new(false);
    request_animation_frame(move || {
        request_animation_frame(move || {
            let _ = gl_allowed.try_set(true);
        })
    });
    Effect::new(move || {
        if !gl_allowed.get() {
            return;
        }
        let Some(choice) = choice.get() else {
            error.set(Some(EpisodeText::NoDimensionsFor3d.str(lang.get_untracked()).to_string()));
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
        let robot_scene = match (robot_mode.get(), robot.get(), mapping.get()) {
            (true, Some(model), Some(map)) => Some(robot_scene_of(&model, &map, &all, &scene_rows, explorer)),
            _ => None,
        };
        let scene = match robot_scene {
            Some(scene) => scene,
            None => Scene::from_episodes(&all, &choice, Some(episode)).map_err(|e| e.to_string()),
        };
        let robot_view = robot_mode.get_untracked() && robot.with_untracked(Option::is_some);
        let choice =
            if robot_view { AxisChoice { dims: [DimRef::Time, DimRef::Time, DimRef::Time], ..choice } } else { choice };
        match scene {
            Ok(scene) => {
                let same_axes = last_choice.with_value(|c| c.as_ref() == Some(&choice));
                let primitives = scene.primitives.len();
                let result = viewer.with_value(|v| {
                    v.as_ref().map(|v| if same_axes { v.set_scene_keep_view(&scene) } else { v.set_scene(&scene) })
                });
                last_choice.set_value(Some(choice));
                match result {
                    Some(Err(e)) => error.set(Some(e.to_string())),
                    _ => error.set(None),
                }
                drawn_primitives.set(primitives);
                viewer.with_value(|v| {
                    if let Some(v) = v {
                        v.set_cursor(explorer.cursor.get_untracked());
                    }
                });
            }
            Err(e) => error.set(Some(e)),
        }
    });
    let pose_rows = rows.clone();
    let pose_frames = frames.clone();
    Effect::new(move || {
        let t = explorer.cursor.get();
        viewer.with_value(|v| {
            if let Some(v) = v {
                v.set_cursor(t);
            }
        });
        // The robot's links follow the cursor (only their poses change).
        if let (true, Some(model), Some(map)) = (robot_mode.get(), robot.get(), mapping.get()) {
            let frame = frame_at(&pose_frames.timestamps_secs, t.unwrap_or(explorer.bounds.get_untracked().from_secs));
            if let Ok(primitives) = robot_primitives(&model.tree, &map, &pose_rows, frame, &model.meshes) {
                let poses: Vec<_> = primitives.iter().map(|p| p.world_from_object).collect();
                viewer.with_value(|v| {
                    if let Some(v) = v {
                        v.set_primitive_poses(&poses);
                    }
                });
            }
        }
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
    let mapping_options = options.clone();
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
                <h2>{t(EpisodeText::Trajectory3d)}</h2>
                <div class="trajectory-controls">
                    {selects}
                    <button class="secondary" data-testid="trajectory-reset"
                        on:click=move |_| viewer.with_value(|v| if let Some(v) = v { v.reset_view() })>{t(EpisodeText::ResetView)}</button>
                </div>
            </div>
            <div class="trajectory-controls" class:hidden=without_overlays>
                <label>{t(EpisodeText::OverlayEpisodes)}
                    <input type="text" class="medium" placeholder=t(EpisodeText::OverlayPlaceholder) data-testid="trajectory-overlay"
                        prop:value=move || overlay_text.get()
                        on:change=move |ev| {
                            let text = event_target_value(&ev);
                            overlay_text.set(text.clone());
                            load_overlays(parse_episode_list(&text, episode));
                        }/>
                </label>
                <button class="secondary" on:click=overlay_neighbours>{t(EpisodeText::OverlayNeighbours)}</button>
                <span class="muted small">{move || {
                    let n = overlays.with(Vec::len);
                    if n == 0 { EpisodeText::TrajectoryHelp.str(lang.get()).to_string() }
                    else { EpisodeSentence::Overlaid { episodes: n as u64 }.text(lang.get()) }
                }}</span>
            </div>
            <div class="trajectory-controls robot-controls">
                <label>{t(RobotText::UrdfLabel)}
                    <input type="file" accept=".urdf,.xml" data-testid="urdf-file" on:change=move |ev| {
                        let input: web_sys::HtmlInputElement = event_target(&ev);
                        picked_urdf.set_value(input.files().and_then(|l| l.item(0)));
                        reload_robot();
                    }/>
                </label>
                <label>{t(RobotText::MeshesLabel)}
                    <input type="file" data-testid="urdf-meshes" prop:webkitdirectory=true multiple=true on:change=move |ev| {
                        let input: web_sys::HtmlInputElement = event_target(&ev);
                        picked_meshes.set_value(input_files(&input));
                        reload_robot();
                    }/>
                </label>
                {move || robot.get().map(|model| view! {
                    <label class="check"><input type="checkbox" data-testid="robot-mode" prop:checked=move || robot_mode.get()
                        on:change=move |ev| robot_mode.set(event_target_checked(&ev))/>
                        {move || RobotSentence::Show { robot: model.name.clone() }.text(lang.get())}</label>
                })}
            </div>
            {move || robot_error.get().map(|message| view! { <p class="error" data-testid="robot-error">{message}</p> })}
            {move || robot.get().zip(mapping.get()).map(|(model, map)| mapping_table(model, map, mapping, &mapping_options))}
            {move || error.get().map(|message| view! { <p class="media-missing" data-testid="trajectory-3d-unavailable">{message}</p> })}
            <div class="view3d" class:hidden=move || error.with(Option::is_some) && viewer.with_value(Option::is_none)>
                <canvas node_ref=gl_ref data-testid="trajectory-3d" data-episode=episode.to_string()
                    data-robot=move || if robot_mode.get() && robot.with(Option::is_some) { "shown" } else { "none" }
                    data-primitives=move || drawn_primitives.get().to_string()
                    data-overlays=move || overlays.with(Vec::len).to_string()
                    aria-label=t(EpisodeText::Trajectory3dLabel)></canvas>
                <canvas node_ref=labels_ref class="view3d-labels"></canvas>
            </div>
        </section>
    }
}

/// The joint ↔ dimension table: every driven joint with the dimension that drives it (chosen
/// automatically by name; any can be changed here), and the angle unit.
fn mapping_table(
    model: Arc<LoadedRobot>,
    map: JointMapping,
    mapping: RwSignal<Option<JointMapping>>,
    options: &[(String, String)],
) -> impl IntoView {
    let lang = use_lang();
    let joints: Vec<String> =
        model.tree.driven_joints().filter_map(|j| model.tree.joint_name(j)).map(String::from).collect();
    let matched = map.joints.len();
    let total = joints.len();
    let rows = joints
        .into_iter()
        .map(|joint| {
            let source = map.joints.iter().find(|s| s.joint == joint).cloned();
            let selected = source.as_ref().map(|s| dim_id(&DimRef::Dim { feature: s.feature.clone(), index: s.dimension }));
            let how = source.as_ref().map(|s| format!("{:?}", s.matched_by).to_lowercase()).unwrap_or_else(|| "—".into());
            let joint_for_change = joint.clone();
            let joint_label = joint.clone();
            let on_change = move |ev: web_sys::Event| {
                let id = event_target_value(&ev);
                let joint = joint_for_change.clone();
                mapping.update(|m| {
                    let Some(m) = m else { return };
                    m.joints.retain(|s| s.joint != joint);
                    if let DimRef::Dim { feature, index } = dim_from_id(&id) {
                        m.joints.push(JointSource {
                            joint: joint.clone(),
                            feature,
                            dimension: index,
                            dimension_name: String::new(),
                            matched_by: MatchKind::Manual,
                        });
                        m.unmatched_joints.retain(|j| *j != joint);
                    } else if !m.unmatched_joints.contains(&joint) {
                        m.unmatched_joints.push(joint.clone());
                    }
                });
            };
            let options = options.iter().filter(|(id, _)| id != "time").cloned().collect::<Vec<_>>();
            view! {
                <tr data-testid="joint-mapping-row" data-joint=joint.clone() data-dimension=selected.clone().unwrap_or_default()>
                    <td><code>{joint.clone()}</code></td>
                    <td>
                        <select on:change=on_change aria-label=move || RobotSentence::DimensionDriving { joint: joint_label.clone() }.text(lang.get())>
                            <option value="none" selected=selected.is_none()>{t(RobotText::NotDriven)}</option>
                            {options.into_iter().map(|(id, label)| {
                                let is = selected.as_deref() == Some(id.as_str());
                                view! { <option value=id selected=is>{label}</option> }
                            }).collect_view()}
                        </select>
                    </td>
                    <td class="muted">{how}</td>
                </tr>
            }
        })
        .collect_view();
    let unit = map.angle_unit;
    let guessed = map.guessed_in_order;
    let skipped = model.skipped_meshes.len();
    view! {
        <details class="joint-mapping" open=map.guessed_in_order || matched < total>
            <summary data-testid="joint-mapping-summary">{move || {
                let lang = lang.get();
                let mut text = RobotSentence::JointsMatched { matched: matched as u64, total: total as u64 }.text(lang);
                if guessed {
                    text.push_str(RobotText::InOrderGuess.str(lang));
                }
                if skipped > 0 {
                    text.push_str(&RobotSentence::MeshesNotDrawn { count: skipped as u64 }.text(lang));
                }
                text
            }}</summary>
            <label>{t(RobotText::AnglesIn)}
                <select data-testid="joint-unit" data-unit=if unit == AngleUnit::Degrees { "degrees" } else { "radians" } on:change=move |ev| {
                    let unit = if event_target_value(&ev) == "degrees" { AngleUnit::Degrees } else { AngleUnit::Radians };
                    mapping.update(|m| if let Some(m) = m { m.angle_unit = unit });
                }>
                    <option value="radians" selected=unit == AngleUnit::Radians>{t(RobotText::Radians)}</option>
                    <option value="degrees" selected=unit == AngleUnit::Degrees>{t(RobotText::Degrees)}</option>
                </select>
            </label>
            <table class="table">
                <thead><tr><th>{t(RobotText::Joint)}</th><th>{t(RobotText::DrivenBy)}</th><th>{t(RobotText::Matched)}</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            {(!model.skipped_meshes.is_empty()).then(|| view! {
                <ul class="muted small">{model.skipped_meshes.iter().map(|m| view! { <li>{m.clone()}</li> }).collect_view()}</ul>
            })}
        </details>
    }
}
