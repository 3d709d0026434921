//! Camera streams written as LeRobot `image` features: each frame of the dataset's grid takes the
//! camera frame nearest in time (within a tolerance, else flagged), stored as PNG bytes in the data
//! parquet (`struct<bytes: binary, path: string>`, LeRobot's `datasets.Image` layout), with
//! per-channel stats in [0, 1] over the frames LeRobot itself would sample (`sample_indices`,
//! `auto_downsample_height_width` of its `compute_stats.py`). PNG is encoded and decoded by the
//! `png` crate, JPEG decoded by `zune-jpeg`; depth images are not converted yet (refused with that
//! reason).

use std::io::Cursor;

use crate::lerobot::FeatureStats;
use crate::recording::image::{Frame, ImageStream};

/// A camera's frames of one dataset episode, ready to write.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraEpisode {
    pub width: u32,
    pub height: u32,
    /// One PNG per dataset frame (consecutive frames showing the same camera frame share bytes).
    pub png_frames: Vec<std::sync::Arc<Vec<u8>>>,
    /// min, max, mean, std per channel (R, G, B) in [0, 1]; `count`: the frames sampled.
    pub stats: FeatureStats,
}

/// For each grid time, the index of the nearest camera frame (ties: the earlier) and, for frames
/// further than `tolerance_ns` from it, `(frame, distance_ns)`. `times_ns` ascending, non-empty.
pub fn nearest_frames(times_ns: &[u64], grid: &[u64], tolerance_ns: u64) -> (Vec<usize>, Vec<(usize, u64)>) {
    let mut indices = Vec::with_capacity(grid.len());
    let mut flagged = Vec::new();
    if times_ns.is_empty() {
        return (indices, (0..grid.len()).map(|f| (f, u64::MAX)).collect());
    }
    for (frame, &t) in grid.iter().enumerate() {
        let after = times_ns.partition_point(|&x| x < t);
        let candidates = [after.checked_sub(1), (after < times_ns.len()).then_some(after)];
        let (index, distance) = candidates
            .into_iter()
            .flatten()
            .map(|i| (i, times_ns[i].abs_diff(t)))
            .min_by_key(|&(i, d)| (d, i))
            .unwrap_or((0, u64::MAX));
        if distance > tolerance_ns {
            flagged.push((frame, distance));
        }
        indices.push(index);
    }
    (indices, flagged)
}

/// LeRobot's `estimate_num_samples` and `sample_indices`: how many frames of an episode its image
/// stats are computed over, spread evenly (`numpy.linspace`, rounded half to even).
pub fn lerobot_sample_indices(frames: usize) -> Vec<usize> {
    if frames == 0 {
        return Vec::new();
    }
    let min_samples = frames.min(100);
    let samples = min_samples.max(((frames as f64).powf(0.75) as usize).min(10_000));
    if samples == 1 {
        return vec![0];
    }
    // numpy.linspace: `k · step` with `step = (stop − start) / (num − 1)`, the last exactly `stop`.
    let last = (frames - 1) as f64;
    let step = last / (samples - 1) as f64;
    (0..samples)
        .map(|k| {
            let x = if k == samples - 1 { last } else { k as f64 * step };
            (x.round_ties_even() as usize).min(frames - 1)
        })
        .collect()
}

/// RGB pixels of one camera frame (row-major, 3 bytes each), and its size.
struct Rgb {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
    /// The frame's own bytes when they already are an 8-bit RGB PNG (kept as they are).
    png: Option<Vec<u8>>,
}

