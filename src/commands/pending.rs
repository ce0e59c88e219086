//! Runs known only by a checkpoint, among the recorded ones in what
//! `job-history` and `job-details` list: `running` while their profrun
//! lives, `lost` (or `interrupted`) once it is gone, or a finished run kept
//! there because the history could not take its record. Each goes where its
//! start time puts it among the recorded runs, newest first, in the order
//! `History::newest` gives; a run whose record is in the list already (just
//! appended, its checkpoint not yet removed) is shown once, as recorded.
//!
//! `job-stats` counts such a run once it has ended (not while `running`);
//! `check`, `diff`, `plot` and `report` read the recorded runs only: they
//! need a run's final figures (see docs/usage.md, Checkpoints).

use super::output;
use crate::checkpoint::{pending_for, Pending};
use crate::history::filter::Filter;
use crate::history::History;
use crate::record::RecordView;
use std::cmp::Ordering;

/// The checkpoints of `history`'s files whose run matches `filter`, newest
/// first. A file in the checkpoint folder that is not a checkpoint is named
/// in a warning.
pub fn load(history: &History, filter: &Filter) -> Vec<Pending> {
    let (mut pending, warnings) = pending_for(&history.sources.named_paths());
    for w in warnings {
        output::say(&w);
    }
    pending.retain(|p| filter.matches(&p.view));
    pending.sort_by(|a, b| newest_first(&a.view, &b.view));
    pending
}

/// Newest start first, then the larger id: the order of `History::newest`.
fn newest_first(a: &RecordView, b: &RecordView) -> Ordering {
    (b.start_us, &b.task_id).cmp(&(a.start_us, &a.task_id))
}

/// Where a run known by its checkpoint goes among `items` (newest first):
/// after every run that is newer or as new, or `None` when `items` holds
/// its record already (the same id and start time).
pub fn position<T>(
    items: &[T],
    view: impl Fn(&T) -> &RecordView,
    run: &RecordView,
) -> Option<usize> {
    let at = items.partition_point(|i| newest_first(view(i), run) != Ordering::Greater);
    let recorded = items[..at]
        .iter()
        .rev()
        .take_while(|i| newest_first(view(i), run) == Ordering::Equal)
        .next()
        .is_some();
    (!recorded).then_some(at)
}

/// Insert the `pending` runs into `items` (newest first) where
/// [`position`] puts them.
pub fn merge<T>(
    items: &mut Vec<T>,
    view: impl Fn(&T) -> &RecordView + Copy,
    pending: impl IntoIterator<Item = T>,
) {
    for p in pending {
        if let Some(at) = position(items, view, view(&p)) {
            items.insert(at, p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run of id `id` that started `start_s` seconds after midnight.
    fn run(id: &str, start_s: u32) -> RecordView {
        let line = format!(
            r#"{{"task_id":"{id}","tool":"t","status":"success","start_time":"2026-01-01T00:00:{start_s:02}Z","duration_seconds":1}}"#
        );
        RecordView::from_line(line.as_bytes()).expect("a record")
    }

    fn ids(runs: &[RecordView]) -> Vec<&str> {
        runs.iter().map(|r| r.task_id.as_str()).collect()
    }

    #[test]
    fn pending_runs_go_where_their_start_puts_them_and_a_recorded_one_once() {
        let mut runs = vec![run("c", 30), run("b", 20), run("a", 20), run("z", 10)];
        let pending = vec![
            run("new", 40),
            run("bb", 20), // equal starts: the larger id first
            run("b", 20),  // recorded already
            run("old", 5),
            run("b", 25), // the same id at another start is another run
        ];
        merge(&mut runs, |r| r, pending);
        assert_eq!(ids(&runs), ["new", "c", "b", "bb", "b", "a", "z", "old"]);
        let starts: Vec<i64> = runs.iter().map(|r| r.start_us / 1_000_000 % 60).collect();
        assert_eq!(starts, [40, 30, 25, 20, 20, 20, 10, 5]);
        let mut empty = Vec::new();
        merge(&mut empty, |r| r, vec![run("x", 1), run("y", 2)]);
        assert_eq!(ids(&empty), ["y", "x"]);
    }
}
