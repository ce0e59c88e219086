//! How tables look: comfy-table without borders (the layout `ls -l` and
//! `ps` users expect), fitted to a width, coloured only when asked. The
//! caller decides width and colour (terminal, `$COLUMNS`, `NO_COLOR`), so
//! rendering stays a pure function of its inputs.

use crate::record::{Status, StoredStatus};
use comfy_table::{
    presets, Cell, CellAlignment, Color, ColumnConstraint, ContentArrangement, Table, Width,
};

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
    let mut s = match table.width() {
        Some(width) => whole_words(table, width).trim_fmt(),
        None => table.trim_fmt(),
    };
    s.push('\n');
    s
}

/// Words (ids, numbers, header words) up to this many columns are never
/// split across lines while the table can keep them whole; a longer word
/// (a path) may be.
const WHOLE_WORD_MAX: usize = 16;

/// The fewest columns a free column (a tool, a script) is left with
/// before the view's own bounds give way.
const FREE_MIN: usize = 5;

/// The longest word of column `i` (of its header alone, or of every cell),
/// at most [`WHOLE_WORD_MAX`].
fn longest_word(t: &Table, i: usize, header_only: bool) -> usize {
    let take = if header_only { 1 } else { usize::MAX };
    t.column_cells_with_header_iter(i)
        .flatten()
        .take(take)
        .flat_map(|c| {
            c.content()
                .split_whitespace()
                .map(|w| w.chars().count())
                .max()
        })
        .max()
        .unwrap_or(0)
        .min(WHOLE_WORD_MAX)
}

/// `table` fitted to `width`, splitting as few words as it can. A table
/// that fits is left as it is. Otherwise every column gets a width of its
/// own: the widest columns give way first, each down to a floor, and
/// comfy-table wraps the cells at spaces. The floors are the first of
/// these that fit: each column's longest word; its header's longest word
/// (the cells wrap); the same with the columns one space apart instead of
/// two; and last, the header's words and a few letters of a cell, the
/// table running past `width` if even that is too wide. A column the view
/// keeps whole (an id to copy) never goes below its content; one it keeps
/// the words of (a time, a status) not below its longest word but in that
/// last case. comfy-table's own fitting would split a word (`6a1c2222|dddd`,
/// `R|U|N|S`) before it let a short column wrap.
fn whole_words(table: &Table, width: u16) -> Table {
    let width = usize::from(width);
    let content: Vec<usize> = table
        .column_max_content_widths()
        .into_iter()
        .map(usize::from)
        .collect();
    let padding: usize = table
        .column_iter()
        .map(|c| usize::from(c.padding_width()))
        .sum();
    if content.iter().sum::<usize>() + padding <= width {
        return table.clone();
    }
    // The least width the view asked for, padding apart.
    let asked: Vec<usize> = table
        .column_iter()
        .enumerate()
        .map(|(i, c)| match c.constraint() {
            Some(ColumnConstraint::ContentWidth) => content[i],
            Some(ColumnConstraint::LowerBoundary(Width::Fixed(w))) => {
                usize::from(*w).saturating_sub(usize::from(c.padding_width()))
            }
            _ => 0,
        })
        .collect();
    let whole: Vec<bool> = table
        .column_iter()
        .map(|c| c.constraint() == Some(&ColumnConstraint::ContentWidth))
        .collect();
    let floors = |f: &dyn Fn(usize) -> usize| -> Vec<usize> {
        (0..content.len())
            .map(|i| f(i).max(asked[i]).min(content[i]))
            .collect()
    };
    let cells = floors(&|i| longest_word(table, i, false));
    let headers = floors(&|i| longest_word(table, i, true));
    let fits = |f: &[usize], gap: usize| f.iter().sum::<usize>() + gap * f.len() <= width;
    let (floor, gap) = if fits(&cells, 2) {
        (cells, 2)
    } else if fits(&headers, 2) {
        (headers, 2)
    } else if fits(&headers, 1) {
        (headers, 1)
    } else {
        // Only what the view keeps whole still is, and the header words.
        let few = (0..content.len())
            .map(|i| match whole[i] {
                true => content[i],
                false => longest_word(table, i, false)
                    .min(FREE_MIN)
                    .max(longest_word(table, i, true))
                    .min(content[i]),
            })
            .collect();
        (few, 1)
    };
    let budget = width.saturating_sub(gap * content.len());
    let widths = shrink_widest_first(&content, &floor, budget);
    let mut t = table.clone();
    for (i, w) in widths.into_iter().enumerate() {
        let Some(c) = t.column_mut(i) else { continue };
        if gap == 1 {
            c.set_padding((1, 0));
        }
        let w = u16::try_from(w + gap).unwrap_or(u16::MAX);
        c.set_constraint(ColumnConstraint::Absolute(Width::Fixed(w)));
    }
    t
}

