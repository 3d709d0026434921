//! Plain logic of the recording views (tested natively): times relative to the recording's start,
//! its span, what to call picked files, and one episode's streams as the explorer draws them (each
//! numeric stream on its own time axis, its scalar leaves grouped into vectors).

use episcope_core::check::recording::{stream_timing, StreamTiming};
use episcope_core::lerobot::{EpisodeFrames, FeatureSeries};
use episcope_core::recording::read::EpisodeStream;
use episcope_core::recording::{NumericField, Recording, StreamKind};
use serde::{Deserialize, Serialize};

/// Seconds from `start_ns` to `time_ns` (None without a start, or before it).
pub fn relative_secs(time_ns: u64, start_ns: Option<u64>) -> Option<f64> {
    let start = start_ns?;
    (time_ns >= start).then(|| (time_ns - start) as f64 * 1e-9)
}

/// From the earliest to the latest message of any episode, in seconds (None without times, as in
/// HDF5 files).
pub fn recording_span_secs(recording: &Recording) -> Option<f64> {
    let start = recording.episodes.iter().filter_map(|e| e.start_time_ns).min()?;
    let end = recording.episodes.iter().filter_map(|e| e.end_time_ns).max()?;
    relative_secs(end, Some(start))
}

/// What to call picked recording files: the folder they came from, else the file (`a.bag`), or
/// the first file and how many more (`a.bag + 2`).
pub fn recording_name(folder_name: Option<&str>, files: &[&str]) -> String {
    if let Some(folder) = folder_name.filter(|f| !f.is_empty()) {
        return folder.to_string();
    }
    let file_name = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();
    match files {
        [] => "recording".to_string(),
        [one] => file_name(one),
        [first, rest @ ..] => format!("{} + {}", file_name(first), rest.len()),
    }
}

/// Gaps the readiness check found per stream (`recording.gap` occurrences, all episodes), for the
/// overview's streams table once the check has run.
pub fn gaps_by_stream(report: &episcope_core::check::Report) -> std::collections::BTreeMap<String, u64> {
    let mut out = std::collections::BTreeMap::new();
    for finding in report.findings.iter().filter(|f| f.rule == "recording.gap") {
        if let Some(stream) = &finding.location.feature {
            *out.entry(stream.clone()).or_insert(0) += finding.count;
        }
    }
    out
}

/// One episode of a recording as the explorer shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordingEpisodeView {
    pub episode_index: u64,
    /// The file (and robomimic demo).
    pub name: String,
    /// From the first to the last message of any stream, seconds (0 at the first message).
    pub duration_secs: f64,
    /// Whether times are logged (bags) rather than frame numbers over a rate (HDF5).
    pub timed: bool,
    /// Numeric streams, each with its own time axis.
    pub numeric: Vec<StreamFrames>,
    /// Image streams: when each frame was logged (the frame itself is read on demand).
    pub images: Vec<ImageTimeline>,
    /// Streams with nothing to plot or show, and why.
    pub not_shown: Vec<NotShown>,
    /// Every stream's messages and timing in this episode (the rate rules' own measures).
    #[serde(default)]
    pub streams: Vec<StreamRow>,
}

/// One stream of the episode, measured from its messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamRow {
    pub stream: String,
    pub type_name: String,
    pub kind: StreamKind,
    pub messages: u64,
    pub first_secs: Option<f64>,
    pub last_secs: Option<f64>,
    /// Rate, gaps and longest interval; `None` for frame numbers over a rate (HDF5).
    pub timing: Option<StreamTiming>,
}

