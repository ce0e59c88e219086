//! A generator of realistic histories, shared by the query tests and the
//! history benchmark: records with the blocks and field names `profrun run`
//! writes today (see `tests/fixtures/real20.jsonl`): 21-sample columnar
//! time series, per-core CPU, pressure, load, disk and network devices, top
//! processes, container and cgroup blocks, and a GPU block with GPU series
//! on `pytorch` runs; about 5.6 KB a line (6.3 KB with a GPU), over a few
//! tools, scripts, statuses, hosts and tags, one run every ~90 s.

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
/// Hostname, logical CPUs, memory MiB, cgroup backend.
const HOSTS: [(&str, usize, f64, &str); 3] = [
    ("node1", 64, 257_000.0, "cgroup2"),
    ("node2", 64, 257_000.0, "cgroup2"),
    ("ws-lab", 16, 64_221.5, "cgroup1"),
];
/// Status, returncode, signal (number, name).
type Fate = (&'static str, Option<i32>, Option<(i32, &'static str)>);
const STATUSES: [Fate; 6] = [
    ("success", Some(0), None),
    ("success", Some(0), None),
    ("success", Some(0), None),
    ("failed", Some(1), None),
    ("signaled", Some(-9), Some((9, "SIGKILL"))),
    ("interrupted", Some(-2), Some((2, "SIGINT"))),
];
/// Samples per record (the real fixture has 21).
pub const SAMPLES: usize = 21;

/// 2025-01-01T00:00:00Z in µs.
pub const BASE_US: i64 = 1_735_689_600_000_000;

