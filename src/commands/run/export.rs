//! The run's figures to monitoring at the end: `--pushgateway` and
//! `--textfile`. Called before the record is saved, so that the outcome
//! (ok, or why not) is in the record; a failure warns once and never
//! changes the exit code. A run that did not succeed keeps the previous
//! textfile's last-success timestamp (the gateway keeps it in a group of
//! its own).

use crate::cli::RunArgs;
use crate::commands::output::say;
use crate::export::push::{PushError, Pushgateway};
use crate::export::textfile::{textfile_path, write_textfile};
use crate::metrics::{encode, job_metrics, keep_last_success, Labels};
use crate::record::{ExportsRecord, JobRecord, PushgatewayExportRecord, TextfileExportRecord};

/// `--pushgateway URL` parsed before anything runs: a URL profrun cannot
/// push to is a usage error, not a surprise after an hour-long job.
pub fn gateway(args: &RunArgs) -> Result<Option<Pushgateway>, PushError> {
    args.pushgateway
        .as_deref()
        .map(Pushgateway::parse)
        .transpose()
}

/// Push and write what was asked for; note each outcome in `record.exports`.
pub fn export(args: &RunArgs, record: &mut JobRecord) {
    if args.pushgateway.is_none() && args.textfile.is_none() {
        return;
    }
    let labels = Labels::for_record(record, args.name.as_deref());
    let families = job_metrics(record, &labels);
    let mut exports = ExportsRecord::default();
    if let Some(url) = &args.pushgateway {
        let outcome = gateway(args)
            .and_then(|gw| match gw {
                Some(gw) => gw.push(&labels, &families),
                None => Ok(()),
            })
            .map_err(|err| err.to_string());
        if let Err(why) = &outcome {
            say(&format!(
                "profrun: warning: could not push to the pushgateway: {why}"
            ));
        }
        exports.pushgateway = Some(PushgatewayExportRecord {
            url: url.clone(),
            ok: outcome.is_ok(),
            error: outcome.err(),
        });
    }
    if let Some(dir) = &args.textfile {
        let mut families = families.clone();
        // Read before the write replaces it: a missing or unreadable file
        // carries nothing over.
        if let Ok(previous) = std::fs::read_to_string(textfile_path(dir, &labels.name)) {
            keep_last_success(&mut families, &labels, &previous);
        }
        let outcome = write_textfile(dir, &labels.name, &encode(&families));
        let path = match &outcome {
            Ok(path) => path.clone(),
            Err(_) => textfile_path(dir, &labels.name),
        };
        let error = outcome.err().map(|err| err.to_string());
        if let Some(why) = &error {
            say(&format!(
                "profrun: warning: could not write the textfile '{}': {why}",
                path.display()
            ));
        }
        exports.textfile = Some(TextfileExportRecord {
            path: path.display().to_string(),
            ok: error.is_none(),
            error,
        });
    }
    record.exports = Some(exports);
}
