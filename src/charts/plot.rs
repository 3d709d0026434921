//! Time-series plot of one feature of one episode, drawn with the Canvas 2D API: one coloured line
//! per dimension (legend above the plot), time in seconds on x, values on y, and a vertical line at
//! the shared time cursor. Long series go through min/max decimation, one bucket per pixel column.
//! The geometry (layout, ticks, pixel ↔ time) is plain and tested natively.

use web_sys::CanvasRenderingContext2d;

use super::decimate::{min_max_decimate, Bucket};

/// Line colours (Tableau 10), cycled by dimension.
pub const PALETTE: [&str; 10] =
    ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

/// Background of the plot (tests count pixels that differ from it).
pub const BACKGROUND: &str = "#ffffff";

const FONT: &str = "12px system-ui, -apple-system, 'Segoe UI', sans-serif";
const LEGEND_ROW: f64 = 18.0;

/// One dimension of a feature: its label, its values (one per timestamp) and its colour (an index
/// into [`PALETTE`], kept when other dimensions are hidden).
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    pub label: &'a str,
    pub values: &'a [f64],
    pub color_index: usize,
}

/// The colour of dimension `index`.
pub fn line_color(index: usize) -> &'static str {
    PALETTE[index % PALETTE.len()]
}

/// What to draw besides the lines: the time window shown, the shared cursor and the hover line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    /// Seconds shown on the x axis (`None`: the whole episode).
    pub window_secs: Option<(f64, f64)>,
    pub cursor_secs: Option<f64>,
    pub hover_secs: Option<f64>,
}

/// Where the plot area sits in the canvas, and the data ranges it shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Layout {
    /// Plot area in canvas pixels: left, top, right, bottom.
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
    pub t_from: f64,
    pub t_to: f64,
    pub y_min: f64,
    pub y_max: f64,
}

