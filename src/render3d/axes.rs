//! Which three dimensions the 3-D view shows by default, their labels and units, and "nice"
//! grid ticks.
//!
//! Default choice, first match wins:
//! 1. a feature with dimensions labelled x, y and z (`ee_pos_x`, `pos.y`, `z` …), preferring
//!    features whose name looks like an end-effector position (`ee`, `eef`, `end_effector`, `tcp`,
//!    `cartesian`, `xyz`);
//! 2. three scalar features whose names differ only in a last `x`/`y`/`z` part;
//! 3. a feature named like an end-effector position with ≥ 3 dimensions: its translation when it is
//!    a 3×4 or 4×4 pose matrix (row-major, column 3), else its first three dimensions;
//! 4. the first three dimensions of `observation.state`;
//! 5. of the first feature with ≥ 3 dimensions;
//! 6. the two dimensions of the first 2-dimensional feature, and time.
//!
//! Choices 1–3 are positions: they are shown with equal scale on every axis. The others mix
//! quantities (joint angles, gripper opening, time), so each axis is scaled to the same length.

/// One axis of the 3-D view: a dimension of a feature, or the episode time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DimRef {
    Dim { feature: String, index: usize },
    Time,
}

/// What [`default_axes`] needs to know of a numeric feature.
#[derive(Debug, Clone, Copy)]
pub struct FeatureDims<'a> {
    pub name: &'a str,
    /// Values per frame.
    pub dims: usize,
    /// One label per dimension (may be fewer than `dims`).
    pub labels: &'a [String],
}

impl<'a> FeatureDims<'a> {
    /// From a series the worker read (`EpisodeFrames::series`).
    pub fn from_series(series: &'a episcope_core::lerobot::FeatureSeries) -> FeatureDims<'a> {
        FeatureDims { name: &series.feature, dims: series.dimensions.len(), labels: &series.labels }
    }
}

/// How data units map to the view's axes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AxisScaling {
    /// One unit is the same length on every axis (positions).
    #[default]
    Equal,
    /// Each axis is stretched so that the data spans the same length on all three.
    Independent,
}

/// The three default axes and how to scale them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AxisChoice {
    pub dims: [DimRef; 3],
    pub scaling: AxisScaling,
}

