//! A mapping suggested from a recording's first episode: joint positions become
//! `observation.state`, leader/command topics `action`, HDF5 layouts their LeRobot names; the
//! frame rate is the state stream's.

use super::images::RgbFrames;
use super::mapping::{CameraDtype, CameraMapping, Episodes, FeatureMapping, Mapping, MAX_FPS};
use super::resample::Resample;
use super::{dimension_names, ConvertError};
use crate::recording::image::open_image_stream;
use crate::recording::open::strip_demo;
use crate::recording::read::{read_episode, EpisodeStream};
use crate::recording::{NumericField, Recording, RecordingError, StreamKind};
use crate::tree::DatasetTree;
use crate::writer::video::h264_size_problem;

/// Words in a topic that mark what was commanded rather than measured.
const ACTION_WORDS: [&str; 8] = ["action", "leader", "command", "cmd", "target", "goal", "master", "teleop"];

/// A suggested mapping, and what it leaves out (in words, one line each).
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub mapping: Mapping,
    pub notes: Vec<String>,
}

/// Suggests a mapping for `recording` from its first episode's streams, cameras as images (for a
/// converter without a video encoder); see [`suggest_mapping_with`].
pub async fn suggest_mapping(tree: &DatasetTree, recording: &Recording) -> Result<Suggestion, ConvertError> {
    suggest_mapping_with(tree, recording, false).await
}

/// Suggests a mapping for `recording` from its first episode's streams. Each camera's first frame
/// is looked at: one that cannot become an RGB image yet (depth, 16-bit) is left out, with a note;
/// the others become videos when `can_encode_video` (and their width and height are even, as
/// H.264 in yuv420p needs), else images.
pub async fn suggest_mapping_with(
    tree: &DatasetTree,
    recording: &Recording,
    can_encode_video: bool,
) -> Result<Suggestion, ConvertError> {
    let episode = recording.episodes.first().ok_or(ConvertError::Recording(RecordingError::NoRecording))?;
    let streams = read_episode(tree, episode).await?;
    let mut suggestion = suggest_from_streams(&streams);
    let mut kept = Vec::new();
    for mut camera in std::mem::take(&mut suggestion.mapping.cameras) {
        let stream = super::find_stream(&streams, &camera.stream).map(|s| s.info.name.clone());
        let looked = match stream {
            Some(name) => match open_image_stream(tree, episode, &name).await {
                Ok(frames) if frames.is_empty() => Err("it has no frames".to_string()),
                Ok(frames) => RgbFrames::new(&frames, &[0]).map(|f| f.size()),
                Err(e) => Err(e.to_string()),
            },
            None => Err("it is not in the first episode".to_string()),
        };
        match looked {
            Err(why) => suggestion.notes.push(format!("camera {} is left out: {why}", camera.stream)),
            Ok((width, height)) => {
                camera.dtype = match (can_encode_video, h264_size_problem(width, height)) {
                    (true, None) => CameraDtype::Video,
                    (true, Some(why)) => {
                        suggestion.notes.push(format!("camera {}: {why}; suggested as images", camera.stream));
                        CameraDtype::Image
                    }
                    (false, _) => CameraDtype::Image,
                };
                kept.push(camera);
            }
        }
    }
    let names = |dtype: CameraDtype| {
        kept.iter().filter(|c| c.dtype == dtype).map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
    };
    let (videos, images) = (names(CameraDtype::Video), names(CameraDtype::Image));
    if !videos.is_empty() {
        suggestion.notes.push(format!("cameras written as H.264 mp4 video (dtype = \"video\"): {videos}"));
    }
    if !images.is_empty() {
        suggestion.notes.push(format!(
            "cameras written as PNG images in the data files (dtype = \"image\"{}): {images}",
            if can_encode_video { "" } else { "; the page's converter does not encode video yet" }
        ));
    }
    suggestion.mapping.cameras = kept;
    Ok(suggestion)
}

/// `observation.images.<name>` for a camera stream: its topic or dataset path without the
/// generic words (`image_raw`, `compressed`, `images`, …), joined by `_`.
pub fn camera_feature_name(key: &str) -> String {
    const GENERIC: [&str; 10] = [
        "image_raw",
        "image",
        "compressed",
        "image_rect_color",
        "image_color",
        "images",
        "obs",
        "observations",
        "data",
        "color",
    ];
    let parts: Vec<String> = key
        .split('/')
        .filter(|p| !p.is_empty() && !GENERIC.contains(p) && !p.starts_with("demo_"))
        .map(|p| p.strip_suffix("_image").unwrap_or(p).replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "_"))
        .collect();
    let name = if parts.is_empty() { "camera".to_string() } else { parts.join("_") };
    format!("observation.images.{name}")
}

#[cfg(test)]
mod camera_name_tests {
    use super::camera_feature_name;

    #[test]
    fn camera_names_drop_the_generic_words() {
        assert_eq!(camera_feature_name("/camera/front/image_raw"), "observation.images.camera_front");
        assert_eq!(camera_feature_name("/observations/images/cam_high"), "observation.images.cam_high");
        assert_eq!(camera_feature_name("data/demo_0/obs/agentview_image"), "observation.images.agentview");
        assert_eq!(camera_feature_name("/image_raw"), "observation.images.camera");
    }
}

