//! ROS 1 bags (v2.0) written by an independent writer (rosbags, `tests/recordings/make_rosbag1.py`):
//! uncompressed, bz2 and lz4 chunks, checked against its `expected.json`; the same bags unindexed
//! (linear scan); and hostile bags (truncated, bad magic, lying lengths, huge chunk sizes), each
//! giving an error within a time limit, never a panic or a hang.

use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use episcope_core::formats::rosbag1::{read_messages, read_summary, BagError, BagSummary, MAX_CHUNK_BYTES};
use episcope_core::recording::RawMessage;
use episcope_core::source::{CountingSource, IoCounter};
use episcope_core::{ByteSource, MemorySource};
use serde_json::Value;
use sha2::{Digest, Sha256};

const BAGS: &[&str] = &["plain.bag", "bz2.bag", "lz4.bag", "chunked_lz4.bag"];
const TIME_LIMIT: Duration = Duration::from_secs(20);

fn fixture_dir() -> PathBuf {
    let root = std::env::var_os("EPISCOPE_RECORDING_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/recordings")));
    root.join("rosbag1")
}

fn expected() -> Value {
    let text = std::fs::read_to_string(fixture_dir().join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json parses")
}

fn bag_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn summary_of(bytes: &[u8]) -> Result<BagSummary, BagError> {
    pollster::block_on(read_summary(&MemorySource::new(bytes.to_vec())))
}

/// The summary and every message, or the first error.
fn read_all(bytes: &[u8]) -> Result<(BagSummary, Vec<RawMessage>), BagError> {
    let source = MemorySource::new(bytes.to_vec());
    let summary = pollster::block_on(read_summary(&source))?;
    let messages = pollster::block_on(read_messages(&source, &summary, None))?;
    Ok((summary, messages))
}

/// Runs `f` on its own thread; fails the test if it panics or takes longer than [`TIME_LIMIT`].
fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(TIME_LIMIT).unwrap_or_else(|e| panic!("{what}: no answer within {TIME_LIMIT:?} ({e})"))
}

fn u64_of(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a u64: {v}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn le_u32(bytes: &[u8], pos: usize) -> u32 {
    u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap())
}

/// The byte range of field `name`'s value in the header of the record at `pos`.
fn field_value(bytes: &[u8], pos: usize, name: &str) -> std::ops::Range<usize> {
    let header_len = le_u32(bytes, pos) as usize;
    let header = &bytes[pos + 4..pos + 4 + header_len];
    let mut i = 0;
    while i < header.len() {
        let len = le_u32(header, i) as usize;
        let field = &header[i + 4..i + 4 + len];
        let eq = field.iter().position(|&b| b == b'=').unwrap();
        if &field[..eq] == name.as_bytes() {
            let start = pos + 4 + i + 4 + eq + 1;
            return start..pos + 4 + i + 4 + len;
        }
        i += 4 + len;
    }
    panic!("no field {name} in the record at {pos}")
}

fn index_pos_of(bytes: &[u8]) -> usize {
    let range = field_value(bytes, 13, "index_pos");
    u64::from_le_bytes(bytes[range].try_into().unwrap()) as usize
}

/// The same bag with `index_pos` 0 in its header, as a bag whose recording never finished.
fn unindexed(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let range = field_value(&out, 13, "index_pos");
    out[range].fill(0);
    out
}

/// Digest of messages as `make_rosbag1.py` computes it.
fn messages_sha256(messages: &[RawMessage]) -> String {
    let mut digest = Sha256::new();
    for m in messages {
        digest.update(m.channel_id.to_le_bytes());
        digest.update(m.log_time_ns.to_le_bytes());
        digest.update((m.data.len() as u32).to_le_bytes());
        digest.update(&m.data);
    }
    hex(&digest.finalize())
}

