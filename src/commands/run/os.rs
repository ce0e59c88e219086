//! The OS side of a run behind one trait (as hyperfine's `Executor`): the
//! real [`RealOs`] spawns through `launch/`, samples through `sampler` and
//! reads the kernel's totals through `probe/`; the tests drive
//! [`super::execute`] with a fake.

use anyhow::Context;
use chrono::{SecondsFormat, Utc};
use std::ffi::OsString;
use std::io;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::alerts::{AlertBoard, AlertObserver};
use super::checkpoint;
use super::identity;
use super::limits::{LimitObserver, LimitSlot};
use super::live::live_endpoint;
use crate::alerts::{Limit, LimitResource};
use crate::assemble::{
    CgroupOutcome, ChildExit, IoReadings, JobIdentity, RunClock, RusageSample, SampledRun,
};
use crate::cli::RunArgs;
use crate::commands::output::say;
use crate::detect::{self, RealFiles};
use crate::export::listen::MetricsServer;
use crate::launch::{self, reap, signals, spawn};
use crate::metrics::Labels;
use crate::probe::cgroup::{CgroupRun, CgroupSetup};
use crate::probe::gpu::GpuMonitor;
use crate::probe::{self, ProcRoot};
use crate::profile;
use crate::record::{AlertRecord, LimitRecord, ProcessRef, SelfStats};
use crate::sample::IoSample;
use crate::sampler;

/// What is read once the tree is reaped.
#[derive(Debug)]
pub struct Measured {
    pub children: RusageSample,
    pub io: IoReadings,
    /// `None` when the sampler never started.
    pub sampled: Option<SampledRun>,
    pub cgroup: CgroupOutcome,
    /// The `--alert` firings.
    pub alerts: Vec<AlertRecord>,
    /// The `--limit` that stopped the job, and by which mechanism.
    pub limit: Option<LimitRecord>,
}

/// The steps of a run that touch the OS, in the order they are called.
pub trait JobOs {
    /// Start the job (and the sampler and the signal forwarder with it).
    fn spawn(&mut self, argv: &[OsString]) -> Result<(), spawn::SpawnError>;
    /// Everything known about the job that does not depend on how it ends.
    fn identity(&mut self, args: &RunArgs) -> JobIdentity;
    /// The identity is known (checkpoints can name the run from now on).
    fn identified(&mut self, _id: &JobIdentity) {}
    /// Wait for the main child, reaping orphans on the way.
    fn wait(&mut self) -> io::Result<ChildExit>;
    /// Reap the rest of the tree (all of it with `wait_all`, after stopping
    /// it when a signal was forwarded); returns who is still running.
    fn reap(&mut self, wait_all: bool) -> Vec<ProcessRef>;
    /// The end of the run, for `end_time` and `duration_seconds`: called
    /// once reaping is done; [`JobOs::clock`] returns it from then on.
    fn stop_clock(&mut self);
    /// The clock stopped by [`JobOs::stop_clock`], or now.
    fn clock(&mut self) -> RunClock;
    /// Stop the sampler and read the kernel's totals and the cgroup leaf.
    fn measure(&mut self) -> Measured;
    /// Whether profrun received a terminating signal during the run.
    fn received_signal(&self) -> bool;
    /// `measurement.cgroup_backend` and `cgroup_note` of the set-up.
    fn cgroup_names(&self) -> (String, Option<String>);
    /// profrun's own cost so far (`--self-stats`).
    fn own_cost(&self) -> SelfStats;
}

/// The real OS: Linux through `launch/`, `probe/` and the sampler.
pub struct RealOs {
    proc: ProcRoot,
    no_gpu: bool,
    pss: bool,
    interval: Duration,
    kill_after: Duration,
    started: Instant,
    start_time: chrono::DateTime<Utc>,
    thread_before: IoSample,
    first_read: IoSample,
    tree_before: IoSample,
    cgroup: CgroupSetup,
    joining_writes: u64,
    child: Option<i32>,
    sampler: Option<sampler::Sampler>,
    forwarder: Option<signals::Forwarder>,
    ended: Option<RunClock>,
    /// Handed to the sampler at the spawn (alerts, limits, live metrics,
    /// checkpoints add theirs in `prepare`).
    observers: Vec<Box<dyn sampler::TickObserver>>,
    /// `--metrics-listen`: serves until the run is over (dropped with us).
    _metrics_server: Option<MetricsServer>,
    /// This run's checkpoint (`--checkpoint`), when one is kept.
    checkpoint: Option<std::sync::Arc<checkpoint::Slot>>,
    /// The `--alert` rules' state (None without rules).
    alert_board: Option<AlertBoard>,
    /// The first `--limit` crossed (None without limits).
    limit_slot: Option<LimitSlot>,
    /// `--limit memory=` when the kernel enforces it in the job's leaf too.
    leaf_memory_limit: Option<u64>,
}

