//! End-to-end tests of `profrun -- COMMAND`: the real binary on real child
//! processes (the `workload` example), checking exit mirroring, kernel
//! accounting, signals, daemons and the history file.

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

mod wrapper;
use wrapper::{profrun, read_history, run_workload, signal_when_ready, workload};

fn f(v: &Value, ptr: &str) -> f64 {
    v.pointer(ptr)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("{ptr} missing in {v}"))
}

#[test]
fn exit_codes_are_mirrored() {
    let dir = tempfile::tempdir().expect("tempdir");
    for code in [0, 3, 255] {
        let (out, records) = run_workload(dir.path(), &["--quiet"], &["exit", &code.to_string()]);
        assert_eq!(out.status.code(), Some(code));
        let rec = records.last().expect("a record");
        assert_eq!(rec["returncode"], code);
        let want = if code == 0 { "success" } else { "failed" };
        assert_eq!(rec["status"], want);
    }
}

#[test]
fn child_killed_by_sigkill_makes_shell_see_137() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    let script = format!(
        "'{}' --quiet --history '{}' -- '{}' kill-self 9; echo \"rc=$?\"",
        env!("CARGO_BIN_EXE_profrun"),
        history.display(),
        workload().display()
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .output()
        .expect("sh");
    assert!(String::from_utf8_lossy(&out.stdout).contains("rc=137"));
    let rec = &read_history(&history)[0];
    assert_eq!(rec["signal"]["number"], 9);
    assert_eq!(rec["signal"]["name"], "SIGKILL");
    assert_eq!(rec["status"], "signaled");
    assert_eq!(rec["returncode"], -9);
    assert_eq!(rec["exit_code"], 137);
}

#[test]
fn profrun_dies_of_the_childs_signal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, records) = run_workload(dir.path(), &["--quiet"], &["kill-self", "15"]);
    assert_eq!(out.status.signal(), Some(15));
    assert_eq!(records[0]["signal"]["number"], 15);
}

#[test]
fn missing_and_unexecutable_commands_record_failed_to_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    let out = profrun()
        .args(["--history"])
        .arg(&history)
        .args(["--", "profrun-no-such-command-xyz"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(127));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("profrun-no-such-command-xyz"), "{stderr}");

    let not_exec = dir.path().join("data.txt");
    std::fs::write(&not_exec, "not a program").expect("write");
    let out = profrun()
        .arg("--history")
        .arg(&history)
        .arg("--")
        .arg(&not_exec)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(126));

    let records = read_history(&history);
    assert_eq!(records.len(), 2);
    for (rec, code) in records.iter().zip([127, 126]) {
        assert_eq!(rec["status"], "failed_to_start");
        assert_eq!(rec["exit_code"], code);
        assert!(rec["returncode"].is_null());
        assert!(rec["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
}

#[test]
fn cpu_of_100_short_children_is_counted() {
    // The `rusage` mode isolates the truth: RUSAGE_CHILDREN around profrun
    // alone, not around everything this test binary runs in parallel.
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    let out = Command::new(workload())
        .arg("rusage")
        .arg(env!("CARGO_BIN_EXE_profrun"))
        .args(["--quiet", "--history"])
        .arg(&history)
        .arg("--")
        .arg(workload())
        .args(["spawn", "100", "20"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let truth: f64 = text
        .split_whitespace()
        .map(|s| s.parse::<f64>().expect("seconds"))
        .sum();
    let rec = &read_history(&history)[0];
    let recorded = f(rec, "/resource_usage/cpu_total_seconds");
    assert!(truth >= 2.0, "100 × 20 ms should burn ≥ 2 s, got {truth}");
    assert!(
        recorded >= 0.95 * truth,
        "recorded {recorded} s < 95 % of {truth} s"
    );
}

fn pid_alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks existence.
    unsafe { libc::kill(pid, 0) == 0 }
}

#[test]
fn double_forked_daemon_is_listed_and_left_running() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pidfile = dir.path().join("daemon.pid");
    let started = Instant::now();
    let (out, records) = run_workload(
        dir.path(),
        &["--quiet"],
        &["daemon", "3000", pidfile.to_str().expect("utf8")],
    );
    assert!(out.status.success());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "profrun waited for the daemon"
    );
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .expect("pidfile")
        .trim()
        .parse()
        .expect("pid");
    let listed = records[0]["descendants_left_running"]
        .as_array()
        .expect("array");
    assert!(
        listed.iter().any(|p| p["pid"] == pid),
        "daemon {pid} not in {listed:?}"
    );
    assert!(pid_alive(pid), "the daemon must keep running");
    // SAFETY: cleaning up the daemon we started.
    unsafe { libc::kill(pid, libc::SIGKILL) };
}

#[test]
fn wait_all_waits_for_the_daemon_and_counts_its_cpu() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pidfile = dir.path().join("daemon.pid");
    let (out, records) = run_workload(
        dir.path(),
        &["--quiet", "--wait-all"],
        &["daemon", "400", pidfile.to_str().expect("utf8")],
    );
    assert!(out.status.success());
    let rec = &records[0];
    assert_eq!(
        rec["descendants_left_running"].as_array().map(Vec::len),
        Some(0)
    );
    assert!(f(rec, "/resource_usage/cpu_total_seconds") >= 0.38);
    assert!(f(rec, "/duration_seconds") >= 0.55);
}

