//! The split decode against generated LeRobot-shaped files: every split (1–4 workers, by row
//! group and by column) decodes exactly the planned units from only its own byte pieces, and the
//! merged result equals the single-threaded one and the values written.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow_array::builder::{FixedSizeListBuilder, Float32Builder, ListBuilder};
use arrow_array::{ArrayRef, Float32Array, Int64Array, RecordBatch};
use bytes::Bytes;
use episcope_bench_wasm::decode::{decode_part, decode_whole, open_pieces, pieces_of, plan_bytes};
use episcope_bench_wasm::plan::WorkerPlan;
use episcope_bench_wasm::summary::{merge_partials, Partial, PartialValues, Summary, MAX_DIMENSIONS};
use episcope_bench_wasm::{BenchError, Task, STATE_COLUMN};
use episcope_core::parquet_io::ParquetReadError;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

const DIMS: usize = 14;
const PATH: &str = "fixture.parquet";

/// A LeRobot-shaped file and the values written into it.
struct Fixture {
    bytes: Bytes,
    state: Vec<[f32; DIMS]>,
    action: Vec<[f32; DIMS]>,
    timestamp: Vec<f32>,
    frame_index: Vec<i64>,
    episode_index: Vec<i64>,
    index: Vec<i64>,
    task_index: Vec<i64>,
}

#[derive(Clone, Copy, PartialEq)]
enum ListKind {
    FixedSize,
    Variable,
}

fn value(row: usize, dim: usize, salt: f64) -> f32 {
    // Smooth trajectories plus a deterministic "noise" term, offset per dimension.
    let t = row as f64 / 50.0;
    (dim as f64 * 0.3 - 2.0
        + (t * (0.7 + dim as f64 * 0.11) + salt).sin() * 0.6
        + ((row * 7919 + dim * 31) % 97) as f64 * 1e-4) as f32
}

fn fixture(rows: usize, rows_per_group: usize, kind: ListKind) -> Fixture {
    let state: Vec<[f32; DIMS]> = (0..rows).map(|r| std::array::from_fn(|d| value(r, d, 0.0))).collect();
    let action: Vec<[f32; DIMS]> = (0..rows).map(|r| std::array::from_fn(|d| value(r + 1, d, 0.5))).collect();
    let episode_index: Vec<i64> = (0..rows as i64).map(|r| r / 300).collect();
    let frame_index: Vec<i64> = (0..rows as i64).map(|r| r % 300).collect();
    let timestamp: Vec<f32> = frame_index.iter().map(|&f| f as f32 / 50.0).collect();
    let index: Vec<i64> = (0..rows as i64).collect();
    let task_index: Vec<i64> = episode_index.iter().map(|e| e % 8).collect();
    let list = |values: &[[f32; DIMS]]| -> ArrayRef {
        match kind {
            ListKind::FixedSize => {
                let mut builder = FixedSizeListBuilder::new(Float32Builder::new(), DIMS as i32);
                for row in values {
                    builder.values().append_slice(row);
                    builder.append(true);
                }
                Arc::new(builder.finish())
            }
            ListKind::Variable => {
                let mut builder = ListBuilder::new(Float32Builder::new());
                for row in values {
                    builder.values().append_slice(row);
                    builder.append(true);
                }
                Arc::new(builder.finish())
            }
        }
    };
    let batch = RecordBatch::try_from_iter([
        (STATE_COLUMN, list(&state)),
        ("action", list(&action)),
        ("timestamp", Arc::new(Float32Array::from(timestamp.clone())) as ArrayRef),
        ("frame_index", Arc::new(Int64Array::from(frame_index.clone())) as ArrayRef),
        ("episode_index", Arc::new(Int64Array::from(episode_index.clone())) as ArrayRef),
        ("index", Arc::new(Int64Array::from(index.clone())) as ArrayRef),
        ("task_index", Arc::new(Int64Array::from(task_index.clone())) as ArrayRef),
    ])
    .unwrap();
    let bytes = write(&batch, rows_per_group);
    Fixture { bytes, state, action, timestamp, frame_index, episode_index, index, task_index }
}

fn write(batch: &RecordBatch, rows_per_group: usize) -> Bytes {
    let properties = WriterProperties::builder()
        .set_max_row_group_row_count(Some(rows_per_group))
        .set_compression(Compression::SNAPPY)
        .set_data_page_size_limit(16 * 1024)
        .build();
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), Some(properties)).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
    Bytes::from(out)
}

