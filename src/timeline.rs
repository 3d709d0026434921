//! Time in the episode view: the visible time window (zoom and pan), playback (play, step, speed),
//! the keys that drive it, and where each camera's video must be for a given cursor time. Plain
//! logic, tested natively; the episode component only wires signals and events to it.

/// Playback speeds offered, slowest first.
pub const SPEEDS: [f64; 5] = [0.25, 0.5, 1.0, 2.0, 4.0];

/// A video more than this far from where it should be while playing is re-seeked.
pub const VIDEO_DRIFT_TOLERANCE_SECS: f64 = 0.15;

/// The part of the episode the plots show, in seconds from the episode start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeWindow {
    pub from_secs: f64,
    pub to_secs: f64,
}

impl TimeWindow {
    /// The whole `[start, end]` range (never empty).
    pub fn full(start_secs: f64, end_secs: f64) -> TimeWindow {
        if end_secs > start_secs {
            TimeWindow { from_secs: start_secs, to_secs: end_secs }
        } else {
            TimeWindow { from_secs: start_secs, to_secs: start_secs + 1.0 }
        }
    }

    pub fn width_secs(&self) -> f64 {
        self.to_secs - self.from_secs
    }

    /// Zooms by `factor` (< 1 zooms in) keeping `anchor_secs` where it is on screen, staying inside
    /// `bounds` and no narrower than `min_width_secs` (a few frames).
    pub fn zoomed(&self, anchor_secs: f64, factor: f64, bounds: TimeWindow, min_width_secs: f64) -> TimeWindow {
        if !(factor.is_finite() && factor > 0.0) {
            return *self;
        }
        let max_width = bounds.width_secs();
        let width = (self.width_secs() * factor).clamp(min_width_secs.min(max_width), max_width);
        let anchor = anchor_secs.clamp(self.from_secs, self.to_secs);
        let fraction = if self.width_secs() > 0.0 { (anchor - self.from_secs) / self.width_secs() } else { 0.5 };
        let from = anchor - fraction * width;
        TimeWindow { from_secs: from, to_secs: from + width }.clamped(bounds)
    }

    /// Shifts by `delta_secs`, keeping the width, stopping at the bounds.
    pub fn panned(&self, delta_secs: f64, bounds: TimeWindow) -> TimeWindow {
        TimeWindow { from_secs: self.from_secs + delta_secs, to_secs: self.to_secs + delta_secs }.clamped(bounds)
    }

    /// Moved (not resized) to lie inside `bounds`; shrunk to them if wider.
    pub fn clamped(&self, bounds: TimeWindow) -> TimeWindow {
        let width = self.width_secs().min(bounds.width_secs());
        let from = self.from_secs.clamp(bounds.from_secs, bounds.to_secs - width);
        TimeWindow { from_secs: from, to_secs: from + width }
    }

    /// Whether this shows all of `bounds`.
    pub fn is_full(&self, bounds: TimeWindow) -> bool {
        self.from_secs <= bounds.from_secs && self.to_secs >= bounds.to_secs
    }

    /// The window moved just enough to show `time_secs` (playback keeps the cursor in view).
    pub fn following(&self, time_secs: f64, bounds: TimeWindow) -> TimeWindow {
        if time_secs < self.from_secs || time_secs > self.to_secs {
            let from = time_secs - self.width_secs() * 0.1;
            TimeWindow { from_secs: from, to_secs: from + self.width_secs() }.clamped(bounds)
        } else {
            *self
        }
    }
}

/// The frame shown at `time_secs`: the last frame whose timestamp is ≤ it (the first frame before
/// the start). `times` is sorted ascending, as an episode's timestamps are.
pub fn frame_at(times: &[f64], time_secs: f64) -> usize {
    times.partition_point(|t| *t <= time_secs).saturating_sub(1)
}

/// The time of the frame `delta` frames away from the one shown at `time_secs`, clamped to the
/// episode.
pub fn step_frames(times: &[f64], time_secs: f64, delta: i64) -> f64 {
    let Some(last) = times.len().checked_sub(1) else { return time_secs };
    let current = frame_at(times, time_secs) as i64;
    let target = (current + delta).clamp(0, last as i64) as usize;
    times[target]
}

