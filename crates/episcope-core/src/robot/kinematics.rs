//! Forward kinematics: rigid transforms, and a kinematic tree built once per robot that turns joint values into
//! the `world_from_link` pose of every link (and of every visual) without allocating per frame.
//!
//! Conventions (URDF's): a joint's child frame is `parent_from_child = origin · motion(value)`, where `origin` is
//! the joint's `<origin>` (translation, then fixed-axis roll-pitch-yaw) and `motion` a rotation by `value` radians
//! about the joint's unit axis (revolute, continuous) or a translation by `value` metres along it (prismatic).
//! Fixed joints have no motion. Floating and planar joints are **treated as fixed**: a dataset has no single value
//! for them, and this module draws arms, not mobile bases. Limits are not enforced (a recorded value outside them
//! is drawn where it says). The root link is the world frame (identity). A mimic joint's value is
//! `multiplier × value(mimicked) + offset`, chains of mimics followed to the joint that is not one; the value a
//! caller gives a mimic joint itself is ignored.

use std::collections::HashMap;
use std::ops::Mul;

use serde::{Deserialize, Serialize};

use super::urdf::{normalised, quoted, Geometry, JointKind, Origin, Robot, MAX_JOINTS, MAX_LINKS};

/// Names listed in one error are cut to this many.
const MAX_NAMES_IN_ERROR: usize = 10;

/// A rigid transform `p ↦ rotation · p + translation` (f64). Named by what it maps, e.g. `world_from_link`
/// maps coordinates in the link's frame to coordinates in the world frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Transform {
    /// Row-major rotation matrix, `rotation[row][column]`; its columns are the frame's x, y, z axes.
    pub rotation: [[f64; 3]; 3],
    /// The frame's origin (metres).
    pub translation: [f64; 3],
}

impl Default for Transform {
    fn default() -> Self {
        Self::IDENTITY
    }
}

