//! End to end: `profrun --history H -- CMD` records real runs (success,
//! exit 3, killed by a signal, not found), then the three query commands
//! read H back.

mod common;

use common::{ids, ok, path_str, profrun, run};
use serde_json::Value;

#[test]
fn recorded_runs_are_listed_detailed_and_aggregated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let h = dir.path().join("h.jsonl");
    let hs = path_str(&h);
    let jobs: [(&[&str], i32); 4] = [
        (&["sh", "-c", "exit 0"], 0),
        (&["sh", "-c", "exit 3"], 3),
        (&["sh", "-c", "kill -9 $$"], 137),
        (&["/nonexistent/prog"], 127),
    ];
    for (argv, want) in jobs {
        let out = profrun()
            .args(["--quiet", "--history", hs, "--tag", "suite=e2e", "--"])
            .args(argv)
            .output()
            .expect("run profrun");
        let code = out.status.code().unwrap_or_else(|| {
            use std::os::unix::process::ExitStatusExt;
            128 + out.status.signal().unwrap_or(0)
        });
        assert_eq!(code, want, "{argv:?}");
    }
    let listed = ok(&["job-history", "--history", hs, "--format", "jsonl"]);
    let rows: Vec<Value> = listed
        .lines()
        .map(|l| serde_json::from_str(l).expect("row"))
        .collect();
    let statuses: Vec<&str> = rows
        .iter()
        .map(|r| r["status"].as_str().expect("status"))
        .collect();
    assert_eq!(
        statuses,
        ["failed_to_start", "signaled", "failed", "success"]
    );
    assert_eq!(rows[1]["signal"], "SIGKILL");
    assert_eq!(rows[2]["returncode"], 3);
    assert!(rows.iter().all(|r| r["tags"]["suite"] == "e2e"));

    let table = ok(&["job-history", "--history", hs, "--width", "120"]);
    for label in ["not started", "SIGKILL", "exit 3", " ok "] {
        assert!(table.contains(label), "{label}: {table}");
    }

    let all = ids(&listed);
    let last = ok(&["job-details", "last", "--json", "--history", hs]);
    let v: Value = serde_json::from_str(&last).expect("record");
    assert_eq!(v["task_id"], all[0].as_str());
    let prefix = &all[2][..10];
    let view = ok(&["job-details", prefix, "--history", hs]);
    assert!(
        view.starts_with(&format!("run {}  failed (exit 3)\n", all[2])),
        "{view}"
    );

    let stats = ok(&[
        "job-stats",
        "--history",
        hs,
        "--group-by",
        "status",
        "--format",
        "json",
    ]);
    let groups: Vec<Value> = serde_json::from_str(&stats).expect("json");
    let runs: Vec<(String, u64)> = groups
        .iter()
        .map(|g| {
            (
                g["status"].as_str().expect("s").into(),
                g["runs"].as_u64().expect("n"),
            )
        })
        .collect();
    assert_eq!(
        runs,
        [
            ("failed".to_string(), 1),
            ("failed_to_start".into(), 1),
            ("signaled".into(), 1),
            ("success".into(), 1)
        ]
    );
    let r = run(&["job-stats", "--history", hs, "--tag", "suite=other"]);
    assert!(r.stdout.starts_with("no runs match"), "{}", r.stdout);
}