/// One playback tick: the cursor after `elapsed_secs` of wall time at `speed`, and whether the end
/// was reached (playback then stops there).
pub fn advance(time_secs: f64, elapsed_secs: f64, speed: f64, end_secs: f64) -> (f64, bool) {
    let next = time_secs + elapsed_secs.max(0.0) * speed;
    if next >= end_secs {
        (end_secs, true)
    } else {
        (next, false)
    }
}

/// The next faster (`+1`) or slower (`-1`) speed of [`SPEEDS`].
pub fn next_speed(speed: f64, direction: i32) -> f64 {
    let index = SPEEDS.iter().position(|s| (*s - speed).abs() < 1e-9).unwrap_or(2) as i32;
    SPEEDS[(index + direction).clamp(0, SPEEDS.len() as i32 - 1) as usize]
}

/// What a key press does in the episode view.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KeyAction {
    TogglePlay,
    StepFrames(i64),
    JumpToStart,
    JumpToEnd,
    Faster,
    Slower,
    PreviousEpisode,
    NextEpisode,
    ResetZoom,
}

/// The action bound to a key (`KeyboardEvent.key`), with Shift held or not.
pub fn key_action(key: &str, shift: bool) -> Option<KeyAction> {
    Some(match key {
        " " | "k" => KeyAction::TogglePlay,
        "ArrowLeft" | "," => KeyAction::StepFrames(if shift { -10 } else { -1 }),
        "ArrowRight" | "." => KeyAction::StepFrames(if shift { 10 } else { 1 }),
        "Home" => KeyAction::JumpToStart,
        "End" => KeyAction::JumpToEnd,
        "]" | "+" => KeyAction::Faster,
        "[" | "-" => KeyAction::Slower,
        "PageUp" | "p" => KeyAction::PreviousEpisode,
        "PageDown" | "n" => KeyAction::NextEpisode,
        "0" => KeyAction::ResetZoom,
        _ => return None,
    })
}

/// Where a camera's video must be (seconds into its file) for a cursor `time_secs` into the episode:
/// v3.0 files hold many episodes one after another, so the episode starts `from_timestamp_secs` in;
/// the time is clamped to the episode's window when its end is known.
pub fn video_time_secs(time_secs: f64, from_timestamp_secs: f64, to_timestamp_secs: Option<f64>) -> f64 {
    let t = from_timestamp_secs + time_secs.max(0.0);
    match to_timestamp_secs {
        Some(end) if end > from_timestamp_secs => t.min(end),
        _ => t,
    }
}

