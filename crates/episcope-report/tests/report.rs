//! The full report over the nine official example datasets (`shared/datasets`) and over edited
//! in-memory copies of them: stats drift, findings fed by drift, escaping, JSON compatibility,
//! self-contained HTML in English and Japanese, and comparison.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use episcope_core::check::report::FullReport;
use episcope_core::check::report::TaskSummary;
use episcope_core::check::{check_dataset, CheckOptions, Report, Verdict};
use episcope_core::lerobot::{open_dataset, read_stored_stats, Overview};
use episcope_core::stats::drift::{compute_drift, drift_findings};
use episcope_core::stats::{compute_dataset_stats, StatsOptions};
use episcope_core::DatasetTree;
use episcope_report::charts::{
    episode_length_chart, histogram_chart, hours_by_task_chart, range_chart, task_time_chart, MAX_BARS,
};
use episcope_report::{
    build_report, render_compare_html, render_html, report_dataset, Date, Lang, ReportInputs, ReportOptions,
};

const SHARED_DATASETS: [&str; 9] = [
    "v20_so101_image",
    "v20_so101_video",
    "v20_state_extra",
    "v21_so101_image",
    "v21_so101_video",
    "v21_state_extra",
    "v30_so101_image",
    "v30_so101_video",
    "v30_state_extra",
];

const DAY: Date = Date { year: 2026, month: 11, day: 25 };

/// `$EPISCOPE_SHARED_DATASETS`, else `shared/datasets` beside the repository; missing → the test fails.
fn shared_dataset(name: &str) -> PathBuf {
    let root = match std::env::var_os("EPISCOPE_SHARED_DATASETS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets"),
    };
    let dir = root.join(name);
    assert!(dir.join("meta/info.json").is_file(), "shared example dataset missing: {}", dir.display());
    dir
}

/// Every file of a shared dataset, relative path → bytes, for editing in memory.
fn files_of(name: &str) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                out.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    let root = shared_dataset(name);
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out
}

fn tree_of(files: Vec<(String, Vec<u8>)>) -> DatasetTree {
    DatasetTree::from_memory(files.into_iter().map(|(path, bytes)| (path, Bytes::from(bytes)))).unwrap()
}

fn edit(files: &mut [(String, Vec<u8>)], path: &str, change: impl FnOnce(&str) -> String) {
    let entry = files.iter_mut().find(|(p, _)| p == path).unwrap_or_else(|| panic!("no {path}"));
    entry.1 = change(std::str::from_utf8(&entry.1).unwrap()).into_bytes();
}

fn options() -> ReportOptions {
    ReportOptions {
        check: CheckOptions { profile: None, skip_hashes: true },
        skip_statistics: false,
        generated_on: Some(DAY),
    }
}

fn report_of(tree: &DatasetTree, name: &str) -> FullReport {
    pollster::block_on(report_dataset(tree, name, &options()))
}

/// No URL, no external resource, no script: the file opens offline as it is.
fn assert_self_contained(html: &str) {
    for forbidden in ["http:", "https:", "//", "src=", "href=\"http", "@import", "url(", "<script", "<link", "<img"] {
        assert!(!html.contains(forbidden), "the HTML contains `{forbidden}`");
    }
    for href in html.split("href=\"").skip(1) {
        assert!(href.starts_with('#'), "only in-page links: {}", &href[..href.len().min(40)]);
    }
}

#[test]
fn every_shared_dataset_reports_a_pass_with_stats_within_tolerance() {
    for name in SHARED_DATASETS {
        let tree = DatasetTree::from_dir(&shared_dataset(name)).unwrap().rooted_at_dataset();
        let report = report_of(&tree, name);
        let r = &report.report;
        assert_eq!(r.summary.verdict, Verdict::Pass, "{name}: {:#?}", r.findings);
        assert_eq!((r.dataset.episodes, r.dataset.frames), (5, 990), "{name}");
        assert_eq!(report.tasks.len(), 3, "{name}");
        assert_eq!(report.tasks.iter().filter_map(|t| t.frames).sum::<u64>(), 990, "{name}: frames per task");
        assert!((report.duration_secs.unwrap() - 33.0).abs() < 1e-9, "{name}");
        let cameras = if name.ends_with("_video") {
            2
        } else if name.ends_with("_image") {
            1
        } else {
            0
        };
        assert_eq!(report.cameras.len(), cameras, "{name}");
        for camera in &report.cameras {
            assert_eq!((camera.width, camera.height, camera.fps), (Some(128), Some(96), Some(30.0)), "{name}");
            let codec = if camera.storage == "video" { Some("av1") } else { None };
            assert_eq!(camera.codec.as_deref(), codec, "{name}");
        }
        let drift = report.drift.as_ref().unwrap_or_else(|| panic!("{name}: no drift"));
        assert_eq!(drift.outside, 0, "{name}: {:?}", drift.disagreements().collect::<Vec<_>>());
        assert!(drift.complete, "{name}");
        assert_eq!(drift.aggregated_from_episodes, name.starts_with("v21"), "{name}");
        // observation.state and action: 6 dimensions × min/max/mean/std each, at least.
        assert!(drift.compared >= 48, "{name}: {} values compared", drift.compared);
        for stat in ["min", "max", "mean", "std"] {
            assert!(
                drift
                    .rows
                    .iter()
                    .any(|row| row.feature == "observation.state" && row.stat == stat && row.within == Some(true)),
                "{name}: no {stat} row for observation.state"
            );
        }
        // JSON round trip, and a plain-report reader still reads it.
        let json = serde_json::to_string(&report).unwrap();
        assert_eq!(serde_json::from_str::<FullReport>(&json).unwrap(), report, "{name}");
        assert_eq!(&serde_json::from_str::<Report>(&json).unwrap(), r, "{name}");
        for lang in Lang::ALL {
            let html = render_html(&report, lang);
            assert_self_contained(&html);
            assert!(html.contains(&format!("<html lang=\"{lang}\">")), "{name}");
            assert!(html.contains("data-testid=\"report\""), "{name}");
            assert!(html.matches("<svg").count() >= 4, "{name}: charts");
            assert!(html.contains("@media print"), "{name}");
        }
    }
}

