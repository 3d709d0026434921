//! The robot in the 3D view: an episode's columns in the layout the kinematics reads, the
//! end-effector trajectory by forward kinematics, and the robot's links as primitives at one frame.
//! Plain logic over `episcope_core::robot` and `render3d`, tested natively.

use std::collections::HashMap;
use std::sync::Arc;

use episcope_core::lerobot::EpisodeFrames;
use episcope_core::robot::kinematics::LinkPoses;
use episcope_core::robot::mapping::{end_effector_trajectory, joint_positions_at};
use episcope_core::robot::{FeatureColumns, Geometry, JointMapping, KinematicTree, TrajectoryError, Transform};

use crate::render3d::{AxisScaling, Mat4, Primitive, PrimitiveKind, Scene, Trajectory};

/// Links without a colour of their own.
pub const DEFAULT_LINK_COLOR: [f32; 4] = [0.55, 0.6, 0.66, 0.85];

/// An episode's numeric features, row-major `f32` (frame `f`, dimension `d` at `f * dims + d`), as
/// the kinematics reads them.
pub struct RowMajorEpisode {
    pub features: Vec<(String, usize, Vec<f32>)>,
}

impl RowMajorEpisode {
    pub fn new(frames: &EpisodeFrames) -> Self {
        let features = frames
            .series
            .iter()
            .map(|series| {
                let dims = series.dimensions.len();
                let mut values = Vec::with_capacity(frames.frames.saturating_mul(dims));
                for frame in 0..frames.frames {
                    values.extend(series.dimensions.iter().map(|d| d.get(frame).map_or(f32::NAN, |v| *v as f32)));
                }
                (series.feature.clone(), dims, values)
            })
            .collect();
        Self { features }
    }

    pub fn columns(&self) -> Vec<FeatureColumns<'_>> {
        self.features.iter().map(|(name, dims, values)| FeatureColumns { name, dims: *dims, values }).collect()
    }
}

/// The `(feature, dimension names)` pairs joint matching looks at.
pub fn dimension_names(frames: &EpisodeFrames) -> Vec<(String, Vec<String>)> {
    frames.series.iter().map(|s| (s.feature.clone(), s.labels.clone())).collect()
}

/// A rigid transform (with a per-axis scale applied first, for meshes) as a column-major [`Mat4`].
pub fn mat4_from_transform(transform: &Transform, scale: [f64; 3]) -> Mat4 {
    let r = transform.rotation;
    let t = transform.translation;
    let column =
        |c: usize| [(r[0][c] * scale[c]) as f32, (r[1][c] * scale[c]) as f32, (r[2][c] * scale[c]) as f32, 0.0];
    [column(0), column(1), column(2), [t[0] as f32, t[1] as f32, t[2] as f32, 1.0]]
}

/// The end effector's path over the episode (metres, in the robot's base frame).
pub fn end_effector_path(
    tree: &KinematicTree,
    mapping: &JointMapping,
    episode: &RowMajorEpisode,
    frames: &EpisodeFrames,
) -> Result<Trajectory, TrajectoryError> {
    let points = end_effector_trajectory(tree, mapping, &episode.columns(), tree.default_end_effector())?;
    Ok(Trajectory {
        points: points.iter().map(|p| [p[0] as f32, p[1] as f32, p[2] as f32]).collect(),
        times_secs: frames.timestamps_secs.iter().map(|t| *t as f32).collect(),
        label: format!("episode {} end effector", frames.episode_index),
        highlight: true,
    })
}

/// The shape drawn for a URDF geometry; meshes come from `meshes` (by the URDF's filename) and
/// are skipped when not loaded.
fn primitive_kind(geometry: &Geometry, meshes: &HashMap<String, Arc<[f32]>>) -> Option<(PrimitiveKind, [f64; 3])> {
    Some(match geometry {
        Geometry::Box { size } => (PrimitiveKind::Box { size: size.map(|v| v as f32) }, [1.0; 3]),
        Geometry::Cylinder { radius, length } => {
            (PrimitiveKind::Cylinder { radius: *radius as f32, length: *length as f32 }, [1.0; 3])
        }
        Geometry::Sphere { radius } => (PrimitiveKind::Sphere { radius: *radius as f32 }, [1.0; 3]),
        Geometry::Mesh { filename, scale } => {
            (PrimitiveKind::Mesh { positions: meshes.get(filename)?.clone() }, *scale)
        }
    })
}

/// Every link visual at `frame`, posed by forward kinematics (same order at every frame, so only
/// the poses need updating when the cursor moves).
pub fn robot_primitives(
    tree: &KinematicTree,
    mapping: &JointMapping,
    episode: &RowMajorEpisode,
    frame: usize,
    meshes: &HashMap<String, Arc<[f32]>>,
) -> Result<Vec<Primitive>, TrajectoryError> {
    let positions = joint_positions_at(tree, mapping, &episode.columns(), frame)?;
    let mut poses = LinkPoses::default();
    tree.forward_kinematics_into(&positions, &mut poses);
    Ok(tree
        .visual_poses(&poses)
        .iter()
        .filter_map(|visual| {
            let (kind, scale) = primitive_kind(&visual.geometry, meshes)?;
            let color = visual.rgba.map(|c| c.map(|v| v as f32)).unwrap_or(DEFAULT_LINK_COLOR);
            Some(Primitive { kind, world_from_object: mat4_from_transform(&visual.world_from_visual, scale), color })
        })
        .collect())
}

