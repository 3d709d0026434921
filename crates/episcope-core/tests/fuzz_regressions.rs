//! Inputs found by the cargo-fuzz targets in `fuzz/` (see `fuzz/README.md`), kept so that what once
//! crashed stays an error. Each input is a file under `tests/fuzz-regressions/`, named after what it
//! triggered; the comment on each test says which target found it and what it did.

use std::path::PathBuf;
use std::sync::Arc;

use episcope_core::columns;
use episcope_core::parquet_io::{ParquetFile, ParquetReadError};
use episcope_core::MemorySource;

fn input(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// What the `parquet_reader` fuzz target does: open, read every top-level column, flatten them.
fn read_everything(bytes: Vec<u8>) -> Result<usize, ParquetReadError> {
    pollster::block_on(async {
        let file = ParquetFile::open(Arc::new(MemorySource::new(bytes)), "x.parquet").await?;
        let names: Vec<String> = file.schema().fields().iter().map(|f| f.name().clone()).collect();
        let columns: Vec<&str> = names.iter().map(String::as_str).collect();
        let batches = file.read(&columns, None).await?;
        for batch in &batches {
            for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
                let _ = columns::flatten_numeric(field.name(), array);
            }
        }
        Ok(batches.len())
    })
}

/// Reads a parquet regression input the way the `parquet_reader` target does and checks that the
/// decoder's panic became a read error naming the file.
fn assert_contained_decoder_panic(name: &str) {
    let err = read_everything(input(name)).unwrap_err();
    assert!(matches!(&err, ParquetReadError::Decode { path, .. } if path == "x.parquet"), "{name}: {err:?}");
    assert!(err.to_string().contains("the parquet decoder failed on malformed data"), "{name}: {err}");
}

// The four inputs below were found by `parquet_reader` on 2026-11-25: real episode files from the
// shared datasets with a few bytes of a page changed. parquet 60.1 / arrow 60.1 panic on each (the
// location is named per test); `ParquetFile` now runs the decoder under `catch_unwind`, so each is a
// `Decode` error wherever panics unwind (native builds, tests). The web app's release build aborts on
// panics, so there each still ends the worker (which the app reports) until the crates are fixed.

/// `parquet-60.1.0/src/util/bit_util.rs:1187`: an RLE run header that is a varint of more than 10
/// bytes ("attempt to shift left with overflow" with overflow checks, the crate's own
/// "Num of bytes exceed MAX_VLQ_BYTE_LEN" `assert!` without).
#[test]
fn parquet_rle_run_header_varint_longer_than_10_bytes() {
    assert_contained_decoder_panic("parquet-rle-vlq-overlong.parquet");
}

/// `parquet-60.1.0/src/column/reader/decoder.rs:374`: a data page encoded as dictionary indices in a
/// column chunk without a dictionary page ("Decoder for dict should have been set").
#[test]
fn parquet_dictionary_indices_without_a_dictionary_page() {
    assert_contained_decoder_panic("parquet-dict-indices-without-dictionary.parquet");
}

/// `arrow-buffer-60.1.0/src/util/bit_chunk_iterator.rs:235`: definition levels of a corrupt page,
/// decoded as a packed bitmap (`PackedDecoder::read` -> `BooleanBufferBuilder::append_packed_range`),
/// claim more bits than the level data holds ("offset + len out of bounds").
#[test]
fn parquet_validity_bitmap_out_of_bounds() {
    assert_contained_decoder_panic("parquet-bitmap-offset-out-of-bounds.parquet");
}

/// `arrow-buffer-60.1.0/src/util/bit_util.rs:392`: the same packed definition-level path reading
/// from an empty slice of level data ("assertion `left != right` failed: slice must not be empty").
#[test]
fn parquet_empty_bitmap_slice() {
    assert_contained_decoder_panic("parquet-empty-bitmap-slice.parquet");
}

/// `dataset_check`, 2026-11-25 (a timeout: 13 s for one input, 26 s of CPU when re-run alone): the
/// v3.0 data file of `v30_state_extra` with bytes erased, so that the footer's column chunks start
/// at garbage. Read row group by row group, as the checker reads episodes, "page headers" there
/// hold Thrift maps and lists declaring millions of elements; the parquet crate reads page headers
/// from a cursor that runs past the column chunk and skips a `double` past the end of its bytes as
/// if it were there, so it looped over every declared element. The page-header walk now refuses a header it cannot read
/// within its column chunk, and walks at most one collection element per byte.
#[test]
fn parquet_page_header_declaring_millions_of_list_elements_is_refused_quickly() {
    let bytes = input("parquet-page-header-list-runs-past-chunk.parquet");
    pollster::block_on(async {
        let file = ParquetFile::open(Arc::new(MemorySource::new(bytes)), "x.parquet").await.unwrap();
        let names: Vec<String> = file.schema().fields().iter().map(|f| f.name().clone()).collect();
        let columns: Vec<&str> = names.iter().map(String::as_str).collect();
        for (row_group, byte) in [(0, 2906), (1, 18132), (2, 45547), (3, 80722)] {
            let err = file.read(&columns, Some(&[row_group])).await.unwrap_err();
            let expected = format!("malformed page header at byte {byte}");
            assert!(
                matches!(&err, ParquetReadError::Decode { reason, .. } if *reason == expected),
                "row group {row_group}: {err:?}"
            );
        }
    });
}
