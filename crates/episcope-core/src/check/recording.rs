//! Readiness checks of recordings (bags, MCAP, HDF5): can each file be read, and would a training
//! dataset built from it be sound — rates, gaps, clocks, streams that stop early, cameras without a
//! nearby joint sample, NaN/Inf, empty or constant streams. Same findings and report as the
//! LeRobot checker; keeps going after errors.

use super::engine::{check_files, whole_digest, CheckOptions};
use super::finding::{Findings, Location};
use super::report::{DatasetIdentity, Report, Summary, Tool, REPORT_VERSION};
use super::rules::{Family, RULES};
use crate::lerobot::Progress;
use crate::recording::read::{episode_file, read_file_episodes, EpisodeStream};
use crate::recording::{open_recording, recording_files, RecordingEpisode, RecordingError, StreamKind};
use crate::tree::DatasetTree;
use serde::{Deserialize, Serialize};

/// The profile name recording reports carry.
pub const RECORDING_PROFILE: &str = "recording-readiness";

/// Thresholds of the timing rules.
pub mod limits {
    /// An interval longer than this many nominal periods is a gap (dropped messages).
    pub const GAP_PERIODS: f64 = 3.0;
    /// An interval outside `[1 - JITTER_TOLERANCE, 1 + JITTER_TOLERANCE]` nominal periods is jittered…
    pub const JITTER_TOLERANCE: f64 = 0.5;
    /// …and a stream with more than this share of jittered intervals (not counting gaps) is reported.
    pub const JITTER_SHARE: f64 = 0.05;
    /// Fewer messages than this and the rate rules do not apply.
    pub const MIN_TIMED_MESSAGES: usize = 10;
    /// A header stamp further than this from the log time.
    pub const STAMP_OFFSET_NS: u64 = 1_000_000_000;
    /// The offset between header stamp and log time changing by more than this between two messages.
    pub const CLOCK_JUMP_NS: u64 = 500_000_000;
    /// A stream ending (or starting) further than `max(EARLY_STOP_MIN_NS, EARLY_STOP_SHARE × span)`
    /// from the episode's end (start).
    pub const EARLY_STOP_MIN_NS: u64 = 1_000_000_000;
    pub const EARLY_STOP_SHARE: f64 = 0.1;
    /// A camera frame whose nearest joint sample is further than this many joint periods.
    pub const CAMERA_SYNC_PERIODS: f64 = 2.0;
}

/// Number of rules a recording check applies (the file rules and the recording family).
pub fn recording_rule_count() -> usize {
    RULES.iter().filter(|r| r.family == Family::Recording || RECORDING_FILE_RULES.contains(&r.id)).count()
}

const RECORDING_FILE_RULES: &[&str] = &["file.empty", "file.lfs-pointer"];

/// Checks the recording files of `tree` and returns the report.
pub async fn check_recording(
    tree: &DatasetTree,
    name: &str,
    options: &CheckOptions,
    progress: &mut dyn FnMut(Progress),
) -> Report {
    let mut findings = Findings::default();
    let digests = check_files(tree, options, &mut findings, progress).await;
    let sha256 = whole_digest(&digests);
    let mut identity = DatasetIdentity::of_files(name, digests, sha256);
    // Each file on its own, so one unreadable bag does not hide the others.
    let files: Vec<String> = recording_files(tree).iter().map(|f| f.path.clone()).collect();
    let total = files.len() as u64;
    let mut index = 0u64;
    for (done, path) in files.iter().enumerate() {
        progress(Progress { stage: "recordings".into(), done: done as u64, total });
        let Some(file) = tree.get(path) else { continue };
        let mut single = DatasetTree::new();
        if single.insert(path, file.source.clone()).is_err() {
            continue;
        }
        if let Some(metadata) = sibling(path, "metadata.yaml").and_then(|m| tree.get(&m).map(|f| (m, f))) {
            let _ = single.insert(&metadata.0, metadata.1.source.clone());
        }
        let recording = match open_recording(&single).await {
            Ok(recording) => recording,
            Err(error) => {
                unreadable(path, &error, &mut findings);
                continue;
            }
        };
        let mut episodes = recording.episodes;
        for episode in &mut episodes {
            episode.index = index as usize;
            index += 1;
            identity.episodes += 1;
            identity.frames += episode.frames;
            if let Some(damage) = &episode.damage {
                findings.add(
                    "recording.unreadable",
                    Location::file(path),
                    format!("{path}: {damage}"),
                    "Recover what the file holds with `mcap recover` (Episcope already reads the whole records \
                     before the cut), or re-record; the lost tail cannot be rebuilt.",
                );
            }
        }
        match read_file_episodes(&single, &episodes).await {
            Ok(read) => {
                for (episode, streams) in episodes.iter().zip(&read) {
                    check_episode(episode, streams, &mut findings);
                }
            }
            Err(error) => unreadable(path, &error, &mut findings),
        }
    }
    if files.is_empty() {
        unreadable("", &RecordingError::NoRecording, &mut findings);
    }
    let findings = findings.into_sorted();
    Report {
        report_version: REPORT_VERSION,
        tool: Tool { name: "episcope".into(), version: env!("CARGO_PKG_VERSION").into() },
        dataset: identity,
        profile: RECORDING_PROFILE.into(),
        rules_checked: recording_rule_count(),
        summary: Summary::of(&findings),
        findings,
    }
}

