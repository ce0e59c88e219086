//! `job-history` through the real binary: the table, newest-first order,
//! filters, formats, merged histories, empty/missing/unreadable histories.

mod common;

use common::{fixture, history_file, host_runs, ids, ok, path_str, profrun, run};
use std::path::Path;

const TABLE: &str = r" ID            STARTED (local)  TOOL        SCRIPT       STATUS         WALL     CPU  CORES  PEAK MEM     GPU
 6a1c2222dddd  11-21 10:00:00   fenicsx     poisson.py   interrupted  1m 00s  1m 40s   1.67   1.0 GiB       -
 6a1c1111cccc  11-21 09:00:00   nosuchtool  -            not started    1 ms    0 ms   0.00       0 B       -
 6a1c0000bbbb  11-21 08:00:00   openfoam    controlDict  SIGKILL      12.5 s  11.0 s   0.88   900 MiB       -
 6a1b7777aaaa  11-20 11:00:00   lammps      in.lj        ok           2m 29s  4m 50s   1.95   1.7 GiB  85.5 %
 6a1b2c3d9xyz  11-20 10:00:00   lammps      in.lj        exit 1       2m 31s  2m 20s   0.93   1.5 GiB       -
 6a1b2c3d4e5f  11-20 09:00:00   fenicsx     poisson.py   ok           5m 30s  4m 58s   0.90   2.0 GiB       -
 6a19aaaa0000  11-19 00:00:00   lammps      in.long      ok           2d 11h  4d 15h   1.88   4.0 GiB       -
 abc-123-xyz   10-15 10:30:00   fenicsx     poisson.py   ok           5m 30s  4m 58s   0.90   2.0 GiB       -
";

#[test]
fn table_snapshot_at_fixed_width() {
    let h = fixture();
    assert_eq!(
        ok(&["job-history", "--history", path_str(&h), "--width", "120"]),
        TABLE
    );
    // $COLUMNS is honoured the same way, and no colour reaches a pipe.
    let out = profrun()
        .args(["job-history", "--history", path_str(&h)])
        .env("COLUMNS", "120")
        .output()
        .expect("run");
    assert_eq!(String::from_utf8_lossy(&out.stdout), TABLE);
}

#[test]
fn narrow_terminals_wrap_instead_of_overflowing() {
    let h = fixture();
    let out = ok(&["job-history", "--history", path_str(&h), "--width", "70"]);
    for line in out.lines() {
        assert!(line.chars().count() <= 70, "{line:?}");
    }
}

#[test]
fn gpu_column_only_when_a_run_has_gpu_figures() {
    let h = fixture();
    let out = ok(&[
        "job-history",
        "--history",
        path_str(&h),
        "--tool",
        "fenicsx",
    ]);
    assert!(!out.contains("GPU"), "{out}");
}

#[test]
fn newest_first_by_start_time_even_when_appended_later() {
    let h = fixture();
    let jsonl = |n: &str| {
        ok(&[
            "job-history",
            "--history",
            path_str(&h),
            "-n",
            n,
            "--format",
            "jsonl",
        ])
    };
    assert_eq!(ids(&jsonl("2")), ["6a1c2222dddd", "6a1c1111cccc"]);
    // The long run is the last line of the file but started before others.
    let all = ids(&jsonl("20"));
    assert_eq!(all.len(), 8);
    assert_eq!(all[6], "6a19aaaa0000");
    assert_eq!(all[7], "abc-123-xyz");
    assert!(ok(&["job-history", "--history", path_str(&h), "-n", "0"]).contains("no runs"));
}

fn filtered(extra: &[&str]) -> Vec<String> {
    let h = fixture();
    let mut args = vec![
        "job-history",
        "--history",
        path_str(&h),
        "--all",
        "--format",
        "jsonl",
    ];
    args.extend_from_slice(extra);
    let r = run(&args);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    ids(&r.stdout)
}

