//! `profrun diff A B`: every headline figure of two records side by side
//! with the change from A to B, and their sampled series as sparklines.
//! [`diff`] builds the comparison; [`super::diff_view`] renders it.

use crate::record::{JobRecord, TimeSeries, BYTES_PER_MB};
use serde::Serialize;

/// What a figure counts, for formatting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffUnit {
    Seconds,
    Bytes,
    BytesPerSecond,
    Count,
    /// CPU seconds per wall second.
    Cores,
    Percent,
    Joules,
}

/// Who ran what, when, and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunHeader {
    pub task_id: String,
    pub start_time: String,
    pub status: String,
    pub exit_code: i32,
    pub command: Vec<String>,
}

/// One headline figure of both runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FigureDiff {
    /// The JSON key: `wall_seconds`, `cpu_user_seconds`, ...
    pub name: &'static str,
    pub label: &'static str,
    pub unit: DiffUnit,
    pub a: Option<f64>,
    pub b: Option<f64>,
    /// `(b - a) / a · 100`; `None` when either is missing, or `a` is 0 and
    /// `b` is not.
    pub change_percent: Option<f64>,
}

/// One sampled series of both runs (each squeezed to the same width, each
/// scaled to its own maximum, which is given beside it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesDiff {
    pub name: &'static str,
    pub label: &'static str,
    pub unit: DiffUnit,
    #[serde(skip)]
    pub a: Vec<Option<f64>>,
    #[serde(skip)]
    pub b: Vec<Option<f64>>,
    pub a_points: usize,
    pub b_points: usize,
    pub a_max: Option<f64>,
    pub b_max: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordDiff {
    pub a: RunHeader,
    pub b: RunHeader,
    pub figures: Vec<FigureDiff>,
    pub series: Vec<SeriesDiff>,
}

/// A against B. Figures missing from both records (GPU on a GPU-less host,
/// sampled figures of an unstartable command) are left out, and so are
/// series that are zero or missing in both.
pub fn diff(a: &JobRecord, b: &JobRecord) -> RecordDiff {
    let (fa, fb) = (figures(a), figures(b));
    let figures = fa
        .into_iter()
        .zip(fb)
        .filter(|((_, _, _, x), (_, _, _, y))| x.is_some() || y.is_some())
        .map(|((name, label, unit, x), (_, _, _, y))| FigureDiff {
            name,
            label,
            unit,
            a: x,
            b: y,
            change_percent: change(x, y),
        })
        .collect();
    let (sa, sb) = (series(a), series(b));
    let series = sa
        .into_iter()
        .zip(sb)
        .filter(|((_, _, _, x), (_, _, _, y))| has_value(x) || has_value(y))
        .map(|((name, label, unit, x), (_, _, _, y))| SeriesDiff {
            name,
            label,
            unit,
            a_points: x.len(),
            b_points: y.len(),
            a_max: max(&x),
            b_max: max(&y),
            a: x,
            b: y,
        })
        .collect();
    RecordDiff {
        a: header(a),
        b: header(b),
        figures,
        series,
    }
}

type Figure = (&'static str, &'static str, DiffUnit, Option<f64>);

