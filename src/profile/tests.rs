//! Tests of the run accumulator on hand-built samples.

use std::sync::Arc;

use super::sample::{IoSample, ProcessReading, Sample, TreeSample};
use super::*;

const MB: u64 = 1024 * 1024;

fn proc_(pid: i32, start: u64, cpu: f64, child_cpu: f64, rss_mb: u64) -> ProcessReading {
    ProcessReading {
        pid,
        starttime_ticks: start,
        name: Arc::from("job"),
        state: b'S',
        utime_seconds: cpu,
        cutime_seconds: child_cpu,
        threads: 2,
        rss_bytes: rss_mb * MB,
        hwm_bytes: rss_mb * MB,
        ..Default::default()
    }
}

fn sample(t: f64, reaped: f64, procs: Vec<ProcessReading>) -> Sample {
    Sample {
        t_seconds: t,
        reaped_cpu_seconds: reaped,
        tree: TreeSample {
            root_io: IoSample::default(),
            processes: procs,
        },
        gpu: None,
        host: None,
    }
}

fn profiler() -> Profiler {
    Profiler::new(ProfilerConfig {
        interval_seconds: 0.5,
        series_cap: 8,
        ..Default::default()
    })
}

fn totals(cpu: f64, wall: f64) -> RunTotals {
    RunTotals {
        wall_seconds: wall,
        cpu_seconds: cpu,
        ru_maxrss_bytes: 10 * MB,
        io: IoSample::default(),
        cpus_available: 2,
    }
}

#[test]
fn reaped_children_keep_their_cpu_in_the_live_tree_total() {
    let mut p = profiler();
    // A child burns 0.4 s, exits, and profrun reaps it: its CPU moves from
    // the live sum to RUSAGE_CHILDREN, and the series does not lose it.
    p.push(&mut sample(0.0, 0.0, vec![proc_(10, 1, 0.0, 0.0, 5)]));
    p.push(&mut sample(0.5, 0.0, vec![proc_(10, 1, 0.3, 0.0, 5)]));
    p.push(&mut sample(1.0, 0.4, vec![]));
    // A second child, reaped by a live parent: counted through its cutime.
    p.push(&mut sample(
        1.5,
        0.4,
        vec![proc_(11, 9, 0.0, 0.0, 5), proc_(12, 9, 0.2, 0.0, 5)],
    ));
    p.push(&mut sample(2.0, 0.4, vec![proc_(11, 9, 0.0, 0.25, 5)]));
    let d = p.finish(&totals(0.65, 2.0));
    let ts = d.timeseries.expect("series");
    let integral: f64 = ts
        .t_seconds
        .windows(2)
        .zip(ts.cpu_percent.iter().skip(1))
        .map(|(w, cpu)| cpu.unwrap_or(0.0) / 100.0 * (w[1] - w[0]))
        .sum();
    assert!((integral - 0.65).abs() < 1e-9, "integral {integral}");
    assert_eq!(ts.cpu_percent[0], None);
    assert_eq!(ts.cpu_percent[1], Some(60.0));
    let cpu = d.process_cpu.expect("process_cpu");
    assert_eq!(cpu.mean_percent, 32.5);
    assert_eq!(cpu.max_percent, 60.0);
    assert_eq!(cpu.min_percent, 10.0);
}

#[test]
fn a_tree_counter_going_backwards_gives_no_rate() {
    let mut p = profiler();
    p.push(&mut sample(0.0, 0.0, vec![proc_(10, 1, 1.0, 0.0, 1)]));
    // The process vanished and its CPU was lost (auto-reaped child).
    p.push(&mut sample(0.5, 0.0, vec![]));
    p.push(&mut sample(1.0, 0.0, vec![proc_(20, 5, 0.1, 0.0, 1)]));
    let d = p.finish(&totals(1.1, 1.0));
    let ts = d.timeseries.expect("series");
    assert_eq!(ts.cpu_percent, vec![None, None, Some(20.0)]);
    assert!(d.process_cpu.expect("cpu").min_percent >= 0.0);
}

#[test]
fn zombies_count_for_cpu_and_io_but_not_memory_or_processes() {
    let mut zombie = proc_(10, 1, 2.0, 0.0, 0);
    zombie.state = b'Z';
    zombie.io.read_bytes = 100;
    let mut live = proc_(11, 1, 1.0, 0.5, 7);
    live.io.write_bytes = 50;
    let mut s = sample(3.0, 0.25, vec![zombie, live]);
    s.tree.root_io = IoSample {
        read_bytes: 1000,
        write_bytes: 10,
        ..Default::default()
    };
    let baseline = IoSample {
        read_bytes: 400,
        write_bytes: 20, // above the current value: clamps to zero
        ..Default::default()
    };
    let t = tree_totals(&s, &baseline);
    assert_eq!(t.cpu_seconds, 3.75);
    assert_eq!(t.rss_bytes, 7 * MB);
    assert_eq!((t.processes, t.threads), (1, 2));
    assert_eq!((t.read_bytes, t.write_bytes), (700, 50));
}

