//! `job-stats`: stream the whole (merged) history once, group the matching
//! runs, and print per-group aggregates as a table, JSON or CSV.

use super::output;
use crate::cli::{JobStatsArgs, StatsFormat};
use crate::history::filter::Filter;
use crate::history::History;
use crate::report::{stats, stats_view};
use anyhow::Context;
use std::process::ExitCode;

pub fn run(args: JobStatsArgs) -> anyhow::Result<ExitCode> {
    let mut history = match History::open(&args.source.history) {
        Ok(h) => h,
        Err(e) => return Ok(output::history_failed(&e)),
    };
    output::warn_missing(&history.sources);
    let filter = Filter::from_args(&args.filter, output::now_us());
    let keys = if args.group_by.is_empty() {
        stats::default_keys()
    } else {
        args.group_by.clone()
    };
    let mut builder = stats::StatsBuilder::new(keys.clone());
    let (mut seen, mut matched) = (0u64, 0u64);
    let scanned = history.scan(|job, _| {
        seen += 1;
        if filter.matches(&job) {
            matched += 1;
            builder.add(&job);
        }
    });
    if let Err(e) = scanned {
        return Ok(output::history_failed(&e));
    }
    output::warn_bad_lines(&history.bad);
    let groups = builder.finish();
    let text = match args.format {
        StatsFormat::Table if groups.is_empty() => {
            if seen == 0 {
                output::no_runs_line(&history.sources)
            } else {
                format!("no runs match these filters ({seen} runs in the history)\n")
            }
        }
        StatsFormat::Table => {
            stats_view::table(&keys, &groups, &output::table_style(args.source.width))
        }
        StatsFormat::Json => stats_view::json(&keys, &groups),
        StatsFormat::Csv => stats_view::csv(&keys, &groups),
    };
    if matched == 0 && args.format != StatsFormat::Table {
        output::say(&format!(
            "profrun: {}",
            output::no_runs_line(&history.sources)
        ));
    }
    output::emit(&text).context("writing to stdout")?;
    Ok(ExitCode::SUCCESS)
}
