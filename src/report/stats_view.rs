//! `job-stats` output: a table per group, or JSON/CSV with stable column
//! names (documented in docs/query.md): the group keys by name (`tool`,
//! `tag:mesh`, ...) followed by [`METRICS`].

use super::export;
use super::stats::GroupStats;
use super::table::{self, TableStyle};
use super::units::{self, text};
use crate::criteria::GroupKey;
use serde_json::Value;

/// Metric columns of `--format json|csv`, after the key columns.
pub const METRICS: [&str; 17] = [
    "runs",
    "successes",
    "success_rate",
    "wall_mean_seconds",
    "wall_sd_seconds",
    "wall_min_seconds",
    "wall_p50_seconds",
    "wall_p95_seconds",
    "wall_max_seconds",
    "cpu_mean_seconds",
    "cores_mean",
    "memory_peak_mean_mb",
    "memory_peak_max_mb",
    "read_bytes_mean",
    "write_bytes_mean",
    "gpu_utilization_mean_percent",
    "bottleneck_most_common",
];

fn metric_values(g: &GroupStats) -> Vec<Value> {
    vec![
        Value::from(g.runs),
        Value::from(g.successes),
        export::num(Some(g.success_rate())),
        export::num(Some(g.wall_mean_seconds)),
        export::num(Some(g.wall_sd_seconds)),
        export::num(Some(g.wall_min_seconds)),
        export::num(Some(g.wall_p50_seconds)),
        export::num(Some(g.wall_p95_seconds)),
        export::num(Some(g.wall_max_seconds)),
        export::num(g.cpu_mean_seconds),
        export::num(g.cores_mean),
        export::num(g.memory_peak_mean_mb),
        export::num(g.memory_peak_max_mb),
        export::num(g.read_bytes_mean),
        export::num(g.write_bytes_mean),
        export::num(g.gpu_utilization_mean_percent),
        g.bottleneck_most_common
            .clone()
            .map_or(Value::Null, Value::String),
    ]
}

/// Columns added after [`METRICS`] when a key is `slurm_job`: a Slurm
/// job read as seff reads it (its runs are its tasks).
pub const SLURM_METRICS: [&str; 5] = [
    "tasks",
    "nodes",
    "cpu_total_seconds",
    "cpu_efficiency",
    "memory_efficiency_max",
];

fn slurm_values(g: &GroupStats) -> Vec<Value> {
    vec![
        Value::from(g.runs),
        Value::from(g.nodes),
        export::num(g.cpu_total_seconds),
        export::num(g.cpu_efficiency),
        export::num(g.memory_efficiency_max),
    ]
}

fn by_slurm_job(keys: &[GroupKey]) -> bool {
    keys.contains(&GroupKey::SlurmJob)
}

fn header(keys: &[GroupKey]) -> Vec<String> {
    let slurm: &[&str] = if by_slurm_job(keys) {
        &SLURM_METRICS
    } else {
        &[]
    };
    keys.iter()
        .map(GroupKey::name)
        .chain(METRICS.iter().chain(slurm).map(|m| m.to_string()))
        .collect()
}

fn values(keys: &[GroupKey], g: &GroupStats) -> Vec<Value> {
    let slurm = if by_slurm_job(keys) {
        slurm_values(g)
    } else {
        Vec::new()
    };
    g.key
        .iter()
        .map(|k| Value::String(k.clone()))
        .chain(metric_values(g))
        .chain(slurm)
        .collect()
}

pub fn json(keys: &[GroupKey], groups: &[GroupStats]) -> String {
    let names = header(keys);
    let rows = groups
        .iter()
        .map(|g| export::object(names.iter().cloned().zip(values(keys, g)).collect()))
        .collect();
    export::json_pretty(&Value::Array(rows))
}

pub fn csv(keys: &[GroupKey], groups: &[GroupStats]) -> String {
    let rows: Vec<Vec<Value>> = groups.iter().map(|g| values(keys, g)).collect();
    export::csv(&header(keys), &rows)
}

