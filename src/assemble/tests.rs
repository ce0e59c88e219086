//! The assembler on hand-built inputs: every status, exit and peak source,
//! and golden records (`testdata/*.jsonl`) that pin the bytes of each status.
//! Regenerate a golden after an intended record change with
//! `PROFRUN_BLESS=1 cargo test --lib assemble`.

use super::*;
use crate::profile::sample::Sample;
use crate::profile::ProfilerConfig;
use crate::sample::{ProcessReading, TreeSample};
use std::sync::Arc;

const MB: u64 = 1024 * 1024;

fn identity() -> JobIdentity {
    JobIdentity {
        task_id: "0abc1def2ghj".to_string(),
        tool: "python".to_string(),
        script: Some("train.py".to_string()),
        params: BTreeMap::from([("lr".to_string(), "0.1".to_string())]),
        tags: BTreeMap::new(),
        command: vec!["python".to_string(), "train.py".to_string()],
        cwd: "/work".to_string(),
        start_time: "2026-01-02T03:04:05.000006Z".to_string(),
        user: UserRecord {
            name: Some("ada".to_string()),
            uid: 1000,
        },
        host: HostRecord {
            hostname: "node1".to_string(),
            kernel: "6.1.0".to_string(),
            cpu_model: Some("Test CPU".to_string()),
            logical_cpus: 4,
            cpus_available: 2,
            memory_total_mb: 8192.0,
        },
        environment: BTreeMap::from([("SLURM_JOB_ID".to_string(), "42".to_string())]),
        slurm: None,
    }
}

fn clock() -> RunClock {
    RunClock {
        end_time: "2026-01-02T03:04:07.500006Z".to_string(),
        duration_seconds: 2.5,
    }
}

fn reading(pid: i32, cpu: f64, rss_mb: u64, hwm_mb: u64) -> ProcessReading {
    ProcessReading {
        pid,
        starttime_ticks: 1,
        name: Arc::from("job"),
        state: b'S',
        utime_seconds: cpu,
        threads: 1,
        rss_bytes: rss_mb * MB,
        hwm_bytes: hwm_mb * MB,
        ..Default::default()
    }
}

/// Two processes of 30 MiB RSS each (tree sum 60 MiB), VmHWM 40 MiB.
fn profiler() -> Profiler {
    let mut p = Profiler::new(ProfilerConfig {
        interval_seconds: 0.5,
        series_cap: 8,
        ..Default::default()
    });
    for (i, t) in [0.0, 0.5, 1.0].into_iter().enumerate() {
        let cpu = 0.4 * i as f64;
        p.push(&mut Sample {
            t_seconds: t,
            reaped_cpu_seconds: 0.0,
            reaped_system_seconds: 0.0,
            reaped_io: IoSample::default(),
            tree: TreeSample {
                processes: vec![reading(10, cpu, 30, 40), reading(11, cpu, 30, 30)],
            },
            host: None,
            gpu: None,
            gpu_power_watts: None,
        });
    }
    p
}

fn sampled(profile: Result<Profiler, String>) -> SampledRun {
    SampledRun {
        profile,
        max_tick_delay_seconds: 0.012_345,
        gpu_stats: Some(GpuStatsRecord::unavailable("--no-gpu")),
        container_stats: Some(ContainerStatsRecord::unavailable("not in a container")),
    }
}

fn io(rchar: u64, wchar: u64) -> IoSample {
    IoSample {
        rchar,
        wchar,
        syscr: rchar / 100,
        syscw: wchar / 100,
        read_bytes: rchar / 2,
        write_bytes: wchar / 2,
    }
}

fn cgroup(peak_bytes: Option<u64>) -> CgroupOutcome {
    CgroupOutcome {
        backend: "cgroup2".to_string(),
        note: None,
        stats: CgroupStatsRecord {
            backend: "cgroup2".to_string(),
            leaf: Some("/sys/fs/cgroup/profrun/job".to_string()),
            memory_peak_mb: peak_bytes.map(|b| b as f64 / BYTES_PER_MB),
            memory_peak_source: peak_bytes.map(|_| "memory.peak".to_string()),
            cpu_total_seconds: Some(1.5),
            ..CgroupStatsRecord::default()
        },
        peak_bytes,
    }
}

