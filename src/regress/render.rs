//! `profrun check` output: the table, `--format json` (schema in
//! docs/ci.md) and `--format markdown` (a GitHub-flavoured table for
//! `$GITHUB_STEP_SUMMARY`). `--format junit` is in [`super::junit`].

use super::verdict::{CheckReport, MetricCheck, Unit, Verdict};
use crate::report::table::{self, TableStyle};
use crate::report::units;
use comfy_table::{Cell, Color};
use serde::Serialize;

/// Version of the `--format json` document; bumped when a field changes
/// meaning or is removed.
pub const JSON_SCHEMA: &str = "profrun-check/1";

/// `--format` of `profrun check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckFormat {
    Text,
    Json,
    Junit,
    Markdown,
}

impl CheckFormat {
    /// `text`, `json`, `junit`, `markdown` (or `md`); `None` otherwise.
    pub fn parse(name: &str) -> Option<CheckFormat> {
        match name {
            "text" | "table" => Some(CheckFormat::Text),
            "json" => Some(CheckFormat::Json),
            "junit" | "xml" => Some(CheckFormat::Junit),
            "markdown" | "md" => Some(CheckFormat::Markdown),
            _ => None,
        }
    }
}

/// The report in `format` (`style` matters to the table only).
pub fn render(report: &CheckReport, format: CheckFormat, style: &TableStyle) -> String {
    match format {
        CheckFormat::Text => text(report, style),
        CheckFormat::Json => json(report),
        CheckFormat::Junit => super::junit::junit(report),
        CheckFormat::Markdown => markdown(report),
    }
}

/// The table, then a note on groups without a baseline.
pub fn text(report: &CheckReport, style: &TableStyle) -> String {
    if report.checks.is_empty() {
        return "no runs to check\n".to_string();
    }
    let header = baseline_header(report);
    let mut t = table::new_table(
        style,
        &["GROUP", "METRIC", &header, "NEW", "CHANGE", "VERDICT"],
        &[],
    );
    let show_n = header == "BASELINE";
    for c in &report.checks {
        t.add_row(vec![
            Cell::new(&c.group),
            Cell::new(c.metric.label()),
            Cell::new(baseline_cell(c, show_n)),
            Cell::new(value(c.unit, c.new)),
            Cell::new(change(c)),
            table::coloured(c.verdict.label(), verdict_colour(c.verdict), style),
        ]);
    }
    let mut out = table::finish(&t);
    out.push_str(&notes(report));
    out
}

/// A heading, a GitHub-flavoured table and the notes.
pub fn markdown(report: &CheckReport) -> String {
    let mut out = format!("### profrun check: {}\n\n", summary_line(report));
    if report.checks.is_empty() {
        return out;
    }
    let header = baseline_header(report);
    let show_n = header == "BASELINE";
    let header = header.replace("BASELINE", "Baseline");
    out.push_str(&format!(
        "| Group | Metric | {header} | New | Change | Verdict |\n"
    ));
    out.push_str("|---|---|---:|---:|---:|---|\n");
    for c in &report.checks {
        let verdict = match c.verdict {
            Verdict::Regression | Verdict::FailedRun => format!("**{}**", c.verdict.label()),
            _ => c.verdict.label().to_string(),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            md_escape(&c.group),
            c.metric.label(),
            md_escape(&baseline_cell(c, show_n)),
            value(c.unit, c.new),
            change(c),
            verdict
        ));
    }
    let notes = notes(report);
    if !notes.is_empty() {
        out.push('\n');
        out.push_str(&notes);
    }
    out
}

#[derive(Serialize)]
struct JsonReport<'a> {
    schema: &'static str,
    exit_code: i32,
    failed: bool,
    require_baseline: bool,
    summary: JsonSummary,
    checks: &'a [MetricCheck],
}

#[derive(Serialize)]
struct JsonSummary {
    checks: usize,
    ok: usize,
    regression: usize,
    improvement: usize,
    no_baseline: usize,
    failed_run: usize,
}

/// The report as one pretty JSON document (docs/ci.md lists the fields).
pub fn json(report: &CheckReport) -> String {
    let doc = JsonReport {
        schema: JSON_SCHEMA,
        exit_code: report.exit_code(),
        failed: report.failed(),
        require_baseline: report.require_baseline,
        summary: JsonSummary {
            checks: report.checks.len(),
            ok: report.count(Verdict::Ok),
            regression: report.count(Verdict::Regression),
            improvement: report.count(Verdict::Improvement),
            no_baseline: report.count(Verdict::NoBaseline),
            failed_run: report.count(Verdict::FailedRun),
        },
        checks: &report.checks,
    };
    let mut s = serde_json::to_string_pretty(&doc).expect("plain data serializes");
    s.push('\n');
    s
}

