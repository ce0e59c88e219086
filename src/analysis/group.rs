//! Right-sizing from a group of runs (for `profrun job-advice`): p95-based
//! memory, cores and wall-time requests, rendered as Slurm directives and a
//! docker-compose `deploy.resources` block.

use super::advice::{memory_request_bytes, slurm_size};
use super::input::{finite, finite_opt, AnalysisInput};
use super::thresholds::THRESHOLDS;

/// The figures of one run that right-sizing reads.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RunFigures {
    pub memory_peak_bytes: Option<u64>,
    /// CPU seconds / wall seconds.
    pub cpu_mean_cores: Option<f64>,
    pub duration_seconds: f64,
    /// None when the run read no GPU.
    pub gpu_utilization_mean_percent: Option<f64>,
}

impl RunFigures {
    pub fn from_input(input: &AnalysisInput) -> RunFigures {
        let duration = finite(input.duration_seconds).filter(|d| *d > 0.0);
        RunFigures {
            memory_peak_bytes: input.memory_peak_bytes,
            cpu_mean_cores: finite_opt(input.cpu_total_seconds)
                .zip(duration)
                .map(|(cpu, d)| cpu / d),
            duration_seconds: input.duration_seconds,
            gpu_utilization_mean_percent: finite_opt(input.gpu_utilization_mean_percent),
        }
    }
}

/// What a group of runs should ask for. Figures are None when there are
/// fewer than `group_min_runs_count` runs (`reason` says so) or when no run
/// had that figure.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupAdvice {
    pub runs_count: usize,
    /// Why there is no advice (too few runs).
    pub reason: Option<String>,
    pub memory_peak_p95_bytes: Option<u64>,
    /// p95 of peaks × 1.2, rounded up: the limit / `--mem`.
    pub memory_request_bytes: Option<u64>,
    /// Median of peaks × 1.2, rounded up: the compose reservation.
    pub memory_reservation_bytes: Option<u64>,
    pub cpu_p95_cores: Option<f64>,
    /// p95 of cores used, rounded up (at least 1).
    pub cpus_count: Option<usize>,
    /// Median of cores used, rounded up (at least 1).
    pub cpus_reservation_count: Option<usize>,
    pub wall_p95_seconds: Option<f64>,
    /// p95 of wall × 1.2, rounded up to a whole minute.
    pub time_limit_seconds: Option<u64>,
    /// Runs that read a GPU.
    pub gpu_runs_count: usize,
    pub gpu_utilization_p95_percent: Option<f64>,
}

/// The nearest-rank percentile of finite values; None when there are none.
fn percentile(values: impl Iterator<Item = f64>, p: f64) -> Option<f64> {
    let mut v: Vec<f64> = values.filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    Some(v[rank.clamp(1, v.len()) - 1])
}

pub fn advice_for_group(runs: &[RunFigures]) -> GroupAdvice {
    let runs_count = runs.len();
    let min = THRESHOLDS.group_min_runs_count;
    if runs_count < min {
        return GroupAdvice {
            runs_count,
            reason: Some(format!(
                "only {}; right-sizing needs at least {min}",
                if runs_count == 1 {
                    "1 run".to_string()
                } else {
                    format!("{runs_count} runs")
                }
            )),
            ..GroupAdvice::default()
        };
    }
    let peaks = || {
        runs.iter()
            .filter_map(|r| r.memory_peak_bytes)
            .map(|b| b as f64)
    };
    let cores = || runs.iter().filter_map(|r| finite_opt(r.cpu_mean_cores));
    let gpu = || {
        runs.iter()
            .filter_map(|r| finite_opt(r.gpu_utilization_mean_percent))
    };
    let memory_peak_p95_bytes = percentile(peaks(), 95.0).map(|b| b as u64);
    let cpu_p95_cores = percentile(cores(), 95.0);
    let whole_cores = |c: f64| (c.ceil() as usize).max(1);
    let wall_p95_seconds = percentile(runs.iter().map(|r| r.duration_seconds), 95.0);
    GroupAdvice {
        runs_count,
        reason: None,
        memory_peak_p95_bytes,
        memory_request_bytes: memory_peak_p95_bytes.map(memory_request_bytes),
        memory_reservation_bytes: percentile(peaks(), 50.0).map(|b| memory_request_bytes(b as u64)),
        cpu_p95_cores,
        cpus_count: cpu_p95_cores.map(whole_cores),
        cpus_reservation_count: percentile(cores(), 50.0).map(whole_cores),
        wall_p95_seconds,
        time_limit_seconds: wall_p95_seconds.map(|w| {
            let limit = (w.max(0.0) * THRESHOLDS.wall_limit_factor).ceil() as u64;
            limit.div_ceil(60).max(1) * 60
        }),
        gpu_runs_count: gpu().count(),
        gpu_utilization_p95_percent: percentile(gpu(), 95.0),
    }
}

/// Slurm's `--time` format: `HH:MM:SS`, or `D-HH:MM:SS` from a day up.
pub fn format_slurm_time(seconds: u64) -> String {
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let hms = format!(
        "{:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    );
    if days > 0 {
        format!("{days}-{hms}")
    } else {
        hms
    }
}

impl GroupAdvice {
    /// `--mem=4G --cpus-per-task=2 --time=00:15:00` (plus `--gres=gpu:1`
    /// when the runs kept a GPU busier than `gpu_idle_below_percent`); None
    /// without advice.
    pub fn slurm_directives(&self) -> Option<String> {
        if self.reason.is_some() {
            return None;
        }
        let mut parts = Vec::new();
        if let Some(mem) = self.memory_request_bytes {
            parts.push(format!("--mem={}", slurm_size(mem)));
        }
        if let Some(cpus) = self.cpus_count {
            parts.push(format!("--cpus-per-task={cpus}"));
        }
        if let Some(limit) = self.time_limit_seconds {
            parts.push(format!("--time={}", format_slurm_time(limit)));
        }
        if self
            .gpu_utilization_p95_percent
            .is_some_and(|g| g >= THRESHOLDS.gpu_idle_below_percent)
        {
            parts.push("--gres=gpu:1".to_string());
        }
        (!parts.is_empty()).then(|| parts.join(" "))
    }

    /// A docker-compose `deploy.resources` block: limits from the p95,
    /// reservations from the median. None without advice.
    pub fn compose_resources(&self) -> Option<String> {
        if self.reason.is_some() {
            return None;
        }
        let block = |cpus: Option<usize>, mem: Option<u64>| {
            let mut s = String::new();
            if let Some(c) = cpus {
                s.push_str(&format!("      cpus: '{c}'\n"));
            }
            if let Some(m) = mem {
                s.push_str(&format!("      memory: {}\n", slurm_size(m)));
            }
            s
        };
        let limits = block(self.cpus_count, self.memory_request_bytes);
        let reservations = block(self.cpus_reservation_count, self.memory_reservation_bytes);
        if limits.is_empty() {
            return None;
        }
        Some(format!(
            "deploy:\n  resources:\n    limits:\n{}    reservations:\n{}",
            limits, reservations
        ))
    }
}
