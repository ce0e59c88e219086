//! `profrun check`: group the matching runs as `job-stats` does, hold each
//! group's newest run (or `--run`) against the group's earlier successful
//! runs, print the verdicts, and exit 1 when one of them fails the gate.
//! The decision rule and the formats are `regress`'s; here are the reading,
//! the files and the exit code. docs/ci.md documents them.

use super::filter_args::filter_from_args;
use super::find_run::{find_run, spec_text};
use super::output;
use crate::cli::CheckArgs;
use crate::criteria::GroupKey;
use crate::history::filter::Filter;
use crate::history::History;
use crate::regress::render;
use crate::regress::{self, CheckOptions, CheckReport, GroupRuns, Metric, RunChoice, RunFigures};
use crate::report::stats;
use anyhow::Context;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// Threads reading one file, as `job-stats` reads it.
const PARTS: usize = 2;

/// Exit code when the check could not be made (a usage error, an unknown
/// `--run`, an unreadable history, a report that cannot be written):
/// neither "passed" (0) nor "regressed" (1).
const EXIT_USAGE: u8 = 2;

/// A run as gathered: its start orders the group, newest first.
type Gathered = (i64, RunFigures);

pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let opts = options(&args);
    if let Err(e) = opts.validate() {
        return Ok(usage(&e));
    }
    let mut history = match History::open(&args.source.history) {
        Ok(h) => h,
        Err(e) => return Ok(usage(&e.to_string())),
    };
    output::warn_missing(&history.sources);
    let choice = match &args.run {
        None => RunChoice::NewestOfEachGroup,
        Some(spec) => match find_run(&mut history, spec) {
            Ok(entry) => RunChoice::Id(entry.job.task_id),
            Err(e) => return Ok(usage(&e.to_string())),
        },
    };
    let keys = if args.group_by.is_empty() {
        stats::default_keys()
    } else {
        args.group_by.clone()
    };
    let filter = filter_from_args(&args.filter, output::now_us());
    // `gather` reads every line, so its count of bad lines is the whole
    // count; `find_run`'s pass above saw some of the same lines.
    history.bad = Default::default();
    let groups = match gather(&mut history, &filter, &keys) {
        Ok(g) => g,
        Err(e) => return Ok(usage(&e.to_string())),
    };
    output::warn_bad_lines(&history.bad);
    let report = regress::check_groups(&groups, &choice, args.baseline, &opts);
    if let (Some(spec), true) = (&args.run, report.checks.is_empty()) {
        return Ok(usage(&format!(
            "run '{}' is not among the runs these filters select",
            spec_text(spec)
        )));
    }
    if groups.is_empty() {
        output::say(&format!(
            "profrun: no runs to check (history: {})",
            history.sources.describe()
        ));
    }
    let text = render::render(
        &report,
        args.format,
        &output::table_style(args.source.width),
    );
    match &args.output {
        Some(path) => {
            if let Err(e) = output::write_atomically(path, text.as_bytes()) {
                return Ok(usage(&format!(
                    "cannot write the report to '{}': {e}",
                    path.display()
                )));
            }
            output::say(&format!(
                "profrun check: {} (report in '{}')",
                render::summary_line(&report),
                path.display()
            ));
        }
        None => output::emit(&text).context("writing to stdout")?,
    }
    if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        let path = Path::new(&summary);
        // The gate's verdict matters more than the summary page: a summary
        // that cannot be written is a warning.
        if let Err(e) = append(path, render::markdown(&report).as_bytes()) {
            output::say(&format!(
                "profrun: warning: cannot append to GITHUB_STEP_SUMMARY '{}': {e}",
                path.display()
            ));
        }
    }
    Ok(exit_code(&report))
}

fn options(args: &CheckArgs) -> CheckOptions {
    let mut metrics: Vec<Metric> = Vec::new();
    for m in &args.metrics {
        if !metrics.contains(m) {
            metrics.push(*m);
        }
    }
    if metrics.is_empty() {
        metrics = Metric::DEFAULT.to_vec();
    }
    CheckOptions {
        metrics,
        threshold_percent: args.threshold,
        min_baseline: args.min_baseline,
        require_baseline: args.require_baseline,
        ..CheckOptions::default()
    }
}

/// 0 passed, 1 failed the gate. Nothing to check at all passes, unless a
/// baseline is required: then there is none.
fn exit_code(report: &CheckReport) -> ExitCode {
    let failed = report.failed() || (report.checks.is_empty() && report.require_baseline);
    ExitCode::from(u8::from(failed))
}

fn usage(message: &str) -> ExitCode {
    output::say(&format!("profrun: error: {message}"));
    ExitCode::from(EXIT_USAGE)
}

/// A group's key values as one name, as the table shows it: joined by a
/// space, trailing `-` (a run without a script) left out, so the default
/// grouping names a script-less tool by its name alone.
fn group_name(mut values: Vec<String>) -> String {
    while values.len() > 1 && values.last().is_some_and(|v| v == "-") {
        values.pop();
    }
    values.join(" ")
}

/// Every matching run, by group ([`group_name`], groups in name order),
/// newest first; a run found in two merged files counts once.
fn gather(
    history: &mut History,
    filter: &Filter,
    keys: &[GroupKey],
) -> Result<Vec<GroupRuns>, crate::history::source::HistoryError> {
    let parts = std::thread::available_parallelism().map_or(1, |n| n.get().min(PARTS));
    let scanned = history.scan_parts(
        parts,
        |_| HashMap::<String, Vec<Gathered>>::new(),
        |part, job| {
            if !filter.matches(&job) {
                return;
            }
            let group = group_name(keys.iter().map(|k| stats::key_value(k, &job)).collect());
            let start = job.start_us;
            part.entry(group)
                .or_default()
                .push((start, RunFigures::from_view(job)));
        },
    )?;
    let mut all: HashMap<String, Vec<Gathered>> = HashMap::new();
    for part in scanned {
        for (group, runs) in part {
            all.entry(group).or_default().extend(runs);
        }
    }
    let mut groups: Vec<GroupRuns> = all
        .into_iter()
        .map(|(group, mut runs)| {
            runs.sort_by(|a, b| (b.0, &b.1.task_id).cmp(&(a.0, &a.1.task_id)));
            runs.dedup_by(|a, b| a.1.task_id == b.1.task_id);
            GroupRuns {
                group,
                runs: runs.into_iter().map(|(_, r)| r).collect(),
            }
        })
        .collect();
    groups.sort_by(|a, b| a.group.cmp(&b.group));
    Ok(groups)
}

fn append(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)?
        .write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::group_name;
    use crate::commands::output::write_atomically;

    #[test]
    fn a_group_is_named_by_its_values_without_trailing_dashes() {
        let name = |v: &[&str]| group_name(v.iter().map(|s| s.to_string()).collect());
        assert_eq!(name(&["lammps", "in.melt"]), "lammps in.melt");
        assert_eq!(name(&["workload", "-"]), "workload");
        assert_eq!(name(&["-", "a"]), "- a");
        assert_eq!(name(&["-", "-"]), "-");
    }

    #[test]
    fn the_report_replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("report.xml");
        std::fs::write(&path, "old, longer content").expect("write");
        write_atomically(&path, b"new").expect("replace");
        assert_eq!(std::fs::read(&path).expect("read"), b"new");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, [std::ffi::OsString::from("report.xml")]);
    }
}
