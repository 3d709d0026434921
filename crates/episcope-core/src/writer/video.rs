//! Camera frames written as LeRobot `video` features: an encoder (behind [`VideoEncoders`]: OpenH264
//! natively, the browser's WebCodecs in the page) turns RGB frames into H.264 access units, and
//! [`VideoTrackWriter`] muxes them into `videos/<key>/chunk-*/file-*.mp4` files (ISO BMFF through
//! the `mp4-atom` crate: `ftyp`, `moov` first, one `mdat`), consecutive episodes in one file up to
//! the size limit, each episode starting on a key frame, frame `k` of a file at `k / fps` seconds.
//!
//! Memory: the open file's compressed samples (at most `video_files_size_in_mb`, plus one episode).

use std::io::Write as _;

use crate::source::LocalBoxFuture;

use mp4_atom::{
    Avc1, Avcc, Dinf, Dref, Encode, Ftyp, Hdlr, Mdhd, Mdia, Minf, Moov, Mvhd, Stbl, Stco, Stsc, StscEntry, Stsd, Stss,
    Stsz, StszSamples, Stts, SttsEntry, Tkhd, Trak, Url, Visual, Vmhd,
};

use super::v3::VideoLocation;
use super::{next_file, DatasetSink, WriteError, WrittenFile, BYTES_PER_MB};

/// The codec a conversion's videos are written in (`info.json` `video.codec`), and their pixel format.
pub const H264_CODEC: &str = "h264";
pub const H264_PIX_FMT: &str = "yuv420p";
/// Every H.264 encoder's defaults (OpenH264 natively, WebCodecs in the page): the target bit rate
/// in bits a pixel — 0.2 is ~1.8 Mbit/s for 640×480 at 30 fps, camera footage without visible
/// blocks — and a key frame at least this often (frames; every episode also starts on one).
pub const DEFAULT_BITS_PER_PIXEL: f64 = 0.2;
pub const DEFAULT_KEYFRAME_INTERVAL: u32 = 60;
/// The lowest target bit rate given to an encoder (OpenH264 refuses a target below its floor for
/// the size; 200 kbit/s covers small frames).
const MIN_BITRATE_BPS: f64 = 200_000.0;

/// Why an H.264 (yuv420p) track cannot be `width × height`, if it cannot: 4:2:0 needs even sides.
pub fn h264_size_problem(width: u32, height: u32) -> Option<String> {
    (!width.is_multiple_of(2) || !height.is_multiple_of(2)).then(|| {
        format!(
            "H.264 in yuv420p needs an even width and height, the camera is {width}×{height}; write it as images \
             (dtype = \"image\")"
        )
    })
}

/// The target bit rate (bits/s) of `width × height` frames at `fps`, at least [`MIN_BITRATE_BPS`].
pub fn target_bitrate_bps(width: u32, height: u32, fps: u32, bits_per_pixel: f64) -> f64 {
    (f64::from(width) * f64::from(height) * f64::from(fps) * bits_per_pixel).clamp(MIN_BITRATE_BPS, f64::from(u32::MAX))
}
/// A video track's timescale is `fps × TICKS_PER_FRAME` (what ffmpeg writes: 15 360 at 30 fps), so
/// frame `k` is at exactly `k × TICKS_PER_FRAME` ticks.
pub const TICKS_PER_FRAME: u32 = 512;
/// Largest frame a video encoder is given (pixels).
pub const MAX_VIDEO_PIXELS: u64 = 8192 * 8192;

/// One encoded frame: an H.264 access unit in Annex B form (start codes before each NAL unit);
/// whether it is a key frame the muxer reads from its NAL units (an IDR slice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedFrame {
    pub annex_b: Vec<u8>,
}

