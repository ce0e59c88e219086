//! Helpers shared by the query tests: the real binary with a fixed time
//! zone and no terminal settings leaking in, and the fixture history.

#![allow(dead_code)]

pub mod gen;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The hand-written history under tests/fixtures (8 runs, one in the seed
/// system's format, one long run appended after later-started ones).
pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/history.jsonl")
}

/// `profrun` with TZ=UTC, no COLUMNS/NO_COLOR/PROFRUN_HISTORY from outside.
pub fn profrun() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_profrun"));
    c.env("TZ", "UTC")
        .env_remove("COLUMNS")
        .env_remove("NO_COLOR")
        .env_remove("PROFRUN_HISTORY");
    c
}

pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: Option<i32>,
}

pub fn run(args: &[&str]) -> Run {
    let out: Output = profrun().args(args).output().expect("run profrun");
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
