//! Hostile and broken input: truncated or corrupt parquet, footers and page headers declaring
//! absurd sizes, JSON with huge numbers or deep nesting, gigantic declared shapes, paths that try
//! to leave the dataset folder, and strings holding HTML/JS. Each gives a clear error (or a
//! problem/finding) naming the file, with allocations bounded and no hang.
//!
//! Every hostile read runs on its own thread and must answer within [`TIME_LIMIT`] (see
//! [`within`]); where memory is the point, the read runs in a child process of this test binary
//! and its peak resident size is measured (see [`peak_memory_of`]).
//!
//! # What bounds what
//!
//! Episcope never sizes an allocation by a number read from a file without a limit:
//! - whole-file reads (`DatasetTree::read_all`) refuse files over a per-kind limit
//!   (`MAX_INFO_JSON_BYTES` 16 MiB, `MAX_META_JSON_BYTES`, `MAX_STATS_FILE_BYTES`); a native
//!   range read is checked against the file's size before its buffer is allocated;
//! - a parquet footer is read only when its declared length fits the file and
//!   `MAX_FOOTER_BYTES`; the schema's nesting depth is counted (without recursion) before the
//!   parquet crate builds it (`MAX_SCHEMA_DEPTH`); column-chunk ranges are checked against the
//!   file size (`checked_add`) before anything is fetched;
//! - before decoding, every page header of the fetched column chunks is walked (reading Thrift as
//!   the parquet crate does): a page may not declare more uncompressed bytes than its compressed
//!   bytes can expand to (Snappy 22×, LZ4 256×, others 1032×, plus 1 KiB, at most
//!   `MAX_PAGE_BYTES`), a dictionary page no more values than it has bytes, no size may be
//!   negative, and no page may run past its chunk; decoding stops (an error) once the pages yield
//!   more rows than the footer declares;
//! - flattening a list column fills null rows with NaN only up to `MAX_NULL_FILL_VALUES` values
//!   beyond those it holds;
//! - MP4 box sizes and counts are checked against the bytes present (`mp4.rs`);
//! - `Feature::values_per_frame` saturates, `dimension_labels` builds at most
//!   `MAX_DIMENSION_LABELS` labels, episode lengths are summed saturating;
//! - the `Vec::with_capacity` calls of `parquet_io.rs`, `columns.rs`, `lerobot/*.rs`, `check/*.rs`,
//!   `tree.rs`, `source.rs` and `mp4.rs` are sized by things already in memory (columns asked for,
//!   ranges, decoded rows, JSON entries, the file list) or by a range checked against the file.
//!
//! What the parquet crate (60.x) bounds itself, and what it does not:
//! - its Thrift decoder refuses a list longer than the footer bytes left (`check_list_size`) and
//!   skips unknown fields to a depth of 64 only;
//! - page sizes are i32: no page can declare more than 2 GiB (a "4 GiB" field is truncated);
//! - it does NOT bound the uncompressed page size: it reserves `uncompressed_page_size` bytes and
//!   the Snappy codec zero-fills them, so one page header cost 2 GiB resident (measured: 2.1 GB);
//! - it does NOT bound a dictionary page's value count: 2^31 declared int64 values cost 16 GiB
//!   resident and 27 s (measured);
//! - it decodes pages until they run out, not up to the footer's row count;
//! - it builds the schema tree recursively without a depth limit (a deep footer overflows the stack).
//!
//! serde_json stops at 128 levels of nesting (its recursion limit): deep JSON is an error, not a
//! stack overflow; numbers beyond `f64` (`1e400`) are an error; `1e308` is a float.
//!
//! Not bounded yet: a footer that honestly declares billions of rows whose run-length encoded pages
//! (a few bytes each) decode to them is decoded in full (bounded by the declared row count only).

mod fixtures;

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use arrow_array::builder::{Float32Builder, ListBuilder};
use arrow_array::{ArrayRef, Int64Array, RecordBatch};
use bytes::Bytes;
use episcope_core::check::render::{to_html, to_markdown};
use episcope_core::check::{check_dataset, CheckOptions, Finding, Report};
use episcope_core::columns::{flatten_numeric, ColumnError};
use episcope_core::lerobot::info::{Info, InfoError, MAX_DIMENSION_LABELS, MAX_FEATURE_VALUES};
use episcope_core::lerobot::{open_dataset, Dataset, Feature, FeatureKind, OpenError, Overview, Problem};
use episcope_core::parquet_io::{ParquetFile, ParquetReadError, MAX_FOOTER_BYTES, MAX_SCHEMA_DEPTH};
use episcope_core::tree::{PathError, ReadFileError};
use episcope_core::{DatasetTree, MemorySource};
use fixtures::{Fixture, Options, Version, EPISODES_STATS, EPISODES_V30, GLOBAL_STATS};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use serde_json::json;

/// Every hostile read must answer within this time (it takes milliseconds; the limit only
/// catches hangs).
const TIME_LIMIT: Duration = Duration::from_secs(20);

const INFO: &str = "meta/info.json";
const TASKS_JSONL: &str = "meta/tasks.jsonl";
const EPISODES_JSONL: &str = "meta/episodes.jsonl";
const TASKS_PARQUET: &str = "meta/tasks.parquet";
const DATA0: &str = "data/chunk-000/episode_000000.parquet";
const FILE: &str = "data/x.parquet";

// ---------------------------------------------------------------------------------------------
// Harness: time limits, child processes, small parquet files.
// ---------------------------------------------------------------------------------------------

/// Runs `work` on a thread with a stack of `stack_bytes` and returns its answer, failing the test
/// if none comes within [`TIME_LIMIT`] (a hang) and passing on a panic of `work`.
fn within_stack<T: Send + 'static>(what: &str, stack_bytes: usize, work: impl FnOnce() -> T + Send + 'static) -> T {
    let (sender, receiver) = mpsc::channel();
    let worker = thread::Builder::new()
        .name(what.to_string())
        .stack_size(stack_bytes)
        .spawn(move || {
            let _ = sender.send(work());
        })
        .unwrap();
    match receiver.recv_timeout(TIME_LIMIT) {
        Ok(answer) => {
            worker.join().unwrap();
            answer
        }
        Err(RecvTimeoutError::Timeout) => panic!("{what}: no answer within {TIME_LIMIT:?} (a hang)"),
        Err(RecvTimeoutError::Disconnected) => std::panic::resume_unwind(worker.join().unwrap_err()),
    }
}

/// [`within_stack`] with an 8 MiB stack.
fn within<T: Send + 'static>(what: &str, work: impl FnOnce() -> T + Send + 'static) -> T {
    within_stack(what, 8 << 20, work)
}

/// Set in the child processes [`peak_memory_of`] starts.
const CHILD_ENV: &str = "EPISCOPE_HOSTILE_CHILD";

/// Runs the `#[ignore]`d test `name` of this binary in a child process (within [`TIME_LIMIT`]) and
/// returns what it printed after `RESULT:` and its peak resident memory in bytes (`VmHWM`).
fn peak_memory_of(name: &str) -> (String, u64) {
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            panic!("{name}: the child process gave no answer within {TIME_LIMIT:?} (a hang)");
        }
        thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{name}: the child process failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let field = |key: &str| {
        stdout
            .lines()
            .find_map(|l| l.split_once(key).map(|(_, value)| value))
            .unwrap_or_else(|| panic!("{name}: no `{key}` line in the child's output:\n{stdout}"))
            .trim()
            .to_string()
    };
    let peak_kib: u64 = field("PEAK_KIB:").parse().unwrap();
    (field("RESULT:"), peak_kib * 1024)
}

/// In a child started by [`peak_memory_of`]: prints the result and the peak resident memory.
fn report_to_parent(result: &str) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let peak = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).unwrap();
    let peak_kib = peak.trim().trim_end_matches("kB").trim();
    println!("RESULT: {result}");
    println!("PEAK_KIB: {peak_kib}");
}

fn is_child() -> bool {
    std::env::var_os(CHILD_ENV).is_some()
}

/// Opens `bytes` as the parquet file [`FILE`] and reads every column.
fn open_and_read(bytes: impl Into<Bytes>) -> Result<usize, ParquetReadError> {
    let source = Arc::new(MemorySource::new(bytes.into()));
    pollster::block_on(async {
        let parquet = ParquetFile::open(source, FILE).await?;
        let names: Vec<String> = parquet.schema().fields().iter().map(|f| f.name().clone()).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let batches = parquet.read(&names, None).await?;
        Ok(batches.iter().map(RecordBatch::num_rows).sum())
    })
}

