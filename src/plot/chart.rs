//! Stacked panels on one shared time axis: the layout every plot uses.
//! A `Chart` is plain data (panels of series, lanes, marks, phases); `render`
//! turns it into SVG text.

use super::scale::{nice_max, ticks, Scale};
use super::svg::{Anchor, Svg};

pub const WIDTH: f64 = 1280.0;
const LEFT: f64 = 150.0;
const RIGHT: f64 = 250.0;
const TOP: f64 = 88.0;
const PANEL_H: f64 = 150.0;
const PANEL_GAP: f64 = 34.0;
const LANE_H: f64 = 16.0;
const AXIS_H: f64 = 40.0;

/// Colours that stay apart for the colour-blind (Okabe–Ito).
pub const PALETTE: [&str; 8] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000",
];

/// What a panel's values are, for its tick labels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unit {
    Cores,
    /// Values in seconds (a wall or CPU time).
    Seconds,
    /// Values in bytes.
    Bytes,
    BytesPerSecond,
    Percent,
}

impl Unit {
    pub fn label(self, v: f64) -> String {
        match self {
            Unit::Cores => trim(v),
            Unit::Seconds => crate::report::units::duration(v),
            Unit::Bytes => axis_bytes(v),
            Unit::BytesPerSecond => format!("{}/s", axis_bytes(v)),
            Unit::Percent => format!("{} %", trim(v)),
        }
    }

    fn axis_name(self) -> &'static str {
        match self {
            Unit::Cores => "cores",
            Unit::Seconds => "time",
            Unit::Bytes => "bytes",
            Unit::BytesPerSecond => "bytes/s",
            Unit::Percent => "%",
        }
    }

    /// An axis' tick labels. Numbers keep the decimals their step needs
    /// (`0.0 0.5 1.0`), and seconds take one unit for the whole axis, ms
    /// under 1 s: with 2 decimals kept, a 16 ms axis read `0 s 0.01 s`.
    pub fn tick_labels(self, ticks: &[f64]) -> Vec<String> {
        let step = match ticks {
            [a, b, ..] => b - a,
            _ => 1.0,
        };
        let top = ticks.iter().copied().fold(0.0_f64, f64::max);
        match self {
            Unit::Cores => ticks.iter().map(|t| fixed(*t, step)).collect(),
            Unit::Percent => ticks
                .iter()
                .map(|t| format!("{} %", fixed(*t, step)))
                .collect(),
            Unit::Seconds => seconds_labels(ticks, top),
            Unit::Bytes | Unit::BytesPerSecond => ticks.iter().map(|t| self.label(*t)).collect(),
        }
    }
}

/// The unit an axis of seconds up to `top` is labelled in: its size in
/// seconds and its name.
fn seconds_unit(top: f64) -> (f64, &'static str) {
    if top < 1.0 {
        (0.001, "ms")
    } else if top <= 180.0 {
        (1.0, "s")
    } else if top <= 3.0 * 3600.0 {
        (60.0, "min")
    } else {
        (3600.0, "h")
    }
}

/// `v` with as many decimals as `step` needs: 0 for 1, 1 for 0.5, 2 for 0.05.
fn fixed(v: f64, step: f64) -> String {
    let decimals = if step.is_finite() && step > 0.0 && step < 1.0 {
        (-libm::log10(step) - 1e-9).ceil().clamp(0.0, 9.0) as usize
    } else {
        0
    };
    format!("{v:.decimals$}")
}

fn trim(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Bytes on an axis: binary units with up to 1 decimal.
fn axis_bytes(v: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut x = v;
    let mut u = 0;
    while x.abs() >= 1024.0 && u + 1 < UNITS.len() {
        x /= 1024.0;
        u += 1;
    }
    format!("{} {}", trim((x * 10.0).round() / 10.0), UNITS[u])
}

/// One line in a panel: `(t_seconds, value)`, `None` breaks the line.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub color: String,
    pub dashed: bool,
    pub points: Vec<(f64, Option<f64>)>,
}

