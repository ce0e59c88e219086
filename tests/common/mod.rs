//! Helpers shared by the query tests: the real binary with a fixed time
//! zone and no terminal settings leaking in, and the fixture history.

#![allow(dead_code)]

pub mod checkpoints;
pub mod gen;

#[path = "../support/runtime_dir.rs"]
mod runtime_dir;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The hand-written history under tests/fixtures (8 runs, one in the seed
/// system's format, one long run appended after later-started ones).
pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/history.jsonl")
}

/// `profrun` with TZ=UTC, no COLUMNS/NO_COLOR/PROFRUN_HISTORY from outside,
/// and no config file of the developer's.
pub fn profrun() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_profrun"));
    c.env("TZ", "UTC")
        .env_remove("COLUMNS")
        .env_remove("NO_COLOR")
        .env_remove("PROFRUN_HISTORY")
        .env_remove("PROFRUN_CONFIG")
        .env("XDG_CONFIG_HOME", "/nonexistent/profrun-tests")
        .env("XDG_RUNTIME_DIR", runtime_dir::runtime_dir());
    c
}

pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: Option<i32>,
}

pub fn run(args: &[&str]) -> Run {
    run_cmd(profrun().args(args))
}

/// [`run`] with the checkpoint folder under `runtime` (`XDG_RUNTIME_DIR`).
pub fn run_in(runtime: &Path, args: &[&str]) -> Run {
    run_cmd(profrun().env("XDG_RUNTIME_DIR", runtime).args(args))
}

fn run_cmd(cmd: &mut Command) -> Run {
    let out: Output = cmd.output().expect("run profrun");
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code(),
    }
}

/// Run and require exit 0 and a quiet stderr; returns stdout.
pub fn ok(args: &[&str]) -> String {
    let r = run(args);
    assert_eq!(r.code, Some(0), "{args:?}\nstderr: {}", r.stderr);
    assert_eq!(r.stderr, "", "{args:?}");
    r.stdout
}

/// The `task_id`s of `job-history --format jsonl` output, in order.
pub fn ids(jsonl: &str) -> Vec<String> {
    jsonl
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("jsonl line");
            v["task_id"].as_str().expect("task_id").to_string()
        })
        .collect()
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A generated record (see [`gen::record`]) with its id and times replaced:
/// started at `start_us`, ran `minutes`. For histories in a chosen order.
pub fn record_at(id: &str, start_us: i64, minutes: i64) -> String {
    let mut rng = gen::Rng::new(start_us as u64);
    let mut rec = gen::record(0, &mut rng);
    let time = |us: i64| {
        chrono::DateTime::from_timestamp_micros(us)
            .expect("valid time")
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    };
    let end_us = start_us + minutes * 60_000_000;
    rec["task_id"] = id.into();
    rec["start_time"] = time(start_us).into();
    rec["end_time"] = time(end_us).into();
    rec["duration_seconds"] = (minutes as f64 * 60.0).into();
    format!("{rec}\n")
}

/// One host's history as profrun writes it: `count` runs of 5 minutes, one
/// every 10 minutes from `first` (RFC 3339), in end-time order, with ids
/// `{host}-HHMM` (their start, UTC).
pub fn host_runs(host: &str, first: &str, count: usize) -> String {
    let first = chrono::DateTime::parse_from_rfc3339(first).expect("RFC 3339 time");
    (0..count)
        .map(|i| {
            let start = first + chrono::Duration::minutes(10 * i as i64);
            let id = format!("{host}-{}", start.format("%H%M"));
            record_at(&id, start.timestamp_micros(), 5)
        })
        .collect()
}

/// Write `text` to `name` in a new temporary folder.
pub fn history_file(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write history");
    (dir, path)
}
