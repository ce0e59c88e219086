//! The record leaves profrun: appended to the history, written to
//! `--record-out`, summarised on stderr and printed with `--json`.

use std::io::Write;

use crate::cli::RunArgs;
use crate::commands::output::say;
use crate::history;
use crate::record::JobRecord;
use crate::report;

/// Append to the history and write `--record-out`. Failures warn and never
/// change the exit code.
pub fn save(args: &RunArgs, record: &JobRecord) {
    let line = match record.to_line() {
        Ok(line) => line,
        Err(err) => {
            say(&format!(
                "profrun: warning: could not serialise the record: {err}"
            ));
            return;
        }
    };
    let user = record
        .user
        .name
        .clone()
        .unwrap_or_else(|| record.user.uid.to_string());
    let job_id = record.slurm.as_ref().map(|s| s.job_id.to_string());
    let values = history::path::TemplateValues {
        host: &record.host.hostname,
        user: &user,
        slurm_job_id: job_id.as_deref(),
    };
    let (path, warning) = history::path::resolve_for_writer(args.history.as_deref(), values);
    if let Some(warning) = warning {
        say(&format!("profrun: warning: {warning}"));
    }
    match path {
        Some(path) => {
            if let Err(err) = history::append::append_line(&path, &line) {
                say(&format!(
                    "profrun: warning: could not write history '{}': {err}; this run was not recorded there",
                    path.display()
                ));
            }
        }
        None => say(
            "profrun: warning: no history path (HOME, XDG_DATA_HOME and PROFRUN_HISTORY are unset); this run was not recorded",
        ),
    }
    if let Some(out) = &args.record_out {
        if let Err(err) = history::append::write_record_file(out, &line) {
            say(&format!(
                "profrun: warning: could not write record '{}': {err}",
                out.display()
            ));
        }
    }
}

/// The summary on stderr and `--json` on stdout; a closed stream is ignored.
/// A job that could not start gets its error line first.
pub fn report(args: &RunArgs, record: &JobRecord) {
    if let (crate::record::Status::FailedToStart, Some(error)) = (record.status, &record.error) {
        say(&format!("profrun: error: {error}"));
    }
    if !args.quiet {
        say(&report::summary::summary(record));
    }
    if args.json {
        if let Ok(line) = record.to_line() {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(&line).and_then(|_| out.flush());
        }
    }
}