#[test]
fn a_perturbed_stored_mean_is_drift_and_a_stats_consistent_finding() {
    let name = "v30_so101_video";
    let clean = tree_of(files_of(name));
    let check = pollster::block_on(check_dataset(&clean, name, &CheckOptions::default(), &mut |_| {}));
    assert_eq!(check.summary.verdict, Verdict::Pass);
    let dataset = pollster::block_on(open_dataset(&clean, &mut |_| {})).unwrap();
    let stats = pollster::block_on(compute_dataset_stats(&clean, &dataset, &StatsOptions::default(), &mut |_| {
        std::ops::ControlFlow::Continue(())
    }))
    .unwrap();
    let mut stored = pollster::block_on(read_stored_stats(&clean, &dataset));
    // Mean of shoulder_pan: range ~91 → tolerance ~0.09; move it by 2.
    stored.global.get_mut("observation.state").unwrap().mean[0] += 2.0;

    let drift = compute_drift(&stats, &stored).unwrap();
    assert_eq!(drift.outside, 1);
    let row = drift.disagreements().next().unwrap();
    assert_eq!(
        (row.feature.as_str(), row.dim, row.label.as_str(), row.stat.as_str()),
        ("observation.state", 0, "shoulder_pan.pos", "mean")
    );
    assert!((row.abs_diff - 2.0).abs() < 1e-6 && row.abs_diff > row.tolerance.unwrap());
    assert_eq!(drift_findings(&drift).len(), 1);

    // The checker saw clean stats; the drift alone turns the report into a failure.
    let overview = Overview::new(name, &dataset, &clean);
    let report = build_report(ReportInputs {
        check,
        overview: Some(&overview),
        info: Some(&dataset.info),
        stats: Some(stats),
        stored_stats: Some(&stored),
        generated_on: Some(DAY),
    });
    assert_eq!(report.report.summary.verdict, Verdict::Errors);
    assert_eq!(report.report.summary.errors, 1);
    let finding = &report.report.findings[0];
    assert_eq!(finding.rule, "stats.consistent");
    assert_eq!(finding.location.path.as_deref(), Some("meta/stats.json"));
    assert_eq!(finding.location.feature.as_deref(), Some("observation.state"));
    assert!(finding.message.contains("shoulder_pan.pos") && finding.message.contains("mean"), "{}", finding.message);
    let html = render_html(&report, Lang::En);
    assert!(html.contains("data-testid=\"drift-table\""));
    assert!(html.contains("1 of 68 values stored in meta/stats.json disagree with the data."), "drift sentence");
    assert!(html.contains("The stored summary statistics do not match the data (1 occurrence)."));
}

#[test]
fn a_perturbed_file_is_reported_once_whether_the_checker_or_the_drift_finds_it() {
    let name = "v30_so101_video";
    let mut files = files_of(name);
    edit(&mut files, "meta/stats.json", |text| {
        let mut stats: serde_json::Value = serde_json::from_str(text).unwrap();
        let max = &mut stats["action"]["max"][5];
        *max = serde_json::json!(max.as_f64().unwrap() + 10.0);
        stats.to_string()
    });
    let report = report_of(&tree_of(files), name);
    let consistent: Vec<_> = report.report.findings.iter().filter(|f| f.rule == "stats.consistent").collect();
    assert_eq!(consistent.len(), 1, "{:#?}", report.report.findings);
    assert_eq!(consistent[0].location.feature.as_deref(), Some("action"));
    let drift = report.drift.unwrap();
    assert_eq!(drift.outside, 1);
    assert_eq!(drift.rows[0].stat, "max");
}

