//! Video checks (rules `video.*`): every video file the episodes reference is read once through the
//! bounded MP4 header reader ([`crate::mp4`]) and compared with what `info.json` and the episode
//! metadata declare: readability, frame rate, size, codec and duration.
//!
//! Missing files are reported elsewhere (`file.video-missing`); they are skipped here.

use std::collections::BTreeMap;

use serde_json::Value;

use super::finding::{Finding, Findings, Location};
use crate::lerobot::{Dataset, Feature};
use crate::mp4::{read_mp4_info, Mp4Error, VideoTrack};
use crate::shard::Shard;
use crate::tree::DatasetTree;

/// Largest difference between two frame rates that still counts as equal (frames per second).
pub const FPS_TOLERANCE: f64 = 0.01;
/// Slack on top of one frame period when comparing durations (float rounding of timestamps).
const DURATION_EPSILON_SECS: f64 = 1e-6;

/// One episode's use of a video file.
struct Use {
    episode: u64,
    length: u64,
    from_secs: f64,
    to_secs: Option<f64>,
}

/// A video file and the episodes that use it (one in v2.x, many in v3.0).
struct VideoFile<'a> {
    feature: &'a str,
    uses: Vec<Use>,
}

/// Checks the video files (of those the episodes reference, sorted) that `shard` owns against the
/// dataset's declarations; returns each file's findings with its position among them.
pub async fn check_videos(tree: &DatasetTree, dataset: &Dataset, shard: Shard) -> Vec<(usize, Vec<Finding>)> {
    let mut files: BTreeMap<&str, VideoFile<'_>> = BTreeMap::new();
    for episode in &dataset.episodes {
        for video in episode.videos.iter().filter(|v| v.present) {
            files
                .entry(video.path.as_str())
                .or_insert_with(|| VideoFile { feature: &video.feature, uses: Vec::new() })
                .uses
                .push(Use {
                    episode: episode.index,
                    length: episode.length,
                    from_secs: video.from_timestamp_secs,
                    to_secs: video.to_timestamp_secs,
                });
        }
    }
    let dataset_fps = dataset.info.fps.filter(|f| f.is_finite() && *f > 0.0);
    let owned = shard.range(files.len());
    let mut found = Vec::new();
    for (unit, (path, file)) in files.iter().enumerate() {
        if !owned.contains(&unit) {
            continue;
        }
        let mut unit_findings = Findings::default();
        check_video_file(tree, dataset, path, file, dataset_fps, &mut unit_findings).await;
        if !unit_findings.is_empty() {
            found.push((unit, unit_findings.into_items()));
        }
    }
    found
}

async fn check_video_file(
    tree: &DatasetTree,
    dataset: &Dataset,
    path: &str,
    file: &VideoFile<'_>,
    dataset_fps: Option<f64>,
    findings: &mut Findings,
) {
    {
        let Some(tree_file) = tree.get(path) else { return };
        let mut location = Location::file(path).feature(file.feature);
        if let [only] = file.uses.as_slice() {
            location = location.episode(only.episode);
        }
        let info = read_mp4_info(tree_file.source.as_ref(), path).await;
        let video = match info.as_ref().map_err(Clone::clone).and_then(|info| info.require_video(path)) {
            Ok(video) => video,
            Err(error) => {
                report_unreadable(findings, location, path, &error);
                return;
            }
        };
        let feature = dataset.info.feature(file.feature);
        let file_check = FileCheck { location: &location, key: file.feature, feature, video };
        file_check.fps(findings, dataset_fps);
        file_check.size(findings);
        file_check.codec(findings);
        file_check.duration(findings, &file.uses, dataset_fps);
    }
}

fn report_unreadable(findings: &mut Findings, location: Location, path: &str, error: &Mp4Error) {
    let text = error.to_string();
    let reason = text.strip_suffix(&format!(": {path}")).unwrap_or(&text);
    let fix = match error {
        Mp4Error::NotMp4 { found, .. } if found.contains("git-lfs") => {
            "The file is a Git LFS pointer: fetch the real video with `git lfs pull`".to_string()
        }
        Mp4Error::NoVideoTrack { .. } => "Re-encode the camera's frames into an MP4 with a video track".to_string(),
        Mp4Error::Truncated { .. } | Mp4Error::TruncatedHeader { .. } => {
            "Copy or download the file again (it was cut short), or re-encode it from the camera's frames".to_string()
        }
        _ => "Re-encode the camera's frames into an MP4 (AV1, H.264 or HEVC), or replace the file with a good copy"
            .to_string(),
    };
    findings.add("video.unreadable", location, format!("expected an MP4 video with a video track, but {reason}"), fix);
}

/// The checks of one readable video file.
struct FileCheck<'a> {
    location: &'a Location,
    key: &'a str,
    feature: Option<&'a Feature>,
    video: &'a VideoTrack,
}