#[test]
fn fsynced_write_is_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("out.bin");
    let (out, records) = run_workload(
        dir.path(),
        &["--quiet"],
        &["write", "64", target.to_str().expect("utf8")],
    );
    assert!(out.status.success());
    let written = f(&records[0], "/resource_usage/write_bytes");
    assert!(written >= 64.0 * 1048576.0, "write_bytes {written}");
    assert!(f(&records[0], "/resource_usage/wchar") >= 64.0 * 1048576.0);
}

/// Run profrun on a workload mode that prints "ready", send `sig` to
/// profrun, and return its status, the record and the time it took.
fn signal_profrun(
    mode: &str,
    sig: i32,
    extra: &[&str],
) -> (std::process::ExitStatus, Value, Duration) {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    let mut cmd = profrun();
    cmd.arg("--quiet")
        .arg("--history")
        .arg(&history)
        .args(extra)
        .arg("--")
        .arg(workload())
        .arg(mode);
    let (status, took) = signal_when_ready(cmd, sig);
    (status, wrapper::last_record(&history), took)
}

#[test]
fn sigterm_reaches_the_child_and_the_run_is_interrupted() {
    let (status, rec, took) = signal_profrun("trap-term", libc::SIGTERM, &[]);
    // Without forwarding the child would sleep its 60 s and exit 0 anyway.
    assert!(took < Duration::from_secs(10), "{took:?}");
    // The child handled SIGTERM and exited 0: profrun mirrors that.
    assert_eq!(status.code(), Some(0));
    assert_eq!(rec["status"], "interrupted");
    assert_eq!(rec["returncode"], 0);
}

#[test]
fn sigint_from_kill_is_forwarded() {
    let (status, rec, _) = signal_profrun("ignore-term", libc::SIGINT, &[]);
    assert_eq!(status.signal(), Some(libc::SIGINT));
    assert_eq!(rec["status"], "interrupted");
    assert_eq!(rec["signal"]["name"], "SIGINT");
}

#[test]
fn kill_after_sigkills_a_child_that_ignores_sigterm() {
    let (status, rec, elapsed) =
        signal_profrun("ignore-term", libc::SIGTERM, &["--kill-after", "0.5"]);
    assert_eq!(status.signal(), Some(libc::SIGKILL));
    assert_eq!(rec["status"], "interrupted");
    assert_eq!(rec["signal"]["number"], 9);
    assert!(elapsed >= Duration::from_millis(450), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[test]
fn child_starts_with_empty_signal_mask_and_default_dispositions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = profrun();
    cmd.arg("--quiet")
        .arg("--history")
        .arg(dir.path().join("h.jsonl"))
        .args(["--", "grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"]);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_IGN);
            libc::signal(libc::SIGUSR2, libc::SIG_IGN);
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGUSR1);
            libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            Ok(())
        });
    }
    let out = cmd.output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("SigBlk:\t0000000000000000"), "{text}");
    assert!(text.contains("SigIgn:\t0000000000000000"), "{text}");
}

