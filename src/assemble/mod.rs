//! The run's record, assembled by one pure function from what was measured:
//! how the job ended, the kernel's totals for the reaped tree, the I/O
//! counters before and after, the sampler's profile and the cgroup leaf's
//! figures. Nothing here reads the OS (`commands::run` gathers the inputs),
//! so every status, exit and peak source is unit-tested on hand-built
//! inputs, and golden records (`testdata/`) pin the bytes.

mod allocation;

pub use allocation::{memory_allocation, memory_efficiency, MemoryAllocation};

use crate::analysis;
use crate::profile::{self, Profiler};
use crate::record::{
    AlertRecord, CgroupStatsRecord, ContainerStatsRecord, DetailedProfile, GpuStatsRecord,
    HostRecord, JobRecord, LimitRecord, Measurement, ProcessRef, ResourceUsage, SelfStats,
    SignalRecord, SlurmRecord, Status, UserRecord, BYTES_PER_MB, SCHEMA_VERSION,
};
use crate::sample::IoSample;
/// The job's exact totals from `getrusage(RUSAGE_CHILDREN)` after the reap.
pub use crate::sample::RusageSample;
use std::collections::BTreeMap;

pub mod interim;

/// How the main child ended (a raw `wait` status decoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildExit {
    Code(i32),
    Signal(i32),
}

impl ChildExit {
    /// The code a shell sees for this exit (128+N for a signal).
    pub fn shell_code(self) -> i32 {
        match self {
            ChildExit::Code(code) => code,
            ChildExit::Signal(sig) => 128 + sig,
        }
    }
}

/// Everything known about the job that does not depend on how it ends.
#[derive(Debug, Clone, PartialEq)]
pub struct JobIdentity {
    pub task_id: String,
    pub tool: String,
    pub script: Option<String>,
    pub params: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    pub command: Vec<String>,
    pub cwd: String,
    /// RFC 3339 UTC, microseconds.
    pub start_time: String,
    pub user: UserRecord,
    pub host: HostRecord,
    pub environment: BTreeMap<String, String>,
    /// The `slurm` block, read from profrun's environment.
    pub slurm: Option<SlurmRecord>,
}

/// When the run ended, by the wall clock and the monotonic one.
#[derive(Debug, Clone, PartialEq)]
pub struct RunClock {
    /// RFC 3339 UTC, microseconds.
    pub end_time: String,
    /// Spawn to end of reaping (monotonic).
    pub duration_seconds: f64,
}

/// The `/proc` I/O counters around the run. profrun's own reads of `/proc`
/// (main thread and sampler) count in `/proc/self/io` and are taken out;
/// the main thread's counters also hold the first and the last of the four
/// reads, which the process delta does not, so those are added back.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct IoReadings {
    /// `/proc/thread-self/io` before the spawn, and what that read cost.
    pub thread_before: IoSample,
    pub first_read: IoSample,
    /// `/proc/self/io` before the spawn and after the reap (and that read's cost).
    pub tree_before: IoSample,
    pub tree_after: IoSample,
    pub last_read: IoSample,
    /// `/proc/thread-self/io` after the reap.
    pub thread_after: IoSample,
    /// The sampler thread's own `/proc/thread-self/io`.
    pub sampler_own: IoSample,
    /// profrun's other threads still running after the reap (the signal
    /// forwarder writes a checkpoint at a signal; the live endpoint's
    /// server), their `/proc/self/task/<tid>/io`.
    pub other_threads: IoSample,
    /// The "0" the child wrote to each `cgroup.procs` before exec.
    pub joining_writes: u64,
}

impl IoReadings {
    /// The job tree's I/O: the process delta less profrun's own.
    pub fn tree_io(&self) -> IoSample {
        let own = self
            .thread_after
            .since(&self.thread_before)
            .since(&self.first_read.plus(&self.last_read))
            .plus(&self.sampler_own)
            .plus(&self.other_threads)
            .plus(&IoSample {
                wchar: self.joining_writes,
                syscw: self.joining_writes,
                ..IoSample::default()
            });
        self.tree_after.since(&self.tree_before).since(&own)
    }
}

/// What the sampler handed back when it stopped.
#[derive(Debug)]
pub struct SampledRun {
    /// The accumulated run, or why nothing could be sampled.
    pub profile: Result<Profiler, String>,
    pub max_tick_delay_seconds: f64,
    pub gpu_stats: Option<GpuStatsRecord>,
    pub container_stats: Option<ContainerStatsRecord>,
}

