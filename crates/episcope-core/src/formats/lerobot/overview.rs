//! The overview of an opened dataset: the facts shown on the web app's overview page and printed by
//! `episcope info`, as one serialisable value.

use serde::{Deserialize, Serialize};

use super::dataset::{Dataset, Problem};
use crate::tree::DatasetTree;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureOverview {
    pub name: String,
    pub dtype: String,
    pub shape: Vec<u64>,
    pub kind: String,
    /// One label per flattened value (declared names, or `feature[i,j]`).
    pub dimension_labels: Vec<String>,
    /// `names` as declared (for video/image features: the axis names).
    pub names: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpisodeOverview {
    pub index: u64,
    pub length: u64,
    pub duration_secs: f64,
    pub tasks: Vec<String>,
    pub data_file: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileOverview {
    pub path: String,
    pub size_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileGroupOverview {
    /// `meta`, `data`, `videos`, `images` or `other`.
    pub group: String,
    pub files: u64,
    pub size_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskOverview {
    pub index: u64,
    pub text: String,
}

/// Everything `episcope info` prints and the overview page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub name: String,
    /// The version the readers used (`v2.0`, `v2.1`, `v3.0`).
    pub version: String,
    /// `codebase_version` as declared.
    pub codebase_version: String,
    pub robot_type: Option<String>,
    pub fps: Option<f64>,
    /// Episodes found in the episode metadata.
    pub episodes: u64,
    /// Frames found: the sum of episode lengths.
    pub frames: u64,
    pub declared_total_episodes: Option<u64>,
    pub declared_total_frames: Option<u64>,
    pub duration_secs: f64,
    pub tasks: Vec<TaskOverview>,
    pub features: Vec<FeatureOverview>,
    pub cameras: Vec<String>,
    pub splits: Vec<(String, String)>,
    pub stats_files: Vec<String>,
    pub file_groups: Vec<FileGroupOverview>,
    pub files: Vec<FileOverview>,
    pub total_size_bytes: u64,
    pub episode_list: Vec<EpisodeOverview>,
    pub problems: Vec<Problem>,
}

impl Overview {
    pub fn new(name: &str, dataset: &Dataset, tree: &DatasetTree) -> Overview {
        let fps = dataset.fps();
        let info = &dataset.info;
        let episode_list: Vec<EpisodeOverview> = dataset
            .episodes
            .iter()
            .map(|e| EpisodeOverview {
                index: e.index,
                length: e.length,
                duration_secs: e.length as f64 / fps,
                tasks: e.tasks.clone(),
                data_file: e.data_file.clone(),
            })
            .collect();
        let frames = dataset.frames_found();
        let files: Vec<FileOverview> =
            tree.files().map(|f| FileOverview { path: f.path.clone(), size_bytes: f.size() }).collect();
        let mut file_groups: Vec<FileGroupOverview> = Vec::new();
        for file in &files {
            let group = match file.path.split('/').next().unwrap_or("") {
                g @ ("meta" | "data" | "videos" | "images") => g,
                _ => "other",
            };
            match file_groups.iter_mut().find(|g| g.group == group) {
                Some(g) => {
                    g.files += 1;
                    g.size_bytes += file.size_bytes;
                }
                None => file_groups.push(FileGroupOverview {
                    group: group.to_string(),
                    files: 1,
                    size_bytes: file.size_bytes,
                }),
            }
        }
        let mut stats_files: Vec<String> =
            [&dataset.stats.global_file, &dataset.stats.per_episode_file].into_iter().flatten().cloned().collect();
        if !dataset.stats.per_episode_features.is_empty() {
            stats_files.push(format!(
                "meta/episodes/ (stats/… columns for {} features)",
                dataset.stats.per_episode_features.len()
            ));
        }
        Overview {
            name: name.to_string(),
            version: dataset.version.as_str().to_string(),
            codebase_version: info.codebase_version.clone(),
            robot_type: info.robot_type.clone(),
            fps: info.fps,
            episodes: dataset.episodes.len() as u64,
            frames,
            declared_total_episodes: info.total_episodes,
            declared_total_frames: info.total_frames,
            duration_secs: frames as f64 / fps,
            tasks: dataset.tasks.iter().map(|t| TaskOverview { index: t.index, text: t.text.clone() }).collect(),
            features: info
                .features
                .iter()
                .map(|f| FeatureOverview {
                    name: f.name.clone(),
                    dtype: f.dtype.clone(),
                    shape: f.shape.clone(),
                    kind: serde_json::to_value(f.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    dimension_labels: f.dimension_labels(),
                    names: f.names.clone(),
                })
                .collect(),
            cameras: info.video_features().map(|f| f.name.clone()).collect(),
            splits: info.splits.clone(),
            stats_files,
            total_size_bytes: files.iter().map(|f| f.size_bytes).sum(),
            file_groups,
            files,
            episode_list,
            problems: dataset.problems.clone(),
        }
    }
}

/// `1 h 02 min`, `3 min 05 s`, `4.0 s`.
pub fn format_duration(duration_secs: f64) -> String {
    if !duration_secs.is_finite() || duration_secs < 0.0 {
        return "—".to_string();
    }
    let total = duration_secs.round() as u64;
    if total >= 3600 {
        format!("{} h {:02} min", total / 3600, (total % 3600) / 60)
    } else if total >= 60 {
        format!("{} min {:02} s", total / 60, total % 60)
    } else {
        format!("{duration_secs:.1} s")
    }
}

/// `1.2 MB` style sizes (powers of 1000, as file browsers show them).
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes_read_naturally() {
        assert_eq!(format_duration(4.0), "4.0 s");
        assert_eq!(format_duration(185.0), "3 min 05 s");
        assert_eq!(format_duration(3720.0), "1 h 02 min");
        assert_eq!(format_bytes(999), "999 B");
        assert_eq!(format_bytes(1_234_567), "1.2 MB");
    }
}