/// A horizontal reference line (cores available, the peak, a limit).
#[derive(Debug, Clone)]
pub struct HLine {
    pub label: String,
    pub value: f64,
    pub color: String,
}

#[derive(Debug, Clone)]
pub struct Panel {
    /// Stable id (`cpu`, `memory`, `io`, `gpu`, ...): the SVG group's class.
    pub id: String,
    pub title: String,
    pub unit: Unit,
    pub series: Vec<Series>,
    pub hlines: Vec<HLine>,
}

/// A horizontal bar: a process's lifetime.
#[derive(Debug, Clone)]
pub struct Lane {
    pub label: String,
    pub start_seconds: f64,
    pub end_seconds: f64,
    pub tooltip: String,
}

/// A moment worth a vertical line across every panel (an alert, a limit).
#[derive(Debug, Clone)]
pub struct Mark {
    pub t_seconds: f64,
    pub label: String,
    pub color: String,
}

/// A stretch of the run shaded behind every panel (an insight phase).
#[derive(Debug, Clone)]
pub struct Phase {
    pub start_seconds: f64,
    pub end_seconds: f64,
    pub label: String,
}

#[derive(Debug, Clone, Default)]
pub struct Chart {
    pub title: String,
    pub subtitle: String,
    pub duration_seconds: f64,
    pub panels: Vec<Panel>,
    pub lanes_title: String,
    pub lanes: Vec<Lane>,
    pub marks: Vec<Mark>,
    pub phases: Vec<Phase>,
    /// Written across a panel none of whose series has a point (a run
    /// shorter than one sampling interval), in place of an empty chart.
    pub no_data_note: String,
}

/// Characters of the 12 px subtitle that fit the canvas (about 6.5 px
/// each in DejaVu Sans).
const SUBTITLE_CHARS: usize = 165;

/// The subtitle cut at its `  ·  ` separators into lines that fit: with 8
/// runs compared, one line ran past the canvas and lost the last runs.
fn subtitle_lines(subtitle: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for part in subtitle.split("  ·  ") {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 5 + part.chars().count() <= SUBTITLE_CHARS => {
                line.push_str("  ·  ");
                line.push_str(part);
            }
            _ => lines.push(part.to_string()),
        }
    }
    lines
}

/// Where the first panel starts: lower by a line for each subtitle line
/// after the first.
fn top_of_panels(chart: &Chart) -> f64 {
    TOP + 16.0 * subtitle_lines(&chart.subtitle).len().saturating_sub(1) as f64
}

/// The time axis' ticks, in seconds, in steps of a whole unit of the
/// span's scale (ms, s, min or h).
fn time_ticks(span: f64) -> Vec<f64> {
    let (unit, _) = seconds_unit(span);
    ticks(span / unit, 8)
        .into_iter()
        .map(|t| t * unit)
        .filter(|t| *t <= span + 1e-9)
        .collect()
}

/// Tick labels for seconds, in the unit `top` calls for.
fn seconds_labels(ticks: &[f64], top: f64) -> Vec<String> {
    let step = match ticks {
        [a, b, ..] => b - a,
        _ => 1.0,
    };
    let (factor, name) = seconds_unit(top);
    ticks
        .iter()
        .map(|t| format!("{} {name}", fixed(t / factor, step / factor)))
        .collect()
}

pub fn height(chart: &Chart) -> f64 {
    let lanes = if chart.lanes.is_empty() {
        0.0
    } else {
        PANEL_GAP + chart.lanes.len() as f64 * LANE_H
    };
    top_of_panels(chart) + chart.panels.len() as f64 * (PANEL_H + PANEL_GAP) + lanes + AXIS_H
}

