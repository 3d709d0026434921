//! Stored statistics written by the official LeRobot v3.0 writer (`tests/stats/official_stats.py`, in the loader
//! venv) for flat signals far from zero over a 20 000-frame episode, in float32 and float64: its float32 sums are
//! off by far more than the old tolerance allowed, yet within the bound of that arithmetic (no finding); a stored
//! mean moved beyond the bound is still an error, for float32 and for float64 features.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::loader_python;

fn check_json(dataset: &Path) -> (Option<i32>, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_episcope"))
        .args(["check".as_ref(), dataset.as_os_str(), "--json".as_ref()])
        .output()
        .expect("run episcope");
    let report =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), report)
}

fn findings(report: &serde_json::Value, rule: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| format!("{} {}", f["location"]["feature"], f["message"]))
        .collect()
}

fn stored_mean(stats: &serde_json::Value, feature: &str, dim: usize) -> f64 {
    stats[feature]["mean"][dim].as_f64().unwrap()
}

#[test]
fn float32_stats_from_the_official_writer_pass_and_stale_ones_do_not() {
    let dir = std::env::temp_dir().join(format!("episcope-official-stats-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let dataset = dir.join("official_stats");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/stats/official_stats.py");
    let out = Command::new(loader_python()).arg(script).arg(&dataset).output().expect("run the official writer");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let (code, report) = check_json(&dataset);
    assert_eq!(findings(&report, "stats.consistent"), Vec::<String>::new());
    assert_eq!(code, Some(0), "{report}");

    // The same values are stored as float32 (`observation.state`) and float64 (`observation.effort`); the float64
    // mean is exact to ~1e-12, so it shows how far the writer's float32 arithmetic went.
    let stats_path = dataset.join("meta/stats.json");
    let stats: serde_json::Value = serde_json::from_slice(&std::fs::read(&stats_path).unwrap()).unwrap();
    let float32_error =
        (stored_mean(&stats, "observation.state", 1) - stored_mean(&stats, "observation.effort", 1)).abs();
    assert!(
        float32_error > 1e-6 * 1.56,
        "the old tolerance (1e-6 × the value) would have passed this: {float32_error:e}"
    );
    // …and it is within the bound: (3n + 1)·2⁻²⁴·max|x| over the 20 000-frame episode.
    let bound = 60_001.0 * 2f64.powi(-24) * 1.5601;
    assert!(float32_error < bound, "{float32_error:e} vs {bound:e}");

    // Beyond the bound: an error, on the float32 feature and (with float64's far smaller bound) the float64 one.
    for (feature, nudge) in [("observation.state", 2.0 * bound), ("observation.effort", 1e-6)] {
        let mut edited = stats.clone();
        edited[feature]["mean"][1] = serde_json::json!(stored_mean(&stats, feature, 1) + nudge);
        std::fs::write(&stats_path, serde_json::to_vec_pretty(&edited).unwrap()).unwrap();
        let (code, report) = check_json(&dataset);
        let found = findings(&report, "stats.consistent");
        assert_eq!(found.len(), 1, "{feature}: {found:?}");
        assert!(found[0].contains(feature) && found[0].contains("stored mean"), "{found:?}");
        assert_eq!(code, Some(1));
    }
    std::fs::write(&stats_path, serde_json::to_vec_pretty(&stats).unwrap()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
