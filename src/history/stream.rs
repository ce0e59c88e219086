//! `job-history --all` in little memory: a first pass keeps only a compact
//! key per matching run (start time, file, offset, length: 24 bytes) and
//! sorts the keys newest first; a second pass reads each line again with
//! `pread` at its offset, parses its summary and hands it on, in batches
//! parsed on a few threads while the caller writes the previous ones.
//!
//! The order is exactly that of [`History::all`]: newest start first, then
//! larger id, then file and position in the file (the scan order that
//! `all`'s stable sort keeps). Keys hold no id, so runs with equal start
//! times are never cut across batches and each batch is sorted by id after
//! it is parsed.

use super::filter::Filter;
use super::line::parse_summary;
use super::query::{newest_first, History, Kept};
use super::source::HistoryError;
use crate::record::RecordView;
use std::fs::File;
use std::io;
use std::ops::ControlFlow;
use std::os::unix::fs::FileExt;
use std::sync::mpsc;

/// Runs parsed per batch in the second pass (more when start times tie).
const BATCH: usize = 512;

/// Where a matching run's line is, and when the run started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunKey {
    pub start_us: i64,
    pub offset: u64,
    pub len: u32,
    pub file: u32,
}

/// Newest start first; equal starts in scan order (file, then offset).
fn key_order(a: &RunKey, b: &RunKey) -> std::cmp::Ordering {
    b.start_us
        .cmp(&a.start_us)
        .then(a.file.cmp(&b.file))
        .then(a.offset.cmp(&b.offset))
}

fn too_long(path: &std::path::Path) -> HistoryError {
    HistoryError::new(
        path,
        io::Error::new(io::ErrorKind::InvalidData, "a line of 4 GiB or more"),
    )
}

/// A key with its run's id: what the newest `n` runs keep when `n` is
/// large (the id settles ties in start time at the cut).
struct IdKey {
    task_id: Box<str>,
    start_us: i64,
    offset: u64,
    len: usize,
    file: usize,
}

impl Kept for IdKey {
    fn start_us(&self) -> i64 {
        self.start_us
    }
    fn task_id(&self) -> &str {
        &self.task_id
    }
}

impl History {
    /// The keys of the `n` newest runs matching `filter`, newest first:
    /// the runs and the order [`History::newest`] gives (read the same way,
    /// stopping early in ordered files), keeping only ids and keys.
    pub fn newest_keys(&mut self, n: usize, filter: &Filter) -> Result<Vec<RunKey>, HistoryError> {
        let kept = self.newest_kept(n, filter, |job, file, offset, len| IdKey {
            task_id: job.task_id.into_boxed_str(),
            start_us: job.start_us,
            offset,
            len,
            file,
        })?;
        kept.into_iter()
            .map(|k| match (u32::try_from(k.len), u32::try_from(k.file)) {
                (Ok(len), Ok(file)) => Ok(RunKey {
                    start_us: k.start_us,
                    offset: k.offset,
                    len,
                    file,
                }),
                _ => Err(too_long(&self.sources.files[k.file])),
            })
            .collect()
    }

    /// First pass: the keys of every run matching `filter`, newest first,
    /// read on up to `parts` threads. Bad lines are counted in `bad`.
    pub fn matching_keys(
        &mut self,
        parts: usize,
        filter: &Filter,
    ) -> Result<Vec<RunKey>, HistoryError> {
        let found = self.scan_parts_located(
            parts,
            |_| (Vec::new(), None::<usize>),
            |state: &mut (Vec<RunKey>, Option<usize>), job, at| {
                if !filter.matches(&job) {
                    return;
                }
                match (u32::try_from(at.len), u32::try_from(at.file)) {
                    (Ok(len), Ok(file)) => state.0.push(RunKey {
                        start_us: job.start_us,
                        offset: at.offset,
                        len,
                        file,
                    }),
                    _ => state.1 = Some(at.file),
                }
            },
        )?;
        let total = found.iter().map(|s| s.0.len()).sum();
        let mut keys = Vec::with_capacity(total);
        for (part, long) in found {
            if let Some(file) = long {
                return Err(too_long(&self.sources.files[file]));
            }
            keys.extend(part);
        }
        keys.sort_unstable_by(key_order);
        Ok(keys)
    }