pub fn render(chart: &Chart) -> String {
    let h = height(chart);
    let mut svg = Svg::new(WIDTH, h);
    let span = if chart.duration_seconds.is_finite() && chart.duration_seconds > 0.0 {
        chart.duration_seconds
    } else {
        1.0
    };
    let x = Scale::new(0.0, span, LEFT, WIDTH - RIGHT);
    svg.text(
        LEFT,
        26.0,
        Anchor::Start,
        "font-size=\"17\" font-weight=\"bold\" class=\"title\"",
        &chart.title,
    );
    for (i, line) in subtitle_lines(&chart.subtitle).iter().enumerate() {
        svg.text(
            LEFT,
            46.0 + 16.0 * i as f64,
            Anchor::Start,
            "font-size=\"12\" fill=\"#444\" class=\"subtitle\"",
            line,
        );
    }
    let plot_bottom = h - AXIS_H;
    let first_top = top_of_panels(chart);
    draw_phases(&mut svg, chart, &x, first_top - 18.0, plot_bottom);
    let mut top = first_top;
    for panel in &chart.panels {
        draw_panel(&mut svg, panel, &x, top, span, &chart.no_data_note);
        top += PANEL_H + PANEL_GAP;
    }
    if !chart.lanes.is_empty() {
        draw_lanes(&mut svg, chart, &x, top);
    }
    draw_time_axis(&mut svg, &x, span, plot_bottom);
    draw_marks(&mut svg, chart, &x, first_top - 6.0, plot_bottom);
    svg.finish()
}

fn draw_phases(svg: &mut Svg, chart: &Chart, x: &Scale, top: f64, bottom: f64) {
    if chart.phases.is_empty() {
        return;
    }
    svg.open_group("phases", None);
    for (i, p) in chart.phases.iter().enumerate() {
        let (x0, x1) = (x.map(p.start_seconds), x.map(p.end_seconds));
        let fill = if i % 2 == 0 { "#f1f4f8" } else { "#fbf6ee" };
        svg.rect_titled(
            x0,
            top,
            x1 - x0,
            bottom - top,
            &format!("fill=\"{fill}\" class=\"phase\""),
            &format!("{}: {:.1}-{:.1} s", p.label, p.start_seconds, p.end_seconds),
        );
        svg.text(
            (x0 + x1) / 2.0,
            top - 4.0,
            Anchor::Middle,
            "font-size=\"11\" fill=\"#556\"",
            &p.label,
        );
    }
    svg.close_group();
}

fn draw_panel(svg: &mut Svg, panel: &Panel, x: &Scale, top: f64, span: f64, no_data: &str) {
    let bottom = top + PANEL_H;
    let max_value = panel
        .series
        .iter()
        .flat_map(|s| s.points.iter().filter_map(|p| p.1))
        .chain(panel.hlines.iter().map(|l| l.value))
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max);
    let y_max = axis_max(panel.unit, max_value);
    let y = Scale::new(0.0, y_max, bottom, top);
    svg.open_group(
        &format!("panel {}", panel.id),
        Some(&format!("panel-{}", panel.id)),
    );
    svg.text(
        LEFT,
        top - 8.0,
        Anchor::Start,
        "font-size=\"13\" font-weight=\"bold\"",
        &panel.title,
    );
    svg.rect(
        LEFT,
        top,
        WIDTH - RIGHT - LEFT,
        PANEL_H,
        "fill=\"none\" stroke=\"#999\" stroke-width=\"1\"",
    );
    let ticks = axis_ticks(panel.unit, y_max, 4);
    for (tick, label) in ticks.iter().zip(panel.unit.tick_labels(&ticks)) {
        let py = y.map(*tick);
        svg.line(
            LEFT,
            py,
            WIDTH - RIGHT,
            py,
            "stroke=\"#e4e4e4\" stroke-width=\"1\"",
        );
        svg.text(
            LEFT - 6.0,
            py + 4.0,
            Anchor::End,
            "font-size=\"11\" fill=\"#333\"",
            &label,
        );
    }
    svg.text(
        18.0,
        (top + bottom) / 2.0,
        Anchor::Middle,
        &format!(
            "font-size=\"11\" fill=\"#555\" transform=\"rotate(-90 18 {})\"",
            (top + bottom) / 2.0
        ),
        panel.unit.axis_name(),
    );
    for t in time_ticks(span) {
        let px = x.map(t);
        svg.line(px, top, px, bottom, "stroke=\"#f0f0f0\" stroke-width=\"1\"");
    }
    let mut legend_y = top + 14.0;
    for line in &panel.hlines {
        let py = y.map(line.value);
        svg.line(
            LEFT,
            py,
            WIDTH - RIGHT,
            py,
            &format!(
                "stroke=\"{}\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\" class=\"hline\"",
                line.color
            ),
        );
        legend_y = legend(svg, legend_y, &line.color, true, &line.label);
    }
    for s in &panel.series {
        draw_series(svg, s, x, &y);
        let (lo, hi) = extremes(s);
        let label = match (lo, hi) {
            (Some(_), Some(hi)) => format!("{}, max {}", s.name, panel.unit.label(round3(hi))),
            _ => s.name.clone(),
        };
        legend_y = legend(svg, legend_y, &s.color, s.dashed, &label);
    }
    let has_points = panel.series.iter().any(|s| extremes(s).1.is_some());
    if !has_points && !no_data.is_empty() {
        svg.text(
            (LEFT + WIDTH - RIGHT) / 2.0,
            top + PANEL_H / 2.0 + 5.0,
            Anchor::Middle,
            "font-size=\"14\" fill=\"#666\" class=\"no-data\"",
            no_data,
        );
    }
    svg.close_group();
}

