//! Between the 3-D scene and the screen: projecting data points to CSS pixels, placing the axis and
//! tick labels (WebGL draws no text; the viewer paints these on a 2-D overlay canvas), and picking
//! the trajectory point nearest to a click.

use crate::charts::plot::tick_label;

use super::camera::OrbitCamera;
use super::colormap::{self, Rgba};
use super::math::{mul, transform_homogeneous, Mat4};
use super::scene::{Scene, SceneGeometry};

/// Label text height and an estimate of a character's width, CSS pixels (12 px system font).
pub const LABEL_HEIGHT_PX: f32 = 14.0;
const LABEL_CHAR_WIDTH_PX: f32 = 6.6;

/// `clip_from_view · view_from_world · world_from_data` for a viewport of `viewport_px` (width,
/// height) CSS pixels.
pub fn clip_from_data(camera: &OrbitCamera, geometry: &SceneGeometry, viewport_px: [f32; 2]) -> Mat4 {
    let aspect = if viewport_px[1] > 0.0 { viewport_px[0] / viewport_px[1] } else { 1.0 };
    let clip_from_world = mul(&camera.clip_from_view(aspect), &camera.view_from_world());
    mul(&clip_from_world, &geometry.world_from_data)
}

/// Where a data-space point lands, CSS pixels from the canvas's top left; `None` when it is behind
/// the camera (or not finite). Points off the sides still get coordinates.
pub fn project_to_screen(clip_from_data: &Mat4, p: [f32; 3], viewport_px: [f32; 2]) -> Option<[f32; 2]> {
    let clip = transform_homogeneous(clip_from_data, p);
    if clip[3].is_nan() || clip[3] <= 1e-6 {
        return None;
    }
    let x = (clip[0] / clip[3] + 1.0) * 0.5 * viewport_px[0];
    let y = (1.0 - clip[1] / clip[3]) * 0.5 * viewport_px[1];
    (x.is_finite() && y.is_finite()).then_some([x, y])
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelKind {
    Tick,
    AxisName,
}

/// A text to draw centred on `(x_px, y_px)` (CSS pixels).
#[derive(Debug, Clone, PartialEq)]
pub struct ScreenLabel {
    pub text: String,
    pub x_px: f32,
    pub y_px: f32,
    pub color: Rgba,
    pub kind: LabelKind,
    /// 0, 1, 2 for x, y, z.
    pub axis: usize,
}

impl ScreenLabel {
    /// Estimated width in CSS pixels.
    pub fn width_px(&self) -> f32 {
        self.text.chars().count() as f32 * LABEL_CHAR_WIDTH_PX + 4.0
    }

    fn overlaps(&self, other: &ScreenLabel) -> bool {
        (self.x_px - other.x_px).abs() * 2.0 < self.width_px() + other.width_px()
            && (self.y_px - other.y_px).abs() < LABEL_HEIGHT_PX
    }
}

/// The tick values and axis names of the scene, placed on screen: beside each axis, outside the
/// grid. Axis names come first; labels off the viewport, behind the camera or overlapping an
/// earlier one are left out.
pub fn axis_screen_labels(
    scene: &Scene,
    geometry: &SceneGeometry,
    clip_from_data: &Mat4,
    viewport_px: [f32; 2],
) -> Vec<ScreenLabel> {
    let ticks = &geometry.ticks;
    let (x_lo, x_hi) = (ticks[0].lo(), ticks[0].hi());
    let (y_lo, y_hi) = (ticks[1].lo(), ticks[1].hi());
    let z_lo = ticks[2].lo().min(geometry.data_bounds.min[2]);
    let z_hi = ticks[2].hi();
    // Offsets are a share of the longest axis as shown (world space), converted back to each
    // axis's data units, so short axes get readable gaps too.
    let world_spans = [x_hi - x_lo, y_hi - y_lo, z_hi - z_lo]
        .iter()
        .enumerate()
        .map(|(axis, span)| span * geometry.world_from_data[axis][axis])
        .fold(0.0f32, f32::max);
    let pad = |axis: usize, share: f32| {
        let scale = geometry.world_from_data[axis][axis];
        if scale > 0.0 {
            share * world_spans / scale
        } else {
            0.0
        }
    };
    let mut candidates = Vec::new();
    let names = ["X", "Y", "Z"];
    let name_positions = [
        [x_hi + pad(0, 0.1), y_lo - pad(1, 0.05), z_lo],
        [x_lo - pad(0, 0.05), y_hi + pad(1, 0.1), z_lo],
        [x_lo, y_lo, z_hi + pad(2, 0.08)],
    ];
    for axis in 0..3 {
        let mut text = names[axis].to_string();
        if !scene.axis_labels[axis].is_empty() {
            text = format!("{text} · {}", scene.axis_labels[axis]);
        }
        if !scene.axis_units[axis].is_empty() {
            text = format!("{text} ({})", scene.axis_units[axis]);
        }
        candidates.push((axis, name_positions[axis], text, colormap::AXES[axis], LabelKind::AxisName));
    }
    let tick_color = [0.33, 0.33, 0.33, 1.0];
    for &x in &ticks[0].values {
        candidates.push((0, [x as f32, y_lo - pad(1, 0.05), z_lo], tick_label(x), tick_color, LabelKind::Tick));
    }
    for &y in &ticks[1].values {
        candidates.push((1, [x_lo - pad(0, 0.05), y as f32, z_lo], tick_label(y), tick_color, LabelKind::Tick));
    }
    for &z in &ticks[2].values {
        candidates.push((2, [x_lo - pad(0, 0.06), y_lo, z as f32], tick_label(z), tick_color, LabelKind::Tick));
    }

    let mut kept: Vec<ScreenLabel> = Vec::new();
    for (axis, position, text, color, kind) in candidates {
        let Some([x_px, y_px]) = project_to_screen(clip_from_data, position, viewport_px) else {
            continue;
        };
        let label = ScreenLabel { text, x_px, y_px, color, kind, axis };
        let half_width = label.width_px() * 0.5;
        let inside = x_px - half_width >= 0.0
            && x_px + half_width <= viewport_px[0]
            && y_px - LABEL_HEIGHT_PX * 0.5 >= 0.0
            && y_px + LABEL_HEIGHT_PX * 0.5 <= viewport_px[1];
        if inside && !kept.iter().any(|k| k.overlaps(&label)) {
            kept.push(label);
        }
    }
    kept
}

/// A trajectory point found under the pointer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PickHit {
    /// Index into `Scene::trajectories`.
    pub trajectory: usize,
    /// Index of the point.
    pub point: usize,
    pub time_secs: f32,
    /// Distance from the pointer, CSS pixels.
    pub distance_px: f32,
}

