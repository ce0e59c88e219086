//! One history line in, a usable record or the reason it is not out. Bad
//! lines (blank, torn, not JSON, wrong types, a NUL byte, a newer schema) are
//! never fatal: readers skip them and count them in [`BadLines`], which
//! commands report once on stderr.

use crate::record::view::ViewError;
use crate::record::{RecordView, SCHEMA_VERSION};
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::error::Category;
use std::fmt;
use std::path::{Path, PathBuf};

/// Why a line was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadKind {
    Blank,
    NulByte,
    /// Cut short: the JSON ends before the closing brace.
    Torn,
    NotJson,
    /// Valid JSON, but not a record: a field of the wrong type, a missing
    /// `task_id`/`start_time`/`status`, or a start time that is not a time.
    WrongTypes,
    /// Written by a newer profrun (`schema_version` greater than ours).
    NewerSchema(u64),
}

impl fmt::Display for BadKind {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            BadKind::Blank => f.write_str("blank line"),
            BadKind::NulByte => f.write_str("NUL byte"),
            BadKind::Torn => f.write_str("torn line"),
            BadKind::NotJson => f.write_str("not JSON"),
            BadKind::WrongTypes => f.write_str("not a record (missing field or wrong type)"),
            BadKind::NewerSchema(v) => write!(
                f,
                "schema_version {v} is newer than this profrun understands ({SCHEMA_VERSION})"
            ),
        }
    }
}

#[derive(Deserialize)]
struct VersionOnly {
    #[serde(default)]
    schema_version: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct VersionNumber {
    schema_version: u64,
}

fn precheck(line: &[u8]) -> Result<&[u8], BadKind> {
    let trimmed = line.trim_ascii();
    if trimmed.is_empty() {
        return Err(BadKind::Blank);
    }
    if memchr::memchr(0, trimmed).is_some() {
        return Err(BadKind::NulByte);
    }
    Ok(trimmed)
}

fn classify(line: &[u8], err: &serde_json::Error) -> BadKind {
    match err.classify() {
        Category::Eof => BadKind::Torn,
        Category::Syntax | Category::Io => {
            if line.starts_with(b"{") && !line.ends_with(b"}") {
                BadKind::Torn
            } else {
                BadKind::NotJson
            }
        }
        Category::Data => newer_schema(line).unwrap_or(BadKind::WrongTypes),
    }
}

/// `Some(NewerSchema)` when the line declares a schema newer than ours, so a
/// future format is reported as such and not as garbage.
fn newer_schema(line: &[u8]) -> Option<BadKind> {
    serde_json::from_slice::<VersionOnly>(line)
        .ok()?
        .schema_version?;
    let v = serde_json::from_slice::<VersionNumber>(line)
        .ok()?
        .schema_version;
    (v > u64::from(SCHEMA_VERSION)).then_some(BadKind::NewerSchema(v))
}

/// Read a line as the typed read model, or say why it is bad.
pub fn parse_summary(line: &[u8]) -> Result<RecordView, BadKind> {
    let line = precheck(line)?;
    RecordView::from_line(line).map_err(|e| match e {
        ViewError::Json(e) => classify(line, &e),
        ViewError::NewerSchema(v) => BadKind::NewerSchema(v),
        ViewError::BadStartTime | ViewError::EmptyId => BadKind::WrongTypes,
    })
}

/// Parse a whole record (for `job-details`), after checking that the line is
/// one that [`parse_summary`] accepts, so every view agrees on what is bad.
pub fn parse_value(line: &[u8]) -> Result<(RecordView, serde_json::Value), BadKind> {
    let summary = parse_summary(line)?;
    let value = serde_json::from_slice(line.trim_ascii()).map_err(|_| BadKind::NotJson)?;
    Ok((summary, value))
}

/// Whether a line can be passed over unparsed by a reader that only wants
/// some lines (`job-details PREFIX`) and still counts bad lines as the
/// full readers do: false for anything that is not a one-line JSON object
/// with the three required keys holding strings, which are then parsed to
/// learn why they are bad (issue 11, item 5). A well-formed line whose
/// values have the wrong content (a start time that is not a time) passes.
pub fn looks_like_record(line: &[u8]) -> bool {
    let t = line.trim_ascii();
    t.starts_with(b"{")
        && t.ends_with(b"}")
        && memchr::memchr(0, t).is_none()
        && [
            &b"\"task_id\":\""[..],
            b"\"start_time\":\"",
            b"\"status\":\"",
        ]
        .iter()
        .all(|key| memchr::memmem::find(t, key).is_some())
}

/// Where a bad line is: its line number when read forwards, its byte
/// offset when read backwards (turned into a number only if reported).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LinePos {
    Number(u64),
    Offset(u64),
}

