//! profrun: wrap a job the way `time` does, sample its whole process tree and
//! the host, and append one record per run to a JSONL history that the
//! `job-history`, `job-details`, `job-stats`, `check` and `diff` subcommands
//! query.
//!
//! Dependencies point one way:
//! `cli → commands → {launch, sampler, history, report} → {probe, profile, record}`.

pub mod alerts;
pub mod analysis;
pub mod assemble;
pub mod checkpoint;
pub mod cli;
pub mod commands;
pub mod config;
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
pub mod units;

use std::process::ExitCode;

/// Dispatch one parsed command line. Returns the exit code profrun should
/// leave with (for `run`, the child's).
pub fn run(mut cli: cli::Cli) -> anyhow::Result<ExitCode> {
    let loaded = match cli.command {
        // These never read settings: a broken config file must not stop them.
        Some(cli::Command::Completions(_) | cli::Command::Man) => Default::default(),
        _ => match commands::config::load() {
            Ok(loaded) => loaded,
            Err(err) => {
                // A usage error, like a bad flag: nothing ran.
                commands::output::say(&format!("profrun: error: {err:#}"));
                return Ok(ExitCode::from(2));
            }
        },
    };
    commands::config::apply(&mut cli, &loaded);
    match cli.command {
        Some(cli::Command::Run(args)) => commands::run::run(args),
        Some(cli::Command::JobHistory(args)) => commands::job_history::run(args),
        Some(cli::Command::JobDetails(args)) => commands::job_details::run(args),
        Some(cli::Command::JobStats(args)) => commands::job_stats::run(args),
        Some(cli::Command::Check(args)) => commands::check::run(args),
        Some(cli::Command::Diff(args)) => commands::diff::run(args),
        Some(cli::Command::SlurmJob(args)) => commands::slurm_job::run(args),
        Some(cli::Command::JobAdvice(args)) => commands::job_advice::run(args),
        Some(cli::Command::Plot(args)) => commands::plot::run(args),
        Some(cli::Command::Report(args)) => commands::report::run(args),
        Some(cli::Command::Completions(args)) => commands::completions::run(args),
        Some(cli::Command::Man) => commands::man::run(),
        Some(cli::Command::Config(args)) => commands::config::run(args, &loaded),
        None => commands::run::run(cli.run),
    }
}
