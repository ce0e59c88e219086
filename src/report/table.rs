//! How tables look: comfy-table without borders (the layout `ls -l` and
//! `ps` users expect), fitted to a width, coloured only when asked. The
//! caller decides width and colour (terminal, `$COLUMNS`, `NO_COLOR`), so
//! rendering stays a pure function of its inputs.

use crate::record::{Status, StoredStatus};
use comfy_table::{presets, Cell, CellAlignment, Color, ContentArrangement, Table};

/// Width and colour of human output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableStyle {
    /// Fit tables to this many columns; `None`: no limit (a pipe).
    pub width: Option<u16>,
    pub colour: bool,
}

/// A borderless table with `header`; columns listed in `right` are
/// right-aligned (numbers).
pub fn new_table(style: &TableStyle, header: &[&str], right: &[usize]) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table.force_no_tty();
    if style.colour {
        table.enforce_styling();
    }
    table.set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(w) = style.width {
        table.set_width(w);
    }
    table.set_header(header.iter().map(Cell::new).collect::<Vec<_>>());
    for &i in right {
        if let Some(c) = table.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    table
}

/// The table as text, trailing blanks trimmed, ending in a newline.
pub fn finish(table: &Table) -> String {
    let mut s = table.trim_fmt();
    s.push('\n');
    s
}

/// A cell coloured when colour is on.
pub fn coloured(text: impl ToString, colour: Option<Color>, style: &TableStyle) -> Cell {
    let cell = Cell::new(text.to_string());
    match colour {
        Some(c) if style.colour => cell.fg(c),
        _ => cell,
    }
}

/// The colour of a status: green ok, red failures, yellow interrupted.
pub fn status_colour(status: &StoredStatus) -> Option<Color> {
    match status.known()? {
        Status::Success => Some(Color::Green),
        Status::Failed | Status::Signaled | Status::FailedToStart | Status::LimitExceeded => {
            Some(Color::Red)
        }
        Status::Interrupted | Status::Lost => Some(Color::Yellow),
        Status::Running => Some(Color::Cyan),
    }
}

/// µs since the epoch as local `MM-DD HH:MM:SS` (the list view's format).
pub fn local_short(us: i64) -> String {
    local(us, "%m-%d %H:%M:%S")
}

/// µs since the epoch as local `YYYY-MM-DD HH:MM:SS`.
pub fn local_full(us: i64) -> String {
    local(us, "%Y-%m-%d %H:%M:%S %Z")
}

fn local(us: i64, format: &str) -> String {
    match chrono::DateTime::from_timestamp_micros(us) {
        Some(t) => t.with_timezone(&chrono::Local).format(format).to_string(),
        None => "-".to_string(),
    }
}