fn ran(exit: ChildExit, interrupted: bool) -> RanJob {
    RanJob {
        exit,
        signal_name: match exit {
            ChildExit::Signal(9) => Some("SIGKILL".to_string()),
            ChildExit::Signal(15) => Some("SIGTERM".to_string()),
            _ => None,
        },
        wait_error: None,
        interrupted,
        children: RusageSample {
            user_seconds: 1.25,
            system_seconds: 0.25,
            max_rss_kb: 20 * 1024,
            minor_faults: 1000,
            major_faults: 2,
            in_blocks: 8,
            out_blocks: 16,
            voluntary_switches: 30,
            involuntary_switches: 4,
        },
        io: IoReadings {
            tree_before: io(1000, 500),
            tree_after: io(101_000, 20_500),
            ..IoReadings::default()
        },
        left_running: Vec::new(),
        sampled: Some(sampled(Ok(profiler()))),
        cgroup: cgroup(None),
        interval_seconds: 0.5,
        alerts: Vec::new(),
        limit: None,
    }
}

fn record(end: JobEnd) -> JobRecord {
    assemble(identity(), clock(), end, None)
}

fn failed_to_start() -> JobEnd {
    JobEnd::FailedToStart {
        exit_code: 127,
        error: "command not found: 'nope': No such file or directory (os error 2)".to_string(),
        cgroup_backend: "none".to_string(),
        cgroup_note: Some("no cgroup v2 delegation".to_string()),
    }
}

#[test]
fn every_status_from_its_exit() {
    let cases = [
        (ChildExit::Code(0), false, Status::Success, Some(0), 0, None),
        (ChildExit::Code(3), false, Status::Failed, Some(3), 3, None),
        (
            ChildExit::Signal(9),
            false,
            Status::Signaled,
            Some(-9),
            137,
            Some("SIGKILL"),
        ),
        (
            ChildExit::Signal(15),
            true,
            Status::Interrupted,
            Some(-15),
            143,
            Some("SIGTERM"),
        ),
        (
            ChildExit::Code(130),
            true,
            Status::Interrupted,
            Some(130),
            130,
            None,
        ),
    ];
    for (exit, interrupted, status, returncode, exit_code, signal) in cases {
        let r = record(JobEnd::Ran(Box::new(ran(exit, interrupted))));
        assert_eq!(r.status, status, "{exit:?}");
        assert_eq!(r.returncode, returncode, "{exit:?}");
        assert_eq!(r.exit_code, exit_code, "{exit:?}");
        assert_eq!(
            r.signal.as_ref().map(|s| s.name.as_str()),
            signal,
            "{exit:?}"
        );
        assert_eq!(r.error, None);
    }
}

#[test]
fn failed_to_start_keeps_the_error_and_no_profile() {
    let r = record(failed_to_start());
    assert_eq!(r.status, Status::FailedToStart);
    assert_eq!(r.returncode, None);
    assert_eq!(r.exit_code, 127);
    assert!(r.error.as_deref().is_some_and(|e| e.contains("'nope'")));
    assert_eq!(r.detailed_profile, None);
    assert_eq!(r.resource_usage, ResourceUsage::default());
    assert_eq!(r.measurement.memory_peak_source, "ru_maxrss");
    assert_eq!(
        r.measurement.cgroup_note.as_deref(),
        Some("no cgroup v2 delegation")
    );
    assert_eq!(r.end_time, clock().end_time);
}

#[test]
fn a_failed_wait_is_recorded_with_the_internal_code() {
    let mut job = ran(ChildExit::Code(125), false);
    job.wait_error = Some("cannot wait for the job: ECHILD".to_string());
    let r = record(JobEnd::Ran(Box::new(job)));
    assert_eq!(r.status, Status::Failed);
    assert_eq!(r.exit_code, 125);
    assert_eq!(r.error.as_deref(), Some("cannot wait for the job: ECHILD"));
}

