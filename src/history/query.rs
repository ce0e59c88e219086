//! Reading the merged history for the three query commands: the newest N
//! matching runs (reverse readers, stopping as soon as no older line can
//! still make the list, in files found to be in end-time order), every
//! matching run, or a streaming pass over all of them. Bad lines are
//! skipped and counted in `bad`.

use super::filter::Filter;
use super::forward::ForwardLines;
use super::line::{looks_like_record, parse_summary, BadLines, LinePos};
use super::order::{EndOrder, END_ORDER_SLACK_US};
use super::reverse::ReverseLines;
use super::source::{HistoryError, Sources};
use crate::record::RecordView;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Files (or parts) smaller than this are not split between threads.
const PART_MIN_BYTES: u64 = 1 << 20;

/// A run and where its line is, so the line can be read again byte-for-byte.
#[derive(Debug, Clone)]
pub struct Entry {
    pub job: RecordView,
    pub file: usize,
    pub offset: u64,
    pub len: usize,
}

/// Newest first: later start, then larger id.
pub(super) fn newest_first(a: &RecordView, b: &RecordView) -> Ordering {
    (b.start_us, &b.task_id).cmp(&(a.start_us, &a.task_id))
}

/// What [`History::newest`] keeps of a run; its start and id order it.
pub(super) trait Kept {
    fn start_us(&self) -> i64;
    fn task_id(&self) -> &str;
}

impl Kept for Entry {
    fn start_us(&self) -> i64 {
        self.job.start_us
    }
    fn task_id(&self) -> &str {
        &self.job.task_id
    }
}

/// [`newest_first`] for what `newest` keeps.
fn kept_newest_first<K: Kept>(a: &K, b: &K) -> Ordering {
    (b.start_us(), b.task_id()).cmp(&(a.start_us(), a.task_id()))
}

struct ByAge<K>(K);

impl<K: Kept> PartialEq for ByAge<K> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl<K: Kept> Eq for ByAge<K> {}
impl<K: Kept> PartialOrd for ByAge<K> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<K: Kept> Ord for ByAge<K> {
    /// Greater = newer.
    fn cmp(&self, other: &Self) -> Ordering {
        kept_newest_first(&other.0, &self.0)
    }
}

pub struct History {
    pub sources: Sources,
    pub bad: BadLines,
}

impl History {
    pub fn open(values: &[String]) -> Result<History, HistoryError> {
        Ok(History {
            sources: Sources::resolve(values)?,
            bad: BadLines::default(),
        })
    }

    /// The `n` newest runs matching `filter`, newest first. Each file is
    /// read backwards; one in end-time order (see [`super::order`]) only
    /// until no line above can still make the list, any other to its start.
    pub fn newest(&mut self, n: usize, filter: &Filter) -> Result<Vec<Entry>, HistoryError> {
        self.newest_kept(n, filter, |job, file, offset, len| Entry {
            job,
            file,
            offset,
            len,
        })
    }

    /// [`History::newest`], keeping of each run what `keep` makes of it
    /// (the run, file index, offset and length of its line).
    pub(super) fn newest_kept<K: Kept>(
        &mut self,
        n: usize,
        filter: &Filter,
        keep: impl Fn(RecordView, usize, u64, usize) -> K,
    ) -> Result<Vec<K>, HistoryError> {
        let mut heap: BinaryHeap<Reverse<ByAge<K>>> = BinaryHeap::with_capacity(n + 1);
        if n == 0 {
            return Ok(Vec::new());
        }
        for i in 0..self.sources.files.len() {
            let Some(file) = self.sources.open(i)? else {
                continue;
            };
            let path = self.sources.files[i].clone();
            let err = |e| HistoryError::new(&path, e);
            let mut lines = ReverseLines::new(file).map_err(err)?;
            let mut order = EndOrder::default();
            while let Some((bytes, offset)) = lines.next_line().map_err(err)? {
                let len = bytes.len();
                let job = match parse_summary(bytes) {
                    Ok(job) => job,
                    Err(kind) => {
                        self.bad.record(i, &path, LinePos::Offset(offset), kind);
                        continue;
                    }
                };
                order.saw(job.end_us);
                if heap.len() == n && order.ordered() {
                    let oldest_kept = heap.peek().map_or(i64::MIN, |e| e.0 .0.start_us());
                    // In end-time order, every line above ended (so started)
                    // before this one ended, give or take the slack.
                    let threshold = job.end_us.saturating_add(END_ORDER_SLACK_US);
                    if threshold < oldest_kept
                        && order
                            .may_stop(lines.file(), offset, threshold)
                            .map_err(err)?
                    {
                        // Lines above were not read: their bad ones are not counted.
                        self.bad.partial |= offset > 0;
                        break;
                    }
                }
                if !filter.matches(&job) {
                    continue;
                }
                heap.push(Reverse(ByAge(keep(job, i, offset, len))));
                if heap.len() > n {
                    heap.pop();
                }
            }
        }
        let mut out: Vec<K> = heap.into_iter().map(|e| e.0 .0).collect();
        out.sort_by(kept_newest_first);
        Ok(out)
    }