/// The suggestion for one episode's streams (pure: tested on its own).
pub fn suggest_from_streams(streams: &[EpisodeStream]) -> Suggestion {
    let mut notes = Vec::new();
    let mut state: Option<(String, &EpisodeStream, &NumericField)> = None;
    let mut action: Option<(String, &EpisodeStream, &NumericField)> = None;
    let mut others: Vec<(String, &EpisodeStream, &NumericField)> = Vec::new();
    let mut cameras: Vec<(String, Option<f64>)> = Vec::new();
    for stream in streams {
        let key = strip_demo(&stream.info.name);
        match stream.info.kind {
            StreamKind::Image | StreamKind::CompressedImage => {
                let period_secs = median_period_secs(&stream.times_ns);
                cameras.push((key, period_secs));
                continue;
            }
            StreamKind::Numeric => {}
            _ => continue,
        }
        let Ok(series) = &stream.series else {
            notes.push(format!("stream {key} is left out: its messages do not decode"));
            continue;
        };
        let Some((field, role)) = pick_field(&key, &stream.info.type_name, &series.fields) else { continue };
        let slot = match role {
            Role::State if state.is_none() => &mut state,
            Role::Action if action.is_none() => &mut action,
            _ => {
                others.push((key.clone(), stream, field));
                continue;
            }
        };
        *slot = Some((key, stream, field));
    }
    let mut features = Vec::new();
    let mut used = std::collections::BTreeSet::new();
    let mut push = |name: String, (key, stream, field): (String, &EpisodeStream, &NumericField), resample, fps: u32| {
        let mut name = name;
        let mut n = 2;
        while !used.insert(name.clone()) {
            name = format!("{name}_{n}");
            n += 1;
        }
        let period_secs = median_period_secs(&stream.times_ns);
        let frame_secs = 1.0 / f64::from(fps);
        let tolerance_secs = period_secs.map_or(frame_secs, |p| (1.5 * p).max(frame_secs));
        features.push(FeatureMapping {
            name,
            stream: key,
            field: (field.name != stream.info.name).then(|| field.name.clone()),
            names: Some(dimension_names(field)),
            resample,
            tolerance_secs: Some((tolerance_secs * 1000.0 - 1e-6).ceil() / 1000.0),
            clock: Default::default(),
        });
    };
    let rate_stream = state.as_ref().or(action.as_ref()).or(others.first()).map(|(_, s, _)| *s);
    let fps = rate_stream
        .and_then(|s| median_period_secs(&s.times_ns))
        .map_or(30, |p| (1.0 / p).round().clamp(1.0, f64::from(MAX_FPS)) as u32);
    if let Some(state) = state {
        push("observation.state".into(), state, Resample::Nearest, fps);
    }
    if let Some(action) = action {
        push("action".into(), action, Resample::Hold, fps);
    }
    for (key, stream, field) in others {
        let name = other_feature_name(&key);
        push(name, (key, stream, field), Resample::Nearest, fps);
    }
    if features.is_empty() {
        notes.push("no numeric stream to map: add [[feature]] entries by hand".into());
    }
    let mut camera_names = std::collections::BTreeSet::new();
    let cameras = cameras
        .into_iter()
        .map(|(key, period_secs)| {
            // Two cameras that shorten alike keep their whole topic (`/camera/image_raw` and
            // `/camera/compressed`: `camera` and `camera_compressed`).
            let whole: String = key
                .split('/')
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join("_")
                .replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "_");
            let mut name = camera_feature_name(&key);
            let mut n = 2;
            if camera_names.contains(&name) {
                name = format!("observation.images.{whole}");
            }
            while !camera_names.insert(name.clone()) {
                name = format!("observation.images.{whole}_{n}");
                n += 1;
            }
            let frame_secs = 1.0 / f64::from(fps);
            let tolerance_secs = period_secs.map_or(frame_secs, |p| (1.5 * p).max(frame_secs));
            CameraMapping {
                name,
                stream: key,
                dtype: CameraDtype::Image,
                tolerance_secs: Some((tolerance_secs * 1000.0 - 1e-6).ceil() / 1000.0),
            }
        })
        .collect();
    let mapping = Mapping {
        fps,
        robot_type: None,
        license: None,
        task: "unspecified task".into(),
        episodes: Episodes::default(),
        features,
        cameras,
        episode_tasks: Vec::new(),
    };
    Suggestion { mapping, notes }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    State,
    Action,
    Other,
}

