//! A generator of realistic histories, shared by the query tests and the
//! history benchmark: records shaped as `profrun run` and the sampler write
//! them (a ~20-sample time series, top processes, host and I/O blocks), over
//! a few tools, scripts, statuses, hosts and tags, one every ~90 s.

#![allow(dead_code)]

use serde_json::{json, Value};
use std::io::Write;

/// A small deterministic PRNG (xorshift64*), so histories are reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

const TOOLS: [(&str, &str, &[&str]); 4] = [
    (
        "fenicsx",
        "poisson.py",
        &["python3", "poisson.py", "--mesh"],
    ),
    (
        "lammps",
        "in.lj",
        &["mpirun", "-np", "4", "lmp", "-in", "in.lj"],
    ),
    (
        "openfoam",
        "system/controlDict",
        &["simpleFoam", "-case", "cavity"],
    ),
    ("pytorch", "train.py", &["python3", "train.py", "--epochs"]),
];
const HOSTS: [&str; 3] = ["node1", "node2", "ws-lab"];
/// Status, returncode, signal (number, name).
type Fate = (&'static str, Option<i32>, Option<(i32, &'static str)>);
const STATUSES: [Fate; 5] = [
    ("success", Some(0), None),
    ("success", Some(0), None),
    ("success", Some(0), None),
    ("failed", Some(1), None),
    ("signaled", Some(-9), Some((9, "SIGKILL"))),
];

/// 2025-01-01T00:00:00Z in µs.
pub const BASE_US: i64 = 1_735_689_600_000_000;

