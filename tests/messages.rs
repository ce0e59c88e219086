//! What profrun says when the input is wrong: each message names the
//! offending value and what would be right (issue 11, item 6). The real
//! binary, real files.

mod wrapper;
use wrapper::profrun;

fn stderr_and_code(args: &[&str]) -> (String, Option<i32>) {
    let out = profrun().args(args).output().expect("run profrun");
    (
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

fn assert_out_of_range(args: &[&str], option: &str) {
    let (err, code) = stderr_and_code(args);
    assert_eq!(code, Some(2), "{args:?}: {err}");
    assert!(!err.contains("unexpected argument"), "{args:?}: {err}");
    assert!(
        err.contains(&format!("invalid value '-1' for '{option}")) && err.contains("out of range"),
        "{args:?}: {err}"
    );
}

// Regression: clap read `-1` as an unknown flag and said "unexpected
// argument '-1'".
#[test]
fn negative_interval_is_out_of_range() {
    assert_out_of_range(&["--interval", "-1", "--", "true"], "--interval");
    assert_out_of_range(&["run", "--interval", "-1", "--", "true"], "--interval");
}

#[test]
fn negative_kill_after_is_out_of_range() {
    assert_out_of_range(&["--kill-after", "-1", "--", "true"], "--kill-after");
}

#[test]
fn negative_history_limit_is_out_of_range() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    let history = history.to_str().expect("utf-8 path");
    assert_out_of_range(
        &["job-history", "--history", history, "--limit", "-1"],
        "--limit",
    );
    assert_out_of_range(
        &["job-history", "--history", history, "-n", "-1"],
        "--limit",
    );
}

#[test]
fn negative_numbers_do_not_swallow_the_command() {
    // The job's own `-1` after `--` is still the job's.
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    let out = profrun()
        .arg("--history")
        .arg(&history)
        .args(["-q", "--", "sh", "-c", "exit 3", "-1"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3), "{out:?}");
}

// Regression: a history under a regular file said only "File exists (os
// error 17)".
#[test]
fn history_under_a_regular_file_names_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = dir.path().join("plain");
    std::fs::write(&plain, b"not a folder").expect("write");
    for history in [plain.join("h.jsonl"), plain.join("sub/h.jsonl")] {
        let out = profrun()
            .arg("--history")
            .arg(&history)
            .args(["-q", "--", "true"])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(0), "the job's code is kept");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("'{}' is not a folder", plain.display())),
            "{err}"
        );
        assert!(!err.contains("os error 17"), "{err}");
    }
}

#[test]
fn record_out_under_a_regular_file_names_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = dir.path().join("plain");
    std::fs::write(&plain, b"not a folder").expect("write");
    let out = profrun()
        .arg("--history")
        .arg(dir.path().join("h.jsonl"))
        .arg("--record-out")
        .arg(plain.join("rec.json"))
        .args(["-q", "--", "true"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("'{}' is not a folder", plain.display())),
        "{err}"
    );
}
