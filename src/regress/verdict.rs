//! The verdict of `profrun check` for one group: the newest run's figures
//! against the previous successful runs of the same group, one
//! [`MetricCheck`] per metric. A regression must be both unlikely under the
//! baseline (above the one-sided 99 % prediction bound, see
//! [`super::stats::prediction_bounds`]) and larger than the metric's
//! threshold, and larger than the metric's noise floor; docs/ci.md explains
//! the choice of each default.

use super::stats;
use crate::record::{JobRecord, RecordView, Status, BYTES_PER_MB};
use serde::{Deserialize, Serialize};

/// The figures of one run that `check` compares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunFigures {
    pub task_id: String,
    /// The run ended with status `success`.
    pub status_ok: bool,
    pub cpu_seconds: f64,
    pub memory_peak_bytes: u64,
    pub wall_seconds: f64,
    pub write_bytes: u64,
    pub read_bytes: u64,
}

impl RunFigures {
    pub fn from_record(record: &JobRecord) -> RunFigures {
        let usage = &record.resource_usage;
        RunFigures {
            task_id: record.task_id.clone(),
            status_ok: record.status == Status::Success,
            cpu_seconds: usage.cpu_total_seconds,
            memory_peak_bytes: (usage.memory_peak_mb * BYTES_PER_MB).round() as u64,
            wall_seconds: record.duration_seconds,
            write_bytes: usage.write_bytes,
            read_bytes: usage.read_bytes,
        }
    }

    /// The same figures from the read model (`profrun check` reads the
    /// history through it). A figure the stored line lacks (a record from
    /// an older profrun, an unstartable command) counts as 0.
    pub fn from_view(view: RecordView) -> RunFigures {
        let bytes = |v: Option<f64>| v.filter(|x| x.is_finite() && *x > 0.0).unwrap_or(0.0);
        RunFigures {
            status_ok: view.status.is(Status::Success),
            cpu_seconds: view.cpu_total_seconds.unwrap_or(0.0),
            memory_peak_bytes: (bytes(view.memory_peak_mb) * BYTES_PER_MB).round() as u64,
            wall_seconds: view.duration_seconds,
            write_bytes: bytes(view.write_bytes).round() as u64,
            read_bytes: bytes(view.read_bytes).round() as u64,
            task_id: view.task_id,
        }
    }
}

/// A figure `check` can gate on. The names are the `--metric` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// User + system CPU seconds of the whole tree (`getrusage`).
    Cpu,
    /// `resource_usage.memory_peak_mb`, in bytes.
    MemoryPeak,
    Wall,
    WriteBytes,
    ReadBytes,
}

/// What the value of a metric counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Seconds,
    Bytes,
}

impl Metric {
    pub const ALL: [Metric; 5] = [
        Metric::Cpu,
        Metric::MemoryPeak,
        Metric::Wall,
        Metric::WriteBytes,
        Metric::ReadBytes,
    ];

    /// Checked when no `--metric` is given. Bytes read are left out: the
    /// page cache makes them 0 on a warm run and the file size on a cold one.
    pub const DEFAULT: [Metric; 4] = [
        Metric::Cpu,
        Metric::MemoryPeak,
        Metric::Wall,
        Metric::WriteBytes,
    ];