fn sibling(path: &str, name: &str) -> Option<String> {
    path.rsplit_once('/').map(|(dir, _)| format!("{dir}/{name}"))
}

fn unreadable(path: &str, error: &RecordingError, findings: &mut Findings) {
    findings.add(
        "recording.unreadable",
        Location::file(path),
        error.to_string(),
        "Re-copy the file (it may be truncated or damaged in transfer), or re-record it; `ros2 bag reindex` \
         or `mcap recover` can rebuild a broken index.",
    );
}

/// The rules on one episode's streams (a pure function of what was read).
pub fn check_episode(episode: &RecordingEpisode, streams: &[EpisodeStream], findings: &mut Findings) {
    let (path, _) = episode_file(episode);
    let at = |stream: &str| Location::file(path).episode(episode.index as u64).feature(stream);
    let timed: Vec<&EpisodeStream> = streams.iter().filter(|s| s.timed && !s.times_ns.is_empty()).collect();
    let episode_start = timed.iter().filter_map(|s| s.times_ns.first()).min().copied();
    let episode_end = timed.iter().filter_map(|s| s.times_ns.last()).max().copied();
    for stream in streams {
        let name = &stream.info.name;
        if stream.info.messages == 0 {
            findings.add(
                "recording.empty-stream",
                at(name),
                format!("{name} ({}) has no messages", stream.info.type_name),
                "Check that the publisher ran while recording, or leave the topic out of the recording.",
            );
            continue;
        }
        let series = match &stream.series {
            Ok(series) => Some(series),
            Err(reason) => {
                if stream.timed {
                    findings.add(
                        "recording.undecodable",
                        at(name),
                        reason.clone(),
                        "Record with a ROS 2 version that stores message definitions (Iron or later for sqlite3), \
                         or convert the bag with its message packages installed.",
                    );
                }
                None
            }
        };
        if stream.timed {
            check_timing(stream, &at(name), findings);
            if let (Some(start), Some(end)) = (episode_start, episode_end) {
                check_span(stream, start, end, &at(name), findings);
            }
        }
        if let Some(series) = series {
            if stream.info.kind == StreamKind::Numeric {
                check_values(stream, series, &at(name), findings);
            }
            if stream.timed && !series.header_times_ns.is_empty() {
                check_stamps(stream, &series.header_times_ns, &at(name), findings);
            }
        }
    }
    check_camera_sync(streams, &at, findings);
}

/// One stream's timing as the rate rules measure it (for views: the same numbers the check uses).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StreamTiming {
    /// The median rate (from the median positive interval).
    pub nominal_rate_hz: Option<f64>,
    /// Intervals longer than [`limits::GAP_PERIODS`] nominal periods (`recording.gap`); counted
    /// from [`limits::MIN_TIMED_MESSAGES`] messages, as the rule does.
    pub gaps: u64,
    /// The longest interval between two messages.
    pub longest_interval_secs: Option<f64>,
}

/// [`StreamTiming`] of log times in ascending order.
pub fn stream_timing(times_ns: &[u64]) -> StreamTiming {
    let period = nominal_period_ns(times_ns);
    let longest = times_ns.windows(2).map(|w| w[1].saturating_sub(w[0])).max();
    let gaps = match period {
        Some(period) if times_ns.len() >= limits::MIN_TIMED_MESSAGES => times_ns
            .windows(2)
            .filter(|w| w[1].saturating_sub(w[0]) as f64 / period as f64 > limits::GAP_PERIODS)
            .count() as u64,
        _ => 0,
    };
    StreamTiming { nominal_rate_hz: period.map(hz), gaps, longest_interval_secs: longest.map(secs) }
}

/// Median of the positive intervals between consecutive messages.
fn nominal_period_ns(times_ns: &[u64]) -> Option<u64> {
    let mut intervals: Vec<u64> = times_ns.windows(2).map(|w| w[1].saturating_sub(w[0])).filter(|&d| d > 0).collect();
    if intervals.is_empty() {
        return None;
    }
    let mid = intervals.len() / 2;
    Some(*intervals.select_nth_unstable(mid).1)
}

fn hz(period_ns: u64) -> f64 {
    1e9 / period_ns as f64
}

fn secs(ns: u64) -> f64 {
    ns as f64 * 1e-9
}