/// [`open_and_read`] on a thread, within [`TIME_LIMIT`].
fn read_within(what: &str, bytes: impl Into<Bytes>) -> Result<usize, ParquetReadError> {
    let bytes = bytes.into();
    within(what, move || open_and_read(bytes))
}

/// A one-column (`x`: int64) parquet file of `rows` rows, `compression`, no dictionary, no
/// statistics: one row group, one column chunk, whose first page starts at byte 4.
fn small_parquet(rows: i64, compression: Compression) -> Vec<u8> {
    let values: ArrayRef = Arc::new(Int64Array::from_iter_values((0..rows).map(|i| i * 7919 % 1_000_003)));
    let batch = RecordBatch::try_from_iter([("x", values)]).unwrap();
    let props = WriterProperties::builder()
        .set_compression(compression)
        .set_dictionary_enabled(false)
        .set_statistics_enabled(EnabledStatistics::None)
        .build();
    let mut writer = ArrowWriter::try_new(Vec::new(), batch.schema(), Some(props)).unwrap();
    writer.write(&batch).unwrap();
    writer.into_inner().unwrap()
}

/// Where the footer (Thrift metadata) of a parquet file starts, and its length.
fn footer_of(bytes: &[u8]) -> (usize, usize) {
    let len = u32::from_le_bytes(bytes[bytes.len() - 8..bytes.len() - 4].try_into().unwrap()) as usize;
    (bytes.len() - 8 - len, len)
}

/// `bytes` with the footer length field (the 4 bytes before the closing magic) set to `declared`.
fn with_footer_length(bytes: &[u8], declared: u32) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let at = out.len() - 8;
    out[at..at + 4].copy_from_slice(&declared.to_le_bytes());
    out
}

fn varint(mut value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

/// Reads a varint at `at`; returns (value, bytes it took).
fn read_varint(bytes: &[u8], at: usize) -> (u64, usize) {
    let mut value = 0u64;
    for (i, byte) in bytes[at..].iter().enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return (value, i + 1);
        }
    }
    panic!("unterminated varint at {at}");
}

fn metadata_of(bytes: &[u8]) -> parquet::file::metadata::ParquetMetaData {
    let (footer_start, footer_len) = footer_of(bytes);
    parquet::file::metadata::ParquetMetaDataReader::decode_metadata(&bytes[footer_start..footer_start + footer_len])
        .unwrap()
}

/// Start and length of the column chunk (`row_group`, `leaf`) as the footer gives them.
fn chunk_range(bytes: &[u8], row_group: usize, leaf: usize) -> (usize, usize) {
    let metadata = metadata_of(bytes);
    let chunk = metadata.row_group(row_group).column(leaf);
    (chunk.dictionary_page_offset().unwrap_or(chunk.data_page_offset()) as usize, chunk.compressed_size() as usize)
}

/// The start of the column chunk (`row_group`, `leaf`), which must be the last column chunk of the
/// file (so that growing its first page header moves no other chunk; only the page indexes behind
/// it, which Episcope does not read).
fn last_chunk_start(bytes: &[u8], row_group: usize, leaf: usize) -> usize {
    let metadata = metadata_of(bytes);
    let (start, _) = chunk_range(bytes, row_group, leaf);
    for rg in metadata.row_groups() {
        for chunk in rg.columns() {
            let other = chunk.dictionary_page_offset().unwrap_or(chunk.data_page_offset()) as usize;
            assert!(other <= start, "the chunk at {start} must be the last one (another starts at {other})");
        }
    }
    start
}

/// `bytes` with field `field` (an i32, one of the first fields of the page header at `page`) of
/// that page header set to `value_varint` (raw varint bytes). The header grows or shrinks by the
/// difference in varint length; the footer's size of the column chunk (`row_group`, `leaf`, the
/// last chunk of the file) is corrected so that only the page header lies.
fn with_page_header_field(
    bytes: &[u8],
    row_group: usize,
    leaf: usize,
    page: usize,
    field: u8,
    value_varint: &[u8],
) -> Vec<u8> {
    // PageHeader in Thrift compact: field 1 `type`, 2 `uncompressed_page_size`,
    // 3 `compressed_page_size` (all i32: header byte 0x15, then a zigzag varint) ….
    let mut at = page;
    for expected in 1..field {
        assert_eq!(bytes[at], 0x15, "field {expected} of the page header at {page}");
        at += 1 + read_varint(bytes, at + 1).1;
    }
    assert_eq!(bytes[at], 0x15, "field {field} of the page header at {page}");
    let (_, old_len) = read_varint(bytes, at + 1);
    let mut out = bytes[..at + 1].to_vec();
    out.extend_from_slice(value_varint);
    out.extend_from_slice(&bytes[at + 1 + old_len..]);
    let delta = value_varint.len() as i64 - old_len as i64;
    fixtures::rewrite_column_chunk(&out, row_group, leaf, |c| {
        let chunk = c.build().unwrap();
        let size = chunk.compressed_size();
        chunk.into_builder().set_total_compressed_size(size + delta)
    })
}

/// A tiny deterministic generator (xorshift64*).
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// A parquet file made of a hand-written footer (Thrift compact `FileMetaData`): `elements` are
/// the encoded `SchemaElement`s; no row groups.
fn parquet_with_schema(elements: &[Vec<u8>]) -> Vec<u8> {
    let mut footer = vec![0x15, 0x04]; // field 1 `version`: i32 2
    footer.push(0x19); // field 2 `schema`: list
    footer.push(0xfc); // of structs, size in a varint
    footer.extend(varint(elements.len() as u64));
    for element in elements {
        footer.extend_from_slice(element);
    }
    footer.extend([0x16, 0x00]); // field 3 `num_rows`: i64 0
    footer.extend([0x19, 0x0c]); // field 4 `row_groups`: empty list of structs
    footer.push(0x00); // stop
    let mut out = b"PAR1".to_vec();
    out.extend_from_slice(&footer);
    out.extend((footer.len() as u32).to_le_bytes());
    out.extend_from_slice(b"PAR1");
    out
}

/// A `SchemaElement` group: `repetition_type` REQUIRED (unless the root), `name`, `num_children`.
fn schema_group(name: &str, children: u64, root: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if root {
        out.push(0x48); // field 4 `name`: binary
    } else {
        out.extend([0x35, 0x00]); // field 3 `repetition_type`: REQUIRED
        out.push(0x18); // field 4 `name`: binary
    }
    out.extend(varint(name.len() as u64));
    out.extend_from_slice(name.as_bytes());
    out.push(0x15); // field 5 `num_children`: i32
    out.extend(varint(zigzag(children as i64)));
    out.push(0x00);
    out
}

/// A `SchemaElement` leaf: `type` INT64, `repetition_type` OPTIONAL, `name`.
fn schema_leaf(name: &str) -> Vec<u8> {
    let mut out = vec![0x15, 0x04, 0x25, 0x02, 0x18]; // type INT64 (2), repetition OPTIONAL (1), name
    out.extend(varint(name.len() as u64));
    out.extend_from_slice(name.as_bytes());
    out.push(0x00);
    out
}

/// A schema of `depth` groups, each holding the next, around one leaf.
fn nested_schema(depth: usize) -> Vec<Vec<u8>> {
    let mut elements = vec![schema_group("schema", 1, true)];
    elements.extend((1..depth).map(|i| schema_group(&format!("g{i}"), 1, false)));
    elements.push(schema_leaf("x"));
    elements
}

// ---------------------------------------------------------------------------------------------
// Datasets.
// ---------------------------------------------------------------------------------------------

fn v21() -> Fixture {
    Fixture::build(&Options::clean(Version::V2_1, &[3, 4]))
}

fn v30() -> Fixture {
    Fixture::build(&Options::clean(Version::V3_0, &[3, 4]))
}

fn open_within(what: &str, fixture: Fixture) -> Result<Dataset, OpenError> {
    within(what, move || pollster::block_on(open_dataset(&fixture.tree(), &mut |_| {})))
}

fn overview_within(what: &str, dataset: Dataset, fixture: Fixture) -> Overview {
    within(what, move || Overview::new("hostile", &dataset, &fixture.tree()))
}

