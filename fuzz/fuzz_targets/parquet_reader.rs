//! Parquet through our reader: footer, every top-level column of every row group, and the
//! flattening of every column to numbers (what the plots and the checker consume).
#![no_main]

use std::sync::Arc;

use episcope_core::columns;
use episcope_core::parquet_io::ParquetFile;
use episcope_core::MemorySource;
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    common::contain_parquet_panics("parquet_reader", data);
    let source = Arc::new(MemorySource::new(data.to_vec()));
    pollster::block_on(async {
        let Ok(file) = ParquetFile::open(source, "x.parquet").await else { return };
        let names: Vec<String> = file.schema().fields().iter().map(|f| f.name().clone()).collect();
        for row_group in 0..file.num_row_groups() {
            for name in &names {
                let _ = file.int_column_range(row_group, name);
            }
        }
        let _ = file.num_rows();
        let columns: Vec<&str> = names.iter().map(String::as_str).collect();
        let Ok(batches) = file.read(&columns, None).await else { return };
        for batch in &batches {
            for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
                if let Ok(flat) = columns::flatten_numeric(field.name(), array) {
                    assert_eq!(flat.values.len(), flat.rows * flat.width, "flattened size of `{}`", field.name());
                }
            }
        }
    });
});
