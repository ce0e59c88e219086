//! `job-stats`: not implemented yet.

use std::process::ExitCode;

pub fn run(_args: crate::cli::JobStatsArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("job-stats is not implemented yet")
}