#[derive(Debug, Clone)]
pub struct BadLineAt {
    pub path: PathBuf,
    pub pos: LinePos,
    pub kind: BadKind,
}

/// Skipped lines, counted across every file a command read.
#[derive(Debug, Default)]
pub struct BadLines {
    pub count: u64,
    /// The reader stopped before reading every line (the newest N of a file
    /// in end-time order): `count` is a lower bound, said "at least".
    pub partial: bool,
    /// The earliest bad line seen (lowest file index, then position).
    pub first: Option<(usize, BadLineAt)>,
}

impl BadLines {
    pub fn record(&mut self, file_index: usize, path: &Path, pos: LinePos, kind: BadKind) {
        self.count += 1;
        let earlier = match &self.first {
            None => true,
            Some((i, at)) => (file_index, pos) < (*i, at.pos),
        };
        if earlier {
            let at = BadLineAt {
                path: path.to_path_buf(),
                pos,
                kind,
            };
            self.first = Some((file_index, at));
        }
    }

    /// Add the bad lines a reader of one part of a file counted, numbering
    /// its lines from 1; `lines_before` is how many lines precede the part.
    pub fn absorb(&mut self, part: BadLines, lines_before: u64) {
        let Some((i, mut at)) = part.first else {
            return;
        };
        if let LinePos::Number(n) = at.pos {
            at.pos = LinePos::Number(n + lines_before);
        }
        self.record(i, &at.path, at.pos, at.kind);
        self.count += part.count - 1;
        self.partial |= part.partial;
    }

    /// Of two passes' counts over the same files, the one that says more:
    /// an exact count (a pass that read every line) over a lower bound,
    /// else the larger. Two lookups in one command (`diff A B`) each read
    /// the history; adding their counts would count a bad line twice.
    pub fn fuller(self, other: BadLines) -> BadLines {
        let rank = |b: &BadLines| (!b.partial && b.first.is_some(), b.count);
        if rank(&other) > rank(&self) {
            other
        } else {
            self
        }
    }

