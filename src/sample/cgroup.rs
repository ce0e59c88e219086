//! Raw cgroup readings: the job's leaf (what accounted it, its counters at
//! one instant and at the end of the run) and the enclosing container's
//! limits and usage. `probe::cgroup` reads them; `profile::cgroup` turns
//! them into the record's blocks.

/// Which mechanism accounted the job's tree, as `measurement.cgroup_backend`
/// names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupBackend {
    /// A cgroup2 leaf with the memory controller (and io, where delegated):
    /// `cpu.stat`, `memory.peak`, `memory.current`, `io.stat`, `memory.events`.
    V2,
    /// Leaves in writable cgroup1 memory and cpuacct hierarchies (and blkio
    /// when mounted): `cpuacct.usage`, `memory.max_usage_in_bytes`, ...
    V1,
    /// A cgroup2 leaf without controllers: membership (`cgroup.procs`) and
    /// `cpu.stat` only.
    V2Membership,
    /// No cgroup: subreaper + rusage + /proc.
    None,
}

impl CgroupBackend {
    pub fn as_str(self) -> &'static str {
        match self {
            CgroupBackend::V2 => "cgroup2",
            CgroupBackend::V1 => "cgroup1",
            CgroupBackend::V2Membership => "cgroup2-membership",
            CgroupBackend::None => "none",
        }
    }

    /// The order profrun tries them in.
    pub const PREFERRED: [CgroupBackend; 3] = [
        CgroupBackend::V2,
        CgroupBackend::V1,
        CgroupBackend::V2Membership,
    ];
}

/// Raw cumulative counters and gauges of a leaf at one instant. A figure the
/// backend or kernel does not provide is `None`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CgroupSample {
    /// Whole-tree CPU (v2 `cpu.stat usage_usec`, v1 `cpuacct.usage` / 1000).
    pub cpu_usage_usec: Option<u64>,
    pub cpu_user_usec: Option<u64>,
    pub cpu_system_usec: Option<u64>,
    /// v2 `memory.current`, v1 `memory.usage_in_bytes` (page cache included).
    pub memory_current_bytes: Option<u64>,
    /// v2 `memory.peak` (Linux ≥ 5.19), v1 `memory.max_usage_in_bytes`.
    pub memory_peak_bytes: Option<u64>,
    /// v2 `io.stat`, v1 `blkio.throttle.io_service_bytes`.
    pub io: Option<IoBytes>,
    /// v2 `memory.events oom_kill`, v1 `memory.oom_control oom_kill` (≥ 4.13).
    pub oom_kills: Option<u64>,
}

/// What is known about the job's leaf at the end of the run, for
/// `profile::cgroup::cgroup_record`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CgroupRun {
    pub backend: Option<CgroupBackend>,
    /// `CgroupLeaf::display_paths`.
    pub leaf: Option<String>,
    /// Why richer backends were not used.
    pub note: Option<String>,
    /// The leaf read after the tree was reaped.
    pub end: Option<CgroupSample>,
    /// The largest `memory_current_bytes` the sampler saw (used when the
    /// kernel keeps no peak: cgroup2 before Linux 5.19).
    pub sampled_peak_bytes: Option<u64>,
    /// `LeafRemoveError` text when the leaf had to stay.
    pub left_in_place: Option<String>,
}

/// What the enclosing cgroup is and what it allows (read once).
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerInfo {
    /// `docker`, `podman`, `kubernetes`, `lxc`, `slurm`, the value of
    /// `$container`, or `cgroup` for a limited cgroup of unknown origin.
    pub kind: String,
    pub cgroup_version: u8,
    /// profrun's cgroup path (the memory hierarchy's on cgroup1).
    pub cgroup_path: String,
    /// The tightest quota of the cgroup and its ancestors.
    pub cpu_quota: CpuQuota,
    /// The tightest memory limit of the cgroup and its ancestors.
    pub memory_limit: MemoryLimit,
}

/// Cumulative counters and the memory gauge at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContainerSample {
    pub cpu_usage_usec: Option<u64>,
    /// Usage minus inactive file cache, as `docker stats` computes it.
    pub memory_usage_bytes: Option<u64>,
    pub block: Option<IoBytes>,
    pub net: Option<NetBytes>,
}

/// A memory limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryLimit {
    Unlimited,
    Bytes(u64),
}

impl MemoryLimit {
    pub fn bytes(self) -> Option<u64> {
        match self {
            MemoryLimit::Unlimited => None,
            MemoryLimit::Bytes(b) => Some(b),
        }
    }

    /// The tighter of two limits.
    pub fn min(self, other: MemoryLimit) -> MemoryLimit {
        match (self, other) {
            (MemoryLimit::Bytes(a), MemoryLimit::Bytes(b)) => MemoryLimit::Bytes(a.min(b)),
            (MemoryLimit::Bytes(a), _) | (_, MemoryLimit::Bytes(a)) => MemoryLimit::Bytes(a),
            _ => MemoryLimit::Unlimited,
        }
    }
}

/// A CPU bandwidth limit: `quota_us` of CPU time per `period_us`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CpuQuota {
    Unlimited,
    Limited { quota_us: u64, period_us: u64 },
}

impl CpuQuota {
    /// The limit in cores (`quota / period`), `None` when unlimited.
    pub fn cores(self) -> Option<f64> {
        match self {
            CpuQuota::Unlimited => None,
            CpuQuota::Limited {
                quota_us,
                period_us,
            } if period_us > 0 => Some(quota_us as f64 / period_us as f64),
            CpuQuota::Limited { .. } => None,
        }
    }

    /// The tighter of two limits (an ancestor's quota also binds).
    pub fn min(self, other: CpuQuota) -> CpuQuota {
        match (self.cores(), other.cores()) {
            (Some(a), Some(b)) if b < a => other,
            (Some(_), _) => self,
            (None, Some(_)) => other,
            (None, None) => CpuQuota::Unlimited,
        }
    }
}

/// Bytes read and written, summed over devices.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IoBytes {
    pub read_bytes: u64,
    pub write_bytes: u64,
}

impl IoBytes {
    /// Growth since `earlier`; a counter that went backwards gives 0.
    pub fn since(self, earlier: IoBytes) -> IoBytes {
        IoBytes {
            read_bytes: self.read_bytes.saturating_sub(earlier.read_bytes),
            write_bytes: self.write_bytes.saturating_sub(earlier.write_bytes),
        }
    }
}

/// Received and transmitted bytes over the interfaces of a network namespace.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetBytes {
    pub rx_bytes: u64,
    pub tx_bytes: u64,
}

impl NetBytes {
    pub fn since(self, earlier: NetBytes) -> NetBytes {
        NetBytes {
            rx_bytes: self.rx_bytes.saturating_sub(earlier.rx_bytes),
            tx_bytes: self.tx_bytes.saturating_sub(earlier.tx_bytes),
        }
    }
}
