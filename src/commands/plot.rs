//! `plot [ID]` and `plot --compare A B ...`: find the runs as `job-details`
//! does, draw them (`plot::run_svg` / `plot::compare_svg`) and write the
//! SVG to a file (atomically) or to stdout.

use super::find_run::spec_text;
use super::output;
use crate::cli::PlotArgs;
use crate::criteria::IdSpec;
use crate::history::lookup::{self, Lookup};
use crate::history::History;
use crate::plot::{self, overlays};
use crate::record::JobRecord;
use anyhow::Context;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// A stored run: its record and its line as JSON (for the blocks the
/// record type does not know yet).
pub(super) struct StoredRun {
    pub record: JobRecord,
    pub raw: serde_json::Value,
}

impl StoredRun {
    /// `None` when the line is not a full record (a hand-written or very
    /// old line that the summary readers still accept).
    pub fn parse(line: &[u8]) -> Option<StoredRun> {
        let raw: serde_json::Value = serde_json::from_slice(line).ok()?;
        let record = serde_json::from_value(raw.clone()).ok()?;
        Some(StoredRun { record, raw })
    }
}

pub fn run(args: PlotArgs) -> anyhow::Result<ExitCode> {
    let mut history = match History::open(&args.source.history) {
        Ok(h) => h,
        Err(e) => return Ok(output::history_failed(&e)),
    };
    output::warn_missing(&history.sources);
    let specs = if args.compare.is_empty() {
        vec![args.id.clone()]
    } else {
        args.compare.clone()
    };
    let mut runs = Vec::new();
    for spec in &specs {
        match find_run(&mut history, spec) {
            Ok(run) => runs.push(run),
            Err(code) => return Ok(code),
        }
    }
    output::warn_bad_lines(&history.bad);
    let svg = match runs.as_slice() {
        [one] => {
            let analysis = overlays::analysis_of(&one.record, &one.raw);
            plot::run_svg(&one.record, &overlays::overlays_of(&analysis, &one.raw))
        }
        many => plot::compare_svg(&many.iter().map(|r| &r.record).collect::<Vec<_>>()),
    };
    let default_name = || {
        let ids: Vec<&str> = runs.iter().map(|r| r.record.task_id.as_str()).collect();
        match ids.as_slice() {
            [one] => PathBuf::from(format!("profrun-{one}.svg")),
            many => PathBuf::from(format!("profrun-compare-{}.svg", many.join("-"))),
        }
    };
    let path = args.output.clone().unwrap_or_else(default_name);
    write_output(&path, svg.as_bytes())
}

/// Write `bytes` to `path` (`-`: stdout) and name the file on stderr.
pub(super) fn write_output(path: &Path, bytes: &[u8]) -> anyhow::Result<ExitCode> {
    if path == Path::new("-") {
        output::emit_bytes(bytes).context("writing to stdout")?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Err(e) = output::write_atomically(path, bytes) {
        return Ok(output::fail(&format!(
            "cannot write '{}': {e}",
            path.display()
        )));
    }
    output::say(&format!("profrun: wrote {}", path.display()));
    Ok(ExitCode::SUCCESS)
}

/// The stored run `spec` names, or the exit code after saying why not.
fn find_run(history: &mut History, spec: &IdSpec) -> Result<StoredRun, ExitCode> {
    let entry = match lookup::find(history, spec) {
        Err(e) => return Err(output::history_failed(&e)),
        Ok(Lookup::Found(entry)) => entry,
        Ok(Lookup::TooFew { wanted: 1, runs: 0 }) => {
            return Err(output::fail(
                output::no_runs_line(&history.sources).trim_end(),
            ));
        }
        Ok(Lookup::TooFew { wanted, runs }) => {
            return Err(output::fail(&format!(
                "'-{wanted}' asks for an older run than the history has ({runs} runs)"
            )));
        }
        Ok(Lookup::Unknown { nearest }) => {
            return Err(output::fail(&format!(
                "no run with id '{}' in the history; nearest: {}",
                spec_text(spec),
                nearest.join(", ")
            )));
        }
        Ok(Lookup::Ambiguous(jobs)) => {
            let ids: Vec<&str> = jobs.iter().take(10).map(|j| j.task_id.as_str()).collect();
            return Err(output::fail(&format!(
                "id prefix '{}' matches {} runs ({}); give more characters",
                spec_text(spec),
                jobs.len(),
                ids.join(", ")
            )));
        }
    };
    let line = history
        .read_line(entry.file, entry.offset, entry.len)
        .map_err(|e| output::history_failed(&e))?;
    StoredRun::parse(&line).ok_or_else(|| {
        output::fail(&format!(
            "run '{}' is not a full record and cannot be drawn",
            entry.job.task_id
        ))
    })
}
