//! The mapping from a recording to a LeRobot v3.0 dataset: a small declarative TOML file (unknown
//! keys refused) naming which stream and field becomes each feature, the frame rate, how streams
//! are resampled, where episodes begin, and the task text. Documented in `docs/mapping.md`.

use serde::{Deserialize, Serialize};

use super::resample::Resample;

/// Bounds on a mapping (each sizes work or an allocation).
pub const MAX_MAPPING_BYTES: usize = 1 << 20;
pub const MAX_FPS: u32 = 10_000;

/// Why a mapping cannot be used; names the file.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("invalid mapping ({reason}): {path}")]
    Parse { reason: String, path: String },
    #[error("invalid mapping: {reason} ({path})")]
    Invalid { reason: String, path: String },
}

/// A whole mapping file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Frames per second of the dataset: the grid every stream is resampled onto.
    pub fps: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub robot_type: Option<String>,
    /// An SPDX id written into the dataset card (`README.md`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// The task of every episode unless an `[[episode]]` entry says otherwise.
    #[serde(default = "default_task")]
    pub task: String,
    #[serde(default)]
    pub episodes: Episodes,
    /// The numeric features, in `info.json` order.
    #[serde(default, rename = "feature")]
    pub features: Vec<FeatureMapping>,
    /// Camera streams that become video features.
    #[serde(default, rename = "camera", skip_serializing_if = "Vec::is_empty")]
    pub cameras: Vec<CameraMapping>,
    /// Per-episode task text (by the index of the dataset episode).
    #[serde(default, rename = "episode", skip_serializing_if = "Vec::is_empty")]
    pub episode_tasks: Vec<EpisodeTask>,
}

fn default_task() -> String {
    "unspecified task".to_string()
}

/// Where episodes begin and end, and what happens to frames no sample supports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Episodes {
    #[serde(default)]
    pub split: Split,
    /// `split = "gap"`: a pause of the first feature's stream longer than this ends an episode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gap_secs: Option<f64>,
    /// `split = "marker"`: every message on this topic starts an episode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker_topic: Option<String>,
    #[serde(default)]
    pub flagged: OnFlagged,
}

/// How a recording is cut into episodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// One episode per file (bag, split bag, `episode_*.hdf5`) or robomimic demo.
    #[default]
    File,
    /// Also wherever the first feature's stream pauses longer than `gap_secs`.
    Gap,
    /// At every message of `marker_topic`.
    Marker,
}

/// What to do with a frame whose nearest sample of some feature is beyond the tolerance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnFlagged {
    /// Stop the conversion, naming the episode, feature and time.
    #[default]
    Error,
    /// Write it (the value of the sample used) and list it in the conversion summary.
    Keep,
}

/// Which clock orders a stream's samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Clock {
    /// When the recorder logged the message.
    #[default]
    Log,
    /// The message's `header.stamp` (when the sensor measured it).
    Header,
}

/// One numeric feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureMapping {
    /// `observation.state`, `action`, `observation.velocity`, …
    pub name: String,
    /// Topic, or HDF5 dataset path (robomimic: below the demo, `data/demo_*/obs/joint_pos`).
    pub stream: String,
    /// Field path in the message (`position`, `data`); omitted when the stream has one field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// One per dimension; default: the stream's own (JointState names, `field[i]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names: Option<Vec<String>>,
    #[serde(default)]
    pub resample: Resample,
    /// A frame further than this from the sample used is flagged (default: one frame period).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance_secs: Option<f64>,
    #[serde(default)]
    pub clock: Clock,
}

/// One camera.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraMapping {
    /// `observation.images.front`, …
    pub name: String,
    pub stream: String,
    /// How the frames are stored: `video` (mp4, H.264) or `image` (PNG in the data files).
    #[serde(default)]
    pub dtype: CameraDtype,
    /// A frame whose nearest camera frame (by log time) is further than this is flagged
    /// (default: one frame period).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance_secs: Option<f64>,
}

/// How a camera's frames are stored (LeRobot's feature dtype).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CameraDtype {
    /// `videos/<key>/chunk-*/file-*.mp4`, H.264 (what LeRobot datasets usually hold).
    #[default]
    Video,
    /// PNG bytes in the data parquet (lossless, larger).
    Image,
}

/// The task of one dataset episode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpisodeTask {
    pub index: u64,
    pub task: String,
}

impl Mapping {
    /// Parses and validates a mapping; `path` names it in errors.
    pub fn parse(text: &str, path: &str) -> Result<Self, MappingError> {
        if text.len() > MAX_MAPPING_BYTES {
            return Err(MappingError::Invalid {
                reason: format!("{} bytes; at most {MAX_MAPPING_BYTES}", text.len()),
                path: path.into(),
            });
        }
        let mapping: Mapping =
            toml::from_str(text).map_err(|e| MappingError::Parse { reason: e.to_string(), path: path.into() })?;
        mapping.validate().map_err(|reason| MappingError::Invalid { reason, path: path.into() })?;
        Ok(mapping)
    }

