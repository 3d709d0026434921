//! Converts a recording (MCAP, rosbag2, ROS 1, HDF5) into a LeRobot v3.0 dataset by a
//! [`Mapping`]: each episode is read, cut into dataset episodes, resampled onto the frame grid and
//! written by [`crate::writer::v3::DatasetWriter`]. The output's proof is the checker, run on it
//! by the caller. [`lerobot`] converts LeRobot datasets of any version to v3.0 on the same writer.

pub mod images;
pub mod lerobot;
pub mod mapping;
pub mod resample;
pub mod suggest;

use crate::recording::image::open_image_stream;
use crate::recording::open::strip_demo;
use crate::recording::read::{read_episode_streams, EpisodeStream};
use crate::recording::{NumericField, Recording, RecordingError};
use crate::tree::DatasetTree;
use crate::writer::v3::{
    write_dataset_card, DatasetSettings, DatasetWriter, EpisodeImages, EpisodeVideo, FeatureSpec, ImageFeatureSpec,
    VideoFeatureSpec, WriteSummary,
};
use crate::writer::video::{video_feature_info, VideoEncoders, VideoTrackWriter};
use crate::writer::{DatasetSink, WriteError};
use images::{camera_episode, nearest_frames, RgbFrames};

pub use lerobot::{relayout_dataset, LayoutOptions, RelayoutSummary};
pub use mapping::{CameraDtype, Clock, FeatureMapping, Mapping, MappingError, OnFlagged, Split};
pub use resample::{frame_grid, resample, FlaggedFrame, Resample, Resampled};
pub use suggest::{suggest_mapping, suggest_mapping_with, Suggestion};

/// No dataset episode may be longer than this (one episode's frames are held in memory).
pub const MAX_EPISODE_FRAMES: usize = 1 << 22;

/// Why a conversion stopped; names the stream, the episode or the file.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    #[error(transparent)]
    Recording(#[from] RecordingError),
    #[error(transparent)]
    Mapping(#[from] MappingError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("{reason} (stream {stream} in {file})")]
    Stream { reason: String, stream: String, file: String },
    #[error(
        "episode {episode}, frame {frame} at {time_secs:.3} s: the nearest sample of {feature} is {distance} away, \
         beyond its tolerance of {tolerance_secs} s; widen tolerance_secs, choose another resample, or set \
         [episodes] flagged = \"keep\" ({file})"
    )]
    Flagged {
        episode: u64,
        frame: usize,
        time_secs: f64,
        feature: String,
        distance: String,
        tolerance_secs: f64,
        file: String,
    },
    #[error("nothing to write: no episode of the recording has frames covered by every feature")]
    Empty,
    #[error("cannot convert the dataset ({reason}): {path}")]
    Dataset { reason: String, path: String },
    #[error("the conversion was cancelled")]
    Cancelled,
}

/// How far a conversion is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvertProgress {
    pub recording_episodes_done: usize,
    pub recording_episodes_total: usize,
    pub dataset_episodes: u64,
    pub frames_written: u64,
}

/// Frames of one feature of one dataset episode that no sample supported within the tolerance
/// (written because the mapping says `flagged = "keep"`).
#[derive(Debug, Clone, PartialEq)]
pub struct FlaggedFeature {
    pub episode: u64,
    pub feature: String,
    pub frames: usize,
    pub worst_distance_ns: u64,
}

/// One dataset episode and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvertedEpisode {
    pub index: u64,
    /// The recording episode's name (file, or `file#demo_N`).
    pub source: String,
    pub frames: usize,
    /// Log time of frame 0, ns since the epoch (for HDF5: the frame index over the file's rate).
    pub start_time_ns: u64,
    pub task: String,
}

/// What a conversion wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvertSummary {
    pub written: WriteSummary,
    pub episodes: Vec<ConvertedEpisode>,
    pub flagged: Vec<FlaggedFeature>,
    /// Recording episodes that gave no frames (a feature's stream missing its time span), with why.
    pub skipped: Vec<(String, String)>,
}

/// Lets the sink store what was written so far ([`DatasetSink::settle`]); its error names the file.
pub(crate) async fn settle(sink: &mut dyn DatasetSink) -> Result<(), ConvertError> {
    sink.settle().await.map_err(|source| ConvertError::Write(WriteError::Io { source, path: "the output".into() }))
}