#[test]
fn filters_select_runs() {
    assert_eq!(
        filtered(&["--tool", "LAMMPS"]),
        ["6a1b7777aaaa", "6a1b2c3d9xyz", "6a19aaaa0000"]
    );
    assert_eq!(filtered(&["--script", "controlDict"]), ["6a1c0000bbbb"]);
    assert_eq!(
        filtered(&["--script", "system/controlDict"]),
        ["6a1c0000bbbb"]
    );
    assert_eq!(filtered(&["--status", "failed"]), ["6a1b2c3d9xyz"]);
    assert_eq!(filtered(&["--status", "failed_to_start"]), ["6a1c1111cccc"]);
    assert_eq!(
        filtered(&["--since", "2025-11-21"]),
        ["6a1c2222dddd", "6a1c1111cccc", "6a1c0000bbbb"]
    );
    assert_eq!(
        filtered(&["--until", "2025-11-19", "--since", "2025-11-19"]),
        ["6a19aaaa0000"]
    );
    assert_eq!(
        filtered(&[
            "--since",
            "2025-11-20T10:00:00Z",
            "--until",
            "2025-11-20T11:00:00Z"
        ]),
        ["6a1b2c3d9xyz"]
    );
    assert_eq!(
        filtered(&["--tag", "mesh=64"]),
        ["6a1c2222dddd", "6a1b2c3d4e5f"]
    );
    assert_eq!(
        filtered(&["--tag", "mesh=64", "--tag", "note=x"]),
        Vec::<String>::new()
    );
    // A short host name matches its fully qualified form.
    assert_eq!(
        filtered(&["--host", "node1", "--tool", "fenicsx"]),
        ["6a1c2222dddd", "6a1b2c3d4e5f"]
    );
    assert_eq!(filtered(&["--grep", "two words"]), ["6a1c2222dddd"]);
    assert_eq!(
        filtered(&["--grep", "-np 2", "--status", "success"]),
        ["6a1b7777aaaa"]
    );
    // The fixture is from 2025: nothing in the last 7 days.
    assert!(filtered(&["--since", "7d"]).is_empty());
}

#[test]
fn relative_times_count_back_from_now() {
    let dir = tempfile::tempdir().expect("tempdir");
    let h = dir.path().join("h.jsonl");
    let mut rng = common::gen::Rng::new(7);
    let mut rec = common::gen::record(0, &mut rng);
    let hour_ago = chrono::Utc::now() - chrono::Duration::hours(1);
    rec["start_time"] = hour_ago.to_rfc3339().into();
    rec["end_time"] = serde_json::Value::Null;
    std::fs::write(&h, format!("{rec}\n")).expect("write");
    let args = |f: &str, v: &str| {
        let r = run(&[
            "job-history",
            "--history",
            path_str(&h),
            f,
            v,
            "--format",
            "jsonl",
        ]);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        r.stdout
    };
    assert_eq!(ids(&args("--since", "12h")).len(), 1);
    assert_eq!(ids(&args("--since", "30m")).len(), 0);
    assert_eq!(ids(&args("--until", "30m")).len(), 1);
}

#[test]
fn bad_filter_values_are_usage_errors() {
    let h = fixture();
    for bad in [
        ["--since", "yesterday"],
        ["--status", "ok"],
        ["--tag", "novalue"],
    ] {
        let r = run(&["job-history", "--history", path_str(&h), bad[0], bad[1]]);
        assert_eq!(r.code, Some(2), "{bad:?}");
        assert!(r.stderr.contains(bad[1]), "{}", r.stderr);
    }
}

