//! `report`: one pass over the (filtered) history builds the `job-stats`
//! table, each group's trend figures and the `check` verdict of its newest
//! run; then the newest `--runs` runs are read in full for their charts and
//! analysis. `plot::html` turns it all into one self-contained page.

use super::filter_args::filter_from_args;
use super::output;
use super::plot::{write_output, StoredRun};
use crate::cli::ReportArgs;
use crate::criteria::GroupKey;
use crate::plot::html::{self, GroupSection, ReportPage, RunSection, TrendRun};
use crate::plot::overlays;
use crate::record::{RecordView, Status, StoredStatus, BYTES_PER_MB};
use crate::regress::{self, CheckOptions, GroupRuns, RunChoice, Verdict};
use crate::report::table::TableStyle;
use crate::report::{stats, stats_view};
use std::collections::BTreeMap;
use std::process::ExitCode;

/// One matching run as the pass keeps it.
struct Kept {
    key: Vec<String>,
    start_us: i64,
    trend: TrendRun,
    check: regress::RunFigures,
    file: usize,
    offset: u64,
    len: usize,
}

pub fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let mut history = match crate::history::History::open(&args.source.history) {
        Ok(h) => h,
        Err(e) => return Ok(output::history_failed(&e)),
    };
    output::warn_missing(&history.sources);
    let filter = filter_from_args(&args.filter, output::now_us());
    let keys = if args.group_by.is_empty() {
        stats::default_keys()
    } else {
        args.group_by.clone()
    };
    let mut builder = stats::StatsBuilder::new(keys.clone());
    let mut kept = Vec::new();
    let mut seen = 0u64;
    let scanned = history.scan(|job, at| {
        seen += 1;
        if !filter.matches(&job) {
            return;
        }
        builder.add(&job);
        kept.push(Kept {
            key: keys.iter().map(|k| stats::key_value(k, &job)).collect(),
            start_us: job.start_us,
            trend: trend_run(&job),
            check: check_figures(&job),
            file: at.file,
            offset: at.offset,
            len: at.len,
        });
    });
    if let Err(e) = scanned {
        return Ok(output::history_failed(&e));
    }
    output::warn_bad_lines(&history.bad);
    let groups = builder.finish();
    // The table exactly as `job-stats` prints it here, without colour.
    let style = TableStyle {
        colour: false,
        ..output::table_style(args.source.width)
    };
    let stats_table = if groups.is_empty() {
        output::nothing_matched_line(&history.sources, seen)
    } else {
        stats_view::table(&keys, &groups, &style)
    };

    // Oldest first within a group; the newest runs overall for the plots.
    kept.sort_by(|a, b| (a.start_us, &a.trend.task_id).cmp(&(b.start_us, &b.trend.task_id)));
    let mut by_group: BTreeMap<&[String], Vec<&Kept>> = BTreeMap::new();
    for k in &kept {
        by_group.entry(&k.key).or_default().push(k);
    }
    let verdicts = verdicts(&keys, &by_group);
    let sections = groups
        .iter()
        .map(|g| {
            let runs = by_group.get(g.key.as_slice()).cloned().unwrap_or_default();
            let name = group_name(&keys, &g.key);
            GroupSection {
                verdict: verdicts.get(&name).cloned(),
                name,
                runs: runs.iter().map(|k| k.trend.clone()).collect(),
            }
        })
        .collect();

    let mut newest_runs = Vec::new();
    for k in kept.iter().rev().take(args.runs) {
        let line = match history.read_line(k.file, k.offset, k.len) {
            Ok(l) => l,
            Err(e) => return Ok(output::history_failed(&e)),
        };
        match StoredRun::parse(&line) {
            Some(run) => newest_runs.push(run),
            None => output::say(&format!(
                "profrun: warning: run '{}' is not a full record; not drawn",
                k.trend.task_id
            )),
        }
    }
    let newest = newest_runs
        .iter()
        .map(|run| {
            let analysis = overlays::analysis_of(&run.record, &run.raw);
            RunSection {
                record: &run.record,
                overlays: overlays::overlays_of(&analysis, &run.raw),
                notes: overlays::analysis_notes(&analysis),
            }
        })
        .collect();
    let page = ReportPage {
        title: "profrun report".into(),
        description: format!(
            "{} of {seen} runs in {}, grouped by {}; generated {}",
            kept.len(),
            history.sources.describe(),
            keys.iter().map(|k| k.name()).collect::<Vec<_>>().join(", "),
            chrono::Local::now().format("%Y-%m-%d %H:%M")
        ),
        stats_table,
        groups: sections,
        newest,
    };
    write_output(&args.output, html::report_html(&page).as_bytes())
}

