//! profrun: wrap a job the way `time` does, sample its whole process tree and
//! the host, and append one record per run to a JSONL history that the
//! `job-history`, `job-details` and `job-stats` subcommands query.
//!
//! Dependencies point one way:
//! `cli → commands → {launch, sampler, history, report} → {probe, profile, record}`.

pub mod cli;
pub mod commands;
pub mod criteria;
pub mod detect;
pub mod history;
pub mod launch;
pub mod probe;
pub mod profile;
pub mod record;
pub mod report;
pub mod sampler;

use std::process::ExitCode;

/// Dispatch one parsed command line. Returns the exit code profrun should
/// leave with (for `run`, the child's).
pub fn run(cli: cli::Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Some(cli::Command::Run(args)) => commands::run::run(args),
        Some(cli::Command::JobHistory(args)) => commands::job_history::run(args),
        Some(cli::Command::JobDetails(args)) => commands::job_details::run(args),
        Some(cli::Command::JobStats(args)) => commands::job_stats::run(args),
        None => commands::run::run(cli.run),
    }
}
