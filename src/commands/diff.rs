//! `profrun diff A B`: find both runs (ids, prefixes, `last`, `-N`), read
//! their stored lines in full, and print every headline figure side by
//! side with the change from A to B, then both runs' series as sparklines
//! (or one JSON document). `regress::diff` does the comparing.

use super::find_run::{find_run, spec_text};
use super::output;
use crate::cli::{DiffArgs, DiffFormat};
use crate::criteria::IdSpec;
use crate::history::History;
use crate::record::JobRecord;
use crate::regress::{diff, diff_view};
use anyhow::Context;
use std::process::ExitCode;

pub fn run(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let mut history = match History::open(&args.source.history) {
        Ok(h) => h,
        Err(e) => return Ok(output::history_failed(&e)),
    };
    output::warn_missing(&history.sources);
    let a = load(&mut history, &args.a);
    let b = load(&mut history, &args.b);
    output::warn_bad_lines(&history.bad);
    let (a, b) = match (a, b) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return Ok(output::fail(&e)),
    };
    let d = diff::diff(&a, &b);
    let text = match args.format {
        DiffFormat::Text => diff_view::text(&d, &output::table_style(args.source.width)),
        DiffFormat::Json => diff_view::json(&d),
    };
    output::emit(&text).context("writing to stdout")?;
    Ok(ExitCode::SUCCESS)
}

/// The run `spec` names, read as a full record; the error says which run
/// and why.
fn load(history: &mut History, spec: &IdSpec) -> Result<JobRecord, String> {
    let entry = find_run(history, spec).map_err(|e| e.to_string())?;
    let line = history
        .read_line(entry.file, entry.offset, entry.len)
        .map_err(|e| e.to_string())?;
    serde_json::from_slice(&line).map_err(|e| {
        format!(
            "run '{}' ({}) is not a full profrun record, so it cannot be compared: {e}",
            spec_text(spec),
            entry.job.task_id
        )
    })
}
