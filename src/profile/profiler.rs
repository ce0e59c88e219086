//! The run accumulator: samples go in one at a time, in order; running
//! statistics, the bounded series and the process table come out as the
//! record's `detailed_profile`. Only the previous sample's totals (and the
//! series points of the last 20 ms, while they wait for a CPU rate) are
//! kept, so memory does not grow with the length of the run.

use std::borrow::Cow;

use super::gpu::EnergyIntegral;
use super::host::HostAccumulator;
use super::processes::ProcessTable;
use super::sample::Sample;
use super::series::{BoundedSeries, SeriesPoint};
use super::stats::{positive, rate, rate_u64, round_to, Gauge, RateStats};
use crate::record::{
    DetailedProfile, IoStats, MemoryPeaks, PercentStats, ProcessCounts, ProcessMemoryStats,
    BYTES_PER_MB,
};
use crate::sample::{IoSample, ProcessReading};

/// The shortest time a CPU rate of the tree is taken over: two ticks of
/// the kernel's 100 Hz `USER_HZ` (`sysconf(_SC_CLK_TCK)`, the unit of the
/// `stat` CPU times). Live processes' CPU is truncated to whole ticks
/// (utime, stime, cutime and cstime each on its own) while reaped
/// children's (`RUSAGE_CHILDREN`) is exact to the microsecond, so the
/// difference of two readings is off by up to a tick per field of each
/// live process: over 1 ms that reads as 1 000 % of a core, over 20 ms at
/// most 50 % per field.
pub const MIN_CPU_INTERVAL_SECONDS: f64 = 0.02;

/// At most this many series points wait for a CPU rate. `--interval` is
/// at least 10 ms and the ticker holds at most one pending tick, so a
/// 20 ms span holds far fewer; the cap only bounds memory.
const MAX_POINTS_WITHOUT_RATE: usize = 16;

/// The tree at one sample, summed over its processes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TreeTotals {
    /// Σ (utime+stime+cutime+cstime) of live processes + reaped children's CPU.
    pub cpu_seconds: f64,
    /// The system part of `cpu_seconds` (stime+cstime, reaped system).
    pub cpu_system_seconds: f64,
    pub rss_bytes: u64,
    /// The tree's memory with shared pages counted once as far as the
    /// readings tell (see [`own_and_file_bytes`]): the tree source of the
    /// headline peak. Never above `rss_bytes`.
    pub shared_once_bytes: u64,
    pub swap_bytes: u64,
    pub pss_bytes: Option<u64>,
    /// Storage bytes of the tree: live processes plus what reaped ones
    /// folded into profrun's own counters since `baseline`.
    pub read_bytes: u64,
    pub write_bytes: u64,
    /// Live processes (zombies left out) and their threads.
    pub processes: u32,
    pub threads: u32,
}

/// Sum a sample's processes. Zombies still count for the cumulative CPU
/// and I/O counters (they are not yet folded into their parent) but not for
/// memory or process counts.
pub fn tree_totals(sample: &Sample, baseline: &IoSample) -> TreeTotals {
    let root = &sample.reaped_io;
    let mut t = TreeTotals {
        cpu_seconds: sample.reaped_cpu_seconds,
        cpu_system_seconds: sample.reaped_system_seconds,
        read_bytes: root.read_bytes.saturating_sub(baseline.read_bytes),
        write_bytes: root.write_bytes.saturating_sub(baseline.write_bytes),
        ..Default::default()
    };
    let mut largest_file = 0;
    for p in &sample.tree.processes {
        t.cpu_seconds += p.tree_cpu_seconds();
        t.cpu_system_seconds += p.stime_seconds + p.cstime_seconds;
        t.read_bytes += p.io.read_bytes;
        t.write_bytes += p.io.write_bytes;
        if p.is_zombie() {
            continue;
        }
        t.rss_bytes += p.rss_bytes;
        let (own, file) = own_and_file_bytes(p);
        t.shared_once_bytes += own;
        largest_file = largest_file.max(file);
        t.swap_bytes += p.swap_bytes;
        if let Some(pss) = p.pss_bytes {
            t.pss_bytes = Some(t.pss_bytes.unwrap_or(0) + pss);
        }
        t.processes += 1;
        t.threads += p.threads;
    }
    t.shared_once_bytes += largest_file;
    t
}

