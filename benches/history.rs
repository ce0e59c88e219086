//! The query benchmark (issue 4; DESIGN.md §6): generate a realistic
//! history of 100 000 records, then time the RELEASE binary on
//! `job-history --limit 10`, `job-details last`, `job-details <prefix>` and
//! `job-stats`, printing the median wall time over several runs and each
//! command's peak RSS (from the child's `wait4` rusage); then `job-stats`
//! and `wc -l` on the same file, runs interleaved, with the ratio of their
//! medians (issue 10's target: at most 3); then `check` and `job-stats`,
//! interleaved, with the ratio of their medians (issue 14's target: at most
//! 2). Not a test: it prints figures.
//!
//! `cargo bench --bench history` (set `PROFRUN_BENCH_RECORDS` to change the
//! size, `PROFRUN_BENCH_HISTORY=PATH` to keep the generated file).

#[path = "../tests/common/gen.rs"]
mod gen;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 11;

/// Run once; wall time and peak RSS in KiB of the child.
fn measure(bin: &str, args: &[&str]) -> (Duration, i64) {
    measure_exiting(bin, args, &[0])
}

/// [`measure`] for a command that may exit with any of `codes` (`check`
/// exits 1 when the generated history holds a regression).
fn measure_exiting(bin: &str, args: &[&str], codes: &[i32]) -> (Duration, i64) {
    let started = Instant::now();
    // Reaped by wait4 below (for its rusage), not by Child::wait.
    #[allow(clippy::zombie_processes)]
    let child = Command::new(bin)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut status = 0;
    // SAFETY: zeroed rusage is valid; wait4 fills it for our own child.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut ru) };
    let wall = started.elapsed();
    assert_eq!(pid, child.id() as i32, "wait4");
    assert!(
        libc::WIFEXITED(status) && codes.contains(&libc::WEXITSTATUS(status)),
        "{args:?} failed"
    );
    (wall, ru.ru_maxrss)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    let n: u64 = std::env::var("PROFRUN_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    // PROFRUN_BENCH_HISTORY keeps the generated file for a closer look.
    let path = std::env::var_os("PROFRUN_BENCH_HISTORY")
        .map_or_else(|| dir.path().join("jobs_history.jsonl"), Into::into);
    let t = Instant::now();
    gen::write_history(&path, n, 42);
    let size = std::fs::metadata(&path).expect("size").len();
    println!(
        "history: {n} records, {:.1} MiB ({} bytes/record), generated in {:.1} s",
        size as f64 / 1048576.0,
        size / n.max(1),
        t.elapsed().as_secs_f64()
    );
    // A prefix of a record in the middle of the file: unique, 9 chars.
    // Streamed, not read whole: a child's ru_maxrss starts from the
    // parent's high-water mark at fork, so this process must stay small.
    let reader = BufReader::new(std::fs::File::open(&path).expect("open"));
    let middle = reader
        .lines()
        .nth((n / 2) as usize)
        .expect("middle line")
        .expect("read");
    let v: serde_json::Value = serde_json::from_str(&middle).expect("json");
    let prefix: String = v["task_id"].as_str().expect("id").chars().take(9).collect();
    let bin = env!("CARGO_BIN_EXE_profrun");
    let h = path.to_str().expect("utf-8 path");
    let cases: [(&str, Vec<&str>, f64); 5] = [
        (
            "job-history --limit 10",
            vec!["job-history", "--history", h, "--limit", "10"],
            0.020,
        ),
        (
            "job-details last",
            vec!["job-details", "--history", h, "last"],
            0.020,
        ),
        (
            "job-details <prefix>",
            vec!["job-details", "--history", h, &prefix],
            0.300,
        ),
        ("job-stats", vec!["job-stats", "--history", h], 1.0),
        (
            "job-history --all --format csv",
            vec!["job-history", "--history", h, "--all", "--format", "csv"],
            f64::NAN,
        ),
    ];
    println!(
        "{:<32} {:>10} {:>10} {:>10} {:>12} {:>8}",
        "command", "median", "min", "max", "peak RSS", "target"
    );
    for (name, args, target) in cases {
        let _ = measure(bin, &args); // warm the page cache
        let mut times = Vec::new();
        let mut rss = 0;
        for _ in 0..RUNS {
            let (t, r) = measure(bin, &args);
            times.push(t);
            rss = rss.max(r);
        }
        let (lo, hi) = (times.iter().min().copied(), times.iter().max().copied());
        let med = median(times);
        let verdict = if target.is_nan() {
            "-".to_string()
        } else if med.as_secs_f64() < target && rss < 50 * 1024 {
            "met".to_string()
        } else {
            "MISSED".to_string()
        };
        println!(
            "{name:<32} {:>8.1}ms {:>8.1}ms {:>8.1}ms {:>9.1} MiB {verdict:>8}",
            med.as_secs_f64() * 1e3,
            lo.unwrap_or_default().as_secs_f64() * 1e3,
            hi.unwrap_or_default().as_secs_f64() * 1e3,
            rss as f64 / 1024.0
        );
    }
    stats_against_wc(bin, h);
    check_against_stats(bin, h);
}

/// `job-stats` and `wc -l` on the same file, one run of each in turn so that
/// both see the same machine, page cache and load.
fn stats_against_wc(bin: &str, h: &str) {
    let stats_args = ["job-stats", "--history", h];
    let _ = measure(bin, &stats_args);
    let _ = measure("wc", &["-l", h]);
    let (mut stats, mut wc) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        stats.push(measure(bin, &stats_args).0);
        wc.push(measure("wc", &["-l", h]).0);
    }
    let (stats, wc) = (median(stats), median(wc));
    let ratio = stats.as_secs_f64() / wc.as_secs_f64();
    println!(
        "job-stats {:.1}ms, wc -l {:.1}ms (medians of {RUNS}, interleaved): {ratio:.2}x wc -l, target <= 3x: {}",
        stats.as_secs_f64() * 1e3,
        wc.as_secs_f64() * 1e3,
        if ratio <= 3.0 { "met" } else { "MISSED" }
    );
}

/// `check` and `job-stats` on the same file, interleaved as above: both read
/// every line through the same skim and group the runs; `check` also keeps
/// each run's figures and sorts every group (issue 14's target: at most 2x).
fn check_against_stats(bin: &str, h: &str) {
    let stats_args = ["job-stats", "--history", h];
    let check_args = ["check", "--history", h];
    let check = |b: &str| measure_exiting(b, &check_args, &[0, 1]);
    let _ = measure(bin, &stats_args);
    let _ = check(bin);
    let (mut stats, mut checks, mut rss) = (Vec::new(), Vec::new(), 0);
    for _ in 0..RUNS {
        stats.push(measure(bin, &stats_args).0);
        let (t, r) = check(bin);
        checks.push(t);
        rss = rss.max(r);
    }
    let (stats, checks) = (median(stats), median(checks));
    let ratio = checks.as_secs_f64() / stats.as_secs_f64();
    println!(
        "check {:.1}ms (peak RSS {:.1} MiB), job-stats {:.1}ms (medians of {RUNS}, interleaved): {ratio:.2}x job-stats, target <= 2x: {}",
        checks.as_secs_f64() * 1e3,
        rss as f64 / 1024.0,
        stats.as_secs_f64() * 1e3,
        if ratio <= 2.0 { "met" } else { "MISSED" }
    );
}
