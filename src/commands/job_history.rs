//! `job-history`: the newest matching runs, newest first, as a table or as
//! JSON/JSONL/CSV. Without `--all` only the end of the history is read.

use super::filter_args::filter_from_args;
use super::output;
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
/// again, parsed and written out in turn (see `history::stream`). The
/// output is the same, byte for byte, as rendering `History::all` (or
/// `History::newest`).
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
    if keys.is_empty() {
        output::say(&format!("profrun: {}", empty_line(history, args)));
    }
    let mut text = match args.format {
        Format::Csv => history_view::csv_header(),
        _ => String::new(),
    };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut failed = None;
    // Rows are rendered on the parsing threads, a batch at a time.
    let render = |batch: usize, jobs: Vec<RecordView>| {
        let mut text = String::new();
        for (k, job) in jobs.iter().enumerate() {
            row(&mut text, job, batch == 0 && k == 0);
        }
        text
    };
    let streamed = history.stream_batches(&keys, threads, render, |rows| {
        text.push_str(&rows);
        if text.len() >= CHUNK {
            if let Err(e) = out.write_all(text.as_bytes()) {
                failed = Some(e);
                return ControlFlow::Break(());
            }
            text.clear();
        }
        ControlFlow::Continue(())
    });
    if let Err(e) = streamed {
        return Ok(output::history_failed(&e));
    }
    let written = match failed {
        Some(e) => Err(e),
        None => {
            if args.format == Format::Json {
                history_view::json_end(&mut text, !keys.is_empty());
            }
            out.write_all(text.as_bytes()).and_then(|()| out.flush())
        }
    };
    match written {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e).context("writing to stdout"),
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// Runs known only by a checkpoint (`running`, or `lost` when their
/// profrun is gone), among the newest as their start time says.
fn add_checkpoints(
    jobs: &mut Vec<RecordView>,
    history: &History,
    args: &JobHistoryArgs,
    filter: &Filter,
) {
    let (pending, warnings) = crate::checkpoint::pending_for(&history.sources.named_paths());
    for w in warnings {
        output::say(&w);
    }
    if pending.is_empty() {
        return;
    }
    for p in pending {
        if filter.matches(&p.view) && !jobs.iter().any(|j| j.task_id == p.view.task_id) {
            jobs.push(p.view);
        }
    }
    jobs.sort_by(|a, b| (b.start_us, &b.task_id).cmp(&(a.start_us, &a.task_id)));
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