/// The table grouped by Slurm job: tasks, nodes, the longest task, the
/// CPU of all tasks, the largest task's peak memory, and efficiencies.
fn slurm_table(keys: &[GroupKey], groups: &[GroupStats], style: &TableStyle) -> String {
    let key_names: Vec<String> = keys.iter().map(|k| k.name().to_uppercase()).collect();
    let mut head: Vec<&str> = key_names.iter().map(String::as_str).collect();
    head.extend([
        "TASKS",
        "NODES",
        "OK",
        "WALL max",
        "CPU total",
        "PEAK MEM max",
        "CPU EFF",
        "MEM EFF max",
    ]);
    let right: Vec<usize> = (keys.len()..head.len()).collect();
    let mut t = table::new_table(style, &head, &right);
    let opt = |v: Option<f64>, f: fn(f64) -> String| v.map_or("-".to_string(), f);
    let share = |v: f64| text::percent(v * 100.0);
    for g in groups {
        let mut row: Vec<String> = g.key.clone();
        row.extend([
            g.runs.to_string(),
            g.nodes.to_string(),
            format!("{:.0}%", g.success_rate() * 100.0),
            units::duration(g.wall_max_seconds),
            opt(g.cpu_total_seconds, units::duration),
            opt(g.memory_peak_max_mb, units::mebibytes),
            opt(g.cpu_efficiency, share),
            opt(g.memory_efficiency_max, share),
        ]);
        t.add_row(row);
    }
    table::finish(&t)
}

/// `WALL mean ± sd`; the mean alone for one run, which has no spread
/// (`2 ms ± 0 ms` claimed one).
fn mean_sd(g: &GroupStats) -> String {
    if g.runs < 2 {
        units::duration(g.wall_mean_seconds)
    } else {
        format!(
            "{} ± {}",
            units::duration(g.wall_mean_seconds),
            units::duration(g.wall_sd_seconds)
        )
    }
}

/// The table; a GPU column only when some group has GPU figures, a
/// BOTTLENECK column only when some group's runs were judged.
pub fn table(keys: &[GroupKey], groups: &[GroupStats], style: &TableStyle) -> String {
    if by_slurm_job(keys) {
        return slurm_table(keys, groups, style);
    }
    let gpu = groups
        .iter()
        .any(|g| g.gpu_utilization_mean_percent.is_some());
    let bottleneck = groups.iter().any(|g| g.bottleneck_most_common.is_some());
    let key_names: Vec<String> = keys.iter().map(|k| k.name().to_uppercase()).collect();
    let mut head: Vec<&str> = key_names.iter().map(String::as_str).collect();
    head.extend([
        "RUNS",
        "OK",
        "WALL mean ± sd",
        "min",
        "p50",
        "p95",
        "max",
        "CPU mean",
        "CORES",
        "PEAK MEM mean / max",
        "READ / WRITE mean",
    ]);
    if gpu {
        head.push("GPU mean");
    }
    if bottleneck {
        head.push("BOTTLENECK");
    }
    // The bottleneck is a word: left-aligned, as the keys are.
    let right: Vec<usize> = (keys.len()..head.len() - usize::from(bottleneck)).collect();
    let mut t = table::new_table(style, &head, &right);
    let opt = |v: Option<f64>, f: fn(f64) -> String| v.map_or("-".to_string(), f);
    for g in groups {
        let mut row: Vec<String> = g.key.clone();
        row.extend([
            g.runs.to_string(),
            format!("{:.0}%", g.success_rate() * 100.0),
            mean_sd(g),
            units::duration(g.wall_min_seconds),
            units::duration(g.wall_p50_seconds),
            units::duration(g.wall_p95_seconds),
            units::duration(g.wall_max_seconds),
            opt(g.cpu_mean_seconds, units::duration),
            text::opt_fixed(g.cores_mean, 2),
            format!(
                "{} / {}",
                opt(g.memory_peak_mean_mb, units::mebibytes),
                opt(g.memory_peak_max_mb, units::mebibytes)
            ),
            format!(
                "{} / {}",
                opt(g.read_bytes_mean, units::bytes),
                opt(g.write_bytes_mean, units::bytes)
            ),
        ]);
        if gpu {
            row.push(opt(g.gpu_utilization_mean_percent, text::percent));
        }
        if bottleneck {
            row.push(g.bottleneck_most_common.clone().unwrap_or("-".to_string()));
        }
        t.add_row(row);
    }
    table::finish(&t)
}