/// One process's memory split into what is its own and what may be shared
/// with the rest of the tree (file-backed pages: program text, libraries,
/// mapped files). The tree counts the first of every process and only the
/// largest of the second, so the libraries that every process maps are
/// counted once instead of once per process.
///
/// - With a PSS reading (`--pss`), all of it is the process's own: its PSS,
///   which splits shared pages between their users, plus whatever its RSS
///   gained (or minus what it lost) since that reading, which may be up to
///   5 s old; that change is taken as private. Between 0 and its RSS.
/// - Otherwise `RssAnon + RssShmem` is its own and `RssFile` may be shared.
///   Anonymous pages shared copy-on-write after `fork()` are in every
///   sharer's `RssAnon`, so they are still counted once per process, and so
///   is shared memory that several processes map.
/// - When `status` had no split (all three 0), all of the RSS is its own.
pub fn own_and_file_bytes(p: &ProcessReading) -> (u64, u64) {
    if let Some(pss) = p.pss_bytes {
        let then = p.rss_at_pss_bytes.unwrap_or(p.rss_bytes);
        return ((pss + p.rss_bytes).saturating_sub(then).min(p.rss_bytes), 0);
    }
    if p.rss_anon_bytes + p.rss_file_bytes + p.rss_shmem_bytes == 0 {
        return (p.rss_bytes, 0);
    }
    // VmRSS is the sum of the three; clamp in case a reading is torn.
    let own = (p.rss_anon_bytes + p.rss_shmem_bytes).min(p.rss_bytes);
    (own, p.rss_file_bytes.min(p.rss_bytes - own))
}

/// Settings fixed for a run.
#[derive(Debug, Clone, Default)]
pub struct ProfilerConfig {
    pub interval_seconds: f64,
    pub series_cap: usize,
    /// profrun's own `/proc/self/io` just before the spawn.
    pub io_baseline: IoSample,
    /// The job's spawn, in seconds since boot (to place process start times).
    pub job_start_since_boot_seconds: f64,
    /// The CPUs the job may run on (its affinity mask), when known: no CPU
    /// rate over an interval in which a reap moved `RUSAGE_CHILDREN` is
    /// above this many cores. The reaped time is exact, the live reading
    /// before it was cut to whole clock ticks (up to 10 ms a field a
    /// process), so a short interval that ends at a reap reads high (a
    /// one-core job's last point 1.07–1.28 cores). `None`: no bound.
    pub max_cores: Option<f64>,
}

/// Exact end-of-run figures from the kernel that the profile reports with
/// the sampled ones.
#[derive(Debug, Clone, Default)]
pub struct RunTotals {
    pub wall_seconds: f64,
    pub cpu_seconds: f64,
    pub ru_maxrss_bytes: u64,
    /// The tree's I/O (`/proc/self/io` delta, profrun's own reads removed).
    pub io: IoSample,
    pub cpus_available: usize,
}

#[derive(Debug, Clone)]
pub struct Profiler {
    config: ProfilerConfig,
    previous: Option<(f64, TreeTotals)>,
    /// Time, tree CPU seconds and reaped CPU seconds that the next CPU
    /// rate starts from.
    cpu_basis: Option<(f64, f64, f64)>,
    /// Points since `cpu_basis`, waiting for a span long enough to take
    /// their CPU rate over (all of them get the same one).
    awaiting_cpu: Vec<SeriesPoint>,
    samples: u64,
    series: BoundedSeries,
    processes: ProcessTable,
    host: HostAccumulator,
    tree_cpu: RateStats,
    tree_rss: Gauge,
    max_shared_once_bytes: u64,
    max_swap_bytes: u64,
    max_pss_bytes: Option<u64>,
    max_processes: u32,
    max_threads: u32,
    gpu_energy: EnergyIntegral,
    now: NowFigures,
}

