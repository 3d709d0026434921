//! Criterion benchmarks of the core's hot paths, native, over synthetic datasets generated in
//! memory during setup (not timed): parquet footer and projected decode, column flattening,
//! dataset statistics, the quantile sketch, the checker, open → first episode at 1M frames,
//! LeRobot → v3.0 re-chunking, and
//! (when generated on disk) opening DROID-scale metadata.
//!
//! Run: `cargo bench -p episcope-core --bench core_hot_paths` (add `-- --quick` for a fast pass).

use std::hint::black_box;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use episcope_core::check::{check_dataset, CheckOptions};
use episcope_core::columns::flatten_numeric;
use episcope_core::convert::{relayout_dataset, LayoutOptions};
use episcope_core::lerobot::{open_dataset, read_episode_frames, Dataset};
use episcope_core::parquet_io::ParquetFile;
use episcope_core::source::ByteSource;
use episcope_core::stats::{compute_dataset_stats, QuantileSketch, StatsOptions};
use episcope_core::synthetic::{write_synthetic_dataset, MemorySink, Preset, SyntheticSpec};
use episcope_core::{DatasetTree, MemorySource};
use pollster::block_on;

const DATA_FILE: &str = "data/chunk-000/file-000.parquet";

/// The files of a synthetic dataset, in memory.
fn dataset_files(spec: &SyntheticSpec) -> Vec<(String, Bytes)> {
    let mut sink = MemorySink::default();
    write_synthetic_dataset(spec, &mut sink, &mut |_| {}).expect("generate");
    sink.into_files().into_iter().collect()
}

fn tree_of(files: &[(String, Bytes)]) -> DatasetTree {
    DatasetTree::from_memory(files.iter().map(|(p, b)| (p.as_str(), b.clone()))).expect("tree")
}

/// 100 000 frames of 14 joints (ALOHA-like), 167 episodes, all in one data file.
fn spec_100k() -> SyntheticSpec {
    SyntheticSpec { data_files_size_in_mb: 1000, ..SyntheticSpec::preset(Preset::Frames100k) }
}

fn configure<'a>(c: &'a mut Criterion, name: &str) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(name);
    group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    group
}

fn parquet_and_columns(c: &mut Criterion) {
    let files = dataset_files(&spec_100k());
    let bytes = files.iter().find(|(p, _)| p == DATA_FILE).expect("one data file").1.clone();
    let source: Arc<dyn ByteSource> = Arc::new(MemorySource::new(bytes));
    let parquet = block_on(ParquetFile::open(source.clone(), DATA_FILE)).expect("open");
    let episodes = parquet.num_row_groups();
    let middle = episodes / 2;
    let episode_rows = parquet.metadata().row_group(middle).num_rows() as u64;

    let mut group = configure(c, "parquet");
    group.bench_function("open_footer_100k_file", |b| {
        b.iter(|| block_on(ParquetFile::open(source.clone(), DATA_FILE)).expect("open").num_row_groups())
    });
    group.throughput(Throughput::Elements(episode_rows));
    group.bench_function("read_state_one_episode", |b| {
        b.iter(|| block_on(parquet.read(&["observation.state"], Some(&[middle]))).expect("read"))
    });
    group.throughput(Throughput::Elements(parquet.num_rows()));
    group.bench_function("read_state_whole_100k_file", |b| {
        b.iter(|| block_on(parquet.read(&["observation.state"], None)).expect("read"))
    });
    group.finish();

    let batches = block_on(parquet.read(&["observation.state"], None)).expect("read");
    let mut group = configure(c, "columns");
    group.throughput(Throughput::Elements(parquet.num_rows()));
    group.bench_function("flatten_numeric_state_100k", |b| {
        b.iter(|| {
            batches
                .iter()
                .map(|batch| flatten_numeric("observation.state", batch.column(0)).expect("flatten").values.len())
                .sum::<usize>()
        })
    });
    group.finish();
}

