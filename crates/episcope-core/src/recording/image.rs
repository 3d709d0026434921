//! Camera frames of a recording, ready to show: a raw `sensor_msgs/Image` becomes RGBA pixels, a
//! `CompressedImage` stays the JPEG/PNG bytes the browser decodes, an HDF5 `uint8` stack frame
//! becomes RGBA. Every size comes from the message and is checked against its bytes and a bound.

use super::open::{RecordingEpisode, RecordingError};
use super::read::{episode_file, read_ros_messages};
use super::{RawChannel, RawMessage, StreamKind};
use crate::formats::hdf5;
use crate::formats::ros_msg::{channel_schema, decode_message, Decoded, Leaf, MessageSchema};
use crate::tree::DatasetTree;

/// Pixels one frame may have (4 bytes each once converted): 32 Mpx, far above any camera topic.
pub const MAX_IMAGE_PIXELS: u64 = 1 << 25;

/// One frame, as the page draws it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// Row-major RGBA, `width * height * 4` bytes.
    Rgba { width: u32, height: u32, pixels: Vec<u8> },
    /// An encoded picture the browser decodes itself (`image/jpeg`, `image/png`).
    Encoded { mime: &'static str, bytes: Vec<u8> },
}

/// Why a message could not be shown as a frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("{reason}")]
    Undecodable { reason: String },
    #[error("the message has no `{field}` field")]
    MissingField { field: &'static str },
    #[error("image encoding {encoding:?} is not shown (rgb8, bgr8, rgba8, bgra8, mono8, mono16, 16UC1, 32FC1 are)")]
    UnsupportedEncoding { encoding: String },
    #[error(
        "a {width}×{height} {encoding} image with rows of {step} bytes needs {needed} bytes; the message holds {held}"
    )]
    Geometry { width: u64, height: u64, encoding: String, step: u64, needed: u64, held: u64 },
    #[error("a {width}×{height} image exceeds {max} pixels")]
    TooLarge { width: u64, height: u64, max: u64 },
    #[error("the image is {width}×{height}: nothing to show")]
    Empty { width: u64, height: u64 },
    #[error("compressed frame ({format:?}) is neither JPEG nor PNG")]
    UnknownCompression { format: String },
    #[error("frame {index} is out of range ({frames} frames)")]
    OutOfRange { index: usize, frames: usize },
    #[error("stream {stream:?} is not an image stream")]
    NotImages { stream: String },
}

fn number(decoded: &Decoded, field: &'static str) -> Result<u64, ImageError> {
    match decoded.get(field) {
        Some(Leaf::Numbers(v)) if v.len() == 1 && v[0] >= 0.0 && v[0].is_finite() => Ok(v[0] as u64),
        _ => Err(ImageError::MissingField { field }),
    }
}

fn text<'a>(decoded: &'a Decoded, field: &'static str) -> Result<&'a str, ImageError> {
    match decoded.get(field) {
        Some(Leaf::Strings(v)) if v.len() == 1 => Ok(&v[0]),
        _ => Err(ImageError::MissingField { field }),
    }
}

fn bytes<'a>(decoded: &'a Decoded, field: &'static str) -> Result<&'a [u8], ImageError> {
    match decoded.get(field) {
        Some(Leaf::Bytes(v)) => Ok(v),
        // An empty `uint8[]` may decode as no numbers.
        Some(Leaf::Numbers(v)) if v.is_empty() => Ok(&[]),
        _ => Err(ImageError::MissingField { field }),
    }
}

/// How the pixels of one raw encoding are laid out and turned into RGBA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    Rgb8,
    Bgr8,
    Rgba8,
    Bgra8,
    Mono8,
    /// 16-bit grey (depth in mm for 16UC1): stretched from the frame's own range to 0–255.
    Mono16,
    /// 32-bit float grey (depth in metres): stretched likewise, non-finite values black.
    Float32,
}

impl Layout {
    fn of(encoding: &str) -> Option<Layout> {
        Some(match encoding.to_ascii_lowercase().as_str() {
            "rgb8" => Layout::Rgb8,
            // OpenCV's 8UC3 is BGR.
            "bgr8" | "8uc3" => Layout::Bgr8,
            "rgba8" => Layout::Rgba8,
            "bgra8" | "8uc4" => Layout::Bgra8,
            "mono8" | "8uc1" => Layout::Mono8,
            "mono16" | "16uc1" => Layout::Mono16,
            "32fc1" => Layout::Float32,
            _ => return None,
        })
    }

