//! A SIGKILLed profrun's run is not lost (issue 11, item 7): the checkpoint
//! it kept is shown by readers as `lost`, appended once by the next run on
//! the same history, and a checkpoint written at a forwarded signal is
//! recovered as `interrupted`. The real binary, real processes, a
//! checkpoint folder of the test's own (`XDG_RUNTIME_DIR`).

mod wrapper;
use proptest::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use wrapper::{profrun, read_history, workload};

/// A run's world: its checkpoint folder and history, and the jobs to kill
/// at the end (a SIGKILLed profrun leaves its job running, as an orphan).
struct World {
    runtime: tempfile::TempDir,
    dir: tempfile::TempDir,
    orphans: Vec<i32>,
}

impl World {
    fn new() -> World {
        World {
            runtime: tempfile::tempdir().expect("tempdir"),
            dir: tempfile::tempdir().expect("tempdir"),
            orphans: Vec::new(),
        }
    }

    fn history(&self) -> PathBuf {
        self.dir.path().join("h.jsonl")
    }

    fn checkpoints(&self) -> PathBuf {
        self.runtime.path().join("profrun")
    }

    fn profrun(&self) -> Command {
        let mut cmd = profrun();
        cmd.env("XDG_RUNTIME_DIR", self.runtime.path());
        cmd
    }

    /// `profrun --checkpoint 1 --history H -- workload sleep 5000`.
    fn start_sleeper(&self, history: &Path) -> Child {
        self.start_job(history, &["sleep", "5000"])
    }

    /// `profrun --checkpoint 1 --history H -- workload ARGS`.
    fn start_job(&self, history: &Path, args: &[&str]) -> Child {
        self.profrun()
            .args(["-q", "--checkpoint", "1", "--history"])
            .arg(history)
            .arg("--")
            .arg(workload())
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn profrun")
    }

    fn checkpoint_files(&self) -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(self.checkpoints()) else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect()
    }

    /// SIGKILL profrun after `after`, and remember its job for the cleanup.
    fn kill_profrun_after(&mut self, mut child: Child, after: Duration) -> Value {
        std::thread::sleep(after);
        child.kill().expect("SIGKILL profrun");
        let _ = child.wait();
        let files = self.checkpoint_files();
        assert_eq!(files.len(), 1, "one checkpoint: {files:?}");
        let cp: Value =
            serde_json::from_slice(&std::fs::read(&files[0]).expect("read")).expect("json");
        let job = cp["job_pid"].as_i64().expect("job_pid") as i32;
        self.orphans.push(job);
        cp
    }

    fn run_true(&self, history: &Path) -> std::process::Output {
        self.profrun()
            .args(["-q", "--history"])
            .arg(history)
            .args(["--", "true"])
            .output()
            .expect("run profrun")
    }

    fn job_history(&self, history: &Path) -> (Vec<Value>, String) {
        let out = self
            .profrun()
            .args(["job-history", "--format", "jsonl", "--history"])
            .arg(history)
            .output()
            .expect("job-history");
        assert!(out.status.success());
        let rows = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("jsonl"))
            .collect();
        (rows, String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

impl Drop for World {
    fn drop(&mut self) {
        for pid in &self.orphans {
            // SAFETY: plain kill(2) of a job this test started.
            unsafe { libc::kill(*pid, libc::SIGKILL) };
        }
    }
}

fn statuses(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| r["status"].as_str().unwrap_or("?").to_string())
        .collect()
}

// Regression (issue 11, item 7): a SIGKILLed profrun lost the whole run.
#[test]
fn sigkilled_profrun_is_shown_lost_and_appended_once_by_the_next_run() {
    let mut w = World::new();
    let child = w.start_sleeper(&w.history());
    let cp = w.kill_profrun_after(child, Duration::from_millis(2500));
    let job = cp["job_pid"].as_i64().expect("pid");
    assert_eq!(cp["record"]["status"], "running");
    assert!(cp["record"]["duration_seconds"].as_f64().expect("duration") >= 0.9);

    let (rows, _) = w.job_history(&w.history());
    assert_eq!(statuses(&rows), ["lost"], "{rows:?}");
    assert!(!w.history().exists(), "readers write nothing");

    let out = w.run_true(&w.history());
    assert!(out.status.success());
    let records = read_history(&w.history());
    assert_eq!(statuses(&records), ["lost", "success"]);
    let lost = &records[0];
    assert_eq!(lost["task_id"], cp["record"]["task_id"]);
    assert_eq!(lost["end_time"], cp["record"]["end_time"]);
    let note = lost["error"].as_str().expect("note");
    assert!(note.contains(&format!("pid {job}")), "{note}");
    assert!(w.checkpoint_files().is_empty());

    w.run_true(&w.history());
    assert_eq!(
        statuses(&read_history(&w.history())),
        ["lost", "success", "success"]
    );
}

