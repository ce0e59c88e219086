//! The record leaves profrun: appended to the history, written to
//! `--record-out`, summarised on stderr and printed with `--json`.

use std::io::Write;

use crate::cli::RunArgs;
use crate::commands::output::say;
use crate::history;
use crate::record::JobRecord;
use crate::report;

/// Append to the history and write `--record-out`. Failures warn and never
/// change the exit code. Returns whether the history now holds the record.
pub fn save(args: &RunArgs, record: &JobRecord) -> bool {
    let line = match record.to_line() {
        Ok(line) => line,
        Err(err) => {
            say(&format!(
                "profrun: warning: could not serialise the record: {err}"
            ));
            return false;
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
    let recorded = match path {
        Some(path) => {
            // Runs whose profrun was killed go in before this one.
            super::checkpoint::recover_orphans(&path);
            match history::append::append_line(&path, &line) {
                Ok(()) => true,
                Err(err) => {
                    say(&format!(
                        "profrun: warning: could not write history '{}': this run was not recorded there: {err}",
                        path.display()
                    ));
                    false
                }
            }
        }
        None => {
            say(
                "profrun: warning: no history path (HOME, XDG_DATA_HOME and PROFRUN_HISTORY are unset); this run was not recorded",
            );
            false
        }
    };
    if let Some(out) = &args.record_out {
        if let Err(err) = history::append::write_record_file(out, &line) {
            say(&format!(
                "profrun: warning: could not write record '{}': {err}",
                out.display()
            ));
        }
    }
    recorded
}

/// The summary on stderr and `--json` on stdout. A `--json` record that
/// cannot be printed (`/dev/full`, a closed pipe) is worth a warning: it is
/// the output the user asked for (issue 11, item 4). A job that could not
/// start gets its error line first.
pub fn report(args: &RunArgs, record: &JobRecord, recorded: bool) {
    if let (crate::record::Status::FailedToStart, Some(error)) = (record.status, &record.error) {
        say(&format!("profrun: error: {error}"));
    }
    if !args.quiet {
        say(&report::summary::summary(record));
    }
    if args.json {
        if let Ok(line) = record.to_line() {
            let mut out = std::io::stdout().lock();
            if let Err(err) = out.write_all(&line).and_then(|_| out.flush()) {
                let kept = if recorded {
                    "the history still has it"
                } else {
                    "it is not in the history either"
                };
                say(&format!(
                    "profrun: warning: the --json record was lost: cannot write to stdout: {err}; {kept}"
                ));
            }
        }
    }
}
