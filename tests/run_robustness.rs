//! Regression tests for wrapper bugs found in review: each is named after
//! the bug it pins, and runs the real binary on real children.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

mod wrapper;
use wrapper::{last_record, profrun, read_history, signal_when_ready, workload};

// std::env::vars() panicked on a variable that is not UTF-8, after the job
// had started: profrun exited 101, unwaited job, no record.
#[test]
fn non_utf8_environment_does_not_crash_profrun() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    let out = profrun()
        .env(OsStr::from_bytes(b"BAD"), OsStr::from_bytes(b"\xff\xfe"))
        .env(OsStr::from_bytes(b"SLURM_\xff"), "1")
        .arg("--quiet")
        .arg("--history")
        .arg(&history)
        .arg("--")
        .arg(workload())
        .args(["exit", "3"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(read_history(&history).len(), 1);
}

// The command was Vec<String>: clap refused an argument that is not UTF-8
// and the job never ran.
#[test]
fn non_utf8_argument_is_passed_as_given() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    let name = OsStr::from_bytes(b"caf\xe9.txt");
    std::fs::write(dir.path().join(name), b"bytes").expect("write");
    let out = profrun()
        .current_dir(dir.path())
        .arg("--quiet")
        .arg("--history")
        .arg(&history)
        .args(["--", "cat"])
        .arg(name)
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout, b"bytes");
    let rec = &read_history(&history)[0];
    assert_eq!(rec["command"][1], "caf\u{fffd}.txt");
}

// An inherited ignored SIGCHLD made the kernel auto-reap the child: wait4
// failed with ECHILD, profrun exited 125 and wrote no record.
#[test]
fn inherited_ignored_sigchld_still_gives_the_record_and_exit_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    let mut cmd = profrun();
    cmd.arg("--quiet")
        .arg("--history")
        .arg(&history)
        .arg("--")
        .arg(workload())
        .args(["exit", "3"]);
    // SAFETY: only signal() between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGCHLD, libc::SIG_IGN);
            Ok(())
        });
    }
    let out = cmd.output().expect("run");
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(read_history(&history)[0]["returncode"], 3);
}

// eprintln! panicked on a full or closed stderr: exit 101 instead of the
// job's code, and on the failed-to-start path no record at all.
#[test]
fn broken_stderr_keeps_the_exit_code_and_the_record() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    for (argv, code) in [
        (
            vec![workload().display().to_string(), "exit".into(), "3".into()],
            3,
        ),
        (vec!["profrun-no-such-command-xyz".to_string()], 127),
    ] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let st = profrun()
            .arg("--history")
            .arg(&history)
            .arg("--")
            .args(&argv)
            .stderr(full)
            .status()
            .expect("run");
        assert_eq!(st.code(), Some(code), "{argv:?}");
    }
    assert_eq!(read_history(&history).len(), 2);
}

// --kill-after 1e20 passed the parser and panicked after the spawn.
#[test]
fn huge_kill_after_is_a_usage_error() {
    let st = profrun()
        .args(["--kill-after", "1e20", "--", "true"])
        .stderr(Stdio::null())
        .status()
        .expect("run");
    assert_eq!(st.code(), Some(2));
}

/// Run profrun on `sh -c SCRIPT` (whose job prints "ready"), send `sig` to
/// profrun; return its status, the record and the time it took.
fn signal_after_ready(
    script: &str,
    extra: &[&str],
    sig: i32,
) -> (std::process::ExitStatus, Value, Duration) {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    let mut cmd = profrun();
    cmd.env("W", workload())
        .arg("--quiet")
        .arg("--history")
        .arg(&history)
        .args(extra)
        .args(["--", "sh", "-c", script]);
    let (status, took) = signal_when_ready(cmd, sig);
    (status, last_record(&history), took)
}

