//! `regress` (the core of `profrun check`) on records of real runs of the
//! `workload` example, read back from a real history: a steady history
//! passes, a run with twice the CPU fails and names CPU. The command tests
//! (exit codes, formats, `$GITHUB_STEP_SUMMARY`) come with `profrun check`.

use profrun::record::JobRecord;
use profrun::regress::{self, CheckOptions, GroupRuns, Metric, RunChoice, RunFigures, Verdict};
use profrun::report::table::TableStyle;

mod wrapper;
use wrapper::run_workload;

/// The history's runs as `check` sees them, newest first.
fn runs(history: &std::path::Path) -> Vec<RunFigures> {
    let text = std::fs::read_to_string(history).expect("read the history");
    let mut runs: Vec<RunFigures> = text
        .lines()
        .map(|l| {
            let record: JobRecord = serde_json::from_str(l).expect("a record");
            RunFigures::from_record(&record)
        })
        .collect();
    runs.reverse();
    runs
}

fn burn(dir: &std::path::Path, ms: u64) {
    let (out, _) = run_workload(dir, &["--quiet"], &["cpu", &ms.to_string()]);
    assert!(out.status.success(), "{out:?}");
}

/// Wall time is left out of the steady case: on a shared test machine it
/// moves with the load, which the unit tests cover with synthetic noise.
fn exact_metrics() -> CheckOptions {
    CheckOptions {
        metrics: vec![Metric::Cpu, Metric::MemoryPeak, Metric::WriteBytes],
        ..CheckOptions::default()
    }
}

#[test]
fn real_runs_steady_then_twice_the_cpu() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("h.jsonl");
    for _ in 0..5 {
        burn(dir.path(), 200);
    }
    let group = |runs| GroupRuns {
        group: "workload".to_string(),
        runs,
    };
    let steady = regress::check_groups(
        &[group(runs(&history))],
        &RunChoice::NewestOfEachGroup,
        10,
        &exact_metrics(),
    );
    assert_eq!(steady.checks.len(), 3);
    assert!(
        steady.checks.iter().all(|c| c.verdict == Verdict::Ok),
        "{steady:?}"
    );
    assert_eq!(steady.checks[0].baseline_n, 4);
    assert_eq!(steady.exit_code(), 0);

    burn(dir.path(), 400);
    let all = runs(&history);
    let newest = all[0].task_id.clone();
    let report = regress::check_groups(
        &[group(all)],
        &RunChoice::NewestOfEachGroup,
        10,
        &exact_metrics(),
    );
    let cpu = &report.checks[0];
    assert_eq!(cpu.metric, Metric::Cpu);
    assert_eq!(cpu.task_id, newest);
    assert_eq!(cpu.baseline_n, 5);
    assert_eq!(cpu.verdict, Verdict::Regression, "{report:?}");
    let change = cpu.change_percent.expect("a change");
    assert!((80.0..120.0).contains(&change), "{change}");
    assert_eq!(report.exit_code(), 1);
    let style = TableStyle {
        width: Some(120),
        colour: false,
    };
    let text = regress::render::text(&report, &style);
    let row = text
        .lines()
        .find(|l| l.contains("regression"))
        .expect("a regression row");
    assert!(row.contains("workload") && row.contains(" cpu "), "{text}");
}