fn expected_sums(f: &Fixture) -> BTreeMap<String, f64> {
    let floats = |rows: &[[f32; DIMS]]| rows.iter().flatten().map(|&v| f64::from(v)).sum::<f64>();
    let ints = |v: &[i64]| v.iter().sum::<i64>() as f64;
    BTreeMap::from([
        (STATE_COLUMN.to_string(), floats(&f.state)),
        ("action".to_string(), floats(&f.action)),
        ("timestamp".to_string(), f.timestamp.iter().map(|&v| f64::from(v)).sum()),
        ("frame_index".to_string(), ints(&f.frame_index)),
        ("episode_index".to_string(), ints(&f.episode_index)),
        ("index".to_string(), ints(&f.index)),
        ("task_index".to_string(), ints(&f.task_index)),
    ])
}

/// Decodes every plan from only the pieces it names, as a worker would, and merges.
fn decode_split(bytes: &Bytes, task: &Task, workers: usize) -> (Vec<WorkerPlan>, Summary) {
    let plans = plan_bytes(bytes.clone(), task, workers, PATH).unwrap();
    assert_eq!(plans.len(), workers);
    let parts: Vec<Partial> = plans
        .iter()
        .filter(|plan| !plan.is_idle())
        .map(|plan| {
            let file = open_pieces(bytes.len() as u64, pieces_of(bytes, plan), PATH).unwrap();
            decode_part(&file, task, plan).unwrap()
        })
        .collect();
    (plans.clone(), merge_partials(task, &parts, PATH).unwrap())
}

fn assert_sums_close(summary: &Summary, expected: &BTreeMap<String, f64>, rows: u64) {
    let Summary::Sums { rows: got_rows, sums, .. } = summary else { panic!("not sums: {summary:?}") };
    assert_eq!(*got_rows, rows);
    assert_eq!(sums.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>());
    for (column, want) in expected {
        let got = sums[column];
        assert!((got - want).abs() <= 1e-9 * want.abs().max(1.0), "{column}: {got} != {want}");
    }
}

/// min, max, mean, population std of one dimension, two passes in f64.
fn reference_stats(rows: &[[f32; DIMS]], dim: usize) -> [f64; 4] {
    let values: Vec<f64> = rows.iter().map(|r| f64::from(r[dim])).collect();
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    [min, max, mean, var.sqrt()]
}

fn assert_stats_match(summary: &Summary, state: &[[f32; DIMS]]) {
    let Summary::Stats { rows, min, max, mean, std, non_finite, .. } = summary else {
        panic!("not stats: {summary:?}")
    };
    assert_eq!(*rows, state.len() as u64);
    assert_eq!(*non_finite, 0);
    assert_eq!(min.len(), DIMS);
    for d in 0..DIMS {
        let [want_min, want_max, want_mean, want_std] = reference_stats(state, d);
        assert_eq!((min[d], max[d]), (Some(want_min), Some(want_max)), "dim {d}");
        assert!((mean[d].unwrap() - want_mean).abs() < 1e-12, "dim {d} mean {:?} vs {want_mean}", mean[d]);
        assert!((std[d].unwrap() - want_std).abs() < 1e-12, "dim {d} std {:?} vs {want_std}", std[d]);
    }
}

/// (row group, column) units a set of plans covers, each counted.
fn units(plans: &[WorkerPlan]) -> BTreeMap<(usize, String), usize> {
    let mut seen = BTreeMap::new();
    for read in plans.iter().flat_map(|plan| &plan.reads) {
        for column in &read.columns {
            *seen.entry((read.row_group, column.clone())).or_insert(0) += 1;
        }
    }
    seen
}

#[test]
fn every_split_of_all_columns_gives_the_written_sums() {
    for kind in [ListKind::FixedSize, ListKind::Variable] {
        let f = fixture(5_000, 1_300, kind); // 4 row groups, the last one short
        let expected = expected_sums(&f);
        assert_sums_close(&decode_whole(f.bytes.clone(), &Task::AllColumns, PATH).unwrap(), &expected, 5_000);
        for workers in 1..=4 {
            let (plans, summary) = decode_split(&f.bytes, &Task::AllColumns, workers);
            assert_sums_close(&summary, &expected, 5_000);
            let covered = units(&plans);
            assert_eq!(covered.len(), 4 * 7, "{workers} workers: every (row group, column) unit is planned");
            assert!(covered.values().all(|&n| n == 1), "{workers} workers: no unit is decoded twice");
        }
    }
}

