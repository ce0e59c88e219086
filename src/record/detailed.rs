//! `detailed_profile`: the sampled view of the run (filled by the sampler).
//! Kept in its own file because the sampler, GPU and cgroup work extend it.
//! The seed's block names (`cpu`, `memory`, `process_cpu`, `process_memory`,
//! `io_stats`) and their fields are kept as they were; every other field
//! names its unit. Blocks that could not be measured are left out (but for
//! `cpu`, `process_cpu` and `process_memory`: see [`always`]), and every
//! field added after the first release defaults when absent, so older
//! records still parse. `docs/sampling.md` documents each field.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DetailedProfile {
    /// False when /proc could not be read; `reason` says why.
    pub available: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
    pub duration_seconds: f64,
    pub samples_collected: u64,
    /// The `--interval` asked for.
    pub sampling_interval_seconds: f64,
    /// Spacing of `timeseries` points: the interval, doubled each time the
    /// bounded series was halved.
    #[serde(default)]
    pub effective_interval_seconds: f64,
    /// Host CPU busy %, 100 = every CPU of the host. Written always: every
    /// figure `null` when the run was too short for a rate.
    #[serde(with = "always", default)]
    #[schemars(with = "Option<HostCpuStats>")]
    pub cpu: Option<HostCpuStats>,
    /// Host memory in use (`MemTotal - MemAvailable`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub memory: Option<HostMemoryStats>,
    /// The job's tree CPU, 100 = one core. Written always, as `cpu`.
    #[serde(with = "always", default)]
    #[schemars(with = "Option<PercentStats>")]
    pub process_cpu: Option<PercentStats>,
    /// Sum of RSS over the job's tree. Written always, as `cpu`.
    #[serde(with = "always", default)]
    #[schemars(with = "Option<ProcessMemoryStats>")]
    pub process_memory: Option<ProcessMemoryStats>,
    /// The three peak-memory sources; `resource_usage.memory_peak_mb` is the
    /// largest and `measurement.memory_peak_source` names it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub memory_peaks: Option<MemoryPeaks>,
    /// Exact I/O totals of the tree (kernel accounting, not sampled).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub io_stats: Option<IoStats>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub network: Option<NetworkStats>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub disk: Option<DiskStats>,
    /// Pressure stall information, where `/proc/pressure` exists.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pressure: Option<PressureStats>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub load_average: Option<LoadAverageStats>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub processes: Option<ProcessCounts>,
    /// The tree's processes with the most CPU, largest first.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub top_processes: Vec<TopProcess>,
    /// CPU seconds / (wall seconds × CPUs available to the job), 0 to 1.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cpu_efficiency: Option<f64>,
    /// Peak memory / `memory_allocation_bytes` (seff's memory efficiency);
    /// absent when the allocation is unknown.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub memory_efficiency: Option<f64>,
    /// The memory the job was given: its cgroup's limit, else Slurm's.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub memory_allocation_bytes: Option<u64>,
    /// `cgroup_limit`, `slurm_mem_per_node` or `slurm_mem_per_cpu`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub memory_allocation_source: Option<String>,
    /// Largest delay of a tick past its schedule (a busy host or a huge
    /// tree makes the sampler late; ticks are never queued up).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub max_tick_delay_seconds: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub timeseries: Option<TimeSeries>,
    /// NVIDIA GPUs through NVML: the seed's `gpu_stats.nvidia` summary, the
    /// devices, the job's GPU processes and energy; or `available: false`
    /// with the reason (no driver, `--no-gpu`, ...).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gpu_stats: Option<super::GpuStatsRecord>,
    /// The container or limited cgroup profrun runs in (`docker stats`-like
    /// figures), or `available: false` with the reason.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub container_stats: Option<super::ContainerStatsRecord>,
    /// What the job's own cgroup leaf accounted (exact tree CPU, memory
    /// peak, I/O, OOM kills); `backend: none` with the reason otherwise.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cgroup: Option<super::CgroupStatsRecord>,
}

