//! `job-advice`: read the matching runs of the (merged) history, group
//! them, and print what each group should ask for next time (right-sizing
//! by `analysis::advice_for_group`), with Slurm directives and a
//! docker-compose block to paste.

use super::filter_args::filter_from_args;
use super::output;
use crate::cli::{AdviceFormat, JobAdviceArgs};
use crate::history::History;
use crate::report::{advice_view, stats};
use anyhow::Context;
use std::process::ExitCode;

pub fn run(args: JobAdviceArgs) -> anyhow::Result<ExitCode> {
    let mut history = match History::open(&args.source.history) {
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
    let mut seen = 0u64;
    let mut groups = advice_view::Groups::new(keys.clone());
    let scanned = history.scan(|job, _| {
        seen += 1;
        if filter.matches(&job) {
            groups.add(&job);
        }
    });
    if let Err(e) = scanned {
        return Ok(output::history_failed(&e));
    }
    output::warn_bad_lines(&history.bad);
    let advised = groups.finish();
    let text = match args.format {
        AdviceFormat::Text if advised.is_empty() => {
            output::nothing_matched_line(&history.sources, seen)
        }
        AdviceFormat::Text => advice_view::text(&keys, &advised),
        AdviceFormat::Json => {
            if advised.is_empty() {
                output::say(&format!(
                    "profrun: {}",
                    output::nothing_matched_line(&history.sources, seen)
                ));
            }
            advice_view::json(&keys, &advised)
        }
    };
    output::emit(&text).context("writing to stdout")?;
    Ok(ExitCode::SUCCESS)
}
