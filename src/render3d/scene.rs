//! What the 3-D view shows (trajectories, robot link primitives, axes) and the vertex data built
//! from it: plain data, independent of WebGL, tested natively.
//!
//! Coordinates: trajectory points, primitives and grid are in *data* space (the dataset's values,
//! e.g. metres in the robot base frame). `world_from_data` is a diagonal scale that the view
//! applies on top (identity for [`AxisScaling::Equal`]), and the camera works in world space.

use std::sync::Arc;

use episcope_core::lerobot::EpisodeFrames;

use super::axes::{
    axis_label, axis_unit, covering_ticks, nice_step, ticks_with_step, AxisChoice, AxisScaling, DimRef, FeatureDims,
};
use super::colormap::{self, overlay_shade, viridis, Rgba};
use super::math::{is_finite3, scaling, transform_point, Bounds3, Mat4};

/// Floats per trajectory vertex: x, y, z, r, g, b, a (a = 0 marks a gap: a non-finite point).
pub const RIBBON_FLOATS: usize = 7;
/// Floats per grid line vertex: x, y, z, r, g, b, a.
pub const LINE_FLOATS: usize = 7;
/// Floats per marker instance: x, y, z, r, g, b, a, diameter in CSS pixels (a = 0 hides it).
pub const MARKER_FLOATS: usize = 8;
/// Markers per trajectory: start, end, cursor (in this order).
pub const MARKERS_PER_TRAJECTORY: usize = 3;
/// Floats per mesh vertex: position x, y, z and normal x, y, z (object space).
pub const MESH_FLOATS: usize = 6;
/// Segments around a cylinder; rings × segments of a sphere.
const ROUND_SEGMENTS: usize = 24;
const SPHERE_RINGS: usize = 12;
/// Mesh triangles drawn per primitive at most (a bound on what a URDF mesh can make us upload).
pub const MAX_MESH_TRIANGLES: usize = 500_000;
/// Grid intervals aimed for along the longest axis.
const GRID_TARGET_INTERVALS: usize = 8;

/// A path through the three chosen dimensions over one episode.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Trajectory {
    /// Data-space points; non-finite ones leave a gap.
    pub points: Vec<[f32; 3]>,
    /// One per point, seconds from the episode start.
    pub times_secs: Vec<f32>,
    /// Shown in the legend / overlay list, e.g. `episode 3`.
    pub label: String,
    /// Coloured by time with viridis; other trajectories get a hue each, dark to light over time.
    pub highlight: bool,
}

/// A shape of a robot link.
#[derive(Debug, Clone, PartialEq)]
pub enum PrimitiveKind {
    /// Centred on the origin, edge lengths along x, y, z.
    Box {
        size: [f32; 3],
    },
    /// Centred on the origin, along z (as URDF cylinders).
    Cylinder {
        radius: f32,
        length: f32,
    },
    Sphere {
        radius: f32,
    },
    /// A triangle list: x, y, z per vertex, three vertices per triangle (a trailing partial
    /// triangle is ignored).
    Mesh {
        positions: Arc<[f32]>,
    },
}

/// A robot link drawn at the cursor time.
#[derive(Debug, Clone, PartialEq)]
pub struct Primitive {
    pub kind: PrimitiveKind,
    /// Object → data space (rigid: rotation and translation; normals use its 3×3 part).
    pub world_from_object: Mat4,
    pub color: Rgba,
}

/// Everything the 3-D view draws.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scene {
    pub trajectories: Vec<Trajectory>,
    pub cursor_time_secs: Option<f32>,
    pub primitives: Vec<Primitive>,
    /// Axis names shown at the end of each axis (e.g. `observation.ee_pose[0,3]`).
    pub axis_labels: [String; 3],
    /// Unit per axis (`m`, `s`, or empty when unknown).
    pub axis_units: [String; 3],
    pub scaling: AxisScaling,
}

/// Why a trajectory could not be taken from an episode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrajectoryError {
    #[error("episode {episode} has no feature `{feature}`")]
    MissingFeature { episode: u64, feature: String },
    #[error("feature `{feature}` of episode {episode} has {dims} dimensions, no dimension {index}")]
    MissingDimension { episode: u64, feature: String, index: usize, dims: usize },
}

