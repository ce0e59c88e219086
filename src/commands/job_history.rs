//! `job-history`: the newest matching runs, newest first, as a table or as
//! JSON/JSONL/CSV. Without `--all` only the end of the history is read.

use super::output;
use crate::cli::{Format, JobHistoryArgs};
use crate::history::filter::Filter;
use crate::history::{History, JobSummary};
use crate::report::history_view;
use anyhow::Context;
use std::process::ExitCode;

pub fn run(args: JobHistoryArgs) -> anyhow::Result<ExitCode> {
    let mut history = match History::open(&args.source.history) {
        Ok(h) => h,
        Err(e) => return Ok(output::history_failed(&e)),
    };
    output::warn_missing(&history.sources);
    let filter = Filter::from_args(&args.filter, output::now_us());
    let jobs: Result<Vec<JobSummary>, _> = if args.all {
        history.all(&filter)
    } else {
        history
            .newest(args.limit, &filter)
            .map(|v| v.into_iter().map(|e| e.job).collect())
    };
    let jobs = match jobs {
        Ok(j) => j,
        Err(e) => return Ok(output::history_failed(&e)),
    };
    output::warn_bad_lines(&history.bad);
    let text = match args.format {
        Format::Table if jobs.is_empty() => empty_line(&history, &args),
        Format::Table => history_view::table(&jobs, &output::table_style(args.source.width)),
        Format::Json => history_view::json(&jobs),
        Format::Jsonl => history_view::jsonl(&jobs),
        Format::Csv => history_view::csv(&jobs),
    };
    if jobs.is_empty() && args.format != Format::Table {
        output::say(&format!("profrun: {}", empty_line(&history, &args)));
    }
    output::emit(&text).context("writing to stdout")?;
    Ok(ExitCode::SUCCESS)
}

/// Why the list is empty, said kindly.
fn empty_line(history: &History, args: &JobHistoryArgs) -> String {
    let filtered = args.filter.tool.is_some()
        || args.filter.script.is_some()
        || args.filter.status.is_some()
        || args.filter.since.is_some()
        || args.filter.until.is_some()
        || !args.filter.tags.is_empty()
        || args.filter.host.is_some()
        || args.filter.grep.is_some();
    if filtered {
        format!(
            "no runs match these filters (history: {})\n",
            history.sources.describe()
        )
    } else {
        output::no_runs_line(&history.sources)
    }
}