// Regression (found merging issue 16's checkpoint work): a profrun killed
// after its own append but before it removed its checkpoint left both, and
// the next run appended the same run a second time, as `lost`.
#[test]
fn a_run_killed_between_its_append_and_its_checkpoints_removal_is_not_recorded_twice() {
    let mut w = World::new();
    let child = w.start_sleeper(&w.history());
    let cp = w.kill_profrun_after(child, Duration::from_millis(2500));
    // What its append would have written: the run's record, one line.
    let mut record = cp["record"].clone();
    record["status"] = "success".into();
    let line = serde_json::to_string(&record).expect("line");
    assert!(line.contains(&format!("\"task_id\":{}", cp["record"]["task_id"])));
    std::fs::write(w.history(), format!("{line}\n")).expect("write");

    assert!(w.run_true(&w.history()).status.success());
    let records = read_history(&w.history());
    assert_eq!(
        statuses(&records),
        ["success", "success"],
        "the killed run once, then the new one: {records:?}"
    );
    let id = &cp["record"]["task_id"];
    assert_eq!(records.iter().filter(|r| &r["task_id"] == id).count(), 1);
    assert!(w.checkpoint_files().is_empty(), "the orphan is removed");
}

// Regression (issue 11, item 7): exactly once when several profruns start
// together.
#[test]
fn two_next_runs_started_together_append_it_once() {
    let mut w = World::new();
    let child = w.start_sleeper(&w.history());
    w.kill_profrun_after(child, Duration::from_millis(1600));
    let spawn = || {
        w.profrun()
            .args(["-q", "--history"])
            .arg(w.history())
            .args(["--", "true"])
            .spawn()
            .expect("spawn")
    };
    let (mut a, mut b) = (spawn(), spawn());
    a.wait().expect("wait");
    b.wait().expect("wait");
    let mut got = statuses(&read_history(&w.history()));
    got.sort();
    assert_eq!(got, ["lost", "success", "success"]);
}

// Regression (issue 11, item 7): a checkpoint belongs to its history only.
#[test]
fn a_checkpoint_of_another_history_is_left_alone() {
    let mut w = World::new();
    let child = w.start_sleeper(&w.history());
    w.kill_profrun_after(child, Duration::from_millis(1600));
    let other = w.dir.path().join("other.jsonl");
    w.run_true(&other);
    assert_eq!(statuses(&read_history(&other)), ["success"]);
    let (rows, _) = w.job_history(&other);
    assert_eq!(statuses(&rows), ["success"]);
    assert_eq!(w.checkpoint_files().len(), 1);
}

// Regression (issue 11, item 7; Slurm): SIGTERM, then SIGKILL 5 ms later,
// as a batch system does: the checkpoint written at the forwarded signal
// is recovered as `interrupted`, naming the signal. The job ignores the
// SIGTERM (one that exits at once lets profrun save its record normally
// within the 5 ms).
#[test]
fn sigterm_then_sigkill_leaves_an_interrupted_run() {
    let mut w = World::new();
    let mut child = w.start_job(&w.history(), &["ignore-term"]);
    std::thread::sleep(Duration::from_millis(400));
    let pid = child.id() as i32;
    // SAFETY: plain kill(2) of the profrun this test started.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    std::thread::sleep(Duration::from_millis(5));
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let files = w.checkpoint_files();
    assert_eq!(
        files.len(),
        1,
        "a checkpoint written at the signal; history: {:?}",
        statuses(&read_history(&w.history()))
    );
    let cp: Value = serde_json::from_slice(&std::fs::read(&files[0]).expect("read")).expect("json");
    w.orphans.push(cp["job_pid"].as_i64().expect("pid") as i32);
    w.run_true(&w.history());
    let records = read_history(&w.history());
    assert_eq!(statuses(&records), ["interrupted", "success"]);
    assert_eq!(records[0]["signal"]["name"], "SIGTERM");
}

