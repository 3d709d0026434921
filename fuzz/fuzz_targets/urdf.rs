//! The URDF parser, forward kinematics, joint matching and the STL reader, over the same bytes.
#![no_main]

use episcope_core::robot::kinematics::KinematicTree;
use episcope_core::robot::mapping::{end_effector_trajectory, match_joints, FeatureColumns};
use episcope_core::robot::stl::{parse_stl, resolve_mesh_path};
use episcope_core::robot::urdf::{Geometry, Robot};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(robot) = Robot::parse_bytes(data, "robot.urdf") {
        // A parsed robot is a valid tree: anything else is a bug.
        let tree = KinematicTree::new(&robot).expect("a parsed robot forms a kinematic tree");
        let poses = tree.forward_kinematics(&tree.zero_positions());
        assert_eq!(poses.world_from_link.len(), robot.links.len());
        let visuals = tree.visual_poses(&poses);
        let tip = tree.default_end_effector();

        // Dimensions named after the joints, two frames of values: matching and a trajectory.
        let names: Vec<String> = robot.joints.iter().map(|joint| format!("{}.pos", joint.name)).collect();
        let mapping = match_joints(&tree, &[("observation.state".to_string(), names.clone())]);
        let values: Vec<f32> = (0..names.len() * 2).map(|i| i as f32 * 0.1).collect();
        let columns = [FeatureColumns { name: "observation.state", dims: names.len(), values: &values }];
        if !names.is_empty() {
            let trajectory = end_effector_trajectory(&tree, &mapping, &columns, tip).expect("trajectory");
            assert_eq!(trajectory.len(), 2);
        }

        let picked = ["robot/urdf/robot.urdf", "robot/meshes/part.stl"];
        for visual in &visuals {
            if let Geometry::Mesh { filename, .. } = &visual.geometry {
                let _ = resolve_mesh_path("robot/urdf/robot.urdf", filename, &picked);
            }
        }
        let json = serde_json::to_string(&robot).expect("the model serialises");
        let back: Robot = serde_json::from_str(&json).expect("and reads back");
        assert_eq!(back.links.len(), robot.links.len());
    }
    if let Ok(mesh) = parse_stl(data, "part.stl") {
        assert_eq!(mesh.positions.len(), mesh.triangle_count() * 3);
    }
});
