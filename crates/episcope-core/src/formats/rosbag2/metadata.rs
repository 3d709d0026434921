//! rosbag2 `metadata.yaml` (`rosbag2_bagfile_information`): storage, files, time span and per-topic counts.

use serde::Deserialize;

/// Largest `metadata.yaml` parsed (real ones are a few KB).
pub const MAX_METADATA_BYTES: usize = 16 << 20;

/// Why `metadata.yaml` could not be parsed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum MetadataError {
    #[error("metadata is {size} bytes, more than the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("invalid metadata YAML (line {line:?}, column {column:?}): {message}")]
    Yaml { line: Option<usize>, column: Option<usize>, message: String },
}

/// One topic as `topics_with_message_count` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicInfo {
    pub name: String,
    pub message_type: String,
    pub serialization_format: String,
    pub message_count: u64,
}

/// The parts of `metadata.yaml` a viewer needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BagMetadata {
    pub version: u32,
    /// `sqlite3` or `mcap`.
    pub storage_identifier: String,
    pub relative_file_paths: Vec<String>,
    pub duration_ns: u64,
    pub starting_time_ns: u64,
    pub message_count: u64,
    pub topics: Vec<TopicInfo>,
    /// Empty when not compressed (`file`/`message` otherwise).
    pub compression_mode: String,
    pub compression_format: String,
    pub ros_distro: Option<String>,
}

#[derive(Deserialize)]
struct Root {
    rosbag2_bagfile_information: Info,
}

#[derive(Deserialize)]
struct Info {
    #[serde(default)]
    version: u32,
    #[serde(default)]
    storage_identifier: String,
    #[serde(default)]
    relative_file_paths: Vec<String>,
    #[serde(default)]
    duration: Duration,
    #[serde(default)]
    starting_time: StartingTime,
    #[serde(default)]
    message_count: u64,
    #[serde(default)]
    topics_with_message_count: Vec<TopicWithCount>,
    #[serde(default)]
    compression_mode: Option<String>,
    #[serde(default)]
    compression_format: Option<String>,
    #[serde(default)]
    ros_distro: Option<String>,
}

#[derive(Deserialize, Default)]
struct Duration {
    #[serde(default)]
    nanoseconds: u64,
}

#[derive(Deserialize, Default)]
struct StartingTime {
    #[serde(default)]
    nanoseconds_since_epoch: u64,
}

#[derive(Deserialize)]
struct TopicWithCount {
    #[serde(default)]
    message_count: u64,
    topic_metadata: TopicMetadata,
}

#[derive(Deserialize)]
struct TopicMetadata {
    name: String,
    #[serde(rename = "type")]
    message_type: String,
    #[serde(default)]
    serialization_format: String,
}

/// Parses a rosbag2 `metadata.yaml` (unknown keys such as QoS profiles are ignored).
pub fn parse_metadata(text: &str) -> Result<BagMetadata, MetadataError> {
    if text.len() > MAX_METADATA_BYTES {
        return Err(MetadataError::TooLarge { size: text.len(), limit: MAX_METADATA_BYTES });
    }
    let root: Root = serde_norway::from_str(text).map_err(|e| {
        let loc = e.location();
        MetadataError::Yaml {
            line: loc.as_ref().map(|l| l.line()),
            column: loc.as_ref().map(|l| l.column()),
            message: e.to_string(),
        }
    })?;
    let info = root.rosbag2_bagfile_information;
    Ok(BagMetadata {
        version: info.version,
        storage_identifier: info.storage_identifier,
        relative_file_paths: info.relative_file_paths,
        duration_ns: info.duration.nanoseconds,
        starting_time_ns: info.starting_time.nanoseconds_since_epoch,
        message_count: info.message_count,
        topics: info
            .topics_with_message_count
            .into_iter()
            .map(|t| TopicInfo {
                name: t.topic_metadata.name,
                message_type: t.topic_metadata.message_type,
                serialization_format: t.topic_metadata.serialization_format,
                message_count: t.message_count,
            })
            .collect(),
        compression_mode: info.compression_mode.unwrap_or_default(),
        compression_format: info.compression_format.unwrap_or_default(),
        ros_distro: info.ros_distro,
    })
}