fn check_within(what: &str, fixture: Fixture) -> Report {
    within(what, move || {
        let options = CheckOptions { skip_hashes: true, ..Default::default() };
        pollster::block_on(check_dataset(&fixture.tree(), "hostile", &options, &mut |_| {}))
    })
}

fn describe(report: &Report) -> String {
    report
        .findings
        .iter()
        .map(|f| format!("  {} @ {:?} — {}", f.rule, f.location, f.message))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The finding of `rule` located in `path` (the test fails, listing the findings, if none).
fn finding<'a>(report: &'a Report, rule: &str, path: &str) -> &'a Finding {
    report
        .findings
        .iter()
        .find(|f| f.rule == rule && f.location.path.as_deref() == Some(path))
        .unwrap_or_else(|| panic!("no `{rule}` finding at {path}; the findings are:\n{}", describe(report)))
}

/// The problems of `rule` located in `path`.
fn problems<'a>(dataset: &'a Dataset, rule: &str, path: &str) -> Vec<&'a Problem> {
    dataset.problems.iter().filter(|p| p.rule == rule && p.path == path).collect()
}

/// Replaces the first `from` in the text file `path` (which must contain it).
fn replace_text(fixture: &mut Fixture, path: &str, from: &str, to: &str) {
    let text = std::str::from_utf8(&fixture.files[path]).unwrap().to_string();
    assert!(text.contains(from), "{path} has no `{from}`:\n{text}");
    fixture.replace(path, text.replacen(from, to, 1));
}

// ---------------------------------------------------------------------------------------------
// Parquet.
// ---------------------------------------------------------------------------------------------

#[test]
fn the_small_parquet_file_reads() {
    assert_eq!(read_within("intact", small_parquet(1000, Compression::SNAPPY)), Ok(1000));
}

#[test]
fn truncated_parquet_is_an_error_naming_the_file() {
    let bytes = small_parquet(1000, Compression::SNAPPY);
    let (footer_start, footer_len) = footer_of(&bytes);
    let size = bytes.len();
    let no_magic = ParquetReadError::NoMagic { path: FILE.into() };
    let too_small = |size: u64| ParquetReadError::TooSmall { size, path: FILE.into() };
    let cases = [
        ("the footer length and closing magic gone", size - 8, no_magic.clone()),
        ("half the closing magic gone", size - 2, no_magic.clone()),
        ("half the footer gone", footer_start + footer_len / 2, no_magic.clone()),
        ("the whole footer gone", footer_start, no_magic.clone()),
        ("cut in the middle of the column chunk", footer_start / 2, no_magic.clone()),
        ("only the opening magic left", 4, too_small(4)),
        ("11 bytes left", 11, too_small(11)),
        ("nothing left", 0, too_small(0)),
    ];
    for (what, keep, expected) in cases {
        let err = read_within(what, bytes[..keep].to_vec()).unwrap_err();
        assert_eq!(err, expected, "{what}");
        assert!(err.to_string().ends_with(": data/x.parquet"), "{what}: {err}");
    }
    // The middle of the column chunk cut out, the footer intact: the chunk the footer describes
    // now runs past the end of the file.
    let (_, chunk_len) = chunk_range(&bytes, 0, 0);
    let mut cut = bytes[..footer_start / 4].to_vec();
    cut.extend_from_slice(&bytes[footer_start * 3 / 4..]);
    assert_eq!(
        read_within("the middle of the column chunk cut out", cut.clone()).unwrap_err(),
        ParquetReadError::Metadata {
            reason: format!("column chunk 4+{chunk_len} lies outside the file ({} bytes)", cut.len()),
            path: FILE.into()
        }
    );
    // The middle of the column chunk overwritten: the page does not decompress.
    let mut garbled = bytes.clone();
    garbled[footer_start / 2..footer_start * 3 / 4].fill(0xff);
    let err = read_within("the middle of the column chunk overwritten", garbled).unwrap_err();
    assert!(matches!(&err, ParquetReadError::Decode { path, .. } if path == FILE), "{err:?}");
}

#[test]
fn footer_length_fields_beyond_the_file_are_refused_before_reading() {
    let bytes = small_parquet(100, Compression::SNAPPY);
    let size = bytes.len() as u64;
    let too_large =
        |declared: u64| ParquetReadError::FooterTooLarge { declared, available: size - 12, path: FILE.into() };
    for declared in [u64::from(u32::MAX), size + 1, size, size - 11] {
        let err = read_within("footer length", with_footer_length(&bytes, declared as u32)).unwrap_err();
        assert_eq!(err, too_large(declared), "declared {declared}");
        assert_eq!(
            err.to_string(),
            format!(
                "parquet footer declares {declared} bytes of metadata but the file has {}: data/x.parquet",
                size - 12
            )
        );
    }
    // A length that fits but is wrong: whatever it covers is not a footer.
    for declared in [0, 1, size - 12] {
        let err = read_within("wrong footer length", with_footer_length(&bytes, declared as u32)).unwrap_err();
        assert!(
            matches!(&err, ParquetReadError::Metadata { path, .. } if path == FILE),
            "declared {declared}: {err:?}"
        );
    }
    // Over the footer limit in a file large enough to hold it: refused without reading it
    // (`vec![0; n]` is lazily zeroed memory, so the test itself stays small).
    let mut big = vec![0u8; (MAX_FOOTER_BYTES + 64) as usize];
    big[..4].copy_from_slice(b"PAR1");
    let end = big.len();
    big[end - 4..].copy_from_slice(b"PAR1");
    let declared = MAX_FOOTER_BYTES + 1;
    let source = Bytes::from(big);
    let available = source.len() as u64 - 12;
    assert_eq!(
        read_within("footer over the limit", with_footer_length(&source, declared as u32)).unwrap_err(),
        ParquetReadError::FooterTooLarge { declared, available, path: FILE.into() }
    );
}

#[test]
fn column_chunks_outside_the_file_are_refused_before_fetching() {
    let bytes = small_parquet(100, Compression::SNAPPY);
    let chunk_len = chunk_range(&bytes, 0, 0).1 as i64;
    type Edit =
        fn(parquet::file::metadata::ColumnChunkMetaDataBuilder) -> parquet::file::metadata::ColumnChunkMetaDataBuilder;
    // (what, edit, the chunk's start and length as the footer then says)
    let cases: [(&str, Edit, i64, i64); 6] = [
        ("starts at the end of the file", |c| c.set_data_page_offset(1 << 20), 1 << 20, chunk_len),
        ("runs past the end", |c| c.set_total_compressed_size(1 << 20), 4, 1 << 20),
        // i64::MAX + i64::MAX = 2^64 - 2 still fits a u64; the sum is checked anyway (`checked_add`).
        (
            "offset and length i64::MAX",
            |c| c.set_data_page_offset(i64::MAX).set_total_compressed_size(i64::MAX),
            i64::MAX,
            i64::MAX,
        ),
        ("negative offset", |c| c.set_data_page_offset(-1), -1, chunk_len),
        ("negative length", |c| c.set_total_compressed_size(-5), 4, -5),
        ("dictionary page past the end", |c| c.set_dictionary_page_offset(Some(i64::MAX - 1)), i64::MAX - 1, chunk_len),
    ];
    for (what, edit, start, len) in cases {
        let lying = fixtures::rewrite_column_chunk(&bytes, 0, 0, edit);
        let size = lying.len();
        assert_eq!(
            read_within(what, lying).unwrap_err(),
            ParquetReadError::Metadata {
                reason: format!("column chunk {start}+{len} lies outside the file ({size} bytes)"),
                path: FILE.into()
            },
            "{what}"
        );
    }
}

/// A one-column parquet file like [`small_parquet`] but dictionary-encoded (ten distinct values):
/// its chunk starts with a dictionary page at byte 4.
fn small_parquet_with_dictionary(rows: i64, compression: Compression) -> Vec<u8> {
    let values: ArrayRef = Arc::new(Int64Array::from_iter_values((0..rows).map(|i| i % 10)));
    let batch = RecordBatch::try_from_iter([("x", values)]).unwrap();
    let props = WriterProperties::builder()
        .set_compression(compression)
        .set_statistics_enabled(EnabledStatistics::None)
        .build();
    let mut writer = ArrowWriter::try_new(Vec::new(), batch.schema(), Some(props)).unwrap();
    writer.write(&batch).unwrap();
    writer.into_inner().unwrap()
}