    /// The one stderr line, or `None` when nothing was skipped.
    pub fn message(&self) -> Option<String> {
        let (_, at) = self.first.as_ref()?;
        let line = match at.pos {
            LinePos::Number(n) => n.to_string(),
            LinePos::Offset(off) => match super::reverse::line_number_at(&at.path, off) {
                Ok(n) => n.to_string(),
                Err(_) => format!("at byte {off}"),
            },
        };
        let plural = if self.count == 1 { "" } else { "s" };
        let at_least = if self.partial { "at least " } else { "" };
        Some(format!(
            "profrun: warning: skipped {at_least}{} bad line{plural} in the history (first: '{}' line {line}, {})",
            self.count,
            at.path.display(),
            at.kind
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"schema_version":1,"task_id":"abc","tool":"t","status":"success","start_time":"2025-11-21T10:30:00.000000Z","duration_seconds":1.5,"detailed_profile":{"timeseries":{"cpu_percent":[1,2,3]}}}"#;

    #[test]
    fn a_good_line_parses() {
        let s = parse_summary(GOOD.as_bytes()).expect("good");
        assert_eq!((s.task_id.as_str(), s.duration_seconds), ("abc", 1.5));
    }

    #[test]
    fn each_kind_of_bad_line_is_named() {
        let cases: [(&[u8], BadKind); 8] = [
            (b"   ", BadKind::Blank),
            (b"{\"task_id\":\"a\0\"}", BadKind::NulByte),
            (&GOOD.as_bytes()[..80], BadKind::Torn),
            (b"hello world", BadKind::NotJson),
            (b"[1,2]", BadKind::WrongTypes),
            (
                br#"{"task_id":7,"status":"success","start_time":"2025-11-21T10:30:00Z"}"#,
                BadKind::WrongTypes,
            ),
            (
                br#"{"task_id":"a","status":"success","start_time":"yesterday"}"#,
                BadKind::WrongTypes,
            ),
            (
                br#"{"schema_version":2,"task_id":"a","status":{"new":1},"start_time":"x"}"#,
                BadKind::NewerSchema(2),
            ),
        ];
        for (line, kind) in cases {
            assert_eq!(
                parse_summary(line).map(|_| ()),
                Err(kind),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn seed_records_without_schema_version_are_read() {
        let seed = r#"{"task_id":"abc-123-xyz","tool":"fenicsx","script":"poisson.py","params":{"mesh_size":64},"start_time":"2025-10-15T10:30:00.000000","end_time":"2025-10-15T10:35:30.123456","duration_seconds":330.12,"status":"success","returncode":0,"resource_usage":{"cpu_user_seconds":285.45,"cpu_system_seconds":12.34,"cpu_total_seconds":297.79,"memory_peak_mb":2048.56},"detailed_profile":{"io_stats":{"read_mb":128.5},"gpu_stats":{},"container_stats":{"cpu_percent":"45.23"}}}"#;
        let s = parse_summary(seed.as_bytes()).expect("seed record");
        assert_eq!(s.read_bytes, Some(128.5 * 1048576.0));
        assert_eq!(s.end_us - s.start_us, 330_123_456);
        assert_eq!(s.gpu_utilization_percent, None);
    }

    /// Regression: found by the line-parser proptest, a huge duration
    /// without an end time overflowed the end-time arithmetic.
    #[test]
    fn huge_duration_without_end_time_does_not_overflow() {
        let line = br#"{"task_id":"a","status":"success","start_time":"2025-11-21T10:30:00Z","duration_seconds":1e300}"#;
        let s = parse_summary(line).expect("record");
        assert_eq!(s.end_us, i64::MAX);
    }

    #[test]
    fn parts_are_absorbed_with_their_line_numbers() {
        let mut part = BadLines::default();
        part.record(0, Path::new("h"), LinePos::Number(2), BadKind::Torn);
        part.record(0, Path::new("h"), LinePos::Number(5), BadKind::Blank);
        let mut bad = BadLines::default();
        bad.absorb(BadLines::default(), 0);
        bad.absorb(part, 10);
        let msg = bad.message().expect("message");
        assert!(msg.contains("skipped 2 bad lines"), "{msg}");
        assert!(msg.contains("'h' line 12, torn line"), "{msg}");
    }

    #[test]
    fn a_partial_count_says_at_least() {
        let mut bad = BadLines::default();
        bad.record(0, Path::new("h"), LinePos::Number(3), BadKind::Torn);
        bad.partial = true;
        let msg = bad.message().expect("message");
        assert!(msg.contains("skipped at least 1 bad line "), "{msg}");
    }

    #[test]
    fn only_lines_that_look_like_records_are_passed_over() {
        assert!(looks_like_record(GOOD.as_bytes()));
        for bad in [
            &b"   "[..],
            &GOOD.as_bytes()[..80],
            b"hello world",
            b"[1,2]",
            br#"{"task_id":7,"status":"success","start_time":"2025-11-21T10:30:00Z"}"#,
            b"{\"task_id\":\"a\0\",\"status\":\"s\",\"start_time\":\"x\"}",
        ] {
            assert!(!looks_like_record(bad), "{}", String::from_utf8_lossy(bad));
            assert!(parse_summary(bad).is_err());
        }
    }

    #[test]
    fn of_two_passes_the_exact_count_wins_over_a_lower_bound() {
        let pass = |n: u64, partial: bool| {
            let mut bad = BadLines::default();
            for k in 0..n {
                bad.record(0, Path::new("h"), LinePos::Number(k + 1), BadKind::Torn);
            }
            bad.partial = partial;
            bad
        };
        assert_eq!(pass(1, true).fuller(pass(3, true)).count, 3);
        assert_eq!(pass(3, true).fuller(pass(1, true)).count, 3);
        let exact = pass(2, true).fuller(pass(2, false));
        assert_eq!((exact.count, exact.partial), (2, false));
        let exact = pass(2, false).fuller(pass(4, true));
        assert_eq!((exact.count, exact.partial), (2, false));
        assert_eq!(pass(0, false).fuller(pass(1, true)).count, 1);
    }

    #[test]
    fn first_bad_line_is_the_earliest() {
        let mut bad = BadLines::default();
        bad.record(0, Path::new("h"), LinePos::Number(9), BadKind::Torn);
        bad.record(0, Path::new("h"), LinePos::Number(4), BadKind::Blank);
        let msg = bad.message().expect("message");
        assert!(msg.contains("skipped 2 bad lines"), "{msg}");
        assert!(msg.contains("'h' line 4, blank line"), "{msg}");
    }
}