fn check_timing(stream: &EpisodeStream, at: &Location, findings: &mut Findings) {
    let times = &stream.times_ns;
    if times.len() < limits::MIN_TIMED_MESSAGES {
        return;
    }
    let Some(period) = nominal_period_ns(times) else { return };
    let name = &stream.info.name;
    let mut jittered = 0usize;
    for (i, w) in times.windows(2).enumerate() {
        let interval = w[1].saturating_sub(w[0]);
        let periods = interval as f64 / period as f64;
        if periods > limits::GAP_PERIODS {
            let missing = (periods.round() as u64).saturating_sub(1);
            findings.add(
                "recording.gap",
                at.clone().frame(i as u64 + 1),
                format!(
                    "{name}: {:.3} s without a message after message {i} (at {:.1} Hz that is about {missing} \
                     missing)",
                    secs(interval),
                    hz(period)
                ),
                "Look for dropped messages (network, disk or CPU load while recording); cut the episode at the gap \
                 or drop it.",
            );
        } else if (periods - 1.0).abs() > limits::JITTER_TOLERANCE {
            jittered += 1;
        }
    }
    let intervals = times.len() - 1;
    let share = jittered as f64 / intervals as f64;
    if share > limits::JITTER_SHARE {
        findings.add(
            "recording.rate-jitter",
            at.clone(),
            format!(
                "{name}: {jittered} of {intervals} intervals ({:.0}%) are more than {:.0}% off its nominal {:.1} Hz",
                share * 100.0,
                limits::JITTER_TOLERANCE * 100.0,
                hz(period)
            ),
            "Resample the stream to a fixed rate when converting, or record with a real-time publisher.",
        );
    }
}

fn check_span(stream: &EpisodeStream, start: u64, end: u64, at: &Location, findings: &mut Findings) {
    let (Some(&first), Some(&last)) = (stream.times_ns.first(), stream.times_ns.last()) else { return };
    let span = end.saturating_sub(start);
    let allowed = limits::EARLY_STOP_MIN_NS.max((span as f64 * limits::EARLY_STOP_SHARE) as u64);
    let name = &stream.info.name;
    let late_start = first.saturating_sub(start);
    let early_stop = end.saturating_sub(last);
    if early_stop > allowed || late_start > allowed {
        findings.add(
            "recording.stops-early",
            at.clone(),
            format!(
                "{name} covers {:.2}–{:.2} s of the episode's {:.2} s (starts {:.2} s late, stops {:.2} s early)",
                secs(first - start),
                secs(last - start),
                secs(span),
                secs(late_start),
                secs(early_stop)
            ),
            "Trim the episode to the time every stream covers, or find why the publisher stopped.",
        );
    }
}

fn check_stamps(stream: &EpisodeStream, stamps: &[u64], at: &Location, findings: &mut Findings) {
    let name = &stream.info.name;
    let offsets: Vec<i128> =
        stream.times_ns.iter().zip(stamps).map(|(&log, &stamp)| log as i128 - stamp as i128).collect();
    if let Some((i, offset)) =
        offsets.iter().enumerate().find(|(_, o)| o.unsigned_abs() > limits::STAMP_OFFSET_NS as u128)
    {
        let count = offsets.iter().filter(|o| o.unsigned_abs() > limits::STAMP_OFFSET_NS as u128).count();
        findings.add(
            "recording.stamp-offset",
            at.clone().frame(i as u64),
            format!(
                "{name}: header.stamp is {:.3} s from the log time at message {i} ({count} of {} messages more than \
                 {:.1} s off)",
                *offset as f64 * 1e-9,
                offsets.len(),
                secs(limits::STAMP_OFFSET_NS)
            ),
            "Check the publisher's clock (use_sim_time, an unsynchronised robot computer: run chrony/PTP); \
             align on header stamps when converting.",
        );
    }
    for (i, w) in offsets.windows(2).enumerate() {
        let jump = (w[1] - w[0]).unsigned_abs();
        let stamp_backwards = stamps[i + 1] < stamps[i];
        if jump > limits::CLOCK_JUMP_NS as u128 || stamp_backwards {
            findings.add(
                "recording.clock-jump",
                at.clone().frame(i as u64 + 1),
                if stamp_backwards {
                    format!(
                        "{name}: header.stamp goes back {:.3} s at message {}",
                        secs(stamps[i] - stamps[i + 1]),
                        i + 1
                    )
                } else {
                    format!(
                        "{name}: header.stamp jumps {:.3} s against the log time at message {}",
                        jump as f64 * 1e-9,
                        i + 1
                    )
                },
                "A clock was stepped while recording (NTP, a restarted simulator); split the episode at the jump.",
            );
        }
    }
}

