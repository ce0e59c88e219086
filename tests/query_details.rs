//! `job-details` through the real binary: the full view (snapshot), id
//! resolution (full, prefix, `last`, `-N`), ambiguous and unknown ids, and
//! `--json` printing the stored line byte for byte.

mod common;

use common::{fixture, history_file, host_runs, ok, path_str, run};

fn details(id: &str) -> String {
    let h = fixture();
    ok(&[
        "job-details",
        id,
        "--history",
        path_str(&h),
        "--width",
        "100",
    ])
}

fn shown_id(view: &str) -> String {
    let first = view.lines().next().expect("header line");
    first.split_whitespace().nth(1).expect("id").to_string()
}

#[test]
fn details_snapshot_at_fixed_width() {
    let want = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/details_6a1b2c3d4e5f.txt"),
    )
    .expect("snapshot");
    assert_eq!(details("6a1b2c3d4e5f"), want);
}

#[test]
fn every_block_of_the_record_is_shown() {
    let v = details("6a1b2c3d4e5f");
    for section in [
        "\nCommand\n",
        "\nOutcome\n",
        "\nHost\n",
        "\nEnvironment\n",
        "\nResource usage (kernel totals)\n",
        "\nMeasurement\n",
        "\nSampled profile\n",
        "\nI/O\n",
        "\nNetwork\n",
        "\nProcesses (top by CPU)\n",
        "\nOver time\n",
        "\nAlerts\n",
    ] {
        assert!(v.contains(section), "missing {section:?}");
    }
    // Sparklines: one cell per sample (10 here), peaking mid-run.
    let cpu = v
        .lines()
        .find(|l| l.trim_start().starts_with("cpu_percent"))
        .expect("chart");
    assert!(cpu.contains("▁▃▅▆██▅▄▂▁"), "{cpu}");
    assert!(cpu.contains("max 198.0 %"), "{cpu}");

    let gpu = details("6a1b7777");
    assert!(gpu.contains("\nGPU\n"), "{gpu}");
    assert!(
        gpu.contains("nvidia.gpu_utilization_percent     85.5 %"),
        "{gpu}"
    );
    assert!(
        gpu.contains("nvidia.temperature_celsius         68 °C"),
        "{gpu}"
    );

    let killed = details("6a1c0000");
    assert!(
        killed.starts_with("run 6a1c0000bbbb  signaled (SIGKILL)\n"),
        "{killed}"
    );
    assert!(
        killed.contains("  signal                  SIGKILL (9)\n"),
        "{killed}"
    );

    let unstarted = details("6a1c1111");
    assert!(
        unstarted.contains("command not found: 'nosuchtool'"),
        "{unstarted}"
    );

    // The seed system's format: no schema_version, naive times.
    let seed = details("abc");
    assert!(
        seed.contains("\nContainer / cgroup\n  cpu_percent             45.23\n"),
        "{seed}"
    );
    assert!(
        seed.contains("2025-10-15T10:30:00.000000 (2025-10-15 10:30:00"),
        "{seed}"
    );
}

#[test]
fn fields_added_later_still_show() {
    let dir = tempfile::tempdir().expect("tempdir");
    let h = dir.path().join("h.jsonl");
    let line = std::fs::read_to_string(fixture()).expect("fixture");
    let mut v: serde_json::Value =
        serde_json::from_str(line.lines().nth(1).expect("line")).expect("json");
    v["future_block"] = serde_json::json!({"spill_mb": 3, "note": "new"});
    v["detailed_profile"]["pressure"] = serde_json::json!({"cpu_some_avg10_percent": 1.5});
    std::fs::write(&h, format!("{v}\n")).expect("write");
    let out = ok(&["job-details", "last", "--history", path_str(&h)]);
    assert!(
        out.contains("\nOther\n  future_block.spill_mb   3.0 MiB\n  future_block.note       new\n"),
        "{out}"
    );
    assert!(
        out.contains("\nPressure stall\n  cpu_some_avg10_percent  1.5 %\n"),
        "{out}"
    );
}

