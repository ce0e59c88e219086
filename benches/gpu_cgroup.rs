//! Per-tick cost of the cgroup and GPU readers, and of what sits on the
//! spawn path (leaf creation) or beside it (NVML initialisation). Prints the
//! median and the 10th–90th percentile range of N repetitions per case.
//!
//! `cargo bench --bench gpu_cgroup` (N=n to change the count, default 2000).
//! The cgroup cases need a writable hierarchy (root); they print why not
//! otherwise. Budget (DESIGN.md §6): ≤ 150 µs per tick for host + GPU.

use std::hint::black_box;
use std::time::Instant;

use profrun::launch::spawn::{spawn, SpawnOptions};
use profrun::probe::cgroup::container::ContainerMarkers;
use profrun::probe::cgroup::{CgroupLayout, CgroupSetup, ContainerProbe};
use profrun::probe::gpu::fake::FakeGpu;
use profrun::probe::gpu::nvml::NvmlProbe;
use profrun::probe::gpu::GpuMonitor;
use profrun::probe::ProcRoot;
use profrun::profile::cgroup::ContainerStatsBuilder;
use profrun::profile::gpu::{series_point, GpuStatsBuilder};

/// Time `n` calls of `f`; return (median, p10, p90) in µs.
fn measure(n: usize, mut f: impl FnMut()) -> (f64, f64, f64) {
    for _ in 0..n.min(50) {
        f(); // warm caches and dentries
    }
    let mut v: Vec<f64> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    v.sort_by(f64::total_cmp);
    (v[n / 2], v[n / 10], v[n * 9 / 10])
}

fn report(name: &str, (median, p10, p90): (f64, f64, f64)) {
    println!("{name:<52} {median:>9.1} µs   (p10 {p10:.1}, p90 {p90:.1})");
}

fn main() {
    let n: usize = std::env::var("N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000)
        .max(10);
    println!("gpu_cgroup bench, {n} repetitions per case (medians)");
    // The very first NVML init of a process (cold dlopen search) is the one
    // a real run pays; time it before anything else warms the loader.
    let t = Instant::now();
    let first = NvmlProbe::open();
    println!(
        "{:<52} {:>9.1} µs   ({})",
        "NVML init, first call in this process",
        t.elapsed().as_secs_f64() * 1e6,
        match &first {
            Ok(_) => "NVML available".to_string(),
            Err(why) => why.reason(),
        }
    );
    // What a run paid before the driver check: dlopen's search of every
    // library folder, in vain where there is no driver.
    let t = Instant::now();
    let searched = NvmlProbe::open_library(std::ffi::OsStr::new("libnvidia-ml.so.1"));
    println!(
        "{:<52} {:>9.1} µs   ({})",
        "dlopen search for libnvidia-ml.so.1, first call",
        t.elapsed().as_secs_f64() * 1e6,
        match &searched {
            Ok(_) => "NVML available".to_string(),
            Err(why) => why.reason(),
        }
    );
    drop(first);
    cgroup_cases(n);
    gpu_cases(n);
}

fn cgroup_cases(n: usize) {
    let proc = ProcRoot::default();
    let layout = match CgroupLayout::detect(&proc) {
        Ok(l) => l,
        Err(e) => {
            println!("cgroup cases skipped: {e}");
            return;
        }
    };
    report(
        "CgroupLayout::detect (/proc/self/cgroup + mountinfo)",
        measure(n.min(500), || {
            black_box(CgroupLayout::detect(&proc).ok());
        }),
    );
    let setup = CgroupSetup::create(&layout);
    let Some(leaf) = setup.leaf else {
        println!("cgroup cases skipped: {}", setup.note.unwrap_or_default());
        return;
    };
    let backend = leaf.backend().as_str();
    // A resident process, so the leaf's files have content (one pid, memory
    // charged) as in a real run.
    let fds = leaf.procs_fds().expect("open cgroup.procs");
    let sleeper = spawn(
        &["sleep".to_string(), "600".to_string()],
        SpawnOptions { cgroup_procs: fds },
    )
    .expect("spawn sleep");
    let reader = leaf.reader();
    println!(
        "{backend} leaf {}: {:?}, pids {:?}",
        leaf.display_paths(),
        reader.sample(),
        reader.pids()
    );
    report(
        &format!("{backend}: memory_current_bytes (per tick)"),
        measure(n, || {
            black_box(reader.memory_current_bytes());
        }),
    );
    report(
        &format!("{backend}: sample() (all figures)"),
        measure(n, || {
            black_box(reader.sample());
        }),
    );
    report(
        &format!("{backend}: pids() (cgroup.procs)"),
        measure(n, || {
            black_box(reader.pids());
        }),
    );
    // SAFETY: our own child.
    unsafe {
        libc::kill(sleeper, libc::SIGKILL);
        libc::waitpid(sleeper, std::ptr::null_mut(), 0);
    }
    drop(reader);
    drop(leaf);

    let m = n.min(300);
    let mut leaves = Vec::with_capacity(m + 50);
    report(
        &format!("{backend}: create leaf + open procs fds (spawn path)"),
        measure(m, || {
            let s = CgroupSetup::create(&layout);
            if let Some(l) = &s.leaf {
                black_box(l.procs_fds().ok());
            }
            leaves.push(s.leaf);
        }),
    );
    report(
        &format!("{backend}: remove leaf (end of run)"),
        measure(m, || {
            if let Some(Some(mut l)) = leaves.pop() {
                black_box(l.remove().ok());
            }
        }),
    );
    drop(leaves);

    match ContainerProbe::detect(&layout, &proc, &ContainerMarkers::detect()) {
        Ok(probe) => {
            let mut builder = ContainerStatsBuilder::new();
            let mut t = 0.0;
            report(
                &format!("container ({}): sample() + push", probe.info().kind),
                measure(n, || {
                    t += 0.5;
                    builder.push(t, probe.sample());
                }),
            );
        }
        Err(reason) => println!("container case skipped: {reason}"),
    }
}

fn gpu_cases(n: usize) {
    let tree: Vec<i32> = (1000..1011).collect(); // an 11-process tree
    for (devices, procs) in [(1, 1), (8, 1), (8, 4)] {
        let mut monitor = GpuMonitor::from_probe(Box::new(FakeGpu::busy(devices, procs)));
        let mut builder = GpuStatsBuilder::new();
        report(
            &format!("fake GPU, {devices} devices × {procs} procs: tick + push + point"),
            measure(n, || {
                if let Some(t) = monitor.tick(&tree) {
                    black_box(series_point(&t));
                    builder.push(&t);
                }
            }),
        );
        black_box(builder.finish(&monitor.finish()));
    }
    let m = n.min(200);
    report(
        "NVML open (driver check, then Nvml::init + device list)",
        measure(m, || {
            black_box(NvmlProbe::open().is_ok());
        }),
    );
    report(
        "GpuMonitor::start_nvml + finish (thread, init, join)",
        measure(m, || {
            black_box(GpuMonitor::start_nvml().finish());
        }),
    );
    let mut starts = Vec::with_capacity(m);
    let mut monitors = Vec::with_capacity(m);
    for _ in 0..m {
        let t = Instant::now();
        monitors.push(GpuMonitor::start_nvml());
        starts.push(t.elapsed().as_secs_f64() * 1e6);
    }
    for mon in monitors {
        black_box(mon.finish());
    }
    starts.sort_by(f64::total_cmp);
    report(
        "GpuMonitor::start_nvml alone (thread spawn, returns at once)",
        (starts[m / 2], starts[m / 10], starts[m * 9 / 10]),
    );
}