/// `--metrics-listen ADDR` could not be bound: a usage error (exit 2),
/// reported before the job starts.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on --metrics-listen {addr:?}: {source}")]
pub struct ListenError {
    pub addr: String,
    pub source: io::Error,
}

impl RealOs {
    /// What must happen before the spawn: the signal mask (before any
    /// thread exists), the subreaper bit, the I/O baseline and the leaf.
    pub fn prepare(args: &RunArgs) -> anyhow::Result<RealOs> {
        launch::tune_malloc();
        signals::block_handled().context("blocking signals")?;
        launch::become_subreaper().context("becoming child subreaper")?;
        let proc = ProcRoot::default();
        signals::term_when_slurm_task_parent_dies(&proc);
        // One pread each, so the cost of these reads is known exactly.
        let (thread_before, first_read) =
            probe::io::read_io_once(&proc, "thread-self").unwrap_or_default();
        let tree_before = probe::io::read_io(&proc, "self").unwrap_or_default();
        let start_time = Utc::now();
        let started = Instant::now();
        // A leaf of its own for the job (~100 µs); every failure falls back
        // to the next backend or to none, with the reason kept for the record.
        let cgroup = CgroupSetup::for_run(args.no_cgroup, &proc);
        let leaf_memory_limit = limit_the_leaf(&cgroup, &args.limits);
        let kill_after = Duration::from_secs_f64(args.kill_after);
        let mut observers: Vec<Box<dyn sampler::TickObserver>> = Vec::new();
        let alert_board = (!args.alerts.is_empty()).then(|| {
            let cpus = probe::host_info::available_cpus();
            let (observer, board) = AlertObserver::new(args.alerts.clone(), cpus);
            observers.push(Box::new(observer));
            board
        });
        let limit_slot = (!args.limits.is_empty()).then(|| {
            let (observer, slot) = LimitObserver::new(args.limits.clone(), kill_after);
            observers.push(Box::new(observer));
            slot
        });
        let history = crate::history::path::resolve(args.history.as_deref());
        let checkpoint =
            checkpoint::Slot::new(args.checkpoint, history.as_deref(), args.interval, started);
        if let Some(slot) = &checkpoint {
            observers.push(Box::new(checkpoint::Observer::new(
                std::sync::Arc::clone(slot),
                args.checkpoint,
            )));
        }
        // After the signal mask: the server is a thread of its own.
        let metrics_server = match &args.metrics_listen {
            Some(addr) => {
                let (live, source) = live_endpoint(
                    live_labels(args, &proc),
                    probe::host_info::available_cpus(),
                    alert_board.clone(),
                );
                let server = MetricsServer::bind(addr, source).map_err(|source| ListenError {
                    addr: addr.clone(),
                    source,
                })?;
                say(&format!(
                    "profrun: serving /metrics on http://{}/metrics",
                    server.local_addr()
                ));
                observers.push(Box::new(live));
                Some(server)
            }
            None => None,
        };
        Ok(RealOs {
            proc,
            no_gpu: args.no_gpu,
            pss: args.pss,
            interval: Duration::from_secs_f64(args.interval),
            kill_after,
            started,
            start_time,
            thread_before,
            first_read,
            tree_before,
            cgroup,
            joining_writes: 0,
            child: None,
            sampler: None,
            forwarder: None,
            ended: None,
            observers,
            _metrics_server: metrics_server,
            checkpoint,
            alert_board,
            limit_slot,
            leaf_memory_limit,
        })
    }