// A live run's checkpoint is listed as `running`.
#[test]
fn a_live_checkpoint_is_shown_running() {
    let w = World::new();
    let mut child = w.start_sleeper(&w.history());
    let deadline = Instant::now() + Duration::from_secs(4);
    while w.checkpoint_files().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let (rows, _) = w.job_history(&w.history());
    // SAFETY: plain kill(2) of the profrun this test started; it forwards
    // SIGTERM to its job and ends normally.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let _ = child.wait();
    assert_eq!(statuses(&rows), ["running"], "{rows:?}");
    assert!(w.checkpoint_files().is_empty(), "a normal end removes it");
    assert_eq!(statuses(&read_history(&w.history())), ["interrupted"]);
}

impl World {
    /// `job-details SPEC --json`: the line shown, or the error on stderr.
    fn details(&self, spec: &str) -> Result<Value, String> {
        let out = self
            .profrun()
            .args(["job-details", spec, "--json", "--history"])
            .arg(self.history())
            .output()
            .expect("job-details");
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(serde_json::from_slice(&out.stdout).expect("json"))
    }

    /// The runs `job-stats` counts.
    fn stats_runs(&self) -> u64 {
        let out = self
            .profrun()
            .args(["job-stats", "--format", "json", "--history"])
            .arg(self.history())
            .output()
            .expect("job-stats");
        let groups: Value = serde_json::from_slice(&out.stdout).expect("json");
        groups
            .as_array()
            .expect("groups")
            .iter()
            .map(|g| g["runs"].as_u64().expect("runs"))
            .sum()
    }
}

// Regression (issue 11): `job-details last` and `-N` counted recorded runs
// only, so while a job ran `last` showed the run before it. A running run
// and, once its profrun is SIGKILLed, a lost one count among the newest by
// start time. job-stats counts a run once it has ended: not while it
// runs, and a lost one the same before and after the next run appends it.
#[test]
fn job_details_last_and_minus_n_count_a_running_or_lost_run() {
    let mut w = World::new();
    w.run_true(&w.history());
    let child = w.start_job(&w.history(), &["sleep", "60000"]);
    let deadline = Instant::now() + Duration::from_secs(4);
    while w.checkpoint_files().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let last = w.details("last").expect("last");
    assert_eq!(last["status"], "running", "{last}");
    assert_eq!(w.details("-1").expect("-1")["task_id"], last["task_id"]);
    assert_eq!(w.details("-2").expect("-2")["status"], "success");
    let err = w.details("-3").expect_err("only two runs");
    assert!(err.contains("the history has 2 runs"), "{err}");
    assert_eq!(w.stats_runs(), 1, "a running run is not counted");

    w.kill_profrun_after(child, Duration::from_millis(1200));
    let last = w.details("last").expect("last");
    assert_eq!(last["status"], "lost", "{last}");
    assert_eq!(w.details("-2").expect("-2")["status"], "success");
    assert_eq!(w.stats_runs(), 2, "a lost run has ended");
    // Appended by the next run: counted once.
    w.run_true(&w.history());
    assert_eq!(w.details("-2").expect("-2")["status"], "lost");
    assert_eq!(w.stats_runs(), 3);
}