fn statistics(c: &mut Criterion) {
    let files = dataset_files(&spec_100k());
    let tree = tree_of(&files);
    let dataset: Dataset = block_on(open_dataset(&tree, &mut |_| {})).expect("open");
    let mut group = configure(c, "stats");
    group.throughput(Throughput::Elements(100_000));
    group.bench_function("compute_dataset_stats_100k", |b| {
        b.iter(|| {
            block_on(compute_dataset_stats(&tree, &dataset, &StatsOptions::default(), &mut |_| {
                ControlFlow::Continue(())
            }))
            .expect("stats")
            .frames_read
        })
    });

    // A smooth signal with noise, as joints look; deterministic.
    let values: Vec<f64> = (0..1_000_000u64)
        .map(|i| (i as f64 * 0.001).sin() + ((i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as f64) * 1e-9)
        .collect();
    group.throughput(Throughput::Elements(values.len() as u64));
    group.bench_function("quantile_sketch_insert_1m", |b| {
        b.iter(|| {
            let mut sketch = QuantileSketch::new();
            sketch.extend(black_box(&values));
            sketch.count()
        })
    });
    group.finish();
}

fn checker(c: &mut Criterion) {
    let spec = SyntheticSpec { total_frames: 5_000, total_episodes: 10, ..SyntheticSpec::preset(Preset::Frames100k) };
    let files = dataset_files(&spec);
    let tree = tree_of(&files);
    let mut group = configure(c, "check");
    group.throughput(Throughput::Elements(spec.total_frames));
    for (name, skip_hashes) in [("with_hashes", false), ("without_hashes", true)] {
        let options = CheckOptions { skip_hashes, ..CheckOptions::default() };
        group.bench_with_input(BenchmarkId::new("check_dataset_5k_frames", name), &options, |b, options| {
            b.iter(|| block_on(check_dataset(&tree, "bench", options, &mut |_| {})).summary.errors)
        });
    }
    group.finish();
}

/// The target path, natively: open a 1M-frame v3.0 dataset, then read its first episode
/// (every numeric feature), as the app does before the first plot.
fn first_episode(c: &mut Criterion) {
    let files = dataset_files(&SyntheticSpec::preset(Preset::Frames1M));
    let total_bytes: u64 = files.iter().map(|(_, b)| b.len() as u64).sum();
    let open_and_read = |tree: &DatasetTree| {
        let dataset = block_on(open_dataset(tree, &mut |_| {})).expect("open");
        block_on(read_episode_frames(tree, &dataset, 0, &[])).expect("episode 0").frames
    };
    let tree = tree_of(&files);
    open_and_read(&tree);
    let read = tree.io().bytes_read();
    eprintln!(
        "open → first episode of 1M frames reads {read} of {total_bytes} bytes ({:.3}%) in {} files, {} requests",
        100.0 * read as f64 / total_bytes as f64,
        files.len(),
        tree.io().requests()
    );
    let mut group = configure(c, "lerobot");
    group.bench_function("open_and_first_episode_1m", |b| {
        // A fresh tree each time, so no reader state carries over (building it is cheap: Bytes clones).
        b.iter_batched(|| tree_of(&files), |tree| open_and_read(&tree), criterion::BatchSize::LargeInput)
    });
    group.finish();
}

/// LeRobot → LeRobot v3.0 (`relayout_dataset`, as `episcope convert DATASET` runs it) of the
/// 100k-frame dataset into memory, re-chunked to 10 MB data files: read, stats recomputed, write.
fn relayout(c: &mut Criterion) {
    let files = dataset_files(&spec_100k());
    let input_bytes: u64 = files.iter().map(|(_, b)| b.len() as u64).sum();
    let tree = tree_of(&files);
    let dataset = block_on(open_dataset(&tree, &mut |_| {})).expect("open");
    let options = LayoutOptions { chunks_size: 1000, data_files_size_in_mb: 10 };
    let run = || {
        let mut sink = MemorySink::default();
        block_on(relayout_dataset(&tree, &dataset, options, &mut sink, &mut |_| {}, &|| false))
            .expect("relayout")
            .written
            .total_frames
    };
    eprintln!("relayout of {} frames, {input_bytes} bytes of input", run());
    let mut group = configure(c, "convert");
    group.throughput(Throughput::Bytes(input_bytes));
    group.bench_function("relayout_100k_frames_to_10mb_files", |b| b.iter(run));
    group.finish();
}

/// DROID-scale metadata from disk (`episcope generate --preset droid-metadata`, 95 600 episodes,
/// 207.7 MiB of `meta/episodes/`), when it is there: `open_dataset` as the app runs it on opening.
/// The directory is `EPISCOPE_DROID_METADATA` or `/tmp/episcope-gen/droid-metadata`.
fn droid_metadata(c: &mut Criterion) {
    let dir = std::env::var_os("EPISCOPE_DROID_METADATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "/tmp/episcope-gen/droid-metadata".into());
    if !dir.join("meta/info.json").is_file() {
        eprintln!("lerobot/open_droid_metadata skipped: no dataset at {}", dir.display());
        return;
    }
    let tree = || DatasetTree::from_dir(&dir).expect("list");
    let once = tree();
    let dataset = block_on(open_dataset(&once, &mut |_| {})).expect("open");
    eprintln!(
        "open_dataset of {} episodes reads {} of {} bytes in {} requests",
        dataset.episodes.len(),
        once.io().bytes_read(),
        once.total_size(),
        once.io().requests()
    );
    let mut group = configure(c, "lerobot");
    group.throughput(Throughput::Elements(dataset.episodes.len() as u64));
    group.bench_function("open_droid_metadata", |b| {
        b.iter_batched(tree, |tree| block_on(open_dataset(&tree, &mut |_| {})).expect("open").episodes.len(), {
            criterion::BatchSize::LargeInput
        })
    });
    group.finish();
}

criterion_group!(benches, parquet_and_columns, statistics, checker, first_episode, relayout, droid_metadata);
criterion_main!(benches);
