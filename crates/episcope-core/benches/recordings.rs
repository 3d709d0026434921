//! Criterion benchmarks of the recording readers, native: schema-driven decoding of `JointState`
//! messages (a 7-joint arm, CDR, built in memory during setup), and, when `EPISCOPE_BENCH_MCAP`
//! names an MCAP file (`bench/make-big-mcap.py` writes a 1 GB one), opening its summary — with the
//! bytes that read, printed once; and when `EPISCOPE_BENCH_JOINTS_MCAP` names `joints.mcap` (the
//! same script), reading that file's `/joint_states` whole — summary, zstd chunks, records and
//! schema-driven decoding into columns — the work the Python peers time on the same file — and
//! converting it to a LeRobot v3.0 dataset in memory by the suggested mapping (`convert`: read,
//! resample onto 100 fps, parquet with per-episode stats, `meta/`), against forge-robotics' converter
//! (`bench/recordings/convert_peers.py`).
//!
//! Run: `cargo bench -p episcope-core --bench recordings` (add `-- --quick` for a fast pass).

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use episcope_core::convert::{convert_recording, suggest_mapping};
use episcope_core::formats::mcap;
use episcope_core::formats::ros_msg::{decode_message, decode_stream, parse_schema, LeafSink, MessageDecoder};
use episcope_core::recording::open_recording;
use episcope_core::source::ByteSource;
use episcope_core::source::{CountingSource, IoCounter, NativeFileSource};
use episcope_core::synthetic_recording::{joint_state_stream, JOINT_STATE_DEFINITION};
use episcope_core::writer::MemorySink;
use episcope_core::DatasetTree;
use pollster::block_on;

const JOINTS: usize = 7;
const MESSAGES: usize = 100_000;

fn decoding(c: &mut Criterion) {
    let (channel, messages) = joint_state_stream(MESSAGES, JOINTS);
    let series = decode_stream(&channel, &messages).expect("decodes");
    assert_eq!(series.times_ns.len(), MESSAGES);
    assert_eq!(series.fields[0].dimension_names[6], "joint7");
    let mut group = c.benchmark_group("joint_state");
    group.throughput(Throughput::Elements(MESSAGES as u64));
    group.sample_size(10);
    group.bench_function("decode_stream_100k_7_joints", |b| {
        b.iter(|| black_box(decode_stream(&channel, black_box(&messages)).unwrap()))
    });
    let schema = parse_schema("sensor_msgs/msg/JointState", "ros2msg", JOINT_STATE_DEFINITION).unwrap();
    group.bench_function("decode_message_100k_7_joints", |b| {
        b.iter(|| {
            for m in &messages {
                black_box(decode_message(&schema, &m.data).unwrap());
            }
        })
    });
    // The walk alone, into a sink that only counts: what the decoder costs without the columns.
    struct CountingSink(usize);
    impl LeafSink for CountingSink {
        fn numbers(&mut self, _: &str, values: &[f64]) {
            self.0 += values.len();
        }
        fn string(&mut self, _: &str, _: usize, _: &[u8]) {
            self.0 += 1;
        }
        fn bytes(&mut self, _: &str, value: &[u8]) {
            self.0 += value.len();
        }
    }
    group.bench_function("decode_walk_100k_7_joints", |b| {
        let mut decoder = MessageDecoder::default();
        b.iter(|| {
            let mut sink = CountingSink(0);
            for m in &messages {
                decoder.decode(&schema, &m.data, &mut sink).unwrap();
            }
            black_box(sink.0)
        })
    });
    group.finish();
}