fn group_name(keys: &[GroupKey], values: &[String]) -> String {
    keys.iter()
        .zip(values)
        .map(|(k, v)| format!("{}: {v}", k.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn trend_run(job: &RecordView) -> TrendRun {
    TrendRun {
        task_id: job.task_id.clone(),
        wall_seconds: job.duration_seconds,
        cpu_seconds: job.cpu_total_seconds.unwrap_or(f64::NAN),
        memory_peak_bytes: job.memory_peak_mb.map_or(f64::NAN, |mb| mb * BYTES_PER_MB),
    }
}

fn check_figures(job: &RecordView) -> regress::RunFigures {
    regress::RunFigures {
        task_id: job.task_id.clone(),
        status_ok: job.status == StoredStatus::Known(Status::Success),
        cpu_seconds: job.cpu_total_seconds.unwrap_or(0.0),
        memory_peak_bytes: job
            .memory_peak_mb
            .map_or(0, |mb| (mb * BYTES_PER_MB) as u64),
        wall_seconds: job.duration_seconds,
        write_bytes: job.write_bytes.unwrap_or(0.0) as u64,
        read_bytes: job.read_bytes.unwrap_or(0.0) as u64,
    }
}

/// `profrun check`'s verdict on each group's newest run, as one line per
/// group: the worst verdict and the metrics that gave it.
fn verdicts(
    keys: &[GroupKey],
    by_group: &BTreeMap<&[String], Vec<&Kept>>,
) -> BTreeMap<String, String> {
    let groups: Vec<GroupRuns> = by_group
        .iter()
        .map(|(key, runs)| GroupRuns {
            group: group_name(keys, key),
            runs: runs.iter().rev().map(|k| k.check.clone()).collect(),
        })
        .collect();
    let report = regress::check_groups(
        &groups,
        &RunChoice::NewestOfEachGroup,
        regress::DEFAULT_BASELINE_RUNS,
        &CheckOptions::default(),
    );
    let mut out: BTreeMap<String, Vec<&regress::MetricCheck>> = BTreeMap::new();
    for c in &report.checks {
        out.entry(c.group.clone()).or_default().push(c);
    }
    out.into_iter()
        .map(|(group, checks)| (group, verdict_line(&checks)))
        .collect()
}

fn verdict_line(checks: &[&regress::MetricCheck]) -> String {
    const WORST_FIRST: [Verdict; 5] = [
        Verdict::Regression,
        Verdict::FailedRun,
        Verdict::Improvement,
        Verdict::NoBaseline,
        Verdict::Ok,
    ];
    let Some(worst) = WORST_FIRST
        .iter()
        .find(|v| checks.iter().any(|c| c.verdict == **v))
    else {
        return "not checked".into();
    };
    let worst_checks: Vec<_> = checks.iter().filter(|c| c.verdict == *worst).collect();
    let detail = match worst {
        // A change within the baseline's spread is not news: name no figure.
        Verdict::NoBaseline => "too few earlier successful runs to judge".to_string(),
        Verdict::Ok => format!(
            "{} metrics within the baseline's spread",
            worst_checks.len()
        ),
        _ => worst_checks
            .iter()
            .map(|c| match c.change_percent {
                Some(p) => format!("{} {p:+.0} %", c.metric.label()),
                None => c.metric.label().to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
    };
    format!("{} ({detail})", worst.label())
}