/// Converts every episode of `recording` (opened from `tree`) by `mapping` into `sink`.
/// `cancelled` is asked between episodes; a cancelled or failed conversion leaves no
/// `meta/info.json` in the sink.
pub async fn convert_recording(
    tree: &DatasetTree,
    recording: &Recording,
    mapping: &Mapping,
    sink: &mut dyn DatasetSink,
    progress: &mut dyn FnMut(ConvertProgress),
    cancelled: &dyn Fn() -> bool,
) -> Result<ConvertSummary, ConvertError> {
    convert_recording_laid_out(tree, recording, mapping, LayoutOptions::default(), sink, progress, cancelled).await
}

/// [`convert_recording`] with the output's chunk and file sizes chosen (cameras with
/// `dtype = "video"` are refused: there is no encoder; see [`convert_recording_with_video`]).
pub async fn convert_recording_laid_out(
    tree: &DatasetTree,
    recording: &Recording,
    mapping: &Mapping,
    layout: LayoutOptions,
    sink: &mut dyn DatasetSink,
    progress: &mut dyn FnMut(ConvertProgress),
    cancelled: &dyn Fn() -> bool,
) -> Result<ConvertSummary, ConvertError> {
    convert_recording_with_video(tree, recording, mapping, layout, None, sink, progress, cancelled).await
}

