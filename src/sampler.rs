//! The background sampling thread. It takes one sample as soon as it starts
//! (right after the spawn), one per tick of a crossbeam ticker at
//! `--interval`, and a final one when told to stop (after the main child
//! was reaped), so even a 50 ms job has readings. Each sample is folded into
//! a [`Profiler`] at once and dropped: memory stays bounded. A late tick is
//! not made up for (the ticker never queues more than one), so a slow tick
//! delays the series rather than piling work up; the largest delay is
//! reported.

use crossbeam_channel::{bounded, select, tick, Sender};
use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
use rustix::time::{clock_gettime, ClockId};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::probe::cgroup::{CgroupReader, ContainerProbe};
use crate::probe::gpu::GpuMonitor;
use crate::probe::host::ProcHostProbe;
use crate::probe::process::parse_io;
use crate::probe::process_tree::ProcTreeProbe;
use crate::probe::procfile::ProcFile;
use crate::probe::reaped::ProcReapedProbe;
use crate::probe::{HostProbe, ProcRoot, ReapedProbe, TreeProbe};
use crate::profile::cgroup::ContainerStatsBuilder;
use crate::profile::gpu::{power_watts, series_point, GpuStatsBuilder};
use crate::profile::sample::Sample;
use crate::profile::{Profiler, ProfilerConfig};
use crate::record::{ContainerStatsRecord, GpuStatsRecord};
use crate::sample::IoSample;

/// `smaps_rollup` is read at most this often per process (`--pss`).
pub const PSS_EVERY_SECONDS: f64 = 5.0;

/// The sampler thread's stack: it recurses nowhere and keeps its buffers on
/// the heap.
const STACK_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone)]
pub struct SamplerConfig {
    pub interval: Duration,
    pub series_cap: usize,
    pub pss: bool,
    pub proc: ProcRoot,
    /// profrun's own pid: the root of the walk.
    pub root_pid: i32,
    /// profrun's `/proc/self/io` just before the spawn.
    pub io_baseline: IoSample,
    /// The main thread's `/proc/thread-self/io` at the same time (its own
    /// writes are taken out of the tree's live I/O).
    pub main_thread_io_baseline: IoSample,
    /// When the job was spawned (sample times count from here).
    pub job_started: Instant,
}

/// The OS readers the thread uses (fakes in tests).
pub struct Probes {
    pub tree: Box<dyn TreeProbe + Send>,
    pub host: Option<Box<dyn HostProbe + Send>>,
    /// CPU seconds and I/O of the descendants reaped so far.
    pub reaped: Box<dyn ReapedProbe + Send>,
    /// NVIDIA GPUs (absent with `--no-gpu`, or reporting why there are none).
    pub gpu: Option<GpuMonitor>,
    /// The job's cgroup leaf, when a backend was set up.
    pub cgroup: Option<CgroupReader>,
    /// The container/limited cgroup profrun runs in, or why there is none.
    pub container: Option<Result<ContainerProbe, String>>,
    /// See [`TickObserver`].
    pub observers: Vec<Box<dyn TickObserver>>,
}

/// Work done on the sampler thread after every sample, on what was just
/// measured: alerts, limits, the live `/metrics` snapshot, checkpoints. It
/// runs between ticks, so it must be cheap and must never block (a scrape
/// or a slow disk must not delay the next sample).
pub trait TickObserver: Send {
    /// After each sample; `final_sample` is the reading after the reap.
    fn on_tick(&mut self, profiler: &Profiler, final_sample: bool);
}

/// Readers made on the main thread and handed to the sampler with the job.
#[derive(Default)]
pub struct Extras {
    /// Called after every sample, in order.
    pub observers: Vec<Box<dyn TickObserver>>,
    pub gpu: Option<GpuMonitor>,
    pub cgroup: Option<CgroupReader>,
    /// Read the enclosing container's cgroup (`container_stats`).
    pub container: bool,
}

/// The container's cgroup is read on the first and final samples and every
/// this many ticks in between (its memory usage is a gauge: a peak between
/// reads is missed, so not too rarely; 11 µs a read).
const CONTAINER_EVERY_TICKS: u64 = 4;

/// What the thread hands back when stopped.
#[derive(Debug)]
pub struct SamplerOutput {
    /// The accumulated run, or why nothing could be sampled.
    pub profile: Result<Profiler, String>,
    /// The sampler thread's own `/proc/thread-self/io`: its reads of /proc,
    /// which `/proc/self/io` counts and the tree's I/O must not.
    pub own_io: IoSample,
    /// Largest delay of a tick past its schedule, seconds.
    pub max_tick_delay_seconds: f64,
    /// `detailed_profile.gpu_stats` (None when no GPU monitor was given).
    pub gpu_stats: Option<GpuStatsRecord>,
    /// `detailed_profile.container_stats` (None when not asked for).
    pub container_stats: Option<ContainerStatsRecord>,
    /// Largest `memory.current`/`memory.usage_in_bytes` of the job's leaf.
    pub cgroup_peak_bytes: Option<u64>,
}