/// At most `max` characters, with an ellipsis when cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

fn round3(v: f64) -> f64 {
    if v.abs() >= 100.0 {
        v.round()
    } else {
        (v * 100.0).round() / 100.0
    }
}

/// A legend entry at `y`, one line per line of `label` (the first beside
/// the swatch); returns where the next entry goes.
fn legend(svg: &mut Svg, y: f64, color: &str, dashed: bool, label: &str) -> f64 {
    let x0 = WIDTH - RIGHT + 12.0;
    let dash = if dashed {
        " stroke-dasharray=\"6 4\""
    } else {
        ""
    };
    svg.line(
        x0,
        y - 4.0,
        x0 + 22.0,
        y - 4.0,
        &format!("stroke=\"{color}\" stroke-width=\"2.5\"{dash}"),
    );
    let mut line_y = y;
    for (i, line) in label.lines().enumerate() {
        let style = if i == 0 {
            "font-size=\"11\" class=\"legend\""
        } else {
            "font-size=\"10\" fill=\"#555\" class=\"legend-more\""
        };
        svg.text(x0 + 28.0, line_y, Anchor::Start, style, &clip(line, 34));
        line_y += 13.0;
    }
    line_y.max(y + 13.0) + 3.0
}

fn extremes(s: &Series) -> (Option<f64>, Option<f64>) {
    let values = s
        .points
        .iter()
        .filter_map(|p| p.1)
        .filter(|v| v.is_finite());
    (values.clone().reduce(f64::min), values.reduce(f64::max))
}

fn draw_series(svg: &mut Svg, s: &Series, x: &Scale, y: &Scale) {
    let (lo, hi) = extremes(s);
    let data = format!(
        "class=\"series\" data-name=\"{}\" data-min=\"{}\" data-max=\"{}\"",
        super::svg::escape(&s.name),
        lo.map_or("".to_string(), |v| format!("{v}")),
        hi.map_or("".to_string(), |v| format!("{v}")),
    );
    let dash = if s.dashed {
        " stroke-dasharray=\"5 3\""
    } else {
        ""
    };
    let style = format!("stroke=\"{}\" stroke-width=\"2\"{dash}", s.color);
    // A gap (None) ends one polyline; a lone point is drawn as a dot.
    let mut run: Vec<(f64, f64)> = Vec::new();
    let flush = |svg: &mut Svg, run: &mut Vec<(f64, f64)>| {
        if run.len() == 1 {
            let (px, py) = run[0];
            svg.rect(
                px - 1.5,
                py - 1.5,
                3.0,
                3.0,
                &format!("fill=\"{}\"", s.color),
            );
        }
        svg.polyline(run, &style, &data);
        run.clear();
    };
    for (t, v) in &s.points {
        match v {
            Some(v) if v.is_finite() && t.is_finite() => run.push((x.map(*t), y.map(*v))),
            _ => flush(svg, &mut run),
        }
    }
    flush(svg, &mut run);
}

