//! The own-CPU cost of checkpoints (issue 11, item 7), printed (not a timed
//! test): profrun's `--self-stats` CPU at exit wrapping the idle 11-process
//! tree (`workload tree 10 MS`, as the sampler bench) at `--interval 0.5`
//! with `--checkpoint 0` (none), the default (30 s: a rewrite every 30 s)
//! and `--checkpoint 1` (every second), and, when `PROFRUN_BENCH_BASELINE`
//! names a profrun binary (a build from before checkpoints), that binary
//! at its defaults. The variants take turns, so drift in the machine's load
//! spreads over all of them; medians, ranges and ratios are printed.
//!
//! ```text
//! cargo build --release --examples && cargo bench --bench checkpoint
//! PROFRUN_BENCH_BASELINE=/path/to/old/profrun PROFRUN_BENCH_TURNS=3 \
//!     PROFRUN_BENCH_CHECKPOINT_MS=30000 cargo bench --bench checkpoint
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;

/// One way of running profrun.
struct Variant {
    label: String,
    binary: PathBuf,
    flags: Vec<&'static str>,
    cpu_ms: Vec<f64>,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[path = "common/stats.rs"]
mod common_stats;
use common_stats::stats;

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// The idle tree: the workload example when built in this profile, else a
/// shell tree of the same shape.
fn idle_tree(ms: u64) -> (Vec<String>, &'static str) {
    let bin = Path::new(env!("CARGO_BIN_EXE_profrun"));
    let workload = bin.parent().map(|d| d.join("examples/workload"));
    match workload.filter(|w| w.exists()) {
        Some(w) => (
            vec![
                w.display().to_string(),
                "tree".into(),
                "10".into(),
                ms.to_string(),
            ],
            "workload tree 10",
        ),
        None => {
            let secs = format!("{:.3}", ms as f64 / 1000.0);
            let script = format!("for i in 1 2 3 4 5 6 7 8 9 10; do sleep {secs} & done; wait");
            (
                vec!["sh".into(), "-c".into(), script],
                "sh + 10 × sleep (workload not built)",
            )
        }
    }
}

/// profrun's own CPU seconds for one run, from its `--self-stats` line.
fn own_cpu_seconds(v: &Variant, tree: &[String]) -> f64 {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(&v.binary)
        .args(["--quiet", "--self-stats", "--interval", "0.5"])
        .args(&v.flags)
        .arg("--history")
        .arg(dir.path().join("h.jsonl"))
        .env("XDG_RUNTIME_DIR", dir.path())
        .arg("--")
        .args(tree)
        .output()
        .expect("run profrun");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains("self-stats at exit:"))
        .flat_map(|l| l.split_whitespace())
        .find_map(|w| w.strip_prefix("cpu_seconds="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` does not.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let ms: u64 = env_or("PROFRUN_BENCH_CHECKPOINT_MS", 30_000);
    let turns: usize = env_or("PROFRUN_BENCH_TURNS", 3usize).max(1);
    let this = PathBuf::from(env!("CARGO_BIN_EXE_profrun"));
    let variant = |label: &str, binary: &Path, flags: &[&'static str]| Variant {
        label: label.to_string(),
        binary: binary.to_path_buf(),
        flags: flags.to_vec(),
        cpu_ms: Vec::new(),
    };
    let mut variants = vec![
        variant("--checkpoint 0", &this, &["--checkpoint", "0"]),
        variant("default (30 s)", &this, &[]),
        variant("--checkpoint 1", &this, &["--checkpoint", "1"]),
    ];
    if let Some(base) = std::env::var_os("PROFRUN_BENCH_BASELINE") {
        variants.push(variant("baseline", Path::new(&base), &[]));
    }
    let (tree, what) = idle_tree(ms);
    println!(
        "checkpoints: profrun's own CPU wrapping {what} for {:.0} s at --interval 0.5, {turns} turn(s) of {} variants in turn",
        ms as f64 / 1000.0,
        variants.len()
    );
    println!("load average before: {}", load_average());
    for _ in 0..turns {
        for v in &mut variants {
            let cpu = own_cpu_seconds(v, &tree);
            v.cpu_ms.push(cpu * 1000.0);
        }
    }
    println!("load average after: {}", load_average());
    let medians: Vec<f64> = variants
        .iter_mut()
        .map(|v| {
            let (median, lo, hi) = stats(&mut v.cpu_ms);
            let pct = median / ms as f64 * 100.0;
            println!(
                "  {:<15} own CPU {median:7.2} ms [{lo:.2} – {hi:.2}] = {pct:.4} % of a core",
                v.label
            );
            median
        })
        .collect();
    println!(
        "  ratios of medians: default / --checkpoint 0 = {:.3}, --checkpoint 1 / --checkpoint 0 = {:.3}",
        medians[1] / medians[0],
        medians[2] / medians[0]
    );
    if let Some(base) = medians.get(3) {
        println!(
            "  against the baseline: default / baseline = {:.3}, --checkpoint 0 / baseline = {:.3}, --checkpoint 1 / baseline = {:.3}",
            medians[1] / base,
            medians[0] / base,
            medians[2] / base
        );
    }
}
