//! The v2.x JSON Lines metadata: `meta/episodes.jsonl`, `meta/tasks.jsonl` and
//! `meta/episodes_stats.jsonl`, opened as a dataset and read for stored stats.
//!
//! Input: the first byte chooses which file the rest replaces (`% 3`); the other files are the
//! real ones of the shared `v21_so101_video` dataset, whose `info.json` is fixed.
#![no_main]

use bytes::Bytes;
use episcope_core::lerobot::{self, stats};
use episcope_core::DatasetTree;
use libfuzzer_sys::fuzz_target;

const INFO: &[u8] = include_bytes!("../data/v21_so101_video/meta/info.json");
const EPISODES: &[u8] = include_bytes!("../data/v21_so101_video/meta/episodes.jsonl");
const TASKS: &[u8] = include_bytes!("../data/v21_so101_video/meta/tasks.jsonl");
const EPISODES_STATS: &[u8] = include_bytes!("../data/v21_so101_video/meta/episodes_stats.jsonl");

fuzz_target!(|data: &[u8]| {
    let Some((&mode, input)) = data.split_first() else { return };
    let mut files = [
        ("meta/episodes.jsonl", Bytes::from_static(EPISODES)),
        ("meta/tasks.jsonl", Bytes::from_static(TASKS)),
        ("meta/episodes_stats.jsonl", Bytes::from_static(EPISODES_STATS)),
    ];
    files[usize::from(mode) % files.len()].1 = Bytes::copy_from_slice(input);
    let tree = DatasetTree::from_memory([("meta/info.json", Bytes::from_static(INFO))].into_iter().chain(files))
        .expect("fixed paths are valid");
    pollster::block_on(async {
        if let Ok(dataset) = lerobot::open_dataset(&tree, &mut |_| {}).await {
            let stored = stats::read_stored_stats(&tree, &dataset).await;
            for episode in &dataset.episodes {
                for feature in &dataset.info.features {
                    let _ = stored.episode_feature(episode.index, &feature.name);
                }
            }
        }
    });
});
