//! Cameras converted to LeRobot `video` features (H.264 in mp4, by OpenH264): the checker finds
//! nothing, the mp4 headers say one sample per dataset frame at `k / fps`, the episode starts on a
//! key frame, and the frames decoded
//! back (by OpenH264's decoder, from the samples as the file stores them) are the source pixels
//! within H.264's loss.

use std::path::PathBuf;

use episcope_core::check::{check_dataset, CheckOptions};
use episcope_core::convert::{convert_recording_with_video, suggest_mapping_with, CameraDtype, LayoutOptions};
use episcope_core::mp4::read_mp4_info;
use episcope_core::recording::open_recording;
use episcope_core::writer::h264::OpenH264Encoders;
use episcope_core::writer::MemorySink;
use episcope_core::DatasetTree;
use video_support::{aloha_frame, annex_b_samples, decode_rgb, worst_psnr_of_nearest_db};

mod video_support;

fn fixture_tree(rel: &str) -> DatasetTree {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/recordings")).join(rel);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let name = rel.rsplit('/').next().unwrap();
    DatasetTree::from_memory([(name.to_string(), bytes::Bytes::from(bytes))]).unwrap()
}

fn convert_with_video(tree: &DatasetTree) -> (episcope_core::convert::Mapping, DatasetTree) {
    let recording = pollster::block_on(open_recording(tree)).expect("opens");
    let suggestion = pollster::block_on(suggest_mapping_with(tree, &recording, true)).expect("suggests");
    assert!(!suggestion.mapping.cameras.is_empty(), "{:?}", suggestion.notes);
    assert!(suggestion.mapping.cameras.iter().all(|c| c.dtype == CameraDtype::Video), "{:?}", suggestion.notes);
    let mut sink = MemorySink::default();
    let encoders = OpenH264Encoders::default();
    pollster::block_on(convert_recording_with_video(
        tree,
        &recording,
        &suggestion.mapping,
        LayoutOptions::default(),
        Some(&encoders),
        &mut sink,
        &mut |_| {},
        &|| false,
    ))
    .expect("converts");
    (suggestion.mapping, sink.into_tree().expect("tree"))
}

fn file_bytes(tree: &DatasetTree, path: &str) -> Vec<u8> {
    let source = &tree.get(path).unwrap_or_else(|| panic!("no {path}")).source;
    pollster::block_on(source.read_range(0..source.size())).unwrap().to_vec()
}

fn json(tree: &DatasetTree, path: &str) -> serde_json::Value {
    serde_json::from_slice(&file_bytes(tree, path)).unwrap()
}

#[test]
fn an_aloha_camera_becomes_an_h264_video_whose_frames_are_the_source_pixels() {
    let tree = fixture_tree("hdf5/episode_0.hdf5");
    let (mapping, out) = convert_with_video(&tree);
    let report = pollster::block_on(check_dataset(&out, "converted", &CheckOptions::default(), &mut |_| {}));
    assert!(report.findings.is_empty(), "{:#?}", report.findings);

    let info = json(&out, "meta/info.json");
    let camera = &info["features"]["observation.images.cam_high"];
    assert_eq!(camera["dtype"], "video");
    assert_eq!(camera["shape"], serde_json::json!([24, 32, 3]));
    assert_eq!(camera["info"]["video.codec"], "h264");
    assert_eq!(camera["info"]["video.pix_fmt"], "yuv420p");
    assert_eq!(info["total_frames"], 50);
    let path = "videos/observation.images.cam_high/chunk-000/file-000.mp4";
    let file = file_bytes(&out, path);

    // Our own mp4 reader (the checker's) and an independent box parser (mp4-atom) agree.
    let mp4 = pollster::block_on(read_mp4_info(out.get(path).unwrap().source.as_ref(), path)).unwrap();
    let track = mp4.video.expect("a video track");
    assert_eq!((track.codec.as_str(), track.width, track.height, track.frames), ("avc1", 32, 24, 50));
    assert!((track.fps - f64::from(mapping.fps)).abs() < 1e-9, "{} fps", track.fps);
    assert!((track.duration_secs - 50.0 / f64::from(mapping.fps)).abs() < 1e-9);

    // h5py's pixels: (t·7 + y·3 + x·5 + c·11) mod 256 (tests/recordings/make_hdf5.py).
    let (samples, sync) = annex_b_samples(&file);
    assert_eq!(sync[0], 1, "the episode starts on a key frame");
    let decoded = decode_rgb(&samples, 32, 24);
    // Nearest in time is the same source frame: no other frame of the camera is closer.
    let worst = worst_psnr_of_nearest_db(&decoded, |t| t, 50, |t| aloha_frame(t, 32, 24));
    println!("worst PSNR over 50 frames: {worst:.1} dB");
    // Measured 21.5 dB on this 32×24 pattern, whose colour changes every pixel (4:2:0 chroma halves it).
    assert!(worst > 20.0, "worst frame PSNR {worst:.1} dB");
}

#[test]
fn consecutive_episodes_share_one_video_file_each_from_its_own_key_frame() {
    // The same ALOHA episode twice (one file per episode): two episodes of 50 frames, one camera.
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/recordings/hdf5/episode_0.hdf5"))
        .expect("fixture");
    let bytes = bytes::Bytes::from(bytes);
    let tree = DatasetTree::from_memory([
        ("episode_a.hdf5".to_string(), bytes.clone()),
        ("episode_b.hdf5".to_string(), bytes),
    ])
    .unwrap();
    let (mapping, out) = convert_with_video(&tree);
    let report = pollster::block_on(check_dataset(&out, "converted", &CheckOptions::default(), &mut |_| {}));
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    let dataset = pollster::block_on(episcope_core::lerobot::open_dataset(&out, &mut |_| {})).expect("opens");
    assert_eq!(dataset.episodes.iter().map(|e| e.length).collect::<Vec<_>>(), [50, 50]);
    let path = "videos/observation.images.cam_high/chunk-000/file-000.mp4";
    let fps = f64::from(mapping.fps);
    for (episode, from_secs) in dataset.episodes.iter().zip([0.0, 50.0 / fps]) {
        let video = &episode.videos[0];
        assert_eq!(video.path, path, "episode {}", episode.index);
        assert!((video.from_timestamp_secs - from_secs).abs() < 1e-9, "{video:?}");
        let to_secs = video.to_timestamp_secs.expect("to_timestamp");
        assert!((to_secs - from_secs - 50.0 / fps).abs() < 1e-9, "{video:?}");
    }
    assert!(out.get("videos/observation.images.cam_high/chunk-000/file-001.mp4").is_none());

    let (samples, sync) = annex_b_samples(&file_bytes(&out, path));
    assert_eq!(samples.len(), 100);
    assert!(sync.contains(&1) && sync.contains(&51), "each episode starts on a key frame: {sync:?}");
    // Decoded from the second episode's key frame alone (as a player seeking to it does).
    let second = decode_rgb(&samples[50..], 32, 24);
    assert_eq!(second.len(), 50);
    let worst = worst_psnr_of_nearest_db(&second, |t| t, 50, |t| aloha_frame(t, 32, 24));
    assert!(worst > 20.0, "second episode: worst frame PSNR {worst:.1} dB");
}
