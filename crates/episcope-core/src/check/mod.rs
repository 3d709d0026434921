//! The conformance checker: a pure function from a dataset to a report that keeps going after
//! errors and gathers structured findings (rule id, severity, location, message, fix).

pub mod engine;
pub mod finding;
pub mod frames;
pub mod profile;
pub mod recording;
pub mod render;
pub mod report;
pub mod rules;
pub mod stats;
pub mod videos;

pub use engine::{
    check_dataset, check_partial, finish_check, CheckMergeError, CheckOptions, CheckPartial, CHECK_PARTIAL_VERSION,
};
pub use finding::{Finding, Findings, Location};
pub use profile::Profile;
pub use recording::check_recording;
pub use report::{Report, Verdict};
pub use rules::{dataset_rule_count, rule, Family, Rule, Severity, RULES};
