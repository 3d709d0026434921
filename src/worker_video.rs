//! The page's [`VideoEncoders`]: H.264 by the browser's own encoder (WebCodecs `VideoEncoder`,
//! Annex B output) in the conversion worker, fed I420 frames converted from RGB by the core (BT.601
//! limited range, as the CLI's OpenH264 path), muxed by the same `VideoTrackWriter` as the CLI.
//!
//! WebCodecs is still behind `web_sys_unstable_apis` in web-sys, so the few members used are bound
//! here directly.

use std::cell::RefCell;
use std::rc::Rc;

use episcope_core::source::LocalBoxFuture;
use episcope_core::writer::video::{
    avc_codec_string, h264_size_problem, rgb_to_i420, target_bitrate_bps, EncodedFrame, VideoEncoder, VideoEncoders,
    DEFAULT_BITS_PER_PIXEL, DEFAULT_KEYFRAME_INTERVAL, H264_CODEC, H264_PIX_FMT,
};
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = VideoEncoder)]
    type JsVideoEncoder;
    #[wasm_bindgen(constructor, catch, js_class = "VideoEncoder")]
    fn new(init: &Object) -> Result<JsVideoEncoder, JsValue>;
    #[wasm_bindgen(method, catch, js_class = "VideoEncoder")]
    fn configure(this: &JsVideoEncoder, config: &Object) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_class = "VideoEncoder")]
    fn encode(this: &JsVideoEncoder, frame: &JsVideoFrame, options: &Object) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_class = "VideoEncoder")]
    fn flush(this: &JsVideoEncoder) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(method, catch, js_class = "VideoEncoder")]
    fn close(this: &JsVideoEncoder) -> Result<(), JsValue>;
    #[wasm_bindgen(method, getter, js_class = "VideoEncoder", js_name = encodeQueueSize)]
    fn encode_queue_size(this: &JsVideoEncoder) -> u32;
    #[wasm_bindgen(js_namespace = VideoEncoder, js_name = isConfigSupported, catch)]
    fn is_config_supported(config: &Object) -> Result<js_sys::Promise, JsValue>;

    #[wasm_bindgen(js_name = VideoFrame)]
    type JsVideoFrame;
    #[wasm_bindgen(constructor, catch, js_class = "VideoFrame")]
    fn new(data: &Uint8Array, init: &Object) -> Result<JsVideoFrame, JsValue>;
    #[wasm_bindgen(method, js_class = "VideoFrame")]
    fn close(this: &JsVideoFrame);

    #[wasm_bindgen(js_name = EncodedVideoChunk)]
    type JsEncodedVideoChunk;
    #[wasm_bindgen(method, getter, js_class = "EncodedVideoChunk", js_name = byteLength)]
    fn byte_length(this: &JsEncodedVideoChunk) -> u32;
    #[wasm_bindgen(method, catch, js_class = "EncodedVideoChunk", js_name = copyTo)]
    fn copy_to(this: &JsEncodedVideoChunk, destination: &Uint8Array) -> Result<(), JsValue>;
}

/// Frames queued in the browser's encoder before `encode` waits for it (bounds the worker's memory).
const MAX_QUEUED_FRAMES: u32 = 8;

fn set(object: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(object, &JsValue::from_str(key), &value.into());
}

use crate::js::error_message as describe;

fn config(codec: &str, width: u32, height: u32, fps: u32) -> Object {
    let config = Object::new();
    set(&config, "codec", codec);
    set(&config, "width", width);
    set(&config, "height", height);
    set(&config, "bitrate", target_bitrate_bps(width, height, fps, DEFAULT_BITS_PER_PIXEL));
    set(&config, "framerate", fps);
    set(&config, "latencyMode", "quality");
    let avc = Object::new();
    set(&avc, "format", "annexb");
    set(&config, "avc", avc);
    config
}

/// Whether this browser's WebCodecs encodes H.264 (Annex B) at a camera-like size.
pub(super) async fn can_encode_h264() -> bool {
    if !Reflect::has(&js_sys::global(), &JsValue::from_str("VideoEncoder")).unwrap_or(false) {
        return false;
    }
    let Some(codec) = avc_codec_string(640, 480, 30) else { return false };
    let Ok(promise) = is_config_supported(&config(&codec, 640, 480, 30)) else { return false };
    match JsFuture::from(promise).await {
        Ok(support) => {
            Reflect::get(&support, &JsValue::from_str("supported")).ok().and_then(|s| s.as_bool()) == Some(true)
        }
        Err(_) => false,
    }
}

/// H.264 by WebCodecs.
pub(super) struct WebCodecsEncoders;

impl VideoEncoders for WebCodecsEncoders {
    fn codec(&self) -> (&'static str, &'static str) {
        (H264_CODEC, H264_PIX_FMT)
    }