    /// The `--metric` and JSON name.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Cpu => "cpu",
            Metric::MemoryPeak => "memory_peak",
            Metric::Wall => "wall",
            Metric::WriteBytes => "write_bytes",
            Metric::ReadBytes => "read_bytes",
        }
    }

    /// The name in tables.
    pub fn label(self) -> &'static str {
        match self {
            Metric::Cpu => "cpu",
            Metric::MemoryPeak => "memory peak",
            Metric::Wall => "wall",
            Metric::WriteBytes => "bytes written",
            Metric::ReadBytes => "bytes read",
        }
    }

    /// `cpu`, `memory_peak` (or `memory-peak`, `memory`), ...; `None` for an
    /// unknown name.
    pub fn parse(name: &str) -> Option<Metric> {
        let name = name.trim().to_ascii_lowercase().replace('-', "_");
        match name.as_str() {
            "memory" | "mem" => Some(Metric::MemoryPeak),
            "cpu_seconds" => Some(Metric::Cpu),
            "wall_seconds" | "duration" => Some(Metric::Wall),
            _ => Metric::ALL.into_iter().find(|m| m.name() == name),
        }
    }

    pub fn unit(self) -> Unit {
        match self {
            Metric::Cpu | Metric::Wall => Unit::Seconds,
            Metric::MemoryPeak | Metric::WriteBytes | Metric::ReadBytes => Unit::Bytes,
        }
    }

    /// Default `--threshold` of this metric, in percent. Wall time moves
    /// with the host's load and the page cache, so it needs a wider margin
    /// than the kernel's CPU, memory and I/O accounting.
    pub fn default_threshold_percent(self) -> f64 {
        match self {
            Metric::Wall => 25.0,
            Metric::Cpu | Metric::MemoryPeak | Metric::WriteBytes | Metric::ReadBytes => 10.0,
        }
    }

    /// Changes smaller than this (in the metric's unit) never count, however
    /// large in percent: a job that wrote nothing and now writes 4 KiB, or
    /// a 30 ms job that takes 40 ms, is not a regression to gate on.
    pub fn noise_floor(self) -> f64 {
        match self {
            Metric::Cpu | Metric::Wall => 0.05,
            Metric::MemoryPeak | Metric::WriteBytes | Metric::ReadBytes => BYTES_PER_MB,
        }
    }

    pub fn value(self, run: &RunFigures) -> f64 {
        match self {
            Metric::Cpu => run.cpu_seconds,
            Metric::MemoryPeak => run.memory_peak_bytes as f64,
            Metric::Wall => run.wall_seconds,
            Metric::WriteBytes => run.write_bytes as f64,
            Metric::ReadBytes => run.read_bytes as f64,
        }
    }
}

/// How `check` decides; [`CheckOptions::default`] holds the documented
/// defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOptions {
    pub metrics: Vec<Metric>,
    /// `--threshold`: one threshold for every metric, in percent; `None`:
    /// each metric's own default.
    pub threshold_percent: Option<f64>,
    /// One-sided confidence of the prediction bound.
    pub confidence: f64,
    /// `--min-baseline`: fewer baseline runs than this give `no_baseline`.
    pub min_baseline: usize,
    /// `--require-baseline`: `no_baseline` fails the gate.
    pub require_baseline: bool,
}

impl Default for CheckOptions {
    fn default() -> CheckOptions {
        CheckOptions {
            metrics: Metric::DEFAULT.to_vec(),
            threshold_percent: None,
            confidence: 0.99,
            min_baseline: 3,
            require_baseline: false,
        }
    }
}

impl CheckOptions {
    /// A usage error (exit 2) in words, or `Ok`.
    pub fn validate(&self) -> Result<(), String> {
        if self.metrics.is_empty() {
            return Err("no metric to check".to_string());
        }
        if let Some(t) = self.threshold_percent {
            if !(t.is_finite() && t >= 0.0) {
                return Err(format!("threshold must be a percentage ≥ 0, got '{t}'"));
            }
        }
        if self.min_baseline < 2 {
            return Err(format!(
                "min-baseline must be at least 2 (a spread needs two runs), got '{}'",
                self.min_baseline
            ));
        }
        if !(self.confidence > 0.5 && self.confidence < 1.0) {
            return Err(format!(
                "confidence must be between 0.5 and 1, got '{}'",
                self.confidence
            ));
        }
        Ok(())
    }

    pub fn threshold_for(&self, metric: Metric) -> f64 {
        self.threshold_percent
            .unwrap_or_else(|| metric.default_threshold_percent())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Ok,
    Regression,
    /// Beyond the lower bound and the threshold; never fails the gate.
    Improvement,
    /// Fewer baseline runs than `--min-baseline`.
    NoBaseline,
    /// The checked run itself did not succeed; fails the gate.
    FailedRun,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Regression => "regression",
            Verdict::Improvement => "improvement",
            Verdict::NoBaseline => "no baseline",
            Verdict::FailedRun => "failed run",
        }
    }
}