/// The default axes of a dataset's numeric features (see the module docs), `None` when no feature
/// has two or more dimensions and no x/y/z scalars exist.
pub fn default_axes(features: &[FeatureDims<'_>]) -> Option<AxisChoice> {
    let candidates: Vec<&FeatureDims<'_>> =
        features.iter().filter(|f| !is_index_column(f.name) && f.dims > 0).collect();
    let equal = |dims: [DimRef; 3]| Some(AxisChoice { dims, scaling: AxisScaling::Equal });
    let independent = |dims: [DimRef; 3]| Some(AxisChoice { dims, scaling: AxisScaling::Independent });
    let dim = |feature: &str, index: usize| DimRef::Dim { feature: feature.to_string(), index };

    // 1. Dimensions labelled x, y, z within one feature.
    let mut best: Option<(u8, [DimRef; 3])> = None;
    for feature in &candidates {
        let mut found: [Option<usize>; 3] = [None; 3];
        for (index, label) in feature.labels.iter().enumerate().take(feature.dims) {
            if let Some(axis) = position_axis(label) {
                found[axis].get_or_insert(index);
            }
        }
        if let [Some(x), Some(y), Some(z)] = found {
            let score = if is_end_effector_name(feature.name) { 2 } else { 1 };
            if best.as_ref().is_none_or(|(best_score, _)| score > *best_score) {
                best = Some((score, [dim(feature.name, x), dim(feature.name, y), dim(feature.name, z)]));
            }
        }
    }
    if let Some((_, dims)) = best {
        return equal(dims);
    }

    // 2. Scalar features `prefix.x`, `prefix.y`, `prefix.z`.
    for feature in candidates.iter().filter(|f| f.dims == 1) {
        if position_axis(feature.name) != Some(0) {
            continue;
        }
        let prefix = name_without_last_part(feature.name);
        let sibling = |axis: usize| {
            candidates.iter().find(|f| {
                f.dims == 1 && name_without_last_part(f.name) == prefix && position_axis(f.name) == Some(axis)
            })
        };
        if let (Some(y), Some(z)) = (sibling(1), sibling(2)) {
            return equal([dim(feature.name, 0), dim(y.name, 0), dim(z.name, 0)]);
        }
    }

    // 3. An end-effector feature: the translation of a pose matrix, else the first three values.
    if let Some(feature) = candidates.iter().find(|f| f.dims >= 3 && is_end_effector_name(f.name)) {
        let [x, y, z] = pose_matrix_translation(feature).unwrap_or([0, 1, 2]);
        return equal([dim(feature.name, x), dim(feature.name, y), dim(feature.name, z)]);
    }

    // 4–5. The state, else any feature with three dimensions.
    let first_three = |f: &FeatureDims<'_>| [dim(f.name, 0), dim(f.name, 1), dim(f.name, 2)];
    if let Some(state) = candidates.iter().find(|f| f.name == "observation.state" && f.dims >= 3) {
        return independent(first_three(state));
    }
    if let Some(feature) = candidates.iter().find(|f| f.dims >= 3) {
        return independent(first_three(feature));
    }

    // 6. Two dimensions and time.
    let pair = candidates
        .iter()
        .find(|f| f.name == "observation.state" && f.dims == 2)
        .or_else(|| candidates.iter().find(|f| f.dims == 2))?;
    independent([dim(pair.name, 0), dim(pair.name, 1), DimRef::Time])
}

/// The label shown for an axis: `feature · dimension label` (or `feature[i]`), `time`.
pub fn axis_label(dim: &DimRef, features: &[FeatureDims<'_>]) -> String {
    match dim {
        DimRef::Time => "time".to_string(),
        DimRef::Dim { feature, index } => {
            let label = features.iter().find(|f| f.name == feature).and_then(|f| f.labels.get(*index));
            match label {
                Some(label) if label.starts_with(feature.as_str()) => label.clone(),
                Some(label) => format!("{feature} · {label}"),
                None => format!("{feature}[{index}]"),
            }
        }
    }
}

/// The unit of an axis when its label says it (`…_m`, `(mm)`, `.deg`, `_rad`), seconds for time,
/// else empty: LeRobot datasets do not declare units.
pub fn axis_unit(dim: &DimRef, label: &str) -> String {
    if *dim == DimRef::Time {
        return "s".to_string();
    }
    let last = tokens(label).pop().unwrap_or_default();
    match last.as_str() {
        "m" | "mm" | "cm" | "deg" | "rad" => last,
        "meters" | "metres" => "m".to_string(),
        "degrees" => "deg".to_string(),
        "radians" => "rad".to_string(),
        _ => String::new(),
    }
}

fn is_index_column(name: &str) -> bool {
    matches!(name, "timestamp" | "frame_index" | "episode_index" | "index" | "task_index")
}

/// Lower-case alphanumeric parts of a name (`observation.ee_pos[0]` → observation, ee, pos, 0).
fn tokens(name: &str) -> Vec<String> {
    name.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).map(str::to_lowercase).collect()
}

/// 0, 1, 2 when a label names the x, y or z coordinate of a position (exactly one such part, and
/// nothing that makes it a rotation, velocity or force).
fn position_axis(label: &str) -> Option<usize> {
    let parts = tokens(label);
    const NOT_POSITION: [&str; 14] = [
        "rot",
        "rotation",
        "angle",
        "quat",
        "orientation",
        "vel",
        "velocity",
        "acc",
        "force",
        "torque",
        "effort",
        "twist",
        "wrench",
        "angular",
    ];
    if parts.iter().any(|p| NOT_POSITION.contains(&p.as_str())) {
        return None;
    }
    let mut axes = parts.iter().filter_map(|p| match p.as_str() {
        "x" | "posx" => Some(0),
        "y" | "posy" => Some(1),
        "z" | "posz" => Some(2),
        _ => None,
    });
    let axis = axes.next()?;
    axes.next().is_none().then_some(axis)
}

fn is_end_effector_name(name: &str) -> bool {
    let parts = tokens(name);
    let has = |word: &str| parts.iter().any(|p| p == word);
    if has("joint") || has("joints") || has("qpos") {
        return false;
    }
    has("ee")
        || has("eef")
        || has("tcp")
        || has("cartesian")
        || has("xyz")
        || has("effector")
        || parts.iter().any(|p| p.starts_with("endeffector") || p == "eepos" || p == "eepose")
}

fn name_without_last_part(name: &str) -> &str {
    match name.rfind(|c: char| !c.is_alphanumeric()) {
        Some(at) => &name[..at],
        None => "",
    }
}

/// Flat indices of the translation column of a row-major 3×4 / 4×4 pose matrix: from labels such
/// as `ee_pose[1,3]`, else from a count of 12 or 16 values.
fn pose_matrix_translation(feature: &FeatureDims<'_>) -> Option<[usize; 3]> {
    let matrix_index = |label: &str| -> Option<(usize, usize)> {
        let inside = label.strip_suffix(']')?.rsplit_once('[')?.1;
        let (row, column) = inside.split_once(',')?;
        Some((row.trim().parse().ok()?, column.trim().parse().ok()?))
    };
    let indices: Vec<(usize, usize)> = feature.labels.iter().filter_map(|l| matrix_index(l)).collect();
    if indices.len() == feature.dims && !indices.is_empty() {
        let columns = indices.iter().map(|(_, c)| c + 1).max().unwrap_or(0);
        let rows = indices.iter().map(|(r, _)| r + 1).max().unwrap_or(0);
        if columns == 4 && (3..=4).contains(&rows) {
            let find = |row: usize| indices.iter().position(|&(r, c)| r == row && c == 3);
            return Some([find(0)?, find(1)?, find(2)?]);
        }
        return None;
    }
    matches!(feature.dims, 12 | 16).then_some([3, 7, 11])
}

/// Round tick positions covering `[lo, hi]`: multiples of a 1/2/5 × 10ⁿ `step` chosen for about
/// `target` intervals, from the last multiple ≤ `lo` to the first ≥ `hi`. Empty for an empty or
/// non-finite range. At most `4 × target + 2` ticks.
pub fn covering_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let Some(step) = nice_step(hi - lo, target) else {
        return Vec::new();
    };
    ticks_with_step(lo, hi, step, 4 * target + 2)
}

