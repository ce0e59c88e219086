//! Whether a history file is in end-time order, which is what lets the
//! newest-first reader ([`super::query::History::newest`]) stop early.
//!
//! Records are appended when a run ends, so a file written only by profrun
//! is ordered by end time, give or take [`END_ORDER_SLACK_US`]. A file put
//! together some other way need not be: histories concatenated
//! (`cat hostA.jsonl hostB.jsonl >> h`), CI artifacts appended later, a
//! clock stepped back. Stopping early in such a file drops the newest runs,
//! so the reader stops only while two checks find nothing wrong:
//!
//! - while reading backwards, a line that ended more than the slack after a
//!   line below it proves the file out of order;
//! - before stopping, a few lines above the stop point are probed: those
//!   4 KiB, 8 KiB, 16 KiB, ... above it, and the first line of the file. One
//!   that ended after the stop threshold proves the file out of order.
//!
//! A file found out of order is read to its start (still streamed, a block
//! at a time). The probes run once per file: about 18 for a 360 MB file,
//! each a small read and a parse of the line's front, up to its `end_time`.
//! They look at a few lines, not all: a short batch of newer runs above a
//! much longer one of older runs can fall between them (docs/query.md).

use crate::record::view::{end_us, parse_time_us};
use memchr::memchr;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

/// The out-of-order slack: appends of runs ending close together can land
/// out of order (the record is written a few ms after `end_time` is taken),
/// and clocks take small steps.
pub const END_ORDER_SLACK_US: i64 = 60_000_000;

/// The nearest probe, this many bytes above the stop point; each further
/// one is twice as far.
const PROBE_FIRST: u64 = 4 * 1024;
/// A probe reads this much to find its line, then up to [`PROBE_MAX`]
/// (growing 4× at a time) for a longer line; a longer one is not probed.
const PROBE_WINDOW: usize = 8 * 1024;
const PROBE_MAX: usize = 1024 * 1024;

/// What reading one file backwards has shown about its order.
#[derive(Debug)]
pub struct EndOrder {
    /// The earliest end time among the lines read so far.
    min_end_us: i64,
    ordered: bool,
}

impl Default for EndOrder {
    fn default() -> Self {
        EndOrder {
            min_end_us: i64::MAX,
            ordered: true,
        }
    }
}

impl EndOrder {
    /// Note the end time of the line just read (reading backwards).
    pub fn saw(&mut self, end_us: i64) {
        if end_us > self.min_end_us.saturating_add(END_ORDER_SLACK_US) {
            self.ordered = false;
        }
        self.min_end_us = self.min_end_us.min(end_us);
    }

    /// Whether reading may stop before the line at `offset`, which holds if
    /// no line above it ended after `threshold`. Probes the first time it is
    /// asked; once the file is known to be out of order, always false.
    pub fn may_stop(&mut self, file: &File, offset: u64, threshold: i64) -> io::Result<bool> {
        if self.ordered && ends_after_above(file, offset, threshold)? {
            self.ordered = false;
        }
        Ok(self.ordered)
    }

    /// False once the file is known to be out of end-time order.
    pub fn ordered(&self) -> bool {
        self.ordered
    }
}

/// Whether a probed line above `offset` ended after `threshold`. Lines
/// without an end time are passed over (a full read, if any, counts the bad
/// ones).
fn ends_after_above(file: &File, offset: u64, threshold: i64) -> io::Result<bool> {
    let mut buf = Vec::new();
    let mut last_start = None;
    let mut distance = PROBE_FIRST;
    let mut probe = |at: u64, buf: &mut Vec<u8>| -> io::Result<bool> {
        let Some((start, line)) = line_from(file, at, offset, buf)? else {
            return Ok(false);
        };
        if last_start.replace(start) == Some(start) {
            return Ok(false);
        }
        Ok(line_end_us(line).is_some_and(|end| end > threshold))
    };
    while distance < offset {
        if probe(offset - distance, &mut buf)? {
            return Ok(true);
        }
        distance = distance.saturating_mul(2);
    }
    if offset > 0 {
        return probe(0, &mut buf);
    }
    Ok(false)
}