// After a forwarded SIGTERM profrun returned when the main child died and
// left the rest of the tree running, un-killed.
#[test]
fn forwarded_sigterm_also_stops_the_rest_of_the_tree() {
    let (status, rec, took) = signal_after_ready(
        // "ready" comes from ignore-term once SIGTERM is ignored.
        r#""$W" sleep 30000 & "$W" ignore-term & wait"#,
        &["--kill-after", "0.5"],
        libc::SIGTERM,
    );
    assert_eq!(status.signal(), Some(libc::SIGTERM));
    assert_eq!(rec["status"], "interrupted");
    assert_eq!(
        rec["descendants_left_running"].as_array().map(Vec::len),
        Some(0)
    );
    // The one that ignores SIGTERM needed the SIGKILL after the grace.
    assert!(took >= Duration::from_millis(450), "{took:?}");
    assert!(took < Duration::from_secs(10), "{took:?}");
}

// SIGHUP armed the kill-after: a job run under nohup (SIGHUP ignored) was
// SIGKILLed when its terminal closed.
#[test]
fn sighup_does_not_kill_a_job_that_ignores_it() {
    let (status, rec, took) = signal_after_ready(
        r#"trap "" HUP; echo ready; exec "$W" sleep 1500"#,
        &["--kill-after", "0.3"],
        libc::SIGHUP,
    );
    assert_eq!(status.code(), Some(0));
    assert_eq!(rec["returncode"], 0);
    assert_eq!(rec["status"], "interrupted");
    assert!(took >= Duration::from_millis(1000), "{took:?}");
}

// With --wait-all, once the main child had exited no signal reached the
// rest of the tree (other sessions get nothing from the terminal), so
// profrun could not be stopped.
#[test]
fn wait_all_passes_signals_to_the_rest_of_the_tree() {
    // SIGTERM, not SIGINT: sh starts background jobs with SIGINT ignored.
    // The long grace means a pass proves delivery, not the SIGKILL. sh
    // ignores SIGTERM once the background job is forked: a signal that
    // lands before sh has exited would otherwise kill it (and profrun,
    // mirroring it), which failed 4 runs in 20 on a loaded host.
    let (status, rec, took) = signal_after_ready(
        r#"setsid "$W" sleep 30000 & trap "" TERM; echo ready"#,
        &["--wait-all", "--kill-after", "60"],
        libc::SIGTERM,
    );
    assert_eq!(status.code(), Some(0), "main child exited 0");
    assert_eq!(rec["status"], "interrupted");
    assert!(took < Duration::from_secs(10), "{took:?}");
}

/// `rchar syscr wchar syscw` of `argv` measured by the `io-of` harness.
fn io_truth(argv: &[&str]) -> Vec<u64> {
    let out = Command::new(workload())
        .arg("io-of")
        .args(argv)
        .output()
        .expect("harness");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(|s| s.parse().expect("number"))
        .collect()
}

// profrun subtracted its own first and last /proc reads from the job's
// I/O (and billed it the cgroup joining writes): a constant error that two
// runs compared with each other cannot see.
#[test]
fn job_io_equals_the_jobs_own_counters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.bin");
    std::fs::write(&input, vec![7u8; 10_000]).expect("write");
    let input = input.to_str().expect("utf8");
    let truth = io_truth(&["cat", input]);
    for extra in [&[][..], &["--no-cgroup", "--no-gpu"][..]] {
        let record_out = dir.path().join("rec.json");
        let st = profrun()
            .arg("--quiet")
            .arg("--history")
            .arg(dir.path().join("h.jsonl"))
            .arg("--record-out")
            .arg(&record_out)
            .args(extra)
            .args(["--", "cat", input])
            .stdout(Stdio::null())
            .status()
            .expect("run");
        assert!(st.success());
        let rec: Value =
            serde_json::from_slice(&std::fs::read(&record_out).expect("read")).expect("json");
        let ru = &rec["resource_usage"];
        let got: Vec<u64> = ["rchar", "syscr", "wchar", "syscw"]
            .iter()
            .map(|k| ru[*k].as_u64().expect("counter"))
            .collect();
        assert_eq!(got, truth, "profrun {extra:?} vs the job's own counters");
    }
}
