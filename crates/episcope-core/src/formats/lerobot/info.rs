//! `meta/info.json`: format version, fps, totals, path templates and the feature schema.

use serde::Serialize;
use serde_json::{Map, Value};

/// The LeRobot format versions Episcope reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum FormatVersion {
    #[serde(rename = "v2.0")]
    V2_0,
    #[serde(rename = "v2.1")]
    V2_1,
    #[serde(rename = "v3.0")]
    V3_0,
}

impl FormatVersion {
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "v2.0" | "2.0" => Some(Self::V2_0),
            "v2.1" | "2.1" => Some(Self::V2_1),
            "v3.0" | "3.0" => Some(Self::V3_0),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::V2_0 => "v2.0",
            Self::V2_1 => "v2.1",
            Self::V3_0 => "v3.0",
        }
    }

    /// v3.0 stores many episodes per data/video file, located through `meta/episodes/`.
    pub fn is_v3(self) -> bool {
        self == Self::V3_0
    }
}

/// Largest number of values one frame of a feature may declare (guards allocations).
pub const MAX_FEATURE_VALUES: u64 = 1 << 24;
/// Largest number of labels [`Feature::dimension_labels`] builds (a declared shape of millions of
/// values would otherwise cost millions of strings; wider features get `name[i]` labels where
/// their values are read).
pub const MAX_DIMENSION_LABELS: u64 = 4096;

/// How a feature's values are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FeatureKind {
    /// Numbers (or bools) in the data parquet: plottable.
    Numeric,
    /// Frames in mp4 files under `videos/`.
    Video,
    /// Encoded images inside the data parquet (struct of bytes + path).
    Image,
    /// Strings or anything else.
    Other,
}

/// One entry of `info.json` `features`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Feature {
    pub name: String,
    pub dtype: String,
    pub shape: Vec<u64>,
    /// `names` as written, flattened (a `{"motors": [...]}` dict gives its lists in order).
    pub names: Vec<String>,
    pub kind: FeatureKind,
    /// Codec, pixel format, fps … for video features (`info` or `video_info`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video_info: Option<Value>,
}

impl Feature {
    /// Values per frame: the product of the shape (1 for a scalar).
    pub fn values_per_frame(&self) -> u64 {
        self.shape.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d)).unwrap_or(u64::MAX)
    }

    /// One label per flattened dimension, for the first [`MAX_DIMENSION_LABELS`] dimensions: the
    /// declared name when `names` has one per value, `name[i,j]` style labels otherwise.
    pub fn dimension_labels(&self) -> Vec<String> {
        let values = self.values_per_frame();
        let count = values.min(MAX_DIMENSION_LABELS) as usize;
        if self.names.len() as u64 == values {
            return self.names.iter().take(count).cloned().collect();
        }
        if count == 1 {
            return vec![self.name.clone()];
        }
        (0..count)
            .map(|flat| {
                let mut index = Vec::with_capacity(self.shape.len());
                let mut rest = flat as u64;
                for &dim in self.shape.iter().rev() {
                    let dim = dim.max(1);
                    index.push(rest % dim);
                    rest /= dim;
                }
                index.reverse();
                let parts: Vec<String> = index.iter().map(u64::to_string).collect();
                format!("{}[{}]", self.name, parts.join(","))
            })
            .collect()
    }

    pub fn is_default_index_column(&self) -> bool {
        matches!(self.name.as_str(), "timestamp" | "frame_index" | "episode_index" | "index" | "task_index")
    }
}

/// `meta/info.json`, read leniently: what is missing or of the wrong type is `None` and reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Info {
    pub codebase_version: String,
    pub version: Option<FormatVersion>,
    pub robot_type: Option<String>,
    pub fps: Option<f64>,
    pub total_episodes: Option<u64>,
    pub total_frames: Option<u64>,
    pub total_tasks: Option<u64>,
    pub total_videos: Option<u64>,
    pub total_chunks: Option<u64>,
    pub chunks_size: Option<u64>,
    pub data_files_size_in_mb: Option<f64>,
    pub video_files_size_in_mb: Option<f64>,
    pub data_path: Option<String>,
    pub video_path: Option<String>,
    pub splits: Vec<(String, String)>,
    pub features: Vec<Feature>,
    /// Every other top-level key, kept for the checker and the report (license, tags …).
    pub extra: Map<String, Value>,
}