fn draw_lanes(svg: &mut Svg, chart: &Chart, x: &Scale, top: f64) {
    svg.open_group("panel processes", Some("panel-processes"));
    svg.text(
        LEFT,
        top - 8.0,
        Anchor::Start,
        "font-size=\"13\" font-weight=\"bold\"",
        &chart.lanes_title,
    );
    for (i, lane) in chart.lanes.iter().enumerate() {
        let y0 = top + i as f64 * LANE_H;
        let (x0, x1) = (x.map(lane.start_seconds), x.map(lane.end_seconds));
        svg.rect_titled(
            x0,
            y0 + 2.0,
            (x1 - x0).max(2.0),
            LANE_H - 4.0,
            &format!("fill=\"{}\" class=\"lane\"", PALETTE[i % PALETTE.len()]),
            &lane.tooltip,
        );
        svg.text(
            LEFT - 6.0,
            y0 + LANE_H - 4.0,
            Anchor::End,
            "font-size=\"10\"",
            &clip(&lane.label, 24),
        );
    }
    svg.close_group();
}

fn draw_time_axis(svg: &mut Svg, x: &Scale, span: f64, y: f64) {
    svg.open_group("axis time", None);
    let ticks = time_ticks(span);
    for (t, label) in ticks.iter().zip(seconds_labels(&ticks, span)) {
        let px = x.map(*t);
        svg.line(px, y - 4.0, px, y + 2.0, "stroke=\"#333\"");
        svg.text(px, y + 16.0, Anchor::Middle, "font-size=\"11\"", &label);
    }
    svg.text(
        (LEFT + WIDTH - RIGHT) / 2.0,
        y + 33.0,
        Anchor::Middle,
        "font-size=\"11\" fill=\"#555\"",
        "time since the job started",
    );
    svg.close_group();
}

fn draw_marks(svg: &mut Svg, chart: &Chart, x: &Scale, top: f64, bottom: f64) {
    if chart.marks.is_empty() {
        return;
    }
    svg.open_group("marks", None);
    for (i, m) in chart.marks.iter().enumerate() {
        let px = x.map(m.t_seconds);
        svg.line(
            px,
            top,
            px,
            bottom,
            &format!("stroke=\"{}\" stroke-width=\"1.5\" class=\"mark\"", m.color),
        );
        // Marks close in time would print their labels over each other:
        // three rows, and a label near the right edge turns left so it
        // stays out of the legend column.
        let ty = top + 22.0 + (i % 3) as f64 * 13.0;
        let (tx, anchor) = if px > WIDTH - RIGHT - 140.0 {
            (px - 3.0, Anchor::End)
        } else {
            (px + 3.0, Anchor::Start)
        };
        svg.text(
            tx,
            ty,
            anchor,
            &format!("font-size=\"11\" fill=\"{}\"", m.color),
            &m.label,
        );
    }
    svg.close_group();
}

/// A bytes axis top: 1, 2, 4, 8 ... × a power of 1024 (or × 10 inside it).
fn nice_bytes_max(max: f64) -> f64 {
    if !(max.is_finite() && max > 0.0) {
        return 1024.0 * 1024.0;
    }
    let mut unit = 1.0;
    while max / unit >= 1024.0 {
        unit *= 1024.0;
    }
    nice_max(max / unit, 4) * unit
}

/// The top of a value axis; 1024-based steps for sizes, which read better.
pub fn axis_max(unit: Unit, max: f64) -> f64 {
    match unit {
        Unit::Bytes | Unit::BytesPerSecond => nice_bytes_max(max),
        // Steps of a whole unit of the scale: 1, 2, 5 min, not 100 s.
        Unit::Seconds if max.is_finite() && max > 0.0 => {
            let (u, _) = seconds_unit(max);
            nice_max(max / u, 4) * u
        }
        _ => nice_max(max, 4),
    }
}

