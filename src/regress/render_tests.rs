use super::*;
use crate::regress::verdict::{check_group, CheckOptions, Metric, RunFigures};

const MIB: u64 = 1024 * 1024;

fn figures(id: &str, cpu: f64, mem_mib: f64) -> RunFigures {
    RunFigures {
        task_id: id.to_string(),
        status_ok: true,
        cpu_seconds: cpu,
        memory_peak_bytes: (mem_mib * MIB as f64) as u64,
        wall_seconds: 10.0,
        write_bytes: 0,
        read_bytes: 0,
    }
}

/// The issue's example: nine runs of 12.9 s ± 0.2 and 51 MiB ± 1.
fn issue_report() -> CheckReport {
    let cpu = [12.7, 13.1, 12.9, 12.6, 13.2, 12.9, 12.8, 13.0, 12.9];
    let mem = [50.0, 52.0, 51.0, 50.0, 52.0, 51.0, 51.5, 50.5, 51.0];
    let base: Vec<RunFigures> = cpu
        .iter()
        .zip(mem)
        .map(|(&c, m)| figures("b", c, m))
        .collect();
    let opts = CheckOptions {
        metrics: vec![Metric::Cpu, Metric::MemoryPeak],
        ..CheckOptions::default()
    };
    CheckReport {
        checks: check_group("lammps in.melt", &figures("new", 26.1, 52.0), &base, &opts),
        require_baseline: false,
    }
}

fn plain() -> TableStyle {
    TableStyle {
        width: Some(100),
        colour: false,
    }
}

#[test]
fn the_table_reads_like_the_issue() {
    let out = text(&issue_report(), &plain());
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    let words = |l: &str| l.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(
        words(lines[0]),
        "GROUP METRIC BASELINE (n=9) NEW CHANGE VERDICT"
    );
    assert_eq!(
        words(lines[1]),
        "lammps in.melt cpu 12.9 s ± 0.2 26.1 s +102 % regression"
    );
    assert_eq!(
        words(lines[2]),
        "lammps in.melt memory peak 51 MiB ± 1 52 MiB +2 % ok"
    );
}

#[test]
fn a_short_baseline_shows_n_per_row_and_a_note() {
    let mut report = issue_report();
    let short = check_group(
        "other",
        &figures("n2", 1.0, 1.0),
        &[figures("b", 1.0, 1.0)],
        &CheckOptions::default(),
    );
    report.checks.extend(short);
    let out = text(&report, &plain());
    assert!(out.lines().next().expect("header").contains("BASELINE "));
    assert!(out.contains("(n=9)") && out.contains("(n=1)"), "{out}");
    assert!(out.contains("no baseline"), "{out}");
    assert!(
        out.ends_with(
            "note: 1 group has too few earlier successful runs to compare with \
             (not a failure without --require-baseline)\n"
        ),
        "{out}"
    );
}

#[test]
fn markdown_is_a_github_table_with_escaped_cells() {
    let mut report = issue_report();
    report.checks[0].group = "a|b".to_string();
    let md = markdown(&report);
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(lines[0], "### profrun check: 1 regression, 1 ok");
    assert_eq!(
        lines[2],
        "| Group | Metric | Baseline (n=9) | New | Change | Verdict |"
    );
    assert_eq!(lines[3], "|---|---|---:|---:|---:|---|");
    assert_eq!(
        lines[4],
        "| a\\|b | cpu | 12.9 s ± 0.2 | 26.1 s | +102 % | **regression** |"
    );
    assert_eq!(lines.len(), 6);
}

#[test]
fn json_is_stable_and_complete() {
    let doc: serde_json::Value = serde_json::from_str(&json(&issue_report())).expect("valid JSON");
    assert_eq!(doc["schema"], "profrun-check/1");
    assert_eq!(doc["exit_code"], 1);
    assert_eq!(doc["summary"]["regression"], 1);
    assert_eq!(doc["summary"]["ok"], 1);
    let cpu = &doc["checks"][0];
    let keys: Vec<&str> = cpu
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "group",
            "metric",
            "unit",
            "task_id",
            "baseline_n",
            "baseline_mean",
            "baseline_sd",
            "new",
            "change_percent",
            "bound",
            "threshold_percent",
            "verdict"
        ]
    );
    assert_eq!(cpu["metric"], "cpu");
    assert_eq!(cpu["unit"], "seconds");
    assert_eq!(cpu["verdict"], "regression");
    assert_eq!(doc["checks"][1]["metric"], "memory_peak");
    assert_eq!(doc["checks"][1]["unit"], "bytes");
}

#[test]
fn spreads_share_the_mean_unit() {
    assert_eq!(mean_sd(Unit::Seconds, 12.9, Some(0.2)), "12.9 s ± 0.2");
    assert_eq!(mean_sd(Unit::Seconds, 0.25, Some(0.012)), "250 ms ± 12");
    assert_eq!(mean_sd(Unit::Seconds, 330.0, Some(4.2)), "5m 30s ± 4.2 s");
    assert_eq!(
        mean_sd(Unit::Bytes, 51.0 * MIB as f64, Some(MIB as f64)),
        "51 MiB ± 1"
    );
    assert_eq!(
        mean_sd(
            Unit::Bytes,
            2.5 * 1024.0 * MIB as f64,
            Some(0.1 * 1024.0 * MIB as f64)
        ),
        "2.5 GiB ± 0.1"
    );
    assert_eq!(mean_sd(Unit::Bytes, 512.0, None), "512 B");
}

#[test]
fn every_format_by_name() {
    let report = issue_report();
    for (name, start) in [
        ("text", " GROUP"),
        ("json", "{"),
        ("junit", "<?xml"),
        ("md", "### profrun check"),
    ] {
        let format = CheckFormat::parse(name).expect("a format");
        assert!(
            render(&report, format, &plain()).starts_with(start),
            "{name}"
        );
    }
    assert_eq!(CheckFormat::parse("csv"), None);
}

/// One failed run checked on four metrics was "4 failed runs" in the
/// markdown heading and the `--output` line (review finding, query item 5).
#[test]
fn a_failed_run_is_counted_once_not_once_per_metric() {
    let base: Vec<RunFigures> = (0..5).map(|_| figures("b", 10.0, 50.0)).collect();
    let failed = RunFigures {
        status_ok: false,
        ..figures("new", 10.0, 50.0)
    };
    let opts = CheckOptions {
        metrics: Metric::DEFAULT.to_vec(),
        ..CheckOptions::default()
    };
    let mut checks = check_group("workload", &failed, &base, &opts);
    assert!(checks.len() > 1, "{checks:?}");
    let one = CheckReport {
        checks: checks.clone(),
        require_baseline: false,
    };
    assert_eq!(summary_line(&one), "1 failed run");
    assert!(markdown(&one).starts_with("### profrun check: 1 failed run\n"));
    checks.extend(check_group("other", &failed, &base, &opts));
    let two = CheckReport {
        checks,
        require_baseline: false,
    };
    assert_eq!(summary_line(&two), "2 failed runs");
}
