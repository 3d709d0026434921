//! The conformance report: tool, dataset identity (SHA-256 per file and over the whole), summary
//! counts and findings. Its JSON form is documented in `docs/report.schema.json`.

use serde::{Deserialize, Serialize};

use super::finding::Finding;
use super::rules::Severity;

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
