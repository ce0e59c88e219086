//! profrun: wrap a job the way `time` does, sample its whole process tree and
//! the host, and append one record per run to a JSONL history that the
//! `job-history`, `job-details` and `job-stats` subcommands query.
//!
//! Dependencies point one way:
//! `cli → commands → {launch, sampler, history, report} → {probe, profile, record}`.

pub mod alerts;
pub mod analysis;
pub mod assemble;
pub mod cli;
pub mod commands;
pub mod criteria;
pub mod detect;
pub mod export;
pub mod history;
pub mod launch;
pub mod metrics;
pub mod plot;
pub mod probe;
pub mod profile;
pub mod record;
pub mod redact;
pub mod regress;
pub mod report;
pub mod sample;
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
        Some(cli::Command::Completions(args)) => commands::completions::run(args),
        Some(cli::Command::Man) => commands::man::run(),
        None => commands::run::run(cli.run),
    }
}
