//! The report benchmark (issue 15): generate a 1 000-run history with the
//! query benchmark's generator, time the RELEASE binary on `profrun report`
//! over it (median of several runs) and print the page's size. The page is
//! bounded by `plot::html` (series downsampled, `--runs` newest runs drawn
//! in full, trends capped), so its size should not grow with the history.
//! Not a test: it prints figures.
//!
//! `cargo bench --bench report` (`PROFRUN_BENCH_RECORDS` changes the size,
//! `PROFRUN_BENCH_REPORT=PATH` keeps the page for a look).

#[path = "../tests/common/gen.rs"]
mod gen;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 7;

fn main() {
    let n: u64 = std::env::var("PROFRUN_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("jobs_history.jsonl");
    gen::write_history(&history, n, 42);
    let history_bytes = std::fs::metadata(&history).expect("size").len();
    let page = std::env::var_os("PROFRUN_BENCH_REPORT")
        .map_or_else(|| dir.path().join("report.html"), Into::into);
    let bin = env!("CARGO_BIN_EXE_profrun");
    let run = || {
        let started = Instant::now();
        let status = Command::new(bin)
            .arg("report")
            .arg("--history")
            .arg(&history)
            .arg("-o")
            .arg(&page)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("spawn profrun report");
        assert!(status.success(), "profrun report failed: {status}");
        started.elapsed()
    };
    run(); // warm the page cache
    let mut times: Vec<Duration> = (0..RUNS).map(|_| run()).collect();
    times.sort();
    let size = std::fs::metadata(&page).expect("page written").len();
    println!(
        "history: {n} runs, {:.1} MiB",
        history_bytes as f64 / 1_048_576.0
    );
    println!(
        "profrun report: median {:.3} s (min {:.3} s, max {:.3} s, {RUNS} runs); page {size} bytes ({:.0} KiB)",
        times[RUNS / 2].as_secs_f64(),
        times[0].as_secs_f64(),
        times[RUNS - 1].as_secs_f64(),
        size as f64 / 1024.0
    );
}
