//! The whole checker over a real v3.0 dataset (`v30_state_extra`) with one file replaced by the
//! input. The first byte chooses the file (`% 5`): data parquet, episodes parquet, tasks parquet,
//! `info.json`, `stats.json`; the rest of the input is its content.
#![no_main]

use bytes::Bytes;
use episcope_core::check::{self, CheckOptions};
use episcope_core::DatasetTree;
use libfuzzer_sys::fuzz_target;

mod common;

const DATA: &[u8] = include_bytes!("../data/v30_state_extra/data/chunk-000/file-000.parquet");
const EPISODES: &[u8] = include_bytes!("../data/v30_state_extra/meta/episodes/chunk-000/file-000.parquet");
const TASKS: &[u8] = include_bytes!("../data/v30_state_extra/meta/tasks.parquet");
const INFO: &[u8] = include_bytes!("../data/v30_state_extra/meta/info.json");
const STATS: &[u8] = include_bytes!("../data/v30_state_extra/meta/stats.json");

fuzz_target!(|data: &[u8]| {
    common::contain_parquet_panics("dataset_check", data);
    let Some((&mode, input)) = data.split_first() else { return };
    let mut files = [
        ("data/chunk-000/file-000.parquet", Bytes::from_static(DATA)),
        ("meta/episodes/chunk-000/file-000.parquet", Bytes::from_static(EPISODES)),
        ("meta/tasks.parquet", Bytes::from_static(TASKS)),
        ("meta/info.json", Bytes::from_static(INFO)),
        ("meta/stats.json", Bytes::from_static(STATS)),
    ];
    files[usize::from(mode) % files.len()].1 = Bytes::copy_from_slice(input);
    let tree = DatasetTree::from_memory(files).expect("fixed paths are valid");
    let options = CheckOptions { skip_hashes: true, ..Default::default() };
    let report = pollster::block_on(check::check_dataset(&tree, "fuzz", &options, &mut |_| {}));
    // The report must always serialise (it is what the CLI and the web app hand out).
    serde_json::to_vec(&report).expect("a report serialises");
});
