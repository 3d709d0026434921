//! Locating and opening the nine example datasets written by the official LeRobot writers
//! (`shared/datasets`, see its README.md), shared by the test files that use them.
//!
//! The folder is `$EPISCOPE_SHARED_DATASETS` if set, else `shared/datasets` beside the repository
//! folder. If it is missing the tests fail: they must never pass by not running.

// Each test file uses its own subset of these helpers.
#![allow(dead_code)]

use std::path::PathBuf;

use episcope_core::lerobot::{open_dataset, Dataset};
use episcope_core::DatasetTree;

/// The nine example datasets.
pub const SHARED_DATASETS: [&str; 9] = [
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

/// The folder holding the example datasets; panics (failing the test) if it is missing.
pub fn shared_datasets() -> PathBuf {
    let dir = match std::env::var_os("EPISCOPE_SHARED_DATASETS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets"),
    };
    assert!(
        dir.join("README.md").is_file(),
        "the shared example datasets are missing: expected them at {} (set EPISCOPE_SHARED_DATASETS to their folder, \
         or check out `shared/` beside the repository folder)",
        dir.display()
    );
    dir
}

/// Opens one of the example datasets by folder name.
pub fn open(name: &str) -> (DatasetTree, Dataset) {
    let dir = shared_datasets().join(name);
    assert!(dir.is_dir(), "dataset folder missing: {}", dir.display());
    let tree = DatasetTree::from_dir(&dir).unwrap().rooted_at_dataset();
    let dataset = pollster::block_on(open_dataset(&tree, &mut |_| {})).unwrap_or_else(|e| panic!("{name}: {e}"));
    (tree, dataset)
}

/// A small deterministic generator (splitmix64) for the sharded tests' splits and merge orders.
pub struct Draw(pub u64);

impl Draw {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Merges `parts` in a random binary tree (any two parts, then any two of what is left …).
pub fn merge_in_random_order<T>(mut parts: Vec<T>, draw: &mut Draw, merge: impl Fn(&mut T, T)) -> T {
    while parts.len() > 1 {
        let a = parts.swap_remove(draw.below(parts.len()));
        let b = draw.below(parts.len());
        merge(&mut parts[b], a);
    }
    parts.pop().expect("at least one part")
}
