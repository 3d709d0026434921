//! Robot models: URDF parsing and validation, forward kinematics against poses derived by hand, joint ↔ dimension
//! matching on real LeRobot names, the angle-unit heuristic, end-effector trajectories, STL meshes and mesh paths.
//!
//! Expected poses are never computed with the code under test: each is derived by hand from the chain in the
//! comments beside it (rotations by multiples of π/2 keep them exact; one case uses π/4). Notation:
//! `Rx/Ry/Rz(θ)` rotate about the x/y/z axis; `Ry(π/2)` maps x → (0,0,−1), z → (1,0,0), y → y; `Rz(π/2)` maps
//! x → y, y → −x; `Rx(π/2)` maps y → z, z → −y. A pose is `world_from_link`: its translation is the link's origin
//! in the world, its rotation's columns are the link's x, y, z axes in the world.

mod common;

use std::f64::consts::{FRAC_1_SQRT_2, FRAC_PI_2, FRAC_PI_3, FRAC_PI_4, FRAC_PI_6, PI};

use episcope_core::robot::kinematics::{JointPositions, KinematicTree, Transform, TreeError};
use episcope_core::robot::mapping::{
    angle_unit_from_values, end_effector_trajectory, guess_angle_unit, joint_positions_at, match_joints,
    normalise_name, AngleUnit, FeatureColumns, JointMapping, JointSource, MatchKind, TrajectoryError,
};
use episcope_core::robot::stl::{parse_stl, parse_stl_with_limit, resolve_mesh_path, StlError, MAX_TRIANGLES};
use episcope_core::robot::urdf::{Geometry, JointKind, Robot, UrdfError, MAX_LINKS, MAX_URDF_BYTES};

const TOLERANCE: f64 = 1e-9;
const ARM6: &str = include_str!("fixtures/urdf/arm6.urdf");

fn assert_close(actual: [f64; 3], expected: [f64; 3], what: &str) {
    for axis in 0..3 {
        assert!(
            (actual[axis] - expected[axis]).abs() <= TOLERANCE,
            "{what}: got {actual:?}, expected {expected:?} (component {axis})"
        );
    }
}

/// Checks a pose: origin, and the x, y, z axes (columns of the rotation).
fn assert_pose(pose: &Transform, origin: [f64; 3], axes: [[f64; 3]; 3], what: &str) {
    assert_close(pose.translation, origin, &format!("{what} origin"));
    for (index, name) in ["x", "y", "z"].iter().enumerate() {
        assert_close(pose.axis(index), axes[index], &format!("{what} {name} axis"));
    }
}

fn tree_of(urdf: &str) -> (Robot, KinematicTree) {
    let robot = Robot::parse(urdf, "test.urdf").expect("the URDF parses");
    let tree = KinematicTree::new(&robot).expect("the robot is a tree");
    (robot, tree)
}

fn positions(tree: &KinematicTree, values: &[(&str, f64)]) -> JointPositions {
    let mut positions = tree.zero_positions();
    for &(name, value) in values {
        assert!(positions.set_by_name(tree, name, value), "no joint {name}");
    }
    positions
}

fn pose_of(tree: &KinematicTree, values: &[(&str, f64)], link: &str) -> Transform {
    let poses = tree.forward_kinematics(&positions(tree, values));
    *poses.get(tree.link_index(link).expect("link exists")).expect("pose exists")
}

fn parse_error(urdf: &str) -> UrdfError {
    Robot::parse(urdf, "bad.urdf").expect_err("the URDF must be refused")
}