/// A 1/2/5 × 10ⁿ step splitting `span` into about `target` intervals.
pub fn nice_step(span: f64, target: usize) -> Option<f64> {
    if !(span.is_finite() && span > 0.0) || target == 0 {
        return None;
    }
    let raw = span / target as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw * (1.0 - 1e-9));
    Some(step.unwrap_or(10.0 * magnitude))
}

/// Multiples of `step` from the last ≤ `lo` to the first ≥ `hi`, at most `max_ticks`.
pub fn ticks_with_step(lo: f64, hi: f64, step: f64, max_ticks: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite() && step.is_finite() && step > 0.0) || hi < lo {
        return Vec::new();
    }
    let first = (lo / step + 1e-9).floor();
    let last = (hi / step - 1e-9).ceil();
    let count = (last - first) as usize + 1;
    if count > max_ticks {
        return Vec::new();
    }
    (0..count).map(|i| (first + i as f64) * step).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn dim(feature: &str, index: usize) -> DimRef {
        DimRef::Dim { feature: feature.to_string(), index }
    }

    #[test]
    fn picks_labelled_xyz_and_prefers_end_effector_features() {
        let state = labels(&["shoulder_pan.pos", "shoulder_lift.pos", "elbow_flex.pos"]);
        let base = labels(&["base_x", "base_y", "base_z"]);
        let ee = labels(&["ee_rot_x", "ee_pos_x", "ee_pos_y", "ee_pos_z"]);
        let features = [
            FeatureDims { name: "observation.state", dims: 3, labels: &state },
            FeatureDims { name: "observation.base", dims: 3, labels: &base },
            FeatureDims { name: "observation.eef", dims: 4, labels: &ee },
        ];
        let choice = default_axes(&features).unwrap();
        assert_eq!(choice.dims, [dim("observation.eef", 1), dim("observation.eef", 2), dim("observation.eef", 3)]);
        assert_eq!(choice.scaling, AxisScaling::Equal);
        // Without the end-effector feature the labelled base position is next.
        let choice = default_axes(&features[..2]).unwrap();
        assert_eq!(choice.dims[0], dim("observation.base", 0));
    }

    #[test]
    fn labels_that_are_not_positions_are_ignored() {
        let velocity = labels(&["vel_x", "vel_y", "vel_z"]);
        let features = [FeatureDims { name: "observation.twist", dims: 3, labels: &velocity }];
        // Not a position: falls through to "first feature with three dimensions", scaled per axis.
        let choice = default_axes(&features).unwrap();
        assert_eq!(choice.scaling, AxisScaling::Independent);
        assert_eq!(position_axis("shoulder_pan.pos"), None);
        assert_eq!(position_axis("pos.x"), Some(0));
        assert_eq!(position_axis("x_y"), None);
        assert_eq!(position_axis("tcp_z"), Some(2));
    }

    #[test]
    fn scalar_features_named_x_y_z_form_a_position() {
        let none: Vec<String> = Vec::new();
        let features = [
            FeatureDims { name: "observation.state", dims: 6, labels: &none },
            FeatureDims { name: "observation.pos.z", dims: 1, labels: &none },
            FeatureDims { name: "observation.pos.x", dims: 1, labels: &none },
            FeatureDims { name: "observation.pos.y", dims: 1, labels: &none },
        ];
        let choice = default_axes(&features).unwrap();
        assert_eq!(
            choice.dims,
            [dim("observation.pos.x", 0), dim("observation.pos.y", 0), dim("observation.pos.z", 0)]
        );
    }

    #[test]
    fn pose_matrices_give_their_translation_column() {
        // As the shared v2.1/v3.0 datasets declare `observation.ee_pose` float32[3, 4].
        let matrix: Vec<String> =
            (0..3).flat_map(|r| (0..4).map(move |c| format!("observation.ee_pose[{r},{c}]"))).collect();
        let state = labels(&["a", "b", "c", "d", "e", "f"]);
        let features = [
            FeatureDims { name: "observation.state", dims: 6, labels: &state },
            FeatureDims { name: "observation.ee_pose", dims: 12, labels: &matrix },
        ];
        let choice = default_axes(&features).unwrap();
        let ee = "observation.ee_pose";
        assert_eq!(choice.dims, [dim(ee, 3), dim(ee, 7), dim(ee, 11)]);
        assert_eq!(choice.scaling, AxisScaling::Equal);
        assert_eq!(axis_label(&choice.dims[0], &features), "observation.ee_pose[0,3]");
        // A pose vector (x, y, z, qx, qy, qz, qw) gives its first three values.
        let pose = labels(&["p0", "p1", "p2", "q0", "q1", "q2", "q3"]);
        let features = [FeatureDims { name: "observation.tcp_pose", dims: 7, labels: &pose }];
        assert_eq!(default_axes(&features).unwrap().dims[2], dim("observation.tcp_pose", 2));
    }

    #[test]
    fn falls_back_to_the_state_then_any_feature_then_two_dims_and_time() {
        let six = labels(&["shoulder_pan.pos", "shoulder_lift.pos", "elbow_flex.pos", "w", "r", "g"]);
        let features = [
            FeatureDims { name: "action", dims: 6, labels: &six },
            FeatureDims { name: "observation.state", dims: 6, labels: &six },
            FeatureDims { name: "timestamp", dims: 1, labels: &[] },
        ];
        let choice = default_axes(&features).unwrap();
        assert_eq!(
            choice.dims,
            [dim("observation.state", 0), dim("observation.state", 1), dim("observation.state", 2)]
        );
        assert_eq!(choice.scaling, AxisScaling::Independent);
        assert_eq!(axis_label(&choice.dims[1], &features), "observation.state · shoulder_lift.pos");

        assert_eq!(default_axes(&features[..1]).unwrap().dims[0], dim("action", 0));

        let two = labels(&["u", "v"]);
        let features = [
            FeatureDims { name: "index", dims: 3, labels: &[] },
            FeatureDims { name: "next.reward", dims: 1, labels: &[] },
            FeatureDims { name: "observation.planar", dims: 2, labels: &two },
        ];
        let choice = default_axes(&features).unwrap();
        assert_eq!(choice.dims, [dim("observation.planar", 0), dim("observation.planar", 1), DimRef::Time]);
        assert_eq!(axis_label(&DimRef::Time, &features), "time");
        assert_eq!(default_axes(&features[..2]), None);
        assert_eq!(default_axes(&[]), None);
    }

    #[test]
    fn units_come_from_labels_only() {
        assert_eq!(axis_unit(&DimRef::Time, "time"), "s");
        assert_eq!(axis_unit(&dim("a", 0), "ee_x_m"), "m");
        assert_eq!(axis_unit(&dim("a", 0), "shoulder_pan.pos"), "");
        assert_eq!(axis_unit(&dim("a", 0), "wrist (degrees)"), "deg");
    }

    #[test]
    fn covering_ticks_are_round_and_include_the_range() {
        assert_eq!(covering_ticks(0.03, 0.91, 4), vec![0.0, 0.5, 1.0]);
        assert_eq!(covering_ticks(0.03, 0.91, 8), vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]);
        let ticks = covering_ticks(-12.5, 47.0, 6);
        assert_eq!(ticks.first(), Some(&-20.0));
        assert_eq!(ticks.last(), Some(&50.0));
        assert!(ticks.windows(2).all(|w| (w[1] - w[0] - 10.0).abs() < 1e-9));
        // An exact multiple is not widened by a step.
        assert_eq!(covering_ticks(0.0, 10.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert!(covering_ticks(1.0, 1.0, 5).is_empty());
        assert!(covering_ticks(f64::NAN, 1.0, 5).is_empty());
        assert!(ticks_with_step(0.0, 1e12, 1.0, 100).is_empty(), "bounded count");
    }
}