#[test]
fn ids_resolve_by_prefix_last_and_position() {
    assert_eq!(shown_id(&details("6a1b2c3d4e5f")), "6a1b2c3d4e5f");
    assert_eq!(shown_id(&details("6a1b2c3d4")), "6a1b2c3d4e5f");
    assert_eq!(shown_id(&details("6A1B7")), "6a1b7777aaaa");
    // Newest by start time, as job-history lists them.
    assert_eq!(shown_id(&details("last")), "6a1c2222dddd");
    assert_eq!(shown_id(&details("-1")), "6a1c2222dddd");
    assert_eq!(shown_id(&details("-3")), "6a1c0000bbbb");
    assert_eq!(shown_id(&details("-7")), "6a19aaaa0000");
    let h = fixture();
    let r = run(&["job-details", "-9", "--history", path_str(&h)]);
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("the history has 8 runs"), "{}", r.stderr);
    let r = run(&["job-details", "-0", "--history", path_str(&h)]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
}

#[test]
fn an_ambiguous_prefix_lists_the_candidates() {
    let h = fixture();
    let r = run(&["job-details", "6a1c", "--history", path_str(&h)]);
    assert_eq!(r.code, Some(1));
    assert_eq!(
        r.stderr,
        "profrun: error: id prefix '6a1c' matches 3 runs; give more characters:\n  \
         6a1c2222dddd  11-21 10:00:00  fenicsx  interrupted\n  \
         6a1c1111cccc  11-21 09:00:00  nosuchtool  not started\n  \
         6a1c0000bbbb  11-21 08:00:00  openfoam  SIGKILL\n"
    );
    assert_eq!(r.stdout, "");
}

