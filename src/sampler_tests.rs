//! The sampling thread with fake probes (timing, first and final samples,
//! failures) and once on the real /proc.

use super::*;
use crate::profile::RunTotals;
use crate::sample::{ProcessReading, TreeSample};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

struct NoReaped;

impl ReapedProbe for NoReaped {
    fn sample(&mut self, _fresh: bool) -> crate::probe::reaped::Reaped {
        Default::default()
    }
}

struct FakeTree {
    calls: Arc<AtomicUsize>,
    fail_after: usize,
}

impl TreeProbe for FakeTree {
    fn sample(&mut self, _now: f64, out: &mut TreeSample) -> std::io::Result<()> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        if n >= self.fail_after {
            return Err(std::io::Error::other("proc unmounted"));
        }
        out.processes = vec![ProcessReading {
            pid: 42,
            starttime_ticks: 1,
            name: Arc::from("fake"),
            utime_seconds: n as f64 * 0.01,
            threads: 3,
            rss_bytes: 1 << 20,
            ..Default::default()
        }];
        Ok(())
    }
}

fn config(interval: Duration) -> SamplerConfig {
    SamplerConfig {
        interval,
        series_cap: 100,
        pss: false,
        proc: ProcRoot::default(),
        root_pid: std::process::id() as i32,
        io_baseline: IoSample::default(),
        main_thread_io_baseline: IoSample::default(),
        job_started: Instant::now(),
    }
}

fn fake(interval: Duration, fail_after: usize) -> (Sampler, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let sampler = start_with(config(interval), move |_| {
        Ok(Probes {
            tree: Box::new(FakeTree {
                calls: c,
                fail_after,
            }),
            host: None,
            reaped: Box::new(NoReaped),
            gpu: None,
            cgroup: None,
            container: None,
            observers: Vec::new(),
        })
    });
    (sampler, calls)
}

fn finish(p: &Profiler) -> crate::record::DetailedProfile {
    p.finish(&RunTotals {
        wall_seconds: 1.0,
        cpus_available: 1,
        ..Default::default()
    })
}

#[test]
fn a_job_shorter_than_one_interval_gets_a_first_and_a_final_sample() {
    let (sampler, calls) = fake(Duration::from_secs(3600), usize::MAX);
    std::thread::sleep(Duration::from_millis(20));
    let out = sampler.stop();
    let profile = out.profile.expect("profile");
    assert_eq!(profile.samples(), 2);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let d = finish(&profile);
    assert_eq!(d.processes.expect("counts").max_threads, 3);
}

#[test]
fn ticks_at_the_interval() {
    let (sampler, _) = fake(Duration::from_millis(10), usize::MAX);
    std::thread::sleep(Duration::from_millis(300));
    let out = sampler.stop();
    let n = out.profile.expect("profile").samples();
    // 30 ticks + first + final; a busy machine may skip some, never add.
    assert!((10..=33).contains(&n), "{n} samples");
    assert!(out.max_tick_delay_seconds < 0.3);
}

#[test]
fn a_tree_that_becomes_unreadable_stops_sampling_but_keeps_the_profile() {
    let (sampler, calls) = fake(Duration::from_millis(5), 3);
    std::thread::sleep(Duration::from_millis(100));
    let out = sampler.stop();
    assert_eq!(out.profile.expect("profile").samples(), 3);
    // The loop stopped at the failure: one more try for the final sample.
    assert_eq!(calls.load(Ordering::SeqCst), 5);
}

#[test]
fn no_proc_means_no_profile_with_the_reason() {
    let mut c = config(Duration::from_millis(10));
    c.proc = ProcRoot("/nonexistent-proc".into());
    let out = start(c, Extras::default()).stop();
    let err = out.profile.expect_err("unavailable");
    assert!(err.contains("/nonexistent-proc/"), "{err}");
}

#[test]
fn samples_the_real_proc_and_reports_its_own_reads() {
    // Rooted at a single-threaded shell that forks `sleep`.
    let mut shell = std::process::Command::new("sh")
        .args(["-c", "sleep 5; exit 0"])
        .spawn()
        .expect("spawn sh");
    let mut c = config(Duration::from_millis(20));
    c.root_pid = shell.id() as i32;
    let sampler = start(c, Extras::default());
    std::thread::sleep(Duration::from_millis(150));
    let out = sampler.stop();
    let _ = shell.kill();
    let _ = shell.wait();
    let d = finish(&out.profile.expect("profile"));
    assert!(d.samples_collected >= 2);
    assert!(d.processes.expect("counts").total_seen >= 1);
    assert!(d.memory.is_some(), "host memory read");
    assert!(
        out.own_io.rchar > 0 && out.own_io.syscr > 0,
        "{:?}",
        out.own_io
    );
}