/// The seed's blocks `cpu`, `process_cpu` and `process_memory`, written
/// always: a seed consumer reads `detailed_profile["cpu"]["mean_percent"]`
/// without checking for the key, so a run too short for a rate (`profrun --
/// true`) gets the block with every figure `null` rather than no block. Such
/// a block reads back as `None`.
pub mod always {
    use serde::de::{DeserializeOwned, Error as _};
    use serde::ser::SerializeMap;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// The figures a block without a rate writes as `null`.
    pub trait Figures {
        const NAMES: &'static [&'static str];
    }

    pub fn serialize<T: Serialize + Figures, S: Serializer>(
        block: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match block {
            Some(block) => block.serialize(s),
            None => {
                let mut map = s.serialize_map(Some(T::NAMES.len()))?;
                for name in T::NAMES {
                    map.serialize_entry(name, &None::<f64>)?;
                }
                map.end()
            }
        }
    }

    pub fn deserialize<'de, T: DeserializeOwned + Figures, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        match Option::<serde_json::Value>::deserialize(d)? {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(v) if v.get(T::NAMES[0]).map_or(true, serde_json::Value::is_null) => Ok(None),
            Some(v) => T::deserialize(v).map(Some).map_err(D::Error::custom),
        }
    }
}

impl always::Figures for HostCpuStats {
    const NAMES: &'static [&'static str] = &[
        "mean_percent",
        "max_percent",
        "min_percent",
        "iowait_mean_percent",
        "per_core_mean_percent",
    ];
}

impl always::Figures for PercentStats {
    const NAMES: &'static [&'static str] = &["mean_percent", "max_percent", "min_percent"];
}

impl always::Figures for ProcessMemoryStats {
    const NAMES: &'static [&'static str] = &["mean_mb", "max_mb", "min_mb", "max_swap_mb"];
}