    fn bytes_per_pixel(self) -> u64 {
        match self {
            Layout::Mono8 => 1,
            Layout::Mono16 => 2,
            Layout::Rgb8 | Layout::Bgr8 => 3,
            Layout::Rgba8 | Layout::Bgra8 | Layout::Float32 => 4,
        }
    }
}

fn check_pixels(width: u64, height: u64) -> Result<(), ImageError> {
    if width == 0 || height == 0 {
        return Err(ImageError::Empty { width, height });
    }
    if width.saturating_mul(height) > MAX_IMAGE_PIXELS {
        return Err(ImageError::TooLarge { width, height, max: MAX_IMAGE_PIXELS });
    }
    Ok(())
}

/// A raw `sensor_msgs/Image` (fields `height`, `width`, `encoding`, `is_bigendian`, `step`,
/// `data`) as RGBA.
pub fn raw_image_frame(decoded: &Decoded) -> Result<Frame, ImageError> {
    let (height, width, step) = (number(decoded, "height")?, number(decoded, "width")?, number(decoded, "step")?);
    let encoding = text(decoded, "encoding")?;
    let big_endian = number(decoded, "is_bigendian").unwrap_or(0) != 0;
    let data = bytes(decoded, "data")?;
    let layout =
        Layout::of(encoding).ok_or_else(|| ImageError::UnsupportedEncoding { encoding: encoding.to_string() })?;
    check_pixels(width, height)?;
    let row_bytes = width * layout.bytes_per_pixel();
    // `step` may pad rows; a zero step (some drivers) means packed rows.
    let step = if step == 0 { row_bytes } else { step };
    let needed = if height == 0 { 0 } else { step.saturating_mul(height - 1).saturating_add(row_bytes) };
    if step < row_bytes || (data.len() as u64) < needed {
        return Err(ImageError::Geometry {
            width,
            height,
            encoding: encoding.to_string(),
            step,
            needed: needed.max(row_bytes.saturating_mul(height)),
            held: data.len() as u64,
        });
    }
    let (w, h, step) = (width as usize, height as usize, step as usize);
    let row = |y: usize| &data[y * step..y * step + w * layout.bytes_per_pixel() as usize];
    let mut pixels = Vec::with_capacity(w * h * 4);
    match layout {
        Layout::Rgb8 | Layout::Bgr8 | Layout::Rgba8 | Layout::Bgra8 | Layout::Mono8 => {
            for y in 0..h {
                for px in row(y).chunks_exact(layout.bytes_per_pixel() as usize) {
                    let rgba = match layout {
                        Layout::Rgb8 => [px[0], px[1], px[2], 255],
                        Layout::Bgr8 => [px[2], px[1], px[0], 255],
                        Layout::Rgba8 => [px[0], px[1], px[2], px[3]],
                        Layout::Bgra8 => [px[2], px[1], px[0], px[3]],
                        _ => [px[0], px[0], px[0], 255],
                    };
                    pixels.extend_from_slice(&rgba);
                }
            }
        }
        Layout::Mono16 | Layout::Float32 => {
            let mut values = Vec::with_capacity(w * h);
            for y in 0..h {
                for px in row(y).chunks_exact(layout.bytes_per_pixel() as usize) {
                    values.push(match (layout, big_endian) {
                        (Layout::Mono16, false) => f64::from(u16::from_le_bytes([px[0], px[1]])),
                        (Layout::Mono16, true) => f64::from(u16::from_be_bytes([px[0], px[1]])),
                        (_, false) => f64::from(f32::from_le_bytes([px[0], px[1], px[2], px[3]])),
                        (_, true) => f64::from(f32::from_be_bytes([px[0], px[1], px[2], px[3]])),
                    });
                }
            }
            stretch_to_grey(&values, &mut pixels);
        }
    }
    Ok(Frame::Rgba { width: width as u32, height: height as u32, pixels })
}

/// Grey levels from the frame's own finite, non-zero range (zero is "no depth" in depth images);
/// zero and non-finite values are black.
fn stretch_to_grey(values: &[f64], pixels: &mut Vec<u8>) {
    let valid = values.iter().copied().filter(|v| v.is_finite() && *v != 0.0);
    let (lo, hi) = valid.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let span = if hi > lo { hi - lo } else { 1.0 };
    for &v in values {
        let grey =
            if v.is_finite() && v != 0.0 { (1.0 + (v - lo) / span * 254.0).round().clamp(1.0, 255.0) as u8 } else { 0 };
        pixels.extend_from_slice(&[grey, grey, grey, 255]);
    }
}

