//! Puts a stream's samples onto a dataset's frame grid (nearest, hold last, linear), flagging every
//! frame whose source sample is further away than the tolerance instead of inventing it silently.

use serde::{Deserialize, Serialize};

/// How a stream's samples become one value per frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resample {
    /// The sample nearest in time (ties: the earlier one).
    #[default]
    Nearest,
    /// The last sample at or before the frame's time (a zero-order hold: what a controller saw).
    Hold,
    /// Linear between the samples around the frame's time.
    Linear,
}

impl Resample {
    pub fn as_str(self) -> &'static str {
        match self {
            Resample::Nearest => "nearest",
            Resample::Hold => "hold",
            Resample::Linear => "linear",
        }
    }
}

/// A frame whose value is further than the tolerance from any sample it was made from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlaggedFrame {
    pub frame: usize,
    /// How far the sample used is from the frame's time (for `linear`, the nearer of the two).
    pub distance_ns: u64,
}

/// One feature on the frame grid: `grid.len() × width` values, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Resampled {
    pub values: Vec<f64>,
    pub flagged: Vec<FlaggedFrame>,
}

/// Resamples `values` (`times_ns.len() × width`, row-major, times ascending) onto `grid_ns`
/// (ascending). A stream without samples flags every frame (values NaN).
pub fn resample(
    times_ns: &[u64],
    values: &[f64],
    width: usize,
    grid_ns: &[u64],
    method: Resample,
    tolerance_ns: u64,
) -> Resampled {
    let rows = times_ns.len().min(values.len() / width.max(1));
    let mut out = Vec::with_capacity(grid_ns.len() * width);
    let mut flagged = Vec::new();
    if rows == 0 {
        out.resize(grid_ns.len() * width, f64::NAN);
        flagged.extend((0..grid_ns.len()).map(|frame| FlaggedFrame { frame, distance_ns: u64::MAX }));
        return Resampled { values: out, flagged };
    }
    let row = |i: usize| &values[i * width..(i + 1) * width];
    // `next`: the first sample after the frame's time (both grid and samples ascend).
    let mut next = 0usize;
    for (frame, &t) in grid_ns.iter().enumerate() {
        while next < rows && times_ns[next] <= t {
            next += 1;
        }
        let before = next.checked_sub(1);
        let after = (next < rows).then_some(next);
        let distance = |i: usize| times_ns[i].abs_diff(t);
        let (distance_ns, chosen): (u64, Chosen) = match method {
            Resample::Hold => match before {
                Some(b) => (distance(b), Chosen::One(b)),
                // Nothing yet: the first sample stands in, and the frame is flagged.
                None => (u64::MAX, Chosen::One(0)),
            },
            Resample::Nearest => match (before, after) {
                (Some(b), Some(a)) if distance(a) < distance(b) => (distance(a), Chosen::One(a)),
                (Some(b), _) => (distance(b), Chosen::One(b)),
                (None, Some(a)) => (distance(a), Chosen::One(a)),
                (None, None) => (u64::MAX, Chosen::One(0)),
            },
            Resample::Linear => match (before, after) {
                (Some(b), _) if times_ns[b] == t => (0, Chosen::One(b)),
                (Some(b), Some(a)) => (distance(b).min(distance(a)), Chosen::Between(b, a)),
                (Some(b), None) => (distance(b), Chosen::One(b)),
                (None, Some(a)) => (distance(a), Chosen::One(a)),
                (None, None) => (u64::MAX, Chosen::One(0)),
            },
        };
        match chosen {
            Chosen::One(i) => out.extend_from_slice(row(i)),
            Chosen::Between(b, a) => {
                let span = (times_ns[a] - times_ns[b]) as f64;
                let w = (t - times_ns[b]) as f64 / span;
                out.extend(row(b).iter().zip(row(a)).map(|(&x0, &x1)| x0 + (x1 - x0) * w));
            }
        }
        if distance_ns > tolerance_ns {
            flagged.push(FlaggedFrame { frame, distance_ns });
        }
    }
    Resampled { values: out, flagged }
}

enum Chosen {
    One(usize),
    Between(usize, usize),
}

/// The frame times of a segment `[start_ns, end_ns]` at `fps`: `start + round(k × 1e9 / fps)` for
/// every `k` whose time is at most `end_ns`.
pub fn frame_grid(start_ns: u64, end_ns: u64, fps: u32, max_frames: usize) -> Vec<u64> {
    if end_ns < start_ns || fps == 0 {
        return Vec::new();
    }
    let span_ns = (end_ns - start_ns) as u128;
    let frames = (span_ns * u128::from(fps) / 1_000_000_000 + 1).min(max_frames as u128) as usize;
    (0..frames)
        .map(|k| start_ns + ((k as u128 * 1_000_000_000 + u128::from(fps) / 2) / u128::from(fps)) as u64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn nearest_takes_the_closer_sample_and_flags_beyond_the_tolerance() {
        let times = [0, 10 * MS, 20 * MS, 100 * MS];
        let values = [0.0, 1.0, 2.0, 3.0];
        let grid = [0, 4 * MS, 6 * MS, 15 * MS, 60 * MS];
        let r = resample(&times, &values, 1, &grid, Resample::Nearest, 5 * MS);
        assert_eq!(r.values, [0.0, 0.0, 1.0, 1.0, 2.0]);
        assert_eq!(r.flagged, [FlaggedFrame { frame: 4, distance_ns: 40 * MS }]);
    }

    #[test]
    fn hold_keeps_the_last_sample_and_flags_frames_before_the_first() {
        let times = [10 * MS, 20 * MS];
        let values = [1.0, 10.0, 2.0, 20.0];
        let grid = [5 * MS, 10 * MS, 19 * MS, 25 * MS];
        let r = resample(&times, &values, 2, &grid, Resample::Hold, 8 * MS);
        assert_eq!(r.values, [1.0, 10.0, 1.0, 10.0, 1.0, 10.0, 2.0, 20.0]);
        let frames: Vec<usize> = r.flagged.iter().map(|f| f.frame).collect();
        assert_eq!(frames, [0, 2]);
    }

    #[test]
    fn linear_interpolates_between_the_samples_around_the_frame() {
        let times = [0, 10 * MS];
        let values = [0.0, 1.0];
        let r = resample(&times, &values, 1, &[0, 2 * MS, 5 * MS, 10 * MS], Resample::Linear, 5 * MS);
        assert_eq!(r.values, [0.0, 0.2, 0.5, 1.0]);
        assert!(r.flagged.is_empty());
    }

    #[test]
    fn a_stream_without_samples_flags_every_frame() {
        let r = resample(&[], &[], 3, &[0, MS], Resample::Nearest, MS);
        assert_eq!(r.values.len(), 6);
        assert!(r.values.iter().all(|v| v.is_nan()));
        assert_eq!(r.flagged.len(), 2);
    }

    #[test]
    fn the_grid_covers_the_segment_at_the_frame_rate() {
        assert_eq!(
            frame_grid(1_000, 1_000 + 100 * MS, 30, 1000),
            [1_000, 1_000 + 33_333_333, 1_000 + 66_666_667, 1_000 + 100 * MS]
        );
        assert_eq!(frame_grid(0, 99 * MS, 10, 1000).len(), 1);
        assert_eq!(frame_grid(0, 10_000 * MS, 1000, 50).len(), 50);
        assert!(frame_grid(10, 5, 30, 10).is_empty());
    }
}
