//! `job-details`: not implemented yet.

use std::process::ExitCode;

pub fn run(_args: crate::cli::JobDetailsArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("job-details is not implemented yet")
}
