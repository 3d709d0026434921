//! HDF5 reader tests against h5py-written fixtures (`tests/recordings/make_hdf5.py`) and hostile bytes.

use std::path::PathBuf;

use episcope_core::formats::hdf5::{
    open_hdf5, read_hdf5_dataset, read_hdf5_image, read_hdf5_series, read_hdf5_summary, Hdf5Episode, Hdf5Error,
};
use episcope_core::recording::{RecordingFormat, StreamKind};
use episcope_core::MemorySource;
use pollster::block_on;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn fixture_dir() -> PathBuf {
    let base = std::env::var("EPISCOPE_RECORDING_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/recordings")));
    base.join("hdf5")
}

fn load(name: &str) -> Vec<u8> {
    std::fs::read(fixture_dir().join(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

fn expected() -> Value {
    serde_json::from_slice(&load("expected.json")).unwrap()
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn sha_f64(values: &[f64]) -> String {
    let mut h = Sha256::new();
    for v in values {
        h.update(v.to_le_bytes());
    }
    format!("{:x}", h.finalize())
}

fn sha_f32(values: &[f64]) -> String {
    let mut h = Sha256::new();
    for v in values {
        h.update((*v as f32).to_le_bytes());
    }
    format!("{:x}", h.finalize())
}

#[test]
fn aloha_summary_detects_layout_streams_and_attributes() {
    let src = MemorySource::new(load("episode_0.hdf5"));
    let s = block_on(read_hdf5_summary(&src)).unwrap();
    assert_eq!(s.layout, RecordingFormat::Hdf5Aloha);
    assert_eq!(s.episodes, vec![Hdf5Episode { name: String::new(), frames: 50 }]);
    let paths: Vec<&str> = s.datasets.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(paths, ["/action", "/observations/images/cam_high", "/observations/qpos", "/observations/qvel"]);
    let qpos = &s.datasets[2];
    assert_eq!(qpos.dtype, "float64");
    assert_eq!(qpos.shape, vec![50, 14]);
    assert_eq!(qpos.chunks, Some(vec![10, 14]));
    assert_eq!(qpos.filters, vec!["deflate".to_string()]);
    let cam = &s.datasets[1];
    assert_eq!(cam.dtype, "uint8");
    assert_eq!(cam.shape, vec![50, 24, 32, 3]);
    assert_eq!(cam.chunks, Some(vec![1, 24, 32, 3]));
    assert!(s.attributes.contains(&("/".into(), "sim".into(), "True".into())), "{:?}", s.attributes);

    let qpos_stream = s.streams.iter().find(|st| st.name == "/observations/qpos").unwrap();
    assert_eq!(qpos_stream.type_name, "float64[50, 14]");
    assert_eq!(qpos_stream.kind, StreamKind::Numeric);
    assert_eq!(qpos_stream.messages, 50);
    assert_eq!(qpos_stream.first_time_ns, None);
    let cam_stream = s.streams.iter().find(|st| st.name == "/observations/images/cam_high").unwrap();
    assert_eq!(cam_stream.kind, StreamKind::Image);
    assert_eq!(cam_stream.type_name, "uint8[50, 24, 32, 3]");
}

#[test]
fn aloha_series_has_exact_values() {
    let exp = &expected()["episode_0.hdf5"];
    let src = MemorySource::new(load("episode_0.hdf5"));
    let series = block_on(read_hdf5_series(&src, "", Some(50.0))).unwrap();
    assert_eq!(series.times_ns.len(), 50);
    assert_eq!(series.times_ns[1], 20_000_000);
    assert_eq!(series.times_ns[49], 980_000_000);
    let names: Vec<&str> = series.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["/action", "/observations/qpos", "/observations/qvel"]);
    let qpos = &series.fields[1];
    assert_eq!(qpos.width, 14);
    assert_eq!(qpos.dimension_names[3], "qpos[3]");
    assert_eq!(qpos.values, f64s(&exp["qpos"]));
    let qvel = &series.fields[2];
    assert_eq!(sha_f64(&qvel.values), exp["qvel_sha256"].as_str().unwrap());
    assert_eq!(qvel.values[..14], f64s(&exp["qvel_first_row"])[..]);
    assert_eq!(series.fields[0].values[49 * 14..], f64s(&exp["action_last_row"])[..]);

    // Without a rate, frame i is at i seconds.
    let series = block_on(read_hdf5_series(&src, "", None)).unwrap();
    assert_eq!(series.times_ns[2], 2_000_000_000);
    assert!(matches!(block_on(read_hdf5_series(&src, "demo_0", None)), Err(Hdf5Error::NoSuchEpisode { .. })));
}

#[test]
fn aloha_image_frame_decodes_exactly() {
    let exp = &expected()["episode_0.hdf5"];
    let src = MemorySource::new(load("episode_0.hdf5"));
    let path = exp["image_path"].as_str().unwrap();
    let (w, h, c, px) = block_on(read_hdf5_image(&src, path, 7)).unwrap();
    assert_eq!((w, h, c), (32, 24, 3));
    assert_eq!(px.len(), 24 * 32 * 3);
    assert_eq!(format!("{:x}", Sha256::digest(&px)), exp["image_frame_7_sha256"].as_str().unwrap());
    let first: Vec<u64> =
        exp["image_frame_7_first_pixel"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    assert_eq!(px[..3].iter().map(|&b| u64::from(b)).collect::<Vec<_>>(), first);
    let (_, _, _, px0) = block_on(read_hdf5_image(&src, path, 0)).unwrap();
    let first0: Vec<u64> =
        exp["image_frame_0_first_pixel"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    assert_eq!(px0[..3].iter().map(|&b| u64::from(b)).collect::<Vec<_>>(), first0);

    assert_eq!(block_on(read_hdf5_image(&src, path, 50)), Err(Hdf5Error::FrameOutOfRange { frame: 50, frames: 50 }));
    assert!(matches!(block_on(read_hdf5_image(&src, "/observations/qpos", 0)), Err(Hdf5Error::NotAnImage { .. })));
    assert!(matches!(block_on(read_hdf5_image(&src, "/nope", 0)), Err(Hdf5Error::NoSuchDataset { .. })));
}

#[test]
fn robomimic_demos_and_series() {
    let exp = &expected()["robomimic.hdf5"];
    let src = MemorySource::new(load("robomimic.hdf5"));
    let s = block_on(read_hdf5_summary(&src)).unwrap();
    assert_eq!(s.layout, RecordingFormat::Hdf5Robomimic);
    assert_eq!(
        s.episodes,
        vec![Hdf5Episode { name: "demo_0".into(), frames: 30 }, Hdf5Episode { name: "demo_1".into(), frames: 20 }]
    );
    assert!(s.attributes.contains(&("/data/demo_1".into(), "num_samples".into(), "20".into())));
    let env_args = s.attributes.iter().find(|(p, n, _)| p == "/data" && n == "env_args").unwrap();
    assert_eq!(env_args.2, r#"{"env_name": "Lift", "type": 1}"#);
    let actions = s.streams.iter().find(|st| st.name == "/data/demo_0/actions").unwrap();
    assert_eq!(actions.type_name, "float32[30, 7]");
    assert_eq!(actions.messages, 30);

    for (demo, n) in [("demo_0", 30usize), ("demo_1", 20)] {
        let e = &exp["demos"][demo];
        let series = block_on(read_hdf5_series(&src, demo, None)).unwrap();
        assert_eq!(series.stream, format!("/data/{demo}"));
        assert_eq!(series.times_ns.len(), n);
        let get = |name: &str| series.fields.iter().find(|f| f.name == format!("/data/{demo}/{name}")).unwrap();
        let eef = get("obs/robot0_eef_pos");
        assert_eq!(eef.width, 3);
        assert_eq!(eef.dimension_names, ["robot0_eef_pos[0]", "robot0_eef_pos[1]", "robot0_eef_pos[2]"]);
        assert_eq!(eef.values, f64s(&e["eef"]));
        assert_eq!(get("actions").values, f64s(&e["actions"]));
        assert_eq!(get("rewards").values, f64s(&e["rewards"]));
        assert_eq!(get("rewards").dimension_names, ["rewards"]);
        assert_eq!(get("dones").values, f64s(&e["dones"]));
        assert_eq!(series.fields.len(), 4);
    }
}

#[test]
fn generic_file_lists_the_tree() {
    let exp = &expected()["generic.hdf5"];
    let src = MemorySource::new(load("generic.hdf5"));
    let s = block_on(read_hdf5_summary(&src)).unwrap();
    assert_eq!(s.layout, RecordingFormat::Hdf5);
    assert!(s.episodes.is_empty());
    let want = exp["datasets"].as_object().unwrap();
    assert_eq!(s.datasets.len(), want.len());
    for d in &s.datasets {
        let w = &want[&d.path];
        assert_eq!(d.dtype, w["dtype"].as_str().unwrap(), "{}", d.path);
        let shape: Vec<u64> = w["shape"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        assert_eq!(d.shape, shape);
        assert_eq!(d.chunks.is_some(), w["chunked"].as_bool().unwrap(), "{}", d.path);
    }
    assert!(s.attributes.contains(&("/sensors/imu".into(), "rate_hz".into(), "100".into())), "{:?}", s.attributes);
    let counts = s.streams.iter().find(|st| st.name == "/sensors/imu/counts").unwrap();
    assert_eq!(counts.type_name, "int16[3, 4, 5]");
    assert_eq!(counts.kind, StreamKind::Numeric);
    assert_eq!(counts.messages, 3);
    assert!(matches!(block_on(read_hdf5_series(&src, "", None)), Err(Hdf5Error::NoSuchEpisode { .. })));

    let counts = block_on(read_hdf5_dataset(&src, "/sensors/imu/counts")).unwrap();
    assert_eq!(counts.width, 20);
    assert_eq!(counts.values, f64s(&exp["counts"]));
    let top = block_on(read_hdf5_dataset(&src, "/top")).unwrap();
    assert_eq!(top.width, 1);
    assert_eq!(top.dimension_names, ["top"]);
    assert_eq!(top.values, f64s(&exp["top"]));
    let table = block_on(read_hdf5_dataset(&src, "/logs/table")).unwrap();
    assert_eq!(table.width, 4);
    assert_eq!(sha_f32(&table.values), exp["table_sha256"].as_str().unwrap());
    assert!(matches!(block_on(read_hdf5_dataset(&src, "/logs")), Err(Hdf5Error::NoSuchDataset { .. })));
}

#[test]
fn bad_signature_is_an_error() {
    let mut bytes = load("generic.hdf5");
    bytes[..8].copy_from_slice(b"NOTHDF5!");
    assert!(block_on(read_hdf5_summary(&MemorySource::new(bytes))).is_err());
    assert!(block_on(open_hdf5(&MemorySource::new(Vec::<u8>::new()))).is_err());
    assert!(block_on(read_hdf5_summary(&MemorySource::new(vec![0u8; 4096]))).is_err());
}

#[test]
fn truncated_files_never_panic() {
    for name in ["episode_0.hdf5", "robomimic.hdf5", "generic.hdf5"] {
        let bytes = load(name);
        for cut in [0, 8, 100, 512, 1024, bytes.len() / 3, bytes.len() / 2, bytes.len() - 1] {
            let src = MemorySource::new(bytes[..cut].to_vec());
            let _ = block_on(read_hdf5_summary(&src));
            let _ = block_on(read_hdf5_series(&src, "", None));
            let _ = block_on(read_hdf5_series(&src, "demo_0", None));
            let _ = block_on(read_hdf5_image(&src, "/observations/images/cam_high", 3));
        }
    }
}

#[test]
fn corrupted_bytes_never_panic() {
    // Deterministic xorshift: flip a few bytes at many places; every call must return (Ok or Err).
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for name in ["episode_0.hdf5", "robomimic.hdf5", "generic.hdf5"] {
        let clean = load(name);
        for _ in 0..40 {
            let mut bytes = clean.clone();
            for _ in 0..4 {
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] ^= (next() as u8) | 1;
            }
            let src = MemorySource::new(bytes);
            if let Ok(s) = block_on(read_hdf5_summary(&src)) {
                assert!(s.datasets.len() < 1000);
                for ep in &s.episodes {
                    let _ = block_on(read_hdf5_series(&src, &ep.name, None));
                }
                for st in &s.streams {
                    if st.kind == StreamKind::Image {
                        let _ = block_on(read_hdf5_image(&src, &st.name, 0));
                    } else {
                        let _ = block_on(read_hdf5_dataset(&src, &st.name));
                    }
                }
            }
        }
    }
}

#[test]
fn opened_file_serves_repeated_reads() {
    let exp = &expected()["episode_0.hdf5"];
    let file = block_on(open_hdf5(&MemorySource::new(load("episode_0.hdf5")))).unwrap();
    assert_eq!(file.summary().unwrap().layout, RecordingFormat::Hdf5Aloha);
    for frame in 0..50 {
        let (w, h, c, px) = file.image("/observations/images/cam_high", frame).unwrap();
        assert_eq!((w, h, c, px.len()), (32, 24, 3, 24 * 32 * 3));
        assert_eq!(u64::from(px[0]), (frame * 7) % 256);
    }
    assert_eq!(file.dataset("/observations/qpos").unwrap().values, f64s(&exp["qpos"]));
    assert_eq!(file.series("", None).unwrap().fields.len(), 3);
}