/// The 3D scene of a robot episode: its end-effector path (and overlaid episodes' paths) in
/// metres with equal axes, and the links at `frame`.
pub fn robot_scene(
    end_effector_paths: Vec<Trajectory>,
    primitives: Vec<Primitive>,
    cursor_time_secs: Option<f64>,
) -> Scene {
    Scene {
        trajectories: end_effector_paths,
        cursor_time_secs: cursor_time_secs.map(|t| t as f32),
        primitives,
        axis_labels: ["x".to_string(), "y".to_string(), "z".to_string()],
        axis_units: ["m".to_string(), "m".to_string(), "m".to_string()],
        scaling: AxisScaling::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use episcope_core::lerobot::FeatureSeries;
    use episcope_core::robot::mapping::match_joints;
    use episcope_core::robot::Robot;

    /// Two revolute joints about z, links 1 m and 0.5 m along x: a planar arm.
    const PLANAR: &str = r#"<robot name="planar">
      <link name="base"/>
      <link name="upper"><visual><geometry><box size="1 0.1 0.1"/></geometry></visual></link>
      <link name="tool"><visual><geometry><mesh filename="package://arm/tool.stl" scale="2 2 2"/></geometry></visual></link>
      <joint name="shoulder" type="revolute"><parent link="base"/><child link="upper"/><axis xyz="0 0 1"/>
        <limit lower="-3" upper="3" effort="1" velocity="1"/></joint>
      <joint name="elbow" type="revolute"><parent link="upper"/><child link="tool"/><origin xyz="1 0 0"/><axis xyz="0 0 1"/>
        <limit lower="-3" upper="3" effort="1" velocity="1"/></joint>
      <link name="tip"/>
      <joint name="tip_fixed" type="fixed"><parent link="tool"/><child link="tip"/><origin xyz="0.5 0 0"/></joint>
    </robot>"#;

    fn episode() -> EpisodeFrames {
        let half_pi = std::f64::consts::FRAC_PI_2;
        EpisodeFrames {
            episode_index: 7,
            frames: 2,
            timestamps_secs: vec![0.0, 0.1],
            series: vec![FeatureSeries {
                feature: "observation.state".into(),
                labels: vec!["shoulder.pos".into(), "elbow.pos".into()],
                dimensions: vec![vec![0.0, half_pi], vec![0.0, -half_pi]],
            }],
        }
    }

    #[test]
    fn the_end_effector_follows_forward_kinematics() {
        let robot = Robot::parse(PLANAR, "planar.urdf").unwrap();
        let tree = KinematicTree::new(&robot).unwrap();
        let frames = episode();
        let mapping = match_joints(&tree, &dimension_names(&frames));
        assert_eq!(mapping.joints.len(), 2, "{mapping:?}");
        let rows = RowMajorEpisode::new(&frames);
        let path = end_effector_path(&tree, &mapping, &rows, &frames).unwrap();
        // Frame 0: stretched along x, 1.5 m. Frame 1: shoulder +90°, elbow −90°: (0.5, 1, 0).
        let close = |a: [f32; 3], b: [f32; 3]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5);
        assert!(close(path.points[0], [1.5, 0.0, 0.0]), "{:?}", path.points[0]);
        assert!(close(path.points[1], [0.5, 1.0, 0.0]), "{:?}", path.points[1]);
        assert_eq!(path.times_secs, vec![0.0, 0.1]);
    }

    #[test]
    fn links_are_posed_at_the_frame_and_meshes_scaled() {
        let robot = Robot::parse(PLANAR, "planar.urdf").unwrap();
        let tree = KinematicTree::new(&robot).unwrap();
        let frames = episode();
        let mapping = match_joints(&tree, &dimension_names(&frames));
        let rows = RowMajorEpisode::new(&frames);
        // Without the mesh loaded only the box is drawn.
        let none = HashMap::new();
        assert_eq!(robot_primitives(&tree, &mapping, &rows, 1, &none).unwrap().len(), 1);
        let mesh: Arc<[f32]> = Arc::from(vec![0.0f32, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
        let meshes: HashMap<String, Arc<[f32]>> = [("package://arm/tool.stl".to_string(), mesh)].into_iter().collect();
        let prims = robot_primitives(&tree, &mapping, &rows, 1, &meshes).unwrap();
        assert_eq!(prims.len(), 2);
        // Frame 1: the tool link sits at the elbow, (0, 1, 0), turned back to +x (90° − 90°), scaled ×2.
        let tool = &prims[1].world_from_object;
        assert!((tool[3][0] - 0.0).abs() < 1e-6 && (tool[3][1] - 1.0).abs() < 1e-6, "{tool:?}");
        assert!((tool[0][0] - 2.0).abs() < 1e-6 && tool[0][1].abs() < 1e-6, "{tool:?}");
        assert_eq!(prims[0].color, DEFAULT_LINK_COLOR);
        // A frame past the end is an error, not a panic.
        assert!(robot_primitives(&tree, &mapping, &rows, 5, &meshes).is_err());
    }

    #[test]
    fn transforms_become_column_major_matrices() {
        let quarter_turn_z =
            Transform { rotation: [[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], translation: [1.0, 2.0, 3.0] };
        let m = mat4_from_transform(&quarter_turn_z, [1.0; 3]);
        // The x axis maps to +y: column 0 is (0, 1, 0).
        assert_eq!(m[0], [0.0, 1.0, 0.0, 0.0]);
        assert_eq!(m[3], [1.0, 2.0, 3.0, 1.0]);
        let scene = robot_scene(vec![], vec![], Some(0.5));
        assert_eq!(scene.axis_units[0], "m");
        assert_eq!(scene.cursor_time_secs, Some(0.5));
    }
}