/// Ticks from 0 to `y_max`, about `target` of them.
pub fn axis_ticks(unit: Unit, y_max: f64, target: usize) -> Vec<f64> {
    match unit {
        Unit::Bytes | Unit::BytesPerSecond => {
            let mut u = 1.0;
            while y_max / u >= 1024.0 {
                u *= 1024.0;
            }
            ticks(y_max / u, target)
                .into_iter()
                .map(|t| t * u)
                .collect()
        }
        Unit::Seconds => {
            let (u, _) = seconds_unit(y_max);
            ticks(y_max / u, target)
                .into_iter()
                .map(|t| t * u)
                .collect()
        }
        _ => ticks(y_max, target),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_labels_carry_units() {
        assert_eq!(Unit::Bytes.label(512.0 * 1024.0 * 1024.0), "512 MiB");
        assert_eq!(Unit::Bytes.label(1.5 * 1024.0 * 1024.0 * 1024.0), "1.5 GiB");
        assert_eq!(Unit::BytesPerSecond.label(2048.0), "2 KiB/s");
        assert_eq!(Unit::Percent.label(50.0), "50 %");
        assert_eq!(Unit::Cores.label(1.5), "1.5");
    }

    #[test]
    fn time_axis_switches_units() {
        let label = |t: f64, span: f64| seconds_labels(&[0.0, t], span)[1].clone();
        assert_eq!(label(30.0, 60.0), "30 s");
        assert_eq!(label(600.0, 3600.0), "10 min");
        assert_eq!(label(7200.0, 36000.0), "2 h");
        assert!(time_ticks(9.5).iter().all(|t| *t <= 9.5));
    }

    /// A 2 ms run's time axis read `0 s 0 s 0 s 0 s` and a 16 ms run's
    /// `0 s 0.01 s 0.01 s`: ticks keep the decimals of their step, in ms
    /// under a second.
    #[test]
    fn short_runs_time_axis_reads_in_milliseconds_with_the_steps_decimals() {
        let labels = |span: f64| seconds_labels(&time_ticks(span), span);
        assert_eq!(
            labels(0.016),
            ["0 ms", "2 ms", "4 ms", "6 ms", "8 ms", "10 ms", "12 ms", "14 ms", "16 ms"]
        );
        assert_eq!(
            labels(0.002),
            ["0.0 ms", "0.5 ms", "1.0 ms", "1.5 ms", "2.0 ms"]
        );
        assert_eq!(
            labels(1.3),
            ["0.0 s", "0.2 s", "0.4 s", "0.6 s", "0.8 s", "1.0 s", "1.2 s"]
        );
        let distinct = |v: Vec<String>| {
            let n = v.len();
            let mut d = v;
            d.dedup();
            d.len() == n
        };
        for span in [0.0013, 0.004, 0.03, 0.7, 2.5, 47.0, 400.0, 20_000.0] {
            assert!(distinct(labels(span)), "{span}: {:?}", labels(span));
        }
    }

    /// The report's wall-time trend of short runs read `0, 0, 0`.
    #[test]
    fn seconds_axes_of_short_runs_read_in_milliseconds() {
        let top = axis_max(Unit::Seconds, 0.012);
        let ticks = axis_ticks(Unit::Seconds, top, 3);
        assert_eq!(
            Unit::Seconds.tick_labels(&ticks),
            ["0 ms", "5 ms", "10 ms", "15 ms"]
        );
        let top = axis_max(Unit::Seconds, 500.0);
        let ticks = axis_ticks(Unit::Seconds, top, 4);
        assert_eq!(
            Unit::Seconds.tick_labels(&ticks),
            ["0 min", "5 min", "10 min"]
        );
        assert_eq!(Unit::Seconds.label(0.0123), "12 ms");
        assert_eq!(
            Unit::Cores.tick_labels(&[0.0, 0.5, 1.0]),
            ["0.0", "0.5", "1.0"]
        );
    }

    #[test]
    fn bytes_axis_is_binary() {
        assert_eq!(
            nice_bytes_max(70.0 * 1024.0 * 1024.0),
            80.0 * 1024.0 * 1024.0
        );
        assert_eq!(nice_bytes_max(0.0), 1024.0 * 1024.0);
    }

    #[test]
    fn an_empty_chart_renders() {
        let svg = render(&Chart::default());
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
    }
}
