//! Every threshold the analysis uses, in one named table. `docs/analysis.md`
//! explains each; change them there and here together.

/// The thresholds of the classifier, the phase splitter and the advice.
/// Percent figures are 0-100; "at or above" crosses an `_above` threshold,
/// "below" crosses a `_below` one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Fewer points with a CPU reading than this: no verdict.
    pub min_samples_count: usize,
    /// A run shorter than this: no verdict.
    pub min_duration_seconds: f64,
    /// `cpu`: CPU efficiency (cores busy / cores available) at or above.
    /// jobstats' lower CPU-efficiency level.
    pub cpu_busy_efficiency_percent: f64,
    /// `cores` advice: CPU efficiency below this (jobstats' upper level).
    pub cpu_advice_efficiency_below_percent: f64,
    /// A job keeping fewer cores than this busy is not CPU-limited.
    pub cpu_min_busy_cores: f64,
    /// `serial`: at most this many cores busy (one core, with slack for a
    /// helper thread) while two or more are available.
    pub serial_max_cores: f64,
    /// Contended CPUs: CPU pressure (some) at or above, with the job
    /// preempted more than it slept; then a job that got little CPU is
    /// `cpu` (starved), not `idle`.
    pub cpu_contended_pressure_some_above_percent: f64,
    /// Contended CPUs: involuntary share of the job's context switches at
    /// or above.
    pub involuntary_switches_share_above_percent: f64,
    /// Contended CPUs: involuntary context switches per second at or above.
    pub involuntary_switches_above_per_second: f64,
    /// Contended CPUs: a point with at least this many cores busy was
    /// runnable in its interval (a sleeping job's points are below it).
    pub cpu_active_above_cores: f64,
    /// Contended CPUs: at least this share of the points active, so that a
    /// job starved only while it started, then slept, stays `idle`.
    pub cpu_active_samples_above_percent: f64,
    /// `io`: io pressure (some) at or above.
    pub io_pressure_some_above_percent: f64,
    /// `io`: host iowait at or above.
    pub iowait_above_percent: f64,
    /// `io` needs the job itself to have moved at least this many storage
    /// bytes, so another job's I/O is not blamed on this one.
    pub io_min_storage_bytes: u64,
    /// A point of the series is `io` at this storage rate or more.
    pub io_tick_above_bytes_per_second: f64,
    /// `memory`: memory pressure (some) at or above.
    pub memory_pressure_some_above_percent: f64,
    /// `memory`: memory pressure (full) at or above.
    pub memory_pressure_full_above_percent: f64,
    /// `memory`: the tree's swap at or above.
    pub swap_above_bytes: u64,
    /// `memory`: major page faults per second at or above.
    pub major_faults_above_per_second: f64,
    /// `memory`: the peak at or above this share of the cgroup limit.
    pub memory_near_limit_above_percent: f64,
    /// `memory`: the cgroup's OOM kills at or above.
    pub oom_kills_above_count: u64,
    /// `memory` advice says the limit was far too large: peak below this
    /// share of it (jobstats' memory level).
    pub memory_overallocated_below_percent: f64,
    /// Memory advice: the peak times this, rounded up to a step.
    pub memory_request_factor: f64,
    /// `gpu`: mean GPU utilisation at or above (jobstats' upper GPU level).
    pub gpu_busy_above_percent: f64,
    /// `gpu_idle`: mean GPU utilisation below (jobstats' lower GPU level).
    pub gpu_idle_below_percent: f64,
    /// A phase shorter than this share of the run is merged into its
    /// neighbour.
    pub phase_min_fraction: f64,
    /// At most this many phases.
    pub max_phases_count: usize,
    /// Group advice: fewer runs than this and it says so.
    pub group_min_runs_count: usize,
    /// Group advice: the wall limit is the p95 of wall times times this.
    pub wall_limit_factor: f64,
}

/// The table.
pub const THRESHOLDS: Thresholds = Thresholds {
    min_samples_count: 3,
    min_duration_seconds: 1.5,
    cpu_busy_efficiency_percent: 65.0,
    cpu_advice_efficiency_below_percent: 80.0,
    cpu_min_busy_cores: 0.65,
    serial_max_cores: 1.25,
    cpu_contended_pressure_some_above_percent: 20.0,
    involuntary_switches_share_above_percent: 30.0,
    involuntary_switches_above_per_second: 5.0,
    cpu_active_above_cores: 0.02,
    cpu_active_samples_above_percent: 50.0,
    io_pressure_some_above_percent: 10.0,
    iowait_above_percent: 10.0,
    io_min_storage_bytes: 1 << 20,
    io_tick_above_bytes_per_second: 1_048_576.0,
    memory_pressure_some_above_percent: 10.0,
    memory_pressure_full_above_percent: 5.0,
    swap_above_bytes: 16 << 20,
    major_faults_above_per_second: 100.0,
    memory_near_limit_above_percent: 95.0,
    oom_kills_above_count: 1,
    memory_overallocated_below_percent: 70.0,
    memory_request_factor: 1.2,
    gpu_busy_above_percent: 25.0,
    gpu_idle_below_percent: 15.0,
    phase_min_fraction: 0.1,
    max_phases_count: 5,
    group_min_runs_count: 3,
    wall_limit_factor: 1.2,
};
