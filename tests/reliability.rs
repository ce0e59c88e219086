//! Nothing lost, nothing left half-written (issue 11, items 1, 4, 5, 6): a
//! full disk, a failing stdout, readers agreeing on bad lines, messages that
//! name the path at fault. The real binary, real files, a real tmpfs where
//! the container lets us mount one.

mod wrapper;
use std::path::Path;
use std::process::{Command, Stdio};
use wrapper::profrun;

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A tmpfs of `size` mounted on a fresh folder, unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// `None` (with the reason printed) where mounting is refused.
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs { dir }),
            Ok(o) => {
                let why = String::from_utf8_lossy(&o.stderr).into_owned();
                // Only a refusal skips: anything else is a broken test setup.
                assert!(
                    why.contains("permission denied")
                        || why.contains("must be superuser")
                        || why.contains("not permitted")
                        || why.contains("only root"),
                    "mount failed for another reason: {why}"
                );
                eprintln!("skipped: cannot mount a tmpfs here: {why}");
                None
            }
            Err(e) => {
                assert_eq!(e.kind(), std::io::ErrorKind::NotFound, "mount: {e}");
                eprintln!("skipped: no mount command");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

// Regression (issue 11, item 1): on a full tmpfs the append wrote 357 of
// 4201 bytes and the fragment stayed; every reader then skipped "line 2,
// torn line". The issue's steps, on a 64 KiB tmpfs.
#[test]
fn full_disk_leaves_the_history_unchanged() {
    let Some(fs) = Tmpfs::mount("64k") else {
        return;
    };
    let history = fs.path().join("h.jsonl");
    let first = profrun()
        .arg("-q")
        .arg("--history")
        .arg(&history)
        .args(["--", "true"])
        .output()
        .expect("run profrun");
    assert!(first.status.success(), "{}", stderr_of(&first));
    let before = std::fs::read(&history).expect("history");
    // Fill the rest of the file system (dd fails with ENOSPC, as wanted).
    let _ = Command::new("dd")
        .args(["if=/dev/zero", "bs=4k"])
        .arg(format!("of={}", fs.path().join("fill").display()))
        .stderr(Stdio::null())
        .status()
        .expect("dd");
    // The run is kept in a checkpoint folder of this test's own.
    let runtime = tempfile::tempdir().expect("tempdir");
    let out = run_exit(runtime.path(), &history, 3);
    assert_eq!(out.status.code(), Some(3), "the job's code is returned");
    let err = stderr_of(&out);
    assert!(err.contains("this run was not recorded there"), "{err}");
    assert!(err.contains("the history is unchanged"), "{err}");
    assert_eq!(std::fs::read(&history).expect("history"), before);
    let listed = profrun()
        .args(["job-history", "--history"])
        .arg(&history)
        .output()
        .expect("job-history");
    assert!(
        !stderr_of(&listed).contains("bad line"),
        "{}",
        stderr_of(&listed)
    );
}

/// Fill what is left of the file system at `dir` (dd fails with ENOSPC, as
/// wanted); the file it wrote.
fn fill(dir: &Path) -> std::path::PathBuf {
    let fill = dir.join("fill");
    let _ = Command::new("dd")
        .args(["if=/dev/zero", "bs=4k"])
        .arg(format!("of={}", fill.display()))
        .stderr(Stdio::null())
        .status()
        .expect("dd");
    fill
}

/// `profrun --history H -- sh -c 'exit CODE'` with its checkpoint folder
/// under `runtime`.
fn run_exit(runtime: &Path, history: &Path, code: u8) -> std::process::Output {
    profrun()
        .env("XDG_RUNTIME_DIR", runtime)
        .arg("--history")
        .arg(history)
        .args(["--", "sh", "-c", &format!("exit {code}")])
        .output()
        .expect("run profrun")
}

fn history_records(history: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(history)
        .expect("history")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a record"))
        .collect()
}

// Regression (issue 11): after a failed append (a full disk) profrun still
// removed its checkpoint, so the finished record was nowhere. It is kept,
// finished, in the checkpoint folder (another file system) instead; readers
// show it with its real status, and the next run appends it once.
#[test]
fn full_disk_append_keeps_the_run_in_its_checkpoint_until_the_next_run() {
    let Some(fs) = Tmpfs::mount("64k") else {
        return;
    };
    let runtime = tempfile::tempdir().expect("tempdir");
    let rt = runtime.path();
    let history = fs.path().join("h.jsonl");
    assert!(run_exit(rt, &history, 0).status.success());
    let filled = fill(fs.path());
    let out = run_exit(rt, &history, 3);
    assert_eq!(out.status.code(), Some(3), "the job's code is returned");
    let err = stderr_of(&out);
    assert!(err.contains("this run was not recorded there"), "{err}");
    assert!(
        err.contains("the next profrun run on this history appends it"),
        "{err}"
    );
    assert_eq!(history_records(&history).len(), 1);
    let kept: Vec<_> = std::fs::read_dir(rt.join("profrun"))
        .expect("checkpoint folder")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(err.contains(&kept[0].display().to_string()), "{err}");

    // Readers show it as it ended, not as running or lost.
    let listed = profrun()
        .env("XDG_RUNTIME_DIR", rt)
        .args(["job-history", "--format", "jsonl", "--history"])
        .arg(&history)
        .output()
        .expect("job-history");
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("jsonl"))
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(
        (&rows[0]["status"], &rows[0]["exit_code"]),
        (&"failed".into(), &3.into())
    );
    let id = rows[0]["task_id"].as_str().expect("id").to_string();
    let shown = profrun()
        .env("XDG_RUNTIME_DIR", rt)
        .args(["job-details", &id, "--json", "--history"])
        .arg(&history)
        .output()
        .expect("job-details");
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).expect("json");
    assert_eq!(
        (&shown["status"], &shown["returncode"]),
        (&"failed".into(), &3.into())
    );

    // The disk is freed: the next run appends the kept record, then its own.
    std::fs::remove_file(filled).expect("rm fill");
    let out = run_exit(rt, &history, 0);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let records = history_records(&history);
    let statuses: Vec<_> = records
        .iter()
        .map(|r| (r["status"].clone(), r["exit_code"].clone()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("success".into(), 0.into()),
            ("failed".into(), 3.into()),
            ("success".into(), 0.into())
        ]
    );
    assert_eq!(records[1]["task_id"], id.as_str());
    assert!(std::fs::read_dir(rt.join("profrun"))
        .expect("folder")
        .next()
        .is_none());
    // Once: a later run does not append it again.
    run_exit(rt, &history, 0);
    let again = history_records(&history);
    assert_eq!(again.len(), 4);
    assert_eq!(
        again.iter().filter(|r| r["task_id"] == id.as_str()).count(),
        1
    );
}

