//! Small charts for the history page: one metric across a group's runs
//! (one point per run, oldest left) and its distribution as a box plot.

use super::chart::{axis_max, axis_ticks, Unit, PALETTE};
use super::scale::Scale;
use super::svg::{Anchor, Svg};

// Three side by side fit a 1280 px window, scroll bar and margins included.
const W: f64 = 390.0;
const H: f64 = 170.0;
const L: f64 = 70.0;
const R: f64 = 12.0;
const T: f64 = 26.0;
const B: f64 = 28.0;

/// Most runs of a trend drawn as a dot with a tooltip (the newest).
pub const MAX_DOTS: usize = 50;

/// One metric of a group: its values in run order, oldest first.
pub struct Trend<'a> {
    pub title: &'a str,
    pub unit: Unit,
    pub values: &'a [f64],
    /// Run ids, for the tooltips.
    pub ids: &'a [String],
}

fn y_scale(unit: Unit, values: &[f64]) -> (f64, Scale) {
    let max = values
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max);
    let top = axis_max(unit, max);
    (top, Scale::new(0.0, top, H - B, T))
}

/// A line with a dot per run.
pub fn trend_svg(trend: &Trend) -> String {
    let mut svg = Svg::new(W, H);
    svg.text(
        L,
        16.0,
        Anchor::Start,
        "font-size=\"12\" font-weight=\"bold\"",
        trend.title,
    );
    let (top, y) = y_scale(trend.unit, trend.values);
    axis(&mut svg, top, &y, trend.unit);
    let n = trend.values.len();
    let x = Scale::new(0.0, (n.max(2) - 1) as f64, L + 6.0, W - R - 6.0);
    // A run without the figure (NaN) is left out, not drawn at 0.
    let drawn: Vec<usize> = (0..n).filter(|i| trend.values[*i].is_finite()).collect();
    let points: Vec<(f64, f64)> = drawn
        .iter()
        .map(|i| (x.map(*i as f64), y.map(trend.values[*i])))
        .collect();
    let (lo, hi) = extremes(trend.values);
    svg.polyline(
        &points,
        &format!("stroke=\"{}\" stroke-width=\"1.5\"", PALETTE[0]),
        &format!(
            "class=\"series\" data-name=\"{}\" data-min=\"{lo}\" data-max=\"{hi}\"",
            super::svg::escape(trend.title)
        ),
    );
    // A dot with a tooltip for the newest runs only: on a 1 000-run
    // history the dots and their tooltips of every run were 85 % of the
    // page (372 of 434 KB, `cargo bench --bench report`).
    let dotted = drawn.len().saturating_sub(MAX_DOTS);
    for (&i, (px, py)) in drawn.iter().zip(&points).skip(dotted) {
        let id = trend.ids.get(i).map(String::as_str).unwrap_or("");
        svg.rect_titled(
            px - 2.5,
            py - 2.5,
            5.0,
            5.0,
            &format!("fill=\"{}\"", PALETTE[0]),
            &format!("{id}: {}", trend.unit.label(trend.values[i])),
        );
    }
    svg.text(
        (L + W - R) / 2.0,
        H - 8.0,
        Anchor::Middle,
        "font-size=\"10\" fill=\"#555\"",
        &if drawn.len() > MAX_DOTS {
            format!(
                "{}, oldest to newest (dots: the newest {MAX_DOTS})",
                super::html::runs_count(n)
            )
        } else if n == 1 {
            "1 run".to_string()
        } else {
            format!("{n} runs, oldest to newest")
        },
    );
    svg.finish()
}

fn extremes(values: &[f64]) -> (f64, f64) {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    (
        finite.clone().reduce(f64::min).unwrap_or(0.0),
        finite.reduce(f64::max).unwrap_or(0.0),
    )
}

fn axis(svg: &mut Svg, top: f64, y: &Scale, unit: Unit) {
    svg.rect(L, T, W - R - L, H - B - T, "fill=\"none\" stroke=\"#aaa\"");
    let ticks = axis_ticks(unit, top, 3);
    for (t, label) in ticks.iter().zip(unit.tick_labels(&ticks)) {
        let py = y.map(*t);
        svg.line(L, py, W - R, py, "stroke=\"#eee\"");
        svg.text(L - 4.0, py + 4.0, Anchor::End, "font-size=\"10\"", &label);
    }
}

/// Quartiles by linear interpolation of the sorted values.
pub fn quartiles(values: &[f64]) -> Option<[f64; 5]> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let q = |p: f64| {
        let pos = p * (v.len() - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
    };
    Some([v[0], q(0.25), q(0.5), q(0.75), v[v.len() - 1]])
}

/// A horizontal box plot: whiskers at min and max, the box at the quartiles.
pub fn box_svg(title: &str, unit: Unit, values: &[f64]) -> String {
    let h = 90.0;
    let mut svg = Svg::new(W, h);
    svg.text(
        L,
        16.0,
        Anchor::Start,
        "font-size=\"12\" font-weight=\"bold\"",
        title,
    );
    let Some([min, q1, med, q3, max]) = quartiles(values) else {
        svg.text(L, 50.0, Anchor::Start, "font-size=\"11\"", "no runs");
        return svg.finish();
    };
    let top = axis_max(unit, max);
    let x = Scale::new(0.0, top, L, W - R - 20.0);
    let (y0, y1) = (30.0, 56.0);
    let mid = (y0 + y1) / 2.0;
    svg.line(x.map(min), mid, x.map(max), mid, "stroke=\"#333\"");
    svg.line(
        x.map(min),
        y0 + 4.0,
        x.map(min),
        y1 - 4.0,
        "stroke=\"#333\"",
    );
    svg.line(
        x.map(max),
        y0 + 4.0,
        x.map(max),
        y1 - 4.0,
        "stroke=\"#333\"",
    );
    svg.rect_titled(
        x.map(q1),
        y0,
        x.map(q3) - x.map(q1),
        y1 - y0,
        &format!("fill=\"#cfe3f5\" stroke=\"{}\" class=\"box\"", PALETTE[0]),
        &format!(
            "min {} · q1 {} · median {} · q3 {} · max {}",
            unit.label(min),
            unit.label(q1),
            unit.label(med),
            unit.label(q3),
            unit.label(max)
        ),
    );
    svg.line(
        x.map(med),
        y0,
        x.map(med),
        y1,
        &format!("stroke=\"{}\" stroke-width=\"2\"", PALETTE[1]),
    );
    let ticks = axis_ticks(unit, top, 4);
    for (t, label) in ticks.iter().zip(unit.tick_labels(&ticks)) {
        svg.text(
            x.map(*t),
            h - 14.0,
            Anchor::Middle,
            "font-size=\"10\"",
            &label,
        );
    }
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartiles_interpolate() {
        assert_eq!(
            quartiles(&[1.0, 2.0, 3.0, 4.0, 5.0]),
            Some([1.0, 2.0, 3.0, 4.0, 5.0])
        );
        assert_eq!(quartiles(&[]), None);
        assert_eq!(quartiles(&[f64::NAN, 2.0]), Some([2.0; 5]));
    }

    #[test]
    fn trend_has_a_point_per_run() {
        let ids: Vec<String> = (0..4).map(|i| format!("r{i}")).collect();
        let svg = trend_svg(&Trend {
            title: "wall",
            unit: Unit::Cores,
            values: &[1.0, 2.0, 3.0, 2.5],
            ids: &ids,
        });
        assert_eq!(svg.matches("<title>r").count(), 4);
        assert!(svg.contains("data-max=\"3\""));
    }
}