#[test]
fn json_jsonl_and_csv_share_stable_columns() {
    let h = fixture();
    let json = ok(&["job-history", "--history", path_str(&h), "--format", "json"]);
    let rows: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_str(&json).expect("json array");
    assert_eq!(rows.len(), 8);
    let keys: Vec<&str> = rows[0].keys().map(String::as_str).collect();
    assert_eq!(keys, profrun::report::history_view::COLUMNS);
    assert_eq!(rows[0]["tags"]["note"], "a, \"quoted\" value");
    assert_eq!(rows[2]["signal"], "SIGKILL");
    assert_eq!(rows[3]["gpu_utilization_percent"], 85.5);

    let csv_text = ok(&["job-history", "--history", path_str(&h), "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    assert_eq!(header, profrun::report::history_view::COLUMNS);
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(records.len(), 8);
    let col = |name: &str| header.iter().position(|h| h == name).expect("column");
    assert_eq!(&records[0][col("task_id")], "6a1c2222dddd");
    assert_eq!(&records[0][col("tags")], "mesh=64;note=a, \"quoted\" value");
    assert_eq!(
        &records[0][col("command")],
        "python3 poisson.py --title 'two words'"
    );
    assert_eq!(&records[0][col("returncode")], "-15");
    assert_eq!(&records[1][col("script")], "");
    let wall: f64 = records[5][col("duration_seconds")].parse().expect("number");
    assert_eq!(wall, 330.12);
}

#[test]
fn merged_histories_read_as_one_ordered_by_start_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(fixture()).expect("fixture");
    let (mut a, mut b) = (String::new(), String::new());
    for (i, line) in text.lines().enumerate() {
        let target = if i % 2 == 0 { &mut a } else { &mut b };
        target.push_str(line);
        target.push('\n');
    }
    let (pa, pb) = (
        dir.path().join("host-a.jsonl"),
        dir.path().join("host-b.jsonl"),
    );
    std::fs::write(&pa, a).expect("write");
    std::fs::write(&pb, b).expect("write");
    let fixture_path = fixture();
    let single = ok(&[
        "job-history",
        "--history",
        path_str(&fixture_path),
        "--width",
        "120",
    ]);
    let merged = ok(&[
        "job-history",
        "--history",
        path_str(&pa),
        "--history",
        path_str(&pb),
        "--width",
        "120",
    ]);
    assert_eq!(merged, single);
    let pattern = format!("{}/host-*.jsonl", dir.path().display());
    assert_eq!(
        ok(&["job-history", "--history", &pattern, "--width", "120"]),
        single
    );
    // Limits apply to the merged order.
    let two = ok(&[
        "job-history",
        "--history",
        &pattern,
        "-n",
        "2",
        "--format",
        "jsonl",
    ]);
    assert_eq!(ids(&two), ["6a1c2222dddd", "6a1c1111cccc"]);
    // A missing file beside existing ones is a warning, not an error.
    let r = run(&[
        "job-history",
        "--history",
        path_str(&pa),
        "--history",
        "/nonexistent/h.jsonl",
    ]);
    assert_eq!(r.code, Some(0));
    assert!(
        r.stderr.contains("no history at '/nonexistent/h.jsonl'"),
        "{}",
        r.stderr
    );
}

/// `job-history -n N --format jsonl` for every N up to `max`, each checked
/// against the first N of `--all`; returns the `--all` ids.
fn newest_agree_with_all(h: &std::path::Path, max: usize) -> Vec<String> {
    let all = ids(&ok(&[
        "job-history",
        "--history",
        path_str(h),
        "--all",
        "--format",
        "jsonl",
    ]));
    for n in 1..=max {
        let newest = ids(&ok(&[
            "job-history",
            "--history",
            path_str(h),
            "-n",
            &n.to_string(),
            "--format",
            "jsonl",
        ]));
        assert_eq!(newest, all[..n.min(all.len())], "-n {n}");
    }
    all
}

/// Regression: the reverse reader stopped early assuming the file was in
/// end-time order, so `cat hostA.jsonl hostB.jsonl > h` with host A's runs
/// the newer ones listed host B's runs as the newest.
#[test]
fn concatenated_histories_out_of_end_order_still_show_the_newest_runs() {
    let a = host_runs("a", "2025-11-21T12:00:00Z", 6);
    let b = host_runs("b", "2025-11-21T10:00:00Z", 6);
    let (_dir, h) = history_file("h.jsonl", &(a + &b));
    let top3 = ok(&[
        "job-history",
        "--history",
        path_str(&h),
        "--limit",
        "3",
        "--format",
        "jsonl",
    ]);
    assert_eq!(ids(&top3), ["a-1250", "a-1240", "a-1230"]);
    let all = newest_agree_with_all(&h, 13);
    assert_eq!(
        all[..7],
        ["a-1250", "a-1240", "a-1230", "a-1220", "a-1210", "a-1200", "b-1050"]
    );
}

/// The same, appended to an older history (`cat hostA hostB >> h`): the
/// file's first line is old, but the newer batch sits above the older one.
#[test]
fn histories_appended_out_of_end_order_to_an_older_one_still_show_the_newest_runs() {
    let older = host_runs("old", "2025-11-20T00:00:00Z", 40);
    let a = host_runs("a", "2025-11-21T12:00:00Z", 6);
    let b = host_runs("b", "2025-11-21T10:00:00Z", 6);
    let (_dir, h) = history_file("h.jsonl", &(older + &a + &b));
    let all = newest_agree_with_all(&h, 14);
    assert_eq!(all[..3], ["a-1250", "a-1240", "a-1230"]);
}

/// Once a file is seen out of order, it is read to its start: a newer run
/// far above the stop point, where no probe lands, is still found.
#[test]
fn a_history_seen_out_of_end_order_is_read_to_its_start() {
    let text = host_runs("old", "2025-11-20T00:00:00Z", 30)
        + &host_runs("late", "2025-11-21T15:00:00Z", 1)
        + &host_runs("filler", "2025-11-21T00:00:00Z", 30)
        + &host_runs("a", "2025-11-21T12:00:00Z", 6)
        + &host_runs("b", "2025-11-21T10:00:00Z", 6);
    let (_dir, h) = history_file("h.jsonl", &text);
    let newest = ids(&ok(&[
        "job-history",
        "--history",
        path_str(&h),
        "-n",
        "13",
        "--format",
        "jsonl",
    ]));
    assert_eq!(newest[..2], ["late-1500", "a-1250"]);
}

/// In a file in end-time order the reader still stops early: a bad line
/// far above the newest runs is never read (so never reported).
#[test]
fn ordered_histories_are_still_read_only_from_the_end() {
    let mut text = host_runs("old", "2025-11-20T00:00:00Z", 100);
    let middle = text.len() / 2;
    let at = middle + text[middle..].find('\n').expect("newline") + 1;
    text.insert_str(at, "this is not json\n");
    let (_dir, h) = history_file("h.jsonl", &text);
    let newest = ok(&[
        "job-history",
        "--history",
        path_str(&h),
        "-n",
        "3",
        "--format",
        "jsonl",
    ]);
    assert_eq!(ids(&newest), ["old-1630", "old-1620", "old-1610"]);
    let r = run(&["job-history", "--history", path_str(&h), "--all"]);
    assert!(r.stderr.contains("skipped 1 bad line"), "{}", r.stderr);
}

/// `job-details --json last` on an empty history printed the text `no runs
/// recorded yet` on stdout and exited 0, where `-2` on a one-run history
/// exits 1 (review finding, query item 4): a run asked for and not there
/// is an error, on stderr.
#[test]
fn job_details_on_an_empty_history_is_an_error_on_stderr() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("none.jsonl");
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").expect("write");
    for h in [&missing, &empty] {
        for id in ["last", "-1", "-3", "3fa9c2e1"] {
            for json in [true, false] {
                let mut args = vec!["job-details", id, "--history", path_str(h)];
                if json {
                    args.push("--json");
                }
                let r = run(&args);
                assert_eq!((r.code, r.stdout.as_str()), (Some(1), ""), "{args:?}");
                let want = format!(
                    "profrun: error: no runs recorded yet (history: '{}')\n",
                    path_str(h)
                );
                assert_eq!(r.stderr, want, "{args:?}");
            }
        }
    }
}

