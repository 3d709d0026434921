//! Profiles: an organisation's own, stricter standard written as a small TOML file and checked by
//! the same engine on top of the LeRobot rules (rules `profile.*`).

use serde::{Deserialize, Serialize};

use super::finding::{Findings, Location};
use super::frames::DataAccumulator;
use crate::lerobot::Dataset;

/// A required feature: it must exist, and match what is given.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiredFeature {
    pub name: String,
    pub dtype: Option<String>,
    pub shape: Option<Vec<u64>>,
    /// Dimension names, in order.
    pub names: Option<Vec<String>>,
}

/// An organisation's standard.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Shown in reports as the profile checked against.
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Allowed `robot_type` values (any when empty).
    #[serde(default)]
    pub robot_types: Vec<String>,
    pub fps_min: Option<f64>,
    pub fps_max: Option<f64>,
    /// Episodes shorter than this many frames are findings.
    pub min_episode_frames: Option<u64>,
    /// Largest allowed share of NaN/Inf values over all numeric features (0.0 = none at all).
    pub max_nan_ratio: Option<f64>,
    /// Top-level keys info.json must have (`license`, `units`, …).
    #[serde(default)]
    pub required_metadata: Vec<String>,
    #[serde(default)]
    pub features: Vec<RequiredFeature>,
}

/// Why a profile file could not be used.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ProfileError {
    #[error("invalid profile ({reason}): {path}")]
    Invalid { reason: String, path: String },
}

/// A TOML error as one line (`line L, column C: message`): the toml crate's own text quotes the
/// offending line over several lines, which would break one-line error output (the CLI's stderr).
fn one_line(error: &toml::de::Error, text: &str) -> String {
    let message = error.message().split_whitespace().collect::<Vec<_>>().join(" ");
    match error.span() {
        Some(span) => {
            let before = text.get(..span.start.min(text.len())).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.chars().rev().take_while(|c| *c != '\n').count() + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

impl Profile {
    pub fn parse(text: &str, path: &str) -> Result<Profile, ProfileError> {
        let profile: Profile = toml::from_str(text)
            .map_err(|e| ProfileError::Invalid { reason: one_line(&e, text), path: path.into() })?;
        if profile.name.trim().is_empty() {
            return Err(ProfileError::Invalid { reason: "`name` must not be empty".into(), path: path.into() });
        }
        Ok(profile)
    }

    pub fn check(&self, dataset: &Dataset, data: &DataAccumulator, findings: &mut Findings) {
        let info_path = "meta/info.json";
        let info = &dataset.info;
        if !self.robot_types.is_empty() {
            let robot = info.robot_type.clone().unwrap_or_default();
            if !self.robot_types.contains(&robot) {
                findings.add(
                    "profile.robot-type",
                    Location::file(info_path).feature("robot_type"),
                    format!(
                        "profile {} allows robot types {}, found `{robot}`",
                        self.name,
                        self.robot_types.join(", ")
                    ),
                    "Record data with an allowed robot, or ask for the profile to be extended.",
                );
            }
        }
        if let Some(fps) = info.fps {
            let low = self.fps_min.is_some_and(|min| fps < min);
            let high = self.fps_max.is_some_and(|max| fps > max);
            if low || high {
                findings.add(
                    "profile.fps",
                    Location::file(info_path).feature("fps"),
                    format!(
                        "profile {} requires fps in [{}, {}], found {fps}",
                        self.name,
                        self.fps_min.map(|v| v.to_string()).unwrap_or_else(|| "−∞".into()),
                        self.fps_max.map(|v| v.to_string()).unwrap_or_else(|| "∞".into())
                    ),
                    "Record (or resample) at an allowed rate.",
                );
            }
        }
        for key in &self.required_metadata {
            let present = info.extra.get(key).is_some_and(|v| !v.is_null() && v.as_str() != Some(""))
                || (key == "robot_type" && info.robot_type.is_some());
            if !present {
                findings.add(
                    "profile.metadata",
                    Location::file(info_path).feature(key.clone()),
                    format!("profile {} requires `{key}` in info.json, found none", self.name),
                    format!("Add `{key}` to meta/info.json."),
                );
            }
        }
        for required in &self.features {
            let at = || Location::file(info_path).feature(required.name.clone());
            let Some(feature) = info.feature(&required.name) else {
                findings.add(
                    "profile.required-feature",
                    at(),
                    format!("profile {} requires feature `{}`, found none", self.name, required.name),
                    "Record the feature, or map an existing one to this name.",
                );
                continue;
            };
            let mut differences = Vec::new();
            if let Some(dtype) = required.dtype.as_ref().filter(|d| **d != feature.dtype) {
                differences.push(format!("dtype {dtype} (found {})", feature.dtype));
            }
            if let Some(shape) = required.shape.as_ref().filter(|s| **s != feature.shape) {
                differences.push(format!("shape {shape:?} (found {:?})", feature.shape));
            }
            if let Some(names) = required.names.as_ref().filter(|n| **n != feature.names) {
                differences.push(format!("names {} (found {})", names.join(", "), feature.names.join(", ")));
            }
            if !differences.is_empty() {
                findings.add(
                    "profile.required-feature",
                    at(),
                    format!("profile {} requires `{}` with {}", self.name, required.name, differences.join("; ")),
                    "Make the feature match the profile.",
                );
            }
        }
        if let Some(min) = self.min_episode_frames {
            for episode in dataset.episodes.iter().filter(|e| e.length < min) {
                findings.add(
                    "profile.episode-length",
                    Location::file(episode.data_file.clone().unwrap_or_default()).episode(episode.index),
                    format!(
                        "profile {} requires at least {min} frames per episode, episode {} has {}",
                        self.name, episode.index, episode.length
                    ),
                    "Drop or re-record short episodes.",
                );
            }
        }
        if let Some(max_ratio) = self.max_nan_ratio {
            let (mut bad, mut total) = (0u64, 0u64);
            for dims in data.global.values() {
                for d in dims {
                    bad += d.non_finite;
                    total += d.count + d.non_finite;
                }
            }
            let ratio = if total == 0 { 0.0 } else { bad as f64 / total as f64 };
            if ratio > max_ratio {
                findings.add(
                    "profile.nan-ratio",
                    Location::default(),
                    format!(
                        "profile {} allows at most {:.4}% NaN/Inf values, found {:.4}% ({bad} of {total})",
                        self.name,
                        max_ratio * 100.0,
                        ratio * 100.0
                    ),
                    "Clean or drop episodes with missing values.",
                );
            }
        }
    }
}
