//! The serde types of the `analysis` block (computed by the `analysis` module):
//! (`bottleneck` with its `evidence`), when (`phases`) and what to ask for
//! next time (`advice`). Field names follow the record's naming rule
//! `{quantity}_{statistic}_{unit}`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What held a job (or a phase of it) back. `docs/analysis.md` says what
/// crosses into each class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Bottleneck {
    /// The job keeps most of the CPUs available to it busy.
    Cpu,
    /// One core busy while two or more are available.
    Serial,
    /// Waiting on storage.
    Io,
    /// Stalled on memory: pressure, swap, major faults, or its limit.
    Memory,
    /// The GPU is busy.
    Gpu,
    /// The job held a GPU that sat mostly idle.
    GpuIdle,
    /// Neither CPU nor storage: sleeping, network, a lock.
    Idle,
}

impl Bottleneck {
    pub fn as_str(self) -> &'static str {
        match self {
            Bottleneck::Cpu => "cpu",
            Bottleneck::Serial => "serial",
            Bottleneck::Io => "io",
            Bottleneck::Memory => "memory",
            Bottleneck::Gpu => "gpu",
            Bottleneck::GpuIdle => "gpu_idle",
            Bottleneck::Idle => "idle",
        }
    }
}

/// The `analysis` block of a record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AnalysisRecord {
    /// Null when the run is too short or too sparse to judge.
    pub bottleneck: Option<Bottleneck>,
    /// Why `bottleneck` is null (present only then).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
    pub evidence: Evidence,
    /// The run split where its character changes, in time order.
    #[serde(default)]
    pub phases: Vec<PhaseRecord>,
    #[serde(default)]
    pub advice: Vec<AdviceRecord>,
}

/// The figures the classes were decided on; null where the record lacks
/// them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Evidence {
    /// Points of the series with a CPU reading.
    pub samples_count: usize,
    pub duration_seconds: f64,
    pub cpus_available_count: usize,
    /// CPU seconds / wall seconds: how many cores the job kept busy.
    pub cpu_mean_cores: Option<f64>,
    /// `cpu_mean_cores` / CPUs available, 100 = all of them.
    pub cpu_efficiency_percent: Option<f64>,
    pub cpu_pressure_some_percent: Option<f64>,
    /// Involuntary / all context switches of the tree.
    pub involuntary_switches_share_percent: Option<f64>,
    pub involuntary_switches_mean_per_second: Option<f64>,
    /// Points of the series with at least `cpu_active_above_cores` busy.
    pub cpu_active_samples_percent: Option<f64>,
    /// The job wanted more CPU than the host gave it (see
    /// `docs/analysis.md`); its CPU figures understate what it would use.
    #[serde(default)]
    pub cpu_contended: bool,
    pub iowait_mean_percent: Option<f64>,
    pub io_pressure_some_percent: Option<f64>,
    pub memory_pressure_some_percent: Option<f64>,
    pub memory_pressure_full_percent: Option<f64>,
    pub swap_max_bytes: Option<u64>,
    pub major_faults_mean_per_second: Option<f64>,
    pub memory_peak_bytes: Option<u64>,
    pub memory_limit_bytes: Option<u64>,
    /// `memory_peak_bytes` / `memory_limit_bytes`.
    pub memory_peak_of_limit_percent: Option<f64>,
    pub oom_kills_count: Option<u64>,
    /// Storage-layer bytes read + written by the tree.
    pub storage_bytes: Option<u64>,
    /// Storage bytes (read + write) over wall seconds.
    pub io_mean_bytes_per_second: Option<f64>,
    /// Null when no GPU was read.
    pub gpu_utilization_mean_percent: Option<f64>,
    /// Each threshold of `THRESHOLDS` that a figure crossed.
    #[serde(default)]
    pub thresholds_crossed: Vec<ThresholdCrossed>,
}

/// One figure past one threshold: `value >= threshold` when `direction` is
/// `above`, `value < threshold` when `below`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ThresholdCrossed {
    /// The evidence field, e.g. `cpu_efficiency_percent`.
    pub figure: String,
    pub value: f64,
    /// The `THRESHOLDS` entry, e.g. `cpu_busy_efficiency_percent`.
    pub threshold_name: String,
    pub threshold: f64,
    pub direction: Direction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Above,
    Below,
}

/// A stretch of the run with one character.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PhaseRecord {
    /// Seconds after the job's start.
    pub start_seconds: f64,
    pub end_seconds: f64,
    pub bottleneck: Bottleneck,
    pub cpu_mean_cores: Option<f64>,
    pub io_mean_bytes_per_second: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gpu_utilization_mean_percent: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdviceKind {
    Memory,
    Cores,
    Gpu,
    Io,
}

impl AdviceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AdviceKind::Memory => "memory",
            AdviceKind::Cores => "cores",
            AdviceKind::Gpu => "gpu",
            AdviceKind::Io => "io",
        }
    }
}

/// One thing to change next time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AdviceRecord {
    pub kind: AdviceKind,
    pub text: String,
    /// `memory`: the peak × 1.2, rounded up to a step (`docs/analysis.md`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub request_bytes: Option<u64>,
    /// `cores`: the cores to ask for.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cores_count: Option<usize>,
}