#[test]
fn empty_or_missing_history_says_so_and_exits_0() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("none.jsonl");
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").expect("write");
    for h in [&missing, &empty] {
        let out = ok(&["job-history", "--history", path_str(h)]);
        assert!(out.starts_with("no runs recorded yet"), "{out}");
        assert!(out.contains(path_str(h)), "{out}");
        let r = run(&["job-history", "--history", path_str(h), "--format", "json"]);
        assert_eq!((r.code, r.stdout.as_str()), (Some(0), "[]\n"));
        let out = ok(&["job-stats", "--history", path_str(h)]);
        assert!(out.starts_with("no runs recorded yet"), "{out}");
    }
    // The default path comes from PROFRUN_HISTORY.
    let out = profrun()
        .arg("job-history")
        .env("PROFRUN_HISTORY", &missing)
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&out.stdout).contains(path_str(&missing)));
}

#[test]
fn unreadable_history_is_an_error_naming_the_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    for cmd in ["job-history", "job-stats"] {
        let r = run(&[cmd, "--history", path_str(dir.path())]);
        assert_eq!(r.code, Some(1), "{cmd}");
        assert!(
            r.stderr
                .starts_with("profrun: error: cannot read history '"),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains(path_str(dir.path())), "{}", r.stderr);
    }
    let r = run(&["job-details", "last", "--history", path_str(dir.path())]);
    assert_eq!(r.code, Some(1));
}