    /// Second pass: parse the run at each key (sorted by
    /// [`History::matching_keys`] or [`History::newest_keys`]) and give them
    /// to `each` in `all`'s order, parsing on up to `threads` threads. `each`
    /// may stop the pass early.
    pub fn stream_keys(
        &self,
        keys: &[RunKey],
        threads: usize,
        mut each: impl FnMut(RecordView) -> ControlFlow<()>,
    ) -> Result<(), HistoryError> {
        self.stream_batches(
            keys,
            threads,
            |_, jobs| jobs,
            |jobs| {
                for job in jobs {
                    each(job)?;
                }
                ControlFlow::Continue(())
            },
        )
    }

    /// [`History::stream_keys`] a batch at a time: each batch of runs (in
    /// order) is turned by `map(at, runs)` (`at`: the batch's place in
    /// `keys`; a batch never splits runs with equal start times) on the
    /// parsing threads, and the results go to `each` in order.
    pub fn stream_batches<T: Send>(
        &self,
        keys: &[RunKey],
        threads: usize,
        map: impl Fn(std::ops::Range<usize>, Vec<RecordView>) -> T + Sync,
        mut each: impl FnMut(T) -> ControlFlow<()>,
    ) -> Result<(), HistoryError> {
        let mut files = Vec::with_capacity(self.sources.files.len());
        for i in 0..self.sources.files.len() {
            files.push(self.sources.open(i)?);
        }
        let batches = batches(keys);
        let parse = |b: usize| {
            self.parse_batch(&files, &keys[batches[b].clone()])
                .map(|jobs| map(batches[b].clone(), jobs))
        };
        let threads = threads.clamp(1, batches.len().max(1));
        if threads == 1 {
            for b in 0..batches.len() {
                if each(parse(b)?).is_break() {
                    break;
                }
            }
            return Ok(());
        }
        std::thread::scope(|scope| {
            let mut receivers = Vec::with_capacity(threads);
            for w in 0..threads {
                let (tx, rx) = mpsc::sync_channel(1);
                receivers.push(rx);
                let parse = &parse;
                let count = batches.len();
                scope.spawn(move || {
                    for b in (w..count).step_by(threads) {
                        let done = parse(b);
                        let failed = done.is_err();
                        // The receiver is gone once the writer has stopped.
                        if tx.send(done).is_err() || failed {
                            return;
                        }
                    }
                });
            }
            let mut result = Ok(());
            for b in 0..batches.len() {
                match receivers[b % threads].recv() {
                    Ok(Ok(done)) => {
                        if each(done).is_break() {
                            break;
                        }
                    }
                    Ok(Err(e)) => {
                        result = Err(e);
                        break;
                    }
                    Err(mpsc::RecvError) => break,
                }
            }
            // Dropping the receivers stops the parsers before the join.
            drop(receivers);
            result
        })
    }

    /// Read and parse the lines of `keys`, then order runs with equal start
    /// times by id (a stable sort: equal ids stay in scan order).
    fn parse_batch(
        &self,
        files: &[Option<File>],
        keys: &[RunKey],
    ) -> Result<Vec<RecordView>, HistoryError> {
        let mut out = Vec::with_capacity(keys.len());
        let mut buf = Vec::new();
        for key in keys {
            let i = key.file as usize;
            let path = &self.sources.files[i];
            let changed = || {
                HistoryError::new(
                    path,
                    io::Error::new(io::ErrorKind::InvalidData, "changed while being read"),
                )
            };
            let file = files[i].as_ref().ok_or_else(changed)?;
            buf.resize(key.len as usize, 0);
            file.read_exact_at(&mut buf, key.offset)
                .map_err(|e| HistoryError::new(path, e))?;
            out.push(parse_summary(&buf).map_err(|_| changed())?);
        }
        out.sort_by(newest_first);
        Ok(out)
    }
}