/// [`convert_recording_laid_out`] with the encoder that writes the `dtype = "video"` cameras.
#[allow(clippy::too_many_arguments)]
pub async fn convert_recording_with_video(
    tree: &DatasetTree,
    recording: &Recording,
    mapping: &Mapping,
    layout: LayoutOptions,
    video: Option<&dyn VideoEncoders>,
    sink: &mut dyn DatasetSink,
    progress: &mut dyn FnMut(ConvertProgress),
    cancelled: &dyn Fn() -> bool,
) -> Result<ConvertSummary, ConvertError> {
    mapping.validate().map_err(|reason| ConvertError::Stream {
        reason,
        stream: String::new(),
        file: "the mapping".into(),
    })?;
    let settings = DatasetSettings {
        fps: mapping.fps,
        robot_type: mapping.robot_type.clone(),
        chunks_size: layout.chunks_size,
        data_files_size_in_mb: layout.data_files_size_in_mb,
        ..DatasetSettings::default()
    };
    if video.is_none() {
        if let Some(camera) = mapping.cameras.iter().find(|c| c.dtype == CameraDtype::Video) {
            return Err(ConvertError::Stream {
                reason: format!(
                    "camera {}: dtype = \"video\" but this converter has no video encoder; set dtype = \"image\"",
                    camera.name
                ),
                stream: camera.stream.clone(),
                file: "the mapping".into(),
            });
        }
    }
    // Per camera: its video track, opened at its first episode (`None` for image cameras).
    let mut tracks: Vec<Option<VideoTrackWriter>> = mapping.cameras.iter().map(|_| None).collect();
    let mut writer: Option<DatasetWriter> = None;
    let mut episodes = Vec::new();
    let mut flagged_out = Vec::new();
    let mut skipped = Vec::new();
    let total = recording.episodes.len();
    for (done, episode) in recording.episodes.iter().enumerate() {
        settle(sink).await?;
        if cancelled() {
            return Err(ConvertError::Cancelled);
        }
        // Only the mapped topics (and the marker) are read: a bag's camera chunks are skipped
        // where its index allows.
        let mut topics: Vec<&str> = mapping.features.iter().map(|f| f.stream.as_str()).collect();
        topics.extend(mapping.episodes.marker_topic.as_deref());
        topics.extend(mapping.cameras.iter().map(|c| c.stream.as_str()));
        let streams = read_episode_streams(tree, episode, Some(&topics)).await?;
        let file = episode.name.clone();
        let sources = mapping
            .features
            .iter()
            .map(|feature| feature_source(&streams, feature, &file, &episode.streams))
            .collect::<Result<Vec<_>, _>>()?;
        // Each camera's frames (read once per recording episode) and their times.
        let mut cameras = Vec::with_capacity(mapping.cameras.len());
        for camera in &mapping.cameras {
            let err =
                |reason: String| ConvertError::Stream { reason, stream: camera.stream.clone(), file: file.clone() };
            let stream = find_stream(&streams, &camera.stream).ok_or_else(|| {
                let names: Vec<String> = episode.streams.iter().map(|s| strip_demo(&s.name)).collect();
                err(format!("camera {}: no such stream; the episode has {}", camera.name, names.join(", ")))
            })?;
            let frames = open_image_stream(tree, episode, &stream.info.name).await?;
            if frames.len() != stream.times_ns.len() {
                return Err(err(format!(
                    "camera {}: {} frames but {} times",
                    camera.name,
                    frames.len(),
                    stream.times_ns.len()
                )));
            }
            cameras.push((frames, stream.times_ns.as_slice()));
        }
        let segments = match segments(mapping, &streams, &sources, &file)? {
            Ok(segments) => segments,
            Err(why) => {
                skipped.push((file.clone(), why));
                continue;
            }
        };
        for (start_ns, end_ns) in segments {
            let grid = frame_grid(start_ns, end_ns, mapping.fps, MAX_EPISODE_FRAMES);
            if grid.is_empty() {
                continue;
            }
            let index = writer.as_ref().map_or(0, DatasetWriter::episodes_written);
            let mut values = Vec::with_capacity(sources.len());
            for (feature, source) in mapping.features.iter().zip(&sources) {
                let tolerance_secs = feature.tolerance_secs.unwrap_or(1.0 / f64::from(mapping.fps));
                let tolerance_ns = (tolerance_secs * 1e9).round() as u64;
                let resampled = resample(
                    source.times_ns,
                    &source.field.values,
                    source.field.width,
                    &grid,
                    feature.resample,
                    tolerance_ns,
                );
                if let Some(first) = resampled.flagged.first() {
                    match mapping.episodes.flagged {
                        OnFlagged::Error => {
                            return Err(ConvertError::Flagged {
                                episode: index,
                                frame: first.frame,
                                time_secs: first.frame as f64 / f64::from(mapping.fps),
                                feature: feature.name.clone(),
                                distance: describe_distance(first.distance_ns),
                                tolerance_secs,
                                file: file.clone(),
                            })
                        }
                        OnFlagged::Keep => flagged_out.push(FlaggedFeature {
                            episode: index,
                            feature: feature.name.clone(),
                            frames: resampled.flagged.len(),
                            worst_distance_ns: resampled.flagged.iter().map(|f| f.distance_ns).max().unwrap_or(0),
                        }),
                    }
                }
                values.push(resampled.values);
            }
            let mut images = Vec::with_capacity(cameras.len());
            let mut videos = Vec::new();
            let mut video_features = Vec::new();
            for (position, (camera, (frames, times_ns))) in mapping.cameras.iter().zip(&cameras).enumerate() {
                let tolerance_secs = camera.tolerance_secs.unwrap_or(1.0 / f64::from(mapping.fps));
                let (indices, flagged) = nearest_frames(times_ns, &grid, (tolerance_secs * 1e9).round() as u64);
                if let Some(&(frame, distance_ns)) = flagged.first() {
                    match mapping.episodes.flagged {
                        OnFlagged::Error => {
                            return Err(ConvertError::Flagged {
                                episode: index,
                                frame,
                                time_secs: frame as f64 / f64::from(mapping.fps),
                                feature: camera.name.clone(),
                                distance: describe_distance(distance_ns),
                                tolerance_secs,
                                file: file.clone(),
                            })
                        }
                        OnFlagged::Keep => flagged_out.push(FlaggedFeature {
                            episode: index,
                            feature: camera.name.clone(),
                            frames: flagged.len(),
                            worst_distance_ns: flagged.iter().map(|f| f.1).max().unwrap_or(0),
                        }),
                    }
                }
                let camera_err = |reason: String| ConvertError::Stream {
                    reason: format!("camera {}: {reason}", camera.name),
                    stream: camera.stream.clone(),
                    file: file.clone(),
                };
                match (camera.dtype, video) {
                    (CameraDtype::Video, Some(encoders)) => {
                        let mut rgb = RgbFrames::new(frames, &indices).map_err(camera_err)?;
                        let size = rgb.size();
                        let track = match &mut tracks[position] {
                            Some(track) => track,
                            empty => empty.insert(VideoTrackWriter::new(
                                encoders,
                                &camera.name,
                                size,
                                mapping.fps,
                                settings.video_files_size_in_mb,
                                settings.chunks_size,
                            )?),
                        };
                        if track.size() != size {
                            let (w, h) = track.size();
                            return Err(camera_err(format!(
                                "{}×{} here but {w}×{h} in the first episode",
                                size.0, size.1
                            )));
                        }
                        let location = track.append_episode(sink, grid.len(), &mut |k| rgb.frame(k)).await?;
                        videos.push(EpisodeVideo { location, stats: rgb.stats() });
                        if writer.is_none() {
                            video_features.push(VideoFeatureSpec {
                                name: camera.name.clone(),
                                info: video_feature_info(size.0, size.1, mapping.fps, encoders.codec()),
                            });
                        }
                    }
                    _ => images.push(camera_episode(frames, &indices).map_err(camera_err)?),
                }
            }
            if writer.is_none() {
                let features = mapping
                    .features
                    .iter()
                    .zip(&sources)
                    .map(|(feature, source)| FeatureSpec {
                        name: feature.name.clone(),
                        names: feature.names.clone().unwrap_or_else(|| dimension_names(source.field)),
                    })
                    .collect();
                let image_features = mapping
                    .cameras
                    .iter()
                    .filter(|c| c.dtype == CameraDtype::Image)
                    .zip(&images)
                    .map(|(camera, frames)| ImageFeatureSpec {
                        name: camera.name.clone(),
                        height: frames.height,
                        width: frames.width,
                    })
                    .collect();
                writer = Some(DatasetWriter::with_media(settings.clone(), features, image_features, video_features)?);
            }
            let Some(w) = writer.as_mut() else { continue };
            for ((spec, source), feature) in w.features().iter().zip(&sources).zip(&mapping.features) {
                if spec.width() != source.field.width {
                    return Err(ConvertError::Stream {
                        reason: format!(
                            "{} has {} dimensions here but {} ({}) in the first episode",
                            source.field.name,
                            source.field.width,
                            spec.width(),
                            feature.name
                        ),
                        stream: feature.stream.clone(),
                        file: file.clone(),
                    });
                }
            }
            for (spec, frames) in w.image_features().iter().zip(&images) {
                if (spec.width, spec.height) != (frames.width, frames.height) {
                    return Err(ConvertError::Stream {
                        reason: format!(
                            "camera {} is {}×{} here but {}×{} in the first episode",
                            spec.name, frames.width, frames.height, spec.width, spec.height
                        ),
                        stream: String::new(),
                        file: file.clone(),
                    });
                }
            }
            let task = mapping.task_of(index).to_string();
            let images =
                images.into_iter().map(|c| EpisodeImages { png_frames: c.png_frames, stats: c.stats }).collect();
            w.write_episode_with_media(sink, &values, images, videos, grid.len(), &task)?;
            episodes.push(ConvertedEpisode {
                index,
                source: file.clone(),
                frames: grid.len(),
                start_time_ns: grid[0],
                task,
            });
        }
        progress(ConvertProgress {
            recording_episodes_done: done + 1,
            recording_episodes_total: total,
            dataset_episodes: writer.as_ref().map_or(0, DatasetWriter::episodes_written),
            frames_written: episodes.iter().map(|e| e.frames as u64).sum(),
        });
    }
    let Some(writer) = writer else { return Err(ConvertError::Empty) };
    if cancelled() {
        return Err(ConvertError::Cancelled);
    }
    let mut card = None;
    if let Some(license) = &mapping.license {
        card = Some(write_dataset_card(sink, license, mapping.robot_type.as_deref())?);
    }
    let mut before_info = Vec::new();
    for track in tracks.into_iter().flatten() {
        before_info.extend(track.finish(sink)?);
    }
    before_info.extend(card);
    let mut written = writer.finish(sink)?;
    settle(sink).await?;
    let info = written.files.len() - 1;
    written.files.splice(info..info, before_info);
    Ok(ConvertSummary { written, episodes, flagged: flagged_out, skipped })
}