    /// The `--alert` rules' state, for the live endpoint
    /// (`profrun_job_alert_firing`); None without rules.
    pub fn alert_board(&self) -> Option<AlertBoard> {
        self.alert_board.clone()
    }

    fn start_sampler(&mut self, pid: i32) {
        self.cgroup.confirm_member(&self.proc, pid);
        let gpu = if self.no_gpu {
            GpuMonitor::disabled()
        } else {
            gpu_monitor()
        };
        let extras = sampler::Extras {
            observers: std::mem::take(&mut self.observers),
            gpu: Some(gpu),
            cgroup: self.cgroup.reader(),
            container: true,
        };
        self.sampler = Some(sampler::start(
            sampler::SamplerConfig {
                interval: self.interval,
                series_cap: profile::series::DEFAULT_CAP,
                pss: self.pss,
                proc: self.proc.clone(),
                root_pid: std::process::id() as i32,
                io_baseline: self.tree_before,
                main_thread_io_baseline: self.thread_before,
                job_started: self.started,
            },
            extras,
        ));
    }

    fn limit_hit(&self) -> bool {
        self.limit_slot.as_ref().is_some_and(|s| s.hit().is_some())
    }

    /// Whether the kernel OOM-killed in the leaf under `--limit memory=`.
    fn leaf_oom_killed(&self) -> bool {
        self.leaf_memory_limit.is_some()
            && self
                .cgroup
                .reader()
                .and_then(|r| r.sample().oom_kills)
                .is_some_and(|kills| kills > 0)
    }

    /// The record's `limit`: the kernel's OOM kill in the leaf if there was
    /// one (it acts first: the leaf cannot pass `memory.max`), else the
    /// sampler's crossing.
    fn limit_record(&self, run: &CgroupRun) -> Option<LimitRecord> {
        let oom_killed = run
            .end
            .and_then(|end| end.oom_kills)
            .is_some_and(|kills| kills > 0);
        let peak = leaf_peak_bytes(run);
        // `oom_kill` counts every OOM kill in the leaf, a host-wide one too:
        // it is the leaf's limit only if the leaf got near it.
        let near = |limit: &u64| peak.map_or(true, |p| p as f64 >= 0.9 * *limit as f64);
        match self
            .leaf_memory_limit
            .filter(|limit| oom_killed && near(limit))
        {
            Some(limit) => Some(LimitRecord {
                resource: "memory".to_string(),
                limit: limit as f64,
                value: peak.unwrap_or(limit) as f64,
                // The kernel does not say when; the main child ended then.
                at_seconds: self
                    .ended
                    .as_ref()
                    .map_or(0.0, |c| (c.duration_seconds * 1000.0).round() / 1000.0),
                mechanism: "cgroup".to_string(),
            }),
            None => self
                .limit_slot
                .as_ref()
                .and_then(LimitSlot::hit)
                .map(|hit| hit.record("sampler")),
        }
    }

    fn signal_state(&self) -> Option<&signals::SignalState> {
        self.forwarder.as_ref().map(|f| &*f.state)
    }

    fn descendants(&self) -> Vec<i32> {
        probe::tree::descendants(&self.proc, std::process::id() as i32)
    }