impl FileCheck<'_> {
    /// A key of the feature's `info`/`video_info` object.
    fn declared(&self, key: &str) -> Option<&Value> {
        self.feature?.video_info.as_ref()?.get(key)
    }

    fn declared_number(&self, key: &str) -> Option<f64> {
        let value = self.declared(key)?;
        value.as_f64().or_else(|| value.as_str()?.trim().parse().ok()).filter(|v: &f64| v.is_finite())
    }

    fn add(&self, findings: &mut Findings, rule: &str, message: String, fix: String) {
        findings.add(rule, self.location.clone(), message, fix);
    }

    /// `video.fps`: the video's frame rate against the dataset's `fps` and the feature's `video.fps`.
    fn fps(&self, findings: &mut Findings, dataset_fps: Option<f64>) {
        let found = self.video.fps;
        if self.video.frames == 0 {
            return; // No frames: the duration check reports it.
        }
        let differs = |expected: f64| (found - expected).abs() > FPS_TOLERANCE;
        let dataset = dataset_fps.filter(|&fps| differs(fps));
        let declared = self.declared_number("video.fps").filter(|&fps| differs(fps));
        let mut parts = Vec::new();
        if let Some(fps) = dataset {
            parts.push(format!("the dataset's `fps` in meta/info.json is {}", num(fps)));
        }
        if let Some(fps) = declared {
            parts.push(format!("the feature's `video.fps` declares {}", num(fps)));
        }
        if parts.is_empty() {
            return;
        }
        let message =
            format!("video is {} fps ({} frames), but {}", num(found), self.video.frames, parts.join(" and "));
        let fix = match dataset {
            Some(fps) => format!(
                "Re-encode the video at {} fps (the dataset's fps): frames are fetched by timestamp at that rate",
                num(fps)
            ),
            None => {
                format!("Set `video.fps` of {} in meta/info.json to {} (the video's frame rate)", self.key, num(found))
            }
        };
        self.add(findings, "video.fps", message, fix);
    }

    /// `video.size`: the video's width and height against the feature's shape (and `video.width`/`video.height`).
    fn size(&self, findings: &mut Findings) {
        let Some(feature) = self.feature else { return };
        let (width, height) = (u64::from(self.video.width), u64::from(self.video.height));
        let mut parts = Vec::new();
        let mut fixed_shape = None;
        if let Some((h_axis, w_axis, axes_text)) = height_width_axes(feature) {
            let (declared_h, declared_w) = (feature.shape[h_axis], feature.shape[w_axis]);
            if (declared_w, declared_h) != (width, height) {
                parts.push(format!(
                    "the feature's shape {:?} ({axes_text}) declares {declared_w}x{declared_h}",
                    feature.shape
                ));
                let mut shape = feature.shape.clone();
                shape[h_axis] = height;
                shape[w_axis] = width;
                fixed_shape = Some((shape, declared_w, declared_h));
            }
        }
        let info_w = self.declared_number("video.width");
        let info_h = self.declared_number("video.height");
        let info_differs = |declared: Option<f64>, found: u64| declared.is_some_and(|d| d != found as f64);
        if info_differs(info_w, width) || info_differs(info_h, height) {
            let show = |d: Option<f64>| d.map(num).unwrap_or_else(|| "?".to_string());
            parts.push(format!("`video.width`/`video.height` declare {}x{}", show(info_w), show(info_h)));
        }
        if parts.is_empty() {
            return;
        }
        let message = format!("video is {width}x{height} pixels (width x height), but {}", parts.join(" and "));
        let fix = match fixed_shape {
            Some((shape, declared_w, declared_h)) => format!(
                "Set `shape` of {} in meta/info.json to {shape:?} to match the video, or re-encode the video at \
                 {declared_w}x{declared_h}",
                self.key
            ),
            None => format!(
                "Set `video.width` to {width} and `video.height` to {height} for {} in meta/info.json",
                self.key
            ),
        };
        self.add(findings, "video.size", message, fix);
    }

    /// `video.codec`: the sample entry's codec against the feature's declared `video.codec`.
    fn codec(&self, findings: &mut Findings) {
        let Some(declared) = self.declared("video.codec").and_then(Value::as_str) else { return };
        let found = self.video.codec.as_str();
        if codec_matches(declared, found) {
            return;
        }
        let message = format!(
            "video is encoded as {} (`{found}`), but the feature's `video.codec` declares `{declared}`",
            codec_label(found)
        );
        let fix = format!(
            "Set `video.codec` of {} in meta/info.json to `{}`, or re-encode the video as `{declared}`",
            self.key,
            codec_name(found)
        );
        self.add(findings, "video.codec", message, fix);
    }

    /// `video.duration`: the video must last until the end of every episode it holds, within one
    /// frame period.
    fn duration(&self, findings: &mut Findings, uses: &[Use], dataset_fps: Option<f64>) {
        let video_fps = Some(self.video.fps).filter(|f| f.is_finite() && *f > 0.0);
        let Some(fps) = dataset_fps.or(video_fps) else { return };
        let period = 1.0 / fps;
        let needed = uses
            .iter()
            .map(|u| (u.to_secs.unwrap_or(u.from_secs + u.length as f64 / fps), u))
            .filter(|(end, _)| end.is_finite())
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let Some((end, worst)) = needed else { return };
        let found = self.video.duration_secs;
        if end - found <= period + DURATION_EPSILON_SECS {
            return;
        }
        let lasts = format!("video lasts {} s ({} frames)", num(found), self.video.frames);
        let (message, fix) = match worst.to_secs {
            None => (
                format!(
                    "{lasts}, but episode {} needs {} s ({} frames at {} fps)",
                    worst.episode,
                    num(end),
                    worst.length,
                    num(fps)
                ),
                format!(
                    "Re-encode episode {}'s video from all its {} frames, or correct the episode's `length` if the \
                     metadata is wrong",
                    worst.episode, worst.length
                ),
            ),
            Some(_) => (
                format!(
                    "{lasts}, but episode {} ends at {} s in it (`videos/{}/to_timestamp` in meta/episodes/)",
                    worst.episode,
                    num(end),
                    self.key
                ),
                format!(
                    "Re-encode the file with every frame of the episodes it holds, or correct episode {}'s \
                     `from_timestamp`/`to_timestamp` in meta/episodes/",
                    worst.episode
                ),
            ),
        };
        let location = self.location.clone().episode(worst.episode);
        findings.add("video.duration", location, message, fix);
    }
}

