//! Video checks (rules `video.*`): placeholder until the MP4 header reader lands.

use super::finding::Findings;
use crate::lerobot::Dataset;
use crate::tree::DatasetTree;

/// Checks every video file the episodes reference against the dataset's declarations.
pub async fn check_videos(tree: &DatasetTree, dataset: &Dataset, findings: &mut Findings) {
    let _ = (tree, dataset, findings);
}