/// The job as of the latest sample: what alerts, limits, checkpoints and
/// the live endpoint look at on every tick.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NowFigures {
    /// Seconds since the job's start.
    pub t_seconds: f64,
    /// The latest CPU rate of the tree, 100 = one core (`None` until a
    /// rate could be taken).
    pub cpu_percent: Option<f64>,
    /// Σ RSS of the tree at the latest sample.
    pub rss_bytes: u64,
    /// Σ swap of the tree at the latest sample.
    pub swap_bytes: u64,
    pub read_bytes_per_second: Option<f64>,
    pub write_bytes_per_second: Option<f64>,
    /// The tree's CPU seconds so far (live processes and reaped ones).
    pub cpu_seconds_total: f64,
    /// The system part of `cpu_seconds_total`.
    pub cpu_system_seconds_total: f64,
    pub read_bytes_total: u64,
    pub write_bytes_total: u64,
    pub processes: u32,
    pub threads: u32,
    pub host_cpu_percent: Option<f64>,
    /// GPU utilisation over the job's devices at the latest sample.
    pub gpu_utilization_percent: Option<f64>,
    pub gpu_memory_used_mb: Option<f64>,
    /// Power draw of the same devices at the latest sample.
    pub gpu_power_watts: Option<f64>,
    /// Energy of the sampled power draw since the job started
    /// ([`EnergyIntegral`]); `None` until a first power reading.
    pub gpu_energy_joules_total: Option<f64>,
}

impl Profiler {
    pub fn new(config: ProfilerConfig) -> Profiler {
        Profiler {
            series: BoundedSeries::new(config.series_cap),
            processes: ProcessTable::new(config.job_start_since_boot_seconds),
            config,
            previous: None,
            cpu_basis: None,
            awaiting_cpu: Vec::new(),
            samples: 0,
            host: HostAccumulator::default(),
            tree_cpu: RateStats::default(),
            tree_rss: Gauge::default(),
            max_shared_once_bytes: 0,
            max_swap_bytes: 0,
            max_pss_bytes: None,
            max_processes: 0,
            max_threads: 0,
            gpu_energy: EnergyIntegral::default(),
            now: NowFigures::default(),
        }
    }

    /// The job as of the latest sample.
    pub fn now(&self) -> &NowFigures {
        &self.now
    }

