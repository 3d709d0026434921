//! The native [`VideoEncoders`]: H.264 (constrained baseline, yuv420p, BT.601 limited range) by
//! Cisco's OpenH264 through the `openh264` crate — no B-frames, so decode order is display order
//! and every frame is one sample at `k / fps`.

use crate::source::LocalBoxFuture;
use openh264::encoder::{
    BitRate, Complexity, Encoder, EncoderConfig, FrameRate, FrameType, IntraFramePeriod, QpRange, RateControlMode,
    UsageType, VuiConfig,
};
use openh264::formats::YUVSlices;
use openh264::OpenH264API;

use super::video::{
    h264_size_problem, rgb_to_i420, target_bitrate_bps, EncodedFrame, VideoEncoder, VideoEncoders,
    DEFAULT_BITS_PER_PIXEL, DEFAULT_KEYFRAME_INTERVAL, H264_CODEC, H264_PIX_FMT,
};

/// OpenH264's largest frame (either orientation).
const MAX_SIDE: u32 = 3840;
const MAX_SHORT_SIDE: u32 = 2160;

/// H.264 by OpenH264; `bits_per_pixel` sets the target bit rate (`width × height × fps × it`).
#[derive(Debug, Clone, Copy)]
pub struct OpenH264Encoders {
    pub bits_per_pixel: f64,
    /// A key frame at least this often (frames); every episode also starts on one.
    pub keyframe_interval: u32,
}

impl Default for OpenH264Encoders {
    fn default() -> Self {
        Self { bits_per_pixel: DEFAULT_BITS_PER_PIXEL, keyframe_interval: DEFAULT_KEYFRAME_INTERVAL }
    }
}

impl VideoEncoders for OpenH264Encoders {
    fn codec(&self) -> (&'static str, &'static str) {
        (H264_CODEC, H264_PIX_FMT)
    }

    fn open(&self, width: u32, height: u32, fps: u32) -> Result<Box<dyn VideoEncoder>, String> {
        if let Some(why) = h264_size_problem(width, height) {
            return Err(why);
        }
        if width.max(height) > MAX_SIDE || width.min(height) > MAX_SHORT_SIDE {
            return Err(format!("{width}×{height} is larger than the encoder's 3840×2160"));
        }
        let bits = target_bitrate_bps(width, height, fps, self.bits_per_pixel);
        let config = EncoderConfig::new()
            .skip_frames(false)
            .rate_control_mode(RateControlMode::Quality)
            .bitrate(BitRate::from_bps(bits as u32))
            .max_frame_rate(FrameRate::from_hz(fps as f32))
            // NonRealTime fails OpenH264's initialisation with these settings (measured); RealTime with frame
            // skipping off writes every frame.
            .usage_type(UsageType::CameraVideoRealTime)
            .complexity(Complexity::Medium)
            .qp(QpRange::new(10, 26))
            .intra_frame_period(IntraFramePeriod::from_num_frames(self.keyframe_interval))
            .num_threads(1)
            .vui(VuiConfig::bt601());
        let encoder = Encoder::with_api_config(OpenH264API::from_source(), config)
            .map_err(|e| format!("OpenH264 would not start: {e}"))?;
        Ok(Box::new(OpenH264Encoder {
            encoder,
            width: width as usize,
            height: height as usize,
            frames: 0,
            encoded: Vec::new(),
        }))
    }
}

struct OpenH264Encoder {
    encoder: Encoder,
    width: usize,
    height: usize,
    frames: u64,
    /// Encoded since the last flush (OpenH264 encodes synchronously).
    encoded: Vec<EncodedFrame>,
}

impl OpenH264Encoder {
    fn encode_now(&mut self, rgb: &[u8], keyframe: bool) -> Result<(), String> {
        // The same RGB → I420 conversion as the page's encoder (it also checks the frame's size).
        let i420 = rgb_to_i420(rgb, self.width, self.height)?;
        let (luma, chroma) = i420.split_at(self.width * self.height);
        let (u, v) = chroma.split_at(chroma.len() / 2);
        let yuv = YUVSlices::new((luma, u, v), (self.width, self.height), (self.width, self.width / 2, self.width / 2));
        // The first frame is an IDR picture anyway (and the encoder starts on it).
        if keyframe && self.frames > 0 {
            self.encoder.force_intra_frame();
        }
        self.frames += 1;
        let stream = self.encoder.encode(&yuv).map_err(|e| format!("OpenH264: {e}"))?;
        let frame_type = stream.frame_type();
        if matches!(frame_type, FrameType::Skip | FrameType::Invalid) {
            return Err(format!("OpenH264 gave no picture for a frame ({frame_type:?})"));
        }
        self.encoded.push(EncodedFrame { annex_b: stream.to_vec() });
        Ok(())
    }
}

impl VideoEncoder for OpenH264Encoder {
    fn encode<'a>(&'a mut self, rgb: &'a [u8], keyframe: bool) -> LocalBoxFuture<'a, Result<(), String>> {
        Box::pin(std::future::ready(self.encode_now(rgb, keyframe)))
    }

    fn flush(&mut self) -> LocalBoxFuture<'_, Result<Vec<EncodedFrame>, String>> {
        Box::pin(std::future::ready(Ok(std::mem::take(&mut self.encoded))))
    }
}