/// `2 regressions, 1 improvement, 5 ok`-style count of the verdicts: one
/// per metric checked, but failed runs once per run (a failed run fails
/// every metric it is checked on).
pub fn summary_line(report: &CheckReport) -> String {
    let count = |v: Verdict| match v {
        Verdict::FailedRun => failed_runs(report),
        _ => report.count(v),
    };
    let parts: Vec<String> = [
        (Verdict::Regression, "regression", "regressions"),
        (Verdict::FailedRun, "failed run", "failed runs"),
        (Verdict::Improvement, "improvement", "improvements"),
        (Verdict::NoBaseline, "without baseline", "without baseline"),
        (Verdict::Ok, "ok", "ok"),
    ]
    .iter()
    .filter_map(|&(v, one, many)| match count(v) {
        0 => None,
        1 => Some(format!("1 {one}")),
        n => Some(format!("{n} {many}")),
    })
    .collect();
    if parts.is_empty() {
        "no runs to check".to_string()
    } else {
        parts.join(", ")
    }
}

/// How many distinct runs (group and id) have a failed-run verdict.
fn failed_runs(report: &CheckReport) -> usize {
    let mut runs: Vec<(&str, &str)> = report
        .checks
        .iter()
        .filter(|c| c.verdict == Verdict::FailedRun)
        .map(|c| (c.group.as_str(), c.task_id.as_str()))
        .collect();
    runs.sort_unstable();
    runs.dedup();
    runs.len()
}

/// A value in its unit: `26.1 s`, `52 MiB`.
pub fn value(unit: Unit, v: f64) -> String {
    match unit {
        Unit::Seconds => units::duration(v),
        Unit::Bytes => units::bytes(v),
    }
}

/// `12.9 s ± 0.2`, `51 MiB ± 1`: the spread in the mean's unit (its own
/// unit when the mean reads `5m 30s`); `-` without baseline runs.
pub fn mean_sd(unit: Unit, mean: f64, sd: Option<f64>) -> String {
    let m = value(unit, mean);
    let Some(sd) = sd.filter(|s| s.is_finite()) else {
        return m;
    };
    let spread = match unit {
        Unit::Seconds if mean < 1.0 => format!("{}", (sd * 1000.0).round()),
        Unit::Seconds if mean < 60.0 => format!("{sd:.1}"),
        Unit::Seconds => units::duration(sd),
        Unit::Bytes => {
            let scale = byte_scale(mean);
            let v = mean / scale;
            if scale > 1.0 && v < 10.0 {
                format!("{:.1}", sd / scale)
            } else {
                format!("{}", (sd / scale).round())
            }
        }
    };
    format!("{m} ± {spread}")
}

/// The unit `units::bytes` picks for `v`, in bytes.
fn byte_scale(v: f64) -> f64 {
    let mut scale = 1.0;
    while v / scale >= 1024.0 && scale < 1024f64.powi(5) {
        scale *= 1024.0;
    }
    scale
}

/// `+102 %`, `-5 %`, `0 %`; `new` when the baseline was all zeros; `-`
/// without a baseline.
pub fn change(c: &MetricCheck) -> String {
    if c.baseline_n == 0 {
        return "-".to_string();
    }
    match c.change_percent {
        None => "new".to_string(),
        Some(p) if p.round() == 0.0 => "0 %".to_string(),
        Some(p) => format!("{p:+.0} %"),
    }
}

/// `BASELINE (n=9)` when every check has the same baseline length,
/// `BASELINE` (and `(n=…)` in each cell) otherwise.
fn baseline_header(report: &CheckReport) -> String {
    let n = report.checks.first().map_or(0, |c| c.baseline_n);
    if report.checks.iter().all(|c| c.baseline_n == n) {
        format!("BASELINE (n={n})")
    } else {
        "BASELINE".to_string()
    }
}

fn baseline_cell(c: &MetricCheck, show_n: bool) -> String {
    let figure = match c.baseline_mean {
        Some(m) => mean_sd(c.unit, m, c.baseline_sd),
        None => "-".to_string(),
    };
    if show_n {
        format!("{figure} (n={})", c.baseline_n)
    } else {
        figure
    }
}

fn notes(report: &CheckReport) -> String {
    let mut groups: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| c.verdict == Verdict::NoBaseline)
        .map(|c| c.group.as_str())
        .collect();
    groups.dedup();
    match groups.len() {
        0 => String::new(),
        n => {
            let what = if n == 1 { "group has" } else { "groups have" };
            let then = if report.require_baseline {
                "--require-baseline makes this a failure"
            } else {
                "not a failure without --require-baseline"
            };
            format!("note: {n} {what} too few earlier successful runs to compare with ({then})\n")
        }
    }
}

fn verdict_colour(v: Verdict) -> Option<Color> {
    match v {
        Verdict::Regression | Verdict::FailedRun => Some(Color::Red),
        Verdict::Improvement => Some(Color::Green),
        Verdict::NoBaseline => Some(Color::Yellow),
        Verdict::Ok => None,
    }
}

/// A table cell: `|` escaped, line breaks as spaces.
fn md_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