    /// Fold in the next sample (samples must come in time order). The host
    /// part is moved out of `sample`; the tree part is left for reuse.
    pub fn push(&mut self, sample: &mut Sample) {
        let t = sample.t_seconds;
        let totals = tree_totals(sample, &self.config.io_baseline);
        self.samples += 1;
        self.processes.observe(t, &sample.tree.processes);
        // The final sample comes after the reap: an empty tree then says
        // nothing about the job's memory, only that it is over.
        if totals.processes > 0 {
            self.tree_rss.add(totals.rss_bytes as f64);
        }
        self.max_shared_once_bytes = self.max_shared_once_bytes.max(totals.shared_once_bytes);
        self.max_swap_bytes = self.max_swap_bytes.max(totals.swap_bytes);
        if let Some(pss) = totals.pss_bytes {
            self.max_pss_bytes = Some(self.max_pss_bytes.unwrap_or(0).max(pss));
        }
        self.max_processes = self.max_processes.max(totals.processes);
        self.max_threads = self.max_threads.max(totals.threads);
        let host = sample.host.take().map(|h| self.host.push(t, h));

        let mut point = SeriesPoint {
            t_seconds: t,
            dt_seconds: t,
            rss_bytes: totals.rss_bytes,
            processes: totals.processes,
            threads: totals.threads,
            host_cpu_percent: host.and_then(|h| h.cpu_percent),
            host_memory_used_bytes: host.map(|h| h.memory_used_bytes),
            gpu: sample.gpu.take(),
            ..Default::default()
        };
        if let Some((t_prev, prev)) = self.previous {
            let dt = t - t_prev;
            point.dt_seconds = dt;
            point.read_bytes_per_second = rate_u64(prev.read_bytes, totals.read_bytes, dt);
            point.write_bytes_per_second = rate_u64(prev.write_bytes, totals.write_bytes, dt);
        }
        self.previous = Some((t, totals));
        let gpu_power_watts = sample.gpu_power_watts.take();
        let gpu_energy_joules_total = self.gpu_energy.push(t, gpu_power_watts);
        self.now = NowFigures {
            t_seconds: t,
            cpu_percent: self.now.cpu_percent,
            rss_bytes: totals.rss_bytes,
            swap_bytes: totals.swap_bytes,
            read_bytes_per_second: point.read_bytes_per_second,
            write_bytes_per_second: point.write_bytes_per_second,
            cpu_seconds_total: totals.cpu_seconds,
            cpu_system_seconds_total: totals.cpu_system_seconds,
            read_bytes_total: totals.read_bytes,
            write_bytes_total: totals.write_bytes,
            processes: totals.processes,
            threads: totals.threads,
            host_cpu_percent: point.host_cpu_percent,
            gpu_utilization_percent: point.gpu.and_then(|g| g.gpu_utilization_percent),
            gpu_memory_used_mb: point.gpu.and_then(|g| g.gpu_memory_used_mb),
            gpu_power_watts,
            gpu_energy_joules_total,
        };
        self.push_with_cpu_rate(point, t, totals.cpu_seconds, sample.reaped_cpu_seconds);
    }

    /// Give `point` its CPU rate and put it in the series. A rate is taken
    /// over at least [`MIN_CPU_INTERVAL_SECONDS`]: a point that ends sooner
    /// after the last rate waits, and the next rate spans it too, so every
    /// point keeps its gauges, the series keeps the integral, and a short
    /// interval disturbs no rate.
    fn push_with_cpu_rate(&mut self, point: SeriesPoint, t: f64, cpu_seconds: f64, reaped: f64) {
        let Some((t0, cpu0, reaped0)) = self.cpu_basis else {
            // The first sample: no interval before it.
            self.cpu_basis = Some((t, cpu_seconds, reaped));
            self.series.push(point);
            return;
        };
        self.awaiting_cpu.push(point);
        let span = t - t0;
        if span < MIN_CPU_INTERVAL_SECONDS && self.awaiting_cpu.len() < MAX_POINTS_WITHOUT_RATE {
            return;
        }
        // Only over a reap: elsewhere both readings are cut alike, and a job
        // may have widened its affinity past profrun's mask.
        let reaped_now = reaped != reaped0;
        let cpu = rate(cpu0, cpu_seconds, span).map(|r| {
            let percent = r * 100.0;
            match self.config.max_cores {
                Some(cores) if reaped_now => percent.min(cores * 100.0),
                _ => percent,
            }
        });
        if let Some(cpu) = cpu {
            self.tree_cpu.add(cpu, span);
        }
        self.now.cpu_percent = cpu;
        for mut p in self.awaiting_cpu.drain(..) {
            p.cpu_percent = cpu;
            self.series.push(p);
        }
        self.cpu_basis = Some((t, cpu_seconds, reaped));
    }