/// Field 3 (`compressed_page_size`) of the page header at `page`.
fn compressed_size_of_page(bytes: &[u8], page: usize) -> u64 {
    let mut at = page;
    for _ in 1..3 {
        at += 1 + read_varint(bytes, at + 1).1;
    }
    let (value, _) = read_varint(bytes, at + 1);
    value >> 1 // zigzag, non-negative
}

/// The small file with its page claiming `i32::MAX` uncompressed bytes (the largest size the
/// format can declare: the field is an i32, so "4 GiB" is not expressible — see below).
fn page_claiming_2_gib() -> Vec<u8> {
    let bytes = small_parquet(1000, Compression::SNAPPY);
    with_page_header_field(&bytes, 0, 0, 4, 2, &varint(zigzag(i64::from(i32::MAX))))
}

fn expected_page_too_large(bytes: &[u8]) -> ParquetReadError {
    let compressed = compressed_size_of_page(bytes, 4);
    ParquetReadError::Decode {
        reason: format!(
            "the page at byte 4 declares {} uncompressed bytes, more than its {compressed} SNAPPY-compressed bytes can hold",
            i32::MAX
        ),
        path: FILE.into(),
    }
}

#[test]
fn a_page_header_declaring_2_gib_is_refused_without_allocating_it() {
    let bytes = page_claiming_2_gib();
    assert_eq!(read_within("2 GiB page", bytes.clone()).unwrap_err(), expected_page_too_large(&bytes));
    // Memory: the read in a child process of its own. (The parquet crate alone would reserve the
    // declared size and the Snappy codec zero-fill it: 2 GiB resident.)
    let (result, peak) = peak_memory_of("child_reads_a_page_claiming_2_gib");
    assert_eq!(result, format!("{:?}", expected_page_too_large(&bytes)));
    assert!(peak < 256 << 20, "peak resident memory {} MiB", peak >> 20);
}

#[test]
#[ignore = "run by a_page_header_declaring_2_gib_is_refused_without_allocating_it in a child process"]
fn child_reads_a_page_claiming_2_gib() {
    if is_child() {
        report_to_parent(&format!("{:?}", open_and_read(page_claiming_2_gib()).unwrap_err()));
    }
}

#[test]
fn page_headers_with_impossible_sizes_are_errors_naming_the_file() {
    let bytes = small_parquet(1000, Compression::SNAPPY);
    let malformed = |reason: &str| ParquetReadError::Decode { reason: reason.to_string(), path: FILE.into() };
    // A negative uncompressed size; the varint u32::MAX (which zigzag-decodes to i32::MIN); and
    // "4 GiB" (2^32): the field is an i32, which the parquet crate (and Episcope's check, which
    // reads as the crate does) truncates to 0, so the page holds fewer bytes than it says and the
    // crate stops at its end, allocating nothing beyond the page.
    let cases = [
        (
            "negative uncompressed size",
            varint(zigzag(-1)),
            malformed("malformed page header at byte 4 (a negative size)"),
        ),
        (
            "uncompressed size u32::MAX",
            varint(u64::from(u32::MAX)),
            malformed("malformed page header at byte 4 (a negative size)"),
        ),
        (
            "uncompressed size 4 GiB",
            varint(zigzag(1 << 32)),
            malformed("Parquet argument error: EOF: Not enough bytes to decode"),
        ),
    ];
    for (what, field, expected) in cases {
        let lying = with_page_header_field(&bytes, 0, 0, 4, 2, &field);
        assert_eq!(read_within(what, lying).unwrap_err(), expected, "{what}");
    }
    // A compressed size running past the column chunk.
    let lying = with_page_header_field(&bytes, 0, 0, 4, 3, &varint(zigzag(i64::from(i32::MAX))));
    let (start, len) = chunk_range(&lying, 0, 0);
    assert_eq!(
        read_within("compressed size past the chunk", lying).unwrap_err(),
        malformed(&format!(
            "the page at byte 4 ({} bytes) runs past the end of its column chunk at byte {}",
            i32::MAX,
            start + len
        ))
    );
}

/// The dictionary file with its dictionary page claiming `i32::MAX` values; returns it and the
/// page's (true) uncompressed size.
fn dictionary_claiming_2g_values(compression: Compression) -> (Vec<u8>, u64) {
    let bytes = small_parquet_with_dictionary(1000, compression);
    let page = last_chunk_start(&bytes, 0, 0);
    assert_eq!(&bytes[page..page + 2], [0x15, 0x04], "a DICTIONARY_PAGE at {page}");
    let uncompressed = read_varint(&bytes, page + 3).0 >> 1;
    // After fields 1-3: field 7 `dictionary_page_header` (struct, header byte 0x4c), whose field 1
    // is `num_values` (i32).
    let mut at = page;
    for _ in 0..3 {
        at += 1 + read_varint(&bytes, at + 1).1;
    }
    assert_eq!(&bytes[at..at + 2], [0x4c, 0x15], "the dictionary page header");
    let num_values = at + 2;
    let (_, old_len) = read_varint(&bytes, num_values);
    let new = varint(zigzag(i64::from(i32::MAX)));
    let mut out = bytes[..num_values].to_vec();
    out.extend_from_slice(&new);
    out.extend_from_slice(&bytes[num_values + old_len..]);
    let delta = new.len() as i64 - old_len as i64;
    let out = fixtures::rewrite_column_chunk(&out, 0, 0, |c| {
        let chunk = c.build().unwrap();
        let size = chunk.compressed_size();
        chunk.into_builder().set_total_compressed_size(size + delta)
    });
    (out, uncompressed)
}

#[test]
fn a_dictionary_page_declaring_2g_values_is_refused_without_allocating_them() {
    let expected = |bytes: u64| ParquetReadError::Decode {
        reason: format!("the dictionary page at byte 4 declares {} values in {bytes} bytes", i32::MAX),
        path: FILE.into(),
    };
    for compression in [Compression::SNAPPY, Compression::UNCOMPRESSED] {
        let intact = small_parquet_with_dictionary(1000, compression);
        assert_eq!(read_within("intact dictionary file", intact), Ok(1000));
        let (bytes, uncompressed) = dictionary_claiming_2g_values(compression);
        assert_eq!(read_within("2G dictionary values", bytes.clone()).unwrap_err(), expected(uncompressed));
        // Without a codec the page's bytes are decoded as they are: an uncompressed size that lies
        // too does not let the values through.
        let lying = with_page_header_field(&bytes, 0, 0, 4, 2, &varint(zigzag(i64::from(i32::MAX))));
        let err = read_within("2G dictionary values, 2 GiB page", lying).unwrap_err();
        if compression == Compression::UNCOMPRESSED {
            assert_eq!(err, expected(uncompressed));
        } else {
            assert!(err.to_string().starts_with("corrupt column data (the page at byte 4 declares 2147483647"));
        }
    }
    // 16 GiB resident and 27 s before Episcope checked dictionary pages.
    let (_, uncompressed) = dictionary_claiming_2g_values(Compression::SNAPPY);
    let expected = expected(uncompressed);
    let (result, peak) = peak_memory_of("child_reads_a_dictionary_claiming_2g_values");
    assert_eq!(result, format!("{expected:?}"));
    assert!(peak < 256 << 20, "peak resident memory {} MiB", peak >> 20);
}

#[test]
#[ignore = "run by a_dictionary_page_declaring_2g_values_is_refused_without_allocating_them in a child process"]
fn child_reads_a_dictionary_claiming_2g_values() {
    if is_child() {
        let bytes = dictionary_claiming_2g_values(Compression::SNAPPY).0;
        report_to_parent(&format!("{:?}", open_and_read(bytes).unwrap_err()));
    }
}

#[test]
fn a_data_file_with_a_lying_page_header_is_a_parquet_corrupt_finding() {
    let mut fixture = v21();
    let bytes = fixture.files[DATA0].clone();
    // The last column chunk of the file (`task_index`): growing its first page header moves no
    // other chunk.
    let leaf = metadata_of(&bytes).row_group(0).num_columns() - 1;
    let page = last_chunk_start(&bytes, 0, leaf);
    fixture.replace(DATA0, with_page_header_field(&bytes, 0, leaf, page, 2, &varint(zigzag(i64::from(i32::MAX)))));
    let report = check_within("lying page header in a dataset", fixture);
    let found = finding(&report, "file.parquet-corrupt", DATA0);
    assert_eq!(found.location.episode, Some(0));
    assert!(found.message.starts_with(&format!("corrupt column data (the page at byte {page} declares 2147483647")));
    assert!(found.message.ends_with(&format!(": {DATA0}")), "{}", found.message);
}

