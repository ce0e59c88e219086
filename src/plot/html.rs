//! `profrun report`: one self-contained HTML page for a history. HPC nodes
//! are often offline, so the page references nothing outside itself: the
//! style is inline and every chart is inline SVG, with no script at all.

use super::chart::Unit;
use super::run_chart::Overlays;
use super::svg::escape;
use super::trend::{box_svg, trend_svg, Trend};
use crate::record::{JobRecord, TimeSeries, BYTES_PER_MB};

/// Most runs of a group drawn on its trend charts (the newest ones).
pub const MAX_TREND_RUNS: usize = 500;
/// Most points of one run's series on the page.
pub const MAX_SERIES_POINTS: usize = 300;

/// What a group's trend charts need of one run (from its summary view,
/// so a 1 000-run history is not parsed in full).
#[derive(Debug, Clone, PartialEq)]
pub struct TrendRun {
    pub task_id: String,
    pub wall_seconds: f64,
    /// NaN when the record lacks it (the point is left out).
    pub cpu_seconds: f64,
    /// NaN when the record lacks it.
    pub memory_peak_bytes: f64,
}

impl TrendRun {
    pub fn from_record(record: &JobRecord) -> TrendRun {
        TrendRun {
            task_id: record.task_id.clone(),
            wall_seconds: record.duration_seconds,
            cpu_seconds: record.resource_usage.cpu_total_seconds,
            memory_peak_bytes: record.resource_usage.memory_peak_mb * BYTES_PER_MB,
        }
    }
}

/// One group of the history, its runs oldest first.
pub struct GroupSection {
    pub name: String,
    pub runs: Vec<TrendRun>,
    /// The `profrun check` verdict of the group's newest run, when known.
    pub verdict: Option<String>,
}

/// A run drawn in full, with the lines of its analysis.
pub struct RunSection<'a> {
    pub record: &'a JobRecord,
    pub overlays: Overlays,
    pub notes: Vec<String>,
}

pub struct ReportPage<'a> {
    pub title: String,
    /// Where the runs came from and how they were chosen.
    pub description: String,
    /// The `job-stats` table as text.
    pub stats_table: String,
    pub groups: Vec<GroupSection>,
    pub newest: Vec<RunSection<'a>>,
}

const STYLE: &str = "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1320px}\
h1{font-size:24px;margin-bottom:4px}h2{font-size:19px;margin-top:32px;border-bottom:1px solid #ddd}\
h3{font-size:15px}pre{background:#f6f8fa;padding:10px;overflow-x:auto;font-size:12px}\
.row{display:flex;flex-wrap:wrap;gap:12px}.meta{color:#555;font-size:13px}\
.verdict{font-weight:bold}.regression{color:#b00}.ok{color:#070}.neutral{color:#666}\
ul.notes{font-size:13px}svg{max-width:100%;height:auto}";

