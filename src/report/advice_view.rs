//! `job-advice` output: runs grouped as `job-stats` groups them, each
//! group's right-sizing (`analysis::advice_for_group`: memory from the p95
//! of peaks × 1.2, cores from the p95 of cores used, a wall limit from the
//! p95 of wall × 1.2, GPU use), as text with lines to paste (Slurm
//! directives, a docker-compose block) or as JSON. Pure: no I/O.

use super::export;
use super::stats::key_value;
use super::units;
use crate::analysis::{advice_for_group, format_slurm_time, human_size, GroupAdvice, RunFigures};
use crate::criteria::GroupKey;
use crate::record::{RecordView, BYTES_PER_MB};
use serde_json::Value;
use std::collections::BTreeMap;

/// The figures right-sizing reads from one stored run (through the skim,
/// so a large history is read as cheaply as `job-stats` reads it).
pub fn run_figures(job: &RecordView) -> RunFigures {
    let duration = Some(job.duration_seconds).filter(|d| d.is_finite() && *d > 0.0);
    RunFigures {
        memory_peak_bytes: job
            .memory_peak_mb
            .filter(|mb| mb.is_finite() && *mb > 0.0)
            .map(|mb| (mb * BYTES_PER_MB).round() as u64),
        cpu_mean_cores: job
            .cpu_total_seconds
            .filter(|c| c.is_finite())
            .zip(duration)
            .map(|(cpu, d)| cpu / d),
        duration_seconds: job.duration_seconds,
        gpu_utilization_mean_percent: job.gpu_utilization_percent.filter(|g| g.is_finite()),
    }
}

/// Runs grouped by key values, in key order.
pub struct Groups {
    keys: Vec<GroupKey>,
    runs: BTreeMap<Vec<String>, Vec<RunFigures>>,
}

/// One group's key values and advice.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupAdvised {
    pub key: Vec<String>,
    pub advice: GroupAdvice,
}

impl Groups {
    pub fn new(keys: Vec<GroupKey>) -> Groups {
        Groups {
            keys,
            runs: BTreeMap::new(),
        }
    }

    pub fn add(&mut self, job: &RecordView) {
        let key = self.keys.iter().map(|k| key_value(k, job)).collect();
        self.runs.entry(key).or_default().push(run_figures(job));
    }

    pub fn finish(self) -> Vec<GroupAdvised> {
        self.runs
            .into_iter()
            .map(|(key, runs)| GroupAdvised {
                key,
                advice: advice_for_group(&runs),
            })
            .collect()
    }
}

fn group_title(keys: &[GroupKey], key: &[String]) -> String {
    keys.iter()
        .zip(key)
        .map(|(k, v)| format!("{}={v}", k.name()))
        .collect::<Vec<_>>()
        .join("  ")
}

/// The text view: per group, the figures it stands on, then the lines to
/// paste.
pub fn text(keys: &[GroupKey], groups: &[GroupAdvised]) -> String {
    let mut out = String::new();
    for (i, g) in groups.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let a = &g.advice;
        let s = if a.runs_count == 1 { "" } else { "s" };
        out.push_str(&format!(
            "{}  ({} run{s})\n",
            group_title(keys, &g.key),
            a.runs_count
        ));
        if let Some(reason) = &a.reason {
            out.push_str(&format!("  {reason}\n"));
            continue;
        }
        let row = |out: &mut String, label: &str, value: String| {
            out.push_str(&format!("  {label:<8}  {value}\n"));
        };
        if let (Some(p95), Some(req)) = (a.memory_peak_p95_bytes, a.memory_request_bytes) {
            row(
                &mut out,
                "memory",
                format!(
                    "p95 of peaks {}; request {} (× 1.2, rounded up)",
                    human_size(p95),
                    human_size(req)
                ),
            );
        }
        if let (Some(p95), Some(n)) = (a.cpu_p95_cores, a.cpus_count) {
            row(
                &mut out,
                "cores",
                format!("p95 of cores used {p95:.2}; ask for {n}"),
            );
        }
        if let (Some(p95), Some(limit)) = (a.wall_p95_seconds, a.time_limit_seconds) {
            row(
                &mut out,
                "wall",
                format!(
                    "p95 {}; limit {} (× 1.2, whole minutes)",
                    units::duration(p95),
                    format_slurm_time(limit)
                ),
            );
        }
        row(
            &mut out,
            "gpu",
            match a.gpu_utilization_p95_percent {
                Some(p95) => format!(
                    "p95 utilisation {p95:.0} % over {} with a GPU",
                    if a.gpu_runs_count == 1 {
                        "1 run".to_string()
                    } else {
                        format!("{} runs", a.gpu_runs_count)
                    }
                ),
                None => "no GPU read".to_string(),
            },
        );
        if let Some(slurm) = a.slurm_directives() {
            row(&mut out, "slurm", format!("#SBATCH {slurm}"));
        }
        if let Some(compose) = a.compose_resources() {
            out.push_str("  docker-compose:\n");
            for line in compose.lines() {
                out.push_str(&format!("    {line}\n"));
            }
        }
    }
    out
}

