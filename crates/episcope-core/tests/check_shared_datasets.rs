//! No false alarms on good data: the checker gives zero findings (no errors, no warnings, no info)
//! on all nine datasets written by the official LeRobot writers, with file digests computed.

mod common;

use episcope_core::check::{check_dataset, dataset_rule_count, CheckOptions, Verdict};
use episcope_core::DatasetTree;

#[test]
fn the_nine_official_datasets_pass_with_no_findings() {
    for name in common::SHARED_DATASETS {
        let dir = common::shared_datasets().join(name);
        let tree = DatasetTree::from_dir(&dir).unwrap().rooted_at_dataset();
        let report = pollster::block_on(check_dataset(&tree, name, &CheckOptions::default(), &mut |_| {}));
        assert_eq!(report.findings, vec![], "{name} has findings");
        assert_eq!(report.summary.verdict, Verdict::Pass, "{name}");
        assert_eq!(report.rules_checked, dataset_rule_count());
        assert_eq!((report.dataset.episodes, report.dataset.frames), (5, 990), "{name}");
        assert_eq!(report.dataset.files.len(), tree.len(), "{name}");
        assert!(report.dataset.files.iter().all(|f| f.sha256.as_ref().is_some_and(|h| h.len() == 64)), "{name}");
        assert_eq!(report.dataset.sha256.as_ref().map(String::len), Some(64), "{name}");
        // The whole data was read (every frame of every episode was checked).
        assert!(tree.io().bytes_read() >= tree.total_size(), "{name}: the check did not read everything");
    }
}