/// Where one feature's samples come from in one recording episode.
struct Source<'a> {
    times_ns: &'a [u64],
    field: &'a NumericField,
}

/// The stream named by a mapping (robomimic names stand for every demo: `data/demo_*/…`).
pub(crate) fn find_stream<'a>(streams: &'a [EpisodeStream], name: &str) -> Option<&'a EpisodeStream> {
    streams.iter().find(|s| s.info.name == name).or_else(|| streams.iter().find(|s| strip_demo(&s.info.name) == name))
}

fn feature_source<'a>(
    streams: &'a [EpisodeStream],
    feature: &FeatureMapping,
    file: &str,
    in_episode: &[crate::recording::StreamInfo],
) -> Result<Source<'a>, ConvertError> {
    let err = |reason: String| ConvertError::Stream { reason, stream: feature.stream.clone(), file: file.to_string() };
    let stream = find_stream(streams, &feature.stream).ok_or_else(|| {
        let names: Vec<String> = in_episode.iter().map(|s| strip_demo(&s.name)).collect();
        err(format!("feature {}: no such stream; the episode has {}", feature.name, names.join(", ")))
    })?;
    let series =
        stream.series.as_ref().map_err(|why| err(format!("feature {}: cannot decode: {why}", feature.name)))?;
    let field = match &feature.field {
        Some(name) => series.fields.iter().find(|f| &f.name == name),
        None if series.fields.len() == 1 => series.fields.first(),
        None => None,
    };
    let field = field.ok_or_else(|| {
        let names: Vec<&str> = series.fields.iter().map(|f| f.name.as_str()).collect();
        let wanted = feature.field.as_deref().map_or("a field".to_string(), |f| format!("field {f}"));
        err(format!("feature {}: {wanted} is not in the stream; its fields: {}", feature.name, names.join(", ")))
    })?;
    let times_ns: &[u64] = match feature.clock {
        Clock::Log => &series.times_ns,
        Clock::Header if series.header_times_ns.len() == series.times_ns.len() => &series.header_times_ns,
        Clock::Header => {
            return Err(err(format!(
                "feature {}: clock = \"header\" but not every message has a header.stamp",
                feature.name
            )))
        }
    };
    if times_ns.windows(2).any(|w| w[1] < w[0]) {
        return Err(err(format!("feature {}: the samples' times go backwards", feature.name)));
    }
    Ok(Source { times_ns, field })
}