impl Scene {
    /// One trajectory per episode, labelled `episode N`, the one of `highlighted_episode`
    /// highlighted (the first when `None`), with axis names and units from the first episode's
    /// features and the choice's scaling. Primitives and the cursor start empty.
    pub fn from_episodes(
        episodes: &[&EpisodeFrames],
        choice: &AxisChoice,
        highlighted_episode: Option<u64>,
    ) -> Result<Scene, TrajectoryError> {
        let highlighted = highlighted_episode.or_else(|| episodes.first().map(|e| e.episode_index));
        let trajectories = episodes
            .iter()
            .map(|frames| {
                let label = format!("episode {}", frames.episode_index);
                Trajectory::from_episode(frames, &choice.dims, label, Some(frames.episode_index) == highlighted)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let features: Vec<FeatureDims<'_>> =
            episodes.first().map(|e| e.series.iter().map(FeatureDims::from_series).collect()).unwrap_or_default();
        let axis_labels = std::array::from_fn(|axis| axis_label(&choice.dims[axis], &features));
        let axis_units = std::array::from_fn(|axis| axis_unit(&choice.dims[axis], &axis_labels[axis]));
        Ok(Scene {
            trajectories,
            cursor_time_secs: None,
            primitives: Vec::new(),
            axis_labels,
            axis_units,
            scaling: choice.scaling,
        })
    }
}

impl Trajectory {
    /// The path of `dims` through an episode read by the worker; `label` names it.
    pub fn from_episode(
        frames: &EpisodeFrames,
        dims: &[DimRef; 3],
        label: impl Into<String>,
        highlight: bool,
    ) -> Result<Trajectory, TrajectoryError> {
        let times = &frames.timestamps_secs;
        let mut columns: Vec<&[f64]> = Vec::with_capacity(3);
        for dim in dims {
            columns.push(match dim {
                DimRef::Time => times,
                DimRef::Dim { feature, index } => {
                    let series = frames.series.iter().find(|s| &s.feature == feature).ok_or_else(|| {
                        TrajectoryError::MissingFeature { episode: frames.episode_index, feature: feature.clone() }
                    })?;
                    series.dimensions.get(*index).ok_or_else(|| TrajectoryError::MissingDimension {
                        episode: frames.episode_index,
                        feature: feature.clone(),
                        index: *index,
                        dims: series.dimensions.len(),
                    })?
                }
            });
        }
        let count = columns.iter().map(|c| c.len()).min().unwrap_or(0).min(times.len());
        let points = (0..count).map(|i| [columns[0][i] as f32, columns[1][i] as f32, columns[2][i] as f32]).collect();
        let times_secs = times[..count].iter().map(|&t| t as f32).collect();
        Ok(Trajectory { points, times_secs, label: label.into(), highlight })
    }

    /// Data-space box of the finite points.
    pub fn bounds(&self) -> Bounds3 {
        let mut bounds = Bounds3::empty();
        for &p in &self.points {
            bounds.include(p);
        }
        bounds
    }

    /// The interpolated point at `time_secs`, `None` outside the trajectory's time span (or when
    /// both neighbours are non-finite). Times are expected ascending; others give a nearby point,
    /// never a panic.
    pub fn position_at(&self, time_secs: f32) -> Option<[f32; 3]> {
        let count = self.points.len().min(self.times_secs.len());
        let (times, points) = (&self.times_secs[..count], &self.points[..count]);
        let (first, last) = (*times.first()?, *times.last()?);
        if !time_secs.is_finite() || time_secs < first || time_secs > last {
            return None;
        }
        let after = times.partition_point(|&t| t < time_secs).min(count - 1);
        let before = after.saturating_sub(1);
        let (a, b) = (points[before], points[after]);
        let (ta, tb) = (times[before], times[after]);
        match (is_finite3(a), is_finite3(b)) {
            (true, true) => {
                let span = tb - ta;
                let weight = if span > 0.0 { ((time_secs - ta) / span).clamp(0.0, 1.0) } else { 1.0 };
                Some([a[0] + (b[0] - a[0]) * weight, a[1] + (b[1] - a[1]) * weight, a[2] + (b[2] - a[2]) * weight])
            }
            (true, false) => Some(a),
            (false, true) => Some(b),
            (false, false) => None,
        }
    }

    /// 0 at the first finite time, 1 at the last, for each point (by index when times are unusable).
    pub fn time_fractions(&self) -> Vec<f32> {
        let finite = || self.times_secs.iter().copied().filter(|t| t.is_finite());
        let first = finite().fold(f32::INFINITY, f32::min);
        let last = finite().fold(f32::NEG_INFINITY, f32::max);
        let count = self.points.len();
        let by_index = |i: usize| if count > 1 { i as f32 / (count - 1) as f32 } else { 0.0 };
        (0..count)
            .map(|i| match self.times_secs.get(i) {
                Some(&t) if t.is_finite() && last > first => (t - first) / (last - first),
                _ => by_index(i),
            })
            .collect()
    }
}

/// The part of viridis used for time: its last tenth (light yellow) is too faint on white.
pub const TIME_COLORMAP_END: f32 = 0.9;

/// The colour of each point: viridis over time (up to [`TIME_COLORMAP_END`]) when highlighted,
/// else the overlay hue `overlay_index` picks (dark → light over time).
pub fn trajectory_colors(trajectory: &Trajectory, overlay_index: usize) -> Vec<Rgba> {
    let hue = colormap::OVERLAY_HUES[overlay_index % colormap::OVERLAY_HUES.len()];
    trajectory
        .time_fractions()
        .into_iter()
        .map(|f| if trajectory.highlight { viridis(f * TIME_COLORMAP_END) } else { overlay_shade(hue, f) })
        .collect()
}

/// Ribbon vertex data ([`RIBBON_FLOATS`] per point): non-finite points become gaps (alpha 0, at
/// the origin so no NaN reaches the GPU). Segment `i` joins points `i` and `i + 1`.
pub fn ribbon_vertices(points: &[[f32; 3]], colors: &[Rgba]) -> Vec<f32> {
    let mut out = Vec::with_capacity(points.len() * RIBBON_FLOATS);
    for (i, &p) in points.iter().enumerate() {
        let color = colors.get(i).copied().unwrap_or(colormap::AXES[0]);
        if is_finite3(p) {
            out.extend_from_slice(&[p[0], p[1], p[2], color[0], color[1], color[2], 1.0]);
        } else {
            out.extend_from_slice(&[0.0, 0.0, 0.0, color[0], color[1], color[2], 0.0]);
        }
    }
    out
}

/// At most this many points of one trajectory are drawn. A 100 000-frame episode drawn whole took
/// 5.8 s per frame in SwiftShader (the software WebGL of machines without a GPU, and of headless
/// Chromium); a path on screen cannot show more points than its canvas has pixels anyway.
pub const MAX_DRAWN_POINTS: usize = 16 * 1024;
/// A point closer than this fraction of the data's extent (per axis) to the last drawn point is
/// not drawn (well under a pixel on any canvas the view makes).
const DRAWN_POINT_SPACING: f32 = 1.0 / 4000.0;

/// Which points of a path to draw, in order: every point when there are at most `max`; else the
/// first and last, every non-finite point (a gap) and its neighbours, and the points at least
/// [`DRAWN_POINT_SPACING`] of `extent` away from the previous one kept; if that is still more than
/// `max`, every k-th of those (ends and gaps kept).
pub fn drawn_point_indices(points: &[[f32; 3]], extent: &[f32; 3], max: usize) -> Vec<usize> {
    let count = points.len();
    if count <= max {
        return (0..count).collect();
    }
    let scale: [f32; 3] =
        std::array::from_fn(|axis| if extent[axis] > 0.0 { 1.0 / (extent[axis] * DRAWN_POINT_SPACING) } else { 0.0 });
    let must_keep = |i: usize| {
        i == 0 || i + 1 == count || !is_finite3(points[i]) || !is_finite3(points[i - 1]) || !is_finite3(points[i + 1])
    };
    let mut kept = Vec::new();
    let mut last = points[0];
    for (i, &p) in points.iter().enumerate() {
        let far = (0..3).map(|axis| ((p[axis] - last[axis]) * scale[axis]).powi(2)).sum::<f32>() >= 1.0;
        if must_keep(i) || far {
            kept.push(i);
            if is_finite3(p) {
                last = p;
            }
        }
    }
    if kept.len() <= max {
        return kept;
    }
    let stride = kept.len().div_ceil(max.max(2) / 2);
    kept.iter().enumerate().filter(|&(n, &i)| n % stride == 0 || must_keep(i)).map(|(_, &i)| i).collect()
}

/// Ticks of one axis: data values, and the range the grid covers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AxisTicks {
    pub values: Vec<f64>,
}

impl AxisTicks {
    pub fn lo(&self) -> f32 {
        self.values.first().copied().unwrap_or(0.0) as f32
    }

