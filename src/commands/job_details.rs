//! `job-details ID`: find one run (full id, unique prefix, `last`, `-N`)
//! and show it in full, or with `--json` print its line exactly as stored.

use super::output;
use super::pending;
use crate::analysis;
use crate::checkpoint::Pending;
use crate::cli::JobDetailsArgs;
use crate::criteria::IdSpec;
use crate::history::filter::Filter;
use crate::history::lookup::{self, Lookup};
use crate::history::query::Entry;
use crate::history::source::HistoryError;
use crate::history::History;
use crate::record::details_view::RecordDetails;
use crate::record::RecordView;
use crate::report::{details, history_view, table};
use anyhow::Context;
use std::process::ExitCode;

/// How many candidates an ambiguous prefix lists.
const CANDIDATES_SHOWN: usize = 10;

pub fn run(args: JobDetailsArgs) -> anyhow::Result<ExitCode> {
    let mut history = match History::open(&args.source.history) {
        Ok(h) => h,
        Err(e) => return Ok(output::history_failed(&e)),
    };
    output::warn_missing(&history.sources);
    let pending = pending::load(&history, &Filter::default());
    let found = match (&args.id, pending.is_empty()) {
        (IdSpec::Newest(n), false) => newest_with(&mut history, *n, pending.clone()),
        _ => lookup::find(&mut history, &args.id).map(Found::Recorded),
    };
    output::warn_bad_lines(&history.bad);
    let found = match found {
        Ok(Found::Pending(line)) => return show(&line, args.json, args.source.width),
        Ok(Found::Recorded(lookup)) => Ok(lookup),
        Err(e) => Err(e),
    };
    if !matches!(found, Ok(Lookup::Found(_))) {
        if let Some(line) = checkpointed(pending, &args.id) {
            return show(&line, args.json, args.source.width);
        }
    }
    let entry = match found {
        Err(e) => return Ok(output::history_failed(&e)),
        Ok(Lookup::Found(entry)) => entry,
        // A run was asked for and there is none: an error, on stderr, as
        // for `-2` on a history of one run, so `--json` prints no text.
        Ok(Lookup::TooFew { runs: 0, .. }) | Ok(Lookup::Unknown { .. })
            if history_is_empty(&mut history) =>
        {
            return Ok(output::fail(
                output::no_runs_line(&history.sources).trim_end(),
            ));
        }
        Ok(Lookup::TooFew { wanted, runs }) => {
            let s = if runs == 1 { "" } else { "s" };
            return Ok(output::fail(&format!(
                "'-{wanted}' asks for the {} newest run, but the history has {runs} run{s}",
                ordinal(wanted)
            )));
        }
        Ok(Lookup::Unknown { nearest }) => {
            return Ok(output::fail(&format!(
                "no run with id '{}' in the history; nearest: {}",
                spec_text(&args.id),
                nearest.join(", ")
            )));
        }
        Ok(Lookup::Ambiguous(jobs)) => {
            let mut msg = format!(
                "id prefix '{}' matches {} runs; give more characters:",
                spec_text(&args.id),
                jobs.len()
            );
            for j in jobs.iter().take(CANDIDATES_SHOWN) {
                msg.push_str(&format!(
                    "\n  {}  {}  {}  {}",
                    j.task_id,
                    table::local_short(j.start_us),
                    j.tool,
                    history_view::status_label(j)
                ));
            }
            if jobs.len() > CANDIDATES_SHOWN {
                msg.push_str(&format!(
                    "\n  ... and {} more",
                    jobs.len() - CANDIDATES_SHOWN
                ));
            }
            return Ok(output::fail(&msg));
        }
    };
    let line = match history.read_line(entry.file, entry.offset, entry.len) {
        Ok(l) => l,
        Err(e) => return Ok(output::history_failed(&e)),
    };
    show(&line, args.json, args.source.width)
}

/// The stored line as is (`--json`), or in full.
fn show(line: &[u8], json: bool, width: Option<u16>) -> anyhow::Result<ExitCode> {
    if json {
        let mut bytes = line.trim_ascii_end().to_vec();
        bytes.push(b'\n');
        output::emit_bytes(&bytes).context("writing to stdout")?;
        return Ok(ExitCode::SUCCESS);
    }
    let record = RecordDetails::from_line(line)
        .map_err(|e| anyhow::anyhow!("the record changed while reading it ({e})"))?;
    let analysis = analysis::stored::analysis_of_line(line);
    let text = details::details(
        &record,
        analysis.as_ref().map(|(a, source)| (a, *source)),
        &output::table_style(width),
    );
    output::emit(&text).context("writing to stdout")?;
    Ok(ExitCode::SUCCESS)
}

/// A run found in the history, or known only by its checkpoint (its line).
enum Found {
    Recorded(Lookup),
    Pending(Vec<u8>),
}

/// `-N` (`last` is `-1`) with the runs known only by a checkpoint counted
/// among the newest by start time, as `job-history` lists them.
fn newest_with(
    history: &mut History,
    n: usize,
    pending: Vec<Pending>,
) -> Result<Found, HistoryError> {
    enum Run {
        Recorded(Entry),
        Pending(Pending),
    }
    fn view(run: &Run) -> &RecordView {
        match run {
            Run::Recorded(e) => &e.job,
            Run::Pending(p) => &p.view,
        }
    }
    let mut runs: Vec<Run> = history
        .newest(n, &Filter::default())?
        .into_iter()
        .map(Run::Recorded)
        .collect();
    pending::merge(&mut runs, view, pending.into_iter().map(Run::Pending));
    if runs.len() < n {
        return Ok(Found::Recorded(Lookup::TooFew {
            wanted: n,
            runs: runs.len(),
        }));
    }
    Ok(match runs.swap_remove(n - 1) {
        Run::Recorded(entry) => Found::Recorded(Lookup::Found(Box::new(entry))),
        Run::Pending(p) => Found::Pending(p.line),
    })
}

/// A run of this history known only by its checkpoint (`running`, `lost`,
/// or kept after a failed append), found by id or unique prefix.
fn checkpointed(pending: Vec<Pending>, spec: &IdSpec) -> Option<Vec<u8>> {
    let IdSpec::Prefix(prefix) = spec else {
        return None;
    };
    let mut matching = pending.into_iter().filter(|p| {
        p.view
            .task_id
            .to_ascii_lowercase()
            .starts_with(prefix.as_str())
    });
    let first = matching.next()?;
    matching.next().is_none().then_some(first.line)
}

/// `1st`, `2nd`, `3rd`, `4th`, ..., `11th`-`13th`, `21st`, ...
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

fn spec_text(spec: &IdSpec) -> String {
    match spec {
        IdSpec::Newest(n) => format!("-{n}"),
        IdSpec::Prefix(p) => p.clone(),
    }
}

/// True when the history holds no readable run at all.
fn history_is_empty(history: &mut History) -> bool {
    history
        .newest(1, &Default::default())
        .map(|v| v.is_empty())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::ordinal;

    #[test]
    fn ordinals_in_english() {
        let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111, 112]
            .map(ordinal)
            .to_vec();
        let want = [
            "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st",
            "111th", "112th",
        ];
        assert_eq!(got, want);
    }
}
