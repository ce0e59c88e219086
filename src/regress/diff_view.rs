//! `profrun diff` output: the two runs, a table of figures with the change
//! from A to B, and the series as sparklines; or `--format json`
//! (`profrun-diff/1`, fields in docs/ci.md).

use super::diff::{DiffUnit, FigureDiff, RecordDiff};
use crate::report::sparkline::sparkline;
use crate::report::table::{self, TableStyle};
use crate::report::units;
use comfy_table::Cell;
use serde::Serialize;

/// Version of the `profrun diff --format json` document.
pub const JSON_SCHEMA: &str = "profrun-diff/1";

/// A figure in its unit; `-` when missing.
pub fn value(unit: DiffUnit, v: Option<f64>) -> String {
    let Some(v) = v.filter(|v| v.is_finite()) else {
        return "-".to_string();
    };
    match unit {
        DiffUnit::Seconds => units::duration(v),
        DiffUnit::Bytes => units::bytes(v),
        DiffUnit::BytesPerSecond => format!("{}/s", units::bytes(v)),
        DiffUnit::Count => format!("{}", v.round() as u64),
        DiffUnit::Cores => format!("{v:.2}"),
        DiffUnit::Percent => units::text::percent(v),
        DiffUnit::Joules => format!("{v:.0} J"),
    }
}

fn change_text(f: &FigureDiff) -> String {
    match (f.a, f.b, f.change_percent) {
        (Some(_), Some(_), None) => "new".to_string(),
        (_, _, None) => "-".to_string(),
        (_, _, Some(p)) if p.round() == 0.0 => "0 %".to_string(),
        (_, _, Some(p)) => format!("{p:+.0} %"),
    }
}

/// The two runs, the figures table, then the sparklines (`width` cells
/// each, from the table width when the style has one).
pub fn text(d: &RecordDiff, style: &TableStyle) -> String {
    let mut out = String::new();
    for (tag, h) in [("A", &d.a), ("B", &d.b)] {
        out.push_str(&format!(
            "{tag}  {}  {}  {} (exit {})  {}\n",
            h.task_id,
            h.start_time,
            h.status,
            h.exit_code,
            units::text::shell_join(&h.command)
        ));
    }
    out.push('\n');
    let mut t = table::new_table(style, &["FIGURE", "A", "B", "CHANGE"], &[1, 2, 3]);
    for f in &d.figures {
        t.add_row(vec![
            Cell::new(f.label),
            Cell::new(value(f.unit, f.a)),
            Cell::new(value(f.unit, f.b)),
            Cell::new(change_text(f)),
        ]);
    }
    out.push_str(&table::finish(&t));
    if d.series.is_empty() {
        return out;
    }
    let width = style
        .width
        .map_or(40, |w| usize::from(w).saturating_sub(36).clamp(8, 60));
    out.push('\n');
    for s in &d.series {
        for (tag, v, m) in [("A", &s.a, s.a_max), ("B", &s.b, s.b_max)] {
            let label = if tag == "A" { s.label } else { "" };
            let chart = sparkline(v, width);
            out.push_str(&format!(
                "{label:<11} {tag} {chart:<width$}  max {}\n",
                value(s.unit, m)
            ));
        }
    }
    out
}

#[derive(Serialize)]
struct JsonDiff<'a> {
    schema: &'static str,
    #[serde(flatten)]
    diff: &'a RecordDiff,
}

/// The comparison as one pretty JSON document (docs/ci.md lists the fields).
pub fn json(d: &RecordDiff) -> String {
    let doc = JsonDiff {
        schema: JSON_SCHEMA,
        diff: d,
    };
    let mut s = serde_json::to_string_pretty(&doc).expect("plain data serializes");
    s.push('\n');
    s
}