#[test]
fn sixteen_concurrent_profruns_append_800_intact_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    let handles: Vec<_> = (0..16)
        .map(|i| {
            let history = history.clone();
            std::thread::spawn(move || {
                for j in 0..50 {
                    let st = profrun()
                        .arg("--quiet")
                        .arg("--history")
                        .arg(&history)
                        .args(["--tag", &format!("writer={i}"), "--tag", &format!("n={j}")])
                        .args(["--", "true"])
                        .status()
                        .expect("run");
                    assert!(st.success());
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("writer thread");
    }
    let records = read_history(&history);
    assert_eq!(records.len(), 800);
    let mut ids: Vec<&str> = records
        .iter()
        .filter_map(|r| r["task_id"].as_str())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 800, "task ids must be unique");
}

#[test]
fn record_after_a_torn_line_lands_on_its_own_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    std::fs::write(&history, "{\"task_id\":\"torn\",\"stat").expect("write");
    let st = profrun()
        .arg("--quiet")
        .arg("--history")
        .arg(&history)
        .args(["--", "true"])
        .status()
        .expect("run");
    assert!(st.success());
    let text = std::fs::read_to_string(&history).expect("read");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    let rec: Value = serde_json::from_str(lines[1]).expect("the new record parses");
    assert_eq!(rec["status"], "success");
}

#[test]
fn unwritable_history_warns_and_keeps_the_exit_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A directory, a full disk (/dev/full), and a parent that cannot exist.
    for history in [
        dir.path().to_path_buf(),
        PathBuf::from("/dev/full"),
        PathBuf::from("/proc/profrun-test/h.jsonl"),
    ] {
        let out = profrun()
            .arg("--quiet")
            .arg("--history")
            .arg(&history)
            .arg("--")
            .arg(workload())
            .args(["exit", "7"])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(7), "history {}", history.display());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("warning: could not write history"),
            "{stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "one clear warning: {stderr}");
    }
}

#[test]
fn usage_errors_exit_2_and_record_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    for args in [
        vec!["--"],
        vec!["--no-such-option", "--", "true"],
        vec!["--tag", "novalue", "--", "true"],
        vec!["--interval", "0", "--", "true"],
        vec!["--interval", "abc", "--", "true"],
    ] {
        let out = profrun()
            .arg("--history")
            .arg(&history)
            .args(&args)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    assert!(!history.exists());
}

#[test]
fn empty_profrun_history_is_treated_as_unset() {
    let dir = tempfile::tempdir().expect("tempdir");
    let st = profrun()
        .env("PROFRUN_HISTORY", "")
        .env("XDG_DATA_HOME", dir.path())
        .args(["--quiet", "--", "true"])
        .status()
        .expect("run");
    assert!(st.success());
    let default = dir.path().join("profrun/jobs_history.jsonl");
    assert_eq!(read_history(&default).len(), 1);
}