#[test]
fn an_unnamed_signal_is_sig_n() {
    let mut job = ran(ChildExit::Signal(40), false);
    job.signal_name = None;
    let r = record(JobEnd::Ran(Box::new(job)));
    assert_eq!(r.signal.map(|s| s.name), Some("SIG40".to_string()));
}

fn peak_of(job: RanJob) -> (f64, String) {
    let r = record(JobEnd::Ran(Box::new(job)));
    (
        r.resource_usage.memory_peak_mb,
        r.measurement.memory_peak_source,
    )
}

#[test]
fn the_tree_sum_is_the_peak_when_largest() {
    assert_eq!(
        peak_of(ran(ChildExit::Code(0), false)),
        (60.0, "tree_rss_sum".to_string())
    );
}

#[test]
fn vmhwm_is_the_peak_when_one_process_peaked_above_the_sum() {
    let mut job = ran(ChildExit::Code(0), false);
    let mut p = profiler();
    p.push(&mut Sample {
        t_seconds: 1.5,
        tree: TreeSample {
            processes: vec![reading(10, 1.0, 10, 90)],
        },
        ..Sample::default()
    });
    job.sampled = Some(sampled(Ok(p)));
    assert_eq!(peak_of(job), (90.0, "vmhwm".to_string()));
}

#[test]
fn ru_maxrss_is_the_peak_when_largest_or_when_nothing_was_sampled() {
    let mut job = ran(ChildExit::Code(0), false);
    job.children.max_rss_kb = 100 * 1024;
    assert_eq!(peak_of(job), (100.0, "ru_maxrss".to_string()));

    let mut job = ran(ChildExit::Code(0), false);
    job.sampled = Some(sampled(Err("cannot read /proc".to_string())));
    let r = record(JobEnd::Ran(Box::new(job)));
    assert_eq!(r.resource_usage.memory_peak_mb, 20.0);
    assert_eq!(r.measurement.memory_peak_source, "ru_maxrss");
    let detailed = r.detailed_profile.expect("an unavailable profile");
    assert!(!detailed.available);
    assert_eq!(detailed.reason.as_deref(), Some("cannot read /proc"));
    assert!(detailed.cgroup.is_some(), "the leaf's figures stay");
}

#[test]
fn the_cgroup_peak_caps_a_double_counted_tree_sum() {
    // 60 MiB tree sum against a leaf that charged 41 MiB: beyond the slack
    // (41/20 + 16 MiB), so the sum double-counted; the leaf's peak is still
    // above the 40 MiB VmHWM. Bytes go straight to MiB, exactly.
    let mut job = ran(ChildExit::Code(0), false);
    job.cgroup = cgroup(Some(41 * MB + 12_345));
    let (mb, source) = peak_of(job);
    assert_eq!(source, "cgroup_peak");
    assert_eq!(mb, (41 * MB + 12_345) as f64 / BYTES_PER_MB);
    // Within the slack the tree sum stands.
    let mut job = ran(ChildExit::Code(0), false);
    job.cgroup = cgroup(Some(50 * MB));
    assert_eq!(peak_of(job), (60.0, "tree_rss_sum".to_string()));
}

#[test]
fn profrun_own_io_is_taken_out_of_the_tree_delta() {
    let readings = IoReadings {
        thread_before: io(100, 0),
        first_read: io(10, 0),
        tree_before: io(1000, 0),
        tree_after: io(5000, 200),
        last_read: io(20, 0),
        thread_after: io(400, 0),
        sampler_own: io(500, 0),
        // The forwarder's checkpoint at a signal.
        other_threads: io(0, 50),
        joining_writes: 1,
    };
    // own = (400-100) - (10+20) + 500 = 770 rchar; 1 + 50 wchar for the
    // join and the checkpoint.
    let tree = readings.tree_io();
    assert_eq!(tree.rchar, 5000 - 1000 - 770);
    assert_eq!(tree.wchar, 149);
    assert_eq!(tree.syscw, 1); // 200/100 - 50/100 - 1
}