impl Layout {
    /// The layout of a `width × height` canvas whose legend takes `legend_rows` rows, showing
    /// `window_secs` (or all of `times`); the value axis fits the values inside that window.
    pub fn new(
        width: f64,
        height: f64,
        legend_rows: usize,
        times: &[f64],
        lines: &[Line<'_>],
        window_secs: Option<(f64, f64)>,
    ) -> Layout {
        let (t_from, t_to) = match window_secs {
            Some((from, to)) if from.is_finite() && to > from => (from, to),
            _ => time_range(times),
        };
        // Frames inside the window, plus one on each side so lines leaving it still count.
        let first = times.partition_point(|t| *t < t_from).saturating_sub(1);
        let last = (times.partition_point(|t| *t <= t_to) + 1).min(times.len());
        let visible: Vec<Line<'_>> = lines
            .iter()
            .map(|l| Line { values: l.values.get(first..last.min(l.values.len())).unwrap_or(&[]), ..*l })
            .collect();
        let (y_min, y_max) = value_range(&visible);
        let top = 8.0 + legend_rows as f64 * LEGEND_ROW + 6.0;
        Layout {
            left: 64.0,
            top,
            right: (width - 16.0).max(65.0),
            bottom: (height - 30.0).max(top + 1.0),
            t_from,
            t_to,
            y_min,
            y_max,
        }
    }

    pub fn plot_width(&self) -> f64 {
        self.right - self.left
    }

    pub fn time_to_x(&self, t: f64) -> f64 {
        self.left + (t - self.t_from) / (self.t_to - self.t_from) * self.plot_width()
    }

    pub fn value_to_y(&self, v: f64) -> f64 {
        self.bottom - (v - self.y_min) / (self.y_max - self.y_min) * (self.bottom - self.top)
    }

    /// The time under canvas x coordinate `x`, clamped to the plot's time range.
    pub fn x_to_time(&self, x: f64) -> f64 {
        let fraction = ((x - self.left) / self.plot_width()).clamp(0.0, 1.0);
        self.t_from + fraction * (self.t_to - self.t_from)
    }
}

/// First and last time, widened to a non-empty range.
pub fn time_range(times: &[f64]) -> (f64, f64) {
    let finite = || times.iter().copied().filter(|t| t.is_finite());
    let from = finite().fold(f64::INFINITY, f64::min);
    let to = finite().fold(f64::NEG_INFINITY, f64::max);
    if !from.is_finite() {
        (0.0, 1.0)
    } else if to <= from {
        (from, from + 1.0)
    } else {
        (from, to)
    }
}

/// The finite values' range over all lines, padded by 5 % (±1 when flat, 0..1 when empty).
pub fn value_range(lines: &[Line<'_>]) -> (f64, f64) {
    let values = || lines.iter().flat_map(|l| l.values.iter().copied()).filter(|v| v.is_finite());
    let lo = values().fold(f64::INFINITY, f64::min);
    let hi = values().fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo <= f64::EPSILON * lo.abs().max(1.0) {
        return (lo - 1.0, hi + 1.0);
    }
    let pad = (hi - lo) * 0.05;
    (lo - pad, hi + pad)
}

/// About `target` round tick values (1, 2, 5 × 10ⁿ steps) inside `[lo, hi]`.
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo || target == 0 {
        return Vec::new();
    }
    let raw = (hi - lo) / target as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10.0 * magnitude);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

/// A tick label without float noise (`0.30000000000000004` → `0.3`).
pub fn tick_label(value: f64) -> String {
    let text = format!("{value:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// Places legend entries (swatch + label) left to right, wrapping at `width`; returns each
/// entry's (x, row) and the number of rows. `text_width` measures a label.
pub fn legend_positions(labels: &[&str], width: f64, text_width: impl Fn(&str) -> f64) -> (Vec<(f64, usize)>, usize) {
    let (start, end) = (64.0, width - 16.0);
    let mut x = start;
    let mut row = 0;
    let mut out = Vec::with_capacity(labels.len());
    for label in labels {
        let entry = 18.0 + text_width(label) + 16.0;
        if x > start && x + entry > end {
            x = start;
            row += 1;
        }
        out.push((x, row));
        x += entry;
    }
    (out, if labels.is_empty() { 0 } else { row + 1 })
}

/// A feature's lines reduced to what one canvas size and time window draw: the layout and, per
/// visible dimension, its colour and one min/max bucket per pixel column. Computing it is O(frames);
/// drawing it is O(width), so a moving cursor or hover redraws from it without touching the data.
#[derive(Debug, Clone, PartialEq)]
pub struct Decimated {
    pub layout: Layout,
    pub lines: Vec<(usize, Vec<Bucket>)>,
}

impl Decimated {
    /// Decimates `lines` for a `width × height` canvas showing `window_secs` (or everything).
    pub fn new(width: f64, height: f64, times: &[f64], lines: &[Line<'_>], window_secs: Option<(f64, f64)>) -> Self {
        let layout = Layout::new(width, height, 0, times, lines, window_secs);
        let columns = layout.plot_width().max(1.0) as usize;
        let lines = lines
            .iter()
            .map(|line| (line.color_index, min_max_decimate(times, line.values, layout.t_from, layout.t_to, columns)))
            .collect();
        Decimated { layout, lines }
    }
}

/// Draws a decimated feature into a `width × height` canvas context, with the view's cursor and
/// hover lines. The legend is HTML beside the canvas (it toggles dimensions), so the canvas has none.
pub fn draw_feature(
    ctx: &CanvasRenderingContext2d,
    width: f64,
    height: f64,
    times: &[f64],
    decimated: &Decimated,
    view: View,
) -> Layout {
    ctx.set_fill_style_str(BACKGROUND);
    ctx.fill_rect(0.0, 0.0, width, height);
    ctx.set_font(FONT);
    let layout = decimated.layout;

    // Grid, ticks and axes.
    ctx.set_line_width(1.0);
    ctx.set_stroke_style_str("#e6e6e6");
    ctx.set_fill_style_str("#555555");
    ctx.set_text_align("right");
    ctx.set_text_baseline("middle");
    for v in nice_ticks(layout.y_min, layout.y_max, 5) {
        let y = layout.value_to_y(v).round() + 0.5;
        ctx.begin_path();
        ctx.move_to(layout.left, y);
        ctx.line_to(layout.right, y);
        ctx.stroke();
        let _ = ctx.fill_text(&tick_label(v), layout.left - 6.0, y);
    }
    ctx.set_text_align("center");
    ctx.set_text_baseline("top");
    let x_ticks = ((layout.plot_width() / 90.0) as usize).max(2);
    for t in nice_ticks(layout.t_from, layout.t_to, x_ticks) {
        let x = layout.time_to_x(t).round() + 0.5;
        ctx.begin_path();
        ctx.move_to(x, layout.top);
        ctx.line_to(x, layout.bottom);
        ctx.stroke();
        let _ = ctx.fill_text(&format!("{} s", tick_label(t)), x, layout.bottom + 6.0);
    }
    ctx.set_stroke_style_str("#999999");
    ctx.stroke_rect(layout.left + 0.5, layout.top + 0.5, layout.plot_width() - 1.0, layout.bottom - layout.top - 1.0);

    // Lines: one bucket per pixel column; within a column min and max in time order, so a
    // single-sample spike still draws as a vertical segment.
    ctx.save();
    ctx.begin_path();
    ctx.rect(layout.left, layout.top, layout.plot_width(), layout.bottom - layout.top);
    ctx.clip();
    ctx.set_line_width(1.5);
    for (color_index, buckets) in &decimated.lines {
        ctx.set_stroke_style_str(line_color(*color_index));
        // Round joins look better where samples are sparse; where every pixel column holds a
        // min/max zigzag they cannot be seen, and a software canvas (no GPU) spent hundreds of ms
        // stroking them for a 100k-frame episode.
        let dense = buckets.len() as f64 * 2.0 > layout.plot_width();
        ctx.set_line_join(if dense { "bevel" } else { "round" });
        ctx.begin_path();
        for (b, bucket) in buckets.iter().enumerate() {
            let (first, second) = if bucket.min_index <= bucket.max_index {
                ((bucket.min_index, bucket.min), (bucket.max_index, bucket.max))
            } else {
                ((bucket.max_index, bucket.max), (bucket.min_index, bucket.min))
            };
            let x1 = layout.time_to_x(times[first.0]);
            let x2 = layout.time_to_x(times[second.0]);
            if b == 0 {
                ctx.move_to(x1, layout.value_to_y(first.1));
            } else {
                ctx.line_to(x1, layout.value_to_y(first.1));
            }
            if second.0 != first.0 {
                ctx.line_to(x2, layout.value_to_y(second.1));
            }
        }
        ctx.stroke();
    }
    ctx.restore();

    // Hover line (light, so it never reads as the cursor).
    if let Some(t) = view.hover_secs.filter(|t| t.is_finite() && *t >= layout.t_from && *t <= layout.t_to) {
        let x = layout.time_to_x(t).round() + 0.5;
        ctx.set_stroke_style_str("#b0b0b0");
        ctx.set_line_width(1.0);
        ctx.begin_path();
        ctx.move_to(x, layout.top);
        ctx.line_to(x, layout.bottom);
        ctx.stroke();
    }

    // Time cursor.
    if let Some(t) = view.cursor_secs.filter(|t| t.is_finite() && *t >= layout.t_from && *t <= layout.t_to) {
        let x = layout.time_to_x(t).round() + 0.5;
        ctx.set_stroke_style_str("#111111");
        ctx.set_line_width(1.0);
        ctx.begin_path();
        ctx.move_to(x, layout.top);
        ctx.line_to(x, layout.bottom);
        ctx.stroke();
    }
    layout
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clicks_map_to_times_and_back() {
        let times: Vec<f64> = (0..240).map(|i| i as f64 / 30.0).collect();
        let values: Vec<f64> = times.iter().map(|t| t.sin()).collect();
        let lines = [Line { label: "a", values: &values, color_index: 0 }];
        let layout = Layout::new(1000.0, 260.0, 1, &times, &lines, None);
        assert_eq!(layout.x_to_time(layout.left), 0.0);
        assert!((layout.x_to_time(layout.right) - 239.0 / 30.0).abs() < 1e-12);
        let middle = (layout.left + layout.right) / 2.0;
        assert!((layout.time_to_x(layout.x_to_time(middle)) - middle).abs() < 1e-9);
        // Outside the plot area clamps to the ends.
        assert_eq!(layout.x_to_time(0.0), 0.0);
        assert!(layout.value_to_y(layout.y_max) < layout.value_to_y(layout.y_min));
    }

    #[test]
    fn a_zoomed_window_maps_its_ends_and_fits_its_values() {
        let times: Vec<f64> = (0..300).map(|i| i as f64 / 30.0).collect();
        // A ramp: the values inside 2..4 s lie between 2 and 4 (±1 frame).
        let values = times.clone();
        let lines = [Line { label: "a", values: &values, color_index: 3 }];
        let layout = Layout::new(1000.0, 260.0, 0, &times, &lines, Some((2.0, 4.0)));
        assert_eq!(layout.x_to_time(layout.left), 2.0);
        assert_eq!(layout.x_to_time(layout.right), 4.0);
        assert!(layout.y_min > 1.8 && layout.y_max < 4.2, "{} .. {}", layout.y_min, layout.y_max);
        // A window that is empty or reversed falls back to the whole episode.
        let whole = Layout::new(1000.0, 260.0, 0, &times, &lines, Some((5.0, 5.0)));
        assert_eq!((whole.t_from, whole.t_to), (0.0, 299.0 / 30.0));
        assert_eq!(line_color(13), PALETTE[3]);
    }

    #[test]
    fn decimation_is_per_pixel_column_and_keeps_colours() {
        let times: Vec<f64> = (0..100_000).map(|i| i as f64 / 30.0).collect();
        let values: Vec<f64> = times.iter().map(|t| t.sin()).collect();
        let lines = [Line { label: "a", values: &values, color_index: 4 }];
        let d = Decimated::new(1000.0, 240.0, &times, &lines, None);
        assert_eq!(d.lines.len(), 1);
        assert_eq!(d.lines[0].0, 4);
        assert!(d.lines[0].1.len() <= d.layout.plot_width() as usize);
        assert!(d.lines[0].1.len() > 900);
    }

    #[test]
    fn ranges_are_never_empty() {
        assert_eq!(time_range(&[]), (0.0, 1.0));
        assert_eq!(time_range(&[2.0]), (2.0, 3.0));
        let flat = [5.0, 5.0];
        assert_eq!(value_range(&[Line { label: "x", values: &flat, color_index: 0 }]), (4.0, 6.0));
        let nan = [f64::NAN];
        assert_eq!(value_range(&[Line { label: "x", values: &nan, color_index: 0 }]), (0.0, 1.0));
    }

    #[test]
    fn ticks_are_round_and_inside() {
        assert_eq!(nice_ticks(0.0, 8.0, 4), vec![0.0, 2.0, 4.0, 6.0, 8.0]);
        let ticks = nice_ticks(-0.33, 0.71, 5);
        assert!(ticks.iter().all(|t| (-0.33..=0.71).contains(t)));
        assert_eq!(ticks, vec![0.0, 0.5]);
        assert_eq!(nice_ticks(-1.0, 1.0, 4), vec![-1.0, -0.5, 0.0, 0.5, 1.0]);
        assert_eq!(tick_label(-0.0), "0");
        assert!(nice_ticks(1.0, 1.0, 5).is_empty());
        assert_eq!(tick_label(0.1 + 0.2), "0.3");
    }

    #[test]
    fn legend_wraps_rows() {
        let labels = ["a"; 20];
        let (positions, rows) = legend_positions(&labels, 400.0, |_| 60.0);
        assert_eq!(positions.len(), 20);
        assert!(rows > 1);
        assert!(positions.iter().all(|(x, _)| *x + 94.0 <= 400.0 - 16.0 + 1e-9));
    }
}