    /// What makes a mapping unusable, in words.
    pub fn validate(&self) -> Result<(), String> {
        if self.fps == 0 || self.fps > MAX_FPS {
            return Err(format!("fps = {}; 1 to {MAX_FPS}", self.fps));
        }
        if self.features.is_empty() {
            return Err("no [[feature]]: a dataset needs at least one numeric feature".into());
        }
        let mut names = std::collections::BTreeSet::new();
        for feature in &self.features {
            if !names.insert(feature.name.as_str()) {
                return Err(format!("feature {} is declared twice", feature.name));
            }
            if let Some(t) = feature.tolerance_secs {
                if !(t.is_finite() && t >= 0.0) {
                    return Err(format!("feature {}: tolerance_secs must be a number ≥ 0", feature.name));
                }
            }
            if matches!(&feature.names, Some(n) if n.is_empty()) {
                return Err(format!("feature {}: names is empty", feature.name));
            }
        }
        for camera in &self.cameras {
            if !names.insert(camera.name.as_str()) {
                return Err(format!("camera {} has the name of another feature", camera.name));
            }
            if camera.stream.is_empty() {
                return Err(format!("camera {}: stream is empty", camera.name));
            }
            if let Some(t) = camera.tolerance_secs {
                if !(t.is_finite() && t >= 0.0) {
                    return Err(format!("camera {}: tolerance_secs must be a number ≥ 0", camera.name));
                }
            }
        }
        match self.episodes.split {
            Split::Gap if !matches!(self.episodes.gap_secs, Some(g) if g.is_finite() && g > 0.0) => {
                Err("split = \"gap\" needs gap_secs > 0".into())
            }
            Split::Marker if self.episodes.marker_topic.as_deref().is_none_or(str::is_empty) => {
                Err("split = \"marker\" needs marker_topic".into())
            }
            _ => Ok(()),
        }
    }

    /// The task of dataset episode `index`.
    pub fn task_of(&self, index: u64) -> &str {
        self.episode_tasks.iter().find(|e| e.index == index).map_or(self.task.as_str(), |e| e.task.as_str())
    }

    /// The mapping as TOML, with a header saying what it is (parses back to the same mapping).
    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).unwrap_or_default();
        format!(
            "# Episcope mapping: a recording → a LeRobot v3.0 dataset (docs/mapping.md).\n\
             # Use it with `episcope convert INPUT --out DIR --map THIS.toml`.\n\n{body}"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"
fps = 30
task = "pick the cube"

[episodes]
split = "gap"
gap_secs = 1.5

[[feature]]
name = "observation.state"
stream = "/joint_states"
field = "position"
resample = "linear"
tolerance_secs = 0.05

[[feature]]
name = "action"
stream = "/cmd"
field = "data"
resample = "hold"
"#;

    #[test]
    fn a_mapping_parses_and_prints_back_to_itself() {
        let mapping = Mapping::parse(SMALL, "m.toml").expect("parses");
        assert_eq!(mapping.fps, 30);
        assert_eq!(mapping.features[1].resample, Resample::Hold);
        assert_eq!(mapping.episodes.split, Split::Gap);
        let again = Mapping::parse(&mapping.to_toml(), "again.toml").expect("round trip");
        assert_eq!(again, mapping);
    }

    #[test]
    fn unknown_keys_are_refused_with_the_file_named() {
        let text = SMALL.replace("resample = \"hold\"", "resample = \"hold\"\nresampel = 1");
        let error = Mapping::parse(&text, "typo.toml").expect_err("unknown key").to_string();
        assert!(error.contains("resampel") && error.contains("typo.toml"), "{error}");
        let error = Mapping::parse(&format!("colour = 1\n{SMALL}"), "m.toml").expect_err("top level").to_string();
        assert!(error.contains("colour"), "{error}");
    }

    #[test]
    fn incomplete_mappings_are_refused() {
        assert!(Mapping::parse("fps = 30\n", "m").is_err(), "no feature");
        assert!(Mapping::parse(&SMALL.replace("fps = 30", "fps = 0"), "m").is_err());
        assert!(Mapping::parse(&SMALL.replace("gap_secs = 1.5", ""), "m").is_err());
        assert!(Mapping::parse(&SMALL.replace("name = \"action\"", "name = \"observation.state\""), "m").is_err());
        assert!(Mapping::parse(&SMALL.replace("resample = \"hold\"", "resample = \"cubic\""), "m").is_err());
    }

    #[test]
    fn episode_tasks_override_the_default() {
        let text = format!("{SMALL}\n[[episode]]\nindex = 1\ntask = \"place it\"\n");
        let mapping = Mapping::parse(&text, "m").expect("parses");
        assert_eq!((mapping.task_of(0), mapping.task_of(1)), ("pick the cube", "place it"));
    }
}
