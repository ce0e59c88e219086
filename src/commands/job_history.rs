//! `job-history`: the newest matching runs, newest first, as a table or as
//! JSON/JSONL/CSV. Without `--all` only the end of the history is read.

use super::filter_args::filter_from_args;
use super::output;
use super::pending;
use crate::cli::{Format, JobHistoryArgs};
use crate::history::filter::Filter;
use crate::history::History;
use crate::record::RecordView;
use crate::report::history_view;
use anyhow::Context;
use std::io::{self, Write};
use std::ops::ControlFlow;
use std::process::ExitCode;

/// Threads for `--all`: the first pass reads this many parts of each file
/// at once, the second parses this many batches at once.
const PARTS: usize = 2;

/// `--limit` above this is streamed like `--all` (in a machine format):
/// the newest runs are kept as ids and keys, not summaries.
const STREAM_LIMIT: usize = 1000;

/// Output is written in pieces of about this size when streamed.
const CHUNK: usize = 64 * 1024;

pub fn run(args: JobHistoryArgs) -> anyhow::Result<ExitCode> {
    let mut history = match History::open(&args.source.history) {
        Ok(h) => h,
        Err(e) => return Ok(output::history_failed(&e)),
    };
    output::warn_missing(&history.sources);
    let filter = filter_from_args(&args.filter, output::now_us());
    if args.all || args.limit > STREAM_LIMIT {
        let row: Option<fn(&mut String, &RecordView, bool)> = match args.format {
            Format::Table => None,
            Format::Json => Some(history_view::json_item),
            Format::Jsonl => Some(|out, j, _| history_view::jsonl_line(out, j)),
            Format::Csv => Some(|out, j, _| history_view::csv_line(out, j)),
        };
        if let Some(row) = row {
            return stream_all(&mut history, &args, &filter, row);
        }
    }
    let jobs: Result<Vec<RecordView>, _> = if args.all {
        history.all(&filter)
    } else {
        history
            .newest(args.limit, &filter)
            .map(|v| v.into_iter().map(|e| e.job).collect())
    };
    let mut jobs = match jobs {
        Ok(j) => j,
        Err(e) => return Ok(output::history_failed(&e)),
    };
    add_checkpoints(&mut jobs, &history, &args, &filter);
    output::warn_bad_lines(&history.bad);
    let text = match args.format {
        Format::Table if jobs.is_empty() => empty_line(&history, &args),
        Format::Table => history_view::table(&jobs, &output::table_style(args.source.width)),
        Format::Json => history_view::json(&jobs),
        Format::Jsonl => history_view::jsonl(&jobs),
        Format::Csv => history_view::csv(&jobs),
    };
    if jobs.is_empty() && args.format != Format::Table {
        output::say(&format!("profrun: {}", empty_line(&history, &args)));
    }
    output::emit(&text).context("writing to stdout")?;
    Ok(ExitCode::SUCCESS)
}

