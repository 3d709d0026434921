//! The episode list as a browser: filter by task, length and findings, search task text, sort, and
//! move between neighbours. Plain logic over the overview's episode list, tested natively.

use std::collections::BTreeMap;

use episcope_core::check::Report;
use episcope_core::lerobot::overview::EpisodeOverview;

/// Columns the list sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Index,
    Length,
    Findings,
    Task,
}

impl SortKey {
    pub const ALL: [SortKey; 4] = [SortKey::Index, SortKey::Length, SortKey::Findings, SortKey::Task];

    pub fn id(self) -> &'static str {
        match self {
            SortKey::Index => "index",
            SortKey::Length => "length",
            SortKey::Findings => "findings",
            SortKey::Task => "task",
        }
    }

    pub fn from_id(id: &str) -> SortKey {
        SortKey::ALL.into_iter().find(|k| k.id() == id).unwrap_or_default()
    }
}

/// What the user asked the list to show.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EpisodeQuery {
    /// Case-insensitive text searched in the episode's tasks (and its index, as typed).
    pub search: String,
    /// Only episodes with this task.
    pub task: Option<String>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    /// Only episodes some finding points at.
    pub with_findings_only: bool,
    pub sort: SortKey,
    pub descending: bool,
}

/// Findings (gathered findings, and their occurrences) that point at each episode.
pub fn findings_per_episode(report: Option<&Report>) -> BTreeMap<u64, u64> {
    let mut counts = BTreeMap::new();
    for finding in report.map(|r| r.findings.as_slice()).unwrap_or_default() {
        let mut seen = Vec::new();
        for location in std::iter::once(&finding.location).chain(finding.locations.iter()) {
            if let Some(episode) = location.episode.filter(|e| !seen.contains(e)) {
                seen.push(episode);
                *counts.entry(episode).or_insert(0) += 1;
            }
        }
    }
    counts
}

impl EpisodeQuery {
    /// Whether any filter is set (the list then says how many it hides).
    pub fn filters(&self) -> bool {
        !self.search.trim().is_empty()
            || self.task.is_some()
            || self.min_length.is_some()
            || self.max_length.is_some()
            || self.with_findings_only
    }

    fn keeps(&self, episode: &EpisodeOverview, findings: &BTreeMap<u64, u64>) -> bool {
        let needle = self.search.trim().to_lowercase();
        let text_ok = needle.is_empty()
            || episode.index.to_string() == needle
            || episode.tasks.iter().any(|t| t.to_lowercase().contains(&needle));
        text_ok
            && self.task.as_ref().is_none_or(|task| episode.tasks.contains(task))
            && self.min_length.is_none_or(|min| episode.length >= min)
            && self.max_length.is_none_or(|max| episode.length <= max)
            && (!self.with_findings_only || findings.contains_key(&episode.index))
    }

    /// Positions in `episodes` of the ones shown, in display order.
    pub fn apply(&self, episodes: &[EpisodeOverview], findings: &BTreeMap<u64, u64>) -> Vec<usize> {
        let mut shown: Vec<usize> = (0..episodes.len()).filter(|&i| self.keeps(&episodes[i], findings)).collect();
        let findings_of = |i: usize| findings.get(&episodes[i].index).copied().unwrap_or(0);
        shown.sort_by(|&a, &b| {
            let (ea, eb) = (&episodes[a], &episodes[b]);
            let primary = match self.sort {
                SortKey::Index => ea.index.cmp(&eb.index),
                SortKey::Length => ea.length.cmp(&eb.length),
                SortKey::Findings => findings_of(a).cmp(&findings_of(b)),
                SortKey::Task => ea.tasks.first().cmp(&eb.tasks.first()),
            };
            let primary = if self.descending { primary.reverse() } else { primary };
            // Ties keep episode order, whatever the direction.
            primary.then(ea.index.cmp(&eb.index))
        });
        shown
    }
}

/// The episode `delta` places away from `current` in the displayed order (the first one when
/// `current` is not shown), or `None` when the list is empty.
pub fn neighbour(shown_indices: &[u64], current: Option<u64>, delta: i64) -> Option<u64> {
    let last = shown_indices.len().checked_sub(1)?;
    let Some(position) = current.and_then(|c| shown_indices.iter().position(|&i| i == c)) else {
        return shown_indices.first().copied();
    };
    let target = (position as i64 + delta).clamp(0, last as i64) as usize;
    Some(shown_indices[target])
}

/// Frames of `episode` that findings point at, with the rule (timeline markers).
pub fn finding_frames(report: Option<&Report>, episode: u64) -> Vec<(u64, String)> {
    let mut frames: Vec<(u64, String)> = Vec::new();
    for finding in report.map(|r| r.findings.as_slice()).unwrap_or_default() {
        for location in std::iter::once(&finding.location).chain(finding.locations.iter()) {
            if let (Some(e), Some(frame)) = (location.episode, location.frame) {
                if e == episode && !frames.iter().any(|(f, r)| *f == frame && *r == finding.rule) {
                    frames.push((frame, finding.rule.clone()));
                }
            }
        }
    }
    frames.sort();
    frames
}

/// Most episodes overlaid at once in the 3D view (each is one draw call; more is unreadable).
pub const MAX_OVERLAYS: usize = 16;

