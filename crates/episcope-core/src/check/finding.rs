//! Findings: what a rule found, where, and what to do about it. Repeated defects are gathered into
//! one finding with a count and the first locations.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::rules::{rule, Severity};

/// Where a finding is: a file and, where they apply, episode, frame/row and feature/column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub episode: Option<u64>,
    /// Frame within the episode (frame_index).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame: Option<u64>,
    /// Row within the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    /// Feature or column name (with a dimension label where one applies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature: Option<String>,
}

impl Location {
    pub fn file(path: impl Into<String>) -> Self {
        Location { path: Some(path.into()), ..Default::default() }
    }
    pub fn episode(mut self, episode: u64) -> Self {
        self.episode = Some(episode);
        self
    }
    pub fn frame(mut self, frame: u64) -> Self {
        self.frame = Some(frame);
        self
    }
    pub fn row(mut self, row: u64) -> Self {
        self.row = Some(row);
        self
    }
    pub fn feature(mut self, feature: impl Into<String>) -> Self {
        self.feature = Some(feature.into());
        self
    }
}

/// One finding of the checker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    /// Where the first occurrence is.
    pub location: Location,
    /// What was expected and what was found.
    pub message: String,
    /// What to do about it.
    pub fix: String,
    /// How many occurrences this finding stands for.
    pub count: u64,
    /// The first occurrences (at most [`MAX_LOCATIONS`]), the first one being `location`.
    pub locations: Vec<Location>,
}

/// Locations kept per gathered finding.
pub const MAX_LOCATIONS: usize = 10;

/// Findings gathered while checking; the same rule in the same file and feature is one finding.
#[derive(Debug, Default)]
pub struct Findings {
    items: Vec<Finding>,
    index: HashMap<(String, Option<String>, Option<String>), usize>,
}

impl Findings {
    /// Records an occurrence. `rule_id` must be in the catalogue (tests check every id used).
    pub fn add(&mut self, rule_id: &str, location: Location, message: impl Into<String>, fix: impl Into<String>) {
        let severity = rule(rule_id).map(|r| r.severity).unwrap_or(Severity::Error);
        let key = (rule_id.to_string(), location.path.clone(), location.feature.clone());
        if let Some(&i) = self.index.get(&key) {
            let finding = &mut self.items[i];
            finding.count += 1;
            if finding.locations.len() < MAX_LOCATIONS {
                finding.locations.push(location);
            }
            return;
        }
        self.index.insert(key, self.items.len());
        self.items.push(Finding {
            rule: rule_id.to_string(),
            severity,
            location: location.clone(),
            message: message.into(),
            fix: fix.into(),
            count: 1,
            locations: vec![location],
        });
    }

    /// Adds a finding gathered elsewhere (another unit or shard of the same check), as if its
    /// occurrences had been added here one by one.
    pub fn absorb(&mut self, finding: Finding) {
        let key = (finding.rule.clone(), finding.location.path.clone(), finding.location.feature.clone());
        if let Some(&i) = self.index.get(&key) {
            let gathered = &mut self.items[i];
            gathered.count = gathered.count.saturating_add(finding.count);
            let room = MAX_LOCATIONS.saturating_sub(gathered.locations.len());
            gathered.locations.extend(finding.locations.into_iter().take(room));
            return;
        }
        self.index.insert(key, self.items.len());
        self.items.push(finding);
    }

    /// The findings in the order they were first found.
    pub fn into_items(self) -> Vec<Finding> {
        self.items
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Findings sorted by severity, then rule, then location.
    pub fn into_sorted(mut self) -> Vec<Finding> {
        self.items.sort_by(|a, b| {
            (a.severity, &a.rule, &a.location.path, a.location.episode, a.location.frame).cmp(&(
                b.severity,
                &b.rule,
                &b.location.path,
                b.location.episode,
                b.location.frame,
            ))
        });
        self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_defects_gather_into_one_finding_with_first_locations() {
        let mut findings = Findings::default();
        for frame in 0..1000 {
            findings.add(
                "value.non-finite",
                Location::file("data/x.parquet").episode(0).frame(frame).feature("action"),
                "NaN",
                "fix",
            );
        }
        findings.add("value.non-finite", Location::file("data/x.parquet").episode(0).feature("state"), "NaN", "fix");
        let items = findings.into_sorted();
        assert_eq!(items.len(), 2);
        let action = items.iter().find(|f| f.location.feature.as_deref() == Some("action")).unwrap();
        assert_eq!(action.count, 1000);
        assert_eq!(action.locations.len(), MAX_LOCATIONS);
        assert_eq!(action.locations[3].frame, Some(3));
    }
}