/// Asserts everything `expected.json` says about one bag.
fn check_against_expected(name: &str, bytes: &[u8], summary: &BagSummary, messages: &[RawMessage], exp: &Value) {
    let connections = exp["connections"].as_array().unwrap();
    assert_eq!(summary.channels.len(), connections.len(), "{name}: channels");
    for (channel, c) in summary.channels.iter().zip(connections) {
        assert_eq!(u64::from(channel.id), u64_of(&c["id"]), "{name}");
        assert_eq!(channel.topic, c["topic"].as_str().unwrap(), "{name}");
        assert_eq!(channel.message_type, c["type"].as_str().unwrap(), "{name}");
        assert_eq!(channel.message_encoding, "ros1", "{name}");
        assert_eq!(channel.schema_encoding, "ros1msg", "{name}");
        assert_eq!(
            sha256_hex(channel.schema_text.as_bytes()),
            c["message_definition_sha256"].as_str().unwrap(),
            "{name}: message definition of {}",
            channel.topic
        );
        let count = u64_of(&c["message_count"]);
        assert_eq!(summary.message_counts.get(&channel.id).copied(), Some(count), "{name}: {}", channel.topic);

        let mine: Vec<&RawMessage> = messages.iter().filter(|m| m.channel_id == channel.id).collect();
        assert_eq!(mine.len() as u64, count, "{name}: messages of {}", channel.topic);
        assert_eq!(mine[0].log_time_ns, u64_of(&c["first_time_ns"]), "{name}: {}", channel.topic);
        assert_eq!(mine[mine.len() - 1].log_time_ns, u64_of(&c["last_time_ns"]), "{name}: {}", channel.topic);
        assert_eq!(hex(&mine[0].data), c["first_message_hex"].as_str().unwrap(), "{name}: {}", channel.topic);
    }
    assert_eq!(summary.chunks.len() as u64, u64_of(&exp["chunk_count"]), "{name}: chunks");
    assert_eq!(summary.start_time_ns, Some(u64_of(&exp["start_time_ns"])), "{name}");
    assert_eq!(summary.end_time_ns, Some(u64_of(&exp["end_time_ns"])), "{name}");
    assert_eq!(messages.len() as u64, u64_of(&exp["message_count"]), "{name}: messages");
    assert!(messages.windows(2).all(|w| w[0].log_time_ns <= w[1].log_time_ns), "{name}: sorted by time");
    assert!(messages.iter().all(|m| m.publish_time_ns == m.log_time_ns), "{name}");
    assert_eq!(messages_sha256(messages), exp["messages_sha256"].as_str().unwrap(), "{name}: message bytes");
    let compression = exp["compression"].as_str().unwrap();
    for chunk in &summary.chunks {
        let range = field_value(bytes, chunk.chunk_pos as usize, "compression");
        assert_eq!(&bytes[range], compression.as_bytes(), "{name}: chunk at {}", chunk.chunk_pos);
    }
}

