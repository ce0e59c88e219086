//! Plain GPU readings as the probes hand them over: no NVML types, so the
//! pure summaries in `profile::gpu` and the fake probe share them. A figure
//! a device or driver does not provide is `None`, never zero.

/// What a device is (read once, when the probe opens).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GpuDeviceInfo {
    /// NVML's index (not necessarily CUDA's order).
    pub index: u32,
    pub name: Option<String>,
    pub uuid: Option<String>,
    pub driver_version: Option<String>,
}

/// One process of the job's tree seen on one device.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GpuProcessSample {
    pub pid: i32,
    /// GPU memory the process holds (`running_compute_processes` /
    /// `running_graphics_processes`); `None` where NVML cannot tell (WDDM, MIG).
    pub memory_used_bytes: Option<u64>,
    /// SM utilisation over the samples since the previous tick
    /// (`process_utilization_stats`); `None` when NVML had no sample for it.
    pub sm_utilization_percent: Option<u32>,
}

/// One device at one tick.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GpuDeviceSample {
    pub index: u32,
    pub gpu_utilization_percent: Option<u32>,
    pub memory_utilization_percent: Option<u32>,
    pub memory_used_bytes: Option<u64>,
    pub memory_total_bytes: Option<u64>,
    pub power_milliwatts: Option<u32>,
    pub temperature_celsius: Option<u32>,
    pub sm_clock_mhz: Option<u32>,
    /// Only processes of the job's tree (NVML's pids matched against it).
    pub processes: Vec<GpuProcessSample>,
}

/// Every device at one tick.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GpuTick {
    pub devices: Vec<GpuDeviceSample>,
}

/// A device's energy counter (`total_energy_consumption`, millijoules since
/// the driver loaded; Volta and later).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GpuEnergySample {
    pub index: u32,
    pub energy_mj: Option<u64>,
}

/// A figure a device stopped providing after its first failure (not
/// supported, missing from an old driver): it is not asked for again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedFigure {
    pub index: u32,
    /// Record-style name: `power_watts`, `sm_clock_mhz`, ...
    pub figure: &'static str,
    pub reason: String,
}

/// Everything the probe layer knows at the end of a run, for
/// `profile::gpu::GpuStatsBuilder::finish`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GpuRunEnd {
    /// `nvml` or `fake`; empty when unavailable.
    pub backend: String,
    /// Why there are no GPU figures (`gpu_stats.reason`).
    pub unavailable: Option<String>,
    pub devices: Vec<GpuDeviceInfo>,
    /// Read when the probe became ready (NVML initialises off the spawn
    /// path, so this may be a little after the job started).
    pub energy_start: Vec<GpuEnergySample>,
    pub energy_end: Vec<GpuEnergySample>,
    /// The error that stopped GPU sampling mid-run (`partial: true`).
    pub error: Option<String>,
    pub dropped: Vec<DroppedFigure>,
}