/// Why `info.json` could not be used at all.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum InfoError {
    #[error("invalid JSON ({reason}): {path}")]
    Json { reason: String, path: String },
    #[error("expected a JSON object at the top level: {path}")]
    NotAnObject { path: String },
    #[error("no `features` object, so no column can be interpreted: {path}")]
    NoFeatures { path: String },
}

/// A problem in `info.json` that did not stop it from being read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InfoIssue {
    pub key: String,
    pub message: String,
}

fn as_u64(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| value.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1e18).map(|f| f as u64))
}

fn flatten_names(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| flatten_names(v, out)),
        Value::Object(map) => map.values().for_each(|v| flatten_names(v, out)),
        Value::Number(n) => out.push(n.to_string()),
        _ => {}
    }
}

impl Info {
    /// Parses `info.json` text. Fatal only when it is not JSON, not an object, or has no features.
    pub fn parse(text: &[u8], path: &str) -> Result<(Info, Vec<InfoIssue>), InfoError> {
        let value: Value = serde_json::from_slice(text)
            .map_err(|e| InfoError::Json { reason: e.to_string(), path: path.to_string() })?;
        let Value::Object(mut map) = value else { return Err(InfoError::NotAnObject { path: path.to_string() }) };
        let mut issues = Vec::new();
        let mut issue = |key: &str, message: String| issues.push(InfoIssue { key: key.to_string(), message });

        let take_u64 =
            |map: &mut Map<String, Value>, key: &str, issue: &mut dyn FnMut(&str, String)| match map.remove(key) {
                None | Some(Value::Null) => None,
                Some(v) => {
                    let parsed = as_u64(&v);
                    if parsed.is_none() {
                        issue(key, format!("expected a non-negative integer, found {v}"));
                    }
                    parsed
                }
            };
        let take_string =
            |map: &mut Map<String, Value>, key: &str, issue: &mut dyn FnMut(&str, String)| match map.remove(key) {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s),
                Some(other) => {
                    issue(key, format!("expected a string, found {other}"));
                    None
                }
            };
        let take_f64 =
            |map: &mut Map<String, Value>, key: &str, issue: &mut dyn FnMut(&str, String)| match map.remove(key) {
                None | Some(Value::Null) => None,
                Some(v) => {
                    let parsed = v.as_f64();
                    if parsed.is_none() {
                        issue(key, format!("expected a number, found {v}"));
                    }
                    parsed
                }
            };