/// A line's end time as the readers take it (its `end_time`, else start +
/// duration; see `summary`), or None when it has none.
///
/// Records put `end_time` near the front, so the line is read only up to
/// it: the visitor leaves the map there, which the deserializer then reports
/// as an error, ignored; the end time is taken by then. A probe never has to
/// skip the time series and process lists that make up most of a line.
fn line_end_us(line: &[u8]) -> Option<i64> {
    let mut end = None;
    let mut de = serde_json::Deserializer::from_slice(line);
    let _ = serde::Deserializer::deserialize_map(&mut de, EndVisitor(&mut end));
    end
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum Key {
    StartTime,
    EndTime,
    DurationSeconds,
    #[serde(other)]
    Other,
}

struct EndVisitor<'a>(&'a mut Option<i64>);

impl<'de> Visitor<'de> for EndVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a history record")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (mut start, mut duration) = (None, None);
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::EndTime => {
                    let end = map.next_value::<Option<String>>()?;
                    if let Some(end) = end.as_deref().and_then(parse_time_us) {
                        *self.0 = Some(end);
                        return Ok(());
                    }
                }
                Key::StartTime => start = Some(map.next_value::<String>()?),
                Key::DurationSeconds => duration = map.next_value::<Option<f64>>()?,
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        *self.0 = start
            .as_deref()
            .and_then(parse_time_us)
            .map(|start| end_us(start, None, duration.unwrap_or(0.0)));
        Ok(())
    }
}

