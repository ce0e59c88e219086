//! Which run is checked against which: per group, the newest run (or the
//! run `--run` names) and the `--baseline N` successful runs that started
//! before it. The caller groups and filters the history (as `job-stats`
//! does) and orders each group newest first by start time.

use super::verdict::{check_group, CheckOptions, CheckReport, RunFigures};

/// `--baseline` default.
pub const DEFAULT_BASELINE_RUNS: usize = 10;

/// The runs of one group, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRuns {
    pub group: String,
    pub runs: Vec<RunFigures>,
}

/// Which run of a group `check` holds against its baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunChoice {
    /// The newest run of every group (no `--run`).
    NewestOfEachGroup,
    /// This task id only (`--run`, resolved by the caller from a prefix,
    /// `last` or `-N`); groups without it are not checked.
    Id(String),
}

/// The baseline of `runs[at]`: up to `n` successful runs older than it,
/// newest first. Empty when `at` is out of range.
pub fn baseline_at(runs: &[RunFigures], at: usize, n: usize) -> Vec<RunFigures> {
    runs.get(at + 1..)
        .unwrap_or_default()
        .iter()
        .filter(|r| r.status_ok)
        .take(n)
        .cloned()
        .collect()
}

/// Every check of `groups`, in their order. An empty report when no group
/// has the chosen run (the command says so).
pub fn check_groups(
    groups: &[GroupRuns],
    choice: &RunChoice,
    baseline_runs: usize,
    opts: &CheckOptions,
) -> CheckReport {
    let mut checks = Vec::new();
    for g in groups {
        let at = match choice {
            RunChoice::NewestOfEachGroup if !g.runs.is_empty() => Some(0),
            RunChoice::NewestOfEachGroup => None,
            RunChoice::Id(id) => g.runs.iter().position(|r| &r.task_id == id),
        };
        let Some(at) = at else { continue };
        let baseline = baseline_at(&g.runs, at, baseline_runs);
        checks.extend(check_group(&g.group, &g.runs[at], &baseline, opts));
    }
    CheckReport {
        checks,
        require_baseline: opts.require_baseline,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regress::verdict::{Metric, Verdict};

    fn run(id: &str, ok: bool, cpu: f64) -> RunFigures {
        RunFigures {
            task_id: id.to_string(),
            status_ok: ok,
            cpu_seconds: cpu,
            memory_peak_bytes: 0,
            wall_seconds: 1.0,
            write_bytes: 0,
            read_bytes: 0,
        }
    }

    fn cpu_only() -> CheckOptions {
        CheckOptions {
            metrics: vec![Metric::Cpu],
            ..CheckOptions::default()
        }
    }

    #[test]
    fn the_baseline_skips_failures_and_stops_at_n() {
        let runs = vec![
            run("r5", true, 1.0),
            run("r4", false, 9.0),
            run("r3", true, 1.0),
            run("r2", true, 1.1),
            run("r1", true, 0.9),
        ];
        let ids = |v: Vec<RunFigures>| v.into_iter().map(|r| r.task_id).collect::<Vec<_>>();
        assert_eq!(ids(baseline_at(&runs, 0, 2)), ["r3", "r2"]);
        assert_eq!(ids(baseline_at(&runs, 2, 10)), ["r2", "r1"]);
        assert!(baseline_at(&runs, 4, 10).is_empty());
        assert!(baseline_at(&runs, 9, 10).is_empty());
    }

    #[test]
    fn newest_of_each_group_or_one_named_run() {
        let steady = |p: &str| -> Vec<RunFigures> {
            (0..6)
                .map(|i| run(&format!("{p}{i}"), true, 2.0 + 0.01 * i as f64))
                .collect()
        };
        let mut a = steady("a");
        a.insert(0, run("a-new", true, 4.0));
        let groups = vec![
            GroupRuns {
                group: "a".to_string(),
                runs: a,
            },
            GroupRuns {
                group: "b".to_string(),
                runs: steady("b"),
            },
            GroupRuns {
                group: "empty".to_string(),
                runs: Vec::new(),
            },
        ];
        let report = check_groups(&groups, &RunChoice::NewestOfEachGroup, 10, &cpu_only());
        let got: Vec<(&str, &str, Verdict)> = report
            .checks
            .iter()
            .map(|c| (c.group.as_str(), c.task_id.as_str(), c.verdict))
            .collect();
        assert_eq!(
            got,
            [
                ("a", "a-new", Verdict::Regression),
                ("b", "b0", Verdict::Ok)
            ]
        );
        assert_eq!(report.exit_code(), 1);
        // An older run of a: checked against the runs before it only.
        let report = check_groups(&groups, &RunChoice::Id("a3".to_string()), 10, &cpu_only());
        assert_eq!(report.checks.len(), 1);
        assert_eq!(report.checks[0].baseline_n, 2);
        assert_eq!(report.checks[0].verdict, Verdict::NoBaseline);
        let none = check_groups(&groups, &RunChoice::Id("zz".to_string()), 10, &cpu_only());
        assert!(none.checks.is_empty());
    }
}