#[test]
fn record_carries_tags_params_tool_script_and_allowed_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    let record_out = dir.path().join("artifacts/record.json");
    let script = dir.path().join("in.lj");
    std::fs::write(&script, "units lj\n").expect("write");
    let out = profrun()
        .current_dir(dir.path())
        .env("SLURM_JOB_ID", "4242")
        .env("CI_JOB_TOKEN", "do-not-record")
        .env("GITHUB_RUN_ID", "77")
        .arg("--history")
        .arg(&history)
        .arg("--record-out")
        .arg(&record_out)
        .args(["--tag", "mesh=64", "--param", "steps=100", "--json"])
        .args(["--", "env", "OMP_NUM_THREADS=1", "true", "in.lj"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let rec = &read_history(&history)[0];
    assert_eq!(rec["schema_version"], 1);
    assert_eq!(rec["tags"]["mesh"], "64");
    assert_eq!(rec["params"]["steps"], "100");
    assert_eq!(rec["tool"], "true");
    assert_eq!(rec["script"], "in.lj");
    assert_eq!(rec["environment"]["SLURM_JOB_ID"], "4242");
    assert_eq!(rec["environment"]["GITHUB_RUN_ID"], "77");
    assert!(rec["environment"].get("CI_JOB_TOKEN").is_none());
    assert!(
        !String::from_utf8_lossy(&std::fs::read(&history).expect("read")).contains("do-not-record")
    );
    assert_eq!(rec["command"][0], "env");
    assert!(rec["host"]["logical_cpus"].as_u64().is_some_and(|n| n >= 1));
    assert!(rec["start_time"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z') && t.len() == 27));
    // --record-out and --json carry the same record.
    let artifact: Value =
        serde_json::from_slice(&std::fs::read(&record_out).expect("read")).expect("json");
    assert_eq!(&artifact, rec);
    let printed: Value = serde_json::from_slice(&out.stdout).expect("stdout json");
    assert_eq!(&printed, rec);
    // The history is private to its owner.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&history)
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn summary_goes_to_stderr_and_quiet_silences_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, records) = run_workload(dir.path(), &[], &["cpu", "50"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let id = records[0]["task_id"].as_str().expect("id");
    assert!(
        stderr.starts_with(&format!("profrun: {id}  success (exit 0)")),
        "{stderr}"
    );
    assert!(
        stderr.contains("wall") && stderr.contains("CPU"),
        "{stderr}"
    );
    let (out, _) = run_workload(dir.path(), &["--quiet"], &["cpu", "50"]);
    assert!(out.stderr.is_empty());
}

#[test]
fn run_subcommand_is_the_same_as_bare_form() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    let out = profrun()
        .args(["run", "--quiet", "--history"])
        .arg(&history)
        .arg("--")
        .arg(workload())
        .args(["exit", "4"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(read_history(&history).len(), 1);
}

// Issue 10: the seed's blocks `cpu`, `process_cpu` and `process_memory` were
// left out of a job too short to have a rate, so a seed consumer reading
// `detailed_profile["cpu"]["mean_percent"]` failed on `profrun -- true`.
#[test]
fn a_job_too_short_for_a_rate_still_has_the_seed_cpu_blocks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    let st = profrun()
        .arg("--quiet")
        .arg("--history")
        .arg(&history)
        .args(["--", "true"])
        .status()
        .expect("run profrun");
    assert!(st.success());
    let rec = &read_history(&history)[0];
    let detailed = &rec["detailed_profile"];
    for ptr in [
        "/cpu/mean_percent",
        "/process_cpu/mean_percent",
        "/process_memory/max_mb",
    ] {
        let figure = detailed
            .pointer(ptr)
            .unwrap_or_else(|| panic!("{ptr} missing in {detailed}"));
        assert!(figure.is_null() || figure.is_f64(), "{ptr}: {figure}");
    }
    // Whether `true` lasted long enough for a rate depends on the machine's
    // load; the null form itself is pinned by
    // `record::detailed::tests::a_block_without_a_rate_is_written_with_null_figures`.
}

/// profrun's own writes (its checkpoints, written by the sampler's thread,
/// and the main thread's lines on a stderr that is a file on disk) are in
/// `/proc/<profrun>/io` with the reaped children's: they must not show up
/// as the job's write rate in the series, or fire a `write_rate` alert,
/// when the job itself writes nothing.
#[test]
fn profruns_own_checkpoint_and_stderr_writes_are_not_the_jobs_write_rate() {
    // On disk: writes to tmpfs are never storage bytes, so there the bug
    // would not show.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let runtime = dir.path().join("runtime");
    std::fs::create_dir(&runtime).expect("runtime dir");
    let history = dir.path().join("h.jsonl");
    let stderr = std::fs::File::create(dir.path().join("stderr.txt")).expect("stderr file");
    let status = profrun()
        .env("XDG_RUNTIME_DIR", &runtime)
        .arg("--history")
        .arg(&history)
        .args(["--interval", "0.1", "--checkpoint", "0.1"])
        .args([
            "--metrics-listen",
            "127.0.0.1:0",
            "--alert",
            "w=write_rate>1B",
        ])
        .arg("--")
        .arg(workload())
        // Two reaps mid-run, so the counters are re-read while it runs too.
        .args(["spawn", "2", "300"])
        .stderr(stderr)
        .status()
        .expect("run profrun");
    let err = std::fs::read_to_string(dir.path().join("stderr.txt")).expect("stderr");
    assert!(status.success(), "{err}");
    assert!(
        err.contains("/metrics"),
        "the main thread wrote its line: {err}"
    );
    let rec = &read_history(&history)[0];
    assert_eq!(f(rec, "/detailed_profile/io_stats/write_mb"), 0.0, "{rec}");
    let rates = rec
        .pointer("/detailed_profile/timeseries/write_bytes_per_second")
        .and_then(Value::as_array)
        .expect("write rate series");
    assert!(rates.len() >= 5, "{rates:?}");
    assert!(
        rates.iter().all(|r| r.as_f64().unwrap_or(0.0) == 0.0),
        "{rates:?}"
    );
    assert!(rec.get("alerts").is_none(), "{rec}");
    assert!(!err.contains("alert w"), "{err}");
}

/// At a forwarded signal the forwarder thread writes a checkpoint naming
/// it; on a disk-backed checkpoint folder that was `wrote 8.0 KiB` for a
/// job that writes nothing.
#[test]
fn the_checkpoint_written_at_a_forwarded_signal_is_not_the_jobs_io() {
    // On disk: writes to tmpfs are never storage bytes, so there the bug
    // would not show.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let runtime = dir.path().join("runtime");
    std::fs::create_dir(&runtime).expect("runtime dir");
    let history = dir.path().join("h.jsonl");
    let mut cmd = profrun();
    cmd.env("XDG_RUNTIME_DIR", &runtime)
        .args(["--quiet", "--interval", "0.1", "--history"])
        .arg(&history)
        .arg("--")
        .arg(workload())
        .arg("trap-term");
    signal_when_ready(cmd, libc::SIGTERM);
    let rec = &read_history(&history)[0];
    assert_eq!(rec["status"], "interrupted", "{rec}");
    assert_eq!(f(rec, "/detailed_profile/io_stats/write_mb"), 0.0, "{rec}");
    assert_eq!(f(rec, "/resource_usage/write_bytes"), 0.0, "{rec}");
}

/// `scancel --signal=USR1` and `sbatch --signal=USR1@60` ask a job to
/// checkpoint: SIGUSR1's default action killed profrun (rc 138) and left
/// the job running with no record. It is passed on; the run is not
/// `interrupted` and names no signal.
#[test]
fn sigusr1_is_passed_on_to_the_job_and_does_not_kill_profrun() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    let mut cmd = profrun();
    cmd.args(["--quiet", "--history"]).arg(&history).args([
        "--",
        "sh",
        "-c",
        "trap 'exit 7' USR1; echo ready; i=0; while [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; exit 1",
    ]);
    let (status, _) = signal_when_ready(cmd, libc::SIGUSR1);
    assert_eq!(status.code(), Some(7), "{status:?}");
    let rec = &read_history(&history)[0];
    assert_eq!(rec["status"], "failed", "{rec}");
    assert_eq!(rec["exit_code"], 7, "{rec}");
    assert!(rec["signal"].is_null(), "{rec}");
}