#[test]
fn gpu_ticks_reach_the_record_and_the_series() {
    use crate::probe::gpu::fake::FakeGpu;
    use crate::probe::gpu::{GpuDeviceSample, GpuProcessSample, GpuTick};
    // Device 0 runs the tree's pid 42; device 1 only a stranger's process.
    let device = |index: u32, pid: i32| GpuDeviceSample {
        index,
        gpu_utilization_percent: Some(80),
        memory_utilization_percent: Some(30),
        memory_used_bytes: Some(2 << 30),
        memory_total_bytes: Some(16 << 30),
        power_milliwatts: Some(200_000),
        temperature_celsius: Some(65),
        sm_clock_mhz: Some(1500),
        processes: vec![GpuProcessSample {
            pid,
            memory_used_bytes: Some(1 << 30),
            sm_utilization_percent: Some(70),
        }],
    };
    let gpu = FakeGpu::new(2).then_tick(GpuTick {
        devices: vec![device(0, 42), device(1, 7)],
    });
    let monitor = GpuMonitor::from_probe(Box::new(gpu));
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let sampler = start_with(config(Duration::from_millis(10)), move |_| {
        Ok(Probes {
            tree: Box::new(FakeTree {
                calls: c,
                fail_after: usize::MAX,
            }),
            host: None,
            reaped: Box::new(NoReaped),
            gpu: Some(monitor),
            cgroup: None,
            container: None,
            observers: Vec::new(),
        })
    });
    std::thread::sleep(Duration::from_millis(60));
    let out = sampler.stop();
    let stats = out.gpu_stats.expect("gpu_stats");
    assert!(stats.available);
    let used: Vec<bool> = stats.devices.iter().map(|d| d.used_by_job).collect();
    assert_eq!(used, vec![true, false]);
    assert!(stats.processes.iter().all(|p| p.pid == 42));
    let d = finish(&out.profile.expect("profile"));
    let ts = d.timeseries.expect("timeseries");
    assert_eq!(ts.gpu_utilization_percent.len(), ts.t_seconds.len());
    assert!(ts
        .gpu_utilization_percent
        .iter()
        .flatten()
        .all(|&u| u == 80.0));
}

/// The power the fake reports on the job's device reaches `now()` each
/// tick, and the energy adds it up between ticks (issue 13: the live
/// endpoint's power and energy were never filled).
#[test]
fn gpu_power_reaches_now_and_its_energy_adds_up() {
    use crate::probe::gpu::fake::FakeGpu;
    use crate::probe::gpu::{GpuDeviceSample, GpuProcessSample, GpuTick};
    let device = |index: u32, pid: i32, milliwatts: u32| GpuDeviceSample {
        index,
        power_milliwatts: Some(milliwatts),
        processes: vec![GpuProcessSample {
            pid,
            ..Default::default()
        }],
        ..Default::default()
    };
    // Only device 0 runs the tree's pid 42: its 150 W count, not the 90 W.
    let gpu = FakeGpu::new(2).then_tick(GpuTick {
        devices: vec![device(0, 42, 150_000), device(1, 7, 90_000)],
    });
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    /// Each tick's time, power and energy so far.
    type Readings = Vec<(f64, Option<f64>, Option<f64>)>;
    struct Power(Arc<std::sync::Mutex<Readings>>);
    impl TickObserver for Power {
        fn on_tick(&mut self, profiler: &Profiler, _final_sample: bool) {
            let now = profiler.now();
            self.0.lock().expect("not poisoned").push((
                now.t_seconds,
                now.gpu_power_watts,
                now.gpu_energy_joules_total,
            ));
        }
    }
    let observer = Power(seen.clone());
    let monitor = GpuMonitor::from_probe(Box::new(gpu));
    let sampler = start_with(config(Duration::from_millis(10)), move |_| {
        Ok(Probes {
            tree: Box::new(FakeTree {
                calls: Arc::new(AtomicUsize::new(0)),
                fail_after: usize::MAX,
            }),
            host: None,
            reaped: Box::new(NoReaped),
            gpu: Some(monitor),
            cgroup: None,
            container: None,
            observers: vec![Box::new(observer)],
        })
    });
    std::thread::sleep(Duration::from_millis(80));
    sampler.stop();
    let seen = seen.lock().expect("not poisoned");
    assert!(seen.len() >= 3, "{seen:?}");
    assert!(seen.iter().all(|&(_, w, _)| w == Some(150.0)), "{seen:?}");
    let (t0, _, e0) = seen[0];
    assert_eq!(e0, Some(0.0));
    for &(t, _, e) in seen.iter() {
        let want = 150.0 * (t - t0);
        let got = e.expect("energy");
        assert!((got - want).abs() < 1e-9, "at {t}: {got} J, want {want}");
    }
}

/// Records what each observer call saw.
struct Seen(Arc<std::sync::Mutex<Vec<(u64, bool, u64)>>>);

impl TickObserver for Seen {
    fn on_tick(&mut self, profiler: &Profiler, final_sample: bool) {
        let now = profiler.now();
        self.0.lock().expect("not poisoned").push((
            profiler.samples(),
            final_sample,
            now.rss_bytes,
        ));
    }
}

#[test]
fn observers_see_every_sample_and_the_final_one_last() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let observer = Seen(seen.clone());
    let sampler = start_with(config(Duration::from_millis(10)), move |_| {
        Ok(Probes {
            tree: Box::new(FakeTree {
                calls: Arc::new(AtomicUsize::new(0)),
                fail_after: usize::MAX,
            }),
            host: None,
            reaped: Box::new(NoReaped),
            gpu: None,
            cgroup: None,
            container: None,
            observers: vec![Box::new(observer)],
        })
    });
    std::thread::sleep(Duration::from_millis(100));
    let samples = sampler.stop().profile.expect("profile").samples();
    let seen = seen.lock().expect("not poisoned");
    assert_eq!(seen.len() as u64, samples, "one call per sample");
    assert!(seen.iter().enumerate().all(|(i, s)| s.0 == i as u64 + 1));
    assert_eq!(seen.iter().filter(|s| s.1).count(), 1);
    assert!(seen.last().expect("calls").1, "the final sample comes last");
    assert_eq!(seen[0].2, 1 << 20, "now() shows the latest tree");
}