/// `--all` streams: keys first, then each run read again at its offset.
/// Its output must be byte for byte what the collect-and-sort path gives;
/// `-n 1000`, more than the history holds, takes that path (the heap of
/// summaries; larger limits stream too), so the two are compared on merged
/// generated histories with bad lines, runs sharing a start time, a file
/// out of end-time order, filters, and runs known only by a checkpoint: a
/// real profrun running now, lost ones among the ties, before the oldest
/// run, and one whose record is in the history already (issue 11: the
/// streamed path showed no checkpoint).
#[test]
fn all_streams_exactly_what_collecting_every_run_gives() {
    let runtime = tempfile::tempdir().expect("tempdir");
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b, c) = (
        dir.path().join("a.jsonl"),
        dir.path().join("b.jsonl"),
        dir.path().join("c.jsonl"),
    );
    // Over 1 MiB, so the first pass reads it in two parts at once.
    common::gen::write_history(&a, 300, 7);
    common::gen::write_history(&b, 120, 8);
    let mut extra = String::from("not json\n\n{\"task_id\":\"x\"}\n");
    let tie = chrono::DateTime::parse_from_rfc3339("2025-11-21T10:00:00Z")
        .expect("time")
        .timestamp_micros();
    for id in ["tie-b", "tie-c", "tie-a"] {
        extra.push_str(&common::record_at(id, tie, 3));
    }
    let mut text = std::fs::read_to_string(&a).expect("read");
    text.push_str(&extra);
    text.push_str(&host_runs("late", "2025-11-21T09:00:00Z", 4));
    text.push_str("{\"task_id\":\"torn\",\"sta");
    std::fs::write(&a, text).expect("write");
    // c: newer runs above older ones (out of end-time order), and ties
    // with a's runs across files.
    let mut c_text = host_runs("c", "2025-11-21T12:00:00Z", 5);
    c_text.push_str(&host_runs("c-old", "2025-11-21T08:00:00Z", 5));
    c_text.push_str(&common::record_at("tie-d", tie, 4));
    c_text.push_str(&common::record_at("tie-0", tie, 4));
    std::fs::write(&c, c_text).expect("write");
    let lammps = |id: &str, start_us: i64| {
        let mut rec: serde_json::Value =
            serde_json::from_str(&common::record_at(id, start_us, 3)).expect("record");
        rec["tool"] = "lammps".into();
        rec.to_string()
    };
    let rt = runtime.path();
    common::checkpoints::write_lost(rt, &a, &lammps("tie-bb", tie));
    common::checkpoints::write_lost(rt, &c, &common::record_at("tie-c", tie, 3));
    common::checkpoints::write_lost(rt, &b, &common::record_at("ancient", 0, 3));
    let _running = common::checkpoints::Running::start(rt, &a);
    let pattern = format!("{}/*.jsonl", dir.path().display());
    let filters: [&[&str]; 4] = [
        &[],
        &["--status", "failed"],
        &["--tool", "lammps", "--since", "2025-11-21T09:30:00Z"],
        &["--tool", "no-such-tool"],
    ];
    for filter in filters {
        for format in ["csv", "json", "jsonl"] {
            let args = |extra: &[&'static str]| -> Vec<String> {
                let mut v: Vec<String> = ["job-history", "--history", &pattern, "--format", format]
                    .iter()
                    .map(|s| s.to_string())
                    .collect();
                v.extend(filter.iter().map(|s| s.to_string()));
                v.extend(extra.iter().map(|s| s.to_string()));
                v
            };
            let (all, limit) = (args(&["--all"]), args(&["-n", "1000"]));
            let run = |args: &[String]| {
                common::run_in(rt, &args.iter().map(String::as_str).collect::<Vec<_>>())
            };
            let (streamed, collected) = (run(&all), run(&limit));
            // A limit over 1000 streams too, from the newest keys.
            let large = run(&args(&["-n", "100000"]));
            assert_eq!(large.stdout, collected.stdout, "{filter:?} {format}");
            assert_eq!(streamed.code, Some(0), "{filter:?} {format}");
            assert_eq!(streamed.stdout, collected.stdout, "{filter:?} {format}");
            assert!(
                streamed.stderr.contains("skipped 4 bad lines"),
                "{}",
                streamed.stderr
            );
            if filter.is_empty() {
                assert!(streamed.stdout.contains("tie-d"), "{format}");
            }
            if filter.is_empty() && format == "jsonl" {
                let rows: Vec<serde_json::Value> = streamed
                    .stdout
                    .lines()
                    .map(|l| serde_json::from_str(l).expect("jsonl"))
                    .collect();
                let at = |id: &str| rows.iter().position(|r| r["task_id"] == id);
                assert_eq!(rows[0]["status"], "running", "the newest run");
                assert_eq!(rows.last().map(|r| &r["task_id"]), Some(&"ancient".into()));
                assert_eq!(rows.last().map(|r| &r["status"]), Some(&"lost".into()));
                assert_eq!(at("tie-bb").map(|i| i - 1), at("tie-c"), "ids order ties");
                assert_eq!(at("tie-bb").map(|i| i + 1), at("tie-b"));
                let tie_c = rows.iter().filter(|r| r["task_id"] == "tie-c").count();
                assert_eq!(tie_c, 1, "a recorded run is shown once");
            }
            if filter.len() == 4 && format == "jsonl" {
                assert!(streamed.stdout.contains("tie-bb"), "{}", streamed.stdout);
            }
        }
    }
}

