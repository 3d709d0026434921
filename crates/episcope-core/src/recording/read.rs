//! Reads one episode of a recording in full: every stream's message times and decoded numbers
//! (what the readiness checks and the episode view need).

use std::collections::BTreeMap;

use super::open::{RecordingEpisode, RecordingError};
use super::{RawChannel, RawMessage, StreamInfo, StreamKind, StreamSeries};
use crate::formats::ros_msg::decode_stream;
use crate::formats::{hdf5, mcap, rosbag1, rosbag2};
use crate::tree::DatasetTree;

/// One stream of one episode, read in full.
#[derive(Debug, Clone, PartialEq)]
pub struct EpisodeStream {
    pub info: StreamInfo,
    /// When each message was logged, ascending. For HDF5: frame `i` at `i / fps`.
    pub times_ns: Vec<u64>,
    /// False when the times are only frame numbers over a rate (HDF5): timing checks do not apply.
    pub timed: bool,
    /// The decoded numbers, or why the messages could not be decoded with the file's schema.
    pub series: Result<StreamSeries, String>,
}

/// The file path and, for robomimic, the demo (`path#demo_0`) of an episode.
pub fn episode_file(episode: &RecordingEpisode) -> (&str, Option<&str>) {
    match episode.name.split_once('#') {
        Some((path, demo)) => (path, Some(demo)),
        None => (&episode.name, None),
    }
}

/// Reads every stream of `episode` (one of [`super::open_recording`]'s episodes of `tree`).
/// Errors (unreadable container) name the file; a stream that does not decode is kept with its
/// times and the reason in [`EpisodeStream::series`].
pub async fn read_episode(
    tree: &DatasetTree,
    episode: &RecordingEpisode,
) -> Result<Vec<EpisodeStream>, RecordingError> {
    read_episode_streams(tree, episode, None).await
}

/// [`read_episode`] restricted to the named topics of a ROS container (only their messages are
/// read where the container can skip the others: what a conversion needs of a bag with cameras).
/// HDF5 episodes are read whole either way.
pub async fn read_episode_streams(
    tree: &DatasetTree,
    episode: &RecordingEpisode,
    topics: Option<&[&str]>,
) -> Result<Vec<EpisodeStream>, RecordingError> {
    if topics.is_some() && !is_hdf5(episode_file(episode).0) {
        let (channels, messages) = read_ros_messages(tree, &episode.files(), topics).await?;
        let wanted: Vec<RawChannel> =
            channels.into_iter().filter(|c| topics.is_none_or(|t| t.contains(&c.topic.as_str()))).collect();
        return Ok(ros_streams(episode, &wanted, messages));
    }
    let mut read = read_file_episodes(tree, std::slice::from_ref(episode)).await?;
    Ok(read.pop().unwrap_or_default())
}

/// [`read_episode`] for several episodes of one file (robomimic demos), opening the file once.
/// `episodes` must all name the same file; the result has one entry per episode, in order.
pub async fn read_file_episodes(
    tree: &DatasetTree,
    episodes: &[RecordingEpisode],
) -> Result<Vec<Vec<EpisodeStream>>, RecordingError> {
    let Some(first) = episodes.first() else { return Ok(Vec::new()) };
    let (path, _) = episode_file(first);
    let open_err = |reason: String| RecordingError::Open { reason, path: path.to_string() };
    if let Some(other) = episodes.iter().find(|e| episode_file(e).0 != path) {
        return Err(open_err(format!("read together with {}, another file", other.name)));
    }
    if !is_hdf5(path) {
        // A ROS container (or a split bag's files) is one episode.
        let (channels, messages) = read_ros_messages(tree, &first.files(), None).await?;
        return Ok(vec![ros_streams(first, &channels, messages)]);
    }
    let file = tree.get(path).ok_or_else(|| open_err("the file is not in the opened folder".into()))?;
    // HDF5 is read whole into memory (not lazily yet): once for all of its demos.
    let file = hdf5::open_hdf5(file.source.as_ref()).await.map_err(|e| open_err(e.to_string()))?;
    let mut out = Vec::with_capacity(episodes.len());
    for episode in episodes {
        let demo = episode_file(episode).1;
        out.push(read_hdf5_episode(&file, episode, demo).map_err(|e| open_err(e.to_string()))?);
    }
    Ok(out)
}

fn is_hdf5(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".hdf5") || lower.ends_with(".h5")
}

/// The channels and messages of a ROS container (`.mcap`, `.db3`, `.bag`), or of the files of a
/// split bag in order: channels are matched across files by topic and type (each file numbers its
/// own), messages are renumbered to the merged channels and kept in log-time order. With
/// `topics`, only those topics' messages are read (where the container can skip the others).
/// Errors name the file.
pub async fn read_ros_messages(
    tree: &DatasetTree,
    files: &[&str],
    topics: Option<&[&str]>,
) -> Result<(Vec<RawChannel>, Vec<RawMessage>), RecordingError> {
    let mut channels: Vec<RawChannel> = Vec::new();
    let mut messages: Vec<RawMessage> = Vec::new();
    for &path in files {
        let (file_channels, file_messages) = read_container(tree, path, topics).await?;
        let mut id_of = BTreeMap::new();
        for channel in file_channels {
            let known = channels
                .iter()
                .find(|c| c.topic == channel.topic && c.message_type == channel.message_type)
                .map(|c| c.id);
            let id = known.unwrap_or_else(|| {
                let id = channels.len() as u32;
                channels.push(RawChannel { id, ..channel.clone() });
                id
            });
            id_of.insert(channel.id, id);
        }
        messages.extend(file_messages.into_iter().filter_map(|m| {
            let channel_id = *id_of.get(&m.channel_id)?;
            Some(RawMessage { channel_id, ..m })
        }));
    }
    if files.len() > 1 {
        messages.sort_by_key(|m| m.log_time_ns);
    }
    Ok((channels, messages))
}

