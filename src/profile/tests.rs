//! Tests of the run accumulator on hand-built samples.

use std::sync::Arc;

use super::profiler::own_and_file_bytes;
use super::sample::Sample;
use super::*;
use crate::sample::{IoSample, ProcessReading, TreeSample};

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
        reaped_system_seconds: 0.0,
        reaped_io: IoSample::default(),
        tree: TreeSample { processes: procs },
        gpu: None,
        gpu_power_watts: None,
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
    s.reaped_io = IoSample {
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
    assert_eq!(
        memory_peak(600, 500, 400, None),
        (600, PeakSource::TreeRssSum)
    );
    assert_eq!(memory_peak(10, 512, 300, None), (512, PeakSource::VmHwm));
    assert_eq!(memory_peak(10, 20, 30, None), (30, PeakSource::RuMaxrss));
    assert_eq!(memory_peak(30, 30, 30, None), (30, PeakSource::RuMaxrss));
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

/// The tree CPU rate over every interval of the series, and the integral of
/// the series (`cpu_percent / 100` over `t_seconds`).
fn cpu_series(d: &crate::record::DetailedProfile) -> (Vec<Option<f64>>, f64) {
    let ts = d.timeseries.as_ref().expect("series");
    let integral = ts
        .t_seconds
        .windows(2)
        .zip(ts.cpu_percent.iter().skip(1))
        .map(|(w, cpu)| cpu.unwrap_or(0.0) / 100.0 * (w[1] - w[0]))
        .sum();
    (ts.cpu_percent.clone(), integral)
}

#[test]
fn a_final_sample_just_after_a_tick_does_not_inflate_the_cpu_rate() {
    // One process burns one core for 0.5 s. At the tick its /proc CPU is
    // truncated to whole 10 ms clock ticks (0.49 s); 1 ms later it has been
    // reaped and RUSAGE_CHILDREN has it to the microsecond (0.5003 s). The
    // 10 ms difference over 1 ms read as 1 030 %.
    let mut p = profiler();
    p.push(&mut sample(0.0, 0.0, vec![proc_(10, 1, 0.0, 0.0, 5)]));
    p.push(&mut sample(0.5, 0.0, vec![proc_(10, 1, 0.49, 0.0, 5)]));
    p.push(&mut sample(0.501, 0.5003, vec![]));
    let d = p.finish(&totals(0.5003, 0.501));
    let cpu = d.process_cpu.clone().expect("process_cpu");
    assert_eq!(cpu.max_percent, 98.0, "{cpu:?}");
    assert_eq!(cpu.mean_percent, 98.0);
    let (series, integral) = cpu_series(&d);
    // The final point keeps its gauges but has no rate of its own.
    assert_eq!(series, vec![None, Some(98.0), None]);
    assert_eq!(d.timeseries.expect("series").processes, vec![1, 1, 0]);
    assert!((integral - 0.49).abs() < 1e-9, "integral {integral}");
}

#[test]
fn a_short_interval_mid_run_shares_the_next_rate_and_keeps_its_gauges() {
    // Ticks 0.5 s apart, then one only 5 ms after the last (a late tick
    // caught up): the truncated clock-tick CPU over 5 ms would read 200 %
    // for a single-threaded job. The short point waits, and it and the next
    // one both get the rate over the 0.5 s since the last rate.
    let mut p = profiler();
    p.push(&mut sample(0.0, 0.0, vec![proc_(10, 1, 0.0, 0.0, 5)]));
    p.push(&mut sample(0.5, 0.0, vec![proc_(10, 1, 0.49, 0.0, 5)]));
    p.push(&mut sample(0.505, 0.0, vec![proc_(10, 1, 0.50, 0.0, 50)]));
    p.push(&mut sample(1.0, 0.0, vec![proc_(10, 1, 0.99, 0.0, 5)]));
    assert_eq!(p.retained().1, 4);
    let d = p.finish(&totals(0.99, 1.0));
    let (series, integral) = cpu_series(&d);
    assert_eq!(series, vec![None, Some(98.0), Some(100.0), Some(100.0)]);
    assert!((integral - 0.99).abs() < 1e-9, "integral {integral}");
    let ts = d.timeseries.as_ref().expect("series");
    assert_eq!(ts.rss_mb, vec![5.0, 5.0, 50.0, 5.0]);
    assert_eq!(ts.t_seconds, vec![0.0, 0.5, 0.505, 1.0]);
    let cpu = d.process_cpu.expect("process_cpu");
    assert_eq!((cpu.max_percent, cpu.min_percent), (100.0, 98.0));
    assert_eq!(cpu.mean_percent, 99.0);
}

#[test]
fn ticks_closer_than_two_clock_ticks_never_give_a_rate_of_their_own() {
    // `--interval 0.01`: one busy single-threaded process whose /proc CPU
    // moves in whole 10 ms clock ticks. Readings 9 to 12 ms apart read 0 %
    // or 200 % and more; rates over at least 20 ms stay within 50 % of 100 %.
    let mut p = Profiler::new(ProfilerConfig {
        interval_seconds: 0.01,
        series_cap: 100,
        ..Default::default()
    });
    let clock_ticks = |t: f64| (t * 100.0).floor() / 100.0;
    let mut times = Vec::new();
    let mut t = 0.0;
    for i in 0..40 {
        t += if i % 3 == 0 { 0.012 } else { 0.009 };
        times.push(t);
        p.push(&mut sample(
            t,
            0.0,
            vec![proc_(10, 1, clock_ticks(t), 0.0, 5)],
        ));
    }
    let d = p.finish(&totals(clock_ticks(t), t));
    let cpu = d.process_cpu.clone().expect("process_cpu");
    assert!(cpu.max_percent <= 150.0, "{cpu:?}");
    let (series, integral) = cpu_series(&d);
    assert_eq!(series.len(), 40);
    // Only the first point and a final stretch shorter than 20 ms have no
    // rate; the rest integrate to the CPU between them, exactly.
    let rated: Vec<f64> = times
        .iter()
        .zip(&series)
        .filter(|(_, c)| c.is_some())
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(series[0], None);
    let last = rated.last().copied().unwrap_or(0.0);
    assert!(series[1..=rated.len()].iter().all(Option::is_some));
    assert!(t - last < 0.02, "last rate at {last} of {t}");
    let expected = clock_ticks(last) - clock_ticks(times[0]);
    assert!(
        (integral - expected).abs() < 1e-9,
        "{integral} vs {expected}"
    );
}

fn split(pid: i32, anon_mb: u64, file_mb: u64, hwm_mb: u64) -> ProcessReading {
    ProcessReading {
        rss_anon_bytes: anon_mb * MB,
        rss_file_bytes: file_mb * MB,
        hwm_bytes: hwm_mb * MB,
        ..proc_(pid, 1, 0.0, 0.0, anon_mb + file_mb)
    }
}

#[test]
fn the_headline_peak_counts_file_pages_that_every_process_maps_once() {
    // Four workers exec'd from the same 40 MiB program and libraries, with
    // 10 MiB of their own memory each: Σ RSS says 200 MiB, the tree holds
    // 80 MiB.
    let mut p = profiler();
    let workers: Vec<_> = (0..4).map(|i| split(10 + i, 10, 40, 50)).collect();
    p.push(&mut sample(0.0, 0.0, workers));
    p.push(&mut sample(0.5, 0.0, vec![]));
    assert_eq!(p.tree_rss_peak_bytes(), 80 * MB);
    let (peak, source) = memory_peak(p.tree_rss_peak_bytes(), p.vmhwm_peak_bytes(), 50 * MB, None);
    assert_eq!((peak, source), (80 * MB, PeakSource::TreeRssSum));
    let peaks = p.finish(&totals(0.0, 0.5)).memory_peaks.expect("peaks");
    assert_eq!(peaks.tree_rss_sum_mb, 200.0);
    assert_eq!(peaks.tree_shared_once_mb, Some(80.0));
}

#[test]
fn memory_shared_after_fork_is_not_the_peak_when_pss_was_sampled() {
    // A parent touches 300 MiB and forks 4 idle children (`--pss`). Each
    // child's RSS (and RssAnon) has all 300 MiB: Σ RSS says 1 550 MiB. PSS
    // splits the shared pages: 310 MiB in all.
    let mut p = profiler();
    let mut parent = split(10, 300, 10, 310);
    parent.pss_bytes = Some(70 * MB);
    parent.rss_at_pss_bytes = Some(310 * MB);
    let mut tree = vec![parent];
    for pid in 11..15 {
        let mut child = split(pid, 300, 10, 310);
        child.pss_bytes = Some(60 * MB);
        child.rss_at_pss_bytes = Some(310 * MB);
        tree.push(child);
    }
    p.push(&mut sample(0.0, 0.0, tree));
    p.push(&mut sample(0.5, 0.0, vec![]));
    assert_eq!(p.tree_rss_peak_bytes(), 310 * MB);
    let (peak, _) = memory_peak(
        p.tree_rss_peak_bytes(),
        p.vmhwm_peak_bytes(),
        310 * MB,
        None,
    );
    assert_eq!(peak, 310 * MB);
    let d = p.finish(&totals(0.0, 0.5));
    let peaks = d.memory_peaks.expect("peaks");
    assert_eq!(peaks.tree_rss_sum_mb, 1550.0);
    assert_eq!(peaks.tree_shared_once_mb, Some(310.0));
}

#[test]
fn a_stale_pss_counts_what_the_rss_gained_or_lost_since() {
    let with_pss = |rss_mb: u64, pss_mb: u64, then_mb: u64| ProcessReading {
        pss_bytes: Some(pss_mb * MB),
        rss_at_pss_bytes: Some(then_mb * MB),
        ..split(10, rss_mb, 0, rss_mb)
    };
    // Read when the process had just started (2 MiB, PSS 1), now 100 MiB.
    assert_eq!(own_and_file_bytes(&with_pss(100, 1, 2)), (99 * MB, 0));
    // Freed 50 of its 100 MiB since a PSS of 60.
    assert_eq!(own_and_file_bytes(&with_pss(50, 60, 100)), (10 * MB, 0));
    // Never below 0 nor above the RSS.
    assert_eq!(own_and_file_bytes(&with_pss(30, 50, 100)), (0, 0));
    assert_eq!(own_and_file_bytes(&with_pss(30, 50, 10)), (30 * MB, 0));
    // No reading of when (older probes): the PSS as it is.
    let mut p = with_pss(30, 20, 0);
    p.rss_at_pss_bytes = None;
    assert_eq!(own_and_file_bytes(&p), (20 * MB, 0));
    // Without the RssAnon/RssFile/RssShmem split, all of the RSS.
    assert_eq!(own_and_file_bytes(&proc_(10, 1, 0.0, 0.0, 7)), (7 * MB, 0));
}

// Memory shared copy-on-write after fork() made the tree sum (and so the
// headline) several times the job's real memory; a cgroup peak, which
// charges each page once, now bounds it.
#[test]
fn a_cgroup_peak_caps_a_tree_sum_inflated_by_shared_pages() {
    const M: u64 = 1 << 20;
    // 300 MiB touched, then 4 forks sharing it: the sum reads 1500.
    assert_eq!(
        memory_peak(1500 * M, 310 * M, 312 * M, Some(313 * M)),
        (313 * M, PeakSource::CgroupPeak)
    );
    // A sum a little above the cgroup peak (libraries charged to another
    // cgroup) is not double counting: it stays.
    assert_eq!(
        memory_peak(402 * M + M / 2, 100 * M, 100 * M, Some(402 * M)),
        (402 * M + M / 2, PeakSource::TreeRssSum)
    );
    // A cgroup peak above the sum (page cache) changes nothing.
    assert_eq!(
        memory_peak(400, 100, 100, Some(900)),
        (400, PeakSource::TreeRssSum)
    );
    // Never below what one process provably used.
    assert_eq!(
        memory_peak(1500 * M, 520 * M, 512 * M, Some(300 * M)),
        (520 * M, PeakSource::VmHwm)
    );
}

/// A profiler for a job whose affinity mask holds one CPU.
fn one_core_profiler() -> Profiler {
    Profiler::new(ProfilerConfig {
        interval_seconds: 0.5,
        series_cap: 8,
        max_cores: Some(1.0),
        ..Default::default()
    })
}

/// `taskset -c 0 profrun -- workload cpu 1100` read `max 1.07`–`1.28`
/// cores: the last interval ends at the reap, where the exact reaped time
/// replaces a live reading cut to whole clock ticks. No rate is above the
/// CPUs the job may use.
#[test]
fn a_cpu_rate_at_a_reap_is_never_above_the_cpus_the_job_may_use() {
    let mut p = one_core_profiler();
    p.push(&mut sample(0.0, 0.0, vec![proc_(10, 1, 0.0, 0.0, 5)]));
    // Read as 0.49 s of CPU (ticks cut), exactly 0.5 s burnt.
    p.push(&mut sample(0.5, 0.0, vec![proc_(10, 1, 0.49, 0.0, 5)]));
    // Reaped 0.1 s later with 0.62 s: 130 % over the last 0.1 s.
    p.push(&mut sample(0.6, 0.62, vec![]));
    let d = p.finish(&totals(0.62, 0.6));
    let ts = d.timeseries.expect("series");
    assert_eq!(ts.cpu_percent, vec![None, Some(98.0), Some(100.0)]);
    assert_eq!(d.process_cpu.expect("cpu").max_percent, 100.0);

    // Without a reap in the interval nothing is cut: a job may widen its
    // affinity past profrun's mask (4 threads on 4 CPUs under `taskset`).
    let mut p = one_core_profiler();
    p.push(&mut sample(0.0, 0.0, vec![proc_(10, 1, 0.0, 0.0, 5)]));
    p.push(&mut sample(0.5, 0.0, vec![proc_(10, 1, 2.0, 0.0, 5)]));
    let ts = p.finish(&totals(2.0, 0.5)).timeseries.expect("series");
    assert_eq!(ts.cpu_percent, vec![None, Some(400.0)]);

    // Without a known mask, nothing is cut.
    let mut p = profiler();
    p.push(&mut sample(0.0, 0.0, vec![proc_(10, 1, 0.0, 0.0, 5)]));
    p.push(&mut sample(0.5, 0.0, vec![proc_(10, 1, 0.49, 0.0, 5)]));
    p.push(&mut sample(0.6, 0.62, vec![]));
    let ts = p.finish(&totals(0.62, 0.6)).timeseries.expect("series");
    assert!(ts.cpu_percent[2].is_some_and(|c| c > 129.0), "{ts:?}");
}