#[test]
fn v21_per_episode_stats_are_aggregated_and_a_perturbed_episode_drifts() {
    let name = "v21_so101_video";
    let mut files = files_of(name);
    edit(&mut files, "meta/episodes_stats.jsonl", |text| {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let mut first: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        let min = &mut first["stats"]["action"]["min"][1];
        *min = serde_json::json!(min.as_f64().unwrap() - 30.0);
        lines[0] = first.to_string();
        lines.join("\n") + "\n"
    });
    let report = report_of(&tree_of(files), name);
    let drift = report.drift.as_ref().unwrap();
    assert!(drift.aggregated_from_episodes);
    assert_eq!(drift.stored_path, "meta/episodes_stats.jsonl");
    let wrong: Vec<_> = drift.disagreements().map(|r| (r.feature.as_str(), r.dim, r.stat.as_str())).collect();
    // The episode's min is now the dataset's min, 30 below the data's; its mean/std are untouched.
    assert_eq!(wrong, [("action", 1, "min")]);
    assert_eq!(report.report.summary.verdict, Verdict::Errors);
}

#[test]
fn every_dataset_string_is_escaped_in_the_html_and_its_charts() {
    let name = "v21_so101_video";
    let hostile_task = "<script>alert(1)</script>";
    let mut files = files_of(name);
    for path in ["meta/tasks.jsonl", "meta/episodes.jsonl"] {
        edit(&mut files, path, |text| text.replace("Open the top drawer.", hostile_task));
    }
    edit(&mut files, "meta/info.json", |text| {
        text.replace("\"robot_type\": \"so101_follower\"", "\"robot_type\": \"<img src=x onerror=alert(2)>\"")
    });
    let report = report_of(&tree_of(files), "<b>name</b>");
    assert!(report.tasks.iter().any(|t| t.text == hostile_task));
    assert_eq!(report.report.dataset.robot_type.as_deref(), Some("<img src=x onerror=alert(2)>"));
    for lang in Lang::ALL {
        let html = render_html(&report, lang);
        assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("<b>"), "{lang}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{lang}: the task is shown, escaped");
        assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"), "{lang}: the robot is shown, escaped");
        assert!(html.contains("&lt;b&gt;name&lt;/b&gt;"), "{lang}");
    }
    // The task chart itself (text drawn by plotters) escapes it too.
    let chart = task_time_chart(&report.tasks, Lang::En).unwrap().unwrap();
    assert!(chart.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !chart.contains("<script"));
}

#[test]
fn a_plain_conformance_report_reads_as_a_full_report_and_compares() {
    let name = "v20_so101_video";
    let tree = tree_of(files_of(name));
    let check = pollster::block_on(check_dataset(&tree, name, &CheckOptions::default(), &mut |_| {}));
    let plain_json = serde_json::to_string(&check).unwrap();
    let full: FullReport = serde_json::from_str(&plain_json).unwrap();
    assert_eq!(full.report, check);
    assert!(full.tasks.is_empty() && full.statistics.is_none() && full.drift.is_none());
    // Its JSON has the same keys as the plain report (the optional parts are omitted or empty).
    let back: serde_json::Value = serde_json::to_value(&full).unwrap();
    assert_eq!(back["report_version"], 1);

    let other = report_of(&tree_of(files_of("v30_state_extra")), "v30_state_extra");
    let html = render_compare_html(&[full, other], Lang::En, Some(DAY));
    assert_self_contained(&html);
    assert_eq!(html.matches("data-testid=\"compare-table\"").count(), 1);
    assert_eq!(html.matches("data-testid=\"compare-row\"").count(), 2);
    let rows: Vec<&str> = html.split("data-testid=\"compare-row\"").skip(1).collect();
    assert!(
        rows[0].contains("v20_so101_video") && rows[0].contains("<td class=\"num\">—</td>"),
        "plain report: no tasks"
    );
    assert!(rows[1].contains("v30_state_extra") && rows[1].contains("sim_6dof_arm"));
    assert!(html.matches("<svg").count() >= 3, "time by robot, by task, findings per dataset");
    assert!(html.contains("25 November 2026"));
}

#[test]
fn the_japanese_report_speaks_japanese() {
    let name = "v30_so101_video";
    let report = report_of(&tree_of(files_of(name)), name);
    let html = render_html(&report, Lang::Ja);
    for expected in [
        "<html lang=\"ja\">",
        "データセットレポート",
        "このデータセットについて",
        "so101_follower ロボットの 5 エピソード、30 フレーム/秒で 33 秒、3 タスク、2 台のカメラ（front、wrist）。",
        "合格",
        "2026年11月25日に作成",
        "エピソードの長さ",
        "タスクごとの記録時間",
        "Noto Sans CJK JP",
    ] {
        assert!(html.contains(expected), "missing {expected:?}");
    }
    let english = render_html(&report, Lang::En);
    assert!(english.contains(
        "5 episodes of the so101_follower robot, 33 seconds at 30 frames per second, 3 tasks, 2 cameras (front, wrist)."
    ));
    assert!(english.contains("Made by episcope 0.1.0 on 25 November 2026."));
    assert!(!english.contains("エピソード"));
}