    /// The series with the points still waiting for a CPU rate at the end
    /// (the final sample, less than [`MIN_CPU_INTERVAL_SECONDS`] after the
    /// last rate): they go in without one.
    fn final_series(&self) -> Cow<'_, BoundedSeries> {
        if self.awaiting_cpu.is_empty() {
            return Cow::Borrowed(&self.series);
        }
        let mut series = self.series.clone();
        for p in &self.awaiting_cpu {
            series.push(*p);
        }
        Cow::Owned(series)
    }

    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// Processes and series points held right now (for the bounded-memory tests).
    pub fn retained(&self) -> (usize, usize) {
        (
            self.processes.retained(),
            self.series.len() + self.awaiting_cpu.len(),
        )
    }

    /// The tree source of the headline peak (`memory_peak_source`
    /// `"tree_rss_sum"`): the largest sampled Σ RSS with shared pages
    /// counted once as far as the readings tell ([`own_and_file_bytes`];
    /// `memory_peaks.tree_shared_once_mb`). The plain Σ RSS over-reports
    /// whatever the processes share, e.g. everything a parent had when it
    /// forked.
    pub fn tree_rss_peak_bytes(&self) -> u64 {
        self.max_shared_once_bytes
    }

    /// Largest plain Σ RSS of the tree over the samples
    /// (`memory_peaks.tree_rss_sum_mb`).
    pub fn tree_rss_sum_peak_bytes(&self) -> u64 {
        self.tree_rss.max().unwrap_or(0.0) as u64
    }

    /// Largest VmHWM of any one process seen.
    pub fn vmhwm_peak_bytes(&self) -> u64 {
        self.processes.max_hwm_bytes()
    }

    /// The record's `detailed_profile`.
    pub fn finish(&self, end: &RunTotals) -> DetailedProfile {
        let mb = |b: f64| round_to(b / BYTES_PER_MB, 3);
        let pct = |v: f64| round_to(v, 2);
        let io = &end.io;
        let series = self.final_series();
        DetailedProfile {
            available: true,
            reason: None,
            duration_seconds: end.wall_seconds,
            samples_collected: self.samples,
            sampling_interval_seconds: self.config.interval_seconds,
            effective_interval_seconds: self.config.interval_seconds
                * series.ticks_per_point() as f64,
            cpu: self.host.cpu(),
            memory: self.host.memory(),
            process_cpu: Some(PercentStats {
                mean_percent: pct(self.tree_cpu.mean().unwrap_or(0.0)),
                max_percent: pct(self.tree_cpu.max().unwrap_or(0.0)),
                min_percent: pct(self.tree_cpu.min().unwrap_or(0.0)),
            })
            .filter(|_| self.tree_cpu.count() > 0),
            process_memory: self.tree_rss.mean().map(|mean| ProcessMemoryStats {
                mean_mb: mb(mean),
                max_mb: mb(self.tree_rss.max().unwrap_or(0.0)),
                min_mb: mb(self.tree_rss.min().unwrap_or(0.0)),
                max_swap_mb: mb(self.max_swap_bytes as f64),
                max_pss_mb: self.max_pss_bytes.map(|b| mb(b as f64)),
            }),
            memory_peaks: Some(MemoryPeaks {
                tree_rss_sum_mb: mb(self.tree_rss_sum_peak_bytes() as f64),
                tree_shared_once_mb: Some(mb(self.tree_rss_peak_bytes() as f64)),
                vmhwm_mb: mb(self.vmhwm_peak_bytes() as f64),
                ru_maxrss_mb: mb(end.ru_maxrss_bytes as f64),
            }),
            io_stats: Some(IoStats {
                read_mb: mb(io.read_bytes as f64),
                write_mb: mb(io.write_bytes as f64),
                read_count: io.syscr,
                write_count: io.syscw,
                total_io_mb: mb((io.read_bytes + io.write_bytes) as f64),
            }),
            network: self.host.network(),
            disk: self.host.disk(),
            pressure: self.host.pressure(),
            load_average: self.host.load_average(),
            processes: Some(ProcessCounts {
                max_concurrent: u64::from(self.max_processes),
                total_seen: self.processes.total_seen(),
                max_threads: u64::from(self.max_threads),
            }),
            top_processes: self.processes.top(),
            cpu_efficiency: cpu_efficiency(end.cpu_seconds, end.wall_seconds, end.cpus_available),
            // Set by the assembler, which knows the allocation.
            memory_efficiency: None,
            memory_allocation_bytes: None,
            memory_allocation_source: None,
            max_tick_delay_seconds: None,
            timeseries: Some(series.to_record()),
            // Filled by the run from the GPU, container and cgroup readers.
            gpu_stats: None,
            container_stats: None,
            cgroup: None,
        }
    }
}