fn dimension_names(field: &NumericField) -> Vec<String> {
    if field.dimension_names.len() == field.width {
        field.dimension_names.clone()
    } else {
        let leaf = field.name.rsplit(['/', '.']).next().unwrap_or(&field.name);
        (0..field.width).map(|i| format!("{leaf}[{i}]")).collect()
    }
}

/// The dataset episodes of one recording episode as `[start, end]` log times, or why it has none.
fn segments(
    mapping: &Mapping,
    streams: &[EpisodeStream],
    sources: &[Source<'_>],
    file: &str,
) -> Result<Result<Vec<(u64, u64)>, String>, ConvertError> {
    // Every feature must have started and not yet ended.
    let mut start = 0u64;
    let mut end = u64::MAX;
    for (source, feature) in sources.iter().zip(&mapping.features) {
        match (source.times_ns.first(), source.times_ns.last()) {
            (Some(&first), Some(&last)) => {
                start = start.max(first);
                end = end.min(last);
            }
            _ => return Ok(Err(format!("stream {} of {} has no messages", feature.stream, feature.name))),
        }
    }
    if end < start {
        return Ok(Err("the features' streams do not overlap in time".into()));
    }
    let cuts: Vec<(u64, u64)> = match mapping.episodes.split {
        Split::File => vec![(start, end)],
        Split::Gap => {
            let gap_ns = (mapping.episodes.gap_secs.unwrap_or(f64::INFINITY) * 1e9) as u64;
            let times = sources.first().map_or(&[][..], |s| s.times_ns);
            let mut cuts = Vec::new();
            let mut seg_start = times.first().copied().unwrap_or(start);
            for pair in times.windows(2) {
                if pair[1] - pair[0] > gap_ns {
                    cuts.push((seg_start, pair[0]));
                    seg_start = pair[1];
                }
            }
            cuts.push((seg_start, times.last().copied().unwrap_or(end)));
            cuts
        }
        Split::Marker => {
            let topic = mapping.episodes.marker_topic.as_deref().unwrap_or_default();
            let marker = find_stream(streams, topic).ok_or_else(|| ConvertError::Stream {
                reason: "the marker topic is not in the episode".into(),
                stream: topic.to_string(),
                file: file.to_string(),
            })?;
            let marks = &marker.times_ns;
            marks
                .iter()
                .enumerate()
                .map(|(i, &m)| (m, marks.get(i + 1).map_or(end, |&next| next.saturating_sub(1))))
                .collect()
        }
    };
    Ok(Ok(cuts.into_iter().map(|(a, b)| (a.max(start), b.min(end))).filter(|(a, b)| a <= b).collect()))
}

fn describe_distance(distance_ns: u64) -> String {
    if distance_ns == u64::MAX {
        "missing (no sample before the frame)".to_string()
    } else {
        format!("{:.3} s", distance_ns as f64 * 1e-9)
    }
}
