//! Helpers shared by the tests that run `profrun -- JOB` through the real
//! binary: the binary, the `workload` example, reading the history, and
//! "start it, wait for the job's `ready`, signal profrun".

#![allow(dead_code)] // each test file uses its own subset

#[path = "../support/runtime_dir.rs"]
mod runtime_dir;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The profrun binary, with no history from the environment and no config
/// file of the developer's.
pub fn profrun() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_profrun"));
    cmd.env_remove("PROFRUN_HISTORY")
        .env_remove("PROFRUN_CONFIG")
        .env("XDG_CONFIG_HOME", "/nonexistent/profrun-tests")
        .env("XDG_RUNTIME_DIR", runtime_dir::runtime_dir());
    cmd
}

/// The `workload` example (`cargo test` builds it beside the binary).
pub fn workload() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_profrun"));
    let path = bin.parent().expect("bin dir").join("examples/workload");
    assert!(
        path.exists(),
        "build the example first: cargo build --examples"
    );
    path
}

/// Every record of a history (none if it does not exist).
pub fn read_history(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every history line is valid JSON"))
        .collect()
}

pub fn last_record(path: &Path) -> Value {
    read_history(path).pop().expect("a record")
}

/// Run `profrun --history DIR/h.jsonl [extra] -- workload ARGS`; return its
/// output and the records of that history.
pub fn run_workload(dir: &Path, extra: &[&str], args: &[&str]) -> (Output, Vec<Value>) {
    let history = dir.join("h.jsonl");
    let out = profrun()
        .arg("--history")
        .arg(&history)
        .args(extra)
        .arg("--")
        .arg(workload())
        .args(args)
        .output()
        .expect("run profrun");
    (out, read_history(&history))
}

/// Spawn `cmd` (a profrun whose job prints "ready" on stdout when it is
/// set up) in a process group of its own, wait for "ready", send `sig` to
/// profrun, and return profrun's status and how long it took after the
/// signal.
pub fn signal_when_ready(mut cmd: Command, sig: i32) -> (ExitStatus, Duration) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .process_group(0) // keep the test's own group out of it
        .spawn()
        .expect("spawn profrun");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read");
    assert_eq!(line.trim(), "ready");
    let sent = Instant::now();
    // SAFETY: signalling the profrun process we spawned.
    unsafe { libc::kill(child.id() as i32, sig) };
    let status = child.wait().expect("wait");
    (status, sent.elapsed())
}
