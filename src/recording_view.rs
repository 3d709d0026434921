//! Plain logic of the recording overview (tested natively): times relative to the recording's
//! start, its span, and whether a picked set of files is a recording rather than a dataset.

use episcope_core::recording::Recording;

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

#[cfg(test)]
mod tests {
    use super::*;
    use episcope_core::recording::{RecordingEpisode, RecordingFormat};

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
