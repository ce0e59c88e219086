//! Reading while others write or stop reading: a closed pipe ends output
//! quietly, and a concurrent appender never makes a reader fail or return
//! a torn record.

mod common;

use common::{ids, ok, path_str, profrun, run};
use std::io::{BufRead, BufReader};
use std::process::Stdio;

#[test]
fn a_closed_pipe_ends_output_quietly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let h = dir.path().join("h.jsonl");
    common::gen::write_history(&h, 3000, 1);
    let mut child = profrun()
        .args([
            "job-history",
            "--history",
            path_str(&h),
            "--all",
            "--format",
            "csv",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = String::new();
    let stdout = child.stdout.take().expect("stdout");
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("first line");
    // The reader is dropped here, like `head -1` exiting.
    assert!(first.starts_with("task_id,"));
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn a_concurrent_appender_never_yields_a_torn_record() {
    let dir = tempfile::tempdir().expect("tempdir");
    let h = dir.path().join("h.jsonl");
    let writer_path = h.clone();
    let writer = std::thread::spawn(move || {
        let mut rng = common::gen::Rng::new(3);
        for i in 0..400 {
            let mut line = serde_json::to_vec(&common::gen::record(i, &mut rng)).expect("json");
            line.push(b'\n');
            profrun::history::append::append_line(&writer_path, &line).expect("append");
        }
    });
    let mut reads = 0;
    let mut last_count = 0;
    while !writer.is_finished() || reads == 0 {
        for args in [
            vec![
                "job-history",
                "--history",
                path_str(&h),
                "--all",
                "--format",
                "jsonl",
            ],
            vec![
                "job-history",
                "--history",
                path_str(&h),
                "-n",
                "5",
                "--format",
                "jsonl",
            ],
        ] {
            let r = run(&args);
            assert_eq!(r.code, Some(0), "{}", r.stderr);
            for line in r.stdout.lines() {
                let v: serde_json::Value = serde_json::from_str(line).expect("whole record");
                assert_eq!(v["task_id"].as_str().map(str::len), Some(12), "{line}");
            }
            if args.contains(&"--all") {
                let n = r.stdout.lines().count();
                assert!(n >= last_count, "records disappeared: {n} < {last_count}");
                last_count = n;
            }
        }
        reads += 1;
    }
    writer.join().expect("writer");
    assert_eq!(
        ids(&ok(&[
            "job-history",
            "--history",
            path_str(&h),
            "--all",
            "--format",
            "jsonl"
        ]))
        .len(),
        400
    );
}