    pub fn hi(&self) -> f32 {
        self.values.last().copied().unwrap_or(1.0) as f32
    }
}

/// The vertex data of a scene, ready to upload.
#[derive(Debug, Clone, PartialEq)]
pub struct SceneGeometry {
    /// Box of trajectories and primitives in data space, flat axes padded.
    pub data_bounds: Bounds3,
    /// Scale from data to world (display) space.
    pub world_from_data: Mat4,
    /// One [`ribbon_vertices`] array per trajectory.
    pub trajectories: Vec<Vec<f32>>,
    /// Grid on the xy plane at the bottom of the data, [`LINE_FLOATS`] per vertex, pairs of vertices.
    pub grid_lines: Vec<f32>,
    /// Axes X, Y, Z from the grid's corner, and tick marks on Z: ribbon vertices with gaps.
    pub axes: Vec<f32>,
    pub ticks: [AxisTicks; 3],
    /// One [`primitive_mesh`] per primitive.
    pub primitive_meshes: Vec<Vec<f32>>,
}

impl SceneGeometry {
    pub fn build(scene: &Scene) -> SceneGeometry {
        let mut data_bounds = Bounds3::empty();
        for trajectory in &scene.trajectories {
            data_bounds.union(&trajectory.bounds());
        }
        let primitive_meshes: Vec<Vec<f32>> = scene.primitives.iter().map(|p| primitive_mesh(&p.kind)).collect();
        for (primitive, mesh) in scene.primitives.iter().zip(&primitive_meshes) {
            data_bounds.union(&mesh_bounds(mesh).transformed(&primitive.world_from_object));
        }
        let data_bounds = padded_bounds(data_bounds);
        let extent = data_bounds.extent();
        let longest = extent.iter().copied().fold(0.0f32, f32::max);

        let (world_from_data, ticks) = match scene.scaling {
            AxisScaling::Equal => {
                let step = nice_step(longest as f64, GRID_TARGET_INTERVALS).unwrap_or(1.0);
                let ticks = std::array::from_fn(|axis| AxisTicks {
                    values: ticks_with_step(
                        data_bounds.min[axis] as f64,
                        data_bounds.max[axis] as f64,
                        step,
                        8 * GRID_TARGET_INTERVALS,
                    ),
                });
                (scaling([1.0; 3]), ticks)
            }
            AxisScaling::Independent => {
                let factors = std::array::from_fn(|axis| longest / extent[axis]);
                let ticks = std::array::from_fn(|axis| AxisTicks {
                    values: covering_ticks(
                        data_bounds.min[axis] as f64,
                        data_bounds.max[axis] as f64,
                        GRID_TARGET_INTERVALS / 2 + 1,
                    ),
                });
                (scaling(factors), ticks)
            }
        };

        let trajectories = scene
            .trajectories
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let colors = trajectory_colors(t, overlay_index(scene, i));
                let kept = drawn_point_indices(&t.points, &extent, MAX_DRAWN_POINTS);
                if kept.len() == t.points.len() {
                    return ribbon_vertices(&t.points, &colors);
                }
                let points: Vec<[f32; 3]> = kept.iter().map(|&k| t.points[k]).collect();
                let colors: Vec<Rgba> = kept.iter().filter_map(|&k| colors.get(k).copied()).collect();
                ribbon_vertices(&points, &colors)
            })
            .collect();
        let grid_lines = grid_lines(&ticks, data_bounds.min[2]);
        let axes = axis_ribbons(&ticks, data_bounds.min[2]);
        SceneGeometry { data_bounds, world_from_data, trajectories, grid_lines, axes, ticks, primitive_meshes }
    }

    /// The box the camera fits, in world space: data, grid and axes.
    pub fn world_bounds(&self) -> Bounds3 {
        let mut bounds = self.data_bounds;
        bounds.include([self.ticks[0].lo(), self.ticks[1].lo(), self.ticks[2].lo()]);
        bounds.include([self.ticks[0].hi(), self.ticks[1].hi(), self.ticks[2].hi()]);
        bounds.transformed(&self.world_from_data)
    }
}