pub struct Sampler {
    stop: Sender<()>,
    handle: Result<JoinHandle<SamplerOutput>, String>,
}

/// Start sampling the descendants of `config.root_pid` through `/proc`,
/// with the GPU, cgroup and container readers in `extras`.
pub fn start(config: SamplerConfig, extras: Extras) -> Sampler {
    start_with(config, move |c| {
        raise_open_file_limit();
        let mut tree = ProcTreeProbe::new(c.proc.clone(), c.root_pid).map_err(|e| e.to_string())?;
        if c.pss {
            tree = tree.with_pss(PSS_EVERY_SECONDS);
        }
        let host = ProcHostProbe::new(&c.proc);
        Ok(Probes {
            tree: Box::new(tree),
            host: Some(Box::new(host)),
            reaped: Box::new(ProcReapedProbe::new(
                &c.proc,
                c.root_pid,
                c.main_thread_io_baseline,
                c.io_baseline,
            )),
            gpu: extras.gpu,
            cgroup: extras.cgroup,
            container: extras.container.then(|| ContainerProbe::for_run(&c.proc)),
            observers: extras.observers,
        })
    })
}

/// Start the thread with probes built by `make` (inside the thread, so
/// opening files does not delay the caller).
pub fn start_with<F>(config: SamplerConfig, make: F) -> Sampler
where
    F: FnOnce(&SamplerConfig) -> Result<Probes, String> + Send + 'static,
{
    let (stop, stopped) = bounded::<()>(1);
    let spawned = std::thread::Builder::new()
        .name("profrun-sampler".into())
        .stack_size(STACK_BYTES)
        .spawn(move || {
            let probes = make(&config);
            let mut delay = 0.0f64;
            let mut extras_out = (None, None, None);
            let profile = probes.map(|mut probes| {
                let mut run = Run::new(&config);
                if run.sample(&mut probes, true) {
                    for observer in &mut probes.observers {
                        observer.on_tick(&run.profiler, false);
                    }
                }
                let ticker = tick(config.interval);
                loop {
                    select! {
                        recv(stopped) -> _ => break,
                        recv(ticker) -> due => {
                            if let Ok(due) = due {
                                delay = delay.max(due.elapsed().as_secs_f64());
                            }
                            if !run.sample(&mut probes, false) {
                                break; // /proc went away: keep what we have
                            }
                            for observer in &mut probes.observers {
                                observer.on_tick(&run.profiler, false);
                            }
                        }
                    }
                }
                run.sample(&mut probes, true); // the final reading, after the reap
                for observer in &mut probes.observers {
                    observer.on_tick(&run.profiler, true);
                }
                extras_out = run.finish_extras(&mut probes);
                run.profiler
            });
            let (gpu_stats, container_stats, cgroup_peak_bytes) = extras_out;
            SamplerOutput {
                profile,
                own_io: own_thread_io(&config.proc),
                max_tick_delay_seconds: delay,
                gpu_stats,
                container_stats,
                cgroup_peak_bytes,
            }
        });
    Sampler {
        stop,
        // Without a thread there is no profile, but the job still runs.
        handle: spawned.map_err(|err| format!("cannot start the sampling thread: {err}")),
    }
}

impl Sampler {
    /// Take the final sample, stop the thread and collect what it measured.
    pub fn stop(self) -> SamplerOutput {
        let _ = self.stop.send(());
        let failed = |reason: String| SamplerOutput {
            profile: Err(reason),
            own_io: IoSample::default(),
            max_tick_delay_seconds: 0.0,
            gpu_stats: None,
            container_stats: None,
            cgroup_peak_bytes: None,
        };
        match self.handle {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|_| failed("the sampling thread panicked".into())),
            Err(reason) => failed(reason),
        }
    }
}

/// The thread's state between ticks: the accumulators and a reused sample.
struct Run {
    started: Instant,
    profiler: Profiler,
    sample: Sample,
    ticks: u64,
    /// The tree's pids for matching NVML's processes (reused buffer).
    pids: Vec<i32>,
    gpu_stats: GpuStatsBuilder,
    container_stats: ContainerStatsBuilder,
    cgroup_peak_bytes: Option<u64>,
}