impl Transform {
    pub const IDENTITY: Transform =
        Transform { rotation: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], translation: [0.0; 3] };

    /// A pure translation.
    pub fn from_translation(translation: [f64; 3]) -> Self {
        Transform { translation, ..Self::IDENTITY }
    }

    /// URDF's `<origin xyz rpy>`: translation `xyz` and rotation `Rz(yaw) · Ry(pitch) · Rx(roll)` — roll about the
    /// fixed x axis first, then pitch about the fixed y axis, then yaw about the fixed z axis.
    pub fn from_xyz_rpy(xyz: [f64; 3], rpy: [f64; 3]) -> Self {
        let (sin_roll, cos_roll) = rpy[0].sin_cos();
        let (sin_pitch, cos_pitch) = rpy[1].sin_cos();
        let (sin_yaw, cos_yaw) = rpy[2].sin_cos();
        let rotation = [
            [
                cos_yaw * cos_pitch,
                cos_yaw * sin_pitch * sin_roll - sin_yaw * cos_roll,
                cos_yaw * sin_pitch * cos_roll + sin_yaw * sin_roll,
            ],
            [
                sin_yaw * cos_pitch,
                sin_yaw * sin_pitch * sin_roll + cos_yaw * cos_roll,
                sin_yaw * sin_pitch * cos_roll - cos_yaw * sin_roll,
            ],
            [-sin_pitch, cos_pitch * sin_roll, cos_pitch * cos_roll],
        ];
        Transform { rotation, translation: xyz }
    }

    pub fn from_origin(origin: &Origin) -> Self {
        Self::from_xyz_rpy(origin.xyz, origin.rpy)
    }

    /// A rotation by `angle_rad` about the unit vector `axis` (right-handed; Rodrigues' formula).
    pub fn from_axis_angle(axis: [f64; 3], angle_rad: f64) -> Self {
        let (sin, cos) = angle_rad.sin_cos();
        let one_minus_cos = 1.0 - cos;
        let [x, y, z] = axis;
        let rotation = [
            [cos + x * x * one_minus_cos, x * y * one_minus_cos - z * sin, x * z * one_minus_cos + y * sin],
            [y * x * one_minus_cos + z * sin, cos + y * y * one_minus_cos, y * z * one_minus_cos - x * sin],
            [z * x * one_minus_cos - y * sin, z * y * one_minus_cos + x * sin, cos + z * z * one_minus_cos],
        ];
        Transform { rotation, translation: [0.0; 3] }
    }

    /// `self · other`: first `other`, then `self` (so `world_from_a · a_from_b = world_from_b`).
    pub fn compose(&self, other: &Transform) -> Transform {
        let a = &self.rotation;
        let b = &other.rotation;
        let mut rotation = [[0.0; 3]; 3];
        for (row, out_row) in rotation.iter_mut().enumerate() {
            for (column, out) in out_row.iter_mut().enumerate() {
                *out = a[row][0] * b[0][column] + a[row][1] * b[1][column] + a[row][2] * b[2][column];
            }
        }
        Transform { rotation, translation: self.transform_point(other.translation) }
    }

    /// The rotation applied to a direction (no translation).
    pub fn rotate_vector(&self, v: [f64; 3]) -> [f64; 3] {
        let r = &self.rotation;
        [
            r[0][0] * v[0] + r[0][1] * v[1] + r[0][2] * v[2],
            r[1][0] * v[0] + r[1][1] * v[1] + r[1][2] * v[2],
            r[2][0] * v[0] + r[2][1] * v[1] + r[2][2] * v[2],
        ]
    }

    /// The transform applied to a point.
    pub fn transform_point(&self, p: [f64; 3]) -> [f64; 3] {
        let rotated = self.rotate_vector(p);
        [rotated[0] + self.translation[0], rotated[1] + self.translation[1], rotated[2] + self.translation[2]]
    }

    /// The inverse transform (`b_from_a` from `a_from_b`); the rotation is assumed orthonormal.
    pub fn inverse(&self) -> Transform {
        let r = &self.rotation;
        let rotation = [[r[0][0], r[1][0], r[2][0]], [r[0][1], r[1][1], r[2][1]], [r[0][2], r[1][2], r[2][2]]];
        let t = self.translation;
        let back = Transform { rotation, translation: [0.0; 3] }.rotate_vector(t);
        Transform { rotation, translation: [-back[0], -back[1], -back[2]] }
    }

    /// Column `index` (0, 1, 2) of the rotation: the frame's x, y or z axis in the outer frame.
    pub fn axis(&self, index: usize) -> [f64; 3] {
        let column = index.min(2);
        [self.rotation[0][column], self.rotation[1][column], self.rotation[2][column]]
    }

    /// The rotation as a unit quaternion `[x, y, z, w]` with `w ≥ 0` (what 3D libraries take).
    pub fn quaternion_xyzw(&self) -> [f64; 4] {
        let r = &self.rotation;
        let trace = r[0][0] + r[1][1] + r[2][2];
        let q = if trace > 0.0 {
            let s = (trace + 1.0).sqrt() * 2.0;
            [(r[2][1] - r[1][2]) / s, (r[0][2] - r[2][0]) / s, (r[1][0] - r[0][1]) / s, 0.25 * s]
        } else if r[0][0] > r[1][1] && r[0][0] > r[2][2] {
            let s = (1.0 + r[0][0] - r[1][1] - r[2][2]).sqrt() * 2.0;
            [0.25 * s, (r[0][1] + r[1][0]) / s, (r[0][2] + r[2][0]) / s, (r[2][1] - r[1][2]) / s]
        } else if r[1][1] > r[2][2] {
            let s = (1.0 + r[1][1] - r[0][0] - r[2][2]).sqrt() * 2.0;
            [(r[0][1] + r[1][0]) / s, 0.25 * s, (r[1][2] + r[2][1]) / s, (r[0][2] - r[2][0]) / s]
        } else {
            let s = (1.0 + r[2][2] - r[0][0] - r[1][1]).sqrt() * 2.0;
            [(r[0][2] + r[2][0]) / s, (r[1][2] + r[2][1]) / s, 0.25 * s, (r[1][0] - r[0][1]) / s]
        };
        if q[3] < 0.0 {
            [-q[0], -q[1], -q[2], -q[3]]
        } else {
            q
        }
    }
}

impl Mul for Transform {
    type Output = Transform;
    fn mul(self, other: Transform) -> Transform {
        self.compose(&other)
    }
}

