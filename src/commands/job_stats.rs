//! `job-stats`: stream the whole (merged) history once, group the matching
//! runs, and print per-group aggregates as a table, JSON or CSV.

use super::filter_args::filter_from_args;
use super::output;
use crate::cli::{JobStatsArgs, StatsFormat};
use crate::history::History;
use crate::record::{Status, StoredStatus};
use crate::report::{stats, stats_view};
use anyhow::Context;
use std::process::ExitCode;

/// Threads reading one file (the machines this runs on often have 2 cores).
const PARTS: usize = 2;

/// What one thread gathers from its part of the history.
struct Part {
    builder: stats::StatsBuilder,
    seen: u64,
    matched: u64,
}

pub fn run(args: JobStatsArgs) -> anyhow::Result<ExitCode> {
    let mut history = match History::open(&args.source.history) {
        Ok(h) => h,
        Err(e) => return Ok(output::history_failed(&e)),
    };
    output::warn_missing(&history.sources);
    let filter = filter_from_args(&args.filter, output::now_us());
    let keys = if args.group_by.is_empty() {
        stats::default_keys()
    } else {
        args.group_by.clone()
    };
    // A large file is read in parts on up to PARTS threads; the later
    // parts' runs are added to the first's in file order (exact figures).
    let parts = std::thread::available_parallelism().map_or(1, |n| n.get().min(PARTS));
    let scanned = history.scan_parts(
        parts,
        |n| Part {
            builder: if n == 0 {
                stats::StatsBuilder::new(keys.clone())
            } else {
                stats::StatsBuilder::deferred(keys.clone())
            },
            seen: 0,
            matched: 0,
        },
        |part, job| {
            part.seen += 1;
            if filter.matches(&job) {
                part.matched += 1;
                part.builder.add(&job);
            }
        },
    );
    let parts = match scanned {
        Ok(parts) => parts,
        Err(e) => return Ok(output::history_failed(&e)),
    };
    let (mut seen, mut matched) = (0u64, 0u64);
    let mut builder: Option<stats::StatsBuilder> = None;
    for part in parts {
        seen += part.seen;
        matched += part.matched;
        match &mut builder {
            Some(b) => b.absorb(part.builder),
            None => builder = Some(part.builder),
        }
    }
    let mut builder = builder.unwrap_or_else(|| stats::StatsBuilder::new(keys.clone()));
    output::warn_bad_lines(&history.bad);
    // Runs known only by a checkpoint count once they have ended: `lost`
    // (or a finished run kept after a failed append), as they will once the
    // next run appends them; a `running` one has no final figures yet.
    let (pending, warnings) = crate::checkpoint::pending_for(&history.sources.named_paths());
    for w in warnings {
        output::say(&w);
    }
    let running = StoredStatus::Known(Status::Running);
    for p in pending.into_iter().filter(|p| p.view.status != running) {
        seen += 1;
        if filter.matches(&p.view) {
            matched += 1;
            builder.add(&p.view);
        }
    }
    let groups = builder.finish();
    let text = match args.format {
        StatsFormat::Table if groups.is_empty() => {
            output::nothing_matched_line(&history.sources, seen)
        }
        StatsFormat::Table => {
            stats_view::table(&keys, &groups, &output::table_style(args.source.width))
        }
        StatsFormat::Json => stats_view::json(&keys, &groups),
        StatsFormat::Csv => stats_view::csv(&keys, &groups),
    };
    if matched == 0 && args.format != StatsFormat::Table {
        output::say(&format!(
            "profrun: {}",
            output::nothing_matched_line(&history.sources, seen)
        ));
    }
    output::emit(&text).context("writing to stdout")?;
    Ok(ExitCode::SUCCESS)
}