fn to_rgb(frame: Frame) -> Result<Rgb, String> {
    match frame {
        Frame::Rgba { width, height, pixels } => {
            let rgb = pixels.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
            Ok(Rgb { width, height, pixels: rgb, png: None })
        }
        Frame::Encoded { mime: "image/png", bytes } => {
            let mut decoder = png::Decoder::new(Cursor::new(bytes.as_slice()));
            decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
            let mut reader = decoder.read_info().map_err(|e| format!("PNG frame: {e}"))?;
            let (width, height) = (reader.info().width, reader.info().height);
            // 16-bit grey is a depth image (ROS `compressedDepth`): stripping it to 8 bits would
            // write a grey picture, not the measurement.
            let grey = matches!(reader.info().color_type, png::ColorType::Grayscale | png::ColorType::GrayscaleAlpha);
            if grey && reader.info().bit_depth == png::BitDepth::Sixteen {
                return Err("16-bit grey (depth) PNG frames are not converted yet: remove this [[camera]] entry".into());
            }
            if u64::from(width) * u64::from(height) > crate::recording::image::MAX_IMAGE_PIXELS {
                return Err(format!("a {width}×{height} PNG frame is too large"));
            }
            let mut buffer = vec![0; reader.output_buffer_size().ok_or("PNG frame: too large")?];
            let info = reader.next_frame(&mut buffer).map_err(|e| format!("PNG frame: {e}"))?;
            let data = &buffer[..info.buffer_size()];
            let already_rgb8 = info.color_type == png::ColorType::Rgb && info.bit_depth == png::BitDepth::Eight;
            let pixels: Vec<u8> = match info.color_type {
                png::ColorType::Rgb => data.to_vec(),
                png::ColorType::Rgba => data.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect(),
                png::ColorType::Grayscale => data.iter().flat_map(|&g| [g, g, g]).collect(),
                png::ColorType::GrayscaleAlpha => data.chunks_exact(2).flat_map(|p| [p[0], p[0], p[0]]).collect(),
                png::ColorType::Indexed => return Err("PNG frame: palette left unexpanded".into()),
            };
            Ok(Rgb { width, height, pixels, png: already_rgb8.then_some(bytes) })
        }
        Frame::Encoded { mime: "image/jpeg", bytes } => decode_jpeg(&bytes),
        Frame::Encoded { mime, .. } => Err(format!(
            "{mime} camera frames are not converted yet (JPEG, PNG and raw images are): remove this [[camera]] entry"
        )),
    }
}

/// A JPEG frame (baseline or progressive, any subsampling; greyscale and CMYK become RGB) by
/// `zune-jpeg`. The size is read from the header and bounded before any pixel buffer is allocated.
fn decode_jpeg(bytes: &[u8]) -> Result<Rgb, String> {
    use zune_jpeg::zune_core::colorspace::ColorSpace;
    use zune_jpeg::zune_core::options::DecoderOptions;
    let options = DecoderOptions::default().jpeg_set_out_colorspace(ColorSpace::RGB);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(bytes, options);
    decoder.decode_headers().map_err(|e| format!("JPEG frame: {e}"))?;
    let (width, height) = decoder.dimensions().ok_or("JPEG frame: no size in its header")?;
    if width as u64 * height as u64 > crate::recording::image::MAX_IMAGE_PIXELS {
        return Err(format!("a {width}×{height} JPEG frame is too large"));
    }
    let pixels = decoder.decode().map_err(|e| format!("JPEG frame: {e}"))?;
    if pixels.len() != width * height * 3 {
        return Err(format!("JPEG frame: {} bytes decoded for {width}×{height} RGB", pixels.len()));
    }
    Ok(Rgb { width: width as u32, height: height as u32, pixels, png: None })
}

fn encode_png(rgb: &Rgb) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(rgb.pixels.len() / 2);
    let mut encoder = png::Encoder::new(&mut out, rgb.width, rgb.height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().map_err(|e| format!("PNG encoding: {e}"))?;
    writer.write_image_data(&rgb.pixels).map_err(|e| format!("PNG encoding: {e}"))?;
    writer.finish().map_err(|e| format!("PNG encoding: {e}"))?;
    Ok(out)
}

/// Per-channel running sums of one episode's sampled pixels (LeRobot's downsampling applied).
#[derive(Default)]
struct ChannelStats {
    count: u64,
    min: [u8; 3],
    max: [u8; 3],
    sum: [f64; 3],
    sum_squares: [f64; 3],
}

impl ChannelStats {
    fn add(&mut self, rgb: &Rgb) {
        self.add_pixels(rgb.width, rgb.height, &rgb.pixels);
    }

    fn add_pixels(&mut self, width: u32, height: u32, pixels: &[u8]) {
        let (w, h) = (width as usize, height as usize);
        // `auto_downsample_height_width`: a frame whose larger side is ≥ 300 px keeps every
        // `larger / 150`-th row and column.
        let step = if w.max(h) < 300 { 1 } else { (w.max(h) / 150).max(1) };
        if self.count == 0 {
            self.min = [u8::MAX; 3];
        }
        for y in (0..h).step_by(step) {
            for x in (0..w).step_by(step) {
                let p = &pixels[(y * w + x) * 3..(y * w + x) * 3 + 3];
                for (c, &value) in p.iter().enumerate() {
                    self.min[c] = self.min[c].min(value);
                    self.max[c] = self.max[c].max(value);
                    let v = f64::from(value) / 255.0;
                    self.sum[c] += v;
                    self.sum_squares[c] += v * v;
                }
                self.count += 1;
            }
        }
    }

    fn finish(&self, frames_sampled: usize) -> FeatureStats {
        let n = self.count.max(1) as f64;
        let mean: Vec<f64> = self.sum.iter().map(|s| s / n).collect();
        let std =
            self.sum_squares.iter().zip(&mean).map(|(sq, m)| (sq / n - m * m).max(0.0).sqrt()).collect::<Vec<f64>>();
        FeatureStats {
            min: self.min.iter().map(|&v| f64::from(v) / 255.0).collect(),
            max: self.max.iter().map(|&v| f64::from(v) / 255.0).collect(),
            mean,
            std,
            count: Some(frames_sampled as u64),
            quantiles: Default::default(),
        }
    }
}