/// The job's cgroup leaf, as far as the record needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct CgroupOutcome {
    /// `measurement.cgroup_backend`.
    pub backend: String,
    /// `measurement.cgroup_note`.
    pub note: Option<String>,
    /// `detailed_profile.cgroup`.
    pub stats: CgroupStatsRecord,
    /// The leaf's memory peak in bytes (the kernel's, else the sampled one).
    pub peak_bytes: Option<u64>,
}

/// A job that ran: how it ended and what was measured.
#[derive(Debug)]
pub struct RanJob {
    pub exit: ChildExit,
    /// `signal.name` when the child died of a signal.
    pub signal_name: Option<String>,
    /// Why waiting for the job failed, when it did.
    pub wait_error: Option<String>,
    /// profrun itself received a terminating signal during the run.
    pub interrupted: bool,
    pub children: RusageSample,
    pub io: IoReadings,
    pub left_running: Vec<ProcessRef>,
    pub sampled: Option<SampledRun>,
    pub cgroup: CgroupOutcome,
    /// `--interval`, seconds.
    pub interval_seconds: f64,
    /// The `--alert` firings (the record's `alerts`).
    pub alerts: Vec<AlertRecord>,
    /// The `--limit` that stopped the job, if one did.
    pub limit: Option<LimitRecord>,
}

/// How the run ended, with the measurements each ending has.
#[derive(Debug)]
pub enum JobEnd {
    /// The command could not be started.
    FailedToStart {
        exit_code: u8,
        error: String,
        cgroup_backend: String,
        cgroup_note: Option<String>,
    },
    Ran(Box<RanJob>),
}

/// success / failed / signaled, or interrupted when profrun itself received a
/// terminating signal during the run (forwarded, or delivered by the
/// terminal to the whole foreground group).
pub fn status_of(exit: ChildExit, profrun_got_signal: bool) -> Status {
    match exit {
        _ if profrun_got_signal => Status::Interrupted,
        ChildExit::Code(0) => Status::Success,
        ChildExit::Code(_) => Status::Failed,
        ChildExit::Signal(_) => Status::Signaled,
    }
}

/// What profrun exits with when a `--limit` stopped the job: GNU
/// `timeout`'s code for "the command was stopped for running too long", so
/// scripts that already test for 124 treat every limit the same way, and
/// distinct from 128+N (the job died of a signal on its own) and from
/// 125-127 (it never started).
pub const EXIT_LIMIT_EXCEEDED: i32 = 124;

/// The record of one run.
pub fn assemble(
    id: JobIdentity,
    clock: RunClock,
    end: JobEnd,
    profrun_self: Option<SelfStats>,
) -> JobRecord {
    let mut record = JobRecord {
        schema_version: SCHEMA_VERSION,
        task_id: id.task_id,
        tool: id.tool,
        script: id.script,
        params: id.params,
        tags: id.tags,
        command: id.command,
        cwd: id.cwd,
        start_time: id.start_time,
        end_time: clock.end_time,
        duration_seconds: clock.duration_seconds,
        status: Status::FailedToStart,
        returncode: None,
        exit_code: 0,
        signal: None,
        error: None,
        user: id.user,
        host: id.host,
        environment: id.environment,
        slurm: id.slurm,
        resource_usage: ResourceUsage::default(),
        measurement: measurement("ru_maxrss", "none".to_string(), None),
        descendants_left_running: Vec::new(),
        detailed_profile: None,
        profrun_self,
        alerts: Vec::new(),
        limit: None,
        exports: None,
        analysis: None,
    };
    match end {
        JobEnd::FailedToStart {
            exit_code,
            error,
            cgroup_backend,
            cgroup_note,
        } => {
            record.exit_code = i32::from(exit_code);
            record.error = Some(error);
            record.measurement = measurement("ru_maxrss", cgroup_backend, cgroup_note);
        }
        JobEnd::Ran(ran) => fill_ran(&mut record, *ran),
    }
    record.analysis = Some(analysis::analyze(&record));
    record
}