fn big_mcap(c: &mut Criterion) {
    let Some(path) = std::env::var_os("EPISCOPE_BENCH_MCAP") else {
        eprintln!("EPISCOPE_BENCH_MCAP not set: skipping the MCAP summary benchmark");
        return;
    };
    let file: Arc<dyn episcope_core::ByteSource> =
        Arc::new(NativeFileSource::open(std::path::Path::new(&path)).expect("open"));
    let counter = Arc::new(IoCounter::default());
    let counted = CountingSource::new(file.clone(), counter.clone());
    let summary = block_on(mcap::read_mcap_summary(&counted)).expect("summary");
    let size = file.size();
    let messages: u64 = summary.message_counts.values().sum();
    eprintln!(
        "mcap summary of {:?}: {} bytes of {} read ({:.4}%), {} requests; {} channels, {} chunks, {} messages",
        path,
        counter.bytes_read(),
        size,
        counter.bytes_read() as f64 * 100.0 / size as f64,
        counter.requests(),
        summary.channels.len(),
        summary.chunks.len(),
        messages
    );
    let mut group = c.benchmark_group("mcap");
    group.sample_size(20);
    group.bench_function("read_summary_big_file", |b| {
        b.iter(|| black_box(block_on(mcap::read_mcap_summary(file.as_ref())).unwrap()))
    });
    let joints: Vec<u32> = summary.channels.iter().filter(|c| c.topic == "/joint_states").map(|c| c.id).collect();
    if !joints.is_empty() {
        let counter = Arc::new(IoCounter::default());
        let counted = CountingSource::new(file.clone(), counter.clone());
        let read = block_on(mcap::read_mcap_messages(&counted, &summary, Some(&joints))).expect("messages");
        eprintln!(
            "mcap /joint_states alone: {} messages, {} bytes read ({:.2}% of the file)",
            read.len(),
            counter.bytes_read(),
            counter.bytes_read() as f64 * 100.0 / size as f64
        );
    }
    group.finish();
}

/// `joints.mcap` from the file: what `mcap-ros2-support`'s `iter_decoded_messages` and
/// forge-robotics' `MCAPReader.read_episodes` do on it (bench/recordings/peers.py).
fn joints_file(c: &mut Criterion) {
    let Some(path) = std::env::var_os("EPISCOPE_BENCH_JOINTS_MCAP") else {
        eprintln!("EPISCOPE_BENCH_JOINTS_MCAP not set: skipping the joints.mcap file benchmark");
        return;
    };
    let file = NativeFileSource::open(std::path::Path::new(&path)).expect("open");
    let read_and_decode = || {
        let summary = block_on(mcap::read_mcap_summary(&file)).expect("summary");
        let channel = summary.channels.iter().find(|c| c.topic == "/joint_states").expect("/joint_states").clone();
        let messages = block_on(mcap::read_mcap_messages(&file, &summary, Some(&[channel.id]))).expect("messages");
        decode_stream(&channel, &messages).expect("decodes")
    };
    let series = read_and_decode();
    let count = series.times_ns.len() as u64;
    assert_eq!(series.fields[0].dimension_names.len(), JOINTS);
    eprintln!("joints.mcap: {count} JointState messages of {JOINTS} joints");
    let mut group = c.benchmark_group("joints_file");
    group.throughput(Throughput::Elements(count));
    group.sample_size(10);
    group.bench_function("read_and_decode_joint_states", |b| b.iter(|| black_box(read_and_decode())));

    // The whole conversion, as `episcope convert joints.mcap --out DIR` does it, into memory.
    let mut tree = DatasetTree::new();
    tree.insert("joints.mcap", Arc::new(NativeFileSource::open(std::path::Path::new(&path)).expect("open")))
        .expect("tree");
    let recording = block_on(open_recording(&tree)).expect("recording");
    let mapping = block_on(suggest_mapping(&tree, &recording)).expect("suggestion").mapping;
    let convert = || {
        let mut sink = MemorySink::default();
        let summary = block_on(convert_recording(&tree, &recording, &mapping, &mut sink, &mut |_| {}, &|| false))
            .expect("converts");
        black_box(sink);
        summary.written.total_frames
    };
    eprintln!("joints.mcap converted: {} frames at {} fps", convert(), mapping.fps);
    group.throughput(Throughput::Bytes(file.size()));
    group.bench_function("convert_to_lerobot_v3", |b| b.iter(convert));
    group.finish();
}

criterion_group!(benches, decoding, big_mcap, joints_file);
criterion_main!(benches);