/// Raw image encodings written as RGB images (depth and 16-bit ones are not: a PNG of their
/// display colours would not be the measurement).
pub const COLOUR_ENCODINGS: [&str; 5] = ["rgb8", "bgr8", "rgba8", "bgra8", "mono8"];

/// Why `stream`'s raw frames are not colour images, if they are raw and are not (depth and 16-bit
/// images: a PNG of their display colours would not be the measurement).
fn unsupported_encoding(stream: &ImageStream, index: usize) -> Option<String> {
    let encoding = stream.raw_encoding(index)?;
    (!COLOUR_ENCODINGS.contains(&encoding.as_str())).then(|| {
        format!("{encoding} images are not converted yet (colour images are: {})", COLOUR_ENCODINGS.join(", "))
    })
}

/// Why frame `index` of `stream` cannot become an RGB image, if it cannot.
pub fn unsupported_frame(stream: &ImageStream, index: usize) -> Option<String> {
    if let Some(why) = unsupported_encoding(stream, index) {
        return Some(why);
    }
    if stream.raw_encoding(index).is_some() {
        return None;
    }
    match stream.frame(index) {
        Ok(frame) => to_rgb(frame).err(),
        Err(e) => Some(e.to_string()),
    }
}

/// The camera frames `indices` (one per dataset frame) of `stream` as PNG, with their stats. Each
/// distinct source frame is decoded and encoded once.
pub fn camera_episode(stream: &ImageStream, indices: &[usize]) -> Result<CameraEpisode, String> {
    if let Some(why) = indices.first().and_then(|&i| unsupported_encoding(stream, i)) {
        return Err(why);
    }
    let mut png_frames: Vec<std::sync::Arc<Vec<u8>>> = Vec::with_capacity(indices.len());
    let sampled: std::collections::BTreeSet<usize> = lerobot_sample_indices(indices.len()).into_iter().collect();
    let mut stats = ChannelStats::default();
    let mut size: Option<(u32, u32)> = None;
    let mut last: Option<(usize, std::sync::Arc<Vec<u8>>, std::rc::Rc<Rgb>)> = None;
    for (frame, &index) in indices.iter().enumerate() {
        let (bytes, rgb) = match &last {
            Some((previous, bytes, rgb)) if *previous == index => (bytes.clone(), rgb.clone()),
            _ => {
                let rgb = to_rgb(stream.frame(index).map_err(|e| e.to_string())?)?;
                match size {
                    None => size = Some((rgb.width, rgb.height)),
                    Some((w, h)) if (w, h) != (rgb.width, rgb.height) => {
                        return Err(format!(
                            "frame {index} is {}×{}, the camera's first frame {w}×{h}: a feature has one shape",
                            rgb.width, rgb.height
                        ))
                    }
                    Some(_) => {}
                }
                let bytes = std::sync::Arc::new(match &rgb.png {
                    Some(png) => png.clone(),
                    None => encode_png(&rgb)?,
                });
                let rgb = std::rc::Rc::new(rgb);
                last = Some((index, bytes.clone(), rgb.clone()));
                (bytes, rgb)
            }
        };
        if sampled.contains(&frame) {
            stats.add(&rgb);
        }
        png_frames.push(bytes);
    }
    let (width, height) = size.ok_or("the episode has no frames")?;
    Ok(CameraEpisode { width, height, png_frames, stats: stats.finish(sampled.len()) })
}

/// A camera's frames of one dataset episode as RGB pixels, for a video encoder: frame `k` is
/// camera frame `indices[k]`, each distinct source frame decoded once (consecutive repeats share
/// it); the stats are accumulated over the frames LeRobot would sample, as [`camera_episode`]'s.
pub struct RgbFrames<'a> {
    stream: &'a ImageStream,
    indices: &'a [usize],
    sampled: std::collections::BTreeSet<usize>,
    stats: ChannelStats,
    size: (u32, u32),
    last: Option<(usize, std::rc::Rc<Vec<u8>>)>,
}

impl<'a> RgbFrames<'a> {
    /// The frames `indices` of `stream`; its first frame is decoded to learn the size.
    pub fn new(stream: &'a ImageStream, indices: &'a [usize]) -> Result<Self, String> {
        let &first = indices.first().ok_or("the episode has no frames")?;
        if let Some(why) = unsupported_encoding(stream, first) {
            return Err(why);
        }
        let rgb = to_rgb(stream.frame(first).map_err(|e| e.to_string())?)?;
        Ok(Self {
            stream,
            indices,
            sampled: lerobot_sample_indices(indices.len()).into_iter().collect(),
            stats: ChannelStats::default(),
            size: (rgb.width, rgb.height),
            last: Some((first, std::rc::Rc::new(rgb.pixels))),
        })
    }