// Regression (issue 11): where the checkpoint folder cannot be written
// either, the warning says the run is lost.
#[test]
fn full_disk_append_with_no_checkpoint_folder_says_the_run_is_lost() {
    let Some(fs) = Tmpfs::mount("64k") else {
        return;
    };
    let history = fs.path().join("h.jsonl");
    let missing = fs.path().join("no-such-runtime-dir");
    assert!(run_exit(&missing, &history, 0).status.success());
    fill(fs.path());
    let err = stderr_of(&run_exit(&missing, &history, 3));
    assert!(err.contains("this run was not recorded there"), "{err}");
    assert!(err.contains("this run is lost"), "{err}");
}

// Regression (issue 11, item 4): `--json > /dev/full` lost the printed
// record without a word.
#[test]
fn json_to_a_full_stdout_warns_that_the_record_was_lost() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let out = profrun()
        .args(["-q", "--json", "--history"])
        .arg(&history)
        .args(["--", "true"])
        .stdout(full)
        .output()
        .expect("run profrun");
    assert!(out.status.success());
    let err = stderr_of(&out);
    assert!(err.contains("the --json record was lost"), "{err}");
    assert!(err.contains("the history still has it"), "{err}");
    assert_eq!(wrapper::read_history(&history).len(), 1);
}