/// The page as HTML text.
pub fn report_html(page: &ReportPage) -> String {
    let mut out = String::with_capacity(64 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(&format!("<title>{}</title>\n", escape(&page.title)));
    out.push_str(&format!("<style>{STYLE}</style>\n</head>\n<body>\n"));
    out.push_str(&format!("<h1>{}</h1>\n", escape(&page.title)));
    out.push_str(&format!(
        "<p class=\"meta\">{}</p>\n",
        escape(&page.description)
    ));
    out.push_str("<h2>Summary</h2>\n");
    out.push_str(&format!("<pre>{}</pre>\n", escape(&page.stats_table)));
    for group in &page.groups {
        group_section(&mut out, group);
    }
    if !page.newest.is_empty() {
        out.push_str("<h2>Newest runs</h2>\n");
    }
    for run in &page.newest {
        run_section(&mut out, run);
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn group_section(out: &mut String, group: &GroupSection) {
    let runs = &group.runs[group.runs.len().saturating_sub(MAX_TREND_RUNS)..];
    out.push_str(&format!(
        "<section class=\"group\">\n<h2>{}</h2>\n",
        escape(&group.name)
    ));
    let drawn = if runs.len() < group.runs.len() {
        format!(" (the newest {} drawn)", runs.len())
    } else {
        String::new()
    };
    out.push_str(&format!(
        "<p class=\"meta\">{}{drawn}</p>\n",
        runs_count(group.runs.len())
    ));
    if let Some(verdict) = &group.verdict {
        // Green only for a verdict that was reached: "no baseline" is grey.
        let class = if verdict.starts_with("regression") || verdict.starts_with("failed") {
            "regression"
        } else if verdict.starts_with("ok") || verdict.starts_with("improvement") {
            "ok"
        } else {
            "neutral"
        };
        out.push_str(&format!(
            "<p class=\"verdict {class}\">check: {}</p>\n",
            escape(verdict)
        ));
    }
    let ids: Vec<String> = runs.iter().map(|r| r.task_id.clone()).collect();
    let wall: Vec<f64> = runs.iter().map(|r| r.wall_seconds).collect();
    let cpu: Vec<f64> = runs.iter().map(|r| r.cpu_seconds).collect();
    let mem: Vec<f64> = runs.iter().map(|r| r.memory_peak_bytes).collect();
    let metrics = [
        ("wall time", Unit::Seconds, &wall),
        ("CPU time", Unit::Seconds, &cpu),
        ("peak memory", Unit::Bytes, &mem),
    ];
    out.push_str("<div class=\"row trends\">\n");
    for (title, unit, values) in metrics {
        out.push_str(&trend_svg(&Trend {
            title,
            unit,
            values,
            ids: &ids,
        }));
    }
    out.push_str("</div>\n<div class=\"row distributions\">\n");
    for (title, unit, values) in metrics {
        out.push_str(&box_svg(&format!("{title}: distribution"), unit, values));
    }
    out.push_str("</div>\n</section>\n");
}

/// `1 run`, `3 runs`.
pub fn runs_count(n: usize) -> String {
    if n == 1 {
        "1 run".to_string()
    } else {
        format!("{n} runs")
    }
}

fn run_section(out: &mut String, run: &RunSection) {
    let mut record = run.record.clone();
    if let Some(ts) = record
        .detailed_profile
        .as_mut()
        .and_then(|d| d.timeseries.as_mut())
    {
        *ts = downsample(ts, MAX_SERIES_POINTS);
    }
    out.push_str(&format!(
        "<section class=\"run\" id=\"run-{}\">\n<h3>{} — {}</h3>\n",
        escape(&record.task_id),
        escape(&record.task_id),
        escape(record.status.as_str())
    ));
    if !run.notes.is_empty() {
        out.push_str("<ul class=\"notes\">\n");
        for note in &run.notes {
            out.push_str(&format!("<li>{}</li>\n", escape(note)));
        }
        out.push_str("</ul>\n");
    }
    out.push_str(&super::run_svg(&record, &run.overlays));
    out.push_str("</section>\n");
}

/// At most `max` points: each kept point takes the largest reading of the
/// points it stands for, so a spike stays visible (as the sparklines do).
pub fn downsample(ts: &TimeSeries, max: usize) -> TimeSeries {
    let n = ts.len();
    if n <= max || max == 0 {
        return ts.clone();
    }
    let bucket = |i: usize| (i * n / max, ((i + 1) * n / max).max(i * n / max + 1));
    let opt = |v: &[Option<f64>]| -> Vec<Option<f64>> {
        if v.is_empty() {
            return Vec::new();
        }
        (0..max)
            .map(|i| {
                let (a, b) = bucket(i);
                v[a..b.min(v.len())]
                    .iter()
                    .flatten()
                    .copied()
                    .reduce(f64::max)
            })
            .collect()
    };
    let plain = |v: &[f64]| -> Vec<f64> {
        (0..max)
            .map(|i| {
                let (a, b) = bucket(i);
                v[a..b.min(v.len())].iter().copied().fold(0.0, f64::max)
            })
            .collect()
    };
    let count = |v: &[u32]| -> Vec<u32> {
        (0..max)
            .map(|i| {
                let (a, b) = bucket(i);
                v[a..b.min(v.len())].iter().copied().max().unwrap_or(0)
            })
            .collect()
    };
    TimeSeries {
        t_seconds: (0..max)
            .map(|i| {
                let (_, b) = bucket(i);
                ts.t_seconds[b.min(n) - 1]
            })
            .collect(),
        cpu_percent: opt(&ts.cpu_percent),
        rss_mb: plain(&ts.rss_mb),
        read_bytes_per_second: opt(&ts.read_bytes_per_second),
        write_bytes_per_second: opt(&ts.write_bytes_per_second),
        processes: count(&ts.processes),
        threads: count(&ts.threads),
        host_cpu_percent: opt(&ts.host_cpu_percent),
        host_memory_used_mb: opt(&ts.host_memory_used_mb),
        gpu_utilization_percent: opt(&ts.gpu_utilization_percent),
        gpu_memory_used_mb: opt(&ts.gpu_memory_used_mb),
    }
}