/// The trajectory point nearest to `(x_px, y_px)` on screen within `max_distance_px`; highlighted
/// trajectories win ties. One pass over every point (a click, not every frame).
pub fn pick_point(
    scene: &Scene,
    clip_from_data: &Mat4,
    viewport_px: [f32; 2],
    x_px: f32,
    y_px: f32,
    max_distance_px: f32,
) -> Option<PickHit> {
    let mut best: Option<(PickHit, bool)> = None;
    for (trajectory_index, trajectory) in scene.trajectories.iter().enumerate() {
        for (point, (&p, &time_secs)) in trajectory.points.iter().zip(&trajectory.times_secs).enumerate() {
            let Some([sx, sy]) = project_to_screen(clip_from_data, p, viewport_px) else {
                continue;
            };
            let distance_px = (sx - x_px).hypot(sy - y_px);
            if distance_px.is_nan() || distance_px > max_distance_px {
                continue;
            }
            let better = match &best {
                None => true,
                Some((hit, highlighted)) => {
                    distance_px < hit.distance_px - 0.5
                        || (distance_px <= hit.distance_px + 0.5 && trajectory.highlight && !highlighted)
                }
            };
            if better {
                let hit = PickHit { trajectory: trajectory_index, point, time_secs, distance_px };
                best = Some((hit, trajectory.highlight));
            }
        }
    }
    best.map(|(hit, _)| hit)
}