// Regression (issue 11, item 4): the same with a closed pipe.
#[test]
fn json_to_a_closed_pipe_warns_that_the_record_was_lost() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    let mut child = profrun()
        .args(["-q", "--json", "--history"])
        .arg(&history)
        .args(["--", "sleep", "0.3"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take()); // the reader goes away before the record
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success());
    let err = stderr_of(&out);
    assert!(err.contains("the --json record was lost"), "{err}");
    assert_eq!(wrapper::read_history(&history).len(), 1);
}

const GOOD: &str = r#"{"task_id":"ID","tool":"t","status":"success","start_time":"2025-11-21T10:3M:00Z","end_time":"2025-11-21T10:3M:01Z","duration_seconds":1}"#;

fn good(id: &str, minute: u32) -> String {
    GOOD.replace("ID", id)
        .replace("3M", &format!("{}", 30 + minute))
}

fn skipped_line(args: &[&str], history: &Path) -> String {
    let out = profrun()
        .args(args)
        .arg("--history")
        .arg(history)
        .output()
        .expect("run profrun");
    assert!(out.status.success(), "{args:?}: {}", stderr_of(&out));
    stderr_of(&out)
        .lines()
        .find(|l| l.contains("bad line"))
        .unwrap_or("")
        .to_string()
}

// Regression (issue 11, item 5): `job-details ID` counted only the bad
// lines that contained the id's text, so it said 1 where job-stats said 4.
#[test]
fn readers_agree_on_the_bad_line_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    let lines = [
        good("aaaa00000001", 1),
        "not json".to_string(),
        good("aaaa00000002", 2),
        String::new(),
        good("aaaa00000002", 3)[..40].to_string(), // torn, holds the id
        "[1,2]".to_string(),
        good("abcd00000003", 4),
    ];
    std::fs::write(&history, lines.join("\n") + "\n").expect("write");
    let want = "skipped 4 bad lines";
    for args in [
        &["job-history", "--all"][..],
        &["job-history", "--all", "--format", "jsonl"],
        &["job-details", "aaaa00000002"],
        &["job-details", "abcd"],
        &["job-stats"],
    ] {
        let line = skipped_line(args, &history);
        assert!(line.contains(want), "{args:?}: {line}");
        assert!(line.contains("line 2, not JSON"), "{args:?}: {line}");
    }
}

// Regression (issue 11, item 5): a reader that stops early (the newest runs
// of a file in end-time order) said "skipped 1" as if it had read it all.
#[test]
fn a_reader_that_stops_early_says_at_least() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    let mut lines = vec!["not json".to_string(), good("bbbb00000000", 0)];
    for n in 1..=20 {
        lines.push(good(&format!("bbbb{n:08}"), n));
    }
    lines.push("{\"torn".to_string());
    std::fs::write(&history, lines.join("\n") + "\n").expect("write");
    let line = skipped_line(&["job-history", "--limit", "2"], &history);
    assert!(line.contains("skipped at least 1 bad line"), "{line}");
    let line = skipped_line(&["job-history", "--all"], &history);
    assert!(line.contains("skipped 2 bad lines"), "{line}");
}

// Regression (issue 11, item 6): `--limit 0` on a non-empty history said
// "no runs recorded yet".
#[test]
fn limit_zero_says_it_shows_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    std::fs::write(&history, good("cccc00000001", 1) + "\n").expect("write");
    let out = profrun()
        .args(["job-history", "--limit", "0", "--history"])
        .arg(&history)
        .output()
        .expect("run profrun");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &stderr_of(&out);
    assert!(!text.contains("no runs recorded yet"), "{text}");
    assert!(text.contains("--limit 0 shows no runs"), "{text}");
}

