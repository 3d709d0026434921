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

// The five inputs below were found by `parquet_reader` on 2026-11-25: real episode files from the
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

/// `parquet-60.1.0/src/encodings/decoding/byte_stream_split_decoder.rs:67`: a page declared
/// `BYTE_STREAM_SPLIT` whose value streams are shorter than the values it declares ("index out of
/// bounds: the len is 22 but the index is 22"; found in the second `parquet_reader` run, from the
/// v3.0 `meta/episodes/` seed).
#[test]
fn parquet_byte_stream_split_page_shorter_than_its_values() {
    assert_contained_decoder_panic("parquet-byte-stream-split-index-out-of-bounds.parquet");
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

/// `parquet_reader` under AddressSanitizer, 2026-11-25 (an OOM: `malloc(4328521776)`, over the
/// 2048 MB limit; without ASan libFuzzer cannot see single allocations, and the untouched pages never
/// counted): a 2 KB file whose footer's schema elements stop being valid Thrift after the root, where
/// the parquet crate, which reads fields by id whatever their declared type, went on and found a
/// group declaring 541 million children, and `schema_from_array_helper` reserved a `Vec` for all of
/// them before finding out they were not there. The footer walk now refuses a schema it cannot walk
/// as Thrift, before the crate builds it.
#[test]
fn parquet_footer_whose_schema_is_not_thrift_is_refused_before_the_crate_builds_it() {
    let bytes = input("parquet-footer-schema-not-thrift.parquet");
    let err = pollster::block_on(ParquetFile::open(Arc::new(MemorySource::new(bytes)), "x.parquet")).err().unwrap();
    let reason = "the footer is not valid Thrift up to the end of its schema";
    assert!(matches!(&err, ParquetReadError::Metadata { reason: r, .. } if r == reason), "{err:?}");
}

/// The same allocation in a footer that is valid Thrift: `v30_state_extra/meta/tasks.parquet` with
/// the root schema element's `num_children` set to 541,000,000 (and the footer length fixed up),
/// made by hand after the finding above. Refused: a group may not declare more children than there
/// are schema elements after it.
#[test]
fn parquet_schema_group_declaring_more_children_than_elements_is_refused_before_allocating() {
    let bytes = input("parquet-schema-root-declaring-541m-children.parquet");
    let err = pollster::block_on(ParquetFile::open(Arc::new(MemorySource::new(bytes)), "x.parquet")).err().unwrap();
    let reason = "schema element 0 declares 541000000 children, but only 2 elements follow it";
    assert!(matches!(&err, ParquetReadError::Metadata { reason: r, .. } if r == reason), "{err:?}");
}

/// `mcap_reader` (2026-12-04, 21:26, first 30 s): a summary offset record pointing past the end of
/// the file. The seek was clamped to the end, and the `mcap` crate's summary reader asked for the
/// same seek again forever (a hang). Now an error naming the offset.
#[test]
fn mcap_summary_offset_past_the_end_is_an_error_not_a_hang() {
    use episcope_core::formats::mcap;
    let source = MemorySource::new(input("mcap-summary-offset-past-end.mcap"));
    let err = pollster::block_on(mcap::read_mcap_summary(&source)).unwrap_err().to_string();
    assert!(err.contains("points outside the file"), "{err}");
}

/// `mcap_reader` (2026-12-04, 22:07): an attachment record in the summary section shorter than its
/// own header; the `mcap` crate (0.26, `read.rs:176`) slices past the body and panics. Contained:
/// a summary error.
#[test]
fn mcap_attachment_shorter_than_its_header_is_an_error_not_a_panic() {
    use episcope_core::formats::mcap;
    let source = MemorySource::new(input("mcap-summary-attachment-shorter-than-header.mcap"));
    let err = pollster::block_on(mcap::read_mcap_summary(&source)).unwrap_err().to_string();
    assert!(err.contains("malformed record"), "{err}");
}

/// `hdf5_reader` (2026-12-04, 22:19): a dataset of zero rows whose other dimensions multiply to a
/// huge row width; naming every column allocated without bound (out of memory). Now an error.
#[test]
fn hdf5_dataset_with_zero_rows_and_a_huge_width_is_an_error_not_an_allocation() {
    use episcope_core::formats::hdf5;
    let source = MemorySource::new(input("hdf5-zero-rows-huge-width.hdf5"));
    let file = pollster::block_on(hdf5::open_hdf5(&source)).expect("the structure opens");
    let summary = file.summary().expect("summary");
    for stream in &summary.streams {
        // Every dataset either reads or is refused; none allocates per declared column.
        let _ = file.dataset(&stream.name);
    }
}

/// `mcap_reader` (2026-12-04, 22:19, contained): a summary section on which the `mcap` crate's
/// reader panics at `sans_io/linear_reader.rs:745`. Contained: a summary error.
#[test]
fn mcap_linear_reader_panic_is_a_summary_error() {
    use episcope_core::formats::mcap;
    let source = MemorySource::new(input("mcap-summary-linear-reader-panic.mcap"));
    let err = pollster::block_on(mcap::read_mcap_summary(&source)).unwrap_err().to_string();
    assert!(err.contains("malformed record"), "{err}");
}