/// Encodes one camera's frames, in order. Asynchronous because the browser's encoder is: frames
/// are queued by [`encode`](Self::encode) (which may wait while the encoder's queue is full) and
/// their access units are collected by [`flush`](Self::flush), once per episode.
pub trait VideoEncoder {
    /// Queues one frame of `width × height` RGB pixels (3 bytes each, row-major); a key frame when
    /// `keyframe` (every episode's first frame).
    fn encode<'a>(&'a mut self, rgb: &'a [u8], keyframe: bool) -> LocalBoxFuture<'a, Result<(), String>>;
    /// Waits until every queued frame is encoded and returns their access units in order: exactly
    /// one per frame (no skipped frames, no reordering).
    fn flush(&mut self) -> LocalBoxFuture<'_, Result<Vec<EncodedFrame>, String>>;
}

/// Makes a [`VideoEncoder`] per camera.
pub trait VideoEncoders {
    /// The codec and pixel format written (`info.json` `video.codec`, `video.pix_fmt`).
    fn codec(&self) -> (&'static str, &'static str);
    /// An encoder of `width × height` frames at `fps`, or why there cannot be one.
    fn open(&self, width: u32, height: u32, fps: u32) -> Result<Box<dyn VideoEncoder>, String>;
}

/// The NAL units of an Annex B byte stream (start codes `00 00 01` or `00 00 00 01` removed).
pub fn annex_b_nal_units(stream: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= stream.len() {
        if stream[i] == 0 && stream[i + 1] == 0 && stream[i + 2] == 1 {
            starts.push((i, i + 3));
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut units = Vec::with_capacity(starts.len());
    for (k, &(_, payload)) in starts.iter().enumerate() {
        let mut end = starts.get(k + 1).map_or(stream.len(), |&(code, _)| code);
        // A four-byte start code's leading zero (and trailing_zero_8bits) belong to no unit.
        while end > payload && stream[end - 1] == 0 {
            end -= 1;
        }
        if end > payload {
            units.push(&stream[payload..end]);
        }
    }
    units
}

const NAL_IDR: u8 = 5;
const NAL_SPS: u8 = 7;
const NAL_PPS: u8 = 8;
const NAL_ACCESS_UNIT_DELIMITER: u8 = 9;

/// One camera's video files, written as episodes arrive.
pub struct VideoTrackWriter {
    key: String,
    width: u32,
    height: u32,
    fps: u32,
    limit_bytes: u64,
    chunks_size: u64,
    encoder: Box<dyn VideoEncoder>,
    /// The open file: `(chunk, file)`, its samples (AVC length-prefixed) and which are key frames.
    at: (u64, u64),
    samples: Vec<Vec<u8>>,
    sample_bytes: u64,
    keyframes: Vec<u32>,
    sps: Option<Vec<u8>>,
    pps: Option<Vec<u8>>,
    done: Vec<WrittenFile>,
}

impl VideoTrackWriter {
    /// A track of feature `key` (`observation.images.front`) of `width × height` frames.
    pub fn new(
        encoders: &dyn VideoEncoders,
        key: &str,
        (width, height): (u32, u32),
        fps: u32,
        video_files_size_in_mb: u64,
        chunks_size: u64,
    ) -> Result<Self, WriteError> {
        let invalid = |reason: String| WriteError::Invalid { reason };
        if width == 0 || height == 0 || u64::from(width) * u64::from(height) > MAX_VIDEO_PIXELS {
            return Err(invalid(format!("video {key}: a {width}×{height} frame cannot be encoded")));
        }
        if fps == 0 || u64::from(fps) * u64::from(TICKS_PER_FRAME) > u64::from(u32::MAX) {
            return Err(invalid(format!("video {key}: {fps} fps cannot be written")));
        }
        let encoder = encoders.open(width, height, fps).map_err(|why| invalid(format!("video {key}: {why}")))?;
        Ok(Self {
            key: key.to_string(),
            width,
            height,
            fps,
            // The file must stay addressable by 32-bit chunk offsets.
            limit_bytes: (video_files_size_in_mb.max(1) * BYTES_PER_MB).min(u64::from(u32::MAX) / 2),
            chunks_size: chunks_size.max(1),
            encoder,
            at: (0, 0),
            samples: Vec::new(),
            sample_bytes: 0,
            keyframes: Vec::new(),
            sps: None,
            pps: None,
            done: Vec::new(),
        })
    }

    /// Width and height of the track's frames.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    fn path_of(&self, (chunk, file): (u64, u64)) -> String {
        format!("videos/{}/chunk-{chunk:03}/file-{file:03}.mp4", self.key)
    }

    /// Encodes one episode's frames (`frame(k)` is frame `k`'s RGB pixels) and returns where
    /// they are. A file full before the episode is closed first, so an episode never spans files.
    pub async fn append_episode(
        &mut self,
        sink: &mut dyn DatasetSink,
        frames: usize,
        frame: &mut dyn FnMut(usize) -> Result<std::rc::Rc<Vec<u8>>, String>,
    ) -> Result<VideoLocation, WriteError> {
        let path = self.path_of(self.at);
        let err = |reason: String| WriteError::Encode { reason, path: path.clone() };
        let expected = self.width as usize * self.height as usize * 3;
        for k in 0..frames {
            let rgb = frame(k).map_err(&err)?;
            if rgb.len() != expected {
                return Err(err(format!(
                    "frame {k} has {} bytes, a {}×{} RGB frame {expected}",
                    rgb.len(),
                    self.width,
                    self.height
                )));
            }
            self.encoder.encode(&rgb, k == 0).await.map_err(&err)?;
        }
        let encoded = self.encoder.flush().await.map_err(&err)?;
        if encoded.len() != frames {
            return Err(err(format!("the encoder returned {} pictures for {frames} frames", encoded.len())));
        }
        let mut episode = Vec::with_capacity(frames);
        let mut episode_bytes = 0u64;
        let mut episode_keyframes = Vec::new();
        for (k, encoded) in encoded.iter().enumerate() {
            let (sample, keyframe) = self.sample_of(encoded).map_err(&err)?;
            if k == 0 && !keyframe {
                return Err(err("the encoder did not start the episode on a key frame".into()));
            }
            if keyframe {
                episode_keyframes.push(k);
            }
            episode_bytes += sample.len() as u64;
            episode.push(sample);
        }
        if !self.samples.is_empty() && self.sample_bytes + episode_bytes > self.limit_bytes {
            self.close_file(sink)?;
        }
        let first = self.samples.len();
        let to_frames = first + episode.len();
        if to_frames > u32::MAX as usize / TICKS_PER_FRAME as usize {
            return Err(WriteError::Invalid { reason: format!("video {}: too many frames in one file", self.key) });
        }
        self.keyframes.extend(episode_keyframes.into_iter().map(|k| (first + k + 1) as u32));
        self.sample_bytes += episode_bytes;
        self.samples.extend(episode);
        let fps = f64::from(self.fps);
        Ok(VideoLocation {
            chunk_index: self.at.0,
            file_index: self.at.1,
            from_timestamp_secs: first as f64 / fps,
            to_timestamp_secs: to_frames as f64 / fps,
        })
    }

    /// The AVC sample (4-byte length prefixes) of one access unit; its SPS and PPS go to the
    /// sample description (they must not change within a track).
    fn sample_of(&mut self, frame: &EncodedFrame) -> Result<(Vec<u8>, bool), String> {
        let mut sample = Vec::with_capacity(frame.annex_b.len() + 16);
        let mut idr = false;
        for unit in annex_b_nal_units(&frame.annex_b) {
            let kind = unit[0] & 0x1F;
            let slot = match kind {
                NAL_SPS => &mut self.sps,
                NAL_PPS => &mut self.pps,
                NAL_ACCESS_UNIT_DELIMITER => continue,
                _ => {
                    idr |= kind == NAL_IDR;
                    sample.extend_from_slice(&(unit.len() as u32).to_be_bytes());
                    sample.extend_from_slice(unit);
                    continue;
                }
            };
            match slot {
                Some(known) if known.as_slice() != unit => {
                    return Err("the encoder changed its parameter sets within a track".into())
                }
                Some(_) => {}
                None => *slot = Some(unit.to_vec()),
            }
        }
        if sample.is_empty() {
            return Err("the encoder returned no picture for a frame".into());
        }
        Ok((sample, idr))
    }

    fn close_file(&mut self, sink: &mut dyn DatasetSink) -> Result<(), WriteError> {
        if self.samples.is_empty() {
            return Ok(());
        }
        let path = self.path_of(self.at);
        let (Some(sps), Some(pps)) = (self.sps.clone(), self.pps.clone()) else {
            return Err(WriteError::Encode { reason: "the encoder gave no SPS/PPS".into(), path });
        };
        let header =
            mp4_header(self, &sps, &pps).map_err(|reason| WriteError::Encode { reason, path: path.clone() })?;
        let io = |source| WriteError::Io { source, path: path.clone() };
        let mut out = sink.create(&path).map_err(io)?;
        out.write_all(&header).map_err(io)?;
        let mdat_size = 8 + self.sample_bytes;
        out.write_all(&(mdat_size as u32).to_be_bytes()).map_err(io)?;
        out.write_all(b"mdat").map_err(io)?;
        for sample in &self.samples {
            out.write_all(sample).map_err(io)?;
        }
        out.flush().map_err(io)?;
        self.done.push(WrittenFile { path, bytes: header.len() as u64 + mdat_size, row_groups: 0, written: true });
        self.samples.clear();
        self.keyframes.clear();
        self.sample_bytes = 0;
        self.at = next_file(self.at.0, self.at.1, self.chunks_size);
        Ok(())
    }

    /// Closes the open file; returns every file written.
    pub fn finish(mut self, sink: &mut dyn DatasetSink) -> Result<Vec<WrittenFile>, WriteError> {
        self.close_file(sink)?;
        Ok(self.done)
    }
}

/// `ftyp` and `moov` of a file whose one `mdat` follows them: the `moov` is encoded twice, the
/// second time with the chunk offset that its own size gives.
fn mp4_header(track: &VideoTrackWriter, sps: &[u8], pps: &[u8]) -> Result<Vec<u8>, String> {
    let ftyp = Ftyp {
        major_brand: b"isom".into(),
        minor_version: 512,
        compatible_brands: vec![b"isom".into(), b"iso2".into(), b"avc1".into(), b"mp41".into()],
    };
    let mut head = Vec::new();
    ftyp.encode(&mut head).map_err(|e| format!("ftyp: {e}"))?;
    let mut moov = moov(track, sps, pps, 0)?;
    let mut body = Vec::new();
    moov.encode(&mut body).map_err(|e| format!("moov: {e}"))?;
    let offset = head.len() + body.len() + 8;
    moov = self::moov(track, sps, pps, u32::try_from(offset).map_err(|_| "moov too large")?)?;
    body.clear();
    moov.encode(&mut body).map_err(|e| format!("moov: {e}"))?;
    head.extend_from_slice(&body);
    Ok(head)
}

fn moov(track: &VideoTrackWriter, sps: &[u8], pps: &[u8], mdat_payload_offset: u32) -> Result<Moov, String> {
    if sps.len() < 4 {
        return Err("the SPS is too short".into());
    }
    let frames = u32::try_from(track.samples.len()).map_err(|_| "too many frames")?;
    let timescale = track.fps * TICKS_PER_FRAME;
    let duration = u64::from(frames) * u64::from(TICKS_PER_FRAME);
    // The movie's own timescale is milliseconds, as most muxers write it.
    let movie_duration = duration * 1000 / u64::from(timescale);
    let (width, height) =
        (u16::try_from(track.width).map_err(|_| "too wide")?, u16::try_from(track.height).map_err(|_| "too tall")?);
    let sizes: Vec<u32> = track.samples.iter().map(|s| s.len() as u32).collect();
    let avc1 = Avc1 {
        visual: Visual { data_reference_index: 1, width, height, compressor: "".into(), ..Default::default() },
        avcc: Avcc {
            configuration_version: 1,
            avc_profile_indication: sps[1],
            profile_compatibility: sps[2],
            avc_level_indication: sps[3],
            length_size: 4,
            sequence_parameter_sets: vec![sps.to_vec()],
            picture_parameter_sets: vec![pps.to_vec()],
            ext: None,
        },
        btrt: None,
        colr: None,
        pasp: None,
        taic: None,
        fiel: None,
        spatial: None,
    };
    let every_frame_key = track.keyframes.len() == track.samples.len();
    Ok(Moov {
        mvhd: Mvhd {
            creation_time: 0,
            modification_time: 0,
            timescale: 1000,
            duration: movie_duration,
            rate: 1.into(),
            volume: 1.into(),
            next_track_id: 2,
            ..Default::default()
        },
        trak: vec![Trak {
            tkhd: Tkhd {
                track_id: 1,
                duration: movie_duration,
                enabled: true,
                in_movie: true,
                width: width.into(),
                height: height.into(),
                ..Default::default()
            },
            mdia: Mdia {
                mdhd: Mdhd { timescale, duration, language: "und".into(), ..Default::default() },
                hdlr: Hdlr { handler: b"vide".into(), name: "VideoHandler".into() },
                minf: Minf {
                    vmhd: Some(Vmhd::default()),
                    dinf: Dinf { dref: Dref { entries: vec![Url::default().into()] } },
                    stbl: Stbl {
                        stsd: Stsd { codecs: vec![avc1.into()] },
                        stts: Stts { entries: vec![SttsEntry { sample_count: frames, sample_delta: TICKS_PER_FRAME }] },
                        stss: (!every_frame_key).then(|| Stss { entries: track.keyframes.clone() }),
                        stsc: Stsc {
                            entries: vec![StscEntry {
                                first_chunk: 1,
                                samples_per_chunk: frames,
                                sample_description_index: 1,
                            }],
                        },
                        stsz: Stsz { samples: StszSamples::Different { sizes } },
                        stco: Some(Stco { entries: vec![mdat_payload_offset] }),
                        ..Default::default()
                    },
                    ..Default::default()
                },
            },
            ..Default::default()
        }],
        ..Default::default()
    })
}

/// The `info.json` `features` entry of a video feature.
pub fn video_feature_info(width: u32, height: u32, fps: u32, (codec, pix_fmt): (&str, &str)) -> serde_json::Value {
    serde_json::json!({
        "dtype": "video",
        "shape": [height, width, 3],
        "names": ["height", "width", "channels"],
        "info": {
            "video.height": height,
            "video.width": width,
            "video.codec": codec,
            "video.pix_fmt": pix_fmt,
            "video.is_depth_map": false,
            "video.fps": fps,
            "video.channels": 3,
            "has_audio": false,
        },
    })
}

/// An RGB frame (3 bytes a pixel, row-major) as I420 (planar Y, then U and V at half resolution
/// each way), BT.601 limited range — what the page hands the browser's encoder. Chroma is the mean
/// of each 2×2 block (the last row/column alone when a side is odd).
pub fn rgb_to_i420(rgb: &[u8], width: usize, height: usize) -> Result<Vec<u8>, String> {
    let pixels = width.checked_mul(height).filter(|&p| p as u64 <= MAX_VIDEO_PIXELS).ok_or("frame too large")?;
    if rgb.len() != pixels * 3 {
        return Err(format!("a frame of {} bytes is not {width}×{height} RGB", rgb.len()));
    }
    let (chroma_width, chroma_height) = (width.div_ceil(2), height.div_ceil(2));
    let mut out = vec![0u8; pixels + 2 * chroma_width * chroma_height];
    let (luma, chroma) = out.split_at_mut(pixels);
    let (u_plane, v_plane) = chroma.split_at_mut(chroma_width * chroma_height);
    for (y_out, rgb_pixel) in luma.iter_mut().zip(rgb.chunks_exact(3)) {
        let [r, g, b] = [rgb_pixel[0], rgb_pixel[1], rgb_pixel[2]].map(i32::from);
        *y_out = (((66 * r + 129 * g + 25 * b + 128) >> 8) + 16) as u8;
    }
    for cy in 0..chroma_height {
        for cx in 0..chroma_width {
            let (mut r, mut g, mut b, mut n) = (0i32, 0i32, 0i32, 0i32);
            for y in (2 * cy)..(2 * cy + 2).min(height) {
                for x in (2 * cx)..(2 * cx + 2).min(width) {
                    let at = (y * width + x) * 3;
                    r += i32::from(rgb[at]);
                    g += i32::from(rgb[at + 1]);
                    b += i32::from(rgb[at + 2]);
                    n += 1;
                }
            }
            let (r, g, b) = ((r + n / 2) / n, (g + n / 2) / n, (b + n / 2) / n);
            u_plane[cy * chroma_width + cx] = (((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128).clamp(0, 255) as u8;
            v_plane[cy * chroma_width + cx] = (((112 * r - 94 * g - 18 * b + 128) >> 8) + 128).clamp(0, 255) as u8;
        }
    }
    Ok(out)
}

/// The WebCodecs codec string of constrained-baseline H.264 (`avc1.42E0LL`) at the lowest level
/// whose limits hold `width × height` at `fps` (H.264 Table A-1: macroblocks a frame and a second),
/// or `None` beyond level 5.2.
pub fn avc_codec_string(width: u32, height: u32, fps: u32) -> Option<String> {
    // (level_idc, max macroblocks a second, max macroblocks a frame)
    const LEVELS: [(u8, u64, u64); 8] = [
        (0x1E, 40_500, 1_620),
        (0x1F, 108_000, 3_600),
        (0x20, 216_000, 5_120),
        (0x28, 245_760, 8_192),
        (0x2A, 522_240, 8_704),
        (0x32, 589_824, 22_080),
        (0x33, 983_040, 36_864),
        (0x34, 2_073_600, 36_864),
    ];
    let frame_mbs = u64::from(width.div_ceil(16)) * u64::from(height.div_ceil(16));
    let second_mbs = frame_mbs * u64::from(fps.max(1));
    LEVELS
        .iter()
        .find(|&&(_, per_second, per_frame)| frame_mbs <= per_frame && second_mbs <= per_second)
        .map(|&(level, ..)| format!("avc1.42E0{level:02X}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annex_b_splits_on_three_and_four_byte_start_codes() {
        let stream = [0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x65, 4, 5, 0];
        let units = annex_b_nal_units(&stream);
        assert_eq!(units, [&[0x67, 1, 2][..], &[0x68, 3][..], &[0x65, 4, 5][..]]);
        assert!(annex_b_nal_units(&[1, 2, 3]).is_empty());
    }

    #[test]
    fn rgb_becomes_bt601_limited_range_i420() {
        // 4×2: a black, white, red, grey column pair each; chroma of the left and right 2×2 blocks.
        let px = |c: [u8; 3]| c;
        let row = [px([0, 0, 0]), px([255, 255, 255]), px([255, 0, 0]), px([128, 128, 128])].concat();
        let rgb = [row.clone(), row].concat();
        let i420 = rgb_to_i420(&rgb, 4, 2).unwrap();
        assert_eq!(i420.len(), 8 + 2 + 2);
        assert_eq!(&i420[..4], &[16, 235, 82, 126], "Y: black, white, red, grey");
        // Left block: mean of black and white is grey 128 → no colour; right: mean (192, 64, 64).
        assert_eq!(i420[8], 128);
        assert_eq!(i420[10], 128);
        assert!(i420[9] < 128 && i420[11] > 128, "reddish block: U below, V above neutral: {i420:?}");
        // Odd sides take the partial blocks.
        assert_eq!(rgb_to_i420(&[255; 9], 3, 1).unwrap(), vec![235, 235, 235, 128, 128, 128, 128]);
        assert!(rgb_to_i420(&[0; 5], 2, 1).is_err());
    }

    #[test]
    fn the_avc_level_is_the_lowest_that_holds_the_size_and_rate() {
        assert_eq!(avc_codec_string(32, 24, 50).as_deref(), Some("avc1.42E01E"));
        assert_eq!(avc_codec_string(640, 480, 30).as_deref(), Some("avc1.42E01E"));
        assert_eq!(avc_codec_string(1280, 720, 30).as_deref(), Some("avc1.42E01F"));
        assert_eq!(avc_codec_string(1920, 1080, 30).as_deref(), Some("avc1.42E028"));
        assert_eq!(avc_codec_string(3840, 2160, 30).as_deref(), Some("avc1.42E033"));
        assert_eq!(avc_codec_string(7680, 4320, 30), None);
    }
}