#[test]
fn fixture_bags_match_the_writers_expectations() {
    let expected = expected();
    for name in BAGS {
        let bytes = bag_bytes(name);
        let (summary, messages) = read_all(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        check_against_expected(name, &bytes, &summary, &messages, &expected["bags"][name]);
    }
}

#[test]
fn reading_one_channel_gives_exactly_its_messages() {
    for name in BAGS {
        let source = MemorySource::new(bag_bytes(name));
        let summary = pollster::block_on(read_summary(&source)).unwrap();
        let all = pollster::block_on(read_messages(&source, &summary, None)).unwrap();
        for channel in &summary.channels {
            let only = pollster::block_on(read_messages(&source, &summary, Some(&[channel.id]))).unwrap();
            let want: Vec<&RawMessage> = all.iter().filter(|m| m.channel_id == channel.id).collect();
            assert_eq!(only.iter().collect::<Vec<_>>(), want, "{name}: {}", channel.topic);
        }
        let none = pollster::block_on(read_messages(&source, &summary, Some(&[]))).unwrap();
        assert!(none.is_empty());
        let unknown = pollster::block_on(read_messages(&source, &summary, Some(&[999]))).unwrap();
        assert!(unknown.is_empty());
    }
}

#[test]
fn summary_reads_no_chunk_and_messages_read_only_the_chunks_needed() {
    let bytes = bag_bytes("chunked_lz4.bag");
    let size = bytes.len() as u64;
    let counter = Arc::new(IoCounter::default());
    let source = CountingSource::new(Arc::new(MemorySource::new(bytes.clone())), counter.clone());
    let summary = pollster::block_on(read_summary(&source)).unwrap();
    // Magic, the bag header's first read, the summary at the end.
    assert!(counter.requests() <= 3, "{} requests", counter.requests());
    let summary_bytes = size - index_pos_of(&bytes) as u64;
    assert!(counter.bytes_read() <= 13 + 4096 + 256 + summary_bytes, "{} bytes", counter.bytes_read());

    let cmd = summary.channels.iter().find(|c| c.topic == "/cmd").unwrap().id;
    let with_cmd: Vec<_> = summary.chunks.iter().filter(|c| c.message_counts.contains_key(&cmd)).collect();
    assert_eq!(with_cmd.len(), 1, "the fixture puts /cmd in the first chunk only");
    assert!(summary.chunks.len() >= 5);

    let before = counter.bytes_read();
    let messages = pollster::block_on(read_messages(&source, &summary, Some(&[cmd]))).unwrap();
    assert_eq!(messages.len() as u64, summary.message_counts[&cmd]);
    let chunk_bytes = counter.bytes_read() - before;
    let next_chunk = summary.chunks.get(1).map(|c| c.chunk_pos).unwrap();
    assert!(
        chunk_bytes <= next_chunk - with_cmd[0].chunk_pos + 4096 + 256,
        "read {chunk_bytes} bytes for one chunk of {}",
        next_chunk - with_cmd[0].chunk_pos
    );
}

#[test]
fn unindexed_bags_are_scanned_to_the_same_result() {
    for name in BAGS {
        let bytes = bag_bytes(name);
        let (want_summary, want_messages) = read_all(&bytes).unwrap();
        let index_pos = index_pos_of(&bytes);
        // With the (now unreferenced) summary records still at the end, and without them.
        for variant in [unindexed(&bytes), unindexed(&bytes)[..index_pos].to_vec()] {
            let (summary, messages) = read_all(&variant).unwrap_or_else(|e| panic!("{name} unindexed: {e}"));
            assert_eq!(summary.channels, want_summary.channels, "{name}");
            assert_eq!(summary.message_counts, want_summary.message_counts, "{name}");
            assert_eq!(
                (summary.start_time_ns, summary.end_time_ns),
                (want_summary.start_time_ns, want_summary.end_time_ns)
            );
            let positions = |s: &BagSummary| s.chunks.iter().map(|c| c.chunk_pos).collect::<Vec<_>>();
            assert_eq!(positions(&summary), positions(&want_summary), "{name}");
            for (got, want) in summary.chunks.iter().zip(&want_summary.chunks) {
                assert_eq!(got.message_counts, want.message_counts, "{name}");
                assert_eq!((got.start_time_ns, got.end_time_ns), (want.start_time_ns, want.end_time_ns), "{name}");
            }
            assert_eq!(messages, want_messages, "{name}");
        }
    }
}

#[test]
fn truncated_bags_are_errors_at_every_offset() {
    within("truncation", || {
        for name in BAGS {
            let bytes = bag_bytes(name);
            for cut in 0..bytes.len() {
                match read_all(&bytes[..cut]) {
                    Err(BagError::Source(e)) => panic!("{name} cut at {cut}: a read outside the file: {e}"),
                    Err(_) => {}
                    Ok(_) => panic!("{name} cut at {cut}: read without error"),
                }
            }
        }
    });
}

#[test]
fn truncated_unindexed_bags_never_panic() {
    within("unindexed truncation", || {
        for name in BAGS {
            let bytes = unindexed(&bag_bytes(name));
            let full = read_all(&bytes).unwrap().1.len();
            let index_pos = index_pos_of(&bag_bytes(name));
            for cut in (0..bytes.len()).step_by(37).chain([index_pos - 1, index_pos + 1]) {
                match read_all(&bytes[..cut]) {
                    // A cut at a record boundary is a bag whose recording stopped there.
                    Ok((_, messages)) => assert!(messages.len() <= full),
                    Err(BagError::Source(e)) => panic!("{name} cut at {cut}: a read outside the file: {e}"),
                    Err(_) => {}
                }
            }
        }
    });
}

#[test]
fn bad_magic_and_other_versions_are_refused() {
    assert_eq!(summary_of(b"").unwrap_err(), BagError::Truncated { offset: 0, needed: 13 });
    assert_eq!(summary_of(b"#ROSBAG").unwrap_err(), BagError::Truncated { offset: 0, needed: 13 });
    assert_eq!(summary_of(b"PAR1 not a bag at all").unwrap_err(), BagError::BadMagic);
    let mut v12 = bag_bytes("plain.bag");
    v12[..13].copy_from_slice(b"#ROSBAG V1.2\n");
    assert_eq!(summary_of(&v12).unwrap_err(), BagError::UnsupportedVersion { version: "1.2".into() });
    let mut flipped = bag_bytes("plain.bag");
    flipped[0] = b'$';
    assert_eq!(summary_of(&flipped).unwrap_err(), BagError::BadMagic);
}

#[test]
fn lying_record_lengths_are_errors() {
    within("lying lengths", || {
        let good = bag_bytes("plain.bag");
        let set_u32 =
            |bytes: &mut Vec<u8>, pos: usize, value: u32| bytes[pos..pos + 4].copy_from_slice(&value.to_le_bytes());

        // The bag header's header length: huge, then just past the end of the file.
        let mut bag = good.clone();
        set_u32(&mut bag, 13, u32::MAX);
        assert!(matches!(summary_of(&bag), Err(BagError::TooLarge { offset: 13, .. })), "{:?}", summary_of(&bag));
        let mut bag = good.clone();
        set_u32(&mut bag, 13, good.len() as u32);
        assert!(matches!(summary_of(&bag), Err(BagError::Truncated { offset: 13, .. })));

        // The bag header's data (padding) length.
        let mut bag = good.clone();
        let header_len = le_u32(&good, 13) as usize;
        set_u32(&mut bag, 13 + 4 + header_len, u32::MAX - 7);
        assert!(matches!(summary_of(&bag), Err(BagError::Truncated { offset: 13, .. })));

        // A header field length running past its header.
        let mut bag = good.clone();
        set_u32(&mut bag, 17, 1000);
        assert!(matches!(summary_of(&bag), Err(BagError::BadRecord { offset: 13, .. })));

        // The first summary record's header and data lengths.
        let index_pos = index_pos_of(&good);
        for (at, value) in [(0, u32::MAX), (0, 1 << 20), (0, 3)] {
            let mut bag = good.clone();
            set_u32(&mut bag, index_pos + at, value);
            assert!(summary_of(&bag).is_err(), "summary header length {value}");
        }
        let mut bag = good.clone();
        let first_header = le_u32(&good, index_pos) as usize;
        set_u32(&mut bag, index_pos + 4 + first_header, u32::MAX);
        assert!(matches!(summary_of(&bag), Err(BagError::Truncated { .. })));

        // index_pos past the end, inside the bag header.
        for lie in [good.len() as u64 + 1, u64::MAX, 14] {
            let mut bag = good.clone();
            let range = field_value(&bag, 13, "index_pos");
            bag[range].copy_from_slice(&lie.to_le_bytes());
            assert!(summary_of(&bag).is_err(), "index_pos {lie}");
        }

        // A chunk's data length, and a record length inside the (uncompressed) chunk: the summary is
        // fine, reading the messages is not.
        let summary = summary_of(&good).unwrap();
        let chunk_pos = summary.chunks[0].chunk_pos as usize;
        let chunk_header = le_u32(&good, chunk_pos) as usize;
        let data_len_at = chunk_pos + 4 + chunk_header;
        let mut bag = good.clone();
        set_u32(&mut bag, data_len_at, u32::MAX);
        assert!(matches!(read_all(&bag), Err(BagError::Truncated { .. })));
        for value in [u32::MAX, 1 << 20, 0] {
            let mut bag = good.clone();
            set_u32(&mut bag, data_len_at + 4, value);
            let result = read_all(&bag).map(|_| ());
            assert!(
                matches!(result, Err(BagError::BadChunkRecord { chunk_offset, .. }) if chunk_offset == chunk_pos as u64),
                "in-chunk header length {value}: {result:?}"
            );
        }

        // A chunk info pointing at the bag header, or twice at the same chunk.
        let mut bag = good.clone();
        let info_pos = find(&bag[index_pos..], b"chunk_pos=").unwrap() + index_pos + "chunk_pos=".len();
        bag[info_pos..info_pos + 8].copy_from_slice(&13u64.to_le_bytes());
        assert!(matches!(read_all(&bag), Err(BagError::BadRecord { .. })));
        let chunked = bag_bytes("chunked_lz4.bag");
        let summary = summary_of(&chunked).unwrap();
        let index_pos = index_pos_of(&chunked);
        let second = find(&chunked[index_pos..], &summary.chunks[1].chunk_pos.to_le_bytes()).unwrap() + index_pos;
        let mut bag = chunked.clone();
        bag[second..second + 8].copy_from_slice(&summary.chunks[0].chunk_pos.to_le_bytes());
        let err = summary_of(&bag).unwrap_err();
        assert!(matches!(&err, BagError::BadRecord { reason, .. } if reason.contains("two chunk infos")), "{err}");
    });
}

#[test]
fn chunks_declaring_wrong_or_huge_sizes_are_errors() {
    within("chunk sizes", || {
        for name in ["plain.bag", "bz2.bag", "lz4.bag"] {
            let good = bag_bytes(name);
            let summary = summary_of(&good).unwrap();
            let chunk_pos = summary.chunks[0].chunk_pos as usize;
            let size_at = field_value(&good, chunk_pos, "size");
            let real = le_u32(&good, size_at.start);
            for lie in [u32::MAX, MAX_CHUNK_BYTES as u32 + 1, MAX_CHUNK_BYTES as u32, 1 << 29, real + 1, real - 1, 0] {
                let mut bag = good.clone();
                bag[size_at.clone()].copy_from_slice(&lie.to_le_bytes());
                let err = read_all(&bag).map(|_| ()).unwrap_err();
                if u64::from(lie) > MAX_CHUNK_BYTES {
                    assert!(matches!(err, BagError::TooLarge { .. }), "{name} size {lie}: {err}");
                } else {
                    assert!(matches!(err, BagError::Decompress { .. }), "{name} size {lie}: {err}");
                }
            }
        }
    });
}

#[test]
fn corrupt_or_unknown_compression_is_an_error() {
    within("compression", || {
        let good = bag_bytes("lz4.bag");
        let chunk_pos = summary_of(&good).unwrap().chunks[0].chunk_pos as usize;
        let mut bag = good.clone();
        let range = field_value(&bag, chunk_pos, "compression");
        bag[range].copy_from_slice(b"zst");
        assert_eq!(
            read_all(&bag).map(|_| ()).unwrap_err(),
            BagError::UnsupportedCompression { chunk_offset: chunk_pos as u64, compression: "zst".into() }
        );

        // bz2 carries CRCs: any flipped byte in the stream is caught. lz4 frames (without content
        // checksum) may decode to other bytes: only no panic is required there.
        for name in ["bz2.bag", "lz4.bag"] {
            let good = bag_bytes(name);
            let chunk_pos = summary_of(&good).unwrap().chunks[0].chunk_pos as usize;
            let data_start = chunk_pos + 4 + le_u32(&good, chunk_pos) as usize + 4;
            let data_len = le_u32(&good, data_start - 4) as usize;
            for at in (0..data_len).step_by(61) {
                let mut bag = good.clone();
                bag[data_start + at] ^= 0x5a;
                let result = read_all(&bag);
                if name == "bz2.bag" {
                    assert!(result.is_err(), "{name}: flipped byte {at} of the chunk");
                }
            }
        }
    });
}

#[test]
fn source_reads_stay_inside_the_file() {
    // A source refusing any read past its size would surface as `BagError::Source`; the reader checks
    // lengths first, so no hostile input above produced one. Here: the smallest valid-looking inputs.
    let bag = bag_bytes("plain.bag");
    let header_end = 13 + 4 + le_u32(&bag, 13) as usize + 4 + le_u32(&bag, 13 + 4 + le_u32(&bag, 13) as usize) as usize;
    let source = MemorySource::new(bag[..header_end].to_vec());
    assert_eq!(source.size(), header_end as u64);
    let err = pollster::block_on(read_summary(&source)).unwrap_err();
    assert!(matches!(err, BagError::Truncated { .. }), "{err}");
}