/// Every headline figure, always in this order and length (so the two
/// lists zip).
fn figures(r: &JobRecord) -> Vec<Figure> {
    let u = &r.resource_usage;
    let dp = r.detailed_profile.as_ref();
    let nvidia = dp
        .and_then(|d| d.gpu_stats.as_ref())
        .filter(|g| g.available);
    let summary = nvidia.and_then(|g| g.nvidia.as_ref());
    let count = |v: u64| Some(v as f64);
    let wall = r.duration_seconds;
    vec![
        ("wall_seconds", "wall", DiffUnit::Seconds, Some(wall)),
        (
            "cpu_user_seconds",
            "cpu user",
            DiffUnit::Seconds,
            Some(u.cpu_user_seconds),
        ),
        (
            "cpu_system_seconds",
            "cpu system",
            DiffUnit::Seconds,
            Some(u.cpu_system_seconds),
        ),
        (
            "cpu_total_seconds",
            "cpu total",
            DiffUnit::Seconds,
            Some(u.cpu_total_seconds),
        ),
        (
            "cores_used",
            "cores used",
            DiffUnit::Cores,
            (wall > 0.0).then(|| u.cpu_total_seconds / wall),
        ),
        (
            "memory_peak_bytes",
            "memory peak",
            DiffUnit::Bytes,
            Some(u.memory_peak_mb * BYTES_PER_MB),
        ),
        (
            "max_rss_bytes",
            "max rss",
            DiffUnit::Bytes,
            Some(u.max_rss_mb * BYTES_PER_MB),
        ),
        (
            "read_bytes",
            "bytes read",
            DiffUnit::Bytes,
            count(u.read_bytes),
        ),
        (
            "write_bytes",
            "bytes written",
            DiffUnit::Bytes,
            count(u.write_bytes),
        ),
        (
            "minor_page_faults",
            "minor faults",
            DiffUnit::Count,
            count(u.minor_page_faults),
        ),
        (
            "major_page_faults",
            "major faults",
            DiffUnit::Count,
            count(u.major_page_faults),
        ),
        (
            "voluntary_context_switches",
            "voluntary switches",
            DiffUnit::Count,
            count(u.voluntary_context_switches),
        ),
        (
            "involuntary_context_switches",
            "involuntary switches",
            DiffUnit::Count,
            count(u.involuntary_context_switches),
        ),
        (
            "max_processes",
            "processes (max)",
            DiffUnit::Count,
            dp.and_then(|d| d.processes.as_ref())
                .map(|p| p.max_concurrent as f64),
        ),
        (
            "gpu_utilization_percent",
            "gpu util mean",
            DiffUnit::Percent,
            summary.and_then(|s| s.gpu_utilization_percent),
        ),
        (
            "gpu_utilization_max_percent",
            "gpu util max",
            DiffUnit::Percent,
            summary.and_then(|s| s.gpu_utilization_max_percent),
        ),
        (
            "gpu_memory_used_max_bytes",
            "gpu memory max",
            DiffUnit::Bytes,
            summary
                .and_then(|s| s.memory_used_max_mb)
                .map(|mb| mb * BYTES_PER_MB),
        ),
        (
            "gpu_energy_joules",
            "gpu energy",
            DiffUnit::Joules,
            nvidia.and_then(|g| g.energy_joules),
        ),
    ]
}

type Series = (&'static str, &'static str, DiffUnit, Vec<Option<f64>>);

fn series(r: &JobRecord) -> Vec<Series> {
    let empty = TimeSeries::default();
    let ts = r
        .detailed_profile
        .as_ref()
        .and_then(|d| d.timeseries.as_ref())
        .unwrap_or(&empty);
    let mb = |v: &[f64]| v.iter().map(|x| Some(x * BYTES_PER_MB)).collect();
    let mb_opt = |v: &[Option<f64>]| v.iter().map(|x| x.map(|x| x * BYTES_PER_MB)).collect();
    vec![
        (
            "cpu_percent",
            "cpu",
            DiffUnit::Percent,
            ts.cpu_percent.clone(),
        ),
        ("rss_bytes", "memory", DiffUnit::Bytes, mb(&ts.rss_mb)),
        (
            "read_bytes_per_second",
            "read",
            DiffUnit::BytesPerSecond,
            ts.read_bytes_per_second.clone(),
        ),
        (
            "write_bytes_per_second",
            "write",
            DiffUnit::BytesPerSecond,
            ts.write_bytes_per_second.clone(),
        ),
        (
            "gpu_utilization_percent",
            "gpu util",
            DiffUnit::Percent,
            ts.gpu_utilization_percent.clone(),
        ),
        (
            "gpu_memory_used_bytes",
            "gpu memory",
            DiffUnit::Bytes,
            mb_opt(&ts.gpu_memory_used_mb),
        ),
    ]
}

fn header(r: &JobRecord) -> RunHeader {
    RunHeader {
        task_id: r.task_id.clone(),
        start_time: r.start_time.clone(),
        status: r.status.as_str().to_string(),
        exit_code: r.exit_code,
        command: r.command.clone(),
    }
}

fn change(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    let (a, b) = (a?, b?);
    if a != 0.0 {
        Some((b - a) / a.abs() * 100.0)
    } else if b == 0.0 {
        Some(0.0)
    } else {
        None
    }
}

/// A series worth a line: some finite, non-zero point.
fn has_value(v: &[Option<f64>]) -> bool {
    v.iter().flatten().any(|x| x.is_finite() && *x != 0.0)
}

fn max(v: &[Option<f64>]) -> Option<f64> {
    v.iter()
        .flatten()
        .copied()
        .filter(|x| x.is_finite())
        .reduce(f64::max)
}

#[cfg(test)]
#[path = "diff_tests.rs"]
mod tests;
