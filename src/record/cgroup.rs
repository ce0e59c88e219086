//! The cgroup blocks of a record: `CgroupStatsRecord` (what the job's own
//! leaf accounted: exact tree CPU, memory peak, I/O, OOM kills) and
//! `container_stats` (the enclosing container's limits and usage, in the
//! seed's `docker stats`-like strings plus exact numbers with units).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What the job's cgroup leaf accounted. `backend` is also
/// `measurement.cgroup_backend`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CgroupStatsRecord {
    /// `cgroup2`, `cgroup1`, `cgroup2-membership` or `none`.
    pub backend: String,
    /// The leaf's directories, comma-separated.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub leaf: Option<String>,
    /// Why richer backends were not used (or why none was).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub note: Option<String>,
    /// Whole-tree CPU, exact (double-forked daemons included).
    pub cpu_total_seconds: Option<f64>,
    pub cpu_user_seconds: Option<f64>,
    pub cpu_system_seconds: Option<f64>,
    pub memory_peak_mb: Option<f64>,
    /// Which file `memory_peak_mb` came from.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub memory_peak_source: Option<String>,
    pub read_bytes: Option<u64>,
    pub write_bytes: Option<u64>,
    pub oom_kills: Option<u64>,
    /// Set when the leaf could not be removed (still holds processes).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub left_in_place: Option<String>,
}

/// `detailed_profile.container_stats`. When profrun is not in a container
/// nor a limited cgroup: `{"available": false, "reason": "..."}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ContainerStatsRecord {
    pub available: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
    /// `docker`, `podman`, `kubernetes`, `lxc`, `slurm`, `cgroup`, ...
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cgroup_version: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cgroup_path: Option<String>,
    /// The seed's string: CPU used during the run, percent of one core.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cpu_percent: Option<String>,
    /// `"1.5 cpus"` or `"unlimited"`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cpu_limit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cpu_quota_cores: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cpu_usage_seconds: Option<f64>,
    /// The seed's `"2.5GiB / 16GiB"` (`/ unlimited` without a limit): the
    /// largest usage seen during the run.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub memory_usage: Option<String>,
    /// The seed's `"15.63"`; absent without a limit.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub memory_percent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub memory_used_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub memory_limit_bytes: Option<u64>,
    /// The seed's `"1.2MB / 850kB"` (received / sent during the run).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub net_io: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub net_rx_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub net_tx_bytes: Option<u64>,
    /// The seed's `"128MB / 64MB"` (read / written during the run).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub block_io: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub block_read_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub block_write_bytes: Option<u64>,
}

impl ContainerStatsRecord {
    pub fn unavailable(reason: &str) -> ContainerStatsRecord {
        ContainerStatsRecord {
            available: false,
            reason: Some(reason.to_string()),
            ..ContainerStatsRecord::default()
        }
    }
}