#[test]
fn every_split_of_state_stats_matches_two_pass_reference() {
    for kind in [ListKind::FixedSize, ListKind::Variable] {
        let f = fixture(10_000, 2_500, kind);
        let task = Task::from_harness_name("stats").unwrap();
        assert_stats_match(&decode_whole(f.bytes.clone(), &task, PATH).unwrap(), &f.state);
        for workers in 1..=3 {
            let (plans, summary) = decode_split(&f.bytes, &task, workers);
            assert_stats_match(&summary, &f.state);
            let covered = units(&plans);
            assert_eq!(covered.keys().map(|(rg, _)| *rg).collect::<BTreeSet<_>>(), (0..4).collect());
            assert!(covered.keys().all(|(_, column)| column == STATE_COLUMN), "stats plans read only the state column");
        }
    }
}

#[test]
fn two_equal_row_groups_split_evenly_and_a_single_row_group_splits_by_column() {
    let f = fixture(8_000, 4_000, ListKind::FixedSize);
    let plans = plan_bytes(f.bytes.clone(), &Task::AllColumns, 2, PATH).unwrap();
    let (a, b) = (plans[0].decoded_bytes as f64, plans[1].decoded_bytes as f64);
    assert!((a - b).abs() / (a + b) < 0.05, "weights {a} and {b} differ by more than 5%");
    // Stats over two row groups: one each.
    let stats = plan_bytes(f.bytes.clone(), &Task::from_harness_name("stats").unwrap(), 2, PATH).unwrap();
    assert_eq!(stats.iter().map(|p| p.reads.len()).collect::<Vec<_>>(), vec![1, 1]);

    let single = fixture(4_000, 4_000, ListKind::FixedSize);
    let plans = plan_bytes(single.bytes.clone(), &Task::AllColumns, 2, PATH).unwrap();
    assert!(plans.iter().all(|plan| !plan.is_idle()), "one row group still gives both workers columns");
    let (a, b) = (plans[0].decoded_bytes as f64, plans[1].decoded_bytes as f64);
    assert!((a - b).abs() / (a + b) < 0.2, "by-column weights {a} and {b} are unbalanced");
    // Stats over one row group is one unit: the second worker idles.
    let stats = plan_bytes(single.bytes.clone(), &Task::from_harness_name("stats").unwrap(), 2, PATH).unwrap();
    assert_eq!(stats.iter().filter(|plan| plan.is_idle()).count(), 1);
}

#[test]
fn a_worker_holds_only_its_share_of_the_bytes_and_cannot_decode_another_share() {
    let f = fixture(8_000, 4_000, ListKind::FixedSize);
    let plans = plan_bytes(f.bytes.clone(), &Task::AllColumns, 2, PATH).unwrap();
    let held = |plan: &WorkerPlan| plan.ranges.iter().map(|[s, e]| e - s).sum::<u64>();
    let total = f.bytes.len() as u64;
    for plan in &plans {
        assert!(held(plan) < total * 3 / 4, "a worker holds {} of {total} bytes", held(plan));
    }
    // Worker 0's pieces with worker 1's plan: its column chunks are not there.
    let file = open_pieces(total, pieces_of(&f.bytes, &plans[0]), PATH).unwrap();
    let err = decode_part(&file, &Task::AllColumns, &plans[1]).unwrap_err();
    assert!(matches!(err, BenchError::Read(ParquetReadError::Source { .. })), "{err:?}");
}

#[test]
fn a_missing_stats_column_and_an_unknown_task_are_errors() {
    let batch = RecordBatch::try_from_iter([("index", Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef)]).unwrap();
    let bytes = write(&batch, 10);
    let err = plan_bytes(bytes, &Task::from_harness_name("stats").unwrap(), 2, PATH).unwrap_err();
    assert_eq!(
        err,
        BenchError::Read(ParquetReadError::MissingColumn { column: STATE_COLUMN.into(), path: PATH.into() })
    );
    assert_eq!(Task::from_harness_name("median"), Err(BenchError::UnknownTask { task: "median".into() }));
    let err = plan_bytes(Bytes::from_static(b"PAR1 not really"), &Task::AllColumns, 2, PATH).unwrap_err();
    assert!(matches!(err, BenchError::Read(_)), "{err:?}");
    let f = fixture(100, 100, ListKind::FixedSize);
    let err = plan_bytes(f.bytes, &Task::AllColumns, 0, PATH).unwrap_err();
    assert_eq!(err, BenchError::NoWorkers { workers: 0, path: PATH.into() });
}

