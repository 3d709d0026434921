//! The conformance report: tool, dataset identity (SHA-256 per file and over the whole), summary
//! counts and findings; and the full report a reader needs besides (tasks, cameras, duration,
//! features, statistics, stats drift). Its JSON form is documented in `docs/report.schema.json`.

use serde::{Deserialize, Serialize};

use super::finding::Finding;
use super::rules::Severity;
use crate::stats::drift::StatsDrift;
use crate::stats::DatasetStats;

/// Version of the JSON report layout; bump on incompatible changes.
pub const REPORT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigest {
    pub path: String,
    pub size_bytes: u64,
    /// Lowercase hex SHA-256 of the file's bytes (absent when hashing was skipped or failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetIdentity {
    pub name: String,
    /// Format version the checker applied (`v2.0`, `v2.1`, `v3.0`), if known.
    pub format_version: Option<String>,
    pub codebase_version: Option<String>,
    pub robot_type: Option<String>,
    pub fps: Option<f64>,
    pub episodes: u64,
    pub frames: u64,
    pub files: Vec<FileDigest>,
    /// SHA-256 over the sorted lines `"<sha256>  <path>\n"` of every file (like `sha256sum`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

impl DatasetIdentity {
    /// What is known before the contents are read: the name and the files with their digests.
    pub fn of_files(name: &str, files: Vec<FileDigest>, sha256: Option<String>) -> Self {
        DatasetIdentity {
            name: name.to_string(),
            format_version: None,
            codebase_version: None,
            robot_type: None,
            fps: None,
            episodes: 0,
            frames: 0,
            files,
            sha256,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Warnings,
    Errors,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub verdict: Verdict,
    /// Findings per severity (a gathered finding counts once).
    pub errors: u64,
    pub warnings: u64,
    pub infos: u64,
    /// Occurrences behind the findings.
    pub occurrences: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub report_version: u32,
    pub tool: Tool,
    pub dataset: DatasetIdentity,
    /// The profile checked against (`lerobot-v2.1`, or an organisation profile's name).
    pub profile: String,
    pub rules_checked: usize,
    pub summary: Summary,
    pub findings: Vec<Finding>,
}

impl Summary {
    pub fn of(findings: &[Finding]) -> Summary {
        let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count() as u64;
        let (errors, warnings, infos) = (count(Severity::Error), count(Severity::Warning), count(Severity::Info));
        let verdict = if errors > 0 {
            Verdict::Errors
        } else if warnings > 0 {
            Verdict::Warnings
        } else {
            Verdict::Pass
        };
        Summary { verdict, errors, warnings, infos, occurrences: findings.iter().map(|f| f.count).sum() }
    }
}

/// A task as a reader sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskSummary {
    pub index: u64,
    pub text: String,
    /// Episodes whose metadata lists the task.
    pub episodes: u64,
    /// Frames attributed to the task through `task_index` (present when statistics were computed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frames: Option<u64>,
    /// `frames / fps / 3600`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<f64>,
}

/// A camera: a video feature (mp4 files) or an image feature (images inside the data files).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CameraSummary {
    pub feature: String,
    /// `video` or `image`.
    pub storage: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fps: Option<f64>,
    /// As declared in info.json (`video.codec`), for video features.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codec: Option<String>,
}

/// One feature of info.json, summarised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSummary {
    pub name: String,
    pub dtype: String,
    pub shape: Vec<u64>,
    /// `numeric`, `video`, `image` or `other`.
    pub kind: String,
    /// The product of the shape.
    pub values_per_frame: u64,
    /// Dimension names, at most [`MAX_SUMMARY_LABELS`].
    pub labels: Vec<String>,
}

/// Dimension labels kept per feature in a [`FeatureSummary`].
pub const MAX_SUMMARY_LABELS: usize = 64;

/// The conformance [`Report`] and what a reader needs besides. Its JSON is the report's JSON with
/// more top-level keys, all optional: a reader of the plain report reads it, and a plain report
/// reads as a `FullReport` with those parts empty (`report_version` stays 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FullReport {
    #[serde(flatten)]
    pub report: Report,
    #[serde(default)]
    pub tasks: Vec<TaskSummary>,
    #[serde(default)]
    pub cameras: Vec<CameraSummary>,
    /// Frames / fps over every episode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_secs: Option<f64>,
    #[serde(default)]
    pub features: Vec<FeatureSummary>,
    /// Exact statistics over every frame (histograms kept only for what the charts show).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistics: Option<DatasetStats>,
    /// Computed statistics against the stored ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<StatsDrift>,
    /// The day the report was made, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated_on: Option<String>,
}

impl FullReport {
    /// A full report with nothing but the conformance report.
    pub fn from_report(report: Report) -> FullReport {
        FullReport {
            report,
            tasks: Vec::new(),
            cameras: Vec::new(),
            duration_secs: None,
            features: Vec::new(),
            statistics: None,
            drift: None,
            generated_on: None,
        }
    }
}
