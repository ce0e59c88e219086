//! The sampler through the real binary with real children (the `workload`
//! example): accuracy of the sampled CPU and memory, per-process detail,
//! bounded cost under a swarm of short-lived processes, bad intervals, and
//! a /proc that cannot be read.

use serde_json::Value;
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard};

mod wrapper;
use wrapper::{profrun, run_workload, workload};

/// Tests whose figures depend on having the CPUs (or that load them
/// heavily) take this, so they do not disturb each other.
fn exclusive() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Run `profrun [opts] -- workload ARGS` into a fresh history; return the
/// process output and the record.
fn run(opts: &[&str], args: &[&str]) -> (Output, Value) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, mut records) = run_workload(dir.path(), opts, args);
    let record = records.pop().unwrap_or_else(|| {
        panic!(
            "no record; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, record)
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn series(record: &Value, column: &str) -> Vec<Option<f64>> {
    record["detailed_profile"]["timeseries"][column]
        .as_array()
        .unwrap_or_else(|| panic!("no column {column}"))
        .iter()
        .map(Value::as_f64)
        .collect()
}

/// CPU seconds under the sampled `cpu_percent` curve.
fn integrated_cpu_seconds(record: &Value) -> f64 {
    let t: Vec<f64> = series(record, "t_seconds").into_iter().flatten().collect();
    let cpu = series(record, "cpu_percent");
    (1..t.len())
        .map(|i| cpu[i].unwrap_or(0.0) / 100.0 * (t[i] - t[i - 1]))
        .sum()
}

fn cpus_available(record: &Value) -> f64 {
    f(&record["host"]["cpus_available"])
}

#[test]
fn sampled_cpu_of_100_short_children_integrates_to_the_rusage_total() {
    let _machine = exclusive();
    let (out, r) = run(&[], &["spawn", "100", "20"]);
    assert!(out.status.success());
    let total = f(&r["resource_usage"]["cpu_total_seconds"]);
    assert!(total >= 1.5, "100 × 20 ms burnt only {total} s");
    let sampled = integrated_cpu_seconds(&r);
    assert!(
        sampled >= 0.9 * total,
        "sampled {sampled:.3} s of {total:.3} s"
    );
    assert!(
        sampled <= 1.05 * total,
        "sampled {sampled:.3} s of {total:.3} s"
    );
}

#[test]
fn a_512_mib_spike_between_ticks_is_the_peak_in_5_of_5_runs() {
    let _machine = exclusive();
    // Touch 512 MiB, hold it 100 ms (shorter than a tick), free it, live on.
    let runs: Vec<_> = (0..5)
        .map(|_| std::thread::spawn(|| run(&[], &["alloc", "512", "100", "1000"]).1))
        .collect();
    for handle in runs {
        let r = handle.join().expect("run thread");
        let peak = f(&r["resource_usage"]["memory_peak_mb"]);
        assert!(
            peak >= 512.0,
            "peak {peak} MiB: {}",
            r["detailed_profile"]["memory_peaks"]
        );
        let source = r["measurement"]["memory_peak_source"]
            .as_str()
            .expect("source");
        assert!(
            ["vmhwm", "ru_maxrss", "tree_rss_sum"].contains(&source),
            "{source}"
        );
    }
}

#[test]
fn a_process_idle_for_many_ticks_is_read_afresh_as_soon_as_it_runs() {
    // Idle for 20 ticks (its `stat` is then skipped, through `schedstat`),
    // 128 MiB held for 300 ms (6 ticks), freed, idle again. The sampled
    // tree RSS must rise and fall with it: were the process read only at
    // the 10-tick re-reads, it would show 0 or 10 high samples, not ~6.
    let (_, r) = run(
        &["--interval", "0.05"],
        &["late", "1000", "128", "300", "700"],
    );
    let rss = series(&r, "rss_mb");
    let high = rss.iter().flatten().filter(|mb| **mb >= 128.0).count();
    assert!(
        (3..=8).contains(&high),
        "{high} samples at 128 MiB or more: {rss:?}"
    );
    let before = rss.iter().take(10).flatten().fold(0.0f64, |a, b| a.max(*b));
    assert!(before < 64.0, "idle at first: {rss:?}");
}

#[test]
fn four_concurrent_children_sum_to_the_tree_peak_and_each_is_listed() {
    let (_, r) = run(&[], &["parallel", "4", "100", "1500"]);
    let d = &r["detailed_profile"];
    let tree_peak = f(&d["memory_peaks"]["tree_rss_sum_mb"]);
    assert!(tree_peak >= 400.0, "tree-sum peak {tree_peak} MiB");
    assert!(f(&d["process_memory"]["max_mb"]) >= 400.0);
    assert_eq!(r["measurement"]["memory_peak_source"], "tree_rss_sum");
    assert!(
        f(&d["processes"]["max_concurrent"]) >= 5.0,
        "{}",
        d["processes"]
    );
    let top = d["top_processes"].as_array().expect("top_processes");
    let mut big: Vec<i64> = top
        .iter()
        .filter(|p| f(&p["peak_rss_mb"]) >= 100.0)
        .map(|p| p["pid"].as_i64().expect("pid"))
        .collect();
    big.sort();
    big.dedup();
    assert_eq!(big.len(), 4, "each child listed: {top:?}");
    for p in top {
        assert!(f(&p["start_seconds"]) <= f(&p["last_seen_seconds"]), "{p}");
    }
}

#[test]
fn with_pss_the_tree_peak_still_counts_memory_gained_since_the_last_pss_reading() {
    // PSS is read when a child is first seen (just after its exec, before
    // it touches its 100 MiB) and then not for 5 s: Σ PSS alone stays far
    // below the 400 MiB the children hold at once.
    let (_, r) = run(&["--pss"], &["parallel", "4", "100", "1500"]);
    let peak = f(&r["resource_usage"]["memory_peak_mb"]);
    let d = &r["detailed_profile"];
    assert!(peak >= 400.0, "peak {peak} MiB: {}", d["memory_peaks"]);
    assert_eq!(r["measurement"]["memory_peak_source"], "tree_rss_sum");
    assert!(f(&d["memory_peaks"]["tree_shared_once_mb"]) >= 400.0);
}

#[test]
fn four_busy_threads_are_counted_and_their_cpu_scales_to_the_machine() {
    let _machine = exclusive();
    let (_, r) = run(&["--interval", "0.25"], &["threads", "4", "1500"]);
    let d = &r["detailed_profile"];
    // Main thread + 4 workers.
    assert!(
        f(&d["processes"]["max_threads"]) >= 5.0,
        "{}",
        d["processes"]
    );
    let cores = cpus_available(&r).min(4.0);
    let wall = f(&r["duration_seconds"]);
    let total = f(&r["resource_usage"]["cpu_total_seconds"]);
    // At most what the machine can give; at least 30 % of it (the host may
    // be shared with other work, which takes its share).
    assert!(
        total <= cores * wall * 1.05,
        "{total} s on {cores} cores in {wall} s"
    );
    assert!(total >= 0.3 * cores * 1.5, "{total} s on {cores} cores");
    let sampled = integrated_cpu_seconds(&r);
    assert!(
        (sampled - total).abs() <= 0.1 * total,
        "sampled {sampled} vs {total}"
    );
    let max = f(&d["process_cpu"]["max_percent"]);
    assert!(max <= cores * 100.0 * 1.25, "max {max} % on {cores} cores");
}

#[test]
fn a_job_shorter_than_one_interval_has_a_first_and_a_final_sample() {
    let (out, r) = run(&[], &["exit", "3"]);
    assert_eq!(out.status.code(), Some(3));
    let d = &r["detailed_profile"];
    assert_eq!(d["available"], true);
    assert!(f(&d["samples_collected"]) >= 2.0, "{d}");
    let t = series(&r, "t_seconds");
    assert!(t.len() >= 2);
    for column in [
        "cpu_percent",
        "rss_mb",
        "read_bytes_per_second",
        "write_bytes_per_second",
        "processes",
        "threads",
        "host_cpu_percent",
        "host_memory_used_mb",
    ] {
        assert_eq!(series(&r, column).len(), t.len(), "{column}");
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("peak ") && stderr.contains("cores"),
        "{stderr}"
    );
}

#[test]
fn many_short_lived_processes_neither_delay_the_sampler_nor_grow_it() {
    let _machine = exclusive();
    // The 10 000 short-lived processes, 8 at a time, at 0.1 s.
    let interval = 0.1;
    let (out, r) = run(
        &["--interval", "0.1", "--self-stats"],
        &["swarm", "10000", "8"],
    );
    assert!(out.status.success());
    let d = &r["detailed_profile"];
    let delay = f(&d["max_tick_delay_seconds"]);
    assert!(delay <= interval, "a tick came {delay} s late");
    let wall = f(&r["duration_seconds"]);
    let samples = f(&d["samples_collected"]);
    assert!(
        samples >= 0.7 * wall / interval,
        "{samples} samples in {wall} s"
    );
    assert!(series(&r, "t_seconds").len() <= 1200);
    assert!(
        f(&d["processes"]["total_seen"]) > 10.0,
        "{}",
        d["processes"]
    );
    assert!(d["top_processes"].as_array().expect("top").len() <= 20);
    // Bounded: profrun's own peak RSS stays small (an unoptimised build).
    let rss_kb = f(&r["profrun_self"]["peak_rss_kb"]);
    assert!(rss_kb < 16.0 * 1024.0, "profrun grew to {rss_kb} KiB");
}

#[test]
fn profruns_own_proc_reads_are_not_the_jobs_io() {
    // At 0.01 s the sampler reads /proc ~100 times a second; none of that
    // may show up as the job's rchar or syscr.
    let (_, slow) = run(&["--interval", "3600"], &["sleep", "1000"]);
    let (_, fast) = run(&["--interval", "0.01"], &["sleep", "1000"]);
    let samples = f(&fast["detailed_profile"]["samples_collected"]);
    assert!(samples >= 20.0, "{samples} samples");
    for key in ["rchar", "syscr"] {
        let (a, b) = (
            f(&slow["resource_usage"][key]),
            f(&fast["resource_usage"][key]),
        );
        assert!((b - a).abs() <= 0.05 * a.max(100.0), "{key}: {a} vs {b}");
    }
}

#[test]
fn pss_is_read_on_request_only() {
    let (_, without) = run(&[], &["alloc", "64", "300", "0"]);
    assert!(without["detailed_profile"]["process_memory"]
        .get("max_pss_mb")
        .is_none());
    let (_, with) = run(&["--pss"], &["alloc", "64", "300", "0"]);
    let pss = f(&with["detailed_profile"]["process_memory"]["max_pss_mb"]);
    assert!(pss > 0.0, "pss {pss}");
}

#[test]
fn a_bad_interval_is_a_usage_error() {
    for bad in ["0", "abc", "3601", "-1"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let history = dir.path().join("h.jsonl");
        let out = profrun()
            .arg("--history")
            .arg(&history)
            .args(["--interval", bad, "--", "true"])
            .output()
            .expect("run profrun");
        assert_eq!(out.status.code(), Some(2), "--interval {bad}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&format!("'{bad}'")), "{stderr}");
        assert!(!history.exists(), "nothing recorded for --interval {bad}");
    }
}

/// Hide /proc behind an empty tmpfs in a user+mount namespace. Where
/// unprivileged namespaces are not allowed, there is nothing to test.
#[test]
fn an_unreadable_proc_still_runs_the_job_and_says_why() {
    let probe = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "true"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: unprivileged user namespaces are not available");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    let script = format!(
        "mount -t tmpfs none /proc && exec '{}' --history '{}' -- '{}' exit 3",
        env!("CARGO_BIN_EXE_profrun"),
        history.display(),
        workload().display()
    );
    let out = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c", &script])
        .output()
        .expect("run unshare");
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&history).expect("history");
    let r: Value = serde_json::from_str(text.trim_end()).expect("record");
    let d = &r["detailed_profile"];
    assert_eq!(d["available"], false);
    assert!(
        d["reason"]
            .as_str()
            .is_some_and(|s| s.contains("/children")),
        "{d}"
    );
    assert_eq!(r["measurement"]["memory_peak_source"], "ru_maxrss");
}

#[test]
fn self_stats_are_printed_again_at_exit_after_the_record_is_written() {
    let (out, r) = run(&["--quiet", "--self-stats"], &["sleep", "50"]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.starts_with("profrun: self-stats at exit: "))
        .unwrap_or_else(|| panic!("no exit line in {stderr:?}"));
    let field = |name: &str| -> f64 {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(name))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {line:?}"))
    };
    let me = &r["profrun_self"];
    // Read later than the record's figures, so never below them.
    assert!(
        field("cpu_seconds=") >= f(&me["cpu_seconds"]),
        "{line} vs {me}"
    );
    assert!(
        field("peak_rss_kb=") >= f(&me["peak_rss_kb"]),
        "{line} vs {me}"
    );
    assert!(field("peak_rss_kb=") > 100.0, "{line}");
}

/// Regression: wave 2's `check` and `plot` maths (`ln`, `exp`, `pow`,
/// `log10`) linked the system's libm.so again, which every run then
/// loaded: about 350 KiB of profrun's resident memory, for functions the
/// run path never calls (docs/performance.md). They come from the `libm`
/// crate now; the running wrapper must not map the system library.
#[test]
fn a_running_profrun_does_not_load_the_systems_libm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = profrun()
        .args(["--quiet", "--history"])
        .arg(dir.path().join("h.jsonl"))
        .args(["--", "sleep", "2"])
        .spawn()
        .expect("spawn profrun");
    // Wait until the loader has mapped everything (the job has started).
    let maps_path = format!("/proc/{}/maps", child.id());
    let mut maps = String::new();
    for _ in 0..100 {
        maps = std::fs::read_to_string(&maps_path).expect("maps of a live profrun");
        if maps.contains("libc.so") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = child.wait().expect("wait");
    assert!(status.success());
    assert!(maps.contains("libc.so"), "maps never showed libc:\n{maps}");
    let libm: Vec<&str> = maps.lines().filter(|l| l.contains("/libm.so")).collect();
    assert!(libm.is_empty(), "profrun maps libm: {libm:#?}");
}