    /// Every matching run, newest first.
    pub fn all(&mut self, filter: &Filter) -> Result<Vec<RecordView>, HistoryError> {
        let mut out = Vec::new();
        self.scan(|job, _| {
            if filter.matches(&job) {
                out.push(job);
            }
        })?;
        out.sort_by(newest_first);
        Ok(out)
    }

    /// Stream every good line of every file, oldest file position first.
    pub fn scan(&mut self, mut each: impl FnMut(RecordView, &Located)) -> Result<(), HistoryError> {
        self.scan_lines(|_| true, |job, at| each(job, at))
    }

    /// Like [`History::scan`], but only lines for which `wanted(bytes)` holds
    /// are parsed (a cheap byte-level pre-filter). The others are still
    /// counted when bad, as far as [`looks_like_record`] can tell, so this
    /// reader reports the bad lines the full scan does.
    pub fn scan_lines(
        &mut self,
        mut wanted: impl FnMut(&[u8]) -> bool,
        mut each: impl FnMut(RecordView, &Located),
    ) -> Result<(), HistoryError> {
        for i in 0..self.sources.files.len() {
            let Some(file) = self.sources.open(i)? else {
                continue;
            };
            let path = self.sources.files[i].clone();
            let err = |e| HistoryError::new(&path, e);
            let mut lines = ForwardLines::new(file).map_err(err)?;
            while let Some(line) = lines.next_line().map_err(err)? {
                let want = wanted(line.bytes);
                if !want && looks_like_record(line.bytes) {
                    continue;
                }
                match parse_summary(line.bytes) {
                    Ok(_) if !want => {}
                    Ok(job) => each(
                        job,
                        &Located {
                            file: i,
                            offset: line.offset,
                            len: line.bytes.len(),
                        },
                    ),
                    Err(kind) => self
                        .bad
                        .record(i, &path, LinePos::Number(line.number), kind),
                }
            }
        }
        Ok(())
    }

    /// Like [`History::scan`], on up to `parts` threads: each file is cut at
    /// line boundaries into up to `parts` byte ranges of at least 1 MiB,
    /// read at the same time, each into its own state made by `init(n)` (`n`
    /// numbers the parts from 0, across files). The states come back in
    /// file order, so folding them in order sees the runs in the order
    /// `scan` does. Bad lines are counted and numbered as `scan` does.
    pub fn scan_parts<S: Send>(
        &mut self,
        parts: usize,
        init: impl Fn(usize) -> S + Sync,
        each: impl Fn(&mut S, RecordView) + Sync,
    ) -> Result<Vec<S>, HistoryError> {
        self.scan_parts_of(parts, PART_MIN_BYTES, init, |s, job, _| each(s, job))
    }

    /// Like [`History::scan_parts`], also telling where each line is.
    pub(super) fn scan_parts_located<S: Send>(
        &mut self,
        parts: usize,
        init: impl Fn(usize) -> S + Sync,
        each: impl Fn(&mut S, RecordView, &Located) + Sync,
    ) -> Result<Vec<S>, HistoryError> {
        self.scan_parts_of(parts, PART_MIN_BYTES, init, each)
    }

    fn scan_parts_of<S: Send>(
        &mut self,
        parts: usize,
        min_bytes: u64,
        init: impl Fn(usize) -> S + Sync,
        each: impl Fn(&mut S, RecordView, &Located) + Sync,
    ) -> Result<Vec<S>, HistoryError> {
        let mut out = Vec::new();
        for i in 0..self.sources.files.len() {
            let Some(file) = self.sources.open(i)? else {
                continue;
            };
            let path = self.sources.files[i].clone();
            let err = |e| HistoryError::new(&path, e);
            let len = file.metadata().map_err(err)?.len();
            let bounds = split_at_lines(&file, len, parts, min_bytes).map_err(err)?;
            let mut readers = Vec::new();
            for (k, w) in bounds.windows(2).enumerate() {
                let lines = ForwardLines::range(file.try_clone().map_err(err)?, w[0], w[1]);
                readers.push((lines, init(out.len() + k)));
            }
            let scan = |(lines, state)| scan_range(lines, i, &path, state, &each);
            let done: Vec<io::Result<(S, BadLines, u64)>> = if readers.len() == 1 {
                readers.into_iter().map(scan).collect()
            } else {
                std::thread::scope(|scope| {
                    let handles: Vec<_> = readers
                        .into_iter()
                        .map(|r| scope.spawn(move || scan(r)))
                        .collect();
                    handles
                        .into_iter()
                        .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                        .collect()
                })
            };
            let mut lines_before = 0;
            for part in done {
                let (state, bad, lines) = part.map_err(err)?;
                self.bad.absorb(bad, lines_before);
                lines_before += lines;
                out.push(state);
            }
        }
        Ok(out)
    }