/// The hue index of trajectory `i` among the non-highlighted ones.
fn overlay_index(scene: &Scene, i: usize) -> usize {
    scene.trajectories[..i].iter().filter(|t| !t.highlight).count()
}

/// The view frames at most ±this in data units (beyond, camera and projection overflow f32);
/// points further out are still drawn, off the grid.
const VIEW_LIMIT: f32 = 1.0e15;

/// `bounds` within ±[`VIEW_LIMIT`], every flat (or empty) axis widened, so ticks and scales stay
/// finite.
fn padded_bounds(bounds: Bounds3) -> Bounds3 {
    if bounds.is_empty() {
        return Bounds3 { min: [0.0; 3], max: [1.0; 3] };
    }
    let clamp = |v: [f32; 3]| v.map(|c| c.clamp(-VIEW_LIMIT, VIEW_LIMIT));
    let bounds = Bounds3 { min: clamp(bounds.min), max: clamp(bounds.max) };
    let extent = bounds.extent();
    let longest = extent.iter().copied().fold(0.0f32, f32::max);
    let mut out = bounds;
    for (axis, &axis_extent) in extent.iter().enumerate() {
        let magnitude = bounds.min[axis].abs().max(bounds.max[axis].abs());
        if axis_extent <= longest * 1e-4 || axis_extent <= magnitude * 1e-6 {
            let half =
                if longest > magnitude * 1e-6 && longest > 0.0 { longest * 0.05 } else { magnitude.max(1.0) * 0.5 };
            out.min[axis] -= half;
            out.max[axis] += half;
        }
    }
    out
}

fn grid_lines(ticks: &[AxisTicks; 3], floor_z: f32) -> Vec<f32> {
    let z = ticks[2].lo().min(floor_z);
    let mut out = Vec::new();
    let mut line = |a: [f32; 3], b: [f32; 3]| {
        for p in [a, b] {
            let c = colormap::GRID;
            out.extend_from_slice(&[p[0], p[1], p[2], c[0], c[1], c[2], c[3]]);
        }
    };
    let (x_lo, x_hi, y_lo, y_hi) = (ticks[0].lo(), ticks[0].hi(), ticks[1].lo(), ticks[1].hi());
    for &x in &ticks[0].values {
        line([x as f32, y_lo, z], [x as f32, y_hi, z]);
    }
    for &y in &ticks[1].values {
        line([x_lo, y as f32, z], [x_hi, y as f32, z]);
    }
    out
}

/// X, Y, Z axes from the grid's low corner, and short tick marks along Z (towards −x).
fn axis_ribbons(ticks: &[AxisTicks; 3], floor_z: f32) -> Vec<f32> {
    let origin = [ticks[0].lo(), ticks[1].lo(), ticks[2].lo().min(floor_z)];
    let mut points = Vec::new();
    let mut colors = Vec::new();
    let gap = [f32::NAN; 3];
    for axis in 0..3 {
        let mut end = origin;
        end[axis] = ticks[axis].hi();
        points.extend_from_slice(&[origin, end, gap]);
        colors.extend_from_slice(&[colormap::AXES[axis]; 3]);
    }
    let mark = (ticks[0].hi() - ticks[0].lo()) * 0.02;
    for &z in &ticks[2].values {
        points.extend_from_slice(&[[origin[0], origin[1], z as f32], [origin[0] - mark, origin[1], z as f32], gap]);
        colors.extend_from_slice(&[colormap::AXES[2]; 3]);
    }
    ribbon_vertices(&points, &colors)
}

/// Marker instances ([`MARKER_FLOATS`] each): per trajectory start (green), end (red) and the
/// cursor (magenta, hidden when the cursor is outside the trajectory's time span).
pub fn marker_instances(scene: &Scene, cursor_time_secs: Option<f32>) -> Vec<f32> {
    let mut out = Vec::with_capacity(scene.trajectories.len() * MARKERS_PER_TRAJECTORY * MARKER_FLOATS);
    let mut push = |p: Option<[f32; 3]>, color: Rgba, diameter_px: f32| {
        let (p, alpha) = match p {
            Some(p) if is_finite3(p) => (p, color[3]),
            _ => ([0.0; 3], 0.0),
        };
        out.extend_from_slice(&[p[0], p[1], p[2], color[0], color[1], color[2], alpha, diameter_px]);
    };
    for trajectory in &scene.trajectories {
        let big = if trajectory.highlight { 1.0 } else { 0.75 };
        let first = trajectory.points.iter().copied().find(|p| is_finite3(*p));
        let last = trajectory.points.iter().rev().copied().find(|p| is_finite3(*p));
        push(first, colormap::START_MARKER, 11.0 * big);
        push(last, colormap::END_MARKER, 11.0 * big);
        push(cursor_time_secs.and_then(|t| trajectory.position_at(t)), colormap::CURSOR_MARKER, 15.0 * big);
    }
    out
}

