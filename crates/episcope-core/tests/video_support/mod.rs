//! Reading back a converted camera video in tests: an mp4's H.264 samples as Annex B access units,
//! decoded by OpenH264 (an independent decoder), compared with the source frames by PSNR. Shared by
//! the core's conversion tests and the page's (tests/browser_convert.rs includes it by path).
#![allow(dead_code)]

use mp4_atom::{Any, DecodeMaybe};

/// The samples of an mp4's one video track, as Annex B access units, and the 1-based numbers of its
/// sync samples (all, when the file has no `stss`). Every sync sample starts with the track's SPS
/// and PPS, so decoding can start at any of them (as a player seeking to an episode does).
pub fn annex_b_samples(file: &[u8]) -> (Vec<Vec<u8>>, Vec<u32>) {
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
    let sync = match &stbl.stss {
        Some(stss) => stss.entries.clone(),
        None => (1..=sizes.len() as u32).collect(),
    };
    let mut offset = stbl.stco.as_ref().expect("stco").entries[0] as usize;
    let mut samples = Vec::new();
    for (k, &size) in sizes.iter().enumerate() {
        let mut annex_b = Vec::new();
        if sync.contains(&(k as u32 + 1)) {
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
    (samples, sync)
}

pub fn decode_rgb(samples: &[Vec<u8>], width: usize, height: usize) -> Vec<Vec<u8>> {
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

pub fn psnr_db(a: &[u8], b: &[u8]) -> f64 {
    let mse = a.iter().zip(b).map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2)).sum::<f64>() / a.len() as f64;
    10.0 * (255.0f64 * 255.0 / mse.max(1e-9)).log10()
}

/// Frame `t` of the h5py ALOHA fixture's camera: `(t·7 + y·3 + x·5 + c·11) mod 256`
/// (tests/recordings/make_hdf5.py).
pub fn aloha_frame(t: usize, width: usize, height: usize) -> Vec<u8> {
    (0..width * height * 3)
        .map(|i| {
            let (y, x, c) = (i / (width * 3), (i / 3) % width, i % 3);
            ((t * 7 + y * 3 + x * 5 + c * 11) % 256) as u8
        })
        .collect()
}

/// Asserts that each decoded frame `k` is nearer (by PSNR) to its own source frame `source_of(k)`
/// than to that frame's neighbours among the `source_frames`, and returns the worst PSNR (dB).
pub fn worst_psnr_of_nearest_db(
    decoded: &[Vec<u8>],
    source_of: impl Fn(usize) -> usize,
    source_frames: usize,
    source_frame: impl Fn(usize) -> Vec<u8>,
) -> f64 {
    let mut worst = f64::INFINITY;
    for (k, rgb) in decoded.iter().enumerate() {
        let own = source_of(k);
        let own_psnr = psnr_db(rgb, &source_frame(own));
        worst = worst.min(own_psnr);
        for other in [own.wrapping_sub(1), own + 1].into_iter().filter(|&i| i < source_frames) {
            assert!(
                own_psnr > psnr_db(rgb, &source_frame(other)),
                "decoded frame {k} looks like source frame {other}, not {own}"
            );
        }
    }
    worst
}

/// The `rosbag2/jpeg_camera` fixture (make_rosbag2.py): 10 camera frames of 32×24, frame `i` at
/// 5 ms + i × 100 ms, beside JointState every 20 ms (the 50 fps frame grid).
pub const JPEG_CAMERA_FRAMES: usize = 10;

/// The camera frame nearest in time to dataset frame `k` of `jpeg_camera` (ties: the earlier).
pub fn jpeg_camera_frame_at(k: usize) -> usize {
    let t_ms = k as i64 * 20;
    (0..JPEG_CAMERA_FRAMES as i64).min_by_key(|i| ((5 + 100 * i - t_ms).abs(), *i)).unwrap_or(0) as usize
}

/// Pillow's (libjpeg-turbo's) decoding of each of `jpeg_camera`'s JPEG frames (`pil_decoded.rgb`
/// in `bag_dir`), 32×24 RGB each: the independent reference for ours.
pub fn pil_decoded_frames(bag_dir: &std::path::Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(bag_dir.join("pil_decoded.rgb")).expect("pil_decoded.rgb");
    assert_eq!(bytes.len(), JPEG_CAMERA_FRAMES * 32 * 24 * 3);
    bytes.chunks_exact(32 * 24 * 3).map(<[u8]>::to_vec).collect()
}