/// Column widths from `content`, the widest narrowed first (one column at
/// a time, never below its `floor`) until they add up to `budget` or all
/// are at their floors.
fn shrink_widest_first(content: &[usize], floor: &[usize], budget: usize) -> Vec<usize> {
    let mut widths = content.to_vec();
    let mut total: usize = widths.iter().sum();
    while total > budget {
        let widest = (0..widths.len())
            .filter(|&i| widths[i] > floor[i])
            .max_by_key(|&i| (widths[i], std::cmp::Reverse(i)));
        let Some(i) = widest else { break };
        widths[i] -= 1;
        total -= 1;
    }
    widths
}

/// Column `i` at least `w` wide (its padding besides).
fn keep_at_least(t: &mut Table, i: usize, w: usize) {
    let Some(c) = t.column_mut(i) else { return };
    // comfy-table's boundaries count the column's padding.
    let w = u16::try_from(w).unwrap_or(u16::MAX);
    let w = w.saturating_add(c.padding_width());
    c.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(w)));
}

/// Keep column `i` as wide as its content, never wrapped: an id to copy.
pub fn keep_whole(table: &mut Table, i: usize) {
    if let Some(c) = table.column_mut(i) {
        c.set_constraint(ColumnConstraint::ContentWidth);
    }
}

/// Keep the words of columns `cols` whole (a time, a status, a number):
/// they may wrap at spaces, never inside a word. Call once the rows are in.
pub fn keep_words(table: &mut Table, cols: &[usize]) {
    for &i in cols {
        let w = longest_word(table, i, false);
        keep_at_least(table, i, w);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_widest_column_gives_way_first_and_none_below_its_floor() {
        assert_eq!(
            shrink_widest_first(&[12, 10, 4], &[12, 2, 4], 20),
            [12, 4, 4]
        );
        assert_eq!(shrink_widest_first(&[8, 8], &[2, 2], 10), [5, 5]);
        // Floors too wide: they are kept, the table runs past the budget.
        assert_eq!(shrink_widest_first(&[12, 10], &[12, 6], 10), [12, 6]);
    }

    /// At 80 columns the id column was cut in two (review finding, query
    /// item 9): a column kept whole is never narrowed, and a table that
    /// fits is left to comfy-table.
    #[test]
    fn a_column_kept_whole_is_never_narrowed() {
        let style = TableStyle {
            width: Some(30),
            colour: false,
        };
        let mut t = new_table(&style, &["ID", "TOOL", "SCRIPT"], &[]);
        t.add_row(vec!["6a1c2222dddd", "nosuchtool", "system/controlDict"]);
        keep_whole(&mut t, 0);
        let out = finish(&t);
        assert!(out.split_whitespace().any(|w| w == "6a1c2222dddd"), "{out}");
        assert!(out.lines().all(|l| l.chars().count() <= 30), "{out}");
        let wide = TableStyle {
            width: Some(80),
            ..style
        };
        let mut t = new_table(&wide, &["ID", "TOOL"], &[]);
        t.add_row(vec!["6a1c2222dddd", "nosuchtool"]);
        assert_eq!(
            finish(&t),
            " ID            TOOL\n 6a1c2222dddd  nosuchtool\n"
        );
    }
}