/// `01:02.345` — a time cursor readout (minutes:seconds.millis), hours when needed.
pub fn format_clock(time_secs: f64) -> String {
    if !time_secs.is_finite() {
        return "—".to_string();
    }
    let sign = if time_secs < 0.0 { "-" } else { "" };
    let total_millis = (time_secs.abs() * 1000.0).round() as u64;
    let (hours, rest) = (total_millis / 3_600_000, total_millis % 3_600_000);
    let (minutes, rest) = (rest / 60_000, rest % 60_000);
    let (seconds, millis) = (rest / 1000, rest % 1000);
    if hours > 0 {
        format!("{sign}{hours}:{minutes:02}:{seconds:02}.{millis:03}")
    } else {
        format!("{sign}{minutes:02}:{seconds:02}.{millis:03}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn times(n: usize, fps: f64) -> Vec<f64> {
        (0..n).map(|i| i as f64 / fps).collect()
    }

    #[test]
    fn zoom_keeps_the_anchor_in_place_and_stays_in_bounds() {
        let bounds = TimeWindow::full(0.0, 10.0);
        let zoomed = bounds.zoomed(5.0, 0.5, bounds, 0.1);
        assert_eq!(zoomed, TimeWindow { from_secs: 2.5, to_secs: 7.5 });
        // The anchor stays at the same fraction of the window.
        let again = zoomed.zoomed(3.75, 0.5, bounds, 0.1);
        let before = (3.75 - zoomed.from_secs) / zoomed.width_secs();
        let after = (3.75 - again.from_secs) / again.width_secs();
        assert!((before - after).abs() < 1e-12);
        // Zooming out past the whole episode stops at it; zooming in stops at the minimum width.
        assert_eq!(again.zoomed(1.0, 100.0, bounds, 0.1), bounds);
        let narrow = bounds.zoomed(9.99, 1e-6, bounds, 0.1);
        assert!((narrow.width_secs() - 0.1).abs() < 1e-12 && narrow.to_secs <= 10.0);
        assert_eq!(bounds.zoomed(5.0, f64::NAN, bounds, 0.1), bounds);
    }

    #[test]
    fn pan_stops_at_the_ends() {
        let bounds = TimeWindow::full(0.0, 10.0);
        let window = TimeWindow { from_secs: 2.0, to_secs: 4.0 };
        assert_eq!(window.panned(1.0, bounds), TimeWindow { from_secs: 3.0, to_secs: 5.0 });
        assert_eq!(window.panned(-5.0, bounds), TimeWindow { from_secs: 0.0, to_secs: 2.0 });
        assert_eq!(window.panned(50.0, bounds), TimeWindow { from_secs: 8.0, to_secs: 10.0 });
        assert!(!window.is_full(bounds) && bounds.is_full(bounds));
        assert_eq!(window.following(9.0, bounds), TimeWindow { from_secs: 8.0, to_secs: 10.0 });
        assert_eq!(window.following(3.0, bounds), window);
    }

    #[test]
    fn frames_and_steps_follow_the_timestamps() {
        let t = times(240, 30.0);
        assert_eq!(frame_at(&t, -1.0), 0);
        assert_eq!(frame_at(&t, 0.0), 0);
        assert_eq!(frame_at(&t, 1.0 / 30.0 - 1e-9), 0);
        assert_eq!(frame_at(&t, 1.0 / 30.0), 1);
        assert_eq!(frame_at(&t, 100.0), 239);
        assert_eq!(step_frames(&t, 0.0, 1), 1.0 / 30.0);
        assert_eq!(step_frames(&t, 0.0, -1), 0.0);
        assert_eq!(step_frames(&t, 2.0, 10), t[70]);
        assert_eq!(step_frames(&t, 7.9, 5), t[239]);
        assert_eq!(step_frames(&[], 3.0, 1), 3.0);
    }

    #[test]
    fn playback_advances_at_speed_and_stops_at_the_end() {
        assert_eq!(advance(1.0, 0.5, 2.0, 8.0), (2.0, false));
        assert_eq!(advance(7.9, 0.5, 1.0, 8.0), (8.0, true));
        assert_eq!(advance(1.0, -3.0, 1.0, 8.0), (1.0, false));
        assert_eq!(next_speed(1.0, 1), 2.0);
        assert_eq!(next_speed(4.0, 1), 4.0);
        assert_eq!(next_speed(0.25, -1), 0.25);
        assert_eq!(next_speed(0.5, -1), 0.25);
    }

    #[test]
    fn keys_map_to_actions() {
        assert_eq!(key_action(" ", false), Some(KeyAction::TogglePlay));
        assert_eq!(key_action("ArrowLeft", false), Some(KeyAction::StepFrames(-1)));
        assert_eq!(key_action("ArrowRight", true), Some(KeyAction::StepFrames(10)));
        assert_eq!(key_action("Home", false), Some(KeyAction::JumpToStart));
        assert_eq!(key_action("End", false), Some(KeyAction::JumpToEnd));
        assert_eq!(key_action("x", false), None);
    }

    #[test]
    fn videos_are_offset_by_the_episode_start_in_their_file() {
        assert_eq!(video_time_secs(2.0, 0.0, None), 2.0);
        assert_eq!(video_time_secs(2.0, 12.5, Some(20.0)), 14.5);
        assert_eq!(video_time_secs(10.0, 12.5, Some(20.0)), 20.0);
        assert_eq!(video_time_secs(-1.0, 12.5, None), 12.5);
    }

    #[test]
    fn clock_readout() {
        assert_eq!(format_clock(0.0), "00:00.000");
        assert_eq!(format_clock(62.3456), "01:02.346");
        assert_eq!(format_clock(3723.5), "1:02:03.500");
        assert_eq!(format_clock(f64::NAN), "—");
    }
}
