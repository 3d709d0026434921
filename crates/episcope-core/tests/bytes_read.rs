//! How many bytes opening a v3.0 dataset and reading its first episode fetches, file by file, on
//! a generated dataset with the `1m` preset's metadata layout (1 667 episodes, `meta/episodes/` in
//! row groups of 10 episodes with every `stats/*` column) but one-second episodes, so it generates
//! quickly. The `1m` preset itself is measured by `benches/core_hot_paths.rs` (BENCHMARKS.md).

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use episcope_core::lerobot::{open_dataset, read_episode_frames};
use episcope_core::parquet_io::ParquetFile;
use episcope_core::source::{ByteSource, CountingSource, IoCounter};
use episcope_core::synthetic::{write_synthetic_dataset, MemorySink, Preset, SyntheticSpec};
use episcope_core::{DatasetTree, MemorySource};
use pollster::block_on;

const EPISODES_FILE: &str = "meta/episodes/chunk-000/file-000.parquet";
const DATA_FILE: &str = "data/chunk-000/file-000.parquet";
/// The columns of `meta/episodes/` that `open_dataset` reads (the preset declares no cameras).
const EPISODE_COLUMNS: [&str; 7] = [
    "episode_index",
    "tasks",
    "length",
    "data/chunk_index",
    "data/file_index",
    "dataset_from_index",
    "dataset_to_index",
];

struct Measured {
    files: BTreeMap<String, Bytes>,
    /// Bytes read per file by open → first episode.
    read_bytes: BTreeMap<String, u64>,
    /// Bytes of the data file read by reading episode 1 after episode 0.
    second_episode_data_bytes: u64,
}

fn open_and_read_first_episode(spec: &SyntheticSpec) -> Measured {
    let mut sink = MemorySink::default();
    write_synthetic_dataset(spec, &mut sink, &mut |_| {}).expect("generate");
    let files = sink.into_files();
    let mut tree = DatasetTree::new();
    let mut counters = BTreeMap::new();
    for (path, bytes) in &files {
        let counter = Arc::new(IoCounter::default());
        #[allow(clippy::arc_with_non_send_sync)]
        let source: Arc<dyn ByteSource> =
            Arc::new(CountingSource::new(Arc::new(MemorySource::new(bytes.clone())), counter.clone()));
        tree.insert(path, source).expect("insert");
        counters.insert(path.clone(), counter);
    }
    let dataset = block_on(open_dataset(&tree, &mut |_| {})).expect("open");
    let frames = block_on(read_episode_frames(&tree, &dataset, 0, &[])).expect("episode 0");
    assert_eq!(frames.frames as u64, spec.episode_lengths()[0]);
    let read_bytes: BTreeMap<String, u64> =
        counters.iter().map(|(path, counter)| (path.clone(), counter.bytes_read())).collect();
    block_on(read_episode_frames(&tree, &dataset, 1, &[])).expect("episode 1");
    let second_episode_data_bytes = counters[DATA_FILE].bytes_read() - read_bytes[DATA_FILE];
    Measured { files, read_bytes, second_episode_data_bytes }
}

/// The footer of a parquet file: its metadata and the 8-byte tail.
fn footer_bytes(bytes: &Bytes) -> u64 {
    let tail = &bytes[bytes.len() - 8..bytes.len() - 4];
    8 + u64::from(u32::from_le_bytes(tail.try_into().expect("4 bytes")))
}

/// The compressed bytes of the named columns' chunks in the chosen row groups (all when `None`).
fn chunk_bytes(bytes: &Bytes, columns: &[&str], row_groups: Option<&[usize]>) -> u64 {
    let parquet = block_on(ParquetFile::open(Arc::new(MemorySource::new(bytes.clone())), "f")).expect("parquet");
    let metadata = parquet.metadata();
    let descr = metadata.file_metadata().schema_descr();
    let all: Vec<usize> = (0..metadata.num_row_groups()).collect();
    let mut total = 0;
    for &rg in row_groups.unwrap_or(&all) {
        for leaf in 0..descr.num_columns() {
            let root = descr.get_column_root(leaf).name().to_string();
            if columns.contains(&root.as_str()) {
                total += metadata.row_group(rg).column(leaf).compressed_size() as u64;
            }
        }
    }
    total
}

#[test]
fn first_episode_reads_the_projected_metadata_not_the_stats_between() {
    let spec = SyntheticSpec { total_frames: 1_667 * 30, ..SyntheticSpec::preset(Preset::Frames1M) };
    assert_eq!(spec.total_episodes, 1_667);
    let measured = open_and_read_first_episode(&spec);
    let episodes = &measured.files[EPISODES_FILE];
    let parquet = block_on(ParquetFile::open(Arc::new(MemorySource::new(episodes.clone())), EPISODES_FILE)).unwrap();
    assert_eq!(parquet.num_row_groups(), 167, "the 1m preset's layout: 10 episodes per row group");
    assert!(parquet.schema().fields().len() > 70, "with the stats/* columns between the projected ones");

    let footer = footer_bytes(episodes);
    let needed = chunk_bytes(episodes, &EPISODE_COLUMNS, None);
    let read = measured.read_bytes[EPISODES_FILE];
    let fetched_chunks = read - footer;
    eprintln!(
        "meta/episodes: read {read} of {} bytes: footer {footer}, column chunks {fetched_chunks} for {needed} needed",
        episodes.len()
    );
    // The coalescing bound (at most 3 × the bytes wanted), and what was measured: exactly the
    // projected chunks, asserted with 10 % to spare (before: 38 × as many, nearly the whole
    // table, as the `stats/*` chunks between row groups were under the 64 KiB gap). The footer
    // (167 row groups × 79 columns) is now most of what is read.
    assert!(fetched_chunks <= 3 * needed, "fetched {fetched_chunks} for {needed}");
    assert!(fetched_chunks * 10 <= needed * 11, "fetched {fetched_chunks} for {needed}");
    assert!(read < episodes.len() as u64 / 3, "read {read} of {}", episodes.len());

    // The data file: its footer and episode 0's row group, nothing else.
    let data = &measured.files[DATA_FILE];
    let data_read = measured.read_bytes[DATA_FILE];
    let row_group_0 = block_on(ParquetFile::open(Arc::new(MemorySource::new(data.clone())), DATA_FILE))
        .unwrap()
        .metadata()
        .row_group(0)
        .compressed_size() as u64;
    assert!(data_read <= footer_bytes(data) + row_group_0, "data file: read {data_read}");
    // The next episode of the same file: its row group only, the footer comes from the tree's cache.
    let row_group_1 = block_on(ParquetFile::open(Arc::new(MemorySource::new(data.clone())), DATA_FILE))
        .unwrap()
        .metadata()
        .row_group(1)
        .compressed_size() as u64;
    assert!(
        measured.second_episode_data_bytes <= row_group_1,
        "episode 1: read {} of the data file, its row group is {row_group_1}",
        measured.second_episode_data_bytes
    );

    // Every other file is small metadata (info.json, stats.json, tasks.parquet).
    let total: u64 = measured.read_bytes.values().sum();
    let size: u64 = measured.files.values().map(|b| b.len() as u64).sum();
    eprintln!("open → first episode read {total} of {size} bytes in {} files", measured.files.len());
    let others = total - read - data_read;
    assert!(others < 64 * 1024, "other files: {others} bytes");
}
