//! One folder per input format, each a reader over `ByteSource`s feeding the dataset model
//! (`lerobot`) or the format-neutral recording model (`crate::recording`).

pub mod hdf5;
pub mod lerobot;
pub mod mcap;
pub mod ros_msg;
pub mod rosbag1;
pub mod rosbag2;