/// CPU seconds over what the CPUs available to the job could have given in
/// the wall time, 0 to 1 (4 decimals).
pub fn cpu_efficiency(cpu_seconds: f64, wall_seconds: f64, cpus: usize) -> Option<f64> {
    let capacity = wall_seconds * cpus as f64;
    (positive(capacity) && cpu_seconds.is_finite())
        .then(|| round_to((cpu_seconds / capacity).max(0.0), 4))
}

/// Where the headline peak came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeakSource {
    TreeRssSum,
    VmHwm,
    RuMaxrss,
    /// The tree sum exceeded the job's cgroup peak, which charges each page
    /// once: the sum double-counted shared pages and the cgroup's peak
    /// bounds it.
    CgroupPeak,
}

impl PeakSource {
    /// The name written to `measurement.memory_peak_source`.
    pub fn as_str(self) -> &'static str {
        match self {
            PeakSource::TreeRssSum => "tree_rss_sum",
            PeakSource::VmHwm => "vmhwm",
            PeakSource::RuMaxrss => "ru_maxrss",
            PeakSource::CgroupPeak => "cgroup_peak",
        }
    }
}

/// The best peak: the largest of the three readings. VmHWM and ru_maxrss
/// see one process at a time and can only under-report. The tree sum
/// (pass [`Profiler::tree_rss_peak_bytes`]) misses spikes between ticks,
/// and counts shared pages once only as far as the readings tell: without
/// `--pss`, memory shared copy-on-write after `fork()` is counted in every
/// process that shares it. When the job had a cgroup leaf, its peak
/// (`cgroup_peak`, each page charged once) caps the tree sum: a larger sum
/// can only be double counting. On a tie the exact kernel figure wins.
pub fn memory_peak(
    tree_rss_sum: u64,
    vmhwm: u64,
    ru_maxrss: u64,
    cgroup_peak: Option<u64>,
) -> (u64, PeakSource) {
    let tree = match cgroup_peak {
        Some(cgroup) if tree_rss_sum > cgroup + cgroup_slack(cgroup) => {
            (cgroup, PeakSource::CgroupPeak)
        }
        _ => (tree_rss_sum, PeakSource::TreeRssSum),
    };
    [
        (ru_maxrss, PeakSource::RuMaxrss),
        (vmhwm, PeakSource::VmHwm),
        tree,
    ]
    .into_iter()
    .fold((0, PeakSource::RuMaxrss), |best, c| {
        if c.0 > best.0 {
            c
        } else {
            best
        }
    })
}

/// How far the tree sum may exceed the cgroup's peak before it counts as
/// double counting: file pages (the program, libc) already cached and
/// charged to another cgroup are in the tree's RSS but not in the leaf
/// (1–2 MiB measured here), so small excesses are expected.
fn cgroup_slack(cgroup_peak: u64) -> u64 {
    cgroup_peak / 20 + (16 << 20)
}

/// The profile of a run whose `/proc` could not be read.
pub fn unavailable(reason: String, wall_seconds: f64, interval_seconds: f64) -> DetailedProfile {
    DetailedProfile {
        available: false,
        reason: Some(reason),
        duration_seconds: wall_seconds,
        sampling_interval_seconds: interval_seconds,
        effective_interval_seconds: interval_seconds,
        ..Default::default()
    }
}