/// A `sensor_msgs/CompressedImage` (`format`, `data`): its JPEG or PNG bytes, found by their magic
/// (a `compressedDepth` frame starts with a 12-byte depth header before the PNG).
pub fn compressed_image_frame(decoded: &Decoded) -> Result<Frame, ImageError> {
    let format = text(decoded, "format").unwrap_or("");
    let data = bytes(decoded, "data")?;
    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF];
    const PNG: &[u8] = &[0x89, b'P', b'N', b'G'];
    for skip in [0usize, 12] {
        let Some(rest) = data.get(skip..) else { break };
        if rest.starts_with(JPEG) {
            return Ok(Frame::Encoded { mime: "image/jpeg", bytes: rest.to_vec() });
        }
        if rest.starts_with(PNG) {
            return Ok(Frame::Encoded { mime: "image/png", bytes: rest.to_vec() });
        }
    }
    Err(ImageError::UnknownCompression { format: format.to_string() })
}

/// An HDF5 image stack frame (`channels` 1, 3 or 4 bytes per pixel) as RGBA.
pub fn stacked_frame(width: u32, height: u32, channels: u32, data: &[u8]) -> Result<Frame, ImageError> {
    let (w, h, c) = (u64::from(width), u64::from(height), u64::from(channels));
    check_pixels(w, h)?;
    let needed = w * h * c;
    if !matches!(channels, 1 | 3 | 4) || (data.len() as u64) < needed {
        return Err(ImageError::Geometry {
            width: w,
            height: h,
            encoding: format!("uint8 × {channels}"),
            step: w * c,
            needed,
            held: data.len() as u64,
        });
    }
    let mut pixels = Vec::with_capacity((w * h * 4) as usize);
    for px in data[..needed as usize].chunks_exact(channels as usize) {
        pixels.extend_from_slice(&match px {
            [g] => [*g, *g, *g, 255],
            [r, g, b] => [*r, *g, *b, 255],
            [r, g, b, a] => [*r, *g, *b, *a],
            _ => [0, 0, 0, 255],
        });
    }
    Ok(Frame::Rgba { width, height, pixels })
}

/// Every frame of one image stream of one episode, read once so that scrubbing decodes only the
/// frame asked for.
pub enum ImageStream {
    Messages { kind: StreamKind, channel: RawChannel, schema: Box<MessageSchema>, messages: Vec<RawMessage> },
    Hdf5 { file: Box<hdf5::Hdf5File>, dataset: String, frames: usize },
}

impl std::fmt::Debug for ImageStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ImageStream({} frames, {} bytes)", self.len(), self.held_bytes())
    }
}