/// `bytes` with the footer's row count of row group 0 set to `rows` (the pages are kept).
fn with_row_group_rows(bytes: &[u8], rows: i64) -> Vec<u8> {
    let (footer_start, _) = footer_of(bytes);
    let mut builder = metadata_of(bytes).into_builder();
    let mut row_groups = builder.take_row_groups();
    row_groups[0] = row_groups[0].clone().into_builder().set_num_rows(rows).build().unwrap();
    let metadata = builder.set_row_groups(row_groups).build();
    let mut out = bytes[..footer_start].to_vec();
    parquet::file::metadata::ParquetMetaDataWriter::new(&mut out, &metadata).finish().unwrap();
    out
}

#[test]
fn pages_holding_more_rows_than_the_footer_declares_are_an_error() {
    // The parquet crate decodes pages until they run out, whatever the footer says: a few bytes of
    // run-length encoded page can hold 2^31 values. The read stops one batch past the declared rows.
    let bytes = small_parquet(1000, Compression::SNAPPY);
    let expected = ParquetReadError::Decode {
        reason: "the pages hold more rows than the 10 the footer declares".into(),
        path: FILE.into(),
    };
    assert_eq!(read_within("rows beyond the footer", with_row_group_rows(&bytes, 10)).unwrap_err(), expected);
    assert_eq!(read_within("rows as declared", with_row_group_rows(&bytes, 1000)), Ok(1000));
}

#[test]
fn a_footer_with_100k_columns_opens_in_bounded_time() {
    let mut elements = vec![schema_group("schema", 100_000, true)];
    elements.extend((0..100_000).map(|i| schema_leaf(&format!("c{i}"))));
    let bytes = parquet_with_schema(&elements);
    let columns = within("100k columns", move || {
        let source = Arc::new(MemorySource::new(bytes));
        pollster::block_on(async {
            let parquet = ParquetFile::open(source, FILE).await.unwrap();
            let rows: usize = parquet.read(&["c99999"], None).await.unwrap().iter().map(RecordBatch::num_rows).sum();
            (parquet.schema().fields().len(), parquet.num_rows(), rows)
        })
    });
    assert_eq!(columns, (100_000, 0, 0));
}

#[test]
fn a_footer_nesting_the_schema_deeper_than_the_limit_is_refused_without_recursing() {
    let depth_error = |depth: usize| ParquetReadError::Metadata {
        reason: format!("the schema nests {depth} levels deep, more than the {MAX_SCHEMA_DEPTH} Episcope reads"),
        path: FILE.into(),
    };
    // At the limit: opens (a 2 MiB stack, as Rust's test threads have).
    let at_limit = parquet_with_schema(&nested_schema(MAX_SCHEMA_DEPTH));
    assert_eq!(within_stack("schema at the depth limit", 2 << 20, move || open_and_read(at_limit)), Ok(0));
    // One past it, and 100,000 levels (which the parquet crate would build recursively, overflowing
    // any stack): refused by a check that does not recurse, here on a 256 KiB stack.
    for depth in [MAX_SCHEMA_DEPTH + 1, 100_000] {
        let bytes = parquet_with_schema(&nested_schema(depth));
        let err = within_stack("deep schema", 256 << 10, move || open_and_read(bytes)).unwrap_err();
        assert_eq!(err, depth_error(depth), "depth {depth}");
    }
}

#[test]
fn random_bytes_between_par1_magics_are_errors_naming_the_file() {
    within("random footers", || {
        let mut random = Random(0x5eed_0fc0_ffee);
        for case in 0..400 {
            let len = 16 + (random.next() % 3000) as usize;
            let mut bytes = random.bytes(len);
            bytes[..4].copy_from_slice(b"PAR1");
            bytes[len - 4..].copy_from_slice(b"PAR1");
            // Half the cases declare a footer length that fits the file, so the bytes are decoded.
            if case % 2 == 0 {
                let declared = (random.next() % (len as u64 - 12)) as u32;
                bytes[len - 8..len - 4].copy_from_slice(&declared.to_le_bytes());
            }
            let err = open_and_read(bytes).expect_err("random bytes are no parquet file");
            assert!(
                matches!(
                    &err,
                    ParquetReadError::FooterTooLarge { path, .. }
                        | ParquetReadError::Metadata { path, .. }
                        | ParquetReadError::Decode { path, .. } if path == FILE
                ),
                "case {case}: {err:?}"
            );
            assert!(err.to_string().ends_with(": data/x.parquet"), "case {case}: {err}");
        }
    });
}

// ---------------------------------------------------------------------------------------------
// JSON.
// ---------------------------------------------------------------------------------------------

#[test]
fn numbers_beyond_f64_in_info_json_are_an_error_naming_the_file() {
    let mut fixture = v21();
    replace_text(&mut fixture, INFO, "\"fps\": 30.0", "\"fps\": 1e400");
    let err = open_within("fps 1e400", fixture.clone()).unwrap_err();
    let OpenError::Info(InfoError::Json { reason, path }) = &err else { panic!("{err:?}") };
    assert_eq!(path, INFO);
    assert!(reason.starts_with("number out of range at line "), "{reason}");
    assert!(err.to_string().ends_with(": meta/info.json"), "{err}");
    let report = check_within("fps 1e400", fixture);
    assert_eq!(finding(&report, "meta.info-invalid", INFO).message, err.to_string());
}

#[test]
fn huge_and_negative_numbers_in_info_json_are_key_type_problems() {
    let mut fixture = v21();
    fixture.edit_info(|info| {
        info["total_frames"] = json!(1e308);
        info["total_episodes"] = json!(-1);
        info["fps"] = json!(-1);
    });
    let dataset = open_within("huge and negative totals", fixture.clone()).unwrap();
    let messages: Vec<&str> = problems(&dataset, "meta.key-type", INFO).iter().map(|p| p.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "`total_episodes` expected a non-negative integer, found -1",
            "`total_frames` expected a non-negative integer, found 1e+308"
        ]
    );
    assert_eq!((dataset.info.fps, dataset.fps()), (Some(-1.0), 1.0));
    let report = check_within("huge and negative totals", fixture);
    assert_eq!(finding(&report, "meta.fps", INFO).message, "expected a positive frame rate, found -1");
    // fps 1e308: a number, absurd but finite; everything derived from it stays finite.
    let mut fixture = v21();
    fixture.edit_info(|info| info["fps"] = json!(1e308));
    let dataset = open_within("fps 1e308", fixture.clone()).unwrap();
    assert_eq!(dataset.fps(), 1e308);
    let overview = overview_within("fps 1e308", dataset, fixture.clone());
    assert!(overview.duration_secs.is_finite() && overview.episode_list.iter().all(|e| e.duration_secs.is_finite()));
    let report = check_within("fps 1e308", fixture);
    finding(&report, "time.gap", DATA0);
}

/// `info.json` of the fixture with `observation.state`'s `names` nested `depth` arrays deep.
fn info_with_deep_names(depth: usize) -> Fixture {
    let mut fixture = v21();
    fixture.edit_info(|info| info["features"]["observation.state"]["names"] = json!("DEEP"));
    let deep = format!("{}\"x\"{}", "[".repeat(depth), "]".repeat(depth));
    replace_text(&mut fixture, INFO, "\"DEEP\"", &deep);
    fixture
}

#[test]
fn deeply_nested_names_are_a_json_error_not_a_stack_overflow() {
    let fixture = info_with_deep_names(10_000);
    let text = fixture.files[INFO].clone();
    // serde_json's recursion limit (128 levels) stops the parse: an error, even on a 256 KiB stack.
    let err = within_stack("deep names", 512 << 10, move || Info::parse(&text, INFO)).unwrap_err();
    let InfoError::Json { reason, path } = &err else { panic!("{err:?}") };
    assert_eq!(path, INFO);
    assert!(reason.starts_with("recursion limit exceeded at line "), "{reason}");
    let err = open_within("deep names", fixture.clone()).unwrap_err();
    assert_eq!(err, OpenError::Info(InfoError::Json { reason: reason.clone(), path: INFO.into() }));
    assert_eq!(finding(&check_within("deep names", fixture), "meta.info-invalid", INFO).message, err.to_string());
    // Nesting under the limit is read (and flattened) as names.
    let fixture = info_with_deep_names(100);
    let dataset = open_within("nested names", fixture).unwrap();
    assert_eq!(dataset.info.feature("observation.state").unwrap().names, ["x"]);
}