/// Triangles of a primitive in object space, [`MESH_FLOATS`] per vertex (flat normals for boxes
/// and meshes, smooth for round shapes). Non-positive or non-finite sizes give nothing.
pub fn primitive_mesh(kind: &PrimitiveKind) -> Vec<f32> {
    let positive = |v: f32| v.is_finite() && v > 0.0;
    let mut out = Vec::new();
    match kind {
        PrimitiveKind::Box { size } => {
            if !size.iter().all(|&s| positive(s)) {
                return out;
            }
            let h = [size[0] * 0.5, size[1] * 0.5, size[2] * 0.5];
            for axis in 0..3 {
                for sign in [-1.0f32, 1.0] {
                    let (u, v) = ((axis + 1) % 3, (axis + 2) % 3);
                    let corner = |su: f32, sv: f32| {
                        let mut p = [0.0f32; 3];
                        p[axis] = sign * h[axis];
                        p[u] = su * h[u];
                        p[v] = sv * h[v];
                        p
                    };
                    let mut normal = [0.0f32; 3];
                    normal[axis] = sign;
                    let quad = [corner(-1.0, -1.0), corner(1.0, -1.0), corner(1.0, 1.0), corner(-1.0, 1.0)];
                    // Counter-clockwise seen from outside.
                    let order: [usize; 6] = if sign > 0.0 { [0, 1, 2, 0, 2, 3] } else { [0, 2, 1, 0, 3, 2] };
                    for i in order {
                        push_vertex(&mut out, quad[i], normal);
                    }
                }
            }
        }
        PrimitiveKind::Cylinder { radius, length } => {
            if !(positive(*radius) && positive(*length)) {
                return out;
            }
            let half = length * 0.5;
            let ring = |k: usize| {
                let angle = k as f32 / ROUND_SEGMENTS as f32 * std::f32::consts::TAU;
                (angle.cos(), angle.sin())
            };
            for k in 0..ROUND_SEGMENTS {
                let ((c0, s0), (c1, s1)) = (ring(k), ring(k + 1));
                let (b0, b1) = ([radius * c0, radius * s0, -half], [radius * c1, radius * s1, -half]);
                let (t0, t1) = ([b0[0], b0[1], half], [b1[0], b1[1], half]);
                let (n0, n1) = ([c0, s0, 0.0], [c1, s1, 0.0]);
                for (p, n) in [(b0, n0), (b1, n1), (t1, n1), (b0, n0), (t1, n1), (t0, n0)] {
                    push_vertex(&mut out, p, n);
                }
                for (p, n) in [([0.0, 0.0, half], [0.0, 0.0, 1.0]), (t0, [0.0, 0.0, 1.0]), (t1, [0.0, 0.0, 1.0])] {
                    push_vertex(&mut out, p, n);
                }
                for (p, n) in [([0.0, 0.0, -half], [0.0, 0.0, -1.0]), (b1, [0.0, 0.0, -1.0]), (b0, [0.0, 0.0, -1.0])] {
                    push_vertex(&mut out, p, n);
                }
            }
        }
        PrimitiveKind::Sphere { radius } => {
            if !positive(*radius) {
                return out;
            }
            let point = |ring: usize, k: usize| {
                let polar = ring as f32 / SPHERE_RINGS as f32 * std::f32::consts::PI;
                let azimuth = k as f32 / ROUND_SEGMENTS as f32 * std::f32::consts::TAU;
                let n = [polar.sin() * azimuth.cos(), polar.sin() * azimuth.sin(), polar.cos()];
                ([n[0] * radius, n[1] * radius, n[2] * radius], n)
            };
            for ring in 0..SPHERE_RINGS {
                for k in 0..ROUND_SEGMENTS {
                    let (a, b, c, d) = (point(ring, k), point(ring + 1, k), point(ring + 1, k + 1), point(ring, k + 1));
                    for (p, n) in [a, b, c, a, c, d] {
                        push_vertex(&mut out, p, n);
                    }
                }
            }
        }
        PrimitiveKind::Mesh { positions } => {
            let triangles = (positions.len() / 9).min(MAX_MESH_TRIANGLES);
            out.reserve(triangles * 3 * MESH_FLOATS);
            for triangle in positions.chunks_exact(9).take(triangles) {
                let a = [triangle[0], triangle[1], triangle[2]];
                let b = [triangle[3], triangle[4], triangle[5]];
                let c = [triangle[6], triangle[7], triangle[8]];
                if !(is_finite3(a) && is_finite3(b) && is_finite3(c)) {
                    continue;
                }
                let normal = super::math::normalize(super::math::cross(super::math::sub(b, a), super::math::sub(c, a)));
                for p in [a, b, c] {
                    push_vertex(&mut out, p, normal);
                }
            }
        }
    }
    out
}

fn push_vertex(out: &mut Vec<f32>, p: [f32; 3], n: [f32; 3]) {
    out.extend_from_slice(&[p[0], p[1], p[2], n[0], n[1], n[2]]);
}

/// Object-space box of a [`primitive_mesh`].
pub fn mesh_bounds(mesh: &[f32]) -> Bounds3 {
    let mut bounds = Bounds3::empty();
    for vertex in mesh.chunks_exact(MESH_FLOATS) {
        bounds.include([vertex[0], vertex[1], vertex[2]]);
    }
    bounds
}

/// Data-space box of a primitive placed by its `world_from_object`.
pub fn primitive_bounds(primitive: &Primitive) -> Bounds3 {
    mesh_bounds(&primitive_mesh(&primitive.kind)).transformed(&primitive.world_from_object)
}

/// `p` (data space) in world space.
pub fn world_from_data_point(geometry: &SceneGeometry, p: [f32; 3]) -> [f32; 3] {
    transform_point(&geometry.world_from_data, p)
}

#[cfg(test)]
mod tests {
    use super::super::math::{dot, length, translation};
    use super::*;
    use episcope_core::lerobot::FeatureSeries;

    fn helix(count: usize) -> Trajectory {
        let points = (0..count)
            .map(|i| {
                let t = i as f32 / 30.0;
                [0.3 * t.cos(), 0.3 * t.sin(), 0.1 * t]
            })
            .collect();
        let times_secs = (0..count).map(|i| i as f32 / 30.0).collect();
        Trajectory { points, times_secs, label: "episode 0".into(), highlight: true }
    }