fn golden(name: &str, record: &JobRecord) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/assemble/testdata")
        .join(format!("{name}.jsonl"));
    // The exact line the history gets.
    let bytes = record.to_line().expect("serialise");
    if std::env::var_os("PROFRUN_BLESS").is_some() {
        std::fs::write(&path, &bytes).expect("write golden");
    }
    let want = std::fs::read(&path).expect("golden record (PROFRUN_BLESS=1 to write it)");
    assert!(
        want == bytes,
        "{name}: record bytes changed from {}:\n{}",
        path.display(),
        String::from_utf8_lossy(&bytes)
    );
    let back: JobRecord = serde_json::from_slice(&want).expect("golden parses");
    assert_eq!(back.status, record.status);
}

#[test]
fn golden_records_of_each_status_are_unchanged() {
    golden(
        "success",
        &record(JobEnd::Ran(Box::new(ran(ChildExit::Code(0), false)))),
    );
    golden(
        "failed",
        &record(JobEnd::Ran(Box::new(ran(ChildExit::Code(2), false)))),
    );
    golden(
        "signaled",
        &record(JobEnd::Ran(Box::new(ran(ChildExit::Signal(9), false)))),
    );
    let mut interrupted = ran(ChildExit::Signal(15), true);
    interrupted.left_running = vec![ProcessRef {
        pid: 4242,
        name: "sleep".to_string(),
    }];
    golden("interrupted", &record(JobEnd::Ran(Box::new(interrupted))));
    let with_self = assemble(
        identity(),
        clock(),
        failed_to_start(),
        Some(SelfStats {
            cpu_seconds: 0.002,
            peak_rss_kb: 4096,
        }),
    );
    golden("failed_to_start", &with_self);
}

#[test]
fn memory_efficiency_is_against_the_slurm_allocation_when_no_cgroup_limits_the_job() {
    let mut id = identity();
    id.slurm = crate::record::slurm_record(|name| {
        [("SLURM_JOB_ID", "42"), ("SLURM_MEM_PER_NODE", "240")]
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
    });
    let r = assemble(
        id,
        clock(),
        JobEnd::Ran(Box::new(ran(ChildExit::Code(0), false))),
        None,
    );
    assert_eq!(r.slurm.as_ref().map(|s| s.job_id), Some(42));
    let d = r.detailed_profile.expect("profile");
    // Peak 60 MiB (the tree sum) of 240 MiB.
    assert_eq!(d.memory_efficiency, Some(0.25));
    assert_eq!(d.memory_allocation_bytes, Some(240 * 1024 * 1024));
    assert_eq!(
        d.memory_allocation_source.as_deref(),
        Some("slurm_mem_per_node")
    );
    // Outside Slurm and any limited cgroup: no allocation, no efficiency.
    let plain = record(JobEnd::Ran(Box::new(ran(ChildExit::Code(0), false))));
    let d = plain.detailed_profile.expect("profile");
    assert_eq!(
        (d.memory_efficiency, d.memory_allocation_bytes),
        (None, None)
    );
}

#[test]
fn a_crossed_limit_outranks_the_signal_it_sent_and_the_interrupt() {
    let limit = LimitRecord {
        resource: "memory".to_string(),
        limit: 64.0 * 1024.0 * 1024.0,
        value: 80.0 * 1024.0 * 1024.0,
        at_seconds: 1.5,
        mechanism: "sampler".to_string(),
    };
    for (exit, interrupted) in [
        (ChildExit::Signal(15), false),
        (ChildExit::Signal(9), true),
        (ChildExit::Code(0), false),
    ] {
        let mut job = ran(exit, interrupted);
        job.limit = Some(limit.clone());
        let record = assemble(identity(), clock(), JobEnd::Ran(Box::new(job)), None);
        assert_eq!(record.status, Status::LimitExceeded);
        assert_eq!(record.exit_code, EXIT_LIMIT_EXCEEDED);
        assert_eq!(record.limit.as_ref(), Some(&limit));
    }
}