fn rfc3339(us: i64) -> String {
    chrono::DateTime::from_timestamp_micros(us)
        .expect("valid time")
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Record number `i` of a history whose runs start every ~90 s.
pub fn record(i: u64, rng: &mut Rng) -> Value {
    let (tool, script, argv) = *rng.pick(&TOOLS);
    let (status, rc, signal) = *rng.pick(&STATUSES);
    let start_us = BASE_US + i as i64 * 90_000_000 + (rng.unit() * 1e6) as i64;
    let wall = 5.0 + rng.unit() * 80.0;
    let end_us = start_us + (wall * 1e6) as i64;
    let cores = 0.5 + rng.unit() * 3.5;
    let cpu = wall * cores;
    let peak_mb = 200.0 + rng.unit() * 3000.0;
    let n = 20;
    let t: Vec<f64> = (0..n)
        .map(|k| (k as f64 * wall / (n - 1) as f64 * 100.0).round() / 100.0)
        .collect();
    let series = |rng: &mut Rng, scale: f64| -> Vec<f64> {
        (0..n)
            .map(|_| (rng.unit() * scale * 10.0).round() / 10.0)
            .collect()
    };
    let mut command: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
    command.push((16 << (i % 4)).to_string());
    let exit_code = match signal {
        Some((n, _)) => 128 + n,
        None => rc.unwrap_or(0),
    };
    let usage = json!({
        "cpu_user_seconds": cpu * 0.95, "cpu_system_seconds": cpu * 0.05, "cpu_total_seconds": cpu,
        "memory_peak_mb": peak_mb, "max_rss_mb": peak_mb * 0.6,
        "read_bytes": (rng.unit() * 5e8) as u64, "write_bytes": (rng.unit() * 2e8) as u64,
        "rchar": (rng.unit() * 9e8) as u64, "wchar": (rng.unit() * 3e8) as u64,
        "syscr": 12000, "syscw": 3400, "minor_page_faults": 120_000, "major_page_faults": 12,
        "voluntary_context_switches": 5000, "involuntary_context_switches": 800,
        "block_input_ops": 1000, "block_output_ops": 400
    });
    let detailed = json!({
        "available": true,
        "duration_seconds": wall,
        "samples_collected": n,
        "sampling_interval_seconds": 0.5,
        "effective_interval_seconds": wall / (n - 1) as f64,
        "cpu": {"mean_percent": 45.2, "max_percent": 87.3, "min_percent": 12.1},
        "memory": {"mean_used_mb": 2048.5, "max_used_mb": 2856.3, "min_used_mb": 1024.7},
        "process_cpu": {"mean_percent": cores * 100.0, "max_percent": cores * 130.0, "min_percent": 3.0},
        "process_memory": {"mean_mb": peak_mb * 0.7, "max_mb": peak_mb, "min_mb": 20.0},
        "io_stats": {"read_mb": 128.5, "write_mb": 64.3, "read_count": 1024, "write_count": 512, "total_io_mb": 192.8},
        "network": {"rx_bytes": 123456, "tx_bytes": 65432},
        "processes": {"max_concurrent": 5, "total_seen": 7, "max_threads": 18},
        "top_processes": [
            {"pid": 4242, "name": tool, "cpu_seconds": cpu * 0.8, "peak_rss_mb": peak_mb * 0.5, "lifetime_seconds": wall},
            {"pid": 4243, "name": "python3", "cpu_seconds": cpu * 0.15, "peak_rss_mb": 80.0, "lifetime_seconds": wall * 0.9},
            {"pid": 4250, "name": "sh", "cpu_seconds": 0.01, "peak_rss_mb": 2.0, "lifetime_seconds": 0.2}
        ],
        "cpu_efficiency": cores / 64.0,
        "timeseries": {
            "t_seconds": t,
            "cpu_percent": series(rng, cores * 100.0),
            "rss_mb": series(rng, peak_mb),
            "read_bytes_per_second": series(rng, 1e7),
            "write_bytes_per_second": series(rng, 1e6),
            "processes": series(rng, 5.0),
            "threads": series(rng, 18.0),
            "host_cpu_percent": series(rng, 100.0),
            "host_memory_used_mb": series(rng, 100_000.0)
        }
    });
    json!({
        "schema_version": 1,
        "task_id": profrun::launch::task_id::encode((start_us / 1000) as u64, (rng.next() & 0xF_FFFF) as u32),
        "tool": tool,
        "script": script,
        "params": {"mesh": (16 << (i % 4)).to_string()},
        "tags": {"case": format!("c{}", i % 7), "ci": if i % 2 == 0 { "yes" } else { "no" }},
        "command": command,
        "cwd": "/home/researcher/sims/run",
        "start_time": rfc3339(start_us),
        "end_time": rfc3339(end_us),
        "duration_seconds": wall,
        "status": status,
        "returncode": rc,
        "exit_code": exit_code,
        "signal": signal.map(|(n, name)| json!({"number": n, "name": name})),
        "user": {"name": "researcher", "uid": 1000},
        "host": {"hostname": rng.pick(&HOSTS), "kernel": "6.8.0-45-generic", "cpu_model": "AMD EPYC 7543 32-Core Processor", "logical_cpus": 64, "cpus_available": 64, "memory_total_mb": 257_000.0},
        "environment": {"OMP_NUM_THREADS": "4", "SLURM_JOB_ID": (4_000_000 + i).to_string()},
        "resource_usage": usage,
        "measurement": {"cpu_source": "getrusage(RUSAGE_CHILDREN)", "memory_peak_source": "tree_rss_sum", "io_source": "/proc/self/io delta", "cgroup_backend": "none"},
        "descendants_left_running": [],
        "detailed_profile": detailed,
    })
}

/// Write `n` records (seed `seed`) to `path`, one per line.
pub fn write_history(path: &std::path::Path, n: u64, seed: u64) {
    let mut rng = Rng::new(seed);
    let file = std::fs::File::create(path).expect("create history");
    let mut out = std::io::BufWriter::new(file);
    for i in 0..n {
        let line = serde_json::to_string(&record(i, &mut rng)).expect("serialise");
        out.write_all(line.as_bytes()).expect("write");
        out.write_all(b"\n").expect("write");
    }
    out.flush().expect("flush");
}