    #[test]
    fn long_paths_are_thinned_for_drawing_keeping_ends_and_gaps() {
        let extent = [2.0, 2.0, 1.0];
        // Short paths are drawn whole.
        let short: Vec<[f32; 3]> = (0..100).map(|i| [i as f32, 0.0, 0.0]).collect();
        assert_eq!(drawn_point_indices(&short, &extent, 1000), (0..100).collect::<Vec<_>>());
        // 100 000 points on a circle, with a gap in the middle.
        let mut circle: Vec<[f32; 3]> = (0..100_000)
            .map(|i| {
                let a = i as f32 / 100_000.0 * std::f32::consts::TAU;
                [a.cos(), a.sin(), 0.5]
            })
            .collect();
        circle[50_000] = [f32::NAN; 3];
        let kept = drawn_point_indices(&circle, &extent, MAX_DRAWN_POINTS);
        assert!(kept.len() <= MAX_DRAWN_POINTS + 5, "{} kept", kept.len());
        assert!(kept.len() > 1000, "{} kept", kept.len());
        assert_eq!(kept.first(), Some(&0));
        assert_eq!(kept.last(), Some(&99_999));
        for i in [49_999, 50_000, 50_001] {
            assert!(kept.contains(&i), "the gap at 50 000 and its neighbours are kept ({i})");
        }
        assert!(kept.windows(2).all(|w| w[0] < w[1]), "in order");
        // No drawn step is longer than a small part of the circle.
        let longest = kept
            .windows(2)
            .filter(|w| is_finite3(circle[w[0]]) && is_finite3(circle[w[1]]))
            .map(|w| (0..3).map(|a| (circle[w[1]][a] - circle[w[0]][a]).powi(2)).sum::<f32>().sqrt())
            .fold(0.0, f32::max);
        assert!(longest < 0.01, "longest drawn step {longest}");
        // A path that jumps far at every step is strided down to the bound.
        let zigzag: Vec<[f32; 3]> = (0..100_000).map(|i| [(i % 2) as f32 * 2.0, 0.0, 0.0]).collect();
        let kept = drawn_point_indices(&zigzag, &extent, 1000);
        assert!(kept.len() <= 1000, "{} kept", kept.len());
        assert_eq!((kept[0], *kept.last().unwrap()), (0, 99_999));
    }

    #[test]
    fn trajectories_come_from_episode_series_in_the_chosen_order() {
        let frames = EpisodeFrames {
            episode_index: 4,
            frames: 3,
            timestamps_secs: vec![0.0, 0.5, 1.0],
            series: vec![FeatureSeries {
                feature: "observation.state".into(),
                labels: vec!["a".into(), "b".into()],
                dimensions: vec![vec![1.0, 2.0, 3.0], vec![10.0, 20.0, 30.0]],
            }],
        };
        let dim = |index| DimRef::Dim { feature: "observation.state".into(), index };
        let trajectory = Trajectory::from_episode(&frames, &[dim(1), dim(0), DimRef::Time], "ep 4", true).unwrap();
        assert_eq!(trajectory.points, vec![[10.0, 1.0, 0.0], [20.0, 2.0, 0.5], [30.0, 3.0, 1.0]]);
        assert_eq!(trajectory.times_secs, vec![0.0, 0.5, 1.0]);
        let missing = Trajectory::from_episode(&frames, &[dim(0), dim(1), dim(2)], "x", false).unwrap_err();
        assert_eq!(
            missing,
            TrajectoryError::MissingDimension { episode: 4, feature: "observation.state".into(), index: 2, dims: 2 }
        );
        assert!(missing.to_string().contains("no dimension 2"));
        let other = DimRef::Dim { feature: "action".into(), index: 0 };
        assert!(matches!(
            Trajectory::from_episode(&frames, &[other, dim(0), dim(1)], "x", false),
            Err(TrajectoryError::MissingFeature { .. })
        ));
    }

    #[test]
    fn a_scene_of_episodes_highlights_one_and_names_the_axes() {
        let episode = |episode_index: u64, offset: f64| EpisodeFrames {
            episode_index,
            frames: 2,
            timestamps_secs: vec![0.0, 0.1],
            series: vec![FeatureSeries {
                feature: "observation.state".into(),
                labels: vec!["shoulder_pan.pos".into(), "shoulder_lift.pos".into(), "elbow_flex.pos".into()],
                dimensions: vec![vec![offset, 1.0], vec![2.0, 3.0], vec![4.0, 5.0]],
            }],
        };
        let (first, second) = (episode(3, 0.0), episode(7, 10.0));
        let features: Vec<FeatureDims<'_>> = first.series.iter().map(FeatureDims::from_series).collect();
        let choice = crate::render3d::default_axes(&features).unwrap();
        let scene = Scene::from_episodes(&[&first, &second], &choice, Some(7)).unwrap();
        assert_eq!(scene.trajectories.len(), 2);
        assert!(!scene.trajectories[0].highlight && scene.trajectories[1].highlight);
        assert_eq!(scene.trajectories[1].label, "episode 7");
        assert_eq!(scene.trajectories[1].points[0], [10.0, 2.0, 4.0]);
        assert_eq!(scene.axis_labels[2], "observation.state · elbow_flex.pos");
        assert_eq!(scene.axis_units, [String::new(), String::new(), String::new()]);
        assert_eq!(scene.scaling, AxisScaling::Independent);
        let by_default = Scene::from_episodes(&[&first, &second], &choice, None).unwrap();
        assert!(by_default.trajectories[0].highlight && !by_default.trajectories[1].highlight);
    }

