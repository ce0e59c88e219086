//! The small view of a run that the analysis reads, and how to build it
//! from a `JobRecord`. Kept apart from the record so that other readers (a
//! lenient read model, a test) can build it too.

use crate::record::{JobRecord, BYTES_PER_MB};

/// What the analysis needs to know about one run. Every figure a record
/// may lack is an `Option`; non-finite figures count as missing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnalysisInput {
    pub duration_seconds: f64,
    pub cpus_available_count: usize,
    /// Whole-tree CPU seconds (exact, from the kernel).
    pub cpu_total_seconds: Option<f64>,
    pub memory_peak_bytes: Option<u64>,
    /// The enclosing cgroup's memory limit, when there is one.
    pub memory_limit_bytes: Option<u64>,
    pub swap_max_bytes: Option<u64>,
    pub major_page_faults_count: Option<u64>,
    /// Storage-layer bytes read + written by the tree.
    pub storage_bytes: Option<u64>,
    pub iowait_mean_percent: Option<f64>,
    pub io_pressure_some_percent: Option<f64>,
    /// Host (or cgroup) CPU pressure: tasks runnable but waiting for a CPU.
    pub cpu_pressure_some_percent: Option<f64>,
    /// The tree's context switches: voluntary (it slept) and involuntary
    /// (it was preempted while runnable).
    pub voluntary_switches_count: Option<u64>,
    pub involuntary_switches_count: Option<u64>,
    pub memory_pressure_some_percent: Option<f64>,
    pub memory_pressure_full_percent: Option<f64>,
    pub oom_kills_count: Option<u64>,
    /// Mean GPU utilisation over the devices the job used; None when no
    /// GPU was read.
    pub gpu_utilization_mean_percent: Option<f64>,
    /// The sampled series, in time order.
    pub ticks: Vec<TickInput>,
}

/// One point of the series: rates over the interval that ends at
/// `t_seconds`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TickInput {
    pub t_seconds: f64,
    /// The tree's CPU in cores (100 % = one core).
    pub cpu_cores: Option<f64>,
    /// Storage read + write rate.
    pub io_bytes_per_second: Option<f64>,
    pub gpu_utilization_percent: Option<f64>,
}

/// `Some(x)` when `x` is a finite number.
pub(crate) fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

pub(crate) fn finite_opt(x: Option<f64>) -> Option<f64> {
    x.and_then(finite)
}

fn mb_to_bytes(mb: f64) -> Option<u64> {
    finite(mb)
        .filter(|mb| *mb >= 0.0)
        .map(|mb| (mb * BYTES_PER_MB).round() as u64)
}

fn sum_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (finite_opt(a), finite_opt(b)) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
    }
}

impl AnalysisInput {
    /// The view of a stored record. Records from before a field existed
    /// leave it `None`.
    pub fn from_record(record: &JobRecord) -> AnalysisInput {
        let usage = &record.resource_usage;
        let profile = record.detailed_profile.as_ref();
        let cgroup = profile.and_then(|p| p.cgroup.as_ref());
        let container = profile.and_then(|p| p.container_stats.as_ref());
        let pressure = profile.and_then(|p| p.pressure.as_ref());
        let gpu = profile
            .and_then(|p| p.gpu_stats.as_ref())
            .filter(|g| g.available)
            .and_then(|g| g.nvidia.as_ref());
        // The cgroup's total includes double-forked daemons that rusage
        // never reaps, so it wins when present.
        let cpu_total_seconds = cgroup
            .and_then(|c| finite_opt(c.cpu_total_seconds))
            .or_else(|| finite(usage.cpu_total_seconds));
        AnalysisInput {
            duration_seconds: record.duration_seconds,
            cpus_available_count: record.host.cpus_available,
            cpu_total_seconds,
            memory_peak_bytes: mb_to_bytes(usage.memory_peak_mb).filter(|b| *b > 0),
            memory_limit_bytes: container.and_then(|c| c.memory_limit_bytes),
            swap_max_bytes: profile
                .and_then(|p| p.process_memory.as_ref())
                .and_then(|m| mb_to_bytes(m.max_swap_mb)),
            major_page_faults_count: Some(usage.major_page_faults),
            storage_bytes: Some(usage.read_bytes.saturating_add(usage.write_bytes)),
            iowait_mean_percent: profile
                .and_then(|p| p.cpu.as_ref())
                .and_then(|c| finite(c.iowait_mean_percent)),
            io_pressure_some_percent: pressure
                .and_then(|p| p.io.as_ref())
                .and_then(|r| finite(r.some_percent)),
            cpu_pressure_some_percent: pressure
                .and_then(|p| p.cpu.as_ref())
                .and_then(|r| finite(r.some_percent)),
            voluntary_switches_count: Some(usage.voluntary_context_switches),
            involuntary_switches_count: Some(usage.involuntary_context_switches),
            memory_pressure_some_percent: pressure
                .and_then(|p| p.memory.as_ref())
                .and_then(|r| finite(r.some_percent)),
            memory_pressure_full_percent: pressure
                .and_then(|p| p.memory.as_ref())
                .and_then(|r| finite_opt(r.full_percent)),
            oom_kills_count: cgroup.and_then(|c| c.oom_kills),
            gpu_utilization_mean_percent: gpu.and_then(|n| finite_opt(n.gpu_utilization_percent)),
            ticks: profile
                .and_then(|p| p.timeseries.as_ref())
                .map(ticks_of)
                .unwrap_or_default(),
        }
    }
}

fn ticks_of(series: &crate::record::TimeSeries) -> Vec<TickInput> {
    let at = |column: &[Option<f64>], i: usize| finite_opt(column.get(i).copied().flatten());
    (0..series.t_seconds.len())
        .map(|i| TickInput {
            t_seconds: series.t_seconds[i],
            cpu_cores: at(&series.cpu_percent, i).map(|p| p / 100.0),
            io_bytes_per_second: sum_opt(
                at(&series.read_bytes_per_second, i),
                at(&series.write_bytes_per_second, i),
            ),
            gpu_utilization_percent: at(&series.gpu_utilization_percent, i),
        })
        .collect()
}