    /// Width and height.
    pub fn size(&self) -> (u32, u32) {
        self.size
    }

    /// Dataset frame `k`'s pixels (3 bytes each, row-major). Frames are asked for in order.
    pub fn frame(&mut self, k: usize) -> Result<std::rc::Rc<Vec<u8>>, String> {
        let &index = self.indices.get(k).ok_or_else(|| format!("frame {k} is beyond the episode"))?;
        let pixels = match &self.last {
            Some((previous, pixels)) if *previous == index => pixels.clone(),
            _ => {
                let rgb = to_rgb(self.stream.frame(index).map_err(|e| e.to_string())?)?;
                let (w, h) = self.size;
                if (rgb.width, rgb.height) != (w, h) {
                    return Err(format!(
                        "frame {index} is {}×{}, the camera's first frame {w}×{h}: a feature has one shape",
                        rgb.width, rgb.height
                    ));
                }
                let pixels = std::rc::Rc::new(rgb.pixels);
                self.last = Some((index, pixels.clone()));
                pixels
            }
        };
        if self.sampled.contains(&k) {
            self.stats.add_pixels(self.size.0, self.size.1, &pixels);
        }
        Ok(pixels)
    }

    /// The stats of the frames asked for so far (all of them, once the episode is encoded).
    pub fn stats(&self) -> FeatureStats {
        self.stats.finish(self.sampled.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_frames_take_the_closest_and_flag_beyond_the_tolerance() {
        let times = [0, 100, 200, 300];
        let (indices, flagged) = nearest_frames(&times, &[0, 40, 60, 150, 290, 420], 50);
        assert_eq!(indices, [0, 0, 1, 1, 3, 3]);
        assert_eq!(flagged, [(5, 120)]);
        let (_, flagged) = nearest_frames(&[], &[0, 1], 10);
        assert_eq!(flagged.len(), 2);
    }

    #[test]
    fn sample_indices_follow_lerobot() {
        // numpy: np.round(np.linspace(0, n - 1, k)).astype(int)
        assert_eq!(lerobot_sample_indices(3), [0, 1, 2]);
        assert_eq!(lerobot_sample_indices(100).len(), 100);
        let thousand = lerobot_sample_indices(1000);
        assert_eq!(thousand.len(), 177);
        assert_eq!(thousand[..3], [0, 6, 11]);
        assert_eq!(*thousand.last().unwrap(), 999);
        assert_eq!(lerobot_sample_indices(1), [0]);
    }

    #[test]
    fn a_16_bit_grey_png_is_refused_as_depth_not_converted_to_grey_colour() {
        let mut bytes = Vec::new();
        let mut encoder = png::Encoder::new(&mut bytes, 2, 1);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Sixteen);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&[0x03, 0xE8, 0x07, 0xD0]).unwrap(); // 1000 mm, 2000 mm
        writer.finish().unwrap();
        let refusal = to_rgb(Frame::Encoded { mime: "image/png", bytes }).err().expect("refused");
        assert!(refusal.contains("depth"), "{refusal}");
    }

    #[test]
    fn png_round_trips_and_stats_are_per_channel_in_unit_range() {
        let rgb = Rgb { width: 2, height: 1, pixels: vec![255, 0, 10, 0, 255, 30], png: None };
        let png = encode_png(&rgb).unwrap();
        let back = to_rgb(Frame::Encoded { mime: "image/png", bytes: png.clone() }).unwrap();
        assert_eq!((back.width, back.height, back.pixels.clone()), (2, 1, rgb.pixels.clone()));
        assert_eq!(back.png, Some(png), "an RGB8 PNG is kept as it is");
        let mut stats = ChannelStats::default();
        stats.add(&back);
        let s = stats.finish(1);
        assert_eq!(s.min, [0.0, 0.0, 10.0 / 255.0]);
        assert_eq!(s.max, [1.0, 1.0, 30.0 / 255.0]);
        assert!((s.mean[0] - 0.5).abs() < 1e-12 && (s.std[0] - 0.5).abs() < 1e-12);
        let truncated = to_rgb(Frame::Encoded { mime: "image/jpeg", bytes: vec![0xFF, 0xD8] });
        assert!(truncated.err().unwrap().starts_with("JPEG frame: "));
        let webp = to_rgb(Frame::Encoded { mime: "image/webp", bytes: vec![0x52, 0x49] });
        assert!(webp.err().unwrap().contains("not converted yet"));
    }
}
