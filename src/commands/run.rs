//! `profrun [run] -- COMMAND`: spawn, watch, reap, record, mirror.
//!
//! Order matters for cost and correctness: only what the spawn needs happens
//! before it (signal mask, subreaper, the I/O baseline, the cgroup leaf the
//! child joins before exec); NVML, host description, tool detection and the
//! rest happen while the job runs.

use anyhow::Context;
use chrono::{SecondsFormat, Utc};
use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cli::RunArgs;
use crate::commands::output::say;
use crate::detect::{self, RealFiles};
use crate::history;
use crate::launch::{self, exit, reap, signals, spawn};
use crate::probe::gpu::GpuMonitor;
use crate::probe::{self, ProcRoot};
use crate::profile::{self, sample::IoSample};
use crate::record::{
    JobRecord, Measurement, ProcessRef, ResourceUsage, SelfStats, SignalRecord, Status,
    BYTES_PER_MB, SCHEMA_VERSION,
};
use crate::redact;
use crate::report;
use crate::sampler;

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    signals::block_handled().context("blocking signals")?;
    launch::become_subreaper().context("becoming child subreaper")?;
    let proc = ProcRoot::default();
    // One pread each, so the cost of these reads is known exactly (below).
    let (thread_io_before, first_read) =
        probe::io::read_io_once(&proc, "thread-self").unwrap_or_default();
    let tree_io_before = probe::io::read_io(&proc, "self").unwrap_or_default();
    let start_time = Utc::now();
    let started = Instant::now();

    // A leaf of its own for the job (~100 µs); every failure falls back to
    // the next backend or to none, with the reason kept for the record.
    let mut cgroup = probe::cgroup::CgroupSetup::for_run(args.no_cgroup, &proc);
    let cgroup_procs = cgroup.spawn_fds();
    // The child writes "0" to each before exec: profrun's doing, not the job's.
    let joining_writes = cgroup_procs.len() as u64;
    let spawned = spawn::spawn(&args.command, spawn::SpawnOptions { cgroup_procs });
    // First thing after the spawn, so the first sample sees the job start.
    let sampler = spawned.as_ref().ok().map(|&pid| {
        cgroup.confirm_member(&proc, pid);
        let gpu = if args.no_gpu {
            GpuMonitor::disabled()
        } else {
            GpuMonitor::start_nvml() // NVML loads on its own thread
        };
        let extras = sampler::Extras {
            gpu: Some(gpu),
            cgroup: cgroup.reader(),
            container: true,
        };
        sampler::start(
            sampler::SamplerConfig {
                interval: Duration::from_secs_f64(args.interval),
                series_cap: profile::series::DEFAULT_CAP,
                pss: args.pss,
                proc: proc.clone(),
                root_pid: std::process::id() as i32,
                io_baseline: tree_io_before,
                job_started: started,
            },
            extras,
        )
    });
    let task_id = launch::task_id::new_task_id();
    let mut record = base_record(&args, &proc, task_id, start_time);

    let child_pid = match spawned {
        Ok(pid) => pid,
        Err(err) => {
            record.status = Status::FailedToStart;
            record.exit_code = i32::from(err.exit_code);
            record.error = Some(err.message.clone());
            record.end_time = now_rfc3339();
            record.duration_seconds = started.elapsed().as_secs_f64();
            record.measurement.cgroup_backend = cgroup.backend.as_str().to_string();
            record.measurement.cgroup_note = cgroup.note.clone();
            // The record first: a failing stderr must not cost it.
            save(&args, &record);
            say(&format!("profrun: error: {}", err.message));
            report(&args, &record);
            return Ok(ExitCode::from(err.exit_code));
        }
    };

    // From here on nothing may return early: the job runs, so it gets a
    // record and profrun exits the way it did.
    let forwarder = signals::start_forwarder(
        child_pid,
        Duration::from_secs_f64(args.kill_after),
    )
    .map_err(|err| {
        say(&format!(
            "profrun: warning: cannot start the signal thread ({err}); signals will not be forwarded"
        ))
    })
    .ok();
    let child_exit = match reap::wait_main(child_pid) {
        Ok((exit, _)) => exit,
        Err(err) => {
            let why = format!("cannot wait for the job: {err}");
            say(&format!("profrun: error: {why}"));
            record.error = Some(why);
            reap::ChildExit::Code(i32::from(launch::EXIT_INTERNAL))
        }
    };
    let state = forwarder.as_ref().map(|f| Arc::clone(&f.state));
    if let Some(state) = &state {
        state.main_exited.store(true, Ordering::SeqCst);
    }
    let own_pid = std::process::id() as i32;
    let forwarded = state
        .as_ref()
        .map_or(0, |s| s.forwarded.load(Ordering::SeqCst));
    if forwarded != 0 {
        // The job was told to stop: so is the rest of its tree, with the
        // same grace before SIGKILL (also under --wait-all).
        stop_the_rest(&proc, forwarded, Duration::from_secs_f64(args.kill_after));
    }
    if args.wait_all {
        reap::reap_rest(true);
    }
    reap::reap_rest(false);
    let left_running: Vec<ProcessRef> = probe::tree::descendants(&proc, own_pid)
        .into_iter()
        .map(|pid| ProcessRef {
            pid,
            name: probe::tree::comm(&proc, pid).unwrap_or_default(),
        })
        .collect();
    record.duration_seconds = started.elapsed().as_secs_f64();
    record.end_time = now_rfc3339();
    // The final sample, taken now that everything that exited is reaped.
    let sampled = sampler.map(sampler::Sampler::stop);

    let children = probe::rusage::children();
    let (tree_io_after, last_read) = probe::io::read_io_once(&proc, "self").unwrap_or_default();
    let thread_io_after = probe::io::read_io(&proc, "thread-self").unwrap_or_default();
    // profrun's own reads of /proc (main thread and sampler) count in
    // /proc/self/io: take them out. The main thread's counters also hold
    // the first and the last of the four reads above, which the process
    // delta does not: add those back.
    let mut own_io = thread_io_after
        .since(&thread_io_before)
        .since(&first_read.plus(&last_read));
    if let Some(out) = &sampled {
        own_io = own_io.plus(&out.own_io);
    }
    own_io = own_io.plus(&IoSample {
        wchar: joining_writes,
        syscw: joining_writes,
        ..IoSample::default()
    });
    let tree_io = tree_io_after.since(&tree_io_before).since(&own_io);
    record.resource_usage = resource_usage(&children, &tree_io);
    record.descendants_left_running = left_running;
    // Read the leaf a last time and remove it now: the re-raise below would
    // skip its Drop. A leaf still holding processes stays, and is named.
    let cgroup_run = cgroup.finish(sampled.as_ref().and_then(|s| s.cgroup_peak_bytes));
    if let Some(why) = &cgroup_run.left_in_place {
        say(&format!("profrun: warning: {why}"));
    }
    record.measurement.cgroup_backend = cgroup.backend.as_str().to_string();
    record.measurement.cgroup_note = cgroup.note.clone();
    let cgroup_record = profile::cgroup::cgroup_record(&cgroup_run);
    let cgroup_peak_bytes = cgroup_record
        .memory_peak_mb
        .map(|mb| (mb * BYTES_PER_MB) as u64);
    if let Some(out) = sampled {
        add_profile(
            &mut record,
            out,
            &children,
            &tree_io,
            cgroup_peak_bytes,
            args.interval,
        );
    }
    if let Some(detailed) = record.detailed_profile.as_mut() {
        detailed.cgroup = Some(cgroup_record);
    }

    let received = state
        .as_ref()
        .map_or(0, |s| s.received.load(Ordering::SeqCst));
    record.status = status_of(child_exit, received != 0);
    match child_exit {
        reap::ChildExit::Code(code) => record.returncode = Some(code),
        reap::ChildExit::Signal(sig) => {
            record.returncode = Some(-sig);
            record.signal = Some(SignalRecord {
                number: sig,
                name: exit::signal_name(sig),
            });
        }
    }
    record.exit_code = exit::shell_code(child_exit);
    if args.self_stats {
        record.profrun_self = Some(own_cost(&proc));
    }
    save(&args, &record);
    report(&args, &record);
    drop(forwarder);
    if args.self_stats {
        // Again, now that the record was serialised, written and reported:
        // the figure benchmarks use, read as late as profrun can.
        let me = own_cost(&proc);
        say(&format!(
            "profrun: self-stats at exit: cpu_seconds={:.6} peak_rss_kb={}",
            me.cpu_seconds, me.peak_rss_kb
        ));
    }

    if let reap::ChildExit::Signal(sig) = child_exit {
        exit::reraise(sig);
    }
    Ok(ExitCode::from((record.exit_code & 0xff) as u8))
}

