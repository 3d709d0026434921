//! Builds the one [`FullReport`] the CLI and the web app both show and export: the conformance
//! report plus tasks, cameras, duration, features, statistics (trimmed to what the charts use) and
//! stats drift, whose disagreements join the findings.

use std::ops::ControlFlow;

use episcope_core::check::finding::Finding;
use episcope_core::check::report::{
    CameraSummary, FeatureSummary, FullReport, Report, Summary, TaskSummary, MAX_SUMMARY_LABELS,
};
use episcope_core::check::{check_dataset, CheckOptions};
use episcope_core::lerobot::info::Info;
use episcope_core::lerobot::overview::FeatureOverview;
use episcope_core::lerobot::stats::StoredStats;
use episcope_core::lerobot::{open_dataset, read_stored_stats, Overview};
use episcope_core::stats::drift::{compute_drift, drift_findings};
use episcope_core::stats::{compute_dataset_stats, DatasetStats, StatsOptions};
use episcope_core::DatasetTree;
use serde_json::Value;

use crate::i18n::Date;

/// Dimensions per feature whose histograms the report keeps (and the charts draw); the others'
/// histograms are dropped from [`FullReport::statistics`], their other statistics kept. With the
/// default 64 bins this bounds the histograms to 32 × 64 counts per feature.
pub const MAX_HISTOGRAM_DIMENSIONS_PER_FEATURE: usize = 32;

/// What a report is built from. Only `check` is required; each other part adds its sections.
#[derive(Debug, Clone)]
pub struct ReportInputs<'a> {
    pub check: Report,
    /// The dataset's overview (tasks, features, cameras, duration); `None` if it could not be opened.
    pub overview: Option<&'a Overview>,
    /// `meta/info.json` as read, for the cameras' codecs (the overview does not carry them).
    pub info: Option<&'a Info>,
    pub stats: Option<DatasetStats>,
    /// The stats the dataset stores, compared with `stats` (drift).
    pub stored_stats: Option<&'a StoredStats>,
    pub generated_on: Option<Date>,
}

/// Builds the full report. Drift disagreements become `stats.consistent` findings unless the
/// checker already reported that rule for the same file and feature; the summary is recomputed.
pub fn build_report(inputs: ReportInputs<'_>) -> FullReport {
    let ReportInputs { check, overview, info, stats, stored_stats, generated_on } = inputs;
    let mut report = FullReport::from_report(check);
    report.generated_on = generated_on.map(|d| d.iso());
    if let Some(overview) = overview {
        report.duration_secs = Some(overview.duration_secs).filter(|d| d.is_finite());
        report.features = overview.features.iter().map(feature_summary).collect();
        report.cameras = overview
            .features
            .iter()
            .filter(|f| f.kind == "video" || f.kind == "image")
            .map(|f| camera_summary(f, info, overview.fps))
            .collect();
        report.tasks = overview
            .tasks
            .iter()
            .map(|task| {
                let from_stats = stats.as_ref().and_then(|s| s.tasks.iter().find(|t| t.task_index == task.index));
                TaskSummary {
                    index: task.index,
                    text: task.text.clone(),
                    episodes: overview.episode_list.iter().filter(|e| e.tasks.contains(&task.text)).count() as u64,
                    frames: from_stats.map(|t| t.frames),
                    hours: from_stats.map(|t| t.hours).filter(|h| h.is_finite()),
                }
            })
            .collect();
    }
    if let (Some(stats), Some(stored)) = (&stats, stored_stats) {
        report.drift = compute_drift(stats, stored);
    }
    if let Some(drift) = &report.drift {
        merge_findings(&mut report.report, drift_findings(drift));
    }
    report.statistics = stats.map(trim_statistics);
    report
}

/// Adds findings whose (rule, file, feature) the report does not have yet; re-sorts and re-counts.
pub fn merge_findings(report: &mut Report, extra: Vec<Finding>) {
    let before = report.findings.len();
    for finding in extra {
        let known = report.findings.iter().any(|f| {
            f.rule == finding.rule
                && f.location.path == finding.location.path
                && f.location.feature == finding.location.feature
        });
        if !known {
            report.findings.push(finding);
        }
    }
    if report.findings.len() != before {
        // The checker's order: severity, rule, file, episode, frame.
        report.findings.sort_by(|a, b| {
            (a.severity, &a.rule, &a.location.path, a.location.episode, a.location.frame).cmp(&(
                b.severity,
                &b.rule,
                &b.location.path,
                b.location.episode,
                b.location.frame,
            ))
        });
        report.summary = Summary::of(&report.findings);
    }
}

/// Drops histograms beyond [`MAX_HISTOGRAM_DIMENSIONS_PER_FEATURE`] per feature.
fn trim_statistics(mut stats: DatasetStats) -> DatasetStats {
    for feature in &mut stats.features {
        for dim in feature.dims.iter_mut().skip(MAX_HISTOGRAM_DIMENSIONS_PER_FEATURE) {
            dim.histogram = None;
        }
    }
    stats
}