        let codebase_version = take_string(&mut map, "codebase_version", &mut issue).unwrap_or_default();
        let version = FormatVersion::parse(&codebase_version);
        let robot_type = take_string(&mut map, "robot_type", &mut issue);
        let fps = take_f64(&mut map, "fps", &mut issue);
        let total_episodes = take_u64(&mut map, "total_episodes", &mut issue);
        let total_frames = take_u64(&mut map, "total_frames", &mut issue);
        let total_tasks = take_u64(&mut map, "total_tasks", &mut issue);
        let total_videos = take_u64(&mut map, "total_videos", &mut issue);
        let total_chunks = take_u64(&mut map, "total_chunks", &mut issue);
        let chunks_size = take_u64(&mut map, "chunks_size", &mut issue);
        let data_files_size_in_mb = take_f64(&mut map, "data_files_size_in_mb", &mut issue);
        let video_files_size_in_mb = take_f64(&mut map, "video_files_size_in_mb", &mut issue);
        let data_path = take_string(&mut map, "data_path", &mut issue);
        let video_path = take_string(&mut map, "video_path", &mut issue);
        let splits = match map.remove("splits") {
            Some(Value::Object(splits)) => splits
                .into_iter()
                .map(|(k, v)| (k, v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
                .collect(),
            None | Some(Value::Null) => Vec::new(),
            Some(other) => {
                issue("splits", format!("expected an object, found {other}"));
                Vec::new()
            }
        };
        let Some(Value::Object(raw_features)) = map.remove("features") else {
            return Err(InfoError::NoFeatures { path: path.to_string() });
        };
        let mut features = Vec::with_capacity(raw_features.len());
        for (name, spec) in raw_features {
            let key = format!("features.{name}");
            let Value::Object(spec) = spec else {
                issue(&key, "expected an object with dtype and shape".to_string());
                continue;
            };
            let dtype = spec.get("dtype").and_then(Value::as_str).unwrap_or_default().to_string();
            if dtype.is_empty() {
                issue(&key, "has no `dtype`".to_string());
            }
            let shape: Vec<u64> = match spec.get("shape") {
                Some(Value::Array(dims)) => dims.iter().filter_map(as_u64).collect(),
                _ => {
                    issue(&key, "has no `shape` list".to_string());
                    Vec::new()
                }
            };
            let mut names = Vec::new();
            if let Some(raw) = spec.get("names") {
                flatten_names(raw, &mut names);
            }
            let kind = match dtype.as_str() {
                "video" => FeatureKind::Video,
                "image" => FeatureKind::Image,
                "float16" | "float32" | "float64" | "int8" | "int16" | "int32" | "int64" | "uint8" | "uint16"
                | "uint32" | "uint64" | "bool" => FeatureKind::Numeric,
                _ => FeatureKind::Other,
            };
            let video_info = spec.get("info").or_else(|| spec.get("video_info")).cloned();
            let feature = Feature { name, dtype, shape, names, kind, video_info };
            if feature.values_per_frame() > MAX_FEATURE_VALUES && feature.kind == FeatureKind::Numeric {
                issue(
                    &key,
                    format!("declares {} values per frame, more than Episcope reads", feature.values_per_frame()),
                );
            }
            features.push(feature);
        }
        let info = Info {
            codebase_version,
            version,
            robot_type,
            fps,
            total_episodes,
            total_frames,
            total_tasks,
            total_videos,
            total_chunks,
            chunks_size,
            data_files_size_in_mb,
            video_files_size_in_mb,
            data_path,
            video_path,
            splits,
            features,
            extra: map,
        };
        Ok((info, issues))
    }

    pub fn feature(&self, name: &str) -> Option<&Feature> {
        self.features.iter().find(|f| f.name == name)
    }

    pub fn video_features(&self) -> impl Iterator<Item = &Feature> {
        self.features.iter().filter(|f| f.kind == FeatureKind::Video)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_leniently_and_reports_wrong_types() {
        let text = br#"{"codebase_version":"v2.1","fps":"thirty","total_episodes":2,
            "features":{"a":{"dtype":"float32","shape":[2],"names":{"motors":["x","y"]}},
                        "img":{"dtype":"video","shape":[4,4,3],"names":["h","w","c"],"info":{"video.codec":"av1"}}},
            "license":"mit"}"#;
        let (info, issues) = Info::parse(text, "meta/info.json").unwrap();
        assert_eq!(info.version, Some(FormatVersion::V2_1));
        assert_eq!(info.fps, None);
        assert_eq!(
            issues,
            vec![InfoIssue { key: "fps".into(), message: "expected a number, found \"thirty\"".into() }]
        );
        assert_eq!(info.feature("a").unwrap().names, vec!["x", "y"]);
        assert_eq!(info.feature("img").unwrap().kind, FeatureKind::Video);
        assert!(info.extra.contains_key("license"));
    }

    #[test]
    fn dimension_labels_for_vectors_matrices_and_scalars() {
        let f = |shape: Vec<u64>, names: Vec<&str>| Feature {
            name: "f".into(),
            dtype: "float32".into(),
            shape,
            names: names.into_iter().map(String::from).collect(),
            kind: FeatureKind::Numeric,
            video_info: None,
        };
        assert_eq!(f(vec![2], vec!["x", "y"]).dimension_labels(), vec!["x", "y"]);
        assert_eq!(f(vec![1], vec![]).dimension_labels(), vec!["f"]);
        assert_eq!(
            f(vec![2, 2], vec!["rows", "cols"]).dimension_labels(),
            vec!["f[0,0]", "f[0,1]", "f[1,0]", "f[1,1]"]
        );
    }

    #[test]
    fn fatal_errors_name_the_file() {
        assert_eq!(
            Info::parse(b"[1]", "meta/info.json").unwrap_err().to_string(),
            "expected a JSON object at the top level: meta/info.json"
        );
        assert!(Info::parse(b"{\"codebase_version\":\"v2.1\"}", "meta/info.json").is_err());
        assert!(matches!(Info::parse(b"{", "m").unwrap_err(), InfoError::Json { .. }));
    }
}
