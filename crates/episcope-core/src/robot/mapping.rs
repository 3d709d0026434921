//! Which dataset dimension drives which joint: automatic matching by name, the angle unit, and the
//! end-effector trajectory of an episode.
//!
//! Matching ([`match_joints`]) compares *normalised* names ([`normalise_name`]): lowercase, without separators
//! (`_ . - space / :`), without trailing `pos` / `position` / `joint` / `angle` and leading `joint`, and with
//! `joint1` / `j1` reduced to `1` — so `shoulder_pan.pos` ↔ `shoulder_pan_joint`, and `joint_1` ↔ `joint1` ↔
//! `J1`. In order:
//! 1. exact match of normalised names;
//! 2. unique substring match (either name inside the other, both at least 3 characters): taken only when the
//!    joint has one candidate dimension in the feature and that dimension no other candidate joint
//!    (`main_shoulder_pan` ↔ `shoulder_pan_joint`, but not `left_waist` / `right_waist` ↔ `waist`);
//! 3. when nothing matched by name: the dimensions in order, if a feature has exactly as many dimensions as the
//!    robot has driven joints — flagged [`JointMapping::guessed_in_order`].
//!
//! Features are tried with `observation.state` first, then in the order given; each driven joint (see
//! [`KinematicTree::driven_joints`]) gets at most one (feature, dimension). The result is a plain serde struct,
//! so the UI can show it and the user can edit it.

use serde::{Deserialize, Serialize};

use super::kinematics::{JointPositions, KinematicTree, LinkPoses};

/// The feature tried first: LeRobot's measured joint state.
pub const PREFERRED_FEATURE: &str = "observation.state";
/// Angle values beyond this magnitude (one turn plus a margin, in radians) mean the feature is in degrees.
pub const DEGREES_THRESHOLD: f64 = 2.0 * std::f64::consts::PI + 0.5;
/// Substring matching ignores normalised names shorter than this (`1` inside `11` is no evidence).
const MIN_SUBSTRING_CHARS: usize = 3;

/// The unit of the angular dimensions a mapping reads (prismatic joints are always metres).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AngleUnit {
    #[default]
    Radians,
    Degrees,
}

impl AngleUnit {
    /// Factor from this unit to radians.
    pub fn to_radians_factor(self) -> f64 {
        match self {
            AngleUnit::Radians => 1.0,
            AngleUnit::Degrees => std::f64::consts::PI / 180.0,
        }
    }
}

/// How a joint's dimension was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// Normalised names are equal.
    Name,
    /// One normalised name contains the other, and nothing else matched either.
    Substring,
    /// Position in the feature (a guess).
    InOrder,
    /// Chosen by the user.
    Manual,
}

/// One joint driven by one dimension of one feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JointSource {
    pub joint: String,
    pub feature: String,
    pub dimension: usize,
    /// The dimension's name in the dataset (empty when it has none).
    pub dimension_name: String,
    pub matched_by: MatchKind,
}

/// A dimension of a feature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DimensionRef {
    pub feature: String,
    pub dimension: usize,
    pub name: String,
}

/// Which dimension drives which joint, and what was left over.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct JointMapping {
    /// In the robot's joint order.
    pub joints: Vec<JointSource>,
    /// Driven joints no dimension was found for (they stay at 0).
    pub unmatched_joints: Vec<String>,
    /// Dimensions of the features the mapping uses that drive no joint.
    pub unused_dimensions: Vec<DimensionRef>,
    /// The mapping is "in order" and not by name: a guess for the user to confirm.
    pub guessed_in_order: bool,
    /// The unit of the angular dimensions (see [`guess_angle_unit`]).
    pub angle_unit: AngleUnit,
}

/// An episode's values of one feature, row-major: frame `f`, dimension `d` is `values[f * dims + d]`.
#[derive(Debug, Clone, Copy)]
pub struct FeatureColumns<'a> {
    pub name: &'a str,
    pub dims: usize,
    pub values: &'a [f32],
}

