//! Raw readings as the probes take them: cumulative counters and gauges,
//! nothing derived. The probes in `probe/` fill these plain types and the
//! pure summaries in `profile/` compute every figure a user sees from them,
//! so this leaf module is where the two meet; it imports nothing but std.

pub mod cgroup;
pub mod gpu;

use std::sync::Arc;

/// The job's process tree at one instant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TreeSample {
    /// Live descendants, parents before their children.
    pub processes: Vec<ProcessReading>,
}

/// Cumulative I/O counters of one process (`/proc/<pid>/io`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IoSample {
    pub rchar: u64,
    pub wchar: u64,
    pub syscr: u64,
    pub syscw: u64,
    pub read_bytes: u64,
    pub write_bytes: u64,
}

impl IoSample {
    /// `self - earlier`, clamped at zero field by field (a counter never
    /// yields a negative amount).
    pub fn since(&self, earlier: &IoSample) -> IoSample {
        IoSample {
            rchar: self.rchar.saturating_sub(earlier.rchar),
            wchar: self.wchar.saturating_sub(earlier.wchar),
            syscr: self.syscr.saturating_sub(earlier.syscr),
            syscw: self.syscw.saturating_sub(earlier.syscw),
            read_bytes: self.read_bytes.saturating_sub(earlier.read_bytes),
            write_bytes: self.write_bytes.saturating_sub(earlier.write_bytes),
        }
    }

    /// Field-by-field sum.
    pub fn plus(&self, other: &IoSample) -> IoSample {
        IoSample {
            rchar: self.rchar + other.rchar,
            wchar: self.wchar + other.wchar,
            syscr: self.syscr + other.syscr,
            syscw: self.syscw + other.syscw,
            read_bytes: self.read_bytes + other.read_bytes,
            write_bytes: self.write_bytes + other.write_bytes,
        }
    }
}

/// One live process of the tree, as read at one tick.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcessReading {
    pub pid: i32,
    /// `starttime` of `/proc/<pid>/stat` in clock ticks since boot: with the
    /// pid, the identity of a process (pids are reused).
    pub starttime_ticks: u64,
    /// The same, in seconds since boot.
    pub start_seconds_since_boot: f64,
    /// `comm` (at most 15 bytes).
    pub name: Arc<str>,
    /// State letter of `stat` (R, S, D, Z, ...).
    pub state: u8,
    pub utime_seconds: f64,
    pub stime_seconds: f64,
    /// CPU of the children this process has reaped.
    pub cutime_seconds: f64,
    pub cstime_seconds: f64,
    pub threads: u32,
    pub rss_bytes: u64,
    /// `VmHWM`: the process's own peak RSS (0 when unknown, e.g. a zombie).
    pub hwm_bytes: u64,
    pub rss_anon_bytes: u64,
    pub rss_file_bytes: u64,
    pub rss_shmem_bytes: u64,
    pub swap_bytes: u64,
    /// From `smaps_rollup`, only with `--pss` (may be up to 5 s old).
    pub pss_bytes: Option<u64>,
    /// The RSS of the same `smaps_rollup` read as `pss_bytes`: what the
    /// RSS has gained or lost since tells how stale that PSS is.
    pub rss_at_pss_bytes: Option<u64>,
    pub io: IoSample,
    /// The MPI rank its environment names (`record::rank_from_environ`),
    /// read once when the process is first seen and again after an exec.
    pub rank: Option<u32>,
}

impl ProcessReading {
    /// The process's own CPU (utime + stime).
    pub fn own_cpu_seconds(&self) -> f64 {
        self.utime_seconds + self.stime_seconds
    }

    /// Own CPU plus that of the children it reaped: the process's share of
    /// the live tree's CPU.
    pub fn tree_cpu_seconds(&self) -> f64 {
        self.own_cpu_seconds() + self.cutime_seconds + self.cstime_seconds
    }