#[test]
fn deep_nesting_in_every_json_lines_file_is_a_problem_naming_the_file() {
    // A line of 5 MB of `[`.
    let brackets = "[".repeat(5 << 20);
    let expected = "line 1: invalid JSON (recursion limit exceeded at line 1 column 128)";
    for path in [TASKS_JSONL, EPISODES_JSONL] {
        let mut fixture = v21();
        fixture.replace(path, brackets.clone());
        let dataset = open_within(path, fixture.clone()).unwrap();
        let messages: Vec<&str> =
            problems(&dataset, "meta.unreadable", path).iter().map(|p| p.message.as_str()).collect();
        assert_eq!(messages, [expected], "{path}");
        assert_eq!(finding(&check_within(path, fixture), "meta.unreadable", path).message, expected);
    }
    // The stats files: read by the checker (and `read_stored_stats`).
    let mut fixture = v21();
    fixture.replace(EPISODES_STATS, brackets.clone());
    assert_eq!(finding(&check_within("deep stats", fixture), "meta.unreadable", EPISODES_STATS).message, expected);
    let mut fixture = v30();
    fixture.replace(GLOBAL_STATS, brackets);
    assert_eq!(
        finding(&check_within("deep stats", fixture), "meta.unreadable", GLOBAL_STATS).message,
        "invalid JSON (recursion limit exceeded at line 1 column 128)"
    );
}

#[test]
fn an_info_json_over_the_size_limit_is_refused_naming_the_file() {
    let mut fixture = v21();
    let mut text = fixture.files[INFO].to_vec();
    text.resize(20 << 20, b' ');
    let size = text.len() as u64;
    fixture.replace(INFO, text);
    let err = open_within("20 MB info.json", fixture.clone()).unwrap_err();
    assert_eq!(
        err,
        OpenError::Read(ReadFileError::TooLarge {
            size,
            limit: episcope_core::lerobot::dataset::MAX_INFO_JSON_BYTES,
            path: INFO.into()
        })
    );
    assert_eq!(
        err.to_string(),
        "file is 20971520 bytes, more than the 16777216-byte limit for this kind of file: meta/info.json"
    );
    assert_eq!(finding(&check_within("20 MB info.json", fixture), "meta.unreadable", INFO).message, err.to_string());
}

#[test]
fn episode_lengths_of_2_pow_63_saturate_and_allocate_nothing() {
    let mut fixture = v21();
    fixture.edit_jsonl(EPISODES_JSONL, |lines| {
        for line in lines.iter_mut() {
            line["length"] = json!(1u64 << 63);
        }
    });
    let dataset = open_within("length 2^63", fixture.clone()).unwrap();
    assert_eq!(dataset.episodes.iter().map(|e| e.length).collect::<Vec<_>>(), [1 << 63, 1 << 63]);
    assert_eq!(dataset.frames_found(), u64::MAX);
    let overview = overview_within("length 2^63", dataset.clone(), fixture.clone());
    assert_eq!(overview.frames, u64::MAX);
    assert!(overview.duration_secs.is_finite());
    let report = check_within("length 2^63", fixture);
    assert_eq!(
        finding(&report, "meta.total-frames", INFO).message,
        "info.json declares 7 frames; the episodes' lengths add up to 18446744073709551615"
    );
    assert_eq!(
        finding(&report, "episode.length", DATA0).message,
        "the episode metadata says 9223372036854775808 frames; the data holds 3 rows for episode 0"
    );
    assert_eq!(report.dataset.frames, u64::MAX);
}

#[test]
fn v3_episode_ranges_near_u64_max_do_not_overflow() {
    let mut fixture = v30();
    // `length` and `dataset_to_index` written as float64 1e30: read as u64::MAX.
    fixture.edit_parquet(EPISODES_V30, |batch| {
        let huge: ArrayRef = Arc::new(arrow_array::Float64Array::from(vec![1e30; batch.num_rows()]));
        let batch = fixtures::with_column(&batch, "length", huge.clone());
        fixtures::with_column(&batch, "dataset_from_index", huge)
    });
    let dataset = open_within("v3 huge lengths", fixture.clone()).unwrap();
    assert_eq!(dataset.episodes.iter().map(|e| e.length).collect::<Vec<_>>(), [u64::MAX, u64::MAX]);
    assert_eq!(dataset.frames_found(), u64::MAX);
    let report = check_within("v3 huge lengths", fixture);
    let range = finding(&report, "episode.range", "meta/episodes/");
    assert_eq!(
        range.message,
        "expected rows [0, 18446744073709551615) for episode 0 of length 18446744073709551615, found \
         [18446744073709551615, 3)"
    );
}

// ---------------------------------------------------------------------------------------------
// Decoded columns.
// ---------------------------------------------------------------------------------------------

/// A list column: one row of `width` values, then `nulls` null rows (which hold no values).
fn wide_row_then_nulls(width: usize, nulls: usize) -> ArrayRef {
    let mut list = ListBuilder::new(Float32Builder::new());
    list.values().append_slice(&vec![1.0; width]);
    list.append(true);
    for _ in 0..nulls {
        list.append(false);
    }
    Arc::new(list.finish())
}

fn wide_null_rows_error() -> ColumnError {
    ColumnError::TooLarge { column: "x".into(), rows: 1_000_001, width: 1_000_000 }
}

#[test]
fn null_rows_of_a_very_wide_list_column_are_not_filled_without_bound() {
    // One row of a million values and a million null rows: filling the nulls with NaN would take
    // 10^12 values (8 TB) where the column holds 10^6.
    let array = wide_row_then_nulls(1_000_000, 1_000_000);
    let err = within("wide null rows", move || flatten_numeric("x", &array)).unwrap_err();
    assert_eq!(err, wide_null_rows_error());
    assert_eq!(
        err.to_string(),
        "column `x` would flatten to 1000001 rows of 1000000 values, its null rows filled with NaN: more than \
         Episcope holds"
    );
    // A few null rows are filled with NaN, as ever.
    let flat = flatten_numeric("x", &wide_row_then_nulls(3, 2)).unwrap();
    assert_eq!((flat.rows, flat.width, flat.values.len()), (3, 3, 9));
    assert!(flat.values[3..].iter().all(|v| v.is_nan()));
    let (result, peak) = peak_memory_of("child_flattens_a_wide_row_and_a_million_null_rows");
    assert_eq!(result, format!("{:?}", wide_null_rows_error()));
    assert!(peak < 256 << 20, "peak resident memory {} MiB", peak >> 20);
}

#[test]
#[ignore = "run by null_rows_of_a_very_wide_list_column_are_not_filled_without_bound in a child process"]
fn child_flattens_a_wide_row_and_a_million_null_rows() {
    if is_child() {
        let array = wide_row_then_nulls(1_000_000, 1_000_000);
        report_to_parent(&format!("{:?}", flatten_numeric("x", &array).unwrap_err()));
    }
}

// ---------------------------------------------------------------------------------------------
// Gigantic declared shapes.
// ---------------------------------------------------------------------------------------------

fn feature(shape: &[u64], names: usize) -> Feature {
    Feature {
        name: "f".into(),
        dtype: "float32".into(),
        shape: shape.to_vec(),
        names: (0..names).map(|i| format!("n{i}")).collect(),
        kind: FeatureKind::Numeric,
        video_info: None,
    }
}