/// One group × metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricCheck {
    pub group: String,
    pub metric: Metric,
    pub unit: Unit,
    /// The checked run.
    pub task_id: String,
    pub baseline_n: usize,
    pub baseline_mean: Option<f64>,
    pub baseline_sd: Option<f64>,
    pub new: f64,
    /// `(new - mean) / mean · 100`; `None` with no baseline, or when the
    /// mean is 0 and the new value is not.
    pub change_percent: Option<f64>,
    /// The prediction bound the new value was held against: the lower one
    /// for an improvement, the upper one otherwise.
    pub bound: Option<f64>,
    pub threshold_percent: f64,
    pub verdict: Verdict,
}

/// Every check of one `profrun check`, in the order shown.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CheckReport {
    pub checks: Vec<MetricCheck>,
    pub require_baseline: bool,
}

impl CheckReport {
    pub fn count(&self, verdict: Verdict) -> usize {
        self.checks.iter().filter(|c| c.verdict == verdict).count()
    }

    /// Whether the gate fails: a regression, a failed run, or (with
    /// `--require-baseline`) a group without a baseline.
    pub fn failed(&self) -> bool {
        self.checks.iter().any(|c| match c.verdict {
            Verdict::Regression | Verdict::FailedRun => true,
            Verdict::NoBaseline => self.require_baseline,
            Verdict::Ok | Verdict::Improvement => false,
        })
    }

    /// 0 when nothing regressed, 1 otherwise (2, a usage error, is the
    /// command's to return).
    pub fn exit_code(&self) -> i32 {
        i32::from(self.failed())
    }
}

/// The checks of one group: `newest` against `baseline`, the previous
/// successful runs of the group, newest first (the caller selects them and
/// leaves `newest` out).
pub fn check_group(
    group: &str,
    newest: &RunFigures,
    baseline: &[RunFigures],
    opts: &CheckOptions,
) -> Vec<MetricCheck> {
    opts.metrics
        .iter()
        .map(|&metric| check_metric(group, metric, newest, baseline, opts))
        .collect()
}

fn check_metric(
    group: &str,
    metric: Metric,
    newest: &RunFigures,
    baseline: &[RunFigures],
    opts: &CheckOptions,
) -> MetricCheck {
    let values: Vec<f64> = baseline.iter().map(|r| metric.value(r)).collect();
    let new = metric.value(newest);
    let threshold = opts.threshold_for(metric);
    let mean = stats::mean(&values);
    let change_percent = mean.and_then(|m| change_percent(m, new));
    let mut check = MetricCheck {
        group: group.to_string(),
        metric,
        unit: metric.unit(),
        task_id: newest.task_id.clone(),
        baseline_n: values.len(),
        baseline_mean: mean,
        baseline_sd: stats::sample_sd(&values),
        new,
        change_percent,
        bound: None,
        threshold_percent: threshold,
        verdict: Verdict::NoBaseline,
    };
    if !newest.status_ok {
        check.verdict = Verdict::FailedRun;
        return check;
    }
    if values.len() < opts.min_baseline.max(2) {
        return check;
    }
    let Some(bounds) = stats::prediction_bounds(&values, opts.confidence) else {
        return check;
    };
    let diff = new - bounds.mean;
    let large =
        diff.abs() >= metric.noise_floor() && change_percent.map_or(true, |c| c.abs() > threshold);
    (check.verdict, check.bound) = if large && diff > 0.0 && new > bounds.upper {
        (Verdict::Regression, Some(bounds.upper))
    } else if large && diff < 0.0 && new < bounds.lower {
        (Verdict::Improvement, Some(bounds.lower))
    } else {
        (Verdict::Ok, Some(bounds.upper))
    };
    check
}

fn change_percent(mean: f64, new: f64) -> Option<f64> {
    if mean != 0.0 {
        Some((new - mean) / mean.abs() * 100.0)
    } else if new == 0.0 {
        Some(0.0)
    } else {
        None
    }
}

#[cfg(test)]
#[path = "verdict_tests.rs"]
mod tests;
