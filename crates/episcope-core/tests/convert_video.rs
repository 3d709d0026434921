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
use mp4_atom::{Any, DecodeMaybe};

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

/// The samples of an mp4's one video track, as Annex B access units (SPS and PPS first), and the
/// 1-based numbers of its sync samples (all, when the file has no `stss`).
fn annex_b_samples(file: &[u8]) -> (Vec<Vec<u8>>, Vec<u32>) {
    let mut cursor = std::io::Cursor::new(file);
    let mut moov = None;
    while let Some(atom) = Any::decode_maybe(&mut cursor).expect("boxes") {
        if let Any::Moov(m) = atom {
            moov = Some(m);
        }
    }
    let moov = moov.expect("a moov");
    let stbl = &moov.trak[0].mdia.minf.stbl;
    let mp4_atom::Codec::Avc1(avc1) = &stbl.stsd.codecs[0] else { panic!("not avc1: {:?}", stbl.stsd.codecs) };
    let sizes = match &stbl.stsz.samples {
        mp4_atom::StszSamples::Different { sizes } => sizes.clone(),
        mp4_atom::StszSamples::Identical { count, size } => vec![*size; *count as usize],
    };
    let mut offset = stbl.stco.as_ref().expect("stco").entries[0] as usize;
    let mut samples = Vec::new();
    for (k, &size) in sizes.iter().enumerate() {
        let mut annex_b = Vec::new();
        if k == 0 {
            for unit in avc1.avcc.sequence_parameter_sets.iter().chain(&avc1.avcc.picture_parameter_sets) {
                annex_b.extend_from_slice(&[0, 0, 0, 1]);
                annex_b.extend_from_slice(unit);
            }
        }
        let mut sample = &file[offset..offset + size as usize];
        while !sample.is_empty() {
            let n = u32::from_be_bytes(sample[..4].try_into().unwrap()) as usize;
            annex_b.extend_from_slice(&[0, 0, 0, 1]);
            annex_b.extend_from_slice(&sample[4..4 + n]);
            sample = &sample[4 + n..];
        }
        samples.push(annex_b);
        offset += size as usize;
    }
    let sync = match &stbl.stss {
        Some(stss) => stss.entries.clone(),
        None => (1..=sizes.len() as u32).collect(),
    };
    (samples, sync)
}

fn decode_rgb(samples: &[Vec<u8>], width: usize, height: usize) -> Vec<Vec<u8>> {
    let mut decoder = openh264::decoder::Decoder::new().expect("decoder");
    let mut frames = Vec::new();
    for sample in samples {
        let picture = decoder.decode(sample).expect("decodes").expect("one picture per sample");
        let mut rgb = vec![0; width * height * 3];
        picture.write_rgb8(&mut rgb);
        frames.push(rgb);
    }
    frames
}

fn psnr_db(a: &[u8], b: &[u8]) -> f64 {
    let mse = a.iter().zip(b).map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2)).sum::<f64>() / a.len() as f64;
    10.0 * (255.0f64 * 255.0 / mse.max(1e-9)).log10()
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
    let mut worst = f64::INFINITY;
    for (t, rgb) in decoded.iter().enumerate() {
        let source: Vec<u8> = (0..24 * 32 * 3)
            .map(|i| {
                let (y, x, c) = (i / 96, (i / 3) % 32, i % 3);
                ((t * 7 + y * 3 + x * 5 + c * 11) % 256) as u8
            })
            .collect();
        worst = worst.min(psnr_db(rgb, &source));
        // Nearest in time is the same source frame: no other frame of the camera is closer.
        let other = |u: usize| -> Vec<u8> {
            (0..24 * 32 * 3)
                .map(|i| {
                    let (y, x, c) = (i / 96, (i / 3) % 32, i % 3);
                    ((u * 7 + y * 3 + x * 5 + c * 11) % 256) as u8
                })
                .collect()
        };
        for u in [t.wrapping_sub(1), t + 1].into_iter().filter(|&u| u < 50) {
            assert!(psnr_db(rgb, &source) > psnr_db(rgb, &other(u)), "frame {t} looks like frame {u}");
        }
    }
    println!("worst PSNR over 50 frames: {worst:.1} dB");
    // Measured 21.5 dB on this 32×24 pattern, whose colour changes every pixel (4:2:0 chroma halves it).
    assert!(worst > 20.0, "worst frame PSNR {worst:.1} dB");
}
