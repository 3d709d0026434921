//! The report's charts as SVG strings drawn with plotters' SVG backend: value histograms per
//! dimension (small multiples), episode lengths, time per task, per-dimension ranges, and the
//! comparison charts (time by robot type and by task, errors and warnings per dataset).
//!
//! Axes, ticks and labels are laid out here from numbers alone and drawn as plain `<text>` with an
//! SVG `text-anchor`, so plotters never measures text: the same code draws in a browser (where
//! plotters would measure with a `document`, absent in a worker) and natively without the `ttf`
//! feature (whose fallback only estimates widths). The viewer's fonts render the text, with
//! Japanese fallbacks. Dataset strings (task texts, dimension names) are escaped by the backend.
//!
//! The SVG has no `xmlns` (it is meant to be inlined in HTML, which needs none, and the report must
//! hold no URL); [`standalone_svg`] adds it for a `.svg` file.

use episcope_core::check::render::escape_html;
use std::collections::BTreeMap;

use episcope_core::check::report::{FullReport, TaskSummary};
use episcope_core::check::rules::Severity;
use episcope_core::stats::{EpisodeLengthStats, FeatureStatistics};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::i18n::{format_decimal, format_integer, format_significant, Lang, Msg, TimeUnit};

/// The fonts charts ask for (system fonts, with Japanese ones before the generic fallback).
pub const FONT_STACK: &str =
    "system-ui, -apple-system, Segoe UI, Roboto, Noto Sans, Noto Sans CJK JP, Hiragino Sans, Yu Gothic, Meiryo, sans-serif";
/// Dimensions drawn per feature (the report keeps histograms for as many).
pub const MAX_CHART_DIMENSIONS: usize = crate::assemble::MAX_HISTOGRAM_DIMENSIONS_PER_FEATURE;
/// Bars drawn in a bar chart; the rest are summed into one "other" bar where that makes sense.
pub const MAX_BARS: usize = 20;
/// Characters of a label drawn before it is cut with `…`.
pub const MAX_LABEL_CHARS: usize = 34;

const WIDTH: u32 = 760;
const INK: RGBColor = RGBColor(23, 33, 43);
const MUTED: RGBColor = RGBColor(91, 103, 117);
const GRID: RGBColor = RGBColor(222, 228, 235);
const BAR: RGBColor = RGBColor(43, 92, 138);
const BAR_EDGE: RGBColor = RGBColor(24, 54, 84);
const BOX_FILL: RGBColor = RGBColor(190, 212, 234);
const MEDIAN: RGBColor = RGBColor(194, 65, 12);
const ERROR: RGBColor = RGBColor(180, 35, 24);
const WARNING: RGBColor = RGBColor(196, 132, 29);

/// A chart could not be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChartError {
    #[error("drawing the {chart} chart failed: {message}")]
    Drawing { chart: &'static str, message: String },
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Drawn = Result<(), String>;

/// Draws into a fresh SVG of `height` pixels; returns it without `xmlns`, labelled for screen readers.
fn render(
    chart: &'static str,
    title: &str,
    height: u32,
    draw: impl FnOnce(&Canvas) -> Drawn,
) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        let canvas = Canvas { area: &area };
        let drawn =
            canvas.fill_white().and_then(|()| draw(&canvas)).and_then(|()| area.present().map_err(|e| e.to_string()));
        drawn.map_err(|message| ChartError::Drawing { chart, message })?;
    }
    let svg = svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1);
    let label = format!("<svg class=\"chart\" role=\"img\" aria-label=\"{}\" ", escape_html(title));
    Ok(svg.replacen("<svg ", &label, 1))
}

/// Adds the SVG namespace, for saving a chart as its own `.svg` file.
pub fn standalone_svg(svg: &str) -> String {
    svg.replacen("<svg ", "<svg xmlns=\"http://www.w3.org/2000/svg\" ", 1)
}

struct Canvas<'a, 'b> {
    area: &'b Area<'a>,
}

#[derive(Clone, Copy)]
struct TextLook {
    size: f64,
    color: RGBColor,
    h: HPos,
    v: VPos,
    bold: bool,
    vertical: bool,
}