/// Why a robot model does not form a kinematic tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    #[error("the robot has no links")]
    NoLinks,
    #[error("{count} {what}, more than the limit of {limit}")]
    TooMany { what: String, count: usize, limit: usize },
    #[error("two links are named `{name}`")]
    DuplicateLink { name: String },
    #[error("two joints are named `{name}`")]
    DuplicateJoint { name: String },
    #[error("joint `{joint}` names {end} link `{link}`, which does not exist")]
    UnknownLink { joint: String, end: String, link: String },
    #[error("link `{link}` is the child of two joints, `{first_joint}` and `{second_joint}`; a link has one parent")]
    TwoParents { link: String, first_joint: String, second_joint: String },
    #[error("joints {joints:?} form a cycle (link `{link}` is its own ancestor)")]
    Cycle { link: String, joints: Vec<String> },
    #[error("{count} links have no parent joint ({roots:?}); a robot has one root link")]
    SeveralRoots { count: usize, roots: Vec<String> },
    #[error("joint `{joint}` ({kind}) has a zero or non-finite axis")]
    ZeroAxis { joint: String, kind: String },
    #[error("joint `{joint}` mimics joint `{mimicked}`, which does not exist")]
    UnknownMimicJoint { joint: String, mimicked: String },
    #[error("joint `{joint}` mimics a chain of joints that leads back to itself")]
    MimicCycle { joint: String },
}

/// Joint values (radians for revolute and continuous joints, metres for prismatic ones), by joint index in the
/// robot's document order. A joint without a value is at 0.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JointPositions {
    values: Vec<f64>,
}

impl JointPositions {
    /// All `joint_count` joints at 0.
    pub fn zeros(joint_count: usize) -> Self {
        JointPositions { values: vec![0.0; joint_count] }
    }

    /// The value of joint `joint` (0 when it has none).
    pub fn get(&self, joint: usize) -> f64 {
        self.values.get(joint).copied().unwrap_or(0.0)
    }

    /// Sets joint `joint`; returns false (and changes nothing) when the index is past the joints it was made for.
    pub fn set(&mut self, joint: usize, value: f64) -> bool {
        match self.values.get_mut(joint) {
            Some(slot) => {
                *slot = value;
                true
            }
            None => false,
        }
    }

    /// Sets the joint named `name`; returns false when the tree has no such joint.
    pub fn set_by_name(&mut self, tree: &KinematicTree, name: &str, value: f64) -> bool {
        tree.joint_index(name).is_some_and(|joint| self.set(joint, value))
    }

    /// Every joint back to 0, keeping the allocation.
    pub fn reset(&mut self) {
        self.values.iter_mut().for_each(|value| *value = 0.0);
    }
}

/// The pose of every link in the world (root) frame, by link index in document order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkPoses {
    pub world_from_link: Vec<Transform>,
}

impl LinkPoses {
    pub fn get(&self, link: usize) -> Option<&Transform> {
        self.world_from_link.get(link)
    }
}

/// A visual placed in the world: what to draw for one link at one instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlacedVisual {
    pub link: String,
    /// The visual's index among its link's visuals.
    pub visual_index: usize,
    /// `world_from_link · link_from_visual`.
    pub world_from_visual: Transform,
    pub geometry: Geometry,
    pub rgba: Option<[f64; 4]>,
}

#[derive(Debug, Clone, Copy)]
enum Motion {
    Fixed,
    RotateAbout([f64; 3]),
    TranslateAlong([f64; 3]),
}

/// Where a joint's value comes from: the caller's value of `source`, scaled and offset (a joint that mimics no
/// other is its own source, ×1 + 0).
#[derive(Debug, Clone, Copy)]
struct ValueSource {
    source: usize,
    multiplier: f64,
    offset: f64,
}

/// One joint of the tree, in an order where every parent link's pose is known before its child's.
#[derive(Debug, Clone)]
struct Step {
    joint: usize,
    parent_link: usize,
    child_link: usize,
    parent_from_joint: Transform,
    motion: Motion,
}

#[derive(Debug, Clone)]
struct TreeVisual {
    link: usize,
    visual_index: usize,
    link_from_visual: Transform,
    geometry: Geometry,
    rgba: Option<[f64; 4]>,
}

/// A robot's links and joints arranged for forward kinematics: validated once, then evaluated per frame.
#[derive(Debug, Clone)]
pub struct KinematicTree {
    link_names: Vec<String>,
    joint_names: Vec<String>,
    joint_kinds: Vec<JointKind>,
    value_sources: Vec<ValueSource>,
    is_mimic: Vec<bool>,
    root_link: usize,
    /// Joints counted from the root to each link.
    link_depths: Vec<usize>,
    /// The parent link of each link (`None` for the root).
    parent_links: Vec<Option<usize>>,
    steps: Vec<Step>,
    visuals: Vec<TreeVisual>,
}