/// The field of a stream worth mapping, and its role.
fn pick_field<'a>(key: &str, type_name: &str, fields: &'a [NumericField]) -> Option<(&'a NumericField, Role)> {
    let lower = key.to_ascii_lowercase();
    let is_action = ACTION_WORDS.iter().any(|w| lower.contains(w));
    let by_name = |name: &str| fields.iter().find(|f| f.name == name && f.width > 0);
    if type_name.ends_with("JointState") {
        let field = by_name("position")?;
        return Some((field, if is_action { Role::Action } else { Role::State }));
    }
    if type_name.ends_with("MultiArray") {
        return Some((by_name("data")?, if is_action { Role::Action } else { Role::Other }));
    }
    if type_name.contains('/') {
        // Another ROS type (Pose, Odometry, Imu, …): mapped by hand, field by field.
        return None;
    }
    // HDF5: the dataset is the field.
    let field = fields.iter().find(|f| f.width > 0)?;
    let leaf = lower.rsplit('/').next().unwrap_or(&lower);
    let role = if matches!(leaf, "action" | "actions") {
        Role::Action
    } else if matches!(leaf, "qpos" | "joint_pos" | "robot0_joint_pos" | "state" | "states") {
        Role::State
    } else {
        Role::Other
    };
    Some((field, role))
}

/// `observation.<leaf>` for measured streams (`next.reward`, `next.done` for robomimic's).
fn other_feature_name(key: &str) -> String {
    let leaf = key.trim_matches('/').rsplit('/').next().unwrap_or(key);
    match leaf {
        "rewards" | "reward" => return "next.reward".into(),
        "dones" | "done" => return "next.done".into(),
        "qvel" => return "observation.velocity".into(),
        "effort" => return "observation.effort".into(),
        _ => {}
    }
    let slug: String = key
        .trim_matches('/')
        .trim_start_matches("observations/")
        .trim_start_matches("data/demo_*/obs/")
        .trim_start_matches("data/demo_*/")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
        .collect();
    format!("observation.{}", slug.trim_matches('_'))
}

/// The median time between samples, in seconds.
fn median_period_secs(times_ns: &[u64]) -> Option<f64> {
    let mut deltas: Vec<u64> = times_ns.windows(2).map(|w| w[1].saturating_sub(w[0])).filter(|&d| d > 0).collect();
    if deltas.is_empty() {
        return None;
    }
    let mid = deltas.len() / 2;
    let (_, median, _) = deltas.select_nth_unstable(mid);
    Some(*median as f64 * 1e-9)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recording::{StreamInfo, StreamSeries};

    fn stream(name: &str, type_name: &str, field: &str, width: usize, period_ns: u64, n: u64) -> EpisodeStream {
        let times_ns: Vec<u64> = (0..n).map(|i| 1_000 + i * period_ns).collect();
        let field = NumericField {
            name: field.into(),
            dimension_names: (0..width).map(|i| format!("j{i}")).collect(),
            width,
            values: vec![0.0; width * n as usize],
            absent_rows: Vec::new(),
        };
        EpisodeStream {
            info: StreamInfo {
                name: name.into(),
                type_name: type_name.into(),
                kind: StreamKind::Numeric,
                messages: n,
                first_time_ns: times_ns.first().copied(),
                last_time_ns: times_ns.last().copied(),
            },
            series: Ok(StreamSeries {
                stream: name.into(),
                times_ns: times_ns.clone(),
                fields: vec![field],
                header_times_ns: Vec::new(),
            }),
            times_ns,
            timed: true,
        }
    }

    #[test]
    fn joint_states_become_the_state_and_leader_topics_the_action() {
        let streams = [
            stream("/leader/joint_states", "sensor_msgs/msg/JointState", "position", 6, 10_000_000, 50),
            stream("/follower/joint_states", "sensor_msgs/msg/JointState", "position", 6, 10_000_000, 50),
            stream("/imu_like", "std_msgs/msg/Float64MultiArray", "data", 3, 20_000_000, 20),
        ];
        let s = suggest_from_streams(&streams);
        let names: Vec<(&str, &str)> =
            s.mapping.features.iter().map(|f| (f.name.as_str(), f.stream.as_str())).collect();
        assert_eq!(
            names,
            [
                ("observation.state", "/follower/joint_states"),
                ("action", "/leader/joint_states"),
                ("observation.imu_like", "/imu_like")
            ]
        );
        assert_eq!(s.mapping.fps, 100);
        assert_eq!(s.mapping.features[1].resample, Resample::Hold);
        assert_eq!(s.mapping.features[0].names.as_deref().map(<[String]>::len), Some(6));
        // 1.5 × the 20 ms period of the slower stream.
        assert_eq!(s.mapping.features[2].tolerance_secs, Some(0.03));
        // And the suggestion is a valid mapping that prints and parses back.
        assert_eq!(Mapping::parse(&s.mapping.to_toml(), "suggested").expect("valid"), s.mapping);
    }

    #[test]
    fn aloha_datasets_get_their_lerobot_names() {
        let streams = [
            stream("/action", "float64[50, 14]", "/action", 14, 20_000_000, 50),
            stream("/observations/qpos", "float64[50, 14]", "/observations/qpos", 14, 20_000_000, 50),
            stream("/observations/qvel", "float64[50, 14]", "/observations/qvel", 14, 20_000_000, 50),
        ];
        let s = suggest_from_streams(&streams);
        let names: Vec<&str> = s.mapping.features.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["observation.state", "action", "observation.velocity"]);
        assert!(s.mapping.features.iter().all(|f| f.field.is_none()), "an HDF5 dataset is its own field");
        assert_eq!(s.mapping.fps, 50);
    }
}