/// Checkpointed runs over many batches (the stream parses 512 runs at a
/// time): one newer than every run, one at a batch's first start time, one
/// between two batches, one older than every run. The streamed `--all`
/// lists them where the collected table does, and a streamed `--limit`
/// over 1000 cuts the list as `--all` orders it (issue 11: the streamed
/// path showed no checkpoint).
#[test]
fn checkpointed_runs_land_in_the_same_place_across_batches_and_limits() {
    let runtime = tempfile::tempdir().expect("tempdir");
    let dir = tempfile::tempdir().expect("tempdir");
    let h = dir.path().join("h.jsonl");
    let start = |i: i64| common::gen::BASE_US + i * 60_000_000;
    let mut text = String::new();
    for i in 0..1300 {
        text.push_str(&format!(
            "{{\"task_id\":\"r{i:04}\",\"tool\":\"t\",\"status\":\"success\",\"start_time\":\"{}\",\"duration_seconds\":1}}\n",
            chrono::DateTime::from_timestamp_micros(start(i))
                .expect("time")
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        ));
    }
    std::fs::write(&h, text).expect("write");
    let rt = runtime.path();
    // Newest first, the first batch ends at r0788 and the second starts at r0787.
    for (id, at) in [
        ("newest", start(2000)),
        ("r0787a", start(787)),
        ("between", start(787) + 30_000_000),
        ("oldest", start(-5)),
    ] {
        common::checkpoints::write_lost(rt, &h, &common::record_at(id, at, 1));
    }
    let hs = path_str(&h);
    let streamed = common::run_in(
        rt,
        &["job-history", "--history", hs, "--all", "--format", "jsonl"],
    );
    assert_eq!(streamed.code, Some(0), "{}", streamed.stderr);
    let streamed = ids(&streamed.stdout);
    let table = common::run_in(
        rt,
        &["job-history", "--history", hs, "--all", "--width", "200"],
    );
    let collected: Vec<String> = table
        .stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    assert_eq!(streamed.len(), 1304);
    assert_eq!(streamed, collected);
    let at = |id: &str| streamed.iter().position(|s| s == id).expect(id);
    assert_eq!(
        (
            at("newest"),
            at("r0788"),
            at("between"),
            at("r0787a"),
            at("r0787")
        ),
        (0, 512, 513, 514, 515)
    );
    assert_eq!(streamed.last().map(String::as_str), Some("oldest"));
    let limited = common::run_in(
        rt,
        &[
            "job-history",
            "--history",
            hs,
            "-n",
            "1100",
            "--format",
            "jsonl",
        ],
    );
    assert_eq!(ids(&limited.stdout), streamed[..1100]);
    for format in ["json", "csv"] {
        let out = common::run_in(
            rt,
            &[
                "job-history",
                "--history",
                hs,
                "-n",
                "1302",
                "--format",
                format,
            ],
        );
        let rows = if format == "json" {
            let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("one JSON array");
            v.as_array().expect("array").len()
        } else {
            out.stdout.lines().count() - 1
        };
        assert_eq!(rows, 1302, "{format}");
    }
    // A history with no run yet: the checkpointed run alone.
    let none = dir.path().join("none.jsonl");
    common::checkpoints::write_lost(rt, &none, &common::record_at("alone", start(1), 1));
    let out = common::run_in(
        rt,
        &[
            "job-history",
            "--history",
            path_str(&none),
            "--all",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("one JSON array");
    assert_eq!(v[0]["task_id"], "alone", "{}", out.stdout);
    assert!(!out.stderr.contains("no runs"), "{}", out.stderr);
}

/// A status written by a newer profrun (issue 10: `running`, `lost`,
/// `limit_exceeded` are coming) is listed as stored, not dropped.
#[test]
fn a_status_from_a_newer_profrun_is_shown_as_stored() {
    // `limit_exceeded`, then `lost`, were the examples until this profrun
    // learnt them.
    let line = r#"{"schema_version":1,"task_id":"6a1f0000aaaa","tool":"t","status":"preempted","start_time":"2025-11-21T10:00:00Z","duration_seconds":2}"#;
    let (_dir, h) = history_file("h.jsonl", &format!("{line}\n"));
    let h = path_str(&h);
    let jsonl = ok(&["job-history", "--history", h, "--format", "jsonl"]);
    assert!(jsonl.contains(r#""status":"preempted""#), "{jsonl}");
    let table = ok(&["job-history", "--history", h, "--width", "120"]);
    assert!(table.contains("preempted"), "{table}");
    let stats = ok(&[
        "job-stats",
        "--history",
        h,
        "--group-by",
        "status",
        "--format",
        "csv",
    ]);
    assert!(
        stats
            .lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("preempted,1,0,")),
        "{stats}"
    );
}

/// docs/query.md listed STATUS and `--status` without `lost`, `running`
/// and `limit_exceeded`, which the binary accepts and shows, and
/// docs/usage.md said its out-of-range sentence twice (review finding,
/// query item 8).
#[test]
fn the_docs_list_every_status_the_binary_accepts() {
    let r = run(&["job-history", "--status", "bogus"]);
    assert_eq!(r.code, Some(2));
    let accepted: Vec<&str> = r
        .stderr
        .split("[possible values: ")
        .nth(1)
        .and_then(|s| s.split(']').next())
        .expect("clap lists the values")
        .split(", ")
        .collect();
    assert!(accepted.contains(&"limit_exceeded"), "{accepted:?}");
    let docs = |name: &str| {
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("docs")
                .join(name),
        )
        .expect("docs")
    };
    let query = docs("query.md");
    for row in ["| `--status S` |", "| `status` | string |"] {
        let line = query
            .lines()
            .find(|l| l.starts_with(row))
            .unwrap_or_else(|| panic!("docs/query.md has no row {row}"));
        for status in &accepted {
            assert!(
                line.contains(&format!("`{status}`")),
                "{row} lacks {status}"
            );
        }
    }
    let usage = docs("usage.md");
    let sentence = "A number out of range names the value and the range:";
    assert_eq!(usage.matches(sentence).count(), 1);
}

/// At 80 columns `job-history -n3` split each id over two lines, so it
/// could not be copied into `job-details`; at 60, `job-stats`' headers
/// came out one letter a column (review finding, query item 9). Ids stay
/// whole, and so do header words; the tool and script wrap instead.
#[test]
fn narrow_terminals_keep_ids_and_header_words_whole() {
    let h = fixture();
    let hs = path_str(&h);
    let newest = ids(&ok(&[
        "job-history",
        "--history",
        hs,
        "-n3",
        "--format",
        "jsonl",
    ]));
    assert_eq!(newest.len(), 3);
    let at = |columns: &str, args: &[&str]| {
        let out = profrun()
            .env("COLUMNS", columns)
            .args(args)
            .args(["--history", hs])
            .output()
            .expect("run profrun");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let words = |text: &str| -> Vec<String> { text.split_whitespace().map(String::from).collect() };
    for columns in ["80", "60"] {
        let table = at(columns, &["job-history", "-n3"]);
        let shown = words(&table);
        for id in &newest {
            assert!(
                shown.contains(id),
                "COLUMNS={columns}: {id} split:\n{table}"
            );
        }
        if columns == "80" {
            let widest = table.lines().map(|l| l.chars().count()).max();
            assert!(widest <= Some(80), "{table}");
        }
        let stats = at(columns, &["job-stats"]);
        let shown = words(&stats);
        for header in [
            "TOOL", "SCRIPT", "RUNS", "WALL", "mean", "CORES", "PEAK", "WRITE",
        ] {
            assert!(
                shown.iter().any(|w| w == header),
                "COLUMNS={columns}: {header} split:\n{stats}"
            );
        }
    }
}