impl KinematicTree {
    /// Checks that the robot is a tree (known links, one parent per link, no cycle, exactly one root, unique
    /// names, usable axes, known mimic targets without cycles) and precomputes the evaluation order.
    pub fn new(robot: &Robot) -> Result<KinematicTree, TreeError> {
        if robot.links.is_empty() {
            return Err(TreeError::NoLinks);
        }
        for (what, count, limit) in
            [("links", robot.links.len(), MAX_LINKS), ("joints", robot.joints.len(), MAX_JOINTS)]
        {
            if count > limit {
                return Err(TreeError::TooMany { what: what.into(), count, limit });
            }
        }
        let mut link_by_name: HashMap<&str, usize> = HashMap::with_capacity(robot.links.len());
        for (index, link) in robot.links.iter().enumerate() {
            if link_by_name.insert(&link.name, index).is_some() {
                return Err(TreeError::DuplicateLink { name: quoted(&link.name) });
            }
        }
        let mut joint_by_name: HashMap<&str, usize> = HashMap::with_capacity(robot.joints.len());
        for (index, joint) in robot.joints.iter().enumerate() {
            if joint_by_name.insert(&joint.name, index).is_some() {
                return Err(TreeError::DuplicateJoint { name: quoted(&joint.name) });
            }
        }

        // Parent and child link of every joint; the joint above every link.
        let mut joint_links = Vec::with_capacity(robot.joints.len());
        let mut parent_joint_of_link: Vec<Option<usize>> = vec![None; robot.links.len()];
        for (joint_index, joint) in robot.joints.iter().enumerate() {
            let find = |name: &str, end: &str| {
                link_by_name.get(name).copied().ok_or_else(|| TreeError::UnknownLink {
                    joint: quoted(&joint.name),
                    end: end.into(),
                    link: quoted(name),
                })
            };
            let parent = find(&joint.parent, "parent")?;
            let child = find(&joint.child, "child")?;
            if let Some(first) = parent_joint_of_link[child] {
                return Err(TreeError::TwoParents {
                    link: quoted(&joint.child),
                    first_joint: quoted(&robot.joints[first].name),
                    second_joint: quoted(&joint.name),
                });
            }
            parent_joint_of_link[child] = Some(joint_index);
            joint_links.push((parent, child));
        }

        find_cycle(robot, &joint_links, &parent_joint_of_link)?;

        let roots: Vec<usize> = (0..robot.links.len()).filter(|&link| parent_joint_of_link[link].is_none()).collect();
        let root_link = match roots.as_slice() {
            [root] => *root,
            // With every link having a parent, following parents never ends: `find_cycle` has reported that.
            [] => return Err(TreeError::SeveralRoots { count: 0, roots: vec![] }),
            _ => {
                return Err(TreeError::SeveralRoots {
                    count: roots.len(),
                    roots: roots.iter().take(MAX_NAMES_IN_ERROR).map(|&link| quoted(&robot.links[link].name)).collect(),
                })
            }
        };

        // Breadth-first from the root: parents before children, siblings in document order.
        let mut child_joints: Vec<Vec<usize>> = vec![Vec::new(); robot.links.len()];
        for (joint_index, &(parent, _)) in joint_links.iter().enumerate() {
            child_joints[parent].push(joint_index);
        }
        let mut link_depths = vec![0usize; robot.links.len()];
        let mut steps = Vec::with_capacity(robot.joints.len());
        let mut queue = std::collections::VecDeque::from([root_link]);
        while let Some(link) = queue.pop_front() {
            for &joint_index in &child_joints[link] {
                let joint = &robot.joints[joint_index];
                let (parent_link, child_link) = joint_links[joint_index];
                let motion = match joint.kind {
                    JointKind::Revolute | JointKind::Continuous | JointKind::Prismatic => {
                        let axis = normalised(joint.axis).ok_or_else(|| TreeError::ZeroAxis {
                            joint: quoted(&joint.name),
                            kind: joint.kind.as_str().into(),
                        })?;
                        if joint.kind == JointKind::Prismatic {
                            Motion::TranslateAlong(axis)
                        } else {
                            Motion::RotateAbout(axis)
                        }
                    }
                    JointKind::Fixed | JointKind::Floating | JointKind::Planar => Motion::Fixed,
                };
                steps.push(Step {
                    joint: joint_index,
                    parent_link,
                    child_link,
                    parent_from_joint: Transform::from_origin(&joint.origin),
                    motion,
                });
                link_depths[child_link] = link_depths[parent_link] + 1;
                queue.push_back(child_link);
            }
        }

        let value_sources = resolve_mimics(robot, &joint_by_name)?;
        let is_mimic = robot.joints.iter().map(|joint| joint.mimic.is_some()).collect();

        let visuals = robot
            .links
            .iter()
            .enumerate()
            .flat_map(|(link, l)| {
                l.visuals.iter().enumerate().map(move |(visual_index, visual)| TreeVisual {
                    link,
                    visual_index,
                    link_from_visual: Transform::from_origin(&visual.origin),
                    geometry: visual.geometry.clone(),
                    rgba: visual.rgba,
                })
            })
            .collect();

        let parent_links = parent_joint_of_link.iter().map(|joint| joint.map(|j| joint_links[j].0)).collect();
        Ok(KinematicTree {
            parent_links,
            link_names: robot.links.iter().map(|link| link.name.clone()).collect(),
            joint_names: robot.joints.iter().map(|joint| joint.name.clone()).collect(),
            joint_kinds: robot.joints.iter().map(|joint| joint.kind).collect(),
            value_sources,
            is_mimic,
            root_link,
            link_depths,
            steps,
            visuals,
        })
    }