// Regression (issue 11, item 7): a torn or hostile checkpoint file is
// skipped with a warning, never a panic.
#[test]
fn a_torn_or_hostile_checkpoint_is_skipped_with_a_warning() {
    let w = World::new();
    w.run_true(&w.history());
    for (name, bytes) in [
        ("torn.json", &br#"{"profrun_checkpoint":1,"history":"#[..]),
        ("hostile.json", br#"{"profrun_checkpoint":1,"history":"x","profrun_pid":-1,"profrun_start_ticks":0,"job_pid":1,"record":{}}"#),
        ("binary.json", b"\0\xff\xfe"),
    ] {
        std::fs::write(w.checkpoints().join(name), bytes).expect("write");
    }
    let (rows, err) = w.job_history(&w.history());
    assert_eq!(statuses(&rows), ["success"]);
    assert!(
        err.contains("skipped checkpoint") && err.contains("torn.json"),
        "{err}"
    );
    let out = w.run_true(&w.history());
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("skipped checkpoint"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(read_history(&w.history()).len(), 2);
}

fn valid_checkpoint() -> Vec<u8> {
    let line = std::fs::read_to_string("tests/fixtures/real20.jsonl")
        .expect("fixture")
        .lines()
        .next()
        .expect("a record")
        .to_string();
    format!(
        r#"{{"profrun_checkpoint":1,"history":"/h.jsonl","profrun_pid":2,"profrun_start_ticks":3,"job_pid":4,"record":{line}}}"#
    )
    .into_bytes()
}

#[test]
fn the_fixture_checkpoint_parses() {
    profrun::checkpoint::parse(&valid_checkpoint()).expect("a checkpoint");
}

// A finished record kept after a failed append names no job (it ended); a
// checkpoint of a running job must.
#[test]
fn only_a_finished_record_may_name_no_job_pid() {
    let mut cp: Value = serde_json::from_slice(&valid_checkpoint()).expect("json");
    cp["job_pid"] = 0.into();
    assert_eq!(cp["record"]["status"], "success");
    let kept = profrun::checkpoint::parse(cp.to_string().as_bytes()).expect("a kept record");
    assert!(kept.is_finished());
    cp["record"]["status"] = "running".into();
    let err = profrun::checkpoint::parse(cp.to_string().as_bytes()).expect_err("refused");
    assert!(err.contains("not positive"), "{err}");
}

// Recovery reads a checkpoint's head first and the whole file only for an
// orphan or a kept record of its history: the head must decide as the
// whole file would.
#[test]
fn the_head_of_a_checkpoint_reads_as_the_whole_file() {
    let bytes = valid_checkpoint();
    let whole = profrun::checkpoint::parse(&bytes).expect("a checkpoint");
    let head = profrun::checkpoint::parse_head(&bytes[..]).expect("a head");
    assert_eq!(head.history, whole.history);
    assert_eq!(head.profrun_pid, whole.profrun_pid);
    assert_eq!(head.profrun_start_ticks, whole.profrun_start_ticks);
    assert_eq!(head.job_pid, whole.job_pid);
    assert_eq!(head.is_finished(), whole.is_finished());
    let mut cp: Value = serde_json::from_slice(&bytes).expect("json");
    cp["record"]["status"] = "running".into();
    cp["job_pid"] = 0.into();
    let err = profrun::checkpoint::parse_head(cp.to_string().as_bytes()).expect_err("refused");
    assert!(err.contains("not positive"), "{err}");
    cp["job_pid"] = 4.into();
    cp["record"]["task_id"] = "../x".into();
    let err = profrun::checkpoint::parse_head(cp.to_string().as_bytes()).expect_err("refused");
    assert!(err.contains("task id"), "{err}");
}

// A checkpoint of this history whose profrun is gone but whose record is
// torn past its head is still named in a warning, and the run is recorded.
#[test]
fn an_orphan_torn_after_its_head_is_skipped_with_a_warning() {
    let w = World::new();
    w.run_true(&w.history());
    let mut cp: Value = serde_json::from_slice(&valid_checkpoint()).expect("json");
    cp["history"] = profrun::checkpoint::history_key(&w.history()).into();
    cp["profrun_pid"] = i32::MAX.into(); // no such process
    cp["record"]["status"] = "running".into();
    let text = cp.to_string();
    let torn = &text[..text.len() - 40];
    std::fs::write(w.checkpoints().join("orphan.json"), torn).expect("write");
    let out = w.run_true(&w.history());
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("skipped checkpoint") && err.contains("orphan.json"),
        "{err}"
    );
    assert_eq!(read_history(&w.history()).len(), 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    // Any bytes: a head or a reason, never a panic; a file that parses
    // whole has a head that says the same.
    #[test]
    fn the_head_parser_agrees_with_the_whole_parser(cut in 0usize..1_000_000, at in 0usize..1_000_000, byte in any::<u8>()) {
        let mut bytes = valid_checkpoint();
        let at = at % bytes.len();
        bytes[at] = byte;
        bytes.truncate(cut % (bytes.len() + 1));
        let head = profrun::checkpoint::parse_head(&bytes[..]);
        if let Ok(whole) = profrun::checkpoint::parse(&bytes) {
            let head = head.expect("a head where the whole file parses");
            prop_assert_eq!(head.is_finished(), whole.is_finished());
            prop_assert_eq!(head.history, whole.history);
        }
    }

    // Any bytes: a checkpoint or a reason, never a panic.
    #[test]
    fn the_parser_takes_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = profrun::checkpoint::parse(&bytes);
    }

    // A real checkpoint cut anywhere, or with a byte changed.
    #[test]
    fn the_parser_takes_torn_and_mangled_checkpoints(cut in 0usize..1_000_000, at in 0usize..1_000_000, byte in any::<u8>()) {
        let mut bytes = valid_checkpoint();
        let at = at % bytes.len();
        bytes[at] = byte;
        bytes.truncate(cut % (bytes.len() + 1));
        let _ = profrun::checkpoint::parse(&bytes);
    }
}