    /// The stored bytes of an entry's line, exactly as written.
    pub fn read_line(&self, file: usize, offset: u64, len: usize) -> Result<Vec<u8>, HistoryError> {
        let path = &self.sources.files[file];
        let f = std::fs::File::open(path).map_err(|e| HistoryError::new(path, e))?;
        let mut buf = vec![0; len];
        f.read_exact_at(&mut buf, offset)
            .map_err(|e| HistoryError::new(path, e))?;
        Ok(buf)
    }
}

/// Read the lines of one part of file `i` into `state`.
fn scan_range<S>(
    mut lines: ForwardLines,
    i: usize,
    path: &Path,
    mut state: S,
    each: &impl Fn(&mut S, RecordView, &Located),
) -> io::Result<(S, BadLines, u64)> {
    let mut bad = BadLines::default();
    while let Some(line) = lines.next_line()? {
        match parse_summary(line.bytes) {
            Ok(job) => each(
                &mut state,
                job,
                &Located {
                    file: i,
                    offset: line.offset,
                    len: line.bytes.len(),
                },
            ),
            Err(kind) => bad.record(i, path, LinePos::Number(line.number), kind),
        }
    }
    Ok((state, bad, lines.lines_read()))
}

/// Offsets `0 = b0 < b1 < ... = len` cutting the file into up to `parts`
/// ranges of about equal size, each starting at the first byte of a line
/// (after the first `\n` at or past the even cut) and at least `min_bytes`
/// long (but for the last).
fn split_at_lines(file: &File, len: u64, parts: usize, min_bytes: u64) -> io::Result<Vec<u64>> {
    let parts = (parts as u64).clamp(1, (len / min_bytes.max(1)).max(1));
    let mut bounds = vec![0];
    let mut buf = vec![0u8; 64 * 1024];
    for k in 1..parts {
        let mut at = (len / parts * k).max(bounds.last().map_or(0, |b| b + min_bytes));
        let cut = loop {
            if at >= len {
                break None;
            }
            let want = buf.len().min((len - at) as usize);
            let n = file.read_at(&mut buf[..want], at)?;
            if n == 0 {
                break None;
            }
            if let Some(p) = memchr::memchr(b'\n', &buf[..n]) {
                break Some(at + p as u64 + 1);
            }
            at += n as u64;
        };
        match cut {
            Some(c) if c < len => bounds.push(c),
            _ => break,
        }
    }
    bounds.push(len);
    Ok(bounds)
}

/// Where a scanned line is.
#[derive(Debug, Clone, Copy)]
pub struct Located {
    pub file: usize,
    pub offset: u64,
    pub len: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"task_id":"ID","status":"success","start_time":"2025-11-21T10:30:00Z"}"#;

    #[test]
    fn parts_see_what_one_scan_sees() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("h.jsonl");
        let mut text = String::new();
        for n in 0..200 {
            match n % 37 {
                5 => text.push_str("not json\n"),
                6 => text.push('\n'),
                _ => text.push_str(&format!("{}\n", GOOD.replace("ID", &format!("r{n}")))),
            }
        }
        text.push_str(&GOOD[..30]); // torn last line
        std::fs::write(&path, &text).expect("write");
        let name = path.to_str().expect("utf-8").to_string();
        let mut one = History::open(std::slice::from_ref(&name)).expect("open");
        let mut want = Vec::new();
        one.scan(|job, _| want.push(job.task_id)).expect("scan");
        for (parts, min) in [(1, 1), (2, 1), (3, 100), (7, 1), (2, 1 << 40)] {
            let mut h = History::open(std::slice::from_ref(&name)).expect("open");
            let got = h
                .scan_parts_of(parts, min, |_| Vec::new(), |v, job, _| v.push(job.task_id))
                .expect("scan");
            if min == 1 {
                assert_eq!(got.len(), parts, "{parts} parts");
            }
            assert_eq!(got.concat(), want, "{parts} parts");
            assert_eq!(h.bad.count, one.bad.count);
            assert_eq!(h.bad.message(), one.bad.message());
        }
    }
}
