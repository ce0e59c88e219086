//! The record leaves profrun: appended to the history, written to
//! `--record-out`, summarised on stderr and printed with `--json`.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::RunArgs;
use crate::commands::output::say;
use crate::history;
use crate::record::JobRecord;
use crate::report;

/// Where the record went.
#[derive(Debug, Clone, PartialEq)]
pub enum Saved {
    /// Appended to the history.
    Recorded,
    /// The append failed; the record is kept in this checkpoint file for
    /// the next run on the history to append.
    Kept(PathBuf),
    /// Nowhere: no history, or neither it nor the checkpoint folder could
    /// be written.
    Lost,
}

/// Append to the history and write `--record-out`. Failures warn and never
/// change the exit code.
pub fn save(args: &RunArgs, record: &JobRecord) -> Saved {
    let line = match record.to_line() {
        Ok(line) => line,
        Err(err) => {
            say(&format!(
                "profrun: warning: could not serialise the record: {err}"
            ));
            return Saved::Lost;
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
    let saved = match path {
        Some(path) => {
            // Runs whose profrun was killed, or whose append failed, go in
            // before this one.
            super::checkpoint::recover(&path, Some(&record.task_id));
            match history::append::append_line(&path, &line) {
                Ok(()) => Saved::Recorded,
                Err(err) => keep(&path, record, &err.to_string()),
            }
        }
        None => {
            say(
                "profrun: warning: no history path (HOME, XDG_DATA_HOME and PROFRUN_HISTORY are unset); this run was not recorded",
            );
            Saved::Lost
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
    saved
}

/// The history refused the record (`err`): keep it in the checkpoint
/// folder for the next run, and say where, or that the run is lost.
fn keep(path: &Path, record: &JobRecord, err: &str) -> Saved {
    let (kept, outcome) = match super::checkpoint::keep_unsaved(path, record) {
        Ok(at) => (
            format!(
                "kept in '{}'; the next profrun run on this history appends it",
                at.display()
            ),
            Saved::Kept(at),
        ),
        Err(e) => (
            format!("it could not be kept in the checkpoint folder either ({e}): this run is lost"),
            Saved::Lost,
        ),
    };
    say(&format!(
        "profrun: warning: could not write history '{}': this run was not recorded there: {err}; {kept}",
        path.display()
    ));
    outcome
}

/// The summary on stderr and `--json` on stdout. A `--json` record that
/// cannot be printed (`/dev/full`, a closed pipe) is worth a warning: it is
/// the output the user asked for (issue 11, item 4). A job that could not
/// start gets its error line first.
pub fn report(args: &RunArgs, record: &JobRecord, saved: &Saved) {
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
                let kept = match saved {
                    Saved::Recorded => "the history still has it".to_string(),
                    Saved::Kept(at) => format!("it is kept in '{}'", at.display()),
                    Saved::Lost => "it is not in the history either".to_string(),
                };
                say(&format!(
                    "profrun: warning: the --json record was lost: cannot write to stdout: {err}; {kept}"
                ));
            }
        }
    }
}
