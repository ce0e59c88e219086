//! What the query commands share at the edge: where text goes, how wide and
//! how colourful tables are, and how history problems are reported. A
//! closed pipe (`profrun job-history | head -1`) ends output quietly.

use crate::history::source::{HistoryError, Sources};
use crate::history::BadLines;
use crate::report::table::TableStyle;
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

/// Write one line to stderr. A closed or full stderr (a hung-up terminal,
/// `2>/dev/full`, a reader that went away) is ignored: `eprintln!` would
/// panic there, and profrun must still return the job's exit code.
pub fn say(line: &str) {
    let mut err = io::stderr().lock();
    let _ = err
        .write_all(line.as_bytes())
        .and_then(|()| {
            if line.ends_with('\n') {
                Ok(())
            } else {
                err.write_all(b"\n")
            }
        })
        .and_then(|()| err.flush());
}

/// Write `text` to stdout. A reader that went away is not an error: Rust
/// ignores SIGPIPE, so the write fails with `BrokenPipe`, and we stop.
pub fn emit(text: &str) -> io::Result<()> {
    emit_bytes(text.as_bytes())
}

pub fn emit_bytes(bytes: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Width: `--width`, else `$COLUMNS`, else the terminal's (stdout), else
/// none. Colour: only on a terminal, and never with `NO_COLOR` set.
pub fn table_style(width_flag: Option<u16>) -> TableStyle {
    let tty = io::stdout().is_terminal();
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|c| *c > 0);
    let width = width_flag
        .or(columns)
        .or_else(|| tty.then(terminal_width).flatten());
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
    TableStyle {
        width,
        colour: tty && !no_color && !dumb,
    }
}

fn terminal_width() -> Option<u16> {
    let ws = rustix::termios::tcgetwinsize(io::stdout()).ok()?;
    (ws.ws_col > 0).then_some(ws.ws_col)
}

/// The history cannot be read: say so with the path, exit 1.
pub fn history_failed(err: &HistoryError) -> ExitCode {
    say(&format!("profrun: error: {err}"));
    ExitCode::from(1)
}

/// A user error that is not a usage error (unknown id, ...): exit 1.
pub fn fail(message: &str) -> ExitCode {
    say(&format!("profrun: error: {message}"));
    ExitCode::from(1)
}

/// Warn about named files that do not exist when others do (a merge with a
/// typo); when none exists the caller prints the friendly "no runs" line.
pub fn warn_missing(sources: &Sources) {
    if sources.files.is_empty() {
        return;
    }
    for m in &sources.missing {
        say(&format!("profrun: warning: no history at '{m}'"));
    }
}

/// The one line about skipped bad lines, if any.
pub fn warn_bad_lines(bad: &BadLines) {
    if let Some(msg) = bad.message() {
        say(&msg);
    }
}

/// The friendly line for a history with no runs in it.
pub fn no_runs_line(sources: &Sources) -> String {
    format!("no runs recorded yet (history: {})\n", sources.describe())
}

/// What a grouped view says when no group came out: nothing recorded, or
/// (`seen` runs read) nothing the filters select. The text formats print
/// it; the others say it on stderr, so both give the same reason.
pub fn nothing_matched_line(sources: &Sources, seen: u64) -> String {
    if seen == 0 {
        no_runs_line(sources)
    } else {
        format!("no runs match these filters ({seen} runs in the history)\n")
    }
}

/// Now, in µs since the epoch, for relative filters.
pub fn now_us() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// Replace `path` with `bytes` through a file beside it and a rename, so a
/// reader (a CI step collecting a JUnit file, a browser reloading a plot)
/// never sees half a file. `check --output`, `plot` and `report` write here.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("not a file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let written = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}