#[test]
fn charts_name_their_dimensions_and_units() {
    let name = "v30_state_extra";
    let report = report_of(&tree_of(files_of(name)), name);
    let stats = report.statistics.as_ref().unwrap();
    let state = stats.feature("observation.state").unwrap();
    let histograms = histogram_chart(state, Lang::En).unwrap().unwrap();
    for label in ["shoulder_pan.pos", "gripper.pos", "frames per bin"] {
        assert!(histograms.contains(label), "{label}");
    }
    assert!(histograms.matches("<rect").count() > 6 * 10, "bars in six panels");
    let ranges = range_chart(state, Lang::En).unwrap().unwrap();
    assert!(ranges.contains("box: 1% to 99% of frames") && ranges.contains("wrist_roll.pos"));
    let lengths = episode_length_chart(&stats.episode_lengths, stats.fps, Lang::Ja).unwrap().unwrap();
    assert!(lengths.contains("秒") && lengths.contains("エピソード数"));
    let tasks = task_time_chart(&report.tasks, Lang::En).unwrap().unwrap();
    assert!(tasks.contains("seconds") && tasks.contains("Open the top drawer."));
    // 2-D features are drawn per flattened dimension, bounded.
    let pose = stats.feature("observation.ee_pose").unwrap();
    assert!(range_chart(pose, Lang::En).unwrap().unwrap().contains("observation.ee_pose"));
    assert!(!histograms.contains("xmlns"), "inline SVG carries no namespace URL");
}

#[test]
fn the_schema_documents_every_key_of_the_full_report() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/report.schema.json")).unwrap(),
    )
    .unwrap();
    let name = "v30_so101_video";
    let report = serde_json::to_value(report_of(&tree_of(files_of(name)), name)).unwrap();
    let documented = |object: &serde_json::Value, at: &str| {
        let properties = object["properties"].as_object().unwrap_or_else(|| panic!("no properties at {at}")).clone();
        properties.keys().cloned().collect::<std::collections::BTreeSet<String>>()
    };
    let keys = |value: &serde_json::Value| {
        value.as_object().unwrap().keys().cloned().collect::<std::collections::BTreeSet<_>>()
    };
    let top = documented(&schema, "top");
    assert!(keys(&report).is_subset(&top), "undocumented: {:?}", keys(&report).difference(&top).collect::<Vec<_>>());
    let props = &schema["properties"];
    for (key, item) in
        [("tasks", &report["tasks"][0]), ("cameras", &report["cameras"][0]), ("features", &report["features"][0])]
    {
        let documented = documented(&props[key]["items"], key);
        assert_eq!(keys(item), documented, "{key}");
    }
    assert_eq!(keys(&report["drift"]), documented(&props["drift"], "drift"));
    assert_eq!(
        keys(&report["drift"]["rows"][0]),
        documented(&props["drift"]["properties"]["rows"]["items"], "drift rows")
    );
    let required: Vec<&str> =
        props["statistics"]["required"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
    for key in required {
        assert!(report["statistics"].get(key).is_some(), "statistics.{key}");
    }
}

#[test]
fn comparison_charts_sum_tasks_across_reports_and_bound_their_bars() {
    let name = "v30_so101_video";
    let mut report = report_of(&tree_of(files_of(name)), name);
    report.tasks = (0..50u64)
        .map(|i| TaskSummary {
            index: i,
            text: format!("task {i:02}"),
            episodes: 1,
            frames: Some(30),
            hours: Some((i + 1) as f64 / 3600.0),
        })
        .collect();
    let svg = hours_by_task_chart(&[report.clone(), report], Lang::En).unwrap().unwrap();
    let labels: Vec<&str> =
        svg.lines().filter(|line| line.starts_with("task ") || line.starts_with("other tasks")).collect();
    assert_eq!(labels.len(), MAX_BARS);
    // Largest first (task 49: 2 × 50 s), the 31 smallest summed into one bar.
    assert_eq!(labels[0], "task 49");
    assert_eq!(labels[MAX_BARS - 2], "task 31");
    assert_eq!(labels[MAX_BARS - 1], "other tasks (31)");
    // Task 49 over both reports: 2 × 50 s = 1.67 minutes (the unit follows the largest bar).
    assert!(svg.lines().any(|line| line == "1.67") && svg.lines().any(|line| line == "minutes"));
}
