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
    /// Values in bytes.
    Bytes,
    BytesPerSecond,
    Percent,
}

impl Unit {
    pub fn label(self, v: f64) -> String {
        match self {
            Unit::Cores => trim(v),
            Unit::Bytes => axis_bytes(v),
            Unit::BytesPerSecond => format!("{}/s", axis_bytes(v)),
            Unit::Percent => format!("{} %", trim(v)),
        }
    }

    fn axis_name(self) -> &'static str {
        match self {
            Unit::Cores => "cores",
            Unit::Bytes => "bytes",
            Unit::BytesPerSecond => "bytes/s",
            Unit::Percent => "%",
        }
    }
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
}

/// The time axis' tick labels: seconds, minutes or hours.
fn time_label(t: f64, span: f64) -> String {
    if span <= 180.0 {
        format!("{} s", trim(t))
    } else if span <= 3.0 * 3600.0 {
        format!("{} min", trim(t / 60.0))
    } else {
        format!("{} h", trim(t / 3600.0))
    }
}

fn time_ticks(span: f64) -> Vec<f64> {
    let unit = if span <= 180.0 {
        1.0
    } else if span <= 3.0 * 3600.0 {
        60.0
    } else {
        3600.0
    };
    ticks(span / unit, 8)
        .into_iter()
        .map(|t| t * unit)
        .filter(|t| *t <= span + 1e-9)
        .collect()
}

pub fn height(chart: &Chart) -> f64 {
    let lanes = if chart.lanes.is_empty() {
        0.0
    } else {
        PANEL_GAP + chart.lanes.len() as f64 * LANE_H
    };
    TOP + chart.panels.len() as f64 * (PANEL_H + PANEL_GAP) + lanes + AXIS_H
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
    svg.text(
        LEFT,
        46.0,
        Anchor::Start,
        "font-size=\"12\" fill=\"#444\" class=\"subtitle\"",
        &chart.subtitle,
    );
    let plot_bottom = h - AXIS_H;
    draw_phases(&mut svg, chart, &x, TOP - 18.0, plot_bottom);
    let mut top = TOP;
    for panel in &chart.panels {
        draw_panel(&mut svg, panel, &x, top, span);
        top += PANEL_H + PANEL_GAP;
    }
    if !chart.lanes.is_empty() {
        draw_lanes(&mut svg, chart, &x, top);
    }
    draw_time_axis(&mut svg, &x, span, plot_bottom);
    draw_marks(&mut svg, chart, &x, TOP - 6.0, plot_bottom);
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

fn draw_panel(svg: &mut Svg, panel: &Panel, x: &Scale, top: f64, span: f64) {
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
    for tick in axis_ticks(panel.unit, y_max, 4) {
        let py = y.map(tick);
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
            &panel.unit.label(tick),
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
        legend(svg, legend_y, &line.color, true, &line.label);
        legend_y += 16.0;
    }
    for s in &panel.series {
        draw_series(svg, s, x, &y);
        let (lo, hi) = extremes(s);
        let label = match (lo, hi) {
            (Some(_), Some(hi)) => format!("{}, max {}", s.name, panel.unit.label(round3(hi))),
            _ => s.name.clone(),
        };
        legend(svg, legend_y, &s.color, s.dashed, &label);
        legend_y += 16.0;
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

fn legend(svg: &mut Svg, y: f64, color: &str, dashed: bool, label: &str) {
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
    svg.text(
        x0 + 28.0,
        y,
        Anchor::Start,
        "font-size=\"11\" class=\"legend\"",
        &clip(label, 34),
    );
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
    for t in time_ticks(span) {
        let px = x.map(t);
        svg.line(px, y - 4.0, px, y + 2.0, "stroke=\"#333\"");
        svg.text(
            px,
            y + 16.0,
            Anchor::Middle,
            "font-size=\"11\"",
            &time_label(t, span),
        );
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
        assert_eq!(time_label(30.0, 60.0), "30 s");
        assert_eq!(time_label(600.0, 3600.0), "10 min");
        assert_eq!(time_label(7200.0, 36000.0), "2 h");
        assert!(time_ticks(9.5).iter().all(|t| *t <= 9.5));
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
