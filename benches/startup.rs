//! Start-up overhead: `profrun --quiet --history <tmp> -- true` against bare
//! `true` and `/usr/bin/time true`, interleaved round-robin so that machine
//! noise hits all alike. Prints medians over RUNS runs of each; the
//! `--no-gpu` / `--no-cgroup` variants show what the NVML probe and the
//! cgroup leaf add, `--checkpoint 0` what the checkpoint does (its first
//! write at the spawn, its removal at the end). `PROFRUN_BENCH_BASELINE=PATH`
//! runs another profrun binary alongside (an older build, to compare).
//!
//! `cargo bench --bench startup` (RUNS=n to change the count, default 60).

use std::process::{Command, Stdio};
use std::time::Instant;

fn time_once(argv: &[&str], runtime: &std::path::Path) -> f64 {
    let start = Instant::now();
    let status = Command::new(argv[0])
        .args(&argv[1..])
        // A checkpoint folder of its own: none of another run's to scan.
        .env("XDG_RUNTIME_DIR", runtime)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("spawn");
    let elapsed = start.elapsed().as_secs_f64() * 1e3;
    assert!(status.success(), "{argv:?} failed");
    elapsed
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    let runtime = dir.path().join("runtime");
    std::fs::create_dir(&runtime).expect("runtime dir");
    std::fs::set_permissions(
        &runtime,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .expect("chmod runtime dir");
    let history = history.to_str().expect("utf8 path");
    let profrun = env!("CARGO_BIN_EXE_profrun");
    let gnu_time = std::path::Path::new("/usr/bin/time").exists();
    // Another build of profrun (the main branch's, say), run alongside.
    let baseline = std::env::var("PROFRUN_BENCH_BASELINE").ok();
    let cases: Vec<(&str, Vec<&str>)> = [
        Some(("true", vec!["true"])),
        gnu_time.then(|| ("/usr/bin/time true", vec!["/usr/bin/time", "true"])),
        Some((
            "profrun --no-gpu --no-cgroup",
            vec![
                profrun,
                "--quiet",
                "--no-gpu",
                "--no-cgroup",
                "--history",
                history,
                "--",
                "true",
            ],
        )),
        Some((
            "profrun --no-gpu",
            vec![
                profrun,
                "--quiet",
                "--no-gpu",
                "--history",
                history,
                "--",
                "true",
            ],
        )),
        baseline.as_deref().map(|other| {
            (
                "PROFRUN_BENCH_BASELINE",
                vec![other, "--quiet", "--history", history, "--", "true"],
            )
        }),
        Some((
            "profrun --checkpoint 0",
            vec![
                profrun,
                "--quiet",
                "--checkpoint",
                "0",
                "--history",
                history,
                "--",
                "true",
            ],
        )),
        Some((
            "profrun -- true",
            vec![profrun, "--quiet", "--history", history, "--", "true"],
        )),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut samples = vec![Vec::with_capacity(runs); cases.len()];
    for (i, (_, argv)) in cases.iter().enumerate() {
        time_once(argv, &runtime); // warm the page cache
        samples[i].clear();
    }
    for _ in 0..runs {
        for (i, (_, argv)) in cases.iter().enumerate() {
            samples[i].push(time_once(argv, &runtime));
        }
    }
    println!("start-up cost, median of {runs} interleaved runs (ms):");
    let medians: Vec<f64> = samples.iter_mut().map(|s| median(s)).collect();
    for ((name, _), m) in cases.iter().zip(&medians) {
        println!("  {name:<22} {m:8.3}");
    }
    let base = medians[0];
    let ours = medians[cases.len() - 1];
    println!("  profrun over true       {:+8.3}", ours - base);
    if gnu_time {
        println!("  profrun over GNU time   {:+8.3}", ours - medians[1]);
        println!("  profrun / GNU time      {:8.2}", ours / medians[1]);
    }
    // The checkpoint's share: the first write, its removal, the folder check.
    let no_checkpoint = medians[cases.len() - 2];
    println!("  checkpoints cost        {:+8.3}", ours - no_checkpoint);
    if baseline.is_some() {
        let other = medians[cases.len() - 3];
        println!("  over PROFRUN_BENCH_BASELINE   {:+8.3}", ours - other);
    }
    if !gnu_time {
        println!("  (/usr/bin/time not installed: apt-get install time)");
    }
}