async fn read_container(
    tree: &DatasetTree,
    path: &str,
    topics: Option<&[&str]>,
) -> Result<(Vec<RawChannel>, Vec<RawMessage>), RecordingError> {
    let open_err = |reason: String| RecordingError::Open { reason, path: path.to_string() };
    let file = tree.get(path).ok_or_else(|| open_err("the file is not in the opened folder".into()))?;
    let source = file.source.as_ref();
    let wanted = |channels: &[RawChannel]| -> Option<Vec<u32>> {
        topics.map(|t| channels.iter().filter(|c| t.contains(&c.topic.as_str())).map(|c| c.id).collect())
    };
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".mcap") {
        let summary = mcap::read_mcap_summary(source).await.map_err(|e| open_err(e.to_string()))?;
        let ids = wanted(&summary.channels);
        let messages =
            mcap::read_mcap_messages(source, &summary, ids.as_deref()).await.map_err(|e| open_err(e.to_string()))?;
        Ok((summary.channels, messages))
    } else if lower.ends_with(".db3") {
        let summary = rosbag2::read_db3_summary(source).await.map_err(|e| open_err(e.to_string()))?;
        let ids = wanted(&summary.channels);
        let messages =
            rosbag2::read_db3_messages(source, &summary, ids.as_deref()).await.map_err(|e| open_err(e.to_string()))?;
        Ok((summary.channels, messages))
    } else if lower.ends_with(".bag") {
        let summary = rosbag1::read_summary(source).await.map_err(|e| open_err(e.to_string()))?;
        let ids = wanted(&summary.channels);
        let messages =
            rosbag1::read_messages(source, &summary, ids.as_deref()).await.map_err(|e| open_err(e.to_string()))?;
        Ok((summary.channels, messages))
    } else {
        Err(open_err("not a ROS container (.mcap, .db3, .bag)".to_string()))
    }
}

fn ros_streams(episode: &RecordingEpisode, channels: &[RawChannel], messages: Vec<RawMessage>) -> Vec<EpisodeStream> {
    let mut by_channel: BTreeMap<u32, Vec<RawMessage>> = BTreeMap::new();
    for message in messages {
        by_channel.entry(message.channel_id).or_default().push(message);
    }
    channels
        .iter()
        .map(|channel| {
            let messages = by_channel.remove(&channel.id).unwrap_or_default();
            let times_ns: Vec<u64> = messages.iter().map(|m| m.log_time_ns).collect();
            let info =
                episode.streams.iter().find(|s| s.name == channel.topic).cloned().unwrap_or_else(|| StreamInfo {
                    name: channel.topic.clone(),
                    type_name: channel.message_type.clone(),
                    kind: StreamKind::Other,
                    messages: times_ns.len() as u64,
                    first_time_ns: None,
                    last_time_ns: None,
                });
            let info = StreamInfo {
                messages: times_ns.len() as u64,
                first_time_ns: times_ns.first().copied(),
                last_time_ns: times_ns.last().copied(),
                ..info
            };
            let series = decode_stream(channel, &messages).map_err(|e| e.to_string());
            EpisodeStream { info, times_ns, timed: true, series }
        })
        .collect()
}

fn read_hdf5_episode(
    file: &hdf5::Hdf5File,
    episode: &RecordingEpisode,
    demo: Option<&str>,
) -> Result<Vec<EpisodeStream>, hdf5::Hdf5Error> {
    let summary = file.summary()?;
    let mut out = Vec::new();
    if summary.episodes.is_empty() {
        // A plain HDF5 file: every numeric dataset on its own row axis.
        for info in &episode.streams {
            if info.kind != StreamKind::Numeric {
                continue;
            }
            let series = file.dataset(&info.name).map(|field| StreamSeries {
                stream: info.name.clone(),
                times_ns: (0..(field.values.len() / field.width.max(1)) as u64).collect(),
                fields: vec![field],
                header_times_ns: Vec::new(),
            });
            let times_ns = series.as_ref().map(|s| s.times_ns.clone()).unwrap_or_default();
            out.push(EpisodeStream {
                info: info.clone(),
                times_ns,
                timed: false,
                series: series.map_err(|e| e.to_string()),
            });
        }
        return Ok(out);
    }
    let series = file.series(demo.unwrap_or_default(), None)?;
    for info in &episode.streams {
        let field = series.fields.iter().find(|f| f.name == info.name);
        let stream_series = match field {
            Some(field) => Ok(StreamSeries {
                stream: info.name.clone(),
                times_ns: series.times_ns.clone(),
                fields: vec![field.clone()],
                header_times_ns: Vec::new(),
            }),
            None if info.kind == StreamKind::Numeric => Err("not on the episode's frame axis".to_string()),
            None => Err("not numeric".to_string()),
        };
        // An image stack on the episode's frame axis ticks with it (one frame per row).
        let on_frame_axis = info.kind == StreamKind::Image && info.messages as usize == series.times_ns.len();
        let times_ns = if field.is_some() || on_frame_axis { series.times_ns.clone() } else { Vec::new() };
        out.push(EpisodeStream { info: info.clone(), times_ns, timed: false, series: stream_series });
    }
    Ok(out)
}