fn feature_summary(feature: &FeatureOverview) -> FeatureSummary {
    FeatureSummary {
        name: feature.name.clone(),
        dtype: feature.dtype.clone(),
        shape: feature.shape.clone(),
        kind: feature.kind.clone(),
        values_per_frame: feature.shape.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d)).unwrap_or(u64::MAX),
        labels: feature.dimension_labels.iter().take(MAX_SUMMARY_LABELS).cloned().collect(),
    }
}

/// Width and height from the declared video info, else from the shape and its axis names
/// (`[height, width, channels]` is LeRobot's layout; `[channels, height, width]` is recognised).
fn camera_summary(feature: &FeatureOverview, info: Option<&Info>, dataset_fps: Option<f64>) -> CameraSummary {
    let video_info = info.and_then(|i| i.feature(&feature.name)).and_then(|f| f.video_info.as_ref());
    let number = |key: &str| video_info.and_then(|v| v.get(key)).and_then(Value::as_f64);
    let axis = |name: &str| {
        let position = feature.names.iter().position(|n| n.eq_ignore_ascii_case(name));
        match position {
            Some(i) if feature.names.len() == feature.shape.len() => feature.shape.get(i).copied(),
            _ => None,
        }
    };
    let layout = match *feature.shape.as_slice() {
        [height, width, 1 | 3 | 4] => Some((height, width)),
        [1 | 3 | 4, height, width] => Some((height, width)),
        _ => None,
    };
    let whole = |v: f64| (v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 1e9).then_some(v as u64);
    CameraSummary {
        feature: feature.name.clone(),
        storage: feature.kind.clone(),
        width: number("video.width").and_then(whole).or_else(|| axis("width")).or(layout.map(|l| l.1)),
        height: number("video.height").and_then(whole).or_else(|| axis("height")).or(layout.map(|l| l.0)),
        fps: number("video.fps").filter(|f| f.is_finite() && *f > 0.0).or(dataset_fps.filter(|f| f.is_finite())),
        codec: video_info.and_then(|v| v.get("video.codec")).and_then(Value::as_str).map(str::to_string),
    }
}

/// How [`report_dataset`] runs.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    pub check: CheckOptions,
    /// Compute statistics (and drift); without them the report has no charts.
    pub skip_statistics: bool,
    pub generated_on: Option<Date>,
}

/// Checks the dataset at the root of `tree`, computes its statistics over every frame, compares
/// them with the stored ones and builds the report. Never fails: a dataset that cannot be opened
/// gives the checker's report (its findings say why) without the other parts, and statistics
/// that cannot be computed are left out.
///
/// Reads the data twice (once for the checker, once for the statistics).
pub async fn report_dataset(tree: &DatasetTree, name: &str, options: &ReportOptions) -> FullReport {
    let check = check_dataset(tree, name, &options.check, &mut |_| {}).await;
    let Ok(dataset) = open_dataset(tree, &mut |_| {}).await else {
        return build_report(ReportInputs {
            check,
            overview: None,
            info: None,
            stats: None,
            stored_stats: None,
            generated_on: options.generated_on,
        });
    };
    let overview = Overview::new(name, &dataset, tree);
    let stats = if options.skip_statistics {
        None
    } else {
        compute_dataset_stats(tree, &dataset, &StatsOptions::default(), &mut |_| ControlFlow::Continue(())).await.ok()
    };
    let stored = read_stored_stats(tree, &dataset).await;
    build_report(ReportInputs {
        check,
        overview: Some(&overview),
        info: Some(&dataset.info),
        stats,
        stored_stats: Some(&stored),
        generated_on: options.generated_on,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feature(shape: Vec<u64>, names: &[&str], kind: &str) -> FeatureOverview {
        FeatureOverview {
            name: "cam".into(),
            dtype: kind.into(),
            shape,
            kind: kind.into(),
            dimension_labels: Vec::new(),
            names: names.iter().map(|n| n.to_string()).collect(),
        }
    }

    #[test]
    fn camera_sizes_come_from_names_or_the_usual_layouts() {
        let named =
            camera_summary(&feature(vec![96, 128, 3], &["height", "width", "channels"], "video"), None, Some(30.0));
        assert_eq!((named.width, named.height, named.fps), (Some(128), Some(96), Some(30.0)));
        let channels_first = camera_summary(&feature(vec![3, 480, 640], &[], "image"), None, None);
        assert_eq!((channels_first.width, channels_first.height), (Some(640), Some(480)));
        let odd = camera_summary(&feature(vec![7], &[], "image"), None, None);
        assert_eq!((odd.width, odd.height, odd.codec), (None, None, None));
    }
}
