//! `job-advice`: read the matching runs of the (merged) history, group
//! them, and print what each group should ask for next time (right-sizing
//! by `analysis::advice_for_group`), with Slurm directives and a
//! docker-compose block to paste.

use super::filter_args::filter_from_args;
use super::output;
use crate::cli::{AdviceFormat, JobAdviceArgs};
use crate::history::History;
use crate::record::{Status, StoredStatus};
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
    let (mut seen, mut unsized_runs) = (0u64, 0u64);
    let mut groups = advice_view::Groups::new(keys.clone());
    let scanned = history.scan(|job, _| {
        seen += 1;
        if !filter.matches(&job) {
            return;
        }
        if sizes_the_job(&job.status) {
            groups.add(&job);
        } else {
            unsized_runs += 1;
        }
    });
    if let Err(e) = scanned {
        return Ok(output::history_failed(&e));
    }
    output::warn_bad_lines(&history.bad);
    let advised = groups.finish();
    let nothing = || {
        if unsized_runs > 0 {
            let s = if unsized_runs == 1 { "" } else { "s" };
            format!(
                "no runs to right-size: the {unsized_runs} matching run{s} never started or are still running\n"
            )
        } else {
            output::nothing_matched_line(&history.sources, seen)
        }
    };
    let text = match args.format {
        AdviceFormat::Text if advised.is_empty() => nothing(),
        AdviceFormat::Text => advice_view::text(&keys, &advised),
        AdviceFormat::Json => {
            if advised.is_empty() {
                output::say(&format!("profrun: {}", nothing()));
            }
            advice_view::json(&keys, &advised)
        }
    };
    output::emit(&text).context("writing to stdout")?;
    Ok(ExitCode::SUCCESS)
}

/// Whether a run says what the job needs. One that never started used
/// nothing (a typo'd command would right-size to one core and a minute),
/// and a `running` checkpoint has no final figures yet.
fn sizes_the_job(status: &StoredStatus) -> bool {
    !matches!(
        status,
        StoredStatus::Known(Status::FailedToStart | Status::Running)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_that_never_started_or_are_still_running_do_not_size_the_job() {
        let known = |s| sizes_the_job(&StoredStatus::Known(s));
        assert!(!known(Status::FailedToStart));
        assert!(!known(Status::Running));
        for s in [
            Status::Success,
            Status::Failed,
            Status::Signaled,
            Status::Interrupted,
            Status::Lost,
            Status::LimitExceeded,
        ] {
            assert!(known(s), "{s:?}");
        }
        assert!(sizes_the_job(&StoredStatus::Other("newer".into())));
    }
}
