//! Robot models for the 3D view: URDF parsing, forward kinematics, joint ↔ dataset-dimension matching and STL meshes.
//!
//! - [`urdf`]: a bounded URDF parser into a plain, serialisable [`urdf::Robot`] (links with visuals, joints).
//! - [`kinematics`]: rigid transforms and a [`kinematics::KinematicTree`] built once per robot, which evaluates
//!   forward kinematics (`world_from_link` of every link) without allocating per frame.
//! - [`mapping`]: which dataset dimension drives which joint (by name, by unique substring, or in order as a
//!   flagged guess), the angle unit, and the end-effector trajectory of an episode.
//! - [`stl`]: binary and ASCII STL meshes from bytes, and finding a URDF's mesh among the files a user picked.
//!
//! Everything here is pure computation over bytes already in memory: no file system, no threads, no web APIs,
//! so it runs the same in the browser worker, natively and in tests.

pub mod kinematics;
pub mod mapping;
pub mod stl;
pub mod urdf;

pub use kinematics::{JointPositions, KinematicTree, LinkPoses, PlacedVisual, Transform, TreeError};
pub use mapping::{AngleUnit, FeatureColumns, JointMapping, JointSource, TrajectoryError};
pub use stl::{StlError, StlMesh};
pub use urdf::{Geometry, Joint, JointKind, Link, Robot, UrdfError, Visual};
