//! Times the benchmark's decode path natively on a file (the same plan → decode → merge code the
//! wasm workers run, threads instead of Web Workers, no copies into wasm memory), for profiling
//! with `perf` and for comparing with the browser figures.
//!
//! `cargo run --release -p episcope-bench-wasm --example decode_file -- FILE [all|stats] [WORKERS] [REPS] [BATCH]`
//!
//! With BATCH, the file is instead decoded by arrow-rs's reader directly (one thread, the whole
//! file, the same reductions) with BATCH rows per record batch: what `parquet_io`'s batch size
//! (`episcope_core::parquet_io::BATCH_ROWS`) costs compared with others, measured.

use std::time::Instant;

use bytes::Bytes;
use episcope_bench_wasm::decode::{decode_part, open_pieces, pieces_of, plan_bytes};
use episcope_bench_wasm::summary::{merge_partials, Summary};
use episcope_bench_wasm::Task;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args.first().ok_or("usage: decode_file FILE [all|stats] [WORKERS] [REPS]")?;
    let task_name = args.get(1).map_or("all", String::as_str);
    let workers: usize = args.get(2).map_or(Ok(1), |s| s.parse())?;
    let reps: usize = args.get(3).map_or(Ok(5), |s| s.parse())?;
    let arrow_batch_rows: Option<usize> = args.get(4).map(|s| s.parse()).transpose()?;
    let task = Task::from_harness_name(task_name)?;
    let bytes = Bytes::from(std::fs::read(path)?);
    let size = bytes.len() as u64;
    let mut times_ms = Vec::new();
    let mut last = None;
    if let Some(batch_rows) = arrow_batch_rows {
        for _ in 0..reps {
            let started = Instant::now();
            let rows = decode_with_arrow_batch(&bytes, &task, batch_rows)?;
            times_ms.push(started.elapsed().as_secs_f64() * 1e3);
            println!("arrow-rs reader, batch {batch_rows}: {rows} rows in {:.1} ms", times_ms[times_ms.len() - 1]);
        }
        return Ok(());
    }
    for _ in 0..reps {
        let started = Instant::now();
        let plans = plan_bytes(bytes.clone(), &task, workers, path)?;
        let parts = std::thread::scope(|scope| {
            let handles: Vec<_> = plans
                .iter()
                .filter(|plan| !plan.is_idle())
                .map(|plan| {
                    let (bytes, task) = (&bytes, &task);
                    scope.spawn(move || {
                        let file = open_pieces(size, pieces_of(bytes, plan), path)?;
                        decode_part(&file, task, plan)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("decode thread panicked")).collect::<Result<Vec<_>, _>>()
        })?;
        let summary = merge_partials(&task, &parts, path)?;
        times_ms.push(started.elapsed().as_secs_f64() * 1e3);
        last = Some(summary);
    }
    let mut sorted = times_ms.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN);
    let rows = match &last {
        Some(Summary::Sums { rows, .. } | Summary::Stats { rows, .. }) => *rows,
        None => 0,
    };
    println!("{task_name} workers={workers} rows={rows} median={median:.1} ms times={times_ms:.1?}");
    if let Some(summary) = last {
        println!("{}", serde_json::to_string(&summary)?);
    }
    Ok(())
}

/// The same reductions over arrow-rs's own reader with `batch_rows` rows per batch; the row count.
fn decode_with_arrow_batch(bytes: &Bytes, task: &Task, batch_rows: usize) -> Result<u64, Box<dyn std::error::Error>> {
    use episcope_bench_wasm::decode::{push_column, sum_values};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::arrow::ProjectionMask;

    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes.clone())?.with_batch_size(batch_rows);
    let builder = match task {
        Task::AllColumns => builder,
        Task::ColumnStats { column } => {
            let root = builder.schema().index_of(column)?;
            let mask = ProjectionMask::roots(builder.parquet_schema(), [root]);
            builder.with_projection(mask)
        }
    };
    let (mut rows, mut sums, mut moments) = (0u64, 0.0, None);
    for batch in builder.build()? {
        let batch = batch?;
        rows += batch.num_rows() as u64;
        for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
            match task {
                Task::AllColumns => sums += sum_values(field.name(), array.as_ref())?,
                Task::ColumnStats { column } => push_column(&mut moments, column, array.as_ref(), "file")?,
            }
        }
    }
    std::hint::black_box((sums, moments));
    Ok(rows)
}