/// `--all` or a large `--limit` in a machine format, in little memory: the
/// matching runs' keys are sorted newest first, then each run is read
/// again, parsed and written out in turn (see `history::stream`), with the
/// runs known only by a checkpoint merged into the batch their start time
/// falls in. The output is the same, byte for byte, as rendering
/// `History::all` (or `History::newest`) with [`add_checkpoints`].
fn stream_all(
    history: &mut History,
    args: &JobHistoryArgs,
    filter: &Filter,
    row: fn(&mut String, &RecordView, bool),
) -> anyhow::Result<ExitCode> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(PARTS));
    let keys = if args.all {
        history.matching_keys(threads, filter)
    } else {
        history.newest_keys(args.limit, filter)
    };
    let keys = match keys {
        Ok(k) => k,
        Err(e) => return Ok(output::history_failed(&e)),
    };
    output::warn_bad_lines(&history.bad);
    let pending: Vec<(usize, RecordView)> = pending::load(history, filter)
        .into_iter()
        .map(|p| {
            (
                keys.partition_point(|k| k.start_us > p.view.start_us),
                p.view,
            )
        })
        .collect();
    if keys.is_empty() && pending.is_empty() {
        output::say(&format!("profrun: {}", empty_line(history, args)));
    }
    let mut text = match args.format {
        Format::Csv => history_view::csv_header(),
        _ => String::new(),
    };
    let mut rows_left = if args.all { usize::MAX } else { args.limit };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut failed = None;
    // Rows are rendered on the parsing threads, a batch at a time; `ends`
    // says where each row ends, for the cut at `--limit`.
    let render = |at: std::ops::Range<usize>, mut jobs: Vec<RecordView>| {
        let last = at.end == keys.len();
        let here = pending
            .iter()
            .filter(|(i, _)| at.contains(i) || (last && *i == keys.len()))
            .map(|(_, view)| view.clone());
        pending::merge(&mut jobs, |j| j, here);
        let mut rows = Rows::default();
        for (k, job) in jobs.iter().enumerate() {
            row(&mut rows.text, job, at.start == 0 && k == 0);
            rows.ends.push(rows.text.len());
        }
        rows
    };
    let streamed = if keys.is_empty() {
        // No recorded run: the checkpointed ones alone, rendered here.
        let _ = add(&mut text, &mut rows_left, render(0..0, Vec::new()));
        Ok(())
    } else {
        history.stream_batches(&keys, threads, render, |rows| {
            let full = add(&mut text, &mut rows_left, rows);
            if full || text.len() >= CHUNK {
                if let Err(e) = out.write_all(text.as_bytes()) {
                    failed = Some(e);
                    return ControlFlow::Break(());
                }
                text.clear();
            }
            if full {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
    };
    if let Err(e) = streamed {
        return Ok(output::history_failed(&e));
    }
    let written = match failed {
        Some(e) => Err(e),
        None => {
            if args.format == Format::Json {
                let shown = if args.all { usize::MAX } else { args.limit };
                history_view::json_end(&mut text, rows_left < shown);
            }
            out.write_all(text.as_bytes()).and_then(|()| out.flush())
        }
    };
    match written {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e).context("writing to stdout"),
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// A batch of rendered rows, and where each ends in `text`.
#[derive(Default)]
struct Rows {
    text: String,
    ends: Vec<usize>,
}

/// Add `rows` to `text`, no more than `rows_left` of them; true once the
/// limit is reached (checkpointed runs can push recorded ones past it).
fn add(text: &mut String, rows_left: &mut usize, rows: Rows) -> bool {
    let take = rows.ends.len().min(*rows_left);
    let cut = take.checked_sub(1).map_or(0, |last| rows.ends[last]);
    text.push_str(&rows.text[..cut]);
    *rows_left -= take;
    *rows_left == 0
}

/// Runs known only by a checkpoint (`running`, `lost`, or finished and
/// kept after a failed append), among the newest as their start time says.
fn add_checkpoints(
    jobs: &mut Vec<RecordView>,
    history: &History,
    args: &JobHistoryArgs,
    filter: &Filter,
) {
    let pending = pending::load(history, filter);
    if pending.is_empty() {
        return;
    }
    pending::merge(jobs, |j| j, pending.into_iter().map(|p| p.view));
    if !args.all {
        jobs.truncate(args.limit);
    }
}

/// Why the list is empty, said kindly.
fn empty_line(history: &History, args: &JobHistoryArgs) -> String {
    if args.limit == 0 && !args.all {
        // Not "no runs recorded yet": the history may hold many (issue 11, item 6).
        return format!(
            "--limit 0 shows no runs (history: {})\n",
            history.sources.describe()
        );
    }
    let filtered = args.filter.tool.is_some()
        || args.filter.script.is_some()
        || args.filter.status.is_some()
        || args.filter.since.is_some()
        || args.filter.until.is_some()
        || !args.filter.tags.is_empty()
        || args.filter.host.is_some()
        || args.filter.grep.is_some();
    if filtered {
        format!(
            "no runs match these filters (history: {})\n",
            history.sources.describe()
        )
    } else {
        output::no_runs_line(&history.sources)
    }
}