/// The first whole line that starts at or after byte `at` and ends before
/// byte `limit` (a line start, so the byte before it is a newline), read
/// into `buf`; its offset and bytes without the newline. None when there is
/// no such line within [`PROBE_MAX`] bytes.
fn line_from<'b>(
    file: &File,
    at: u64,
    limit: u64,
    buf: &'b mut Vec<u8>,
) -> io::Result<Option<(u64, &'b [u8])>> {
    // From the byte before `at`, so a line starting exactly at `at` is seen.
    let from = at.saturating_sub(1);
    let mut window = PROBE_WINDOW;
    loop {
        let len = usize::try_from(limit - from).map_or(window, |l| l.min(window));
        buf.resize(len, 0);
        file.read_exact_at(buf, from)?;
        let start = if at == 0 {
            Some(0)
        } else {
            memchr(b'\n', buf).map(|i| i + 1)
        };
        if let Some(start) = start {
            if let Some(n) = memchr(b'\n', &buf[start..]) {
                return Ok(Some((from + start as u64, &buf[start..start + n])));
            }
        }
        if len as u64 == limit - from || window >= PROBE_MAX {
            return Ok(None);
        }
        window = (window * 4).min(PROBE_MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::line::parse_summary;
    use std::io::Write;

    fn file_with(content: &[u8]) -> File {
        let mut f = tempfile::tempfile().expect("tempfile");
        f.write_all(content).expect("write");
        f
    }

    fn line_at(f: &File, at: u64, limit: u64) -> Option<(u64, Vec<u8>)> {
        let mut buf = Vec::new();
        line_from(f, at, limit, &mut buf)
            .expect("read")
            .map(|(o, l)| (o, l.to_vec()))
    }

    #[test]
    fn probes_find_the_next_whole_line() {
        let f = file_with(b"aa\nbbb\ncc\nlast\n");
        assert_eq!(line_at(&f, 0, 10), Some((0, b"aa".to_vec())));
        assert_eq!(line_at(&f, 1, 10), Some((3, b"bbb".to_vec())));
        assert_eq!(line_at(&f, 3, 10), Some((3, b"bbb".to_vec())));
        assert_eq!(line_at(&f, 4, 10), Some((7, b"cc".to_vec())));
        // Nothing starts between 8 and the limit but the limit's own line.
        assert_eq!(line_at(&f, 8, 10), None);
    }

    #[test]
    fn probes_read_long_lines_up_to_a_limit() {
        let long = vec![b'x'; PROBE_WINDOW * 5];
        let mut content = b"a\n".to_vec();
        content.extend_from_slice(&long);
        content.extend_from_slice(b"\nb\n");
        let f = file_with(&content);
        let limit = content.len() as u64 - 2;
        assert!(line_at(&f, 1, limit) == Some((2, long)));
        let longer = vec![b'y'; PROBE_MAX + 1];
        let content = [b"a\n".as_slice(), &longer, b"\nb\n"].concat();
        let f = file_with(&content);
        assert!(line_at(&f, 1, content.len() as u64 - 2).is_none());
    }

    #[test]
    fn probes_take_the_end_time_as_the_readers_do() {
        let lines: [&[u8]; 3] = [
            br#"{"task_id":"a","start_time":"2025-11-21T10:00:00Z","end_time":"2025-11-21T10:01:00Z","rest":"#,
            br#"{"task_id":"b","tags":{"end_time":"x"},"start_time":"2025-11-21T10:00:00","end_time":null,"duration_seconds":60.0,"status":"ok"}"#,
            br#"{"start_time":"2025-11-21T10:00:00Z","duration_seconds":60}"#,
        ];
        for line in lines {
            assert_eq!(line_end_us(line), Some(1_763_719_260_000_000));
            if let Ok(job) = parse_summary(line) {
                assert_eq!(job.end_us, 1_763_719_260_000_000);
            }
        }
        assert_eq!(line_end_us(br#"{"end_time":"soon"}"#), None);
        assert_eq!(line_end_us(b"not json"), None);
        assert_eq!(line_end_us(b"[1]"), None);
    }

    #[test]
    fn a_line_ending_later_than_one_below_it_is_out_of_order() {
        let mut o = EndOrder::default();
        o.saw(100_000_000);
        o.saw(50_000_000);
        o.saw(50_000_000 + END_ORDER_SLACK_US);
        assert!(o.ordered());
        o.saw(50_000_001 + END_ORDER_SLACK_US);
        assert!(!o.ordered());
    }

    fn record(id: &str, end: &str) -> String {
        format!(
            r#"{{"task_id":"{id}","status":"success","start_time":"2025-11-21T00:00:00Z","end_time":"{end}","pad":"{}"}}"#,
            "p".repeat(1500)
        )
    }

    #[test]
    fn probes_above_the_stop_point_catch_later_ends() {
        let threshold = 1_763_715_600_000_000; // 2025-11-21T09:00:00Z
        let early = |i: usize| record(&format!("e{i}"), "2025-11-21T08:00:00Z");
        // Ordered: nothing above ends after the threshold.
        let lines: Vec<String> = (0..100).map(early).collect();
        let text = lines.join("\n") + "\n";
        let f = file_with(text.as_bytes());
        let stop = text.len() as u64 - lines[99].len() as u64 - 1;
        assert!(EndOrder::default()
            .may_stop(&f, stop, threshold)
            .expect("probe"));
        // A later end on the first line, or a batch of them 19 lines above
        // the stop point (32 KiB above it lands in the batch).
        for late in [0..1, 60..80] {
            let mut lines = lines.clone();
            for line in &mut lines[late.clone()] {
                *line = record("late", "2025-11-21T10:00:00Z");
            }
            let text = lines.join("\n") + "\n";
            let f = file_with(text.as_bytes());
            let stop = text.len() as u64 - lines[99].len() as u64 - 1;
            let mut o = EndOrder::default();
            assert!(!o.may_stop(&f, stop, threshold).expect("probe"), "{late:?}");
            assert!(!o.ordered());
        }
    }
}