#[test]
fn null_rows_are_left_out_and_non_finite_values_are_counted() {
    // Rows: [1, 2], null, [NaN, 4], [5, +Inf]
    let mut builder = FixedSizeListBuilder::new(Float32Builder::new(), 2);
    for row in [Some([1.0, 2.0]), None, Some([f32::NAN, 4.0]), Some([5.0, f32::INFINITY])] {
        builder.values().append_slice(&row.unwrap_or([0.0, 0.0]));
        builder.append(row.is_some());
    }
    let state: ArrayRef = Arc::new(builder.finish());
    let mut ints = ListBuilder::new(arrow_array::builder::Int64Builder::new());
    for row in [Some(vec![1, 2]), None, Some(vec![3]), Some(vec![])] {
        if let Some(values) = &row {
            ints.values().append_slice(values);
        }
        ints.append(row.is_some());
    }
    let ragged: ArrayRef = Arc::new(ints.finish());
    let batch = RecordBatch::try_from_iter([(STATE_COLUMN, state), ("ragged", ragged)]).unwrap();
    let bytes = write(&batch, 10);

    let stats = decode_whole(bytes.clone(), &Task::from_harness_name("stats").unwrap(), PATH).unwrap();
    let Summary::Stats { rows, min, max, mean, non_finite, .. } = stats else { panic!() };
    assert_eq!(rows, 4);
    // Dimension 0: 1 and 5 (NaN left out); dimension 1: 2 and 4 (+Inf left out); the null row is
    // NaN after flattening and left out too.
    assert_eq!(non_finite, 4);
    assert_eq!((min, max, mean), (vec![Some(1.0), Some(2.0)], vec![Some(5.0), Some(4.0)], vec![Some(3.0), Some(3.0)]));

    let all = decode_whole(bytes, &Task::AllColumns, PATH).unwrap();
    let Summary::Sums { sums, .. } = all else { panic!() };
    assert_eq!(sums["ragged"], 6.0, "the null row's values are not summed");
    assert!(sums[STATE_COLUMN].is_nan(), "a NaN value makes the sum NaN");
}

#[test]
fn rows_wider_than_the_dimension_bound_are_refused_before_sizing_accumulators() {
    let width = MAX_DIMENSIONS + 1;
    let mut builder = FixedSizeListBuilder::new(Float32Builder::new(), width as i32);
    builder.values().append_slice(&vec![1.0; width]);
    builder.append(true);
    let batch = RecordBatch::try_from_iter([(STATE_COLUMN, Arc::new(builder.finish()) as ArrayRef)]).unwrap();
    let err = decode_whole(write(&batch, 10), &Task::from_harness_name("stats").unwrap(), PATH).unwrap_err();
    assert_eq!(
        err,
        BenchError::TooManyDimensions { column: STATE_COLUMN.into(), width, max: MAX_DIMENSIONS, path: PATH.into() }
    );
}

#[test]
fn merging_parts_that_disagree_fails() {
    let part = |rows: u64, values: PartialValues| Partial {
        rows_by_row_group: BTreeMap::from([(0, rows)]),
        values,
        timings_ms: BTreeMap::new(),
    };
    let sums = || PartialValues::Sums { sums: BTreeMap::from([("a".to_string(), 1.0)]) };
    let err = merge_partials(&Task::AllColumns, &[part(10, sums()), part(11, sums())], PATH).unwrap_err();
    assert_eq!(err, BenchError::RowsDisagree { row_group: 0, first: 10, other: 11, path: PATH.into() });
    let moments = PartialValues::Moments { column: STATE_COLUMN.into(), moments: None };
    let err = merge_partials(&Task::AllColumns, &[part(10, sums()), part(10, moments)], PATH).unwrap_err();
    assert_eq!(err, BenchError::MixedParts { path: PATH.into() });
    let merged = merge_partials(&Task::AllColumns, &[part(10, sums()), part(10, sums())], PATH).unwrap();
    assert_eq!(
        merged,
        Summary::Sums {
            rows: 10,
            sums: BTreeMap::from([("a".into(), 2.0)]),
            part_timings_ms: vec![BTreeMap::new(); 2]
        }
    );
}