    pub fn is_zombie(&self) -> bool {
        self.state == b'Z' || self.state == b'X'
    }
}

/// Jiffies of one line of `/proc/stat` (`cpu` or `cpuN`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuTimes {
    pub user: u64,
    pub nice: u64,
    pub system: u64,
    pub idle: u64,
    pub iowait: u64,
    pub irq: u64,
    pub softirq: u64,
    pub steal: u64,
}

impl CpuTimes {
    /// Every state (guest time is already inside user and nice).
    pub fn total(&self) -> u64 {
        self.user
            + self.nice
            + self.system
            + self.idle
            + self.iowait
            + self.irq
            + self.softirq
            + self.steal
    }

    /// Time not idle and not waiting for I/O.
    pub fn busy(&self) -> u64 {
        self.total().saturating_sub(self.idle + self.iowait)
    }
}

/// `/proc/meminfo` figures, KiB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemorySample {
    pub total_kb: u64,
    pub free_kb: u64,
    pub available_kb: u64,
    pub buffers_kb: u64,
    pub cached_kb: u64,
    pub swap_total_kb: u64,
    pub swap_free_kb: u64,
}

impl MemorySample {
    /// What the host uses: total minus what could be made available
    /// without swapping (`MemAvailable`).
    pub fn used_kb(&self) -> u64 {
        self.total_kb.saturating_sub(self.available_kb)
    }

    pub fn swap_used_kb(&self) -> u64 {
        self.swap_total_kb.saturating_sub(self.swap_free_kb)
    }
}

/// Cumulative byte counters of one named device (interface or disk).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceBytes {
    pub name: String,
    /// Received (network) or read (disk).
    pub in_bytes: u64,
    /// Transmitted (network) or written (disk).
    pub out_bytes: u64,
}

/// One line of `/proc/pressure/<resource>`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PressureLine {
    pub avg10: f64,
    /// Cumulative stall time, microseconds.
    pub total_us: u64,
}

/// `/proc/pressure/<resource>`: `full` is absent for `cpu` on old kernels.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PressureSample {
    pub some: PressureLine,
    pub full: Option<PressureLine>,
}

/// The three PSI files; each is `None` when absent.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PressureSet {
    pub cpu: Option<PressureSample>,
    pub memory: Option<PressureSample>,
    pub io: Option<PressureSample>,
    /// When they were read, seconds since the job's start.
    pub read_at_seconds: f64,
}

/// Network interfaces and disks, with when they were read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DevicesSample {
    /// Every interface of `/proc/net/dev`, loopback included.
    pub net: Vec<DeviceBytes>,
    /// Whole disks of `/proc/diskstats` (partitions and virtual devices left out).
    pub disks: Vec<DeviceBytes>,
    pub read_at_seconds: f64,
}

/// The host at one instant. CPU and memory are read at every tick; the
/// slow-moving parts only every few seconds (the kernel updates PSI every
/// 2 s and the load average every 5 s; traffic totals need no finer
/// grain) and are `None` on the ticks between.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostSample {
    pub cpu: CpuTimes,
    pub per_core: Vec<CpuTimes>,
    pub memory: MemorySample,
    pub devices: Option<DevicesSample>,
    pub pressure: Option<PressureSet>,
    /// 1, 5 and 15 minute load averages.
    pub load: Option<[f64; 3]>,
}

/// The fields of `struct rusage` profrun records, in SI units: RUSAGE_CHILDREN
/// after the reap (the job's exact totals), or profrun's own.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RusageSample {
    pub user_seconds: f64,
    pub system_seconds: f64,
    /// `ru_maxrss` in KiB (largest single process for RUSAGE_CHILDREN).
    pub max_rss_kb: u64,
    pub minor_faults: u64,
    pub major_faults: u64,
    pub in_blocks: u64,
    pub out_blocks: u64,
    pub voluntary_switches: u64,
    pub involuntary_switches: u64,
}