/// Cut the sorted keys into batches of about [`BATCH`], never between two
/// runs with the same start time.
fn batches(keys: &[RunKey]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..keys.len() {
        if i - start >= BATCH && keys[i].start_us != keys[i - 1].start_us {
            out.push(start..i);
            start = i;
        }
    }
    if start < keys.len() {
        out.push(start..keys.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: &str, start_s: u64, tool: &str) -> String {
        let (h, m, s) = (start_s / 3600, start_s / 60 % 60, start_s % 60);
        format!(
            r#"{{"task_id":"{id}","tool":"{tool}","status":"success","start_time":"2025-11-21T{h:02}:{m:02}:{s:02}Z","duration_seconds":1}}"#
        )
    }

    /// Streaming gives exactly `all`'s runs in `all`'s order: merged files,
    /// long runs of equal start times across batch boundaries, equal ids
    /// (kept in file order), bad lines, filters, 1 to 3 threads.
    #[test]
    fn streamed_runs_are_all_runs_in_the_same_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut names = Vec::new();
        for f in 0..3u64 {
            let mut text = String::new();
            for n in 0..1500u64 {
                // Many ties: start times repeat within and across files.
                let start = (n * 7 + f * 3) % 400 + if n % 500 == 7 { 0 } else { 1000 };
                let id = format!("r{}", (n * 13 + f) % 97);
                let tool = if n % 3 == 0 { "lammps" } else { "fenicsx" };
                text.push_str(&line(&id, start, tool));
                text.push('\n');
                if n % 211 == 5 {
                    text.push_str("not json\n");
                }
            }
            // Identical records: equal start and id, told apart by tool.
            text.push_str(&line("same", 5000, &format!("t{f}")));
            text.push('\n');
            text.push_str(&line("same", 5000, &format!("u{f}")));
            text.push('\n');
            let path = dir.path().join(format!("h{f}.jsonl"));
            std::fs::write(&path, text).expect("write");
            names.push(path.to_str().expect("utf-8").to_string());
        }
        let filters = [
            Filter::default(),
            Filter {
                tool: Some("lammps".into()),
                ..Filter::default()
            },
        ];
        for filter in &filters {
            let mut h = History::open(&names).expect("open");
            let want = h.all(filter).expect("all");
            assert!(want.len() > 1000);
            for threads in 1..=3 {
                let mut s = History::open(&names).expect("open");
                let keys = s.matching_keys(threads, filter).expect("keys");
                let mut got = Vec::new();
                s.stream_keys(&keys, threads, |job| {
                    got.push(job);
                    ControlFlow::Continue(())
                })
                .expect("stream");
                assert_eq!(got, want, "{threads} threads");
                assert_eq!(s.bad.message(), h.bad.message());
                // Stopping early stops cleanly.
                let mut seen = 0;
                s.stream_keys(&keys, threads, |_| {
                    seen += 1;
                    if seen == 700 {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    }
                })
                .expect("stream");
                assert_eq!(seen, 700);
                // The newest n as keys give what `newest` gives.
                for n in [1, 50, 2000, 10_000] {
                    let want: Vec<RecordView> = s
                        .newest(n, filter)
                        .expect("newest")
                        .into_iter()
                        .map(|e| e.job)
                        .collect();
                    let keys = s.newest_keys(n, filter).expect("keys");
                    let mut got = Vec::new();
                    s.stream_keys(&keys, threads, |job| {
                        got.push(job);
                        ControlFlow::Continue(())
                    })
                    .expect("stream");
                    assert_eq!(got, want, "-n {n}, {threads} threads");
                }
            }
        }
    }

    #[test]
    fn batches_never_split_equal_start_times() {
        let key = |start_us| RunKey {
            start_us,
            offset: 0,
            len: 1,
            file: 0,
        };
        let keys: Vec<RunKey> = (0..2000).map(|i| key(10 - i / 700)).collect();
        let cut = batches(&keys);
        assert_eq!(cut, [0..700, 700..1400, 1400..2000]);
        assert_eq!(std::mem::size_of::<RunKey>(), 24);
        assert!(batches(&[]).is_empty());
    }
}