#[test]
fn values_per_frame_saturates_and_labels_are_capped() {
    within("shapes", || {
        assert_eq!(feature(&[4294967295, 4294967295], 0).values_per_frame(), 18_446_744_065_119_617_025);
        assert_eq!(feature(&[4294967296, 4294967296], 0).values_per_frame(), u64::MAX);
        assert_eq!(feature(&[u64::MAX, 2, 0], 0).values_per_frame(), u64::MAX);
        assert_eq!(feature(&[0], 0).values_per_frame(), 0);
        assert_eq!(feature(&[0], 0).dimension_labels(), Vec::<String>::new());
        assert_eq!(feature(&[], 0).dimension_labels(), ["f"]);
        let cap = MAX_DIMENSION_LABELS as usize;
        const { assert!(MAX_DIMENSION_LABELS < MAX_FEATURE_VALUES) };
        for shape in [&[4294967295, 4294967295][..], &[4294967296, 4294967296], &[16_777_216], &[u64::MAX]] {
            let labels = feature(shape, 0).dimension_labels();
            assert_eq!(labels.len(), cap, "{shape:?}");
            assert_eq!(labels[0], if shape.len() == 2 { "f[0,0]" } else { "f[0]" }, "{shape:?}");
        }
        assert_eq!(feature(&[16_777_216], 0).dimension_labels()[cap - 1], format!("f[{}]", cap - 1));
        // Names: one per value are the labels (capped too); any other count gives index labels.
        let named = feature(&[100_000], 100_000).dimension_labels();
        assert_eq!((named.len(), named[0].as_str(), named[cap - 1].clone()), (cap, "n0", format!("n{}", cap - 1)));
        assert_eq!(feature(&[3], 100_000).dimension_labels(), ["f[0]", "f[1]", "f[2]"]);
    });
    // Memory: 16,777,216 labels would be about a gigabyte of strings.
    let (result, peak) = peak_memory_of("child_labels_a_feature_of_16m_values");
    assert_eq!(result, MAX_DIMENSION_LABELS.to_string());
    assert!(peak < 128 << 20, "peak resident memory {} MiB", peak >> 20);
}

#[test]
#[ignore = "run by values_per_frame_saturates_and_labels_are_capped in a child process"]
fn child_labels_a_feature_of_16m_values() {
    if is_child() {
        report_to_parent(&feature(&[16_777_216], 0).dimension_labels().len().to_string());
    }
}

#[test]
fn gigantic_declared_shapes_are_findings_and_bounded() {
    let mut fixture = v21();
    let names: Vec<String> = (0..100_000).map(|i| format!("joint_{i}")).collect();
    fixture.edit_info(|info| {
        let features = info["features"].as_object_mut().unwrap();
        features.insert("huge".into(), json!({"dtype": "float32", "shape": [4294967295u64, 4294967295u64]}));
        features.insert("overflow".into(), json!({"dtype": "float32", "shape": [4294967296u64, 4294967296u64]}));
        features.insert("zero".into(), json!({"dtype": "float32", "shape": [0]}));
        features.insert("wide".into(), json!({"dtype": "float32", "shape": [16_777_216]}));
        features.insert("named".into(), json!({"dtype": "float32", "shape": [3], "names": names}));
    });
    let dataset = open_within("gigantic shapes", fixture.clone()).unwrap();
    let messages: Vec<&str> = problems(&dataset, "meta.key-type", INFO).iter().map(|p| p.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "`features.huge` declares 18446744065119617025 values per frame, more than Episcope reads",
            "`features.overflow` declares 18446744073709551615 values per frame, more than Episcope reads"
        ]
    );
    let overview = within("overview", {
        let fixture = fixture.clone();
        move || Overview::new("shapes", &dataset, &fixture.tree())
    });
    let labels = |name: &str| overview.features.iter().find(|f| f.name == name).unwrap().dimension_labels.len();
    let cap = MAX_DIMENSION_LABELS as usize;
    assert_eq!(
        [labels("huge"), labels("overflow"), labels("zero"), labels("wide"), labels("named")],
        [cap, cap, 0, cap, 3]
    );
    let report = check_within("gigantic shapes", fixture);
    for (name, shape) in
        [("huge", "[4294967295, 4294967295]"), ("overflow", "[4294967296, 4294967296]"), ("zero", "[0]")]
    {
        let found = report
            .findings
            .iter()
            .find(|f| f.rule == "feature.shape" && f.location.feature.as_deref() == Some(name))
            .unwrap_or_else(|| panic!("no feature.shape finding for {name}:\n{}", describe(&report)));
        assert_eq!(found.location.path.as_deref(), Some(INFO));
        assert_eq!(found.message, format!("expected a shape of positive dimensions, found {shape}"));
    }
    let names = report.findings.iter().find(|f| f.rule == "feature.names").unwrap();
    assert_eq!(names.location.feature.as_deref(), Some("named"));
    assert_eq!(names.message, "expected 3 names for shape [3], found 100000");
}

// ---------------------------------------------------------------------------------------------
// Paths.
// ---------------------------------------------------------------------------------------------

#[test]
fn the_tree_refuses_paths_that_leave_the_dataset() {
    within("tree paths", || {
        let source = || Arc::new(MemorySource::new(Bytes::from_static(b"x")));
        for path in
            ["../../etc/passwd", "/abs", "a/../../b", "C:\\x", "C:/x", "\\\\server\\share\\x", "a/../b", "..", "//"]
        {
            let mut tree = DatasetTree::new();
            assert_eq!(tree.insert(path, source()), Err(PathError::Escapes { path: path.into() }), "{path}");
            assert!(tree.is_empty(), "{path}");
            let err = DatasetTree::from_memory([(path, Bytes::from_static(b"x"))]).err().unwrap();
            assert_eq!(err.to_string(), format!("path is absolute or escapes the dataset folder: {path}"));
        }
        for path in ["", ".", "./"] {
            assert_eq!(DatasetTree::new().insert(path, source()), Err(PathError::Empty), "{path:?}");
        }
        // Harmless spellings are normalised.
        let mut tree = DatasetTree::new();
        tree.insert(".\\meta//./info.json", source()).unwrap();
        assert!(tree.contains(INFO));
    });
}

fn template_problem(key: &str, template: &str, filled: &str) -> Problem {
    Problem {
        rule: "meta.path-template".into(),
        episode: None,
        path: INFO.into(),
        message: format!(
            "`{key}` template `{template}` gives `{filled}`, a path outside the dataset folder; it is not followed"
        ),
    }
}

#[test]
fn path_templates_that_leave_the_dataset_are_refused_with_a_problem() {
    for (template, filled) in [
        ("../../{episode_index}.parquet", "../../0.parquet"),
        ("/etc/{episode_index}", "/etc/0"),
        ("C:\\{episode_index}", "C:\\0"),
    ] {
        let mut fixture = v21();
        fixture.edit_info(|info| info["data_path"] = json!(template));
        let dataset = open_within(template, fixture.clone()).unwrap();
        assert_eq!(problems(&dataset, "meta.path-template", INFO), [&template_problem("data_path", template, filled)]);
        // The data files are still found where they are (and reported as not where data_path says).
        assert_eq!(dataset.episodes[0].data_file.as_deref(), Some(DATA0));
        assert_eq!(problems(&dataset, "file.misplaced", DATA0).len(), 1);
        let report = check_within(template, fixture);
        assert_eq!(
            finding(&report, "meta.path-template", INFO).message,
            template_problem("data_path", template, filled).message
        );
    }
    // Video paths of v2.1.
    let mut fixture = Fixture::build(&Options { video: true, ..Options::clean(Version::V2_1, &[3, 4]) });
    let template = "../{video_key}/episode_{episode_index:06d}.mp4";
    fixture.edit_info(|info| info["video_path"] = json!(template));
    let dataset = open_within("video_path", fixture).unwrap();
    let filled = "../observation.images.cam/episode_000000.mp4";
    assert_eq!(problems(&dataset, "meta.path-template", INFO), [&template_problem("video_path", template, filled)]);
    assert!(dataset.episodes.iter().all(|e| e.videos.is_empty()));
    // v3.0 data paths: no fallback, the episodes' data files are missing.
    let mut fixture = v30();
    let template = "../data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet";
    fixture.edit_info(|info| info["data_path"] = json!(template));
    let dataset = open_within("v3 data_path", fixture).unwrap();
    let filled = "../data/chunk-000/file-000.parquet";
    assert_eq!(problems(&dataset, "meta.path-template", INFO), [&template_problem("data_path", template, filled)]);
    assert!(dataset.episodes.iter().all(|e| e.data_file.is_none()));
    // A template with harmless `./` and `\` is normalised, not refused.
    let mut fixture = v21();
    fixture.edit_info(|info| {
        info["data_path"] = json!(".\\data/./chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet")
    });
    let dataset = open_within("normalised data_path", fixture).unwrap();
    assert_eq!(dataset.problems, []);
    assert_eq!(dataset.episodes[0].data_file.as_deref(), Some(DATA0));
}

// ---------------------------------------------------------------------------------------------
// HTML and JavaScript in dataset strings.
// ---------------------------------------------------------------------------------------------

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "\"><img src=x onerror=alert(1)>";