    /// After a forwarded terminating signal: send it to the descendants
    /// still alive, reap them as they go, and SIGKILL whatever is left
    /// after the grace.
    fn stop_the_rest(&self, signo: i32) {
        if self.descendants().is_empty() {
            return;
        }
        signals::signal_descendants(signo);
        let deadline = Instant::now() + self.kill_after;
        loop {
            reap::reap_rest(false);
            if self.descendants().is_empty() {
                return;
            }
            if Instant::now() >= deadline {
                signals::signal_descendants(signals::SIGKILL);
                reap::reap_rest(true);
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl JobOs for RealOs {
    fn spawn(&mut self, argv: &[OsString]) -> Result<(), spawn::SpawnError> {
        let cgroup_procs = self.cgroup.spawn_fds();
        // The child writes "0" to each before exec: profrun's doing, not the job's.
        self.joining_writes = cgroup_procs.len() as u64;
        let pid = spawn::spawn(argv, spawn::SpawnOptions { cgroup_procs })?;
        // First thing after the spawn, so the first sample sees the job start.
        self.start_sampler(pid);
        self.child = Some(pid);
        let on_forward = self.checkpoint.as_ref().map(|slot| {
            let leaves = self.cgroup.leaf.as_ref().map_or_else(Vec::new, |leaf| {
                leaf.dirs()
                    .iter()
                    .map(|d| d.path.to_string_lossy().into_owned())
                    .collect()
            });
            slot.job_started(pid, self.cgroup.backend.as_str(), leaves);
            let slot = std::sync::Arc::clone(slot);
            Box::new(move |signo| slot.signalled(signo)) as signals::OnForward
        });
        self.forwarder = signals::start_forwarder(pid, self.kill_after, on_forward)
            .map_err(|err| {
                say(&format!(
                    "profrun: warning: cannot start the signal thread ({err}); signals will not be forwarded"
                ))
            })
            .ok();
        Ok(())
    }

    fn identity(&mut self, args: &RunArgs) -> JobIdentity {
        identity::identity(args, &self.proc, self.start_time)
    }

    fn identified(&mut self, id: &JobIdentity) {
        if let Some(slot) = &self.checkpoint {
            slot.identified(id);
        }
    }

    fn wait(&mut self) -> io::Result<ChildExit> {
        let pid = self.child.expect("wait is called only after a spawn");
        reap::wait_main(pid).map(|(exit, _)| exit)
    }

    fn reap(&mut self, wait_all: bool) -> Vec<ProcessRef> {
        let mut forwarded = self.signal_state().map_or(0, |state| {
            state.main_exited.store(true, Ordering::SeqCst);
            state.forwarded.load(Ordering::SeqCst)
        });
        if forwarded == 0 && (self.limit_hit() || self.leaf_oom_killed()) {
            forwarded = libc::SIGTERM; // a limit stops the whole tree
        }
        if forwarded != 0 {
            // The job was told to stop: so is the rest of its tree, with the
            // same grace before SIGKILL (also under --wait-all).
            self.stop_the_rest(forwarded);
        }
        if wait_all {
            reap::reap_rest(true);
        }
        reap::reap_rest(false);
        self.descendants()
            .into_iter()
            .map(|pid| ProcessRef {
                pid,
                name: probe::tree::comm(&self.proc, pid).unwrap_or_default(),
            })
            .collect()
    }

    fn stop_clock(&mut self) {
        self.ended = Some(self.clock());
    }

    fn clock(&mut self) -> RunClock {
        self.ended.clone().unwrap_or_else(|| RunClock {
            duration_seconds: self.started.elapsed().as_secs_f64(),
            end_time: Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true),
        })
    }

    fn measure(&mut self) -> Measured {
        // The final sample, taken now that everything that exited is reaped.
        let sampled = self.sampler.take().map(sampler::Sampler::stop);
        let ru = probe::rusage::children();
        let (tree_after, last_read) =
            probe::io::read_io_once(&self.proc, "self").unwrap_or_default();
        let thread_after = probe::io::read_io(&self.proc, "thread-self").unwrap_or_default();
        let other_threads = probe::io::noted_own_io();
        // Read the leaf a last time and remove it now: the re-raise at the
        // end would skip its Drop. A leaf still holding processes stays,
        // and is named.
        let run = self
            .cgroup
            .finish(sampled.as_ref().and_then(|s| s.cgroup_peak_bytes));
        if let Some(why) = &run.left_in_place {
            say(&format!("profrun: warning: {why}"));
        }
        let (backend, note) = self.cgroup_names();
        let limit = self.limit_record(&run);
        // The sampler says its crossings when they happen; the kernel's
        // kill in the leaf is known only now.
        if let Some(text) = limit
            .as_ref()
            .filter(|l| l.mechanism == "cgroup")
            .and_then(crate::alerts::describe_limit)
        {
            say(&format!("profrun: limit exceeded: {text}"));
        }
        Measured {
            alerts: self
                .alert_board
                .as_ref()
                .map(AlertBoard::records)
                .unwrap_or_default(),
            limit,
            children: RusageSample {
                user_seconds: ru.user_seconds,
                system_seconds: ru.system_seconds,
                max_rss_kb: ru.max_rss_kb,
                minor_faults: ru.minor_faults,
                major_faults: ru.major_faults,
                in_blocks: ru.in_blocks,
                out_blocks: ru.out_blocks,
                voluntary_switches: ru.voluntary_switches,
                involuntary_switches: ru.involuntary_switches,
            },
            io: IoReadings {
                thread_before: self.thread_before,
                first_read: self.first_read,
                tree_before: self.tree_before,
                tree_after,
                last_read,
                thread_after,
                sampler_own: sampled.as_ref().map(|s| s.own_io).unwrap_or_default(),
                other_threads,
                joining_writes: self.joining_writes,
            },
            cgroup: CgroupOutcome {
                backend,
                note,
                stats: profile::cgroup::cgroup_record(&run),
                peak_bytes: leaf_peak_bytes(&run),
            },
            sampled: sampled.map(|s| SampledRun {
                profile: s.profile,
                max_tick_delay_seconds: s.max_tick_delay_seconds,
                gpu_stats: s.gpu_stats,
                container_stats: s.container_stats,
            }),
        }
    }

    fn received_signal(&self) -> bool {
        self.signal_state()
            .is_some_and(|s| s.received.load(Ordering::SeqCst) != 0)
    }

    fn cgroup_names(&self) -> (String, Option<String>) {
        (
            self.cgroup.backend.as_str().to_string(),
            self.cgroup.note.clone(),
        )
    }

    fn own_cost(&self) -> SelfStats {
        identity::own_cost()
    }
}

/// The live series' labels, known before the spawn: `--name`, else the
/// tool (`--tool`, else detected from the command, as the record's).
fn live_labels(args: &RunArgs, proc: &ProcRoot) -> Labels {
    let command: Vec<String> = args
        .command
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let tool = args
        .tool
        .clone()
        .unwrap_or_else(|| detect::detect_tool(&command, &RealFiles));
    let host = std::fs::read_to_string(proc.path("sys/kernel/hostname"))
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    Labels {
        name: args.name.clone().unwrap_or_else(|| tool.clone()),
        tool,
        host,
    }
}

impl RealOs {
    /// The run ended normally: no more checkpoint writes (a late signal
    /// must not bring it back once it is removed).
    pub fn close_checkpoint(&self) {
        if let Some(slot) = &self.checkpoint {
            slot.close();
        }
    }

    /// The record is saved: this run's checkpoint goes.
    pub fn remove_checkpoint(&self) {
        if let Some(slot) = &self.checkpoint {
            slot.remove();
        }
    }
}

/// Write `--limit memory=` into the job's leaf, if profrun made one with
/// the memory controller; the limit the kernel now enforces.
fn limit_the_leaf(cgroup: &CgroupSetup, limits: &[Limit]) -> Option<u64> {
    let bytes = limits
        .iter()
        .filter(|l| l.resource == LimitResource::Memory)
        .map(|l| l.limit as u64)
        .min()?;
    match cgroup.limit_memory(bytes) {
        Ok(true) => Some(bytes),
        Ok(false) => None,
        Err(why) => {
            say(&format!(
                "profrun: warning: {why}; the memory limit is enforced by sampling only"
            ));
            None
        }
    }
}

/// The leaf's memory peak: the kernel's, else the largest sampled
/// `memory.current` (the figure `cgroup_record` writes as `memory_peak_mb`).
fn leaf_peak_bytes(run: &CgroupRun) -> Option<u64> {
    run.end
        .and_then(|end| end.memory_peak_bytes)
        .or(run.sampled_peak_bytes)
}

/// NVML, loaded on its own thread. A debug build with the `testing`
/// doubles (the binary `cargo test` runs) plays the scripted GPU instead
/// when `PROFRUN_TEST_FAKE_GPU` asks for it. Not an optimised build: the
/// README's `cargo build --release --bins --examples` and `cargo bench`
/// get the `testing` feature too (the examples' self dev-dependency turns
/// it on for the whole build), and their binary must not obey it.
fn gpu_monitor() -> GpuMonitor {
    #[cfg(all(feature = "testing", debug_assertions))]
    if let Some(fake) = crate::probe::gpu::fake::FakeGpu::from_test_env() {
        return GpuMonitor::from_probe(Box::new(fake));
    }
    GpuMonitor::start_nvml()
}