/// Why a mapping cannot be applied to an episode's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrajectoryError {
    #[error("the mapping reads feature `{feature}`, which was not given")]
    MissingFeature { feature: String },
    #[error("the mapping reads dimension {dimension} of feature `{feature}`, which has {dims} dimensions")]
    DimensionOutOfRange { feature: String, dimension: usize, dims: usize },
    #[error("feature `{feature}` has {values} values, not a whole number of frames of {dims} dimensions")]
    RaggedValues { feature: String, values: usize, dims: usize },
    #[error("feature `{feature}` has {frames} frames, the other features {expected}")]
    FrameCountMismatch { feature: String, frames: usize, expected: usize },
    #[error("the mapping names joint `{joint}`, which the robot does not have")]
    UnknownJoint { joint: String },
    #[error("link {link} does not exist (the robot has {links} links)")]
    UnknownLink { link: usize, links: usize },
    #[error("frame {frame} does not exist (the episode has {frames} frames)")]
    FrameOutOfRange { frame: usize, frames: usize },
}

/// A name reduced for comparison (see the module documentation).
pub fn normalise_name(name: &str) -> String {
    let lower = name.trim().to_lowercase();
    let mut tokens: Vec<&str> = lower.split(['_', '.', '-', ' ', '/', ':']).filter(|t| !t.is_empty()).collect();
    while tokens.len() > 1 && matches!(tokens.last(), Some(&("pos" | "position" | "joint" | "angle"))) {
        tokens.pop();
    }
    while tokens.len() > 1 && tokens.first() == Some(&"joint") {
        tokens.remove(0);
    }
    let joined = tokens.concat();
    let glued = if let Some(number) = joined.strip_prefix("joint").filter(|rest| is_digits(rest)) {
        number
    } else if let Some(number) = joined.strip_prefix('j').filter(|rest| is_digits(rest)) {
        number
    } else if let Some(stem) = joined.strip_suffix("joint").filter(|rest| !rest.is_empty()) {
        stem
    } else {
        &joined
    };
    glued.to_string()
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// Matches the tree's driven joints to dimensions of `features` (`(feature name, dimension names)`), as the module
/// documentation describes. The angle unit is left at radians; see [`guess_angle_unit`].
pub fn match_joints(tree: &KinematicTree, features: &[(String, Vec<String>)]) -> JointMapping {
    let driven: Vec<usize> = tree.driven_joints().collect();
    let joint_keys: Vec<String> = driven.iter().map(|&j| normalise_name(tree.joint_name(j).unwrap_or(""))).collect();
    let mut order: Vec<usize> = (0..features.len()).collect();
    order.sort_by_key(|&f| features[f].0 != PREFERRED_FEATURE);
    let dimension_keys: Vec<Vec<String>> =
        features.iter().map(|(_, names)| names.iter().map(|n| normalise_name(n)).collect()).collect();
    let mut used: Vec<Vec<bool>> = features.iter().map(|(_, names)| vec![false; names.len()]).collect();
    // For each driven joint: (feature, dimension, how).
    let mut chosen: Vec<Option<(usize, usize, MatchKind)>> = vec![None; driven.len()];

    for &feature in &order {
        for (slot, joint_key) in chosen.iter_mut().zip(&joint_keys) {
            if slot.is_some() || joint_key.is_empty() {
                continue;
            }
            let found =
                dimension_keys[feature].iter().enumerate().position(|(d, key)| !used[feature][d] && key == joint_key);
            if let Some(dimension) = found {
                used[feature][dimension] = true;
                *slot = Some((feature, dimension, MatchKind::Name));
            }
        }
    }

    let related = |a: &str, b: &str| {
        a.len() >= MIN_SUBSTRING_CHARS && b.len() >= MIN_SUBSTRING_CHARS && (a.contains(b) || b.contains(a))
    };
    for &feature in &order {
        let keys = &dimension_keys[feature];
        let candidates_of_joint = |joint: usize, used: &[bool]| -> Vec<usize> {
            (0..keys.len()).filter(|&d| !used[d] && related(&joint_keys[joint], &keys[d])).collect()
        };
        let mut assignments = Vec::new();
        for joint in 0..driven.len() {
            if chosen[joint].is_some() {
                continue;
            }
            let [dimension] = candidates_of_joint(joint, &used[feature])[..] else { continue };
            let rivals = (0..driven.len())
                .filter(|&other| chosen[other].is_none() && related(&joint_keys[other], &keys[dimension]))
                .count();
            if rivals == 1 {
                assignments.push((joint, dimension));
            }
        }
        for (joint, dimension) in assignments {
            used[feature][dimension] = true;
            chosen[joint] = Some((feature, dimension, MatchKind::Substring));
        }
    }

    let mut guessed_in_order = false;
    if !driven.is_empty() && chosen.iter().all(Option::is_none) {
        if let Some(&feature) = order.iter().find(|&&f| features[f].1.len() == driven.len()) {
            for (dimension, slot) in chosen.iter_mut().enumerate() {
                *slot = Some((feature, dimension, MatchKind::InOrder));
                used[feature][dimension] = true;
            }
            guessed_in_order = true;
        }
    }

    let mut mapping = JointMapping { guessed_in_order, ..JointMapping::default() };
    for (&joint, slot) in driven.iter().zip(&chosen) {
        let joint_name = tree.joint_name(joint).unwrap_or("").to_string();
        match *slot {
            Some((feature, dimension, matched_by)) => mapping.joints.push(JointSource {
                joint: joint_name,
                feature: features[feature].0.clone(),
                dimension,
                dimension_name: features[feature].1.get(dimension).cloned().unwrap_or_default(),
                matched_by,
            }),
            None => mapping.unmatched_joints.push(joint_name),
        }
    }
    for &feature in &order {
        if !chosen.iter().flatten().any(|&(f, _, _)| f == feature) {
            continue;
        }
        for (dimension, name) in features[feature].1.iter().enumerate() {
            if !used[feature][dimension] {
                mapping.unused_dimensions.push(DimensionRef {
                    feature: features[feature].0.clone(),
                    dimension,
                    name: name.clone(),
                });
            }
        }
    }
    mapping
}

/// Degrees if any finite value's magnitude exceeds [`DEGREES_THRESHOLD`] (2π + 0.5), else radians. A recording in
/// degrees that never leaves ±6.78° is taken for radians (the user can correct the mapping); a radian recording
/// that winds a continuous joint past one turn is taken for degrees.
pub fn angle_unit_from_values(values: impl IntoIterator<Item = f32>) -> AngleUnit {
    let beyond_one_turn = values.into_iter().any(|v| v.is_finite() && f64::from(v).abs() > DEGREES_THRESHOLD);
    if beyond_one_turn {
        AngleUnit::Degrees
    } else {
        AngleUnit::Radians
    }
}

/// [`angle_unit_from_values`] over the dimensions the mapping reads for revolute and continuous joints (mappings
/// naming a missing feature or dimension contribute nothing).
pub fn guess_angle_unit(tree: &KinematicTree, mapping: &JointMapping, features: &[FeatureColumns]) -> AngleUnit {
    let angular = mapping.joints.iter().filter(|source| {
        tree.joint_index(&source.joint).and_then(|j| tree.joint_kind(j)).is_some_and(|kind| kind.is_angular())
    });
    let values = angular.flat_map(|source| {
        let feature = features.iter().find(|f| f.name == source.feature && source.dimension < f.dims);
        feature.into_iter().flat_map(move |f| f.values.iter().skip(source.dimension).step_by(f.dims).copied())
    });
    angle_unit_from_values(values)
}

/// A mapping checked against one episode's features: joint index, feature index, dimension, factor to radians or
/// metres.
struct CompiledMapping {
    sources: Vec<(usize, usize, usize, f64)>,
    frames: usize,
}

fn compile(
    tree: &KinematicTree,
    mapping: &JointMapping,
    features: &[FeatureColumns],
) -> Result<CompiledMapping, TrajectoryError> {
    let mut sources = Vec::with_capacity(mapping.joints.len());
    let mut frames: Option<usize> = None;
    for source in &mapping.joints {
        let joint = tree
            .joint_index(&source.joint)
            .ok_or_else(|| TrajectoryError::UnknownJoint { joint: source.joint.clone() })?;
        let feature_index = features
            .iter()
            .position(|f| f.name == source.feature)
            .ok_or_else(|| TrajectoryError::MissingFeature { feature: source.feature.clone() })?;
        let feature = &features[feature_index];
        if feature.dims == 0 || !feature.values.len().is_multiple_of(feature.dims) {
            return Err(TrajectoryError::RaggedValues {
                feature: feature.name.to_string(),
                values: feature.values.len(),
                dims: feature.dims,
            });
        }
        if source.dimension >= feature.dims {
            return Err(TrajectoryError::DimensionOutOfRange {
                feature: feature.name.to_string(),
                dimension: source.dimension,
                dims: feature.dims,
            });
        }
        let feature_frames = feature.values.len() / feature.dims;
        match frames {
            None => frames = Some(feature_frames),
            Some(expected) if expected != feature_frames => {
                return Err(TrajectoryError::FrameCountMismatch {
                    feature: feature.name.to_string(),
                    frames: feature_frames,
                    expected,
                })
            }
            Some(_) => {}
        }
        let factor = match tree.joint_kind(joint) {
            Some(kind) if kind.is_angular() => mapping.angle_unit.to_radians_factor(),
            _ => 1.0,
        };
        sources.push((joint, feature_index, source.dimension, factor));
    }
    let frames = match frames {
        Some(frames) => frames,
        // Nothing mapped: the robot stands still for as many frames as the first feature has.
        None => features.first().and_then(|f| f.values.len().checked_div(f.dims)).unwrap_or(0),
    };
    Ok(CompiledMapping { sources, frames })
}

fn fill_positions(
    compiled: &CompiledMapping,
    features: &[FeatureColumns],
    frame: usize,
    positions: &mut JointPositions,
) {
    for &(joint, feature, dimension, factor) in &compiled.sources {
        let value = features
            .get(feature)
            .and_then(|f| f.values.get(frame * f.dims + dimension))
            .map_or(f64::NAN, |&v| f64::from(v) * factor);
        positions.set(joint, value);
    }
}

/// The joint values of frame `frame` (for drawing the robot at the cursor time). Unmapped joints are 0.
pub fn joint_positions_at(
    tree: &KinematicTree,
    mapping: &JointMapping,
    features: &[FeatureColumns],
    frame: usize,
) -> Result<JointPositions, TrajectoryError> {
    let compiled = compile(tree, mapping, features)?;
    if frame >= compiled.frames {
        return Err(TrajectoryError::FrameOutOfRange { frame, frames: compiled.frames });
    }
    let mut positions = tree.zero_positions();
    fill_positions(&compiled, features, frame, &mut positions);
    Ok(positions)
}

/// The world position of link `end_effector` (see [`KinematicTree::default_end_effector`]) at every frame of an
/// episode. A frame where a mapped value is not finite gives non-finite coordinates (a gap to draw as one).
pub fn end_effector_trajectory(
    tree: &KinematicTree,
    mapping: &JointMapping,
    features: &[FeatureColumns],
    end_effector: usize,
) -> Result<Vec<[f64; 3]>, TrajectoryError> {
    if end_effector >= tree.link_count() {
        return Err(TrajectoryError::UnknownLink { link: end_effector, links: tree.link_count() });
    }
    let compiled = compile(tree, mapping, features)?;
    let mut positions = tree.zero_positions();
    let mut poses = LinkPoses::default();
    let mut trajectory = Vec::with_capacity(compiled.frames);
    for frame in 0..compiled.frames {
        fill_positions(&compiled, features, frame, &mut positions);
        tree.forward_kinematics_into(&positions, &mut poses);
        let point = poses.get(end_effector).map_or([f64::NAN; 3], |pose| pose.translation);
        trajectory.push(point);
    }
    Ok(trajectory)
}