fn uint(v: Option<u64>) -> Value {
    v.map_or(Value::Null, Value::from)
}

fn count(v: Option<usize>) -> Value {
    v.map_or(Value::Null, Value::from)
}

fn opt_text(v: Option<String>) -> Value {
    v.map_or(Value::Null, Value::String)
}

/// One object per group: the key columns by name (as `job-stats`), then
/// the advice's figures and the lines to paste.
pub fn json(keys: &[GroupKey], groups: &[GroupAdvised]) -> String {
    let rows = groups
        .iter()
        .map(|g| {
            let a = &g.advice;
            let mut row: Vec<(String, Value)> = keys
                .iter()
                .map(GroupKey::name)
                .zip(g.key.iter().map(|v| Value::String(v.clone())))
                .collect();
            row.extend([
                ("runs_count".to_string(), Value::from(a.runs_count)),
                ("reason".to_string(), opt_text(a.reason.clone())),
                (
                    "memory_peak_p95_bytes".to_string(),
                    uint(a.memory_peak_p95_bytes),
                ),
                (
                    "memory_request_bytes".to_string(),
                    uint(a.memory_request_bytes),
                ),
                (
                    "memory_reservation_bytes".to_string(),
                    uint(a.memory_reservation_bytes),
                ),
                ("cpu_p95_cores".to_string(), export::num(a.cpu_p95_cores)),
                ("cpus_count".to_string(), count(a.cpus_count)),
                (
                    "cpus_reservation_count".to_string(),
                    count(a.cpus_reservation_count),
                ),
                (
                    "wall_p95_seconds".to_string(),
                    export::num(a.wall_p95_seconds),
                ),
                ("time_limit_seconds".to_string(), uint(a.time_limit_seconds)),
                ("gpu_runs_count".to_string(), Value::from(a.gpu_runs_count)),
                (
                    "gpu_utilization_p95_percent".to_string(),
                    export::num(a.gpu_utilization_p95_percent),
                ),
                (
                    "slurm_directives".to_string(),
                    opt_text(a.slurm_directives()),
                ),
                (
                    "compose_resources".to_string(),
                    opt_text(a.compose_resources()),
                ),
            ]);
            export::object(row)
        })
        .collect();
    export::json_pretty(&Value::Array(rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(tool: &str, peak_mb: f64, cpu: f64, wall: f64) -> RecordView {
        let line = format!(
            r#"{{"task_id":"a","tool":"{tool}","status":"success","start_time":"2025-01-01T00:00:00Z","duration_seconds":{wall},"resource_usage":{{"cpu_total_seconds":{cpu},"memory_peak_mb":{peak_mb}}}}}"#
        );
        RecordView::from_line(line.as_bytes()).expect("view")
    }

    #[test]
    fn three_runs_get_directives_and_two_are_told_they_are_too_few() {
        let mut g = Groups::new(vec![GroupKey::Tool]);
        for j in [
            job("a", 500.0, 6.0, 3.0),
            job("a", 400.0, 3.0, 3.0),
            job("a", 450.0, 5.0, 2.5),
            job("b", 100.0, 1.0, 1.0),
            job("b", 100.0, 1.0, 1.0),
        ] {
            g.add(&j);
        }
        let groups = g.finish();
        let text = text(&[GroupKey::Tool], &groups);
        assert!(text.contains("tool=a  (3 runs)"), "{text}");
        // p95 peak 500 MiB × 1.2 = 600 MiB -> 640 MiB; 2 cores; 3.6 s -> 1 min.
        assert!(
            text.contains("#SBATCH --mem=640M --cpus-per-task=2 --time=00:01:00"),
            "{text}"
        );
        assert!(text.contains("      memory: 640M"), "{text}");
        assert!(
            text.contains("tool=b  (2 runs)\n  only 2 runs; right-sizing needs at least 3"),
            "{text}"
        );
        let json: Value = serde_json::from_str(&json(&[GroupKey::Tool], &groups)).expect("json");
        assert_eq!(json[0]["memory_request_bytes"], 640 * 1024 * 1024);
        assert_eq!(json[0]["cpus_count"], 2);
        assert_eq!(json[1]["runs_count"], 2);
        assert_eq!(json[1]["slurm_directives"], Value::Null);
    }
}