    #[test]
    fn cursor_position_interpolates_and_hides_outside_the_episode() {
        let trajectory = Trajectory {
            points: vec![[0.0, 0.0, 0.0], [2.0, 4.0, 6.0], [f32::NAN, 0.0, 0.0], [3.0, 3.0, 3.0]],
            times_secs: vec![0.0, 1.0, 2.0, 3.0],
            ..Default::default()
        };
        assert_eq!(trajectory.position_at(0.25), Some([0.5, 1.0, 1.5]));
        assert_eq!(trajectory.position_at(1.0), Some([2.0, 4.0, 6.0]));
        assert_eq!(trajectory.position_at(0.0), Some([0.0, 0.0, 0.0]));
        assert_eq!(trajectory.position_at(3.0), Some([3.0, 3.0, 3.0]));
        // Next to a gap, the finite neighbour.
        assert_eq!(trajectory.position_at(1.5), Some([2.0, 4.0, 6.0]));
        assert_eq!(trajectory.position_at(2.5), Some([3.0, 3.0, 3.0]));
        assert_eq!(trajectory.position_at(-0.1), None);
        assert_eq!(trajectory.position_at(3.1), None);
        assert_eq!(trajectory.position_at(f32::NAN), None);
        assert_eq!(Trajectory::default().position_at(0.0), None);
        // Unsorted or short time columns never panic.
        let odd = Trajectory { points: vec![[1.0; 3]; 3], times_secs: vec![2.0, 0.0], ..Default::default() };
        let _ = odd.position_at(1.0);
    }

    #[test]
    fn ribbons_are_coloured_by_time_with_gaps_for_missing_points() {
        let mut trajectory = helix(100);
        trajectory.points[50] = [f32::NAN, 0.0, 1.0];
        let vertices = ribbon_vertices(&trajectory.points, &trajectory_colors(&trajectory, 0));
        assert_eq!(vertices.len(), 100 * RIBBON_FLOATS);
        assert!(vertices.iter().all(|v| v.is_finite()));
        let vertex = |i: usize| &vertices[i * RIBBON_FLOATS..(i + 1) * RIBBON_FLOATS];
        assert_eq!(vertex(50)[6], 0.0, "gap");
        assert_eq!(vertex(49)[6], 1.0);
        assert_eq!(&vertex(0)[3..6], &viridis(0.0)[..3]);
        assert_eq!(&vertex(99)[3..6], &viridis(TIME_COLORMAP_END)[..3]);
        // Overlays take distinct hues.
        let mut other = helix(10);
        other.highlight = false;
        let first = trajectory_colors(&other, 0)[5];
        let second = trajectory_colors(&other, 1)[5];
        assert_ne!(first, second);
    }

    #[test]
    fn geometry_of_a_helix_has_a_grid_under_it_and_round_ticks() {
        let scene = Scene { trajectories: vec![helix(300)], ..Default::default() };
        let geometry = SceneGeometry::build(&scene);
        assert_eq!(geometry.trajectories.len(), 1);
        assert_eq!(geometry.world_from_data, scaling([1.0; 3]));
        let floor = geometry.data_bounds.min[2];
        let grid: Vec<&[f32]> = geometry.grid_lines.chunks_exact(LINE_FLOATS).collect();
        assert!(grid.len() >= 8 && grid.len().is_multiple_of(2));
        assert!(grid.iter().all(|v| v[2] <= floor + 1e-6), "grid lies under the data");
        // Equal scaling: one step on x and y.
        let step = |t: &AxisTicks| t.values[1] - t.values[0];
        assert!((step(&geometry.ticks[0]) - step(&geometry.ticks[1])).abs() < 1e-9);
        for axis in 0..3 {
            let ticks = &geometry.ticks[axis];
            assert!(ticks.lo() <= geometry.data_bounds.min[axis] && ticks.hi() >= geometry.data_bounds.max[axis]);
        }
        // Axes: three segments from one corner, ending at each axis's last tick.
        let axes: Vec<&[f32]> = geometry.axes.chunks_exact(RIBBON_FLOATS).collect();
        assert_eq!(axes[1][0], geometry.ticks[0].hi());
        assert_eq!(&axes[0][3..6], &colormap::AXES[0][..3]);
        assert_eq!(axes[2][6], 0.0, "segments are separated by gaps");
    }

    #[test]
    fn independent_scaling_gives_every_axis_the_same_length() {
        let points = (0..50).map(|i| [i as f32 * 100.0, (i as f32 * 0.1).sin(), i as f32 * 0.001]).collect();
        let times_secs = (0..50).map(|i| i as f32).collect();
        let scene = Scene {
            trajectories: vec![Trajectory { points, times_secs, ..Default::default() }],
            scaling: AxisScaling::Independent,
            ..Default::default()
        };
        let geometry = SceneGeometry::build(&scene);
        let world = geometry.data_bounds.transformed(&geometry.world_from_data).extent();
        assert!((world[0] - world[1]).abs() < world[0] * 1e-4 && (world[0] - world[2]).abs() < world[0] * 1e-4);
        assert!(geometry.ticks.iter().all(|t| t.values.len() >= 2));
    }

    #[test]
    fn flat_and_empty_scenes_still_get_a_finite_frame() {
        let flat = Trajectory {
            points: vec![[1.0, 2.0, 3.0], [2.0, 2.0, 3.0]],
            times_secs: vec![0.0, 1.0],
            ..Default::default()
        };
        for scene in [
            Scene::default(),
            Scene { trajectories: vec![flat.clone()], ..Default::default() },
            Scene { trajectories: vec![flat], scaling: AxisScaling::Independent, ..Default::default() },
        ] {
            let geometry = SceneGeometry::build(&scene);
            let world = geometry.world_bounds();
            assert!(!world.is_empty() && world.radius() > 0.0 && world.radius().is_finite());
            assert!(geometry.world_from_data.iter().flatten().all(|v| v.is_finite()));
            assert!(geometry.ticks.iter().all(|t| t.values.len() >= 2), "{:?}", geometry.ticks);
        }
    }

