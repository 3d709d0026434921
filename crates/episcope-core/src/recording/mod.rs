//! The format-neutral recording model: streams (a topic, an HDF5 dataset) of time-stamped messages,
//! which every recording reader (MCAP, rosbag2, ROS 1 bags, HDF5) produces.
//!
//! Message-based formats (MCAP, rosbag2, ROS 1) first yield [`RawChannel`]s and [`RawMessage`]s —
//! bytes plus the schema text the file carries — and `formats::ros_msg` decodes them into fields.
//! Array-based formats (HDF5) yield [`StreamSeries`] directly.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// Which container a recording came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordingFormat {
    Mcap,
    Rosbag2Mcap,
    Rosbag2Sqlite,
    Rosbag1,
    Hdf5Aloha,
    Hdf5Robomimic,
    Hdf5,
}

impl RecordingFormat {
    pub fn label(self) -> &'static str {
        match self {
            Self::Mcap => "MCAP",
            Self::Rosbag2Mcap => "rosbag2 (MCAP)",
            Self::Rosbag2Sqlite => "rosbag2 (sqlite3)",
            Self::Rosbag1 => "ROS 1 bag",
            Self::Hdf5Aloha => "HDF5 (ALOHA/ACT)",
            Self::Hdf5Robomimic => "HDF5 (robomimic)",
            Self::Hdf5 => "HDF5",
        }
    }
}

/// One channel (topic + type + schema) as a message-based container declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawChannel {
    /// The container's own id for the channel (MCAP channel id, ROS 1 connection id, rosbag2 topic id).
    pub id: u32,
    pub topic: String,
    /// e.g. `sensor_msgs/msg/JointState` (ROS 2) or `sensor_msgs/JointState` (ROS 1).
    pub message_type: String,
    /// `cdr` (ROS 2) or `ros1`; anything else is kept but not decoded.
    pub message_encoding: String,
    /// `ros2msg`, `ros2idl`, `ros1msg`, or empty when the file carries no definition.
    pub schema_encoding: String,
    /// The concatenated message definition text (empty when absent).
    pub schema_text: String,
}

/// One message's bytes as stored, with its times in nanoseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMessage {
    pub channel_id: u32,
    pub log_time_ns: u64,
    pub publish_time_ns: u64,
    pub data: Bytes,
}

/// What a stream holds, for the overview and for which view shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamKind {
    Numeric,
    Image,
    CompressedImage,
    Text,
    Other,
}

/// A stream's summary: enough for an overview without decoding its messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamInfo {
    /// Topic name or HDF5 dataset path.
    pub name: String,
    /// Message type (`sensor_msgs/msg/JointState`) or, for HDF5, the dtype and shape (`float64[400, 14]`).
    #[serde(rename = "type")]
    pub type_name: String,
    pub kind: StreamKind,
    pub messages: u64,
    pub first_time_ns: Option<u64>,
    pub last_time_ns: Option<u64>,
}

impl StreamInfo {
    /// Mean rate over the stream's span, in Hz (None with fewer than two messages or no span).
    pub fn rate_hz(&self) -> Option<f64> {
        let (first, last) = (self.first_time_ns?, self.last_time_ns?);
        if self.messages < 2 || last <= first {
            return None;
        }
        Some((self.messages - 1) as f64 / ((last - first) as f64 * 1e-9))
    }
}

/// A numeric field of a stream over time: row-major values, `width` per message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NumericField {
    /// Field path inside the message (`position`, `pose.position.x`), or the HDF5 dataset path.
    pub name: String,
    /// One name per dimension (JointState names, or `name[i]`).
    pub dimension_names: Vec<String>,
    pub width: usize,
    /// `times_ns.len() * width` values, row-major.
    pub values: Vec<f64>,
    /// Rows (messages) that did not carry this field at all — a TF frame another publisher's
    /// message lacks, a field first seen later: NaN in `values`, but nothing was sent as NaN.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub absent_rows: Vec<u32>,
}

/// A stream's decoded numbers, aligned to one time axis.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct StreamSeries {
    pub stream: String,
    /// Time of each message (log time for bags; for HDF5 the frame index over the file's rate).
    pub times_ns: Vec<u64>,
    pub fields: Vec<NumericField>,
    /// `header.stamp` of each message, when every message has one (ROS messages with a
    /// `std_msgs/Header`); empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub header_times_ns: Vec<u64>,
}

pub mod image;
pub mod open;
pub mod read;
pub use open::{
    open_recording, open_recording_with_progress, recording_files, Recording, RecordingEpisode, RecordingError,
};