impl ImageStream {
    pub fn len(&self) -> usize {
        match self {
            ImageStream::Messages { messages, .. } => messages.len(),
            ImageStream::Hdf5 { frames, .. } => *frames,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of messages held (an HDF5 file is held whole by its reader either way).
    pub fn held_bytes(&self) -> u64 {
        match self {
            ImageStream::Messages { messages, .. } => messages.iter().map(|m| m.data.len() as u64).sum(),
            ImageStream::Hdf5 { .. } => 0,
        }
    }

    /// The `encoding` of raw image message `index` (`rgb8`, `16UC1`, …); `None` for compressed
    /// images and HDF5 stacks (8-bit by construction).
    pub fn raw_encoding(&self, index: usize) -> Option<String> {
        match self {
            ImageStream::Messages { kind: StreamKind::Image, schema, messages, .. } => {
                let decoded = decode_message(schema, &messages.get(index)?.data).ok()?;
                text(&decoded, "encoding").ok().map(str::to_string)
            }
            _ => None,
        }
    }

    /// Frame `index` (in log-time order), decoded.
    pub fn frame(&self, index: usize) -> Result<Frame, ImageError> {
        let out_of_range = || ImageError::OutOfRange { index, frames: self.len() };
        match self {
            ImageStream::Messages { kind, schema, messages, .. } => {
                let message = messages.get(index).ok_or_else(out_of_range)?;
                let decoded = decode_message(schema, &message.data)
                    .map_err(|e| ImageError::Undecodable { reason: format!("message {index}: {e}") })?;
                match kind {
                    StreamKind::CompressedImage => compressed_image_frame(&decoded),
                    _ => raw_image_frame(&decoded),
                }
            }
            ImageStream::Hdf5 { file, dataset, .. } => {
                let (w, h, c, data) =
                    file.image(dataset, index as u64).map_err(|e| ImageError::Undecodable { reason: e.to_string() })?;
                stacked_frame(w, h, c, &data)
            }
        }
    }
}

/// Reads the image stream `stream` of `episode` (only its own messages where the container can
/// skip others). Errors name the file.
pub async fn open_image_stream(
    tree: &DatasetTree,
    episode: &RecordingEpisode,
    stream: &str,
) -> Result<ImageStream, RecordingError> {
    let (path, _) = episode_file(episode);
    let open_err = |reason: String| RecordingError::Open { reason, path: path.to_string() };
    let info = episode.streams.iter().find(|s| s.name == stream);
    let kind = match info.map(|s| s.kind) {
        Some(kind @ (StreamKind::Image | StreamKind::CompressedImage)) => kind,
        _ => return Err(open_err(ImageError::NotImages { stream: stream.to_string() }.to_string())),
    };
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".hdf5") || lower.ends_with(".h5") {
        let file = tree.get(path).ok_or_else(|| open_err("the file is not in the opened folder".into()))?;
        let file = hdf5::open_hdf5(file.source.as_ref()).await.map_err(|e| open_err(e.to_string()))?;
        let frames = info.map_or(0, |s| s.messages) as usize;
        return Ok(ImageStream::Hdf5 { file: Box::new(file), dataset: stream.to_string(), frames });
    }
    let (channels, messages) = read_ros_messages(tree, &episode.files(), Some(&[stream])).await?;
    let channel =
        channels.into_iter().find(|c| c.topic == stream).ok_or_else(|| open_err(format!("no topic {stream}")))?;
    let schema = channel_schema(&channel).map_err(|e| open_err(e.to_string()))?;
    let mut messages: Vec<RawMessage> = messages.into_iter().filter(|m| m.channel_id == channel.id).collect();
    messages.sort_by_key(|m| m.log_time_ns);
    Ok(ImageStream::Messages { kind, channel, schema: Box::new(schema), messages })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(width: u64, height: u64, encoding: &str, step: u64, big_endian: bool, data: Vec<u8>) -> Decoded {
        let n = |v: u64| Leaf::Numbers(vec![v as f64]);
        Decoded {
            leaves: vec![
                ("height".into(), n(height)),
                ("width".into(), n(width)),
                ("encoding".into(), Leaf::Strings(vec![encoding.into()])),
                ("is_bigendian".into(), n(u64::from(big_endian))),
                ("step".into(), n(step)),
                ("data".into(), Leaf::Bytes(data)),
            ],
        }
    }

    fn rgba(frame: Frame) -> (u32, u32, Vec<u8>) {
        match frame {
            Frame::Rgba { width, height, pixels } => (width, height, pixels),
            other => panic!("expected RGBA, got {other:?}"),
        }
    }

    #[test]
    fn colour_encodings_become_rgba_in_the_right_channel_order() {
        // 2×1: red then blue, with a padded row (step 8 > 6).
        let rgb = image(2, 1, "rgb8", 8, false, vec![255, 0, 0, 0, 0, 255, 9, 9]);
        assert_eq!(rgba(raw_image_frame(&rgb).unwrap()), (2, 1, vec![255, 0, 0, 255, 0, 0, 255, 255]));
        let bgr = image(2, 1, "bgr8", 6, false, vec![0, 0, 255, 255, 0, 0]);
        assert_eq!(rgba(raw_image_frame(&bgr).unwrap()), (2, 1, vec![255, 0, 0, 255, 0, 0, 255, 255]));
        let mono = image(1, 2, "mono8", 1, false, vec![7, 200]);
        assert_eq!(rgba(raw_image_frame(&mono).unwrap()).2, vec![7, 7, 7, 255, 200, 200, 200, 255]);
        let bgra = image(1, 1, "bgra8", 4, false, vec![1, 2, 3, 4]);
        assert_eq!(rgba(raw_image_frame(&bgra).unwrap()).2, vec![3, 2, 1, 4]);
    }

    #[test]
    fn depth_is_stretched_over_its_own_range_with_zero_black() {
        // 16UC1 little-endian 0, 1000, 3000 mm; big-endian gives the same picture.
        let le = image(3, 1, "16UC1", 6, false, vec![0, 0, 0xE8, 0x03, 0xB8, 0x0B]);
        assert_eq!(rgba(raw_image_frame(&le).unwrap()).2, vec![0, 0, 0, 255, 1, 1, 1, 255, 255, 255, 255, 255]);
        let be = image(3, 1, "mono16", 6, true, vec![0, 0, 0x03, 0xE8, 0x0B, 0xB8]);
        assert_eq!(raw_image_frame(&be).unwrap(), raw_image_frame(&le).unwrap());
        let mut floats = Vec::new();
        for v in [f32::NAN, 0.5, 1.5] {
            floats.extend_from_slice(&v.to_le_bytes());
        }
        let depth = image(3, 1, "32FC1", 12, false, floats);
        assert_eq!(rgba(raw_image_frame(&depth).unwrap()).2, vec![0, 0, 0, 255, 1, 1, 1, 255, 255, 255, 255, 255]);
    }

    #[test]
    fn lying_sizes_and_unknown_encodings_are_errors_not_allocations() {
        let short = image(4, 4, "rgb8", 12, false, vec![0; 47]);
        assert!(matches!(raw_image_frame(&short), Err(ImageError::Geometry { needed: 48, held: 47, .. })));
        let narrow_step = image(4, 1, "rgb8", 11, false, vec![0; 64]);
        assert!(matches!(raw_image_frame(&narrow_step), Err(ImageError::Geometry { .. })));
        let huge = image(1 << 20, 1 << 20, "mono8", 1 << 20, false, vec![]);
        assert!(matches!(raw_image_frame(&huge), Err(ImageError::TooLarge { .. })));
        // A zero height with an absurd width is empty, not a 2^40-wide frame.
        let flat = image(1 << 40, 0, "rgb8", 0, false, vec![]);
        assert!(matches!(raw_image_frame(&flat), Err(ImageError::Empty { .. })));
        let bayer = image(1, 1, "bayer_rggb8", 1, false, vec![0]);
        assert_eq!(
            raw_image_frame(&bayer).unwrap_err().to_string(),
            "image encoding \"bayer_rggb8\" is not shown (rgb8, bgr8, rgba8, bgra8, mono8, mono16, 16UC1, 32FC1 are)"
        );
        let no_data = Decoded { leaves: vec![("height".into(), Leaf::Numbers(vec![1.0]))] };
        assert!(matches!(raw_image_frame(&no_data), Err(ImageError::MissingField { field: "width" })));
    }

    #[test]
    fn compressed_frames_are_found_by_their_magic() {
        let compressed = |format: &str, data: Vec<u8>| Decoded {
            leaves: vec![("format".into(), Leaf::Strings(vec![format.into()])), ("data".into(), Leaf::Bytes(data))],
        };
        let jpeg = compressed("jpeg", vec![0xFF, 0xD8, 0xFF, 0xE0, 1]);
        assert_eq!(
            compressed_image_frame(&jpeg).unwrap(),
            Frame::Encoded { mime: "image/jpeg", bytes: vec![0xFF, 0xD8, 0xFF, 0xE0, 1] }
        );
        let mut depth = vec![0u8; 12];
        depth.extend_from_slice(b"\x89PNG\r\n");
        let depth = compressed("16UC1; compressedDepth png", depth);
        assert_eq!(
            compressed_image_frame(&depth).unwrap(),
            Frame::Encoded { mime: "image/png", bytes: b"\x89PNG\r\n".to_vec() }
        );
        let other = compressed("tiff", vec![b'I', b'I', 42, 0]);
        assert!(matches!(compressed_image_frame(&other), Err(ImageError::UnknownCompression { .. })));
    }

    #[test]
    fn hdf5_stacks_become_rgba() {
        assert_eq!(rgba(stacked_frame(1, 1, 3, &[1, 2, 3]).unwrap()).2, vec![1, 2, 3, 255]);
        assert_eq!(rgba(stacked_frame(2, 1, 1, &[5, 6]).unwrap()).2, vec![5, 5, 5, 255, 6, 6, 6, 255]);
        assert!(stacked_frame(2, 2, 3, &[0; 11]).is_err());
        assert!(stacked_frame(1, 1, 2, &[0; 2]).is_err());
    }
}