fn check_values(
    stream: &EpisodeStream,
    series: &crate::recording::StreamSeries,
    at: &Location,
    findings: &mut Findings,
) {
    let name = &stream.info.name;
    let mut all_constant = !series.fields.is_empty();
    for field in &series.fields {
        let width = field.width.max(1);
        // Per dimension: the first non-finite message and how many there are (rows that did not
        // carry the field at all are not values).
        let absent = |row: usize| field.absent_rows.binary_search(&(row as u32)).is_ok();
        for dim in 0..width {
            let column = || field.values.iter().skip(dim).step_by(width).enumerate().filter(|(row, _)| !absent(*row));
            let Some(row) = column().find(|(_, v)| !v.is_finite()).map(|(row, _)| row) else { continue };
            let count = column().filter(|(_, v)| !v.is_finite()).count();
            let value = field.values[row * width + dim];
            let label = field.dimension_names.get(dim).cloned().unwrap_or_else(|| format!("{}[{dim}]", field.name));
            findings.add(
                "recording.non-finite",
                at.clone().frame(row as u64).feature(format!("{name} {label}")),
                format!("{name}: {label} is {value} at message {row} ({count} non-finite values)"),
                "Find the sensor or driver that publishes NaN/Inf; drop or repair those messages before training.",
            );
        }
        let rows = field.values.len() / width;
        if rows < limits::MIN_TIMED_MESSAGES {
            all_constant = false;
            continue;
        }
        let first = &field.values[..width];
        let constant = field
            .values
            .chunks_exact(width)
            .all(|row| row.iter().zip(first).all(|(a, b)| a == b || (a.is_nan() && b.is_nan())));
        all_constant &= constant;
    }
    if all_constant {
        findings.add(
            "recording.constant-stream",
            at.clone(),
            format!("{name}: every one of its {} messages carries the same values", series.times_ns.len()),
            "Check that the sensor was connected and the driver publishes live values.",
        );
    }
}

/// Camera frames whose nearest joint sample (the fastest numeric stream) is far away.
fn check_camera_sync(streams: &[EpisodeStream], at: &dyn Fn(&str) -> Location, findings: &mut Findings) {
    let joints = streams
        .iter()
        .filter(|s| s.timed && s.info.kind == StreamKind::Numeric && s.times_ns.len() >= limits::MIN_TIMED_MESSAGES)
        .filter_map(|s| nominal_period_ns(&s.times_ns).map(|p| (s, p)))
        .min_by_key(|(_, period)| *period);
    let Some((joint, period)) = joints else { return };
    let allowed = (period as f64 * limits::CAMERA_SYNC_PERIODS) as u64;
    for camera in
        streams.iter().filter(|s| s.timed && matches!(s.info.kind, StreamKind::Image | StreamKind::CompressedImage))
    {
        let mut far = Vec::new();
        for (i, &t) in camera.times_ns.iter().enumerate() {
            let next = joint.times_ns.partition_point(|&j| j < t);
            let after = joint.times_ns.get(next).map(|&j| j - t);
            let before = next.checked_sub(1).and_then(|k| joint.times_ns.get(k)).map(|&j| t - j);
            let nearest = after.into_iter().chain(before).min().unwrap_or(u64::MAX);
            if nearest > allowed {
                far.push((i, nearest));
            }
        }
        if let Some(&(i, nearest)) = far.first() {
            findings.add(
                "recording.camera-unsynced",
                at(&camera.info.name).frame(i as u64),
                format!(
                    "{}: {} of {} frames have no {} sample within {:.3} s (frame {i}: nearest {:.3} s)",
                    camera.info.name,
                    far.len(),
                    camera.times_ns.len(),
                    joint.info.name,
                    secs(allowed),
                    secs(nearest.min(u64::MAX / 2))
                ),
                "Frames far from any joint sample cannot be paired in a dataset: trim them or fix the joint stream's gaps.",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_timing_measures_rate_gaps_and_the_longest_interval() {
        // 100 Hz for 20 messages, then 50 ms without one (a gap of 5 periods), then 10 more.
        let mut times: Vec<u64> = (0..20).map(|i| i * 10_000_000).collect();
        times.extend((0..10).map(|i| 240_000_000 + i * 10_000_000));
        let timing = stream_timing(&times);
        assert_eq!(timing.gaps, 1);
        assert!((timing.nominal_rate_hz.unwrap() - 100.0).abs() < 1e-9);
        assert!((timing.longest_interval_secs.unwrap() - 0.05).abs() < 1e-12);
        // Too few messages for the rate rules: no gaps counted, the rate still measured.
        let short = stream_timing(&[0, 10, 100]);
        assert_eq!(short.gaps, 0);
        assert!(short.nominal_rate_hz.is_some());
        assert_eq!(stream_timing(&[5]), StreamTiming { nominal_rate_hz: None, gaps: 0, longest_interval_secs: None });
    }
}