fn rfc3339(us: i64) -> String {
    chrono::DateTime::from_timestamp_micros(us)
        .expect("valid time")
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// `x` rounded to `d` decimals, as the sampler stores figures.
fn r(x: f64, d: i32) -> f64 {
    let m = 10f64.powi(d);
    (x * m).round() / m
}

/// One top-process entry, as the sampler writes it.
fn top_process(rng: &mut Rng, name: &str, pid: u64, cpu: f64, rss: f64, wall: f64) -> Value {
    let start = r(rng.unit() * wall * 0.05, 3);
    json!({
        "name": name, "pid": pid, "cpu_seconds": r(cpu, 3), "peak_rss_mb": r(rss, 3),
        "start_seconds": start, "last_seen_seconds": r(wall - rng.unit() * 0.5, 3),
        "running_at_end": false
    })
}

/// The GPU block of a run that had one (see `src/record/gpu.rs`).
fn gpu_stats(rng: &mut Rng, wall: f64) -> (Value, Vec<f64>, Vec<f64>) {
    let util = 40.0 + rng.unit() * 55.0;
    let mem = 4000.0 + rng.unit() * 30000.0;
    let power = 150.0 + rng.unit() * 200.0;
    let util_series: Vec<f64> = (0..SAMPLES)
        .map(|_| r((util + (rng.unit() - 0.5) * 20.0).clamp(0.0, 100.0), 1))
        .collect();
    let mem_series: Vec<f64> = (0..SAMPLES)
        .map(|_| r(mem * (0.8 + rng.unit() * 0.2), 1))
        .collect();
    let block = json!({
        "available": true,
        "backend": "nvml",
        "samples_collected": SAMPLES,
        "nvidia": {
            "scope": "used_by_job", "device_count": 1,
            "gpu_utilization_percent": r(util, 2), "gpu_utilization_max_percent": 100.0,
            "memory_utilization_percent": r(util * 0.6, 2), "memory_utilization_max_percent": r(util * 0.8, 2),
            "memory_used_mb": r(mem * 0.9, 1), "memory_used_max_mb": r(mem, 1), "memory_total_mb": 81559.0,
            "temperature_celsius": r(45.0 + rng.unit() * 20.0, 1), "temperature_max_celsius": r(66.0 + rng.unit() * 10.0, 1)
        },
        "devices": [{
            "index": 0, "name": "NVIDIA H100 80GB HBM3",
            "uuid": "GPU-5c1e6c2a-8f3d-4b8e-9a6f-1d2e3f4a5b6c", "driver_version": "550.90.07",
            "used_by_job": true,
            "gpu_utilization_mean_percent": r(util, 2), "gpu_utilization_max_percent": 100.0,
            "memory_utilization_mean_percent": r(util * 0.6, 2),
            "memory_used_mean_mb": r(mem * 0.9, 1), "memory_used_max_mb": r(mem, 1), "memory_total_mb": 81559.0,
            "temperature_mean_celsius": r(50.0 + rng.unit() * 10.0, 1), "temperature_max_celsius": 71.0,
            "power_mean_watts": r(power, 2), "power_max_watts": r(power * 1.3, 2),
            "sm_clock_mean_mhz": r(1700.0 + rng.unit() * 280.0, 0), "sm_clock_max_mhz": 1980.0,
            "energy_joules": r(power * wall, 1)
        }],
        "processes": [{
            "pid": 4243, "device_index": 0, "gpu_memory_peak_mb": r(mem * 0.95, 1),
            "sm_utilization_mean_percent": r(util * 0.95, 2), "sm_utilization_max_percent": 99.0,
            "samples": SAMPLES - 1
        }],
        "energy_joules": r(power * wall, 1),
        "power_mean_watts": r(power, 2)
    });
    (block, util_series, mem_series)
}

/// Record number `i` of a history whose runs start every ~90 s: the same
/// blocks and field names as a record `profrun run` writes (see
/// `tests/fixtures/real20.jsonl`), 21 samples, varied values. `pytorch`
/// runs have a GPU block and GPU time-series columns.
pub fn record(i: u64, rng: &mut Rng) -> Value {
    let (tool, script, argv) = *rng.pick(&TOOLS);
    let (status, rc, signal) = *rng.pick(&STATUSES);
    let (hostname, ncpu, host_mem, backend) = *rng.pick(&HOSTS);
    let start_us = BASE_US + i as i64 * 90_000_000 + (rng.unit() * 1e6) as i64;
    let wall = 5.0 + rng.unit() * 80.0;
    let end_us = start_us + (wall * 1e6) as i64;
    let cores = 0.5 + rng.unit() * 3.5;
    let cpu = wall * cores;
    let peak_mb = 200.0 + rng.unit() * 3000.0;
    let n = SAMPLES;
    let dt = wall / (n - 1) as f64;
    let t: Vec<f64> = (0..n).map(|k| r(k as f64 * dt, 3)).collect();
    // A value per sample around `level`, the first one unknown where the
    // sampler needs two readings for a rate.
    let series = |rng: &mut Rng, level: f64, d: i32, first_null: bool| -> Vec<Value> {
        (0..n)
            .map(|k| {
                if first_null && k == 0 {
                    Value::Null
                } else {
                    json!(r(level * (0.5 + rng.unit()), d))
                }
            })
            .collect()
    };
    // I/O comes in bursts: most samples read 0.
    let bursts = |rng: &mut Rng, level: f64| -> Vec<Value> {
        (0..n)
            .map(|k| match (k, rng.unit()) {
                (0, _) => Value::Null,
                (_, u) if u < 0.7 => json!(0.0),
                (_, u) => json!(r(level * u * 3.0, 0)),
            })
            .collect()
    };
    let counts =
        |rng: &mut Rng, max: u64| -> Vec<u64> { (0..n).map(|_| 1 + rng.next() % max).collect() };
    let mut command: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
    command.push((16 << (i % 4)).to_string());
    let exit_code = match signal {
        Some((n, _)) => 128 + n,
        None => rc.unwrap_or(0),
    };
    let read_bytes = (rng.unit() * 5e8) as u64;
    let write_bytes = (rng.unit() * 2e8) as u64;
    let usage = json!({
        "cpu_user_seconds": r(cpu * 0.95, 6), "cpu_system_seconds": r(cpu * 0.05, 6), "cpu_total_seconds": r(cpu, 6),
        "memory_peak_mb": r(peak_mb, 8), "max_rss_mb": r(peak_mb * 0.6, 8),
        "read_bytes": read_bytes, "write_bytes": write_bytes,
        "rchar": read_bytes + (rng.unit() * 9e8) as u64, "wchar": write_bytes + (rng.unit() * 3e8) as u64,
        "syscr": 1000 + rng.next() % 50_000, "syscw": rng.next() % 9000,
        "minor_page_faults": 10_000 + rng.next() % 500_000, "major_page_faults": rng.next() % 40,
        "voluntary_context_switches": rng.next() % 20_000, "involuntary_context_switches": rng.next() % 3000,
        "block_input_ops": read_bytes / 512, "block_output_ops": write_bytes / 512
    });
    let host_used = host_mem * (0.05 + rng.unit() * 0.3);
    let per_core: Vec<f64> = (0..ncpu.min(8)).map(|_| r(rng.unit() * 100.0, 2)).collect();
    let mut ts = serde_json::Map::new();
    ts.insert("t_seconds".into(), json!(t));
    ts.insert(
        "cpu_percent".into(),
        json!(series(rng, cores * 100.0, 1, true)),
    );
    ts.insert("rss_mb".into(), json!(series(rng, peak_mb * 0.8, 3, false)));
    ts.insert(
        "read_bytes_per_second".into(),
        json!(bursts(rng, read_bytes as f64 / wall)),
    );
    ts.insert(
        "write_bytes_per_second".into(),
        json!(bursts(rng, write_bytes as f64 / wall)),
    );
    ts.insert("processes".into(), json!(counts(rng, 6)));
    ts.insert("threads".into(), json!(counts(rng, 24)));
    ts.insert("host_cpu_percent".into(), json!(series(rng, 50.0, 2, true)));
    ts.insert(
        "host_memory_used_mb".into(),
        json!(series(rng, host_used, 3, false)),
    );
    let gpu = if tool == "pytorch" {
        let (block, util, mem) = gpu_stats(rng, wall);
        ts.insert("gpu_utilization_percent".into(), json!(util));
        ts.insert("gpu_memory_used_mb".into(), json!(mem));
        block
    } else {
        json!({"available": false, "reason": "NVML library (libnvidia-ml.so.1) not found: libnvidia-ml.so.1: cannot open shared object file: No such file or directory"})
    };
    let pid = 10_000 + rng.next() % 50_000;
    let cg = format!("/sys/fs/cgroup/profrun.slice/profrun-{pid}-0");
    let cgroup_note = if backend == "cgroup1" {
        json!("cgroup2: memory controller not available in '/sys/fs/cgroup/unified/' (cgroup.controllers: hugetlb)")
    } else {
        Value::Null
    };
    let mut measurement = json!({
        "cpu_source": "getrusage(RUSAGE_CHILDREN)",
        "memory_peak_source": if backend == "cgroup2" { "cgroup memory.peak" } else { "tree_rss_sum" },
        "io_source": "/proc/self/io delta",
        "cgroup_backend": backend
    });
    if !cgroup_note.is_null() {
        measurement["cgroup_note"] = cgroup_note.clone();
    }
    let pressure = |rng: &mut Rng| json!({"some_percent": r(rng.unit() * 5.0, 2), "full_percent": r(rng.unit(), 2), "max_some_avg10_percent": r(rng.unit() * 12.0, 2)});
    let python_rss = 80.0 + rng.unit() * 40.0;
    let top = vec![
        top_process(rng, tool, pid + 1, cpu * 0.8, peak_mb * 0.5, wall),
        top_process(rng, "python3", pid + 2, cpu * 0.15, python_rss, wall),
        top_process(rng, tool, pid + 3, cpu * 0.04, peak_mb * 0.2, wall),
        top_process(rng, "sh", pid, 0.01, 2.055, wall),
    ];
    let load = ncpu as f64 * rng.unit() * 0.5;
    let detailed = json!({
        "available": true,
        "duration_seconds": wall,
        "samples_collected": n,
        "sampling_interval_seconds": 0.5,
        "effective_interval_seconds": r(dt, 3),
        "cpu": {
            "mean_percent": r(20.0 + rng.unit() * 60.0, 2), "max_percent": 100.0, "min_percent": r(rng.unit() * 20.0, 2),
            "iowait_mean_percent": r(rng.unit() * 3.0, 2), "per_core_mean_percent": per_core
        },
        "memory": {
            "mean_used_mb": r(host_used, 3), "max_used_mb": r(host_used * 1.3, 3), "min_used_mb": r(host_used * 0.6, 3),
            "total_mb": r(host_mem, 3), "min_available_mb": r(host_mem - host_used * 1.3, 3),
            "max_cached_mb": r(host_mem * 0.2 * rng.unit(), 3), "max_swap_used_mb": 0.0
        },
        "process_cpu": {"mean_percent": r(cores * 100.0, 2), "max_percent": r(cores * 130.0, 2), "min_percent": 0.0},
        "process_memory": {"mean_mb": r(peak_mb * 0.7, 3), "max_mb": r(peak_mb, 3), "min_mb": r(15.0 + rng.unit() * 10.0, 3), "max_swap_mb": 0.0},
        "memory_peaks": {"tree_rss_sum_mb": r(peak_mb, 3), "vmhwm_mb": r(peak_mb * 0.6, 3), "ru_maxrss_mb": r(peak_mb * 0.6, 3)},
        "io_stats": {
            "read_mb": r(read_bytes as f64 / 1048576.0, 3), "write_mb": r(write_bytes as f64 / 1048576.0, 3),
            "read_count": 1000 + rng.next() % 50_000, "write_count": rng.next() % 9000,
            "total_io_mb": r((read_bytes + write_bytes) as f64 / 1048576.0, 3)
        },
        "network": {
            "rx_bytes": rng.next() % 5_000_000, "tx_bytes": rng.next() % 1_000_000,
            "max_rx_bytes_per_second": r(rng.unit() * 1e6, 1), "max_tx_bytes_per_second": r(rng.unit() * 2e5, 1),
            "interfaces": [{"name": "eth0", "rx_bytes": rng.next() % 5_000_000, "tx_bytes": rng.next() % 1_000_000}]
        },
        "disk": {
            "read_bytes": read_bytes, "write_bytes": write_bytes,
            "max_read_bytes_per_second": r(read_bytes as f64 / wall * 2.0, 1), "max_write_bytes_per_second": r(write_bytes as f64 / wall * 2.0, 1),
            "devices": [{"name": "nvme0n1", "read_bytes": read_bytes, "write_bytes": write_bytes}]
        },
        "pressure": {"cpu": pressure(rng), "memory": pressure(rng), "io": pressure(rng)},
        "load_average": {
            "mean_1m": r(load, 2), "max_1m": r(load * 1.2, 2), "min_1m": r(load * 0.8, 2),
            "last_5m": r(load * 0.9, 2), "last_15m": r(load * 0.7, 2)
        },
        "processes": {"max_concurrent": 2 + rng.next() % 5, "total_seen": 3 + rng.next() % 8, "max_threads": 4 + rng.next() % 20},
        "top_processes": top,
        "cpu_efficiency": r(cores / ncpu as f64, 4),
        "max_tick_delay_seconds": r(rng.unit() * 0.01, 4),
        "timeseries": ts,
        "gpu_stats": gpu,
        "container_stats": {
            "available": true, "kind": "docker", "cgroup_version": if backend == "cgroup1" { 1 } else { 2 },
            "cgroup_path": format!("/process_api/{:016x}{:016x}", rng.next(), rng.next()),
            "cpu_percent": format!("{:.2}", cores * 100.0), "cpu_limit": "unlimited",
            "cpu_usage_seconds": r(cpu * 1.1, 6),
            "memory_usage": format!("{:.3}GiB / unlimited", peak_mb / 1024.0),
            "memory_used_bytes": (peak_mb * 1048576.0) as u64,
            "net_io": "0B / 0B", "net_rx_bytes": 0, "net_tx_bytes": 0,
            "block_io": "0B / 0B", "block_read_bytes": 0, "block_write_bytes": 0
        },
        "cgroup": {
            "backend": backend,
            "leaf": cg,
            "note": cgroup_note,
            "cpu_total_seconds": r(cpu, 6), "cpu_user_seconds": r(cpu * 0.95, 6), "cpu_system_seconds": r(cpu * 0.05, 6),
            "memory_peak_mb": r(peak_mb, 6),
            "memory_peak_source": "memory.peak",
            "read_bytes": read_bytes, "write_bytes": write_bytes, "oom_kills": 0
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
        "host": {"hostname": hostname, "kernel": "6.8.0-45-generic", "cpu_model": "AMD EPYC 7543 32-Core Processor", "logical_cpus": ncpu, "cpus_available": ncpu, "memory_total_mb": host_mem},
        "environment": {"OMP_NUM_THREADS": "4", "SLURM_JOB_ID": (4_000_000 + i).to_string()},
        "resource_usage": usage,
        "measurement": measurement,
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