/// profrun's own CPU time and peak RSS so far. VmHWM, not ru_maxrss: after
/// a vfork-style spawn (posix_spawn, as Python and Rust use) the kernel
/// folds the PARENT's RSS at that moment into our ru_maxrss; VmHWM starts
/// afresh at exec.
fn own_cost(proc: &ProcRoot) -> SelfStats {
    let me = probe::rusage::own();
    let hwm_kb = std::fs::read(proc.path("self/status"))
        .map(|text| probe::process::parse_status(&text).vm_hwm_kb)
        .unwrap_or(0);
    SelfStats {
        cpu_seconds: me.user_seconds + me.system_seconds,
        peak_rss_kb: if hwm_kb > 0 { hwm_kb } else { me.max_rss_kb },
    }
}

/// After a forwarded terminating signal: send it to the descendants still
/// alive, reap them as they go, and SIGKILL whatever is left after `grace`.
fn stop_the_rest(proc: &ProcRoot, signo: i32, grace: Duration) {
    let own_pid = std::process::id() as i32;
    if probe::tree::descendants(proc, own_pid).is_empty() {
        return;
    }
    signals::signal_descendants(signo);
    let deadline = Instant::now() + grace;
    loop {
        reap::reap_rest(false);
        if probe::tree::descendants(proc, own_pid).is_empty() {
            return;
        }
        if Instant::now() >= deadline {
            signals::signal_descendants(libc::SIGKILL);
            reap::reap_rest(true);
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Fill `detailed_profile`, and take the headline peak from the best of
/// the three sources (sampled tree sum, VmHWM, ru_maxrss).
fn add_profile(
    record: &mut JobRecord,
    out: sampler::SamplerOutput,
    children: &probe::rusage::RusageSample,
    tree_io: &IoSample,
    cgroup_peak_bytes: Option<u64>,
    interval: f64,
) {
    let wall = record.duration_seconds;
    let (gpu_stats, container_stats) = (out.gpu_stats, out.container_stats);
    let profiler = match out.profile {
        Ok(p) => p,
        Err(reason) => {
            record.detailed_profile = Some(profile::unavailable(reason, wall, interval));
            return;
        }
    };
    let ru_maxrss_bytes = children.max_rss_kb * 1024;
    let (peak, source) = profile::memory_peak(
        profiler.tree_rss_peak_bytes(),
        profiler.vmhwm_peak_bytes(),
        ru_maxrss_bytes,
        cgroup_peak_bytes,
    );
    record.resource_usage.memory_peak_mb = peak as f64 / BYTES_PER_MB;
    record.measurement.memory_peak_source = source.as_str().to_string();
    let mut detailed = profiler.finish(&profile::RunTotals {
        wall_seconds: wall,
        cpu_seconds: children.user_seconds + children.system_seconds,
        ru_maxrss_bytes,
        io: *tree_io,
        cpus_available: record.host.cpus_available,
    });
    detailed.max_tick_delay_seconds = Some(profile::stats::round_to(out.max_tick_delay_seconds, 4));
    detailed.gpu_stats = gpu_stats;
    detailed.container_stats = container_stats;
    record.detailed_profile = Some(detailed);
}

/// success / failed / signaled, or interrupted when profrun itself received a
/// terminating signal during the run (forwarded, or delivered by the
/// terminal to the whole foreground group).
pub fn status_of(exit: reap::ChildExit, profrun_got_signal: bool) -> Status {
    match exit {
        _ if profrun_got_signal => Status::Interrupted,
        reap::ChildExit::Code(0) => Status::Success,
        reap::ChildExit::Code(_) => Status::Failed,
        reap::ChildExit::Signal(_) => Status::Signaled,
    }
}

fn resource_usage(ru: &probe::rusage::RusageSample, io: &IoSample) -> ResourceUsage {
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

fn now_rfc3339() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Everything known about the job that does not depend on how it ends.
fn base_record(
    args: &RunArgs,
    proc: &ProcRoot,
    task_id: String,
    start_time: chrono::DateTime<Utc>,
) -> JobRecord {
    let files = RealFiles;
    // The record is JSON text: arguments that are not UTF-8 are recorded
    // lossily (U+FFFD), though the job got them byte for byte.
    let command: Vec<String> = args
        .command
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    JobRecord {
        schema_version: SCHEMA_VERSION,
        task_id,
        tool: args
            .tool
            .clone()
            .unwrap_or_else(|| detect::detect_tool(&command, &files)),
        script: detect::detect_script(&command, &files),
        params: args
            .params
            .iter()
            .map(|kv| (kv.key.clone(), kv.value.clone()))
            .collect(),
        tags: args
            .tags
            .iter()
            .map(|kv| (kv.key.clone(), kv.value.clone()))
            .collect(),
        command: redact::redact_command(&command, &args.redact),
        cwd: std::env::current_dir()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        start_time: start_time.to_rfc3339_opts(SecondsFormat::Micros, true),
        end_time: String::new(),
        duration_seconds: 0.0,
        status: Status::FailedToStart,
        returncode: None,
        exit_code: 0,
        signal: None,
        error: None,
        user: probe::host_info::user_record(),
        host: probe::host_info::host_record(proc),
        // vars_os: std::env::vars panics on a variable that is not UTF-8.
        environment: detect::allowed_environment(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        ),
        resource_usage: ResourceUsage::default(),
        measurement: Measurement {
            cpu_source: "getrusage(RUSAGE_CHILDREN)".to_string(),
            memory_peak_source: "ru_maxrss".to_string(),
            io_source: "/proc/self/io delta".to_string(),
            cgroup_backend: "none".to_string(),
            cgroup_note: None,
        },
        descendants_left_running: Vec::new(),
        detailed_profile: None,
        profrun_self: None,
    }
}

/// Append to the history and write `--record-out`. Failures warn and never
/// change the exit code.
fn save(args: &RunArgs, record: &JobRecord) {
    let line = match record.to_line() {
        Ok(line) => line,
        Err(err) => {
            say(&format!(
                "profrun: warning: could not serialise the record: {err}"
            ));
            return;
        }
    };
    match history::path::resolve(args.history.as_deref()) {
        Some(path) => {
            if let Err(err) = history::append::append_line(&path, &line) {
                say(&format!(
                    "profrun: warning: could not write history '{}': {err}; this run was not recorded there",
                    path.display()
                ));
            }
        }
        None => say(
            "profrun: warning: no history path (HOME, XDG_DATA_HOME and PROFRUN_HISTORY are unset); this run was not recorded",
        ),
    }
    if let Some(out) = &args.record_out {
        if let Err(err) = history::append::write_record_file(out, &line) {
            say(&format!(
                "profrun: warning: could not write record '{}': {err}",
                out.display()
            ));
        }
    }
}

/// The summary on stderr and `--json` on stdout; a closed stream is ignored.
fn report(args: &RunArgs, record: &JobRecord) {
    if !args.quiet {
        say(&report::summary::summary(record));
    }
    if args.json {
        if let Ok(line) = record.to_line() {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(&line).and_then(|_| out.flush());
        }
    }
}
