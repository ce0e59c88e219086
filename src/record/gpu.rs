//! `detailed_profile.gpu_stats`: the GPU block of a record, and the GPU
//! columns of the time series. When there is no GPU the block is exactly
//! `{"available": false, "reason": "..."}`; the seed's `nvidia` object keeps
//! its field names (means over the run) with `_max_` siblings beside them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GpuStatsRecord {
    pub available: bool,
    /// Why there are no GPU figures.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
    /// `nvml` (or `fake` in tests).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub backend: Option<String>,
    /// True when GPU sampling stopped early (`error` says why); the figures
    /// cover the run up to then.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub partial: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub samples_collected: Option<u64>,
    /// The seed's summary, over the devices the job used (all devices when
    /// none could be attributed to it; `scope` says which).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub nvidia: Option<NvidiaSummaryRecord>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub devices: Vec<GpuDeviceRecord>,
    /// The job's processes that used a GPU, by GPU memory peak.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub processes: Vec<GpuProcessRecord>,
    /// Energy of all devices over the run (end − start of NVML's counter).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub energy_joules: Option<f64>,
    /// Σ over devices of their mean power draw.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub power_mean_watts: Option<f64>,
}

impl GpuStatsRecord {
    pub fn unavailable(reason: &str) -> GpuStatsRecord {
        GpuStatsRecord {
            available: false,
            reason: Some(reason.to_string()),
            ..GpuStatsRecord::default()
        }
    }
}

/// The seed's `gpu_stats.nvidia`: per-tick values aggregated over the
/// counted devices (utilisation and temperature averaged, memory summed),
/// then mean and max over the run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NvidiaSummaryRecord {
    /// `used_by_job` or `all_devices`.
    pub scope: String,
    pub device_count: usize,
    pub gpu_utilization_percent: Option<f64>,
    pub gpu_utilization_max_percent: Option<f64>,
    pub memory_utilization_percent: Option<f64>,
    pub memory_utilization_max_percent: Option<f64>,
    /// Device memory in use (all processes, as nvidia-smi shows it).
    pub memory_used_mb: Option<f64>,
    /// Σ of each counted device's peak.
    pub memory_used_max_mb: Option<f64>,
    pub memory_total_mb: Option<f64>,
    pub temperature_celsius: Option<f64>,
    pub temperature_max_celsius: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GpuDeviceRecord {
    pub index: u32,
    pub name: Option<String>,
    pub uuid: Option<String>,
    pub driver_version: Option<String>,
    /// Whether a process of the job's tree appeared on this device.
    pub used_by_job: bool,
    pub gpu_utilization_mean_percent: Option<f64>,
    pub gpu_utilization_max_percent: Option<f64>,
    pub memory_utilization_mean_percent: Option<f64>,
    pub memory_used_mean_mb: Option<f64>,
    pub memory_used_max_mb: Option<f64>,
    pub memory_total_mb: Option<f64>,
    pub temperature_mean_celsius: Option<f64>,
    pub temperature_max_celsius: Option<f64>,
    pub power_mean_watts: Option<f64>,
    pub power_max_watts: Option<f64>,
    pub sm_clock_mean_mhz: Option<f64>,
    pub sm_clock_max_mhz: Option<f64>,
    pub energy_joules: Option<f64>,
    /// Figures this device does not provide, with NVML's reason.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub figures_unavailable: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GpuProcessRecord {
    pub pid: i32,
    pub device_index: u32,
    pub gpu_memory_peak_mb: Option<f64>,
    pub sm_utilization_mean_percent: Option<f64>,
    pub sm_utilization_max_percent: Option<f64>,
    /// Ticks in which NVML listed this process on this device.
    pub samples: u64,
}

/// GPU columns for `detailed_profile.timeseries`, one value per point of
/// the sampler's series (`null` where there was no GPU reading).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GpuTimeseriesColumns {
    /// Mean over the devices the job had a process on at that tick (all
    /// devices when it had none).
    pub gpu_utilization_percent: Vec<Option<f64>>,
    /// Σ device memory in use over the same devices.
    pub gpu_memory_used_mb: Vec<Option<f64>>,
}