    #[test]
    fn extreme_values_never_give_non_finite_transforms() {
        let huge = Trajectory {
            points: vec![[-3.0e38, 0.0, 1.0], [3.0e38, 1.0, 2.0], [0.0, 1e-30, 2.0]],
            times_secs: vec![0.0, 1.0, 2.0],
            ..Default::default()
        };
        for scaling in [AxisScaling::Equal, AxisScaling::Independent] {
            let scene = Scene { trajectories: vec![huge.clone()], scaling, ..Default::default() };
            let geometry = SceneGeometry::build(&scene);
            assert!(geometry.world_from_data.iter().flatten().all(|v| v.is_finite()), "{scaling:?}");
            assert!(geometry.grid_lines.iter().chain(&geometry.axes).all(|v| v.is_finite()));
            let world = geometry.world_bounds();
            let mut camera = crate::render3d::OrbitCamera::new();
            camera.fit(&world);
            assert!(camera.view_from_world().iter().flatten().all(|v| v.is_finite()), "{scaling:?} {world:?}");
        }
    }

    #[test]
    fn markers_mark_start_end_and_the_cursor() {
        let scene = Scene { trajectories: vec![helix(31)], ..Default::default() };
        let markers = marker_instances(&scene, Some(0.5));
        assert_eq!(markers.len(), MARKERS_PER_TRAJECTORY * MARKER_FLOATS);
        let marker = |i: usize| &markers[i * MARKER_FLOATS..(i + 1) * MARKER_FLOATS];
        assert_eq!(&marker(0)[..3], &scene.trajectories[0].points[0]);
        assert_eq!(&marker(0)[3..7], &colormap::START_MARKER);
        assert_eq!(&marker(1)[..3], &scene.trajectories[0].points[30]);
        let cursor = scene.trajectories[0].position_at(0.5).unwrap();
        assert_eq!(&marker(2)[..3], &cursor);
        assert_eq!(marker(2)[6], 1.0);
        let hidden = marker_instances(&scene, Some(5.0));
        assert_eq!(hidden[2 * MARKER_FLOATS + 6], 0.0, "cursor past the end is hidden");
        assert_eq!(marker_instances(&scene, None).len(), markers.len(), "fixed size: cursor moves update in place");
    }

    #[test]
    fn primitives_are_closed_shapes_with_outward_normals() {
        let kinds = [
            PrimitiveKind::Box { size: [0.1, 0.2, 0.3] },
            PrimitiveKind::Cylinder { radius: 0.05, length: 0.4 },
            PrimitiveKind::Sphere { radius: 0.2 },
        ];
        for kind in &kinds {
            let mesh = primitive_mesh(kind);
            assert!(!mesh.is_empty() && mesh.len().is_multiple_of(3 * MESH_FLOATS), "{kind:?}");
            for triangle in mesh.chunks_exact(3 * MESH_FLOATS) {
                let vertex = |i: usize| {
                    let v = &triangle[i * MESH_FLOATS..(i + 1) * MESH_FLOATS];
                    ([v[0], v[1], v[2]], [v[3], v[4], v[5]])
                };
                let (a, na) = vertex(0);
                let (b, _) = vertex(1);
                let (c, _) = vertex(2);
                assert!((length(na) - 1.0).abs() < 1e-4);
                let face = super::super::math::cross(super::super::math::sub(b, a), super::super::math::sub(c, a));
                let centroid = [(a[0] + b[0] + c[0]) / 3.0, (a[1] + b[1] + c[1]) / 3.0, (a[2] + b[2] + c[2]) / 3.0];
                // Degenerate triangles at the sphere's poles have no facing.
                if length(face) > 1e-9 {
                    assert!(dot(face, centroid) > 0.0, "{kind:?}: counter-clockwise from outside");
                    assert!(dot(na, centroid) > 0.0);
                }
            }
        }
        let bounds = mesh_bounds(&primitive_mesh(&kinds[0]));
        assert_eq!(bounds.max, [0.05, 0.1, 0.15]);
        let placed =
            Primitive { kind: kinds[2].clone(), world_from_object: translation([1.0, 0.0, 0.0]), color: [1.0; 4] };
        assert!((primitive_bounds(&placed).min[0] - 0.8).abs() < 1e-5);
        assert!(primitive_mesh(&PrimitiveKind::Box { size: [f32::NAN, 1.0, 1.0] }).is_empty());
        assert!(primitive_mesh(&PrimitiveKind::Sphere { radius: -1.0 }).is_empty());
    }

    #[test]
    fn meshes_drop_partial_and_non_finite_triangles() {
        let mut positions = vec![0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0];
        positions.extend_from_slice(&[0.0, 0.0, 0.0, f32::INFINITY, 0.0, 0.0, 0.0, 1.0, 0.0]);
        positions.extend_from_slice(&[5.0, 5.0]);
        let mesh = primitive_mesh(&PrimitiveKind::Mesh { positions: positions.into() });
        assert_eq!(mesh.len(), 3 * MESH_FLOATS);
        assert_eq!(&mesh[3..6], &[0.0, 0.0, 1.0]);
    }

    #[test]
    fn primitives_count_in_the_scene_bounds() {
        let scene = Scene {
            trajectories: vec![helix(30)],
            primitives: vec![Primitive {
                kind: PrimitiveKind::Box { size: [0.2; 3] },
                world_from_object: translation([2.0, 0.0, 0.0]),
                color: [0.5, 0.5, 0.5, 1.0],
            }],
            ..Default::default()
        };
        let geometry = SceneGeometry::build(&scene);
        assert!((geometry.data_bounds.max[0] - 2.1).abs() < 1e-5);
        assert_eq!(geometry.primitive_meshes.len(), 1);
    }
}