/// Which axes of the feature's shape are height and width: by `names` (`height`/`h`,
/// `width`/`w`) when they name every axis, else `[height, width, channels]` — or
/// `[channels, height, width]` when only the first axis looks like channels. Also says how the
/// axes were read, for messages.
fn height_width_axes(feature: &Feature) -> Option<(usize, usize, String)> {
    let shape = &feature.shape;
    if feature.names.len() == shape.len() {
        let find = |aliases: [&str; 2]| {
            feature.names.iter().position(|n| aliases.iter().any(|a| n.trim().eq_ignore_ascii_case(a)))
        };
        if let (Some(h), Some(w)) = (find(["height", "h"]), find(["width", "w"])) {
            if h != w {
                return Some((h, w, feature.names.join(", ")));
            }
        }
    }
    if shape.len() != 3 {
        return None;
    }
    let channels = |d: u64| matches!(d, 1 | 3 | 4);
    if channels(shape[0]) && !channels(shape[2]) {
        Some((1, 2, "read as channels, height, width".to_string()))
    } else {
        Some((0, 1, "read as height, width, channels".to_string()))
    }
}

/// Whether a declared codec name (LeRobot writes ffmpeg names such as `av1`, `h264`, `hevc`) names
/// the codec of a sample entry four-character code. Compared case-insensitively.
pub fn codec_matches(declared: &str, fourcc: &str) -> bool {
    let declared = declared.trim().to_ascii_lowercase();
    let fourcc = fourcc.to_ascii_lowercase();
    let accepted: &[&str] = match declared.as_str() {
        "av1" | "av01" | "libaom-av1" | "libsvtav1" | "libdav1d" | "libdav1d-av1" | "av1_nvenc" | "av1_qsv" => {
            &["av01"]
        }
        "h264" | "h.264" | "avc" | "avc1" | "avc3" | "libx264" | "libopenh264" | "h264_nvenc" | "h264_qsv"
        | "h264_videotoolbox" => &["avc1", "avc3"],
        "hevc" | "h265" | "h.265" | "hvc1" | "hev1" | "libx265" | "hevc_nvenc" | "hevc_qsv" | "hevc_videotoolbox" => {
            &["hvc1", "hev1"]
        }
        "vp9" | "vp09" | "libvpx-vp9" => &["vp09"],
        "vp8" | "vp08" | "libvpx" => &["vp08"],
        "mpeg4" | "mp4v" => &["mp4v"],
        _ => return declared == fourcc,
    };
    accepted.contains(&fourcc.as_str())
}

/// The ffmpeg name of a sample entry's codec (what `video.codec` should say).
fn codec_name(fourcc: &str) -> &str {
    match fourcc {
        "av01" => "av1",
        "avc1" | "avc3" => "h264",
        "hvc1" | "hev1" => "hevc",
        "vp09" => "vp9",
        "vp08" => "vp8",
        "mp4v" => "mpeg4",
        other => other,
    }
}

/// A readable name of a sample entry's codec.
fn codec_label(fourcc: &str) -> &str {
    match fourcc {
        "av01" => "AV1",
        "avc1" | "avc3" => "H.264",
        "hvc1" | "hev1" => "HEVC",
        "vp09" => "VP9",
        "vp08" => "VP8",
        "mp4v" => "MPEG-4 Part 2",
        other => other,
    }
}

/// A number for messages: at most three decimals, without trailing zeros (30, 29.97, 13.333).
fn num(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}