#[cfg(test)]
mod tests {
    use super::super::scene::Trajectory;
    use super::*;

    fn scene() -> Scene {
        let points: Vec<[f32; 3]> =
            (0..=100).map(|i| i as f32 / 100.0).map(|f| [f, 0.5 + 0.3 * (f * 6.0).sin(), 0.25 + 0.4 * f]).collect();
        let times_secs = (0..=100).map(|i| i as f32 * 0.1).collect();
        Scene {
            trajectories: vec![Trajectory { points, times_secs, label: "a".into(), highlight: true }],
            axis_labels: ["ee x".into(), "ee y".into(), "ee z".into()],
            axis_units: ["m".into(), "m".into(), "m".into()],
            ..Default::default()
        }
    }

    fn framed(scene: &Scene, viewport: [f32; 2]) -> (SceneGeometry, Mat4) {
        let geometry = SceneGeometry::build(scene);
        let mut camera = OrbitCamera::new();
        camera.fit(&geometry.world_bounds());
        let clip_from_data = clip_from_data(&camera, &geometry, viewport);
        (geometry, clip_from_data)
    }

    #[test]
    fn labels_name_the_axes_with_units_and_do_not_overlap() {
        let scene = scene();
        let viewport = [800.0, 500.0];
        let (geometry, clip_from_data) = framed(&scene, viewport);
        let labels = axis_screen_labels(&scene, &geometry, &clip_from_data, viewport);
        let names: Vec<&str> =
            labels.iter().filter(|l| l.kind == LabelKind::AxisName).map(|l| l.text.as_str()).collect();
        assert_eq!(names, ["X · ee x (m)", "Y · ee y (m)", "Z · ee z (m)"]);
        assert!(labels.iter().filter(|l| l.kind == LabelKind::Tick).count() >= 4);
        for axis in 0..3 {
            assert!(labels.iter().any(|l| l.kind == LabelKind::Tick && l.axis == axis), "{labels:#?}");
        }
        assert!(labels.iter().any(|l| l.text == "0.4" && l.axis == 0));
        for (i, a) in labels.iter().enumerate() {
            assert!(a.x_px >= 0.0 && a.x_px <= viewport[0] && a.y_px >= 0.0 && a.y_px <= viewport[1]);
            for b in &labels[i + 1..] {
                assert!(!a.overlaps(b), "{a:?} overlaps {b:?}");
            }
        }
        // A tiny viewport keeps fewer labels, never overlapping ones.
        let small = axis_screen_labels(&scene, &geometry, &clip_from_data, [120.0, 80.0]);
        assert!(small.len() < labels.len());
    }

    #[test]
    fn points_behind_the_camera_do_not_project() {
        let scene = scene();
        let (_, clip_from_data) = framed(&scene, [400.0, 400.0]);
        let mut camera = OrbitCamera::new();
        camera.fit(&SceneGeometry::build(&scene).world_bounds());
        let eye = camera.eye();
        let behind = [eye[0] + (eye[0] - camera.target[0]), eye[1] + (eye[1] - camera.target[1]), eye[2] + 1.0];
        assert_eq!(project_to_screen(&clip_from_data, behind, [400.0, 400.0]), None);
        assert_eq!(project_to_screen(&clip_from_data, [f32::NAN, 0.0, 0.0], [400.0, 400.0]), None);
    }

    #[test]
    fn a_click_on_the_path_picks_the_time_of_the_nearest_point() {
        let scene = scene();
        let viewport = [640.0, 480.0];
        let (_, clip_from_data) = framed(&scene, viewport);
        let target = scene.trajectories[0].points[70];
        let [x, y] = project_to_screen(&clip_from_data, target, viewport).unwrap();
        let hit = pick_point(&scene, &clip_from_data, viewport, x + 1.0, y, 8.0).unwrap();
        assert_eq!(hit.trajectory, 0);
        assert!((hit.time_secs - 7.0).abs() <= 0.11, "{hit:?}");
        assert!(pick_point(&scene, &clip_from_data, viewport, 2.0, 2.0, 8.0).is_none());
    }
}