/// A numeric stream's features on its own time axis (`frames.timestamps_secs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamFrames {
    pub stream: String,
    pub type_name: String,
    pub frames: EpisodeFrames,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageTimeline {
    pub stream: String,
    pub type_name: String,
    pub compressed: bool,
    pub times_secs: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotShown {
    pub stream: String,
    pub type_name: String,
    pub reason: String,
}

impl RecordingEpisodeView {
    /// The stream whose messages the timeline steps through: the one with the most.
    pub fn densest(&self) -> Option<&StreamFrames> {
        self.numeric.iter().max_by_key(|s| s.frames.timestamps_secs.len())
    }

    /// The stream the 3D view starts with: the first whose fields hold a position (`x`, `y`,
    /// `z`), else the first with three dimensions or more.
    pub fn default_3d_stream(&self) -> Option<usize> {
        let has_xyz = |s: &StreamFrames| {
            s.frames.series.iter().any(|f| ["x", "y", "z"].iter().all(|axis| f.labels.iter().any(|l| l == axis)))
        };
        let dims = |s: &StreamFrames| s.frames.series.iter().map(|f| f.dimensions.len()).sum::<usize>();
        self.numeric.iter().position(has_xyz).or_else(|| self.numeric.iter().position(|s| dims(s) >= 3))
    }
}

/// `pose.position.x` → (`pose.position`, `x`); a top-level name has no parent.
fn parent_and_leaf(name: &str) -> (Option<&str>, &str) {
    match name.rsplit_once('.') {
        Some((parent, leaf)) => (Some(parent), leaf),
        None => (None, name),
    }
}

/// A stream's fields as plot features: consecutive scalar leaves of one parent (`pose.position.x`,
/// `.y`, `.z`) become one feature `pose.position` with dimensions `x`, `y`, `z`; arrays keep their
/// dimension names (JointState joints, `name[i]`). Values become one column per dimension.
pub fn features_of(fields: &[NumericField], messages: usize) -> Vec<FeatureSeries> {
    let column = |field: &NumericField, d: usize| -> Vec<f64> {
        (0..messages).map(|m| field.values.get(m * field.width + d).copied().unwrap_or(f64::NAN)).collect()
    };
    let mut out: Vec<FeatureSeries> = Vec::new();
    let mut open_group: Option<String> = None;
    for field in fields {
        let (parent, leaf) = parent_and_leaf(&field.name);
        if field.width == 1 {
            if let Some(parent) = parent {
                if open_group.as_deref() == Some(parent) {
                    if let Some(group) = out.last_mut() {
                        group.labels.push(leaf.to_string());
                        group.dimensions.push(column(field, 0));
                        continue;
                    }
                }
                open_group = Some(parent.to_string());
                out.push(FeatureSeries {
                    feature: parent.to_string(),
                    labels: vec![leaf.to_string()],
                    dimensions: vec![column(field, 0)],
                });
                continue;
            }
        }
        open_group = None;
        let labels = (0..field.width)
            .map(|d| field.dimension_names.get(d).cloned().unwrap_or_else(|| format!("{}[{d}]", field.name)))
            .collect();
        let dimensions = (0..field.width).map(|d| column(field, d)).collect();
        out.push(FeatureSeries { feature: field.name.clone(), labels, dimensions });
    }
    out
}

/// One read episode as the explorer shows it: every time in seconds from the episode's first
/// message (or frame 0), numeric streams grouped, image streams with their frame times.
pub fn episode_view(episode_index: u64, name: &str, streams: &[EpisodeStream]) -> RecordingEpisodeView {
    let start_ns = streams.iter().filter_map(|s| s.times_ns.first().copied()).min().unwrap_or(0);
    let end_ns = streams.iter().filter_map(|s| s.times_ns.last().copied()).max().unwrap_or(start_ns);
    let secs = |times: &[u64]| -> Vec<f64> { times.iter().map(|t| t.saturating_sub(start_ns) as f64 * 1e-9).collect() };
    let timed = streams.iter().any(|s| s.timed);
    let mut view = RecordingEpisodeView {
        episode_index,
        name: name.to_string(),
        duration_secs: end_ns.saturating_sub(start_ns) as f64 * 1e-9,
        timed,
        numeric: Vec::new(),
        images: Vec::new(),
        not_shown: Vec::new(),
        streams: Vec::new(),
    };
    for stream in streams {
        let info = &stream.info;
        let relative = |t: Option<&u64>| t.map(|t| t.saturating_sub(start_ns) as f64 * 1e-9);
        view.streams.push(StreamRow {
            stream: info.name.clone(),
            type_name: info.type_name.clone(),
            kind: info.kind,
            messages: stream.times_ns.len() as u64,
            first_secs: relative(stream.times_ns.first()),
            last_secs: relative(stream.times_ns.last()),
            timing: stream.timed.then(|| stream_timing(&stream.times_ns)),
        });
        let not_shown =
            |reason: String| NotShown { stream: info.name.clone(), type_name: info.type_name.clone(), reason };
        match info.kind {
            StreamKind::Image | StreamKind::CompressedImage => {
                if stream.times_ns.is_empty() {
                    view.not_shown.push(not_shown("no frames".to_string()));
                } else {
                    view.images.push(ImageTimeline {
                        stream: info.name.clone(),
                        type_name: info.type_name.clone(),
                        compressed: info.kind == StreamKind::CompressedImage,
                        times_secs: secs(&stream.times_ns),
                    });
                }
            }
            _ => match &stream.series {
                Ok(series) if series.times_ns.is_empty() => view.not_shown.push(not_shown("no messages".to_string())),
                Ok(series) if series.fields.is_empty() => {
                    view.not_shown.push(not_shown("no numeric fields".to_string()))
                }
                Ok(series) => {
                    let times = secs(&series.times_ns);
                    let frames = EpisodeFrames {
                        episode_index,
                        frames: times.len(),
                        series: features_of(&series.fields, times.len()),
                        timestamps_secs: times,
                    };
                    view.numeric.push(StreamFrames {
                        stream: info.name.clone(),
                        type_name: info.type_name.clone(),
                        frames,
                    });
                }
                Err(reason) => view.not_shown.push(not_shown(reason.clone())),
            },
        }
    }
    view
}

#[cfg(test)]
mod tests {
    use super::*;
    use episcope_core::recording::{RecordingEpisode, RecordingFormat, StreamInfo, StreamSeries};

    fn field(name: &str, width: usize, values: Vec<f64>, dimension_names: &[&str]) -> NumericField {
        NumericField {
            name: name.to_string(),
            dimension_names: dimension_names.iter().map(|s| s.to_string()).collect(),
            width,
            values,
            absent_rows: Vec::new(),
        }
    }

    #[test]
    fn gaps_are_summed_per_stream_across_files() {
        // The gap fixture twice (two files): its one /joint_states gap counts once per file.
        let bytes = include_bytes!("../crates/episcope-core/tests/fixtures/recordings/defects/gap.mcap").to_vec();
        let mut tree = episcope_core::DatasetTree::new();
        for name in ["a.mcap", "b.mcap"] {
            tree.insert(name, std::sync::Arc::new(episcope_core::MemorySource::new(bytes.clone()))).unwrap();
        }
        let options = episcope_core::check::CheckOptions::default();
        let report = pollster::block_on(episcope_core::check::check_recording(&tree, "two", &options, &mut |_| {}));
        let gaps = gaps_by_stream(&report);
        assert_eq!(gaps.get("/joint_states"), Some(&2), "{gaps:?}");
        assert_eq!(gaps.len(), 1);
    }

    #[test]
    fn scalar_leaves_of_one_parent_become_one_vector_feature() {
        let fields = vec![
            field("pose.position.x", 1, vec![1.0, 2.0], &["pose.position.x"]),
            field("pose.position.y", 1, vec![3.0, 4.0], &["pose.position.y"]),
            field("pose.position.z", 1, vec![5.0, 6.0], &["pose.position.z"]),
            field("pose.orientation.w", 1, vec![1.0, 1.0], &[]),
            field("position", 2, vec![0.1, 0.2, 0.3, 0.4], &["shoulder", "elbow"]),
            field("count", 1, vec![7.0, 8.0], &[]),
            field("covariance", 2, vec![9.0], &[]),
        ];
        let features = features_of(&fields, 2);
        let names: Vec<&str> = features.iter().map(|f| f.feature.as_str()).collect();
        assert_eq!(names, ["pose.position", "pose.orientation", "position", "count", "covariance"]);
        assert_eq!(features[0].labels, ["x", "y", "z"]);
        assert_eq!(features[0].dimensions, vec![vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]]);
        assert_eq!(features[1].labels, ["w"]);
        assert_eq!(features[2].labels, ["shoulder", "elbow"]);
        assert_eq!(features[2].dimensions, vec![vec![0.1, 0.3], vec![0.2, 0.4]]);
        assert_eq!(features[3].labels, ["count[0]"]);
        // Values missing from a short field are NaN, not a panic.
        assert_eq!(features[4].labels, ["covariance[0]", "covariance[1]"]);
        assert!(features[4].dimensions[0][1].is_nan() && features[4].dimensions[1][0].is_nan());
    }

    fn stream(name: &str, kind: StreamKind, times_ns: Vec<u64>, series: Result<StreamSeries, String>) -> EpisodeStream {
        EpisodeStream {
            info: StreamInfo {
                name: name.to_string(),
                type_name: "t".to_string(),
                kind,
                messages: times_ns.len() as u64,
                first_time_ns: times_ns.first().copied(),
                last_time_ns: times_ns.last().copied(),
            },
            times_ns,
            timed: true,
            series,
        }
    }

    #[test]
    fn an_episode_keeps_each_stream_on_its_own_times_from_the_first_message() {
        let joints = StreamSeries {
            stream: "/joints".into(),
            times_ns: vec![2_000_000_000, 2_010_000_000, 2_020_000_000],
            fields: vec![field("position", 1, vec![0.0, 1.0, 2.0], &["j"])],
            header_times_ns: vec![],
        };
        let pose = StreamSeries {
            stream: "/pose".into(),
            times_ns: vec![2_005_000_000],
            fields: vec![
                field("p.x", 1, vec![1.0], &[]),
                field("p.y", 1, vec![2.0], &[]),
                field("p.z", 1, vec![3.0], &[]),
            ],
            header_times_ns: vec![],
        };
        let streams = vec![
            stream("/joints", StreamKind::Numeric, joints.times_ns.clone(), Ok(joints)),
            stream("/cam", StreamKind::Image, vec![1_990_000_000, 2_030_000_000], Err("not numeric".into())),
            stream("/pose", StreamKind::Numeric, pose.times_ns.clone(), Ok(pose)),
            stream("/custom", StreamKind::Numeric, vec![2_000_000_000], Err("no definition".into())),
        ];
        let view = episode_view(3, "a.mcap", &streams);
        assert!((view.duration_secs - 0.04).abs() < 1e-12);
        assert_eq!(view.numeric.len(), 2);
        let joints = &view.numeric[0].frames;
        assert_eq!(joints.episode_index, 3);
        let close = |a: &[f64], b: &[f64]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12);
        assert!(close(&joints.timestamps_secs, &[0.01, 0.02, 0.03]), "{:?}", joints.timestamps_secs);
        assert!(close(&view.numeric[1].frames.timestamps_secs, &[0.015]));
        assert!(close(&view.images[0].times_secs, &[0.0, 0.04]));
        assert_eq!(view.densest().map(|s| s.stream.as_str()), Some("/joints"));
        assert_eq!(view.default_3d_stream(), Some(1));
        assert_eq!(view.not_shown.len(), 1);
        assert_eq!(view.not_shown[0].reason, "no definition");
        assert_eq!(view.streams.len(), 4);
        assert_eq!(view.streams[1].messages, 2);
        assert_eq!(view.streams[1].first_secs, Some(0.0));
        assert!(view.streams[1].timing.is_some_and(|t| (t.longest_interval_secs.unwrap() - 0.04).abs() < 1e-12));
    }

    fn episode(index: usize, span: (Option<u64>, Option<u64>)) -> RecordingEpisode {
        RecordingEpisode {
            index,
            name: format!("e{index}.mcap"),
            format: RecordingFormat::Mcap,
            frames: 10,
            start_time_ns: span.0,
            end_time_ns: span.1,
            streams: Vec::new(),
            damage: None,
            parts: Vec::new(),
        }
    }

    #[test]
    fn picked_files_are_named_by_folder_or_file() {
        assert_eq!(recording_name(Some("bags"), &["bags/a.bag"]), "bags");
        assert_eq!(recording_name(None, &["a.bag"]), "a.bag");
        assert_eq!(recording_name(None, &["x/a.bag", "b.bag", "c.bag"]), "a.bag + 2");
        assert_eq!(recording_name(Some(""), &[]), "recording");
    }

    #[test]
    fn relative_times_and_spans() {
        assert_eq!(relative_secs(1_500_000_000, Some(1_000_000_000)), Some(0.5));
        assert_eq!(relative_secs(5, Some(10)), None);
        assert_eq!(relative_secs(5, None), None);
        let recording = Recording {
            formats: vec![RecordingFormat::Mcap],
            streams: Vec::new(),
            episodes: vec![
                episode(0, (Some(2_000_000_000), Some(3_000_000_000))),
                episode(1, (Some(1_000_000_000), Some(2_500_000_000))),
            ],
        };
        assert_eq!(recording_span_secs(&recording), Some(2.0));
        let untimed = Recording {
            formats: vec![RecordingFormat::Hdf5Aloha],
            streams: Vec::new(),
            episodes: vec![episode(0, (None, None))],
        };
        assert_eq!(recording_span_secs(&untimed), None);
    }
}