/// The episode numbers typed in the overlay box (`1, 3, 7-9`), without `current`, at most
/// [`MAX_OVERLAYS`].
pub fn parse_episode_list(text: &str, current: u64) -> Vec<u64> {
    let mut out: Vec<u64> = Vec::new();
    for part in text.split([',', ' ', ';']).filter(|p| !p.is_empty()) {
        let range = match part.split_once('-') {
            Some((a, b)) => a.trim().parse::<u64>().ok().zip(b.trim().parse::<u64>().ok()),
            None => part.trim().parse::<u64>().ok().map(|a| (a, a)),
        };
        if let Some((from, to)) = range {
            for e in from..=to.min(from.saturating_add(MAX_OVERLAYS as u64)) {
                if e != current && !out.contains(&e) && out.len() < MAX_OVERLAYS {
                    out.push(e);
                }
            }
        }
    }
    out
}

/// The tasks the episodes have, in first-seen order (for the task filter).
pub fn distinct_tasks(episodes: &[EpisodeOverview]) -> Vec<String> {
    let mut tasks: Vec<String> = Vec::new();
    for task in episodes.iter().flat_map(|e| e.tasks.iter()) {
        if !tasks.contains(task) {
            tasks.push(task.clone());
        }
    }
    tasks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn episode(index: u64, length: u64, task: &str) -> EpisodeOverview {
        EpisodeOverview {
            index,
            length,
            duration_secs: length as f64 / 30.0,
            tasks: vec![task.to_string()],
            data_file: None,
        }
    }

    fn sample() -> Vec<EpisodeOverview> {
        vec![
            episode(0, 300, "Pick the red cube"),
            episode(1, 120, "Place the cube in the box"),
            episode(2, 240, "Pick the red cube"),
            episode(3, 120, "Open the drawer"),
        ]
    }

    fn indices(episodes: &[EpisodeOverview], shown: &[usize]) -> Vec<u64> {
        shown.iter().map(|&i| episodes[i].index).collect()
    }

    #[test]
    fn search_filter_and_sort() {
        let episodes = sample();
        let none = BTreeMap::new();
        let all = EpisodeQuery::default();
        assert_eq!(indices(&episodes, &all.apply(&episodes, &none)), [0, 1, 2, 3]);
        assert!(!all.filters());

        let search = EpisodeQuery { search: "  CUBE ".into(), ..Default::default() };
        assert_eq!(indices(&episodes, &search.apply(&episodes, &none)), [0, 1, 2]);
        assert!(search.filters());
        let by_index = EpisodeQuery { search: "3".into(), ..Default::default() };
        assert_eq!(indices(&episodes, &by_index.apply(&episodes, &none)), [3]);

        let task = EpisodeQuery { task: Some("Pick the red cube".into()), ..Default::default() };
        assert_eq!(indices(&episodes, &task.apply(&episodes, &none)), [0, 2]);

        let length = EpisodeQuery { min_length: Some(121), max_length: Some(299), ..Default::default() };
        assert_eq!(indices(&episodes, &length.apply(&episodes, &none)), [2]);

        // Sorting by length: ties keep episode order in both directions.
        let longest = EpisodeQuery { sort: SortKey::Length, descending: true, ..Default::default() };
        assert_eq!(indices(&episodes, &longest.apply(&episodes, &none)), [0, 2, 1, 3]);
        let shortest = EpisodeQuery { sort: SortKey::Length, ..Default::default() };
        assert_eq!(indices(&episodes, &shortest.apply(&episodes, &none)), [1, 3, 2, 0]);
        let by_task = EpisodeQuery { sort: SortKey::Task, ..Default::default() };
        assert_eq!(indices(&episodes, &by_task.apply(&episodes, &none)), [3, 0, 2, 1]);
    }

    #[test]
    fn findings_filter_and_sort() {
        let episodes = sample();
        let findings: BTreeMap<u64, u64> = [(2, 3), (3, 1)].into_iter().collect();
        let only = EpisodeQuery { with_findings_only: true, ..Default::default() };
        assert_eq!(indices(&episodes, &only.apply(&episodes, &findings)), [2, 3]);
        let most = EpisodeQuery { sort: SortKey::Findings, descending: true, ..Default::default() };
        assert_eq!(indices(&episodes, &most.apply(&episodes, &findings)), [2, 3, 0, 1]);
        assert_eq!(SortKey::from_id("findings"), SortKey::Findings);
        assert_eq!(SortKey::from_id("nonsense"), SortKey::Index);
    }

    #[test]
    fn neighbours_follow_the_displayed_order() {
        let shown = [2, 0, 3];
        assert_eq!(neighbour(&shown, Some(0), 1), Some(3));
        assert_eq!(neighbour(&shown, Some(0), -1), Some(2));
        assert_eq!(neighbour(&shown, Some(3), 1), Some(3));
        assert_eq!(neighbour(&shown, Some(2), -1), Some(2));
        assert_eq!(neighbour(&shown, Some(9), 1), Some(2));
        assert_eq!(neighbour(&shown, None, 1), Some(2));
        assert_eq!(neighbour(&[], Some(1), 1), None);
        assert_eq!(distinct_tasks(&sample()).len(), 3);
    }

    #[test]
    fn overlay_lists_parse_ranges_and_skip_the_current_episode() {
        assert_eq!(parse_episode_list("1, 3 5-7", 6), vec![1, 3, 5, 7]);
        assert_eq!(parse_episode_list("x, 2;2", 0), vec![2]);
        assert_eq!(parse_episode_list("0-1000000", 999).len(), MAX_OVERLAYS);
        assert!(parse_episode_list("", 0).is_empty());
    }
}