/// The seed's `{mean,max,min}_percent` triple.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PercentStats {
    pub mean_percent: f64,
    pub max_percent: f64,
    pub min_percent: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HostCpuStats {
    pub mean_percent: f64,
    pub max_percent: f64,
    pub min_percent: f64,
    /// Share of host CPU time spent waiting for I/O over the run.
    #[serde(default)]
    pub iowait_mean_percent: f64,
    /// Busy % of each CPU over the run, 100 = that CPU.
    #[serde(default)]
    pub per_core_mean_percent: Vec<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HostMemoryStats {
    pub mean_used_mb: f64,
    pub max_used_mb: f64,
    pub min_used_mb: f64,
    #[serde(default)]
    pub total_mb: f64,
    #[serde(default)]
    pub min_available_mb: f64,
    #[serde(default)]
    pub max_cached_mb: f64,
    #[serde(default)]
    pub max_swap_used_mb: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProcessMemoryStats {
    pub mean_mb: f64,
    pub max_mb: f64,
    pub min_mb: f64,
    /// Largest sampled Σ swap of the tree.
    #[serde(default)]
    pub max_swap_mb: f64,
    /// Largest sampled Σ PSS of the tree (`--pss` only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub max_pss_mb: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MemoryPeaks {
    /// Largest Σ RSS of the tree over the samples (pages that processes
    /// share are counted once per process).
    pub tree_rss_sum_mb: f64,
    /// Largest sampled Σ RSS with shared pages counted once as far as the
    /// readings tell: Σ PSS with `--pss`, otherwise Σ (RssAnon + RssShmem)
    /// plus the largest RssFile. The tree source of `memory_peak_mb`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tree_shared_once_mb: Option<f64>,
    /// Largest VmHWM of any one process (catches spikes between ticks).
    pub vmhwm_mb: f64,
    /// `ru_maxrss` of the reaped children (largest single process).
    pub ru_maxrss_mb: f64,
}

/// The seed's I/O block: storage bytes and read/write system calls.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IoStats {
    pub read_mb: f64,
    pub write_mb: f64,
    /// Read-like system calls (`syscr`).
    pub read_count: u64,
    /// Write-like system calls (`syscw`).
    pub write_count: u64,
    pub total_io_mb: f64,
}

/// Host network traffic during the run (loopback excluded from the totals).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NetworkStats {
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    pub max_rx_bytes_per_second: f64,
    pub max_tx_bytes_per_second: f64,
    /// Interfaces that moved any bytes, loopback included.
    #[serde(default)]
    pub interfaces: Vec<InterfaceBytes>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct InterfaceBytes {
    pub name: String,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
}

/// Host whole-disk traffic during the run (`/proc/diskstats`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DiskStats {
    pub read_bytes: u64,
    pub write_bytes: u64,
    pub max_read_bytes_per_second: f64,
    pub max_write_bytes_per_second: f64,
    #[serde(default)]
    pub devices: Vec<DiskBytes>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DiskBytes {
    pub name: String,
    pub read_bytes: u64,
    pub write_bytes: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PressureStats {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cpu: Option<PressureResourceStats>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub memory: Option<PressureResourceStats>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub io: Option<PressureResourceStats>,
}

/// Stall time over the run, as a share of wall time, and the worst
/// 10-second average the kernel reported.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PressureResourceStats {
    pub some_percent: f64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub full_percent: Option<f64>,
    pub max_some_avg10_percent: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LoadAverageStats {
    pub mean_1m: f64,
    pub max_1m: f64,
    pub min_1m: f64,
    /// The 5 and 15 minute averages at the last sample.
    pub last_5m: f64,
    pub last_15m: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProcessCounts {
    /// Most live processes of the tree at one sample.
    pub max_concurrent: u64,
    /// Distinct processes (pid, start time) seen by any sample.
    pub total_seen: u64,
    /// Most threads of the tree at one sample.
    pub max_threads: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TopProcess {
    pub name: String,
    pub pid: i32,
    /// Own user+system CPU as last seen (its children's are theirs).
    pub cpu_seconds: f64,
    pub peak_rss_mb: f64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub peak_pss_mb: Option<f64>,
    /// Start, from the kernel's start time, in seconds after the job's start.
    pub start_seconds: f64,
    /// Last sample that saw it alive, seconds after the job's start.
    pub last_seen_seconds: f64,
    /// Still alive at the last sample.
    pub running_at_end: bool,
    /// The MPI rank its environment names (`OMPI_COMM_WORLD_RANK`,
    /// `PMIX_RANK`, `PMI_RANK`, `MV2_COMM_WORLD_RANK`, `SLURM_PROCID`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rank: Option<u32>,
}

/// The sampled series, one array per column, all the same length (at most
/// the series cap). `t_seconds` is the end of each interval; rates are means
/// over the interval that ends there (null for the first point, or when a
/// counter went backwards); gauges are the largest reading in the interval.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TimeSeries {
    pub t_seconds: Vec<f64>,
    /// The tree's CPU, 100 = one core.
    pub cpu_percent: Vec<Option<f64>>,
    pub rss_mb: Vec<f64>,
    pub read_bytes_per_second: Vec<Option<f64>>,
    pub write_bytes_per_second: Vec<Option<f64>>,
    pub processes: Vec<u32>,
    pub threads: Vec<u32>,
    /// Host CPU busy %, 100 = every CPU.
    pub host_cpu_percent: Vec<Option<f64>>,
    pub host_memory_used_mb: Vec<Option<f64>>,
    /// GPU utilisation over the devices the job used (present only when a
    /// GPU was read; see `gpu_stats`).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub gpu_utilization_percent: Vec<Option<f64>>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub gpu_memory_used_mb: Vec<Option<f64>>,
}

impl TimeSeries {
    pub fn len(&self) -> usize {
        self.t_seconds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.t_seconds.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 10: the seed's blocks were left out for a job too short for a
    /// rate, so `detailed_profile["cpu"]["mean_percent"]` failed; they are
    /// written with `null` figures, and read back as absent.
    #[test]
    fn a_block_without_a_rate_is_written_with_null_figures() {
        let text = serde_json::to_string(&DetailedProfile::default()).expect("serialise");
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        for (block, figure) in [
            ("cpu", "mean_percent"),
            ("process_cpu", "max_percent"),
            ("process_memory", "max_mb"),
        ] {
            assert!(v[block][figure].is_null(), "{block}.{figure} in {text}");
            assert!(v[block].is_object(), "{block} written in {text}");
        }
        let back: DetailedProfile = serde_json::from_str(&text).expect("read back");
        assert_eq!(back.cpu, None);
        assert_eq!(back.process_cpu, None);
        assert_eq!(back.process_memory, None);
    }
}