#[test]
fn summary_blocks_give_mean_min_max_and_peaks() {
    let mut p = profiler();
    for (i, rss) in [10u64, 30, 20].into_iter().enumerate() {
        let t = i as f64 * 0.5;
        let mut a = proc_(10, 1, t, 0.0, rss);
        a.hwm_bytes = 50 * MB;
        p.push(&mut sample(t, 0.0, vec![a, proc_(11, 1, 0.0, 0.0, rss)]));
    }
    p.push(&mut sample(1.5, 1.0, vec![])); // the final sample, after the reap
    let d = p.finish(&totals(1.0, 1.0));
    assert!(d.available);
    assert_eq!(d.samples_collected, 4);
    let m = d.process_memory.expect("process_memory");
    assert_eq!((m.min_mb, m.mean_mb, m.max_mb), (20.0, 40.0, 60.0));
    let peaks = d.memory_peaks.expect("peaks");
    assert_eq!(
        (peaks.tree_rss_sum_mb, peaks.vmhwm_mb, peaks.ru_maxrss_mb),
        (60.0, 50.0, 10.0)
    );
    let counts = d.processes.expect("counts");
    assert_eq!(
        (counts.max_concurrent, counts.total_seen, counts.max_threads),
        (2, 2, 4)
    );
    assert_eq!(d.top_processes.len(), 2);
    assert_eq!(d.top_processes[0].pid, 10);
    assert_eq!(d.cpu_efficiency, Some(0.5));
    assert_eq!(d.effective_interval_seconds, 0.5);
    assert!(d.cpu.is_none(), "no host samples, no host block");
}

#[test]
fn memory_peak_takes_the_largest_source() {
    assert_eq!(memory_peak(600, 500, 400), (600, PeakSource::TreeRssSum));
    assert_eq!(memory_peak(10, 512, 300), (512, PeakSource::VmHwm));
    assert_eq!(memory_peak(10, 20, 30), (30, PeakSource::RuMaxrss));
    assert_eq!(memory_peak(30, 30, 30), (30, PeakSource::RuMaxrss));
    assert_eq!(PeakSource::TreeRssSum.as_str(), "tree_rss_sum");
}

#[test]
fn cpu_efficiency_is_cpu_over_wall_times_cpus() {
    assert_eq!(cpu_efficiency(3.0, 2.0, 2), Some(0.75));
    assert_eq!(cpu_efficiency(1.0, 0.0, 2), None);
    assert_eq!(cpu_efficiency(1.0, 1.0, 0), None);
}

#[test]
fn a_long_run_with_many_processes_stays_bounded() {
    let mut p = profiler();
    let mut reaped = 0.0;
    for i in 0..20_000u64 {
        // Every tick a new short-lived process; pids wrap around.
        let pid = (i % 500) as i32 + 2;
        reaped += 0.01;
        p.push(&mut sample(
            i as f64 * 0.5,
            reaped,
            vec![proc_(pid, i, 0.005, 0.0, 1)],
        ));
        let (processes, points) = p.retained();
        assert!(points <= 8, "series grew to {points}");
        assert!(
            processes <= 2 * super::processes::TOP_PROCESSES + 1,
            "{processes}"
        );
    }
    let d = p.finish(&totals(200.0, 10_000.0));
    assert_eq!(d.samples_collected, 20_000);
    assert!(d.timeseries.expect("series").len() <= 8);
    // 20 000 ticks in at most 8 points: 4096 ticks each.
    assert_eq!(d.effective_interval_seconds, 0.5 * 4096.0);
    assert_eq!(d.processes.expect("counts").total_seen, 20_000);
}

#[test]
fn unavailable_profile_says_why() {
    let d = unavailable("cannot read '/proc/1/stat'".into(), 1.5, 0.5);
    assert!(!d.available);
    assert_eq!(d.reason.as_deref(), Some("cannot read '/proc/1/stat'"));
    let json = serde_json::to_string(&d).expect("json");
    assert!(!json.contains("timeseries"), "{json}");
}

#[test]
fn io_since_never_goes_negative_and_plus_adds() {
    let later = IoSample {
        rchar: 3924,
        wchar: 1218,
        ..Default::default()
    };
    let earlier = IoSample {
        rchar: 10_000,
        ..Default::default()
    };
    assert_eq!(later.since(&earlier).rchar, 0);
    assert_eq!(later.since(&earlier).wchar, 1218);
    assert_eq!(later.plus(&earlier).rchar, 13_924);
}