impl TextLook {
    fn new(size: f64, h: HPos, v: VPos) -> TextLook {
        TextLook { size, color: INK, h, v, bold: false, vertical: false }
    }
    fn muted(mut self) -> TextLook {
        self.color = MUTED;
        self
    }
    fn bold(mut self) -> TextLook {
        self.bold = true;
        self
    }
    fn vertical(mut self) -> TextLook {
        self.vertical = true;
        self
    }
}

impl Canvas<'_, '_> {
    fn fill_white(&self) -> Drawn {
        self.area.fill(&WHITE).map_err(|e| e.to_string())
    }

    fn rect(&self, (x0, y0): (i32, i32), (x1, y1): (i32, i32), fill: RGBColor, edge: Option<RGBColor>) -> Drawn {
        self.area.draw(&Rectangle::new([(x0, y0), (x1, y1)], fill.filled())).map_err(|e| e.to_string())?;
        if let Some(edge) = edge {
            self.area.draw(&Rectangle::new([(x0, y0), (x1, y1)], edge.stroke_width(1))).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn line(&self, from: (i32, i32), to: (i32, i32), color: RGBColor, width: u32) -> Drawn {
        self.area.draw(&PathElement::new(vec![from, to], color.stroke_width(width))).map_err(|e| e.to_string())
    }

    fn text(&self, text: &str, at: (i32, i32), look: TextLook) -> Drawn {
        let style = if look.bold { FontStyle::Bold } else { FontStyle::Normal };
        let mut font = FontDesc::new(FontFamily::Name(FONT_STACK), look.size, style)
            .color(&look.color)
            .pos(Pos::new(look.h, look.v));
        if look.vertical {
            font = font.transform(FontTransform::Rotate270);
        }
        self.area.draw(&Text::new(text, at, font)).map_err(|e| e.to_string())
    }

    fn title(&self, text: &str) -> Drawn {
        self.text(text, (12, 10), TextLook::new(17.0, HPos::Left, VPos::Top).bold())
    }
}

/// `value` → pixel, linear over `[low, high]` → `[px_low, px_high]`.
#[derive(Clone, Copy)]
struct Scale {
    low: f64,
    high: f64,
    px_low: i32,
    px_high: i32,
}

impl Scale {
    fn new(low: f64, high: f64, px_low: i32, px_high: i32) -> Scale {
        let (low, high) = if high > low && (high - low).is_finite() {
            (low, high)
        } else {
            let pad = (low.abs() * 0.1).max(0.5);
            (low - pad, low + pad)
        };
        Scale { low, high, px_low, px_high }
    }

    fn px(&self, value: f64) -> i32 {
        let fraction = ((value - self.low) / (self.high - self.low)).clamp(0.0, 1.0);
        let px = f64::from(self.px_low) + fraction * f64::from(self.px_high - self.px_low);
        if px.is_finite() {
            px.round() as i32
        } else {
            self.px_low
        }
    }
}

/// Ticks at 1, 2, 2.5 or 5 × 10ⁿ steps inside `[low, high]`, at most `max_ticks + 1`; the step.
fn nice_ticks(low: f64, high: f64, max_ticks: usize) -> (Vec<f64>, f64) {
    let span = high - low;
    if !(span.is_finite() && span > 0.0) || max_ticks == 0 {
        return (vec![low], 1.0);
    }
    let raw = span / max_ticks as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10.0 * magnitude);
    if !(step.is_finite() && step > 0.0) {
        return (vec![low, high], span);
    }
    let first = (low / step).ceil();
    let ticks = (0..=max_ticks + 1)
        .map(|i| (first + i as f64) * step)
        .take_while(|v| *v <= high + step * 1e-9)
        .map(|v| if v.abs() < step * 1e-9 { 0.0 } else { v })
        .collect();
    (ticks, step)
}

/// A tick label with as many decimals as the step needs.
fn tick_label(value: f64, step: f64, lang: Lang) -> String {
    let decimals = if step > 0.0 && step.is_finite() { (-step.log10().floor()).clamp(0.0, 6.0) as usize } else { 0 };
    let decimals = if (step * 10f64.powi(decimals as i32)).fract().abs() > 1e-9 { decimals + 1 } else { decimals };
    format_decimal(value, decimals, lang)
}

/// `text` cut to `max` characters with `…`.
pub fn truncate_label(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// A horizontal axis with ticks, labels and grid lines up to `grid_top`, and its title below.
fn x_axis(canvas: &Canvas, scale: Scale, y: i32, grid_top: i32, max_ticks: usize, title: &str, lang: Lang) -> Drawn {
    let (ticks, step) = nice_ticks(scale.low, scale.high, max_ticks);
    for tick in ticks {
        let x = scale.px(tick);
        if grid_top < y {
            canvas.line((x, grid_top), (x, y), GRID, 1)?;
        }
        canvas.line((x, y), (x, y + 4), MUTED, 1)?;
        canvas.text(&tick_label(tick, step, lang), (x, y + 6), TextLook::new(13.0, HPos::Center, VPos::Top).muted())?;
    }
    canvas.line((scale.px_low, y), (scale.px_high, y), MUTED, 1)?;
    if !title.is_empty() {
        let middle = (scale.px_low + scale.px_high) / 2;
        canvas.text(title, (middle, y + 24), TextLook::new(14.0, HPos::Center, VPos::Top))?;
    }
    Ok(())
}

/// A vertical histogram of `counts` over `[low, high]` in the box `(x0, y0)–(x1, y1)`.
struct HistogramPanel<'a> {
    counts: &'a [u64],
    low: f64,
    high: f64,
    top_left: (i32, i32),
    bottom_right: (i32, i32),
}

fn draw_histogram(canvas: &Canvas, panel: &HistogramPanel, y_ticks: bool, x_title: &str, lang: Lang) -> Drawn {
    let (x0, y0) = panel.top_left;
    let (x1, y1) = panel.bottom_right;
    let max_count = panel.counts.iter().copied().max().unwrap_or(0).max(1);
    let x = Scale::new(panel.low, panel.high, x0, x1);
    let y = Scale::new(0.0, max_count as f64, y1, y0);
    if y_ticks {
        let (mut ticks, mut step) = nice_ticks(0.0, max_count as f64, 4);
        if step < 1.0 {
            // Counts are whole: below 4, one tick per count.
            (ticks, step) = ((0..=max_count).map(|c| c as f64).collect(), 1.0);
        }
        for tick in ticks {
            let py = y.px(tick);
            canvas.line((x0, py), (x1, py), GRID, 1)?;
            canvas.text(
                &tick_label(tick, step, lang),
                (x0 - 6, py),
                TextLook::new(13.0, HPos::Right, VPos::Center).muted(),
            )?;
        }
    } else {
        let label = format_integer(max_count);
        canvas.line((x0, y0), (x1, y0), GRID, 1)?;
        canvas.text(&label, (x0 + 2, y0 - 2), TextLook::new(11.0, HPos::Left, VPos::Bottom).muted())?;
    }
    let bins = panel.counts.len().max(1) as f64;
    let width = x.high - x.low;
    for (i, &count) in panel.counts.iter().enumerate() {
        if count == 0 {
            continue;
        }
        let left = x.px(x.low + width * i as f64 / bins);
        let right = x.px(x.low + width * (i + 1) as f64 / bins).max(left + 1);
        canvas.rect((left, y.px(count as f64)), (right, y1), BAR, None)?;
    }
    x_axis(canvas, x, y1, y1, if y_ticks { 8 } else { 4 }, x_title, lang)
}

/// Episode lengths in seconds (the histogram's frame edges over `fps`); `None` without episodes.
pub fn episode_length_chart(lengths: &EpisodeLengthStats, fps: f64, lang: Lang) -> Result<Option<String>, ChartError> {
    let Some(histogram) = lengths.histogram.as_ref().filter(|h| !h.counts.is_empty()) else { return Ok(None) };
    let fps = if fps.is_finite() && fps > 0.0 { fps } else { 1.0 };
    let title = Msg::ChartEpisodeLengths.text(lang);
    let svg = render("episode length", title, 300, |canvas| {
        canvas.title(title)?;
        canvas.text(
            Msg::AxisEpisodes.text(lang),
            (20, 160),
            TextLook::new(14.0, HPos::Center, VPos::Center).vertical(),
        )?;
        let panel = HistogramPanel {
            counts: &histogram.counts,
            low: histogram.low / fps,
            high: histogram.high / fps,
            top_left: (80, 46),
            bottom_right: (WIDTH as i32 - 24, 240),
        };
        draw_histogram(canvas, &panel, true, Msg::AxisSeconds.text(lang), lang)
    })?;
    Ok(Some(svg))
}

/// Small multiples: one histogram per dimension (at most [`MAX_CHART_DIMENSIONS`]), named by the
/// dimension labels; `None` when no dimension has a histogram.
pub fn histogram_chart(feature: &FeatureStatistics, lang: Lang) -> Result<Option<String>, ChartError> {
    let panels: Vec<(String, &episcope_core::stats::Histogram)> = feature
        .dims
        .iter()
        .enumerate()
        .take(MAX_CHART_DIMENSIONS)
        .filter_map(|(i, d)| {
            let label = feature.labels.get(i).cloned().unwrap_or_else(|| format!("{}[{i}]", feature.feature));
            d.histogram.as_ref().filter(|h| !h.counts.is_empty()).map(|h| (label, h))
        })
        .collect();
    if panels.is_empty() {
        return Ok(None);
    }
    const COLUMNS: usize = 3;
    const PANEL_HEIGHT: i32 = 150;
    let rows = panels.len().div_ceil(COLUMNS);
    let height = 64 + rows as i32 * PANEL_HEIGHT;
    let title = format!("{} — {}", feature.feature, Msg::ChartDistributions.text(lang));
    let svg = render("histogram", &title, height as u32, |canvas| {
        canvas.title(&truncate_label(&title, 80))?;
        canvas.text(
            &format!("↑ {}", Msg::AxisFrames.text(lang)),
            (12, 36),
            TextLook::new(13.0, HPos::Left, VPos::Top).muted(),
        )?;
        let column_width = (WIDTH as i32 - 24) / COLUMNS as i32;
        for (i, (label, histogram)) in panels.iter().enumerate() {
            let left = 12 + (i % COLUMNS) as i32 * column_width;
            let top = 58 + (i / COLUMNS) as i32 * PANEL_HEIGHT;
            canvas.text(
                &truncate_label(label, 30),
                (left + 10, top),
                TextLook::new(14.0, HPos::Left, VPos::Top).bold(),
            )?;
            let panel = HistogramPanel {
                counts: &histogram.counts,
                low: histogram.low,
                high: histogram.high,
                top_left: (left + 10, top + 34),
                bottom_right: (left + column_width - 16, top + PANEL_HEIGHT - 32),
            };
            draw_histogram(canvas, &panel, false, "", lang)?;
        }
        Ok(())
    })?;
    Ok(Some(svg))
}

/// One row per dimension: a line from min to max, a box from q01 to q99 and a mark at the median,
/// on one axis for the feature; `None` when no dimension has values.
pub fn range_chart(feature: &FeatureStatistics, lang: Lang) -> Result<Option<String>, ChartError> {
    struct Row {
        label: String,
        min: f64,
        max: f64,
        q01: Option<f64>,
        q50: Option<f64>,
        q99: Option<f64>,
    }
    let rows: Vec<Row> = feature
        .dims
        .iter()
        .enumerate()
        .take(MAX_CHART_DIMENSIONS)
        .filter_map(|(i, d)| {
            let (min, max) = (d.min?, d.max?);
            Some(Row {
                label: feature.labels.get(i).cloned().unwrap_or_else(|| format!("{}[{i}]", feature.feature)),
                min,
                max,
                q01: d.quantile(0.01),
                q50: d.quantile(0.5),
                q99: d.quantile(0.99),
            })
        })
        .collect();
    if rows.is_empty() {
        return Ok(None);
    }
    const ROW_HEIGHT: i32 = 24;
    const TOP: i32 = 66;
    let low = rows.iter().map(|r| r.min).fold(f64::INFINITY, f64::min);
    let high = rows.iter().map(|r| r.max).fold(f64::NEG_INFINITY, f64::max);
    let height = TOP + rows.len() as i32 * ROW_HEIGHT + 56;
    let title = format!("{} — {}", feature.feature, Msg::ChartRanges.text(lang));
    let svg = render("range", &title, height as u32, |canvas| {
        canvas.title(&truncate_label(&title, 80))?;
        let legend = format!(
            "{} · {} · {}",
            Msg::LegendRange.text(lang),
            Msg::LegendBox.text(lang),
            Msg::LegendMedian.text(lang)
        );
        canvas.text(&legend, (12, 36), TextLook::new(13.0, HPos::Left, VPos::Top).muted())?;
        let axis_y = TOP + rows.len() as i32 * ROW_HEIGHT + 4;
        let x = Scale::new(low, high, 230, WIDTH as i32 - 24);
        x_axis(canvas, x, axis_y, TOP - 4, 8, "", lang)?;
        for (i, row) in rows.iter().enumerate() {
            let middle = TOP + i as i32 * ROW_HEIGHT + ROW_HEIGHT / 2;
            canvas.text(
                &truncate_label(&row.label, 30),
                (222, middle),
                TextLook::new(14.0, HPos::Right, VPos::Center),
            )?;
            canvas.line((x.px(row.min), middle), (x.px(row.max), middle), INK, 1)?;
            for end in [row.min, row.max] {
                canvas.line((x.px(end), middle - 4), (x.px(end), middle + 4), INK, 1)?;
            }
            if let (Some(q01), Some(q99)) = (row.q01, row.q99) {
                let right = x.px(q99).max(x.px(q01) + 2);
                canvas.rect((x.px(q01), middle - 7), (right, middle + 7), BOX_FILL, Some(BAR_EDGE))?;
            }
            if let Some(q50) = row.q50 {
                canvas.line((x.px(q50), middle - 9), (x.px(q50), middle + 9), MEDIAN, 3)?;
            }
        }
        Ok(())
    })?;
    Ok(Some(svg))
}

/// One bar group of a horizontal bar chart.
struct BarRow {
    label: String,
    values: Vec<f64>,
}

/// One series of a horizontal bar chart (several series draw grouped bars with a legend).
struct BarSeries {
    name: &'static str,
    color: RGBColor,
}

fn horizontal_bars(
    chart: &'static str,
    title: &str,
    rows: &[BarRow],
    series: &[BarSeries],
    axis_title: &str,
    value_label: &dyn Fn(f64) -> String,
    lang: Lang,
) -> Result<String, ChartError> {
    let series_count = series.len().max(1) as i32;
    let bar_height = 16;
    let row_height = bar_height * series_count + 10;
    let top = if series.len() > 1 { 64 } else { 46 };
    let height = top + rows.len() as i32 * row_height + 60;
    let high = rows.iter().flat_map(|r| r.values.iter().copied()).filter(|v| v.is_finite()).fold(0.0, f64::max);
    let high = if high > 0.0 { high * 1.08 } else { 1.0 };
    render(chart, title, height as u32, |canvas| {
        canvas.title(&truncate_label(title, 80))?;
        if series.len() > 1 {
            let mut x = 12;
            for s in series {
                canvas.rect((x, 38), (x + 12, 50), s.color, None)?;
                canvas.text(s.name, (x + 18, 44), TextLook::new(14.0, HPos::Left, VPos::Center))?;
                x += 24 + 9 * s.name.chars().count() as i32 + 20;
            }
        }
        let axis_y = top + rows.len() as i32 * row_height + 2;
        let x = Scale::new(0.0, high, 250, WIDTH as i32 - 60);
        x_axis(canvas, x, axis_y, top - 4, 6, axis_title, lang)?;
        for (i, row) in rows.iter().enumerate() {
            let row_top = top + i as i32 * row_height + 5;
            let middle = row_top + (row_height - 10) / 2;
            canvas.text(
                &truncate_label(&row.label, MAX_LABEL_CHARS),
                (242, middle),
                TextLook::new(14.0, HPos::Right, VPos::Center),
            )?;
            for (j, (value, s)) in row.values.iter().zip(series).enumerate() {
                let bar_top = row_top + j as i32 * bar_height;
                let right = x.px(*value);
                if right > x.px_low {
                    canvas.rect((x.px_low, bar_top), (right, bar_top + bar_height - 2), s.color, None)?;
                }
                canvas.text(
                    &value_label(*value),
                    (right + 4, bar_top + bar_height / 2 - 1),
                    TextLook::new(12.0, HPos::Left, VPos::Center).muted(),
                )?;
            }
        }
        Ok(())
    })
}

/// Rows sorted by their first value (largest first), at most [`MAX_BARS`], the rest summed into
/// one row labelled `other` when given.
fn top_rows(mut rows: Vec<BarRow>, other: Option<&str>) -> Vec<BarRow> {
    rows.sort_by(|a, b| b.values.first().unwrap_or(&0.0).total_cmp(a.values.first().unwrap_or(&0.0)));
    if rows.len() > MAX_BARS {
        let rest = rows.split_off(MAX_BARS - usize::from(other.is_some()));
        if let Some(other) = other {
            let count = rest.len();
            let width = rest.first().map_or(0, |r| r.values.len());
            let values = (0..width).map(|i| rest.iter().filter_map(|r| r.values.get(i)).sum()).collect();
            rows.push(BarRow { label: format!("{other} ({count})"), values });
        }
    }
    rows
}

/// The unit for bars of durations up to `max_secs`.
fn time_unit_for(max_secs: f64) -> TimeUnit {
    TimeUnit::for_secs(max_secs)
}

/// Recorded time per task (from frames attributed through `task_index`); `None` without times.
pub fn task_time_chart(tasks: &[TaskSummary], lang: Lang) -> Result<Option<String>, ChartError> {
    let timed: Vec<(&TaskSummary, f64)> = tasks.iter().filter_map(|t| t.hours.map(|h| (t, h * 3600.0))).collect();
    if timed.is_empty() {
        return Ok(None);
    }
    let unit = time_unit_for(timed.iter().map(|(_, s)| *s).fold(0.0, f64::max));
    let rows = timed
        .iter()
        .map(|(task, secs)| BarRow {
            label: if task.text.trim().is_empty() { Msg::NoTask.text(lang).to_string() } else { task.text.clone() },
            values: vec![secs / unit.secs_per_unit()],
        })
        .collect();
    let rows = top_rows(rows, Some(Msg::OtherTasks.text(lang)));
    let title = Msg::ChartTaskTime.text(lang);
    let series = [BarSeries { name: "", color: BAR }];
    horizontal_bars(
        "task time",
        title,
        &rows,
        &series,
        unit.axis_label(lang),
        &|v| format_significant(v, 3, lang),
        lang,
    )
    .map(Some)
}

/// A report's recorded time in seconds: its duration, else frames over fps.
pub fn report_duration_secs(report: &FullReport) -> Option<f64> {
    report.duration_secs.or_else(|| {
        let d = &report.report.dataset;
        d.fps.filter(|f| f.is_finite() && *f > 0.0).map(|fps| d.frames as f64 / fps)
    })
}

/// Recorded time summed by robot type over the reports; `None` when no report has a duration.
pub fn hours_by_robot_chart(reports: &[FullReport], lang: Lang) -> Result<Option<String>, ChartError> {
    let mut totals: BTreeMap<String, f64> = BTreeMap::new();
    for report in reports {
        let Some(secs) = report_duration_secs(report) else { continue };
        let robot =
            report.report.dataset.robot_type.clone().unwrap_or_else(|| Msg::UnnamedRobot.text(lang).to_string());
        *totals.entry(robot).or_default() += secs;
    }
    if totals.is_empty() {
        return Ok(None);
    }
    let unit = time_unit_for(totals.values().copied().fold(0.0, f64::max));
    let rows =
        totals.into_iter().map(|(label, secs)| BarRow { label, values: vec![secs / unit.secs_per_unit()] }).collect();
    let rows = top_rows(rows, Some(Msg::OtherRobots.text(lang)));
    let title = Msg::ChartHoursByRobot.text(lang);
    let series = [BarSeries { name: "", color: BAR }];
    horizontal_bars(
        "hours by robot",
        title,
        &rows,
        &series,
        unit.axis_label(lang),
        &|v| format_significant(v, 3, lang),
        lang,
    )
    .map(Some)
}

/// Recorded time summed by task text over the reports (tasks with a time); `None` without any.
pub fn hours_by_task_chart(reports: &[FullReport], lang: Lang) -> Result<Option<String>, ChartError> {
    // Keyed by text: reports read from files may list many tasks.
    let mut totals: BTreeMap<String, f64> = BTreeMap::new();
    for task in reports.iter().flat_map(|r| r.tasks.iter()) {
        let Some(hours) = task.hours else { continue };
        *totals.entry(task.text.clone()).or_default() += hours * 3600.0;
    }
    if totals.is_empty() {
        return Ok(None);
    }
    let unit = time_unit_for(totals.values().copied().fold(0.0, f64::max));
    let rows =
        totals.into_iter().map(|(label, secs)| BarRow { label, values: vec![secs / unit.secs_per_unit()] }).collect();
    let rows = top_rows(rows, Some(Msg::OtherTasks.text(lang)));
    let title = Msg::ChartHoursByTask.text(lang);
    let series = [BarSeries { name: "", color: BAR }];
    horizontal_bars(
        "hours by task",
        title,
        &rows,
        &series,
        unit.axis_label(lang),
        &|v| format_significant(v, 3, lang),
        lang,
    )
    .map(Some)
}

/// Error and warning findings per dataset, grouped bars; `None` without reports.
pub fn findings_per_dataset_chart(reports: &[FullReport], lang: Lang) -> Result<Option<String>, ChartError> {
    if reports.is_empty() {
        return Ok(None);
    }
    let rows: Vec<BarRow> = reports
        .iter()
        .take(MAX_BARS)
        .map(|r| BarRow {
            label: r.report.dataset.name.clone(),
            values: vec![r.report.summary.errors as f64, r.report.summary.warnings as f64],
        })
        .collect();
    let series = [
        BarSeries { name: Msg::Errors.text(lang), color: ERROR },
        BarSeries { name: Msg::Warnings.text(lang), color: WARNING },
    ];
    let title = Msg::ChartFindingsPerDataset.text(lang);
    horizontal_bars(
        "findings per dataset",
        title,
        &rows,
        &series,
        Msg::AxisFindings.text(lang),
        &|v| format_integer(v as u64),
        lang,
    )
    .map(Some)
}

/// The colour of a severity in charts and badges (CSS hex).
pub fn severity_color(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "#b42318",
        Severity::Warning => "#9a6700",
        Severity::Info => "#0f6fae",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_inside_the_range() {
        assert_eq!(nice_ticks(0.0, 10.0, 5), (vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0], 2.0));
        let (ticks, step) = nice_ticks(-45.3, 45.6, 8);
        assert_eq!(step, 20.0);
        assert_eq!(ticks, vec![-40.0, -20.0, 0.0, 20.0, 40.0]);
        assert_eq!(nice_ticks(3.0, 3.0, 5).0, vec![3.0]);
        assert_eq!(tick_label(0.25, 0.25, Lang::En), "0.25");
        assert_eq!(tick_label(2000.0, 500.0, Lang::En), "2,000");
        assert_eq!(tick_label(f64::NAN, 1.0, Lang::En), "—");
    }

    #[test]
    fn labels_are_cut_by_characters() {
        assert_eq!(truncate_label("pick up the cube", 8), "pick up…");
        assert_eq!(truncate_label("キューブを持ち上げる", 5), "キューブ…");
        assert_eq!(truncate_label("short", 8), "short");
    }
}
