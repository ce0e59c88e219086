//! Reading the merged history for the three query commands: the newest N
//! matching runs (reverse readers, stopping as soon as no older line can
//! still make the list, in files found to be in end-time order), every
//! matching run, or a streaming pass over all of them. Bad lines are
//! skipped and counted in `bad`.

use super::filter::Filter;
use super::forward::ForwardLines;
use super::line::{parse_summary, BadLines, LinePos};
use super::order::{EndOrder, END_ORDER_SLACK_US};
use super::reverse::ReverseLines;
use super::source::{HistoryError, Sources};
use super::summary::JobSummary;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::os::unix::fs::FileExt;

/// A run and where its line is, so the line can be read again byte-for-byte.
#[derive(Debug, Clone)]
pub struct Entry {
    pub job: JobSummary,
    pub file: usize,
    pub offset: u64,
    pub len: usize,
}

/// Newest first: later start, then larger id.
fn newest_first(a: &JobSummary, b: &JobSummary) -> Ordering {
    (b.start_us, &b.task_id).cmp(&(a.start_us, &a.task_id))
}

struct ByAge(Entry);

impl PartialEq for ByAge {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for ByAge {}
impl PartialOrd for ByAge {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for ByAge {
    /// Greater = newer.
    fn cmp(&self, other: &Self) -> Ordering {
        newest_first(&other.0.job, &self.0.job)
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
        let mut heap: BinaryHeap<Reverse<ByAge>> = BinaryHeap::with_capacity(n + 1);
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
                    let oldest_kept = heap.peek().map_or(i64::MIN, |e| e.0 .0.job.start_us);
                    // In end-time order, every line above ended (so started)
                    // before this one ended, give or take the slack.
                    let threshold = job.end_us.saturating_add(END_ORDER_SLACK_US);
                    if threshold < oldest_kept
                        && order
                            .may_stop(lines.file(), offset, threshold)
                            .map_err(err)?
                    {
                        break;
                    }
                }
                if !filter.matches(&job) {
                    continue;
                }
                heap.push(Reverse(ByAge(Entry {
                    job,
                    file: i,
                    offset,
                    len,
                })));
                if heap.len() > n {
                    heap.pop();
                }
            }
        }
        let mut out: Vec<Entry> = heap.into_iter().map(|e| e.0 .0).collect();
        out.sort_by(|a, b| newest_first(&a.job, &b.job));
        Ok(out)
    }

    /// Every matching run, newest first.
    pub fn all(&mut self, filter: &Filter) -> Result<Vec<JobSummary>, HistoryError> {
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
    pub fn scan(&mut self, mut each: impl FnMut(JobSummary, &Located)) -> Result<(), HistoryError> {
        self.scan_lines(|_| true, |job, at| each(job, at))
    }

    /// Like [`History::scan`], but only lines for which `wanted(bytes)` holds
    /// are parsed (a cheap byte-level pre-filter; others are not counted).
    pub fn scan_lines(
        &mut self,
        mut wanted: impl FnMut(&[u8]) -> bool,
        mut each: impl FnMut(JobSummary, &Located),
    ) -> Result<(), HistoryError> {
        for i in 0..self.sources.files.len() {
            let Some(file) = self.sources.open(i)? else {
                continue;
            };
            let path = self.sources.files[i].clone();
            let err = |e| HistoryError::new(&path, e);
            let mut lines = ForwardLines::new(file).map_err(err)?;
            while let Some(line) = lines.next_line().map_err(err)? {
                if !wanted(line.bytes) {
                    continue;
                }
                match parse_summary(line.bytes) {
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

/// Where a scanned line is.
#[derive(Debug, Clone, Copy)]
pub struct Located {
    pub file: usize,
    pub offset: u64,
    pub len: usize,
}