    pub fn link_count(&self) -> usize {
        self.link_names.len()
    }

    pub fn joint_count(&self) -> usize {
        self.joint_names.len()
    }

    pub fn link_index(&self, name: &str) -> Option<usize> {
        self.link_names.iter().position(|link| link == name)
    }

    pub fn joint_index(&self, name: &str) -> Option<usize> {
        self.joint_names.iter().position(|joint| joint == name)
    }

    pub fn link_name(&self, link: usize) -> Option<&str> {
        self.link_names.get(link).map(String::as_str)
    }

    pub fn joint_name(&self, joint: usize) -> Option<&str> {
        self.joint_names.get(joint).map(String::as_str)
    }

    pub fn joint_kind(&self, joint: usize) -> Option<JointKind> {
        self.joint_kinds.get(joint).copied()
    }

    /// The link `link` hangs from (`None` for the root, or an index out of range): with the link poses, what a
    /// stick figure of the robot connects.
    pub fn parent_link(&self, link: usize) -> Option<usize> {
        self.parent_links.get(link).copied().flatten()
    }

    /// The root link (the world frame).
    pub fn root_link(&self) -> usize {
        self.root_link
    }

    /// Joints a dataset dimension can drive: revolute, continuous and prismatic joints that mimic no other joint,
    /// in document order.
    pub fn driven_joints(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.joint_count())
            .filter(|&joint| self.joint_kinds[joint].is_driven_by_one_value() && !self.is_mimic[joint])
    }

    /// The default end effector: the tip of the longest chain of joints from the root (ties: the first such link
    /// in document order).
    pub fn default_end_effector(&self) -> usize {
        let mut best = self.root_link;
        for (link, &depth) in self.link_depths.iter().enumerate() {
            if depth > self.link_depths[best] {
                best = link;
            }
        }
        best
    }

    /// All joints at 0, sized for this tree.
    pub fn zero_positions(&self) -> JointPositions {
        JointPositions::zeros(self.joint_count())
    }

    /// The value a joint takes given the caller's values (mimic joints follow their source).
    pub fn joint_value(&self, joint: usize, positions: &JointPositions) -> f64 {
        match self.value_sources.get(joint) {
            Some(source) => source.multiplier * positions.get(source.source) + source.offset,
            None => 0.0,
        }
    }

    /// `world_from_link` of every link.
    pub fn forward_kinematics(&self, positions: &JointPositions) -> LinkPoses {
        let mut poses = LinkPoses::default();
        self.forward_kinematics_into(positions, &mut poses);
        poses
    }

    /// As [`Self::forward_kinematics`], into a buffer that is reused: after the first call with a buffer, no
    /// allocation.
    pub fn forward_kinematics_into(&self, positions: &JointPositions, poses: &mut LinkPoses) {
        poses.world_from_link.clear();
        poses.world_from_link.resize(self.link_count(), Transform::IDENTITY);
        for step in &self.steps {
            let world_from_parent = poses.world_from_link[step.parent_link];
            let world_from_joint = world_from_parent.compose(&step.parent_from_joint);
            let world_from_child = match step.motion {
                Motion::Fixed => world_from_joint,
                Motion::RotateAbout(axis) => {
                    world_from_joint.compose(&Transform::from_axis_angle(axis, self.joint_value(step.joint, positions)))
                }
                Motion::TranslateAlong(axis) => {
                    let distance = self.joint_value(step.joint, positions);
                    world_from_joint.compose(&Transform::from_translation([
                        axis[0] * distance,
                        axis[1] * distance,
                        axis[2] * distance,
                    ]))
                }
            };
            poses.world_from_link[step.child_link] = world_from_child;
        }
    }

    /// Every visual placed in the world, for drawing the links at one instant. Poses missing from `poses` (a
    /// buffer from another tree) count as identity.
    pub fn visual_poses(&self, poses: &LinkPoses) -> Vec<PlacedVisual> {
        self.visuals
            .iter()
            .map(|visual| PlacedVisual {
                link: self.link_names.get(visual.link).cloned().unwrap_or_default(),
                visual_index: visual.visual_index,
                world_from_visual: poses
                    .get(visual.link)
                    .copied()
                    .unwrap_or(Transform::IDENTITY)
                    .compose(&visual.link_from_visual),
                geometry: visual.geometry.clone(),
                rgba: visual.rgba,
            })
            .collect()
    }
}