// Regression (issue 11, item 6): readers of a history under a regular file
// said "Not a directory (os error 20)" without naming the file.
#[test]
fn readers_name_the_path_that_is_not_a_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("FILE");
    std::fs::write(&file, "x").expect("write");
    let history = file.join("h.jsonl");
    for cmd in ["job-history", "job-stats"] {
        let out = profrun()
            .args([cmd, "--history"])
            .arg(&history)
            .output()
            .expect("run profrun");
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(1), "{cmd}: {err}");
        assert!(
            err.contains(&format!("'{}' is not a folder", file.display())),
            "{cmd}: {err}"
        );
    }
}

/// `profrun` with its checkpoint folder under `runtime`, given at most 60 s:
/// a FIFO in the history's place must not make it wait for a reader.
fn run_exit_within(runtime: &Path, history: &Path, code: u8) -> std::process::Output {
    let mut child = profrun()
        .env("XDG_RUNTIME_DIR", runtime)
        .arg("--history")
        .arg(history)
        .args(["--", "sh", "-c", &format!("exit {code}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn profrun");
    let start = std::time::Instant::now();
    while child.try_wait().expect("try_wait").is_none() {
        if start.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            panic!("profrun hung on the FIFO history");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

// Regression (review finding, query item 6): `mkfifo ff; profrun --history
// ff -- job` exited with the job's code and no warning, the record written
// into the pipe and gone. A history that is not a regular file is a failed
// append: one warning, the run kept for the next profrun.
#[test]
fn a_fifo_as_the_history_is_a_failed_append_and_the_run_is_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = tempfile::tempdir().expect("tempdir");
    let rt = runtime.path();
    let fifo = dir.path().join("ff");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    for (n, code) in [(1, 3), (2, 0)] {
        // The second run finds the first one's kept record and must not
        // block opening the FIFO to look for it.
        let out = run_exit_within(rt, &fifo, code);
        assert_eq!(out.status.code(), Some(code.into()), "the job's code");
        let err = stderr_of(&out);
        // The second run also says the first one's record could not go in.
        let warnings: Vec<&str> = err
            .lines()
            .filter(|l| l.contains("could not write history"))
            .collect();
        assert_eq!(warnings.len(), 1, "{err}");
        assert!(
            warnings[0].contains("it is a FIFO, not a regular file"),
            "{err}"
        );
        assert!(
            warnings[0].contains("the next profrun run on this history appends it"),
            "{err}"
        );
        let kept = std::fs::read_dir(rt.join("profrun"))
            .expect("checkpoint folder")
            .count();
        assert_eq!(kept, n, "one kept record per run");
    }
    // A regular file in its place: the kept runs go in, then this one.
    std::fs::remove_file(&fifo).expect("rm fifo");
    assert!(run_exit(rt, &fifo, 0).status.success());
    let codes: Vec<_> = history_records(&fifo)
        .iter()
        .map(|r| r["returncode"].clone())
        .collect();
    assert_eq!(codes.len(), 3, "{codes:?}");
    assert!(codes.contains(&3.into()), "{codes:?}");
}

/// `--history /dev/null` is how a user records nothing: refusing it as not
/// a regular file (as a FIFO is) would warn on every run and keep every
/// run for a next profrun that cannot append it either.
#[test]
fn dev_null_as_the_history_records_nothing_and_keeps_nothing() {
    let runtime = tempfile::tempdir().expect("tempdir");
    let rt = runtime.path();
    for _ in 0..2 {
        let out = run_exit(rt, Path::new("/dev/null"), 3);
        assert_eq!(out.status.code(), Some(3), "the job's code");
        let err = stderr_of(&out);
        assert!(!err.contains("could not write history"), "{err}");
    }
    let kept = std::fs::read_dir(rt.join("profrun")).map_or(0, |d| d.count());
    assert_eq!(kept, 0, "nothing kept for a next run");
}