fn fill_ran(record: &mut JobRecord, ran: RanJob) {
    let tree_io = ran.io.tree_io();
    let mut usage = resource_usage(&ran.children, &tree_io);
    let (detailed, peak) = match ran.sampled {
        Some(sampled) => {
            let (mut detailed, peak) = detailed_profile(
                sampled,
                &ran.children,
                &tree_io,
                ran.cgroup.peak_bytes,
                record.duration_seconds,
                record.host.cpus_available,
                ran.interval_seconds,
            );
            detailed.cgroup = Some(ran.cgroup.stats);
            (Some(detailed), peak)
        }
        None => (None, None),
    };
    let mut peak_source = "ru_maxrss";
    if let Some((bytes, source)) = peak {
        usage.memory_peak_mb = bytes as f64 / BYTES_PER_MB;
        peak_source = source.as_str();
    }
    record.status = status_of(ran.exit, ran.interrupted);
    match ran.exit {
        ChildExit::Code(code) => record.returncode = Some(code),
        ChildExit::Signal(sig) => {
            record.returncode = Some(-sig);
            record.signal = Some(SignalRecord {
                number: sig,
                name: ran.signal_name.unwrap_or_else(|| format!("SIG{sig}")),
            });
        }
    }
    record.exit_code = ran.exit.shell_code();
    // Whatever the signal that ended it, the limit is why it ended.
    if ran.limit.is_some() {
        record.status = Status::LimitExceeded;
        record.exit_code = EXIT_LIMIT_EXCEEDED;
    }
    record.alerts = ran.alerts;
    record.limit = ran.limit;
    record.error = ran.wait_error;
    record.resource_usage = usage;
    record.measurement = measurement(peak_source, ran.cgroup.backend, ran.cgroup.note);
    record.descendants_left_running = ran.left_running;
    record.detailed_profile = detailed;
    if let Some(d) = &mut record.detailed_profile {
        let peak_bytes = record.resource_usage.memory_peak_mb * BYTES_PER_MB;
        if let Some(a) = memory_allocation(d.container_stats.as_ref(), record.slurm.as_ref()) {
            d.memory_efficiency = memory_efficiency(peak_bytes, a.bytes);
            d.memory_allocation_bytes = Some(a.bytes);
            d.memory_allocation_source = Some(a.source.to_string());
        }
    }
}

fn measurement(
    peak_source: &str,
    cgroup_backend: String,
    cgroup_note: Option<String>,
) -> Measurement {
    Measurement {
        cpu_source: "getrusage(RUSAGE_CHILDREN)".to_string(),
        memory_peak_source: peak_source.to_string(),
        io_source: "/proc/self/io delta".to_string(),
        cgroup_backend,
        cgroup_note,
    }
}

/// `detailed_profile`, and the headline peak taken from the best of the
/// sources (sampled tree sum, VmHWM, ru_maxrss, capped by the cgroup's).
/// No peak when nothing could be sampled.
fn detailed_profile(
    sampled: SampledRun,
    children: &RusageSample,
    tree_io: &IoSample,
    cgroup_peak_bytes: Option<u64>,
    wall_seconds: f64,
    cpus_available: usize,
    interval_seconds: f64,
) -> (DetailedProfile, Option<(u64, profile::PeakSource)>) {
    let profiler = match sampled.profile {
        Ok(p) => p,
        Err(reason) => {
            return (
                profile::unavailable(reason, wall_seconds, interval_seconds),
                None,
            )
        }
    };
    let ru_maxrss_bytes = children.max_rss_kb * 1024;
    let peak = profile::memory_peak(
        profiler.tree_rss_peak_bytes(),
        profiler.vmhwm_peak_bytes(),
        ru_maxrss_bytes,
        cgroup_peak_bytes,
    );
    let mut detailed = profiler.finish(&profile::RunTotals {
        wall_seconds,
        cpu_seconds: children.user_seconds + children.system_seconds,
        ru_maxrss_bytes,
        io: *tree_io,
        cpus_available,
    });
    detailed.max_tick_delay_seconds =
        Some(profile::stats::round_to(sampled.max_tick_delay_seconds, 4));
    detailed.gpu_stats = sampled.gpu_stats;
    detailed.container_stats = sampled.container_stats;
    (detailed, Some(peak))
}

fn resource_usage(ru: &RusageSample, io: &IoSample) -> ResourceUsage {
    let max_rss_mb = ru.max_rss_kb as f64 * 1024.0 / BYTES_PER_MB;
    ResourceUsage {
        cpu_user_seconds: ru.user_seconds,
        cpu_system_seconds: ru.system_seconds,
        cpu_total_seconds: ru.user_seconds + ru.system_seconds,
        memory_peak_mb: max_rss_mb,
        max_rss_mb,
        read_bytes: io.read_bytes,
        write_bytes: io.write_bytes,
        rchar: io.rchar,
        wchar: io.wchar,
        syscr: io.syscr,
        syscw: io.syscw,
        minor_page_faults: ru.minor_faults,
        major_page_faults: ru.major_faults,
        voluntary_context_switches: ru.voluntary_switches,
        involuntary_context_switches: ru.involuntary_switches,
        block_input_ops: ru.in_blocks,
        block_output_ops: ru.out_blocks,
    }
}

#[cfg(test)]
mod tests;