/// `world_from_link` of every link of `tree` at `positions`.
pub fn forward_kinematics(tree: &KinematicTree, positions: &JointPositions) -> LinkPoses {
    tree.forward_kinematics(positions)
}

/// Every visual of `tree` placed in the world at `poses`.
pub fn visual_poses(tree: &KinematicTree, poses: &LinkPoses) -> Vec<PlacedVisual> {
    tree.visual_poses(poses)
}

/// Follows every link's parents; a walk that comes back to a link of itself is a cycle. Each link is walked once.
fn find_cycle(
    robot: &Robot,
    joint_links: &[(usize, usize)],
    parent_joint_of_link: &[Option<usize>],
) -> Result<(), TreeError> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Unvisited,
        OnWalk,
        Done,
    }
    let mut states = vec![State::Unvisited; robot.links.len()];
    let mut walk: Vec<usize> = Vec::new();
    for start in 0..robot.links.len() {
        walk.clear();
        let mut link = start;
        loop {
            match states[link] {
                State::Done => break,
                State::OnWalk => {
                    let first = walk.iter().position(|&l| l == link).unwrap_or(0);
                    let joints = walk[first..]
                        .iter()
                        .filter_map(|&l| parent_joint_of_link[l])
                        .take(MAX_NAMES_IN_ERROR)
                        .map(|joint| quoted(&robot.joints[joint].name))
                        .collect();
                    return Err(TreeError::Cycle { link: quoted(&robot.links[link].name), joints });
                }
                State::Unvisited => {
                    states[link] = State::OnWalk;
                    walk.push(link);
                    match parent_joint_of_link[link] {
                        Some(joint) => link = joint_links[joint].0,
                        None => break,
                    }
                }
            }
        }
        for &l in &walk {
            states[l] = State::Done;
        }
    }
    Ok(())
}

/// Each joint's value source: itself, or the end of its mimic chain with the multipliers and offsets composed.
fn resolve_mimics(robot: &Robot, joint_by_name: &HashMap<&str, usize>) -> Result<Vec<ValueSource>, TreeError> {
    let mut sources = Vec::with_capacity(robot.joints.len());
    for (index, joint) in robot.joints.iter().enumerate() {
        let mut source = ValueSource { source: index, multiplier: 1.0, offset: 0.0 };
        let mut steps = 0usize;
        while let Some(mimic) = &robot.joints[source.source].mimic {
            let mimicked =
                joint_by_name.get(mimic.joint.as_str()).copied().ok_or_else(|| TreeError::UnknownMimicJoint {
                    joint: quoted(&robot.joints[source.source].name),
                    mimicked: quoted(&mimic.joint),
                })?;
            // value(current) = m · value(mimicked) + o, and value(joint) = M · value(current) + O.
            source = ValueSource {
                source: mimicked,
                multiplier: source.multiplier * mimic.multiplier,
                offset: source.multiplier * mimic.offset + source.offset,
            };
            steps += 1;
            if steps > robot.joints.len() {
                return Err(TreeError::MimicCycle { joint: quoted(&joint.name) });
            }
        }
        sources.push(source);
    }
    Ok(sources)
}