#[test]
fn an_unknown_id_names_the_nearest() {
    let h = fixture();
    let r = run(&["job-details", "6a1b2c3dq", "--history", path_str(&h)]);
    assert_eq!(r.code, Some(1));
    assert!(
        r.stderr.starts_with(
            "profrun: error: no run with id '6a1b2c3dq' in the history; nearest: 6a1b2c3d4e5f, 6a1b2c3d9xyz, "
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn json_prints_the_stored_line_byte_for_byte() {
    let text = std::fs::read_to_string(fixture()).expect("fixture");
    let h = fixture();
    for (i, line) in text.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        let id = v["task_id"].as_str().expect("id");
        let out = ok(&["job-details", id, "--json", "--history", path_str(&h)]);
        assert_eq!(out, format!("{line}\n"), "line {}", i + 1);
    }
}

/// The id of the run `job-details ID --json` finds.
fn found_id(h: &std::path::Path, id: &str) -> String {
    let line = ok(&["job-details", id, "--json", "--history", path_str(h)]);
    let v: serde_json::Value = serde_json::from_str(&line).expect("json");
    v["task_id"].as_str().expect("task_id").to_string()
}

/// Regression: `last` and `-N` read the history backwards like
/// `job-history --limit`, and stopped too early in a file not in end-time
/// order (`cat hostA.jsonl hostB.jsonl`, host A's runs the newer ones).
#[test]
fn last_and_minus_n_of_concatenated_histories_out_of_end_order_are_the_newest_runs() {
    let a = host_runs("a", "2025-11-21T12:00:00Z", 6);
    let b = host_runs("b", "2025-11-21T10:00:00Z", 6);
    for older in [0, 40] {
        let text = host_runs("old", "2025-11-20T00:00:00Z", older) + &a + &b;
        let (_dir, h) = history_file("h.jsonl", &text);
        assert_eq!(found_id(&h, "last"), "a-1250", "{older} older runs");
        assert_eq!(found_id(&h, "-1"), "a-1250");
        assert_eq!(found_id(&h, "-2"), "a-1240");
        assert_eq!(found_id(&h, "-6"), "a-1200");
        assert_eq!(found_id(&h, "-7"), "b-1050");
    }
}

/// Regression: `job-details -3` on a shorter history said "the 3th newest
/// run" (issue 10).
#[test]
fn minus_3_asks_for_the_3rd_newest_run_not_the_3th() {
    let two: String = std::fs::read_to_string(fixture())
        .expect("fixture")
        .lines()
        .take(2)
        .map(|l| format!("{l}\n"))
        .collect();
    let (_dir, h) = history_file("h.jsonl", &two);
    for (arg, nth) in [("-3", "3rd"), ("-21", "21st"), ("-12", "12th")] {
        let r = run(&["job-details", arg, "--history", path_str(&h)]);
        assert_eq!(r.code, Some(1));
        assert_eq!(
            r.stderr,
            format!(
                "profrun: error: '{arg}' asks for the {nth} newest run, but the history has 2 runs\n"
            )
        );
    }
}

/// The fixture's run `6a1b2c3d4e5f` with `change` applied, as a one-line
/// history, and its `job-details` view.
fn details_of_changed(change: impl FnOnce(&mut serde_json::Value)) -> String {
    let line = std::fs::read_to_string(fixture()).expect("fixture");
    let mut v: serde_json::Value =
        serde_json::from_str(line.lines().nth(1).expect("line")).expect("json");
    change(&mut v);
    let (_dir, h) = history_file("h.jsonl", &format!("{v}\n"));
    ok(&[
        "job-details",
        "last",
        "--history",
        path_str(&h),
        "--width",
        "100",
    ])
}

#[test]
fn a_block_of_the_wrong_shape_is_shown_as_unreadable_and_the_rest_still_shows() {
    let out = details_of_changed(|v| {
        v["measurement"] = serde_json::json!("ru_maxrss");
        v["detailed_profile"]["io_stats"] = serde_json::json!([1, 2]);
        v["detailed_profile"]["network"]["rx_bytes"] = serde_json::json!("many");
    });
    assert!(
        out.contains("\nMeasurement\n  unreadable: ru_maxrss\n"),
        "{out}"
    );
    assert!(out.contains("\nI/O\n  unreadable: 1, 2\n"), "{out}");
    assert!(
        out.contains(
            "\nNetwork\n  rx_bytes                unreadable: many\n  \
             tx_bytes                64 KiB (65432 B)\n"
        ),
        "{out}"
    );
    // The blocks around them read as before.
    assert!(
        out.contains("\n  cpu_total_seconds             4m 58s (297.8 s)\n"),
        "{out}"
    );
    assert!(
        out.contains("\nOver time\n  10 samples over 5m 30s\n"),
        "{out}"
    );
}

#[test]
fn a_newer_status_and_new_keys_inside_known_blocks_show_as_stored() {
    let out = details_of_changed(|v| {
        v["status"] = serde_json::json!("limit_exceeded");
        v["resource_usage"]["spill_mb"] = serde_json::json!(3);
        v["detailed_profile"]["top_processes"][0]["gpu_mb"] = serde_json::json!(5);
    });
    assert!(
        out.starts_with("run 6a1b2c3d4e5f  limit_exceeded (exit 0)\n"),
        "{out}"
    );
    assert!(
        out.contains("\n  status                  limit_exceeded\n"),
        "{out}"
    );
    // In stored order: after the last known field of the block.
    assert!(
        out.contains(
            "\n  block_output_ops              0\n  spill_mb                      3.0 MiB\n"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "\n   PID  NAME     CPU_SECONDS  PEAK_RSS_MB   GPU_MB\n  \
             4242  python3       4m 41s      2.0 GiB  5.0 MiB\n  \
             4250  mpirun        17.2 s       48 MiB        -\n"
        ),
        "{out}"
    );
}

/// The fixture lists `pid` before `name` in `top_processes`; profrun
/// writes `name` first. The view keeps each record's stored order, as it did
/// when it rendered the stored JSON.
#[test]
fn the_process_table_of_a_real_run_keeps_the_recorded_column_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let h = dir.path().join("h.jsonl");
    let out = common::profrun()
        .args(["--quiet", "--history", path_str(&h), "--"])
        .args(["sh", "-c", "sleep 0.6"])
        .output()
        .expect("run profrun");
    assert!(out.status.success(), "{out:?}");
    let view = ok(&[
        "job-details",
        "last",
        "--history",
        path_str(&h),
        "--width",
        "120",
    ]);
    let header = view
        .lines()
        .skip_while(|l| *l != "Processes (top by CPU)")
        .nth(1)
        .expect("process table");
    assert!(
        header.trim_start().starts_with("NAME  ") && header.contains("PID"),
        "{view}"
    );
}