#[test]
fn strings_from_the_dataset_are_escaped_in_html_and_markdown_reports() {
    let mut fixture = v21();
    fixture.edit_info(|info| {
        info["robot_type"] = json!(SCRIPT);
        // Declared but in no data file: findings located at (and naming) these features.
        info["features"][SCRIPT] = json!({"dtype": "float32", "shape": [1], "names": [IMG]});
        info["features"][IMG] = json!({"dtype": "float32", "shape": [1], "names": [SCRIPT]});
    });
    fixture.edit_jsonl(TASKS_JSONL, |lines| lines[1]["task"] = json!(SCRIPT));
    fixture.edit_jsonl(EPISODES_JSONL, |lines| lines[0]["tasks"] = json!([IMG]));
    let dataset = open_within("markup", fixture.clone()).unwrap();
    let overview = within("markup overview", {
        let fixture = fixture.clone();
        move || Overview::new(IMG, &dataset, &fixture.tree())
    });
    let report = within("markup report", move || {
        let options = CheckOptions { skip_hashes: true, ..Default::default() };
        pollster::block_on(check_dataset(&fixture.tree(), IMG, &options, &mut |_| {}))
    });
    // The hostile strings are in the report (so the escaping below is tested, not vacuous) …
    assert_eq!(report.dataset.robot_type.as_deref(), Some(SCRIPT));
    assert_eq!(report.dataset.name, IMG);
    let located = |feature: &str| report.findings.iter().any(|f| f.location.feature.as_deref() == Some(feature));
    assert!(located(SCRIPT) && located(IMG), "{}", describe(&report));
    assert!(
        report.findings.iter().any(|f| f.rule == "episode.tasks" && f.message.contains(IMG)),
        "{}",
        describe(&report)
    );
    assert!(report.findings.iter().any(|f| f.rule == "feature.name-chars" && f.message.contains(SCRIPT)));
    // … and the HTML holds only their escaped forms.
    let html = to_html(&report);
    for raw in [SCRIPT, IMG, "<script", "<img", "onerror=alert(1)>"] {
        assert!(!html.contains(raw), "the HTML report holds `{raw}`");
    }
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert!(html.contains("<title>Conformance report: &quot;&gt;&lt;img src=x onerror=alert(1)&gt;</title>"));
    // The Markdown too (`<`, `>` as entities, Markdown syntax backslashed).
    let markdown = to_markdown(&report);
    for raw in [SCRIPT, IMG, "<script", "<img", "<"] {
        assert!(!markdown.contains(raw), "the Markdown report holds `{raw}`");
    }
    assert!(markdown.contains("&lt;script&gt;alert\\(1\\)&lt;/script&gt;"));
    assert!(markdown.contains("\"&gt;&lt;img src=x onerror=alert\\(1\\)&gt;"));
    assert!(markdown.contains("| Robot | &lt;script&gt;alert\\(1\\)&lt;/script&gt; |"));
    // The overview keeps them as they are: escaping is the renderer's job.
    assert_eq!(overview.name, IMG);
    assert_eq!(overview.robot_type.as_deref(), Some(SCRIPT));
    assert!(overview.tasks.iter().any(|t| t.text == SCRIPT));
    assert!(overview.episode_list[0].tasks == [IMG]);
    let feature = |name: &str| overview.features.iter().find(|f| f.name == name).unwrap();
    assert_eq!(feature(SCRIPT).names, [IMG]);
    assert_eq!(feature(IMG).dimension_labels, [SCRIPT]);
    let text = serde_json::to_string(&overview).unwrap();
    assert!(text.contains(SCRIPT) && text.contains(&IMG.replace('"', "\\\"")));
    assert_eq!(serde_json::from_str::<Overview>(&text).unwrap(), overview);
}

// ---------------------------------------------------------------------------------------------
// Empty and one-byte metadata files.
// ---------------------------------------------------------------------------------------------

/// What a metadata file of zero or one byte gives: the problems `open_dataset` reports (a rule and
/// its messages, if it reports any) and the finding the checker reports (a rule and a message).
struct Stub {
    version: Version,
    path: &'static str,
    problem: Option<(&'static str, Vec<String>)>,
    finding: (&'static str, String),
}

fn stub_cases(empty: bool) -> Vec<Stub> {
    let (size, eof) = if empty {
        (0, "EOF while parsing a value at line 1 column 0")
    } else {
        // The first byte of every JSON file here: `{`.
        (1, "EOF while parsing an object at line 1 column 1")
    };
    let jsonl = if empty { "file is empty (0 bytes)".to_string() } else { format!("line 1: invalid JSON ({eof})") };
    let too_small = |path: &str| format!("not a parquet file: {size} bytes is too small to hold a footer: {path}");
    // Without a usable episodes.jsonl, v2.1 episodes are listed from the data files.
    let mut episodes = vec![jsonl.clone()];
    if empty {
        episodes.push("episodes were listed from 2 data files instead (tasks per episode unknown)".to_string());
    }
    vec![
        Stub {
            version: Version::V2_1,
            path: TASKS_JSONL,
            problem: Some(("meta.unreadable", vec![jsonl.clone()])),
            finding: ("meta.unreadable", jsonl.clone()),
        },
        Stub {
            version: Version::V2_1,
            path: EPISODES_JSONL,
            problem: Some(("meta.unreadable", episodes)),
            finding: ("meta.unreadable", jsonl.clone()),
        },
        Stub { version: Version::V2_1, path: EPISODES_STATS, problem: None, finding: ("meta.unreadable", jsonl) },
        Stub {
            version: Version::V3_0,
            path: TASKS_PARQUET,
            problem: Some(("meta.unreadable", vec![too_small(TASKS_PARQUET)])),
            finding: ("meta.unreadable", too_small(TASKS_PARQUET)),
        },
        Stub {
            version: Version::V3_0,
            path: EPISODES_V30,
            problem: Some(("file.parquet-corrupt", vec![too_small(EPISODES_V30)])),
            finding: ("file.parquet-corrupt", too_small(EPISODES_V30)),
        },
        Stub {
            version: Version::V3_0,
            path: GLOBAL_STATS,
            problem: None,
            finding: ("meta.unreadable", format!("invalid JSON ({eof})")),
        },
        Stub {
            version: Version::V2_1,
            path: DATA0,
            problem: None,
            finding: ("file.parquet-corrupt", too_small(DATA0)),
        },
    ]
}

fn assert_stub(stub: &Stub, empty: bool) {
    let mut fixture = match stub.version {
        Version::V2_1 => v21(),
        Version::V3_0 => v30(),
    };
    let bytes = if empty { Bytes::new() } else { fixture.files[stub.path].slice(..1) };
    fixture.replace(stub.path, bytes);
    let what = format!("{} of {} bytes", stub.path, u8::from(!empty));
    let dataset = open_within(&what, fixture.clone()).unwrap();
    if let Some((rule, messages)) = &stub.problem {
        let found: Vec<&str> = problems(&dataset, rule, stub.path).iter().map(|p| p.message.as_str()).collect();
        assert_eq!(&found, messages, "{what}");
    }
    let report = check_within(&what, fixture);
    let (rule, message) = &stub.finding;
    assert_eq!(&finding(&report, rule, stub.path).message, message, "{what}");
    if empty {
        assert_eq!(finding(&report, "file.empty", stub.path).message, "the file is 0 bytes");
    }
}

#[test]
fn empty_metadata_files_are_problems_naming_the_file() {
    for stub in stub_cases(true) {
        assert_stub(&stub, true);
    }
}

#[test]
fn one_byte_metadata_files_are_problems_naming_the_file() {
    for stub in stub_cases(false) {
        assert_stub(&stub, false);
    }
}

#[test]
fn empty_and_one_byte_info_json_are_fatal_errors_naming_the_file() {
    for (bytes, reason) in [
        (Bytes::new(), "EOF while parsing a value at line 1 column 0"),
        (Bytes::from_static(b"{"), "EOF while parsing an object at line 1 column 1"),
    ] {
        for fixture in [v21(), v30()] {
            let mut fixture = fixture;
            fixture.replace(INFO, bytes.clone());
            let err = open_within("stub info.json", fixture.clone()).unwrap_err();
            assert_eq!(err, OpenError::Info(InfoError::Json { reason: reason.into(), path: INFO.into() }));
            assert_eq!(err.to_string(), format!("invalid JSON ({reason}): meta/info.json"));
            let report = check_within("stub info.json", fixture);
            assert_eq!(finding(&report, "meta.info-invalid", INFO).message, err.to_string());
        }
    }
}