    fn open(&self, width: u32, height: u32, fps: u32) -> Result<Box<dyn VideoEncoder>, String> {
        if let Some(why) = h264_size_problem(width, height) {
            return Err(why);
        }
        let codec = avc_codec_string(width, height, fps)
            .ok_or_else(|| format!("{width}×{height} at {fps} fps is beyond H.264 level 5.2"))?;
        let state = Rc::new(RefCell::new(Output::default()));
        let on_chunk = {
            let state = state.clone();
            Closure::<dyn FnMut(JsEncodedVideoChunk)>::new(move |chunk: JsEncodedVideoChunk| {
                let bytes = Uint8Array::new_with_length(chunk.byte_length());
                let mut state = state.borrow_mut();
                match chunk.copy_to(&bytes) {
                    Ok(()) => state.frames.push(EncodedFrame { annex_b: bytes.to_vec() }),
                    Err(e) => state.error = Some(describe(&e)),
                }
            })
        };
        let on_error = {
            let state = state.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |error: JsValue| {
                state.borrow_mut().error.get_or_insert_with(|| describe(&error));
            })
        };
        let init = Object::new();
        set(&init, "output", on_chunk.as_ref().clone());
        set(&init, "error", on_error.as_ref().clone());
        let encoder = JsVideoEncoder::new(&init).map_err(|e| format!("WebCodecs: {}", describe(&e)))?;
        encoder.configure(&config(&codec, width, height, fps)).map_err(|e| format!("WebCodecs: {}", describe(&e)))?;
        Ok(Box::new(WebCodecsEncoder {
            encoder,
            width,
            height,
            fps,
            frames: 0,
            state,
            _on_chunk: on_chunk,
            _on_error: on_error,
        }))
    }
}

#[derive(Default)]
struct Output {
    frames: Vec<EncodedFrame>,
    error: Option<String>,
}

struct WebCodecsEncoder {
    encoder: JsVideoEncoder,
    width: u32,
    height: u32,
    fps: u32,
    frames: u64,
    state: Rc<RefCell<Output>>,
    /// The encoder's `output` and `error` callbacks, kept alive as long as it is.
    _on_chunk: Closure<dyn FnMut(JsEncodedVideoChunk)>,
    _on_error: Closure<dyn FnMut(JsValue)>,
}

impl WebCodecsEncoder {
    fn failed(&self) -> Result<(), String> {
        match &self.state.borrow().error {
            Some(e) => Err(format!("WebCodecs: {e}")),
            None => Ok(()),
        }
    }

    async fn encode_frame(&mut self, rgb: &[u8], keyframe: bool) -> Result<(), String> {
        self.failed()?;
        let i420 = rgb_to_i420(rgb, self.width as usize, self.height as usize)?;
        let init = Object::new();
        set(&init, "format", "I420");
        set(&init, "codedWidth", self.width);
        set(&init, "codedHeight", self.height);
        // Microseconds; frame k at k / fps.
        set(&init, "timestamp", (self.frames as f64 * 1e6 / f64::from(self.fps)).round());
        set(&init, "duration", (1e6 / f64::from(self.fps)).round());
        let color = Object::new();
        set(&color, "matrix", "smpte170m");
        set(&color, "primaries", "smpte170m");
        set(&color, "transfer", "smpte170m");
        set(&color, "fullRange", false);
        set(&init, "colorSpace", color);
        let frame = JsVideoFrame::new(&Uint8Array::from(i420.as_slice()), &init)
            .map_err(|e| format!("WebCodecs frame: {}", describe(&e)))?;
        let options = Object::new();
        set(&options, "keyFrame", keyframe || self.frames.is_multiple_of(u64::from(DEFAULT_KEYFRAME_INTERVAL)));
        let queued = self.encoder.encode(&frame, &options);
        frame.close();
        queued.map_err(|e| format!("WebCodecs: {}", describe(&e)))?;
        self.frames += 1;
        while self.encoder.encode_queue_size() > MAX_QUEUED_FRAMES {
            super::analysis::sleep_ms(1).await;
            self.failed()?;
        }
        Ok(())
    }

    async fn flush_frames(&mut self) -> Result<Vec<EncodedFrame>, String> {
        let promise = self.encoder.flush().map_err(|e| format!("WebCodecs: {}", describe(&e)))?;
        if let Err(e) = JsFuture::from(promise).await {
            self.failed()?;
            return Err(format!("WebCodecs: {}", describe(&e)));
        }
        self.failed()?;
        Ok(std::mem::take(&mut self.state.borrow_mut().frames))
    }
}

impl VideoEncoder for WebCodecsEncoder {
    fn encode<'a>(&'a mut self, rgb: &'a [u8], keyframe: bool) -> LocalBoxFuture<'a, Result<(), String>> {
        Box::pin(self.encode_frame(rgb, keyframe))
    }

    fn flush(&mut self) -> LocalBoxFuture<'_, Result<Vec<EncodedFrame>, String>> {
        Box::pin(self.flush_frames())
    }
}

impl Drop for WebCodecsEncoder {
    fn drop(&mut self) {
        let _ = self.encoder.close();
    }
}