impl Run {
    fn new(config: &SamplerConfig) -> Run {
        let since_spawn = config.job_started.elapsed().as_secs_f64();
        Run {
            started: config.job_started,
            profiler: Profiler::new(ProfilerConfig {
                interval_seconds: config.interval.as_secs_f64(),
                series_cap: config.series_cap,
                io_baseline: config.io_baseline,
                job_start_since_boot_seconds: boottime_seconds() - since_spawn,
                max_cores: crate::probe::host_info::affinity_cpus(&config.proc).map(|n| n as f64),
            }),
            sample: Sample::default(),
            ticks: 0,
            pids: Vec::new(),
            gpu_stats: GpuStatsBuilder::new(),
            container_stats: ContainerStatsBuilder::new(),
            cgroup_peak_bytes: None,
        }
    }

    /// Take and fold one sample (`fresh`: re-read even slow-moving host
    /// figures); false when the tree can no longer be read.
    fn sample(&mut self, probes: &mut Probes, fresh: bool) -> bool {
        let s = &mut self.sample;
        s.t_seconds = self.started.elapsed().as_secs_f64();
        // Reaped CPU and I/O first, then the walk: a child reaped in between
        // is missed once, never counted twice.
        let reaped = probes.reaped.sample(fresh);
        s.reaped_cpu_seconds = reaped.cpu_seconds;
        s.reaped_system_seconds = reaped.system_seconds;
        s.reaped_io = reaped.io;
        if probes.tree.sample(s.t_seconds, &mut s.tree).is_err() {
            return false;
        }
        let t = s.t_seconds;
        s.host = probes.host.as_mut().and_then(|h| h.sample(t, fresh));
        if let Some(gpu) = probes.gpu.as_mut().filter(|g| g.is_active()) {
            self.pids.clear();
            self.pids.extend(s.tree.processes.iter().map(|p| p.pid));
            let tick = gpu.tick(&self.pids);
            if let Some(tick) = &tick {
                self.gpu_stats.push(tick);
            }
            s.gpu = tick.as_ref().map(series_point);
            s.gpu_power_watts = tick.as_ref().and_then(power_watts);
        }
        // Only where the kernel keeps no peak (v2 before Linux 5.19).
        if let Some(current) = probes
            .cgroup
            .as_ref()
            .filter(|c| !c.keeps_memory_peak())
            .and_then(|c| c.memory_current_bytes())
        {
            self.cgroup_peak_bytes = Some(self.cgroup_peak_bytes.unwrap_or(0).max(current));
        }
        if let Some(Ok(container)) = &probes.container {
            if fresh || self.ticks % CONTAINER_EVERY_TICKS == 0 {
                self.container_stats.push(t, container.sample());
            }
        }
        self.ticks += 1;
        self.profiler.push(s);
        true
    }

    /// The GPU and container records and the cgroup's sampled peak, after
    /// the final sample.
    fn finish_extras(
        &mut self,
        probes: &mut Probes,
    ) -> (
        Option<GpuStatsRecord>,
        Option<ContainerStatsRecord>,
        Option<u64>,
    ) {
        let gpu = probes
            .gpu
            .take()
            .map(|monitor| std::mem::take(&mut self.gpu_stats).finish(&monitor.finish()));
        let container = probes.container.as_ref().map(|c| match c {
            Ok(probe) => self.container_stats.finish(probe.info()),
            Err(reason) => ContainerStatsRecord::unavailable(reason),
        });
        (gpu, container, self.cgroup_peak_bytes)
    }
}

/// The thread's I/O so far, including this very read (one `pread` of
/// `buf.len()` bytes, which the counters it returns do not show yet).
fn own_thread_io(proc: &ProcRoot) -> IoSample {
    let mut buf = Vec::new();
    ProcFile::open(proc.path("thread-self/io"))
        .and_then(|f| f.read_into(&mut buf))
        .map(|_| {
            let mut io = parse_io(&buf);
            io.rchar += buf.len() as u64;
            io.syscr += 1;
            io
        })
        .unwrap_or_default()
}

/// `CLOCK_BOOTTIME`, the clock of `starttime` in `/proc/<pid>/stat`.
fn boottime_seconds() -> f64 {
    let ts = clock_gettime(ClockId::Boottime);
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

/// The tree probe keeps about four descriptors per process: lift the soft
/// limit to the hard one so a 500-process tree does not fall back to
/// slower path reads. The job already started with the original limit.
fn raise_open_file_limit() {
    let lim = getrlimit(Resource::Nofile);
    // `None` is RLIM_INFINITY.
    let (Some(cur), max) = (lim.current, lim.maximum) else {
        return;
    };
    if max.map_or(true, |max| cur < max) {
        let raised = max.unwrap_or(u64::MAX).min(65_536).max(cur);
        // Failure leaves the old limit, which is fine.
        let _ = setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(raised),
                maximum: max,
            },
        );
    }
}

#[cfg(test)]
#[path = "sampler_tests.rs"]
mod tests;
