//! `slurm-job JOBID`: every task record of one Slurm job across the merged
//! histories (an array's tasks by their array job id), reported as seff and
//! jobstats report a job. The scan parses only lines that mention `slurm`;
//! the matching ones are then read whole.

use super::output;
use crate::cli::SlurmJobArgs;
use crate::history::query::Located;
use crate::history::History;
use crate::record::JobRecord;
use crate::report::slurm_job;
use anyhow::Context;
use std::process::ExitCode;

pub fn run(args: SlurmJobArgs) -> anyhow::Result<ExitCode> {
    let mut history = match History::open(&args.source.history) {
        Ok(h) => h,
        Err(e) => return Ok(output::history_failed(&e)),
    };
    output::warn_missing(&history.sources);
    let wanted = args.job_id;
    let finder = memchr::memmem::Finder::new(b"\"slurm\"");
    let mut found: Vec<Located> = Vec::new();
    let scanned = history.scan_lines(
        |line| finder.find(line).is_some(),
        |job, at| {
            let of_job = job
                .slurm
                .as_ref()
                .is_some_and(|s| s.group_job_id() == wanted || s.job_id == wanted);
            if of_job {
                found.push(*at);
            }
        },
    );
    if let Err(e) = scanned {
        return Ok(output::history_failed(&e));
    }
    output::warn_bad_lines(&history.bad);
    let mut tasks: Vec<JobRecord> = Vec::new();
    for at in &found {
        let line = match history.read_line(at.file, at.offset, at.len) {
            Ok(line) => line,
            Err(e) => return Ok(output::history_failed(&e)),
        };
        match serde_json::from_slice::<JobRecord>(&line) {
            Ok(record) => tasks.push(record),
            Err(e) => output::say(&format!(
                "profrun: warning: skipped a record of job {wanted} that this profrun cannot read in full: {e}"
            )),
        }
    }
    if tasks.is_empty() {
        return Ok(output::fail(&format!(
            "no records of Slurm job {wanted} in {}",
            history.sources.describe()
        )));
    }
    let text = slurm_job::report(wanted, &tasks, &output::table_style(args.source.width));
    output::emit(&text).context("writing to stdout")?;
    Ok(ExitCode::SUCCESS)
}