fn structure_error(urdf: &str) -> TreeError {
    match parse_error(urdf) {
        UrdfError::Structure { problem, path } => {
            assert_eq!(path, "bad.urdf");
            problem
        }
        other => panic!("expected a structure error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Transforms

#[test]
fn rpy_is_fixed_axis_roll_then_pitch_then_yaw() {
    // Textbook R = Rz(yaw)·Ry(pitch)·Rx(roll), written out element by element.
    let (roll, pitch, yaw): (f64, f64, f64) = (0.3, -0.7, 1.1);
    let (sr, cr, sp, cp, sy, cy) = (roll.sin(), roll.cos(), pitch.sin(), pitch.cos(), yaw.sin(), yaw.cos());
    let expected = [
        [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
        [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
        [-sp, cp * sr, cp * cr],
    ];
    let transform = Transform::from_xyz_rpy([1.0, 2.0, 3.0], [roll, pitch, yaw]);
    for (row, expected_row) in expected.iter().enumerate() {
        assert_close(transform.rotation[row], *expected_row, &format!("row {row}"));
    }
    assert_close(transform.translation, [1.0, 2.0, 3.0], "translation");

    // The order matters: rpy = (π/2, π/2, 0) rolls first (x stays x), then pitches about the fixed y axis
    // (x → (0,0,−1)). The other order (pitch first, then roll) would send x to (0,1,0).
    let roll_then_pitch = Transform::from_xyz_rpy([0.0; 3], [FRAC_PI_2, FRAC_PI_2, 0.0]);
    assert_close(roll_then_pitch.rotate_vector([1.0, 0.0, 0.0]), [0.0, 0.0, -1.0], "x under rpy (π/2, π/2, 0)");
    // y: Rx(π/2) y = z, then Ry(π/2) z = x.
    assert_close(roll_then_pitch.rotate_vector([0.0, 1.0, 0.0]), [1.0, 0.0, 0.0], "y under rpy (π/2, π/2, 0)");

    // A point: yaw π/2 about z maps (1, 0, 0) to (0, 1, 0), then the translation is added.
    let yawed = Transform::from_xyz_rpy([0.5, 0.0, 0.0], [0.0, 0.0, FRAC_PI_2]);
    assert_close(yawed.transform_point([1.0, 0.0, 0.0]), [0.5, 1.0, 0.0], "point under yaw π/2");
}

#[test]
fn transforms_compose_invert_and_give_quaternions() {
    let quarter_turn_about_z = Transform::from_axis_angle([0.0, 0.0, 1.0], FRAC_PI_2);
    assert_close(quarter_turn_about_z.rotate_vector([1.0, 0.0, 0.0]), [0.0, 1.0, 0.0], "Rz(π/2) x");
    // A rotation by θ about a unit axis is the quaternion (axis·sin(θ/2), cos(θ/2)).
    let q = quarter_turn_about_z.quaternion_xyzw();
    for (got, want) in q.iter().zip([0.0, 0.0, FRAC_1_SQRT_2, FRAC_1_SQRT_2]) {
        assert!((got - want).abs() < TOLERANCE, "quaternion {q:?}");
    }
    // Half a turn about x: (1, 0, 0, 0) — the branch of the conversion where the trace is negative.
    let half_turn_about_x = Transform::from_axis_angle([1.0, 0.0, 0.0], PI).quaternion_xyzw();
    for (got, want) in half_turn_about_x.iter().zip([1.0, 0.0, 0.0, 0.0]) {
        assert!((got - want).abs() < TOLERANCE, "quaternion {half_turn_about_x:?}");
    }

    // a_from_b = Trans(1,0,0)·Rz(π/2); b_from_c = Trans(0,2,0): a_from_c maps c's origin to (1,0,0) + Rz(π/2)(0,2,0)
    // = (1,0,0) + (−2,0,0) = (−1,0,0).
    let a_from_b = Transform::from_xyz_rpy([1.0, 0.0, 0.0], [0.0, 0.0, FRAC_PI_2]);
    let b_from_c = Transform::from_translation([0.0, 2.0, 0.0]);
    let a_from_c = a_from_b * b_from_c;
    assert_close(a_from_c.translation, [-1.0, 0.0, 0.0], "composed origin");
    let identity = a_from_c * a_from_c.inverse();
    assert_pose(&identity, [0.0; 3], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], "T·T⁻¹");
}

// ---------------------------------------------------------------------------------------------------------------
// A planar two-link arm: shoulder and elbow about z, L1 = 0.5 m, L2 = 0.3 m, tip fixed at the end of link 2.

const PLANAR_2LINK: &str = r#"<robot name="planar2">
  <link name="base"/> <link name="upper"/> <link name="fore"/> <link name="tip"/>
  <joint name="shoulder" type="revolute"><parent link="base"/><child link="upper"/><axis xyz="0 0 1"/>
    <limit lower="-3.2" upper="3.2" effort="1" velocity="1"/></joint>
  <joint name="elbow" type="revolute"><parent link="upper"/><child link="fore"/><origin xyz="0.5 0 0"/>
    <axis xyz="0 0 1"/><limit lower="-3.2" upper="3.2" effort="1" velocity="1"/></joint>
  <joint name="tip_joint" type="fixed"><parent link="fore"/><child link="tip"/><origin xyz="0.3 0 0"/></joint>
</robot>"#;

#[test]
fn planar_two_link_arm_matches_hand_computed_tip_poses() {
    let (_, tree) = tree_of(PLANAR_2LINK);
    let sqrt3 = 3f64.sqrt();
    // tip = (L1·cos q1 + L2·cos(q1+q2), L1·sin q1 + L2·sin(q1+q2), 0); the tip's x axis is (cos(q1+q2), sin(q1+q2), 0).
    let cases: [(f64, f64, [f64; 3], [f64; 3]); 7] = [
        (0.0, 0.0, [0.8, 0.0, 0.0], [1.0, 0.0, 0.0]),
        (FRAC_PI_2, 0.0, [0.0, 0.8, 0.0], [0.0, 1.0, 0.0]),
        // (0.5, 0) + 0.3·(cos π/2, sin π/2)
        (0.0, FRAC_PI_2, [0.5, 0.3, 0.0], [0.0, 1.0, 0.0]),
        // (0, 0.5) + 0.3·(cos 0, sin 0)
        (FRAC_PI_2, -FRAC_PI_2, [0.3, 0.5, 0.0], [1.0, 0.0, 0.0]),
        // (0, −0.5) + 0.3·(1, 0)
        (-FRAC_PI_2, FRAC_PI_2, [0.3, -0.5, 0.0], [1.0, 0.0, 0.0]),
        // (0.5·cos π/3, 0.5·sin π/3) + 0.3·(cos π/2, sin π/2) = (0.25, 0.25·√3 + 0.3)
        (FRAC_PI_3, FRAC_PI_6, [0.25, 0.25 * sqrt3 + 0.3, 0.0], [0.0, 1.0, 0.0]),
        // Folded back: (0.5, 0) + 0.3·(cos π, sin π) = (0.2, 0)
        (0.0, PI, [0.2, 0.0, 0.0], [-1.0, 0.0, 0.0]),
    ];
    for (q1, q2, tip, tip_x_axis) in cases {
        let pose = pose_of(&tree, &[("shoulder", q1), ("elbow", q2)], "tip");
        let what = format!("tip at q = ({q1}, {q2})");
        assert_pose(&pose, tip, [tip_x_axis, [-tip_x_axis[1], tip_x_axis[0], 0.0], [0.0, 0.0, 1.0]], &what);
        // The elbow sits at (L1·cos q1, L1·sin q1, 0).
        assert_close(
            pose_of(&tree, &[("shoulder", q1), ("elbow", q2)], "fore").translation,
            [0.5 * q1.cos(), 0.5 * q1.sin(), 0.0],
            "elbow",
        );
    }
    assert_eq!(tree.link_name(tree.default_end_effector()), Some("tip"));
}

// ---------------------------------------------------------------------------------------------------------------
// The 6-DoF arm of tests/fixtures/urdf/arm6.urdf.
//
// Chain (parent_from_child = Trans(xyz)·Rrpy · motion(q)):
//   base_link → link1: Trans(0, 0, 0.1)              · Rz(q1)
//   link1 → link2:     Trans(0, 0.1, 0)·Ry(π/2)       · Ry(q2)
//   link2 → link3:     Trans(0, −0.05, 0.4)           · Ry(q3)
//   link3 → link4:     Trans(0, 0, 0.3)·Ry(π/2)       · Ry(q4)
//   link4 → link5:     Trans(0, 0.1, 0)               · Rz(q5)
//   link5 → link6:     Trans(0, 0, 0.1)               · Ry(q6)
//   link6 → tool0:     Trans(0, 0.1, 0)·R(rpy = π/2, 0, π/2)   (fixed)
// R(rpy = π/2, 0, π/2) = Rz(π/2)·Rx(π/2): x → Rz(x) = y; y → Rz(z) = z; z → Rz(−y) = x.

#[test]
fn arm6_parses_with_visuals_materials_and_ignored_elements() {
    let (robot, tree) = tree_of(ARM6);
    assert_eq!(robot.name, "arm6");
    assert_eq!(robot.links.len(), 8);
    assert_eq!(robot.joints.len(), 7);
    assert!(robot.ignored.is_empty(), "{:?}", robot.ignored);
    let names: Vec<&str> = tree.driven_joints().filter_map(|j| tree.joint_name(j)).collect();
    assert_eq!(
        names,
        ["shoulder_pan_joint", "shoulder_lift_joint", "elbow_joint", "wrist_1_joint", "wrist_2_joint", "wrist_3_joint"]
    );
    let lift = &robot.joints[1];
    assert_eq!(lift.kind, JointKind::Revolute);
    assert_eq!((lift.parent.as_str(), lift.child.as_str()), ("link1", "link2"));
    assert_eq!(lift.origin.rpy, [0.0, FRAC_PI_2, 0.0]);
    assert_eq!(lift.axis, [0.0, 1.0, 0.0]);
    let limit = lift.limit.expect("limit");
    assert_eq!((limit.lower, limit.upper, limit.effort, limit.velocity), (-2.9, 2.9, 150.0, 3.15));
    assert_eq!(robot.joints[5].kind, JointKind::Continuous);
    assert_eq!(robot.joints[6].kind, JointKind::Fixed);
    assert_eq!(robot.joints[6].axis, [1.0, 0.0, 0.0], "the default axis");

    // Visuals: a named top-level material, a material defined inline in one visual and used by name in another.
    let base = &robot.links[0].visuals[0];
    assert_eq!(base.geometry, Geometry::Cylinder { radius: 0.06, length: 0.1 });
    assert_eq!((base.material.as_deref(), base.rgba), (Some("grey"), Some([0.5, 0.5, 0.5, 1.0])));
    let link1 = &robot.links[1].visuals[0];
    assert_eq!(
        link1.geometry,
        Geometry::Mesh {
            filename: "package://arm6_description/meshes/visual/link1.stl".into(),
            scale: [0.001, 0.001, 0.001]
        }
    );
    assert_eq!(robot.links[2].visuals[0].rgba, Some([0.0, 0.0, 0.8, 1.0]), "blue, by name from link1's visual");
    assert_eq!(robot.links[3].visuals[0].rgba, None);
    assert_eq!(robot.links[6].visuals[0].geometry, Geometry::Sphere { radius: 0.03 });
    assert!(robot.links[4].visuals.is_empty());

    // tool0 ends the longest chain (7 joints).
    assert_eq!(tree.link_name(tree.default_end_effector()), Some("tool0"));
    assert_eq!(tree.link_name(tree.root_link()), Some("base_link"));
    let parent_of = |name: &str| tree.parent_link(tree.link_index(name).expect("link")).and_then(|p| tree.link_name(p));
    assert_eq!((parent_of("tool0"), parent_of("link2"), parent_of("base_link")), (Some("link6"), Some("link1"), None));
}

#[test]
fn arm6_at_zero() {
    // link1 = (0,0,0.1), R = I.
    // link2 = (0,0.1,0.1), R = Ry(π/2) =: A (x → (0,0,−1), y → y, z → (1,0,0)).
    // link3 = link2 + A(0,−0.05,0.4) = (0,0.1,0.1) + (0.4,−0.05,0) = (0.4,0.05,0.1), R = A.
    // link4 = link3 + A(0,0,0.3) = (0.7,0.05,0.1), R = A·Ry(π/2) = Ry(π) (x → −x, z → −z).
    // link5 = link4 + Ry(π)(0,0.1,0) = (0.7,0.15,0.1); link6 = link5 + Ry(π)(0,0,0.1) = (0.7,0.15,0), R = Ry(π).
    // tool0 = link6 + Ry(π)(0,0.1,0) = (0.7,0.25,0); axes Ry(π)·(y, z, x) = (y, −z, −x).
    let (_, tree) = tree_of(ARM6);
    let poses = tree.forward_kinematics(&tree.zero_positions());
    let link = |name: &str| poses.get(tree.link_index(name).expect("link")).copied().expect("pose");
    let (x, y, z) = ([1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]);
    let (minus_x, minus_z) = ([-1.0, 0.0, 0.0], [0.0, 0.0, -1.0]);
    assert_pose(&link("base_link"), [0.0; 3], [x, y, z], "base_link");
    assert_pose(&link("link1"), [0.0, 0.0, 0.1], [x, y, z], "link1");
    assert_pose(&link("link2"), [0.0, 0.1, 0.1], [minus_z, y, x], "link2");
    assert_pose(&link("link3"), [0.4, 0.05, 0.1], [minus_z, y, x], "link3");
    assert_pose(&link("link4"), [0.7, 0.05, 0.1], [minus_x, y, minus_z], "link4");
    assert_pose(&link("link5"), [0.7, 0.15, 0.1], [minus_x, y, minus_z], "link5");
    assert_pose(&link("link6"), [0.7, 0.15, 0.0], [minus_x, y, minus_z], "link6");
    assert_pose(&link("tool0"), [0.7, 0.25, 0.0], [y, minus_z, minus_x], "tool0");
}

#[test]
fn arm6_shoulder_pan_quarter_turn() {
    // q1 = π/2 turns everything after link1 by Rz(π/2) about the z axis through the origin: (x, y, z) → (−y, x, z).
    // tool0 = Rz(π/2)(0.7, 0.25, 0) = (−0.25, 0.7, 0); axes Rz(π/2)·(y, −z, −x) = (−x, −z, −y).
    let (_, tree) = tree_of(ARM6);
    let tool = pose_of(&tree, &[("shoulder_pan_joint", FRAC_PI_2)], "tool0");
    assert_pose(&tool, [-0.25, 0.7, 0.0], [[-1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, -1.0, 0.0]], "tool0");
    let link6 = pose_of(&tree, &[("shoulder_pan_joint", FRAC_PI_2)], "link6");
    assert_close(link6.translation, [-0.15, 0.7, 0.0], "link6 = Rz(π/2)(0.7, 0.15, 0)");
}

#[test]
fn arm6_upright() {
    // q2 = −π/2: link2's rotation is Ry(π/2)·Ry(−π/2) = I, so the rest of the arm stands in link2's frame as is.
    // In link2's frame (from the zero pose, link2_from_tool0 = A⁻¹ (world − link2) with A⁻¹ = Ry(−π/2), which maps
    // x → (0,0,1), z → (−1,0,0)): tool0 at A⁻¹(0.7, 0.15, −0.1) = (0.1, 0.15, 0.7); its axes A⁻¹·(y, −z, −x) =
    // (y, x, −z). Chain check: (0,−0.05,0.4) + (0,0,0.3) + Ry(π/2)(0,0.1,0) + Ry(π/2)(0,0,0.1) + Ry(π/2)(0,0.1,0)
    // = (0, −0.05, 0.7) + (0, 0.1, 0) + (0.1, 0, 0) + (0, 0.1, 0) = (0.1, 0.15, 0.7).
    // World: (0, 0.1, 0.1) + (0.1, 0.15, 0.7) = (0.1, 0.25, 0.8).
    let (_, tree) = tree_of(ARM6);
    let tool = pose_of(&tree, &[("shoulder_lift_joint", -FRAC_PI_2)], "tool0");
    assert_pose(&tool, [0.1, 0.25, 0.8], [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]], "tool0");
}

#[test]
fn arm6_upright_with_elbow_and_wrist_turned() {
    // q2 = −π/2, q3 = π/2, q5 = π/2.
    // link2 = (0, 0.1, 0.1), R = I.
    // link3 = (0, 0.1, 0.1) + (0, −0.05, 0.4) = (0, 0.05, 0.5), R = Ry(q3) = Ry(π/2) = A.
    // link4 = link3 + A(0, 0, 0.3) = (0.3, 0.05, 0.5), R = A·Ry(π/2)·Ry(0) = Ry(π).
    // link5 = link4 + Ry(π)(0, 0.1, 0) = (0.3, 0.15, 0.5), R = Ry(π)·Rz(π/2): x → Ry(π)y = y; y → Ry(π)(−x) = x;
    //         z → −z.
    // link6 = link5 + R5(0, 0, 0.1) = (0.3, 0.15, 0.4), R = R5.
    // tool0 = link6 + R5(0, 0.1, 0) = (0.4, 0.15, 0.4); axes R5·(y, z, x) = (x, −z, y).
    let (_, tree) = tree_of(ARM6);
    let q = [("shoulder_lift_joint", -FRAC_PI_2), ("elbow_joint", FRAC_PI_2), ("wrist_2_joint", FRAC_PI_2)];
    assert_pose(
        &pose_of(&tree, &q, "link5"),
        [0.3, 0.15, 0.5],
        [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]],
        "link5",
    );
    let tool = pose_of(&tree, &q, "tool0");
    assert_pose(&tool, [0.4, 0.15, 0.4], [[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]], "tool0");
}

#[test]
fn arm6_eighth_turn_of_the_base_and_quarter_turn_of_the_last_wrist() {
    // q1 = π/4, q6 = π/2. Before q1: link6's rotation is Ry(π)·Ry(π/2) = Ry(−π/2) (x → (0,0,1), z → (−1,0,0));
    // tool0 = link6 + Ry(−π/2)(0, 0.1, 0) = (0.7, 0.25, 0) — the same place as at zero (q6 turns about y, along
    // which the tool is offset); tool0's axes Ry(−π/2)·(y, z, x) = (y, −x, z).
    // Then Rz(π/4) (c = s = 1/√2): (x, y, z) → (c·x − s·y, s·x + c·y, z):
    //   origin (0.7, 0.25, 0) → (0.45/√2, 0.95/√2, 0); y → (−s, c, 0); −x → (−c, −s, 0); z → z.
    let (_, tree) = tree_of(ARM6);
    let tool = pose_of(&tree, &[("shoulder_pan_joint", FRAC_PI_4), ("wrist_3_joint", FRAC_PI_2)], "tool0");
    let h = FRAC_1_SQRT_2;
    assert_pose(&tool, [0.45 * h, 0.95 * h, 0.0], [[-h, h, 0.0], [-h, -h, 0.0], [0.0, 0.0, 1.0]], "tool0");
}

#[test]
fn visuals_are_placed_on_their_links() {
    let (_, tree) = tree_of(ARM6);
    let poses = tree.forward_kinematics(&tree.zero_positions());
    let visuals = tree.visual_poses(&poses);
    assert_eq!(visuals.len(), 5);
    // link2's box sits 0.2 m along link2's z axis, which at zero is the world x axis: (0, 0.1, 0.1) + (0.2, 0, 0).
    let box_visual = visuals.iter().find(|v| v.link == "link2").expect("link2 visual");
    assert_eq!(box_visual.geometry, Geometry::Box { size: [0.05, 0.05, 0.4] });
    assert_close(box_visual.world_from_visual.translation, [0.2, 0.1, 0.1], "link2 box");
    assert_close(box_visual.world_from_visual.axis(2), [1.0, 0.0, 0.0], "link2 box z axis");
    // The base cylinder does not move: (0, 0, 0.05).
    let base = visuals.iter().find(|v| v.link == "base_link").expect("base visual");
    assert_close(base.world_from_visual.translation, [0.0, 0.0, 0.05], "base cylinder");
    assert_eq!(base.rgba, Some([0.5, 0.5, 0.5, 1.0]));
}

// ---------------------------------------------------------------------------------------------------------------
// Joint kinds

#[test]
fn prismatic_joint_translates_along_its_normalised_axis_in_the_joint_frame() {
    // The joint frame is rolled by π/2, so its z axis is the world's Rx(π/2)z = −y; the axis `0 0 2` is z.
    // At q = 0.25 m the carriage is at (0.1, 0, 0) + 0.25·(0, −1, 0).
    let urdf = r#"<robot name="slider"><link name="rail"/><link name="carriage"/>
      <joint name="slide" type="prismatic"><parent link="rail"/><child link="carriage"/>
        <origin xyz="0.1 0 0" rpy="1.5707963267948966 0 0"/><axis xyz="0 0 2"/>
        <limit lower="0" upper="0.5" effort="10" velocity="1"/></joint></robot>"#;
    let (robot, tree) = tree_of(urdf);
    assert_eq!(robot.joints[0].axis, [0.0, 0.0, 1.0], "the axis is stored normalised");
    assert_close(pose_of(&tree, &[("slide", 0.25)], "carriage").translation, [0.1, -0.25, 0.0], "carriage");
    assert_close(pose_of(&tree, &[("slide", 0.0)], "carriage").translation, [0.1, 0.0, 0.0], "carriage at 0");
}

#[test]
fn fixed_floating_and_planar_joints_keep_their_origin() {
    // a = Trans(1,0,0)·Rz(π/2); b = a·Trans(1,0,0) = (1,0,0) + Rz(π/2)(1,0,0) = (1,1,0).
    // floating and planar joints are treated as fixed: c = b + (0,0,1), d = c + (0,0,2), whatever their values.
    let urdf = r#"<robot name="fixed">
      <link name="base"/><link name="a"/><link name="b"/><link name="c"/><link name="d"/>
      <joint name="to_a" type="fixed"><parent link="base"/><child link="a"/>
        <origin xyz="1 0 0" rpy="0 0 1.5707963267948966"/><axis xyz="0 0 0"/></joint>
      <joint name="to_b" type="fixed"><parent link="a"/><child link="b"/><origin xyz="1 0 0"/></joint>
      <joint name="to_c" type="floating"><parent link="b"/><child link="c"/><origin xyz="0 0 1"/></joint>
      <joint name="to_d" type="planar"><parent link="c"/><child link="d"/><origin xyz="0 0 2"/>
        <axis xyz="0 0 1"/></joint>
      </robot>"#;
    let (_, tree) = tree_of(urdf);
    assert_eq!(tree.driven_joints().count(), 0);
    let moved = [("to_c", 5.0), ("to_d", 7.0)];
    assert_pose(
        &pose_of(&tree, &moved, "b"),
        [1.0, 1.0, 0.0],
        [[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 1.0]],
        "b",
    );
    assert_close(pose_of(&tree, &moved, "d").translation, [1.0, 1.0, 3.0], "d");
}

const GRIPPER: &str = r#"<robot name="gripper">
  <link name="palm"/><link name="left"/><link name="right"/><link name="tip"/>
  <joint name="left_finger" type="prismatic"><parent link="palm"/><child link="left"/><origin xyz="0 0.02 0"/>
    <axis xyz="0 1 0"/><limit lower="0" upper="0.04" effort="1" velocity="1"/></joint>
  <joint name="right_finger" type="prismatic"><parent link="palm"/><child link="right"/><origin xyz="0 -0.02 0"/>
    <axis xyz="0 1 0"/><limit lower="-0.04" upper="0" effort="1" velocity="1"/>
    <mimic joint="left_finger" multiplier="-1" offset="0.005"/></joint>
  <joint name="tip_roll" type="revolute"><parent link="right"/><child link="tip"/><axis xyz="1 0 0"/>
    <limit lower="-1" upper="1" effort="1" velocity="1"/><mimic joint="right_finger" multiplier="2"/></joint>
</robot>"#;

#[test]
fn mimic_joints_follow_their_source_through_chains() {
    let (_, tree) = tree_of(GRIPPER);
    let driven: Vec<&str> = tree.driven_joints().filter_map(|j| tree.joint_name(j)).collect();
    assert_eq!(driven, ["left_finger"], "mimic joints are not driven by the data");
    // left_finger = 0.01: left at (0, 0.02 + 0.01, 0).
    // right_finger = −1·0.01 + 0.005 = −0.005: right at (0, −0.02 − 0.005, 0).
    // tip_roll = 2·(−0.005) = −0.01 rad about x: tip's y axis (0, cos −0.01, sin −0.01).
    // A value given to a mimic joint itself (right_finger = 0.3) is ignored.
    let q = [("left_finger", 0.01), ("right_finger", 0.3)];
    assert_close(pose_of(&tree, &q, "left").translation, [0.0, 0.03, 0.0], "left finger");
    assert_close(pose_of(&tree, &q, "right").translation, [0.0, -0.025, 0.0], "right finger");
    let tip = pose_of(&tree, &q, "tip");
    assert_close(tip.axis(1), [0.0, (-0.01f64).cos(), (-0.01f64).sin()], "tip y axis");
    let at_zero = tree.forward_kinematics(&tree.zero_positions());
    assert_close(at_zero.world_from_link[2].translation, [0.0, -0.015, 0.0], "offset alone: −0.02 + 0.005");
}

#[test]
fn joints_without_values_are_at_zero() {
    let (_, tree) = tree_of(ARM6);
    let at_zero = tree.forward_kinematics(&tree.zero_positions());
    // A positions buffer made for no joints at all, and one whose values were reset, give the zero pose.
    assert_eq!(tree.forward_kinematics(&JointPositions::zeros(0)), at_zero);
    let mut moved = positions(&tree, &[("elbow_joint", 1.0)]);
    assert_ne!(tree.forward_kinematics(&moved), at_zero, "a value moves the arm");
    moved.reset();
    assert_eq!(tree.forward_kinematics(&moved), at_zero);
    assert!(!moved.set_by_name(&tree, "no_such_joint", 1.0));
    assert!(!moved.set(99, 1.0));
}

#[test]
fn forward_kinematics_into_reuses_its_buffer() {
    let (_, tree) = tree_of(ARM6);
    let mut poses = Default::default();
    tree.forward_kinematics_into(&positions(&tree, &[("shoulder_pan_joint", FRAC_PI_2)]), &mut poses);
    tree.forward_kinematics_into(&tree.zero_positions(), &mut poses);
    assert_eq!(poses, tree.forward_kinematics(&tree.zero_positions()), "nothing of the previous frame remains");
}

// ---------------------------------------------------------------------------------------------------------------
// Validation

fn links(names: &[&str]) -> String {
    names.iter().map(|n| format!(r#"<link name="{n}"/>"#)).collect()
}

fn joint(name: &str, parent: &str, child: &str) -> String {
    format!(r#"<joint name="{name}" type="fixed"><parent link="{parent}"/><child link="{child}"/></joint>"#)
}

#[test]
fn cycles_are_refused() {
    // base is the root; b → c → b is a loop hanging off nothing.
    let urdf = format!(
        r#"<robot name="r">{}{}{}{}</robot>"#,
        links(&["base", "a", "b", "c"]),
        joint("j1", "base", "a"),
        joint("j2", "b", "c"),
        joint("j3", "c", "b")
    );
    match structure_error(&urdf) {
        TreeError::Cycle { joints, .. } => {
            let mut joints = joints;
            joints.sort();
            assert_eq!(joints, ["j2", "j3"]);
        }
        other => panic!("expected a cycle, got {other:?}"),
    }
    // A joint from a link to itself.
    let urdf = format!(
        r#"<robot name="r">{}{}{}</robot>"#,
        links(&["base", "a"]),
        joint("j1", "base", "base"),
        joint("j2", "base", "a")
    );
    assert!(matches!(structure_error(&urdf), TreeError::Cycle { link, .. } if link == "base"));
    // Every link has a parent: no root at all.
    let urdf =
        format!(r#"<robot name="r">{}{}{}</robot>"#, links(&["a", "b"]), joint("j1", "a", "b"), joint("j2", "b", "a"));
    assert!(matches!(structure_error(&urdf), TreeError::Cycle { .. }));
}

#[test]
fn a_link_with_two_parents_is_refused() {
    let urdf = format!(
        r#"<robot name="r">{}{}{}{}</robot>"#,
        links(&["base", "a", "c"]),
        joint("j1", "base", "a"),
        joint("j2", "base", "c"),
        joint("j3", "a", "c")
    );
    assert_eq!(
        structure_error(&urdf),
        TreeError::TwoParents { link: "c".into(), first_joint: "j2".into(), second_joint: "j3".into() }
    );
}

#[test]
fn joints_naming_missing_links_are_refused() {
    let urdf = format!(r#"<robot name="r">{}{}</robot>"#, links(&["base"]), joint("j1", "nowhere", "base"));
    assert_eq!(
        structure_error(&urdf),
        TreeError::UnknownLink { joint: "j1".into(), end: "parent".into(), link: "nowhere".into() }
    );
    let urdf = format!(r#"<robot name="r">{}{}</robot>"#, links(&["base"]), joint("j1", "base", "hand"));
    assert!(
        matches!(structure_error(&urdf), TreeError::UnknownLink { end, link, .. } if end == "child" && link == "hand")
    );
}

#[test]
fn several_roots_or_no_links_are_refused() {
    let urdf = format!(r#"<robot name="r">{}{}</robot>"#, links(&["base", "a", "island"]), joint("j1", "base", "a"));
    assert_eq!(
        structure_error(&urdf),
        TreeError::SeveralRoots { count: 2, roots: vec!["base".into(), "island".into()] }
    );
    assert_eq!(structure_error(r#"<robot name="empty"/>"#), TreeError::NoLinks);
}

#[test]
fn duplicate_names_are_refused_with_their_line() {
    let urdf = "<robot name=\"r\">\n<link name=\"a\"/>\n<link name=\"a\"/>\n</robot>";
    assert_eq!(parse_error(urdf), UrdfError::DuplicateLink { name: "a".into(), line: 3, path: "bad.urdf".into() });
    let urdf = format!(
        "<robot name=\"r\">{}\n{}\n{}</robot>",
        links(&["a", "b", "c"]),
        joint("j", "a", "b"),
        joint("j", "a", "c")
    );
    assert!(matches!(parse_error(&urdf), UrdfError::DuplicateJoint { name, line: 3, .. } if name == "j"));
}

#[test]
fn bad_numbers_are_refused() {
    let with_origin = |xyz: &str| {
        format!(
            "<robot name=\"r\">{}<joint name=\"j\" type=\"fixed\"><parent link=\"a\"/><child link=\"b\"/>\n\
             <origin xyz=\"{xyz}\"/></joint></robot>",
            links(&["a", "b"])
        )
    };
    assert!(matches!(parse_error(&with_origin("0 0 abc")),
        UrdfError::MalformedNumber { element, attribute, value, line: 2, .. }
            if element == "origin" && attribute == "xyz" && value == "abc"));
    assert!(matches!(parse_error(&with_origin("0 0 1,5")), UrdfError::MalformedNumber { value, .. } if value == "1,5"));
    for non_finite in ["nan", "inf", "-infinity", "1e400"] {
        let error = parse_error(&with_origin(&format!("0 {non_finite} 0")));
        assert!(matches!(error, UrdfError::NonFinite { ref value, .. } if value == non_finite), "{error:?}");
    }
    assert!(matches!(parse_error(&with_origin("0 0")), UrdfError::WrongLength { expected: 3, found: 2, .. }));
    assert!(matches!(parse_error(&with_origin("1 2 3 4")), UrdfError::WrongLength { expected: 3, found: 4, .. }));
    assert!(matches!(parse_error(&with_origin("")), UrdfError::WrongLength { expected: 3, found: 0, .. }));
    let long = vec!["1"; 100_000].join(" ");
    assert!(matches!(parse_error(&with_origin(&long)), UrdfError::WrongLength { expected: 3, found: 4, .. }));
    // A colour with three components.
    let urdf = r#"<robot name="r"><link name="a"><visual><geometry><sphere radius="1"/></geometry>
        <material name="m"><color rgba="1 0 0"/></material></visual></link></robot>"#;
    let error = parse_error(urdf);
    assert!(
        matches!(error, UrdfError::WrongLength { expected: 4, found: 3, ref attribute, .. } if attribute == "rgba")
    );
    let urdf =
        r#"<robot name="r"><link name="a"><visual><geometry><sphere radius="big"/></geometry></visual></link></robot>"#;
    assert!(matches!(parse_error(urdf), UrdfError::MalformedNumber { attribute, .. } if attribute == "radius"));
}

#[test]
fn zero_axes_are_refused_on_joints_that_move() {
    let with_axis = |kind: &str| {
        format!(
            r#"<robot name="r">{}<joint name="j" type="{kind}"><parent link="a"/><child link="b"/><axis xyz="0 0 0"/>
               <limit lower="0" upper="1" effort="1" velocity="1"/></joint></robot>"#,
            links(&["a", "b"])
        )
    };
    for kind in ["revolute", "continuous", "prismatic", "planar"] {
        assert!(
            matches!(parse_error(&with_axis(kind)), UrdfError::ZeroAxis { ref joint, .. } if joint == "j"),
            "{kind}"
        );
    }
    // Exporters write `0 0 0` on fixed joints; there it means nothing.
    assert!(Robot::parse(&with_axis("fixed"), "ok.urdf").is_ok());
    assert!(Robot::parse(&with_axis("floating"), "ok.urdf").is_ok());

    // A model that did not come from the parser (it crosses a JSON boundary) is checked again.
    let mut robot = Robot::parse(&with_axis("fixed"), "ok.urdf").expect("parses");
    robot.joints[0].kind = JointKind::Revolute;
    robot.joints[0].axis = [0.0; 3];
    assert_eq!(
        KinematicTree::new(&robot).unwrap_err(),
        TreeError::ZeroAxis { joint: "j".into(), kind: "revolute".into() }
    );
}

#[test]
fn malformed_documents_are_refused() {
    assert!(matches!(parse_error("<robot name=\"r\"><link name=\"a\"></robot>"), UrdfError::Xml { .. }));
    assert!(matches!(parse_error("<sdf version=\"1.6\"/>"), UrdfError::NotARobot { found, .. } if found == "sdf"));
    // DTDs (and with them entity expansion) are refused.
    let laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>
        <robot name="&lol2;"><link name="a"/></robot>"#;
    assert!(matches!(parse_error(laughs), UrdfError::Xml { .. }));
    assert!(matches!(
        parse_error(r#"<robot name="r"><link/></robot>"#),
        UrdfError::MissingAttribute { element, attribute, line: 1, .. } if element == "link" && attribute == "name"
    ));
    let no_child =
        format!(r#"<robot name="r">{}<joint name="j" type="fixed"><parent link="a"/></joint></robot>"#, links(&["a"]));
    assert!(matches!(parse_error(&no_child), UrdfError::MissingElement { child, .. } if child == "child"));
    let bad_kind = format!(
        r#"<robot name="r">{}<joint name="j" type="ball"><parent link="a"/><child link="b"/></joint></robot>"#,
        links(&["a", "b"])
    );
    assert!(matches!(parse_error(&bad_kind), UrdfError::UnknownJointKind { kind, .. } if kind == "ball"));
    assert!(matches!(
        Robot::parse_bytes(b"<robot name=\"\xff\"/>", "bad.urdf"),
        Err(UrdfError::NotUtf8 { valid_up_to: 13, .. })
    ));
    let no_geometry = r#"<robot name="r"><link name="a"><visual/></link></robot>"#;
    assert!(matches!(parse_error(no_geometry), UrdfError::MissingElement { child, .. } if child == "geometry"));
}

#[test]
fn mimics_of_missing_joints_and_mimic_cycles_are_refused() {
    let urdf = GRIPPER.replace(r#"<mimic joint="left_finger""#, r#"<mimic joint="thumb""#);
    assert_eq!(
        structure_error(&urdf),
        TreeError::UnknownMimicJoint { joint: "right_finger".into(), mimicked: "thumb".into() }
    );
    let urdf = GRIPPER.replace(
        r#"<limit lower="0" upper="0.04" effort="1" velocity="1"/></joint>"#,
        r#"<limit lower="0" upper="0.04" effort="1" velocity="1"/><mimic joint="tip_roll"/></joint>"#,
    );
    assert!(matches!(structure_error(&urdf), TreeError::MimicCycle { .. }));
}

#[test]
fn oversized_input_and_too_many_links_are_refused() {
    let mut huge = String::from("<robot name=\"r\"><link name=\"a\"/>");
    huge.push_str(&" ".repeat(MAX_URDF_BYTES));
    huge.push_str("</robot>");
    assert!(matches!(parse_error(&huge), UrdfError::TooLarge { limit_bytes: MAX_URDF_BYTES, .. }));
    assert!(matches!(Robot::parse_bytes(huge.as_bytes(), "bad.urdf"), Err(UrdfError::TooLarge { .. })));

    let names: Vec<String> = (0..=MAX_LINKS).map(|i| format!("l{i}")).collect();
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let urdf = format!(r#"<robot name="r">{}</robot>"#, links(&name_refs));
    assert!(matches!(parse_error(&urdf), UrdfError::TooMany { what, limit: MAX_LINKS, .. } if what == "links"));

    // Exactly the limit, as one long chain, is fine (and deep chains are no problem for the tree walk).
    let mut chain = format!(r#"<robot name="chain">{}"#, links(&name_refs[..MAX_LINKS]));
    for i in 1..MAX_LINKS {
        chain.push_str(&joint(&format!("j{i}"), &format!("l{}", i - 1), &format!("l{i}")));
    }
    chain.push_str("</robot>");
    let (_, tree) = tree_of(&chain);
    assert_eq!(tree.link_name(tree.default_end_effector()), Some(format!("l{}", MAX_LINKS - 1).as_str()));
}

#[test]
fn deep_nesting_and_node_floods_are_bounded() {
    // 400 000 nested unknown elements (3.2 MB): parsed without recursion, ignored.
    let depth = 400_000;
    let deep = format!(r#"<robot name="r"><link name="a"/>{}{}</robot>"#, "<x>".repeat(depth), "</x>".repeat(depth));
    let robot = Robot::parse(&deep, "deep.urdf").expect("deep nesting parses");
    assert_eq!(robot.links.len(), 1);
    // 1.2 M empty elements (4.8 MB, under the size limit): more XML nodes than MAX_XML_NODES.
    let flood = format!(r#"<robot name="r"><link name="a"/>{}</robot>"#, "<x/>".repeat(1_200_000));
    assert!(flood.len() < MAX_URDF_BYTES);
    assert!(matches!(parse_error(&flood), UrdfError::Xml { reason, .. } if reason.contains("nodes limit")));
}

#[test]
fn unknown_geometry_is_skipped_and_noted() {
    let urdf = r#"<robot name="r"><link name="a">
        <visual><geometry><capsule radius="0.1" length="0.2"/></geometry></visual>
        <visual><geometry><box size="1 2 3"/></geometry></visual></link></robot>"#;
    let robot = Robot::parse(urdf, "r.urdf").expect("parses");
    assert_eq!(robot.links[0].visuals.len(), 1);
    assert_eq!(robot.links[0].visuals[0].geometry, Geometry::Box { size: [1.0, 2.0, 3.0] });
    assert_eq!(robot.ignored.len(), 1);
    assert!(robot.ignored[0].contains("capsule") && robot.ignored[0].contains("line 2"), "{}", robot.ignored[0]);
}

#[test]
fn the_model_round_trips_through_json() {
    let (robot, _) = tree_of(ARM6);
    let json = serde_json::to_string(&robot).expect("serialises");
    assert!(json.contains(r#""type":"mesh""#) && json.contains(r#""kind":"continuous""#), "{json}");
    let back: Robot = serde_json::from_str(&json).expect("deserialises");
    assert_eq!(back, robot);
}

// ---------------------------------------------------------------------------------------------------------------
// Joint matching

/// The SO-101 arm's joints as its URDF names them, with `_joint` appended (as many URDFs do).
fn so101_like(joint_names: &[&str]) -> String {
    let mut urdf = String::from(r#"<robot name="so101">"#);
    let link_names: Vec<String> = (0..=joint_names.len()).map(|i| format!("link{i}")).collect();
    let refs: Vec<&str> = link_names.iter().map(String::as_str).collect();
    urdf.push_str(&links(&refs));
    for (i, name) in joint_names.iter().enumerate() {
        urdf.push_str(&format!(
            r#"<joint name="{name}" type="revolute"><parent link="link{i}"/><child link="link{}"/>
               <origin xyz="0 0 0.1"/><axis xyz="0 1 0"/>
               <limit lower="-3" upper="3" effort="1" velocity="1"/></joint>"#,
            i + 1
        ));
    }
    urdf.push_str("</robot>");
    urdf
}

/// `(feature, names)` of `observation.state` and `action` of a real dataset, `action` first.
fn real_lerobot_names() -> Vec<(String, Vec<String>)> {
    let info = std::fs::read(common::shared_datasets().join("v30_so101_video/meta/info.json")).expect("info.json");
    let info: serde_json::Value = serde_json::from_slice(&info).expect("JSON");
    ["action", "observation.state"]
        .iter()
        .map(|feature| {
            let names = info["features"][feature]["names"].as_array().expect("names").iter();
            (feature.to_string(), names.map(|n| n.as_str().expect("a name").to_string()).collect())
        })
        .collect()
}

#[test]
fn normalised_names() {
    for (raw, normalised) in [
        ("shoulder_pan.pos", "shoulderpan"),
        ("shoulder_pan_joint", "shoulderpan"),
        ("Shoulder Pan", "shoulderpan"),
        ("joint_1", "1"),
        ("joint1", "1"),
        ("J1", "1"),
        ("Joint 3 position", "3"),
        ("elbow_joint", "elbow"),
        ("elbowjoint", "elbow"),
        ("main_shoulder_pan", "mainshoulderpan"),
        ("state_0", "state0"),
        ("joint", "joint"),
        ("gripper.pos", "gripper"),
    ] {
        assert_eq!(normalise_name(raw), normalised, "{raw}");
    }
}

#[test]
fn real_lerobot_names_match_urdf_joints_by_name() {
    let features = real_lerobot_names();
    assert_eq!(features[1].1[0], "shoulder_pan.pos", "the dataset's names are what this test expects");
    let (_, tree) = tree_of(&so101_like(&[
        "shoulder_pan_joint",
        "shoulder_lift_joint",
        "elbow_flex_joint",
        "wrist_flex_joint",
        "wrist_roll_joint",
        "gripper_joint",
    ]));
    let mapping = match_joints(&tree, &features);
    assert!(!mapping.guessed_in_order);
    assert!(mapping.unmatched_joints.is_empty() && mapping.unused_dimensions.is_empty(), "{mapping:?}");
    let got: Vec<(&str, &str, usize, MatchKind)> =
        mapping.joints.iter().map(|s| (s.joint.as_str(), s.feature.as_str(), s.dimension, s.matched_by)).collect();
    // observation.state is preferred over action although listed second.
    assert_eq!(
        got,
        [
            ("shoulder_pan_joint", "observation.state", 0, MatchKind::Name),
            ("shoulder_lift_joint", "observation.state", 1, MatchKind::Name),
            ("elbow_flex_joint", "observation.state", 2, MatchKind::Name),
            ("wrist_flex_joint", "observation.state", 3, MatchKind::Name),
            ("wrist_roll_joint", "observation.state", 4, MatchKind::Name),
            ("gripper_joint", "observation.state", 5, MatchKind::Name),
        ]
    );
    assert_eq!(mapping.joints[2].dimension_name, "elbow_flex.pos");
}

#[test]
fn prefixed_names_match_by_unique_substring() {
    // Older LeRobot datasets (Koch arms) name dimensions `main_shoulder_pan` ….
    let dims: Vec<String> = ["main_shoulder_pan", "main_shoulder_lift", "main_elbow_flex", "main_gripper"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let (_, tree) = tree_of(&so101_like(&["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "gripper"]));
    let mapping = match_joints(&tree, &[("observation.state".to_string(), dims)]);
    let got: Vec<(&str, usize, MatchKind)> =
        mapping.joints.iter().map(|s| (s.joint.as_str(), s.dimension, s.matched_by)).collect();
    assert_eq!(
        got,
        [
            ("shoulder_pan", 0, MatchKind::Substring),
            ("shoulder_lift", 1, MatchKind::Substring),
            ("elbow_flex", 2, MatchKind::Substring),
            ("gripper", 3, MatchKind::Substring),
        ]
    );
    assert_eq!(mapping.unmatched_joints, ["wrist_flex"]);
    assert!(mapping.unused_dimensions.is_empty());
}

#[test]
fn ambiguous_substrings_do_not_match() {
    // Both arms of a bimanual robot contain `waist`: neither is taken for the one-armed URDF's waist.
    let (_, tree) = tree_of(&so101_like(&["waist", "shoulder"]));
    let dims = vec!["left_waist".to_string(), "right_waist".to_string(), "left_shoulder".to_string()];
    let mapping = match_joints(&tree, &[("observation.state".to_string(), dims)]);
    let got: Vec<(&str, usize)> = mapping.joints.iter().map(|s| (s.joint.as_str(), s.dimension)).collect();
    assert_eq!(got, [("shoulder", 2)]);
    assert_eq!(mapping.unmatched_joints, ["waist"]);
    let unused: Vec<usize> = mapping.unused_dimensions.iter().map(|d| d.dimension).collect();
    assert_eq!(unused, [0, 1]);
}

#[test]
fn numbered_joints_match_in_every_spelling() {
    let (_, tree) = tree_of(&so101_like(&["joint1", "joint_2", "Joint3", "j4"]));
    let dims: Vec<String> = ["j1", "joint2.pos", "joint_3", "JOINT4", "extra"].iter().map(|s| s.to_string()).collect();
    let mapping = match_joints(&tree, &[("observation.state".to_string(), dims)]);
    let got: Vec<(&str, usize)> = mapping.joints.iter().map(|s| (s.joint.as_str(), s.dimension)).collect();
    assert_eq!(got, [("joint1", 0), ("joint_2", 1), ("Joint3", 2), ("j4", 3)]);
    assert_eq!(mapping.unused_dimensions.len(), 1);
    assert_eq!(mapping.unused_dimensions[0].name, "extra");
}

#[test]
fn generic_names_fall_back_to_order_only_when_the_counts_agree() {
    // The older SO-100 URDF names its joints Rotation, Pitch, Elbow, Wrist_Pitch, Wrist_Roll, Jaw: nothing in
    // common with `state_0` …
    let joints = ["Rotation", "Pitch", "Elbow", "Wrist_Pitch", "Wrist_Roll", "Jaw"];
    let (_, tree) = tree_of(&so101_like(&joints));
    let generic = |count: usize| -> Vec<String> { (0..count).map(|i| format!("state_{i}")).collect() };
    let mapping = match_joints(&tree, &[("observation.state".to_string(), generic(6))]);
    assert!(mapping.guessed_in_order);
    let got: Vec<(&str, usize, MatchKind)> =
        mapping.joints.iter().map(|s| (s.joint.as_str(), s.dimension, s.matched_by)).collect();
    let expected: Vec<(&str, usize, MatchKind)> =
        joints.iter().enumerate().map(|(i, j)| (*j, i, MatchKind::InOrder)).collect();
    assert_eq!(got, expected);

    let mapping = match_joints(&tree, &[("observation.state".to_string(), generic(7))]);
    assert!(!mapping.guessed_in_order);
    assert!(mapping.joints.is_empty());
    assert_eq!(mapping.unmatched_joints.len(), 6);
}

#[test]
fn angle_unit_heuristic() {
    assert_eq!(angle_unit_from_values([0.1, -3.0, 6.7]), AngleUnit::Radians);
    assert_eq!(angle_unit_from_values([0.0, -45.0, 12.5]), AngleUnit::Degrees);
    assert_eq!(
        angle_unit_from_values([f32::NAN, f32::INFINITY, 1.0]),
        AngleUnit::Radians,
        "non-finite values say nothing"
    );
    assert_eq!(angle_unit_from_values([6.79]), AngleUnit::Degrees, "just past one turn plus 0.5");

    // Only dimensions mapped to angular joints count: a prismatic joint in millimetres does not make degrees.
    let (_, tree) = tree_of(GRIPPER);
    let mapping =
        JointMapping { joints: vec![source("left_finger", "observation.state", 0)], ..JointMapping::default() };
    let values = [0.0f32, 40.0];
    let features = [FeatureColumns { name: "observation.state", dims: 1, values: &values }];
    assert_eq!(guess_angle_unit(&tree, &mapping, &features), AngleUnit::Radians);
    let (_, planar) = tree_of(PLANAR_2LINK);
    let mapping = JointMapping { joints: vec![source("shoulder", "observation.state", 1)], ..JointMapping::default() };
    // Frames of (prismatic-ish other value, shoulder): only dimension 1 is read.
    let values = [100.0f32, 0.5, 100.0, 1.0];
    let features = [FeatureColumns { name: "observation.state", dims: 2, values: &values }];
    assert_eq!(guess_angle_unit(&planar, &mapping, &features), AngleUnit::Radians);
    let values = [0.0f32, 0.5, 0.0, 30.0];
    let features = [FeatureColumns { name: "observation.state", dims: 2, values: &values }];
    assert_eq!(guess_angle_unit(&planar, &mapping, &features), AngleUnit::Degrees);
}

fn source(joint: &str, feature: &str, dimension: usize) -> JointSource {
    JointSource {
        joint: joint.into(),
        feature: feature.into(),
        dimension,
        dimension_name: String::new(),
        matched_by: MatchKind::Manual,
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Trajectories

#[test]
fn end_effector_trajectory_of_a_tiny_episode() {
    let (_, tree) = tree_of(PLANAR_2LINK);
    let names = vec!["shoulder.pos".to_string(), "elbow.pos".to_string()];
    let features = [("action".to_string(), names.clone()), ("observation.state".to_string(), names)];
    let mut mapping = match_joints(&tree, &features);
    assert_eq!(mapping.joints.len(), 2);
    assert!(mapping.joints.iter().all(|s| s.feature == "observation.state"));

    // Five frames of (shoulder, elbow) in degrees; the action feature holds other values that must not be read.
    let state = [0.0f32, 0.0, 90.0, 0.0, 90.0, -90.0, 0.0, 90.0, f32::NAN, 0.0];
    let action = [1.0f32; 10];
    let columns = [
        FeatureColumns { name: "action", dims: 2, values: &action },
        FeatureColumns { name: "observation.state", dims: 2, values: &state },
    ];
    mapping.angle_unit = guess_angle_unit(&tree, &mapping, &columns);
    assert_eq!(mapping.angle_unit, AngleUnit::Degrees);

    let tip = tree.link_index("tip").expect("tip");
    let trajectory = end_effector_trajectory(&tree, &mapping, &columns, tip).expect("trajectory");
    assert_eq!(trajectory.len(), 5);
    // (L1 = 0.5, L2 = 0.3): (0,0) → (0.8, 0); (90°,0) → (0, 0.8); (90°,−90°) → (0, 0.5) + (0.3, 0);
    // (0, 90°) → (0.5, 0) + (0, 0.3).
    for (frame, expected) in [[0.8, 0.0, 0.0], [0.0, 0.8, 0.0], [0.3, 0.5, 0.0], [0.5, 0.3, 0.0]].iter().enumerate() {
        assert_close(trajectory[frame], *expected, &format!("frame {frame}"));
    }
    assert!(trajectory[4][0].is_nan(), "a NaN value gives a gap, not a made-up point");

    // The same frames one at a time, for drawing at the cursor.
    let at_frame_2 = joint_positions_at(&tree, &mapping, &columns, 2).expect("positions");
    assert!((at_frame_2.get(0) - FRAC_PI_2).abs() < TOLERANCE && (at_frame_2.get(1) + FRAC_PI_2).abs() < TOLERANCE);
    assert_eq!(
        joint_positions_at(&tree, &mapping, &columns, 5).unwrap_err(),
        TrajectoryError::FrameOutOfRange { frame: 5, frames: 5 }
    );

    // The mapping crosses the worker → page boundary as JSON and may come back edited.
    let json = serde_json::to_string(&mapping).expect("serialises");
    assert_eq!(serde_json::from_str::<JointMapping>(&json).expect("deserialises"), mapping);
}

#[test]
fn trajectory_errors_name_what_does_not_fit() {
    let (_, tree) = tree_of(PLANAR_2LINK);
    let tip = tree.link_index("tip").expect("tip");
    let mapping = JointMapping {
        joints: vec![source("shoulder", "observation.state", 0), source("elbow", "action", 1)],
        ..JointMapping::default()
    };
    let four = [0.0f32; 4];
    let six = [0.0f32; 6];
    let five = [0.0f32; 5];
    let run = |columns: &[FeatureColumns]| end_effector_trajectory(&tree, &mapping, columns, tip).unwrap_err();

    let state = FeatureColumns { name: "observation.state", dims: 2, values: &four };
    assert_eq!(run(&[state]), TrajectoryError::MissingFeature { feature: "action".into() });
    let action = FeatureColumns { name: "action", dims: 2, values: &six };
    assert_eq!(
        run(&[state, action]),
        TrajectoryError::FrameCountMismatch { feature: "action".into(), frames: 3, expected: 2 }
    );
    let ragged = FeatureColumns { name: "action", dims: 2, values: &five };
    assert_eq!(run(&[state, ragged]), TrajectoryError::RaggedValues { feature: "action".into(), values: 5, dims: 2 });
    let narrow = FeatureColumns { name: "action", dims: 1, values: &four[..2] };
    assert_eq!(
        run(&[state, narrow]),
        TrajectoryError::DimensionOutOfRange { feature: "action".into(), dimension: 1, dims: 1 }
    );
    let unknown = JointMapping { joints: vec![source("knee", "observation.state", 0)], ..JointMapping::default() };
    assert_eq!(
        end_effector_trajectory(&tree, &unknown, &[state], tip).unwrap_err(),
        TrajectoryError::UnknownJoint { joint: "knee".into() }
    );
    assert_eq!(
        end_effector_trajectory(&tree, &mapping, &[state], 99).unwrap_err(),
        TrajectoryError::UnknownLink { link: 99, links: 4 }
    );
}

/// Not a test of behaviour: the time forward kinematics takes over a long episode. Run with
/// `cargo test -p episcope-core --release --test kinematics -- --ignored --nocapture`.
#[test]
#[ignore]
fn benchmark_trajectory_of_100k_frames() {
    let (_, tree) = tree_of(ARM6);
    let mapping = match_joints(
        &tree,
        &[(
            "observation.state".to_string(),
            ["shoulder_pan", "shoulder_lift", "elbow", "wrist_1", "wrist_2", "wrist_3"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        )],
    );
    assert_eq!(mapping.joints.len(), 6);
    let frames = 100_000;
    let values: Vec<f32> = (0..frames * 6).map(|i| ((i % 997) as f32) * 0.006).collect();
    let columns = [FeatureColumns { name: "observation.state", dims: 6, values: &values }];
    let tool = tree.default_end_effector();
    let started = std::time::Instant::now();
    let trajectory = end_effector_trajectory(&tree, &mapping, &columns, tool).expect("trajectory");
    let elapsed = started.elapsed();
    assert_eq!(trajectory.len(), frames);
    println!(
        "{frames} frames of a 6-DoF arm (8 links): {elapsed:?} ({:.0} ns/frame)",
        elapsed.as_nanos() as f64 / frames as f64
    );
}

// ---------------------------------------------------------------------------------------------------------------
// STL

/// A binary STL: 80-byte header, declared count, then (normal, 3 vertices, attribute) per triangle.
fn binary_stl(header: &[u8], declared: u32, triangles: &[[[f32; 3]; 4]]) -> Vec<u8> {
    let mut bytes = vec![b' '; 80];
    bytes[..header.len()].copy_from_slice(header);
    bytes.extend(declared.to_le_bytes());
    for triangle in triangles {
        for vector in triangle {
            for component in vector {
                bytes.extend(component.to_le_bytes());
            }
        }
        bytes.extend([0u8, 0]);
    }
    bytes
}

const TWO_TRIANGLES: [[[f32; 3]; 4]; 2] = [
    [[0.0, 0.0, 1.0], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
    [[0.0, 0.0, -1.0], [0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]],
];

#[test]
fn binary_stl_is_read() {
    let mesh = parse_stl(&binary_stl(b"binary from a test", 2, &TWO_TRIANGLES), "m.stl").expect("reads");
    assert_eq!(mesh.triangle_count(), 2);
    assert_eq!(mesh.normals, [[0.0, 0.0, 1.0], [0.0, 0.0, -1.0]]);
    assert_eq!(
        mesh.positions,
        [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    );

    // Binary files often start with `solid` too; their length decides.
    let solid_header = binary_stl(b"solid exported by a CAD tool", 2, &TWO_TRIANGLES);
    assert_eq!(parse_stl(&solid_header, "m.stl").expect("reads").triangle_count(), 2);

    // Bytes after the declared triangles are ignored.
    let mut trailing = binary_stl(b"x", 1, &TWO_TRIANGLES[..1]);
    trailing.extend([7u8; 13]);
    assert_eq!(parse_stl(&trailing, "m.stl").expect("reads").triangle_count(), 1);
}

#[test]
fn truncated_or_lying_binary_stl_is_refused() {
    let mut truncated = binary_stl(b"x", 3, &TWO_TRIANGLES);
    assert_eq!(
        parse_stl(&truncated, "m.stl").unwrap_err(),
        StlError::Truncated { declared_triangles: 3, expected_bytes: 234, size_bytes: 184, path: "m.stl".into() }
    );
    // The header claims 4 G triangles (200 GB): refused before anything is allocated.
    truncated[80..84].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(
        parse_stl(&truncated, "m.stl"),
        Err(StlError::Truncated { declared_triangles: 4_294_967_295, size_bytes: 184, .. })
    ));
    // A binary file with a `solid` header and a count that does not fit: the binary error, not an ASCII one.
    let solid_truncated = binary_stl(b"solid x", 5, &TWO_TRIANGLES);
    assert!(matches!(parse_stl(&solid_truncated, "m.stl"), Err(StlError::Truncated { declared_triangles: 5, .. })));
    assert_eq!(
        parse_stl(b"\x00\x01 tiny", "m.stl").unwrap_err(),
        StlError::TooShort { size_bytes: 7, path: "m.stl".into() }
    );
    let mut not_finite = TWO_TRIANGLES;
    not_finite[1][2][1] = f32::NAN;
    assert_eq!(
        parse_stl(&binary_stl(b"x", 2, &not_finite), "m.stl").unwrap_err(),
        StlError::NonFiniteBinary { triangle: 1, path: "m.stl".into() }
    );
}

#[test]
fn triangle_counts_are_bounded() {
    // The real limit (MAX_TRIANGLES, 2 M) would need a 100 MB file; the same check with a limit of one triangle.
    let two_binary = binary_stl(b"x", 2, &TWO_TRIANGLES);
    let too_many = StlError::TooManyTriangles { limit: 1, path: "m.stl".into() };
    assert_eq!(parse_stl_with_limit(&two_binary, "m.stl", 1).unwrap_err(), too_many);
    assert_eq!(parse_stl_with_limit(ASCII_STL.as_bytes(), "m.stl", 1).unwrap_err(), too_many);
    assert_eq!(parse_stl_with_limit(ASCII_STL.as_bytes(), "m.stl", 3).expect("three fit").triangle_count(), 3);
    assert_eq!(parse_stl(&two_binary, "m.stl"), parse_stl_with_limit(&two_binary, "m.stl", MAX_TRIANGLES));
}

const ASCII_STL: &str = "solid two faces
  facet normal 0 0 1
    outer loop
      vertex 0 0 0
      vertex 1 0 0
      vertex 0 1 0
    endloop
  endfacet
  facet normal 0 0 -1.0e0
    outer loop
      vertex 0 0 0
      vertex 0 1.5 0
      vertex 1 0 -2.5E-1
    endloop
  endfacet
endsolid two faces
solid second
  facet normal 1 0 0 outer loop vertex 0 0 0 vertex 0 1 0 vertex 0 0 1 endloop endfacet
endsolid
";

#[test]
fn ascii_stl_is_read() {
    let mesh = parse_stl(ASCII_STL.as_bytes(), "m.stl").expect("reads");
    assert_eq!(mesh.triangle_count(), 3);
    assert_eq!(mesh.normals, [[0.0, 0.0, 1.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]]);
    assert_eq!(mesh.positions[4], [0.0, 1.5, 0.0]);
    assert_eq!(mesh.positions[5], [1.0, 0.0, -0.25]);
    assert_eq!(mesh.positions.len(), 9);
    let empty = parse_stl(b"  solid nothing\nendsolid nothing\n", "m.stl").expect("reads");
    assert_eq!(empty.triangle_count(), 0);
}

#[test]
fn malformed_ascii_stl_is_refused_with_its_line() {
    let missing_loop = ASCII_STL.replacen("outer loop", "outer", 1);
    assert_eq!(
        parse_stl(missing_loop.as_bytes(), "m.stl").unwrap_err(),
        StlError::Syntax { expected: "`loop`".into(), found: "vertex".into(), line: 4, path: "m.stl".into() }
    );
    let bad_number = ASCII_STL.replacen("vertex 1 0 0", "vertex 1 0.0.0 0", 1);
    assert_eq!(
        parse_stl(bad_number.as_bytes(), "m.stl").unwrap_err(),
        StlError::BadNumber { value: "0.0.0".into(), line: 5, path: "m.stl".into() }
    );
    let nan = ASCII_STL.replacen("vertex 1 0 0", "vertex 1 nan 0", 1);
    assert!(matches!(parse_stl(nan.as_bytes(), "m.stl"), Err(StlError::BadNumber { value, .. }) if value == "nan"));
    let unfinished = "solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\n";
    assert!(matches!(
        parse_stl(unfinished.as_bytes(), "m.stl"),
        Err(StlError::Syntax { expected, found, .. }) if expected == "`vertex`" && found == "the end of the file"
    ));
    let no_end = "solid x\n";
    let error = parse_stl(no_end.as_bytes(), "m.stl").unwrap_err();
    assert!(matches!(error, StlError::Syntax { ref expected, .. } if expected == "`facet` or `endsolid`"), "{error:?}");
}

#[test]
fn mesh_paths_resolve_among_picked_files() {
    let picked = [
        "robots/arm6/urdf/arm6.urdf",
        "robots/other/meshes/link1.stl",
        "robots/arm6/meshes/visual/link1.stl",
        "robots/arm6/meshes/base.STL",
        "robots/arm6/urdf/meshes/wrist.stl",
        "robots/elsewhere/meshes/wrist.stl",
    ];
    let urdf = "robots/arm6/urdf/arm6.urdf";
    let resolve = |filename: &str| resolve_mesh_path(urdf, filename, &picked);
    // The longest run of trailing components wins: visual/link1.stl and meshes/ match, the package name does not.
    assert_eq!(
        resolve("package://arm6_description/meshes/visual/link1.stl").as_deref(),
        Some("robots/arm6/meshes/visual/link1.stl")
    );
    // Relative to the URDF's folder, exactly.
    assert_eq!(resolve("meshes/wrist.stl").as_deref(), Some("robots/arm6/urdf/meshes/wrist.stl"));
    // `..` resolved; the case differs (`.STL`), found on the case-insensitive pass.
    assert_eq!(resolve("../meshes/base.stl").as_deref(), Some("robots/arm6/meshes/base.STL"));
    assert_eq!(resolve("..\\meshes\\base.stl").as_deref(), Some("robots/arm6/meshes/base.STL"));
    // Equal suffixes: the one sharing more folders with the URDF.
    assert_eq!(resolve("package://pkg/meshes/wrist.stl").as_deref(), Some("robots/arm6/urdf/meshes/wrist.stl"));
    assert_eq!(
        resolve("file:///home/me/ws/src/robot/meshes/visual/link1.stl").as_deref(),
        Some("robots/arm6/meshes/visual/link1.stl")
    );
    assert_eq!(resolve("package://arm6_description/meshes/gripper.stl"), None);
    assert_eq!(resolve("package://"), None);
}
