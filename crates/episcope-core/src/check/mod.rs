//! The conformance checker: a pure function from a dataset to a report that keeps going after
//! errors and gathers structured findings (rule id, severity, location, message, fix).

// pub mod engine; (enabled once lerobot::stats lands)
pub mod finding;
pub mod frames;
pub mod profile;
pub mod report;
pub mod rules;
// pub mod stats;
pub mod videos;

pub use finding::{Finding, Findings, Location};
pub use rules::{rule, Family, Rule, Severity, RULES};
pub use profile::Profile;
pub use report::{Report, Verdict};
