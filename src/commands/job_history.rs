//! `job-history`: not implemented yet.

use std::process::ExitCode;

pub fn run(_args: crate::cli::JobHistoryArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("job-history is not implemented yet")
}
